/*
 * proc.c -- start one VM process (see proc.h).
 *
 * Normally through sandbox_spawn() with the role's profile. With
 * ProcStart.sandbox false (bulkhead --no-sandbox, for development on machines
 * where the sandbox cannot run) a plain fork+exec that still changes uid,
 * sets no_new_privs and keeps only the listed fds.
 *
 * Must never: call anything but async-signal-safe functions between fork and exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <grp.h>
#include <sys/wait.h>

#include "launcher/proc.h"
#include "util/error.h"
#include "util/macro.h"

/** proc_starttime() - see proc.h. */
unsigned long long proc_starttime(pid_t pid)
{
        char path[64], buf[1024];
        unsigned long long start = 0;
        const char *p;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        p = strrchr(buf, ')');
        if (!p)
                return 0;
        /* after ") " come fields 3..: state is 3, starttime is 22 */
        p++;
        for (int field = 3; field < 22 && p; field++)
                p = strchr(p + 1, ' ');
        if (p)
                start = strtoull(p + 1, NULL, 10);
        return start;
}

/** proc_resolve_exec() - see proc.h. Returns 0, -ENOENT or -ENOMEM. */
int proc_resolve_exec(const char *cmd, char **ret)
{
        const char *lists[2] = { getenv("BULKHEAD_HELPER_PATH"), getenv("PATH") };

        if (strchr(cmd, '/')) {
                char *abs = realpath(cmd, NULL);

                if (!abs)
                        return -errno;
                *ret = abs;
                return 0;
        }
        if (!lists[1])
                lists[1] = "/usr/local/bin:/usr/bin:/bin";
        for (size_t k = 0; k < 2; k++) {
                _cleanup_free_ char *copy = lists[k] ? strdup(lists[k]) : NULL;
                char *save = NULL;

                if (!copy)
                        continue;
                for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                        char *full = NULL;

                        if (asprintf(&full, "%s/%s", d, cmd) < 0)
                                return -ENOMEM;
                        if (access(full, X_OK) == 0) {
                                char *abs = realpath(full, NULL);

                                free(full);
                                if (!abs)
                                        return -errno;
                                *ret = abs;
                                return 0;
                        }
                        free(full);
                }
        }
        return -ENOENT;
}

