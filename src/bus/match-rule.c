/*
 * match-rule.c -- parse, compare and evaluate one D-Bus match rule.
 *
 * Owns: the match-rule grammar (as dbus-daemon's bus/signals.c reads it:
 * quoting, whitespace, which keys exist and how their values are checked),
 * the compact canonical representation of a rule, and the per-key matching
 * semantics (sender ownership, path namespaces, argN / argNpath /
 * arg0namespace, eavesdropping).
 *
 * Must never: do I/O, log, keep global state, or trust the rule text (it
 * comes from a peer's AddMatch).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bus/match-rule.h"
#include "util/macro.h"
#include "wire/errors.h"
#include "wire/names.h"
#include "wire/reader.h"

#define DRIVER_NAME "org.freedesktop.DBus"

/* The named header keys in the order of their storage. */
enum { KEY_SENDER, KEY_INTERFACE, KEY_MEMBER, KEY_PATH, KEY_DESTINATION, _KEY_N };

/* A rule while it is parsed: values point into buf (unescaped, NUL-ended). */
typedef struct RuleDraft {
        uint8_t type;
        bool eavesdrop;
        bool path_namespace;
        const char *key[_KEY_N];
        size_t key_len[_KEY_N];
        uint8_t arg_kind[MATCH_ARG_MAX]; /* 0 = absent */
        const char *arg[MATCH_ARG_MAX];
        size_t arg_len[MATCH_ARG_MAX];
        size_t buf_len;
        char buf[MATCH_RULE_MAX_LENGTH + MATCH_RULE_MAX_LENGTH / 2 + 2];
} RuleDraft;

static const char *const match_errors[] = {
        [MATCH_E_TOO_LONG - _MATCH_E_FIRST] = "MATCH_E_TOO_LONG",
        [MATCH_E_SYNTAX - _MATCH_E_FIRST] = "MATCH_E_SYNTAX",
        [MATCH_E_UNBALANCED_QUOTES - _MATCH_E_FIRST] = "MATCH_E_UNBALANCED_QUOTES",
        [MATCH_E_UNKNOWN_KEY - _MATCH_E_FIRST] = "MATCH_E_UNKNOWN_KEY",
        [MATCH_E_DUPLICATE_KEY - _MATCH_E_FIRST] = "MATCH_E_DUPLICATE_KEY",
        [MATCH_E_BAD_TYPE - _MATCH_E_FIRST] = "MATCH_E_BAD_TYPE",
        [MATCH_E_BAD_SENDER - _MATCH_E_FIRST] = "MATCH_E_BAD_SENDER",
        [MATCH_E_BAD_INTERFACE - _MATCH_E_FIRST] = "MATCH_E_BAD_INTERFACE",
        [MATCH_E_BAD_MEMBER - _MATCH_E_FIRST] = "MATCH_E_BAD_MEMBER",
        [MATCH_E_BAD_PATH - _MATCH_E_FIRST] = "MATCH_E_BAD_PATH",
        [MATCH_E_BAD_DESTINATION - _MATCH_E_FIRST] = "MATCH_E_BAD_DESTINATION",
        [MATCH_E_BAD_ARG_KEY - _MATCH_E_FIRST] = "MATCH_E_BAD_ARG_KEY",
        [MATCH_E_ARG_INDEX - _MATCH_E_FIRST] = "MATCH_E_ARG_INDEX",
        [MATCH_E_BAD_NAMESPACE - _MATCH_E_FIRST] = "MATCH_E_BAD_NAMESPACE",
        [MATCH_E_BAD_EAVESDROP - _MATCH_E_FIRST] = "MATCH_E_BAD_EAVESDROP",
};

const char *match_strerror(int code)
{
        if (code < _MATCH_E_FIRST || code >= _MATCH_E_END)
                return "MATCH_E_UNKNOWN";
        return match_errors[code - _MATCH_E_FIRST];
}

/* ---- parsing ------------------------------------------------------------ */

