/*
 * config-parser.c -- reads dbus-daemon configuration files with expat:
 * the element grammar, text content, <include>/<includedir>, limits, and
 * error texts naming file, line and element.
 *
 * Each file (the main one and every included one) is parsed into its own
 * BusConfig, which is merged into the includer's when the file succeeded, as
 * dbus-daemon does (so a broken file in an <includedir> leaves nothing
 * behind: dbus-daemon reports it and goes on, and so do we, as a warning).
 *
 * libexpat is not linked: bus_config_load*() dlopen() it for the whole
 * include tree and dlclose() it when done (xml-lib.c), so an idle bus does
 * not keep it mapped.
 *
 * Hardening: files are bounded in size, includes in depth and number, and
 * cycles refused; expat never loads external entities or DTDs, and any
 * <!ENTITY> declaration is refused (no entity expansion bombs).
 *
 * Must never: read anything but the configuration files and directories the
 * configuration names, or write anything.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/config-internal.h"
#include "policy/config-priv.h"
#include "policy/xml-lib.h"
#include "util/error.h"

#define MAX_ELEMENT_DEPTH 8    /* busconfig > policy > allow is the deepest valid */
#define MAX_FILES         4096 /* files read for one configuration, includes and all */

typedef enum {
        EL_NONE,
        EL_BUSCONFIG,
        EL_USER,
        EL_TYPE,
        EL_FORK,
        EL_SYSLOG,
        EL_KEEP_UMASK,
        EL_PIDFILE,
        EL_LISTEN,
        EL_AUTH,
        EL_SERVICEHELPER,
        EL_INCLUDEDIR,
        EL_STANDARD_SESSION_SERVICEDIRS,
        EL_STANDARD_SYSTEM_SERVICEDIRS,
        EL_ALLOW_ANONYMOUS,
        EL_SERVICEDIR,
        EL_INCLUDE,
        EL_POLICY,
        EL_LIMIT,
        EL_SELINUX,
        EL_APPARMOR,
        EL_ALLOW,
        EL_DENY,
        EL_ASSOCIATE,
        _EL_MAX,
} ElementType;

static const char *const element_names[_EL_MAX] = {
        [EL_BUSCONFIG] = "busconfig",
        [EL_USER] = "user",
        [EL_TYPE] = "type",
        [EL_FORK] = "fork",
        [EL_SYSLOG] = "syslog",
        [EL_KEEP_UMASK] = "keep_umask",
        [EL_PIDFILE] = "pidfile",
        [EL_LISTEN] = "listen",
        [EL_AUTH] = "auth",
        [EL_SERVICEHELPER] = "servicehelper",
        [EL_INCLUDEDIR] = "includedir",
        [EL_STANDARD_SESSION_SERVICEDIRS] = "standard_session_servicedirs",
        [EL_STANDARD_SYSTEM_SERVICEDIRS] = "standard_system_servicedirs",
        [EL_ALLOW_ANONYMOUS] = "allow_anonymous",
        [EL_SERVICEDIR] = "servicedir",
        [EL_INCLUDE] = "include",
        [EL_POLICY] = "policy",
        [EL_LIMIT] = "limit",
        [EL_SELINUX] = "selinux",
        [EL_APPARMOR] = "apparmor",
        [EL_ALLOW] = "allow",
        [EL_DENY] = "deny",
        [EL_ASSOCIATE] = "associate",
};

typedef struct Element {
        ElementType type;
        unsigned line;
        bool ignore_missing;
        bool if_selinux_enabled;
        bool selinux_root_relative;
        bool policy_ignored;
        PolicyCtx policy_ctx;
        uint32_t policy_id;
        char *limit_name;
} Element;

/* state shared by a whole include tree */
typedef struct Loader {
        XmlLib xml; /* loaded for the whole tree */
        unsigned flags;
        unsigned n_files;
        const char *chain[BUS_CONFIG_MAX_INCLUDE_DEPTH + 1]; /* files being parsed, outermost first */
        size_t depth;
} Loader;

