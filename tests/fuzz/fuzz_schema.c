/*
 * fuzz_schema.c - fuzz the --output-schema subset (agent/schema.h): the input is a schema,
 * optionally followed by a FUZZ_SEPARATOR line and an instance to validate against it (the
 * model's `done.output`). Without an instance, the schema's own text is validated against it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent/schema.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t schema_len, inst_len;
    const uint8_t *inst;
    fuzz_split(data, size, &schema_len, &inst, &inst_len);
    tl_schema *s = NULL;
    tl_error err;
    if (tl_schema_load(&s, (const char *)data, schema_len, "fuzz.json", &err) == TL_OK) {
        const char *text = tl_schema_text(s);
        if (!text) {
            fprintf(stderr, "fuzz_schema: loaded schema without text\n");
            abort();
        }
        if (inst_len)
            tl_schema_validate(s, (const char *)inst, inst_len, &err);
        else
            tl_schema_validate(s, text, strlen(text), &err);
        tl_schema_validate(s, NULL, 0, &err);
        /* The compact text must load again as the same schema. */
        tl_schema *again = NULL;
        if (tl_schema_load(&again, text, strlen(text), "again.json", &err) != TL_OK) {
            fprintf(stderr, "fuzz_schema: the schema's own text does not load: %s\n", err.msg);
            abort();
        }
        tl_schema_free(again);
    }
    tl_schema_free(s);
    return 0;
}
