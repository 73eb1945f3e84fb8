#!/usr/bin/env bash
# Path mode of `sockscope compare` in every compare format against
# tests/golden/compare/path-NAME.FORMAT, on committed pairs of the test bed
# (captures/compare: real stacks in namespaces, tests/scripts/make-compare.sh):
# filter (SYNs dropped, resets injected, a segment rejected mid-connection)
# and snat-dnat (both translations at once), B's clock shifted for filter.
# Run from the source root so the file names in the output are stable.
#
# Usage: check-compare-golden.sh SOCKSCOPE [--update]
# Exit 0 all equal (or updated), 1 a difference (its diff printed).
set -euo pipefail
exe=$1
update=${2:-}
golden=tests/golden/compare
pairs=(
  "filter|captures/compare/compare-filter-a.pcap|captures/compare/compare-filter-shift-b.pcap"
  "snat-dnat|captures/compare/compare-snat-dnat-a.pcap|captures/compare/compare-snat-dnat-b.pcap"
)
formats="text:txt jsonl:jsonl json:json csv:csv markdown:md html:html"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for p in "${pairs[@]}"; do
  IFS='|' read -r name a b <<<"$p"
  for f in $formats; do
    fmt=${f%%:*} suf=${f#*:}
    want=$golden/path-$name.$suf
    rc=0
    "$exe" compare --mode path -F "$fmt" "$a" "$b" > "$tmp/out" || rc=$?
    if [ $rc -ne 0 ]; then
      echo "FAIL path-$name -F $fmt: exit $rc"
      fail=1
      continue
    fi
    if [ "$update" = --update ]; then
      mkdir -p "$golden"
      cp "$tmp/out" "$want"
    elif ! diff -u "$want" "$tmp/out" > "$tmp/diff"; then
      echo "FAIL path-$name -F $fmt differs from $want:"
      head -40 "$tmp/diff"
      fail=1
    else
      echo "ok   path-$name -F $fmt"
    fi
  done
done
exit $fail
