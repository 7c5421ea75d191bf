/*
 * driver.c -- the driver's method table and dispatch (which interface is
 * available at which path, privileged methods, signature checks, the error
 * names dbus-daemon uses), Hello, and the name methods with their signals.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus/dispatch.h"
#include "bus/driver-methods.h"
#include "bus/driver-util.h"
#include "bus/driver.h"
#include "bus/match-registry.h"
#include "bus/monitor.h"
#include "bus/policy-check.h"
#include "wire/names.h"

enum {
        M_ANY_PATH = 1 << 0,
        M_PRIVILEGED = 1 << 1,
};

typedef int (*MethodFn)(Bus *b, Peer *from, Msg *m);

typedef struct Method {
        const char *name;
        const char *in_sig;
        MethodFn fn;
        unsigned flags;
} Method;

typedef struct Interface {
        const char *name;
        const Method *methods;
        bool any_path;
} Interface;

/** driver_signal() - see driver.h. */
int driver_signal(Bus *b, Peer *to, const char *member, ...)
{
        WireBuilder wb;
        const char *s;
        va_list ap;

        wire_builder_init(&wb, WIRE_MESSAGE_SIGNAL, WIRE_FLAG_NO_REPLY_EXPECTED);
        wire_builder_set_path(&wb, BUS_DRIVER_PATH);
        wire_builder_set_interface(&wb, BUS_DRIVER_NAME);
        wire_builder_set_member(&wb, member);
        wire_builder_set_sender(&wb, BUS_DRIVER_NAME);
        if (to)
                wire_builder_set_destination(&wb, to->unique_name);
        va_start(ap, member);
        while ((s = va_arg(ap, const char *)))
                wire_builder_append_string(&wb, s);
        va_end(ap);
        return dispatch_driver_built(b, to, &wb);
}

static const char *uname_or_empty(const Peer *p)
{
        return p ? p->unique_name : "";
}

/** driver_name_changed() - see driver.h. */
int driver_name_changed(Bus *b, const NameChange *ch, bool replacing)
{
        if (ch->old_owner == ch->new_owner)
                return 0;
        /* dbus-daemon's order, which monitors observe: lost, changed, acquired */
        if (ch->old_owner)
                driver_signal(b, ch->old_owner, "NameLost", ch->name, NULL);
        driver_signal(b, NULL, "NameOwnerChanged", ch->name, uname_or_empty(ch->old_owner),
                      uname_or_empty(ch->new_owner), NULL);
        if (ch->new_owner)
                driver_signal(b, ch->new_owner, "NameAcquired", ch->name, NULL);
        return 0;
}

/** driver_register() - see driver.h. */
int driver_register(Bus *b, Peer *p)
{
        int n = snprintf(p->unique_name, sizeof(p->unique_name), ":1.%llu", (unsigned long long)p->id);

        /* what the SENDER field adds to the header of each message it sends:
         * padding to 8, code and signature, length, the name and its NUL */
        p->conn.fwd_room_extra = 7 + 4 + 4 + (size_t)n + 1;
        return bus_peer_registered(b, p);
}

static int method_hello(Bus *b, Peer *from, Msg *m)
{
        WireBuilder wb;
        int r;

        if (from->hello_done)
                return dispatch_error(b, from, m, DBUS_ERR("Failed"),
                                      "Already handled an Hello message");
        from->hello_done = true;
        driver_signal(b, NULL, "NameOwnerChanged", from->unique_name, "", from->unique_name, NULL);
        driver_reply_init(&wb, from, m);
        wire_builder_append_string(&wb, from->unique_name);
        r = driver_reply_send(b, from, m, &wb);
        if (r < 0)
                return r;
        return driver_signal(b, from, "NameAcquired", from->unique_name, NULL);
}

static int check_name_arg(Bus *b, Peer *from, Msg *m, const char *name, const char *what)
{
        if (!wire_bus_name_is_valid(name, strlen(name))) {
                dispatch_errorf(b, from, m, DBUS_ERR("InvalidArgs"),
                                "Requested bus name \"%s\" is not valid", name);
                return 1;
        }
        if (name[0] == ':') {
                dispatch_errorf(b, from, m, DBUS_ERR("InvalidArgs"),
                                "Cannot %s a unique name '%s'", what, name);
                return 1;
        }
        if (strcmp(name, BUS_DRIVER_NAME) == 0) {
                dispatch_errorf(b, from, m, DBUS_ERR("InvalidArgs"),
                                "Connection \"%s\" is not allowed to %s the service \"%s\" because it is "
                                "reserved for D-Bus' use only", from->unique_name, what, name);
                return 1;
        }
        return 0;
}

static int reply_u32(Bus *b, Peer *to, const Msg *call, uint32_t v)
{
        WireBuilder wb;

        driver_reply_init(&wb, to, call);
        wire_builder_append_u32(&wb, v);
        return driver_reply_send(b, to, call, &wb);
}

