#!/usr/bin/env bash
# Same bytes out: runs two sockscope builds on the same captures in several
# formats and compares the outputs with cmp.  For performance work that must
# not change a byte (docs/performance.md): the goldens cover small real
# captures, this covers the bench captures (flow cap, evictions, timeouts,
# tuple reuse at scale).
#
#   bench/same-bytes.sh BEFORE AFTER CAPTURE... [-- FORMAT...]
#
# BEFORE and AFTER are sockscope binaries; FORMATs default to jsonl, json and
# csv (each run with -F FORMAT -o FILE; jsonl also with --single-thread,
# which must give the same bytes as the threaded pipeline).  Prints one line
# per capture and format and exits 1 when any output differs.
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
before=$1 after=$2; shift 2
captures=() formats=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do captures+=("$1"); shift; done
[ $# -gt 0 ] && shift
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(jsonl json csv)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for cap in "${captures[@]}"; do
  for fmt in "${formats[@]}"; do
    variants=("")
    [ "$fmt" = jsonl ] && variants+=(--single-thread)
    for v in "${variants[@]}"; do
      # shellcheck disable=SC2086
      "$before" -r "$cap" -F "$fmt" $v -o "$tmp/before" 2>"$tmp/before.err" || true
      # shellcheck disable=SC2086
      "$after" -r "$cap" -F "$fmt" $v -o "$tmp/after" 2>"$tmp/after.err" || true
      label="$(basename "$cap") -F $fmt${v:+ $v}"
      if cmp -s "$tmp/before" "$tmp/after" && cmp -s "$tmp/before.err" "$tmp/after.err"; then
        printf 'same     %s (%s bytes)\n' "$label" "$(stat -c %s "$tmp/after")"
      else
        printf 'DIFFERS  %s\n' "$label"
        cmp "$tmp/before" "$tmp/after" | head -1 || true
        fail=1
      fi
    done
  done
done
exit $fail
