/*
 * test_adb_protocol.c - the adb host protocol without I/O (drivers/adb/protocol.h): socket specs
 * and ADB_SERVER_SOCKET, request framing, OKAY/FAIL and block replies (whole, truncated at every
 * byte, garbage), `host:devices-l` listings as real adb servers write them, device lookup, the
 * shell exit-status marker and the PNG completeness check.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/adb/protocol.h"

/* ---- socket specs --------------------------------------------------------------------------- */

Test(adb_protocol, socket_specs)
{
    tl_adb_socket_spec s;
    tl_error err;
    cr_assert_eq(tl_adb_parse_socket_spec(&s, "tcp:127.0.0.1:5037", &err), TL_OK);
    cr_assert_eq(s.kind, TL_ADB_SOCK_TCP);
    cr_assert_str_eq(s.host, "127.0.0.1");
    cr_assert_eq(s.port, 5037);
    cr_assert_str_eq(s.text, "tcp:127.0.0.1:5037");

    cr_assert_eq(tl_adb_parse_socket_spec(&s, "tcp:5038", &err), TL_OK);
    cr_assert_str_eq(s.host, "127.0.0.1");
    cr_assert_eq(s.port, 5038);

    cr_assert_eq(tl_adb_parse_socket_spec(&s, "tcp:localhost:1", &err), TL_OK);
    cr_assert_str_eq(s.host, "localhost");
    cr_assert_eq(s.port, 1);

    cr_assert_eq(tl_adb_parse_socket_spec(&s, "tcp:[::1]:65535", &err), TL_OK);
    cr_assert_str_eq(s.host, "::1");
    cr_assert_eq(s.port, 65535);

    cr_assert_eq(tl_adb_parse_socket_spec(&s, "localfilesystem:/tmp/adb.sock", &err), TL_OK);
    cr_assert_eq(s.kind, TL_ADB_SOCK_UNIX);
    cr_assert_str_eq(s.path, "/tmp/adb.sock");
    cr_assert_eq(tl_adb_parse_socket_spec(&s, "local:/tmp/x", &err), TL_OK);
    cr_assert_eq(s.kind, TL_ADB_SOCK_UNIX);
    cr_assert_eq(tl_adb_parse_socket_spec(&s, "localabstract:adb", &err), TL_OK);
    cr_assert_eq(s.kind, TL_ADB_SOCK_ABSTRACT);
    cr_assert_str_eq(s.path, "adb");
}

Test(adb_protocol, bad_socket_specs)
{
    static const char *const bad[] = {
        "",
        "127.0.0.1:5037",
        "tcp:",
        "tcp:host:",
        "tcp:host:0",
        "tcp:host:65536",
        "tcp:host:50x7",
        "tcp:host:123456",
        "tcp::5037",
        "tcp:::1:5037",
        "tcp:[::1]5037",
        "tcp:[::1",
        "tcp:ho st:5037",
        "tcp:-1",
        "udp:127.0.0.1:5037",
        "localfilesystem:",
        "localabstract:",
        "localfilesystem:/a\nb",
        "http://127.0.0.1:5037",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tl_adb_socket_spec s;
        tl_error err;
        tl_error_clear(&err);
        cr_assert_eq(tl_adb_parse_socket_spec(&s, bad[i], &err), TL_EUSAGE, "\"%s\" accepted",
                     bad[i]);
        cr_assert_gt(strlen(err.msg), 10, "\"%s\": no message", bad[i]);
        cr_assert_null(strchr(err.msg, '\n'), "%s", err.msg);
    }
    char longpath[200] = "localfilesystem:/";
    memset(longpath + strlen(longpath), 'a', 150);
    longpath[sizeof(longpath) - 1] = '\0';
    tl_adb_socket_spec s;
    tl_error err;
    cr_assert_eq(tl_adb_parse_socket_spec(&s, longpath, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "longer than"), "%s", err.msg);
}

