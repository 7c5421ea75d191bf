/*
 * display.c -- the Display session: one VM bus connection, one peer-to-peer
 * listener connection to QEMU, one sd-event loop driving both. See display.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include "display/display.h"
#include "display/framebuffer.h"
#include "util/macro.h"

#define QEMU_NAME        "org.qemu"
#define VM_PATH          "/org/qemu/Display1/VM"
#define VM_IFACE         "org.qemu.Display1.VM"
#define CONSOLE_IFACE    "org.qemu.Display1.Console"
#define LISTENER_PATH    "/org/qemu/Display1/Listener"
#define LISTENER_IFACE   "org.qemu.Display1.Listener"
#define SIZE_POLL_USEC   (250 * 1000ULL)
#define MAX_REREGISTER   16

typedef struct Display {
        const DisplayOptions *opt;
        sd_event *event;
        sd_bus *bus;              /* the VM bus */
        sd_bus *p2p;              /* listener connection, QEMU is the server */
        sd_event_source *poll_timer, *settle_timer, *deadline, *drain;
        char console_path[64];
        Framebuffer fb;
        bool registered;
        bool poll_pending;        /* a size query is on its way */
        bool p2p_lost;            /* listener connection closed before registration ended */
        bool size_changed;        /* frame size disagrees with the console's */
        unsigned reregistrations;
        int result;               /* set when the loop should end */
        char *error;              /* message for the user */
        /* screenshot */
        const char *png_path;
        /* watch */
        const char *dir;
        unsigned frames;
        uint64_t written_generation;
        uint64_t last_write_usec;
} Display;

static int display_register(Display *d);

static void display_fail(Display *d, int code, const char *fmt, ...) _printf_(3, 4);
static void display_fail(Display *d, int code, const char *fmt, ...)
{
        va_list ap;

        if (!d->error) {
                va_start(ap, fmt);
                if (vasprintf(&d->error, fmt, ap) < 0)
                        d->error = NULL;
                va_end(ap);
        }
        d->result = code;
        sd_event_exit(d->event, code);
}

static void display_log(const Display *d, const char *fmt, ...) _printf_(2, 3);
static void display_log(const Display *d, const char *fmt, ...)
{
        va_list ap;

        if (d->opt->log_fd < 0)
                return;
        va_start(ap, fmt);
        vdprintf(d->opt->log_fd, fmt, ap);
        va_end(ap);
}

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- what to do when the picture changed ---------------------------------------------- */

static int write_frame(Display *d)
{
        char path[4096];
        int r;

        if (d->fb.generation == d->written_generation)
                return 0;
        if (d->png_path)
                snprintf(path, sizeof(path), "%s", d->png_path);
        else
                snprintf(path, sizeof(path), "%s/frame-%06u.png", d->dir, d->frames);
        r = framebuffer_write_png(&d->fb, path);
        if (r) {
                display_fail(d, r < 0 ? r : -EIO, "cannot write %s: %s", path,
                             r < 0 ? strerror(-r) : display_strerror(r));
                return r;
        }
        d->written_generation = d->fb.generation;
        d->last_write_usec = now_usec();
        d->frames++;
        display_log(d, "%s: %ux%u\n", path, d->fb.width, d->fb.height);
        return 0;
}

static int on_settle(sd_event_source *s, uint64_t usec, void *userdata)
{
        Display *d = userdata;

        if (d->size_changed)
                return 0; /* a re-registration is under way; its Scanout re-arms us */
        if (write_frame(d))
                return 0;
        if (d->png_path || (d->opt->max_frames && d->frames >= d->opt->max_frames)) {
                d->result = 0;
                sd_event_exit(d->event, 0);
        }
        return 0;
}

/* Arm the timer that writes: after settle_ms of quiet (screenshot), or at the next
 * moment the frame rate allows (watch). */
