/*
 * cmd-display.h -- `bulkhead screenshot` and `bulkhead watch`.
 */
#pragma once

/*
 * Resolves a VM name to its bus address (malloc'd into *ret_address), so this
 * file need not know the launcher's runtime-dir layout. Returns 0 or -errno.
 */
typedef int (*VmAddressResolver)(const char *vm, char **ret_address);

int cmd_screenshot(int argc, char **argv, VmAddressResolver resolve);
int cmd_watch(int argc, char **argv, VmAddressResolver resolve);
