/* Interfaces shared between the decoder layers; not installed, not public.
 *
 * The IP parser fills an ss_ip_view instead of an ss_packet so that the same
 * code can parse both the outer IP header and the header an ICMP error
 * quotes, without the quote overwriting the outer packet's fields. */
#ifndef SOCKSCOPE_DECODE_INTERNAL_H
#define SOCKSCOPE_DECODE_INTERNAL_H

#include "sockscope/cursor.h"
#include "sockscope/decode.h"

/* IANA protocol numbers, spelled out so the decoder does not depend on the
 * host's <netinet/in.h> (IPPROTO_MH and friends are not everywhere). */
enum {
	SS_IPPROTO_HOPOPTS = 0,
	SS_IPPROTO_ICMP = 1,
	SS_IPPROTO_TCP = 6,
	SS_IPPROTO_UDP = 17,
	SS_IPPROTO_ROUTING = 43,
	SS_IPPROTO_FRAGMENT = 44,
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
} ss_ip_view;

/* Parses an IPv4 or IPv6 header and (for IPv6) its extension chain.
 * Returns OK when v->l4 starts at a transport header for v->proto;
 * IP_FRAGMENT and OTHER_IP_PROTO still fill family, addresses and proto. */
ss_reason ss_ip_parse(ss_cursor *c, guint8 expect_family, ss_ip_view *v);

/* Decodes the transport header described by `ip` into `out`, whose IP
 * fields the caller has already filled. */
ss_reason ss_decode_l4(const ss_ip_view *ip, ss_packet *out);

#endif
