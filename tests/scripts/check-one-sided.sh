#!/usr/bin/env bash
# One-sided captures (docs/inference.md#one-sided-captures): the same
# traffic between two network namespaces this script makes, captured at
# once both ways and with `src host CLIENT` and `src host SERVER` (a SPAN
# port or an asymmetric route that shows one direction).  Each one-sided
# capture must give the same connections (client and server address and
# port), outcomes and listener states as the two-sided one, except what one
# direction cannot show (docs: a refusal or an unanswered SYN seen from the
# client's side only), no unanswered_syn or refused finding (an attempt to a
# closed port, refused in the two-sided capture, is not called unanswered
# when the server's direction is missing), and a one_sided_capture finding
# naming the host whose packets are missing and its role.
#
# UDP too: 10 exchanges with an echo server and one datagram to a closed
# port (ICMP port unreachable).  The client-only capture cannot show a
# reply, so those are outcome `unknown` with quality.one_sided, their
# listeners `unknown`, never `unanswered` or `filtered`; the same for the
# TCP attempt to the closed port (its RST is in the missing direction).
# The server-only capture shows the replies (answered, listener open); the
# ICMP error alone quotes a datagram it lacks (unmatched, no record), and
# the closed TCP port's lone RST leaves its listener `unknown`, not `open`.
#
# Usage: check-one-sided.sh SOCKSCOPE
# Needs root, ip netns, tcpdump and /usr/bin/python3 (exit 77 otherwise).
# Traffic stays inside ss-1s-c / ss-1s-s (10.82.0.0/24), removed on exit.
set -u
. "$(dirname "$0")/lib-netns.sh"   # checks the arguments: sets exe

ns_setup ss-1s 10.82.0
ns_server 8080 8081
# a UDP echo server (8053 answers, 8054 is closed: ICMP port unreachable)
ip netns exec "$ns_s" "$python" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 8053))
s.settimeout(30)
print("ready", flush=True)
while True:
    try:
        data, peer = s.recvfrom(512)
    except socket.timeout:
        break
    s.sendto(b"re:" + data, peer)
' "$ip_s" >"$tmp/udp.out" &
ns_pids+=($!)
for _ in $(seq 50); do
	grep -q ready "$tmp/udp.out" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$tmp/udp.out" || { echo "FAIL udp server did not start"; exit 1; }

# three captures of the same packets
caps=(both client server)
filters=("tcp or udp or icmp" "src host $ip_c and (tcp or udp or icmp)"
	"src host $ip_s and (tcp or udp or icmp)")
cap_pids=()
for i in 0 1 2; do
	ns_capture_start "$tmp/${caps[$i]}.pcap" ${filters[$i]}
	cap_pids+=("$cap_pid")
done

# 20 connections to each of two listeners, each with a request and a reply
ns_connect 20 8080 >/dev/null || { echo "FAIL client"; exit 1; }
ns_connect 20 8081 >/dev/null || { echo "FAIL client"; exit 1; }
# and one attempt to a closed port: refused by RST, which a client-only
# capture cannot show (it looks unanswered there: documented)
ip netns exec "$ns_c" "$python" -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], 8082), timeout=2)
except OSError:
    pass
' "$ip_s"
# 10 UDP exchanges, each from a new socket (a new source port), and one
# datagram to the closed port 8054
ip netns exec "$ns_c" "$python" -c '
import socket, sys
for i in range(10):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(b"q%d" % i, (sys.argv[1], 8053))
    s.recvfrom(512)
    s.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"x", (sys.argv[1], 8054))
try:
    s.recvfrom(512)
except OSError:
    pass
' "$ip_s" || { echo "FAIL udp client"; exit 1; }

for i in 0 1 2; do
	cap_pid=${cap_pids[$i]}
	ns_capture_stop "$tmp/${caps[$i]}.pcap"
done

fail=0
for c in both client server; do
	"$exe" -r "$tmp/$c.pcap" -F json -o "$tmp/$c.json" 2>"$tmp/$c.err" || {
		echo "FAIL $c: sockscope exited $?: $(cat "$tmp/$c.err")"
		fail=1
	}
done
[ $fail -eq 0 ] || exit 1

"$python" - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def load(name):
    d = json.load(open("%s/%s.json" % (tmp, name)))
    # the attempt to the closed port 8082 and UDP are compared apart
    apart = lambda c: c["proto"] == "udp" or 8082 in (c["client"]["port"], c["server"]["port"])
    conns = sorted((c["proto"], c["client"]["ip"], c["client"]["port"], c["server"]["ip"],
                    c["server"]["port"], c["outcome"]) for c in d["connections"]
                   if not apart(c))
    lst = sorted((l["proto"], l["ip"], l["port"], l["state"]) for l in d["listeners"]
                 if l["port"] != 8082 and l["proto"] != "udp")
    finds = {f["id"]: f for f in d["findings"]}
    one_sided = [c["quality"]["one_sided"] for c in d["connections"] if not apart(c)]
    return conns, lst, finds, one_sided, d
