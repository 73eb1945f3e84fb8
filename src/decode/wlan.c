/* 802.11 link types: the radio pseudo-headers (radiotap, PPI, Prism, AVS)
 * that monitor-mode captures put in front of each frame, and the 802.11 MAC
 * header behind them, down to the LLC/SNAP header that ethertype.c takes
 * over (PPI also in front of any other link type: ss_decap_dlt()).
 *
 * Only unencrypted data frames carry IP that sockscope can read; everything
 * else comes back as a named reason (wlan_mgmt, wlan_ctrl, wlan_protected...)
 * so that a Wi-Fi capture full of beacons and encrypted traffic says so in
 * the summary instead of looking empty.  Each pseudo-header is skipped by its
 * own length field, checked against the captured length first: a header
 * longer than the capture is truncation, one that contradicts itself (too
 * short, wrong version, longer than the wire) is invalid.  Lives apart from
 * link.c because it is a family of formats of its own (about 300 lines). */
#include "decode/internal.h"

enum {
	/* LINKTYPE_IEEE802_11: DLT_IEEE802_11 is 105 everywhere. */
	WLAN_DLT_80211 = 105,

	/* Frame control, first byte: version (2 bits), type (2), subtype (4). */
	WLAN_TYPE_MGMT = 0,
	WLAN_TYPE_CTRL = 1,
	WLAN_TYPE_DATA = 2,
	WLAN_SUBTYPE_QOS = 0x8,      /* QoS data subtypes: a QoS control field */
	WLAN_SUBTYPE_NO_DATA = 0x4,  /* null function, CF-Ack/Poll without data */
	/* Frame control, second byte. */
	WLAN_FC_TO_DS = 0x01,
	WLAN_FC_FROM_DS = 0x02,
	WLAN_FC_PROTECTED = 0x40,
	WLAN_FC_ORDER = 0x80,        /* in a QoS frame: an HT control field */
	WLAN_QOS_AMSDU = 0x0080,
	WLAN_QOS_MESH = 0x0100,      /* Mesh Control Present (mesh BSS) */

	/* A-MSDU subframe header: DA, SA, length (big-endian, as 802.3). */
	AMSDU_SUBFRAME_HDR = 14,
	/* Mesh Control: flags (address extension mode in bits 0-1, the rest
	 * reserved), TTL, sequence number, then 0, 6 or 12 bytes of
	 * addresses. */
	MESH_FLAGS_AE = 0x03,
	MESH_AE_RESERVED = 3,
	MESH_CONTROL_MIN = 6,

	/* radiotap flags field (present bit 1) */
	RADIOTAP_PRESENT_TSFT = 0x1,
	RADIOTAP_PRESENT_FLAGS = 0x2,
	RADIOTAP_PRESENT_EXT = 0x80000000u,
	RADIOTAP_F_FCS = 0x10,       /* the frame ends with its 4-byte FCS */
	RADIOTAP_F_DATAPAD = 0x20,   /* padding between the MAC header and the body */
	RADIOTAP_F_BADFCS = 0x40,

	/* PPI field 2: 802.11-Common (20 bytes); its flags at offset 8. */
	PPI_FIELD_80211_COMMON = 2,
	PPI_F_ALIGNED = 0x01,        /* pph_flags: fields 32-bit aligned */
	PPI_COMMON_FCS = 0x0001,
	PPI_COMMON_BADFCS = 0x0004,

	PRISM_HEADER_LEN = 144,      /* msgcode, msglen, devname[16], 10 items */
	AVS_MAGIC_V1 = 0x80211001,
	AVS_MAGIC_V2 = 0x80211002,
	AVS_MIN_LEN = 8,

	WLAN_FCS_LEN = 4,
};

/* What a pseudo-header says about the frame behind it. */
typedef struct {
	gboolean fcs;      /* the frame ends with its FCS */
	gboolean datapad;  /* the MAC header is padded to 4 bytes */
} wlan_frame_info;

