/*
 * test-policygen.c -- the generated policy: who connects, who owns what,
 * who sends where; roles sharing a uid share a context; dbus-daemon's lack
 * of numeric users is reported, not papered over.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/plan.h"
#include "launcher/policygen.h"

static const char spec_text[] =
        "[vm]\nname = t\nqemu = qemu-system-x86_64 -S\nidentity = many-uids\nuids = 5000-5099\ndisplay = dbus\n"
        "[helper a]\nexec = /x\nowns = org.t.A\nvmstate-id = a\n"
        "[helper b]\nexec = /x\nowns = org.t.B\ntalks-to = a qemu\n"
        "[helper ui]\nexec = /x\ntalks-to = qemu\ndisplay-client = yes\n";

/* the <policy user="U"> ... </policy> block of @xml, copied */
static char *context(const char *xml, const char *user)
{
        char head[64];
        const char *a, *b;

        snprintf(head, sizeof(head), "<policy user=\"%s\">", user);
        a = strstr(xml, head);
        if (!a)
                return NULL;
        b = strstr(a, "</policy>");
        return strndup(a, (size_t)(b - a));
}

static int no_names(uid_t uid, char **ret)
{
        return POLICYGEN_E_NO_USER;
}

static int names(uid_t uid, char **ret)
{
        return asprintf(ret, "u%u", (unsigned)uid) < 0 ? -1 : 0;
}

int main(void)
{
        VmSpec *s = NULL;
        IdentityPlan plan;
        char *xml = NULL, *err = NULL, *c;

        assert(vmspec_parse(spec_text, strlen(spec_text), "t.vm", &s, &err) == 0);
        assert(plan_uids_needed(s) == 5);
        assert(plan_identities(s, true, 0, 0, 5000, &plan) == 0);
        assert(plan.qemu_uid == 5000 && plan.bus_uid == 5001 && plan.helper_uids[0] == 5002 &&
               plan.helper_uids[1] == 5003 && plan.helper_uids[2] == 5004 && plan.vm_gid == 5000);
        assert(policygen_build(s, &plan, BUS_FLAVOUR_BULKHEAD, "unix:path=/r/t/bus/socket", NULL, &xml, &err) == 0);

        /* default: connect for the VM's uids and root only, deny everything else */
        assert(strstr(xml, "<listen>unix:path=/r/t/bus/socket</listen>"));
        assert(strstr(xml, "<allow user=\"#0\"/>") && strstr(xml, "<allow user=\"#5004\"/>"));
        assert(!strstr(xml, "<allow user=\"#5001\"/>")); /* the bus itself never connects */
        assert(strstr(xml, "<deny own=\"*\"/>") && strstr(xml, "<deny send_destination=\"*\"/>"));
        assert(!strstr(xml, "<allow own=\"*\"") && !strstr(xml, "<allow send_destination=\"*\""));

        /* a: its name and the VMState queue, sends nowhere */
        c = context(xml, "#5002");
        assert(c && strstr(c, "<allow own=\"org.t.A\"/>") && strstr(c, "<allow own=\"org.qemu.VMState1\"/>"));
        assert(!strstr(c, "send_destination=\"org.t.B\"") && !strstr(c, "org.t.B"));
        free(c);
        /* b: its name, sends to a and to QEMU's display, but no RegisterListener */
        c = context(xml, "#5003");
        assert(c && strstr(c, "<allow own=\"org.t.B\"/>") && strstr(c, "<allow send_destination=\"org.t.A\"/>"));
        assert(strstr(c, "<deny send_destination=\"org.qemu\" send_interface=\"org.qemu.Display1.Console\" "
                         "send_member=\"RegisterListener\"/>"));
        assert(!strstr(c, "org.qemu.VMState1"));
        free(c);
        /* the display client may register */
        c = context(xml, "#5004");
        assert(c && strstr(c, "<allow send_destination=\"org.qemu\" send_interface=\"org.qemu.Display1.Console\" "
                              "send_member=\"RegisterListener\"/>"));
        free(c);
        /* QEMU calls VMState1; only the manager may BecomeMonitor */
        c = context(xml, "#5000");
        assert(c && strstr(c, "send_destination=\"org.qemu.VMState1\" send_interface=\"org.qemu.VMState1\""));
        assert(!strstr(c, "BecomeMonitor"));
        assert(strstr(c, "<allow own=\"org.qemu\"/>"));
        free(c);
        c = context(xml, "#0");
        assert(c && strstr(c, "BecomeMonitor"));
        free(c);
        free(xml);

        /* dbus-daemon: numeric users refused, names used when they exist */
        assert(policygen_build(s, &plan, BUS_FLAVOUR_DBUS_DAEMON, "unix:path=/x", no_names, &xml, &err) ==
               POLICYGEN_E_NO_USER);
        assert(err && strstr(err, "dbus-daemon refuses numeric users"));
        free(err);
        err = NULL;
        assert(policygen_build(s, &plan, BUS_FLAVOUR_DBUS_DAEMON, "unix:path=/x", names, &xml, &err) == 0);
        assert(strstr(xml, "<policy user=\"u5002\">") && !strstr(xml, "\"#"));
        assert(strstr(xml, "send_interface=\"org.qemu.VMState1\" send_path=\"/org/qemu/VMState1\""));
        free(xml);

        /* two-uids: helpers share one uid and so one context */
        s->identity = IDENTITY_TWO_UIDS;
        assert(plan_uids_needed(s) == 2);
        assert(plan_identities(s, true, 0, 0, 5000, &plan) == 0);
        assert(plan.helper_uids[0] == 5001 && plan.helper_uids[2] == 5001);
        assert(policygen_build(s, &plan, BUS_FLAVOUR_BULKHEAD, "unix:path=/x", NULL, &xml, &err) == 0);
        c = context(xml, "#5001");
        assert(c && strstr(c, "org.t.A") && strstr(c, "org.t.B"));
        free(c);
        free(xml);

        /* not root: same-uid only */
        assert(plan_identities(s, false, 1000, 1000, 0, &plan) == PLAN_E_NOT_ROOT);
        s->identity = IDENTITY_SAME_UID;
        assert(plan_identities(s, false, 1000, 1000, 0, &plan) == 0);
        assert(plan.qemu_uid == 1000 && plan.helper_uids[1] == 1000 && plan.vm_gid == 1000);
        vmspec_free(s);
        puts("policygen: ok");
        return 0;
}
