#!/usr/bin/env bash
# The path-compare test bed (issue 16): client -- router -- server network
# namespaces joined by veth pairs, nftables on the router, and for each
# scenario a capture pair taken at the same time with tcpdump on the
# client's interface (point A) and the server's (point B), plus the ground
# truth from the sockets of both ends and the rule (tests/scripts/
# compare_bed.py: what runs in the namespaces, the truth and the variants).
#
# Scenarios (compare_bed.py SCENARIOS): none (plain routing), snat
# (masquerade), snat-random (masquerade fully-random), dnat (router:8080 ->
# server:80), snat-dnat (both), snat-collide (masquerade, two client hosts on
# the same port at once), lb (round robin to two backends), v6-snat (IPv6
# masquerade), filter (SYNs to :81 dropped, :82 rejected
# with a TCP reset, a large segment to :84 rejected with a reset
# mid-connection), idle (masquerade; conntrack forgets an idle connection
# after 2 s and its next data dies at the router).  UDP request/response
# through masquerade in snat, snat-random and snat-dnat.
#
# Usage: make-compare.sh OUTDIR [SCENARIO...]
#   writes OUTDIR/compare-NAME-a.pcap, -b.pcap and compare-NAME.truth.json;
#   with every scenario, also the variants (B shifted by a known clock
#   offset, B merged out of order: compare_bed.py VARIANTS).
# Needs root, ip netns, nft, tcpdump, /usr/bin/python3 (and editcap/mergecap
# for the variants); exits 77 (skipped) with the reason otherwise.
# Namespaces ss-cmp-{c,r,s}-PID (10.93.1.0/24, 10.93.2.0/24), removed on
# every exit path.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 OUTDIR [SCENARIO...]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1
shift
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
bed="$here/compare_bed.py"
scenarios=("$@")

# skip, python, tmp, ns_pids/ns_names and the teardown on every exit path,
# ns_capture_stop (it checks root, ip, tcpdump, /usr/bin/python3; its one
# argument is a sockscope it does not use here)
set -- "$out"
. "$here/lib-netns.sh"
command -v nft >/dev/null 2>&1 || skip "nft is not installed (Debian package nftables)"

