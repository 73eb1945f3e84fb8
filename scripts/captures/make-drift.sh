#!/bin/bash
# Two captures of one interface taken at different times, from real TCP
# stacks in two network namespaces this script makes (issue 16, drift mode:
# `sockscope compare --mode drift A B`), and the truth of what changed
# between them, written from this script's own knowledge of what it did.
#
#   sudo scripts/captures/make-drift.sh [OUTDIR]   (default: captures/compare)
#
# Writes OUTDIR/drift-a.pcap, OUTDIR/drift-b.pcap and OUTDIR/drift.truth.tsv.
#
# Namespaces ssd-c-PID (the clients) and ssd-s-PID (the server), one veth
# pair; the capture is tcpdump on the server's side of it.  The server is
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
# The main client's ephemeral range is the Linux default in A and
# 20000-29999 (net.ipv4.ip_local_port_range, per namespace) in B.
#
# Traffic stays inside the two namespaces; every loop is bounded and
# everything made is torn down on any exit.  Needs root, iproute2, tcpdump,
# nftables, /usr/bin/python3.  Exits 77 when one is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/captures/compare}"
PY=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
[[ $EUID -eq 0 ]] || skip "needs root for network namespaces"
for t in ip tcpdump nft; do
    command -v "$t" >/dev/null || skip "$t is not installed (Debian: iproute2, tcpdump, nftables)"
done
[[ -x $PY ]] || skip "/usr/bin/python3 not found"

NS_C=ssd-c-$$
NS_S=ssd-s-$$
IF_C=ssd-vc-$$
IF_S=ssd-vs-$$
SRV=10.78.0.2
CLI=10.78.0.1
MAIN=10.78.1.10
OLDNET=10.78.2.10
NEWNET=10.78.9.10
P_SAME=7000 P_GONE=8080 P_FILT=8443 P_NEW=9090 P_QUIET=5000
EPH_B_LO=20000 EPH_B_HI=29999

WORK="$(mktemp -d /tmp/sockscope-drift.XXXXXX)"
PIDS=()
cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    ip netns del "$NS_C" 2>/dev/null
    ip netns del "$NS_S" 2>/dev/null
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cli() { ip netns exec "$NS_C" "$@"; }
srv() { ip netns exec "$NS_S" "$@"; }

ip netns add "$NS_C" || skip "ip netns does not work here"
ip netns add "$NS_S"
ip -n "$NS_C" link add "$IF_C" address 02:78:00:00:00:01 type veth \
    peer name "$IF_S" address 02:78:00:00:00:02 netns "$NS_S"
for ns in "$NS_C" "$NS_S"; do
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n "$NS_C" addr add "$CLI/24" dev "$IF_C"
for a in "$MAIN" "$OLDNET" "$NEWNET"; do ip -n "$NS_C" addr add "$a/32" dev "$IF_C"; done
ip -n "$NS_S" addr add "$SRV/24" dev "$IF_S"
cli ethtool -K "$IF_C" tx off rx off gso off gro off tso off >/dev/null 2>&1 || true
srv ethtool -K "$IF_S" tx off rx off gso off gro off tso off >/dev/null 2>&1 || true
ip -n "$NS_C" link set "$IF_C" up
ip -n "$NS_S" link set "$IF_S" up
for net in 10.78.1.0/24 10.78.2.0/24 10.78.9.0/24; do
    ip -n "$NS_S" route add "$net" dev "$IF_S"
done
# static neighbours: the captures hold only IP, and no ping is needed
ip -n "$NS_C" neigh add "$SRV" lladdr 02:78:00:00:00:02 dev "$IF_C" nud permanent
for a in "$CLI" "$MAIN" "$OLDNET" "$NEWNET"; do
    ip -n "$NS_S" neigh replace "$a" lladdr 02:78:00:00:00:01 dev "$IF_S" nud permanent
done

# server PORT...: accept, answer one line, close; stops when killed.
server() {
    ip netns exec "$NS_S" "$PY" -c '
import socket, sys, select
socks = []
for port in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(port)))
    s.listen(128)
    socks.append(s)
print("ready", flush=True)
while True:
    r, _, _ = select.select(socks, [], [], 60)
    if not r:
        break
    for s in r:
        c, _ = s.accept()
        c.sendall(b"hello\n")
        c.close()
' "$SRV" "$@" >"$WORK/server.out" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 50); do grep -q ready "$WORK/server.out" 2>/dev/null && return 0; sleep 0.1; done
    echo "server did not start" >&2
    exit 1
}

