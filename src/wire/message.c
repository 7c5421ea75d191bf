/*
 * message.c -- one D-Bus message as bytes: framing from the fixed header,
 * validation of the whole message in one pass (fixed header, header fields,
 * padding, body against its signature), and the header rewrite the broker
 * needs (SENDER set, unknown fields dropped, body untouched).
 *
 * Must never: allocate, do I/O, log, or read outside the caller's buffer.
 */
#include <errno.h>
#include "util/macro.h"
#include "wire/errors.h"
#include "wire/marshal.h"
#include "wire/message.h"
#include "wire/names.h"
#include "wire/signature.h"

#define LOCAL_PATH      "/org/freedesktop/DBus/Local"
#define LOCAL_INTERFACE "org.freedesktop.DBus.Local"

/* the variant type each known header field must have */
static const char field_type[_WIRE_FIELD_KNOWN_MAX + 1] = {
        [WIRE_FIELD_PATH] = 'o',         [WIRE_FIELD_INTERFACE] = 's',
        [WIRE_FIELD_MEMBER] = 's',       [WIRE_FIELD_ERROR_NAME] = 's',
        [WIRE_FIELD_REPLY_SERIAL] = 'u', [WIRE_FIELD_DESTINATION] = 's',
        [WIRE_FIELD_SENDER] = 's',       [WIRE_FIELD_SIGNATURE] = 'g',
        [WIRE_FIELD_UNIX_FDS] = 'u',
};

/**
 * wire_message_frame() - size of the message whose fixed header is at @buf.
 * @buf: at least WIRE_FIXED_HEADER_SIZE bytes
 * @len: bytes available at @buf
 * @ret_size: the whole message's size, header + padding + body
 *
 * Return: 0, WIRE_E_TRUNCATED if @len is too short for the fixed header,
 * WIRE_E_BAD_ENDIAN, WIRE_E_BAD_VERSION, WIRE_E_FIELDS_TOO_LARGE or
 * WIRE_E_MESSAGE_TOO_LARGE.
 */
int wire_message_frame(const uint8_t *buf, size_t len, size_t *ret_size)
{
        uint64_t fields, body, total;
        bool be;

        if (len < WIRE_FIXED_HEADER_SIZE)
                return WIRE_E_TRUNCATED;
        if (buf[0] != 'l' && buf[0] != 'B')
                return WIRE_E_BAD_ENDIAN;
        be = buf[0] == 'B';
        if (buf[3] != 1)
                return WIRE_E_BAD_VERSION;
        body = wire_get32(buf + 4, be);
        fields = wire_get32(buf + 12, be);
        if (fields > WIRE_MAX_ARRAY_SIZE)
                return WIRE_E_FIELDS_TOO_LARGE;
        total = ALIGN8(WIRE_FIXED_HEADER_SIZE + fields) + body;
        if (total > WIRE_MAX_MESSAGE_SIZE)
                return WIRE_E_MESSAGE_TOO_LARGE;
        *ret_size = (size_t)total;
        return 0;
}

/* a string field value at *pos: u32 length, bytes, NUL. Every string field
 * is a name whose grammar is a subset of NUL-free ASCII, so the UTF-8 rule is
 * checked only when that grammar fails (name_error()), to report the same
 * reason as checking it first would */
static int field_string(const uint8_t *msg, size_t *pos, size_t end, bool be, const char **ret,
                        size_t *ret_len)
{
        size_t p = ALIGN_TO(*pos, 4), n;

        if (p > end || end - p < 4)
                return WIRE_E_BAD_ARRAY_LENGTH;
        for (size_t i = *pos; i < p; i++)
                if (msg[i])
                        return WIRE_E_BAD_PADDING;
        n = wire_get32(msg + p, be);
        p += 4;
        if (n >= end - p)
                return WIRE_E_BAD_ARRAY_LENGTH;
        if (msg[p + n] != 0)
                return WIRE_E_MISSING_NUL;
        *ret = (const char *)msg + p;
        *ret_len = n;
        *pos = p + n + 1;
        return 0;
}