static void picture_changed(Display *d)
{
        uint64_t when = now_usec() + (uint64_t)d->opt->settle_ms * 1000ULL;

        if (!d->png_path && d->opt->max_fps) {
                uint64_t next = d->last_write_usec + 1000000ULL / d->opt->max_fps;
                if (d->frames > 0 && next > now_usec())
                        when = next;
                else
                        when = now_usec() + 20000; /* let an Update burst finish */
                if (d->settle_timer && sd_event_source_get_enabled(d->settle_timer, NULL) > 0)
                        return; /* already armed: keep the earlier deadline */
        }
        if (!d->settle_timer) {
                if (sd_event_add_time(d->event, &d->settle_timer, CLOCK_MONOTONIC, when, 1000,
                                      on_settle, d) < 0)
                        display_fail(d, -ENOMEM, "cannot arm a timer");
                return;
        }
        sd_event_source_set_time(d->settle_timer, when);
        sd_event_source_set_enabled(d->settle_timer, SD_EVENT_ONESHOT);
}

/* ---- org.qemu.Display1.Listener, served to QEMU ---------------------------------------- */

static int on_scanout(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
        Display *d = userdata;
        uint32_t w, h, stride, format;
        const void *data;
        size_t len;
        int r;

        r = sd_bus_message_read(m, "uuuu", &w, &h, &stride, &format);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 'y', &data, &len);
        if (r < 0)
                return r;
        display_log(d, "scanout %ux%u stride %u format %#x len %zu\n", w, h, stride, format, len);
        r = framebuffer_scanout(&d->fb, w, h, stride, format, data, len);
        if (r)
                return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "bad scanout: %s",
                                         display_strerror(r));
        d->size_changed = false;
        picture_changed(d);
        return sd_bus_reply_method_return(m, NULL);
}

static int on_update(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
        Display *d = userdata;
        int32_t x, y, w, h;
        uint32_t stride, format;
        const void *data;
        size_t len;
        int r;

        r = sd_bus_message_read(m, "iiiiuu", &x, &y, &w, &h, &stride, &format);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 'y', &data, &len);
        if (r < 0)
                return r;
        r = framebuffer_update(&d->fb, x, y, w, h, stride, format, data, len);
        if (r == FB_E_OUTSIDE) {
                /* QEMU 7.2 changed mode without a Scanout: ask again */
                d->size_changed = true;
        } else if (r) {
                return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "bad update: %s",
                                         display_strerror(r));
        } else if (!d->png_path) {
                picture_changed(d); /* a screenshot waits from its Scanout only: a
                                     * blinking cursor never lets the screen settle */
        }
        return sd_bus_reply_method_return(m, NULL);
}

static int on_scanout_dmabuf(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
        return sd_bus_error_set(err, SD_BUS_ERROR_NOT_SUPPORTED,
                                "bulkhead reads only shared-memory scanouts");
}

static int on_ignored(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
        return sd_bus_reply_method_return(m, NULL);
}

static int get_interfaces(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *err)
{
        return sd_bus_message_append(reply, "as", 0);
}

static const sd_bus_vtable listener_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Scanout", "uuuuay", "", on_scanout, 0),
        SD_BUS_METHOD("Update", "iiiiuuay", "", on_update, 0),
        SD_BUS_METHOD("ScanoutDMABUF", "huuuutb", "", on_scanout_dmabuf, 0),
        SD_BUS_METHOD("UpdateDMABUF", "iiii", "", on_ignored, 0),
        SD_BUS_METHOD("Disable", "", "", on_ignored, 0),
        SD_BUS_METHOD("MouseSet", "iii", "", on_ignored, 0),
        SD_BUS_METHOD("CursorDefine", "iiiiay", "", on_ignored, 0),
        SD_BUS_PROPERTY("Interfaces", "as", get_interfaces, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END
};

/* ---- registering, and registering again after a mode change ----------------------------- */

