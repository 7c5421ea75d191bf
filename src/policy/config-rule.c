/*
 * config-rule.c -- one <allow>/<deny> element into a PolicyRule, with
 * dbus-daemon's rules for which attribute combinations are valid and its
 * error texts; and user/group identities into numbers.
 *
 * Must never: keep state, or fail on an unknown user/group (dbus-daemon warns
 * and drops the rule: so do we, through @warn).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config-internal.h"
#include "util/error.h"

/**
 * config_attrs_locate() - pick the attributes an element accepts.
 * @element: its name, for messages.
 * @atts: expat's name, value, ..., NULL array.
 * @want: the accepted names; values filled (NULL when absent).
 * @n_want: their number.
 * @err: message buffer on failure.
 * @err_size: its size.
 *
 * Return: 0, or CONFIG_E_INVALID for an unknown or repeated attribute.
 */
int config_attrs_locate(const char *element, const char **atts, ConfigAttr *want, size_t n_want,
                        char *err, size_t err_size)
{
        for (size_t j = 0; j < n_want; j++)
                want[j].value = NULL;
        for (size_t i = 0; atts[i]; i += 2) {
                bool found = false;

                for (size_t j = 0; j < n_want && !found; j++) {
                        if (strcmp(want[j].name, atts[i]) != 0)
                                continue;
                        if (want[j].value) {
                                snprintf(err, err_size,
                                         "Attribute \"%s\" repeated twice on the same <%s> element",
                                         atts[i], element);
                                return CONFIG_E_INVALID;
                        }
                        want[j].value = atts[i + 1];
                        found = true;
                }
                if (!found) {
                        snprintf(err, err_size, "Attribute \"%s\" is invalid on <%s> element in this context",
                                 atts[i], element);
                        return CONFIG_E_INVALID;
                }
        }
        return 0;
}

/* "1234" -> 1234 (decimal, no sign, fits below (uint32_t)-1, which means "unset") */
static bool parse_id(const char *s, uint32_t *ret)
{
        unsigned long long v = 0;

        if (!*s)
                return false;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return false;
                v = v * 10 + (unsigned)(*s - '0');
                if (v >= UINT32_MAX)
                        return false;
        }
        *ret = (uint32_t)v;
        return true;
}

/**
 * config_resolve_user() - a user="..." value into a uid.
 * @s: a user name, "#1234" (ours), or "1234" where no user has that name.
 * @flags: BUS_CONFIG_NO_NSS skips the user database.
 * @ret: the uid.
 *
 * Return: true if resolved.
 */
bool config_resolve_user(const char *s, unsigned flags, uint32_t *ret)
{
        struct passwd pw, *res = NULL;
        char buf[4096];

        if (s[0] == '#')
                return parse_id(s + 1, ret);
        if (!(flags & BUS_CONFIG_NO_NSS) && getpwnam_r(s, &pw, buf, sizeof(buf), &res) == 0 && res) {
                *ret = res->pw_uid;
                return true;
        }
        return parse_id(s, ret);
}

/**
 * config_resolve_group() - a group="..." value into a gid; as config_resolve_user().
 * @s: a group name, "#1234" or "1234".
 * @flags: BUS_CONFIG_NO_NSS skips the group database.
 * @ret: the gid.
 *
 * Return: true if resolved.
 */
bool config_resolve_group(const char *s, unsigned flags, uint32_t *ret)
{
        struct group gr, *res = NULL;
        char buf[16384];

        if (s[0] == '#')
                return parse_id(s + 1, ret);
        if (!(flags & BUS_CONFIG_NO_NSS) && getgrnam_r(s, &gr, buf, sizeof(buf), &res) == 0 && res) {
                *ret = res->gr_gid;
                return true;
        }
        return parse_id(s, ret);
}

enum {
        A_SEND_INTERFACE, A_SEND_MEMBER, A_SEND_ERROR, A_SEND_DESTINATION, A_SEND_DESTINATION_PREFIX,
        A_SEND_PATH, A_SEND_TYPE, A_SEND_BROADCAST, A_SEND_REQUESTED_REPLY,
        A_RECEIVE_INTERFACE, A_RECEIVE_MEMBER, A_RECEIVE_ERROR, A_RECEIVE_SENDER, A_RECEIVE_PATH,
        A_RECEIVE_TYPE, A_RECEIVE_REQUESTED_REPLY,
        A_EAVESDROP, A_MAX_FDS, A_MIN_FDS, A_OWN, A_OWN_PREFIX, A_USER, A_GROUP, A_LOG,
        _A_MAX,
};

