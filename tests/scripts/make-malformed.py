#!/usr/bin/env python3
"""File-level malformed-input catalogue (docs/hardening.md).

Usage: make-malformed.py SOCKSCOPE [MALFORMED_DIR]

Generates damaged capture files into a temporary directory (nothing is
committed), runs SOCKSCOPE -F jsonl on each and checks the exit status, stderr
and the summary object.  With MALFORMED_DIR (tests/malformed), also runs every
fuzzer-found capture file there (fuzz-pipeline-*.bin, *.pcap, *.pcapng) and
checks sockscope neither crashes nor breaks its output contract.

Prints one line per case and ends with "N passed, N failed"; exits 1 when
any case failed.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

# ---------------------------------------------------------------- builders

MAC = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"
A4, B4 = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000002")
SYN, ACK, RST, FIN, PSH = 0x02, 0x10, 0x04, 0x01, 0x08


def ipv4(proto, l4, src=A4, dst=B4, total=None, ihl=5):
    total = 20 + len(l4) if total is None else total
    return struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, 0x4000, 64, proto, 0,
                       src, dst) + l4


def ipv6(nh, l4, src=A6, dst=B6, plen=None):
    plen = len(l4) if plen is None else plen
    return struct.pack(">IHBB16s16s", 0x60000000, plen, nh, 64, src, dst) + l4


def tcp(sport, dport, flags, seq=1000, ack=0, payload=b"", doff=5):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 65535, 0,
                       0) + payload


def udp(sport, dport, payload=b""):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(ethertype, payload):
    return MAC + struct.pack(">H", ethertype) + payload


def eth4(l3):
    return eth(0x0800, l3)


def eth6(l3):
    return eth(0x86DD, l3)


def handshake():
    """A complete client 10.0.0.1:40000 -> server 10.0.0.2:80 handshake."""
    return [
        eth4(ipv4(6, tcp(40000, 80, SYN, seq=1000))),
        eth4(ipv4(6, tcp(80, 40000, SYN | ACK, seq=5000, ack=1001), src=B4, dst=A4)),
        eth4(ipv4(6, tcp(40000, 80, ACK, seq=1001, ack=5001))),
        eth4(ipv4(6, tcp(40000, 80, ACK | PSH, seq=1001, ack=5001, payload=b"GET /\r\n"))),
    ]


T0 = 1767225600  # 2026-01-01T00:00:00Z


def pcap(records, linktype=1, snaplen=65535):
    """records: (ts_sec, ts_usec, data[, caplen[, wirelen]]) tuples."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for r in records:
        sec, usec, data = r[0], r[1], r[2]
        caplen = r[3] if len(r) > 3 else len(data)
        wirelen = r[4] if len(r) > 4 else caplen
        out += struct.pack("<IIII", sec, usec, caplen, wirelen) + data
    return out


def simple(pkts, **kw):
    return pcap([(T0, i * 1000, p) for i, p in enumerate(pkts)], **kw)


def ng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def ng_shb():
    return ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def ng_idb(linktype, snaplen=65535):
    return ng_block(1, struct.pack("<HHI", linktype, 0, snaplen))


def ng_epb(ifid, usec, data):
    return ng_block(6, struct.pack("<IIIII", ifid, usec >> 32, usec & 0xFFFFFFFF,
                                   len(data), len(data)) + data)

# ---------------------------------------------------------------- running


class Result:
    def __init__(self, proc, path):
        self.path = path
        self.status = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")
        self.lines = [l for l in self.stdout.splitlines() if l]
        self.records = []
        self.summary = None
        for l in self.lines:
            try:
                o = json.loads(l)
            except ValueError:
                continue
            if o.get("kind") == "summary":
                self.summary = o
            else:
                self.records.append(o)

    def reasons(self):
        """Every non-zero reason counter, "ok" included."""
        s = self.summary
        out = {k: v for m in ("ignored", "truncated", "invalid") for k, v in s[m].items() if v}
        amsdu = s.get("amsdu", {"frames": 0, "subframes": 0})
        ok = s["packets"] - amsdu["frames"] + amsdu["subframes"] - sum(
            v for m in ("ignored", "truncated", "invalid") for v in s[m].values())
        if ok:
            out["ok"] = ok
        return out

    def conns(self):
        return [r for r in self.records if r.get("kind") == "connection"]


class CaseFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CaseFailed(what)


def run(exe, path):
    proc = subprocess.run([exe, "--builtin-services", "-F", "jsonl", "-r", path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return Result(proc, path)


def ts_ns(text):
    """RFC 3339 UTC with 6 or 9 sub-second digits -> ns since the epoch."""
    import calendar
    import time
    check(isinstance(text, str) and text.endswith("Z"), f"timestamp {text!r}")
    whole, _, frac = text[:-1].partition(".")
    sec = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return sec * 10**9 + int((frac or "0").ljust(9, "0"))


def check_contract(r):
    """What every run must satisfy (README "Exit status", docs/output.md)."""
    name = os.path.basename(r.path)
    check(r.status >= 0, f"killed by signal {-r.status}")
    check("Sanitizer" not in r.stderr and "runtime error" not in r.stderr,
          "sanitizer report on stderr")
    if r.status == 3:
        err = r.stderr.splitlines()
        check(r.stdout == "", "exit 3 but something on stdout")
        check(len(err) == 1 and err[0].startswith("sockscope: ") and name in err[0],
              f"exit 3 needs exactly one 'sockscope: ' stderr line naming the file: {err!r}")
        return
    check(r.status in (0, 1), f"exit status {r.status}")
    check(r.summary is not None and r.lines and json.loads(r.lines[-1])["kind"] == "summary",
          "the last jsonl line is not the summary")
    s = r.summary
    total = sum(v for m in ("ignored", "truncated", "invalid") for v in s[m].values())
    # an A-MSDU's subframes are counted as packets in place of their frame
    amsdu = s.get("amsdu", {"frames": 0, "subframes": 0})
    packets = s["packets"] - amsdu["frames"] + amsdu["subframes"]
    check(total + s["decoded"] >= packets >= total,
          f"reason counters ({total}) and decoded ({s['decoded']}) do not add up to packets"
          f" ({s['packets']})")
    warn = [l for l in r.stderr.splitlines() if l.startswith("sockscope: warning: ")]
    check(len(warn) == len(s["warnings"]), "stderr warnings differ from the summary's")
    check((r.status == 1) == (len(warn) > 0), "exit 1 if and only if there are warnings")

# ---------------------------------------------------------------- the cases

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def prefixes_eth_ipv4_tcp(d, exe):
    """Every prefix 0..58 of Ethernet/IPv4/TCP (4 payload bytes), wire length 58."""
    full = eth4(ipv4(6, tcp(40000, 80, SYN, payload=b"abcd")))
    check(len(full) == 58, "builder")
    recs = [(T0, n, full[:n], n, len(full)) for n in range(len(full) + 1)]
    r = run(exe, w(d, "prefix-v4.pcap", pcap(recs)))
    check(r.status == 0, f"exit {r.status}")
    check(r.reasons() == {"trunc_link": 14, "trunc_ipv4": 20, "trunc_tcp": 20, "ok": 5},
          f"reasons {r.reasons()}")
    c = r.conns()
    check(len(c) == 1, f"{len(c)} connection records")
    return r


@case
def prefixes_eth_ipv6_udp(d, exe):
    """Every prefix 0..66 of Ethernet/IPv6/UDP (4 payload bytes), wire length 66."""
    full = eth6(ipv6(17, udp(5353, 53, b"abcd")))
    check(len(full) == 66, "builder")
    recs = [(T0, n, full[:n], n, len(full)) for n in range(len(full) + 1)]
    r = run(exe, w(d, "prefix-v6.pcap", pcap(recs)))
    check(r.status == 0, f"exit {r.status}")
    check(r.reasons() == {"trunc_link": 14, "trunc_ipv6": 40, "trunc_udp": 8, "ok": 5},
          f"reasons {r.reasons()}")
    return r


@case
def zero_caplen(d, exe):
    """Records with caplen 0 (wire length 60 and 0): trunc_link, not fatal."""
    recs = [(T0, 0, b"", 0, 60), (T0, 1, b"", 0, 0)] + \
        [(T0, 2 + i, p) for i, p in enumerate(handshake())]
    r = run(exe, w(d, "zero-caplen.pcap", pcap(recs)))
    check(r.status == 0, f"exit {r.status}")
    check(r.reasons() == {"trunc_link": 2, "ok": 4}, f"reasons {r.reasons()}")
    return r


@case
def caplen_gt_wirelen(d, exe):
    """A record whose caplen exceeds its wire length: bad_caplen, nothing decoded."""
    p = handshake()[0]
    r = run(exe, w(d, "caplen-gt-len.pcap", pcap([(T0, 0, p, len(p), len(p) - 10)])))
    check(r.status == 0, f"exit {r.status}")
    check(r.reasons() == {"bad_caplen": 1}, f"reasons {r.reasons()}")
    check(r.summary["tcp_connections"] == 0, "a connection from an untrusted packet")
    return r


@case
def caplen_gt_snaplen(d, exe):
    """Record caplen 100 > header snaplen 64: libpcap 1.10 reads the first
    snaplen bytes, skips the rest and hands over caplen = snaplen; the
    following record is read normally."""
    pkts = handshake()
    big = pkts[3] + b"x" * (100 - len(pkts[3]))
    recs = [(T0, 0, pkts[0]), (T0, 1, pkts[1]), (T0, 2, big, 100, 100), (T0, 3, pkts[2])]
    r = run(exe, w(d, "caplen-gt-snaplen.pcap", pcap(recs, snaplen=64)))
    check(r.status == 0, f"exit {r.status}")
    s = r.summary
    check(s["packets"] == 4 and s["bytes"] == 54 + 54 + 100 + 54, f"packets/bytes {s}")
    check(s["captured_bytes"] == 54 + 54 + 64 + 54, f"captured_bytes {s['captured_bytes']}")
    check(r.reasons() == {"ok": 4}, f"reasons {r.reasons()}")
    return r


@case
def caplen_beyond_maximum(d, exe):
    """A record caplen above libpcap's 262144-byte maximum: libpcap refuses the
    record; exit 1, the packets before it reported, the error in the summary."""
    pkts = handshake()
    data = simple(pkts[:3]) + struct.pack("<IIII", T0, 9, 300000, 300000) + b"\0" * 64
    r = run(exe, w(d, "caplen-huge.pcap", data))
    check(r.status == 1, f"exit {r.status}")
    s = r.summary
    check(s["packets"] == 3 and s["inputs"][0]["error"], f"summary {s['inputs']}")
    c = r.conns()
    check(len(c) == 1 and c[0]["outcome"] == "complete", f"connections {c}")
    return r


@case
def timestamps_backwards(d, exe):
    """Timestamps out of order: report produced, exit 0, first_ts the minimum."""
    pkts = handshake()
    recs = [(T0 + 100, 0, pkts[0]), (T0 + 50, 500000, pkts[1]), (T0 + 75, 0, pkts[2]),
            (T0 + 10, 0, pkts[3])]
    r = run(exe, w(d, "ts-backwards.pcap", pcap(recs)))
    check(r.status == 0, f"exit {r.status}")
    s = r.summary
    check(ts_ns(s["first_ts"]) == (T0 + 10) * 10**9, f"first_ts {s['first_ts']}")
    check(ts_ns(s["last_ts"]) == (T0 + 100) * 10**9, f"last_ts {s['last_ts']}")
    check(s["tcp_connections"] == 1, "connections")
    return r


@case
def timestamps_year_2038(d, exe):
    """Classic pcap seconds are unsigned 32-bit: 2^31 is 2038-01-19, 2^32-1 is
    2106-02-07 (tshark agrees), not 1901 and 1969 as through libpcap 1.10."""
    pkts = handshake()
    recs = [(0x80000000, 0, pkts[0]), (0x80000000, 1000, pkts[1]), (0x80000000, 2000, pkts[2]),
            (0xFFFFFFFF, 0, pkts[3])]
    r = run(exe, w(d, "y2038.pcap", pcap(recs)))
    check(r.status == 0, f"exit {r.status}")
    s = r.summary
    check(s["first_ts"].startswith("2038-01-19T03:14:08.") and
          ts_ns(s["first_ts"]) == 2**31 * 10**9, f"first_ts {s['first_ts']}")
    check(s["last_ts"].startswith("2106-02-07T06:28:15.") and
          ts_ns(s["last_ts"]) == (2**32 - 1) * 10**9, f"last_ts {s['last_ts']}")
    check(r.conns()[0]["outcome"] == "complete", "connection")
    return r


@case
def linktype_upper_bits(d, exe):
    """LINKTYPE 0x0FFF0001: reserved bits 16-25 and FCS bits set; decoded as
    Ethernet (libpcap 1.10 keeps the reserved bits, sockscope ignores them)."""
    r = run(exe, w(d, "linktype-bits.pcap", simple(handshake(), linktype=0x0FFF0001)))
    check(r.status == 0, f"exit {r.status}: {r.stderr.strip()}")
    inp = r.summary["inputs"][0]
    check(inp["dlt"] == 1 and inp["link_type"] == "EN10MB", f"input {inp}")
    check(r.reasons() == {"ok": 4} and r.summary["tcp_connections"] == 1,
          f"reasons {r.reasons()}")
    return r


@case
def truncated_mid_record_data(d, exe):
    """The file ends inside a record's packet bytes: exit 1, the complete
    records before it reported."""
    data = simple(handshake())
    r = run(exe, w(d, "cut-data.pcap", data[:-10]))
    check(r.status == 1, f"exit {r.status}")
    check(r.summary["packets"] == 3 and r.summary["inputs"][0]["error"], "summary")
    c = r.conns()
    check(len(c) == 1 and c[0]["outcome"] == "complete", f"connections {c}")
    check(any("damaged" in x or "truncated" in x for x in r.summary["warnings"]),
          f"warnings {r.summary['warnings']}")
    return r


@case
def truncated_mid_record_header(d, exe):
    """The file ends inside a record header (7 of 16 bytes)."""
    data = simple(handshake()) + struct.pack("<IIII", T0, 0, 60, 60)[:7]
    r = run(exe, w(d, "cut-header.pcap", data))
    check(r.status == 1, f"exit {r.status}")
    check(r.summary["packets"] == 4 and len(r.conns()) == 1, "summary")
    return r


@case
def wrong_magic(d, exe):
    """Not a capture: exit 3, one stderr line, nothing on stdout."""
    data = b"\xde\xad\xbe\xef" + simple(handshake())[4:]
    r = run(exe, w(d, "wrong-magic.pcap", data))
    check(r.status == 3, f"exit {r.status}")
    check(r.stdout == "" and len(r.stderr.splitlines()) == 1, f"stderr {r.stderr!r}")
    return r


@case
def header_only(d, exe):
    """A global header and no records: an empty report, exit 0."""
    r = run(exe, w(d, "header-only.pcap", simple([])))
    check(r.status == 0, f"exit {r.status}")
    check(r.summary["packets"] == 0 and r.summary["first_ts"] is None, f"{r.summary}")
    return r


@case
def truncated_global_header(d, exe):
    """Only 10 bytes of the 24-byte pcap header: exit 3."""
    r = run(exe, w(d, "short-header.pcap", simple([])[:10]))
    check(r.status == 3, f"exit {r.status}")
    return r


@case
def pcapng_two_link_types(d, exe):
    """pcapng, interface 0 Ethernet and interface 1 raw IP (LINKTYPE_RAW 101).
    libpcap 1.10 stopped at the second IDB; sockscope's own reader reads the
    file to its end, each interface decoded with its link type: the raw-IP
    SYN-ACK completes the Ethernet connection, exit 0, and the raw interface
    is an input of its own."""
    pkts = handshake()
    raw_synack = pkts[1][14:]
    data = (ng_shb() + ng_idb(1) + ng_epb(0, T0 * 10**6, pkts[0]) + ng_idb(101) +
            ng_epb(1, T0 * 10**6 + 1000, raw_synack) + ng_epb(0, T0 * 10**6 + 2000, pkts[2]))
    r = run(exe, w(d, "ng-two-links.pcapng", data))
    check(r.status == 0, f"exit {r.status}: {r.stderr}")
    s = r.summary
    check(s["packets"] == 3 and s["inputs"][0]["link_type"] == "EN10MB", f"summary {s}")
    check(len(s["inputs"]) == 2 and s["inputs"][1]["link_type"] == "RAW" and
          s["inputs"][1]["packets"] == 1 and s["inputs"][0]["packets"] == 2,
          f"inputs {s['inputs']}")
    check(not s["warnings"], f"warnings {s['warnings']}")
    c = r.conns()
    check(len(c) == 1 and c[0]["outcome"] == "complete" and c[0]["evidence"] == "syn",
          f"connections {c}")
    return r


@case
def malformed_packets_in_file(d, exe):
    """One record per packet-level catalogue case: each counted by reason in
    the summary maps, none fatal (exit 0)."""
    tcp_ok = tcp(40000, 80, SYN)
    pkts = [
        eth4(ipv4(6, tcp_ok, ihl=4)),                       # bad_ipv4_ihl
        eth4(ipv4(6, tcp_ok, total=19)),                    # bad_ipv4_total_len
        eth4(ipv4(6, tcp_ok, ihl=15, total=40)),            # IHL beyond total length
        eth4(ipv4(6, tcp_ok, ihl=15, total=80)),            # IHL beyond the capture
        eth4(ipv4(6, tcp(40000, 80, SYN, doff=4))),         # bad_tcp_offset
        eth4(ipv4(6, tcp(40000, 80, SYN, doff=15))),        # offset beyond segment
        eth4(ipv4(6, tcp(40000, 80, SYN, doff=15), total=100)),  # beyond capture
        eth4(ipv4(6, tcp(40000, 81, SYN), total=1000)),     # snaplen cut: ok
        eth6(ipv6(60, (b"\x3c\x00" + b"\0" * 6) * 17 + tcp_ok)),   # 17 dstopts
        eth6(ipv6(60, (b"\x3c\x00" + b"\0" * 6) * 3, plen=24)),    # loop past the end
        eth6(ipv6(60, b"\x06\x05" + b"\0" * 6, plen=64)),   # ext beyond the capture
    ]
    r = run(exe, w(d, "catalogue.pcap", simple(pkts)))
    check(r.status == 0, f"exit {r.status}")
    want = {"bad_ipv4_ihl": 1, "bad_ipv4_total_len": 2, "trunc_ipv4": 1, "bad_tcp_offset": 2,
            "trunc_tcp": 1, "ok": 1, "bad_ipv6_ext_chain": 2, "trunc_ipv6_ext": 1}
    check(r.reasons() == want, f"reasons {r.reasons()} != {want}")
    return r


O4A, O4B = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])


