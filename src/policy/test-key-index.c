/*
 * test-key-index.c -- KeyIndex: every key finds exactly its entries, in rule
 * order; absent keys find nothing; an empty index is fine; 10,000 keys (with
 * their hash collisions) against a linear walk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/key-index.h"
#include "util/macro.h"
#include "util/test-check.h"

/* what a linear walk over the entries in insertion order finds for @key */
static size_t linear(char *const *keys, size_t n, const char *key, unsigned *seqs)
{
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (strcmp(keys[i], key) == 0)
                        seqs[k++] = (unsigned)i;
        return k;
}

static void test_small(void)
{
        static const char *const keys[] = { "b.b", "a.a", "b.b", "c.c", "a.a", "b.b" };
        KeyIndex x;
        const KeyEntry *e;
        size_t n;

        CHECK(key_index_init(&x, 0) == 0);
        CHECK(key_index_build(&x) == 0);
        CHECK(key_index_find(&x, "a.a", &n) == NULL && n == 0);
        key_index_clear(&x);

        CHECK(key_index_init(&x, ELEMENTSOF(keys)) == 0);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                key_index_add(&x, keys[i], (unsigned)i);
        CHECK(key_index_build(&x) == 0);
        e = key_index_find(&x, "b.b", &n);
        CHECK(n == 3 && e[0].seq == 0 && e[1].seq == 2 && e[2].seq == 5);
        e = key_index_find(&x, "a.a", &n);
        CHECK(n == 2 && e[0].seq == 1 && e[1].seq == 4);
        e = key_index_find(&x, "c.c", &n);
        CHECK(n == 1 && e[0].seq == 3);
        CHECK(key_index_find(&x, "d.d", &n) == NULL && n == 0);
        CHECK(key_index_find(&x, "", &n) == NULL && n == 0);
        CHECK(key_index_find(&x, "b.b.", &n) == NULL && n == 0);
        key_index_clear(&x);
        CHECK(x.n == 0 && x.slots == NULL);
}

static void test_many(void)
{
        enum { N = 10000, DISTINCT = 3000 };
        char **keys = calloc(N, sizeof(*keys));
        unsigned *want = calloc(N, sizeof(*want));
        KeyIndex x;
        unsigned st = 7;

        if (!keys || !want)
                abort();
        for (size_t i = 0; i < N; i++) {
                st = st * 1103515245u + 12345u;
                if (asprintf(&keys[i], "com.example.Name%u", (st >> 8) % DISTINCT) < 0)
                        abort();
        }
        CHECK(key_index_init(&x, N) == 0);
        for (size_t i = 0; i < N; i++)
                key_index_add(&x, keys[i], (unsigned)i);
        CHECK(key_index_build(&x) == 0);
        for (unsigned k = 0; k < DISTINCT + 100; k++) {
                char key[64];
                size_t n, w;
                const KeyEntry *e;

                snprintf(key, sizeof(key), "com.example.Name%u", k);
                e = key_index_find(&x, key, &n);
                w = linear(keys, N, key, want);
                CHECK(n == w);
                for (size_t i = 0; i < n && i < w; i++)
                        CHECK(e[i].seq == want[i] && strcmp(e[i].key, key) == 0);
        }
        key_index_clear(&x);
        for (size_t i = 0; i < N; i++)
                free(keys[i]);
        free(keys);
        free(want);
}

int main(void)
{
        test_small();
        test_many();
        printf("ok\n");
        return 0;
}
