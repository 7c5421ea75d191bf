/*
 * test-crosscheck.c -- our wire format against two real implementations.
 *
 * libdbus: messages built and dbus_message_marshal()ed by libdbus parse with
 * ours to the same fields and values; ours (both byte orders) are accepted by
 * dbus_message_demarshal() with the same fields and values.
 *
 * sd-bus: an sd-bus peer-to-peer server (anonymous auth) on one end of a
 * socketpair, raw bytes on the other. Messages we build are received by
 * sd-bus intact; messages sd-bus sends (a signal it builds and the error it
 * answers our method call with) parse with ours.
 *
 * Without libdbus (pkg-config dbus-1 missing) that half is skipped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#ifdef HAVE_LIBDBUS
#include <dbus/dbus.h>
#endif
#include "util/macro.h"
#include "wire/builder.h"
#include "wire/errors.h"
#include "wire/message.h"
#include "wire/reader.h"

static int failures;

#define CHECK(cond)                                                                      \
        do {                                                                             \
                if (!(cond)) {                                                           \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                                #cond);                                                  \
                        failures++;                                                      \
                }                                                                        \
        } while (0)

static bool streq0(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}

/* ours: a method call with body "sua{sv}(yd)ao" */
static int build_ours(bool be, uint8_t **ret, size_t *ret_size)
{
        WireBuilder b;
        uint8_t y = 200;
        double d = -0.5;
        const char *o = "/x/y";
        int r;

        wire_builder_init_endian(&b, WIRE_MESSAGE_METHOD_CALL, WIRE_FLAG_NO_AUTO_START, be);
        wire_builder_set_path(&b, "/org/example/Obj");
        wire_builder_set_interface(&b, "org.example.Iface");
        wire_builder_set_member(&b, "Frob");
        wire_builder_set_destination(&b, "org.example.Dest");
        wire_builder_append_string(&b, "grüße");
        wire_builder_append_u32(&b, 123456);
        wire_builder_open(&b, 'a', "{sv}");
        wire_builder_open(&b, '{', "sv");
        wire_builder_append_string(&b, "k");
        wire_builder_open(&b, 'v', "i");
        wire_builder_append(&b, 'i', &(int32_t){ -7 });
        wire_builder_close(&b);
        wire_builder_close(&b);
        wire_builder_close(&b);
        wire_builder_open(&b, '(', "yd");
        wire_builder_append(&b, 'y', &y);
        wire_builder_append(&b, 'd', &d);
        wire_builder_close(&b);
        wire_builder_open(&b, 'a', "o");
        wire_builder_append(&b, 'o', &o);
        wire_builder_close(&b);
        r = wire_builder_finish(&b, 42, ret, ret_size);
        wire_builder_deinit(&b);
        return r;
}

/* check a parsed "sua{sv}(yd)ao" body with our reader */
static void check_body(const uint8_t *m, const WireHeader *h)
{
        WireReader r;
        const char *s;
        uint32_t u;
        int32_t i;
        uint8_t y;
        double d;

        CHECK(streq0(h->signature, "sua{sv}(yd)ao"));
        wire_reader_init(&r, m, h);
        CHECK(wire_reader_read(&r, 's', &s) == 0 && streq0(s, "grüße"));
        CHECK(wire_reader_read(&r, 'u', &u) == 0 && u == 123456);
        CHECK(wire_reader_enter(&r, 'a', NULL, NULL) == 0);
        CHECK(wire_reader_enter(&r, '{', NULL, NULL) == 0);
        CHECK(wire_reader_read(&r, 's', &s) == 0 && streq0(s, "k"));
        CHECK(wire_reader_enter(&r, 'v', &s, NULL) == 0 && streq0(s, "i"));
        CHECK(wire_reader_read(&r, 'i', &i) == 0 && i == -7);
        CHECK(wire_reader_exit(&r) == 0 && wire_reader_exit(&r) == 0);
        CHECK(wire_reader_at_end(&r));
        CHECK(wire_reader_exit(&r) == 0);
        CHECK(wire_reader_enter(&r, '(', NULL, NULL) == 0);
        CHECK(wire_reader_read(&r, 'y', &y) == 0 && y == 200);
        CHECK(wire_reader_read(&r, 'd', &d) == 0 && d == -0.5);
        CHECK(wire_reader_exit(&r) == 0);
        CHECK(wire_reader_enter(&r, 'a', NULL, NULL) == 0);
        CHECK(wire_reader_read(&r, 'o', &s) == 0 && streq0(s, "/x/y"));
        CHECK(wire_reader_exit(&r) == 0);
        CHECK(wire_reader_at_end(&r) && r.pos == h->size);
}

