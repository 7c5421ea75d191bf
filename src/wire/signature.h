/*
 * signature.h -- D-Bus type signatures: validation and walking.
 * Pure functions over bytes; no allocation, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define WIRE_MAX_SIGNATURE_LENGTH 255
#define WIRE_MAX_ARRAY_DEPTH      32
#define WIRE_MAX_STRUCT_DEPTH     32
#define WIRE_MAX_TOTAL_DEPTH      64

/**
 * wire_signature_validate() - check that @sig (@len bytes, no NUL needed) is a
 * sequence of zero or more complete types, within length and nesting limits.
 * Return: 0, or WIRE_E_BAD_SIGNATURE / WIRE_E_SIGNATURE_TOO_LONG / WIRE_E_NESTING_TOO_DEEP.
 */
int wire_signature_validate(const char *sig, size_t len);

/**
 * wire_signature_next() - length of the single complete type at the start of
 * @sig (at most @len bytes). Return: 0 and *@ret_len, or WIRE_E_BAD_SIGNATURE.
 */
int wire_signature_next(const char *sig, size_t len, size_t *ret_len);

/** wire_signature_is_single() - @sig is exactly one complete type. */
bool wire_signature_is_single(const char *sig, size_t len);

/** wire_type_alignment() - alignment in bytes of a type code ('y' 1, 'i' 4, '(' 8, ...); 0 if unknown. */
size_t wire_type_alignment(char type);

/** wire_type_is_basic() - a basic (fixed or string-like) type code. */
bool wire_type_is_basic(char type);
