/*
 * fuzz_ui_xml.c - fuzz the element index's uiautomator XML parser,
 * through tl_ui_parse (format detection) and tl_ui_parse_xml, then the post-pass (ui_common.h).
 */
#include "ui_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ui_run(tl_ui_parse, data, size);
    fuzz_ui_run(tl_ui_parse_xml, data, size);
    return 0;
}
