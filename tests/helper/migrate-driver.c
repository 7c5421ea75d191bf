/*
 * migrate-driver.c -- runs src/launcher/migrate.c's migrate_run_path() for
 * (or, with --incoming, migrate_incoming_path()) for the black-box test
 * test-launcher-migrate.py, the way `bulkhead migrate` / `bulkhead run
 * --incoming` will: migrate-driver [--incoming] QMP_PATH BUS_ADDRESS URI [ID...].
 *
 * Exit: 0 success, 1 an expected failure (MIGRATE_E_*), 2 an error (-errno).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "launcher/migrate.h"

int main(int argc, char **argv)
{
        Log log = LOG_INIT("bulkhead");
        MigrateOptions o = {};
        char *error = NULL;
        bool incoming = false;
        int r;

        if (argc > 1 && !strcmp(argv[1], "--incoming")) {
                incoming = true;
                argc--;
                argv++;
        }
        if (argc < 4) {
                fprintf(stderr, "usage: migrate-driver [--incoming] QMP_PATH BUS_ADDRESS URI [ID...]\n");
                return 2;
        }
        o.bus_address = argv[2];
        o.uri = argv[3];
        o.vmstate_ids = argv + 4;
        o.timeout_ms = 60000;
        o.resume_on_failure = true;
        r = incoming ? migrate_incoming_path(argv[1], &o, &log, &error)
                     : migrate_run_path(argv[1], &o, &log, &error);
        printf("result %d: %s\n", r, error ?: "ok");
        free(error);
        return r == 0 ? 0 : r > 0 ? 1 : 2;
}
