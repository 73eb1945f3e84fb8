/* Link layer: find where the frame, type field or IP header starts and
 * which version the link claims, then hand over to the decapsulation chain
 * (ethertype.c for what follows a type field, ip.c for IP). */
#include <pcap/dlt.h>
#include <string.h>

#include "decode/internal.h"

typedef enum {
	LINK_NONE,
	LINK_ETHERNET,
	LINK_SLL,
	LINK_SLL2,
	LINK_RAW,
	LINK_IPV4,
	LINK_IPV6,
	LINK_NULL,
	LINK_LOOP,
	LINK_PPP,          /* PPP, PPP_SERIAL: [ff 03] protocol */
	LINK_PPPOE,        /* PPP_ETHER: a PPPoE session header, no Ethernet */
	LINK_CHDLC,        /* Cisco HDLC: address, control, ethertype */
	LINK_IPOIB,        /* IP over InfiniBand: ethertype, reserved */
	LINK_NFLOG,        /* Linux NFLOG: TLVs, one of them the packet */
	LINK_80211,        /* 802.11 MAC header (wlan.c) */
	LINK_RADIOTAP,     /* radiotap + 802.11 */
	LINK_PPI,          /* PPI + the link type it names (wlan.c) */
	LINK_PRISM,        /* Prism (or AVS) + 802.11 */
	LINK_AVS,          /* AVS + 802.11 */
	LINK_PKTAP,        /* Apple PKTAP: a header naming the link type inside */
} link_kind;

/* Values not every libpcap's dlt.h names (LINKTYPE_* = DLT_* for them). */
#define SS_DLT_NFLOG 239
#define SS_DLT_IPOIB 242
#define SS_DLT_IEEE802_11 105
#define SS_DLT_PRISM 119
#define SS_DLT_RADIOTAP 127
#define SS_DLT_USER2 149   /* what Apple's DLT_PKTAP is, and older macOS files say */
#define SS_DLT_AVS 163
#define SS_DLT_PPI 192
#define SS_LINKTYPE_PKTAP 258

/* LINKTYPE_RAW: libpcap normally maps it to DLT_RAW when reading a savefile,
 * but some builds and wrappers pass the LINKTYPE value through unchanged. */
#define SS_LINKTYPE_RAW 101

static link_kind link_kind_of(int dlt)
{
	/* An if-chain rather than a switch: DLT_RAW, DLT_LOOP and the BSD/OS
	 * values share 12 and 14 differently per OS, and duplicate case labels
	 * would not compile on some of them. DLT_LOOP goes first so OpenBSD's
	 * 12 means loopback there. */
	if (dlt == DLT_EN10MB)
		return LINK_ETHERNET;
	if (dlt == DLT_LINUX_SLL)
		return LINK_SLL;
	if (dlt == DLT_LINUX_SLL2)
		return LINK_SLL2;
	if (dlt == DLT_LOOP)
		return LINK_LOOP;
	if (dlt == DLT_NULL)
		return LINK_NULL;
	if (dlt == DLT_IPV4)
		return LINK_IPV4;
	if (dlt == DLT_IPV6)
		return LINK_IPV6;
	if (dlt == DLT_RAW || dlt == SS_LINKTYPE_RAW)
		return LINK_RAW;
	if (dlt == DLT_PPP || dlt == DLT_PPP_SERIAL)
		return LINK_PPP;
	if (dlt == DLT_PPP_ETHER)
		return LINK_PPPOE;
	if (dlt == DLT_C_HDLC)
		return LINK_CHDLC;
	if (dlt == SS_DLT_IPOIB)
		return LINK_IPOIB;
	if (dlt == SS_DLT_NFLOG)
		return LINK_NFLOG;
	if (dlt == SS_DLT_IEEE802_11)
		return LINK_80211;
	if (dlt == SS_DLT_RADIOTAP)
		return LINK_RADIOTAP;
	if (dlt == SS_DLT_PPI)
		return LINK_PPI;
	if (dlt == SS_DLT_PRISM)
		return LINK_PRISM;
	if (dlt == SS_DLT_AVS)
		return LINK_AVS;
	/* USER2 is a user-defined type anywhere but on Apple's systems, whose
	 * tcpdump wrote PKTAP files with it before LINKTYPE_PKTAP existed; the
	 * header is checked strictly (pktap_header_len) before it is trusted. */
	if (dlt == SS_LINKTYPE_PKTAP || dlt == SS_DLT_USER2)
		return LINK_PKTAP;
	/* The other OSes' DLT_RAW value, for captures written elsewhere and
	 * handed through unmapped; skipped where the value means something else
	 * locally (OpenBSD's DLT_LOOP 12, FreeBSD/NetBSD's DLT_PPP_BSDOS 14). */
#if DLT_LOOP != 12
	if (dlt == 12)
		return LINK_RAW;
#endif
#if !defined(DLT_PPP_BSDOS) || DLT_PPP_BSDOS != 14
	if (dlt == 14)
		return LINK_RAW;
#endif
	return LINK_NONE;
}

