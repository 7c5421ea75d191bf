/*
 * sasl.c -- the server side of the D-Bus authentication protocol (D-Bus
 * specification, "Authentication Protocol") as a pure state machine.
 *
 * Owns: line framing (CRLF, length bound, ASCII only), the command grammar,
 * the three server states WaitingForAuth / WaitingForData / WaitingForBegin,
 * the mechanisms EXTERNAL (the claimed uid must be the transport's) and
 * ANONYMOUS (when the configuration allows it), NEGOTIATE_UNIX_FD, and the
 * bounds on failed attempts. Replies follow dbus-daemon's (dbus/dbus-auth.c)
 * choice of reply for every command in every state, so clients see the same
 * conversation from us as from dbus-daemon.
 *
 * Must never: do I/O, log, allocate, or read past BEGIN's CRLF (what follows
 * is the first D-Bus message and belongs to the caller).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/macro.h"
#include "wire/errors.h"
#include "wire/sasl.h"

/* Longest reply one command line can produce (the longest ERROR text). */
#define SASL_REPLY_MAX 160

_Static_assert(WIRE_SASL_OUT_MIN >= SASL_REPLY_MAX, "out buffer bound below one reply");

enum {
        SASL_WAITING_FOR_AUTH,
        SASL_WAITING_FOR_DATA,  /* EXTERNAL asked the client for its identity */
        SASL_WAITING_FOR_BEGIN, /* OK sent */
        SASL_AUTHENTICATED,     /* BEGIN seen */
        SASL_FAILED,            /* the connection must be closed */
};

typedef enum SaslCommand {
        CMD_UNKNOWN,
        CMD_AUTH,
        CMD_CANCEL,
        CMD_BEGIN,
        CMD_DATA,
        CMD_ERROR,
        CMD_NEGOTIATE_UNIX_FD,
        /* server-to-client commands: a client sending them is confused */
        CMD_REJECTED,
        CMD_OK,
        CMD_AGREE_UNIX_FD,
} SaslCommand;

static const struct {
        const char *name;
        SaslCommand cmd;
} sasl_commands[] = {
        {"AUTH", CMD_AUTH},
        {"CANCEL", CMD_CANCEL},
        {"BEGIN", CMD_BEGIN},
        {"DATA", CMD_DATA},
        {"ERROR", CMD_ERROR},
        {"NEGOTIATE_UNIX_FD", CMD_NEGOTIATE_UNIX_FD},
        {"REJECTED", CMD_REJECTED},
        {"OK", CMD_OK},
        {"AGREE_UNIX_FD", CMD_AGREE_UNIX_FD},
};

/* The caller's output buffer; the feed loop keeps SASL_REPLY_MAX bytes free. */
typedef struct SaslOut {
        char *buf;
        size_t cap;
        size_t len;
} SaslOut;

static void out_put(SaslOut *o, const char *str)
{
        size_t n = strlen(str);

        /* the feed loop guarantees room; truncate rather than overflow if not */
        if (n > o->cap - o->len)
                n = o->cap - o->len;
        memcpy(o->buf + o->len, str, n);
        o->len += n;
}

static int sasl_fail(WireSasl *s, int code)
{
        s->state = SASL_FAILED;
        s->error = code;
        s->authenticated = false;
        return code;
}

static int reply_error(WireSasl *s, SaslOut *o, const char *msg)
{
        out_put(o, "ERROR \"");
        out_put(o, msg);
        out_put(o, "\"\r\n");
        if (++s->errors >= WIRE_SASL_MAX_ERRORS)
                return sasl_fail(s, WIRE_E_SASL_PROTOCOL);
        return WIRE_SASL_CONTINUE;
}

/* Reject the current attempt: list what we offer, forget the mechanism. */
static int reply_rejected(WireSasl *s, SaslOut *o)
{
        out_put(o, "REJECTED");
        if (s->cfg.allow_external)
                out_put(o, " EXTERNAL");
        if (s->cfg.allow_anonymous)
                out_put(o, " ANONYMOUS");
        out_put(o, "\r\n");

        s->state = SASL_WAITING_FOR_AUTH;
        s->authenticated = false;
        s->anonymous = false;
        s->unix_fd = false;
        s->uid = WIRE_SASL_UID_UNKNOWN;
        if (++s->attempts >= WIRE_SASL_MAX_ATTEMPTS)
                return sasl_fail(s, WIRE_E_SASL_TOO_MANY_ATTEMPTS);
        return WIRE_SASL_CONTINUE;
}

static int reply_ok(WireSasl *s, SaslOut *o)
{
        out_put(o, "OK ");
        out_put(o, s->cfg.guid);
        out_put(o, "\r\n");
        s->state = SASL_WAITING_FOR_BEGIN;
        s->authenticated = true;
        return WIRE_SASL_CONTINUE;
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decode @n hex digits into @ret (room for n / 2 bytes). False if not hex. */
static bool hex_decode(const char *hex, size_t n, uint8_t *ret, size_t *ret_len)
{
        if (n % 2)
                return false;
        for (size_t i = 0; i < n; i += 2) {
                int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);

                if (hi < 0 || lo < 0)
                        return false;
                ret[i / 2] = (uint8_t)(hi << 4 | lo);
        }
        *ret_len = n / 2;
        return true;
}