#ifdef HAVE_LIBDBUS
static void libdbus_to_ours(void)
{
        DBusMessage *m = dbus_message_new_method_call("org.example.Dest", "/org/example/Obj",
                                                      "org.example.Iface", "Frob");
        DBusMessageIter it, sub, ent, var;
        const char *s = "grüße", *k = "k", *o = "/x/y";
        dbus_uint32_t u = 123456;
        dbus_int32_t i = -7;
        unsigned char y = 200;
        double d = -0.5;
        char *buf = NULL;
        int len = 0;
        WireHeader h;

        dbus_message_set_auto_start(m, FALSE);
        dbus_message_iter_init_append(m, &it);
        dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &s);
        dbus_message_iter_append_basic(&it, DBUS_TYPE_UINT32, &u);
        dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &sub);
        dbus_message_iter_open_container(&sub, DBUS_TYPE_DICT_ENTRY, NULL, &ent);
        dbus_message_iter_append_basic(&ent, DBUS_TYPE_STRING, &k);
        dbus_message_iter_open_container(&ent, DBUS_TYPE_VARIANT, "i", &var);
        dbus_message_iter_append_basic(&var, DBUS_TYPE_INT32, &i);
        dbus_message_iter_close_container(&ent, &var);
        dbus_message_iter_close_container(&sub, &ent);
        dbus_message_iter_close_container(&it, &sub);
        dbus_message_iter_open_container(&it, DBUS_TYPE_STRUCT, NULL, &sub);
        dbus_message_iter_append_basic(&sub, DBUS_TYPE_BYTE, &y);
        dbus_message_iter_append_basic(&sub, DBUS_TYPE_DOUBLE, &d);
        dbus_message_iter_close_container(&it, &sub);
        dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "o", &sub);
        dbus_message_iter_append_basic(&sub, DBUS_TYPE_OBJECT_PATH, &o);
        dbus_message_iter_close_container(&it, &sub);
        dbus_message_set_serial(m, 42);
        CHECK(dbus_message_marshal(m, &buf, &len));
        CHECK(wire_message_parse((const uint8_t *)buf, (size_t)len, &h) == 0);
        if (!failures) {
                CHECK(h.type == WIRE_MESSAGE_METHOD_CALL && h.serial == 42);
                CHECK(h.flags & WIRE_FLAG_NO_AUTO_START);
                CHECK(streq0(h.path, "/org/example/Obj") && streq0(h.member, "Frob"));
                CHECK(streq0(h.interface, "org.example.Iface"));
                CHECK(streq0(h.destination, "org.example.Dest"));
                check_body((const uint8_t *)buf, &h);
        }
        dbus_free(buf);
        dbus_message_unref(m);

        /* an error reply and a signal */
        m = dbus_message_new_signal("/a", "org.example.Iface", "Changed");
        dbus_message_set_serial(m, 3);
        CHECK(dbus_message_marshal(m, &buf, &len));
        CHECK(wire_message_parse((const uint8_t *)buf, (size_t)len, &h) == 0);
        CHECK(h.type == WIRE_MESSAGE_SIGNAL);
        dbus_free(buf);
        {
                DBusMessage *e = dbus_message_new_error(m, "org.example.Error.Nope", "no");

                dbus_message_set_serial(e, 4);
                CHECK(dbus_message_marshal(e, &buf, &len));
                CHECK(wire_message_parse((const uint8_t *)buf, (size_t)len, &h) == 0);
                CHECK(h.type == WIRE_MESSAGE_ERROR && h.reply_serial == 3);
                CHECK(streq0(h.error_name, "org.example.Error.Nope"));
                CHECK(streq0(h.signature, "s"));
                dbus_free(buf);
                dbus_message_unref(e);
        }
        dbus_message_unref(m);
}