/* one file being parsed */
typedef struct FileParser {
        Loader *loader;
        BusConfig *config;
        XML_Parser xml;
        const char *file;
        const char *file_interned;
        const char *basedir; /* NULL: relative includes cannot be resolved */
        const char *cur_name; /* element being started, for messages */
        bool toplevel;
        Element stack[MAX_ELEMENT_DEPTH];
        size_t n_stack;
        char *content;
        size_t n_content;
        size_t cap_content;
        int r; /* first failure: CONFIG_E_INVALID or -errno */
        char *error;
} FileParser;

static int load_data(Loader *l, const char *data, size_t size, const char *name, const char *basedir,
                     const BusConfig *parent, BusConfig **ret, char **ret_error);
static int load_file(Loader *l, const char *path, const BusConfig *parent, BusConfig **ret,
                     char **ret_error);

_printf_(3, 4) static void fail(FileParser *p, int r, const char *fmt, ...)
{
        char msg[CONFIG_ERROR_MAX];
        const char *el = p->n_stack ? element_names[p->stack[p->n_stack - 1].type] : NULL;

        if (p->n_stack && !el)
                el = p->cur_name;
        va_list ap;

        if (p->r)
                return;
        p->r = r;
        if (p->xml)
                p->loader->xml.StopParser(p->xml, XML_FALSE);
        if (r < 0)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (el && p->xml)
                r = asprintf(&p->error, "%s:%lu: <%s>: %s", p->file,
                             (unsigned long)p->loader->xml.GetCurrentLineNumber(p->xml), el, msg);
        else if (p->xml)
                r = asprintf(&p->error, "%s:%lu: %s", p->file,
                             (unsigned long)p->loader->xml.GetCurrentLineNumber(p->xml), msg);
        else
                r = asprintf(&p->error, "%s: %s", p->file, msg);
        if (r < 0)
                p->error = NULL;
}

/* fail with a message already formatted by a helper, or pass -errno on */
static void fail_code(FileParser *p, int r, const char *msg)
{
        if (r < 0)
                fail(p, r, "%s", strerror(-r));
        else if (r > 0)
                fail(p, r, "%s", msg);
}

static void warn(FileParser *p, const char *msg)
{
        char *w;

        if (asprintf(&w, "%s:%lu: %s", p->file, (unsigned long)p->loader->xml.GetCurrentLineNumber(p->xml), msg) < 0)
                return;
        (void)strv_append(&p->config->warnings, w);
        free(w);
}

static ElementType element_from_name(const char *name)
{
        for (int i = EL_BUSCONFIG; i < _EL_MAX; i++)
                if (strcmp(element_names[i], name) == 0)
                        return (ElementType)i;
        return EL_NONE;
}

static char *path_join(const char *dir, const char *file)
{
        char *s;

        if (file[0] == '/' || !dir)
                return strdup(file);
        if (asprintf(&s, "%s/%s", dir, file) < 0)
                return NULL;
        return s;
}

static int attrs(FileParser *p, const char *element, const char **atts, ConfigAttr *want, size_t n)
{
        char err[CONFIG_ERROR_MAX];
        int r = config_attrs_locate(element, atts, want, n, err, sizeof(err));

        if (r)
                fail_code(p, r, err);
        return r;
}

static int no_attrs(FileParser *p, const char *element, const char **atts)
{
        return attrs(p, element, atts, NULL, 0);
}

/* "yes"/"no" attribute of <include> */
static int yes_no(FileParser *p, const char *name, const char *v, bool *ret)
{
        if (!v)
                return 0;
        if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
                *ret = strcmp(v, "yes") == 0;
                return 0;
        }
        fail(p, CONFIG_E_INVALID, "%s attribute must have value \"yes\" or \"no\"", name);
        return CONFIG_E_INVALID;
}

