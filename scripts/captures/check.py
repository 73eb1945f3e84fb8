#!/usr/bin/python3
"""Cross-check captures/*.truth.tsv against the packets in each capture.

Usage: check.py CAPTURE [CAPTURE ...]      (truth file = CAPTURE + ".truth.tsv")

An independent, deliberately simple re-derivation of connections, roles and
outcomes from the packets (its own link-layer decoding, scapy only for IP and
above).  It is a consistency check for the ground truth, not a reference
implementation of sockscope.  Exit status 1 if any truth file disagrees.
"""
import struct
import sys

from scapy.all import ICMP, ICMPv6DestUnreach, IP, IPv6, TCP, UDP, IPerror, IPerror6, TCPerror, UDPerror
from scapy.utils import RawPcapNgReader, RawPcapReader
from scapy.packet import Padding as scapy_padding


def l3_of(linktype, data):
    """Return the bytes of the IPv4/IPv6 packet in a frame, or None."""
    def by_version(b):
        return b if b and (b[0] >> 4) in (4, 6) else None

    if linktype == 1:  # Ethernet, any number of 802.1Q / 802.1ad tags
        off, etype = 12, None
        for _ in range(8):
            etype = struct.unpack_from(">H", data, off)[0]
            if etype in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            break
        return data[off + 2:] if etype in (0x0800, 0x86DD) else None
    if linktype == 0:  # DLT_NULL, family in the writer's byte order
        fam = struct.unpack_from("<I" if data[0] else ">I", data)[0]
        return data[4:] if fam in (2, 10, 24, 28, 30) else None
    if linktype == 108:  # DLT_LOOP, network order
        fam = struct.unpack_from(">I", data)[0]
        return data[4:] if fam in (2, 24, 28, 30) else None
    if linktype in (101, 228, 229, 12, 14):
        return by_version(data)
    if linktype == 113:
        return data[16:] if struct.unpack_from(">H", data, 14)[0] in (0x0800, 0x86DD) else None
    if linktype == 276:
        return data[20:] if struct.unpack_from(">H", data, 0)[0] in (0x0800, 0x86DD) else None
    return None  # unsupported link type


def frames(path):
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"\x0a\x0d\x0d\x0a":
        r = RawPcapNgReader(path)
        for data, meta in r:
            yield meta.linktype, data
    else:
        r = RawPcapReader(path)
        for data, meta in r:
            yield r.linktype, data


