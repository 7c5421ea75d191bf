/*
 * test-sasl.c -- the SASL server state machine: a table of exchanges (each
 * also replayed byte by byte, in odd chunks and with the smallest output
 * buffer), and dbus-daemon's own server-side auth scripts
 * (dbus-tests: .../installed-tests/dbus/data/auth/NAME.auth-script) run through
 * a small interpreter for the subset of the script language they use.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/macro.h"
#include "wire/errors.h"
#include "wire/sasl.h"
#include "util/test-count.h"

#define GUID "0123456789abcdef0123456789abcdef"
#ifdef DBUS_TEST_DATA
#define AUTH_SCRIPT_DIR DBUS_TEST_DATA "/auth"
#else
#define AUTH_SCRIPT_DIR "/usr/lib/dbus-1.0/installed-tests/dbus/data/auth"
#endif

enum {
        F_ANON = 1,  /* ANONYMOUS allowed */
        F_NOFD = 2,  /* no fd passing on the transport */
        F_NOUID = 4, /* no credentials from the transport */
        F_NOEXT = 8, /* EXTERNAL not offered */
};

typedef struct Exchange {
        const char *name;
        unsigned flags;
        const char *in;
        size_t in_len;
        const char *out;
        int rc;
        size_t unused; /* bytes left unconsumed at the end (after BEGIN) */
} Exchange;

#define IN(s)   s, sizeof(s) - 1
#define OK_LINE "OK " GUID "\r\n"
#define REJ     "REJECTED EXTERNAL\r\n"

