/*
 * xml-lib.c -- libexpat on demand: dlopen() it for one configuration load
 * (the file and all it includes) and dlclose() it afterwards. The bus parses
 * its configuration only at start-up and on reload, and keeping libexpat
 * mapped the rest of the time costs ~180 kB of PSS, more than anything else
 * the idle bus holds.
 *
 * Only the headers of expat are used at build time; the types of the table
 * come from them, so a mismatch is a compile error, not a crash.
 *
 * Must never: load anything but the library it is asked for, or log.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/xml-lib.h"
#include "util/error.h"
#include "util/macro.h"

static const struct {
        const char *name;
        size_t offset;
} xml_symbols[] = {
#define SYM(f) { "XML_" #f, offsetof(XmlLib, f) }
        SYM(ParserCreate),
        SYM(ParserFree),
        SYM(SetUserData),
        SYM(SetParamEntityParsing),
        SYM(SetExternalEntityRefHandler),
        SYM(SetEntityDeclHandler),
        SYM(SetElementHandler),
        SYM(SetCharacterDataHandler),
        SYM(Parse),
        SYM(StopParser),
        SYM(GetCurrentLineNumber),
        SYM(GetCurrentColumnNumber),
        SYM(GetErrorCode),
        SYM(ErrorString),
#undef SYM
};

/* @why is dlerror()'s text: format it before dlclose() frees it */
static int open_failed(XmlLib *x, const char *soname, const char *why, char **ret_error)
{
        int r = -ELIBACC;

        if (ret_error &&
            asprintf(ret_error, "Cannot parse the configuration: failed to load %s: %s", soname,
                     why ? why : "unknown error") < 0) {
                *ret_error = NULL;
                r = error_origin(-ENOMEM);
        }
        xml_lib_close(x);
        return r;
}

/**
 * xml_lib_open() - load libexpat and resolve its functions. See xml-lib.h.
 * @x: the table to fill (any contents).
 * @soname: the library, normally XML_LIB_SONAME.
 * @ret_error: optional message on failure.
 *
 * Return: 0, -ELIBACC or -ENOMEM.
 */
int xml_lib_open(XmlLib *x, const char *soname, char **ret_error)
{
        *x = (XmlLib){ 0 };
        /* RTLD_LOCAL: expat's symbols stay out of the global scope, so they
         * can bind nothing else in the process */
        x->handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!x->handle)
                return open_failed(x, soname, dlerror(), ret_error);
        for (size_t i = 0; i < ELEMENTSOF(xml_symbols); i++) {
                void *f = dlsym(x->handle, xml_symbols[i].name);

                if (!f)
                        return open_failed(x, soname, dlerror(), ret_error);
                /* POSIX guarantees a function pointer survives the round trip
                 * through void * (that is how dlsym() is meant to be used) */
                memcpy((char *)x + xml_symbols[i].offset, &f, sizeof(f));
        }
        return 0;
}

/** xml_lib_close() - unload the library. See xml-lib.h. @x: the table. */
void xml_lib_close(XmlLib *x)
{
        if (x->handle)
                dlclose(x->handle);
        *x = (XmlLib){ 0 };
}
