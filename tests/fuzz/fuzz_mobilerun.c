/*
 * fuzz_mobilerun.c - fuzz the Mobilerun REST API response parsers (drivers/mobilerun/protocol.h):
 * the first byte picks the parser, the rest is the response body. Device fields must come out
 * sanitised (one printable line) and with the secret scrubbed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "drivers/mobilerun/protocol.h"
#include "fuzz.h"

#define SECRET "mr_fuzz_secret_key"

static void check_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            fprintf(stderr, "fuzz_mobilerun: control byte in sanitised text \"%s\"\n", s);
            abort();
        }
}

static void check_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            fprintf(stderr, "fuzz_mobilerun: control byte in sanitised text \"%s\"\n", s);
            abort();
        }
    if (strstr(s, SECRET)) {
        fprintf(stderr, "fuzz_mobilerun: the secret leaked into \"%s\"\n", s);
        abort();
    }
}

static void check_device(const tl_mr_device *d)
{
    /* The id is not scrubbed: it is data the driver sends back, checked by tl_mr_check_id. */
    check_printable(d->id);
    check_text(d->name);
    check_text(d->state);
    check_text(d->type);
    check_text(d->state_message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned which;
    if (!fuzz_pick(&data, &size, 9, &which))
        return 0;
    const char *body = (const char *)data;
    tl_error err;
    switch (which) {
    case 0: {
        tl_mr_device d;
        if (tl_mr_parse_device(body, size, SECRET, &d, &err) == TL_OK)
            check_device(&d);
        break;
    }
    case 1: {
        tl_device_list list = {0};
        tl_mr_page page;
        tl_mr_parse_device_page(body, size, 1, SECRET, &list, &page, &err);
        tl_device_list_dispose(&list);
        break;
    }
    case 2: {
        tl_app_list apps = {0};
        tl_mr_parse_apps(body, size, &apps, &err);
        tl_app_list_dispose(&apps);
        break;
    }
    case 3: {
        bool found;
        tl_mr_parse_packages(body, size, "com.android.settings", &found, &err);
        break;
    }
    case 4: tl_mr_check_ui_state(body, size, "application/json", &err); break;
    case 5: {
        tl_buf decoded;
        tl_buf_init(&decoded, 0);
        bool in_place;
        const char *type;
        tl_mr_parse_screenshot(body, size, size % 2 ? "image/png" : "application/json", &decoded,
                               &in_place, &type, &err);
        tl_buf_dispose(&decoded);
        break;
    }
    case 6: {
        tl_mr_problem p;
        tl_mr_parse_problem(body, size, "application/problem+json", SECRET, &p);
        check_text(p.title);
        check_text(p.detail);
        check_text(p.first_error);
        break;
    }
    case 7: {
        static const long statuses[] = {400, 401, 402, 403, 404, 409, 422, 423, 429, 500, 503, 302};
        tl_mr_call call = {
            "POST", "/devices/x/tap", TL_MR_OP_ACTION, "x", "https://api.mobilerun.ai", SECRET, 3};
        call.op = (tl_mr_op)(size % 6);
        tl_mr_status_error(&call, statuses[size % 12], "application/json", body, size, &err);
        check_text(err.msg);
        break;
    }
    default: {
        char out[TL_MR_TEXT_SIZE];
        tl_mr_sanitize(out, sizeof out, body, size, 80, SECRET);
        check_text(out);
        break;
    }
    }
    return 0;
}
