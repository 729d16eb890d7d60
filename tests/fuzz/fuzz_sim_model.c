/*
 * fuzz_sim_model.c - fuzz the sim driver's phone model loader (drivers/sim/model.c,
 * docs/sim-model.md), which reads the --model JSON file, and, for a model that loads, the
 * first layout and the saved-state loader (persisted phones) with the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent/ui.h"
#include "drivers/sim/sim_int.h"
#include "fuzz.h"

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_sim_model: %s: %s\n", what, detail);
    abort();
}

/* Lay the front screen out, emit it in both wire formats, which the element index must
 * accept, then tap the first listed elements (running the model's operations). */
static void exercise(const struct sim_model *m, struct sim_state *st)
{
    tl_ui *ui = tl_ui_new();
    tl_buf text;
    tl_buf_init(&text, 0);
    tl_error err;
    for (int step = 0; ui && step < 6; step++) {
        struct sim_layout l;
        sim_layout_init(&l);
        if (sim_layout(&l, m, st, &err) != TL_OK) {
            sim_layout_dispose(&l);
            break;
        }
        tl_buf_clear(&text);
        if (sim_emit_uiautomator(&l, &text) == TL_OK &&
            tl_ui_parse(ui, text.data, text.len, NULL, &err) != TL_OK)
            fail("the element index refuses the sim's XML", err.msg);
        tl_buf_clear(&text);
        if (sim_emit_ui_state(&l, m, &text) == TL_OK &&
            tl_ui_parse(ui, text.data, text.len, NULL, &err) != TL_OK)
            fail("the element index refuses the sim's ui-state", err.msg);
        sim_layout_dispose(&l);
        const tl_element *e = tl_ui_by_index(ui, 1 + step * 3);
        if (!e)
            break;
        sim_tap(m, st, e->tap_x, e->tap_y, step == 4, &err);
        if (step == 2)
            sim_type(m, st, "fuzz", false, &err);
        sim_advance(m, st, 1000000LL * (step + 1), &err);
    }
    tl_buf_dispose(&text);
    tl_ui_free(ui);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Models are small hand-written files; the demo phone is about 30 KiB. */
    if (size > ((size_t)256 << 10))
        return 0;
    struct sim_model *m = NULL;
    tl_error err;
    if (sim_model_load(&m, (const char *)data, size, "fuzz.json", &err) == TL_OK) {
        struct sim_state st;
        if (sim_state_init(&st, m, &err) == TL_OK) {
            exercise(m, &st);
            tl_buf saved;
            tl_buf_init(&saved, 0);
            if (sim_state_save(&st, m, &saved) == TL_OK) {
                struct sim_state back;
                if (sim_state_init(&back, m, &err) != TL_OK)
                    fail("a second state", err.msg);
                if (sim_state_load(&back, m, saved.data, saved.len, &err) != TL_OK) {
                    fail("a saved state does not load", err.msg);
                }
                sim_state_dispose(&back, m);
            }
            tl_buf_dispose(&saved);
            sim_state_dispose(&st, m);
        }
        sim_model_free(m);
    }
    return 0;
}
