#!/usr/bin/python3
"""802.11 (plain, radiotap, PPI, Prism, AVS; 802.11s Mesh Control; A-MSDU),
PPI in front of Ethernet and raw IP, and Apple PKTAP captures made around
real traffic, cross-checked with tshark.

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
Then A-MSDU: the real packets aggregated in A-MSDU frames (runs of up to
three of one sender), with and without an FCS: tshark must find every real
packet in a subframe and name the same clients by their SYNs, sockscope the
same connections and conversations; the summary counts frames and
subframes.  Then noise: the radiotap file again with beacons, ACKs, null-function
frames, encrypted data frames, frames flagged with a bad FCS and headers cut
or garbled mixed in; the PKTAP file with nested, cut and short headers;
the A-MSDU file with ARP, zero-length, cut, overlong and mesh subframes.
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

REAL_ETHER_COPY = [None]   # the real capture's path, for tshark's reference tuples
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


def w_ppi_ether(frame):
    # PPI in front of Ethernet: its header names the link type (DLT 1)
    return bytes(PPI(dlt=1, headers=[PPI_Hdr() / PPI_Dot11Common()]) / frame)


def w_ppi_raw(ip):
    # ... and in front of raw IP (LINKTYPE_RAW 101)
    return bytes(PPI(dlt=101, headers=[PPI_Hdr() / PPI_Dot11Common()]) / ip)


def w_radiotap_mesh(ip):
    # 802.11s: four addresses, QoS Mesh Control Present (bit 8), then a
    # Mesh Control (flags: address extension mode 2, TTL, sequence, two
    # addresses) before LLC/SNAP
    mesh = struct.pack("<BBI", 2, 31, 7) + bytes.fromhex("02aa00000004" "02aa00000005")
    return bytes(RadioTap() / data_hdr("to-DS+from-DS", Dot11, 8, addr4=STA) /
                 Raw(struct.pack("<H", 0x0100) + mesh) / llc_ip(ip))


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
    ("ppi-ether", 192, f"ppi and eth and {IP_ANY}", w_ppi_ether, []),
    ("ppi-raw", 192, f"ppi and raw and {IP_ANY}", on_ip(w_ppi_raw), []),
    ("radiotap-mesh", 127, f"wlan.fc.ds == 3 and wlan.mesh.control_field and {IP_ANY}",
     on_ip(w_radiotap_mesh), []),
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


def amsdu_sub(payload, last):
    """One A-MSDU subframe: DA, SA, length (big-endian), the MSDU, padded
    to 4 bytes unless it is the frame's last."""
    b = bytes.fromhex("02aa00000001" "02aa00000002") + struct.pack(">H", len(payload)) + payload
    return b if last else b + bytes(-len(b) % 4)


def amsdu_frame(subframes, fcs=False):
    """Radiotap + QoS data with the A-MSDU present bit around subframes
    (bytes, already padded); with the FCS when asked (radiotap flag)."""
    hdr = data_hdr("to-DS", Dot11FCS if fcs else Dot11, 8)
    rt = RadioTap(present="Flags", Flags="FCS") if fcs else RadioTap()
    return bytes(rt / hdr / Dot11QoS(TID=3, A_MSDU_Present=1) / Raw(b"".join(subframes)))


def amsdu_groups(frames):
    """The real packets in runs of up to 3 of the same sender: what one
    station's A-MSDU would aggregate (never reordering the capture)."""
    groups = []
    for f in frames:
        if groups and len(groups[-1]) < 3 and groups[-1][-1].payload.src == f.payload.src:
            groups[-1].append(f)
        else:
            groups.append([f])
    return groups


def amsdu_records(groups, fcs):
    """One A-MSDU frame per group, at the time of its first packet."""
    recs = []
    for g in groups:
        subs = [amsdu_sub(bytes(llc_ip(f.payload)), i == len(g) - 1) for i, f in enumerate(g)]
        recs.append((float(g[0].time), amsdu_frame(subs, fcs), None))
    return recs


