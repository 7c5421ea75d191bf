/*
 * busclient.h -- the launcher as a D-Bus client of a VM's bus (sd-bus), to
 * see when helpers are ready: their names owned, their place in the
 * org.qemu.VMState1 queue taken.
 *
 * Must never: own a name or call anything but the bus driver.
 */
#pragma once

#include "util/macro.h"

typedef struct BusClient BusClient;

int busclient_open(const char *address, BusClient **ret);
BusClient *busclient_free(BusClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusClient *, busclient_free);

/* 1 if @name has an owner, 0 if not, -errno on failure */
int busclient_name_has_owner(BusClient *c, const char *name);
/* how many connections own or queue for @name (0 if none), -errno on failure */
int busclient_queue_length(BusClient *c, const char *name);
