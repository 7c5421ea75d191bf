/*
 * builder.h -- the writer: marshal a D-Bus message (header + body) into a
 * growing buffer. Used by the broker's driver, tests and tools.
 *
 * Errors are sticky: after the first failure every call returns it again and
 * wire_builder_finish() reports it, so callers may check only at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/signature.h"

typedef struct WireBuilderLevel {
        char kind;              /* 0 top level, 'a', '(', '{', 'v' */
        const char *sig;        /* expected signature at this level (NULL at top) */
        size_t sig_len;
        size_t sig_pos;         /* next type expected within sig */
        size_t len_offset;      /* arrays: where the uint32 length goes */
        size_t start;           /* arrays: first element's offset (after padding) */
        char contents[WIRE_MAX_SIGNATURE_LENGTH + 1]; /* owned copy of sig */
} WireBuilderLevel;

/*
 * Levels kept inside the builder: the driver nests at most a{sv} holding an
 * array (4 levels). Deeper levels (up to WIRE_MAX_TOTAL_DEPTH) go to one heap
 * block allocated on first use, so that a builder on the stack stays ~1.9 kB
 * instead of the ~20 kB that 65 levels of 300 bytes would take.
 */
#define WIRE_BUILDER_INLINE_DEPTH 4

typedef struct WireBuilder {
        uint8_t *body;          /* body bytes */
        size_t body_len, body_cap;
        int error;              /* sticky first error */
        bool big_endian;
        uint8_t type, flags;
        uint32_t reply_serial, n_fds;
        uint64_t fds_used;      /* highest 'h' index appended + 1 (checked against n_fds) */
        char *path, *interface, *member, *error_name, *destination, *sender;
        char signature[WIRE_MAX_SIGNATURE_LENGTH + 1]; /* top-level body signature so far */
        size_t signature_len;
        unsigned depth;
        WireBuilderLevel *deep; /* levels > WIRE_BUILDER_INLINE_DEPTH, or NULL */
        WireBuilderLevel level[WIRE_BUILDER_INLINE_DEPTH + 1];
} WireBuilder;

/** wire_builder_init() - start a message of @type with @flags, little-endian. */
void wire_builder_init(WireBuilder *b, uint8_t type, uint8_t flags);
/** wire_builder_init_endian() - same, choosing the byte order. */
void wire_builder_init_endian(WireBuilder *b, uint8_t type, uint8_t flags, bool big_endian);
/** wire_builder_deinit() - free everything the builder holds (also after finish). */
void wire_builder_deinit(WireBuilder *b);

/* header fields; strings are copied and checked against the names grammar */
int wire_builder_set_path(WireBuilder *b, const char *path);
int wire_builder_set_interface(WireBuilder *b, const char *interface);
int wire_builder_set_member(WireBuilder *b, const char *member);
int wire_builder_set_error_name(WireBuilder *b, const char *name);
int wire_builder_set_destination(WireBuilder *b, const char *name);
int wire_builder_set_sender(WireBuilder *b, const char *name);
int wire_builder_set_reply_serial(WireBuilder *b, uint32_t serial);
int wire_builder_set_unix_fds(WireBuilder *b, uint32_t n_fds);

/**
 * wire_builder_append() - append one basic value. @value points to the C type
 * of @type: uint8_t 'y', int (0/1) 'b', int16_t 'n', uint16_t 'q', int32_t 'i',
 * uint32_t 'u' and 'h' (fd index), int64_t 'x', uint64_t 't', double 'd',
 * const char * for 's', 'o', 'g' (validated: UTF-8, path, signature grammar).
 */
int wire_builder_append(WireBuilder *b, char type, const void *value);

/* shorthands */
int wire_builder_append_string(WireBuilder *b, const char *s);
int wire_builder_append_u32(WireBuilder *b, uint32_t v);
int wire_builder_append_bool(WireBuilder *b, bool v);

/**
 * wire_builder_open() - open a container. @container is 'a' (array; @contents
 * the element type, e.g. "{sv}"), '(' (struct; @contents the member types,
 * e.g. "su"), '{' (dict entry inside an array of dict entries; @contents
 * e.g. "sv") or 'v' (variant; @contents the single complete type inside).
 */
int wire_builder_open(WireBuilder *b, char container, const char *contents);
/** wire_builder_close() - close the innermost open container. */
int wire_builder_close(WireBuilder *b);

/**
 * wire_builder_finish() - marshal header + body into one malloc'd buffer
 * (*@ret_data, free() it) of *@ret_size bytes with serial @serial.
 * Checks required fields for the message type.
 * Return: 0, the sticky error, WIRE_E_BUILDER_STATE if containers are open,
 * WIRE_E_ZERO_SERIAL, a WIRE_E_MISSING_* code for a missing required field,
 * WIRE_E_BAD_FD_INDEX if an 'h' value is >= the UNIX_FDS set,
 * WIRE_E_MESSAGE_TOO_LARGE, or -ENOMEM.
 */
int wire_builder_finish(WireBuilder *b, uint32_t serial, uint8_t **ret_data, size_t *ret_size);
