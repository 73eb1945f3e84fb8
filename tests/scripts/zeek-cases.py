#!/usr/bin/python3
"""Crafted TCP/UDP exchanges whose Zeek conn.log fields are known, and a
check of sockscope's `-F zeek-json` against them (meson test zeek-parity).

Usage: zeek-cases.py SOCKSCOPE DIR   (run by /usr/bin/python3, which has scapy)

Each case is a list of packets written to DIR/zeek-cases.pcap with scapy;
tshark (when installed) confirms that the packets show what the case is
about (a retransmission, a zero window, an ACK of unseen data...), so the
expectation is not only this script's opinion of its own packets.  The
expected conn_state, history and missed_bytes follow Zeek's TCP analyzer
and conn_state() (scripts/base/protocols/conn/main.zeek) step by step; the
derivation is in the comment of each case.  Exits 0 when all match, 1
otherwise, 77 when scapy is missing.
"""
import json
import os
import shutil
import subprocess
import sys

try:
    from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw, wrpcap
except ImportError:
    print("SKIP: python3-scapy is not installed (Debian package python3-scapy)")
    sys.exit(77)

C, S = "10.9.0.1", "10.9.0.2"
MAC_C, MAC_S = "02:09:00:00:00:01", "02:09:00:00:00:02"
t = [1767225600.0]
pkts = []


C6, S6 = "fd00:9::1", "fd00:9::2"


def pseudo_sum(p, l4):
    """The pseudo-header's ones' complement sum, folded and not inverted:
    what Linux leaves in the checksum field for the NIC to finish
    (CHECKSUM_PARTIAL), so what a capture on the sending host holds."""
    ip = p[IP] if IP in p else p[IPv6]
    raw = bytes(p[l4])
    if IP in p:
        hdr = bytes(ip)[12:20] + bytes([0, ip.proto]) + len(raw).to_bytes(2, "big")
    else:
        hdr = (bytes(ip)[8:40] + len(raw).to_bytes(4, "big") + bytes(3)
               + bytes([6 if l4 is TCP else 17]))
    s = sum(int.from_bytes(hdr[i:i + 2], "big") for i in range(0, len(hdr), 2))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return s


def finish(p, l4, chksum):
    """chksum: None (correct), "partial" (the pseudo-header sum), or a
    number (0x1234: simply wrong)."""
    if chksum == "partial":
        p[l4].chksum = pseudo_sum(p, l4)
    elif chksum is not None:
        p[l4].chksum = chksum
    t[0] += 0.001
    p.time = t[0]
    pkts.append(p)


def tcp(cport, from_client, flags, seq, ack=0, data=b"", win=64240, sport=80, chksum=None,
        v6=False):
    c, s = (C6, S6) if v6 else (C, S)
    src, dst = (c, s) if from_client else (s, c)
    sp, dp = (cport, sport) if from_client else (sport, cport)
    macs = (MAC_C, MAC_S) if from_client else (MAC_S, MAC_C)
    ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
    p = Ether(src=macs[0], dst=macs[1]) / ip / \
        TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=win)
    if data:
        p = p / Raw(data)
    finish(p, TCP, chksum)


def udp(cport, from_client, data, sport=53, chksum=None):
    src, dst = (C, S) if from_client else (S, C)
    sp, dp = (cport, sport) if from_client else (sport, cport)
    macs = (MAC_C, MAC_S) if from_client else (MAC_S, MAC_C)
    p = Ether(src=macs[0], dst=macs[1]) / IP(src=src, dst=dst) / UDP(sport=sp, dport=dp) / Raw(data)
    finish(p, UDP, chksum)


def handshake(cp, cisn=100, sisn=500):
    tcp(cp, True, "S", cisn)
    tcp(cp, False, "SA", sisn, cisn + 1)
    tcp(cp, True, "A", cisn + 1, sisn + 1)


# (client port, proto, conn_state, history, missed_bytes, tshark filter that
#  must match at least N packets of that flow, N)
CASES = []

# 1. No SYN seen, FIN both ways.  Both endpoints start INACTIVE; a packet
#    without SYN makes each PARTIAL; a FIN from PARTIAL -> CLOSED; both
#    CLOSED -> SF.  Letters: D d (data), F f, A (the last ACK).  No gap is
#    counted: PARTIAL endpoints are not "established or cleanly closing".
tcp(1001, True, "PA", 1000, 5000, b"x" * 10)
tcp(1001, False, "PA", 5000, 1010, b"y" * 20)
tcp(1001, True, "FA", 1010, 5020)
tcp(1001, False, "FA", 5020, 1011)
tcp(1001, True, "A", 1011, 5021)
CASES.append((1001, "tcp", "SF", "DdFfA", 0, None, 0))