/* Cuts the FCS off the end of the frame in c.  Bytes the capture did not
 * keep are all at the end, so the frame's wire length is what is left of the
 * capture plus what was never captured; the FCS is its last 4 bytes, which
 * a snapped capture holds in part or not at all. */
static void trim_fcs(const ss_decap *d, ss_cursor *c)
{
	gsize wire = c->len + (d->out->wirelen - d->out->caplen);
	gsize keep = wire > WLAN_FCS_LEN ? wire - WLAN_FCS_LEN : 0;
	if (c->len > keep)
		c->len = keep;
}

/* Two statements: the order of the reads must not be left to the
 * compiler, as it would be inside one expression. */
static guint16 get_le16(ss_cursor *c)
{
	guint16 lo = ss_get_u8(c);
	return (guint16)(lo | ss_get_u8(c) << 8);
}

/* The bytes of the frame left on the wire from the start of c (the FCS
 * excluded): what c holds plus what the capture never kept, which is all
 * at the end, less the part of that which was the FCS. */
static gsize wire_left(const ss_decap *d, const ss_cursor *c, wlan_frame_info info)
{
	gsize uncaptured = d->out->wirelen - d->out->caplen;
	if (info.fcs)
		uncaptured = uncaptured > WLAN_FCS_LEN ? uncaptured - WLAN_FCS_LEN : 0;
	return c->len + uncaptured;
}

/* A Mesh Control field at the start of c when the QoS control says one is
 * present: skipped.  The QoS bit means Mesh Control Present only in a mesh
 * BSS (elsewhere it is part of the TXOP or queue size), so, as Wireshark
 * does, the field is taken as present only when its flags byte has the
 * reserved bits clear: an LLC header (0xaa) never does, so a frame of
 * another BSS is read as it was.  Address extension mode 3 is reserved:
 * bad_wlan_header. */
static ss_reason skip_mesh_control(ss_cursor *c, guint16 qos)
{
	if (!(qos & WLAN_QOS_MESH) || c->len == 0 || (c->p[0] & ~MESH_FLAGS_AE) != 0)
		return SS_REASON_OK;
	guint ae = c->p[0] & MESH_FLAGS_AE;
	if (ae == MESH_AE_RESERVED)
		return SS_REASON_BAD_WLAN_HEADER;
	ss_skip(c, MESH_CONTROL_MIN + 6 * ae);
	return c->trunc ? SS_REASON_TRUNC_WLAN : SS_REASON_OK;
}

/* An MSDU: (Mesh Control, when `qos` says it may be there,) LLC/SNAP,
 * and the packet it names. */
static ss_reason decap_msdu(ss_decap *d, ss_cursor c, guint16 qos)
{
	ss_reason r = skip_mesh_control(&c, qos);
	if (r != SS_REASON_OK)
		return r;
	guint16 ethertype;
	r = ss_llc_snap(&c, &ethertype);
	if (r != SS_REASON_OK)
		return r;
	return ss_decap_ethertype(d, &c, ethertype);
}

/* One subframe of an A-MSDU whose body starts at c: the one at
 * d->parts_at (0: the first), decoded as a packet of its own, and
 * d->parts->next set to the one after it.  Each subframe is DA, SA,
 * length, the MSDU (LLC/SNAP, the packet), then padding to 4 bytes except
 * after the last.  A subframe header the
 * capture cut (or subframes it cut off whole) is trunc_amsdu; a length of
 * 0 or one running past the frame on the wire is bad_amsdu_subframe, and
 * nothing after it is read: its end, and so the next subframe's start, is
 * unknown.  The packet's caplen and wirelen become the subframe's. */