static const char *const attr_names[_A_MAX] = {
        [A_SEND_INTERFACE] = "send_interface",
        [A_SEND_MEMBER] = "send_member",
        [A_SEND_ERROR] = "send_error",
        [A_SEND_DESTINATION] = "send_destination",
        [A_SEND_DESTINATION_PREFIX] = "send_destination_prefix",
        [A_SEND_PATH] = "send_path",
        [A_SEND_TYPE] = "send_type",
        [A_SEND_BROADCAST] = "send_broadcast",
        [A_SEND_REQUESTED_REPLY] = "send_requested_reply",
        [A_RECEIVE_INTERFACE] = "receive_interface",
        [A_RECEIVE_MEMBER] = "receive_member",
        [A_RECEIVE_ERROR] = "receive_error",
        [A_RECEIVE_SENDER] = "receive_sender",
        [A_RECEIVE_PATH] = "receive_path",
        [A_RECEIVE_TYPE] = "receive_type",
        [A_RECEIVE_REQUESTED_REPLY] = "receive_requested_reply",
        [A_EAVESDROP] = "eavesdrop",
        [A_MAX_FDS] = "max_fds",
        [A_MIN_FDS] = "min_fds",
        [A_OWN] = "own",
        [A_OWN_PREFIX] = "own_prefix",
        [A_USER] = "user",
        [A_GROUP] = "group",
        [A_LOG] = "log",
};

static bool is_wildcard(const char *s)
{
        return s && s[0] == '*' && s[1] == '\0';
}

static PolicyMessageType message_type_from_string(const char *s)
{
        if (strcmp(s, "method_call") == 0)
                return POLICY_MESSAGE_METHOD_CALL;
        if (strcmp(s, "method_return") == 0)
                return POLICY_MESSAGE_METHOD_RETURN;
        if (strcmp(s, "error") == 0)
                return POLICY_MESSAGE_ERROR;
        if (strcmp(s, "signal") == 0)
                return POLICY_MESSAGE_SIGNAL;
        return POLICY_MESSAGE_ANY;
}

/* "true"/"false" attribute; absent -> false */
static int parse_bool(const char *name, const char *v, bool *ret, char *err, size_t err_size)
{
        if (!v) {
                *ret = false;
                return 0;
        }
        if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
                *ret = strcmp(v, "true") == 0;
                return 0;
        }
        snprintf(err, err_size, "Bad value \"%s\" for %s attribute, must be true or false", v, name);
        return CONFIG_E_INVALID;
}

static int parse_fds(const char *name, const char *v, unsigned def, unsigned *ret, char *err,
                     size_t err_size)
{
        char *end;
        long n;

        if (!v) {
                *ret = def;
                return 0;
        }
        errno = 0;
        n = strtol(v, &end, 0);
        if (errno || end == v || *end || n < 0 || n > (long)POLICY_MAX_FDS) {
                snprintf(err, err_size,
                         "Bad value \"%s\" for %s attribute, must be an integer in range 0 to %u inclusive",
                         v, name, POLICY_MAX_FDS);
                return CONFIG_E_INVALID;
        }
        *ret = (unsigned)n;
        return 0;
}

static int dup_field(char **dst, const char *v)
{
        if (!v || is_wildcard(v))
                return 0;
        *dst = strdup(v);
        return *dst ? 0 : error_origin(-ENOMEM);
}