/* the --no-sandbox path: fork, narrow, exec */
static int plain_spawn(const ProcStart *s, uid_t uid, gid_t gid, int out, pid_t *ret_pid)
{
        int errpipe[2];
        pid_t pid;
        int err = 0;
        ssize_t n;

        if (pipe2(errpipe, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                err = errno;
                close(errpipe[0]);
                close(errpipe[1]);
                return -err;
        }
        if (pid == 0) {
                sigset_t none;
                int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        goto fail;
                if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        goto fail;
                /* inherited fds: move up out of the way first, then down to 3, 4, ... */
                for (size_t i = 0; i < s->n_fds; i++)
                        if (dup3(s->fds[i], 100 + (int)i, O_CLOEXEC) < 0)
                                goto fail;
                for (size_t i = 0; i < s->n_fds; i++)
                        if (dup2(100 + (int)i, 3 + (int)i) < 0)
                                goto fail;
                if (getuid() == 0) {
                        if (setgroups(s->n_groups, s->groups) < 0 || setresgid(gid, gid, gid) < 0 ||
                            setresuid(uid, uid, uid) < 0)
                                goto fail;
                }
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        goto fail;
                execve(s->path, s->argv, s->envp);
        fail:
                err = errno;
                (void)!write(errpipe[1], &err, sizeof(err));
                _exit(127);
        }
        close(errpipe[1]);
        n = read(errpipe[0], &err, sizeof(err));
        close(errpipe[0]);
        if (n == sizeof(err)) {
                *ret_pid = pid;
                return -err;
        }
        *ret_pid = pid;
        return 0;
}

/** proc_start() - see proc.h. */
int proc_start(Proc *p, const ProcStart *s, char **ret_error)
{
        int logpipe[2];
        pid_t pid = 0;
        int r;

        if (pipe2(logpipe, O_CLOEXEC) < 0)
                return error_origin(-errno);
        if (!s->sandbox) {
                r = plain_spawn(s, p->uid, p->gid, logpipe[1], &pid);
                if (r < 0) {
                        if (pid > 0)
                                (void)waitpid(pid, NULL, 0);
                        if (ret_error && asprintf(ret_error, "exec %s: %s", s->path, strerror(-r)) < 0)
                                *ret_error = NULL;
                }
        } else {
                SandboxProfile prof = SANDBOX_PROFILE_INIT;
                SandboxError se = {};
                const char *const none[] = { NULL };

                prof.name = p->name;
                prof.path = s->path;
                prof.argv = s->argv;
                prof.envp = s->envp;
                prof.uid = p->uid;
                prof.gid = p->gid;
                prof.groups = s->groups;
                prof.n_groups = s->n_groups;
                prof.seccomp = s->seccomp;
                prof.fds = s->fds;
                prof.n_fds = s->n_fds;
                prof.stdout_fd = logpipe[1];
                prof.stderr_fd = logpipe[1];
                prof.cgroup.memory_max = s->memory_max;
                prof.cgroup.pids_max = s->pids_max;
                prof.landlock = !s->no_landlock;
                prof.keep_caps = s->keep_caps;
                prof.n_keep_caps = s->n_keep_caps;
                /* the view (root) or Landlock (everyone) lets the child see these */
                prof.rw_paths = s->rw_paths ? s->rw_paths : none;
                prof.ro_paths = s->ro_paths ? s->ro_paths : none;
                if (s->privileged) {
                        prof.namespaces = SANDBOX_NS_ALL & ~(s->host_network ? SANDBOX_NS_NET : 0u) &
                                          ~(s->host_pids ? SANDBOX_NS_PID : 0u);
                        prof.fs_view = true;
                } else {
                        prof.namespaces = 0;
                        prof.fs_view = false;
                        prof.private_tmp = false;
                }
                r = sandbox_spawn(&prof, &pid, &p->cgroup, &se);
                if (r < 0 && ret_error &&
                    asprintf(ret_error, "sandbox: %s at stage %s: %s", s->path, sandbox_stage_to_string(se.stage),
                             strerror(se.error ? se.error : -r)) < 0)
                        *ret_error = NULL;
        }
        close(logpipe[1]);
        if (r < 0) {
                close(logpipe[0]);
                return r;
        }
        p->pid = pid;
        p->starttime = proc_starttime(pid);
        p->log_fd = logpipe[0];
        p->loglen = 0;
        (void)fcntl(p->log_fd, F_SETFL, O_NONBLOCK);
        return 0;
}

/** proc_drain_log() - see proc.h. Returns 0, or -1 at EOF / error (the fd is then closed). */
int proc_drain_log(Proc *p, int out)
{
        for (;;) {
                ssize_t n;
                char *nl;

                if (p->log_fd < 0)
                        return -1;
                n = read(p->log_fd, p->logbuf + p->loglen, sizeof(p->logbuf) - 1 - p->loglen);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n <= 0) {
                        if (p->loglen > 0)
                                dprintf(out, "%s: %.*s\n", p->name, (int)p->loglen, p->logbuf);
                        p->loglen = 0;
                        p->log_fd = safe_close(p->log_fd);
                        return -1;
                }
                p->loglen += (size_t)n;
                while ((nl = memchr(p->logbuf, '\n', p->loglen))) {
                        size_t len = (size_t)(nl - p->logbuf);

                        dprintf(out, "%s: %.*s\n", p->name, (int)len, p->logbuf);
                        memmove(p->logbuf, nl + 1, p->loglen - len - 1);
                        p->loglen -= len + 1;
                }
                if (p->loglen == sizeof(p->logbuf) - 1) {
                        dprintf(out, "%s: %.*s\n", p->name, (int)p->loglen, p->logbuf);
                        p->loglen = 0;
                }
        }
}
