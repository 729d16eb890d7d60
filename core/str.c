/*
 * str.c - small string helpers (see str.h).
 */
#include "core/str.h"

#include <stdlib.h>
#include <string.h>

char *tl_strdup(const char *s)
{
    return s ? tl_strndup(s, strlen(s)) : NULL;
}

char *tl_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

bool tl_str_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

void tl_str_wipe_free(char *s)
{
    if (!s)
        return;
    /* volatile so that the compiler keeps the stores before free() */
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}
