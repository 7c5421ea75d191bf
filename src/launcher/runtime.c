/*
 * runtime.c -- runtime directory paths and the state file (see runtime.h).
 *
 * Must never: trust the state file for more than names and pids to look at
 * (a pid is only signalled after its owner is confirmed, see stop in launcher.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/runtime.h"
#include "util/error.h"
#include "util/macro.h"

/** runtime_base() - see runtime.h. */
int runtime_base(char **ret)
{
        const char *e = getenv("BULKHEAD_RUNTIME_DIR");
        char *s = NULL;

        if (e && *e)
                s = strdup(e);
        else if (geteuid() == 0)
                s = strdup("/run/bulkhead");
        else {
                e = getenv("XDG_RUNTIME_DIR");
                if (!e || !*e)
                        return -ENOENT;
                if (asprintf(&s, "%s/bulkhead", e) < 0)
                        s = NULL;
        }
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/** runtime_state_write() - write @st to DIR/state atomically. Returns 0 or -errno. */
int runtime_state_write(const char *dir, const RuntimeState *st)
{
        char tmp[4096], path[4096];
        FILE *f;
        int fd;

        snprintf(tmp, sizeof(tmp), "%s/.state.tmp", dir);
        snprintf(path, sizeof(path), "%s/state", dir);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return error_origin(-errno);
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return error_origin(-errno);
        }
        fprintf(f, "vm=%s\nstate=%s\nbus_address=%s\nsupervisor_pid=%d\nblock_first=%u\nblock_count=%u\n", st->vm,
                st->state, st->bus_address, (int)st->supervisor_pid, (unsigned)st->block_first, st->block_count);
        fprintf(f, "vmstate_ids=%s\n", st->vmstate_ids);
        for (size_t i = 0; i < st->n_procs; i++) {
                const RuntimeProc *p = &st->procs[i];

                fprintf(f, "proc=%s %s %d %u %u %u %llu %s\n", p->role, p->name, (int)p->pid, (unsigned)p->uid,
                        (unsigned)p->gid, p->restarts, p->starttime, p->cgroup[0] ? p->cgroup : "-");
        }
        if (fclose(f) != 0)
                return error_origin(-EIO);
        if (rename(tmp, path) < 0)
                return error_origin(-errno);
        return 0;
}

/** runtime_state_read() - read DIR/state. Returns 0, -ENOENT or -EINVAL (garbled). */
int runtime_state_read(const char *dir, RuntimeState *ret)
{
        _cleanup_free_ RuntimeState *st = calloc(1, sizeof(*st));
        char path[4096], line[4400];
        FILE *f;
        int fd;

        if (!st)
                return -ENOMEM;
        snprintf(path, sizeof(path), "%s/state", dir);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                char *eq = strchr(line, '='), *nl = strchr(line, '\n');
                unsigned a, b, c, d;
                int pid;

                if (nl)
                        *nl = 0;
                if (!eq)
                        continue;
                *eq++ = 0;
                if (!strcmp(line, "vm"))
                        snprintf(st->vm, sizeof(st->vm), "%s", eq);
                else if (!strcmp(line, "state"))
                        snprintf(st->state, sizeof(st->state), "%s", eq);
                else if (!strcmp(line, "bus_address"))
                        snprintf(st->bus_address, sizeof(st->bus_address), "%s", eq);
                else if (!strcmp(line, "supervisor_pid"))
                        st->supervisor_pid = atoi(eq);
                else if (!strcmp(line, "block_first"))
                        st->block_first = (uid_t)strtoul(eq, NULL, 10);
                else if (!strcmp(line, "vmstate_ids"))
                        snprintf(st->vmstate_ids, sizeof(st->vmstate_ids), "%s", eq);
                else if (!strcmp(line, "block_count"))
                        st->block_count = (unsigned)strtoul(eq, NULL, 10);
                else if (!strcmp(line, "proc") && st->n_procs < RUNTIME_MAX_PROCS) {
                        RuntimeProc *p = &st->procs[st->n_procs];
                        char role[8], name[72], cg[256];
                        unsigned long long start;

                        if (sscanf(eq, "%7s %71s %d %u %u %u %llu %255s", role, name, &pid, &a, &b, &c, &start,
                                   cg) != 8)
                                continue;
                        d = 0;
                        (void)d;
                        p->starttime = start;
                        if (strcmp(cg, "-") != 0)
                                snprintf(p->cgroup, sizeof(p->cgroup), "%s", cg);
                        snprintf(p->role, sizeof(p->role), "%s", role);
                        snprintf(p->name, sizeof(p->name), "%s", name);
                        p->pid = pid;
                        p->uid = a;
                        p->gid = b;
                        p->restarts = c;
                        st->n_procs++;
                }
        }
        fclose(f);
        if (!st->vm[0])
                return -EINVAL;
        *ret = *st;
        return 0;
}

static int remove_at(int at, const char *name, int depth)
{
        struct stat st;

        if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode) && depth < 8) {
                int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                DIR *d;
                struct dirent *e;

                if (fd < 0)
                        return -errno;
                d = fdopendir(fd);
                if (!d) {
                        close(fd);
                        return -errno;
                }
                while ((e = readdir(d)))
                        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                                (void)remove_at(dirfd(d), e->d_name, depth + 1);
                closedir(d);
                if (unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        return -errno;
                return 0;
        }
        if (unlinkat(at, name, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/** runtime_remove_tree() - see runtime.h. Returns 0 or -errno. */
int runtime_remove_tree(const char *dir)
{
        return remove_at(AT_FDCWD, dir, 0);
}
