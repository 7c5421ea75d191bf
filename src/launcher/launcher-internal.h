/*
 * launcher-internal.h -- what launcher.c (the supervisor) and control.c (the
 * commands from another shell) share. Not for use outside src/launcher.
 */
#pragma once

#include "launcher/launcher.h"
#include "util/log.h"

long long launcher_now_ms(void);
void launcher_sleep_ms(long ms);
int launcher_vm_dir(const char *vm, char **ret_base, char **ret_dir);
int launcher_take_lock(const char *dir);
void launcher_cleanup_stale(const char *dir, Log *log);
