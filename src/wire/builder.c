/*
 * builder.c -- the writer: marshal a D-Bus message, body value by value into
 * a growing buffer, then header + body into one buffer at finish. Either byte
 * order. Every value is checked against the signature being built (or the
 * container's declared contents) and against the D-Bus rules, so a finished
 * message always passes wire_message_parse().
 *
 * Errors are sticky (see builder.h). Must never: do I/O or log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/macro.h"
#include "wire/builder.h"
#include "wire/errors.h"
#include "wire/marshal.h"
#include "wire/message.h"
#include "wire/names.h"

/**
 * wire_builder_init_endian() - start a message.
 * @b: the builder (any contents)
 * @type: WIRE_MESSAGE_* (other non-zero values allowed for tests)
 * @flags: WIRE_FLAG_*
 * @big_endian: marshal big-endian instead of little-endian
 */
void wire_builder_init_endian(WireBuilder *b, uint8_t type, uint8_t flags, bool big_endian)
{
        memset(b, 0, sizeof(*b));
        b->type = type;
        b->flags = flags;
        b->big_endian = big_endian;
        if (type == WIRE_MESSAGE_INVALID)
                b->error = WIRE_E_BAD_MESSAGE_TYPE;
}

/** wire_builder_init() - start a little-endian message of @type with @flags. */
void wire_builder_init(WireBuilder *b, uint8_t type, uint8_t flags)
{
        wire_builder_init_endian(b, type, flags, false);
}

/** wire_builder_deinit() - free what the builder holds; it may be re-initialised. */
void wire_builder_deinit(WireBuilder *b)
{
        free(b->body);
        free(b->path);
        free(b->interface);
        free(b->member);
        free(b->error_name);
        free(b->destination);
        free(b->sender);
        free(b->deep);
        b->deep = NULL;
        b->body = NULL;
        b->path = b->interface = b->member = b->error_name = b->destination = b->sender = NULL;
        b->body_len = b->body_cap = 0;
}

/* level @i (0 = top): inline for the first ones, then in b->deep */
static WireBuilderLevel *level_at(WireBuilder *b, unsigned i)
{
        return i <= WIRE_BUILDER_INLINE_DEPTH ? &b->level[i] : &b->deep[i - WIRE_BUILDER_INLINE_DEPTH - 1];
}

static int fail(WireBuilder *b, int r)
{
        if (!b->error)
                b->error = r;
        return b->error;
}

static int set_string(WireBuilder *b, char **field, const char *s, bool valid, int invalid)
{
        char *copy;

        if (b->error)
                return b->error;
        if (!s || !valid)
                return fail(b, invalid);
        copy = strdup(s);
        if (!copy)
                return fail(b, -ENOMEM);
        free(*field);
        *field = copy;
        return 0;
}

/** wire_builder_set_path() - the PATH field (object path grammar). */
int wire_builder_set_path(WireBuilder *b, const char *path)
{
        return set_string(b, &b->path, path, path && wire_path_is_valid(path, strlen(path)),
                          WIRE_E_BAD_PATH);
}

/** wire_builder_set_interface() - the INTERFACE field. */
int wire_builder_set_interface(WireBuilder *b, const char *interface)
{
        return set_string(b, &b->interface, interface,
                          interface && wire_interface_is_valid(interface, strlen(interface)),
                          WIRE_E_BAD_INTERFACE);
}

/** wire_builder_set_member() - the MEMBER field. */
int wire_builder_set_member(WireBuilder *b, const char *member)
{
        return set_string(b, &b->member, member,
                          member && wire_member_is_valid(member, strlen(member)),
                          WIRE_E_BAD_MEMBER);
}

/** wire_builder_set_error_name() - the ERROR_NAME field. */
int wire_builder_set_error_name(WireBuilder *b, const char *name)
{
        return set_string(b, &b->error_name, name,
                          name && wire_error_name_is_valid(name, strlen(name)),
                          WIRE_E_BAD_ERROR_NAME);
}

/** wire_builder_set_destination() - the DESTINATION field (a bus name). */
int wire_builder_set_destination(WireBuilder *b, const char *name)
{
        return set_string(b, &b->destination, name,
                          name && wire_bus_name_is_valid(name, strlen(name)), WIRE_E_BAD_BUS_NAME);
}

/** wire_builder_set_sender() - the SENDER field (a bus name). */
int wire_builder_set_sender(WireBuilder *b, const char *name)
{
        return set_string(b, &b->sender, name, name && wire_bus_name_is_valid(name, strlen(name)),
                          WIRE_E_BAD_BUS_NAME);
}

