/*
 * demo-helper.c -- bulkhead-demo-helper: a small state helper on
 * libbulkhead-helper. Its state is a string a user reads and changes over
 * org.bulkhead.DemoHelper1 (/org/bulkhead/DemoHelper1: Get() -> s, Set(s),
 * property State) and that migrates with the VM through org.qemu.VMState1.
 *
 * BULKHEAD_DEMO_FAULT=save-fails|save-too-large|save-hangs|save-empty|load-fails makes it
 * misbehave on purpose, for tests of the launcher's migration checks.
 *
 * Must never: accept a state that is not valid UTF-8 without NUL (it is shown
 * as a D-Bus string) or larger than BH_VMSTATE_SIZE_MAX.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helper/bulkhead-helper.h"
#include "util/macro.h"

#define DEMO_PATH      "/org/bulkhead/DemoHelper1"
#define DEMO_INTERFACE "org.bulkhead.DemoHelper1"
/*
 * The migrated state is one format byte then the string: QEMU 7.2 cannot
 * migrate an empty state, and the byte lets a later version change the format.
 */
#define DEMO_FORMAT    0x01
#define DEMO_STATE_MAX (BH_VMSTATE_SIZE_MAX - 1)

typedef enum Fault {
        FAULT_NONE,
        FAULT_SAVE_FAILS,
        FAULT_SAVE_TOO_LARGE,
        FAULT_SAVE_HANGS,
        FAULT_SAVE_EMPTY,
        FAULT_LOAD_FAILS,
} Fault;

typedef struct Demo {
        bh_helper *helper;
        char *state;        /* NUL-terminated, valid UTF-8 */
        size_t size;        /* strlen(state) */
        const char *state_file; /* NULL: state lives in memory only */
        Fault fault;
} Demo;

/* parsed command line (the only global state, as in every main.c) */
static struct {
        const char *id;
        const char *state_file;
        const char *name;
} arg;

