/*
 * plan.h -- the identity plan: which uid and gid each process of a VM runs as
 * (the three scenarios of QEMU's D-Bus guide), derived from the spec, the
 * managing user and the first uid of the block the pool handed out.
 *
 * Must never: allocate uids itself (pool.c does, under a lock) or touch the system.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "launcher/vmspec.h"

/* positive result codes */
enum {
        PLAN_E_NOT_ROOT = 1, /* two-uids/many-uids need root */
        PLAN_E_NO_UIDS,      /* running as root needs uids = FIRST-LAST */
        PLAN_E_POOL_SMALL,   /* the uids range is smaller than the scenario needs */
};

typedef struct IdentityPlan {
        bool privileged;      /* the launcher runs as root: children get pool uids */
        uid_t manager_uid;    /* owns the runtime dir and the QMP socket */
        gid_t manager_gid;
        gid_t vm_gid;         /* group of every VM process; the runtime dir is 0710 with it */
        uid_t block_first;    /* the block taken from the pool (privileged only) */
        unsigned block_count;
        uid_t qemu_uid;
        uid_t bus_uid;
        uid_t helper_uids[VMSPEC_MAX_HELPERS];
} IdentityPlan;

/* how many uids the scenario of @s needs from the pool */
unsigned plan_uids_needed(const VmSpec *s);

/*
 * plan_identities() - fill @ret for @s.
 * @privileged: the launcher runs as root. Then @block_first is the first
 * uid of a block of plan_uids_needed() uids handed out by the pool.
 * Not privileged: everything runs as @manager_uid, same-uid only.
 * Returns 0, PLAN_E_NOT_ROOT or PLAN_E_NO_UIDS.
 */
int plan_identities(const VmSpec *s, bool privileged, uid_t manager_uid, gid_t manager_gid, uid_t block_first,
                    IdentityPlan *ret);

/* plan_distinct_uids() - the plan's distinct uids, manager first; returns how many */
unsigned plan_distinct_uids(const IdentityPlan *p, size_t n_helpers, uid_t *out, unsigned max);
