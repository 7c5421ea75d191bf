/*
 * selinux.c -- the SELinux hooks with libselinux: whether SELinux is on (for
 * <include if_selinux_enabled="yes">), the policy root (for
 * selinux_root_relative), and the own check against the <associate> table
 * (dbus-daemon's "dbus" class, "acquire_svc" permission).
 *
 * When SELinux is disabled every check allows, like dbus-daemon.
 * Must never: change the process's SELinux state or log.
 */
#include <selinux/selinux.h>
#include <string.h>

#include "policy/config-internal.h"

/** config_selinux_enabled() - is SELinux enabled here? Return: true if so. */
bool config_selinux_enabled(void)
{
        return is_selinux_enabled() > 0;
}

/** config_selinux_policy_root() - base of selinux_root_relative includes. Return: path or NULL. */
const char *config_selinux_policy_root(void)
{
        if (!config_selinux_enabled())
                return NULL;
        return selinux_policy_root();
}

/**
 * bus_config_selinux_check_own() - may @peer_context own @name? See config.h.
 * @c: the configuration (its <associate> table).
 * @peer_context: the peer's security context (NULL: unknown, allowed).
 * @name: the bus name.
 *
 * Return: 0 or POLICY_E_DENIED.
 */
int bus_config_selinux_check_own(const BusConfig *c, const char *peer_context, const char *name)
{
        const char *target = NULL;

        if (!config_selinux_enabled() || !peer_context)
                return 0;
        for (size_t i = 0; i < c->n_selinux_associations; i++)
                if (strcmp(c->selinux_associations[i].own, name) == 0)
                        target = c->selinux_associations[i].context;
        if (!target)
                return 0; /* dbus-daemon would use the bus's own context: we do not enforce that */
        if (selinux_check_access(peer_context, target, "dbus", "acquire_svc", NULL) < 0)
                return POLICY_E_DENIED;
        return 0;
}
