/*
 * ratelimit.c -- see ratelimit.h.
 */
#include "util/ratelimit.h"

/** ratelimit_pass() - see ratelimit.h. */
bool ratelimit_pass(RateLimit *rl, uint64_t now_us, unsigned *ret_missed)
{
        *ret_missed = 0;
        if (rl->n == 0 || now_us - rl->begin >= rl->interval_us) {
                *ret_missed = rl->missed;
                rl->begin = now_us;
                rl->n = 0;
                rl->missed = 0;
        }
        if (rl->n < rl->burst) {
                rl->n++;
                return true;
        }
        rl->missed++;
        return false;
}
