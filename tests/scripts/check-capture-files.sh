#!/usr/bin/env bash
# Capture files as people bring them (docs/capture-files.md):
#   fd-limit     200 small captures in a directory tree under `ulimit -n 64`,
#                their packets interleaved so the merge goes round all of
#                them three times: every file read, every connection whole,
#                no warning (before the lazy opening, files were skipped
#                with "Too many open files")
#   tree         -r DIR takes subdirectories in name order, skips dotfiles;
#                -o onto a capture in one of them is refused
#   gzip-*       every bundled capture gzip-compressed gives the same report
#                (also through standard input); a cut .gz is exit 1
#   mergecap     a pcapng written by Wireshark's mergecap from an Ethernet
#                and a raw-IP capture (two interfaces, two link types): read
#                to the end, packet count equal to tshark's, the same
#                connections as the two files given with -r -r
#   dumpcap      a pcapng written by dumpcap capturing real TCP on three
#                interfaces of a network namespace made here (a veth, lo
#                and "any": Ethernet, Ethernet and Linux cooked), read to the
#                end and checked against tshark (needs root and ip netns)
# Steps whose tool is missing are skipped visibly; exit 77 if all were.
#
# Usage: check-capture-files.sh SOCKSCOPE CAPTURES_DIR
set -u
exe=$(realpath "$1")
caps=$(realpath "$2")
tmp=$(mktemp -d)
ns=ss-capf-$$
cleanup() {
	[ -n "${dumpcap_pid:-}" ] && kill "$dumpcap_pid" 2>/dev/null
	ip netns del "$ns-a" 2>/dev/null
	ip netns del "$ns-b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
passed=0
failed=0
skipped=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
skip() { echo "skip $1: $2"; skipped=$((skipped + 1)); }
py=/usr/bin/python3
[ -x $py ] || py=python3

run() {   # run OUT [sockscope args...]: jsonl to OUT, stderr to OUT.err, status in $rc
	local out=$1
	shift
	"$exe" --builtin-services --no-progress -F jsonl "$@" >"$out" 2>"$out.err"
	rc=$?
}

# Everything but the file names (the summary's inputs and warnings).
cat >"$tmp/norm.py" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] == "summary":
        for i in r["inputs"]:
            i.pop("name")
        r["warnings"] = [w.split(": ", 1)[1] for w in r["warnings"]]
    print(json.dumps(r, sort_keys=True))
EOF
summary() {   # summary FILE EXPR: prints EXPR evaluated on the summary object s
	$py -c "import json,sys; s=json.loads(open(sys.argv[1]).readlines()[-1]); print($2)" "$1"
}

# ---- fd-limit and tree: 200 captures, interleaved in time ----
$py - "$tmp/rot" <<'EOF'
import os, struct, sys
root = sys.argv[1]
T0 = 1767225600
def ip4(a): return bytes(int(x) for x in a.split('.'))
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def frame(src, dst, sport, dport, flags, seq, ack):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    iph = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 1, 0, 64, 6, 0, ip4(src), ip4(dst))
    iph = iph[:10] + struct.pack('!H', csum(iph)) + iph[12:]
    return b'\x02\0\0\0\0\2\x02\0\0\0\0\1\x08\0' + iph + tcp
os.makedirs(os.path.join(root, 'a'))
os.makedirs(os.path.join(root, 'b'))
open(os.path.join(root, '.partial.pcap'), 'wb').write(b'not a capture')
for i in range(200):
    sub = 'a' if i < 100 else 'b'
    port = 20000 + i
    pk = [frame('10.1.0.1', '10.1.0.2', port, 80, 0x02, 1000, 0),
          frame('10.1.0.2', '10.1.0.1', 80, port, 0x12, 5000, 1001),
          frame('10.1.0.1', '10.1.0.2', port, 80, 0x10, 1001, 5001)]
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for k, p in enumerate(pk):   # packet k of every file before packet k+1 of any
        out += struct.pack('<IIII', T0 + k, i, len(p), len(p)) + p
    open(os.path.join(root, sub, 'rot-%03d.pcap' % i), 'wb').write(out)
EOF
( ulimit -n 64 && exec "$exe" --builtin-services --no-progress -F jsonl -r "$tmp/rot" \
	-o "$tmp/fd.jsonl" ) 2>"$tmp/fd.err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$tmp/fd.err" ] &&
   [ "$(summary "$tmp/fd.jsonl" 's["packets"], len(s["inputs"]), s["tcp_connections"], len(s["warnings"])')" = "600 200 200 0" ] &&
   [ "$(grep '"kind":"connection"' "$tmp/fd.jsonl" | grep -c '"outcome":"complete"')" -eq 200 ]; then
	ok fd-limit
else
	fail fd-limit "exit $rc: $(head -c 300 "$tmp/fd.err") $(tail -1 "$tmp/fd.jsonl" | head -c 300)"
