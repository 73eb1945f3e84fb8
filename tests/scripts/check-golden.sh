#!/usr/bin/env bash
# Golden tests: sockscope's output for every bundled capture must match the
# expected files in tests/golden/ byte for byte.  The expected files change
# only when someone runs scripts/update-golden.sh on purpose and reads the diff.
#
# Usage: check-golden.sh SOCKSCOPE SOURCE_ROOT [--update|--valgrind]
#
# --valgrind runs every case under valgrind memcheck as well: any memory
# error or definite leak fails the case (exit status 99 from valgrind).
set -u
exe=$(realpath "$1")
root=$2
update=${3:-}
cd "$root" || exit 1

wrapper=()
if [ "$update" = "--valgrind" ]; then
	if ! command -v valgrind >/dev/null; then
		echo "SKIP: valgrind is not installed"
		exit 77
	fi
	# GLib keeps some allocations for the life of the process on purpose
	# ("still reachable", "possibly lost"); only definite leaks are errors.
	# SOCKSCOPE_FREE_AT_EXIT: sockscope frees its report before it exits,
	# as it does under valgrind only when built with valgrind.h (app/run.c).
	wrapper=(env SOCKSCOPE_FREE_AT_EXIT=1
		valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite --show-leak-kinds=definite)
fi

# Formats and the file suffix each is kept under.
formats="jsonl:jsonl json:json csv:csv text:txt zeek:zeek zeek-json:zeek.jsonl ecs:ecs.jsonl markdown:md html:html dot:dot"

passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for cap in captures/*.pcap captures/*.pcapng; do
	base=$(basename "$cap")
	for fs in $formats; do
		fmt=${fs%%:*}
		suffix=${fs##*:}
		want="tests/golden/$base.$suffix"
		got="$tmp/out"
		# Exit 1 (damaged or unsupported input) still writes a report.
		"${wrapper[@]}" "$exe" --builtin-services --color=never -F "$fmt" -r "$cap" >"$got" 2>"$tmp/err"
		rc=$?
		if [ "$rc" -gt 1 ]; then
			echo "FAIL $cap ($fmt): exit $rc: $(head -n 20 "$tmp/err")"
			failed=$((failed + 1))
			continue
		fi
		if [ "$update" = "--update" ]; then
			cp "$got" "$want"
			echo "wrote $want"
			passed=$((passed + 1))
		elif [ ! -f "$want" ]; then
			echo "FAIL $cap ($fmt): no expected file $want (run scripts/update-golden.sh)"
			failed=$((failed + 1))
		elif cmp -s "$got" "$want"; then
			passed=$((passed + 1))
		else
			echo "FAIL $cap ($fmt): output differs from $want:"
			diff -u "$want" "$got" | head -n 20
			failed=$((failed + 1))
		fi
	done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
