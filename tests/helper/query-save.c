/*
 * query-save.c -- `query-save BUS_ADDRESS NAME`: prints what
 * bh_vmstate_query_save() reads from helper NAME, as "COUNT STATUS ERROR".
 * Used by test-save-faults.py to test that public function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helper/bulkhead-helper.h"

int main(int argc, char **argv)
{
        sd_bus *bus = NULL;
        char *status = NULL, *error = NULL;
        uint32_t count = 0;
        int r;

        if (argc != 3) {
                fprintf(stderr, "usage: query-save BUS_ADDRESS NAME\n");
                return 2;
        }
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = bh_vmstate_query_save(bus, argv[2], &count, &status, &error);
        if (r < 0)
                fprintf(stderr, "query-save: %s\n", strerror(-r));
        else
                printf("%u %s %s\n", count, status, error);
        free(status);
        free(error);
        sd_bus_flush_close_unref(bus);
        return r < 0 ? 1 : 0;
}
