/*
 * landlock.c -- Landlock rules for the child: a second, unprivileged wall
 * around the filesystem (it also holds when there is no mount namespace,
 * e.g. for a non-root caller).
 *
 * The parent probes the ABI and lists (path, access) rules; the child opens
 * each path (O_PATH), adds it to a ruleset and restricts itself after
 * no_new_privs. Rights the header or the kernel do not know are neither
 * handled nor granted. A path missing in the child's view is skipped.
 *
 * Must never: grant write access beneath anything but the read-write paths,
 * /tmp of a private view and /dev nodes. The child half is async-signal-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/sandbox-internal.h"

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_EXEC LANDLOCK_ACCESS_FS_EXECUTE
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
#define FS_FILE_ONLY                                                                         \
        (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
         LANDLOCK_ACCESS_FS_TRUNCATE)
#else
#define FS_FILE_ONLY \
        (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE)
#endif
#define FS_ALL_V1 ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)

/**
 * sandbox_landlock_abi() - the kernel's Landlock ABI version.
 * Return: the version (>= 1), or 0 when Landlock is unavailable.
 */
int sandbox_landlock_abi(void)
{
        long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

        return v > 0 ? (int)v : 0;
}

static uint64_t handled_for_abi(int abi)
{
        uint64_t all = FS_ALL_V1;

#ifdef LANDLOCK_ACCESS_FS_REFER
        if (abi >= 2)
                all |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
        if (abi >= 3)
                all |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
        return all;
}

static int rule_add(SandboxPlan *plan, const char *path, uint64_t access)
{
        struct stat st;

        if (plan->n_landlock_rules >= SANDBOX_MAX_LANDLOCK_RULES)
                return -E2BIG;
        /* a rule on a file may only carry file rights */
        if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
                access &= FS_FILE_ONLY;
        access &= plan->landlock_handled;
        plan->landlock_rules[plan->n_landlock_rules] = (LandlockRule){
                .path = strdup(path),
                .access = access,
        };
        if (!plan->landlock_rules[plan->n_landlock_rules].path)
                return -ENOMEM;
        plan->n_landlock_rules++;
        return 0;
}

/**
 * sandbox_landlock_build() - list the Landlock rules for @plan's profile.
 * @plan: the plan; landlock_abi stays 0 when Landlock is off or absent
 *
 * Return: 0 or -errno.
 */
int sandbox_landlock_build(SandboxPlan *plan)
{
        static const char *const sys_ro[] = { "/usr", "/bin", "/sbin", "/lib", "/lib32",
                                              "/lib64", "/libx32", "/etc" };
        const SandboxProfile *p = plan->profile;
        uint64_t rw;
        int abi, r;

        if (!p->landlock)
                return 0;
        abi = sandbox_landlock_abi();
        if (abi <= 0)
                return 0;
        plan->landlock_handled = handled_for_abi(abi);
        plan->landlock_rules = calloc(SANDBOX_MAX_LANDLOCK_RULES, sizeof(LandlockRule));
        if (!plan->landlock_rules)
                return -ENOMEM;
        rw = plan->landlock_handled;

        for (size_t i = 0; i < ELEMENTSOF(sys_ro); i++) {
                if (access(sys_ro[i], F_OK) < 0)
                        continue;
                r = rule_add(plan, sys_ro[i], FS_READ | FS_EXEC);
                if (r < 0)
                        return r;
        }
        r = rule_add(plan, "/proc", FS_READ);
        if (r < 0)
                return r;
        r = rule_add(plan, "/dev", FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE);
        if (r < 0)
                return r;
        if (p->fs_view && p->private_tmp) {
                r = rule_add(plan, "/tmp", rw);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; p->rw_paths && p->rw_paths[i]; i++) {
                r = rule_add(plan, p->rw_paths[i], rw);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; p->ro_paths && p->ro_paths[i]; i++) {
                r = rule_add(plan, p->ro_paths[i], FS_READ | FS_EXEC);
                if (r < 0)
                        return r;
        }
        plan->landlock_abi = abi;
        return 0;
}

/**
 * sandbox_landlock_child_apply() - build the ruleset and restrict the child.
 * @plan: the plan (landlock_abi > 0)
 *
 * Async-signal-safe; runs after no_new_privs. Return: 0 or a positive errno.
 */
int sandbox_landlock_child_apply(const SandboxPlan *plan)
{
        struct landlock_ruleset_attr attr = { .handled_access_fs = plan->landlock_handled };
        int ruleset, r = 0;

        ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (ruleset < 0)
                return errno;
        for (size_t i = 0; i < plan->n_landlock_rules; i++) {
                struct landlock_path_beneath_attr pb = {
                        .allowed_access = plan->landlock_rules[i].access,
                };

                pb.parent_fd = open(plan->landlock_rules[i].path, O_PATH | O_CLOEXEC);
                if (pb.parent_fd < 0) {
                        if (errno == ENOENT)
                                continue; /* not in this view */
                        r = errno;
                        goto out;
                }
                if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) <
                    0)
                        r = errno;
                close(pb.parent_fd);
                if (r)
                        goto out;
        }
        if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
                r = errno;
out:
        close(ruleset);
        return r;
}
