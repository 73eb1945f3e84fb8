#!/usr/bin/python3
"""802.11 (plain, radiotap, PPI, Prism, AVS) and Apple PKTAP captures made
around real traffic, cross-checked with tshark.

Usage: check-wlan.py SOCKSCOPE CAPTURE   (CAPTURE: captures/real-ether.pcap)

No Wi-Fi hardware or macOS here, so scapy (Debian's python3-scapy,
importable by /usr/bin/python3 only) wraps the IP packet of every frame of a
real capture (made by the kernel between two namespaces by
scripts/make-captures.sh) in each link type's headers, keeping the
timestamps; AVS and PKTAP, which scapy lacks, are packed by hand.  For every
file, as check-encap.py does for tunnels:
  - tshark must decode the link's headers and the IP packet inside on every
    frame (its display filter matches them all; for the FCS case tshark
    checks the FCS and finds it good);
  - the inner 5-tuples tshark sees must be those of sockscope's records;
  - sockscope's connections (client, server, outcome) must be the real
    capture's.
Then noise: the radiotap file again with beacons, ACKs, null-function
frames, encrypted data frames, frames flagged with a bad FCS and headers cut
or garbled mixed in; the PKTAP file with nested, cut and short headers.
tshark must count each kind of frame as crafted, sockscope's reason counters
must equal those counts, and the connections stay the real ones.
Exits 77 when scapy or tshark is missing.  Prints "ok NAME" / "FAIL NAME".
"""
import collections
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    from scapy.all import (IP, LLC, SNAP, Dot11, Dot11Beacon, Dot11Elt, Dot11FCS, Dot11QoS,
                           PrismHeader, RadioTap, Raw, rdpcap)
    from scapy.contrib.ppi_cace import PPI_Dot11Common
    from scapy.layers.ppi import PPI, PPI_Hdr
except ImportError as e:
    print(f"SKIP: scapy not importable by {sys.executable}: {e}")
    sys.exit(77)
if shutil.which("tshark") is None:
    print("SKIP: tshark is not installed")
    sys.exit(77)

# The tunnel checker's helpers: sockscope's records, their keys, tshark's
# innermost 5-tuples and its count of frames matching a filter.
_spec = importlib.util.spec_from_file_location(
    "check_encap", os.path.join(os.path.dirname(os.path.abspath(__file__)), "check-encap.py"))
encap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(encap)

BSSID, STA, AP2 = "02:aa:00:00:00:01", "02:aa:00:00:00:02", "02:aa:00:00:00:03"


def llc_ip(ip):
    code = 0x0800 if ip.version == 4 else 0x86DD
    return LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=code) / ip


def data_hdr(fc="to-DS", cls=Dot11, subtype=0, **kw):
    return cls(type=2, subtype=subtype, FCfield=fc, addr1=BSSID, addr2=STA, addr3=AP2, **kw)


def w_80211(ip):
    return bytes(data_hdr() / llc_ip(ip))


def w_radiotap(ip):
    return bytes(RadioTap(present="TSFT+Flags", Flags=0) / data_hdr() / llc_ip(ip))


def w_radiotap_qos_fcs(ip):
    # QoS data from the AP, the FCS at the end (radiotap flag 0x10)
    return bytes(RadioTap(present="Flags", Flags="FCS") /
                 data_hdr("from-DS", Dot11FCS, 8) / Dot11QoS(TID=5) / llc_ip(ip))


def w_radiotap_wds_ht(ip):
    # 4-address WDS QoS data with the order bit: HT control after QoS
    return bytes(RadioTap() / data_hdr("to-DS+from-DS+order", Dot11, 8, addr4=STA) /
                 Dot11QoS(TID=1) / Raw(b"\x00\x00\x00\x00") / llc_ip(ip))


def w_radiotap_datapad(ip):
    # radiotap flag 0x20: the 26-byte QoS header padded to 28
    return bytes(RadioTap(present="TSFT+Flags", Flags=0x20) / data_hdr("to-DS", Dot11, 8) /
                 Dot11QoS() / Raw(b"\x00\x00") / llc_ip(ip))


def w_ppi(ip):
    # 802.11-Common's flags: FCS present (scapy needs the field header
    # spelled out, and the DLT, which it only guesses for Dot11)
    return bytes(PPI(dlt=105, headers=[PPI_Hdr() / PPI_Dot11Common(Pkt_Flags=1)]) /
                 data_hdr("to-DS", Dot11FCS) / llc_ip(ip))


def w_prism(ip):
    return bytes(PrismHeader() / data_hdr() / llc_ip(ip))


def w_avs(ip):
    # AVS capture header v1: magic/version, length 64, then radio fields
    return struct.pack(">II", 0x80211001, 64) + bytes(56) + bytes(data_hdr() / llc_ip(ip))


def pktap(dlt, frame, length=108, rectype=1):
    """A PKTAP header of 108 bytes whose length field says `length`."""
    hdr = struct.pack("<III", length, rectype, dlt) + b"en0".ljust(24, b"\0")
    return hdr + bytes(108 - len(hdr)) + frame


