/* The tunnel roll-up (src/analysis/tunnels.c): the outer flows that
 * carried decapsulated traffic, reported as tunnels of their own -- type,
 * virtual network id, outer endpoints, packets, bytes and the inner
 * connections that started in them -- instead of as UDP "connections" to a
 * "filtered listener" on port 4789.
 *
 * One tunnel per (type, VNI, outer IP version, the two outer addresses in
 * either direction): a VXLAN underlay picks a new outer source port per
 * inner flow, so the ports are left out.  Packets are added on the packet
 * thread and inner connections where records are decided (the report
 * thread when streaming), each into its own ss_tunnels; ss_tunnels_take()
 * joins the two at the end. */
#ifndef SOCKSCOPE_TUNNELS_H
#define SOCKSCOPE_TUNNELS_H

#include <glib.h>
#include "sockscope/conn.h"
#include "sockscope/packet.h"

/* Tunnels remembered; traffic of further ones is counted in `dropped`. */
#define SS_TUNNELS_MAX 65536

typedef struct ss_tunnel_flow_s {
	ss_vnet vnet;              /* type and id (VNI, GRE key, TEID...) */
	guint8 family;             /* outer IP version; 0: straight on the link (MPLS, PPPoE) */
	ss_ip src, dst;            /* outer endpoints; src sent the first packet seen */
	guint16 sport, dport;      /* that packet's outer UDP ports (UDP tunnels; else 0) */
	guint64 packets;           /* outer packets, whatever was inside */
	guint64 bytes;             /* their bytes on the wire */
	guint64 connections;       /* inner connection records that started in it */
	gint64 first_ns, last_ns;  /* SS_NO_TIME when no packet was counted */
	/* MPLS: the label stack of its packets, as ss_tunnel.labels (a GQuark
	 * of "16004;100"), for the reports for people; 0 when not MPLS, when
	 * not kept, or when its packets' stacks differ (labels_vary: the top
	 * labels of one tenant's bottom label changed along the capture). */
	guint32 labels;
	gboolean labels_vary;
} ss_tunnel_flow;

typedef struct ss_tunnels ss_tunnels;

ss_tunnels *ss_tunnels_new(void);
void ss_tunnels_free(ss_tunnels *t);

/* One packet taken out of tunnel `tun` (type NONE: ignored). */
void ss_tunnels_add_packet(ss_tunnels *t, const ss_tunnel *tun, guint32 wirelen, gint64 ts_ns);
/* One decided inner record that started in its tunnel (none: ignored). */
void ss_tunnels_add_conn(ss_tunnels *t, const ss_conn *c);

/* An independent copy, for a live snapshot, which counts its records in
 * progress on top and takes it (ss_tunnels_take) without touching `t`. */
ss_tunnels *ss_tunnels_copy(const ss_tunnels *t);

/* The tunnels of `packets` with the connection counts of `conns` (which
 * may be the same object, or NULL), sorted by type, VNI, outer IP version
 * and endpoints; both are left empty.  *dropped (when not NULL) gets the
 * packets of tunnels past SS_TUNNELS_MAX. */
GArray *ss_tunnels_take(ss_tunnels *packets, ss_tunnels *conns, guint64 *dropped);

/* The tunnel as the reports for people name it: "vxlan 42", and an MPLS
 * tunnel's whole label stack, "mpls 16004/100", or "mpls 100 (label stacks
 * vary)" when its packets' top labels differed. */
void ss_tunnel_flow_append(GString *b, const ss_tunnel_flow *f);

/* That order, a GCompareFunc over ss_tunnel_flow (the anonymizer re-sorts
 * with it). */
gint ss_tunnel_flow_cmp(gconstpointer a, gconstpointer b);

#endif