static ss_reason decap_amsdu(ss_decap *d, ss_cursor c, wlan_frame_info info, guint16 qos)
{
	gsize wire = wire_left(d, &c, info);
	gsize at = d->parts_at;
	/* Counted whatever it turns out to be: each is a packet's reason. */
	d->parts->subframes++;
	/* Past what was captured: the subframes the snap length cut off, or
	 * (past the wire too) not a value this decoder handed out. */
	if (at > c.len)
		return at < wire ? SS_REASON_TRUNC_AMSDU : SS_REASON_BAD_AMSDU_SUBFRAME;
	ss_skip(&c, at);
	wire -= at;
	ss_cursor h = c;
	ss_skip(&h, 12);  /* DA, SA: the packet's own headers name the hosts */
	guint16 len = ss_get_be16(&h);
	if (h.trunc)
		return wire >= AMSDU_SUBFRAME_HDR ? SS_REASON_TRUNC_AMSDU
						  : SS_REASON_BAD_AMSDU_SUBFRAME;
	if (len == 0 || AMSDU_SUBFRAME_HDR + (gsize)len > wire)
		return SS_REASON_BAD_AMSDU_SUBFRAME;
	ss_cursor msdu = ss_cursor_sub(&h, len);
	d->out->caplen = (guint32)(AMSDU_SUBFRAME_HDR + msdu.len);
	d->out->wirelen = (guint32)(AMSDU_SUBFRAME_HDR + len);
	/* The next subframe starts 4-aligned (the body starts a subframe, so
	 * body offsets align as the subframes do); 1-3 bytes left after the
	 * last are its padding, sent anyway by some writers. */
	/* Mesh A-MSDUs put a Mesh Control in every subframe, and writers
	 * disagree on whether the length counts it (and on its byte order:
	 * Linux's mac80211 reads three variants), so where the next subframe
	 * starts is not known: the frame ends here, counted, not guessed. */
	if ((qos & WLAN_QOS_MESH) && msdu.len > 0 && (msdu.p[0] & ~MESH_FLAGS_AE) == 0)
		return SS_REASON_WLAN_MESH_AMSDU;
	gsize end = at + AMSDU_SUBFRAME_HDR + len;
	gsize next = (end + 3) & ~(gsize)3;
	if (next < at + wire)
		d->parts->next = (guint32)next;
	return decap_msdu(d, msdu, 0);
}

/* The MAC header of a frame, then (data frames only) LLC/SNAP. */
static ss_reason decap_mac(ss_decap *d, ss_cursor c, wlan_frame_info info)
{
	guint8 fc0 = ss_get_u8(&c);
	guint8 fc1 = ss_get_u8(&c);
	if (c.trunc)
		return SS_REASON_TRUNC_WLAN;
	if ((fc0 & 0x3) != 0)
		return SS_REASON_BAD_WLAN_HEADER;
	guint type = (fc0 >> 2) & 0x3, subtype = fc0 >> 4;
	if (type == WLAN_TYPE_CTRL)
		return SS_REASON_WLAN_CTRL;
	if (type != WLAN_TYPE_DATA)
		return SS_REASON_WLAN_MGMT; /* 0, and 3: DMG/S1G beacons */
	if (subtype & WLAN_SUBTYPE_NO_DATA)
		return SS_REASON_WLAN_NO_DATA;

	/* Duration, addresses 1-3, sequence control; a fourth address when
	 * both DS bits are set (WDS, mesh). */
	gsize hdr = 24;
	ss_skip(&c, 2 + 18);
	guint16 seq = get_le16(&c);
	if ((fc1 & (WLAN_FC_TO_DS | WLAN_FC_FROM_DS)) == (WLAN_FC_TO_DS | WLAN_FC_FROM_DS)) {
		ss_skip(&c, 6);
		hdr += 6;
	}
	guint16 qos = 0;
	if (subtype & WLAN_SUBTYPE_QOS) {
		qos = get_le16(&c);
		hdr += 2;
		if (fc1 & WLAN_FC_ORDER) {
			ss_skip(&c, 4);
			hdr += 4;
		}
	}
	if (c.trunc)
		return SS_REASON_TRUNC_WLAN;
	/* The body is ciphertext: nothing to read, but worth saying. */
	if (fc1 & WLAN_FC_PROTECTED)
		return SS_REASON_WLAN_PROTECTED;
	if ((seq & 0xf) != 0)
		return SS_REASON_WLAN_FRAGMENT;
	if (info.datapad && (hdr & 3) != 0) {
		ss_skip(&c, 4 - (hdr & 3));
		if (c.trunc)
			return SS_REASON_TRUNC_WLAN;
	}
	/* Several subframes, each its own packet.  A caller that takes one
	 * packet per frame (ss_decode()) would silently lose all but the
	 * first: it is told wlan_amsdu instead. */
	if (qos & WLAN_QOS_AMSDU) {
		if (d->parts == NULL)
			return SS_REASON_WLAN_AMSDU;
		return decap_amsdu(d, c, info, qos);
	}
	return decap_msdu(d, c, qos);
}

