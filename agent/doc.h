/*
 * doc.h - configuration documents (batch files, and suites later): YAML 1.1 through libyaml
 * (JSON files are YAML, so they load too) into a small read-only tree whose every node knows
 * its line and column, and strict accessors whose errors name the file, the position and the
 * key path, e.g.
 *
 *     batch.yaml:7:16: goals[1].max_steps: expected an integer, not "ten"
 *
 * Hostile input is refused with a clear error, never a crash or a hang: files over
 * TL_DOC_MAX_BYTES, nesting deeper than TL_DOC_MAX_DEPTH, more than TL_DOC_MAX_NODES nodes,
 * scalars over TL_DOC_MAX_SCALAR bytes, aliases (so no "billion laughs" expansion), tags other
 * than the standard ones, several documents in one file, keys that are not scalars, duplicate
 * keys, NUL characters in strings.
 */
#ifndef TL_DOC_H
#define TL_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

#define TL_DOC_MAX_BYTES  ((size_t)8 << 20)  /* a file at most */
#define TL_DOC_MAX_DEPTH  64                 /* nested sequences and mappings */
#define TL_DOC_MAX_NODES  200000             /* nodes in a document (keys included) */
#define TL_DOC_MAX_SCALAR ((size_t)64 << 10) /* bytes of one scalar */

typedef enum tl_doc_kind {
    TL_DOC_NULL,   /**< an empty value, ~ or null (unquoted) */
    TL_DOC_SCALAR, /**< any other scalar: a string, number or boolean as written */
    TL_DOC_SEQ,    /**< a sequence (list) */
    TL_DOC_MAP,    /**< a mapping */
} tl_doc_kind;

/** A node of the tree; plain data owned by its tl_doc. */
typedef struct tl_doc_node {
    tl_doc_kind kind;
    int line, col; /**< 1-based position of the node's first character */
    char *text;    /**< scalar: its value, NUL-terminated ("" for TL_DOC_NULL and containers) */
    size_t len;    /**< strlen(text) */
    bool quoted; /**< a quoted or block scalar, or tagged !!str: a string whatever it looks like */
    struct tl_doc_node **items; /**< sequence: n items; mapping: 2n nodes, key then value */
    size_t n;                   /**< items of a sequence, pairs of a mapping */
} tl_doc_node;

typedef struct tl_doc tl_doc;

/**
 * Parse a document from memory. `name` (copied) is the file name used in messages.
 * Caller frees *out with tl_doc_free().
 * @return TL_OK; TL_EPARSE with "NAME:LINE:COL: ..." for a syntax error or a refused construct
 *         (see the file comment), or "NAME: the file is empty" for a file without a document;
 *         TL_ENOMEM.
 */
int tl_doc_parse(tl_doc **out, const char *text, size_t len, const char *name, tl_error *err);

/**
 * Read and parse a file. @return as tl_doc_parse(), and TL_EIO when the file cannot be read
 * or is larger than TL_DOC_MAX_BYTES (the message names it).
 */
int tl_doc_load(tl_doc **out, const char *path, tl_error *err);

/** Free a document and all its nodes. NULL is accepted. */
void tl_doc_free(tl_doc *d);

/** The root node (never NULL for a parsed document). Borrowed from d. */
const tl_doc_node *tl_doc_root(const tl_doc *d);

/** The file name given to tl_doc_parse(). Borrowed from d. */
const char *tl_doc_name(const tl_doc *d);

/** "null", "a string", "a list" or "a mapping": what a node is, for messages. */
const char *tl_doc_kind_name(const tl_doc_node *n);

/** The value of `key` in a mapping, or NULL when absent (or when map is not a mapping). */
const tl_doc_node *tl_doc_get(const tl_doc_node *map, const char *key);

/**
 * Record an error about node n (may be NULL: the file only) at key path `path` (may be NULL or
 * ""): "NAME:LINE:COL: PATH: message". @return TL_EPARSE.
 */
int tl_doc_error(const tl_doc *d, const tl_doc_node *n, const char *path, tl_error *err,
                 const char *fmt, ...) TL_PRINTF(5, 6);

/**
 * Check that n is a mapping whose keys are all in the NULL-terminated list `allowed`.
 * @return TL_OK; TL_EPARSE naming the path and the first unknown key, with the known ones.
 */
int tl_doc_check_keys(const tl_doc *d, const tl_doc_node *n, const char *path,
                      const char *const *allowed, tl_error *err);

/**
 * A scalar as a string (numbers and booleans as written), non-empty. *out is borrowed from d.
 * @return TL_OK; TL_EPARSE for null, an empty string, a list or a mapping.
 */
int tl_doc_string(const tl_doc *d, const tl_doc_node *n, const char *path, const char **out,
                  tl_error *err);

/**
 * An unquoted decimal integer in [min, max].
 * @return TL_OK; TL_EPARSE for anything else (a quoted "30" is a string), naming the range.
 */
int tl_doc_int(const tl_doc *d, const tl_doc_node *n, const char *path, long min, long max,
               long *out, tl_error *err);

/** Write "PARENT.KEY" (key != NULL) or "PARENT[INDEX]" into out; a NULL or "" parent gives
 * just "KEY" or "[INDEX]". */
void tl_doc_path(char *out, size_t size, const char *parent, const char *key, size_t index);

#endif
