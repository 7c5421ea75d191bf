/*
 * qmp.h -- a small QMP client on a UNIX socket: greeting, qmp_capabilities,
 * commands with their replies, and asynchronous events.
 *
 * QMP sends one JSON object per line. We do not build a JSON tree: a message
 * is classified by its top-level keys ("QMP", "return", "error", "event")
 * and handed to the caller as text.
 *
 * Must never: block without a timeout, or trust the peer's lengths.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/macro.h"

#define QMP_MAX_MESSAGE (1024 * 1024)

/* positive result codes */
enum {
        QMP_E_ERROR = 1, /* QEMU answered {"error": ...} */
        QMP_E_PROTOCOL,  /* not QMP, or too long */
        QMP_E_TIMEOUT,
};

typedef struct Qmp Qmp;

/* called for each event seen while waiting for a reply; @msg is the whole line */
typedef void (*QmpEventFn)(void *userdata, const char *event, const char *msg);

/* qmp_connect() - connect to @path, read the greeting, enter command mode. */
int qmp_connect(const char *path, int timeout_ms, Qmp **ret);
Qmp *qmp_free(Qmp *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(Qmp *, qmp_free);

void qmp_set_event_handler(Qmp *q, QmpEventFn fn, void *userdata);
int qmp_fd(const Qmp *q);

/*
 * qmp_execute() - send {"execute": @command[, "arguments": @arguments_json]}
 * and wait for its answer. @ret_reply (optional) gets the whole reply line
 * (also for QMP_E_ERROR). Returns 0, QMP_E_*, or -errno (-ECONNRESET when
 * QEMU went away: for "quit" that is success, see qmp_quit()).
 */
int qmp_execute(Qmp *q, const char *command, const char *arguments_json, int timeout_ms, char **ret_reply);

/* qmp_process() - read what is there and dispatch events (after poll says readable). */
int qmp_process(Qmp *q);

/* qmp_quit() - ask QEMU to quit; 0 when it answered or hung up. */
int qmp_quit(Qmp *q, int timeout_ms);

/* qmp_top_value() - the text of top-level key @key's value in @msg, or NULL (points into @msg). */
const char *qmp_top_value(const char *msg, const char *key);
