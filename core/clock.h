/*
 * clock.h - monotonic time, sleeps that a cancel flag can cut short, UTC time stamps.
 */
#ifndef TL_CLOCK_H
#define TL_CLOCK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/** Milliseconds on a monotonic clock (for durations only). */
long long tl_now_ms(void);

/**
 * Sleep ms milliseconds in slices of at most 50 ms, returning early when *cancel (may be NULL)
 * becomes non-zero. @return TL_OK, or TL_ECANCELED when the flag was raised (also when it was
 * raised before the call).
 */
int tl_sleep_ms(long ms, volatile sig_atomic_t *cancel);

/** The UTC time now into out: "20240102T030405Z" (iso false, for file names) or
 *  "2024-01-02T03:04:05Z" (iso true). */
void tl_utc_stamp(char *out, size_t size, bool iso);

#endif
