/*
 * relay-floor.c -- the physical floor for a bus: three processes, a client, a
 * relay and an echo server, joined by AF_UNIX stream sockets. The relay copies
 * bytes client -> server and back with one epoll loop and no D-Bus work at
 * all, which is the least any broker's extra hop can cost.
 *
 *   relay-floor COUNT QUEUE [SIZE]    prints "round_trips/s"
 *
 * Messages are SIZE bytes (default 160, about a small method call).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* Echo fixed-size messages back. */
static void server(int fd, size_t size)
{
        char *buf = malloc(size * 64);
        size_t have = 0;

        for (;;) {
                ssize_t k = read(fd, buf + have, size * 64 - have);
                if (k <= 0)
                        _exit(0);
                have += (size_t)k;
                size_t whole = have / size * size;
                write_all(fd, buf, whole);
                memmove(buf, buf + whole, have - whole);
                have -= whole;
        }
}

/* Copy whatever arrives on one side to the other. */
static void relay(int a, int b)
{
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = { .events = EPOLLIN };
        char buf[65536];

        ev.data.fd = a;
        epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
        ev.data.fd = b;
        epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
        for (;;) {
                struct epoll_event got[2];
                int n = epoll_wait(ep, got, 2, -1);
                for (int i = 0; i < n; i++) {
                        int from = got[i].data.fd, to = from == a ? b : a;
                        ssize_t k = read(from, buf, sizeof(buf));
                        if (k <= 0)
                                _exit(0);
                        write_all(to, buf, (size_t)k);
                }
        }
}

int main(int argc, char **argv)
{
        unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
        unsigned long queue = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
        size_t size = argc > 3 ? strtoul(argv[3], NULL, 10) : 160;
        int cs[2], ss[2];
        pid_t p1, p2;
        char *msg, *buf;
        unsigned long sent = 0, done = 0;
        size_t have = 0;
        struct timespec t0, t1;

        if (!count || !queue || !size || size > 65536) {
                fprintf(stderr, "usage: relay-floor COUNT QUEUE [SIZE]\n");
                return 2;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cs) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ss) < 0)
                die("socketpair");
        p1 = fork();
        if (p1 == 0) {
                close(cs[0]);
                close(cs[1]);
                close(ss[0]);
                server(ss[1], size);
        }
        p2 = fork();
        if (p2 == 0) {
                close(cs[0]);
                close(ss[1]);
                relay(cs[1], ss[0]);
        }
        close(cs[1]);
        close(ss[0]);
        close(ss[1]);
        msg = calloc(1, size);
        buf = malloc(size * 64);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (done < count) {
                while (sent < count && sent - done < queue) {
                        write_all(cs[0], msg, size);
                        sent++;
                }
                ssize_t k = read(cs[0], buf + have, size * 64 - have);
                if (k <= 0)
                        die("read");
                have += (size_t)k;
                done += have / size;
                have %= size;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        close(cs[0]);
        kill(p1, SIGTERM);
        kill(p2, SIGTERM);
        waitpid(p1, NULL, 0);
        waitpid(p2, NULL, 0);
        printf("%.0f\n", count / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9));
        free(msg);
        free(buf);
        return 0;
}
