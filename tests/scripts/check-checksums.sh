#!/usr/bin/env bash
# TCP and UDP checksums of real traffic, over IPv4 and IPv6, judged against
# tshark's own validation (docs/output.md "Checksums").  Two namespaces and
# a veth; the same exchanges (a TCP connection and a UDP query and answer,
# each over IPv4 and IPv6) captured twice on the server's side:
#   1. with the veth's checksum offload on (its default): the kernel leaves
#      the pseudo-header sum for a NIC that never comes, so tshark calls
#      those packets bad; sockscope must count every one of them `partial`
#      and none `bad` (and give no Zeek letter C);
#   2. with offload off (ethtool -K tx off): the kernel's own checksums, all
#      `ok`, as tshark says;
#   3. capture 2 with one TCP data segment and one UDP datagram corrupted
#      by scapy (a flipped payload byte, checksum left as it was): `bad` 2,
#      the same two packets tshark calls bad, and Zeek's letter C / c in
#      those connections' history (-F zeek-json).
#
# Usage: check-checksums.sh SOCKSCOPE
# Needs root, ip netns, tcpdump, ethtool, tshark and /usr/bin/python3 with
# scapy (exit 77 otherwise).  Traffic stays in ss-csum-c / ss-csum-s
# (10.86.0.0/24, fd00:86::/64), removed on exit.
set -u
. "$(dirname "$0")/lib-netns.sh"   # checks the arguments: sets exe
command -v ethtool >/dev/null 2>&1 || skip "ethtool is not installed (Debian package ethtool)"
command -v tshark >/dev/null 2>&1 || skip "tshark is not installed (Debian package tshark)"
"$python" -c 'import scapy' 2>/dev/null || skip "python3-scapy is not installed"

ns_setup ss-csum 10.86.0
ip -n "$ns_c" addr add fd00:86::1/64 dev ss-csum-vc nodad
ip -n "$ns_s" addr add fd00:86::2/64 dev ss-csum-vs nodad
ip netns exec "$ns_c" ping -6 -c 1 -W 2 fd00:86::2 >/dev/null 2>&1

# The server: TCP on 8086 and UDP on 5386, both families, answering once.
ip netns exec "$ns_s" "$python" -c '
import socket, select
socks = []
for fam, addr in ((socket.AF_INET, "10.86.0.2"), (socket.AF_INET6, "fd00:86::2")):
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 8086)); t.listen(8); socks.append(t)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, 5386)); socks.append(u)
print("ready", flush=True)
while True:
    r, _, _ = select.select(socks, [], [], 60)
    if not r:
        break
    for s in r:
        if s.type == socket.SOCK_DGRAM:
            d, a = s.recvfrom(2048)
            s.sendto(b"answer:" + d, a)
        else:
            c, _ = s.accept()
            c.recv(2048)
            c.sendall(b"hello from the server\n" * 20)
            c.close()
' >"$tmp/server.out" &
ns_pids+=($!)
for _ in $(seq 50); do grep -q ready "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$tmp/server.out" || { echo "FAIL server did not start"; exit 1; }

traffic() {
	ip netns exec "$ns_c" "$python" -c '
import socket
for fam, addr in ((socket.AF_INET, "10.86.0.2"), (socket.AF_INET6, "fd00:86::2")):
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect((addr, 8086))
    c.sendall(b"query from the client " * 10)
    while c.recv(4096):
        pass
    c.close()
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.settimeout(5)
    u.sendto(b"a datagram from the client", (addr, 5386))
    u.recvfrom(2048)
' || { echo "FAIL client traffic"; exit 1; }
}

offload() {   # offload on|off: checksum and segmentation offload of both ends
	ip netns exec "$ns_c" ethtool -K ss-csum-vc tx "$1" gso "$1" tso "$1" >/dev/null 2>&1 &&
	ip netns exec "$ns_s" ethtool -K ss-csum-vs tx "$1" gso "$1" tso "$1" >/dev/null 2>&1 ||
		skip "ethtool -K does not work on a veth here"
}

offload on
ns_capture_start "$tmp/offload.pcap" tcp or udp
traffic
ns_capture_stop "$tmp/offload.pcap"
offload off
ns_capture_start "$tmp/real.pcap" tcp or udp
traffic
ns_capture_stop "$tmp/real.pcap"

# 3: corrupt the first client TCP segment with data and the first client
# UDP datagram of the IPv4 exchanges, leaving their checksums as they were
"$python" - "$tmp/real.pcap" "$tmp/corrupt.pcap" <<'PY' || exit 1
import sys
from scapy.all import rdpcap, wrpcap, IP, TCP, Raw
pkts = rdpcap(sys.argv[1])
done = set()
for p in pkts:
    if IP in p and p[IP].src == "10.86.0.1" and Raw in p:
        kind = "tcp" if TCP in p else "udp"
        if kind in done:
            continue
        # the read checksum is kept as a set field: scapy does not redo it
        load = bytearray(p[Raw].load)
        load[-1] ^= 0x5a
        p[Raw].load = bytes(load)
        done.add(kind)
