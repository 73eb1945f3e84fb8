#!/usr/bin/env python3
"""Writes fuzz/seeds/encapsulations.pcap: one TCP or UDP packet in each
encapsulation sockscope removes (src/decode/ethertype.c, tunnel.c), built with
tests/scripts/make-malformed.py's byte builders, as fuzzing seeds (scripts/fuzz.sh).

Usage: python3 fuzz/seeds/make-encapsulations.py fuzz/seeds/encapsulations.pcap
(run from the source root)."""
import sys, importlib.util
spec = importlib.util.spec_from_file_location("mm", "tests/scripts/make-malformed.py")
mm = importlib.util.module_from_spec(spec); spec.loader.exec_module(mm)
import struct
O4A, O4B = mm.O4A, mm.O4B
core = mm.ipv4(6, mm.tcp(40000, 80, mm.SYN, payload=b"abcd"))
core6 = mm.ipv6(17, mm.udp(5353, 53, b"abcd"))
def udp4(dport, payload, sport=40001):
    return mm.eth4(mm.ipv4(17, mm.udp(sport, dport, payload), src=O4A, dst=O4B))
def gre4(hdr, payload):
    return mm.eth4(mm.ipv4(47, hdr + payload, src=O4A, dst=O4B))
pkts = [
    udp4(4789, struct.pack(">II", 0x08000000, 42 << 8) + mm.eth4(core)),
    udp4(6081, struct.pack(">BBHI", 1, 0, 0x6558, 7 << 8) + b"\x01\x04\x80\x01" + mm.eth4(core)),
    udp4(6081, struct.pack(">BBHI", 0, 0, 0x86DD, 8 << 8) + core6),
    gre4(struct.pack(">HHIII", 0xB000, 0x0800, 0, 7, 1), core),
    gre4(struct.pack(">HH", 0, 0x6558), mm.eth6(core6)),
    gre4(struct.pack(">HHI", 0x1000, 0x88BE, 1) + struct.pack(">HHI", 0x1000, 5, 0), mm.eth4(core)),
    gre4(struct.pack(">HHI", 0x1000, 0x22EB, 1) + struct.pack(">HHIHH", 0x2000, 9, 0, 0, 1) + b"\0" * 8, mm.eth4(core)),
    gre4(struct.pack(">HHIII", 0x3081, 0x880B, (4 + len(core)) << 16 | 7, 1, 1), b"\xff\x03\x00\x21" + core),
    mm.eth4(mm.ipv4(4, core, src=O4A, dst=O4B)),
    mm.eth4(mm.ipv4(41, core6, src=O4A, dst=O4B)),
    mm.eth6(mm.ipv6(4, core)),
    udp4(2152, struct.pack(">BBHIHBB", 0x34, 0xFF, 8 + len(core), 0x1234, 0, 0, 0x85) + b"\x01\x00\x09\x00" + core, sport=2152),
    udp4(40002, b"\x00\x00\xff\xff\x3f\xff\xff\xff" + core6, sport=3544),
    udp4(5072, bytes([0x41, 0x52, 0x11, 41]) + b"\0" * 4 + b"\0" * 36 + core6),
    udp4(4754, struct.pack(">HH", 0, 0x0800) + core),
    mm.eth(0x8847, struct.pack(">II", 100 << 12 | 64, 200 << 12 | 0x100 | 64) + core),
    mm.eth(0x8847, struct.pack(">II", 300 << 12 | 0x100 | 64, 0) + mm.eth4(core)),
    mm.eth(0x88A8, struct.pack(">HHHH", 10, 0x8100, 20, 0x8864) + struct.pack(">BBHHH", 0x11, 0, 0x42, 2 + len(core), 0x21) + core),
    mm.eth(0x88A8, struct.pack(">HH", 30, 0x88E7) + struct.pack(">I", 0x123456) + mm.eth4(core)),
    mm.eth(0x8926, struct.pack(">IH", 0x80010002, 0x0800) + core),
    mm.eth(0x8903, b"\x00\x41" + mm.eth4(core)),
    mm.eth(8 + len(core), b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + core),
]
open(sys.argv[1], "wb").write(mm.simple(pkts))
