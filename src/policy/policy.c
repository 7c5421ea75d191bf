/*
 * policy.c -- the Policy object: rules grouped by context as the parser
 * built them, the connect check, rule formatting and the canonical dump.
 *
 * A Policy is immutable once the parser hands it out; per-connection checks
 * live in snapshot.c. Must never: do I/O, log, or consult the user database
 * (identities were resolved to numbers by the parser).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy-internal.h"
#include "util/error.h"

/**
 * policy_rule_new() - an empty rule matching everything of its kind.
 * @kind: send, receive, own, user or group.
 * @allow: true for <allow>, false for <deny>.
 *
 * Return: the rule, or NULL when out of memory.
 */
PolicyRule *policy_rule_new(PolicyRuleKind kind, bool allow)
{
        PolicyRule *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->kind = kind;
        r->allow = allow;
        r->max_fds = POLICY_MAX_FDS;
        /* dbus-daemon: an allow applies only to requested replies unless it
         * says send_requested_reply="false"; a deny only to unrequested ones
         * unless it says "true" */
        r->requested_reply = allow && (kind == RULE_SEND || kind == RULE_RECEIVE);
        return r;
}

/**
 * policy_rule_free() - free a rule not (yet) owned by a Policy.
 * @r: the rule or NULL.
 *
 * Return: NULL.
 */
PolicyRule *policy_rule_free(PolicyRule *r)
{
        if (!r)
                return NULL;
        free(r->path);
        free(r->interface);
        free(r->member);
        free(r->error);
        free(r->name);
        free(r);
        return NULL;
}

static void rule_list_clear(RuleList *l)
{
        for (size_t i = 0; i < l->n; i++)
                policy_rule_free(l->v[i]);
        free(l->v);
        *l = (RuleList){};
}

static int rule_list_append(RuleList *l, PolicyRule *r)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 8;
                PolicyRule **v = reallocarray(l->v, cap, sizeof(*v));

                if (!v)
                        return -ENOMEM;
                l->v = v;
                l->cap = cap;
        }
        l->v[l->n++] = r;
        return 0;
}

/**
 * policy_new() - an empty policy (denies everything but the bus owner's uid).
 * @ret: the new policy, one reference.
 *
 * Return: 0 or -ENOMEM.
 */
int policy_new(Policy **ret)
{
        Policy *p = calloc(1, sizeof(*p));

        if (!p)
                return error_origin(-ENOMEM);
        p->n_ref = 1;
        *ret = p;
        return 0;
}

/**
 * policy_ref() - take a reference.
 * @p: the policy or NULL.
 *
 * Return: @p.
 */
Policy *policy_ref(Policy *p)
{
        if (p)
                p->n_ref++;
        return p;
}

static void id_rules_free(IdRules *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                rule_list_clear(&v[i].rules);
        free(v);
}

/**
 * policy_unref() - drop a reference; the last one frees the policy.
 * @p: the policy or NULL.
 *
 * Return: NULL.
 */
Policy *policy_unref(Policy *p)
{
        if (!p || --p->n_ref > 0)
                return NULL;
        rule_list_clear(&p->defaults);
        rule_list_clear(&p->mandatory);
        rule_list_clear(&p->console_true);
        rule_list_clear(&p->console_false);
        id_rules_free(p->users, p->n_users);
        id_rules_free(p->groups, p->n_groups);
        for (size_t i = 0; i < p->n_files; i++)
                free(p->files[i]);
        free(p->files);
        free(p);
        return NULL;
}

/**
 * policy_intern_file() - keep one copy of a file name for rules to point to.
 * @p: the policy being built.
 * @file: the name.
 * @ret: the interned copy, valid as long as @p.
 *
 * Return: 0 or -ENOMEM.
 */