fi
# Name order through the tree: a/rot-000 first, b/rot-199 last; no dotfile
# (.partial.pcap is never read: its name appears nowhere in the report).
first=$(summary "$tmp/fd.jsonl" 's["inputs"][0]["name"]')
last=$(summary "$tmp/fd.jsonl" 's["inputs"][-1]["name"]')
if [ "$first" = "$tmp/rot/a/rot-000.pcap" ] && [ "$last" = "$tmp/rot/b/rot-199.pcap" ] &&
   ! grep -q "\.partial\.pcap" "$tmp/fd.jsonl"; then
	ok tree
else
	fail tree "first $first, last $last"
fi

# -o onto a capture in a subdirectory of a -r DIR: refused (exit 2), the
# capture untouched.
cp "$tmp/rot/b/rot-150.pcap" "$tmp/keep.pcap"
"$exe" -F json -r "$tmp/rot" -o "$tmp/rot/b/rot-150.pcap" >/dev/null 2>"$tmp/o.err"
rc=$?
if [ $rc -eq 2 ] && cmp -s "$tmp/keep.pcap" "$tmp/rot/b/rot-150.pcap"; then
	ok output-in-subdir
else
	fail output-in-subdir "exit $rc: $(cat "$tmp/o.err")"
fi

# ---- gzip ----
if command -v gzip >/dev/null; then
	n=0
	bad=
	for f in "$caps"/*.pcap "$caps"/*.pcapng; do
		gzip -c "$f" >"$tmp/z.gz"
		run "$tmp/plain" -r "$f"
		rc_plain=$rc
		run "$tmp/gz" -r "$tmp/z.gz"
		if [ $rc -ne $rc_plain ] ||
		   ! cmp -s <($py "$tmp/norm.py" "$tmp/plain") <($py "$tmp/norm.py" "$tmp/gz"); then
			bad="$bad $(basename "$f")"
		fi
		n=$((n + 1))
	done
	[ -z "$bad" ] && [ $n -gt 10 ] && ok "gzip-files ($n captures)" || fail gzip-files "differ:$bad"

	gzip -c "$caps/real-ether.pcap" | "$exe" --builtin-services -F jsonl -r - >"$tmp/stdin" 2>/dev/null
	run "$tmp/plain" -r "$caps/real-ether.pcap"
	cmp -s <($py "$tmp/norm.py" "$tmp/plain") <($py "$tmp/norm.py" "$tmp/stdin") &&
		ok gzip-stdin || fail gzip-stdin "differs from the plain file"

	gzip -c "$caps/real-ether.pcap" >"$tmp/full.gz"
	head -c $(( $(wc -c <"$tmp/full.gz") / 2 )) "$tmp/full.gz" >"$tmp/cut.pcap.gz"
	run "$tmp/cut" -r "$tmp/cut.pcap.gz"
	if [ $rc -eq 1 ] && grep -q "cut.pcap.gz: reading stopped after [0-9]* packets" "$tmp/cut.err" &&
	   [ "$(summary "$tmp/cut" 's["packets"] > 0')" = True ]; then
		ok gzip-cut
	else
		fail gzip-cut "exit $rc: $(cat "$tmp/cut.err")"
	fi
else
	skip gzip "gzip not installed"
fi

# ---- mergecap: Ethernet + raw IP in one pcapng ----
if command -v mergecap >/dev/null && command -v tshark >/dev/null; then
	mergecap -F pcapng -w "$tmp/merged.pcapng" "$caps/real-ether.pcap" "$caps/crafted-raw.pcap"
	want=$(tshark -r "$tmp/merged.pcapng" -T fields -e frame.interface_id 2>/dev/null | wc -l)
	links=$(tshark -r "$tmp/merged.pcapng" -T fields -e frame.interface_id 2>/dev/null | sort -u | wc -l)
	run "$tmp/m" -r "$tmp/merged.pcapng"
	run "$tmp/two" -r "$caps/real-ether.pcap" -r "$caps/crafted-raw.pcap"
	got=$(summary "$tmp/m" 's["packets"]')
	types=$(summary "$tmp/m" '" ".join(i["link_type"] for i in s["inputs"])')
	if [ $rc -eq 0 ] && [ "$links" -eq 2 ] && [ "$got" = "$want" ] && [ "$types" = "EN10MB RAW" ] &&
	   cmp -s <(grep -v '"kind":"summary"' "$tmp/m") <(grep -v '"kind":"summary"' "$tmp/two"); then
		ok "mergecap ($got packets, tshark $want)"
	else
		fail mergecap "exit $rc, packets $got (tshark $want), interfaces $links, inputs $types"
	fi
else
	skip mergecap "mergecap or tshark not installed (Debian: wireshark-common, tshark)"
fi

# ---- dumpcap on three interfaces of a namespace ----
dumpcap_step() {
	command -v dumpcap >/dev/null && command -v tshark >/dev/null ||
		{ skip dumpcap "dumpcap or tshark not installed (Debian: wireshark-common, tshark)"; return; }
	[ "$(id -u)" -eq 0 ] || { skip dumpcap "needs root for network namespaces"; return; }
	ip netns add "$ns-a" 2>/dev/null && ip netns add "$ns-b" 2>/dev/null &&
		ip netns exec "$ns-a" true 2>/dev/null ||
		{ skip dumpcap "ip netns does not work here"; return; }
	ip link add "$ns-x" type veth peer name "$ns-y" 2>/dev/null &&
	ip link set "$ns-x" netns "$ns-a" && ip link set "$ns-y" netns "$ns-b" &&
	ip -n "$ns-a" addr add 10.79.0.1/24 dev "$ns-x" && ip -n "$ns-b" addr add 10.79.0.2/24 dev "$ns-y" &&
	ip -n "$ns-a" link set "$ns-x" up && ip -n "$ns-b" link set "$ns-y" up &&
	ip -n "$ns-a" link set lo up && ip -n "$ns-b" link set lo up ||
		{ fail dumpcap "cannot set up the veth pair"; return; }
	cat >"$tmp/net.py" <<'EOF'
import socket, sys, time
if sys.argv[1] == 'serve':           # serve ADDR PORT N READY
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[2], int(sys.argv[3]))); s.listen(8); s.settimeout(20)
    open(sys.argv[5], 'w').close()
    for _ in range(int(sys.argv[4])):
        c, _ = s.accept(); c.sendall(c.recv(100)); c.close()
else:                                # connect ADDR PORT N
    for _ in range(int(sys.argv[4])):
        c = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5)
        c.sendall(b'ping'); c.recv(100); c.close(); time.sleep(0.05)
EOF
	ip netns exec "$ns-b" timeout 30 $py "$tmp/net.py" serve 10.79.0.2 8080 3 "$tmp/ready-b" &
	ip netns exec "$ns-a" timeout 30 $py "$tmp/net.py" serve 127.0.0.1 9090 2 "$tmp/ready-a" &
	ip netns exec "$ns-a" timeout 30 dumpcap -q -i "$ns-x" -i lo -i any -w "$tmp/dc.pcapng" \
		2>"$tmp/dc.err" &
	dumpcap_pid=$!
	for _ in $(seq 100); do
		[ -e "$tmp/ready-a" ] && [ -e "$tmp/ready-b" ] && [ -s "$tmp/dc.pcapng" ] && break
		sleep 0.1
	done
	sleep 1   # dumpcap opens its interfaces after writing the file header
	ip netns exec "$ns-a" $py "$tmp/net.py" connect 10.79.0.2 8080 3 &&
	ip netns exec "$ns-a" $py "$tmp/net.py" connect 127.0.0.1 9090 2 ||
		{ fail dumpcap "the clients failed"; return; }
	sleep 0.5
	kill -INT "$dumpcap_pid"
	wait "$dumpcap_pid" 2>/dev/null
	dumpcap_pid=
	wait
	want=$(tshark -r "$tmp/dc.pcapng" -T fields -e frame.interface_id 2>/dev/null | wc -l)
	ifs=$(tshark -r "$tmp/dc.pcapng" -T fields -e frame.interface_id 2>/dev/null | sort -u | wc -l)
	run "$tmp/dc" -r "$tmp/dc.pcapng"
	got=$(summary "$tmp/dc" 's["packets"]')
	types=$(summary "$tmp/dc" '" ".join(sorted(set(i["link_type"] for i in s["inputs"])))')
	# 5 connections, each seen on its own interface and on "any": complete
	# records for both servers (the copies on "any" merge into them).
	n8080=$(grep -c '"server":{"ip":"10.79.0.2","port":8080}.*"outcome":"complete"' "$tmp/dc")
	n9090=$(grep -c '"server":{"ip":"127.0.0.1","port":9090}.*"outcome":"complete"' "$tmp/dc")
	if [ $rc -eq 0 ] && [ "$ifs" -eq 3 ] && [ "$got" = "$want" ] && [ "$want" -gt 0 ] &&
	   { [ "$types" = "EN10MB LINUX_SLL" ] || [ "$types" = "EN10MB LINUX_SLL2" ]; } && [ "$n8080" -ge 3 ] && [ "$n9090" -ge 2 ]; then
		ok "dumpcap ($got packets on $ifs interfaces, tshark $want)"
	else
		fail dumpcap "exit $rc, packets $got (tshark $want), interfaces $ifs, link types '$types'," \
			" complete 8080: $n8080, 9090: $n9090; $(head -c 300 "$tmp/dc.err")"
	fi
}
dumpcap_step

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] || exit 1
[ $passed -gt 0 ] || exit 77
exit 0
