/*
 * fuzz_prompt.c - fuzz the prompt template checker and renderer (planner/prompt.h): the
 * templates of --prompts DIR are user files. A template that passes tl_prompt_check is
 * rendered with every step variable set (and again with every one empty, so that every
 * section is dropped).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "fuzz.h"
#include "planner/prompt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > ((size_t)64 << 10))
        return 0;
    char *tmpl = fuzz_strndup(data, size);
    if (!tmpl)
        return 0;
    tl_error err;
    if (tl_prompt_check(tmpl, tl_prompt_step_names, "step.txt", &err) == TL_OK) {
        tl_prompt_var vars[32];
        size_t n = 0;
        for (; tl_prompt_step_names[n] && n < 32; n++) {
            vars[n].name = tl_prompt_step_names[n];
            vars[n].value = n % 3 ? "value {{goal}}\n" : "x";
        }
        tl_buf out;
        tl_buf_init(&out, 0);
        if (tl_prompt_render(tmpl, vars, n, &out) != TL_OK) {
            fprintf(stderr, "fuzz_prompt: a checked template does not render\n");
            abort();
        }
        for (size_t i = 0; i < n; i++)
            vars[i].value = "";
        tl_buf_clear(&out);
        tl_prompt_render(tmpl, vars, n, &out);
        tl_buf_dispose(&out);
    }
    free(tmpl);
    return 0;
}
