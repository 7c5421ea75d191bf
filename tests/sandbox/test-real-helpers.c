/*
 * test-real-helpers.c -- real helpers (swtpm, passt, dbus-daemon) run under the sandbox
 * and answer: the profiles the launcher will use for them are workable.
 *
 * swtpm: own uid, all namespaces (no network), the filesystem view with only
 * its state dir and socket dir read-write, helper seccomp; its control socket
 * is a listening socket we pass as fd 3. swtpm_ioctl (unconfined, the client)
 * initialises it and shuts it down; swtpm then exits 0 by itself.
 *
 * passt: own uid, no network namespace (it is the network), helper-free
 * seccomp: passt installs its own, stricter filter and isolates itself with
 * user/mount namespaces, which no profile of ours allows. Its tap socket is a
 * socketpair end passed as fd 3; we send an ARP request for the gateway in
 * QEMU's framing and expect passt's ARP reply.
 *
 * dbus-daemon: the bus profile, an epoll UNIX-socket server, answers GetId.
 *
 * Needs root: skipped (77) otherwise; a missing program skips its part.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

extern char **environ;

static int failed;

#define CHECK(cond, ...)                                                        \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                           \
                        fprintf(stderr, "\n");                                  \
                        failed++;                                               \
                }                                                               \
        } while (0)

static char *const helper_env[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };

static int wait_status(pid_t pid)
{
        int st = -1;

        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return st;
}

/* run an unconfined client program, return its exit status */
static int run_client(char *const argv[], char *out, size_t size)
{
        posix_spawn_file_actions_t fa;
        int p[2], st;
        size_t used = 0;
        ssize_t n;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                close(p[0]);
                close(p[1]);
                return -1;
        }
        posix_spawn_file_actions_destroy(&fa);
        close(p[1]);
        while (used + 1 < size && (n = read(p[0], out + used, size - 1 - used)) > 0)
                used += (size_t)n;
        out[used] = '\0';
        close(p[0]);
        st = wait_status(pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int listen_unix(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

static bool status_has(pid_t pid, const char *line_prefix)
{
        char path[64], line[256];
        bool found = false;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = strncmp(line, line_prefix, strlen(line_prefix)) == 0;
        fclose(f);
        return found;
}

static void test_swtpm(const char *tmp, uid_t uid)
{
        char state[128], run[128], ctrl[160], srv[160], tpmstate[160], server[200], permall[200];
        const char *rw[] = { state, run, NULL };
        char *argv[] = { "swtpm", "socket", "--tpm2", "--tpmstate", tpmstate, "--ctrl",
                         "type=unixio,fd=3", "--server", server, "--log", "level=1", NULL };
        char *init[] = { "/usr/bin/swtpm_ioctl", "--unix", ctrl, "-i", NULL };
        char *caps[] = { "/usr/bin/swtpm_ioctl", "--unix", ctrl, "-c", NULL };
        char *shut[] = { "/usr/bin/swtpm_ioctl", "--unix", ctrl, "-s", NULL };
        SandboxProfile p = SANDBOX_PROFILE_INIT;
        SandboxCgroup *cg = NULL;
        SandboxError e;
        char out[512];
        int lfd, st, errfd;
        pid_t pid;

        if (access("/usr/bin/swtpm", X_OK) < 0 || access("/usr/bin/swtpm_ioctl", X_OK) < 0) {
                printf("SKIP swtpm: /usr/bin/swtpm or swtpm_ioctl missing\n");
                return;
        }
        snprintf(state, sizeof(state), "%s/swtpm-state", tmp);
        snprintf(run, sizeof(run), "%s/swtpm-run", tmp);
        snprintf(ctrl, sizeof(ctrl), "%s/ctrl", run);
        snprintf(srv, sizeof(srv), "%s/srv", run);
        snprintf(tpmstate, sizeof(tpmstate), "dir=%s", state);
        snprintf(server, sizeof(server), "type=unixio,path=%s", srv);
        snprintf(permall, sizeof(permall), "%s/tpm2-00.permall", state);
        if (mkdir(state, 0700) < 0 || chown(state, uid, uid) < 0 || mkdir(run, 0700) < 0 ||
            chown(run, uid, uid) < 0) {
                CHECK(false, "setup: %s", strerror(errno));
                return;
        }
        lfd = listen_unix(ctrl);
        CHECK(lfd >= 0, "listen %s: %s", ctrl, strerror(errno));
        if (lfd < 0)
                return;

        p.name = "swtpm";
        p.path = "/usr/bin/swtpm";
        p.argv = argv;
        p.envp = helper_env;
        p.uid = uid;
        p.gid = uid;
        p.fs_view = true;
        p.rw_paths = rw;
        p.seccomp = SANDBOX_SECCOMP_HELPER;
        p.rlimits = (SandboxRlimits){ .nofile = 64, .memlock = 16u << 20 };
        p.cgroup = (SandboxCgroupLimits){ .memory_max = 64u << 20, .pids_max = 16 };
        p.fds = &lfd;
        p.n_fds = 1;
        errfd = fileno(stderr);
        p.stderr_fd = errfd;
        if (sandbox_spawn(&p, &pid, &cg, &e) < 0) {
                CHECK(false, "spawn swtpm: %s: %s", sandbox_stage_to_string(e.stage), strerror(e.error));
                close(lfd);
                return;
        }
        close(lfd);
        CHECK(status_has(pid, "Seccomp:\t2") && status_has(pid, "NoNewPrivs:\t1"),
              "swtpm not confined");

        st = run_client(init, out, sizeof(out));
        CHECK(st == 0, "swtpm_ioctl -i: exit %d '%s'", st, out);
        st = run_client(caps, out, sizeof(out));
        CHECK(st == 0 && strstr(out, "ptm capability"), "swtpm_ioctl -c: exit %d '%s'", st, out);
        st = run_client(shut, out, sizeof(out));
        CHECK(st == 0, "swtpm_ioctl -s: exit %d '%s'", st, out);
        if (st != 0)
                kill(pid, SIGKILL);
        st = wait_status(pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "swtpm status %d", st);
        /* it wrote its state where it was allowed to */
        CHECK(access(permall, F_OK) == 0, "no %s", permall);
        sandbox_cgroup_free(cg);

        unlink(permall);
        unlink(ctrl);
        unlink(srv);
        rmdir(state);
        rmdir(run);
}

/* read exactly @size bytes, waiting at most 20 s for each piece */
static bool read_full(int fd, uint8_t *buf, size_t size)
{
        size_t used = 0;

        while (used < size) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&pfd, 1, 20000) != 1)
                        return false;
                n = read(fd, buf + used, size - used);
                if (n <= 0)
                        return false;
                used += (size_t)n;
        }
        return true;
}

