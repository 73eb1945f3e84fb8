#!/usr/bin/env python3
"""Drift mode of `sockscope compare` against the truth of make-drift.sh.

Usage: check-drift.py SOCKSCOPE DIR [--golden GOLDEN_DIR [--update]]

DIR holds drift-a.pcap, drift-b.pcap and drift.truth.tsv, written by
tests/scripts/make-drift.sh from what it changed between the two captures
(real TCP stacks in network namespaces).  Checks, on `compare --mode drift
-F jsonl`:
  - the listener_change records are exactly the truth's (listener, change,
    before, after, confidence): no listener missing, none extra;
  - the client_network_change records are exactly the truth's (listener,
    network, change, confidence);
  - one ephemeral_change per truth host, verdict "changed", with the range
    among what differs and B's observed ports inside the range the script
    set;
  - one finding per listener and network change;
  - auto mode picks drift when the captures are further apart than
    --max-skew (1 s here: the script leaves about 3 s between them).
With --golden, the drift output in every compare format (text, jsonl, json,
csv, markdown, html) must match GOLDEN_DIR/drift.* byte for byte (run from
the source root with DIR given relative to it, so the file names in the
output are stable); --update rewrites them instead (read the diff).
Exit 0 pass, 1 fail.
"""
import json
import os
import subprocess
import sys

FORMATS = [("text", "txt"), ("jsonl", "jsonl"), ("json", "json"), ("csv", "csv"),
           ("markdown", "md"), ("html", "html")]


