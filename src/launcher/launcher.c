/*
 * launcher.c -- `bulkhead run`, `ps` and `stop` (see launcher.h).
 *
 * run: plan identities and lock uids (pool.c), create the runtime dir, write
 * the generated policy, bind the QMP socket, then start the bus, the helpers
 * (each ready when its names are on the bus) and QEMU (ready when QMP
 * answers); then supervise in one poll() loop over a signalfd, the children's
 * log pipes and the QMP socket. Teardown is one function, reached from every
 * exit path after the runtime dir exists.
 *
 * Must never: signal a pid recorded in a state file without checking it is
 * still the same process (start time), or remove anything outside the VM's dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "launcher/busclient.h"
#include "launcher/launcher.h"
#include "launcher/plan.h"
#include "launcher/pool.h"
#include "launcher/proc.h"
#include "launcher/qemuargs.h"
#include "launcher/qmp.h"
#include "launcher/runtime.h"
#include "util/error.h"

#define START_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS  5000
#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS   5000

typedef struct Launcher {
        Log *log;
        const LaunchOptions *opts;
        VmSpec *spec;
        IdentityPlan plan;
        UidLease *lease;
        char *base, *dir, *bus_dir, *bus_socket, *bus_address, *qmp_path, *conf_path;
        int lock_fd, qmp_listen_fd, sig_fd, out_fd;
        Qmp *qmp;
        Proc procs[2 + VMSPEC_MAX_HELPERS]; /* 0 bus, 1 QEMU, 2.. helpers */
        size_t n_procs;
        bool dir_created;
        int qemu_status;
} Launcher;

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
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

static int vm_dir(const char *vm, char **ret_base, char **ret_dir)
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
        r = vm_dir(vm, NULL, &dir);
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
                sleep_ms(20);
}

/* kill what the state file names (if still the same processes), remove cgroups and the dir */
static void cleanup_stale(const char *dir, Log *log)
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
                                sleep_ms(20);
                for (size_t i = 0; i < st->n_procs; i++)
                        cgroup_remove(st->procs[i].cgroup);
        }
        (void)runtime_remove_tree(dir);
}

/* returns an fd holding the VM's lock, or -EBUSY when a live supervisor holds it */
static int take_lock(const char *dir)
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

/* ---- state ---- */

static void write_state(Launcher *l, const char *state)
{
        _cleanup_free_ RuntimeState *st = calloc(1, sizeof(*st));

        if (!st)
                return;
        snprintf(st->vm, sizeof(st->vm), "%s", l->spec->name);
        snprintf(st->state, sizeof(st->state), "%s", state);
        snprintf(st->bus_address, sizeof(st->bus_address), "%s", l->bus_address ? l->bus_address : "");
        st->supervisor_pid = getpid();
        st->block_first = l->lease ? l->lease->first : 0;
        st->block_count = l->lease ? l->lease->count : 0;
        for (size_t i = 0; i < l->n_procs && i < RUNTIME_MAX_PROCS; i++) {
                const Proc *p = &l->procs[i];
                RuntimeProc *rp = &st->procs[st->n_procs++];

                snprintf(rp->role, sizeof(rp->role), "%s",
                         p->role == PROC_BUS ? "bus" : p->role == PROC_QEMU ? "qemu" : "helper");
                snprintf(rp->name, sizeof(rp->name), "%s", p->name);
                rp->pid = p->pid;
                rp->uid = p->uid;
                rp->gid = p->gid;
                rp->restarts = p->restarts;
                rp->starttime = p->starttime;
                if (p->cgroup && sandbox_cgroup_path(p->cgroup))
                        snprintf(rp->cgroup, sizeof(rp->cgroup), "%s", sandbox_cgroup_path(p->cgroup));
        }
        if (runtime_state_write(l->dir, st) < 0)
                log_warning(l->log, "%s: cannot write the state file", l->spec->name);
}

/* ---- starting ---- */

static int make_dirs(Launcher *l)
{
        bool shared = l->plan.privileged;
        mode_t vm_mode = shared ? 0710 : 0700;
        int r;

        if (mkdir(l->base, l->plan.privileged ? 0755 : 0700) < 0 && errno != EEXIST)
                return log_err(l->log, "%s: %m", l->base), -errno;
        if (mkdir(l->dir, 0700) < 0)
                return log_err(l->log, "%s: %m", l->dir), -errno;
        l->dir_created = true;
        if (shared && (chown(l->dir, l->plan.manager_uid, l->plan.vm_gid) < 0 || chmod(l->dir, vm_mode) < 0))
                return log_err(l->log, "%s: %m", l->dir), -errno;
        r = take_lock(l->dir);
        if (r < 0)
                return log_err(l->log, "%s: cannot lock: %s", l->dir, strerror(-r)), r;
        l->lock_fd = r;
        if (mkdir(l->bus_dir, shared ? 0750 : 0700) < 0)
                return log_err(l->log, "%s: %m", l->bus_dir), -errno;
        if (shared && chown(l->bus_dir, l->plan.bus_uid, l->plan.vm_gid) < 0)
                return log_err(l->log, "%s: %m", l->bus_dir), -errno;
        return 0;
}

