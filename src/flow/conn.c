/* Connection state: per-packet TCP/UDP tracking, names, handshake round
 * trips and a record's time span.  The decisions about roles, outcome and
 * close state made once a record ends are in analysis/decide.c: this file
 * knows nothing of role inference. */
#include "flow/conn-track.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>

static const char *const outcome_names[] = {
	[SS_OUTCOME_COMPLETE] = "complete",
	[SS_OUTCOME_REJECTED] = "rejected",
	[SS_OUTCOME_UNANSWERED] = "unanswered",
	[SS_OUTCOME_INCOMPLETE] = "incomplete",
	[SS_OUTCOME_MIDSTREAM] = "midstream",
	[SS_OUTCOME_SIMULTANEOUS] = "simultaneous",
	[SS_OUTCOME_ANSWERED] = "answered",
};
G_STATIC_ASSERT(G_N_ELEMENTS(outcome_names) == SS_OUTCOME_COUNT);

static const char *const close_names[] = {
	[SS_CLOSE_NONE] = "none",
	[SS_CLOSE_FIN] = "fin",
	[SS_CLOSE_FIN_CLIENT] = "fin_client",
	[SS_CLOSE_FIN_SERVER] = "fin_server",
	[SS_CLOSE_RST_CLIENT] = "rst_client",
	[SS_CLOSE_RST_SERVER] = "rst_server",
	[SS_CLOSE_OPEN] = "open",
	[SS_CLOSE_IDLE] = "idle",
};
G_STATIC_ASSERT(G_N_ELEMENTS(close_names) == SS_CLOSE_COUNT);

static const char *const evidence_names[] = {
	[SS_EVIDENCE_SYN] = "syn",
	[SS_EVIDENCE_SYN_ACK] = "syn_ack",
	[SS_EVIDENCE_SIMULTANEOUS] = "simultaneous_open",
	[SS_EVIDENCE_ICMP_UNREACHABLE] = "icmp_unreachable",
	[SS_EVIDENCE_SERVICE_PORT] = "service_port",
	[SS_EVIDENCE_FIRST_SENDER] = "first_sender",
	[SS_EVIDENCE_LOWER_PORT] = "lower_port",
	[SS_EVIDENCE_FIRST_PACKET] = "first_packet",
	[SS_EVIDENCE_PROVEN_LISTENER] = "proven_listener",
	[SS_EVIDENCE_EPHEMERAL_RANGE] = "ephemeral_range",
	[SS_EVIDENCE_FAN_IN] = "fan_in",
	[SS_EVIDENCE_REPLY_FROM_PORT] = "reply_from_port",
	[SS_EVIDENCE_MULTICAST] = "multicast",
	[SS_EVIDENCE_BROADCAST] = "broadcast",
};
G_STATIC_ASSERT(G_N_ELEMENTS(evidence_names) == SS_EVIDENCE_COUNT);

const char *ss_outcome_name(ss_outcome o)
{
	return (guint)o < SS_OUTCOME_COUNT ? outcome_names[o] : "unknown";
}

const char *ss_close_name(ss_close c)
{
	return (guint)c < SS_CLOSE_COUNT ? close_names[c] : "unknown";
}

const char *ss_evidence_name(ss_evidence e)
{
	return (guint)e < SS_EVIDENCE_COUNT ? evidence_names[e] : "unknown";
}

const char *ss_confidence_name(ss_confidence c)
{
	switch (c) {
	case SS_CONFIDENCE_LOW: return "low";
	case SS_CONFIDENCE_MEDIUM: return "medium";
	case SS_CONFIDENCE_HIGH: return "high";
	}
	return "unknown";
}

const char *ss_reuse_name(ss_reuse r)
{
	switch (r) {
	case SS_REUSE_NONE: return "none";
	case SS_REUSE_AFTER_RST: return "after_rst";
	case SS_REUSE_AFTER_FIN: return "after_fin";
	case SS_REUSE_AFTER_IDLE: return "after_idle";
	case SS_REUSE_AFTER_FAILED: return "after_failed";
	case SS_REUSE_WHILE_OPEN: return "while_open";
	}
	return "unknown";
}

