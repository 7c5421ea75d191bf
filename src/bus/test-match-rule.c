/*
 * test-match-rule.c -- match rules: parsing (valid and invalid, with the
 * reason), quoting, canonical equality, memory per rule, and matching every
 * key against real messages made with the wire builder, including argNpath
 * in both directions of the prefix rule, namespaces, sender ownership and
 * the eavesdropping semantics.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/match-rule.h"
#include "util/macro.h"
#include "wire/builder.h"
#include "wire/message.h"
#include "util/test-count.h"

static const struct {
        const char *rule;
        int rc;
} parse_table[] = {
        {"", 0},
        {"  \t\n", 0},
        {"type='signal'", 0},
        {"type=signal", 0},
        {"type='signal',", 0},
        {"type='signal' ", MATCH_E_BAD_TYPE}, /* blanks outside quotes belong to the value */
        {"type = 'signal'", MATCH_E_BAD_TYPE},
        {" type ='signal',  member='Foo'  ,", MATCH_E_BAD_MEMBER},
        {" type ='signal',  member='Foo',  ", 0},
        {"type='method_call'", 0},
        {"type='method_return'", 0},
        {"type='error'", 0},
        {"type='bogus'", MATCH_E_BAD_TYPE},
        {"type=''", MATCH_E_BAD_TYPE},
        {"type='signal',type='signal'", MATCH_E_DUPLICATE_KEY},
        {"Type='signal'", MATCH_E_UNKNOWN_KEY},
        {"foo='bar'", MATCH_E_UNKNOWN_KEY},
        {",type='signal'", MATCH_E_UNKNOWN_KEY},
        {"type='signal',,member='Foo'", MATCH_E_UNKNOWN_KEY},
        {"type", MATCH_E_SYNTAX},
        {"type'signal'", MATCH_E_SYNTAX},
        {"='signal'", MATCH_E_SYNTAX},
        {"ty pe='signal'", MATCH_E_SYNTAX},
        {"type='signal", MATCH_E_UNBALANCED_QUOTES},
        {"arg0='it\\'s'", MATCH_E_UNBALANCED_QUOTES},
        {"sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
         "member='NameOwnerChanged',path='/org/freedesktop/DBus',destination=':1.5',arg0='x'",
         0},
        {"sender=':1.5'", 0},
        {"sender='foo'", MATCH_E_BAD_SENDER},
        {"sender=''", MATCH_E_BAD_SENDER},
        {"sender='a.b',sender='a.b'", MATCH_E_DUPLICATE_KEY},
        {"interface='foo'", MATCH_E_BAD_INTERFACE},
        {"interface='org.qemu.VMState1'", 0},
        {"member='a.b'", MATCH_E_BAD_MEMBER},
        {"member=''", MATCH_E_BAD_MEMBER},
        {"path='a'", MATCH_E_BAD_PATH},
        {"path='/a/'", MATCH_E_BAD_PATH},
        {"path='/a',path_namespace='/b'", MATCH_E_DUPLICATE_KEY},
        {"path_namespace='/a',path='/a'", MATCH_E_DUPLICATE_KEY},
        {"path_namespace='/'", 0},
        {"path_namespace='//'", MATCH_E_BAD_PATH},
        {"destination='org.qemu.X'", 0},
        {"destination='1.x'", MATCH_E_BAD_DESTINATION},
        {"eavesdrop='true'", 0},
        {"eavesdrop='true',eavesdrop='false'", 0},
        {"eavesdrop='yes'", MATCH_E_BAD_EAVESDROP},
        {"arg0=''", 0},
        {"arg63='x'", 0},
        {"arg64='x'", MATCH_E_ARG_INDEX},
        {"arg99999999999999999999='x'", MATCH_E_ARG_INDEX},
        {"arg00='x'", 0},
        {"arg0='a',arg00='b'", MATCH_E_DUPLICATE_KEY},
        {"arg1='a',arg1path='/'", MATCH_E_DUPLICATE_KEY},
        {"arg0path='/a/'", 0},
        {"arg63path='anything at all'", 0},
        {"arg64path='/'", MATCH_E_ARG_INDEX},
        {"arg='x'", MATCH_E_BAD_ARG_KEY},
        {"argx='x'", MATCH_E_BAD_ARG_KEY},
        {"arg0junk='x'", MATCH_E_BAD_ARG_KEY},
        {"arg1namespace='org'", MATCH_E_BAD_ARG_KEY},
        {"arg00namespace='org'", MATCH_E_BAD_ARG_KEY},
        {"arg0namespace='org'", 0},
        {"arg0namespace='org.qemu'", 0},
        {"arg0namespace='org..qemu'", MATCH_E_BAD_NAMESPACE},
        {"arg0namespace='org.'", MATCH_E_BAD_NAMESPACE},
        {"arg0namespace=''", MATCH_E_BAD_NAMESPACE},
        {"arg0namespace='1org'", MATCH_E_BAD_NAMESPACE},
        {"arg0namespace=':1.5'", 0},
        {"arg0namespace='org',arg0='x'", MATCH_E_DUPLICATE_KEY},
        /* cases from dbus-daemon's own parser tests (bus/signals.c) */
        {"    type='signal',  \tsender='org.freedes''ktop.DBusSender',   "
         "interface='org.freedesktop.DBusInterface''''', \tmember='Foo',path='/bar/foo',"
         "destination=':452345.34'''''",
         0},
        {"arg7path='/foo'", 0},
        {"arg0namespace='foo.bar.'", MATCH_E_BAD_NAMESPACE},
        {"arg0namespace='foo..'", MATCH_E_BAD_NAMESPACE},
        {"arg0namespace='foo.bar..'", MATCH_E_BAD_NAMESPACE},
        {"arg300='foo'", MATCH_E_ARG_INDEX},
        {"argv='foo'", MATCH_E_BAD_ARG_KEY},
        {"arg3junk='foo'", MATCH_E_BAD_ARG_KEY},
        {"argument='foo'", MATCH_E_BAD_ARG_KEY},
        {"type='signal',type='method_call'", MATCH_E_DUPLICATE_KEY},
        {"path_namespace='/foo/'", MATCH_E_BAD_PATH},
        {"arg30='foo',arg30='bar'", MATCH_E_DUPLICATE_KEY},
        {"interface='abc@def++'", MATCH_E_BAD_INTERFACE},
        {"service='youpi'", MATCH_E_UNKNOWN_KEY},
};

