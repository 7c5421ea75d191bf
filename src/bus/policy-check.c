/*
 * policy-check.c -- per-delivery policy checks with dbus-daemon's
 * AccessDenied texts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus/dispatch.h"
#include "bus/policy-check.h"
#include "policy/selinux.h"

#define NAMES_ON_STACK 32

typedef struct NameList {
        const char *stack[NAMES_ON_STACK];
        const char **names;
        size_t n;
} NameList;

/* the names @p owns (or the driver's), when @needed: rules that name none
 * do not look at them */
static void names_collect(NameList *l, const Peer *p, const char *driver_name, bool needed)
{
        size_t cap = NAMES_ON_STACK, n;

        l->names = l->stack;
        l->n = 0;
        if (!needed)
                return;
        if (!p) {
                if (driver_name) {
                        l->stack[0] = driver_name;
                        l->n = 1;
                }
                return;
        }
        n = 1 + p->n_names;
        if (n > cap) {
                l->names = malloc(n * sizeof(char *));
                if (!l->names) {
                        l->names = l->stack;
                        n = cap;
                } else {
                        cap = n;
                }
        }
        l->n = peer_collect_names(p, l->names, cap);
}

static void names_free(NameList *l)
{
        if (l->names != l->stack)
                free(l->names);
}

static void message_init(PolicyMessage *pm, const Msg *m, bool eavesdrop)
{
        /* eavesdropped and driver replies count as requested; unicast
         * replies are decided by reply tracking (policy_check_unicast) */
        *pm = (PolicyMessage){
                .type = (PolicyMessageType)m->h.type,
                .interface = m->h.interface,
                .member = m->h.member,
                .error_name = m->h.error_name,
                .path = m->h.path,
                .destination = m->h.destination,
                .requested_reply = m->h.type == WIRE_MESSAGE_METHOD_RETURN ||
                                   m->h.type == WIRE_MESSAGE_ERROR,
                .eavesdrop = eavesdrop,
                .n_fds = m->h.n_fds,
        };
}

/* a denial of @p's may be logged: within its uid's BUS_LOG_BURST a second */
static bool log_denial(Bus *b, Peer *p)
{
        char what[64];

        snprintf(what, sizeof(what), "denials of uid %u", (unsigned)p->creds.uid);
        return bus_log_pass(b, p->quota ? &p->quota->denials : &b->refusals, what);
}

/* whether anyone is to hear of a denial: a broadcast denied for each of many
 * receivers costs no text when there is no monitor */
static bool anyone_told(const Bus *b, PolicyReport rep)
{
        return rep == POLICY_REPORT_SENDER || (rep == POLICY_REPORT_MONITORS && !list_empty(&b->monitors));
}

/* AccessDenied with @text, to @from and monitors or to monitors alone (@rep) */
static void answer_denied(Bus *b, Peer *from, const Msg *m, PolicyReport rep, const char *text)
{
        static const char name[] = "org.freedesktop.DBus.Error.AccessDenied";

        if (rep == POLICY_REPORT_SENDER)
                dispatch_error(b, from, m, name, text);
        else if (rep == POLICY_REPORT_MONITORS)
                dispatch_error_to_monitors(b, from, m, name, text);
}

static void report(Bus *b, Peer *from, Peer *to, const Msg *m, bool send, const PolicyVerdict *v,
                   bool requested_reply, PolicyReport rep)
{
        const char *dest = m->h.destination ? m->h.destination : "(unset)";
        char rule[512] = "", text[1024];

        if (log_denial(b, from)) {
                if (v->rule)
                        policy_rule_format(v->rule, rule, sizeof(rule));
                log_notice(b->log, "Rejected %s message, %u matched rules; type=\"%s\", sender=\"%s\" "
                           "interface=\"%s\" member=\"%s\" destination=\"%s\" rule=%s",
                           send ? "send" : "receive", v->n_matched,
                           policy_message_type_name((PolicyMessageType)m->h.type), from->unique_name,
                           m->h.interface ? m->h.interface : "(unset)",
                           m->h.member ? m->h.member : "(unset)", dest, rule[0] ? rule : "(none)");
        }
        if (!anyone_told(b, rep))
                return;
        snprintf(text, sizeof(text),
                 "Rejected %s message, %u matched rules; type=\"%s\", sender=\"%s\" (%s) "
                 "interface=\"%s\" member=\"%s\" error name=\"%s\" requested_reply=\"%d\" "
                 "destination=\"%s\" (%s)",
                 send ? "send" : "receive", v->n_matched,
                 policy_message_type_name((PolicyMessageType)m->h.type), from->unique_name,
                 from->unique_name, m->h.interface ? m->h.interface : "(unset)",
                 m->h.member ? m->h.member : "(unset)",
                 m->h.error_name ? m->h.error_name : "(unset)",
                 requested_reply, dest, to ? to->unique_name : "bus");
        answer_denied(b, from, m, rep, text);
}

/*
 * SELinux's verdict on @m from @from to @to (NULL: the driver), dbus-daemon's
 * text: "An SELinux policy prevents this sender from sending this message to
 * this recipient, 0 matched rules; ..." plus a log line with both contexts.
 */