static const Exchange exchanges[] = {
        {"external with initial response", 0, IN("\0AUTH EXTERNAL 31303030\r\nBEGIN\r\n"), OK_LINE,
         WIRE_SASL_DONE, 0},
        {"AUTH alone lists mechanisms", 0, IN("\0AUTH\r\n"), REJ, WIRE_SASL_CONTINUE, 0},
        {"AUTH alone lists anonymous too", F_ANON, IN("\0AUTH\r\n"),
         "REJECTED EXTERNAL ANONYMOUS\r\n", WIRE_SASL_CONTINUE, 0},
        {"nothing offered", F_NOEXT, IN("\0AUTH EXTERNAL 31303030\r\n"), "REJECTED\r\n",
         WIRE_SASL_CONTINUE, 0},
        {"external without initial response", 0, IN("\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n"),
         "DATA\r\n" OK_LINE, WIRE_SASL_DONE, 0},
        {"external, trailing blank = no response", 0, IN("\0AUTH EXTERNAL \r\n"), "DATA\r\n",
         WIRE_SASL_CONTINUE, 0},
        {"external, identity in DATA", 0, IN("\0AUTH EXTERNAL\r\nDATA 31303030\r\nBEGIN\r\n"),
         "DATA\r\n" OK_LINE, WIRE_SASL_DONE, 0},
        {"external, wrong identity in DATA", 0, IN("\0AUTH EXTERNAL\r\nDATA 30\r\n"),
         "DATA\r\n" REJ, WIRE_SASL_CONTINUE, 0},
        {"external, wrong uid", 0, IN("\0AUTH EXTERNAL 31303031\r\n"), REJ, WIRE_SASL_CONTINUE, 0},
        {"external, uid with leading zero", 0, IN("\0AUTH EXTERNAL 3031303030\r\n"), OK_LINE,
         WIRE_SASL_CONTINUE, 0},
        {"external, user name refused", 0, IN("\0AUTH EXTERNAL 726f6f74\r\n"), REJ,
         WIRE_SASL_CONTINUE, 0},
        {"external, uid overflow", 0, IN("\0AUTH EXTERNAL 3432393439363732393631303030\r\n"), REJ,
         WIRE_SASL_CONTINUE, 0},
        {"external, tabs as blanks", 0, IN("\0AUTH\tEXTERNAL\t\t31303030\r\n"), OK_LINE,
         WIRE_SASL_CONTINUE, 0},
        {"external, bad hex digit", 0, IN("\0AUTH EXTERNAL 3g\r\n"),
         "ERROR \"Invalid hex encoding\"\r\n", WIRE_SASL_CONTINUE, 0},
        {"external, odd hex length", 0, IN("\0AUTH EXTERNAL 313\r\n"),
         "ERROR \"Invalid hex encoding\"\r\n", WIRE_SASL_CONTINUE, 0},
        {"external, words after the response", 0, IN("\0AUTH EXTERNAL 31303030 x\r\n"),
         "ERROR \"Invalid hex encoding\"\r\n", WIRE_SASL_CONTINUE, 0},
        {"external, no transport uid", F_NOUID, IN("\0AUTH EXTERNAL 31303030\r\nAUTH EXTERNAL\r\n"),
         REJ REJ, WIRE_SASL_CONTINUE, 0},
        {"anonymous refused when not allowed", 0, IN("\0AUTH ANONYMOUS 6869\r\n"), REJ,
         WIRE_SASL_CONTINUE, 0},
        {"anonymous with trace", F_ANON, IN("\0AUTH ANONYMOUS 6869\r\nBEGIN\r\n"), OK_LINE,
         WIRE_SASL_DONE, 0},
        {"anonymous without trace", F_ANON, IN("\0AUTH ANONYMOUS\r\nBEGIN\r\n"), OK_LINE,
         WIRE_SASL_DONE, 0},
        {"anonymous, UTF-8 trace", F_ANON, IN("\0AUTH ANONYMOUS c3a9e282ac\r\n"), OK_LINE,
         WIRE_SASL_CONTINUE, 0},
        {"anonymous, uppercase hex", F_ANON, IN("\0AUTH ANONYMOUS 4A4b\r\n"), OK_LINE,
         WIRE_SASL_CONTINUE, 0},
        {"anonymous, bad UTF-8 trace", F_ANON, IN("\0AUTH ANONYMOUS 68ff\r\n"),
         "REJECTED EXTERNAL ANONYMOUS\r\n", WIRE_SASL_CONTINUE, 0},
        {"anonymous, overlong UTF-8 trace", F_ANON, IN("\0AUTH ANONYMOUS c0af\r\n"),
         "REJECTED EXTERNAL ANONYMOUS\r\n", WIRE_SASL_CONTINUE, 0},
        {"unknown mechanism", 0, IN("\0AUTH DBUS_COOKIE_SHA1 31303030\r\n"), REJ,
         WIRE_SASL_CONTINUE, 0},
        {"negotiate fds after OK", 0,
         IN("\0AUTH EXTERNAL 31303030\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n"),
         OK_LINE "AGREE_UNIX_FD\r\n", WIRE_SASL_DONE, 0},
        {"negotiate fds without fd passing", F_NOFD,
         IN("\0AUTH EXTERNAL 31303030\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n"),
         OK_LINE "ERROR \"Unix FD passing not supported, not authenticated or otherwise not "
                 "possible\"\r\n",
         WIRE_SASL_DONE, 0},
        {"negotiate fds before auth", 0, IN("\0NEGOTIATE_UNIX_FD\r\n"),
         "ERROR \"Need to authenticate first\"\r\n", WIRE_SASL_CONTINUE, 0},
        {"negotiate fds while waiting for data", 0, IN("\0AUTH EXTERNAL\r\nNEGOTIATE_UNIX_FD\r\n"),
         "DATA\r\nERROR \"Need to authenticate first\"\r\n", WIRE_SASL_CONTINUE, 0},
        {"BEGIN before auth disconnects", 0, IN("\0BEGIN\r\n"), "", WIRE_E_SASL_PROTOCOL, 0},
        {"BEGIN while waiting for data disconnects", 0, IN("\0AUTH EXTERNAL\r\nBEGIN\r\n"),
         "DATA\r\n", WIRE_E_SASL_PROTOCOL, 0},
        {"first byte not NUL", 0, IN("AUTH EXTERNAL 31303030\r\n"), "", WIRE_E_SASL_BAD_NUL, 0},
        {"messages after BEGIN are not consumed", 0,
         IN("\0AUTH EXTERNAL 31303030\r\nBEGIN\r\nl\1\0\1\0\0\0\0"), OK_LINE, WIRE_SASL_DONE, 8},
        {"CANCEL after OK, then again", 0,
         IN("\0AUTH EXTERNAL 31303030\r\nCANCEL\r\nAUTH EXTERNAL 31303030\r\nBEGIN\r\n"),
         OK_LINE REJ OK_LINE, WIRE_SASL_DONE, 0},
        {"ERROR after OK rejects", 0, IN("\0AUTH EXTERNAL 31303030\r\nERROR\r\nBEGIN\r\n"),
         OK_LINE REJ, WIRE_E_SASL_PROTOCOL, 0},
        {"CANCEL and ERROR while waiting for data", 0,
         IN("\0AUTH EXTERNAL\r\nCANCEL\r\nAUTH EXTERNAL\r\nERROR oops\r\n"),
         "DATA\r\n" REJ "DATA\r\n" REJ, WIRE_SASL_CONTINUE, 0},
        {"ERROR while waiting for auth rejects", 0, IN("\0ERROR \"x\"\r\n"), REJ,
         WIRE_SASL_CONTINUE, 0},
        {"CANCEL and DATA outside a conversation", 0, IN("\0CANCEL\r\nDATA 31\r\n"),
         "ERROR \"Not currently in an auth conversation\"\r\n"
         "ERROR \"Not currently in an auth conversation\"\r\n",
         WIRE_SASL_CONTINUE, 0},
        {"AUTH while waiting for data", 0, IN("\0AUTH EXTERNAL\r\nAUTH EXTERNAL 31303030\r\n"),
         "DATA\r\nERROR \"Sent AUTH while another AUTH in progress\"\r\n", WIRE_SASL_CONTINUE, 0},
        {"AUTH and DATA while waiting for BEGIN", 0,
         IN("\0AUTH EXTERNAL 31303030\r\nAUTH EXTERNAL 31303030\r\nDATA\r\n"),
         OK_LINE "ERROR \"Sent AUTH while expecting BEGIN\"\r\n"
                 "ERROR \"Sent DATA while expecting BEGIN\"\r\n",
         WIRE_SASL_CONTINUE, 0},
        {"server commands and lowercase are unknown", 0,
         IN("\0OK 1234\r\nREJECTED\r\nauth\r\n\r\n"),
         "ERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\n"
         "ERROR \"Unknown command\"\r\n",
         WIRE_SASL_CONTINUE, 0},
        {"non-ASCII line", 0, IN("\0AUTH EXTERNAL \xc3\xa9\r\nAUTH \0\r\n"),
         "ERROR \"Command contained non-ASCII\"\r\nERROR \"Command contained non-ASCII\"\r\n",
         WIRE_SASL_CONTINUE, 0},
        {"bare LF does not end a line", 0, IN("\0AUTH\nAUTH\r\n"), "ERROR \"Unknown command\"\r\n",
         WIRE_SASL_CONTINUE, 0},
        {"too many attempts", 0,
         IN("\0AUTH X\r\nAUTH X\r\nAUTH X\r\nAUTH X\r\nAUTH X\r\nAUTH X\r\nAUTH X\r\n"),
         REJ REJ REJ REJ REJ REJ, WIRE_E_SASL_TOO_MANY_ATTEMPTS, 0},
        {"too many errors", 0,
         IN("\0X\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r"
            "\n"),
         "ERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\n"
         "ERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\n"
         "ERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\n"
         "ERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\n"
         "ERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\nERROR \"Unknown command\"\r\n"
         "ERROR \"Unknown command\"\r\n",
         WIRE_E_SASL_PROTOCOL, 0},
};

