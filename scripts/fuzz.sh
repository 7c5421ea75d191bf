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
for f in "$dir"/fuzz/fuzz-*; do
  [ -x "$f" ] || continue
  name=${f##*/fuzz-}
  mkdir -p "$dir/corpus/$name"
  echo "== fuzz $name for ${secs}s"
  "$f" -max_total_time="$secs" -artifact_prefix="$dir/crashes/$name-" \
       -print_final_stats=1 "$dir/corpus/$name" "$src/fuzz/corpus/$name" 2>&1 | tail -n 12
done
