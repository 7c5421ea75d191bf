/*
 * seccomp-filter.c -- the seccomp allow lists per role, compiled with
 * libseccomp to classic BPF in memory (before the fork; the child only loads it).
 *
 * Default action: kill the whole process (SIGSYS). A syscall from a foreign
 * architecture (i386 int 0x80, x32) kills too: the allow lists are written for
 * the native ABI only and another ABI's numbers mean other syscalls.
 *
 * Lists are layered: every profile starts with what execve, the dynamic
 * loader and libc start-up need; compute-only adds nothing that reaches
 * outside the process except read-only opens; bus adds an epoll UNIX-socket
 * server with fd passing; helper adds files, inet sockets, threads, timers.
 * clone3 answers ENOSYS (its flags sit behind a pointer a filter cannot read),
 * so libc falls back to clone, whose flags are checked: no new namespaces.
 *
 * Must never: allow a syscall by number of another architecture, or return a
 * filter that does not allow execve (the child loads it before exec).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox/sandbox-internal.h"

/* execve, the dynamic loader, libc start-up and exit, memory, time, signals to self */
static const char *const base_calls[] = {
        "execve", "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "arch_prctl",
        "set_tid_address", "set_robust_list", "rseq", "prlimit64", "getrandom", "read",
        "pread64", "readv", "write", "writev", "pwrite64", "close", "fstat", "newfstatat",
        "statx", "lseek", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
        "getcwd", "exit", "exit_group", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
        "sigaltstack", "futex", "clock_gettime", "clock_getres", "gettimeofday", "time",
        "clock_nanosleep", "nanosleep", "getpid", "gettid", "getppid", "getuid", "geteuid",
        "getgid", "getegid", "getresuid", "getresgid", "getgroups", "sched_yield",
        "sched_getaffinity", "uname", "fcntl", "dup", "dup2", "dup3", "restart_syscall",
        "getrusage", "sysinfo", "poll", "ppoll", "pipe2", "membarrier", "tgkill", "getdents64",
        "capget",
};

/* an epoll UNIX-socket server passing fds (bulkhead-bus) */
static const char *const bus_calls[] = {
        "bind", "listen", "accept", "accept4", "connect", "getsockopt", "setsockopt",
        "getsockname", "getpeername", "sendmsg", "recvmsg", "sendto", "recvfrom", "shutdown",
        "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
        "timerfd_create", "timerfd_settime", "timerfd_gettime", "signalfd4", "unlink",
        "unlinkat", "umask", "fchmod", "fchmodat", "chmod", "getdents64", "mkdir", "mkdirat", "close_range",
        "prctl", "fstatfs", "statfs", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
};

/* a broader helper: files, inet sockets, threads, timers (swtpm, passt) */
static const char *const helper_calls[] = {
        "rename", "renameat", "renameat2", "ftruncate", "fsync", "fdatasync", "fallocate",
        "flock", "utimensat", "link", "linkat", "rmdir", "chdir",
        "fchdir", "select", "pselect6", "pipe", "wait4", "waitid", "kill", "sendmmsg",
        "recvmmsg", "setitimer", "getitimer", "alarm", "pause", "times", "mlock", "munlock",
        "msync", "mincore", "sendfile", "splice", "tee", "vmsplice", "copy_file_range",
        "sched_setaffinity", "getpriority", "setpriority", "timer_create",
        "timer_settime", "timer_gettime", "timer_delete", "clock_adjtime", "getsid",
        "getpgid", "setsid", "set_mempolicy", "get_mempolicy", "openat2", "truncate",
        "fchown", "epoll_create", "rt_sigtimedwait", "rt_sigsuspend", "rt_sigqueueinfo",
        "execveat", "symlink", "symlinkat", "fadvise64",
        /* programs that add their own filter (swtpm --seccomp): it can only narrow ours */
        "seccomp",
};

/* the only ioctls: tty probing by libc, socket queue sizes, fd flags */
static const unsigned long allowed_ioctls[] = {
        TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, TIOCOUTQ,
};

