/*
 * values.c -- the value validator: one pass over marshalled values against a
 * signature, used for unknown header fields and for message bodies. Iterative
 * with an explicit stack bounded by the total nesting limit (64).
 *
 * Checks: alignment padding is zero; strings have valid UTF-8, no NUL inside
 * and a NUL after; object paths and signatures follow their grammar; booleans
 * are 0 or 1; arrays are <= 64 MiB with padding before the first element even
 * when empty, and their elements fill the length exactly; variants hold one
 * complete type; fd indices are < @n_fds; nesting <= 64 containers in total
 * across variants (each signature on its own <= 32 arrays and 32 structs).
 *
 * Must never: allocate, recurse, or read at or beyond @end.
 */
#include "wire/errors.h"
#include "wire/marshal.h"
#include "wire/message.h"
#include "wire/names.h"
#include "wire/signature.h"

struct frame {
        const char *sig;        /* types at this level */
        size_t sig_len;
        size_t sig_pos;
        size_t end;             /* arrays: end of the elements */
        char kind;              /* 0 top, 'a', '(', 'v' */
};

/* skip and check the zero padding before a value aligned to @align */
static inline int pad(const uint8_t *data, size_t *pos, size_t end, size_t align, int overrun)
{
        size_t p = *pos, q = (p + align - 1) & ~(align - 1);

        if (q > end)
                return overrun;
        for (; p < q; p++)
                if (data[p] != 0)
                        return WIRE_E_BAD_PADDING;
        *pos = q;
        return 0;
}

/* a string-like value of @n bytes at @p, NUL after it, then the type's own grammar */
static int check_string(const uint8_t *data, size_t p, size_t n, size_t end, char type, int overrun)
{
        const char *s = (const char *)data + p;
        int r;

        if (n >= end - p)       /* need n bytes + NUL */
                return overrun;
        if (data[p + n] != 0)
                return WIRE_E_MISSING_NUL;
        switch (type) {
        case 's':
                return wire_string_check(s, n);
        case 'o':
                return wire_path_is_valid(s, n) ? 0 : WIRE_E_BAD_PATH;
        default: /* 'g' and variant signatures */
                r = wire_signature_validate(s, n);
                return r;
        }
}

/* a fixed-size basic value at *pos (already aligned, in bounds) */
static inline int check_fixed(const uint8_t *data, size_t p, char t, bool be, uint64_t n_fds)
{
        if (t == 'b') {
                if (wire_get32(data + p, be) > 1)
                        return WIRE_E_BAD_BOOLEAN;
        } else if (t == 'h') {
                if (wire_get32(data + p, be) >= n_fds)
                        return WIRE_E_BAD_FD_INDEX;
        }
        return 0;
}

/* the elements of an array of fixed-size type @t, @len bytes at @p (aligned) */
static int check_fixed_array(const uint8_t *data, size_t p, size_t len, char t, bool be,
                             uint64_t n_fds)
{
        size_t sz = wire_fixed_size(t);

        if (len % sz != 0)
                return WIRE_E_BAD_ARRAY_LENGTH;
        if (t != 'b' && t != 'h')
                return 0;
        for (size_t i = 0; i < len; i += sz) {
                int r = check_fixed(data, p + i, t, be, n_fds);
                if (r)
                        return r;
        }
        return 0;
}