gboolean ss_link_supported(int dlt)
{
	return link_kind_of(dlt) != LINK_NONE;
}

/* BSD AF_* values as written into DLT_NULL/DLT_LOOP headers.  IPv6 differs
 * per OS, and captures travel between OSes, so all of them are accepted. */
static ss_reason bsd_af_to_family(guint32 af, guint8 *family)
{
	switch (af) {
	case 2:
		*family = SS_FAMILY_IPV4;
		return SS_REASON_OK;
	case 24: /* NetBSD, OpenBSD, BSD/OS */
	case 28: /* FreeBSD, DragonFly */
	case 30: /* Darwin */
		*family = SS_FAMILY_IPV6;
		return SS_REASON_OK;
	default:
		return SS_REASON_NON_IP;
	}
}

enum {
	NFLOG_AF_INET = 2,
	NFLOG_AF_INET6 = 10,
	NFULA_PAYLOAD = 9,
	NFLOG_MAX_TLVS = 64,
};

/* NFLOG (iptables/nftables "log group", tcpdump -i nflog): family,
 * version, resource id, then TLVs (length including its 4-byte header,
 * type; both in the capturing host's byte order, padded to 4 bytes) until
 * NFULA_PAYLOAD, which holds the IP packet.  The byte order is not
 * recorded: a length that does not fit little-endian is read big-endian. */
static ss_reason decap_nflog(ss_decap *d, ss_cursor c)
{
	guint8 family = ss_get_u8(&c);
	ss_skip(&c, 3); /* version, resource id */
	if (c.trunc)
		return SS_REASON_TRUNC_LINK;
	if (family != NFLOG_AF_INET && family != NFLOG_AF_INET6)
		return SS_REASON_NON_IP;

	for (guint n = 0; n < NFLOG_MAX_TLVS; n++) {
		ss_cursor peek = c;
		guint32 lt = ss_get_le32(&peek);
		if (peek.trunc)
			return SS_REASON_TRUNC_LINK;
		guint16 len = (guint16)(lt & 0xffff), type = (guint16)(lt >> 16);
		if (len < 4 || len > c.len) {
			len = GUINT16_SWAP_LE_BE(len);
			type = GUINT16_SWAP_LE_BE(type);
		}
		if (len < 4)
			return SS_REASON_NON_IP; /* not a TLV at all */
		if ((type & 0x7fff) == NFULA_PAYLOAD) {
			ss_skip(&c, 4);
			ss_cursor payload = ss_cursor_sub(&c, len - 4u);
			return ss_decap_ip(d, payload, family == NFLOG_AF_INET ? SS_FAMILY_IPV4
									 : SS_FAMILY_IPV6);
		}
		ss_skip(&c, ((gsize)len + 3) & ~(gsize)3);
		if (c.trunc)
			return SS_REASON_TRUNC_LINK;
	}
	return SS_REASON_NON_IP;
}

ss_reason ss_decode(int dlt, const guint8 *data, guint32 caplen, guint32 wirelen,
		    ss_packet *out)
{
	return ss_decode_with(NULL, dlt, data, caplen, wirelen, out);
}

