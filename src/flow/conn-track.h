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

/* Does TCP packet p from `side` bring the record's first kept SYN gap
 * while the record holds no gaps (SS_CONN_TAIL_TCP, conn.h)?  The caller
 * then moves the record to memory of ss_conn_size(SS_CONN_TAIL_SYN_GAPS)
 * bytes and calls ss_conn_hold_syn_gaps() there before ss_conn_update(),
 * which writes a gap only into a record that holds them.  The same test as
 * update_tcp()'s (conn.c) that writes the gap; the packet's flags come
 * first, so a packet that is no bare SYN reads nothing of the record. */
static inline gboolean ss_conn_syn_gap_due(const ss_conn *c, int side, const ss_packet *p)
{
	if (p->l4 != SS_L4_TCP || (p->tcp.flags & (SS_TCP_SYN | SS_TCP_ACK)) != SS_TCP_SYN)
		return FALSE;
	return c->tail == SS_CONN_TAIL_TCP && (c->sent[side] & SS_SENT_SYN) &&
	       p->tcp.seq == c->tail_tcp.isn[side] && side == c->syn_side &&
	       c->tail_tcp.syn_copy_ns != SS_NO_TIME && c->tail_tcp.syn_retransmits < SS_SYN_GAPS_MAX;
}
/* Record c (a TCP one, its memory at least ss_conn_size(SS_CONN_TAIL_SYN_GAPS)
 * bytes long) holds the SYN gaps from now on, all 0. */
void ss_conn_hold_syn_gaps(ss_conn *c);
/* Accounts packet p (TCP or UDP) sent by `side`. */
void ss_conn_update(ss_conn *c, int side, const ss_packet *p);

/* Accounts an ICMP error quoting a packet that `about_side` sent. */
void ss_conn_icmp_error(ss_conn *c, int about_side, const ss_packet *p);

/* Which idle timeout applies to the record now. */
ss_timeout_class ss_conn_timeout_class(const ss_conn *c);

#endif
