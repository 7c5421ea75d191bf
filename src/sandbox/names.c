/*
 * names.c -- names of sandbox stages and seccomp profiles, capability name
 * parsing (libcap-ng's table), and QEMU's own -sandbox arguments.
 *
 * Must never: allocate or keep state; everything here is a static table.
 */
#include <cap-ng.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sandbox/sandbox.h"
#include "util/macro.h"

static const char *const stage_names[_SANDBOX_STAGE_MAX] = {
        [SANDBOX_STAGE_PREPARE] = "prepare",
        [SANDBOX_STAGE_CLONE] = "clone",
        [SANDBOX_STAGE_SESSION] = "session",
        [SANDBOX_STAGE_PDEATHSIG] = "pdeathsig",
        [SANDBOX_STAGE_NAMESPACES] = "namespaces",
        [SANDBOX_STAGE_MOUNT] = "mount",
        [SANDBOX_STAGE_CGROUP] = "cgroup",
        [SANDBOX_STAGE_RLIMITS] = "rlimits",
        [SANDBOX_STAGE_IDENTITY] = "identity",
        [SANDBOX_STAGE_CAPABILITIES] = "capabilities",
        [SANDBOX_STAGE_NO_NEW_PRIVS] = "no_new_privs",
        [SANDBOX_STAGE_LANDLOCK] = "landlock",
        [SANDBOX_STAGE_FDS] = "fds",
        [SANDBOX_STAGE_SECCOMP] = "seccomp",
        [SANDBOX_STAGE_EXEC] = "exec",
};

static const char *const seccomp_names[_SANDBOX_SECCOMP_MAX] = {
        [SANDBOX_SECCOMP_NONE] = "none",
        [SANDBOX_SECCOMP_BUS] = "bus",
        [SANDBOX_SECCOMP_HELPER] = "helper",
        [SANDBOX_SECCOMP_COMPUTE_ONLY] = "compute-only",
        [SANDBOX_SECCOMP_QEMU_OWN] = "qemu-own",
};

/* QEMU's seccomp, as the security guide asks: deny obsolete syscalls, privilege
 * elevation, spawning processes and resource-control syscalls. QEMU must run in
 * the foreground: -daemonize forks, which spawn=deny forbids. */
static const char *const qemu_args[] = {
        "-sandbox",
        "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
        NULL,
};

_public_ const char *sandbox_stage_to_string(SandboxStage stage)
{
        if ((unsigned)stage >= _SANDBOX_STAGE_MAX)
                return "unknown";
        return stage_names[stage];
}

_public_ const char *sandbox_seccomp_to_string(SandboxSeccomp profile)
{
        if ((unsigned)profile >= _SANDBOX_SECCOMP_MAX)
                return "unknown";
        return seccomp_names[profile];
}

_public_ int sandbox_seccomp_from_name(const char *name)
{
        if (!name)
                return -EINVAL;
        for (unsigned i = 0; i < _SANDBOX_SECCOMP_MAX; i++)
                if (strcmp(name, seccomp_names[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

_public_ int sandbox_cap_from_name(const char *name)
{
        int cap;

        if (!name)
                return -EINVAL;
        if (strncasecmp(name, "cap_", 4) == 0)
                name += 4;
        cap = capng_name_to_capability(name);
        if (cap < 0) {
                /* libcap-ng's names are lower case; accept NET_ADMIN too */
                char lower[64];
                size_t n = strlen(name);

                if (n >= sizeof(lower))
                        return -EINVAL;
                for (size_t i = 0; i <= n; i++)
                        lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] - 'A' + 'a'
                                                                            : name[i]);
                cap = capng_name_to_capability(lower);
        }
        return cap < 0 ? -EINVAL : cap;
}

_public_ const char *const *sandbox_qemu_args(void)
{
        return qemu_args;
}