def w_pktap_ether(frame):
    return pktap(1, bytes(frame))


def w_pktap_null(frame):
    # BSD loopback inside: the address family in the writer's (LE) order
    ip = frame.payload
    return pktap(0, struct.pack("<I", 2 if ip.version == 4 else 30) + bytes(ip))


# name, link type, tshark filter proving the framing on every frame,
# wrap (takes the IP packet, or the Ethernet frame for PKTAP), tshark args
def on_ip(wrap):
    return lambda f: wrap(f.payload)


IP_ANY = "(ip or ipv6) and (tcp or udp or icmp or icmpv6)"
CASES = [
    ("80211", 105, f"wlan.fc.type == 2 and llc and {IP_ANY}", on_ip(w_80211), []),
    ("radiotap", 127, f"radiotap and wlan.fc.type == 2 and llc and {IP_ANY}",
     on_ip(w_radiotap), []),
    ("radiotap-qos-fcs", 127, f"radiotap.flags.fcs == 1 and wlan.qos and wlan.fcs.status == 1 "
     f"and {IP_ANY}", on_ip(w_radiotap_qos_fcs), ["-o", "wlan.check_checksum:TRUE"]),
    ("radiotap-wds-ht", 127, f"wlan.fc.ds == 3 and wlan.ra and wlan.ta and wlan.htc "
     f"and {IP_ANY}", on_ip(w_radiotap_wds_ht), []),
    ("radiotap-datapad", 127, f"radiotap.flags.datapad == 1 and wlan.qos and {IP_ANY}",
     on_ip(w_radiotap_datapad), []),
    ("ppi-fcs", 192, f"ppi and wlan.fcs.status == 1 and {IP_ANY}", on_ip(w_ppi),
     ["-o", "wlan.check_checksum:TRUE"]),
    ("prism", 119, f"prism and wlan.fc.type == 2 and {IP_ANY}", on_ip(w_prism), []),
    ("avs", 163, f"wlancap and wlan.fc.type == 2 and {IP_ANY}", on_ip(w_avs), []),
    ("pktap-ether", 258, f"pktap and eth and {IP_ANY}", w_pktap_ether, []),
    ("pktap-null", 258, f"pktap and null and {IP_ANY}", w_pktap_null, []),
]


