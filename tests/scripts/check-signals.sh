#!/usr/bin/env bash
# Stop signals while reading files (README "Exit status", docs/output.md):
# the first SIGINT/SIGTERM/SIGHUP ends the reading, and the report of the
# packets read so far is written, whole, marked "interrupted", exit 1; a
# second signal ends sockscope at once, leaving no half report behind.
#
# The capture comes from bench/gen-capture.  Reading it through a FIFO that
# this script feeds makes the timing deterministic: sockscope waits for
# more packets while the signal is sent, and stops at the next one.
#
# Usage: check-signals.sh SOCKSCOPE GEN-CAPTURE
# Prints "ok NAME" or "FAIL NAME: why" per check; exits 1 when any failed.
set -u
exe=${1:?usage: check-signals.sh SOCKSCOPE GEN-CAPTURE}
gen=${2:?usage: check-signals.sh SOCKSCOPE GEN-CAPTURE}
if [ -x /usr/bin/python3 ]; then
	python=/usr/bin/python3
elif command -v python3 >/dev/null 2>&1; then
	python=$(command -v python3)
else
	echo "SKIP: python3 not found (needed to read the reports)"
	exit 77
fi

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

cap=$tmp/big.pcap
if ! "$gen" --packets 200000 --concurrent 2000 --seed 9 --rate 2000 -o "$cap" 2>"$tmp/gen.err"; then
	echo "FAIL: gen-capture: $(cat "$tmp/gen.err")"
	exit 1
fi
total_bytes=$(wc -c <"$cap")
half=$((total_bytes / 2))

# start_fifo ARGS...: runs sockscope -r - on a FIFO in the background (pid in
# $pid), with stdout in $tmp/out and stderr in $tmp/err, and feeds it the
# first half of the capture; the FIFO stays open on fd 3.
# $launch, when set, is a command that runs sockscope (an env(1) that sets
# the signal dispositions it starts with).
launch=
start_fifo() {
	rm -f "$tmp/fifo" "$tmp/out" "$tmp/err"
	mkfifo "$tmp/fifo"
	$launch "$exe" "$@" -r - <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	exec 3>"$tmp/fifo"
	head -c "$half" "$cap" >&3
	sleep 0.5   # sockscope reads what the pipe holds, then waits for more
}

# finish_fifo: the rest of the capture (sockscope may be gone: the writer's
# SIGPIPE stays in the subshell), then the end of input; $rc is the status.
finish_fifo() {
	(tail -c +"$((half + 1))" "$cap" >&3) 2>/dev/null
	exec 3>&-
	wait "$pid"
	rc=$?
	pid=
}

# jsonl, json: the summary of a report, as python, or "bad: why".
summary() {
	"$python" - "$1" "$2" <<'EOF'
import json, sys
path, fmt = sys.argv[1], sys.argv[2]
try:
    text = open(path, encoding="utf-8").read()
    if fmt == "jsonl":
        if not text.endswith("\n"):
            raise ValueError("the last line is cut")
        objs = [json.loads(l) for l in text.splitlines()]
        s = objs[-1]
        if s.get("kind") != "summary":
            raise ValueError("the last line is not the summary")
    else:
        s = json.loads(text)["summary"]
    print(json.dumps({"interrupted": s["interrupted"], "packets": s["packets"],
                      "warnings": s["warnings"]}))
except Exception as e:
    print("bad: %s: %s" % (type(e).__name__, e))
EOF
}

# expect_partial NAME FORMAT REPORT: exit 1, a whole report marked
# interrupted with fewer packets than the capture, a warning naming the signal.
expect_partial() {
	local name=$1 fmt=$2 report=$3 sig=$4
	local s
	s=$(summary "$report" "$fmt")
	if [ "$rc" -ne 1 ]; then
		fail "$name" "exit $rc, want 1: $(head -c 300 "$tmp/err" | tr '\n' ';')"
	elif [ "${s#bad}" != "$s" ]; then
		fail "$name" "the report is not whole: $s"
	elif ! "$python" -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(not (s["interrupted"] is True and 0 < s["packets"] < 200000 and any(sys.argv[2] in w for w in s["warnings"])))' "$s" "$sig"; then
		fail "$name" "summary $s: want interrupted true, 0 < packets < 200000, a warning naming $sig"
	elif ! grep -q "^sockscope: warning: .*$sig" "$tmp/err"; then
		fail "$name" "no warning naming $sig on stderr: $(head -c 300 "$tmp/err")"
	else
		ok "$name"
	fi
}

# 1. jsonl on standard output, SIGINT: every line whole, the summary last.
start_fifo -F jsonl
kill -INT "$pid"
finish_fifo
expect_partial sigint-jsonl jsonl "$tmp/out" SIGINT

# 2. json into -o FILE, SIGTERM: the file holds the whole partial report.
start_fifo -F json -o "$tmp/report.json"
kill -TERM "$pid"
finish_fifo
expect_partial sigterm-json-o json "$tmp/report.json" SIGTERM

