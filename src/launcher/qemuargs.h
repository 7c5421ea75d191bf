/*
 * qemuargs.h -- QEMU's command line: the spec's words with ${...} expanded,
 * plus what bulkhead adds (QMP on an inherited listening fd, the bus for
 * dbus-vmstate and -display dbus, the helpers' devices, -sandbox).
 *
 * Variables in exec and qemu words: ${vm}, ${runtime_dir}, ${bus_address},
 * and in a helper's exec also ${name}, ${state_dir} (its own directory,
 * RUNTIME/VM/h-NAME, writable by it alone) and ${socket} (the full path of
 * its socket there).
 *
 * Must never: add a monitor that is not the inherited UNIX socket.
 */
#pragma once

#include "launcher/vmspec.h"

/* the -sandbox value QEMU always gets */
#define QEMUARGS_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

int qemuargs_expand_all(char *const *words, const VmSpec *s, const VmHelper *h, const char *dir,
                        const char *bus_address, char ***ret);

/* @qmp_fd: the fd number QEMU inherits the listening QMP socket as */
int qemuargs_build(const VmSpec *s, const char *dir, const char *bus_address, int qmp_fd, const char *incoming,
                   char ***ret);
