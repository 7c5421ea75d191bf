/*
 * xml-lib.h -- libexpat, loaded with dlopen() only while a configuration is
 * parsed (start-up and each reload), so that an idle bus does not keep its
 * ~180 kB mapped. The functions the parser calls are resolved into a table.
 *
 * Must never: be included from outside src/policy.
 */
#pragma once

#include <expat.h>

/* the soname the parser loads (libexpat1 on Debian) */
#define XML_LIB_SONAME "libexpat.so.1"

/*
 * XmlLib - the loaded library and the functions the parser uses, typed from
 * expat.h. All NULL before xml_lib_open() and after xml_lib_close().
 */
typedef struct XmlLib {
        void *handle;
        __typeof__(XML_ParserCreate) *ParserCreate;
        __typeof__(XML_ParserFree) *ParserFree;
        __typeof__(XML_SetUserData) *SetUserData;
        __typeof__(XML_SetParamEntityParsing) *SetParamEntityParsing;
        __typeof__(XML_SetExternalEntityRefHandler) *SetExternalEntityRefHandler;
        __typeof__(XML_SetEntityDeclHandler) *SetEntityDeclHandler;
        __typeof__(XML_SetElementHandler) *SetElementHandler;
        __typeof__(XML_SetCharacterDataHandler) *SetCharacterDataHandler;
        __typeof__(XML_Parse) *Parse;
        __typeof__(XML_StopParser) *StopParser;
        __typeof__(XML_GetCurrentLineNumber) *GetCurrentLineNumber;
        __typeof__(XML_GetCurrentColumnNumber) *GetCurrentColumnNumber;
        __typeof__(XML_GetErrorCode) *GetErrorCode;
        __typeof__(XML_ErrorString) *ErrorString;
} XmlLib;

/*
 * xml_lib_open() - dlopen() @soname (normally XML_LIB_SONAME) and resolve
 * every function of XmlLib into *@x.
 * @ret_error (optional): on failure a malloc'd message naming the library and
 * what the dynamic loader said.
 * Returns 0, -ELIBACC (not found, or a function missing) or -ENOMEM. On
 * failure *@x is left all NULL.
 */
int xml_lib_open(XmlLib *x, const char *soname, char **ret_error);

/* xml_lib_close() - dlclose() the library; *@x becomes all NULL. Any state. */
void xml_lib_close(XmlLib *x);
