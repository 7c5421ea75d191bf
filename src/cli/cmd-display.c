/*
 * cmd-display.c -- the display client's command lines: argument parsing and
 * output only; the work is in src/display/.
 *
 *   bulkhead screenshot [OPTIONS] VM FILE.png
 *   bulkhead watch [OPTIONS] VM DIR
 *   (--address=ADDR instead of VM talks to any bus directly)
 *
 * Exit codes: 0 done, 1 failed (QEMU refused, timed out, no console), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cmd-display.h"
#include "display/display.h"
#include "util/macro.h"

static int parse_uint(const char *s, unsigned *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > 1000000000UL)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

static void usage(FILE *f, const char *cmd)
{
        fprintf(f,
                "usage: bulkhead %s [OPTIONS] (VM | --address=ADDR) %s\n"
                "  --address=ADDR   the bus to use instead of the VM's\n"
                "  --console=N      console id (default: the first graphic console)\n"
                "  --timeout=MS     give up after MS milliseconds (%s)\n"
                "%s",
                cmd, strcmp(cmd, "watch") ? "FILE.png" : "DIR",
                strcmp(cmd, "watch") ? "default 10000" : "default: run until SIGINT/SIGTERM",
                strcmp(cmd, "watch") ? ""
                                     : "  --fps=N          at most N frames a second (default 2)\n"
                                       "  --frames=N       stop after N frames\n");
}

/* Parse the options shared by both commands; fills *o and the two positionals. */
static int parse(int argc, char **argv, const char *cmd, DisplayOptions *o, const char **ret_vm,
                 const char **ret_out)
{
        static const struct option opts[] = {
                { "address", required_argument, NULL, 'a' },
                { "console", required_argument, NULL, 'c' },
                { "timeout", required_argument, NULL, 't' },
                { "fps", required_argument, NULL, 'f' },
                { "frames", required_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        unsigned v;
        int c, want;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'a':
                        o->bus_address = optarg;
                        break;
                case 'c':
                        if (parse_uint(optarg, &v) < 0 || v > 255)
                                goto bad;
                        o->console = (int)v;
                        break;
                case 't':
                        if (parse_uint(optarg, &o->timeout_ms) < 0)
                                goto bad;
                        break;
                case 'f':
                        if (parse_uint(optarg, &o->max_fps) < 0 || o->max_fps == 0)
                                goto bad;
                        break;
                case 'n':
                        if (parse_uint(optarg, &o->max_frames) < 0)
                                goto bad;
                        break;
                case 'h':
                        usage(stdout, cmd);
                        return 1;
                default:
                        usage(stderr, cmd);
                        return -EINVAL;
                }
        }
        want = o->bus_address ? 1 : 2;
        if (argc - optind != want) {
                usage(stderr, cmd);
                return -EINVAL;
        }
        *ret_vm = o->bus_address ? NULL : argv[optind];
        *ret_out = argv[argc - 1];
        return 0;
bad:
        fprintf(stderr, "bulkhead %s: bad value for %s: %s\n", cmd,
                argv[optind - 1], optarg);
        return -EINVAL;
}

static int run(int argc, char **argv, VmAddressResolver resolve, bool watch)
{
        const char *cmd = watch ? "watch" : "screenshot";
        DisplayOptions o = DISPLAY_OPTIONS_INIT;
        _cleanup_free_ char *address = NULL, *error = NULL;
        const char *vm, *out;
        unsigned frames = 0;
        int r;

        if (watch)
                o.timeout_ms = 0;
        r = parse(argc, argv, cmd, &o, &vm, &out);
        if (r)
                return r > 0 ? 0 : 2;
        if (vm) {
                r = resolve ? resolve(vm, &address) : -ENOENT;
                if (r < 0) {
                        fprintf(stderr, "bulkhead %s: no running VM named '%s': %s\n", cmd, vm,
                                strerror(-r));
                        return 1;
                }
                o.bus_address = address;
        }
        o.log_fd = watch ? 1 : -1;
        r = watch ? display_watch(&o, out, &frames, &error) : display_screenshot(&o, out, &error);
        if (r) {
                fprintf(stderr, "bulkhead %s: %s\n", cmd, error ? error : display_strerror(r));
                return 1;
        }
        if (watch)
                printf("%u frames written to %s\n", frames, out);
        else
                printf("%s\n", out);
        return 0;
}

/** cmd_screenshot() - `bulkhead screenshot`; returns the exit code. */
int cmd_screenshot(int argc, char **argv, VmAddressResolver resolve)
{
        return run(argc, argv, resolve, false);
}

/** cmd_watch() - `bulkhead watch`; returns the exit code. */
int cmd_watch(int argc, char **argv, VmAddressResolver resolve)
{
        return run(argc, argv, resolve, true);
}
