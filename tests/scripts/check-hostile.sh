#!/usr/bin/env bash
# Robustness test: run sockscope over every capture of the public hostile
# corpus (malformed, truncated and fuzzer-found pcap/pcapng files, kept
# outside the project in ../shared/corpus, see its README.md).
#
# Usage: check-hostile.sh SOCKSCOPE [CORPUS_DIR]
#
# For each file sockscope must finish within 20 s, not die from a signal
# (a sanitizer report on stderr counts as a failure too), and either
#   - exit 0 or 1 with a valid jsonl report whose last line is the summary,
#     whose counters agree with each other and with the records written,
#     and with one "sockscope: warning: " stderr line per summary warning
#     (none for exit 0, at least one for exit 1); or
#   - exit 3 with nothing on stdout and exactly one stderr line starting
#     with "sockscope: " and naming the file.
# The text format must give the same exit status.
#
# Exit: 0 all passed, 1 any failure, 77 (meson's skip) without the corpus.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 SOCKSCOPE [CORPUS_DIR]" >&2
	exit 2
fi
exe=$1
here=$(cd -P "$(dirname "$0")" && pwd)
# The corpus lives beside the checkout: <repo>/../shared/corpus/hostile.
corpus=${2:-$here/../../../shared/corpus/hostile}

if [ ! -d "$corpus" ]; then
	echo "SKIP: hostile corpus not found at $corpus"
	exit 77
fi
corpus=$(cd -P "$corpus" && pwd)

if [ -x /usr/bin/python3 ]; then
	python=/usr/bin/python3
elif command -v python3 >/dev/null 2>&1; then
	python=$(command -v python3)
else
	echo "SKIP: python3 not found (needed to validate the jsonl reports)"
	exit 77
fi

if [ ! -x "$exe" ]; then
	echo "FAIL: $exe is not an executable" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Validates one jsonl report; prints the problems, one a line, exit 1 if any.
# argv: stdout-file stderr-file exit-status
read -r -d '' validate <<'EOF'
import json, sys

out_path, err_path, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
problems = []

with open(out_path, 'rb') as f:
    raw = f.read()
with open(err_path, 'rb') as f:
    err = f.read().decode('utf-8', 'replace').splitlines()

try:
    text = raw.decode('utf-8')
except UnicodeDecodeError as e:
    print('stdout is not UTF-8: %s' % e)
    sys.exit(1)

if not text.endswith('\n'):
    problems.append('stdout does not end with a newline')
records = []
for n, line in enumerate(text.splitlines(), 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        problems.append('line %d is not JSON: %s' % (n, e))
        continue
    if not isinstance(obj, dict):
        problems.append('line %d is not an object' % n)
        continue
    records.append(obj)

if problems:
    print('\n'.join(problems))
    sys.exit(1)
if not records or records[-1].get('kind') != 'summary':
    print('last line is not the summary object')
    sys.exit(1)

s = records[-1]
kinds = [r.get('kind') for r in records[:-1]]
if 'summary' in kinds:
    problems.append('more than one summary line')
for k in set(kinds) - {'connection', 'listener', 'host', 'tunnel', 'finding'}:
    problems.append('unexpected record kind %r' % (k,))
# Every tunnelled packet is in exactly one tunnel record.
tun_records = sum(r.get('packets', 0) for r in records[:-1] if r.get('kind') == 'tunnel')
tun_summary = sum((s.get('tunnels') or {}).values())
if tun_records != tun_summary:
    problems.append('tunnel records hold %d packets, summary.tunnels %d'
                    % (tun_records, tun_summary))

def num(obj, key, where='summary'):
    v = obj.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        problems.append('%s.%s is not a non-negative integer: %r' % (where, key, v))
        return 0
    return v

packets = num(s, 'packets')
decoded = num(s, 'decoded')
if packets < decoded:
    problems.append('summary: packets %d < decoded %d' % (packets, decoded))

# Every packet read is either decoded or counted under exactly one reason.
not_decoded = 0
for group in ('ignored', 'truncated', 'invalid'):
    g = s.get(group)
    if not isinstance(g, dict):
        problems.append('summary.%s is not an object' % group)
        continue
    for k in g:
        not_decoded += num(g, k, 'summary.' + group)
if decoded + not_decoded != packets:
    problems.append('summary: decoded %d + not decoded %d != packets %d'
                    % (decoded, not_decoded, packets))

inputs = s.get('inputs')
# One input per link type the file carries (a pcapng file whose interfaces
# differ adds "NAME, interface N" inputs after the first).
if not isinstance(inputs, list) or len(inputs) < 1:
    problems.append('summary.inputs is not a list of inputs: %r' % (inputs,))
else:
    first = inputs[0].get('name') or ''
    if any(not str(i.get('name')).startswith(first + ', interface ') for i in inputs[1:]):
        problems.append('summary.inputs names another file: %r' % (inputs,))
    in_packets = sum(num(i, 'packets', 'inputs[]') for i in inputs)
    if in_packets != packets:
        problems.append('inputs[].packets %d != packets %d' % (in_packets, packets))

n_tcp = sum(1 for r in records[:-1] if r.get('kind') == 'connection' and r.get('proto') == 'tcp')
n_udp = sum(1 for r in records[:-1] if r.get('kind') == 'connection' and r.get('proto') == 'udp')
n_lst = kinds.count('listener')
n_hosts = kinds.count('host')
if num(s, 'hosts') != n_hosts:
    problems.append('summary.hosts %r != %d host lines' % (s.get('hosts'), n_hosts))
if num(s, 'tcp_connections') != n_tcp:
    problems.append('summary.tcp_connections %r != %d tcp connection lines'
                    % (s.get('tcp_connections'), n_tcp))
if num(s, 'udp_exchanges') != n_udp:
    problems.append('summary.udp_exchanges %r != %d udp connection lines'
                    % (s.get('udp_exchanges'), n_udp))
if num(s, 'listeners') != n_lst:
    problems.append('summary.listeners %r != %d listener lines' % (s.get('listeners'), n_lst))

warnings = s.get('warnings')
if not isinstance(warnings, list):
    problems.append('summary.warnings is not a list')
    warnings = []
want_err = ['sockscope: warning: %s' % w for w in warnings]
if err != want_err:
    problems.append('stderr %r does not match summary.warnings %r' % (err[:3], warnings[:3]))
if status == 0 and warnings:
    problems.append('exit 0 but %d warnings' % len(warnings))
if status == 1 and not warnings:
    problems.append('exit 1 but no warning')

if problems:
    print('\n'.join(problems))
    sys.exit(1)
EOF

passed=0
failed=0

fail() {
	echo "FAIL $rel: $*"
	failed=$((failed + 1))
}

# Describes an exit status that is not one sockscope may return here.
describe_status() {
	case $1 in
	124) echo "timed out after 20 s" ;;
	137) echo "killed (SIGKILL after the timeout)" ;;
	*)
		if [ "$1" -gt 128 ]; then
			echo "killed by signal $(( $1 - 128 )) ($(kill -l $(( $1 - 128 )) 2>/dev/null || echo '?'))"
		else
			echo "exit status $1"
		fi ;;
	esac
}

