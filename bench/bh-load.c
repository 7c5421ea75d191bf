/*
 * bh-load.c -- a small load generator for comparing D-Bus buses. It speaks
 * the wire protocol itself (little-endian, fixed message shapes) so that its
 * own cost is tiny and identical for every bus under test.
 *
 *   bh-load ADDR echo NAME                 serve NAME: reply to every call with its body (and fds)
 *   bh-load ADDR call NAME COUNT QUEUE [CLIENTS] [--fd]
 *                                          COUNT calls in total, QUEUE in flight per client;
 *                                          prints "calls/s p50_us p99_us"
 *   bh-load ADDR fanout SUBSCRIBERS COUNT  one sender, SUBSCRIBERS matching receivers;
 *                                          prints "deliveries/s"
 *   bh-load ADDR hold CONNS MATCHES        open CONNS connections (MATCHES distinct match rules
 *                                          on the first), print "ready", wait for stdin EOF
 *   bh-load ADDR stuck                     subscribe to fanout's signals, print "ready", never
 *                                          read again (a client that stopped reading)
 *   bh-load ADDR reader                    the same subscriber, reading (and dropping) all it gets:
 *                                          what `stuck` is compared with
 *
 * Only for bench/: no validation of what the bus sends beyond what it needs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* when built by bench.py; meson passes -D_GNU_SOURCE */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct Conn {
        int fd;
        uint32_t serial;
        uint8_t *in;
        size_t in_len, in_cap;
        char unique[64];
} Conn;

static void die(const char *what)
{
        fprintf(stderr, "bh-load: %s: %s\n", what, strerror(errno));
        exit(1);
}

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- marshalling of the few shapes we need ---------------------------------------------- */

typedef struct Buf {
        uint8_t b[4096];
        size_t n;
} Buf;

static void pad(Buf *b, size_t a)
{
        while (b->n % a)
                b->b[b->n++] = 0;
}
static void u32(Buf *b, uint32_t v)
{
        pad(b, 4);
        memcpy(b->b + b->n, &v, 4);
        b->n += 4;
}
static void str(Buf *b, const char *s)
{
        size_t l = strlen(s);
        u32(b, (uint32_t)l);
        memcpy(b->b + b->n, s, l + 1);
        b->n += l + 1;
}
static void sig(Buf *b, const char *s)
{
        size_t l = strlen(s);
        b->b[b->n++] = (uint8_t)l;
        memcpy(b->b + b->n, s, l + 1);
        b->n += l + 1;
}
static void field_s(Buf *b, uint8_t code, char type, const char *v)
{
        char t[2] = { type, 0 };
        pad(b, 8);
        b->b[b->n++] = code;
        sig(b, t);
        if (type == 'g')
                sig(b, v);
        else
                str(b, v);
}
static void field_u(Buf *b, uint8_t code, uint32_t v)
{
        pad(b, 8);
        b->b[b->n++] = code;
        sig(b, "u");
        u32(b, v);
}

/* Build one message; body is already marshalled (offsets relative to its start). */
static size_t build(uint8_t *out, uint8_t type, uint8_t flags, uint32_t serial, const char *path,
                    const char *iface, const char *member, const char *dest, const char *signature,
                    uint32_t reply_serial, uint32_t n_fds, const uint8_t *body, size_t body_len)
{
        Buf h = { .n = 0 };
        uint32_t flen;

        h.b[0] = 'l';
        h.b[1] = type;
        h.b[2] = flags;
        h.b[3] = 1;
        h.n = 4;
        u32(&h, (uint32_t)body_len);
        u32(&h, serial);
        u32(&h, 0); /* fields length, patched below */
        if (path)
                field_s(&h, 1, 'o', path);
        if (iface)
                field_s(&h, 2, 's', iface);
        if (member)
                field_s(&h, 3, 's', member);
        if (reply_serial)
                field_u(&h, 5, reply_serial);
        if (dest)
                field_s(&h, 6, 's', dest);
        if (signature && *signature)
                field_s(&h, 8, 'g', signature);
        if (n_fds)
                field_u(&h, 9, n_fds);
        flen = (uint32_t)(h.n - 16);
        memcpy(h.b + 12, &flen, 4);
        pad(&h, 8);
        memcpy(out, h.b, h.n);
        memcpy(out + h.n, body, body_len);
        return h.n + body_len;
}

