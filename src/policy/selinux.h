/*
 * selinux.h -- the SELinux checks the bus makes per message and the facts it
 * reports, dbus-daemon's "dbus" class (selinux.c with libselinux loaded lazily,
 * selinux-none.c without). The own check is bus_config_selinux_check_own() in
 * config.h, because it needs the configuration's <associate> table.
 *
 * Contexts are the peers' labels as SO_PEERSEC gave them at connect time.
 * Must never: log (the bus logs denials), or change the process's SELinux state.
 */
#pragma once

#include <stdbool.h>

/**
 * bus_selinux_enabled() - is SELinux enabled on this host (selinuxfs mounted
 * and libselinux says so)? The first call decides and loads libselinux.
 * Return: true if so.
 */
bool bus_selinux_enabled(void);

/**
 * bus_selinux_probe() - decide now whether SELinux is on, loading libselinux
 * if so (call it at start-up, before any sandbox narrows what can be opened).
 * Return: 0, or -ELIBACC when selinuxfs is mounted but libselinux.so.1 cannot
 * be loaded: SELinux would then go unenforced.
 */
int bus_selinux_probe(void);

/**
 * bus_selinux_bus_context() - the bus's own security context, the target of
 * messages to the driver. Return: the context, or NULL (disabled or unknown).
 */
const char *bus_selinux_bus_context(void);

/**
 * bus_selinux_check_send() - may a peer in @sender_context send a message to
 * one in @receiver_context ("dbus" class, "send_msg")? With SELinux disabled
 * always 0; enabled, an unknown (NULL) context on either side is denied.
 * Permissive mode allows (the AVC decides).
 * Return: 0 or POLICY_E_DENIED.
 */
int bus_selinux_check_send(const char *sender_context, const char *receiver_context);