static WireSaslConfig make_config(unsigned flags)
{
        WireSaslConfig cfg = {
                .peer_uid = (flags & F_NOUID) ? WIRE_SASL_UID_UNKNOWN : 1000,
                .allow_external = !(flags & F_NOEXT),
                .allow_anonymous = flags & F_ANON,
                .unix_fd_possible = !(flags & F_NOFD),
        };

        memcpy(cfg.guid, GUID, sizeof(cfg.guid));
        return cfg;
}

/*
 * Feed @in in chunks of @chunk bytes (0 = all at once) with an output buffer
 * of @out_cap bytes, collecting all output into @acc. Returns the final code;
 * *ret_consumed is the total consumed.
 */
static int run(WireSasl *s, const char *in, size_t len, size_t chunk, size_t out_cap, char *acc,
               size_t acc_cap, size_t *ret_acc_len, size_t *ret_consumed)
{
        char *out = malloc(out_cap);
        size_t pos = 0, acc_len = 0;
        int r = WIRE_SASL_CONTINUE;

        assert(out);
        while (pos < len) {
                size_t n = chunk ? MIN(chunk, len - pos) : len - pos, consumed = 0, out_len = 0;

                r = wire_sasl_feed(s, (const uint8_t *)in + pos, n, &consumed, out, out_cap,
                                   &out_len);
                assert(r >= 0);
                assert(consumed <= n && out_len <= out_cap);
                assert(acc_len + out_len <= acc_cap);
                memcpy(acc + acc_len, out, out_len);
                acc_len += out_len;
                pos += consumed;
                if (r != WIRE_SASL_CONTINUE)
                        break;
                /* no progress with an empty output would be a livelock */
                assert(consumed > 0 || out_len > 0);
        }
        free(out);
        *ret_acc_len = acc_len;
        *ret_consumed = pos;
        return r;
}

