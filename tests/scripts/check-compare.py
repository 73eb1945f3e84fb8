#!/usr/bin/env python3
"""Path-mode `sockscope compare` against the ground truth of the test bed
(issue 16 "Done when"; tests/scripts/make-compare.sh, compare_bed.py).

Usage: check-compare.py [--truth-only] SOCKSCOPE DIR
  DIR holds compare-NAME-a.pcap / -b.pcap pairs with compare-NAME.truth.json
  (captures/compare, or a fresh run of make-compare.sh).

First, always: each truth file against its two captures (the lost packets,
injected resets and one-way delays it lists are what the packets show; a
variant's shifted or reordered B gives the same once its applied offset is
undone).  Then `sockscope compare --format jsonl A B` for each pair:
  - one compare_summary, mode path, matched / a_only / b_only as the truth,
    clock_offset_us within the measured spread (plus the largest true
    one-way delay and 5 µs rounding) of the offset applied to B;
  - exactly one compare_conn per truth connection, found by the client's
    getsockname()/getpeername() at the client's point (A, or B in the
    swapped variant), with the server's side as the server's socket saw it
    (getpeername()/getsockname()), its seen, proto, client_assigned,
    client_translated, server_addressed, server_translated and translation
    (a connection B never saw may say "unknown");
  - lost packets (kind, direction, count) and injected resets (seen_at,
    toward, count) exactly as the captures show them;
  - one-way delays within [min, max] of the true per-packet delays, widened
    by the measured spread (clock_offset_spread_us) and 5 µs of timestamp
    rounding; none where no packet crossed;
  - a finding of warning severity naming the server of every connection
    that lost packets or got an injected reset, and none where nothing was;
  - -F json holds the same records as jsonl;
  - retransmits_only_at (and the per-point retransmits counts when the
    engine gives them) as the captures show: repeated SYN, FIN or data;
  - idle_drop after the idle gap measured at A (within 0.5 s), none else;
  - the snat translator's public addresses and port allocation ("unknown"
    is noted, a wrong allocation fails), its idle timeout when given.
Before any of that, the checker itself: records made from the truth (an
oracle) must pass and each of a set of wrong answers (a translated port off
by one, a loss on the wrong hop, an invented translation, a 50 ms clock
error...) must fail, so this test can fail before the engine exists.
--truth-only stops after those two (they need no engine: meson test
compare-truth).
A mismatch listed in tests/compare-known.txt (TOKEN FIELD) prints XFAIL;
a listed one that no longer happens fails (the list only shrinks).
Exit 0 all good, 1 a mismatch (each printed), 77 when this sockscope has no
`compare` subcommand (after the truth files were checked)."""

import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_bed  # noqa: E402

# tests/compare-known.txt: (token, field) mismatches known in the engine
KNOWN_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare-known.txt")
KNOWN = {tuple(line.split()[:2]) for line in open(KNOWN_FILE)
         if line.strip() and not line.startswith("#")}
KNOWN_SEEN = set()
# "one-way delays within the measured skew" (issue 16): the engine's own
# clock_offset_spread_us, plus the rounding of two microsecond timestamps
ROUND_US = 5
IDLE_TOL_S = 0.5


def rtype(o):
    return o.get("type", o.get("kind"))


def translator_kind(o):
    # "kind" names the record where the engine uses it as the record key
    return o.get("translator") or (o.get("kind") if "type" in o else None)


def check_truth(d, truth):
    """The truth file says what its captures show."""
    a_pkts = compare_bed.read_pcap(os.path.join(d, truth["a"]))
    b_pkts = compare_bed.read_pcap(os.path.join(d, truth["b"]))
    errs = []
    if len(a_pkts) != truth["a_packets"] or len(b_pkts) != truth["b_packets"]:
        errs.append("packet counts %d/%d, truth %d/%d" % (len(a_pkts), len(b_pkts),
                                                          truth["a_packets"], truth["b_packets"]))
    for t in truth["connections"]:
        obs = compare_bed.derive_truth(truth, t, a_pkts, b_pkts)
        for k in ("lost", "injected_resets", "one_way_delay_us", "packets_a", "packets_b",
                  "retransmits", "retransmits_only_at"):
            if obs[k] != t[k]:
                errs.append("%s: %s %s in the captures, truth %s" % (t["token"], k, obs[k], t[k]))
    return errs


def run_compare(exe, d, truth):
    cmd = [exe, "compare", "--format", "jsonl", os.path.join(d, truth["a"]),
           os.path.join(d, truth["b"])]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return cmd, p