static bool holds_name(const Peer *p, const char *name)
{
        Name *n = name_registry_lookup(&p->bus->names, name);
        ListNode *pos, *tmp;

        if (!n)
                return false;
        list_for_each_safe(pos, tmp, &n->owners)
                if (container_of(pos, NameOwner, name_link)->peer == p)
                        return true;
        return false;
}

static int method_request_name(Bus *b, Peer *from, Msg *m)
{
        const char *name = driver_arg_string(m, 0);
        uint32_t flags = 0;
        NameChange ch;
        int r;

        if (!name || driver_arg_u32(m, 1, &flags) < 0)
                return -EINVAL;
        if (check_name_arg(b, from, m, name, "own"))
                return 0;
        r = policy_check_own_name(b, from, name);
        if (r == POLICY_CHECK_E_SELINUX)
                return dispatch_errorf(b, from, m, DBUS_ERR("AccessDenied"),
                                       "Connection \"%s\" is not allowed to own the service \"%s\" due "
                                       "to SELinux policy", from->unique_name, name);
        if (r == POLICY_E_DENIED)
                return dispatch_errorf(b, from, m, DBUS_ERR("AccessDenied"),
                                       "Connection \"%s\" is not allowed to own the service \"%s\" due "
                                       "to security policies in the configuration file",
                                       from->unique_name, name);
        if (from->n_names + 1 >= b->config->limits.max_names_per_connection && !holds_name(from, name))
                return dispatch_errorf(b, from, m, DBUS_ERR("LimitsExceeded"),
                                       "Connection \"%s\" is not allowed to own more services "
                                       "(increase limits in configuration file if required; "
                                       "max_names_per_connection=%llu)",
                                       from->unique_name,
                                       (unsigned long long)b->config->limits.max_names_per_connection);
        if (from->quota && from->quota->n_names >= bus_user_limit(b, b->config->limits.max_names_per_connection) &&
            !holds_name(from, name))
                return dispatch_errorf(b, from, m, DBUS_ERR("LimitsExceeded"),
                                       "The maximum number of names of uid %u has been reached "
                                       "(max_names_per_connection=%llu times a quarter of "
                                       "max_connections_per_user)",
                                       (unsigned)from->quota->uid,
                                       (unsigned long long)b->config->limits.max_names_per_connection);
        r = name_registry_request(&b->names, from, &from->names, name,
                                  flags & (NAME_FLAG_ALLOW_REPLACEMENT | NAME_FLAG_REPLACE_EXISTING |
                                           NAME_FLAG_DO_NOT_QUEUE),
                                  &ch);
        if (r < 0)
                return r;
        peer_count_names(from);
        driver_name_changed(b, &ch, true);
        return reply_u32(b, from, m, (uint32_t)r);
}

static int method_release_name(Bus *b, Peer *from, Msg *m)
{
        const char *name = driver_arg_string(m, 0);
        char copy[256];
        NameChange ch;
        int r;

        if (!name)
                return -EINVAL;
        if (check_name_arg(b, from, m, name, "release"))
                return 0;
        snprintf(copy, sizeof(copy), "%s", name);
        r = name_registry_release(&b->names, from, copy, &ch);
        peer_count_names(from);
        driver_name_changed(b, &ch, false);
        return reply_u32(b, from, m, (uint32_t)r);
}

static const Method dbus_methods[] = {
        { "Hello", "", method_hello, M_ANY_PATH },
        { "RequestName", "su", method_request_name, M_ANY_PATH },
        { "ReleaseName", "s", method_release_name, M_ANY_PATH },
        { "StartServiceByName", "su", method_start_service_by_name, M_ANY_PATH },
        { "UpdateActivationEnvironment", "a{ss}", method_update_activation_environment, M_PRIVILEGED },
        { "NameHasOwner", "s", method_name_has_owner, M_ANY_PATH },
        { "ListNames", "", method_list_names, M_ANY_PATH },
        { "ListActivatableNames", "", method_list_activatable_names, M_ANY_PATH },
        { "AddMatch", "s", method_add_match, M_ANY_PATH },
        { "RemoveMatch", "s", method_remove_match, M_ANY_PATH },
        { "GetNameOwner", "s", method_get_name_owner, M_ANY_PATH },
        { "ListQueuedOwners", "s", method_list_queued_owners, M_ANY_PATH },
        { "GetConnectionUnixUser", "s", method_get_connection_unix_user, M_ANY_PATH },
        { "GetConnectionUnixProcessID", "s", method_get_connection_unix_process_id, M_ANY_PATH },
        { "GetAdtAuditSessionData", "s", method_get_adt_audit_session_data, M_ANY_PATH },
        { "GetConnectionSELinuxSecurityContext", "s", method_get_connection_selinux_context, M_ANY_PATH },
        { "ReloadConfig", "", method_reload_config, M_ANY_PATH },
        { "GetId", "", method_get_id, M_ANY_PATH },
        { "GetConnectionCredentials", "s", method_get_connection_credentials, M_ANY_PATH },
        { NULL },
};

