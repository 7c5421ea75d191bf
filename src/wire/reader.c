/*
 * reader.c -- the unmarshaller: walk the body of a message that
 * wire_message_parse() accepted, value by value, in either byte order.
 * The structure is trusted to match the signature, but every read is still
 * bounds-checked against the body, so no input can make it read outside.
 *
 * Must never: allocate, do I/O, or read outside [body_offset, end).
 */
#include <string.h>
#include "util/macro.h"
#include "wire/errors.h"
#include "wire/marshal.h"
#include "wire/reader.h"

/**
 * wire_reader_init() - start reading the body of @msg.
 * @r: the reader
 * @msg: the message buffer wire_message_parse() accepted
 * @h: the header it returned
 */
void wire_reader_init(WireReader *r, const uint8_t *msg, const WireHeader *h)
{
        r->data = msg;
        r->body_offset = h->body_offset;
        r->pos = h->body_offset;
        r->end = h->size;
        r->big_endian = h->big_endian;
        r->depth = 0;
        r->level[0] = (WireReaderLevel){
                .kind = 0, .sig = h->signature, .sig_len = strlen(h->signature), .end = h->size
        };
}

/** wire_reader_at_end() - no more values at the current level. */
bool wire_reader_at_end(const WireReader *r)
{
        const WireReaderLevel *l = &r->level[r->depth];

        if (l->kind == 'a')
                return r->pos >= l->end;
        return l->sig_pos >= l->sig_len;
}

/** wire_reader_peek() - type code of the next value, 0 at the end of the level. */
char wire_reader_peek(const WireReader *r)
{
        const WireReaderLevel *l = &r->level[r->depth];

        if (wire_reader_at_end(r))
                return 0;
        if (l->kind == 'a' && l->sig_pos >= l->sig_len)
                return l->sig[0];
        return l->sig[l->sig_pos];
}

/* the current level's next type must be @type; returns 0 or the code */
static int check_next(WireReader *r, char type)
{
        char t = wire_reader_peek(r);

        if (t == 0)
                return WIRE_E_END;
        if (t != type)
                return WIRE_E_TYPE_MISMATCH;
        if (r->level[r->depth].kind == 'a' && r->level[r->depth].sig_pos >= r->level[r->depth].sig_len)
                r->level[r->depth].sig_pos = 0;
        return 0;
}

/* align (relative to the body start) and check that @n bytes follow */
static int align_avail(WireReader *r, size_t align, size_t n, size_t *ret_pos)
{
        size_t p = r->body_offset + ALIGN_TO(r->pos - r->body_offset, align);

        if (p > r->end || r->end - p < n)
                return WIRE_E_TRUNCATED;
        *ret_pos = p;
        return 0;
}

/**
 * wire_reader_read() - read one basic value of @type into *@ret.
 * Return: 0, WIRE_E_TYPE_MISMATCH, WIRE_E_END, or WIRE_E_TRUNCATED.
 */
int wire_reader_read(WireReader *r, char type, void *ret)
{
        const uint8_t *d = r->data;
        bool be = r->big_endian;
        size_t p, sz, n;
        int e;

        if ((e = check_next(r, type)))
                return e;
        sz = wire_fixed_size(type);
        if (sz > 0) {
                if ((e = align_avail(r, sz, sz, &p)))
                        return e;
                switch (type) {
                case 'y':
                        *(uint8_t *)ret = d[p];
                        break;
                case 'b':
                        *(int *)ret = wire_get32(d + p, be) != 0;
                        break;
                case 'n':
                case 'q':
                        *(uint16_t *)ret = wire_get16(d + p, be);
                        break;
                case 'i':
                case 'u':
                case 'h':
                        *(uint32_t *)ret = wire_get32(d + p, be);
                        break;
                default:
                        *(uint64_t *)ret = wire_get64(d + p, be);
                        break;
                }
                r->pos = p + sz;
        } else if (type == 's' || type == 'o') {
                if ((e = align_avail(r, 4, 4, &p)))
                        return e;
                n = wire_get32(d + p, be);
                p += 4;
                if (n >= r->end - p || d[p + n] != 0)
                        return WIRE_E_TRUNCATED;
                *(const char **)ret = (const char *)d + p;
                r->pos = p + n + 1;
        } else if (type == 'g') {
                if ((e = align_avail(r, 1, 1, &p)))
                        return e;
                n = d[p++];
                if (n >= r->end - p || d[p + n] != 0)
                        return WIRE_E_TRUNCATED;
                *(const char **)ret = (const char *)d + p;
                r->pos = p + n + 1;
        } else {
                return WIRE_E_TYPE_MISMATCH;
        }
        r->level[r->depth].sig_pos++;
        return 0;
}

