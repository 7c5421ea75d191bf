/*
 * selinux-none.c -- the SELinux hooks when built without libselinux
 * (-Dselinux=disabled): SELinux is never enabled, nothing is denied. The
 * <associate> table is still parsed and kept, so configurations load the same
 * either way.
 *
 * Must never: deny anything.
 */
#include <stddef.h>

#include "policy/config-internal.h"
#include "policy/selinux.h"

/** config_selinux_enabled() - is SELinux enforcing or permissive here? Return: false. */
bool config_selinux_enabled(void)
{
        return false;
}

/** config_selinux_policy_root() - base of selinux_root_relative includes. Return: NULL. */
const char *config_selinux_policy_root(void)
{
        return NULL;
}

/**
 * bus_config_selinux_check_own() - see config.h.
 * @c: the configuration.
 * @peer_context: the peer's security context.
 * @name: the name it wants.
 *
 * Return: 0.
 */
int bus_config_selinux_check_own(const BusConfig *c, const char *peer_context, const char *name)
{
        return 0;
}

/** bus_selinux_enabled() - see selinux.h. Return: false. */
bool bus_selinux_enabled(void)
{
        return false;
}

/** bus_selinux_bus_context() - see selinux.h. Return: NULL. */
const char *bus_selinux_bus_context(void)
{
        return NULL;
}

/** bus_selinux_check_send() - see selinux.h. Return: 0. */
int bus_selinux_check_send(const char *sender_context, const char *receiver_context)
{
        return 0;
}

/** bus_selinux_probe() - see selinux.h. Return: 0 (built without SELinux). */
int bus_selinux_probe(void)
{
        return 0;
}
