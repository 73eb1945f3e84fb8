/* Packet decoding: link layer -> IPv4/IPv6 -> TCP/UDP/ICMP.
 *
 * One function per layer lives in its own source file (decode-link.c,
 * decode-ip.c, decode-l4.c); this header is their common interface.
 * Decoding never allocates, never reads past `caplen`, and narrows the bytes
 * handed to layer 4 to the IP total length so that Ethernet padding never
 * counts as payload.  Anything that is not a clean TCP/UDP/ICMP-error packet
 * comes back as a reason, which the caller counts; nothing here is fatal. */
#ifndef SOCKSCOPE_DECODE_H
#define SOCKSCOPE_DECODE_H

#include <glib.h>
#include "sockscope/packet.h"

/* Why a packet was not (fully) decoded.  SS_REASON_OK means `out` holds a
 * TCP, UDP or ICMP-error packet ready for flow tracking.  The other values
 * fall in three classes (see ss_reason_class_of()): packets that are fine but
 * carry nothing sockscope tracks, packets the capture cut short, and packets
 * whose headers are impossible. */
typedef enum {
	SS_REASON_OK = 0,

	/* SS_CLASS_IGNORED: well-formed, not tracked */
	SS_REASON_NON_IP,             /* ARP, LLDP, unknown ethertype/family... */
	SS_REASON_IP_FRAGMENT,        /* a non-first fragment: no ports in it */
	SS_REASON_OTHER_IP_PROTO,     /* not TCP, UDP, ICMP or ICMPv6 */
	SS_REASON_ICMP_NOT_ERROR,     /* echo, neighbour discovery, MLD... */
	SS_REASON_UNSUPPORTED_LINK,   /* link type sockscope cannot decode */

	/* SS_CLASS_TRUNCATED: the capture holds fewer bytes than the header needs */
	SS_REASON_TRUNC_LINK,
	SS_REASON_TRUNC_IPV4,
	SS_REASON_TRUNC_IPV6,
	SS_REASON_TRUNC_IPV6_EXT,
	SS_REASON_TRUNC_TCP,
	SS_REASON_TRUNC_UDP,
	SS_REASON_TRUNC_ICMP,         /* ICMP header, or its quote before the ports */

	/* SS_CLASS_INVALID: the sender wrote something impossible */
	SS_REASON_BAD_CAPLEN,         /* caplen > wire length */
	SS_REASON_BAD_VLAN_DEPTH,     /* more VLAN tags than SS_MAX_VLAN_TAGS */
	SS_REASON_BAD_IP_VERSION,     /* version nibble does not match the link's claim */
	SS_REASON_BAD_IPV4_IHL,       /* IHL < 5 */
	SS_REASON_BAD_IPV4_TOTAL_LEN, /* total length < header length */
	SS_REASON_BAD_IPV6_EXT_CHAIN, /* more than SS_MAX_IPV6_EXT headers, or a malformed one */
	SS_REASON_BAD_TCP_OFFSET,     /* data offset < 5 or beyond the segment */
	SS_REASON_BAD_UDP_LENGTH,     /* UDP length < 8 or beyond the IP payload */
	SS_REASON_BAD_ICMP_QUOTE,     /* quoted packet is not IPv4/IPv6 + TCP/UDP */

	SS_REASON_COUNT
} ss_reason;

typedef enum {
	SS_CLASS_OK,
	SS_CLASS_IGNORED,
	SS_CLASS_TRUNCATED,
	SS_CLASS_INVALID,
} ss_reason_class;

#define SS_MAX_VLAN_TAGS 8
#define SS_MAX_IPV6_EXT 16

/* Stable snake_case name used in every output format ("trunc_tcp"...). */
const char *ss_reason_name(ss_reason r);
ss_reason_class ss_reason_class_of(ss_reason r);

/* TRUE when ss_decode() understands this DLT_* value (as returned by
 * pcap_datalink()). */
gboolean ss_link_supported(int dlt);

/* Decodes one packet captured on a link of type `dlt`.  `data` holds
 * `caplen` bytes; `wirelen` is the original length.  Zeroes all of `out`
 * (which the caller owns) -- including ts_ns, so the caller sets ts_ns
 * *after* this call -- then sets caplen/wirelen, fills what it decoded and
 * returns the reason.  On a non-OK reason the fields of the layers decoded
 * before the failure are filled and the rest stay zero; l4 is SS_L4_OTHER
 * for other_ip_proto and icmp_not_error (icmp.type/code are set for the
 * latter), and a transport kind only on SS_REASON_OK. */
ss_reason ss_decode(int dlt, const guint8 *data, guint32 caplen, guint32 wirelen,
		    ss_packet *out);

/* Layer entry points, exposed for unit tests and for the fuzz harness.
 * ss_decode_ip() takes the bytes starting at the IP header; `expect_family`
 * is 0 when the link did not say which version to expect.  Zeroes the
 * fields of `out` from `family` onwards and leaves ts_ns, caplen and
 * wirelen as the caller set them. */
ss_reason ss_decode_ip(const guint8 *data, gsize len, guint8 expect_family,
		       ss_packet *out);

#endif
