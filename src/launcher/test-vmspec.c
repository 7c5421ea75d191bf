/*
 * test-vmspec.c -- the VM spec parser: good specs parse into the right
 * fields; every kind of mistake is an error naming FILE:LINE.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/vmspec.h"

static VmSpec *parse_ok(const char *text)
{
        VmSpec *s = NULL;
        char *err = NULL;
        int r = vmspec_parse(text, strlen(text), "t.vm", &s, &err);

        if (r != 0) {
                fprintf(stderr, "unexpected error %d: %s\n", r, err ? err : "?");
                abort();
        }
        return s;
}

/* the error text must start with "t.vm:LINE: " and contain @needle */
static void parse_bad(const char *text, unsigned line, const char *needle)
{
        VmSpec *s = NULL;
        char *err = NULL, prefix[32];
        int r = vmspec_parse(text, strlen(text), "t.vm", &s, &err);

        snprintf(prefix, sizeof(prefix), "t.vm:%u: ", line);
        if (r != VMSPEC_E_INVALID || !err || strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, needle)) {
                fprintf(stderr, "expected \"%s...%s\", got %d \"%s\" for:\n%s\n", prefix, needle, r,
                        err ? err : "(none)", text);
                abort();
        }
        assert(!s);
        free(err);
}

#define VM "[vm]\nname = t\nqemu = qemu-system-x86_64 -S\n"

static void test_good(void)
{
        VmSpec *s = parse_ok("# comment\n[vm]\nname = demo\n"
                             "qemu = qemu-system-x86_64 -M q35\n  -m 64 'a b' \"c\\\"d\"\n"
                             "identity = many-uids\nuids = 1000-1009\ndisplay = dbus\n"
                             "\n[helper tpm]\nexec = swtpm socket --ctrl type=unixio,path=${socket}\n"
                             "provides = tpm\nmemory-max = 64M\nrestart = always\nrestart-max = 3\n"
                             "[helper st]\nexec = /bin/st\nowns = org.x.A, org.x.B\ntalks-to = tpm qemu\n"
                             "vmstate-id = st\ndisplay-client = yes\ntasks-max = 10\n"
                             "read-only-paths = /srv/a\nread-write-paths = /srv/b /srv/c\n");

        assert(!strcmp(s->name, "demo"));
        assert(strv_length(s->qemu) == 7);
        assert(!strcmp(s->qemu[5], "a b"));
        assert(!strcmp(s->qemu[6], "c\"d"));
        assert(s->identity == IDENTITY_MANY_UIDS);
        assert(s->has_uids && s->uid_first == 1000 && s->uid_last == 1009 && s->uids_line == 7);
        assert(s->display == DISPLAY_DBUS);
        assert(s->n_helpers == 2);
        assert(!strcmp(s->helpers[0].name, "tpm") && s->helpers[0].line == 10);
        assert(s->helpers[0].provides == PROVIDES_TPM);
        assert(!strcmp(s->helpers[0].socket, "tpm.sock"));
        assert(s->helpers[0].memory_max == 64u << 20);
        assert(s->helpers[0].restart == RESTART_ALWAYS && s->helpers[0].restart_max == 3);
        assert(strv_length(s->helpers[1].owns) == 2 && !strcmp(s->helpers[1].owns[1], "org.x.B"));
        assert(strv_contains(s->helpers[1].talks_to, "qemu"));
        assert(!strcmp(s->helpers[1].vmstate_id, "st"));
        assert(s->helpers[1].display_client && s->helpers[1].tasks_max == 10);
        assert(s->helpers[1].restart == RESTART_ON_FAILURE && s->helpers[1].restart_max == 5);
        assert(strv_length(s->helpers[1].rw_paths) == 2);
        assert(vmspec_find_helper(s, "st") == &s->helpers[1]);
        assert(vmspec_has_vmstate(s));
        vmspec_free(s);

        s = parse_ok(VM);
        assert(s->identity == IDENTITY_SAME_UID && !s->has_uids && s->n_helpers == 0);
        vmspec_free(s);

        /* virtiofsd's and passt's keys: the socket as an fd, capabilities with reasons, no Landlock */
        s = parse_ok(VM "[helper fs]\nexec = /v --fd=3\nprovides = fs\nfs-tag = share\nsocket-fd = yes\n"
                        "capabilities = sys_chroot: chroot into the share,\n  setpcap: libcap-ng bounding set\n"
                        "[helper net]\nexec = passt\nprovides = net\nlandlock = no\nseccomp = own\n");
        assert(s->helpers[0].socket_fd && !s->helpers[0].no_landlock);
        assert(s->helpers[0].n_caps == 2 && s->helpers[0].caps[0] == 18 /* CAP_SYS_CHROOT */ &&
               s->helpers[0].caps[1] == 8 /* CAP_SETPCAP */);
        assert(!strcmp(s->helpers[0].cap_reasons[0], "chroot into the share"));
        assert(!strncmp(s->helpers[0].cap_reasons[1], "libcap-ng", 9));
        assert(s->helpers[1].no_landlock && s->helpers[1].own_seccomp && !s->helpers[1].socket_fd);
        assert(s->helpers[1].n_caps == 0);
        vmspec_free(s);
}

