#!/usr/bin/env bash
# Live-capture checks (docs/live.md): real TCP and UDP traffic on the
# loopback interface and between two network namespaces this script makes,
# stopped with SIGINT, SIGTERM and SIGHUP; -w equivalence with -r; error
# lines and exit statuses for a missing interface and for no permission;
# -D; --interval; SIGINT while the IPFIX export waits on a stalled collector;
# no capability left after -Z (as root) or with file capabilities (setcap).
#
# Usage: check-live.sh SOCKSCOPE
# Needs root (or CAP_NET_RAW + CAP_NET_ADMIN), `ip netns` and python3;
# exits 77 (skipped) with the reason otherwise.  Traffic stays on
# 127.0.0.0/8 and inside the namespaces ss-live-a / ss-live-b
# (10.78.0.0/24), which are removed on every exit path.
# Prints "ok NAME" or "FAIL NAME: why" per check, then "N passed, N failed".
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 SOCKSCOPE" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exe=$1
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac

skip() {
	echo "SKIP: $*"
	exit 77
}

if [ -x /usr/bin/python3 ]; then
	python=/usr/bin/python3
elif command -v python3 >/dev/null 2>&1; then
	python=$(command -v python3)
else
	skip "python3 not found (it makes the traffic and reads the reports)"
fi
command -v ip >/dev/null 2>&1 || skip "the ip command (iproute2) is not installed"

tmp=$(mktemp -d) || exit 1
ns_a=ss-live-a
ns_b=ss-live-b
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# -Z with a user that does not exist: exit 4 (a live-capture failure, as
# documented), one line, before anything is opened; no permission needed.
"$exe" -i lo -Z no-such-user-ss -F json -o "$tmp/nouser.json" >/dev/null 2>"$tmp/nouser.err"
rc=$?
if [ $rc -ne 4 ] || [ "$(cat "$tmp/nouser.err")" != 'sockscope: -Z: no such user "no-such-user-ss"' ] ||
	[ -e "$tmp/nouser.json" ]; then
	echo "FAIL unknown-user: exit $rc (want 4), stderr: $(cat "$tmp/nouser.err")"
	exit 1
fi
echo "ok unknown-user"

# Can we capture at all?  (root, or the binary has the capabilities)
"$exe" -i lo --duration 0.2 -F json -o /dev/null 'port 1' >"$tmp/probe.out" 2>"$tmp/probe.err"
rc=$?
if [ $rc -eq 4 ] && grep -q 'no permission' "$tmp/probe.err"; then
	skip "no permission to capture (run as root or give sockscope CAP_NET_RAW)"
elif [ $rc -ne 0 ]; then
	echo "FAIL probe: sockscope -i lo exited $rc: $(cat "$tmp/probe.err")"
	exit 1
fi
ip netns del "$ns_a" 2>/dev/null
ip netns del "$ns_b" 2>/dev/null
ip netns add "$ns_a" 2>"$tmp/netns.err" || skip "ip netns does not work here: $(cat "$tmp/netns.err")"
ip netns add "$ns_b" 2>"$tmp/netns.err" || skip "ip netns does not work here: $(cat "$tmp/netns.err")"
# `ip netns add` can leave a namespace that cannot be entered (in a chroot
# whose / is not a mount point it warns and goes on): then only the
# namespace check is skipped, visibly; the loopback checks still run.
ns_usable=1
if ! ip netns exec "$ns_a" ip link show lo >/dev/null 2>"$tmp/netns.err" ||
   grep -q 'failed' "$tmp/netns.err"; then
	ns_usable=0
fi

pass=0
fail=0
ok() {
	echo "ok $1"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL $1: $2"
	fail=$((fail + 1))
}

# ---- helpers ----

cat >"$tmp/net.py" <<'EOF'
# Traffic maker: free ports, a TCP server, TCP and UDP clients.
import socket, sys, time

def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p

cmd = sys.argv[1]
if cmd == "ports":                     # N free TCP ports, then one free UDP port
    socks = []
    for _ in range(int(sys.argv[2])):
        s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks), free_port(socket.SOCK_DGRAM))
