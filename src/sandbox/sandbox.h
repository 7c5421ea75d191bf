/*
 * sandbox.h -- confine one child process (the public API of src/sandbox).
 *
 * A SandboxProfile describes one child completely: what to exec, with which
 * explicit environment, as which numeric uid/gid, keeping which capabilities
 * (each with a reason), in which namespaces, with which filesystem view,
 * seccomp profile, rlimits, cgroup limits and inherited fds. sandbox_spawn()
 * forks and execs it; everything that allocates is prepared before the fork,
 * the child only narrows itself in fixed, commented stages (see child.c) and
 * reports a failure as (stage, errno) through a CLOEXEC pipe.
 *
 * This layer knows nothing of D-Bus, VMs or helpers' roles beyond the seccomp
 * profile names: the launcher maps its VM spec onto profiles.
 *
 * Must never: log (it returns codes; the caller decides), keep global state,
 * run a child as root, or call anything but async-signal-safe functions
 * between fork and exec.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

/* Namespaces the child gets (bit mask for SandboxProfile.namespaces). */
enum {
        SANDBOX_NS_MOUNT = 1u << 0, /* private mount table; required for a filesystem view */
        SANDBOX_NS_PID = 1u << 1,   /* child is PID 1 of its own pid namespace, sees no host pids */
        SANDBOX_NS_IPC = 1u << 2,   /* no SysV IPC / POSIX mqueues shared with the host */
        SANDBOX_NS_UTS = 1u << 3,   /* own hostname */
        SANDBOX_NS_NET = 1u << 4,   /* empty network namespace (only lo, down): omit only if the
                                     * child needs the host network (e.g. passt) */
        SANDBOX_NS_ALL = 0x1f,
};

/* Seccomp profiles: allow lists per role; anything else kills the process. */
typedef enum SandboxSeccomp {
        SANDBOX_SECCOMP_NONE = 0,     /* no filter of ours: programs that install their own and
                                       * isolate themselves (passt), tests */
        SANDBOX_SECCOMP_BUS,          /* an epoll UNIX-socket server with fd passing (bulkhead-bus) */
        SANDBOX_SECCOMP_HELPER,       /* broader: files, inet sockets, threads, timers (swtpm) */
        SANDBOX_SECCOMP_COMPUTE_ONLY, /* read/write/exit on inherited fds, memory, time; files
                                       * may be opened read-only (the dynamic loader needs it) */
        SANDBOX_SECCOMP_QEMU_OWN,     /* none of ours: QEMU applies its own -sandbox, see
                                       * sandbox_qemu_args() (the launcher adds those args) */
        _SANDBOX_SECCOMP_MAX,
} SandboxSeccomp;

/* A capability the child keeps across the uid change and exec (ambient). */
typedef struct SandboxCap {
        int cap;            /* CAP_* number (linux/capability.h) */
        const char *reason; /* why it is needed: required, shown by `bulkhead ps`/`check` */
} SandboxCap;

/* Resource limits (setrlimit, soft = hard). 0 = leave the inherited value. RLIMIT_CORE is
 * always 0: a core dump of a confined process could leak guest or key material. */
typedef struct SandboxRlimits {
        uint64_t nofile;  /* RLIMIT_NOFILE; must cover 3 + n_fds */
        uint64_t nproc;   /* RLIMIT_NPROC (counts every process of the child's uid!) */
        uint64_t memlock; /* RLIMIT_MEMLOCK in bytes */
} SandboxRlimits;

/* cgroup limits for the child's own cgroup. 0 = no limit of that kind. */
typedef struct SandboxCgroupLimits {
        uint64_t memory_max; /* bytes: v2 memory.max, v1 memory.limit_in_bytes (+memsw) */
        uint64_t pids_max;   /* v2/v1 pids.max */
        uint64_t cpu_weight; /* 1..10000 (v2 cpu.weight; v1 cpu.shares = weight*1024/100) */
} SandboxCgroupLimits;

/*
 * SandboxProfile - everything about one child. Pointers are borrowed for the
 * duration of sandbox_spawn() only. Start from SANDBOX_PROFILE_INIT.
 */
