#!/usr/bin/env bash
# Before/after timing on a shared machine: runs the floor and two or more
# sockscope builds on one capture, alternating (floor, A, B, floor, A, B...)
# for N rounds, and prints medians of wall time, CPU time (user + system)
# and peak RSS, with each build's ratios to the floor of the same run.
# Alternating keeps a change in the machine's load from landing on one
# build only; CPU time is less skewed by other work than wall time
# (docs/performance.md).
#
#   bench/ab.sh [--rounds N] [--floor FLOOR] CAPTURE BIN... [-- ARGS...]
#
# Each BIN runs as `BIN -r CAPTURE ARGS` (default ARGS: -F jsonl -o /dev/null).
set -euo pipefail

rounds=5 floor=
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --floor) floor=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
cap=$1; shift
bins=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do bins+=("$1"); shift; done
[ $# -gt 0 ] && shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(-F jsonl -o /dev/null)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$cap" > /dev/null
run() {   # run LABEL CMD...: appends "label wall_s cpu_s rss_kb"
  local label=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" ||
    { echo "ab.sh: $label failed: $(head -2 "$tmp/err")" >&2; exit 1; }
  awk -v l="$label" '{ printf "%s %s %.3f %s\n", l, $1, $2 + $3, $4 }' "$tmp/t" >> "$tmp/all"
}
: > "$tmp/all"
for ((r = 0; r < rounds; r++)); do
  [ -n "$floor" ] && run floor "$floor" "$cap"
  for i in "${!bins[@]}"; do run "bin$i" "${bins[$i]}" -r "$cap" "${args[@]}"; done
done
med() { awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$tmp/all" | sort -n |
        awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
fw= fc=
if [ -n "$floor" ]; then fw=$(med floor 2); fc=$(med floor 3); fi
printf '%s, %d rounds alternating, load %s\n' "$(basename "$cap")" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| build | wall s | CPU s | peak RSS MB | x floor (wall) | x floor (CPU) |\n| --- | ---: | ---: | ---: | ---: | ---: |\n'
[ -n "$floor" ] && printf '| floor | %s | %s | %.1f | 1.00 | 1.00 |\n' "$fw" "$fc" "$(awk '$1 == "floor" { if ($4 > m) m = $4 } END { print m / 1024 }' "$tmp/all")"
for i in "${!bins[@]}"; do
  w=$(med "bin$i" 2) c=$(med "bin$i" 3)
  rss=$(awk -v l="bin$i" '$1 == l { if ($4 > m) m = $4 } END { print m / 1024 }' "$tmp/all")
  if [ -n "$floor" ]; then
    printf '| %s | %s | %s | %.1f | %.2f | %.2f |\n' "${bins[$i]}" "$w" "$c" "$rss" \
      "$(echo "$w $fw" | awk '{ print $1 / $2 }')" "$(echo "$c $fc" | awk '{ print $1 / ($2 > 0 ? $2 : 0.01) }')"
  else
    printf '| %s | %s | %s | %.1f | | |\n' "${bins[$i]}" "$w" "$c" "$rss"
  fi
done