# connect SRC PORT N: N connections one after the other from SRC; prints
# "outcome" per connection (complete, rejected, unanswered).
connect() {
    cli "$PY" -c '
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
' "$1" "$SRV" "$2" "$3"
}

# expect SRC PORT N OUTCOME: connect and check every outcome is OUTCOME.
expect() {
    local got
    got=$(connect "$1" "$2" "$3" | sort -u)
    if [[ "$got" != "$4" ]]; then
        echo "make-drift: $1 -> $SRV:$2 gave '$got', expected $4" >&2
        exit 1
    fi
}

capture() {
    # ip netns exec execs tcpdump, so $! is tcpdump itself (a function
    # would leave a subshell in between that defers the SIGINT); -Z root:
    # the file is in a directory only root may write.
    ip netns exec "$NS_S" tcpdump -Z root -i "$IF_S" --immediate-mode -U -s 256 -w "$1" \
        'tcp or icmp' 2>"$WORK/tcpdump.err" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    for _ in $(seq 50); do grep -q 'listening on' "$WORK/tcpdump.err" && return 0; sleep 0.1; done
    echo "tcpdump did not start: $(cat "$WORK/tcpdump.err")" >&2
    exit 1
}
capture_stop() {
    sleep 1
    kill -INT "$CAP_PID"
    for _ in $(seq 50); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
}

mkdir -p "$OUT"

# ---- capture A
server "$P_SAME" "$P_GONE" "$P_FILT" "$P_QUIET"
capture "$WORK/a.pcap"
expect "$MAIN" "$P_SAME" 10 complete
expect "$OLDNET" "$P_SAME" 2 complete
expect "$MAIN" "$P_GONE" 4 complete
expect "$MAIN" "$P_FILT" 4 complete
expect "$MAIN" "$P_NEW" 3 rejected
expect "$MAIN" "$P_QUIET" 2 complete
capture_stop
kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
# every socket of A gone (the server closed first: TIME_WAIT is on its side)

# ---- between: what changes
sleep 2
cli sysctl -q -w net.ipv4.ip_local_port_range="$EPH_B_LO $EPH_B_HI"
srv nft -f - <<EOF
table inet ssdrift {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport $P_FILT drop
    }
}
EOF

# ---- capture B
server "$P_SAME" "$P_FILT" "$P_NEW"
capture "$WORK/b.pcap"
expect "$MAIN" "$P_SAME" 10 complete
expect "$NEWNET" "$P_SAME" 3 complete
expect "$MAIN" "$P_GONE" 4 rejected
expect "$MAIN" "$P_FILT" 3 unanswered
expect "$MAIN" "$P_NEW" 4 complete
capture_stop

cp "$WORK/a.pcap" "$OUT/drift-a.pcap"
cp "$WORK/b.pcap" "$OUT/drift-b.pcap"
# The truth: exactly the changes this script made, in the jsonl record
# kinds' words (docs/output.md).  Confidence is what the evidence allows:
# refusals are high, silence medium, absence of traffic low.
{
    printf '#kind\tsubject\tchange\tbefore\tafter\tconfidence\n'
    printf 'listener_change\t%s:%s/tcp\tvanished\topen\tclosed\thigh\n' "$SRV" "$P_GONE"
    printf 'listener_change\t%s:%s/tcp\tstate_changed\topen\tfiltered\tmedium\n' "$SRV" "$P_FILT"
    printf 'listener_change\t%s:%s/tcp\tappeared\tclosed\topen\thigh\n' "$SRV" "$P_NEW"
    printf 'listener_change\t%s:%s/tcp\tvanished\topen\t-\tlow\n' "$SRV" "$P_QUIET"
    printf 'client_network_change\t%s:%s/tcp 10.78.9.0/24\tnew\t-\t-\tmedium\n' "$SRV" "$P_SAME"
    printf 'client_network_change\t%s:%s/tcp 10.78.2.0/24\tgone\t-\t-\tmedium\n' "$SRV" "$P_SAME"
    printf 'ephemeral_change\t%s\tchanged\t-\t%s-%s\t-\n' "$MAIN" "$EPH_B_LO" "$EPH_B_HI"
} >"$OUT/drift.truth.tsv"
echo "wrote $OUT/drift-a.pcap $OUT/drift-b.pcap $OUT/drift.truth.tsv"