typedef struct SandboxProfile {
        const char *name; /* short tag ([A-Za-z0-9_.-], not starting with '.', <= 64):
                           * part of the cgroup directory name */

        /* what to run */
        const char *path;   /* absolute path of the executable (no PATH search) */
        char *const *argv;  /* NULL-terminated; argv[0] required */
        char *const *envp;  /* NULL-terminated explicit environment; NULL = empty. Nothing
                             * of the parent's environment is inherited. */
        const char *workdir; /* cwd of the child (inside its view); NULL = "/" */

        /* identity: numeric, never root (uid 0 / gid 0 are refused). When the
         * caller is not root, uid/gid must equal its own and groups are left. */
        uid_t uid;
        gid_t gid;
        const gid_t *groups; /* supplementary groups, replace the inherited ones */
        size_t n_groups;

        /* capabilities kept (ambient, so they survive exec as non-root); all
         * others are dropped from every set including the bounding set */
        const SandboxCap *keep_caps;
        size_t n_keep_caps;

        unsigned namespaces; /* SANDBOX_NS_* */

        /* filesystem view (needs SANDBOX_NS_MOUNT): a fresh tmpfs root with the
         * system dirs (/usr /bin /sbin /lib* /etc) bound read-only, a minimal
         * /dev (null zero full random urandom), a fresh /proc, a private /tmp,
         * then the paths below at the same place; the child pivot_roots into it.
         * Everything else of the host is absent. */
        bool fs_view;
        const char *const *rw_paths; /* NULL-terminated absolute paths, bound read-write */
        const char *const *ro_paths; /* NULL-terminated absolute paths, bound read-only.
                                      * Bound in order, rw before ro: list a parent before
                                      * paths below it. Each must exist (else -ENOENT). */
        bool private_tmp;            /* empty tmpfs on /tmp (only with fs_view) */
        bool landlock;               /* also restrict with Landlock where the kernel has it:
                                      * system dirs + ro_paths read/exec, rw_paths and /tmp
                                      * read-write, /dev, /proc; silently skipped if absent
                                      * (sandbox_probe() says so). Turn off for programs
                                      * that mount (passt): Landlock forbids mount(2). */

        SandboxSeccomp seccomp;
        SandboxRlimits rlimits;
        SandboxCgroupLimits cgroup;

        /* inherited fds: fds[i] becomes fd 3+i in the child; everything else is closed */
        const int *fds;
        size_t n_fds;
        bool listen_fds; /* set LISTEN_FDS=n_fds and LISTEN_PID=<child pid as it sees itself> */

        int stdin_fd;  /* -1 = /dev/null */
        int stdout_fd; /* -1 = /dev/null */
        int stderr_fd; /* -1 = /dev/null */

        int pdeathsig;    /* signal when the spawning thread dies; 0 = none */
        bool new_session; /* setsid(): no controlling terminal, own process group */
} SandboxProfile;

#define SANDBOX_PROFILE_INIT                                                            \
        ((SandboxProfile){ .uid = (uid_t)-1, .gid = (gid_t)-1, .namespaces = SANDBOX_NS_ALL, \
                           .private_tmp = true, .landlock = true,                      \
                           .seccomp = SANDBOX_SECCOMP_HELPER, .stdin_fd = -1,           \
                           .stdout_fd = -1, .stderr_fd = -1, .pdeathsig = SIGKILL, \
                           .new_session = true })

/* The stages of the child's setup, in the order they run (names for errors). */
typedef enum SandboxStage {
        SANDBOX_STAGE_PREPARE = 0, /* parent, before fork: validation, filter, plan */
        SANDBOX_STAGE_CLONE,       /* parent: clone with the namespaces */
        SANDBOX_STAGE_SESSION,
        SANDBOX_STAGE_PDEATHSIG,
        SANDBOX_STAGE_NAMESPACES,
        SANDBOX_STAGE_MOUNT,
        SANDBOX_STAGE_CGROUP, /* parent moves the child; child waits for it */
        SANDBOX_STAGE_RLIMITS,
        SANDBOX_STAGE_IDENTITY, /* setgroups/setresgid/setresuid + verify */
        SANDBOX_STAGE_CAPABILITIES,
        SANDBOX_STAGE_NO_NEW_PRIVS,
        SANDBOX_STAGE_LANDLOCK,
        SANDBOX_STAGE_FDS,
        SANDBOX_STAGE_SECCOMP,
        SANDBOX_STAGE_EXEC,
        _SANDBOX_STAGE_MAX,
} SandboxStage;

/* Why sandbox_spawn() failed: the stage and the errno it saw there. */
typedef struct SandboxError {
        SandboxStage stage;
        int error; /* positive errno */
} SandboxError;

/* cgroup handle: created by sandbox_spawn(), kept by the caller until the child exited. */
typedef struct SandboxCgroup SandboxCgroup;

