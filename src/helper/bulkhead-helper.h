/*
 * bulkhead-helper.h -- libbulkhead-helper, the public C API for writing a
 * bulkhead helper: a process that serves one VM on that VM's private D-Bus bus.
 *
 * What the library does for a helper:
 *   - connects to the VM bus named by the launcher (BULKHEAD_BUS_ADDRESS,
 *     falling back to DBUS_SESSION_BUS_ADDRESS);
 *   - exports org.qemu.VMState1 exactly as QEMU's -object dbus-vmstate expects
 *     (object /org/qemu/VMState1, property Id, Save() -> ay, Load(ay), queued
 *     ownership of the name org.qemu.VMState1), state at most 1 MiB;
 *   - answers Save and Load only for QEMU's uid (BULKHEAD_QEMU_UID), everyone
 *     else gets org.freedesktop.DBus.Error.AccessDenied;
 *   - records the result of every Save/Load so the launcher can check it over
 *     D-Bus (org.bulkhead.Helper1 at /org/bulkhead/Helper1, see docs/helper.md);
 *   - reports readiness to the launcher and runs an event loop that ends cleanly
 *     on SIGTERM/SIGINT.
 *
 * Every function returns 0 (or a documented positive value) on success and a
 * negative errno on failure; outputs (ret_*) are written only on success. The
 * library never logs and never exits the process. It is not thread-safe: use a
 * bh_helper from one thread.
 *
 * Environment read by bh_helper_open():
 *   BULKHEAD_BUS_ADDRESS      D-Bus address of the VM bus (preferred)
 *   DBUS_SESSION_BUS_ADDRESS  fallback when BULKHEAD_BUS_ADDRESS is unset
 *   BULKHEAD_QEMU_UID         decimal uid of QEMU; without it Save/Load are
 *                             refused for everyone (fail closed)
 *   BULKHEAD_READY_FD         fd number; "READY\n" is written to it and it is
 *                             closed when the helper is ready
 *   NOTIFY_SOCKET             if set, sd_notify("READY=1") is sent as well
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#ifdef __cplusplus
extern "C" {
#endif

/* QEMU's limit for one helper's state (backends/dbus-vmstate.c): 1 MiB. */
#define BH_VMSTATE_SIZE_MAX (1024u * 1024u)
/* Limits for the Id property (QEMU refuses an empty Id or one of 256+ bytes). */
#define BH_VMSTATE_ID_MAX 255u

#define BH_VMSTATE_NAME      "org.qemu.VMState1"
#define BH_VMSTATE_PATH      "/org/qemu/VMState1"
#define BH_VMSTATE_INTERFACE "org.qemu.VMState1"
#define BH_HELPER_PATH       "/org/bulkhead/Helper1"
#define BH_HELPER_INTERFACE  "org.bulkhead.Helper1"

/* D-Bus errors the library replies with (besides AccessDenied/InvalidArgs). */
#define BH_ERROR_SAVE_FAILED    "org.bulkhead.Helper1.Error.SaveFailed"
#define BH_ERROR_STATE_TOO_LARGE "org.bulkhead.Helper1.Error.StateTooLarge"
#define BH_ERROR_LOAD_FAILED    "org.bulkhead.Helper1.Error.LoadFailed"
#define BH_ERROR_STATE_INVALID  "org.bulkhead.Helper1.Error.StateInvalid"

typedef struct bh_helper bh_helper;

/*
 * bh_save_fn - produce the helper's state for QEMU's Save().
 * Return 0 and set *ret_data (malloc()ed, freed by the library; may be NULL
 * when *ret_size is 0) and *ret_size, or a negative errno. A state larger than
 * BH_VMSTATE_SIZE_MAX is refused by the library (QEMU gets StateTooLarge), and
 * so is an empty one (QEMU 7.2 cannot migrate a 0-byte state: it drops the
 * entry and the destination fails), so give every state at least one byte,
 * e.g. a format version.
 */
typedef int (*bh_save_fn)(void *userdata, uint8_t **ret_data, size_t *ret_size);

