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
        /* q >= 8: values start at the body (>= 16) or in a header field (>= 16) */
        if (!wire_zero_pad(data, p, q))
                return WIRE_E_BAD_PADDING;
        *pos = q;
        return 0;
}

/* a string-like value of @n bytes at @p, NUL after it, then the type's own grammar */
static int check_string(const uint8_t *data, size_t p, size_t n, size_t end, char type, int overrun)
{
        const char *s = (const char *)data + p;

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
                return wire_signature_validate(s, n);
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

/* the state of one walk */
struct walk {
        const uint8_t *data;
        size_t end;
        size_t p;               /* absolute offset of the next byte */
        bool be;
        uint64_t n_fds;
        int overrun;
        unsigned depth;         /* containers around the current value, in total */
        unsigned top;           /* stack[top] is the current level */
        struct frame stack[WIRE_MAX_TOTAL_DEPTH + 1];
};

static int push(struct walk *w, struct frame f)
{
        if (++w->depth > WIRE_MAX_TOTAL_DEPTH)
                return WIRE_E_NESTING_TOO_DEEP;
        w->stack[++w->top] = f;
        return 0;
}

/* 's' and 'o': u32 length, bytes, NUL */
static int value_string(struct walk *w, char t)
{
        size_t n;
        int r;

        if ((r = pad(w->data, &w->p, w->end, 4, w->overrun)))
                return r;
        if (w->end - w->p < 4)
                return w->overrun;
        n = wire_get32(w->data + w->p, w->be);
        w->p += 4;
        if ((r = check_string(w->data, w->p, n, w->end, t, w->overrun)))
                return r;
        w->p += n + 1;
        return 0;
}

/* 'g' and 'v': a signature (u8 length, bytes, NUL); a variant then holds one value of it */
static int value_signature(struct walk *w, char t)
{
        const uint8_t *d = w->data;
        size_t n, p = w->p;
        int r;

        if (p >= w->end)
                return w->overrun;
        n = d[p++];
        if (t == 'v' && n == 1 && w->end - p >= 2 && d[p + 1] == 0 &&
            (d[p] == 'v' || wire_type_is_basic((char)d[p]))) {
                /* fast path: a variant of one basic type */
        } else {
                if ((r = check_string(d, p, n, w->end, 'g', w->overrun)))
                        return r;
                if (t == 'v' && !wire_signature_is_single((const char *)d + p, n))
                        return WIRE_E_BAD_VARIANT;
        }
        w->p = p + n + 1;
        if (t == 'g')
                return 0;
        return push(w, (struct frame){ .sig = (const char *)d + p, .sig_len = n, .kind = 'v' });
}

/* 'a' at @f's position: length, padding, then the elements (checked at once if fixed-size) */
static int value_array(struct walk *w, struct frame *f)
{
        const char *elem = f->sig + f->sig_pos + 1;
        size_t len, tl;
        int r;

        if (wire_signature_next(elem, f->sig_len - f->sig_pos - 1, &tl))
                return WIRE_E_BAD_SIGNATURE;
        f->sig_pos += 1 + tl;
        if ((r = pad(w->data, &w->p, w->end, 4, w->overrun)))
                return r;
        if (w->end - w->p < 4)
                return w->overrun;
        len = wire_get32(w->data + w->p, w->be);
        w->p += 4;
        if (len > WIRE_MAX_ARRAY_SIZE)
                return WIRE_E_ARRAY_TOO_LONG;
        /* padding before the first element, even if there is none */
        if ((r = pad(w->data, &w->p, w->end, wire_type_alignment(elem[0]), w->overrun)))
                return r;
        if (len > w->end - w->p)
                return w->overrun;
        if ((tl == 1 && wire_fixed_size(elem[0]) > 0) || len == 0) {
                /* the array counts for the depth even when nothing is inside it */
                if (w->depth + 1 > WIRE_MAX_TOTAL_DEPTH)
                        return WIRE_E_NESTING_TOO_DEEP;
                if (len > 0 && (r = check_fixed_array(w->data, w->p, len, elem[0], w->be, w->n_fds)))
                        return r;
                w->p += len;
                return 0;
        }
        return push(w, (struct frame){ .sig = elem, .sig_len = tl, .end = w->p + len, .kind = 'a' });
}

/* '(' or '{' at @f's position: 8-aligned, then the members */
static int value_struct(struct walk *w, struct frame *f)
{
        const char *sig = f->sig + f->sig_pos;
        size_t tl;
        int r;

        if (wire_signature_next(sig, f->sig_len - f->sig_pos, &tl) || tl < 3)
                return WIRE_E_BAD_SIGNATURE;
        f->sig_pos += tl;
        if ((r = pad(w->data, &w->p, w->end, 8, w->overrun)))
                return r;
        return push(w, (struct frame){ .sig = sig + 1, .sig_len = tl - 2, .kind = '(' });
}

/*
 * The end of the current level's types: an array starts its next element or
 * must end exactly at its length; other levels are left.
 * Return: 0 to go on, 1 when the walk is complete, or a code.
 */
static int level_end(struct walk *w)
{
        struct frame *f = &w->stack[w->top];

        if (f->kind == 'a') {
                if (w->p < f->end) {
                        f->sig_pos = 0;
                        return 0;
                }
                if (w->p > f->end)
                        return WIRE_E_BAD_ARRAY_LENGTH;
        }
        if (w->top == 0)
                return 1;
        w->top--;
        w->depth--;
        return 0;
}

int wire_values_validate(const uint8_t *data, size_t *pos, size_t end, bool be, const char *sig,
                         size_t sig_len, uint64_t n_fds, unsigned depth, int overrun)
{
        struct walk w;
        int r;

        /* field by field: an initializer would zero all 65 frames (2.6 kB) on
         * every call, and push() writes a frame before anything reads it */
        w.data = data;
        w.end = end;
        w.p = *pos;
        w.be = be;
        w.n_fds = n_fds;
        w.overrun = overrun;
        w.depth = depth;
        w.top = 0;
        w.stack[0] = (struct frame){ .sig = sig, .sig_len = sig_len, .kind = 0 };
        for (;;) {
                struct frame *f = &w.stack[w.top];
                size_t sz;
                char t;

                if (f->sig_pos >= f->sig_len) {
                        if ((r = level_end(&w)) < 0 || r > 1)
                                return r;
                        if (r == 1)
                                break;
                        continue;
                }
                t = f->sig[f->sig_pos];
                sz = wire_fixed_size(t);
                if (sz > 0) {
                        /* fast path: fixed-size basic types */
                        if ((r = pad(data, &w.p, end, sz, overrun)))
                                return r;
                        if (sz > end - w.p)
                                return overrun;
                        if ((r = check_fixed(data, w.p, t, be, n_fds)))
                                return r;
                        w.p += sz;
                        f->sig_pos++;
                        continue;
                }
                switch (t) {
                case 's':
                case 'o':
                        f->sig_pos++;
                        r = value_string(&w, t);
                        break;
                case 'g':
                case 'v':
                        f->sig_pos++;
                        r = value_signature(&w, t);
                        break;
                case 'a':
                        r = value_array(&w, f);
                        break;
                case '(':
                case '{':
                        r = value_struct(&w, f);
                        break;
                default:
                        r = WIRE_E_BAD_SIGNATURE;
                        break;
                }
                if (r)
                        return r;
        }
        *pos = w.p;
        return 0;
}