typedef enum SandboxCgroupMode {
        SANDBOX_CGROUP_NONE = 0, /* no usable hierarchy: limits NOT enforced (caller must warn) */
        SANDBOX_CGROUP_V2,
        SANDBOX_CGROUP_V1,
} SandboxCgroupMode;

/* What this machine and this caller can do (for `bulkhead check` and warnings). */
typedef struct SandboxFeatures {
        bool privileged;             /* root with CAP_SYS_ADMIN/SETUID: namespaces, uid change */
        int landlock_abi;            /* 0 = Landlock unavailable */
        bool seccomp;                /* seccomp filters available */
        SandboxCgroupMode cgroup_mode; /* what limits would use */
        bool cgroup_memory, cgroup_pids, cgroup_cpu; /* controllers usable in that mode */
} SandboxFeatures;

/**
 * sandbox_spawn() - fork and exec one confined child.
 * @profile:    what to run and how to confine it
 * @ret_pid:    the child's pid (as the caller sees it), on success
 * @ret_cgroup: its cgroup handle on success (free with sandbox_cgroup_free() after the
 *              child exited), set to NULL when @profile has no cgroup limits. May be NULL
 *              only if @profile has no cgroup limits. When no hierarchy is usable the
 *              handle's mode is SANDBOX_CGROUP_NONE: the child runs without those limits
 *              and the caller must warn.
 * @ret_error:  on failure, if not NULL: the stage and errno (the one output written on failure)
 *
 * Returns when the child has exec'd (or failed before). The child is then fully
 * confined: no window where it runs our code unconfined after we return.
 *
 * Return: 0, or -errno (-EINVAL for an invalid profile, -EPERM for uid 0, ...).
 */
int sandbox_spawn(const SandboxProfile *profile, pid_t *ret_pid, SandboxCgroup **ret_cgroup,
                  SandboxError *ret_error);

/**
 * sandbox_stage_to_string() - a stage's name ("mount", "seccomp", ...).
 * @stage: the stage
 *
 * Return: a static string, "unknown" for out-of-range values.
 */
const char *sandbox_stage_to_string(SandboxStage stage);

/**
 * sandbox_cgroup_free() - kill what is left in the cgroup, remove it, free the handle.
 * @cg: handle or NULL
 *
 * Call after the child was reaped. Never fails visibly (best effort, bounded).
 * Return: NULL.
 */
SandboxCgroup *sandbox_cgroup_free(SandboxCgroup *cg);

static inline void sandbox_cgroup_freep(SandboxCgroup **cg)
{
        if (*cg)
                sandbox_cgroup_free(*cg);
}

/**
 * sandbox_cgroup_mode() - which hierarchy enforces the handle's limits.
 * @cg: handle
 * Return: the mode; SANDBOX_CGROUP_NONE means the limits are not enforced.
 */
SandboxCgroupMode sandbox_cgroup_mode(const SandboxCgroup *cg);

/**
 * sandbox_cgroup_path() - the cgroup directory (memory controller's one for v1).
 * @cg: handle
 * Return: a path owned by @cg, or NULL in mode SANDBOX_CGROUP_NONE.
 */
const char *sandbox_cgroup_path(const SandboxCgroup *cg);

/**
 * sandbox_probe() - find out what confinement this machine offers this caller.
 * @ret: filled on success
 * Return: 0 or -errno.
 */
int sandbox_probe(SandboxFeatures *ret);

/**
 * sandbox_qemu_args() - the -sandbox arguments QEMU gets (it applies its own seccomp).
 *
 * Return: a static NULL-terminated list: "-sandbox", "on,obsolete=deny,...".
 */
const char *const *sandbox_qemu_args(void);

/**
 * sandbox_cap_from_name() - parse a capability name ("net_admin" or "CAP_NET_ADMIN").
 * @name: the name
 * Return: the CAP_* number, or -EINVAL.
 */
int sandbox_cap_from_name(const char *name);

/**
 * sandbox_seccomp_from_name() - parse "none", "bus", "helper", "compute-only", "qemu-own".
 * @name: the name
 * Return: the profile, or -EINVAL.
 */
int sandbox_seccomp_from_name(const char *name);

/**
 * sandbox_seccomp_to_string() - a profile's name as sandbox_seccomp_from_name() takes it.
 * @profile: the profile
 * Return: a static string, "unknown" for out-of-range values.
 */
const char *sandbox_seccomp_to_string(SandboxSeccomp profile);
