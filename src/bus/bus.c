/*
 * bus.c -- the broker's life: set-up, the epoll loop, accepting peers,
 * reading and flushing them, timers, signals, disconnect and reload.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "bus/bus.h"
#include "bus/dispatch.h"
#include "bus/driver.h"
#include "bus/listener.h"
#include "bus/monitor.h"
#include "util/error.h"
#include "wire/errors.h"

enum {
        SRC_LISTENER = 1,
        SRC_SIGNAL = 2,
        SRC_TIMER = 3,
        SRC_PEER = 4,
};

#define SRC(kind, v) (((uint64_t)(kind) << 56) | (uint64_t)(v))
#define SRC_KIND(u)  ((unsigned)((u) >> 56))
#define SRC_VAL(u)   ((u) & ((1ULL << 56) - 1))

#define ERR_NO_REPLY "org.freedesktop.DBus.Error.NoReply"
#define MAX_FD_READS_PER_TURN 16 /* reads of one peer in one loop turn while each brings fds */

/** bus_log_pass() - see bus.h. */
bool bus_log_pass(Bus *b, RateLimit *rl, const char *what)
{
        unsigned missed;
        bool pass = ratelimit_pass(rl, bus_now(), &missed);

        if (missed)
                log_notice(b->log, "%u more %s were not logged (at most %u a second)", missed, what,
                           rl->burst);
        return pass;
}

/** bus_now() - CLOCK_MONOTONIC in microseconds. */
uint64_t bus_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void hex(const uint8_t *in, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = 0;
}

static void read_machine_id(Bus *b)
{
        static const char *const files[] = { "/var/lib/dbus/machine-id", "/etc/machine-id" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char buf[64] = "";
                FILE *f = fopen(files[i], "re");
                size_t n;

                if (!f)
                        continue;
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[n] = 0;
                buf[strcspn(buf, "\r\n")] = 0;
                if (strlen(buf) == 32) {
                        memcpy(b->machine_id, buf, 33);
                        return;
                }
        }
        memcpy(b->machine_id, b->guid, 33);
}

static int setup_fds(Bus *b)
{
        struct epoll_event ev = { .events = EPOLLIN };
        sigset_t mask;

        b->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (b->epoll_fd < 0)
                return -errno;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        b->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (b->signal_fd < 0)
                return -errno;
        ev.data.u64 = SRC(SRC_SIGNAL, 0);
        if (epoll_ctl(b->epoll_fd, EPOLL_CTL_ADD, b->signal_fd, &ev) < 0)
                return -errno;
        b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (b->timer_fd < 0)
                return -errno;
        ev.data.u64 = SRC(SRC_TIMER, 0);
        if (epoll_ctl(b->epoll_fd, EPOLL_CTL_ADD, b->timer_fd, &ev) < 0)
                return -errno;
        (void)signal(SIGPIPE, SIG_IGN);
        return 0;
}

/*
 * The per-uid limits of bytes and fds. Incoming ones never go below one
 * message's worth: a uid may always send one message of max_message_size,
 * as dbus-daemon lets one message through whatever max_incoming_bytes says.
 */
static void update_user_limits(Bus *b)
{
        const BusLimits *l = &b->config->limits;

        b->user_limits.out_bytes = bus_user_limit(b, l->max_outgoing_bytes);
        b->user_limits.out_fds = bus_user_limit(b, l->max_outgoing_unix_fds);
        b->user_limits.in_bytes = MAX(bus_user_limit(b, l->max_incoming_bytes), l->max_message_size);
        b->user_limits.in_fds = MAX(bus_user_limit(b, l->max_incoming_unix_fds), l->max_message_unix_fds);
}

