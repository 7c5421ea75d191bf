#!/bin/sh
# fuzz.sh DIR SECONDS -- build fuzz/ with clang+libFuzzer and run every target
# for SECONDS on a copy of its corpus. New crashes land in DIR/crashes/.
set -eu
dir=$1 secs=$2
src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$dir/build.ninja" ]; then
  # b_lundef=false: clang links no sanitizer runtime into shared libraries
  CC=clang meson setup "$dir" "$src" -Dfuzzing=true -Dwerror=true -Db_lundef=false >/dev/null
fi
ninja -C "$dir"
mkdir -p "$dir/crashes"
failed=""
for f in "$dir"/fuzz/fuzz-*; do
  [ -f "$f" ] && [ -x "$f" ] || continue  # not the fuzz-NAME.p object dirs
  name=${f##*/fuzz-}
  mkdir -p "$dir/corpus/$name"
  echo "== fuzz $name for ${secs}s"
  # the whole log stays in $dir/NAME.log; a crash, leak or UB report ends the run nonzero
  if "$f" -max_total_time="$secs" -artifact_prefix="$dir/crashes/$name-" \
       -print_final_stats=1 "$dir/corpus/$name" "$src/fuzz/corpus/$name" >"$dir/$name.log" 2>&1; then
    tail -n 7 "$dir/$name.log"
  else
    tail -n 40 "$dir/$name.log"
    failed="$failed $name"
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz: FAILED:$failed (inputs in $dir/crashes/, logs in $dir/NAME.log)" >&2
  exit 1
fi
echo "fuzz: no failures"
