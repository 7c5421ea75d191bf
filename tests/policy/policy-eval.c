/*
 * policy-eval.c -- test tool: what our policy engine says about a delivery,
 * so black-box tests can hold it against a real bus (dbus-daemon or ours).
 *
 * Usage: policy-eval CONFIG < cases; one case a line, one answer a line:
 *   deliver SUID SGID RUID RGID TYPE DEST IFACE MEMBER PATH RR SNAMES RNAMES
 *       the sender (SUID/SGID, names SNAMES) sends to the receiver (RUID/RGID,
 *       names RNAMES): its send check, then the receiver's receive check.
 *       TYPE is call|return|error|signal, RR 0/1 (requested reply), names are
 *       comma-separated, "-" stands for an absent field.
 *       -> "allow" | "deny send N" | "deny receive N"  (N = matched rules)
 *   own UID GID NAME      -> "allow" | "deny"
 *   connect UID GID BUSUID -> "allow" | "deny"
 * Must never: touch a bus; it only loads CONFIG (includes and NSS allowed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"

static const char *field(const char *s)
{
        return strcmp(s, "-") == 0 ? NULL : s;
}

static size_t split_names(char *s, const char **v, size_t max)
{
        size_t n = 0;

        for (char *t = strtok(s, ","); t && n < max; t = strtok(NULL, ","))
                v[n++] = t;
        return n;
}

static PolicyMessageType type_of(const char *s)
{
        if (strcmp(s, "call") == 0)
                return POLICY_MESSAGE_METHOD_CALL;
        if (strcmp(s, "return") == 0)
                return POLICY_MESSAGE_METHOD_RETURN;
        if (strcmp(s, "error") == 0)
                return POLICY_MESSAGE_ERROR;
        return POLICY_MESSAGE_SIGNAL;
}

static void deliver(const BusConfig *c, char **a)
{
        uid_t suid = (uid_t)atol(a[0]), ruid = (uid_t)atol(a[2]);
        gid_t sgid = (gid_t)atol(a[1]), rgid = (gid_t)atol(a[3]);
        const char *snames[64], *rnames[64];
        PolicySnapshot *ss = NULL, *rs = NULL;
        PolicyVerdict v;
        PolicyMessage m = {
                .type = type_of(a[4]),
                .destination = field(a[5]),
                .interface = field(a[6]),
                .member = field(a[7]),
                .path = field(a[8]),
                .requested_reply = atoi(a[9]) != 0,
        };
        size_t ns = split_names(a[10], snames, 64), nr = split_names(a[11], rnames, 64);

        if (policy_snapshot_new(c->policy, suid, &sgid, 1, &ss) < 0 ||
            policy_snapshot_new(c->policy, ruid, &rgid, 1, &rs) < 0)
                exit(2);
        m.names = rnames;
        m.n_names = nr;
        if (policy_check_send(ss, &m, &v) != 0) {
                printf("deny send %u\n", v.n_matched);
        } else {
                m.names = snames;
                m.n_names = ns;
                if (policy_check_receive(rs, &m, &v) != 0)
                        printf("deny receive %u\n", v.n_matched);
                else
                        printf("allow\n");
        }
        policy_snapshot_free(ss);
        policy_snapshot_free(rs);
}

int main(int argc, char **argv)
{
        BusConfig *c = NULL;
        char *err = NULL, line[4096];

        if (argc != 2) {
                fprintf(stderr, "usage: policy-eval CONFIG < cases\n");
                return 2;
        }
        if (bus_config_load(argv[1], 0, &c, &err) != 0) {
                fprintf(stderr, "policy-eval: %s\n", err ? err : "out of memory");
                return 2;
        }
        while (fgets(line, sizeof(line), stdin)) {
                char *a[16];
                size_t n = 0;

                for (char *t = strtok(line, " \t\n"); t && n < 16; t = strtok(NULL, " \t\n"))
                        a[n++] = t;
                if (n == 13 && strcmp(a[0], "deliver") == 0) {
                        deliver(c, a + 1);
                } else if (n == 4 && strcmp(a[0], "own") == 0) {
                        gid_t g = (gid_t)atol(a[2]);
                        PolicySnapshot *s = NULL;

                        if (policy_snapshot_new(c->policy, (uid_t)atol(a[1]), &g, 1, &s) < 0)
                                return 2;
                        printf("%s\n", policy_check_own(s, a[3], NULL) == 0 ? "allow" : "deny");
                        policy_snapshot_free(s);
                } else if (n == 4 && strcmp(a[0], "connect") == 0) {
                        gid_t g = (gid_t)atol(a[2]);

                        printf("%s\n", policy_check_connect(c->policy, (uid_t)atol(a[3]), (uid_t)atol(a[1]), &g, 1,
                                                            NULL) == 0
                                               ? "allow"
                                               : "deny");
                } else {
                        printf("bad case\n");
                }
                fflush(stdout);
        }
        free(err);
        bus_config_free(c);
        return 0;
}