static void start_policy(FileParser *p, Element *e, const char **atts)
{
        ConfigAttr a[] = { { "context" }, { "user" }, { "group" }, { "at_console" } };
        int n = 0;

        if (attrs(p, "policy", atts, a, ELEMENTSOF(a)))
                return;
        for (size_t i = 0; i < ELEMENTSOF(a); i++)
                n += !!a[i].value;
        if (n != 1) {
                fail(p, CONFIG_E_INVALID,
                     "<policy> element must have exactly one of (context|user|group|at_console) attributes");
                return;
        }
        if (a[0].value) {
                if (strcmp(a[0].value, "default") == 0)
                        e->policy_ctx = PCTX_DEFAULT;
                else if (strcmp(a[0].value, "mandatory") == 0)
                        e->policy_ctx = PCTX_MANDATORY;
                else
                        fail(p, CONFIG_E_INVALID,
                             "context attribute on <policy> must have the value \"default\" or \"mandatory\", "
                             "not \"%s\"",
                             a[0].value);
        } else if (a[1].value || a[2].value) {
                bool user = a[1].value;
                const char *v = user ? a[1].value : a[2].value;
                char msg[CONFIG_ERROR_MAX];

                e->policy_ctx = user ? PCTX_USER : PCTX_GROUP;
                if (!(user ? config_resolve_user(v, p->loader->flags, &e->policy_id)
                           : config_resolve_group(v, p->loader->flags, &e->policy_id))) {
                        /* dbus-daemon warns and ignores the rules inside */
                        snprintf(msg, sizeof(msg), "Unknown %s \"%s\" in message bus configuration file",
                                 user ? "username" : "group", v);
                        warn(p, msg);
                        e->policy_ignored = true;
                }
        } else {
                e->policy_ctx = PCTX_CONSOLE;
                if (strcmp(a[3].value, "true") == 0 || strcmp(a[3].value, "false") == 0)
                        e->policy_id = strcmp(a[3].value, "true") == 0;
                else
                        fail(p, CONFIG_E_INVALID,
                             "Unknown value \"%s\" for at_console in message bus configuration file",
                             a[3].value);
        }
}

static void start_busconfig_child(FileParser *p, Element *e, const char *name, const char **atts)
{
        switch (e->type) {
        case EL_FORK:
                p->config->fork = true;
                no_attrs(p, name, atts);
                break;
        case EL_SYSLOG:
                p->config->syslog = true;
                no_attrs(p, name, atts);
                break;
        case EL_KEEP_UMASK:
                p->config->keep_umask = true;
                no_attrs(p, name, atts);
                break;
        case EL_ALLOW_ANONYMOUS:
                p->config->allow_anonymous = true;
                no_attrs(p, name, atts);
                break;
        case EL_STANDARD_SESSION_SERVICEDIRS:
        case EL_STANDARD_SYSTEM_SERVICEDIRS: {
                /* recorded only: we never activate */
                static const char *const session[] = { "/usr/local/share/dbus-1/services",
                                                       "/usr/share/dbus-1/services", NULL };
                static const char *const system[] = { "/usr/local/share/dbus-1/system-services",
                                                      "/usr/share/dbus-1/system-services",
                                                      "/lib/dbus-1/system-services", NULL };
                const char *const *dirs = e->type == EL_STANDARD_SESSION_SERVICEDIRS ? session : system;

                if (no_attrs(p, name, atts))
                        break;
                for (size_t i = 0; dirs[i]; i++) {
                        int r = strv_append_unique(&p->config->servicedirs, dirs[i]);

                        if (r < 0)
                                fail_code(p, r, NULL);
                }
                break;
        }
        case EL_USER:
        case EL_TYPE:
        case EL_PIDFILE:
        case EL_LISTEN:
        case EL_AUTH:
        case EL_SERVICEHELPER:
        case EL_INCLUDEDIR:
        case EL_SERVICEDIR:
        case EL_SELINUX:
                no_attrs(p, name, atts);
                break;
        case EL_INCLUDE: {
                ConfigAttr a[] = { { "ignore_missing" }, { "if_selinux_enabled" }, { "selinux_root_relative" } };

                if (attrs(p, name, atts, a, ELEMENTSOF(a)) == 0 &&
                    yes_no(p, "ignore_missing", a[0].value, &e->ignore_missing) == 0 &&
                    yes_no(p, "if_selinux_enabled", a[1].value, &e->if_selinux_enabled) == 0)
                        yes_no(p, "selinux_root_relative", a[2].value, &e->selinux_root_relative);
                break;
        }
        case EL_POLICY:
                start_policy(p, e, atts);
                break;
        case EL_LIMIT: {
                ConfigAttr a[] = { { "name" } };

                if (attrs(p, name, atts, a, 1))
                        break;
                if (!a[0].value) {
                        fail(p, CONFIG_E_INVALID, "<limit> element must have a \"name\" attribute");
                        break;
                }
                e->limit_name = strdup(a[0].value);
                if (!e->limit_name)
                        fail_code(p, -ENOMEM, NULL);
                break;
        }
        case EL_APPARMOR: {
                ConfigAttr a[] = { { "mode" } };
                const char *m;

                if (attrs(p, name, atts, a, 1) || !(m = a[0].value))
                        break;
                if (strcmp(m, "required") == 0)
                        p->config->apparmor = BUS_APPARMOR_REQUIRED;
                else if (strcmp(m, "enabled") == 0)
                        p->config->apparmor = BUS_APPARMOR_ENABLED;
                else if (strcmp(m, "disabled") == 0)
                        p->config->apparmor = BUS_APPARMOR_DISABLED;
                else
                        fail(p, CONFIG_E_INVALID,
                             "Mode attribute on <apparmor> must have value \"required\", \"enabled\" or "
                             "\"disabled\", not \"%s\"",
                             m);
                break;
        }
        default:
                fail(p, CONFIG_E_INVALID, "Element <%s> not allowed inside <%s> in configuration file", name,
                     "busconfig");
                break;
        }
}

