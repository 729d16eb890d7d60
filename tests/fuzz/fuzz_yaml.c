/*
 * fuzz_yaml.c - fuzz the batch and suite file loaders (agent/batch.h, agent/suite.h, both on
 * agent/doc.h's strict YAML/JSON reader): the first byte picks the loader, the rest is the file.
 * An accepted batch has devices (or `all`) and goals; every error message names the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/batch.h"
#include "agent/suite.h"
#include "fuzz.h"

/* Larger files only slow the fuzzer down: the reader refuses over 8 MiB anyway. */
#define MAX_INPUT ((size_t)256 << 10)

static void check_message(const tl_error *err)
{
    if (strncmp(err->msg, "fuzz.yaml", 9) != 0 && err->code == TL_EPARSE) {
        fprintf(stderr, "fuzz_yaml: a parse error that does not name the file: %s\n", err->msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned which = 0;
    if (!fuzz_pick(&data, &size, 2, &which) || size > MAX_INPUT)
        return 0;
    tl_error err;
    tl_error_clear(&err);
    if (which == 0) {
        tl_batch_file f;
        int rc = tl_batch_file_parse(&f, (const char *)data, size, "fuzz.yaml", &err);
        if (rc == TL_OK && (f.n_goals == 0 || (!f.all_devices && f.n_devices == 0))) {
            fprintf(stderr, "fuzz_yaml: an accepted batch without devices or goals\n");
            abort();
        }
        if (rc != TL_OK)
            check_message(&err);
        tl_batch_file_dispose(&f);
    } else {
        tl_suite s;
        if (tl_suite_parse(&s, (const char *)data, size, "fuzz.yaml", &err) != TL_OK)
            check_message(&err);
        tl_suite_dispose(&s);
    }
    return 0;
}
