/*
 * test-ratelimit.c -- the window limit: burst lines pass, the rest are
 * counted, and the count is handed over once when the next window opens.
 */
#include <stdio.h>
#include <stdlib.h>
#include "util/ratelimit.h"
#include "util/test-check.h"

int main(void)
{
        RateLimit rl = RATELIMIT_INIT(1000000, 3);
        unsigned missed, passed = 0;

        for (int i = 0; i < 10; i++) {
                bool ok = ratelimit_pass(&rl, 5000000 + (uint64_t)i * 1000, &missed);

                passed += ok;
                CHECK(missed == 0);
                CHECK(ok == (i < 3));
        }
        CHECK(passed == 3);
        /* still inside the window: held back */
        CHECK(!ratelimit_pass(&rl, 5999999, &missed) && missed == 0);
        /* the next window: passes, and reports the 8 held back */
        CHECK(ratelimit_pass(&rl, 6000000, &missed) && missed == 8);
        CHECK(ratelimit_pass(&rl, 6000001, &missed) && missed == 0);
        /* a quiet gap: a new window, nothing missed */
        CHECK(ratelimit_pass(&rl, 60000000, &missed) && missed == 0);
        return 0;
}
