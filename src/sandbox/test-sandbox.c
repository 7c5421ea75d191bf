/*
 * test-sandbox.c -- sandbox_spawn() against the real kernel: every test runs
 * sandbox-victim (built without sanitizers) under a profile and checks what
 * it could and could not do, from the outside (exit status, /proc/PID/status)
 * and from the inside (its report on stdout).
 *
 * Needs root (uid changes, namespaces, cgroups): skipped (77) otherwise.
 * Uses uids 62000.. derived from the pid, a private temp dir, and cleans up.
 */
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

typedef struct Ctx {
        char victim[4200];
        char build[4096];
        char tmp[64];
        uid_t uid; /* the child's; uid + 1 is "another user" */
        int failed;
} Ctx;

#define CHECK(ctx, cond, ...)                                                   \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                           \
                        fprintf(stderr, "\n");                                  \
                        (ctx)->failed++;                                        \
                }                                                               \
        } while (0)

static char *const victim_env[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };

/* a strict default: all namespaces, the view, Landlock, compute-only seccomp */
static SandboxProfile base_profile(Ctx *ctx, char **argv)
{
        static const char *ro[2];
        SandboxProfile p = SANDBOX_PROFILE_INIT;

        ro[0] = ctx->build;
        ro[1] = NULL;
        p.name = "test";
        p.path = ctx->victim;
        p.argv = argv;
        p.envp = victim_env;
        p.uid = ctx->uid;
        p.gid = ctx->uid;
        p.fs_view = true;
        p.ro_paths = ro;
        p.seccomp = SANDBOX_SECCOMP_COMPUTE_ONLY;
        return p;
}

/* spawn, collect stdout, reap; returns the wait status or -1 when spawning failed */
static int run(Ctx *ctx, SandboxProfile *p, char *out, size_t size, SandboxError *err)
{
        SandboxCgroup *cg = NULL;
        SandboxError e = { 0 };
        int pipefd[2], status = 0;
        size_t used = 0;
        pid_t pid;
        ssize_t n;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -1;
        p->stdout_fd = pipefd[1];
        if (sandbox_spawn(p, &pid, &cg, &e) < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                if (err)
                        *err = e;
                else
                        fprintf(stderr, "spawn failed at %s: %s\n", sandbox_stage_to_string(e.stage),
                                strerror(e.error));
                return -1;
        }
        close(pipefd[1]);
        while (used + 1 < size && (n = read(pipefd[0], out + used, size - 1 - used)) > 0)
                used += (size_t)n;
        out[used] = '\0';
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        sandbox_cgroup_free(cg);
        return status;
}