static void start_rule(FileParser *p, const Element *policy, const char *name, const char **atts, bool allow)
{
        char err[CONFIG_ERROR_MAX], w[CONFIG_ERROR_MAX];
        PolicyRule *rule = NULL;
        int r;

        r = config_rule_from_element(name, atts, allow, p->loader->flags, &rule, err, sizeof(err), w,
                                     sizeof(w));
        if (r) {
                fail_code(p, r, err);
                return;
        }
        if (!rule) {
                warn(p, w);
                return;
        }
        if (policy->policy_ignored) {
                policy_rule_free(rule);
                return;
        }
        if ((policy->policy_ctx == PCTX_USER || policy->policy_ctx == PCTX_GROUP) &&
            (rule->kind == RULE_USER || rule->kind == RULE_GROUP)) {
                policy_rule_free(rule);
                fail(p, CONFIG_E_INVALID, "<%s> rule cannot be per-%s because it has bus-global semantics",
                     name, policy->policy_ctx == PCTX_USER ? "user" : "group");
                return;
        }
        rule->file = p->file_interned;
        rule->line = (unsigned)p->loader->xml.GetCurrentLineNumber(p->xml);
        r = policy_add_rule(p->config->policy, policy->policy_ctx, policy->policy_id, rule);
        if (r < 0)
                fail_code(p, r, NULL);
}

static bool content_pending(FileParser *p);

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **atts)
{
        FileParser *p = data;
        ElementType parent = p->n_stack ? p->stack[p->n_stack - 1].type : EL_NONE;
        Element *e;

        if (p->r || !content_pending(p))
                return;
        if (p->n_stack == MAX_ELEMENT_DEPTH) {
                fail(p, CONFIG_E_INVALID, "Element <%s> is not allowed in this context", name);
                return;
        }
        p->cur_name = name;
        e = &p->stack[p->n_stack++];
        *e = (Element){ .type = element_from_name(name), .line = (unsigned)p->loader->xml.GetCurrentLineNumber(p->xml) };
        switch (parent) {
        case EL_NONE:
                if (e->type == EL_BUSCONFIG)
                        no_attrs(p, name, atts);
                else
                        fail(p, CONFIG_E_INVALID, "Unknown element <%s> at root of configuration file", name);
                break;
        case EL_BUSCONFIG:
                if (e->type == EL_BUSCONFIG || e->type == EL_ALLOW || e->type == EL_DENY ||
                    e->type == EL_ASSOCIATE)
                        e->type = EL_NONE;
                start_busconfig_child(p, e, name, atts);
                break;
        case EL_POLICY:
                if (e->type == EL_ALLOW || e->type == EL_DENY)
                        start_rule(p, &p->stack[p->n_stack - 2], name, atts, e->type == EL_ALLOW);
                else
                        fail(p, CONFIG_E_INVALID, "Element <%s> not allowed inside <%s> in configuration file",
                             name, "policy");
                break;
        case EL_SELINUX:
                if (e->type == EL_ASSOCIATE) {
                        ConfigAttr a[] = { { "own" }, { "context" } };
                        int r;

                        if (attrs(p, name, atts, a, 2))
                                break;
                        if (!a[0].value || !a[1].value) {
                                fail(p, CONFIG_E_INVALID,
                                     "Element <associate> must have attributes own=\"<servicename>\" and "
                                     "context=\"<selinux context>\"");
                                break;
                        }
                        r = bus_config_add_association(p->config, a[0].value, a[1].value);
                        if (r < 0)
                                fail_code(p, r, NULL);
                } else {
                        fail(p, CONFIG_E_INVALID, "Element <%s> not allowed inside <%s> in configuration file",
                             name, "selinux");
                }
                break;
        default:
                fail(p, CONFIG_E_INVALID, "Element <%s> is not allowed in this context", name);
                break;
        }
}