static int write_policy(Launcher *l)
{
        _cleanup_free_ char *xml = NULL, *err = NULL;
        int fd, r;

        r = policygen_build(l->spec, &l->plan, l->opts->flavour, l->bus_address, launcher_user_name, &xml, &err);
        if (r != 0) {
                log_err(l->log, "%s", r > 0 && err ? err : strerror(-r));
                return r > 0 ? -EINVAL : r;
        }
        fd = open(l->conf_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0)
                return log_err(l->log, "%s: %m", l->conf_path), -errno;
        if (write(fd, xml, strlen(xml)) != (ssize_t)strlen(xml) ||
            (l->plan.privileged && fchown(fd, l->plan.manager_uid, l->plan.vm_gid) < 0)) {
                close(fd);
                return log_err(l->log, "%s: %m", l->conf_path), -EIO;
        }
        close(fd);
        return 0;
}

/* the QMP socket: ours (0600, the managing user), QEMU gets the listening fd */
static int bind_qmp(Launcher *l)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;
        mode_t old;

        if (strlen(l->qmp_path) >= sizeof(sa.sun_path))
                return log_err(l->log, "%s: path too long for a UNIX socket", l->qmp_path), -ENAMETOOLONG;
        strcpy(sa.sun_path, l->qmp_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        old = umask(0177);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
                umask(old);
                close(fd);
                return log_err(l->log, "%s: %m", l->qmp_path), -errno;
        }
        umask(old);
        l->qmp_listen_fd = fd;
        return 0;
}

static int push_env(char ***env, const char *key, const char *value)
{
        _cleanup_free_ char *kv = NULL;

        if (asprintf(&kv, "%s=%s", key, value) < 0)
                return -ENOMEM;
        return strv_push(env, kv);
}

