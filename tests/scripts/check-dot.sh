#!/usr/bin/env bash
# --format dot: Graphviz parses the graph of every bundled capture
# (dot -Tsvg), and the graph has the expected nodes and edges.  Skipped (77)
# visibly when Graphviz is not installed (Debian package graphviz).
#
# Usage: check-dot.sh SOCKSCOPE CAPTURES_DIR
set -u
exe=$1
captures=$2
if ! command -v dot >/dev/null 2>&1; then
	echo "SKIP: Graphviz 'dot' is not installed (apt-get install graphviz)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
for cap in "$captures"/*.pcap "$captures"/*.pcapng; do
	base=$(basename "$cap")
	"$exe" --builtin-services -F dot -r "$cap" >"$tmp/g.dot" 2>/dev/null
	if [ $? -gt 1 ]; then
		echo "FAIL $base: sockscope failed"
		failed=$((failed + 1))
		continue
	fi
	if ! dot -Tsvg "$tmp/g.dot" -o "$tmp/g.svg" 2>"$tmp/err" || [ -s "$tmp/err" ]; then
		echo "FAIL $base: dot rejected the graph: $(head -n 3 "$tmp/err")"
		failed=$((failed + 1))
		continue
	fi
	# every edge goes from a client node to a port of a server node
	if grep -- '->' "$tmp/g.dot" | grep -vqE '^  c[0-9]+ -> s[0-9]+:p[0-9]+ \[label="[0-9]+(-[0-9]+)?( \([0-9]+\))?"\];$'; then
		echo "FAIL $base: malformed edge"
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + 1))
done
# the real capture has listeners and clients: nodes and edges are drawn
"$exe" --builtin-services -F dot -r "$captures/real-ether.pcap" >"$tmp/g.dot" 2>/dev/null
if grep -q -- ' -> s0:p' "$tmp/g.dot" && grep -q '^  s0 \[' "$tmp/g.dot"; then
	passed=$((passed + 1))
else
	echo "FAIL real-ether.pcap: no server node or edge"
	failed=$((failed + 1))
fi
# Two tenants behind VXLAN 42 and 43 use the same inner addresses: every
# host is a node per (virtual network, address), labelled with its tunnel,
# and every edge joins two nodes of one tenant (issue 12).
"$exe" --builtin-services -F dot -r "$captures/real-vxlan.pcap" >"$tmp/v.dot" 2>/dev/null
problem=$(awk '
	/^  [cs][0-9]+ \[label=/ {
		id = $1
		if (match($0, /<\/b><br\/>[a-z]+ [0-9]+</)) {
			vnet[id] = substr($0, RSTART + 9, RLENGTH - 10)
			nodes[vnet[id] " " id]++
		}
	}
	/ -> / {
		split($3, to, ":")
		if (!(($1) in vnet) || !((to[1]) in vnet) || vnet[$1] != vnet[to[1]])
			print "edge " $1 " -> " to[1] " joins \"" vnet[$1] "\" and \"" vnet[to[1]] "\""
		edges++
	}
	END {
		n42 = n43 = 0
		for (k in nodes) { if (k ~ /^vxlan 42 /) n42++; if (k ~ /^vxlan 43 /) n43++ }
		if (n42 != 2 || n43 != 2)
			print "want a client and a server node per tenant, got " n42 " in vxlan 42, " n43 " in vxlan 43"
		if (edges != 5)
			print "want 5 edges, got " edges
	}' "$tmp/v.dot")
if [ -z "$problem" ] && grep -q '<b>192.168.42.2</b><br/>vxlan 43<' "$tmp/v.dot"; then
	passed=$((passed + 1))
else
	echo "FAIL real-vxlan.pcap: tenants' nodes: ${problem:-no 192.168.42.2 node in vxlan 43}"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