def write_pcap(path, linktype, records):
    """records: (time, bytes, wire length or None); caplen < wire length
    makes a snapped record."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for t, data, wire in records:
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), wire or len(data)))
            f.write(data)


def summary(out):
    return next(o for o in out if o["kind"] == "summary")


def conn_problems(conns, ref_keys):
    got = collections.Counter(encap.conn_key(o) for o in conns)
    if got == ref_keys:
        return []
    return [f"connections differ from the real capture's: missing "
            f"{dict(ref_keys - got)}, unexpected {dict(got - ref_keys)}"]


def check_case(exe, path, tfilter, targs, n, ref_keys):
    problems = []
    m = encap.tshark_count(path, tfilter, targs)
    if m != n:
        problems.append(f"tshark decodes `{tfilter}` in {m} of {n} frames")
    out = encap.sockscope(exe, path)
    conns = [o for o in out if o["kind"] == "connection"]
    problems += conn_problems(conns, ref_keys)
    seen = {(o["proto"],) + tuple(sorted([(o["client"]["ip"], o["client"]["port"]),
                                          (o["server"]["ip"], o["server"]["port"])]))
            for o in conns}
    ts = encap.tshark_tuples(path, targs)
    if ts != seen:
        problems.append(f"tshark's inner 5-tuples differ: only tshark {sorted(ts - seen)}, "
                        f"only sockscope {sorted(seen - ts)}")
    return problems, out, len(conns), len(ts)


def noise_radiotap(frames):
    """The radiotap case with every kind of frame sockscope must not track
    mixed in; returns (records, {reason: count}, {tshark filter: count})."""
    recs, want, tshark_want = [], collections.Counter(), {}
    beacon = bytes(RadioTap() / Dot11(type=0, subtype=8, addr1="ff:ff:ff:ff:ff:ff",
                                      addr2=BSSID, addr3=BSSID) /
                   Dot11Beacon() / Dot11Elt(ID=0, info=b"sockscope"))
    ack = bytes(RadioTap() / Dot11(type=1, subtype=13, addr1=STA))
    null = bytes(RadioTap() / data_hdr("to-DS", Dot11, 4))
    prot = bytes(RadioTap() / data_hdr("to-DS+protected", Dot11, 8) / Dot11QoS() /
                 Raw(bytes(range(8)) + b"\x5a" * 60))
    for i, f in enumerate(frames):
        t = float(f.time)
        ok = w_radiotap(f.payload)
        recs.append((t, ok, None))
        if i % 4 == 0:
            recs += [(t, beacon, None), (t, ack, None), (t, null, None), (t, prot, None)]
            want.update(wlan_mgmt=1, wlan_ctrl=1, wlan_no_data=1, wlan_protected=1)
            # the same data frame, flagged by the radio as failing its FCS
            bad = bytes(RadioTap(present="Flags", Flags="badFCS") / data_hdr() /
                        llc_ip(f.payload))
            recs.append((t, bad, None))
            want["bad_wlan_fcs"] += 1
            # cut by the snap length inside the radiotap header, inside
            # the 802.11 header
            recs.append((t, ok[:12], len(ok)))
            recs.append((t, ok[:17 + 20], len(ok)))
            want.update(trunc_radio=1, trunc_wlan=1)
            # it_len beyond the frame's wire length
            garbled = ok[:2] + struct.pack("<H", len(ok) + 100) + ok[4:]
            recs.append((t, garbled, None))
            want["bad_radio_header"] += 1
    k = sum(1 for i in range(len(frames)) if i % 4 == 0)
    tshark_want = {"wlan.fc.type == 0": k, "wlan.fc.type == 1": k,
                   "wlan.fc.type_subtype == 0x0024": k, "wlan.fc.protected == 1": k,
                   "radiotap.flags.badfcs == 1": k}
    return recs, want, tshark_want


def noise_pktap(frames):
    recs, want = [], collections.Counter()
    for i, f in enumerate(frames):
        t = float(f.time)
        ok = w_pktap_ether(f)
        recs.append((t, ok, None))
        if i % 4 == 0:
            recs.append((t, pktap(258, ok), None))            # PKTAP in PKTAP
            recs.append((t, pktap(1, bytes(f), 20), None))    # length below 108
            recs.append((t, ok[:60], len(ok)))                # cut in the header
            recs.append((t, pktap(1, bytes(f), rectype=0), None))  # not a packet
            want.update(bad_pktap_header=2, trunc_pktap=1, non_ip=1)
    return recs, want


def check_counters(out, want):
    s = summary(out)
    have = {**s["ignored"], **s["truncated"], **s["invalid"]}
    return [f"{r}: counted {have.get(r)}, want {n}" for r, n in sorted(want.items())
            if have.get(r) != n]


def main():
    exe, real = sys.argv[1], sys.argv[2]
    frames = rdpcap(real)
    ref = [o for o in encap.sockscope(exe, real) if o["kind"] == "connection"]
    ref_keys = collections.Counter(encap.conn_key(o) for o in ref)
    passed = failed = 0
    tmp = tempfile.mkdtemp(prefix="sockscope-wlan.")

    def report(name, problems, detail):
        nonlocal passed, failed
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for p in problems:
                print(f"     {p}")
        else:
            passed += 1
            print(f"ok   {name}: {detail}")

    try:
        for name, linktype, tfilter, wrap, targs in CASES:
            path = os.path.join(tmp, name + ".pcap")
            write_pcap(path, linktype, [(float(f.time), wrap(f), None) for f in frames])
            problems, out, nc, nt = check_case(exe, path, tfilter, targs, len(frames), ref_keys)
            s = summary(out)
            if s["decoded"] != len(frames):
                problems.append(f"decoded {s['decoded']} of {len(frames)} frames")
            report(name, problems, f"{len(frames)} frames, {nc} connections, "
                   f"{nt} inner 5-tuples as tshark")

        # USER2 as older macOS tcpdump wrote PKTAP: tshark reads it as PKTAP
        # when told that user link type 2 is PKTAP.
        path = os.path.join(tmp, "user2-pktap.pcap")
        write_pcap(path, 149, [(float(f.time), w_pktap_ether(f), None) for f in frames])
        uat = ["-o", 'uat:user_dlts:"User 2 (DLT=149)","pktap","0","","0",""']
        problems, out, nc, nt = check_case(exe, path, f"pktap and {IP_ANY}", uat,
                                           len(frames), ref_keys)
        report("user2-pktap", problems, f"{nc} connections, {nt} inner 5-tuples as tshark")

        path = os.path.join(tmp, "radiotap-noise.pcap")
        recs, want, tshark_want = noise_radiotap(frames)
        write_pcap(path, 127, recs)
        out = encap.sockscope(exe, path)
        problems = check_counters(out, want)
        for flt, n in tshark_want.items():
            m = encap.tshark_count(path, flt, [])
            if m != n:
                problems.append(f"tshark counts `{flt}` in {m} frames, crafted {n}")
        problems += conn_problems([o for o in out if o["kind"] == "connection"], ref_keys)
        report("radiotap-noise", problems, f"{len(recs)} frames, reasons {dict(want)}")

        path = os.path.join(tmp, "pktap-noise.pcap")
        recs, want = noise_pktap(frames)
        write_pcap(path, 258, recs)
        out = encap.sockscope(exe, path)
        problems = check_counters(out, want) + conn_problems(
            [o for o in out if o["kind"] == "connection"], ref_keys)
        report("pktap-noise", problems, f"{len(recs)} frames, reasons {dict(want)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
