/*
 * policygen.c -- build the VM bus policy (see policygen.h) through the
 * PolicyDoc writer.
 *
 * Shape of the result (dbus-daemon semantics, the last matching rule wins):
 *   default:  the VM's uids may connect; nobody owns anything; nobody sends
 *             anything but calls to the bus driver (not Monitoring, not
 *             UpdateActivationEnvironment) and replies it was asked for;
 *             everyone receives what passed the sender's checks.
 *   per uid:  the union of what the roles running as that uid may do: own
 *             their names, send to the names of the peers in talks-to, QEMU's
 *             org.qemu.VMState1 calls, RegisterListener for the display client,
 *             BecomeMonitor for the managing user.
 * Roles sharing a uid cannot be told apart by the bus; check.c reports that.
 *
 * Must never: grant a rule with a wildcard destination or owner.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/policygen.h"
#include "policy/writer.h"
#include "util/error.h"

#define DRIVER "org.freedesktop.DBus"
#define VMSTATE "org.qemu.VMState1"
#define DISPLAY_NAME "org.qemu"
#define DISPLAY_CONSOLE "org.qemu.Display1.Console"

typedef struct Gen {
        PolicyDoc *doc;
        const VmSpec *spec;
        const IdentityPlan *plan;
        BusFlavour flavour;
        UserNameFn name_user;
        char *error;
} Gen;

#define A(n, v) ((PolicyAttr){ (n), (v) })
#define RULE(g, kind, user, allow, comment, ...)                                                         \
        policy_doc_add_rule((g)->doc, (kind), (user), (allow), (comment), (PolicyAttr[]){ __VA_ARGS__ }, \
                            sizeof((PolicyAttr[]){ __VA_ARGS__ }) / sizeof(PolicyAttr))

static int user_value(Gen *g, uid_t uid, char **ret)
{
        int r;

        if (g->flavour == BUS_FLAVOUR_BULKHEAD)
                return asprintf(ret, "#%u", (unsigned)uid) < 0 ? -ENOMEM : 0;
        r = g->name_user ? g->name_user(uid, ret) : POLICYGEN_E_NO_USER;
        if (r == POLICYGEN_E_NO_USER && !g->error &&
            asprintf(&g->error,
                     "uid %u has no user name: dbus-daemon refuses numeric users (\"#%u\") in policies; "
                     "use --bus=bulkhead-bus, identity = same-uid, or a uids range of real users",
                     (unsigned)uid, (unsigned)uid) < 0)
                return -ENOMEM;
        return r;
}

static int gen_default(Gen *g, const uid_t *uids, unsigned n_uids)
{
        const PolicyContextKind D = POLICY_CONTEXT_DEFAULT;
        int r = 0;

        for (unsigned i = 0; i < n_uids && r == 0; i++) {
                _cleanup_free_ char *u = NULL;

                r = user_value(g, uids[i], &u);
                if (r == 0)
                        r = RULE(g, D, NULL, true, i == 0 ? "who may connect: the VM's uids and the managing user" : NULL,
                                 A("user", u));
        }
        if (r == 0)
                r = RULE(g, D, NULL, false, "default deny: no names, no messages", A("own", "*"));
        if (r == 0)
                r = RULE(g, D, NULL, false, NULL, A("send_destination", "*"));
        if (r == 0)
                r = RULE(g, D, NULL, true, "the bus driver (Hello, RequestName, ListQueuedOwners, AddMatch...)",
                         A("send_destination", DRIVER), A("send_interface", DRIVER));
        if (r == 0)
                r = RULE(g, D, NULL, true, NULL, A("send_destination", DRIVER),
                         A("send_interface", "org.freedesktop.DBus.Introspectable"));
        if (r == 0)
                r = RULE(g, D, NULL, true, NULL, A("send_destination", DRIVER),
                         A("send_interface", "org.freedesktop.DBus.Peer"));
        if (r == 0)
                r = RULE(g, D, NULL, true, NULL, A("send_destination", DRIVER),
                         A("send_interface", "org.freedesktop.DBus.Properties"));
        if (r == 0)
                r = RULE(g, D, NULL, false, NULL, A("send_destination", DRIVER), A("send_interface", DRIVER),
                         A("send_member", "UpdateActivationEnvironment"));
        if (r == 0)
                r = RULE(g, D, NULL, true, "replies travel back along every allowed call, and only those",
                         A("send_type", "method_return"), A("send_requested_reply", "true"));
        if (r == 0)
                r = RULE(g, D, NULL, true, NULL, A("send_type", "error"), A("send_requested_reply", "true"));
        if (r == 0)
                r = RULE(g, D, NULL, true, "receiving is decided by the sender's rules",
                         A("receive_sender", "*"));
        return r;
}

static const VmHelper *helper_at(const Gen *g, size_t i)
{
        return &g->spec->helpers[i];
}

/* the rules for everything running as @uid */
static int gen_user(Gen *g, uid_t uid)
{
        const PolicyContextKind U = POLICY_CONTEXT_USER;
        const VmSpec *s = g->spec;
        _cleanup_free_ char *u = NULL;
        bool is_qemu = uid == g->plan->qemu_uid, is_manager = uid == g->plan->manager_uid;
        bool vmstate_owner = false, to_qemu = false, display = false;
        int r;

        r = user_value(g, uid, &u);
        if (r != 0)
                return r;
        for (size_t i = 0; i < s->n_helpers; i++) {
                const VmHelper *h = helper_at(g, i);
                char comment[128];

                if (g->plan->helper_uids[i] != uid)
                        continue;
                snprintf(comment, sizeof(comment), "helper %s", h->name);
                for (size_t j = 0; h->owns && h->owns[j]; j++) {
                        r = RULE(g, U, u, true, j == 0 ? comment : NULL, A("own", h->owns[j]));
                        if (r)
                                return r;
                }
                vmstate_owner |= h->vmstate_id != NULL;
                display |= h->display_client;
                for (size_t j = 0; h->talks_to && h->talks_to[j]; j++) {
                        const VmHelper *t = vmspec_find_helper(s, h->talks_to[j]);
                        char c2[160];

                        if (!t) {
                                to_qemu = true;
                                continue;
                        }
                        snprintf(c2, sizeof(c2), "%s talks to %s", h->name, t->name);
                        for (size_t k = 0; t->owns && t->owns[k]; k++) {
                                r = RULE(g, U, u, true, k == 0 ? c2 : NULL, A("send_destination", t->owns[k]));
                                if (r)
                                        return r;
                        }
                }
        }
        if (vmstate_owner) {
                r = RULE(g, U, u, true, "queued owner of the VMState name (QEMU lists the queue)",
                         A("own", VMSTATE));
                if (r)
                        return r;
        }
        if (is_qemu && s->display == DISPLAY_DBUS) {
                r = RULE(g, U, u, true, "QEMU's display owns org.qemu", A("own", DISPLAY_NAME));
                if (r == 0)
                        r = RULE(g, U, u, true, "and tells its clients when a console changes",
                                 A("send_type", "signal"), A("send_interface", "org.freedesktop.DBus.Properties"));
                if (r)
                        return r;
        }
        if (is_qemu && vmspec_has_vmstate(s)) {
                if (g->flavour == BUS_FLAVOUR_BULKHEAD) {
                        r = RULE(g, U, u, true, "QEMU calls every queued owner of org.qemu.VMState1",
                                 A("send_destination", VMSTATE), A("send_interface", VMSTATE));
                        if (r == 0)
                                r = RULE(g, U, u, true, NULL, A("send_destination", VMSTATE),
                                         A("send_interface", "org.freedesktop.DBus.Properties"),
                                         A("send_path", "/org/qemu/VMState1"));
                } else {
                        /* dbus-daemon matches send_destination on the primary owner only,
                         * while QEMU calls each queued owner by its unique name */
                        r = RULE(g, U, u, true,
                                 "QEMU calls every queued owner of org.qemu.VMState1 (dbus-daemon: by interface)",
                                 A("send_interface", VMSTATE), A("send_path", "/org/qemu/VMState1"));
                        if (r == 0)
                                r = RULE(g, U, u, true, NULL, A("send_interface", "org.freedesktop.DBus.Properties"),
                                         A("send_path", "/org/qemu/VMState1"));
                }
                if (r)
                        return r;
        }
        if (to_qemu && s->display == DISPLAY_DBUS) {
                r = RULE(g, U, u, true, "talks to QEMU's display", A("send_destination", DISPLAY_NAME));
                if (r == 0 && !display)
                        r = RULE(g, U, u, false, "only the display client registers listeners",
                                 A("send_destination", DISPLAY_NAME), A("send_interface", DISPLAY_CONSOLE),
                                 A("send_member", "RegisterListener"));
                if (r)
                        return r;
        }
        if (display && s->display == DISPLAY_DBUS) {
                r = RULE(g, U, u, true, "the display client", A("send_destination", DISPLAY_NAME),
                         A("send_interface", DISPLAY_CONSOLE), A("send_member", "RegisterListener"));
                if (r)
                        return r;
        }
        if (is_manager && s->display == DISPLAY_DBUS && !display) {
                /* bulkhead screenshot/watch run as the managing user, who holds QMP anyway */
                r = RULE(g, U, u, true, "the managing user's display client (bulkhead screenshot, watch)",
                         A("send_destination", DISPLAY_NAME));
                if (r)
                        return r;
        }
        if (is_manager && vmspec_has_vmstate(s)) {
                /* `bulkhead migrate` reads each state helper's Id and its Helper1 record */
                static const char *const paths[] = { "/org/qemu/VMState1", "/org/bulkhead/Helper1" };

                for (size_t i = 0; i < ELEMENTSOF(paths) && r == 0; i++) {
                        if (g->flavour == BUS_FLAVOUR_BULKHEAD)
                                r = RULE(g, U, u, true, i ? NULL : "bulkhead migrate checks every state helper",
                                         A("send_destination", VMSTATE),
                                         A("send_interface", "org.freedesktop.DBus.Properties"),
                                         A("send_path", paths[i]));
                        else
                                r = RULE(g, U, u, true, i ? NULL : "bulkhead migrate checks every state helper",
                                         A("send_interface", "org.freedesktop.DBus.Properties"),
                                         A("send_path", paths[i]));
                }
                if (r)
                        return r;
        }
        if (is_manager) {
                /* the guide's "admin & cli" role: the managing user may call every helper */
                for (size_t i = 0; i < g->spec->n_helpers && r == 0; i++)
                        for (char **n = g->spec->helpers[i].owns; n && *n && r == 0; n++)
                                r = RULE(g, U, u, true,
                                         i == 0 && n == g->spec->helpers[i].owns
                                                 ? "the managing user (admin and cli) may call the helpers"
                                                 : NULL,
                                         A("send_destination", *n));
                if (r)
                        return r;
                r = RULE(g, U, u, true, is_qemu ? "the managing user (also every VM process: same-uid)"
                                                : "the managing user may watch the bus",
                         A("send_destination", DRIVER), A("send_interface", "org.freedesktop.DBus.Monitoring"),
                         A("send_member", "BecomeMonitor"));
                if (r)
                        return r;
        }
        return 0;
}