/*
 * bh_validate_fn - check a state received by Load() before anything changes.
 * Return 0 to accept, anything else to refuse (QEMU gets StateInvalid and the
 * current state is kept). Called with size <= BH_VMSTATE_SIZE_MAX only.
 */
typedef int (*bh_validate_fn)(void *userdata, const uint8_t *data, size_t size);

/*
 * bh_load_fn - replace the helper's state with @data (already validated).
 * Return 0 or a negative errno (QEMU gets LoadFailed). @data is only valid
 * during the call.
 */
typedef int (*bh_load_fn)(void *userdata, const uint8_t *data, size_t size);

/* The last Save or Load as seen by the helper (also on org.bulkhead.Helper1). */
typedef struct bh_vmstate_result {
        uint32_t count;       /* Save (or Load) calls answered for QEMU's uid */
        const char *status;   /* "none", "ok", "failed", "too-large", "invalid" */
        const char *error;    /* D-Bus error text of the last failure, or "" */
        uint64_t size;        /* bytes of the last state saved/loaded (or refused) */
} bh_vmstate_result;

/**
 * bh_helper_open() - connect to the VM bus named in the environment.
 * @ret: the new helper, owned by the caller (bh_helper_free()).
 *
 * Reads the environment described at the top of this file. Does not report
 * readiness yet: call bh_vmstate_export()/bh_helper_request_name() first, then
 * bh_helper_notify_ready() or bh_helper_run() (which notifies).
 *
 * Return: 0; -ENXIO if no bus address is set; -EINVAL if BULKHEAD_QEMU_UID or
 * BULKHEAD_READY_FD is malformed; another negative errno from sd-bus.
 */
int bh_helper_open(bh_helper **ret);

/**
 * bh_helper_open_address() - like bh_helper_open() but with an explicit address.
 * @address: a D-Bus address ("unix:path=...").
 * @ret: the new helper.
 *
 * Return: 0 or a negative errno.
 */
int bh_helper_open_address(const char *address, bh_helper **ret);

/**
 * bh_helper_free() - release names, flush and close the bus, free @h.
 * @h: helper or NULL.
 *
 * Return: NULL.
 */
bh_helper *bh_helper_free(bh_helper *h);

/**
 * bh_helper_get_bus() - the sd-bus connection, to export a helper's own objects.
 * @h: helper.
 *
 * Return: the bus, owned by @h (take a reference to keep it longer).
 */
sd_bus *bh_helper_get_bus(bh_helper *h);

/**
 * bh_helper_get_event() - the sd-event loop bh_helper_run() runs.
 * @h: helper.
 *
 * Return: the event loop, owned by @h.
 */
sd_event *bh_helper_get_event(bh_helper *h);

/**
 * bh_helper_set_qemu_uid() - set (override) the uid allowed to call Save/Load.
 * @h: helper.
 * @uid: QEMU's uid; (uid_t)-1 refuses everyone.
 *
 * Return: 0.
 */
int bh_helper_set_qemu_uid(bh_helper *h, uid_t uid);

/**
 * bh_helper_check_caller() - is the sender of @m QEMU's uid?
 * @h: helper.
 * @m: an incoming method call.
 * @error: set to org.freedesktop.DBus.Error.AccessDenied when refused.
 *
 * Asks the bus for the sender's credentials (GetConnectionCredentials via
 * sd_bus_query_sender_creds()) and compares the uid with QEMU's.
 *
 * Return: 0 if allowed; -EACCES (with @error set) if not; another negative
 * errno if the credentials could not be obtained (then @error is set too).
 */
int bh_helper_check_caller(bh_helper *h, sd_bus_message *m, sd_bus_error *error);

/**
 * bh_helper_request_name() - own a well-known name exclusively (no queueing).
 * @h: helper.
 * @name: a valid bus name.
 *
 * Return: 0; -EEXIST if someone else owns it; another negative errno.
 */
int bh_helper_request_name(bh_helper *h, const char *name);

