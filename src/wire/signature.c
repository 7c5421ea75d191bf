/*
 * signature.c -- D-Bus type signatures: validation (grammar, length, nesting)
 * and walking one complete type at a time.
 *
 * Must never: allocate, do I/O, recurse, or read past @len bytes.
 */
#include "wire/errors.h"
#include "wire/signature.h"

/**
 * wire_type_is_basic() - @type is one of y b n q i u x t d s o g h.
 */
bool wire_type_is_basic(char type)
{
        switch (type) {
        case 'y': case 'b': case 'n': case 'q': case 'i': case 'u':
        case 'x': case 't': case 'd': case 's': case 'o': case 'g': case 'h':
                return true;
        default:
                return false;
        }
}

/**
 * wire_type_alignment() - alignment of values of @type on the wire.
 * Return: 1, 2, 4 or 8; 0 for a code that is not a type.
 */
size_t wire_type_alignment(char type)
{
        switch (type) {
        case 'y': case 'g': case 'v':
                return 1;
        case 'n': case 'q':
                return 2;
        case 'b': case 'i': case 'u': case 'h': case 's': case 'o': case 'a':
                return 4;
        case 'x': case 't': case 'd': case '(': case '{':
                return 8;
        default:
                return 0;
        }
}

/*
 * One open container while validating: 'a' waiting for its element type,
 * '(' or '{' with the number of complete member types so far.
 */
struct open {
        char kind;
        unsigned char n;
};

/**
 * wire_signature_validate() - @sig is zero or more complete types.
 * @sig: the signature bytes (no NUL needed)
 * @len: its length
 *
 * Checks the length (<= 255), the grammar (dict entries only as array
 * elements, with a basic key and exactly one value type; no empty structs)
 * and nesting (<= 32 arrays and <= 32 structs/dict entries nested).
 * Return: 0, WIRE_E_SIGNATURE_TOO_LONG, WIRE_E_BAD_SIGNATURE or
 * WIRE_E_NESTING_TOO_DEEP.
 */
int wire_signature_validate(const char *sig, size_t len)
{
        struct open stack[WIRE_MAX_ARRAY_DEPTH + WIRE_MAX_STRUCT_DEPTH];
        unsigned top = 0, arrays = 0, structs = 0;

        if (len > WIRE_MAX_SIGNATURE_LENGTH)
                return WIRE_E_SIGNATURE_TOO_LONG;

        for (size_t i = 0; i < len; i++) {
                char c = sig[i];
                bool basic;

                switch (c) {
                case 'a':
                        if (++arrays > WIRE_MAX_ARRAY_DEPTH)
                                return WIRE_E_NESTING_TOO_DEEP;
                        stack[top++] = (struct open){ 'a', 0 };
                        continue;
                case '(':
                        if (++structs > WIRE_MAX_STRUCT_DEPTH)
                                return WIRE_E_NESTING_TOO_DEEP;
                        stack[top++] = (struct open){ '(', 0 };
                        continue;
                case '{':
                        /* only directly as an array's element type */
                        if (top == 0 || stack[top - 1].kind != 'a' || sig[i - 1] != 'a')
                                return WIRE_E_BAD_SIGNATURE;
                        if (++structs > WIRE_MAX_STRUCT_DEPTH)
                                return WIRE_E_NESTING_TOO_DEEP;
                        stack[top++] = (struct open){ '{', 0 };
                        continue;
                case ')':
                        if (top == 0 || stack[top - 1].kind != '(' || stack[top - 1].n == 0)
                                return WIRE_E_BAD_SIGNATURE;
                        top--;
                        structs--;
                        basic = false;
                        break;
                case '}':
                        if (top == 0 || stack[top - 1].kind != '{' || stack[top - 1].n != 2)
                                return WIRE_E_BAD_SIGNATURE;
                        top--;
                        structs--;
                        basic = false;
                        break;
                case 'v':
                        basic = false;
                        break;
                default:
                        if (!wire_type_is_basic(c))
                                return WIRE_E_BAD_SIGNATURE;
                        basic = true;
                        break;
                }

                /* a complete type ended at i: it completes the arrays waiting for it */
                while (top > 0 && stack[top - 1].kind == 'a') {
                        top--;
                        arrays--;
                        basic = false;
                }
                if (top > 0) {
                        struct open *o = &stack[top - 1];

                        if (o->kind == '{' && ((o->n == 0 && !basic) || o->n >= 2))
                                return WIRE_E_BAD_SIGNATURE;
                        o->n++;
                }
        }
        return top == 0 ? 0 : WIRE_E_BAD_SIGNATURE;
}

/**
 * wire_signature_next() - length of the single complete type at @sig.
 * Only the bracket structure is checked; use wire_signature_validate() for
 * the full grammar.
 * Return: 0 and *@ret_len, or WIRE_E_BAD_SIGNATURE.
 */
int wire_signature_next(const char *sig, size_t len, size_t *ret_len)
{
        size_t i = 0;
        unsigned depth = 0;

        while (i < len) {
                char c = sig[i++];

                switch (c) {
                case 'a':
                        continue;
                case '(':
                case '{':
                        depth++;
                        continue;
                case ')':
                case '}':
                        if (depth == 0)
                                return WIRE_E_BAD_SIGNATURE;
                        depth--;
                        break;
                default:
                        if (c != 'v' && !wire_type_is_basic(c))
                                return WIRE_E_BAD_SIGNATURE;
                        break;
                }
                if (depth == 0) {
                        *ret_len = i;
                        return 0;
                }
        }
        return WIRE_E_BAD_SIGNATURE;
}

/**
 * wire_signature_is_single() - @sig is a valid signature of exactly one
 * complete type.
 */
bool wire_signature_is_single(const char *sig, size_t len)
{
        size_t n;

        if (len == 0 || wire_signature_validate(sig, len) != 0)
                return false;
        return wire_signature_next(sig, len, &n) == 0 && n == len;
}
