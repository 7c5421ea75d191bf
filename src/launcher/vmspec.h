/*
 * vmspec.h -- the VM spec: an INI file (libinih) that names QEMU's command
 * line, the identity scenario and each helper (docs/man/bulkhead-vm.5).
 *
 * Parsing is pure: bytes in, a VmSpec or one error "FILE:LINE: text" out.
 * Unknown sections and keys are errors. Nothing here touches the system
 * (no uid lookups, no files but the one read by vmspec_load()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/macro.h"

/* positive result codes (expected outcomes, see util/error.h) */
enum {
        VMSPEC_E_INVALID = 1, /* the spec is wrong: see the error text */
};

#define VMSPEC_MAX_HELPERS 32
#define VMSPEC_MAX_NAME    64   /* VM and helper names: [A-Za-z0-9_-], not starting with '-' */
#define VMSPEC_MAX_ARGS    256  /* words in one command line */

typedef enum {
        IDENTITY_SAME_UID,  /* everything one uid */
        IDENTITY_TWO_UIDS,  /* QEMU; bus and helpers */
        IDENTITY_MANY_UIDS, /* QEMU, bus, one per helper */
} IdentityScenario;

typedef enum {
        RESTART_NO,
        RESTART_ON_FAILURE,
        RESTART_ALWAYS,
} RestartPolicy;

typedef enum {
        DISPLAY_NONE,
        DISPLAY_DBUS,
} DisplayMode;

/* what QEMU device a helper serves on its socket (key "provides") */
typedef enum {
        PROVIDES_NONE,
        PROVIDES_TPM, /* swtpm ctrl socket: -chardev socket + -tpmdev emulator + tpm-tis */
        PROVIDES_NET, /* passt socket: -netdev stream + virtio-net-pci */
        PROVIDES_FS,  /* virtiofsd vhost-user socket: vhost-user-fs-pci (tag = fs-tag) */
} ProvidesKind;

typedef struct VmHelper {
        char *name;
        char **exec;          /* argv, NULL-terminated (shell-like words, no expansion but ${...}) */
        char **owns;          /* well-known names it may own; NULL-terminated */
        char **talks_to;      /* "qemu" or helper names; NULL-terminated */
        char *vmstate_id;     /* org.qemu.VMState1 Id, or NULL */
        uint64_t memory_max;  /* bytes, 0 = no limit */
        uint64_t tasks_max;   /* 0 = no limit */
        RestartPolicy restart;
        unsigned restart_max; /* restarts before giving up (default 5) */
        ProvidesKind provides;
        char *socket;         /* socket file name inside the runtime dir, or NULL */
        char *fs_tag;         /* for provides = fs */
        bool display_client;  /* may call org.qemu.Display1 RegisterListener */
        bool share_qemu_uid;  /* same-uid-as = qemu: deliberately QEMU's uid (check flags it) */
        bool own_seccomp;     /* seccomp = own: the program filters itself (passt); ours is off */
        char **ro_paths;      /* read-only-paths: bound read-only into its filesystem view */
        char **rw_paths;      /* read-write-paths: bound read-write */
        bool no_landlock;     /* landlock = no: a program that mounts to isolate itself (passt) */
        bool socket_fd;       /* socket-fd = yes: the launcher binds ${socket}, passes it as fd 3 */
        int *caps;            /* capabilities: CAP_* numbers it keeps (ambient) ... */
        char **cap_reasons;   /* ... and why, one per cap (NULL-terminated) */
        size_t n_caps;
        unsigned line;        /* line of its [helper NAME] header */
} VmHelper;

typedef struct VmSpec {
        char *file;           /* as given to the parser, for messages */
        char *name;
        char **qemu;          /* argv, NULL-terminated; qemu[0] is the binary */
        unsigned qemu_line;
        IdentityScenario identity;
        bool has_uids;
        uid_t uid_first, uid_last;
        unsigned uids_line;
        DisplayMode display;
        char **ro_paths;      /* read-only-paths / read-write-paths: QEMU's view */
        char **rw_paths;
        VmHelper *helpers;
        size_t n_helpers;
} VmSpec;

int vmspec_parse(const char *data, size_t size, const char *file, VmSpec **ret, char **ret_error);
int vmspec_load(const char *path, VmSpec **ret, char **ret_error);
VmSpec *vmspec_free(VmSpec *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(VmSpec *, vmspec_free);

const VmHelper *vmspec_find_helper(const VmSpec *s, const char *name);
bool vmspec_has_vmstate(const VmSpec *s);

const char *identity_scenario_to_string(IdentityScenario i);
const char *restart_policy_to_string(RestartPolicy r);

/* strv helpers used by the launcher */
size_t strv_length(char *const *v);
char **strv_free(char **v);
int strv_push(char ***v, const char *s);
bool strv_contains(char *const *v, const char *s);
static inline void strvp_free(char ***v)
{
        strv_free(*v);
}

/*
 * vmspec_split_words() - split a command line into words: blanks separate,
 * '...' and "..." quote, backslash escapes one character. Returns 0,
 * VMSPEC_E_INVALID (unbalanced quote, too many words) or -ENOMEM.
 */
int vmspec_split_words(const char *s, char ***ret);