int wire_values_validate(const uint8_t *data, size_t *pos, size_t end, bool be, const char *sig,
                         size_t sig_len, uint64_t n_fds, unsigned depth, int overrun)
{
        struct frame stack[WIRE_MAX_TOTAL_DEPTH + 1];
        unsigned top = 0;
        size_t p = *pos;
        int r;

        stack[0] = (struct frame){ .sig = sig, .sig_len = sig_len, .kind = 0 };

        for (;;) {
                struct frame *f = &stack[top];
                size_t sz, n, tl;
                char t;

                if (f->sig_pos >= f->sig_len) {
                        if (f->kind == 'a') {
                                if (p < f->end) {
                                        f->sig_pos = 0; /* next element */
                                        continue;
                                }
                                if (p > f->end)
                                        return WIRE_E_BAD_ARRAY_LENGTH;
                        }
                        if (top == 0)
                                break;
                        top--;
                        depth--;
                        continue;
                }

                t = f->sig[f->sig_pos];
                sz = wire_fixed_size(t);
                if (sz > 0) {
                        /* fast path: fixed-size basic types */
                        if ((r = pad(data, &p, end, sz, overrun)))
                                return r;
                        if (sz > end - p)
                                return overrun;
                        if ((r = check_fixed(data, p, t, be, n_fds)))
                                return r;
                        p += sz;
                        f->sig_pos++;
                        continue;
                }

                switch (t) {
                case 's':
                case 'o':
                        if ((r = pad(data, &p, end, 4, overrun)))
                                return r;
                        if (end - p < 4)
                                return overrun;
                        n = wire_get32(data + p, be);
                        p += 4;
                        if ((r = check_string(data, p, n, end, t, overrun)))
                                return r;
                        p += n + 1;
                        f->sig_pos++;
                        break;

                case 'g':
                case 'v':
                        if (p >= end)
                                return overrun;
                        n = data[p++];
                        if ((r = check_string(data, p, n, end, 'g', overrun)))
                                return r;
                        if (t == 'g') {
                                p += n + 1;
                                f->sig_pos++;
                                break;
                        }
                        if (!wire_signature_is_single((const char *)data + p, n))
                                return WIRE_E_BAD_VARIANT;
                        if (++depth > WIRE_MAX_TOTAL_DEPTH)
                                return WIRE_E_NESTING_TOO_DEEP;
                        f->sig_pos++;
                        stack[++top] = (struct frame){
                                .sig = (const char *)data + p, .sig_len = n, .kind = 'v'
                        };
                        p += n + 1;
                        break;

                case 'a': {
                        const char *elem = f->sig + f->sig_pos + 1;
                        size_t len;

                        if (wire_signature_next(elem, f->sig_len - f->sig_pos - 1, &tl))
                                return WIRE_E_BAD_SIGNATURE;
                        if ((r = pad(data, &p, end, 4, overrun)))
                                return r;
                        if (end - p < 4)
                                return overrun;
                        len = wire_get32(data + p, be);
                        p += 4;
                        if (len > WIRE_MAX_ARRAY_SIZE)
                                return WIRE_E_ARRAY_TOO_LONG;
                        /* padding before the first element, even if there is none */
                        if ((r = pad(data, &p, end, wire_type_alignment(elem[0]), overrun)))
                                return r;
                        if (len > end - p)
                                return overrun;
                        if (++depth > WIRE_MAX_TOTAL_DEPTH)
                                return WIRE_E_NESTING_TOO_DEEP;
                        f->sig_pos += 1 + tl;
                        if (tl == 1 && wire_fixed_size(elem[0]) > 0) {
                                if ((r = check_fixed_array(data, p, len, elem[0], be, n_fds)))
                                        return r;
                                p += len;
                                depth--;
                                break;
                        }
                        if (len == 0) {
                                depth--;
                                break;
                        }
                        stack[++top] = (struct frame){
                                .sig = elem, .sig_len = tl, .end = p + len, .kind = 'a'
                        };
                        break;
                }

                case '(':
                case '{':
                        if (wire_signature_next(f->sig + f->sig_pos, f->sig_len - f->sig_pos, &tl))
                                return WIRE_E_BAD_SIGNATURE;
                        if ((r = pad(data, &p, end, 8, overrun)))
                                return r;
                        if (++depth > WIRE_MAX_TOTAL_DEPTH)
                                return WIRE_E_NESTING_TOO_DEEP;
                        stack[++top] = (struct frame){
                                .sig = f->sig + f->sig_pos + 1, .sig_len = tl - 2, .kind = '('
                        };
                        f->sig_pos += tl;
                        break;

                default:
                        return WIRE_E_BAD_SIGNATURE;
                }
        }

        *pos = p;
        return 0;
}