const char *ss_end_name(ss_end e)
{
	switch (e) {
	case SS_END_CAPTURE: return "capture_end";
	case SS_END_CLOSED: return "closed";
	case SS_END_IDLE: return "idle";
	case SS_END_REUSED: return "reused";
	case SS_END_EVICTED: return "evicted";
	case SS_END_COUNT: break;
	}
	return "unknown";
}

const char *ss_timeout_class_name(ss_timeout_class t)
{
	switch (t) {
	case SS_TIMEOUT_ATTEMPT: return "attempt";
	case SS_TIMEOUT_ESTABLISHED: return "established";
	case SS_TIMEOUT_CLOSED: return "closed";
	case SS_TIMEOUT_UDP: return "udp";
	case SS_TIMEOUT_COUNT: break;
	}
	return "unknown";
}

ss_timeout_class ss_conn_timeout_class(const ss_conn *c)
{
	if (c->proto != IPPROTO_TCP)
		return SS_TIMEOUT_UDP;
	guint8 s0 = c->ep[0].sent, s1 = c->ep[1].sent;
	if (((s0 | s1) & SS_SENT_RST) || ((s0 & SS_SENT_FIN) && (s1 & SS_SENT_FIN)))
		return SS_TIMEOUT_CLOSED;
	/* Only one side has spoken, and with SYNs only: an attempt. */
	if (c->syn_side >= 0 && !(c->ep[!c->syn_side].sent) &&
	    !(c->ep[c->syn_side].sent & ~SS_SENT_SYN))
		return SS_TIMEOUT_ATTEMPT;
	return SS_TIMEOUT_ESTABLISHED;
}

gboolean ss_icmp_is_unreachable(guint8 family, guint8 type)
{
	return family == SS_FAMILY_IPV4 ? type == 3 : type == 1;
}

void ss_conn_init(ss_conn *c, const ss_flow_key *key, int src_key_side, const ss_packet *p)
{
	memset(c, 0, sizeof *c);
	c->key = *key;
	c->proto = key->proto;
	c->family = key->family;
	c->client = -1;
	c->ep0_key_side = (guint8)src_key_side;
	c->ep[0].ip = p->src;
	c->ep[0].port = p->sport;
	c->ep[1].ip = p->dst;
	c->ep[1].port = p->dport;
	c->tunnel = p->tunnel;
	for (int i = 0; i < 2; i++)
		c->ep[i].first_ns = c->ep[i].last_ns = SS_NO_TIME;
	c->syn_side = c->synack_side = c->first_rst_side = c->icmp_about_side = -1;
	c->syn_ns = c->synack_ns = c->ack_ns = c->first_rst_ns = SS_NO_TIME;
	c->syn_copy_ns = SS_NO_TIME;
	c->last_ns = SS_NO_TIME;
	/* Zeek's reassembler starts past the SYN's sequence number */
	c->zeek[0].reassem = c->zeek[1].reassem = 1;
}

static void history_add(ss_conn *c, int side, char letter)
{
	gsize n = strlen(c->history);
	if (n >= SS_HISTORY_MAX)
		return;
	/* stored lower case: the case is given when the roles are known
	 * (ss_conn_zeek_history) */
	c->history[n] = g_ascii_tolower(letter);
	c->history[n + 1] = '\0';
	if (side)
		c->history_who |= 1u << n;
}

/* ---- Zeek's TCP analyzer, reduced to what conn.log shows ----
 *
 * Zeek (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc,
 * TCP_Endpoint.cc, TCP_Reassembler.cc) keeps a state per endpoint, gives
 * each of S H A D F R Q I once per direction, and T W G C at the 1st,
 * 10th, 100th... occurrence; a content gap is data the peer acknowledged
 * that the capture never showed.  This follows its logic, written anew;
 * ep[0] (the first sender) is Zeek's originator. */

enum { SEEN_S = 1, SEEN_H = 2, SEEN_A = 4, SEEN_D = 8, SEEN_F = 16, SEEN_R = 32,
       SEEN_Q = 64, SEEN_I = 128 };

