/*
 * bulkhead-main.c -- the `bulkhead` command: argument parsing and output only.
 * Everything real lives in src/launcher/. The subcommand table below is the
 * one place a new command is added.
 *
 * Must never: hold state beyond the parsed arguments, or print to stdout
 * anything but a command's result (logs go to stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd-display.h"
#include "launcher/check.h"
#include "launcher/launcher.h"
#include "launcher/plan.h"
#include "launcher/policygen.h"
#include "launcher/runtime.h"
#include "launcher/vmspec.h"
#include "util/log.h"

typedef struct Args {
        BusFlavour flavour;
        bool flavour_given;
        char bus_binary[PATH_MAX];
        bool no_sandbox;
} Args;

typedef int (*CommandFn)(Args *a, int argc, char **argv, Log *log);

static void usage(FILE *f)
{
        fputs("Usage: bulkhead [--bus=bulkhead-bus|dbus-daemon] COMMAND [ARGS]\n"
              "\n"
              "Run a QEMU VM as confined processes joined by a private D-Bus bus.\n"
              "\n"
              "Commands:\n"
              "  run SPEC [--detach] [--incoming URI]  start the VM described by SPEC\n"
              "  ps [--json]                            list running VMs and their processes\n"
              "  stop VM                                stop a VM; nothing is left behind\n"
              "  migrate VM URI                         migrate with the helpers' state, checked\n"
              "  policy SPEC                            print the generated bus policy (XML)\n"
              "  check SPEC                             audit SPEC against the security guides\n"
              "  screenshot VM FILE.png                 save the VM's screen (display = dbus)\n"
              "  watch VM DIR [--fps=N]                 write a frame to DIR when the screen changes\n"
              "  help, --help                           this text;  --version\n"
              "\n"
              "Exit status: 0 ok, 1 failure or check errors, 2 usage, 3 invalid spec,\n"
              "4 no such VM, 5 start failed, 6 QEMU failed. See bulkhead(1), bulkhead-vm(5).\n",
              f);
}

static int load_spec(const char *path, VmSpec **ret, Log *log)
{
        _cleanup_free_ char *err = NULL;
        int r = vmspec_load(path, ret, &err);

        if (r > 0) {
                log_err(log, "%s", err ? err : path);
                return BULKHEAD_EXIT_SPEC;
        }
        if (r < 0) {
                log_err(log, "%s: %s", path, strerror(-r));
                return BULKHEAD_EXIT_FAILURE;
        }
        return 0;
}

/* resolve the default bus: bulkhead-bus beside this program, else dbus-daemon */
static void pick_bus(Args *a, Log *log)
{
        char self[PATH_MAX];
        const char *env = getenv("BULKHEAD_BUS");
        ssize_t n;

        if (env && *env)
                snprintf(a->bus_binary, sizeof(a->bus_binary), "%s", env);
        else if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
                self[n] = 0;
                snprintf(a->bus_binary, sizeof(a->bus_binary), "%s/bulkhead-bus", dirname(self));
        }
        if (a->flavour_given)
                return;
        if (a->bus_binary[0] && access(a->bus_binary, X_OK) == 0) {
                a->flavour = BUS_FLAVOUR_BULKHEAD;
                return;
        }
        log_notice(log, "bulkhead-bus not found (%s): falling back to dbus-daemon",
                   a->bus_binary[0] ? a->bus_binary : "?");
        a->flavour = BUS_FLAVOUR_DBUS_DAEMON;
}

static int cmd_policy(Args *a, int argc, char **argv, Log *log)
{
        _cleanup_(vmspec_freep) VmSpec *s = NULL;
        _cleanup_free_ char *base = NULL, *listen = NULL, *xml = NULL, *err = NULL;
        IdentityPlan plan;
        bool priv = geteuid() == 0;
        int r;

        if (argc != 2) {
                fputs("Usage: bulkhead policy SPEC\n", stderr);
                return BULKHEAD_EXIT_USAGE;
        }
        r = load_spec(argv[1], &s, log);
        if (r)
                return r;
        r = plan_identities(s, priv, geteuid(), getegid(), s->uid_first, &plan);
        if (r == PLAN_E_NOT_ROOT) {
                log_err(log, "not root: identity = %s cannot run (same-uid only); showing nothing",
                        identity_scenario_to_string(s->identity));
                return BULKHEAD_EXIT_FAILURE;
        }
        if (r == PLAN_E_NO_UIDS) {
                log_err(log, "running as root needs uids = FIRST-LAST in [vm]");
                return BULKHEAD_EXIT_FAILURE;
        }
        if (runtime_base(&base) < 0 || asprintf(&listen, "unix:path=%s/%s/bus/socket", base, s->name) < 0) {
                log_err(log, "no runtime directory (set BULKHEAD_RUNTIME_DIR or XDG_RUNTIME_DIR)");
                return BULKHEAD_EXIT_FAILURE;
        }
        r = policygen_build(s, &plan, a->flavour, listen, launcher_user_name, &xml, &err);
        if (r != 0) {
                log_err(log, "%s", r > 0 && err ? err : strerror(-r));
                return BULKHEAD_EXIT_FAILURE;
        }
        fputs(xml, stdout);
        return fflush(stdout) == 0 ? 0 : BULKHEAD_EXIT_FAILURE;
}

static void print_finding(void *userdata, CheckSeverity sev, const char *rule, unsigned line, const char *text)
{
        const VmSpec *s = userdata;

        if (line)
                printf("%s:%u: %s [%s]: %s\n", s->file, line, check_severity_to_string(sev), rule, text);
        else
                printf("%s: %s [%s]: %s\n", s->file, check_severity_to_string(sev), rule, text);
}