static bool exited_ok(int st)
{
        return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool killed_by(int st, int sig)
{
        return st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

static void test_allowed_workload(Ctx *ctx)
{
        char *argv[] = { "sandbox-victim", "ok", NULL };
        SandboxProfile p = base_profile(ctx, argv);
        char out[256];
        int st = run(ctx, &p, out, sizeof(out), NULL);

        CHECK(ctx, exited_ok(st) && strcmp(out, "ok\n") == 0, "status %d out '%s'", st, out);
}

static void test_forbidden_syscall(Ctx *ctx)
{
        static const SandboxSeccomp profiles[] = { SANDBOX_SECCOMP_COMPUTE_ONLY, SANDBOX_SECCOMP_BUS,
                                                   SANDBOX_SECCOMP_HELPER };
        char *argv[] = { "sandbox-victim", "forbidden", NULL };
        char *argv80[] = { "sandbox-victim", "int80", NULL };
        char *argvs[] = { "sandbox-victim", "socket", NULL };
        char out[256];
        bool ia32;
        int st;

        /* without IA32 emulation int 0x80 is a SIGSEGV even unconfined: nothing to see */
        {
                SandboxProfile p = base_profile(ctx, argv80);

                p.seccomp = SANDBOX_SECCOMP_NONE;
                ia32 = !killed_by(run(ctx, &p, out, sizeof(out), NULL), SIGSEGV);
                if (!ia32)
                        printf("SKIP int 0x80 check: this kernel has no IA32 emulation\n");
        }
        for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
                SandboxProfile p = base_profile(ctx, argv);

                p.seccomp = profiles[i];
                st = run(ctx, &p, out, sizeof(out), NULL);
                CHECK(ctx, killed_by(st, SIGSYS), "%s: status %d out '%s'",
                      sandbox_seccomp_to_string(profiles[i]), st, out);
                /* a foreign architecture (i386 int 0x80) kills too */
                if (!ia32)
                        continue;
                p.argv = argv80;
                st = run(ctx, &p, out, sizeof(out), NULL);
                CHECK(ctx, killed_by(st, SIGSYS), "%s int80: status %d out '%s'",
                      sandbox_seccomp_to_string(profiles[i]), st, out);
        }
        /* compute-only has no sockets; bus has UNIX ones */
        {
                SandboxProfile p = base_profile(ctx, argvs);

                st = run(ctx, &p, out, sizeof(out), NULL);
                CHECK(ctx, killed_by(st, SIGSYS), "compute-only socket: status %d", st);
                p.seccomp = SANDBOX_SECCOMP_BUS;
                st = run(ctx, &p, out, sizeof(out), NULL);
                CHECK(ctx, exited_ok(st) && strcmp(out, "socket ok\n") == 0,
                      "bus socket: status %d out '%s'", st, out);
        }
}

/* value of "Key:" in /proc/PID/status, whitespace squeezed to one space */
static bool status_field(pid_t pid, const char *key, char *val, size_t size)
{
        char path[64], line[512];
        size_t klen = strlen(key);
        FILE *f;
        bool found = false;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, key, klen) != 0 || line[klen] != ':')
                        continue;
                size_t o = 0;
                for (char *c = line + klen + 1; *c && *c != '\n' && o + 1 < size; c++) {
                        if (*c == '\t' || *c == ' ') {
                                if (o > 0 && val[o - 1] != ' ')
                                        val[o++] = ' ';
                                continue;
                        }
                        val[o++] = *c;
                }
                while (o > 0 && val[o - 1] == ' ')
                        o--;
                val[o] = '\0';
                found = true;
                break;
        }
        fclose(f);
        return found;
}

static void check_status(Ctx *ctx, const SandboxCap *keep, size_t n_keep, const char *want_caps)
{
        char *argv[] = { "sandbox-victim", "wait", NULL };
        SandboxProfile p = base_profile(ctx, argv);
        SandboxError e;
        char v[256], want[128];
        int in[2], st;
        pid_t pid;

        p.keep_caps = keep;
        p.n_keep_caps = n_keep;
        if (pipe2(in, O_CLOEXEC) < 0)
                return;
        p.stdin_fd = in[0];
        if (sandbox_spawn(&p, &pid, NULL, &e) < 0) {
                CHECK(ctx, false, "spawn: %s %s", sandbox_stage_to_string(e.stage), strerror(e.error));
                close(in[0]);
                close(in[1]);
                return;
        }
        close(in[0]);
        /* sandbox_spawn returned after exec: the victim is fully confined now */
        snprintf(want, sizeof(want), "%u %u %u %u", ctx->uid, ctx->uid, ctx->uid, ctx->uid);
        CHECK(ctx, status_field(pid, "Uid", v, sizeof(v)) && strcmp(v, want) == 0, "Uid '%s'", v);
        CHECK(ctx, status_field(pid, "Gid", v, sizeof(v)) && strcmp(v, want) == 0, "Gid '%s'", v);
        CHECK(ctx, status_field(pid, "Groups", v, sizeof(v)) && strcmp(v, "") == 0, "Groups '%s'", v);
        CHECK(ctx, status_field(pid, "NoNewPrivs", v, sizeof(v)) && strcmp(v, "1") == 0, "NNP '%s'", v);
        CHECK(ctx, status_field(pid, "Seccomp", v, sizeof(v)) && strcmp(v, "2") == 0, "Seccomp '%s'", v);
        CHECK(ctx, status_field(pid, "CapEff", v, sizeof(v)) && strcmp(v, want_caps) == 0, "CapEff '%s'", v);
        CHECK(ctx, status_field(pid, "CapPrm", v, sizeof(v)) && strcmp(v, want_caps) == 0, "CapPrm '%s'", v);
        CHECK(ctx, status_field(pid, "CapAmb", v, sizeof(v)) && strcmp(v, want_caps) == 0, "CapAmb '%s'", v);
        CHECK(ctx, status_field(pid, "CapBnd", v, sizeof(v)) && strcmp(v, want_caps) == 0, "CapBnd '%s'", v);
        close(in[1]);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        CHECK(ctx, exited_ok(st), "status %d", st);
}

