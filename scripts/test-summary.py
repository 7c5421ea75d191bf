#!/usr/bin/env python3
"""Sum meson's test logs of several build dirs into one closing line:
"N passed, N failed, N skipped". Exit 1 if anything failed or nothing ran."""
import json
import os
import sys

passed = failed = skipped = 0
for d in sys.argv[1:]:
    log = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        print(f"{d}: no test log (build failed?)")
        failed += 1
        continue
    with open(log) as f:
        for line in f:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