ss_reason ss_decap_80211(ss_decap *d, ss_cursor c)
{
	wlan_frame_info info = { FALSE, FALSE };
	return decap_mac(d, c, info);
}

/* A pseudo-header whose fixed part was read through h, claiming `len`
 * bytes at the start of c: cut short when h ran out or `len` is more than
 * was captured; impossible when of an unknown version, shorter than its
 * fixed part or longer than the wire frame. */
static ss_reason check_header(const ss_decap *d, const ss_cursor *c, const ss_cursor *h,
			      gboolean known_version, gsize len, gsize min)
{
	if (h->trunc)
		return SS_REASON_TRUNC_RADIO;
	if (!known_version || len < min || len > c->len + (d->out->wirelen - d->out->caplen))
		return SS_REASON_BAD_RADIO_HEADER;
	if (len > c->len)
		return SS_REASON_TRUNC_RADIO;
	return SS_REASON_OK;
}

/* radiotap: version 0, pad, it_len (LE, the whole header), then present
 * bitmaps (bit 31: another follows) and the fields they announce, each
 * aligned to its own size from the header's start.  Only the flags field is
 * read (FCS present, header padding, bad FCS); it follows TSFT, the only
 * field before it. */
ss_reason ss_decap_radiotap(ss_decap *d, ss_cursor c)
{
	ss_cursor h = c;
	guint8 version = ss_get_u8(&h);
	ss_skip(&h, 1);
	guint16 it_len = get_le16(&h);
	ss_reason r = check_header(d, &c, &h, version == 0, it_len, 8);
	if (r != SS_REASON_OK)
		return r;

	/* Walk the bitmaps inside it_len; a chain that runs past it is a
	 * header that contradicts its own length. */
	h = ss_cursor_make(c.p, it_len);
	ss_skip(&h, 4);
	guint32 first = ss_get_le32(&h), word = first;
	while ((word & RADIOTAP_PRESENT_EXT) && !h.trunc)
		word = ss_get_le32(&h);
	if (h.trunc)
		return SS_REASON_BAD_RADIO_HEADER;

	wlan_frame_info info = { FALSE, FALSE };
	if (first & RADIOTAP_PRESENT_FLAGS) {
		gsize off = it_len - h.len;
		if (first & RADIOTAP_PRESENT_TSFT)
			off = ((off + 7) & ~(gsize)7) + 8;
		if (off >= it_len)
			return SS_REASON_BAD_RADIO_HEADER;
		guint8 flags = c.p[off];
		if (flags & RADIOTAP_F_BADFCS)
			return SS_REASON_BAD_WLAN_FCS;
		info.fcs = (flags & RADIOTAP_F_FCS) != 0;
		info.datapad = (flags & RADIOTAP_F_DATAPAD) != 0;
	}
	ss_skip(&c, it_len);
	if (info.fcs)
		trim_fcs(d, &c);
	return decap_mac(d, c, info);
}

