/* Transport layer: TCP, UDP, and ICMP/ICMPv6 errors with their quotes.
 *
 * Every length check distinguishes two failures: a header that does not fit
 * in what the IP layer *declared* is the sender's lie (bad_*), while one
 * that fits the declaration but not the capture is truncation (trunc_*).
 * When the IP length was guessed from the capture there is no declaration
 * to contradict, so only truncation is possible. */
#include "decode/internal.h"

enum {
	TCPOPT_EOL = 0,
	TCPOPT_NOP = 1,
	TCPOPT_MSS = 2,
	TCPOPT_WSCALE = 3,
	TCPOPT_SACK_PERM = 4,
	TCPOPT_TS = 8,
};

/* Options are advisory for flow tracking, so a malformed one just ends the
 * parse; the segment itself is still good. */
static void parse_tcp_options(ss_cursor *c, ss_tcp_info *t)
{
	while (c->len > 0) {
		guint8 kind = ss_get_u8(c);
		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP)
			continue;
		guint8 len = ss_get_u8(c);
		if (c->trunc || len < 2 || (gsize)(len - 2) > c->len)
			return;
		ss_cursor o = ss_cursor_sub(c, len - 2u);
		switch (kind) {
		case TCPOPT_MSS:
			if (len != 4)
				return;
			t->mss = ss_get_be16(&o);
			t->options |= SS_TCPOPT_HAVE_MSS;
			break;
		case TCPOPT_WSCALE:
			if (len != 3)
				return;
			t->wscale = ss_get_u8(&o);
			t->options |= SS_TCPOPT_HAVE_WSCALE;
			break;
		case TCPOPT_SACK_PERM:
			if (len != 2)
				return;
			t->options |= SS_TCPOPT_HAVE_SACK_PERM;
			break;
		case TCPOPT_TS:
			if (len != 10)
				return;
			t->ts_val = ss_get_be32(&o);
			t->ts_ecr = ss_get_be32(&o);
			t->options |= SS_TCPOPT_HAVE_TS;
			break;
		default:
			break;
		}
	}
}

/* ---- checksums (RFC 1071, 793, 768, 8200 8.1) ----
 *
 * The Internet checksum of the whole segment and its pseudo-header, summed
 * in the host's byte order, 8 bytes at a time into 64-bit accumulators with
 * end-around carry: the ones' complement sum is the same in either byte
 * order up to a final swap (RFC 1071 2.B), and the folded sum of a correct
 * segment is 0xffff, which a swap leaves alone.  Every packet of a capture
 * goes through this, so it is written for speed: two independent carry
 * chains, no byte swaps.  glib has no Internet checksum, and libpcap none
 * it exports. */

static inline guint64 sum_add(guint64 acc, guint64 v)
{
	acc += v;
	return acc + (acc < v);
}

static guint64 sum_bytes(const guint8 *p, gsize n, guint64 acc)
{
	guint64 a = 0, b = 0, x, y;
	while (n >= 16) {
		memcpy(&x, p, 8);
		memcpy(&y, p + 8, 8);
		a = sum_add(a, x);
		b = sum_add(b, y);
		p += 16;
		n -= 16;
	}
	if (n >= 8) {
		memcpy(&x, p, 8);
		a = sum_add(a, x);
		p += 8;
		n -= 8;
	}
	/* The tail (0-7 bytes) starts 8-aligned from the segment's start, so
	 * its 16-bit words sit at even offsets, and each load below adds its
	 * words to the sum in the host's byte order, as the 8-byte loads do
	 * (2^16 = 1 in the ones' complement sum); an odd last byte is padded
	 * with zero, as RFC 1071 says.  Fixed-size loads instead of one
	 * memcpy() of n bytes: that took 23 instructions per call (callgrind,
	 * 200k plain packets, two calls per checksummed packet). */
	if (n & 4) {
		guint32 w;
		memcpy(&w, p, 4);
		b = sum_add(b, w);
		p += 4;
	}
	if (n & 2) {
		guint16 w;
		memcpy(&w, p, 2);
		b = sum_add(b, w);
		p += 2;
	}
	if (n & 1) {
		const guint8 last[2] = { p[0], 0 };
		guint16 w;
		memcpy(&w, last, 2);
		b = sum_add(b, w);
	}
	return sum_add(sum_add(acc, a), b);
}

