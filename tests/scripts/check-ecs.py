#!/usr/bin/env python3
"""Checks sockscope's ECS output against the ECS field types.

Usage: check-ecs.py SOCKSCOPE CAPTURE|DIR [...]   (a DIR means its *.pcap, *.pcapng)

For every capture, each line of `-F ecs` must be a JSON object whose fields
(flattened to dotted names) are either ECS fields listed in ECS_FIELDS, with
a value of that field's type, or custom fields under "sockscope."; the
categorization fields must hold allowed values; and the numbers must agree
(network.bytes = source.bytes + destination.bytes, event.duration = end -
start in ns, the same records and community IDs as the jsonl output).
Prints one line per capture and "N passed, N failed".
"""
import datetime
import glob
import ipaddress
import json
import os
import re
import subprocess
import sys

# ECS version 8.11.0 (what sockscope writes in ecs.version).  Field types as
# the ECS field reference gives them (https://www.elastic.co/guide/en/ecs/
# 8.11/ecs-field-reference.html; also elastic/ecs generated/csv/fields.csv):
# the types of these fields have not changed since they were introduced.
ECS_VERSION = "8.11.0"
ECS_FIELDS = {
    "@timestamp": "date",
    "ecs.version": "keyword",
    "event.kind": "keyword",
    "event.category": "keyword",      # array
    "event.type": "keyword",          # array
    "event.outcome": "keyword",
    "event.duration": "long",         # nanoseconds
    "event.start": "date",
    "event.end": "date",
    "event.dataset": "keyword",
    "source.ip": "ip",
    "source.port": "long",
    "source.bytes": "long",
    "source.packets": "long",
    "destination.ip": "ip",
    "destination.port": "long",
    "destination.bytes": "long",
    "destination.packets": "long",
    "client.ip": "ip",
    "client.port": "long",
    "client.bytes": "long",
    "client.packets": "long",
    "server.ip": "ip",
    "server.port": "long",
    "server.bytes": "long",
    "server.packets": "long",
    "network.transport": "keyword",
    "network.type": "keyword",
    "network.iana_number": "keyword",
    "network.community_id": "keyword",
    "network.bytes": "long",
    "network.packets": "long",
}
# Fields ECS documents as arrays (a single value is also valid there).
ARRAYS = {"event.category", "event.type"}
# Allowed values of the categorization fields (ECS categorization reference).
ALLOWED = {
    "event.kind": {"alert", "asset", "enrichment", "event", "metric", "state",
                   "pipeline_error", "signal"},
    "event.category": {"api", "authentication", "configuration", "database", "driver",
                       "email", "file", "host", "iam", "intrusion_detection", "library",
                       "malware", "network", "package", "process", "registry", "session",
                       "threat", "vulnerability", "web"},
    # The values ECS expects together with event.category "network".
    "event.type": {"access", "allowed", "connection", "denied", "end", "info",
                   "protocol", "start"},
    "event.outcome": {"failure", "success", "unknown"},
}
CUSTOM_PREFIX = "sockscope."
ISO8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")


def flatten(obj, prefix=""):
    for k, v in obj.items():
        name = prefix + k
        if isinstance(v, dict):
            yield from flatten(v, name + ".")
        else:
            yield name, v


def check_type(name, typ, value):
    values = value if name in ARRAYS and isinstance(value, list) else [value]
    if name in ARRAYS and not values:
        raise ValueError(f"{name}: empty array")
    for v in values:
        if typ == "keyword":
            ok = isinstance(v, str) and v != ""
        elif typ == "long":
            ok = isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63
        elif typ == "ip":
            ok = isinstance(v, str)
            if ok:
                ipaddress.ip_address(v)
        elif typ == "date":
            ok = isinstance(v, str) and ISO8601.match(v) is not None
        else:
            raise ValueError(f"{name}: unknown type {typ}")
        if not ok:
            raise ValueError(f"{name}: {v!r} is not of ECS type {typ}")
        if name in ALLOWED and v not in ALLOWED[name]:
            raise ValueError(f"{name}: {v!r} is not an allowed value")


def ns_of(ts):
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", ts)
    sec = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
    frac = (m.group(2) or "").ljust(9, "0")
    return int(sec.timestamp()) * 10**9 + int(frac)


