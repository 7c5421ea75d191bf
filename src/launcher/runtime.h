/*
 * runtime.h -- where a VM's runtime files live and what is recorded there
 * so that `ps` and `stop` work from another shell.
 *
 * Layout of RUNTIME/VM/ (0700, or 0710 with the VM's group when the VM's
 * processes run as other uids; owned by the managing user):
 *   state       key=value lines written by the supervisor (atomically replaced)
 *   lock        flock()ed by the live supervisor: not lockable = VM running
 *   qmp.sock    the QMP socket (0600, the managing user only)
 *   bus/        the bus's directory (owned by the bus uid) with bus/socket
 *   bus.conf    the generated policy the bus runs with
 *   *.sock      sockets helpers serve to QEMU
 *
 * Must never: follow a symlink it did not create, or remove anything outside RUNTIME/VM.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RUNTIME_MAX_PROCS 40

typedef struct RuntimeProc {
        char role[8];   /* "bus", "qemu", "helper" */
        char name[72];
        pid_t pid;      /* 0 when not running */
        uid_t uid;
        gid_t gid;
        unsigned restarts;
        unsigned long long starttime; /* /proc/PID/stat field 22: tells a reused pid apart */
        char cgroup[256];             /* its cgroup directory, "" if none */
} RuntimeProc;

typedef struct RuntimeState {
        char vm[72];
        char state[16];       /* "starting", "running", "stopping" */
        char bus_address[4200];
        pid_t supervisor_pid;
        uid_t block_first;
        unsigned block_count;
        char vmstate_ids[1024]; /* the id-list QEMU got, comma separated */
        RuntimeProc procs[RUNTIME_MAX_PROCS];
        size_t n_procs;
} RuntimeState;

/*
 * runtime_base() - $BULKHEAD_RUNTIME_DIR, else /run/bulkhead as root, else
 * $XDG_RUNTIME_DIR/bulkhead. Returns 0, -ENOENT (no XDG_RUNTIME_DIR) or -ENOMEM.
 */
int runtime_base(char **ret);

int runtime_state_write(const char *dir, const RuntimeState *st);
int runtime_state_read(const char *dir, RuntimeState *ret);

/* runtime_remove_tree() - remove @dir and everything in it (no symlink following). */
int runtime_remove_tree(const char *dir);
