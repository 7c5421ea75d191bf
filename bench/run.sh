#!/bin/sh
# bench/run.sh BUILD [bench.py options] -- `make bench`: see bench/README.md.
set -eu
build=$1; shift
exec python3 "$(dirname "$0")/bench.py" --build "$build" "$@"
