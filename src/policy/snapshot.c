/*
 * snapshot.c -- PolicySnapshot: the rules that apply to one connection,
 * compiled once at connect time and indexed so a check looks only at the
 * rules that can match.
 *
 * Compilation walks the contexts in dbus-daemon's order (default, groups,
 * user, at_console, mandatory), applies its "catch-all rule drops every
 * earlier rule of its kind" optimisation, numbers the surviving rules of each
 * kind (send, receive, own) in order, and files each rule under one key:
 *   - a rule naming an exact name (send_destination, receive_sender, own)
 *     under that name;
 *   - else an allow rule naming an interface under that interface; a deny
 *     rule naming an interface under it too, and in a list consulted for
 *     messages without an interface (dbus-daemon: such a deny applies);
 *   - everything else (wildcards, prefixes) in a generic list.
 * A check visits the generic list and the buckets for the message's names and
 * interface, evaluates each candidate exactly like dbus-daemon, and keeps the
 * highest-numbered match (= the last in file order) and the count of matches.
 *
 * Must never: do I/O, log, or keep pointers into the caller's message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/key-index.h"
#include "policy/policy-internal.h"
#include "util/error.h"

typedef struct RuleSet {
        const PolicyRule **rules; /* by seq */
        size_t n;
        unsigned *generic;
        size_t n_generic;
        unsigned *iface_deny; /* deny rules keyed by interface (see above) */
        size_t n_iface_deny;
        KeyIndex by_name;
        KeyIndex by_iface;
        bool uses_names; /* a rule names a bus name (send_destination, receive_sender, own) */
} RuleSet;

struct PolicySnapshot {
        Policy *policy;
        RuleSet sets[3]; /* RULE_SEND, RULE_RECEIVE, RULE_OWN */
        bool may_eavesdrop; /* a receive rule allows with eavesdrop="true" */
};

/* the rules that apply, in order, before the optimisation */
typedef struct Collected {
        const PolicyRule **v;
        size_t n;
        size_t cap;
} Collected;

static int collect(Collected *c, const RuleList *l)
{
        for (size_t i = 0; i < l->n; i++) {
                if (l->v[i]->kind != RULE_SEND && l->v[i]->kind != RULE_RECEIVE &&
                    l->v[i]->kind != RULE_OWN)
                        continue;
                if (c->n == c->cap) {
                        size_t cap = c->cap ? c->cap * 2 : 64;
                        const PolicyRule **v = reallocarray(c->v, cap, sizeof(*v));

                        if (!v)
                                return error_origin(-ENOMEM);
                        c->v = v;
                        c->cap = cap;
                }
                c->v[c->n++] = l->v[i];
        }
        return 0;
}

static const RuleList *id_rules_find(const IdRules *v, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].id == id)
                        return &v[i].rules;
        return NULL;
}

static int collect_all(const Policy *p, uid_t uid, const gid_t *gids, size_t n_gids, Collected *c)
{
        const RuleList *l;
        int r;

        r = collect(c, &p->defaults);
        for (size_t i = 0; r == 0 && i < n_gids; i++) {
                bool dup = false;

                for (size_t j = 0; j < i; j++)
                        dup = dup || gids[j] == gids[i];
                l = dup ? NULL : id_rules_find(p->groups, p->n_groups, gids[i]);
                if (l)
                        r = collect(c, l);
        }
        l = id_rules_find(p->users, p->n_users, uid);
        if (r == 0 && l)
                r = collect(c, l);
        /* nobody is at the console: at_console="false" applies to everyone */
        if (r == 0)
                r = collect(c, &p->console_false);
        if (r == 0)
                r = collect(c, &p->mandatory);
        return r;
}

static void rule_set_clear(RuleSet *s)
{
        free(s->rules);
        free(s->generic);
        free(s->iface_deny);
        key_index_clear(&s->by_name);
        key_index_clear(&s->by_iface);
        *s = (RuleSet){};
}