elif cmd == "serve":                   # serve IP PORT N READYFILE: accept N connections
    ip, port, n, ready = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port)); s.listen(16); s.settimeout(60)
    open(ready, "w").close()
    for _ in range(n):
        c, _ = s.accept()
        c.settimeout(10)
        data = c.recv(100)
        c.sendall(b"ok " + data)
        c.close()
elif cmd == "connect":                 # connect IP PORT N: print each client port
    ip, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for _ in range(n):
        c = socket.socket(); c.settimeout(10)
        c.connect((ip, port))
        print(c.getsockname()[1], flush=True)
        c.sendall(b"hello")
        c.recv(100)
        c.close()
        time.sleep(0.05)
elif cmd == "refused":                 # refused IP PORT: print the client port
    ip, port = sys.argv[2], int(sys.argv[3])
    c = socket.socket(); c.bind(("127.0.0.1", 0)); c.settimeout(10)
    print(c.getsockname()[1], flush=True)
    try:
        c.connect((ip, port))
        sys.exit("connected to a closed port?")
    except ConnectionRefusedError:
        pass
elif cmd == "udp":                     # udp IP PORT: one datagram to a closed port
    ip, port = sys.argv[2], int(sys.argv[3])
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    print(u.getsockname()[1], flush=True)
    u.sendto(b"ping", (ip, port))
    time.sleep(0.2)
EOF

