/*
 * log.c -- one line per call, written with a single write() so lines from
 * several processes sharing a terminal do not interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "util/log.h"

/**
 * log_vprintf() - write one log line "PREFIX: TEXT\n" to @log->fd.
 * Lines above @log->max_level, or with no fd, are dropped. errno is kept.
 */
void log_vprintf(const Log *log, int level, const char *fmt, va_list ap)
{
        char line[2048];
        int n = 0, m;
        int saved = errno;

        if (!log || log->fd < 0 || level > log->max_level)
                return;
        if (log->prefix)
                n = snprintf(line, sizeof(line), "%s: ", log->prefix);
        if (n < 0)
                n = 0;
        m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        if (m < 0)
                m = 0;
        n += m;
        if ((size_t)n >= sizeof(line) - 1)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        (void)!write(log->fd, line, (size_t)n);
        errno = saved;
}

/** log_printf() - printf-style front of log_vprintf(). */
void log_printf(const Log *log, int level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_vprintf(log, level, fmt, ap);
        va_end(ap);
}
