/* The decoded view of one captured packet: only what flow tracking needs.
 *
 * Decoding fills an ss_packet in place (no allocation); nothing in it points
 * into the capture buffer, because libpcap's buffer is only valid inside the
 * callback. */
#ifndef SOCKSCOPE_PACKET_H
#define SOCKSCOPE_PACKET_H

#include <glib.h>
#include <string.h>

/* Address family tags used throughout sockscope (not the OS's AF_* values,
 * which differ between the systems that wrote NULL/LOOP captures). */
enum { SS_FAMILY_IPV4 = 4, SS_FAMILY_IPV6 = 6 };

/* An IP address; IPv4 uses bytes[0..3] and leaves the rest zero so that
 * addresses can be compared and hashed bytewise. */
typedef struct {
	guint8 bytes[16];
} ss_ip;

/* TCP flag bits as on the wire (byte 13 of the header). */
enum {
	SS_TCP_FIN = 0x01,
	SS_TCP_SYN = 0x02,
	SS_TCP_RST = 0x04,
	SS_TCP_PSH = 0x08,
	SS_TCP_ACK = 0x10,
	SS_TCP_URG = 0x20,
	SS_TCP_ECE = 0x40,
	SS_TCP_CWR = 0x80,
};

/* Which TCP options were present (bit set) in the segment. */
enum {
	SS_TCPOPT_HAVE_MSS = 1u << 0,
	SS_TCPOPT_HAVE_WSCALE = 1u << 1,
	SS_TCPOPT_HAVE_SACK_PERM = 1u << 2,
	SS_TCPOPT_HAVE_TS = 1u << 3,
};

typedef struct {
	guint8 flags;          /* SS_TCP_* */
	guint8 options;        /* SS_TCPOPT_HAVE_*: parsed on SYN segments only
	                          (the only ones whose options are read); 0, as
	                          are the option fields, on the others */
	guint8 wscale;
	guint16 window;
	guint16 mss;
	guint32 seq;
	guint32 ack;
	guint32 ts_val;
	guint32 ts_ecr;
} ss_tcp_info;

/* The transport endpoints an ICMP/ICMPv6 error quotes from the packet that
 * provoked it: src/dst are those of the *original* (offending) packet. */
typedef struct {
	guint8 type;           /* ICMP or ICMPv6 type */
	guint8 code;
	guint8 family;         /* of the quoted packet */
	guint8 proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	ss_ip src, dst;
	guint16 sport, dport;
	guint32 tcp_seq;       /* quoted TCP sequence number (when proto is TCP) */
	gboolean has_tcp_seq;
} ss_icmp_quote;

/* What the TCP/UDP checksum says (src/decode/l4.c, docs/output.md
 * "checksums").  UNVERIFIED (0): the segment was not all in the capture
 * (snap length, a TSO/GSO super-packet, fragments), or an IPv6 routing
 * header hides the address it covers. */
typedef enum {
	SS_CSUM_UNVERIFIED = 0,
	SS_CSUM_OK,
	SS_CSUM_BAD,           /* wrong: the receiver's stack discards the packet */
	SS_CSUM_PARTIAL,       /* the pseudo-header sum a sending host leaves for
	                          its NIC to finish (checksum offload): captured
	                          on the sender, never on the wire */
	SS_CSUM_NONE,          /* UDP with checksum 0: not computed */
	SS_CSUM_COUNT
} ss_csum;

typedef enum {
	SS_L4_NONE = 0,        /* no transport decoded (see decode status) */
	SS_L4_TCP,
	SS_L4_UDP,
	SS_L4_ICMP_ERROR,      /* ICMP/ICMPv6 error quoting a TCP or UDP flow */
	SS_L4_OTHER,           /* another protocol or ICMP message: counted only */
} ss_l4_kind;

/* Encapsulations sockscope removes to reach the packet it tracks
 * (src/decode/tunnel.c, src/decode/ethertype.c).  The values are stored in
 * flow keys; the names (ss_tunnel_type_name()) are part of the output. */
typedef enum {
	SS_TUNNEL_NONE = 0,
	SS_TUNNEL_VXLAN,       /* vni: VXLAN network identifier */
	SS_TUNNEL_GENEVE,      /* vni: Geneve VNI */
	SS_TUNNEL_GRE,         /* vni: GRE key (when present) */
	SS_TUNNEL_ERSPAN,      /* vni: ERSPAN session ID */
	SS_TUNNEL_IPIP,        /* 4in4, 6in4, 4in6, 6in6: no id */
	SS_TUNNEL_GTPU,        /* vni: TEID */
	SS_TUNNEL_TEREDO,
	SS_TUNNEL_AYIYA,
	SS_TUNNEL_MPLS,        /* vni: bottom-of-stack label */
	SS_TUNNEL_PPPOE,       /* vni: PPPoE session ID */
	SS_TUNNEL_PBB,         /* vni: 802.1ah I-SID */
	SS_TUNNEL_FABRICPATH,
	SS_TUNNEL_COUNT
} ss_tunnel_type;