/** bus_new() - see bus.h. */
int bus_new(const Log *log, BusConfig *config, const char *config_path, Bus **ret)
{
        uint8_t rnd[16 + 8];
        Bus *b;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->log = log;
        b->epoll_fd = b->signal_fd = b->timer_fd = -1;
        b->config = config;
        b->uid = getuid();
        b->next_id = 1;
        list_init(&b->incomplete);
        list_init(&b->monitors);
        list_init(&b->dirty);
        list_init(&b->graveyard);
        list_init(&b->doomed);
        list_init(&b->fds_pending);
        if (config_path && !(b->config_path = strdup(config_path))) {
                bus_free(b);
                return -ENOMEM;
        }
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
                bus_free(b);
                return -EIO;
        }
        hex(rnd, 16, b->guid);
        memcpy(&b->seed, rnd + 16, 8);
        read_machine_id(b);
        hashmap_init(&b->peers, b->seed);
        hashmap_init(&b->users, b->seed ^ 1);
        name_registry_init(&b->names, b->seed ^ 2);
        match_registry_init(&b->matches, b->seed ^ 3);
        policy_cache_init(&b->policies, b->seed ^ 5);
        reply_registry_init(&b->replies, b->seed ^ 4);
        update_user_limits(b);
        b->refusals = RATELIMIT_INIT(1000000, BUS_LOG_BURST);
        r = setup_fds(b);
        if (r < 0) {
                b->config = NULL;
                bus_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

static bool user_balanced(const UserQuota *u)
{
        return u->n_connections == 0 && u->n_completed == 0 && u->n_matches == 0 && u->n_names == 0 &&
               u->n_replies == 0 && u->charge.out_bytes == 0 && u->charge.out_fds == 0 &&
               u->charge.in_bytes == 0 && u->charge.in_fds == 0;
}

/*
 * Drop a peer's reference to its uid's quota; the last one frees it. By then
 * every object the uid's peers held has been released, so each counter must
 * be back at zero: anything else is a bookkeeping bug of ours (the assert
 * makes the bus abort in debug builds, which the black-box tests notice).
 */
static void user_put(Bus *b, UserQuota *u)
{
        if (!u || --u->n_refs > 0)
                return;
        if (!user_balanced(u)) {
                log_err(b->log, "BUG: quota of uid %u not balanced when its last connection went: "
                        "%u connections, %u completed, %u matches, %u names, %u replies, "
                        "out %llu bytes %llu fds, in %llu bytes %llu fds",
                        (unsigned)u->uid, u->n_connections, u->n_completed, u->n_matches, u->n_names,
                        u->n_replies, (unsigned long long)u->charge.out_bytes,
                        (unsigned long long)u->charge.out_fds, (unsigned long long)u->charge.in_bytes,
                        (unsigned long long)u->charge.in_fds);
                assert(user_balanced(u));
        }
        hashmap_remove(&b->users, &u->node);
        free(u);
}

/* peer_free() and then the uid's reference: its charges go with the connection */
static void free_peer(Bus *b, Peer *p)
{
        UserQuota *u = p->quota;

        peer_free(p);
        user_put(b, u);
}

static void reap(Bus *b)
{
        while (!list_empty(&b->graveyard)) {
                Peer *p = container_of(b->graveyard.next, Peer, dirty_link);

                list_del(&p->dirty_link);
                free_peer(b, p);
        }
}

/** bus_free() - disconnect every peer, close listeners, free all. */
Bus *bus_free(Bus *b)
{
        HashIter it = HASH_ITER_INIT;
        HashNode *n;

        if (!b)
                return NULL;
        b->exiting = true;
        while ((n = hashmap_next(&b->peers, &it)))
                bus_peer_disconnect(b, container_of(n, Peer, id_node));
        reap(b);
        for (unsigned i = 0; i < b->n_listeners; i++)
                listener_close(&b->listeners[i]);
        it = HASH_ITER_INIT;
        while ((n = hashmap_next(&b->users, &it)))
                free(container_of(n, UserQuota, node));
        hashmap_deinit(&b->users);
        hashmap_deinit(&b->peers);
        reply_registry_deinit(&b->replies);
        match_registry_deinit(&b->matches);
        policy_cache_deinit(&b->policies);
        name_registry_deinit(&b->names);
        safe_close(b->epoll_fd);
        safe_close(b->signal_fd);
        safe_close(b->timer_fd);
        bus_config_free(b->config);
        free(b->config_path);
        free(b->spare_in);
        free(b);
        return NULL;
}

/** bus_listen() - see bus.h. */
int bus_listen(Bus *b, const char *addresses)
{
        _cleanup_free_ char *copy = strdup(addresses);
        char *save = NULL, *a;

        if (!copy)
                return -ENOMEM;
        for (a = strtok_r(copy, ";", &save); a; a = strtok_r(NULL, ";", &save)) {
                struct epoll_event ev = { .events = EPOLLIN };
                Listener *l;
                int r;

                if (b->n_listeners >= BUS_MAX_LISTENERS)
                        return -E2BIG;
                l = &b->listeners[b->n_listeners];
                r = listener_open(a, b->guid, l);
                if (r == LISTENER_E_TCP_REFUSED) {
                        log_err(b->log, "Refusing to listen on \"%s\": TCP would expose the VM's bus "
                                "to the network; QEMU's security guide (docs/system/security.rst) "
                                "requires a UNIX socket. Use unix:path=... or unix:tmpdir=...", a);
                        return -EPROTONOSUPPORT;
                }
                if (r > 0) {
                        log_err(b->log, "Unsupported or malformed address \"%s\"", a);
                        return -EINVAL;
                }
                if (r < 0) {
                        log_err(b->log, "Failed to listen on \"%s\": %s", a, strerror(-r));
                        return r;
                }
                ev.data.u64 = SRC(SRC_LISTENER, b->n_listeners);
                if (epoll_ctl(b->epoll_fd, EPOLL_CTL_ADD, l->fd, &ev) < 0)
                        return -errno;
                b->n_listeners++;
        }
        return b->n_listeners > 0 ? 0 : -EINVAL;
}

/** bus_address() - see bus.h. */
const char *bus_address(const Bus *b)
{
        return b->n_listeners > 0 ? b->listeners[0].address : NULL;
}

/** bus_next_serial() - the driver's next message serial (never 0). */
uint32_t bus_next_serial(Bus *b)
{
        if (++b->serial == 0)
                b->serial = 1;
        return b->serial;
}

static bool peer_id_eq(const HashNode *n, const void *key)
{
        return container_of(n, Peer, id_node)->id == *(const uint64_t *)key;
}

/** bus_find_peer() - the live peer with @id, or NULL. */
Peer *bus_find_peer(const Bus *b, uint64_t id)
{
        HashNode *n = hashmap_find(&b->peers, hashmap_hash_u64(&b->peers, id), peer_id_eq, &id);

        return n ? container_of(n, Peer, id_node) : NULL;
}

/** bus_find_by_name() - the peer a unique or well-known @name points to. */
Peer *bus_find_by_name(const Bus *b, const char *name)
{
        if (name[0] == ':') {
                uint64_t id = 0;
                Peer *p;

                /* exactly the ":1.<id>" this bus hands out: digits without a
                 * leading zero (":1.05" is another name than ":1.5") */
                if (strncmp(name, ":1.", 3) != 0 || name[3] < '1' || name[3] > '9')
                        return NULL;
                for (const char *c = name + 3; *c; c++) {
                        if (*c < '0' || *c > '9' || id > (UINT64_MAX - 9) / 10)
                                return NULL;
                        id = id * 10 + (uint64_t)(*c - '0');
                }
                p = bus_find_peer(b, id);
                return p && p->hello_done && !p->dead ? p : NULL;
        }
        return name_registry_primary(&b->names, name);
}

/** bus_peer_dirty() - @p has output: flush it at the end of this loop turn. */
void bus_peer_dirty(Bus *b, Peer *p)
{
        if (!list_linked(&p->dirty_link) && !p->dead)
                list_add_tail(&b->dirty, &p->dirty_link);
}

static const char *peer_label(const Peer *p)
{
        return p->unique_name[0] ? p->unique_name : "(unregistered)";
}

/*
 * bus_send_to() - queue @m for @to. A receiver that cannot take more, by its
 * own outgoing limits or its uid's, is disconnected: it alone, not the sender
 * nor the other receivers (its queue is dropped at once, so the rest of a
 * broadcast sees its uid's share released).
 */
int bus_send_to(Bus *b, Peer *to, Msg *m)
{
        int r;

        if (to->dead || to->doomed)
                return 0;
        switch (bus_queue_limited(b, to, m)) {
        case BUS_LIMIT_CONNECTION:
                log_warning(b->log, "Disconnecting %s: its outgoing queue is full (%zu bytes, %u fds)",
                            peer_label(to), to->conn.out_bytes, to->conn.out_fds);
                bus_peer_doom(b, to);
                return 0;
        case BUS_LIMIT_USER:
                log_warning(b->log, "Disconnecting %s: the outgoing queues of its uid %u are full "
                            "(%llu bytes, %llu fds over all its connections)", peer_label(to),
                            (unsigned)to->quota->uid, (unsigned long long)to->quota->charge.out_bytes,
                            (unsigned long long)to->quota->charge.out_fds);
                bus_peer_doom(b, to);
                return 0;
        }
        r = connection_queue(&to->conn, m);
        if (r < 0)
                return r;
        bus_peer_dirty(b, to);
        return 0;
}

static bool user_eq(const HashNode *n, const void *key)
{
        return container_of(n, UserQuota, node)->uid == *(const uid_t *)key;
}

static UserQuota *user_get(Bus *b, uid_t uid)
{
        uint64_t h = hashmap_hash_u64(&b->users, uid);
        HashNode *n = hashmap_find(&b->users, h, user_eq, &uid);
        UserQuota *u;

        if (n) {
                u = container_of(n, UserQuota, node);
                u->n_refs++;
                return u;
        }
        u = calloc(1, sizeof(*u));
        if (!u)
                return NULL;
        u->uid = uid;
        u->n_refs = 1;
        u->denials = RATELIMIT_INIT(1000000, BUS_LOG_BURST);
        if (hashmap_insert(&b->users, &u->node, h) < 0) {
                free(u);
                return NULL;
        }
        return u;
}

static void epoll_update(Bus *b, Peer *p, bool want_out)
{
        struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0),
                                  .data.u64 = SRC(SRC_PEER, p->id) };

        if (p->epoll_out == want_out || p->dead)
                return;
        if (epoll_ctl(b->epoll_fd, EPOLL_CTL_MOD, p->conn.fd, &ev) == 0)
                p->epoll_out = want_out;
}