static void test_parse(void)
{
        char big[MATCH_RULE_MAX_LENGTH + 2];
        MatchRule *r = NULL;
        int rc;

        for (size_t i = 0; i < ELEMENTSOF(parse_table); i++) {
                r = NULL;
                rc = match_rule_new(&r, parse_table[i].rule, strlen(parse_table[i].rule));
                CHECK(rc == parse_table[i].rc, "parse \"%s\": %s, expected %s", parse_table[i].rule,
                      rc ? match_strerror(rc) : "ok",
                      parse_table[i].rc ? match_strerror(parse_table[i].rc) : "ok");
                CHECK((rc == 0) == (r != NULL), "parse \"%s\": ret_ set only on success",
                      parse_table[i].rule);
                r = match_rule_free(r);
        }

        /* an embedded NUL is refused, not taken as the end */
        r = NULL;
        rc = match_rule_new(&r, "type='signal'\0", 14);
        CHECK(rc == MATCH_E_SYNTAX && !r, "NUL: %s", match_strerror(rc));

        /* exactly the limit passes, one byte more does not */
        memcpy(big, "arg0='", 6);
        memset(big + 6, 'x', sizeof(big) - 6);
        big[MATCH_RULE_MAX_LENGTH - 1] = '\'';
        rc = match_rule_new(&r, big, MATCH_RULE_MAX_LENGTH);
        CHECK(rc == 0, "1024 bytes: %s", match_strerror(rc));
        r = match_rule_free(r);
        big[MATCH_RULE_MAX_LENGTH] = ',';
        rc = match_rule_new(&r, big, MATCH_RULE_MAX_LENGTH + 1);
        CHECK(rc == MATCH_E_TOO_LONG, "1025 bytes: %s", match_strerror(rc));
        CHECK(!strcmp(match_strerror(MATCH_E_TOO_LONG), "MATCH_E_TOO_LONG") &&
                      !strcmp(match_strerror(1), "MATCH_E_UNKNOWN"),
              "match_strerror");
}

