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
 * `ps`, `stop` and `migrate` from another shell are in control.c.
 *
 * Must never: run a VM process as root, or leave anything behind on an exit
 * path it controls.
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
#include "launcher/launcher-internal.h"
#include "launcher/migrate.h"
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
        for (size_t i = 0, n = 0; i < l->spec->n_helpers; i++)
                if (l->spec->helpers[i].vmstate_id)
                        n += (size_t)snprintf(st->vmstate_ids + n, n < sizeof(st->vmstate_ids) ? sizeof(st->vmstate_ids) - n : 0,
                                              "%s%s", n ? "," : "", l->spec->helpers[i].vmstate_id);
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

/*
 * socket-fd = yes: we bind the helper's socket (ours, group the VM's, 0660:
 * QEMU may connect, the helper needs no path and no VM group) and pass the
 * listening fd as fd 3, again on each restart.
 */
static int bind_helper_socket(Launcher *l, size_t i)
{
        const VmHelper *h = &l->spec->helpers[i];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        Proc *p = &l->procs[2 + i];
        mode_t old;
        int fd;

        if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/h-%s/%s", l->dir, h->name, h->socket) >=
            sizeof(sa.sun_path))
                return log_err(l->log, "helper %s: socket path too long", h->name), -ENAMETOOLONG;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        old = umask(0117);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
            (l->plan.privileged && chown(sa.sun_path, l->plan.manager_uid, l->plan.vm_gid) < 0)) {
                int err = errno;

                umask(old);
                close(fd);
                return log_err(l->log, "%s: %s", sa.sun_path, strerror(err)), -err;
        }
        umask(old);
        p->listen_fd = fd;
        return 0;
}

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
        r = launcher_take_lock(l->dir);
        if (r < 0)
                return log_err(l->log, "%s: cannot lock: %s", l->dir, strerror(-r)), r;
        l->lock_fd = r;
        if (mkdir(l->bus_dir, shared ? 0750 : 0700) < 0)
                return log_err(l->log, "%s: %m", l->bus_dir), -errno;
        if (shared && chown(l->bus_dir, l->plan.bus_uid, l->plan.vm_gid) < 0)
                return log_err(l->log, "%s: %m", l->bus_dir), -errno;
        /* each helper's own directory: its sockets and state, the VM's group may enter */
        for (size_t i = 0; i < l->spec->n_helpers; i++) {
                char hd[4400];

                snprintf(hd, sizeof(hd), "%s/h-%s", l->dir, l->spec->helpers[i].name);
                if (mkdir(hd, shared ? 0750 : 0700) < 0 ||
                    (shared && chown(hd, l->plan.helper_uids[i], l->plan.vm_gid) < 0))
                        return log_err(l->log, "%s: %m", hd), -errno;
                if (l->spec->helpers[i].socket_fd) {
                        r = bind_helper_socket(l, i);
                        if (r < 0)
                                return r;
                }
        }
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
        /* a helper given its socket as an fd needs no way into the runtime directory */
        if (p->listen_fd >= 0)
                return;
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
        SandboxCap caps[8];
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
        s.no_landlock = h && h->no_landlock;
        if (h && h->n_caps) {
                if (h->n_caps > ELEMENTSOF(caps))
                        return -EINVAL;
                for (size_t i = 0; i < h->n_caps; i++)
                        caps[i] = (SandboxCap){ .cap = h->caps[i], .reason = h->cap_reasons[i] };
                s.keep_caps = caps;
                s.n_keep_caps = h->n_caps;
        }

        /*
         * QEMU's -display dbus authenticates each display client's peer-to-peer
         * connection with its SO_PEERCRED, whose pid is 0 from inside a pid
         * namespace: GDBus then refuses the client. QEMU keeps the host's pids.
         */
        s.host_pids = p->role == PROC_QEMU && l->spec->display == DISPLAY_DBUS;
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
        long long deadline = launcher_now_ms() + ms;

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
                if (launcher_now_ms() >= deadline)
                        return false;
                launcher_sleep_ms(10);
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
        deadline = launcher_now_ms() + START_TIMEOUT_MS;
        while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
                struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
                ssize_t n;

                if (launcher_now_ms() >= deadline || poll(&pfd, 1, 100) < 0)
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
        char hd[4400];

        snprintf(hd, sizeof(hd), "%s/h-%s", l->dir, h->name);
        env = calloc(1, sizeof(char *));
        if (!env || base_env(l, &env) < 0 || push_env(&env, "BULKHEAD_HELPER", h->name) < 0 ||
            push_env(&env, "BULKHEAD_HELPER_DIR", hd) < 0 ||
            (h->vmstate_id && push_env(&env, "BULKHEAD_VMSTATE_ID", h->vmstate_id) < 0))
                return -ENOMEM;
        return start_proc(l, p, path, argv, env, p->listen_fd >= 0 ? &p->listen_fd : NULL, p->listen_fd >= 0,
                          h->own_seccomp ? SANDBOX_SECCOMP_NONE : SANDBOX_SECCOMP_HELPER,
                          h->provides == PROVIDES_NET,
                          h->memory_max, h->tasks_max);
}