static bool is_white(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool key_is(const char *key, size_t n, const char *name)
{
        return strlen(name) == n && !memcmp(key, name, n);
}

static bool value_is(const char *v, size_t n, const char *word)
{
        return key_is(v, n, word);
}

/*
 * Read one value starting at *pos into the draft's buffer, up to an unquoted
 * comma (consumed) or the end. Quoting as dbus-daemon: '...' is literal;
 * outside quotes \' is an apostrophe and any other backslash is literal.
 */
static int read_value(RuleDraft *d, const char *str, size_t len, size_t *pos, const char **ret,
                      size_t *ret_len)
{
        char *out = d->buf + d->buf_len;
        size_t n = 0, i = *pos;
        bool quoted = false;

        for (; i < len; i++) {
                char c = str[i];

                if (quoted) {
                        if (c == '\'')
                                quoted = false;
                        else
                                out[n++] = c;
                } else if (c == '\'') {
                        quoted = true;
                } else if (c == ',') {
                        i++;
                        break;
                } else if (c == '\\') {
                        if (i + 1 < len && str[i + 1] == '\'') {
                                out[n++] = '\'';
                                i++;
                        } else {
                                out[n++] = '\\';
                        }
                } else {
                        out[n++] = c;
                }
        }
        if (quoted)
                return MATCH_E_UNBALANCED_QUOTES;
        out[n] = 0;
        d->buf_len += n + 1;
        *pos = i;
        *ret = out;
        *ret_len = n;
        return 0;
}

/* A bus-name namespace: a well-known name that may have a single element. */
static bool namespace_is_valid(const char *v, size_t n)
{
        bool start = true;

        if (n == 0 || n > WIRE_MAX_NAME_LENGTH)
                return false;
        if (v[0] == ':')
                return wire_unique_name_is_valid(v, n);
        for (size_t i = 0; i < n; i++) {
                char c = v[i];

                if (c == '.') {
                        if (start)
                                return false;
                        start = true;
                        continue;
                }
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' ||
                      (!start && c >= '0' && c <= '9')))
                        return false;
                start = false;
        }
        return !start;
}

/* argN, argNpath, arg0namespace */
static int assign_arg(RuleDraft *d, const char *key, size_t kl, const char *v, size_t vl)
{
        size_t i = 3;
        unsigned idx = 0;
        uint8_t kind;

        while (i < kl && key[i] >= '0' && key[i] <= '9') {
                if (idx <= MATCH_ARG_MAX)
                        idx = idx * 10 + (unsigned)(key[i] - '0');
                i++;
        }
        if (i == 3)
                return MATCH_E_BAD_ARG_KEY;
        if (i == kl)
                kind = MATCH_ARG_STRING;
        else if (key_is(key + i, kl - i, "path"))
                kind = MATCH_ARG_PATH;
        else if (key_is(key, kl, "arg0namespace"))
                kind = MATCH_ARG_NAMESPACE;
        else
                return MATCH_E_BAD_ARG_KEY;
        if (idx >= MATCH_ARG_MAX)
                return MATCH_E_ARG_INDEX;
        if (d->arg_kind[idx])
                return MATCH_E_DUPLICATE_KEY;
        if (kind == MATCH_ARG_NAMESPACE && !namespace_is_valid(v, vl))
                return MATCH_E_BAD_NAMESPACE;
        d->arg_kind[idx] = kind;
        d->arg[idx] = v;
        d->arg_len[idx] = vl;
        return 0;
}

static int assign_name(RuleDraft *d, int which, const char *v, size_t vl, bool valid, int bad)
{
        if (d->key[which])
                return MATCH_E_DUPLICATE_KEY;
        if (!valid)
                return bad;
        d->key[which] = v;
        d->key_len[which] = vl;
        return 0;
}

