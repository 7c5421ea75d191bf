/*
 * check.c -- the audit rules of `bulkhead check` (see check.h). Each rule is
 * one static function that reports zero or more findings; rule names are
 * stable identifiers, documented in bulkhead(1).
 *
 * Must never: stop at the first finding (a user wants all of them at once).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "launcher/check.h"
#include "launcher/plan.h"

typedef struct Checker {
        const VmSpec *spec;
        const CheckContext *ctx;
        CheckReportFn report;
        void *userdata;
        int n_errors;
} Checker;

_printf_(5, 6) static void finding(Checker *c, CheckSeverity sev, const char *rule, unsigned line,
                                   const char *fmt, ...)
{
        char text[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (sev == CHECK_ERROR)
                c->n_errors++;
        c->report(c->userdata, sev, rule, line, text);
}

/* the value of "key=" in a QEMU option string "a,key=v,b", or NULL; copies into @buf */
static const char *opt_value(const char *opts, const char *key, char *buf, size_t size)
{
        size_t klen = strlen(key);

        for (const char *p = opts; p && *p;) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);

                if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
                        snprintf(buf, size, "%.*s", (int)(len - klen - 1), p + klen + 1);
                        return buf;
                }
                p = end ? end + 1 : NULL;
        }
        return NULL;
}

static bool is_opt(const char *arg, const char *name)
{
        if (arg[0] != '-')
                return false;
        arg += arg[1] == '-' ? 2 : 1;
        return !strcmp(arg, name);
}

/* is the chardev @id (from -chardev ...,id=ID) a TCP socket, and does it have TLS + authz? */
static void chardev_info(char *const *argv, const char *id, bool *tcp, bool *tls, bool *authz)
{
        char buf[256];

        *tcp = *tls = *authz = false;
        for (size_t i = 0; argv[i] && argv[i + 1]; i++) {
                const char *v = argv[i + 1];
                const char *cid;

                if (!is_opt(argv[i], "chardev"))
                        continue;
                cid = opt_value(v, "id", buf, sizeof(buf));
                if (!cid || strcmp(cid, id) != 0)
                        continue;
                *tcp = !strncmp(v, "socket,", 7) && (opt_value(v, "host", buf, sizeof(buf)) ||
                                                     opt_value(v, "port", buf, sizeof(buf)));
                *tcp |= !strncmp(v, "tcp,", 4) || !strncmp(v, "telnet,", 7) || !strncmp(v, "websocket,", 10);
                *tls = opt_value(v, "tls-creds", buf, sizeof(buf)) != NULL;
                *authz = opt_value(v, "tls-authz", buf, sizeof(buf)) != NULL;
        }
}

static void rule_monitor(Checker *c)
{
        char *const *argv = c->spec->qemu;
        unsigned line = c->spec->qemu_line;
        char buf[256];

        for (size_t i = 1; argv[i]; i++) {
                const char *v = argv[i + 1];

                if (!v)
                        break;
                if (is_opt(argv[i], "qmp") || is_opt(argv[i], "qmp-pretty") || is_opt(argv[i], "monitor")) {
                        if (!strncmp(v, "tcp:", 4) || !strncmp(v, "telnet:", 7) || !strncmp(v, "udp:", 4))
                                finding(c, CHECK_ERROR, "monitor-tcp", line,
                                        "%s %s: the monitor over TCP has neither TLS nor an authorization list "
                                        "(use bulkhead's QMP UNIX socket)",
                                        argv[i], v);
                        else
                                finding(c, CHECK_WARNING, "monitor-extra", line,
                                        "%s %s: an extra monitor beside bulkhead's QMP socket; the monitor is a "
                                        "privileged control interface",
                                        argv[i], v);
                } else if (is_opt(argv[i], "mon")) {
                        const char *id = opt_value(v, "chardev", buf, sizeof(buf));
                        bool tcp, tls, authz;
                        char idbuf[256];

                        if (!id) {
                                finding(c, CHECK_WARNING, "monitor-extra", line, "-mon %s: an extra monitor", v);
                                continue;
                        }
                        snprintf(idbuf, sizeof(idbuf), "%s", id);
                        chardev_info(argv, idbuf, &tcp, &tls, &authz);
                        if (tcp && !(tls && authz))
                                finding(c, CHECK_ERROR, "monitor-tcp", line,
                                        "-mon chardev=%s: the monitor is on a TCP chardev without %s%s%s", idbuf,
                                        tls ? "" : "tls-creds", !tls && !authz ? " and " : "",
                                        authz ? "" : "tls-authz");
                        else
                                finding(c, CHECK_WARNING, "monitor-extra", line,
                                        "-mon chardev=%s: an extra monitor beside bulkhead's QMP socket", idbuf);
                }
        }
}

