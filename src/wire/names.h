/*
 * names.h -- grammar of object paths, interface, member, error and bus names
 * (D-Bus specification, "Valid Names"). Pure functions; @s need not be NUL-terminated.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define WIRE_MAX_NAME_LENGTH 255

bool wire_path_is_valid(const char *s, size_t n);
bool wire_interface_is_valid(const char *s, size_t n);
bool wire_member_is_valid(const char *s, size_t n);
bool wire_error_name_is_valid(const char *s, size_t n);
/* unique (":1.42") or well-known ("org.qemu.Helper1") */
bool wire_bus_name_is_valid(const char *s, size_t n);
bool wire_unique_name_is_valid(const char *s, size_t n);
bool wire_well_known_name_is_valid(const char *s, size_t n);

/**
 * wire_string_check() - a D-Bus string value: valid UTF-8, no NUL byte.
 * Return: 0, WIRE_E_EMBEDDED_NUL or WIRE_E_BAD_UTF8.
 */
int wire_string_check(const char *s, size_t n);
