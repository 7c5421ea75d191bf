/*
 * spawn.c -- sandbox_spawn(): validate a profile, prepare everything that
 * allocates (environment, mount plan, Landlock rules, seccomp BPF, cgroup),
 * clone the child into its namespaces, move it into its cgroup, and wait for
 * either its exec or its report of the stage that failed.
 *
 * The protocol with the child (child.c) uses two CLOEXEC pipes:
 *   sync   parent -> child: one byte once the child is in its cgroup; EOF
 *          means "give up" (the parent failed or died); the parent keeps its
 *          end open until the exec, so EOF later means it died. A socketpair, not a
 *          pipe, so the parent can send with MSG_NOSIGNAL: a child that died
 *          early must not kill the launcher with SIGPIPE.
 *   report (pipe) child -> parent: EOF alone = exec succeeded (CLOEXEC closed it);
 *          a ChildReport = the stage and errno that stopped it.
 *
 * Must never: run the child as root, return before the child exec'd or died,
 * or leave a half-started child or cgroup behind on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox-internal.h"

/* The name becomes part of a cgroup directory name: no '/', no leading '.'. */
static bool valid_name(const char *name)
{
        if (!name || !name[0] || name[0] == '.' || strlen(name) > 64)
                return false;
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
                        return false;
        return true;
}

static int validate(const SandboxProfile *p, bool privileged, bool want_cgroup, bool have_ret_cg)
{
        if (!valid_name(p->name) || !p->path || p->path[0] != '/' || !p->argv || !p->argv[0])
                return -EINVAL;
        if ((unsigned)p->seccomp >= _SANDBOX_SECCOMP_MAX || (p->namespaces & ~SANDBOX_NS_ALL))
                return -EINVAL;
        if (p->fs_view && !(p->namespaces & SANDBOX_NS_MOUNT))
                return -EINVAL;
        if (p->n_groups > 64 || p->n_fds > 256 || (p->n_keep_caps && !p->keep_caps) ||
            (p->n_fds && !p->fds) || (p->n_groups && !p->groups))
                return -EINVAL;
        if (p->rlimits.nofile && p->rlimits.nofile < 3 + p->n_fds)
                return -EINVAL;
        if (want_cgroup && !have_ret_cg)
                return -EINVAL;
        /* never root; and a non-root caller can only run children as itself */
        if (p->uid == 0 || p->gid == 0 || p->uid == (uid_t)-1 || p->gid == (gid_t)-1)
                return -EPERM;
        for (size_t i = 0; i < p->n_groups; i++)
                if (p->groups[i] == 0)
                        return -EPERM;
        if (!privileged && (p->uid != getuid() || p->gid != getgid()))
                return -EPERM;
        for (size_t i = 0; i < p->n_keep_caps; i++)
                if (p->keep_caps[i].cap < 0 || p->keep_caps[i].cap > 63 || !p->keep_caps[i].reason ||
                    !p->keep_caps[i].reason[0])
                        return -EINVAL;
        return 0;
}

static int read_cap_last(void)
{
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        int v = 40;

        if (f) {
                if (fscanf(f, "%d", &v) != 1 || v < 0 || v > 63)
                        v = 40;
                fclose(f);
        }
        return v;
}

/* The child's environment: exactly the profile's, plus LISTEN_FDS/LISTEN_PID. */
static int build_env(SandboxPlan *plan)
{
        const SandboxProfile *p = plan->profile;
        size_t n = 0, k = 0;

        while (p->envp && p->envp[n])
                n++;
        plan->envp = calloc(n + 3, sizeof(char *));
        if (!plan->envp)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                /* ours win: drop any inherited LISTEN_* */
                if (p->listen_fds && (strncmp(p->envp[i], "LISTEN_FDS=", 11) == 0 ||
                                      strncmp(p->envp[i], "LISTEN_PID=", 11) == 0))
                        continue;
                plan->envp[k] = strdup(p->envp[i]);
                if (!plan->envp[k++])
                        return -ENOMEM;
        }
        if (p->listen_fds) {
                if (asprintf(&plan->envp[k++], "LISTEN_FDS=%zu", p->n_fds) < 0) {
                        plan->envp[k - 1] = NULL;
                        return -ENOMEM;
                }
                /* the child writes its own pid here: room for any pid */
                plan->envp[k] = calloc(1, sizeof("LISTEN_PID=") + 24);
                if (!plan->envp[k])
                        return -ENOMEM;
                strcpy(plan->envp[k], "LISTEN_PID=");
                plan->listen_pid_buf = plan->envp[k++];
        }
        return 0;
}

