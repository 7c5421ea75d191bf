/*
 * connection.c -- socket I/O for one client: SASL, framed reads with fds,
 * batched writes with fds attached at message starts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "bus/connection.h"
#include "util/error.h"
#include "wire/errors.h"

#define READ_CHUNK      (64 * 1024)
#define MAX_FDS_PER_READ 253            /* SCM_MAX_FD */
#define MAX_GATHER_MSGS 64
#define MAX_GATHER_BYTES (512 * 1024)
#define SASL_OUT_MAX    1024            /* one wire_sasl_feed() call's replies (each < 128 bytes) */
#define RAW_OUT_MAX     (8 * WIRE_SASL_LINE_MAX) /* SASL replies a peer has not read yet */

/** connection_init() - see connection.h. */
int connection_init(Connection *c, int fd, const WireSaslConfig *cfg, const ConnectionLimits *limits)
{
        *c = (Connection){ .fd = fd, .limits = *limits };
        c->sasl = malloc(sizeof(*c->sasl));
        if (!c->sasl)
                return -ENOMEM;
        wire_sasl_init(c->sasl, cfg);
        return 0;
}

/** connection_drop_output() - see connection.h. */
void connection_drop_output(Connection *c)
{
        while (c->out_count > 0) {
                msg_unref(c->out[c->out_head]);
                c->out_head = (c->out_head + 1) % c->out_cap;
                c->out_count--;
        }
        if (c->charge) {
                c->charge->out_bytes -= c->out_bytes;
                c->charge->out_fds -= c->out_fds;
        }
        c->out_head = c->out_skip = c->out_bytes = 0;
        c->out_fds = 0;
}

/** connection_release() - see connection.h. */
void connection_release(Connection *c)
{
        connection_drop_output(c);
        for (unsigned i = 0; i < c->n_in_fds; i++)
                safe_close(c->in_fds[i]);
        if (c->charge) {
                c->charge->in_bytes -= connection_in_bytes(c);
                c->charge->in_fds -= c->n_in_fds;
        }
        c->n_in_fds = 0;
        c->in_pos = c->in_len = 0;
        c->charge = NULL;
}

/** connection_deinit() - see connection.h. */
void connection_deinit(Connection *c)
{
        connection_release(c);
        free(c->out);
        free(c->in_fds);
        free(c->in);
        free(c->raw_out);
        free(c->sasl);
        c->sasl = NULL;
        c->fd = safe_close(c->fd);
        c->out = NULL;
        c->in = NULL;
        c->in_fds = NULL;
        c->raw_out = NULL;
}

static int ensure_in_space(Connection *c, size_t want)
{
        uint8_t *n;
        size_t cap;

        if (c->in_pos > 0 && (c->in_pos == c->in_len || c->in_cap - c->in_len < want)) {
                memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
                c->in_len -= c->in_pos;
                c->in_pos = 0;
        }
        if (c->in_cap - c->in_len >= want)
                return 0;
        if (!c->in && want <= READ_CHUNK && c->spare_in && *c->spare_in) {
                c->in = TAKE_PTR(*c->spare_in);
                c->in_cap = READ_CHUNK;
                return 0;
        }
        cap = c->in_len + want;
        if (cap < READ_CHUNK)
                cap = READ_CHUNK;
        n = realloc(c->in, cap);
        if (!n)
                return -ENOMEM;
        c->in = n;
        c->in_cap = cap;
        return 0;
}

static int take_fds(Connection *c, struct msghdr *mh)
{
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
                unsigned n;
                int *fds;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                n = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                fds = (int *)(void *)CMSG_DATA(cm);
                if (c->n_in_fds + n > c->in_fds_cap) {
                        unsigned cap = c->n_in_fds + n + 16;
                        int *p = realloc(c->in_fds, cap * sizeof(int));

                        if (!p) {
                                for (unsigned i = 0; i < n; i++)
                                        safe_close(fds[i]);
                                return -ENOMEM;
                        }
                        c->in_fds = p;
                        c->in_fds_cap = cap;
                }
                memcpy(c->in_fds + c->n_in_fds, fds, n * sizeof(int));
                c->n_in_fds += n;
                if (c->charge)
                        c->charge->in_fds += n;
        }
        return 0;
}

