#!/usr/bin/python3
"""Clients used by scripts/make-captures.sh to produce real-stack captures.

Every subcommand prints one ground-truth line per connection it made, in the
format of captures/*.truth.tsv:
    connection <proto> <client_ip> <client_port> <server_ip> <server_port> <outcome>
The client port is the real ephemeral port, read with getsockname().

Subcommands:
  tcp SRC DST PORT [--timeout S] [--server-reset]
        connect from SRC (ephemeral port), send "hello", read the answer and
        close with shutdown(SHUT_WR) (FIN), then read to EOF.  With
        --server-reset the request is "reset" and the server aborts with RST.
        Outcome: complete | rejected (ECONNREFUSED) | unanswered (timeout).
  udp SRC DST PORT [--timeout S]
        send one datagram and wait for the answer.
        Outcome: answered | rejected (ICMP port unreachable) | unanswered.
  midstream SRC DST PORT GOFILE [--rounds N]
        connect, print the truth line (outcome midstream) at once, then wait
        (bounded) until GOFILE exists, exchange N lines one by one and close
        with FIN.
  reuse SRC DST PORT
        bind SRC:0 with SO_REUSEADDR, connect, exchange a line, abort with RST
        (SO_LINGER {1,0}); then bind a new socket to the SAME source port,
        connect again (new ISN), exchange a line and close normally.
"""
import argparse
import os
import socket
import struct
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def line(proto, cip, cport, sip, sport, outcome):
    print("\t".join(["connection", proto, cip, str(cport), sip, str(sport), outcome]),
          flush=True)


def read_to_eof(s, limit=100):
    data = b""
    for _ in range(limit):  # bounded
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def read_line(s, limit=100):
    data = b""
    for _ in range(limit):  # bounded
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
        if b"\n" in data:
            break
    return data


def new_socket(src, stype=socket.SOCK_STREAM, port=0, reuse=False):
    s = socket.socket(family(src), stype)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Bind explicitly so that the ephemeral port is known (and kept) even when
    # the connect fails: Linux forgets an autobound port on a failed connect.
    s.bind((src, port))
    return s


def cmd_tcp(a):
    s = new_socket(a.src)
    cport = s.getsockname()[1]
    s.settimeout(a.timeout)
    try:
        s.connect((a.dst, a.port))
    except ConnectionRefusedError:
        line("tcp", a.src, cport, a.dst, a.port, "rejected")
        return
    except (socket.timeout, TimeoutError):
        line("tcp", a.src, cport, a.dst, a.port, "unanswered")
        return
    assert s.getsockname()[1] == cport
    try:
        if a.server_reset:
            s.sendall(b"reset\n")
            read_to_eof(s)
        else:
            s.sendall(b"hello from %d\n" % cport)
            read_line(s)
            s.shutdown(socket.SHUT_WR)
            read_to_eof(s)
    except ConnectionResetError:
        pass
    s.close()
    line("tcp", a.src, cport, a.dst, a.port, "complete")


def cmd_udp(a):
    s = new_socket(a.src, socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    s.connect((a.dst, a.port))
    cport = s.getsockname()[1]
    s.send(b"ping from %d" % cport)
    try:
        s.recv(4096)
        outcome = "answered"
    except ConnectionRefusedError:
        outcome = "rejected"
    except (socket.timeout, TimeoutError):
        outcome = "unanswered"
    s.close()
    line("udp", a.src, cport, a.dst, a.port, outcome)


def cmd_midstream(a):
    s = socket.socket(family(a.src), socket.SOCK_STREAM)
    s.bind((a.src, 0))
    s.settimeout(30)
    s.connect((a.dst, a.port))
    cport = s.getsockname()[1]
    line("tcp", a.src, cport, a.dst, a.port, "midstream")
    for _ in range(300):  # wait at most 30 s for the capture to start
        if os.path.exists(a.gofile):
            break
        time.sleep(0.1)
    else:
        sys.exit("midstream: go file never appeared")
    for i in range(a.rounds):
        s.sendall(b"round %d\n" % i)
        read_line(s)
        time.sleep(0.2)
    s.shutdown(socket.SHUT_WR)
    read_to_eof(s)
    s.close()


def cmd_reuse(a):
    s = new_socket(a.src, reuse=True)
    cport = s.getsockname()[1]
    s.settimeout(10)
    s.connect((a.dst, a.port))
    s.sendall(b"first from %d\n" % cport)
    read_line(s)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # RST
    line("tcp", a.src, cport, a.dst, a.port, "complete")
    time.sleep(0.5)
    s = new_socket(a.src, port=cport, reuse=True)
    s.settimeout(10)
    s.connect((a.dst, a.port))
    assert s.getsockname()[1] == cport
    s.sendall(b"second from %d\n" % cport)
    read_line(s)
    s.shutdown(socket.SHUT_WR)
    read_to_eof(s)
    s.close()
    line("tcp", a.src, cport, a.dst, a.port, "complete")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("tcp", "udp", "midstream", "reuse"):
        q = sub.add_parser(name)
        q.add_argument("src")
        q.add_argument("dst")
        q.add_argument("port", type=int)
        if name == "midstream":
            q.add_argument("gofile")
            q.add_argument("--rounds", type=int, default=3)
        if name in ("tcp", "udp"):
            q.add_argument("--timeout", type=float, default=5.0)
        if name == "tcp":
            q.add_argument("--server-reset", action="store_true")
    a = p.parse_args()
    {"tcp": cmd_tcp, "udp": cmd_udp, "midstream": cmd_midstream,
     "reuse": cmd_reuse}[a.cmd](a)


if __name__ == "__main__":
    main()