static const struct {
        const char *rule;
        const char *arg0;
} quoting_table[] = {
        {"arg0='it'\\''s'", "it's"},   {"arg0=it\\'s", "it's"}, {"arg0='a\\b'", "a\\b"},
        {"arg0=a\\b", "a\\b"},         {"arg0=a\\", "a\\"},     {"arg0='a,b'", "a,b"},
        {"arg0='a b'c' 'd", "a bc d"}, {"arg0=''", ""},         {"arg0='\\'", "\\"},
        {"arg0=\\'\\'", "''"},
};

static void test_quoting(void)
{
        for (size_t i = 0; i < ELEMENTSOF(quoting_table); i++) {
                _cleanup_(match_rule_freep) MatchRule *r = NULL;
                int rc = match_rule_new(&r, quoting_table[i].rule, strlen(quoting_table[i].rule));

                CHECK(rc == 0, "quoting \"%s\": %s", quoting_table[i].rule, match_strerror(rc));
                if (rc)
                        continue;
                CHECK(r->n_args == 1 && r->args[0].index == 0 &&
                              !strcmp(match_rule_arg_value(r, &r->args[0]), quoting_table[i].arg0),
                      "quoting \"%s\": got \"%s\"", quoting_table[i].rule,
                      r->n_args ? match_rule_arg_value(r, &r->args[0]) : "(none)");
        }
}

static const struct {
        const char *a, *b;
        bool equal;
} equal_table[] = {
        {"type='signal',member='Foo'", "member='Foo',type='signal'", true},
        {"type='signal',member='Foo'", "type=signal,member=Foo", true},
        {"arg3='x',arg1='y'", "arg1='y',arg3='x'", true},
        {"", "  ", true},
        {"eavesdrop='false'", "", true},
        {"eavesdrop='true'", "", false},
        {"arg0='a'", "arg0path='a'", false},
        {"arg0='a'", "arg1='a'", false},
        {"arg0=''", "", false},
        {"path='/a'", "path_namespace='/a'", false},
        {"sender='a.b'", "destination='a.b'", false},
        {"member='Foo'", "member='Fo'", false},
        {"type='signal'", "type='error'", false},
        /* from dbus-daemon's tests */
        {"member=icecream", "member=ice'cream'", true},
        {"arg0='comma,type=comma',type=signal", "type=signal,arg0='comma,type=comma'", true},
        {"arg0=escap\\e", "arg0='escap\\e'", true},
        {"arg0=Time: 8 o\\'clock", "arg0='Time: 8 o'\\''clock'", true},
        {"type='method_call',arg0='blah'", "arg0='boo',type='method_call'", false},
};

static void test_equal(void)
{
        for (size_t i = 0; i < ELEMENTSOF(equal_table); i++) {
                _cleanup_(match_rule_freep) MatchRule *a = NULL;
                _cleanup_(match_rule_freep) MatchRule *b = NULL;

                if (match_rule_new(&a, equal_table[i].a, strlen(equal_table[i].a)) ||
                    match_rule_new(&b, equal_table[i].b, strlen(equal_table[i].b))) {
                        CHECK(false, "equal: \"%s\" / \"%s\" do not parse", equal_table[i].a,
                              equal_table[i].b);
                        continue;
                }
                CHECK(match_rule_equal(a, b) == equal_table[i].equal &&
                              match_rule_equal(b, a) == equal_table[i].equal,
                      "equal(\"%s\", \"%s\") != %d", equal_table[i].a, equal_table[i].b,
                      equal_table[i].equal);
                if (equal_table[i].equal)
                        CHECK(match_rule_hash(a) == match_rule_hash(b), "hash(\"%s\")",
                              equal_table[i].a);
        }
}

