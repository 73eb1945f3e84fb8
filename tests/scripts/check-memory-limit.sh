#!/usr/bin/env bash
# Running out of memory (README "Exit status", docs/hardening.md): under an
# address-space limit (`ulimit -v`) too small for the capture, sockscope
# stops with one line on standard error and exit status 6, and leaves no
# temporary report behind; under one large enough it writes the same report
# as without a limit.  Never a signal: before, glib's allocation failure
# raised SIGTRAP (status 133), and its error path could recurse until
# SIGSEGV (139) when a thread's malloc arena could not be reserved.
#
# The capture comes from bench/gen-capture.  Sanitizer builds reserve
# terabytes of shadow address space: they cannot run under `ulimit -v`, so
# the script skips (77) there.
#
# Usage: check-memory-limit.sh SOCKSCOPE GEN-CAPTURE
# Prints "ok NAME" or "FAIL NAME: why" per check; exits 1 when any failed.
set -u
exe=${1:?usage: check-memory-limit.sh SOCKSCOPE GEN-CAPTURE}
gen=${2:?usage: check-memory-limit.sh SOCKSCOPE GEN-CAPTURE}
if grep -qa -e __asan_init -e __tsan_init -e __msan_init "$exe"; then
	echo "SKIP: $exe is built with a sanitizer (no ulimit -v under its shadow memory)"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

cap=$tmp/cap.pcap
if ! "$gen" --packets 200000 --concurrent 20000 --seed 5 -o "$cap" 2>"$tmp/gen.err" >/dev/null; then
	echo "FAIL: gen-capture: $(cat "$tmp/gen.err")"
	exit 1
fi

# Limits in KiB, the first too small for this capture (about 150 MB of
# address space with threads), the last ample; between them each run may
# go either way, but only one of the two ways.
limits="20000 40000 60000 80000 100000 120000 140000 160000 200000 300000 800000"

# One run per limit and format: "jsonl" streams on threads, "json" keeps
# every record, "single" streams on one thread.
for form in jsonl json single; do
	args=(-F "$form")
	[ "$form" = single ] && args=(-F jsonl --single-thread)
	mkdir -p "$tmp/$form"
	ref=$tmp/$form/ref
	if ! "$exe" -r "$cap" "${args[@]}" -o "$ref" 2>"$tmp/$form/ref.err"; then
		fail "$form-unlimited" "exit $? without a limit: $(head -c 300 "$tmp/$form/ref.err")"
		continue
	fi
	stopped=0 passed_at=
	for kib in $limits; do
		out=$tmp/$form/out
		rm -f "$out"
		( ulimit -v "$kib" && exec "$exe" -r "$cap" "${args[@]}" -o "$out" ) \
			>/dev/null 2>"$tmp/$form/err"
		rc=$?
		name="$form-ulimit-$kib"
		lines=$(wc -l < "$tmp/$form/err")
		left=$(find "$tmp/$form" -name '.out.*' | wc -l)
		if [ "$rc" = 0 ]; then
			if cmp -s "$out" "$ref"; then
				ok "$name: the same report as without a limit"
				passed_at=${passed_at:-$kib}
			else
				fail "$name" "exit 0 but the report differs from the unlimited run's"
			fi
		elif [ "$rc" = 6 ]; then
			stopped=$((stopped + 1))
			if [ "$lines" != 1 ] || ! grep -q '^sockscope: stopped: .*ulimit -v, is '"$kib"' KiB)$' "$tmp/$form/err"; then
				fail "$name" "exit 6 without the one line: $(head -c 300 "$tmp/$form/err")"
			elif [ -e "$out" ] || [ "$left" != 0 ]; then
				fail "$name" "exit 6 but a report or a temporary file was left behind"
			else
				ok "$name: stopped with one line: $(head -c 120 "$tmp/$form/err")"
			fi
		else
			fail "$name" "exit status $rc (a signal above 128): $(head -c 300 "$tmp/$form/err")"
		fi
	done
	# Neither way may be vacuous: the smallest limit stops, the largest passes.
	if [ "$stopped" = 0 ]; then
		fail "$form-stops" "no limit stopped the run: the sweep does not reach the error path"
	fi
	if [ -z "$passed_at" ]; then
		fail "$form-passes" "no limit let the run finish"
	fi
done

echo "memory-limit: $passed passed, $failed failed"
[ "$failed" = 0 ]
