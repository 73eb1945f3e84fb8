#!/usr/bin/env bash
# IPFIX export end to end (docs/output.md#ipfix).
#
# UDP: Debian's nfcapd (nfdump) listens on 127.0.0.1, sockscope exports the
# bundled captures to it (-F jsonl: each record as it ends; -F json: all at
# the end), nfdump reads the flows back, and every flow must match
# sockscope's jsonl record: source = client IP and port, destination =
# server IP and port, protocol, packets and IP bytes each way, first and
# last packet (ms), biflowDirection initiator, flowEndReason from ended_by.
# TCP: a small collector in this script checks the message stream (templates
# once at the start, sequence numbers, lengths) and decodes the same flows.
# Traffic goes to 127.0.0.1 only.  Exit 77 (skip) without nfcapd/nfdump.
#
# A stalled TCP collector (accepts, never reads, a 4 KiB receive buffer)
# must not hang the run: the export gives up once the collector took no
# data for 10 s, the report is still written in full, exit 5 with one
# warning line.  A UDP collector port where nothing listens (ICMP port
# unreachable) is a failed export too (exit 5, one line), not a success.
#
# Usage: check-ipfix.sh SOCKSCOPE CAPTURES_DIR [GEN_CAPTURE]
set -u
here=$(cd "$(dirname "$0")" && pwd)
exe=$(realpath "$1")
caps=$(realpath "$2")
gen=${3:+$(realpath "$3")}
for tool in nfcapd nfdump python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (apt-get install nfdump; scripts/setup.sh --ci does)"
		exit 77
	fi
done
tmp=$(mktemp -d)
nfpid=
cleanup() {
	if [ -n "$nfpid" ]; then kill "$nfpid" 2>/dev/null; wait "$nfpid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
export TZ=UTC
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

free_port() {   # free_port udp|tcp: a port nobody listens on, on 127.0.0.1
	python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == 'udp' else socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])" "$1"
}

# nfcapd 1.7 writes to -w DIR; 1.6 took -l DIR.
if nfcapd -h 2>&1 | grep -q -- '-w '; then dirflag=-w; else dirflag=-l; fi

# start_nfcapd DIR: listens on 127.0.0.1:$port (UDP) until stop_nfcapd.
start_nfcapd() {
	mkdir -p "$1"
	port=$(free_port udp)
	nfcapd -b 127.0.0.1 -p "$port" "$dirflag" "$1" -t 3600 >"$1.log" 2>&1 &
	nfpid=$!
	for _ in $(seq 50); do
		grep -q "Startup" "$1.log" 2>/dev/null && return 0
		kill -0 "$nfpid" 2>/dev/null || break
		sleep 0.1
	done
	echo "nfcapd did not start: $(cat "$1.log")"
	return 1
}

# stop_nfcapd: SIGTERM, at most 10 s for it to write its file, then SIGKILL.
stop_nfcapd() {
	kill -TERM "$nfpid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$nfpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$nfpid" 2>/dev/null
	wait "$nfpid" 2>/dev/null
	nfpid=
}

# Expected flows from sockscope's jsonl, one line each, and the same from
# nfdump's JSON (and its raw output for the biflow direction and end reason).
cat >"$tmp/compare.py" <<'EOF'
import collections, ipaddress, json, re, sys
from datetime import datetime, timezone

REASON = {'idle': 1, 'closed': 3, 'reused': 3, 'capture_end': 4, 'evicted': 5}
def ms(ts):   # RFC 3339 with 9 digits -> ms since the epoch (truncated)
    base, frac = ts.rstrip('Z').split('.')
    t = datetime.strptime(base, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=timezone.utc)
    return int(t.timestamp()) * 1000 + int(frac[:3])
def ip(s):
    return str(ipaddress.ip_address(s.strip()))

want, reasons = collections.Counter(), collections.Counter()
for path in sys.argv[3:]:
    for line in open(path):
        c = json.loads(line)
        if c.get('kind') != 'connection':
            continue
        want[(ip(c['client']['ip']), c['client']['port'], ip(c['server']['ip']),
              c['server']['port'], {'tcp': 6, 'udp': 17}[c['proto']],
              c['packets']['client'], c['ip_bytes']['client'],
              c['packets']['server'], c['ip_bytes']['server'],
              ms(c['first_ts']), ms(c['last_ts']))] += 1
        reasons[REASON[c['ended_by']]] += 1

