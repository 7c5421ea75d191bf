#!/bin/sh
# build.sh DIR [meson options...] -- configure DIR once, then build it.
set -eu
dir=$1; shift
src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$src" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log" >&2; exit 1; }
  rm -f "$dir.setup.log"
fi
ninja -C "$dir" >/dev/null || ninja -C "$dir"
