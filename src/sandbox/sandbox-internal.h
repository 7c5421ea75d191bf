/*
 * sandbox-internal.h -- what sandbox_spawn() prepares before the fork and the
 * child executes after it: the SandboxPlan.
 *
 * Everything in a plan is allocated by the parent (plan_*.c, spawn.c). The
 * child functions declared here (*_child_*) run between fork and exec: they
 * may only use async-signal-safe calls and the memory of the plan, never
 * malloc, stdio or anything that takes a lock.
 */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"
#include "util/macro.h"

/* The child reports a failure as one of these through a CLOEXEC pipe. */
typedef struct ChildReport {
        int32_t stage; /* SandboxStage */
        int32_t error; /* positive errno */
} ChildReport;

/* ---- filesystem view ---- */

typedef enum MountKind {
        MOUNT_BIND_RO,  /* bind src read-only (nosuid, nodev) */
        MOUNT_BIND_RW,  /* bind src read-write (nosuid, nodev) */
        MOUNT_BIND_DEV, /* bind a device node (nosuid, noexec) */
        MOUNT_SYMLINK,  /* create dst -> link (merged-/usr symlinks such as /bin) */
        MOUNT_TMPFS,    /* private tmpfs (nosuid, nodev) */
        MOUNT_PROC,     /* fresh procfs (nosuid, nodev, noexec) */
} MountKind;

typedef struct MountOp {
        MountKind kind;
        bool is_dir;   /* create dst as a directory (else an empty file) */
        char *src;     /* host path (binds) */
        char *dst;     /* path in the view, absolute ("/usr") */
        char *link;    /* symlink target (MOUNT_SYMLINK) */
} MountOp;

/* Where the child builds its new root before pivot_root. Any existing
 * directory works: the child mounts a tmpfs over it in its own namespace,
 * after opening every bind source, so nothing below it is needed. */
#define SANDBOX_STAGING_DIR "/tmp"
#define SANDBOX_MAX_MOUNTS 64

/* ---- Landlock ---- */

typedef struct LandlockRule {
        char *path;      /* path as the child sees it after its mount stage */
        uint64_t access; /* LANDLOCK_ACCESS_FS_* allowed beneath it */
} LandlockRule;

#define SANDBOX_MAX_LANDLOCK_RULES 64

/* ---- the plan ---- */

typedef struct SandboxPlan {
        const SandboxProfile *profile; /* borrowed */
        bool privileged;               /* we are root: change ids, drop bounding set */

        char **envp;          /* explicit environment, owned */
        char *listen_pid_buf; /* inside envp: "LISTEN_PID=" + room for digits, filled by the child */

        MountOp *mounts; /* owned */
        size_t n_mounts;

        int landlock_abi; /* 0 = skip */
        uint64_t landlock_handled;
        LandlockRule *landlock_rules; /* owned */
        size_t n_landlock_rules;

        struct sock_fprog seccomp; /* filter owned; len 0 = none */

        uint64_t keep_caps; /* bit mask of capabilities kept */
        int cap_last;       /* /proc/sys/kernel/cap_last_cap */

        int devnull_fd; /* O_RDWR /dev/null, owned */
} SandboxPlan;

/* plan building (parent) */
int sandbox_mounts_build(SandboxPlan *plan);
int sandbox_landlock_build(SandboxPlan *plan);
int sandbox_landlock_abi(void);
int sandbox_seccomp_build(SandboxSeccomp profile, struct sock_fprog *ret);
void sandbox_plan_done(SandboxPlan *plan);

/* child side: async-signal-safe, return 0 or a positive errno */
int sandbox_mounts_child_apply(const SandboxPlan *plan);
int sandbox_landlock_child_apply(const SandboxPlan *plan);
_noreturn_ void sandbox_child_run(SandboxPlan *plan, int report_fd, int sync_fd);

/* cgroups (parent) */
int sandbox_cgroup_new(const char *name, const SandboxCgroupLimits *limits, SandboxCgroup **ret);
int sandbox_cgroup_attach(SandboxCgroup *cg, pid_t pid);
int sandbox_cgroup_probe(SandboxFeatures *f);