/* A uid in ASCII decimal, as EXTERNAL clients send it; never a user name. */
static bool parse_uid(const uint8_t *p, size_t n, uint32_t *ret)
{
        uint64_t v = 0;

        if (n == 0 || n > 10)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return false;
                v = v * 10 + (p[i] - '0');
        }
        if (v >= WIRE_SASL_UID_UNKNOWN)
                return false;
        *ret = (uint32_t)v;
        return true;
}

/* Strict UTF-8 without NUL (ANONYMOUS trace text, as dbus-daemon checks it). */
static bool utf8_is_valid(const uint8_t *p, size_t n)
{
        size_t i = 0;

        while (i < n) {
                uint8_t c = p[i];
                uint32_t cp;
                size_t k;

                if (c == 0)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        k = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        k = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        k = 3;
                        cp = c & 0x07;
                } else {
                        return false;
                }
                if (n - i - 1 < k)
                        return false;
                for (size_t j = 1; j <= k; j++) {
                        if ((p[i + j] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i + j] & 0x3f);
                }
                if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += k + 1;
        }
        return true;
}

/*
 * EXTERNAL with the decoded identity @id (@n bytes, maybe empty). An empty
 * initial response makes us ask (empty DATA); an empty answer to that means
 * "whoever the transport says I am".
 */
static int mech_external(WireSasl *s, SaslOut *o, const uint8_t *id, size_t n)
{
        uint32_t uid;

        if (s->cfg.peer_uid == WIRE_SASL_UID_UNKNOWN)
                return reply_rejected(s, o);
        if (n == 0) {
                if (s->state != SASL_WAITING_FOR_DATA) {
                        out_put(o, "DATA\r\n");
                        s->state = SASL_WAITING_FOR_DATA;
                        return WIRE_SASL_CONTINUE;
                }
                uid = s->cfg.peer_uid;
        } else if (!parse_uid(id, n, &uid)) {
                return reply_rejected(s, o);
        }
        if (uid != s->cfg.peer_uid)
                return reply_rejected(s, o);
        s->uid = uid;
        s->anonymous = false;
        return reply_ok(s, o);
}

static int mech_anonymous(WireSasl *s, SaslOut *o, const uint8_t *trace, size_t n)
{
        if (!utf8_is_valid(trace, n))
                return reply_rejected(s, o);
        s->uid = WIRE_SASL_UID_UNKNOWN;
        s->anonymous = true;
        return reply_ok(s, o);
}

