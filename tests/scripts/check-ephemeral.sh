#!/usr/bin/env bash
# Ephemeral-port profiles from real Linux stacks (docs/inference.md): a
# client in a network namespace this script makes, with the default
# ip_local_port_range, opens 250 connections to one server; then the same
# client with ip_local_port_range = 50000 50999 opens 300, enough to wrap
# around.  The host record must name Linux (pattern `stepping`) for the
# first and a custom 50000-50999 range (basis `wrap`) for the second, and
# list every default the ports fit.  Truth: the ports the client got
# (getsockname).
#
# Usage: check-ephemeral.sh SOCKSCOPE
# Needs root, ip netns, tcpdump and /usr/bin/python3 (exit 77 otherwise).
# Traffic stays inside ss-eph-c / ss-eph-s (10.81.0.0/24), removed on exit.
set -u
. "$(dirname "$0")/lib-netns.sh"   # checks the arguments: sets exe

ns_setup ss-eph 10.81.0
ns_server 8080

fail=0
check() {   # check NAME PCAP PORTS EXPECT-LIKELY EXPECT-PATTERN EXPECT-BASIS
	"$exe" -r "$2" -F json -o "$tmp/$1.json" 2>"$tmp/$1.err" || {
		echo "FAIL $1: sockscope exited $?: $(cat "$tmp/$1.err")"
		fail=1
		return
	}
	if "$python" - "$tmp/$1.json" "$3" "$ip_c" "$4" "$5" "$6" <<'PY'; then
import json, sys
doc, ports_file, ip, likely, pattern, basis = sys.argv[1:]
ports = [int(x) for x in open(ports_file)]
host = [r for r in json.load(open(doc))["hosts"] if r["ip"] == ip]
assert len(host) == 1, "no host record for %s" % ip
e = host[0]["ephemeral"]
bad = []
def want(k, got, exp):
    if got != exp:
        bad.append("%s %r, expected %r" % (k, got, exp))
want("samples", e["samples"], len(ports))
want("min", e["min"], min(ports))
want("max", e["max"], max(ports))
want("likely", e["likely"], likely)
want("pattern", e["pattern"], pattern)
want("basis", e["basis"], basis)
defaults = {"windows_old": (1025, 5000), "iana": (49152, 65535),
            "linux": (32768, 60999), "freebsd": (10000, 65535)}
fits = [d for d in ("windows_old", "iana", "linux", "freebsd")
        if defaults[d][0] <= min(ports) and max(ports) <= defaults[d][1]]
want("fits", e["fits"], fits)
if likely == "custom":
    r = e["range"]
    # the true range is 50000-50999; the profile claims only what it saw
    if not (50000 <= r["low"] <= min(ports) and max(ports) <= r["high"] <= 50999):
        bad.append("range %r not within 50000-50999 around the ports" % r)
    if e["evidence"]["wraps"] < 1:
        bad.append("no wrap counted")
else:
    want("range", e["range"], {"low": defaults[likely][0], "high": defaults[likely][1]})
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY
		echo "ok $1"
	else
		echo "FAIL $1"
		fail=1
	fi
}

# 1. the default range: 32768-60999
ns_capture_start "$tmp/default.pcap" tcp
ns_connect 250 8080 >"$tmp/default.ports" || { echo "FAIL client"; exit 1; }
ns_capture_stop "$tmp/default.pcap"
check linux-default "$tmp/default.pcap" "$tmp/default.ports" linux stepping pattern

# 2. a custom range the allocator wraps around in
ip netns exec "$ns_c" sysctl -q -w net.ipv4.ip_local_port_range="50000 50999" ||
	skip "cannot set ip_local_port_range in a namespace"
ns_capture_start "$tmp/custom.pcap" tcp
ns_connect 300 8080 >"$tmp/custom.ports" || { echo "FAIL client"; exit 1; }
ns_capture_stop "$tmp/custom.pcap"
check linux-custom-wrap "$tmp/custom.pcap" "$tmp/custom.ports" custom stepping wrap

exit $fail
