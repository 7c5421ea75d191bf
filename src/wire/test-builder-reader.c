/*
 * test-builder-reader.c -- the writer and the reader: every basic type,
 * nested containers (arrays, structs, dict entries, variants), both byte
 * orders, builder misuse, reader type checks and skipping, and the header
 * rewrite (SENDER set, unknown fields dropped, body untouched).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define CHECK_OK(expr) CHECK((expr) == 0)

/* build a signal carrying one of everything */
static void build_all(bool be, uint8_t **ret, size_t *ret_size)
{
        WireBuilder b;
        uint8_t y = 0xfe;
        int16_t n = -2;
        uint16_t q = 0xfffe;
        int32_t i = -3;
        uint32_t u = 0xfffffffd, h = 1;
        int64_t x = -4;
        uint64_t t = 0xfffffffffffffffcull;
        double d = 3.25;
        const char *s = "zürich", *o = "/a/b_c", *g = "a{sv}(yi)";

        wire_builder_init_endian(&b, WIRE_MESSAGE_SIGNAL, 0, be);
        CHECK_OK(wire_builder_set_path(&b, "/org/example"));
        CHECK_OK(wire_builder_set_interface(&b, "org.example.I"));
        CHECK_OK(wire_builder_set_member(&b, "Changed"));
        CHECK_OK(wire_builder_set_unix_fds(&b, 2));
        CHECK_OK(wire_builder_append(&b, 'y', &y));
        CHECK_OK(wire_builder_append_bool(&b, true));
        CHECK_OK(wire_builder_append(&b, 'n', &n));
        CHECK_OK(wire_builder_append(&b, 'q', &q));
        CHECK_OK(wire_builder_append(&b, 'i', &i));
        CHECK_OK(wire_builder_append(&b, 'u', &u));
        CHECK_OK(wire_builder_append(&b, 'x', &x));
        CHECK_OK(wire_builder_append(&b, 't', &t));
        CHECK_OK(wire_builder_append(&b, 'd', &d));
        CHECK_OK(wire_builder_append(&b, 's', &s));
        CHECK_OK(wire_builder_append(&b, 'o', &o));
        CHECK_OK(wire_builder_append(&b, 'g', &g));
        CHECK_OK(wire_builder_append(&b, 'h', &h));

        /* a{sv} with two entries, one holding a nested variant of (ai) */
        CHECK_OK(wire_builder_open(&b, 'a', "{sv}"));
        CHECK_OK(wire_builder_open(&b, '{', "sv"));
        CHECK_OK(wire_builder_append_string(&b, "one"));
        CHECK_OK(wire_builder_open(&b, 'v', "u"));
        CHECK_OK(wire_builder_append_u32(&b, 1));
        CHECK_OK(wire_builder_close(&b));
        CHECK_OK(wire_builder_close(&b));
        CHECK_OK(wire_builder_open(&b, '{', "sv"));
        CHECK_OK(wire_builder_append_string(&b, "two"));
        CHECK_OK(wire_builder_open(&b, 'v', "v"));
        CHECK_OK(wire_builder_open(&b, 'v', "(ai)"));
        CHECK_OK(wire_builder_open(&b, '(', "ai"));
        CHECK_OK(wire_builder_open(&b, 'a', "i"));
        for (int32_t k = 0; k < 3; k++)
                CHECK_OK(wire_builder_append(&b, 'i', &k));
        CHECK_OK(wire_builder_close(&b));
        CHECK_OK(wire_builder_close(&b));
        CHECK_OK(wire_builder_close(&b));
        CHECK_OK(wire_builder_close(&b));
        CHECK_OK(wire_builder_close(&b));
        CHECK_OK(wire_builder_close(&b));

        /* an empty array of structs (padding before the missing first element) */
        CHECK_OK(wire_builder_open(&b, 'a', "(tt)"));
        CHECK_OK(wire_builder_close(&b));
        /* aay */
        CHECK_OK(wire_builder_open(&b, 'a', "ay"));
        for (int k = 0; k < 2; k++) {
                CHECK_OK(wire_builder_open(&b, 'a', "y"));
                for (uint8_t c = 0; c < k + 1; c++)
                        CHECK_OK(wire_builder_append(&b, 'y', &c));
                CHECK_OK(wire_builder_close(&b));
        }
        CHECK_OK(wire_builder_close(&b));
        CHECK(strcmp(b.signature, "ybnqiuxtdsogha{sv}a(tt)aay") == 0);
        CHECK_OK(wire_builder_finish(&b, 77, ret, ret_size));
        wire_builder_deinit(&b);
}

