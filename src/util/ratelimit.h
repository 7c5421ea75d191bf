/*
 * ratelimit.h -- a window rate limit for log lines: at most @burst lines per
 * @interval_us, and a count of those held back, so that a peer who provokes
 * a log line per message cannot flood the log (or the disk behind it).
 * The caller supplies the time: no clock, no I/O here.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct RateLimit {
        uint64_t interval_us;
        unsigned burst;
        uint64_t begin;         /* start of the current window */
        unsigned n;             /* lines let through in it */
        unsigned missed;        /* lines held back in it */
} RateLimit;

#define RATELIMIT_INIT(interval, burst_) ((RateLimit){ .interval_us = (interval), .burst = (burst_) })

/**
 * ratelimit_pass() - may one more line go out at @now_us?
 * @rl: the limit.
 * @now_us: a monotonic time in microseconds.
 * @ret_missed: set, when this call opens a new window, to the lines held back
 *              in the previous one (0 otherwise): the caller says so once.
 *
 * Return: true if the line may go out.
 */
bool ratelimit_pass(RateLimit *rl, uint64_t now_us, unsigned *ret_missed);
