/*
 * log.h - progress and diagnostics on stderr, filtered by one process-wide verbosity.
 *
 * The verbosity is set once at startup (tl_log_set_level) before any thread starts, and only read
 * afterwards. Lines are written with a single write() each so that lines from several threads do
 * not interleave. Nothing secret is ever passed to these functions (SPEC §1).
 */
#ifndef TL_LOG_H
#define TL_LOG_H

#include "core/status.h"

enum tl_log_level {
    TL_LOG_QUIET = 0, /* errors only */
    TL_LOG_INFO = 1,  /* progress (default) */
    TL_LOG_DEBUG = 2, /* -v */
};

/** Set the process-wide verbosity (call before starting threads). */
void tl_log_set_level(int level);

/** Current verbosity. */
int tl_log_level(void);

/** Write "taploop: <message>\n" to stderr when level <= the verbosity. */
void tl_log(int level, const char *fmt, ...) TL_PRINTF(2, 3);

/** Write "taploop: <message>\n" to stderr whatever the verbosity (errors). */
void tl_log_error(const char *fmt, ...) TL_PRINTF(1, 2);

#endif
