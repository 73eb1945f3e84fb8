#!/usr/bin/env python3
"""Accuracy of role inference when the handshakes are cut away.

Usage: check-inference.py SOCKSCOPE CAPTURES_DIR [GEN_CAPTURE]

For every captures/real-*.pcap* (each with a .truth.tsv of the true client
and server), writes filtered copies into a temporary directory with a small
pure-Python pcap/pcapng rewriter:

  nosyn   every packet with the SYN flag (SYN and SYN-ACK) dropped
  first3  the first 3 packets of every TCP connection (5-tuple) dropped

and runs sockscope on each copy in both modes: keep-all (-F json: learn
from the whole capture, then decide) and streaming (-F jsonl: decide each
record when it ends).  Every TCP/UDP connection that remains must have the
true client and server (ip and port); a record whose roles were inferred
(not syn, syn_ack, simultaneous_open, icmp_unreachable) must never say
"high".  Prints the accuracy per capture, variant and mode; exits 1 on any
wrong role.

With GEN_CAPTURE (bench/gen-capture), also generates a larger synthetic
capture with --truth, cuts its SYNs and prints the accuracy of that sample
(it must be at least MIN_SYNTHETIC_ACCURACY)."""
import collections
import glob
import ipaddress
import json
import os
import struct
import subprocess
import sys
import tempfile

PROOF = {"syn", "syn_ack", "simultaneous_open", "icmp_unreachable"}
MIN_SYNTHETIC_ACCURACY = 0.99

# ---- packet parsing (just enough to find TCP flags and ports) ----


def l3_offset(linktype, data):
    """(ethertype-ish family, offset of the IP header) or (None, None)."""
    if linktype == 1:  # Ethernet, with 802.1Q / 802.1ad tags
        off, et = 12, None
        while off + 2 <= len(data):
            et = struct.unpack_from("!H", data, off)[0]
            off += 2
            if et in (0x8100, 0x88A8, 0x9100):
                off += 2
                continue
            break
        return et, off
    if linktype == 113:  # Linux SLL
        if len(data) < 16:
            return None, None
        return struct.unpack_from("!H", data, 14)[0], 16
    if linktype == 276:  # Linux SLL2
        if len(data) < 20:
            return None, None
        return struct.unpack_from("!H", data, 0)[0], 20
    if linktype in (12, 101, 228, 229):  # raw IP
        if not data:
            return None, None
        v = data[0] >> 4
        return (0x0800 if v == 4 else 0x86DD), 0
    if linktype in (0, 108):  # BSD NULL / LOOP
        if len(data) < 4:
            return None, None
        v = data[4] >> 4 if len(data) > 4 else 0
        return (0x0800 if v == 4 else 0x86DD), 4
    return None, None


def tcp_info(linktype, data):
    """(key, flags) for a TCP packet, else None; key is the canonical tuple."""
    et, off = l3_offset(linktype, data)
    if et == 0x0800 and len(data) >= off + 20:
        ihl = (data[off] & 0x0F) * 4
        proto = data[off + 9]
        frag = struct.unpack_from("!H", data, off + 6)[0] & 0x1FFF
        src, dst = data[off + 12:off + 16], data[off + 16:off + 20]
        l4 = off + ihl
        if frag:
            return None
    elif et == 0x86DD and len(data) >= off + 40:
        proto = data[off + 6]
        src, dst = data[off + 8:off + 24], data[off + 24:off + 40]
        l4 = off + 40
        while proto in (0, 43, 60, 44) and len(data) >= l4 + 8:
            nxt = data[l4]
            l4 += 8 if proto == 44 else (data[l4 + 1] + 1) * 8
            proto = nxt
    else:
        return None
    if proto != 6 or len(data) < l4 + 14:
        return None
    sport, dport = struct.unpack_from("!HH", data, l4)
    flags = data[l4 + 13]
    a, b = (bytes(src), sport), (bytes(dst), dport)
    return (min(a, b), max(a, b)), flags


# ---- capture files ----