/* build one kind's set from the collected rules, starting at @first */
static int rule_set_build(RuleSet *s, PolicyRuleKind kind, const Collected *c, size_t first)
{
        size_t n = 0;

        for (size_t i = first; i < c->n; i++)
                n += c->v[i]->kind == kind;
        if (n == 0)
                return 0;
        s->rules = calloc(n, sizeof(*s->rules));
        s->generic = calloc(n, sizeof(*s->generic));
        s->iface_deny = calloc(n, sizeof(*s->iface_deny));
        if (!s->rules || !s->generic || !s->iface_deny || key_index_init(&s->by_name, n) < 0 ||
            key_index_init(&s->by_iface, n) < 0)
                return error_origin(-ENOMEM);
        for (size_t i = first; i < c->n; i++) {
                const PolicyRule *r = c->v[i];
                unsigned seq = (unsigned)s->n;

                if (r->kind != kind)
                        continue;
                s->rules[s->n++] = r;
                s->uses_names |= r->name != NULL;
                if (r->name && !r->name_is_prefix) {
                        key_index_add(&s->by_name, r->name, seq);
                } else if (r->interface && kind != RULE_OWN) {
                        key_index_add(&s->by_iface, r->interface, seq);
                        if (!r->allow)
                                s->iface_deny[s->n_iface_deny++] = seq;
                } else {
                        s->generic[s->n_generic++] = seq;
                }
        }
        if (key_index_build(&s->by_name) < 0 || key_index_build(&s->by_iface) < 0)
                return error_origin(-ENOMEM);
        return 0;
}

/**
 * policy_snapshot_new() - compile the rules for one connection. See policy.h.
 * @p: the policy (a reference is taken).
 * @uid: the peer's uid.
 * @gids: the peer's groups.
 * @n_gids: their number.
 * @ret: the snapshot.
 *
 * Return: 0 or -ENOMEM.
 */
int policy_snapshot_new(Policy *p, uid_t uid, const gid_t *gids, size_t n_gids, PolicySnapshot **ret)
{
        static const PolicyRuleKind kinds[3] = { RULE_SEND, RULE_RECEIVE, RULE_OWN };
        _cleanup_(policy_snapshot_freep) PolicySnapshot *s = NULL;
        Collected c = {};
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return error_origin(-ENOMEM);
        s->policy = policy_ref(p);
        r = collect_all(p, uid, gids, n_gids, &c);
        for (size_t k = 0; r == 0 && k < 3; k++) {
                size_t first = 0;

                /* dbus-daemon's optimisation: a catch-all rule drops all
                 * earlier rules of its kind */
                for (size_t i = c.n; i > 0; i--) {
                        if (c.v[i - 1]->kind == kinds[k] && policy_rule_is_catch_all(c.v[i - 1])) {
                                first = i - 1;
                                break;
                        }
                }
                r = rule_set_build(&s->sets[k], kinds[k], &c, first);
        }
        free(c.v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->sets[1].n; i++)
                if (s->sets[1].rules[i]->allow && s->sets[1].rules[i]->eavesdrop)
                        s->may_eavesdrop = true;
        *ret = TAKE_PTR(s);
        return 0;
}

/**
 * policy_snapshot_may_eavesdrop() - can this connection ever receive an
 * eavesdropped message? Only an allow receive rule with eavesdrop="true"
 * lets one through (no match denies).
 * @s: the snapshot.
 *
 * Return: true if some rule could allow it.
 */
bool policy_snapshot_may_eavesdrop(const PolicySnapshot *s)
{
        return s->may_eavesdrop;
}

/** policy_snapshot_send_uses_names() - see policy.h. */
bool policy_snapshot_send_uses_names(const PolicySnapshot *s)
{
        return s->sets[RULE_SEND].uses_names;
}

/** policy_snapshot_receive_uses_names() - see policy.h. */
bool policy_snapshot_receive_uses_names(const PolicySnapshot *s)
{
        return s->sets[RULE_RECEIVE].uses_names;
}