def tshark_all_tuples(path, targs=()):
    """Every IP + TCP/UDP 5-tuple of every frame, several per frame (one
    per A-MSDU subframe), in tshark's layer order; quoted ones (inside ICMP
    errors) left out."""
    fields = ["frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
              "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.flags"]
    cmd = ["tshark", "-n", "-r", path, *targs, "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    tuples, clients = collections.Counter(), set()
    for line in out.splitlines():
        v = [x.split(",") if x else [] for x in line.split("\t")]
        lists = dict(zip(["ip", "ipv6", "tcp", "udp"],
                         [list(zip(v[1], v[2])), list(zip(v[3], v[4])),
                          list(zip(v[5], v[6], v[9])), list(zip(v[7], v[8]))]))
        addr, quoted = None, False
        for layer in v[0][0].split(":"):
            if layer == "llc":
                quoted = False
            elif layer in ("icmp", "icmpv6"):
                quoted = True
            if layer not in lists:
                continue
            val = lists[layer].pop(0)
            if layer in ("ip", "ipv6"):
                addr = val
            elif not quoted:
                key = (layer,) + tuple(sorted([(addr[0], int(val[0])),
                                               (addr[1], int(val[1]))]))
                tuples[key] += 1
                # a SYN without ACK: its sender is the client
                if layer == "tcp" and int(val[2], 16) & 0x12 == 0x02:
                    clients.add((key, (addr[0], int(val[0]))))
    return tuples, clients


def sockscope_tuples(conns):
    return {(o["proto"],) + tuple(sorted([(o["client"]["ip"], o["client"]["port"]),
                                          (o["server"]["ip"], o["server"]["port"])]))
            for o in conns}


def check_amsdu(exe, tmp, frames, ref_keys, fcs):
    """The real packets aggregated into A-MSDUs: tshark must find every
    packet in a subframe, sockscope the same packets, conversations and the
    real capture's connections."""
    groups = amsdu_groups(frames)
    path = os.path.join(tmp, f"amsdu{'-fcs' if fcs else ''}.pcap")
    write_pcap(path, 127, amsdu_records(groups, fcs))
    targs = ["-o", "wlan.check_checksum:TRUE"] if fcs else []
    problems = []
    flt = "wlan.qos.amsdupresent == 1" + (" and wlan.fcs.status == 1" if fcs else "")
    m = encap.tshark_count(path, flt, targs)
    if m != len(groups):
        problems.append(f"tshark sees `{flt}` in {m} of {len(groups)} frames")
    tt, tclients = tshark_all_tuples(path, targs)
    ref_tt, _ = tshark_all_tuples(REAL_ETHER_COPY[0])
    if tt != ref_tt:
        problems.append(f"tshark's 5-tuples per packet differ from the real capture's: "
                        f"{dict(tt - ref_tt)} / {dict(ref_tt - tt)}")
    out = encap.sockscope(exe, path)
    conns = [o for o in out if o["kind"] == "connection"]
    problems += conn_problems(conns, ref_keys)
    if sockscope_tuples(conns) != set(tt):
        problems.append(f"sockscope's conversations {sorted(sockscope_tuples(conns))} are not "
                        f"tshark's {sorted(set(tt))}")
    # the roles: the sender of the SYNs tshark sees is sockscope's client
    ours = {(k, (o["client"]["ip"], o["client"]["port"]))
            for o, k in zip(conns, [next(iter(sockscope_tuples([c]))) for c in conns])
            if o["proto"] == "tcp"}
    if not tclients or not tclients <= ours:
        problems.append(f"clients by tshark's SYNs {sorted(tclients - ours)} are not "
                        f"sockscope's")
    s = summary(out)
    want = {"packets": len(groups), "decoded": len(frames),
            "amsdu": {"frames": len(groups), "subframes": len(frames)}}
    for k, v in want.items():
        if s.get(k) != v:
            problems.append(f"summary {k}: {s.get(k)}, want {v}")
    # the reports for people say why decoded exceeds the packets read
    said = f"{len(groups)} 802.11 A-MSDU frames carried {len(frames)} packets (subframes)"
    for fmt in ("text", "markdown", "html"):
        rep = subprocess.run([exe, "-F", fmt, "-r", path], capture_output=True, text=True,
                             timeout=120).stdout
        if said not in rep:
            problems.append(f"-F {fmt} does not say '{said}'")
    return problems, f"{len(frames)} packets in {len(groups)} A-MSDU frames, {len(conns)} " \
                     f"connections, {len(tt)} 5-tuples as tshark"


def noise_amsdu(frames):
    """The A-MSDU file with malformed and foreign subframes mixed in: an
    ARP subframe, a zero-length subframe and a real packet behind it (which
    must not be read: after a malformed subframe nothing is), a frame cut
    inside its second subframe header, one whose subframe length runs past
    the frame, a mesh A-MSDU."""
    groups = amsdu_groups(frames)
    recs, want = amsdu_records(groups, False), collections.Counter()
    arp = amsdu_sub(bytes(LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x0806) /
                          Raw(bytes(28))), False)
    n = 0
    for i, g in enumerate(groups):
        if i % 4:
            continue
        n += 1
        t = float(g[0].time)
        dup = amsdu_sub(bytes(llc_ip(g[0].payload)), True)
        zero = bytes.fromhex("02aa00000001" "02aa00000002") + b"\0\0" + bytes(2)
        recs.append((t, amsdu_frame([arp, zero, dup]), None))
        want.update(non_ip=1, bad_amsdu_subframe=1)
        whole = amsdu_frame([arp, dup])
        cut = len(whole) - len(dup) + 6
        recs.append((t, whole[:cut], len(whole)))
        want.update(non_ip=1, trunc_amsdu=1)
        long = bytearray(amsdu_frame([dup]))
        at = len(long) - len(dup) + 12
        long[at:at + 2] = struct.pack(">H", 4000)
        recs.append((t, bytes(long), None))
        want["bad_amsdu_subframe"] += 1
        mesh = struct.pack("<BBI", 0, 31, 7) + bytes(llc_ip(g[0].payload))
        mframe = bytes(RadioTap() / data_hdr("to-DS+from-DS", Dot11, 8, addr4=STA) /
                       Raw(struct.pack("<H", 0x0180)) / Raw(amsdu_sub(mesh, True)))
        recs.append((t, mframe, None))
        want["wlan_mesh_amsdu"] += 1
    return recs, want, n