def rewrite(path, out, keep):
    """Copies capture `path` to `out`, keeping packets for which
    keep(linktype, data) is true.  pcap (any byte order / precision) and
    pcapng (Enhanced and Simple Packet Blocks)."""
    raw = open(path, "rb").read()
    magic = raw[:4]
    res = bytearray()
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        linktype = struct.unpack_from(e + "I", raw, 20)[0] & 0xFFFF
        res += raw[:24]
        off = 24
        while off + 16 <= len(raw):
            incl = struct.unpack_from(e + "I", raw, off + 8)[0]
            rec = raw[off:off + 16 + incl]
            if keep(linktype, rec[16:]):
                res += rec
            off += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if raw[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        links, off = [], 0
        while off + 12 <= len(raw):
            btype, blen = struct.unpack_from(e + "II", raw, off)
            if btype == 0x0A0D0D0A:
                e = "<" if raw[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                btype, blen = struct.unpack_from(e + "II", raw, off)
                links = []
            block = raw[off:off + blen]
            if btype == 1:
                links.append(struct.unpack_from(e + "H", block, 8)[0])
                res += block
            elif btype == 6:
                ifid, _, _, cap = struct.unpack_from(e + "IIII", block, 8)
                if keep(links[ifid] if ifid < len(links) else 1, block[28:28 + cap]):
                    res += block
            elif btype == 3:
                if keep(links[0] if links else 1, block[12:blen - 4]):
                    res += block
            else:
                res += block
            off += blen
    else:
        raise ValueError(f"{path}: not a pcap or pcapng file")
    with open(out, "wb") as f:
        f.write(res)


def drop_syns(linktype, data):
    t = tcp_info(linktype, data)
    return t is None or not (t[1] & 0x02)


def drop_first(n):
    seen = collections.Counter()

    def keep(linktype, data):
        t = tcp_info(linktype, data)
        if t is None:
            return True
        seen[t[0]] += 1
        return seen[t[0]] > n
    return keep


# ---- truth and sockscope ----


def norm_ip(s):
    return ipaddress.ip_address(s).compressed


def load_truth(path):
    """{(proto, frozenset of the two endpoints): (client, server)}"""
    truth = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "connection":
                parts = parts[1:]
            elif parts[0] == "listener":
                continue
            proto, cip, cport, sip, sport = parts[:5]
            if cport in ("-", "*"):
                continue
            c, s = (norm_ip(cip), int(cport)), (norm_ip(sip), int(sport))
            truth[(proto, frozenset((c, s)))] = (c, s)
    return truth


def run(exe, capture, fmt):
    proc = subprocess.run([exe, "--builtin-services", "-F", fmt, "-r", capture],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{capture}: exit {proc.returncode}: {proc.stderr.strip()}")
    if fmt == "json":
        return json.loads(proc.stdout)["connections"]
    return [o for o in map(json.loads, proc.stdout.splitlines()) if o["kind"] == "connection"]


def score(conns, truth):
    """(right, wrong, unmatched, evidence counts, problems)"""
    right = wrong = unmatched = 0
    by_evidence = collections.Counter()
    problems = []
    for o in conns:
        c = (norm_ip(o["client"]["ip"]), o["client"]["port"])
        s = (norm_ip(o["server"]["ip"]), o["server"]["port"])
        want = truth.get((o["proto"], frozenset((c, s))))
        if want is None:
            unmatched += 1
            continue
        by_evidence[o["evidence"]] += 1
        if o["evidence"] not in PROOF and o["confidence"] == "high":
            problems.append(f"inferred role with high confidence: {o['proto']} {c} -> {s} "
                            f"({o['evidence']})")
        if (c, s) == want:
            right += 1
        else:
            wrong += 1
            problems.append(f"wrong roles: {o['proto']} {c} -> {s} ({o['evidence']}, "
                            f"{o['confidence']}); truth {want[0]} -> {want[1]}")
    return right, wrong, unmatched, by_evidence, problems


def pct(right, total):
    return f"{100.0 * right / total:.1f}%" if total else "n/a"


def synthetic(exe, gen, tmp):
    cap, tsv = os.path.join(tmp, "synthetic.pcap"), os.path.join(tmp, "synthetic.tsv")
    # The generator is another tool: its own leaks (sanitizer builds) or
    # failures skip the synthetic sample, they do not fail this test.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    gen_run = subprocess.run([gen, "--packets", "200000", "--concurrent", "2000", "--seed", "7",
                              "-o", cap, "--truth", tsv], capture_output=True, timeout=600,
                             env=env)
    if gen_run.returncode != 0:
        print(f"synthetic sample skipped: gen-capture exit {gen_run.returncode}")
        return True
    truth = load_truth(tsv)
    cut = os.path.join(tmp, "synthetic-nosyn.pcap")
    rewrite(cap, cut, drop_syns)
    ok = True
    for mode, fmt in (("keep-all", "json"), ("streaming", "jsonl")):
        right, wrong, unmatched, ev, problems = score(run(exe, cut, fmt), truth)
        total = right + wrong
        print(f"synthetic (gen-capture, SYNs cut) {mode}: {right}/{total} right "
              f"({pct(right, total)}), evidence {dict(sorted(ev.items()))}")
        for p in problems[:10]:
            if "high confidence" in p:
                print("  " + p)
                ok = False
        if total and right / total < MIN_SYNTHETIC_ACCURACY:
            print(f"  FAIL: below {MIN_SYNTHETIC_ACCURACY:.0%}")
            for p in problems[:10]:
                print("  " + p)
            ok = False
    return ok


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    exe, captures_dir = sys.argv[1], sys.argv[2]
    gen = sys.argv[3] if len(sys.argv) > 3 else None
    captures = sorted(glob.glob(os.path.join(captures_dir, "real-*.pcap")) +
                      glob.glob(os.path.join(captures_dir, "real-*.pcapng")))
    if not captures:
        print(f"no real-* captures in {captures_dir}")
        return 77
    variants = (("nosyn", lambda: drop_syns), ("first3", lambda: drop_first(3)))
    failed = 0
    totals = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for cap in captures:
            truth = load_truth(cap + ".truth.tsv")
            for vname, make_keep in variants:
                out = os.path.join(tmp, f"{vname}-{os.path.basename(cap)}")
                rewrite(cap, out, make_keep())
                for mode, fmt in (("keep-all", "json"), ("streaming", "jsonl")):
                    right, wrong, unmatched, ev, problems = score(run(exe, out, fmt), truth)
                    total = right + wrong
                    totals["right"] += right
                    totals["total"] += total
                    status = "FAIL" if problems else "ok  "
                    print(f"{status} {os.path.basename(cap)} {vname} {mode}: {right}/{total} "
                          f"right ({pct(right, total)}), evidence {dict(sorted(ev.items()))}")
                    for p in problems:
                        print("     " + p)
                    failed += bool(problems)
        if gen and os.access(gen, os.X_OK):
            if not synthetic(exe, gen, tmp):
                failed += 1
    print(f"real captures, handshakes cut: {totals['right']}/{totals['total']} right "
          f"({pct(totals['right'], totals['total'])}); {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