/* QEMU's stream framing: 32-bit big-endian length, then the Ethernet frame */
static size_t arp_request(uint8_t *buf)
{
        static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
        uint8_t *f = buf + 4;
        size_t n = 0;
        uint32_t len;

        memset(f, 0xff, 6); /* broadcast */
        memcpy(f + 6, mac, 6);
        f[12] = 0x08, f[13] = 0x06;                 /* ARP */
        n = 14;
        f[n++] = 0, f[n++] = 1;                     /* Ethernet */
        f[n++] = 0x08, f[n++] = 0x00;               /* IPv4 */
        f[n++] = 6, f[n++] = 4, f[n++] = 0, f[n++] = 1; /* request */
        memcpy(f + n, mac, 6), n += 6;
        memcpy(f + n, "\xc0\x00\x02\x02", 4), n += 4; /* sender 192.0.2.2 */
        memset(f + n, 0, 6), n += 6;
        memcpy(f + n, "\xc0\x00\x02\x01", 4), n += 4; /* target 192.0.2.1 */
        while (n < 60)
                f[n++] = 0;
        len = htonl((uint32_t)n);
        memcpy(buf, &len, 4);
        return n + 4;
}

static void test_passt(uid_t uid)
{
        char *argv[] = { "passt", "--foreground", "--quiet", "--fd", "3", "--address",
                         "192.0.2.2", "--gateway", "192.0.2.1", "--netmask", "24", NULL };
        SandboxProfile p = SANDBOX_PROFILE_INIT;
        SandboxCgroup *cg = NULL;
        SandboxError e;
        uint8_t frame[128], reply[2048];
        bool arp_reply = false;
        size_t len;
        int sp[2], st;
        pid_t pid;

        if (access("/usr/bin/passt", X_OK) < 0) {
                printf("SKIP passt: /usr/bin/passt missing\n");
                return;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return;
        p.name = "passt";
        p.path = "/usr/bin/passt";
        p.argv = argv;
        p.envp = helper_env;
        p.uid = uid;
        p.gid = uid;
        /* passt is the network: every namespace but net */
        p.namespaces = SANDBOX_NS_ALL & ~SANDBOX_NS_NET;
        p.fs_view = true;
        p.seccomp = SANDBOX_SECCOMP_NONE;
        /* Landlock forbids mount and pivot_root, which passt's self-isolation needs */
        p.landlock = false;
        p.cgroup = (SandboxCgroupLimits){ .memory_max = 128u << 20, .pids_max = 16 };
        p.fds = &sp[1];
        p.n_fds = 1;
        p.stderr_fd = fileno(stderr);
        if (sandbox_spawn(&p, &pid, &cg, &e) < 0) {
                CHECK(false, "spawn passt: %s: %s", sandbox_stage_to_string(e.stage), strerror(e.error));
                close(sp[0]);
                close(sp[1]);
                return;
        }
        close(sp[1]);
        CHECK(status_has(pid, "NoNewPrivs:\t1") && status_has(pid, "CapBnd:\t0000000000000000"),
              "passt not confined");

        len = arp_request(frame);
        CHECK(write(sp[0], frame, len) == (ssize_t)len, "write: %s", strerror(errno));
        /* passt answers or dies: either ends the wait (no timing decides the
         * result; the bound only keeps a broken passt from hanging the suite) */
        for (int frames = 0; frames < 16 && !arp_reply; frames++) {
                uint32_t flen;

                if (!read_full(sp[0], reply, 4))
                        break;
                memcpy(&flen, reply, 4);
                flen = ntohl(flen);
                if (flen < 42 || flen > sizeof(reply) || !read_full(sp[0], reply, flen))
                        break;
                /* Ethernet type ARP, ARP opcode 2 (reply) */
                arp_reply = reply[12] == 0x08 && reply[13] == 0x06 && reply[21] == 2;
        }
        CHECK(arp_reply, "no ARP reply from passt");
        close(sp[0]);
        kill(pid, SIGKILL);
        st = wait_status(pid);
        (void)st;
        sandbox_cgroup_free(cg);
}

/*
 * dbus-daemon under the bus profile: an epoll UNIX-socket server with fd
 * passing, the role bulkhead-bus plays. It runs as "nobody" because
 * dbus-daemon insists on a passwd entry for its own uid (bulkhead-bus does not).
 */
static void test_dbus_daemon(const char *tmp)
{
        static const char conf_text[] =
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<busconfig><type>session</type><listen>unix:path=%s</listen>"
                "<auth>EXTERNAL</auth><policy context=\"default\">"
                "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>"
                "<allow own=\"*\"/><allow user=\"*\"/></policy></busconfig>\n";
        char dir[128], sock[160], conf[160], confarg[200], address[220], line[512], out[1024];
        const char *rw[] = { dir, NULL };
        const char *ro[] = { conf, NULL };
        char *argv[] = { "dbus-daemon", confarg, "--nofork", "--print-address", NULL };
        char *client[] = { "/usr/bin/dbus-send", address, "--print-reply",
                           "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus.GetId", NULL };
        SandboxProfile p = SANDBOX_PROFILE_INIT;
        SandboxCgroup *cg = NULL;
        SandboxError e;
        FILE *f;
        int out_pipe[2], st;
        pid_t pid;

        if (access("/usr/bin/dbus-daemon", X_OK) < 0 || access("/usr/bin/dbus-send", X_OK) < 0) {
                printf("SKIP dbus-daemon: /usr/bin/dbus-daemon or dbus-send missing\n");
                return;
        }
        snprintf(dir, sizeof(dir), "%s/bus", tmp);
        snprintf(sock, sizeof(sock), "%s/sock", dir);
        snprintf(conf, sizeof(conf), "%s/bus.conf", tmp);
        snprintf(confarg, sizeof(confarg), "--config-file=%s", conf);
        snprintf(address, sizeof(address), "--bus=unix:path=%s", sock);
        if (mkdir(dir, 0700) < 0 || chown(dir, 65534, 65534) < 0) {
                CHECK(false, "setup: %s", strerror(errno));
                return;
        }
        f = fopen(conf, "we");
        if (!f)
                return;
        fprintf(f, conf_text, sock);
        fclose(f);
        if (pipe2(out_pipe, O_CLOEXEC) < 0)
                return;

        p.name = "dbus-daemon";
        p.path = "/usr/bin/dbus-daemon";
        p.argv = argv;
        p.envp = helper_env;
        p.uid = 65534;
        p.gid = 65534;
        p.fs_view = true;
        p.rw_paths = rw;
        p.ro_paths = ro;
        p.seccomp = SANDBOX_SECCOMP_BUS;
        p.cgroup = (SandboxCgroupLimits){ .memory_max = 64u << 20, .pids_max = 8 };
        p.stdout_fd = out_pipe[1];
        if (sandbox_spawn(&p, &pid, &cg, &e) < 0) {
                CHECK(false, "spawn dbus-daemon: %s: %s", sandbox_stage_to_string(e.stage),
                      strerror(e.error));
                close(out_pipe[0]);
                close(out_pipe[1]);
                return;
        }
        close(out_pipe[1]);
        /* it prints its address once it listens: readiness without sleeping */
        f = fdopen(out_pipe[0], "re");
        CHECK(f && fgets(line, sizeof(line), f) && strncmp(line, "unix:path=", 10) == 0,
              "dbus-daemon printed no address");
        CHECK(status_has(pid, "Seccomp:\t2"), "dbus-daemon not filtered");
        st = run_client(client, out, sizeof(out));
        CHECK(st == 0 && strstr(out, "string \""), "dbus-send GetId: exit %d '%s'", st, out);
        kill(pid, SIGKILL);
        st = wait_status(pid);
        /* killed by us, not by its seccomp profile */
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "dbus-daemon status %d", st);
        if (f)
                fclose(f);
        sandbox_cgroup_free(cg);
        unlink(sock);
        unlink(conf);
        rmdir(dir);
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
        char tmp[] = "/tmp/bh-sandbox-helpers-XXXXXX";
        uid_t uid;

        if (geteuid() != 0) {
                printf("SKIP: needs root (uid change, namespaces)\n");
                return 77;
        }
        if (!mkdtemp(tmp) || chmod(tmp, 0755) < 0)
                return 1;
        uid = 64000 + (uid_t)(getpid() % 1000) * 2;
        test_swtpm(tmp, uid);
        test_passt(uid + 1);
        test_dbus_daemon(tmp);
        remove_tree(tmp);
        printf("%s\n", failed ? "FAILED" : "ok");
        return failed ? 1 : 0;
}
