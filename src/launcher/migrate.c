/*
 * migrate.c -- QEMU migration with the helpers' state, checked helper by
 * helper (see migrate.h and docs/helper.md).
 *
 * Must never: report success when a helper's Save did not succeed; leave the
 * target's fd open or its command running; wait on QMP or the bus without a
 * timeout; let a value QEMU or a helper sent overflow a buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "launcher/migrate.h"
#include "util/error.h"

#define MIGRATE_FDNAME     "bulkhead-migrate"
#define MIGRATE_QMP_MS     60000 /* QMP stalls while QEMU waits on a helper's Save (25 s) */
#define MIGRATE_BUS_US     (5ULL * 1000 * 1000)
#define MIGRATE_POLL_MS    100
#define MIGRATE_DEFAULT_MS (10 * 60 * 1000)

/* One helper in QEMU's id-list and what it said about its last Save (or Load). */
typedef struct HelperRecord {
        char id[256];
        char owner[256];     /* unique name in the org.qemu.VMState1 queue */
        uint32_t count;      /* SaveCount (LoadCount) */
        char status[32];     /* LastSaveStatus (LastLoadStatus) */
        char error[512];     /* LastSaveError (LastLoadError) */
} HelperRecord;

typedef struct Target {
        int fd;    /* what QEMU writes to; ours until handed over */
        pid_t pid; /* exec: command, 0 if none */
} Target;

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(char **ret_error, int code, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int code, const char *fmt, ...)
{
        va_list ap;

        if (ret_error && !*ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return code;
}

/* Copy the JSON string at @v (pointing at its '"') into @buf; "" if not a string. */
static void json_string(const char *v, char *buf, size_t size)
{
        size_t n = 0;

        buf[0] = 0;
        if (!v || *v != '"')
                return;
        for (v++; *v && *v != '"' && n + 1 < size; v++) {
                if (*v == '\\' && v[1])
                        v++;
                buf[n++] = *v;
        }
        buf[n] = 0;
}

static unsigned long long json_number(const char *v)
{
        return v && *v >= '0' && *v <= '9' ? strtoull(v, NULL, 10) : 0;
}

/* ---- helpers on the bus ---------------------------------------------- */

static int bus_connect(const char *address, sd_bus **ret)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_set_method_call_timeout(bus, MIGRATE_BUS_US);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* The Id QEMU sees (org.qemu.VMState1.Id) of @owner. */
static int read_id(sd_bus *bus, const char *owner, char *buf, size_t size)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *id = NULL;
        int r;

        r = sd_bus_get_property_string(bus, owner, "/org/qemu/VMState1", "org.qemu.VMState1",
                                       "Id", &error, &id);
        if (r < 0)
                return r;
        snprintf(buf, size, "%s", id);
        return 0;
}

/*
 * SaveCount, LastSaveStatus, LastSaveError (with @load: LoadCount,
 * LastLoadStatus, LastLoadError) of org.bulkhead.Helper1 on rec->owner.
 */
static int read_record(sd_bus *bus, HelperRecord *rec, bool load, sd_bus_error *error)
{
        const char *what = load ? "Load" : "Save";
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        unsigned seen = 0;
        const char *key, *s;
        int r;

        r = sd_bus_call_method(bus, rec->owner, "/org/bulkhead/Helper1",
                               "org.freedesktop.DBus.Properties", "GetAll", error, &reply, "s",
                               "org.bulkhead.Helper1");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        break;
                if (!strncmp(key, what, 4) && !strcmp(key + 4, "Count")) {
                        r = sd_bus_message_read(reply, "v", "u", &rec->count);
                        seen |= 1;
                } else if (!strncmp(key, "Last", 4) && !strncmp(key + 4, what, 4) &&
                           (!strcmp(key + 8, "Status") || !strcmp(key + 8, "Error"))) {
                        bool is_status = key[8] == 'S';

                        r = sd_bus_message_read(reply, "v", "s", &s);
                        if (r >= 0 && is_status)
                                snprintf(rec->status, sizeof(rec->status), "%s", s);
                        else if (r >= 0)
                                snprintf(rec->error, sizeof(rec->error), "%s", s);
                        seen |= is_status ? 2 : 4;
                } else {
                        r = sd_bus_message_skip(reply, "v");
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return r;
        return seen == 7 ? 0 : -EPROTO;
}

static int list_queue(sd_bus *bus, char ***ret)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "ListQueuedOwners", NULL, &reply, "s",
                               "org.qemu.VMState1");
        if (r == -ENXIO || r == -ENOENT) { /* NameHasNoOwner: nobody queued */
                *ret = calloc(1, sizeof(char *));
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                return r;
        return sd_bus_message_read_strv(reply, ret);
}