# 2. FIN both ways, then a RST from the server.  Both CLOSED; a RST from a
#    CLOSED endpoint whose peer is CLOSED changes nothing (UpdateClosedState)
#    -> SF; the RST still gives its letter r.
handshake(1002)
tcp(1002, True, "FA", 101, 501)
tcp(1002, False, "FA", 501, 102)
tcp(1002, True, "A", 102, 502)
tcp(1002, False, "R", 502)
CASES.append((1002, "tcp", "SF", "ShAFfr", 0, "tcp.flags.reset==1", 1))

# 3. SYN, then data, then a RST, all from the client; the server never
#    answers.  Client: INACTIVE -SYN-> SYN_SENT -RST-> RESET; server
#    INACTIVE.  os RESET, responder inactive: RSTOS0 when the history is
#    ^?S[^HAFGIQ]*R.* (here "SDR"), OTH otherwise.
tcp(1003, True, "S", 200)
tcp(1003, True, "PA", 201, 7001, b"z" * 10)
tcp(1003, True, "R", 211)
CASES.append((1003, "tcp", "RSTOS0", "SDR", 0, None, 0))

# 4. Retransmissions: the client's segment sent 12 times.  Each copy after
#    the first ends at or below the highest sequence number seen
#    (update_last_seq: delta_last <= 0 with data) -> DidRxmit; the letter T
#    at the 1st and 10th (ScaledHistoryEntry: 1, 10, 100...).
handshake(1004)
for _ in range(12):
    tcp(1004, True, "PA", 101, 501, b"r" * 100)
tcp(1004, False, "A", 501, 201)
tcp(1004, True, "FA", 201, 501)
tcp(1004, False, "FA", 501, 202)
tcp(1004, True, "A", 202, 502)
CASES.append((1004, "tcp", "SF", "ShADTTaFf", 0, "tcp.analysis.retransmission", 10))

# 5. Zero windows: the server advertises window 0 ten times.  Its first
#    pure ACK gives a (update_history runs before update_window), then w at
#    the 1st and the 10th zero window.
handshake(1005)
for _ in range(10):
    tcp(1005, False, "A", 501, 101, win=0)
tcp(1005, True, "FA", 101, 501)
tcp(1005, False, "FA", 501, 102)
tcp(1005, True, "A", 102, 502)
CASES.append((1005, "tcp", "SF", "ShAawwFf", 0, "tcp.analysis.zero_window", 10))

# 6. A content gap: the client's bytes 101-200 (relative) are never seen,
#    the server acknowledges past them.  The ACK arrives with both ends
#    ESTABLISHED, so the reassembler's Undelivered() reports a gap of 100
#    bytes: G for the client's side, missed_bytes 100.
handshake(1006)
tcp(1006, True, "PA", 101, 501, b"a" * 100)
tcp(1006, True, "PA", 301, 501, b"b" * 100)
tcp(1006, False, "A", 501, 401)
tcp(1006, True, "FA", 401, 501)
tcp(1006, False, "FA", 501, 402)
tcp(1006, True, "A", 402, 502)
CASES.append((1006, "tcp", "SF", "ShADaGFf", 100, "tcp.analysis.lost_segment", 1))

# 7. SYN+FIN (two of SYN/FIN/RST in one packet: Q), refused by RST: the
#    client is SYN_SENT then CLOSED by the FIN; the server INACTIVE -> RESET.
#    rs RESET, os CLOSED (not SYN_SENT, not inactive) -> RSTR.
tcp(1007, True, "SF", 300)
tcp(1007, False, "RA", 0, 302)
CASES.append((1007, "tcp", "RSTR", "Qr", 0, "tcp.flags.syn==1 && tcp.flags.fin==1", 1))

# 8. FIN+RST in one packet (I) from the client after data: ESTABLISHED ->
#    RESET (a FIN with RST does not close); the server stays ESTABLISHED ->
#    RSTO.
handshake(1008)
tcp(1008, True, "PA", 101, 501, b"q" * 10)
tcp(1008, False, "A", 501, 111)
tcp(1008, True, "FR", 111, 501)
CASES.append((1008, "tcp", "RSTO", "ShADaI", 0, "tcp.flags.fin==1 && tcp.flags.reset==1", 1))