static void rule_managed_options(Checker *c)
{
        static const char *const managed[] = { "daemonize", "sandbox", "display", "runas", "chroot",
                                               "run-with", "nographic" };

        for (size_t i = 1; c->spec->qemu[i]; i++)
                for (size_t j = 0; j < ELEMENTSOF(managed); j++)
                        if (is_opt(c->spec->qemu[i], managed[j]))
                                finding(c, CHECK_ERROR, "qemu-managed-option", c->spec->qemu_line,
                                        "%s: bulkhead sets this itself (-daemonize conflicts with "
                                        "-sandbox spawn=deny; -display comes from display =)",
                                        c->spec->qemu[i]);
}

static void rule_uids(Checker *c)
{
        const VmSpec *s = c->spec;

        if (!c->ctx->privileged) {
                if (s->identity != IDENTITY_SAME_UID)
                        finding(c, CHECK_ERROR, "not-root-same-uid-only", s->uids_line,
                                "identity = %s needs root to switch uids; not root, only same-uid can run",
                                identity_scenario_to_string(s->identity));
                return;
        }
        if (!s->has_uids) {
                finding(c, CHECK_ERROR, "root-needs-uids", 0,
                        "running as root needs uids = FIRST-LAST: VM processes never run as root");
                return;
        }
        if (s->uid_first == 0)
                finding(c, CHECK_ERROR, "root-uid", s->uids_line,
                        "uids %u-%u include 0: QEMU or a helper would run as root", (unsigned)s->uid_first,
                        (unsigned)s->uid_last);
        if ((unsigned long)s->uid_last - s->uid_first + 1 < plan_uids_needed(s))
                finding(c, CHECK_ERROR, "uid-pool-too-small", s->uids_line,
                        "uids %u-%u: identity = %s needs %u uids", (unsigned)s->uid_first, (unsigned)s->uid_last,
                        identity_scenario_to_string(s->identity), plan_uids_needed(s));
}

static void rule_identity(Checker *c)
{
        const VmSpec *s = c->spec;

        if (s->identity == IDENTITY_SAME_UID)
                finding(c, CHECK_WARNING, "identity-same-uid", 0,
                        "identity = same-uid: no security benefit over a single QEMU process (D-Bus guide)");
        for (size_t i = 0; i < s->n_helpers; i++)
                if (s->helpers[i].share_qemu_uid && s->identity != IDENTITY_SAME_UID)
                        finding(c, CHECK_ERROR, "helper-shares-qemu-uid", s->helpers[i].line,
                                "[helper %s]: same-uid-as = qemu in %s: a compromised QEMU controls the helper",
                                s->helpers[i].name, identity_scenario_to_string(s->identity));
}

static bool shares_uid(const VmSpec *s, size_t a, size_t b)
{
        const VmHelper *x = &s->helpers[a], *y = &s->helpers[b];

        if (s->identity == IDENTITY_SAME_UID)
                return true;
        if (x->share_qemu_uid || y->share_qemu_uid)
                return x->share_qemu_uid && y->share_qemu_uid;
        return s->identity == IDENTITY_TWO_UIDS;
}

static void rule_names(Checker *c)
{
        const VmSpec *s = c->spec;

        for (size_t i = 0; i < s->n_helpers; i++) {
                const VmHelper *h = &s->helpers[i];

                for (size_t j = 0; h->owns && h->owns[j]; j++) {
                        const char *n = h->owns[j];

                        if (!strcmp(n, "org.freedesktop.DBus") || !strcmp(n, "org.qemu") ||
                            !strncmp(n, "org.freedesktop.DBus.", 21))
                                finding(c, CHECK_ERROR, "policy-own-other", h->line,
                                        "[helper %s]: owns %s, a name that belongs to %s", h->name, n,
                                        strcmp(n, "org.qemu") ? "the bus" : "QEMU's display");
                        else if (!strcmp(n, "org.qemu.VMState1"))
                                finding(c, CHECK_WARNING, "vmstate-name", h->line,
                                        "[helper %s]: owns org.qemu.VMState1 directly; use vmstate-id", h->name);
                        for (size_t k = i + 1; k < s->n_helpers; k++)
                                if (strv_contains(s->helpers[k].owns, n))
                                        finding(c, CHECK_ERROR, "policy-own-other", s->helpers[k].line,
                                                "[helper %s] and [helper %s] both own %s: the policy lets each "
                                                "take the other's name",
                                                h->name, s->helpers[k].name, n);
                }
                for (size_t k = i + 1; k < s->n_helpers; k++)
                        if (h->owns && h->owns[0] && s->helpers[k].owns && s->helpers[k].owns[0] &&
                            shares_uid(s, i, k))
                                finding(c, CHECK_WARNING, "policy-own-other", s->helpers[k].line,
                                        "[helper %s] and [helper %s] share a uid (%s): the bus cannot stop one "
                                        "owning or answering for the other's names",
                                        h->name, s->helpers[k].name, identity_scenario_to_string(s->identity));
        }
}

