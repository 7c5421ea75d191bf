/*
 * test-count.h -- CHECK(cond, fmt, ...) for the unit tests that go on after a
 * failed check (to report every failing case of a table, not the first):
 * print file, line and the message, count it; main ends with
 * `return test_exit();`, which prints the count and gives the exit code.
 * The other form, util/test-check.h, stops at the first failure.
 * Must never: be included by anything but a test-*.c.
 */
#pragma once

#include <stdio.h>

static int test_failures;

#define CHECK(cond, ...)                                                        \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
                        fprintf(stderr, __VA_ARGS__);                           \
                        fprintf(stderr, "\n");                                  \
                        test_failures++;                                        \
                }                                                               \
        } while (0)

/* test_exit() - 1 after a failed CHECK, else 0 (and "ok") */
static inline int test_exit(void)
{
        if (test_failures) {
                fprintf(stderr, "%d failure(s)\n", test_failures);
                return 1;
        }
        printf("ok\n");
        return 0;
}
