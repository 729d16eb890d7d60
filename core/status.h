/*
 * status.h - the one list of taploop status codes, and the error detail record.
 *
 * Every fallible function returns an int status (TL_OK or a negative TL_E* code) and, when the
 * caller passes a tl_error, fills it with a human message written where the failure happened.
 * The list below generates the enum, tl_strerror() and tl_err_name(), so they cannot drift.
 * The CLI maps codes to exit codes in one place (agent/cli.c, tl_exit_code()).
 */
#ifndef TL_STATUS_H
#define TL_STATUS_H

#include <stddef.h>

#if defined(__GNUC__)
#define TL_PRINTF(fmt_idx, first_arg) __attribute__((format(printf, fmt_idx, first_arg)))
#else
#define TL_PRINTF(fmt_idx, first_arg)
#endif

/*
 * X(NAME, exit-class, text). Exit classes: USAGE (2), FAIL (1), INFRA (3), INTR (130).
 */
#define TL_STATUS_MAP(X)                                   \
    X(EUSAGE, USAGE, "usage or configuration error")       \
    X(EIO, USAGE, "file could not be read or written")     \
    X(EPARSE, USAGE, "invalid input")                      \
    X(EUNSUPPORTED, USAGE, "not supported by this driver") \
    X(EREJECTED, FAIL, "action rejected")                  \
    X(ENOTFOUND, INFRA, "not found")                       \
    X(EAUTH, INFRA, "authentication rejected")             \
    X(ENET, INFRA, "network error")                        \
    X(ETIMEOUT, INFRA, "timed out")                        \
    X(ENOTREADY, INFRA, "device not ready")                \
    X(EBADRESP, INFRA, "bad response")                     \
    X(ENOMEM, INFRA, "out of memory")                      \
    X(ECANCELED, INTR, "interrupted")

enum tl_status {
    TL_OK = 0,
#define TL_X_ENUM(name, cls, text) TL_##name,
    TL__FIRST_ERROR = -100,
    TL_STATUS_MAP(TL_X_ENUM)
#undef TL_X_ENUM
        TL__LAST_ERROR
};

/** Exit-code classes of SPEC §2. */
enum tl_exit_class {
    TL_EXIT_OK = 0,
    TL_EXIT_FAIL = 1,
    TL_EXIT_USAGE = 2,
    TL_EXIT_INFRA = 3,
    TL_EXIT_INTR = 130,
};

/** Size of the message buffer in a tl_error, including the terminating NUL. */
#define TL_ERROR_MSG_MAX 768

/**
 * Error detail: the status code and a message for humans, written once where the failure
 * happened. A plain struct owned by the caller; no allocation.
 */
typedef struct tl_error {
    int code;                   /**< TL_OK or a TL_E* code */
    char msg[TL_ERROR_MSG_MAX]; /**< human message; "" when code is TL_OK */
} tl_error;

/**
 * Short text for a status code, e.g. "network error". Never NULL; unknown codes give
 * "unknown error".
 */
const char *tl_strerror(int code);

/** Symbolic name of a status code, e.g. "ENET"; "OK" for TL_OK. Never NULL. */
const char *tl_err_name(int code);

/** Exit class (SPEC §2) of a status code: 0, 1, 2, 3 or 130. */
int tl_exit_class(int code);

/** Reset an error record to TL_OK with an empty message. NULL is accepted. */
void tl_error_clear(tl_error *err);

/**
 * Record an error: sets err->code and formats the message. NULL err is accepted (the message
 * is dropped). Messages longer than the buffer are truncated with "...".
 * @return code, so that `return tl_error_set(err, TL_EIO, "...")` reads naturally.
 */
int tl_error_set(tl_error *err, int code, const char *fmt, ...) TL_PRINTF(3, 4);

/**
 * Prefix an existing error message with context ("while X: " + old message), keeping the code.
 * NULL err is accepted. @return err->code (or TL_OK for NULL).
 */
int tl_error_prefix(tl_error *err, const char *fmt, ...) TL_PRINTF(2, 3);

#endif
