/*
 * fuzz-vmspec.c -- the VM spec parser on arbitrary bytes, and on whatever it
 * accepts, the identity plan, policy generation and the check rules (none of
 * which may crash or leak on a spec the parser let through).
 */
#include <stdint.h>
#include <stdlib.h>

#include "launcher/check.h"
#include "launcher/plan.h"
#include "launcher/policygen.h"
#include "launcher/vmspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *userdata, CheckSeverity sev, const char *rule, unsigned line, const char *text)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        VmSpec *s = NULL;
        char *err = NULL, *xml = NULL;
        IdentityPlan plan;
        CheckContext ctx = { .privileged = true };

        if (size > 64 * 1024)
                return 0;
        if (vmspec_parse((const char *)data, size, "fuzz.vm", &s, &err) != 0) {
                free(err);
                return 0;
        }
        if (plan_identities(s, true, 0, 0, s->uid_first, &plan) == 0 &&
            policygen_build(s, &plan, BUS_FLAVOUR_BULKHEAD, "unix:path=/x", NULL, &xml, &err) == 0)
                free(xml);
        free(err);
        (void)check_spec(s, &ctx, ignore, NULL);
        vmspec_free(s);
        return 0;
}
