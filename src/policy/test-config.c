/*
 * test-config.c -- the configuration parser against dbus-daemon's own test
 * data (valid, invalid and equivalent configuration files of the dbus-tests
 * package), golden error messages (testdata/errors/NAME.conf -> NAME.err),
 * includes, limits, identities and the built-in session configuration.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/config.h"
#include "util/test-count.h"

#define DBUS_DATA "/usr/lib/dbus-1.0/installed-tests/dbus/data"

static void add(char **s, const char *fmt, ...)
{
        char *part, *n;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&part, fmt, ap) < 0)
                abort();
        va_end(ap);
        if (asprintf(&n, "%s%s", *s ? *s : "", part) < 0)
                abort();
        free(*s);
        free(part);
        *s = n;
}

/* everything a configuration says, as text */
static char *config_text(const BusConfig *c)
{
        char *s = NULL, *pol = NULL;
        const BusLimits *l = &c->limits;

        add(&s, "type=%s user=%s pidfile=%s helper=%s\n", c->type ? c->type : "-", c->user ? c->user : "-",
            c->pidfile ? c->pidfile : "-", c->servicehelper ? c->servicehelper : "-");
        add(&s, "fork=%d syslog=%d keep_umask=%d anonymous=%d apparmor=%d\n", c->fork, c->syslog,
            c->keep_umask, c->allow_anonymous, c->apparmor);
        for (size_t i = 0; c->listen[i]; i++)
                add(&s, "listen %s\n", c->listen[i]);
        for (size_t i = 0; c->auth[i]; i++)
                add(&s, "auth %s\n", c->auth[i]);
        for (size_t i = 0; c->servicedirs[i]; i++)
                add(&s, "servicedir %s\n", c->servicedirs[i]);
        for (size_t i = 0; i < c->n_selinux_associations; i++)
                add(&s, "associate %s %s\n", c->selinux_associations[i].own,
                    c->selinux_associations[i].context);
        add(&s, "limits %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %lld\n",
            (unsigned long long)l->max_incoming_bytes, (unsigned long long)l->max_incoming_unix_fds,
            (unsigned long long)l->max_outgoing_bytes, (unsigned long long)l->max_outgoing_unix_fds,
            (unsigned long long)l->max_message_size, (unsigned long long)l->max_message_unix_fds,
            (unsigned long long)l->service_start_timeout, (unsigned long long)l->auth_timeout,
            (unsigned long long)l->pending_fd_timeout, (unsigned long long)l->max_completed_connections,
            (unsigned long long)l->max_incomplete_connections, (unsigned long long)l->max_connections_per_user,
            (unsigned long long)l->max_pending_service_starts, (unsigned long long)l->max_names_per_connection,
            (unsigned long long)l->max_match_rules_per_connection,
            (unsigned long long)l->max_replies_per_connection, (long long)l->reply_timeout);
        if (policy_dump(c->policy, &pol) < 0)
                abort();
        add(&s, "%s", pol);
        free(pol);
        return s;
}

typedef void (*FileFn)(const char *dir, const char *path, void *userdata);

/* call @fn for every *.conf directly in @dir, sorted; returns how many */
static int each_conf(const char *dir, FileFn fn, void *userdata)
{
        struct dirent **list;
        int n = scandir(dir, &list, NULL, alphasort), count = 0;

        if (n < 0)
                return -1;
        for (int i = 0; i < n; i++) {
                size_t k = strlen(list[i]->d_name);
                char *path;

                if (k > 5 && strcmp(list[i]->d_name + k - 5, ".conf") == 0) {
                        if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0)
                                abort();
                        fn(dir, path, userdata);
                        free(path);
                        count++;
                }
                free(list[i]);
        }
        free(list);
        return count;
}

static void expect_valid(const char *dir, const char *path, void *userdata)
{
        BusConfig *c = NULL;
        char *err = NULL;
        int r = bus_config_load(path, 0, &c, &err);

        CHECK(r == 0, "%s must load: %s", path, err ? err : "?");
        if (r == 0)
                CHECK(c->listen[0] && c->policy, "%s: no listen/policy", path);
        bus_config_free(c);
        free(err);
}

static void expect_invalid(const char *dir, const char *path, void *userdata)
{
        BusConfig *c = NULL;
        char *err = NULL;
        int r = bus_config_load(path, 0, &c, &err);

        CHECK(r == CONFIG_E_INVALID, "%s must be refused (r=%d)", path, r);
        /* the message names a file of the test data and a line, or says which file failed */
        CHECK(err && strstr(err, dir) && (strstr(err, ".conf:") || strstr(err, "Circular")),
              "%s: error does not name file and line: %s", path, err ? err : "(none)");
        if (getenv("VERBOSE"))
                printf("%s\n", err ? err : "(none)");
        bus_config_free(c);
        free(err);
}

