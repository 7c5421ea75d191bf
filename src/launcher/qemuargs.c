/*
 * qemuargs.c -- build QEMU's argv (see qemuargs.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/qemuargs.h"
#include "util/error.h"

/* QEMU option values: a ',' inside a value is written ",," */
static char *opt_escape(const char *s)
{
        char *out = malloc(strlen(s) * 2 + 1), *o = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                *o++ = *s;
                if (*s == ',')
                        *o++ = ',';
        }
        *o = 0;
        return out;
}

static int expand(const char *w, const VmSpec *s, const VmHelper *h, const char *dir, const char *bus, char **ret)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        for (const char *p = w; *p; p++) {
                const char *end;
                size_t n;

                if (p[0] != '$' || p[1] != '{' || !(end = strchr(p + 2, '}'))) {
                        fputc(*p, f);
                        continue;
                }
                n = (size_t)(end - p - 2);
                if (n == 2 && !strncmp(p + 2, "vm", 2))
                        fputs(s->name, f);
                else if (n == 11 && !strncmp(p + 2, "runtime_dir", 11))
                        fputs(dir, f);
                else if (n == 11 && !strncmp(p + 2, "bus_address", 11))
                        fputs(bus, f);
                else if (h && n == 4 && !strncmp(p + 2, "name", 4))
                        fputs(h->name, f);
                else if (h && h->socket && n == 6 && !strncmp(p + 2, "socket", 6))
                        fprintf(f, "%s/h-%s/%s", dir, h->name, h->socket);
                else if (h && n == 9 && !strncmp(p + 2, "state_dir", 9))
                        fprintf(f, "%s/h-%s", dir, h->name);
                else {
                        fwrite(p, 1, n + 3, f);
                }
                p = end;
        }
        if (fclose(f) != 0 || !buf) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

/** qemuargs_expand_all() - expand every word of @words. Returns 0 or -ENOMEM. */
int qemuargs_expand_all(char *const *words, const VmSpec *s, const VmHelper *h, const char *dir,
                        const char *bus_address, char ***ret)
{
        char **v = calloc(1, sizeof(char *));

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; words[i]; i++) {
                char *w = NULL;
                int r = expand(words[i], s, h, dir, bus_address, &w);

                if (r == 0)
                        r = strv_push(&v, w);
                free(w);
                if (r < 0) {
                        strv_free(v);
                        return r;
                }
        }
        *ret = v;
        return 0;
}

_printf_(2, 3) static int pushf(char ***v, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = strv_push(v, s);
        free(s);
        return r;
}

static int helper_devices(char ***v, const VmHelper *h, const char *dir)
{
        _cleanup_free_ char *sock = NULL, *esc = NULL;
        int r = 0;

        if (h->provides == PROVIDES_NONE)
                return 0;
        if (asprintf(&sock, "%s/h-%s/%s", dir, h->name, h->socket) < 0 || !(esc = opt_escape(sock)))
                return -ENOMEM;
        switch (h->provides) {
        case PROVIDES_TPM:
                r |= pushf(v, "-chardev");
                r |= pushf(v, "socket,id=bh-chr-%s,path=%s", h->name, esc);
                r |= pushf(v, "-tpmdev");
                r |= pushf(v, "emulator,id=bh-tpm-%s,chardev=bh-chr-%s", h->name, h->name);
                r |= pushf(v, "-device");
                r |= pushf(v, "tpm-tis,tpmdev=bh-tpm-%s", h->name);
                break;
        case PROVIDES_NET:
                r |= pushf(v, "-netdev");
                r |= pushf(v, "stream,id=bh-net-%s,server=off,addr.type=unix,addr.path=%s", h->name, esc);
                r |= pushf(v, "-device");
                r |= pushf(v, "virtio-net-pci,netdev=bh-net-%s", h->name);
                break;
        case PROVIDES_FS:
                r |= pushf(v, "-chardev");
                r |= pushf(v, "socket,id=bh-chr-%s,path=%s", h->name, esc);
                r |= pushf(v, "-device");
                r |= pushf(v, "vhost-user-fs-pci,chardev=bh-chr-%s,tag=%s", h->name, h->fs_tag);
                break;
        case PROVIDES_NONE:
                break;
        }
        return r ? -ENOMEM : 0;
}

/** qemuargs_build() - see qemuargs.h. Returns 0 or -ENOMEM. */
int qemuargs_build(const VmSpec *s, const char *dir, const char *bus_address, int qmp_fd, const char *incoming,
                   char ***ret)
{
        _cleanup_(strvp_free) char **v = NULL;
        _cleanup_free_ char *bus = opt_escape(bus_address);
        int r;

        if (!bus)
                return -ENOMEM;
        r = qemuargs_expand_all(s->qemu, s, NULL, dir, bus_address, &v);
        if (r < 0)
                return r;
        r |= pushf(&v, "-chardev");
        r |= pushf(&v, "socket,id=bulkhead-qmp,fd=%d,server=on,wait=off", qmp_fd);
        r |= pushf(&v, "-mon");
        r |= pushf(&v, "chardev=bulkhead-qmp,mode=control");
        r |= pushf(&v, "-display");
        if (s->display == DISPLAY_DBUS)
                r |= pushf(&v, "dbus,p2p=no,addr=%s", bus);
        else
                r |= pushf(&v, "none");
        if (vmspec_has_vmstate(s)) {
                char *ids = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&ids, &size);

                if (!f)
                        return -ENOMEM;
                for (size_t i = 0, n = 0; i < s->n_helpers; i++)
                        if (s->helpers[i].vmstate_id)
                                /* the list's commas are inside an option value: written ",," */
                                fprintf(f, "%s%s", n++ ? ",," : "", s->helpers[i].vmstate_id);
                if (fclose(f) != 0)
                        return -ENOMEM;
                r |= pushf(&v, "-object");
                r |= pushf(&v, "dbus-vmstate,id=bulkhead-vmstate,addr=%s,id-list=%s", bus, ids);
                free(ids);
        }
        for (size_t i = 0; i < s->n_helpers && r == 0; i++)
                r = helper_devices(&v, &s->helpers[i], dir);
        r |= pushf(&v, "-sandbox");
        r |= pushf(&v, "%s", QEMUARGS_SANDBOX);
        if (incoming) {
                r |= pushf(&v, "-incoming");
                r |= pushf(&v, "%s", incoming);
        }
        if (r)
                return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}