Test(adb_protocol, socket_from_env)
{
    tl_adb_socket_spec s;
    tl_error err;
    cr_assert_eq(tl_adb_socket_from_env(&s, NULL, &err), TL_OK);
    cr_assert_str_eq(s.text, TL_ADB_DEFAULT_SOCKET);
    cr_assert_eq(s.port, 5037);
    cr_assert_eq(tl_adb_socket_from_env(&s, "", &err), TL_OK);
    cr_assert_str_eq(s.text, "tcp:127.0.0.1:5037");
    cr_assert_eq(tl_adb_socket_from_env(&s, "tcp:10.0.0.2:6000", &err), TL_OK);
    cr_assert_str_eq(s.host, "10.0.0.2");
    cr_assert_eq(tl_adb_socket_from_env(&s, "tcp:nope", &err), TL_EUSAGE);
    cr_assert(strncmp(err.msg, "ADB_SERVER_SOCKET: ", 19) == 0, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "\"tcp:nope\""), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "tcp:HOST:PORT") || strstr(err.msg, "port"), "%s", err.msg);
    cr_assert_eq(tl_adb_socket_from_env(&s, "garbage\x01", &err), TL_EUSAGE);
    cr_assert_null(strchr(err.msg, '\x01'), "control bytes are not echoed: %s", err.msg);
}

/* ---- framing -------------------------------------------------------------------------------- */

Test(adb_protocol, frame)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_error err;
    cr_assert_eq(tl_adb_frame(&b, "host:version", &err), TL_OK);
    cr_assert_str_eq(b.data, "000chost:version");
    tl_buf_clear(&b);
    cr_assert_eq(tl_adb_frame(&b, "host:transport:emulator-5554", &err), TL_OK);
    cr_assert_str_eq(b.data, "001chost:transport:emulator-5554");
    tl_buf_clear(&b);

    char *big = malloc(TL_ADB_MAX_REQUEST + 2);
    cr_assert_not_null(big);
    memset(big, 'a', TL_ADB_MAX_REQUEST);
    big[TL_ADB_MAX_REQUEST] = '\0';
    cr_assert_eq(tl_adb_frame(&b, big, &err), TL_OK);
    cr_assert_eq(b.len, TL_ADB_MAX_REQUEST + 4);
    cr_assert(memcmp(b.data, "ffff", 4) == 0);
    tl_buf_clear(&b);
    big[TL_ADB_MAX_REQUEST] = 'a';
    big[TL_ADB_MAX_REQUEST + 1] = '\0';
    cr_assert_eq(tl_adb_frame(&b, big, &err), TL_EUSAGE);
    cr_assert_eq(b.len, 0, "nothing appended on failure");
    cr_assert_not_null(strstr(err.msg, "65535"), "%s", err.msg);
    free(big);
    cr_assert_eq(tl_adb_frame(&b, "", &err), TL_EUSAGE);
    cr_assert_eq(tl_adb_frame(&b, NULL, &err), TL_EUSAGE);
    tl_buf_dispose(&b);
}

/* ---- replies -------------------------------------------------------------------------------- */

Test(adb_protocol, status_okay_and_fail)
{
    tl_adb_status st;
    tl_error err;
    const char okay[] = "OKAYrest";
    cr_assert_eq(tl_adb_parse_status(okay, 8, &st, &err), TL_OK);
    cr_assert(st.okay);
    cr_assert_eq(st.consumed, 4);
    cr_assert_null(st.msg);

    const char fail[] = "FAIL0017device 'xyz' not foundtrailing";
    cr_assert_eq(tl_adb_parse_status(fail, strlen(fail), &st, &err), TL_OK);
    cr_assert_not(st.okay);
    cr_assert_eq(st.msg_len, 0x17);
    cr_assert(memcmp(st.msg, "device 'xyz' not found", 0x16) == 0);
    cr_assert_eq(st.consumed, 8 + 0x17);

    const char upper[] = "FAIL000Aabcdefghij";
    cr_assert_eq(tl_adb_parse_status(upper, strlen(upper), &st, &err), TL_OK);
    cr_assert_eq(st.msg_len, 10);

    const char empty[] = "FAIL0000";
    cr_assert_eq(tl_adb_parse_status(empty, 8, &st, &err), TL_OK);
    cr_assert_eq(st.msg_len, 0);
    cr_assert_not(st.okay);
}

