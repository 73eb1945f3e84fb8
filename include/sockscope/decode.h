/* Packet decoding: link layer -> encapsulations -> IPv4/IPv6 -> TCP/UDP/ICMP.
 *
 * One function per layer lives in its own source file (link.c, ethertype.c,
 * ip.c, tunnel.c, l4.c under src/decode); this header is their common
 * interface.  Tunnels are removed one small decoder at a time, each handing
 * the inner packet on, at most `max_depth` deep.
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
	SS_REASON_TUNNEL_NO_PAYLOAD,  /* a tunnel's control message (GTP echo...) */
	SS_REASON_FRAG_TINY,          /* first fragment too short for the transport header (held) */
	SS_REASON_FRAG_DROPPED,       /* no room: more than SS_FRAG_MAX_PIECES fragments */
	SS_REASON_WLAN_MGMT,          /* 802.11 management (and extension) frame */
	SS_REASON_WLAN_CTRL,          /* 802.11 control frame (ACK, RTS, block ack...) */
	SS_REASON_WLAN_NO_DATA,       /* 802.11 data frame without a body (null function) */
	SS_REASON_WLAN_PROTECTED,     /* 802.11 data frame encrypted (WEP, TKIP, CCMP, GCMP) */
	SS_REASON_WLAN_FRAGMENT,      /* an 802.11 fragment after the first: no headers in it */
	SS_REASON_WLAN_AMSDU,         /* an 802.11 A-MSDU given to a one-packet caller (ss_decode) */
	SS_REASON_WLAN_MESH_AMSDU,    /* an A-MSDU subframe with a Mesh Control: not decoded */

	/* SS_CLASS_TRUNCATED: the capture holds fewer bytes than the header needs */
	SS_REASON_TRUNC_LINK,
	SS_REASON_TRUNC_IPV4,
	SS_REASON_TRUNC_IPV6,
	SS_REASON_TRUNC_IPV6_EXT,
	SS_REASON_TRUNC_TCP,
	SS_REASON_TRUNC_UDP,
	SS_REASON_TRUNC_ICMP,         /* ICMP header, or its quote before the ports */
	SS_REASON_TRUNC_VXLAN,        /* encapsulation headers cut short: */
	SS_REASON_TRUNC_GENEVE,       /*   the inner packet's own headers */
	SS_REASON_TRUNC_GRE,          /*   count under its layer's reason */
	SS_REASON_TRUNC_ERSPAN,
	SS_REASON_TRUNC_GTP,
	SS_REASON_TRUNC_TEREDO,
	SS_REASON_TRUNC_AYIYA,
	SS_REASON_TRUNC_MPLS,
	SS_REASON_TRUNC_PPPOE,
	SS_REASON_TRUNC_RADIO,        /* radiotap, PPI, Prism or AVS header */
	SS_REASON_TRUNC_WLAN,         /* 802.11 MAC header */
	SS_REASON_TRUNC_PKTAP,        /* Apple PKTAP header */
	SS_REASON_TRUNC_AMSDU,        /* A-MSDU subframe header, or subframes the capture cut off */

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
	SS_REASON_BAD_TUNNEL_DEPTH,   /* more nested encapsulations than max_depth */
	SS_REASON_BAD_GRE_HEADER,     /* GRE version or flags no RFC defines */
	SS_REASON_BAD_MPLS_STACK,     /* more than SS_MAX_MPLS_LABELS labels */
	SS_REASON_BAD_PPPOE_HEADER,   /* PPPoE version/type/code not a session */
	SS_REASON_FRAG_OVERLAP,       /* overlaps a fragment of its datagram: dropped (RFC 5722) */
	SS_REASON_FRAG_TEARDROP,      /* lies wholly inside another (or around it): dropped */
	SS_REASON_FRAG_OVERSIZE,      /* reaches beyond 65,535 bytes (ping of death) */
	SS_REASON_BAD_RADIO_HEADER,   /* radiotap/PPI/Prism/AVS version or length impossible */
	SS_REASON_BAD_WLAN_HEADER,    /* 802.11 protocol version other than 0 */
	SS_REASON_BAD_WLAN_FCS,       /* the radio header says the frame failed its FCS check */
	SS_REASON_BAD_PKTAP_HEADER,   /* PKTAP length or type impossible, or PKTAP in PKTAP */
	SS_REASON_BAD_AMSDU_SUBFRAME, /* A-MSDU subframe of length 0 or beyond the frame */

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
#define SS_MAX_MPLS_LABELS 16
#define SS_DEFAULT_TUNNEL_DEPTH 4
#define SS_MAX_TUNNEL_PORTS 32

/* What decapsulation may do: which UDP ports carry which tunnel, and how
 * deep tunnels may nest.  ss_decode() uses the built-in defaults; the
 * analyzer passes the user's (--tunnel-port, --max-tunnel-depth). */