/* The letter once per direction. */
static gboolean zeek_once(ss_conn *c, int side, guint8 bit, char letter)
{
	ss_zeek_ep *z = &c->zeek[side];
	if (z->seen & bit)
		return TRUE;
	z->seen |= bit;
	history_add(c, side, letter);
	return FALSE;
}

/* The letter at the 1st, 10th, 100th... occurrence (Zeek's
 * ScaledHistoryEntry); the count saturates. */
static void zeek_scaled(ss_conn *c, int side, guint16 *count, char letter)
{
	if (*count == G_MAXUINT16)
		return;
	guint n = ++*count;
	if (n == 1 || n == 10 || n == 100 || n == 1000 || n == 10000)
		history_add(c, side, letter);
}

static gint32 seq_delta(guint32 a, guint32 b)
{
	return (gint32)(a - b);
}

#define TOO_LARGE_SEQ_DELTA 1048576

static void zeek_set_state(ss_zeek_ep *z, guint8 st)
{
	if (z->state != st) {
		z->prev_state = z->state;
		z->state = st;
	}
}

static void zeek_init(ss_zeek_ep *z, guint32 start, guint32 last)
{
	z->start = start;
	z->last = last;
}

static gboolean zeek_clean(const ss_zeek_ep *z)
{
	return z->state == SS_ZEEK_ESTABLISHED ||
	       (z->state == SS_ZEEK_CLOSED && z->prev_state == SS_ZEEK_ESTABLISHED);
}

/* Data of `side` the capture missed: Zeek's Gap(), counted (content_gap ->
 * missed_bytes) and lettered only while both ends are established or closed
 * cleanly. */
static void zeek_gap(ss_conn *c, int side, guint32 len)
{
	if (len == 0 || !zeek_clean(&c->zeek[side]) || !zeek_clean(&c->zeek[!side]))
		return;
	c->missed_bytes += len;
	zeek_scaled(c, side, &c->zeek[side].gaps, side == 0 ? 'G' : 'g');
}

/* The peer acknowledged `side`'s data up to `ack` (relative). */
static void zeek_ack_received(ss_conn *c, int side, guint32 ack)
{
	ss_zeek_ep *z = &c->zeek[side];
	if ((c->ep[side].sent & SS_SENT_FIN) && z->fin > 0 && ack >= z->fin)
		ack = z->fin - 1;
	if (ack <= z->reassem)
		return;
	if (ack <= 2 && c->zeek_partial)
		return;
	if (z->ooo && z->ooo_lo < ack) {
		zeek_gap(c, side, z->ooo_lo - z->reassem);
		z->reassem = MAX(z->reassem, z->ooo_hi);
		z->ooo = 0;
	}
	if (ack > z->reassem) {
		zeek_gap(c, side, ack - z->reassem);
		z->reassem = ack;
	}
}

/* `side` sent data [seq, seq + len) (relative): the reassembler. */
static void zeek_data(ss_conn *c, int side, guint32 seq, guint32 len)
{
	ss_zeek_ep *z = &c->zeek[side];
	guint32 upper = seq + len;
	if (upper <= z->reassem)
		return;
	if (seq <= z->reassem) {
		z->reassem = upper;
		if (z->ooo && z->ooo_lo <= z->reassem) {
			z->reassem = MAX(z->reassem, z->ooo_hi);
			z->ooo = 0;
		}
	} else if (!z->ooo) {
		z->ooo = 1;
		z->ooo_lo = seq;
		z->ooo_hi = upper;
	} else if (seq <= z->ooo_hi && upper >= z->ooo_lo) {
		z->ooo_lo = MIN(z->ooo_lo, seq);
		z->ooo_hi = MAX(z->ooo_hi, upper);
	} else if (upper < z->ooo_lo) {
		z->ooo_lo = seq;   /* a lower run: keep the one nearest the hole */
		z->ooo_hi = upper;
	}
}

