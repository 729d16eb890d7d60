/*
 * signals.c - the interrupt flag and the second signal's farewell (see signals.h).
 *
 * The handler only reads the farewell: `farewell_len` is cleared before the text is changed and
 * set after, so a signal in between writes nothing rather than half a message.
 */
#include "agent/signals.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"

static volatile sig_atomic_t interrupted;
static char farewell[512];
static volatile sig_atomic_t farewell_len;

static void on_signal(int sig)
{
    (void)sig;
    if (interrupted) { /* a second signal: leave now */
        if (farewell_len > 0) {
            ssize_t w = write(STDERR_FILENO, farewell, (size_t)farewell_len);
            (void)w;
        }
        _exit(TL_EXIT_INTR);
    }
    interrupted = 1;
}

volatile sig_atomic_t *tl_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &interrupted;
}

volatile sig_atomic_t *tl_signals_flag(void)
{
    return &interrupted;
}

void tl_signals_farewell(const char *msg)
{
    farewell_len = 0;
    size_t n = msg ? strlen(msg) : 0;
    if (n >= sizeof(farewell))
        n = sizeof(farewell) - 1;
    memcpy(farewell, msg ? msg : "", n);
    farewell_len = (sig_atomic_t)n;
}