static int add_list(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int nr = seccomp_syscall_resolve_name(names[i]);
                int r;

                if (nr == __NR_SCMP_ERROR)
                        continue; /* not a syscall on this architecture */
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_ioctls(scmp_filter_ctx ctx)
{
        for (size_t i = 0; i < ELEMENTSOF(allowed_ioctls); i++) {
                int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                         SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* open/openat read-only, never creating or truncating */
static int add_open_readonly(scmp_filter_ctx ctx)
{
        /* O_TMPFILE includes O_DIRECTORY, which opendir() passes: test its own bit only */
        const scmp_datum_t mask = O_ACCMODE | O_CREAT | O_TRUNC | (O_TMPFILE & ~O_DIRECTORY);
        int r;

        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, mask, O_RDONLY));
        if (r < 0)
                return r;
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                                SCMP_A1(SCMP_CMP_MASKED_EQ, mask, O_RDONLY));
}

static int add_sockets(scmp_filter_ctx ctx, bool inet)
{
        static const int unix_only[] = { AF_UNIX };
        static const int families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
        const int *list = inet ? families : unix_only;
        size_t n = inet ? ELEMENTSOF(families) : ELEMENTSOF(unix_only);
        int r;

        for (size_t i = 0; i < n; i++) {
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)list[i]));
                if (r < 0)
                        return r;
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
                                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)list[i]));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* threads and plain fork, but never a new namespace */
static int add_clone(scmp_filter_ctx ctx)
{
        const scmp_datum_t ns = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
        int r;

        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, ns, 0));
        if (r < 0)
                return r;
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fork), 0);
        if (r < 0)
                return r;
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

static int add_profile(scmp_filter_ctx ctx, SandboxSeccomp profile)
{
        int r;

        r = add_list(ctx, base_calls, ELEMENTSOF(base_calls));
        if (r >= 0)
                r = add_ioctls(ctx);
        if (r < 0 || profile == SANDBOX_SECCOMP_COMPUTE_ONLY)
                return r >= 0 ? add_open_readonly(ctx) : r;

        r = add_list(ctx, bus_calls, ELEMENTSOF(bus_calls));
        if (r >= 0)
                r = add_sockets(ctx, profile == SANDBOX_SECCOMP_HELPER);
        if (r < 0)
                return r;
        /* which files may be written is the filesystem view's and Landlock's
         * business; seccomp narrows the kernel's surface, not the file tree
         * (dbus-daemon writes /proc/self/oom_score_adj, /dev/null is opened O_RDWR) */
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 0);
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 0);
        if (r < 0 || profile == SANDBOX_SECCOMP_BUS)
                return r;
        r = add_list(ctx, helper_calls, ELEMENTSOF(helper_calls));
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(creat), 0);
        if (r >= 0)
                r = add_clone(ctx);
        return r;
}

/* libseccomp 2.5 exports to an fd only: go through a memfd. */
static int export_to_memory(scmp_filter_ctx ctx, struct sock_fprog *ret)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ struct sock_filter *filter = NULL;
        off_t size;
        ssize_t n;
        int r;

        fd = memfd_create("bulkhead-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % sizeof(struct sock_filter) != 0 ||
            size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -EINVAL;
        filter = malloc((size_t)size);
        if (!filter)
                return -ENOMEM;
        n = pread(fd, filter, (size_t)size, 0);
        if (n != size)
                return n < 0 ? -errno : -EIO;
        ret->len = (unsigned short)(size / sizeof(struct sock_filter));
        ret->filter = TAKE_PTR(filter);
        return 0;
}

/**
 * sandbox_seccomp_build() - compile a profile's filter to BPF in memory.
 * @profile: the role
 * @ret:     the program on success (filter to free()); len 0 for profiles
 *           without a filter of ours (none, qemu-own)
 *
 * Return: 0 or -errno.
 */
int sandbox_seccomp_build(SandboxSeccomp profile, struct sock_fprog *ret)
{
        scmp_filter_ctx ctx;
        int r;

        if ((unsigned)profile >= _SANDBOX_SECCOMP_MAX)
                return -EINVAL;
        if (profile == SANDBOX_SECCOMP_NONE || profile == SANDBOX_SECCOMP_QEMU_OWN) {
                *ret = (struct sock_fprog){ 0 };
                return 0;
        }
        ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
        if (!ctx)
                return -ENOMEM;
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        /* we set no_new_privs ourselves, at its own stage */
        if (r >= 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r >= 0)
                r = add_profile(ctx, profile);
        if (r >= 0)
                r = export_to_memory(ctx, ret);
        seccomp_release(ctx);
        return r < 0 ? r : 0;
}