/** bus_arm_timer() - make the timerfd fire at the earliest reply deadline. */
void bus_arm_timer(Bus *b)
{
        uint64_t d = reply_next_deadline(&b->replies);
        struct itimerspec its = { 0 };

        if (d == b->timer_armed)
                return;
        if (d != UINT64_MAX) {
                its.it_value.tv_sec = (time_t)(d / 1000000u);
                its.it_value.tv_nsec = (long)(d % 1000000u) * 1000;
                if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                        its.it_value.tv_nsec = 1;
        }
        timerfd_settime(b->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
        b->timer_armed = d;
}

static void send_no_reply(Bus *b, ReplySlot *s, const char *text)
{
        Peer *caller = s->caller;
        Msg fake = { 0 };

        /* dispatch_error() needs only the serial and flags of the call */
        fake.h.type = WIRE_MESSAGE_METHOD_CALL;
        fake.h.serial = s->serial;
        caller->n_replies_out--;
        if (caller->quota)
                caller->quota->n_replies--;
        reply_slot_free(&b->replies, s);
        dispatch_error(b, caller, &fake, ERR_NO_REPLY, text);
}

static void on_timer(Bus *b)
{
        uint64_t now = bus_now(), junk;
        ReplySlot *s;

        (void)!read(b->timer_fd, &junk, sizeof(junk));
        while ((s = reply_first_expired(&b->replies, now)))
                send_no_reply(b, s, "Message did not receive a reply (timeout by message bus)");
        b->timer_armed = 0;
        bus_arm_timer(b);
}

static void drop_replies(Bus *b, Peer *p)
{
        while (!list_empty(&p->replies_in))
                send_no_reply(b, container_of(p->replies_in.next, ReplySlot, callee_link),
                              "Message recipient disconnected from message bus without replying");
        while (!list_empty(&p->replies_out))
                reply_slot_free(&b->replies, container_of(p->replies_out.next, ReplySlot, caller_link));
        if (p->quota)
                p->quota->n_replies -= p->n_replies_out;
        p->n_replies_out = 0;
}

/*
 * bus_peer_doom() - disconnect @p once the message being routed is done:
 * routing walks lists (match rules, monitors) that a disconnect changes.
 */
void bus_peer_doom(Bus *b, Peer *p)
{
        if (p->dead || p->doomed)
                return;
        p->doomed = true;
        /* nothing is sent to it any more: its queue leaves its uid's share now */
        connection_drop_output(&p->conn);
        list_add_tail(&b->doomed, &p->doomed_link);
}

static void disconnect_doomed(Bus *b)
{
        while (!list_empty(&b->doomed)) {
                Peer *p = container_of(b->doomed.next, Peer, doomed_link);

                list_del(&p->doomed_link);
                bus_peer_disconnect(b, p);
        }
}

/** bus_peer_disconnect() - release everything @p holds, announce it, free it later. */
void bus_peer_disconnect(Bus *b, Peer *p)
{
        if (p->dead)
                return;
        p->dead = true;
        /* what it queued and held leaves its uid's share now, not when it is freed */
        connection_release(&p->conn);
        list_del(&p->doomed_link);
        epoll_ctl(b->epoll_fd, EPOLL_CTL_DEL, p->conn.fd, NULL);
        list_del(&p->dirty_link);
        if (list_linked(&p->incomplete_link)) {
                list_del(&p->incomplete_link);
                b->n_incomplete--;
        }
        list_del(&p->monitor_link);
        list_del(&p->fds_pending_link);
        drop_replies(b, p);
        match_registry_remove_peer(&b->matches, p);
        driver_peer_gone(b, p);
        hashmap_remove(&b->peers, &p->id_node);
        b->n_peers--;
        if (p->quota) {
                p->quota->n_connections--;
                if (p->registered)
                        p->quota->n_completed--;
        }
        list_add_tail(&b->graveyard, &p->dirty_link);
}

/** bus_hello_limited() - would completing @p exceed a connection limit? */
bool bus_hello_limited(const Bus *b, const Peer *p)
{
        const BusLimits *l = &b->config->limits;

        return b->n_peers - b->n_incomplete >= l->max_completed_connections ||
               p->quota->n_completed >= l->max_connections_per_user;
}

/** bus_user_limit() - see bus.h. */
uint64_t bus_user_limit(const Bus *b, uint64_t per_connection)
{
        uint64_t share = b->config->limits.max_connections_per_user / 4;

        if (share == 0)
                share = 1;
        if (per_connection > UINT64_MAX / share)
                return UINT64_MAX;
        return per_connection * share;
}

/** bus_peer_registered() - @p sent Hello: it counts as a complete connection now. */
int bus_peer_registered(Bus *b, Peer *p)
{
        p->registered = true;
        p->quota->n_completed++;
        if (list_linked(&p->incomplete_link)) {
                list_del(&p->incomplete_link);
                b->n_incomplete--;
        }
        return 0;
}

/** bus_peer_become_monitor() - drop @p's names (announcing them) and make it a monitor. */
void bus_peer_become_monitor(Bus *b, Peer *p)
{
        drop_replies(b, p);
        match_registry_remove_peer(&b->matches, p);
        while (!list_empty(&p->names)) {
                NameOwner *o = container_of(p->names.next, NameOwner, peer_link);
                NameChange ch;
                Name *empty = NULL;

                name_registry_drop_owner(&b->names, o, &ch, &empty);
                driver_name_changed(b, &ch, false);
                free(empty);
        }
        peer_count_names(p);    /* 0, released from the uid's quota too */
        driver_signal(b, NULL, "NameOwnerChanged", p->unique_name, p->unique_name, "", NULL);
        driver_signal(b, p, "NameLost", p->unique_name, NULL);
        p->hello_done = false;
        p->monitor = true;
        list_add_tail(&b->monitors, &p->monitor_link);
}

static bool accept_allowed(Bus *b, Peer *p)
{
        const BusLimits *l = &b->config->limits;

        if (b->n_incomplete >= l->max_incomplete_connections)
                return false;
        if (p->quota->n_connections >= l->max_connections_per_user + l->max_incomplete_connections)
                return false;
        if (policy_check_connect(b->config->policy, b->uid, p->creds.uid, p->creds.groups,
                                 p->creds.n_groups, NULL) != 0)
                return false;
        return true;
}

static void on_accept(Bus *b, Listener *l)
{
        struct epoll_event ev = { .events = EPOLLIN };
        Peer *p;
        int fd, r;

        fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return;
        r = peer_new(b, fd, &p);
        if (r < 0)
                return;
        p->quota = user_get(b, p->creds.uid);
        if (!p->quota || !accept_allowed(b, p)) {
                if (bus_log_pass(b, &b->refusals, "refused connections"))
                        log_notice(b->log, "Refusing connection from uid %u: limits or policy",
                                   (unsigned)p->creds.uid);
                free_peer(b, p);
                return;
        }
        p->conn.charge = &p->quota->charge;
        p->id = b->next_id++;
        p->connect_usec = bus_now();
        ev.data.u64 = SRC(SRC_PEER, p->id);
        if (epoll_ctl(b->epoll_fd, EPOLL_CTL_ADD, p->conn.fd, &ev) < 0 ||
            hashmap_insert(&b->peers, &p->id_node, hashmap_hash_u64(&b->peers, p->id)) < 0) {
                free_peer(b, p);
                return;
        }
        p->quota->n_connections++;
        b->n_peers++;
        b->n_incomplete++;
        list_add_tail(&b->incomplete, &p->incomplete_link);
}

static void process_input(Bus *b, Peer *p)
{
        Msg *m;
        int r;

        while (!p->dead) {
                r = connection_pop(&p->conn, &m);
                if (r == -EAGAIN)
                        break;
                if (r == WIRE_E_UNKNOWN_MESSAGE_TYPE)
                        continue;
                if (r != 0) {
                        log_info(b->log, "Disconnecting %s: %s", p->unique_name[0] ? p->unique_name : "(unregistered)",
                                 r > 0 ? wire_strerror(r) : strerror(-r));
                        bus_peer_disconnect(b, p);
                        return;
                }
                r = dispatch_incoming(b, p, m);
                msg_unref(m);
                disconnect_doomed(b);
                if (r != 0) {
                        bus_peer_disconnect(b, p);
                        return;
                }
        }
}

/* Track fds that arrived ahead of the rest of their message (pending_fd_timeout). */
static void track_pending_fds(Bus *b, Peer *p)
{
        if (p->dead || p->conn.n_in_fds == 0) {
                list_del(&p->fds_pending_link);
                return;
        }
        if (p->creds.uid == 0 || list_linked(&p->fds_pending_link))
                return;
        p->fds_pending_usec = bus_now();
        list_add_tail(&b->fds_pending, &p->fds_pending_link);
}

/*
 * Input is read and routed at once, so what a uid's connections hold is
 * the unfinished messages (and their fds) it sends slowly. Past the uid's
 * share the connection whose read went over is dropped. Not back-pressure
 * as in dbus-daemon: held input only shrinks when its own connection sends
 * the rest, so not reading from the uid would stall it for good.
 */
static bool input_limited(const Bus *b, const Peer *p)
{
        return p->quota->charge.in_bytes > b->user_limits.in_bytes ||
               p->quota->charge.in_fds > b->user_limits.in_fds;
}

static void on_peer(Bus *b, Peer *p, uint32_t events)
{
        bool eagain = false;
        int r;

        if (events & EPOLLOUT) {
                r = connection_flush(&p->conn);
                if (r == 0)
                        epoll_update(b, p, false);
                else if (r != -EAGAIN) {
                        bus_peer_disconnect(b, p);
                        return;
                }
        }
        if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return;
        /* one read per turn, unless it brought fds: the kernel ends a read
         * after each write that carries fds, so a peer sending them would get
         * one message through per turn; read on, a bounded number of times */
        for (unsigned k = 0; k < MAX_FD_READS_PER_TURN; k++) {
                bool fds = false;

                r = connection_read(&p->conn, &eagain, &fds);
                if (connection_has_output(&p->conn))
                        bus_peer_dirty(b, p);
                if (r != 0) {
                        bus_peer_disconnect(b, p);
                        return;
                }
                if (eagain)
                        break;
                process_input(b, p);
                if (p->dead || !fds || input_limited(b, p))
                        break;
        }
        track_pending_fds(b, p);
        if (!p->dead && input_limited(b, p)) {
                log_warning(b->log, "Disconnecting %s: uid %u holds too much unfinished input "
                            "(%llu bytes, %llu fds over all its connections)",
                            peer_label(p), (unsigned)p->creds.uid,
                            (unsigned long long)p->quota->charge.in_bytes,
                            (unsigned long long)p->quota->charge.in_fds);
                bus_peer_disconnect(b, p);
        }
}

static void flush_dirty(Bus *b)
{
        while (!list_empty(&b->dirty)) {
                Peer *p = container_of(b->dirty.next, Peer, dirty_link);
                int r;

                list_del(&p->dirty_link);
                if (p->doomed)
                        continue;
                /* its socket was full: EPOLLOUT flushes it, a sendmsg now would only
                 * fail again (one wasted system call per loop turn per stuck peer) */
                if (p->epoll_out)
                        continue;
                r = connection_flush(&p->conn);
                if (r == -EAGAIN)
                        epoll_update(b, p, true);
                else if (r < 0)
                        bus_peer_disconnect(b, p);
        }
}

static void on_signal(Bus *b)
{
        struct signalfd_siginfo si;

        while (read(b->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                        _cleanup_free_ char *error = NULL;

                        if (bus_reload(b, &error) != 0)
                                log_err(b->log, "Unable to reload configuration: %s",
                                        error ? error : "out of memory");
                } else {
                        b->exiting = true;
                }
        }
}

static void on_event(Bus *b, const struct epoll_event *ev)
{
        uint64_t v = SRC_VAL(ev->data.u64);
        Peer *p;

        switch (SRC_KIND(ev->data.u64)) {
        case SRC_LISTENER:
                if (v < b->n_listeners)
                        on_accept(b, &b->listeners[v]);
                break;
        case SRC_SIGNAL:
                on_signal(b);
                break;
        case SRC_TIMER:
                on_timer(b);
                break;
        case SRC_PEER:
                p = bus_find_peer(b, v);
                if (p && !p->dead)
                        on_peer(b, p, ev->events);
                break;
        }
}

/*
 * Connections that have not said Hello within auth_timeout go. The list is
 * in accept order, so only its head needs looking at. Returns the epoll
 * timeout (ms) until the next one expires, -1 if none.
 */
static int expire_pending_fds(Bus *b, uint64_t now)
{
        uint64_t limit = b->config->limits.pending_fd_timeout * 1000u;

        while (!list_empty(&b->fds_pending)) {
                Peer *p = container_of(b->fds_pending.next, Peer, fds_pending_link);
                uint64_t deadline = p->fds_pending_usec + limit;

                if (deadline > now)
                        return (int)MIN((deadline - now) / 1000u + 1, (uint64_t)INT32_MAX);
                log_info(b->log, "Disconnecting %s: file descriptors pending longer than "
                         "pending_fd_timeout", p->unique_name);
                bus_peer_disconnect(b, p);
        }
        return -1;
}

static int expire_incomplete(Bus *b)
{
        uint64_t limit = b->config->limits.auth_timeout * 1000u, now = bus_now();
        int t = expire_pending_fds(b, now);

        while (!list_empty(&b->incomplete)) {
                Peer *p = container_of(b->incomplete.next, Peer, incomplete_link);
                uint64_t deadline = p->connect_usec + limit;

                if (deadline > now) {
                        int u = (int)MIN((deadline - now) / 1000u + 1, (uint64_t)INT32_MAX);

                        return t < 0 ? u : MIN(t, u);
                }
                log_info(b->log, "Disconnecting a connection that did not complete within "
                         "auth_timeout (uid %u)", (unsigned)p->creds.uid);
                bus_peer_disconnect(b, p);
        }
        return t;
}

/** bus_run() - see bus.h. */
int bus_run(Bus *b)
{
        struct epoll_event evs[64];

        while (!b->exiting) {
                int timeout = expire_incomplete(b), n;

                /* expiries emit signals and leave peers to free */
                flush_dirty(b);
                disconnect_doomed(b);
                reap(b);
                n = epoll_wait(b->epoll_fd, evs, (int)ELEMENTSOF(evs), timeout);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < n; i++) {
                        on_event(b, &evs[i]);
                        disconnect_doomed(b);
                }
                flush_dirty(b);
                disconnect_doomed(b);
                reap(b);
        }
        return 0;
}

static void refresh_policies(Bus *b)
{
        HashIter it = HASH_ITER_INIT;
        HashNode *n;

        /* an entry that cannot be recompiled keeps its old snapshot, as before */
        (void)policy_cache_reload(&b->policies, b->config->policy);
        while ((n = hashmap_next(&b->peers, &it))) {
                Peer *p = container_of(n, Peer, id_node);

                if (p->policy_entry)
                        p->policy = p->policy_entry->snapshot;
        }
}

/** bus_reload() - see bus.h. */
int bus_reload(Bus *b, char **ret_error)
{
        BusConfig *c = NULL;
        int r;

        if (b->config_path)
                r = bus_config_load(b->config_path, 0, &c, ret_error);
        else
                r = bus_config_new_session(&c);
        if (r != 0)
                return r;
        bus_config_free(b->config);
        b->config = c;
        update_user_limits(b);
        refresh_policies(b);
        log_info(b->log, "Reloaded configuration");
        return 0;
}