/**
 * bh_vmstate_export() - export org.qemu.VMState1 for QEMU's dbus-vmstate.
 * @h: helper (at most one export per helper).
 * @id: the Id property: 1..255 bytes of valid UTF-8 without ',', unique
 *      among the VM's helpers (QEMU's comma-separated id-list names it).
 * @save_cb: produces the state (required).
 * @load_cb: replaces the state (required).
 * @userdata: passed to the callbacks.
 *
 * Registers /org/qemu/VMState1 (org.qemu.VMState1 with Properties, and
 * org.bulkhead.Helper1 at /org/bulkhead/Helper1), then joins the queue of
 * owners of org.qemu.VMState1 (QEMU lists them with ListQueuedOwners).
 *
 * Return: 0; -EINVAL for a bad @id or missing callbacks; -EALREADY if already
 * exported; another negative errno.
 */
int bh_vmstate_export(bh_helper *h, const char *id, bh_save_fn save_cb, bh_load_fn load_cb,
                      void *userdata);

/**
 * bh_vmstate_set_validator() - check states received by Load before loading.
 * @h: helper with an exported VMState.
 * @validate_cb: validator, or NULL for size checks only.
 *
 * Return: 0; -ENOENT if nothing is exported.
 */
int bh_vmstate_set_validator(bh_helper *h, bh_validate_fn validate_cb);

/**
 * bh_vmstate_get_last_save() - the result of the last Save QEMU asked for.
 * @h: helper.
 * @ret: filled in; the strings are owned by @h and valid until the next call
 *       into the library.
 *
 * Return: 0; -ENOENT if nothing is exported.
 */
int bh_vmstate_get_last_save(bh_helper *h, bh_vmstate_result *ret);

/**
 * bh_vmstate_get_last_load() - the result of the last Load QEMU asked for.
 * @h: helper.
 * @ret: as for bh_vmstate_get_last_save().
 *
 * Return: 0; -ENOENT if nothing is exported.
 */
int bh_vmstate_get_last_load(bh_helper *h, bh_vmstate_result *ret);

/**
 * bh_vmstate_query_save() - ask a helper over the bus for its last Save.
 * @bus: a connection to the VM bus (e.g. the launcher's).
 * @destination: the helper's unique or well-known name.
 * @ret_count: SaveCount; may be NULL.
 * @ret_status: LastSaveStatus, malloc()ed, caller frees; may be NULL.
 * @ret_error: LastSaveError, malloc()ed, caller frees; may be NULL.
 *
 * Reads the properties of org.bulkhead.Helper1 at /org/bulkhead/Helper1 with
 * one GetAll call. For the launcher: read the count before migrating, then
 * after migrating the count must have grown by one and the status be "ok".
 *
 * Return: 0 or a negative errno (-EPROTO if the reply lacks a property).
 */
int bh_vmstate_query_save(sd_bus *bus, const char *destination, uint32_t *ret_count,
                          char **ret_status, char **ret_error);

/**
 * bh_helper_notify_ready() - tell the launcher the helper is ready.
 * @h: helper.
 *
 * Writes "READY\n" to BULKHEAD_READY_FD and closes it; sends READY=1 to
 * NOTIFY_SOCKET if set. Does nothing the second time.
 *
 * Return: 0 or a negative errno.
 */
int bh_helper_notify_ready(bh_helper *h);

/**
 * bh_helper_run() - serve the bus until SIGTERM/SIGINT, bh_helper_exit() or
 * the bus going away.
 * @h: helper.
 *
 * Blocks SIGTERM and SIGINT in the calling thread (they are handled through
 * the event loop), reports readiness if not done yet, and runs the loop.
 *
 * Return: 0 after SIGTERM/SIGINT; the code given to bh_helper_exit();
 * -ECONNRESET if the bus disconnected; another negative errno.
 */
int bh_helper_run(bh_helper *h);

/**
 * bh_helper_exit() - make bh_helper_run() return @code.
 * @h: helper.
 * @code: value bh_helper_run() returns.
 *
 * Return: 0 or a negative errno.
 */
int bh_helper_exit(bh_helper *h, int code);

#ifdef __cplusplus
}
#endif
