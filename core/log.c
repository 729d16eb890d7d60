/*
 * log.c - stderr logging (see log.h). Each line is formatted into a local buffer and written
 * with one write() so concurrent lines stay whole.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_level = TL_LOG_INFO;

void tl_log_set_level(int level)
{
    log_level = level;
}

int tl_log_level(void)
{
    return log_level;
}

static void vlog_line(const char *fmt, va_list ap)
{
    char line[2048];
    int n = snprintf(line, sizeof(line), "taploop: ");
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void tl_log(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog_line(fmt, ap);
    va_end(ap);
}

void tl_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_line(fmt, ap);
    va_end(ap);
}
