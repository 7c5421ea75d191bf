/*
 * policy-check.h -- the bus side of the security policy: build the
 * PolicyMessage for one delivery (names of the other party, requested
 * reply, eavesdropping), run the sender's send check and the receiver's
 * receive check, and answer AccessDenied with dbus-daemon's text.
 *
 * Must never: cache verdicts across messages (names change).
 */
#pragma once

#include <stdbool.h>
#include "bus/bus.h"

/* Who hears of a denial: AccessDenied with dbus-daemon's text (and a log line, rate limited). */
typedef enum PolicyReport {
        POLICY_REPORT_NONE,             /* no one: an eavesdropper's copy */
        POLICY_REPORT_SENDER,           /* the sender, and monitors */
        POLICY_REPORT_MONITORS,         /* monitors alone: a broadcast, as dbus-daemon */
} PolicyReport;

/**
 * policy_check_delivery() - may @m go from @from to @to (NULL: a message to
 * the driver when @m's destination is the driver)? A broadcast is checked
 * per receiver, with that receiver's names, as dbus-daemon does; a reply
 * counts as requested here (eavesdropping; policy_check_unicast() decides
 * for an addressed reply). @report says who hears of a denial.
 * Return: 0 or POLICY_E_DENIED.
 */
int policy_check_delivery(Bus *b, Peer *from, Peer *to, const Msg *m, bool eavesdrop, PolicyReport report);

/**
 * policy_check_unicast() - like policy_check_delivery() for @m addressed to
 * @to (not eavesdropping, denials answered), with @requested_reply telling
 * whether a reply @m was awaited by the bus (reply tracking).
 * Return: 0 or POLICY_E_DENIED.
 */
int policy_check_unicast(Bus *b, Peer *from, Peer *to, const Msg *m, bool requested_reply);

/** policy_check_from_driver() - may @to receive the driver's message @m? 0 or POLICY_E_DENIED. */
int policy_check_from_driver(Bus *b, Peer *to, const Msg *m);

enum {
        /* > POLICY_E_DENIED: SELinux denied, AccessDenied with its own text */
        POLICY_CHECK_E_SELINUX = POLICY_E_DENIED + 1,
};

/**
 * policy_check_own_name() - may @p own @name? SELinux ("acquire_svc", logged
 * when denied) first, then the configuration's rules, as dbus-daemon.
 * Return: 0, POLICY_CHECK_E_SELINUX or POLICY_E_DENIED.
 */
int policy_check_own_name(Bus *b, Peer *p, const char *name);

/**
 * policy_check_to_driver() - may @from send @m to the driver? As dbus-daemon:
 * SELinux ("send_msg" to the bus's own context), then, once @from has said
 * Hello, the send rules with "org.freedesktop.DBus" as the destination (so a
 * policy can keep a peer from BecomeMonitor, say); a denial is logged (rate
 * limited) and answered with AccessDenied.
 * Return: 0 or POLICY_E_DENIED.
 */
int policy_check_to_driver(Bus *b, Peer *from, const Msg *m);
