/* What follows an Ethernet type field: VLAN tags, VN-Tag, LLC/SNAP, and the
 * encapsulations that ride directly on a link -- MPLS label stacks (with a
 * pseudowire control word and Ethernet after them), PPPoE sessions (also
 * behind QinQ), 802.1ah PBB and Cisco FabricPath -- down to the IP packet.
 *
 * It lives apart from link.c because tunnels hand their inner Ethernet
 * frames (VXLAN, Geneve, GRE TEB, ERSPAN) back here: every inner frame goes
 * through the same checks as an outer one.  Each encapsulation is one small
 * bounds-checked function that records itself with ss_decap_enter() and
 * hands the rest on. */
#include <string.h>

#include "decode/internal.h"

enum {
	ETHERTYPE_8021Q = 0x8100,
	ETHERTYPE_8021AD = 0x88a8,
	ETHERTYPE_QINQ_OLD = 0x9100,
	ETHERTYPE_PBB = 0x88e7,         /* 802.1ah I-TAG */
	ETHERTYPE_VNTAG = 0x8926,
	ETHERTYPE_FABRICPATH = 0x8903,
	/* Values up to here are an 802.3 length, not a type. */
	ETHER_MAX_LEN_FIELD = 1500,
};

/* Distinct MPLS label stacks named in this process: GQuarks are never
 * freed, so a flood of forged stacks stops being named past this (the
 * records keep their bottom label, tunnel.vni, and say labels null).  The
 * quark table is process-wide, and so is its bound. */
#define MPLS_STACKS_MAX 4096
static gint mpls_stacks_named;

/* The GQuark of a label stack ("16004;100", top first): 4 bytes in the
 * record for any depth, resolved by the writers on any thread with
 * g_quark_to_string(). */
static guint32 mpls_labels(const guint8 *stack, guint n)
{
	char text[SS_MAX_MPLS_LABELS * 8 + 1];
	gsize len = 0;
	for (guint i = 0; i < n && i < SS_MAX_MPLS_LABELS; i++) {
		const guint8 *e = stack + 4 * i;
		guint32 label = ((guint32)e[0] << 12) | ((guint32)e[1] << 4) | (e[2] >> 4);
		len += (gsize)g_snprintf(text + len, sizeof text - len, "%s%u", i ? ";" : "",
					 (unsigned)label);
	}
	GQuark q = g_quark_try_string(text);
	if (q != 0)
		return q;
	if (g_atomic_int_get(&mpls_stacks_named) >= MPLS_STACKS_MAX)
		return 0;
	g_atomic_int_inc(&mpls_stacks_named);
	return g_quark_from_string(text);
}

/* MPLS label stack entries up to the bottom-of-stack bit; the payload has
 * no type field, so its first nibble decides (RFC 4385: 0 is a pseudowire
 * control word, which Ethernet pseudowires put before the frame). */
static ss_reason decap_mpls(ss_decap *d, ss_cursor *c)
{
	guint32 entry;
	guint n = 0;
	const guint8 *stack = c->p;

	do {
		if (++n > SS_MAX_MPLS_LABELS)
			return SS_REASON_BAD_MPLS_STACK;
		entry = ss_get_be32(c);
		if (c->trunc)
			return SS_REASON_TRUNC_MPLS;
	} while (!(entry & 0x100));

	if (!ss_decap_enter(d, SS_TUNNEL_MPLS, TRUE, entry >> 12))
		return SS_REASON_BAD_TUNNEL_DEPTH;
	d->out->tunnel.labels = mpls_labels(stack, n);   /* the whole stack */
	if (!ss_cursor_need(c, 1))
		return SS_REASON_TRUNC_MPLS;
	switch (c->p[0] >> 4) {
	case 4:
		return ss_decap_ip(d, *c, SS_FAMILY_IPV4);
	case 6:
		return ss_decap_ip(d, *c, SS_FAMILY_IPV6);
	case 0:
		ss_skip(c, 4);
		if (c->trunc)
			return SS_REASON_TRUNC_MPLS;
		return ss_decap_frame(d, *c);
	default:
		return SS_REASON_NON_IP; /* 1: an associated channel (G-ACh) */
	}
}

ss_reason ss_decap_ppp(ss_decap *d, ss_cursor *c, ss_reason trunc)
{
	/* HDLC-like framing keeps address 0xff and control 0x03 (GRE/PPTP,
	 * PPP_HDLC); PPPoE drops them.  No protocol number starts with 0xff
	 * (its first byte is even), so 0xff can only be the address. */
	if (c->len >= 1 && c->p[0] == 0xff) {
		ss_skip(c, 1);
		if (ss_get_u8(c) != 0x03 && !c->trunc)
			return SS_REASON_NON_IP;
	}
	guint16 proto = ss_get_u8(c);
	if (!(proto & 1)) /* not compressed (RFC 1661 PFC): a second byte */
		proto = (guint16)(proto << 8 | ss_get_u8(c));
	if (c->trunc)
		return trunc;
	switch (proto) {
	case 0x0021:
		return ss_decap_ip(d, *c, SS_FAMILY_IPV4);
	case 0x0057:
		return ss_decap_ip(d, *c, SS_FAMILY_IPV6);
	case 0x0281:
		return decap_mpls(d, c);
	default:
		return SS_REASON_NON_IP; /* LCP, IPCP, CHAP...: control */
	}
}

