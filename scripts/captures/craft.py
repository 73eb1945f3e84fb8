#!/usr/bin/python3
"""Write the crafted (synthetic) test captures and their ground truth.

Usage: craft.py OUTDIR

Fully deterministic: fixed timestamps starting at 2026-01-01T00:00:00Z, fixed
sequence numbers, IP ids, MAC addresses and payloads.  scapy is only used to
build packet bytes (and compute checksums); the pcap files are written by the
small writer below so that byte order, link type and timestamp precision are
exactly what each file needs.

Addresses are from documentation / private ranges (10.0.0.0/8,
2001:db8::/32); nothing is ever sent, only written to files.
"""
import os
import struct
import sys

from scapy.all import (DNS, DNSQR, DNSRR, Dot1AD, Dot1Q, Ether, ICMP,
                       ICMPv6DestUnreach, IP, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, PadN, TCP, UDP, Raw, fragment)

T0 = 1767225600  # 2026-01-01T00:00:00Z
HEADER = "#record\tproto\tclient_ip\tclient_port\tserver_ip\tserver_port\toutcome"

MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_USER0 = 147
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229


# --------------------------------------------------------------------- writer
def write_pcap(path, linktype, packets, big_endian=False, snaplen=65535):
    """packets: list of (time_in_microseconds_since_T0, bytes)."""
    e = ">" if big_endian else "<"
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for us, data in packets:
            sec, usec = divmod(us, 1000000)
            f.write(struct.pack(e + "IIII", T0 + sec, usec, len(data), len(data)))
            f.write(data)


def write_truth(path, rows):
    with open(path, "w") as f:
        f.write(HEADER + "\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")


def conn(proto, cip, cport, sip, sport, outcome):
    return ("connection", proto, cip, cport, sip, sport, outcome)


def listener(proto, ip, port, state):
    return ("listener", proto, "-", "-", ip, port, state)


# --------------------------------------------------------------------- builders
class Clock:
    """Monotonic microsecond clock for laying packets out in time."""

    def __init__(self, start_us=-1000):  # first default step lands on T0
        self.t = start_us

    def __call__(self, step_us=1000):
        self.t += step_us
        return self.t


def ip_hdr(src, dst, ip_id=None, ext=None):
    if ":" in src:
        h = IPv6(src=src, dst=dst, hlim=64)
        for x in ext or []:
            h = h / x
        return h
    return IP(src=src, dst=dst, ttl=64, id=ip_id or 1, flags="DF")


def tcp_conversation(clock, cip, cport, sip, sport, isn_c, isn_s,
                     req=b"GET / HTTP/1.0\r\n\r\n", resp=b"HTTP/1.0 200 OK\r\n\r\nhi\n",
                     ext=None):
    """A short complete connection: handshake, request, response, FIN/FIN/ACK.
    Returns list of (time_us, direction, L3 packet); direction 'c2s' or 's2c'."""
    c, s = isn_c, isn_s
    out = []
    ipid = [0x100, 0x200]

    def pkt(direction, flags, seq, ack, payload=b"", opts=None):
        if direction == "c2s":
            ipid[0] += 1
            h = ip_hdr(cip, sip, ipid[0], ext)
            t = TCP(sport=cport, dport=sport, flags=flags, seq=seq, ack=ack,
                    window=64240, options=opts or [])
        else:
            ipid[1] += 1
            h = ip_hdr(sip, cip, ipid[1], ext)
            t = TCP(sport=sport, dport=cport, flags=flags, seq=seq, ack=ack,
                    window=65160, options=opts or [])
        p = h / t
        if payload:
            p = p / Raw(payload)
        out.append((clock(), direction, p))

    pkt("c2s", "S", c, 0, opts=[("MSS", 1460)])
    pkt("s2c", "SA", s, c + 1, opts=[("MSS", 1460)])
    pkt("c2s", "A", c + 1, s + 1)
    pkt("c2s", "PA", c + 1, s + 1, req)
    pkt("s2c", "PA", s + 1, c + 1 + len(req), resp)
    pkt("c2s", "FA", c + 1 + len(req), s + 1 + len(resp))
    pkt("s2c", "FA", s + 1 + len(resp), c + 2 + len(req))
    pkt("c2s", "A", c + 2 + len(req), s + 2 + len(resp))
    return out