static bool all_space(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strchr(" \t\r\n", s[i]))
                        return false;
        return true;
}

/* <limit>: the value is checked and stored by config.c */
static void set_limit(FileParser *p, const char *name, const char *text)
{
        char err[CONFIG_ERROR_MAX];
        int r = bus_config_set_limit(p->config, name, text, err, sizeof(err));

        if (r)
                fail_code(p, r, err);
}

static void include_file(FileParser *p, const char *path, bool ignore_missing, bool from_dir)
{
        _cleanup_(bus_config_freep) BusConfig *inc = NULL;
        _cleanup_free_ char *err = NULL;
        Loader *l = p->loader;
        int r;

        for (size_t i = 0; i < l->depth; i++) {
                if (strcmp(l->chain[i], path) == 0) {
                        fail(p, CONFIG_E_INVALID, "Circular inclusion of file '%s'", path);
                        return;
                }
        }
        if (l->depth > BUS_CONFIG_MAX_INCLUDE_DEPTH) {
                fail(p, CONFIG_E_INVALID, "Includes nested deeper than %d at '%s'", BUS_CONFIG_MAX_INCLUDE_DEPTH,
                     path);
                return;
        }
        r = load_file(l, path, p->config, &inc, &err);
        if (r == -ENOENT && ignore_missing)
                return;
        if (r && from_dir && r != -ENOMEM) {
                /* dbus-daemon reports a broken file of an <includedir> and goes on */
                char msg[CONFIG_ERROR_MAX];

                snprintf(msg, sizeof(msg), "Encountered error '%s' while parsing '%s'", err ? err : "?", path);
                warn(p, msg);
                return;
        }
        if (r) {
                /* the included file's message names its own file and line */
                if (!p->r) {
                        p->r = r == -ENOENT ? CONFIG_E_INVALID : r;
                        p->error = TAKE_PTR(err);
                        p->loader->xml.StopParser(p->xml, XML_FALSE);
                }
                return;
        }
        /* an included file starts from our limits and hands them back */
        r = bus_config_merge(p->config, inc);
        if (r < 0)
                fail_code(p, r, NULL);
}

static int strcmp_p(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void include_dir(FileParser *p, const char *dir)
{
        DIR *d;
        struct dirent *de;
        char **names = NULL;
        size_t n = 0;

        if (p->loader->flags & BUS_CONFIG_NO_INCLUDES)
                return;
        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT && errno != ENOTDIR)
                        fail(p, CONFIG_E_INVALID, "Failed to open directory \"%s\": %s", dir, strerror(errno));
                return;
        }
        while ((de = readdir(d))) {
                size_t k = strlen(de->d_name);
                char **v;

                if (k < 5 || strcmp(de->d_name + k - 5, ".conf") != 0)
                        continue;
                v = reallocarray(names, n + 1, sizeof(*v));
                if (!v || !(v[n] = path_join(dir, de->d_name))) {
                        names = v ? v : names;
                        fail_code(p, -ENOMEM, NULL);
                        break;
                }
                names = v;
                n++;
        }
        closedir(d);
        if (n > 0)
                qsort(names, n, sizeof(*names), strcmp_p);
        for (size_t i = 0; i < n; i++) {
                if (!p->r)
                        include_file(p, names[i], true, true);
                free(names[i]);
        }
        free(names);
}