/** wire_builder_set_reply_serial() - the REPLY_SERIAL field (non-zero). */
int wire_builder_set_reply_serial(WireBuilder *b, uint32_t serial)
{
        if (b->error)
                return b->error;
        if (serial == 0)
                return fail(b, WIRE_E_ZERO_REPLY_SERIAL);
        b->reply_serial = serial;
        return 0;
}

/** wire_builder_set_unix_fds() - the UNIX_FDS field (0 = none). */
int wire_builder_set_unix_fds(WireBuilder *b, uint32_t n_fds)
{
        if (b->error)
                return b->error;
        b->n_fds = n_fds;
        return 0;
}

/* room for @n more body bytes */
static int reserve(WireBuilder *b, size_t n)
{
        size_t cap;
        uint8_t *p;

        if (n <= b->body_cap - b->body_len)
                return 0;
        if (n > WIRE_MAX_MESSAGE_SIZE || b->body_len + n > WIRE_MAX_MESSAGE_SIZE)
                return fail(b, WIRE_E_MESSAGE_TOO_LARGE);
        cap = MAX(b->body_cap * 2, b->body_len + n + 64);
        p = realloc(b->body, cap);
        if (!p)
                return fail(b, -ENOMEM);
        b->body = p;
        b->body_cap = cap;
        return 0;
}

/* zero padding to @align, then room for @n bytes; returns 0 or the error */
static int align_reserve(WireBuilder *b, size_t align, size_t n)
{
        size_t padded = ALIGN_TO(b->body_len, align);

        if (reserve(b, padded - b->body_len + n))
                return b->error;
        if (padded > b->body_len)
                memset(b->body + b->body_len, 0, padded - b->body_len);
        b->body_len = padded;
        return 0;
}

/*
 * Claim the next type of the current level for a value whose complete type is
 * @type (@len bytes). At the top level the type is appended to the body
 * signature; inside a container it must be the one expected there.
 */
static int expect(WireBuilder *b, const char *type, size_t len)
{
        WireBuilderLevel *l = level_at(b, b->depth);
        size_t n;
        int r;

        if (b->depth == 0) {
                if (b->signature_len + len > WIRE_MAX_SIGNATURE_LENGTH)
                        return fail(b, WIRE_E_SIGNATURE_TOO_LONG);
                memcpy(b->signature + b->signature_len, type, len);
                b->signature[b->signature_len + len] = 0;
                r = wire_signature_validate(b->signature, b->signature_len + len);
                if (r) {
                        b->signature[b->signature_len] = 0;
                        return fail(b, r);
                }
                b->signature_len += len;
                return 0;
        }
        if (l->kind == 'a' && l->sig_pos == l->sig_len)
                l->sig_pos = 0;         /* next array element */
        if (l->sig_pos >= l->sig_len ||
            wire_signature_next(l->contents + l->sig_pos, l->sig_len - l->sig_pos, &n) ||
            n != len || memcmp(l->contents + l->sig_pos, type, len) != 0)
                return fail(b, WIRE_E_TYPE_MISMATCH);
        l->sig_pos += len;
        return 0;
}

/**
 * wire_builder_append() - append one basic value (see builder.h for the C
 * types). Strings are checked: UTF-8 and no NUL for 's', path grammar for
 * 'o', signature grammar for 'g'; booleans must be 0 or 1.
 * Return: 0 or the sticky error.
 */
int wire_builder_append(WireBuilder *b, char type, const void *value)
{
        size_t sz, n;
        const char *s;
        int r;

        if (b->error)
                return b->error;
        if (!wire_type_is_basic(type) || !value)
                return fail(b, WIRE_E_TYPE_MISMATCH);
        if ((r = expect(b, &type, 1)))
                return r;

        sz = wire_fixed_size(type);
        if (sz > 0) {
                uint8_t *p;

                if (align_reserve(b, sz, sz))
                        return b->error;
                p = b->body + b->body_len;
                switch (type) {
                case 'y':
                        *p = *(const uint8_t *)value;
                        break;
                case 'b':
                        if (*(const int *)value != 0 && *(const int *)value != 1)
                                return fail(b, WIRE_E_BAD_BOOLEAN);
                        wire_put32(p, (uint32_t)*(const int *)value, b->big_endian);
                        break;
                case 'n':
                case 'q':
                        wire_put16(p, *(const uint16_t *)value, b->big_endian);
                        break;
                case 'h':
                        b->fds_used = MAX(b->fds_used, (uint64_t)*(const uint32_t *)value + 1);
                        wire_put32(p, *(const uint32_t *)value, b->big_endian);
                        break;
                case 'i':
                case 'u':
                        wire_put32(p, *(const uint32_t *)value, b->big_endian);
                        break;
                default: /* x t d */
                        wire_put64(p, *(const uint64_t *)value, b->big_endian);
                        break;
                }
                b->body_len += sz;
                return 0;
        }

        s = *(const char *const *)value;
        if (!s)
                return fail(b, WIRE_E_TYPE_MISMATCH);
        n = strlen(s);
        if (type == 's') {
                if ((r = wire_string_check(s, n)))
                        return fail(b, r);
        } else if (type == 'o') {
                if (!wire_path_is_valid(s, n))
                        return fail(b, WIRE_E_BAD_PATH);
        } else {
                if ((r = wire_signature_validate(s, n)))
                        return fail(b, r);
        }
        if (type == 'g') {
                if (align_reserve(b, 1, n + 2))
                        return b->error;
                b->body[b->body_len++] = (uint8_t)n;
        } else {
                if (n > UINT32_MAX || align_reserve(b, 4, 4 + n + 1))
                        return fail(b, WIRE_E_MESSAGE_TOO_LARGE);
                wire_put32(b->body + b->body_len, (uint32_t)n, b->big_endian);
                b->body_len += 4;
        }
        memcpy(b->body + b->body_len, s, n + 1);
        b->body_len += n + 1;
        return 0;
}