def compare_known(exe, p):
    """False when this sockscope has no compare subcommand: it then takes
    the word for a BPF filter and exits 2 with no input."""
    if p.returncode != 2:
        return True
    h = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return b"compare" in h.stdout


def json_same(exe, d, truth, recs):
    """-F json holds the same records as jsonl, whatever its arrays are
    called (every record of its top level, in a list or alone)."""
    cmd = [exe, "compare", "-F", "json", os.path.join(d, truth["a"]), os.path.join(d, truth["b"])]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        return ["-F json exited %d, not JSON (%s)" % (p.returncode, e)]
    flat = []
    for v in (doc.values() if isinstance(doc, dict) else doc):
        flat += [x for x in (v if isinstance(v, list) else [v]) if isinstance(x, dict) and rtype(x)]
    def key(o):
        return json.dumps(o, sort_keys=True)
    a, b = sorted(map(key, recs)), sorted(map(key, flat))
    if a != b:
        only_l = [x[:160] for x in a if x not in b][:2]
        only_j = [x[:160] for x in b if x not in a][:2]
        return ["-F json and jsonl differ: jsonl only %s, json only %s" % (only_l, only_j)]
    return []


def as_set(lst, keys):
    return {tuple(x.get(k) for k in keys) for x in lst or []}


def check_output(name, truth, recs, rc, known=None):
    # known: the tolerated mismatches (KNOWN; none when the checker tests itself)
    known = KNOWN if known is None else known
    errs, notes = [], []
    if rc not in (0, 1):
        errs.append("exit status %d (0 or 1 expected)" % rc)
    sums = [o for o in recs if rtype(o) == "compare_summary"]
    conns = [o for o in recs if rtype(o) == "compare_conn"]
    if len(sums) != 1:
        errs.append("%d compare_summary records" % len(sums))
        return errs, notes
    s = sums[0]
    if s.get("mode") != "path":
        errs.append("mode %r (%s), expected path" % (s.get("mode"), s.get("mode_reason")))
    for k in ("both", "a_only", "b_only"):
        key = "matched" if k == "both" else k
        if s.get(key) != truth["counts"][k]:
            errs.append("summary %s %r, truth %d" % (key, s.get(key), truth["counts"][k]))
    spread = s.get("clock_offset_spread_us")
    tol = (spread if isinstance(spread, (int, float)) and spread >= 0 else 0) + ROUND_US
    delays = [v for t in truth["connections"] for v in t["one_way_delay_us"].values() if v]
    max_delay = max((v["max"] for v in delays), default=0)
    applied = truth["applied_clock_offset_us"]
    est = s.get("clock_offset_us")
    if delays:
        if not isinstance(est, (int, float)):
            errs.append("clock_offset_us %r, applied %d" % (est, applied))
        elif abs(est - applied) > tol + max_delay:
            errs.append("clock_offset_us %d, applied %d (tolerance %d + delay %d us)"
                        % (est, applied, tol, max_delay))
    by_client = {}
    for o in conns:
        for side in ("a", "b"):
            if o.get(side):
                by_client.setdefault((side, o[side].get("client"), o[side].get("server")), []).append(o)
    used = set()
    # cp: the capture point on the client's side, sp: the server's
    cp = truth.get("client_point", "a")
    sp = compare_bed.OTHER[cp]
    for t in truth["connections"]:
        tok = t["token"]
        key = (cp, t["client_assigned"], t["server_addressed"])
        found = by_client.get(key, [])
        if len(found) != 1:
            errs.append("%s: %d compare_conn with %s.client %s %s.server %s"
                        % (tok, len(found), cp, t["client_assigned"], cp, t["server_addressed"]))
            continue
        o = found[0]
        used.add(id(o))
        e = []
        want = {"seen": t["seen"], "proto": t["proto"], "client_assigned": t["client_assigned"],
                "client_translated": t["client_translated"],
                "server_addressed": t["server_addressed"],
                "server_translated": t["server_translated"]}
        for k, v in want.items():
            if o.get(k) != v:
                e.append("%s %r, truth %r" % (k, o.get(k), v))
        okt = {t["translation"]} | ({"unknown"} if t["seen"] != "both" else set())
        if o.get("translation") not in okt:
            e.append("translation %r, truth %s" % (o.get("translation"), sorted(okt)))
        if t["seen"] == "both":
            b = o.get(sp) or {}
            if (b.get("client"), b.get("server")) != (t["b_client"], t["b_server"]):
                e.append("%s %s -> %s, the server's socket says %s -> %s"
                         % (sp, b.get("client"), b.get("server"), t["b_client"], t["b_server"]))
            if not (o.get("match") or {}).get("confidence"):
                e.append("no match confidence")
        elif o.get(sp) is not None:
            e.append("%s %r for a connection %s never saw" % (sp, o.get(sp), sp.upper()))
        lk = ("packet", "direction", "count")
        if as_set(o.get("lost"), lk) != as_set(t["lost"], lk):
            e.append("lost %s, captures show %s" % (sorted(as_set(o.get("lost"), lk)),
                                                    sorted(as_set(t["lost"], lk))))
        ik = ("seen_at", "toward", "count")
        if as_set(o.get("injected_resets"), ik) != as_set(t["injected_resets"], ik):
            e.append("injected_resets %s, captures show %s"
                     % (sorted(as_set(o.get("injected_resets"), ik)),
                        sorted(as_set(t["injected_resets"], ik))))
        if o.get("retransmits_only_at") != t["retransmits_only_at"]:
            e.append("retransmits_only_at %r, captures show %r (retransmissions A %d, B %d)"
                     % (o.get("retransmits_only_at"), t["retransmits_only_at"],
                        t["retransmits"]["a"], t["retransmits"]["b"]))
        # per-point counts: not in the agreed schema, checked when given
        if "retransmits" in o and o["retransmits"] != t["retransmits"]:
            e.append("retransmits %r, captures show %r" % (o["retransmits"], t["retransmits"]))
        owd = o.get("one_way_delay_us") or {}
        for dirn, tv in t["one_way_delay_us"].items():
            got = owd.get(dirn)
            if tv is None:
                if got is not None:
                    e.append("one_way_delay %s %r where no packet crossed" % (dirn, got))
            elif not isinstance(got, (int, float)):
                e.append("one_way_delay %s %r, true %d..%d us" % (dirn, got, tv["min"], tv["max"]))
            elif not tv["min"] - tol <= got <= tv["max"] + tol:
                e.append("one_way_delay %s %d us, true %d..%d us (+-%d)"
                         % (dirn, got, tv["min"], tv["max"], tol))
        idle = o.get("idle_drop")
        if t["idle_drop"] is None:
            if idle is not None:
                e.append("idle_drop %r, the connection was not dropped idle" % idle)
        elif not isinstance(idle, dict) or not isinstance(idle.get("after_idle_s"), (int, float)):
            e.append("idle_drop %r, truth after %.3f s idle" % (idle, t["idle_drop"]["after_idle_s"]))
        elif abs(idle["after_idle_s"] - t["idle_drop"]["after_idle_s"]) > IDLE_TOL_S:
            e.append("idle_drop after %.3f s, truth %.3f s" % (idle["after_idle_s"],
                                                               t["idle_drop"]["after_idle_s"]))
        for x in e:
            k = (tok, x.split(" ")[0])
            if k in known:
                KNOWN_SEEN.add(k)
                notes.append("XFAIL %s (%s): %s (known: tests/compare-known.txt)" % (tok, t["kind"], x))
            else:
                errs.append("%s (%s): %s" % (tok, t["kind"], x))
    # findings for people: every connection that lost packets or received
    # an injected reset is named (its server, as addressed or as B saw it)
    # by a finding of warning severity or above; none where nothing was lost
    warn = [o for o in recs if rtype(o) == "finding"
            and o.get("severity") in ("warning", "critical", "error")]
    for t in truth["connections"]:
        if t["lost"] or t["injected_resets"]:
            names = [n for n in (t["server_addressed"], t["b_server"]) if n]
            if not any(n in (o.get("statement") or "") for o in warn for n in names):
                errs.append("%s (%s): no warning finding names %s"
                            % (t["token"], t["kind"], " or ".join(names)))
    if not any(t["lost"] or t["injected_resets"] for t in truth["connections"]):
        for o in warn:
            errs.append("finding %s (%s) where nothing was lost: %s"
                        % (o.get("id"), o.get("severity"), o.get("statement")))
    extra = [o for o in conns if id(o) not in used]
    for o in extra:
        errs.append("compare_conn not in the truth: a %s, b %s" % (o.get("a"), o.get("b")))
    tr = truth.get("translator")
    snat = [o for o in recs if rtype(o) == "translator" and translator_kind(o) == "snat"]
    if tr:
        if len(snat) != 1:
            errs.append("%d snat translator records, truth one (%s)" % (len(snat), tr))
        else:
            o = snat[0]
            if sorted(o.get("public_addresses") or []) != tr["public_addresses"]:
                errs.append("translator public_addresses %r, truth %r"
                            % (o.get("public_addresses"), tr["public_addresses"]))
            pa = o.get("port_allocation")
            if pa == "unknown":
                notes.append("translator port_allocation unknown, truth %s" % tr["port_allocation"])
            elif pa != tr["port_allocation"]:
                errs.append("translator port_allocation %r, truth %r" % (pa, tr["port_allocation"]))
            if "idle_timeout_s" in tr:
                got = o.get("idle_timeout_s")
                gaps = [t["idle_drop"]["after_idle_s"] for t in truth["connections"] if t["idle_drop"]]
                if got is None:
                    notes.append("translator idle_timeout_s null, truth conntrack %d s, "
                                 "dropped after %s s idle" % (tr["idle_timeout_s"], gaps))
                elif not tr["idle_timeout_s"] - IDLE_TOL_S <= got <= max(gaps) + IDLE_TOL_S:
                    errs.append("translator idle_timeout_s %r, truth between %d and %.3f"
                                % (got, tr["idle_timeout_s"], max(gaps)))
            elif o.get("idle_timeout_s") is not None:
                errs.append("translator idle_timeout_s %r, no connection was dropped idle"
                            % o.get("idle_timeout_s"))
    elif snat:
        errs.append("snat translator %r where there is no masquerade" % snat)
    return errs, notes