if done != {"tcp", "udp"}:
    sys.exit("FAIL nothing to corrupt: %s" % sorted(done))
wrpcap(sys.argv[2], pkts)
PY

verdicts() {   # verdicts FILE: tshark's bad and good counts, TCP and UDP
	tshark -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -r "$1" -T fields \
		-e tcp.checksum.status -e udp.checksum.status 2>/dev/null
}
for f in offload real corrupt; do
	verdicts "$tmp/$f.pcap" >"$tmp/$f.tshark"
	"$exe" -r "$tmp/$f.pcap" -F json -o "$tmp/$f.json" 2>"$tmp/err" ||
		{ echo "FAIL sockscope $f exited $?: $(cat "$tmp/err")"; exit 1; }
	"$exe" -r "$tmp/$f.pcap" -F zeek-json -o "$tmp/$f.zeek" 2>"$tmp/err" ||
		{ echo "FAIL sockscope zeek-json $f exited $?: $(cat "$tmp/err")"; exit 1; }
done
"$python" - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
bad = []
def tshark(name):
    # status per packet: 0 bad, 1 good, 2 unverified (tcp, udp columns)
    n = {"tcp": {"bad": 0, "good": 0}, "udp": {"bad": 0, "good": 0}}
    for line in open("%s/%s.tshark" % (tmp, name)):
        cols = line.rstrip("\n").split("\t")
        for proto, col in zip(("tcp", "udp"), cols):
            v = col.split(",")[-1]
            if v == "0":
                n[proto]["bad"] += 1
            elif v == "1":
                n[proto]["good"] += 1
    return n
def sums(name):
    return json.load(open("%s/%s.json" % (tmp, name)))["summary"]["checksums"]
def histories(name):
    return [json.loads(l) for l in open("%s/%s.zeek" % (tmp, name))]
for name in ("offload", "real", "corrupt"):
    t, s = tshark(name), sums(name)
    print("%s: tshark %s; sockscope %s" % (name, t, s))
    for proto in ("tcp", "udp"):
        want_partial = t[proto]["bad"] if name == "offload" else 0
        want_bad = 0 if name == "offload" else t[proto]["bad"]
        if s[proto]["partial"] != want_partial:
            bad.append("%s %s: partial %d, tshark's bad %d" % (name, proto, s[proto]["partial"],
                                                              want_partial))
        if s[proto]["bad"] != want_bad:
            bad.append("%s %s: bad %d, expected %d" % (name, proto, s[proto]["bad"], want_bad))
        if s[proto]["ok"] != t[proto]["good"]:
            bad.append("%s %s: ok %d, tshark's good %d" % (name, proto, s[proto]["ok"],
                                                          t[proto]["good"]))
        if s[proto]["unverified"] != 0:
            bad.append("%s %s: %d unverified" % (name, proto, s[proto]["unverified"]))
    if name == "offload" and t["tcp"]["bad"] == 0:
        bad.append("offload capture: no offloaded checksum (tshark finds none bad)")
    if name == "real" and (t["tcp"]["bad"] or t["udp"]["bad"] or not t["tcp"]["good"]):
        bad.append("real capture: tshark finds bad checksums %s" % t)
    if name == "corrupt" and (t["tcp"]["bad"], t["udp"]["bad"]) != (1, 1):
        bad.append("corrupt capture: tshark finds %s bad, expected 1 TCP, 1 UDP" % t)
    fams = {r["id.resp_h"] for r in histories(name)}
    if fams != {"10.86.0.2", "fd00:86::2"}:
        bad.append("%s: servers %s, expected both families" % (name, sorted(fams)))
    for r in histories(name):
        has_c = "C" in r["history"] or "c" in r["history"]
        want_c = name == "corrupt" and r["id.resp_h"] == "10.86.0.2"
        if has_c != want_c:
            bad.append("%s %s %s: history %s" % (name, r["proto"], r["id.resp_h"], r["history"]))
if bad:
    print("FAIL " + "; ".join(bad))
    sys.exit(1)
print("ok checksums: offload partial, kernel's ok, corrupted bad, as tshark says")
PY
rc=$?
if [ $rc -ne 0 ]; then
	# What to look at next time (seen once, in CI on 2026-12-07: tshark
	# called one packet of the kernel's own traffic bad, sockscope ok): the
	# packets tshark calls bad, with their bytes, and sockscope's verdicts
	# on the same files.
	for f in real corrupt; do
		echo "-- $f.pcap: packets tshark calls bad"
		tshark -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -r "$tmp/$f.pcap" \
			-Y 'tcp.checksum.status == 0 || udp.checksum.status == 0' -T fields \
			-e frame.number -e frame.len -e frame.cap_len -e ip.src -e ipv6.src \
			-e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.len -e tcp.checksum \
			-e tcp.checksum_calculated -e udp.checksum -e udp.checksum_calculated 2>&1
		tshark -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -r "$tmp/$f.pcap" -x \
			-Y 'tcp.checksum.status == 0 || udp.checksum.status == 0' 2>&1 | head -80
	done
fi
exit $rc