/* ---- I/O -------------------------------------------------------------------------------- */

static void send_all(Conn *c, const uint8_t *p, size_t n, int fd_to_pass)
{
        while (n) {
                struct iovec iov = { (void *)(uintptr_t)p, n }; /* sendmsg only reads it */
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                char cbuf[CMSG_SPACE(sizeof(int))];
                ssize_t k;

                if (fd_to_pass >= 0) {
                        struct cmsghdr *cm;
                        memset(cbuf, 0, sizeof(cbuf));
                        mh.msg_control = cbuf;
                        mh.msg_controllen = sizeof(cbuf);
                        cm = CMSG_FIRSTHDR(&mh);
                        cm->cmsg_level = SOL_SOCKET;
                        cm->cmsg_type = SCM_RIGHTS;
                        cm->cmsg_len = CMSG_LEN(sizeof(int));
                        memcpy(CMSG_DATA(cm), &fd_to_pass, sizeof(int));
                }
                k = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        die("sendmsg");
                }
                p += k;
                n -= (size_t)k;
                fd_to_pass = -1;
        }
}

/*
 * Wait for input with poll(), then read whatever is there; received fds are
 * closed at once. poll() first, as libdbus, sd-bus and GDBus do: a reader
 * blocked in recvmsg() itself is woken (and goes back to sleep) each time
 * the bus takes one of its writes off the socket, since the kernel's
 * "writable again" wake-up does not look at what a blocked read waits for.
 */
static void fill(Conn *c)
{
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        char cbuf[CMSG_SPACE(sizeof(int) * 16)];
        struct iovec iov;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                             .msg_controllen = sizeof(cbuf) };
        ssize_t k;

        if (c->in_cap - c->in_len < 65536) {
                c->in_cap = c->in_cap ? c->in_cap * 2 : 262144;
                c->in = realloc(c->in, c->in_cap);
                if (!c->in)
                        die("realloc");
        }
        iov.iov_base = c->in + c->in_len;
        iov.iov_len = c->in_cap - c->in_len;
        if (poll(&pfd, 1, -1) < 0) {
                if (errno == EINTR)
                        return;
                die("poll");
        }
        k = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
        if (k <= 0) {
                if (k < 0 && errno == EINTR)
                        return;
                fprintf(stderr, "bh-load: the bus closed the connection\n");
                exit(1);
        }
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_type == SCM_RIGHTS)
                        for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                                close(((int *)CMSG_DATA(cm))[i]);
        c->in_len += (size_t)k;
}

typedef struct Msg {
        uint8_t type;
        uint32_t serial, reply_serial;
        const uint8_t *raw;
        size_t size, body_off;
        char sender[64], member[64];
} Msg;

/* Take one complete message from the input buffer, if there is one. */
static int take(Conn *c, Msg *m, uint8_t *copy)
{
        uint32_t body_len, flen;
        size_t size, pos, end;

        if (c->in_len < 16)
                return 0;
        memcpy(&body_len, c->in + 4, 4);
        memcpy(&flen, c->in + 12, 4);
        pos = 16;
        end = 16 + flen;
        size = ((end + 7) & ~(size_t)7) + body_len;
        if (c->in_len < size)
                return 0;
        memset(m, 0, sizeof(*m));
        m->type = c->in[1];
        memcpy(&m->serial, c->in + 8, 4);
        while (pos < end) {
                uint8_t code = c->in[pos], slen = c->in[pos + 1];
                char t = (char)c->in[pos + 2];
                pos += 2 + slen + 1;
                if (t == 'u') {
                        pos = (pos + 3) & ~(size_t)3;
                        if (code == 5)
                                memcpy(&m->reply_serial, c->in + pos, 4);
                        pos += 4;
                } else if (t == 'g') {
                        pos += 1 + c->in[pos] + 1;
                } else {
                        uint32_t l;
                        pos = (pos + 3) & ~(size_t)3;
                        memcpy(&l, c->in + pos, 4);
                        if (code == 7 && l < sizeof(m->sender))
                                memcpy(m->sender, c->in + pos + 4, l + 1);
                        if (code == 3 && l < sizeof(m->member))
                                memcpy(m->member, c->in + pos + 4, l + 1);
                        pos += 4 + l + 1;
                }
                pos = (pos + 7) & ~(size_t)7;
        }
        if (copy)
                memcpy(copy, c->in, size);
        m->raw = copy;
        m->size = size;
        m->body_off = (end + 7) & ~(size_t)7;
        memmove(c->in, c->in + size, c->in_len - size);
        c->in_len -= size;
        return 1;
}