/* PPI: version 0, flags, pph_len (LE, the whole header), the DLT of what
 * follows (LE), then fields (type, length, data; padded to 4 bytes when
 * the aligned flag is set).  The 802.11-Common field says whether an
 * 802.11 frame carries its FCS.  Behind PPI comes any link type sockscope
 * decodes (PPI was made for 802.11, but its header names the link type and
 * writers put Ethernet or raw IP there too): anything other than 802.11
 * goes through the link dispatch (link.c), which refuses PPI in PPI. */
ss_reason ss_decap_ppi(ss_decap *d, ss_cursor c)
{
	ss_cursor h = c;
	guint8 version = ss_get_u8(&h);
	guint8 pflags = ss_get_u8(&h);
	guint16 pph_len = get_le16(&h);
	guint32 dlt = ss_get_le32(&h);
	ss_reason r = check_header(d, &c, &h, version == 0, pph_len, 8);
	if (r != SS_REASON_OK)
		return r;

	wlan_frame_info info = { FALSE, FALSE };
	h = ss_cursor_make(c.p + 8, pph_len - 8u);
	while (h.len > 0) {
		guint16 ftype = get_le16(&h);
		guint16 flen = get_le16(&h);
		ss_cursor field = ss_cursor_sub(&h, flen);
		if (h.trunc || field.len < flen)
			return SS_REASON_BAD_RADIO_HEADER;
		if (ftype == PPI_FIELD_80211_COMMON && flen >= 20) {
			guint16 f = (guint16)(field.p[8] | field.p[9] << 8);
			if (f & PPI_COMMON_BADFCS)
				return SS_REASON_BAD_WLAN_FCS;
			info.fcs = (f & PPI_COMMON_FCS) != 0;
		}
		if ((pflags & PPI_F_ALIGNED) && (flen & 3) != 0)
			ss_skip(&h, MIN(h.len, (gsize)(4 - (flen & 3))));
	}
	ss_skip(&c, pph_len);
	if (dlt != WLAN_DLT_80211)
		return ss_decap_dlt(d, dlt, c);
	if (info.fcs)
		trim_fcs(d, &c);
	return decap_mac(d, c, info);
}

/* AVS (wlan-ng's capture header): magic/version and header length, both
 * big-endian, then radio fields the decoder does not need. */
ss_reason ss_decap_avs(ss_decap *d, ss_cursor c)
{
	ss_cursor h = c;
	guint32 version = ss_get_be32(&h);
	guint32 len = ss_get_be32(&h);
	ss_reason r = check_header(d, &c, &h, version == AVS_MAGIC_V1 || version == AVS_MAGIC_V2,
				   len, AVS_MIN_LEN);
	if (r != SS_REASON_OK)
		return r;
	ss_skip(&c, len);
	return ss_decap_80211(d, c);
}

/* Prism (linux-wlan-ng, old Linux drivers): msgcode, msglen in the
 * capturing host's byte order, then a fixed set of items: always 144
 * bytes.  Drivers that write an AVS header under this link type are told
 * apart by AVS's magic, as Wireshark does. */
ss_reason ss_decap_prism(ss_decap *d, ss_cursor c)
{
	ss_cursor h = c;
	guint32 magic = ss_get_be32(&h);
	guint32 msglen = ss_get_le32(&h);
	if (h.trunc)
		return SS_REASON_TRUNC_RADIO;
	if (magic == AVS_MAGIC_V1 || magic == AVS_MAGIC_V2)
		return ss_decap_avs(d, c);
	if (msglen != PRISM_HEADER_LEN && GUINT32_SWAP_LE_BE(msglen) == PRISM_HEADER_LEN)
		msglen = PRISM_HEADER_LEN;
	ss_reason r = check_header(d, &c, &h, msglen == PRISM_HEADER_LEN, msglen,
				   PRISM_HEADER_LEN);
	if (r != SS_REASON_OK)
		return r;
	ss_skip(&c, msglen);
	return ss_decap_80211(d, c);
}
