#!/usr/bin/python3
"""Tiny servers used by scripts/make-captures.sh to produce real-stack captures.

Usage: server.py [--lifetime SECONDS] SPEC [SPEC ...]

SPEC is one of
  tcp:ADDR:PORT   line server: every line received is answered with "echo: <line>".
                  The line "reset" is answered and then the connection is closed
                  with an RST (SO_LINGER {1, 0}); the line "bye" is answered and
                  then the server closes normally (FIN).  On EOF from the client
                  the server closes normally (FIN).
  udp:ADDR:PORT   datagram echo: every datagram is answered with "echo: <data>".
ADDR is an IPv4 address or an IPv6 address in brackets, e.g. tcp:[::]:8080.
IPv6 sockets are IPV6_V6ONLY so IPv4 and IPv6 listeners can share a port.

Prints "READY" on stdout once every socket is bound and listening.  The process
exits by itself after --lifetime seconds (default 300) so that it can never
outlive the capture script, even if cleanup fails.
"""
import os
import socket
import struct
import sys
import threading
import time


def parse_spec(spec):
    kind, rest = spec.split(":", 1)
    addr, port = rest.rsplit(":", 1)
    fam = socket.AF_INET
    if addr.startswith("["):
        addr = addr[1:-1]
        fam = socket.AF_INET6
    return kind, fam, addr, int(port)


def handle_tcp(conn):
    conn.settimeout(30)
    buf = b""
    try:
        for _ in range(1000):  # bounded number of reads per connection
            data = conn.recv(4096)
            if not data:
                break  # client sent FIN: close normally
            buf += data
            done = False
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                conn.sendall(b"echo: " + line + b"\n")
                if line == b"reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                    done = True
                    break
                if line == b"bye":
                    done = True
                    break
            if done:
                break
    except OSError:
        pass  # e.g. ECONNRESET when the client aborts with RST
    finally:
        conn.close()


def serve_tcp(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handle_tcp, args=(conn,), daemon=True).start()


def serve_udp(sock):
    while True:
        data, peer = sock.recvfrom(65535)
        sock.sendto(b"echo: " + data, peer)


def main(argv):
    lifetime = 300.0
    if len(argv) >= 2 and argv[0] == "--lifetime":
        lifetime = float(argv[1])
        argv = argv[2:]
    threads = []
    for spec in argv:
        kind, fam, addr, port = parse_spec(spec)
        stype = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(fam, stype)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        if kind == "tcp":
            s.listen(16)
            t = threading.Thread(target=serve_tcp, args=(s,), daemon=True)
        elif kind == "udp":
            t = threading.Thread(target=serve_udp, args=(s,), daemon=True)
        else:
            raise SystemExit("unknown spec " + spec)
        threads.append(t)
    for t in threads:
        t.start()
    print("READY", flush=True)
    time.sleep(lifetime)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
