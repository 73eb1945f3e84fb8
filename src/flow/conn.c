/* Connection state: per-packet TCP/UDP tracking, names, handshake round
 * trips and a record's time span.  The decisions about roles, outcome and
 * close state made once a record ends are in analysis/decide.c: this file
 * knows nothing of role inference. */
#include "flow/conn-track.h"
#include "flow/zeek-state.h"
#include "sockscope/radix.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[] = {
	[SS_OUTCOME_COMPLETE] = "complete",
	[SS_OUTCOME_REJECTED] = "rejected",
	[SS_OUTCOME_UNANSWERED] = "unanswered",
	[SS_OUTCOME_INCOMPLETE] = "incomplete",
	[SS_OUTCOME_MIDSTREAM] = "midstream",
	[SS_OUTCOME_SIMULTANEOUS] = "simultaneous",
	[SS_OUTCOME_ANSWERED] = "answered",
	[SS_OUTCOME_UNKNOWN] = "unknown",
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
	[SS_EVIDENCE_UNKNOWN] = "unknown",
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
	guint8 s0 = c->sent[0], s1 = c->sent[1];
	if (((s0 | s1) & SS_SENT_RST) || ((s0 & SS_SENT_FIN) && (s1 & SS_SENT_FIN)))
		return SS_TIMEOUT_CLOSED;
	/* Only one side has spoken, and with SYNs only: an attempt. */
	if (c->syn_side >= 0 && !(c->sent[!c->syn_side]) && !(c->sent[c->syn_side] & ~SS_SENT_SYN))
		return SS_TIMEOUT_ATTEMPT;
	return SS_TIMEOUT_ESTABLISHED;
}

gboolean ss_icmp_is_unreachable(guint8 family, guint8 type)
{
	return family == SS_FAMILY_IPV4 ? type == 3 : type == 1;
}

/* Zeek's reassembler starts past the SYN's sequence number. */
const ss_conn_tcp ss_conn_tcp_none = {
	.zeek = { { .reassem = 1 }, { .reassem = 1 } },
	.syn_ns = SS_NO_TIME, .synack_ns = SS_NO_TIME, .ack_ns = SS_NO_TIME,
	.first_rst_ns = SS_NO_TIME, .syn_copy_ns = SS_NO_TIME,
};

void ss_conn_init(ss_conn *c, const ss_flow_key *key, int src_key_side, const ss_packet *p)
{
	/* Only the tail it needs: the record may be that short (conn.h). */
	guint8 tail = ss_conn_tail_for(key->proto, &p->tunnel);
	memset(c, 0, ss_conn_size(tail));
	c->tail = tail;
	c->key = *key;
	c->proto = key->proto;
	c->family = key->family;
	c->client = -1;
	c->ep0_key_side = (guint8)src_key_side;
	/* ep[i]'s address and port are the key's (ss_conn_ip()) */
	if (tail == SS_CONN_TAIL_TUNNEL)
		c->tail_tunnel = p->tunnel;
	for (int i = 0; i < 2; i++)
		c->ep[i].first_ns = c->ep[i].last_ns = SS_NO_TIME;
	c->syn_side = c->synack_side = c->first_rst_side = c->icmp_about_side = -1;
	if (tail >= SS_CONN_TAIL_TCP) {
		/* as ss_conn_tcp_none, on the zeroed record */
		ss_conn_tcp *t = &c->tail_tcp;
		t->syn_ns = t->synack_ns = t->ack_ns = t->first_rst_ns = SS_NO_TIME;
		t->syn_copy_ns = SS_NO_TIME;
		t->zeek[0].reassem = t->zeek[1].reassem = 1;
	}
}

void ss_conn_hold_syn_gaps(ss_conn *c)
{
	g_return_if_fail(c->tail == SS_CONN_TAIL_TCP);
	c->tail = SS_CONN_TAIL_SYN_GAPS;
	memset(c->tail_syn_gaps_ns, 0, sizeof c->tail_syn_gaps_ns);
}

static gboolean any_sent(const ss_conn *c, guint8 flag)
{
	return ((c->sent[0] | c->sent[1]) & flag) != 0;
}

