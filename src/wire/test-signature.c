/*
 * test-signature.c -- signature validation (grammar, 255-byte limit, 32
 * arrays / 32 structs nesting), splitting into complete types, alignment.
 */
#include <stdio.h>
#include <string.h>
#include "util/macro.h"
#include "wire/errors.h"
#include "wire/signature.h"

static int failures;

static const struct {
        const char *sig;
        int want;
        bool single;
} rows[] = {
        { "", 0, false },
        { "y", 0, true },
        { "ybnqiuxtdsogh", 0, false },
        { "v", 0, true },
        { "as", 0, true },
        { "aas", 0, true },
        { "a{sv}", 0, true },
        { "a{oa{sa{sv}}}", 0, true },
        { "a{ya(ii)}", 0, true },
        { "(i)", 0, true },
        { "(ia{sv}v)", 0, true },
        { "sa{sv}as", 0, false },
        { "a(yv)", 0, true },
        { "a{hv}", 0, true },
        { "z", WIRE_E_BAD_SIGNATURE, false },
        { "a", WIRE_E_BAD_SIGNATURE, false },
        { "aa", WIRE_E_BAD_SIGNATURE, false },
        { "()", WIRE_E_BAD_SIGNATURE, false },
        { "(", WIRE_E_BAD_SIGNATURE, false },
        { ")", WIRE_E_BAD_SIGNATURE, false },
        { "(i", WIRE_E_BAD_SIGNATURE, false },
        { "i)", WIRE_E_BAD_SIGNATURE, false },
        { "(a)", WIRE_E_BAD_SIGNATURE, false },
        { "{sv}", WIRE_E_BAD_SIGNATURE, false },
        { "a{}", WIRE_E_BAD_SIGNATURE, false },
        { "a{s}", WIRE_E_BAD_SIGNATURE, false },
        { "a{sss}", WIRE_E_BAD_SIGNATURE, false },
        { "a{vs}", WIRE_E_BAD_SIGNATURE, false },
        { "a{(i)s}", WIRE_E_BAD_SIGNATURE, false },
        { "a{asi}", WIRE_E_BAD_SIGNATURE, false },
        { "a({sv})", WIRE_E_BAD_SIGNATURE, false },
        { "(a{sv)}", WIRE_E_BAD_SIGNATURE, false },
        { "a{sv", WIRE_E_BAD_SIGNATURE, false },
        { "a}", WIRE_E_BAD_SIGNATURE, false },
        { "(ta{ya{da{ya{yaq}}})}", WIRE_E_BAD_SIGNATURE, false }, /* dbus issue 418 */
        { "s\0", WIRE_E_BAD_SIGNATURE, false },
        { "m", WIRE_E_BAD_SIGNATURE, false },
        { "r", WIRE_E_BAD_SIGNATURE, false },
        { "e", WIRE_E_BAD_SIGNATURE, false },
};

static void test_table(void)
{
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                size_t len = strlen(rows[i].sig) + (rows[i].sig[0] == 's' && rows[i].sig[1] == 0 &&
                                                    rows[i].want != 0);
                int r = wire_signature_validate(rows[i].sig, len);

                if (r != rows[i].want || wire_signature_is_single(rows[i].sig, len) != rows[i].single) {
                        fprintf(stderr, "\"%s\": got %s single %d, want %s single %d\n",
                                rows[i].sig, wire_strerror(r),
                                wire_signature_is_single(rows[i].sig, len),
                                wire_strerror(rows[i].want), rows[i].single);
                        failures++;
                }
        }
}