int policy_intern_file(Policy *p, const char *file, const char **ret)
{
        char **v, *s;

        for (size_t i = p->n_files; i > 0; i--) {
                if (strcmp(p->files[i - 1], file) == 0) {
                        *ret = p->files[i - 1];
                        return 0;
                }
        }
        s = strdup(file);
        if (!s)
                return error_origin(-ENOMEM);
        v = reallocarray(p->files, p->n_files + 1, sizeof(*v));
        if (!v) {
                free(s);
                return error_origin(-ENOMEM);
        }
        p->files = v;
        p->files[p->n_files++] = s;
        *ret = s;
        return 0;
}

static RuleList *id_rules_get(IdRules **v, size_t *n, uint32_t id)
{
        IdRules *nv;

        for (size_t i = 0; i < *n; i++)
                if ((*v)[i].id == id)
                        return &(*v)[i].rules;
        nv = reallocarray(*v, *n + 1, sizeof(**v));
        if (!nv)
                return NULL;
        *v = nv;
        nv[*n] = (IdRules){ .id = id };
        return &nv[(*n)++].rules;
}

/**
 * policy_add_rule() - append a rule to a context.
 * @p: the policy being built.
 * @ctx: which <policy> context.
 * @id: uid, gid, or 1/0 for at_console="true"/"false"; ignored otherwise.
 * @rule: the rule; ownership passes to @p even on failure.
 *
 * Return: 0 or -ENOMEM.
 */
int policy_add_rule(Policy *p, PolicyCtx ctx, uint32_t id, PolicyRule *rule)
{
        RuleList *l = NULL;
        int r;

        switch (ctx) {
        case PCTX_DEFAULT:
                l = &p->defaults;
                break;
        case PCTX_MANDATORY:
                l = &p->mandatory;
                break;
        case PCTX_CONSOLE:
                l = id ? &p->console_true : &p->console_false;
                break;
        case PCTX_USER:
                l = id_rules_get(&p->users, &p->n_users, id);
                break;
        case PCTX_GROUP:
                l = id_rules_get(&p->groups, &p->n_groups, id);
                break;
        }
        if (!l) {
                policy_rule_free(rule);
                return error_origin(-ENOMEM);
        }
        r = rule_list_append(l, rule);
        if (r < 0)
                policy_rule_free(rule);
        return r;
}

/**
 * policy_rule_is_catch_all() - does dbus-daemon's per-connection optimisation
 * treat @r as overriding every earlier rule of its kind? (It ignores
 * broadcast, requested_reply, eavesdrop and fd bounds: so do we.)
 * @r: a send, receive or own rule.
 *
 * Return: true if so.
 */
bool policy_rule_is_catch_all(const PolicyRule *r)
{
        switch (r->kind) {
        case RULE_SEND:
        case RULE_RECEIVE:
                return r->type == POLICY_MESSAGE_ANY && !r->path && !r->interface && !r->member &&
                       !r->error && !r->name;
        case RULE_OWN:
                return !r->name;
        default:
                return false;
        }
}

static bool id_in(uint32_t id, const gid_t *gids, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (gids[i] == id)
                        return true;
        return false;
}

static void connect_walk(const RuleList *l, uid_t uid, const gid_t *gids, size_t n_gids,
                         bool *allowed, PolicyVerdict *v)
{
        for (size_t i = 0; i < l->n; i++) {
                const PolicyRule *r = l->v[i];

                if (r->kind == RULE_USER) {
                        if (!r->any_id && r->id != uid)
                                continue;
                } else if (r->kind == RULE_GROUP) {
                        if (!r->any_id && !id_in(r->id, gids, n_gids))
                                continue;
                } else {
                        continue;
                }
                *allowed = r->allow;
                v->rule = r;
                v->n_matched++;
        }
}

/**
 * policy_check_connect() - may a peer connect? See policy.h.
 * @p: the policy.
 * @bus_uid: the uid the bus runs as (allowed when no rule matches).
 * @uid: the peer's uid.
 * @gids: the peer's groups.
 * @n_gids: their number.
 * @verdict: optional, filled with the deciding rule.
 *
 * Return: 0 or POLICY_E_DENIED.
 */
