/* IP-level tunnels: GRE (RFC 2784/2890, PPTP's enhanced GRE) with ERSPAN
 * I/II/III, and the UDP tunnels found by port -- VXLAN, Geneve, GRE over
 * UDP, GTP-U, Teredo, AYIYA -- plus the port table and tunnel names.
 *
 * GRE is named by the IP protocol number, so a GRE header that breaks the
 * RFCs is counted (bad_gre_header).  A UDP tunnel is only a guess from the
 * port, so each decoder checks its header strictly and answers "not mine"
 * (FALSE) when it does not match: the datagram is then tracked as the
 * ordinary UDP it may well be.  Only a header the capture cut short, on a
 * datagram long enough to hold it, is counted as that tunnel's truncation. */
#include "decode/internal.h"

static const char *const tunnel_names[] = {
	[SS_TUNNEL_NONE] = "none",
	[SS_TUNNEL_VXLAN] = "vxlan",
	[SS_TUNNEL_GENEVE] = "geneve",
	[SS_TUNNEL_GRE] = "gre",
	[SS_TUNNEL_ERSPAN] = "erspan",
	[SS_TUNNEL_IPIP] = "ipip",
	[SS_TUNNEL_GTPU] = "gtpu",
	[SS_TUNNEL_TEREDO] = "teredo",
	[SS_TUNNEL_AYIYA] = "ayiya",
	[SS_TUNNEL_MPLS] = "mpls",
	[SS_TUNNEL_PPPOE] = "pppoe",
	[SS_TUNNEL_PBB] = "pbb",
	[SS_TUNNEL_FABRICPATH] = "fabricpath",
};

G_STATIC_ASSERT(G_N_ELEMENTS(tunnel_names) == SS_TUNNEL_COUNT);

const char *ss_tunnel_type_name(ss_tunnel_type t)
{
	if ((guint)t >= SS_TUNNEL_COUNT)
		return "unknown";
	return tunnel_names[t];
}

void ss_vnet_append(GString *b, const ss_vnet *v)
{
	if (v->type == SS_TUNNEL_NONE)
		return;
	g_string_append(b, ss_tunnel_type_name((ss_tunnel_type)v->type));
	if (v->has_vni)
		g_string_append_printf(b, " %u", (unsigned)v->vni);
}

void ss_tunnel_append(GString *b, const ss_tunnel *t)
{
	if (t->type != SS_TUNNEL_MPLS || t->labels == 0) {
		ss_vnet v = ss_tunnel_vnet(t);
		ss_vnet_append(b, &v);
		return;
	}
	/* the interned stack is "16004;100" (decode/ethertype.c) */
	g_string_append(b, "mpls ");
	for (const char *p = g_quark_to_string(t->labels); *p; p++)
		g_string_append_c(b, *p == ';' ? '/' : *p);
}

ss_tunnel_type ss_tunnel_type_from_name(const char *name)
{
	for (guint t = SS_TUNNEL_NONE + 1; t < SS_TUNNEL_COUNT; t++)
		if (g_ascii_strcasecmp(name, tunnel_names[t]) == 0)
			return (ss_tunnel_type)t;
	return SS_TUNNEL_NONE;
}

/* ---- UDP port table ---- */

enum {
	PORT_VXLAN = 4789,
	PORT_VXLAN_LINUX = 8472,   /* the Linux kernel's pre-IANA default */
	PORT_GENEVE = 6081,
	PORT_GRE_UDP = 4754,
	PORT_GTPU = 2152,
	PORT_TEREDO = 3544,
	PORT_AYIYA = 5072,
};

static ss_tunnel_type default_port_type(guint16 port)
{
	switch (port) {
	case PORT_VXLAN:
	case PORT_VXLAN_LINUX:
		return SS_TUNNEL_VXLAN;
	case PORT_GENEVE:
		return SS_TUNNEL_GENEVE;
	case PORT_GRE_UDP:
		return SS_TUNNEL_GRE;
	case PORT_GTPU:
		return SS_TUNNEL_GTPU;
	case PORT_TEREDO:
		return SS_TUNNEL_TEREDO;
	case PORT_AYIYA:
		return SS_TUNNEL_AYIYA;
	default:
		return SS_TUNNEL_NONE;
	}
}