/**
 * sandbox_plan_done() - free what a plan owns.
 * @plan: the plan (may be partly built)
 */
void sandbox_plan_done(SandboxPlan *plan)
{
        for (size_t i = 0; plan->envp && plan->envp[i]; i++)
                free(plan->envp[i]);
        free(plan->envp);
        for (size_t i = 0; i < plan->n_mounts; i++) {
                free(plan->mounts[i].src);
                free(plan->mounts[i].dst);
                free(plan->mounts[i].link);
        }
        free(plan->mounts);
        for (size_t i = 0; i < plan->n_landlock_rules; i++)
                free(plan->landlock_rules[i].path);
        free(plan->landlock_rules);
        free(plan->seccomp.filter);
        safe_close(plan->devnull_fd);
        *plan = (SandboxPlan){ .devnull_fd = -1 };
}

static int plan_build(SandboxPlan *plan, const SandboxProfile *p, bool privileged)
{
        int r;

        *plan = (SandboxPlan){ .profile = p, .privileged = privileged, .devnull_fd = -1 };
        plan->cap_last = read_cap_last();
        for (size_t i = 0; i < p->n_keep_caps; i++)
                plan->keep_caps |= UINT64_C(1) << p->keep_caps[i].cap;
        plan->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (plan->devnull_fd < 0)
                return -errno;
        r = build_env(plan);
        if (r < 0)
                return r;
        if (p->fs_view) {
                r = sandbox_mounts_build(plan);
                if (r < 0)
                        return r;
        }
        r = sandbox_landlock_build(plan);
        if (r < 0)
                return r;
        return sandbox_seccomp_build(p->seccomp, &plan->seccomp);
}

static unsigned long clone_flags(unsigned ns)
{
        unsigned long f = 0;

        if (ns & SANDBOX_NS_MOUNT)
                f |= CLONE_NEWNS;
        if (ns & SANDBOX_NS_PID)
                f |= CLONE_NEWPID;
        if (ns & SANDBOX_NS_IPC)
                f |= CLONE_NEWIPC;
        if (ns & SANDBOX_NS_UTS)
                f |= CLONE_NEWUTS;
        if (ns & SANDBOX_NS_NET)
                f |= CLONE_NEWNET;
        return f;
}

/* Wait for the child's exec (EOF) or its report. Returns 0, or -errno with *stage set. */
static int wait_exec(int report_fd, SandboxStage *stage)
{
        ChildReport rep;
        ssize_t n;

        do
                n = read(report_fd, &rep, sizeof(rep));
        while (n < 0 && errno == EINTR);
        if (n == 0)
                return 0;
        if (n != sizeof(rep)) {
                *stage = SANDBOX_STAGE_EXEC;
                return n < 0 ? -errno : -EIO;
        }
        *stage = (unsigned)rep.stage < _SANDBOX_STAGE_MAX ? (SandboxStage)rep.stage
                                                          : SANDBOX_STAGE_EXEC;
        return rep.error > 0 ? -rep.error : -EIO;
}

