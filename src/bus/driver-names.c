/*
 * driver-names.c -- name queries, match rules, activation (refused), config
 * reload and GetId.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bus/dispatch.h"
#include "bus/driver-methods.h"
#include "bus/driver-util.h"
#include "bus/match-registry.h"
#include "wire/names.h"

static int reply_bool(Bus *b, Peer *to, const Msg *call, bool v)
{
        WireBuilder wb;

        driver_reply_init(&wb, to, call);
        wire_builder_append_bool(&wb, v);
        return driver_reply_send(b, to, call, &wb);
}

static int reply_string(Bus *b, Peer *to, const Msg *call, const char *s)
{
        WireBuilder wb;

        driver_reply_init(&wb, to, call);
        wire_builder_append_string(&wb, s);
        return driver_reply_send(b, to, call, &wb);
}

/** method_start_service_by_name() - nothing is ever activated; running names say so. */
int method_start_service_by_name(Bus *b, Peer *from, Msg *m)
{
        const char *name = driver_arg_string(m, 0);

        if (!name)
                return -EINVAL;
        if (bus_find_by_name(b, name)) {
                WireBuilder wb;

                driver_reply_init(&wb, from, m);
                wire_builder_append_u32(&wb, 2); /* DBUS_START_REPLY_ALREADY_RUNNING */
                return driver_reply_send(b, from, m, &wb);
        }
        return dispatch_errorf(b, from, m, DBUS_ERR("ServiceUnknown"),
                               "The name %s was not provided by any .service files", name);
}

/** method_update_activation_environment() - accepted and ignored: no activation here. */
int method_update_activation_environment(Bus *b, Peer *from, Msg *m)
{
        return driver_reply_empty(b, from, m);
}

/** method_name_has_owner() - NameHasOwner. */
int method_name_has_owner(Bus *b, Peer *from, Msg *m)
{
        const char *name = driver_arg_string(m, 0);

        if (!name)
                return -EINVAL;
        return reply_bool(b, from, m,
                          strcmp(name, BUS_DRIVER_NAME) == 0 || bus_find_by_name(b, name) != NULL);
}

static void append_unique_names(Bus *b, WireBuilder *wb)
{
        HashIter it = HASH_ITER_INIT;
        HashNode *n;

        while ((n = hashmap_next(&b->peers, &it))) {
                Peer *p = container_of(n, Peer, id_node);

                if (p->hello_done && !p->dead)
                        wire_builder_append_string(wb, p->unique_name);
        }
}

/** method_list_names() - ListNames: the driver, unique names, well-known names. */
int method_list_names(Bus *b, Peer *from, Msg *m)
{
        HashIter it = HASH_ITER_INIT;
        WireBuilder wb;
        HashNode *n;

        driver_reply_init(&wb, from, m);
        wire_builder_open(&wb, 'a', "s");
        wire_builder_append_string(&wb, BUS_DRIVER_NAME);
        append_unique_names(b, &wb);
        while ((n = hashmap_next(&b->names.names, &it)))
                wire_builder_append_string(&wb, container_of(n, Name, node)->str);
        wire_builder_close(&wb);
        return driver_reply_send(b, from, m, &wb);
}

/** method_list_activatable_names() - only the driver is "activatable". */
int method_list_activatable_names(Bus *b, Peer *from, Msg *m)
{
        WireBuilder wb;

        driver_reply_init(&wb, from, m);
        wire_builder_open(&wb, 'a', "s");
        wire_builder_append_string(&wb, BUS_DRIVER_NAME);
        wire_builder_close(&wb);
        return driver_reply_send(b, from, m, &wb);
}

