#!/usr/bin/python3
"""The path-compare test bed (issue 16): what runs inside the namespaces
make-compare.sh builds, and the ground truth it writes.

Topology (make-compare.sh): client 10.93.1.2 -- (c0 / r1 10.93.1.1) router
(r2 10.93.2.1 / s0) -- 10.93.2.2 server.  Capture point A is the client's
interface c0, point B the server's interface s0.

Subcommands:
  nft SCENARIO            print the router's nftables ruleset for SCENARIO
  sysctls SCENARIO        print the router's extra sysctls (name=value lines)
  server LOG              the server: TCP 80-84, UDP 5353 on 10.93.2.2; one
                          JSON line per connection (its token, getpeername(),
                          getsockname()) and a "closed" line when it ends
  client SCENARIO LOG     the client: the scenario's connections, one JSON
                          line each (token, getsockname(), getpeername(),
                          what the socket saw)
  truth SCENARIO A B CLIENTLOG SERVERLOG OUT
                          join both ends' sockets into the truth JSON, then
                          derive from the two captures, for each connection,
                          which packets crossed the router and which did not
                          (matched on what NAT leaves alone: IP ID, TCP seq,
                          ack, flags and length), injected resets and the
                          one-way delays; fails when what the captures show
                          is not the fate the scenario's rule must cause
  rederive DIR            rewrite the capture-derived part of DIR's truth
                          files (after a change to derive())
  variants DIR            from DIR's pairs, the variants (B shifted by a known
                          clock offset; B's halves merged out of order)

Only the standard library: this runs with /usr/bin/python3 in namespaces
and with meson's python3 in the checker (check-compare.py imports it)."""

import glob
import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

CLIENT, ROUTER_C, ROUTER_S, SERVER = "10.93.1.2", "10.93.1.1", "10.93.2.1", "10.93.2.2"
# second addresses: another client host behind the same NAT, a second backend
CLIENT2, SERVER2 = "10.93.1.3", "10.93.2.3"
# IPv6 (the v6-snat scenario): client fd93:1::2, router fd93:1::1 /
# fd93:2::1, server fd93:2::2
SERVER6 = "fd93:2::2"
UDP_PORT = 5353

# The client's connections per scenario: (kind, destination, port).  kinds:
#   ok          request, reply, client closes first (FIN both ways)
#   udp         one datagram each way
#   syn_drop    the router drops the SYNs (tcp dport 81)
#   syn_reset   the router answers the SYN with a TCP reset (tcp dport 82)
#   data_reset  handshake and request pass; the router answers the large
#               second request with a TCP reset to the client (tcp dport 84)
#   collide     two at once to the same server, from CLIENT:P and from
#               CLIENT2:P (the same port P): masquerade must give the second
#               another public port, however much it prefers to keep them
#   loss_once   request, reply, then a large segment that the router drops
#               once (every other large segment to port 85): the sender's
#               retransmission passes, so the retransmission is at A only
#   idle        request, reply, then silence past the router's conntrack
#               timeout (tcp dport 83): the next data is dropped there
IDLE_S = 4.0          # client's silence in the idle connection
CT_ESTABLISHED_S = 2  # the router's conntrack timeout for it

MASQ = 'oifname "r2" masquerade'
DNAT = 'iifname "r1" tcp dport 8080 dnat ip to 10.93.2.2:80'
# a load balancer: round robin over two backends, port 8081 -> 80
LB = ('iifname "r1" tcp dport 8081 dnat ip to numgen inc mod 2 map '
      '{ 0 : 10.93.2.2 . 80, 1 : 10.93.2.3 . 80 }')

