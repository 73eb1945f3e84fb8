#!/bin/bash
# Regenerate the bundled test captures in captures/ and their ground truth.
#
#   sudo scripts/make-captures.sh            # everything
#   sudo scripts/make-captures.sh --crafted  # only the scapy-crafted files (no root needed)
#
# real-vxlan.pcap comes from tests/scripts/check-vxlan.sh --write (kernel
# VXLAN between namespaces of its own), which needs a built sockscope.
#
# Real-stack captures: two network namespaces (ss-cli, ss-srv) joined by a veth
# pair, 10.77.0.1/24 + fd00:77::1/64 (client) and 10.77.0.2/24 + fd00:77::2/64
# (server).  No traffic leaves those namespaces: every address used is inside
# them or on a namespace's own loopback.  The clients (scripts/captures/client.py)
# print the ground-truth line of each connection, with the real ephemeral port
# taken from getsockname(); this script gathers those lines into
# captures/<name>.truth.tsv and adds the listener lines.
#
# Crafted captures: scripts/captures/craft.py (fully deterministic).
# Finally scripts/captures/check.py re-derives the connections from the packets
# and fails if any truth file disagrees.
#
# Needs: root, iproute2, tcpdump, nftables, ethtool, dumpcap (wireshark-common),
# /usr/bin/python3 with scapy.  Missing Debian packages are installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="$ROOT/captures"
PY=/usr/bin/python3
HELPERS="$HERE/captures"
NS_C=ss-cli
NS_S=ss-srv
IF_C=ss-veth-c
IF_S=ss-veth-s
CLI4=10.77.0.1
SRV4=10.77.0.2
CLI6=fd00:77::1
SRV6=fd00:77::2
# Keep the real captures free of ARP / neighbour discovery / MLD / RS noise.
FILTER='tcp or udp or icmp or (icmp6 and ip6[40] < 128)'
HEADER=$'#record\tproto\tclient_ip\tclient_port\tserver_ip\tserver_port\toutcome'

mkdir -p "$OUT"

crafted() {
    "$PY" "$HELPERS/craft.py" "$OUT"
}

check() {
    echo "== checking truth files against the packets"
    # real-vxlan.pcap's packets are VXLAN underlay, which check.py does not
    # open; tests/scripts/check-vxlan.sh checked it against the sockets.
    local caps=()
    for f in "$OUT"/*.pcap "$OUT"/*.pcapng; do
        [[ "$f" == */real-vxlan.pcap ]] || caps+=("$f")
    done
    "$PY" "$HELPERS/check.py" "${caps[@]}"
}

if [[ "${1:-}" == "--crafted" ]]; then
    crafted
    "$PY" "$HELPERS/check.py" "$OUT"/crafted-*.pcap
    exit 0
fi

if [[ $EUID -ne 0 ]]; then
    echo "make-captures.sh: must run as root (network namespaces, tcpdump)" >&2
    exit 1
fi