static void strv_freep_local(char ***v)
{
        if (*v)
                for (char **p = *v; *p; p++)
                        free(*p);
        free(*v);
}

/*
 * Find the one owner of each Id in @ids and read its record into @recs
 * (array of as many entries as @ids). Positive MIGRATE_E_HELPER with a
 * reason when an Id has no owner, several, or cannot be checked.
 */
static int helpers_snapshot(sd_bus *bus, char *const *ids, HelperRecord *recs, bool load,
                            char **ret_error)
{
        _cleanup_(strv_freep_local) char **owners = NULL;
        size_t n_ids = 0;
        int r;

        while (ids && ids[n_ids])
                n_ids++;
        r = list_queue(bus, &owners);
        if (r < 0)
                return fail(ret_error, r, "cannot list the org.qemu.VMState1 queue: %s",
                            strerror(-r));
        for (size_t i = 0; i < n_ids; i++) {
                HelperRecord *rec = &recs[i];
                unsigned found = 0;

                memset(rec, 0, sizeof(*rec));
                snprintf(rec->id, sizeof(rec->id), "%s", ids[i]);
                for (char **o = owners; *o; o++) {
                        char id[256];

                        if (read_id(bus, *o, id, sizeof(id)) < 0 || strcmp(id, ids[i]))
                                continue;
                        if (found++ == 0)
                                snprintf(rec->owner, sizeof(rec->owner), "%s", *o);
                }
                if (found == 0)
                        return fail(ret_error, MIGRATE_E_HELPER,
                                    "no helper with VMState Id '%s' is on the bus", ids[i]);
                if (found > 1)
                        return fail(ret_error, MIGRATE_E_HELPER,
                                    "%u helpers share VMState Id '%s' (QEMU would save only one)",
                                    found, ids[i]);
        }
        for (size_t i = 0; i < n_ids; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                r = read_record(bus, &recs[i], load, &error);
                if (r < 0)
                        return fail(ret_error, MIGRATE_E_HELPER,
                                    "helper with VMState Id '%s' (%s) cannot be checked: %s",
                                    recs[i].id, recs[i].owner,
                                    error.message ?: strerror(-r));
        }
        return 0;
}

/* After the migration: each helper saved (loaded) exactly once more, successfully. */
static int helpers_verify(sd_bus *bus, const HelperRecord *before, size_t n, bool load, Log *log,
                          char **ret_error)
{
        const char *what = load ? "Load" : "Save";
        int result = 0;

        for (size_t i = 0; i < n; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                HelperRecord now = before[i];
                int r;

                r = read_record(bus, &now, load, &error);
                if (r < 0)
                        result = fail(ret_error, MIGRATE_E_HELPER,
                                      "helper with VMState Id '%s' did not answer after %s: %s",
                                      now.id, what, error.message ?: strerror(-r));
                else if (now.count != before[i].count + 1)
                        result = fail(ret_error, MIGRATE_E_HELPER,
                                      "helper with VMState Id '%s' was asked to %s %u times, not once",
                                      now.id, what, now.count - before[i].count);
                else if (strcmp(now.status, "ok"))
                        result = fail(ret_error, MIGRATE_E_HELPER,
                                      "helper with VMState Id '%s': %s %s: %s", now.id, what,
                                      now.status, now.error);
                else
                        log_info(log, "migrate: helper '%s' %s its state", now.id,
                                 load ? "loaded" : "saved");
        }
        return result;
}

/* ---- the target --------------------------------------------------------- */

