/*
 * policygen.h -- the least-privilege bus policy of a VM, generated from its
 * spec and identity plan (docs/launcher.md, "Generated policy").
 *
 * Must never: write files or start anything; it returns text.
 */
#pragma once

#include "launcher/plan.h"
#include "launcher/vmspec.h"

typedef enum {
        BUS_FLAVOUR_BULKHEAD, /* bulkhead-bus: user="#N", rules match queued owners */
        BUS_FLAVOUR_DBUS_DAEMON, /* dbus-daemon: user names only (it refuses "#N") */
} BusFlavour;

/* positive result codes */
enum {
        POLICYGEN_E_NO_USER = 1, /* dbus-daemon flavour: a uid without a passwd entry */
};

/*
 * UserNameFn - name a uid for a policy. Return a malloc'd string in *ret, or a
 * positive code when the uid has no name (then dbus-daemon cannot express it).
 */
typedef int (*UserNameFn)(uid_t uid, char **ret);

/*
 * policygen_build() - the configuration text for the VM's bus.
 * @listen: the bus address ("unix:path=...").
 * @name_user: used for BUS_FLAVOUR_DBUS_DAEMON (NULL: numbers are refused).
 * @ret_error: for POLICYGEN_E_NO_USER, an explanation.
 * Returns 0, POLICYGEN_E_NO_USER or -ENOMEM.
 */
int policygen_build(const VmSpec *s, const IdentityPlan *plan, BusFlavour flavour, const char *listen,
                    UserNameFn name_user, char **ret, char **ret_error);
