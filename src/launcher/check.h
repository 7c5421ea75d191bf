/*
 * check.h -- audit a VM spec against QEMU's security guide and the D-Bus
 * guide (the rules are listed in docs/launcher.md and bulkhead(1)).
 *
 * Must never: change anything; it reads the spec and, for the runtime
 * directory rule, stat()s paths.
 */
#pragma once

#include <stdbool.h>

#include "launcher/policygen.h"
#include "launcher/vmspec.h"

typedef enum {
        CHECK_WARNING,
        CHECK_ERROR,
} CheckSeverity;

typedef struct CheckContext {
        bool privileged;          /* bulkhead runs as root */
        const char *runtime_base; /* where VM runtime dirs go (NULL: skip the rule) */
        BusFlavour flavour;
        UserNameFn name_user;     /* for the dbus-daemon user-name rule */
} CheckContext;

/* called once per finding; @line is 0 when the finding has no place */
typedef void (*CheckReportFn)(void *userdata, CheckSeverity severity, const char *rule, unsigned line,
                              const char *text);

/*
 * check_spec() - run every rule on @s and report each finding.
 * Returns the number of findings of severity error (>= 0).
 */
int check_spec(const VmSpec *s, const CheckContext *ctx, CheckReportFn report, void *userdata);

const char *check_severity_to_string(CheckSeverity s);