static void content_include(FileParser *p, const Element *e, const char *text)
{
        _cleanup_free_ char *path = NULL;
        const char *base = p->basedir;

        if (e->if_selinux_enabled && !config_selinux_enabled())
                return;
        if (e->selinux_root_relative) {
                base = config_selinux_policy_root();
                if (!base) {
                        fail(p, CONFIG_E_INVALID, "Could not determine SELinux policy root for relative inclusion");
                        return;
                }
        }
        if (p->loader->flags & BUS_CONFIG_NO_INCLUDES) {
                if (!e->ignore_missing)
                        fail(p, CONFIG_E_INVALID, "Failed to open \"%s\": includes are disabled", text);
                return;
        }
        if (text[0] != '/' && !base) {
                if (!e->ignore_missing)
                        fail(p, CONFIG_E_INVALID, "Cannot resolve relative <include> \"%s\"", text);
                return;
        }
        path = path_join(base, text);
        if (!path) {
                fail_code(p, -ENOMEM, NULL);
                return;
        }
        include_file(p, path, e->ignore_missing, false);
}

static int set_string(char **dst, const char *s)
{
        char *c = strdup(s);

        if (!c)
                return error_origin(-ENOMEM);
        free(*dst);
        *dst = c;
        return 0;
}

/* the text of a content element, trimmed, when it closes */
static void element_content(FileParser *p, const Element *e, const char *text)
{
        _cleanup_free_ char *full = NULL;
        int r = 0;

        switch (e->type) {
        case EL_USER:
                r = set_string(&p->config->user, text);
                break;
        case EL_TYPE:
                r = set_string(&p->config->type, text);
                break;
        case EL_PIDFILE:
                r = set_string(&p->config->pidfile, text);
                break;
        case EL_LISTEN:
                r = strv_append(&p->config->listen, text);
                break;
        case EL_AUTH:
                r = strv_append(&p->config->auth, text);
                break;
        case EL_SERVICEHELPER:
        case EL_SERVICEDIR:
        case EL_INCLUDEDIR:
                full = path_join(p->basedir, text);
                if (!full)
                        r = -ENOMEM;
                else if (e->type == EL_SERVICEHELPER)
                        r = set_string(&p->config->servicehelper, full);
                else if (e->type == EL_SERVICEDIR)
                        r = strv_append_unique(&p->config->servicedirs, full);
                else if (full[0] == '/' || p->basedir)
                        include_dir(p, full);
                break;
        case EL_INCLUDE:
                content_include(p, e, text);
                break;
        case EL_LIMIT:
                set_limit(p, e->limit_name, text);
                break;
        default:
                break;
        }
        if (r < 0)
                fail_code(p, r, NULL);
}

static bool element_wants_content(ElementType t)
{
        switch (t) {
        case EL_INCLUDE:
        case EL_USER:
        case EL_TYPE:
        case EL_LISTEN:
        case EL_PIDFILE:
        case EL_AUTH:
        case EL_SERVICEDIR:
        case EL_SERVICEHELPER:
        case EL_INCLUDEDIR:
        case EL_LIMIT:
                return true;
        default:
                return false;
        }
}

/* text seen before a child element starts: only whitespace is allowed */
static bool content_pending(FileParser *p)
{
        if (p->n_content == 0)
                return true;
        if (!all_space(p->content, p->n_content)) {
                const Element *e = p->n_stack ? &p->stack[p->n_stack - 1] : NULL;

                if (!e)
                        fail(p, CONFIG_E_INVALID, "Text content outside of any XML element in configuration file");
                else
                        fail(p, CONFIG_E_INVALID,
                             "No text content expected inside XML element %s in configuration file",
                             element_names[e->type]);
                return false;
        }
        p->n_content = 0;
        return true;
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
        FileParser *p = data;
        Element *e;
        size_t a = 0, b = p->n_content;

        if (p->r || p->n_stack == 0)
                return;
        e = &p->stack[p->n_stack - 1];
        if (element_wants_content(e->type)) {
                while (a < b && strchr(" \t\r\n", p->content[a]))
                        a++;
                while (b > a && strchr(" \t\r\n", p->content[b - 1]))
                        b--;
                if (a == b) {
                        fail(p, CONFIG_E_INVALID, "XML element <%s> was expected to have content inside it",
                             element_names[e->type]);
                } else {
                        p->content[b] = '\0';
                        if (memchr(p->content + a, '\0', b - a))
                                fail(p, CONFIG_E_INVALID, "NUL byte in the content of <%s>",
                                     element_names[e->type]);
                        else
                                element_content(p, e, p->content + a);
                }
                p->n_content = 0;
        } else if (!content_pending(p)) {
                return;
        }
        free(e->limit_name);
        p->n_stack--;
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
        FileParser *p = data;

        if (p->r || len <= 0)
                return;
        if (p->n_content + (size_t)len + 1 > p->cap_content) {
                size_t cap = MAX(p->cap_content * 2, p->n_content + (size_t)len + 1);
                char *c = realloc(p->content, cap);

                if (!c) {
                        fail_code(p, -ENOMEM, NULL);
                        return;
                }
                p->content = c;
                p->cap_content = cap;
        }
        memcpy(p->content + p->n_content, s, (size_t)len);
        p->n_content += (size_t)len;
}

