/*
 * writer.c -- PolicyDoc: build a dbus-daemon configuration and write it as
 * XML text (see writer.h). Text is assembled in an open_memstream buffer.
 *
 * Must never: do I/O beyond that memory stream, or reorder rules within a
 * context (order is meaning: the last matching rule wins).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/writer.h"
#include "util/error.h"

#define MAX_ATTRS 8

typedef struct WriterRule {
        bool allow;
        char *comment;
        char *names[MAX_ATTRS];
        char *values[MAX_ATTRS];
        size_t n_attrs;
} WriterRule;

typedef struct WriterContext {
        PolicyContextKind kind;
        char *value;
        WriterRule *rules;
        size_t n_rules;
} WriterContext;

typedef struct WriterElement {
        char *element; /* NULL: a header comment in text */
        char *text;
} WriterElement;

struct PolicyDoc {
        WriterElement *elements;
        size_t n_elements;
        WriterContext *contexts;
        size_t n_contexts;
};

/** policy_doc_new() - an empty document. Returns 0 or -ENOMEM. */
int policy_doc_new(PolicyDoc **ret)
{
        PolicyDoc *d = calloc(1, sizeof(*d));

        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

static void rule_clear(WriterRule *r)
{
        free(r->comment);
        for (size_t i = 0; i < r->n_attrs; i++) {
                free(r->names[i]);
                free(r->values[i]);
        }
}

/** policy_doc_free() - free @d (NULL is fine). Returns NULL. */
PolicyDoc *policy_doc_free(PolicyDoc *d)
{
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_elements; i++) {
                free(d->elements[i].element);
                free(d->elements[i].text);
        }
        free(d->elements);
        for (size_t i = 0; i < d->n_contexts; i++) {
                for (size_t j = 0; j < d->contexts[i].n_rules; j++)
                        rule_clear(&d->contexts[i].rules[j]);
                free(d->contexts[i].rules);
                free(d->contexts[i].value);
        }
        free(d->contexts);
        free(d);
        return NULL;
}

static int doc_push_element(PolicyDoc *d, const char *element, const char *text)
{
        WriterElement *n = realloc(d->elements, (d->n_elements + 1) * sizeof(*n));
        char *e = NULL, *t;

        if (!n)
                return -ENOMEM;
        d->elements = n;
        t = strdup(text);
        if (element)
                e = strdup(element);
        if (!t || (element && !e)) {
                free(t);
                free(e);
                return -ENOMEM;
        }
        d->elements[d->n_elements++] = (WriterElement){ .element = e, .text = t };
        return 0;
}

/** policy_doc_add_header_comment() - a comment at the top of the document. */
int policy_doc_add_header_comment(PolicyDoc *d, const char *text)
{
        return doc_push_element(d, NULL, text);
}

static bool xml_name_is_valid(const char *s)
{
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
                        return false;
        return true;
}

/** policy_doc_add_element() - <ELEMENT>TEXT</ELEMENT>. Returns 0, -EINVAL, -ENOMEM. */
int policy_doc_add_element(PolicyDoc *d, const char *element, const char *text)
{
        if (!xml_name_is_valid(element) || !text)
                return -EINVAL;
        return doc_push_element(d, element, text);
}

/** policy_doc_add_limit() - <limit name="NAME">VALUE</limit>. */
int policy_doc_add_limit(PolicyDoc *d, const char *name, unsigned long long value)
{
        char *text = NULL;
        int r;

        if (!xml_name_is_valid(name))
                return -EINVAL;
        if (asprintf(&text, "%s\n%llu", name, value) < 0)
                return -ENOMEM;
        r = doc_push_element(d, "limit", text);
        free(text);
        return r;
}

static WriterContext *doc_context(PolicyDoc *d, PolicyContextKind kind, const char *value)
{
        WriterContext *n;
        bool valued = kind == POLICY_CONTEXT_USER || kind == POLICY_CONTEXT_GROUP;

        for (size_t i = 0; i < d->n_contexts; i++)
                if (d->contexts[i].kind == kind && (!valued || !strcmp(d->contexts[i].value, value)))
                        return &d->contexts[i];
        n = realloc(d->contexts, (d->n_contexts + 1) * sizeof(*n));
        if (!n)
                return NULL;
        d->contexts = n;
        n = &d->contexts[d->n_contexts];
        *n = (WriterContext){ .kind = kind };
        if (valued) {
                n->value = strdup(value);
                if (!n->value)
                        return NULL;
        }
        d->n_contexts++;
        return n;
}