ss_reason ss_decode_with(const ss_decode_config *cfg, int dlt, const guint8 *data,
			 guint32 caplen, guint32 wirelen, ss_packet *out)
{
	return ss_decode_frag(cfg, NULL, dlt, data, caplen, wirelen, 0, out);
}

static ss_reason decap_link(ss_decap *d, link_kind kind, ss_cursor c);
static ss_reason decap_inner_link(ss_decap *d, guint32 dlt, ss_cursor c, ss_reason nested);

enum {
	/* struct pktap_header as Apple's xnu writes it, version 1: length,
	 * type, DLT, interface name and the process fields: 108 bytes, all in
	 * the writer's (little-endian) byte order. */
	PKTAP_MIN_LEN = 108,
	PKTAP_TYPE_PACKET = 1,
};

/* Apple PKTAP (macOS tcpdump -i any, -k): a header of pth_length bytes
 * whose pth_dlt names the link type of the frame behind it, decoded by
 * that link type's own decoder.  A PKTAP frame inside PKTAP is refused:
 * no writer makes one, and it would be a way to nest without bound. */
static ss_reason decap_pktap(ss_decap *d, ss_cursor c, gboolean user2)
{
	ss_cursor h = c;
	guint32 len = ss_get_le32(&h);
	guint32 type = ss_get_le32(&h);
	guint32 dlt = ss_get_le32(&h);
	if (h.trunc)
		return SS_REASON_TRUNC_PKTAP;
	/* DLT_USER2 is PKTAP only on Apple's systems: elsewhere a header that
	 * does not look like one is some other user-defined link. */
	ss_reason bad = user2 ? SS_REASON_UNSUPPORTED_LINK : SS_REASON_BAD_PKTAP_HEADER;
	if (len < PKTAP_MIN_LEN || len > c.len + (d->out->wirelen - d->out->caplen))
		return bad;
	if (len > c.len)
		return SS_REASON_TRUNC_PKTAP;
	if (type != PKTAP_TYPE_PACKET)
		return SS_REASON_NON_IP;
	ss_skip(&c, len);
	return decap_inner_link(d, dlt, c, SS_REASON_BAD_PKTAP_HEADER);
}

/* The frame of link type `dlt` behind a header that names it (PKTAP,
 * PPI): the same dispatch as a capture's own link type.  PKTAP inside
 * either, and PPI inside PPI, are refused with `nested`: no writer makes
 * them, and they would be a way to nest without bound.  PPI inside PKTAP
 * stays (a macOS capture on a monitor-mode interface), so PKTAP -> PPI ->
 * a link is the deepest chain. */
static ss_reason decap_inner_link(ss_decap *d, guint32 dlt, ss_cursor c, ss_reason nested)
{
	link_kind kind = link_kind_of((int)MIN(dlt, (guint32)G_MAXINT));
	if (kind == LINK_PKTAP || (kind == LINK_PPI && nested == SS_REASON_BAD_RADIO_HEADER))
		return nested;
	if (kind == LINK_NONE)
		return SS_REASON_UNSUPPORTED_LINK;
	if (c.len == 0)
		return SS_REASON_TRUNC_LINK;
	return decap_link(d, kind, c);
}

ss_reason ss_decap_dlt(ss_decap *d, guint32 dlt, ss_cursor c)
{
	return decap_inner_link(d, dlt, c, SS_REASON_BAD_RADIO_HEADER);
}

/* The common packet, straight-line: Ethernet (at most one 802.1Q tag),
 * then what l4.c's ss_decode_fast_ip() takes (IPv4 without options or
 * fragmentation, IPv6 without extension headers, TCP or UDP not on a
 * tunnel's port).  It reads the header bytes once, after one length check,
 * instead of a bounds-checked cursor read per field through
 * ss_decap_frame -> ss_decap_ethertype -> ss_decap_ip -> ss_ip_parse, and
 * needs no ss_decap context (80 bytes zeroed per packet).  Anything else
 * returns FALSE having written nothing, and the general chain decodes the
 * packet from the start.  What it takes, it decodes exactly as the
 * general chain does (reason and every field of `out`): test-decode, the
 * malformed catalogue, the goldens and bench/same-bytes.sh check that.
 * It took ss_decode_frag from 554 to 361 instructions per packet on 200k
 * plain Ethernet packets, of which ~100 are issue 13's checksums
 * (callgrind; docs/performance.md, "Decapsulation"). */
