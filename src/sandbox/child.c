/*
 * child.c -- the child's side of sandbox_spawn(): narrow itself in a fixed
 * order, then exec.
 *
 * Everything here runs between fork and exec. Only async-signal-safe calls
 * (raw system calls), `goto` and _exit(): the parent may have held a malloc or
 * stdio lock at the time of the fork, so the child never allocates. All memory
 * it reads was prepared by the parent in the SandboxPlan.
 *
 * The order matters and is the point of this file:
 *   1. signals       default dispositions, nothing blocked (the parent blocked all for the fork)
 *   2. session       setsid: no controlling terminal (no TIOCSTI into the launcher's tty)
 *   3. pdeathsig     the child dies with the spawning thread (re-armed after step 10:
 *                    the kernel clears it when the euid or the capabilities change)
 *   4. namespaces    created by clone() in the parent already; set the UTS hostname
 *   5. mount         build the view and pivot_root into it (needs CAP_SYS_ADMIN: before ids)
 *   6. cgroup        wait until the parent moved us into our cgroup (EOF = parent died)
 *   7. rlimits       lowering needs no privilege; before the uid change for clarity
 *   8. capabilities  bounding set dropped while we still have CAP_SETPCAP
 *   9. identity      setgroups, setresgid, setresuid (numeric) and verify
 *  10. capabilities  effective/permitted/inheritable = kept set, ambient raised or cleared;
 *                    then pdeathsig again, and a check that the parent still lives
 *  11. no_new_privs  exec can never gain privileges (setuid bits, file caps)
 *  12. landlock      after no_new_privs (unprivileged restrict_self requires it)
 *  13. fds           stdio, then the allow list renumbered from 3; everything else closed
 *  14. seccomp       last: the filter must allow only what exec and the program need
 *  15. exec
 *
 * Must never: allocate, log, return to the caller's code, or run the program
 * when any stage failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <grp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/sandbox-internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Report (stage, errno) to the parent and die. write() is async-signal-safe. */
static _noreturn_ void child_fail(int report_fd, SandboxStage stage, int error)
{
        ChildReport r = { .stage = (int32_t)stage, .error = error > 0 ? error : EIO };
        ssize_t n;

        do
                n = write(report_fd, &r, sizeof(r));
        while (n < 0 && errno == EINTR);
        _exit(127);
}

static int child_signals(void)
{
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t none;

        for (int sig = 1; sig < _NSIG; sig++) {
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                /* EINVAL for the signals glibc reserves for itself: fine */
                (void)sigaction(sig, &sa, NULL);
        }
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
                return errno;
        return 0;
}

/* Lower one limit to at most @max (soft = hard). A hard limit already below
 * @max stays: the profile asks for an upper bound, and raising a hard limit
 * needs CAP_SYS_RESOURCE, which a sandbox must not depend on. */
static int lower_limit(int resource, uint64_t max)
{
        struct rlimit r;

        if (getrlimit(resource, &r) < 0)
                return errno;
        if (r.rlim_max != RLIM_INFINITY && r.rlim_max < max)
                max = r.rlim_max;
        r.rlim_cur = r.rlim_max = max;
        if (setrlimit(resource, &r) < 0)
                return errno;
        return 0;
}

static int child_rlimits(const SandboxRlimits *rl)
{
        int r;

        /* a core dump could leak guest memory or keys: always off */
        r = lower_limit(RLIMIT_CORE, 0);
        if (!r && rl->nofile)
                r = lower_limit(RLIMIT_NOFILE, rl->nofile);
        if (!r && rl->nproc)
                r = lower_limit(RLIMIT_NPROC, rl->nproc);
        if (!r && rl->memlock)
                r = lower_limit(RLIMIT_MEMLOCK, rl->memlock);
        return r;
}

/* Drop every capability not kept from the bounding set: afterwards not even a
 * setuid-root binary could get them back. Needs CAP_SETPCAP, so before the uid change. */
