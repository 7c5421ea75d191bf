#!/bin/sh
# check.sh BUILD SAN_BUILD -- build twice (plain and ASan+UBSan), run every test
# in both, and end with one line "N passed, N failed, N skipped".
set -u
here=$(cd "$(dirname "$0")" && pwd)
plain=$1 san=$2
status=0
for spec in "$plain:" "$san:-Dsanitize=true"; do
  dir=${spec%%:*} opt=${spec#*:}
  echo "== build $dir $opt"
  if ! "$here/build.sh" "$dir" $opt; then
    echo "build of $dir failed"
    status=1
    continue
  fi
  echo "== test $dir"
  meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
done
python3 "$here/test-summary.py" "$plain" "$san" || status=1
exit $status