all=$($python "$bed" scenarios)
[ ${#scenarios[@]} -gt 0 ] || read -r -a scenarios <<<"$all"
variants=0
[ "${scenarios[*]}" = "$all" ] && variants=1
if [ $variants -eq 1 ]; then
	command -v editcap >/dev/null 2>&1 && command -v mergecap >/dev/null 2>&1 ||
		skip "editcap/mergecap are not installed (Debian package wireshark-common)"
fi

C=ss-cmp-c-$$ R=ss-cmp-r-$$ S=ss-cmp-s-$$
for ns in $C $R $S; do
	ip netns add "$ns" 2>"$tmp/err" || skip "cannot make network namespaces: $(cat "$tmp/err")"
	ns_names+=("$ns")
	ip netns exec "$ns" true 2>"$tmp/err" || skip "cannot enter network namespaces: $(cat "$tmp/err")"
	ip -n "$ns" link set lo up
	# IPv6 stays on (v6-snat); its neighbour discovery and MLD are ICMPv6,
	# which the capture filter leaves out, and no router advertisements
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.accept_ra=0 2>/dev/null
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.accept_ra=0 2>/dev/null
done
ip -n $C link add c0 address 02:93:01:00:00:02 type veth peer name r1 address 02:93:01:00:00:01 netns $R || exit 1
ip -n $S link add s0 address 02:93:02:00:00:02 type veth peer name r2 address 02:93:02:00:00:01 netns $R || exit 1
ip -n $C addr add 10.93.1.2/24 dev c0
ip -n $C addr add 10.93.1.3/24 dev c0    # a second client host (snat-collide)
ip -n $R addr add 10.93.1.1/24 dev r1
ip -n $R addr add 10.93.2.1/24 dev r2
ip -n $S addr add 10.93.2.2/24 dev s0
ip -n $S addr add 10.93.2.3/24 dev s0    # a second backend (lb)
ip -n $C addr add fd93:1::2/64 dev c0 nodad
ip -n $R addr add fd93:1::1/64 dev r1 nodad
ip -n $R addr add fd93:2::1/64 dev r2 nodad
ip -n $S addr add fd93:2::2/64 dev s0 nodad
for pair in "$C c0" "$R r1" "$R r2" "$S s0"; do
	set -- $pair
	# real packets on the wire: no checksum offload, no GSO/GRO super-packets
	ip netns exec "$1" ethtool -K "$2" tx off rx off gso off gro off tso off >/dev/null 2>&1
	ip -n "$1" link set "$2" up
done
ip -n $C route add default via 10.93.1.1
ip -n $S route add default via 10.93.2.1
ip netns exec $R sysctl -q -w net.ipv4.ip_forward=1
ip netns exec $R sysctl -q -w net.ipv6.conf.all.forwarding=1
ip -n $C -6 route add default via fd93:1::1
ip -n $S -6 route add default via fd93:2::1
# static neighbours (the MACs are fixed above): no ARP in the captures, and
# no ping needed to resolve them first
ip -n $C neigh replace 10.93.1.1 lladdr 02:93:01:00:00:01 dev c0 nud permanent
ip -n $R neigh replace 10.93.1.2 lladdr 02:93:01:00:00:02 dev r1 nud permanent
ip -n $R neigh replace 10.93.1.3 lladdr 02:93:01:00:00:02 dev r1 nud permanent
ip -n $R neigh replace 10.93.2.2 lladdr 02:93:02:00:00:02 dev r2 nud permanent
ip -n $R neigh replace 10.93.2.3 lladdr 02:93:02:00:00:02 dev r2 nud permanent
ip -n $C neigh replace fd93:1::1 lladdr 02:93:01:00:00:01 dev c0 nud permanent
ip -n $R neigh replace fd93:1::2 lladdr 02:93:01:00:00:02 dev r1 nud permanent
ip -n $R neigh replace fd93:2::2 lladdr 02:93:02:00:00:02 dev r2 nud permanent
ip -n $S neigh replace fd93:2::1 lladdr 02:93:02:00:00:01 dev s0 nud permanent
ip -n $S neigh replace 10.93.2.1 lladdr 02:93:02:00:00:01 dev s0 nud permanent
# conntrack is loaded by the first nat rule; the ruleset must load at all
printf '%s\n' "$($python "$bed" nft idle)" | ip netns exec $R nft -f - 2>"$tmp/err" ||
	skip "nftables cannot load the rules here (nat, reject, ct timeout): $(cat "$tmp/err")"

ip netns exec $S $python "$bed" server "$tmp/server.log" >"$tmp/server.out" 2>&1 &
ns_pids+=($!)
for ((i = 0; i < 100; i++)); do
	grep -q READY "$tmp/server.out" && break
	sleep 0.1
done
grep -q READY "$tmp/server.out" || { echo "FAIL: server did not start: $(cat "$tmp/server.out")"; exit 1; }

# cap_start NS IF FILE: sets cap_pid once tcpdump listens
cap_start() {
	ip netns exec "$1" tcpdump -Z root -U -nn -s 200 -i "$2" -w "$3" 'tcp or udp or icmp' \
		2>"$3.err" &
	cap_pid=$!
	ns_pids+=($cap_pid)
	for ((i = 0; i < 100; i++)); do
		grep -qs 'listening on' "$3.err" && return 0
		sleep 0.1
	done
	echo "FAIL: tcpdump did not start: $(cat "$3.err")"
	exit 1
}
fail=0
for sc in "${scenarios[@]}"; do
	$python "$bed" nft "$sc" | ip netns exec $R nft -f - || { echo "FAIL $sc: nft"; exit 1; }
	ip netns exec $R sysctl -q -w net.netfilter.nf_conntrack_tcp_loose=1
	for kv in $($python "$bed" sysctls "$sc"); do
		ip netns exec $R sysctl -q -w "$kv" || { echo "FAIL $sc: sysctl $kv"; exit 1; }
	done
	# a clean conntrack table per scenario (the ruleset flush keeps it)
	ip netns exec $R sh -c 'command -v conntrack >/dev/null && conntrack -F' >/dev/null 2>&1
	a="$tmp/compare-$sc-a.pcap" b="$tmp/compare-$sc-b.pcap"
	: >"$tmp/server.log"
	cap_start $C c0 "$a"
	pa=$cap_pid
	cap_start $S s0 "$b"
	pb=$cap_pid
	ip netns exec $C $python "$bed" client "$sc" "$tmp/client-$sc.log" ||
		{ echo "FAIL $sc: client"; exit 1; }
	# the server closes what reached it (bounded by its own timeouts)
	for ((i = 0; i < 200; i++)); do
		opened=$(grep -c '"token"' "$tmp/server.log" | head -1)
		closed=$(grep -c '"closed"' "$tmp/server.log" | head -1)
		[ "$opened" -le "$closed" ] && break
		sleep 0.1
	done
	sleep 0.5
	cap_pid=$pb ns_capture_stop "$b"
	cap_pid=$pa ns_capture_stop "$a"
	cp "$tmp/server.log" "$tmp/server-$sc.log"
	if $python "$bed" truth "$sc" "$a" "$b" "$tmp/client-$sc.log" "$tmp/server-$sc.log" \
		"$tmp/compare-$sc.truth.json"; then
		echo "ok   $sc: $(grep -c . "$tmp/client-$sc.log") connections, truth written"
	else
		echo "FAIL $sc: the captures do not show what the rule must do (above)"
		fail=1
	fi
	cp "$a" "$b" "$tmp/compare-$sc.truth.json" "$out/"
done
if [ $fail -eq 0 ] && [ $variants -eq 1 ]; then
	$python "$bed" variants "$out" || fail=1
fi
exit $fail