Test(adb_protocol, status_truncated_at_every_byte)
{
    const char *const replies[] = {"OKAY", "FAIL0005hello", "FAIL0000"};
    for (size_t r = 0; r < 3; r++) {
        size_t n = strlen(replies[r]);
        for (size_t cut = 0; cut < n; cut++) {
            /* the prefix in a heap block of exactly its size: ASan sees any over-read */
            char *p = malloc(cut ? cut : 1);
            memcpy(p, replies[r], cut);
            tl_adb_status st;
            tl_error err;
            cr_assert_eq(tl_adb_parse_status(p, cut, &st, &err), TL_ADB_INCOMPLETE, "%s cut at %zu",
                         replies[r], cut);
            free(p);
        }
        tl_adb_status st;
        tl_error err;
        cr_assert_eq(tl_adb_parse_status(replies[r], n, &st, &err), TL_OK);
        cr_assert_eq(st.consumed, n);
    }
}

Test(adb_protocol, status_garbage)
{
    static const char *const bad[] = {
        "HTTP/1.1 400 Bad Request", "OKAX",  "okay", "FAILzz12msg", "FAIL00g1",
        "\x00\x01\x02\x03",         "O\xff", "FAI\n"};
    static const size_t lens[] = {24, 4, 4, 11, 8, 4, 2, 4};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tl_adb_status st;
        tl_error err;
        tl_error_clear(&err);
        cr_assert_eq(tl_adb_parse_status(bad[i], lens[i], &st, &err), TL_EBADRESP, "case %zu", i);
        cr_assert_not_null(strstr(err.msg, "adb server"), "%s", err.msg);
        for (const char *p = err.msg; *p; p++)
            cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
                      "unprintable byte in: %s", err.msg);
    }
    tl_adb_status st;
    tl_error err;
    cr_assert_eq(tl_adb_parse_status("HTTP/1.1", 8, &st, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "expected OKAY or FAIL"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "HTTP/1.1"), "the message quotes what came: %s", err.msg);
}

Test(adb_protocol, blocks_and_version)
{
    const char *payload;
    size_t plen, used;
    tl_error err;
    const char b[] = "0004002912";
    cr_assert_eq(tl_adb_parse_block(b, strlen(b), &payload, &plen, &used, &err), TL_OK);
    cr_assert_eq(plen, 4);
    cr_assert_eq(used, 8);
    int v = 0;
    cr_assert_eq(tl_adb_parse_version(payload, plen, &v, &err), TL_OK);
    cr_assert_eq(v, 0x29);
    for (size_t cut = 0; cut < 8; cut++)
        cr_assert_eq(tl_adb_parse_block(b, cut, &payload, &plen, &used, &err), TL_ADB_INCOMPLETE);
    cr_assert_eq(tl_adb_parse_block("0000", 4, &payload, &plen, &used, &err), TL_OK);
    cr_assert_eq(plen, 0);
    cr_assert_eq(tl_adb_parse_block("FFFF", 4, &payload, &plen, &used, &err), TL_ADB_INCOMPLETE);
    cr_assert_eq(tl_adb_parse_block("xx00abc", 7, &payload, &plen, &used, &err), TL_EBADRESP);
    cr_assert_eq(tl_adb_parse_block("0-10", 4, &payload, &plen, &used, &err), TL_EBADRESP);
    cr_assert_eq(tl_adb_parse_version("41", 2, &v, &err), TL_EBADRESP);
    cr_assert_eq(tl_adb_parse_version("00g1", 4, &v, &err), TL_EBADRESP);
    cr_assert_eq(tl_adb_parse_version("002900", 6, &v, &err), TL_EBADRESP);
}

