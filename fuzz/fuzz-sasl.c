/*
 * fuzz-sasl.c -- the SASL server state machine on arbitrary client bytes in
 * arbitrary chunkings. Input: byte 0 picks the configuration (mechanisms,
 * fds, uid, output buffer size), byte 1 seeds the chunk sizes, the rest is
 * what the client sends (starting with the protocol's NUL byte).
 * Checks: no crash, no read or write out of bounds, progress on every call,
 * output bounded by the input, nothing consumed after BEGIN or a failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/errors.h"
#include "wire/sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char out[2 * WIRE_SASL_LINE_MAX];
        WireSaslConfig cfg = {.guid = "0123456789abcdef0123456789abcdef"};
        WireSasl *s;
        uint32_t seed;
        size_t pos = 2, total_out = 0, out_cap;
        int r = WIRE_SASL_CONTINUE;

        if (size < 2)
                return 0;
        cfg.allow_external = !(data[0] & 1);
        cfg.allow_anonymous = data[0] & 2;
        cfg.unix_fd_possible = data[0] & 4;
        cfg.peer_uid = (data[0] & 8) ? WIRE_SASL_UID_UNKNOWN : (data[0] & 16) ? 0 : 1000;
        out_cap = (data[0] & 32) ? WIRE_SASL_OUT_MIN : sizeof(out);
        seed = data[1];

        s = malloc(sizeof(*s));
        if (!s)
                return 0;
        wire_sasl_init(s, &cfg);
        while (pos < size) {
                size_t n, consumed = SIZE_MAX, out_len = SIZE_MAX;

                seed = seed * 1103515245u + 12345u;
                n = seed % 4 == 0 ? size - pos : 1 + (seed >> 16) % 97;
                if (n > size - pos)
                        n = size - pos;
                r = wire_sasl_feed(s, data + pos, n, &consumed, out, out_cap, &out_len);
                if (r < 0 || consumed > n || out_len > out_cap)
                        abort();
                if (r == WIRE_SASL_CONTINUE && consumed == 0 && out_len == 0)
                        abort(); /* no progress: the caller would spin */
                if (out_len > 0 && (out_len < 2 || memcmp(out + out_len - 2, "\r\n", 2)))
                        abort(); /* replies are whole lines */
                total_out += out_len;
                pos += consumed;
                if (r != WIRE_SASL_CONTINUE)
                        break;
        }
        /* every reply answers a line of at least 2 bytes; a reply is < 160 bytes */
        if (total_out > 80 * size)
                abort();
        if (r != WIRE_SASL_CONTINUE) {
                size_t consumed, out_len;
                int again = wire_sasl_feed(s, data, size, &consumed, out, out_cap, &out_len);

                if (again != r || consumed != 0 || out_len != 0)
                        abort();
        }
        if (r == WIRE_SASL_DONE && !s->authenticated)
                abort();
        free(s);
        return 0;
}
