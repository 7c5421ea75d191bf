/*
 * driver-creds.c -- what the bus knows about a connection's identity:
 * GetConnectionUnixUser/ProcessID/Credentials, SELinux context, audit data.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "bus/dispatch.h"
#include "bus/driver-methods.h"
#include "bus/driver-util.h"

/* The peer named by argument 0, or NULL after answering NameHasNoOwner. */
static Peer *target(Bus *b, Peer *from, Msg *m, const char *what, bool *ret_driver)
{
        const char *name = driver_arg_string(m, 0);
        Peer *p;

        *ret_driver = false;
        if (!name)
                return NULL;
        if (strcmp(name, BUS_DRIVER_NAME) == 0) {
                *ret_driver = true;
                return NULL;
        }
        p = bus_find_by_name(b, name);
        if (!p)
                dispatch_errorf(b, from, m, DBUS_ERR("NameHasNoOwner"),
                                "Could not get %s of name '%s': no such name", what, name);
        return p;
}

static int reply_u32(Bus *b, Peer *to, const Msg *call, uint32_t v)
{
        WireBuilder wb;

        driver_reply_init(&wb, to, call);
        wire_builder_append_u32(&wb, v);
        return driver_reply_send(b, to, call, &wb);
}

/** method_get_connection_unix_user() - GetConnectionUnixUser. */
int method_get_connection_unix_user(Bus *b, Peer *from, Msg *m)
{
        bool driver;
        Peer *p = target(b, from, m, "UID", &driver);

        if (driver)
                return reply_u32(b, from, m, (uint32_t)b->uid);
        return p ? reply_u32(b, from, m, (uint32_t)p->creds.uid) : 0;
}

/** method_get_connection_unix_process_id() - GetConnectionUnixProcessID. */
int method_get_connection_unix_process_id(Bus *b, Peer *from, Msg *m)
{
        bool driver;
        Peer *p = target(b, from, m, "PID", &driver);

        if (driver)
                return reply_u32(b, from, m, (uint32_t)getpid());
        if (!p)
                return 0;
        if (p->creds.pid <= 0)
                return dispatch_error(b, from, m, DBUS_ERR("UnixProcessIdUnknown"),
                                      "Could not determine PID for connection");
        return reply_u32(b, from, m, (uint32_t)p->creds.pid);
}

/** method_get_adt_audit_session_data() - never known on Linux. */
int method_get_adt_audit_session_data(Bus *b, Peer *from, Msg *m)
{
        bool driver;
        Peer *p = target(b, from, m, "audit session data", &driver);

        if (!p && !driver)
                return 0;
        return dispatch_error(b, from, m, DBUS_ERR("AdtAuditDataUnknown"),
                              "Could not determine audit session data for connection");
}

/** method_get_connection_selinux_context() - the peer's LSM label as bytes. */
int method_get_connection_selinux_context(Bus *b, Peer *from, Msg *m)
{
        bool driver;
        Peer *p = target(b, from, m, "security context", &driver);
        WireBuilder wb;

        if (!p && !driver)
                return 0;
        if (!p || !p->creds.label)
                return dispatch_error(b, from, m, DBUS_ERR("SELinuxSecurityContextUnknown"),
                                      "Could not determine security context for connection");
        driver_reply_init(&wb, from, m);
        wire_builder_open(&wb, 'a', "y");
        for (const char *c = p->creds.label; *c; c++) {
                uint8_t y = (uint8_t)*c;

                wire_builder_append(&wb, 'y', &y);
        }
        wire_builder_close(&wb);
        return driver_reply_send(b, from, m, &wb);
}

static void dict_u32(WireBuilder *wb, const char *key, uint32_t v)
{
        wire_builder_open(wb, '{', "sv");
        wire_builder_append_string(wb, key);
        wire_builder_open(wb, 'v', "u");
        wire_builder_append_u32(wb, v);
        wire_builder_close(wb);
        wire_builder_close(wb);
}

static void dict_groups(WireBuilder *wb, const PeerCreds *c)
{
        wire_builder_open(wb, '{', "sv");
        wire_builder_append_string(wb, "UnixGroupIDs");
        wire_builder_open(wb, 'v', "au");
        wire_builder_open(wb, 'a', "u");
        for (size_t i = 0; i < c->n_groups; i++)
                wire_builder_append_u32(wb, (uint32_t)c->groups[i]);
        wire_builder_close(wb);
        wire_builder_close(wb);
        wire_builder_close(wb);
}

static void dict_label(WireBuilder *wb, const char *label)
{
        wire_builder_open(wb, '{', "sv");
        wire_builder_append_string(wb, "LinuxSecurityLabel");
        wire_builder_open(wb, 'v', "ay");
        wire_builder_open(wb, 'a', "y");
        for (const char *c = label;; c++) {
                uint8_t y = (uint8_t)*c;

                wire_builder_append(wb, 'y', &y);
                if (!*c)
                        break;
        }
        wire_builder_close(wb);
        wire_builder_close(wb);
        wire_builder_close(wb);
}

/** method_get_connection_credentials() - GetConnectionCredentials. */
int method_get_connection_credentials(Bus *b, Peer *from, Msg *m)
{
        bool driver;
        Peer *p = target(b, from, m, "credentials", &driver);
        WireBuilder wb;

        if (!p && !driver)
                return 0;
        driver_reply_init(&wb, from, m);
        wire_builder_open(&wb, 'a', "{sv}");
        if (driver) {
                dict_u32(&wb, "UnixUserID", (uint32_t)b->uid);
                dict_u32(&wb, "ProcessID", (uint32_t)getpid());
        } else {
                dict_u32(&wb, "UnixUserID", (uint32_t)p->creds.uid);
                if (p->creds.groups)
                        dict_groups(&wb, &p->creds);
                if (p->creds.pid > 0)
                        dict_u32(&wb, "ProcessID", (uint32_t)p->creds.pid);
                if (p->creds.label)
                        dict_label(&wb, p->creds.label);
        }
        wire_builder_close(&wb);
        return driver_reply_send(b, from, m, &wb);
}
