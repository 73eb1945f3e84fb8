/* Zeek's per-endpoint TCP state machine and the conn.log history and
 * missed-bytes accounting it drives (flow/zeek-state.h), fed one packet at a
 * time by conn.c.  Kept apart from conn.c's own connection tracking
 * (handshake, round trips, reuse) because it follows Zeek's rules, not
 * sockscope's, and is checked against Zeek itself (zeek-parity test). */
#include "flow/conn-track.h"
#include "flow/zeek-state.h"
#include "sockscope/util.h"
#include <netinet/in.h>
#include <string.h>

/* Inline here: the per-packet path adds letters (a call cost 2.6 M
 * instructions on plain200k, callgrind) */
static inline void history_add(ss_conn *c, int side, char letter)
{
	/* SS_HISTORY_LETTERS' codes by lower-case letter - 'a' */
	static const guint8 code_of[26] = {
		['s' - 'a'] = 1, ['h' - 'a'] = 2, ['a' - 'a'] = 3, ['d' - 'a'] = 4,
		['f' - 'a'] = 5, ['r' - 'a'] = 6, ['q' - 'a'] = 7, ['i' - 'a'] = 8,
		['t' - 'a'] = 9, ['w' - 'a'] = 10, ['g' - 'a'] = 11, ['c' - 'a'] = 12,
	};
	guint n = c->history_len;
	/* stored lower case: the case is given when the roles are known
	 * (ss_conn_zeek_history) */
	guint i = (guint)((letter | 0x20) - 'a');   /* ASCII letters: g_ascii_tolower is a call */
	if (n >= SS_HISTORY_MAX || i >= 26 || code_of[i] == 0)
		return;
	/* Letters SS_HISTORY_COMMON on are TCP's (a UDP record never has
	 * that many, conn.h): one that does not hold TCP's part drops them */
	if (n >= SS_HISTORY_COMMON && c->tail < SS_CONN_TAIL_TCP)
		return;
	guint8 *b = n < SS_HISTORY_COMMON ? &c->history[n / 2]
		  : &c->tail_tcp.history_more[(n - SS_HISTORY_COMMON) / 2];
	*b |= (guint8)(code_of[i] << (n % 2 * 4));
	c->history_len = (guint8)(n + 1);
	if (side) {
		if (n < SS_HISTORY_COMMON)
			c->history_who |= (guint16)(1u << n);
		else
			c->tail_tcp.history_who_more |= (guint16)(1u << (n - SS_HISTORY_COMMON));
	}
}

void ss_conn_history_add(ss_conn *c, int side, char letter)
{
	history_add(c, side, letter);
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
	if (c->zeek_seen[side] & bit)
		return TRUE;
	c->zeek_seen[side] |= bit;
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
	if (len == 0 || !zeek_clean(&c->tail_tcp.zeek[side]) ||
	    !zeek_clean(&c->tail_tcp.zeek[!side]))
		return;
	c->tail_tcp.missed_bytes += len;
	zeek_scaled(c, side, &c->tail_tcp.zeek[side].gaps, side == 0 ? 'G' : 'g');
}

/* An acknowledgement past what `side` was seen to send contiguously: data
 * the capture missed, or the end of a run held beyond a hole.  Out of
 * line: an ordinary ACK covers only data already seen. */