def oracle(truth):
    """The records a right engine writes for truth (its own delays and
    offset at the true values): the checker must pass them."""
    recs = [{"kind": "compare_summary", "mode": "path",
             "clock_offset_us": truth["applied_clock_offset_us"] + 7,
             "clock_offset_spread_us": 40, "matched": truth["counts"]["both"],
             "a_only": truth["counts"]["a_only"], "b_only": truth["counts"]["b_only"]}]
    cp = truth.get("client_point", "a")
    sp = compare_bed.OTHER[cp]
    for t in truth["connections"]:
        recs.append({
            "kind": "compare_conn", "proto": t["proto"], "seen": t["seen"],
            cp: {"client": t["client_assigned"], "server": t["server_addressed"]},
            sp: {"client": t["b_client"], "server": t["b_server"]} if t["b_client"] else None,
            "client_assigned": t["client_assigned"], "client_translated": t["client_translated"],
            "server_addressed": t["server_addressed"], "server_translated": t["server_translated"],
            "translation": t["translation"], "match": {"confidence": "high"},
            "lost": [dict(x) for x in t["lost"]],
            "retransmits": dict(t["retransmits"]),
            "retransmits_only_at": t["retransmits_only_at"],
            "injected_resets": [dict(x) for x in t["injected_resets"]],
            "one_way_delay_us": {k: (v["max"] if v else None)
                                 for k, v in t["one_way_delay_us"].items()},
            "idle_drop": ({"after_idle_s": t["idle_drop"]["after_idle_s"] + 0.2}
                          if t["idle_drop"] else None)})
    for t in truth["connections"]:
        if t["lost"] or t["injected_resets"]:
            recs.append({"kind": "finding", "id": "dropped_between", "severity": "warning",
                         "statement": "packets to %s never arrived" % t["server_addressed"]})
    if "translator" in truth:
        tr = truth["translator"]
        recs.append({"kind": "translator", "translator": "snat",
                     "public_addresses": tr["public_addresses"],
                     "port_allocation": tr["port_allocation"],
                     "idle_timeout_s": tr.get("idle_timeout_s")})
    return recs