/* ---- host:devices-l ------------------------------------------------------------------------- */

/* As a real adb server (adb 35) writes them: serial padded to 22 columns, the state, then the
 * devpath and key:value fields, transport_id last. */
static const char real_listing[] =
    "emulator-5554          device product:sdk_gphone64_x86_64 model:sdk_gphone64_x86_64 "
    "device:emu64xa transport_id:1\n"
    "R58M123ABCD            unauthorized usb:1-1 transport_id:2\n"
    "0123456789ABCDEF       no permissions (user alice is not in the plugdev group); see "
    "[http://developer.android.com/tools/device.html] usb:1-4 transport_id:3\n"
    "192.168.1.50:5555      offline product:panther model:Pixel_7 device:panther "
    "transport_id:4\n"
    "9A281FFAZ004RC         device usb:3-2 product:husky model:Pixel_8_Pro device:husky "
    "transport_id:12\n";

Test(adb_protocol, devices_l_real)
{
    tl_adb_devices l = {0};
    tl_error err;
    cr_assert_eq(tl_adb_parse_devices(&l, real_listing, strlen(real_listing), &err), TL_OK, "%s",
                 err.msg);
    cr_assert_eq(l.n, 5);
    cr_assert_str_eq(l.items[0].serial, "emulator-5554");
    cr_assert_str_eq(l.items[0].state, "device");
    cr_assert_str_eq(l.items[0].product, "sdk_gphone64_x86_64");
    cr_assert_str_eq(l.items[0].model, "sdk_gphone64_x86_64");
    cr_assert_str_eq(l.items[0].device, "emu64xa");
    cr_assert_str_eq(l.items[0].usb, "");
    cr_assert_eq(l.items[0].transport_id, 1);
    cr_assert(tl_adb_state_ready(l.items[0].state));

    cr_assert_str_eq(l.items[1].serial, "R58M123ABCD");
    cr_assert_str_eq(l.items[1].state, "unauthorized");
    cr_assert_str_eq(l.items[1].usb, "usb:1-1");
    cr_assert_str_eq(l.items[1].model, "");
    cr_assert_not(tl_adb_state_ready(l.items[1].state));

    cr_assert_str_eq(l.items[2].state,
                     "no permissions (user alice is not in the plugdev group); see "
                     "[http://developer.android.com/tools/device.html]");
    cr_assert_str_eq(l.items[2].usb, "usb:1-4");
    cr_assert_eq(l.items[2].transport_id, 3);

    cr_assert_str_eq(l.items[3].serial, "192.168.1.50:5555");
    cr_assert_str_eq(l.items[3].state, "offline");
    cr_assert_str_eq(l.items[3].model, "Pixel_7");

    cr_assert_str_eq(l.items[4].model, "Pixel_8_Pro");
    cr_assert_eq(l.items[4].transport_id, 12);
    tl_adb_devices_dispose(&l);
    cr_assert_eq(l.n, 0);
    cr_assert_null(l.items);
    tl_adb_devices_dispose(NULL);
}

Test(adb_protocol, devices_short_and_odd_lines)
{
    /* host:devices (tabs), the adb client's header, CRLF, blank lines, no serial number */
    const char text[] = "List of devices attached\r\n"
                        "emulator-5556\tdevice\r\n"
                        "\n"
                        "   \t \n"
                        "(no serial number)     device usb:2-1 transport_id:7\n"
                        "HT4CJJT00001\trecovery\n"
                        "abc  sideload product:x unknownkey:1 transport_id:notanumber";
    tl_adb_devices l = {0};
    tl_error err;
    cr_assert_eq(tl_adb_parse_devices(&l, text, strlen(text), &err), TL_OK, "%s", err.msg);
    cr_assert_eq(l.n, 4);
    cr_assert_str_eq(l.items[0].serial, "emulator-5556");
    cr_assert_str_eq(l.items[0].state, "device");
    cr_assert_eq(l.items[0].transport_id, -1);
    cr_assert_str_eq(l.items[1].serial, "(no serial number)");
    cr_assert_str_eq(l.items[1].state, "device");
    cr_assert_eq(l.items[1].transport_id, 7);
    cr_assert_str_eq(l.items[2].state, "recovery");
    cr_assert_str_eq(l.items[3].state, "sideload");
    cr_assert_str_eq(l.items[3].product, "x");
    cr_assert_eq(l.items[3].transport_id, -1);
    tl_adb_devices_dispose(&l);

    cr_assert_eq(tl_adb_parse_devices(&l, "", 0, &err), TL_OK);
    cr_assert_eq(l.n, 0);
}

