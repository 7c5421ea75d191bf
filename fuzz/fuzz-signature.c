/*
 * fuzz-signature.c -- libFuzzer target for signatures: any bytes go to
 * wire_signature_validate(); an accepted signature must split into complete
 * types with wire_signature_next() exactly, and each type must be accepted by
 * wire_signature_is_single(). Disagreement is our bug, so it aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include "wire/signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *sig = (const char *)data;
        size_t pos = 0, n, count = 0;

        if (wire_signature_validate(sig, size) != 0) {
                if (size > 0 && wire_signature_is_single(sig, size))
                        abort();
                return 0;
        }
        while (pos < size) {
                if (wire_signature_next(sig + pos, size - pos, &n) != 0 || n == 0 || n > size - pos)
                        abort();
                if (!wire_signature_is_single(sig + pos, n))
                        abort();
                if (wire_type_alignment(sig[pos]) == 0)
                        abort();
                pos += n;
                count++;
        }
        if (wire_signature_is_single(sig, size) != (count == 1))
                abort();
        return 0;
}