def conn_of(recs, pred):
    return next((o for o in recs if rtype(o) == "compare_conn" and pred(o)), None)


def mutations(truth):
    """Wrong answers the checker must catch: (what, change in place)."""
    m = []

    def tr(o):
        return o["client_translated"] is not None

    m.append(("clock offset off by 50 ms", lambda r: r[0].update(
        clock_offset_us=r[0]["clock_offset_us"] + 50000)))
    m.append(("a connection missing", lambda r: r.pop()))
    m.append(("seen both called a_only", lambda r: conn_of(r, lambda o: o["seen"] == "both").update(
        seen="a_only")))
    if any(t["client_translated"] for t in truth["connections"]):
        m.append(("translated port off by one", lambda r: conn_of(r, tr).update(
            client_translated=conn_of(r, tr)["client_translated"][:-1]
            + str((int(conn_of(r, tr)["client_translated"][-1]) + 1) % 10))))
        m.append(("translator allocation wrong", lambda r: [o.update(port_allocation=(
            "sequential")) for o in r if rtype(o) == "translator"]))
    else:
        m.append(("translation invented", lambda r: conn_of(r, lambda o: o["seen"] == "both")
                  .update(translation="snat")))
    if any(t["lost"] for t in truth["connections"]):
        m.append(("loss on the wrong hop", lambda r: [x.update(direction="b_to_a" if
                  x["direction"] == "a_to_b" else "a_to_b") for x in conn_of(r, lambda o: o["lost"])["lost"]]))
    else:
        m.append(("loss invented", lambda r: conn_of(r, lambda o: True)["lost"].append(
            {"packet": "data", "direction": "a_to_b", "count": 1})))
    if any(t["injected_resets"] for t in truth["connections"]):
        m.append(("injected reset on the wrong side", lambda r: [x.update(
            seen_at="b" if x["seen_at"] == "a" else "a") for x in
            conn_of(r, lambda o: o["injected_resets"])["injected_resets"]]))
    if any(t["lost"] for t in truth["connections"]):
        m.append(("no findings", lambda r: r.__setitem__(
            slice(None), [o for o in r if rtype(o) != "finding"])))
    else:
        m.append(("a warning invented", lambda r: r.append(
            {"kind": "finding", "id": "dropped_between", "severity": "warning", "statement": "x"})))
    m.append(("one-way delay 10 ms", lambda r: conn_of(r, lambda o: o["one_way_delay_us"]["a_to_b"]
             is not None)["one_way_delay_us"].update(a_to_b=10000)))
    if any(t["retransmits_only_at"] for t in truth["connections"]):
        m.append(("retransmissions not placed", lambda r: conn_of(
            r, lambda o: o["retransmits_only_at"]).update(retransmits_only_at=None)))
    if any(t["idle_drop"] for t in truth["connections"]):
        m.append(("idle drop missed", lambda r: conn_of(r, lambda o: o["idle_drop"]).update(
            idle_drop=None)))
    return m


