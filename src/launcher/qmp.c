/*
 * qmp.c -- the QMP client (see qmp.h).
 *
 * Must never: block without a timeout; assert on what QEMU sends.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "launcher/qmp.h"
#include "util/error.h"

struct Qmp {
        int fd;
        char *buf;
        size_t len, cap;
        QmpEventFn on_event;
        void *userdata;
};

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/** qmp_top_value() - see qmp.h. */
const char *qmp_top_value(const char *msg, const char *key)
{
        size_t klen = strlen(key);
        int depth = 0;
        bool in_str = false;

        for (const char *p = msg; *p; p++) {
                if (in_str) {
                        if (*p == '\\' && p[1])
                                p++;
                        else if (*p == '"')
                                in_str = false;
                        continue;
                }
                if (*p == '{' || *p == '[')
                        depth++;
                else if (*p == '}' || *p == ']')
                        depth--;
                else if (*p == '"') {
                        if (depth == 1 && !strncmp(p + 1, key, klen) && p[1 + klen] == '"') {
                                const char *v = p + 2 + klen;

                                while (*v == ' ')
                                        v++;
                                if (*v == ':') {
                                        v++;
                                        while (*v == ' ')
                                                v++;
                                        return v;
                                }
                        }
                        in_str = true;
                }
        }
        return NULL;
}

static int qmp_send(Qmp *q, const char *text)
{
        size_t n = strlen(text), off = 0;

        while (off < n) {
                ssize_t k = send(q->fd, text + off, n - off, MSG_NOSIGNAL);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                off += (size_t)k;
        }
        return 0;
}

/* one complete line from the buffer into *ret (malloc'd), 0 if none yet */
static int qmp_take_line(Qmp *q, char **ret)
{
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        size_t n;
        char *line;

        if (!nl)
                return q->len >= QMP_MAX_MESSAGE ? QMP_E_PROTOCOL : 0;
        n = (size_t)(nl - q->buf);
        line = strndup(q->buf, n);
        if (!line)
                return -ENOMEM;
        memmove(q->buf, nl + 1, q->len - n - 1);
        q->len -= n + 1;
        *ret = line;
        return 1;
}

static int qmp_fill(Qmp *q)
{
        ssize_t k;

        if (q->cap - q->len < 4096) {
                size_t ncap = q->cap ? q->cap * 2 : 8192;
                char *nb;

                if (ncap > QMP_MAX_MESSAGE + 8192)
                        return QMP_E_PROTOCOL;
                nb = realloc(q->buf, ncap);
                if (!nb)
                        return -ENOMEM;
                q->buf = nb;
                q->cap = ncap;
        }
        k = recv(q->fd, q->buf + q->len, q->cap - q->len, MSG_DONTWAIT);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (k == 0)
                return -ECONNRESET;
        q->len += (size_t)k;
        return 0;
}

static void qmp_dispatch_event(Qmp *q, const char *line)
{
        const char *ev = qmp_top_value(line, "event");
        char name[64];
        size_t i = 0;

        if (!ev || *ev != '"' || !q->on_event)
                return;
        for (ev++; *ev && *ev != '"' && i < sizeof(name) - 1; ev++)
                name[i++] = *ev;
        name[i] = 0;
        q->on_event(q->userdata, name, line);
}

/* the next non-event line within @deadline (events are dispatched on the way) */
static int qmp_next(Qmp *q, long long deadline, char **ret)
{
        for (;;) {
                char *line = NULL;
                int r = qmp_take_line(q, &line);
                struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
                long long left;

                if (r < 0 || r > 1)
                        return r;
                if (r == 1) {
                        if (qmp_top_value(line, "event")) {
                                qmp_dispatch_event(q, line);
                                free(line);
                                continue;
                        }
                        *ret = line;
                        return 0;
                }
                left = deadline - now_ms();
                if (left <= 0)
                        return QMP_E_TIMEOUT;
                r = poll(&pfd, 1, (int)left);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r > 0) {
                        r = qmp_fill(q);
                        if (r != 0)
                                return r;
                }
        }
}

/** qmp_connect() - see qmp.h. */
int qmp_connect(const char *path, int timeout_ms, Qmp **ret)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(qmp_freep) Qmp *q = NULL;
        _cleanup_free_ char *greeting = NULL;
        long long deadline = now_ms() + timeout_ms;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (q->fd < 0)
                return error_origin(-errno);
        if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        r = qmp_next(q, deadline, &greeting);
        if (r != 0)
                return r;
        if (!qmp_top_value(greeting, "QMP"))
                return QMP_E_PROTOCOL;
        r = qmp_execute(q, "qmp_capabilities", NULL, (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 1), NULL);
        if (r != 0)
                return r;
        *ret = TAKE_PTR(q);
        return 0;
}

/** qmp_free() - close and free (NULL is fine). */
Qmp *qmp_free(Qmp *q)
{
        if (!q)
                return NULL;
        safe_close(q->fd);
        free(q->buf);
        free(q);
        return NULL;
}

/** qmp_set_event_handler() - where events go. */
void qmp_set_event_handler(Qmp *q, QmpEventFn fn, void *userdata)
{
        q->on_event = fn;
        q->userdata = userdata;
}

/** qmp_fd() - the socket, for poll(). */
int qmp_fd(const Qmp *q)
{
        return q->fd;
}

/** qmp_execute() - see qmp.h. */
int qmp_execute(Qmp *q, const char *command, const char *arguments_json, int timeout_ms, char **ret_reply)
{
        _cleanup_free_ char *cmd = NULL, *reply = NULL;
        int r;

        if (asprintf(&cmd, "{\"execute\": \"%s\"%s%s}\n", command, arguments_json ? ", \"arguments\": " : "",
                     arguments_json ? arguments_json : "") < 0)
                return -ENOMEM;
        r = qmp_send(q, cmd);
        if (r < 0)
                return r;
        r = qmp_next(q, now_ms() + timeout_ms, &reply);
        if (r != 0)
                return r;
        r = qmp_top_value(reply, "return") ? 0 : qmp_top_value(reply, "error") ? QMP_E_ERROR : QMP_E_PROTOCOL;
        if (ret_reply)
                *ret_reply = TAKE_PTR(reply);
        return r;
}

/** qmp_process() - see qmp.h. Returns 0, -ECONNRESET when QEMU hung up, or an error. */
int qmp_process(Qmp *q)
{
        int r = qmp_fill(q);

        while (r == 0) {
                char *line = NULL;

                r = qmp_take_line(q, &line);
                if (r != 1)
                        break;
                if (qmp_top_value(line, "event"))
                        qmp_dispatch_event(q, line);
                free(line);
                r = 0;
        }
        return r < 0 ? r : 0;
}

/** qmp_quit() - see qmp.h. */
int qmp_quit(Qmp *q, int timeout_ms)
{
        int r = qmp_execute(q, "quit", NULL, timeout_ms, NULL);

        return r == -ECONNRESET || r == -EPIPE ? 0 : r;
}