/** method_add_match() - AddMatch, within max_match_rules_per_connection. */
int method_add_match(Bus *b, Peer *from, Msg *m)
{
        const char *rule = driver_arg_string(m, 0);
        int r;

        if (!rule)
                return -EINVAL;
        if (from->n_matches >= b->config->limits.max_match_rules_per_connection)
                return dispatch_errorf(b, from, m, DBUS_ERR("LimitsExceeded"),
                                       "Connection \"%s\" is not allowed to add more match rules "
                                       "(increase limits in configuration file if required; "
                                       "max_match_rules_per_connection=%llu)",
                                       from->unique_name,
                                       (unsigned long long)b->config->limits.max_match_rules_per_connection);
        if (from->quota && from->quota->n_matches >=
                           bus_user_limit(b, b->config->limits.max_match_rules_per_connection))
                return dispatch_errorf(b, from, m, DBUS_ERR("LimitsExceeded"),
                                       "The maximum number of match rules of uid %u has been reached "
                                       "(max_match_rules_per_connection=%llu times a quarter of "
                                       "max_connections_per_user)",
                                       (unsigned)from->quota->uid,
                                       (unsigned long long)b->config->limits.max_match_rules_per_connection);
        r = match_registry_add(&b->matches, from, rule,
                               !from->policy || policy_snapshot_may_eavesdrop(from->policy));
        if (r < 0)
                return r;
        if (r == MATCH_REGISTRY_E_EAVESDROP)
                return dispatch_errorf(b, from, m, DBUS_ERR("AccessDenied"),
                                       "Connection \"%s\" is not allowed to eavesdrop: no receive rule "
                                       "of its policy allows eavesdrop=\"true\"",
                                       from->unique_name);
        if (r > 0)
                return dispatch_errorf(b, from, m, DBUS_ERR("MatchRuleInvalid"),
                                       "Invalid match rule \"%s\"", rule);
        return driver_reply_empty(b, from, m);
}

/** method_remove_match() - RemoveMatch. */
int method_remove_match(Bus *b, Peer *from, Msg *m)
{
        const char *rule = driver_arg_string(m, 0);
        int r;

        if (!rule)
                return -EINVAL;
        r = match_registry_remove(&b->matches, from, rule);
        if (r < 0)
                return r;
        if (r == MATCH_REGISTRY_E_INVALID)
                return dispatch_errorf(b, from, m, DBUS_ERR("MatchRuleInvalid"),
                                       "Invalid match rule \"%s\"", rule);
        if (r > 0)
                return dispatch_error(b, from, m, DBUS_ERR("MatchRuleNotFound"),
                                      "The given match rule wasn't found and can't be removed");
        return driver_reply_empty(b, from, m);
}

/** method_get_name_owner() - GetNameOwner. */
int method_get_name_owner(Bus *b, Peer *from, Msg *m)
{
        const char *name = driver_arg_string(m, 0);
        Peer *p;

        if (!name)
                return -EINVAL;
        if (strcmp(name, BUS_DRIVER_NAME) == 0)
                return reply_string(b, from, m, BUS_DRIVER_NAME);
        p = bus_find_by_name(b, name);
        if (!p)
                return dispatch_errorf(b, from, m, DBUS_ERR("NameHasNoOwner"),
                                       "Could not get owner of name '%s': no such name", name);
        return reply_string(b, from, m, p->unique_name);
}

/** method_list_queued_owners() - ListQueuedOwners. */
int method_list_queued_owners(Bus *b, Peer *from, Msg *m)
{
        const char *name = driver_arg_string(m, 0);
        WireBuilder wb;
        Name *n;
        Peer *p = NULL;

        if (!name)
                return -EINVAL;
        n = name[0] == ':' ? NULL : name_registry_lookup(&b->names, name);
        if (name[0] == ':' || strcmp(name, BUS_DRIVER_NAME) == 0)
                p = bus_find_by_name(b, name);
        if (!n && !p && strcmp(name, BUS_DRIVER_NAME) != 0)
                return dispatch_errorf(b, from, m, DBUS_ERR("NameHasNoOwner"),
                                       "Could not get owners of name '%s': no such name", name);
        driver_reply_init(&wb, from, m);
        wire_builder_open(&wb, 'a', "s");
        if (n) {
                ListNode *pos, *tmp;

                list_for_each_safe(pos, tmp, &n->owners)
                        wire_builder_append_string(
                                &wb, container_of(pos, NameOwner, name_link)->peer->unique_name);
        } else {
                wire_builder_append_string(&wb, p ? p->unique_name : BUS_DRIVER_NAME);
        }
        wire_builder_close(&wb);
        return driver_reply_send(b, from, m, &wb);
}

/** method_reload_config() - ReloadConfig: a bad file keeps the old configuration. */
int method_reload_config(Bus *b, Peer *from, Msg *m)
{
        _cleanup_free_ char *error = NULL;
        int r = bus_reload(b, &error);

        if (r < 0 && r != -ENOMEM)
                return dispatch_errorf(b, from, m, DBUS_ERR("Failed"), "%s",
                                       error ? error : "Unable to reload configuration");
        if (r != 0)
                return dispatch_errorf(b, from, m, DBUS_ERR("Failed"), "%s",
                                       error ? error : "Unable to reload configuration");
        return driver_reply_empty(b, from, m);
}

/** method_get_id() - GetId: the bus GUID. */
int method_get_id(Bus *b, Peer *from, Msg *m)
{
        return reply_string(b, from, m, b->guid);
}
