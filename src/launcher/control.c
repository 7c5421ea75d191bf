/*
 * control.c -- the commands that act on a VM from another shell: `ps`,
 * `stop`, `migrate`, and the cleanup after a supervisor that was killed
 * (see launcher.h). The supervisor itself lives in launcher.c.
 *
 * Must never: signal a pid recorded in a state file without checking it is
 * still the same process (uid and start time), or remove anything outside
 * the VM's directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher/launcher-internal.h"
#include "launcher/migrate.h"
#include "launcher/proc.h"
#include "launcher/runtime.h"
#include "util/error.h"

/** launcher_now_ms() - CLOCK_MONOTONIC in milliseconds. */
long long launcher_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/** launcher_sleep_ms() - sleep @ms milliseconds (EINTR resumed). */
void launcher_sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/** launcher_user_name() - see launcher.h. */
int launcher_user_name(uid_t uid, char **ret)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        char *s;

        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
                return POLICYGEN_E_NO_USER;
        s = strdup(res->pw_name);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/** launcher_vm_dir() - RUNTIME and RUNTIME/VM for @vm. Returns 0 or -errno. */
int launcher_vm_dir(const char *vm, char **ret_base, char **ret_dir)
{
        _cleanup_free_ char *base = NULL;
        int r = runtime_base(&base);

        if (r < 0)
                return r;
        if (asprintf(ret_dir, "%s/%s", base, vm) < 0)
                return -ENOMEM;
        if (ret_base)
                *ret_base = TAKE_PTR(base);
        return 0;
}

/** launcher_vm_bus_address() - see launcher.h. Returns 0, -ENOENT or -errno. */
int launcher_vm_bus_address(const char *vm, char **ret)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ RuntimeState *st = calloc(1, sizeof(*st));
        int r;

        if (!st)
                return -ENOMEM;
        r = launcher_vm_dir(vm, NULL, &dir);
        if (r < 0)
                return r;
        r = runtime_state_read(dir, st);
        if (r < 0)
                return r;
        *ret = strdup(st->bus_address);
        return *ret ? 0 : -ENOMEM;
}

/* ---- stale VMs: what a SIGKILLed supervisor left behind ---- */

static bool pid_is(pid_t pid, uid_t uid, unsigned long long starttime)
{
        char path[64], line[256];
        bool match = false;
        FILE *f;

        if (pid <= 1)
                return false;
        /* /proc/PID is owned by root for a process that changed uid: read its Uid line */
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                unsigned ruid;

                if (sscanf(line, "Uid: %u", &ruid) == 1) {
                        match = ruid == uid;
                        break;
                }
        }
        fclose(f);
        return match && (starttime == 0 || proc_starttime(pid) == starttime);
}

static void cgroup_remove(const char *path)
{
        char kill_path[320];
        int fd;

        if (!path[0])
                return;
        snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", path);
        fd = open(kill_path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void)!write(fd, "1", 1);
                close(fd);
        }
        /* killed tasks leave the cgroup a moment after the signal */
        for (int i = 0; i < 250 && rmdir(path) < 0 && errno == EBUSY; i++)
                launcher_sleep_ms(20);
}

/**
 * launcher_cleanup_stale() - after a supervisor that died: kill what the state file names
 * (if still the same processes), remove their cgroups and the directory @dir.
 */
void launcher_cleanup_stale(const char *dir, Log *log)
{
        _cleanup_free_ RuntimeState *st = calloc(1, sizeof(*st));

        if (st && runtime_state_read(dir, st) == 0) {
                for (size_t i = 0; i < st->n_procs; i++) {
                        RuntimeProc *p = &st->procs[i];

                        if (p->pid > 0 && pid_is(p->pid, p->uid, p->starttime) && p->uid != 0) {
                                log_info(log, "%s: killing leftover %s (pid %d)", st->vm, p->name, (int)p->pid);
                                kill(p->pid, SIGKILL);
                        }
                }
                for (size_t i = 0; i < st->n_procs; i++)
                        for (int k = 0; k < 100 && st->procs[i].pid > 0 &&
                                        pid_is(st->procs[i].pid, st->procs[i].uid, st->procs[i].starttime);
                             k++)
                                launcher_sleep_ms(20);
                for (size_t i = 0; i < st->n_procs; i++)
                        cgroup_remove(st->procs[i].cgroup);
        }
        (void)runtime_remove_tree(dir);
}