@case
def prefixes_vxlan(d, exe):
    """Every prefix of Ethernet/IPv4/UDP 4789/VXLAN/Ethernet/IPv4/TCP: each cut
    counted under the layer it falls in, the VXLAN header as trunc_vxlan; no
    cut prefix becomes a UDP flow to port 4789."""
    inner = eth4(ipv4(6, tcp(40000, 80, SYN, payload=b"abcd")))
    vx = struct.pack(">II", 0x08000000, 42 << 8) + inner
    full = eth4(ipv4(17, udp(51234, 4789, vx), src=O4A, dst=O4B))
    check(len(full) == 50 + 58, "builder")
    recs = [(T0, n, full[:n], n, len(full)) for n in range(len(full) + 1)]
    r = run(exe, w(d, "prefix-vxlan.pcap", pcap(recs)))
    check(r.status == 0, f"exit {r.status}")
    want = {"trunc_link": 28, "trunc_ipv4": 40, "trunc_udp": 8, "trunc_vxlan": 8,
            "trunc_tcp": 20, "ok": 5}
    check(r.reasons() == want, f"reasons {r.reasons()} != {want}")
    c = r.conns()
    check(len(c) == 1 and c[0]["server"]["port"] == 80 and c[0]["tunnel"]["vni"] == 42,
          f"connections {c}")
    return r


