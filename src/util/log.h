/*
 * log.h -- logging for programs (never for libraries: libraries return codes
 * and let the caller decide). A Log is owned by main() or by Bus/Launcher and
 * passed down; there is no global logger.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include "util/macro.h"

enum {
        LOG_LEVEL_ERR = 3,
        LOG_LEVEL_WARNING = 4,
        LOG_LEVEL_NOTICE = 5,
        LOG_LEVEL_INFO = 6,
        LOG_LEVEL_DEBUG = 7,
};

typedef struct Log {
        int fd;           /* where lines go; -1 = nowhere */
        int max_level;    /* lines above this level are dropped */
        const char *prefix; /* "bulkhead-bus" etc.; not owned */
} Log;

#define LOG_INIT(p) ((Log){ .fd = 2, .max_level = LOG_LEVEL_INFO, .prefix = (p) })

void log_printf(const Log *log, int level, const char *fmt, ...) _printf_(3, 4);
void log_vprintf(const Log *log, int level, const char *fmt, va_list ap);

#define log_err(l, ...)     log_printf((l), LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warning(l, ...) log_printf((l), LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(l, ...)  log_printf((l), LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(l, ...)    log_printf((l), LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(l, ...)   log_printf((l), LOG_LEVEL_DEBUG, __VA_ARGS__)
