/*
 * launcher.h -- run, supervise, list and stop VMs (the `bulkhead` commands
 * beyond the pure ones). See docs/launcher.md for the start order.
 *
 * Must never: run a VM process as root, or leave processes, sockets, the
 * runtime dir or cgroups behind on any exit path it controls.
 */
#pragma once

#include <stdbool.h>

#include "launcher/policygen.h"
#include "launcher/vmspec.h"
#include "util/log.h"

/* exit codes of the bulkhead program (bulkhead(1), EXIT STATUS) */
enum {
        BULKHEAD_EXIT_OK = 0,
        BULKHEAD_EXIT_FAILURE = 1,  /* check found errors; a command failed */
        BULKHEAD_EXIT_USAGE = 2,
        BULKHEAD_EXIT_SPEC = 3,     /* the spec is invalid */
        BULKHEAD_EXIT_NO_VM = 4,    /* no such VM running */
        BULKHEAD_EXIT_START = 5,    /* the VM could not be started */
        BULKHEAD_EXIT_VM_FAILED = 6, /* QEMU exited with an error */
};

typedef struct LaunchOptions {
        const char *spec_path;
        bool detach;
        const char *incoming;  /* -incoming URI or NULL */
        BusFlavour flavour;
        const char *bus_binary; /* bulkhead-bus path (flavour BULKHEAD) */
        bool no_sandbox;        /* tests/dev: plain fork+exec with uid switch only */
} LaunchOptions;

/* the name of @uid for a dbus-daemon policy (getpwuid_r); POLICYGEN_E_NO_USER if none */
int launcher_user_name(uid_t uid, char **ret);

/* the bus address of a VM from its runtime dir (for display commands) */
int launcher_vm_bus_address(const char *vm, char **ret);

int launcher_run(const LaunchOptions *o, Log *log);
int launcher_ps(bool json, Log *log);
int launcher_stop(const char *vm, Log *log);
int launcher_migrate(const char *vm, const char *uri, Log *log);
