/*
 * str.h - small string helpers shared by every module.
 */
#ifndef TL_STR_H
#define TL_STR_H

#include <stdbool.h>
#include <stddef.h>

/** Copy a NUL-terminated string. Caller frees. @return NULL when s is NULL or out of memory. */
char *tl_strdup(const char *s);

/** Copy n bytes and NUL-terminate. Caller frees. @return NULL when out of memory. */
char *tl_strndup(const char *s, size_t n);

/** true if s starts with prefix. */
bool tl_str_starts(const char *s, const char *prefix);

/** Overwrite a string's bytes with zeros (for secrets), then free it. NULL is accepted. */
void tl_str_wipe_free(char *s);

#endif
