# Shared by the namespace tests (check-ephemeral.sh, ...): two network
# namespaces joined by a veth pair, a tcpdump in the server one, and a
# teardown on every exit path.  Source it, then call ns_setup PREFIX NET
# (NET: the first three octets, e.g. 10.81.0): client PREFIX-c at NET.1,
# server PREFIX-s at NET.2.  Skips (exit 77) without root, ip netns,
# tcpdump or /usr/bin/python3.

# The caller's arguments (sourced without any, it sees them): SOCKSCOPE.
if [ $# -ne 1 ]; then
	echo "usage: $0 SOCKSCOPE" >&2
	exit 2
fi
exe=$1
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac

skip() {
	echo "SKIP: $*"
	exit 77
}

python=/usr/bin/python3
[ -x "$python" ] || skip "/usr/bin/python3 not found (it makes the traffic and reads the reports)"
command -v ip >/dev/null 2>&1 || skip "the ip command (iproute2) is not installed"
command -v tcpdump >/dev/null 2>&1 || skip "tcpdump is not installed (Debian package tcpdump)"
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"

tmp=$(mktemp -d) || exit 1
[ -n "${KEEP_TMP:-}" ] && echo "keeping $tmp"
ns_pids=()
ns_names=()
ns_cleanup() {
	for p in "${ns_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for n in "${ns_names[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap ns_cleanup EXIT
trap 'exit 1' INT TERM HUP

# ns_setup PREFIX NET: sets ns_c, ns_s, ip_c, ip_s.
ns_setup() {
	ns_c=$1-c
	ns_s=$1-s
	ip_c=$2.1
	ip_s=$2.2
	ip netns del "$ns_c" 2>/dev/null
	ip netns del "$ns_s" 2>/dev/null
	ip netns add "$ns_c" 2>"$tmp/netns.err" || skip "ip netns does not work here: $(cat "$tmp/netns.err")"
	ns_names+=("$ns_c")
	ip netns add "$ns_s" 2>"$tmp/netns.err" || skip "ip netns does not work here: $(cat "$tmp/netns.err")"
	ns_names+=("$ns_s")
	if ! ip netns exec "$ns_c" ip link show lo >/dev/null 2>"$tmp/netns.err" ||
	   grep -q 'failed' "$tmp/netns.err"; then
		skip "network namespaces cannot be entered here: $(cat "$tmp/netns.err")"
	fi
	ip link add "$1-vc" netns "$ns_c" type veth peer name "$1-vs" netns "$ns_s" || exit 1
	ip -n "$ns_c" addr add "$ip_c/24" dev "$1-vc"
	ip -n "$ns_s" addr add "$ip_s/24" dev "$1-vs"
	for n in "$ns_c" "$ns_s"; do
		ip -n "$n" link set lo up
	done
	ip -n "$ns_c" link set "$1-vc" up
	ip -n "$ns_s" link set "$1-vs" up
	ns_if_s=$1-vs
	# ARP before the capture starts, so it holds only IP
	ip netns exec "$ns_c" ping -c 1 -W 2 "$ip_s" >/dev/null 2>&1
}

# ns_capture_start FILE [FILTER...]: tcpdump in the server namespace.  A
# snaplen of 1600 (the veth MTU is 1500) keeps its ring slots small, so
# that a burst fits in the 8 MiB buffer on a loaded machine.
ns_capture_start() {
	local file=$1
	shift
	ip netns exec "$ns_s" tcpdump -i "$ns_if_s" --immediate-mode -U -s 1600 -B 8192 -w "$file" "${@:-ip}" \
		2>"$tmp/tcpdump.err" &
	cap_pid=$!
	ns_pids+=("$cap_pid")
	for _ in $(seq 50); do
		grep -q 'listening on' "$tmp/tcpdump.err" && return 0
		sleep 0.1
	done
	echo "FAIL tcpdump did not start: $(cat "$tmp/tcpdump.err")"
	exit 1
}

# Stops the capture once tcpdump has written what it had (the file stops
# growing: a SIGINT sooner loses what is still in its buffer).
ns_capture_stop() {
	local file=$1 last=-1 same=0 size
	for _ in $(seq 100); do
		size=$(stat -c %s "$file" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 4 ] && break
		else
			same=0
		fi
		last=$size
		sleep 0.2
	done
	kill -INT "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] && cat "$tmp/tcpdump.err"
}

# ns_server PORT...: a TCP server in the server namespace that answers every
# connection with a line and closes first (the TIME_WAIT stays on its side,
# so the client's ports are free to come round again).  It listens on
# $ip_s, or on each of the addresses in $ns_server_addrs (space-separated)
# when set.
ns_server() {
	ip netns exec "$ns_s" "$python" -c '
import socket, sys, select
socks = []
for addr in sys.argv[1].split():
  for port in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(1024)
    socks.append(s)
print("ready", flush=True)
while True:
    r, _, _ = select.select(socks, [], [], 30)
    if not r:
        break
    for s in r:
        c, _ = s.accept()
        c.sendall(b"hello\n")
        c.close()
' "${ns_server_addrs:-$ip_s}" "$@" >"$tmp/server.out" &
	ns_pids+=($!)
	for _ in $(seq 50); do
		grep -q ready "$tmp/server.out" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL server did not start"
	exit 1
}

# ns_connect N PORT: N connections one after the other from the client
# namespace; prints each source port (getsockname) to stdout.
ns_connect() {
	ip netns exec "$ns_c" "$python" -c '
import socket, sys
for i in range(int(sys.argv[1])):
    c = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5)
    print(c.getsockname()[1])
    while c.recv(64):
        pass
    c.close()
' "$1" "$ip_s" "$2"
}
