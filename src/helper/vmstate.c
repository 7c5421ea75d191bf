/*
 * vmstate.c -- org.qemu.VMState1 as QEMU's -object dbus-vmstate uses it, and
 * org.bulkhead.Helper1, the record of each Save/Load for the launcher.
 *
 * QEMU (backends/dbus-vmstate.c) lists the queued owners of org.qemu.VMState1,
 * reads the Id property of /org/qemu/VMState1 with Properties.GetAll, then
 * calls Save() -> ay on the source and Load(ay) on the destination.
 *
 * Must never: answer Save/Load for a uid other than QEMU's; send or accept a
 * state over BH_VMSTATE_SIZE_MAX; hand Load data to the helper before the size
 * and the validator accepted it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "helper/helper-private.h"
#include "util/macro.h"

static void record(VMStateRecord *rec, const char *status, const sd_bus_error *error,
                   uint64_t size)
{
        rec->count++;
        rec->status = status;
        rec->size = size;
        free(rec->error);
        rec->error = NULL;
        if (error && sd_bus_error_is_set(error)) {
                if (asprintf(&rec->error, "%s: %s", error->name,
                             error->message ?: "") < 0)
                        rec->error = NULL;
        }
}

static int method_save(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        bh_helper *h = userdata;
        size_t size = 0;
        int r;

        r = bh_helper_check_caller(h, m, error);
        if (r < 0)
                return r;

        r = h->save_cb(h->userdata, &data, &size);
        if (r < 0) {
                sd_bus_error_setf(error, BH_ERROR_SAVE_FAILED, "Saving state failed: %s",
                                  strerror(-r));
                record(&h->last_save, "failed", error, 0);
                return -EIO;
        }
        if (size > BH_VMSTATE_SIZE_MAX) {
                sd_bus_error_setf(error, BH_ERROR_STATE_TOO_LARGE,
                                  "State of %zu bytes exceeds the limit of %u bytes", size,
                                  BH_VMSTATE_SIZE_MAX);
                record(&h->last_save, "too-large", error, size);
                return -EFBIG;
        }
        if (!data && size > 0) {
                sd_bus_error_set(error, BH_ERROR_SAVE_FAILED, "Save callback gave no data");
                record(&h->last_save, "failed", error, 0);
                return -EINVAL;
        }
        /*
         * QEMU 7.2 takes an empty ay for "not a byte array", drops the entry and
         * the destination then fails to load: say so here, where it is clear.
         */
        if (size == 0) {
                sd_bus_error_set(error, BH_ERROR_SAVE_FAILED,
                                 "Empty state: QEMU cannot migrate a 0-byte state");
                record(&h->last_save, "failed", error, 0);
                return -ENODATA;
        }
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', data, size);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0) {
                sd_bus_error_setf(error, BH_ERROR_SAVE_FAILED, "Sending state failed: %s",
                                  strerror(-r));
                record(&h->last_save, "failed", error, size);
                return r;
        }
        record(&h->last_save, "ok", NULL, size);
        return 1;
}

static int method_load(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        bh_helper *h = userdata;
        const void *data = NULL;
        size_t size = 0;
        int r;

        r = bh_helper_check_caller(h, m, error);
        if (r < 0)
                return r;

        r = sd_bus_message_read_array(m, 'y', &data, &size);
        if (r < 0) {
                sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Expected a byte array");
                record(&h->last_load, "invalid", error, 0);
                return r;
        }
        if (size > BH_VMSTATE_SIZE_MAX) {
                sd_bus_error_setf(error, BH_ERROR_STATE_TOO_LARGE,
                                  "State of %zu bytes exceeds the limit of %u bytes", size,
                                  BH_VMSTATE_SIZE_MAX);
                record(&h->last_load, "too-large", error, size);
                return -EFBIG;
        }
        if (h->validate_cb && h->validate_cb(h->userdata, data, size) != 0) {
                sd_bus_error_set(error, BH_ERROR_STATE_INVALID,
                                 "State refused by the helper's validator");
                record(&h->last_load, "invalid", error, size);
                return -EINVAL;
        }
        r = h->load_cb(h->userdata, data, size);
        if (r < 0) {
                sd_bus_error_setf(error, BH_ERROR_LOAD_FAILED, "Loading state failed: %s",
                                  strerror(-r));
                record(&h->last_load, "failed", error, size);
                return -EIO;
        }
        record(&h->last_load, "ok", NULL, size);
        return sd_bus_reply_method_return(m, NULL);
}