static void XMLCALL on_entity_decl(void *data, const XML_Char *name, int is_param, const XML_Char *value,
                                   int value_len, const XML_Char *base, const XML_Char *system_id,
                                   const XML_Char *public_id, const XML_Char *notation)
{
        fail(data, CONFIG_E_INVALID, "Entity declarations are not allowed (<!ENTITY %s>)", name);
}

static int XMLCALL on_external_entity(XML_Parser xml, const XML_Char *context, const XML_Char *base,
                                      const XML_Char *system_id, const XML_Char *public_id)
{
        return XML_STATUS_ERROR; /* never load anything */
}

static void file_parser_done(FileParser *p)
{
        for (size_t i = 0; i < p->n_stack; i++)
                free(p->stack[i].limit_name);
        p->n_stack = 0;
        free(p->content);
        free(p->error);
        if (p->xml)
                p->loader->xml.ParserFree(p->xml);
        bus_config_free(p->config);
}

/* @parent: the including file's configuration (NULL at top level): an
 * included file starts from its limits and AppArmor mode, as in dbus-daemon */
static int load_data(Loader *l, const char *data, size_t size, const char *name, const char *basedir,
                     const BusConfig *parent, BusConfig **ret, char **ret_error)
{
        FileParser p = { .loader = l, .file = name, .basedir = basedir, .toplevel = !parent };
        const XmlLib *x = &l->xml;
        bool toplevel = !parent;
        int r;

        r = bus_config_new_empty(&p.config);
        if (r < 0)
                return r;
        if (parent) {
                p.config->limits = parent->limits;
                p.config->apparmor = parent->apparmor;
        }
        r = policy_intern_file(p.config->policy, name, &p.file_interned);
        if (r < 0) {
                file_parser_done(&p);
                return r;
        }
        p.xml = x->ParserCreate("UTF-8");
        if (!p.xml) {
                file_parser_done(&p);
                return error_origin(-ENOMEM);
        }
        x->SetUserData(p.xml, &p);
        x->SetParamEntityParsing(p.xml, XML_PARAM_ENTITY_PARSING_NEVER);
        x->SetExternalEntityRefHandler(p.xml, on_external_entity);
        x->SetEntityDeclHandler(p.xml, on_entity_decl);
        x->SetElementHandler(p.xml, on_start, on_end);
        x->SetCharacterDataHandler(p.xml, on_text);
        if (size > BUS_CONFIG_MAX_FILE_SIZE)
                fail(&p, CONFIG_E_INVALID, "File is larger than %u bytes", BUS_CONFIG_MAX_FILE_SIZE);
        else if (x->Parse(p.xml, data, (int)size, XML_TRUE) == XML_STATUS_ERROR && !p.r) {
                if (x->GetErrorCode(p.xml) == XML_ERROR_NO_MEMORY)
                        fail_code(&p, -ENOMEM, NULL);
                else
                        fail(&p, CONFIG_E_INVALID, "column %lu: %s",
                             (unsigned long)x->GetCurrentColumnNumber(p.xml),
                             x->ErrorString(x->GetErrorCode(p.xml)));
        }
        if (!p.r && p.n_stack > 0)
                fail(&p, CONFIG_E_INVALID, "Element <%s> was not closed in configuration file",
                     element_names[p.stack[p.n_stack - 1].type]);
        if (!p.r && toplevel && !p.config->listen[0]) {
                x->ParserFree(TAKE_PTR(p.xml));
                fail(&p, CONFIG_E_INVALID, "Configuration file needs one or more <listen> elements giving addresses");
        }
        r = p.r;
        if (r == 0)
                *ret = TAKE_PTR(p.config);
        else if (ret_error)
                *ret_error = TAKE_PTR(p.error);
        file_parser_done(&p);
        return r;
}