# 9. UDP where only the responder spoke: a reply from port 53 to a client
#    port.  The client (the ephemeral side) sent nothing: os inactive, rs
#    active -> SHR; Zeek flips the roles (53 is a likely server port): ^d.
udp(1009, False, b"reply")
CASES.append((1009, "udp", "SHR", "^d", 0, None, 0))

# 10. UDP both ways: SF, Dd.
udp(1010, True, b"query")
udp(1010, False, b"answer")
CASES.append((1010, "udp", "SF", "Dd", 0, None, 0))

# 11-14. Zeek's own btest conn_state-RST-behavior (its baseline: "R, OTH",
#    "SR, RSTOS0", "SaR, RSTOS0", "SaFR, OTH"), rebuilt here packet by
#    packet from those histories.
# 11. A lone RST: the originator INACTIVE -> RESET; not ^?S...R -> OTH.
tcp(1011, True, "R", 900)
CASES.append((1011, "tcp", "OTH", "R", 0, None, 0))
# 12. SYN then RST from the originator: RSTOS0.
tcp(1012, True, "S", 910)
tcp(1012, True, "R", 911)
CASES.append((1012, "tcp", "RSTOS0", "SR", 0, None, 0))
# 13. SYN, a bare ACK from the responder (it stays INACTIVE: an ACK before
#     its SYN-ACK), RST from the originator: RSTOS0.
tcp(1013, True, "S", 920)
tcp(1013, False, "A", 5000, 921)
tcp(1013, True, "R", 921)
CASES.append((1013, "tcp", "RSTOS0", "SaR", 0, None, 0))
# 14. The same with a FIN from the originator before its RST: F breaks the
#     ^?S[^HAFGIQ]*R pattern -> OTH.
tcp(1014, True, "S", 930)
tcp(1014, False, "A", 5000, 931)
tcp(1014, True, "FA", 931, 5000)
tcp(1014, True, "R", 932)
CASES.append((1014, "tcp", "OTH", "SaFR", 0, None, 0))

# 15-21. Bad checksums: Zeek's TCP and UDP analyzers (ignore_checksums off,
#    its default) give such a packet the letter C / c at the 1st, 10th,
#    100th... and nothing else: no state change, no other letter, no
#    reassembly, no UDP length.  tshark (tcp/udp.check_checksum) confirms
#    which packets are bad.
# 15. A lone SYN with a bad checksum: both endpoints stay INACTIVE -> OTH,
#     history C: the first row of Zeek's btest core.checksums_ignore_nets
#     baseline conn-failed.log ("OTH ... C").
tcp(1015, True, "S", 940, chksum=0x1234)
CASES.append((1015, "tcp", "OTH", "C", 0, "tcp.checksum.status == 0", 1))
# 16. The client's data first with a bad checksum, then again intact: the
#     bad copy leaves no trace but C, so the intact one is the first data
#     (D, not a retransmission T), and no gap is counted.
handshake(1016)
tcp(1016, True, "PA", 101, 501, b"k" * 50, chksum=0x1234)
tcp(1016, True, "PA", 101, 501, b"k" * 50)
tcp(1016, False, "A", 501, 151)
tcp(1016, True, "FA", 151, 501)
tcp(1016, False, "FA", 501, 152)
tcp(1016, True, "A", 152, 502)
CASES.append((1016, "tcp", "SF", "ShACDaFf", 0, "tcp.checksum.status == 0", 1))
# 17. Ten copies of a SYN with a bad checksum: C scaled like T W G, at the
#     1st and the 10th.
for _ in range(10):
    tcp(1017, True, "S", 950, chksum=0x1234)
