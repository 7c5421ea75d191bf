#!/bin/sh
# test-helper-symbols.sh LIB -- the shared library exports bh_* and nothing else.
set -eu
lib=$1
command -v nm >/dev/null || { echo "nm not found"; exit 77; }
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//')
[ -n "$syms" ] || { echo "no exported symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -v '^bh_' || true)
if [ -n "$bad" ]; then
  echo "exported symbols without the bh_ prefix:"; printf '%s\n' "$bad"; exit 1
fi
printf '%s\n' "$syms" | grep -qx bh_vmstate_export || { echo "bh_vmstate_export missing"; exit 1; }
echo "ok: $(printf '%s\n' "$syms" | wc -l) symbols, all bh_*"