SCENARIOS = {
    "none": {
        "about": "plain routing, no translation",
        "translation": "none",
        "conns": [("ok", SERVER, 80)] * 3 + [("udp", SERVER, UDP_PORT)],
    },
    "snat": {
        "about": "masquerade without random: Linux keeps the client's port when it is free",
        "translation": "snat", "post": [MASQ], "port_allocation": "preserving",
        "conns": [("ok", SERVER, 80)] * 4 + [("udp", SERVER, UDP_PORT)] * 2,
    },
    "snat-random": {
        "about": "masquerade fully-random: a random public port per connection",
        "translation": "snat", "post": [MASQ + " fully-random"], "port_allocation": "random",
        "conns": [("ok", SERVER, 80)] * 4 + [("udp", SERVER, UDP_PORT)] * 2,
    },
    "snat-collide": {
        "about": "masquerade without random, two client hosts using the same port at once: "
                 "the second gets another public port",
        "translation": "snat", "post": [MASQ], "port_allocation": "preserving",
        "conns": [("ok", SERVER, 80), ("collide", SERVER, 80), ("ok", SERVER, 80)],
    },
    "lb": {
        "about": "load balancer: router 10.93.1.1:8081 round robin to 10.93.2.2:80 and 10.93.2.3:80",
        "translation": "dnat", "pre": [LB],
        "conns": [("ok", ROUTER_C, 8081)] * 4,
    },
    "v6-snat": {
        "about": "IPv6 masquerade (NAT66): client fd93:1::2 appears as the router's fd93:2::1",
        "translation": "snat", "post6": [MASQ], "port_allocation": "preserving",
        "conns": [("ok", SERVER6, 80)] * 3 + [("udp", SERVER6, UDP_PORT)],
    },
    "dnat": {
        "about": "port forwarding router 10.93.1.1:8080 -> server 10.93.2.2:80",
        "translation": "dnat", "pre": [DNAT],
        "conns": [("ok", ROUTER_C, 8080)] * 4,
    },
    "snat-dnat": {
        "about": "port forwarding and masquerade at once",
        "translation": "snat+dnat", "pre": [DNAT], "post": [MASQ], "port_allocation": "preserving",
        "conns": [("ok", ROUTER_C, 8080)] * 3 + [("udp", SERVER, UDP_PORT)],
    },
    "filter": {
        "about": "plain routing; SYNs to port 81 dropped, port 82 rejected with a TCP reset, "
                 "a large segment to port 84 rejected with a TCP reset mid-connection",
        "translation": "none",
        "fwd": ["tcp dport 81 tcp flags & (syn | ack) == syn drop",
                "tcp dport 82 reject with tcp reset",
                "tcp dport 84 ip length > 200 reject with tcp reset"],
        "conns": [("ok", SERVER, 80), ("syn_drop", SERVER, 81), ("syn_reset", SERVER, 82),
                  ("data_reset", SERVER, 84)],
    },
    "loss": {
        "about": "plain routing; every other segment over 200 bytes to port 85 dropped: "
                 "one is lost between the points, its retransmission delivered",
        "translation": "none",
        "fwd": ["tcp dport 85 ip length > 200 numgen inc mod 2 == 0 drop"],
        "conns": [("ok", SERVER, 80), ("loss_once", SERVER, 85)],
    },
    "idle": {
        "about": "masquerade; conntrack forgets an established connection to port 83 after "
                 "%d s idle (ct timeout object), strict tracking (nf_conntrack_tcp_loose=0, "
                 "ct state invalid drop): the client's data after %g s idle dies at the router"
                 % (CT_ESTABLISHED_S, IDLE_S),
        "translation": "snat", "post": [MASQ], "port_allocation": "preserving",
        "idle": True,
        "conns": [("ok", SERVER, 80), ("idle", SERVER, 83)],
    },
}


def nft_ruleset(name):
    s = SCENARIOS[name]
    out = ["flush ruleset", "table ip cmp {"]
    if s.get("idle"):
        out += ["  ct timeout short {", "    protocol tcp", "    l3proto ip",
                "    policy = { established: %d }" % CT_ESTABLISHED_S, "  }"]
    out += ["  chain filter_fwd {", "    type filter hook forward priority 0; policy accept;"]
    if s.get("idle"):
        out += ["    ct state invalid drop", '    tcp dport 83 ct timeout set "short"']
    out += ["    " + r for r in s.get("fwd", [])]
    out += ["  }"]
    out += ["  chain nat_pre {", "    type nat hook prerouting priority -100; policy accept;"]
    out += ["    " + r for r in s.get("pre", [])] + ["  }"]
    out += ["  chain nat_post {", "    type nat hook postrouting priority 100; policy accept;"]
    out += ["    " + r for r in s.get("post", [])] + ["  }", "}"]
    if s.get("post6"):
        out += ["table ip6 cmp6 {", "  chain nat_post {",
                "    type nat hook postrouting priority 100; policy accept;"]
        out += ["    " + r for r in s["post6"]] + ["  }", "}"]
    return "\n".join(out) + "\n"


def sysctls(name):
    # Strict tracking: a segment of a connection conntrack has forgotten is
    # invalid (and dropped) instead of picked up as a new connection.
    return ["net.netfilter.nf_conntrack_tcp_loose=0"] if SCENARIOS[name].get("idle") else []


def addr(sa):
    """ip:port, IPv6 as [ip]:port (the compare records' form)."""
    return ("[%s]:%d" if ":" in sa[0] else "%s:%d") % (sa[0], sa[1])


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