static void test_memory(void)
{
        static const char *const rules[] = {
                "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                "member='NameOwnerChanged',arg0='org.qemu.Helper1'",
                "type='signal',interface='org.freedesktop.DBus.Properties',"
                "member='PropertiesChanged',path='/org/qemu/Display1/Console_0',"
                "arg0='org.qemu.Display1.Console'",
                "type='signal',sender=':1.42',path_namespace='/org/qemu'",
        };

        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                _cleanup_(match_rule_freep) MatchRule *r = NULL;

                CHECK(match_rule_new(&r, rules[i], strlen(rules[i])) == 0, "memory rule %zu", i);
                if (!r)
                        continue;
                printf("rule of %zu chars: %zu bytes\n", strlen(rules[i]), match_rule_size(r));
                /* the budget is 300 bytes per rule including the bus's own bookkeeping */
                CHECK(match_rule_size(r) <= strlen(rules[i]) + 32 && match_rule_size(r) <= 200,
                      "rule %zu takes %zu bytes", i, match_rule_size(r));
        }
}

/* ---- matching ----------------------------------------------------------- */

enum { M_SIGNAL, M_HELLO, M_NOC, M_UNICAST, M_CALL, M_ERROR, M_ODD, M_FROB, M_BACKEND, _M_N };

typedef struct Msg {
        uint8_t *data;
        size_t size;
        WireHeader h;
        const char *sender; /* NULL = driver */
        const char *recipient;
} Msg;

static Msg msgs[_M_N];

static void build(Msg *m, WireBuilder *b, const char *sender, const char *recipient)
{
        int r = wire_builder_finish(b, 7, &m->data, &m->size);

        if (r == 0)
                r = wire_message_parse(m->data, m->size, &m->h);
        if (r) {
                fprintf(stderr, "cannot build test message: %d\n", r);
                exit(1);
        }
        wire_builder_deinit(b);
        m->sender = sender;
        m->recipient = recipient;
}

