/*
 * test-connection.c -- what an outgoing queue is charged: the memory each
 * queued message holds (not its wire size), held until its last byte is
 * written, and all of it released again (written in full, partly written,
 * dropped), on the connection and on its charge alike.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bus/connection.h"
#include "util/test-check.h"
#include "wire/builder.h"

/* a signal as a peer sends it (no SENDER), read into one Msg as the bus does,
 * with @body_len bytes of body, then given the sender the bus sets */
static Msg *signal_read(size_t body_len)
{
        char *text = malloc(body_len + 1);
        WireBuilder wb;
        uint8_t *data;
        size_t size;
        Msg *m = NULL;

        CHECK(text);
        memset(text, 'x', body_len);
        text[body_len] = '\0';
        wire_builder_init(&wb, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&wb, "/org/example/Object");
        wire_builder_set_interface(&wb, "org.example.Iface");
        wire_builder_set_member(&wb, "Changed");
        wire_builder_append_string(&wb, text);
        CHECK(wire_builder_finish(&wb, 7, &data, &size) == 0);
        wire_builder_deinit(&wb);
        free(text);
        CHECK(msg_new_copy(data, size, 7 + 4 + 4 + 6 + 1, &m) == 0);
        free(data);
        CHECK(msg_set_sender(m, ":1.42") == 0);
        return m;
}

/* what the queue should be charged now: every message in the ring, the
 * partly written head included */
static size_t ring_charge(const Connection *c)
{
        size_t sum = 0;

        for (size_t i = 0; i < c->out_count; i++)
                sum += connection_queue_size(c->out[(c->out_head + i) % c->out_cap]);
        return sum;
}

static size_t drain(int fd)
{
        char buf[65536];
        size_t total = 0;
        ssize_t n;

        while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
                total += (size_t)n;
        return total;
}

int main(void)
{
        ConnectionCharge charge = { 0 };
        Connection c;
        Msg *small = signal_read(16), *big = signal_read(200000);
        size_t wire = 0, got = 0;
        int sv[2], buf = 4096, r;

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)) == 0);
        CHECK(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) == 0);
        c = (Connection){ .fd = sv[0], .authenticated = true, .charge = &charge };

        /* a small signal holds the Msg and the forwarded header's room besides
         * its bytes: more than twice its wire size, and that is what counts */
        CHECK(msg_held_size(small) >= sizeof(Msg) + msg_wire_size(small));
        CHECK(connection_queue_size(small) > 2 * msg_wire_size(small));
        /* a big one costs about its size */
        CHECK(connection_queue_size(big) < msg_wire_size(big) + 1024);

        CHECK(connection_queue(&c, big) == 0);
        wire += msg_wire_size(big);
        for (int i = 0; i < 40; i++) {
                CHECK(connection_queue(&c, small) == 0);
                wire += msg_wire_size(small);
        }
        CHECK(c.out_bytes == connection_queue_size(big) + 40 * connection_queue_size(small));
        CHECK(c.out_bytes == ring_charge(&c) && charge.out_bytes == c.out_bytes);

        /* the socket takes part of the big one: all of its memory stays charged */
        CHECK(connection_flush(&c) == -EAGAIN);
        CHECK(c.out_skip > 0 && c.out[c.out_head] == big);
        CHECK(c.out_bytes == ring_charge(&c) && charge.out_bytes == c.out_bytes);
        CHECK(c.out_bytes == connection_queue_size(big) + 40 * connection_queue_size(small));

        /* read as it comes: each message written in full is released */
        for (int rounds = 0; connection_has_output(&c); rounds++) {
                CHECK(rounds < 100000);
                got += drain(sv[1]);
                r = connection_flush(&c);
                CHECK(r == 0 || r == -EAGAIN);
                CHECK(c.out_bytes == ring_charge(&c) && charge.out_bytes == c.out_bytes);
        }
        got += drain(sv[1]);
        CHECK(got == wire);
        CHECK(c.out_bytes == 0 && c.out_skip == 0 && charge.out_bytes == 0);

        /* dropped unwritten, partly written head included: released at once */
        CHECK(connection_queue(&c, big) == 0);
        CHECK(connection_queue(&c, small) == 0);
        CHECK(connection_flush(&c) == -EAGAIN && c.out_skip > 0);
        connection_drop_output(&c);
        CHECK(c.out_bytes == 0 && c.out_count == 0 && charge.out_bytes == 0);

        connection_deinit(&c);
        close(sv[1]);
        msg_unref(small);
        msg_unref(big);
        return 0;
}