static void read_all(const uint8_t *m, size_t size, bool be)
{
        WireHeader hd;
        WireReader r;
        uint8_t y;
        int bo;
        int16_t n;
        uint16_t q;
        int32_t i;
        uint32_t u, h;
        int64_t x;
        uint64_t t;
        double d;
        const char *s, *o, *g, *c;
        size_t cl;

        CHECK_OK(wire_message_parse(m, size, &hd));
        CHECK(hd.big_endian == be && hd.serial == 77 && hd.n_fds == 2);
        wire_reader_init(&r, m, &hd);
        CHECK(wire_reader_peek(&r) == 'y');
        CHECK(wire_reader_read(&r, 'b', &bo) == WIRE_E_TYPE_MISMATCH);
        CHECK_OK(wire_reader_read(&r, 'y', &y));
        CHECK_OK(wire_reader_read(&r, 'b', &bo));
        CHECK_OK(wire_reader_read(&r, 'n', &n));
        CHECK_OK(wire_reader_read(&r, 'q', &q));
        CHECK_OK(wire_reader_read(&r, 'i', &i));
        CHECK_OK(wire_reader_read(&r, 'u', &u));
        CHECK_OK(wire_reader_read(&r, 'x', &x));
        CHECK_OK(wire_reader_read(&r, 't', &t));
        CHECK_OK(wire_reader_read(&r, 'd', &d));
        CHECK_OK(wire_reader_read(&r, 's', &s));
        CHECK_OK(wire_reader_read(&r, 'o', &o));
        CHECK_OK(wire_reader_read(&r, 'g', &g));
        CHECK_OK(wire_reader_read(&r, 'h', &h));
        CHECK(y == 0xfe && bo == 1 && n == -2 && q == 0xfffe && i == -3 && u == 0xfffffffd);
        CHECK(x == -4 && t == 0xfffffffffffffffcull && d == 3.25 && h == 1);
        CHECK(strcmp(s, "zürich") == 0 && strcmp(o, "/a/b_c") == 0 && strcmp(g, "a{sv}(yi)") == 0);

        CHECK_OK(wire_reader_enter(&r, 'a', &c, &cl));
        CHECK(cl == 4 && memcmp(c, "{sv}", 4) == 0);
        CHECK_OK(wire_reader_enter(&r, '{', NULL, NULL));
        CHECK_OK(wire_reader_read(&r, 's', &s));
        CHECK(strcmp(s, "one") == 0);
        CHECK_OK(wire_reader_enter(&r, 'v', &c, &cl));
        CHECK(cl == 1 && c[0] == 'u');
        CHECK_OK(wire_reader_read(&r, 'u', &u));
        CHECK(u == 1);
        CHECK(wire_reader_at_end(&r));
        CHECK(wire_reader_read(&r, 'u', &u) == WIRE_E_END);
        CHECK_OK(wire_reader_exit(&r));
        CHECK_OK(wire_reader_exit(&r));
        CHECK(!wire_reader_at_end(&r));
        CHECK_OK(wire_reader_enter(&r, '{', NULL, NULL));
        CHECK_OK(wire_reader_read(&r, 's', &s));
        CHECK(strcmp(s, "two") == 0);
        CHECK_OK(wire_reader_enter(&r, 'v', NULL, NULL));
        CHECK_OK(wire_reader_enter(&r, 'v', &c, NULL));
        CHECK(strcmp(c, "(ai)") == 0);
        CHECK_OK(wire_reader_enter(&r, '(', NULL, NULL));
        CHECK_OK(wire_reader_enter(&r, 'a', NULL, NULL));
        for (int32_t k = 0; k < 3; k++) {
                CHECK(wire_reader_peek(&r) == 'i');
                CHECK_OK(wire_reader_read(&r, 'i', &i));
                CHECK(i == k);
        }
        CHECK(wire_reader_peek(&r) == 0);
        CHECK_OK(wire_reader_exit(&r));
        CHECK_OK(wire_reader_exit(&r));
        CHECK_OK(wire_reader_exit(&r));
        CHECK_OK(wire_reader_exit(&r));
        CHECK_OK(wire_reader_exit(&r));
        CHECK(wire_reader_at_end(&r));
        CHECK_OK(wire_reader_exit(&r));

        CHECK_OK(wire_reader_enter(&r, 'a', NULL, NULL));
        CHECK(wire_reader_at_end(&r));
        CHECK_OK(wire_reader_exit(&r));
        /* skip the aay whole */
        CHECK(wire_reader_peek(&r) == 'a');
        CHECK_OK(wire_reader_skip(&r));
        CHECK(wire_reader_at_end(&r));
        CHECK(r.pos == hd.size);
        CHECK(wire_reader_skip(&r) == WIRE_E_END);
        CHECK(wire_reader_exit(&r) != 0);
}