static void zeek_history(ss_conn *c, int side, guint8 fl, guint32 rel, guint32 len)
{
	ss_zeek_ep *z = &c->zeek[side];
	gboolean up = side == 0;
	int bits = !!(fl & SS_TCP_SYN) + !!(fl & SS_TCP_FIN) + !!(fl & SS_TCP_RST);
	if (bits > 1) {
		if ((fl & SS_TCP_FIN) && (fl & SS_TCP_RST))
			zeek_once(c, side, SEEN_I, up ? 'I' : 'i');
		else
			zeek_once(c, side, SEEN_Q, up ? 'Q' : 'q');
	} else if (fl & SS_TCP_SYN) {
		/* Zeek repeats S/H only for a SYN at another relative seq, which
		 * its re-initialisation on a new ISN makes 0 again. */
		if (fl & SS_TCP_ACK)
			zeek_once(c, side, SEEN_H, up ? 'H' : 'h');
		else
			zeek_once(c, side, SEEN_S, up ? 'S' : 's');
	} else if (fl & SS_TCP_FIN) {
		if (zeek_once(c, side, SEEN_F, up ? 'F' : 'f') && rel + len != z->fin - 1)
			history_add(c, side, up ? 'F' : 'f');
	} else if (fl & SS_TCP_RST) {
		if (zeek_once(c, side, SEEN_R, up ? 'R' : 'r') && rel != z->rst)
			history_add(c, side, up ? 'R' : 'r');
		z->rst = rel;
	} else if (len > 0) {
		zeek_once(c, side, SEEN_D, up ? 'D' : 'd');
	} else if (fl & SS_TCP_ACK) {
		zeek_once(c, side, SEEN_A, up ? 'A' : 'a');
	}
}

/* Zeek's UpdateStateMachine, for an endpoint (ep[0] is the originator). */
static void zeek_state(ss_conn *c, int side, guint8 fl, guint32 len)
{
	ss_zeek_ep *e = &c->zeek[side], *peer = &c->zeek[!side];
	gboolean orig = side == 0;
	gboolean syn = fl & SS_TCP_SYN, ack = fl & SS_TCP_ACK;
	gboolean fin = fl & SS_TCP_FIN, rst = fl & SS_TCP_RST;

	switch (e->state) {
	case SS_ZEEK_INACTIVE:
		if (syn) {
			if (orig) {
				zeek_set_state(e, ack ? SS_ZEEK_SYN_ACK_SENT : SS_ZEEK_SYN_SENT);
			} else {
				/* a SYN after the peer's SYN-ACK: Zeek flips the roles
				 * (the client decision does it here) and establishes */
				if (peer->state == SS_ZEEK_SYN_SENT ||
				    (!ack && peer->state == SS_ZEEK_SYN_ACK_SENT))
					zeek_set_state(peer, SS_ZEEK_ESTABLISHED);
				zeek_set_state(e, SS_ZEEK_ESTABLISHED);
			}
		}
		if (fin)
			zeek_set_state(e, SS_ZEEK_CLOSED);
		if (rst)
			zeek_set_state(e, SS_ZEEK_RESET);
		if (e->state == SS_ZEEK_INACTIVE) {
			/* a bare ACK from the responder before its SYN-ACK keeps
			 * it inactive; an ACK after a SYN-ACK whose SYN was missed
			 * establishes; anything else is a partial connection */
			if (!orig && len == 0 && c->zeek[0].state == SS_ZEEK_SYN_SENT)
				;
			else if (ack && peer->state == SS_ZEEK_ESTABLISHED) {
				zeek_set_state(e, SS_ZEEK_ESTABLISHED);
				c->zeek_partial = 0;
			} else
				zeek_set_state(e, SS_ZEEK_PARTIAL);
		}
		break;
	case SS_ZEEK_SYN_SENT:
	case SS_ZEEK_SYN_ACK_SENT:
		if (fin)
			zeek_set_state(e, SS_ZEEK_CLOSED);
		if (rst)
			zeek_set_state(e, SS_ZEEK_RESET);
		break;
	case SS_ZEEK_ESTABLISHED:
	case SS_ZEEK_PARTIAL:
		if (syn && e->state == SS_ZEEK_PARTIAL && peer->state == SS_ZEEK_INACTIVE && !ack)
			zeek_set_state(e, SS_ZEEK_SYN_SENT);
		if (fin && !rst) {
			zeek_set_state(e, SS_ZEEK_CLOSED);
			/* the peer's FIN then RST was a normal close */
			if (peer->state == SS_ZEEK_RESET && peer->prev_state == SS_ZEEK_CLOSED)
				zeek_set_state(peer, SS_ZEEK_CLOSED);
		}
		if (rst)
			zeek_set_state(e, SS_ZEEK_RESET);
		break;
	case SS_ZEEK_CLOSED:
		/* after a FIN exchange a RST changes nothing */
		if (rst && peer->state != SS_ZEEK_CLOSED)
			zeek_set_state(e, SS_ZEEK_RESET);
		break;
	default:
		break;
	}
}

