/*
 * migrate.h -- `bulkhead migrate VM URI`: QEMU migration with the helpers'
 * state (org.qemu.VMState1), checked helper by helper.
 *
 * QEMU runs with -sandbox spawn=deny, so it cannot run an exec: target and
 * should not open files itself: bulkhead opens the target (runs the exec:
 * command, opens the file or connects the socket), hands QEMU the fd with
 * QMP `getfd`, and migrates to `fd:NAME`. QEMU 7.2 reports a migration
 * "completed" even when a helper's Save failed (docs/helper.md), so every
 * helper's org.bulkhead.Helper1 record is read before and after, and the
 * migration fails naming the helper when its Save did not succeed.
 *
 * Must never: report success when a helper's state is missing; leave the
 * target's fd or child process behind; block on QMP without a timeout.
 */
#pragma once

#include "launcher/qmp.h"
#include "util/log.h"

/* positive result codes (expected outcomes, see util/error.h) */
enum {
        MIGRATE_E_URI = 1,  /* the URI is not one we can open */
        MIGRATE_E_TARGET,   /* the target could not be opened, or its command failed */
        MIGRATE_E_QEMU,     /* QEMU refused or reported the migration failed */
        MIGRATE_E_HELPER,   /* a helper's state is missing or could not be checked */
        MIGRATE_E_TIMEOUT,  /* no final status within the timeout */
};

typedef struct MigrateOptions {
        const char *uri;          /* exec:CMD | file:PATH | unix:PATH | tcp:HOST:PORT */
        const char *bus_address;  /* the VM bus, to check the helpers */
        char *const *vmstate_ids; /* NULL-terminated: the id-list QEMU was started with */
        int timeout_ms;           /* for the whole migration; 0 = 10 minutes */
        bool resume_on_failure;   /* `cont` the source if it was running and we fail */
} MigrateOptions;

/**
 * migrate_run() - migrate the VM behind @qmp to @o->uri and check every helper.
 * @qmp: a connected QMP client (the supervisor's; events seen meanwhile go to
 *       its handler).
 * @o: what and where.
 * @log: progress lines (info) and the reason of a failure (err).
 * @ret_error: optional; on a positive or negative result, a one-line reason
 *       (malloc()ed) naming the helper when one is at fault.
 *
 * Steps: read each helper's SaveCount (ListQueuedOwners of org.qemu.VMState1,
 * then org.bulkhead.Helper1 on each; every Id in @o->vmstate_ids must have
 * exactly one owner); open the target; `getfd` + `migrate fd:...`; poll
 * `query-migrate` and log progress; wait for the exec: command; read each
 * helper's record again: SaveCount must have grown by one with status "ok".
 * On success the source is left paused (postmigrate) for the caller to stop.
 *
 * Return: 0; MIGRATE_E_*; or a negative errno.
 */
int migrate_run(Qmp *qmp, const MigrateOptions *o, Log *log, char **ret_error);

/**
 * migrate_run_path() - migrate_run() with its own QMP connection to @qmp_path
 * (for when nobody else holds QEMU's QMP socket, e.g. tests).
 * @qmp_path: QEMU's QMP UNIX socket.
 * @o, @log, @ret_error: as for migrate_run().
 *
 * Return: as migrate_run().
 */
int migrate_run_path(const char *qmp_path, const MigrateOptions *o, Log *log, char **ret_error);

/**
 * migrate_incoming() - the destination side: load the stream into a QEMU
 * started with `-incoming defer` and check every helper's Load.
 * @qmp: a connected QMP client.
 * @o: @o->uri is the source: exec:CMD (its stdout is the stream),
 *     file:PATH (read), unix:PATH or tcp:HOST:PORT (connected);
 *     resume_on_failure is ignored.
 * @log, @ret_error: as for migrate_run().
 *
 * Helpers are checked as for migrate_run() but with LoadCount and
 * LastLoadStatus. QEMU 7.2 exits when loading fails (a helper refused its
 * state, or a source helper's state is missing): that is MIGRATE_E_QEMU.
 *
 * Return: as migrate_run().
 */
int migrate_incoming(Qmp *qmp, const MigrateOptions *o, Log *log, char **ret_error);

/**
 * migrate_incoming_path() - migrate_incoming() with its own QMP connection.
 * @qmp_path, @o, @log, @ret_error: as for migrate_run_path().
 *
 * Return: as migrate_run().
 */
int migrate_incoming_path(const char *qmp_path, const MigrateOptions *o, Log *log,
                          char **ret_error);