@case
def prefixes_gre_mpls(d, exe):
    """Every prefix of Ethernet/IPv4/GRE(key)/MPLS/IPv6/UDP: trunc_gre, trunc_mpls
    (also the prefix that ends after the stack: the payload's first nibble,
    which says what it is, is missing)."""
    inner = ipv6(17, udp(5353, 53, b"abcd"))
    gre = struct.pack(">HHI", 0x2000, 0x8847, 7) + struct.pack(">I", (100 << 12) | 0x100 | 64)
    full = eth4(ipv4(47, gre + inner, src=O4A, dst=O4B))
    recs = [(T0, n, full[:n], n, len(full)) for n in range(len(full) + 1)]
    r = run(exe, w(d, "prefix-gre-mpls.pcap", pcap(recs)))
    check(r.status == 0, f"exit {r.status}")
    want = {"trunc_link": 14, "trunc_ipv4": 20, "trunc_gre": 8, "trunc_mpls": 5,
            "trunc_ipv6": 39, "trunc_udp": 8, "ok": 5}
    check(r.reasons() == want, f"reasons {r.reasons()} != {want}")
    return r


@case
def tunnel_bombs(d, exe):
    """Nesting past --max-tunnel-depth (GRE in GRE 50 deep, VXLAN in VXLAN 6
    deep, PBB in PBB), a 17-label MPLS stack, a GRE routing header: counted,
    never fatal, never a flow; 4 nested GRE still decode."""
    def gre_nest(n, l3):
        for _ in range(n):
            l3 = ipv4(47, struct.pack(">HH", 0, 0x0800) + l3, src=O4A, dst=O4B)
        return eth4(l3)
    core = ipv4(6, tcp(40000, 80, SYN))
    vx = eth4(core)
    for _ in range(6):
        vx = eth4(ipv4(17, udp(51234, 4789, struct.pack(">II", 0x08000000, 1 << 8) + vx),
                       src=O4A, dst=O4B))
    pbb = eth4(core)
    for _ in range(6):
        pbb = eth(0x88E7, struct.pack(">I", 5) + pbb)
    pkts = [
        gre_nest(50, core),                                          # bad_tunnel_depth
        vx,                                                          # bad_tunnel_depth
        pbb,                                                         # bad_tunnel_depth
        eth(0x8847, b"".join(struct.pack(">I", k << 12) for k in range(17)) + core),
        eth4(ipv4(47, struct.pack(">HHI", 0x4000, 0x0800, 0) + core)),  # bad_gre_header
        gre_nest(4, core),                                           # ok
    ]
    r = run(exe, w(d, "tunnel-bombs.pcap", simple(pkts)))
    check(r.status == 0, f"exit {r.status}")
    want = {"bad_tunnel_depth": 3, "bad_mpls_stack": 1, "bad_gre_header": 1, "ok": 1}
    check(r.reasons() == want, f"reasons {r.reasons()} != {want}")
    check(len(r.conns()) == 1, f"connections {r.conns()}")
    return r