def ether(direction, l3, macs=(MAC_C, MAC_S)):
    src, dst = macs if direction == "c2s" else macs[::-1]
    etype = 0x86DD if isinstance(l3, IPv6) else 0x0800
    return bytes(Ether(src=src, dst=dst, type=etype) / l3)


def eth_list(conv):
    return [(t, ether(d, p)) for t, d, p in conv]


# --------------------------------------------------------------------- captures
def simultaneous_open(out):
    a, ap, b, bp = "10.0.0.1", 40000, "10.0.0.2", 50000
    x, y = 1000, 5000
    clk = Clock()
    L = []

    def p(direction, flags, seq, ack, payload=b""):
        if direction == "c2s":
            q = IP(src=a, dst=b, id=0x11, flags="DF") / TCP(sport=ap, dport=bp, flags=flags, seq=seq, ack=ack, window=64240)
        else:
            q = IP(src=b, dst=a, id=0x22, flags="DF") / TCP(sport=bp, dport=ap, flags=flags, seq=seq, ack=ack, window=64240)
        if payload:
            q = q / Raw(payload)
        L.append((clk(), ether(direction, q)))

    p("c2s", "S", x, 0)            # A: SYN
    p("s2c", "S", y, 0)            # B: SYN (crosses A's SYN)
    p("c2s", "SA", x, y + 1)       # A: SYN-ACK for B's SYN
    p("s2c", "SA", y, x + 1)       # B: SYN-ACK for A's SYN
    p("c2s", "A", x + 1, y + 1)
    p("s2c", "A", y + 1, x + 1)
    p("c2s", "PA", x + 1, y + 1, b"hello\n")
    p("s2c", "PA", y + 1, x + 7, b"hi\n")
    p("c2s", "FA", x + 7, y + 4)
    p("s2c", "FA", y + 4, x + 8)
    p("c2s", "A", x + 8, y + 5)
    write_pcap(os.path.join(out, "crafted-simultaneous-open.pcap"), LINKTYPE_ETHERNET, L)
    # No side listened: there is no listener line.  The side whose SYN is
    # first in the file is written as the client.
    return [conn("tcp", a, ap, b, bp, "simultaneous")]


def synack_before_syn(out):
    conv = tcp_conversation(Clock(), "10.0.0.1", 40001, "10.0.0.2", 80, 0x10000000, 0x20000000)
    pk = eth_list(conv)
    # A reordering capture (e.g. two merged interfaces / multi-queue NIC):
    # the SYN-ACK is recorded first and with the earlier time stamp.
    (t_syn, syn), (t_sa, sa) = pk[0], pk[1]
    pk[0], pk[1] = (t_syn, sa), (t_sa, syn)
    write_pcap(os.path.join(out, "crafted-synack-before-syn.pcap"), LINKTYPE_ETHERNET, pk)
    return [conn("tcp", "10.0.0.1", 40001, "10.0.0.2", 80, "complete"),
            listener("tcp", "10.0.0.2", 80, "open")]


def synack_only(out):
    cip, cport, sip, sport = "10.0.0.1", 40002, "10.0.0.2", 443
    clk = Clock()
    s, c = 0x30000000, 0x40000000
    L = []
    q = IP(src=sip, dst=cip, id=0x33, flags="DF") / TCP(sport=sport, dport=cport, flags="SA", seq=s, ack=c + 1, window=65160, options=[("MSS", 1460)])
    L.append((clk(), ether("s2c", q)))
    off = 1
    for i, data in enumerate([b"server data 1\n", b"server data 2\n", b"server data 3\n"]):
        q = IP(src=sip, dst=cip, id=0x34 + i, flags="DF") / TCP(sport=sport, dport=cport, flags="PA", seq=s + off, ack=c + 1 + 10 * (i + 1), window=65160) / Raw(data)
        off += len(data)
        L.append((clk(20000), ether("s2c", q)))
    write_pcap(os.path.join(out, "crafted-synack-only.pcap"), LINKTYPE_ETHERNET, L)
    # Only the server's side was captured: roles are known from the SYN-ACK.
    # Neither the SYN nor the final ACK is in the file, but a server sends
    # data only on an established connection, so the handshake completed.
    return [conn("tcp", cip, cport, sip, sport, "complete"),
            listener("tcp", sip, sport, "open")]