static int check_selinux_send(Bus *b, Peer *from, Peer *to, const Msg *m, PolicyReport rep,
                              bool requested_reply)
{
        const char *dest = m->h.destination ? m->h.destination : "(unset)";
        const char *target = to ? to->creds.label : bus_selinux_bus_context();
        char text[1024];

        if (bus_selinux_check_send(from->creds.label, target) == 0)
                return 0;
        if (rep == POLICY_REPORT_NONE)
                return POLICY_E_DENIED;
        if (log_denial(b, from))
                log_notice(b->log, "SELinux denied send_msg: type=\"%s\", sender=\"%s\" interface=\"%s\" "
                           "member=\"%s\" destination=\"%s\" (%s) scontext=%s tcontext=%s",
                           policy_message_type_name((PolicyMessageType)m->h.type), from->unique_name,
                           m->h.interface ? m->h.interface : "(unset)",
                           m->h.member ? m->h.member : "(unset)", dest, to ? to->unique_name : "(bus)",
                           from->creds.label ? from->creds.label : "(unknown)", target ? target : "(unknown)");
        if (!anyone_told(b, rep))
                return POLICY_E_DENIED;
        snprintf(text, sizeof(text),
                 "An SELinux policy prevents this sender from sending this message to this "
                 "recipient, 0 matched rules; type=\"%s\", sender=\"%s\" (%s) interface=\"%s\" "
                 "member=\"%s\" error name=\"%s\" requested_reply=\"%d\" destination=\"%s\" (%s)",
                 policy_message_type_name((PolicyMessageType)m->h.type), from->unique_name,
                 from->unique_name, m->h.interface ? m->h.interface : "(unset)",
                 m->h.member ? m->h.member : "(unset)",
                 m->h.error_name ? m->h.error_name : "(unset)", requested_reply, dest,
                 to ? to->unique_name : "(bus)");
        answer_denied(b, from, m, rep, text);
        return POLICY_E_DENIED;
}

static int check_delivery(Bus *b, Peer *from, Peer *to, const Msg *m, bool eavesdrop, PolicyReport rep,
                          bool requested_reply)
{
        PolicyVerdict v = { 0 };
        PolicyMessage pm;
        NameList l;
        int r = 0;

        /* as dbus-daemon: SELinux first, for every receiver (eavesdroppers too) */
        if (check_selinux_send(b, from, to, m, rep, requested_reply) != 0)
                return POLICY_E_DENIED;
        message_init(&pm, m, eavesdrop);
        pm.requested_reply = requested_reply;
        if (from->policy && !eavesdrop) {
                names_collect(&l, to, to ? NULL : (m->h.destination ? m->h.destination : NULL),
                              policy_snapshot_send_uses_names(from->policy));
                pm.names = l.names;
                pm.n_names = l.n;
                r = policy_check_send(from->policy, &pm, &v);
                names_free(&l);
                if (r != 0) {
                        if (rep != POLICY_REPORT_NONE)
                                report(b, from, to, m, true, &v, requested_reply, rep);
                        return POLICY_E_DENIED;
                }
        }
        if (to && to->policy) {
                names_collect(&l, from, NULL, policy_snapshot_receive_uses_names(to->policy));
                pm.names = l.names;
                pm.n_names = l.n;
                v = (PolicyVerdict){ 0 };
                r = policy_check_receive(to->policy, &pm, &v);
                names_free(&l);
                if (r != 0) {
                        if (rep != POLICY_REPORT_NONE)
                                report(b, from, to, m, false, &v, requested_reply, rep);
                        return POLICY_E_DENIED;
                }
        }
        return 0;
}

/** policy_check_delivery() - see policy-check.h. */
int policy_check_delivery(Bus *b, Peer *from, Peer *to, const Msg *m, bool eavesdrop, PolicyReport rep)
{
        return check_delivery(b, from, to, m, eavesdrop, rep,
                              m->h.type == WIRE_MESSAGE_METHOD_RETURN || m->h.type == WIRE_MESSAGE_ERROR);
}

/** policy_check_unicast() - see policy-check.h. */
int policy_check_unicast(Bus *b, Peer *from, Peer *to, const Msg *m, bool requested_reply)
{
        return check_delivery(b, from, to, m, false, POLICY_REPORT_SENDER, requested_reply);
}

/** policy_check_from_driver() - see policy-check.h. */
int policy_check_from_driver(Bus *b, Peer *to, const Msg *m)
{
        static const char *const driver[] = { "org.freedesktop.DBus" };
        PolicyMessage pm;

        if (!to->policy)
                return 0;
        message_init(&pm, m, false);
        pm.names = driver;
        pm.n_names = 1;
        return policy_check_receive(to->policy, &pm, NULL) != 0 ? POLICY_E_DENIED : 0;
}

/** policy_check_own_name() - see policy-check.h. */
int policy_check_own_name(Bus *b, Peer *p, const char *name)
{
        PolicyVerdict v = { 0 };

        /* as dbus-daemon: SELinux before the configuration's own rules */
        if (bus_config_selinux_check_own(b->config, p->creds.label, name) != 0) {
                if (log_denial(b, p))
                        log_notice(b->log, "SELinux denied acquire_svc: connection \"%s\" (%s) name \"%s\"",
                                   p->unique_name, p->creds.label ? p->creds.label : "(unknown)", name);
                return POLICY_CHECK_E_SELINUX;
        }
        if (!p->policy)
                return 0;
        if (policy_check_own(p->policy, name, &v) != 0)
                return POLICY_E_DENIED;
        return 0;
}

/** policy_check_to_driver() - see policy-check.h. */
int policy_check_to_driver(Bus *b, Peer *from, const Msg *m)
{
        /* as dbus-daemon: before Hello only Hello reaches the driver, and it
         * is subject to SELinux alone; after it, the send rules decide too,
         * with the driver's name as the destination */
        if (!from->hello_done)
                return check_selinux_send(b, from, NULL, m, POLICY_REPORT_SENDER, false);
        return check_delivery(b, from, NULL, m, false, POLICY_REPORT_SENDER, false);
}
