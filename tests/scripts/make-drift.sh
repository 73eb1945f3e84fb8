#!/bin/bash
# Two captures of one interface taken at different times, from real TCP
# stacks in two network namespaces this script makes (issue 16, drift mode:
# `sockscope compare --mode drift A B`), and the truth of what changed
# between them, written from this script's own knowledge of what it did.
#
#   sudo tests/scripts/make-drift.sh OUTDIR   (the committed pair: captures/compare)
#
# Writes OUTDIR/drift-a.pcap, OUTDIR/drift-b.pcap and OUTDIR/drift.truth.tsv.
#
# Namespaces ssd-c-PID (the clients) and ssd-s-PID (the server), one veth
# pair; the capture is tcpdump on the server's side of it (lib-netns.sh's
# ns_server and ns_capture_start/stop).  The server is
# 10.78.0.2; the clients send from 10.78.1.10 (the main client), 10.78.2.10
# (a network seen only in A) and 10.78.9.10 (a network new in B), all
# addresses of the client namespace, routed on-link by the server.
#
#   port   capture A                  capture B                    truth
#   7000   open (main + 10.78.2/24)   open (main + 10.78.9/24)     unchanged; 10.78.9.0/24 new,
#                                                                  10.78.2.0/24 gone
#   8080   open                       nothing listens: RST         vanished, high
#   8443   open                       nft drop rule: no answer     state_changed open->filtered
#   9090   nothing listens: RST       open                         appeared, high
#   5000   open                       not tried                    vanished, low (no traffic)
#   5300/udp answers                  nothing bound: ICMP port     vanished, high
#                                     unreachable
# The main client's ephemeral range is the Linux default in A and
# 20000-29999 (net.ipv4.ip_local_port_range, per namespace) in B.
#
# Traffic stays inside the two namespaces; every loop is bounded and
# everything made is torn down on any exit (lib-netns.sh's trap).  Needs
# root, iproute2, tcpdump, nftables, /usr/bin/python3; exits 77 when one is
# missing.
if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
# skip, python, tmp, ns_pids/ns_names with the teardown on every exit path,
# ns_server, ns_capture_start/stop (its one argument is a sockscope it does
# not use here)
set -- "$out"
. "$here/lib-netns.sh"
command -v nft >/dev/null 2>&1 || skip "nft is not installed (Debian package nftables)"
set -u

ns_c=ssd-c-$$
ns_s=ssd-s-$$
if_c=ssd-vc-$$
ns_if_s=ssd-vs-$$
ip_s=10.78.0.2
ip_c=10.78.0.1
MAIN=10.78.1.10
OLDNET=10.78.2.10
NEWNET=10.78.9.10
P_SAME=7000 P_GONE=8080 P_FILT=8443 P_NEW=9090 P_QUIET=5000 P_UDP=5300
EPH_B_LO=20000 EPH_B_HI=29999

for ns in "$ns_c" "$ns_s"; do
	ip netns add "$ns" 2>"$tmp/err" || skip "cannot make network namespaces: $(cat "$tmp/err")"
	ns_names+=("$ns")
	ip netns exec "$ns" true 2>"$tmp/err" || skip "cannot enter network namespaces: $(cat "$tmp/err")"
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$ns_c" link add "$if_c" address 02:78:00:00:00:01 type veth \
	peer name "$ns_if_s" address 02:78:00:00:00:02 netns "$ns_s" || exit 1
ip -n "$ns_c" addr add "$ip_c/24" dev "$if_c"
for a in "$MAIN" "$OLDNET" "$NEWNET"; do ip -n "$ns_c" addr add "$a/32" dev "$if_c"; done
ip -n "$ns_s" addr add "$ip_s/24" dev "$ns_if_s"
ip netns exec "$ns_c" ethtool -K "$if_c" tx off rx off gso off gro off tso off >/dev/null 2>&1
ip netns exec "$ns_s" ethtool -K "$ns_if_s" tx off rx off gso off gro off tso off >/dev/null 2>&1
ip -n "$ns_c" link set "$if_c" up
ip -n "$ns_s" link set "$ns_if_s" up
for net in 10.78.1.0/24 10.78.2.0/24 10.78.9.0/24; do
	ip -n "$ns_s" route add "$net" dev "$ns_if_s"
done
# static neighbours: the captures hold only IP
ip -n "$ns_c" neigh add "$ip_s" lladdr 02:78:00:00:00:02 dev "$if_c" nud permanent
for a in "$ip_c" "$MAIN" "$OLDNET" "$NEWNET"; do
	ip -n "$ns_s" neigh replace "$a" lladdr 02:78:00:00:00:01 dev "$ns_if_s" nud permanent
done

# connect SRC PORT N: N connections one after the other from SRC; prints
# "outcome" per connection (complete, rejected, unanswered).
connect() {
	ip netns exec "$ns_c" "$python" -c '
import socket, sys
src, dst, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(1.5)
    try:
        s.connect((dst, port))
        while s.recv(64):
            pass
        print("complete")
    except ConnectionRefusedError:
        print("rejected")
    except (socket.timeout, TimeoutError):
        print("unanswered")
    s.close()
' "$1" "$ip_s" "$2" "$3"
}