# ---------------------------------------------------------------- tools
need_pkgs=()
command -v tcpdump >/dev/null || need_pkgs+=(tcpdump)
command -v ip >/dev/null || need_pkgs+=(iproute2)
command -v nft >/dev/null || need_pkgs+=(nftables)
command -v ethtool >/dev/null || need_pkgs+=(ethtool)
command -v dumpcap >/dev/null || need_pkgs+=(wireshark-common)
"$PY" -c 'import scapy' 2>/dev/null || need_pkgs+=(python3-scapy)
if ((${#need_pkgs[@]})); then
    echo "installing: ${need_pkgs[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}"
fi

# ---------------------------------------------------------------- cleanup
WORK="$(mktemp -d /tmp/sockscope-captures.XXXXXX)"
PIDS=()

cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    sleep 0.3
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    ip netns del "$NS_C" 2>/dev/null
    ip netns del "$NS_S" 2>/dev/null
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cli() { ip netns exec "$NS_C" "$@"; }
srv() { ip netns exec "$NS_S" "$@"; }

# wait_for FILE PATTERN: bounded wait (10 s) for PATTERN to appear in FILE
wait_for() {
    local i
    for ((i = 0; i < 100; i++)); do
        if grep -q -- "$2" "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "timed out waiting for '$2' in $1:" >&2
    cat "$1" >&2 || true
    return 1
}

# start_cap NAME NETNS CMD...: start a capture process in the background, wait until
# it is listening.  The pid is remembered for stop_caps / cleanup.
CAPS=()
start_cap() {
    local name=$1 ns=$2
    shift 2
    ip netns exec "$ns" "$@" 2>"$WORK/$name.err" &
    PIDS+=($!)
    CAPS+=($!)
    wait_for "$WORK/$name.err" 'listening on\|Capturing on'
}

# stop_caps: let the last packets in, then stop every running capture cleanly.
stop_caps() {
    local pid
    sleep 1
    local i
    for pid in "${CAPS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${CAPS[@]}"; do
        for ((i = 0; i < 50; i++)); do # bounded: 5 s to flush and exit
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    CAPS=()
}

# truth NAME: header + the collected connection lines + the listener lines on stdin
truth() {
    local name=$1 conns=$2
    {
        echo "$HEADER"
        cat "$conns"
        cat
    } >"$OUT/$name.truth.tsv"
}

listener() { printf 'listener\t%s\t-\t-\t%s\t%s\t%s\n' "$@"; }

# ---------------------------------------------------------------- namespaces
for ns in "$NS_C" "$NS_S"; do
    if ip netns list | grep -qw "$ns"; then
        echo "namespace $ns already exists; remove it first (ip netns del $ns)" >&2
        exit 1
    fi
done
ip netns add "$NS_C"
ip netns add "$NS_S"
ip -n "$NS_C" link add "$IF_C" address 02:77:00:00:00:01 type veth \
    peer name "$IF_S" address 02:77:00:00:00:02 netns "$NS_S"
for ns in "$NS_C" "$NS_S"; do
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.router_solicitations=0
    ip -n "$ns" link set lo up
done
cli sysctl -q -w net.ipv6.conf.$IF_C.router_solicitations=0
srv sysctl -q -w net.ipv6.conf.$IF_S.router_solicitations=0
ip -n "$NS_C" addr add "$CLI4/24" dev "$IF_C"
ip -n "$NS_S" addr add "$SRV4/24" dev "$IF_S"
ip -n "$NS_C" addr add "$CLI6/64" dev "$IF_C" nodad
ip -n "$NS_S" addr add "$SRV6/64" dev "$IF_S" nodad
# Real checksums in the captures (no checksum offload, no TSO/GSO super-packets).
cli ethtool -K "$IF_C" tx off rx off gso off gro off tso off >/dev/null 2>&1 || true
srv ethtool -K "$IF_S" tx off rx off gso off gro off tso off >/dev/null 2>&1 || true
ip -n "$NS_C" link set "$IF_C" up
ip -n "$NS_S" link set "$IF_S" up
# The server silently drops TCP to port 7070 ("filtered").
srv nft -f - <<'EOF'
table inet sockscope {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 7070 drop
    }
}
EOF
# Bounded wait until the link is up and both sides reach each other.
for ((i = 0; i < 50; i++)); do
    if cli ping -c1 -W1 "$SRV4" >/dev/null 2>&1 && cli ping -6 -c1 -W1 "$SRV6" >/dev/null 2>&1; then
        break
    fi
    sleep 0.2
done

ip netns exec "$NS_S" "$PY" "$HELPERS/server.py" --lifetime 600 \
    tcp:0.0.0.0:8080 "tcp:[::]:8080" udp:0.0.0.0:5353 tcp:0.0.0.0:6000 \
    tcp:127.0.0.1:8081 >"$WORK/server.out" 2>&1 &
PIDS+=($!)
wait_for "$WORK/server.out" READY

C="$HELPERS/client.py"

# ---------------------------------------------------------------- main scenario
# One run, captured at the same time in five formats on the server namespace.
echo "== main scenario"
start_cap ether-us "$NS_S" tcpdump -Z root -U -nn -i "$IF_S" -w "$WORK/real-ether.pcap" "$FILTER"
start_cap ether-ns "$NS_S" tcpdump -Z root -U -nn -i "$IF_S" --time-stamp-precision=nano \
    -w "$WORK/real-ether-ns.pcap" "$FILTER"
start_cap ether-ng "$NS_S" dumpcap -q -n -i "$IF_S" -f "$FILTER" -w "$WORK/real-ether.pcapng"
start_cap any-sll2 "$NS_S" tcpdump -Z root -U -nn -i any -w "$WORK/real-any-sll2.pcap" "$FILTER"
start_cap any-sll "$NS_S" tcpdump -Z root -U -nn -i any -y LINUX_SLL -w "$WORK/real-any-sll.pcap" "$FILTER"
sleep 0.5
M="$WORK/main.tsv"
: >"$M"
for n in 1 2 3; do
    cli "$PY" "$C" tcp "$CLI4" "$SRV4" 8080 >>"$M"
    sleep 0.2
done
cli "$PY" "$C" tcp "$CLI4" "$SRV4" 9 >>"$M"
sleep 0.2
cli "$PY" "$C" tcp "$CLI4" "$SRV4" 7070 --timeout 3.5 >>"$M"
sleep 0.2
cli "$PY" "$C" tcp "$CLI6" "$SRV6" 8080 >>"$M"
sleep 0.2
cli "$PY" "$C" udp "$CLI4" "$SRV4" 5353 >>"$M"
sleep 0.2
cli "$PY" "$C" udp "$CLI4" "$SRV4" 5999 --timeout 2 >>"$M"
sleep 0.2
cli "$PY" "$C" tcp "$CLI4" "$SRV4" 8080 --server-reset >>"$M"
stop_caps
cat "$M"
for name in real-ether.pcap real-ether.pcapng real-ether-ns.pcap real-any-sll2.pcap real-any-sll.pcap; do
    install -m 0644 "$WORK/$name" "$OUT/$name"
    truth "$name" "$M" <<EOF
$(listener tcp "$SRV4" 8080 open)
$(listener tcp "$SRV4" 9 closed)
$(listener tcp "$SRV4" 7070 filtered)
$(listener tcp "$SRV6" 8080 open)
$(listener udp "$SRV4" 5353 open)
$(listener udp "$SRV4" 5999 closed)
EOF
done

# ---------------------------------------------------------------- loopback
echo "== loopback"
start_cap lo "$NS_S" tcpdump -Z root -U -nn -i lo -w "$WORK/real-lo.pcap" \
    "host 127.0.0.1 and (tcp port 8081 or tcp port 9)"
L="$WORK/lo.tsv"
: >"$L"
srv "$PY" "$C" tcp 127.0.0.1 127.0.0.1 8081 >>"$L"
sleep 0.2
srv "$PY" "$C" tcp 127.0.0.1 127.0.0.1 9 >>"$L"
stop_caps
cat "$L"
install -m 0644 "$WORK/real-lo.pcap" "$OUT/"
truth real-lo.pcap "$L" <<EOF
$(listener tcp 127.0.0.1 8081 open)
$(listener tcp 127.0.0.1 9 closed)
EOF

# ---------------------------------------------------------------- midstream
echo "== midstream"
MS="$WORK/mid.tsv"
GO="$WORK/mid.go"
ip netns exec "$NS_C" "$PY" "$C" midstream "$CLI4" "$SRV4" 6000 "$GO" --rounds 3 >"$MS" &
MPID=$!
PIDS+=($MPID)
wait_for "$MS" midstream
sleep 0.5 # handshake is long over before the capture starts
start_cap mid "$NS_S" tcpdump -Z root -U -nn -i "$IF_S" -w "$WORK/real-midstream.pcap" "tcp port 6000"
touch "$GO"
wait "$MPID"
stop_caps
cat "$MS"
install -m 0644 "$WORK/real-midstream.pcap" "$OUT/"
truth real-midstream.pcap "$MS" <<EOF
$(listener tcp "$SRV4" 6000 open)
EOF

# ---------------------------------------------------------------- port reuse
echo "== reuse"
R="$WORK/reuse.tsv"
start_cap reuse "$NS_S" tcpdump -Z root -U -nn -i "$IF_S" -w "$WORK/real-reuse.pcap" "tcp port 8080"
cli "$PY" "$C" reuse "$CLI4" "$SRV4" 8080 >"$R"
stop_caps
cat "$R"
install -m 0644 "$WORK/real-reuse.pcap" "$OUT/"
truth real-reuse.pcap "$R" <<EOF
$(listener tcp "$SRV4" 8080 open)
EOF

# ---------------------------------------------------------------- VXLAN
# Kernel VXLAN, two tenants, underlay captured (its own namespaces); the
# script checks the capture with sockscope (SOCKSCOPE, default build/sockscope)
# before it writes captures/real-vxlan.pcap and its truth.
echo "== vxlan"
bash "$ROOT/tests/scripts/check-vxlan.sh" "${SOCKSCOPE:-$ROOT/build/sockscope}" --write "$OUT"

# ---------------------------------------------------------------- crafted
echo "== crafted"
crafted
check

echo "done: $(ls "$OUT" | wc -l) files in $OUT"