static Msg wait_reply(Conn *c, uint32_t serial, uint8_t *copy)
{
        Msg m;
        for (;;) {
                while (take(c, &m, copy))
                        if (m.reply_serial == serial)
                                return m;
                fill(c);
        }
}

static uint32_t call_driver(Conn *c, const char *member, const char *signature, const uint8_t *body,
                            size_t body_len)
{
        uint8_t out[4096];
        size_t n = build(out, 1, 0, ++c->serial, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                         member, "org.freedesktop.DBus", signature, 0, 0, body, body_len);
        send_all(c, out, n, -1);
        return c->serial;
}

static void body_str(Buf *b, const char *s)
{
        b->n = 0;
        str(b, s);
}

static void connect_bus(Conn *c, const char *address)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *p = strstr(address, "path=");
        const char *ab = strstr(address, "abstract=");
        char line[256], uid[32], hex[64];
        size_t len, i;
        uint8_t copy[4096];
        Msg m;

        memset(c, 0, sizeof(*c));
        if (p) {
                len = strcspn(p + 5, ",");
                memcpy(sa.sun_path, p + 5, len);
        } else if (ab) {
                len = strcspn(ab + 9, ",");
                memcpy(sa.sun_path + 1, ab + 9, len);
                len++;
        } else {
                fprintf(stderr, "bh-load: only unix:path= and abstract= addresses\n");
                exit(2);
        }
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa,
                                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                                             (p ? 1 : 0))) < 0)
                die("connect");
        snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
        for (i = 0; uid[i]; i++)
                sprintf(hex + 2 * i, "%02x", uid[i]);
        len = (size_t)snprintf(line, sizeof(line),
                               "%cAUTH EXTERNAL %s\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n", 0, hex);
        send_all(c, (uint8_t *)line, len, -1);
        /* read "OK ...\r\nAGREE_UNIX_FD\r\n" byte-wise up to two lines */
        for (int lines = 0; lines < 2;) {
                char ch;
                if (read(c->fd, &ch, 1) != 1)
                        die("auth");
                if (ch == '\n')
                        lines++;
        }
        m = wait_reply(c, call_driver(c, "Hello", "", NULL, 0), copy);
        /* the unique name is the reply body: u32 length + string */
        {
                uint32_t l;
                memcpy(&l, copy + m.body_off, 4);
                if (l < sizeof(c->unique))
                        memcpy(c->unique, copy + m.body_off + 4, l + 1);
        }
}

/* ---- modes ------------------------------------------------------------------------------ */

