#!/usr/bin/env bash
# Unknown roles (docs/inference.md#unknown-roles, issue 13): real sockets in
# two network namespaces this script makes, connected BEFORE the capture
# starts, so that it holds no SYN of them (mid-stream records), with data
# both ways while it runs:
#   (a) a "bind shell": a server on 40000 (inside Linux's ephemeral range)
#       and its client's ephemeral port;
#   (b) peer-to-peer: two listeners on each side (41001, 41002 on one, 42001,
#       42002 on the other), each reached once by the other side, both ends
#       on high ports;
#   (c) controls where the evidence is real: ssh's port 22 (service_port), a
#       listener on 45000 whose own handshake comes later in the capture
#       (proven_listener), a socket on 46000 that three connections reach
#       from changing ports (fan_in).
# Ground truth is each socket's getsockname/getpeername.  (a) and (b) must
# be evidence `unknown` in json and jsonl, name no client/server, make no
# listener and no ephemeral sample, be counted in both hosts' unknown_roles,
# and say so in csv, text, zeek, ecs (check-ecs.py) and drift; every other
# record must have the true roles (c: never unknown).
#
# Usage: check-unknown-roles.sh SOCKSCOPE
# Needs root, ip netns, tcpdump and /usr/bin/python3 (exit 77 otherwise).
# Traffic stays inside ss-ur-c / ss-ur-s (10.86.0.0/24), removed on exit.
set -u
. "$(dirname "$0")/lib-netns.sh"   # checks the arguments: sets exe
scripts=$(cd "$(dirname "$0")" && pwd)

ns_setup ss-ur 10.86.0

# One agent per namespace: it listens on its ports, connects to the other
# side's, and on each command from its FIFO acts on every socket it holds.
# Every socket's handler answers each chunk of data with "re:" + chunk (a
# chunk that is already an answer is not answered), so data flows both
# ways; the truth (local, peer, role) of each socket goes to a file.
agent='
import json, os, socket, sys, threading, time
me, listen_ports, fifo, truth_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
socks, lock = [], threading.Lock()
truth = open(truth_path, "w")

def note(s, role):
    with lock:
        truth.write(json.dumps({"local": list(s.getsockname()), "peer": list(s.getpeername()),
                                "role": role}) + "\n")
        truth.flush()
        socks.append(s)

def handle(s):
    s.settimeout(60)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            if not d.startswith(b"re:"):
                s.sendall(b"re:" + d)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass

def serve(ls):
    while True:
        try:
            c, _ = ls.accept()
        except OSError:
            return
        note(c, "server")
        if ls.getsockname()[1] == 40000:
            c.sendall(b"$ ")          # a shell speaks first: its prompt
        threading.Thread(target=handle, args=(c,), daemon=True).start()

for p in filter(None, listen_ports.split(",")):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((me, int(p)))
    ls.listen(64)
    threading.Thread(target=serve, args=(ls,), daemon=True).start()
print("ready", flush=True)

for line in open(fifo):
    cmd = line.split()
    if not cmd:
        continue
    if cmd[0] == "connect":                   # connect HOST PORT [N]
        for _ in range(int(cmd[3]) if len(cmd) > 3 else 1):
            c = socket.create_connection((cmd[1], int(cmd[2])), timeout=5)
            note(c, "client")
            threading.Thread(target=handle, args=(c,), daemon=True).start()
    elif cmd[0] == "talk":                     # data on every socket held
        with lock:
            held = list(socks)
        for i, s in enumerate(held):
            try:
                s.sendall(b"ping %d from %s\n" % (i, me.encode()))
            except OSError:
                pass
            time.sleep(0.02)
    elif cmd[0] == "close":                    # FIN from the connecting side
        with lock:
            held = list(socks)
        for s in held:
            try:
                if s.getsockname()[1] not in (40000, 41001, 41002, 42001, 42002, 22,
                                              45000, 46000):
                    s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
    elif cmd[0] == "done":
        break
    print("ok " + cmd[0], flush=True)
truth.close()
'

mkfifo "$tmp/fifo-c" "$tmp/fifo-s"
ip netns exec "$ns_s" "$python" -c "$agent" "$ip_s" 40000,41001,41002,22,45000,46000 \
	"$tmp/fifo-s" "$tmp/truth-s.jsonl" >"$tmp/agent-s.out" 2>&1 &
ns_pids+=($!)
ip netns exec "$ns_c" "$python" -c "$agent" "$ip_c" 42001,42002 \
	"$tmp/fifo-c" "$tmp/truth-c.jsonl" >"$tmp/agent-c.out" 2>&1 &
ns_pids+=($!)
# hold the FIFOs open for writing for the whole run
exec 7>"$tmp/fifo-c" 8>"$tmp/fifo-s"
for _ in $(seq 50); do
	grep -q ready "$tmp/agent-c.out" && grep -q ready "$tmp/agent-s.out" && break
	sleep 0.1
