/*
 * test-match-registry.c -- the match index: rules reach exactly the peers
 * whose rules match, once each, whether indexed by member, by interface or
 * not at all; removal by content; eavesdropping rules only for unicast and
 * only for peers whose policy may eavesdrop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus/bus.h"
#include "wire/builder.h"
#include "util/test-check.h"

static void peer_init(Peer *p, const char *name)
{
        memset(p, 0, sizeof(*p));
        list_init(&p->matches);
        list_init(&p->names);
        snprintf(p->unique_name, sizeof(p->unique_name), "%s", name);
}

static Msg *signal_new(const char *iface, const char *member, const char *dest)
{
        WireBuilder wb;
        uint8_t *data;
        size_t size;
        Msg *m = NULL;

        wire_builder_init(&wb, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&wb, "/a");
        wire_builder_set_interface(&wb, iface);
        wire_builder_set_member(&wb, member);
        wire_builder_set_sender(&wb, ":1.9");
        if (dest)
                wire_builder_set_destination(&wb, dest);
        wire_builder_append_string(&wb, "x");
        CHECK(wire_builder_finish(&wb, 1, &data, &size) == 0);
        wire_builder_deinit(&wb);
        CHECK(msg_new_parsed(data, size, &m) == 0);
        return m;
}

static unsigned hits[4];
static Peer peers[4];

static void count(Peer *p, void *userdata)
{
        hits[p - peers]++;
}

static void visit(Bus *b, Msg *m, Peer *recipient)
{
        memset(hits, 0, sizeof(hits));
        match_registry_visit(&b->matches, b, &peers[3], recipient, m, count, NULL);
}

int main(void)
{
        Bus b = { 0 };
        Msg *m;

        name_registry_init(&b.names, 1);
        match_registry_init(&b.matches, 2);
        for (int i = 0; i < 4; i++) {
                char name[16];

                snprintf(name, sizeof(name), ":1.%d", i + 1);
                peer_init(&peers[i], name);
        }
        peers[3].unique_name[3] = '9'; /* the sender, ":1.9" */

        CHECK(match_registry_add(&b.matches, &peers[0], "type='signal',member='Foo'", true) == 0);
        CHECK(match_registry_add(&b.matches, &peers[0], "interface='com.x.I'", true) == 0);
        CHECK(match_registry_add(&b.matches, &peers[1], "type='signal',member='Bar'", true) == 0);
        CHECK(match_registry_add(&b.matches, &peers[2], "eavesdrop='true',interface='com.x.I'", true) == 0);
        CHECK(match_registry_add(&b.matches, &peers[2], "member='Foo", true) == MATCH_REGISTRY_E_INVALID);
        CHECK(b.matches.n_rules == 4 && peers[0].n_matches == 2);

        /* broadcast Foo: peer 0 once (two rules match), eavesdropper too */
        m = signal_new("com.x.I", "Foo", NULL);
        visit(&b, m, NULL);
        CHECK(hits[0] == 1 && hits[1] == 0 && hits[2] == 1);
        msg_unref(m);

        /* unicast to peer 1: only the eavesdropping rule is offered */
        m = signal_new("com.x.I", "Bar", ":1.2");
        visit(&b, m, &peers[1]);
        CHECK(hits[0] == 0 && hits[1] == 0 && hits[2] == 1);
        msg_unref(m);

        /* indexed by interface: a rule without member, keyed to another
         * interface, is not offered the message; one with neither key is */
        CHECK(match_registry_add(&b.matches, &peers[1], "interface='com.z.K',arg0='x'", true) == 0);
        CHECK(match_registry_add(&b.matches, &peers[3], "path='/a'", true) == 0);
        m = signal_new("com.z.K", "Baz", NULL);
        visit(&b, m, NULL);
        CHECK(hits[0] == 0 && hits[1] == 1 && hits[2] == 0 && hits[3] == 1);
        msg_unref(m);
        m = signal_new("com.x.I", "Baz", NULL);
        visit(&b, m, NULL);
        CHECK(hits[0] == 1 && hits[1] == 0 && hits[2] == 1 && hits[3] == 1);
        msg_unref(m);
        CHECK(match_registry_remove(&b.matches, &peers[1], "arg0='x',interface='com.z.K'") == 0);
        CHECK(match_registry_remove(&b.matches, &peers[3], "path='/a'") == 0);

        /* an eavesdropping rule for a peer whose policy never allows it */
        CHECK(match_registry_add(&b.matches, &peers[1], "eavesdrop='true',member='Bar'", false) ==
              MATCH_REGISTRY_E_EAVESDROP);
        CHECK(match_registry_add(&b.matches, &peers[1], "eavesdrop='false',member='Bar'", false) == 0);
        CHECK(match_registry_remove(&b.matches, &peers[1], "eavesdrop='false',member='Bar'") == 0);
        CHECK(b.matches.n_rules == 4 && b.matches.n_eavesdrop == 1);

        /* removal by content */
        CHECK(match_registry_remove(&b.matches, &peers[0], "member='Foo',type='signal'") == 0);
        CHECK(match_registry_remove(&b.matches, &peers[0], "member='Foo',type='signal'") ==
              MATCH_REGISTRY_E_NOT_FOUND);
        m = signal_new("com.y.J", "Foo", NULL);
        visit(&b, m, NULL);
        CHECK(hits[0] == 0 && hits[1] == 0 && hits[2] == 0);
        msg_unref(m);

        for (int i = 0; i < 4; i++)
                match_registry_remove_peer(&b.matches, &peers[i]);
        CHECK(b.matches.n_rules == 0 && b.matches.n_eavesdrop == 0);
        match_registry_deinit(&b.matches);
        name_registry_deinit(&b.names);
        return 0;
}