static int mode_echo(const char *address, const char *name)
{
        Conn c;
        Buf b;
        uint8_t *copy = malloc(1 << 20), out[8192];
        Msg m;

        connect_bus(&c, address);
        body_str(&b, name);
        u32(&b, 4); /* DO_NOT_QUEUE */
        wait_reply(&c, call_driver(&c, "RequestName", "su", b.b, b.n), copy);
        printf("ready\n");
        fflush(stdout);
        for (;;) {
                while (take(&c, &m, copy)) {
                        size_t n, body_len;
                        if (m.type != 1)
                                continue;
                        /* reply with the first string argument only (fds are not echoed) */
                        body_len = m.size - m.body_off;
                        if (body_len >= 5) {
                                uint32_t l;
                                memcpy(&l, copy + m.body_off, 4);
                                body_len = (size_t)l + 5 <= body_len ? (size_t)l + 5 : 0;
                        }
                        if (body_len > sizeof(out) - 512)
                                body_len = 0;
                        n = build(out, 2, 1, ++c.serial, NULL, NULL, NULL, m.sender,
                                  body_len ? "s" : "", m.serial, 0, copy + m.body_off, body_len);
                        send_all(&c, out, n, -1);
                }
                fill(&c);
        }
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* One client: COUNT calls, QUEUE in flight; latencies into lat[]. */
static void run_client(const char *address, const char *dest, unsigned count, unsigned queue,
                       int with_fd, uint64_t *lat)
{
        Conn c;
        Buf b;
        uint8_t out[4096];
        uint64_t *sent = calloc(count + 1, sizeof(uint64_t));
        uint32_t first;
        unsigned done = 0, issued = 0;
        int devnull = with_fd ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
        Msg m;

        connect_bus(&c, address);
        body_str(&b, "hello, world!");
        first = c.serial + 1;
        while (done < count) {
                while (issued < count && issued - done < queue) {
                        size_t n = build(out, 1, 0, ++c.serial, "/com/example/Echo",
                                         "com.example.Echo", "Echo", dest, with_fd ? "sh" : "s",
                                         0, with_fd ? 1 : 0, b.b, b.n);
                        if (with_fd) {
                                /* append the fd index 0 after the string */
                                uint32_t zero = 0;
                                size_t body = b.n, padded = (body + 3) & ~(size_t)3;
                                uint32_t blen = (uint32_t)(padded + 4);
                                memset(out + n, 0, padded - body);
                                memcpy(out + n + (padded - body), &zero, 4);
                                memcpy(out + 4, &blen, 4);
                                n += padded - body + 4;
                        }
                        sent[issued++] = now_ns();
                        send_all(&c, out, n, devnull);
                }
                fill(&c);
                while (take(&c, &m, NULL)) {
                        if (m.reply_serial >= first && m.reply_serial < first + count) {
                                if (m.type == 3) {
                                        fprintf(stderr, "bh-load: error reply\n");
                                        exit(1);
                                }
                                lat[done++] = now_ns() - sent[m.reply_serial - first];
                        }
                }
        }
        free(sent);
}

static int mode_call(const char *address, const char *dest, unsigned count, unsigned queue,
                     unsigned clients, int with_fd)
{
        unsigned per = count / clients;
        uint64_t t0 = now_ns(), *all = calloc((size_t)per * clients, sizeof(uint64_t));
        int pipes[64][2];

        if (clients > 64)
                clients = 64;
        for (unsigned i = 0; i < clients; i++) {
                if (pipe(pipes[i]) < 0)
                        die("pipe");
                if (fork() == 0) {
                        uint64_t *lat = calloc(per, sizeof(uint64_t));
                        run_client(address, dest, per, queue, with_fd, lat);
                        (void)!write(pipes[i][1], lat, per * sizeof(uint64_t));
                        _exit(0);
                }
                close(pipes[i][1]);
        }
        for (unsigned i = 0; i < clients; i++) {
                size_t want = per * sizeof(uint64_t), got = 0;
                while (got < want) {
                        ssize_t k = read(pipes[i][0], (uint8_t *)(all + (size_t)i * per) + got,
                                         want - got);
                        if (k <= 0)
                                die("client failed");
                        got += (size_t)k;
                }
                close(pipes[i][0]);
        }
        double secs = (double)(now_ns() - t0) / 1e9;
        while (wait(NULL) > 0)
                ;
        qsort(all, (size_t)per * clients, sizeof(uint64_t), cmp_u64);
        printf("%.0f %.1f %.1f\n", per * clients / secs, all[(size_t)per * clients / 2] / 1e3,
               all[(size_t)per * clients * 99 / 100] / 1e3);
        return 0;
}

static int mode_fanout(const char *address, unsigned subs, unsigned count)
{
        Conn *rx = calloc(subs, sizeof(Conn)), tx;
        Buf b;
        uint8_t out[4096], payload[64];
        const char *rule = "type='signal',interface='com.example.Bench',member='Tick'";
        struct pollfd *pfd = calloc(subs, sizeof(struct pollfd));
        uint64_t delivered = 0, want = (uint64_t)subs * count, t0;
        unsigned sent = 0;
        Msg m;

        for (unsigned i = 0; i < subs; i++) {
                connect_bus(&rx[i], address);
                body_str(&b, rule);
                wait_reply(&rx[i], call_driver(&rx[i], "AddMatch", "s", b.b, b.n), NULL);
                pfd[i] = (struct pollfd){ .fd = rx[i].fd, .events = POLLIN };
        }
        connect_bus(&tx, address);
        memset(payload, 'x', sizeof(payload));
        b.n = 0;
        u32(&b, sizeof(payload));
        memcpy(b.b + b.n, payload, sizeof(payload));
        b.n += sizeof(payload);
        b.b[b.n++] = 0; /* as a string 's' of 64 'x' */
        b.b[4 + 63] = 'x';
        t0 = now_ns();
        while (delivered < want) {
                /* keep at most 32 signals ahead of the slowest receiver */
                while (sent < count && (uint64_t)sent * subs < delivered + 32ull * subs) {
                        size_t n = build(out, 4, 1, ++tx.serial, "/com/example/Bench",
                                         "com.example.Bench", "Tick", NULL, "s", 0, 0, b.b, b.n);
                        send_all(&tx, out, n, -1);
                        sent++;
                }
                if (poll(pfd, subs, 5000) <= 0)
                        die("fanout stalled");
                for (unsigned i = 0; i < subs; i++)
                        if (pfd[i].revents) {
                                fill(&rx[i]);
                                while (take(&rx[i], &m, NULL))
                                        if (m.type == 4)
                                                delivered++;
                        }
        }
        printf("%.0f\n", want / ((double)(now_ns() - t0) / 1e9));
        return 0;
}

static int mode_hold(const char *address, unsigned conns, unsigned matches)
{
        Conn *c = calloc(conns ? conns : 1, sizeof(Conn));
        Buf b;
        char rule[128], buf[16];

        for (unsigned i = 0; i < conns; i++)
                connect_bus(&c[i], address);
        for (unsigned i = 0; i < matches && conns; i++) {
                snprintf(rule, sizeof(rule), "type='signal',interface='com.example.M%u',member='X'",
                         i);
                body_str(&b, rule);
                call_driver(&c[0], "AddMatch", "s", b.b, b.n);
                if (i % 64 == 63 || i + 1 == matches)
                        wait_reply(&c[0], c[0].serial, NULL);
        }
        printf("ready\n");
        fflush(stdout);
        while (read(0, buf, sizeof(buf)) > 0)
                ;
        return 0;
}

/* A subscriber to fanout's signals until stdin closes: one that never reads
 * (@reads false) or one that reads and drops everything. */
static int mode_subscriber(const char *address, bool reads)
{
        struct pollfd p[2];
        Conn c;
        Buf b;
        char buf[65536];

        connect_bus(&c, address);
        body_str(&b, "type='signal',interface='com.example.Bench',member='Tick'");
        wait_reply(&c, call_driver(&c, "AddMatch", "s", b.b, b.n), NULL);
        printf("ready\n");
        fflush(stdout);
        p[0] = (struct pollfd){ .fd = 0, .events = POLLIN };
        p[1] = (struct pollfd){ .fd = c.fd, .events = POLLIN };
        for (;;) {
                if (poll(p, reads ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        die("poll");
                }
                if (p[0].revents && read(0, buf, sizeof(buf)) <= 0)
                        return 0;
                if (reads && p[1].revents && read(c.fd, buf, sizeof(buf)) <= 0)
                        return 0;
        }
}

int main(int argc, char **argv)
{
        if (argc >= 4 && !strcmp(argv[2], "echo"))
                return mode_echo(argv[1], argv[3]);
        if (argc >= 6 && !strcmp(argv[2], "call"))
                return mode_call(argv[1], argv[3], (unsigned)atoi(argv[4]),
                                 (unsigned)atoi(argv[5]),
                                 argc >= 7 && argv[6][0] != '-' ? (unsigned)atoi(argv[6]) : 1,
                                 !strcmp(argv[argc - 1], "--fd"));
        if (argc >= 5 && !strcmp(argv[2], "fanout"))
                return mode_fanout(argv[1], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
        if (argc >= 3 && !strcmp(argv[2], "stuck"))
                return mode_subscriber(argv[1], false);
        if (argc >= 3 && !strcmp(argv[2], "reader"))
                return mode_subscriber(argv[1], true);
        if (argc >= 5 && !strcmp(argv[2], "hold"))
                return mode_hold(argv[1], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
        fprintf(stderr, "usage: see the comment at the top of bench/bh-load.c\n");
        return 2;
}