# 3. text, SIGHUP: the warning is in the report's summary too.  sockscope
# starts with SIGHUP at its default, whatever this script inherited: under
# nohup (or a runner that ignores SIGHUP) it would otherwise keep the
# ignored SIGHUP, as 3b checks.  env --default-signal/--ignore-signal are
# coreutils 8.31 and later (Debian 11 on); without them the check that
# cannot be set up says so.
if env --default-signal=HUP true 2>/dev/null; then
	launch="env --default-signal=HUP"
elif grep -q '^SigIgn:.*[13579bdf]$' /proc/$$/status 2>/dev/null; then
	launch=SKIP
fi
name=sighup-text
if [ "$launch" = SKIP ]; then
	echo "skip $name: SIGHUP is ignored here and env(1) cannot reset it"
else
	start_fifo -F text
	kill -HUP "$pid"
	finish_fifo
	if [ "$rc" -ne 1 ]; then
		fail $name "exit $rc, want 1: $(head -c 300 "$tmp/err" | tr '\n' ';')"
	elif ! grep -q 'SIGHUP' "$tmp/out"; then
		fail $name "the text report does not say it was interrupted"
	else
		ok $name
	fi
fi

# 3b. Started with SIGHUP ignored (nohup), sockscope keeps it ignored
# (io/signals.c): the SIGHUP changes nothing, the report is whole and not
# interrupted, exit 0.
name=sighup-ignored
if env --ignore-signal=HUP true 2>/dev/null; then
	launch="env --ignore-signal=HUP"
	start_fifo -F jsonl
	kill -HUP "$pid"
	finish_fifo
	s=$(summary "$tmp/out" jsonl)
	if [ "$rc" -ne 0 ]; then
		fail $name "exit $rc, want 0: $(head -c 300 "$tmp/err" | tr '\n' ';')"
	elif ! "$python" -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(not (s["interrupted"] is False and s["packets"] == 200000))' "$s" 2>/dev/null; then
		fail $name "summary $s: want interrupted false and all 200000 packets"
	else
		ok $name
	fi
else
	echo "skip $name: env(1) has no --ignore-signal"
fi
launch=

# 4. A second signal ends sockscope at once (killed by SIGINT), and the -o
# file is neither created nor left half written under another name.
mkdir "$tmp/outdir"
start_fifo -F jsonl -o "$tmp/outdir/report.jsonl"
kill -INT "$pid"
sleep 0.2
kill -INT "$pid"
sleep 0.2
finish_fifo
name=second-signal
if [ "$rc" -ne 130 ]; then
	fail $name "status $rc, want 130 (killed by SIGINT): $(head -c 300 "$tmp/err" | tr '\n' ';')"
elif [ -n "$(ls -A "$tmp/outdir")" ]; then
	fail $name "left behind: $(ls -A "$tmp/outdir" | tr '\n' ' ')"
else
	ok $name
fi

# 5. The same on standard output: what reached it is whole lines (the
# records are flushed at line boundaries), however the run ended.
start_fifo -F jsonl
kill -INT "$pid"
sleep 0.2
kill -INT "$pid"
sleep 0.2
finish_fifo
name=second-signal-stdout
if [ "$rc" -ne 130 ]; then
	fail $name "status $rc, want 130 (killed by SIGINT): $(head -c 300 "$tmp/err" | tr '\n' ';')"
elif [ ! -s "$tmp/out" ]; then
	fail $name "nothing reached standard output: nothing to check"
elif ! "$python" -c '
import json, sys
t = open(sys.argv[1], encoding="utf-8").read()
sys.exit(not t.endswith("\n") or any(not json.loads(l) for l in t.splitlines()))' "$tmp/out" 2>/dev/null; then
	fail $name "a record was cut: $(tail -c 100 "$tmp/out")"
else
	ok $name
fi

# 6. The reader of standard output goes away (| head): sockscope stops
# quietly (SIGPIPE ignored, EPIPE ends the reading), with the exit status
# the run would have had otherwise (0 here), not killed by SIGPIPE (141).
for fmt in jsonl text; do
	name=broken-pipe-$fmt
	"$exe" -F "$fmt" -r "$cap" 2>"$tmp/err" | head -c 100 >/dev/null
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		fail $name "exit $rc, want 0: $(head -c 300 "$tmp/err" | tr '\n' ';')"
	elif [ -s "$tmp/err" ]; then
		fail $name "something on stderr: $(head -c 300 "$tmp/err")"
	else
		ok $name
	fi
done

# 7. A regular file: the signal stops the reading at once.  On a machine
# fast enough to read the whole capture before the signal, this check has
# nothing to look at and says so.
"$exe" -F jsonl -r "$cap" -o "$tmp/file.jsonl" 2>"$tmp/err" &
pid=$!
sleep 0.05
if kill -INT "$pid" 2>/dev/null; then
	wait "$pid"
	rc=$?
	pid=
	s=$(summary "$tmp/file.jsonl" jsonl)
	if [ "$rc" -eq 0 ] && [ "${s#bad}" = "$s" ] &&
	   [ "$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["packets"])' "$s")" = 200000 ]; then
		echo "skip regular-file: the whole capture was read before the signal"
	else
		expect_partial regular-file jsonl "$tmp/file.jsonl" SIGINT
	fi
else
	wait "$pid"
	pid=
	echo "skip regular-file: sockscope had finished before the signal"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