# ---------------------------------------------------------------- server

def server(logpath):
    log = open(logpath, "a", buffering=1)
    lock = threading.Lock()

    def write(obj):
        with lock:
            log.write(json.dumps(obj) + "\n")

    def handle(c, port):
        peer, local = addr(c.getpeername()), addr(c.getsockname())
        # silence after which the server closes: longer than the idle
        # client's whole life on port 83, short elsewhere
        c.settimeout(12 if port == 83 else 3)
        token, buf = None, b""
        try:
            while b"\n" not in buf:
                d = c.recv(4096)
                if not d:
                    break
                buf += d
            token = buf.split(b"\n")[0].decode(errors="replace").split(" ")[-1]
            write({"proto": "tcp", "token": token, "peer": peer, "local": local})
            c.sendall(b"ok " + token.encode() + b"\n")
            while c.recv(4096):
                pass
        except OSError as e:
            write({"proto": "tcp", "token": token, "peer": peer, "error": str(e)})
        finally:
            c.close()
            write({"closed": token, "peer": peer})

    socks = {}
    for port in (80, 81, 82, 83, 84, 85):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # every address: the load balancer's second backend is SERVER2;
        # getsockname() of an accepted socket still names the real one
        s.bind(("0.0.0.0", port))
        s.listen(64)
        socks[s] = port
        s6 = socket.socket(socket.AF_INET6)
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s6.bind((SERVER6, port))
        s6.listen(64)
        socks[s6] = port
    udps = []
    for ip in (SERVER, SERVER6):
        u = socket.socket(family(ip), socket.SOCK_DGRAM)
        u.bind((ip, UDP_PORT))
        udps.append(u)
    print("READY", flush=True)
    deadline = time.time() + 120          # never outlives a stuck test
    while time.time() < deadline:
        r, _, _ = select.select(list(socks) + udps, [], [], 1)
        for s in r:
            if s in udps:
                u = s
                d, peer = u.recvfrom(2048)
                token = d.decode(errors="replace").split(" ")[-1].strip()
                write({"proto": "udp", "token": token, "peer": addr(peer),
                       "local": addr(u.getsockname())})
                u.sendto(b"ok " + token.encode() + b"\n", peer)
                write({"closed": token, "peer": addr(peer)})
            else:
                c, _ = s.accept()
                threading.Thread(target=handle, args=(c, socks[s]), daemon=True).start()


# ---------------------------------------------------------------- client

def tcp_connect(dst, port, timeout, bind=None):
    """Non-blocking connect so that getsockname() names the port the OS
    chose even when the connection then fails."""
    s = socket.socket(family(dst))
    if bind:
        s.bind(bind)
    s.setblocking(False)
    s.connect_ex((dst, port))
    assigned = addr(s.getsockname())
    _, w, _ = select.select([], [s], [], timeout)
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if w else None
    s.setblocking(True)
    return s, assigned, ("timeout" if not w else os.strerror(err) if err else None)


def recv_line(s, timeout):
    s.settimeout(timeout)
    buf = b""
    try:
        while b"\n" not in buf:
            d = s.recv(4096)
            if not d:
                return buf, "eof"
            buf += d
    except socket.timeout:
        return buf, "timeout"
    except OSError as e:
        return buf, os.strerror(e.errno) if e.errno else str(e)
    return buf, None


