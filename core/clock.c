/*
 * clock.c - monotonic time and cancellable sleeps (see clock.h).
 */
#include "core/clock.h"

#include <time.h>

#define SLICE_MS 50

long long tl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tl_sleep_ms(long ms, volatile sig_atomic_t *cancel)
{
    long long end = tl_now_ms() + ms;
    for (;;) {
        if (cancel && *cancel)
            return TL_ECANCELED;
        long long left = end - tl_now_ms();
        if (left <= 0)
            return TL_OK;
        long slice = left < SLICE_MS ? (long)left : SLICE_MS;
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void tl_utc_stamp(char *out, size_t size, bool iso)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, size, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y%m%dT%H%M%SZ", &tm);
}
