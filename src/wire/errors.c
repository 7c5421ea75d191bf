/*
 * errors.c -- names of the wire layer's WIRE_E_* codes, for logs and error
 * replies. Must never: allocate or depend on anything but the table below.
 */
#include "wire/errors.h"

#define E(x) [x - _WIRE_E_FIRST] = #x

static const char *const names[_WIRE_E_END - _WIRE_E_FIRST] = {
        E(WIRE_E_TRUNCATED),
        E(WIRE_E_TRAILING_BYTES),
        E(WIRE_E_BAD_ENDIAN),
        E(WIRE_E_BAD_VERSION),
        E(WIRE_E_BAD_MESSAGE_TYPE),
        E(WIRE_E_UNKNOWN_MESSAGE_TYPE),
        E(WIRE_E_ZERO_SERIAL),
        E(WIRE_E_MESSAGE_TOO_LARGE),
        E(WIRE_E_FIELDS_TOO_LARGE),
        E(WIRE_E_BAD_FIELD),
        E(WIRE_E_FIELD_TYPE),
        E(WIRE_E_DUPLICATE_FIELD),
        E(WIRE_E_MISSING_PATH),
        E(WIRE_E_MISSING_INTERFACE),
        E(WIRE_E_MISSING_MEMBER),
        E(WIRE_E_MISSING_ERROR_NAME),
        E(WIRE_E_MISSING_REPLY_SERIAL),
        E(WIRE_E_ZERO_REPLY_SERIAL),
        E(WIRE_E_MISSING_SIGNATURE),
        E(WIRE_E_LOCAL_PATH),
        E(WIRE_E_LOCAL_INTERFACE),
        E(WIRE_E_BAD_PATH),
        E(WIRE_E_BAD_INTERFACE),
        E(WIRE_E_BAD_MEMBER),
        E(WIRE_E_BAD_ERROR_NAME),
        E(WIRE_E_BAD_BUS_NAME),
        E(WIRE_E_BAD_SIGNATURE),
        E(WIRE_E_SIGNATURE_TOO_LONG),
        E(WIRE_E_NESTING_TOO_DEEP),
        E(WIRE_E_BAD_PADDING),
        E(WIRE_E_BAD_UTF8),
        E(WIRE_E_EMBEDDED_NUL),
        E(WIRE_E_MISSING_NUL),
        E(WIRE_E_BAD_BOOLEAN),
        E(WIRE_E_ARRAY_TOO_LONG),
        E(WIRE_E_BAD_ARRAY_LENGTH),
        E(WIRE_E_BAD_VARIANT),
        E(WIRE_E_BAD_FD_INDEX),
        E(WIRE_E_BODY_TOO_SHORT),
        E(WIRE_E_BODY_TOO_LONG),
        E(WIRE_E_TYPE_MISMATCH),
        E(WIRE_E_END),
        E(WIRE_E_BUILDER_STATE),
        E(WIRE_E_SASL_LINE_TOO_LONG),
        E(WIRE_E_SASL_TOO_MANY_ATTEMPTS),
        E(WIRE_E_SASL_BAD_NUL),
        E(WIRE_E_SASL_PROTOCOL),
};

/**
 * wire_strerror() - the name of a WIRE_E_* code.
 * @code: a WIRE_E_* value
 *
 * Return: a static string such as "WIRE_E_BAD_UTF8", "WIRE_E_UNKNOWN" for
 * anything that is not a WIRE_E_* code.
 */
const char *wire_strerror(int code)
{
        if (code < _WIRE_E_FIRST || code >= _WIRE_E_END || !names[code - _WIRE_E_FIRST])
                return "WIRE_E_UNKNOWN";
        return names[code - _WIRE_E_FIRST];
}