def client(name, logpath):
    log = open(logpath, "w", buffering=1)
    for i, (kind, dst, port) in enumerate(SCENARIOS[name]["conns"]):
        token = "%s-%d" % (name, i)
        rec = {"token": token, "kind": kind, "proto": "udp" if kind == "udp" else "tcp"}
        if kind == "collide":
            # both open at once, so the first's mapping is taken
            socks = []
            for sub, bind in (("", None), ("b", "same")):
                r = {"token": token + sub, "kind": "ok", "proto": "tcp",
                     "addressed": addr((dst, port))}
                b = (CLIENT2, int(socks[0][1]["assigned"].split(":")[1])) if bind else None
                s, r["assigned"], err = tcp_connect(dst, port, 2.5, b)
                if err:
                    r["error"] = err
                else:
                    s.sendall(("ID %s\n" % r["token"]).encode())
                    reply, err = recv_line(s, 3)
                    r["reply"] = reply.decode(errors="replace").strip()
                socks.append((s, r))
            for s, r in reversed(socks):
                s.close()
                log.write(json.dumps(r) + "\n")
            time.sleep(0.2)
            continue
        if kind == "udp":
            u = socket.socket(family(dst), socket.SOCK_DGRAM)
            u.connect((dst, port))
            rec["assigned"], rec["addressed"] = addr(u.getsockname()), addr(u.getpeername())
            u.send(("ID " + token).encode())
            u.settimeout(2)
            try:
                rec["reply"] = u.recv(2048).decode(errors="replace").strip()
            except socket.timeout:
                rec["error"] = "timeout"
            u.close()
        else:
            s, rec["assigned"], err = tcp_connect(dst, port, 2.5)
            rec["addressed"] = addr((dst, port))
            if err:
                rec["error"] = err
                s.close()
            else:
                assert addr(s.getpeername()) == rec["addressed"]
                s.sendall(("ID %s\n" % token).encode())
                reply, err = recv_line(s, 3)
                rec["reply"] = reply.decode(errors="replace").strip()
                if kind == "loss_once":
                    s.sendall(b"y" * 400 + b"\n")
                    time.sleep(1)        # the retransmission (RTO ~0.2 s) passes
                elif kind == "data_reset":
                    # larger than the rule's 200 bytes: rejected with a reset
                    s.sendall(b"x" * 400 + b"\n")
                    _, err = recv_line(s, 3)
                    rec["error"] = err
                elif kind == "idle":
                    time.sleep(IDLE_S)
                    rec["idle_s"] = IDLE_S
                    s.sendall(b"late\n")
                    _, err = recv_line(s, 2.5)
                    rec["error"] = err
                    # an abortive close (its RST is dropped at the router too)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif err:
                    rec["error"] = err
                s.close()
        log.write(json.dumps(rec) + "\n")
        time.sleep(0.2)


# ---------------------------------------------------------------- captures