/*
 * A VM bus carries calls, signals and helper state (org.qemu.VMState1: at most
 * 1 MiB a helper in QEMU), never display frames (QEMU's D-Bus display talks to
 * its listener over a peer-to-peer socket). dbus-daemon's defaults are sized for
 * a desktop session: 127 MiB queued per connection, 256 connections per uid, so
 * with bulkhead-bus's per-uid quotas (docs/policy.md) one uid could hold 8 GiB.
 * These bound one uid to 16 x 16 MiB each way and still leave 8x room.
 */
static const struct {
        const char *name;
        unsigned long long value;
} vm_bus_limits[] = {
        { "max_incoming_bytes", 16ull << 20 },  { "max_outgoing_bytes", 16ull << 20 },
        { "max_message_size", 8ull << 20 },     { "max_completed_connections", 512 },
        { "max_incomplete_connections", 32 },   { "max_connections_per_user", 64 },
};

static int gen_limits(PolicyDoc *doc)
{
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(vm_bus_limits) && r == 0; i++)
                r = policy_doc_add_limit(doc, vm_bus_limits[i].name, vm_bus_limits[i].value);
        return r;
}

/** policygen_build() - see policygen.h. */
int policygen_build(const VmSpec *s, const IdentityPlan *plan, BusFlavour flavour, const char *listen,
                    UserNameFn name_user, char **ret, char **ret_error)
{
        _cleanup_(policy_doc_freep) PolicyDoc *doc = NULL;
        Gen g = { .spec = s, .plan = plan, .flavour = flavour, .name_user = name_user };
        uid_t uids[VMSPEC_MAX_HELPERS + 2];
        unsigned n;
        char head[256];
        int r;

        r = policy_doc_new(&doc);
        if (r < 0)
                return r;
        g.doc = doc;
        snprintf(head, sizeof(head), "bulkhead: bus policy of VM %s (identity %s), generated from %s", s->name,
                 identity_scenario_to_string(s->identity), s->file);
        r = policy_doc_add_header_comment(doc, head);
        if (r == 0)
                r = policy_doc_add_element(doc, "type", "bulkhead");
        if (r == 0)
                r = policy_doc_add_element(doc, "listen", listen);
        if (r == 0)
                r = policy_doc_add_element(doc, "auth", "EXTERNAL");
        if (r == 0)
                r = gen_limits(doc);
        n = plan_distinct_uids(plan, s->n_helpers, uids, ELEMENTSOF(uids));
        if (r == 0)
                r = gen_default(&g, uids, n);
        for (unsigned i = 0; i < n && r == 0; i++)
                r = gen_user(&g, uids[i]);
        if (r == 0)
                r = policy_doc_write(doc, ret);
        if (r > 0 && ret_error) {
                *ret_error = TAKE_PTR(g.error);
        }
        free(g.error);
        return r;
}