static int base_env(Launcher *l, char ***env)
{
        char num[32];
        int r = 0;

        r |= push_env(env, "PATH", "/usr/local/bin:/usr/bin:/bin");
        r |= push_env(env, "HOME", l->dir);
        r |= push_env(env, "XDG_RUNTIME_DIR", l->dir);
        r |= push_env(env, "LANG", "C.UTF-8");
        r |= push_env(env, "BULKHEAD_VM", l->spec->name);
        r |= push_env(env, "BULKHEAD_VM_DIR", l->dir);
        snprintf(num, sizeof(num), "%u", (unsigned)l->plan.qemu_uid);
        r |= push_env(env, "BULKHEAD_QEMU_UID", num);
        if (l->bus_address) {
                r |= push_env(env, "DBUS_SESSION_BUS_ADDRESS", l->bus_address);
                r |= push_env(env, "BULKHEAD_BUS_ADDRESS", l->bus_address);
        }
        /* sanitizer builds of our own helpers need their options */
        for (const char *const *k = (const char *const[]){ "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL };
             *k; k++)
                if (getenv(*k))
                        r |= push_env(env, *k, getenv(*k));
        return r ? -ENOMEM : 0;
}

static void proc_groups(const Launcher *l, const Proc *p, gid_t *groups, size_t *n)
{
        *n = 0;
        if (l->plan.privileged && p->gid != l->plan.vm_gid)
                groups[(*n)++] = l->plan.vm_gid;
}

static bool is_system_path(const char *p)
{
        static const char *const sys[] = { "/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/etc/" };

        for (size_t i = 0; i < ELEMENTSOF(sys); i++)
                if (!strncmp(p, sys[i], strlen(sys[i])))
                        return true;
        return false;
}

/*
 * The filesystem view of a child: the runtime dir and the spec's
 * read-write-paths read-write; read-only the spec's read-only-paths, the
 * executable's directory and every absolute path among its arguments that
 * exists (a script, a config file), unless the system dirs hold them anyway.
 */
static int view_paths(Launcher *l, const char *path, char *const *argv, char *const *ro_spec, char *const *rw_spec,
                      char ***ret_ro, char ***ret_rw)
{
        _cleanup_(strvp_free) char **ro = calloc(1, sizeof(char *)), **rw = calloc(1, sizeof(char *));
        _cleanup_free_ char *exe_dir = strdup(path);
        char *slash;

        if (!ro || !rw || !exe_dir || strv_push(&rw, l->dir) < 0)
                return -ENOMEM;
        slash = strrchr(exe_dir, '/');
        if (slash && slash != exe_dir)
                *slash = 0;
        if (!is_system_path(path) && strv_push(&ro, exe_dir) < 0)
                return -ENOMEM;
        for (size_t i = 1; argv[i]; i++)
                if (argv[i][0] == '/' && !is_system_path(argv[i]) && access(argv[i], F_OK) == 0 &&
                    !strv_contains(ro, argv[i]) && strncmp(argv[i], l->dir, strlen(l->dir)) != 0 &&
                    strv_push(&ro, argv[i]) < 0)
                        return -ENOMEM;
        for (size_t i = 0; ro_spec && ro_spec[i]; i++)
                if (strv_push(&ro, ro_spec[i]) < 0)
                        return -ENOMEM;
        for (size_t i = 0; rw_spec && rw_spec[i]; i++)
                if (strv_push(&rw, rw_spec[i]) < 0)
                        return -ENOMEM;
        *ret_ro = TAKE_PTR(ro);
        *ret_rw = TAKE_PTR(rw);
        return 0;
}

static int start_proc(Launcher *l, Proc *p, const char *path, char **argv, char **env, const int *fds, size_t n_fds,
                      SandboxSeccomp seccomp, bool host_net, uint64_t mem, uint64_t pids)
{
        _cleanup_(strvp_free) char **ro = NULL, **rw = NULL;
        const VmHelper *h = p->helper_index >= 0 ? &l->spec->helpers[p->helper_index] : NULL;
        gid_t groups[2];
        ProcStart s = {
                .path = path, .argv = argv, .envp = env, .groups = groups, .fds = fds, .n_fds = n_fds,
                .sandbox = !l->opts->no_sandbox, .privileged = l->plan.privileged, .host_network = host_net,
                .seccomp = seccomp, .memory_max = mem, .pids_max = pids,
        };
        _cleanup_free_ char *err = NULL;
        int r;

        r = view_paths(l, path, argv, h ? h->ro_paths : p->role == PROC_QEMU ? l->spec->ro_paths : NULL,
                       h ? h->rw_paths : p->role == PROC_QEMU ? l->spec->rw_paths : NULL, &ro, &rw);
        if (r < 0)
                return r;
        s.ro_paths = (const char *const *)ro;
        s.rw_paths = (const char *const *)rw;

        proc_groups(l, p, groups, &s.n_groups);
        p->cgroup = sandbox_cgroup_free(p->cgroup);
        r = proc_start(p, &s, &err);
        if (r < 0) {
                log_err(l->log, "%s: cannot start: %s", p->name, err ? err : strerror(-r));
                return r;
        }
        log_info(l->log, "%s: started %s as pid %d (uid %u)", l->spec->name, p->name, (int)p->pid,
                 (unsigned)p->uid);
        return 0;
}

static void reap_one(Launcher *l, pid_t pid, int status);

/* wait until the child @p is gone or @ms passed; true if gone */
static bool wait_gone(Launcher *l, Proc *p, long ms)
{
        long long deadline = now_ms() + ms;

        while (p->pid > 0) {
                int status;
                pid_t r = waitpid(p->pid, &status, WNOHANG);

                if (r == p->pid) {
                        reap_one(l, r, status);
                        return true;
                }
                if (r < 0 && errno == ECHILD) {
                        p->pid = 0;
                        return true;
                }
                if (now_ms() >= deadline)
                        return false;
                sleep_ms(10);
        }
        return true;
}

static int start_bus(Launcher *l)
{
        Proc *p = &l->procs[0];
        _cleanup_(strvp_free) char **argv = NULL, **env = NULL;
        _cleanup_free_ char *path = NULL;
        char cfg[4300], buf[4200];
        int pipefd[2], r;
        size_t got = 0;
        long long deadline;

        if (l->opts->flavour == BUS_FLAVOUR_BULKHEAD)
                path = strdup(l->opts->bus_binary);
        else
                r = proc_resolve_exec("dbus-daemon", &path);
        if (!path)
                return log_err(l->log, "dbus-daemon not found"), -ENOENT;
        snprintf(cfg, sizeof(cfg), "--config-file=%s", l->conf_path);
        if (strv_push(&argv, path) < 0 || strv_push(&argv, cfg) < 0 || strv_push(&argv, "--nofork") < 0 ||
            strv_push(&argv, "--nopidfile") < 0 || strv_push(&argv, "--print-address=3") < 0)
                return -ENOMEM;
        env = calloc(1, sizeof(char *));
        if (!env || push_env(&env, "PATH", "/usr/bin:/bin") < 0)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        (void)unlink(l->bus_socket);
        r = start_proc(l, p, path, argv, env, &pipefd[1], 1,
                       /* dbus-daemon is not ours to profile: its syscalls fall outside the bus profile */
                       l->opts->flavour == BUS_FLAVOUR_BULKHEAD ? SANDBOX_SECCOMP_BUS : SANDBOX_SECCOMP_NONE, false,
                       0, 0);
        close(pipefd[1]);
        if (r < 0) {
                close(pipefd[0]);
                return r;
        }
        /* ready when it prints its address */
        deadline = now_ms() + START_TIMEOUT_MS;
        while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
                struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
                ssize_t n;

                if (now_ms() >= deadline || poll(&pfd, 1, 100) < 0)
                        break;
                proc_drain_log(p, l->out_fd);
                if (!pfd.revents)
                        continue;
                n = read(pipefd[0], buf + got, sizeof(buf) - 1 - got);
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(pipefd[0]);
        proc_drain_log(p, l->out_fd);
        if (!memchr(buf, '\n', got)) {
                log_err(l->log, "%s: the bus did not come up", l->spec->name);
                return -EIO;
        }
        return 0;
}

static int helper_argv(Launcher *l, const VmHelper *h, char ***ret_argv, char **ret_path)
{
        _cleanup_(strvp_free) char **argv = NULL;
        char *path = NULL;
        int r;

        r = qemuargs_expand_all(h->exec, l->spec, h, l->dir, l->bus_address, &argv);
        if (r < 0)
                return r;
        r = proc_resolve_exec(argv[0], &path);
        if (r < 0)
                return log_err(l->log, "helper %s: %s: not found", h->name, argv[0]), r;
        *ret_path = path;
        *ret_argv = TAKE_PTR(argv);
        return 0;
}

static int start_helper(Launcher *l, size_t i)
{
        const VmHelper *h = &l->spec->helpers[i];
        Proc *p = &l->procs[2 + i];
        _cleanup_(strvp_free) char **argv = NULL, **env = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = helper_argv(l, h, &argv, &path);
        if (r < 0)
                return r;
        env = calloc(1, sizeof(char *));
        if (!env || base_env(l, &env) < 0 || push_env(&env, "BULKHEAD_HELPER", h->name) < 0 ||
            (h->vmstate_id && push_env(&env, "BULKHEAD_VMSTATE_ID", h->vmstate_id) < 0))
                return -ENOMEM;
        return start_proc(l, p, path, argv, env, NULL, 0, SANDBOX_SECCOMP_HELPER, h->provides == PROVIDES_NET,
                          h->memory_max, h->tasks_max);
}

static int wait_helper_ready(Launcher *l, size_t i, BusClient *bc, unsigned vmstate_expected)
{
        const VmHelper *h = &l->spec->helpers[i];
        Proc *p = &l->procs[2 + i];
        long long deadline = now_ms() + START_TIMEOUT_MS;

        for (;;) {
                bool ready = true;

                for (size_t j = 0; ready && h->owns && h->owns[j]; j++)
                        ready = busclient_name_has_owner(bc, h->owns[j]) > 0;
                if (ready && h->vmstate_id)
                        ready = busclient_queue_length(bc, "org.qemu.VMState1") >= (int)vmstate_expected;
                if (ready && h->provides != PROVIDES_NONE) {
                        char sock[4400];

                        snprintf(sock, sizeof(sock), "%s/%s", l->dir, h->socket);
                        ready = access(sock, F_OK) == 0;
                }
                proc_drain_log(p, l->out_fd);
                if (ready)
                        return 0;
                if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
                        p->pid = 0;
                        log_err(l->log, "helper %s exited before it was ready", h->name);
                        return -ECHILD;
                }
                if (now_ms() >= deadline) {
                        log_err(l->log, "helper %s: not ready within %d ms (its names are not on the bus)",
                                h->name, START_TIMEOUT_MS);
                        return -ETIMEDOUT;
                }
                sleep_ms(20);
        }
}

