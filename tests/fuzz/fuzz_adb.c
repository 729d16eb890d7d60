/*
 * fuzz_adb.c - fuzz the adb host protocol reader (drivers/adb/protocol.h): status replies,
 * length-prefixed blocks, the version payload, `host:devices-l` listings (and device lookup in
 * them), the exit-status marker of shell output, the PNG completeness check, excerpts, and the
 * ADB_SERVER_SOCKET spec. The first byte picks the parser, the rest is what the server sent.
 */
#include <stdio.h>
#include <stdlib.h>

#include "drivers/adb/protocol.h"
#include "fuzz.h"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_adb: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned which;
    if (!fuzz_pick(&data, &size, 8, &which))
        return 0;
    const char *buf = (const char *)data;
    tl_error err;
    switch (which) {
    case 0: {
        /* A stream of replies, as a connection reads them. */
        size_t pos = 0;
        while (pos < size) {
            tl_adb_status st;
            if (tl_adb_parse_status(buf + pos, size - pos, &st, &err) != TL_OK)
                break;
            if (st.consumed == 0 || st.consumed > size - pos)
                fail("status reply consumed nothing or too much");
            if (!st.okay && (st.msg < buf + pos || st.msg + st.msg_len > buf + size))
                fail("FAIL message outside the buffer");
            pos += st.consumed;
        }
        break;
    }
    case 1: {
        const char *payload;
        size_t plen, consumed;
        if (tl_adb_parse_block(buf, size, &payload, &plen, &consumed, &err) == TL_OK) {
            if (consumed > size || payload < buf || payload + plen > buf + size)
                fail("block outside the buffer");
            int version;
            tl_adb_parse_version(payload, plen, &version, &err);
        }
        break;
    }
    case 2: {
        int version;
        tl_adb_parse_version(buf, size, &version, &err);
        break;
    }
    case 3: {
        tl_adb_devices l = {0};
        if (tl_adb_parse_devices(&l, buf, size, &err) == TL_OK) {
            bool ambiguous;
            static const char *const targets[] = {"emulator-5554", "model:Pixel_7", "usb:1-1",
                                                  "product:sdk", "device:x"};
            for (size_t i = 0; i < sizeof targets / sizeof *targets; i++)
                tl_adb_devices_find(&l, targets[i], &ambiguous);
            for (size_t i = 0; i < l.n; i++) {
                tl_adb_state_ready(l.items[i].state);
                tl_adb_state_advice(l.items[i].state);
                if (i < 4)
                    tl_adb_devices_find(&l, l.items[i].serial, &ambiguous);
            }
        } else if (l.n != 0) {
            fail("devices left after an error");
        }
        tl_adb_devices_dispose(&l);
        break;
    }
    case 4: {
        size_t body_len;
        int status;
        if (tl_adb_split_exit(buf, size, &body_len, &status, &err) == TL_OK &&
            (body_len > size || status < 0 || status > 255))
            fail("split_exit result out of range");
        break;
    }
    case 5: tl_adb_png_complete(buf, size); break;
    case 6: {
        char out[64];
        tl_adb_excerpt(out, sizeof out, buf, size);
        if (strlen(out) >= sizeof out)
            fail("excerpt overflow");
        break;
    }
    default: {
        char *s = fuzz_strndup(data, size);
        tl_adb_socket_spec spec;
        if (s)
            tl_adb_parse_socket_spec(&spec, s, &err);
        free(s);
        break;
    }
    }
    return 0;
}