static int cmd_check(Args *a, int argc, char **argv, Log *log)
{
        _cleanup_(vmspec_freep) VmSpec *s = NULL;
        _cleanup_free_ char *base = NULL;
        CheckContext ctx = { .privileged = geteuid() == 0, .flavour = a->flavour,
                             .name_user = launcher_user_name };
        int r;

        if (argc != 2) {
                fputs("Usage: bulkhead check SPEC\n", stderr);
                return BULKHEAD_EXIT_USAGE;
        }
        r = load_spec(argv[1], &s, log);
        if (r)
                return r;
        if (runtime_base(&base) == 0)
                ctx.runtime_base = base;
        r = check_spec(s, &ctx, print_finding, s);
        fflush(stdout);
        return r > 0 ? BULKHEAD_EXIT_FAILURE : 0;
}

static int cmd_run(Args *a, int argc, char **argv, Log *log)
{
        static const struct option opts[] = {
                { "detach", no_argument, NULL, 'd' },
                { "incoming", required_argument, NULL, 'i' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        LaunchOptions o = { .flavour = a->flavour, .bus_binary = a->bus_binary, .no_sandbox = a->no_sandbox };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+di:h", opts, NULL)) >= 0) {
                switch (c) {
                case 'd': o.detach = true; break;
                case 'i': o.incoming = optarg; break;
                case 'h':
                        puts("Usage: bulkhead run SPEC [--detach] [--incoming URI]");
                        return 0;
                default: return BULKHEAD_EXIT_USAGE;
                }
        }
        if (optind != argc - 1) {
                fputs("Usage: bulkhead run SPEC [--detach] [--incoming URI]\n", stderr);
                return BULKHEAD_EXIT_USAGE;
        }
        o.spec_path = argv[optind];
        return launcher_run(&o, log);
}

static int cmd_ps(Args *a, int argc, char **argv, Log *log)
{
        bool json = false;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--json"))
                        json = true;
                else {
                        fputs("Usage: bulkhead ps [--json]\n", stderr);
                        return BULKHEAD_EXIT_USAGE;
                }
        }
        return launcher_ps(json, log);
}

static int cmd_stop(Args *a, int argc, char **argv, Log *log)
{
        if (argc != 2) {
                fputs("Usage: bulkhead stop VM\n", stderr);
                return BULKHEAD_EXIT_USAGE;
        }
        return launcher_stop(argv[1], log);
}

static int cmd_migrate(Args *a, int argc, char **argv, Log *log)
{
        if (argc != 3) {
                fputs("Usage: bulkhead migrate VM URI   (URI: exec:CMD, file:PATH, unix:PATH, tcp:HOST:PORT)\n",
                      stderr);
                return BULKHEAD_EXIT_USAGE;
        }
        return launcher_migrate(argv[1], argv[2], log);
}

static int cmd_help(Args *a, int argc, char **argv, Log *log)
{
        usage(stdout);
        return 0;
}

/* the display client (src/display via cli/cmd-display.c); VM names resolve to their bus */
static int cmd_display_screenshot(Args *a, int argc, char **argv, Log *log)
{
        return cmd_screenshot(argc, argv, launcher_vm_bus_address);
}

static int cmd_display_watch(Args *a, int argc, char **argv, Log *log)
{
        return cmd_watch(argc, argv, launcher_vm_bus_address);
}

static const struct {
        const char *name;
        CommandFn fn;
        bool needs_bus; /* resolves the default bus flavour first */
} commands[] = {
        { "run", cmd_run, true },
        { "ps", cmd_ps, false },
        { "stop", cmd_stop, false },
        { "migrate", cmd_migrate, false },
        { "policy", cmd_policy, false },
        { "check", cmd_check, false },
        { "screenshot", cmd_display_screenshot, false },
        { "watch", cmd_display_watch, false },
        { "help", cmd_help, false },
};

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "bus", required_argument, NULL, 'b' },
                { "no-sandbox", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'v' },
                {},
        };
        Args a = { .flavour = BUS_FLAVOUR_BULKHEAD };
        Log log = LOG_INIT("bulkhead");
        int c;

        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) >= 0) {
                switch (c) {
                case 'b':
                        if (!strcmp(optarg, "bulkhead-bus"))
                                a.flavour = BUS_FLAVOUR_BULKHEAD;
                        else if (!strcmp(optarg, "dbus-daemon"))
                                a.flavour = BUS_FLAVOUR_DBUS_DAEMON;
                        else {
                                fprintf(stderr, "bulkhead: --bus: expected bulkhead-bus or dbus-daemon\n");
                                return BULKHEAD_EXIT_USAGE;
                        }
                        a.flavour_given = true;
                        break;
                case 'n': a.no_sandbox = true; break;
                case 'h': usage(stdout); return 0;
                case 'v': puts("bulkhead " BULKHEAD_VERSION); return 0;
                default: usage(stderr); return BULKHEAD_EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return BULKHEAD_EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                if (strcmp(argv[optind], commands[i].name) != 0)
                        continue;
                if (commands[i].needs_bus)
                        pick_bus(&a, &log);
                return commands[i].fn(&a, argc - optind, argv + optind, &log);
        }
        fprintf(stderr, "bulkhead: unknown command \"%s\" (see bulkhead --help)\n", argv[optind]);
        return BULKHEAD_EXIT_USAGE;
}
