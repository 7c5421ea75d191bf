/*
 * fuzz-config.c -- arbitrary bytes as a dbus-daemon configuration file.
 * Loads from memory with includes and user lookups disabled (no file system,
 * no NSS); on success also dumps the policy, compiles a snapshot and runs one
 * check of each kind, so the rule structures built from hostile input are
 * exercised too. Must never crash, leak or trip a sanitizer.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The parser dlopen()s libexpat for each load and dlclose()s it afterwards
 * (src/policy/xml-lib.c). One reference held for the whole run keeps it
 * mapped, so an input costs a reference count (~10 us) instead of a fresh
 * load and unload of the library (~1 ms).
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)dlopen("libexpat.so.1", RTLD_NOW | RTLD_LOCAL);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(bus_config_freep) BusConfig *c = NULL;
        _cleanup_(policy_snapshot_freep) PolicySnapshot *s = NULL;
        _cleanup_free_ char *err = NULL, *dump = NULL;
        const char *names[] = { "org.example.Name", ":1.1" };
        PolicyMessage m = { .type = POLICY_MESSAGE_METHOD_CALL, .interface = "org.example.I", .member = "M",
                            .path = "/", .destination = names[0], .names = names, .n_names = 2 };
        gid_t gid = 0;

        if (bus_config_load_from_buffer(data, size, "fuzz.conf", NULL, BUS_CONFIG_NO_INCLUDES | BUS_CONFIG_NO_NSS,
                                        &c, &err) != 0)
                return 0;
        if (policy_dump(c->policy, &dump) < 0)
                return 0;
        (void)policy_check_connect(c->policy, 0, 0, &gid, 1, NULL);
        if (policy_snapshot_new(c->policy, 0, &gid, 1, &s) < 0)
                return 0;
        (void)policy_check_send(s, &m, NULL);
        (void)policy_check_receive(s, &m, NULL);
        (void)policy_check_own(s, names[0], NULL);
        return 0;
}