typedef struct {
	guint8 max_depth;
	guint8 n_ports;
	struct {
		guint16 port;
		guint8 type;           /* ss_tunnel_type */
	} ports[SS_MAX_TUNNEL_PORTS];
	/* One bit per UDP port listed in ports[]: plain UDP pays one load. */
	guint64 port_bits[65536 / 64];
} ss_decode_config;

/* The built-in defaults: VXLAN 4789 and 8472, Geneve 6081, GRE over UDP
 * 4754, GTP-U 2152, Teredo 3544, AYIYA 5072; depth 4. */
void ss_decode_config_init(ss_decode_config *cfg);
/* Adds a UDP port for a tunnel type that runs over UDP; FALSE when the type
 * does not or the table is full. */
gboolean ss_decode_config_add_port(ss_decode_config *cfg, ss_tunnel_type type,
				   guint16 port);

/* Stable lower-case names ("vxlan", "gre", "gtpu"...) used in the output
 * and by --tunnel-port; ss_tunnel_type_from_name() returns SS_TUNNEL_NONE
 * for a name it does not know. */
const char *ss_tunnel_type_name(ss_tunnel_type t);
ss_tunnel_type ss_tunnel_type_from_name(const char *name);
/* "vxlan 42", "gre 7" or "ipip" (no id on the wire): the virtual network
 * as the reports for people name it; nothing for one not tunnelled. */
void ss_vnet_append(GString *b, const ss_vnet *v);
/* One record's tunnel for people: as ss_vnet_append(), but an MPLS record
 * names its whole label stack, top first, "mpls 16004/100" (the bottom
 * label, its vni, last), when the stack was kept (ss_tunnel.labels). */
void ss_tunnel_append(GString *b, const ss_tunnel *t);

/* Stable snake_case name used in every output format ("trunc_tcp"...). */
const char *ss_reason_name(ss_reason r);
/* A checksum verdict's stable name in the summaries: "ok", "bad",
 * "partial", "none", "unverified" (ss_csum, sockscope/packet.h). */
const char *ss_csum_name(ss_csum c);
/* TRUE for the reasons of fragments: ip_fragment and the frag_* ones that
 * reassembly (decode/frag.c) counts instead of it. */
gboolean ss_reason_is_fragment(ss_reason r);
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
/* The same with a decapsulation config (NULL: the built-in defaults).
 * out->tunnel describes the innermost tunnel removed, if any. */
ss_reason ss_decode_with(const ss_decode_config *cfg, int dlt, const guint8 *data,
			 guint32 caplen, guint32 wirelen, ss_packet *out);
/* The same, reassembling IP fragments in `frag` (sockscope/frag.h; NULL:
 * fragments are decoded one by one, only a first fragment's header);
 * ts_ns is the packet's time (set in out->ts_ns; fragment timeouts run on it). */
struct ss_frag_table;
ss_reason ss_decode_frag(const ss_decode_config *cfg, struct ss_frag_table *frag, int dlt,
			 const guint8 *data, guint32 caplen, guint32 wirelen, gint64 ts_ns,
			 ss_packet *out);

/* A frame that holds several packets: an 802.11 A-MSDU (QoS data with the
 * A-MSDU present bit) carries one per subframe.  ss_decode_parts() decodes
 * one of them per call; the caller zeroes the iterator for each new frame
 * and calls again, with the same frame and iterator, while `next` is not 0.
 * A subframe that is malformed (counted by its reason) ends the frame: what
 * follows it is not guessed at. */
typedef struct {
	guint32 next;          /* in: 0 for a new frame; out: where the next
	                          subframe starts in the A-MSDU body, 0 when the
	                          frame holds no further packet */
	guint32 subframes;     /* out: subframes handed out from this frame so
	                          far; 0 when it is no A-MSDU */
} ss_frame_iter;

/* ss_decode_frag() for callers that take every packet of a frame: each
 * A-MSDU subframe comes out as a packet of its own, with the frame's
 * timestamp, caplen the subframe's captured bytes and wirelen its length on
 * the wire (14-byte subframe header + its MSDU, without padding).
 * ss_decode_frag() and the others take one packet per frame, and say
 * wlan_amsdu for an A-MSDU instead of silently keeping one subframe. */
ss_reason ss_decode_parts(const ss_decode_config *cfg, struct ss_frag_table *frag, int dlt,
			  const guint8 *data, guint32 caplen, guint32 wirelen, gint64 ts_ns,
			  ss_frame_iter *it, ss_packet *out);

/* Layer entry points, exposed for unit tests and for the fuzz harness.
 * ss_decode_ip() takes the bytes starting at the IP header; `expect_family`
 * is 0 when the link did not say which version to expect.  Zeroes the
 * tunnel and the fields of `out` from `family` onwards and leaves ts_ns,
 * caplen and wirelen as the caller set them; decapsulates with the
 * defaults. */
ss_reason ss_decode_ip(const guint8 *data, gsize len, guint8 expect_family,
		       ss_packet *out);

#endif