static void test_bad(void)
{
        parse_bad("", 1, "missing section [vm]");
        parse_bad("[vm]\nname = x\n", 1, "missing key \"qemu\"");
        parse_bad(VM "colour = red\n", 4, "unknown key \"colour\" in [vm]");
        parse_bad(VM "[helper h]\nexec = /bin/true\nfoo = 1\n", 6, "unknown key \"foo\" in [helper h]");
        parse_bad(VM "[helper h]\nowns = a.b\n", 4, "missing key \"exec\"");
        parse_bad(VM "[other]\nx = 1\n", 4, "unknown section [other]");
        parse_bad(VM "name = y\n", 4, "duplicate key \"name\"");
        parse_bad(VM "identity = some\n", 4, "identity: expected");
        parse_bad(VM "identity = two-uids\n", 1, "needs uids");
        parse_bad(VM "uids = 5-3\n", 4, "uids:");
        parse_bad(VM "uids = 5\n", 4, "uids:");
        parse_bad(VM "uids = 0-99999\n", 4, "more than 65536");
        parse_bad(VM "display = vnc\n", 4, "display:");
        parse_bad("[vm]\nname = a/b\nqemu = q\n", 2, "invalid VM name");
        parse_bad("[vm]\nname = x\nqemu = q 'unbalanced\n", 3, "unbalanced quote");
        parse_bad(VM "[helper h]\nexec = /bin/true\nowns = org.x.A *\n", 6, "not a well-known bus name");
        parse_bad(VM "[helper h]\nexec = /bin/true\nowns = :1.2\n", 6, "not a well-known bus name");
        parse_bad(VM "[helper h]\nexec = /bin/true\nowns = a.b a.b\n", 6, "listed twice");
        parse_bad(VM "[helper h]\nexec = /bin/true\ntalks-to = nobody\n", 4, "no such helper");
        parse_bad(VM "[helper h]\nexec = /bin/true\ntalks-to = h\n", 4, "talks-to names itself");
        parse_bad(VM "[helper h]\nexec = /bin/true\nmemory-max = lots\n", 6, "memory-max");
        parse_bad(VM "[helper h]\nexec = /bin/true\nrestart = maybe\n", 6, "restart:");
        parse_bad(VM "[helper h]\nexec = /bin/true\nprovides = fs\n", 4, "needs fs-tag");
        parse_bad(VM "[helper h]\nexec = /bin/true\nsocket = ../x\n", 6, "socket:");
        parse_bad(VM "[helper h]\nexec = /bin/true\nsocket-fd = yes\n", 4, "socket-fd without provides");
        parse_bad(VM "[helper h]\nexec = /bin/true\nsocket-fd = maybe\n", 6, "socket-fd:");
        parse_bad(VM "[helper h]\nexec = /bin/true\nlandlock = off\n", 6, "landlock:");
        parse_bad(VM "[helper h]\nexec = /bin/true\ncapabilities = sys_chroot\n", 6, "NAME: REASON");
        parse_bad(VM "[helper h]\nexec = /bin/true\ncapabilities = sys_chroot:\n", 6, "needs a reason");
        parse_bad(VM "[helper h]\nexec = /bin/true\ncapabilities = fly: up\n", 6, "unknown capability");
        parse_bad(VM "[helper h]\nexec = /bin/true\ncapabilities = sys_chroot: a, fly: b\n", 6, "unknown capability");
        parse_bad(VM "[helper h]\nexec = /bin/true\ncapabilities = ,\n", 6, "NAME: REASON");
        parse_bad(VM "[helper h]\nexec = /bin/true\nread-only-paths = rel\n", 6, "not an absolute path");
        parse_bad(VM "[helper h]\nexec = /bin/true\nsame-uid-as = bus\n", 6, "same-uid-as");
        parse_bad(VM "[helper h]\nexec = /bin/true\n[helper h]\nexec = /bin/true\n", 6, "duplicate section");
        parse_bad(VM "[helper qemu]\nexec = /bin/true\n", 4, "reserved");
        parse_bad(VM "[helper a]\nexec=/x\nprovides=tpm\n[helper b]\nexec=/x\nprovides=tpm\nsocket=a.sock\n", 7,
                  "also used by a");
        parse_bad("x = 1\n[vm]\n", 1, "outside of any section");
        parse_bad(VM "this is not ini\n", 4, "syntax error");
        parse_bad(VM "[vm\n", 4, "syntax error");
        {
                char buf[600];

                snprintf(buf, sizeof(buf), VM "[helper h]\nexec = /bin/%0400d\n", 0);
                parse_bad(buf, 5, "line longer than");
        }
        {
                static const char nul[] = VM "x\0y\n";

                VmSpec *s = NULL;
                char *err = NULL;

                assert(vmspec_parse(nul, sizeof(nul) - 1, "t.vm", &s, &err) == VMSPEC_E_INVALID);
                assert(strstr(err, "t.vm:4: NUL byte"));
                free(err);
        }
}

static void test_words(void)
{
        char **v = NULL;

        assert(vmspec_split_words("  a  'b c'd \\e \"\" ", &v) == 0);
        assert(strv_length(v) == 4 && !strcmp(v[1], "b cd") && !strcmp(v[2], "e") && !strcmp(v[3], ""));
        strv_free(v);
        assert(vmspec_split_words("a\\", &v) == VMSPEC_E_INVALID);
        assert(vmspec_split_words("'a", &v) == VMSPEC_E_INVALID);
}

static void test_load(void)
{
        VmSpec *s = NULL;
        char *err = NULL;

        assert(vmspec_load("/nonexistent/x.vm", &s, &err) == VMSPEC_E_INVALID);
        assert(strstr(err, "/nonexistent/x.vm: cannot read"));
        free(err);
        err = NULL;
        assert(vmspec_load("/", &s, &err) == VMSPEC_E_INVALID);
        free(err);
}

int main(void)
{
        test_good();
        test_bad();
        test_words();
        test_load();
        puts("vmspec: ok");
        return 0;
}