/* Hex-decode @args and hand them to the mechanism of the current attempt. */
static int process_data(WireSasl *s, SaslOut *o, bool external, const char *args, size_t n)
{
        uint8_t data[WIRE_SASL_LINE_MAX / 2];
        size_t data_len;

        if (!hex_decode(args, n, data, &data_len))
                return reply_error(s, o, "Invalid hex encoding");
        if (external)
                return mech_external(s, o, data, data_len);
        return mech_anonymous(s, o, data, data_len);
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* AUTH [mechanism [initial-response]] */
static int handle_auth(WireSasl *s, SaslOut *o, const char *args, size_t n)
{
        size_t mech_len = 0, i;

        if (n == 0)
                return reply_rejected(s, o);
        while (mech_len < n && !is_blank(args[mech_len]))
                mech_len++;
        for (i = mech_len; i < n && is_blank(args[i]); i++)
                ;
        if (s->cfg.allow_external && mech_len == 8 && !memcmp(args, "EXTERNAL", 8))
                return process_data(s, o, true, args + i, n - i);
        if (s->cfg.allow_anonymous && mech_len == 9 && !memcmp(args, "ANONYMOUS", 9))
                return process_data(s, o, false, args + i, n - i);
        return reply_rejected(s, o);
}

static int state_waiting_for_auth(WireSasl *s, SaslOut *o, SaslCommand cmd, const char *args,
                                  size_t n)
{
        switch (cmd) {
        case CMD_AUTH:
                return handle_auth(s, o, args, n);
        case CMD_CANCEL:
        case CMD_DATA:
                return reply_error(s, o, "Not currently in an auth conversation");
        case CMD_BEGIN:
                return sasl_fail(s, WIRE_E_SASL_PROTOCOL);
        case CMD_ERROR:
                return reply_rejected(s, o);
        case CMD_NEGOTIATE_UNIX_FD:
                return reply_error(s, o, "Need to authenticate first");
        default:
                return reply_error(s, o, "Unknown command");
        }
}

static int state_waiting_for_data(WireSasl *s, SaslOut *o, SaslCommand cmd, const char *args,
                                  size_t n)
{
        switch (cmd) {
        case CMD_AUTH:
                return reply_error(s, o, "Sent AUTH while another AUTH in progress");
        case CMD_CANCEL:
        case CMD_ERROR:
                return reply_rejected(s, o);
        case CMD_DATA:
                /* only EXTERNAL ever asks for data */
                return process_data(s, o, true, args, n);
        case CMD_BEGIN:
                return sasl_fail(s, WIRE_E_SASL_PROTOCOL);
        case CMD_NEGOTIATE_UNIX_FD:
                return reply_error(s, o, "Need to authenticate first");
        default:
                return reply_error(s, o, "Unknown command");
        }
}

static int state_waiting_for_begin(WireSasl *s, SaslOut *o, SaslCommand cmd)
{
        switch (cmd) {
        case CMD_AUTH:
                return reply_error(s, o, "Sent AUTH while expecting BEGIN");
        case CMD_DATA:
                return reply_error(s, o, "Sent DATA while expecting BEGIN");
        case CMD_BEGIN:
                s->state = SASL_AUTHENTICATED;
                return WIRE_SASL_DONE;
        case CMD_NEGOTIATE_UNIX_FD:
                if (!s->cfg.unix_fd_possible)
                        return reply_error(s, o,
                                           "Unix FD passing not supported, not "
                                           "authenticated or otherwise not possible");
                s->unix_fd = true;
                out_put(o, "AGREE_UNIX_FD\r\n");
                return WIRE_SASL_CONTINUE;
        case CMD_CANCEL:
        case CMD_ERROR:
                return reply_rejected(s, o);
        default:
                return reply_error(s, o, "Unknown command");
        }
}

static SaslCommand lookup_command(const char *name, size_t n)
{
        for (size_t i = 0; i < ELEMENTSOF(sasl_commands); i++)
                if (strlen(sasl_commands[i].name) == n && !memcmp(sasl_commands[i].name, name, n))
                        return sasl_commands[i].cmd;
        return CMD_UNKNOWN;
}

/* One complete line without its CRLF. */
static int process_line(WireSasl *s, SaslOut *o, const char *line, size_t n)
{
        size_t cmd_len = 0, i;
        SaslCommand cmd;

        for (i = 0; i < n; i++)
                if (line[i] == 0 || (uint8_t)line[i] > 0x7f)
                        return reply_error(s, o, "Command contained non-ASCII");

        while (cmd_len < n && !is_blank(line[cmd_len]))
                cmd_len++;
        for (i = cmd_len; i < n && is_blank(line[i]); i++)
                ;
        cmd = lookup_command(line, cmd_len);

        switch (s->state) {
        case SASL_WAITING_FOR_AUTH:
                return state_waiting_for_auth(s, o, cmd, line + i, n - i);
        case SASL_WAITING_FOR_DATA:
                return state_waiting_for_data(s, o, cmd, line + i, n - i);
        case SASL_WAITING_FOR_BEGIN:
                return state_waiting_for_begin(s, o, cmd);
        default:
                return sasl_fail(s, WIRE_E_SASL_PROTOCOL);
        }
}

void wire_sasl_init(WireSasl *s, const WireSaslConfig *cfg)
{
        *s = (WireSasl){
                .cfg = *cfg,
                .state = SASL_WAITING_FOR_AUTH,
                .uid = WIRE_SASL_UID_UNKNOWN,
        };
        s->cfg.guid[sizeof(s->cfg.guid) - 1] = 0;
}

int wire_sasl_feed(WireSasl *s, const uint8_t *in, size_t len, size_t *ret_consumed, char *out,
                   size_t out_cap, size_t *ret_out_len)
{
        SaslOut o = {.buf = out, .cap = out_cap};
        int r = WIRE_SASL_CONTINUE;
        size_t i = 0;

        if (out_cap < WIRE_SASL_OUT_MIN)
                return -EINVAL;
        if (s->state == SASL_FAILED)
                r = s->error;
        else if (s->state == SASL_AUTHENTICATED)
                r = WIRE_SASL_DONE;

        while (r == WIRE_SASL_CONTINUE && i < len) {
                uint8_t c = in[i];

                if (!s->seen_nul) {
                        if (c != 0) {
                                r = sasl_fail(s, WIRE_E_SASL_BAD_NUL);
                                break;
                        }
                        s->seen_nul = true;
                        i++;
                        continue;
                }
                if (o.cap - o.len < SASL_REPLY_MAX)
                        break;

                i++;
                s->line[s->line_len++] = (char)c;
                if (c == '\n' && s->line_len >= 2 && s->line[s->line_len - 2] == '\r') {
                        size_t n = s->line_len - 2;

                        s->line_len = 0;
                        r = process_line(s, &o, s->line, n);
                } else if (s->line_len >= WIRE_SASL_LINE_MAX) {
                        r = sasl_fail(s, WIRE_E_SASL_LINE_TOO_LONG);
                }
        }

        *ret_consumed = i;
        *ret_out_len = o.len;
        return r;
}
