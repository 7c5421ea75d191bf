/*
 * match-rule.h -- one D-Bus match rule (D-Bus specification, "Match Rules"):
 * parsed from its string form into one compact allocation, compared by
 * content (for RemoveMatch), and matched against one message.
 *
 * Pure: no I/O, no logging, no global state. The bus owns the rule sets, the
 * quotas and the decision of which connections' rules a message is offered
 * to (see match_rule_matches() on eavesdropping).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/macro.h"
#include "wire/message.h"
#include "wire/reader.h"

#define MATCH_RULE_MAX_LENGTH 1024 /* bytes, as DBUS_MAXIMUM_MATCH_RULE_LENGTH */
#define MATCH_ARG_MAX         64   /* arg0 .. arg63 */

/* Why a rule was refused. MATCH_E_TOO_LONG maps to
 * org.freedesktop.DBus.Error.LimitsExceeded, all others to
 * org.freedesktop.DBus.Error.MatchRuleInvalid. */
enum {
        _MATCH_E_FIRST = 3000,
        MATCH_E_TOO_LONG = _MATCH_E_FIRST, /* > MATCH_RULE_MAX_LENGTH bytes */
        MATCH_E_SYNTAX,                    /* key without '=', empty key, NUL byte */
        MATCH_E_UNBALANCED_QUOTES,
        MATCH_E_UNKNOWN_KEY,
        MATCH_E_DUPLICATE_KEY, /* also path with path_namespace, argN with argNpath */
        MATCH_E_BAD_TYPE,      /* type not signal/method_call/method_return/error */
        MATCH_E_BAD_SENDER,
        MATCH_E_BAD_INTERFACE,
        MATCH_E_BAD_MEMBER,
        MATCH_E_BAD_PATH, /* path or path_namespace */
        MATCH_E_BAD_DESTINATION,
        MATCH_E_BAD_ARG_KEY,   /* "arg", "argX", "arg1namespace", junk after N */
        MATCH_E_ARG_INDEX,     /* N > 63 */
        MATCH_E_BAD_NAMESPACE, /* arg0namespace not a bus name prefix */
        MATCH_E_BAD_EAVESDROP, /* not 'true' or 'false' */
        _MATCH_E_END,
};

/** match_strerror() - the name of a MATCH_E_* code, "MATCH_E_UNKNOWN" if none. */
const char *match_strerror(int code);

/* One argN / argNpath / arg0namespace key of a rule. */
typedef struct MatchArg {
        uint8_t index;  /* N */
        uint8_t kind;   /* MATCH_ARG_STRING / _PATH / _NAMESPACE */
        uint16_t value; /* offset of the NUL-terminated value in the rule's strings */
} MatchArg;

enum {
        MATCH_ARG_STRING = 1,    /* argN: string arg equal */
        MATCH_ARG_PATH = 2,      /* argNpath: string or object path, path-prefix rule */
        MATCH_ARG_NAMESPACE = 3, /* arg0namespace: string arg in a bus-name namespace */
};

/*
 * A parsed rule: this header, then n_args MatchArg sorted by index, then the
 * NUL-terminated values, all in one allocation laid out canonically so that
 * two rules are equal exactly when their bytes are.
 */
typedef struct MatchRule {
        uint16_t size;    /* bytes of the whole allocation */
        uint8_t type;     /* WIRE_MESSAGE_*, 0 = any */
        uint8_t n_args;   /* entries in args[] */
        uint8_t arg_need; /* 1 + highest N, 0 = no arg keys */
        bool eavesdrop;
        bool path_namespace; /* path is a path_namespace */
        uint8_t _pad;
        /* offsets of NUL-terminated values in strings, 0 = absent */
        uint16_t sender, interface, member, path, destination;
        MatchArg args[];
} MatchRule;

/**
 * match_rule_new() - parse the match rule @str (@len bytes, need not be
 * NUL-terminated) with dbus-daemon's quoting: values may be in single
 * quotes (everything literal inside, quote ends it); outside quotes \' is an
 * apostrophe, any other backslash is literal, a comma ends the value.
 * Whitespace around keys is ignored; an empty rule matches everything.
 * Return: 0 and *@ret (the caller frees it with match_rule_free()), a
 * MATCH_E_* reason, or -ENOMEM.
 */
