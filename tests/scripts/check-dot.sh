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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
