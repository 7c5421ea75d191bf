/*
 * selinux.c -- the SELinux hooks, dbus-daemon's semantics: whether SELinux is
 * on (for <include if_selinux_enabled="yes">), the policy root (for
 * selinux_root_relative), the "dbus" class checks: "acquire_svc" against the
 * <associate> context of a name (the bus's own context for a name without
 * one) and "send_msg" from a sender's context to a receiver's (the bus's own
 * context for messages to the driver).
 *
 * libselinux is loaded lazily: only when selinuxfs is mounted (the test
 * libselinux itself starts with) is libselinux.so.1 dlopen()ed and the few
 * functions we call resolved into a table; on a host without SELinux it is
 * never mapped (nor libpcre2 behind it). The headers still come from
 * libselinux-dev at build time, so the table's types follow them.
 *
 * The table is the one piece of process-wide state in the policy layer, on
 * purpose: a shared library's mapping is process-wide by nature, and the
 * table only caches what dlsym() found in it. It is filled once (the bus is
 * single-threaded) and never torn down: libselinux keeps its own AVC state.
 *
 * When SELinux is disabled every check allows, like dbus-daemon.
 * Must never: change the process's SELinux state, or log (libselinux's own
 * log callback is silenced; the bus logs denials itself).
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/magic.h>
#include <selinux/selinux.h>
#include <stdarg.h>
#include <string.h>
#include <sys/vfs.h>

#include "policy/config-internal.h"
#include "policy/selinux.h"
#include "util/macro.h"

#define SELINUX_LIBRARY "libselinux.so.1"

typedef struct SelinuxLib {
        bool probed;            /* the probe below ran */
        bool unloadable;        /* selinuxfs is mounted but libselinux could not be loaded */
        bool enabled;           /* libselinux loaded and is_selinux_enabled() > 0 */
        void *dl;
        char *bus_context;      /* getcon() of the bus, for the driver and unassociated names */
        __typeof__(&is_selinux_enabled) is_selinux_enabled;
        __typeof__(&selinux_policy_root) selinux_policy_root;
        __typeof__(&selinux_check_access) selinux_check_access;
        __typeof__(&selinux_set_callback) selinux_set_callback;
        __typeof__(&getcon) getcon;
} SelinuxLib;

static SelinuxLib lib;

/* libselinux's default log callback writes to stderr: the bus logs itself */
static int _printf_(2, 3) quiet_log(int type, const char *fmt, ...)
{
        (void)type;
        (void)fmt;
        return 0;
}

/* selinuxfs where libselinux looks first; without it SELinux is off here */
static bool selinuxfs_mounted(void)
{
        static const char *const dirs[] = { "/sys/fs/selinux", "/selinux" };
        struct statfs sfs;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (statfs(dirs[i], &sfs) == 0 && (uint32_t)sfs.f_type == (uint32_t)SELINUX_MAGIC)
                        return true;
        return false;
}

static bool resolve(void *dl, const char *name, void *ret)
{
        void *f = dlsym(dl, name);

        if (!f)
                return false;
        memcpy(ret, &f, sizeof(f));
        return true;
}

static bool load(SelinuxLib *l)
{
        l->dl = dlopen(SELINUX_LIBRARY, RTLD_NOW | RTLD_LOCAL);
        if (!l->dl) {
                l->unloadable = true;
                return false;
        }
        if (!resolve(l->dl, "is_selinux_enabled", &l->is_selinux_enabled) ||
            !resolve(l->dl, "selinux_policy_root", &l->selinux_policy_root) ||
            !resolve(l->dl, "selinux_check_access", &l->selinux_check_access) ||
            !resolve(l->dl, "selinux_set_callback", &l->selinux_set_callback) ||
            !resolve(l->dl, "getcon", &l->getcon)) {
                dlclose(l->dl);
                *l = (SelinuxLib){ .probed = true, .unloadable = true };
                return false;
        }
        if (l->is_selinux_enabled() <= 0) { /* selinuxfs without a policy: off */
                dlclose(l->dl);
                *l = (SelinuxLib){ .probed = true };
                return false;
        }
        l->selinux_set_callback(SELINUX_CB_LOG, (union selinux_callback){ .func_log = quiet_log });
        return true;
}

/*
 * The library, loaded on first use when SELinux is on; NULL when it is off
 * or libselinux cannot be loaded (bus_selinux_probe() tells the two apart:
 * the bus refuses to start rather than run unenforced).
 */
static SelinuxLib *selinux_lib(void)
{
        if (!lib.probed) {
                lib.probed = true;
                lib.enabled = selinuxfs_mounted() && load(&lib);
        }
        return lib.enabled ? &lib : NULL;
}

/* the bus's own context, read once (NULL if unknown: checks against it deny) */
static const char *bus_context(SelinuxLib *l)
{
        if (!l->bus_context && l->getcon(&l->bus_context) < 0)
                l->bus_context = NULL;
        return l->bus_context;
}

/* one "dbus" class check; an unknown context on either side denies */
static int check(SelinuxLib *l, const char *source, const char *target, const char *perm)
{
        if (!source || !target)
                return POLICY_E_DENIED;
        /* the AVC decides enforcing vs permissive: in permissive mode it allows */
        if (l->selinux_check_access(source, target, "dbus", perm, NULL) < 0)
                return POLICY_E_DENIED;
        return 0;
}

/** bus_selinux_probe() - see selinux.h. */
int bus_selinux_probe(void)
{
        (void)selinux_lib();
        return lib.unloadable ? -ELIBACC : 0;
}

/** config_selinux_enabled() - is SELinux enabled here? Return: true if so. */
bool config_selinux_enabled(void)
{
        return selinux_lib() != NULL;
}

/** config_selinux_policy_root() - base of selinux_root_relative includes. Return: path or NULL. */
const char *config_selinux_policy_root(void)
{
        SelinuxLib *l = selinux_lib();

        return l ? l->selinux_policy_root() : NULL;
}

/**
 * bus_config_selinux_check_own() - may @peer_context own @name? See config.h.
 * @c: the configuration (its <associate> table).
 * @peer_context: the peer's security context (NULL: unknown, denied).
 * @name: the bus name.
 *
 * The target is the name's <associate> context, or the bus's own context for
 * a name without one (dbus-daemon's default).
 *
 * Return: 0 or POLICY_E_DENIED.
 */
int bus_config_selinux_check_own(const BusConfig *c, const char *peer_context, const char *name)
{
        SelinuxLib *l = selinux_lib();
        const char *target = NULL;

        if (!l)
                return 0;
        for (size_t i = 0; i < c->n_selinux_associations; i++)
                if (strcmp(c->selinux_associations[i].own, name) == 0)
                        target = c->selinux_associations[i].context;
        return check(l, peer_context, target ? target : bus_context(l), "acquire_svc");
}

/** bus_selinux_check_send() - see selinux.h. */
int bus_selinux_check_send(const char *sender_context, const char *receiver_context)
{
        SelinuxLib *l = selinux_lib();

        return l ? check(l, sender_context, receiver_context, "send_msg") : 0;
}

/** bus_selinux_enabled() - see selinux.h. */
bool bus_selinux_enabled(void)
{
        return selinux_lib() != NULL;
}

/** bus_selinux_bus_context() - see selinux.h. */
const char *bus_selinux_bus_context(void)
{
        SelinuxLib *l = selinux_lib();

        return l ? bus_context(l) : NULL;
}