static int assign(RuleDraft *d, const char *key, size_t kl, const char *v, size_t vl)
{
        if (key_is(key, kl, "type")) {
                static const char *const types[] = {[WIRE_MESSAGE_METHOD_CALL] = "method_call",
                                                    [WIRE_MESSAGE_METHOD_RETURN] = "method_return",
                                                    [WIRE_MESSAGE_ERROR] = "error",
                                                    [WIRE_MESSAGE_SIGNAL] = "signal"};

                if (d->type)
                        return MATCH_E_DUPLICATE_KEY;
                for (uint8_t t = 1; t < ELEMENTSOF(types); t++)
                        if (value_is(v, vl, types[t]))
                                d->type = t;
                return d->type ? 0 : MATCH_E_BAD_TYPE;
        }
        if (key_is(key, kl, "sender"))
                return assign_name(d, KEY_SENDER, v, vl, wire_bus_name_is_valid(v, vl),
                                   MATCH_E_BAD_SENDER);
        if (key_is(key, kl, "interface"))
                return assign_name(d, KEY_INTERFACE, v, vl, wire_interface_is_valid(v, vl),
                                   MATCH_E_BAD_INTERFACE);
        if (key_is(key, kl, "member"))
                return assign_name(d, KEY_MEMBER, v, vl, wire_member_is_valid(v, vl),
                                   MATCH_E_BAD_MEMBER);
        if (key_is(key, kl, "path") || key_is(key, kl, "path_namespace")) {
                int r = assign_name(d, KEY_PATH, v, vl, wire_path_is_valid(v, vl),
                                    MATCH_E_BAD_PATH);

                if (r == 0)
                        d->path_namespace = kl == strlen("path_namespace");
                return r;
        }
        if (key_is(key, kl, "destination"))
                return assign_name(d, KEY_DESTINATION, v, vl, wire_bus_name_is_valid(v, vl),
                                   MATCH_E_BAD_DESTINATION);
        if (key_is(key, kl, "eavesdrop")) {
                /* may repeat, as in dbus-daemon: the last one counts */
                if (value_is(v, vl, "true"))
                        d->eavesdrop = true;
                else if (value_is(v, vl, "false"))
                        d->eavesdrop = false;
                else
                        return MATCH_E_BAD_EAVESDROP;
                return 0;
        }
        if (kl >= 3 && !memcmp(key, "arg", 3))
                return assign_arg(d, key, kl, v, vl);
        return MATCH_E_UNKNOWN_KEY;
}

static int parse(RuleDraft *d, const char *str, size_t len)
{
        size_t pos = 0;

        if (len > MATCH_RULE_MAX_LENGTH)
                return MATCH_E_TOO_LONG;
        if (len > 0 && memchr(str, 0, len))
                return MATCH_E_SYNTAX;

        while (pos < len) {
                size_t key_start, key_len, value_len;
                const char *value;
                int r;

                while (pos < len && is_white(str[pos]))
                        pos++;
                key_start = pos;
                while (pos < len && str[pos] != '=' && !is_white(str[pos]))
                        pos++;
                key_len = pos - key_start;
                while (pos < len && is_white(str[pos]))
                        pos++;
                if (key_len == 0) {
                        if (pos == len)
                                break; /* empty rule or trailing whitespace */
                        return MATCH_E_SYNTAX;
                }
                if (pos == len || str[pos] != '=')
                        return MATCH_E_SYNTAX;
                pos++;
                r = read_value(d, str, len, &pos, &value, &value_len);
                if (r)
                        return r;
                r = assign(d, str + key_start, key_len, value, value_len);
                if (r)
                        return r;
        }
        return 0;
}

/* Lay the draft out canonically: fixed keys in order, then args by index. */
static MatchRule *build(const RuleDraft *d)
{
        size_t n_args = 0, strings = 1, size;
        uint16_t *slot[_KEY_N];
        MatchRule *r;
        char *s;
        size_t off = 1; /* offset 0 means absent */

        for (int k = 0; k < _KEY_N; k++)
                if (d->key[k])
                        strings += d->key_len[k] + 1;
        for (int a = 0; a < MATCH_ARG_MAX; a++)
                if (d->arg_kind[a]) {
                        n_args++;
                        strings += d->arg_len[a] + 1;
                }
        size = sizeof(MatchRule) + n_args * sizeof(MatchArg) + strings;
        r = calloc(1, size);
        if (!r)
                return NULL;
        r->size = (uint16_t)size;
        r->type = d->type;
        r->n_args = (uint8_t)n_args;
        r->eavesdrop = d->eavesdrop;
        r->path_namespace = d->path_namespace;
        s = (char *)(r->args + n_args);

        slot[KEY_SENDER] = &r->sender;
        slot[KEY_INTERFACE] = &r->interface;
        slot[KEY_MEMBER] = &r->member;
        slot[KEY_PATH] = &r->path;
        slot[KEY_DESTINATION] = &r->destination;
        for (int k = 0; k < _KEY_N; k++)
                if (d->key[k]) {
                        *slot[k] = (uint16_t)off;
                        memcpy(s + off, d->key[k], d->key_len[k]);
                        off += d->key_len[k] + 1;
                }
        n_args = 0;
        for (int a = 0; a < MATCH_ARG_MAX; a++)
                if (d->arg_kind[a]) {
                        r->args[n_args++] = (MatchArg){
                                .index = (uint8_t)a,
                                .kind = d->arg_kind[a],
                                .value = (uint16_t)off,
                        };
                        memcpy(s + off, d->arg[a], d->arg_len[a]);
                        off += d->arg_len[a] + 1;
                        r->arg_need = (uint8_t)(a + 1);
                }
        return r;
}

