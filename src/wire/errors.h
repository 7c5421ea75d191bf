/*
 * errors.h -- the wire layer's expected outcomes: every reason a message,
 * signature, name or SASL exchange is refused has its own positive code.
 * (0 = success; negative = -errno, which this layer only returns for -ENOMEM.)
 */
#pragma once

enum {
        _WIRE_E_FIRST = 1000,

        /* framing and fixed header */
        WIRE_E_TRUNCATED = _WIRE_E_FIRST, /* fewer bytes than the header declares */
        WIRE_E_TRAILING_BYTES,            /* more bytes than the header declares */
        WIRE_E_BAD_ENDIAN,                /* first byte neither 'l' nor 'B' */
        WIRE_E_BAD_VERSION,               /* protocol version != 1 */
        WIRE_E_BAD_MESSAGE_TYPE,          /* type 0 */
        WIRE_E_UNKNOWN_MESSAGE_TYPE,      /* type > 4: valid framing, caller ignores it */
        WIRE_E_ZERO_SERIAL,
        WIRE_E_MESSAGE_TOO_LARGE,         /* > 128 MiB */
        WIRE_E_FIELDS_TOO_LARGE,          /* header fields array > 64 MiB or beyond message */

        /* header fields */
        WIRE_E_BAD_FIELD,                 /* field code 0 */
        WIRE_E_FIELD_TYPE,                /* a known field with the wrong variant type */
        WIRE_E_DUPLICATE_FIELD,
        WIRE_E_MISSING_PATH,
        WIRE_E_MISSING_INTERFACE,
        WIRE_E_MISSING_MEMBER,
        WIRE_E_MISSING_ERROR_NAME,
        WIRE_E_MISSING_REPLY_SERIAL,
        WIRE_E_ZERO_REPLY_SERIAL,
        WIRE_E_MISSING_SIGNATURE,         /* body present but no SIGNATURE field */
        WIRE_E_LOCAL_PATH,                /* /org/freedesktop/DBus/Local is reserved */
        WIRE_E_LOCAL_INTERFACE,           /* org.freedesktop.DBus.Local is reserved */

        /* names and paths grammar */
        WIRE_E_BAD_PATH,
        WIRE_E_BAD_INTERFACE,
        WIRE_E_BAD_MEMBER,
        WIRE_E_BAD_ERROR_NAME,
        WIRE_E_BAD_BUS_NAME,

        /* signatures */
        WIRE_E_BAD_SIGNATURE,
        WIRE_E_SIGNATURE_TOO_LONG,        /* > 255 bytes */
        WIRE_E_NESTING_TOO_DEEP,          /* > 32 arrays, > 32 structs, or > 64 in total */

        /* values */
        WIRE_E_BAD_PADDING,               /* alignment padding not zero */
        WIRE_E_BAD_UTF8,
        WIRE_E_EMBEDDED_NUL,
        WIRE_E_MISSING_NUL,               /* string not followed by NUL */
        WIRE_E_BAD_BOOLEAN,               /* not 0 or 1 */
        WIRE_E_ARRAY_TOO_LONG,            /* > 64 MiB */
        WIRE_E_BAD_ARRAY_LENGTH,          /* elements do not fill the length exactly */
        WIRE_E_BAD_VARIANT,               /* variant signature not one complete type */
        WIRE_E_BAD_FD_INDEX,              /* unix fd index >= UNIX_FDS */
        WIRE_E_BODY_TOO_SHORT,            /* body ends before the signature does */
        WIRE_E_BODY_TOO_LONG,             /* bytes left after the signature's values */

        /* reader / builder use */
        WIRE_E_TYPE_MISMATCH,             /* asked for a type the signature does not have here */
        WIRE_E_END,                       /* no more values at this level */
        WIRE_E_BUILDER_STATE,             /* builder misused (close without open, ...) */

        /* SASL */
        WIRE_E_SASL_LINE_TOO_LONG,
        WIRE_E_SASL_TOO_MANY_ATTEMPTS,
        WIRE_E_SASL_BAD_NUL,              /* the first byte was not NUL */
        WIRE_E_SASL_PROTOCOL,             /* data after BEGIN in wrong state, non-ASCII, ... */

        _WIRE_E_END,
};

/**
 * wire_strerror() - the name of a WIRE_E_* code ("WIRE_E_BAD_UTF8"), for
 * logs and error replies. Unknown codes give "WIRE_E_UNKNOWN".
 */
const char *wire_strerror(int code);