static inline __attribute__((always_inline)) gboolean
fast_ether_ip(const ss_decode_config *cfg, const guint8 *data, guint32 caplen,
	      ss_packet *out, ss_reason *r)
{
	guint32 off = 14;
	if (caplen < 14 + 20)
		return FALSE;
	guint16 type = ss_be16_at(data + 12);
	if (type == 0x8100) {  /* one VLAN tag: SS_MAX_VLAN_TAGS >= 1 */
		if (caplen < 18 + 20)
			return FALSE;
		type = ss_be16_at(data + 16);
		off = 18;
	}
	return ss_decode_fast_ip(cfg, type, data + off, caplen - off, out, r);
}

/* Zeroes *out in blocks of 64 bytes, which gcc and clang write with
 * 16-byte stores: for one memset of the whole packet gcc emits `rep
 * stosq`, slow to start on the CPU and 31 instructions a packet by
 * callgrind's count, against 14 stores (at 200 bytes; 12 at 192). */
static inline void packet_clear(ss_packet *out)
{
	G_STATIC_ASSERT(sizeof(ss_packet) == 192);
	char *b = (char *)out;
	memset(b, 0, 64);
	memset(b + 64, 0, 64);
	memset(b + 128, 0, 64);
}

/* Both entry points below, inlined into each: with `it` a constant NULL
 * the one-packet path (every packet of every capture) pays nothing for
 * A-MSDUs.  Through one shared out-of-line function it paid 15
 * instructions per packet more (callgrind, 100k packets of the mixed bench
 * capture: 77 -> 92 in the decoder's entry). */
static inline __attribute__((always_inline)) ss_reason
decode_frame(const ss_decode_config *cfg, struct ss_frag_table *frag, int dlt,
	     const guint8 *data, guint32 caplen, guint32 wirelen, gint64 ts_ns,
	     ss_frame_iter *it, ss_packet *out)
{
	/* Ethernet without the jump table gcc makes of link_kind_of's chain
	 * (8 instructions a packet, callgrind) */
	link_kind kind = G_LIKELY(dlt == DLT_EN10MB) ? LINK_ETHERNET : link_kind_of(dlt);
	guint32 parts_at = 0;
	/* Only an A-MSDU with another subframe to come sets it again. */
	if (it) {
		parts_at = it->next;
		it->next = 0;
	}

	packet_clear(out);
	out->ts_ns = ts_ns;
	out->caplen = caplen;
	out->wirelen = wirelen;

	if (kind == LINK_NONE)
		return SS_REASON_UNSUPPORTED_LINK;
	/* A capture claiming more bytes than the wire carried is corrupt; its
	 * lengths cannot be trusted for anything, so nothing is decoded. */
	if (caplen > wirelen)
		return SS_REASON_BAD_CAPLEN;
	if (caplen == 0)
		return SS_REASON_TRUNC_LINK;
	ss_reason r;
	if (kind == LINK_ETHERNET && fast_ether_ip(cfg, data, caplen, out, &r))
		return r;

	ss_decap d = { .cfg = cfg, .frag = frag, .out = out, .parts = it, .parts_at = parts_at };
	/* Ethernet, by far the most common, straight to its decoder: through
	 * decap_link (a call since PKTAP also uses it) an Ethernet/IPv4/TCP
	 * packet took 463 instructions in ss_decode(), 443 this way
	 * (callgrind, 2M packets). */
	if (kind == LINK_ETHERNET)
		return ss_decap_frame(&d, ss_cursor_make(data, caplen));
	if (kind == LINK_PKTAP)
		return decap_pktap(&d, ss_cursor_make(data, caplen), dlt != SS_LINKTYPE_PKTAP);
	return decap_link(&d, kind, ss_cursor_make(data, caplen));
}