static int start_qemu(Launcher *l)
{
        Proc *p = &l->procs[1];
        _cleanup_(strvp_free) char **argv = NULL, **env = NULL;
        _cleanup_free_ char *path = NULL;
        long long deadline;
        int r;

        r = qemuargs_build(l->spec, l->dir, l->bus_address, 3, l->opts->incoming, &argv);
        if (r < 0)
                return r;
        r = proc_resolve_exec(argv[0], &path);
        if (r < 0)
                return log_err(l->log, "qemu: %s: not found", argv[0]), r;
        env = calloc(1, sizeof(char *));
        if (!env || base_env(l, &env) < 0)
                return -ENOMEM;
        r = start_proc(l, p, path, argv, env, &l->qmp_listen_fd, 1, SANDBOX_SECCOMP_QEMU_OWN, false, 0, 0);
        if (r < 0)
                return r;
        /* ready when QMP answers */
        deadline = now_ms() + START_TIMEOUT_MS;
        for (;;) {
                r = qmp_connect(l->qmp_path, 500, &l->qmp);
                proc_drain_log(p, l->out_fd);
                if (r == 0)
                        return 0;
                if (waitpid(p->pid, &l->qemu_status, WNOHANG) == p->pid) {
                        p->pid = 0;
                        log_err(l->log, "qemu exited during start-up");
                        return -ECHILD;
                }
                if (now_ms() >= deadline) {
                        log_err(l->log, "qemu: QMP did not answer within %d ms", START_TIMEOUT_MS);
                        return -ETIMEDOUT;
                }
                sleep_ms(20);
        }
}