static void test_proc_status(Ctx *ctx)
{
        static const SandboxCap keep[] = {
                { CAP_NET_BIND_SERVICE, "test: a kept capability shows in every set" },
        };

        check_status(ctx, NULL, 0, "0000000000000000");
        check_status(ctx, keep, 1, "0000000000000400");
}

static void test_filesystem(Ctx *ctx)
{
        char other[128], secret[128], state[128], outside[128], file[160];
        const char *rw[2] = { state, NULL };
        const char *ro[3] = { ctx->build, other, NULL };
        char *argv[] = { "sandbox-victim", "read", secret, NULL };
        SandboxProfile p = base_profile(ctx, argv);
        char out[256];
        int fd, st;

        snprintf(other, sizeof(other), "%s/other", ctx->tmp);
        snprintf(secret, sizeof(secret), "%s/other/secret", ctx->tmp);
        snprintf(state, sizeof(state), "%s/state", ctx->tmp);
        snprintf(outside, sizeof(outside), "%s/outside", ctx->tmp);
        if (mkdir(other, 0700) < 0 || chown(other, ctx->uid + 1, ctx->uid + 1) < 0 ||
            mkdir(state, 0700) < 0 || chown(state, ctx->uid, ctx->uid) < 0 ||
            mkdir(outside, 0777) < 0) {
                CHECK(ctx, false, "setup: %s", strerror(errno));
                return;
        }
        fd = open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
                if (write(fd, "s", 1) != 1)
                        CHECK(ctx, false, "write secret");
                close(fd);
        }
        p.rw_paths = rw;
        p.ro_paths = ro;
        p.seccomp = SANDBOX_SECCOMP_HELPER;

        /* another uid's 0700 directory, even when it is in the view */
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, WIFEXITED(st) && WEXITSTATUS(st) == 1 && strstr(out, "denied"), "other: '%s'", out);

        /* its own state dir: read-write */
        argv[1] = "write";
        snprintf(file, sizeof(file), "%s/x", state);
        argv[2] = file;
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st) && strcmp(out, "written\n") == 0, "state: '%s'", out);
        argv[1] = "read";
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st) && strcmp(out, "read\n") == 0, "state read: '%s'", out);

        /* a world-writable host dir not in the view does not exist for it */
        argv[1] = "write";
        snprintf(file, sizeof(file), "%s/x", outside);
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, !exited_ok(st) && strstr(out, "No such file"), "outside: '%s'", out);

        /* system dirs are read-only, even where DAC would allow (bind with our uid owner) */
        argv[2] = "/etc/bulkhead-sandbox-test";
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, !exited_ok(st), "etc: '%s'", out);
        /* private /tmp is writable and empty of the host's files */
        argv[2] = "/tmp/x";
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st), "tmp: '%s'", out);
        /* the root of the view is read-only */
        argv[2] = "/x";
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, !exited_ok(st), "root: '%s'", out);
        /* host /root is absent */
        argv[1] = "read";
        argv[2] = "/root";
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, !exited_ok(st) && strstr(out, "No such file"), "/root: '%s'", out);

        unlink(secret);
        snprintf(file, sizeof(file), "%s/x", state);
        unlink(file);
        rmdir(other);
        rmdir(state);
        rmdir(outside);
}

static void test_network_and_pids(Ctx *ctx)
{
        char *argv[] = { "sandbox-victim", "netdevs", NULL };
        SandboxProfile p = base_profile(ctx, argv);
        char out[1024];
        int st;

        /* seccomp none: the victim needs socket+SIOCGIFFLAGS to look */
        p.seccomp = SANDBOX_SECCOMP_NONE;
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st) && strcmp(out, "lo down\n") == 0, "netdevs: '%s'", out);

        argv[1] = "pids";
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st) && strcmp(out, "1\n") == 0, "pids: '%s'", out);
}

static void test_fds(Ctx *ctx)
{
        char *argv[] = { "sandbox-victim", "fds", NULL };
        SandboxProfile p = base_profile(ctx, argv);
        int extra[2], leak, st;
        char out[1024];

        if (pipe2(extra, O_CLOEXEC) < 0)
                return;
        /* an fd without CLOEXEC that is NOT on the list must not leak either */
        leak = open("/dev/null", O_RDONLY);
        p.fds = extra;
        p.n_fds = 2;
        p.listen_fds = true;
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st) && strcmp(out, "0\n1\n2\n3\n4\n") == 0, "fds: status %d '%s'", st, out);

        argv[1] = "env";
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st) && strcmp(out, "PATH=/usr/bin:/bin\nLANG=C\nLISTEN_FDS=2\n"
                                                "LISTEN_PID=1\n") == 0,
              "env: '%s'", out);
        close(leak);
        close(extra[0]);
        close(extra[1]);
}