void ss_decode_config_init(ss_decode_config *cfg)
{
	static const guint16 defaults[] = {
		PORT_VXLAN, PORT_VXLAN_LINUX, PORT_GENEVE, PORT_GRE_UDP,
		PORT_GTPU, PORT_TEREDO, PORT_AYIYA,
	};
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_depth = SS_DEFAULT_TUNNEL_DEPTH;
	for (guint i = 0; i < G_N_ELEMENTS(defaults); i++)
		ss_decode_config_add_port(cfg, default_port_type(defaults[i]), defaults[i]);
}

gboolean ss_decode_config_add_port(ss_decode_config *cfg, ss_tunnel_type type,
				   guint16 port)
{
	switch (type) {
	case SS_TUNNEL_VXLAN:
	case SS_TUNNEL_GENEVE:
	case SS_TUNNEL_GRE:
	case SS_TUNNEL_GTPU:
	case SS_TUNNEL_TEREDO:
	case SS_TUNNEL_AYIYA:
		break;
	default:
		return FALSE; /* does not run over UDP */
	}
	/* A port given again is re-assigned: the user's word is the last. */
	for (guint i = 0; i < cfg->n_ports; i++) {
		if (cfg->ports[i].port == port) {
			cfg->ports[i].type = (guint8)type;
			return TRUE;
		}
	}
	if (cfg->n_ports >= SS_MAX_TUNNEL_PORTS)
		return FALSE;
	cfg->ports[cfg->n_ports].port = port;
	cfg->ports[cfg->n_ports].type = (guint8)type;
	cfg->n_ports++;
	cfg->port_bits[port >> 6] |= G_GUINT64_CONSTANT(1) << (port & 63);
	return TRUE;
}

gboolean ss_default_tunnel_port(guint16 port)
{
	return default_port_type(port) != SS_TUNNEL_NONE;
}

static ss_tunnel_type port_type(const ss_decode_config *cfg, guint16 port)
{
	if (cfg == NULL)
		return default_port_type(port);
	if (!((cfg->port_bits[port >> 6] >> (port & 63)) & 1))
		return SS_TUNNEL_NONE;
	for (guint i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].port == port)
			return (ss_tunnel_type)cfg->ports[i].type;
	return SS_TUNNEL_NONE;
}

gboolean ss_decap_enter(ss_decap *d, ss_tunnel_type type, gboolean has_vni, guint32 vni)
{
	guint max = d->cfg ? d->cfg->max_depth : SS_DEFAULT_TUNNEL_DEPTH;
	if (d->depth >= max)
		return FALSE;
	d->depth++;
	ss_packet_clear_inner(d->out);

	ss_tunnel *t = &d->out->tunnel;
	t->type = (guint8)type;
	t->depth = (guint8)d->depth;
	t->family = d->outer_family;
	t->has_vni = has_vni ? 1 : 0;
	t->vni = has_vni ? vni : 0;
	t->src = d->outer_src;
	t->dst = d->outer_dst;
	t->sport = d->outer_sport;
	t->dport = d->outer_dport;
	return TRUE;
}

/* ---- GRE and ERSPAN ---- */

enum {
	GRE_C = 0x8000,      /* checksum present */
	GRE_R = 0x4000,      /* routing present (RFC 1701 only) */
	GRE_K = 0x2000,      /* key present */
	GRE_S = 0x1000,      /* sequence number present */
	GRE_SSR = 0x0800,    /* strict source route (RFC 1701 only) */
	GRE_A = 0x0080,      /* acknowledgment present (PPTP) */
	GRE_VERSION = 0x0007,
	GRE_FT_ETHERNET = 0, /* ERSPAN III frame type */
};

/* ERSPAN II: version 1, 10-bit session id, then the mirrored frame. */
static ss_reason decap_erspan2(ss_decap *d, ss_cursor c)
{
	guint16 ver_vlan = ss_get_be16(&c);
	guint16 session = ss_get_be16(&c) & 0x3ff;
	ss_skip(&c, 4); /* reserved, index */
	if (c.trunc)
		return SS_REASON_TRUNC_ERSPAN;
	if (ver_vlan >> 12 != 1)
		return SS_REASON_BAD_GRE_HEADER;
	if (!ss_decap_enter(d, SS_TUNNEL_ERSPAN, TRUE, session))
		return SS_REASON_BAD_TUNNEL_DEPTH;
	return ss_decap_frame(d, c);
}