/* the send_* or receive_* half; @a is indexed by A_* */
static int message_rule(const char **a, bool send, bool allow, PolicyRule **ret, char *err, size_t err_size)
{
        _cleanup_(policy_rule_freep) PolicyRule *r = NULL;
        const char *type = send ? a[A_SEND_TYPE] : a[A_RECEIVE_TYPE];
        const char *rr = send ? a[A_SEND_REQUESTED_REPLY] : a[A_RECEIVE_REQUESTED_REPLY];
        const char *name = send ? (a[A_SEND_DESTINATION] ? a[A_SEND_DESTINATION] : a[A_SEND_DESTINATION_PREFIX])
                                : a[A_RECEIVE_SENDER];
        bool broadcast_set = false, broadcast = false;
        int k;

        r = policy_rule_new(send ? RULE_SEND : RULE_RECEIVE, allow);
        if (!r)
                return error_origin(-ENOMEM);
        if (type && !is_wildcard(type)) {
                r->type = message_type_from_string(type);
                if (r->type == POLICY_MESSAGE_ANY) {
                        snprintf(err, err_size, "Bad message type \"%s\"", type);
                        return CONFIG_E_INVALID;
                }
        }
        k = parse_bool("eavesdrop", a[A_EAVESDROP], &r->eavesdrop, err, err_size);
        if (k == 0 && send && a[A_SEND_BROADCAST]) {
                broadcast_set = true;
                k = parse_bool("send_broadcast", a[A_SEND_BROADCAST], &broadcast, err, err_size);
        }
        if (k)
                return k;
        if (send && a[A_SEND_DESTINATION] && !is_wildcard(a[A_SEND_DESTINATION]) && broadcast_set &&
            broadcast) {
                snprintf(err, err_size,
                         "Rule with send_broadcast=\"true\" and send_destination=\"%s\" cannot match anything",
                         a[A_SEND_DESTINATION]);
                return CONFIG_E_INVALID;
        }
        if (rr) /* absent: the default policy_rule_new() chose */
                k = parse_bool(send ? "send_requested_reply" : "receive_requested_reply", rr, &r->requested_reply,
                               err, err_size);
        if (k == 0)
                k = parse_fds("max_fds", a[A_MAX_FDS], POLICY_MAX_FDS, &r->max_fds, err, err_size);
        if (k == 0)
                k = parse_fds("min_fds", a[A_MIN_FDS], 0, &r->min_fds, err, err_size);
        if (k)
                return k;
        r->broadcast = !broadcast_set ? TRISTATE_ANY : broadcast ? TRISTATE_TRUE : TRISTATE_FALSE;
        /* dbus-daemon: log is "true" or anything else (= false), and only on send rules */
        r->log = send && a[A_LOG] && strcmp(a[A_LOG], "true") == 0;
        if ((k = dup_field(&r->path, send ? a[A_SEND_PATH] : a[A_RECEIVE_PATH])) < 0 ||
            (k = dup_field(&r->interface, send ? a[A_SEND_INTERFACE] : a[A_RECEIVE_INTERFACE])) < 0 ||
            (k = dup_field(&r->member, send ? a[A_SEND_MEMBER] : a[A_RECEIVE_MEMBER])) < 0 ||
            (k = dup_field(&r->error, send ? a[A_SEND_ERROR] : a[A_RECEIVE_ERROR])) < 0)
                return k;
        if (send && a[A_SEND_DESTINATION_PREFIX]) {
                /* a prefix is never a wildcard, "*" included */
                r->name_is_prefix = true;
                r->name = strdup(name);
                if (!r->name)
                        return error_origin(-ENOMEM);
        } else if ((k = dup_field(&r->name, name)) < 0) {
                return k;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

/* checks of combinations, in dbus-daemon's order and words */
static int check_combination(const char *element, const char **a, char *err, size_t err_size)
{
        bool any_send = false, any_receive = false, any_message;
        int ids = !!a[A_OWN] + !!a[A_OWN_PREFIX] + !!a[A_USER] + !!a[A_GROUP];

        for (int i = A_SEND_INTERFACE; i <= A_SEND_REQUESTED_REPLY; i++)
                any_send = any_send || a[i];
        for (int i = A_RECEIVE_INTERFACE; i <= A_RECEIVE_REQUESTED_REPLY; i++)
                any_receive = any_receive || a[i];
        /* <allow eavesdrop="true"/> is a receive rule */
        any_receive = any_receive || (!any_send && a[A_EAVESDROP]);
        any_message = any_send || any_receive || a[A_EAVESDROP] || a[A_MAX_FDS] || a[A_MIN_FDS];

        if (!(any_send || any_receive || ids)) {
                snprintf(err, err_size, "Element <%s> must have one or more attributes", element);
                return CONFIG_E_INVALID;
        }
        if ((a[A_SEND_MEMBER] && !a[A_SEND_INTERFACE] && !a[A_SEND_PATH]) ||
            (a[A_RECEIVE_MEMBER] && !a[A_RECEIVE_INTERFACE] && !a[A_RECEIVE_PATH])) {
                snprintf(err, err_size,
                         "On element <%s>, if you specify a member you must specify an interface or a path. "
                         "Keep in mind that not all messages have an interface field.",
                         element);
                return CONFIG_E_INVALID;
        }
        if ((int)any_message + ids > 1) {
                snprintf(err, err_size,
                         "Invalid combination of attributes on element <%s>: own, own_prefix, user, group and "
                         "the message-related attributes cannot be combined",
                         element);
                return CONFIG_E_INVALID;
        }
        if (any_send && any_receive) {
                snprintf(err, err_size,
                         "Invalid combination of attributes on element <%s>: send and receive attributes "
                         "cannot be combined",
                         element);
                return CONFIG_E_INVALID;
        }
        if ((a[A_SEND_MEMBER] || a[A_SEND_INTERFACE]) && a[A_SEND_ERROR]) {
                snprintf(err, err_size,
                         "Invalid combination of attributes on element <%s>: send_error cannot be combined "
                         "with send_member or send_interface",
                         element);
                return CONFIG_E_INVALID;
        }
        if (a[A_SEND_DESTINATION] && a[A_SEND_DESTINATION_PREFIX]) {
                snprintf(err, err_size,
                         "Invalid combination of attributes on element <%s>: send_destination cannot be "
                         "combined with send_destination_prefix",
                         element);
                return CONFIG_E_INVALID;
        }
        if ((a[A_RECEIVE_MEMBER] || a[A_RECEIVE_INTERFACE]) && a[A_RECEIVE_ERROR]) {
                snprintf(err, err_size,
                         "Invalid combination of attributes on element <%s>: receive_error cannot be combined "
                         "with receive_member or receive_interface",
                         element);
                return CONFIG_E_INVALID;
        }
        return 0;
}

/**
 * config_rule_from_element() - build the rule of one <allow>/<deny>.
 * @element: "allow" or "deny".
 * @atts: expat's attribute array.
 * @allow: true for <allow>.
 * @flags: BUS_CONFIG_* flags (identity lookups).
 * @ret: the rule; NULL (with 0 returned) when the rule is dropped because its
 *       user or group does not exist (then @warn says so).
 * @err: message on CONFIG_E_INVALID.
 * @err_size: its size.
 * @warn: message when a rule is dropped ("" otherwise).
 * @warn_size: its size.
 *
 * Return: 0, CONFIG_E_INVALID or -ENOMEM.
 */
int config_rule_from_element(const char *element, const char **atts, bool allow, unsigned flags,
                             PolicyRule **ret, char *err, size_t err_size, char *warn, size_t warn_size)
{
        ConfigAttr want[_A_MAX];
        const char *a[_A_MAX];
        PolicyRule *r;
        bool any_send = false;
        int k;

        warn[0] = '\0';
        for (size_t i = 0; i < _A_MAX; i++)
                want[i] = (ConfigAttr){ .name = attr_names[i] };
        k = config_attrs_locate(element, atts, want, _A_MAX, err, err_size);
        if (k)
                return k;
        for (size_t i = 0; i < _A_MAX; i++)
                a[i] = want[i].value;
        k = check_combination(element, a, err, err_size);
        if (k)
                return k;
        for (int i = A_SEND_INTERFACE; i <= A_SEND_REQUESTED_REPLY; i++)
                any_send = any_send || a[i];

        if (a[A_OWN] || a[A_OWN_PREFIX]) {
                r = policy_rule_new(RULE_OWN, allow);
                if (!r)
                        return error_origin(-ENOMEM);
                r->name_is_prefix = !a[A_OWN];
                if (a[A_OWN_PREFIX] || !is_wildcard(a[A_OWN])) {
                        r->name = strdup(a[A_OWN] ? a[A_OWN] : a[A_OWN_PREFIX]);
                        if (!r->name) {
                                policy_rule_free(r);
                                return error_origin(-ENOMEM);
                        }
                }
        } else if (a[A_USER] || a[A_GROUP]) {
                bool user = a[A_USER];
                const char *v = user ? a[A_USER] : a[A_GROUP];
                uint32_t id = 0;

                if (!is_wildcard(v) &&
                    !(user ? config_resolve_user(v, flags, &id) : config_resolve_group(v, flags, &id))) {
                        snprintf(warn, warn_size, "Unknown %s \"%s\" on element <%s>",
                                 user ? "username" : "group", v, element);
                        *ret = NULL;
                        return 0;
                }
                r = policy_rule_new(user ? RULE_USER : RULE_GROUP, allow);
                if (!r)
                        return error_origin(-ENOMEM);
                r->any_id = is_wildcard(v);
                r->id = id;
        } else {
                k = message_rule(a, any_send, allow, &r, err, err_size);
                if (k)
                        return k;
        }
        *ret = r;
        return 0;
}
