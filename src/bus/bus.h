/*
 * bus.h -- the broker: one epoll loop owning listeners, peers, the name,
 * match and reply registries, monitors, configuration and quotas.
 *
 * Must never: block, or let one peer stall the others.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "bus/match-registry.h"
#include "bus/msg.h"
#include "bus/name-registry.h"
#include "bus/peer.h"
#include "bus/policy-cache.h"
#include "bus/reply.h"
#include "policy/config.h"
#include "util/hashmap.h"
#include "util/list.h"
#include "util/log.h"
#include "util/ratelimit.h"

#define BUS_DRIVER_NAME "org.freedesktop.DBus"
#define BUS_DRIVER_PATH "/org/freedesktop/DBus"
#define BUS_MAX_LISTENERS 8

typedef struct UserQuota {
        HashNode node;
        uid_t uid;
        unsigned n_refs;        /* Peer.quota pointing here, dead ones not yet freed included */
        unsigned n_connections; /* all, incomplete included */
        unsigned n_completed;   /* after Hello */
        unsigned n_matches;     /* match rules of all its connections */
        unsigned n_names;       /* names owned or queued for, all its connections */
        unsigned n_replies;     /* pending replies (Peer.n_replies_out), all its connections */
        ConnectionCharge charge; /* bytes and fds queued to and held from all its connections */
        RateLimit denials;      /* log lines of its denied messages and names */
} UserQuota;

/* The per-uid limits of queued bytes and fds (bus_user_limit() of each), kept
 * computed so that routing a message costs no division. */
typedef struct UserLimits {
        uint64_t out_bytes, out_fds, in_bytes, in_fds;
} UserLimits;

/* bus_queue_limited(): which outgoing limit a message would break */
enum {
        BUS_LIMIT_CONNECTION = 1,       /* the receiving connection's own */
        BUS_LIMIT_USER,                 /* the receiving uid's, over all its connections */
};

typedef struct Listener {
        int fd;
        char *path;             /* socket file to unlink at exit, or NULL */
        char *address;          /* printable address incl. guid */
} Listener;

typedef struct Bus {
        const Log *log;
        int epoll_fd;
        int signal_fd;
        int timer_fd;
        bool exiting;
        Listener listeners[BUS_MAX_LISTENERS];
        unsigned n_listeners;

        BusConfig *config;
        char *config_path;      /* NULL for --session */
        bool systemd_activation;
        uid_t uid;              /* the bus's own uid */
        char guid[33];
        char machine_id[33];
        uint64_t seed;

        Hashmap peers;          /* Peer.id_node, all peers */
        uint64_t next_id;
        unsigned n_peers, n_incomplete;
        ListNode incomplete;    /* peers before Hello */
        ListNode fds_pending;   /* Peer.fds_pending_link: fds without their message yet */
        Hashmap users;          /* UserQuota by uid, while the uid has peers */
        UserLimits user_limits;
        RateLimit refusals;     /* log lines of refused connections */
        NameRegistry names;
        MatchRegistry matches;
        ReplyRegistry replies;
        ListNode monitors;      /* Peer.monitor_link */
        ListNode dirty;         /* Peer.dirty_link: output to flush */
        ListNode doomed;        /* Peer.doomed_link: disconnect after this message */
        ListNode graveyard;     /* Peer.dirty_link: disconnected, freed after this turn */
        uint32_t serial;        /* driver's message serials */
        uint64_t stamp;         /* per-broadcast dedupe counter */
        uint64_t timer_armed;   /* deadline the timerfd is set to */
        uint8_t *spare_in;      /* Connection.spare_in: one empty input buffer for all peers */
        PolicyCache policies;   /* Peer.policy_entry: snapshots shared by uid and groups */
} Bus;

/**
 * bus_new() - a bus with configuration @config (taken). @config_path is kept
 * for ReloadConfig (NULL: --session, reload rebuilds the built-in one).
 */
int bus_new(const Log *log, BusConfig *config, const char *config_path, Bus **ret);
Bus *bus_free(Bus *b);

/**
 * bus_listen() - listen on each address of the ';'-separated @addresses.
 * Return: 0, -errno, or -EPROTONOSUPPORT (tcp: refused) with a log line.
 */
int bus_listen(Bus *b, const char *addresses);

/** bus_address() - the printable address of the first listener. */
const char *bus_address(const Bus *b);

/** bus_run() - serve until SIGTERM/SIGINT. Return: 0 or -errno. */
int bus_run(Bus *b);

/** bus_reload() - re-read the configuration; on error keep the old one. */
int bus_reload(Bus *b, char **ret_error);

/* for the bus's own modules */
uint64_t bus_now(void);
void bus_peer_disconnect(Bus *b, Peer *p);
void bus_peer_doom(Bus *b, Peer *p);
void bus_peer_dirty(Bus *b, Peer *p);
Peer *bus_find_peer(const Bus *b, uint64_t id);
Peer *bus_find_by_name(const Bus *b, const char *name);
int bus_send_to(Bus *b, Peer *to, Msg *m);
uint32_t bus_next_serial(Bus *b);
void bus_arm_timer(Bus *b);
int bus_peer_registered(Bus *b, Peer *p);
bool bus_hello_limited(const Bus *b, const Peer *p);

/**
 * bus_user_limit() - the per-uid limit for an object whose per-connection
 * limit is @per_connection: a uid may fill a quarter of its
 * max_connections_per_user connections (at least one) to the
 * per-connection maximum (docs/policy.md, "Per-uid quotas").
 */
uint64_t bus_user_limit(const Bus *b, uint64_t per_connection);
void bus_peer_become_monitor(Bus *b, Peer *p);

/* log lines a peer can provoke at will: at most this many a second, per uid */
#define BUS_LOG_BURST 10

/**
 * bus_log_pass() - may one more line of a kind a peer can provoke at will
 * (a denial, a refused connection) go out now, within @rl? When a new second
 * begins after lines were held back, says how many, naming @what.
 * Return: true if the line may be logged.
 */
bool bus_log_pass(Bus *b, RateLimit *rl, const char *what);

/**
 * bus_queue_limited() - would queueing @m for @to exceed @to's outgoing
 * limits (max_outgoing_bytes, max_outgoing_unix_fds), per connection or per
 * uid? Two additions and compares each: it runs for every receiver. A
 * connection with nothing queued takes any one message, as on dbus-daemon
 * (which compares what is queued already): a message the bus accepted always
 * reaches a receiver that reads, whatever it holds beyond its wire size. The
 * uid's limits have no such exception.
 * Return: 0, BUS_LIMIT_CONNECTION or BUS_LIMIT_USER.
 */
static inline int bus_queue_limited(const Bus *b, const Peer *to, const Msg *m)
{
        const BusLimits *l = &b->config->limits;
        size_t size = connection_queue_size(m);

        if (to->conn.out_count > 0 && (to->conn.out_bytes + size > l->max_outgoing_bytes ||
                                       to->conn.out_fds + m->n_fds > l->max_outgoing_unix_fds))
                return BUS_LIMIT_CONNECTION;
        if (to->quota && (to->quota->charge.out_bytes + size > b->user_limits.out_bytes ||
                          to->quota->charge.out_fds + m->n_fds > b->user_limits.out_fds))
                return BUS_LIMIT_USER;
        return 0;
}
