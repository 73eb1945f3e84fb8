#!/usr/bin/env python3
"""The flow cap never invents connections (issue 13).

Usage: check-flow-cap.py SOCKSCOPE CAPTURES_DIR GEN_CAPTURE

With --max-flows small, a flow that is evicted and comes back is joined to
its record (keep-all formats) or written again marked as a continuation
(jsonl), never as a new connection that started mid-stream; every format
says how many flows were evicted.

  * captures/real-ether.pcap (real Linux TCP and UDP) with --max-flows 2:
    json lists the same connections as without a cap (ended_by and the new
    `evictions` aside), the summary counts the evictions, and text,
    markdown and html carry a "Flow cap" line (absent without a cap);
  * a generated capture of 1,679 interleaved connections (bench/gen-capture,
    500 at once) with --max-flows 50: json has exactly the uncapped
    connections; jsonl writes more lines, and those beyond the connections
    are all marked continues_evicted and counted in flow_cap.continued, with
    the same tcp/udp totals and started_midstream count as without a cap.

Prints "N passed, N failed".
"""
import json
import os
import subprocess
import sys
import tempfile

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def run(exe, args):
    p = subprocess.run([exe] + args, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{exe} {args}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def conns_without_cap_fields(doc):
    out = []
    for c in doc["connections"]:
        c = dict(c)
        c.pop("ended_by")
        c["quality"] = dict(c["quality"])
        c["quality"].pop("evictions")
        out.append(json.dumps(c, sort_keys=True))
    return out


def main():
    exe, captures, gen = sys.argv[1:4]
    real = os.path.join(captures, "real-ether.pcap")

    free = json.loads(run(exe, ["-F", "json", "-r", real]))
    capped = json.loads(run(exe, ["-F", "json", "--max-flows", "2", "-r", real]))
    fc = capped["summary"]["flow_cap"]
    check("real: the same connections with --max-flows 2",
          conns_without_cap_fields(free) == conns_without_cap_fields(capped),
          f'{len(free["connections"])} vs {len(capped["connections"])}')
    check("real: evictions counted", fc["evictions"] > 0 and
          capped["summary"]["ended"]["evicted"] > 0 and
          free["summary"]["flow_cap"]["evictions"] == 0, fc)
    check("real: evicted records marked",
          sum(c["quality"]["evictions"] > 0 for c in capped["connections"]) ==
          capped["summary"]["ended"]["evicted"])
    for fmt, needle in (("text", "Flow cap:"), ("markdown", "| Flow cap |"),
                        ("html", "<th>Flow cap</th>")):
        with_cap = run(exe, ["-F", fmt, "--max-flows", "2", "-r", real])
        without = run(exe, ["-F", fmt, "-r", real])
        check(f"real: {fmt} says what the cap did",
              needle in with_cap and f'{fc["evictions"]} evictions' in with_cap and
              needle not in without)

    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "interleaved.pcap")
        subprocess.run([gen, "--packets", "20000", "--concurrent", "500", "--flows", "500",
                        "-o", cap], check=True, capture_output=True)
        free = json.loads(run(exe, ["-F", "json", "-r", cap]))
        capped = json.loads(run(exe, ["-F", "json", "--max-flows", "50", "-r", cap]))
        n = len(free["connections"])
        fc = capped["summary"]["flow_cap"]
        check(f"interleaved: json keeps the {n} connections with --max-flows 50",
              conns_without_cap_fields(free) == conns_without_cap_fields(capped),
              f'{len(capped["connections"])} records')
        check("interleaved: evicted flows resumed, none continued in keep-all",
              fc["resumed"] > 0 and fc["continued"] == 0 and fc["evictions"] >= fc["resumed"],
              fc)
        lines = [json.loads(l) for l in run(exe, ["-F", "jsonl", "--max-flows", "50", "-r",
                                                  cap]).splitlines()]
        recs = [o for o in lines if o["kind"] == "connection"]
        summ = lines[-1]
        cont = [r for r in recs if r["quality"]["continues_evicted"]]
        check("interleaved: jsonl continuations marked and counted",
              len(recs) - len(cont) == n and len(cont) == summ["flow_cap"]["continued"] > 0,
              f"{len(recs)} lines, {len(cont)} continuations, {summ['flow_cap']}")
        check("interleaved: no continuation taken for a mid-stream start",
              not any(r["quality"]["started_midstream"] for r in cont) and
              summ["quality"]["started_midstream"] ==
              free["summary"]["quality"]["started_midstream"] and
              summ["tcp_connections"] == free["summary"]["tcp_connections"] and
              summ["udp_exchanges"] == free["summary"]["udp_exchanges"],
              f'{summ["quality"]["started_midstream"]} mid-stream, {summ["tcp_connections"]} tcp')
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
