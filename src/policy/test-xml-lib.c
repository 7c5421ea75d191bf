/*
 * test-xml-lib.c -- libexpat on demand: the table is filled from the real
 * library, a library that is missing or is not expat gives a clear error,
 * and after a configuration load libexpat is no longer mapped.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"
#include "policy/xml-lib.h"
#include "util/test-count.h"

static bool expat_mapped(void)
{
        void *h = dlopen(XML_LIB_SONAME, RTLD_NOW | RTLD_NOLOAD);

        if (!h)
                return false;
        dlclose(h);
        return true;
}

static void test_open_close(void)
{
        XmlLib x;
        char *error = NULL;
        int r;

        r = xml_lib_open(&x, XML_LIB_SONAME, &error);
        CHECK(r == 0, "open %s: %d %s", XML_LIB_SONAME, r, error ? error : "");
        if (r == 0) {
                XML_Parser p;

                CHECK(x.handle && x.ParserCreate && x.ErrorString, "table not filled");
                CHECK(expat_mapped(), "libexpat not mapped while open");
                p = x.ParserCreate("UTF-8");
                CHECK(p, "no parser");
                if (p) {
                        CHECK(x.Parse(p, "<a/>", 4, XML_TRUE) == XML_STATUS_OK, "parse");
                        x.ParserFree(p);
                }
                CHECK(!strcmp(x.ErrorString(XML_ERROR_SYNTAX), "syntax error"), "error string");
        }
        xml_lib_close(&x);
        CHECK(!x.handle && !x.Parse, "table not cleared");
        CHECK(!expat_mapped(), "libexpat still mapped after close");
        free(error);
        xml_lib_close(&x); /* twice is fine */
}

static void test_open_failures(void)
{
        XmlLib x;
        char *error = NULL;
        int r;

        r = xml_lib_open(&x, "libbulkhead-no-such-library.so.0", &error);
        CHECK(r == -ELIBACC, "missing library: %d", r);
        CHECK(error && strstr(error, "failed to load libbulkhead-no-such-library.so.0: "),
              "message: %s", error ? error : "(null)");
        CHECK(!x.handle && !x.ParserCreate, "table not cleared");
        free(error);
        error = NULL;

        /* a library that is there but is not expat */
        r = xml_lib_open(&x, "libc.so.6", &error);
        CHECK(r == -ELIBACC, "not expat: %d", r);
        CHECK(error && strstr(error, "XML_ParserCreate"), "message: %s", error ? error : "(null)");
        CHECK(!x.handle, "table not cleared");
        free(error);

        /* no message asked for */
        CHECK(xml_lib_open(&x, "libbulkhead-no-such-library.so.0", NULL) == -ELIBACC, "no ret_error");
}

static void test_unloaded_after_parse(void)
{
        static const char conf[] = "<busconfig><listen>unix:path=/tmp/x</listen>"
                                   "<policy context=\"default\"><allow own=\"*\"/></policy></busconfig>";
        BusConfig *c = NULL;
        char *error = NULL;
        int r;

        CHECK(!expat_mapped(), "libexpat mapped before the parse");
        r = bus_config_load_from_buffer(conf, sizeof(conf) - 1, "t.conf", NULL, 0, &c, &error);
        CHECK(r == 0 && c, "load: %d %s", r, error ? error : "");
        CHECK(!expat_mapped(), "libexpat still mapped after bus_config_load_from_buffer()");
        bus_config_free(c);
        free(error);
        error = NULL;

        /* an XML error: its text comes from libexpat and must outlive it */
        r = bus_config_load_from_buffer("<busconfig>", 11, "bad.conf", NULL, 0, &c, &error);
        CHECK(r == CONFIG_E_INVALID, "bad xml: %d", r);
        CHECK(error && strstr(error, "bad.conf") && strstr(error, "no element found"), "message: %s",
              error ? error : "(null)");
        CHECK(!expat_mapped(), "libexpat still mapped after a failed parse");
        free(error);
}

int main(void)
{
        test_open_close();
        test_open_failures();
        test_unloaded_after_parse();
        return test_exit();
}