static int queue_raw(Connection *c, const char *buf, size_t len)
{
        char *p;

        if (len == 0)
                return 0;
        if (c->raw_out_len + len > RAW_OUT_MAX)
                return -EMSGSIZE;
        p = realloc(c->raw_out, c->raw_out_len + len);
        if (!p)
                return -ENOMEM;
        memcpy(p + c->raw_out_len, buf, len);
        c->raw_out = p;
        c->raw_out_len += len;
        return 0;
}

static int run_sasl(Connection *c)
{
        char out[SASL_OUT_MAX];

        while (!c->authenticated && c->in_pos < c->in_len) {
                size_t consumed = 0, out_len = 0;
                int r, q;

                r = wire_sasl_feed(c->sasl, c->in + c->in_pos, c->in_len - c->in_pos, &consumed,
                                   out, sizeof(out), &out_len);
                q = queue_raw(c, out, out_len);
                if (r < 0 || r >= _WIRE_E_FIRST)
                        return r;
                if (q < 0)
                        return q;
                c->in_pos += consumed;
                if (c->charge)
                        c->charge->in_bytes -= consumed;
                if (r == WIRE_SASL_DONE) {
                        c->authenticated = true;
                        c->unix_fd = c->sasl->unix_fd;
                        free(c->sasl);
                        c->sasl = NULL;
                        break;
                }
                if (consumed == 0)
                        break;
        }
        return 0;
}

/** connection_read() - see connection.h. */
int connection_read(Connection *c, bool *ret_eagain, bool *ret_fds)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_READ)];
        } ctl;
        struct iovec iov;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;
        int r;

        *ret_eagain = false;
        *ret_fds = false;
        r = ensure_in_space(c, READ_CHUNK);
        if (r < 0)
                return r;
        iov = (struct iovec){ c->in + c->in_len, c->in_cap - c->in_len };
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                        *ret_eagain = true;
                        return 0;
                }
                return -errno;
        }
        if (mh.msg_controllen > 0) {
                unsigned before = c->n_in_fds;

                r = take_fds(c, &mh);
                if (r < 0)
                        return r;
                *ret_fds = c->n_in_fds > before;
        }
        if (mh.msg_flags & MSG_CTRUNC)
                return -EBADMSG;
        /* fds wait only for the one message being read; more is abuse */
        if (c->n_in_fds > 2 * c->limits.max_message_fds + MAX_FDS_PER_READ)
                return -EBADMSG;
        if (n == 0)
                return -ECONNRESET;
        c->in_len += (size_t)n;
        if (c->charge)
                c->charge->in_bytes += (size_t)n;
        if (!c->authenticated)
                return run_sasl(c);
        return 0;
}

/** connection_pop() - see connection.h. */
int connection_pop(Connection *c, Msg **ret_msg)
{
        size_t avail = c->in_len - c->in_pos, size;
        Msg *m;
        int r;

        if (c->authenticated && avail == 0 && c->in) {
                /* all consumed: an idle peer holds no input buffer */
                if (c->in_cap == READ_CHUNK && c->spare_in && !*c->spare_in)
                        *c->spare_in = c->in;
                else
                        free(c->in);
                c->in = NULL;
                c->in_pos = c->in_len = c->in_cap = 0;
        }
        if (!c->authenticated || avail < WIRE_FIXED_HEADER_SIZE)
                return -EAGAIN;
        r = wire_message_frame(c->in + c->in_pos, avail, &size);
        if (r != 0)
                return r;
        if (size > c->limits.max_message_size)
                return -EMSGSIZE;
        if (avail < size) {
                r = ensure_in_space(c, size - avail);
                return r < 0 ? r : -EAGAIN;
        }
        r = msg_new_copy(c->in + c->in_pos, size, c->fwd_room_extra, &m);
        if (r < 0)
                return r;
        c->in_pos += size;
        if (c->charge)
                c->charge->in_bytes -= size;
        if (r != 0)
                return r;
        if (m->h.n_fds > c->n_in_fds || m->h.n_fds > c->limits.max_message_fds) {
                msg_unref(m);
                return -EBADMSG;
        }
        r = msg_attach_fds(m, c->in_fds, m->h.n_fds);
        if (r < 0) {
                msg_unref(m);
                return r;
        }
        c->n_in_fds -= m->h.n_fds;
        if (c->charge)
                c->charge->in_fds -= m->h.n_fds;
        if (c->n_in_fds) /* in_fds may be NULL when none ever arrived */
                memmove(c->in_fds, c->in_fds + m->h.n_fds, c->n_in_fds * sizeof(int));
        *ret_msg = m;
        return 0;
}

