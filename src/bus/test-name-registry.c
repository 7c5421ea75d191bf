/*
 * test-name-registry.c -- RequestName/ReleaseName queue semantics of the
 * D-Bus specification on the registry alone (peers are opaque pointers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus/name-registry.h"
#include "util/test-check.h"

typedef struct FakePeer {
        ListNode names;
} FakePeer;

#define P(fp) ((struct Peer *)(void *)(fp))

static void drop_all(NameRegistry *reg, FakePeer *fp)
{
        while (!list_empty(&fp->names)) {
                NameOwner *o = container_of(fp->names.next, NameOwner, peer_link);
                NameChange ch;
                Name *empty = NULL;

                name_registry_drop_owner(reg, o, &ch, &empty);
                free(empty);
        }
}

int main(void)
{
        NameRegistry reg;
        FakePeer a, b, c;
        NameChange ch;

        list_init(&a.names);
        list_init(&b.names);
        list_init(&c.names);
        name_registry_init(&reg, 42);

        /* first owner */
        CHECK(name_registry_request(&reg, P(&a), &a.names, "org.x", NAME_FLAG_ALLOW_REPLACEMENT, &ch) ==
              NAME_REPLY_PRIMARY_OWNER);
        CHECK(ch.old_owner == NULL && ch.new_owner == P(&a));
        CHECK(name_registry_request(&reg, P(&a), &a.names, "org.x", NAME_FLAG_ALLOW_REPLACEMENT, &ch) ==
              NAME_REPLY_ALREADY_OWNER);

        /* queueing, then DO_NOT_QUEUE */
        CHECK(name_registry_request(&reg, P(&b), &b.names, "org.x", 0, &ch) == NAME_REPLY_IN_QUEUE);
        CHECK(name_registry_primary(&reg, "org.x") == P(&a));
        CHECK(name_registry_request(&reg, P(&c), &c.names, "org.x", NAME_FLAG_DO_NOT_QUEUE, &ch) ==
              NAME_REPLY_EXISTS);

        /* replacement: a allowed it, c asks for it; a stays queued behind c */
        CHECK(name_registry_request(&reg, P(&c), &c.names, "org.x", NAME_FLAG_REPLACE_EXISTING, &ch) ==
              NAME_REPLY_PRIMARY_OWNER);
        CHECK(ch.old_owner == P(&a) && ch.new_owner == P(&c));
        /* c did not allow replacement: b cannot take it */
        CHECK(name_registry_request(&reg, P(&b), &b.names, "org.x", NAME_FLAG_REPLACE_EXISTING, &ch) ==
              NAME_REPLY_IN_QUEUE);

        /* release passes ownership down the queue */
        CHECK(name_registry_release(&reg, P(&c), "org.x", &ch) == NAME_REPLY_RELEASED);
        CHECK(ch.old_owner == P(&c) && ch.new_owner == P(&a));
        CHECK(name_registry_release(&reg, P(&c), "org.x", &ch) == NAME_REPLY_NOT_OWNER);
        CHECK(name_registry_release(&reg, P(&c), "org.nope", &ch) == NAME_REPLY_NON_EXISTENT);

        /* a disconnects: b inherits; b disconnects: the name is gone */
        drop_all(&reg, &a);
        CHECK(name_registry_primary(&reg, "org.x") == P(&b));
        drop_all(&reg, &b);
        CHECK(name_registry_lookup(&reg, "org.x") == NULL);
        drop_all(&reg, &c);
        name_registry_deinit(&reg);
        return 0;
}