static void test_cgroup_limits(Ctx *ctx)
{
        char *argv[] = { "sandbox-victim", "alloc", "256", NULL };
        SandboxProfile p = base_profile(ctx, argv);
        SandboxFeatures f;
        char out[256];
        int st;

        sandbox_probe(&f);
        if (!f.cgroup_memory)
                printf("SKIP memory limit: no usable memory controller (v2 or v1)\n");
        else {
                p.cgroup.memory_max = 32u << 20;
                st = run(ctx, &p, out, sizeof(out), NULL);
                CHECK(ctx, killed_by(st, SIGKILL), "alloc: status %d out '%s'", st, out);
                /* the same workload without the limit completes: the limit did it */
                p.cgroup.memory_max = 0;
                argv[2] = "48";
                st = run(ctx, &p, out, sizeof(out), NULL);
                CHECK(ctx, exited_ok(st) && strcmp(out, "survived 48\n") == 0, "alloc: '%s'", out);
        }
        if (!f.cgroup_pids) {
                printf("SKIP pids limit: no usable pids controller (v2 or v1)\n");
                return;
        }
        argv[1] = "forkbomb";
        argv[2] = "200";
        p.cgroup.memory_max = 0;
        p.cgroup.pids_max = 16;
        p.seccomp = SANDBOX_SECCOMP_HELPER;
        st = run(ctx, &p, out, sizeof(out), NULL);
        long n = -1;
        CHECK(ctx, sscanf(out, "forked %ld", &n) == 1 && n >= 1 && n < 16, "forkbomb: '%s'", out);
}

static void test_cgroup_removed(Ctx *ctx)
{
        char *argv[] = { "sandbox-victim", "ok", NULL };
        SandboxProfile p = base_profile(ctx, argv);
        SandboxCgroup *cg = NULL;
        char path[4096] = "";
        pid_t pid;
        int st;

        p.cgroup.pids_max = 8;
        p.cgroup.memory_max = 64u << 20;
        p.cgroup.cpu_weight = 50;
        if (sandbox_spawn(&p, &pid, &cg, NULL) < 0) {
                CHECK(ctx, false, "spawn");
                return;
        }
        waitpid(pid, &st, 0);
        if (sandbox_cgroup_path(cg))
                snprintf(path, sizeof(path), "%s", sandbox_cgroup_path(cg));
        CHECK(ctx, sandbox_cgroup_mode(cg) == SANDBOX_CGROUP_NONE || access(path, F_OK) == 0,
              "cgroup %s missing while held", path);
        sandbox_cgroup_free(cg);
        CHECK(ctx, !path[0] || access(path, F_OK) < 0, "cgroup %s left behind", path);
}

/* Without a mount namespace Landlock is the filesystem wall: a world-writable
 * host dir that is not listed cannot be written; a listed one can. */
static void test_landlock(Ctx *ctx)
{
        char open_dir[128], listed[128], file[160];
        const char *rw[2] = { listed, NULL };
        char *argv[] = { "sandbox-victim", "write", file, NULL };
        SandboxProfile p = base_profile(ctx, argv);
        SandboxFeatures f;
        char out[256];
        int st;

        sandbox_probe(&f);
        if (f.landlock_abi <= 0) {
                printf("SKIP landlock: the kernel has no Landlock\n");
                return;
        }
        snprintf(open_dir, sizeof(open_dir), "%s/open", ctx->tmp);
        snprintf(listed, sizeof(listed), "%s/listed", ctx->tmp);
        if (mkdir(open_dir, 0777) < 0 || chmod(open_dir, 0777) < 0 || mkdir(listed, 0777) < 0 ||
            chmod(listed, 0777) < 0) {
                CHECK(ctx, false, "setup: %s", strerror(errno));
                return;
        }
        p.namespaces = 0;
        p.fs_view = false;
        p.rw_paths = rw;
        p.seccomp = SANDBOX_SECCOMP_HELPER; /* compute-only may not create files at all */
        snprintf(file, sizeof(file), "%s/x", open_dir);
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, !exited_ok(st) && strstr(out, "denied"), "unlisted dir written: '%s'", out);
        snprintf(file, sizeof(file), "%s/x", listed);
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st), "listed dir: '%s'", out);
        unlink(file);
        /* the same without Landlock succeeds: it was Landlock that said no */
        p.landlock = false;
        snprintf(file, sizeof(file), "%s/x", open_dir);
        st = run(ctx, &p, out, sizeof(out), NULL);
        CHECK(ctx, exited_ok(st), "without landlock: '%s'", out);
        unlink(file);
        rmdir(open_dir);
        rmdir(listed);
}