static void test_round_trip(void)
{
        for (int be = 0; be <= 1; be++) {
                uint8_t *m = NULL, *m2;
                size_t size;
                WireHeader hd;
                WireReader r;

                build_all(be, &m, &size);
                if (!m)
                        continue;
                read_all(m, size, be);

                /* skip everything at the top level, then exit a struct half-read */
                CHECK_OK(wire_message_parse(m, size, &hd));
                wire_reader_init(&r, m, &hd);
                while (!wire_reader_at_end(&r))
                        CHECK_OK(wire_reader_skip(&r));
                CHECK(r.pos == hd.size);

                /* the reader never leaves the buffer, even on a truncated body */
                m2 = malloc(size);
                memcpy(m2, m, size);
                wire_reader_init(&r, m2, &hd);
                r.end = hd.body_offset + 10;
                while (wire_reader_skip(&r) == 0)
                        ;
                CHECK(r.pos <= r.end);
                free(m2);
                free(m);
        }
}

/*
 * Nesting deeper than the levels the builder keeps inline (the rest live in a
 * heap block): 30 structs, one inside the other, around a u32; read back.
 */
static void test_deep_nesting(void)
{
        enum { N = 30 };
        char sig[2 * N + 2];
        uint8_t *m = NULL;
        size_t size;
        WireHeader hd;
        WireReader r;
        WireBuilder b;
        uint32_t u = 0;

        wire_builder_init(&b, WIRE_MESSAGE_METHOD_RETURN, 0);
        CHECK_OK(wire_builder_set_reply_serial(&b, 7));
        for (int k = 0; k < N; k++) {
                /* the contents of struct k: N - k - 1 more structs around "u" */
                int inner = N - k - 1;

                memset(sig, '(', (size_t)inner);
                sig[inner] = 'u';
                memset(sig + inner + 1, ')', (size_t)inner);
                sig[2 * inner + 1] = 0;
                CHECK_OK(wire_builder_open(&b, '(', sig));
        }
        CHECK(b.depth == N && b.deep);
        CHECK_OK(wire_builder_append_u32(&b, 0xc0ffee));
        for (int k = 0; k < N; k++)
                CHECK_OK(wire_builder_close(&b));
        CHECK_OK(wire_builder_finish(&b, 1, &m, &size));
        wire_builder_deinit(&b);
        CHECK(b.deep == NULL);
        if (!m)
                return;
        CHECK_OK(wire_message_parse(m, size, &hd));
        wire_reader_init(&r, m, &hd);
        for (int k = 0; k < N; k++)
                CHECK_OK(wire_reader_enter(&r, '(', NULL, NULL));
        CHECK_OK(wire_reader_read(&r, 'u', &u));
        CHECK(u == 0xc0ffee);
        for (int k = 0; k < N; k++)
                CHECK_OK(wire_reader_exit(&r));
        CHECK(wire_reader_at_end(&r));
        free(m);
}

