/*
 * signals.h - SIGINT and SIGTERM for the commands that run loops (run, batch): the first
 * signal sets a flag that the loop, the HTTP layer and the drivers check, so work stops within a
 * moment, trajectories are flushed and devices released (exit 130); a second signal leaves at
 * once, first writing the command's farewell (what it leaves behind) on stderr.
 */
#ifndef TL_SIGNALS_H
#define TL_SIGNALS_H

#include <signal.h>

/**
 * Install the handlers (idempotent). @return the flag, non-zero once a signal arrived; it lives
 * for the whole process. Not thread-safe: call from the main thread before starting workers.
 */
volatile sig_atomic_t *tl_signals_install(void);

/** The flag, whether or not the handlers are installed yet (for configuring before). */
volatile sig_atomic_t *tl_signals_flag(void);

/**
 * Set what a second signal writes before leaving (copied, at most 511 bytes; NULL or "": only
 * leave). Call in normal context; safe against the handler running at any moment.
 */
void tl_signals_farewell(const char *msg);

#endif
