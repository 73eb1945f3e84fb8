#!/usr/bin/env bash
# Real kernel VXLAN: two tenants (VNI 42 and 43) using the same overlay
# addresses, over one underlay veth between two network namespaces this
# script makes; real TCP and UDP over the overlay (a listener, a refused
# TCP port, an answered and a refused UDP port); the underlay captured with
# tcpdump; the ground truth from the sockets (scripts/captures/client.py
# prints each connection's real ephemeral port).  Then sockscope must report
# exactly those inner connections and listeners (tests/scripts/check-truth.py),
# each with its VNI and outer endpoints, and no UDP 4789 listener.  A second
# capture of real connections in both tenants (short ones, and ones whose
# first SYN nftables drops) must give the connection_churn and
# syn_retransmits findings once per tenant with the sockets' counts
# (tests/scripts/vxlan-conns.py); skipped without nft or tshark.
#
# Usage: check-vxlan.sh SOCKSCOPE [--write DIR]
#   --write DIR  also install the capture and truth as DIR/real-vxlan.pcap and
#                DIR/real-vxlan.pcap.truth.tsv (scripts/make-captures.sh does)
# Needs root, `ip netns`, the vxlan kernel module, tcpdump and python3;
# exits 77 (skipped) with the reason otherwise.  Namespaces ss-vx-u1-PID,
# ss-vx-u2-PID (underlay 10.88.0.0/24), ss-vx-t1-PID, ss-vx-t2-PID (tenant
# 43): named per run, so runs from several checkouts at once do not meet;
# the ones this run made are removed on every exit path.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 SOCKSCOPE [--write DIR]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
exe=$1
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
write_dir=
if [ "${2:-}" = --write ]; then
	write_dir=${3:?--write needs a directory}
fi

skip() {
	echo "SKIP: $*"
	exit 77
}

python=/usr/bin/python3
[ -x $python ] || python=$(command -v python3) || skip "python3 not found"
command -v ip >/dev/null 2>&1 || skip "the ip command (iproute2) is not installed"
command -v tcpdump >/dev/null 2>&1 || skip "tcpdump is not installed"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, tcpdump)"

