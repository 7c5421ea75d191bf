/*
 * helper.c -- bh_helper: the connection to the VM bus, the caller check,
 * readiness and the event loop of a bulkhead helper.
 *
 * Must never: log, exit the process, or let a caller that is not QEMU's uid
 * reach a Save/Load callback (bh_helper_check_caller() fails closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include "helper/helper-private.h"
#include "util/macro.h"

#define _public_ __attribute__((visibility("default")))

static int helper_new(bh_helper **ret)
{
        bh_helper *h;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->qemu_uid = (uid_t)-1;
        h->ready_fd = -1;
        h->last_save.status = "none";
        h->last_load.status = "none";
        *ret = h;
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(bh_helper *, bh_helper_free)

static int helper_connect(bh_helper *h, const char *address)
{
        int r;

        r = sd_bus_new(&h->bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(h->bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(h->bus, 1);
        if (r < 0)
                return r;
        r = sd_bus_set_description(h->bus, "bulkhead-helper");
        if (r < 0)
                return r;
        r = sd_bus_start(h->bus);
        if (r < 0)
                return r;
        r = sd_event_new(&h->event);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(h->bus, h->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        /* a vanished bus ends bh_helper_run() instead of the process */
        return sd_bus_set_exit_on_disconnect(h->bus, 1);
}

_public_ int bh_helper_open_address(const char *address, bh_helper **ret)
{
        _cleanup_(bh_helper_freep) bh_helper *h = NULL;
        int r;

        if (!address || !*address || !ret)
                return -EINVAL;
        r = helper_new(&h);
        if (r < 0)
                return r;
        r = helper_connect(h, address);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

/* Parse BULKHEAD_QEMU_UID and BULKHEAD_READY_FD into @h. */
static int helper_read_env(bh_helper *h)
{
        const char *s;
        int fd, flags, r;

        s = getenv("BULKHEAD_QEMU_UID");
        if (s) {
                r = helper_parse_uid(s, &h->qemu_uid);
                if (r < 0)
                        return -EINVAL;
        }
        s = getenv("BULKHEAD_READY_FD");
        if (s) {
                r = helper_parse_fd(s, &fd);
                if (r < 0 || fd <= STDERR_FILENO)
                        return -EINVAL;
                flags = fcntl(fd, F_GETFD);
                if (flags < 0)
                        return -EBADF;
                /* children of the helper must not inherit the launcher's pipe */
                if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
                        return -errno;
                h->ready_fd = fd;
        }
        return 0;
}

_public_ int bh_helper_open(bh_helper **ret)
{
        _cleanup_(bh_helper_freep) bh_helper *h = NULL;
        const char *address;
        int r;

        if (!ret)
                return -EINVAL;
        address = getenv("BULKHEAD_BUS_ADDRESS");
        if (!address || !*address)
                address = getenv("DBUS_SESSION_BUS_ADDRESS");
        if (!address || !*address)
                return -ENXIO;
        r = bh_helper_open_address(address, &h);
        if (r < 0)
                return r;
        r = helper_read_env(h);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

_public_ bh_helper *bh_helper_free(bh_helper *h)
{
        if (!h)
                return NULL;
        vmstate_release(h);
        if (h->bus) {
                sd_bus_detach_event(h->bus);
                h->bus = sd_bus_flush_close_unref(h->bus);
        }
        h->event = sd_event_unref(h->event);
        safe_close(h->ready_fd);
        free(h);
        return NULL;
}

_public_ sd_bus *bh_helper_get_bus(bh_helper *h)
{
        return h ? h->bus : NULL;
}

_public_ sd_event *bh_helper_get_event(bh_helper *h)
{
        return h ? h->event : NULL;
}

_public_ int bh_helper_set_qemu_uid(bh_helper *h, uid_t uid)
{
        if (!h)
                return -EINVAL;
        h->qemu_uid = uid;
        return 0;
}

_public_ int bh_helper_check_caller(bh_helper *h, sd_bus_message *m, sd_bus_error *error)
{
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t euid;
        int r;

        if (!h || !m)
                return -EINVAL;
        if (h->qemu_uid == (uid_t)-1)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "No QEMU uid configured (BULKHEAD_QEMU_UID)");
        /* on a bus this is GetConnectionCredentials: the uid the bus saw at connect */
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot get caller credentials");
        r = sd_bus_creds_get_euid(creds, &euid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Caller uid unknown");
        if (euid != h->qemu_uid)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "uid %u may not call %s", (unsigned)euid,
                                         sd_bus_message_get_member(m) ?: "this");
        return 0;
}

_public_ int bh_helper_request_name(bh_helper *h, const char *name)
{
        if (!h || !name)
                return -EINVAL;
        /* flags 0: do not queue, do not replace */
        return sd_bus_request_name(h->bus, name, 0);
}

_public_ int bh_helper_notify_ready(bh_helper *h)
{
        static const char line[] = "READY\n";
        ssize_t n;
        int r = 0;

        if (!h)
                return -EINVAL;
        if (h->ready)
                return 0;
        /* everything queued so far (name requests, replies) reaches the bus first */
        r = sd_bus_flush(h->bus);
        if (r < 0)
                return r;
        if (h->ready_fd >= 0) {
                do
                        n = write(h->ready_fd, line, sizeof(line) - 1);
                while (n < 0 && errno == EINTR);
                h->ready_fd = safe_close(h->ready_fd);
                if (n != (ssize_t)sizeof(line) - 1)
                        return n < 0 ? -errno : -EIO;
        }
        if (getenv("NOTIFY_SOCKET")) {
                r = sd_notify(0, "READY=1");
                if (r < 0)
                        return r;
        }
        h->ready = true;
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        bh_helper *h = userdata;

        h->stopped_by_signal = true;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

_public_ int bh_helper_run(bh_helper *h)
{
        _cleanup_(sd_event_source_unrefp) sd_event_source *term = NULL, *intr = NULL;
        sigset_t mask;
        int r;

        if (!h)
                return -EINVAL;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        /* sd-event takes signals through a signalfd: they must be blocked */
        r = pthread_sigmask(SIG_BLOCK, &mask, NULL);
        if (r != 0)
                return -r;
        r = sd_event_add_signal(h->event, &term, SIGTERM, on_signal, h);
        if (r < 0)
                return r;
        r = sd_event_add_signal(h->event, &intr, SIGINT, on_signal, h);
        if (r < 0)
                return r;
        r = bh_helper_notify_ready(h);
        if (r < 0)
                return r;
        r = sd_event_loop(h->event);
        if (r < 0)
                return r;
        if (h->stopped_by_signal)
                return 0;
        if (h->exit_requested)
                return r;
        return -ECONNRESET;
}

_public_ int bh_helper_exit(bh_helper *h, int code)
{
        if (!h)
                return -EINVAL;
        h->exit_requested = true;
        return sd_event_exit(h->event, code);
}
