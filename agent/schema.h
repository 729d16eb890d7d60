/*
 * schema.h - validating a run's structured output (`done.output`) against the JSON Schema given
 * with --output-schema.
 *
 * Supported keywords: type (one name or a list: object, array, string, number, integer,
 * boolean, null), properties, required, items (one schema), enum, additionalProperties (true,
 * false or a schema), const; and the annotations $schema, $id, $comment, title, description,
 * examples, default, which are ignored. Any other keyword is refused when the schema is loaded,
 * naming it, so that a schema never silently promises more than is checked.
 */
#ifndef TL_SCHEMA_H
#define TL_SCHEMA_H

#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

typedef struct tl_schema tl_schema;

/**
 * Load a schema from JSON text. `origin` names it in messages (a path).
 * @return TL_OK; TL_EPARSE naming the origin and the key path of a bad or unsupported keyword
 *         (e.g. "schema.json: properties.name.pattern: unsupported keyword"); TL_ENOMEM.
 */
int tl_schema_load(tl_schema **out, const char *json, size_t len, const char *origin,
                   tl_error *err);

void tl_schema_free(tl_schema *s);

/** The schema as compact JSON (to show the model). Borrowed from s. */
const char *tl_schema_text(const tl_schema *s);

/**
 * Validate an instance (JSON text; NULL or "" means the output is missing).
 * @return TL_OK; TL_EREJECTED with up to 5 problems, each with the instance path, e.g.
 *         "output.version: expected string, got number; output: missing required property
 *         \"model\""; TL_EPARSE if the instance is not JSON.
 */
int tl_schema_validate(const tl_schema *s, const char *instance, size_t len, tl_error *err);

#endif
