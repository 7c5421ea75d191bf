/*
 * vmspec.c -- parse a VM spec (INI via libinih) into a VmSpec.
 *
 * libinih calls us once per "key = value" line (and again for each indented
 * continuation line); a small line reader over the in-memory text tells us the
 * line number and whether the line was a continuation, which libinih itself
 * does not. Values are collected raw per section first and interpreted after
 * the whole file is read, so cross references (talks-to) can be checked.
 *
 * Must never: look anything up on the system, or accept a key it does not know.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "launcher/vmspec.h"
#include "sandbox/sandbox.h"
#include "util/error.h"

#define VMSPEC_MAX_FILE_SIZE (1024 * 1024)
#define MAX_ENTRIES 64 /* keys per section */

typedef struct RawEntry {
        char *key;
        char *value;
        unsigned line;
} RawEntry;

typedef struct RawSection {
        char *name;  /* NULL for [vm], helper name otherwise */
        unsigned line;
        RawEntry entries[MAX_ENTRIES];
        size_t n_entries;
} RawSection;

typedef struct Parser {
        const char *file;
        const char *data;
        size_t size, pos;
        unsigned line;          /* line last handed to libinih */
        unsigned header_line;   /* line of the last "[section]" header */
        unsigned header_seq;    /* how many headers the reader has seen */
        unsigned current_seq;   /* header_seq when the current section began */
        bool continuation;      /* that line started with a blank */
        RawSection vm;
        bool have_vm;
        RawSection helpers[VMSPEC_MAX_HELPERS];
        size_t n_helpers;
        RawSection *current;    /* section of the last key, NULL before any */
        char *current_header;   /* raw "[...]" text of the current section */
        char *error;
        unsigned error_line;
        int oom;
} Parser;

size_t strv_length(char *const *v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

char **strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}

