#!/usr/bin/env bash
# Regenerates tests/golden/ from the current build.  Run it only when an
# output change is intended, then read `git diff tests/golden` before
# committing: the golden files are the output contract.
#
# Usage: scripts/update-golden.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
ninja -C "$build" sockscope
bash "$root/tests/scripts/check-golden.sh" "$build/sockscope" "$root" --update
# sockscope compare's path and drift output (tests/golden/compare), from
# the source root
cd "$root"
bash tests/scripts/check-compare-golden.sh "$build/sockscope" --update
exec python3 tests/scripts/check-drift.py "$build/sockscope" captures/compare \
	--golden tests/golden/compare --update
