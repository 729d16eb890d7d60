/*
 * fuzz_adbshell.c - fuzz the parsers of Android shell output shared by the adb and ArmCloud
 * drivers (drivers/adbshell.h): `am start`/`monkey` checks, `uiautomator dump` checks, finding
 * the XML document in a dump, file sizes, `wm size`, `dumpsys window` focus, `pm list packages`
 * and the input-method check. The first byte picks the parser, the rest is the output.
 */
#include <stdio.h>
#include <stdlib.h>

#include "drivers/adbshell.h"
#include "fuzz.h"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_adbshell: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned which;
    if (!fuzz_pick(&data, &size, 8, &which))
        return 0;
    const char *out = (const char *)data;
    tl_error err;
    switch (which) {
    case 0: tl_shell_check_start(out, size, "com.example.app", &err); break;
    case 1: tl_shell_check_dump(out, size, &err); break;
    case 2: {
        size_t start, len;
        if (tl_shell_find_xml(out, size, &start, &len, &err) == TL_OK &&
            (start > size || len > size - start))
            fail("find_xml range outside the output");
        break;
    }
    case 3: {
        size_t n;
        tl_shell_parse_size(out, size, &n, &err);
        break;
    }
    case 4: {
        int w, h;
        tl_shell_parse_wm_size(out, size, &w, &h, &err);
        break;
    }
    case 5: {
        char pkg[128];
        if (tl_shell_parse_focus(out, size, pkg, sizeof pkg, &err) == TL_OK &&
            strlen(pkg) >= sizeof pkg)
            fail("focus package overflow");
        break;
    }
    case 6: {
        tl_app_list apps = {0};
        tl_shell_parse_packages(out, size, &apps, &err);
        tl_app_list_dispose(&apps);
        break;
    }
    default: tl_shell_is_adb_keyboard(out, size); break;
    }
    return 0;
}
