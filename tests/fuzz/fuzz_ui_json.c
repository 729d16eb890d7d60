/*
 * fuzz_ui_json.c - fuzz the element index's ui-state JSON parser (Mobilerun / Portal shapes),
 * through tl_ui_parse (format detection) and tl_ui_parse_json, then the post-pass (ui_common.h).
 */
#include "ui_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ui_run(tl_ui_parse, data, size);
    fuzz_ui_run(tl_ui_parse_json, data, size);
    return 0;
}