def self_test(truth):
    """The checker itself: the oracle passes, every wrong answer fails."""
    errs, _ = check_output(truth["scenario"], truth, oracle(truth), 0, set())
    out = ["oracle rejected: %s" % e for e in errs]
    for what, f in mutations(truth):
        recs = oracle(truth)
        f(recs)
        if not check_output(truth["scenario"], truth, recs, 0, set())[0]:
            out.append("wrong answer accepted: %s" % what)
    return out


def main():
    args = sys.argv[1:]
    truth_only = args[:1] == ["--truth-only"]
    if truth_only:
        args = args[1:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    exe, d = args
    truths = sorted(glob.glob(os.path.join(d, "compare-*.truth.json")))
    if not truths:
        print("FAIL no compare-*.truth.json in %s" % d)
        return 1
    failed = 0
    loaded = []
    for path in truths:
        truth = json.load(open(path))
        errs = check_truth(d, truth) + ["checker: " + e for e in self_test(truth)]
        for e in errs:
            print("FAIL truth %s: %s" % (truth["scenario"], e))
        failed += bool(errs)
        loaded.append(truth)
    print("%s %d truth files against their captures, the checker against right and wrong answers"
          % ("FAIL" if failed else "ok  ", len(loaded)))
    if truth_only:
        return 1 if failed else 0
    known = None
    for truth in loaded:
        cmd, p = run_compare(exe, d, truth)
        if known is None:
            known = compare_known(exe, p)
            if not known:
                if failed:
                    return 1
                print("SKIP: this sockscope has no compare subcommand (`%s` exited 2: %s)"
                      % (" ".join(cmd[1:3]), p.stderr.decode(errors="replace").strip()))
                return 77
        recs, bad = [], None
        for n, line in enumerate(p.stdout.decode(errors="replace").splitlines(), 1):
            try:
                recs.append(json.loads(line))
            except ValueError:
                bad = "line %d is not JSON: %s" % (n, line[:120])
                break
        if bad:
            errs, notes = [bad], []
        else:
            errs, notes = check_output(truth["scenario"], truth, recs, p.returncode)
        if not errs:
            errs += json_same(exe, d, truth, recs)
        if p.returncode == 2 or (p.stderr and errs):
            errs.append("stderr: %s" % p.stderr.decode(errors="replace").strip()[:300])
        for e in errs:
            print("FAIL %s: %s" % (truth["scenario"], e))
        for x in notes:
            print("note %s: %s" % (truth["scenario"], x))
        if not errs:
            print("ok   %s: %d connections (%s)" % (truth["scenario"], len(truth["connections"]),
                                                    truth["about"][:70]))
        failed += bool(errs)
    # stale entries: only those whose connection this run checked (a
    # directory with some scenarios only may not hold it)
    tokens = {t["token"] for truth in loaded for t in truth["connections"]}
    for k in sorted(k for k in KNOWN - KNOWN_SEEN if k[0] in tokens):
        print("FAIL %s %s is listed in tests/compare-known.txt but no longer fails: delete the line"
              % k)
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
