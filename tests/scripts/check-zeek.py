#!/usr/bin/env python3
"""Checks sockscope's Zeek conn.log output the way zeek-cut reads it.

Usage: check-zeek.py SOCKSCOPE CAPTURE|DIR [...]   (a DIR means its *.pcap, *.pcapng)

For every capture, `-F zeek` must be a well-formed Zeek ASCII log: the
header lines in Zeek's order (#separator \\x09, #set_separator, #empty_field,
#unset_field, #path conn, #open, #fields, #types), then rows, then #close;
#fields and #types name the same number of columns, every row has exactly
that many, and every value parses as its type (time/interval: decimal
seconds; port/count: unsigned integers; addr: an IPv4/IPv6 address; bool:
T/F; set[string]: the empty field or ,-separated) or is the unset field.
uids are unique and Zeek-shaped; community_id is recomputed here from the
row (Community ID v1 with hashlib, independently of the C code).  `-F
zeek-json` must hold the same records with Zeek's JSON field names, and both
must agree with the jsonl output (same records, same order, same
endpoints).  When the capture had tunnels a second log block, #path tunnel
(Zeek's tunnel.log fields), follows the conn log: one DISCOVER and one CLOSE
row per jsonl tunnel record, and every conn row's tunnel_parents names one
of its uids (zeek-json: the same rows as objects with "_path":"tunnel").
Prints one line per capture and "N passed, N failed".
"""
import base64
import glob
import hashlib
import ipaddress
import json
import os
import re
import subprocess
import sys

FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration "
          "orig_bytes resp_bytes conn_state local_orig local_resp missed_bytes history "
          "orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents community_id").split()
TYPES = ("time string addr port addr port enum string interval count count string bool "
         "bool count string count count count count set[string] string").split()
TUNNEL_FIELDS = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p tunnel_type action".split()
TUNNEL_TYPES = "time string addr port addr port enum enum".split()
ZEEK_DATE = re.compile(r"^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$")
DECIMAL = re.compile(r"^-?\d+\.\d{6}$")
UID = re.compile(r"^C[0-9A-Za-z]{17}$")
CID = re.compile(r"^1:[A-Za-z0-9+/]{27}=$")
PROTO_NUM = {"tcp": 6, "udp": 17}