static void ours_to_libdbus(bool be)
{
        DBusMessageIter it, sub, ent, var;
        DBusError err = DBUS_ERROR_INIT;
        const char *s;
        dbus_uint32_t u;
        dbus_int32_t i;
        unsigned char y;
        double d;
        DBusMessage *m;
        uint8_t *buf;
        size_t size;

        CHECK(build_ours(be, &buf, &size) == 0);
        m = dbus_message_demarshal((const char *)buf, (int)size, &err);
        if (!m) {
                fprintf(stderr, "libdbus refused our message (%s): %s\n", be ? "BE" : "LE",
                        err.message);
                failures++;
                dbus_error_free(&err);
                free(buf);
                return;
        }
        CHECK(dbus_message_get_type(m) == DBUS_MESSAGE_TYPE_METHOD_CALL);
        CHECK(dbus_message_get_serial(m) == 42 && !dbus_message_get_auto_start(m));
        CHECK(streq0(dbus_message_get_path(m), "/org/example/Obj"));
        CHECK(streq0(dbus_message_get_interface(m), "org.example.Iface"));
        CHECK(streq0(dbus_message_get_member(m), "Frob"));
        CHECK(streq0(dbus_message_get_destination(m), "org.example.Dest"));
        CHECK(streq0(dbus_message_get_signature(m), "sua{sv}(yd)ao"));
        dbus_message_iter_init(m, &it);
        dbus_message_iter_get_basic(&it, &s);
        CHECK(streq0(s, "grüße"));
        dbus_message_iter_next(&it);
        dbus_message_iter_get_basic(&it, &u);
        CHECK(u == 123456);
        dbus_message_iter_next(&it);
        dbus_message_iter_recurse(&it, &sub);
        dbus_message_iter_recurse(&sub, &ent);
        dbus_message_iter_get_basic(&ent, &s);
        CHECK(streq0(s, "k"));
        dbus_message_iter_next(&ent);
        dbus_message_iter_recurse(&ent, &var);
        dbus_message_iter_get_basic(&var, &i);
        CHECK(i == -7);
        dbus_message_iter_next(&it);
        dbus_message_iter_recurse(&it, &sub);
        dbus_message_iter_get_basic(&sub, &y);
        dbus_message_iter_next(&sub);
        dbus_message_iter_get_basic(&sub, &d);
        CHECK(y == 200 && d == -0.5);
        dbus_message_iter_next(&it);
        dbus_message_iter_recurse(&it, &sub);
        dbus_message_iter_get_basic(&sub, &s);
        CHECK(streq0(s, "/x/y"));
        CHECK(!dbus_message_iter_next(&it));
        dbus_message_unref(m);
        free(buf);
}
#endif

static int write_all(int fd, const void *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p = (const uint8_t *)p + k;
                n -= (size_t)k;
        }
        return 0;
}

/* run the sd-bus server until it hands us a message, with a bounded number of waits */
static sd_bus_message *sdbus_receive(sd_bus *bus)
{
        for (int k = 0; k < 200; k++) {
                sd_bus_message *m = NULL;
                int r = sd_bus_process(bus, &m);

                if (r < 0) {
                        fprintf(stderr, "sd_bus_process: %s\n", strerror(-r));
                        return NULL;
                }
                if (m)
                        return m;
                if (r == 0 && sd_bus_wait(bus, 5 * 1000 * 1000) < 0)
                        return NULL;
        }
        return NULL;
}