int policy_check_connect(const Policy *p, uid_t bus_uid, uid_t uid, const gid_t *gids, size_t n_gids,
                         PolicyVerdict *verdict)
{
        PolicyVerdict v = {};
        bool allowed = uid == bus_uid;

        connect_walk(&p->defaults, uid, gids, n_gids, &allowed, &v);
        connect_walk(&p->mandatory, uid, gids, n_gids, &allowed, &v);
        if (verdict)
                *verdict = v;
        return allowed ? 0 : POLICY_E_DENIED;
}

/**
 * policy_message_type_name() - dbus-daemon's name for a message type.
 * @t: the type.
 *
 * Return: "method_call", "method_return", "error", "signal" or "invalid".
 */
const char *policy_message_type_name(PolicyMessageType t)
{
        switch (t) {
        case POLICY_MESSAGE_METHOD_CALL:
                return "method_call";
        case POLICY_MESSAGE_METHOD_RETURN:
                return "method_return";
        case POLICY_MESSAGE_ERROR:
                return "error";
        case POLICY_MESSAGE_SIGNAL:
                return "signal";
        default:
                return "invalid";
        }
}

/** policy_rule_is_allow() - true for <allow>, false for <deny>. @r: the rule. Return: that. */
bool policy_rule_is_allow(const PolicyRule *r)
{
        return r->allow;
}

/** policy_rule_file() - the file a rule came from. @r: the rule. Return: the name. */
const char *policy_rule_file(const PolicyRule *r)
{
        return r->file ? r->file : "<builtin>";
}

/** policy_rule_line() - the line a rule came from. @r: the rule. Return: the line (1-based). */
unsigned policy_rule_line(const PolicyRule *r)
{
        return r->line;
}

/* a growable string; on allocation failure it stays marked as failed */
typedef struct Text {
        char *s;
        size_t n;
        size_t cap;
        bool oom;
} Text;

_printf_(2, 3) static void text_add(Text *t, const char *fmt, ...)
{
        va_list ap;
        int k;

        if (t->oom)
                return;
        for (;;) {
                size_t room = t->cap - t->n;

                va_start(ap, fmt);
                k = vsnprintf(t->s ? t->s + t->n : NULL, room, fmt, ap);
                va_end(ap);
                if (k < 0) {
                        t->oom = true;
                        return;
                }
                if ((size_t)k < room) {
                        t->n += (size_t)k;
                        return;
                }
                size_t cap = MAX(t->cap * 2, t->n + (size_t)k + 64);
                char *s = realloc(t->s, cap);

                if (!s) {
                        t->oom = true;
                        return;
                }
                t->s = s;
                t->cap = cap;
        }
}

static void text_attr(Text *t, const char *name, const char *value)
{
        text_add(t, " %s=\"%s\"", name, value ? value : "*");
}