static void make_messages(void)
{
        WireBuilder b;
        int32_t five = 5;
        const char *opath = "/a/b";

        wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&b, "/org/qemu/VM1/dev");
        wire_builder_set_interface(&b, "org.qemu.VMState1");
        wire_builder_set_member(&b, "Changed");
        wire_builder_append_string(&b, "org.qemu.Helper1");
        wire_builder_append_string(&b, "/org/qemu/a/");
        wire_builder_append(&b, 'i', &five);
        wire_builder_append_string(&b, "x");
        wire_builder_append(&b, 'o', &opath);
        build(&msgs[M_SIGNAL], &b, ":1.5", NULL);

        wire_builder_init(&b, WIRE_MESSAGE_METHOD_CALL, 0);
        wire_builder_set_path(&b, "/org/freedesktop/DBus");
        wire_builder_set_interface(&b, "org.freedesktop.DBus");
        wire_builder_set_member(&b, "Hello");
        wire_builder_set_destination(&b, "org.freedesktop.DBus");
        build(&msgs[M_HELLO], &b, ":1.5", NULL);

        wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&b, "/org/freedesktop/DBus");
        wire_builder_set_interface(&b, "org.freedesktop.DBus");
        wire_builder_set_member(&b, "NameOwnerChanged");
        wire_builder_append_string(&b, "org.qemu.Helper1");
        wire_builder_append_string(&b, "");
        wire_builder_append_string(&b, ":1.5");
        build(&msgs[M_NOC], &b, NULL, NULL);

        wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&b, "/org/qemu/VM1");
        wire_builder_set_interface(&b, "org.qemu.VMState1");
        wire_builder_set_member(&b, "Poke");
        wire_builder_set_destination(&b, ":1.7");
        build(&msgs[M_UNICAST], &b, ":1.5", ":1.7");

        wire_builder_init(&b, WIRE_MESSAGE_METHOD_CALL, 0);
        wire_builder_set_path(&b, "/org/qemu/VMState1");
        wire_builder_set_interface(&b, "org.qemu.VMState1");
        wire_builder_set_member(&b, "Save");
        wire_builder_set_destination(&b, "org.qemu.Helper1");
        build(&msgs[M_CALL], &b, ":1.7", NULL);

        wire_builder_init(&b, WIRE_MESSAGE_ERROR, 0);
        wire_builder_set_error_name(&b, "org.qemu.Error.Failed");
        wire_builder_set_reply_serial(&b, 3);
        wire_builder_set_destination(&b, ":1.5");
        wire_builder_append_string(&b, "it failed");
        build(&msgs[M_ERROR], &b, ":1.7", ":1.5");

        /* arg0 is not a string; arg1 is inside nothing; arg2 follows a struct */
        wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&b, "/");
        wire_builder_set_interface(&b, "org.qemu.Odd");
        wire_builder_set_member(&b, "Odd");
        wire_builder_open(&b, 'a', "s");
        wire_builder_append_string(&b, "org.qemu.Helper1");
        wire_builder_close(&b);
        wire_builder_open(&b, '(', "ss");
        wire_builder_append_string(&b, "in");
        wire_builder_append_string(&b, "side");
        wire_builder_close(&b);
        wire_builder_append_string(&b, "after");
        build(&msgs[M_ODD], &b, ":1.5", NULL);

        /* the two messages of dbus-daemon's matching tests */
        wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&b, "/");
        wire_builder_set_interface(&b, "org.example.Frob");
        wire_builder_set_member(&b, "Frobated");
        wire_builder_append_string(&b, "foobar");
        five = 3;
        wire_builder_append(&b, 'i', &five);
        build(&msgs[M_FROB], &b, ":1.5", NULL);

        wire_builder_init(&b, WIRE_MESSAGE_SIGNAL, 0);
        wire_builder_set_path(&b, "/org/freedesktop/DBus");
        wire_builder_set_interface(&b, "org.freedesktop.DBus");
        wire_builder_set_member(&b, "NameOwnerChanged");
        wire_builder_append_string(&b, "com.example.backend.foo");
        wire_builder_append_string(&b, "");
        wire_builder_append_string(&b, ":1.42");
        build(&msgs[M_BACKEND], &b, NULL, NULL);
}

/* :1.5 owns org.qemu.Helper1, :1.7 owns org.qemu.Other */
static bool owned_by(void *userdata, const char *name, const char *unique)
{
        (*(unsigned *)userdata)++;
        return (!strcmp(name, "org.qemu.Helper1") && !strcmp(unique, ":1.5")) ||
               (!strcmp(name, "org.qemu.Other") && !strcmp(unique, ":1.7"));
}

enum { NORMAL, EAVESDROP_OK, MONITOR };

