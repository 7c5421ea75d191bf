/*
 * fuzz-match.c -- match rules from arbitrary bytes: parse; if accepted, the
 * rule must equal itself parsed again (with the same hash), its size must
 * stay within the bound, and it is matched (all three modes) against a few
 * fixed messages built once with the wire builder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus/match-rule.h"
#include "wire/builder.h"
#include "wire/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct FuzzMsg {
        uint8_t *data;
        size_t size;
        WireHeader h;
        const char *sender, *recipient;
} FuzzMsg;

static FuzzMsg fuzz_msgs[3];
static bool fuzz_ready;

static void fuzz_build(FuzzMsg *m, WireBuilder *b, const char *sender, const char *recipient)
{
        if (wire_builder_finish(b, 1, &m->data, &m->size) != 0 ||
            wire_message_parse(m->data, m->size, &m->h) != 0)
                abort();
        wire_builder_deinit(b);
        m->sender = sender;
        m->recipient = recipient;
}

static void fuzz_setup(void)
{
        WireBuilder b;
        const char *path = "/org/qemu/a";

        wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&b, "/org/freedesktop/DBus");
        wire_builder_set_interface(&b, "org.freedesktop.DBus");
        wire_builder_set_member(&b, "NameOwnerChanged");
        wire_builder_append_string(&b, "org.qemu.Helper1");
        wire_builder_append_string(&b, "");
        wire_builder_append_string(&b, ":1.5");
        fuzz_build(&fuzz_msgs[0], &b, NULL, NULL);

        wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&b, "/org/qemu/VM1");
        wire_builder_set_interface(&b, "org.qemu.VMState1");
        wire_builder_set_member(&b, "Changed");
        wire_builder_append(&b, 'o', &path);
        wire_builder_append_u32(&b, 7);
        wire_builder_append_string(&b, "/org/qemu/");
        fuzz_build(&fuzz_msgs[1], &b, ":1.5", NULL);

        wire_builder_init(&b, WIRE_MESSAGE_METHOD_CALL, 0);
        wire_builder_set_path(&b, "/");
        wire_builder_set_interface(&b, "org.qemu.VMState1");
        wire_builder_set_member(&b, "Save");
        wire_builder_set_destination(&b, "org.qemu.Helper1");
        fuzz_build(&fuzz_msgs[2], &b, ":1.7", ":1.5");
        fuzz_ready = true;
}

static bool fuzz_owned_by(void *userdata, const char *name, const char *unique)
{
        return !strcmp(name, "org.qemu.Helper1") && !strcmp(unique, ":1.5");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        MatchRule *r = NULL, *again = NULL;

        if (!fuzz_ready)
                fuzz_setup();
        if (match_rule_new(&r, (const char *)data, size) != 0)
                return 0;
        if (match_rule_new(&again, (const char *)data, size) != 0 || !match_rule_equal(r, again) ||
            match_rule_hash(r) != match_rule_hash(again))
                abort();
        if (match_rule_size(r) > sizeof(MatchRule) + MATCH_ARG_MAX * sizeof(MatchArg) +
                                         MATCH_RULE_MAX_LENGTH + MATCH_RULE_MAX_LENGTH / 2 + 2)
                abort();
        for (size_t i = 0; i < sizeof(fuzz_msgs) / sizeof(fuzz_msgs[0]); i++) {
                const FuzzMsg *fm = &fuzz_msgs[i];
                MatchMessage m;
                bool plain, monitor;

                match_message_init(&m, &fm->h, fm->data, fm->sender, fm->recipient);
                m.name_owned_by = fuzz_owned_by;
                plain = match_rule_matches(r, &m);
                m.eavesdrop_allowed = true;
                (void)match_rule_matches(r, &m);
                monitor = match_rule_matches_monitor(r, &m);
                if (plain && !monitor)
                        abort(); /* a monitor sees at least what a plain rule sees */
        }
        match_rule_free(again);
        match_rule_free(r);
        return 0;
}
