/*
 * clock.h - monotonic time and sleeps that a cancel flag can cut short.
 */
#ifndef TL_CLOCK_H
#define TL_CLOCK_H

#include <signal.h>

#include "core/status.h"

/** Milliseconds on a monotonic clock (for durations only). */
long long tl_now_ms(void);

/**
 * Sleep ms milliseconds in slices of at most 50 ms, returning early when *cancel (may be NULL)
 * becomes non-zero. @return TL_OK, or TL_ECANCELED when the flag was raised (also when it was
 * raised before the call).
 */
int tl_sleep_ms(long ms, volatile sig_atomic_t *cancel);

#endif