/* A caller that is not root: no namespaces, no view, its own uid; still
 * no_new_privs, seccomp and Landlock. Another uid is refused. */
static void test_unprivileged_caller(Ctx *ctx)
{
        char *argv[] = { "sandbox-victim", "ok", NULL };
        uid_t uid = ctx->uid + 1;
        pid_t pid = fork();
        int st;

        if (pid == 0) {
                SandboxProfile p = base_profile(ctx, argv);
                SandboxError e = { 0 };
                char out[64];

                if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
                    setresuid(uid, uid, uid) < 0)
                        _exit(10);
                p.namespaces = 0;
                p.fs_view = false;
                /* someone else's uid: refused before anything happens */
                if (sandbox_spawn(&p, &pid, NULL, &e) != -EPERM || e.stage != SANDBOX_STAGE_PREPARE)
                        _exit(11);
                p.uid = p.gid = uid;
                if (run(ctx, &p, out, sizeof(out), NULL) != 0 || strcmp(out, "ok\n") != 0)
                        _exit(12);
                /* namespaces need privileges: a clear error at stage clone */
                p.namespaces = SANDBOX_NS_NET;
                if (run(ctx, &p, out, sizeof(out), &e) != -1 || e.stage != SANDBOX_STAGE_CLONE ||
                    e.error != EPERM)
                        _exit(13);
                _exit(0);
        }
        if (pid < 0)
                return;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        CHECK(ctx, exited_ok(st), "unprivileged caller: step %d failed", WEXITSTATUS(st));
}