/* One TCP segment through Zeek's per-packet steps, in its order. */
static void zeek_tcp(ss_conn *c, int side, const ss_packet *p)
{
	ss_zeek_ep *e = &c->zeek[side], *peer = &c->zeek[!side];
	const ss_tcp_info *t = &p->tcp;
	guint8 fl = t->flags;
	gboolean syn = fl & SS_TCP_SYN, ack = fl & SS_TCP_ACK;
	gboolean fin = fl & SS_TCP_FIN, rst = fl & SS_TCP_RST;
	guint32 len = p->payload_len;

	/* is_partial: the first packet of each side was not a handshake */
	if (c->ep[side].packets == 1) {
		if (side == 0)
			c->zeek_partial = !syn || ack;
		else if (!c->zeek_partial)
			c->zeek_partial = !syn;
	}

	guint32 seg = len + (syn ? 1 : 0) + (fin ? 1 : 0) - (rst ? len : 0);
	guint32 end = t->seq + seg;
	switch (e->state) {
	case SS_ZEEK_INACTIVE:
		/* without a SYN, numbered as though there had been one */
		if (syn)
			zeek_init(e, t->seq, end);
		else
			zeek_init(e, t->seq - 1, t->seq);
		break;
	case SS_ZEEK_SYN_SENT:
	case SS_ZEEK_SYN_ACK_SENT:
	case SS_ZEEK_ESTABLISHED:
	case SS_ZEEK_PARTIAL:
		if (syn && t->seq != e->start)
			zeek_init(e, t->seq, end);
		break;
	case SS_ZEEK_RESET:
		if (syn && e->prev_state == SS_ZEEK_INACTIVE)
			zeek_init(e, t->seq, end);
		break;
	default:
		break;
	}
	guint32 rel = t->seq - e->start;

	zeek_history(c, side, fl, rel, len);
	if (fin)
		e->fin = rel + seg;

	/* a zero window, unless it comes with or after a RST or after the
	 * peer's FIN */
	if (t->window == 0 && !rst && peer->state != SS_ZEEK_CLOSED &&
	    e->state != SS_ZEEK_RESET)
		zeek_scaled(c, side, &e->win0, side == 0 ? 'W' : 'w');

	guint32 rel_ack = 0;
	gboolean ack_ok = FALSE;
	if (ack) {
		if (peer->state == SS_ZEEK_INACTIVE) {
			zeek_init(peer, t->ack - 1, t->ack - 1);
			rel_ack = 1;
			ack_ok = TRUE;
		} else if (seq_delta(t->ack, peer->start) >= 0) {
			rel_ack = t->ack - peer->start;
			ack_ok = TRUE;
		}
	}

	gint32 delta_last = seq_delta(end, e->last);
	if ((syn || rst) && (delta_last > TOO_LARGE_SEQ_DELTA || delta_last < -TOO_LARGE_SEQ_DELTA))
		;
	else if (fin && e->last == e->start + 1)
		e->last = end;
	else if (e->state == SS_ZEEK_RESET)
		;
	else if (delta_last > 0)
		e->last = end;
	else if (len > 0)
		zeek_scaled(c, side, &e->rxmt, side == 0 ? 'T' : 't');

	zeek_state(c, side, fl, len);

	/* after the state machine, so that a gap revealed by a closing RST is
	 * not counted (Zeek's reasoning: such gaps are unreliable) */
	if (ack_ok && !rst)
		zeek_ack_received(c, !side, rel_ack);
	if (len > 0 && !rst)
		zeek_data(c, side, syn ? rel + 1 : rel, len);
}

