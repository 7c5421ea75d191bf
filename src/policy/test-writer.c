/*
 * test-writer.c -- PolicyDoc writes dbus-daemon XML: contexts in evaluation
 * order, rules in insertion order, values escaped, comments made safe.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/writer.h"

#define ATTRS(...) (PolicyAttr[]){ __VA_ARGS__ }, sizeof((PolicyAttr[]){ __VA_ARGS__ }) / sizeof(PolicyAttr)

static const char expected[] =
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n"
        "  <!-- top - - comment -  -->\n"
        "  <listen>unix:path=/a&amp;b</listen>\n"
        "  <limit name=\"max_replies_per_connection\">32</limit>\n"
        "  <policy context=\"default\">\n"
        "    <deny own=\"*\"/>\n"
        "    <allow send_destination=\"a.b\" send_member=\"X\"/>\n"
        "  </policy>\n"
        "  <policy user=\"#1000\">\n"
        "    <!-- helper <x> -->\n"
        "    <allow own=\"a.&quot;q&quot;\"/>\n"
        "  </policy>\n"
        "  <policy user=\"root\">\n"
        "    <allow send_destination=\"org.freedesktop.DBus\"/>\n"
        "  </policy>\n"
        "  <policy context=\"mandatory\">\n"
        "    <deny send_interface=\"x.Y\"/>\n"
        "  </policy>\n"
        "</busconfig>\n";

int main(void)
{
        PolicyDoc *d = NULL;
        char *xml = NULL;

        assert(policy_doc_new(&d) == 0);
        assert(policy_doc_add_header_comment(d, "top -- comment -") == 0);
        assert(policy_doc_add_element(d, "listen", "unix:path=/a&b") == 0);
        assert(policy_doc_add_limit(d, "max_replies_per_connection", 32) == 0);
        /* mandatory first in the calls, last in the text */
        assert(policy_doc_add_rule(d, POLICY_CONTEXT_MANDATORY, NULL, false, NULL, ATTRS({ "send_interface", "x.Y" })) == 0);
        assert(policy_doc_add_rule(d, POLICY_CONTEXT_USER, "#1000", true, "helper <x>", ATTRS({ "own", "a.\"q\"" })) == 0);
        assert(policy_doc_add_rule(d, POLICY_CONTEXT_DEFAULT, NULL, false, NULL, ATTRS({ "own", "*" })) == 0);
        assert(policy_doc_add_rule(d, POLICY_CONTEXT_USER, "root", true, NULL,
                                   ATTRS({ "send_destination", "org.freedesktop.DBus" })) == 0);
        assert(policy_doc_add_rule(d, POLICY_CONTEXT_DEFAULT, NULL, true, NULL,
                                   ATTRS({ "send_destination", "a.b" }, { "send_member", "X" })) == 0);
        /* refused: no attributes, bad attribute name, user context without a user */
        assert(policy_doc_add_rule(d, POLICY_CONTEXT_DEFAULT, NULL, true, NULL, NULL, 0) == -EINVAL);
        assert(policy_doc_add_rule(d, POLICY_CONTEXT_DEFAULT, NULL, true, NULL, ATTRS({ "bad name", "x" })) == -EINVAL);
        assert(policy_doc_add_rule(d, POLICY_CONTEXT_USER, NULL, true, NULL, ATTRS({ "own", "x" })) == -EINVAL);
        assert(policy_doc_add_element(d, "li<sten", "x") == -EINVAL);
        assert(policy_doc_write(d, &xml) == 0);
        if (strcmp(xml, expected) != 0) {
                fprintf(stderr, "got:\n%s\nexpected:\n%s\n", xml, expected);
                return 1;
        }
        free(xml);
        policy_doc_free(d);
        assert(policy_doc_free(NULL) == NULL);
        puts("writer: ok");
        return 0;
}