int strv_push(char ***v, const char *s)
{
        size_t n = strv_length(*v);
        char **nv;
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        nv = realloc(*v, (n + 2) * sizeof(char *));
        if (!nv) {
                free(copy);
                return -ENOMEM;
        }
        nv[n] = copy;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

bool strv_contains(char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

static void strvp(char ***v)
{
        strv_free(*v);
}

/**
 * vmspec_split_words() - split @s into words (see vmspec.h).
 */
int vmspec_split_words(const char *s, char ***ret)
{
        _cleanup_(strvp) char **v = NULL;
        _cleanup_free_ char *word = malloc(strlen(s) + 1);
        size_t n_words = 0;

        if (!word)
                return -ENOMEM;
        v = calloc(1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (const char *p = s;;) {
                size_t len = 0;
                char quote = 0;
                bool any = false;

                while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                        p++;
                if (!*p)
                        break;
                for (; *p; p++) {
                        if (quote) {
                                if (quote == '"' && *p == '\\' && p[1])
                                        word[len++] = *++p;
                                else if (*p == quote)
                                        quote = 0;
                                else
                                        word[len++] = *p;
                                continue;
                        }
                        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                                break;
                        if (*p == '\'' || *p == '"') {
                                quote = *p;
                                any = true;
                        } else if (*p == '\\') {
                                if (!p[1])
                                        return VMSPEC_E_INVALID;
                                word[len++] = *++p;
                        } else {
                                word[len++] = *p;
                        }
                }
                if (quote)
                        return VMSPEC_E_INVALID;
                if (len == 0 && !any)
                        continue;
                if (++n_words > VMSPEC_MAX_ARGS)
                        return VMSPEC_E_INVALID;
                word[len] = 0;
                if (strv_push(&v, word) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static void raw_section_clear(RawSection *s)
{
        free(s->name);
        for (size_t i = 0; i < s->n_entries; i++) {
                free(s->entries[i].key);
                free(s->entries[i].value);
        }
        memset(s, 0, sizeof(*s));
}

static void parser_clear(Parser *p)
{
        raw_section_clear(&p->vm);
        for (size_t i = 0; i < p->n_helpers; i++)
                raw_section_clear(&p->helpers[i]);
        free(p->current_header);
        free(p->error);
}

_printf_(3, 4) static int parser_fail(Parser *p, unsigned line, const char *fmt, ...)
{
        va_list ap;
        char *text = NULL;

        if (p->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0) {
                p->oom = 1;
                text = NULL;
        }
        va_end(ap);
        p->error = text;
        p->error_line = line;
        return 0;
}

/* fgets() over the in-memory text; records line number and continuation */
static char *parser_read_line(char *str, int num, void *stream)
{
        Parser *p = stream;
        size_t n = 0;

        if (p->pos >= p->size || num < 2)
                return NULL;
        p->line++;
        p->continuation = p->data[p->pos] == ' ' || p->data[p->pos] == '\t';
        for (size_t i = p->pos; i < p->size && p->data[i] != '\n'; i++) {
                if (p->data[i] == ' ' || p->data[i] == '\t')
                        continue;
                if (p->data[i] == '[') {
                        p->header_line = p->line;
                        p->header_seq++;
                }
                break;
        }
        while (p->pos < p->size && n < (size_t)num - 1) {
                char c = p->data[p->pos++];

                str[n++] = c;
                if (c == '\n')
                        break;
        }
        str[n] = 0;
        return str;
}

static bool name_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > VMSPEC_MAX_NAME || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", s[i]))
                        return false;
        return true;
}

static RawSection *parser_section(Parser *p, const char *section)
{
        if (p->current_header && p->current_seq == p->header_seq && strcmp(p->current_header, section) == 0)
                return p->current;
        p->current_seq = p->header_seq;
        free(p->current_header);
        p->current_header = strdup(section);
        if (!p->current_header) {
                p->oom = 1;
                return NULL;
        }
        p->current = NULL;
        if (strcmp(section, "vm") == 0) {
                if (p->have_vm) {
                        parser_fail(p, p->header_line, "duplicate section [vm]");
                        return NULL;
                }
                p->have_vm = true;
                p->vm.line = p->header_line;
                p->current = &p->vm;
                return p->current;
        }
        if (strncmp(section, "helper", 6) == 0 && (section[6] == ' ' || section[6] == '\t')) {
                const char *name = section + 7;
                RawSection *h;

                while (*name == ' ' || *name == '\t')
                        name++;
                if (!name_is_valid(name)) {
                        parser_fail(p, p->header_line, "invalid helper name \"%s\" (letters, digits, '_', '-', '.')", name);
                        return NULL;
                }
                if (strcmp(name, "qemu") == 0 || strcmp(name, "bus") == 0) {
                        parser_fail(p, p->header_line, "helper name \"%s\" is reserved", name);
                        return NULL;
                }
                for (size_t i = 0; i < p->n_helpers; i++)
                        if (strcmp(p->helpers[i].name, name) == 0) {
                                parser_fail(p, p->header_line, "duplicate section [helper %s]", name);
                                return NULL;
                        }
                if (p->n_helpers >= VMSPEC_MAX_HELPERS) {
                        parser_fail(p, p->header_line, "too many helpers (at most %d)", VMSPEC_MAX_HELPERS);
                        return NULL;
                }
                h = &p->helpers[p->n_helpers];
                h->name = strdup(name);
                if (!h->name) {
                        p->oom = 1;
                        return NULL;
                }
                h->line = p->header_line;
                p->n_helpers++;
                p->current = h;
                return h;
        }
        parser_fail(p, p->header_line, "unknown section [%s] (expected [vm] or [helper NAME])", section);
        return NULL;
}

static int parser_handle(void *user, const char *section, const char *key, const char *value)
{
        Parser *p = user;
        RawSection *s;
        RawEntry *e;

        if (p->error || p->oom)
                return 0;
        if (!section[0])
                return parser_fail(p, p->line, "key \"%s\" outside of any section", key);
        s = parser_section(p, section);
        if (!s)
                return 0;
        if (p->continuation && s->n_entries > 0 && strcmp(s->entries[s->n_entries - 1].key, key) == 0) {
                char *joined = NULL;

                e = &s->entries[s->n_entries - 1];
                if (asprintf(&joined, "%s %s", e->value, value) < 0) {
                        p->oom = 1;
                        return 0;
                }
                free(e->value);
                e->value = joined;
                return 1;
        }
        for (size_t i = 0; i < s->n_entries; i++)
                if (strcmp(s->entries[i].key, key) == 0)
                        return parser_fail(p, p->line, "duplicate key \"%s\" (first on line %u)", key,
                                           s->entries[i].line);
        if (s->n_entries >= MAX_ENTRIES)
                return parser_fail(p, p->line, "too many keys in one section");
        e = &s->entries[s->n_entries];
        e->key = strdup(key);
        e->value = strdup(value);
        if (!e->key || !e->value) {
                free(e->key);
                free(e->value);
                e->key = e->value = NULL;
                p->oom = 1;
                return 0;
        }
        e->line = p->line;
        s->n_entries++;
        return 1;
}

static int parse_bool(const char *v, bool *ret)
{
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
                *ret = true;
        else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *ret)
{
        char *end;
        unsigned long long x;

        if (*v < '0' || *v > '9')
                return -EINVAL;
        errno = 0;
        x = strtoull(v, &end, 10);
        if (errno || *end || x > max)
                return -EINVAL;
        *ret = x;
        return 0;
}

/* "64M", "1G", "4096", "512K"; 1024-based */
static int parse_size(const char *v, uint64_t *ret)
{
        char *end;
        unsigned long long x;
        uint64_t mult = 1;

        if (*v < '0' || *v > '9')
                return -EINVAL;
        errno = 0;
        x = strtoull(v, &end, 10);
        if (errno)
                return -EINVAL;
        if (*end) {
                switch (*end) {
                case 'K': case 'k': mult = 1ull << 10; break;
                case 'M': case 'm': mult = 1ull << 20; break;
                case 'G': case 'g': mult = 1ull << 30; break;
                case 'T': case 't': mult = 1ull << 40; break;
                default: return -EINVAL;
                }
                if (end[1])
                        return -EINVAL;
        }
        if (x > UINT64_MAX / mult)
                return -EINVAL;
        *ret = x * mult;
        return 0;
}

/* a well-known bus name (D-Bus specification, "Bus names"), no wildcards */
static bool bus_name_is_valid(const char *s)
{
        size_t n = strlen(s), elems = 1;
        bool elem_start = true;

        if (n == 0 || n > 255 || s[0] == ':' || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (c == '.') {
                        if (elem_start)
                                return false;
                        elem_start = true;
                        elems++;
                        continue;
                }
                if (elem_start && c >= '0' && c <= '9')
                        return false;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-'))
                        return false;
                elem_start = false;
        }
        return !elem_start && elems >= 2;
}

#define BAD(p, e, ...) (parser_fail((p), (e)->line, __VA_ARGS__), VMSPEC_E_INVALID)

static int split_list(Parser *p, const RawEntry *e, char ***ret)
{
        _cleanup_free_ char *copy = strdup(e->value);
        char **v = calloc(1, sizeof(char *));

        if (!copy || !v) {
                free(v);
                return -ENOMEM;
        }
        for (char *tok = strtok(copy, " \t,"); tok; tok = strtok(NULL, " \t,")) {
                if (strv_contains(v, tok)) {
                        strv_free(v);
                        return parser_fail(p, e->line, "%s: \"%s\" listed twice", e->key, tok), VMSPEC_E_INVALID;
                }
                if (strv_push(&v, tok) < 0) {
                        strv_free(v);
                        return -ENOMEM;
                }
        }
        *ret = v;
        return 0;
}

static int paths(Parser *p, const RawEntry *e, char ***ret)
{
        int r = split_list(p, e, ret);

        for (size_t i = 0; r == 0 && (*ret)[i]; i++)
                if ((*ret)[i][0] != '/' || strstr((*ret)[i], "/../") || strlen((*ret)[i]) > 1024)
                        return BAD(p, e, "%s: \"%s\" is not an absolute path", e->key, (*ret)[i]);
        return r;
}

static int words(Parser *p, const RawEntry *e, char ***ret)
{
        char **v = NULL;
        int r = vmspec_split_words(e->value, &v);

        if (r < 0)
                return r;
        if (r > 0) {
                parser_fail(p, e->line, "%s: unbalanced quote, dangling backslash or more than %d words", e->key,
                            VMSPEC_MAX_ARGS);
                return VMSPEC_E_INVALID;
        }
        if (!v[0]) {
                strv_free(v);
                parser_fail(p, e->line, "%s: empty command line", e->key);
                return VMSPEC_E_INVALID;
        }
        *ret = v;
        return 0;
}


static int parse_uids(Parser *p, const RawEntry *e, VmSpec *s)
{
        _cleanup_free_ char *copy = strdup(e->value);
        char *dash;
        uint64_t a, b;

        if (!copy)
                return -ENOMEM;
        dash = strchr(copy, '-');
        if (!dash)
                return BAD(p, e, "uids: expected a range FIRST-LAST, got \"%s\"", e->value);
        *dash = 0;
        if (parse_u64(copy, UINT32_MAX - 1, &a) < 0 || parse_u64(dash + 1, UINT32_MAX - 1, &b) < 0 || a > b)
                return BAD(p, e, "uids: expected a range FIRST-LAST with FIRST <= LAST, got \"%s\"", e->value);
        if (b - a >= 65536)
                return BAD(p, e, "uids: range of more than 65536 uids");
        s->has_uids = true;
        s->uid_first = (uid_t)a;
        s->uid_last = (uid_t)b;
        s->uids_line = e->line;
        return 0;
}

static int interpret_vm(Parser *p, VmSpec *s)
{
        int r = 0;

        for (size_t i = 0; i < p->vm.n_entries && r == 0; i++) {
                const RawEntry *e = &p->vm.entries[i];

                if (!strcmp(e->key, "name")) {
                        if (!name_is_valid(e->value))
                                return BAD(p, e, "name: invalid VM name \"%s\" (letters, digits, '_', '-', '.')",
                                           e->value);
                        s->name = strdup(e->value);
                        r = s->name ? 0 : -ENOMEM;
                } else if (!strcmp(e->key, "qemu")) {
                        r = words(p, e, &s->qemu);
                        s->qemu_line = e->line;
                } else if (!strcmp(e->key, "identity")) {
                        if (!strcmp(e->value, "same-uid"))
                                s->identity = IDENTITY_SAME_UID;
                        else if (!strcmp(e->value, "two-uids"))
                                s->identity = IDENTITY_TWO_UIDS;
                        else if (!strcmp(e->value, "many-uids"))
                                s->identity = IDENTITY_MANY_UIDS;
                        else
                                return BAD(p, e, "identity: expected same-uid, two-uids or many-uids, got \"%s\"",
                                           e->value);
                } else if (!strcmp(e->key, "read-only-paths")) {
                        r = paths(p, e, &s->ro_paths);
                } else if (!strcmp(e->key, "read-write-paths")) {
                        r = paths(p, e, &s->rw_paths);
                } else if (!strcmp(e->key, "uids")) {
                        r = parse_uids(p, e, s);
                } else if (!strcmp(e->key, "display")) {
                        if (!strcmp(e->value, "none"))
                                s->display = DISPLAY_NONE;
                        else if (!strcmp(e->value, "dbus"))
                                s->display = DISPLAY_DBUS;
                        else
                                return BAD(p, e, "display: expected none or dbus, got \"%s\"", e->value);
                } else {
                        return BAD(p, e, "unknown key \"%s\" in [vm]", e->key);
                }
        }
        return r;
}

/* capabilities = NAME: REASON[, NAME: REASON...]: each kept capability says why */
static int parse_caps(Parser *p, const RawEntry *e, VmHelper *h)
{
        _cleanup_free_ char *copy = strdup(e->value);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *colon = strchr(item, ':'), *reason;
                int cap, *caps;

                while (*item && strchr(" \t\n", *item))
                        item++;
                if (!colon)
                        return BAD(p, e, "capabilities: expected NAME: REASON, got \"%s\"", item);
                *colon = 0;
                for (char *end = colon; end > item && strchr(" \t\n", end[-1]); end--)
                        end[-1] = 0;
                reason = colon + 1;
                while (*reason && strchr(" \t\n", *reason))
                        reason++;
                cap = sandbox_cap_from_name(item);
                if (cap < 0)
                        return BAD(p, e, "capabilities: unknown capability \"%s\"", item);
                if (!reason[0])
                        return BAD(p, e, "capabilities: %s needs a reason after ':'", item);
                if (h->n_caps >= 8)
                        return BAD(p, e, "capabilities: at most 8");
                caps = realloc(h->caps, (h->n_caps + 1) * sizeof(int));
                if (!caps)
                        return -ENOMEM;
                h->caps = caps;
                if (strv_push(&h->cap_reasons, reason) < 0)
                        return -ENOMEM;
                h->caps[h->n_caps++] = cap;
        }
        if (!h->n_caps)
                return BAD(p, e, "capabilities: expected NAME: REASON");
        return 0;
}

static int interpret_helper_key(Parser *p, const RawEntry *e, VmHelper *h)
{
        bool b;

        if (!strcmp(e->key, "exec"))
                return words(p, e, &h->exec);
        if (!strcmp(e->key, "owns")) {
                int r = split_list(p, e, &h->owns);

                for (size_t i = 0; r == 0 && h->owns[i]; i++)
                        if (!bus_name_is_valid(h->owns[i]))
                                return BAD(p, e, "owns: \"%s\" is not a well-known bus name", h->owns[i]);
                return r;
        }
        if (!strcmp(e->key, "talks-to"))
                return split_list(p, e, &h->talks_to);
        if (!strcmp(e->key, "vmstate-id")) {
                if (!e->value[0] || strlen(e->value) > 255)
                        return BAD(p, e, "vmstate-id: expected 1 to 255 characters");
                h->vmstate_id = strdup(e->value);
                return h->vmstate_id ? 0 : -ENOMEM;
        }
        if (!strcmp(e->key, "memory-max")) {
                if (parse_size(e->value, &h->memory_max) < 0 || h->memory_max == 0)
                        return BAD(p, e, "memory-max: expected a size such as 64M, got \"%s\"", e->value);
                return 0;
        }
        if (!strcmp(e->key, "tasks-max")) {
                if (parse_u64(e->value, 1u << 22, &h->tasks_max) < 0 || h->tasks_max == 0)
                        return BAD(p, e, "tasks-max: expected a number, got \"%s\"", e->value);
                return 0;
        }
        if (!strcmp(e->key, "restart")) {
                if (!strcmp(e->value, "no"))
                        h->restart = RESTART_NO;
                else if (!strcmp(e->value, "on-failure"))
                        h->restart = RESTART_ON_FAILURE;
                else if (!strcmp(e->value, "always"))
                        h->restart = RESTART_ALWAYS;
                else
                        return BAD(p, e, "restart: expected no, on-failure or always, got \"%s\"", e->value);
                return 0;
        }
        if (!strcmp(e->key, "restart-max")) {
                uint64_t x;

                if (parse_u64(e->value, 1000, &x) < 0)
                        return BAD(p, e, "restart-max: expected a number 0-1000, got \"%s\"", e->value);
                h->restart_max = (unsigned)x;
                return 0;
        }
        if (!strcmp(e->key, "provides")) {
                if (!strcmp(e->value, "none"))
                        h->provides = PROVIDES_NONE;
                else if (!strcmp(e->value, "tpm"))
                        h->provides = PROVIDES_TPM;
                else if (!strcmp(e->value, "net"))
                        h->provides = PROVIDES_NET;
                else if (!strcmp(e->value, "fs"))
                        h->provides = PROVIDES_FS;
                else
                        return BAD(p, e, "provides: expected none, tpm, net or fs, got \"%s\"", e->value);
                return 0;
        }
        if (!strcmp(e->key, "socket")) {
                if (!name_is_valid(e->value))
                        return BAD(p, e, "socket: expected a plain file name, got \"%s\"", e->value);
                h->socket = strdup(e->value);
                return h->socket ? 0 : -ENOMEM;
        }
        if (!strcmp(e->key, "fs-tag")) {
                if (!name_is_valid(e->value) || strlen(e->value) > 36)
                        return BAD(p, e, "fs-tag: expected up to 36 letters, digits, '_', '-', '.'");
                h->fs_tag = strdup(e->value);
                return h->fs_tag ? 0 : -ENOMEM;
        }
        if (!strcmp(e->key, "display-client")) {
                if (parse_bool(e->value, &b) < 0)
                        return BAD(p, e, "display-client: expected yes or no, got \"%s\"", e->value);
                h->display_client = b;
                return 0;
        }
        if (!strcmp(e->key, "read-only-paths"))
                return paths(p, e, &h->ro_paths);
        if (!strcmp(e->key, "read-write-paths"))
                return paths(p, e, &h->rw_paths);
        if (!strcmp(e->key, "seccomp")) {
                if (!strcmp(e->value, "helper"))
                        h->own_seccomp = false;
                else if (!strcmp(e->value, "own"))
                        h->own_seccomp = true;
                else
                        return BAD(p, e, "seccomp: expected helper or own, got \"%s\"", e->value);
                return 0;
        }
        if (!strcmp(e->key, "landlock")) {
                if (parse_bool(e->value, &b) < 0)
                        return BAD(p, e, "landlock: expected yes or no, got \"%s\"", e->value);
                h->no_landlock = !b;
                return 0;
        }
        if (!strcmp(e->key, "socket-fd")) {
                if (parse_bool(e->value, &b) < 0)
                        return BAD(p, e, "socket-fd: expected yes or no, got \"%s\"", e->value);
                h->socket_fd = b;
                return 0;
        }
        if (!strcmp(e->key, "capabilities"))
                return parse_caps(p, e, h);
        if (!strcmp(e->key, "same-uid-as")) {
                if (strcmp(e->value, "qemu") != 0)
                        return BAD(p, e, "same-uid-as: only \"qemu\" is accepted, got \"%s\"", e->value);
                h->share_qemu_uid = true;
                return 0;
        }
        return BAD(p, e, "unknown key \"%s\" in [helper %s]", e->key, h->name);
}

static int interpret_helper(Parser *p, const RawSection *raw, VmHelper *h)
{
        int r;

        h->name = strdup(raw->name);
        if (!h->name)
                return -ENOMEM;
        h->line = raw->line;
        h->restart = RESTART_ON_FAILURE;
        h->restart_max = 5;
        for (size_t i = 0; i < raw->n_entries; i++) {
                r = interpret_helper_key(p, &raw->entries[i], h);
                if (r != 0)
                        return r;
        }
        if (!h->exec)
                return parser_fail(p, raw->line, "[helper %s]: missing key \"exec\"", h->name), VMSPEC_E_INVALID;
        if (h->provides == PROVIDES_FS && !h->fs_tag)
                return parser_fail(p, raw->line, "[helper %s]: provides = fs needs fs-tag", h->name),
                       VMSPEC_E_INVALID;
        if (h->fs_tag && h->provides != PROVIDES_FS)
                return parser_fail(p, raw->line, "[helper %s]: fs-tag without provides = fs", h->name),
                       VMSPEC_E_INVALID;
        if (h->socket_fd && h->provides == PROVIDES_NONE)
                return parser_fail(p, raw->line, "[helper %s]: socket-fd without provides", h->name),
                       VMSPEC_E_INVALID;
        if (h->provides != PROVIDES_NONE && !h->socket &&
            asprintf(&h->socket, "%s.sock", h->name) < 0) {
                h->socket = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int check_references(Parser *p, VmSpec *s)
{
        for (size_t i = 0; i < s->n_helpers; i++) {
                VmHelper *h = &s->helpers[i];

                for (size_t j = 0; h->talks_to && h->talks_to[j]; j++) {
                        const char *t = h->talks_to[j];

                        if (!strcmp(t, h->name))
                                return parser_fail(p, h->line, "[helper %s]: talks-to names itself", h->name),
                                       VMSPEC_E_INVALID;
                        if (strcmp(t, "qemu") != 0 && !vmspec_find_helper(s, t))
                                return parser_fail(p, h->line, "[helper %s]: talks-to \"%s\": no such helper",
                                                   h->name, t),
                                       VMSPEC_E_INVALID;
                }
                for (size_t j = 0; h->socket && j < i; j++)
                        if (s->helpers[j].socket && !strcmp(s->helpers[j].socket, h->socket))
                                return parser_fail(p, h->line, "[helper %s]: socket \"%s\" also used by %s",
                                                   h->name, h->socket, s->helpers[j].name),
                                       VMSPEC_E_INVALID;
        }
        return 0;
}

static int interpret(Parser *p, VmSpec *s)
{
        int r;

        if (!p->have_vm)
                return parser_fail(p, 1, "missing section [vm]"), VMSPEC_E_INVALID;
        r = interpret_vm(p, s);
        if (r != 0)
                return r;
        if (!s->name)
                return parser_fail(p, p->vm.line, "[vm]: missing key \"name\""), VMSPEC_E_INVALID;
        if (!s->qemu)
                return parser_fail(p, p->vm.line, "[vm]: missing key \"qemu\""), VMSPEC_E_INVALID;
        if (s->identity != IDENTITY_SAME_UID && !s->has_uids)
                return parser_fail(p, p->vm.line, "[vm]: identity = %s needs uids = FIRST-LAST",
                                   identity_scenario_to_string(s->identity)),
                       VMSPEC_E_INVALID;
        s->helpers = calloc(p->n_helpers ? p->n_helpers : 1, sizeof(VmHelper));
        if (!s->helpers)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_helpers; i++) {
                s->n_helpers++;
                r = interpret_helper(p, &p->helpers[i], &s->helpers[i]);
                if (r != 0)
                        return r;
        }
        return check_references(p, s);
}

/* lines libinih cannot hold, and NUL bytes, are errors before it sees them */
static int prescan(Parser *p)
{
        size_t max = ini_max_line > 3 ? (size_t)ini_max_line - 3 : 1, col = 0;
        unsigned line = 1;

        for (size_t i = 0; i < p->size; i++) {
                if (p->data[i] == 0)
                        return parser_fail(p, line, "NUL byte"), VMSPEC_E_INVALID;
                if (p->data[i] == '\n') {
                        line++;
                        col = 0;
                        continue;
                }
                if (++col > max)
                        return parser_fail(p, line,
                                           "line longer than %zu characters (continue a value on an indented line)",
                                           max),
                               VMSPEC_E_INVALID;
        }
        return 0;
}

/**
 * vmspec_parse() - parse the spec text @data of @size bytes.
 * @file: name used in error messages.
 * @ret_error: on VMSPEC_E_INVALID, a malloc'd "FILE:LINE: text".
 * Return: 0, VMSPEC_E_INVALID or -ENOMEM.
 */
int vmspec_parse(const char *data, size_t size, const char *file, VmSpec **ret, char **ret_error)
{
        Parser p = { .file = file, .data = data, .size = size };
        _cleanup_(vmspec_freep) VmSpec *s = NULL;
        int r, line;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->file = strdup(file);
        if (!s->file)
                return -ENOMEM;
        r = prescan(&p);
        if (r == 0) {
                line = ini_parse_stream(parser_read_line, &p, parser_handle, &p);
                if (p.oom || line == -2)
                        r = -ENOMEM;
                else if (line != 0 && !p.error)
                        r = (parser_fail(&p, (unsigned)(line > 0 ? line : 0),
                                         "syntax error (expected [section], key = value or a comment)"),
                             VMSPEC_E_INVALID);
                else if (p.error)
                        r = VMSPEC_E_INVALID;
                else
                        r = interpret(&p, s);
                if (p.oom)
                        r = -ENOMEM;
        }
        if (r == VMSPEC_E_INVALID && ret_error) {
                char *msg = NULL;

                if (asprintf(&msg, "%s:%u: %s", file, p.error_line, p.error ? p.error : "invalid") < 0)
                        r = -ENOMEM;
                else
                        *ret_error = msg;
        }
        parser_clear(&p);
        if (r != 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/**
 * vmspec_load() - read the file @path (at most 1 MiB) and parse it.
 * A file that cannot be read is VMSPEC_E_INVALID with the reason in @ret_error.
 */
int vmspec_load(const char *path, VmSpec **ret, char **ret_error)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > VMSPEC_MAX_FILE_SIZE) {
                int e = fd < 0 ? errno : (!S_ISREG(st.st_mode) ? EINVAL : EFBIG);

                if (ret_error && asprintf(ret_error, "%s: cannot read: %s", path,
                                          fd >= 0 && !S_ISREG(st.st_mode) ? "not a regular file" : strerror(e)) < 0)
                        return -ENOMEM;
                return VMSPEC_E_INVALID;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t)st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t)k;
        }
        buf[n] = 0;
        return vmspec_parse(buf, n, path, ret, ret_error);
}

static void helper_clear(VmHelper *h)
{
        free(h->name);
        strv_free(h->exec);
        strv_free(h->owns);
        strv_free(h->talks_to);
        free(h->vmstate_id);
        free(h->socket);
        free(h->fs_tag);
        free(h->caps);
        strv_free(h->cap_reasons);
        strv_free(h->ro_paths);
        strv_free(h->rw_paths);
}

/** vmspec_free() - free @s (NULL is fine). Returns NULL. */
VmSpec *vmspec_free(VmSpec *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_helpers; i++)
                helper_clear(&s->helpers[i]);
        free(s->helpers);
        strv_free(s->qemu);
        strv_free(s->ro_paths);
        strv_free(s->rw_paths);
        free(s->name);
        free(s->file);
        free(s);
        return NULL;
}

/** vmspec_find_helper() - the helper called @name, or NULL. */
const VmHelper *vmspec_find_helper(const VmSpec *s, const char *name)
{
        for (size_t i = 0; i < s->n_helpers; i++)
                if (!strcmp(s->helpers[i].name, name))
                        return &s->helpers[i];
        return NULL;
}

/** vmspec_has_vmstate() - does any helper have a vmstate-id? */
bool vmspec_has_vmstate(const VmSpec *s)
{
        for (size_t i = 0; i < s->n_helpers; i++)
                if (s->helpers[i].vmstate_id)
                        return true;
        return false;
}

/** identity_scenario_to_string() - the spec's spelling of @i. */
const char *identity_scenario_to_string(IdentityScenario i)
{
        switch (i) {
        case IDENTITY_SAME_UID: return "same-uid";
        case IDENTITY_TWO_UIDS: return "two-uids";
        case IDENTITY_MANY_UIDS: return "many-uids";
        }
        return "?";
}

/** restart_policy_to_string() - the spec's spelling of @r. */
const char *restart_policy_to_string(RestartPolicy r)
{
        switch (r) {
        case RESTART_NO: return "no";
        case RESTART_ON_FAILURE: return "on-failure";
        case RESTART_ALWAYS: return "always";
        }
        return "?";
}
