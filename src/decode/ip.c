/* IP layer: IPv4 and IPv6 headers and the IPv6 extension-header chain.
 *
 * The transport cursor is narrowed to the length the IP header declares, so
 * link-layer padding (short Ethernet frames are padded to 60 bytes) never
 * reaches layer 4.  A declared length beyond the capture is not an error:
 * snaplen cuts packets all the time, and ICMP quotes are cut by design. */
#include <stddef.h>
#include <string.h>

#include "decode/internal.h"

static ss_reason parse_ipv4(ss_cursor *c, ss_ip_view *v)
{
	guint8 vihl = ss_get_u8(c);
	guint hlen = (guint)(vihl & 0x0f) * 4;

	if (hlen < 20)
		return SS_REASON_BAD_IPV4_IHL;
	if (!ss_cursor_need(c, 19))
		return SS_REASON_TRUNC_IPV4;

	ss_skip(c, 1); /* DSCP/ECN */
	guint16 total_len = ss_get_be16(c);
	guint16 ident = ss_get_be16(c);
	guint16 frag = ss_get_be16(c);
	v->ttl = ss_get_u8(c);
	v->proto = ss_get_u8(c);
	ss_skip(c, 2); /* checksum: offloading leaves it wrong in captures */
	ss_get_bytes(c, v->src.bytes, 4);
	ss_get_bytes(c, v->dst.bytes, 4);
	/* Judge the declared lengths before the captured one (as the IPv6
	 * and transport layers do): options that do not even fit in the
	 * sender's own total length are invalid however much was captured.
	 * Checking the capture first called IHL 15 with total length 40 in a
	 * 54-byte frame trunc_ipv4, blaming the capture for the sender's lie. */
	if (total_len != 0 && total_len < hlen)
		return SS_REASON_BAD_IPV4_TOTAL_LEN;
	ss_skip(c, hlen - 20); /* options carry nothing flow tracking needs */
	if (c->trunc)
		return SS_REASON_TRUNC_IPV4;

	if (total_len == 0) {
		/* TSO/GSO: the NIC fills in the length after the capture point. */
		v->l4_len_guessed = TRUE;
		v->l4_len = (guint32)MIN(c->len, G_MAXUINT32 - hlen);
		v->ip_len = hlen + v->l4_len;
	} else {
		if (total_len < hlen)
			return SS_REASON_BAD_IPV4_TOTAL_LEN;
		v->ip_len = total_len;
		v->l4_len = total_len - hlen;
	}
	v->l4 = ss_cursor_sub(c, v->l4_len);
	if (frag & 0x3fff) {
		v->fragment = TRUE;
		v->frag_more = (frag & 0x2000) != 0;
		v->frag_proto = v->proto;
		v->frag_id = ident;
		v->frag_off = (guint32)(frag & 0x1fff) * 8;
		v->frag_len = v->l4_len;
		v->frag_data = v->l4;
	}

	/* Only the first fragment (offset 0, with or without MF) has ports. */
	if ((frag & 0x1fff) != 0)
		return SS_REASON_IP_FRAGMENT;
	v->first_fragment = (frag & 0x2000) != 0;
	return SS_REASON_OK;
}