static void test_builder_errors(void)
{
        WireBuilder b;
        uint8_t *m = NULL;
        size_t size;
        const char *bad = "a\xff";
        int two = 2;

        wire_builder_init(&b, WIRE_MESSAGE_METHOD_CALL, 0);
        CHECK(wire_builder_set_path(&b, "no/slash") == WIRE_E_BAD_PATH);
        CHECK(wire_builder_set_member(&b, "M") == WIRE_E_BAD_PATH); /* sticky */
        CHECK(wire_builder_finish(&b, 1, &m, &size) == WIRE_E_BAD_PATH);
        wire_builder_deinit(&b);

        static const struct {
                const char *what;
                int want;
        } rows[] = {
                { "interface", WIRE_E_BAD_INTERFACE }, { "member", WIRE_E_BAD_MEMBER },
                { "error", WIRE_E_BAD_ERROR_NAME },    { "dest", WIRE_E_BAD_BUS_NAME },
                { "utf8", WIRE_E_BAD_UTF8 },           { "bool", WIRE_E_BAD_BOOLEAN },
                { "close", WIRE_E_BUILDER_STATE },     { "open", WIRE_E_BUILDER_STATE },
                { "mismatch", WIRE_E_TYPE_MISMATCH },  { "variant", WIRE_E_BAD_VARIANT },
                { "dict top", WIRE_E_TYPE_MISMATCH },  { "struct half", WIRE_E_BUILDER_STATE },
                { "missing", WIRE_E_MISSING_MEMBER },  { "serial", WIRE_E_ZERO_SERIAL },
                { "depth", WIRE_E_NESTING_TOO_DEEP },  { "sig", WIRE_E_BAD_SIGNATURE },
                { "fd", WIRE_E_BAD_FD_INDEX },
        };
        for (size_t k = 0; k < ELEMENTSOF(rows); k++) {
                const char *w = rows[k].what;
                uint32_t serial = 1;
                int r;

                wire_builder_init(&b, WIRE_MESSAGE_METHOD_CALL, 0);
                wire_builder_set_path(&b, "/");
                if (strcmp(w, "missing"))
                        wire_builder_set_member(&b, "M");
                if (!strcmp(w, "interface"))
                        wire_builder_set_interface(&b, "nodots");
                else if (!strcmp(w, "member"))
                        wire_builder_set_member(&b, "a.b");
                else if (!strcmp(w, "error"))
                        wire_builder_set_error_name(&b, ".a.b");
                else if (!strcmp(w, "dest"))
                        wire_builder_set_destination(&b, ":");
                else if (!strcmp(w, "utf8"))
                        wire_builder_append(&b, 's', &bad);
                else if (!strcmp(w, "bool"))
                        wire_builder_append(&b, 'b', &two);
                else if (!strcmp(w, "close"))
                        wire_builder_close(&b);
                else if (!strcmp(w, "open"))
                        wire_builder_open(&b, 'a', "u");
                else if (!strcmp(w, "mismatch")) {
                        wire_builder_open(&b, 'a', "u");
                        wire_builder_append_string(&b, "x");
                } else if (!strcmp(w, "variant"))
                        wire_builder_open(&b, 'v', "uu");
                else if (!strcmp(w, "dict top"))
                        wire_builder_open(&b, '{', "sv");
                else if (!strcmp(w, "struct half")) {
                        wire_builder_open(&b, '(', "uu");
                        wire_builder_append_u32(&b, 1);
                        wire_builder_close(&b);
                } else if (!strcmp(w, "serial"))
                        serial = 0;
                else if (!strcmp(w, "depth")) {
                        for (int k2 = 0; k2 < 65; k2++)
                                wire_builder_open(&b, 'v', "v");
                } else if (!strcmp(w, "fd")) {
                        wire_builder_set_unix_fds(&b, 1);
                        wire_builder_append(&b, 'h', &(uint32_t){ 1 });
                } else if (!strcmp(w, "sig"))
                        wire_builder_open(&b, 'a', "{vs}");
                r = wire_builder_finish(&b, serial, &m, &size);
                if (r != rows[k].want) {
                        fprintf(stderr, "builder %s: got %s want %s\n", w, wire_strerror(r),
                                wire_strerror(rows[k].want));
                        failures++;
                }
                if (r == 0)
                        free(m);
                wire_builder_deinit(&b);
        }
}