static int child_bounding_set(const SandboxPlan *plan)
{
        for (int cap = 0; cap <= plan->cap_last; cap++) {
                if (cap < 64 && (plan->keep_caps & (UINT64_C(1) << cap)))
                        continue;
                if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return errno;
        }
        /* keep the permitted set across setresuid() so kept caps survive it */
        if (plan->keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return errno;
        return 0;
}

static int child_identity(const SandboxProfile *p)
{
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        /* groups first: after setresgid/setresuid we could no longer change them */
        if (setgroups(p->n_groups, p->n_groups ? p->groups : NULL) < 0)
                return errno;
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return errno;
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return errno;
        /* verify: a silently failed change would run the program as root */
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
                return errno;
        if (ru != p->uid || eu != p->uid || su != p->uid || rg != p->gid || eg != p->gid ||
            sg != p->gid)
                return EPERM;
        if (setresuid(0, 0, 0) == 0)
                return EPERM;
        return 0;
}

static int child_capabilities(const SandboxPlan *plan)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2];
        uint64_t keep = plan->keep_caps;

        memset(data, 0, sizeof(data));
        for (int i = 0; i < 2; i++) {
                uint32_t word = (uint32_t)(keep >> (32 * i));

                data[i].effective = word;
                data[i].permitted = word;
                /* inheritable is needed for ambient: the only way a non-root
                 * program keeps a capability across exec without file caps */
                data[i].inheritable = word;
        }
        if (syscall(SYS_capset, &hdr, data) < 0)
                return errno;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return errno;
        for (int cap = 0; cap <= plan->cap_last && cap < 64; cap++) {
                if (!(keep & (UINT64_C(1) << cap)))
                        continue;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0) < 0)
                        return errno;
        }
        if (keep && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return errno;
        return 0;
}

/* Write "LISTEN_PID=<pid>" without stdio: the pid as the child sees itself
 * (1 in its own pid namespace), which is what sd_listen_fds() compares. */
static void child_listen_pid(char *buf)
{
        char digits[16];
        size_t n = 0, off = strlen("LISTEN_PID=");
        unsigned long pid = (unsigned long)getpid();

        do {
                digits[n++] = (char)('0' + pid % 10);
                pid /= 10;
        } while (pid && n < sizeof(digits));
        while (n)
                buf[off++] = digits[--n];
        buf[off] = '\0';
}

/*
 * Stdio to 0/1/2, fds[i] to 3+i, close everything else but the report pipe.
 * Sources may sit on targets, so first move every source above all targets
 * and above each other, then dup2 down (dup2 clears FD_CLOEXEC on the copy).
 */
static int child_fds(const SandboxPlan *plan, int *report_fd)
{
        const SandboxProfile *p = plan->profile;
        int stdio[3] = { p->stdin_fd, p->stdout_fd, p->stderr_fd };
        int high[3 + 256];
        int base = 3 + (int)p->n_fds + 8, fd;

        if (p->n_fds > 256)
                return EMFILE;
        for (size_t i = 0; i < 3 + p->n_fds; i++) {
                int src = i < 3 ? stdio[i] : p->fds[i - 3];

                if (src < 0)
                        src = plan->devnull_fd;
                high[i] = fcntl(src, F_DUPFD_CLOEXEC, base);
                if (high[i] < 0)
                        return errno;
        }
        fd = fcntl(*report_fd, F_DUPFD_CLOEXEC, base);
        if (fd < 0)
                return errno;
        *report_fd = fd;

        for (size_t i = 0; i < 3 + p->n_fds; i++)
                if (dup2(high[i], (int)i) < 0)
                        return errno;

        /* close everything above the targets except the report pipe (CLOEXEC:
         * it closes itself at exec, which tells the parent exec succeeded) */
        if (syscall(SYS_close_range, 3 + p->n_fds, (unsigned)*report_fd - 1, 0) < 0)
                return errno;
        if (syscall(SYS_close_range, (unsigned)*report_fd + 1, ~0U, 0) < 0)
                return errno;
        if (p->listen_fds && plan->listen_pid_buf)
                child_listen_pid(plan->listen_pid_buf);
        return 0;
}