def dot11_qos_amsdu(fc1=0x01, qos=0x0080):
    """An 802.11 QoS data header (26 bytes) with the A-MSDU present bit."""
    return bytes([0x88, fc1]) + bytes(2 + 18 + 2) + struct.pack("<H", qos)


def amsdu_sub(msdu, last):
    sub = MAC + struct.pack(">H", len(msdu)) + msdu
    return sub if last else sub + bytes(-len(sub) % 4)


def snap(ethertype):
    return bytes([0xAA, 0xAA, 0x03, 0, 0, 0]) + struct.pack(">H", ethertype)


@case
def prefixes_amsdu(d, exe):
    """Every prefix of an 802.11 A-MSDU of two subframes (IPv4/TCP padded to
    68 bytes, IPv6/UDP last), wire length 168: each subframe a packet;
    a cut subframe header, and the subframes cut off after a cut one, are
    trunc_amsdu (one per frame), a cut MSDU counts under its layer."""
    s1 = amsdu_sub(snap(0x0800) + ipv4(6, tcp(40000, 80, SYN, payload=b"abcd")), False)
    s2 = amsdu_sub(snap(0x86DD) + ipv6(17, udp(5353, 53, b"abcd")), True)
    full = dot11_qos_amsdu() + s1 + s2
    check(len(s1) == 68 and len(full) == 168, "builder")
    recs = [(T0, n, full[:n], n, len(full)) for n in range(len(full) + 1)]
    r = run(exe, w(d, "prefix-amsdu.pcap", pcap(recs, linktype=105)))
    check(r.status == 0, f"exit {r.status}")
    # 0: nothing; 1-25: the MAC header; 26-39: the first subframe header;
    # 40-93: the first subframe's LLC (8), IPv4 (20), TCP (20), payload and
    # padding (6), each with the second subframe cut off; 94-107: the
    # second header; 108-168: its LLC, IPv6, UDP, payload.
    want = {"trunc_link": 1 + 8 + 8, "trunc_wlan": 25, "trunc_amsdu": 14 + 54 + 14,
            "trunc_ipv4": 20, "trunc_tcp": 20, "trunc_ipv6": 40, "trunc_udp": 8,
            "ok": (168 - 88 + 1) + 5}
    check(r.reasons() == want, f"reasons {r.reasons()} != {want}")
    check(r.summary.get("amsdu") == {"frames": 168 - 26 + 1,
                                     "subframes": (168 - 26 + 1) + (168 - 40 + 1)},
          f"amsdu {r.summary.get('amsdu')}")
    c = r.conns()
    check(sorted(x["server"]["port"] for x in c) == [53, 80], f"connections {c}")
    return r


