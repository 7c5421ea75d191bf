/*
 * test-names.c -- the names grammar (object paths, interface, member, error,
 * unique and well-known bus names) and the UTF-8 rule for strings: tables of
 * valid and invalid inputs, including the 255-byte limits.
 */
#include <stdio.h>
#include <string.h>
#include "util/macro.h"
#include "wire/errors.h"
#include "wire/names.h"

static int failures;

struct row {
        const char *s;
        bool valid;
};

static void check(const char *what, bool (*fn)(const char *, size_t), const struct row *rows,
                  size_t n)
{
        for (size_t i = 0; i < n; i++) {
                bool got = fn(rows[i].s, strlen(rows[i].s));

                if (got != rows[i].valid) {
                        fprintf(stderr, "%s(\"%s\"): got %d, want %d\n", what, rows[i].s, got,
                                rows[i].valid);
                        failures++;
                }
        }
}

static const struct row paths[] = {
        { "/", true },         { "/a", true },       { "/a/b_c/D9", true }, { "/0", true },
        { "", false },         { "a", false },       { "/a/", false },      { "//", false },
        { "/a//b", false },    { "/a-b", false },    { "/a.b", false },     { "/ä", false },
};

static const struct row interfaces[] = {
        { "a.b", true },          { "org.freedesktop.DBus", true }, { "_a._b", true },
        { "a.b9", true },         { "a", false },                   { "a.", false },
        { ".a.b", false },        { "a..b", false },                { "a.9b", false },
        { "a-b.c", false },       { "", false },                    { "a.b ", false },
};

static const struct row members[] = {
        { "M", true },  { "_m9", true }, { "Hello", true }, { "", false },
        { "9a", false }, { "a.b", false }, { "a-b", false },
};

static const struct row bus_names[] = {
        { ":1.42", true },     { ":a.b", true },      { ":1.2.3", true },  { ":9-_.0", true },
        { "org.qemu.Helper1", true }, { "a-b.c_d", true }, { "a.b", true },
        { ":", false },        { ":1", true },        { ":1.", false },    { ":.1", true },
        { ":1..2", false },    { ":1/2", false },
        { "a", false },        { "1a.b", false },     { "a.1b", false },   { "a..b", false },
        { "", false },         { "a.b/", false },
};

static const struct row unique[] = {
        { ":1.42", true }, { "a.b", false }, { ":", false },
};

static const struct row well_known[] = {
        { "a.b", true }, { ":1.42", false }, { "-.-", true }, { "a.b.", false },
};

static void test_limits(void)
{
        char s[300];

        /* 255 bytes: "a." + 253 x 'b' */
        memset(s, 'b', sizeof(s));
        s[0] = 'a';
        s[1] = '.';
        s[255] = 0;
        if (!wire_interface_is_valid(s, 255) || !wire_well_known_name_is_valid(s, 255) ||
            !wire_error_name_is_valid(s, 255)) {
                fprintf(stderr, "255-byte names refused\n");
                failures++;
        }
        if (wire_interface_is_valid(s, 256) || wire_well_known_name_is_valid(s, 256) ||
            wire_error_name_is_valid(s, 256) || wire_member_is_valid(s + 2, 254)) {
                fprintf(stderr, "256-byte names accepted\n");
                failures++;
        }
        if (!wire_member_is_valid(s + 2, 253) || wire_member_is_valid(s + 1, 256)) {
                fprintf(stderr, "member length limit wrong\n");
                failures++;
        }
        /* paths have no length limit */
        s[0] = '/';
        for (size_t i = 1; i < sizeof(s); i++)
                s[i] = (i % 2) ? 'p' : '/';
        if (!wire_path_is_valid(s, 298)) {
                fprintf(stderr, "long path refused\n");
                failures++;
        }
        /* @n bounds the input: no NUL needed, bytes beyond n ignored */
        if (!wire_member_is_valid("Ab-", 2) || !wire_path_is_valid("/a/", 2)) {
                fprintf(stderr, "length not honoured\n");
                failures++;
        }
}

static void test_utf8(void)
{
        static const struct {
                const char *s;
                size_t n;
                int want;
        } rows[] = {
                { "plain", 5, 0 },
                { "z\xc3\xbcrich", 7, 0 },
                { "\xe2\x9c\x93", 3, 0 },
                { "\xf0\x9d\x84\x9e", 4, 0 },               /* U+1D11E */
                { "\xf4\x8f\xbf\xbf", 4, 0 },               /* U+10FFFF */
                { "\xef\xbf\xbf", 3, 0 },                   /* U+FFFF is a valid scalar */
                { "a\0b", 3, WIRE_E_EMBEDDED_NUL },
                { "\xc0\x80", 2, WIRE_E_BAD_UTF8 },         /* overlong NUL */
                { "\xc1\xbf", 2, WIRE_E_BAD_UTF8 },
                { "\xe0\x80\x80", 3, WIRE_E_BAD_UTF8 },     /* overlong */
                { "\xed\xa0\x80", 3, WIRE_E_BAD_UTF8 },     /* surrogate */
                { "\xf0\x80\x80\x80", 4, WIRE_E_BAD_UTF8 }, /* overlong */
                { "\xf4\x90\x80\x80", 4, WIRE_E_BAD_UTF8 }, /* > U+10FFFF */
                { "\xf5\x80\x80\x80", 4, WIRE_E_BAD_UTF8 },
                { "\xff", 1, WIRE_E_BAD_UTF8 },
                { "\x80", 1, WIRE_E_BAD_UTF8 },             /* lone continuation */
                { "\xc3", 1, WIRE_E_BAD_UTF8 },             /* truncated */
                { "\xe2\x9c", 2, WIRE_E_BAD_UTF8 },
                { "\xc3\x28", 2, WIRE_E_BAD_UTF8 },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                int r = wire_string_check(rows[i].s, rows[i].n);

                if (r != rows[i].want) {
                        fprintf(stderr, "utf8 row %zu: got %s, want %s\n", i, wire_strerror(r),
                                wire_strerror(rows[i].want));
                        failures++;
                }
        }
}

static void test_strerror(void)
{
        for (int c = 1000; c < _WIRE_E_END; c++)
                if (strcmp(wire_strerror(c), "WIRE_E_UNKNOWN") == 0) {
                        fprintf(stderr, "code %d has no name\n", c);
                        failures++;
                }
        if (strcmp(wire_strerror(WIRE_E_BAD_UTF8), "WIRE_E_BAD_UTF8") != 0 ||
            strcmp(wire_strerror(0), "WIRE_E_UNKNOWN") != 0 ||
            strcmp(wire_strerror(_WIRE_E_END), "WIRE_E_UNKNOWN") != 0) {
                fprintf(stderr, "wire_strerror() wrong\n");
                failures++;
        }
}

int main(void)
{
        check("path", wire_path_is_valid, paths, ELEMENTSOF(paths));
        check("interface", wire_interface_is_valid, interfaces, ELEMENTSOF(interfaces));
        check("error", wire_error_name_is_valid, interfaces, ELEMENTSOF(interfaces));
        check("member", wire_member_is_valid, members, ELEMENTSOF(members));
        check("bus", wire_bus_name_is_valid, bus_names, ELEMENTSOF(bus_names));
        check("unique", wire_unique_name_is_valid, unique, ELEMENTSOF(unique));
        check("well-known", wire_well_known_name_is_valid, well_known, ELEMENTSOF(well_known));
        test_limits();
        test_utf8();
        test_strerror();
        if (failures) {
                fprintf(stderr, "%d failures\n", failures);
                return 1;
        }
        return 0;
}
