/*
 * monitor.h -- BecomeMonitor: a monitor's rules and the test of whether a
 * monitor wants a copy of a message. Monitors see traffic with
 * eavesdropper semantics (unicast included) and never send.
 */
#pragma once

#include <stdbool.h>
#include "bus/bus.h"
#include "wire/reader.h"

/**
 * monitor_set_rules() - parse the 'as' of BecomeMonitor at @r into @p's
 * monitor rules (an empty array means everything).
 * Return: 0, 1 (a rule is invalid; nothing changed) or -ENOMEM.
 */
int monitor_set_rules(Peer *p, WireReader *r);

/** monitor_free_rules() - drop @p's monitor rules. */
void monitor_free_rules(Peer *p);

/** monitor_wants() - does monitor @mon want @m sent by @sender (NULL = driver)? */
bool monitor_wants(Peer *mon, Bus *b, const Peer *sender, const Msg *m);