def load_truth(path):
    listeners, networks, ephemeral = set(), set(), {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            kind, subject, change, before, after, conf = line.rstrip("\n").split("\t")
            dash = lambda v: None if v == "-" else v
            if kind == "listener_change":
                listeners.add((subject, change, dash(before), dash(after), conf))
            elif kind == "client_network_change":
                listener, network = subject.split(" ")
                networks.add((listener, network, change, conf))
            elif kind == "ephemeral_change":
                lo, hi = (int(x) for x in after.split("-"))
                ephemeral[subject] = (change, lo, hi)
    return listeners, networks, ephemeral


def run(exe, args):
    p = subprocess.run([exe, "compare", "--builtin-services"] + args, capture_output=True,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def main():
    args = sys.argv[1:]
    update = "--update" in args
    if update:
        args.remove("--update")
    golden = None
    if "--golden" in args:
        i = args.index("--golden")
        golden = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    exe, d = os.path.abspath(args[0]), args[1]
    a, b = os.path.join(d, "drift-a.pcap"), os.path.join(d, "drift-b.pcap")
    truth = os.path.join(d, "drift.truth.tsv")
    if not os.path.exists(truth):
        print(f"SKIP: no {truth} (tests/scripts/make-drift.sh writes it)")
        return 77
    want_l, want_n, want_e = load_truth(truth)
    fails = []

    rc, out, err = run(exe, ["--mode", "drift", "-F", "jsonl", a, b])
    if rc not in (0, 1):
        print(f"FAIL compare --mode drift: exit {rc}: {err.strip()}")
        return 1
    recs = [json.loads(line) for line in out.decode().splitlines()]
    got_l = {(r["listener"], r["change"], r["before"], r["after"], r["confidence"])
             for r in recs if r["type"] == "listener_change"}
    got_n = {(r["listener"], r["network"], r["change"], r["confidence"])
             for r in recs if r["type"] == "client_network_change"}
    n_l = sum(r["type"] == "listener_change" for r in recs)
    n_n = sum(r["type"] == "client_network_change" for r in recs)
    if got_l != want_l or n_l != len(want_l):
        fails.append(f"listener changes: missing {sorted(want_l - got_l)}, "
                     f"extra {sorted(got_l - want_l)} ({n_l} records)")
    if got_n != want_n or n_n != len(want_n):
        fails.append(f"client network changes: missing {sorted(want_n - got_n)}, "
                     f"extra {sorted(got_n - want_n)} ({n_n} records)")
    eph = {r["host"]: r for r in recs if r["type"] == "ephemeral_change"}
    if set(eph) != set(want_e):
        fails.append(f"ephemeral changes for {sorted(eph)}, expected {sorted(want_e)}")
    for host, (verdict, lo, hi) in want_e.items():
        r = eph.get(host)
        if r is None:
            continue
        seen = r["after"]["ports_seen"]
        if (r["verdict"] != verdict or "range" not in r["differs"] or seen is None
                or not lo <= seen[0] <= seen[1] <= hi):
            fails.append(f"ephemeral change of {host}: {r}, expected {verdict} into {lo}-{hi}")
    findings = [r for r in recs if r["type"] == "finding"]
    ids = sorted(r["id"] for r in findings if r["id"].startswith(("listener_", "client_network_")))
    if len(ids) != len(want_l) + len(want_n):
        fails.append(f"findings {ids}: expected one per listener and network change")
    summary = recs[0]
    if summary.get("type") != "compare_summary" or summary.get("mode") != "drift":
        fails.append(f"first record: {recs[0]}")

    # auto mode: the captures are ~3 s apart, more than a 1 s skew allows
    rc, out, err = run(exe, ["--max-skew", "1", "-F", "jsonl", a, b])
    first = json.loads(out.decode().splitlines()[0]) if rc in (0, 1) and out else {}
    auto_l = sum(json.loads(line)["type"] == "listener_change" for line in out.decode().splitlines())
    if first.get("mode") != "drift" or auto_l != len(want_l):
        fails.append(f"auto mode with --max-skew 1: exit {rc}, {first.get('mode')} "
                     f"({first.get('mode_reason')}), {auto_l} listener changes")

    # auto mode with the default --max-skew (300 s): the ~3 s gap could be
    # a skewed clock, so the mode must come from evidence.  No TCP
    # connection of A has its ISN in B (these are different connections
    # that send the same bytes): drift, not path with payload "matches".
    rc, out, err = run(exe, ["-F", "jsonl", a, b])
    first = json.loads(out.decode().splitlines()[0]) if rc in (0, 1) and out else {}
    if first.get("mode") != "drift":
        fails.append(f"auto mode, default skew: exit {rc}, {first.get('mode')} "
                     f"({first.get('mode_reason')}): expected drift (no ISN matches)")
    # forced path mode on the same pair: whatever pairs payload and timing
    # make are low confidence (every client sends the same first bytes)
    rc, out, err = run(exe, ["--mode", "path", "-F", "jsonl", a, b])
    for line in out.decode().splitlines() if rc in (0, 1) else []:
        r = json.loads(line)
        if r["type"] == "compare_conn" and r["seen"] == "both" and \
                "isn" not in r["match"]["evidence"] and r["match"]["confidence"] != "low":
            fails.append(f"--mode path: payload-only match at {r['match']['confidence']} "
                         f"confidence: {r['a']} / {r['b']}")

    if golden is not None:
        for fmt, suffix in FORMATS:
            rc, out, err = run(exe, ["--mode", "drift", "-F", fmt, a, b])
            path = os.path.join(golden, "drift." + suffix)
            if rc not in (0, 1):
                fails.append(f"-F {fmt}: exit {rc}: {err.strip()}")
            elif update:
                os.makedirs(golden, exist_ok=True)
                with open(path, "wb") as f:
                    f.write(out)
                print(f"wrote {path}")
            elif not os.path.exists(path):
                fails.append(f"-F {fmt}: no expected file {path} (check-drift.py --update)")
            elif open(path, "rb").read() != out:
                fails.append(f"-F {fmt}: differs from {path}")

    for f in fails:
        print("FAIL " + f)
    print(f"drift: {len(want_l)} listener changes, {len(want_n)} network changes, "
          f"{len(want_e)} ephemeral changes expected; {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