Test(adb_protocol, devices_garbage)
{
    tl_adb_devices l = {0};
    tl_error err;
    /* a line with a serial and no state */
    const char nostate[] = "emulator-5554          device transport_id:1\nlonely\n";
    cr_assert_eq(tl_adb_parse_devices(&l, nostate, strlen(nostate), &err), TL_EBADRESP);
    cr_assert_eq(l.n, 0, "nothing is kept on failure");
    cr_assert_null(l.items);
    cr_assert_not_null(strstr(err.msg, "line 2"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "lonely"), "%s", err.msg);
    /* only key:value tokens after the serial */
    const char keys[] = "serial product:x model:y\n";
    cr_assert_eq(tl_adb_parse_devices(&l, keys, strlen(keys), &err), TL_EBADRESP);
    /* control bytes and NULs do not reach the strings */
    const char ctl[] = "ser\x1b[31mial\tdev\x07ice model:a\x01"
                       "b\n";
    cr_assert_eq(tl_adb_parse_devices(&l, ctl, sizeof(ctl) - 1, &err), TL_OK);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.items[0].serial, "ser?[31mial");
    cr_assert_str_eq(l.items[0].state, "dev?ice");
    cr_assert_str_eq(l.items[0].model, "a?b");
    tl_adb_devices_dispose(&l);
    const char nul[] = "a\0b device\n";
    cr_assert_eq(tl_adb_parse_devices(&l, nul, sizeof(nul) - 1, &err), TL_OK);
    cr_assert_str_eq(l.items[0].serial, "a?b");
    tl_adb_devices_dispose(&l);
}

Test(adb_protocol, devices_too_many)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    for (int i = 0; i <= TL_ADB_MAX_DEVICES; i++)
        cr_assert_eq(tl_buf_printf(&b, "s%d device\n", i), TL_OK);
    tl_adb_devices l = {0};
    tl_error err;
    cr_assert_eq(tl_adb_parse_devices(&l, b.data, b.len, &err), TL_EBADRESP);
    cr_assert_eq(l.n, 0);
    cr_assert_not_null(strstr(err.msg, "more than"), "%s", err.msg);
    tl_buf_dispose(&b);
}

/* Every prefix and every single-byte corruption of a real listing parses or fails cleanly. */
Test(adb_protocol, devices_every_prefix_and_corruption)
{
    size_t n = strlen(real_listing);
    for (size_t cut = 0; cut <= n; cut++) {
        char *p = malloc(cut ? cut : 1);
        memcpy(p, real_listing, cut);
        tl_adb_devices l = {0};
        tl_error err;
        int rc = tl_adb_parse_devices(&l, p, cut, &err);
        cr_assert(rc == TL_OK || rc == TL_EBADRESP, "cut %zu: %d", cut, rc);
        tl_adb_devices_dispose(&l);
        free(p);
    }
    static const char bytes[] = {'\0', '\n', ' ', '\t', ':', '\r', '\xff', 'x'};
    for (size_t at = 0; at < n; at += 3)
        for (size_t k = 0; k < sizeof(bytes); k++) {
            char *p = malloc(n);
            memcpy(p, real_listing, n);
            p[at] = bytes[k];
            tl_adb_devices l = {0};
            tl_error err;
            int rc = tl_adb_parse_devices(&l, p, n, &err);
            cr_assert(rc == TL_OK || rc == TL_EBADRESP);
            for (size_t i = 0; i < l.n; i++) {
                cr_assert_not_null(l.items[i].serial);
                cr_assert_gt(strlen(l.items[i].state), 0);
            }
            tl_adb_devices_dispose(&l);
            free(p);
        }
}