/** launcher_take_lock() - an fd holding DIR/lock, or -EBUSY when a live supervisor holds it. */
int launcher_take_lock(const char *dir)
{
        char path[4200];
        int fd;

        snprintf(path, sizeof(path), "%s/lock", dir);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                close(fd);
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        }
        return fd;
}

/* ---- ps and stop ---- */

static void json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fprintf(f, "\\%c", *s);
                else if ((unsigned char)*s < 0x20)
                        fprintf(f, "\\u%04x", (unsigned char)*s);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

static bool vm_alive(const char *dir)
{
        int fd = launcher_take_lock(dir);

        if (fd == -EBUSY)
                return true;
        safe_close(fd);
        return false;
}

static void ps_json_vm(const RuntimeState *st, const char *dir, bool first)
{
        char qmp[4500];

        snprintf(qmp, sizeof(qmp), "%s/qmp.sock", dir);
        fputs(first ? "\n  {" : ",\n  {", stdout);
        fputs("\"vm\": ", stdout);
        json_string(stdout, st->vm);
        fputs(", \"state\": ", stdout);
        json_string(stdout, st->state);
        fputs(", \"runtime_dir\": ", stdout);
        json_string(stdout, dir);
        fputs(", \"bus_address\": ", stdout);
        json_string(stdout, st->bus_address);
        fputs(", \"qmp\": ", stdout);
        json_string(stdout, qmp);
        fputs(", \"processes\": [", stdout);
        for (size_t j = 0; j < st->n_procs; j++) {
                const RuntimeProc *p = &st->procs[j];

                fputs(j ? ", {\"role\": " : "{\"role\": ", stdout);
                json_string(stdout, p->role);
                fputs(", \"name\": ", stdout);
                json_string(stdout, p->name);
                printf(", \"pid\": %d, \"uid\": %u, \"gid\": %u, \"restarts\": %u}", (int)p->pid, (unsigned)p->uid,
                       (unsigned)p->gid, p->restarts);
        }
        fputs("]}", stdout);
}

static void ps_text_vm(const RuntimeState *st)
{
        for (size_t j = 0; j < st->n_procs; j++) {
                const RuntimeProc *p = &st->procs[j];

                printf("%-16s %-9s %-7s %-16s %8d %8u %8u %u\n", st->vm, st->state, p->role, p->name, (int)p->pid,
                       (unsigned)p->uid, (unsigned)p->gid, p->restarts);
        }
}

/** launcher_ps() - `bulkhead ps [--json]`. Returns a BULKHEAD_EXIT_* code. */
int launcher_ps(bool json, Log *log)
{
        _cleanup_free_ char *base = NULL;
        _cleanup_free_ RuntimeState *st = calloc(1, sizeof(*st));
        struct dirent **names = NULL;
        int n, count = 0;

        if (!st)
                return BULKHEAD_EXIT_FAILURE;
        if (runtime_base(&base) < 0) {
                log_err(log, "no runtime directory: set BULKHEAD_RUNTIME_DIR or XDG_RUNTIME_DIR");
                return BULKHEAD_EXIT_FAILURE;
        }
        n = scandir(base, &names, NULL, alphasort);
        if (json)
                fputs("[", stdout);
        else
                printf("%-16s %-9s %-7s %-16s %8s %8s %8s %s\n", "VM", "STATE", "ROLE", "NAME", "PID", "UID", "GID",
                       "RESTARTS");
        for (int i = 0; i < n; i++) {
                char dir[4300];

                snprintf(dir, sizeof(dir), "%s/%s", base, names[i]->d_name);
                if (names[i]->d_name[0] == '.' || runtime_state_read(dir, st) < 0)
                        continue;
                if (!vm_alive(dir))
                        snprintf(st->state, sizeof(st->state), "stale");
                if (json)
                        ps_json_vm(st, dir, count == 0);
                else
                        ps_text_vm(st);
                count++;
        }
        if (json)
                fputs(count ? "\n]\n" : "]\n", stdout);
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return fflush(stdout) == 0 ? BULKHEAD_EXIT_OK : BULKHEAD_EXIT_FAILURE;
}