/* a message with an unknown header field and a SENDER, rewritten */
static void test_rewrite(void)
{
        for (int be = 0; be <= 1; be++) {
                WireBuilder b;
                uint8_t *m, *m2, out[512];
                size_t size, hlen, size2, fl;
                WireHeader h, h2;
                WireReader r;
                const char *s;

                wire_builder_init_endian(&b, WIRE_MESSAGE_METHOD_CALL, WIRE_FLAG_NO_REPLY_EXPECTED, be);
                wire_builder_set_path(&b, "/p");
                wire_builder_set_interface(&b, "a.b");
                wire_builder_set_member(&b, "M");
                wire_builder_set_destination(&b, "a.b");
                wire_builder_set_sender(&b, ":1.99");
                wire_builder_set_unix_fds(&b, 1);
                wire_builder_append_string(&b, "body");
                CHECK_OK(wire_builder_finish(&b, 12, &m, &size));
                wire_builder_deinit(&b);

                /* append an unknown field (code 200, variant 'y') by hand */
                CHECK_OK(wire_message_parse(m, size, &h));
                fl = h.fields_size;
                m2 = calloc(1, size + 8);
                memcpy(m2, m, 16 + fl);
                {
                        size_t p = ALIGN8(16 + fl);
                        m2[p] = 200;
                        m2[p + 1] = 1;
                        m2[p + 2] = 'y';
                        m2[p + 3] = 0;
                        m2[p + 4] = 9;
                        fl = p + 5 - 16;
                }
                if (be) {
                        m2[12] = 0; m2[13] = 0; m2[14] = (uint8_t)(fl >> 8); m2[15] = (uint8_t)fl;
                } else {
                        m2[12] = (uint8_t)fl; m2[13] = (uint8_t)(fl >> 8); m2[14] = 0; m2[15] = 0;
                }
                size2 = ALIGN8(16 + fl) + h.body_size;
                memcpy(m2 + ALIGN8(16 + fl), m + h.body_offset, h.body_size);
                CHECK_OK(wire_message_parse(m2, size2, &h2));
                CHECK(h2.body_offset == h.body_offset + 8);
                CHECK(h2.unknown_fields && !h.unknown_fields);

                CHECK(wire_message_rewrite_header(m2, &h2, ":1.7", out, 10, &hlen) == -ENOBUFS);
                CHECK_OK(wire_message_rewrite_header(m2, &h2, ":1.7", out, sizeof(out), &hlen));
                CHECK(hlen == wire_message_rewrite_size(&h2, ":1.7"));
                CHECK(hlen % 8 == 0);
                {
                        uint8_t *n = malloc(hlen + h2.body_size);
                        WireHeader h3;

                        memcpy(n, out, hlen);
                        memcpy(n + hlen, m2 + h2.body_offset, h2.body_size);
                        CHECK_OK(wire_message_parse(n, hlen + h2.body_size, &h3));
                        CHECK(h3.big_endian == be && h3.serial == 12 &&
                              h3.flags == WIRE_FLAG_NO_REPLY_EXPECTED);
                        CHECK(strcmp(h3.sender, ":1.7") == 0 && strcmp(h3.path, "/p") == 0);
                        CHECK(strcmp(h3.destination, "a.b") == 0 && h3.n_fds == 1);
                        CHECK(h3.body_offset == h.body_offset - 8 + 8 || h3.body_offset <= h2.body_offset);
                        wire_reader_init(&r, n, &h3);
                        CHECK_OK(wire_reader_read(&r, 's', &s));
                        CHECK(strcmp(s, "body") == 0);
                        /* without a sender */
                        CHECK_OK(wire_message_rewrite_header(n, &h3, NULL, out, sizeof(out), &hlen));
                        memcpy(n, out, hlen);
                        memcpy(n + hlen, m2 + h2.body_offset, h2.body_size);
                        CHECK_OK(wire_message_parse(n, hlen + h2.body_size, &h3));
                        CHECK(h3.sender == NULL);
                        free(n);
                }
                free(m2);
                free(m);
        }
}