static void test_exchanges(void)
{
        static const size_t chunks[] = {0, 1, 2, 3, 7, 64};
        static const size_t caps[] = {2 * WIRE_SASL_LINE_MAX, WIRE_SASL_OUT_MIN};

        for (size_t i = 0; i < ELEMENTSOF(exchanges); i++) {
                const Exchange *e = &exchanges[i];

                for (size_t c = 0; c < ELEMENTSOF(chunks); c++)
                        for (size_t k = 0; k < ELEMENTSOF(caps); k++) {
                                WireSaslConfig cfg = make_config(e->flags);
                                WireSasl s;
                                char acc[8192];
                                size_t acc_len, consumed;
                                int r;

                                wire_sasl_init(&s, &cfg);
                                r = run(&s, e->in, e->in_len, chunks[c], caps[k], acc, sizeof(acc),
                                        &acc_len, &consumed);
                                CHECK(r == e->rc, "%s (chunk %zu, cap %zu): rc %d, expected %d",
                                      e->name, chunks[c], caps[k], r, e->rc);
                                CHECK(acc_len == strlen(e->out) && !memcmp(acc, e->out, acc_len),
                                      "%s (chunk %zu, cap %zu): output '%.*s', expected '%s'",
                                      e->name, chunks[c], caps[k], (int)acc_len, acc, e->out);
                                if (e->rc == WIRE_SASL_DONE)
                                        CHECK(e->in_len - consumed == e->unused,
                                              "%s: %zu bytes unused, expected %zu", e->name,
                                              e->in_len - consumed, e->unused);
                        }
        }
}