typedef struct Equiv {
        char *first;
        const char *first_path;
        char *first_path_copy;
} Equiv;

static void expect_equiv(const char *dir, const char *path, void *userdata)
{
        Equiv *e = userdata;
        BusConfig *c = NULL;
        char *err = NULL, *text;
        int r = bus_config_load(path, 0, &c, &err);

        CHECK(r == 0, "%s must load: %s", path, err ? err : "?");
        free(err);
        if (r)
                return;
        text = config_text(c);
        bus_config_free(c);
        if (!e->first) {
                e->first = text;
                e->first_path_copy = strdup(path);
                return;
        }
        CHECK(strcmp(e->first, text) == 0, "%s differs from %s:\n%s\n---\n%s", path, e->first_path_copy,
              e->first, text);
        free(text);
}

static void test_dbus_data(void)
{
        struct dirent **groups;
        int n, k;

        if (access(DBUS_DATA, R_OK) != 0) {
                printf("SKIP dbus-tests data: %s not installed (Debian package dbus-tests)\n", DBUS_DATA);
                return;
        }
        k = each_conf(DBUS_DATA "/valid-config-files", expect_valid, NULL);
        CHECK(k >= 20, "only %d valid files", k);
        k = each_conf(DBUS_DATA "/valid-config-files-system", expect_valid, NULL);
        CHECK(k >= 3, "only %d valid system files", k);
        k = each_conf(DBUS_DATA "/invalid-config-files", expect_invalid, NULL);
        CHECK(k >= 25, "only %d invalid files", k);

        n = scandir(DBUS_DATA "/equiv-config-files", &groups, NULL, alphasort);
        CHECK(n > 2, "no equiv groups");
        for (int i = 0; i < n; i++) {
                if (groups[i]->d_name[0] != '.') {
                        char *dir;
                        Equiv e = {};

                        if (asprintf(&dir, "%s/%s", DBUS_DATA "/equiv-config-files", groups[i]->d_name) < 0)
                                abort();
                        k = each_conf(dir, expect_equiv, &e);
                        CHECK(k >= 2, "%s: %d files", dir, k);
                        free(e.first);
                        free(e.first_path_copy);
                        free(dir);
                }
                free(groups[i]);
        }
        free(groups);
}

static char *read_all(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0;

        if (!f)
                return NULL;
        if (getdelim(&buf, &n, '\0', f) < 0) {
                free(buf);
                buf = NULL;
        }
        fclose(f);
        return buf;
}

/* remove every "@dir/" from @s */
static void strip_dir(char *s, const char *dir)
{
        char *p;
        size_t k = strlen(dir);

        while ((p = strstr(s, dir)) && p[k] == '/')
                memmove(p, p + k + 1, strlen(p + k + 1) + 1);
}

static void golden(const char *dir, const char *path, void *userdata)
{
        BusConfig *c = NULL;
        char *err = NULL, *want, *errpath;
        int r = bus_config_load(path, 0, &c, &err);

        CHECK(r == CONFIG_E_INVALID, "%s must be refused (r=%d)", path, r);
        if (asprintf(&errpath, "%.*s.err", (int)(strlen(path) - 5), path) < 0)
                abort();
        want = read_all(errpath);
        CHECK(want, "%s missing", errpath);
        if (want && err) {
                want[strcspn(want, "\n")] = '\0';
                strip_dir(err, dir);
                CHECK(strcmp(want, err) == 0, "%s:\n  want: %s\n  got:  %s", path, want, err);
        }
        bus_config_free(c);
        free(err);
        free(want);
        free(errpath);
}

static void test_golden(void)
{
        int k = each_conf(BULKHEAD_POLICY_TESTDATA "/errors", golden, NULL);

        CHECK(k >= 5, "only %d golden files", k);
}

