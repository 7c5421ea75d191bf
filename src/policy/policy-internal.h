/*
 * policy-internal.h -- the insides of Policy and PolicyRule, shared by the
 * files of src/policy only (the parser builds them, the snapshot reads them).
 *
 * Must never: be included from outside src/policy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

typedef enum {
        RULE_SEND,
        RULE_RECEIVE,
        RULE_OWN,
        RULE_USER,  /* connect rule: <allow user="..."/> */
        RULE_GROUP, /* connect rule: <allow group="..."/> */
} PolicyRuleKind;

typedef enum {
        TRISTATE_ANY = 0,
        TRISTATE_FALSE,
        TRISTATE_TRUE,
} PolicyTristate;

#define POLICY_MAX_FDS 1024u /* dbus-daemon's DBUS_MAXIMUM_MESSAGE_UNIX_FDS: "no maximum" */

/*
 * One <allow>/<deny>. NULL strings mean "any" ("*" in the file). For send
 * rules @name is send_destination(_prefix), for receive rules receive_sender,
 * for own rules own(_prefix).
 */
struct PolicyRule {
        PolicyRuleKind kind;
        bool allow;
        PolicyMessageType type;
        char *path;
        char *interface;
        char *member;
        char *error;
        char *name;
        bool name_is_prefix;
        PolicyTristate broadcast;
        bool eavesdrop;
        bool requested_reply; /* default: true for allow, false for deny (dbus-daemon) */
        bool log;
        unsigned min_fds;
        unsigned max_fds;
        bool any_id;  /* user="*" / group="*" */
        uint32_t id;  /* uid or gid */
        const char *file; /* interned in Policy.files */
        unsigned line;
};

typedef struct RuleList {
        PolicyRule **v;
        size_t n;
        size_t cap;
} RuleList;

typedef struct IdRules {
        uint32_t id;
        RuleList rules;
} IdRules;

typedef enum {
        PCTX_DEFAULT,
        PCTX_MANDATORY,
        PCTX_USER,
        PCTX_GROUP,
        PCTX_CONSOLE, /* id: 1 at_console="true", 0 "false" */
} PolicyCtx;

struct Policy {
        unsigned n_ref;
        RuleList defaults;
        RuleList mandatory;
        RuleList console_true;  /* nobody is at the console: never applies */
        RuleList console_false; /* ... so these apply to every connection */
        IdRules *users;
        size_t n_users;
        IdRules *groups;
        size_t n_groups;
        char **files;
        size_t n_files;
};

int policy_new(Policy **ret);
PolicyRule *policy_rule_new(PolicyRuleKind kind, bool allow);
PolicyRule *policy_rule_free(PolicyRule *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicyRule *, policy_rule_free);
int policy_intern_file(Policy *p, const char *file, const char **ret);
int policy_add_rule(Policy *p, PolicyCtx ctx, uint32_t id, PolicyRule *rule);
bool policy_rule_is_catch_all(const PolicyRule *r);