static void test_states(void)
{
        WireSaslConfig cfg = make_config(0);
        WireSasl s;
        char out[WIRE_SASL_OUT_MIN], line[WIRE_SASL_LINE_MAX + 2];
        size_t consumed, out_len;
        int r;

        /* results and flags after EXTERNAL + fds */
        wire_sasl_init(&s, &cfg);
        r = wire_sasl_feed(&s,
                           (const uint8_t *)"\0AUTH EXTERNAL 31303030\r\nNEGOTIATE_UNIX_FD\r\n"
                                            "BEGIN\r\n",
                           51, &consumed, out, sizeof(out), &out_len);
        CHECK(r == WIRE_SASL_DONE && consumed == 51, "external+fd: rc %d consumed %zu", r,
              consumed);
        CHECK(s.authenticated && !s.anonymous && s.unix_fd && s.uid == 1000, "external+fd: flags");
        /* once done, nothing more is consumed */
        r = wire_sasl_feed(&s, (const uint8_t *)"AUTH\r\n", 6, &consumed, out, sizeof(out),
                           &out_len);
        CHECK(r == WIRE_SASL_DONE && consumed == 0 && out_len == 0, "after done: rc %d", r);

        /* a too small output buffer is the caller's bug */
        r = wire_sasl_feed(&s, (const uint8_t *)"", 0, &consumed, out, WIRE_SASL_OUT_MIN - 1,
                           &out_len);
        CHECK(r == -EINVAL, "small out: rc %d", r);

        /* a failed conversation stays failed */
        wire_sasl_init(&s, &cfg);
        r = wire_sasl_feed(&s, (const uint8_t *)"\0BEGIN\r\n", 8, &consumed, out, sizeof(out),
                           &out_len);
        CHECK(r == WIRE_E_SASL_PROTOCOL, "begin first: rc %d", r);
        r = wire_sasl_feed(&s, (const uint8_t *)"AUTH\r\n", 6, &consumed, out, sizeof(out),
                           &out_len);
        CHECK(r == WIRE_E_SASL_PROTOCOL && consumed == 0 && out_len == 0, "stays failed: rc %d", r);

        /* the longest line passes, one byte more does not */
        wire_sasl_init(&s, &cfg);
        line[0] = 0;
        memset(line + 1, 'A', WIRE_SASL_LINE_MAX - 2);
        memcpy(line + WIRE_SASL_LINE_MAX - 1, "\r\n", 2);
        r = wire_sasl_feed(&s, (const uint8_t *)line, WIRE_SASL_LINE_MAX + 1, &consumed, out,
                           sizeof(out), &out_len);
        CHECK(r == WIRE_SASL_CONTINUE && consumed == WIRE_SASL_LINE_MAX + 1 &&
                      out_len == strlen("ERROR \"Unknown command\"\r\n"),
              "longest line: rc %d consumed %zu", r, consumed);
        wire_sasl_init(&s, &cfg);
        memset(line + 1, 'A', WIRE_SASL_LINE_MAX);
        r = wire_sasl_feed(&s, (const uint8_t *)line, WIRE_SASL_LINE_MAX + 1, &consumed, out,
                           sizeof(out), &out_len);
        CHECK(r == WIRE_E_SASL_LINE_TOO_LONG, "too long line: rc %d", r);

        /* ANONYMOUS leaves no uid */
        cfg = make_config(F_ANON);
        wire_sasl_init(&s, &cfg);
        r = wire_sasl_feed(&s, (const uint8_t *)"\0AUTH ANONYMOUS\r\nBEGIN\r\n", 24, &consumed, out,
                           sizeof(out), &out_len);
        CHECK(r == WIRE_SASL_DONE && s.anonymous && s.authenticated &&
                      s.uid == WIRE_SASL_UID_UNKNOWN && !s.unix_fd,
              "anonymous: flags");
}

/* ---- dbus-daemon's auth scripts ---------------------------------------- */

typedef struct Script {
        WireSasl sasl;
        bool started; /* the initial NUL was sent */
        int rc;
        char pending[8192]; /* server output not yet matched by EXPECT_COMMAND */
        size_t pending_len;
        char unused[512]; /* bytes after BEGIN */
        size_t unused_len;
} Script;

static void hex_append(char *dst, size_t cap, const char *plain)
{
        size_t n = strlen(dst);

        for (; *plain && n + 3 < cap; plain++, n += 2)
                snprintf(dst + n, 3, "%02x", (unsigned char)*plain);
}