/** wire_builder_append_string() - append an 's'. */
int wire_builder_append_string(WireBuilder *b, const char *s)
{
        return wire_builder_append(b, 's', &s);
}

/** wire_builder_append_u32() - append a 'u'. */
int wire_builder_append_u32(WireBuilder *b, uint32_t v)
{
        return wire_builder_append(b, 'u', &v);
}

/** wire_builder_append_bool() - append a 'b'. */
int wire_builder_append_bool(WireBuilder *b, bool v)
{
        int i = v;
        return wire_builder_append(b, 'b', &i);
}

/**
 * wire_builder_open() - open a container (see builder.h).
 * Return: 0 or the sticky error (WIRE_E_TYPE_MISMATCH when the container is
 * not what the enclosing signature expects, WIRE_E_BAD_SIGNATURE /
 * WIRE_E_BAD_VARIANT for bad @contents, WIRE_E_NESTING_TOO_DEEP).
 */
int wire_builder_open(WireBuilder *b, char container, const char *contents)
{
        char type[WIRE_MAX_SIGNATURE_LENGTH + 4];
        WireBuilderLevel *l;
        size_t n, tl;
        int r;

        if (b->error)
                return b->error;
        if (!contents)
                return fail(b, WIRE_E_BAD_SIGNATURE);
        n = strlen(contents);
        if (n > WIRE_MAX_SIGNATURE_LENGTH)
                return fail(b, WIRE_E_SIGNATURE_TOO_LONG);
        if (b->depth >= WIRE_MAX_TOTAL_DEPTH)
                return fail(b, WIRE_E_NESTING_TOO_DEEP);

        /* type + 1: the container's complete type; type[0] = 'a' so that a
         * dict entry can be checked as the element of an array */
        type[0] = 'a';
        switch (container) {
        case 'a':
                type[1] = 'a';
                memcpy(type + 2, contents, n);
                tl = n + 1;
                r = wire_signature_is_single(type + 1, tl) ? 0 : WIRE_E_BAD_SIGNATURE;
                break;
        case '(':
        case '{':
                if (container == '{' && (b->depth == 0 || level_at(b, b->depth)->kind != 'a'))
                        return fail(b, WIRE_E_TYPE_MISMATCH);
                type[1] = container;
                memcpy(type + 2, contents, n);
                type[n + 2] = container == '(' ? ')' : '}';
                tl = n + 2;
                r = wire_signature_is_single(container == '(' ? type + 1 : type, tl + (container == '{'))
                            ? 0 : WIRE_E_BAD_SIGNATURE;
                break;
        case 'v':
                type[1] = 'v';
                tl = 1;
                r = wire_signature_is_single(contents, n) ? 0 : WIRE_E_BAD_VARIANT;
                break;
        default:
                r = WIRE_E_TYPE_MISMATCH;
                break;
        }
        if (r)
                return fail(b, r);
        if ((r = expect(b, type + 1, tl)))
                return r;
        if (b->depth + 1 > WIRE_BUILDER_INLINE_DEPTH && !b->deep) {
                b->deep = calloc(WIRE_MAX_TOTAL_DEPTH - WIRE_BUILDER_INLINE_DEPTH, sizeof(*b->deep));
                if (!b->deep)
                        return fail(b, -ENOMEM);
        }

        l = level_at(b, b->depth + 1);
        l->kind = container;
        memcpy(l->contents, contents, n + 1);
        l->sig = l->contents;
        l->sig_len = n;
        l->sig_pos = 0;
        l->len_offset = l->start = 0;

        switch (container) {
        case 'a':
                if (align_reserve(b, 4, 4))
                        return b->error;
                l->len_offset = b->body_len;
                b->body_len += 4;
                if (align_reserve(b, wire_type_alignment(contents[0]), 0))
                        return b->error;
                l->start = b->body_len;
                break;
        case '(':
        case '{':
                if (align_reserve(b, 8, 0))
                        return b->error;
                break;
        default: /* 'v' */
                if (align_reserve(b, 1, n + 2))
                        return b->error;
                b->body[b->body_len++] = (uint8_t)n;
                memcpy(b->body + b->body_len, contents, n + 1);
                b->body_len += n + 1;
                break;
        }
        b->depth++;
        return 0;
}

