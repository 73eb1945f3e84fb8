/* Interfaces shared between the decoder layers; not installed, not public.
 *
 * The IP parser fills an ss_ip_view instead of an ss_packet so that the same
 * code can parse both the outer IP header and the header an ICMP error
 * quotes, without the quote overwriting the outer packet's fields. */
#ifndef SOCKSCOPE_DECODE_INTERNAL_H
#define SOCKSCOPE_DECODE_INTERNAL_H

#include <string.h>

#include "sockscope/cursor.h"
#include "sockscope/decode.h"

/* Big-endian loads at p, for headers whose length was checked once
 * (ss_cursor_need) instead of at every field. */
static inline guint16 ss_be16_at(const guint8 *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static inline guint32 ss_be32_at(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* IANA protocol numbers, spelled out so the decoder does not depend on the
 * host's <netinet/in.h> (IPPROTO_MH and friends are not everywhere). */
enum {
	SS_IPPROTO_HOPOPTS = 0,
	SS_IPPROTO_ICMP = 1,
	SS_IPPROTO_IPIP = 4,
	SS_IPPROTO_TCP = 6,
	SS_IPPROTO_UDP = 17,
	SS_IPPROTO_IPV6 = 41,
	SS_IPPROTO_ROUTING = 43,
	SS_IPPROTO_FRAGMENT = 44,
	SS_IPPROTO_GRE = 47,
	SS_IPPROTO_ESP = 50,
	SS_IPPROTO_AH = 51,
	SS_IPPROTO_ICMPV6 = 58,
	SS_IPPROTO_NONE = 59,
	SS_IPPROTO_DSTOPTS = 60,
	SS_IPPROTO_MH = 135,
	SS_IPPROTO_HIP = 139,
	SS_IPPROTO_SHIM6 = 140,
};

typedef struct {
	guint8 family;         /* SS_FAMILY_* */
	guint8 proto;          /* final protocol / next header */
	guint8 ttl;
	ss_ip src, dst;
	guint32 ip_len;        /* declared (or, see l4_len_guessed, captured) */
	ss_cursor l4;          /* transport bytes: min(declared, captured) */
	guint32 l4_len;        /* declared transport length */
	/* The IP header declared no usable length (IPv4 total length 0 or IPv6
	 * payload length 0: TSO/GSO captures, jumbograms), so l4_len is just what
	 * was captured; running past it is truncation, not a lie by the sender. */
	gboolean l4_len_guessed;
	/* A first fragment (more fragments follow): its transport header may
	 * declare a length longer than this packet carries. */
	gboolean first_fragment;
	/* An IPv6 routing header with segments left: dst is not the address
	 * the transport checksum was computed over. */
	gboolean routed;
	/* A fragment (IPv4 MF or offset, IPv6 fragment header that is not
	 * atomic): its id, where its bytes go, and those bytes (the
	 * fragmentable part: after the IPv4 header, after the IPv6 fragment
	 * header), for reassembly (frag.c).  The fields after `fragment` are
	 * set only when it is TRUE: ss_ip_parse() does not clear them (it
	 * runs for every packet). */
	gboolean fragment;
	gboolean frag_more;
	guint8 frag_proto;     /* IPv4 protocol, or the fragment header's next header */
	guint32 frag_id;
	guint32 frag_off;      /* bytes */
	guint32 frag_len;      /* declared bytes of this fragment's part */
	ss_cursor frag_data;   /* its captured bytes */
} ss_ip_view;

/* Parses an IPv4 or IPv6 header and (for IPv6) its extension chain.
 * Returns OK when v->l4 starts at a transport header for v->proto;
 * IP_FRAGMENT and OTHER_IP_PROTO still fill family, addresses and proto. */
ss_reason ss_ip_parse(ss_cursor *c, guint8 expect_family, ss_ip_view *v);

/* Decodes the transport header described by `ip` into `out`, whose IP
 * fields the caller has already filled. */
ss_reason ss_decode_l4(const ss_ip_view *ip, ss_packet *out);

/* link.c's Ethernet fast path from the IP header on (ethertype `type`,
 * `len` >= 20 captured bytes at `ip`): TRUE with *r and `out` decoded as
 * the general chain would, or FALSE having written nothing (l4.c). */
gboolean ss_decode_fast_ip(const ss_decode_config *cfg, guint16 type, const guint8 *ip,
			   guint32 len, ss_packet *out, ss_reason *r);

/* The packet's IP fields from the (innermost) IP header's view: the general
 * chain (ip.c) and the Ethernet fast path (link.c) set them the same way. */
static inline void ss_packet_set_ip(ss_packet *out, const ss_ip_view *v)
{
	out->family = v->family;
	out->ip_proto = v->proto;
	out->ttl = v->ttl;
	if (v->family == SS_FAMILY_IPV4) {
		/* An IPv4 view's address bytes 4-15 are zero (ss_ip_parse()
		 * clears the view, the fast path its addresses), so only the
		 * 4 written ones are read back: a 16-byte load of an address
		 * written a moment ago as a 4-byte copy over a zeroed 16 cannot
		 * be forwarded from the store buffer and waits for those stores
		 * to reach the cache.  perf put half of ss_decode_frag's samples
		 * on that reload (docs/performance.md, "Packet side, ninth
		 * session"). */
		ss_ip s = { 0 }, d = { 0 };
		memcpy(s.bytes, v->src.bytes, 4);
		memcpy(d.bytes, v->dst.bytes, 4);
		out->src = s;
		out->dst = d;
	} else {
		out->src = v->src;
		out->dst = v->dst;
	}
	out->ip_len = v->ip_len;
}

/* TRUE for the IPv6 extension headers the chain walk follows. */
gboolean ss_ipv6_is_ext(guint8 nh);

struct ss_frag_table;
/* Reassembly of a fragment marked by the IP parser (frag.c; the policy is
 * in sockscope/frag.h).  SS_REASON_OK: decode the transport header from v;
 * with *rebuilt, v now describes the reassembled start of the datagram
 * (v->l4 points into the table, valid until the next call).  Otherwise the
 * fragment was held or dropped, and the reason says which. */
ss_reason ss_frag_add(struct ss_frag_table *t, gint64 now_ns, ss_ip_view *v,
		      gboolean *rebuilt);

/* ---- decapsulation (ethertype.c, tunnel.c, ip.c) ----
 *
 * One ss_decap per packet, on the stack: the config, how deep the decoder
 * is, and the nearest enclosing IP header's endpoints, which a tunnel found
 * inside it records as its outer endpoints.  Each decoder checks its own
 * header with the cursor, records itself in out->tunnel and hands the inner
 * bytes to ss_decap_frame() (an Ethernet frame), ss_decap_ethertype() (what
 * follows a type field) or ss_decap_ip() (an IP packet). */
typedef struct {
	const ss_decode_config *cfg;   /* NULL: built-in defaults */
	struct ss_frag_table *frag;    /* NULL: fragments are not reassembled */
	ss_packet *out;
	guint depth;
	guint8 outer_family;
	ss_ip outer_src, outer_dst;
	guint16 outer_sport, outer_dport;
	/* Where an 802.11 A-MSDU is read from (wlan.c); NULL for callers that
	 * take one packet per frame. */
	ss_frame_iter *parts;
	guint32 parts_at;              /* the subframe to decode: parts->next on entry */
} ss_decap;

enum {
	SS_ETHERTYPE_IPV4 = 0x0800,
	SS_ETHERTYPE_IPV6 = 0x86dd,
	SS_ETHERTYPE_TEB = 0x6558,        /* Transparent Ethernet Bridging */
	SS_ETHERTYPE_PPP = 0x880b,
	SS_ETHERTYPE_MPLS = 0x8847,
	SS_ETHERTYPE_MPLS_MC = 0x8848,
	SS_ETHERTYPE_ERSPAN_II = 0x88be,
	SS_ETHERTYPE_ERSPAN_III = 0x22eb,
	SS_ETHERTYPE_PPPOE_SESSION = 0x8864,
};

/* --max-tunnel-depth 0 turns decapsulation off: tunnels are then tracked
 * as the outer packets they are, as before sockscope removed them. */
static inline gboolean ss_decap_enabled(const ss_decap *d)
{
	return d->cfg == NULL || d->cfg->max_depth > 0;
}

/* Forgets what an outer packet filled in (the IP and transport fields):
 * the tunnel's inner packet is the one tracked. */
static inline void ss_packet_clear_inner(ss_packet *out)
{
	G_STATIC_ASSERT(G_STRUCT_OFFSET(ss_packet, family) < G_STRUCT_OFFSET(ss_packet, tunnel) &&
			G_STRUCT_OFFSET(ss_packet, tunnel) + sizeof(ss_tunnel) ==
				G_STRUCT_OFFSET(ss_packet, icmp) &&
			G_STRUCT_OFFSET(ss_packet, icmp) + sizeof(ss_icmp_quote) ==
				sizeof(ss_packet));
	memset(&out->family, 0,
	       G_STRUCT_OFFSET(ss_packet, tunnel) - G_STRUCT_OFFSET(ss_packet, family));
	memset(&out->icmp, 0, sizeof out->icmp);
}

/* Counts one more encapsulation and records it as the innermost one;
 * FALSE (the packet is then bad_tunnel_depth) past max_depth. */
gboolean ss_decap_enter(ss_decap *d, ss_tunnel_type type, gboolean has_vni, guint32 vni);

ss_reason ss_decap_frame(ss_decap *d, ss_cursor c);
ss_reason ss_decap_ethertype(ss_decap *d, ss_cursor *c, guint16 type);
ss_reason ss_decap_ip(ss_decap *d, ss_cursor c, guint8 expect_family);
/* A PPP protocol field (1 or 2 bytes, after any address/control) and
 * what follows. */
ss_reason ss_decap_ppp(ss_decap *d, ss_cursor *c, ss_reason trunc);
/* An 802.2 LLC header (ethertype.c): only SNAP (OUI 0 or 0xf8) carries a
 * type on, read into *type; other LLC is non_ip, a cut one trunc_link. */
ss_reason ss_llc_snap(ss_cursor *c, guint16 *type);
/* 802.11 (wlan.c): c starts at the MAC header (DLT_IEEE802_11), or at the
 * radio pseudo-header in front of it: radiotap, PPI, Prism (which also
 * takes an AVS header, as some drivers write under that link type), AVS. */
ss_reason ss_decap_80211(ss_decap *d, ss_cursor c);
ss_reason ss_decap_radiotap(ss_decap *d, ss_cursor c);
ss_reason ss_decap_ppi(ss_decap *d, ss_cursor c);
ss_reason ss_decap_prism(ss_decap *d, ss_cursor c);
ss_reason ss_decap_avs(ss_decap *d, ss_cursor c);
/* The frame behind a PPI header, of the link type `dlt` it names (link.c):
 * every link type sockscope decodes, through the capture's own dispatch;
 * PPI or PKTAP inside is bad_radio_header, an unknown one unsupported_link. */
ss_reason ss_decap_dlt(ss_decap *d, guint32 dlt, ss_cursor c);
/* GRE (IP protocol 47, or inside UDP 4754): c starts at the GRE header. */
ss_reason ss_decap_gre(ss_decap *d, ss_cursor c);
/* Tries the UDP tunnel registered for the outer UDP packet's ports; FALSE
 * when none is or the payload is not that tunnel (then it is plain UDP). */
gboolean ss_decap_udp(ss_decap *d, const ss_ip_view *ip, ss_reason *r);
/* TRUE when a UDP tunnel may be registered for `port` (a superset of what
 * ss_decap_udp() tries: the config's port bitmap, or the built-in ports):
 * the fast path (link.c) leaves such packets to the general chain. */
gboolean ss_default_tunnel_port(guint16 port);
static inline gboolean ss_udp_port_maybe_tunnel(const ss_decode_config *cfg, guint16 port)
{
	if (cfg == NULL)
		return ss_default_tunnel_port(port);
	return (cfg->port_bits[port >> 6] >> (port & 63)) & 1;
}

#endif
