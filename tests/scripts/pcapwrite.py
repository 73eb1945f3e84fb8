"""Writes classic pcap files of hand-made IPv4/TCP frames for the test
scripts that need captures far larger than the bundled ones (floods, many
clients).  Standard library only."""
import struct

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)   # EN10MB, us


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def tcp_frame(src, dst, sport, dport, flags, seq, ack=0):
    """An Ethernet frame holding an IPv4/TCP header with no payload;
    src and dst are 4-byte addresses."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, dst))
    struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + bytes(ip) + tcp


def record(f, sec, usec, data):
    f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
    f.write(data)