def run(exe, capture, fmt):
    proc = subprocess.run([exe, "--builtin-services", "--color=never", "-F", fmt, "-r", capture],
                          capture_output=True, timeout=120)
    if proc.returncode not in (0, 1):
        raise ValueError(f"-F {fmt}: exit {proc.returncode}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode("ascii")  # Zeek's escaping leaves only ASCII


def community_id(proto, saddr, sport, daddr, dport, seed=0):
    a, b = ipaddress.ip_address(saddr).packed, ipaddress.ip_address(daddr).packed
    if (a, sport) > (b, dport):
        a, b, sport, dport = b, a, dport, sport
    data = (seed.to_bytes(2, "big") + a + b + bytes([PROTO_NUM[proto], 0])
            + sport.to_bytes(2, "big") + dport.to_bytes(2, "big"))
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def check_value(typ, value, unset, empty):
    if value == unset:
        return
    if typ in ("time", "interval"):
        if not DECIMAL.match(value):
            raise ValueError(f"{typ} {value!r} is not decimal seconds")
        float(value)
    elif typ in ("port", "count"):
        if not value.isdigit():
            raise ValueError(f"{typ} {value!r} is not an unsigned integer")
        if typ == "port" and int(value) > 65535:
            raise ValueError(f"port {value} out of range")
        if typ == "count" and int(value) >= 2**64:
            raise ValueError(f"count {value} out of range")
    elif typ == "addr":
        ipaddress.ip_address(value)
    elif typ == "bool":
        if value not in ("T", "F"):
            raise ValueError(f"bool {value!r}")
    elif typ == "set[string]":
        if value != empty and any(e == "" for e in value.split(",")):
            raise ValueError(f"set {value!r} has an empty element")
    elif typ in ("string", "enum"):
        if value == "" or any(ord(ch) < 0x20 or ord(ch) > 0x7e for ch in value):
            raise ValueError(f"{typ} {value!r} is empty or not escaped")
    else:
        raise ValueError(f"unknown type {typ}")


def parse_tsv(text):
    """The conn log's rows, and the tunnel log's when there is one."""
    lines = text.split("\n")
    if lines[-1] != "":
        raise ValueError("output does not end with a newline")
    lines.pop()
    if not lines or lines[0] != "#separator \\x09":
        raise ValueError(f"first line {lines[:1]!r} is not '#separator \\x09'")
    starts = [i for i, line in enumerate(lines) if line == "#separator \\x09"] + [len(lines)]
    if len(starts) > 3:
        raise ValueError(f"{len(starts) - 1} log blocks, at most conn and tunnel expected")
    conn = parse_block(lines[starts[0]:starts[1]], "conn", FIELDS, TYPES)
    tunnel = []
    if len(starts) == 3:
        tunnel = parse_block(lines[starts[1]:starts[2]], "tunnel", TUNNEL_FIELDS, TUNNEL_TYPES,
                             starts[1])
    return conn, tunnel


def parse_block(lines, path, want_fields, want_types, first=0):
    sep = "\t"
    meta, rows, closed = {}, [], False
    for n, line in enumerate(lines[1:], first + 2):
        if line.startswith("#"):
            name, _, value = line[1:].partition(sep)
            if rows or name in meta:
                if name != "close" or closed:
                    raise ValueError(f"line {n}: unexpected header #{name}")
                closed = True
            meta[name] = value
            continue
        if closed:
            raise ValueError(f"line {n}: row after #close")
        if "fields" not in meta or "types" not in meta:
            raise ValueError(f"line {n}: row before #fields/#types")
        rows.append(line.split(sep))
    order = ["set_separator", "empty_field", "unset_field", "path", "open", "fields", "types", "close"]
    if list(meta) != order:
        raise ValueError(f"header lines {list(meta)} are not {order}")
    if (meta["set_separator"], meta["empty_field"], meta["unset_field"], meta["path"]) != \
            (",", "(empty)", "-", path):
        raise ValueError(f"unexpected header values {meta}")
    for k in ("open", "close"):
        if not ZEEK_DATE.match(meta[k]):
            raise ValueError(f"#{k} {meta[k]!r} is not YYYY-MM-DD-HH-MM-SS")
    fields, types = meta["fields"].split(sep), meta["types"].split(sep)
    if len(fields) != len(types):
        raise ValueError(f"{len(fields)} #fields but {len(types)} #types")
    if fields != want_fields or types != want_types:
        raise ValueError(f"#fields/#types differ from {path}.log's: {fields} {types}")
    records = []
    for i, row in enumerate(rows, 1):
        if len(row) != len(fields):
            raise ValueError(f"row {i}: {len(row)} fields, #fields has {len(fields)}")
        for f, t, v in zip(fields, types, row):
            try:
                check_value(t, v, meta["unset_field"], meta["empty_field"])
            except ValueError as e:
                raise ValueError(f"row {i}, {f}: {e}") from None
        records.append(dict(zip(fields, row)))
    return records


def check_tunnels(rows, tunnel_rows, tunnel_objs, records):
    """tunnel.log: DISCOVER then CLOSE per jsonl tunnel record, the uids the
    conn rows' tunnel_parents name, and zeek-json's objects the same rows."""
    actions = {}
    for t in tunnel_rows:
        if not UID.match(t["uid"]) or not t["tunnel_type"].startswith("Tunnel::"):
            raise ValueError(f"tunnel row {t}")
        actions.setdefault(t["uid"], []).append(t["action"])
    if any(a != ["Tunnel::DISCOVER", "Tunnel::CLOSE"] for a in actions.values()):
        raise ValueError(f"tunnel actions {actions}")
    want = [o for o in records if o.get("kind") == "tunnel"]
    if len(actions) != len(want):
        raise ValueError(f"{len(actions)} tunnels in tunnel.log, jsonl has {len(want)}")
    for r in rows:
        if r["tunnel_parents"] != "(empty)" and r["tunnel_parents"] not in actions:
            raise ValueError(f"{r['uid']}: tunnel_parents {r['tunnel_parents']} not in tunnel.log")
    inner = [c for c in records if c.get("kind") == "connection" and "tunnel" in c]
    if sum(r["tunnel_parents"] != "(empty)" for r in rows) != len(inner):
        raise ValueError(f"tunnel_parents set on the wrong rows ({len(inner)} tunnelled)")
    if len(tunnel_objs) != len(tunnel_rows):
        raise ValueError(f"zeek-json has {len(tunnel_objs)} tunnel rows, zeek {len(tunnel_rows)}")
    for o, t in zip(tunnel_objs, tunnel_rows):
        if (o["uid"], o["tunnel_type"], o["action"], f"{o['ts']:.6f}") != \
                (t["uid"], t["tunnel_type"], t["action"], t["ts"]):
            raise ValueError(f"zeek-json tunnel row {o} != TSV {t}")


def check_capture(exe, capture):
    rows, tunnel_rows = parse_tsv(run(exe, capture, "zeek"))
    uids = [r["uid"] for r in rows]
    if len(set(uids)) != len(uids):
        raise ValueError("duplicate uid")
    for r in rows:
        if not UID.match(r["uid"]):
            raise ValueError(f"uid {r['uid']!r} is not C + 17 base-62 digits")
        if not CID.match(r["community_id"]):
            raise ValueError(f"community_id {r['community_id']!r}")
        want = community_id(r["proto"], r["id.orig_h"], int(r["id.orig_p"]),
                            r["id.resp_h"], int(r["id.resp_p"]))
        if r["community_id"] != want:
            raise ValueError(f"{r['uid']}: community_id {r['community_id']}, recomputed {want}")

    objs = [json.loads(line) for line in run(exe, capture, "zeek-json").splitlines()]
    tunnel_objs = [o for o in objs if o.get("_path") == "tunnel"]
    objs = [o for o in objs if "_path" not in o]
    if len(objs) != len(rows):
        raise ValueError(f"zeek-json has {len(objs)} records, zeek {len(rows)}")
    for o, r in zip(objs, rows):
        keys = list(o)
        if keys != [f for f in FIELDS if f in o]:
            raise ValueError(f"zeek-json keys {keys} out of conn.log order")
        for f, t in zip(FIELDS, TYPES):
            tsv = r[f]
            if f not in o:
                if tsv != "-":
                    raise ValueError(f"zeek-json lacks {f} (TSV {tsv!r})")
                continue
            v = o[f]
            if t in ("time", "interval"):
                ok = isinstance(v, float) and f"{v:.6f}" == tsv
            elif t in ("port", "count"):
                ok = isinstance(v, int) and not isinstance(v, bool) and str(v) == tsv
            elif t == "set[string]":
                ok = isinstance(v, list) and (",".join(v) if v else "(empty)") == tsv
            else:
                ok = isinstance(v, str) and (v or "(empty)") == tsv
            if not ok:
                raise ValueError(f"{r['uid']}: zeek-json {f}={v!r}, TSV {tsv!r}")

    records = [json.loads(line) for line in run(exe, capture, "jsonl").splitlines()]
    check_tunnels(rows, tunnel_rows, tunnel_objs, records)
    conns = [c for c in records if c.get("kind") == "connection"]
    if len(conns) != len(rows):
        raise ValueError(f"jsonl has {len(conns)} connections, zeek {len(rows)}")
    for c, r in zip(conns, rows):
        got = (r["id.orig_h"], int(r["id.orig_p"]), r["id.resp_h"], int(r["id.resp_p"]),
               r["proto"], r["conn_state"], r["history"], r["community_id"])
        want = (c["client"]["ip"], c["client"]["port"], c["server"]["ip"], c["server"]["port"],
                c["proto"], c["conn_state"], c["history"] or "(empty)", c["community_id"])
        if got != want:
            raise ValueError(f"zeek row {got} != jsonl record {want}")
    return len(rows)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    exe, captures = argv[1], []
    for arg in argv[2:]:
        if os.path.isdir(arg):
            captures += sorted(glob.glob(os.path.join(arg, "*.pcap")) +
                               glob.glob(os.path.join(arg, "*.pcapng")))
        else:
            captures.append(arg)
    passed = failed = 0
    for cap in captures:
        try:
            n = check_capture(exe, cap)
            print(f"ok   {os.path.basename(cap)}: {n} rows")
            passed += 1
        except (ValueError, json.JSONDecodeError, UnicodeDecodeError) as e:
            print(f"FAIL {os.path.basename(cap)}: {e}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