/* ERSPAN III: version 2, a timestamp and SGT, an optional 8-byte platform
 * subheader (the O bit), and a frame type: only Ethernet frames follow. */
static ss_reason decap_erspan3(ss_decap *d, ss_cursor c)
{
	guint16 ver_vlan = ss_get_be16(&c);
	guint16 session = ss_get_be16(&c) & 0x3ff;
	ss_skip(&c, 6); /* timestamp, security group tag */
	guint16 bits = ss_get_be16(&c);
	if (bits & 1)
		ss_skip(&c, 8);
	if (c.trunc)
		return SS_REASON_TRUNC_ERSPAN;
	if (ver_vlan >> 12 != 2)
		return SS_REASON_BAD_GRE_HEADER;
	if (!ss_decap_enter(d, SS_TUNNEL_ERSPAN, TRUE, session))
		return SS_REASON_BAD_TUNNEL_DEPTH;
	if (((bits >> 10) & 0x1f) != GRE_FT_ETHERNET)
		return SS_REASON_NON_IP;
	return ss_decap_frame(d, c);
}

ss_reason ss_decap_gre(ss_decap *d, ss_cursor c)
{
	guint16 flags = ss_get_be16(&c);
	guint16 proto = ss_get_be16(&c);
	guint32 key = 0;
	gboolean has_key = (flags & GRE_K) != 0;

	if (c.trunc)
		return SS_REASON_TRUNC_GRE;

	switch (flags & GRE_VERSION) {
	case 0:
		/* Routing changes the header's layout and RFC 2784 retired it. */
		if (flags & (GRE_R | GRE_SSR))
			return SS_REASON_BAD_GRE_HEADER;
		if (flags & GRE_C)
			ss_skip(&c, 4); /* checksum, reserved1 */
		if (has_key)
			key = ss_get_be32(&c);
		if (flags & GRE_S)
			ss_skip(&c, 4);
		break;
	case 1:
		/* RFC 2637 (PPTP): always a key (payload length, call id), PPP. */
		if (!has_key || (flags & (GRE_C | GRE_R | GRE_SSR)) ||
		    proto != SS_ETHERTYPE_PPP)
			return SS_REASON_BAD_GRE_HEADER;
		key = ss_get_be32(&c) & 0xffff; /* the call id */
		if (flags & GRE_S)
			ss_skip(&c, 4);
		if (flags & GRE_A)
			ss_skip(&c, 4);
		break;
	default:
		return SS_REASON_BAD_GRE_HEADER;
	}
	if (c.trunc)
		return SS_REASON_TRUNC_GRE;

	switch (proto) {
	case SS_ETHERTYPE_ERSPAN_II:
		/* Type I has no header of its own and no sequence number. */
		if (flags & GRE_S)
			return decap_erspan2(d, c);
		if (!ss_decap_enter(d, SS_TUNNEL_ERSPAN, FALSE, 0))
			return SS_REASON_BAD_TUNNEL_DEPTH;
		return ss_decap_frame(d, c);
	case SS_ETHERTYPE_ERSPAN_III:
		return decap_erspan3(d, c);
	default:
		break;
	}

	switch (proto) {
	case SS_ETHERTYPE_IPV4:
	case SS_ETHERTYPE_IPV6:
	case SS_ETHERTYPE_MPLS:
	case SS_ETHERTYPE_MPLS_MC:
	case SS_ETHERTYPE_TEB:
	case SS_ETHERTYPE_PPP:
		break;
	default:
		/* WCCP, NSH, keepalives...: a GRE packet sockscope does not
		 * open, counted like any other untracked IP protocol. */
		return SS_REASON_OTHER_IP_PROTO;
	}
	if (!ss_decap_enter(d, SS_TUNNEL_GRE, has_key, key))
		return SS_REASON_BAD_TUNNEL_DEPTH;
	if (proto == SS_ETHERTYPE_TEB)
		return ss_decap_frame(d, c);
	if (proto == SS_ETHERTYPE_PPP)
		return ss_decap_ppp(d, &c, SS_REASON_TRUNC_GRE);
	/* IPv4, IPv6, MPLS: GRE's protocol field is an ethertype. */
	return ss_decap_ethertype(d, &c, proto);
}