/* read a whole file, bounded; -ENOENT when missing */
static int read_file(const char *path, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, cap = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t k;

                if (n == cap) {
                        char *b;

                        if (cap > BUS_CONFIG_MAX_FILE_SIZE)
                                return -EFBIG;
                        cap = cap ? cap * 2 : 16384;
                        b = realloc(buf, cap);
                        if (!b)
                                return error_origin(-ENOMEM);
                        buf = b;
                }
                k = read(fd, buf + n, cap - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t)k;
        }
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

static int load_file(Loader *l, const char *path, const BusConfig *parent, BusConfig **ret,
                     char **ret_error)
{
        _cleanup_free_ char *data = NULL, *dir = NULL;
        size_t size = 0;
        char *slash;
        int r;

        if (++l->n_files > MAX_FILES) {
                if (ret_error && asprintf(ret_error, "%s: more than %d configuration files", path, MAX_FILES) < 0)
                        *ret_error = NULL;
                return CONFIG_E_INVALID;
        }
        r = read_file(path, &data, &size);
        if (r < 0 && r != -ENOMEM) {
                if (ret_error && asprintf(ret_error, "Failed to open \"%s\": %s", path,
                                          r == -EFBIG ? "file too large" : strerror(-r)) < 0)
                        *ret_error = NULL;
                return r == -ENOENT ? -ENOENT : CONFIG_E_INVALID;
        }
        if (r < 0)
                return r;
        dir = strdup(path);
        if (!dir)
                return error_origin(-ENOMEM);
        slash = strrchr(dir, '/');
        if (slash == dir)
                dir[1] = '\0';
        else if (slash)
                *slash = '\0';
        else
                strcpy(dir, ".");
        l->chain[l->depth++] = path;
        r = load_data(l, data, size, path, dir, parent, ret, ret_error);
        l->depth--;
        return r;
}

/**
 * bus_config_load() - read and compile a configuration file. See config.h.
 * @path: the file.
 * @flags: BUS_CONFIG_* flags.
 * @ret: the configuration.
 * @ret_error: optional message on failure.
 *
 * Return: 0, CONFIG_E_INVALID, -ELIBACC (libexpat cannot be loaded) or -ENOMEM.
 */
int bus_config_load(const char *path, unsigned flags, BusConfig **ret, char **ret_error)
{
        Loader l = { .flags = flags };
        int r;

        r = xml_lib_open(&l.xml, XML_LIB_SONAME, ret_error);
        if (r < 0)
                return r;
        r = load_file(&l, path, NULL, ret, ret_error);
        xml_lib_close(&l.xml);
        return r == -ENOENT ? CONFIG_E_INVALID : r;
}

/**
 * bus_config_load_from_buffer() - the same from memory. See config.h.
 * @data: the XML.
 * @size: its length.
 * @name: name for messages.
 * @basedir: directory for relative includes, or NULL.
 * @flags: BUS_CONFIG_* flags.
 * @ret: the configuration.
 * @ret_error: optional message on failure.
 *
 * Return: 0, CONFIG_E_INVALID, -ELIBACC (libexpat cannot be loaded) or -ENOMEM.
 */
int bus_config_load_from_buffer(const void *data, size_t size, const char *name, const char *basedir,
                                unsigned flags, BusConfig **ret, char **ret_error)
{
        Loader l = { .flags = flags };
        int r;

        if (size > INT_MAX)
                size = (size_t)BUS_CONFIG_MAX_FILE_SIZE + 1;
        r = xml_lib_open(&l.xml, XML_LIB_SONAME, ret_error);
        if (r < 0)
                return r;
        l.chain[l.depth++] = name;
        r = load_data(&l, data, size, name, basedir, NULL, ret, ret_error);
        xml_lib_close(&l.xml);
        return r == -ENOENT ? CONFIG_E_INVALID : r;
}
