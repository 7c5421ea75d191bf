/*
 * writer.h -- write a dbus-daemon XML configuration from a list of rules.
 *
 * The launcher builds a PolicyDoc (listen address, auth, limits, and
 * <policy> contexts each holding <allow>/<deny> rules with attributes) and
 * asks for its text. Contexts are written in dbus-daemon's evaluation order
 * (default, group, user, mandatory), each in the order it was first used;
 * rules keep their insertion order within a context, so "last match wins"
 * reads top to bottom. Values are XML-escaped; comments are made safe.
 *
 * Must never: do I/O, look users up, or decide what a policy should say.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/macro.h"

typedef struct PolicyDoc PolicyDoc;

typedef enum {
        POLICY_CONTEXT_DEFAULT,
        POLICY_CONTEXT_GROUP,     /* <policy group="VALUE"> */
        POLICY_CONTEXT_USER,      /* <policy user="VALUE"> */
        POLICY_CONTEXT_MANDATORY,
} PolicyContextKind;

/* one attribute of a rule, e.g. { "send_destination", "org.qemu.Helper1" } */
typedef struct PolicyAttr {
        const char *name;
        const char *value;
} PolicyAttr;

int policy_doc_new(PolicyDoc **ret);
PolicyDoc *policy_doc_free(PolicyDoc *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicyDoc *, policy_doc_free);

/* a top-level comment written right after <busconfig> (may be called several times) */
int policy_doc_add_header_comment(PolicyDoc *d, const char *text);
/* an element with text content: "listen", "auth", "type", "user"... in call order */
int policy_doc_add_element(PolicyDoc *d, const char *element, const char *text);
/* <limit name="NAME">VALUE</limit> */
int policy_doc_add_limit(PolicyDoc *d, const char *name, unsigned long long value);

/*
 * policy_doc_add_rule() - append <allow .../> or <deny .../> to a context.
 * @value: the user or group for those kinds, NULL otherwise.
 * @comment: optional, written as <!-- ... --> before the rule.
 * @attrs, @n_attrs: at least one attribute.
 * Returns 0, -EINVAL (no attributes, bad attribute name) or -ENOMEM.
 */
int policy_doc_add_rule(PolicyDoc *d, PolicyContextKind kind, const char *value, bool allow, const char *comment,
                        const PolicyAttr *attrs, size_t n_attrs);

/* policy_doc_write() - the XML text, malloc'd into *ret. Returns 0 or -ENOMEM. */
int policy_doc_write(const PolicyDoc *d, char **ret);
