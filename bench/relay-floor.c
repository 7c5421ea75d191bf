/*
 * relay-floor.c -- the physical floor for a bus: clients, a relay and an echo
 * server, joined by AF_UNIX stream sockets. The relay copies bytes clients ->
 * server and back with one epoll loop and no D-Bus work at all, which is the
 * least any broker's extra hop can cost.
 *
 *   relay-floor [--hold] COUNT QUEUE [SIZE [CLIENTS]]
 *                                   prints "round_trips/s relay_cpu_us"
 *
 * With --hold it first prints the relay process's pid on a line of its own
 * and starts the clients only once a line arrives on stdin: time for bench.py
 * to attach `perf stat -p` to the relay and count its system calls.
 *
 * Messages are SIZE bytes (default 160, about a small method call). Each of
 * CLIENTS (default 1) clients makes COUNT / CLIENTS calls with QUEUE in
 * flight, writing each message on its own as D-Bus clients do (the server
 * too writes each answer on its own). With several
 * clients the relay hands the server's answers back in the order the calls
 * went to it (the server answers in order), which is all the routing it does.
 * Clients and server wait with poll() before they read, as libdbus, sd-bus,
 * GDBus and bench/bh-load do (see bh-load.c's fill()).
 *
 * The second figure is the relay process's CPU time per call in µs (its
 * rusage when it is reaped: user + system, whose sum the kernel keeps exact):
 * the least CPU a broker's hop can cost, to set beside a bus's CPU per call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* when built by bench.py; meson passes -D_GNU_SOURCE */
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64

static void die(const char *what)
{
        fprintf(stderr, "relay-floor: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void write_all(int fd, const char *p, size_t n)
{
        while (n) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        die("write");
                }
                p += k;
                n -= (size_t)k;
        }
}

/* poll() for input, then read: what a D-Bus client library does */
static ssize_t wait_read(int fd, char *buf, size_t n)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        while (poll(&p, 1, -1) < 0)
                if (errno != EINTR)
                        die("poll");
        return read(fd, buf, n);
}

/* Echo fixed-size messages back, each with its own write as a D-Bus service
 * answers each call (and as bh-load's echo does). */
static void server(int fd, size_t size)
{
        char *buf = malloc(size * 64);
        size_t have = 0;

        for (;;) {
                ssize_t k = wait_read(fd, buf + have, size * 64 - have);
                if (k <= 0)
                        _exit(0);
                have += (size_t)k;
                size_t whole = have / size * size;
                for (size_t m = 0; m < whole; m += size)
                        write_all(fd, buf + m, size);
                memmove(buf, buf + whole, have - whole);
                have -= whole;
        }
}

/* The relay's view of one side: bytes read but not yet a whole message. */
typedef struct Side {
        int fd;
        char *buf;
        size_t have;
} Side;

/*
 * Copy whole messages from clients to the server, remembering whose each one
 * is, and the server's answers back in that order. @c[0..n): clients.
 */
static void relay(Side *c, unsigned n, Side *s, size_t size, unsigned long max_inflight)
{
        int ep = epoll_create1(EPOLL_CLOEXEC);
        unsigned char *owner = malloc(max_inflight); /* FIFO of client indices */
        unsigned long head = 0, count = 0;
        struct epoll_event ev = { .events = EPOLLIN };

        if (ep < 0 || !owner)
                die("relay setup");
        for (unsigned i = 0; i <= n; i++) {
                Side *x = i < n ? &c[i] : s;

                x->buf = malloc(65536 + size);
                if (!x->buf)
                        die("malloc");
                x->have = 0;
                ev.data.u32 = i;
                if (epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev) < 0)
                        die("epoll_ctl");
        }
        for (;;) {
                struct epoll_event got[MAX_CLIENTS + 1];
                int k = epoll_wait(ep, got, MAX_CLIENTS + 1, -1);

                for (int e = 0; e < k; e++) {
                        unsigned i = got[e].data.u32;
                        Side *x = i < n ? &c[i] : s;
                        ssize_t r = read(x->fd, x->buf + x->have, 65536);
                        size_t whole;

                        if (r <= 0)
                                _exit(0);
                        x->have += (size_t)r;
                        whole = x->have / size;
                        if (i < n) {
                                for (size_t m = 0; m < whole; m++)
                                        owner[(head + count++) % max_inflight] = (unsigned char)i;
                                write_all(s->fd, x->buf, whole * size);
                        } else {
                                /* runs of answers for the same client go in one write */
                                for (size_t m = 0; m < whole;) {
                                        unsigned to = owner[head], run = 0;

                                        while (m + run < whole && count > 0 && owner[head] == to) {
                                                head = (head + 1) % max_inflight;
                                                count--;
                                                run++;
                                        }
                                        if (run == 0)
                                                die("answer without a call");
                                        write_all(c[to].fd, x->buf + m * size, run * size);
                                        m += run;
                                }
                        }
                        memmove(x->buf, x->buf + whole * size, x->have - whole * size);
                        x->have -= whole * size;
                }
        }
}

