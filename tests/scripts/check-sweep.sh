#!/usr/bin/env bash
# A real port sweep rolled up into one finding (docs/reports.md): nmap's SYN
# scan of one port on 20 addresses of a network namespace, of which only 3
# listen on it, captured with tcpdump on the targets' side.  sockscope must
# give one port_sweep finding naming the scanner, the port, the 20 hosts and
# the 3 that answered, and list exactly the hosts nmap itself reports open:
# the answered_hosts field in json, a line of their own in the text
# (`answered:`), markdown and html reports (`Hosts that answered:`).
#
# Usage: check-sweep.sh SOCKSCOPE
# Needs root, ip netns, tcpdump, nmap and /usr/bin/python3 (exit 77
# otherwise).  Traffic stays inside ss-swp-c / ss-swp-s (10.84.0.0/24),
# removed on exit.
set -u
. "$(dirname "$0")/lib-netns.sh"   # checks the arguments: sets exe
command -v nmap >/dev/null 2>&1 || skip "nmap is not installed (Debian package nmap)"

port=2222
ns_setup ss-swp 10.84.0
# 19 more addresses of the target namespace: 10.84.0.2 .. 10.84.0.21
for i in $(seq 3 21); do
	ip -n "$ns_s" addr add "10.84.0.$i/24" dev "$ns_if_s"
done
# only three of them listen on the port (the others answer RST)
listening="10.84.0.4 10.84.0.11 10.84.0.17"
ns_server_addrs=$listening ns_server "$port"

ns_capture_start "$tmp/sweep.pcap" tcp
ip netns exec "$ns_c" nmap -n -Pn -sS -T4 --max-retries 1 -p "$port" -oG "$tmp/nmap.gnmap" \
	10.84.0.2-21 >"$tmp/nmap.out" 2>&1 || { echo "FAIL nmap: $(tail -3 "$tmp/nmap.out")"; exit 1; }
ns_capture_stop "$tmp/sweep.pcap"
# what nmap itself found open (the truth): "Host: 10.84.0.4 ()  Ports: 2222/open/tcp//..."
open=$(awk -v p="$port" '/Ports:/ && $0 ~ p "/open/" { printf "%s%s", sep, $2; sep="," }' \
	"$tmp/nmap.gnmap")
scanned=$(grep -c 'Ports:' "$tmp/nmap.gnmap")

for fmt in json text markdown html; do
	"$exe" -r "$tmp/sweep.pcap" -F $fmt -o "$tmp/sweep.$fmt" 2>"$tmp/err" || {
		echo "FAIL sockscope ($fmt) exited $?: $(cat "$tmp/err")"
		exit 1
	}
done
"$python" - "$tmp/sweep.json" "$ip_c" "$port" "$open" "$scanned" "$tmp/sweep.text" \
	"$tmp/sweep.markdown" "$tmp/sweep.html" <<'PY'
import ipaddress, json, sys
doc, scanner, port, open_hosts, scanned, text, md, html = sys.argv[1:]
port, scanned = int(port), int(scanned)
open_hosts = sorted((h for h in open_hosts.split(",") if h), key=ipaddress.ip_address)
bad = []
if open_hosts != ["10.84.0.4", "10.84.0.11", "10.84.0.17"]:
    bad.append("nmap found %s open, expected 10.84.0.4, .11, .17" % open_hosts)
if scanned != 20:
    bad.append("nmap reported %d hosts, expected 20" % scanned)
d = json.load(open(doc))
f = [x for x in d["findings"] if x["id"] == "port_sweep"]
if len(f) != 1:
    bad.append("%d port_sweep findings, expected 1" % len(f))
else:
    f = f[0]
    facts = f["evidence"]
    if facts.get("hosts") != scanned:
        bad.append("hosts %r, nmap scanned %d" % (facts.get("hosts"), scanned))
    if facts.get("open") != len(open_hosts):
        bad.append("open %r, nmap found %d" % (facts.get("open"), len(open_hosts)))
    if "port %d " % port not in f["statement"]:
        bad.append("port %d not named: %s" % (port, f["statement"]))
    # the hosts as a field of the finding, in address order
    if f.get("answered_hosts") != open_hosts:
        bad.append("answered_hosts %r, nmap found %r" % (f.get("answered_hosts"), open_hosts))
    if "open_ports" in f:
        bad.append("a sweep has open_ports")
    listed = ", ".join(open_hosts)
    for name, path, want in (("text", text, "       answered: " + listed + "\n"),
                             # markdown escapes the "10." that would start a list
                             ("markdown", md, "- **Hosts that answered:** "
                              + listed.replace(".", "\\.", 1) + "\n"),
                             ("html", html, "<li><strong>Hosts that answered:</strong> " + listed
                              + "</li>")):
        if want not in open(path).read():
            bad.append("%s report has no line %r" % (name, want))
    for h in open_hosts:
        if h not in f["statement"]:
            bad.append("host %s not named: %s" % (h, f["statement"]))
    if scanner not in f["statement"]:
        bad.append("scanner not named: %s" % f["statement"])
for fid in ("unanswered_syn", "refused"):
    if any(x["id"] == fid for x in d["findings"]):
        bad.append("%s finding for the probes" % fid)
if bad:
    print("FAIL " + "; ".join(bad))
    sys.exit(1)
print("ok one port_sweep finding: " + f["statement"])
PY