def vlan(out):
    L = []
    clk = Clock()
    conv = tcp_conversation(clk, "10.0.1.1", 40010, "10.0.1.2", 80, 0x50000000, 0x60000000)
    for t, d, p in conv:
        src, dst = (MAC_C, MAC_S) if d == "c2s" else (MAC_S, MAC_C)
        L.append((t, bytes(Ether(src=src, dst=dst, type=0x8100) / Dot1Q(vlan=100, type=0x0800) / p)))
    conv = tcp_conversation(clk, "10.0.2.1", 40011, "10.0.2.2", 443, 0x70000000, 0x08000000)
    for t, d, p in conv:
        src, dst = (MAC_C, MAC_S) if d == "c2s" else (MAC_S, MAC_C)
        L.append((t, bytes(Ether(src=src, dst=dst, type=0x88A8) / Dot1AD(vlan=200, type=0x8100)
                           / Dot1Q(vlan=300, type=0x0800) / p)))
    write_pcap(os.path.join(out, "crafted-vlan.pcap"), LINKTYPE_ETHERNET, L)
    return [conn("tcp", "10.0.1.1", 40010, "10.0.1.2", 80, "complete"),
            conn("tcp", "10.0.2.1", 40011, "10.0.2.2", 443, "complete"),
            listener("tcp", "10.0.1.2", 80, "open"),
            listener("tcp", "10.0.2.2", 443, "open")]


def ipv6_ext(out):
    cip, sip = "2001:db8:77::1", "2001:db8:77::2"
    clk = Clock()
    ext = [IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00" * 4)]),
           IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)]),
           IPv6ExtHdrRouting(type=0, segleft=0, addresses=[])]
    conv = tcp_conversation(clk, cip, 40020, sip, 80, 0x11111111, 0x22222222, ext=ext)
    L = eth_list(conv)
    udp = (IPv6(src=cip, dst=sip, hlim=64) / IPv6ExtHdrFragment(offset=0, m=0, id=0x1234)
           / UDP(sport=40021, dport=53) / DNS(id=0x6666, rd=1, qd=DNSQR(qname="example.com", qtype="AAAA")))
    L.append((clk(), ether("c2s", udp)))
    write_pcap(os.path.join(out, "crafted-ipv6-ext.pcap"), LINKTYPE_ETHERNET, L)
    return [conn("tcp", cip, 40020, sip, 80, "complete"),
            conn("udp", cip, 40021, sip, 53, "unanswered"),
            listener("tcp", sip, 80, "open"),
            listener("udp", sip, 53, "filtered")]


def ipv4_frag(out):
    cip, sip = "10.0.0.1", "10.0.0.2"
    clk = Clock()
    big = IP(src=cip, dst=sip, id=0x4242, ttl=64) / UDP(sport=40030, dport=5000) / Raw(bytes(range(256)) * 12)
    big = IP(bytes(big))  # freeze lengths and the UDP checksum over the whole datagram
    L = [(clk(), ether("c2s", f)) for f in fragment(big, fragsize=1480)]
    reply = IP(src=sip, dst=cip, id=0x4343, ttl=64, flags="DF") / UDP(sport=5000, dport=40030) / Raw(b"got 3072 bytes")
    L.append((clk(), ether("s2c", reply)))
    write_pcap(os.path.join(out, "crafted-ipv4-frag.pcap"), LINKTYPE_ETHERNET, L)
    return [conn("udp", cip, 40030, sip, 5000, "answered"),
            listener("udp", sip, 5000, "open")]