static void on_qmp_event(void *userdata, const char *event, const char *msg)
{
        Launcher *l = userdata;

        log_info(l->log, "%s: QEMU event %s", l->spec->name, event);
}

/* ---- stopping ---- */

static void kill_proc(Launcher *l, Proc *p)
{
        if (p->pid <= 0)
                return;
        kill(p->pid, SIGTERM);
        if (!wait_gone(l, p, 1000)) {
                kill(p->pid, SIGKILL);
                wait_gone(l, p, STOP_TIMEOUT_MS);
        }
}

static void teardown(Launcher *l)
{
        Proc *qemu = &l->procs[1];

        if (qemu->pid > 0 && l->qmp && qmp_quit(l->qmp, 2000) == 0)
                wait_gone(l, qemu, STOP_TIMEOUT_MS);
        kill_proc(l, qemu);
        l->qmp = qmp_free(l->qmp);
        for (size_t i = l->n_procs; i > 2; i--)
                kill_proc(l, &l->procs[i - 1]);
        kill_proc(l, &l->procs[0]);
        for (size_t i = 0; i < l->n_procs; i++) {
                Proc *p = &l->procs[i];

                while (p->log_fd >= 0)
                        proc_drain_log(p, l->out_fd);
                p->cgroup = sandbox_cgroup_free(p->cgroup);
        }
        l->qmp_listen_fd = safe_close(l->qmp_listen_fd);
        if (l->dir_created)
                (void)runtime_remove_tree(l->dir);
        l->lock_fd = safe_close(l->lock_fd);
        l->lease = pool_release(l->lease);
}

/* ---- supervision ---- */

static Proc *find_proc(Launcher *l, pid_t pid)
{
        for (size_t i = 0; i < l->n_procs; i++)
                if (l->procs[i].pid == pid)
                        return &l->procs[i];
        return NULL;
}

