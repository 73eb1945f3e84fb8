#!/usr/bin/env bash
# Black-box tests of sockscope's command line: exit statuses, error
# messages, standard input, -c, -o, BPF filters, determinism, --help.
# Uses the bundled captures (captures/README.md) and scratch files in a
# temporary directory that is removed on exit.
#
# Usage: check-cli.sh SOCKSCOPE CAPTURES_DIR
# Prints "ok NAME" or "FAIL NAME: why" per check, then "N passed, N failed";
# exits 1 when any check failed.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 SOCKSCOPE CAPTURES_DIR" >&2
	exit 2
fi
exe=$1
caps=$2
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
case $caps in /*) ;; *) caps=$PWD/$caps ;; esac

if [ -x /usr/bin/python3 ]; then
	python=/usr/bin/python3
elif command -v python3 >/dev/null 2>&1; then
	python=$(command -v python3)
else
	echo "SKIP: python3 not found (needed to read the jsonl reports)"
	exit 77
fi

real=$caps/real-ether.pcap
unsupported=$caps/crafted-unsupported-link.pcap
for f in "$real" "$unsupported"; do
	if [ ! -f "$f" ]; then
		echo "FAIL: bundled capture $f is missing"
		exit 1
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
err=$tmp/err

passed=0
failed=0
ok() {
	echo "ok $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# run ARGS...: runs sockscope with stdout in $out, stderr in $err, status in
# $rc.  A sanitizer report (ASan/UBSan builds) is a failure of its own.
sanitizer_re='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
run() {
	"$exe" "$@" >"$out" 2>"$err"
	rc=$?
	if grep -qE "$sanitizer_re" "$err"; then
		fail "sanitizer" "sockscope $*: $(grep -m 2 -E "$sanitizer_re" "$err" | tr '\n' ';' | head -c 300)"
	fi
}

# jq-like helper: jsonl FILE PYTHON-EXPR prints the expression evaluated with
# `s` = the summary (last line), `recs` = every other record.
jsonl() {
	"$python" -c '
import json, sys
try:
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
    objs = [json.loads(l) for l in lines]
    s, recs = objs[-1], objs[:-1]
    if s.get("kind") != "summary":
        raise ValueError("last line is not the summary")
    v = eval(sys.argv[2])
except Exception as e:
    print("not a jsonl report (%s: %s)" % (type(e).__name__, e))
    sys.exit(1)
print(json.dumps(v) if not isinstance(v, str) else v)
' "$1" "$2" 2>&1
}

nlines() {
	wc -l <"$1" | tr -d ' '
}

# expect_input_error NAME FILE PATTERN: exit 3, nothing on stdout, one
# stderr line starting with "sockscope: ", naming FILE, matching PATTERN.
expect_input_error() {
	local name=$1 file=$2 pattern=$3
	run -r "$file"
	if [ "$rc" -ne 3 ]; then
		fail "$name" "exit $rc, want 3: $(head -n 2 "$err" | tr '\n' ';')"
	elif [ "$(nlines "$err")" -ne 1 ]; then
		fail "$name" "$(nlines "$err") stderr lines, want 1: $(head -c 300 "$err" | tr '\n' ';')"
	elif ! grep -q '^sockscope: ' "$err"; then
		fail "$name" "stderr does not start with \"sockscope: \": $(cat "$err")"
	elif ! grep -qF -- "$file" "$err"; then
		fail "$name" "stderr does not name $file: $(cat "$err")"
	elif [ -n "$pattern" ] && ! grep -qiF -- "$pattern" "$err"; then
		fail "$name" "stderr lacks \"$pattern\": $(cat "$err")"
	elif [ -s "$out" ]; then
		fail "$name" "something was written to stdout"
	else
		ok "$name"
	fi
}

# expect_usage_error NAME PATTERN ARGS...: exit 2, a "sockscope: " message.
expect_usage_error() {
	local name=$1 pattern=$2
	shift 2
	run "$@"
	if [ "$rc" -ne 2 ]; then
		fail "$name" "exit $rc, want 2: $(head -n 2 "$err" | tr '\n' ';')"
	elif ! grep -q '^sockscope: ' "$err"; then
		fail "$name" "no \"sockscope: \" message on stderr: $(head -c 300 "$err")"
	elif [ -n "$pattern" ] && ! grep -qiF -- "$pattern" "$err"; then
		fail "$name" "stderr lacks \"$pattern\": $(cat "$err")"
	elif [ -s "$out" ]; then
		fail "$name" "something was written to stdout"
	else
		ok "$name"
	fi
}

# (a) missing file
expect_input_error missing-file "$tmp/no-such-file.pcap" "No such file"

# (b) a text file is not a capture
printf 'this is not a capture file\njust text\n' >"$tmp/notes.txt"
expect_input_error text-file "$tmp/notes.txt" "not a pcap or pcapng"

# (c) empty file
: >"$tmp/empty.pcap"
expect_input_error empty-file "$tmp/empty.pcap" ""

# (d) a directory
mkdir "$tmp/adir"
expect_input_error directory "$tmp/adir" ""

# (e) a capture cut in the middle of its last record: the packets before the
# cut are still reported, with a warning and exit 1.
size=$(wc -c <"$real")
head -c $((size - 30)) "$real" >"$tmp/cut.pcap"
run -F jsonl -r "$tmp/cut.pcap"
name=truncated-capture
if [ "$rc" -ne 1 ]; then
	fail $name "exit $rc, want 1: $(head -n 2 "$err" | tr '\n' ';')"
elif ! conns=$(jsonl "$out" 'sum(1 for r in recs if r["kind"] == "connection")'); then
	fail $name "bad jsonl: $conns"
elif [ "$conns" -le 0 ]; then
	fail $name "no connection lines before the cut"
elif [ "$(jsonl "$out" 's["inputs"][0]["error"] is not None')" != true ]; then
	fail $name "summary.inputs[0].error is null"
elif ! grep 'warning' "$err" | grep -qF -- "$tmp/cut.pcap"; then
	fail $name "no stderr warning naming the file: $(head -c 300 "$err")"
else
	ok $name
fi

# (f) an unsupported link type: packets counted, none decoded, a warning
# naming the link type (USER0 = 147).
run -F jsonl -r "$unsupported"
name=unsupported-link
if [ "$rc" -ne 1 ]; then
	fail $name "exit $rc, want 1: $(head -n 2 "$err" | tr '\n' ';')"
elif ! counts=$(jsonl "$out" '[s["packets"], s["decoded"]]'); then
	fail $name "bad jsonl: $counts"
elif [ "$counts" != "[4, 0]" ]; then
	fail $name "summary [packets, decoded] = $counts, want [4, 0]"
elif ! grep 'warning' "$err" | grep -qE '147|USER0'; then
	fail $name "no warning naming link type 147: $(head -c 300 "$err")"
else
	ok $name
fi

# (g) a BPF filter libpcap cannot compile: exit 2 with libpcap's words.
expect_usage_error bad-filter "syntax error" -r "$real" 'tcp and and'

# (h) unknown report format
expect_usage_error unknown-format "xml" -F xml -r "$real"

# (i) -r - reads standard input: the same jsonl as -r FILE but for the
# input's name.
cp "$real" "$tmp/in.pcap"
name=stdin
if ! (cd "$tmp" && "$exe" -F jsonl -r in.pcap >"$tmp/file.jsonl" 2>"$err"); then
	fail $name "-r in.pcap failed: $(head -n 2 "$err" | tr '\n' ';')"
elif ! (cd "$tmp" && "$exe" -F jsonl -r - <in.pcap >"$tmp/stdin.jsonl" 2>"$err"); then
	fail $name "-r - failed: $(head -n 2 "$err" | tr '\n' ';')"
elif ! grep -qF '"name":"-"' "$tmp/stdin.jsonl"; then
	fail $name "the summary does not call standard input \"-\""
elif ! sed 's/"name":"-"/"name":"in.pcap"/' "$tmp/stdin.jsonl" | cmp -s - "$tmp/file.jsonl"; then
	fail $name "output differs beyond the input name: $(sed 's/"name":"-"/"name":"in.pcap"/' "$tmp/stdin.jsonl" | diff - "$tmp/file.jsonl" | head -n 4 | cut -c1-200 | tr '\n' ';')"
else
	ok $name
fi

# (j) -c 5 stops after five packets
run -F jsonl -c 5 -r "$real"
name=count
if [ "$rc" -ne 0 ]; then
	fail $name "exit $rc, want 0: $(head -n 2 "$err" | tr '\n' ';')"
elif ! packets=$(jsonl "$out" 's["packets"]'); then
	fail $name "$packets"
elif [ "$packets" != 5 ]; then
	fail $name "summary.packets = $packets, want 5"
else
	ok $name
fi

# (k) a BPF filter limits the packets: 'udp' leaves no TCP connection.
run -F jsonl -r "$real" udp
name=filter-udp
if [ "$rc" -ne 0 ]; then
	fail $name "exit $rc, want 0: $(head -n 2 "$err" | tr '\n' ';')"
elif ! protos=$(jsonl "$out" '[s["tcp_connections"], sorted(set(r["proto"] for r in recs if r["kind"] == "connection"))]'); then
	fail $name "bad jsonl: $protos"
elif [ "$protos" != '[0, ["udp"]]' ]; then
	fail $name "[tcp_connections, connection protocols] = $protos, want [0, [\"udp\"]]"
else
	ok $name
fi

# (l) -o onto a symlink is refused (O_NOFOLLOW) and its target kept.
echo "precious" >"$tmp/target"
ln -s "$tmp/target" "$tmp/link"
run -F jsonl -r "$real" -o "$tmp/link"
name=output-symlink
if [ "$rc" -ne 5 ]; then
	fail $name "exit $rc, want 5: $(head -n 2 "$err" | tr '\n' ';')"
elif [ "$(cat "$tmp/target")" != precious ]; then
	fail $name "the symlink's target was changed"
elif [ ! -L "$tmp/link" ]; then
	fail $name "the symlink was replaced"
elif ! grep -q '^sockscope: ' "$err"; then
	fail $name "no \"sockscope: \" message: $(head -c 300 "$err")"
else
	ok $name
fi

# (l2) -o naming one of the inputs is refused (exit 2) and the capture kept:
# the same file, a hard link to it, a file of a -r DIR, standard input.
cp "$real" "$tmp/keep.pcap"
ln "$tmp/keep.pcap" "$tmp/keep-link.pcap"
mkdir "$tmp/capdir"
cp "$real" "$tmp/capdir/a.pcap"
for case in same hardlink dir stdin; do
	name=output-is-input-$case
	case $case in
	same) run -F json -r "$tmp/keep.pcap" -o "$tmp/keep.pcap" ;;
	hardlink) run -F json -r "$tmp/keep.pcap" -o "$tmp/keep-link.pcap" ;;
	dir) run -F json -r "$tmp/capdir" -o "$tmp/capdir/a.pcap" ;;
	stdin) run -F json -r - -o "$tmp/keep.pcap" <"$tmp/keep.pcap" ;;
	esac
	if [ "$rc" -ne 2 ]; then
		fail $name "exit $rc, want 2: $(head -n 2 "$err" | tr '\n' ';')"
	elif ! cmp -s "$real" "$tmp/keep.pcap" || ! cmp -s "$real" "$tmp/capdir/a.pcap"; then
		fail $name "the capture was changed"
	elif [ "$(nlines "$err")" -ne 1 ] || ! grep -q '^sockscope: .*input' "$err"; then
		fail $name "want one \"sockscope: \" line about the input: $(head -c 300 "$err")"
	else
		ok $name
	fi
done

# (l3) -o replaces the name, not the file: another hard link to the old
# report keeps its bytes (no truncation through the link).
echo "old report" >"$tmp/old"
ln "$tmp/old" "$tmp/old-link"
run -F jsonl -r "$real" -o "$tmp/old-link"
name=output-hardlink-kept
if [ "$rc" -ne 0 ]; then
	fail $name "exit $rc, want 0: $(head -n 2 "$err" | tr '\n' ';')"
elif [ "$(cat "$tmp/old")" != "old report" ]; then
	fail $name "the other link was truncated or rewritten"
elif [ "$(jsonl "$tmp/old-link" 's["kind"]')" != summary ]; then
	fail $name "-o FILE does not hold the report"
else
	ok $name
fi

# (l4) a run that fails after the report file is chosen (the collector
# refuses the connection) leaves the old report as it was and no
# temporary file beside it.
mkdir "$tmp/outdir"
echo "previous" >"$tmp/outdir/report"
run -F json -r "$real" -o "$tmp/outdir/report" --ipfix 127.0.0.1:1 --ipfix-transport tcp
name=output-failed-run
if [ "$rc" -ne 5 ]; then
	fail $name "exit $rc, want 5 (collector refused): $(head -n 2 "$err" | tr '\n' ';')"
elif [ "$(cat "$tmp/outdir/report")" != previous ]; then
	fail $name "the old report was truncated or replaced"
elif [ "$(ls -A "$tmp/outdir" | wc -l)" -ne 1 ]; then
	fail $name "files left beside the report: $(ls -A "$tmp/outdir" | tr '\n' ' ')"
else
	ok $name
fi

# (l5) stderr closed at start: the warnings must not land in the -o report
# (fds 0-2 are reserved with /dev/null before anything is opened).
# The capture comes on standard input, so the report is the first file opened.
"$exe" -F jsonl -r - -o "$tmp/closed-err.jsonl" <"$tmp/cut.pcap" >"$out" 2>&-
rc=$?
name=stderr-closed
if [ "$rc" -ne 1 ]; then
	fail $name "exit $rc, want 1 (the cut capture's warning)"
elif grep -q 'sockscope: warning' "$tmp/closed-err.jsonl"; then
	fail $name "a warning landed inside the report"
elif ! res=$(jsonl "$tmp/closed-err.jsonl" 's["kind"]'); then
	fail $name "the report is not jsonl: $res"
else
	ok $name
fi

# (l6) -w onto a symlink is refused like -o (the link and its target kept);
# the check comes before the interface is opened, so no capture is needed.
echo "precious" >"$tmp/w-target"
ln -s "$tmp/w-target" "$tmp/w-link"
run -i no-such-if0 -w "$tmp/w-link"
name=write-symlink
if [ "$rc" -ne 5 ]; then
	fail $name "exit $rc, want 5: $(head -n 2 "$err" | tr '\n' ';')"
elif [ "$(cat "$tmp/w-target")" != precious ] || [ ! -L "$tmp/w-link" ]; then
	fail $name "the symlink or its target was changed"
elif ! grep -q 'symbolic link' "$err"; then
	fail $name "the message does not say why: $(head -c 300 "$err")"
else
	ok $name
fi

# (l7) --duration must be a real positive time: NaN, infinity, a negative
# or a sub-nanosecond value would never stop the capture.  Checked before
# any interface is opened.
for d in nan inf -1 1e-12; do
	expect_usage_error "duration-$d" "--duration" -i no-such-if0 --duration "$d"
done

# (l8) --anonymize-key-file reads a key, not an endless file.
# (Bounded here too: 1 GB of address space and 20 s, so a regression fails
# instead of exhausting the machine.  AddressSanitizer reserves terabytes of
# address space for its shadow, so an ASan build gets its own 1 GB RSS limit
# instead of ulimit -v.)
if nm "$exe" 2>/dev/null | grep -q __asan_init; then
	(export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=1000"
	 timeout 20 "$exe" -r "$real" --anonymize-key-file /dev/zero) >"$out" 2>"$err"
else
	(ulimit -v 1000000; timeout 20 "$exe" -r "$real" --anonymize-key-file /dev/zero) >"$out" 2>"$err"
fi
rc=$?
name=key-file-endless
if [ "$rc" -ne 2 ]; then
	fail $name "exit $rc, want 2: $(head -c 200 "$err" | tr '\n' ';')"
elif ! grep -q '^sockscope: .*longer than' "$err"; then
	fail $name "no \"sockscope: ... longer than\" message: $(head -c 300 "$err")"
else
	ok $name
fi

# (l9) -Z: the report is opened as root and written in place, since USER
# cannot rename it into a directory only root may write (here: $tmp, 0700).
# Needs root, the user nobody and a capture on lo; skipped otherwise.
name=output-with-Z
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "skip $name: needs root and the user nobody"
else
	run -i lo -Z nobody --duration 0.2 -F json -o "$tmp/z-report.json" "port 1"
	if [ "$rc" -eq 4 ] && grep -qi 'capture\|interface\|permission' "$err" && [ ! -e "$tmp/z-report.json" ] &&
	   ! grep -q 'z-report' "$err"; then
		echo "skip $name: no live capture here: $(head -c 200 "$err")"
	elif [ "$rc" -ne 0 ]; then
		fail $name "exit $rc, want 0: $(head -n 2 "$err" | tr '\n' ';')"
	elif ! "$python" -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/z-report.json" 2>/dev/null; then
		fail $name "no json report under its name"
	elif ls -A "$tmp" | grep -q '^\.z-report'; then
		fail $name "a temporary file was left: $(ls -A "$tmp" | grep z-report)"
	else
		ok $name
	fi
fi

# (l10) --anonymize takes its key only as --anonymize=KEY: a separate word
# is the BPF filter's (here 'udp'), and the key is then random.
run -F jsonl -r "$real" --anonymize udp
name=anonymize-word-is-filter
if [ "$rc" -ne 0 ]; then
	fail $name "exit $rc, want 0: $(head -n 2 "$err" | tr '\n' ';')"
elif ! protos=$(jsonl "$out" 'sorted(set(r["proto"] for r in recs if r["kind"] == "connection"))'); then
	fail $name "bad jsonl: $protos"
elif [ "$protos" != '["udp"]' ]; then
	fail $name "connection protocols $protos, want [\"udp\"]: the word was taken as the key"
else
	ok $name
fi

# (l11) NO_COLOR turns colour off for --color=auto only: an explicit
# --color=always wins (README, docs/output.md, sockscope(1)).
NO_COLOR=1 "$exe" --color=always -r "$real" >"$out" 2>"$err"
name=no-color-vs-always
if ! grep -q $'\033\\[' "$out"; then
	fail $name "--color=always with NO_COLOR=1 wrote no colour"
elif NO_COLOR=1 "$exe" --color=auto -r "$real" 2>/dev/null | grep -q $'\033\\['; then
	fail $name "--color=auto coloured a file with NO_COLOR=1"
else
	ok $name
fi

# (l12) --timeout-* decide when a streamed (jsonl) record is written; the
# other formats keep every flow to the end, so there they are refused
# rather than silently ignored.
expect_usage_error timeout-not-jsonl "jsonl" -F json --timeout-udp 5 -r "$real"
run -F jsonl --timeout-udp 5 -r "$real"
if [ "$rc" -eq 0 ]; then ok timeout-jsonl; else fail timeout-jsonl "exit $rc, want 0"; fi

# (l13) The --max-flows default is the same in the code, --help, the README,
# the man page and docs/live.md.
root=$(cd "$caps/.." && pwd)
def=$(sed -n 's/^#define SS_DEFAULT_MAX_FLOWS \([0-9]*\).*/\1/p' "$root/include/sockscope/analyzer.h")
grouped=$(echo "$def" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
name=max-flows-default
missing=
"$exe" --help | grep -- '--max-flows' | grep -q "default $def" || missing="$missing --help"
grep -- '`--max-flows N`' "$root/README.md" | grep -q "default $def" || missing="$missing README"
grep -A 12 'max\\-flows= N' "$root/docs/sockscope.1" | grep -q "Default: $def" || missing="$missing sockscope.1"
grep -- '`--max-flows N`' "$root/docs/live.md" | grep -qE "\| ($def|$grouped) " || missing="$missing live.md"
if [ -z "$def" ]; then
	fail $name "SS_DEFAULT_MAX_FLOWS not found in analyzer.h"
elif [ -n "$missing" ]; then
	fail $name "the default $def is not what these say:$missing"
else
	ok $name
fi

# (m) -o FILE writes exactly what standard output gets, in every format.
for fmt in text jsonl json csv; do
	name=output-file-$fmt
	rm -f "$tmp/report"
	run -F "$fmt" -r "$real" -o "$tmp/report"
	rc_file=$rc
	run -F "$fmt" -r "$real"
	if [ "$rc_file" -ne 0 ] || [ "$rc" -ne 0 ]; then
		fail $name "exit $rc_file with -o, $rc without, want 0"
	elif [ ! -s "$tmp/report" ]; then
		fail $name "-o wrote nothing"
	elif ! cmp -s "$tmp/report" "$out"; then
		fail $name "-o FILE differs from standard output"
	else
		ok $name
	fi
done

# (n) determinism: the same input gives the same bytes, run after run.
for fmt in text jsonl json csv; do
	name=deterministic-$fmt
	"$exe" -F "$fmt" -r "$real" >"$tmp/run1" 2>/dev/null
	rc1=$?
	"$exe" -F "$fmt" -r "$real" >"$tmp/run2" 2>/dev/null
	rc2=$?
	if [ "$rc1" -ne 0 ] || [ "$rc2" -ne 0 ]; then
		fail $name "exit $rc1 and $rc2, want 0"
	elif ! cmp -s "$tmp/run1" "$tmp/run2"; then
		fail $name "two runs differ: $(diff "$tmp/run1" "$tmp/run2" | head -n 4 | cut -c1-200 | tr '\n' ';')"
	else
		ok $name
	fi
done

# (o) --version and --help
run --version
name=version
if [ "$rc" -ne 0 ]; then
	fail $name "exit $rc, want 0"
elif ! head -n 1 "$out" | grep -q '^sockscope '; then
	fail $name "does not print \"sockscope \": $(head -n 1 "$out")"
else
	ok $name
fi

run --help
name=help
if [ "$rc" -ne 0 ]; then
	fail $name "exit $rc, want 0"
else
	missing=
	for word in -r -o -F --format -c --color --builtin-services -V; do
		# An option must appear as a word of its own ("-c," or "-c ").
		grep -qE -- "(^|[[:space:],])$word([[:space:],=]|$)" "$out" || missing="$missing '$word'"
	done
	grep -qF "Exit status" "$out" || missing="$missing 'Exit status'"
	if [ -n "$missing" ]; then
		fail $name "--help does not mention$missing"
	else
		ok $name
	fi
fi

# (p) unknown option
expect_usage_error unknown-option "--no-such-option" --no-such-option -r "$real"

# (q) no input at all
expect_usage_error no-input "-r" -F jsonl

# (r) hostile names (issue 15): a file whose name holds a raw terminal
# escape (ESC [31m) and a right-to-left override (U+202E), skipped in a -r
# DIR, and a missing file with ESC [2J in its name: stderr and the text
# report carry neither byte sequence, only '?' in their place.
mkdir -p "$tmp/hostile"
cp "$real" "$tmp/hostile/ok.pcap"
evil=$(printf 'evil\033[31mred\342\200\256cap.pcap')
printf x >"$tmp/hostile/$evil"
"$exe" -r "$tmp/hostile" -F text >"$out" 2>"$err"
"$exe" -r "$tmp/no$(printf '\033')[2Jsuch" >>"$out" 2>>"$err"
if LC_ALL=C grep -q "$(printf '\033')" "$err" "$out" ||
   LC_ALL=C grep -q "$(printf '\342\200\256')" "$err" "$out"; then
	fail hostile-names "a raw escape or U+202E reached stderr or the text report"
elif ! grep -q 'evil?\[31mred?cap.pcap' "$err" || ! grep -q 'no?\[2Jsuch' "$err"; then
	fail hostile-names "the names are not shown with '?' in place of the escapes: $(head -c 300 "$err")"
else
	ok hostile-names
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
