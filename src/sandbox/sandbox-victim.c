/*
 * sandbox-victim.c -- the program the sandbox tests run inside the sandbox.
 * It tries one thing (argv[1]) and reports on stdout / in its exit status.
 *
 * Built WITHOUT sanitizers even in the sanitizer build: ASan's runtime needs
 * syscalls (and a /proc view) no seccomp profile of ours allows, and the
 * point is to observe the sandbox, not the victim.
 *
 * Must never: depend on anything but libc (it runs in the confined view).
 */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int list_dir(const char *path, bool numeric_only)
{
        DIR *d = opendir(path);
        struct dirent *e;

        if (!d) {
                printf("opendir %s: %s\n", path, strerror(errno));
                return 1;
        }
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                if (numeric_only && (e->d_name[0] < '0' || e->d_name[0] > '9'))
                        continue;
                /* the directory's own fd */
                if (!numeric_only && atoi(e->d_name) == dirfd(d))
                        continue;
                printf("%s\n", e->d_name);
        }
        closedir(d);
        return 0;
}

static int do_read(const char *path)
{
        char buf[64];
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || read(fd, buf, sizeof(buf)) < 0) {
                printf("%s\n", strerror(errno));
                return 1;
        }
        close(fd);
        printf("read\n");
        return 0;
}

static int do_write(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || write(fd, "x", 1) != 1) {
                printf("%s\n", strerror(errno));
                return 1;
        }
        close(fd);
        printf("written\n");
        return 0;
}

/* interfaces and whether each is up (needs seccomp none: socket + SIOCGIFFLAGS) */
static int do_netdevs(void)
{
        struct if_nameindex *ifs = if_nameindex(), *i;
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (!ifs || s < 0) {
                printf("%s\n", strerror(errno));
                return 1;
        }
        for (i = ifs; i->if_index; i++) {
                struct ifreq ifr = { 0 };

                snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
                if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                        return 1;
                printf("%s %s\n", i->if_name, (ifr.ifr_flags & IFF_UP) ? "up" : "down");
        }
        if_freenameindex(ifs);
        close(s);
        return 0;
}

/* touch @mb MiB one MiB at a time; prints how far it got if not killed */
static int do_alloc(long mb)
{
        for (long i = 0; i < mb; i++) {
                char *p = malloc(1 << 20);

                if (!p) {
                        printf("malloc failed at %ld\n", i);
                        return 1;
                }
                memset(p, 0x5a, 1 << 20);
        }
        printf("survived %ld\n", mb);
        return 0;
}

/* fork at most @max sleeping children; report how many forks succeeded */
static int do_forkbomb(long max)
{
        long n = 0;

        for (; n < max; n++) {
                pid_t pid = fork();

                if (pid < 0)
                        break;
                if (pid == 0) {
                        pause();
                        _exit(0);
                }
        }
        printf("forked %ld\n", n);
        fflush(stdout);
        kill(0, SIGKILL); /* our process group: the children and us */
        return 0;
}

int main(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : "";
        const char *arg = argc > 2 ? argv[2] : "";

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (strcmp(cmd, "ok") == 0) {
                printf("ok\n");
                return 0;
        }
        if (strcmp(cmd, "forbidden") == 0) {
                /* keyctl is on no allow list */
                syscall(SYS_keyctl, 0, 0, 0, 0, 0);
                printf("survived keyctl\n");
                return 0;
        }
        if (strcmp(cmd, "socket") == 0) {
                int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

                printf("socket %s\n", s >= 0 ? "ok" : strerror(errno));
                return 0;
        }
        if (strcmp(cmd, "int80") == 0) {
                long ret = 20; /* getpid in the i386 ABI */

                __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
                printf("survived int80\n");
                return 0;
        }
        if (strcmp(cmd, "wait") == 0) {
                char c;

                while (read(0, &c, 1) > 0)
                        ;
                return 0;
        }
        if (strcmp(cmd, "fds") == 0)
                return list_dir("/proc/self/fd", false);
        if (strcmp(cmd, "pids") == 0)
                return list_dir("/proc", true);
        if (strcmp(cmd, "read") == 0)
                return do_read(arg);
        if (strcmp(cmd, "write") == 0)
                return do_write(arg);
        if (strcmp(cmd, "netdevs") == 0)
                return do_netdevs();
        if (strcmp(cmd, "alloc") == 0)
                return do_alloc(atol(arg));
        if (strcmp(cmd, "forkbomb") == 0)
                return do_forkbomb(atol(arg));
        if (strcmp(cmd, "env") == 0) {
                for (char **e = environ; *e; e++)
                        printf("%s\n", *e);
                return 0;
        }
        fprintf(stderr, "usage: sandbox-victim ok|forbidden|socket|int80|wait|fds|pids|"
                        "read P|write P|netdevs|alloc MB|forkbomb N|env\n");
        return 2;
}
