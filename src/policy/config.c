/*
 * config.c -- the BusConfig object: defaults, the built-in --session
 * configuration, string lists, merging an included file, freeing.
 *
 * Parsing lives in config-parser.c. Must never: do I/O or log.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config-internal.h"
#include "policy/config-priv.h"
#include "util/error.h"

/**
 * bus_config_limits_default() - dbus-daemon's compiled-in limits
 * (bus/config-parser.c; DBUS_DEFAULT_MESSAGE_UNIX_FDS is 16 on Linux).
 * @ret: filled.
 */
void bus_config_limits_default(BusLimits *ret)
{
        *ret = (BusLimits){
                .max_incoming_bytes = 127u * 1024 * 1024,
                .max_incoming_unix_fds = 16 * 4,
                .max_outgoing_bytes = 127u * 1024 * 1024,
                .max_outgoing_unix_fds = 16 * 4,
                .max_message_size = 32u * 1024 * 1024,
                .max_message_unix_fds = 16,
                .service_start_timeout = 25000,
                .auth_timeout = 30000,
                .pending_fd_timeout = 150000,
                .max_completed_connections = 2048,
                .max_incomplete_connections = 64,
                .max_connections_per_user = 256,
                .max_pending_service_starts = 512,
                .max_names_per_connection = 512,
                .max_match_rules_per_connection = 512,
                .max_replies_per_connection = 128,
                .reply_timeout = -1,
        };
}

/**
 * strv_append() - append a copy of @s to a NULL-terminated list.
 * @l: the list (NULL-terminated, never NULL).
 * @s: the string.
 *
 * Return: 0 or -ENOMEM.
 */
int strv_append(char ***l, const char *s)
{
        size_t n = 0;
        char **v, *c;

        while ((*l)[n])
                n++;
        c = strdup(s);
        if (!c)
                return error_origin(-ENOMEM);
        v = reallocarray(*l, n + 2, sizeof(*v));
        if (!v) {
                free(c);
                return error_origin(-ENOMEM);
        }
        v[n] = c;
        v[n + 1] = NULL;
        *l = v;
        return 0;
}

/**
 * strv_append_unique() - strv_append() unless @s is already in the list
 * (service directories, as dbus-daemon).
 * @l: the list.
 * @s: the string.
 *
 * Return: 0 or -ENOMEM.
 */
int strv_append_unique(char ***l, const char *s)
{
        for (size_t i = 0; (*l)[i]; i++)
                if (strcmp((*l)[i], s) == 0)
                        return 0;
        return strv_append(l, s);
}

static char **strv_free(char **l)
{
        if (l)
                for (size_t i = 0; l[i]; i++)
                        free(l[i]);
        free(l);
        return NULL;
}

/**
 * bus_config_new_empty() - a configuration with defaults and an empty policy.
 * @ret: the configuration.
 *
 * Return: 0 or -ENOMEM.
 */
