/*
 * vm-client.c -- the one program the SELinux test runs inside its VM besides
 * busybox and the bus: loads an SELinux policy, starts programs in a given
 * context, and acts as a real D-Bus client (sd-bus) of bulkhead-bus. Every
 * observation is printed as one line "RESULT <tag> ..." on stdout; the test
 * on the host decides what is right, this program never does.
 *
 *   vm-client load POLICY                 load a binary policy, enforce
 *   vm-client runcon CONTEXT PROG ARGS..  exec PROG in CONTEXT
 *   vm-client context TAG                 print our own context
 *   vm-client own ADDR NAME TAG           RequestName(NAME)
 *   vm-client serve ADDR NAME TAG         own NAME (or "-"), record signals of
 *                                         interface com.example.T, answer Ping,
 *                                         Got, Quit on /t; detaches when ready
 *   vm-client call ADDR DEST TAG          DEST.Ping(), the answer or error
 *   vm-client got ADDR DEST TAG           DEST.Got(): the signals it received
 *   vm-client emit ADDR MEMBER TAG        broadcast signal com.example.T.MEMBER
 *   vm-client quit ADDR DEST              DEST.Quit()
 *   vm-client creds ADDR NAME TAG         GetConnectionCredentials(NAME) label
 *   vm-client hello ADDR TAG              connect, Hello, GetId
 *
 * Must never: judge a result, or run outside the test VM (load changes the
 * kernel's policy).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define IFACE "com.example.T"
#define PATH  "/t"

static int write_file(const char *path, const void *data, size_t size)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, data, size); /* one write: selinuxfs wants it so */
        if (n < 0) {
                n = -errno;
                close(fd);
                return (int)n;
        }
        close(fd);
        return n == (ssize_t)size ? 0 : -EIO;
}

static int cmd_load(const char *file)
{
        struct stat st;
        char *buf, enforce[8] = "";
        int fd, r;
        ssize_t n;

        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return printf("RESULT load error %s\n", strerror(errno)), 1;
        buf = malloc((size_t)st.st_size);
        n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
        close(fd);
        if (n != st.st_size)
                return printf("RESULT load error short read\n"), 1;
        r = write_file("/sys/fs/selinux/load", buf, (size_t)n);
        free(buf);
        if (r < 0)
                return printf("RESULT load error %s\n", strerror(-r)), 1;
        r = write_file("/sys/fs/selinux/enforce", "1", 1);
        fd = open("/sys/fs/selinux/enforce", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                n = read(fd, enforce, sizeof(enforce) - 1);
                enforce[n > 0 ? n : 0] = 0;
                close(fd);
        }
        printf("RESULT load ok enforce=%s\n", r < 0 ? strerror(-r) : enforce);
        return 0;
}

static int cmd_runcon(const char *context, char **argv)
{
        int r = write_file("/proc/self/attr/exec", context, strlen(context));

        if (r < 0) {
                printf("RESULT runcon error %s %s\n", context, strerror(-r));
                return 1;
        }
        fflush(stdout);
        execv(argv[0], argv);
        printf("RESULT runcon error exec %s %s\n", argv[0], strerror(errno));
        return 1;
}

static void own_context(char *buf, size_t size)
{
        int fd = open("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

        if (fd >= 0)
                close(fd);
        buf[n > 0 ? n : 0] = 0;
        buf[strcspn(buf, "\n")] = 0;
}

static sd_bus *connect_bus(const char *address, const char *tag)
{
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                printf("RESULT %s error connect %s\n", tag, strerror(-r));
                sd_bus_unref(bus);
                return NULL;
        }
        return bus;
}

static void print_error(const char *tag, const sd_bus_error *e, int r)
{
        if (sd_bus_error_is_set(e))
                printf("RESULT %s error %s %s\n", tag, e->name, e->message ? e->message : "");
        else
                printf("RESULT %s error errno %s\n", tag, strerror(-r));
}

static int request_name(sd_bus *bus, const char *name, const char *tag)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint32_t code = 0;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "RequestName", &e, &reply, "su", name, 4u);
        if (r >= 0)
                r = sd_bus_message_read(reply, "u", &code);
        if (r < 0)
                print_error(tag, &e, r);
        else
                printf("RESULT %s ok %u\n", tag, code);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        return r < 0 ? r : (int)code;
}

static int cmd_own(const char *address, const char *name, const char *tag)
{
        sd_bus *bus = connect_bus(address, tag);

        if (!bus)
                return 1;
        request_name(bus, name, tag);
        sd_bus_flush_close_unref(bus);
        return 0;
}

typedef struct Server {
        char got[1024];
        bool quit;
} Server;

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Server *s = userdata;
        size_t len = strlen(s->got);

        (void)ret_error;
        snprintf(s->got + len, sizeof(s->got) - len, "%s%s", len ? "," : "", sd_bus_message_get_member(m));
        return 0;
}

static int on_method(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Server *s = userdata;
        const char *member = sd_bus_message_get_member(m);
        char ctx[256];

        (void)ret_error;
        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        if (strcmp(member, "Ping") == 0) {
                own_context(ctx, sizeof(ctx));
                return sd_bus_reply_method_return(m, "s", ctx);
        }
        if (strcmp(member, "Got") == 0)
                return sd_bus_reply_method_return(m, "s", s->got[0] ? s->got : "(none)");
        if (strcmp(member, "Quit") == 0) {
                s->quit = true;
                return sd_bus_reply_method_return(m, "");
        }
        return 0;
}

