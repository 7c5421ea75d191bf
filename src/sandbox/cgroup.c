/*
 * cgroup.c -- one cgroup per child: memory, pids and cpu limits.
 *
 * Each controller is used where it works: in the unified (v2) hierarchy if
 * the caller's v2 cgroup offers it, else in its v1 hierarchy (this machine has
 * memory and pids on v1 only). The child's cgroup is created below the
 * caller's own cgroup of that hierarchy, named bulkhead-NAME-RANDOM, limits
 * written before the child is moved in (by the parent, while the child waits
 * on a pipe), so it never runs unlimited code. When no hierarchy offers a
 * wanted controller the handle's mode is SANDBOX_CGROUP_NONE and the caller
 * warns: the child then runs without those limits.
 *
 * Must never: touch cgroups it did not create, or wait unboundedly on removal.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox-internal.h"

enum { CG_MEMORY, CG_PIDS, CG_CPU, _CG_MAX };

static const char *const cg_names[_CG_MAX] = { "memory", "pids", "cpu" };

typedef struct CgroupDir {
        char *path;
        bool v2;
} CgroupDir;

struct SandboxCgroup {
        SandboxCgroupMode mode;
        CgroupDir dirs[_CG_MAX]; /* at most one v2 dir and one per v1 controller */
        size_t n_dirs;
};

static void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

/* @word in a list separated by any of @seps ("rw,memory" / "cpu memory") */
static bool has_word(const char *list, const char *word, const char *seps)
{
        size_t n = strlen(word);

        for (const char *p = list; *p;) {
                size_t len = strcspn(p, seps);

                if (len == n && strncmp(p, word, n) == 0)
                        return true;
                p += len;
                if (*p)
                        p++;
        }
        return false;
}

static int write_file(const char *dir, const char *file, const char *value)
{
        char path[4096];
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}

static int read_file(const char *dir, const char *file, char *buf, size_t size)
{
        char path[4096];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

/* The caller's cgroup path in a hierarchy: @want "" = v2, else a v1 controller. */
static int own_path(const char *want, char *buf, size_t size)
{
        _cleanup_(fclosep) FILE *f = NULL;
        char line[4096];

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *ctl = strchr(line, ':'), *path;

                if (!ctl)
                        continue;
                ctl++;
                path = strchr(ctl, ':');
                if (!path)
                        continue;
                *path++ = '\0';
                path[strcspn(path, "\n")] = '\0';
                if (want[0] == '\0' ? ctl[0] == '\0' : has_word(ctl, want, ",")) {
                        if ((size_t)snprintf(buf, size, "%s", path) >= size)
                                return -ENAMETOOLONG;
                        return 0;
                }
        }
        return -ENOENT;
}

/* The directory of the caller's own cgroup in a hierarchy (from mountinfo). */
static int own_dir(const char *want, char *buf, size_t size)
{
        _cleanup_(fclosep) FILE *f = NULL;
        char line[4096], own[2048];
        int r;

        r = own_path(want, own, sizeof(own));
        if (r < 0)
                return r;
        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char root[1024], mnt[1024], fstype[64], super[1024];
                const char *rel = own;
                char *dash = strstr(line, " - ");

                if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2 ||
                    sscanf(dash, " - %63s %*s %1023s", fstype, super) != 2)
                        continue;
                if (want[0] == '\0' ? strcmp(fstype, "cgroup2") != 0
                                    : strcmp(fstype, "cgroup") != 0 || !has_word(super, want, ","))
                        continue;
                /* a mount of a subtree (containers): make our path relative to it */
                if (strcmp(root, "/") != 0) {
                        size_t n = strlen(root);

                        if (strncmp(own, root, n) != 0 || (own[n] != '/' && own[n] != '\0'))
                                continue;
                        rel = own + n;
                }
                if ((size_t)snprintf(buf, size, "%s%s", mnt, rel) >= size)
                        return -ENAMETOOLONG;
                return 0;
        }
        return -ENOENT;
}

/* Can controller @c be used in the caller's v2 cgroup (enabling it for children)? */
static bool v2_usable(const char *dir, int c)
{
        char buf[1024], plus[32];

        if (read_file(dir, "cgroup.controllers", buf, sizeof(buf)) < 0 ||
            !has_word(buf, cg_names[c], " \n"))
                return false;
        if (read_file(dir, "cgroup.subtree_control", buf, sizeof(buf)) == 0 &&
            has_word(buf, cg_names[c], " \n"))
                return true;
        snprintf(plus, sizeof(plus), "+%s", cg_names[c]);
        /* EBUSY when our own cgroup holds processes (no internal processes rule) */
        return write_file(dir, "cgroup.subtree_control", plus) == 0;
}

