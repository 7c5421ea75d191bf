/*
 * test-helper-env.c -- unit test of env.c: the strict parsers for
 * BULKHEAD_QEMU_UID / BULKHEAD_READY_FD and the VMState Id check.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "helper/helper-private.h"

static void test_uid(void)
{
        uid_t u = 7;

        assert(helper_parse_uid("0", &u) == 0 && u == 0);
        assert(helper_parse_uid("107", &u) == 0 && u == 107);
        assert(helper_parse_uid("4294967294", &u) == 0 && u == 4294967294u);
        u = 7;
        assert(helper_parse_uid("4294967295", &u) == -ERANGE && u == 7);
        assert(helper_parse_uid("", &u) == -EINVAL);
        assert(helper_parse_uid(NULL, &u) == -EINVAL);
        assert(helper_parse_uid("-1", &u) == -EINVAL);
        assert(helper_parse_uid("+1", &u) == -EINVAL);
        assert(helper_parse_uid("12a", &u) == -EINVAL);
        assert(helper_parse_uid(" 12", &u) == -EINVAL);
        assert(helper_parse_uid("99999999999999999999999", &u) == -EINVAL);
        assert(u == 7);
}

static void test_fd(void)
{
        int fd = -1;

        assert(helper_parse_fd("3", &fd) == 0 && fd == 3);
        assert(helper_parse_fd("2147483647", &fd) == 0 && fd == 2147483647);
        assert(helper_parse_fd("2147483648", &fd) == -ERANGE);
        assert(helper_parse_fd("3x", &fd) == -EINVAL);
}

static void test_id(void)
{
        char id[300];

        assert(helper_check_id("a") == 0);
        assert(helper_check_id("tpm-0") == 0);
        assert(helper_check_id("\xc3\xa9t\xc3\xa9") == 0);
        assert(helper_check_id("") == -EINVAL);
        assert(helper_check_id(NULL) == -EINVAL);
        assert(helper_check_id("\xc3") == -EINVAL);         /* truncated */
        assert(helper_check_id("\xc0\x80") == -EINVAL);     /* overlong NUL */
        assert(helper_check_id("\xed\xa0\x80") == -EINVAL); /* surrogate */
        assert(helper_check_id("\xff") == -EINVAL);
        assert(helper_check_id("a,b") == -EINVAL);
        assert(helper_check_id("\xef\xbf\xbe") == -EINVAL);  /* U+FFFE: sd-bus refuses it */
        assert(helper_check_id("\xef\xb7\x90") == -EINVAL);  /* U+FDD0 */
        assert(helper_check_id("\xef\xbf\xbd") == 0);        /* U+FFFD is fine */          /* id-list is comma-separated */
        memset(id, 'x', sizeof(id));
        id[255] = 0;
        assert(helper_check_id(id) == 0);
        id[255] = 'x';
        id[256] = 0;
        assert(helper_check_id(id) == -EINVAL);
}

int main(void)
{
        test_uid();
        test_fd();
        test_id();
        printf("ok\n");
        return 0;
}
