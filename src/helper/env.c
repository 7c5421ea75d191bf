/*
 * env.c -- strict parsing of what the launcher hands a helper in its
 * environment (uids, fd numbers) and of the VMState Id.
 *
 * Must never: accept a partial number, a sign, or a value out of range; touch
 * the environment itself (the callers pass the strings).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "helper/helper-private.h"

static int parse_decimal(const char *s, unsigned long long max, unsigned long long *ret)
{
        unsigned long long v = 0;

        if (!s || !*s || strlen(s) > 20)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                if (v > (max - (unsigned long long)(*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (unsigned long long)(*p - '0');
        }
        *ret = v;
        return 0;
}

/**
 * helper_parse_uid() - parse a decimal uid; (uid_t)-1 is refused.
 * @s: the text.
 * @ret_uid: the uid.
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int helper_parse_uid(const char *s, uid_t *ret_uid)
{
        unsigned long long v;
        int r;

        r = parse_decimal(s, (uid_t)-1 - 1, &v);
        if (r < 0)
                return r;
        *ret_uid = (uid_t)v;
        return 0;
}

/**
 * helper_parse_fd() - parse a decimal fd number (>= 0, <= INT_MAX).
 * @s: the text.
 * @ret_fd: the fd number.
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int helper_parse_fd(const char *s, int *ret_fd)
{
        unsigned long long v;
        int r;

        r = parse_decimal(s, INT_MAX, &v);
        if (r < 0)
                return r;
        *ret_fd = (int)v;
        return 0;
}

/* One UTF-8 sequence at @p (at most @n bytes): its length, or 0 if invalid. */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
        size_t len;
        uint32_t c;

        if (p[0] < 0x80)
                return p[0] ? 1 : 0;
        if ((p[0] & 0xe0) == 0xc0)
                len = 2, c = p[0] & 0x1f;
        else if ((p[0] & 0xf0) == 0xe0)
                len = 3, c = p[0] & 0x0f;
        else if ((p[0] & 0xf8) == 0xf0)
                len = 4, c = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond Unicode, and the noncharacters
         * sd-bus refuses to put in a string (U+FDD0..U+FDEF, U+xxFFFE/F) */
        if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
            (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff || (c >= 0xfdd0 && c <= 0xfdef) ||
            (c & 0xfffe) == 0xfffe)
                return 0;
        return len;
}

/**
 * helper_check_id() - is @id a usable VMState Id?
 * @id: candidate.
 *
 * QEMU takes the Id from a D-Bus string (valid UTF-8, no NUL) and refuses an
 * empty one or one of 256 bytes or more. A ',' is refused too: QEMU's
 * id-list is split at commas, so such an Id could never be listed.
 *
 * Return: 0 or -EINVAL.
 */
int helper_check_id(const char *id)
{
        size_t n;

        if (!id)
                return -EINVAL;
        n = strlen(id);
        if (n == 0 || n > BH_VMSTATE_ID_MAX || strchr(id, ','))
                return -EINVAL;
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence((const unsigned char *)id + i, n - i);

                if (len == 0)
                        return -EINVAL;
                i += len;
        }
        return 0;
}