/* the rule as dbus-daemon XML (canonical attribute order) */
static void rule_to_text(Text *t, const PolicyRule *r)
{
        text_add(t, "<%s", r->allow ? "allow" : "deny");
        switch (r->kind) {
        case RULE_SEND:
        case RULE_RECEIVE: {
                const char *pfx = r->kind == RULE_SEND ? "send" : "receive";
                char attr[64];

#define ATTR(field, value)                                                  \
        do {                                                                \
                snprintf(attr, sizeof(attr), "%s_%s", pfx, field);          \
                text_attr(t, attr, value);                                  \
        } while (0)
                if (r->type != POLICY_MESSAGE_ANY)
                        ATTR("type", policy_message_type_name(r->type));
                if (r->path)
                        ATTR("path", r->path);
                if (r->interface)
                        ATTR("interface", r->interface);
                if (r->member)
                        ATTR("member", r->member);
                if (r->error)
                        ATTR("error", r->error);
                if (r->kind == RULE_SEND && r->name_is_prefix)
                        ATTR("destination_prefix", r->name);
                else
                        ATTR(r->kind == RULE_SEND ? "destination" : "sender", r->name);
                if (r->broadcast != TRISTATE_ANY)
                        ATTR("broadcast", r->broadcast == TRISTATE_TRUE ? "true" : "false");
                if (r->requested_reply != r->allow) /* only when not the default */
                        ATTR("requested_reply", r->requested_reply ? "true" : "false");
#undef ATTR
                if (r->eavesdrop)
                        text_attr(t, "eavesdrop", "true");
                if (r->min_fds > 0)
                        text_add(t, " min_fds=\"%u\"", r->min_fds);
                if (r->max_fds < POLICY_MAX_FDS)
                        text_add(t, " max_fds=\"%u\"", r->max_fds);
                if (r->log)
                        text_attr(t, "log", "true");
                break;
        }
        case RULE_OWN:
                text_attr(t, r->name_is_prefix ? "own_prefix" : "own", r->name);
                break;
        case RULE_USER:
        case RULE_GROUP:
                if (r->any_id)
                        text_attr(t, r->kind == RULE_USER ? "user" : "group", "*");
                else
                        text_add(t, " %s=\"#%u\"", r->kind == RULE_USER ? "user" : "group", r->id);
                break;
        }
        text_add(t, "/>");
}

/**
 * policy_rule_format() - the rule as XML with its origin. See policy.h.
 * @r: the rule.
 * @buf: where to write.
 * @size: its size (> 0).
 */
void policy_rule_format(const PolicyRule *r, char *buf, size_t size)
{
        Text t = {};

        rule_to_text(&t, r);
        text_add(&t, " (%s:%u)", policy_rule_file(r), r->line);
        snprintf(buf, size, "%s", t.oom ? "(out of memory)" : t.s);
        free(t.s);
}

static void dump_list(Text *t, const char *title, const RuleList *l)
{
        if (l->n == 0)
                return;
        text_add(t, "%s\n", title);
        for (size_t i = 0; i < l->n; i++) {
                text_add(t, "  ");
                rule_to_text(t, l->v[i]);
                text_add(t, "\n");
        }
}

static int id_rules_cmp(const void *a, const void *b)
{
        uint32_t x = ((const IdRules *)a)->id, y = ((const IdRules *)b)->id;

        return x < y ? -1 : x > y;
}

static int dump_ids(Text *t, const char *kind, const IdRules *v, size_t n)
{
        _cleanup_free_ IdRules *sorted = NULL;
        char title[64];

        if (n == 0)
                return 0;
        sorted = malloc(n * sizeof(*sorted));
        if (!sorted)
                return -ENOMEM;
        memcpy(sorted, v, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), id_rules_cmp);
        for (size_t i = 0; i < n; i++) {
                snprintf(title, sizeof(title), "[%s #%u]", kind, sorted[i].id);
                dump_list(t, title, &sorted[i].rules);
        }
        return 0;
}

/**
 * policy_dump() - canonical text of a policy. See policy.h.
 * @p: the policy.
 * @ret: the malloc'd text.
 *
 * Return: 0 or -ENOMEM.
 */
int policy_dump(const Policy *p, char **ret)
{
        Text t = {};

        text_add(&t, "%s", "");
        dump_list(&t, "[default]", &p->defaults);
        if (dump_ids(&t, "group", p->groups, p->n_groups) < 0 ||
            dump_ids(&t, "user", p->users, p->n_users) < 0)
                t.oom = true;
        dump_list(&t, "[at_console=true]", &p->console_true);
        dump_list(&t, "[at_console=false]", &p->console_false);
        dump_list(&t, "[mandatory]", &p->mandatory);
        if (t.oom) {
                free(t.s);
                return error_origin(-ENOMEM);
        }
        *ret = t.s;
        return 0;
}