static const struct {
        const char *rule;
        int msg;
        int mode;
        bool match;
} match_table[] = {
        {"", M_SIGNAL, NORMAL, true},
        {"type='signal'", M_SIGNAL, NORMAL, true},
        {"type='method_call'", M_SIGNAL, NORMAL, false},
        {"interface='org.qemu.VMState1'", M_SIGNAL, NORMAL, true},
        {"interface='org.qemu.Other'", M_SIGNAL, NORMAL, false},
        {"member='Changed'", M_SIGNAL, NORMAL, true},
        {"member='Other'", M_SIGNAL, NORMAL, false},
        /* sender: unique names directly, well-known names by primary owner */
        {"sender=':1.5'", M_SIGNAL, NORMAL, true},
        {"sender=':1.6'", M_SIGNAL, NORMAL, false},
        {"sender='org.qemu.Helper1'", M_SIGNAL, NORMAL, true},
        {"sender='org.qemu.Other'", M_SIGNAL, NORMAL, false},
        {"sender='org.freedesktop.DBus'", M_SIGNAL, NORMAL, false},
        {"sender='org.freedesktop.DBus'", M_NOC, NORMAL, true},
        {"sender=':1.5'", M_NOC, NORMAL, false},
        /* path and path_namespace */
        {"path='/org/qemu/VM1/dev'", M_SIGNAL, NORMAL, true},
        {"path='/org/qemu/VM1'", M_SIGNAL, NORMAL, false},
        {"path_namespace='/org/qemu'", M_SIGNAL, NORMAL, true},
        {"path_namespace='/org/qemu/VM1/dev'", M_SIGNAL, NORMAL, true},
        {"path_namespace='/org/qe'", M_SIGNAL, NORMAL, false},
        {"path_namespace='/'", M_SIGNAL, NORMAL, true},
        {"path_namespace='/org/qemu/VM1/dev/x'", M_SIGNAL, NORMAL, false},
        /* argN: string args only */
        {"arg0='org.qemu.Helper1'", M_SIGNAL, NORMAL, true},
        {"arg0='org.qemu'", M_SIGNAL, NORMAL, false},
        {"arg1='/org/qemu/a/'", M_SIGNAL, NORMAL, true},
        {"arg2='5'", M_SIGNAL, NORMAL, false},
        {"arg3='x'", M_SIGNAL, NORMAL, true},
        {"arg4='/a/b'", M_SIGNAL, NORMAL, false}, /* an object path */
        {"arg5=''", M_SIGNAL, NORMAL, false},
        {"arg63='x'", M_SIGNAL, NORMAL, false},
        {"arg0='org.qemu.Helper1',arg1=''", M_NOC, NORMAL, true},
        {"arg2=':1.5'", M_NOC, NORMAL, true},
        {"arg1='x'", M_NOC, NORMAL, false},
        /* argNpath: the shorter one ends with '/' and is a prefix of the other;
         * string (arg1) or object path (arg4) */
        {"arg1path='/org/qemu/a/'", M_SIGNAL, NORMAL, true},
        {"arg1path='/org/qemu/'", M_SIGNAL, NORMAL, true},
        {"arg1path='/org/qemu/a/b/c'", M_SIGNAL, NORMAL, true},
        {"arg1path='/org/qemu/a'", M_SIGNAL, NORMAL, false},
        {"arg1path='/org/qemu/ab/'", M_SIGNAL, NORMAL, false},
        {"arg1path='/'", M_SIGNAL, NORMAL, true},
        {"arg4path='/a/'", M_SIGNAL, NORMAL, true},
        {"arg4path='/a'", M_SIGNAL, NORMAL, false},
        {"arg4path='/a/b'", M_SIGNAL, NORMAL, true},
        {"arg4path='/a/b/'", M_SIGNAL, NORMAL, false},
        {"arg2path='/'", M_SIGNAL, NORMAL, false},
        /* arg0namespace */
        {"arg0namespace='org.qemu'", M_SIGNAL, NORMAL, true},
        {"arg0namespace='org'", M_SIGNAL, NORMAL, true},
        {"arg0namespace='org.qemu.Helper1'", M_SIGNAL, NORMAL, true},
        {"arg0namespace='org.qem'", M_SIGNAL, NORMAL, false},
        {"arg0namespace='org.qemu.Helper'", M_SIGNAL, NORMAL, false},
        {"arg0namespace='org.qemu.Helper1.x'", M_SIGNAL, NORMAL, false},
        /* values inside containers are not top-level args */
        {"arg0='org.qemu.Helper1'", M_ODD, NORMAL, false},
        {"arg1='in'", M_ODD, NORMAL, false},
        {"arg2='after'", M_ODD, NORMAL, true},
        /* everything at once */
        {"type='signal',sender='org.qemu.Helper1',interface='org.qemu.VMState1',"
         "member='Changed',path_namespace='/org/qemu',arg0='org.qemu.Helper1',arg3='x'",
         M_SIGNAL, NORMAL, true},
        {"arg0='org.qemu.Helper1',arg3='y'", M_SIGNAL, NORMAL, false},
        /* unicast messages: only eavesdroppers and monitors see them by rule */
        {"", M_UNICAST, NORMAL, false},
        {"type='signal'", M_UNICAST, NORMAL, false},
        {"destination=':1.7'", M_UNICAST, NORMAL, false},
        {"destination=':1.7'", M_SIGNAL, MONITOR, false},
        {"eavesdrop='true'", M_UNICAST, NORMAL, false},
        {"eavesdrop='true'", M_UNICAST, EAVESDROP_OK, true},
        {"eavesdrop='true',destination=':1.7'", M_UNICAST, EAVESDROP_OK, true},
        {"eavesdrop='true',destination=':1.8'", M_UNICAST, EAVESDROP_OK, false},
        {"eavesdrop='true',destination='org.qemu.Other'", M_UNICAST, EAVESDROP_OK, true},
        {"destination=':1.7'", M_UNICAST, EAVESDROP_OK, false},
        {"", M_UNICAST, MONITOR, true},
        {"destination=':1.7'", M_UNICAST, MONITOR, true},
        {"eavesdrop='true'", M_SIGNAL, EAVESDROP_OK, true},
        /* addressed to a name nobody owns yet: compare with the header */
        {"destination='org.qemu.Helper1'", M_CALL, MONITOR, true},
        {"destination=':1.5'", M_CALL, MONITOR, false},
        {"member='Hello'", M_HELLO, MONITOR, true},
        {"member='Hello'", M_HELLO, NORMAL, false},
        /* messages without interface, member, path */
        {"type='error'", M_ERROR, MONITOR, true},
        {"type='error'", M_ERROR, NORMAL, false},
        {"interface='a.b'", M_ERROR, MONITOR, false},
        {"member='X'", M_ERROR, MONITOR, false},
        {"path='/'", M_ERROR, MONITOR, false},
        {"path_namespace='/'", M_ERROR, MONITOR, false},
        {"arg0='it failed'", M_ERROR, MONITOR, true},
        {"destination='org.qemu.Helper1'", M_ERROR, MONITOR, true},
        /* dbus-daemon's own matching cases (bus/signals.c tests) */
        {"type='signal'", M_FROB, NORMAL, true},
        {"member='Frobated'", M_FROB, NORMAL, true},
        {"arg0='foobar'", M_FROB, NORMAL, true},
        {"type='signal',member='Frobated',arg0='foobar'", M_FROB, NORMAL, true},
        {"arg0path='foobar'", M_FROB, NORMAL, true},
        {"arg0namespace='foobar'", M_FROB, NORMAL, true},
        {"type='method_call'", M_FROB, NORMAL, false},
        {"type='method_return'", M_FROB, NORMAL, false},
        {"type='signal',member='Oopsed'", M_FROB, NORMAL, false},
        {"arg0='blah'", M_FROB, NORMAL, false},
        {"arg1='foobar'", M_FROB, NORMAL, false},
        {"arg3='foobar'", M_FROB, NORMAL, false},
        {"arg0='3'", M_FROB, NORMAL, false},
        {"arg1='3'", M_FROB, NORMAL, false},
        {"arg0='foobar',arg1='abcdef'", M_FROB, NORMAL, false},
        {"arg0='foobar',arg1='abcdef',arg4='abcdefghi',arg3='abcdefghi',arg2='abcdefghi'", M_FROB,
         NORMAL, false},
        {"arg0path='foo'", M_FROB, NORMAL, false},
        {"arg0path='foobar/'", M_FROB, NORMAL, false},
        {"arg1path='3'", M_FROB, NORMAL, false},
        {"arg0namespace='foo'", M_FROB, NORMAL, false},
        {"arg0namespace='moo'", M_FROB, NORMAL, false},
        {"arg0namespace='com.example.backend'", M_BACKEND, NORMAL, true},
        {"arg0namespace='com.example'", M_BACKEND, NORMAL, true},
        {"arg0namespace='com'", M_BACKEND, NORMAL, true},
        {"arg0namespace='com.example.backend.foo'", M_BACKEND, NORMAL, true},
        {"arg0namespace='com.example.backend.foo.bar'", M_BACKEND, NORMAL, false},
        {"arg0namespace='com.example.backend.foobar'", M_BACKEND, NORMAL, false},
        {"arg0namespace='com.example.backend.fo'", M_BACKEND, NORMAL, false},
        {"arg0namespace='com.example.backen'", M_BACKEND, NORMAL, false},
        {"arg0namespace='com.exampl'", M_BACKEND, NORMAL, false},
        {"arg0namespace='co'", M_BACKEND, NORMAL, false},
};