done
grep -q ready "$tmp/agent-c.out" && grep -q ready "$tmp/agent-s.out" ||
	{ echo "FAIL agents did not start: $(cat "$tmp/agent-c.out" "$tmp/agent-s.out")"; exit 1; }

# wait_ok AGENT N: the agent has answered N commands
wait_ok() {
	for _ in $(seq 100); do
		[ "$(grep -c '^ok' "$tmp/agent-$1.out")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "FAIL agent $1: $(cat "$tmp/agent-$1.out")"
	exit 1
}

# Before the capture: every connection opens (its SYN is not captured).
echo "connect $ip_s 40000" >&7          # (a) bind shell
echo "connect $ip_s 41001" >&7          # (b) peer-to-peer, both ways
echo "connect $ip_s 41002" >&7
echo "connect $ip_s 22" >&7             # (c) service port
echo "connect $ip_s 45000" >&7          # (c) proven by a later handshake
echo "connect $ip_s 46000 3" >&7        # (c) fan-in
wait_ok c 6
echo "connect $ip_c 42001" >&8
echo "connect $ip_c 42002" >&8
wait_ok s 2
sleep 0.5   # the bind shell's prompt and handshakes are over

ns_capture_start "$tmp/mid.pcap" tcp
echo "talk" >&7
wait_ok c 7
echo "talk" >&8
wait_ok s 3
echo "connect $ip_s 45000" >&7          # the handshake that proves 45000
wait_ok c 8
echo "talk" >&7
wait_ok c 9
sleep 0.3
echo "close" >&7
echo "close" >&8
wait_ok c 10
wait_ok s 4
sleep 0.5
ns_capture_stop "$tmp/mid.pcap"

# a later, small capture of one connection to 45000 (drift's B side)
ns_capture_start "$tmp/later.pcap" tcp
echo "connect $ip_s 45000" >&7
wait_ok c 11
echo "close" >&7
wait_ok c 12
sleep 0.3
ns_capture_stop "$tmp/later.pcap"
echo "done" >&7
echo "done" >&8
exec 7>&- 8>&-

fail=0
for fmt in json jsonl csv text zeek; do
	"$exe" --builtin-services --color=never -r "$tmp/mid.pcap" -F "$fmt" >"$tmp/out.$fmt" 2>"$tmp/err.$fmt"
	rc=$?
	[ $rc -eq 0 ] || { echo "FAIL -F $fmt: exit $rc: $(cat "$tmp/err.$fmt")"; fail=1; }
done
"$exe" compare --mode drift "$tmp/mid.pcap" "$tmp/later.pcap" -F jsonl >"$tmp/drift.jsonl" \
	2>"$tmp/err.drift"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL drift: exit $rc: $(cat "$tmp/err.drift")"; fail=1; }

"$python" - "$tmp" "$ip_c" "$ip_s" <<'EOF' || fail=1
import csv, json, sys
tmp, ip_c, ip_s = sys.argv[1:4]
failed = 0
def check(name, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    failed += not ok

# truth: per connection (unordered pair of sockets), the client and server
truth = {}
for side in ("c", "s"):
    for line in open(f"{tmp}/truth-{side}.jsonl"):
        t = json.loads(line)
        local, peer = tuple(t["local"]), tuple(t["peer"])
        cl, sv = (local, peer) if t["role"] == "client" else (peer, local)
        truth[frozenset((cl, sv))] = (cl, sv)
unknown_ports = {40000, 41001, 41002, 42001, 42002}
def listener_port(cl, sv):
    return sv[1]
mid_pairs = {k: v for k, v in truth.items() if listener_port(*v) in unknown_ports}
check("truth: 5 bind-shell / peer-to-peer connections", len(mid_pairs) == 5, len(mid_pairs))

def sides(rec):
    if rec.get("client") is None:
        e = rec["endpoints"]
        return (e[0]["ip"], e[0]["port"]), (e[1]["ip"], e[1]["port"])
    return (rec["client"]["ip"], rec["client"]["port"]), (rec["server"]["ip"], rec["server"]["port"])

def load(fmt):
    recs = [json.loads(l) for l in open(f"{tmp}/out.{fmt}")] if fmt == "jsonl" else None
    if fmt == "json":
        doc = json.load(open(f"{tmp}/out.json"))
        return doc["connections"], doc["listeners"], doc["hosts"], doc["summary"]
    by = lambda k: [r for r in recs if r.get("kind") == k]
    return by("connection"), by("listener"), by("host"), by("summary")[0]

for fmt in ("json", "jsonl"):
    conns, listeners, hosts, summary = load(fmt)
    unknown = 0
    for rec in conns:
        a, b = sides(rec)
        t = truth.get(frozenset((a, b)))
        if t is None:
            check(f"{fmt}: record {a} {b} is a connection the sockets made", False, rec)
            continue
        if listener_port(*t) in unknown_ports:
            unknown += 1
            ok = (rec["evidence"] == "unknown" and rec["confidence"] == "low" and
                  rec["client"] is None and rec["server"] is None and rec["service"] is None and
                  rec["packets"] is None and rec["tcp_options"] is None and
                  rec["outcome"] == "midstream" and
                  rec["endpoints"][0]["packets"] > 0 and rec["endpoints"][1]["packets"] > 0)
            check(f"{fmt}: {t[0]} - {t[1]} (no SYN, both ports high): roles unknown", ok,
                  {k: rec[k] for k in ("client", "server", "evidence", "confidence")})
        else:
            ok = (rec["evidence"] != "unknown" and a == t[0] and b == t[1])
            check(f"{fmt}: {t[0]} -> {t[1]}: true roles ({rec['evidence']}, "
                  f"{rec['confidence']})", ok, rec["evidence"])
            port = t[1][1]
            want = {22: "service_port", 45000: None, 46000: "fan_in"}.get(port)
            if port == 45000:
                want = "syn" if rec["evidence"] == "syn" else "proven_listener"
            if want:
                check(f"{fmt}: {t[0]} -> {t[1]} decided by {want}", rec["evidence"] == want,
                      rec["evidence"])
    check(f"{fmt}: 5 records of unknown roles", unknown == 5, unknown)
    check(f"{fmt}: summary evidence unknown = 5", summary["evidence"].get("unknown") == 5,
          summary["evidence"])
    lports = sorted((l["ip"], l["port"]) for l in listeners)
    check(f"{fmt}: listeners only where roles are known (22, 45000, 46000)",
          lports == [(ip_s, 22), (ip_s, 45000), (ip_s, 46000)], lports)
    for h in hosts:
        check(f"{fmt}: host {h['ip']} counts the 5 records of unknown roles",
              h.get("unknown_roles") == 5, h.get("unknown_roles"))
        eph = h["ephemeral"]
        want = 1 if h["ip"] == ip_c else 0   # the one handshake to 45000
        got = eph["samples"] if eph else 0
        check(f"{fmt}: host {h['ip']}: ephemeral samples only from handshakes ({want})",
              got == want, got)
    if fmt == "json":
        # findings about a server socket never name a peer port as one
        doc = json.load(open(f"{tmp}/out.json"))
        bad = [f["id"] for f in doc.get("findings", [])
               if f.get("server") and f["server"].get("port") in unknown_ports]
        check("json: no finding names a peer port as a server", not bad, bad)
        mid = [f for f in doc.get("findings", []) if f["id"] == "midstream_start"]
        check("json: midstream_start counts the unknown roles",
              len(mid) == 1 and mid[0]["evidence"].get("unknown_roles") == 5 and
              "roles are unknown" in mid[0]["statement"], mid)

# csv: the evidence column, sides in first-packet order, no service
rows = list(csv.DictReader(open(f"{tmp}/out.csv")))
u = [r for r in rows if r["evidence"] == "unknown"]
check("csv: 5 rows of evidence unknown, service empty",
      len(u) == 5 and all(r["service"] == "" and r["confidence"] == "low" for r in u), len(u))
# text: A <-> B and "roles unknown"
text = open(f"{tmp}/out.text").read()
check("text: 5 rows 'A <-> B' flagged 'roles unknown'",
      sum(1 for l in text.splitlines()
          if "<->" in l and "roles unknown" in l and "example:" not in l) == 5)
check("text: Connections line counts them", "5 of unknown roles" in text)
check("text: finding examples write the unknown ones 'A <-> B ..., roles unknown'",
      sum(1 for l in text.splitlines() if "example:" in l and "<->" in l and
          "roles unknown" in l) >= 1)
lst = text.split("Listening sockets")[1].split("\n\n")[0] if "Listening sockets" in text else ""
check("text: no listening socket on the peer ports",
      not any(f":{p}" in lst or f" {p} " in lst for p in unknown_ports), lst)
# zeek: orig is the first packet's sender, no '^'
zrows = [l.split("\t") for l in open(f"{tmp}/out.zeek") if not l.startswith("#")]
zu = [z for z in zrows if int(z[3]) in unknown_ports or int(z[5]) in unknown_ports]
check("zeek: 5 rows, history without '^'",
      len(zu) == 5 and not any(z[15].startswith("^") for z in zu), [z[15] for z in zu])
# drift: no listener appears or vanishes on the peer ports
drift = [json.loads(l) for l in open(f"{tmp}/drift.jsonl")]
changes = [d for d in drift if d.get("type") == "listener_change"]
bad = [d["listener"] for d in changes
       if any(d["listener"].endswith(f":{p}/tcp") for p in unknown_ports)]
check("drift: no listener change on the peer ports", not bad, bad)
sys.exit(1 if failed else 0)
EOF

# ecs: no client/server on those records, source/destination as jsonl's endpoints
"$python" "$scripts/check-ecs.py" "$exe" "$tmp/mid.pcap" || fail=1
[ $fail -eq 0 ] && echo "all passed"
exit $fail
