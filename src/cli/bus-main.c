/*
 * bus-main.c -- bulkhead-bus, a drop-in for dbus-daemon on private buses:
 * dbus-daemon's command line, configuration, address/pid printing and
 * --fork protocol; everything else is src/bus.
 *
 * Must never: keep privileges after binding when the configuration names a
 * <user>, or exit the --fork parent before the address and pid are written.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bus/bus.h"
#include "policy/config.h"
#include "policy/selinux.h"
#include "util/log.h"

typedef struct Args {
        const char *config_file;
        bool session;
        const char *address;
        int print_address_fd;   /* -1 = no */
        int print_pid_fd;       /* -1 = no */
        int fork_mode;          /* -1 --nofork, 0 config decides, 1 --fork */
        bool nopidfile;
        bool systemd_activation;
} Args;

static void usage(FILE *f)
{
        fprintf(f, "Usage: bulkhead-bus [--version] [--session] [--config-file=FILE]\n"
                   "       [--print-address[=DESCRIPTOR]] [--print-pid[=DESCRIPTOR]]\n"
                   "       [--fork] [--nofork] [--nopidfile] [--address=ADDRESS]\n"
                   "       [--systemd-activation] [--syslog] [--nosyslog] [--syslog-only]\n");
}

static int parse_fd(const char *s, int *ret)
{
        char *end;
        long v;

        if (!s) {
                *ret = 1;
                return 0;
        }
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || end == s || v < 0 || v > 65535)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

enum {
        OPT_CONFIG = 256, OPT_SESSION, OPT_SYSTEM, OPT_ADDRESS, OPT_PRINT_ADDRESS, OPT_PRINT_PID,
        OPT_FORK, OPT_NOFORK, OPT_NOPIDFILE, OPT_SYSTEMD, OPT_VERSION, OPT_HELP, OPT_IGNORED,
};

static int parse_args(int argc, char **argv, Args *a)
{
        static const struct option opts[] = {
                { "config-file", required_argument, NULL, OPT_CONFIG },
                { "session", no_argument, NULL, OPT_SESSION },
                { "system", no_argument, NULL, OPT_SYSTEM },
                { "address", required_argument, NULL, OPT_ADDRESS },
                { "print-address", optional_argument, NULL, OPT_PRINT_ADDRESS },
                { "print-pid", optional_argument, NULL, OPT_PRINT_PID },
                { "fork", no_argument, NULL, OPT_FORK },
                { "nofork", no_argument, NULL, OPT_NOFORK },
                { "nopidfile", no_argument, NULL, OPT_NOPIDFILE },
                { "systemd-activation", no_argument, NULL, OPT_SYSTEMD },
                { "syslog", no_argument, NULL, OPT_IGNORED },
                { "nosyslog", no_argument, NULL, OPT_IGNORED },
                { "syslog-only", no_argument, NULL, OPT_IGNORED },
                { "introspect", no_argument, NULL, OPT_IGNORED },
                { "version", no_argument, NULL, OPT_VERSION },
                { "help", no_argument, NULL, OPT_HELP },
                {},
        };
        int c;

        *a = (Args){ .print_address_fd = -1, .print_pid_fd = -1 };
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case OPT_CONFIG:
                        a->config_file = optarg;
                        break;
                case OPT_SESSION:
                        a->session = true;
                        break;
                case OPT_SYSTEM:
                        a->config_file = "/usr/share/dbus-1/system.conf";
                        break;
                case OPT_ADDRESS:
                        a->address = optarg;
                        break;
                case OPT_PRINT_ADDRESS:
                        if (parse_fd(optarg, &a->print_address_fd) < 0)
                                return -EINVAL;
                        break;
                case OPT_PRINT_PID:
                        if (parse_fd(optarg, &a->print_pid_fd) < 0)
                                return -EINVAL;
                        break;
                case OPT_FORK:
                        a->fork_mode = 1;
                        break;
                case OPT_NOFORK:
                        a->fork_mode = -1;
                        break;
                case OPT_NOPIDFILE:
                        a->nopidfile = true;
                        break;
                case OPT_SYSTEMD:
                        a->systemd_activation = true;
                        break;
                case OPT_IGNORED:
                        break;
                case OPT_VERSION:
                        printf("bulkhead-bus %s (a dbus-daemon compatible message bus)\n",
                               BULKHEAD_VERSION);
                        exit(0);
                case OPT_HELP:
                        usage(stdout);
                        exit(0);
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return -EINVAL;
        if (!a->config_file && !a->session)
                a->session = true;
        return 0;
}

