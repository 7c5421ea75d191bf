/*
 * fuzz-message.c -- libFuzzer target for the message validator: any bytes go
 * to wire_message_parse(); an accepted message is then rewritten (SENDER set,
 * unknown fields dropped) and must parse again, and its body is walked with
 * the reader, which must agree with the validator to the last byte.
 * A disagreement is our bug, so it aborts.
 *
 * Inputs that start with neither 'l' nor 'B' exercise the reader alone on
 * unvalidated bytes (its promise: bounds checked, no crash on any input):
 * byte 0 is a signature length n, bytes 1..n the signature, the rest a body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ALIGN8_OFF(x) (((x) + 7) & ~(size_t)7)
#include "wire/message.h"
#include "wire/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* read every value of the body, entering every container */
static void walk(const uint8_t *msg, const WireHeader *h)
{
        union {
                uint64_t u64;
                const char *s;
        } v;
        WireReader r;

        wire_reader_init(&r, msg, h);
        for (;;) {
                char t = wire_reader_peek(&r);

                if (t == 0) {
                        if (r.depth == 0)
                                break;
                        if (wire_reader_exit(&r))
                                abort();
                        continue;
                }
                if (t == 'a' || t == '(' || t == '{' || t == 'v') {
                        if (wire_reader_enter(&r, t, NULL, NULL))
                                abort();
                } else if (wire_reader_read(&r, t, &v)) {
                        abort();
                }
        }
        if (r.pos != h->size)
                abort();
}

/* the reader over a body that nobody validated: it may fail, never crash */
static void walk_unvalidated(const uint8_t *data, size_t size)
{
        char sig[WIRE_MAX_SIGNATURE_LENGTH + 1];
        union {
                uint64_t u64;
                const char *s;
        } v;
        WireHeader h = { 0 };
        WireReader r;
        size_t n = data[0], body;

        if (n > size - 1 || wire_signature_validate((const char *)data + 1, n) != 0)
                return;
        memcpy(sig, data + 1, n);
        sig[n] = 0;
        body = ALIGN8_OFF(1 + n);
        if (body > size)
                return;
        h.signature = sig;
        h.body_offset = body;
        h.size = size;
        h.body_size = (uint32_t)(size - body);
        wire_reader_init(&r, data, &h);
        for (unsigned steps = 0; steps < 100000; steps++) {
                char t = wire_reader_peek(&r);

                if (t == 0) {
                        if (r.depth == 0 || wire_reader_exit(&r))
                                return;
                        continue;
                }
                if (t == 'a' || t == '(' || t == '{' || t == 'v') {
                        if (wire_reader_enter(&r, t, NULL, NULL) && wire_reader_skip(&r))
                                return;
                } else if (wire_reader_read(&r, t, &v)) {
                        return;
                }
                if (r.pos > size)
                        abort();
        }
}

static bool same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* what a receiver sees of a header, body included */
static bool same_header(const WireHeader *a, const WireHeader *b)
{
        return same_str(a->path, b->path) && same_str(a->interface, b->interface) &&
               same_str(a->member, b->member) && same_str(a->error_name, b->error_name) &&
               same_str(a->destination, b->destination) && same_str(a->sender, b->sender) &&
               same_str(a->signature, b->signature) && a->big_endian == b->big_endian &&
               a->type == b->type && a->flags == b->flags && a->serial == b->serial &&
               a->reply_serial == b->reply_serial && a->n_fds == b->n_fds &&
               a->body_size == b->body_size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        WireHeader h, h2, h3;
        uint8_t *out, *copy, *quick;
        size_t n, framed, q;

        if (size > 0 && data[0] != 'l' && data[0] != 'B') {
                walk_unvalidated(data, size);
                return 0;
        }
        if (size >= WIRE_FIXED_HEADER_SIZE && wire_message_frame(data, size, &framed) == 0 &&
            framed < size)
                (void)wire_message_parse(data, framed, &h);
        if (wire_message_parse(data, size, &h) != 0)
                return 0;
        walk(data, &h);

        n = wire_message_rewrite_size(&h, ":1.23");
        out = malloc(n + h.body_size);
        if (!out)
                return 0;
        if (wire_message_rewrite_header(data, &h, ":1.23", out, n, &n) != 0)
                abort();
        memcpy(out + n, data + h.body_offset, h.body_size);
        if (wire_message_parse(out, n + h.body_size, &h2) != 0)
                abort();
        if (strcmp(h2.sender, ":1.23") != 0 || h2.serial != h.serial || h2.type != h.type ||
            strcmp(h2.signature, h.signature) != 0 || h2.body_size != h.body_size)
                abort();
        walk(out, &h2);

        /* the bus's short way (fields kept, SENDER appended) where it applies:
         * the same message as the rewrite */
        q = wire_message_append_sender_size(&h, 5);
        if (q > 0) {
                quick = malloc(q + h.body_size);
                if (!quick)
                        abort();
                if (wire_message_append_sender(data, &h, ":1.23", 5, quick) != q)
                        abort();
                memcpy(quick + q, data + h.body_offset, h.body_size);
                if (wire_message_parse(quick, q + h.body_size, &h3) != 0 || !same_header(&h2, &h3) ||
                    memcmp(quick + q, out + n, h.body_size) != 0)
                        abort();
                free(quick);
        }
        /* keep the rewritten copy separate from the input for ASan */
        copy = out;
        free(copy);
        return 0;
}