/* Run `sh -c CMD` with the stream on its stdin (or, @incoming, its stdout). */
static int target_exec(const char *cmd, bool incoming, Target *t)
{
        int p[2];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                safe_close(p[0]);
                safe_close(p[1]);
                return -errno;
        }
        if (pid == 0) {
                sigset_t none;

                /* async-signal-safe calls only from here on */
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                if (dup2(incoming ? p[1] : p[0], incoming ? STDOUT_FILENO : STDIN_FILENO) < 0)
                        _exit(127);
                execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                _exit(127);
        }
        safe_close(incoming ? p[1] : p[0]);
        t->fd = incoming ? p[0] : p[1];
        t->pid = pid;
        return 0;
}

static int target_connect(int family, const struct sockaddr *sa, socklen_t len, Target *t)
{
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if (connect(fd, sa, len) < 0) {
                int r = -errno;

                safe_close(fd);
                return r;
        }
        t->fd = fd;
        return 0;
}

static int target_tcp(const char *hostport, Target *t)
{
        _cleanup_free_ char *host = strdup(hostport);
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
        char *colon;
        int r;

        if (!host)
                return -ENOMEM;
        colon = strrchr(host, ':');
        if (!colon || colon == host)
                return -EINVAL;
        *colon = 0;
        if (host[0] == '[' && colon[-1] == ']') { /* [v6]:port */
                colon[-1] = 0;
                memmove(host, host + 1, strlen(host));
        }
        if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
                return -EHOSTUNREACH;
        r = -EHOSTUNREACH;
        for (struct addrinfo *a = ai; a && r < 0; a = a->ai_next)
                r = target_connect(a->ai_family, a->ai_addr, a->ai_addrlen, t);
        freeaddrinfo(ai);
        return r;
}

static int target_open(const char *uri, bool incoming, Target *t, char **ret_error)
{
        int r;

        *t = (Target){ .fd = -1 };
        if (!strncmp(uri, "exec:", 5) && uri[5]) {
                r = target_exec(uri + 5, incoming, t);
        } else if (!strncmp(uri, "file:", 5) && uri[5]) {
                t->fd = incoming ? open(uri + 5, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                                 : open(uri + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                                        0600);
                r = t->fd < 0 ? -errno : 0;
        } else if (!strncmp(uri, "unix:", 5) && uri[5]) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                if (strlen(uri + 5) >= sizeof(sa.sun_path))
                        return fail(ret_error, MIGRATE_E_URI, "%s: path too long", uri);
                strcpy(sa.sun_path, uri + 5);
                r = target_connect(AF_UNIX, (struct sockaddr *)&sa, sizeof(sa), t);
        } else if (!strncmp(uri, "tcp:", 4) && uri[4]) {
                r = target_tcp(uri + 4, t);
        } else {
                return fail(ret_error, MIGRATE_E_URI,
                            "%s: use exec:CMD, file:PATH, unix:PATH or tcp:HOST:PORT", uri);
        }
        if (r < 0)
                return fail(ret_error, MIGRATE_E_TARGET, "%s: %s", uri, strerror(-r));
        return 0;
}

