#!/usr/bin/env bash
# Live capture on Linux's netfilter log (`-i nflog:GROUP`, docs/live.md):
# two network namespaces this script makes, an nftables rule in the server
# one copying every TCP/UDP/ICMP packet in and out to NFLOG groups 7 and 8,
# real connections over the veth pair.  sockscope captures group 7 live,
# tcpdump group 8 into a file (one listener per group: the kernel allows no
# more).  The live report must hold the connections the client made (its
# source ports, from getsockname), with their outcomes; sockscope on
# tcpdump's file must give the same records; tshark must see the same
# 5-tuples in that file.  A BPF filter on nflog is one clear line, exit 2
# (libpcap compiles none for that link type).
#
# Usage: check-nflog.sh SOCKSCOPE
# Needs root, ip netns, tcpdump, nft, tshark, /usr/bin/python3 and the
# kernel's nfnetlink_log (exit 77 otherwise).  Traffic stays inside
# ss-nf-c / ss-nf-s (10.84.0.0/24), removed on exit.
set -u
. "$(dirname "$0")/lib-netns.sh"   # checks the arguments: sets exe

command -v nft >/dev/null 2>&1 || skip "nft is not installed (Debian package nftables)"
command -v tshark >/dev/null 2>&1 || skip "tshark is not installed (Debian package tshark)"
if [ ! -e /proc/net/netfilter/nfnetlink_log ]; then
	modprobe nfnetlink_log 2>/dev/null
	[ -e /proc/net/netfilter/nfnetlink_log ] ||
		skip "the kernel has no nfnetlink_log (NFLOG): no /proc/net/netfilter/nfnetlink_log"
fi

ns_setup ss-nf 10.84.0
ip netns exec "$ns_s" nft -f - <<'EOF' 2>"$tmp/nft.err" || skip "nft cannot add a log group rule here: $(cat "$tmp/nft.err")"
table inet ssnflog {
	chain in {
		type filter hook input priority 0;
		meta l4proto { tcp, udp, icmp } log group 7 log group 8
	}
	chain out {
		type filter hook output priority 0;
		meta l4proto { tcp, udp, icmp } log group 7 log group 8
	}
}
EOF
ns_server 8080

ip netns exec "$ns_s" "$exe" -i nflog:7 --duration 60 -F jsonl -o "$tmp/live.jsonl" \
	2>"$tmp/live.err" &
live_pid=$!
ns_pids+=("$live_pid")
ip netns exec "$ns_s" tcpdump -i nflog:8 -U -w "$tmp/ref.pcap" 2>"$tmp/tcpdump.err" &
cap_pid=$!
ns_pids+=("$cap_pid")
for _ in $(seq 50); do
	grep -q '^sockscope: capturing on' "$tmp/live.err" && grep -q 'listening on' "$tmp/tcpdump.err" &&
		break
	sleep 0.1
done
if ! grep -q '^sockscope: capturing on nflog:7, link type NFLOG' "$tmp/live.err"; then
	echo "FAIL live-start: $(cat "$tmp/live.err")"
	exit 1
fi
grep -q 'listening on' "$tmp/tcpdump.err" || { echo "FAIL tcpdump: $(cat "$tmp/tcpdump.err")"; exit 1; }

# three answered connections, one refused (RST), one UDP datagram to a
# closed port (ICMP port unreachable)
ns_connect 3 8080 >"$tmp/ports" || { echo "FAIL client"; exit 1; }
ip netns exec "$ns_c" "$python" -c '
import socket, sys
c = socket.socket()
c.settimeout(2)
try:
    c.connect((sys.argv[1], 9))
except OSError:
    pass
print(c.getsockname()[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"x", (sys.argv[1], 5999))
print(u.getsockname()[1])
' "$ip_s" >"$tmp/ports-other" || { echo "FAIL client"; exit 1; }
sleep 1
ns_capture_stop "$tmp/ref.pcap"
kill -INT "$live_pid"
wait "$live_pid"
rc=$?

fail=0
if [ $rc -ne 0 ]; then
	echo "FAIL live: exit $rc: $(cat "$tmp/live.err")"
	fail=1
fi
"$exe" -F jsonl -r "$tmp/ref.pcap" >"$tmp/ref.jsonl" 2>"$tmp/ref.err" ||
	{ echo "FAIL sockscope -r on tcpdump's file: $(cat "$tmp/ref.err")"; fail=1; }
tshark -n -r "$tmp/ref.pcap" -T fields -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport \
	-e udp.srcport -e udp.dstport -e icmp.type >"$tmp/tshark.tsv" 2>"$tmp/tshark.err" ||
	{ echo "FAIL tshark: $(cat "$tmp/tshark.err")"; fail=1; }

"$python" - "$tmp" "$ip_c" "$ip_s" <<'PY' || fail=1
import json, sys
tmp, ip_c, ip_s = sys.argv[1:]
def records(name):
    return [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]
def conns(recs):
    return sorted((o["proto"], o["client"]["ip"], o["client"]["port"], o["server"]["ip"],
                   o["server"]["port"], o["outcome"]) for o in recs if o["kind"] == "connection")
live, ref = records("live"), records("ref")
ports = [int(p) for p in open(f"{tmp}/ports").read().split()]
refused, udp = [int(p) for p in open(f"{tmp}/ports-other").read().split()]
want = sorted([("tcp", ip_c, p, ip_s, 8080, "complete") for p in ports] +
              [("tcp", ip_c, refused, ip_s, 9, "rejected"),
               ("udp", ip_c, udp, ip_s, 5999, "rejected")])
bad = []
s = next(o for o in live if o["kind"] == "summary")
if s["inputs"][0]["link_type"] != "NFLOG":
    bad.append(f"live input link type {s['inputs'][0]['link_type']}")
if conns(live) != want:
    bad.append(f"live records {conns(live)}, want (from the sockets) {want}")
if conns(ref) != conns(live):
    bad.append(f"tcpdump's file gives {conns(ref)}, live {conns(live)}")
seen = set()
for line in open(f"{tmp}/tshark.tsv"):
    v = line.rstrip("\n").split("\t")
    if v[6]:
        continue                      # ICMP: its ports are the quoted flow's
    proto, sp, dp = ("tcp", v[2], v[3]) if v[2] else ("udp", v[4], v[5])
    seen.add((proto,) + tuple(sorted([(v[0], int(sp)), (v[1], int(dp))])))
mine = {(c[0],) + tuple(sorted([(c[1], c[2]), (c[3], c[4])])) for c in conns(live)}
if seen != mine:
    bad.append(f"tshark's 5-tuples {sorted(seen)}, sockscope's {sorted(mine)}")
if bad:
    print("FAIL nflog-live: " + "; ".join(bad))
    sys.exit(1)
print(f"ok nflog-live: {len(want)} connections as the sockets made them, "
      f"{s['packets']} packets, same as tcpdump's file and tshark")
PY

# A filter cannot be compiled for NFLOG: one line, a usage error.
ip netns exec "$ns_s" "$exe" -i nflog:7 --duration 1 -F jsonl -o /dev/null tcp 2>"$tmp/filter.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(grep -c . "$tmp/filter.err")" -eq 1 ] &&
	grep -q '^sockscope: nflog:7: libpcap cannot filter NFLOG captures' "$tmp/filter.err"; then
	echo "ok nflog-filter: exit 2, one line"
else
	echo "FAIL nflog-filter: exit $rc (want 2): $(cat "$tmp/filter.err")"
	fail=1
fi
exit $fail