static void reap_one(Launcher *l, pid_t pid, int status)
{
        Proc *p = find_proc(l, pid);

        if (!p)
                return;
        p->pid = 0;
        p->starttime = 0;
        if (p->role == PROC_QEMU)
                l->qemu_status = status;
        if (WIFEXITED(status))
                log_info(l->log, "%s: %s exited with status %d", l->spec->name, p->name, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                log_info(l->log, "%s: %s killed by signal %d", l->spec->name, p->name, WTERMSIG(status));
        if (p->role == PROC_HELPER) {
                const VmHelper *h = &l->spec->helpers[p->helper_index];
                bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
                long delay;

                if (h->restart == RESTART_NO || (h->restart == RESTART_ON_FAILURE && !failed))
                        return;
                if (p->restarts >= h->restart_max) {
                        if (!p->gave_up)
                                log_err(l->log, "%s: helper %s failed %u times: not restarting it", l->spec->name,
                                        h->name, p->restarts);
                        p->gave_up = true;
                        return;
                }
                delay = BACKOFF_FIRST_MS << MIN(p->restarts, 5u);
                p->restart_at = now_ms() + MIN(delay, (long)BACKOFF_MAX_MS);
        } else if (p->role == PROC_BUS && !p->gave_up) {
                if (p->restarts >= 5) {
                        log_err(l->log, "%s: the bus failed %u times: not restarting it", l->spec->name,
                                p->restarts);
                        p->gave_up = true;
                        return;
                }
                p->restart_at = now_ms(); /* at once, at the same address */
        }
}

static void restart_due(Launcher *l)
{
        long long now = now_ms();

        for (size_t i = 0; i < l->n_procs; i++) {
                Proc *p = &l->procs[i];
                int r;

                if (!p->restart_at || p->restart_at > now)
                        continue;
                p->restart_at = 0;
                p->restarts++;
                if (p->log_fd >= 0) {
                        while (proc_drain_log(p, l->out_fd) == 0 && p->log_fd >= 0)
                                break;
                        p->log_fd = safe_close(p->log_fd);
                }
                log_info(l->log, "%s: restarting %s (restart %u)", l->spec->name, p->name, p->restarts);
                r = p->role == PROC_BUS ? start_bus(l) : start_helper(l, (size_t)p->helper_index);
                if (r < 0 && p->role == PROC_HELPER)
                        reap_one(l, -1, 0); /* nothing to reap; schedule below */
                if (r < 0 && p->role == PROC_HELPER && p->restarts < l->spec->helpers[p->helper_index].restart_max)
                        p->restart_at = now_ms() + BACKOFF_MAX_MS;
        }
        write_state(l, "running");
}

static long long next_deadline(Launcher *l)
{
        long long d = 0;

        for (size_t i = 0; i < l->n_procs; i++)
                if (l->procs[i].restart_at && (!d || l->procs[i].restart_at < d))
                        d = l->procs[i].restart_at;
        return d;
}

/* returns when the VM should stop: QEMU exited, or a signal asked for it */
static void supervise(Launcher *l)
{
        for (;;) {
                struct pollfd pfds[3 + VMSPEC_MAX_HELPERS + 2];
                Proc *owners[3 + VMSPEC_MAX_HELPERS + 2];
                size_t n = 0;
                long long d = next_deadline(l);
                int timeout = d ? (int)MAX(0LL, d - now_ms()) : -1;

                pfds[n++] = (struct pollfd){ .fd = l->sig_fd, .events = POLLIN };
                pfds[n++] = (struct pollfd){ .fd = l->qmp ? qmp_fd(l->qmp) : -1, .events = POLLIN };
                for (size_t i = 0; i < l->n_procs; i++)
                        if (l->procs[i].log_fd >= 0) {
                                owners[n] = &l->procs[i];
                                pfds[n++] = (struct pollfd){ .fd = l->procs[i].log_fd, .events = POLLIN };
                        }
                if (poll(pfds, n, timeout) < 0 && errno != EINTR)
                        return;
                for (size_t i = 2; i < n; i++)
                        if (pfds[i].revents)
                                proc_drain_log(owners[i], l->out_fd);
                if (pfds[1].revents && l->qmp && qmp_process(l->qmp) < 0)
                        l->qmp = qmp_free(l->qmp);
                if (pfds[0].revents) {
                        struct signalfd_siginfo si;
                        bool stop = false;

                        while (read(l->sig_fd, &si, sizeof(si)) == sizeof(si))
                                if (si.ssi_signo != SIGCHLD) {
                                        log_info(l->log, "%s: signal %d: stopping", l->spec->name,
                                                 (int)si.ssi_signo);
                                        stop = true;
                                }
                        for (;;) {
                                int status;
                                pid_t pid = waitpid(-1, &status, WNOHANG);

                                if (pid <= 0)
                                        break;
                                reap_one(l, pid, status);
                        }
                        if (stop)
                                return;
                        write_state(l, "running");
                }
                if (l->procs[1].pid == 0)
                        return;
                restart_due(l);
        }
}

static int launcher_paths(Launcher *l)
{
        if (vm_dir(l->spec->name, &l->base, &l->dir) < 0)
                return log_err(l->log, "no runtime directory: set BULKHEAD_RUNTIME_DIR or XDG_RUNTIME_DIR"), -ENOENT;
        if (asprintf(&l->bus_dir, "%s/bus", l->dir) < 0 || asprintf(&l->bus_socket, "%s/socket", l->bus_dir) < 0 ||
            asprintf(&l->bus_address, "unix:path=%s", l->bus_socket) < 0 ||
            asprintf(&l->qmp_path, "%s/qmp.sock", l->dir) < 0 || asprintf(&l->conf_path, "%s/bus.conf", l->dir) < 0)
                return -ENOMEM;
        return 0;
}

static int plan(Launcher *l)
{
        bool priv = geteuid() == 0;
        int r;

        if (priv && l->spec->has_uids) {
                r = pool_acquire(pool_dir(), l->spec->uid_first, l->spec->uid_last, plan_uids_needed(l->spec),
                                 l->spec->name, &l->lease);
                if (r > 0)
                        return log_err(l->log, "uids %u-%u: no free block of %u uids (other VMs hold them)",
                                       (unsigned)l->spec->uid_first, (unsigned)l->spec->uid_last,
                                       plan_uids_needed(l->spec)),
                               -EBUSY;
                if (r < 0)
                        return log_err(l->log, "uid pool %s: %s", pool_dir(), strerror(-r)), r;
                if (l->lease->first == 0)
                        return log_err(l->log, "refusing to run VM processes as uid 0"), -EPERM;
        }
        r = plan_identities(l->spec, priv, geteuid(), getegid(), l->lease ? l->lease->first : 0, &l->plan);
        if (r == PLAN_E_NOT_ROOT)
                return log_err(l->log, "not root: only identity = same-uid can run (this spec asks for %s)",
                               identity_scenario_to_string(l->spec->identity)),
                       -EPERM;
        if (r == PLAN_E_NO_UIDS)
                return log_err(l->log, "running as root needs uids = FIRST-LAST in [vm]: VM processes never run "
                                       "as root"),
                       -EPERM;
        if (!priv)
                log_info(l->log, "not root: every process of %s runs as uid %u (same-uid)", l->spec->name,
                         (unsigned)geteuid());
        return 0;
}

static void init_procs(Launcher *l)
{
        l->procs[0] = (Proc){ .role = PROC_BUS, .helper_index = -1, .uid = l->plan.bus_uid, .log_fd = -1 };
        snprintf(l->procs[0].name, sizeof(l->procs[0].name), "bus");
        l->procs[1] = (Proc){ .role = PROC_QEMU, .helper_index = -1, .uid = l->plan.qemu_uid, .log_fd = -1 };
        snprintf(l->procs[1].name, sizeof(l->procs[1].name), "qemu");
        for (size_t i = 0; i < l->spec->n_helpers; i++) {
                Proc *p = &l->procs[2 + i];

                *p = (Proc){ .role = PROC_HELPER, .helper_index = (int)i, .uid = l->plan.helper_uids[i],
                             .log_fd = -1 };
                snprintf(p->name, sizeof(p->name), "%s", l->spec->helpers[i].name);
        }
        l->n_procs = 2 + l->spec->n_helpers;
        for (size_t i = 0; i < l->n_procs; i++)
                l->procs[i].gid = l->plan.privileged ? (gid_t)l->procs[i].uid : l->plan.manager_gid;
}

static int start_all(Launcher *l)
{
        _cleanup_(busclient_freep) BusClient *bc = NULL;
        unsigned vmstate = 0;
        int r;

        r = launcher_paths(l);
        if (r < 0)
                return r;
        /* a VM of that name killed hard: clean up after it first */
        if (access(l->dir, F_OK) == 0) {
                int fd = take_lock(l->dir);

                if (fd == -EBUSY)
                        return log_err(l->log, "VM %s is already running (%s)", l->spec->name, l->dir), -EEXIST;
                safe_close(fd);
                log_notice(l->log, "%s: cleaning up after a previous run that did not stop cleanly", l->spec->name);
                cleanup_stale(l->dir, l->log);
        }
        r = plan(l);
        if (r < 0)
                return r;
        init_procs(l);
        r = make_dirs(l);
        if (r < 0)
                return r;
        if ((r = write_policy(l)) < 0 || (r = bind_qmp(l)) < 0)
                return r;
        write_state(l, "starting");
        r = start_bus(l);
        if (r < 0)
                return r;
        write_state(l, "starting");
        r = busclient_open(l->bus_address, &bc);
        if (r < 0)
                return log_err(l->log, "cannot connect to the VM bus: %s", strerror(-r)), r;
        for (size_t i = 0; i < l->spec->n_helpers; i++) {
                r = start_helper(l, i);
                write_state(l, "starting");
                if (r < 0)
                        return r;
                vmstate += l->spec->helpers[i].vmstate_id != NULL;
                r = wait_helper_ready(l, i, bc, vmstate);
                if (r < 0)
                        return r;
        }
        r = start_qemu(l);
        if (r < 0)
                return r;
        qmp_set_event_handler(l->qmp, on_qmp_event, l);
        write_state(l, "running");
        return 0;
}

static int block_signals(Launcher *l)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return -errno;
        signal(SIGPIPE, SIG_IGN);
        l->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        return l->sig_fd < 0 ? -errno : 0;
}