static void test_includes(void)
{
        BusConfig *c = NULL;
        char *err = NULL, *dump = NULL;
        int r;

        r = bus_config_load(BULKHEAD_POLICY_TESTDATA "/include/main.conf", 0, &c, &err);
        CHECK(r == 0, "main.conf: %s", err ? err : "?");
        if (r == 0) {
                CHECK(strcmp(c->type, "custom") == 0, "type");
                CHECK(strcmp(c->user, "#4242") == 0, "user");
                CHECK(c->pidfile && strcmp(c->pidfile, "/run/b.pid") == 0, "pidfile from nested include");
                CHECK(c->listen[0] && c->listen[1] && !c->listen[2], "two listen");
                CHECK(strcmp(c->listen[1], "unix:path=/tmp/a") == 0, "included listen second");
                CHECK(c->limits.max_names_per_connection == 7, "limit kept through include");
                CHECK(c->limits.max_match_rules_per_connection == 9, "limit from include");
                CHECK(c->limits.max_replies_per_connection == 128, "default limit");
                CHECK(c->warnings[0] && strstr(c->warnings[0], "15-broken.conf") && !c->warnings[1],
                      "broken includedir file reported once: %s", c->warnings[0] ? c->warnings[0] : "none");
                r = policy_dump(c->policy, &dump);
                CHECK(r == 0, "dump");
                CHECK(strcmp(dump, "[default]\n"
                                   "  <allow own=\"org.example.Main\"/>\n"
                                   "  <allow own=\"org.example.A\"/>\n"
                                   "  <allow own=\"org.example.B\"/>\n"
                                   "  <allow own=\"org.example.First\"/>\n"
                                   "  <allow own=\"org.example.Second\"/>\n"
                                   "[mandatory]\n"
                                   "  <deny own=\"org.example.Last\"/>\n") == 0,
                      "include order:\n%s", dump);
                free(dump);
        }
        bus_config_free(c);
        c = NULL;
        free(err);
        err = NULL;

        r = bus_config_load(BULKHEAD_POLICY_TESTDATA "/include/cycle-a.conf", 0, &c, &err);
        CHECK(r == CONFIG_E_INVALID && err && strstr(err, "Circular inclusion"), "cycle: %s", err ? err : "?");
        free(err);
        err = NULL;
        r = bus_config_load(BULKHEAD_POLICY_TESTDATA "/include/deep.conf", 0, &c, &err);
        CHECK(r == CONFIG_E_INVALID && err && strstr(err, "nested deeper"), "depth: %s", err ? err : "?");
        free(err);
        err = NULL;
        r = bus_config_load(BULKHEAD_POLICY_TESTDATA "/include/main.conf", BUS_CONFIG_NO_INCLUDES, &c, &err);
        CHECK(r == CONFIG_E_INVALID, "includes disabled must refuse a required include");
        free(err);
        err = NULL;
        r = bus_config_load("/nonexistent/bulkhead.conf", 0, &c, &err);
        CHECK(r == CONFIG_E_INVALID && err && strstr(err, "/nonexistent/bulkhead.conf"), "missing file: %s",
              err ? err : "?");
        free(err);
}

static BusConfig *load_string(const char *xml, char **ret_err)
{
        BusConfig *c = NULL;
        int r = bus_config_load_from_buffer(xml, strlen(xml), "mem.conf", NULL, BUS_CONFIG_NO_NSS, &c, ret_err);

        return r == 0 ? c : NULL;
}