Test(adb_protocol, devices_find)
{
    tl_adb_devices l = {0};
    tl_error err;
    cr_assert_eq(tl_adb_parse_devices(&l, real_listing, strlen(real_listing), &err), TL_OK);
    bool amb = true;
    const tl_adb_device *d = tl_adb_devices_find(&l, "R58M123ABCD", &amb);
    cr_assert_not_null(d);
    cr_assert_not(amb);
    cr_assert_str_eq(d->state, "unauthorized");
    d = tl_adb_devices_find(&l, "model:Pixel_8_Pro", &amb);
    cr_assert_not_null(d);
    cr_assert_str_eq(d->serial, "9A281FFAZ004RC");
    d = tl_adb_devices_find(&l, "product:panther", NULL);
    cr_assert_str_eq(d->serial, "192.168.1.50:5555");
    d = tl_adb_devices_find(&l, "device:emu64xa", NULL);
    cr_assert_str_eq(d->serial, "emulator-5554");
    d = tl_adb_devices_find(&l, "usb:1-4", NULL);
    cr_assert_str_eq(d->serial, "0123456789ABCDEF");
    cr_assert_null(tl_adb_devices_find(&l, "nope", &amb));
    cr_assert_not(amb);
    cr_assert_null(tl_adb_devices_find(&l, "", &amb));
    cr_assert_null(tl_adb_devices_find(&l, NULL, &amb));
    cr_assert_null(tl_adb_devices_find(&l, "model:", &amb), "an empty field matches nothing");
    cr_assert_null(tl_adb_devices_find(&l, "emulator", &amb), "no prefix matching");
    tl_adb_devices_dispose(&l);

    const char twins[] = "A device model:Pixel_7\nB device model:Pixel_7\n";
    cr_assert_eq(tl_adb_parse_devices(&l, twins, strlen(twins), &err), TL_OK);
    cr_assert_null(tl_adb_devices_find(&l, "model:Pixel_7", &amb));
    cr_assert(amb);
    cr_assert_not_null(tl_adb_devices_find(&l, "B", &amb));
    tl_adb_devices_dispose(&l);
}

Test(adb_protocol, state_advice)
{
    cr_assert_not_null(strstr(tl_adb_state_advice("unauthorized"), "Allow USB debugging"));
    cr_assert_not_null(strstr(tl_adb_state_advice("offline"), "replug"));
    cr_assert_not_null(strstr(tl_adb_state_advice("no permissions (x); see [y]"), "udev"));
    cr_assert_not_null(strstr(tl_adb_state_advice("bootloader"), "reboot"));
    cr_assert_not_null(tl_adb_state_advice("weird"));
    cr_assert_not_null(tl_adb_state_advice(NULL));
    cr_assert_not(tl_adb_state_ready(NULL));
    cr_assert_not(tl_adb_state_ready("devices"));
}

/* ---- shell exit marker ---------------------------------------------------------------------- */