/* One client: @count calls, @queue in flight. */
static void client(int fd, unsigned long count, unsigned long queue, size_t size)
{
        char *msg = calloc(1, size), *buf = malloc(size * 64);
        unsigned long sent = 0, done = 0;
        size_t have = 0;

        if (!msg || !buf)
                die("malloc");
        while (done < count) {
                while (sent < count && sent - done < queue) {
                        write_all(fd, msg, size);
                        sent++;
                }
                ssize_t k = wait_read(fd, buf + have, size * 64 - have);
                if (k <= 0)
                        die("read");
                have += (size_t)k;
                done += have / size;
                have %= size;
        }
        free(msg);
        free(buf);
}

int main(int argc, char **argv)
{
        bool hold = argc > 1 && strcmp(argv[1], "--hold") == 0;
        unsigned long count, queue, n;
        size_t size;
        Side cl[MAX_CLIENTS], srv;
        int cs[MAX_CLIENTS][2], ss[2], status, failed = 0;
        pid_t ps, pr, pc[MAX_CLIENTS];
        struct timespec t0, t1;
        struct rusage ru;
        double relay_us;

        if (hold) {
                argc--;
                argv++;
        }
        count = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
        queue = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
        size = argc > 3 ? strtoul(argv[3], NULL, 10) : 160;
        n = argc > 4 ? strtoul(argv[4], NULL, 10) : 1;
        if (!count || !queue || !size || size > 65536 || !n || n > MAX_CLIENTS || count < n) {
                fprintf(stderr, "usage: relay-floor [--hold] COUNT QUEUE [SIZE [CLIENTS <= %d]]\n", MAX_CLIENTS);
                return 2;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ss) < 0)
                die("socketpair");
        for (unsigned long i = 0; i < n; i++)
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cs[i]) < 0)
                        die("socketpair");
        /* each process keeps only its own ends, so that when one side goes the
         * next read on the other finds EOF and nothing is left running */
        ps = fork();
        if (ps == 0) {
                for (unsigned long i = 0; i < n; i++) {
                        close(cs[i][0]);
                        close(cs[i][1]);
                }
                close(ss[0]);
                server(ss[1], size);
        }
        pr = fork();
        if (pr == 0) {
                close(ss[1]);
                for (unsigned long i = 0; i < n; i++) {
                        close(cs[i][0]);
                        cl[i].fd = cs[i][1];
                }
                srv.fd = ss[0];
                relay(cl, (unsigned)n, &srv, size, n * queue + 1);
        }
        close(ss[0]);
        close(ss[1]);
        for (unsigned long i = 0; i < n; i++)
                close(cs[i][1]);
        if (hold) {
                char go;
                ssize_t k;

                printf("%d\n", (int)pr);
                fflush(stdout);
                k = read(STDIN_FILENO, &go, 1);
                if (k != 1) {
                        kill(ps, SIGTERM);
                        kill(pr, SIGTERM);
                        if (k < 0)
                                die("read stdin");
                        fprintf(stderr, "relay-floor: stdin closed before the line that starts the clients\n");
                        return 1;
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned long i = 0; i < n; i++) {
                pc[i] = fork();
                if (pc[i] == 0) {
                        client(cs[i][0], count / n, queue, size);
                        _exit(0);
                }
        }
        for (unsigned long i = 0; i < n; i++) {
                if (waitpid(pc[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
                        failed = 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        kill(ps, SIGTERM);
        kill(pr, SIGTERM);
        waitpid(ps, NULL, 0);
        if (wait4(pr, NULL, 0, &ru) < 0)
                die("wait4");
        relay_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
        if (failed) {
                fprintf(stderr, "relay-floor: a client failed\n");
                return 1;
        }
        printf("%.0f %.2f\n", (double)(count / n * n) /
                                     ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9),
               relay_us / (double)(count / n * n));
        return 0;
}