static gboolean any_sent(const ss_conn *c, guint8 flag)
{
	return ((c->ep[0].sent | c->ep[1].sent) & flag) != 0;
}

gboolean ss_conn_tcp_starts_new(const ss_conn *c, int side, const ss_packet *p,
				gint64 reuse_idle_ns, ss_reuse *cause)
{
	guint8 fl = p->tcp.flags;
	if ((fl & (SS_TCP_SYN | SS_TCP_ACK | SS_TCP_RST)) != SS_TCP_SYN)
		return FALSE;

	const ss_endpoint *me = &c->ep[side];
	const ss_endpoint *peer = &c->ep[!side];
	gboolean fresh;
	if (me->sent & SS_SENT_SYN)
		fresh = p->tcp.seq != me->isn;       /* a different ISN: a new attempt */
	else if (peer->sent & SS_SENT_SYN)
		fresh = (peer->sent & SS_SENT_SYNACK) || any_sent(c, SS_SENT_RST | SS_SENT_FIN);
	else if (peer->sent & SS_SENT_SYNACK)
		fresh = any_sent(c, SS_SENT_RST) ||
			((peer->sent & SS_SENT_FIN) && (me->sent & SS_SENT_FIN));
	else
		fresh = TRUE;                         /* a SYN on a mid-stream tuple */
	if (!fresh)
		return FALSE;

	*cause = ss_conn_reuse_cause(c, p->ts_ns - c->last_ns > reuse_idle_ns);
	return TRUE;
}

ss_reuse ss_conn_reuse_cause(const ss_conn *c, gboolean idle)
{
	gboolean answered = any_sent(c, SS_SENT_SYNACK) ||
			    (c->syn_side < 0 && any_sent(c, SS_SENT_DATA | SS_SENT_ACK));
	if (any_sent(c, SS_SENT_RST))
		return answered ? SS_REUSE_AFTER_RST : SS_REUSE_AFTER_FAILED;
	if (any_sent(c, SS_SENT_FIN))
		return SS_REUSE_AFTER_FIN;
	if (idle)
		return SS_REUSE_AFTER_IDLE;
	if (!answered)
		return SS_REUSE_AFTER_FAILED;
	return SS_REUSE_WHILE_OPEN;
}

static void note_tcp_options(ss_endpoint *e, const ss_tcp_info *t)
{
	e->tcp_options = t->options;
	e->mss = (t->options & SS_TCPOPT_HAVE_MSS) ? t->mss : 0;
	e->wscale = (t->options & SS_TCPOPT_HAVE_WSCALE) ? t->wscale : 0;
}