static void test_matching(void)
{
        for (size_t i = 0; i < ELEMENTSOF(match_table); i++) {
                _cleanup_(match_rule_freep) MatchRule *r = NULL;
                const Msg *msg = &msgs[match_table[i].msg];
                MatchMessage m;
                unsigned calls = 0;
                bool got;

                if (match_rule_new(&r, match_table[i].rule, strlen(match_table[i].rule))) {
                        CHECK(false, "match: \"%s\" does not parse", match_table[i].rule);
                        continue;
                }
                match_message_init(&m, &msg->h, msg->data, msg->sender, msg->recipient);
                m.name_owned_by = owned_by;
                m.userdata = &calls;
                m.eavesdrop_allowed = match_table[i].mode == EAVESDROP_OK;
                if (match_table[i].mode == MONITOR)
                        got = match_rule_matches_monitor(r, &m);
                else
                        got = match_rule_matches(r, &m);
                CHECK(got == match_table[i].match, "\"%s\" on message %d (mode %d): %d",
                      match_table[i].rule, match_table[i].msg, match_table[i].mode, got);
                /* same answer on the already extracted args */
                if (match_table[i].mode != MONITOR)
                        CHECK(match_rule_matches(r, &m) == got, "\"%s\": second call differs",
                              match_table[i].rule);
        }
}

