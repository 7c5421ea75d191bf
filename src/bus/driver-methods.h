/*
 * driver-methods.h -- the driver's method implementations beyond Hello and
 * RequestName/ReleaseName (driver.c). Each answers @m from @from; return 0,
 * -EINVAL (arguments unreadable: the caller answers InvalidArgs) or -ENOMEM.
 */
#pragma once

#include "bus/bus.h"

/* driver-names.c */
int method_start_service_by_name(Bus *b, Peer *from, Msg *m);
int method_update_activation_environment(Bus *b, Peer *from, Msg *m);
int method_name_has_owner(Bus *b, Peer *from, Msg *m);
int method_list_names(Bus *b, Peer *from, Msg *m);
int method_list_activatable_names(Bus *b, Peer *from, Msg *m);
int method_add_match(Bus *b, Peer *from, Msg *m);
int method_remove_match(Bus *b, Peer *from, Msg *m);
int method_get_name_owner(Bus *b, Peer *from, Msg *m);
int method_list_queued_owners(Bus *b, Peer *from, Msg *m);
int method_reload_config(Bus *b, Peer *from, Msg *m);
int method_get_id(Bus *b, Peer *from, Msg *m);

/* driver-creds.c */
int method_get_connection_unix_user(Bus *b, Peer *from, Msg *m);
int method_get_connection_unix_process_id(Bus *b, Peer *from, Msg *m);
int method_get_adt_audit_session_data(Bus *b, Peer *from, Msg *m);
int method_get_connection_selinux_context(Bus *b, Peer *from, Msg *m);
int method_get_connection_credentials(Bus *b, Peer *from, Msg *m);

/* driver-props.c */
int method_properties_get(Bus *b, Peer *from, Msg *m);
int method_properties_get_all(Bus *b, Peer *from, Msg *m);
int method_properties_set(Bus *b, Peer *from, Msg *m);
int method_introspect(Bus *b, Peer *from, Msg *m);
int method_become_monitor(Bus *b, Peer *from, Msg *m);
int method_get_stats(Bus *b, Peer *from, Msg *m);
int method_get_machine_id(Bus *b, Peer *from, Msg *m);
int method_ping(Bus *b, Peer *from, Msg *m);

bool driver_interface_known(const char *name);
