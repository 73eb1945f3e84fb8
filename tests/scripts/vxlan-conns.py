#!/usr/bin/python3
"""Helper of check-vxlan.sh's findings phase (issue 12): real connections
over a tenant's VXLAN overlay, and the check of the findings they give.

  vxlan-conns.py PORT N
      from 192.168.42.1 (an ephemeral port), N connections one after the
      other to 192.168.42.2:PORT: send a line, read the answer, close with
      FIN, read to EOF; prints how many completed (the sockets' truth).
  vxlan-conns.py --check JSONL JSON SYNS C42 C43 R42 R43
      the findings of the capture: connection_churn C42 / C43 and
      syn_retransmits R42 / R43 once per VNI in jsonl and json, and tshark's
      VNIs of the SYNs to 8081 (SYNS, one per line) twice per connection.
"""
import collections
import json
import socket
import sys


def connect(port, n):
    done = 0
    for _ in range(n):  # bounded
        s = socket.create_connection(("192.168.42.2", port), timeout=5,
                                     source_address=("192.168.42.1", 0))
        s.sendall(b"hello\n")
        s.recv(4096)
        s.shutdown(socket.SHUT_WR)
        for _ in range(100):  # bounded
            if not s.recv(4096):
                break
        s.close()
        done += 1
    print(done)


def check(jl, js, syns, c42, c43, r42, r43):
    problems = []
    seen = collections.Counter(int(v) for v in open(syns).read().split())
    if seen != {42: 2 * r42, 43: 2 * r43}:
        problems.append(f"tshark: SYNs to 8081 per VNI {dict(seen)}, want each sent twice")
    want = {("connection_churn", 42, c42), ("connection_churn", 43, c43),
            ("syn_retransmits", 42, r42), ("syn_retransmits", 43, r43)}
    found = {"jsonl": [o for o in map(json.loads, open(jl)) if o["kind"] == "finding"],
             "json": json.load(open(js))["findings"]}
    for fmt, objs in found.items():
        got = {(o["id"], (o.get("tunnel") or {}).get("vni"), o["count"]) for o in objs
               if o["id"] in ("connection_churn", "syn_retransmits")}
        if got != want:
            problems.append(f"{fmt}: findings (id, vni, count) {sorted(got, key=str)}, "
                            f"want {sorted(want)}")
    for p in problems:
        print(f"     {p}")
    return not problems


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        sys.exit(0 if check(*sys.argv[2:5], *(int(x) for x in sys.argv[5:9])) else 1)
    connect(int(sys.argv[1]), int(sys.argv[2]))
