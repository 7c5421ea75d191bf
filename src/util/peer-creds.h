/*
 * peer-creds.h -- who is on the other end of a connected AF_UNIX socket:
 * uid/gid/pid (SO_PEERCRED), supplementary groups (SO_PEERGROUPS) and the
 * LSM label (SO_PEERSEC). Read once at accept time.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

typedef struct PeerCreds {
        uid_t uid;
        gid_t gid;
        pid_t pid;              /* 0 = unknown */
        gid_t *groups;          /* sorted ascending, malloc'd; NULL if unknown */
        size_t n_groups;
        char *label;            /* LSM label, malloc'd; NULL if none */
} PeerCreds;

/**
 * peer_creds_read() - fill *@ret from socket @fd. Groups and label are
 * best-effort (left empty if the kernel does not tell).
 * Return: 0, or -errno if SO_PEERCRED fails.
 */
int peer_creds_read(int fd, PeerCreds *ret);

/** peer_creds_deinit() - free what peer_creds_read() allocated. */
void peer_creds_deinit(PeerCreds *c);