int match_rule_new(MatchRule **ret, const char *str, size_t len);

/** match_rule_free() - free @r (NULL allowed); returns NULL. */
MatchRule *match_rule_free(MatchRule *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(MatchRule *, match_rule_free);

/** match_rule_equal() - same parsed content (RemoveMatch finds rules by this). */
bool match_rule_equal(const MatchRule *a, const MatchRule *b);

/** match_rule_hash() - a hash consistent with match_rule_equal(). */
uint64_t match_rule_hash(const MatchRule *r);

/** match_rule_size() - bytes the rule occupies (for per-uid quotas). */
size_t match_rule_size(const MatchRule *r);

/* Accessors: the value of a key, or NULL when the rule does not have it. */
const char *match_rule_sender(const MatchRule *r);
const char *match_rule_interface(const MatchRule *r);
const char *match_rule_member(const MatchRule *r);
const char *match_rule_path(const MatchRule *r); /* path or path_namespace */
const char *match_rule_destination(const MatchRule *r);
const char *match_rule_arg_value(const MatchRule *r, const MatchArg *a);

/*
 * The message as the matcher sees it. The bus fills the public part with
 * match_message_init() and the optional fields, then offers it to any number
 * of rules; the top-level body values are read lazily, once, and only as far
 * as the highest argN any of those rules asks for.
 */
typedef struct MatchMessage {
        const WireHeader *header; /* parsed header of ... */
        const uint8_t *data;      /* ... these message bytes */
        /* the sender's unique name; NULL when the bus driver sends */
        const char *sender;
        /* unique name of the addressed recipient; NULL for broadcasts, for
         * the driver, and for names nobody owns */
        const char *recipient;
        /* is @unique the primary owner of the well-known @name? Used for
         * sender='well.known.Name' and (eavesdroppers) destination='...'.
         * NULL = nobody owns anything. */
        bool (*name_owned_by)(void *userdata, const char *name, const char *unique);
        void *userdata;
        /* this bus delivers nothing to eavesdroppers unless the caller says
         * so (monitors use match_rule_matches_monitor() instead) */
        bool eavesdrop_allowed;

        /* private: lazily extracted top-level values */
        uint8_t n_read; /* values examined so far */
        bool body_end;  /* no values after n_read */
        bool reader_ready;
        char arg_type[MATCH_ARG_MAX];   /* 's', 'o', or another type code */
        const char *arg[MATCH_ARG_MAX]; /* the string for 's' and 'o', else NULL */
        WireReader reader;
} MatchMessage;

/**
 * match_message_init() - prepare @m for the message @data / @h sent by
 * @sender (NULL = the bus driver) to @recipient (unique name, or NULL).
 * The optional fields (name_owned_by, userdata, eavesdrop_allowed) start
 * cleared.
 */
void match_message_init(MatchMessage *m, const WireHeader *h, const uint8_t *data,
                        const char *sender, const char *recipient);

/**
 * match_rule_matches() - does message @m match every key of @r, with
 * dbus-daemon's semantics? A rule that does not eavesdrop matches only
 * broadcasts (messages without a destination): the addressed recipient of a
 * unicast message gets it without any rule, and a destination key never
 * matches for a rule that does not eavesdrop. eavesdrop='true' counts only
 * when @m->eavesdrop_allowed (DESIGN: this bus has no eavesdropping, so the
 * bus leaves it false and such rules behave like ordinary ones).
 * @m is updated with the body values read so far (lazily, once).
 */
bool match_rule_matches(const MatchRule *r, MatchMessage *m);

/**
 * match_rule_matches_monitor() - the same for a monitor's rule
 * (BecomeMonitor): always with eavesdropper semantics, so unicast messages
 * and destination keys match too.
 */
bool match_rule_matches_monitor(const MatchRule *r, MatchMessage *m);
