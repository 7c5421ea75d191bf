/*
 * test-check.h -- CHECK(x) for the unit tests beside the modules: on a false
 * condition print file, line and the expression, and exit 1.
 * Must never: be included by anything but a test-*.c.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#define CHECK(x)                                                                  \
        do {                                                                      \
                if (!(x)) {                                                       \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x); \
                        exit(1);                                                  \
                }                                                                 \
        } while (0)
