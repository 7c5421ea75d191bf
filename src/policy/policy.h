/*
 * policy.h -- the compiled dbus-daemon security policy and its checks.
 *
 * A Policy is built by the configuration parser (config.h) from the <policy>
 * elements of a configuration and is immutable afterwards. The broker never
 * walks its rule lists per message: at connect time it compiles the rules that
 * apply to one connection's (uid, gids) into a PolicySnapshot, whose rules are
 * indexed by name and interface so that a check costs about the same with
 * 1,000 rules as with 10. Checks are pure functions: no I/O, no logging.
 *
 * Semantics are dbus-daemon's (bus/policy.c), including its quirks:
 *   - contexts in this order: default, group (each of the peer's gids), user,
 *     at_console (accepted, never matches), mandatory;
 *   - within that sequence the LAST matching rule wins; no match = deny
 *     (send, receive, own) or "same uid as the bus" (connect);
 *   - dbus-daemon's per-connection "optimisation" that drops every earlier rule
 *     of the same kind before a catch-all rule is reproduced, because it changes
 *     verdicts and the "N matched rules" count of AccessDenied texts.
 * Beyond dbus-daemon: user="#1234" / group="#1234" (numeric ids), and plain
 * numbers where no such user or group exists.
 *
 * Must never: do I/O, log, or look at anything but what the caller passes in.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/macro.h"

/* positive result codes (expected outcomes, see util/error.h) */
enum {
        POLICY_E_DENIED = 1, /* the policy denies it: map to AccessDenied */
};

typedef struct Policy Policy;
typedef struct PolicyRule PolicyRule;
typedef struct PolicySnapshot PolicySnapshot;

/* message types, numerically equal to the D-Bus wire values */
typedef enum {
        POLICY_MESSAGE_ANY = 0, /* only in rules: any type */
        POLICY_MESSAGE_METHOD_CALL = 1,
        POLICY_MESSAGE_METHOD_RETURN = 2,
        POLICY_MESSAGE_ERROR = 3,
        POLICY_MESSAGE_SIGNAL = 4,
} PolicyMessageType;

/*
 * PolicyMessage - what a check needs to know about one message.
 * All strings may be NULL when the header field is absent. Nothing is copied.
 *
 * @names: the names of the OTHER party, each NUL-terminated:
 *   for policy_check_send():    the receiver's names: its unique name and EVERY
 *                               well-known name it owns or is queued for; for
 *                               a message to the bus driver, just
 *                               "org.freedesktop.DBus"; for a broadcast signal
 *                               checked per receiver, that receiver's names.
 *   for policy_check_receive(): the sender's names, the same way (a message
 *                               from the driver: "org.freedesktop.DBus").
 * A rule send_destination="X" / receive_sender="X" matches when X is among
 * @names; send_destination_prefix="a.b" when some name is a.b or a.b.*.
 */
typedef struct PolicyMessage {
        PolicyMessageType type;
        const char *interface;
        const char *member;
        const char *error_name;
        const char *path;
        const char *destination;       /* DESTINATION header field (NULL for broadcasts) */
        const char *const *names;
        size_t n_names;
        bool requested_reply;          /* METHOD_RETURN/ERROR only: the bus had recorded the call
                                        * as awaiting this reply (dbus-daemon's
                                        * bus_connections_check_reply), not merely "is a reply";
                                        * a reply from the bus driver counts as requested */
        bool eavesdrop;                /* receive check for a connection it was not addressed to */
        unsigned n_fds;                /* UNIX_FDS header field */
} PolicyMessage;

/*
 * PolicyVerdict - how a check was decided, filled by every check (allowed or
 * not) when the caller passes one.
 * @rule:      the deciding (last matching) rule, NULL if none matched;
 * @n_matched: how many rules matched (dbus-daemon's "N matched rules");
 * @log:       the deciding send rule had log="true".
 */
typedef struct PolicyVerdict {
        const PolicyRule *rule;
        unsigned n_matched;
        bool log;
} PolicyVerdict;

Policy *policy_ref(Policy *p);
Policy *policy_unref(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_unref);

/*
 * policy_check_connect() - may a peer with @uid / @gids connect at all?
 * Evaluates <allow user=...>/<deny group=...> rules of the default and
 * mandatory contexts. @bus_uid is the uid the bus runs as: with no matching
 * rule a peer may connect only if its uid is @bus_uid (dbus-daemon's default).
 * @gids must hold ALL the peer's groups, its primary gid included (dbus-daemon
 * asks the group database, which always lists the primary group): SO_PEERGROUPS
 * alone may lack it.
 * Returns 0 or POLICY_E_DENIED.
 */
int policy_check_connect(const Policy *p, uid_t bus_uid, uid_t uid, const gid_t *gids, size_t n_gids,
                         PolicyVerdict *verdict);

/*
 * policy_snapshot_new() - compile the rules that apply to one connection.
 * @gids: all the peer's groups (primary and supplementary, from SO_PEERGROUPS
 * or the group database). The snapshot holds a reference on @p.
 * Returns 0 or -ENOMEM.
 */
int policy_snapshot_new(Policy *p, uid_t uid, const gid_t *gids, size_t n_gids,
                        PolicySnapshot **ret);
PolicySnapshot *policy_snapshot_free(PolicySnapshot *s);
bool policy_snapshot_may_eavesdrop(const PolicySnapshot *s);
/*
 * policy_snapshot_send_uses_names() / policy_snapshot_receive_uses_names() -
 * does a send (receive) rule of @s name a bus name? If not, the verdict does
 * not depend on PolicyMessage.names and a caller may leave them out.
 */
bool policy_snapshot_send_uses_names(const PolicySnapshot *s);
bool policy_snapshot_receive_uses_names(const PolicySnapshot *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicySnapshot *, policy_snapshot_free);

/* policy_check_own() - may this connection own (or queue for) @name? 0 / POLICY_E_DENIED. */
int policy_check_own(const PolicySnapshot *s, const char *name, PolicyVerdict *verdict);

/*
 * policy_check_send() - may the connection of @s send @m? (its send_* rules)
 * policy_check_receive() - may the connection of @s receive @m? (its receive_*)
 * dbus-daemon checks both for every delivery: the sender's send rules, then
 * the receiver's receive rules. Returns 0 or POLICY_E_DENIED.
 */
int policy_check_send(const PolicySnapshot *s, const PolicyMessage *m, PolicyVerdict *verdict);
int policy_check_receive(const PolicySnapshot *s, const PolicyMessage *m, PolicyVerdict *verdict);

/* the deciding rule, for AccessDenied texts and log lines */
bool policy_rule_is_allow(const PolicyRule *r);
const char *policy_rule_file(const PolicyRule *r); /* config file it came from, or "<builtin>" */
unsigned policy_rule_line(const PolicyRule *r);
/*
 * policy_rule_format() - the rule as XML plus its origin into @buf, e.g.
 * '<deny send_destination="org.x"/> (/etc/x.conf:12)'. Truncates to @size.
 */
void policy_rule_format(const PolicyRule *r, char *buf, size_t size);

/* the text dbus-daemon uses for a message type: "method_call", ... ("invalid" otherwise) */
const char *policy_message_type_name(PolicyMessageType t);

/*
 * policy_dump() - a canonical text form of @p (one rule a line, per context,
 * in evaluation order, without origins), so that equivalent configurations
 * produce the same text. Returns 0 or -ENOMEM; *ret is malloc'd.
 */
int policy_dump(const Policy *p, char **ret);
