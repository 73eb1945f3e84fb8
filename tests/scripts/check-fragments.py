#!/usr/bin/python3
"""IP fragment reassembly for headers (src/decode/frag.c, docs/output.md
"Fragments"), on captures crafted with scapy and cross-checked with tshark
(which reassembles too) when it is installed.

Usage: check-fragments.py SOCKSCOPE WORKDIR

Each case writes a pcap, runs sockscope -F jsonl on it and checks the
connection records and the reason counters; where tshark can say the same
thing (a reassembled SYN, a datagram counted once) the case asks it too.
Exit 0 all passed, 1 a failure, 77 without scapy (Debian: python3-scapy,
importable by /usr/bin/python3 only)."""
import json
import os
import shutil
import subprocess
import sys

try:
    from scapy.all import IP, IPv6, IPv6ExtHdrFragment, TCP, UDP, Ether, Raw, wrpcap, fragment
except ImportError:
    print("SKIP: python3-scapy not importable by", sys.executable)
    sys.exit(77)

exe, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
tshark = shutil.which("tshark")
T0 = 1767225600
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
RMAC = dict(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
failed = 0


def run(name, pkts):
    path = os.path.join(work, name + ".pcap")
    for i, p in enumerate(pkts):
        p.time = T0 + i * 0.001
    wrpcap(path, pkts)
    proc = subprocess.run([exe, "--builtin-services", "-F", "jsonl", "-r", path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    lines = [json.loads(l) for l in proc.stdout.splitlines()]
    summary = lines[-1]
    reasons = {k: v for g in ("ignored", "truncated", "invalid")
               for k, v in summary[g].items() if v}
    conns = [l for l in lines if l["kind"] == "connection"]
    return path, proc.returncode, reasons, conns, summary


def tshark_count(path, display_filter):
    out = subprocess.run([tshark, "-r", path, "-Y", display_filter, "-T", "fields",
                          "-e", "frame.number"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return len(out.split())


def case(name, cond, detail):
    global failed
    if cond:
        print(f"ok   {name}")
    else:
        print(f"FAIL {name}: {detail}")
        failed += 1


def handshake_rest(ipcls, c, s, sport):
    return [Ether(**RMAC) / ipcls(src=s, dst=c) / TCP(sport=80, dport=sport, flags="SA", seq=5000, ack=1001),
            Ether(**MAC) / ipcls(src=c, dst=s) / TCP(sport=sport, dport=80, flags="A", seq=1001, ack=5001)]


# 1. A SYN whose TCP header (40 bytes with options) is split over two IPv4
#    fragments: 16 bytes, then 24 (a "tiny" first fragment, RFC 1858).
syn = IP(src="10.0.0.1", dst="10.0.0.2", id=777) / TCP(
    sport=40000, dport=80, flags="S", seq=1000,
    options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)])
raw = bytes(syn)
ihl = 20
f1 = IP(raw[:ihl])
f1.flags = "MF"
f1.frag = 0
f1.len = ihl + 16
f1.chksum = None
f1 = IP(bytes(f1)[:ihl] + raw[ihl:ihl + 16])
f2 = IP(src="10.0.0.1", dst="10.0.0.2", id=777, proto=6, frag=2) / Raw(raw[ihl + 16:])
path, rc, reasons, conns, s = run("syn-split-v4", [Ether(**MAC) / f1, Ether(**MAC) / f2] +
                                  handshake_rest(IP, "10.0.0.1", "10.0.0.2", 40000))
ok = (rc == 0 and len(conns) == 1 and conns[0]["outcome"] == "complete" and
      conns[0]["evidence"] == "syn" and conns[0]["tcp_options"]["client"]["mss"] == 1460 and
      reasons == {"frag_tiny": 1} and s["decoded"] == 3)
if ok and tshark:
    ok = tshark_count(path, "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.options.mss_val==1460") == 1
case("syn-split-v4", ok, f"exit {rc}, reasons {reasons}, conns {conns}")

# 2. The same over IPv6: a fragment header, the TCP header split 16 + 24.
syn6 = TCP(sport=40001, dport=80, flags="S", seq=1000,
           options=[("MSS", 1220), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)])
t6 = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / syn6)[40:]
g1 = IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(nh=6, offset=0, m=1, id=99) / Raw(t6[:16])
g2 = IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(nh=6, offset=2, m=0, id=99) / Raw(t6[16:])
path, rc, reasons, conns, s = run("syn-split-v6", [Ether(**MAC) / g1, Ether(**MAC) / g2] +
                                  handshake_rest(IPv6, "2001:db8::1", "2001:db8::2", 40001))
ok = (rc == 0 and len(conns) == 1 and conns[0]["outcome"] == "complete" and
      conns[0]["tcp_options"]["client"]["mss"] == 1220 and reasons == {"frag_tiny": 1} and s["decoded"] == 3)
if ok and tshark:
    ok = tshark_count(path, "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.options.mss_val==1220") == 1
case("syn-split-v6", ok, f"exit {rc}, reasons {reasons}, conns {conns}")

# 3. A 3000-byte UDP datagram in three fragments, last first: counted once
#    (one client packet), its header read from the first when it comes.
dg = IP(src="10.0.0.1", dst="10.0.0.2", id=4243) / UDP(sport=40030, dport=5000) / Raw(b"x" * 3000)
frags = fragment(dg, fragsize=1480)
reply = Ether(**RMAC) / IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=5000, dport=40030) / Raw(b"ok")
path, rc, reasons, conns, s = run("udp-reversed", [Ether(**MAC) / f for f in reversed(frags)] + [reply])
ok = (rc == 0 and len(conns) == 1 and conns[0]["packets"] == {"client": 1, "server": 1} and
      conns[0]["outcome"] == "answered" and reasons == {"ip_fragment": 2} and s["decoded"] == 2)