# wait_for FILE PATTERN: until FILE holds PATTERN (at most 10 s).
wait_for() {
	local i
	for i in $(seq 1 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_file FILE: until FILE exists (at most 10 s).
wait_file() {
	local i
	for i in $(seq 1 100); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_exit PID: its exit status, killing it after 20 s.
wait_exit() {
	local i
	for i in $(seq 1 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
	wait "$1"
}

# start_capture NAME ARGS...: sockscope in the background, stderr in
# $tmp/NAME.err; waits for its "capturing on" line.  Sets $cap_pid.
start_capture() {
	local name=$1
	shift
	"$@" 2>"$tmp/$name.err" &
	cap_pid=$!
	pids+=("$cap_pid")
	wait_for "$tmp/$name.err" "capturing on" || bad "$name" "no 'capturing on' line: $(cat "$tmp/$name.err")"
}

read -r p1 p2 p3 p4 p5 pu < <($python "$tmp/net.py" ports 5)

# ---- 1 + 2: loopback, SIGINT, -w equivalence ----

$python "$tmp/net.py" serve 127.0.0.1 "$p1" 3 "$tmp/ready1" &
pids+=($!)
wait_file "$tmp/ready1" || bad loopback "server did not start"
start_capture loopback "$exe" -i lo -F json -o "$tmp/lo.json" -w "$tmp/lo.pcap" \
	"host 127.0.0.1 and (port $p1 or port $p2 or port $pu or icmp)"
$python "$tmp/net.py" connect 127.0.0.1 "$p1" 3 >"$tmp/clients1" || bad loopback "client failed"
$python "$tmp/net.py" refused 127.0.0.1 "$p2" >"$tmp/client2" || bad loopback "refused client failed"
$python "$tmp/net.py" udp 127.0.0.1 "$pu" >"$tmp/client3" || bad loopback "udp client failed"
sleep 0.5
kill -INT "$cap_pid"
wait_exit "$cap_pid"
rc=$?
if [ $rc -ne 0 ]; then
	bad loopback-exit "exit status $rc after SIGINT (want 0): $(cat "$tmp/loopback.err")"
else
	ok loopback-exit
fi

cat >"$tmp/check1.py" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
p1, p2, pu = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
clients = [int(x) for x in open(sys.argv[5]).read().split()]
refused = int(open(sys.argv[6]).read())
udp = int(open(sys.argv[7]).read())
errs = []
ls = {(l["proto"], l["ip"], l["port"]): l for l in rep["listeners"]}
def listener(proto, port, state, conns):
    l = ls.get((proto, "127.0.0.1", port))
    if not l:
        errs.append(f"no {proto} listener 127.0.0.1:{port}")
    elif l["state"] != state or l["connections"] != conns:
        errs.append(f"{proto} listener {port}: {l['state']}/{l['connections']}, want {state}/{conns}")
listener("tcp", p1, "open", 3)
listener("tcp", p2, "closed", 1)
listener("udp", pu, "closed", 1)
conns = {(c["proto"], c["client"]["port"], c["server"]["port"]): c for c in rep["connections"]}
def conn(proto, cport, sport, outcome, evidence):
    c = conns.get((proto, cport, sport))
    if not c:
        errs.append(f"no {proto} connection {cport} -> {sport}")
    elif c["outcome"] != outcome or c["evidence"] != evidence or c["client"]["ip"] != "127.0.0.1":
        errs.append(f"{proto} {cport} -> {sport}: {c['outcome']}/{c['evidence']}, want {outcome}/{evidence}")
for cp in clients:
    conn("tcp", cp, p1, "complete", "syn")
for cp in clients:
    c = conns.get(("tcp", cp, p1))
    if c and c["close"] not in ("fin", "fin_client", "fin_server"):
        errs.append(f"tcp {cp} -> {p1}: close {c['close']}")
conn("tcp", refused, p2, "rejected", "syn")
conn("udp", udp, pu, "rejected", "icmp_unreachable")
if len(clients) != 3:
    errs.append(f"{len(clients)} client ports printed, want 3")
inp = rep["summary"]["inputs"][0]
if inp["name"] != "lo" or not isinstance(inp.get("kernel"), dict):
    errs.append(f"input {inp}: want name lo and kernel counters")
elif inp["kernel"]["dropped"] != 0:
    errs.append(f"kernel dropped {inp['kernel']['dropped']}")
if errs:
    sys.exit("; ".join(errs))
EOF
if out=$($python "$tmp/check1.py" "$tmp/lo.json" "$p1" "$p2" "$pu" "$tmp/clients1" "$tmp/client2" "$tmp/client3" 2>&1); then
	ok loopback-report
else
	bad loopback-report "$out"
fi

cat >"$tmp/same.py" <<'EOF'
# The live report equals the -r report of its -w file, but for the input's
# name and the kernel counters (also summed in the summary's quality).
import json, sys
def load(p):
    r = json.load(open(p))
    for i in r["summary"]["inputs"]:
        i.pop("name", None)
        i.pop("kernel", None)
    r["summary"].get("quality", {}).pop("kernel_drops", None)
    return r
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    for k in a:
        if a[k] != b.get(k):
            sys.exit(f"{k} differs:\n live:  {a[k]}\n -r:    {b.get(k)}")
    sys.exit("reports differ")
if not a["connections"]:
    sys.exit("no connections")
EOF
if "$exe" -r "$tmp/lo.pcap" -F json -o "$tmp/lo-r.json" 2>"$tmp/lo-r.err"; then
	if out=$($python "$tmp/same.py" "$tmp/lo.json" "$tmp/lo-r.json" 2>&1); then
		ok write-equivalence
	else
		bad write-equivalence "$out"
	fi
else
	bad write-equivalence "-r of the -w file failed: $(cat "$tmp/lo-r.err")"
fi

# ---- 3: two namespaces joined by a veth pair ----

ns_ok=1
if [ $ns_usable -eq 0 ]; then
	echo "skip netns: network namespaces cannot be entered here: $(head -n 1 "$tmp/netns.err")"
	ns_ok=2
fi
[ $ns_ok -eq 1 ] && {
	ip link add ss-live-va type veth peer name ss-live-vb &&
	ip link set ss-live-va netns "$ns_a" &&
	ip link set ss-live-vb netns "$ns_b" &&
	ip -n "$ns_a" addr add 10.78.0.1/24 dev ss-live-va &&
	ip -n "$ns_b" addr add 10.78.0.2/24 dev ss-live-vb &&
	ip -n "$ns_a" link set ss-live-va up &&
	ip -n "$ns_b" link set ss-live-vb up &&
	ip -n "$ns_a" link set lo up &&
	ip -n "$ns_b" link set lo up
} 2>"$tmp/veth.err" || { [ $ns_ok -eq 1 ] && ns_ok=0; }
if [ $ns_ok -eq 2 ]; then
	:
elif [ $ns_ok -eq 0 ]; then
	ip link del ss-live-va 2>/dev/null
	bad netns "cannot set up the veth pair: $(cat "$tmp/veth.err")"
else
	ip netns exec "$ns_b" $python "$tmp/net.py" serve 10.78.0.2 "$p3" 2 "$tmp/ready3" &
	pids+=($!)
	wait_file "$tmp/ready3" || bad netns "server did not start"
	start_capture netns ip netns exec "$ns_b" "$exe" -i ss-live-vb -F json -o "$tmp/ns.json"
	# The first connection may wait for ARP; the client retries nothing.
	ip netns exec "$ns_a" $python "$tmp/net.py" connect 10.78.0.2 "$p3" 2 >"$tmp/clients-ns" ||
		bad netns "client in $ns_a failed"
	sleep 0.5
	kill -INT "$cap_pid"
	wait_exit "$cap_pid"
	rc=$?
	if [ $rc -ne 0 ]; then
		bad netns "exit status $rc: $(cat "$tmp/netns.err")"
	elif out=$($python - "$tmp/ns.json" "$p3" "$tmp/clients-ns" <<'EOF' 2>&1
import json, sys
rep = json.load(open(sys.argv[1])); port = int(sys.argv[2])
clients = [int(x) for x in open(sys.argv[3]).read().split()]
ls = [l for l in rep["listeners"] if l["proto"] == "tcp" and l["ip"] == "10.78.0.2" and l["port"] == port]
if not ls or ls[0]["state"] != "open" or ls[0]["connections"] != 2:
    sys.exit(f"listener 10.78.0.2:{port} open with 2 connections not found: {rep['listeners']}")
got = sorted(c["client"]["port"] for c in rep["connections"]
             if c["client"]["ip"] == "10.78.0.1" and c["server"]["port"] == port and c["outcome"] == "complete")
if got != sorted(clients):
    sys.exit(f"clients {got}, want {sorted(clients)}")
EOF
	); then
		ok netns
	else
		bad netns "$out"
	fi
fi
ip netns del "$ns_a" 2>/dev/null
ip netns del "$ns_b" 2>/dev/null

# ---- 4: SIGTERM and SIGHUP also give the whole report (jsonl stream) ----

for sig in TERM HUP; do
	port=$p4
	[ $sig = HUP ] && port=$p5
	$python "$tmp/net.py" serve 127.0.0.1 "$port" 1 "$tmp/ready-$sig" &
	pids+=($!)
	wait_file "$tmp/ready-$sig"
	start_capture sig-$sig "$exe" -i lo -F jsonl -o "$tmp/$sig.jsonl" "host 127.0.0.1 and port $port"
	# Live, -o is written under its own name from the start (a log
	# shipper follows it: docs/deployment.md), not as a temporary file
	# renamed when the capture stops.
	if ls -l /proc/"$cap_pid"/fd 2>/dev/null | grep -q -- "-> $tmp/$sig.jsonl\$"; then
		ok "in-place-$sig"
	else
		bad "in-place-$sig" "the live -o report is not open under its name: $(ls -l /proc/"$cap_pid"/fd 2>&1 | tr '\n' ' ')"
	fi
	$python "$tmp/net.py" connect 127.0.0.1 "$port" 1 >"$tmp/client-$sig" || bad "sig$sig" "client failed"
	sleep 0.3
	kill -$sig "$cap_pid"
	wait_exit "$cap_pid"
	rc=$?
	if [ $rc -ne 0 ]; then
		bad "sig$sig" "exit status $rc: $(cat "$tmp/sig-$sig.err")"
	elif out=$($python - "$tmp/$sig.jsonl" "$port" "$tmp/client-$sig" <<'EOF' 2>&1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
port = int(sys.argv[2]); client = int(open(sys.argv[3]).read())
if not lines or lines[-1]["kind"] != "summary":
    sys.exit("the report does not end with its summary")
c = [x for x in lines if x["kind"] == "connection" and x["client"]["port"] == client and x["server"]["port"] == port]
l = [x for x in lines if x["kind"] == "listener" and x["port"] == port and x["state"] == "open"]
if len(c) != 1 or c[0]["outcome"] != "complete" or len(l) != 1:
    sys.exit(f"connection {client} -> {port} or its listener missing")
EOF
	); then
		ok "sig$sig"
	else
		bad "sig$sig" "$out"
	fi
done

# ---- 5: no such interface ----

"$exe" -i doesnotexist0 -F json -o "$tmp/none.json" >/dev/null 2>"$tmp/none.err"
rc=$?
if [ $rc -eq 4 ] && grep -q '^sockscope: no such interface doesnotexist0 (sockscope -D lists them)$' "$tmp/none.err"; then
	ok no-such-interface
else
	bad no-such-interface "exit $rc, stderr: $(cat "$tmp/none.err")"
fi

# ---- 6: no permission (as nobody, without capabilities) ----

if command -v setpriv >/dev/null 2>&1 &&
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all test -x "$exe" 2>/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$exe" -i lo --duration 1 -F json -o /dev/null >/dev/null 2>"$tmp/perm.err"
	rc=$?
	if [ $rc -eq 4 ] && grep -q '^sockscope: no permission to capture on lo: run as root or give the binary CAP_NET_RAW and CAP_NET_ADMIN' "$tmp/perm.err"; then
		ok permission
	else
		bad permission "exit $rc, stderr: $(cat "$tmp/perm.err")"
	fi
else
	echo "skip permission: cannot run $exe as uid 65534 (setpriv missing or the path is not reachable)"
fi

# ---- 6b: privileges: -Z and file capabilities (docs/live.md) ----
# Once the interface and every file are open nothing may keep a
# capability: read the running process's /proc/PID/status.

# caps_of PID: "CapInh CapPrm CapEff CapBnd CapAmb" in hex.
caps_of() {
	awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ { printf "%s=%s ", substr($1, 1, 6), $2 }' "/proc/$1/status"
}
zero=0000000000000000

# As root with -Z nobody: uid 65534 and no capability in any set, the
# bounding set included (setuid alone leaves it full).
start_capture priv-root bash -c 'exec "$@" >/dev/null' sh "$exe" -i lo -Z nobody --duration 30 -F json "port 1"
caps=$(caps_of "$cap_pid")
uid=$(awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' "/proc/$cap_pid/status")
kill -INT "$cap_pid"
wait_exit "$cap_pid" >/dev/null
rc=$?
if [ $rc -eq 0 ] && [ "$uid" = "65534,65534,65534,65534" ] &&
	[ "$caps" = "CapInh=$zero CapPrm=$zero CapEff=$zero CapBnd=$zero CapAmb=$zero " ]; then
	ok privileges-root-Z
else
	bad privileges-root-Z "exit $rc, uid $uid, $caps: $(cat "$tmp/priv-root.err")"
fi

# The documented deployment without root: a binary with file capabilities
# (setcap cap_net_raw,cap_net_admin=eip) run by an ordinary user (65534).
if command -v setcap >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
	capdir=$tmp/capbin   # reachable by uid 65534: $tmp traversable only
	mkdir -p "$capdir"
	chmod 711 "$tmp"
	chmod 755 "$capdir"
	cp "$exe" "$capdir/sockscope"
	if setcap cap_net_raw,cap_net_admin=eip "$capdir/sockscope" 2>"$tmp/setcap.err" &&
		setpriv --reuid=65534 --regid=65534 --clear-groups "$capdir/sockscope" -V >/dev/null 2>&1; then
		start_capture priv-setcap bash -c 'exec "$@" >/dev/null' sh \
			setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$capdir/sockscope" -i lo --duration 30 -F json 'port 1'
		caps=$(caps_of "$cap_pid")
		kill -INT "$cap_pid"
		wait_exit "$cap_pid" >/dev/null
		rc=$?
		if [ $rc -eq 0 ] && case $caps in *"CapPrm=$zero CapEff=$zero "*) true ;; *) false ;; esac &&
			case $caps in *"CapInh=$zero "*"CapAmb=$zero "*) true ;; *) false ;; esac; then
			ok privileges-setcap
		else
			bad privileges-setcap "exit $rc, $caps: $(cat "$tmp/priv-setcap.err")"
		fi
	else
		echo "skip privileges-setcap: file capabilities do not work here: $(cat "$tmp/setcap.err")"
	fi
else
	echo "skip privileges-setcap: setcap or setpriv missing (apt-get install libcap2-bin util-linux)"
fi

# ---- 7: -D ----

if "$exe" -D >"$tmp/devs" 2>"$tmp/devs.err" && grep -Eq '^[0-9]+\.lo( |$)' "$tmp/devs"; then
	ok list-interfaces
else
	bad list-interfaces "no lo line: $(cat "$tmp/devs" "$tmp/devs.err")"
fi

# Every line is a kernel network interface (or "any"), numbered 1, 2, ...
# as -i N takes them; libpcap's other sources (nflog, nfqueue, dbus-*,
# usbmon*, bluetooth*) are left out, and -i on one of them is one clear
# line, exit 4 (it was a "bad filter" usage error, exit 2).
if out=$($python - "$tmp/devs" <<'EOF' 2>&1
import os, re, sys
names = []
for n, line in enumerate(open(sys.argv[1]), 1):
    m = re.match(r'(\d+)\.(\S+)', line)
    if not m or int(m.group(1)) != n:
        sys.exit(f"line {n} is not numbered {n}: {line!r}")
    names.append(m.group(2))
bad = [x for x in names if x != "any" and not os.path.exists(f"/sys/class/net/{x}")]
if bad:
    sys.exit(f"not network interfaces: {bad}")
print(names.index("lo") + 1)
EOF
); then
	ok list-interfaces-netdevs
	lo_number=$out
	start_capture by-number "$exe" -i "$lo_number" --duration 0.5 -F json -o /dev/null 'port 1'
	wait_exit "$cap_pid" >/dev/null
	if grep -q '^sockscope: capturing on lo,' "$tmp/by-number.err"; then
		ok interface-by-number
	else
		bad interface-by-number "-i $lo_number: $(cat "$tmp/by-number.err")"
	fi
else
	bad list-interfaces-netdevs "$out"
fi
# A source libpcap offers that is not a network interface, if it has one
# (nflog aside: -i takes it, check-nflog.sh tests it).
pseudo=
if command -v tcpdump >/dev/null 2>&1; then
	for name in $(tcpdump -D 2>/dev/null | sed -E 's/^[0-9]+\.([^ ]+).*/\1/'); do
		if [ "$name" != any ] && [ "$name" != nflog ] && [ ! -e "/sys/class/net/$name" ]; then
			pseudo=$name
			break
		fi
	done
fi
if [ -z "$pseudo" ]; then
	echo "skip pseudo-device: libpcap lists no capture source that is not an interface here"
elif grep -Eq "^[0-9]+\.$pseudo( |$)" "$tmp/devs"; then
	bad pseudo-device "-D lists $pseudo"
else
	"$exe" -i "$pseudo" --duration 0.3 -F json -o "$tmp/pseudo.json" >/dev/null 2>"$tmp/pseudo.err"
	rc=$?
	if [ $rc -eq 4 ] && [ "$(grep -c . "$tmp/pseudo.err")" -eq 1 ] &&
		grep -q "^sockscope: $pseudo .*is not a network interface: sockscope reads IP traffic only (sockscope -D lists the interfaces)\$" "$tmp/pseudo.err"; then
		ok pseudo-device
	else
		bad pseudo-device "-i $pseudo: exit $rc (want 4): $(cat "$tmp/pseudo.err")"
	fi
fi

# ---- 8: --interval to a pipe, --duration, -c ----

"$exe" -i lo --interval 0.3 --duration 1.2 -F json -o "$tmp/iv.json" 'port 1' >"$tmp/iv.out" 2>"$tmp/iv.err"
rc=$?
n=$(grep -c '^--- sockscope live on lo' "$tmp/iv.out")
if [ $rc -eq 0 ] && [ "$n" -ge 2 ] && grep -q '^Listening sockets:' "$tmp/iv.out"; then
	ok interval
else
	bad interval "exit $rc, $n views: $(head -c 500 "$tmp/iv.out") $(cat "$tmp/iv.err")"
fi

start_capture count "$exe" -i lo -c 3 -F json -o "$tmp/c.json" "host 127.0.0.1 and port $p1"
$python "$tmp/net.py" serve 127.0.0.1 "$p1" 1 "$tmp/ready-c" &
pids+=($!)
wait_file "$tmp/ready-c"
$python "$tmp/net.py" connect 127.0.0.1 "$p1" 1 >/dev/null
wait_exit "$cap_pid"
rc=$?
if [ $rc -eq 0 ] && $python -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["summary"]["packets"] != 3)' "$tmp/c.json"; then
	ok count
