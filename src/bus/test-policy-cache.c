/*
 * test-policy-cache.c -- peers with the same uid and groups share one
 * compiled snapshot; other groups get their own; the last put frees it; a
 * reload recompiles every entry against the new policy (verdicts change).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus/policy-cache.h"
#include "policy/config.h"
#include "util/test-check.h"

static BusConfig *load(const char *rules)
{
        char buf[1024];
        BusConfig *c = NULL;
        char *error = NULL;
        int n = snprintf(buf, sizeof(buf),
                         "<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen>"
                         "<policy context=\"default\"><allow send_destination=\"*\"/>"
                         "<allow own=\"*\"/>%s</policy>"
                         "<policy group=\"4242\"><deny send_destination=\"org.example.G\"/></policy>"
                         "</busconfig>", rules);

        CHECK(n > 0 && (size_t)n < sizeof(buf));
        if (bus_config_load_from_buffer(buf, (size_t)n, "test.conf", NULL, 0, &c, &error) != 0) {
                fprintf(stderr, "config: %s\n", error ? error : "?");
                exit(1);
        }
        return c;
}

/* may a connection with @s send a method call to @dest? */
static bool may_send(const PolicySnapshot *s, const char *dest)
{
        const char *names[] = { dest };
        PolicyMessage m = { .type = POLICY_MESSAGE_METHOD_CALL, .interface = "org.example.I",
                            .member = "M", .path = "/", .destination = dest, .names = names,
                            .n_names = 1 };

        return policy_check_send(s, &m, NULL) == 0;
}

int main(void)
{
        BusConfig *c1 = load(""), *c2 = load("<deny send_destination=\"org.example.D\"/>");
        gid_t plain[] = { 1000 }, grouped[] = { 1000, 4242 };
        PolicyCacheEntry *a = NULL, *b = NULL, *g = NULL, *again = NULL;
        PolicyCache cache;

        policy_cache_init(&cache, 12345);

        /* same uid and groups: one entry, two references */
        CHECK(policy_cache_get(&cache, c1->policy, 1000, plain, 1, &a) == 0);
        CHECK(policy_cache_get(&cache, c1->policy, 1000, plain, 1, &b) == 0);
        CHECK(a == b && a->n_refs == 2 && a->snapshot);
        /* another group list or uid: its own entry, with the group's rules */
        CHECK(policy_cache_get(&cache, c1->policy, 1000, grouped, 2, &g) == 0);
        CHECK(g != a && g->n_refs == 1);
        CHECK(policy_cache_get(&cache, c1->policy, 1001, plain, 1, &again) == 0);
        CHECK(again != a);
        policy_cache_put(&cache, again);
        CHECK(may_send(a->snapshot, "org.example.G"));
        CHECK(!may_send(g->snapshot, "org.example.G"));
        CHECK(may_send(a->snapshot, "org.example.D"));

        /* reload: every entry sees the new rules */
        CHECK(policy_cache_reload(&cache, c2->policy) == 0);
        CHECK(!may_send(a->snapshot, "org.example.D"));
        CHECK(!may_send(g->snapshot, "org.example.D"));
        CHECK(!may_send(g->snapshot, "org.example.G"));
        CHECK(may_send(a->snapshot, "org.example.G"));

        /* the last put frees; a later get compiles afresh (against what it is given) */
        policy_cache_put(&cache, a);
        CHECK(b->n_refs == 1);
        policy_cache_put(&cache, b);
        policy_cache_put(&cache, NULL);
        CHECK(policy_cache_get(&cache, c1->policy, 1000, plain, 1, &a) == 0);
        CHECK(a->n_refs == 1 && may_send(a->snapshot, "org.example.D"));
        policy_cache_put(&cache, a);
        policy_cache_put(&cache, g);
        CHECK(cache.map.n_entries == 0);
        policy_cache_deinit(&cache);
        bus_config_free(c1);
        bus_config_free(c2);
        printf("ok\n");
        return 0;
}
