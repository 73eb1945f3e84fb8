#!/usr/bin/python3
"""Crafted encapsulations around real traffic, cross-checked with tshark.

Usage: check-encap.py SOCKSCOPE CAPTURE   (CAPTURE: captures/real-ether.pcap)

The Linux kernel here has no Geneve, GRE, ERSPAN, IPIP, GTP-U, MPLS or PPPoE
driver, so scapy (Debian's python3-scapy, importable by /usr/bin/python3
only) wraps every packet of a real capture -- made by the kernel between two
namespaces by scripts/make-captures.sh -- in each encapsulation, keeping the
timestamps.  For every crafted file:
  - tshark must decode the encapsulation on every packet (its display
    filter for that protocol matches them all), so the bytes are what the
    RFCs say, not what sockscope happens to expect;
  - the inner transport 5-tuples tshark sees (the last IP and TCP/UDP layer
    of each packet) must be those of sockscope's connection records;
  - sockscope's connections (client, server, outcome) must be those of the
    real capture itself, each with the tunnel type and id it was wrapped in;
    Geneve and VXLAN wrap everything twice, in two VNIs, with the same
    inner addresses: two tenants, so every connection twice, never merged;
  - every finding about a server of the real capture (refused,
    unanswered...) comes once per tunnel id, with the real capture's
    count (not the tenants' sum), the id in its "tunnel" and its statement
    naming it after the server ("10.77.0.2:9 (vxlan 42)");
  - no connection or listener is the tunnel's outer UDP port; the outer
    flows are "tunnel" records instead, one per id, whose packets and bytes
    add up to the crafted file's and whose connection counts are the inner
    records';
  - a datagram to the VXLAN port that is not VXLAN stays ordinary UDP;
  - a port scan in VNI 42 hides (in the text report) only its own probes
    and ports, not a refused connection to a scanned address in VNI 43;
  - a server silent in two VNIs (one-sided capture) is named with each VNI;
  - MPLS records name the whole label stack tshark reads, not only its
    bottom label, in jsonl and in the text, markdown and html reports;
  - every other finding kind that can arise in an overlay (SYN and SYN-ACK
    retransmissions, slow handshakes, tuple and TIME_WAIT reuse, churn,
    simultaneous open, ICMP errors, a port both listened on and connected
    from, a sweep, port exhaustion) crafted in VXLAN 42 and 43 with the same
    inner addresses: one finding per tenant with its own count and tunnel,
    named in the statement and the next step, in jsonl and json.
Exits 77 when scapy or tshark is missing.  Prints "ok NAME" / "FAIL NAME".
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    from scapy.all import (ICMP, IP, IPv6, TCP, UDP, Dot1AD, Dot1Q, Ether, GRE, PPP, PPPoE,
                           rdpcap, wrpcap)
    from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III
    from scapy.contrib.geneve import GENEVE
    from scapy.contrib.gtp import GTP_U_Header
    from scapy.contrib.mpls import MPLS
    from scapy.layers.vxlan import VXLAN
except ImportError as e:
    print(f"SKIP: scapy not importable by {sys.executable}: {e}")
    sys.exit(77)
if shutil.which("tshark") is None:
    print("SKIP: tshark is not installed")
    sys.exit(77)

OUT_MAC = dict(src="02:99:00:00:00:01", dst="02:99:00:00:00:02")
O4 = dict(src="192.0.2.1", dst="192.0.2.2")
O6 = dict(src="2001:db8::1", dst="2001:db8::2")


def inner_ip(frame):
    return frame.payload  # the IPv4/IPv6 packet of an Ethernet frame


def eth_proto(frame):
    return 0x0800 if frame.haslayer(IP) else 0x86DD


# name -> (tshark filter proving the encapsulation, sockscope type, vni,
#          wrap(frame) -> list of frames, extra sockscope args)
def wrap_geneve(f):
    return [Ether(**OUT_MAC) / IP(**O4) / UDP(sport=40000 + vni, dport=6081) /
            GENEVE(vni=vni, proto=0x6558) / f for vni in (100, 200)]


def wrap_gre_key(f):
    return [Ether(**OUT_MAC) / IP(**O4) / GRE(key_present=1, key=7, proto=eth_proto(f)) /
            inner_ip(f)]


def wrap_erspan2(f):
    return [Ether(**OUT_MAC) / IP(**O4) / GRE(seqnum_present=1, seqence_number=1, proto=0x88BE) /
            ERSPAN_II(ver=1, session_id=5, vlan=0) / f]   # scapy's default ver is 0


def wrap_ipip6(f):
    nh = 4 if f.haslayer(IP) else 41
    return [Ether(**OUT_MAC, type=0x86DD) / IPv6(**O6, nh=nh) / inner_ip(f)]


def wrap_ipip4(f):
    proto = 4 if f.haslayer(IP) else 41
    return [Ether(**OUT_MAC) / IP(**O4, proto=proto) / inner_ip(f)]


def wrap_gre_teb(f):
    return [Ether(**OUT_MAC) / IP(**O4) / GRE(proto=0x6558) / f]


def wrap_erspan3(f):
    return [Ether(**OUT_MAC) / IP(**O4) / GRE(seqnum_present=1, seqence_number=1, proto=0x22EB) /
            ERSPAN_III(ver=2, session_id=9, vlan=0) / f]


def wrap_gtpu(f):
    return [Ether(**OUT_MAC) / IP(**O4) / UDP(sport=2152, dport=2152) /
            GTP_U_Header(teid=0x1234, gtp_type=255) / inner_ip(f)]


def wrap_mpls(f):
    inner = inner_ip(f)
    return [Ether(**OUT_MAC, type=0x8847) / MPLS(label=100, s=0, ttl=64) /
            MPLS(label=200, s=1, ttl=64) / inner]


def wrap_pppoe(f):
    proto = 0x0021 if f.haslayer(IP) else 0x0057
    return [Ether(**OUT_MAC) / Dot1AD(vlan=10) / Dot1Q(vlan=20) /
            PPPoE(sessionid=0x42) / PPP(proto=proto) / inner_ip(f)]


def wrap_vxlan_2(f):
    return [Ether(**OUT_MAC) / IP(**O4) / UDP(sport=40000 + vni, dport=4789) /
            VXLAN(vni=vni, flags=0x08) / f for vni in (42, 43)]


def wrap_vxlan_port(f):
    return [Ether(**OUT_MAC) / IP(**O4) / UDP(sport=40000, dport=9999) /
            VXLAN(vni=77, flags=0x08) / f]


CASES = [
    # name, tshark filter, tunnel type, vnis, wrap, sockscope args, tshark args
    ("geneve-2-tenants", "geneve", "geneve", [100, 200], wrap_geneve, [], []),
    ("vxlan-2-tenants", "vxlan", "vxlan", [42, 43], wrap_vxlan_2, [], []),
    ("gre-key", "gre.key", "gre", [7], wrap_gre_key, [], []),
    ("erspan2", "erspan", "erspan", [5], wrap_erspan2, [], []),
    ("gre-teb", "gre.proto == 0x6558", "gre", [None], wrap_gre_teb, [], []),
    ("erspan3", "erspan", "erspan", [9], wrap_erspan3, [], []),
    ("ipip-4in4-6in4", "ip.proto == 4 or ip.proto == 41", "ipip", [None], wrap_ipip4, [], []),
    ("ipip-4in6-6in6", "ipv6 and (ip or ipv6.nxt == 41)", "ipip", [None], wrap_ipip6, [], []),
    ("gtpu", "gtp", "gtpu", [0x1234], wrap_gtpu, [], []),
    ("mpls", "mpls.bottom == 1", "mpls", [200], wrap_mpls, [], []),
    ("pppoe-qinq", "pppoes and vlan", "pppoe", [0x42], wrap_pppoe, [], []),
    ("vxlan-port-9999", "vxlan", "vxlan", [77], wrap_vxlan_port,
     ["--tunnel-port", "vxlan=9999"], ["-d", "udp.port==9999,vxlan"]),
]


def sockscope(exe, path, args=()):
    proc = subprocess.run([exe, "--builtin-services", "-F", "jsonl", *args, "-r", path],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"sockscope exit {proc.returncode}: {proc.stderr.strip()}")
    return [json.loads(line) for line in proc.stdout.splitlines()]


def conn_key(o):
    c, s = o["client"], o["server"]
    return (o["proto"], c["ip"], c["port"], s["ip"], s["port"], o["outcome"])


def tshark_tuples(path, targs):
    """The innermost IP + TCP/UDP 5-tuple of each packet, direction-free."""
    fields = ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
              "udp.srcport", "udp.dstport", "icmp.type", "icmpv6.type", "frame.protocols"]
    cmd = ["tshark", "-n", "-r", path, *targs, "-T", "fields", "-E", "occurrence=l"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    tuples = set()
    for line in out.splitlines():
        v = line.split("\t")
        # The innermost IP header decides which family's last addresses count.
        layers = v[10].split(":")
        last_ip = max((i for i, p in enumerate(layers) if p in ("ip", "ipv6")), default=-1)
        src, dst = (v[0], v[1]) if last_ip >= 0 and layers[last_ip] == "ip" else (v[2], v[3])
        if v[8] or v[9]:
            continue  # ICMP errors: their ports are the quoted flow's
        if v[4]:
            proto, sp, dp = "tcp", int(v[4]), int(v[5])
        elif v[6]:
            proto, sp, dp = "udp", int(v[6]), int(v[7])
        else:
            continue
        tuples.add((proto,) + tuple(sorted([(src, sp), (dst, dp)])))
    return tuples


def tshark_count(path, display_filter, targs):
    out = subprocess.run(["tshark", "-n", "-r", path, *targs, "-Y", display_filter],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return len(out.splitlines())


def check_labels(path, conns):
    """Every MPLS record names the whole label stack, top first, as tshark
    reads it from the packets (not only the bottom label, its vni)."""
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a",
                          "-E", "aggregator=,", "-e", "mpls.label"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    stacks = {tuple(int(x) for x in line.split(",")) for line in out.split() if line}
    problems = []
    for o in conns:
        got = o["tunnel"].get("labels")
        if got is None or tuple(got) not in stacks or got[-1] != o["tunnel"]["vni"]:
            problems.append(f"labels {got} (vni {o['tunnel']['vni']}), tshark's stacks {stacks}")
            break
    return problems


def finding_key(o):
    s = o["server"]
    return (o["id"], o["proto"], o["client"], s["ip"], s["port"], o["count"])


def check_findings(findings, ref, ttype, vnis):
    """The real capture's findings about a server, once per tenant, each
    with its own count and virtual network."""
    problems = []
    want = collections.Counter()
    for o in ref:
        if o["server"] is not None:
            for v in vnis:
                want[finding_key(o) + (ttype, v)] += 1
    got = collections.Counter()
    for o in findings:
        if o["server"] is None:
            continue
        t = o.get("tunnel") or {}
        got[finding_key(o) + (t.get("type"), t.get("vni"))] += 1
        sfx = f" ({ttype} {t['vni']})" if t.get("vni") is not None else f" ({ttype})"
        if t and sfx not in o["statement"]:
            problems.append(f"statement does not name {sfx.strip()}: {o['statement']}")
    if not want:
        problems.append("the real capture has no finding about a server to compare")
    if got != want:
        problems.append(f"findings per tenant differ: missing {dict(want - got)}, "
                        f"unexpected {dict(got - want)}")
    return problems


def check_tunnels(tunnels, ttype, vnis, pkts, conns_each):
    """The outer flows as tunnel records: one per id, every crafted packet
    and byte in one of them, each carrying all the real capture's
    connections."""
    problems = []
    if sorted(t["vni"] for t in tunnels if t["vni"] is not None) != \
            sorted(v for v in vnis if v is not None) or len(tunnels) != len(vnis):
        problems.append(f"tunnel records {[(t['type'], t['vni']) for t in tunnels]}, "
                        f"want one {ttype} per id {vnis}")
    for t in tunnels:
        if t["type"] != ttype or t["connections"] != conns_each:
            problems.append(f"tunnel record {t}: want type {ttype}, {conns_each} connections")
    if sum(t["packets"] for t in tunnels) != len(pkts) or \
            sum(t["bytes"] for t in tunnels) != sum(len(bytes(p)) for p in pkts):
        problems.append(f"tunnel records count {sum(t['packets'] for t in tunnels)} packets, "
                        f"{sum(t['bytes'] for t in tunnels)} bytes; the file has {len(pkts)}, "
                        f"{sum(len(bytes(p)) for p in pkts)}")
    return problems


def check_not_vxlan(exe, frames, tmp):
    """VXLAN on 4789 beside datagrams to 4789 that are not VXLAN (no I flag):
    those are one ordinary UDP exchange, and the tunnel record counts only the
    VXLAN packets."""
    path = os.path.join(tmp, "vxlan-and-not.pcap")
    pkts = []
    for f in frames:
        w = Ether(**OUT_MAC) / IP(**O4) / UDP(sport=40001, dport=4789) / VXLAN(vni=5, flags=0x08) / f
        w.time = f.time
        pkts.append(w)
    bogus = []
    for i, (src, dst, sport, dport) in enumerate([("198.51.100.1", "198.51.100.2", 41000, 4789),
                                                  ("198.51.100.2", "198.51.100.1", 4789, 41000)]):
        b = Ether(**OUT_MAC) / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / \
            (b"\x00" * 8 + b"not vxlan")
        b.time = frames[0].time + i
        bogus.append(b)
    wrpcap(path, sorted(pkts + bogus, key=lambda p: p.time))
    out = sockscope(exe, path)
    inner = sum(1 for o in out if o["kind"] == "connection" and "tunnel" in o)
    problems = check_tunnels([o for o in out if o["kind"] == "tunnel"], "vxlan", [5], pkts, inner)
    plain = [o for o in out if o["kind"] == "connection" and "tunnel" not in o]
    if len(plain) != 1 or plain[0]["proto"] != "udp" or plain[0]["server"]["port"] != 4789 or \
            plain[0]["packets"] != {"client": 1, "server": 1}:
        problems.append(f"not-VXLAN datagrams as records {plain}, want one UDP exchange "
                        f"to 198.51.100.2:4789")
    if problems:
        return False, "FAIL vxlan-and-not\n     " + "\n     ".join(problems)
    return True, f"ok   vxlan-and-not: {len(pkts)} VXLAN packets in one tunnel, 2 other datagrams UDP"


def check_scan_tenants(exe, tmp):
    """10.0.0.5 scans 20 TCP ports of 10.0.0.9 in VXLAN 42 (all refused);
    in VXLAN 43 the same client is refused once on one of those ports.
    The scan is tenant 42's: tenant 43's refused connection and closed
    port stay listed in the text report."""
    mac = dict(src="02:42:00:00:00:01", dst="02:42:00:00:00:02")
    pkts, t = [], 1700000000.0

    def add(vni, inner):
        nonlocal t
        p = (Ether(**OUT_MAC) / IP(**O4) / UDP(sport=40000 + vni, dport=4789) /
             VXLAN(vni=vni, flags=0x08) / Ether(**mac) / inner)
        p.time = t
        t += 0.01
        pkts.append(p)

    def probe(vni, port, sport):
        add(vni, IP(src="10.0.0.5", dst="10.0.0.9") / TCP(sport=sport, dport=port, flags="S",
                                                           seq=1000))
        add(vni, IP(src="10.0.0.9", dst="10.0.0.5") / TCP(sport=port, dport=sport, flags="RA",
                                                           seq=0, ack=1001))
    for i in range(20):
        probe(42, 1000 + i, 50000 + i)
    probe(43, 1000, 51000)
    path = os.path.join(tmp, "scan-2-tenants.pcap")
    wrpcap(path, pkts)
    problems = []
    n = tshark_count(path, "vxlan and tcp.flags.reset == 1", [])
    if n != 21:
        problems.append(f"tshark sees {n} RSTs in VXLAN, want 21")
    out = sockscope(exe, path)
    fs = {(o["id"], o["tunnel"]["vni"], o["count"]) for o in out if o["kind"] == "finding"}
    if fs != {("port_scan", 42, 20), ("refused", 43, 1)}:
        problems.append(f"findings (id, vni, count) {sorted(fs)}, want port_scan 42 20, "
                        "refused 43 1")
    text = subprocess.run([exe, "--builtin-services", "-r", path], capture_output=True,
                          text=True, timeout=120).stdout
    for want in ("vxlan 43  10.0.0.5:51000  ->  10.0.0.9:1000  rejected",
                 "(20 refused or unanswered probes of the scans",
                 "tcp    vxlan 43  10.0.0.9:1000  -        closed",
                 "(20 closed or filtered ports that only the scans"):
        if want not in text:
            problems.append(f"text report lacks {want!r}")
    if problems:
        return False, "FAIL scan-2-tenants\n     " + "\n     ".join(problems)
    return True, "ok   scan-2-tenants: tenant 43's refused connection and port listed"


def check_one_sided_tenants(exe, tmp):
    """Only the client's packets of one connection to 10.0.0.9:80 in each
    of VXLAN 42 and 43: the one-sided finding names the silent server once
    per tenant, with its VNI, not twice as the same bare address."""
    mac = dict(src="02:42:00:00:00:01", dst="02:42:00:00:00:02")
    pkts, t = [], 1700000000.0
    for vni in (42, 43):
        c = IP(src="10.0.0.5", dst="10.0.0.9")
        for tcp in (TCP(sport=50000, dport=80, flags="S", seq=1000),
                    TCP(sport=50000, dport=80, flags="A", seq=1001, ack=5001),
                    TCP(sport=50000, dport=80, flags="PA", seq=1001, ack=5001) / b"GET /\r\n",
                    TCP(sport=50000, dport=80, flags="FA", seq=1008, ack=5001)):
            p = (Ether(**OUT_MAC) / IP(**O4) / UDP(sport=40000 + vni, dport=4789) /
                 VXLAN(vni=vni, flags=0x08) / Ether(**mac) / c / tcp)
            p.time = t
            t += 0.01
            pkts.append(p)
    path = os.path.join(tmp, "one-sided-2-tenants.pcap")
    wrpcap(path, pkts)
    problems = []
    n = tshark_count(path, "vxlan and ip.src == 10.0.0.5 and tcp", [])
    if n != 8:
        problems.append(f"tshark sees {n} inner client packets, want 8")
    fs = [o for o in sockscope(exe, path) if o["kind"] == "finding"
          and o["id"] == "one_sided_capture"]
    st = fs[0]["statement"] if len(fs) == 1 else ""
    for want in ("10.0.0.9 (vxlan 42) (the server, 1 connection)",
                 "10.0.0.9 (vxlan 43) (the server, 1 connection)"):
        if want not in st:
            problems.append(f"one_sided_capture statement lacks {want!r}: {st!r}")
    if problems:
        return False, "FAIL one-sided-2-tenants\n     " + "\n     ".join(problems)
    return True, "ok   one-sided-2-tenants: the silent server named once per VNI"


# ---- reports for people: MPLS label stacks (issue 12) -----------------------

def check_people_mpls(exe, tmp):
    """MPLS on the link: a refused connection under the stack 16004/100, one
    under 16005/200, and tenant 300 reached under two stacks (16004/300,
    16005/300).  The text report's connection rows, the Tunnels table of
    text, markdown and html, and each finding's example line name the whole
    stack tshark reads, top first, not only the bottom label; a tunnel whose
    stacks vary says so instead of naming one."""
    mac = dict(src="02:42:00:00:00:01", dst="02:42:00:00:00:02")
    pkts, t = [], 1700000000.0
    stacks = [(16004, 100), (16005, 200), (16004, 300), (16005, 300)]
    for i, stack in enumerate(stacks):
        for inner in (IP(src="10.0.0.5", dst="10.0.0.9") /
                      TCP(sport=50000 + i, dport=81, flags="S", seq=1000),
                      IP(src="10.0.0.9", dst="10.0.0.5") /
                      TCP(sport=81, dport=50000 + i, flags="RA", seq=0, ack=1001)):
            p = Ether(**mac, type=0x8847)
            for j, label in enumerate(stack):
                p = p / MPLS(label=label, s=int(j == len(stack) - 1), ttl=64)
            p = p / inner
            p.time = t
            t += 0.01
            pkts.append(p)
    path = os.path.join(tmp, "mpls-people.pcap")
    wrpcap(path, pkts)
    problems = []
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a",
                          "-E", "aggregator=,", "-e", "mpls.label"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    seen = sorted({line.replace(",", "/") for line in out.split()})
    want_stacks = sorted({"/".join(map(str, s)) for s in stacks})
    if seen != want_stacks:
        problems.append(f"tshark reads stacks {seen}, want {want_stacks}")
    reports = {fmt: subprocess.run([exe, "--builtin-services", "-F", fmt, "-r", path],
                                   capture_output=True, text=True, timeout=120).stdout
               for fmt in ("text", "markdown", "html")}
    text = reports["text"]
    for st in ("16004/100", "16005/200", "16004/300", "16005/300"):
        if f"mpls {st}  10.0.0.5:" not in text:
            problems.append(f"text connection row lacks 'mpls {st}'")
    for fmt, rep in reports.items():
        for want in ("mpls 16004/100", "mpls 16005/200", "mpls 300 (label stacks vary)"):
            # the Tunnels table: one row per tenant
            if want not in rep:
                problems.append(f"{fmt} report lacks {want!r}")
        # each refused finding's example line names its record's stack
        for st in ("16004/100", "16005/200"):
            if f"(mpls {st})" not in rep:
                problems.append(f"{fmt} finding example lacks '(mpls {st})'")
    # the machine formats' tunnel records carry the same stacks
    for fmt in ("jsonl", "json"):
        out = subprocess.run([exe, "--builtin-services", "-F", fmt, "-r", path],
                             capture_output=True, text=True, timeout=120).stdout
        recs = (json.loads(out).get("tunnels", []) if fmt == "json" else
                [r for r in map(json.loads, out.splitlines()) if r.get("kind") == "tunnel"])
        got = sorted((r.get("vni"), tuple(r["labels"]) if r.get("labels") else None,
                      r.get("labels_vary")) for r in recs)
        want = [(100, (16004, 100), False), (200, (16005, 200), False), (300, None, True)]
        if got != want:
            problems.append(f"{fmt} tunnel records {got}, want {want}")
    if problems:
        return False, "FAIL mpls-people\n     " + "\n     ".join(problems)
    return True, "ok   mpls-people: the whole label stack in text, markdown, html and the json/jsonl tunnel records"


# ---- every finding kind, two tenants (issue 12) -----------------------------
# Each kind of finding that can arise in an overlay, crafted with scapy in
# VXLAN 42 and 43 around the same inner addresses (10.0.0.5 -> 10.0.0.9),
# with a different count per tenant: the finding must come once per tenant
# with that tenant's count, its tunnel, the tunnel named in its statement and
# next step, in jsonl and json.  A key without the virtual network merges the
# two tenants into one finding whose count is their sum (or their union), so
# each case fails then.  tshark counts each case's telling packets per VNI.

FC, FS = "10.0.0.5", "10.0.0.9"


def _tcp(src, dst, sport, dport, flags, seq=0, ack=0, load=b""):
    p = IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
    return p / load if load else p


def _handshake(t, sport, dport, isn=1000, rtt=0.001, src=FC, dst=FS):
    """SYN, SYN-ACK, ACK: [(time, packet)], and the time after it."""
    return [(t, _tcp(src, dst, sport, dport, "S", isn)),
            (t + rtt, _tcp(dst, src, dport, sport, "SA", 5000, isn + 1)),
            (t + rtt + 0.001, _tcp(src, dst, sport, dport, "A", isn + 1, 5001))], t + rtt + 0.002


def _close(t, sport, dport, isn=1000, src=FC, dst=FS):
    return [(t, _tcp(src, dst, sport, dport, "FA", isn + 1, 5001)),
            (t + 0.001, _tcp(dst, src, dport, sport, "FA", 5001, isn + 2)),
            (t + 0.002, _tcp(src, dst, sport, dport, "A", isn + 2, 5002))], t + 0.003


def fk_syn_retx(n):
    out, t = [], 0.0
    for i in range(n):
        out.append((t, _tcp(FC, FS, 41000 + i, 80, "S", 1000)))
        hs, t = _handshake(t + 1.0, 41000 + i, 80)
        out += hs
    return out


def fk_synack(n):
    out, t = [], 0.0
    for i in range(n):
        hs, t2 = _handshake(t, 41000 + i, 80)
        out += hs[:2] + [(t + 1.0, hs[1][1].copy()), (t + 1.001, hs[2][1])]
        t += 1.1
    return out


def fk_slow(n):
    out, t = [], 0.0
    for i in range(n):
        hs, t = _handshake(t, 41000 + i, 80, rtt=0.5)
        out += hs
    return out


def fk_tw_reuse(n):
    out, t = [], 0.0
    for i in range(n):
        hs, t = _handshake(t, 41000 + i, 80)
        cl, t = _close(t, 41000 + i, 80)
        hs2, t = _handshake(t + 1.0, 41000 + i, 80, isn=90000)
        out += hs + cl + hs2
    return out


def fk_reuse(n):
    out, t = [], 0.0
    for i in range(n):
        out.append((t, _tcp(FC, FS, 41000 + i, 80, "S", 1000)))
        out.append((t + 0.001, _tcp(FS, FC, 80, 41000 + i, "RA", 0, 1001)))
        hs, t = _handshake(t + 1.0, 41000 + i, 80, isn=90000)
        out += hs
    return out


def fk_churn(n):
    out, t = [], 0.0
    for i in range(n):
        hs, t = _handshake(t, 41000 + i, 80)
        cl, t = _close(t, 41000 + i, 80)
        out += hs + cl
    return out


def fk_simul(n):
    out, t = [], 0.0
    for i in range(n):
        a, b = 6000 + i, 7000   # one (client, server socket): one group
        out += [(t, _tcp(FC, FS, a, b, "S", 1000)), (t + 0.001, _tcp(FS, FC, b, a, "S", 5000)),
                (t + 0.002, _tcp(FC, FS, a, b, "SA", 1000, 5001)),
                (t + 0.003, _tcp(FS, FC, b, a, "SA", 5000, 1001))]
        t += 0.01
    return out


def fk_icmp(n):
    out, t = [], 0.0
    for i in range(n):
        hs, t = _handshake(t, 41000 + i, 80)
        data = _tcp(FC, FS, 41000 + i, 80, "PA", 1001, 5001, b"x" * 1400)
        err = IP(src="10.0.0.1", dst=FC) / ICMP(type=3, code=4, nexthopmtu=1400) / \
            bytes(data)[:28]
        out += hs + [(t, data), (t + 0.001, err)]
        t += 0.01
    return out


def fk_dual(n):
    """10.0.0.9 listens on 8080.. and connects from the same ports."""
    out, t = [], 0.0
    for i in range(n):
        hs, t = _handshake(t, 41000 + i, 8080 + i)
        hs2, t = _handshake(t, 8080 + i, 443, src=FS, dst="10.0.0.7")
        out += hs + hs2
    return out


def fk_sweep(n):
    out, t = [], 0.0
    for i in range(n):
        dst = f"10.0.1.{i + 1}"
        out += [(t, _tcp(FC, dst, 41000 + i, 22, "S", 1000)),
                (t + 0.001, _tcp(dst, FC, 22, 41000 + i, "RA", 0, 1001))]
        t += 0.01
    return out


def fk_exhaustion(n):
    """n handshakes in under 60 s from sequential ports 1025.. (Windows'
    old range, 1025-5000): over half of it towards one server socket."""
    out, t = [], 0.0
    for i in range(n):
        out += [(t, _tcp(FC, FS, 1025 + i, 80, "S", 1000)),
                (t + 0.0005, _tcp(FS, FC, 80, 1025 + i, "SA", 5000, 1001))]
        t += 0.01
    return out


# id, builder, (count in VXLAN 42, in VXLAN 43), tshark filter of the telling
# packets, how many of them one count unit has
FINDING_KINDS = [
    ("syn_retransmits", fk_syn_retx, (3, 2),
     "tcp.flags.syn == 1 and tcp.flags.ack == 0", 2),
    ("repeated_synack", fk_synack, (3, 2), "tcp.flags.syn == 1 and tcp.flags.ack == 1", 2),
    ("slow_handshake", fk_slow, (3, 2), "tcp.flags.syn == 1 and tcp.flags.ack == 1", 1),
    ("time_wait_reuse", fk_tw_reuse, (3, 2), "tcp.flags.syn == 1 and tcp.flags.ack == 0", 2),
    ("tuple_reuse", fk_reuse, (3, 2), "tcp.flags.reset == 1", 1),
    ("connection_churn", fk_churn, (23, 21), "tcp.flags.fin == 1", 2),
    ("simultaneous_open", fk_simul, (3, 2), "tcp.flags.syn == 1 and tcp.flags.ack == 0", 2),
    ("icmp_errors", fk_icmp, (3, 2), "icmp.type == 3 and icmp.code == 4", 1),
    ("listen_and_connect_same_port", fk_dual, (3, 2),
     "tcp.flags == 0x002 and tcp.srcport >= 8080 and tcp.srcport < 8090", 1),
    ("port_sweep", fk_sweep, (20, 17), "tcp.flags.reset == 1", 1),
    ("ephemeral_exhaustion_risk", fk_exhaustion, (2100, 2000),
     "tcp.flags.syn == 1 and tcp.flags.ack == 0", 1),
]


def tshark_vnis(path, display_filter):
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", f"vxlan and ({display_filter})",
                          "-T", "fields", "-e", "vxlan.vni"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    return collections.Counter(int(v) for v in out.split())


def sockscope_json_findings(exe, path):
    proc = subprocess.run([exe, "--builtin-services", "-F", "json", "-r", path],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"sockscope -F json exit {proc.returncode}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)["findings"]


def check_finding_kind(exe, tmp, fid, build, counts, tfilter, per_unit):
    mac = dict(src="02:42:00:00:00:01", dst="02:42:00:00:00:02")
    pkts, base = [], 1700000000.0
    for vni, n in zip((42, 43), counts):
        for off, inner in build(n):
            p = (Ether(**OUT_MAC) / IP(**O4) / UDP(sport=40000 + vni, dport=4789) /
                 VXLAN(vni=vni, flags=0x08) / Ether(**mac) / inner)
            p.time = base + off + (0.0005 if vni == 43 else 0)
            pkts.append(p)
    pkts.sort(key=lambda p: p.time)
    path = os.path.join(tmp, f"finding-{fid}.pcap")
    wrpcap(path, pkts)
    problems = []
    seen = tshark_vnis(path, tfilter)
    want_t = collections.Counter({42: counts[0] * per_unit, 43: counts[1] * per_unit})
    if seen != want_t:
        problems.append(f"tshark counts {dict(seen)} '{tfilter}' per VNI, want {dict(want_t)}")
    want = {("vxlan", 42, counts[0]), ("vxlan", 43, counts[1])}
    for fmt, fs in (("jsonl", [o for o in sockscope(exe, path) if o["kind"] == "finding"]),
                    ("json", sockscope_json_findings(exe, path))):
        mine = [o for o in fs if o["id"] == fid]
        got = {((o.get("tunnel") or {}).get("type"), (o.get("tunnel") or {}).get("vni"),
                o["count"]) for o in mine}
        if got != want or len(mine) != 2:
            problems.append(f"{fmt}: {fid} (tunnel, vni, count) {sorted(got, key=str)}, "
                            f"want {sorted(want)}")
            continue
        for o in mine:
            name = f"vxlan {o['tunnel']['vni']}"
            if f"({name})" not in o["statement"]:
                problems.append(f"{fmt}: statement does not name ({name}): {o['statement']}")
            if name not in o["next_step"]:
                problems.append(f"{fmt}: next step does not name {name}: {o['next_step']}")
    if problems:
        return False, f"FAIL finding-2-tenants {fid}\n     " + "\n     ".join(problems)
    return True, (f"ok   finding-2-tenants {fid}: {counts[0]} in vxlan 42, {counts[1]} in "
                  f"vxlan 43 (jsonl, json)")


def check_finding_kinds(exe, tmp):
    return [check_finding_kind(exe, tmp, *k) for k in FINDING_KINDS]


def main():
    exe, real = sys.argv[1], sys.argv[2]
    frames = rdpcap(real)
    ref_out = sockscope(exe, real)
    ref = [o for o in ref_out if o["kind"] == "connection"]
    ref_findings = [o for o in ref_out if o["kind"] == "finding"]
    ref_keys = collections.Counter(conn_key(o) for o in ref)
    passed = failed = 0
    tmp = tempfile.mkdtemp(prefix="sockscope-encap.")
    try:
        for name, tfilter, ttype, vnis, wrap, sargs, targs in CASES:
            path = os.path.join(tmp, name + ".pcap")
            pkts = []
            for f in frames:
                for w in wrap(f):
                    w.time = f.time
                    pkts.append(w)
            wrpcap(path, pkts)
            problems = []
            n = tshark_count(path, tfilter, targs)
            if n != len(pkts):
                problems.append(f"tshark decodes {tfilter} in {n} of {len(pkts)} packets")
            out = sockscope(exe, path, sargs)
            conns = [o for o in out if o["kind"] == "connection"]
            got = collections.Counter(conn_key(o) for o in conns)
            want = collections.Counter({k: v * len(vnis) for k, v in ref_keys.items()})
            if got != want:
                problems.append(f"connections differ from the real capture's: "
                                f"missing {dict(want - got)}, unexpected {dict(got - want)}")
            per_vni = collections.Counter()
            for o in conns:
                t = o.get("tunnel")
                if not t or t["type"] != ttype:
                    problems.append(f"record without {ttype} context: {o.get('tunnel')}")
                    break
                per_vni[t["vni"]] += 1
            if per_vni != collections.Counter({v: len(ref) for v in vnis}):
                problems.append(f"records per id {dict(per_vni)}, want {len(ref)} for each of {vnis}")
            seen = {(o["proto"],) + tuple(sorted([(o["client"]["ip"], o["client"]["port"]),
                                                   (o["server"]["ip"], o["server"]["port"])]))
                    for o in conns}
            ts = tshark_tuples(path, targs)
            if ts != seen:
                problems.append(f"tshark's inner 5-tuples differ: only tshark {sorted(ts - seen)}, "
                                f"only sockscope {sorted(seen - ts)}")
            if ttype == "mpls":
                problems += check_labels(path, conns)
            problems += check_findings([o for o in out if o["kind"] == "finding"],
                                       ref_findings, ttype, vnis)
            tunnels = [o for o in out if o["kind"] == "tunnel"]
            problems += check_tunnels(tunnels, ttype, vnis, pkts, len(ref))
            tunnel_ports = {6081, 2152, 9999, 4789}
            for o in out:
                if o["kind"] == "listener" and o["port"] in tunnel_ports:
                    problems.append(f"tunnel port as listener: {o['ip']}:{o['port']}")
            if problems:
                failed += 1
                print(f"FAIL {name}")
                for p in problems:
                    print(f"     {p}")
            else:
                passed += 1
                print(f"ok   {name}: {len(pkts)} packets, {len(conns)} connections, "
                      f"{len(ts)} inner 5-tuples as tshark")
        for check in (check_not_vxlan(exe, frames, tmp), check_scan_tenants(exe, tmp),
                      check_one_sided_tenants(exe, tmp), check_people_mpls(exe, tmp),
                      *check_finding_kinds(exe, tmp)):
            ok, line = check
            print(line)
            passed, failed = passed + ok, failed + (not ok)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
