/*
 * config-internal.h -- what the files of the configuration parser share:
 * attribute lookup, identity resolution, rule building, SELinux hooks.
 *
 * Must never: be included from outside src/policy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/config.h"
#include "policy/policy-internal.h"

#define CONFIG_ERROR_MAX 512

/* one named attribute an element accepts, filled by config_attrs_locate() */
typedef struct ConfigAttr {
        const char *name;
        const char *value; /* NULL when absent */
} ConfigAttr;

int config_attrs_locate(const char *element, const char **atts, ConfigAttr *want, size_t n_want,
                        char *err, size_t err_size);

/* resolve user="..." / group="...": name, "#N" or plain number; false if unknown */
bool config_resolve_user(const char *s, unsigned flags, uint32_t *ret);
bool config_resolve_group(const char *s, unsigned flags, uint32_t *ret);

int config_rule_from_element(const char *element, const char **atts, bool allow, unsigned flags,
                             PolicyRule **ret, char *err, size_t err_size, char *warn, size_t warn_size);

/* selinux.c / selinux-none.c */
bool config_selinux_enabled(void);
const char *config_selinux_policy_root(void);