static int on_register_reply(sd_bus_message *reply, void *userdata, sd_bus_error *unused)
{
        Display *d = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e) {
                display_fail(d, DISPLAY_E_REFUSED, "RegisterListener on %s refused: %s: %s",
                             d->console_path, e->name, e->message ? e->message : "");
                return 0;
        }
        d->registered = true;
        if (d->p2p_lost)
                display_fail(d, DISPLAY_E_DISCONNECTED, "QEMU closed the display connection");
        return 0;
}

static int on_p2p_disconnect(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
        Display *d = userdata;

        if (d->size_changed)
                return 0; /* we closed it ourselves */
        if (!d->registered) {
                /* A refused RegisterListener also ends here (the bus dropped the fd):
                 * let its error reply tell the user why. */
                d->p2p_lost = true;
                return 0;
        }
        display_fail(d, DISPLAY_E_DISCONNECTED, "QEMU closed the display connection");
        return 0;
}

/*
 * After every loop iteration, let the listener connection process what it has
 * buffered: QEMU's first call often arrives in the same read as the end of the
 * handshake, and sd-bus does not wake up again for bytes already read.
 */
static int on_drain(sd_event_source *s, void *userdata)
{
        Display *d = userdata;

        while (d->p2p && sd_bus_process(d->p2p, NULL) > 0)
                ;
        return 0;
}

static void drop_p2p(Display *d)
{
        if (d->p2p) {
                sd_bus_detach_event(d->p2p);
                d->p2p = sd_bus_flush_close_unref(d->p2p);
        }
        d->registered = false;
        d->p2p_lost = false;
}

static int display_register(Display *d)
{
        int sv[2];
        int r;

        drop_p2p(d);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return -errno;
        r = sd_bus_new(&d->p2p);
        if (r >= 0)
                r = sd_bus_set_fd(d->p2p, sv[0], sv[0]);
        if (r < 0) {
                safe_close(sv[0]);
                safe_close(sv[1]);
                return r;
        }
        r = sd_bus_add_object_vtable(d->p2p, NULL, LISTENER_PATH, LISTENER_IFACE,
                                     listener_vtable, d);
        if (r >= 0)
                r = sd_bus_match_signal(d->p2p, NULL, "org.freedesktop.DBus.Local", NULL,
                                        "org.freedesktop.DBus.Local", "Disconnected",
                                        on_p2p_disconnect, d);
        if (r >= 0)
                r = sd_bus_start(d->p2p);
        if (r >= 0)
                r = sd_bus_attach_event(d->p2p, d->event, 0);
        /* The handshake on p2p and this call proceed together in our loop. */
        if (r >= 0)
                r = sd_bus_call_method_async(d->bus, NULL, QEMU_NAME, d->console_path,
                                             CONSOLE_IFACE, "RegisterListener", on_register_reply,
                                             d, "h", sv[1]);
        safe_close(sv[1]); /* the message holds its own copy */
        return r < 0 ? r : 0;
}

/* Read Width and Height from the reply to Properties.GetAll(Console). */
static int parse_console_size(sd_bus_message *m, uint32_t *ret_w, uint32_t *ret_h)
{
        uint32_t w = 0, h = 0;
        const char *key;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && (strcmp(key, "Width") == 0 || strcmp(key, "Height") == 0))
                        r = sd_bus_message_read(m, "v", "u", key[0] == 'W' ? &w : &h);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r < 0)
                return r;
        if (w == 0 || h == 0)
                return -EBADMSG;
        *ret_w = w;
        *ret_h = h;
        return 0;
}

static int on_console_size(sd_bus_message *m, void *userdata, sd_bus_error *unused)
{
        Display *d = userdata;
        uint32_t w, h;

        d->poll_pending = false;
        if (sd_bus_message_is_method_error(m, NULL) || parse_console_size(m, &w, &h) < 0) {
                display_fail(d, DISPLAY_E_DISCONNECTED, "QEMU left the bus");
                return 0;
        }
        if (d->fb.rgb && (w != d->fb.width || h != d->fb.height))
                d->size_changed = true;
        if (d->size_changed && d->registered) {
                if (++d->reregistrations > MAX_REREGISTER) {
                        display_fail(d, DISPLAY_E_REFUSED, "the console keeps changing size");
                        return 0;
                }
                display_log(d, "console is now %ux%u: registering again\n", w, h);
                if (display_register(d) < 0)
                        display_fail(d, DISPLAY_E_REFUSED, "cannot register again");
        }
        return 0;
}

