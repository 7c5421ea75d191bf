/*
 * msg.c -- the broker's refcounted message: parse once, rewrite the header
 * once, forward [header][body] to every receiver.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bus/msg.h"

/** msg_new_parsed() - see msg.h. */
int msg_new_parsed(uint8_t *data, size_t size, Msg **ret_msg)
{
        WireHeader h;
        Msg *m;
        int r;

        r = wire_message_parse(data, size, &h);
        if (r != 0) {
                free(data);
                return r;
        }
        m = calloc(1, sizeof(*m));
        if (!m) {
                free(data);
                return -ENOMEM;
        }
        m->n_refs = 1;
        m->data = data;
        m->size = size;
        m->h = h;
        *ret_msg = m;
        return 0;
}

/* the header of the message framed at @src: fixed part and fields, padded */
static size_t header_size(const uint8_t *src, size_t size)
{
        uint32_t fields_len;

        memcpy(&fields_len, src + 12, sizeof(fields_len));
        fields_len = src[0] == 'B' ? be32toh(fields_len) : le32toh(fields_len);
        return ALIGN8(MIN((size_t)fields_len + WIRE_FIXED_HEADER_SIZE, size));
}

/** msg_new_copy() - see msg.h. */
int msg_new_copy(const uint8_t *src, size_t size, size_t fwd_extra, Msg **ret_msg)
{
        size_t room = fwd_extra && size >= WIRE_FIXED_HEADER_SIZE ? header_size(src, size) + ALIGN8(fwd_extra) + 8 : 0;
        Msg *m;
        int r;

        if (fwd_extra > SIZE_MAX / 4 || size > SIZE_MAX - sizeof(*m) - room - 8)
                return -ENOMEM;
        m = malloc(sizeof(*m) + ALIGN8(size) + room);
        if (!m)
                return -ENOMEM;
        memcpy(m->storage, src, size);
        r = wire_message_parse(m->storage, size, &m->h);
        if (r != 0) {
                free(m);
                return r;
        }
        m->n_refs = 1;
        m->data = m->storage;
        m->size = size;
        m->fds = NULL;
        m->n_fds = 0;
        m->fwd_hdr = NULL;
        m->fwd_hdr_len = 0;
        m->fwd_room = room ? m->storage + ALIGN8(size) : NULL;
        m->fwd_room_size = room;
        *ret_msg = m;
        return 0;
}

/** msg_ref() - take a reference (NULL-safe). */
Msg *msg_ref(Msg *m)
{
        if (m)
                m->n_refs++;
        return m;
}

/** msg_unref() - drop a reference; frees buffers and closes fds on the last. */
Msg *msg_unref(Msg *m)
{
        if (!m || --m->n_refs > 0)
                return NULL;
        for (unsigned i = 0; i < m->n_fds; i++)
                safe_close(m->fds[i]);
        free(m->fds);
        if (m->fwd_hdr != m->fwd_room)
                free(m->fwd_hdr);
        if (m->data != m->storage)
                free(m->data);
        free(m);
        return NULL;
}

/** msg_set_sender() - see msg.h. */
int msg_set_sender(Msg *m, const char *sender)
{
        size_t n = sender ? strlen(sender) : 0;
        /* the usual message (no SENDER, no unknown fields) keeps its fields
         * and gets SENDER appended; others are rewritten field by field */
        size_t quick = sender ? wire_message_append_sender_size(&m->h, n) : 0;
        size_t cap = quick ? quick : wire_message_rewrite_size(&m->h, sender), len;
        bool inside = m->fwd_room && cap <= m->fwd_room_size && m->fwd_hdr != m->fwd_room;
        uint8_t *buf = inside ? m->fwd_room : malloc(cap);

        if (!buf)
                return -ENOMEM;
        /* @buf holds the @cap bytes either writer requires */
        if (quick)
                len = wire_message_append_sender(m->data, &m->h, sender, n, buf);
        else
                len = wire_message_write_header(&m->h, sender, buf);
        if (m->fwd_hdr != m->fwd_room)
                free(m->fwd_hdr);
        m->fwd_hdr = buf;
        m->fwd_hdr_len = len;
        return 0;
}

/** msg_wire_size() - see msg.h. */
size_t msg_wire_size(const Msg *m)
{
        if (!m->fwd_hdr)
                return m->size;
        return m->fwd_hdr_len + (m->size - m->h.body_offset);
}

/** msg_iov() - see msg.h. */
unsigned msg_iov(const Msg *m, size_t skip, struct iovec *iov)
{
        const uint8_t *a = m->fwd_hdr ? m->fwd_hdr : m->data;
        size_t a_len = m->fwd_hdr ? m->fwd_hdr_len : m->size;
        const uint8_t *b = m->fwd_hdr ? m->data + m->h.body_offset : NULL;
        size_t b_len = m->fwd_hdr ? m->size - m->h.body_offset : 0;
        unsigned n = 0;

        if (skip < a_len) {
                iov[n++] = (struct iovec){ (void *)(uintptr_t)(a + skip), a_len - skip };
                skip = 0;
        } else {
                skip -= a_len;
        }
        if (b_len > skip)
                iov[n++] = (struct iovec){ (void *)(uintptr_t)(b + skip), b_len - skip };
        return n;
}

/** msg_attach_fds() - see msg.h. */
int msg_attach_fds(Msg *m, int *fds, unsigned n)
{
        int *copy;

        if (n == 0)
                return 0;
        copy = malloc(n * sizeof(int));
        if (!copy)
                return -ENOMEM;
        memcpy(copy, fds, n * sizeof(int));
        m->fds = copy;
        m->n_fds = n;
        return 0;
}
