/*
 * marshal.h -- internal helpers shared by the wire layer's files: reading and
 * writing integers in either byte order, and the one-pass value validator
 * used for header fields and bodies. Not part of the public API.
 *
 * Must never: allocate, do I/O, or read outside [data, data + end).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t wire_get16(const uint8_t *p, bool be)
{
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        if (be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
                v = __builtin_bswap16(v);
        return v;
}

static inline uint32_t wire_get32(const uint8_t *p, bool be)
{
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        if (be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
                v = __builtin_bswap32(v);
        return v;
}

static inline uint64_t wire_get64(const uint8_t *p, bool be)
{
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        if (be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
                v = __builtin_bswap64(v);
        return v;
}

/*
 * wire_zero_pad() - bytes [@p, @q) of @data are all zero, where @q - @p < 8
 * and @q >= 8: one load of the 8 bytes that end at @q (inside the buffer, as
 * @q is), shifted so that only [@p, @q) is left.
 */
static inline bool wire_zero_pad(const uint8_t *data, size_t p, size_t q)
{
        if (p == q)
                return true;
        /* read as little-endian: byte i of the word at bits 8i */
        return (wire_get64(data + q - 8, false) >> (8 * (8 - (q - p)))) == 0;
}

static inline void wire_put16(uint8_t *p, uint16_t v, bool be)
{
        if (be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
                v = __builtin_bswap16(v);
        memcpy(p, &v, sizeof(v));
}

static inline void wire_put32(uint8_t *p, uint32_t v, bool be)
{
        if (be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
                v = __builtin_bswap32(v);
        memcpy(p, &v, sizeof(v));
}

static inline void wire_put64(uint8_t *p, uint64_t v, bool be)
{
        if (be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
                v = __builtin_bswap64(v);
        memcpy(p, &v, sizeof(v));
}

/* size of a fixed-size basic type, 0 for strings, containers and unknown codes */
static inline size_t wire_fixed_size(char t)
{
        switch (t) {
        case 'y':
                return 1;
        case 'n':
        case 'q':
                return 2;
        case 'b':
        case 'i':
        case 'u':
        case 'h':
                return 4;
        case 'x':
        case 't':
        case 'd':
                return 8;
        default:
                return 0;
        }
}

/*
 * The value validator (values.c). Validates the values of @sig (already a
 * valid signature) in @data starting at absolute offset *@pos, never reading
 * at or beyond @end; alignment is relative to @data. @depth is the number of
 * containers already around these values (for the total limit of 64).
 * @overrun is the code returned when a value runs past @end. 'h' values must
 * be < @n_fds (UINT64_MAX: not checked, as in header fields, which are parsed
 * before UNIX_FDS may be known and are dropped by the rewrite anyway).
 * On success *@pos is the offset after the last value.
 */
int wire_values_validate(const uint8_t *data, size_t *pos, size_t end, bool be, const char *sig,
                         size_t sig_len, uint64_t n_fds, unsigned depth, int overrun);