/* --detach: the parent waits for "ready" from the supervisor, printing its messages */
static int detach(const char *name, bool *ret_is_child, int *ret_ready_fd)
{
        int p[2];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(p[0]);
                if (setsid() < 0)
                        _exit(BULKHEAD_EXIT_START);
                dup2(p[1], 2);
                *ret_is_child = true;
                *ret_ready_fd = p[1];
                return 0;
        }
        close(p[1]);
        for (;;) {
                char buf[4096];
                ssize_t n = read(p[0], buf, sizeof(buf));
                char *mark;

                if (n <= 0)
                        break;
                mark = memmem(buf, (size_t)n, "\001ready\n", 7);
                if (mark) {
                        (void)!write(2, buf, (size_t)(mark - buf));
                        printf("%s\n", name);
                        return 1;
                }
                (void)!write(2, buf, (size_t)n);
        }
        (void)waitpid(pid, NULL, WNOHANG);
        return -EIO;
}

static void launcher_free(Launcher *l)
{
        for (size_t i = 0; i < l->n_procs; i++)
                safe_close(l->procs[i].log_fd);
        safe_close(l->sig_fd);
        free(l->base);
        free(l->dir);
        free(l->bus_dir);
        free(l->bus_socket);
        free(l->bus_address);
        free(l->qmp_path);
        free(l->conf_path);
        vmspec_free(l->spec);
}

