#!/usr/bin/env bash
# A real port scan rolled up into one finding (docs/reports.md): nmap's SYN
# scan of 1000 ports from one network namespace against another, captured
# with tcpdump on the target's side.  sockscope must give one port_scan
# finding naming the scanner, the target, the number of ports and the 3
# open ones (the open_ports field in json, a line of their own in the
# text, markdown and html reports), and no unanswered_syn / refused finding
# for the probes (nor an exhaustion warning from nmap's one bound source port); the text report
# counts the refused probes instead of listing 997 lines.
#
# Usage: check-scan.sh SOCKSCOPE
# Needs root, ip netns, tcpdump, nmap and /usr/bin/python3 (exit 77
# otherwise).  Traffic stays inside ss-scan-c / ss-scan-s (10.83.0.0/24),
# removed on exit.
set -u
. "$(dirname "$0")/lib-netns.sh"   # checks the arguments: sets exe
command -v nmap >/dev/null 2>&1 || skip "nmap is not installed (Debian package nmap)"

ns_setup ss-scan 10.83.0
ns_server 8080 8081 9090

ns_capture_start "$tmp/scan.pcap" tcp
ip netns exec "$ns_c" nmap -n -Pn -sS -T4 --max-retries 1 -p 1-997,8080,8081,9090 "$ip_s" \
	>"$tmp/nmap.out" 2>&1 || { echo "FAIL nmap: $(tail -3 "$tmp/nmap.out")"; exit 1; }
ns_capture_stop "$tmp/scan.pcap"
# what nmap itself found open (the truth)
open=$(awk '/^[0-9]+\/tcp +open/ { split($1, p, "/"); printf "%s%s", sep, p[1]; sep="," }' "$tmp/nmap.out")

"$exe" -r "$tmp/scan.pcap" -F json -o "$tmp/scan.json" 2>"$tmp/err" || {
	echo "FAIL sockscope exited $?: $(cat "$tmp/err")"
	exit 1
}
"$exe" -r "$tmp/scan.pcap" -o "$tmp/scan.txt" 2>"$tmp/err" || {
	echo "FAIL sockscope (text) exited $?: $(cat "$tmp/err")"
	exit 1
}
for fmt in markdown html; do
	"$exe" -r "$tmp/scan.pcap" -F $fmt -o "$tmp/scan.$fmt" 2>"$tmp/err" || {
		echo "FAIL sockscope ($fmt) exited $?: $(cat "$tmp/err")"
		exit 1
	}
done
"$python" - "$tmp/scan.json" "$ip_c" "$ip_s" "$open" "$tmp/scan.txt" "$tmp/scan.markdown" \
	"$tmp/scan.html" <<'PY'
import json, sys
doc, scanner, target, open_ports, text, md, html = sys.argv[1:]
# the text report stays readable: the probes are counted, not listed
lines = open(text).read().splitlines()
text_bad = []
if len(lines) > 120:
    text_bad.append("text report has %d lines" % len(lines))
if not any("997 refused or unanswered probes of the scans" in l for l in lines):
    text_bad.append("text report does not count the 997 folded probes")
open_ports = [int(p) for p in open_ports.split(",") if p]
d = json.load(open(doc))
f = [x for x in d["findings"] if x["id"] == "port_scan"]
bad = text_bad
if open_ports != [8080, 8081, 9090]:
    bad.append("nmap found %s open, expected 8080,8081,9090" % open_ports)
if len(f) != 1:
    bad.append("%d port_scan findings, expected 1" % len(f))
else:
    f = f[0]
    facts = f["evidence"]
    if facts.get("ports") != 1000:
        bad.append("ports %r, expected 1000" % facts.get("ports"))
    if facts.get("open") != 3:
        bad.append("open %r, expected 3" % facts.get("open"))
    # the open ports as a field of the finding, not only in its sentence
    if f.get("open_ports") != open_ports:
        bad.append("open_ports %r, nmap found %r" % (f.get("open_ports"), open_ports))
    # and a line of their own in the reports for people
    listed = ", ".join(str(p) for p in open_ports)
    for name, path, want in (("text", text, "       open:     " + listed + "\n"),
                             ("markdown", md, "- **Open ports:** " + listed + "\n"),
                             ("html", html, "<li><strong>Open ports:</strong> " + listed
                              + "</li>")):
        if want not in open(path).read():
            bad.append("%s report has no line %r" % (name, want))
    for p in open_ports:
        if str(p) not in f["statement"]:
            bad.append("open port %d not named: %s" % (p, f["statement"]))
    if scanner not in f["statement"] or target not in f["statement"]:
        bad.append("scanner / target not named: %s" % f["statement"])
for fid in ("unanswered_syn", "refused", "ephemeral_exhaustion_risk"):
    if any(x["id"] == fid for x in d["findings"]):
        bad.append("%s finding for the probes" % fid)
if bad:
    print("FAIL " + "; ".join(bad))
    sys.exit(1)
print("ok one port_scan finding: " + f["statement"])
PY