static int property_id(sd_bus *bus, const char *path, const char *interface,
                       const char *property, sd_bus_message *reply, void *userdata,
                       sd_bus_error *error)
{
        bh_helper *h = userdata;

        return sd_bus_message_append(reply, "s", h->vmstate_id);
}

/* Properties of org.bulkhead.Helper1: "Save..." or "Load..." picks the record. */
static int property_record(sd_bus *bus, const char *path, const char *interface,
                           const char *property, sd_bus_message *reply, void *userdata,
                           sd_bus_error *error)
{
        bh_helper *h = userdata;
        const VMStateRecord *rec;
        const char *what;

        rec = strstr(property, "Save") ? &h->last_save : &h->last_load;
        what = property + 4; /* after "Last" or "Save"/"Load" */
        if (strncmp(property, "Last", 4) == 0)
                what = property + 8; /* after "LastSave"/"LastLoad" */
        if (strcmp(what, "Count") == 0)
                return sd_bus_message_append(reply, "u", rec->count);
        if (strcmp(what, "Status") == 0)
                return sd_bus_message_append(reply, "s", rec->status);
        if (strcmp(what, "Error") == 0)
                return sd_bus_message_append(reply, "s", rec->error ?: "");
        if (strcmp(what, "Size") == 0)
                return sd_bus_message_append(reply, "t", rec->size);
        return -ENOENT;
}

/*
 * UNPRIVILEGED: sd-bus would otherwise let only our own uid (or CAP_SYS_ADMIN)
 * call, which refuses QEMU when it runs under its own uid. The uid check that
 * matters is bh_helper_check_caller(), first thing in each method.
 */
static const sd_bus_vtable vmstate_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", property_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES("Save", "", "", "ay", SD_BUS_PARAM(data), method_save,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Load", "ay", SD_BUS_PARAM(data), "", "", method_load,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable status_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("VMStateId", "s", property_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SaveCount", "u", property_record, 0, 0),
        SD_BUS_PROPERTY("LastSaveStatus", "s", property_record, 0, 0),
        SD_BUS_PROPERTY("LastSaveError", "s", property_record, 0, 0),
        SD_BUS_PROPERTY("LastSaveSize", "t", property_record, 0, 0),
        SD_BUS_PROPERTY("LoadCount", "u", property_record, 0, 0),
        SD_BUS_PROPERTY("LastLoadStatus", "s", property_record, 0, 0),
        SD_BUS_PROPERTY("LastLoadError", "s", property_record, 0, 0),
        SD_BUS_PROPERTY("LastLoadSize", "t", property_record, 0, 0),
        SD_BUS_VTABLE_END,
};

/**
 * vmstate_release() - drop the export of @h (objects; the bus drops the name).
 * @h: helper.
 */
void vmstate_release(bh_helper *h)
{
        h->vmstate_slot = sd_bus_slot_unref(h->vmstate_slot);
        h->status_slot = sd_bus_slot_unref(h->status_slot);
        free(h->vmstate_id);
        h->vmstate_id = NULL;
        free(h->last_save.error);
        h->last_save.error = NULL;
        free(h->last_load.error);
        h->last_load.error = NULL;
}

