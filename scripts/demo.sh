#!/bin/sh
# demo.sh BUILD -- the main job on the example VM (see README).
set -eu
echo "bulkhead demo: nothing to show yet"
