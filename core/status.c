/*
 * status.c - status code texts and the error detail record (see status.h).
 */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct status_info {
    int code;
    int exit_class;
    const char *name;
    const char *text;
};

#define TL_EXITCLS_USAGE TL_EXIT_USAGE
#define TL_EXITCLS_FAIL  TL_EXIT_FAIL
#define TL_EXITCLS_INFRA TL_EXIT_INFRA
#define TL_EXITCLS_INTR  TL_EXIT_INTR

static const struct status_info status_table[] = {
#define TL_X_INFO(name, cls, text) {TL_##name, TL_EXITCLS_##cls, #name, text},
    TL_STATUS_MAP(TL_X_INFO)
#undef TL_X_INFO
};

static const struct status_info *find_status(int code)
{
    for (size_t i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++)
        if (status_table[i].code == code)
            return &status_table[i];
    return NULL;
}

const char *tl_strerror(int code)
{
    if (code == TL_OK)
        return "success";
    const struct status_info *s = find_status(code);
    return s ? s->text : "unknown error";
}

const char *tl_err_name(int code)
{
    if (code == TL_OK)
        return "OK";
    const struct status_info *s = find_status(code);
    return s ? s->name : "EUNKNOWN";
}

int tl_exit_class(int code)
{
    if (code == TL_OK)
        return TL_EXIT_OK;
    const struct status_info *s = find_status(code);
    return s ? s->exit_class : TL_EXIT_INFRA;
}

void tl_error_clear(tl_error *err)
{
    if (!err)
        return;
    err->code = TL_OK;
    err->msg[0] = '\0';
}

static void mark_truncated(char *buf, size_t size, int written)
{
    if (written >= 0 && (size_t)written >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

int tl_error_set(tl_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        err->msg[0] = '\0';
    mark_truncated(err->msg, sizeof(err->msg), n);
    return code;
}

int tl_error_prefix(tl_error *err, const char *fmt, ...)
{
    if (!err)
        return TL_OK;
    char prefix[TL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->code;
    char old[TL_ERROR_MSG_MAX];
    memcpy(old, err->msg, sizeof(old));
    n = snprintf(err->msg, sizeof(err->msg), "%s%s", prefix, old);
    mark_truncated(err->msg, sizeof(err->msg), n);
    return err->code;
}
