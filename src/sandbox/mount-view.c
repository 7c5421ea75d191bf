/*
 * mount-view.c -- the child's filesystem view: planned by the parent, built
 * by the child in its private mount namespace, entered with pivot_root.
 *
 * The view is a fresh tmpfs root holding only: the system dirs bound
 * read-only (merged-/usr symlinks recreated as symlinks), a minimal /dev
 * (null zero full random urandom), a fresh /proc (the child's pid namespace
 * when it has one), a private tmpfs /tmp, and the profile's read-write and
 * read-only paths at their own place. After pivot_root the old root is
 * detached and the new root remounted read-only.
 *
 * Why pivot_root and not chroot: chroot leaves the old root reachable (a
 * process with CAP_SYS_CHROOT escapes, fds opened before leak the host tree)
 * and a chrooted process may not create user namespaces, which self-confining
 * helpers such as passt do. pivot_root + MNT_DETACH removes the host tree from
 * the namespace entirely.
 *
 * Must never: bind anything read-write that the profile did not list, or
 * leave the host root reachable. The child half must stay async-signal-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/sandbox-internal.h"

static const char *const system_dirs[] = {
        "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
};

static const char *const dev_nodes[] = {
        "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
};

static int plan_add(SandboxPlan *plan, MountKind kind, const char *src, const char *dst,
                    bool is_dir, const char *link)
{
        MountOp *op;

        if (plan->n_mounts >= SANDBOX_MAX_MOUNTS)
                return -E2BIG;
        op = &plan->mounts[plan->n_mounts];
        *op = (MountOp){ .kind = kind, .is_dir = is_dir };
        op->dst = strdup(dst);
        op->src = src ? strdup(src) : NULL;
        op->link = link ? strdup(link) : NULL;
        plan->n_mounts++;
        if (!op->dst || (src && !op->src) || (link && !op->link))
                return -ENOMEM;
        return 0;
}

/* A host path that exists: bind it; a symlink (merged /usr): recreate it. */
static int plan_add_host(SandboxPlan *plan, const char *path, MountKind kind, bool optional)
{
        char link[PATH_MAX];
        struct stat st;
        ssize_t n;

        if (path[0] != '/' || strstr(path, "/../") || strcmp(path, "/") == 0)
                return -EINVAL;
        if (lstat(path, &st) < 0)
                return optional && errno == ENOENT ? 0 : -errno;
        if (S_ISLNK(st.st_mode) && kind == MOUNT_BIND_RO && optional) {
                n = readlink(path, link, sizeof(link) - 1);
                if (n < 0)
                        return -errno;
                link[n] = '\0';
                return plan_add(plan, MOUNT_SYMLINK, NULL, path, false, link);
        }
        if (stat(path, &st) < 0)
                return -errno;
        return plan_add(plan, kind, path, path, S_ISDIR(st.st_mode), NULL);
}