static void sdbus_crosscheck(void)
{
        static const char auth[] = "\0AUTH ANONYMOUS 74657374\r\nBEGIN\r\n";
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL;
        sd_id128_t id;
        int sv[2], r;
        uint8_t in[65536];
        size_t have = 0, pos;
        const char *s;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                CHECK(!"socketpair");
                return;
        }
        CHECK(sd_id128_randomize(&id) >= 0);
        CHECK(sd_bus_new(&bus) >= 0);
        CHECK(sd_bus_set_fd(bus, sv[0], sv[0]) >= 0);
        CHECK(sd_bus_set_server(bus, 1, id) >= 0);
        CHECK(sd_bus_set_anonymous(bus, 1) >= 0);
        r = sd_bus_start(bus);
        if (r < 0) {
                fprintf(stderr, "sd_bus_start: %s\n", strerror(-r));
                failures++;
                goto out;
        }

        /* our messages, both byte orders, after the client side of the auth */
        CHECK(write_all(sv[1], auth, sizeof(auth) - 1) == 0);
        for (int be = 0; be <= 1; be++) {
                WireBuilder b;
                uint8_t *msg;
                size_t size;

                wire_builder_init_endian(&b, WIRE_MESSAGE_SIGNAL, 0, be);
                wire_builder_set_path(&b, "/org/example");
                wire_builder_set_interface(&b, "org.example.Iface");
                wire_builder_set_member(&b, be ? "BigEndian" : "LittleEndian");
                wire_builder_append_string(&b, "hello sd-bus");
                wire_builder_open(&b, 'a', "{sv}");
                wire_builder_open(&b, '{', "sv");
                wire_builder_append_string(&b, "n");
                wire_builder_open(&b, 'v', "t");
                wire_builder_append(&b, 't', &(uint64_t){ 1ull << 40 });
                wire_builder_close(&b);
                wire_builder_close(&b);
                wire_builder_close(&b);
                CHECK(wire_builder_finish(&b, 10 + be, &msg, &size) == 0);
                wire_builder_deinit(&b);
                CHECK(write_all(sv[1], msg, size) == 0);
                free(msg);
        }
        /* and a method call built by us, which the sd-bus side answers with an error */
        {
                uint8_t *msg;
                size_t size;

                CHECK(build_ours(false, &msg, &size) == 0);
                CHECK(write_all(sv[1], msg, size) == 0);
                free(msg);
        }

        for (int be = 0; be <= 1; be++) {
                uint64_t t = 0;
                const char *key = NULL;

                m = sdbus_receive(bus);
                CHECK(m != NULL);
                if (!m)
                        goto out;
                CHECK(sd_bus_message_is_signal(m, "org.example.Iface",
                                               be ? "BigEndian" : "LittleEndian") > 0);
                CHECK(sd_bus_message_read(m, "sa{sv}", &s, 1, &key, "t", &t) >= 0);
                CHECK(streq0(s, "hello sd-bus") && streq0(key, "n") && t == 1ull << 40);
                m = sd_bus_message_unref(m);
        }
        m = sdbus_receive(bus);
        CHECK(m != NULL && sd_bus_message_is_method_call(m, "org.example.Iface", "Frob") > 0);
        /* sd-bus answers it: an error built by sd-bus */
        if (m)
                CHECK(sd_bus_reply_method_errorf(m, "org.example.Error.Nope", "no %d", 42) >= 0);
        m = sd_bus_message_unref(m);

        /* a signal built by sd-bus */
        CHECK(sd_bus_message_new_signal(bus, &m, "/org/sd", "org.sd.Iface", "Ping") >= 0);
        CHECK(sd_bus_message_append(m, "sa{sv}(yd)", "from sd-bus", 1, "k", "as", 2, "a", "b",
                                    7, 2.5) >= 0);
        CHECK(sd_bus_send(bus, m, NULL) >= 0);
        m = sd_bus_message_unref(m);
        CHECK(sd_bus_flush(bus) >= 0);

        /* read: the server's auth reply lines, then messages */
        for (int k = 0; k < 100; k++) {
                struct pollfd p = { .fd = sv[1], .events = POLLIN };
                ssize_t n;
                int signals = 0, errors = 0;

                if (poll(&p, 1, 5000) <= 0)
                        break;
                n = read(sv[1], in + have, sizeof(in) - have);
                if (n <= 0)
                        break;
                have += (size_t)n;

                /* skip "OK <guid>\r\n" */
                pos = 0;
                {
                        uint8_t *e = memmem(in, have, "\r\n", 2);
                        if (!e)
                                continue;
                        CHECK(memcmp(in, "OK ", 3) == 0);
                        pos = (size_t)(e - in) + 2;
                }
                while (have - pos >= WIRE_FIXED_HEADER_SIZE) {
                        size_t size;
                        WireHeader h;

                        if (wire_message_frame(in + pos, have - pos, &size) != 0) {
                                CHECK(!"frame");
                                break;
                        }
                        if (size > have - pos)
                                break;
                        r = wire_message_parse(in + pos, size, &h);
                        if (r) {
                                fprintf(stderr, "sd-bus message refused: %s\n", wire_strerror(r));
                                failures++;
                        } else if (h.type == WIRE_MESSAGE_SIGNAL) {
                                WireReader rd;
                                const char *str;

                                CHECK(streq0(h.member, "Ping") && streq0(h.path, "/org/sd"));
                                CHECK(streq0(h.signature, "sa{sv}(yd)"));
                                wire_reader_init(&rd, in + pos, &h);
                                CHECK(wire_reader_read(&rd, 's', &str) == 0 &&
                                      streq0(str, "from sd-bus"));
                                while (!wire_reader_at_end(&rd))
                                        CHECK(wire_reader_skip(&rd) == 0);
                                CHECK(rd.pos == h.size);
                                signals++;
                        } else if (h.type == WIRE_MESSAGE_ERROR) {
                                CHECK(h.reply_serial == 42);
                                errors++;
                        }
                        pos += size;
                }
                if (signals == 1 && errors == 1) {
                        printf("sd-bus: our 3 messages received, its error + signal parsed\n");
                        goto out;
                }
        }
        fprintf(stderr, "sd-bus: did not get its error reply and signal\n");
        failures++;
out:
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        close(sv[1]);
}

int main(void)
{
#ifdef HAVE_LIBDBUS
        libdbus_to_ours();
        ours_to_libdbus(false);
        ours_to_libdbus(true);
        printf("libdbus: cross-checked both ways\n");
#else
        printf("# libdbus (dbus-1) not found: that half skipped\n");
#endif
        sdbus_crosscheck();
        if (failures) {
                fprintf(stderr, "%d failures\n", failures);
                return 1;
        }
        return 0;
}