# udp_server PORT: answers every datagram on PORT (UDP) with "pong".
udp_server() {
	ip netns exec "$ns_s" "$python" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(60)
print("ready", flush=True)
while True:
    try:
        data, peer = s.recvfrom(512)
    except socket.timeout:
        break
    s.sendto(b"pong", peer)
' "$ip_s" "$1" >"$tmp/udp.out" &
	ns_pids+=($!)
	udp_pid=$!
	for _ in $(seq 50); do
		grep -q ready "$tmp/udp.out" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL udp server did not start"
	exit 1
}

# udp SRC PORT N OUTCOME: N datagrams from SRC, one at a time, each waiting
# for its answer; checks every outcome (answered, rejected: ICMP port
# unreachable, unanswered) is OUTCOME.
udp() {
	local got
	got=$(ip netns exec "$ns_c" "$python" -c '
import socket, sys
src, dst, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.connect((dst, port))
    s.settimeout(1.0)
    try:
        s.send(b"ping")
        s.recv(64)
        print("answered")
    except ConnectionRefusedError:
        print("rejected")
    except (socket.timeout, TimeoutError):
        print("unanswered")
    s.close()
' "$1" "$ip_s" "$2" "$3" | sort -u)
	if [ "$got" != "$4" ]; then
		echo "FAIL make-drift: $1 -> $ip_s:$2/udp gave '$got', expected $4"
		exit 1
	fi
}

# expect SRC PORT N OUTCOME: connect and check every outcome is OUTCOME.
expect() {
	local got
	got=$(connect "$1" "$2" "$3" | sort -u)
	if [ "$got" != "$4" ]; then
		echo "FAIL make-drift: $1 -> $ip_s:$2 gave '$got', expected $4"
		exit 1
	fi
}

# ---- capture A
ns_server "$P_SAME" "$P_GONE" "$P_FILT" "$P_QUIET"
server_pid=${ns_pids[-1]}
udp_server "$P_UDP"
ns_capture_start "$tmp/a.pcap" 'tcp or udp or icmp'
expect "$MAIN" "$P_SAME" 10 complete
expect "$OLDNET" "$P_SAME" 2 complete
expect "$MAIN" "$P_GONE" 4 complete
expect "$MAIN" "$P_FILT" 4 complete
expect "$MAIN" "$P_NEW" 3 rejected
expect "$MAIN" "$P_QUIET" 2 complete
udp "$MAIN" "$P_UDP" 3 answered
ns_capture_stop "$tmp/a.pcap"
kill -KILL "$server_pid" "$udp_pid"
wait "$server_pid" "$udp_pid" 2>/dev/null
# every socket of A gone (the server closed first: TIME_WAIT is on its side)

# ---- between: what changes
sleep 2
ip netns exec "$ns_c" sysctl -q -w net.ipv4.ip_local_port_range="$EPH_B_LO $EPH_B_HI"
ip netns exec "$ns_s" nft -f - <<EOF
table inet ssdrift {
	chain input {
	    type filter hook input priority 0; policy accept;
	    tcp dport $P_FILT drop
	}
}
EOF

# ---- capture B
ns_server "$P_SAME" "$P_FILT" "$P_NEW"
ns_capture_start "$tmp/b.pcap" 'tcp or udp or icmp'
expect "$MAIN" "$P_SAME" 10 complete
expect "$NEWNET" "$P_SAME" 3 complete
expect "$MAIN" "$P_GONE" 4 rejected
expect "$MAIN" "$P_FILT" 3 unanswered
expect "$MAIN" "$P_NEW" 4 complete
udp "$MAIN" "$P_UDP" 3 rejected
ns_capture_stop "$tmp/b.pcap"

cp "$tmp/a.pcap" "$out/drift-a.pcap"
cp "$tmp/b.pcap" "$out/drift-b.pcap"
# The truth: exactly the changes this script made, in the jsonl record
# kinds' words (docs/output.md).  Confidence is what the evidence allows:
# refusals are high, silence medium, absence of traffic low.
{
	printf '#kind\tsubject\tchange\tbefore\tafter\tconfidence\n'
	printf 'listener_change\t%s:%s/tcp\tvanished\topen\tclosed\thigh\n' "$ip_s" "$P_GONE"
	printf 'listener_change\t%s:%s/tcp\tstate_changed\topen\tfiltered\tmedium\n' "$ip_s" "$P_FILT"
	printf 'listener_change\t%s:%s/tcp\tappeared\tclosed\topen\thigh\n' "$ip_s" "$P_NEW"
	printf 'listener_change\t%s:%s/tcp\tvanished\topen\t-\tlow\n' "$ip_s" "$P_QUIET"
	printf 'listener_change\t%s:%s/udp\tvanished\topen\tclosed\thigh\n' "$ip_s" "$P_UDP"
	printf 'client_network_change\t%s:%s/tcp 10.78.9.0/24\tnew\t-\t-\tmedium\n' "$ip_s" "$P_SAME"
	printf 'client_network_change\t%s:%s/tcp 10.78.2.0/24\tgone\t-\t-\tmedium\n' "$ip_s" "$P_SAME"
	printf 'ephemeral_change\t%s\tchanged\t-\t%s-%s\t-\n' "$MAIN" "$EPH_B_LO" "$EPH_B_HI"
} >"$out/drift.truth.tsv"
echo "wrote $out/drift-a.pcap $out/drift-b.pcap $out/drift.truth.tsv"