/* a name field that failed its grammar: the UTF-8/NUL reason if there is one */
static int name_error(const char *s, size_t n, int grammar_error)
{
        int r = wire_string_check(s, n);

        return r ? r : grammar_error;
}

/* the value of known field @code (its variant type already checked) */
static int parse_known_field(const uint8_t *msg, size_t *pos, size_t end, bool be, uint8_t code,
                             WireHeader *h)
{
        const char *s;
        size_t n, p = *pos;
        uint32_t u;
        int r;

        switch (code) {
        case WIRE_FIELD_REPLY_SERIAL:
        case WIRE_FIELD_UNIX_FDS:
                p = ALIGN_TO(p, 4);
                if (p > end || end - p < 4)
                        return WIRE_E_BAD_ARRAY_LENGTH;
                for (size_t i = *pos; i < p; i++)
                        if (msg[i])
                                return WIRE_E_BAD_PADDING;
                u = wire_get32(msg + p, be);
                *pos = p + 4;
                if (code == WIRE_FIELD_UNIX_FDS) {
                        h->n_fds = u;
                        return 0;
                }
                if (u == 0)
                        return WIRE_E_ZERO_REPLY_SERIAL;
                h->reply_serial = u;
                return 0;
        case WIRE_FIELD_SIGNATURE:
                if (p >= end)
                        return WIRE_E_BAD_ARRAY_LENGTH;
                n = msg[p++];
                if (n >= end - p)
                        return WIRE_E_BAD_ARRAY_LENGTH;
                if (msg[p + n] != 0)
                        return WIRE_E_MISSING_NUL;
                if ((r = wire_signature_validate((const char *)msg + p, n)))
                        return r;
                h->signature = (const char *)msg + p;
                *pos = p + n + 1;
                return 0;
        default:
                break;
        }

        if ((r = field_string(msg, pos, end, be, &s, &n)))
                return r;
        switch (code) {
        case WIRE_FIELD_PATH:
                if (!wire_path_is_valid(s, n))
                        return name_error(s, n, WIRE_E_BAD_PATH);
                h->path = s;
                break;
        case WIRE_FIELD_INTERFACE:
                if (!wire_interface_is_valid(s, n))
                        return name_error(s, n, WIRE_E_BAD_INTERFACE);
                h->interface = s;
                break;
        case WIRE_FIELD_MEMBER:
                if (!wire_member_is_valid(s, n))
                        return name_error(s, n, WIRE_E_BAD_MEMBER);
                h->member = s;
                break;
        case WIRE_FIELD_ERROR_NAME:
                if (!wire_error_name_is_valid(s, n))
                        return name_error(s, n, WIRE_E_BAD_ERROR_NAME);
                h->error_name = s;
                break;
        case WIRE_FIELD_DESTINATION:
                if (!wire_bus_name_is_valid(s, n))
                        return name_error(s, n, WIRE_E_BAD_BUS_NAME);
                h->destination = s;
                break;
        case WIRE_FIELD_SENDER:
                if (!wire_bus_name_is_valid(s, n))
                        return name_error(s, n, WIRE_E_BAD_BUS_NAME);
                h->sender = s;
                break;
        }
        return 0;
}

