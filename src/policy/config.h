/*
 * config.h -- dbus-daemon's XML configuration language (bus/config-parser.c),
 * parsed with expat (dlopen()ed for the parse only) into an immutable BusConfig.
 *
 * A BusConfig is everything the broker needs from a configuration file: the
 * bus type, listen addresses, auth mechanisms, identity to run as, limits,
 * SELinux/AppArmor settings and the compiled Policy (policy.h). It is built
 * once by bus_config_load() (or bus_config_new_session() for --session) and
 * never changes afterwards; the broker reads its fields directly.
 *
 * Elements and attributes are dbus-daemon's; anything unknown is an error,
 * like dbus-daemon. <include>/<includedir> are followed (relative paths
 * against the including file's directory), with a depth bound and cycle
 * detection. Service directories are recorded but nothing is activated.
 *
 * Must never: do anything but read configuration files (no sockets, no
 * logging; warnings go into BusConfig.warnings for the caller to print).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "util/macro.h"

/* positive result codes (expected outcomes, see util/error.h) */
enum {
        CONFIG_E_INVALID = 1, /* the configuration is wrong: see the error text */
};

/* bounds on what we accept (dbus-daemon has none on the first two) */
#define BUS_CONFIG_MAX_FILE_SIZE     (4u * 1024 * 1024) /* bytes per file */
#define BUS_CONFIG_MAX_INCLUDE_DEPTH 16                  /* nested <include>s */

/*
 * BusLimits - every dbus-daemon <limit name="...">, same names, same units
 * (bytes, counts, milliseconds). Defaults are dbus-daemon's compiled-in
 * ones (those a system bus uses); a session configuration overrides them as
 * session.conf does (see bus_config_new_session()).
 */
typedef struct BusLimits {
        uint64_t max_incoming_bytes;             /* 127 MiB */
        uint64_t max_incoming_unix_fds;          /* 64 */
        uint64_t max_outgoing_bytes;             /* 127 MiB */
        uint64_t max_outgoing_unix_fds;          /* 64 */
        uint64_t max_message_size;               /* 32 MiB */
        uint64_t max_message_unix_fds;           /* 16 */
        uint64_t service_start_timeout;          /* 25000 ms */
        uint64_t auth_timeout;                   /* 30000 ms */
        uint64_t pending_fd_timeout;             /* 150000 ms */
        uint64_t max_completed_connections;      /* 2048 */
        uint64_t max_incomplete_connections;     /* 64 */
        uint64_t max_connections_per_user;       /* 256 */
        uint64_t max_pending_service_starts;     /* 512 */
        uint64_t max_names_per_connection;       /* 512 */
        uint64_t max_match_rules_per_connection; /* 512 */
        uint64_t max_replies_per_connection;     /* 128 */
        int64_t reply_timeout;                   /* -1 = never (ms otherwise) */
} BusLimits;

/* one <selinux><associate own="NAME" context="CTX"/></selinux> entry */
typedef struct BusSelinuxAssociation {
        char *own;
        char *context;
} BusSelinuxAssociation;

typedef enum {
        BUS_APPARMOR_DISABLED = 0,
        BUS_APPARMOR_ENABLED, /* <apparmor mode="enabled"/> (dbus-daemon's default) */
        BUS_APPARMOR_REQUIRED,
} BusApparmorMode;

/*
 * BusConfig - a loaded configuration. Lists are NULL-terminated string arrays
 * (never NULL themselves; possibly empty). Later elements override earlier
 * ones as in dbus-daemon: <type>, <user>, <pidfile>, <servicehelper> keep the
 * last value, <listen>, <auth>, <servicedir> accumulate in file order.
 */
typedef struct BusConfig {
        char *type;            /* <type>: "session", "system", ... or NULL */
        char **listen;         /* <listen> addresses, in order */
        char **auth;           /* <auth> mechanisms; empty = all we support */
        bool allow_anonymous;  /* <allow_anonymous/> */
        bool keep_umask;       /* <keep_umask/> */
        bool fork;             /* <fork/> */
        bool syslog;           /* <syslog/> */
        char *user;            /* <user>: a name or "#uid" as written, or NULL */
        char *pidfile;         /* <pidfile> or NULL */
        char *servicehelper;   /* <servicehelper> or NULL (never run) */
        char **servicedirs;    /* <servicedir>s and standard dirs (recorded only) */
        BusLimits limits;
        BusSelinuxAssociation *selinux_associations;
        size_t n_selinux_associations;
        BusApparmorMode apparmor;
        Policy *policy;        /* owned; never NULL */
        char **warnings;       /* non-fatal: "file:line: unknown user \"x\" ..." */
} BusConfig;

/* flags for bus_config_load*() */
enum {
        BUS_CONFIG_NO_INCLUDES = 1u << 0, /* treat <include>/<includedir> as missing (fuzzing) */
        BUS_CONFIG_NO_NSS = 1u << 1,      /* never ask the user/group database (fuzzing) */
};

/*
 * bus_config_load() - read and compile the configuration file @path.
 * @ret_error (optional): on failure a malloc'd message naming the file, line
 * and element, e.g. "/etc/x.conf:12: <allow>: Bad message type \"foo\"".
 * Returns 0, CONFIG_E_INVALID (bad configuration, or a file that cannot be
 * read: dbus-daemon refuses both), -ELIBACC (libexpat, which is loaded only
 * for the parse, cannot be loaded; @ret_error says why), or -ENOMEM.
 */
int bus_config_load(const char *path, unsigned flags, BusConfig **ret, char **ret_error);

/*
 * bus_config_load_from_buffer() - the same from memory. @name is used in
 * messages and to tell rules apart; relative <include>s resolve against
 * @basedir (NULL: includes are refused unless ignore_missing).
 */
int bus_config_load_from_buffer(const void *data, size_t size, const char *name, const char *basedir,
                                unsigned flags, BusConfig **ret, char **ret_error);

/*
 * bus_config_new_session() - the built-in configuration for --session: what
 * dbus-daemon's session.conf says (type session, listen unix:tmpdir=/tmp,
 * auth EXTERNAL, allow everything, session limits), without its includes.
 * Returns 0 or -ENOMEM.
 */
int bus_config_new_session(BusConfig **ret);

/* bus_config_limits_default() - dbus-daemon's compiled-in limits */
void bus_config_limits_default(BusLimits *ret);

BusConfig *bus_config_free(BusConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusConfig *, bus_config_free);

/*
 * bus_config_selinux_check_own() - the SELinux hook: may a peer with security
 * context @peer_context own @name under the <associate> table? Without
 * libselinux (or SELinux disabled) always 0. Returns 0 or POLICY_E_DENIED.
 */
int bus_config_selinux_check_own(const BusConfig *c, const char *peer_context, const char *name);