got = collections.Counter()
for f in json.load(open(sys.argv[1])):
    if f.get('type') != 'FLOW':
        continue
    sa = f.get('src4_addr') or f.get('src6_addr')
    da = f.get('dst4_addr') or f.get('dst6_addr')
    got[(ip(sa), f['src_port'], ip(da), f['dst_port'], f['proto'],
         f['in_packets'], f['in_bytes'], f.get('out_packets', 0), f.get('out_bytes', 0),
         ms(f['first'] + '000000Z'), ms(f['last'] + '000000Z'))] += 1

raw = open(sys.argv[2]).read()
dirs = collections.Counter(re.findall(r'biFlow Dir\s*=\s*(\S+)', raw))
got_reasons = collections.Counter(int(x, 16) for x in re.findall(r'end reason\s*=\s*(0x[0-9a-f]+)', raw))

errors = []
if got != want:
    for k in want - got:
        errors.append(f'missing at the collector: {k}')
    for k in got - want:
        errors.append(f'unexpected at the collector: {k}')
n = sum(want.values())
if dirs != collections.Counter({'0x01': n}):
    errors.append(f'biflowDirection: {dict(dirs)}, want {n} x 0x01 (initiator)')
if got_reasons != reasons:
    errors.append(f'flowEndReason: {dict(got_reasons)}, want {dict(reasons)}')
for e in errors[:20]:
    print(e)
if errors:
    sys.exit(1)
print(f'{n} flows: direction, ports, packets, bytes, times, end reasons match')
EOF