/* ---- UDP tunnels ----
 * Each gets the UDP payload (cut to the declared UDP length) and that
 * declared length; FALSE means "not this tunnel". */

/* RFC 7348: flags with I set, reserved bytes zero (Group Based Policy,
 * flag G, uses two of them for its group id), VNI, reserved byte. */
static gboolean udp_vxlan(ss_decap *d, ss_cursor c, guint32 declared, ss_reason *r)
{
	if (declared < 8 + 14)
		return FALSE;
	guint8 flags = ss_get_u8(&c);
	guint8 b1 = ss_get_u8(&c);
	guint16 b23 = ss_get_be16(&c);
	guint32 vni = ss_get_be32(&c);
	if (c.trunc) {
		*r = SS_REASON_TRUNC_VXLAN;
		return TRUE;
	}
	if ((flags & ~0x88u) != 0 || !(flags & 0x08) || (vni & 0xff) != 0)
		return FALSE;
	if (!(flags & 0x80) && (b1 != 0 || b23 != 0))
		return FALSE;
	*r = ss_decap_enter(d, SS_TUNNEL_VXLAN, TRUE, vni >> 8) ? ss_decap_frame(d, c)
								 : SS_REASON_BAD_TUNNEL_DEPTH;
	return TRUE;
}

/* RFC 8926: version 0, options length in 4-byte words (skipped), protocol
 * type (Ethernet or IP here), VNI.  O marks a control message. */
static gboolean udp_geneve(ss_decap *d, ss_cursor c, guint32 declared, ss_reason *r)
{
	if (declared < 8)
		return FALSE;
	guint8 b0 = ss_get_u8(&c);
	guint8 b1 = ss_get_u8(&c);
	guint16 proto = ss_get_be16(&c);
	guint32 vni = ss_get_be32(&c);
	guint32 optlen = (guint32)(b0 & 0x3f) * 4;
	if (c.trunc) {
		*r = SS_REASON_TRUNC_GENEVE;
		return TRUE;
	}
	if ((b0 >> 6) != 0 || 8 + optlen > declared || (vni & 0xff) != 0)
		return FALSE;
	if (proto != SS_ETHERTYPE_TEB && proto != SS_ETHERTYPE_IPV4 &&
	    proto != SS_ETHERTYPE_IPV6)
		return FALSE;
	ss_skip(&c, optlen);
	if (c.trunc) {
		*r = SS_REASON_TRUNC_GENEVE;
		return TRUE;
	}
	if (!ss_decap_enter(d, SS_TUNNEL_GENEVE, TRUE, vni >> 8))
		*r = SS_REASON_BAD_TUNNEL_DEPTH;
	else if (b1 & 0x80)
		*r = SS_REASON_TUNNEL_NO_PAYLOAD;
	else if (proto == SS_ETHERTYPE_TEB)
		*r = ss_decap_frame(d, c);
	else
		*r = ss_decap_ethertype(d, &c, proto);
	return TRUE;
}

/* RFC 8086 GRE-in-UDP: a GRE header as RFC 2784/2890 define it. */
static gboolean udp_gre(ss_decap *d, ss_cursor c, guint32 declared, ss_reason *r)
{
	if (declared < 4)
		return FALSE;
	ss_cursor peek = c;
	guint16 flags = ss_get_be16(&peek);
	guint16 proto = ss_get_be16(&peek);
	if (peek.trunc) {
		*r = SS_REASON_TRUNC_GRE;
		return TRUE;
	}
	if ((flags & (GRE_VERSION | GRE_R | GRE_SSR)) != 0)
		return FALSE;
	if (proto != SS_ETHERTYPE_IPV4 && proto != SS_ETHERTYPE_IPV6 &&
	    proto != SS_ETHERTYPE_TEB && proto != SS_ETHERTYPE_MPLS)
		return FALSE;
	*r = ss_decap_gre(d, c);
	return TRUE;
}

