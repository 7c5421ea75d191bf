/*
 * reader.h -- the unmarshaller: walk the body of a message that
 * wire_message_parse() accepted. Bounds are still checked on every read (no
 * crash on any input) but the structure is trusted to match the signature.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/message.h"
#include "wire/signature.h"

typedef struct WireReaderLevel {
        char kind;              /* 0 top, 'a', '(', '{', 'v' */
        const char *sig;        /* signature at this level, not NUL-terminated */
        size_t sig_len;
        size_t sig_pos;
        size_t end;             /* arrays: offset of the end of the elements */
} WireReaderLevel;

typedef struct WireReader {
        const uint8_t *data;    /* the whole message */
        size_t body_offset;     /* alignment is relative to the body start */
        size_t pos;             /* absolute offset in data */
        size_t end;             /* absolute end of the body */
        bool big_endian;
        unsigned depth;
        WireReaderLevel level[WIRE_MAX_TOTAL_DEPTH + 1];
} WireReader;

/** wire_reader_init() - read the body of @msg as described by @h. */
void wire_reader_init(WireReader *r, const uint8_t *msg, const WireHeader *h);

/**
 * wire_reader_peek() - the type code of the next value ('s', 'a', '(', '{',
 * 'v', ...), or 0 at the end of the current level.
 */
char wire_reader_peek(const WireReader *r);

/**
 * wire_reader_read() - read one basic value of @type into *@ret (C types as
 * in wire_builder_append(); strings as const char * into the message).
 * Return: 0, WIRE_E_TYPE_MISMATCH, WIRE_E_END, or WIRE_E_TRUNCATED.
 */
int wire_reader_read(WireReader *r, char type, void *ret);

/**
 * wire_reader_enter() - step into the container at the current position
 * ('a', '(', '{', 'v'). For 'v' and 'a', *@ret_contents (optional) receives
 * the inner signature (not NUL-terminated for 'a'; its length in
 * *@ret_contents_len, optional).
 */
int wire_reader_enter(WireReader *r, char container, const char **ret_contents,
                      size_t *ret_contents_len);
/** wire_reader_exit() - leave the current container, skipping what was not read. */
int wire_reader_exit(WireReader *r);
/** wire_reader_skip() - skip one complete value at the current position. */
int wire_reader_skip(WireReader *r);
/** wire_reader_at_end() - no more values at the current level. */
bool wire_reader_at_end(const WireReader *r);
