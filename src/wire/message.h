/*
 * message.h -- one D-Bus message as bytes: framing, whole-message validation
 * in one pass, and the header rewrite the broker needs (SENDER set, unknown
 * fields dropped) without touching the body.
 *
 * Must never: do I/O, log, or allocate in the validator. Everything here works
 * on a caller-owned buffer holding one complete message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_FIXED_HEADER_SIZE   16
#define WIRE_MAX_MESSAGE_SIZE    (128u * 1024u * 1024u)
#define WIRE_MAX_ARRAY_SIZE      (64u * 1024u * 1024u)

enum {
        WIRE_MESSAGE_INVALID = 0,
        WIRE_MESSAGE_METHOD_CALL = 1,
        WIRE_MESSAGE_METHOD_RETURN = 2,
        WIRE_MESSAGE_ERROR = 3,
        WIRE_MESSAGE_SIGNAL = 4,
};

enum {
        WIRE_FLAG_NO_REPLY_EXPECTED = 0x1,
        WIRE_FLAG_NO_AUTO_START = 0x2,
        WIRE_FLAG_ALLOW_INTERACTIVE_AUTHORIZATION = 0x4,
};

enum {
        WIRE_FIELD_INVALID = 0,
        WIRE_FIELD_PATH = 1,
        WIRE_FIELD_INTERFACE = 2,
        WIRE_FIELD_MEMBER = 3,
        WIRE_FIELD_ERROR_NAME = 4,
        WIRE_FIELD_REPLY_SERIAL = 5,
        WIRE_FIELD_DESTINATION = 6,
        WIRE_FIELD_SENDER = 7,
        WIRE_FIELD_SIGNATURE = 8,
        WIRE_FIELD_UNIX_FDS = 9,
        _WIRE_FIELD_KNOWN_MAX = 9,
};

/*
 * What wire_message_parse() learned. String members point into the message
 * buffer (D-Bus strings are NUL-terminated on the wire), NULL when absent;
 * signature is "" when absent. Valid only while that buffer lives.
 */
typedef struct WireHeader {
        bool big_endian;
        uint8_t type;
        uint8_t flags;
        uint32_t body_size;
        uint32_t serial;
        uint32_t reply_serial;  /* 0 = absent */
        uint32_t n_fds;         /* UNIX_FDS, 0 = absent */
        const char *path;
        const char *interface;
        const char *member;
        const char *error_name;
        const char *destination;
        const char *sender;
        const char *signature;
        size_t fields_size;     /* length of the header-fields array (bytes 12..15) */
        size_t body_offset;     /* 8-aligned start of the body */
        size_t size;            /* whole message: body_offset + body_size */
        bool unknown_fields;    /* fields of codes > _WIRE_FIELD_KNOWN_MAX were skipped */
} WireHeader;

/**
 * wire_message_frame() - size of the message whose first bytes are @buf.
 * @len must be >= WIRE_FIXED_HEADER_SIZE. Checks only the fixed header
 * (endianness, version, sizes within limits).
 * Return: 0 and *@ret_size, or WIRE_E_BAD_ENDIAN / WIRE_E_BAD_VERSION /
 * WIRE_E_MESSAGE_TOO_LARGE / WIRE_E_FIELDS_TOO_LARGE.
 */
int wire_message_frame(const uint8_t *buf, size_t len, size_t *ret_size);

/**
 * wire_message_parse() - validate the complete message @msg (@size bytes,
 * exactly one message) against the D-Bus specification in one pass: fixed
 * header, header fields (types, duplicates, required per message type, names
 * grammar), padding, and the whole body against its signature (UTF-8, NULs,
 * booleans, array lengths, nesting, variants, fd indices < UNIX_FDS).
 * On success fills *@ret (written only on success) and returns 0; otherwise
 * returns the WIRE_E_* reason. Unknown message types give
 * WIRE_E_UNKNOWN_MESSAGE_TYPE (the spec says such messages are ignored).
 * No allocation; stack use bounded (no unbounded recursion).
 */
int wire_message_parse(const uint8_t *msg, size_t size, WireHeader *ret);

/**
 * wire_message_rewrite_size() - bytes wire_message_rewrite_header() will write
 * for @h with sender @sender (NULL = no SENDER field): fixed header + fields,
 * padded to 8.
 */
size_t wire_message_rewrite_size(const WireHeader *h, const char *sender);

/**
 * wire_message_rewrite_header() - write a new header for the parsed message
 * @msg/@h into @out: same byte order, type, flags, serial, body size; the known
 * fields PATH..UNIX_FDS except SENDER copied, SENDER set to @sender (if not
 * NULL), unknown fields dropped, padded with zeros to 8. The body is not
 * copied: the new message is @out[0..*ret_len) followed by
 * @msg[h->body_offset .. h->size).
 * Return: 0, or -ENOBUFS if @out_cap is too small.
 */
int wire_message_rewrite_header(const uint8_t *msg, const WireHeader *h, const char *sender,
                                uint8_t *out, size_t out_cap, size_t *ret_len);

/**
 * wire_message_append_sender_size() - bytes wire_message_append_sender()
 * writes for @h and a sender of @sender_len bytes, or 0 when that shortcut does
 * not apply: @h has a SENDER field or unknown fields, which only
 * wire_message_rewrite_header() drops.
 */
size_t wire_message_append_sender_size(const WireHeader *h, size_t sender_len);

/**
 * wire_message_append_sender() - the forwarded header of @msg/@h the short
 * way: its fixed header and header fields copied as they are, a SENDER field
 * @sender (@sender_len bytes) appended, the fields length updated, padded with
 * zeros to 8. Same message as wire_message_rewrite_header() gives (fields in
 * another order). @out must hold wire_message_append_sender_size() bytes, which
 * must not be 0. Return: the bytes written.
 */
size_t wire_message_append_sender(const uint8_t *msg, const WireHeader *h, const char *sender,
                                  size_t sender_len, uint8_t *out);

/**
 * wire_message_write_header() - write the fixed header and the known fields
 * of @h (SENDER taken from @sender, not @h->sender) into @out, which must hold
 * wire_message_rewrite_size(@h, @sender) bytes; padded to 8. Fields with a
 * NULL/0/"" value are left out. Return: the bytes written.
 */
size_t wire_message_write_header(const WireHeader *h, const char *sender, uint8_t *out);
