/*
 * peer.c -- a client's lifetime: creation from an accepted socket
 * (credentials, SASL setup, compiled policy) and the final free.
 * Everything the peer held on the bus is released by bus_peer_disconnect()
 * before peer_free() runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bus/bus.h"
#include "bus/monitor.h"
#include "bus/peer.h"

static bool auth_allowed(const BusConfig *c, const char *mech)
{
        if (!c->auth || !c->auth[0])
                return true;
        for (char **a = c->auth; *a; a++)
                if (strcmp(*a, mech) == 0)
                        return true;
        return false;
}

static int peer_policy(Bus *bus, Peer *p)
{
        gid_t gids[65];
        size_t n = 0;
        int r;

        gids[n++] = p->creds.gid;
        for (size_t i = 0; i < p->creds.n_groups && n < ELEMENTSOF(gids); i++)
                if (p->creds.groups[i] != p->creds.gid)
                        gids[n++] = p->creds.groups[i];
        r = policy_cache_get(&bus->policies, bus->config->policy, p->creds.uid, gids, n, &p->policy_entry);
        if (r < 0)
                return r;
        p->policy = p->policy_entry->snapshot;
        return 0;
}

/** peer_new() - see peer.h. */
int peer_new(struct Bus *bus, int fd, Peer **ret)
{
        WireSaslConfig cfg = { 0 };
        ConnectionLimits lim;
        Peer *p;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p) {
                safe_close(fd);
                return -ENOMEM;
        }
        p->bus = bus;
        list_init(&p->names);
        list_init(&p->matches);
        list_init(&p->replies_out);
        list_init(&p->replies_in);
        r = peer_creds_read(fd, &p->creds);
        if (r < 0) {
                safe_close(fd);
                free(p);
                return r;
        }
        cfg.peer_uid = p->creds.uid;
        cfg.allow_external = auth_allowed(bus->config, "EXTERNAL");
        cfg.allow_anonymous = bus->config->allow_anonymous && auth_allowed(bus->config, "ANONYMOUS");
        cfg.unix_fd_possible = true;
        memcpy(cfg.guid, bus->guid, sizeof(cfg.guid));
        lim.max_message_size = (size_t)MIN(bus->config->limits.max_message_size,
                                           (uint64_t)WIRE_MAX_MESSAGE_SIZE);
        lim.max_message_fds = (unsigned)MIN(bus->config->limits.max_message_unix_fds, 1024u);
        r = connection_init(&p->conn, fd, &cfg, &lim);
        p->conn.spare_in = &bus->spare_in;
        if (r == 0)
                r = peer_policy(bus, p);
        if (r < 0) {
                peer_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

/** peer_free() - see peer.h. */
Peer *peer_free(Peer *p)
{
        if (!p)
                return NULL;
        monitor_free_rules(p);
        connection_deinit(&p->conn);
        policy_cache_put(&p->bus->policies, p->policy_entry);
        peer_creds_deinit(&p->creds);
        free(p);
        return NULL;
}

/** peer_collect_names() - see peer.h. */
size_t peer_collect_names(const Peer *p, const char **buf, size_t cap)
{
        const ListNode *pos;
        size_t n = 0;

        if (cap == 0)
                return 0;
        if (p->unique_name[0])
                buf[n++] = p->unique_name;
        for (pos = p->names.next; pos != &p->names && n < cap; pos = pos->next)
                buf[n++] = container_of(pos, NameOwner, peer_link)->name->str;
        return n;
}

/** peer_count_names() - see peer.h. */
void peer_count_names(Peer *p)
{
        unsigned n = 0;

        for (ListNode *pos = p->names.next; pos != &p->names; pos = pos->next)
                n++;
        if (p->quota)   /* the uid's share follows (n_names never exceeds it) */
                p->quota->n_names = p->quota->n_names - p->n_names + n;
        p->n_names = n;
}
