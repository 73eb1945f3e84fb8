"""A TCP collector that accepts one session and never reads from it.

Usage: stalled-collector.py PORT_FILE
Listens on 127.0.0.1 on a free port with a 4 KiB receive buffer, writes the
port to PORT_FILE (atomically, by rename) and then holds the accepted
connection for at most 120 s without reading: the exporter's send buffer
fills and stays full (check-ipfix.sh, check-live.sh).  The caller kills it.
"""
import os
import socket
import sys
import time

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
srv.bind(('127.0.0.1', 0))
srv.listen(1)
with open(sys.argv[1] + '.tmp', 'w') as f:
    f.write(str(srv.getsockname()[1]))
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
srv.settimeout(60)
conn, _ = srv.accept()
time.sleep(120)