/* RFC 2516 session stage: version/type 0x11, code 0, session id, length of
 * the PPP payload.  Discovery (0x8863) is control and stays non_ip. */
static ss_reason decap_pppoe(ss_decap *d, ss_cursor *c)
{
	guint8 vt = ss_get_u8(c);
	guint8 code = ss_get_u8(c);
	guint16 session = ss_get_be16(c);
	guint16 len = ss_get_be16(c);

	if (c->trunc)
		return SS_REASON_TRUNC_PPPOE;
	if (vt != 0x11 || code != 0 || len < 1)
		return SS_REASON_BAD_PPPOE_HEADER;
	if (!ss_decap_enter(d, SS_TUNNEL_PPPOE, TRUE, session))
		return SS_REASON_BAD_TUNNEL_DEPTH;
	/* The length narrows away Ethernet padding after short sessions. */
	ss_cursor ppp = ss_cursor_sub(c, len);
	return ss_decap_ppp(d, &ppp, SS_REASON_TRUNC_PPPOE);
}

/* 802.1ah: an I-TAG (priority, flags, 24-bit I-SID), then the customer's
 * own MAC addresses and type: a whole Ethernet frame minus nothing. */
static ss_reason decap_pbb(ss_decap *d, ss_cursor *c)
{
	guint32 itag = ss_get_be32(c);
	if (c->trunc)
		return SS_REASON_TRUNC_LINK;
	if (!ss_decap_enter(d, SS_TUNNEL_PBB, TRUE, itag & 0xffffff))
		return SS_REASON_BAD_TUNNEL_DEPTH;
	return ss_decap_frame(d, *c);
}

/* FabricPath: the outer MACs were read as an Ethernet header; after the
 * type come the FTag/TTL word and the original frame. */
static ss_reason decap_fabricpath(ss_decap *d, ss_cursor *c)
{
	ss_skip(c, 2);
	if (c->trunc)
		return SS_REASON_TRUNC_LINK;
	if (!ss_decap_enter(d, SS_TUNNEL_FABRICPATH, FALSE, 0))
		return SS_REASON_BAD_TUNNEL_DEPTH;
	return ss_decap_frame(d, *c);
}

/* An 802.3 length field: only RFC 1042 / 802.1H SNAP carries a type on;
 * other LLC (STP, NetBIOS, IPX) is not IP.  A header cut short is only
 * truncation when the bytes that are there match SNAP's. */
ss_reason ss_llc_snap(ss_cursor *c, guint16 *type)
{
	static const guint8 snap[6] = { 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00 };
	gsize have = MIN(c->len, 6);

	if (memcmp(c->p, snap, MIN(have, 5)) != 0 ||
	    (have == 6 && c->p[5] != 0x00 && c->p[5] != 0xf8))
		return SS_REASON_NON_IP;
	ss_skip(c, 6);
	*type = ss_get_be16(c);
	return c->trunc ? SS_REASON_TRUNC_LINK : SS_REASON_OK;
}

ss_reason ss_decap_ethertype(ss_decap *d, ss_cursor *c, guint16 type)
{
	guint tags = 0;

	for (;;) {
		/* The common types first: plain traffic takes one compare. */
		if (type == SS_ETHERTYPE_IPV4)
			return ss_decap_ip(d, *c, SS_FAMILY_IPV4);
		if (type == SS_ETHERTYPE_IPV6)
			return ss_decap_ip(d, *c, SS_FAMILY_IPV6);

		switch (type) {
		case ETHERTYPE_8021Q:
		case ETHERTYPE_8021AD:
		case ETHERTYPE_QINQ_OLD:
		case ETHERTYPE_VNTAG:
			/* A tag, then the next type: 2 bytes of TCI, or VN-Tag's 4. */
			if (++tags > SS_MAX_VLAN_TAGS)
				return SS_REASON_BAD_VLAN_DEPTH;
			ss_skip(c, type == ETHERTYPE_VNTAG ? 4 : 2);
			type = ss_get_be16(c);
			if (c->trunc)
				return SS_REASON_TRUNC_LINK;
			continue;
		default:
			break;
		}

		if (type <= ETHER_MAX_LEN_FIELD) {
			if (++tags > SS_MAX_VLAN_TAGS)
				return SS_REASON_BAD_VLAN_DEPTH;
			ss_reason r = ss_llc_snap(c, &type);
			if (r != SS_REASON_OK)
				return r;
			continue;
		}

		if (!ss_decap_enabled(d))
			return SS_REASON_NON_IP;
		switch (type) {
		case SS_ETHERTYPE_MPLS:
		case SS_ETHERTYPE_MPLS_MC:
			return decap_mpls(d, c);
		case SS_ETHERTYPE_PPPOE_SESSION:
			return decap_pppoe(d, c);
		case ETHERTYPE_PBB:
			return decap_pbb(d, c);
		case ETHERTYPE_FABRICPATH:
			return decap_fabricpath(d, c);
		default:
			return SS_REASON_NON_IP; /* ARP, LLDP, unknown ethertype... */
		}
	}
}

ss_reason ss_decap_frame(ss_decap *d, ss_cursor c)
{
	ss_skip(&c, 12); /* destination and source MAC */
	guint16 type = ss_get_be16(&c);
	if (c.trunc)
		return SS_REASON_TRUNC_LINK;
	return ss_decap_ethertype(d, &c, type);
}