def icmp_errors(out):
    c4, s4, r4 = "10.0.0.1", "10.0.0.2", "10.0.0.254"
    c6, s6, r6 = "2001:db8:77::1", "2001:db8:77::2", "2001:db8:77::fe"
    clk = Clock()
    L = []
    syn = IP(src=c4, dst=s4, id=0x501, flags="DF") / TCP(sport=40040, dport=22, flags="S", seq=0x1000, window=64240, options=[("MSS", 1460)])
    L.append((clk(), ether("c2s", syn)))
    # A firewall (10.0.0.254) answers with "communication administratively
    # prohibited", quoting the IP header + first 8 bytes (RFC 792 minimum).
    err = IP(src=r4, dst=c4, id=0x901) / ICMP(type=3, code=13) / Raw(bytes(syn)[:28])
    L.append((clk(), ether("s2c", err)))
    dg = IP(src=c4, dst=s4, id=0x502) / UDP(sport=40041, dport=161) / Raw(b"snmp?")
    L.append((clk(), ether("c2s", dg)))
    # The host itself answers port unreachable quoting the whole datagram.
    err = IP(src=s4, dst=c4, id=0x902) / ICMP(type=3, code=3) / Raw(bytes(dg))
    L.append((clk(), ether("s2c", err)))
    syn6 = IPv6(src=c6, dst=s6) / TCP(sport=40042, dport=22, flags="S", seq=0x2000, window=64240, options=[("MSS", 1440)])
    L.append((clk(), ether("c2s", syn6)))
    err = IPv6(src=r6, dst=c6) / ICMPv6DestUnreach(code=1) / Raw(bytes(syn6))
    L.append((clk(), ether("s2c", err)))
    dg6 = IPv6(src=c6, dst=s6) / UDP(sport=40043, dport=161) / Raw(b"snmp6?")
    L.append((clk(), ether("c2s", dg6)))
    err = IPv6(src=s6, dst=c6) / ICMPv6DestUnreach(code=4) / Raw(bytes(dg6))
    L.append((clk(), ether("s2c", err)))
    write_pcap(os.path.join(out, "crafted-icmp-errors.pcap"), LINKTYPE_ETHERNET, L)
    return [conn("tcp", c4, 40040, s4, 22, "rejected"),
            conn("udp", c4, 40041, s4, 161, "rejected"),
            conn("tcp", c6, 40042, s6, 22, "rejected"),
            conn("udp", c6, 40043, s6, 161, "rejected"),
            listener("tcp", s4, 22, "closed"),
            listener("udp", s4, 161, "closed"),
            listener("tcp", s6, 22, "closed"),
            listener("udp", s6, 161, "closed")]


# Link-type variants of one short complete TCP connection (plus IPv6 where the
# link type can carry it).
V4 = ("10.0.3.1", 40050, "10.0.3.2", 80)
V6 = ("2001:db8:3::1", 40051, "2001:db8:3::2", 80)


def short_v4(clk):
    return tcp_conversation(clk, *V4[:2], *V4[2:], 0x0A000000, 0x0B000000)


def short_v6(clk, port=V6[1]):
    return tcp_conversation(clk, V6[0], port, V6[2], V6[3], 0x0C000000 + port, 0x0D000000 + port)


def truth_v4():
    return [conn("tcp", V4[0], V4[1], V4[2], V4[3], "complete")]