static int wait_helper_ready(Launcher *l, size_t i, BusClient *bc, unsigned vmstate_expected)
{
        const VmHelper *h = &l->spec->helpers[i];
        Proc *p = &l->procs[2 + i];
        long long deadline = launcher_now_ms() + START_TIMEOUT_MS;

        for (;;) {
                bool ready = true;

                for (size_t j = 0; ready && h->owns && h->owns[j]; j++)
                        ready = busclient_name_has_owner(bc, h->owns[j]) > 0;
                if (ready && h->vmstate_id)
                        ready = busclient_queue_length(bc, "org.qemu.VMState1") >= (int)vmstate_expected;
                if (ready && h->provides != PROVIDES_NONE) {
                        char sock[4400];

                        snprintf(sock, sizeof(sock), "%s/h-%s/%s", l->dir, h->name, h->socket);
                        ready = access(sock, F_OK) == 0;
                        /* QEMU (the VM's group) must be able to connect, nobody else */
                        if (ready && l->plan.privileged &&
                            (chown(sock, (uid_t)-1, l->plan.vm_gid) < 0 || chmod(sock, 0660) < 0))
                                log_warning(l->log, "%s: %m", sock);
                }
                proc_drain_log(p, l->out_fd);
                if (ready)
                        return 0;
                int status;

                if (l->procs[0].pid > 0 && waitpid(l->procs[0].pid, &status, WNOHANG) == l->procs[0].pid) {
                        l->procs[0].pid = 0;
                        proc_drain_log(&l->procs[0], l->out_fd);
                        log_err(l->log, "the bus died while helper %s was starting", h->name);
                        return -ECHILD;
                }
                if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
                        p->pid = 0;
                        proc_drain_log(p, l->out_fd);
                        log_err(l->log, "helper %s %s %d before it was ready", h->name,
                                WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
                                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
                        return -ECHILD;
                }
                if (launcher_now_ms() >= deadline) {
                        log_err(l->log, "helper %s: not ready within %d ms (its names are not on the bus)",
                                h->name, START_TIMEOUT_MS);
                        return -ETIMEDOUT;
                }
                launcher_sleep_ms(20);
        }
}

static int incoming(Launcher *l);

static int start_qemu(Launcher *l)
{
        Proc *p = &l->procs[1];
        _cleanup_(strvp_free) char **argv = NULL, **env = NULL;
        _cleanup_free_ char *path = NULL;
        long long deadline;
        int r;

        /* spawn=deny: QEMU cannot open an exec: stream; it waits (defer) and bulkhead opens it */
        r = qemuargs_build(l->spec, l->dir, l->bus_address, 3, l->opts->incoming ? "defer" : NULL, &argv);
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
        deadline = launcher_now_ms() + START_TIMEOUT_MS;
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
                if (launcher_now_ms() >= deadline) {
                        log_err(l->log, "qemu: QMP did not answer within %d ms", START_TIMEOUT_MS);
                        return -ETIMEDOUT;
                }
                launcher_sleep_ms(20);
        }
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

        if (qemu->pid > 0 && !l->qmp)
                (void)qmp_connect(l->qmp_path, 2000, &l->qmp);
        if (qemu->pid > 0 && l->qmp && qmp_quit(l->qmp, 2000) == 0)
                wait_gone(l, qemu, STOP_TIMEOUT_MS);
        else if (qemu->pid > 0)
                kill(qemu->pid, SIGTERM); /* QEMU quits cleanly on SIGTERM too */
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
                p->listen_fd = safe_close(p->listen_fd);
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
                p->restart_at = launcher_now_ms() + MIN(delay, (long)BACKOFF_MAX_MS);
        } else if (p->role == PROC_BUS && !p->gave_up) {
                if (p->restarts >= 5) {
                        log_err(l->log, "%s: the bus failed %u times: not restarting it", l->spec->name,
                                p->restarts);
                        p->gave_up = true;
                        return;
                }
                p->restart_at = launcher_now_ms(); /* at once, at the same address */
        }
}