/** launcher_stop() - `bulkhead stop VM`: ask the supervisor, or clean up after a dead one. */
int launcher_stop(const char *vm, Log *log)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ RuntimeState *st = calloc(1, sizeof(*st));
        long long deadline;
        int fd;

        if (!st)
                return BULKHEAD_EXIT_FAILURE;
        if (strchr(vm, '/') || !strcmp(vm, ".") || !strcmp(vm, "..") || launcher_vm_dir(vm, NULL, &dir) < 0) {
                log_err(log, "%s: not a VM name", vm);
                return BULKHEAD_EXIT_USAGE;
        }
        if (access(dir, F_OK) < 0) {
                log_err(log, "no VM named %s (%s)", vm, dir);
                return BULKHEAD_EXIT_NO_VM;
        }
        fd = launcher_take_lock(dir);
        if (fd != -EBUSY) {
                safe_close(fd);
                log_notice(log, "%s: its supervisor is gone: cleaning up what it left", vm);
                launcher_cleanup_stale(dir, log);
                return access(dir, F_OK) == 0 ? BULKHEAD_EXIT_FAILURE : BULKHEAD_EXIT_OK;
        }
        if (runtime_state_read(dir, st) < 0 || st->supervisor_pid <= 1 || kill(st->supervisor_pid, SIGTERM) < 0) {
                log_err(log, "%s: cannot reach its supervisor", vm);
                return BULKHEAD_EXIT_FAILURE;
        }
        /* the supervisor quits QEMU over QMP, stops helpers and bus, removes the dir */
        deadline = launcher_now_ms() + 20000; /* QMP quit, then SIGTERM/SIGKILL rounds */
        while (access(dir, F_OK) == 0) {
                if (launcher_now_ms() >= deadline) {
                        log_err(log, "%s: the supervisor (pid %d) did not stop in time", vm, (int)st->supervisor_pid);
                        return BULKHEAD_EXIT_FAILURE;
                }
                launcher_sleep_ms(20);
        }
        return BULKHEAD_EXIT_OK;
}

/** launcher_migrate() - `bulkhead migrate VM URI`. Returns a BULKHEAD_EXIT_* code. */
int launcher_migrate(const char *vm, const char *uri, Log *log)
{
        _cleanup_free_ char *dir = NULL, *err = NULL, *qmp = NULL;
        _cleanup_free_ RuntimeState *st = calloc(1, sizeof(*st));
        _cleanup_(strvp_free) char **ids = calloc(1, sizeof(char *));
        MigrateOptions o = { .uri = uri, .resume_on_failure = true };
        int r;

        if (!st || !ids)
                return BULKHEAD_EXIT_FAILURE;
        if (strchr(vm, '/') || launcher_vm_dir(vm, NULL, &dir) < 0 || runtime_state_read(dir, st) < 0 || !vm_alive(dir)) {
                log_err(log, "no running VM named %s", vm);
                return BULKHEAD_EXIT_NO_VM;
        }
        for (char *save = NULL, *id = strtok_r(st->vmstate_ids, ",", &save); id; id = strtok_r(NULL, ",", &save))
                if (strv_push(&ids, id) < 0)
                        return BULKHEAD_EXIT_FAILURE;
        if (asprintf(&qmp, "%s/qmp.sock", dir) < 0)
                return BULKHEAD_EXIT_FAILURE;
        o.bus_address = st->bus_address;
        o.vmstate_ids = ids;
        r = migrate_run_path(qmp, &o, log, &err);
        if (r != 0) {
                log_err(log, "%s: migration to %s failed: %s", vm, uri, err ? err : strerror(r < 0 ? -r : EIO));
                return BULKHEAD_EXIT_FAILURE;
        }
        log_info(log, "%s: migrated to %s; the source stays paused until `bulkhead stop %s`", vm, uri, vm);
        return BULKHEAD_EXIT_OK;
}