/* the header-fields array, bytes [16, end): each field a struct (yv) aligned to 8 */
static int parse_fields(const uint8_t *msg, size_t end, bool be, WireHeader *h)
{
        size_t pos = WIRE_FIXED_HEADER_SIZE;
        uint32_t seen = 0;
        int r;

        while (pos < end) {
                size_t q = ALIGN8(pos), n;
                const char *sig;
                uint8_t code;

                if (q >= end)
                        return WIRE_E_BAD_ARRAY_LENGTH;
                if (!wire_zero_pad(msg, pos, q))
                        return WIRE_E_BAD_PADDING;
                pos = q;
                if (end - pos < 3)
                        return WIRE_E_BAD_ARRAY_LENGTH;
                code = msg[pos];
                n = msg[pos + 1];
                sig = (const char *)msg + pos + 2;
                if (code == WIRE_FIELD_INVALID)
                        return WIRE_E_BAD_FIELD;
                pos += 2;
                if (n >= end - pos)
                        return WIRE_E_BAD_ARRAY_LENGTH;
                if (msg[pos + n] != 0)
                        return WIRE_E_MISSING_NUL;
                pos += n + 1;
                if (code <= _WIRE_FIELD_KNOWN_MAX && n == 1 && sig[0] == field_type[code]) {
                        /* fast path: the usual case, a known field of its type */
                } else {
                        if ((r = wire_signature_validate(sig, n)))
                                return r;
                        if (!wire_signature_is_single(sig, n))
                                return WIRE_E_BAD_VARIANT;
                }

                if (code > _WIRE_FIELD_KNOWN_MAX) {
                        /* unknown: any valid value, skipped; it sits in a(yv) */
                        h->unknown_fields = true;
                        r = wire_values_validate(msg, &pos, end, be, sig, n, UINT64_MAX, 3,
                                                 WIRE_E_BAD_ARRAY_LENGTH);
                        if (r)
                                return r;
                        continue;
                }
                if (n != 1 || sig[0] != field_type[code])
                        return WIRE_E_FIELD_TYPE;
                if (seen & (1u << code))
                        return WIRE_E_DUPLICATE_FIELD;
                seen |= 1u << code;
                if ((r = parse_known_field(msg, &pos, end, be, code, h)))
                        return r;
        }
        return 0;
}

/* the fields each message type requires, and the reserved Local names */
static int check_required(const WireHeader *h)
{
        switch (h->type) {
        case WIRE_MESSAGE_METHOD_CALL:
                if (!h->path)
                        return WIRE_E_MISSING_PATH;
                if (!h->member)
                        return WIRE_E_MISSING_MEMBER;
                break;
        case WIRE_MESSAGE_SIGNAL:
                if (!h->path)
                        return WIRE_E_MISSING_PATH;
                if (!h->interface)
                        return WIRE_E_MISSING_INTERFACE;
                if (!h->member)
                        return WIRE_E_MISSING_MEMBER;
                break;
        case WIRE_MESSAGE_ERROR:
                if (!h->error_name)
                        return WIRE_E_MISSING_ERROR_NAME;
                if (!h->reply_serial)
                        return WIRE_E_MISSING_REPLY_SERIAL;
                break;
        case WIRE_MESSAGE_METHOD_RETURN:
                if (!h->reply_serial)
                        return WIRE_E_MISSING_REPLY_SERIAL;
                break;
        default:
                break;
        }
        if (h->path && strcmp(h->path, LOCAL_PATH) == 0)
                return WIRE_E_LOCAL_PATH;
        if (h->interface && strcmp(h->interface, LOCAL_INTERFACE) == 0)
                return WIRE_E_LOCAL_INTERFACE;
        return 0;
}

/**
 * wire_message_parse() - validate one complete message in one pass.
 * @msg: the message bytes
 * @size: exactly one message's size
 * @ret: what the header says, written only on success
 *
 * See message.h and docs/wire.md for the checks and their reason codes. The
 * reserved path /org/freedesktop/DBus/Local and interface
 * org.freedesktop.DBus.Local are refused here (WIRE_E_LOCAL_PATH,
 * WIRE_E_LOCAL_INTERFACE), as libdbus refuses them when it loads a message:
 * no peer may send them. A message of an unknown type (> 4) is validated
 * completely and then reported as WIRE_E_UNKNOWN_MESSAGE_TYPE.
 * Return: 0 or a WIRE_E_* reason.
 */