static int plan_add_list(SandboxPlan *plan, const char *const *paths, MountKind kind)
{
        int r;

        for (size_t i = 0; paths && paths[i]; i++) {
                r = plan_add_host(plan, paths[i], kind, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/**
 * sandbox_mounts_build() - plan the filesystem view of @plan's profile.
 * @plan: the plan; its mounts array is allocated here
 *
 * Return: 0 or -errno (-ENOENT for a listed path that does not exist).
 */
int sandbox_mounts_build(SandboxPlan *plan)
{
        const SandboxProfile *p = plan->profile;
        int r;

        plan->mounts = calloc(SANDBOX_MAX_MOUNTS, sizeof(MountOp));
        if (!plan->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++) {
                r = plan_add_host(plan, system_dirs[i], MOUNT_BIND_RO, true);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                r = plan_add_host(plan, dev_nodes[i], MOUNT_BIND_DEV, true);
                if (r < 0)
                        return r;
        }
        r = plan_add(plan, MOUNT_PROC, NULL, "/proc", true, NULL);
        if (r < 0)
                return r;
        if (p->private_tmp) {
                r = plan_add(plan, MOUNT_TMPFS, NULL, "/tmp", true, NULL);
                if (r < 0)
                        return r;
        }
        /* listed paths last: they may sit below /tmp or a system dir. Read-only
         * ones after read-write ones, so a read-only path inside a read-write
         * one stays read-only. */
        r = plan_add_list(plan, p->rw_paths, MOUNT_BIND_RW);
        if (r < 0)
                return r;
        return plan_add_list(plan, p->ro_paths, MOUNT_BIND_RO);
}

/* ---- child side: async-signal-safe from here on ---- */

/* "/tmp" + "/usr/lib" into buf; 0 or ENAMETOOLONG. */
static int join(char *buf, size_t size, const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);

        if (la + lb + 1 > size)
                return ENAMETOOLONG;
        memcpy(buf, a, la);
        memcpy(buf + la, b, lb + 1);
        return 0;
}

/* mkdir -p below the staging root; the last component as dir or empty file. */
static int make_target(const char *path, bool is_dir)
{
        char buf[PATH_MAX];
        size_t len = strlen(path);
        int fd;

        if (len >= sizeof(buf))
                return ENAMETOOLONG;
        memcpy(buf, path, len + 1);
        for (size_t i = 1; i < len; i++) {
                if (buf[i] != '/')
                        continue;
                buf[i] = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return errno;
                buf[i] = '/';
        }
        if (is_dir) {
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return errno;
                return 0;
        }
        fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return errno == EEXIST ? 0 : errno;
        close(fd);
        return 0;
}

/* Bind the object behind an O_PATH fd (opened before the staging tmpfs hid it). */
static int bind_fd(int fd, const char *target, unsigned long flags, bool remount)
{
        char src[32] = "/proc/self/fd/";
        char digits[12];
        size_t n = 0, off = strlen(src);
        unsigned v = (unsigned)fd;

        do {
                digits[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        while (n)
                src[off++] = digits[--n];
        src[off] = '\0';

        if (mount(src, target, NULL, MS_BIND, NULL) < 0)
                return errno;
        /* the flags of a bind mount only change with a second, remounting call */
        if (remount && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
                return errno;
        return 0;
}

static int apply_one(const MountOp *op, int src_fd, const char *target)
{
        int r;

        r = make_target(target, op->kind == MOUNT_SYMLINK ? false : op->is_dir);
        if (op->kind == MOUNT_SYMLINK) {
                /* make_target created the parents and an empty file: replace it */
                if (r == 0 && (unlink(target) < 0 || symlink(op->link, target) < 0))
                        return errno;
                return r;
        }
        if (r)
                return r;
        switch (op->kind) {
        case MOUNT_BIND_RO:
                return bind_fd(src_fd, target, MS_RDONLY | MS_NOSUID | MS_NODEV, true);
        case MOUNT_BIND_RW:
                return bind_fd(src_fd, target, MS_NOSUID | MS_NODEV, true);
        case MOUNT_BIND_DEV:
                return bind_fd(src_fd, target, MS_NOSUID | MS_NOEXEC, true);
        case MOUNT_TMPFS:
                if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
                          "mode=1777,size=64m") < 0)
                        return errno;
                return 0;
        case MOUNT_PROC:
                if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return errno;
                return 0;
        default:
                return EINVAL;
        }
}

/**
 * sandbox_mounts_child_apply() - build the view and pivot_root into it.
 * @plan: the plan (the mount namespace is already private to the child)
 *
 * Async-signal-safe. Return: 0 or a positive errno.
 */
int sandbox_mounts_child_apply(const SandboxPlan *plan)
{
        int fds[SANDBOX_MAX_MOUNTS];
        char target[PATH_MAX];
        size_t i;
        int r = 0;

        for (i = 0; i < plan->n_mounts; i++)
                fds[i] = -1;
        /* no mount event of ours may propagate back to the host */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return errno;

        /* open every bind source first: the staging tmpfs may hide some (/tmp/...) */
        for (i = 0; i < plan->n_mounts; i++) {
                const MountOp *op = &plan->mounts[i];

                if (!op->src)
                        continue;
                fds[i] = open(op->src, O_PATH | O_CLOEXEC);
                if (fds[i] < 0) {
                        r = errno;
                        goto out;
                }
        }

        if (mount("tmpfs", SANDBOX_STAGING_DIR, "tmpfs", MS_NOSUID | MS_NODEV,
                  "mode=0755,size=1m") < 0) {
                r = errno;
                goto out;
        }
        for (i = 0; i < plan->n_mounts; i++) {
                r = join(target, sizeof(target), SANDBOX_STAGING_DIR, plan->mounts[i].dst);
                if (r)
                        goto out;
                r = apply_one(&plan->mounts[i], fds[i], target);
                if (r)
                        goto out;
        }

        /* enter it: stack the new root over the old one, detach the old one */
        if (chdir(SANDBOX_STAGING_DIR) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
            umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
                r = errno;
                goto out;
        }
        /* nothing may be created in the root itself */
        if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                  NULL) < 0)
                r = errno;
out:
        for (size_t j = 0; j < plan->n_mounts; j++)
                if (fds[j] >= 0)
                        close(fds[j]);
        return r;
}