static void rule_helpers(Checker *c)
{
        const VmSpec *s = c->spec;

        for (size_t i = 0; i < s->n_helpers; i++) {
                const VmHelper *h = &s->helpers[i];

                if (h->own_seccomp)
                        finding(c, CHECK_WARNING, "helper-own-seccomp", h->line,
                                "[helper %s]: seccomp = own: bulkhead's filter is off, the program must "
                                "filter itself",
                                h->name);
                if (!h->memory_max)
                        finding(c, CHECK_WARNING, "helper-no-memory-limit", h->line,
                                "[helper %s]: no memory-max: its resource use is unbounded", h->name);
                if (h->display_client && s->display != DISPLAY_DBUS)
                        finding(c, CHECK_WARNING, "display-client-without-display", h->line,
                                "[helper %s]: display-client = yes but display = none", h->name);
                if (strv_contains(h->talks_to, "qemu") && s->display != DISPLAY_DBUS)
                        finding(c, CHECK_WARNING, "talks-to-nameless-qemu", h->line,
                                "[helper %s]: talks-to qemu, but QEMU owns no bus name without display = dbus",
                                h->name);
        }
        for (size_t i = 0; i < s->n_helpers; i++)
                for (size_t k = 0; k < s->n_helpers; k++)
                        if (k != i && s->helpers[i].display_client && !s->helpers[k].display_client &&
                            shares_uid(s, i, k))
                                finding(c, CHECK_WARNING, "display-client-shared-uid", s->helpers[k].line,
                                        "[helper %s] shares a uid with the display client %s: it may register "
                                        "display listeners too",
                                        s->helpers[k].name, s->helpers[i].name);
        /* display = dbus without a display-client helper is fine: the managing user's
         * `bulkhead screenshot`/`watch` is then the only display client */
}

static void rule_runtime_dir(Checker *c)
{
        const char *base = c->ctx->runtime_base;
        char path[4096];
        struct stat st;

        if (!base)
                return;
        if (stat(base, &st) == 0) {
                if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
                        finding(c, CHECK_ERROR, "bus-socket-reachable", 0,
                                "%s is writable by other users: they could replace the bus or QMP socket", base);
                else if (st.st_uid != 0 && st.st_uid != getuid())
                        finding(c, CHECK_ERROR, "bus-socket-reachable", 0,
                                "%s belongs to uid %u, not to the managing user", base, (unsigned)st.st_uid);
        }
        snprintf(path, sizeof(path), "%s/%s", base, c->spec->name);
        if (stat(path, &st) == 0 && (st.st_mode & 0007))
                finding(c, CHECK_ERROR, "bus-socket-reachable", 0,
                        "%s has mode %04o: other users can reach the bus socket", path,
                        (unsigned)(st.st_mode & 07777));
}

static void rule_dbus_daemon_users(Checker *c)
{
        IdentityPlan plan;
        uid_t uids[VMSPEC_MAX_HELPERS + 2];
        unsigned n;

        if (c->ctx->flavour != BUS_FLAVOUR_DBUS_DAEMON || !c->ctx->privileged || !c->spec->has_uids ||
            c->spec->identity == IDENTITY_SAME_UID)
                return;
        if (plan_identities(c->spec, true, 0, 0, c->spec->uid_first, &plan) != 0)
                return;
        n = plan_distinct_uids(&plan, c->spec->n_helpers, uids, ELEMENTSOF(uids));
        for (unsigned i = 1; i < n; i++) {
                char *name = NULL;

                if (!c->ctx->name_user || c->ctx->name_user(uids[i], &name) != 0) {
                        finding(c, CHECK_ERROR, "dbus-daemon-numeric-user", c->spec->uids_line,
                                "uid %u has no user name and dbus-daemon refuses numeric users in policies "
                                "(use bulkhead-bus)",
                                (unsigned)uids[i]);
                        return;
                }
                free(name);
        }
}

/** check_spec() - see check.h. */
int check_spec(const VmSpec *s, const CheckContext *ctx, CheckReportFn report, void *userdata)
{
        Checker c = { .spec = s, .ctx = ctx, .report = report, .userdata = userdata };

        rule_monitor(&c);
        rule_managed_options(&c);
        rule_uids(&c);
        rule_identity(&c);
        rule_names(&c);
        rule_helpers(&c);
        rule_runtime_dir(&c);
        rule_dbus_daemon_users(&c);
        return c.n_errors;
}

/** check_severity_to_string() - "error" or "warning". */
const char *check_severity_to_string(CheckSeverity s)
{
        return s == CHECK_ERROR ? "error" : "warning";
}