static guint16 sum_fold(guint64 acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (guint16)acc;
}

/* The pseudo-header's sum: addresses, protocol and transport length,
 * loaded straight from the view in the same host-order words sum_bytes()
 * would read from the pseudo-header laid out in memory (and congruent to
 * that sum, never 0: the protocol word is not), instead of building the
 * header in a buffer and summing it: 52 instructions per IPv4 packet before
 * (callgrind, 200k plain packets). */
static inline __attribute__((always_inline)) guint64
pseudo_sum(const ss_ip_view *ip, guint32 len)
{
	if (ip->family == SS_FAMILY_IPV4) {
		const guint8 tail[4] = { 0, ip->proto, (guint8)(len >> 8), (guint8)len };
		guint32 s, d, t;
		memcpy(&s, ip->src.bytes, 4);
		memcpy(&d, ip->dst.bytes, 4);
		memcpy(&t, tail, 4);
		return (guint64)s + d + t;   /* < 2^34: no carry to fold */
	}
	const guint8 tail[8] = { (guint8)(len >> 24), (guint8)(len >> 16), (guint8)(len >> 8),
				 (guint8)len, 0, 0, 0, ip->proto };
	guint64 w[5];
	memcpy(w, ip->src.bytes, 16);
	memcpy(w + 2, ip->dst.bytes, 16);
	memcpy(w + 4, tail, 8);
	guint64 acc = w[0];
	for (guint i = 1; i < 5; i++)
		acc = sum_add(acc, w[i]);
	return acc;
}

/* The verdict on the checksum at byte `at` of a `len`-byte segment.  Only a
 * segment that is all in the capture, whose length the IP header declared
 * and whose pseudo-header is known can be judged.  A wrong checksum that
 * holds the pseudo-header's sum (or 0) is what a host offloading its
 * checksums to the NIC hands to a capture on that host (Linux
 * CHECKSUM_PARTIAL leaves exactly that sum for the NIC to finish): it was
 * never on the wire like that, so it is PARTIAL, not BAD. */
static inline __attribute__((always_inline)) guint8
check_sum(const ss_ip_view *ip, guint32 len, gsize at)
{
	if (ip->l4_len_guessed || ip->first_fragment || ip->routed || ip->l4.len < len ||
	    len < at + 2)
		return SS_CSUM_UNVERIFIED;
	guint64 ps = pseudo_sum(ip, len);
	if (sum_fold(sum_bytes(ip->l4.p, len, ps)) == 0xffff)
		return SS_CSUM_OK;
	guint16 field;
	memcpy(&field, ip->l4.p + at, 2);
	if (field == 0 || field == sum_fold(ps))
		return SS_CSUM_PARTIAL;
	return SS_CSUM_BAD;
}

static inline __attribute__((always_inline)) ss_reason
decode_tcp(const ss_ip_view *ip, ss_packet *out)
{
	ss_cursor c = ip->l4;

	if (!ip->l4_len_guessed && ip->l4_len < 20)
		return SS_REASON_BAD_TCP_OFFSET;
	if (!ss_cursor_need(&c, 20))
		return SS_REASON_TRUNC_TCP;

	out->sport = ss_get_be16(&c);
	out->dport = ss_get_be16(&c);
	out->tcp.seq = ss_get_be32(&c);
	out->tcp.ack = ss_get_be32(&c);
	guint hlen = (guint)(ss_get_u8(&c) >> 4) * 4;
	out->tcp.flags = ss_get_u8(&c);
	out->tcp.window = ss_get_be16(&c);
	ss_skip(&c, 4); /* checksum, urgent pointer */

	if (hlen < 20)
		return SS_REASON_BAD_TCP_OFFSET;
	if (!ip->l4_len_guessed && hlen > ip->l4_len)
		return SS_REASON_BAD_TCP_OFFSET;
	if (hlen - 20 > c.len)
		return SS_REASON_TRUNC_TCP;

	ss_cursor opts = ss_cursor_sub(&c, hlen - 20);
	/* Only a SYN's or a SYN-ACK's options are read (flow/conn.c keeps the
	 * handshake's MSS, window scale, SACK and timestamps), and a malformed
	 * option never changes the packet's reason, so the options of every
	 * other segment (most carry timestamps) are skipped: ~45 instructions
	 * a data segment (docs/performance.md, "Packet side, fifth session"). */
	if (out->tcp.flags & SS_TCP_SYN)
		parse_tcp_options(&opts, &out->tcp);

	out->l4 = SS_L4_TCP;
	out->payload_len = ip->l4_len - hlen;
	out->payload_cut = c.len < out->payload_len;
	out->csum = check_sum(ip, ip->l4_len, 16);
	return SS_REASON_OK;
}