static void reap(pid_t pid, bool kill_it)
{
        if (kill_it)
                (void)kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

static int fail(SandboxError *ret_error, SandboxStage stage, int r)
{
        if (ret_error)
                *ret_error = (SandboxError){ .stage = stage, .error = -r };
        return r;
}

_public_ int sandbox_spawn(const SandboxProfile *profile, pid_t *ret_pid, SandboxCgroup **ret_cgroup,
                           SandboxError *ret_error)
{
        _cleanup_(sandbox_cgroup_freep) SandboxCgroup *cg = NULL;
        _cleanup_close_ int report_r = -1, report_w = -1, sync_r = -1, sync_w = -1;
        SandboxPlan plan = { .devnull_fd = -1 };
        SandboxStage stage = SANDBOX_STAGE_PREPARE;
        sigset_t all, saved;
        bool privileged = geteuid() == 0;
        bool want_cg;
        pid_t pid;
        int p[2], r;

        if (!profile || !ret_pid)
                return fail(ret_error, SANDBOX_STAGE_PREPARE, -EINVAL);
        want_cg = profile->cgroup.memory_max || profile->cgroup.pids_max ||
                  profile->cgroup.cpu_weight;
        r = validate(profile, privileged, want_cg, ret_cgroup != NULL);
        if (r < 0)
                return fail(ret_error, SANDBOX_STAGE_PREPARE, r);
        r = plan_build(&plan, profile, privileged);
        if (r < 0)
                goto out;
        if (want_cg) {
                stage = SANDBOX_STAGE_CGROUP;
                r = sandbox_cgroup_new(profile->name, &profile->cgroup, &cg);
                if (r < 0)
                        goto out;
        }
        stage = SANDBOX_STAGE_PREPARE;
        if (pipe2(p, O_CLOEXEC) < 0) {
                r = -errno;
                goto out;
        }
        report_r = p[0], report_w = p[1];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0) {
                r = -errno;
                goto out;
        }
        sync_r = p[0], sync_w = p[1];

        /* no handler of ours may run in the child before it reset them */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        /* a raw clone: the child starts with our memory like fork(), but in its
         * new namespaces from the first instruction (pid namespace included) */
        pid = (pid_t)syscall(SYS_clone, SIGCHLD | clone_flags(profile->namespaces), NULL, NULL,
                             NULL, NULL);
        if (pid == 0) {
                report_r = safe_close(report_r);
                sync_w = safe_close(sync_w);
                sandbox_child_run(&plan, report_w, sync_r);
        }
        r = pid < 0 ? -errno : 0;
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (r < 0) {
                stage = SANDBOX_STAGE_CLONE;
                goto out;
        }
        report_w = safe_close(report_w);
        sync_r = safe_close(sync_r);

        if (cg && sandbox_cgroup_mode(cg) != SANDBOX_CGROUP_NONE)
                r = sandbox_cgroup_attach(cg, pid);
        if (r >= 0 && send(sync_w, "x", 1, MSG_NOSIGNAL) != 1)
                r = -errno;
        /* sync_w stays open until the exec: the child's proof that we live */
        if (r < 0) {
                /* the child may have failed (and reported) before it waited for us:
                 * its report is the better error than our ESRCH/EPIPE */
                int reported;

                reap(pid, true);
                reported = wait_exec(report_r, &stage);
                if (reported < 0)
                        r = reported;
                else
                        stage = SANDBOX_STAGE_CGROUP;
                goto out;
        }

        r = wait_exec(report_r, &stage);
        if (r < 0) {
                reap(pid, false); /* it _exit()s after reporting */
                goto out;
        }
        sandbox_plan_done(&plan);
        *ret_pid = pid;
        if (ret_cgroup)
                *ret_cgroup = TAKE_PTR(cg);
        return 0;
out:
        sandbox_plan_done(&plan);
        return fail(ret_error, stage, r);
}

_public_ int sandbox_probe(SandboxFeatures *ret)
{
        SandboxFeatures f = { 0 };

        f.privileged = geteuid() == 0;
        f.landlock_abi = sandbox_landlock_abi();
        f.seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
        sandbox_cgroup_probe(&f);
        *ret = f;
        return 0;
}