static G_GNUC_NO_INLINE void zeek_ack_beyond(ss_conn *c, int side, guint32 ack)
{
	ss_zeek_ep *z = &c->tail_tcp.zeek[side];
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

/* The peer acknowledged `side`'s data up to `ack` (relative).  Inlined
 * with the check that usually ends it: as a call of its own it spent 17
 * of its 25 instructions a call entering and leaving (callgrind). */
static inline __attribute__((always_inline)) void zeek_ack_received(ss_conn *c, int side,
								  guint32 ack)
{
	const ss_zeek_ep *z = &c->tail_tcp.zeek[side];
	if ((c->sent[side] & SS_SENT_FIN) && z->fin > 0 && ack >= z->fin)
		ack = z->fin - 1;
	if (ack > z->reassem)
		zeek_ack_beyond(c, side, ack);
}

/* `side` sent data [seq, seq + len) (relative): the reassembler. */
static inline __attribute__((always_inline)) void zeek_data(ss_conn *c, int side, guint32 seq, guint32 len)
{
	ss_zeek_ep *z = &c->tail_tcp.zeek[side];
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
	ss_zeek_ep *z = &c->tail_tcp.zeek[side];
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
	ss_zeek_ep *e = &c->tail_tcp.zeek[side], *peer = &c->tail_tcp.zeek[!side];
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
			if (!orig && len == 0 && c->tail_tcp.zeek[0].state == SS_ZEEK_SYN_SENT)
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

/* A packet whose TCP/UDP checksum is wrong (not one a checksum-offloading
 * sender left unfinished: ss_csum): Zeek's TCP and UDP analyzers give it
 * C / c at the 1st, 10th, 100th... and nothing else, no state change, no
 * letter, no reassembly (ignore_checksums off, its default). */
void ss_conn_zeek_bad_checksum(ss_conn *c, int side)
{
	zeek_scaled(c, side, &c->zeek_badsum[side], side == 0 ? 'C' : 'c');
}

void ss_conn_zeek_udp(ss_conn *c, int side)
{
	/* Zeek's UDP history: D / d once per direction */
	zeek_once(c, side, SEEN_D, side == 0 ? 'D' : 'd');
}

/* The common segment: both ends established, no SYN, FIN or RST, not the
 * side's first packet.  The general steps below reduce to these for it, in
 * the same order: no partial check, no re-initialisation, the D or A
 * letter once, a zero window's W, `last` moved or a T, the peer's data
 * acknowledged, the reassembler fed; the state machine changes nothing.
 * Most packets of an ordinary capture are such segments (71% of the TCP
 * packets of plain200k.pcap): with this path ss_conn_zeek_tcp takes 125
 * instead of 186 instructions a TCP packet there (callgrind, inclusive;
 * docs/performance.md, issue 14). */
static inline gboolean zeek_tcp_is_established(const ss_conn *c, int side, const ss_packet *p)
{
	const ss_zeek_ep *e = &c->tail_tcp.zeek[side], *peer = &c->tail_tcp.zeek[!side];
	return !(p->tcp.flags & (SS_TCP_SYN | SS_TCP_FIN | SS_TCP_RST)) &&
	       e->state == SS_ZEEK_ESTABLISHED && peer->state == SS_ZEEK_ESTABLISHED &&
	       c->ep[side].packets - c->zeek_badsum[side] != 1;
}

/* Zeek's steps for such a segment. */
static G_GNUC_NO_INLINE void zeek_tcp_established(ss_conn *c, int side, const ss_packet *p)
{
	ss_zeek_ep *e = &c->tail_tcp.zeek[side], *peer = &c->tail_tcp.zeek[!side];
	const ss_tcp_info *t = &p->tcp;
	guint8 fl = t->flags;
	guint32 len = p->payload_len;
	gboolean up = side == 0;
	if (len > 0)
		zeek_once(c, side, SEEN_D, up ? 'D' : 'd');
	else if (fl & SS_TCP_ACK)
		zeek_once(c, side, SEEN_A, up ? 'A' : 'a');
	if (G_UNLIKELY(t->window == 0))
		zeek_scaled(c, side, &e->win0, up ? 'W' : 'w');
	guint32 end = t->seq + len;
	if (seq_delta(end, e->last) > 0)
		e->last = end;
	else if (len > 0)
		zeek_scaled(c, side, &e->rxmt, up ? 'T' : 't');
	if ((fl & SS_TCP_ACK) && seq_delta(t->ack, peer->start) >= 0)
		zeek_ack_received(c, !side, t->ack - peer->start);
	if (len > 0)
		zeek_data(c, side, t->seq - e->start, len);
}

/* Any segment through Zeek's per-packet steps, in its order. */
static G_GNUC_NO_INLINE void zeek_tcp_general(ss_conn *c, int side, const ss_packet *p)
{
	ss_zeek_ep *e = &c->tail_tcp.zeek[side], *peer = &c->tail_tcp.zeek[!side];
	const ss_tcp_info *t = &p->tcp;
	guint8 fl = t->flags;
	gboolean syn = fl & SS_TCP_SYN, ack = fl & SS_TCP_ACK;
	gboolean fin = fl & SS_TCP_FIN, rst = fl & SS_TCP_RST;
	guint32 len = p->payload_len;

	/* is_partial: the first packet of each side was not a handshake
	 * (the first Zeek analysed: bad checksums do not count) */
	if (c->ep[side].packets - c->zeek_badsum[side] == 1) {
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

/* One TCP segment through Zeek's per-packet steps.  The test alone here,
 * both paths out of line: neither pays the other's register saves (the
 * general path paid 17 instructions a packet for the straight one's). */
void ss_conn_zeek_tcp(ss_conn *c, int side, const ss_packet *p)
{
	if (zeek_tcp_is_established(c, side, p))
		zeek_tcp_established(c, side, p);
	else
		zeek_tcp_general(c, side, p);
}

/* Zeek's conn_state() (scripts/base/protocols/conn/main.zeek) over the
 * endpoint states, the client as originator. */
const char *ss_conn_zeek_state(const ss_conn *c)
{
	/* The client as originator; a record without roles (client -1, never
	 * finalized) reads ep[0] as it, like the record writers do. */
	int ci = c->client == 1 ? 1 : 0;
	const ss_endpoint *o = &c->ep[ci], *r = &c->ep[!ci];
	if (c->proto != IPPROTO_TCP) {
		/* a datagram with a bad checksum leaves Zeek's endpoint inactive */
		gboolean oa = o->packets > c->zeek_badsum[ci];
		gboolean ra = r->packets > c->zeek_badsum[!ci];
		if (oa)
			return ra ? "SF" : "S0";
		return ra ? "SHR" : "OTH";
	}
	const ss_zeek_ep *z = ss_conn_tcp_part(c)->zeek;
	guint8 os = z[ci].state, rs = z[!ci].state;
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

gsize ss_conn_zeek_history(const ss_conn *c, char *buf, gsize size)
{
	gsize n = 0;
	if (size == 0)
		return 0;
	if (c->client != 0 && n + 1 < size)
		buf[n++] = '^';
	for (guint i = 0; i < c->history_len && n + 1 < size; i++) {
		int side = ss_conn_history_side(c, i);
		char ch = ss_conn_history_letter(c, i);
		/* g_ascii_toupper inline: its call a letter was ~1% of the
		 * writer thread on mixed.pcap (perf, docs/performance.md,
		 * "Writer and findings, twelfth session") */
		gboolean upper = side == c->client && ch >= 'a' && ch <= 'z';
		buf[n++] = upper ? (char)(ch - 'a' + 'A') : ch;
	}
	buf[n] = '\0';
	return n;
}

/* One is kept per flow in progress: a new field should fill a hole, not
 * grow the record unnoticed (docs/performance.md#memory-per-flow).  488 ->
 * 544 for tunnels: 8 bytes of tunnel id in the key, 44 of tunnel context;
 * 512 since the endpoints' addresses and ports live only in the key, 488
 * since the sixth session, 480 since the eighth, 464 since the ninth, 456 since the tenth (the
 * timeout links as 32-bit names).  A UDP record (no tail) is 184 bytes, a
 * TCP one 344, one whose SYN repeated 408 (docs/performance.md, "Record
 * memory", seventh to tenth sessions). */
G_STATIC_ASSERT(sizeof(ss_conn) <= 456);
/* The bit-fields hold every value (conn.h); the sides are signed 2-bit */
G_STATIC_ASSERT(SS_TIMEOUT_COUNT <= 4 && SS_CONN_TAIL_COUNT <= 4);
G_STATIC_ASSERT(SS_END_COUNT <= 8 && SS_REUSE_WHILE_OPEN < 8);
G_STATIC_ASSERT(SS_HISTORY_MAX < 32);
/* history_who holds the common letters' senders, history_who_more the rest */
G_STATIC_ASSERT(SS_HISTORY_COMMON <= 16 && SS_HISTORY_MAX - SS_HISTORY_COMMON <= 16);
G_STATIC_ASSERT(G_STRUCT_OFFSET(ss_conn, tail_tcp) <= 184);
G_STATIC_ASSERT(G_STRUCT_OFFSET(ss_conn, tail_syn_gaps_ns) <= 344);
G_STATIC_ASSERT(G_STRUCT_OFFSET(ss_conn, tail_tunnel) <= 408);
