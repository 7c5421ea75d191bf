/*
 * driver-props.c -- org.freedesktop.DBus.Properties (Features, Interfaces),
 * Introspectable, Peer, Monitoring.BecomeMonitor and Debug.Stats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bus/dispatch.h"
#include "bus/driver-methods.h"
#include "bus/driver-util.h"
#include "bus/driver.h"
#include "bus/match-registry.h"
#include "bus/monitor.h"

static void append_features(const Bus *b, WireBuilder *wb)
{
        wire_builder_open(wb, 'a', "s");
        wire_builder_append_string(wb, "HeaderFiltering");
        if (b->systemd_activation)
                wire_builder_append_string(wb, "SystemdActivation");
        wire_builder_close(wb);
}

static void append_interfaces(WireBuilder *wb)
{
        wire_builder_open(wb, 'a', "s");
        wire_builder_append_string(wb, "org.freedesktop.DBus.Monitoring");
        wire_builder_append_string(wb, "org.freedesktop.DBus.Debug.Stats");
        wire_builder_close(wb);
}

/* Returns true if @prop exists on @iface and appends its value as a variant. */
static bool append_property(const Bus *b, WireBuilder *wb, const char *iface, const char *prop)
{
        if (strcmp(iface, BUS_DRIVER_NAME) != 0)
                return false;
        if (strcmp(prop, "Features") == 0) {
                wire_builder_open(wb, 'v', "as");
                append_features(b, wb);
                wire_builder_close(wb);
                return true;
        }
        if (strcmp(prop, "Interfaces") == 0) {
                wire_builder_open(wb, 'v', "as");
                append_interfaces(wb);
                wire_builder_close(wb);
                return true;
        }
        return false;
}

static bool property_exists(const char *iface, const char *prop)
{
        return strcmp(iface, BUS_DRIVER_NAME) == 0 &&
               (strcmp(prop, "Features") == 0 || strcmp(prop, "Interfaces") == 0);
}

/** method_properties_get() - Properties.Get. */
int method_properties_get(Bus *b, Peer *from, Msg *m)
{
        const char *iface = driver_arg_string(m, 0), *prop = driver_arg_string(m, 1);
        WireBuilder wb;

        if (!iface || !prop)
                return -EINVAL;
        if (!driver_interface_known(iface))
                return dispatch_errorf(b, from, m, DBUS_ERR("UnknownInterface"),
                                       "Interface \"%s\" not found", iface);
        if (!property_exists(iface, prop))
                return dispatch_errorf(b, from, m, DBUS_ERR("UnknownProperty"),
                                       "Property \"%s.%s\" not found", iface, prop);
        driver_reply_init(&wb, from, m);
        append_property(b, &wb, iface, prop);
        return driver_reply_send(b, from, m, &wb);
}

/** method_properties_get_all() - Properties.GetAll. */
int method_properties_get_all(Bus *b, Peer *from, Msg *m)
{
        const char *iface = driver_arg_string(m, 0);
        static const char *const props[] = { "Features", "Interfaces" };
        WireBuilder wb;

        if (!iface)
                return -EINVAL;
        if (!driver_interface_known(iface))
                return dispatch_errorf(b, from, m, DBUS_ERR("UnknownInterface"),
                                       "Interface \"%s\" not found", iface);
        driver_reply_init(&wb, from, m);
        wire_builder_open(&wb, 'a', "{sv}");
        for (size_t i = 0; i < ELEMENTSOF(props); i++) {
                if (!property_exists(iface, props[i]))
                        continue;
                wire_builder_open(&wb, '{', "sv");
                wire_builder_append_string(&wb, props[i]);
                append_property(b, &wb, iface, props[i]);
                wire_builder_close(&wb);
        }
        wire_builder_close(&wb);
        return driver_reply_send(b, from, m, &wb);
}

/** method_properties_set() - Properties.Set: everything is read-only. */
int method_properties_set(Bus *b, Peer *from, Msg *m)
{
        const char *iface = driver_arg_string(m, 0), *prop = driver_arg_string(m, 1);

        if (!iface || !prop)
                return -EINVAL;
        if (!driver_interface_known(iface))
                return dispatch_errorf(b, from, m, DBUS_ERR("UnknownInterface"),
                                       "Interface \"%s\" not found", iface);
        if (!property_exists(iface, prop))
                return dispatch_errorf(b, from, m, DBUS_ERR("UnknownProperty"),
                                       "Property \"%s.%s\" not found", iface, prop);
        return dispatch_errorf(b, from, m, DBUS_ERR("PropertyReadOnly"),
                               "Property \"%s.%s\" cannot be set", iface, prop);
}