/**
 * wire_reader_enter() - step into the container at the current position.
 * @r: the reader
 * @container: 'a', '(', '{' or 'v'
 * @ret_contents: optional; the element type ('a'), member types ('(' '{')
 *   or the variant's type ('v'); not NUL-terminated except for 'v'
 * @ret_contents_len: optional; its length
 *
 * Return: 0, WIRE_E_TYPE_MISMATCH, WIRE_E_END, WIRE_E_TRUNCATED or
 * WIRE_E_NESTING_TOO_DEEP.
 */
int wire_reader_enter(WireReader *r, char container, const char **ret_contents,
                      size_t *ret_contents_len)
{
        WireReaderLevel *l = &r->level[r->depth], *sub;
        const uint8_t *d = r->data;
        const char *sig;
        size_t p, n, tl;
        int e;

        if ((e = check_next(r, container)))
                return e;
        if (r->depth >= WIRE_MAX_TOTAL_DEPTH)
                return WIRE_E_NESTING_TOO_DEEP;
        sub = &r->level[r->depth + 1];

        switch (container) {
        case 'a':
                sig = l->sig + l->sig_pos + 1;
                if (wire_signature_next(sig, l->sig_len - l->sig_pos - 1, &tl))
                        return WIRE_E_TRUNCATED;
                if ((e = align_avail(r, 4, 4, &p)))
                        return e;
                n = wire_get32(d + p, r->big_endian);
                r->pos = p + 4;
                if ((e = align_avail(r, wire_type_alignment(sig[0]), 0, &p)))
                        return e;
                if (n > r->end - p)
                        return WIRE_E_TRUNCATED;
                *sub = (WireReaderLevel){ .kind = 'a', .sig = sig, .sig_len = tl, .end = p + n };
                r->pos = p;
                l->sig_pos += 1 + tl;
                break;
        case '(':
        case '{':
                if (wire_signature_next(l->sig + l->sig_pos, l->sig_len - l->sig_pos, &tl) || tl < 2)
                        return WIRE_E_TRUNCATED;
                if ((e = align_avail(r, 8, 0, &p)))
                        return e;
                sig = l->sig + l->sig_pos + 1;
                tl -= 2;
                *sub = (WireReaderLevel){ .kind = container, .sig = sig, .sig_len = tl,
                                          .end = r->end };
                r->pos = p;
                l->sig_pos += tl + 2;
                break;
        case 'v':
                if ((e = align_avail(r, 1, 1, &p)))
                        return e;
                tl = d[p++];
                if (tl >= r->end - p || d[p + tl] != 0)
                        return WIRE_E_TRUNCATED;
                sig = (const char *)d + p;
                *sub = (WireReaderLevel){ .kind = 'v', .sig = sig, .sig_len = tl, .end = r->end };
                r->pos = p + tl + 1;
                l->sig_pos++;
                break;
        default:
                return WIRE_E_TYPE_MISMATCH;
        }
        r->depth++;
        if (ret_contents)
                *ret_contents = sig;
        if (ret_contents_len)
                *ret_contents_len = tl;
        return 0;
}

/**
 * wire_reader_exit() - leave the current container, skipping what was not read.
 * Return: 0, WIRE_E_BUILDER_STATE at the top level, or a skip error.
 */
int wire_reader_exit(WireReader *r)
{
        WireReaderLevel *l = &r->level[r->depth];
        int e;

        if (r->depth == 0)
                return WIRE_E_BUILDER_STATE;
        if (l->kind == 'a') {
                if (l->end > r->end)
                        return WIRE_E_TRUNCATED;
                r->pos = MAX(r->pos, l->end);
        } else {
                while (!wire_reader_at_end(r))
                        if ((e = wire_reader_skip(r)))
                                return e;
        }
        r->depth--;
        return 0;
}

/**
 * wire_reader_skip() - skip one complete value at the current position.
 * Recursion through wire_reader_enter()/exit() is bounded by the depth limit.
 * Return: 0, WIRE_E_END or a read error.
 */
int wire_reader_skip(WireReader *r)
{
        union {
                uint64_t u64;
                const char *s;
        } v;
        char t = wire_reader_peek(r);
        int e;

        if (t == 0)
                return WIRE_E_END;
        if (t == 'a' || t == '(' || t == '{' || t == 'v') {
                if ((e = wire_reader_enter(r, t, NULL, NULL)))
                        return e;
                return wire_reader_exit(r);
        }
        return wire_reader_read(r, t, &v);
}
