/*
 * error.h -- error conventions (as in dbus-broker).
 *
 *   0            success
 *   negative     -errno: a real failure, passed up unchanged. Where it is first
 *                seen, wrap it in error_origin() so a debug build can say where.
 *   positive     a module's expected outcome (WIRE_E_*, POLICY_E_*, PEER_E_*):
 *                the caller must map it (usually to a D-Bus error reply).
 *
 * Never assert on anything a peer sent; asserts are for our own invariants.
 */
#pragma once

#include <stdio.h>
#include <string.h>

/*
 * error_origin() - mark the place a fatal (negative) error started.
 * With BULKHEAD_ERROR_TRACE defined at build time the place is printed;
 * otherwise it is a no-op that returns @r. Positive codes pass through.
 */
#ifdef BULKHEAD_ERROR_TRACE
#define error_origin(r)                                                               \
        ({                                                                            \
                int _eo_ = (r);                                                       \
                if (_eo_ < 0)                                                         \
                        fprintf(stderr, "error: %s:%d %s(): %s\n", __FILE__, __LINE__, \
                                __func__, strerror(-_eo_));                           \
                _eo_;                                                                 \
        })
#else
#define error_origin(r) (r)
#endif

/* error_trace() - same, for a negative error seen again while passing it up. */
#define error_trace(r) error_origin(r)