static void test_limits(void)
{
        char s[300];
        size_t n;

        /* 32 nested arrays fine, 33 too deep */
        memset(s, 'a', 33);
        s[32] = 'y';
        if (wire_signature_validate(s, 33) != 0)
                failures++, fprintf(stderr, "32 arrays refused\n");
        s[32] = 'a';
        s[33] = 'y';
        if (wire_signature_validate(s, 34) != WIRE_E_NESTING_TOO_DEEP)
                failures++, fprintf(stderr, "33 arrays accepted\n");

        /* 32 nested structs fine, 33 too deep */
        for (n = 0; n < 32; n++)
                s[n] = '(';
        s[n++] = 'y';
        for (size_t k = 0; k < 32; k++)
                s[n++] = ')';
        if (wire_signature_validate(s, n) != 0)
                failures++, fprintf(stderr, "32 structs refused\n");
        memmove(s + 1, s, n);
        s[0] = '(';
        s[n + 1] = ')';
        if (wire_signature_validate(s, n + 2) != WIRE_E_NESTING_TOO_DEEP)
                failures++, fprintf(stderr, "33 structs accepted\n");

        /* dict entries count as structs: 31 structs + 1 dict entry fine, + 1 more not */
        n = 0;
        for (size_t k = 0; k < 31; k++)
                s[n++] = '(';
        memcpy(s + n, "a{sy}", 5);
        n += 5;
        for (size_t k = 0; k < 31; k++)
                s[n++] = ')';
        if (wire_signature_validate(s, n) != 0)
                failures++, fprintf(stderr, "31 structs + dict refused\n");
        memmove(s + 1, s, n);
        s[0] = '(';
        s[n + 1] = ')';
        if (wire_signature_validate(s, n + 2) != WIRE_E_NESTING_TOO_DEEP)
                failures++, fprintf(stderr, "32 structs + dict accepted\n");

        /* 32 arrays + 32 structs = 64 in one signature */
        n = 0;
        for (size_t k = 0; k < 32; k++)
                s[n++] = 'a';
        for (size_t k = 0; k < 32; k++)
                s[n++] = '(';
        s[n++] = 'y';
        for (size_t k = 0; k < 32; k++)
                s[n++] = ')';
        if (wire_signature_validate(s, n) != 0)
                failures++, fprintf(stderr, "32 + 32 refused\n");

        /* 255 bytes fine, 256 too long */
        memset(s, 'y', sizeof(s));
        if (wire_signature_validate(s, 255) != 0 ||
            wire_signature_validate(s, 256) != WIRE_E_SIGNATURE_TOO_LONG)
                failures++, fprintf(stderr, "length limit wrong\n");
}

static void test_next(void)
{
        static const struct {
                const char *sig;
                size_t len;
        } rows2[] = {
                { "yu", 1 }, { "a{sv}u", 5 }, { "(i(s))y", 6 }, { "aai", 3 }, { "vv", 1 },
        };
        size_t n;

        for (size_t i = 0; i < ELEMENTSOF(rows2); i++)
                if (wire_signature_next(rows2[i].sig, strlen(rows2[i].sig), &n) != 0 ||
                    n != rows2[i].len)
                        failures++, fprintf(stderr, "next(\"%s\") wrong\n", rows2[i].sig);
        if (wire_signature_next("a", 1, &n) == 0 || wire_signature_next("(ii", 3, &n) == 0 ||
            wire_signature_next(")", 1, &n) == 0 || wire_signature_next("", 0, &n) == 0)
                failures++, fprintf(stderr, "next() accepted an incomplete type\n");
}

static void test_alignment(void)
{
        static const char types[] = "ybnqiuxtdsoghva({";
        static const size_t align[] = { 1, 4, 2, 2, 4, 4, 8, 8, 8, 4, 4, 1, 4, 1, 4, 8, 8 };

        for (size_t i = 0; i < ELEMENTSOF(align); i++)
                if (wire_type_alignment(types[i]) != align[i])
                        failures++, fprintf(stderr, "alignment of %c wrong\n", types[i]);
        if (wire_type_alignment('z') != 0 || wire_type_is_basic('v') || wire_type_is_basic('a') ||
            !wire_type_is_basic('h') || !wire_type_is_basic('g'))
                failures++, fprintf(stderr, "type classes wrong\n");
}

int main(void)
{
        test_table();
        test_limits();
        test_next();
        test_alignment();
        if (failures) {
                fprintf(stderr, "%d failures\n", failures);
                return 1;
        }
        return 0;
}