int wire_message_parse(const uint8_t *msg, size_t size, WireHeader *ret)
{
        WireHeader h = { .signature = "" };
        size_t total, fields_end, pos;
        int r;

        if ((r = wire_message_frame(msg, size, &total)))
                return r;
        h.big_endian = msg[0] == 'B';
        h.type = msg[1];
        h.flags = msg[2];
        h.body_size = wire_get32(msg + 4, h.big_endian);
        h.serial = wire_get32(msg + 8, h.big_endian);
        h.fields_size = wire_get32(msg + 12, h.big_endian);
        h.body_offset = ALIGN8(WIRE_FIXED_HEADER_SIZE + h.fields_size);
        h.size = total;

        if (h.type == WIRE_MESSAGE_INVALID)
                return WIRE_E_BAD_MESSAGE_TYPE;
        if (h.serial == 0)
                return WIRE_E_ZERO_SERIAL;
        if (size < total)
                return WIRE_E_TRUNCATED;
        if (size > total)
                return WIRE_E_TRAILING_BYTES;

        fields_end = WIRE_FIXED_HEADER_SIZE + h.fields_size;
        if ((r = parse_fields(msg, fields_end, h.big_endian, &h)))
                return r;
        if (!wire_zero_pad(msg, fields_end, h.body_offset))
                return WIRE_E_BAD_PADDING;
        if ((r = check_required(&h)))
                return r;

        if (h.body_size > 0 && h.signature[0] == 0)
                return WIRE_E_MISSING_SIGNATURE;
        pos = h.body_offset;
        r = wire_values_validate(msg, &pos, total, h.big_endian, h.signature, strlen(h.signature),
                                 h.n_fds, 0, WIRE_E_BODY_TOO_SHORT);
        if (r)
                return r;
        if (pos != total)
                return WIRE_E_BODY_TOO_LONG;

        if (h.type > WIRE_MESSAGE_SIGNAL)
                return WIRE_E_UNKNOWN_MESSAGE_TYPE;
        *ret = h;
        return 0;
}

/* bytes of one string-typed field: code, sig "\1x\0", u32 length, string, NUL */
static size_t field_size(size_t pos, const char *s)
{
        pos = ALIGN8(pos) + 4;
        return ALIGN_TO(pos, 4) + 4 + strlen(s) + 1;
}

/**
 * wire_message_rewrite_size() - bytes wire_message_rewrite_header() writes.
 * @h: a header wire_message_parse() filled
 * @sender: the SENDER to set, or NULL
 *
 * Return: fixed header + the kept fields + padding to 8.
 */
size_t wire_message_rewrite_size(const WireHeader *h, const char *sender)
{
        const char *str[] = { h->path, h->interface, h->member, h->error_name, h->destination,
                              sender };
        size_t pos = WIRE_FIXED_HEADER_SIZE;

        for (size_t i = 0; i < ELEMENTSOF(str); i++)
                if (str[i])
                        pos = field_size(pos, str[i]);
        if (h->reply_serial)
                pos = ALIGN8(pos) + 8;
        if (h->signature[0])
                pos = ALIGN8(pos) + 4 + 1 + strlen(h->signature) + 1;
        if (h->n_fds)
                pos = ALIGN8(pos) + 8;
        return ALIGN8(pos);
}

/* writer over a buffer known to be large enough */
struct out {
        uint8_t *p;
        size_t pos;
        bool be;
};

static void out_pad(struct out *o, size_t align)
{
        size_t n = (align - o->pos % align) % align;

        memset(o->p + o->pos, 0, n);
        o->pos += n;
}

static void out_field_head(struct out *o, uint8_t code, char type)
{
        out_pad(o, 8);
        o->p[o->pos++] = code;
        o->p[o->pos++] = 1;
        o->p[o->pos++] = (uint8_t)type;
        o->p[o->pos++] = 0;
}

static void out_field_string(struct out *o, uint8_t code, char type, const char *s)
{
        size_t n;

        if (!s)
                return;
        n = strlen(s);
        out_field_head(o, code, type);
        if (type == 'g') {
                o->p[o->pos++] = (uint8_t)n;
        } else {
                out_pad(o, 4);
                wire_put32(o->p + o->pos, (uint32_t)n, o->be);
                o->pos += 4;
        }
        memcpy(o->p + o->pos, s, n + 1);
        o->pos += n + 1;
}

static void out_field_u32(struct out *o, uint8_t code, uint32_t v)
{
        if (!v)
                return;
        out_field_head(o, code, 'u');
        wire_put32(o->p + o->pos, v, o->be);
        o->pos += 4;
}