gboolean ss_conn_tcp_starts_new(const ss_conn *c, int side, const ss_packet *p,
				gint64 reuse_idle_ns, ss_reuse *cause)
{
	guint8 fl = p->tcp.flags;
	if ((fl & (SS_TCP_SYN | SS_TCP_ACK | SS_TCP_RST)) != SS_TCP_SYN)
		return FALSE;

	guint8 me = c->sent[side], peer = c->sent[!side];
	gboolean fresh;
	if (me & SS_SENT_SYN)   /* a different ISN: a new attempt (a TCP record holds tail_tcp) */
		fresh = p->tcp.seq != c->tail_tcp.isn[side];
	else if (peer & SS_SENT_SYN)
		fresh = (peer & SS_SENT_SYNACK) || any_sent(c, SS_SENT_RST | SS_SENT_FIN);
	else if (peer & SS_SENT_SYNACK)
		fresh = any_sent(c, SS_SENT_RST) || ((peer & SS_SENT_FIN) && (me & SS_SENT_FIN));
	else
		fresh = TRUE;                         /* a SYN on a mid-stream tuple */
	if (!fresh)
		return FALSE;

	*cause = ss_conn_reuse_cause(c, p->ts_ns - ss_conn_last_ns(c) > reuse_idle_ns);
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

static void note_tcp_options(ss_conn *c, int side, const ss_tcp_info *t)
{
	ss_zeek_ep *e = &c->tail_tcp.zeek[side];
	e->tcp_options = t->options;
	e->mss = (t->options & SS_TCPOPT_HAVE_MSS) ? t->mss : 0;
	c->tail_tcp.wscale[side] = (t->options & SS_TCPOPT_HAVE_WSCALE) ? t->wscale : 0;
}

static void update_tcp(ss_conn *c, int side, const ss_packet *p)
{
	/* A TCP record holds its TCP state (tail_tcp, conn.h). */
	guint8 *sent = &c->sent[side];
	guint32 *isn = &c->tail_tcp.isn[side];
	const ss_tcp_info *t = &p->tcp;
	guint8 fl = t->flags;

	if ((fl & (SS_TCP_SYN | SS_TCP_ACK)) == SS_TCP_SYN) {
		if (*sent & SS_SENT_SYN) {
			if (t->seq == *isn) {
				/* Back-off: the gap since the previous copy of this SYN.
				 * The caller moved the record to hold the gaps first
				 * (ss_conn_syn_gap_due(): the same test). */
				if (side == c->syn_side && c->tail_tcp.syn_copy_ns != SS_NO_TIME) {
					if (c->tail_tcp.syn_retransmits < SS_SYN_GAPS_MAX) {
						g_assert(c->tail >= SS_CONN_TAIL_SYN_GAPS);
						c->tail_syn_gaps_ns[c->tail_tcp.syn_retransmits] =
							p->ts_ns - c->tail_tcp.syn_copy_ns;
					}
					c->tail_tcp.syn_copy_ns = p->ts_ns;
				}
				c->tail_tcp.syn_retransmits++;
			}
		} else {
			*sent |= SS_SENT_SYN;
			*isn = t->seq;
			note_tcp_options(c, side, t);
			if (c->syn_side < 0) {
				c->syn_side = (gint8)side;
				c->tail_tcp.syn_ns = p->ts_ns;
				c->tail_tcp.syn_copy_ns = p->ts_ns;
			}
		}
	} else if ((fl & (SS_TCP_SYN | SS_TCP_ACK)) == (SS_TCP_SYN | SS_TCP_ACK)) {
		if (*sent & SS_SENT_SYNACK) {
			if (t->seq == *isn)
				c->tail_tcp.synack_retransmits++;
		} else {
			*sent |= SS_SENT_SYNACK;
			*isn = t->seq;
			note_tcp_options(c, side, t);
			if (c->synack_side < 0) {
				c->synack_side = (gint8)side;
				c->tail_tcp.synack_ns = p->ts_ns;
			}
		}
	} else if (fl & SS_TCP_ACK) {
		/* A RST+ACK refuses; it never completes a handshake. */
		if (!(fl & SS_TCP_RST))
			*sent |= SS_SENT_ACK;
		/* The third packet of the handshake: the SYN's sender acknowledging
		 * the SYN-ACK. */
		if (!c->acked && c->synack_side == !side && c->tail_tcp.synack_ns != SS_NO_TIME &&
		    !(fl & SS_TCP_RST)) {
			c->tail_tcp.ack_ns = p->ts_ns;
			c->acked = TRUE;
		}
	}
	if (p->payload_len > 0)
		*sent |= SS_SENT_DATA;
	if (fl & SS_TCP_FIN)
		*sent |= SS_SENT_FIN;
	if (fl & SS_TCP_RST) {
		*sent |= SS_SENT_RST;
		if (c->first_rst_side < 0) {
			c->first_rst_side = (gint8)side;
			c->tail_tcp.first_rst_ns = p->ts_ns;
		}
	}
	/* Zeek skips a segment whose checksum is wrong, but for its letter */
	if (p->csum == SS_CSUM_BAD)
		ss_conn_zeek_bad_checksum(c, side);
	else
		ss_conn_zeek_tcp(c, side, p);
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

/* ss_conn_sort_first and the capture end's sort (flow/lifecycle.c): each
 * record is read once into a key (its first packet), so sorting does not
 * reach into two records (a cache miss each, with hundreds of thousands of
 * them) for every comparison; the keys are radix-sorted (core/radix.c): 1M
 * records on the 2M-flow capture in ~100 instructions each instead of
 * glibc qsort's ~690 (measured in docs/performance.md, "capture-end sort").
 * The items are (key, record) pairs, 16 bytes: with the sequence number in
 * them too they were 24, and the capture end's two arrays of them set
 * many-flows.pcap's RSS once the packets are done (2 x 18.1 MiB for 791k
 * records; docs/performance.md, "Record memory, eleventh session").  Ties
 * of the first packet (records whose first packets share a timestamp) are
 * then put in sequence order, reading only their records: the same order
 * as (first, seq), which has no ties (seq is unique). */
ss_radix_pair ss_conn_sort_pair(const ss_conn *c)
{
	gint64 first, last;
	ss_conn_span(c, &first, &last);
	return (ss_radix_pair){ ss_radix_signed(first), (gpointer)c };
}

/* Runs this long or longer are radix-sorted by seq, shorter ones by
 * insertion (a capture whose packets all carry one timestamp makes one run
 * of every record). */
#define TIE_RUN_RADIX 32

/* v[0..n), one run of equal first packets, into sequence order. */
static void sort_tie_run(ss_radix_pair *v, gsize n, ss_radix_pair *tmp)
{
	for (gsize i = 0; i < n; i++)
		v[i].key = ((const ss_conn *)v[i].p)->seq;
	if (n >= TIE_RUN_RADIX) {
		ss_radix_sort_pairs(v, n, tmp);
	} else {
		for (gsize i = 1; i < n; i++) {
			ss_radix_pair x = v[i];
			gsize j = i;
			for (; j > 0 && v[j - 1].key > x.key; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	}
}

void ss_conn_sort_pairs(ss_radix_pair *v, gsize n, ss_radix_pair *tmp)
{
	ss_radix_sort_pairs(v, n, tmp);
	for (gsize i = 0; i < n;) {
		gsize j = i + 1;
		while (j < n && v[j].key == v[i].key)
			j++;
		/* (Each item's first-packet key is overwritten in its own run
		 * only, after the run's end was found.) */
		if (j - i > 1)
			sort_tie_run(v + i, j - i, tmp);
		i = j;
	}
}

void ss_conn_sort_first(GPtrArray *conns)
{
	guint n = conns->len;
	if (n < 2)
		return;
	ss_radix_pair *k = g_new(ss_radix_pair, 2 * (gsize)n);
	for (guint i = 0; i < n; i++)
		k[i] = ss_conn_sort_pair(g_ptr_array_index(conns, i));
	ss_conn_sort_pairs(k, n, k + n);
	for (guint i = 0; i < n; i++)
		g_ptr_array_index(conns, i) = k[i].p;
	g_free(k);
}

G_STATIC_ASSERT(SS_NO_TIME == G_MININT64);

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
	/* SS_NO_TIME is the smallest time (asserted below): a packet is never
	 * earlier, so no separate test for it (4 instructions a packet) */
	if (p->ts_ns > me->last_ns)
		me->last_ns = p->ts_ns;

	if (c->proto == IPPROTO_TCP) {
		update_tcp(c, side, p);
	} else {
		c->sent[side] |= SS_SENT_DATA;
		if (p->csum == SS_CSUM_BAD)
			ss_conn_zeek_bad_checksum(c, side);
		else
			ss_conn_zeek_udp(c, side);
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
	const ss_conn_tcp *t = ss_conn_tcp_part(c);
	if (t->syn_ns == SS_NO_TIME || t->synack_ns == SS_NO_TIME || t->synack_ns < t->syn_ns)
		return SS_NO_TIME;
	return t->synack_ns - t->syn_ns;
}

gint64 ss_conn_synack_to_ack_ns(const ss_conn *c)
{
	const ss_conn_tcp *t = ss_conn_tcp_part(c);
	if (t->synack_ns == SS_NO_TIME || t->ack_ns == SS_NO_TIME || t->ack_ns < t->synack_ns)
		return SS_NO_TIME;
	return t->ack_ns - t->synack_ns;
}
