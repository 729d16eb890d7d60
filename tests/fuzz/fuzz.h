/*
 * fuzz.h - helpers shared by the fuzz targets of tests/fuzz/ (header-only, static functions).
 *
 * Several targets fuzz more than one parser: the first input byte then picks the parser
 * (fuzz_pick) and the rest is the parser's input. Inputs that need two parts (a schema and an
 * instance, a cassette and the requests replayed against it) are split at the first
 * FUZZ_SEPARATOR line.
 */
#ifndef TL_FUZZ_H
#define TL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/** The libFuzzer entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** The line that separates the parts of a two-part input. */
#define FUZZ_SEPARATOR "\n--8<--\n"

/** A NUL-terminated heap copy of n bytes (for parsers that want a C string). Caller frees. */
static inline char *fuzz_strndup(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, data, n);
        s[n] = '\0';
    }
    return s;
}

/** Take the selector byte: *which = data[0] % n, the rest in *data and *size. 0 if empty. */
static inline int fuzz_pick(const uint8_t **data, size_t *size, unsigned n, unsigned *which)
{
    if (*size == 0)
        return 0;
    *which = (*data)[0] % n;
    (*data)++;
    (*size)--;
    return 1;
}

/**
 * Split at the first FUZZ_SEPARATOR: the first part is [data, *first_len), the second starts at
 * *second and is *second_len bytes. Without a separator the whole input is the first part and
 * the second is empty.
 */
static inline void fuzz_split(const uint8_t *data, size_t size, size_t *first_len,
                              const uint8_t **second, size_t *second_len)
{
    static const char sep[] = FUZZ_SEPARATOR;
    size_t sl = sizeof sep - 1;
    for (size_t i = 0; i + sl <= size; i++) {
        if (memcmp(data + i, sep, sl) == 0) {
            *first_len = i;
            *second = data + i + sl;
            *second_len = size - i - sl;
            return;
        }
    }
    *first_len = size;
    *second = data + size;
    *second_len = 0;
}

#endif