CASES.append((1017, "tcp", "OTH", "CC", 0, "tcp.checksum.status == 0", 10))
# 18. UDP: the query with a bad checksum, an intact reply.  The query does
#     not reach UpdateLength, so Zeek's originator stays UDP_INACTIVE while
#     the responder is active -> SHR; history C d.
udp(1018, True, b"query", chksum=0x1234)
udp(1018, False, b"answer")
CASES.append((1018, "udp", "SHR", "Cd", 0, "udp.checksum.status == 0", 1))
# 19. What a capture on a checksum-offloading sender holds: every client
#     packet carries the pseudo-header sum (Linux CHECKSUM_PARTIAL).  Zeek
#     without -C would call them bad; sockscope takes them as the unfinished
#     checksums they are (summary "partial"), which is Zeek told to ignore
#     that host's checksums: its core.checksums_ignore_nets baseline
#     conn-worked.log, "SF ... ShADadFf".  tshark, which knows no offload,
#     calls all 6 client packets bad.
tcp(1019, True, "S", 960, chksum="partial")
tcp(1019, False, "SA", 7000, 961)
tcp(1019, True, "A", 961, 7001, chksum="partial")
tcp(1019, True, "PA", 961, 7001, b"GET / HTTP/1.1\r\n\r\n", chksum="partial")
tcp(1019, False, "A", 7001, 979)
tcp(1019, False, "PA", 7001, 979, b"HTTP/1.1 200 OK\r\n\r\n")
tcp(1019, True, "FA", 979, 7020, chksum="partial")
tcp(1019, False, "FA", 7020, 980)
tcp(1019, True, "A", 980, 7021, chksum="partial")
CASES.append((1019, "tcp", "SF", "ShADadFf", 0, "tcp.checksum.status == 0", 5))
# 20. IPv6: a lone SYN with a bad checksum, as 15.
tcp(1020, True, "S", 970, chksum=0x1234, v6=True)
CASES.append((1020, "tcp", "OTH", "C", 0, "tcp.checksum.status == 0", 1))
# 21. UDP over IPv4 with checksum 0 (not computed, RFC 768): not bad, Zeek
#     skips the check -> SF, D d.
udp(1021, True, b"query", chksum=0)
udp(1021, False, b"answer")
CASES.append((1021, "udp", "SF", "Dd", 0, None, 0))

# The summary's checksum counts for the whole capture: the bad packets of
# cases 15-18 and 20 (14: 13 TCP, 1 UDP), the partial ones of 19 (5), the
# one zero UDP checksum of 21; everything else intact.
EXPECT_BAD = {"tcp": 13, "udp": 1}
EXPECT_PARTIAL = {"tcp": 5, "udp": 0}


def main():
    exe, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    pcap = os.path.join(out, "zeek-cases.pcap")
    wrpcap(pcap, pkts)
    fail = 0
    tshark = shutil.which("tshark")
    if not tshark:
        print("note: tshark not installed; the packets are not cross-checked")
    for cp, proto, _state, _hist, _missed, flt, n in CASES:
        if not tshark or not flt:
            continue
        r = subprocess.run([tshark, "-o", "tcp.check_checksum:TRUE", "-o",
                            "udp.check_checksum:TRUE", "-r", pcap, "-Y",
                            "%s.port==%d && (%s)" % (proto, cp, flt)],
                           capture_output=True, text=True)
        got = len([x for x in r.stdout.splitlines() if x.strip()])
        if got < n:
            print("FAIL case %d: tshark finds %d packets for %s, expected >= %d" % (cp, got, flt, n))
            fail += 1
    r = subprocess.run([exe, "-r", pcap, "-F", "zeek-json"], capture_output=True, text=True)
    if r.returncode != 0:
        print("FAIL sockscope exited %d: %s" % (r.returncode, r.stderr.strip()))
        return 1
    rows = {}
    for line in r.stdout.splitlines():
        rec = json.loads(line)
        # keyed by the client's port (the one that is not 80 / 53)
        rows[(rec["proto"], max(rec["id.orig_p"], rec["id.resp_p"]))] = rec
    for cp, proto, state, hist, missed, _f, _n in CASES:
        rec = rows.get((proto, cp))
        if rec is None:
            print("FAIL case %d: no record" % cp)
            fail += 1
            continue
        got = (rec["conn_state"], rec.get("history"), rec["missed_bytes"])
        if got != (state, hist, missed):
            print("FAIL case %d: conn_state/history/missed_bytes %r, Zeek says %r"
                  % (cp, got, (state, hist, missed)))
            fail += 1
        else:
            print("ok case %d: %s %s %d" % (cp, state, hist, missed))
    r = subprocess.run([exe, "-r", pcap, "-F", "json"], capture_output=True, text=True)
    sums = json.loads(r.stdout)["summary"].get("checksums")
    if sums is None:
        print("FAIL the summary has no checksums")
        return 1
    for proto in ("tcp", "udp"):
        got = (sums[proto]["bad"], sums[proto]["partial"])
        want = (EXPECT_BAD[proto], EXPECT_PARTIAL[proto])
        if got != want:
            print("FAIL summary checksums %s: bad, partial %r, expected %r" % (proto, got, want))
            fail += 1
    if sums["udp"]["none"] != 1:
        print("FAIL summary checksums udp none %r, expected 1" % sums["udp"]["none"])
        fail += 1
    print("%d cases, %d failed" % (len(CASES), fail))
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
