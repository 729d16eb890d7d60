/*
 * fuzz_armcloud.c - fuzz the ArmCloud / VMOS Cloud response parsers (drivers/armcloud/): the
 * {code,msg,ts,data} envelope, task, preview and pad-list answers, the split of the dump
 * command's output, the chunk boundary rule, the screenshot type check and the decryption of
 * encrypted fields. The first byte picks the parser, the rest is the body.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "drivers/armcloud/protocol.h"
#include "drivers/armcloud/sign.h"
#include "fuzz.h"

#define PAD "AC22030010001"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_armcloud: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned which;
    if (!fuzz_pick(&data, &size, 10, &which))
        return 0;
    const char *body = (const char *)data;
    tl_error err;
    switch (which) {
    case 0: {
        long code;
        tl_ac_check_envelope(body, size, (enum tl_ac_op)(size % TL_AC_OP__COUNT), PAD, &code, &err);
        break;
    }
    case 1:
    case 2: {
        tl_ac_task t;
        enum tl_ac_op op = which == 1 ? TL_AC_OP_SYNC_CMD : TL_AC_OP_SCRIPT_INFO;
        int rc = tl_ac_parse_task(body, size, op, PAD, which == 1 ? -1 : 42, &t, &err);
        if (rc == TL_OK && (!t.output || strlen(t.output) > t.output_len))
            fail("task output missing or shorter than output_len says");
        tl_ac_task_dispose(&t);
        break;
    }
    case 3: {
        char *url = NULL;
        if (tl_ac_parse_preview(body, size, PAD, &url, &err) == TL_OK &&
            strncmp(url, "http", 4) != 0)
            fail("preview URL is not http(s)");
        free(url);
        break;
    }
    case 4: {
        tl_device_list list = {0};
        tl_ac_page page;
        tl_ac_parse_pad_infos(body, size, &list, &page, &err);
        tl_device_list_dispose(&list);
        break;
    }
    case 5: {
        size_t head, fsize, off;
        if (tl_ac_split_dump_output(body, size, &head, &fsize, &off, &err) == TL_OK &&
            (head > size || off > size))
            fail("split_dump_output offsets past the output");
        break;
    }
    case 6: {
        size_t want = size + (size % 7), keep;
        keep = tl_ac_chunk_keep(body, size, want, size % 3 == 0);
        if (keep > size)
            fail("chunk_keep keeps more than it got");
        break;
    }
    case 7: {
        const char *type;
        tl_ac_image_type(body, size, &type, &err);
        break;
    }
    case 8: {
        tl_buf out;
        tl_buf_init(&out, 0);
        tl_ac_looks_encrypted(body, size);
        tl_ac_decrypt_field(&out, body, size, PAD, "padIp", &err);
        tl_buf_dispose(&out);
        break;
    }
    default: {
        /* ARMCLOUD_BASE_URL comes from the environment: parse it as a NUL-terminated string. */
        char *s = fuzz_strndup(data, size);
        tl_ac_base b = {0};
        if (s && tl_ac_base_parse(&b, s, &err) == TL_OK) {
            tl_buf url;
            tl_buf_init(&url, 0);
            tl_ac_url(&url, &b, TL_AC_API_VMOS, TL_AC_OP_PREVIEW);
            tl_buf_dispose(&url);
        }
        tl_ac_base_dispose(&b);
        free(s);
        break;
    }
    }
    return 0;
}
