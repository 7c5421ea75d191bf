/*
 * busclient.c -- driver calls on a VM's bus through sd-bus (see busclient.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>

#include "launcher/busclient.h"
#include "util/error.h"

struct BusClient {
        sd_bus *bus;
};

/** busclient_open() - connect to @address and say Hello. Returns 0 or -errno. */
int busclient_open(const char *address, BusClient **ret)
{
        BusClient *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        r = sd_bus_new(&c->bus);
        if (r >= 0)
                r = sd_bus_set_address(c->bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(c->bus, 1);
        if (r >= 0)
                r = sd_bus_start(c->bus);
        if (r < 0) {
                busclient_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

/** busclient_free() - disconnect (NULL is fine). Returns NULL. */
BusClient *busclient_free(BusClient *c)
{
        if (!c)
                return NULL;
        sd_bus_flush_close_unref(c->bus);
        free(c);
        return NULL;
}

/** busclient_name_has_owner() - see busclient.h. */
int busclient_name_has_owner(BusClient *c, const char *name)
{
        sd_bus_message *reply = NULL;
        int has = 0, r;

        r = sd_bus_call_method(c->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", NULL, &reply, "s", name);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &has);
        sd_bus_message_unref(reply);
        return r < 0 ? r : !!has;
}

/** busclient_queue_length() - see busclient.h. */
int busclient_queue_length(BusClient *c, const char *name)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char **owners = NULL;
        int r, n = 0;

        r = sd_bus_call_method(c->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "ListQueuedOwners", &error, &reply, "s", name);
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.NameHasNoOwner"))
                r = 0;
        else if (r >= 0)
                r = sd_bus_message_read_strv(reply, &owners);
        for (char **o = owners; o && *o; o++, n++)
                free(*o);
        free(owners);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return r < 0 ? r : n;
}
