/*
 * plan.c -- the identity plan (see plan.h).
 *
 * A block of uids is laid out as: block_first (QEMU, and the VM's group),
 * block_first+1 (the bus; in two-uids also every helper), then one per
 * helper in many-uids. A helper with same-uid-as = qemu takes QEMU's uid.
 *
 * Must never: hand out uid 0 by itself (the spec may ask for it; check.c says no).
 */
#include <string.h>

#include "launcher/plan.h"

/** plan_uids_needed() - uids the scenario of @s takes from the pool. */
unsigned plan_uids_needed(const VmSpec *s)
{
        unsigned n = 0;

        switch (s->identity) {
        case IDENTITY_SAME_UID:
                return 1;
        case IDENTITY_TWO_UIDS:
                return 2;
        case IDENTITY_MANY_UIDS:
                for (size_t i = 0; i < s->n_helpers; i++)
                        if (!s->helpers[i].share_qemu_uid)
                                n++;
                return 2 + n;
        }
        return 1;
}

/** plan_identities() - see plan.h. */
int plan_identities(const VmSpec *s, bool privileged, uid_t manager_uid, gid_t manager_gid, uid_t block_first,
                    IdentityPlan *ret)
{
        IdentityPlan p = {
                .privileged = privileged,
                .manager_uid = manager_uid,
                .manager_gid = manager_gid,
        };
        unsigned next;

        if (!privileged) {
                if (s->identity != IDENTITY_SAME_UID)
                        return PLAN_E_NOT_ROOT;
                p.vm_gid = manager_gid;
                p.qemu_uid = p.bus_uid = manager_uid;
                for (size_t i = 0; i < s->n_helpers; i++)
                        p.helper_uids[i] = manager_uid;
                *ret = p;
                return 0;
        }
        if (!s->has_uids)
                return PLAN_E_NO_UIDS;
        p.block_first = block_first;
        p.block_count = plan_uids_needed(s);
        p.vm_gid = (gid_t)block_first;
        p.qemu_uid = block_first;
        p.bus_uid = s->identity == IDENTITY_SAME_UID ? block_first : block_first + 1;
        next = 2;
        for (size_t i = 0; i < s->n_helpers; i++) {
                if (s->identity == IDENTITY_SAME_UID || s->helpers[i].share_qemu_uid)
                        p.helper_uids[i] = p.qemu_uid;
                else if (s->identity == IDENTITY_TWO_UIDS)
                        p.helper_uids[i] = p.bus_uid;
                else
                        p.helper_uids[i] = block_first + next++;
        }
        *ret = p;
        return 0;
}

static unsigned add_unique(uid_t *out, unsigned n, unsigned max, uid_t u)
{
        for (unsigned i = 0; i < n; i++)
                if (out[i] == u)
                        return n;
        if (n < max)
                out[n++] = u;
        return n;
}

/** plan_distinct_uids() - see plan.h. */
unsigned plan_distinct_uids(const IdentityPlan *p, size_t n_helpers, uid_t *out, unsigned max)
{
        unsigned n = 0;

        n = add_unique(out, n, max, p->manager_uid);
        n = add_unique(out, n, max, p->qemu_uid);
        for (size_t i = 0; i < n_helpers; i++)
                n = add_unique(out, n, max, p->helper_uids[i]);
        return n;
}