def run(exe, capture, fmt):
    proc = subprocess.run([exe, "--builtin-services", "--color=never", "-F", fmt, "-r", capture],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode not in (0, 1):
        raise ValueError(f"-F {fmt}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def check_capture(exe, capture):
    docs = [json.loads(line) for line in run(exe, capture, "ecs").splitlines()]
    conns = [json.loads(line) for line in run(exe, capture, "jsonl").splitlines()]
    conns = [c for c in conns if c.get("kind") == "connection"]
    if len(docs) != len(conns):
        raise ValueError(f"{len(docs)} ECS documents, {len(conns)} jsonl connections")
    for d, c in zip(docs, conns):
        flat = dict(flatten(d))
        for name, value in flat.items():
            if name.startswith(CUSTOM_PREFIX):
                continue
            if name not in ECS_FIELDS:
                raise ValueError(f"{name}: not an ECS field in the table, nor under sockscope.")
            check_type(name, ECS_FIELDS[name], value)
        for name in ("@timestamp", "ecs.version", "event.kind", "event.category",
                     "event.type", "event.outcome", "event.dataset", "source.ip",
                     "destination.ip", "network.transport", "network.type"):
            if name not in flat:
                raise ValueError(f"missing {name}")
        if flat["ecs.version"] != ECS_VERSION:
            raise ValueError(f"ecs.version {flat['ecs.version']}")
        if "network" not in flat["event.category"] or "connection" not in flat["event.type"]:
            raise ValueError("not a network connection event")
        for side in ("bytes", "packets"):
            if flat[f"network.{side}"] != flat[f"source.{side}"] + flat[f"destination.{side}"]:
                raise ValueError(f"network.{side} is not source + destination")
        if flat["event.duration"] != ns_of(flat["event.end"]) - ns_of(flat["event.start"]):
            raise ValueError("event.duration is not end - start in ns")
        if flat["@timestamp"] != flat["event.start"] or flat["event.start"] != c["first_ts"]:
            raise ValueError("@timestamp / event.start is not the first packet")
        if c["evidence"] == "unknown":
            # roles unknown: no ECS client/server; source is the first
            # packet's sender (jsonl endpoints[0]), destination the other
            if any(k.startswith(("client.", "server.")) for k in flat):
                raise ValueError("client/server given for a record of unknown roles")
            sides = (("source", c["endpoints"][0]), ("destination", c["endpoints"][1]))
            for ecs_side, e in sides:
                if (flat[f"{ecs_side}.ip"], flat[f"{ecs_side}.port"], flat[f"{ecs_side}.bytes"],
                        flat[f"{ecs_side}.packets"]) != \
                        (e["ip"], e["port"], e["ip_bytes"], e["packets"]):
                    raise ValueError(f"{ecs_side} is not the jsonl endpoint")
        else:
            for ecs_side, ss_side in (("source", "client"), ("client", "client"),
                                      ("destination", "server"), ("server", "server")):
                if (flat[f"{ecs_side}.ip"], flat[f"{ecs_side}.port"]) != \
                        (c[ss_side]["ip"], c[ss_side]["port"]):
                    raise ValueError(f"{ecs_side} is not the jsonl {ss_side}")
                if flat[f"{ecs_side}.bytes"] != c["ip_bytes"][ss_side] or \
                        flat[f"{ecs_side}.packets"] != c["packets"][ss_side]:
                    raise ValueError(f"{ecs_side} counts differ from the jsonl {ss_side}")
        if flat.get("network.community_id") != c["community_id"]:
            raise ValueError("network.community_id differs from jsonl community_id")
        if flat["network.transport"] != c["proto"] or \
                flat["network.iana_number"] != {"tcp": "6", "udp": "17"}[c["proto"]]:
            raise ValueError("network.transport / iana_number")
        if flat["sockscope.outcome"] != c["outcome"]:
            raise ValueError("sockscope.outcome differs from jsonl")
    return len(docs)


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
            print(f"ok   {os.path.basename(cap)}: {n} documents")
            passed += 1
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            print(f"FAIL {os.path.basename(cap)}: {e!r}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