static inline __attribute__((always_inline)) ss_reason
decode_udp(const ss_ip_view *ip, ss_packet *out)
{
	ss_cursor c = ip->l4;

	if (!ip->l4_len_guessed && ip->l4_len < 8)
		return SS_REASON_BAD_UDP_LENGTH;
	if (!ss_cursor_need(&c, 8))
		return SS_REASON_TRUNC_UDP;

	out->sport = ss_get_be16(&c);
	out->dport = ss_get_be16(&c);
	guint32 ulen = ss_get_be16(&c);
	guint16 sum = ss_get_be16(&c);

	/* RFC 2675: a UDP jumbogram carries length 0 and relies on the IPv6
	 * jumbo payload length, which arrives here as a guessed length. */
	if (ulen == 0 && ip->l4_len_guessed && ip->family == SS_FAMILY_IPV6)
		ulen = ip->l4_len;
	if (ulen < 8)
		return SS_REASON_BAD_UDP_LENGTH;
	if (ulen > ip->l4_len && !ip->l4_len_guessed && !ip->first_fragment)
		return SS_REASON_BAD_UDP_LENGTH;

	out->l4 = SS_L4_UDP;
	out->payload_len = ulen - 8;
	out->payload_cut = c.len < out->payload_len;
	/* 0: not computed.  IPv4 allows it (RFC 768); IPv6 only for tunnels
	 * whose endpoints agreed to it (RFC 6935, 6936: VXLAN, Geneve...),
	 * which a capture cannot tell from a broken sender, so it is not
	 * called bad either (Zeek calls it bad outside VXLAN). */
	if (sum == 0)
		out->csum = SS_CSUM_NONE;
	else
		out->csum = check_sum(ip, ulen, 6);
	return SS_REASON_OK;
}

static gboolean icmp_type_is_error(guint8 family, guint8 type)
{
	if (family == SS_FAMILY_IPV4)
		/* unreachable, source quench, time exceeded, parameter problem.
		 * Redirect (5) quotes a packet too, but it is routing advice,
		 * not a verdict on the flow. */
		return type == 3 || type == 4 || type == 11 || type == 12;
	/* unreachable, packet too big, time exceeded, parameter problem */
	return type >= 1 && type <= 4;
}

/* Maps a failure inside the quote to the outer packet's reason.  When the
 * whole declared ICMP message was captured, a quote too short for what it
 * claims was cut by the sender, which RFC 792 forbids before the ports. */
static ss_reason quote_failure(ss_reason r, gboolean quote_complete)
{
	switch (ss_reason_class_of(r)) {
	case SS_CLASS_TRUNCATED:
		return quote_complete ? SS_REASON_BAD_ICMP_QUOTE : SS_REASON_TRUNC_ICMP;
	case SS_CLASS_IGNORED:
		/* ESP or No Next Header: nothing trackable was quoted.  A
		 * non-first fragment cannot be quoted (RFC 1122 4.3.2.7 forbids
		 * errors about them), so that is garbage. */
		return r == SS_REASON_IP_FRAGMENT ? SS_REASON_BAD_ICMP_QUOTE
						  : SS_REASON_ICMP_NOT_ERROR;
	default:
		return SS_REASON_BAD_ICMP_QUOTE;
	}
}

