/*
 * pool.h -- hand out blocks of uids from a VM's range so that two VMs never
 * share one. Each uid is a lock file POOL/UID held with flock() by the live
 * supervisor: a supervisor that dies (even by SIGKILL) releases its uids with
 * its last file descriptor, so there is no stale state to clean up.
 *
 * Must never: unlink a lock file (another allocator may hold it open).
 */
#pragma once

#include <sys/types.h>

#include "util/macro.h"

#define POOL_MAX_BLOCK 40

/* positive result codes */
enum {
        POOL_E_EXHAUSTED = 1, /* no free block of that size in the range */
};

typedef struct UidLease {
        uid_t first;
        unsigned count;
        int fds[POOL_MAX_BLOCK];
} UidLease;

/* the pool directory: $BULKHEAD_UID_POOL_DIR or /run/bulkhead/uid-pool */
const char *pool_dir(void);

/*
 * pool_acquire() - lock @count consecutive uids in [@first, @last] under @dir,
 * recording @vm in each lock file. Returns 0, POOL_E_EXHAUSTED or -errno.
 */
int pool_acquire(const char *dir, uid_t first, uid_t last, unsigned count, const char *vm, UidLease **ret);
UidLease *pool_release(UidLease *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(UidLease *, pool_release);