/**
 * wire_message_write_header() - write a fixed header and the given fields.
 * Shared by the header rewrite and the builder. @out must hold
 * wire_message_rewrite_size(@h, @sender) bytes. Returns the bytes written.
 */
size_t wire_message_write_header(const WireHeader *h, const char *sender, uint8_t *out)
{
        struct out o = { .p = out, .pos = WIRE_FIXED_HEADER_SIZE, .be = h->big_endian };

        out[0] = h->big_endian ? 'B' : 'l';
        out[1] = h->type;
        out[2] = h->flags;
        out[3] = 1;
        wire_put32(out + 4, h->body_size, o.be);
        wire_put32(out + 8, h->serial, o.be);
        out_field_string(&o, WIRE_FIELD_PATH, 'o', h->path);
        out_field_string(&o, WIRE_FIELD_INTERFACE, 's', h->interface);
        out_field_string(&o, WIRE_FIELD_MEMBER, 's', h->member);
        out_field_string(&o, WIRE_FIELD_ERROR_NAME, 's', h->error_name);
        out_field_u32(&o, WIRE_FIELD_REPLY_SERIAL, h->reply_serial);
        out_field_string(&o, WIRE_FIELD_DESTINATION, 's', h->destination);
        out_field_string(&o, WIRE_FIELD_SENDER, 's', sender);
        if (h->signature && h->signature[0])
                out_field_string(&o, WIRE_FIELD_SIGNATURE, 'g', h->signature);
        out_field_u32(&o, WIRE_FIELD_UNIX_FDS, h->n_fds);
        wire_put32(out + 12, (uint32_t)(o.pos - WIRE_FIXED_HEADER_SIZE), o.be);
        out_pad(&o, 8);
        return o.pos;
}

/** wire_message_append_sender_size() - see message.h. */
size_t wire_message_append_sender_size(const WireHeader *h, size_t sender_len)
{
        if (h->sender || h->unknown_fields)
                return 0;
        /* the fields as they are, padded to 8; then code, "\1s\0", length, name, NUL */
        return ALIGN8(WIRE_FIXED_HEADER_SIZE + h->fields_size) + ALIGN8(8 + sender_len + 1);
}

/** wire_message_append_sender() - see message.h. */
size_t wire_message_append_sender(const uint8_t *msg, const WireHeader *h, const char *sender,
                                  size_t sender_len, uint8_t *out)
{
        size_t pos = WIRE_FIXED_HEADER_SIZE + h->fields_size, end;

        memcpy(out, msg, pos);
        memset(out + pos, 0, ALIGN8(pos) - pos);
        pos = ALIGN8(pos);
        out[pos] = WIRE_FIELD_SENDER;
        out[pos + 1] = 1;
        out[pos + 2] = 's';
        out[pos + 3] = 0;
        wire_put32(out + pos + 4, (uint32_t)sender_len, h->big_endian);
        memcpy(out + pos + 8, sender, sender_len);
        end = pos + 8 + sender_len;
        out[end++] = 0;
        wire_put32(out + 12, (uint32_t)(end - WIRE_FIXED_HEADER_SIZE), h->big_endian);
        memset(out + end, 0, ALIGN8(end) - end);
        return ALIGN8(end);
}

/**
 * wire_message_rewrite_header() - a new header for a parsed message.
 * @msg: the message (unused but for symmetry: all fields come from @h)
 * @h: its parsed header
 * @sender: the SENDER to set, or NULL for none
 * @out: where the header goes
 * @out_cap: bytes available at @out
 * @ret_len: bytes written (a multiple of 8)
 *
 * Return: 0, or -ENOBUFS if @out_cap is too small.
 */
int wire_message_rewrite_header(const uint8_t *msg, const WireHeader *h, const char *sender,
                                uint8_t *out, size_t out_cap, size_t *ret_len)
{
        size_t need = wire_message_rewrite_size(h, sender);

        if (out_cap < need)
                return -ENOBUFS;
        *ret_len = wire_message_write_header(h, sender, out);
        return 0;
}