/*
 * Every SIZE_POLL_USEC, ask the console's size -- asynchronously: QEMU 7.2
 * makes synchronous calls back to our listener inside and right after
 * RegisterListener, so any blocking call from us could deadlock with it.
 */
static int on_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
        Display *d = userdata;
        int r;

        sd_event_source_set_time(s, usec + SIZE_POLL_USEC);
        if (!d->registered || d->poll_pending)
                return 0;
        r = sd_bus_call_method_async(d->bus, NULL, QEMU_NAME, d->console_path,
                                     "org.freedesktop.DBus.Properties", "GetAll",
                                     on_console_size, d, "s", CONSOLE_IFACE);
        if (r < 0)
                display_fail(d, r, "cannot ask the console size: %s", strerror(-r));
        else
                d->poll_pending = true;
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        Display *d = userdata;

        if (!d->png_path && d->frames > 0) {
                d->result = 0;
                sd_event_exit(d->event, 0);
                return 0;
        }
        display_fail(d, DISPLAY_E_TIMEOUT, "no picture from %s within %u ms", d->console_path,
                     d->opt->timeout_ms);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Display *d = userdata;

        d->result = 0;
        sd_event_exit(d->event, 0);
        return 0;
}

/* ---- finding the console ---------------------------------------------------------------- */

static int console_is_graphic(Display *d, uint32_t id)
{
        sd_bus_error err = SD_BUS_ERROR_NULL;
        char path[64];
        char *type = NULL;
        int r;

        snprintf(path, sizeof(path), "/org/qemu/Display1/Console_%u", id);
        r = sd_bus_get_property_string(d->bus, QEMU_NAME, path, CONSOLE_IFACE, "Type", &err,
                                       &type);
        sd_bus_error_free(&err);
        if (r < 0)
                return r;
        r = strcmp(type, "Graphic") == 0;
        free(type);
        return r;
}

static int find_console(Display *d)
{
        sd_bus_error err = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const uint32_t *ids;
        size_t n = 0;
        int r, found = -1;

        if (d->opt->console >= 0) {
                snprintf(d->console_path, sizeof(d->console_path),
                         "/org/qemu/Display1/Console_%d", d->opt->console);
                return 0;
        }
        r = sd_bus_get_property(d->bus, QEMU_NAME, VM_PATH, VM_IFACE, "ConsoleIDs", &err,
                                &reply, "au");
        if (r >= 0)
                r = sd_bus_message_read_array(reply, 'u', (const void **)&ids, &n);
        if (r < 0) {
                display_fail(d, DISPLAY_E_NO_CONSOLE, "no QEMU display on this bus: %s",
                             err.message ? err.message : strerror(-r));
                goto out;
        }
        n /= sizeof(uint32_t);
        for (size_t i = 0; i < n && found < 0; i++)
                if (console_is_graphic(d, ids[i]) > 0)
                        found = (int)ids[i];
        if (found < 0) {
                display_fail(d, DISPLAY_E_NO_CONSOLE, "QEMU has no graphic console");
                r = DISPLAY_E_NO_CONSOLE;
                goto out;
        }
        snprintf(d->console_path, sizeof(d->console_path), "/org/qemu/Display1/Console_%d",
                 found);
        r = 0;
out:
        sd_bus_error_free(&err);
        sd_bus_message_unref(reply);
        return r < 0 ? DISPLAY_E_NO_CONSOLE : r;
}

/* ---- the session ------------------------------------------------------------------------ */