/* SEND's argument: quotes stripped, \r \n unescaped, *_HEX words replaced. */
static size_t script_expand(const char *arg, char *buf, size_t cap)
{
        char uid[32], wrong_uid[32];
        struct passwd *pw = getpwuid(getuid());
        size_t n = 0, len = strlen(arg);

        snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
        snprintf(wrong_uid, sizeof(wrong_uid), "%u", (unsigned)getuid() + 1);
        if (len >= 2 && arg[0] == '\'' && arg[len - 1] == '\'') {
                arg++;
                len -= 2;
        }
        buf[0] = 0;
        for (size_t i = 0; i < len && n + 64 < cap;) {
                static const char *const words[] = {"WRONG_USERID_HEX", "WRONG_USERNAME_HEX",
                                                    "USERID_HEX", "USERNAME_HEX"};
                bool replaced = false;

                for (size_t w = 0; w < ELEMENTSOF(words); w++) {
                        size_t wl = strlen(words[w]);
                        const char *plain;

                        if (len - i < wl || memcmp(arg + i, words[w], wl))
                                continue;
                        plain = w == 0   ? wrong_uid
                                : w == 1 ? "nosuchuser"
                                : w == 2 ? uid
                                : pw     ? pw->pw_name
                                         : "nosuchuser";
                        buf[n] = 0;
                        hex_append(buf, cap, plain);
                        n = strlen(buf);
                        i += wl;
                        replaced = true;
                        break;
                }
                if (replaced)
                        continue;
                if (arg[i] == '\\' && i + 1 < len && (arg[i + 1] == 'r' || arg[i + 1] == 'n')) {
                        buf[n++] = arg[i + 1] == 'r' ? '\r' : '\n';
                        i += 2;
                } else {
                        buf[n++] = arg[i++];
                }
        }
        buf[n] = 0;
        return n;
}

static bool script_send(Script *sc, const char *arg)
{
        char buf[1024], out[WIRE_SASL_OUT_MIN];
        size_t n = 0, pos = 0;

        if (!sc->started) {
                buf[n++] = 0;
                sc->started = true;
        }
        n += script_expand(arg, buf + n, sizeof(buf) - n - 2);
        memcpy(buf + n, "\r\n", 2);
        n += 2;
        while (pos < n) {
                size_t consumed, out_len;

                sc->rc = wire_sasl_feed(&sc->sasl, (const uint8_t *)buf + pos, n - pos, &consumed,
                                        out, sizeof(out), &out_len);
                if (sc->pending_len + out_len > sizeof(sc->pending))
                        return false;
                memcpy(sc->pending + sc->pending_len, out, out_len);
                sc->pending_len += out_len;
                pos += consumed;
                if (sc->rc != WIRE_SASL_CONTINUE)
                        break;
        }
        if (sc->rc == WIRE_SASL_DONE && pos < n) {
                if (sc->unused_len + n - pos > sizeof(sc->unused))
                        return false;
                memcpy(sc->unused + sc->unused_len, buf + pos, n - pos);
                sc->unused_len += n - pos;
        }
        return sc->rc >= 0;
}

/* The next server line must start with the command @cmd. */
static bool script_expect_command(Script *sc, const char *cmd)
{
        char *eol = memmem(sc->pending, sc->pending_len, "\r\n", 2);
        size_t line_len, cl = strlen(cmd);
        bool ok;

        if (!eol)
                return false;
        line_len = eol - sc->pending;
        ok = line_len >= cl && !memcmp(sc->pending, cmd, cl) &&
             (line_len == cl || sc->pending[cl] == ' ');
        memmove(sc->pending, eol + 2, sc->pending_len - line_len - 2);
        sc->pending_len -= line_len + 2;
        return ok;
}

static bool script_expect_state(Script *sc, const char *state)
{
        if (!strcmp(state, "WAITING_FOR_INPUT"))
                return sc->rc == WIRE_SASL_CONTINUE && sc->pending_len == 0;
        if (!strcmp(state, "AUTHENTICATED"))
                return sc->rc == WIRE_SASL_DONE && sc->unused_len == 0;
        if (!strcmp(state, "AUTHENTICATED_WITH_UNUSED_BYTES"))
                return sc->rc == WIRE_SASL_DONE && sc->unused_len > 0;
        if (!strcmp(state, "NEED_DISCONNECT"))
                return sc->rc > WIRE_SASL_DONE;
        return false;
}

static bool script_has_credentials(const Script *sc)
{
        return sc->rc == WIRE_SASL_DONE && !sc->sasl.anonymous &&
               sc->sasl.uid != WIRE_SASL_UID_UNKNOWN;
}