static int write_line_fd(int fd, const char *line)
{
        size_t len = strlen(line);

        while (len > 0) {
                ssize_t n = write(fd, line, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                line += n;
                len -= (size_t)n;
        }
        return 0;
}

static int print_info(const Args *a, const Bus *b)
{
        char buf[4096];
        int r;

        if (a->print_address_fd >= 0) {
                snprintf(buf, sizeof(buf), "%s\n", bus_address(b));
                r = write_line_fd(a->print_address_fd, buf);
                if (r < 0)
                        return r;
        }
        if (a->print_pid_fd >= 0) {
                snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
                r = write_line_fd(a->print_pid_fd, buf);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int write_pidfile(const char *path)
{
        char buf[32];
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r;

        if (fd < 0)
                return -errno;
        snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
        r = write_line_fd(fd, buf);
        close(fd);
        return r;
}

/* Switch to <user> (a name or "#uid") after the sockets are bound. */
static int drop_privileges(const Log *log, const char *user)
{
        uid_t uid;
        gid_t gid;

        if (!user || geteuid() != 0)
                return 0;
        if (user[0] == '#') {
                uid = (uid_t)strtoul(user + 1, NULL, 10);
                gid = (gid_t)uid;
        } else {
                struct passwd *pw = getpwnam(user);

                if (!pw) {
                        log_err(log, "Could not get UID and GID for username \"%s\"", user);
                        return -ESRCH;
                }
                uid = pw->pw_uid;
                gid = pw->pw_gid;
        }
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
                log_err(log, "Failed to become user \"%s\": %m", user);
                return -errno;
        }
        return 0;
}

static int load_config(const Log *log, const Args *a, BusConfig **ret)
{
        _cleanup_free_ char *error = NULL;
        int r;

        /* before the config (its if_selinux_enabled includes) and before clients */
        if (bus_selinux_probe() < 0) {
                log_err(log, "Failed to start message bus: SELinux is enabled on this host but "
                             "libselinux.so.1 cannot be loaded, so its policy would go unenforced");
                return -ELIBACC;
        }
        if (a->config_file) {
                r = bus_config_load(a->config_file, 0, ret, &error);
                if (r != 0) {
                        log_err(log, "Failed to start message bus: %s",
                                error ? error : "out of memory");
                        return -EINVAL;
                }
        } else {
                r = bus_config_new_session(ret);
                if (r != 0)
                        return r;
        }
        for (char **w = (*ret)->warnings; w && *w; w++)
                log_warning(log, "%s", *w);
        return 0;
}

static char *join_listen(char **listen)
{
        size_t len = 1;
        char *s;

        for (char **l = listen; l && *l; l++)
                len += strlen(*l) + 1;
        s = calloc(1, len);
        if (!s)
                return NULL;
        for (char **l = listen; l && *l; l++) {
                if (s[0])
                        strcat(s, ";");
                strcat(s, *l);
        }
        return s;
}

/*
 * --fork: the child runs the bus; the parent waits until the child has
 * written the address and pid (a byte on @ready) and exits 0, or 1 if the
 * child failed first.
 */
static int fork_wait(int *ret_ready_fd)
{
        int p[2];
        pid_t pid;
        char c;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(p[0]);
                setsid();
                *ret_ready_fd = p[1];
                return 0;
        }
        close(p[1]);
        if (read(p[0], &c, 1) == 1)
                _exit(0);
        waitpid(pid, NULL, 0);
        _exit(1);
}

static void detach_std(void)
{
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return;
        dup2(fd, 0);
        if (fcntl(1, F_GETFD) >= 0)
                dup2(fd, 1);
        if (fd > 2)
                close(fd);
}

static int run(const Log *log, const Args *a)
{
        _cleanup_free_ char *addresses = NULL;
        BusConfig *config = NULL;
        Bus *b = NULL;
        int ready = -1, r;
        bool do_fork;

        r = load_config(log, a, &config);
        if (r < 0)
                return r;
        do_fork = a->fork_mode > 0 || (a->fork_mode == 0 && config->fork);
        addresses = a->address ? strdup(a->address) : join_listen(config->listen);
        if (!addresses || !addresses[0]) {
                log_err(log, "No address to listen on (use --address or <listen>)");
                bus_config_free(config);
                return -EINVAL;
        }
        if (do_fork && fork_wait(&ready) < 0) {
                bus_config_free(config);
                return -errno;
        }
        r = bus_new(log, config, a->config_file, &b);
        if (r < 0) {
                bus_config_free(config);
                return r;
        }
        b->systemd_activation = a->systemd_activation;
        r = bus_listen(b, addresses);
        if (r == 0 && b->config->pidfile && !a->nopidfile)
                r = write_pidfile(b->config->pidfile);
        if (r == 0)
                r = drop_privileges(log, b->config->user);
        if (r == 0)
                r = print_info(a, b);
        if (r == 0 && ready >= 0) {
                (void)!write(ready, "1", 1);
                ready = safe_close(ready);
                detach_std();
        }
        if (r == 0)
                r = bus_run(b);
        if (b->config->pidfile && !a->nopidfile)
                unlink(b->config->pidfile);
        bus_free(b);
        safe_close(ready);
        return r;
}

/* Closed standard fds would be reused by our sockets and later clobbered. */
static void ensure_std_fds(void)
{
        for (int fd = 0; fd < 3; fd++) {
                if (fcntl(fd, F_GETFD) >= 0)
                        continue;
                int n = open("/dev/null", O_RDWR);

                if (n >= 0 && n != fd) {
                        dup2(n, fd);
                        close(n);
                }
        }
}

int main(int argc, char **argv)
{
        Log log = LOG_INIT("bulkhead-bus");
        Args a;
        int r;

        ensure_std_fds();
        if (parse_args(argc, argv, &a) < 0) {
                usage(stderr);
                return 1;
        }
        r = run(&log, &a);
        return r < 0 ? 1 : 0;
}