Test(adb_protocol, shell_service_and_exit)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_error err;
    cr_assert_eq(tl_adb_shell_service(&b, "input tap 1 2", &err), TL_OK);
    cr_assert_str_eq(b.data, "shell:input tap 1 2; echo :taploop-exit=$?");
    cr_assert_eq(tl_adb_shell_service(&b, "a\nb", &err), TL_EUSAGE);
    cr_assert_eq(tl_adb_shell_service(&b, "", &err), TL_EUSAGE);
    cr_assert_str_eq(b.data, "shell:input tap 1 2; echo :taploop-exit=$?", "unchanged");
    tl_buf_dispose(&b);

    size_t body;
    int status;
    const char ok[] = "line one\nline two\n:taploop-exit=0\n";
    cr_assert_eq(tl_adb_split_exit(ok, strlen(ok), &body, &status, &err), TL_OK);
    cr_assert_eq(status, 0);
    cr_assert_eq(body, strlen("line one\nline two\n"));

    const char noeol[] = "<hierarchy/>:taploop-exit=1\r\n";
    cr_assert_eq(tl_adb_split_exit(noeol, strlen(noeol), &body, &status, &err), TL_OK);
    cr_assert_eq(status, 1);
    cr_assert_eq(body, strlen("<hierarchy/>"));

    const char notfound[] = "/system/bin/sh: frob: not found\n:taploop-exit=127\n";
    cr_assert_eq(tl_adb_split_exit(notfound, strlen(notfound), &body, &status, &err), TL_OK);
    cr_assert_eq(status, 127);

    /* the command printed the marker itself; ours comes last */
    const char twice[] = ":taploop-exit=0\n:taploop-exit=3\n";
    cr_assert_eq(tl_adb_split_exit(twice, strlen(twice), &body, &status, &err), TL_OK);
    cr_assert_eq(status, 3);
    cr_assert_eq(body, 16);

    const char empty[] = ":taploop-exit=0\n";
    cr_assert_eq(tl_adb_split_exit(empty, strlen(empty), &body, &status, &err), TL_OK);
    cr_assert_eq(body, 0);
}

Test(adb_protocol, shell_exit_missing)
{
    static const char *const bad[] = {
        "",
        "output cut short",
        ":taploop-exit=",
        ":taploop-exit=\n",
        ":taploop-exit=0",
        ":taploop-exit=0\nmore\n",
        ":taploop-exit=256\n",
        ":taploop-exit=12345\n",
        ":taploop-exit=-1\n",
        ":taploop-exit=1x\n",
        ":taploop-exit=0\n\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t body;
        int status;
        tl_error err;
        cr_assert_eq(tl_adb_split_exit(bad[i], strlen(bad[i]), &body, &status, &err), TL_EBADRESP,
                     "case %zu", i);
        cr_assert_not_null(strstr(err.msg, "closed early"), "%s", err.msg);
    }
}

Test(adb_protocol, png_complete)
{
    static const char png[] = "\x89PNG\r\n\x1a\n"
                              "\0\0\0\rIHDR..........."
                              "\0\0\0\0IEND\xae\x42\x60\x82";
    size_t n = sizeof(png) - 1;
    cr_assert(tl_adb_png_complete(png, n));
    cr_assert_not(tl_adb_png_complete(png, n - 1));
    cr_assert_not(tl_adb_png_complete(png, 0));
    cr_assert_not(tl_adb_png_complete("screencap: not found\n", 21));
    char copy[sizeof(png)];
    memcpy(copy, png, sizeof(png));
    copy[1] = 'J';
    cr_assert_not(tl_adb_png_complete(copy, n));
}

Test(adb_protocol, excerpt)
{
    char out[16];
    tl_adb_excerpt(out, sizeof(out), "hello\nworld", 11);
    cr_assert_str_eq(out, "hello...");
    tl_adb_excerpt(out, sizeof(out), "\n\nsecond", 8);
    cr_assert_str_eq(out, "second");
    tl_adb_excerpt(out, sizeof(out), "abcdefghijklmnopqrstuvwxyz", 26);
    cr_assert_eq(strlen(out), 15);
    cr_assert_str_eq(out + 12, "...");
    tl_adb_excerpt(out, sizeof(out), "a\x01\xff", 3);
    cr_assert_str_eq(out, "a??");
    tl_adb_excerpt(out, sizeof(out), "", 0);
    cr_assert_str_eq(out, "");
    char tiny[2];
    tl_adb_excerpt(tiny, sizeof(tiny), "xyz", 3);
    cr_assert_str_eq(tiny, "x");
}