gboolean ss_ipv6_is_ext(guint8 nh)
{
	switch (nh) {
	case SS_IPPROTO_HOPOPTS:
	case SS_IPPROTO_ROUTING:
	case SS_IPPROTO_FRAGMENT:
	case SS_IPPROTO_AH:
	case SS_IPPROTO_DSTOPTS:
	case SS_IPPROTO_MH:
	case SS_IPPROTO_HIP:
	case SS_IPPROTO_SHIM6:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Walks the extension chain inside v->l4, leaving v->l4/v->l4_len/v->proto
 * at the upper-layer header.  A header that runs past the declared payload
 * length is the sender's fault; one that runs only past the capture is
 * truncation (always so when the length was guessed from the capture). */
static ss_reason walk_ipv6_ext(ss_ip_view *v)
{
	guint8 nh = v->proto;
	guint count = 0;

	while (ss_ipv6_is_ext(nh)) {
		if (++count > SS_MAX_IPV6_EXT)
			return SS_REASON_BAD_IPV6_EXT_CHAIN;

		ss_cursor peek = v->l4;
		guint8 next = ss_get_u8(&peek);
		guint8 len_field = ss_get_u8(&peek);
		guint32 hlen;

		if (nh == SS_IPPROTO_FRAGMENT)
			hlen = 8;
		else if (nh == SS_IPPROTO_AH)
			hlen = ((guint32)len_field + 2) * 4;
		else
			hlen = ((guint32)len_field + 1) * 8;

		/* Judge the declared length before the captured one: a header the
		 * sender says does not fit is invalid however much was captured
		 * (hlen >= 8, so this also covers the 2 bytes just peeked). */
		if (!v->l4_len_guessed && hlen > v->l4_len)
			return SS_REASON_BAD_IPV6_EXT_CHAIN;
		if (peek.trunc || hlen > v->l4.len)
			return SS_REASON_TRUNC_IPV6_EXT;

		/* A routing header with segments left: the transport checksum
		 * covers the final destination, which is not dst (RFC 8200
		 * 8.1), so it is not verified (ss_decode_l4). */
		if (nh == SS_IPPROTO_ROUTING) {
			ss_cursor rh = peek;
			ss_skip(&rh, 1);   /* routing type */
			if (ss_get_u8(&rh) != 0)
				v->routed = TRUE;
		}

		if (nh == SS_IPPROTO_FRAGMENT) {
			guint16 off_flags = ss_get_be16(&peek);
			guint32 ident = ss_get_be32(&peek);
			/* Offset 0 without M is an atomic fragment (RFC 6946):
			 * a whole datagram. */
			if (off_flags & 0xfff9) {
				ss_cursor after = v->l4;
				ss_skip(&after, 8);
				v->fragment = TRUE;
				v->frag_more = (off_flags & 1) != 0;
				v->frag_proto = next;
				v->frag_id = ident;
				v->frag_off = off_flags & 0xfff8;
				v->frag_len = v->l4_len - 8;
				v->frag_data = after;
			}
			if ((off_flags & 0xfff8) != 0) {
				v->proto = next;
				return SS_REASON_IP_FRAGMENT;
			}
			v->first_fragment = (off_flags & 1) != 0;
		}

		ss_skip(&v->l4, hlen);
		v->l4_len -= hlen;
		nh = next;
		v->proto = nh;
	}

	/* No Next Header and ESP: whatever follows is not a readable
	 * transport header. */
	return SS_REASON_OK;
}

static ss_reason parse_ipv6(ss_cursor *c, ss_ip_view *v)
{
	if (!ss_cursor_need(c, 40))
		return SS_REASON_TRUNC_IPV6;

	ss_skip(c, 4); /* version, traffic class, flow label */
	guint16 payload_len = ss_get_be16(c);
	v->proto = ss_get_u8(c);
	v->ttl = ss_get_u8(c);
	ss_get_bytes(c, v->src.bytes, 16);
	ss_get_bytes(c, v->dst.bytes, 16);

	if (payload_len == 0) {
		/* Jumbogram (length in a hop-by-hop option) or TSO/GSO capture:
		 * either way the capture is the best length available. */
		v->l4_len_guessed = TRUE;
		v->l4_len = (guint32)MIN(c->len, G_MAXUINT32 - 40);
	} else {
		v->l4_len = payload_len;
	}
	v->ip_len = 40 + v->l4_len;
	v->l4 = ss_cursor_sub(c, v->l4_len);

	return walk_ipv6_ext(v);
}

ss_reason ss_ip_parse(ss_cursor *c, guint8 expect_family, ss_ip_view *v)
{
	memset(v, 0, offsetof(ss_ip_view, frag_more));

	if (!ss_cursor_need(c, 1))
		return expect_family == SS_FAMILY_IPV6 ? SS_REASON_TRUNC_IPV6
						       : SS_REASON_TRUNC_IPV4;

	/* Peek at the version without consuming: each parser reads its whole
	 * header from the start. */
	ss_cursor peek = *c;
	guint8 version = ss_get_u8(&peek) >> 4;
	if (expect_family != 0 && version != expect_family)
		return SS_REASON_BAD_IP_VERSION;

	ss_reason r;
	if (version == 4) {
		v->family = SS_FAMILY_IPV4;
		r = parse_ipv4(c, v);
	} else if (version == 6) {
		v->family = SS_FAMILY_IPV6;
		r = parse_ipv6(c, v);
	} else {
		return SS_REASON_BAD_IP_VERSION;
	}
	if (r != SS_REASON_OK)
		return r;

	if (v->proto == SS_IPPROTO_NONE || v->proto == SS_IPPROTO_ESP)
		return SS_REASON_OTHER_IP_PROTO;
	return SS_REASON_OK;
}

/* ss_decode_ip() clears everything from `family` on (the inner fields, the
 * tunnel, the ICMP quote) and must not touch the capture metadata; that
 * relies on the metadata coming first (sockscope/packet.h). */
G_STATIC_ASSERT(offsetof(ss_packet, ts_ns) < offsetof(ss_packet, family) &&
		offsetof(ss_packet, caplen) < offsetof(ss_packet, family) &&
		offsetof(ss_packet, wirelen) < offsetof(ss_packet, family) &&
		offsetof(ss_packet, family) < offsetof(ss_packet, tunnel));

/* Remembers this IP header as the outer one of whatever tunnel it holds. */
static void set_outer(ss_decap *d, const ss_ip_view *v)
{
	d->outer_family = v->family;
	d->outer_src = v->src;
	d->outer_dst = v->dst;
	d->outer_sport = d->outer_dport = 0;
}

/* IP-in-IP (4in4, 6in4, 4in6, 6in6): the protocol number is the claim, so
 * a version nibble that contradicts it is bad_ip_version, not plain IP. */
static ss_reason decap_ipip(ss_decap *d, const ss_ip_view *v)
{
	if (!ss_decap_enter(d, SS_TUNNEL_IPIP, FALSE, 0))
		return SS_REASON_BAD_TUNNEL_DEPTH;
	return ss_decap_ip(d, v->l4, v->proto == SS_IPPROTO_IPIP ? SS_FAMILY_IPV4
								 : SS_FAMILY_IPV6);
}

ss_reason ss_decap_ip(ss_decap *d, ss_cursor c, guint8 expect_family)
{
	ss_packet *out = d->out;
	ss_ip_view v;

	ss_reason r = ss_ip_parse(&c, expect_family, &v);

	/* Reassembly (frag.c): a fragment is held, dropped, let through as it
	 * is (a first fragment with the whole transport header), or completes
	 * the start of its datagram, whose header is then decoded from the
	 * reassembled bytes (no tunnel is looked for inside those). */
	gboolean rebuilt = FALSE;
	if (G_UNLIKELY(v.fragment) && d->frag) {
		ss_reason fr = ss_frag_add(d->frag, out->ts_ns, &v, &rebuilt);
		if (fr != SS_REASON_OK)
			r = fr;
		else if (rebuilt)
			r = v.family == SS_FAMILY_IPV6 ? walk_ipv6_ext(&v) : SS_REASON_OK;
	}

	ss_packet_set_ip(out, &v);

	if (r == SS_REASON_OTHER_IP_PROTO)
		out->l4 = SS_L4_OTHER;
	if (r != SS_REASON_OK)
		return r;
	if (rebuilt)
		return ss_decode_l4(&v, out);

	switch (v.proto) {
	case SS_IPPROTO_UDP:
		r = ss_decode_l4(&v, out);
		if (r == SS_REASON_OK && ss_decap_enabled(d)) {
			ss_reason tr;
			guint depth = d->depth;
			set_outer(d, &v);
			if (ss_decap_udp(d, &v, &tr)) {
				/* Claimed but cut before the tunnel was entered:
				 * the outer datagram is not tracked either. */
				if (d->depth == depth)
					ss_packet_clear_inner(out);
				return tr;
			}
		}
		return r;
	case SS_IPPROTO_IPIP:
	case SS_IPPROTO_IPV6:
		if (!ss_decap_enabled(d))
			break;
		set_outer(d, &v);
		return decap_ipip(d, &v);
	case SS_IPPROTO_GRE:
		if (!ss_decap_enabled(d))
			break;
		set_outer(d, &v);
		out->l4 = SS_L4_OTHER;
		return ss_decap_gre(d, v.l4);
	default:
		break;
	}
	return ss_decode_l4(&v, out);
}

ss_reason ss_decode_ip(const guint8 *data, gsize len, guint8 expect_family,
		       ss_packet *out)
{
	ss_decap d = { .out = out };

	/* Leave the capture metadata the caller (or ss_decode) already set. */
	memset(&out->family, 0, sizeof(*out) - offsetof(ss_packet, family));
	return ss_decap_ip(&d, ss_cursor_make(data, len), expect_family);
}
