/*
 * config-priv.h -- BusConfig helpers shared by config.c and config-parser.c.
 *
 * Must never: be included from outside src/policy.
 */
#pragma once

#include "policy/config.h"

int bus_config_new_empty(BusConfig **ret);
int bus_config_merge(BusConfig *c, BusConfig *inc);
int bus_config_add_association(BusConfig *c, const char *own, const char *context);
int bus_config_set_limit(BusConfig *c, const char *name, const char *text, char *err, size_t err_size);
int strv_append(char ***l, const char *s);
int strv_append_unique(char ***l, const char *s);