static int serve(const char *address, const char *name, const char *tag, int ready_fd)
{
        Server s = { 0 };
        sd_bus *bus = connect_bus(address, tag);
        time_t end = time(NULL) + 120;

        if (!bus)
                return 1;
        if (strcmp(name, "-") != 0 && request_name(bus, name, tag) != 1)
                return 1;
        if (sd_bus_add_match(bus, NULL, "type='signal',interface='" IFACE "'", on_signal, &s) < 0 ||
            sd_bus_add_fallback(bus, NULL, PATH, on_method, &s) < 0)
                return printf("RESULT %s error setup\n", tag), 1;
        fflush(stdout);
        (void)write(ready_fd, "r", 1);
        close(ready_fd);
        while (!s.quit && time(NULL) < end) {
                int r = sd_bus_process(bus, NULL);

                if (r < 0)
                        break;
                if (r == 0)
                        sd_bus_wait(bus, 1000000);
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}

/* fork: the child serves, the parent returns once the child is ready */
static int cmd_serve(const char *address, const char *name, const char *tag)
{
        int p[2], status;
        char c;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return 1;
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                close(p[0]);
                _exit(serve(address, name, tag, p[1]));
        }
        close(p[1]);
        if (read(p[0], &c, 1) == 1)
                return 0;
        waitpid(pid, &status, 0);
        return 1;
}

static int call_string(const char *address, const char *dest, const char *member, const char *tag)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *s = NULL;
        sd_bus *bus = connect_bus(address, tag);
        int r;

        if (!bus)
                return 1;
        r = sd_bus_call_method(bus, dest, PATH, IFACE, member, &e, &reply, "");
        if (r >= 0 && strcmp(member, "Quit") != 0)
                r = sd_bus_message_read(reply, "s", &s);
        if (r < 0)
                print_error(tag, &e, r);
        else
                printf("RESULT %s ok %s\n", tag, s ? s : "");
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_flush_close_unref(bus);
        return 0;
}

static int cmd_emit(const char *address, const char *member, const char *tag)
{
        sd_bus *bus = connect_bus(address, tag);
        int r;

        if (!bus)
                return 1;
        r = sd_bus_emit_signal(bus, PATH, IFACE, member, "");
        if (r >= 0)
                r = sd_bus_flush(bus);
        /* a round trip to the driver: the bus has dispatched the signal */
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetId", NULL, NULL, "");
        printf("RESULT %s %s\n", tag, r < 0 ? strerror(-r) : "ok");
        sd_bus_flush_close_unref(bus);
        return 0;
}

static int cmd_creds(const char *address, const char *name, const char *tag)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        sd_bus *bus = connect_bus(address, tag);
        char label[512] = "(none)";
        int r;

        if (!bus)
                return 1;
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "GetConnectionCredentials", &e, &reply, "s", name);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                const void *bytes;
                size_t n;

                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0 && strcmp(key, "LinuxSecurityLabel") == 0) {
                        r = sd_bus_message_enter_container(reply, 'v', "ay");
                        if (r >= 0)
                                r = sd_bus_message_read_array(reply, 'y', &bytes, &n);
                        if (r >= 0) {
                                /* the label with its terminating NUL, as dbus-daemon */
                                snprintf(label, sizeof(label), "%.*s%s", (int)strnlen(bytes, n),
                                         (const char *)bytes,
                                         n > 0 && ((const char *)bytes)[n - 1] == 0 ? "\\0" : "");
                                r = sd_bus_message_exit_container(reply);
                        }
                } else if (r >= 0) {
                        r = sd_bus_message_skip(reply, "v");
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = 1;
        }
        if (r < 0)
                print_error(tag, &e, r);
        else
                printf("RESULT %s ok label=%s\n", tag, label);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_flush_close_unref(bus);
        return 0;
}

static int cmd_hello(const char *address, const char *tag)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = connect_bus(address, tag);
        int r;

        if (!bus)
                return 0;
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "GetId", &e, NULL, "");
        if (r < 0)
                print_error(tag, &e, r);
        else
                printf("RESULT %s ok\n", tag);
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return 0;
}

int main(int argc, char **argv)
{
        char ctx[256];

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc == 3 && strcmp(argv[1], "load") == 0)
                return cmd_load(argv[2]);
        if (argc >= 4 && strcmp(argv[1], "runcon") == 0)
                return cmd_runcon(argv[2], argv + 3);
        if (argc == 3 && strcmp(argv[1], "context") == 0) {
                own_context(ctx, sizeof(ctx));
                printf("RESULT %s %s\n", argv[2], ctx);
                return 0;
        }
        if (argc == 5 && strcmp(argv[1], "own") == 0)
                return cmd_own(argv[2], argv[3], argv[4]);
        if (argc == 5 && strcmp(argv[1], "serve") == 0)
                return cmd_serve(argv[2], argv[3], argv[4]);
        if (argc == 5 && strcmp(argv[1], "call") == 0)
                return call_string(argv[2], argv[3], "Ping", argv[4]);
        if (argc == 5 && strcmp(argv[1], "got") == 0)
                return call_string(argv[2], argv[3], "Got", argv[4]);
        if (argc == 4 && strcmp(argv[1], "quit") == 0)
                return call_string(argv[2], argv[3], "Quit", "quit");
        if (argc == 5 && strcmp(argv[1], "emit") == 0)
                return cmd_emit(argv[2], argv[3], argv[4]);
        if (argc == 5 && strcmp(argv[1], "creds") == 0)
                return cmd_creds(argv[2], argv[3], argv[4]);
        if (argc == 4 && strcmp(argv[1], "hello") == 0)
                return cmd_hello(argv[2], argv[3]);
        fprintf(stderr, "usage: see vm-client.c\n");
        return 2;
}