/** connection_queue() - see connection.h. */
int connection_queue(Connection *c, Msg *m)
{
        size_t size = connection_queue_size(m);

        if (c->out_count == c->out_cap) {
                size_t cap = c->out_cap ? c->out_cap * 2 : 16;
                Msg **n = malloc(cap * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                for (size_t i = 0; i < c->out_count; i++)
                        n[i] = c->out[(c->out_head + i) % c->out_cap];
                free(c->out);
                c->out = n;
                c->out_cap = cap;
                c->out_head = 0;
        }
        c->out[(c->out_head + c->out_count) % c->out_cap] = msg_ref(m);
        c->out_count++;
        c->out_bytes += size;
        c->out_fds += m->n_fds;
        if (c->charge) {
                c->charge->out_bytes += size;
                c->charge->out_fds += m->n_fds;
        }
        return 0;
}

/** connection_has_output() - see connection.h. */
bool connection_has_output(const Connection *c)
{
        return c->raw_out_len > 0 || c->out_count > 0;
}

static int flush_raw(Connection *c)
{
        ssize_t n = send(c->fd, c->raw_out, c->raw_out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0)
                return (errno == EAGAIN || errno == EINTR) ? -EAGAIN : -errno;
        memmove(c->raw_out, c->raw_out + n, c->raw_out_len - (size_t)n);
        c->raw_out_len -= (size_t)n;
        return c->raw_out_len > 0 ? -EAGAIN : 0;
}

/* Fill iovecs from the queue head; a message with fds goes alone, first. */
static size_t gather(Connection *c, struct iovec *iov, size_t *ret_n_iov, Msg **ret_fd_msg)
{
        size_t n_iov = 0, bytes = 0;

        *ret_fd_msg = NULL;
        for (size_t i = 0; i < c->out_count && i < MAX_GATHER_MSGS && bytes < MAX_GATHER_BYTES; i++) {
                Msg *m = c->out[(c->out_head + i) % c->out_cap];
                size_t skip = i == 0 ? c->out_skip : 0;
                unsigned k;

                if (m->n_fds > 0 && c->unix_fd) {
                        if (i > 0)
                                break;
                        if (skip == 0)
                                *ret_fd_msg = m;
                }
                k = msg_iov(m, skip, iov + n_iov);
                for (unsigned j = 0; j < k; j++)
                        bytes += iov[n_iov + j].iov_len;
                n_iov += k;
                if (*ret_fd_msg)
                        break;
        }
        *ret_n_iov = n_iov;
        return bytes;
}

static void consume(Connection *c, size_t n)
{
        while (n > 0 && c->out_count > 0) {
                Msg *m = c->out[c->out_head];
                size_t left = msg_wire_size(m) - c->out_skip, size;

                if (n < left) {
                        /* its memory is held until the last byte is out */
                        c->out_skip += n;
                        return;
                }
                n -= left;
                size = connection_queue_size(m);
                c->out_bytes -= size;
                c->out_fds -= m->n_fds;
                if (c->charge) {
                        c->charge->out_bytes -= size;
                        c->charge->out_fds -= m->n_fds;
                }
                c->out_skip = 0;
                c->out_head = (c->out_head + 1) % c->out_cap;
                c->out_count--;
                msg_unref(m);
        }
}

static int flush_batch(Connection *c)
{
        struct iovec iov[2 * MAX_GATHER_MSGS];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_READ)];
        } ctl;
        struct msghdr mh = { .msg_iov = iov };
        size_t n_iov;
        Msg *fd_msg;
        ssize_t n;

        gather(c, iov, &n_iov, &fd_msg);
        mh.msg_iovlen = n_iov;
        if (fd_msg) {
                struct cmsghdr *cm;
                unsigned nf = MIN(fd_msg->n_fds, (unsigned)MAX_FDS_PER_READ);

                mh.msg_control = ctl.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * nf);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * nf);
                memcpy(CMSG_DATA(cm), fd_msg->fds, sizeof(int) * nf);
        }
        n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
                return (errno == EAGAIN || errno == EINTR) ? -EAGAIN : -errno;
        consume(c, (size_t)n);
        return 0;
}

/** connection_flush() - see connection.h. */
int connection_flush(Connection *c)
{
        int r;

        if (c->raw_out_len > 0) {
                r = flush_raw(c);
                if (r < 0)
                        return r;
        }
        while (c->out_count > 0) {
                r = flush_batch(c);
                if (r < 0)
                        return r;
        }
        return 0;
}