/** launcher_run() - `bulkhead run`. Returns a BULKHEAD_EXIT_* code. */
int launcher_run(const LaunchOptions *o, Log *log)
{
        Launcher l = { .log = log, .opts = o, .lock_fd = -1, .qmp_listen_fd = -1, .sig_fd = -1, .out_fd = 2 };
        _cleanup_free_ char *err = NULL;
        int r, ready_fd = -1, exit_code;
        bool child = false;

        r = vmspec_load(o->spec_path, &l.spec, &err);
        if (r != 0) {
                log_err(log, "%s", r > 0 && err ? err : strerror(-r));
                return r > 0 ? BULKHEAD_EXIT_SPEC : BULKHEAD_EXIT_FAILURE;
        }
        if (o->detach) {
                r = detach(l.spec->name, &child, &ready_fd);
                if (!child) {
                        vmspec_free(l.spec);
                        return r > 0 ? BULKHEAD_EXIT_OK : BULKHEAD_EXIT_START;
                }
        }
        r = block_signals(&l);
        if (r == 0)
                r = start_all(&l);
        if (r < 0) {
                teardown(&l);
                launcher_free(&l);
                return BULKHEAD_EXIT_START;
        }
        log_info(log, "%s: running (bus %s, QMP %s)", l.spec->name, l.bus_address, l.qmp_path);
        if (child) {
                char logp[4400];
                int fd;

                snprintf(logp, sizeof(logp), "%s/log", l.dir);
                (void)!write(ready_fd, "\001ready\n", 7);
                fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
                dup2(fd >= 0 ? fd : open("/dev/null", O_WRONLY | O_CLOEXEC), 2);
                safe_close(fd);
                safe_close(ready_fd);
                int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(nul, 0);
                dup2(nul, 1);
                safe_close(nul);
        }
        supervise(&l);
        write_state(&l, "stopping");
        teardown(&l);
        if (l.procs[1].pid == 0 && WIFEXITED(l.qemu_status) && WEXITSTATUS(l.qemu_status) == 0)
                exit_code = BULKHEAD_EXIT_OK;
        else if (WIFSIGNALED(l.qemu_status) && WTERMSIG(l.qemu_status) == SIGTERM)
                exit_code = BULKHEAD_EXIT_OK;
        else
                exit_code = BULKHEAD_EXIT_VM_FAILED;
        log_info(log, "%s: stopped", l.spec->name);
        launcher_free(&l);
        return exit_code;
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
        int fd = take_lock(dir);

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
        if (strchr(vm, '/') || !strcmp(vm, ".") || !strcmp(vm, "..") || vm_dir(vm, NULL, &dir) < 0) {
                log_err(log, "%s: not a VM name", vm);
                return BULKHEAD_EXIT_USAGE;
        }
        if (access(dir, F_OK) < 0) {
                log_err(log, "no VM named %s (%s)", vm, dir);
                return BULKHEAD_EXIT_NO_VM;
        }
        fd = take_lock(dir);
        if (fd != -EBUSY) {
                safe_close(fd);
                log_notice(log, "%s: its supervisor is gone: cleaning up what it left", vm);
                cleanup_stale(dir, log);
                return access(dir, F_OK) == 0 ? BULKHEAD_EXIT_FAILURE : BULKHEAD_EXIT_OK;
        }
        if (runtime_state_read(dir, st) < 0 || st->supervisor_pid <= 1 || kill(st->supervisor_pid, SIGTERM) < 0) {
                log_err(log, "%s: cannot reach its supervisor", vm);
                return BULKHEAD_EXIT_FAILURE;
        }
        /* the supervisor quits QEMU over QMP, stops helpers and bus, removes the dir */
        deadline = now_ms() + 4 * STOP_TIMEOUT_MS;
        while (access(dir, F_OK) == 0) {
                if (now_ms() >= deadline) {
                        log_err(log, "%s: the supervisor (pid %d) did not stop in time", vm, (int)st->supervisor_pid);
                        return BULKHEAD_EXIT_FAILURE;
                }
                sleep_ms(20);
        }
        return BULKHEAD_EXIT_OK;
}