/* Wait for the exec: command until @deadline; kill it after. */
static int target_wait(Target *t, long long deadline, char **ret_error)
{
        int status = 0;

        if (t->pid <= 0)
                return 0;
        for (;;) {
                pid_t r = waitpid(t->pid, &status, WNOHANG);

                if (r == t->pid)
                        break;
                if (r < 0 && errno != EINTR)
                        return fail(ret_error, -errno, "waiting for the target command: %m");
                if (now_ms() >= deadline) {
                        kill(t->pid, SIGKILL);
                        (void)waitpid(t->pid, NULL, 0);
                        t->pid = 0;
                        return fail(ret_error, MIGRATE_E_TARGET,
                                    "the target command did not finish; killed");
                }
                poll(NULL, 0, MIGRATE_POLL_MS);
        }
        t->pid = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return fail(ret_error, MIGRATE_E_TARGET, "the target command failed (status %d)",
                            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return 0;
}

static void target_close(Target *t)
{
        t->fd = safe_close(t->fd);
        if (t->pid > 0) {
                kill(t->pid, SIGKILL);
                (void)waitpid(t->pid, NULL, 0);
                t->pid = 0;
        }
}

/* ---- QEMU ----------------------------------------------------------------- */

/*
 * Hand @fd to QEMU as MIGRATE_FDNAME: the fd travels with one blank (JSON
 * whitespace QEMU skips) just before the getfd command that claims it.
 */
static int qmp_send_fd(Qmp *q, int fd, char **ret_error)
{
        union {
                struct cmsghdr align; /* CMSG_FIRSTHDR() must be aligned */
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (char[]){ ' ' }, .iov_len = 1 };
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        _cleanup_free_ char *reply = NULL;
        ssize_t n;
        int r;

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        do
                n = sendmsg(qmp_fd(q), &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                return fail(ret_error, n < 0 ? -errno : -EIO, "cannot pass the target fd to QEMU");
        r = qmp_execute(q, "getfd", "{\"fdname\": \"" MIGRATE_FDNAME "\"}", MIGRATE_QMP_MS, &reply);
        if (r != 0)
                return fail(ret_error, r < 0 ? r : MIGRATE_E_QEMU, "QEMU refused getfd: %s",
                            reply ?: "no answer");
        return 0;
}

/* Is the VM running (query-status)? */
static int qemu_running(Qmp *q, bool *ret)
{
        _cleanup_free_ char *reply = NULL;
        const char *v;
        int r;

        r = qmp_execute(q, "query-status", NULL, MIGRATE_QMP_MS, &reply);
        if (r != 0)
                return r < 0 ? r : -EPROTO;
        v = qmp_top_value(reply, "return");
        v = v ? qmp_top_value(v, "running") : NULL;
        *ret = v && !strncmp(v, "true", 4);
        return 0;
}

/* Poll query-migrate until completed/failed/cancelled, logging progress. */
static int qemu_wait_migration(Qmp *q, long long deadline, Log *log, char **ret_error)
{
        char last[32] = "";
        long long last_log = 0;

        for (;;) {
                _cleanup_free_ char *reply = NULL;
                char status[32], desc[256];
                const char *ret, *ram;
                int r;

                r = qmp_execute(q, "query-migrate", NULL, MIGRATE_QMP_MS, &reply);
                if (r == -ECONNRESET || r == -EPIPE)
                        return fail(ret_error, MIGRATE_E_QEMU,
                                    "QEMU went away during the migration (see its log)");
                if (r != 0)
                        return fail(ret_error, r < 0 ? r : MIGRATE_E_QEMU,
                                    "query-migrate failed: %s", reply ?: strerror(r < 0 ? -r : EPROTO));
                ret = qmp_top_value(reply, "return");
                json_string(ret ? qmp_top_value(ret, "status") : NULL, status, sizeof(status));
                ram = ret ? qmp_top_value(ret, "ram") : NULL;
                if (status[0] && (strcmp(status, last) || now_ms() - last_log >= 1000)) {
                        unsigned long long done = json_number(ram ? qmp_top_value(ram, "transferred") : NULL);
                        unsigned long long total = json_number(ram ? qmp_top_value(ram, "total") : NULL);

                        log_info(log, "migrate: %s, %.1f of %.1f MiB", status,
                                 done / 1048576.0, total / 1048576.0);
                        snprintf(last, sizeof(last), "%s", status);
                        last_log = now_ms();
                }
                if (!strcmp(status, "completed"))
                        return 0;
                if (!strcmp(status, "failed") || !strcmp(status, "cancelled")) {
                        json_string(qmp_top_value(ret, "error-desc"), desc, sizeof(desc));
                        return fail(ret_error, MIGRATE_E_QEMU, "QEMU: migration %s%s%s", status,
                                    desc[0] ? ": " : "", desc);
                }
                if (now_ms() >= deadline) {
                        (void)qmp_execute(q, "migrate_cancel", NULL, MIGRATE_QMP_MS, NULL);
                        return fail(ret_error, MIGRATE_E_TIMEOUT, "migration did not finish in time");
                }
                poll(NULL, 0, MIGRATE_POLL_MS);
        }
}

static int migrate_stream(Qmp *q, const MigrateOptions *o, bool incoming, Target *t,
                          long long deadline, Log *log, char **ret_error)
{
        const char *command = incoming ? "migrate-incoming" : "migrate";
        _cleanup_free_ char *reply = NULL;
        int r;

        r = qmp_send_fd(q, t->fd, ret_error);
        if (r != 0)
                return r;
        /* QEMU holds its own copy now; ours must go or an exec: reader never sees EOF */
        t->fd = safe_close(t->fd);
        log_info(log, "migrate: %s %s", incoming ? "from" : "to", o->uri);
        r = qmp_execute(q, command, "{\"uri\": \"fd:" MIGRATE_FDNAME "\"}", MIGRATE_QMP_MS, &reply);
        if (r != 0) {
                (void)qmp_execute(q, "closefd", "{\"fdname\": \"" MIGRATE_FDNAME "\"}",
                                  MIGRATE_QMP_MS, NULL);
                return fail(ret_error, r < 0 ? r : MIGRATE_E_QEMU, "QEMU refused %s: %s",
                            command, reply ?: "no answer");
        }
        r = qemu_wait_migration(q, deadline, log, ret_error);
        if (r != 0)
                return r;
        return target_wait(t, deadline, ret_error);
}

static int migrate_checked(Qmp *q, const MigrateOptions *o, bool incoming, Log *log,
                           char **ret_error)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ HelperRecord *recs = NULL;
        long long deadline = now_ms() + (o->timeout_ms > 0 ? o->timeout_ms : MIGRATE_DEFAULT_MS);
        Target t = { .fd = -1 };
        bool running = false;
        size_t n = 0;
        int r;

        while (o->vmstate_ids && o->vmstate_ids[n])
                n++;
        recs = calloc(n + 1, sizeof(*recs));
        if (!recs)
                return -ENOMEM;
        r = bus_connect(o->bus_address, &bus);
        if (r < 0)
                return fail(ret_error, r, "cannot connect to the VM bus: %s", strerror(-r));
        /* before anything moves: every Id has exactly one helper, and its SaveCount */
        r = helpers_snapshot(bus, o->vmstate_ids, recs, incoming, ret_error);
        if (r != 0)
                return r;
        r = qemu_running(q, &running);
        if (r != 0)
                return fail(ret_error, r < 0 ? r : MIGRATE_E_QEMU, "query-status failed");
        r = target_open(o->uri, incoming, &t, ret_error);
        if (r != 0)
                return r;
        r = migrate_stream(q, o, incoming, &t, deadline, log, ret_error);
        target_close(&t);
        if (r == 0)
                r = helpers_verify(bus, recs, n, incoming, log, ret_error);
        if (r != 0 && !incoming && running && o->resume_on_failure) {
                log_info(log, "migrate: resuming the VM on this host");
                (void)qmp_execute(q, "cont", NULL, MIGRATE_QMP_MS, NULL);
        }
        if (r == 0)
                log_info(log, "migrate: completed, %zu helper state%s %s and checked", n,
                         n == 1 ? "" : "s", incoming ? "loaded" : "saved");
        return r;
}

static int migrate_either(Qmp *q, const MigrateOptions *o, bool incoming, Log *log,
                          char **ret_error)
{
        _cleanup_free_ char *error = NULL;
        int r;

        if (!q || !o || !o->uri || !o->bus_address)
                return -EINVAL;
        r = migrate_checked(q, o, incoming, log, &error);
        if (r != 0)
                log_err(log, "migrate: %s", error ?: strerror(r < 0 ? -r : EIO));
        if (r != 0 && ret_error)
                *ret_error = TAKE_PTR(error);
        return r;
}

int migrate_run(Qmp *q, const MigrateOptions *o, Log *log, char **ret_error)
{
        return migrate_either(q, o, false, log, ret_error);
}

int migrate_incoming(Qmp *q, const MigrateOptions *o, Log *log, char **ret_error)
{
        return migrate_either(q, o, true, log, ret_error);
}

static int with_qmp(const char *qmp_path, const MigrateOptions *o, bool incoming, Log *log,
                    char **ret_error)
{
        _cleanup_(qmp_freep) Qmp *q = NULL;
        int r;

        r = qmp_connect(qmp_path, 5000, &q);
        if (r != 0)
                return fail(ret_error, r < 0 ? r : MIGRATE_E_QEMU, "cannot talk QMP on %s",
                            qmp_path);
        return migrate_either(q, o, incoming, log, ret_error);
}

int migrate_run_path(const char *qmp_path, const MigrateOptions *o, Log *log, char **ret_error)
{
        return with_qmp(qmp_path, o, false, log, ret_error);
}

int migrate_incoming_path(const char *qmp_path, const MigrateOptions *o, Log *log,
                          char **ret_error)
{
        return with_qmp(qmp_path, o, true, log, ret_error);
}
