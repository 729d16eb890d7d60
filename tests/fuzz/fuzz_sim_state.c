/*
 * fuzz_sim_state.c - fuzz the loader of a persisted sim phone (drivers/sim/state.c,
 * sim_state_load): the state file the sim driver reads back between `observe` and `act` calls,
 * against the built-in demo model. A state that loads is laid out and saved again, and the
 * saved text must load again.
 */
#include <stdio.h>
#include <stdlib.h>

#include "drivers/sim/sim_int.h"
#include "fuzz.h"

static struct sim_model *model;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_sim_state: %s: %s\n", what, detail);
    abort();
}

static void free_model(void)
{
    sim_model_free(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_error err;
    if (!model) {
        if (sim_model_load(&model, tl_sim_demo_model, tl_sim_demo_model_len, "built-in", &err))
            fail("the demo model does not load", err.msg);
        atexit(free_model);
    }
    struct sim_state st;
    if (sim_state_init(&st, model, &err) != TL_OK)
        fail("state init", err.msg);
    if (sim_state_load(&st, model, (const char *)data, size, &err) == TL_OK) {
        struct sim_layout l;
        sim_layout_init(&l);
        sim_layout(&l, model, &st, &err);
        sim_layout_dispose(&l);
        tl_buf saved;
        tl_buf_init(&saved, 0);
        if (sim_state_save(&st, model, &saved) == TL_OK) {
            struct sim_state back;
            if (sim_state_init(&back, model, &err) != TL_OK)
                fail("state init", err.msg);
            if (sim_state_load(&back, model, saved.data, saved.len, &err) != TL_OK)
                fail("a saved state does not load again", err.msg);
            sim_state_dispose(&back, model);
        }
        tl_buf_dispose(&saved);
    }
    sim_state_dispose(&st, model);
    return 0;
}
