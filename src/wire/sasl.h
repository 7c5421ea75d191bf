/*
 * sasl.h -- the server side of D-Bus authentication as a pure state machine:
 * bytes in, bytes out. EXTERNAL against the peer's uid, ANONYMOUS when allowed,
 * NEGOTIATE_UNIX_FD, BEGIN, CANCEL, ERROR, DATA; bounded line length and
 * number of attempts. No I/O, no logging, no allocation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_SASL_LINE_MAX     4096       /* longest accepted line incl. CRLF */
#define WIRE_SASL_MAX_ATTEMPTS 6          /* REJECTED answers before we give up (as dbus-daemon) */
#define WIRE_SASL_MAX_ERRORS   16         /* ERROR answers before we give up */
#define WIRE_SASL_OUT_MIN      256        /* smallest @out_cap wire_sasl_feed() accepts */
#define WIRE_SASL_UID_UNKNOWN  UINT32_MAX /* peer_uid when the transport gave none */

enum {
        WIRE_SASL_CONTINUE = 0, /* need more input */
        WIRE_SASL_DONE = 1,     /* BEGIN seen: bytes after *ret_consumed are D-Bus messages */
};

typedef struct WireSaslConfig {
        uint32_t peer_uid;     /* from SO_PEERCRED; WIRE_SASL_UID_UNKNOWN: EXTERNAL fails */
        bool allow_external;   /* EXTERNAL offered */
        bool allow_anonymous;  /* ANONYMOUS offered (<allow_anonymous/> and mechanism listed) */
        bool unix_fd_possible; /* transport can pass fds (AF_UNIX) */
        char guid[33];         /* server GUID, 32 hex digits + NUL */
} WireSaslConfig;

typedef struct WireSasl {
        WireSaslConfig cfg;
        int state; /* internal */
        int error; /* the WIRE_E_SASL_* code once failed, else 0 */
        unsigned attempts;
        unsigned errors; /* ERROR lines sent so far */
        bool seen_nul;   /* the initial NUL byte */
        bool authenticated;
        bool anonymous; /* authenticated as ANONYMOUS */
        bool unix_fd;   /* NEGOTIATE_UNIX_FD agreed */
        uint32_t uid;   /* authenticated uid (EXTERNAL), else WIRE_SASL_UID_UNKNOWN */
        size_t line_len;
        char line[WIRE_SASL_LINE_MAX];
} WireSasl;

/** wire_sasl_init() - start a server-side conversation for a new connection. */
void wire_sasl_init(WireSasl *s, const WireSaslConfig *cfg);

/**
 * wire_sasl_feed() - consume client bytes @in[0..@len). Stops after BEGIN, so
 * that the D-Bus messages that follow it are not consumed. Writes the replies
 * (whole lines, "\r\n"-terminated) to @out. Replies are short (< 128
 * bytes); the function stops early, before a line whose reply might not fit,
 * rather than overflow @out: on WIRE_SASL_CONTINUE with *@ret_consumed < @len
 * the caller sends the output and calls again with the rest.
 * Return: WIRE_SASL_CONTINUE or WIRE_SASL_DONE with *@ret_consumed and
 * *@ret_out_len set; or a WIRE_E_SASL_* code: the connection must be closed
 * (after sending *@ret_out_len bytes of @out, which may hold a REJECTED or
 * ERROR line; *@ret_consumed and *@ret_out_len are set in this case too).
 * -EINVAL if @out_cap < WIRE_SASL_OUT_MIN. Once DONE, further calls return
 * WIRE_SASL_DONE consuming nothing; once failed, the same code again.
 */
int wire_sasl_feed(WireSasl *s, const uint8_t *in, size_t len, size_t *ret_consumed, char *out,
                   size_t out_cap, size_t *ret_out_len);