/* the forwarded header the short way equals the rewrite, field for field */
static void same_message(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
        WireHeader x, y;

        CHECK_OK(wire_message_parse(a, na, &x));
        CHECK_OK(wire_message_parse(b, nb, &y));
#define SAME_STR(f) CHECK((!x.f && !y.f) || (x.f && y.f && strcmp(x.f, y.f) == 0))
        SAME_STR(path);
        SAME_STR(interface);
        SAME_STR(member);
        SAME_STR(error_name);
        SAME_STR(destination);
        SAME_STR(sender);
        SAME_STR(signature);
#undef SAME_STR
        CHECK(x.big_endian == y.big_endian && x.type == y.type && x.flags == y.flags);
        CHECK(x.serial == y.serial && x.reply_serial == y.reply_serial && x.n_fds == y.n_fds);
        CHECK(x.body_size == y.body_size &&
              memcmp(a + x.body_offset, b + y.body_offset, x.body_size) == 0);
}

static void test_append_sender(void)
{
        for (int be = 0; be <= 1; be++) {
                for (int kind = 0; kind < 3; kind++) {
                        WireBuilder b;
                        uint8_t *m, *quick, *slow;
                        size_t size, nq, ns, lq, ls;
                        WireHeader h;

                        wire_builder_init_endian(&b, kind == 2 ? WIRE_MESSAGE_METHOD_RETURN
                                                               : WIRE_MESSAGE_METHOD_CALL, 0, be);
                        if (kind == 2) {
                                wire_builder_set_reply_serial(&b, 77);
                                wire_builder_set_destination(&b, ":1.3");
                        } else {
                                wire_builder_set_path(&b, "/com/example/Obj");
                                wire_builder_set_interface(&b, "com.example.I");
                                wire_builder_set_member(&b, kind ? "Mm" : "Member");
                                wire_builder_set_destination(&b, "com.example.Dest");
                        }
                        wire_builder_append_string(&b, kind ? "" : "a body string");
                        wire_builder_append_u32(&b, 42);
                        CHECK_OK(wire_builder_finish(&b, 9, &m, &size));
                        wire_builder_deinit(&b);
                        CHECK_OK(wire_message_parse(m, size, &h));

                        nq = wire_message_append_sender_size(&h, strlen(":1.1234"));
                        ns = wire_message_rewrite_size(&h, ":1.1234");
                        CHECK(nq > 0 && nq % 8 == 0);
                        quick = calloc(1, nq + h.body_size);
                        slow = calloc(1, ns + h.body_size);
                        lq = wire_message_append_sender(m, &h, ":1.1234", 7, quick);
                        CHECK(lq == nq);
                        memcpy(quick + lq, m + h.body_offset, h.body_size);
                        CHECK_OK(wire_message_rewrite_header(m, &h, ":1.1234", slow, ns, &ls));
                        memcpy(slow + ls, m + h.body_offset, h.body_size);
                        same_message(quick, lq + h.body_size, slow, ls + h.body_size);
                        free(quick);
                        free(slow);
                        free(m);
                }
        }

        /* a SENDER of the peer's own, or unknown fields: only the rewrite drops them */
        {
                WireBuilder b;
                uint8_t *m;
                size_t size;
                WireHeader h;

                wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
                wire_builder_set_path(&b, "/");
                wire_builder_set_interface(&b, "a.b");
                wire_builder_set_member(&b, "S");
                wire_builder_set_sender(&b, ":1.666");
                CHECK_OK(wire_builder_finish(&b, 1, &m, &size));
                wire_builder_deinit(&b);
                CHECK_OK(wire_message_parse(m, size, &h));
                CHECK(wire_message_append_sender_size(&h, 4) == 0);
                h.sender = NULL;
                CHECK(wire_message_append_sender_size(&h, 4) > 0);
                h.unknown_fields = true;
                CHECK(wire_message_append_sender_size(&h, 4) == 0);
                free(m);
        }
}

int main(void)
{
        test_round_trip();
        test_deep_nesting();
        test_builder_errors();
        test_rewrite();
        test_append_sender();
        if (failures) {
                fprintf(stderr, "%d failures\n", failures);
                return 1;
        }
        return 0;
}