static void display_deinit(Display *d)
{
        drop_p2p(d);
        sd_event_source_unref(d->poll_timer);
        sd_event_source_unref(d->settle_timer);
        sd_event_source_unref(d->deadline);
        sd_event_source_unref(d->drain);
        if (d->bus) {
                sd_bus_detach_event(d->bus);
                d->bus = sd_bus_flush_close_unref(d->bus);
        }
        d->event = sd_event_unref(d->event);
        framebuffer_deinit(&d->fb);
}

static int display_run(Display *d, char **ret_error)
{
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_new(&d->event);
        if (r >= 0)
                r = sd_bus_new(&d->bus);
        if (r >= 0)
                r = sd_bus_set_address(d->bus, d->opt->bus_address);
        if (r >= 0)
                r = sd_bus_set_bus_client(d->bus, 1);
        if (r >= 0)
                r = sd_bus_negotiate_fds(d->bus, 1);
        if (r >= 0)
                r = sd_bus_start(d->bus);
        if (r >= 0)
                r = sd_bus_attach_event(d->bus, d->event, 0);
        if (r < 0) {
                display_fail(d, r, "cannot connect to %s: %s", d->opt->bus_address,
                             strerror(-r));
                goto out;
        }
        sd_event_add_signal(d->event, NULL, SIGINT, on_signal, d);
        sd_event_add_signal(d->event, NULL, SIGTERM, on_signal, d);
        r = find_console(d);
        if (r)
                goto out;
        r = display_register(d);
        if (r < 0) {
                display_fail(d, r, "cannot register a listener: %s", strerror(-r));
                goto out;
        }
        r = sd_event_add_time(d->event, &d->poll_timer, CLOCK_MONOTONIC,
                              now_usec() + SIZE_POLL_USEC, 1000, on_poll, d);
        if (r >= 0) /* time sources are one-shot by default; this one repeats */
                r = sd_event_source_set_enabled(d->poll_timer, SD_EVENT_ON);
        if (r >= 0)
                r = sd_event_add_post(d->event, &d->drain, on_drain, d);
        if (r >= 0 && d->opt->timeout_ms)
                r = sd_event_add_time(d->event, &d->deadline, CLOCK_MONOTONIC,
                                      now_usec() + (uint64_t)d->opt->timeout_ms * 1000ULL, 1000,
                                      on_deadline, d);
        if (r < 0) {
                display_fail(d, r, "cannot arm timers");
                goto out;
        }
        r = sd_event_loop(d->event);
        if (r < 0 && d->result == 0)
                d->result = r;
out:
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        r = d->result;
        if (r && ret_error && d->error)
                *ret_error = TAKE_PTR(d->error);
        free(d->error);
        display_deinit(d);
        return r;
}

/**
 * display_screenshot() - see display.h.
 */
int display_screenshot(const DisplayOptions *o, const char *png_path, char **ret_error)
{
        Display d = { .opt = o, .png_path = png_path };

        return display_run(&d, ret_error);
}

/**
 * display_watch() - see display.h.
 */
int display_watch(const DisplayOptions *o, const char *dir, unsigned *ret_frames,
                  char **ret_error)
{
        Display d = { .opt = o, .dir = dir };
        int r;

        r = display_run(&d, ret_error);
        if (ret_frames)
                *ret_frames = d.frames;
        return r;
}

/**
 * display_strerror() - see display.h.
 */
const char *display_strerror(int code)
{
        switch (code) {
        case FB_E_BAD_SIZE: return "bad frame size";
        case FB_E_BAD_FORMAT: return "unsupported pixel format";
        case FB_E_SHORT_DATA: return "pixel data shorter than its size says";
        case FB_E_OUTSIDE: return "update outside the frame";
        case FB_E_NO_FRAME: return "no frame yet";
        case DISPLAY_E_NO_CONSOLE: return "no graphic console";
        case DISPLAY_E_TIMEOUT: return "timed out";
        case DISPLAY_E_REFUSED: return "listener refused";
        case DISPLAY_E_DISCONNECTED: return "QEMU disconnected";
        default: return code < 0 ? strerror(-code) : "unknown error";
        }
}
