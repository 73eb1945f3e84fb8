#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit,
# golden, ground truth, command line, hostile corpus).
#
# Usage: scripts/test.sh [BUILD_DIR]    (default: build, made by setup.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" --test ${SOCKSCOPE_SETUP_ARGS:-}
build=${1:-$root/build}
rc=0
meson test -C "$build" --print-errorlogs || rc=$?
# One closing line that any log reader understands.
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
res = [json.loads(l)["result"] for l in open(sys.argv[1]) if l.strip()]
ok = sum(r in ("OK", "EXPECTEDFAIL") for r in res)
skip = sum(r == "SKIP" for r in res)
print(f"{ok} passed, {len(res) - ok - skip} failed, {skip} skipped")
PY
exit $rc