@case
def amsdu_bombs(d, exe):
    """A-MSDUs that lie: zero-length subframes (the first ends the frame),
    a length past the frame, 1000 one-byte subframes (each a packet, none
    IP), a frame of nothing but padding: counted, never fatal."""
    tcp4 = snap(0x0800) + ipv4(6, tcp(40000, 80, SYN))
    zero = MAC + b"\0\0"
    ones = b"".join(amsdu_sub(b"\x42", i == 999) for i in range(1000))
    pkts = [
        dot11_qos_amsdu() + zero + amsdu_sub(tcp4, True),            # bad, the TCP unread
        dot11_qos_amsdu() + amsdu_sub(tcp4, False) + zero,           # ok, bad
        dot11_qos_amsdu() + MAC + struct.pack(">H", 3000) + tcp4,    # bad
        dot11_qos_amsdu() + ones,                                    # 1000 x non_ip (LLC 0x42)
        dot11_qos_amsdu() + bytes(3),                                # bad
    ]
    r = run(exe, w(d, "amsdu-bombs.pcap", simple(pkts, linktype=105)))
    check(r.status == 0, f"exit {r.status}")
    want = {"bad_amsdu_subframe": 4, "non_ip": 1000, "ok": 1}
    check(r.reasons() == want, f"reasons {r.reasons()} != {want}")
    check(r.summary.get("amsdu") == {"frames": 5, "subframes": 1 + 2 + 1 + 1000 + 1},
          f"amsdu {r.summary.get('amsdu')}")
    check(len(r.conns()) == 1, f"connections {r.conns()}")
    return r