/* The spawning process dies: the child dies with it (pdeathsig survives the uid change). */
static void test_pdeathsig(Ctx *ctx)
{
        char *argv[] = { "sandbox-victim", "wait", NULL };
        SandboxProfile p = base_profile(ctx, argv);
        int in[2], up[2], down[2], pidfd = -1;
        pid_t middle, victim = 0;
        struct pollfd pfd;
        char c = 0;

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
                return;
        p.stdin_fd = in[0];
        middle = fork();
        if (middle == 0) {
                pid_t pid = 0;

                close(down[1]);
                close(up[0]);
                if (sandbox_spawn(&p, &pid, NULL, NULL) < 0)
                        pid = 0;
                if (write(up[1], &pid, sizeof(pid)) != sizeof(pid))
                        _exit(1);
                /* wait until the test holds a pidfd (or is gone), then die */
                while (read(down[0], &c, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        close(in[0]);
        close(up[1]);
        close(down[0]);
        if (middle < 0 || read(up[0], &victim, sizeof(victim)) != sizeof(victim) || victim <= 0) {
                CHECK(ctx, false, "middle process could not spawn");
        } else {
                pidfd = (int)syscall(SYS_pidfd_open, victim, 0);
                CHECK(ctx, pidfd >= 0, "pidfd_open: %s", strerror(errno));
        }
        close(down[1]); /* lets the middle process exit */
        if (middle > 0)
                waitpid(middle, NULL, 0);
        if (pidfd >= 0) {
                /* its stdin stays open: only pdeathsig can end it */
                pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
                CHECK(ctx, poll(&pfd, 1, 10000) == 1, "victim %d outlived its parent", (int)victim);
                if (pfd.revents == 0)
                        kill(victim, SIGKILL);
                close(pidfd);
        }
        close(in[1]);
        close(up[0]);
}

static void test_errors(Ctx *ctx)
{
        char *argv[] = { "sandbox-victim", "ok", NULL };
        const char *missing[] = { "/nonexistent/bulkhead", NULL };
        SandboxProfile p = base_profile(ctx, argv);
        SandboxError e = { 0 };
        char out[64];
        pid_t pid;

        p.uid = 0;
        CHECK(ctx, sandbox_spawn(&p, &pid, NULL, &e) == -EPERM && e.stage == SANDBOX_STAGE_PREPARE,
              "uid 0 accepted");
        p = base_profile(ctx, argv);
        p.rw_paths = missing;
        CHECK(ctx, sandbox_spawn(&p, &pid, NULL, &e) == -ENOENT && e.stage == SANDBOX_STAGE_PREPARE,
              "missing rw path: %s", sandbox_stage_to_string(e.stage));
        p = base_profile(ctx, argv);
        p.path = "/usr/bin/bulkhead-does-not-exist";
        CHECK(ctx, run(ctx, &p, out, sizeof(out), &e) == -1 && e.stage == SANDBOX_STAGE_EXEC &&
                           e.error == ENOENT,
              "exec error: %s %d", sandbox_stage_to_string(e.stage), e.error);
        /* a failure before the cgroup sync (chdir in the mount stage) is reported
         * as such, and does not kill us with SIGPIPE */
        p = base_profile(ctx, argv);
        p.workdir = "/nonexistent";
        p.cgroup.pids_max = 8;
        CHECK(ctx, run(ctx, &p, out, sizeof(out), &e) == -1 && e.stage == SANDBOX_STAGE_MOUNT &&
                           e.error == ENOENT,
              "workdir error: %s %d", sandbox_stage_to_string(e.stage), e.error);
        /* a binary outside the view is not there (ENOENT at exec) */
        p = base_profile(ctx, argv);
        p.ro_paths = NULL;
        CHECK(ctx, run(ctx, &p, out, sizeof(out), &e) == -1 && e.stage == SANDBOX_STAGE_EXEC,
              "victim outside view ran: %s", sandbox_stage_to_string(e.stage));
        CHECK(ctx, strcmp(sandbox_stage_to_string(SANDBOX_STAGE_SECCOMP), "seccomp") == 0, "name");
        CHECK(ctx, sandbox_seccomp_from_name("compute-only") == SANDBOX_SECCOMP_COMPUTE_ONLY, "name");
        CHECK(ctx, sandbox_cap_from_name("CAP_NET_ADMIN") == CAP_NET_ADMIN, "cap name");
        CHECK(ctx, sandbox_cap_from_name("net_bind_service") == CAP_NET_BIND_SERVICE, "cap name");
        CHECK(ctx, sandbox_cap_from_name("bogus") == -EINVAL, "cap name");
        CHECK(ctx, strcmp(sandbox_qemu_args()[0], "-sandbox") == 0, "qemu args");
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (type == FTW_DP)
                (void)rmdir(path);
        else
                (void)unlink(path);
        return 0;
}

/* whatever a test or a helper left in our temp dir (swtpm's .lock, ...) */
static void remove_tree(const char *dir)
{
        (void)nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
        const char *build = getenv("BULKHEAD_BUILD");
        Ctx ctx = { 0 };

        if (geteuid() != 0) {
                printf("SKIP: needs root (uid change, namespaces, cgroups)\n");
                return 77;
        }
        if (!build) {
                printf("SKIP: BULKHEAD_BUILD not set (run through meson test)\n");
                return 77;
        }
        if (!realpath(build, ctx.build))
                return 1;
        snprintf(ctx.victim, sizeof(ctx.victim), "%s/src/sandbox/sandbox-victim", ctx.build);
        snprintf(ctx.tmp, sizeof(ctx.tmp), "/tmp/bh-sandbox-XXXXXX");
        if (!mkdtemp(ctx.tmp) || chmod(ctx.tmp, 0755) < 0)
                return 1;
        ctx.uid = 62000 + (uid_t)(getpid() % 1000) * 2;

        test_allowed_workload(&ctx);
        test_forbidden_syscall(&ctx);
        test_proc_status(&ctx);
        test_filesystem(&ctx);
        test_network_and_pids(&ctx);
        test_fds(&ctx);
        test_cgroup_limits(&ctx);
        test_cgroup_removed(&ctx);
        test_landlock(&ctx);
        test_unprivileged_caller(&ctx);
        test_pdeathsig(&ctx);
        test_errors(&ctx);

        remove_tree(ctx.tmp);
        printf("%s\n", ctx.failed ? "FAILED" : "ok");
        return ctx.failed ? 1 : 0;
}