/* The innermost encapsulation around the tracked packet.  The outer
 * endpoints are those of the nearest enclosing IP header (zero when the
 * tunnel runs directly over a link, as MPLS or PPPoE on Ethernet do). */
typedef struct {
	guint8 type;           /* ss_tunnel_type; SS_TUNNEL_NONE = not tunnelled */
	guint8 depth;          /* encapsulations removed in all */
	guint8 family;         /* of the outer IP header, 0 when there is none */
	guint8 has_vni;        /* vni was present on the wire (GRE key, ...) */
	guint32 vni;           /* virtual network id, see ss_tunnel_type */
	ss_ip src, dst;        /* outer IP endpoints */
	guint16 sport, dport;  /* outer UDP ports (UDP tunnels only) */
	/* The whole MPLS label stack of an innermost MPLS tunnel (vni holds
	 * only its bottom label): a GQuark of the labels in decimal, top first,
	 * separated by ';' ("16004;100").  0 when not MPLS, or when the
	 * process's budget of distinct stacks was spent (decode/ethertype.c). */
	guint32 labels;
} ss_tunnel;

/* The virtual network a flow lives in, as its flow key has it: the
 * innermost tunnel's type and id.  Roll-ups keyed by an inner address
 * (listeners, hosts) add it, so two tenants' 192.168.42.2:8080 behind VNI
 * 42 and 43 stay two listeners.  All zero when not tunnelled; no padding
 * holes, so it can sit in bytewise-hashed keys. */
typedef struct {
	guint8 type;           /* ss_tunnel_type */
	guint8 has_vni;        /* vni was present on the wire */
	guint8 zero[2];
	guint32 vni;
} ss_vnet;

static inline ss_vnet ss_tunnel_vnet(const ss_tunnel *t)
{
	ss_vnet v = { t->type, t->has_vni, { 0, 0 }, t->vni };
	return v;
}

/* A tunnel with only the virtual network's type and id (no outer header,
 * no label stack): a roll-up's vnet named by ss_tunnel_append(). */
static inline ss_tunnel ss_vnet_tunnel(const ss_vnet *v)
{
	ss_tunnel t;
	memset(&t, 0, sizeof t);
	t.type = v->type;
	t.has_vni = v->has_vni;
	t.vni = v->vni;
	return t;
}

/* Reports' order: not tunnelled first, then by type, id. */
static inline int ss_vnet_cmp(const ss_vnet *a, const ss_vnet *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->vni != b->vni)
		return a->vni < b->vni ? -1 : 1;
	return (a->has_vni > b->has_vni) - (a->has_vni < b->has_vni);
}

/* The layout is the hand-over's: on a threaded run the feeding thread
 * decodes into a ring of batches and the main thread, the packet phase's
 * critical path, reads them from the other core's cache.  What tracking
 * reads of a TCP or UDP packet (the time, the IP and transport fields and
 * the tunnel's type) is in the first 100 bytes, and the struct is three
 * whole cache lines (the ring's slots are line-aligned: pipeline/track.c),
 * so a packet costs the main thread two lines, where the 200-byte layout
 * before spread the same fields over 148 bytes, three or four lines at an
 * 8-byte stride.  The tunnel's endpoints and the ICMP quote, read only
 * when a record starts or an ICMP error comes, are the third line.  The
 * decoder's clears rely on the order: the capture metadata first, then
 * the inner fields from `family` to `tcp`, then the tunnel, then `icmp`
 * (decode/internal.h, ss_packet_clear_inner). */
typedef struct {
	gint64 ts_ns;          /* capture time, ns since the Unix epoch (UTC) */
	guint32 caplen;        /* bytes captured */
	guint32 wirelen;       /* bytes on the wire */

	guint8 family;         /* SS_FAMILY_IPV4 / SS_FAMILY_IPV6 */
	guint8 ip_proto;       /* final next-header / protocol number */
	guint8 ttl;            /* IPv4 TTL or IPv6 hop limit */
	guint8 csum;           /* ss_csum of the TCP/UDP checksum */
	ss_l4_kind l4;
	ss_ip src, dst;
	guint16 sport, dport;  /* TCP/UDP ports */
	guint32 payload_len;   /* TCP/UDP payload length from the IP/UDP lengths,
	                          even when the capture cut the bytes */
	guint32 ip_len;        /* IP total length as declared (header + payload);
	                          when the header declares 0 (TSO/GSO captures,
	                          IPv6 jumbograms) the captured length instead */
	gboolean payload_cut;  /* the capture holds fewer payload bytes than that */
	ss_tcp_info tcp;       /* valid when l4 == SS_L4_TCP */

	ss_tunnel tunnel;      /* set by decapsulation; a tunnel's inner packet
	                          clears the fields around it, not it */
	ss_icmp_quote icmp;    /* valid when l4 == SS_L4_ICMP_ERROR */
} ss_packet;

G_STATIC_ASSERT(sizeof(ss_packet) == 192);
G_STATIC_ASSERT(G_STRUCT_OFFSET(ss_packet, tunnel) + 8 <= 128);   /* its type and id */

#endif
