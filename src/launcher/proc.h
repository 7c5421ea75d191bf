/*
 * proc.h -- one supervised process of a VM (bus, QEMU or a helper): how it
 * is started through the sandbox with its role's profile, its log pipe, and
 * its restart bookkeeping.
 *
 * Must never: start a process as root, or let a child inherit an fd that
 * is not on its list.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"
#include "util/log.h"

typedef enum {
        PROC_BUS,
        PROC_QEMU,
        PROC_HELPER,
} ProcRole;

typedef struct Proc {
        ProcRole role;
        char name[72];
        int helper_index;        /* into VmSpec.helpers, -1 for bus and QEMU */
        pid_t pid;               /* 0 = not running */
        uid_t uid;
        gid_t gid;
        unsigned restarts;
        long long restart_at;    /* CLOCK_MONOTONIC ms of a pending restart, 0 = none */
        bool gave_up;
        unsigned long long starttime;
        int log_fd;              /* read end of its stdout+stderr, -1 = none */
        char logbuf[2048];
        size_t loglen;
        SandboxCgroup *cgroup;
        int listen_fd;           /* socket-fd: the socket the launcher bound for it, -1 = none */
} Proc;

/* what a start needs beyond the Proc itself; all borrowed */
typedef struct ProcStart {
        const char *path;        /* absolute executable */
        char *const *argv;
        char *const *envp;
        const gid_t *groups;
        size_t n_groups;
        const int *fds;          /* become 3, 4, ... */
        size_t n_fds;
        bool sandbox;            /* false: fork+exec with the uid change and no_new_privs only */
        bool privileged;         /* root: namespaces and a filesystem view */
        bool host_network;       /* keep the host's network namespace (passt) */
        bool host_pids;          /* keep the host's pid namespace (see launcher.c: display) */
        bool no_landlock;        /* no Landlock: the program mounts to isolate itself (passt) */
        SandboxSeccomp seccomp;
        const char *const *rw_paths;
        const char *const *ro_paths;
        uint64_t memory_max;
        uint64_t pids_max;
        const SandboxCap *keep_caps; /* capabilities it keeps, each with its reason */
        size_t n_keep_caps;
} ProcStart;

/* proc_start() - start @p; on failure @ret_error gets a malloc'd reason. Returns 0 or -errno. */
int proc_start(Proc *p, const ProcStart *s, char **ret_error);

/* proc_drain_log() - copy complete lines from the log pipe to @out as "NAME: line"; -1 at EOF */
int proc_drain_log(Proc *p, int out);

/* proc_starttime() - field 22 of /proc/PID/stat, 0 if unknown */
unsigned long long proc_starttime(pid_t pid);

/* proc_resolve_exec() - absolute path of @cmd: as is with a '/', else $BULKHEAD_HELPER_PATH then $PATH */
int proc_resolve_exec(const char *cmd, char **ret);