static const char introspect_head[] =
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
        "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
        "<node>\n"
        "  <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
        "    <method name=\"Introspect\">\n"
        "      <arg direction=\"out\" type=\"s\"/>\n"
        "    </method>\n"
        "  </interface>\n"
        "  <interface name=\"org.freedesktop.DBus.Peer\">\n"
        "    <method name=\"GetMachineId\">\n"
        "      <arg direction=\"out\" type=\"s\"/>\n"
        "    </method>\n"
        "    <method name=\"Ping\">\n"
        "    </method>\n"
        "  </interface>\n"
        "  <interface name=\"org.freedesktop.DBus\">\n"
        "    <method name=\"Hello\"><arg direction=\"out\" type=\"s\"/></method>\n"
        "    <method name=\"RequestName\"><arg direction=\"in\" type=\"s\"/><arg direction=\"in\" type=\"u\"/><arg direction=\"out\" type=\"u\"/></method>\n"
        "    <method name=\"ReleaseName\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"u\"/></method>\n"
        "    <method name=\"StartServiceByName\"><arg direction=\"in\" type=\"s\"/><arg direction=\"in\" type=\"u\"/><arg direction=\"out\" type=\"u\"/></method>\n"
        "    <method name=\"UpdateActivationEnvironment\"><arg direction=\"in\" type=\"a{ss}\"/></method>\n"
        "    <method name=\"NameHasOwner\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"b\"/></method>\n"
        "    <method name=\"ListNames\"><arg direction=\"out\" type=\"as\"/></method>\n"
        "    <method name=\"ListActivatableNames\"><arg direction=\"out\" type=\"as\"/></method>\n"
        "    <method name=\"AddMatch\"><arg direction=\"in\" type=\"s\"/></method>\n"
        "    <method name=\"RemoveMatch\"><arg direction=\"in\" type=\"s\"/></method>\n"
        "    <method name=\"GetNameOwner\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"s\"/></method>\n"
        "    <method name=\"ListQueuedOwners\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"as\"/></method>\n"
        "    <method name=\"GetConnectionUnixUser\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"u\"/></method>\n"
        "    <method name=\"GetConnectionUnixProcessID\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"u\"/></method>\n"
        "    <method name=\"GetAdtAuditSessionData\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"ay\"/></method>\n"
        "    <method name=\"GetConnectionSELinuxSecurityContext\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"ay\"/></method>\n"
        "    <method name=\"ReloadConfig\"></method>\n"
        "    <method name=\"GetId\"><arg direction=\"out\" type=\"s\"/></method>\n"
        "    <method name=\"GetConnectionCredentials\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"a{sv}\"/></method>\n"
        "    <property name=\"Features\" type=\"as\" access=\"read\"/>\n"
        "    <property name=\"Interfaces\" type=\"as\" access=\"read\"/>\n"
        "    <signal name=\"NameOwnerChanged\"><arg type=\"s\"/><arg type=\"s\"/><arg type=\"s\"/></signal>\n"
        "    <signal name=\"NameLost\"><arg type=\"s\"/></signal>\n"
        "    <signal name=\"NameAcquired\"><arg type=\"s\"/></signal>\n"
        "  </interface>\n";

static const char introspect_canonical[] =
        "  <interface name=\"org.freedesktop.DBus.Properties\">\n"
        "    <method name=\"Get\"><arg direction=\"in\" type=\"s\"/><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"v\"/></method>\n"
        "    <method name=\"GetAll\"><arg direction=\"in\" type=\"s\"/><arg direction=\"out\" type=\"a{sv}\"/></method>\n"
        "    <method name=\"Set\"><arg direction=\"in\" type=\"s\"/><arg direction=\"in\" type=\"s\"/><arg direction=\"in\" type=\"v\"/></method>\n"
        "    <signal name=\"PropertiesChanged\"><arg type=\"s\" name=\"interface_name\"/><arg type=\"a{sv}\" name=\"changed_properties\"/><arg type=\"as\" name=\"invalidated_properties\"/></signal>\n"
        "  </interface>\n"
        "  <interface name=\"org.freedesktop.DBus.Monitoring\">\n"
        "    <method name=\"BecomeMonitor\"><arg direction=\"in\" type=\"as\"/><arg direction=\"in\" type=\"u\"/></method>\n"
        "  </interface>\n"
        "  <interface name=\"org.freedesktop.DBus.Debug.Stats\">\n"
        "    <method name=\"GetStats\"><arg direction=\"out\" type=\"a{sv}\"/></method>\n"
        "  </interface>\n";