if ok and tshark:
    ok = tshark_count(path, "udp.srcport==40030") == 1
case("udp-reversed", ok, f"exit {rc}, reasons {reasons}, conns {conns}")

# 4. The same in order, with the middle fragment twice (an exact duplicate,
#    as a capture on two interfaces gives): ignored, still counted once.
path, rc, reasons, conns, s = run("udp-duplicate", [Ether(**MAC) / f for f in
                                                    (frags[0], frags[1], frags[1], frags[2])] + [reply])
case("udp-duplicate", rc == 0 and len(conns) == 1 and conns[0]["packets"]["client"] == 1 and
     reasons == {"ip_fragment": 3} and s["decoded"] == 2, f"exit {rc}, reasons {reasons}, conns {conns}")

# 5. Overlap (RFC 5722): a second fragment rewriting bytes 8..23 of the TCP
#    header (the classic flag-rewriting attack): the datagram is dropped.
tcp_bytes = raw[ihl:]
o1 = IP(src="10.0.0.1", dst="10.0.0.2", id=800, proto=6, flags="MF", frag=0) / Raw(tcp_bytes[:16])
o2 = IP(src="10.0.0.1", dst="10.0.0.2", id=800, proto=6, frag=1) / Raw(bytes(8) + tcp_bytes[16:])
path, rc, reasons, conns, s = run("overlap", [Ether(**MAC) / o1, Ether(**MAC) / o2])
case("overlap", rc == 0 and conns == [] and reasons == {"frag_tiny": 1, "frag_overlap": 1},
     f"exit {rc}, reasons {reasons}, conns {conns}")

# 6. Teardrop: the second fragment lies wholly inside the first.
d1 = IP(src="10.0.0.3", dst="10.0.0.2", id=801, proto=17, flags="MF", frag=0) / Raw(b"\0" * 48)
d2 = IP(src="10.0.0.3", dst="10.0.0.2", id=801, proto=17, frag=1) / Raw(b"\0" * 8)
path, rc, reasons, conns, s = run("teardrop", [Ether(**MAC) / d2, Ether(**MAC) / d1])
case("teardrop", rc == 0 and reasons == {"ip_fragment": 1, "frag_teardrop": 1} and conns == [],
     f"exit {rc}, reasons {reasons}, conns {conns}")

# 7. Ping of death: a fragment reaching beyond 65,535 bytes.
pod = IP(src="10.0.0.4", dst="10.0.0.2", id=802, proto=1, frag=8190) / Raw(b"\0" * 64)
path, rc, reasons, conns, s = run("oversize", [Ether(**MAC) / pod])
case("oversize", rc == 0 and reasons == {"frag_oversize": 1}, f"exit {rc}, reasons {reasons}")

# 8. 70 tiny fragments of one datagram: more than the 64 a datagram may
#    keep; the rest is frag_dropped (once), the datagram never decoded.
many = [Ether(**MAC) / IP(src="10.0.0.5", dst="10.0.0.2", id=803, proto=17, flags="MF", frag=i + 1) /
        Raw(b"\0" * 8) for i in range(70)]
path, rc, reasons, conns, s = run("too-many", many)
case("too-many", rc == 0 and reasons == {"ip_fragment": 69, "frag_dropped": 1} and conns == [],
     f"exit {rc}, reasons {reasons}")

print(f"{8 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