static ss_reason decode_icmp(const ss_ip_view *ip, ss_packet *out)
{
	ss_cursor c = ip->l4;
	guint8 icmp_proto = ip->family == SS_FAMILY_IPV4 ? SS_IPPROTO_ICMP
							 : SS_IPPROTO_ICMPV6;

	out->l4 = SS_L4_OTHER;
	out->icmp.type = ss_get_u8(&c);
	out->icmp.code = ss_get_u8(&c);
	if (c.trunc)
		return SS_REASON_TRUNC_ICMP;
	if (!icmp_type_is_error(ip->family, out->icmp.type))
		return SS_REASON_ICMP_NOT_ERROR;

	/* Checksum and the 4-byte type-specific word (MTU, pointer...). */
	if (!ip->l4_len_guessed && ip->l4_len < 8)
		return SS_REASON_BAD_ICMP_QUOTE;
	ss_skip(&c, 6);
	if (c.trunc)
		return SS_REASON_TRUNC_ICMP;

	gboolean quote_complete = !ip->l4_len_guessed && c.len >= ip->l4_len - 8;

	/* The quote is parsed with the IP parser but never handed to
	 * ss_decode_l4(): only 8 transport bytes are read, so an ICMP error
	 * quoting another ICMP error cannot recurse. */
	ss_ip_view q;
	ss_reason r = ss_ip_parse(&c, ip->family, &q);
	out->icmp.family = q.family;
	out->icmp.proto = q.proto;
	out->icmp.src = q.src;
	out->icmp.dst = q.dst;
	if (r != SS_REASON_OK)
		return quote_failure(r, quote_complete);

	ss_cursor ql4 = q.l4;
	if (q.proto == icmp_proto) {
		/* Errors about errors are forbidden (RFC 1122 3.2.2, RFC 4443
		 * 2.4); an error about an echo is legitimate but not a flow. */
		guint8 qtype = ss_get_u8(&ql4);
		if (!ql4.trunc && icmp_type_is_error(q.family, qtype))
			return SS_REASON_BAD_ICMP_QUOTE;
		return SS_REASON_ICMP_NOT_ERROR;
	}
	if (q.proto != SS_IPPROTO_TCP && q.proto != SS_IPPROTO_UDP)
		return SS_REASON_ICMP_NOT_ERROR;

	if (!q.l4_len_guessed && q.l4_len < 4)
		return SS_REASON_BAD_ICMP_QUOTE;
	out->icmp.sport = ss_get_be16(&ql4);
	out->icmp.dport = ss_get_be16(&ql4);
	if (ql4.trunc)
		return quote_failure(SS_REASON_TRUNC_ICMP, quote_complete);

	if (q.proto == SS_IPPROTO_TCP) {
		guint32 seq = ss_get_be32(&ql4);
		if (!ql4.trunc) {
			out->icmp.tcp_seq = seq;
			out->icmp.has_tcp_seq = TRUE;
		}
	}

	out->l4 = SS_L4_ICMP_ERROR;
	return SS_REASON_OK;
}

ss_reason ss_decode_l4(const ss_ip_view *ip, ss_packet *out)
{
	switch (ip->proto) {
	case SS_IPPROTO_TCP:
		return decode_tcp(ip, out);
	case SS_IPPROTO_UDP:
		return decode_udp(ip, out);
	case SS_IPPROTO_ICMP:
		if (ip->family == SS_FAMILY_IPV4)
			return decode_icmp(ip, out);
		break;
	case SS_IPPROTO_ICMPV6:
		if (ip->family == SS_FAMILY_IPV6)
			return decode_icmp(ip, out);
		break;
	default:
		break;
	}
	out->l4 = SS_L4_OTHER;
	return SS_REASON_OTHER_IP_PROTO;
}

/* A UDP packet that may be a tunnel's goes the general way, which tries
 * the tunnel (ss_decap_udp); with fewer than 4 bytes there are no ports and
 * the general way fails in UDP before looking. */