/** method_introspect() - Introspect; child nodes lead to /org/freedesktop/DBus. */
int method_introspect(Bus *b, Peer *from, Msg *m)
{
        const char *path = m->h.path ? m->h.path : "/";
        char xml[sizeof(introspect_head) + sizeof(introspect_canonical) + 256];
        const char *child = NULL;
        WireBuilder wb;
        int n;

        if (strcmp(path, "/") == 0)
                child = "org";
        else if (strcmp(path, "/org") == 0)
                child = "freedesktop";
        else if (strcmp(path, "/org/freedesktop") == 0)
                child = "DBus";
        n = snprintf(xml, sizeof(xml), "%s%s", introspect_head,
                     strcmp(path, BUS_DRIVER_PATH) == 0 ? introspect_canonical : "");
        if (child)
                snprintf(xml + n, sizeof(xml) - (size_t)n, "  <node name=\"%s\"/>\n</node>\n", child);
        else
                snprintf(xml + n, sizeof(xml) - (size_t)n, "</node>\n");
        driver_reply_init(&wb, from, m);
        wire_builder_append_string(&wb, xml);
        return driver_reply_send(b, from, m, &wb);
}

/** method_get_machine_id() - Peer.GetMachineId. */
int method_get_machine_id(Bus *b, Peer *from, Msg *m)
{
        WireBuilder wb;

        driver_reply_init(&wb, from, m);
        wire_builder_append_string(&wb, b->machine_id);
        return driver_reply_send(b, from, m, &wb);
}

/** method_ping() - Peer.Ping. */
int method_ping(Bus *b, Peer *from, Msg *m)
{
        return driver_reply_empty(b, from, m);
}

static void stat_u32(WireBuilder *wb, const char *key, uint32_t v)
{
        wire_builder_open(wb, '{', "sv");
        wire_builder_append_string(wb, key);
        wire_builder_open(wb, 'v', "u");
        wire_builder_append_u32(wb, v);
        wire_builder_close(wb);
        wire_builder_close(wb);
}

/** method_get_stats() - Debug.Stats.GetStats: a few counters. */
int method_get_stats(Bus *b, Peer *from, Msg *m)
{
        WireBuilder wb;

        driver_reply_init(&wb, from, m);
        wire_builder_open(&wb, 'a', "{sv}");
        stat_u32(&wb, "Serial", b->serial);
        stat_u32(&wb, "ActiveConnections", b->n_peers - b->n_incomplete);
        stat_u32(&wb, "IncompleteConnections", b->n_incomplete);
        stat_u32(&wb, "MatchRules", (uint32_t)b->matches.n_rules);
        stat_u32(&wb, "BusNames", (uint32_t)b->names.names.n_entries);
        wire_builder_close(&wb);
        return driver_reply_send(b, from, m, &wb);
}

/** method_become_monitor() - turn @from into a monitor: names dropped, rules set. */
int method_become_monitor(Bus *b, Peer *from, Msg *m)
{
        WireReader r;
        uint32_t flags = 1;
        int ret;

        if (driver_arg_u32(m, 1, &flags) < 0)
                return -EINVAL;
        /* as dbus-daemon, whatever the policy says: a monitor sees every
         * message, so only root or the bus's own uid may become one */
        if (from->creds.uid != 0 && from->creds.uid != geteuid())
                return dispatch_errorf(b, from, m, DBUS_ERR("AccessDenied"),
                                       "Connection \"%s\" (uid %u) is not privileged: only root or the "
                                       "bus's own uid may become a monitor",
                                       from->unique_name, (unsigned)from->creds.uid);
        if (flags != 0)
                return dispatch_error(b, from, m, DBUS_ERR("InvalidArgs"),
                                      "BecomeMonitor does not support any flags yet");
        wire_reader_init(&r, m->data, &m->h);
        ret = monitor_set_rules(from, &r);
        if (ret < 0)
                return ret;
        if (ret > 0)
                return dispatch_error(b, from, m, DBUS_ERR("MatchRuleInvalid"),
                                      "Invalid match rule for monitor");
        ret = driver_reply_empty(b, from, m);
        if (ret < 0)
                return ret;
        bus_peer_become_monitor(b, from);
        return 0;
}