/* One directive; false (with the reason in *why) when it fails. */
static bool script_step(Script *sc, char *cmd, char *arg, const char **why)
{
        char buf[1024];

        *why = cmd;
        if (!strcmp(cmd, "SERVER") || !strcmp(cmd, "UNIX_ONLY"))
                return true;
        if (!strcmp(cmd, "NO_CREDENTIALS"))
                sc->sasl.cfg.peer_uid = WIRE_SASL_UID_UNKNOWN;
        else if (!strcmp(cmd, "ROOT_CREDENTIALS"))
                sc->sasl.cfg.peer_uid = 0;
        else if (!strcmp(cmd, "SILLY_CREDENTIALS"))
                sc->sasl.cfg.peer_uid = getuid() + 4312;
        else if (!strcmp(cmd, "SEND"))
                return script_send(sc, arg);
        else if (!strcmp(cmd, "EXPECT_COMMAND"))
                return script_expect_command(sc, arg);
        else if (!strcmp(cmd, "EXPECT_STATE"))
                return script_expect_state(sc, arg);
        else if (!strcmp(cmd, "EXPECT_HAVE_NO_CREDENTIALS"))
                return !script_has_credentials(sc);
        else if (!strcmp(cmd, "EXPECT_HAVE_SOME_CREDENTIALS"))
                return script_has_credentials(sc);
        else if (!strcmp(cmd, "EXPECT_UNUSED")) {
                size_t n = script_expand(arg, buf, sizeof(buf));

                if (n != sc->unused_len || memcmp(buf, sc->unused, n))
                        return false;
                sc->unused_len = 0;
        } else {
                *why = "unknown directive";
                return false;
        }
        return true;
}

/* Run one script; 1 passed, 0 skipped (reason in *why), -1 failed. */
static int run_script(const char *path, const char **why)
{
        FILE *f = fopen(path, "re");
        WireSaslConfig cfg = make_config(F_ANON);
        Script *sc;
        char line[1024];
        int r = 1;

        if (!f) {
                *why = "cannot open";
                return -1;
        }
        sc = calloc(1, sizeof(*sc));
        assert(sc);
        cfg.peer_uid = getuid();
        wire_sasl_init(&sc->sasl, &cfg);
        while (r == 1 && fgets(line, sizeof(line), f)) {
                char *cmd = line, *arg;

                line[strcspn(line, "\r\n")] = 0;
                cmd += strspn(cmd, " \t");
                if (!*cmd || *cmd == '#')
                        continue;
                arg = cmd + strcspn(cmd, " \t");
                if (*arg)
                        *arg++ = 0;
                arg += strspn(arg, " \t");
                if (!strcmp(cmd, "CLIENT")) {
                        *why = "client side";
                        r = 0;
                } else if (strstr(arg, "DBUS_COOKIE_SHA1")) {
                        *why = "DBUS_COOKIE_SHA1 is not offered";
                        r = 0;
                } else if (!script_step(sc, cmd, arg, why)) {
                        r = -1;
                }
        }
        fclose(f);
        free(sc);
        return r;
}

static void test_auth_scripts(void)
{
        const char *dir = getenv("DBUS_AUTH_SCRIPT_DIR") ?: AUTH_SCRIPT_DIR;
        struct dirent **names;
        unsigned passed = 0, skipped = 0;
        int n = scandir(dir, &names, NULL, alphasort);

        if (n < 0) {
                printf("auth scripts: %s not found (package dbus-tests), not run\n", dir);
                return;
        }
        for (int i = 0; i < n; i++) {
                char path[4096];
                const char *why = "";
                int r;

                if (!strstr(names[i]->d_name, ".auth-script")) {
                        free(names[i]);
                        continue;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                r = run_script(path, &why);
                if (r > 0)
                        passed++;
                else if (r == 0) {
                        skipped++;
                        printf("auth script %s skipped: %s\n", names[i]->d_name, why);
                } else
                        CHECK(false, "auth script %s failed at %s", names[i]->d_name, why);
                free(names[i]);
        }
        free(names);
        printf("auth scripts: %u passed, %u skipped\n", passed, skipped);
        CHECK(passed >= 10, "only %u auth scripts passed", passed);
}

int main(void)
{
        test_exchanges();
        test_states();
        test_auth_scripts();
        return test_exit();
}