def analyse(path):
    flows = []  # dicts, in order of first packet
    index = {}  # unordered key -> current flow

    def flow_for(proto, a, b, new_syn_seq=None):
        key = (proto,) + tuple(sorted([a, b]))
        f = index.get(key)
        if f is not None and proto == "tcp" and new_syn_seq is not None and f.get("ended") \
                and f.get("syn_seq") is not None and f["syn_seq"] != new_syn_seq:
            f = None  # same 4-tuple reused with a new ISN
        if f is None:
            f = {"proto": proto, "first": a, "pkts": [], "syns": [], "synacks": [],
                 "rst_from": set(), "icmp": False, "senders": [], "syn_seq": None}
            index[key] = f
            flows.append(f)
        return f

    for linktype, data in frames(path):
        raw = l3_of(linktype, data)
        if raw is None:
            continue
        p = IP(raw) if raw[0] >> 4 == 4 else IPv6(raw)
        ipl = IP if IP in p else IPv6
        src, dst = p[ipl].src, p[ipl].dst
        if p.haslayer(ICMP) or p.haslayer(ICMPv6DestUnreach):
            q = p.getlayer(IPerror) or p.getlayer(IPerror6)
            if q is None:
                continue
            if ICMP in p and p[ICMP].type != 3:
                continue
            l4 = q.getlayer(TCPerror) or q.getlayer(UDPerror)
            if l4 is None:
                continue
            proto = "tcp" if isinstance(l4, TCPerror) else "udp"
            f = flow_for(proto, (q.src, l4.sport), (q.dst, l4.dport))
            f["icmp"] = True
            continue
        if TCP in p:
            t = p[TCP]
            a, b = (src, t.sport), (dst, t.dport)
            fl = int(t.flags)
            syn, ack, rst, fin = fl & 2, fl & 16, fl & 4, fl & 1
            f = flow_for("tcp", a, b, t.seq if syn and not ack else None)
            f["senders"].append((a, bool(ack) and not syn))
            if len(t.payload) > 0 and not isinstance(t.payload, scapy_padding):
                f.setdefault("data_from", []).append((a, True))
            if syn and not ack:
                if f["syn_seq"] is None:
                    f["syn_seq"] = t.seq
                f["syns"].append(a)
            if syn and ack:
                f["synacks"].append(a)
            if rst:
                f["rst_from"].add(a)
                f["ended"] = True
            if fin:
                f["ended"] = True
        elif UDP in p:
            u = p[UDP]
            f = flow_for("udp", (src, u.sport), (dst, u.dport))
            f["senders"].append(((src, u.sport), False))
    out = []
    for f in flows:
        senders = {s for s, _ in f["senders"]}
        if f["proto"] == "udp":
            c = f["first"]
            s = [x for x in senders if x != c] or [None]
            srv = s[0]
            outcome = "answered" if srv else ("rejected" if f["icmp"] else "unanswered")
            out.append(("udp", c, srv, outcome, f))
            continue
        syn_senders = set(f["syns"])
        if len(syn_senders) == 2:
            c = f["syns"][0]
            outcome = "simultaneous"
        elif syn_senders:
            c = f["syns"][0]
            sa = bool(f["synacks"])
            acked = any(x == c and a for x, a in f["senders"])
            if sa and acked:
                outcome = "complete"
            elif sa:
                outcome = "incomplete"
            elif f["icmp"] or (f["rst_from"] - {c}):
                outcome = "rejected"
            else:
                outcome = "unanswered"
        elif f["synacks"]:
            srv = f["synacks"][0]  # only the server's half of the handshake
            c = next(x for x in senders if x != srv) if len(senders) > 1 else None
            # Data from the server proves the handshake completed.
            srv_data = any(x == srv and d for x, d in f.get("data_from", []))
            outcome = "complete" if (c is not None or srv_data) else "incomplete"
        else:
            c, outcome = None, "midstream"
        out.append(("tcp", c, None, outcome, f))
    return out


def main():
    bad = 0
    for cap in sys.argv[1:]:
        truth = [l.rstrip("\n").split("\t") for l in open(cap + ".truth.tsv") if not l.startswith("#")]
        tconns = [t for t in truth if t[0] == "connection"]
        derived = analyse(cap)
        problems = []
        if len(derived) != len(tconns):
            problems.append("%d connections in capture, %d in truth" % (len(derived), len(tconns)))
        for (proto, c, _, outcome, f), t in zip(derived, tconns):
            _, tp, cip, cport, sip, sport, tout = t
            ends = {(cip, int(cport)), (sip, int(sport))}
            key_ends = set()
            for s, _ in f["senders"]:
                key_ends.add(s)
            ok = proto == tp and outcome == tout
            if c is not None and c != (cip, int(cport)):
                ok = False
            if not key_ends <= ends:
                ok = False
            if not ok:
                problems.append("truth %s vs capture %s %s %s" % (t, proto, c, outcome))
        # listeners: one per server endpoint of the truth's connections, state
        # open if anything there answered, closed if refused, filtered if silent
        want = {}
        for _, tp, cip, cport, sip, sport, tout in tconns:
            if tout == "simultaneous":
                continue
            st = {"rejected": "closed", "unanswered": "filtered"}.get(tout, "open")
            old = want.get((tp, sip, sport))
            if old != "open":
                want[(tp, sip, sport)] = st if old in (None, "filtered") or st == "open" else old
        have = {(t[1], t[4], t[5]): t[6] for t in truth if t[0] == "listener"}
        if want != have:
            problems.append("listeners %s, expected %s" % (have, want))
        status = "OK " if not problems else "BAD"
        bad += bool(problems)
        print("%s %-34s %d connections: %s" % (status, cap.split("/")[-1], len(derived),
                                               ", ".join(o for _, _, _, o, _ in derived) or "-"))
        for pr in problems:
            print("    " + pr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
