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
# Usage: check-one-sided.sh SOCKSCOPE
# Needs root, ip netns, tcpdump and /usr/bin/python3 (exit 77 otherwise).
# Traffic stays inside ss-1s-c / ss-1s-s (10.82.0.0/24), removed on exit.
set -u
. "$(dirname "$0")/lib-netns.sh"   # checks the arguments: sets exe

ns_setup ss-1s 10.82.0
ns_server 8080 8081

# three captures of the same packets
caps=(both client server)
filters=("tcp or udp" "src host $ip_c and (tcp or udp)" "src host $ip_s and (tcp or udp)")
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
    # the attempt to the closed port 8082 is compared apart
    conns = sorted((c["proto"], c["client"]["ip"], c["client"]["port"], c["server"]["ip"],
                    c["server"]["port"], c["outcome"]) for c in d["connections"]
                   if 8082 not in (c["client"]["port"], c["server"]["port"]))
    lst = sorted((l["proto"], l["ip"], l["port"], l["state"]) for l in d["listeners"]
                 if l["port"] != 8082)
    finds = {f["id"]: f for f in d["findings"]}
    one_sided = [c["quality"]["one_sided"] for c in d["connections"]
                 if 8082 not in (c["client"]["port"], c["server"]["port"])]
    return conns, lst, finds, one_sided
ref = load("both")
assert len(ref[0]) == 40, "two-sided capture: %d connections, expected 40" % len(ref[0])
assert "refused" in ref[2], "two-sided capture: the closed port's refusal not reported"
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
    if bad:
        print("FAIL %s-only: %s" % (side, "; ".join(bad)))
        fail = 1
    else:
        print("ok %s-only: %d connections, outcomes and listener states as two-sided"
              % (side, len(got[0])))
sys.exit(fail)
PY