/** policy_doc_add_rule() - see writer.h. */
int policy_doc_add_rule(PolicyDoc *d, PolicyContextKind kind, const char *value, bool allow, const char *comment,
                        const PolicyAttr *attrs, size_t n_attrs)
{
        WriterContext *c;
        WriterRule rule = { .allow = allow }, *n;

        if (n_attrs == 0 || n_attrs > MAX_ATTRS)
                return -EINVAL;
        if ((kind == POLICY_CONTEXT_USER || kind == POLICY_CONTEXT_GROUP) && (!value || !*value))
                return -EINVAL;
        for (size_t i = 0; i < n_attrs; i++)
                if (!xml_name_is_valid(attrs[i].name) || !attrs[i].value)
                        return -EINVAL;
        c = doc_context(d, kind, value);
        if (!c)
                return -ENOMEM;
        n = realloc(c->rules, (c->n_rules + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        c->rules = n;
        if (comment && !(rule.comment = strdup(comment)))
                return -ENOMEM;
        for (size_t i = 0; i < n_attrs; i++) {
                rule.names[i] = strdup(attrs[i].name);
                rule.values[i] = strdup(attrs[i].value);
                rule.n_attrs++;
                if (!rule.names[i] || !rule.values[i]) {
                        rule_clear(&rule);
                        return -ENOMEM;
                }
        }
        c->rules[c->n_rules++] = rule;
        return 0;
}

static void put_escaped(FILE *f, const char *s)
{
        for (; *s; s++) {
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '"': fputs("&quot;", f); break;
                case '\'': fputs("&apos;", f); break;
                default: fputc(*s, f);
                }
        }
}

/* "--" may not appear inside an XML comment, nor may one end in "-" */
static void put_comment(FILE *f, const char *indent, const char *s)
{
        fprintf(f, "%s<!-- ", indent);
        for (; *s; s++) {
                if (*s == '-' && (s[1] == '-' || s[1] == 0))
                        fputs("- ", f);
                else
                        fputc(*s, f);
        }
        fputs(" -->\n", f);
}

static void put_context(FILE *f, const WriterContext *c)
{
        switch (c->kind) {
        case POLICY_CONTEXT_DEFAULT: fputs("  <policy context=\"default\">\n", f); break;
        case POLICY_CONTEXT_MANDATORY: fputs("  <policy context=\"mandatory\">\n", f); break;
        case POLICY_CONTEXT_USER:
        case POLICY_CONTEXT_GROUP:
                fprintf(f, "  <policy %s=\"", c->kind == POLICY_CONTEXT_USER ? "user" : "group");
                put_escaped(f, c->value);
                fputs("\">\n", f);
                break;
        }
        for (size_t i = 0; i < c->n_rules; i++) {
                const WriterRule *r = &c->rules[i];

                if (r->comment)
                        put_comment(f, "    ", r->comment);
                fprintf(f, "    <%s", r->allow ? "allow" : "deny");
                for (size_t j = 0; j < r->n_attrs; j++) {
                        fprintf(f, " %s=\"", r->names[j]);
                        put_escaped(f, r->values[j]);
                        fputc('"', f);
                }
                fputs("/>\n", f);
        }
        fputs("  </policy>\n", f);
}

/** policy_doc_write() - see writer.h. */
int policy_doc_write(const PolicyDoc *d, char **ret)
{
        static const PolicyContextKind order[] = { POLICY_CONTEXT_DEFAULT, POLICY_CONTEXT_GROUP,
                                                   POLICY_CONTEXT_USER, POLICY_CONTEXT_MANDATORY };
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fputs("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
              " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig>\n",
              f);
        for (size_t i = 0; i < d->n_elements; i++) {
                const WriterElement *e = &d->elements[i];

                if (!e->element) {
                        put_comment(f, "  ", e->text);
                } else if (!strcmp(e->element, "limit")) {
                        const char *nl = strchr(e->text, '\n');

                        fprintf(f, "  <limit name=\"%.*s\">%s</limit>\n", (int)(nl - e->text), e->text, nl + 1);
                } else {
                        fprintf(f, "  <%s>", e->element);
                        put_escaped(f, e->text);
                        fprintf(f, "</%s>\n", e->element);
                }
        }
        for (size_t k = 0; k < ELEMENTSOF(order); k++)
                for (size_t i = 0; i < d->n_contexts; i++)
                        if (d->contexts[i].kind == order[k])
                                put_context(f, &d->contexts[i]);
        fputs("</busconfig>\n", f);
        if (fclose(f) != 0 || !buf) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