static inline gboolean fast_udp_maybe_tunnel(const ss_decode_config *cfg, guint8 proto,
					     const guint8 *l4, guint32 avail)
{
	return proto == SS_IPPROTO_UDP && avail >= 4 && (cfg == NULL || cfg->max_depth > 0) &&
	       (ss_udp_port_maybe_tunnel(cfg, ss_be16_at(l4)) ||
		ss_udp_port_maybe_tunnel(cfg, ss_be16_at(l4 + 2)));
}

/* link.c's fast path from the IP header on (`len` captured bytes there,
 * at least 20): IPv4 with a 20-byte header, not a fragment, a declared
 * total length of at least 20, or IPv6 with no extension header and a
 * declared payload length; TCP or UDP; the whole IP header captured; for
 * UDP neither port one a UDP tunnel may be registered on.  It is here,
 * beside the transport decoders, so that those are inlined into it and
 * its IP view never goes through memory: built on link.c's side of a call
 * to ss_decode_l4(), the view was stored and then read back at once by
 * loads wider than its stores (an address written as 4 bytes over a
 * zeroed 16 and copied as 16; check_sum()'s flags, zeroed by one 16-byte
 * store and read 8 bytes at its offset 4), which the store buffer cannot
 * forward: each such load waits for the stores to reach the cache.  perf
 * put half of ss_decode_frag's samples, then of check_sum's, on those
 * reloads (docs/performance.md, "Packet side, ninth session"). */
gboolean ss_decode_fast_ip(const ss_decode_config *cfg, guint16 type, const guint8 *ip,
			   guint32 len, ss_packet *out, ss_reason *r)
{
	ss_ip_view v;
	guint32 avail;

	if (type == SS_ETHERTYPE_IPV4) {
		guint32 total = ss_be16_at(ip + 2);
		guint8 proto = ip[9];
		/* version 4, IHL 5; no MF, offset 0 (DF may be set); a declared
		 * total length (0 is TSO's guessed length, below 20 is
		 * bad_ipv4_total_len) */
		if (ip[0] != 0x45 || total < 20 || (ip[6] & 0x3f) != 0 || ip[7] != 0 ||
		    (proto != SS_IPPROTO_TCP && proto != SS_IPPROTO_UDP))
			return FALSE;
		avail = len - 20;
		if (fast_udp_maybe_tunnel(cfg, proto, ip + 20, avail))
			return FALSE;
		v.family = SS_FAMILY_IPV4;
		v.proto = proto;
		v.ttl = ip[8];
		memset(&v.src, 0, sizeof v.src);
		memset(&v.dst, 0, sizeof v.dst);
		memcpy(v.src.bytes, ip + 12, 4);
		memcpy(v.dst.bytes, ip + 16, 4);
		v.ip_len = total;
		v.l4_len = total - 20;
		v.l4 = ss_cursor_make(ip + 20, MIN(avail, v.l4_len));
	} else if (type == SS_ETHERTYPE_IPV6) {
		if (len < 40)
			return FALSE;
		guint32 plen = ss_be16_at(ip + 4);
		guint8 proto = ip[6];
		/* 0 is a jumbogram's or TSO's guessed length */
		if ((ip[0] >> 4) != 6 || plen == 0 ||
		    (proto != SS_IPPROTO_TCP && proto != SS_IPPROTO_UDP))
			return FALSE;
		avail = len - 40;
		if (fast_udp_maybe_tunnel(cfg, proto, ip + 40, avail))
			return FALSE;
		v.family = SS_FAMILY_IPV6;
		v.proto = proto;
		v.ttl = ip[7];
		memcpy(v.src.bytes, ip + 8, 16);
		memcpy(v.dst.bytes, ip + 24, 16);
		v.ip_len = 40 + plen;
		v.l4_len = plen;
		v.l4 = ss_cursor_make(ip + 40, MIN(avail, plen));
	} else {
		return FALSE;
	}
	v.l4_len_guessed = FALSE;
	v.first_fragment = FALSE;
	v.routed = FALSE;
	v.fragment = FALSE;

	ss_packet_set_ip(out, &v);
	*r = v.proto == SS_IPPROTO_TCP ? decode_tcp(&v, out) : decode_udp(&v, out);
	return TRUE;
}
