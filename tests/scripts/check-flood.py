#!/usr/bin/env python3
"""A SYN flood from N spoofed sources stays inside the flow cap.

Usage: check-flood.py SOCKSCOPE [N]      (default N = 200000)

Writes a pcap (in a temp dir) of N bare SYNs to 10.0.0.1:80, each from a
different source address and port, none answered, plus one complete
connection to the same listener, then runs sockscope with --max-flows 20000
in a keep-all format (json) and in the streaming one (jsonl), and checks:
every attempt is counted at the listener, the flow cap held (high-water mark,
eviction counted, failed attempts aggregated instead of kept), the distinct-
client count stopped at its cap and says so, and peak memory stayed under a
bound that does not grow with N.  Prints "N passed, N failed".
"""
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile

MAX_FLOWS = 20000
RSS_LIMIT_MB = 200


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
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([exe] + args, capture_output=True, text=True, timeout=600)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest so far; runs go smallest first.
    return proc, max(peak_kb, before) / 1024.0


def main():
    exe = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
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
        cap = os.path.join(tmp, "flood.pcap")
        write_flood(cap, n)
        print(f"flood: {n} SYNs from {n} sources, {os.path.getsize(cap) >> 20} MB")

        proc, rss = run(exe, ["-F", "json", "--max-flows", str(MAX_FLOWS), "-r", cap])
        check("json: exit 0", proc.returncode == 0, proc.stderr.strip())
        doc = json.loads(proc.stdout)
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
        check("json: failed attempts aggregated, not kept",
              s["aggregated_attempts"] >= n - MAX_FLOWS and
              len(doc["connections"]) == n + 1 - s["aggregated_attempts"],
              f'{s["aggregated_attempts"]} aggregated, {len(doc["connections"])} records')
        check("json: tcp_connections still counts them all", s["tcp_connections"] == n + 1)
        check("json: distinct clients capped and flagged",
              l["clients_capped"] == (n + 1 > 65536) and l["clients"] == min(n + 1, 65536),
              f'{l["clients"]} capped={l["clients_capped"]}')
        check(f"json: peak RSS {rss:.0f} MB <= {RSS_LIMIT_MB} MB", rss <= RSS_LIMIT_MB)

        proc, rss = run(exe, ["-F", "jsonl", "--max-flows", str(MAX_FLOWS), "-o",
                              os.path.join(tmp, "out.jsonl"), "-r", cap])
        check("jsonl: exit 0", proc.returncode == 0, proc.stderr.strip())
        with open(os.path.join(tmp, "out.jsonl")) as f:
            lines = [json.loads(x) for x in f]
        conns = sum(1 for o in lines if o["kind"] == "connection")
        summ = lines[-1]
        check("jsonl: every attempt written as it was evicted", conns == n + 1, conns)
        check("jsonl: flow cap held", summ["max_flows_tracked"] <= MAX_FLOWS)
        check(f"jsonl: peak RSS {rss:.0f} MB <= {RSS_LIMIT_MB} MB", rss <= RSS_LIMIT_MB)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