def read_pcap(path):
    """Packets of a pcap file (Ethernet, IPv4): a list of dicts with ts
    (µs), addresses, ports, proto, IP ID, TCP seq/ack/flags and payload
    length and first bytes.  Other packets are skipped.  A directory: the
    packets of its *.pcap files in time order."""
    if os.path.isdir(path):
        pk = [p for f in sorted(glob.glob(os.path.join(path, "*.pcap"))) for p in read_pcap(f)]
        return sorted(pk, key=lambda p: p["ts"])
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0xFFFFFFF
    if linktype != 1:
        raise ValueError("%s: link type %d, expected Ethernet" % (path, linktype))
    off, out, n = 24, [], 0
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        n += 1
        ts = sec * 1000000 + (frac // 1000 if nano else frac)
        ip = pkt[14:]
        if pkt[12:14] == b"\x08\x00" and len(ip) >= 20:
            ihl = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            p = {"frame": n, "ts": ts, "proto": ip[9], "ipid": struct.unpack(">H", ip[4:6])[0],
                 "src": socket.inet_ntoa(ip[12:16]), "dst": socket.inet_ntoa(ip[16:20])}
        elif pkt[12:14] == b"\x86\xdd" and len(ip) >= 40:
            # no extension headers in these captures: TCP or UDP follows;
            # IPv6 has no IP ID (the flow label stands in: NAT66 keeps it)
            ihl = 40
            total = 40 + struct.unpack(">H", ip[4:6])[0]
            p = {"frame": n, "ts": ts, "proto": ip[6],
                 "ipid": struct.unpack(">I", ip[0:4])[0] & 0xFFFFF,
                 "src": socket.inet_ntop(socket.AF_INET6, ip[8:24]),
                 "dst": socket.inet_ntop(socket.AF_INET6, ip[24:40])}
        else:
            continue
        l4 = ip[ihl:total]
        if p["proto"] == 6 and len(l4) >= 20:
            p["sport"], p["dport"], p["seq"], p["ack"] = struct.unpack(">HHII", l4[:12])
            doff = (l4[12] >> 4) * 4
            p["flags"] = l4[13]
            p["len"] = total - ihl - doff
            p["head"] = l4[doff:doff + 16]
        elif p["proto"] == 17 and len(l4) >= 8:
            p["sport"], p["dport"] = struct.unpack(">HH", l4[:4])
            p["flags"] = 0
            p["len"] = total - ihl - 8
            p["head"] = l4[8:24]
        else:
            continue
        out.append(p)
    return out


def kind_of(p):
    """The packet kinds of the compare_conn "lost" list."""
    f = p["flags"]
    if p["proto"] == 17:
        return "data"
    if f & 0x04:
        return "rst"
    if f & 0x02:
        return "synack" if f & 0x10 else "syn"
    if f & 0x01:
        return "fin"
    return "data" if p["len"] > 0 else "ack"


def split(a):
    ip, port = a.rsplit(":", 1)
    return ip.strip("[]"), int(port)


def conn_packets(pkts, client, server, proto):
    """Packets of one connection at one point, each tagged with its
    direction from the client's point of view ("c2s"/"s2c")."""
    (cip, cport), (sip, sport) = split(client), split(server)
    out = []
    for p in pkts:
        if p["proto"] != proto:
            continue
        if (p["src"], p["sport"], p["dst"], p["dport"]) == (cip, cport, sip, sport):
            out.append(("c2s", p))
        elif (p["src"], p["sport"], p["dst"], p["dport"]) == (sip, sport, cip, cport):
            out.append(("s2c", p))
    return out


def fingerprint(d, p):
    # what Linux NAT leaves alone (no sequence adjustment without helpers)
    return (d, p["ipid"], p["flags"], p.get("seq"), p.get("ack"), p["len"], p["head"])


def cross(a_pkts, b_pkts):
    """Matches one connection's packets at A and B: (pairs, only_a, only_b)."""
    pending = {}
    for d, p in b_pkts:
        pending.setdefault(fingerprint(d, p), []).append(p)
    pairs, only_a = [], []
    for d, p in a_pkts:
        lst = pending.get(fingerprint(d, p))
        if lst:
            pairs.append((d, p, lst.pop(0)))
        else:
            only_a.append((d, p))
    matched = {id(q) for _, _, q in pairs}
    only_b = [(d, p) for d, p in b_pkts if id(p) not in matched]
    return pairs, only_a, only_b


def derive(conn, a_pkts_all, b_pkts_all, offset_us=0):
    """What the two captures show for one truth connection: lost packets
    (left one point toward the other, never arrived), injected resets
    (appeared between the points), one-way delays (B's timestamps minus
    offset_us, the clock offset applied to B)."""
    proto = 6 if conn["proto"] == "tcp" else 17
    a = conn_packets(a_pkts_all, conn["client_assigned"], conn["server_addressed"], proto)
    b = []
    if conn["b_client"]:
        b = conn_packets(b_pkts_all, conn["b_client"], conn["b_server"], proto)
    pairs, only_a, only_b = cross(a, b)
    lost, injected = {}, {}
    # A is the client's side: c2s packets only at A left A and never
    # reached B; s2c packets only at A appeared between the points.
    for d, p in only_a:
        k = kind_of(p)
        if d == "c2s":
            lost[(k, "a_to_b")] = lost.get((k, "a_to_b"), 0) + 1
        elif k == "rst":
            injected[("a", "client")] = injected.get(("a", "client"), 0) + 1
        else:
            raise ValueError("%s: a %s packet toward the client at A that B never saw"
                             % (conn["token"], k))
    for d, p in only_b:
        k = kind_of(p)
        if d == "s2c":
            lost[(k, "b_to_a")] = lost.get((k, "b_to_a"), 0) + 1
        elif k == "rst":
            injected[("b", "server")] = injected.get(("b", "server"), 0) + 1
        else:
            raise ValueError("%s: a %s packet toward the server at B that A never saw"
                             % (conn["token"], k))
    # retransmissions per point: copies past the first of a segment that
    # takes sequence space (SYN, FIN or data: same direction, seq, length)
    rexmit = {}
    for side, pk in (("a", a), ("b", b)):
        seen = set()
        rexmit[side] = 0
        for d, p in pk:
            if proto != 6 or not (p["len"] or p["flags"] & 0x03):
                continue
            k = (d, p["seq"], p["len"], p["flags"] & 0x03)
            rexmit[side] += k in seen
            seen.add(k)
    delays = {"a_to_b": [], "b_to_a": []}
    for d, pa, pb in pairs:
        tb = pb["ts"] - offset_us
        if d == "c2s":
            delays["a_to_b"].append(tb - pa["ts"])
        else:
            delays["b_to_a"].append(pa["ts"] - tb)
    return {
        "packets_a": len(a), "packets_b": len(b), "matched_packets": len(pairs),
        "lost": [{"packet": k, "direction": d, "count": n} for (k, d), n in sorted(lost.items())],
        "injected_resets": [{"seen_at": s, "toward": t, "count": n}
                            for (s, t), n in sorted(injected.items())],
        "one_way_delay_us": {d: ({"min": min(v), "max": max(v), "n": len(v)} if v else None)
                             for d, v in delays.items()},
        "retransmits": rexmit,
        "retransmits_only_at": (None if bool(rexmit["a"]) == bool(rexmit["b"])
                                else "a" if rexmit["a"] else "b"),
        "a_times": [p["ts"] for _, p in a],
    }


# ---------------------------------------------------------------- truth

# What each kind of connection must look like in the captures: the fate the
# router's rule causes.  (lost kinds that must be there, injected resets,
# seen).  Other losses may follow (retransmissions, the closes of a dead
# connection): the truth lists all that the captures show.
FATE = {
    "ok": ("delivered", set(), set(), "both"),
    "udp": ("delivered", set(), set(), "both"),
    "syn_drop": ("syn dropped at the router", {("syn", "a_to_b")}, set(), "a_only"),
    "syn_reset": ("syn rejected by the router with a TCP reset",
                  {("syn", "a_to_b")}, {("a", "client")}, "a_only"),
    "data_reset": ("data rejected by the router with a TCP reset",
                   {("data", "a_to_b")}, {("a", "client")}, "both"),
    # the server's FIN, when it gives up, reaches a router that has
    # forgotten the mapping: its own stack answers with a reset (to the
    # masquerade address, port closed there) that the client never sent
    "loss_once": ("a data segment dropped once at the router, its retransmission delivered",
                  {("data", "a_to_b")}, set(), "both"),
    "idle": ("data dropped at the router after the idle conntrack timeout",
             {("data", "a_to_b")}, {("b", "server")}, "both"),
}


def build_truth(name, a_path, b_path, client_log, server_log, out):
    s = SCENARIOS[name]
    server_recs = {}
    for line in open(server_log):
        r = json.loads(line)
        # the first line of a connection names its sockets; a later one
        # says how it ended at the server (e.g. its read timed out)
        if "closed" not in r and r.get("token") and "local" in r:
            server_recs.setdefault(r["token"], r)
    a_pkts, b_pkts = read_pcap(a_path), read_pcap(b_path)
    conns, errors = [], []
    for line in open(client_log):
        c = json.loads(line)
        srv = server_recs.get(c["token"])
        fate, must_lose, must_inject, seen = FATE[c["kind"]]
        t = {
            "token": c["token"], "proto": c["proto"], "kind": c["kind"], "fate": fate,
            "seen": seen,
            # the client's OS choice and the address it connected to
            # (client getsockname() / getpeername())
            "client_assigned": c["assigned"], "server_addressed": c["addressed"],
            # as the server's socket saw them (getpeername() / getsockname())
            "b_client": srv["peer"] if srv else None, "b_server": srv["local"] if srv else None,
            "client_socket": {k: c[k] for k in ("reply", "error", "idle_s") if k in c},
        }
        if seen == "both" and not srv:
            errors.append("%s: the server never saw it" % c["token"])
            continue
        if seen == "a_only" and srv:
            errors.append("%s: the server saw it, the rule should have stopped it" % c["token"])
        t["client_translated"] = (t["b_client"] if t["b_client"] and t["b_client"] != c["assigned"]
                                  else None)
        t["server_translated"] = (t["b_server"] if t["b_server"] and t["b_server"] != c["addressed"]
                                  else None)
        tr = ("snat" if t["client_translated"] else "") + \
             ("+" if t["client_translated"] and t["server_translated"] else "") + \
             ("dnat" if t["server_translated"] else "")
        t["translation"] = tr or ("none" if srv else "unknown")
        try:
            obs = derive(t, a_pkts, b_pkts)
        except ValueError as e:
            errors.append(str(e))
            continue
        a_times = obs.pop("a_times")
        t.update(obs)
        got_lost = {(x["packet"], x["direction"]) for x in t["lost"]}
        got_inj = {(x["seen_at"], x["toward"]) for x in t["injected_resets"]}
        if not must_lose <= got_lost or (not must_lose and got_lost):
            errors.append("%s (%s): captures show lost %s" % (c["token"], c["kind"], sorted(got_lost)))
        if got_inj != must_inject:
            errors.append("%s (%s): captures show injected resets %s"
                          % (c["token"], c["kind"], sorted(got_inj)))
        if c["kind"] == "idle":
            # idle gap measured at A: the last packet before the silence to
            # the first data packet after it (the first lost one)
            gaps = [b - a for a, b in zip(a_times, a_times[1:])]
            gap = max(gaps) / 1e6
            t["idle_drop"] = {"after_idle_s": round(gap, 3), "conntrack_timeout_s": CT_ESTABLISHED_S}
            if not CT_ESTABLISHED_S < gap < IDLE_S + 1:
                errors.append("%s: idle gap %.3f s" % (c["token"], gap))
        else:
            t["idle_drop"] = None
        if c["kind"] in ("ok", "udp") and "reply" not in c:
            errors.append("%s: no reply at the client (%s)" % (c["token"], c.get("error")))
        conns.append(t)
    if s.get("translation") != "none":
        # the translation the rule configures shows in every delivered connection
        for t in conns:
            if t["seen"] == "both" and t["proto"] == "tcp" and t["translation"] != s["translation"]:
                errors.append("%s: translation %s, rule says %s" % (t["token"], t["translation"],
                                                                     s["translation"]))
    truth = {
        "scenario": name, "about": s["about"],
        "a": os.path.basename(a_path), "b": os.path.basename(b_path),
        "a_point": "client interface (c0)", "b_point": "server interface (s0)",
        "router": {"client_side": ROUTER_C, "server_side": ROUTER_S},
        "nft_ruleset": nft_ruleset(name), "sysctls": sysctls(name),
        "applied_clock_offset_us": 0,
        "a_packets": len(a_pkts), "b_packets": len(b_pkts),
        "connections": conns,
        "counts": {k: sum(1 for t in conns if t["seen"] == k) for k in ("both", "a_only", "b_only")},
    }
    if "port_allocation" in s:
        pub = sorted({split(t["b_client"])[0] for t in conns if t["client_translated"]})
        truth["translator"] = {"kind": "snat", "public_addresses": pub,
                               "port_allocation": s["port_allocation"]}
    if s.get("idle"):
        truth["translator"]["idle_timeout_s"] = CT_ESTABLISHED_S
    with open(out, "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")
    for e in errors:
        print("TRUTH ERROR %s: %s" % (name, e), file=sys.stderr)
    return 1 if errors else 0


# ---------------------------------------------------------------- variants

# (variant, source, what is done).  The shifted offset is deliberately not
# a round number; "split" gives B as a directory of two files.  "swap" gives the source's files the other way round
# (A the server's side, B the client's): run after the variant it swaps.
SHIFT_US = 3250417
VARIANTS = [
    ("snat-random-shift", "snat-random", "shift"),
    ("filter-shift", "filter", "shift"),
    ("snat-dnat-reordered", "snat-dnat", "reorder"),
    ("filter-swapped", "filter-shift", "swap"),
    ("snat-split", "snat", "split"),
]

OTHER = {"a": "b", "b": "a", "a_to_b": "b_to_a", "b_to_a": "a_to_b",
         "a_only": "b_only", "b_only": "a_only", "both": "both"}


def swap_obs(obs):
    """derive()'s findings with the capture points named the other way."""
    out = dict(obs)
    out["lost"] = sorted(({"packet": x["packet"], "direction": OTHER[x["direction"]],
                           "count": x["count"]} for x in obs["lost"]),
                         key=lambda x: (x["packet"], x["direction"]))
    out["injected_resets"] = sorted(({"seen_at": OTHER[x["seen_at"]], "toward": x["toward"],
                                      "count": x["count"]} for x in obs["injected_resets"]),
                                    key=lambda x: (x["seen_at"], x["toward"]))
    out["one_way_delay_us"] = {OTHER[k]: v for k, v in obs["one_way_delay_us"].items()}
    out["packets_a"], out["packets_b"] = obs["packets_b"], obs["packets_a"]
    out["retransmits"] = {"a": obs["retransmits"]["b"], "b": obs["retransmits"]["a"]}
    out["retransmits_only_at"] = OTHER.get(obs["retransmits_only_at"])
    return out


def derive_truth(truth, t, a_pkts, b_pkts):
    """derive() for a truth file of either orientation: client_point names
    the capture point on the client's side ("a" unless swapped), and
    applied_clock_offset_us is always B's clock minus A's."""
    off = truth["applied_clock_offset_us"]
    if truth.get("client_point", "a") == "b":
        return swap_obs(derive(t, b_pkts, a_pkts, -off))
    return derive(t, a_pkts, b_pkts, off)


def pcap_records(path):
    data = open(path, "rb").read()
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off, recs = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        recs.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    return data[:24], recs


def make_variants(d):
    """editcap (wireshark-common) shifts B's clock; the reordered B is B's
    second half followed by its first, as `mergecap -a` concatenates files
    given in the wrong order (time runs backwards once in the file)."""
    for var, src, how in VARIANTS:
        truth = json.load(open(os.path.join(d, "compare-%s.truth.json" % src)))
        a = os.path.join(d, truth["a"])
        b = os.path.join(d, truth["b"])
        nb = os.path.join(d, "compare-%s-b.pcap" % var)
        if how == "shift":
            subprocess.run(["editcap", "-F", "pcap", "-t", "%.6f" % (SHIFT_US / 1e6), b, nb], check=True)
            truth["applied_clock_offset_us"] = SHIFT_US
            truth["b_transform"] = "editcap -t %.6f (B's clock %d us ahead of A's)" % (
                SHIFT_US / 1e6, SHIFT_US)
        elif how == "swap":
            nb = None
            truth["a"], truth["b"] = truth["b"], truth["a"]
            truth["a_point"], truth["b_point"] = truth["b_point"], truth["a_point"]
            truth["a_packets"], truth["b_packets"] = truth["b_packets"], truth["a_packets"]
            truth["client_point"] = "b"
            truth["applied_clock_offset_us"] = -truth["applied_clock_offset_us"]
            truth["b_transform"] = "%s given the other way round: A is the server's side" % src
            truth["counts"] = {OTHER[k]: v for k, v in truth["counts"].items()}
            for t in truth["connections"]:
                t["seen"] = OTHER[t["seen"]]
                t.update(swap_obs(t))
        elif how == "split":
            # B as a directory of two files, the later one named first
            head, recs = pcap_records(b)
            h = len(recs) // 2
            nb = nb[:-len(".pcap")]
            os.makedirs(nb, exist_ok=True)
            with open(os.path.join(nb, "2-early.pcap"), "wb") as f:
                f.write(head + b"".join(recs[:h]))
            with open(os.path.join(nb, "1-late.pcap"), "wb") as f:
                f.write(head + b"".join(recs[h:]))
            truth["b_transform"] = ("B as a directory of two files: packets 1..%d in 2-early.pcap, "
                                    "%d.. in 1-late.pcap" % (h, h + 1))
        else:
            head, recs = pcap_records(b)
            h = len(recs) // 2
            tmp1, tmp2 = nb + ".1", nb + ".2"
            with open(tmp1, "wb") as f:
                f.write(head + b"".join(recs[:h]))
            with open(tmp2, "wb") as f:
                f.write(head + b"".join(recs[h:]))
            subprocess.run(["mergecap", "-F", "pcap", "-a", "-w", nb, tmp2, tmp1], check=True)
            os.unlink(tmp1)
            os.unlink(tmp2)
            truth["b_transform"] = ("B's packets %d.. then 1..%d (mergecap -a of its two halves "
                                    "in the wrong order)" % (h + 1, h))
        truth["scenario"] = var
        truth["variant_of"] = src
        if nb:
            truth["b"] = os.path.basename(nb)
        # the packets themselves are the same: derive again with the shift
        # undone (and the points swapped back), as a check of the variant
        a_pkts = read_pcap(os.path.join(d, truth["a"]))
        b_pkts = read_pcap(os.path.join(d, truth["b"]))
        for t in truth["connections"]:
            obs = derive_truth(truth, t, a_pkts, b_pkts)
            if obs["one_way_delay_us"] != t["one_way_delay_us"] or obs["lost"] != t["lost"]:
                raise SystemExit("variant %s: %s differs from its source" % (var, t["token"]))
        with open(os.path.join(d, "compare-%s.truth.json" % var), "w") as f:
            json.dump(truth, f, indent=1, sort_keys=True)
            f.write("\n")


def rederive(d):
    """Rewrites what the truth files of DIR derive from their captures
    (after a change to derive(); the sockets' part stays as it was)."""
    for path in sorted(glob.glob(os.path.join(d, "compare-*.truth.json"))):
        truth = json.load(open(path))
        a_pkts = read_pcap(os.path.join(d, truth["a"]))
        b_pkts = read_pcap(os.path.join(d, truth["b"]))
        for t in truth["connections"]:
            obs = derive_truth(truth, t, a_pkts, b_pkts)
            obs.pop("a_times")
            t.update(obs)
        with open(path, "w") as f:
            json.dump(truth, f, indent=1, sort_keys=True)
            f.write("\n")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "nft":
        sys.stdout.write(nft_ruleset(argv[2]))
    elif cmd == "sysctls":
        for x in sysctls(argv[2]):
            print(x)
    elif cmd == "scenarios":
        print(" ".join(SCENARIOS))
    elif cmd == "server":
        server(argv[2])
    elif cmd == "client":
        client(argv[2], argv[3])
    elif cmd == "truth":
        return build_truth(*argv[2:8])
    elif cmd == "rederive":
        rederive(argv[2])
    elif cmd == "variants":
        make_variants(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