enum {
	GTP_ECHO_REQ = 1,
	GTP_ECHO_RESP = 2,
	GTP_ERROR_IND = 26,
	GTP_SUPPORTED_EXT = 31,
	GTP_END_MARKER = 254,
	GTP_GPDU = 255,
	GTP_MAX_EXT = 16,
};

/* 3GPP TS 29.281: version 1, PT 1, message type, length of what follows
 * the 8 mandatory bytes, TEID; E/S/PN add 4 bytes and E a chain of
 * extension headers (length in 4-byte units, next type in the last byte).
 * Only a G-PDU carries a user packet. */
static gboolean udp_gtpu(ss_decap *d, ss_cursor c, guint32 declared, ss_reason *r)
{
	if (declared < 8)
		return FALSE;
	guint8 flags = ss_get_u8(&c);
	guint8 type = ss_get_u8(&c);
	guint16 len = ss_get_be16(&c);
	guint32 teid = ss_get_be32(&c);
	if (c.trunc) {
		*r = SS_REASON_TRUNC_GTP;
		return TRUE;
	}
	if ((flags >> 5) != 1 || !(flags & 0x10) || 8u + len > declared)
		return FALSE;
	switch (type) {
	case GTP_ECHO_REQ:
	case GTP_ECHO_RESP:
	case GTP_ERROR_IND:
	case GTP_SUPPORTED_EXT:
	case GTP_END_MARKER:
	case GTP_GPDU:
		break;
	default:
		return FALSE;
	}

	ss_cursor pdu = ss_cursor_sub(&c, len);
	if (flags & 0x07) {
		if (len < 4)
			return FALSE;
		ss_skip(&pdu, 3); /* sequence number, N-PDU number */
		guint8 next = ss_get_u8(&pdu);
		for (guint n = 0; next != 0 && !pdu.trunc; n++) {
			guint8 units = ss_get_u8(&pdu);
			if (pdu.trunc)
				break;
			if (units == 0 || n >= GTP_MAX_EXT)
				return FALSE;
			ss_skip(&pdu, (gsize)units * 4 - 2);
			next = ss_get_u8(&pdu);
		}
		if (pdu.trunc) {
			*r = SS_REASON_TRUNC_GTP;
			return TRUE;
		}
	}

	if (!ss_decap_enter(d, SS_TUNNEL_GTPU, TRUE, teid)) {
		*r = SS_REASON_BAD_TUNNEL_DEPTH;
		return TRUE;
	}
	if (type != GTP_GPDU) {
		*r = SS_REASON_TUNNEL_NO_PAYLOAD;
		return TRUE;
	}
	if (!ss_cursor_need(&pdu, 1)) {
		*r = SS_REASON_TRUNC_GTP;
		return TRUE;
	}
	switch (pdu.p[0] >> 4) {
	case 4:
		*r = ss_decap_ip(d, pdu, SS_FAMILY_IPV4);
		break;
	case 6:
		*r = ss_decap_ip(d, pdu, SS_FAMILY_IPV6);
		break;
	default:
		*r = SS_REASON_NON_IP; /* Ethernet or unstructured PDU sessions */
		break;
	}
	return TRUE;
}

/* RFC 4380: optional authentication and origin indications, then an IPv6
 * packet whose own length must fill the rest of the datagram exactly. */
static gboolean udp_teredo(ss_decap *d, ss_cursor c, guint32 declared, ss_reason *r)
{
	gsize left = declared;

	for (guint i = 0; i < 2; i++) {
		ss_cursor peek = c;
		guint16 ind = ss_get_be16(&peek);
		gsize n;
		if (peek.trunc)
			break;
		if (ind == 0x0001) {
			guint8 id_len = ss_get_u8(&peek);
			guint8 au_len = ss_get_u8(&peek);
			n = 4u + id_len + au_len + 8 + 1;
		} else if (ind == 0x0000) {
			n = 8;
		} else {
			break;
		}
		if (n > left)
			return FALSE;
		ss_skip(&c, n);
		if (c.trunc) {
			*r = SS_REASON_TRUNC_TEREDO;
			return TRUE;
		}
		left -= n;
	}
	if (left < 40)
		return FALSE;
	ss_cursor ip = c;
	guint8 v = ss_get_u8(&ip);
	ss_skip(&ip, 3);
	guint16 plen = ss_get_be16(&ip);
	if (ip.trunc) {
		*r = SS_REASON_TRUNC_TEREDO;
		return TRUE;
	}
	if ((v >> 4) != 6 || 40u + plen != left)
		return FALSE;
	*r = ss_decap_enter(d, SS_TUNNEL_TEREDO, FALSE, 0)
		     ? ss_decap_ip(d, c, SS_FAMILY_IPV6)
		     : SS_REASON_BAD_TUNNEL_DEPTH;
	return TRUE;
}