ref = load("both")
assert len(ref[0]) == 40, "two-sided capture: %d connections, expected 40" % len(ref[0])
assert "refused" in ref[2], "two-sided capture: the closed port's refusal not reported"
def apart(d):
    # outcome per (proto, server port) of what is compared apart, and the
    # listeners' states there
    out = {}
    for c in d["connections"]:
        if c["proto"] == "udp" or 8082 in (c["client"]["port"], c["server"]["port"]):
            port = c["server"]["port"]
            out.setdefault((c["proto"], port), set()).add(
                (c["outcome"], c["quality"]["one_sided"]))
    lst = {(l["proto"], l["port"]): l["state"] for l in d["listeners"]
           if l["proto"] == "udp" or l["port"] == 8082}
    return out, lst
ref_apart = apart(ref[4])
want_ref = {("udp", 8053): {("answered", False)}, ("udp", 8054): {("rejected", False)},
            ("tcp", 8082): {("rejected", False)}}
assert ref_apart[0] == want_ref, "two-sided capture: %s" % ref_apart[0]
assert ref_apart[1] == {("udp", 8053): "open", ("udp", 8054): "closed",
                        ("tcp", 8082): "closed"}, "two-sided listeners: %s" % ref_apart[1]
assert sum(1 for c in ref[4]["connections"] if c["server"]["port"] == 8053) == 10
fail = 0
for side in ("client", "server"):
    got = load(side)
    bad = []
    if got[0] != ref[0]:
        extra = sorted(set(got[0]) - set(ref[0]))[:3]
        miss = sorted(set(ref[0]) - set(got[0]))[:3]
        bad.append("connections differ: extra %s, missing %s" % (extra, miss))
    if got[1] != ref[1]:
        bad.append("listeners %s, two-sided %s" % (got[1], ref[1]))
    for fid in ("unanswered_syn", "refused"):
        if fid in got[2]:
            bad.append("finding %s built on one-sided evidence" % fid)
    if not all(got[3]):
        bad.append("%d records without the one_sided flag" % got[3].count(False))
    if "one_sided_capture" not in got[2]:
        bad.append("no one_sided_capture finding")
    else:
        # it names the host whose direction is missing, and its role
        silent, role = ("10.82.0.2", "server") if side == "client" else ("10.82.0.1", "client")
        want = "no packets from %s (the %s, " % (silent, role)
        st = got[2]["one_sided_capture"]["statement"]
        if want not in st:
            bad.append("one_sided_capture does not say %r: %s" % (want, st))
    # what one direction cannot show is unknown, never a silence or a
    # filter: the client's side alone shows no reply, RST or ICMP error
    outs, states = apart(got[4])
    if side == "client":
        want = {("udp", 8053): {("unknown", True)}, ("udp", 8054): {("unknown", True)},
                ("tcp", 8082): {("unknown", True)}}
        if outs != want:
            bad.append("udp / closed port outcomes %s, expected %s" % (outs, want))
        if states != {k: "unknown" for k in want}:
            bad.append("udp / closed port listeners %s, expected unknown" % states)
        f = got[2].get("one_sided_capture")
        if f and f["evidence"].get("udp_unknown") != 11:
            bad.append("one_sided_capture udp_unknown %r, expected 11"
                       % f["evidence"].get("udp_unknown"))
    else:
        # the server's side shows the replies; its ICMP error quotes a
        # datagram the capture lacks (counted unmatched, no record)
        if outs.get(("udp", 8053)) != {("answered", False)}:
            bad.append("udp 8053: %s, expected answered" % outs.get(("udp", 8053)))
        if states.get(("udp", 8053)) != "open":
            bad.append("udp listeners %s, expected 8053 open" % states)
        # the closed port's RST alone proves nothing about the socket
        if states.get(("tcp", 8082)) != "unknown":
            bad.append("tcp 8082 (a lone RST) listener %s, expected unknown"
                       % states.get(("tcp", 8082)))
    for (proto, port), o in sorted(outs.items()):
        if any(x[0] == "unanswered" for x in o):
            bad.append("%s %d called unanswered" % (proto, port))
    for (proto, port), st in sorted(states.items()):
        if st == "filtered":
            bad.append("%s listener %d called filtered" % (proto, port))
    if bad:
        print("FAIL %s-only: %s" % (side, "; ".join(bad)))
        fail = 1
    else:
        print("ok %s-only: %d connections, outcomes and listener states as two-sided"
              % (side, len(got[0])))
sys.exit(fail)
PY