# Captures with connections (the unsupported-link one has none, fine too).
captures=$(ls "$caps"/*.pcap "$caps"/*.pcapng)

for fmt in jsonl json; do
	dir=$tmp/nf-$fmt
	start_nfcapd "$dir" || { fail "nfcapd ($fmt)"; continue; }
	i=0
	expected=()
	for cap in $captures; do
		i=$((i + 1))
		"$exe" --builtin-services --no-progress -F jsonl -r "$cap" >"$tmp/want-$fmt-$i.jsonl" 2>/dev/null
		# The export itself, in this format (the jsonl above is the truth
		# for json too: both formats decide the same records here).
		"$exe" --builtin-services --no-progress -F "$fmt" -r "$cap" -o "$tmp/out-$fmt-$i" \
			--ipfix "127.0.0.1:$port" --ipfix-domain "$i" 2>"$tmp/err-$fmt-$i"
		rc=$?
		if [ "$rc" -gt 1 ]; then
			fail "$cap ($fmt): exit $rc: $(head -n 1 "$tmp/err-$fmt-$i")"
		fi
		expected+=("$tmp/want-$fmt-$i.jsonl")
	done
	sleep 0.5   # the last datagrams
	stop_nfcapd
	file=$(find "$dir" -name 'nfcapd.[0-9]*' | head -n 1)
	if [ -z "$file" ]; then
		fail "$fmt: nfcapd wrote no file: $(tail -n 3 "$dir.log")"
		continue
	fi
	nfdump -r "$file" -o json >"$tmp/got-$fmt.json" 2>"$tmp/nfdump.err" &&
		nfdump -r "$file" -o raw >"$tmp/got-$fmt.raw" 2>>"$tmp/nfdump.err" ||
		{ fail "nfdump -r: $(cat "$tmp/nfdump.err")"; continue; }
	if python3 "$tmp/compare.py" "$tmp/got-$fmt.json" "$tmp/got-$fmt.raw" "${expected[@]}" \
		>"$tmp/cmp-$fmt" 2>&1; then
		ok
		echo "udp, -F $fmt: $(tail -n 1 "$tmp/cmp-$fmt")"
	else
		fail "udp, -F $fmt: flows differ"
		cat "$tmp/cmp-$fmt"
	fi
	grep -q "Sequence Errors: 0" "$dir.log" && ok ||
		fail "nfcapd counted sequence errors: $(grep Sequence "$dir.log")"
done

# TCP: one session per run; this collector checks the framing and decodes.
cat >"$tmp/collector.py" <<'EOF'
import ipaddress, json, socket, struct, sys
port_file, out_path, domain = sys.argv[1], sys.argv[2], int(sys.argv[3])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0)); srv.listen(1); srv.settimeout(30)
open(port_file, 'w').write(str(srv.getsockname()[1]))
conn, _ = srv.accept(); conn.settimeout(30)
data = b''
while True:
    b = conn.recv(65536)
    if not b: break
    data += b
errors, flows, templates, off, nrec, msgs = [], [], {}, 0, 0, 0
NAMES = {(8, 0): 'sa', (12, 0): 'da', (27, 0): 'sa', (28, 0): 'da', (7, 0): 'sp', (11, 0): 'dp',
         (4, 0): 'pr', (152, 0): 'first', (153, 0): 'last', (2, 0): 'pkts', (1, 0): 'bytes',
         (2, 29305): 'rpkts', (1, 29305): 'rbytes', (6, 0): 'flags', (6, 29305): 'rflags',
         (239, 0): 'dir', (136, 0): 'reason'}
while off < len(data):
    ver, length, _, seq, dom = struct.unpack('>HHIII', data[off:off + 16])
    if ver != 10: errors.append(f'message {msgs}: version {ver}')
    if dom != domain: errors.append(f'message {msgs}: domain {dom}')
    if seq != nrec: errors.append(f'message {msgs}: sequence {seq}, want {nrec}')
    p, end = off + 16, off + length
    while p < end:
        sid, slen = struct.unpack('>HH', data[p:p + 4])
        body, p = data[p + 4:p + slen], p + slen
        if sid == 2:
            if msgs != 0: errors.append(f'templates again in message {msgs} over TCP')
            q = 0
            while q < len(body):
                tid, n = struct.unpack('>HH', body[q:q + 4]); q += 4
                fields = []
                for _ in range(n):
                    fid, flen = struct.unpack('>HH', body[q:q + 4]); q += 4
                    pen = 0
                    if fid & 0x8000:
                        pen = struct.unpack('>I', body[q:q + 4])[0]; q += 4
                    fields.append((fid & 0x7fff, pen, flen))
                templates[tid] = fields
        else:
            t = templates.get(sid)
            if t is None:
                errors.append(f'data set {sid} before its template'); continue
            size, q = sum(f[2] for f in t), 0
            while q + size <= len(body):
                rec = {}
                for fid, pen, flen in t:
                    v = body[q:q + flen]; q += flen
                    name = NAMES.get((fid, pen))
                    rec[name] = str(ipaddress.ip_address(v)) if name in ('sa', 'da') else int.from_bytes(v, 'big')
                flows.append(rec); nrec += 1
    off, msgs = end, msgs + 1
if msgs == 0: errors.append('no message')
json.dump({'errors': errors, 'flows': flows, 'messages': msgs}, open(out_path, 'w'))
EOF
cap=$caps/real-ether.pcap
python3 "$tmp/collector.py" "$tmp/tcp.port" "$tmp/tcp.json" 9 &
colpid=$!
for _ in $(seq 50); do [ -s "$tmp/tcp.port" ] && break; sleep 0.1; done
"$exe" --builtin-services --no-progress -F jsonl -r "$cap" --ipfix "127.0.0.1:$(cat "$tmp/tcp.port")" \
	--ipfix-transport tcp --ipfix-domain 9 >"$tmp/tcp-want.jsonl" 2>"$tmp/tcp.err"
rc=$?
wait "$colpid"
if [ "$rc" -eq 0 ] && python3 - "$tmp/tcp.json" "$tmp/tcp-want.jsonl" <<'EOF'; then ok; else fail "tcp: exit $rc $(cat "$tmp/tcp.err")"; fi
import json, sys
got = json.load(open(sys.argv[1]))
for e in got['errors']: print(e)
want = [json.loads(l) for l in open(sys.argv[2])]
want = [c for c in want if c['kind'] == 'connection']
key = lambda c: (c['client']['ip'], c['client']['port'], c['server']['ip'], c['server']['port'],
                 c['packets']['client'], c['ip_bytes']['client'], c['packets']['server'],
                 c['ip_bytes']['server'])
w = sorted(key(c) for c in want)
g = sorted((f['sa'], f['sp'], f['da'], f['dp'], f['pkts'], f['bytes'], f['rpkts'], f['rbytes'])
           for f in got['flows'])
if w != g: print('flows differ', w, g)
assert not got['errors'] and w == g and all(f['dir'] == 1 for f in got['flows'])
print(f"tcp: {len(g)} flows in {got['messages']} message(s), templates once, sequence numbers right")
EOF

# An unreachable TCP collector is an error before anything is read (exit 5);
# a malformed target is a usage error (exit 2).
dead=$(free_port tcp)
"$exe" -r "$cap" --ipfix "127.0.0.1:$dead" --ipfix-transport tcp >/dev/null 2>"$tmp/dead.err"
rc=$?
[ "$rc" -eq 5 ] && grep -q "cannot reach the collector" "$tmp/dead.err" && ok ||
	fail "unreachable TCP collector: exit $rc: $(cat "$tmp/dead.err")"
"$exe" -r "$cap" --ipfix "127.0.0.1:99999" >/dev/null 2>"$tmp/bad.err"
rc=$?
[ "$rc" -eq 2 ] && ok || fail "bad --ipfix target: exit $rc: $(cat "$tmp/bad.err")"

# A UDP port where nothing listens: the kernel answers with ICMP port
# unreachable, which a connected UDP socket reports as ECONNREFUSED.
closed=$(free_port udp)
"$exe" -r "$cap" -F json -o "$tmp/refused.json" --ipfix "127.0.0.1:$closed" 2>"$tmp/refused.err"
rc=$?
if [ "$rc" -eq 5 ] && [ "$(grep -c . "$tmp/refused.err")" -eq 1 ] &&
	grep -q "^sockscope: warning: ipfix: 127.0.0.1:$closed: .*port unreachable" "$tmp/refused.err" &&
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/refused.json"; then
	ok
else
	fail "UDP to a closed port: exit $rc (want 5 and one warning line): $(cat "$tmp/refused.err")"
fi

# A stalled TCP collector: accepts, never reads, a 4 KiB receive buffer.
# 100,000 flows make ~6.7 MB of IPFIX, more than the kernel's send buffer
# (up to 4 MiB) and sockscope's queue take, so the export must wait on it.
if [ -z "$gen" ]; then
	echo "skip stalled collector: no gen-capture given"
else
	"$gen" --packets 400000 --flows 100000 -o "$tmp/many.pcap" >/dev/null 2>&1 ||
		fail "gen-capture failed"
	# json: the export runs on the main thread after the whole input;
	# jsonl: on the writer thread while packets are read.
	for fmt in json jsonl; do
		rm -f "$tmp/stalled.port"
		python3 "$here/stalled-collector.py" "$tmp/stalled.port" &
		stpid=$!
		for _ in $(seq 50); do [ -s "$tmp/stalled.port" ] && break; sleep 0.1; done
		start=$(date +%s)
		timeout -s KILL 150 "$exe" --no-progress -r "$tmp/many.pcap" -F "$fmt" \
			-o "$tmp/stalled.$fmt" --ipfix "127.0.0.1:$(cat "$tmp/stalled.port")" \
			--ipfix-transport tcp 2>"$tmp/stalled.err"
		rc=$?
		took=$(( $(date +%s) - start ))
		kill "$stpid" 2>/dev/null; wait "$stpid" 2>/dev/null
		if [ "$rc" -eq 5 ] && [ "$(grep -c . "$tmp/stalled.err")" -eq 1 ] &&
			grep -q "^sockscope: warning: ipfix: 127.0.0.1:[0-9]*: the collector took no data for 10 s" "$tmp/stalled.err" &&
			python3 -c '
import json, sys
if sys.argv[1].endswith("jsonl"):
    lines = [json.loads(l) for l in open(sys.argv[1])]
    conns = [l for l in lines if l["kind"] == "connection"]
    summary = lines[-1]
    assert summary["kind"] == "summary"
else:
    r = json.load(open(sys.argv[1]))
    conns, summary = r["connections"], r["summary"]
assert len(conns) == 100000, len(conns)
assert any("took no data" in w for w in summary["warnings"])' "$tmp/stalled.$fmt"; then
			ok
			echo "stalled TCP collector, -r -F $fmt: exit 5 after ${took} s, report written"
		else
			fail "stalled TCP collector, -r -F $fmt: exit $rc after ${took} s: $(head -c 600 "$tmp/stalled.err")"
		fi
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
