/*
 * monitor.c -- monitor rules (BecomeMonitor's match rules).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bus/match-registry.h"
#include "bus/monitor.h"

#define MONITOR_MAX_RULES 1024

/** monitor_free_rules() - see monitor.h. */
void monitor_free_rules(Peer *p)
{
        for (unsigned i = 0; i < p->n_monitor_rules; i++)
                match_rule_free(p->monitor_rules[i]);
        free(p->monitor_rules);
        p->monitor_rules = NULL;
        p->n_monitor_rules = 0;
}

static void free_list(MatchRule **rules, unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                match_rule_free(rules[i]);
        free(rules);
}

/** monitor_set_rules() - see monitor.h. */
int monitor_set_rules(Peer *p, WireReader *r)
{
        MatchRule **rules = NULL;
        unsigned n = 0, cap = 0;
        const char *s;

        if (wire_reader_enter(r, 'a', NULL, NULL) != 0)
                return 1;
        while (!wire_reader_at_end(r)) {
                int k;

                if (wire_reader_read(r, 's', &s) != 0 || n >= MONITOR_MAX_RULES)
                        goto invalid;
                if (n == cap) {
                        MatchRule **q;

                        cap = cap ? cap * 2 : 8;
                        q = realloc(rules, cap * sizeof(*q));
                        if (!q) {
                                free_list(rules, n);
                                return -ENOMEM;
                        }
                        rules = q;
                }
                k = match_rule_new(&rules[n], s, strlen(s));
                if (k < 0) {
                        free_list(rules, n);
                        return k;
                }
                if (k > 0)
                        goto invalid;
                n++;
        }
        wire_reader_exit(r);
        monitor_free_rules(p);
        p->monitor_rules = rules;
        p->n_monitor_rules = n;
        return 0;
invalid:
        free_list(rules, n);
        return 1;
}

/** monitor_wants() - see monitor.h. */
bool monitor_wants(Peer *mon, Bus *b, const Peer *sender, const Msg *m)
{
        const Peer *recipient = NULL;
        MatchMessage mm;

        if (mon->n_monitor_rules == 0)
                return true;
        if (m->h.destination)
                recipient = bus_find_by_name(b, m->h.destination);
        match_message_prepare(&mm, b, sender, recipient, m);
        for (unsigned i = 0; i < mon->n_monitor_rules; i++)
                if (match_rule_matches_monitor(mon->monitor_rules[i], &mm))
                        return true;
        return false;
}