_public_ int bh_vmstate_export(bh_helper *h, const char *id, bh_save_fn save_cb,
                               bh_load_fn load_cb, void *userdata)
{
        int r;

        if (!h || !save_cb || !load_cb || helper_check_id(id) < 0)
                return -EINVAL;
        if (h->vmstate_id)
                return -EALREADY;
        h->vmstate_id = strdup(id);
        if (!h->vmstate_id)
                return -ENOMEM;
        h->save_cb = save_cb;
        h->load_cb = load_cb;
        h->userdata = userdata;

        /* the object must exist before QEMU can see our name in the queue */
        r = sd_bus_add_object_vtable(h->bus, &h->vmstate_slot, BH_VMSTATE_PATH,
                                     BH_VMSTATE_INTERFACE, vmstate_vtable, h);
        if (r >= 0)
                r = sd_bus_add_object_vtable(h->bus, &h->status_slot, BH_HELPER_PATH,
                                             BH_HELPER_INTERFACE, status_vtable, h);
        if (r >= 0)
                r = sd_bus_request_name(h->bus, BH_VMSTATE_NAME, SD_BUS_NAME_QUEUE);
        if (r < 0) {
                vmstate_release(h);
                return r;
        }
        return 0;
}

_public_ int bh_vmstate_set_validator(bh_helper *h, bh_validate_fn validate_cb)
{
        if (!h)
                return -EINVAL;
        if (!h->vmstate_id)
                return -ENOENT;
        h->validate_cb = validate_cb;
        return 0;
}

static int get_record(bh_helper *h, const VMStateRecord *rec, bh_vmstate_result *ret)
{
        if (!h || !ret)
                return -EINVAL;
        if (!h->vmstate_id)
                return -ENOENT;
        *ret = (bh_vmstate_result){
                .count = rec->count,
                .status = rec->status,
                .error = rec->error ?: "",
                .size = rec->size,
        };
        return 0;
}

_public_ int bh_vmstate_get_last_save(bh_helper *h, bh_vmstate_result *ret)
{
        return get_record(h, h ? &h->last_save : NULL, ret);
}

_public_ int bh_vmstate_get_last_load(bh_helper *h, bh_vmstate_result *ret)
{
        return get_record(h, h ? &h->last_load : NULL, ret);
}

/* Read one a{sv} entry's value at @reply into the matching output. */
static int read_save_entry(sd_bus_message *reply, const char *key, uint32_t *count,
                           char **status, char **error, unsigned *seen)
{
        const char *s;
        int r;

        if (strcmp(key, "SaveCount") == 0) {
                r = sd_bus_message_read(reply, "v", "u", count);
                *seen |= r > 0 ? 1 : 0;
                return r;
        }
        if (strcmp(key, "LastSaveStatus") == 0 || strcmp(key, "LastSaveError") == 0) {
                char **out = key[8] == 'S' ? status : error;

                r = sd_bus_message_read(reply, "v", "s", &s);
                if (r <= 0)
                        return r;
                free(*out);
                *out = strdup(s);
                if (!*out)
                        return -ENOMEM;
                *seen |= key[8] == 'S' ? 2 : 4;
                return 1;
        }
        return sd_bus_message_skip(reply, "v");
}

_public_ int bh_vmstate_query_save(sd_bus *bus, const char *destination, uint32_t *ret_count,
                                   char **ret_status, char **ret_error)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *status = NULL, *err = NULL;
        uint32_t count = 0;
        unsigned seen = 0;
        const char *key;
        int r;

        if (!bus || !destination)
                return -EINVAL;
        r = sd_bus_call_method(bus, destination, BH_HELPER_PATH,
                               "org.freedesktop.DBus.Properties", "GetAll", &error, &reply,
                               "s", BH_HELPER_INTERFACE);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                r = read_save_entry(reply, key, &count, &status, &err, &seen);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (seen != 7)
                return -EPROTO;
        if (ret_count)
                *ret_count = count;
        if (ret_status)
                *ret_status = TAKE_PTR(status);
        if (ret_error)
                *ret_error = TAKE_PTR(err);
        return 0;
}
