#!/usr/bin/env python3
"""Floods from spoofed sources stay inside the flow cap, in every kind.

Usage: check-flood.py SOCKSCOPE [N] [--no-rss]     (default N = 200000)

--no-rss: report peak memory but do not judge it (sanitizer builds, whose
shadow memory says nothing about sockscope's own use).

Writes a pcap (in a temp dir) of N bare SYNs to 10.0.0.1:80, each from a
different source address and port, none answered, plus one complete
connection to the same listener, then runs sockscope with --max-flows 20000
in a keep-all format (json) and in the streaming one (jsonl), and checks:
every attempt is counted at the listener, the flow cap held (high-water mark,
eviction counted, failed attempts aggregated instead of kept), the distinct-
client count stopped at its cap and says so, and peak memory stayed under a
bound that does not grow with N.

Then the other flood kinds (issue 15: only unanswered SYNs used to be
folded): UDP from M sources (json) and M answered SYNs, SYN and SYN-ACK
(text, the default of live capture), each at M and 2M flows.  Records that
end early past the keep-all bound (max(16384 - --max-flows, 1024)) are folded into
the roll-ups and counted by kind: the records listed plus the aggregated
ones add up to the flood, and peak RSS at 2M stays within 15% (+10 MB) of M.
Prints "N passed, N failed".
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

MAX_FLOWS = 20000
RSS_LIMIT_MB = 150


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, flags, seq, ack=0):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, dst))
    struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + bytes(ip) + tcp


def udp_frame(src, dst, sport, dport):
    udp = struct.pack("!HHHH", sport, dport, 8 + 4, 0) + b"ping"
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                               src, dst))
    struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + bytes(ip) + udp


def write_kind(path, kind, n):
    """n flows of one kind to 10.0.0.1, each from its own source: `udp`
    (one datagram to port 53) or `answered` (a SYN to port 80 and the
    server's SYN-ACK, as a SYN flood looks at the victim)."""
    server = bytes([10, 0, 0, 1])
    t = 1767225600
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        i = 0

        def rec(data):
            nonlocal i
            f.write(struct.pack("<IIII", t + i // 100000, (i % 100000) * 10, len(data),
                                len(data)))
            f.write(data)
            i += 1

        for k in range(n):
            src = struct.pack("!I", 0x64400000 + k * 7)
            sport = 1024 + k % 64000
            if kind == "udp":
                rec(udp_frame(src, server, sport, 53))
            else:
                isn = k * 2654435761 & 0xFFFFFFFF
                rec(frame(src, server, sport, 80, 0x02, isn))
                rec(frame(server, src, 80, sport, 0x12, isn ^ 0x5A5A5A5A, isn + 1))


def write_flood(path, n):
    server = bytes([10, 0, 0, 1])
    t = 1767225600
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def rec(i, data):
            ts = t + i // 100000
            f.write(struct.pack("<IIII", ts, (i % 100000) * 10, len(data), len(data)))
            f.write(data)

        # One real connection first: the listener answers someone.
        real = bytes([192, 0, 2, 7])
        rec(0, frame(real, server, 40000, 80, 0x02, 1000))
        rec(1, frame(server, real, 80, 40000, 0x12, 5000, 1001))
        rec(2, frame(real, server, 40000, 80, 0x10, 1001, 5001))
        for i in range(n):
            # Sources spread over 100.64.0.0/10 and beyond: all distinct.
            a = 0x64400000 + i * 7
            src = struct.pack("!I", a)
            rec(3 + i, frame(src, server, 1024 + i % 64000, 80, 0x02, i * 2654435761 & 0xFFFFFFFF))


def run(exe, args):
    """Runs sockscope; returns (process, peak RSS in MB of that child).

    os.wait4 gives the rusage of that one child.  The parent stays small
    while children run (outputs go to files, parsed afterwards), because a
    forked child starts out sharing the parent's memory and its high-water
    mark would include it."""
    proc = subprocess.Popen([exe] + args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr_text = err
    return proc, usage.ru_maxrss / 1024.0


def main():
    args = [a for a in sys.argv[1:] if a != "--no-rss"]
    judge_rss = "--no-rss" not in sys.argv
    exe = args[0]
    n = int(args[1]) if len(args) > 1 else 200000
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name} {detail}")

    with tempfile.TemporaryDirectory() as tmp:
        # The other kinds, at two sizes: what is listed plus what is
        # aggregated adds up, and memory does not grow with the flood.  Every
        # run comes before any output is parsed here, so this process stays
        # small (see run()); they are read after the SYN flood's runs.
        m = max(n // 2, 100000)
        kinds = (("udp", "json"), ("answered", "text"))
        rss = {}
        for kind, fmt in kinds:
            for size in (m, 2 * m):
                cap = os.path.join(tmp, f"{kind}-{size}.pcap")
                write_kind(cap, kind, size)
                out = os.path.join(tmp, f"{kind}-{size}.{fmt}")
                p, rss[kind, size] = run(exe, ["-F", fmt, "--max-flows", str(MAX_FLOWS),
                                               "-o", out, "-r", cap])
                os.unlink(cap)
                check(f"{kind} {size} {fmt}: exit 0", p.returncode == 0, p.stderr_text.strip())
        cap = os.path.join(tmp, "flood.pcap")
        write_flood(cap, n)
        print(f"flood: {n} SYNs from {n} sources, {os.path.getsize(cap) >> 20} MB")

        json_out = os.path.join(tmp, "out.json")
        jsonl_out = os.path.join(tmp, "out.jsonl")
        pj, rss_json = run(exe, ["-F", "json", "--max-flows", str(MAX_FLOWS), "-o", json_out,
                                 "-r", cap])
        pl, rss_jsonl = run(exe, ["-F", "jsonl", "--max-flows", str(MAX_FLOWS), "-o",
                                  jsonl_out, "-r", cap])

        check("json: exit 0", pj.returncode == 0, pj.stderr_text.strip())
        with open(json_out) as f:
            doc = json.load(f)
        s = doc["summary"]
        lst = [l for l in doc["listeners"] if l["port"] == 80]
        check("json: one listener 10.0.0.1:80", len(lst) == 1 and lst[0]["ip"] == "10.0.0.1")
        l = lst[0]
        check("json: every attempt counted at the listener",
              l["connections"] == n + 1 and l["outcomes"]["unanswered"] == n,
              f'{l["connections"]} / {l["outcomes"]}')
        check("json: listener open (it answered the real client)", l["state"] == "open")
        check("json: flow cap held", s["max_flows_tracked"] <= MAX_FLOWS, s["max_flows_tracked"])
        check("json: evictions counted", s["ended"]["evicted"] >= n + 1 - MAX_FLOWS, s["ended"])
        kept = max(16384 - MAX_FLOWS, 1024)
        check("json: failed attempts past the kept bound aggregated, not kept",
              s["flow_cap"]["kept_max"] == kept and
              s["aggregated_attempts"] == s["flow_cap"]["aggregated"]["tcp_failed"] and
              s["aggregated_attempts"] >= n + 1 - MAX_FLOWS - kept and
              len(doc["connections"]) == n + 1 - s["aggregated_attempts"],
              f'{s["aggregated_attempts"]} aggregated, {len(doc["connections"])} records')
        check("json: tcp_connections still counts them all", s["tcp_connections"] == n + 1)
        check("json: distinct clients capped and flagged",
              l["clients_capped"] == (n + 1 > 65536) and l["clients"] == min(n + 1, 65536),
              f'{l["clients"]} capped={l["clients_capped"]}')
        check(f"json: peak RSS {rss_json:.0f} MB <= {RSS_LIMIT_MB} MB",
              rss_json <= RSS_LIMIT_MB or not judge_rss)
        del doc

        check("jsonl: exit 0", pl.returncode == 0, pl.stderr_text.strip())
        conns = 0
        summ = None
        with open(jsonl_out) as f:
            for line in f:
                o = json.loads(line)
                conns += o["kind"] == "connection"
                summ = o
        check("jsonl: every attempt written as it was evicted", conns == n + 1, conns)
        check("jsonl: flow cap held", summ["max_flows_tracked"] <= MAX_FLOWS)
        check(f"jsonl: peak RSS {rss_jsonl:.0f} MB <= {RSS_LIMIT_MB} MB",
              rss_jsonl <= RSS_LIMIT_MB or not judge_rss)

        kept = max(16384 - MAX_FLOWS, 1024)
        for kind, fmt in kinds:
            for size in (m, 2 * m):
                out = os.path.join(tmp, f"{kind}-{size}.{fmt}")
                if fmt == "json":
                    with open(out) as f:
                        doc = json.load(f)
                    s = doc["summary"]
                    agg = s["flow_cap"]["aggregated"]
                    listed = len(doc["connections"])
                    check(f"{kind} {size}: listed + aggregated = {size}",
                          listed + agg["udp"] == size and agg["udp"] == size - MAX_FLOWS - kept
                          and s["udp_exchanges"] == size,
                          f'{listed} listed, {agg}, {s["udp_exchanges"]} exchanges')
                    del doc
                else:
                    with open(out) as f:
                        text = f.read()
                    check(f"{kind} {size}: the text summary counts the aggregated records",
                          "Flow cap:" in text and f"answered {size - MAX_FLOWS - kept}," in text)
                os.unlink(out)
            small, big = rss[kind, m], rss[kind, 2 * m]
            check(f"{kind}: peak RSS {small:.0f} MB at {m} flows, {big:.0f} MB at {2 * m}",
                  big <= small * 1.15 + 10 or not judge_rss, f"+{big - small:.0f} MB")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
