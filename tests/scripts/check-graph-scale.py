#!/usr/bin/env python3
"""The host graph (-F html, -F dot) takes time linear in distinct clients.

Usage: check-graph-scale.py SOCKSCOPE [N]     (default N = 100000)

Writes a pcap (in a temp dir) of N answered TCP connections (SYN, SYN-ACK,
ACK) to one listener, 10.0.0.1:80, each from a different client address,
then times sockscope -F json, -F html and -F dot on it in this one run and
checks that html and dot take about what json takes (the graph's edge table
used to hash every client of one listener into one bucket: 100k clients
took 38 s in html against 0.34 s in json).  The bound is generous (a ratio,
so a slow machine does not fail it) and the graph must still say how many
client hosts it did not draw.  Prints "N passed, N failed".
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapwrite import PCAP_HEADER, record, tcp_frame  # noqa: E402

RATIO = 6.0        # html or dot against json, with a floor of FLOOR_S
FLOOR_S = 0.5


def write_capture(path, n):
    server = bytes([10, 0, 0, 1])
    t0 = 1767225600
    with open(path, "wb") as f:
        f.write(PCAP_HEADER)
        k = 0
        for i in range(n):
            src = struct.pack("!I", 0x64400000 + i * 7)   # all distinct
            sport = 1024 + i % 64000
            for data in (tcp_frame(src, server, sport, 80, 0x02, 1000),
                         tcp_frame(server, src, 80, sport, 0x12, 5000, 1001),
                         tcp_frame(src, server, sport, 80, 0x10, 1001, 5001)):
                record(f, t0 + k // 1000000, k % 1000000, data)
                k += 1


def timed(exe, args, out, timeout=None):
    """(process or None when it ran past `timeout`, seconds)."""
    start = time.monotonic()
    with open(out, "wb") as f:
        try:
            proc = subprocess.run([exe] + args, stdout=f, stderr=subprocess.PIPE, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            proc = None
    return proc, time.monotonic() - start


def main():
    exe = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")

    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "clients.pcap")
        write_capture(cap, n)
        times = {}
        bound = None
        for fmt in ("json", "html", "dot"):
            out = os.path.join(tmp, "out." + fmt)
            # A quadratic graph is stopped well past the bound, not waited for.
            proc, secs = timed(exe, ["-r", cap, "-F", fmt], out,
                               None if bound is None else bound * 2 + 10)
            times[fmt] = secs
            if bound is None:
                bound = max(secs, FLOOR_S) * RATIO
            print(f"# {fmt}: {secs:.2f} s for {n} clients")
            if proc is None:
                check(f"{fmt}-exit", False, f"still running after {secs:.0f} s; killed")
                continue
            check(f"{fmt}-exit", proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr}")
            if fmt == "dot":
                with open(out) as f:
                    text = f.read()
                want = f"{n - 24} client hosts"
                check("dot-omitted-clients", want in text, f"no '{want}' in the graph label")
        for fmt in ("html", "dot"):
            check(f"{fmt}-linear", times[fmt] <= bound,
                  f"{times[fmt]:.2f} s, json {times['json']:.2f} s (bound {bound:.2f} s)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