static bool v1_usable(const char *dir)
{
        return access(dir, W_OK) == 0;
}

/* Find where each wanted controller lives; base[c] gets the parent dir. */
static void locate(const bool want[_CG_MAX], char base[_CG_MAX][2048], bool v2[_CG_MAX])
{
        char v2dir[2048];
        bool have_v2 = own_dir("", v2dir, sizeof(v2dir)) == 0;

        for (int c = 0; c < _CG_MAX; c++) {
                base[c][0] = '\0';
                v2[c] = false;
                if (!want[c])
                        continue;
                if (have_v2 && v2_usable(v2dir, c)) {
                        snprintf(base[c], sizeof(base[c]), "%s", v2dir);
                        v2[c] = true;
                } else if (own_dir(cg_names[c], base[c], sizeof(base[c])) < 0 ||
                           !v1_usable(base[c])) {
                        base[c][0] = '\0';
                }
        }
}

static int dir_add(SandboxCgroup *cg, const char *base, const char *leaf, bool v2, size_t *ret_i)
{
        char path[4096];

        for (size_t i = 0; i < cg->n_dirs; i++) {
                /* one v2 directory serves all v2 controllers */
                if (v2 && cg->dirs[i].v2) {
                        *ret_i = i;
                        return 0;
                }
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", base, leaf) >= sizeof(path))
                return -ENAMETOOLONG;
        if (mkdir(path, 0755) < 0)
                return -errno;
        cg->dirs[cg->n_dirs].path = strdup(path);
        cg->dirs[cg->n_dirs].v2 = v2;
        if (!cg->dirs[cg->n_dirs].path) {
                rmdir(path);
                return -ENOMEM;
        }
        *ret_i = cg->n_dirs++;
        return 0;
}

static int set_limit(const CgroupDir *d, int c, const SandboxCgroupLimits *l)
{
        char v[32];
        int r;

        switch (c) {
        case CG_MEMORY:
                snprintf(v, sizeof(v), "%" PRIu64, l->memory_max);
                if (d->v2) {
                        r = write_file(d->path, "memory.max", v);
                        if (r == 0) {
                                (void)write_file(d->path, "memory.swap.max", "0");
                                /* an OOM kill takes the whole group, not one thread */
                                (void)write_file(d->path, "memory.oom.group", "1");
                        }
                        return r;
                }
                r = write_file(d->path, "memory.limit_in_bytes", v);
                /* swap too, where swap accounting exists */
                if (r == 0)
                        (void)write_file(d->path, "memory.memsw.limit_in_bytes", v);
                return r;
        case CG_PIDS:
                snprintf(v, sizeof(v), "%" PRIu64, l->pids_max);
                return write_file(d->path, "pids.max", v);
        case CG_CPU:
                if (d->v2) {
                        snprintf(v, sizeof(v), "%" PRIu64, MIN(MAX(l->cpu_weight, 1), 10000));
                        return write_file(d->path, "cpu.weight", v);
                }
                snprintf(v, sizeof(v), "%" PRIu64, MAX(l->cpu_weight * 1024 / 100, 2));
                return write_file(d->path, "cpu.shares", v);
        default:
                return -EINVAL;
        }
}

/**
 * sandbox_cgroup_new() - create the child's cgroup(s) with @limits set.
 * @name:   the profile's name (part of the directory name)
 * @limits: the limits; those at 0 are not set
 * @ret:    the handle; its mode is SANDBOX_CGROUP_NONE when a wanted
 *          controller is available nowhere (then nothing was created)
 *
 * Return: 0 or -errno.
 */
int sandbox_cgroup_new(const char *name, const SandboxCgroupLimits *limits, SandboxCgroup **ret)
{
        _cleanup_(sandbox_cgroup_freep) SandboxCgroup *cg = NULL;
        const bool want[_CG_MAX] = { limits->memory_max > 0, limits->pids_max > 0,
                                     limits->cpu_weight > 0 };
        char base[_CG_MAX][2048], leaf[256];
        bool v2[_CG_MAX], any_v1 = false;
        uint32_t rnd;
        int r;

        cg = calloc(1, sizeof(*cg));
        if (!cg)
                return -ENOMEM;
        locate(want, base, v2);
        for (int c = 0; c < _CG_MAX; c++)
                if (want[c] && !base[c][0]) {
                        cg->mode = SANDBOX_CGROUP_NONE;
                        *ret = TAKE_PTR(cg);
                        return 0;
                }

        if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                return -errno;
        snprintf(leaf, sizeof(leaf), "bulkhead-%.64s-%08" PRIx32, name ? name : "child", rnd);
        for (int c = 0; c < _CG_MAX; c++) {
                size_t i = 0;

                if (!want[c])
                        continue;
                r = dir_add(cg, base[c], leaf, v2[c], &i);
                if (r < 0)
                        return r;
                r = set_limit(&cg->dirs[i], c, limits);
                if (r < 0)
                        return r;
                any_v1 |= !v2[c];
        }
        cg->mode = any_v1 ? SANDBOX_CGROUP_V1 : SANDBOX_CGROUP_V2;
        *ret = TAKE_PTR(cg);
        return 0;
}

/**
 * sandbox_cgroup_attach() - move @pid into every directory of @cg.
 * @cg:  the handle (mode NONE: nothing to do)
 * @pid: the waiting child
 *
 * Return: 0 or -errno.
 */
int sandbox_cgroup_attach(SandboxCgroup *cg, pid_t pid)
{
        char v[32];

        snprintf(v, sizeof(v), "%d", (int)pid);
        for (size_t i = 0; i < cg->n_dirs; i++) {
                int r = write_file(cg->dirs[i].path, "cgroup.procs", v);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* SIGKILL everything still in @dir; true when it is empty. */
static bool kill_all(const CgroupDir *d)
{
        char buf[8192];
        char *p, *end;
        bool empty = true;

        if (d->v2 && write_file(d->path, "cgroup.kill", "1") == 0)
                (void)0; /* the kernel kills them; we still wait below */
        if (read_file(d->path, "cgroup.procs", buf, sizeof(buf)) < 0)
                return true;
        for (p = buf; *p; p = end) {
                long pid = strtol(p, &end, 10);

                if (end == p)
                        break;
                if (pid > 0) {
                        (void)kill((pid_t)pid, SIGKILL);
                        empty = false;
                }
                while (*end == '\n')
                        end++;
        }
        return empty;
}

_public_ SandboxCgroup *sandbox_cgroup_free(SandboxCgroup *cg)
{
        const struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };

        if (!cg)
                return NULL;
        for (size_t i = 0; i < cg->n_dirs; i++) {
                /* bounded: about a second for killed processes to go */
                for (int tries = 0; tries < 1000; tries++) {
                        if (kill_all(&cg->dirs[i]) && rmdir(cg->dirs[i].path) == 0)
                                break;
                        if (errno == ENOENT)
                                break;
                        nanosleep(&ms, NULL);
                }
                free(cg->dirs[i].path);
        }
        free(cg);
        return NULL;
}

_public_ SandboxCgroupMode sandbox_cgroup_mode(const SandboxCgroup *cg)
{
        return cg ? cg->mode : SANDBOX_CGROUP_NONE;
}

_public_ const char *sandbox_cgroup_path(const SandboxCgroup *cg)
{
        if (!cg || cg->n_dirs == 0)
                return NULL;
        return cg->dirs[0].path;
}

/**
 * sandbox_cgroup_probe() - which hierarchy would enforce which limit.
 * @f: features to fill (cgroup_* fields)
 *
 * Return: 0.
 */
int sandbox_cgroup_probe(SandboxFeatures *f)
{
        const bool want[_CG_MAX] = { true, true, true };
        char base[_CG_MAX][2048];
        bool v2[_CG_MAX], any_v1 = false, any = false;

        locate(want, base, v2);
        f->cgroup_memory = base[CG_MEMORY][0] != '\0';
        f->cgroup_pids = base[CG_PIDS][0] != '\0';
        f->cgroup_cpu = base[CG_CPU][0] != '\0';
        for (int c = 0; c < _CG_MAX; c++) {
                any |= base[c][0] != '\0';
                any_v1 |= base[c][0] != '\0' && !v2[c];
        }
        f->cgroup_mode = !any ? SANDBOX_CGROUP_NONE : any_v1 ? SANDBOX_CGROUP_V1 : SANDBOX_CGROUP_V2;
        return 0;
}