static void test_limits_and_misc(void)
{
        BusConfig *c, *s;
        char *err = NULL, *big;
        BusLimits d;

        c = load_string("<busconfig><listen>x:</listen>"
                        "<limit name='reply_timeout'>5000</limit>"
                        "<limit name='max_message_size'>4294967296</limit>"
                        "<limit name='max_containers'>5</limit>"
                        "<auth>EXTERNAL</auth><auth>ANONYMOUS</auth><allow_anonymous/><fork/><syslog/>"
                        "<apparmor mode='required'/><apparmor/>"
                        "<selinux><associate own='org.a' context='c1'/><associate own='org.a' context='c2'/>"
                        "</selinux>"
                        "<servicedir>/x</servicedir><servicedir>/x</servicedir><standard_system_servicedirs/>"
                        "</busconfig>",
                        &err);
        CHECK(c, "misc: %s", err ? err : "?");
        if (c) {
                CHECK(c->limits.reply_timeout == 5000, "reply_timeout");
                CHECK(c->limits.max_message_size == 4294967296ull, "64-bit byte limit");
                CHECK(c->auth[1] && strcmp(c->auth[1], "ANONYMOUS") == 0, "auth list");
                CHECK(c->allow_anonymous && c->fork && c->syslog && !c->keep_umask, "flags");
                CHECK(c->apparmor == BUS_APPARMOR_REQUIRED, "apparmor");
                CHECK(c->n_selinux_associations == 1 &&
                              strcmp(c->selinux_associations[0].context, "c2") == 0,
                      "associate replaces");
                CHECK(strcmp(c->servicedirs[0], "/x") == 0 && c->servicedirs[1] &&
                              strcmp(c->servicedirs[1], "/x") != 0,
                      "servicedirs unique");
                CHECK(bus_config_selinux_check_own(c, "ctx", "org.a") == 0, "selinux off: allowed");
        }
        bus_config_free(c);
        free(err);
        err = NULL;

        /* the document size bound */
        big = malloc(BUS_CONFIG_MAX_FILE_SIZE + 2);
        memset(big, ' ', BUS_CONFIG_MAX_FILE_SIZE + 1);
        big[BUS_CONFIG_MAX_FILE_SIZE + 1] = '\0';
        memcpy(big, "<busconfig>", 11);
        c = load_string(big, &err);
        CHECK(!c && err && strstr(err, "larger"), "size bound: %s", err ? err : "?");
        free(big);
        free(err);
        err = NULL;

        /* the built-in session configuration = session.conf's essentials */
        bus_config_limits_default(&d);
        CHECK(d.max_incoming_bytes == 133169152 && d.max_message_size == 33554432 && d.max_message_unix_fds == 16 &&
                      d.reply_timeout == -1 && d.max_replies_per_connection == 128,
              "compiled-in limits");
        CHECK(bus_config_new_session(&s) == 0, "session");
        if (access("/usr/share/dbus-1/session.conf", R_OK) == 0) {
                /* all its includes are optional or SELinux-only */
                CHECK(bus_config_load("/usr/share/dbus-1/session.conf", BUS_CONFIG_NO_INCLUDES, &c, &err) == 0,
                      "session.conf without includes: %s", err ? err : "?");
                bus_config_free(c);
                free(err);
                err = NULL;
                c = NULL;
                if (bus_config_load("/usr/share/dbus-1/session.conf", 0, &c, &err) == 0) {
                        char *a = config_text(c), *b = config_text(s);
                        char *pa = strstr(a, "limits"), *pb = strstr(b, "limits");

                        /* limits and policy equal; servicedirs differ (we do not activate) */
                        CHECK(strcmp(pa, pb) == 0, "builtin session differs from session.conf:\n%s\n---\n%s", pa,
                              pb);
                        CHECK(strcmp(c->listen[0], s->listen[0]) == 0 && strcmp(c->auth[0], s->auth[0]) == 0 &&
                                      c->keep_umask == s->keep_umask && strcmp(c->type, s->type) == 0,
                              "session basics");
                        free(a);
                        free(b);
                } else {
                        CHECK(0, "session.conf: %s", err ? err : "?");
                }
                bus_config_free(c);
                free(err);
                err = NULL;
        }
        bus_config_free(s);
        if (access("/usr/share/dbus-1/system.conf", R_OK) == 0) {
                c = NULL;
                CHECK(bus_config_load("/usr/share/dbus-1/system.conf", 0, &c, &err) == 0, "system.conf: %s",
                      err ? err : "?");
                if (c)
                        CHECK(c->limits.max_names_per_connection == 512 && c->fork && c->syslog &&
                                      strcmp(c->type, "system") == 0,
                              "system.conf fields");
                bus_config_free(c);
                free(err);
                err = NULL;
        }
}

static void test_identities(void)
{
        BusConfig *c;
        char *err = NULL, *dump = NULL;

        c = load_string("<busconfig><listen>x:</listen>"
                        "<policy user='#300001'><allow own='a.b'/></policy>"
                        "<policy group='300002'><allow own='a.c'/></policy>"
                        "<policy user='no-such-user-xyz'><allow own='a.d'/></policy>"
                        "<policy context='default'><allow user='#300003'/><deny group='*'/>"
                        "<allow user='no-such-user-xyz'/></policy>"
                        "<policy at_console='true'><allow own='a.e'/></policy>"
                        "</busconfig>",
                        &err);
        CHECK(c, "identities: %s", err ? err : "?");
        if (c) {
                CHECK(policy_dump(c->policy, &dump) == 0, "dump");
                CHECK(strcmp(dump, "[default]\n"
                                   "  <allow user=\"#300003\"/>\n"
                                   "  <deny group=\"*\"/>\n"
                                   "[group #300002]\n"
                                   "  <allow own=\"a.c\"/>\n"
                                   "[user #300001]\n"
                                   "  <allow own=\"a.b\"/>\n"
                                   "[at_console=true]\n"
                                   "  <allow own=\"a.e\"/>\n") == 0,
                      "identities:\n%s", dump);
                CHECK(c->warnings[0] && c->warnings[1] && !c->warnings[2], "two warnings");
                CHECK(c->warnings[0] && strstr(c->warnings[0], "mem.conf:1: Unknown username"), "warning: %s",
                      c->warnings[0]);
                free(dump);
        }
        bus_config_free(c);
        free(err);
}

int main(void)
{
        test_dbus_data();
        test_golden();
        test_includes();
        test_limits_and_misc();
        test_identities();
        return test_exit();
}