def link_variants(out):
    results = {}
    # DLT_NULL, little-endian file, family AF_INET=2 in host (little-endian) order
    L = [(t, struct.pack("<I", 2) + bytes(p)) for t, d, p in short_v4(Clock())]
    write_pcap(os.path.join(out, "crafted-null-le.pcap"), LINKTYPE_NULL, L)
    results["crafted-null-le.pcap"] = truth_v4() + [listener("tcp", V4[2], V4[3], "open")]
    # DLT_NULL, big-endian file written by a big-endian host, family big-endian
    L = [(t, struct.pack(">I", 2) + bytes(p)) for t, d, p in short_v4(Clock())]
    write_pcap(os.path.join(out, "crafted-null-be.pcap"), LINKTYPE_NULL, L, big_endian=True)
    results["crafted-null-be.pcap"] = truth_v4() + [listener("tcp", V4[2], V4[3], "open")]
    # DLT_LOOP: family always in network order.  IPv4 (2) and three IPv6
    # connections using the BSD AF_INET6 values 24 (NetBSD/OpenBSD),
    # 28 (FreeBSD) and 30 (macOS).
    clk = Clock()
    L = [(t, struct.pack(">I", 2) + bytes(p)) for t, d, p in short_v4(clk)]
    rows = truth_v4()
    for i, af in enumerate((24, 28, 30)):
        port = V6[1] + i
        L += [(t, struct.pack(">I", af) + bytes(p)) for t, d, p in short_v6(clk, port)]
        rows.append(conn("tcp", V6[0], port, V6[2], V6[3], "complete"))
    write_pcap(os.path.join(out, "crafted-loop.pcap"), LINKTYPE_LOOP, L)
    results["crafted-loop.pcap"] = rows + [listener("tcp", V4[2], V4[3], "open"),
                                           listener("tcp", V6[2], V6[3], "open")]
    # LINKTYPE_RAW (101): bare IPv4 and IPv6, version from the first nibble
    clk = Clock()
    L = [(t, bytes(p)) for t, d, p in short_v4(clk) + short_v6(clk)]
    write_pcap(os.path.join(out, "crafted-raw.pcap"), LINKTYPE_RAW, L)
    results["crafted-raw.pcap"] = truth_v4() + [
        conn("tcp", V6[0], V6[1], V6[2], V6[3], "complete"),
        listener("tcp", V4[2], V4[3], "open"), listener("tcp", V6[2], V6[3], "open")]
    # LINKTYPE_IPV4 (228) / LINKTYPE_IPV6 (229)
    L = [(t, bytes(p)) for t, d, p in short_v4(Clock())]
    write_pcap(os.path.join(out, "crafted-ipv4-linktype.pcap"), LINKTYPE_IPV4, L)
    results["crafted-ipv4-linktype.pcap"] = truth_v4() + [listener("tcp", V4[2], V4[3], "open")]
    L = [(t, bytes(p)) for t, d, p in short_v6(Clock())]
    write_pcap(os.path.join(out, "crafted-ipv6-linktype.pcap"), LINKTYPE_IPV6, L)
    results["crafted-ipv6-linktype.pcap"] = [
        conn("tcp", V6[0], V6[1], V6[2], V6[3], "complete"), listener("tcp", V6[2], V6[3], "open")]
    # LINUX_SLL (113), captured on the server: client packets are "to us"
    # (PACKET_HOST 0), server packets "outgoing" (PACKET_OUTGOING 4).
    clk = Clock()
    L = []
    for t, d, p in short_v4(clk) + short_v6(clk):
        pkttype, mac = (0, MAC_C) if d == "c2s" else (4, MAC_S)
        proto = 0x86DD if isinstance(p, IPv6) else 0x0800
        hdr = struct.pack(">HHH8sH", pkttype, 1, 6, bytes.fromhex(mac.replace(":", "")), proto)
        L.append((t, hdr + bytes(p)))
    write_pcap(os.path.join(out, "crafted-sll.pcap"), LINKTYPE_LINUX_SLL, L)
    results["crafted-sll.pcap"] = truth_v4() + [
        conn("tcp", V6[0], V6[1], V6[2], V6[3], "complete"),
        listener("tcp", V4[2], V4[3], "open"), listener("tcp", V6[2], V6[3], "open")]
    # LINKTYPE_USER0 (147): opaque private frames, nothing sockscope can decode
    clk = Clock()
    L = [(clk(), b"USER0 frame %d: private encapsulation, not IP\n" % i) for i in range(4)]
    write_pcap(os.path.join(out, "crafted-unsupported-link.pcap"), LINKTYPE_USER0, L)
    results["crafted-unsupported-link.pcap"] = []
    return results