else
	bad count "exit $rc: $(cat "$tmp/count.err")"
fi

# ---- 9: --ipfix over TCP to a stalled collector, stopped by SIGINT ----
# The collector accepts and never reads (4 KiB receive buffer).  UDP
# datagrams to ever new ports with --max-flows 2 end one record per packet,
# each exported at once, until the kernel's send buffer and sockscope's
# queue are full and the capture thread waits on the collector.  SIGINT
# must end that wait at once (well before the 10 s stall timeout), and the
# report must still end with its summary; exit 5 (the export failed).

cat >"$tmp/flood.py" <<'EOF'
import socket, sys, time
n, lo, span = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    u.sendto(b'x', ('127.0.0.1', lo + i % span))
    if i % 1000 == 999:
        time.sleep(0.01)
EOF
$python "$here/stalled-collector.py" "$tmp/stalled.port" &
pids+=($!)
wait_file "$tmp/stalled.port"
# The records go to standard output (a regular file): its size tells
# whether records are still written (-o would write a temporary file).
start_capture ipfix-stall bash -c 'exec "$@" >"$0"' "$tmp/stall.jsonl" \
	"$exe" -i lo -B 65536 -F jsonl --max-flows 2 \
	--ipfix "127.0.0.1:$(cat "$tmp/stalled.port")" --ipfix-transport tcp \
	'udp and dst host 127.0.0.1 and dst portrange 30000-49999'