static void restart_due(Launcher *l)
{
        long long now = launcher_now_ms();
        bool any = false;

        for (size_t i = 0; i < l->n_procs; i++) {
                Proc *p = &l->procs[i];
                unsigned max;
                int r;

                if (!p->restart_at || p->restart_at > now)
                        continue;
                any = true;
                p->restart_at = 0;
                p->restarts++;
                if (p->log_fd >= 0) {
                        proc_drain_log(p, l->out_fd); /* what the dead one said last */
                        p->log_fd = safe_close(p->log_fd);
                }
                log_info(l->log, "%s: restarting %s (restart %u)", l->spec->name, p->name, p->restarts);
                r = p->role == PROC_BUS ? start_bus(l) : start_helper(l, (size_t)p->helper_index);
                max = p->role == PROC_BUS ? 5 : l->spec->helpers[p->helper_index].restart_max;
                if (r < 0 && p->restarts < max)
                        p->restart_at = launcher_now_ms() + BACKOFF_MAX_MS;
                else if (r < 0)
                        p->gave_up = true;
        }
        if (any)
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
                int timeout = d ? (int)MAX(0LL, d - launcher_now_ms()) : -1;

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
        if (launcher_vm_dir(l->spec->name, &l->base, &l->dir) < 0)
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
        l->procs[0] = (Proc){ .role = PROC_BUS, .helper_index = -1, .uid = l->plan.bus_uid, .log_fd = -1,
                              .listen_fd = -1 };
        snprintf(l->procs[0].name, sizeof(l->procs[0].name), "bus");
        l->procs[1] = (Proc){ .role = PROC_QEMU, .helper_index = -1, .uid = l->plan.qemu_uid, .log_fd = -1,
                              .listen_fd = -1 };
        snprintf(l->procs[1].name, sizeof(l->procs[1].name), "qemu");
        for (size_t i = 0; i < l->spec->n_helpers; i++) {
                Proc *p = &l->procs[2 + i];

                *p = (Proc){ .role = PROC_HELPER, .helper_index = (int)i, .uid = l->plan.helper_uids[i],
                             .log_fd = -1, .listen_fd = -1 };
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
                int fd = launcher_take_lock(l->dir);

                if (fd == -EBUSY)
                        return log_err(l->log, "VM %s is already running (%s)", l->spec->name, l->dir), -EEXIST;
                safe_close(fd);
                log_notice(l->log, "%s: cleaning up after a previous run that did not stop cleanly", l->spec->name);
                launcher_cleanup_stale(l->dir, l->log);
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
        /* QEMU's monitor takes one client at a time: leave it to the user; stop reconnects */
        l->qmp = qmp_free(l->qmp);
        if (l->opts->incoming) {
                r = incoming(l);
                if (r != 0)
                        return r < 0 ? r : -EIO;
        }
        write_state(l, "running");
        return 0;
}

static int vmstate_ids(const VmSpec *s, char ***ret)
{
        char **v = calloc(1, sizeof(char *));

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_helpers; i++)
                if (s->helpers[i].vmstate_id && strv_push(&v, s->helpers[i].vmstate_id) < 0) {
                        strv_free(v);
                        return -ENOMEM;
                }
        *ret = v;
        return 0;
}

/* --incoming: load the stream bulkhead opens into the deferred QEMU, checking every helper's Load */
static int incoming(Launcher *l)
{
        _cleanup_(strvp_free) char **ids = NULL;
        _cleanup_free_ char *err = NULL;
        MigrateOptions o = { .uri = l->opts->incoming, .bus_address = l->bus_address };
        int r;

        r = vmstate_ids(l->spec, &ids);
        if (r < 0)
                return r;
        o.vmstate_ids = ids;
        r = migrate_incoming_path(l->qmp_path, &o, l->log, &err);
        if (r != 0)
                log_err(l->log, "%s: incoming migration from %s failed: %s", l->spec->name, o.uri,
                        err ? err : strerror(r < 0 ? -r : EIO));
        return r;
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