# A sanitizer report is a failure whatever the exit status: UBSan's
# halt_on_error exits with 1, which is also sockscope's "warnings" status.
sanitizer_re='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|MemorySanitizer|ThreadSanitizer|runtime error:'
sanitized() {
	grep -qE "$sanitizer_re" "$1"
}

# Every capture: all files but the corpus's own notes, in a stable order.
mapfile -d '' files < <(find "$corpus" -type f ! -name '*.tsv' ! -name '*.md' \
	! -name '*.txt' -print0 | LC_ALL=C sort -z)
if [ ${#files[@]} -eq 0 ]; then
	echo "FAIL: no capture files under $corpus"
	exit 1
fi

out=$tmp/out
err=$tmp/err
for file in "${files[@]}"; do
	rel=${file#"$corpus"/}

	timeout -k 5 20 "$exe" --builtin-services -F jsonl -r "$file" >"$out" 2>"$err"
	rc=$?
	if sanitized "$err"; then
		fail "jsonl: sanitizer report (exit $rc): $(grep -m 2 -E "$sanitizer_re" "$err" | tr '\n' ';' | head -c 400)"
		continue
	fi
	case $rc in
	0 | 1)
		if ! msg=$("$python" -c "$validate" "$out" "$err" "$rc" 2>&1); then
			fail "jsonl (exit $rc): $(printf '%s' "$msg" | head -n 3 | tr '\n' ';')"
			continue
		fi ;;
	3)
		nlines=$(wc -l <"$err")
		first=$(head -n 1 "$err")
		if [ "$nlines" -ne 1 ] || [ -n "$(tail -c 1 "$err")" ]; then
			fail "exit 3 with $nlines stderr lines (want exactly one): $(head -c 300 "$err" | tr '\n' ';')"
			continue
		fi
		case $first in
		"sockscope: "*) ;;
		*) fail "exit 3, stderr line does not start with \"sockscope: \": $first"; continue ;;
		esac
		case $first in
		*"$file"*) ;;
		*) fail "exit 3, stderr line does not name the file: $first"; continue ;;
		esac
		if [ -s "$out" ]; then
			fail "exit 3 but something was written to stdout"
			continue
		fi ;;
	*)
		fail "jsonl: $(describe_status $rc): $(grep -m 3 -E 'ERROR|runtime error|SUMMARY|sockscope' "$err" | tr '\n' ';' | head -c 400)"
		continue ;;
	esac

	timeout -k 5 20 "$exe" --builtin-services --color=never -F text -r "$file" >"$out" 2>"$err"
	trc=$?
	if sanitized "$err"; then
		fail "text: sanitizer report (exit $trc): $(grep -m 2 -E "$sanitizer_re" "$err" | tr '\n' ';' | head -c 400)"
		continue
	fi
	if [ "$trc" -ne "$rc" ]; then
		fail "text: $(describe_status $trc), jsonl gave $rc: $(grep -m 3 -E 'ERROR|runtime error|SUMMARY|sockscope' "$err" | tr '\n' ';' | head -c 400)"
		continue
	fi
	passed=$((passed + 1))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