def mixed_outcomes(out):
    c, s = "10.1.0.1", "10.1.0.2"
    clk = Clock()
    L = []
    ids = [0x1000, 0x2000]

    def p(direction, sport, dport, flags, seq, ack, payload=b"", step=1000, opts=None):
        if direction == "c2s":
            ids[0] += 1
            q = IP(src=c, dst=s, id=ids[0], flags="DF") / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=64240, options=opts or [])
        else:
            ids[1] += 1
            q = IP(src=s, dst=c, id=ids[1], flags="DF") / TCP(sport=dport, dport=sport, flags=flags, seq=seq, ack=ack, window=65160, options=opts or [])
        if payload:
            q = q / Raw(payload)
        L.append((clk(step), ether(direction, q)))

    mss = [("MSS", 1460)]
    # 1. incomplete: SYN, SYN-ACK, no final ACK
    p("c2s", 41001, 8443, "S", 100, 0, opts=mss)
    p("s2c", 41001, 8443, "SA", 900, 101, opts=mss)
    # 2. rejected: SYN answered by RST-ACK
    p("c2s", 41002, 23, "S", 200, 0, step=100000, opts=mss)
    p("s2c", 41002, 23, "RA", 0, 201)
    # 3. unanswered: SYN + 2 retransmissions (1 s, then 2 s later), same ISN
    p("c2s", 41003, 3389, "S", 300, 0, step=100000, opts=mss)
    p("c2s", 41003, 3389, "S", 300, 0, step=1000000, opts=mss)
    p("c2s", 41003, 3389, "S", 300, 0, step=2000000, opts=mss)
    # 4. complete, then aborted by the client with RST in the middle of data
    p("c2s", 41004, 80, "S", 400, 0, step=1000000, opts=mss)
    p("s2c", 41004, 80, "SA", 4000, 401, opts=mss)
    p("c2s", 41004, 80, "A", 401, 4001)
    p("c2s", 41004, 80, "PA", 401, 4001, b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    p("s2c", 41004, 80, "PA", 4001, 432, b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial...")
    p("c2s", 41004, 80, "R", 432, 0)
    # 5. complete after one SYN retransmission (same ISN)
    p("c2s", 41005, 80, "S", 500, 0, step=100000, opts=mss)
    p("c2s", 41005, 80, "S", 500, 0, step=1000000, opts=mss)
    p("s2c", 41005, 80, "SA", 5000, 501, opts=mss)
    p("c2s", 41005, 80, "A", 501, 5001)
    p("c2s", 41005, 80, "PA", 501, 5001, b"ping\n")
    p("s2c", 41005, 80, "PA", 5001, 506, b"pong\n")
    p("c2s", 41005, 80, "FA", 506, 5006)
    p("s2c", 41005, 80, "FA", 5006, 507)
    p("c2s", 41005, 80, "A", 507, 5007)
    # 6. UDP DNS query and answer
    q = IP(src=c, dst=s, id=0x3001) / UDP(sport=41006, dport=53) / DNS(id=0x5353, rd=1, qd=DNSQR(qname="example.com"))
    L.append((clk(100000), ether("c2s", q)))
    a = (IP(src=s, dst=c, id=0x3002) / UDP(sport=53, dport=41006)
         / DNS(id=0x5353, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.com"),
               an=DNSRR(rrname="example.com", type="A", ttl=300, rdata="192.0.2.1")))
    L.append((clk(), ether("s2c", a)))
    write_pcap(os.path.join(out, "crafted-mixed-outcomes.pcap"), LINKTYPE_ETHERNET, L)
    return [conn("tcp", c, 41001, s, 8443, "incomplete"),
            conn("tcp", c, 41002, s, 23, "rejected"),
            conn("tcp", c, 41003, s, 3389, "unanswered"),
            conn("tcp", c, 41004, s, 80, "complete"),
            conn("tcp", c, 41005, s, 80, "complete"),
            conn("udp", c, 41006, s, 53, "answered"),
            listener("tcp", s, 8443, "open"),
            listener("tcp", s, 23, "closed"),
            listener("tcp", s, 3389, "filtered"),
            listener("tcp", s, 80, "open"),
            listener("udp", s, 53, "open")]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "captures"
    os.makedirs(out, exist_ok=True)
    results = {
        "crafted-simultaneous-open.pcap": simultaneous_open(out),
        "crafted-synack-before-syn.pcap": synack_before_syn(out),
        "crafted-synack-only.pcap": synack_only(out),
        "crafted-vlan.pcap": vlan(out),
        "crafted-ipv6-ext.pcap": ipv6_ext(out),
        "crafted-ipv4-frag.pcap": ipv4_frag(out),
        "crafted-icmp-errors.pcap": icmp_errors(out),
        "crafted-mixed-outcomes.pcap": mixed_outcomes(out),
    }
    results.update(link_variants(out))
    for name, rows in results.items():
        write_truth(os.path.join(out, name + ".truth.tsv"), rows)
        print("wrote", name)


if __name__ == "__main__":
    main()
