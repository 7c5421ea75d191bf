/*
 * helper-private.h -- the bh_helper object shared by the files of
 * libbulkhead-helper. Nothing here is exported (see libbulkhead-helper.sym).
 *
 * Must never: be installed or included from outside src/helper/.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "helper/bulkhead-helper.h"

/* Result of the last Save or Load; strings are static or owned (error). */
typedef struct VMStateRecord {
        uint32_t count;
        const char *status; /* static string */
        char *error;        /* owned, NULL = "" */
        uint64_t size;
} VMStateRecord;

struct bh_helper {
        sd_bus *bus;
        sd_event *event;

        uid_t qemu_uid;    /* (uid_t)-1: nobody may Save/Load */
        int ready_fd;      /* -1 when none or already used */
        bool ready;
        bool stopped_by_signal;
        bool exit_requested;

        /* org.qemu.VMState1 */
        char *vmstate_id;  /* NULL: not exported */
        bh_save_fn save_cb;
        bh_load_fn load_cb;
        bh_validate_fn validate_cb;
        void *userdata;
        sd_bus_slot *vmstate_slot;
        sd_bus_slot *status_slot;
        VMStateRecord last_save;
        VMStateRecord last_load;
};

/* env.c: strict parsers for the environment the launcher provides. */
int helper_parse_uid(const char *s, uid_t *ret_uid);
int helper_parse_fd(const char *s, int *ret_fd);
int helper_check_id(const char *id);

/* vmstate.c */
void vmstate_release(bh_helper *h);