_noreturn_ void sandbox_child_run(SandboxPlan *plan, int report_fd, int sync_fd)
{
        const SandboxProfile *p = plan->profile;
        char byte;
        ssize_t n;
        int r;

        /* 1. signals: the parent blocked everything around the fork */
        r = child_signals();
        if (r)
                child_fail(report_fd, SANDBOX_STAGE_SESSION, r);

        /* 2. session: no controlling tty, own process group */
        if (p->new_session && setsid() < 0)
                child_fail(report_fd, SANDBOX_STAGE_SESSION, errno);

        /* 3. pdeathsig: if the parent died before this, the sync read below sees EOF */
        if (p->pdeathsig && prctl(PR_SET_PDEATHSIG, (unsigned long)p->pdeathsig, 0, 0, 0) < 0)
                child_fail(report_fd, SANDBOX_STAGE_PDEATHSIG, errno);

        /* 4. namespaces: made by clone(); a private hostname in the UTS one */
        if ((p->namespaces & SANDBOX_NS_UTS) && sethostname("sandbox", strlen("sandbox")) < 0)
                child_fail(report_fd, SANDBOX_STAGE_NAMESPACES, errno);

        /* 5. mount view, then cwd */
        if (p->fs_view) {
                r = sandbox_mounts_child_apply(plan);
                if (r)
                        child_fail(report_fd, SANDBOX_STAGE_MOUNT, r);
        }
        if (chdir(p->workdir ? p->workdir : "/") < 0)
                child_fail(report_fd, SANDBOX_STAGE_MOUNT, errno);

        /* 6. cgroup: the parent writes one byte once we are in our cgroup */
        do
                n = read(sync_fd, &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(127); /* parent gone or gave up: nobody to report to */

        /* 7. rlimits */
        r = child_rlimits(&p->rlimits);
        if (r)
                child_fail(report_fd, SANDBOX_STAGE_RLIMITS, r);

        if (plan->privileged) {
                /* 8. bounding set, while CAP_SETPCAP is still ours */
                r = child_bounding_set(plan);
                if (r)
                        child_fail(report_fd, SANDBOX_STAGE_CAPABILITIES, r);

                /* 9. identity */
                r = child_identity(p);
                if (r)
                        child_fail(report_fd, SANDBOX_STAGE_IDENTITY, r);
        }

        /* 10. capabilities: only the kept ones, in every set */
        r = child_capabilities(plan);
        if (r)
                child_fail(report_fd, SANDBOX_STAGE_CAPABILITIES, r);

        /* the uid and capability changes cleared pdeathsig: arm it again, then
         * make sure the parent did not die in between (it keeps the sync
         * socket open until we exec: EOF means it is gone) */
        if (p->pdeathsig) {
                if (prctl(PR_SET_PDEATHSIG, (unsigned long)p->pdeathsig, 0, 0, 0) < 0)
                        child_fail(report_fd, SANDBOX_STAGE_PDEATHSIG, errno);
                if (recv(sync_fd, &byte, 1, MSG_DONTWAIT) == 0)
                        _exit(127);
        }
        close(sync_fd);

        /* 11. no_new_privs */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(report_fd, SANDBOX_STAGE_NO_NEW_PRIVS, errno);

        /* 12. Landlock */
        if (plan->landlock_abi > 0) {
                r = sandbox_landlock_child_apply(plan);
                if (r)
                        child_fail(report_fd, SANDBOX_STAGE_LANDLOCK, r);
        }

        /* 13. fds */
        r = child_fds(plan, &report_fd);
        if (r)
                child_fail(report_fd, SANDBOX_STAGE_FDS, r);

        /* 14. seccomp: execve is on every allow list */
        if (plan->seccomp.len > 0 &&
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &plan->seccomp) < 0)
                child_fail(report_fd, SANDBOX_STAGE_SECCOMP, errno);

        /* 15. exec */
        execve(p->path, p->argv, plan->envp);
        child_fail(report_fd, SANDBOX_STAGE_EXEC, errno);
}