static const Method properties_methods[] = {
        { "Get", "ss", method_properties_get, 0 },
        { "GetAll", "s", method_properties_get_all, 0 },
        { "Set", "ssv", method_properties_set, 0 },
        { NULL },
};

static const Method introspectable_methods[] = {
        { "Introspect", "", method_introspect, M_ANY_PATH },
        { NULL },
};

static const Method monitoring_methods[] = {
        { "BecomeMonitor", "asu", method_become_monitor, M_PRIVILEGED },
        { NULL },
};

static const Method stats_methods[] = {
        { "GetStats", "", method_get_stats, 0 },
        { NULL },
};

static const Method peer_methods[] = {
        { "GetMachineId", "", method_get_machine_id, M_ANY_PATH },
        { "Ping", "", method_ping, M_ANY_PATH },
        { NULL },
};

static const Interface interfaces[] = {
        { "org.freedesktop.DBus", dbus_methods, true },
        { "org.freedesktop.DBus.Properties", properties_methods, false },
        { "org.freedesktop.DBus.Introspectable", introspectable_methods, true },
        { "org.freedesktop.DBus.Monitoring", monitoring_methods, false },
        { "org.freedesktop.DBus.Debug.Stats", stats_methods, false },
        { "org.freedesktop.DBus.Peer", peer_methods, true },
        { NULL },
};

static bool caller_is_privileged(const Bus *b, const Peer *p)
{
        return p->creds.uid == 0 || p->creds.uid == b->uid;
}

static int call_method(Bus *b, Peer *from, Msg *m, const Method *mh, bool canonical)
{
        const char *sig = m->h.signature ? m->h.signature : "";
        int r;

        if ((mh->flags & M_PRIVILEGED) && !caller_is_privileged(b, from))
                return dispatch_errorf(b, from, m, DBUS_ERR("AccessDenied"),
                                       "Connection %s is not allowed to call %s", from->unique_name,
                                       mh->name);
        if (!canonical && !(mh->flags & M_ANY_PATH))
                return dispatch_errorf(b, from, m, DBUS_ERR("AccessDenied"),
                                       "Method '%s' is only available at the canonical object path '%s'",
                                       mh->name, BUS_DRIVER_PATH);
        if (strcmp(sig, mh->in_sig) != 0)
                return dispatch_errorf(b, from, m, DBUS_ERR("InvalidArgs"),
                                       "Call to %s has wrong args (%s, expected %s)\n", mh->name, sig,
                                       mh->in_sig);
        r = mh->fn(b, from, m);
        if (r == -EINVAL)
                return dispatch_errorf(b, from, m, DBUS_ERR("InvalidArgs"),
                                       "Invalid arguments to %s", mh->name);
        return r;
}

/** driver_handle() - see driver.h. */
int driver_handle(Bus *b, Peer *from, Msg *m)
{
        bool canonical = m->h.path && strcmp(m->h.path, BUS_DRIVER_PATH) == 0;
        bool found_interface = false;

        if (m->h.type != WIRE_MESSAGE_METHOD_CALL)
                return 0;
        /* SELinux "send_msg" to the bus's context; a denied Hello ends the connection */
        if (policy_check_to_driver(b, from, m) != 0) {
                if (from->hello_done)
                        return 0;
                (void)connection_flush(&from->conn);
                return DISPATCH_E_DISCONNECT;
        }
        for (const Interface *ih = interfaces; ih->name; ih++) {
                if (!canonical && !ih->any_path)
                        continue;
                if (m->h.interface && strcmp(m->h.interface, ih->name) != 0)
                        continue;
                found_interface = true;
                for (const Method *mh = ih->methods; mh->name; mh++)
                        if (strcmp(mh->name, m->h.member) == 0)
                                return call_method(b, from, m, mh, canonical);
        }
        return dispatch_errorf(b, from, m,
                               found_interface ? DBUS_ERR("UnknownMethod") : DBUS_ERR("UnknownInterface"),
                               "%s does not understand message %s", BUS_DRIVER_NAME, m->h.member);
}

/** driver_interface_known() - @name is an interface of the driver (at the canonical path). */
bool driver_interface_known(const char *name)
{
        for (const Interface *ih = interfaces; ih->name; ih++)
                if (strcmp(ih->name, name) == 0)
                        return true;
        return false;
}

/** driver_peer_gone() - see driver.h. */
void driver_peer_gone(Bus *b, Peer *p)
{
        while (!list_empty(&p->names)) {
                NameOwner *o = container_of(p->names.next, NameOwner, peer_link);
                NameChange ch;
                Name *empty = NULL;

                name_registry_drop_owner(&b->names, o, &ch, &empty);
                if (!b->exiting)
                        driver_name_changed(b, &ch, false);
                free(empty);
        }
        peer_count_names(p);    /* 0, released from the uid's quota too */
        if (p->hello_done && p->unique_name[0] && !b->exiting)
                driver_signal(b, NULL, "NameOwnerChanged", p->unique_name, p->unique_name, "", NULL);
}