/* Is @data a string the demo can hold: valid UTF-8, no NUL, not too long? */
static int string_valid(const uint8_t *data, size_t size)
{
        if (size > DEMO_STATE_MAX || memchr(data, 0, size))
                return -EINVAL;
        /* sd-bus refuses invalid UTF-8 in strings: check the same rule up front */
        for (size_t i = 0; i < size;) {
                unsigned char c = data[i];
                size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
                             (c & 0xf8) == 0xf0 ? 4 : 0;
                uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;

                if (len == 0 || len > size - i)
                        return -EINVAL;
                for (size_t k = 1; k < len; k++) {
                        if ((data[i + k] & 0xc0) != 0x80)
                                return -EINVAL;
                        cp = (cp << 6) | (data[i + k] & 0x3f);
                }
                /* sd-bus also refuses noncharacters in strings: so do we */
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                    (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
                    cp > 0x10ffff || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
                        return -EINVAL;
                i += len;
        }
        return 0;
}

/* Validator for Load: the format byte, then a valid string. */
static int state_validate(void *userdata, const uint8_t *data, size_t size)
{
        if (size < 1 || data[0] != DEMO_FORMAT)
                return -EINVAL;
        return string_valid(data + 1, size - 1);
}

static int state_write_file(const Demo *d)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        size_t done = 0;

        if (!d->state_file)
                return 0;
        if (asprintf(&tmp, "%s.tmp", d->state_file) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        while (done < d->size) {
                ssize_t n = write(fd, d->state + done, d->size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                done += (size_t)n;
        }
        if (rename(tmp, d->state_file) < 0)
                return -errno;
        return 0;
}

/* Replace the state with a copy of @data (validated by the caller). */
static int state_set(Demo *d, const void *data, size_t size)
{
        char *copy;

        copy = malloc(size + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, data, size);
        copy[size] = 0;
        free(d->state);
        d->state = copy;
        d->size = size;
        (void)sd_bus_emit_properties_changed(bh_helper_get_bus(d->helper), DEMO_PATH,
                                             DEMO_INTERFACE, "State", NULL);
        return state_write_file(d);
}

static int state_read_file(Demo *d)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -1;
        size_t size = 0;
        ssize_t n;

        fd = open(d->state_file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        buf = malloc(DEMO_STATE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        while ((n = read(fd, buf + size, DEMO_STATE_MAX + 1 - size)) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                size += (size_t)n;
                if (size > DEMO_STATE_MAX)
                        return -EFBIG;
        }
        if (string_valid((const uint8_t *)buf, size) != 0)
                return -EINVAL;
        return state_set(d, buf, size);
}

static int vmstate_save(void *userdata, uint8_t **ret_data, size_t *ret_size)
{
        Demo *d = userdata;
        size_t size = 1 + d->size;
        uint8_t *copy;

        switch (d->fault) {
        case FAULT_SAVE_FAILS:
                fprintf(stderr, "bulkhead-demo-helper: Save fails (fault injected)\n");
                return -EIO;
        case FAULT_SAVE_HANGS:
                /* never answers; the test (or the launcher) kills us */
                fprintf(stderr, "bulkhead-demo-helper: Save hangs (fault injected)\n");
                for (;;)
                        pause();
        case FAULT_SAVE_TOO_LARGE:
                size = BH_VMSTATE_SIZE_MAX + 1;
                break;
        case FAULT_SAVE_EMPTY:
                /* what QEMU 7.2 cannot migrate: the library must refuse it */
                *ret_data = NULL;
                *ret_size = 0;
                return 0;
        default:
                break;
        }
        copy = calloc(1, size);
        if (!copy)
                return -ENOMEM;
        copy[0] = DEMO_FORMAT;
        memcpy(copy + 1, d->state, d->size);
        *ret_data = copy;
        *ret_size = size;
        return 0;
}

static int vmstate_load(void *userdata, const uint8_t *data, size_t size)
{
        Demo *d = userdata;

        if (d->fault == FAULT_LOAD_FAILS)
                return -EIO;
        /* validated: format byte, then the string */
        return state_set(d, data + 1, size - 1);
}

static int method_get(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Demo *d = userdata;

        return sd_bus_reply_method_return(m, "s", d->state);
}

static int method_set(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Demo *d = userdata;
        const char *s;
        int r;

        r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        if (strlen(s) > DEMO_STATE_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "State larger than %u bytes", DEMO_STATE_MAX);
        r = state_set(d, s, strlen(s));
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot store state: %s",
                                               strerror(-r));
        return sd_bus_reply_method_return(m, NULL);
}

static int property_state(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        Demo *d = userdata;

        return sd_bus_message_append(reply, "s", d->state);
}

static const sd_bus_vtable demo_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("Get", "", "", "s", SD_BUS_PARAM(state), method_get,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Set", "s", SD_BUS_PARAM(state), "", "", method_set,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("State", "s", property_state, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

static int parse_fault(const char *s, Fault *ret)
{
        static const struct {
                const char *name;
                Fault fault;
        } table[] = {
                { "save-fails", FAULT_SAVE_FAILS },
                { "save-too-large", FAULT_SAVE_TOO_LARGE },
                { "save-hangs", FAULT_SAVE_HANGS },
                { "save-empty", FAULT_SAVE_EMPTY },
                { "load-fails", FAULT_LOAD_FAILS },
        };

        if (!s || !*s) {
                *ret = FAULT_NONE;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(s, table[i].name) == 0) {
                        *ret = table[i].fault;
                        return 0;
                }
        return -EINVAL;
}

/*
 * The default well-known name: org.bulkhead.Demo.ID when ID can be the last
 * element of a bus name ([A-Za-z0-9_-], not starting with a digit), as the
 * VM specs in examples/ expect (owns = org.bulkhead.Demo.ID). NULL otherwise.
 */
static char *default_name(const char *id)
{
        char *name = NULL;

        if (!id[0] || (id[0] >= '0' && id[0] <= '9') || strlen(id) > 200)
                return NULL;
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
                        return NULL;
        if (asprintf(&name, "org.bulkhead.Demo.%s", id) < 0)
                return NULL;
        return name;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: bulkhead-demo-helper [--id ID] [--state-file FILE] [--name BUSNAME]\n"
                   "A demo state helper for a bulkhead VM (see bulkhead-demo-helper(1)).\n"
                   "ID defaults to $BULKHEAD_VMSTATE_ID, BUSNAME to org.bulkhead.Demo.ID.\n");
}

static int parse_argv(int argc, char **argv)
{
        static const struct option options[] = {
                { "id", required_argument, NULL, 'i' },
                { "state-file", required_argument, NULL, 's' },
                { "name", required_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'i':
                        arg.id = optarg;
                        break;
                case 's':
                        arg.state_file = optarg;
                        break;
                case 'n':
                        arg.name = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("bulkhead-demo-helper %s\n", BULKHEAD_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (!arg.id)
                arg.id = getenv("BULKHEAD_VMSTATE_ID");
        if (optind < argc || !arg.id) {
                usage(stderr);
                return -EINVAL;
        }
        return 1;
}

static int demo_start(Demo *d)
{
        _cleanup_free_ char *fallback = NULL;
        const char *name = arg.name;
        int r;

        if (!name)
                name = fallback = default_name(arg.id);

        r = bh_helper_open(&d->helper);
        if (r < 0) {
                fprintf(stderr, "bulkhead-demo-helper: cannot connect to the VM bus: %s\n",
                        strerror(-r));
                return r;
        }
        /* empty until the state file (if any) says otherwise; do not write it yet */
        d->state = strdup("");
        if (!d->state)
                return -ENOMEM;
        if (d->state_file)
                r = state_read_file(d);
        if (r < 0) {
                fprintf(stderr, "bulkhead-demo-helper: state file %s: %s\n", d->state_file,
                        strerror(-r));
                return r;
        }
        r = sd_bus_add_object_vtable(bh_helper_get_bus(d->helper), NULL, DEMO_PATH,
                                     DEMO_INTERFACE, demo_vtable, d);
        if (r >= 0 && name)
                r = bh_helper_request_name(d->helper, name);
        if (r < 0) {
                fprintf(stderr, "bulkhead-demo-helper: cannot export %s%s%s: %s\n",
                        DEMO_INTERFACE, name ? " or own its name " : "", name ?: "",
                        strerror(-r));
                return r;
        }
        r = bh_vmstate_export(d->helper, arg.id, vmstate_save, vmstate_load, d);
        if (r >= 0)
                r = bh_vmstate_set_validator(d->helper, state_validate);
        if (r < 0)
                fprintf(stderr, "bulkhead-demo-helper: cannot export VMState Id '%s': %s\n",
                        arg.id, strerror(-r));
        return r;
}

int main(int argc, char **argv)
{
        Demo d = {};
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (parse_fault(getenv("BULKHEAD_DEMO_FAULT"), &d.fault) < 0) {
                fprintf(stderr, "bulkhead-demo-helper: unknown BULKHEAD_DEMO_FAULT '%s'\n",
                        getenv("BULKHEAD_DEMO_FAULT"));
                return 2;
        }
        d.state_file = arg.state_file;
        r = demo_start(&d);
        if (r >= 0) {
                bh_vmstate_result save, load;

                r = bh_helper_run(d.helper);
                if (r < 0)
                        fprintf(stderr, "bulkhead-demo-helper: %s\n", strerror(-r));
                /* one line for the log: what QEMU last got from us, and gave us */
                if (bh_vmstate_get_last_save(d.helper, &save) >= 0 &&
                    bh_vmstate_get_last_load(d.helper, &load) >= 0)
                        fprintf(stderr,
                                "bulkhead-demo-helper: Save x%u last %s (%llu bytes), "
                                "Load x%u last %s (%llu bytes)\n",
                                save.count, save.status, (unsigned long long)save.size,
                                load.count, load.status, (unsigned long long)load.size);
        }
        bh_helper_free(d.helper);
        free(d.state);
        return r < 0 ? 1 : 0;
}