@case
def prefixes_ppi(d, exe):
    """Every prefix of PPI (no fields) around Ethernet/IPv4/TCP, wire length
    66: the PPI header is trunc_radio, the rest as on Ethernet."""
    full = struct.pack("<BBHI", 0, 0, 8, 1) + eth4(ipv4(6, tcp(40000, 80, SYN, payload=b"abcd")))
    recs = [(T0, n, full[:n], n, len(full)) for n in range(len(full) + 1)]
    r = run(exe, w(d, "prefix-ppi.pcap", pcap(recs, linktype=192)))
    check(r.status == 0, f"exit {r.status}")
    want = {"trunc_link": 1 + 1 + 13, "trunc_radio": 7, "trunc_ipv4": 20, "trunc_tcp": 20,
            "ok": 5}
    check(r.reasons() == want, f"reasons {r.reasons()} != {want}")
    return r


@case
def ppi_nesting(d, exe):
    """PPI in PPI and PKTAP in PPI are refused (bad_radio_header), PPI in
    PKTAP is read, an unknown link type behind PPI is unsupported_link."""
    frame = eth4(ipv4(6, tcp(40000, 80, SYN)))

    def ppi(dlt, inner):
        return struct.pack("<BBHI", 0, 0, 8, dlt) + inner

    def pktap(dlt, inner):
        return struct.pack("<III", 108, 1, dlt) + bytes(96) + inner
    deep = frame
    for _ in range(100):
        deep = ppi(192, deep)
    pkts = [ppi(192, ppi(1, frame)), deep, ppi(258, pktap(1, frame)), ppi(147, frame),
            ppi(1, frame)]
    r = run(exe, w(d, "ppi-nesting.pcap", simple(pkts, linktype=192)))
    check(r.status == 0, f"exit {r.status}")
    want = {"bad_radio_header": 3, "unsupported_link": 1, "ok": 1}
    check(r.reasons() == want, f"reasons {r.reasons()} != {want}")
    r2 = run(exe, w(d, "pktap-ppi.pcap", simple([pktap(192, ppi(1, frame))], linktype=258)))
    check(r2.reasons() == {"ok": 1}, f"PKTAP around PPI: reasons {r2.reasons()}")
    return r


def w(d, name, data):
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    exe = sys.argv[1]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="sockscope-malformed-") as d:
        jobs = [(fn.__name__, lambda fn=fn: fn(d, exe)) for fn in CASES]
        if len(sys.argv) == 3 and os.path.isdir(sys.argv[2]):
            for name in sorted(os.listdir(sys.argv[2])):
                if name.startswith("fuzz-pipeline-") or name.endswith((".pcap", ".pcapng")):
                    p = os.path.join(sys.argv[2], name)
                    jobs.append((f"regression {name}", lambda p=p: run(exe, p)))
        for name, job in jobs:
            try:
                r = job()
                check_contract(r)
                print(f"ok   {name}")
                passed += 1
            except CaseFailed as e:
                print(f"FAIL {name}: {e}")
                failed += 1
            except Exception as e:  # a crash of the checker is a failure too
                print(f"FAIL {name}: {type(e).__name__}: {e}")
                failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