static void update_tcp(ss_conn *c, int side, const ss_packet *p)
{
	ss_endpoint *me = &c->ep[side];
	const ss_tcp_info *t = &p->tcp;
	guint8 fl = t->flags;

	if ((fl & (SS_TCP_SYN | SS_TCP_ACK)) == SS_TCP_SYN) {
		if (me->sent & SS_SENT_SYN) {
			if (t->seq == me->isn) {
				/* Back-off: the gap since the previous copy of this SYN. */
				if (side == c->syn_side && c->syn_copy_ns != SS_NO_TIME) {
					if (c->syn_retransmits < SS_SYN_GAPS_MAX)
						c->syn_gaps_ns[c->syn_retransmits] =
							p->ts_ns - c->syn_copy_ns;
					c->syn_copy_ns = p->ts_ns;
				}
				c->syn_retransmits++;
			}
		} else {
			me->sent |= SS_SENT_SYN;
			me->isn = t->seq;
			note_tcp_options(me, t);
			if (c->syn_side < 0) {
				c->syn_side = (gint8)side;
				c->syn_ns = p->ts_ns;
				c->syn_copy_ns = p->ts_ns;
			}
		}
	} else if ((fl & (SS_TCP_SYN | SS_TCP_ACK)) == (SS_TCP_SYN | SS_TCP_ACK)) {
		if (me->sent & SS_SENT_SYNACK) {
			if (t->seq == me->isn)
				c->synack_retransmits++;
		} else {
			me->sent |= SS_SENT_SYNACK;
			me->isn = t->seq;
			note_tcp_options(me, t);
			if (c->synack_side < 0) {
				c->synack_side = (gint8)side;
				c->synack_ns = p->ts_ns;
			}
		}
	} else if (fl & SS_TCP_ACK) {
		/* A RST+ACK refuses; it never completes a handshake. */
		if (!(fl & SS_TCP_RST))
			me->sent |= SS_SENT_ACK;
		/* The third packet of the handshake: the SYN's sender acknowledging
		 * the SYN-ACK. */
		if (c->ack_ns == SS_NO_TIME && c->synack_side == !side &&
		    c->synack_ns != SS_NO_TIME && !(fl & SS_TCP_RST))
			c->ack_ns = p->ts_ns;
	}
	if (p->payload_len > 0)
		me->sent |= SS_SENT_DATA;
	if (fl & SS_TCP_FIN)
		me->sent |= SS_SENT_FIN;
	if (fl & SS_TCP_RST) {
		me->sent |= SS_SENT_RST;
		if (c->first_rst_side < 0) {
			c->first_rst_side = (gint8)side;
			c->first_rst_ns = p->ts_ns;
		}
	}
	zeek_tcp(c, side, p);
}

void ss_conn_span(const ss_conn *c, gint64 *first_ns, gint64 *last_ns)
{
	gint64 first = SS_NO_TIME, last = SS_NO_TIME;
	for (int i = 0; i < 2; i++) {
		const ss_endpoint *e = &c->ep[i];
		if (e->packets == 0)
			continue;
		if (e->first_ns != SS_NO_TIME && (first == SS_NO_TIME || e->first_ns < first))
			first = e->first_ns;
		if (e->last_ns != SS_NO_TIME && (last == SS_NO_TIME || e->last_ns > last))
			last = e->last_ns;
	}
	*first_ns = first;
	*last_ns = last;
}