int bus_config_new_empty(BusConfig **ret)
{
        _cleanup_(bus_config_freep) BusConfig *c = NULL;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return error_origin(-ENOMEM);
        c->listen = calloc(1, sizeof(char *));
        c->auth = calloc(1, sizeof(char *));
        c->servicedirs = calloc(1, sizeof(char *));
        c->warnings = calloc(1, sizeof(char *));
        if (!c->listen || !c->auth || !c->servicedirs || !c->warnings)
                return error_origin(-ENOMEM);
        bus_config_limits_default(&c->limits);
        c->apparmor = BUS_APPARMOR_ENABLED;
        r = policy_new(&c->policy);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/**
 * bus_config_free() - free a configuration.
 * @c: the configuration or NULL.
 *
 * Return: NULL.
 */
BusConfig *bus_config_free(BusConfig *c)
{
        if (!c)
                return NULL;
        free(c->type);
        strv_free(c->listen);
        strv_free(c->auth);
        free(c->user);
        free(c->pidfile);
        free(c->servicehelper);
        strv_free(c->servicedirs);
        for (size_t i = 0; i < c->n_selinux_associations; i++) {
                free(c->selinux_associations[i].own);
                free(c->selinux_associations[i].context);
        }
        free(c->selinux_associations);
        policy_unref(c->policy);
        strv_free(c->warnings);
        free(c);
        return NULL;
}

static void take_string(char **dst, char **src)
{
        if (*src) {
                free(*dst);
                *dst = TAKE_PTR(*src);
        }
}

static int strv_move(char ***dst, char **src)
{
        for (size_t i = 0; src[i]; i++) {
                int r = strv_append(dst, src[i]);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int rules_move(Policy *dst, PolicyCtx ctx, uint32_t id, RuleList *src)
{
        for (size_t i = 0; i < src->n; i++) {
                PolicyRule *rule = TAKE_PTR(src->v[i]);
                int r = 0;

                /* the rule names a file interned in the source policy */
                if (rule->file)
                        r = policy_intern_file(dst, rule->file, &rule->file);
                if (r < 0) {
                        policy_rule_free(rule);
                        return r;
                }
                r = policy_add_rule(dst, ctx, id, rule);
                if (r < 0)
                        return r;
        }
        src->n = 0;
        return 0;
}

/* move the rules of @src into @dst, context by context (dbus-daemon's
 * bus_policy_merge) */
static int policy_merge(Policy *dst, Policy *src)
{
        int r;

        if ((r = rules_move(dst, PCTX_DEFAULT, 0, &src->defaults)) < 0 ||
            (r = rules_move(dst, PCTX_MANDATORY, 0, &src->mandatory)) < 0 ||
            (r = rules_move(dst, PCTX_CONSOLE, 1, &src->console_true)) < 0 ||
            (r = rules_move(dst, PCTX_CONSOLE, 0, &src->console_false)) < 0)
                return r;
        for (size_t u = 0; u < src->n_users; u++)
                if ((r = rules_move(dst, PCTX_USER, src->users[u].id, &src->users[u].rules)) < 0)
                        return r;
        for (size_t g = 0; g < src->n_groups; g++)
                if ((r = rules_move(dst, PCTX_GROUP, src->groups[g].id, &src->groups[g].rules)) < 0)
                        return r;
        return 0;
}

/**
 * bus_config_merge() - fold an included file's configuration into its
 * includer, as dbus-daemon's merge_included(): strings it sets replace ours,
 * flags are or-ed, lists and rules appended, limits taken (the included file
 * started from ours).
 * @c: the including configuration.
 * @inc: the included one (emptied).
 *
 * Return: 0 or -ENOMEM.
 */
int bus_config_merge(BusConfig *c, BusConfig *inc)
{
        int r;

        r = policy_merge(c->policy, inc->policy);
        if (r < 0)
                return r;
        for (size_t i = 0; i < inc->n_selinux_associations; i++) {
                r = bus_config_add_association(c, inc->selinux_associations[i].own,
                                               inc->selinux_associations[i].context);
                if (r < 0)
                        return r;
        }
        take_string(&c->user, &inc->user);
        take_string(&c->type, &inc->type);
        take_string(&c->pidfile, &inc->pidfile);
        take_string(&c->servicehelper, &inc->servicehelper);
        c->fork = c->fork || inc->fork;
        c->keep_umask = c->keep_umask || inc->keep_umask;
        c->allow_anonymous = c->allow_anonymous || inc->allow_anonymous;
        c->syslog = c->syslog || inc->syslog;
        c->limits = inc->limits;
        c->apparmor = inc->apparmor;
        if ((r = strv_move(&c->listen, inc->listen)) < 0 || (r = strv_move(&c->auth, inc->auth)) < 0 ||
            (r = strv_move(&c->warnings, inc->warnings)) < 0)
                return r;
        for (size_t i = 0; inc->servicedirs[i]; i++)
                if ((r = strv_append_unique(&c->servicedirs, inc->servicedirs[i])) < 0)
                        return r;
        return 0;
}

/**
 * bus_config_add_association() - record <associate own= context=>; a later
 * entry for the same name replaces the earlier one (dbus-daemon's hash table).
 * @c: the configuration.
 * @own: the bus name.
 * @context: the SELinux context.
 *
 * Return: 0 or -ENOMEM.
 */
int bus_config_add_association(BusConfig *c, const char *own, const char *context)
{
        BusSelinuxAssociation *v;
        char *o, *x;

        x = strdup(context);
        if (!x)
                return error_origin(-ENOMEM);
        for (size_t i = 0; i < c->n_selinux_associations; i++) {
                if (strcmp(c->selinux_associations[i].own, own) == 0) {
                        free(c->selinux_associations[i].context);
                        c->selinux_associations[i].context = x;
                        return 0;
                }
        }
        o = strdup(own);
        v = reallocarray(c->selinux_associations, c->n_selinux_associations + 1, sizeof(*v));
        if (!o || !v) {
                free(o);
                free(x);
                if (v)
                        c->selinux_associations = v;
                return error_origin(-ENOMEM);
        }
        c->selinux_associations = v;
        v[c->n_selinux_associations++] = (BusSelinuxAssociation){ .own = o, .context = x };
        return 0;
}

static int add_builtin_rule(Policy *p, PolicyRule *r)
{
        if (!r)
                return error_origin(-ENOMEM);
        r->line = 0;
        return policy_add_rule(p, PCTX_DEFAULT, 0, r);
}

/**
 * bus_config_new_session() - the built-in --session configuration. See config.h.
 * @ret: the configuration.
 *
 * Return: 0 or -ENOMEM.
 */
int bus_config_new_session(BusConfig **ret)
{
        _cleanup_(bus_config_freep) BusConfig *c = NULL;
        PolicyRule *r;
        int k;

        k = bus_config_new_empty(&c);
        if (k < 0)
                return k;
        c->type = strdup("session");
        if (!c->type)
                return error_origin(-ENOMEM);
        c->keep_umask = true;
        if ((k = strv_append(&c->listen, "unix:tmpdir=/tmp")) < 0 || (k = strv_append(&c->auth, "EXTERNAL")) < 0)
                return k;
        /* <allow send_destination="*" eavesdrop="true"/> */
        r = policy_rule_new(RULE_SEND, true);
        if (r)
                r->eavesdrop = true;
        if ((k = add_builtin_rule(c->policy, r)) < 0)
                return k;
        /* <allow eavesdrop="true"/> */
        r = policy_rule_new(RULE_RECEIVE, true);
        if (r)
                r->eavesdrop = true;
        if ((k = add_builtin_rule(c->policy, r)) < 0)
                return k;
        /* <allow own="*"/> */
        if ((k = add_builtin_rule(c->policy, policy_rule_new(RULE_OWN, true))) < 0)
                return k;
        /* session.conf's limits */
        c->limits.max_incoming_bytes = 1000000000;
        c->limits.max_incoming_unix_fds = 250000000;
        c->limits.max_outgoing_bytes = 1000000000;
        c->limits.max_outgoing_unix_fds = 250000000;
        c->limits.max_message_size = 1000000000;
        c->limits.service_start_timeout = 120000;
        c->limits.auth_timeout = 240000;
        c->limits.pending_fd_timeout = 150000;
        c->limits.max_completed_connections = 100000;
        c->limits.max_incomplete_connections = 10000;
        c->limits.max_connections_per_user = 100000;
        c->limits.max_pending_service_starts = 10000;
        c->limits.max_names_per_connection = 50000;
        c->limits.max_match_rules_per_connection = 50000;
        c->limits.max_replies_per_connection = 50000;
        *ret = TAKE_PTR(c);
        return 0;
}

static bool limit_is_int(const char *name)
{
        /* dbus-daemon keeps these in a C int */
        static const char *const ints[] = {
                "service_start_timeout",      "auth_timeout",
                "pending_fd_timeout",         "reply_timeout",
                "max_completed_connections",  "max_incomplete_connections",
                "max_connections_per_user",   "max_pending_service_starts",
                "max_names_per_connection",   "max_match_rules_per_connection",
                "max_replies_per_connection",
        };

        for (size_t i = 0; i < ELEMENTSOF(ints); i++)
                if (strcmp(ints[i], name) == 0)
                        return true;
        return false;
}

static uint64_t *limit_field(BusLimits *l, const char *name)
{
        static const struct {
                const char *name;
                size_t offset;
        } table[] = {
#define L(n) { #n, offsetof(BusLimits, n) }
                L(max_incoming_bytes),         L(max_incoming_unix_fds),
                L(max_outgoing_bytes),         L(max_outgoing_unix_fds),
                L(max_message_size),           L(max_message_unix_fds),
                L(service_start_timeout),      L(auth_timeout),
                L(pending_fd_timeout),         L(max_completed_connections),
                L(max_incomplete_connections), L(max_connections_per_user),
                L(max_pending_service_starts), L(max_names_per_connection),
                L(max_match_rules_per_connection), L(max_replies_per_connection),
#undef L
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(table[i].name, name) == 0)
                        return (uint64_t *)((char *)l + table[i].offset);
        return NULL;
}

/**
 * bus_config_set_limit() - a <limit name="@name">@text</limit>, with
 * dbus-daemon's names, ranges and error texts.
 * @c: the configuration.
 * @name: the limit's name.
 * @text: its value (decimal).
 * @err: message on failure.
 * @err_size: its size.
 *
 * Return: 0 or CONFIG_E_INVALID.
 */
int bus_config_set_limit(BusConfig *c, const char *name, const char *text, char *err, size_t err_size)
{
        uint64_t *field = limit_field(&c->limits, name);
        char *end;
        long long v;

        errno = 0;
        v = strtoll(text, &end, 10);
        if (errno || end == text || *end) {
                snprintf(err, err_size, "<limit name=\"%s\"> element has invalid value (could not parse as integer)",
                         name);
                return CONFIG_E_INVALID;
        }
        if (!field && strcmp(name, "reply_timeout") != 0) {
                /* dbus-daemon 1.13's container limits: accepted, nothing to limit */
                if (strcmp(name, "max_containers") == 0 || strcmp(name, "max_containers_per_user") == 0 ||
                    strcmp(name, "max_connections_per_container") == 0 ||
                    strcmp(name, "max_container_metadata_bytes") == 0)
                        return 0;
                snprintf(err, err_size, "There is no limit called \"%s\"", name);
                return CONFIG_E_INVALID;
        }
        if (v < 0) {
                snprintf(err, err_size, "<limit name=\"%s\"> must be a positive number", name);
                return CONFIG_E_INVALID;
        }
        if (limit_is_int(name) && v > INT_MAX) {
                snprintf(err, err_size, "<limit name=\"%s\"> value is too large", name);
                return CONFIG_E_INVALID;
        }
        if (field)
                *field = (uint64_t)v;
        else
                c->limits.reply_timeout = v;
        return 0;
}