/* AYIYA (draft-massar-v6ops-ayiya): identity length 2^n bytes, signature
 * n*4 bytes, opcode 1 (forward) carrying IPv4 or IPv6. */
static gboolean udp_ayiya(ss_decap *d, ss_cursor c, guint32 declared, ss_reason *r)
{
	if (declared < 8)
		return FALSE;
	guint8 id = ss_get_u8(&c);
	guint8 sig = ss_get_u8(&c);
	guint8 op = ss_get_u8(&c);
	guint8 nh = ss_get_u8(&c);
	ss_skip(&c, 4); /* epoch */
	if (c.trunc) {
		*r = SS_REASON_TRUNC_AYIYA;
		return TRUE;
	}
	if ((op & 0x0f) != 1 || (nh != SS_IPPROTO_IPIP && nh != SS_IPPROTO_IPV6) ||
	    (id >> 4) > 8)
		return FALSE;
	gsize n = ((gsize)1 << (id >> 4)) + (gsize)(sig >> 4) * 4;
	if (8 + n > declared)
		return FALSE;
	ss_skip(&c, n);
	if (c.trunc) {
		*r = SS_REASON_TRUNC_AYIYA;
		return TRUE;
	}
	*r = ss_decap_enter(d, SS_TUNNEL_AYIYA, FALSE, 0)
		     ? ss_decap_ip(d, c, nh == SS_IPPROTO_IPIP ? SS_FAMILY_IPV4
							       : SS_FAMILY_IPV6)
		     : SS_REASON_BAD_TUNNEL_DEPTH;
	return TRUE;
}

static gboolean udp_try(ss_decap *d, ss_tunnel_type t, ss_cursor c, guint32 declared,
			ss_reason *r)
{
	switch (t) {
	case SS_TUNNEL_VXLAN:
		return udp_vxlan(d, c, declared, r);
	case SS_TUNNEL_GENEVE:
		return udp_geneve(d, c, declared, r);
	case SS_TUNNEL_GRE:
		return udp_gre(d, c, declared, r);
	case SS_TUNNEL_GTPU:
		return udp_gtpu(d, c, declared, r);
	case SS_TUNNEL_TEREDO:
		return udp_teredo(d, c, declared, r);
	case SS_TUNNEL_AYIYA:
		return udp_ayiya(d, c, declared, r);
	default:
		return FALSE;
	}
}

gboolean ss_decap_udp(ss_decap *d, const ss_ip_view *ip, ss_reason *r)
{
	const ss_packet *out = d->out;
	ss_tunnel_type by_dst = port_type(d->cfg, out->dport);
	ss_tunnel_type by_src = port_type(d->cfg, out->sport);

	if (by_dst == SS_TUNNEL_NONE && by_src == SS_TUNNEL_NONE)
		return FALSE;

	ss_cursor c = ip->l4;
	ss_skip(&c, 8);
	guint32 declared = out->payload_len;
	ss_cursor payload = ss_cursor_sub(&c, declared);
	d->outer_sport = out->sport;
	d->outer_dport = out->dport;

	/* The destination port names the tunnel (RFC 7348, 8926, 8086); the
	 * source port is tried too for replies of protocols that use one
	 * well-known port on both sides or answer from it (GTP-U, Teredo). */
	if (by_dst != SS_TUNNEL_NONE && udp_try(d, by_dst, payload, declared, r))
		return TRUE;
	if (by_src != SS_TUNNEL_NONE && by_src != by_dst &&
	    udp_try(d, by_src, payload, declared, r))
		return TRUE;
	return FALSE;
}
