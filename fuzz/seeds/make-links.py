#!/usr/bin/env python3
"""Writes fuzz/seeds/links.pcapng: one interface per link type that has a
header of its own before the IP packet (PPP, NFLOG, 802.11 plain and behind
radiotap, PPI, Prism and AVS headers, Apple PKTAP around Ethernet and around
radiotap; 802.11 A-MSDUs, one with a zero-length subframe; an 802.11s Mesh
Control; PPI around Ethernet, raw IP and PPI), each with a TCP SYN inside, built with
tests/scripts/make-malformed.py's byte builders, as fuzzing seeds
(scripts/fuzz.sh maps each interface's link type to the harness's table).

Usage: python3 fuzz/seeds/make-links.py fuzz/seeds/links.pcapng
(run from the source root)."""
import sys, importlib.util
spec = importlib.util.spec_from_file_location("mm", "tests/scripts/make-malformed.py")
mm = importlib.util.module_from_spec(spec); spec.loader.exec_module(mm)
import struct
core = mm.ipv4(6, mm.tcp(40000, 80, mm.SYN, payload=b"abcd"))
snap = b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + core
# 802.11 QoS data, To-DS: frame control, duration, 3 addresses, sequence, QoS
dot11 = struct.pack("<BBH", 0x88, 0x01, 0) + bytes(range(18)) + struct.pack("<HH", 0, 5) + snap
radiotap = struct.pack("<BBHI", 0, 0, 17, 0x3) + bytes(8) + b"\x10" + dot11 + b"\xfc" * 4
ppi = (struct.pack("<BBHI", 0, 0, 32, 105) + struct.pack("<HH", 2, 20) + bytes(8) +
       struct.pack("<H", 1) + bytes(10) + dot11 + b"\xfc" * 4)
prism = struct.pack("<II", 0x44, 144) + bytes(136) + dot11
avs = struct.pack(">II", 0x80211001, 64) + bytes(56) + dot11
def pktap(dlt, frame):
    return struct.pack("<III", 108, 1, dlt) + bytes(96) + frame
# A-MSDU (QoS A-MSDU present bit): an IPv4/TCP subframe padded to 4 bytes,
# a zero-length one, then IPv4/TCP again (never read: the zero-length one
# ends the frame); and one of two good subframes behind radiotap with FCS
sub = mm.amsdu_sub(snap, False)
amsdu_hdr = struct.pack("<BBH", 0x88, 0x01, 0) + bytes(range(18)) + struct.pack("<HH", 0, 0x80)
amsdu_zero = amsdu_hdr + sub + mm.MAC + b"\0\0" + bytes(2) + mm.amsdu_sub(snap, True)
amsdu_fcs = (struct.pack("<BBHI", 0, 0, 17, 0x3) + bytes(8) + b"\x10" + amsdu_hdr + sub +
             mm.amsdu_sub(snap, True) + b"\xfc" * 4)
# 802.11s Mesh Control (address extension mode 1) before LLC/SNAP
mesh = (struct.pack("<BBH", 0x88, 0x03, 0) + bytes(range(18)) + struct.pack("<H", 0) + bytes(6) +
        struct.pack("<H", 0x100) +
        struct.pack("<BBI", 1, 31, 7) + bytes(6) + snap)
# PPI in front of Ethernet and of raw IP; PPI in PPI
ppi_eth = struct.pack("<BBHI", 0, 0, 8, 1) + mm.eth4(core)
ppi_raw = struct.pack("<BBHI", 0, 0, 8, 101) + core
ppi_ppi = struct.pack("<BBHI", 0, 0, 8, 192) + ppi_eth
links = [
    (9, b"\xff\x03\x00\x21" + core),
    (239, struct.pack("<BBH", 2, 0, 5) + struct.pack("<HH", 4 + len(core), 9) + core),
    (105, dot11),
    (127, radiotap),
    (192, ppi),
    (119, prism),
    (163, avs),
    (258, pktap(1, mm.eth4(core))),
    (258, pktap(127, radiotap)),
    (105, amsdu_zero),
    (127, amsdu_fcs),
    (105, mesh),
    (192, ppi_eth),
    (192, ppi_raw),
    (192, ppi_ppi),
]
out = mm.ng_shb()
for i, (lt, _) in enumerate(links):
    out += mm.ng_idb(lt)
for i, (_, pkt) in enumerate(links):
    out += mm.ng_epb(i, 1000000 + i, pkt)
open(sys.argv[1], "wb").write(out)