/**
 * policy_snapshot_free() - free a snapshot and drop its policy reference.
 * @s: the snapshot or NULL.
 *
 * Return: NULL.
 */
PolicySnapshot *policy_snapshot_free(PolicySnapshot *s)
{
        if (!s)
                return NULL;
        for (size_t k = 0; k < 3; k++)
                rule_set_clear(&s->sets[k]);
        policy_unref(s->policy);
        free(s);
        return NULL;
}

/* dbus-daemon's "a.b" prefix test: equal, or followed by a '.' */
static bool has_prefix_words(const char *name, const char *prefix)
{
        size_t n = strlen(prefix);

        return strncmp(name, prefix, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

static bool names_have_prefix(const PolicyMessage *m, const char *prefix)
{
        for (size_t i = 0; i < m->n_names; i++)
                if (m->names[i] && has_prefix_words(m->names[i], prefix))
                        return true;
        return false;
}

static bool names_have(const PolicyMessage *m, const char *name)
{
        for (size_t i = 0; i < m->n_names; i++)
                if (m->names[i] && strcmp(m->names[i], name) == 0)
                        return true;
        return false;
}

/* a field the rule names: the rule is skipped only when the message has the
 * field with another value (dbus-daemon) */
static bool field_mismatch(const char *rule, const char *msg)
{
        return rule && msg && strcmp(rule, msg) != 0;
}

static bool is_reply(const PolicyMessage *m)
{
        return m->type == POLICY_MESSAGE_METHOD_RETURN || m->type == POLICY_MESSAGE_ERROR;
}

/* the checks common to send and receive rules, in dbus-daemon's terms */
static bool message_fields_match(const PolicyRule *r, const PolicyMessage *m)
{
        if (r->type != POLICY_MESSAGE_ANY && r->type != m->type)
                return false;
        if (is_reply(m)) {
                /* allow + requested_reply=true: only requested replies
                 * (unless eavesdrop); deny + requested_reply=false: only
                 * unrequested ones */
                if (!m->requested_reply && r->allow && r->requested_reply && !r->eavesdrop)
                        return false;
                if (m->requested_reply && !r->allow && !r->requested_reply)
                        return false;
        }
        if (field_mismatch(r->path, m->path))
                return false;
        if (r->interface) {
                /* no interface: an allow does not apply, a deny does */
                if (!m->interface ? r->allow : strcmp(r->interface, m->interface) != 0)
                        return false;
        }
        if (field_mismatch(r->member, m->member))
                return false;
        if (field_mismatch(r->error, m->error_name))
                return false;
        return true;
}

static bool fds_match(const PolicyRule *r, const PolicyMessage *m)
{
        return m->n_fds >= r->min_fds && m->n_fds <= r->max_fds;
}

static bool send_matches(const PolicyRule *r, const PolicyMessage *m)
{
        if (!message_fields_match(r, m))
                return false;
        if (r->broadcast != TRISTATE_ANY) {
                bool broadcast = !m->destination && m->type == POLICY_MESSAGE_SIGNAL;

                if (broadcast != (r->broadcast == TRISTATE_TRUE))
                        return false;
        }
        if (r->name && !(r->name_is_prefix ? names_have_prefix(m, r->name) : names_have(m, r->name)))
                return false;
        return fds_match(r, m);
}

static bool receive_matches(const PolicyRule *r, const PolicyMessage *m)
{
        /* allow + eavesdrop=false: not when eavesdropping; deny +
         * eavesdrop=true: only when eavesdropping */
        if (m->eavesdrop && r->allow && !r->eavesdrop)
                return false;
        if (!m->eavesdrop && !r->allow && r->eavesdrop)
                return false;
        if (!message_fields_match(r, m))
                return false;
        if (r->name && !names_have(m, r->name))
                return false;
        return fds_match(r, m);
}

typedef struct Eval {
        const RuleSet *set;
        const PolicyMessage *m;
        const char *own_name;
        PolicyRuleKind kind;
        bool found;
        unsigned best;
        unsigned n_matched;
} Eval;

static void eval_one(Eval *e, unsigned seq)
{
        const PolicyRule *r = e->set->rules[seq];
        bool match;

        switch (e->kind) {
        case RULE_SEND:
                match = send_matches(r, e->m);
                break;
        case RULE_RECEIVE:
                match = receive_matches(r, e->m);
                break;
        default:
                match = !r->name || (r->name_is_prefix ? has_prefix_words(e->own_name, r->name)
                                                       : strcmp(e->own_name, r->name) == 0);
                break;
        }
        if (!match)
                return;
        e->n_matched++;
        if (!e->found || seq > e->best) {
                e->found = true;
                e->best = seq;
        }
}

static void eval_key(Eval *e, const KeyIndex *x, const char *key)
{
        size_t k;
        const KeyEntry *hit = key_index_find(x, key, &k);

        for (size_t i = 0; i < k; i++)
                eval_one(e, hit[i].seq);
}

static int eval_finish(const Eval *e, PolicyVerdict *verdict)
{
        const PolicyRule *r = e->found ? e->set->rules[e->best] : NULL;

        if (verdict)
                *verdict = (PolicyVerdict){
                        .rule = r,
                        .n_matched = e->n_matched,
                        .log = r && r->kind == RULE_SEND && r->log,
                };
        return r && r->allow ? 0 : POLICY_E_DENIED;
}

static int check_message(const PolicySnapshot *s, PolicyRuleKind kind, const PolicyMessage *m,
                         PolicyVerdict *verdict)
{
        Eval e = { .set = &s->sets[kind], .m = m, .kind = kind };

        for (size_t i = 0; i < e.set->n_generic; i++)
                eval_one(&e, e.set->generic[i]);
        for (size_t i = 0; e.set->by_name.n > 0 && i < m->n_names; i++)
                if (m->names[i])
                        eval_key(&e, &e.set->by_name, m->names[i]);
        if (m->interface)
                eval_key(&e, &e.set->by_iface, m->interface);
        else
                for (size_t i = 0; i < e.set->n_iface_deny; i++)
                        eval_one(&e, e.set->iface_deny[i]);
        return eval_finish(&e, verdict);
}

/**
 * policy_check_send() - may this connection send @m? See policy.h.
 * @s: the sender's snapshot.
 * @m: the message, with the receiver's names.
 * @verdict: optional, filled in either case.
 *
 * Return: 0 or POLICY_E_DENIED.
 */
int policy_check_send(const PolicySnapshot *s, const PolicyMessage *m, PolicyVerdict *verdict)
{
        return check_message(s, RULE_SEND, m, verdict);
}

/**
 * policy_check_receive() - may this connection receive @m? See policy.h.
 * @s: the receiver's snapshot.
 * @m: the message, with the sender's names.
 * @verdict: optional, filled in either case.
 *
 * Return: 0 or POLICY_E_DENIED.
 */
int policy_check_receive(const PolicySnapshot *s, const PolicyMessage *m, PolicyVerdict *verdict)
{
        return check_message(s, RULE_RECEIVE, m, verdict);
}

/**
 * policy_check_own() - may this connection own @name? See policy.h.
 * @s: the snapshot.
 * @name: the well-known name.
 * @verdict: optional, filled in either case.
 *
 * Return: 0 or POLICY_E_DENIED.
 */
int policy_check_own(const PolicySnapshot *s, const char *name, PolicyVerdict *verdict)
{
        Eval e = { .set = &s->sets[RULE_OWN], .own_name = name, .kind = RULE_OWN };

        for (size_t i = 0; i < e.set->n_generic; i++)
                eval_one(&e, e.set->generic[i]);
        eval_key(&e, &e.set->by_name, name);
        return eval_finish(&e, verdict);
}
