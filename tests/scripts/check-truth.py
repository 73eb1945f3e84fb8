#!/usr/bin/env python3
"""Checks sockscope's roles and outcomes against each capture's ground truth.

Usage: check-truth.py SOCKSCOPE CAPTURE|DIR [...]   (a DIR means its *.pcap, *.pcapng)

For every CAPTURE, CAPTURE.truth.tsv (written by scripts/make-captures.sh)
lists each connection the capture script made on purpose: the client's
address and exact ephemeral port, the server's address and port, and the
outcome; and every listening socket with its state.  An optional eighth
column names the virtual network ("vxlan:42"; "-" or no column: not
tunnelled), which is part of a connection's and a listener's identity: two
tenants' 192.168.42.2:8080 are two listeners.  sockscope's jsonl output must
contain exactly those connections (as a multiset) and those listeners.  Prints one line per capture and "N passed, N failed".
"""
import collections
import glob
import json
import os
import subprocess
import sys


def load_truth(path):
    conns, listeners = collections.Counter(), set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 7:
                fields.append("-")
            rec, proto, cip, cport, sip, sport, outcome, vnet = fields
            if rec == "connection":
                conns[(proto, cip, cport, sip, int(sport), outcome, vnet)] += 1
            elif rec == "listener":
                listeners.add((proto, sip, int(sport), outcome, vnet))
    return conns, listeners


def vnet(obj):
    """A record's virtual network as the truth files write it."""
    t = obj.get("tunnel")
    if not t:
        return "-"
    return t["type"] if t.get("vni") is None else f"{t['type']}:{t['vni']}"


def run_sockscope(exe, capture):
    proc = subprocess.run([exe, "--builtin-services", "-F", "jsonl", "-r", capture],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.strip()}")
    conns, listeners = collections.Counter(), set()
    wildcard_ports = collections.Counter()
    for line in proc.stdout.splitlines():
        obj = json.loads(line)
        if obj["kind"] == "connection":
            c, s = obj["client"], obj["server"]
            key = (obj["proto"], c["ip"], str(c["port"]), s["ip"], s["port"], obj["outcome"],
                   vnet(obj))
            conns[key] += 1
            wildcard_ports[key[:2] + ("*",) + key[3:]] += 1
        elif obj["kind"] == "listener":
            listeners.add((obj["proto"], obj["ip"], obj["port"], obj["state"], vnet(obj)))
    return conns, listeners, wildcard_ports


def main():
    exe, captures = sys.argv[1], []
    for arg in sys.argv[2:]:
        if os.path.isdir(arg):
            captures += sorted(glob.glob(os.path.join(arg, "*.pcap")) +
                               glob.glob(os.path.join(arg, "*.pcapng")))
        else:
            captures.append(arg)
    passed = failed = 0
    for cap in captures:
        want_conns, want_listeners = load_truth(cap + ".truth.tsv")
        try:
            got_conns, got_listeners, got_wild = run_sockscope(exe, cap)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            print(f"FAIL {cap}: {e}")
            failed += 1
            continue
        problems = []
        for key, n in want_conns.items():
            have = got_wild[key] if key[2] == "*" else got_conns[key]
            if have != n:
                problems.append(f"expected {n}x connection {key}, found {have}")
        exact_want = sum(want_conns.values())
        if sum(got_conns.values()) != exact_want:
            extra = got_conns - collections.Counter(
                {k: v for k, v in want_conns.items() if k[2] != "*"})
            problems.append(f"{sum(got_conns.values())} connections reported, "
                            f"{exact_want} expected; unexpected: {dict(extra)}")
        if got_listeners != want_listeners:
            problems.append(f"listeners missing {sorted(want_listeners - got_listeners)}, "
                            f"unexpected {sorted(got_listeners - want_listeners)}")
        if problems:
            failed += 1
            print(f"FAIL {cap}")
            for p in problems:
                print(f"     {p}")
        else:
            passed += 1
            print(f"ok   {cap}: {exact_want} connections, {len(want_listeners)} listeners")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
