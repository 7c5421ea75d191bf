/*
 * listener.c -- D-Bus server addresses to listening AF_UNIX sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "bus/listener.h"
#include "util/macro.h"

#define MAX_KEYS 8

typedef struct AddressKey {
        char *key;
        char *value;            /* unescaped */
} AddressKey;

static int unescape(const char *s, size_t n, char **ret)
{
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%') {
                        unsigned v;
                        char hex[3];

                        if (i + 2 >= n) {
                                free(out);
                                return LISTENER_E_BAD_ADDRESS;
                        }
                        hex[0] = s[i + 1];
                        hex[1] = s[i + 2];
                        hex[2] = 0;
                        if (sscanf(hex, "%2x", &v) != 1) {
                                free(out);
                                return LISTENER_E_BAD_ADDRESS;
                        }
                        *o++ = (char)v;
                        i += 2;
                } else {
                        *o++ = s[i];
                }
        }
        *o = 0;
        *ret = out;
        return 0;
}

/** address_escape() - see listener.h. */
char *address_escape(const char *s)
{
        char *out = malloc(strlen(s) * 3 + 1), *o = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("-_/.\\*", c))
                        *o++ = (char)c;
                else
                        o += sprintf(o, "%%%02x", c);
        }
        *o = 0;
        return out;
}

static void keys_free(AddressKey *k, unsigned n)
{
        for (unsigned i = 0; i < n; i++) {
                free(k[i].key);
                free(k[i].value);
        }
}

static int parse_keys(const char *p, AddressKey *keys, unsigned *ret_n)
{
        unsigned n = 0;

        while (*p) {
                const char *comma = strchr(p, ','), *eq;
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                int r;

                eq = memchr(p, '=', len);
                if (!eq || eq == p || n >= MAX_KEYS) {
                        keys_free(keys, n);
                        return LISTENER_E_BAD_ADDRESS;
                }
                keys[n].key = strndup(p, (size_t)(eq - p));
                r = unescape(eq + 1, len - (size_t)(eq + 1 - p), &keys[n].value);
                if (!keys[n].key || r != 0) {
                        free(keys[n].key);
                        keys_free(keys, n);
                        return r ? r : -ENOMEM;
                }
                n++;
                p += len + (comma ? 1 : 0);
        }
        *ret_n = n;
        return 0;
}

static const char *key_get(const AddressKey *k, unsigned n, const char *key)
{
        for (unsigned i = 0; i < n; i++)
                if (strcmp(k[i].key, key) == 0)
                        return k[i].value;
        return NULL;
}

/*
 * A socket file at @sa's path that nothing listens on any more: a bus killed
 * before it could unlink it. Only a socket, and only when connect() is
 * refused: a live bus (even one with a full backlog: EAGAIN) keeps its
 * address, and a file of any other kind is never removed.
 */
static bool stale_socket(const struct sockaddr_un *sa, socklen_t salen)
{
        struct stat st;
        int fd, r;

        if (lstat(sa->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
                return false;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return false;
        r = connect(fd, (const struct sockaddr *)sa, salen) < 0 ? errno : 0;
        safe_close(fd);
        return r == ECONNREFUSED;
}

static int bind_unix(const char *path, bool abstract, int *ret_fd)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t len = strlen(path);
        socklen_t salen;
        int fd, r;

        if (len + (abstract ? 1 : 0) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path + (abstract ? 1 : 0), path, len);
        /* the NUL that ends a path, or the one that starts an abstract name */
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        r = bind(fd, (struct sockaddr *)&sa, salen) < 0 ? -errno : 0;
        /* after a crash: take the address back from a socket nobody listens on */
        if (r == -EADDRINUSE && !abstract && stale_socket(&sa, salen) && unlink(path) == 0)
                r = bind(fd, (struct sockaddr *)&sa, salen) < 0 ? -errno : 0;
        if (r == 0 && listen(fd, 4096) < 0)
                r = -errno;
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        if (!abstract)
                (void)chmod(path, 0777); /* who may connect is the policy's decision */
        *ret_fd = fd;
        return 0;
}

static int random_name(const char *dir, char **ret)
{
        static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        uint8_t rnd[10];
        char name[11];

        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                return -EIO;
        for (size_t i = 0; i < sizeof(rnd); i++)
                name[i] = letters[rnd[i] % (sizeof(letters) - 1)];
        name[10] = 0;
        if (asprintf(ret, "%s/dbus-%s", dir, name) < 0)
                return -ENOMEM;
        return 0;
}

static int make_address(const char *kind, const char *value, const char *guid, char **ret)
{
        _cleanup_free_ char *esc = address_escape(value);

        if (!esc || asprintf(ret, "unix:%s=%s,guid=%s", kind, esc, guid) < 0)
                return -ENOMEM;
        return 0;
}

static int open_unix(const AddressKey *k, unsigned n, const char *guid, Listener *l)
{
        const char *path = key_get(k, n, "path"), *abstract = key_get(k, n, "abstract");
        const char *dir = key_get(k, n, "dir"), *tmpdir = key_get(k, n, "tmpdir");
        const char *runtime = key_get(k, n, "runtime");
        _cleanup_free_ char *p = NULL;
        int r;

        if (runtime) {
                const char *xdg = getenv("XDG_RUNTIME_DIR");

                if (strcmp(runtime, "yes") != 0 || !xdg || xdg[0] != '/')
                        return LISTENER_E_BAD_ADDRESS;
                /* a dead bus's socket there is taken over (bind_unix()); a live
                 * session bus's, or any other file, is left alone */
                if (asprintf(&p, "%s/bus", xdg) < 0)
                        return -ENOMEM;
        } else if (abstract) {
                r = bind_unix(abstract, true, &l->fd);
                return r < 0 ? r : make_address("abstract", abstract, guid, &l->address);
        } else if (path) {
                p = strdup(path);
                if (!p)
                        return -ENOMEM;
        } else if (dir || tmpdir) {
                r = random_name(dir ? dir : tmpdir, &p);
                if (r < 0)
                        return r;
        } else {
                return LISTENER_E_BAD_ADDRESS;
        }
        r = bind_unix(p, false, &l->fd);
        if (r < 0)
                return r;
        r = make_address("path", p, guid, &l->address);
        if (r < 0)
                return r;
        l->path = TAKE_PTR(p);
        return 0;
}

/** listener_open() - see listener.h. */
int listener_open(const char *address, const char *guid, Listener *ret)
{
        AddressKey keys[MAX_KEYS];
        Listener l = { .fd = -1 };
        unsigned n = 0;
        int r;

        if (strncmp(address, "tcp:", 4) == 0 || strncmp(address, "nonce-tcp:", 10) == 0)
                return LISTENER_E_TCP_REFUSED;
        if (strncmp(address, "unix:", 5) != 0)
                return LISTENER_E_BAD_ADDRESS;
        r = parse_keys(address + 5, keys, &n);
        if (r != 0)
                return r;
        r = open_unix(keys, n, guid, &l);
        keys_free(keys, n);
        if (r != 0) {
                listener_close(&l);
                return r;
        }
        *ret = l;
        return 0;
}

/** listener_close() - see listener.h. */
void listener_close(Listener *l)
{
        l->fd = safe_close(l->fd);
        if (l->path)
                unlink(l->path);
        free(l->path);
        free(l->address);
        l->path = NULL;
        l->address = NULL;
}