def check_counters(out, want):
    s = summary(out)
    have = {**s["ignored"], **s["truncated"], **s["invalid"]}
    return [f"{r}: counted {have.get(r)}, want {n}" for r, n in sorted(want.items())
            if have.get(r) != n]


def main():
    exe, real = sys.argv[1], sys.argv[2]
    REAL_ETHER_COPY[0] = real
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

        for fcs in (False, True):
            problems, detail = check_amsdu(exe, tmp, frames, ref_keys, fcs)
            report("radiotap-amsdu" + ("-fcs" if fcs else ""), problems, detail)

        path = os.path.join(tmp, "amsdu-noise.pcap")
        recs, want, n = noise_amsdu(frames)
        write_pcap(path, 127, recs)
        out = encap.sockscope(exe, path)
        problems = check_counters(out, want) + conn_problems(
            [o for o in out if o["kind"] == "connection"], ref_keys)
        # tshark: the zero-length subframe ends its frame as malformed
        # too, and sees the subframe behind it in none of them
        m = encap.tshark_count(path, "wlan.qos.amsdupresent == 1 and _ws.malformed", [])
        if m < n:
            problems.append(f"tshark calls {m} A-MSDU frames malformed, crafted at least {n}")
        report("amsdu-noise", problems, f"{len(recs)} frames, reasons {dict(want)}")

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
