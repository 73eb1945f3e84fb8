/* Per-packet connection tracking, shared by the analyzer and its tests. */
#ifndef SOCKSCOPE_CONN_TRACK_H
#define SOCKSCOPE_CONN_TRACK_H

#include "sockscope/conn.h"
#include "sockscope/packet.h"

/* Initialises a record for the flow of packet p, whose source is endpoint
 * `src_key_side` of key; p's sender becomes ep[0]. */
void ss_conn_init(ss_conn *c, const ss_flow_key *key, int src_key_side, const ss_packet *p);

/* Which ep[] sent a packet whose source is endpoint `src_key_side` of the key. */
static inline int ss_conn_side(const ss_conn *c, int src_key_side)
{
	return src_key_side == c->ep0_key_side ? 0 : 1;
}

/* For a TCP packet from `side`: does it open a new connection on this
 * tuple rather than continue the record?  Sets *cause when it does. */
gboolean ss_conn_tcp_starts_new(const ss_conn *c, int side, const ss_packet *p,
				gint64 reuse_idle_ns, ss_reuse *cause);

/* Why a new connection on this record's tuple would reuse it: after a
 * RST, a FIN, silence (`idle`), a failed attempt, or while it looked open. */
ss_reuse ss_conn_reuse_cause(const ss_conn *c, gboolean idle);

/* Accounts packet p (TCP or UDP) sent by `side`. */
void ss_conn_update(ss_conn *c, int side, const ss_packet *p);

/* Accounts an ICMP error quoting a packet that `about_side` sent. */
void ss_conn_icmp_error(ss_conn *c, int about_side, const ss_packet *p);

/* Which idle timeout applies to the record now. */
ss_timeout_class ss_conn_timeout_class(const ss_conn *c);

#endif