/**
 * wire_builder_close() - close the innermost container.
 * Return: 0, WIRE_E_BUILDER_STATE (nothing open, or a struct/variant/array
 * element not complete), WIRE_E_ARRAY_TOO_LONG, or the sticky error.
 */
int wire_builder_close(WireBuilder *b)
{
        WireBuilderLevel *l = level_at(b, b->depth);
        size_t len;

        if (b->error)
                return b->error;
        if (b->depth == 0)
                return fail(b, WIRE_E_BUILDER_STATE);
        if (l->kind == 'a') {
                if (l->sig_pos != 0 && l->sig_pos != l->sig_len)
                        return fail(b, WIRE_E_BUILDER_STATE);
                len = b->body_len - l->start;
                if (len > WIRE_MAX_ARRAY_SIZE)
                        return fail(b, WIRE_E_ARRAY_TOO_LONG);
                wire_put32(b->body + l->len_offset, (uint32_t)len, b->big_endian);
        } else if (l->sig_pos != l->sig_len) {
                return fail(b, WIRE_E_BUILDER_STATE);
        }
        b->depth--;
        return 0;
}

static int check_required(const WireBuilder *b)
{
        switch (b->type) {
        case WIRE_MESSAGE_METHOD_CALL:
                if (!b->path)
                        return WIRE_E_MISSING_PATH;
                if (!b->member)
                        return WIRE_E_MISSING_MEMBER;
                break;
        case WIRE_MESSAGE_SIGNAL:
                if (!b->path)
                        return WIRE_E_MISSING_PATH;
                if (!b->interface)
                        return WIRE_E_MISSING_INTERFACE;
                if (!b->member)
                        return WIRE_E_MISSING_MEMBER;
                break;
        case WIRE_MESSAGE_ERROR:
                if (!b->error_name)
                        return WIRE_E_MISSING_ERROR_NAME;
                if (!b->reply_serial)
                        return WIRE_E_MISSING_REPLY_SERIAL;
                break;
        case WIRE_MESSAGE_METHOD_RETURN:
                if (!b->reply_serial)
                        return WIRE_E_MISSING_REPLY_SERIAL;
                break;
        }
        return 0;
}

/**
 * wire_builder_finish() - marshal header + body into one malloc'd buffer.
 * @b: the builder; it keeps its contents (deinit it afterwards)
 * @serial: the message serial (non-zero)
 * @ret_data: the message, free() it
 * @ret_size: its size
 *
 * Return: 0, the sticky error, WIRE_E_BUILDER_STATE if containers are open,
 * WIRE_E_ZERO_SERIAL, WIRE_E_MISSING_*, WIRE_E_BAD_FD_INDEX or
 * WIRE_E_MESSAGE_TOO_LARGE, or -ENOMEM.
 */
int wire_builder_finish(WireBuilder *b, uint32_t serial, uint8_t **ret_data, size_t *ret_size)
{
        WireHeader h = {
                .big_endian = b->big_endian, .type = b->type, .flags = b->flags,
                .body_size = (uint32_t)b->body_len, .serial = serial,
                .reply_serial = b->reply_serial, .n_fds = b->n_fds, .path = b->path,
                .interface = b->interface, .member = b->member, .error_name = b->error_name,
                .destination = b->destination, .signature = b->signature,
        };
        size_t hs;
        uint8_t *m;
        int r;

        if (b->error)
                return b->error;
        if (b->depth != 0)
                return WIRE_E_BUILDER_STATE;
        if (serial == 0)
                return WIRE_E_ZERO_SERIAL;
        if ((r = check_required(b)))
                return r;
        if (b->fds_used > b->n_fds)
                return WIRE_E_BAD_FD_INDEX;
        hs = wire_message_rewrite_size(&h, b->sender);
        if (b->body_len > WIRE_MAX_MESSAGE_SIZE - hs)
                return WIRE_E_MESSAGE_TOO_LARGE;
        m = malloc(hs + b->body_len + 1);
        if (!m)
                return -ENOMEM;
        wire_message_write_header(&h, b->sender, m);
        if (b->body_len)
                memcpy(m + hs, b->body, b->body_len);
        *ret_data = m;
        *ret_size = hs + b->body_len;
        return 0;
}
