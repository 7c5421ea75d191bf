/*
 * pool.c -- uid blocks under flock()ed lock files (see pool.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/pool.h"
#include "util/error.h"

/** pool_dir() - see pool.h. */
const char *pool_dir(void)
{
        const char *e = getenv("BULKHEAD_UID_POOL_DIR");

        return e && *e ? e : "/run/bulkhead/uid-pool";
}

static int mkdir_parents(const char *dir)
{
        char buf[4096];

        snprintf(buf, sizeof(buf), "%s", dir);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int lock_one(const char *dir, uid_t uid, const char *vm)
{
        char path[4096], text[128];
        int fd, n;

        snprintf(path, sizeof(path), "%s/%u", dir, (unsigned)uid);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int e = errno;

                close(fd);
                return e == EWOULDBLOCK ? -EBUSY : -e;
        }
        n = snprintf(text, sizeof(text), "%s %d\n", vm, (int)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)n, 0) != n) {
                close(fd);
                return -EIO;
        }
        return fd;
}

/** pool_acquire() - see pool.h. */
int pool_acquire(const char *dir, uid_t first, uid_t last, unsigned count, const char *vm, UidLease **ret)
{
        UidLease *l;
        int r;

        if (count == 0 || count > POOL_MAX_BLOCK)
                return -EINVAL;
        r = mkdir_parents(dir);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        for (unsigned long long base = first; base + count - 1 <= last; base++) {
                unsigned i;

                for (i = 0; i < count; i++) {
                        int fd = lock_one(dir, (uid_t)(base + i), vm);

                        if (fd < 0) {
                                if (fd != -EBUSY) {
                                        while (i > 0)
                                                close(l->fds[--i]);
                                        free(l);
                                        return fd;
                                }
                                break;
                        }
                        l->fds[i] = fd;
                }
                if (i == count) {
                        l->first = (uid_t)base;
                        l->count = count;
                        *ret = l;
                        return 0;
                }
                for (unsigned j = i; j > 0; j--)
                        close(l->fds[j - 1]);
                base += i;
        }
        free(l);
        return POOL_E_EXHAUSTED;
}

/** pool_release() - unlock and free (NULL is fine). Returns NULL. */
UidLease *pool_release(UidLease *l)
{
        if (!l)
                return NULL;
        for (unsigned i = 0; i < l->count; i++) {
                if (ftruncate(l->fds[i], 0) < 0) {
                        /* the lock is what counts; an old name in the file is harmless */
                }
                close(l->fds[i]);
        }
        free(l);
        return NULL;
}