U1=ss-vx-u1-$$ U2=ss-vx-u2-$$ T1=ss-vx-t1-$$ T2=ss-vx-t2-$$
tmp=$(mktemp -d) || exit 1
pids=()
made=()
cleanup() {
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${made[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for ns in $U1 $U2 $T1 $T2; do
	if ip netns list | grep -qw "$ns"; then
		echo "FAIL: namespace $ns already exists (ip netns del $ns)"
		exit 1
	fi
	ip netns add "$ns" 2>"$tmp/err" || skip "cannot make network namespaces: $(cat "$tmp/err")"
	made+=("$ns")
	ip netns exec "$ns" true 2>"$tmp/err" ||
		skip "cannot enter network namespaces: $(cat "$tmp/err")"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
done
ip -n $U1 link add vxu1 address 02:88:00:00:00:01 type veth \
	peer name vxu2 address 02:88:00:00:00:02 netns $U2
ip -n $U1 addr add 10.88.0.1/24 dev vxu1
ip -n $U2 addr add 10.88.0.2/24 dev vxu2
for ns in $U1 $U2; do
	# Real packets on the wire: no checksum offload, no GSO super-packets.
	dev=vxu1
	[ "$ns" = "$U2" ] && dev=vxu2
	ip netns exec "$ns" ethtool -K $dev tx off rx off gso off gro off tso off >/dev/null 2>&1
	ip -n "$ns" link set $dev up
done
# Tenant 42 lives in the underlay namespaces; tenant 43's devices are made
# there too (their UDP socket stays in the underlay) and moved to T1/T2, so
# both tenants use 192.168.42.1 -> 192.168.42.2.
mkvx() { # NS VNI LOCAL REMOTE DEV
	ip -n "$1" link add "vx$2" address "02:42:00:00:$2:${3##*.}" type vxlan id "$2" \
		local "$3" remote "$4" dstport 4789 dev "$5" 2>"$tmp/err" ||
		skip "no kernel VXLAN: $(cat "$tmp/err")"
}
mkvx $U1 42 10.88.0.1 10.88.0.2 vxu1
mkvx $U2 42 10.88.0.2 10.88.0.1 vxu2
mkvx $U1 43 10.88.0.1 10.88.0.2 vxu1
mkvx $U2 43 10.88.0.2 10.88.0.1 vxu2
ip -n $U1 link set vx43 netns $T1
ip -n $U2 link set vx43 netns $T2
ten() { # NS DEV ADDR
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
}
ten $U1 vx42 192.168.42.1
ten $U2 vx42 192.168.42.2
ten $T1 vx43 192.168.42.1
ten $T2 vx43 192.168.42.2
# Bounded wait until both overlays carry packets (this also resolves the
# inner ARP before the capture starts).
for ((i = 0; i < 50; i++)); do
	if ip netns exec $U1 ping -c1 -W1 192.168.42.2 >/dev/null 2>&1 &&
		ip netns exec $T1 ping -c1 -W1 192.168.42.2 >/dev/null 2>&1; then
		break
	fi
	sleep 0.2
done

srv="$root/scripts/captures/server.py"
cli="$root/scripts/captures/client.py"
ip netns exec $U2 $python "$srv" --lifetime 120 tcp:192.168.42.2:8080 \
	tcp:192.168.42.2:8081 udp:192.168.42.2:5353 >"$tmp/srv42" 2>&1 &
pids+=($!)
ip netns exec $T2 $python "$srv" --lifetime 120 tcp:192.168.42.2:8080 \
	tcp:192.168.42.2:8081 >"$tmp/srv43" 2>&1 &
pids+=($!)
for f in "$tmp/srv42" "$tmp/srv43"; do
	for ((i = 0; i < 100; i++)); do
		grep -q READY "$f" && break
		sleep 0.1
	done
	grep -q READY "$f" || { echo "FAIL: server did not start: $(cat "$f")"; exit 1; }
done

cap="$tmp/real-vxlan.pcap"
ip netns exec $U1 tcpdump -Z root -U -nn -i vxu1 -w "$cap" 'udp port 4789' 2>"$tmp/tcpdump" &
tcpdump_pid=$!
pids+=($tcpdump_pid)
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$tmp/tcpdump" && break
	sleep 0.1
done
# sockscope live on the same underlay with the --interval view: each view
# must list the tunnels so far as the final report does.
ip netns exec $U1 "$exe" -i vxu1 --interval 0.3 -F jsonl -o "$tmp/live.jsonl" \
	'udp port 4789' >"$tmp/live.view" 2>"$tmp/live.err" &
live_pid=$!
pids+=($live_pid)
for ((i = 0; i < 100; i++)); do
	grep -q '^--- sockscope live on vxu1' "$tmp/live.view" 2>/dev/null && break
	sleep 0.1
done

truth="$tmp/truth"
# Each truth line ends with the tenant's virtual network (check-truth.py).
{
	{
		ip netns exec $U1 $python "$cli" tcp 192.168.42.1 192.168.42.2 8080
		ip netns exec $U1 $python "$cli" tcp 192.168.42.1 192.168.42.2 9
		ip netns exec $U1 $python "$cli" udp 192.168.42.1 192.168.42.2 5353
		ip netns exec $U1 $python "$cli" udp 192.168.42.1 192.168.42.2 5999 --timeout 2
	} | sed 's/$/\tvxlan:42/'
	{
		ip netns exec $T1 $python "$cli" tcp 192.168.42.1 192.168.42.2 8080
		ip netns exec $T1 $python "$cli" tcp 192.168.42.1 192.168.42.2 8080
	} | sed 's/$/\tvxlan:43/'
} >"$truth.conns"
sleep 1
kill -TERM $tcpdump_pid
wait $tcpdump_pid 2>/dev/null
kill -INT $live_pid
wait $live_pid 2>/dev/null
{
	printf '#record\tproto\tclient_ip\tclient_port\tserver_ip\tserver_port\toutcome\tvnet\n'
	cat "$truth.conns"
	# Both tenants listen on 192.168.42.2:8080: two listeners, not one.
	printf 'listener\ttcp\t-\t-\t192.168.42.2\t8080\topen\tvxlan:42\n'
	printf 'listener\ttcp\t-\t-\t192.168.42.2\t9\tclosed\tvxlan:42\n'
	printf 'listener\tudp\t-\t-\t192.168.42.2\t5353\topen\tvxlan:42\n'
	printf 'listener\tudp\t-\t-\t192.168.42.2\t5999\tclosed\tvxlan:42\n'
	printf 'listener\ttcp\t-\t-\t192.168.42.2\t8080\topen\tvxlan:43\n'
} >"$cap.truth.tsv"

passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# Inner connections, roles, outcomes and listeners (no UDP 4789 listener:
# the listener set must be exactly the truth's).
if $python "$here/check-truth.py" "$exe" "$cap"; then ok truth; else fail truth; fi

# Every record came through VXLAN with its tenant's VNI and the underlay's
# endpoints; tenant 43 has exactly its two connections.
"$exe" -F jsonl -r "$cap" >"$tmp/out.jsonl"
if $python - "$tmp/out.jsonl" <<'EOF'; then ok tunnel-context; else fail tunnel-context; fi
import collections, json, sys
vnis = collections.Counter()
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["kind"] != "connection":
        continue
    t = o.get("tunnel")
    if not t or t["type"] != "vxlan" or {t["outer"]["src"], t["outer"]["dst"]} != {"10.88.0.1", "10.88.0.2"} \
            or t["outer"]["dport"] != 4789:
        sys.exit(f"bad tunnel context: {line}")
    vnis[t["vni"]] += 1
if vnis != {42: 4, 43: 2}:
    sys.exit(f"records per VNI: {dict(vnis)}")
EOF

# The underlay's outer flows are tunnel records, one per VNI, with the
# packets tshark decodes as that VNI and the tenant's inner connections.
if command -v tshark >/dev/null 2>&1; then
	for vni in 42 43; do
		tshark -n -r "$cap" -Y "vxlan.vni == $vni" -T fields -e frame.len >"$tmp/tshark.$vni"
	done
	if $python - "$tmp/out.jsonl" "$tmp/tshark" <<'EOF'; then ok tunnel-records; else fail tunnel-records; fi
import json, sys
got = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["kind"] == "tunnel":
        got[o["vni"]] = o
want_conns = {42: 4, 43: 2}
if sorted(got) != [42, 43]:
    sys.exit(f"tunnel records for VNIs {sorted(got)}")
for vni, t in got.items():
    lens = [int(x) for x in open(f"{sys.argv[2]}.{vni}").read().split()]
    if t["type"] != "vxlan" or {t["outer"]["src"], t["outer"]["dst"]} != {"10.88.0.1", "10.88.0.2"} \
            or t["packets"] != len(lens) or t["bytes"] != sum(lens) \
            or t["connections"] != want_conns[vni]:
        sys.exit(f"VNI {vni}: {t}; tshark: {len(lens)} packets, {sum(lens)} bytes")
EOF
else
	echo "SKIP tunnel-records: tshark is not installed"
fi

# The --interval view of the live capture: its last view (after the last
# packet: views every 0.3 s, 1 s of quiet before the stop) lists the
# tunnels of the final report, with their connections and packets.
if $python - "$tmp/live.view" "$tmp/live.jsonl" <<'EOF'; then ok interval-tunnels; else fail interval-tunnels; fi
import json, re, sys
views = open(sys.argv[1]).read().split("--- sockscope live on ")[1:]
if len(views) < 2:
    sys.exit(f"{len(views)} views")
last = views[-1]
m = re.search(r"^Tunnels: (\d+)\n[^\n]*\n((?:[^\n.][^\n]*\n)*)", last, re.M)
if not m:
    sys.exit(f"no Tunnels block in the last view:\n{last}")
rows = {tuple(re.split(r"\s{2,}", r.strip())) for r in m.group(2).splitlines() if r.strip()}
want = set()
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o["kind"] == "tunnel":
        want.add((f"{o['type']} {o['vni']}", f"{o['outer']['src']} - {o['outer']['dst']}",
                  str(o["connections"]), str(o["packets"])))
if int(m.group(1)) != len(want) or rows != want or len(want) != 2:
    sys.exit(f"view rows {sorted(rows)} (Tunnels: {m.group(1)}), final report {sorted(want)}")
EOF

# The reports for people say which tunnels were seen: a Tunnels section in
# text, markdown and html with one row per VNI.
reports_ok=1
for fmt in text markdown html; do
	"$exe" -F $fmt -r "$cap" >"$tmp/out.$fmt"
	grep -Eq '^(Tunnels|## Tunnels)$|<h2 id="tunnels">Tunnels</h2>' "$tmp/out.$fmt" &&
		grep -q 'vxlan 42' "$tmp/out.$fmt" && grep -q 'vxlan 43' "$tmp/out.$fmt" ||
		{ echo "no Tunnels section with both VNIs in -F $fmt"; reports_ok=0; }
done
if [ $reports_ok = 1 ]; then ok reports-name-tunnels; else fail reports-name-tunnels; fi

# With decapsulation off the same capture is only UDP 4789 traffic: the
# old view, which the default must not give.
"$exe" -F jsonl --max-tunnel-depth 0 -r "$cap" >"$tmp/off.jsonl"
if grep -q '"kind":"listener".*"port":4789' "$tmp/off.jsonl" &&
	! grep -q '"kind":"listener".*"port":4789' "$tmp/out.jsonl"; then
	ok depth-0-is-outer
else
	fail depth-0-is-outer
fi

# ---- findings per tenant from real kernel traffic (issue 12) ----
# A second underlay capture: in each tenant the same 192.168.42.1 opens
# short connections to 192.168.42.2:8080 (connection churn: 21 in VNI 42,
# 20 in 43) and connections to :8081 whose first SYN an nftables rule in
# the server's namespace drops (SYN retransmissions: 2 and 1).  Each
# finding must come once per tenant with the count the sockets made, in
# jsonl and json; tshark counts the SYNs to :8081 per VNI.
findings_phase() {
	command -v nft >/dev/null 2>&1 || { echo "SKIP findings-2-tenants: nft is not installed"; return; }
	command -v tshark >/dev/null 2>&1 || { echo "SKIP findings-2-tenants: tshark is not installed"; return; }
	local ns i
	for ns in $U2 $T2; do
		# every other SYN to 8081 dropped: each connection's first one
		printf '%s\n' 'table inet ssfind {' ' chain in {' \
			'  type filter hook input priority 0;' \
			'  tcp dport 8081 tcp flags & (syn | ack) == syn numgen inc mod 2 == 0 drop' \
			' }' '}' | ip netns exec "$ns" nft -f - || { fail "findings-2-tenants: nft"; return; }
	done
	local cap2="$tmp/findings.pcap"
	ip netns exec $U1 tcpdump -Z root -U -nn -i vxu1 -w "$cap2" 'udp port 4789' \
		2>"$tmp/tcpdump2" &
	local tpid=$!
	pids+=($tpid)
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$tmp/tcpdump2" && break
		sleep 0.1
	done
	local c42 c43 r42 r43
	c42=$(ip netns exec $U1 $python "$here/vxlan-conns.py" 8080 21)
	c43=$(ip netns exec $T1 $python "$here/vxlan-conns.py" 8080 20)
	r42=$(ip netns exec $U1 $python "$here/vxlan-conns.py" 8081 2)
	r43=$(ip netns exec $T1 $python "$here/vxlan-conns.py" 8081 1)
	sleep 1
	kill -TERM $tpid
	wait $tpid 2>/dev/null
	for ns in $U2 $T2; do
		ip netns exec "$ns" nft delete table inet ssfind
	done
	"$exe" --builtin-services -F jsonl -r "$cap2" >"$tmp/f.jsonl"
	"$exe" --builtin-services -F json -r "$cap2" >"$tmp/f.json"
	tshark -n -r "$cap2" -Y 'vxlan and tcp.dstport == 8081 and tcp.flags.syn == 1 and tcp.flags.ack == 0' \
		-T fields -e vxlan.vni >"$tmp/f.syns"
	if $python "$here/vxlan-conns.py" --check "$tmp/f.jsonl" "$tmp/f.json" "$tmp/f.syns" \
		"$c42" "$c43" "$r42" "$r43"; then
		ok "findings-2-tenants: churn $c42/$c43, SYN retransmissions $r42/$r43 per tenant"
	else
		fail findings-2-tenants
	fi
}
findings_phase

if [ -n "$write_dir" ] && [ "$failed" -eq 0 ]; then
	install -m 0644 "$cap" "$write_dir/real-vxlan.pcap"
	install -m 0644 "$cap.truth.tsv" "$write_dir/real-vxlan.pcap.truth.tsv"
	echo "wrote $write_dir/real-vxlan.pcap"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