gint ss_conn_cmp_first(gconstpointer pa, gconstpointer pb)
{
	const ss_conn *a = *(ss_conn *const *)pa, *b = *(ss_conn *const *)pb;
	gint64 ta, tb, la, lb;
	ss_conn_span(a, &ta, &la);
	ss_conn_span(b, &tb, &lb);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void ss_conn_update(ss_conn *c, int side, const ss_packet *p)
{
	ss_endpoint *me = &c->ep[side];
	me->packets++;
	me->bytes += p->ip_len;
	me->payload += p->payload_len;
	if (p->payload_cut)
		c->snaplen_cut++;
	if (me->first_ns == SS_NO_TIME || p->ts_ns < me->first_ns)
		me->first_ns = p->ts_ns;
	if (me->last_ns == SS_NO_TIME || p->ts_ns > me->last_ns)
		me->last_ns = p->ts_ns;
	if (c->last_ns == SS_NO_TIME || p->ts_ns > c->last_ns)
		c->last_ns = p->ts_ns;

	if (c->proto == IPPROTO_TCP) {
		update_tcp(c, side, p);
	} else {
		me->sent |= SS_SENT_DATA;
		/* Zeek's UDP history: D / d once per direction */
		zeek_once(c, side, SEEN_D, side == 0 ? 'D' : 'd');
	}
}

void ss_conn_icmp_error(ss_conn *c, int about_side, const ss_packet *p)
{
	if (c->icmp_errors++ == 0) {
		c->icmp_type = p->icmp.type;
		c->icmp_code = p->icmp.code;
		/* The ICMP message's own family: an ICMPv6 error can only quote
		 * IPv6, but keep the two separate for clarity. */
		c->icmp_family = p->family;
		c->icmp_about_side = (gint8)about_side;
	}
}

/* The handshake's order is SYN, SYN-ACK, ACK whatever the timestamps say:
 * a SYN-ACK stamped before its SYN (multi-queue capture, merged files)
 * means the stamps cannot measure the round trip, which is then unknown,
 * never negative. */
gint64 ss_conn_syn_to_synack_ns(const ss_conn *c)
{
	if (c->syn_ns == SS_NO_TIME || c->synack_ns == SS_NO_TIME || c->synack_ns < c->syn_ns)
		return SS_NO_TIME;
	return c->synack_ns - c->syn_ns;
}

gint64 ss_conn_synack_to_ack_ns(const ss_conn *c)
{
	if (c->synack_ns == SS_NO_TIME || c->ack_ns == SS_NO_TIME || c->ack_ns < c->synack_ns)
		return SS_NO_TIME;
	return c->ack_ns - c->synack_ns;
}

/* Zeek's conn_state() (scripts/base/protocols/conn/main.zeek) over the
 * endpoint states, the client as originator. */
const char *ss_conn_zeek_state(const ss_conn *c)
{
	const ss_endpoint *o = &c->ep[c->client], *r = &c->ep[!c->client];
	if (c->proto != IPPROTO_TCP) {
		if (o->packets)
			return r->packets ? "SF" : "S0";
		return r->packets ? "SHR" : "OTH";
	}
	guint8 os = c->zeek[c->client].state, rs = c->zeek[!c->client].state;
	gboolean o_inactive = os == SS_ZEEK_INACTIVE || os == SS_ZEEK_PARTIAL;
	gboolean r_inactive = rs == SS_ZEEK_INACTIVE || rs == SS_ZEEK_PARTIAL;
	if (rs == SS_ZEEK_RESET) {
		if (os == SS_ZEEK_SYN_SENT || os == SS_ZEEK_SYN_ACK_SENT ||
		    (os == SS_ZEEK_RESET && o->payload == 0 && r->payload == 0))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (os == SS_ZEEK_RESET) {
		if (!r_inactive)
			return "RSTO";
		/* Zeek: history ^?S[^HAFGIQ]*R.* : the originator's SYN, then
		 * nothing from it but data, then its RST */
		char h[SS_HISTORY_MAX + 2];
		ss_conn_zeek_history(c, h, sizeof h);
		const char *x = h[0] == '^' ? h + 1 : h;
		if (x[0] == 'S') {
			x += strcspn(x, "HAFGIQR");
			if (*x == 'R')
				return "RSTOS0";
		}
		return "OTH";
	}
	if (rs == SS_ZEEK_CLOSED && os == SS_ZEEK_CLOSED)
		return "SF";
	if (os == SS_ZEEK_CLOSED)
		return r_inactive ? "SH" : "S2";
	if (rs == SS_ZEEK_CLOSED)
		return o_inactive ? "SHR" : "S3";
	if (os == SS_ZEEK_SYN_SENT && rs == SS_ZEEK_INACTIVE)
		return "S0";
	if (os == SS_ZEEK_ESTABLISHED && rs == SS_ZEEK_ESTABLISHED)
		return "S1";
	return "OTH";
}

void ss_conn_zeek_history(const ss_conn *c, char *buf, gsize size)
{
	gsize n = 0;
	if (size == 0)
		return;
	if (c->client != 0 && n + 1 < size)
		buf[n++] = '^';
	for (gsize i = 0; c->history[i] && n + 1 < size; i++) {
		int side = (c->history_who >> i) & 1;
		char ch = c->history[i];
		buf[n++] = side == c->client ? g_ascii_toupper(ch) : ch;
	}
	buf[n] = '\0';
}

/* One is kept per flow in progress: a new field should fill a hole, not
 * grow the record unnoticed (docs/performance.md#memory-per-flow).  488 ->
 * 544 for tunnels: 8 bytes of tunnel id in the key, 44 of tunnel context. */
G_STATIC_ASSERT(sizeof(ss_conn) <= 544);