ss_reason ss_decode_frag(const ss_decode_config *cfg, struct ss_frag_table *frag, int dlt,
			 const guint8 *data, guint32 caplen, guint32 wirelen, gint64 ts_ns,
			 ss_packet *out)
{
	return decode_frame(cfg, frag, dlt, data, caplen, wirelen, ts_ns, NULL, out);
}

ss_reason ss_decode_parts(const ss_decode_config *cfg, struct ss_frag_table *frag, int dlt,
			  const guint8 *data, guint32 caplen, guint32 wirelen, gint64 ts_ns,
			  ss_frame_iter *it, ss_packet *out)
{
	return decode_frame(cfg, frag, dlt, data, caplen, wirelen, ts_ns, it, out);
}

/* The link header of `kind` at the start of c, for the whole packet or for
 * the frame behind a PKTAP header. */
static ss_reason decap_link(ss_decap *d, link_kind kind, ss_cursor c)
{
	guint8 family = 0;
	ss_reason r;

	switch (kind) {
	case LINK_ETHERNET:
		return ss_decap_frame(d, c);
	case LINK_SLL: {
		ss_skip(&c, 14);
		guint16 proto = ss_get_be16(&c);
		if (c.trunc)
			return SS_REASON_TRUNC_LINK;
		/* Without VLAN offload the kernel leaves the tag in the payload
		 * and reports 0x8100 here, exactly as on Ethernet. */
		return ss_decap_ethertype(d, &c, proto);
	}
	case LINK_SLL2: {
		guint16 proto = ss_get_be16(&c);
		ss_skip(&c, 18);
		if (c.trunc)
			return SS_REASON_TRUNC_LINK;
		return ss_decap_ethertype(d, &c, proto);
	}
	case LINK_PPP:
		return ss_decap_ppp(d, &c, SS_REASON_TRUNC_LINK);
	case LINK_PPPOE:
		return ss_decap_ethertype(d, &c, SS_ETHERTYPE_PPPOE_SESSION);
	case LINK_CHDLC:
	case LINK_IPOIB: {
		/* Cisco HDLC: address, control; IPoIB: the type comes first. */
		guint16 type;
		if (kind == LINK_CHDLC) {
			ss_skip(&c, 2);
			type = ss_get_be16(&c);
		} else {
			type = ss_get_be16(&c);
			ss_skip(&c, 2);
		}
		if (c.trunc)
			return SS_REASON_TRUNC_LINK;
		return ss_decap_ethertype(d, &c, type);
	}
	case LINK_NFLOG:
		return decap_nflog(d, c);
	case LINK_80211:
		return ss_decap_80211(d, c);
	case LINK_RADIOTAP:
		return ss_decap_radiotap(d, c);
	case LINK_PPI:
		return ss_decap_ppi(d, c);
	case LINK_PRISM:
		return ss_decap_prism(d, c);
	case LINK_AVS:
		return ss_decap_avs(d, c);
	case LINK_RAW:
		family = 0; /* the version nibble decides */
		break;
	case LINK_IPV4:
		family = SS_FAMILY_IPV4;
		break;
	case LINK_IPV6:
		family = SS_FAMILY_IPV6;
		break;
	case LINK_NULL: {
		/* Written in the capturing host's byte order, which the file does
		 * not record.  Every AF_* value fits in 16 bits, so a value whose
		 * low half is zero was written by a host of the other order. */
		guint32 af = ss_get_le32(&c);
		if (c.trunc)
			return SS_REASON_TRUNC_LINK;
		if ((af & 0xffffu) == 0)
			af = GUINT32_SWAP_LE_BE(af);
		r = bsd_af_to_family(af, &family);
		if (r != SS_REASON_OK)
			return r;
		break;
	}
	case LINK_LOOP: {
		guint32 af = ss_get_be32(&c);
		if (c.trunc)
			return SS_REASON_TRUNC_LINK;
		r = bsd_af_to_family(af, &family);
		if (r != SS_REASON_OK)
			return r;
		break;
	}
	case LINK_PKTAP:    /* only at the top: see decap_pktap */
	case LINK_NONE:
	default:
		return SS_REASON_UNSUPPORTED_LINK;
	}

	return ss_decap_ip(d, c, family);
}