int match_rule_new(MatchRule **ret, const char *str, size_t len)
{
        _cleanup_free_ RuleDraft *d = calloc(1, sizeof(*d));
        MatchRule *r;
        int k;

        if (!d)
                return -ENOMEM;
        k = parse(d, str, len);
        if (k)
                return k;
        r = build(d);
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

MatchRule *match_rule_free(MatchRule *r)
{
        free(r);
        return NULL;
}

bool match_rule_equal(const MatchRule *a, const MatchRule *b)
{
        return a->size == b->size && !memcmp(a, b, a->size);
}

uint64_t match_rule_hash(const MatchRule *r)
{
        const uint8_t *p = (const uint8_t *)r;
        uint64_t h = 0xcbf29ce484222325ull;

        for (size_t i = 0; i < r->size; i++)
                h = (h ^ p[i]) * 0x100000001b3ull;
        return h;
}

size_t match_rule_size(const MatchRule *r)
{
        return r->size;
}

static const char *rule_string(const MatchRule *r, uint16_t off)
{
        return off ? (const char *)(r->args + r->n_args) + off : NULL;
}

const char *match_rule_sender(const MatchRule *r)
{
        return rule_string(r, r->sender);
}

const char *match_rule_interface(const MatchRule *r)
{
        return rule_string(r, r->interface);
}

const char *match_rule_member(const MatchRule *r)
{
        return rule_string(r, r->member);
}

const char *match_rule_path(const MatchRule *r)
{
        return rule_string(r, r->path);
}

const char *match_rule_destination(const MatchRule *r)
{
        return rule_string(r, r->destination);
}

const char *match_rule_arg_value(const MatchRule *r, const MatchArg *a)
{
        return rule_string(r, a->value);
}

/* ---- matching ----------------------------------------------------------- */

void match_message_init(MatchMessage *m, const WireHeader *h, const uint8_t *data,
                        const char *sender, const char *recipient)
{
        m->header = h;
        m->data = data;
        m->sender = sender;
        m->recipient = recipient;
        m->name_owned_by = NULL;
        m->userdata = NULL;
        m->eavesdrop_allowed = false;
        m->n_read = 0;
        m->body_end = false;
        m->reader_ready = false;
}

/* Read top-level body values until @need of them are known (or the end). */
static void message_read_args(MatchMessage *m, unsigned need)
{
        if (!m->reader_ready) {
                if (!m->header || !m->data) {
                        m->body_end = true;
                        return;
                }
                wire_reader_init(&m->reader, m->data, m->header);
                m->reader_ready = true;
        }
        while (m->n_read < need && !m->body_end) {
                char t = wire_reader_peek(&m->reader);
                unsigned i = m->n_read;

                if (t == 0) {
                        m->body_end = true;
                        break;
                }
                m->arg[i] = NULL;
                m->arg_type[i] = 0;
                if (t == 's' || t == 'o') {
                        const char *v = NULL;

                        if (wire_reader_read(&m->reader, t, &v) != 0 || !v) {
                                m->body_end = true;
                                break;
                        }
                        m->arg[i] = v;
                        m->arg_type[i] = t;
                } else if (wire_reader_skip(&m->reader) != 0) {
                        m->body_end = true;
                        break;
                } else {
                        m->arg_type[i] = t;
                }
                m->n_read++;
        }
}

/* argNpath: equal, or the shorter ends with '/' and is a prefix of the longer. */
static bool path_arg_matches(const char *rule, const char *arg)
{
        size_t rl = strlen(rule), al = strlen(arg);

        if (rl == al)
                return !memcmp(rule, arg, rl);
        if (rl < al)
                return rl > 0 && rule[rl - 1] == '/' && !memcmp(rule, arg, rl);
        return al > 0 && arg[al - 1] == '/' && !memcmp(rule, arg, al);
}

/* arg0namespace: equal, or a prefix followed by '.'. */
static bool namespace_arg_matches(const char *ns, const char *arg)
{
        size_t nl = strlen(ns);

        return !strncmp(ns, arg, nl) && (arg[nl] == 0 || arg[nl] == '.');
}

static bool args_match(const MatchRule *r, MatchMessage *m)
{
        message_read_args(m, r->arg_need);
        for (unsigned i = 0; i < r->n_args; i++) {
                const MatchArg *a = &r->args[i];
                const char *want = match_rule_arg_value(r, a), *have;
                char t;

                if (a->index >= m->n_read)
                        return false;
                t = m->arg_type[a->index];
                have = m->arg[a->index];
                if (!have || !(t == 's' || (t == 'o' && a->kind == MATCH_ARG_PATH)))
                        return false;
                switch (a->kind) {
                case MATCH_ARG_STRING:
                        if (strcmp(want, have))
                                return false;
                        break;
                case MATCH_ARG_PATH:
                        if (!path_arg_matches(want, have))
                                return false;
                        break;
                default:
                        if (!namespace_arg_matches(want, have))
                                return false;
                        break;
                }
        }
        return true;
}

static bool streq_opt(const char *want, const char *have)
{
        return have && !strcmp(want, have);
}

/* Is the connection @unique (NULL = none) @name, or its primary owner? */
static bool is_or_owns(const MatchMessage *m, const char *name, const char *unique)
{
        if (!unique)
                return false;
        if (name[0] == ':')
                return !strcmp(name, unique);
        return m->name_owned_by && m->name_owned_by(m->userdata, name, unique);
}

static bool sender_matches(const MatchRule *r, const MatchMessage *m)
{
        const char *want = match_rule_sender(r);

        if (!m->sender)
                return !strcmp(want, DRIVER_NAME);
        return is_or_owns(m, want, m->sender);
}

static bool destination_matches(const MatchRule *r, const MatchMessage *m, bool eavesdrop)
{
        const char *want = match_rule_destination(r);
        const char *dest = m->header ? m->header->destination : NULL;

        if (!want)
                /* without eavesdropping only broadcasts match */
                return eavesdrop || !dest;
        /* the addressed recipient gets its messages without any rule */
        if (!dest || !eavesdrop)
                return false;
        if (!m->recipient)
                return !strcmp(want, dest);
        return is_or_owns(m, want, m->recipient);
}

static bool path_matches(const MatchRule *r, const MatchMessage *m)
{
        const char *want = match_rule_path(r), *have = m->header ? m->header->path : NULL;
        size_t wl;

        if (!have)
                return false;
        if (!r->path_namespace)
                return !strcmp(want, have);
        wl = strlen(want);
        if (strncmp(want, have, wl))
                return false;
        /* "/" is the namespace of every path */
        return wl == 1 || have[wl] == 0 || have[wl] == '/';
}

static bool rule_matches(const MatchRule *r, MatchMessage *m, bool eavesdrop)
{
        const WireHeader *h = m->header;

        if (!h)
                return false;
        if (r->type && r->type != h->type)
                return false;
        if (r->interface && !streq_opt(match_rule_interface(r), h->interface))
                return false;
        if (r->member && !streq_opt(match_rule_member(r), h->member))
                return false;
        if (r->sender && !sender_matches(r, m))
                return false;
        if (!destination_matches(r, m, eavesdrop))
                return false;
        if (r->path && !path_matches(r, m))
                return false;
        if (r->n_args && !args_match(r, m))
                return false;
        return true;
}

bool match_rule_matches(const MatchRule *r, MatchMessage *m)
{
        return rule_matches(r, m, r->eavesdrop && m->eavesdrop_allowed);
}

bool match_rule_matches_monitor(const MatchRule *r, MatchMessage *m)
{
        return rule_matches(r, m, true);
}
