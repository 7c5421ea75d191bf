/*
 * peer-creds.c -- SO_PEERCRED, SO_PEERGROUPS and SO_PEERSEC on a connected
 * AF_UNIX socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "util/peer-creds.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

static int cmp_gid(const void *a, const void *b)
{
        gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

        return x < y ? -1 : x > y;
}

/* The primary gid counts as a group too (as getgroups() + getegid()). */
static void add_primary(PeerCreds *c, gid_t *g, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (g[i] == c->gid)
                        break;
        if (i == n)
                g[n++] = c->gid;
        qsort(g, n, sizeof(gid_t), cmp_gid);
        c->groups = g;
        c->n_groups = n;
}

static void read_groups(int fd, PeerCreds *c)
{
        socklen_t len = 64 * sizeof(gid_t);

        for (int i = 0; i < 4; i++) {
                gid_t *g = malloc(len + sizeof(gid_t));

                if (!g)
                        return;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
                        add_primary(c, g, len / sizeof(gid_t));
                        return;
                }
                free(g);
                if (errno != ERANGE)
                        return;
        }
}

static void read_label(int fd, PeerCreds *c)
{
        char buf[1024];
        socklen_t len = sizeof(buf) - 1;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERSEC, buf, &len) < 0 || len == 0)
                return;
        buf[len] = 0;
        /* the kernel may or may not count the terminating NUL */
        c->label = strndup(buf, len);
}

/** peer_creds_read() - see peer-creds.h. */
int peer_creds_read(int fd, PeerCreds *ret)
{
        struct ucred uc;
        socklen_t len = sizeof(uc);
        PeerCreds c = { 0 };

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
                return -errno;
        c.uid = uc.uid;
        c.gid = uc.gid;
        c.pid = uc.pid;
        read_groups(fd, &c);
        read_label(fd, &c);
        *ret = c;
        return 0;
}

/** peer_creds_deinit() - see peer-creds.h. */
void peer_creds_deinit(PeerCreds *c)
{
        free(c->groups);
        free(c->label);
        c->groups = NULL;
        c->label = NULL;
        c->n_groups = 0;
}
