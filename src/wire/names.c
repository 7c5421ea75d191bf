/*
 * names.c -- the grammar of object paths, interface, member, error and bus
 * names (D-Bus specification, "Valid Names"), and the UTF-8 rule for string
 * values. Pure functions over bytes.
 *
 * Must never: allocate, do I/O, or read past @n bytes.
 */
#include <stdint.h>
#include <string.h>
#include "wire/errors.h"
#include "wire/names.h"

/* character classes of the name grammars, one table lookup per byte */
enum {
        C_ALPHA = 1,    /* [A-Za-z_] */
        C_DIGIT = 2,    /* [0-9] */
        C_HYPHEN = 4,   /* '-' */
};

#define RANGE(a, b, v) [a ... b] = (v)
static const uint8_t char_class[256] = {
        RANGE('A', 'Z', C_ALPHA), RANGE('a', 'z', C_ALPHA), ['_'] = C_ALPHA,
        RANGE('0', '9', C_DIGIT), ['-'] = C_HYPHEN,
};
#undef RANGE

static inline unsigned cls(char c)
{
        return char_class[(unsigned char)c];
}

static inline bool is_alpha_(char c)
{
        return cls(c) & C_ALPHA;
}

/**
 * wire_path_is_valid() - @s is an object path: "/" or "/"-separated non-empty
 * elements of [A-Za-z0-9_], no trailing "/". No length limit.
 */
bool wire_path_is_valid(const char *s, size_t n)
{
        size_t elem = 0;

        if (n == 0 || s[0] != '/')
                return false;
        if (n == 1)
                return true;
        for (size_t i = 1; i < n; i++) {
                char c = s[i];

                if (cls(c) & (C_ALPHA | C_DIGIT)) {
                        elem++;
                } else if (c == '/' && elem > 0) {
                        elem = 0;
                } else {
                        return false;
                }
        }
        return elem > 0;
}

/*
 * Dot-separated names: at least two elements, none empty, <= 255 bytes.
 * Elements may start with a digit only if @digit_first; '-' is allowed only
 * if @hyphen.
 */
static bool dotted_is_valid(const char *s, size_t n, bool digit_first, bool hyphen)
{
        /* what may start an element, and what may follow its first byte */
        unsigned first = C_ALPHA | (digit_first ? C_DIGIT : 0) | (hyphen ? C_HYPHEN : 0);
        unsigned rest = C_ALPHA | C_DIGIT | (hyphen ? C_HYPHEN : 0);
        size_t elems = 0, i = 0;

        if (n == 0 || n > WIRE_MAX_NAME_LENGTH)
                return false;
        for (;;) {
                /* one element: a first byte, then the rest up to a '.' or the end */
                if (!(cls(s[i]) & first))
                        return false;
                for (i++; i < n && (cls(s[i]) & rest); i++)
                        ;
                elems++;
                if (i == n)
                        return elems >= 2;
                if (s[i] != '.' || ++i == n)
                        return false;
        }
}

/** wire_interface_is_valid() - two or more dot-separated [A-Za-z_][A-Za-z0-9_]* elements, <= 255. */
bool wire_interface_is_valid(const char *s, size_t n)
{
        return dotted_is_valid(s, n, false, false);
}

/** wire_error_name_is_valid() - same grammar as interface names. */
bool wire_error_name_is_valid(const char *s, size_t n)
{
        return dotted_is_valid(s, n, false, false);
}

/** wire_member_is_valid() - one [A-Za-z_][A-Za-z0-9_]* element, 1..255 bytes. */
bool wire_member_is_valid(const char *s, size_t n)
{
        if (n == 0 || n > WIRE_MAX_NAME_LENGTH || !is_alpha_(s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(cls(s[i]) & (C_ALPHA | C_DIGIT)))
                        return false;
        return true;
}

/**
 * wire_unique_name_is_valid() - ":" then [A-Za-z0-9_-] characters and dots,
 * each dot followed by one of those characters, <= 255 bytes. The
 * specification asks for two or more non-empty elements; libdbus, and so
 * dbus-daemon, routes anything of this wider form (":177", ":.5"). As a
 * drop-in we accept what it accepts, except a bare ":".
 */
bool wire_unique_name_is_valid(const char *s, size_t n)
{
        if (n < 2 || n > WIRE_MAX_NAME_LENGTH || s[0] != ':')
                return false;
        for (size_t i = 1; i < n; i++) {
                char c = s[i];

                if (c == '.') {
                        if (i + 1 == n || s[i + 1] == '.')
                                return false;
                } else if (!cls(c)) {
                        return false;
                }
        }
        return true;
}

/** wire_well_known_name_is_valid() - two or more elements [A-Za-z_-][A-Za-z0-9_-]*, <= 255. */
bool wire_well_known_name_is_valid(const char *s, size_t n)
{
        return dotted_is_valid(s, n, false, true);
}

/** wire_bus_name_is_valid() - a unique or a well-known bus name. */
bool wire_bus_name_is_valid(const char *s, size_t n)
{
        if (n > 0 && s[0] == ':')
                return wire_unique_name_is_valid(s, n);
        return wire_well_known_name_is_valid(s, n);
}

/**
 * wire_string_check() - the rule for D-Bus string values: valid UTF-8 (no
 * overlong forms, no surrogates, nothing above U+10FFFF) and no NUL byte.
 * Return: 0, WIRE_E_EMBEDDED_NUL or WIRE_E_BAD_UTF8.
 */
int wire_string_check(const char *str, size_t n)
{
        const unsigned char *s = (const unsigned char *)str;
        size_t i = 0;

        while (i < n) {
                unsigned char c = s[i];

                /* fast path: eight ASCII bytes, none of them NUL */
                if (n - i >= 8) {
                        uint64_t v;

                        memcpy(&v, s + i, sizeof(v));
                        if ((v & 0x8080808080808080ull) == 0 &&
                            ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) == 0) {
                                i += 8;
                                continue;
                        }
                }
                if (c < 0x80) {
                        if (c == 0)
                                return WIRE_E_EMBEDDED_NUL;
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        if (n - i < 2 || (s[i + 1] & 0xc0) != 0x80)
                                return WIRE_E_BAD_UTF8;
                        i += 2;
                } else if (c >= 0xe0 && c <= 0xef) {
                        unsigned char c1;

                        if (n - i < 3 || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80)
                                return WIRE_E_BAD_UTF8;
                        c1 = s[i + 1];
                        if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0))
                                return WIRE_E_BAD_UTF8; /* overlong, surrogate */
                        i += 3;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        unsigned char c1;

                        if (n - i < 4 || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80 ||
                            (s[i + 3] & 0xc0) != 0x80)
                                return WIRE_E_BAD_UTF8;
                        c1 = s[i + 1];
                        if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90))
                                return WIRE_E_BAD_UTF8; /* overlong, > U+10FFFF */
                        i += 4;
                } else {
                        return WIRE_E_BAD_UTF8;
                }
        }
        return 0;
}