/* Args are read lazily, once, and only as far as needed. */
static void test_lazy_args(void)
{
        static const char *const rules[] = {"arg1path='/org/qemu/'", "arg3='x'",
                                            "arg0='org.qemu.Helper1'", "member='Changed'"};
        static const unsigned n_read[] = {2, 4, 4, 4};
        const Msg *msg = &msgs[M_SIGNAL];
        MatchMessage m;

        match_message_init(&m, &msg->h, msg->data, msg->sender, msg->recipient);
        CHECK(m.n_read == 0, "lazy: args read before any rule");
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                _cleanup_(match_rule_freep) MatchRule *r = NULL;

                CHECK(match_rule_new(&r, rules[i], strlen(rules[i])) == 0, "lazy: parse");
                if (!r)
                        continue;
                CHECK(match_rule_matches(r, &m), "lazy: \"%s\"", rules[i]);
                CHECK(m.n_read == n_read[i], "lazy: after \"%s\" %u args read, expected %u",
                      rules[i], m.n_read, n_read[i]);
        }
}

int main(void)
{
        test_parse();
        test_quoting();
        test_equal();
        test_memory();
        make_messages();
        test_matching();
        test_lazy_args();
        for (int i = 0; i < _M_N; i++)
                free(msgs[i].data);
        return test_exit();
}