stalled=0
for _ in $(seq 1 30); do
	$python "$tmp/flood.py" 10000 30000 20000
	sleep 0.3
	s1=$(stat -c %s "$tmp/stall.jsonl")
	$python "$tmp/flood.py" 1000 30000 20000
	sleep 0.5
	s2=$(stat -c %s "$tmp/stall.jsonl")
	# New datagrams, no new records: the capture thread is waiting.
	if [ -n "$s1" ] && [ "$s1" -gt 0 ] && [ "$s1" = "$s2" ]; then stalled=1; break; fi
done
t0=$(date +%s%N)
kill -INT "$cap_pid"
wait_exit "$cap_pid"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ $stalled -ne 1 ]; then
	bad ipfix-stall "the export never waited on the collector (rc $rc): $(cat "$tmp/ipfix-stall.err")"
elif [ $rc -eq 5 ] && [ $ms -lt 5000 ] &&
	grep -q '^sockscope: warning: ipfix: 127.0.0.1:[0-9]*: a stop signal ended the wait for the collector' "$tmp/ipfix-stall.err" &&
	tail -n 1 "$tmp/stall.jsonl" | grep -q '"kind":"summary"'; then
	ok ipfix-stall
	echo "  SIGINT to exit: $ms ms"
else
	bad ipfix-stall "exit $rc $ms ms after SIGINT (want 5, < 5 s, a summary last): $(cat "$tmp/ipfix-stall.err")"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
