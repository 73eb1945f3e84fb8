/* Path mode: A and B captured the same traffic at two points of its path
 * at the same time.  From the matched flows (match.c) this works out, per
 * connection, where each packet was seen, the clock offset between the
 * captures, which point is nearer the client, the translation, packets
 * lost between the points, injected resets, one-way delays and
 * retransmissions seen at one point only; then the translators
 * (translator.c) and the findings (path-findings.c).  docs/compare.md has
 * the method and its assumptions. */
#include "compare/internal.h"
#include "sockscope/hash.h"

#include <stdlib.h>
#include <string.h>

/* ---- the analysis' record of a flow ---- */

typedef struct {
	guint8 proto, family;
	guint16 port_lo, port_hi;
	guint16 pad_;
	ss_ip ip_lo, ip_hi;
} tuple_key;
G_STATIC_ASSERT(sizeof(tuple_key) == 40);
SS_BYTES_KEY_FUNCS(tuple_key, tuple_key)

static void tuple_make(tuple_key *k, guint8 proto, guint8 family, const ss_ip *ip0, guint16 p0,
		       const ss_ip *ip1, guint16 p1)
{
	memset(k, 0, sizeof *k);
	k->proto = proto;
	k->family = family;
	int c = memcmp(ip0, ip1, sizeof *ip0);
	gboolean swap = c > 0 || (c == 0 && p0 > p1);
	k->ip_lo = swap ? *ip1 : *ip0;
	k->ip_hi = swap ? *ip0 : *ip1;
	k->port_lo = swap ? p1 : p0;
	k->port_hi = swap ? p0 : p1;
}

static GHashTable *conn_index(const ss_report *r)
{
	GHashTable *t = g_hash_table_new_full(tuple_key_hash, tuple_key_equal, g_free,
					      (GDestroyNotify)g_ptr_array_unref);
	for (guint i = 0; r && r->conns && i < r->conns->len; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		tuple_key k;
		tuple_make(&k, c->proto, c->family, ss_conn_ip(c, 0), ss_conn_port(c, 0), ss_conn_ip(c, 1),
			   ss_conn_port(c, 1));
		GPtrArray *list = g_hash_table_lookup(t, &k);
		if (!list) {
			list = g_ptr_array_new();
			g_hash_table_insert(t, g_memdup2(&k, sizeof k), list);
		}
		g_ptr_array_add(list, (gpointer)c);
	}
	return t;
}

/* The record of the same tuple whose span holds the flow's first packet
 * (a reused tuple has several), else the nearest. */
static const ss_conn *conn_of(GHashTable *idx, const ss_cmp_flow *f)
{
	tuple_key k;
	tuple_make(&k, f->proto, f->family, &f->ip[0], f->port[0], &f->ip[1], f->port[1]);
	GPtrArray *list = g_hash_table_lookup(idx, &k);
	const ss_conn *best = NULL;
	gint64 best_d = G_MAXINT64;
	for (guint i = 0; list && i < list->len; i++) {
		const ss_conn *c = g_ptr_array_index(list, i);
		gint64 first, last;
		ss_conn_span(c, &first, &last);
		gint64 d = first == SS_NO_TIME ? G_MAXINT64 - 1 :
			   f->first_ns < first ? first - f->first_ns :
			   f->first_ns > last ? f->first_ns - last : 0;
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	return best;
}

/* The client endpoint of a flow: its bare SYN's sender, else the one the
 * analysis decided, else the first sender. */
static int flow_client(const ss_cmp_flow *f, const ss_conn *c)
{
	if (f->client >= 0)
		return f->client;
	if (c && c->client >= 0) {
		if (memcmp(ss_conn_client_ip(c), &f->ip[1], sizeof *ss_conn_client_ip(c)) == 0 && ss_conn_client_port(c) == f->port[1])
			return 1;
	}
	return 0;
}

/* ---- packets of a matched pair ---- */

typedef struct {
	guint32 seq, ack, len, hash;
	guint8 flags, to_server;
	guint16 pad_;
	guint32 idx;               /* the packet's index in its flow */
} pkt_entry;
G_STATIC_ASSERT(sizeof(pkt_entry) == 24);

/* The identity of a packet (everything but idx) compared bytewise. */
#define PKT_KEY_BYTES 20

static void entries_make(GArray *out, const ss_cmp_flow *f, int client)
{
	g_array_set_size(out, f->n_pkts);
	pkt_entry *e = (pkt_entry *)(void *)out->data;
	for (guint i = 0; i < f->n_pkts; i++) {
		const ss_cmp_pkt *p = &f->pkts[i];
		memset(&e[i], 0, sizeof e[i]);
		e[i].seq = p->seq;
		e[i].ack = p->ack;
		e[i].len = p->payload_len;
		e[i].hash = p->payload_hash;
		e[i].flags = p->flags & (SS_TCP_SYN | SS_TCP_ACK | SS_TCP_FIN | SS_TCP_RST);
		e[i].to_server = p->from == client;
		e[i].idx = i;
	}
}

static int cmp_entry(const void *x, const void *y)
{
	const pkt_entry *a = x, *b = y;
	int c = memcmp(a, b, PKT_KEY_BYTES);
	return c ? c : a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* A repeated copy counts as a retransmission when it carries something
 * (data, SYN, FIN); a repeated bare ACK is a duplicate ACK. */
static gboolean counts_as_rexmit(const pkt_entry *e)
{
	return e->len > 0 || (e->flags & (SS_TCP_SYN | SS_TCP_FIN));
}

/* Reused between calls: the two flows' sorted entries. */
typedef struct {
	GArray *a, *b;
} pair_scratch;

/* pair[i] of A's packets: the index of the same packet at B, or -1; the
 * k-th copy of a packet at A pairs with the k-th copy at B (both sorted
 * by identity, then by time order, and merged).  Copies past the first
 * are retransmissions, counted per side. */
static gint *pair_packets(pair_scratch *sc, const ss_cmp_flow *fa, int ca, const ss_cmp_flow *fb,
			  int cb, guint8 *b_paired, guint32 *rexmit_a, guint32 *rexmit_b)
{
	entries_make(sc->a, fa, ca);
	entries_make(sc->b, fb, cb);
	pkt_entry *ea = (pkt_entry *)(void *)sc->a->data, *eb = (pkt_entry *)(void *)sc->b->data;
	guint na = sc->a->len, nb = sc->b->len;
	qsort(ea, na, sizeof *ea, cmp_entry);
	qsort(eb, nb, sizeof *eb, cmp_entry);
	gint *pair = g_new(gint, MAX(na, 1u));
	for (guint i = 0; i < na; i++)
		pair[i] = -1;
	guint i = 0, j = 0;
	while (i < na || j < nb) {
		/* the runs of one identity on each side */
		guint ri = i, rj = j;
		int c = i >= na ? 1 : j >= nb ? -1 : memcmp(&ea[i], &eb[j], PKT_KEY_BYTES);
		if (c <= 0)
			while (ri < na && memcmp(&ea[ri], &ea[i], PKT_KEY_BYTES) == 0)
				ri++;
		if (c >= 0)
			while (rj < nb && memcmp(&eb[rj], &eb[j], PKT_KEY_BYTES) == 0)
				rj++;
		if (ri > i + 1 && counts_as_rexmit(&ea[i]))
			*rexmit_a += ri - i - 1;
		if (rj > j + 1 && counts_as_rexmit(&eb[j]))
			*rexmit_b += rj - j - 1;
		if (c == 0)
			for (guint k = 0; i + k < ri && j + k < rj; k++) {
				pair[ea[i + k].idx] = (gint)eb[j + k].idx;
				b_paired[eb[j + k].idx] = 1;
			}
		i = ri;
		j = rj;
	}
	return pair;
}

/* Repeated copies in one flow seen at one point only (no pairing). */
static guint32 count_rexmit(pair_scratch *sc, const ss_cmp_flow *f, int client)
{
	entries_make(sc->a, f, client);
	pkt_entry *e = (pkt_entry *)(void *)sc->a->data;
	qsort(e, sc->a->len, sizeof *e, cmp_entry);
	guint32 n = 0;
	for (guint i = 1; i < sc->a->len; i++)
		n += memcmp(&e[i], &e[i - 1], PKT_KEY_BYTES) == 0 && counts_as_rexmit(&e[i]);
	return n;
}

/* ---- per connection ---- */

typedef struct {
	ss_compare *c;
	GHashTable *conn_idx[2];
	GArray *d_ab, *d_ba;       /* gint64: tB - tA of matched packets, all conns */
} path_ctx;

/* Which point the client's packets cross first, from the TTL (a router
 * between the points lowers it on the way) and, when it does not change,
 * from the handshake: the point nearer the client waits longer between
 * the SYN and the SYN-ACK.  -1 when neither tells. */
static int near_client(const ss_cmp_flow *fa, int ca, const ss_cmp_flow *fb, const gint *pair)
{
	int votes = 0;
	gint64 syn_a = SS_NO_TIME, synack_a = SS_NO_TIME, syn_b = SS_NO_TIME, synack_b = SS_NO_TIME;
	for (guint i = 0; i < fa->n_pkts; i++) {
		if (pair[i] < 0)
			continue;
		const ss_cmp_pkt *pa = &fa->pkts[i];
		const ss_cmp_pkt *pb = &fb->pkts[pair[i]];
		gboolean to_server = pa->from == ca;
		if (pa->ttl != pb->ttl)
			votes += (pa->ttl > pb->ttl) == to_server ? 1 : -1;
		ss_cmp_pkt_kind k = ss_cmp_pkt_kind_of(pa);
		if (k == SS_CMP_PKT_SYN && syn_a == SS_NO_TIME) {
			syn_a = pa->ts_ns;
			syn_b = pb->ts_ns;
		} else if (k == SS_CMP_PKT_SYNACK && synack_a == SS_NO_TIME) {
			synack_a = pa->ts_ns;
			synack_b = pb->ts_ns;
		}
	}
	if (votes != 0)
		return votes > 0;
	if (syn_a != SS_NO_TIME && synack_a != SS_NO_TIME && synack_a > syn_a) {
		gint64 ga = synack_a - syn_a, gb = synack_b - syn_b;
		if (ga != gb)
			return ga > gb;
	}
	return -1;
}

static void set_addresses(ss_cmp_conn *cc, int side, const ss_cmp_flow *f, int client)
{
	cc->client_ip[side] = f->ip[client];
	cc->client_port[side] = f->port[client];
	cc->server_ip[side] = f->ip[!client];
	cc->server_port[side] = f->port[!client];
}

static gint64 median_of(GArray *v)
{
	if (v->len == 0)
		return SS_NO_TIME;
	gint64 *x = (gint64 *)(void *)v->data;
	for (guint i = 1; i < v->len; i++)   /* insertion sort: a few per conn */
		for (guint j = i; j > 0 && x[j - 1] > x[j]; j--) {
			gint64 t = x[j];
			x[j] = x[j - 1];
			x[j - 1] = t;
		}
	return v->len % 2 ? x[v->len / 2] : x[v->len / 2 - 1] + (x[v->len / 2] - x[v->len / 2 - 1]) / 2;
}

/* Time differences of one matched pair into the global samples (and the
 * pair's own, for its delays). */
static void collect_times(const ss_cmp_flow *fa, int ca, const ss_cmp_flow *fb, const gint *pair,
			  int a_near, GArray *d_ab, GArray *d_ba)
{
	for (guint i = 0; i < fa->n_pkts; i++) {
		if (pair[i] < 0)
			continue;
		const ss_cmp_pkt *pa = &fa->pkts[i];
		const ss_cmp_pkt *pb = &fb->pkts[pair[i]];
		gint64 d = pb->ts_ns - pa->ts_ns;
		gboolean a_to_b = (pa->from == ca) == (a_near == 1);
		g_array_append_val(a_to_b ? d_ab : d_ba, d);
	}
}

/* Whether a packet at time t of one point's clock falls inside the time
 * the other point was capturing, so that its absence there means
 * something.  A capture file shows only when its first and last packets
 * were, not when capturing started and stopped: the other point is taken
 * to have captured from its first packet until the later of the two
 * captures' last packets (path mode assumes both ran together and were
 * stopped together; docs/compare.md).  Otherwise a SYN dropped at the
 * very end, after the far side's last packet, would go unreported. */
static gboolean inside_other(const ss_compare *c, int side, gint64 t)
{
	const ss_cmp_side *o = &c->side[!side], *me = &c->side[side];
	if (o->first_ns == SS_NO_TIME)
		return FALSE;
	gint64 off = c->have_offset ? c->offset_ns : 0;
	/* everything on the other point's clock */
	gint64 conv = side == 0 ? off : -off;
	gint64 t_other = t + conv;
	gint64 end = MAX(o->last_ns, me->last_ns + conv);
	return t_other >= o->first_ns && t_other <= end;
}

/* The packets of one side that the other side never saw: lost between
 * the points when this side is upstream for their direction, injected
 * (a reset) or unexplained when downstream.  `paired` NULL: none paired. */
static void unpaired(ss_compare *c, ss_cmp_conn *cc, int side, const ss_cmp_flow *f, int client,
		     const guint8 *paired, const gint *pair)
{
	if (!f || cc->a_near_client < 0)
		return;
	gboolean near = (side == 0) == (cc->a_near_client == 1);   /* this side nearer the client */
	gint64 prev = SS_NO_TIME;
	gboolean stopped = FALSE;
	for (guint i = 0; i < f->n_pkts; i++) {
		const ss_cmp_pkt *p = &f->pkts[i];
		gboolean ok = paired ? paired[i] : pair ? pair[i] >= 0 : FALSE;
		gboolean to_server = p->from == client;
		gboolean upstream = to_server == near;
		if (!ok && inside_other(c, side, p->ts_ns)) {
			ss_cmp_pkt_kind k = ss_cmp_pkt_kind_of(p);
			if (upstream) {
				ss_cmp_dir dir = side == 0 ? SS_CMP_DIR_A_TO_B : SS_CMP_DIR_B_TO_A;
				cc->lost[k][dir]++;
				/* Packets that stop crossing after a pause, once the
				 * connection had crossed: an idle timeout. */
				if (!stopped && prev != SS_NO_TIME && k != SS_CMP_PKT_SYN &&
				    p->ts_ns - prev >= SS_CMP_IDLE_MIN_NS) {
					/* both directions may stop: the shorter pause is
					 * the one the middlebox did not survive */
					if (cc->idle_drop_ns == SS_NO_TIME || p->ts_ns - prev < cc->idle_drop_ns)
						cc->idle_drop_ns = p->ts_ns - prev;
					stopped = TRUE;
				}
			} else if (k == SS_CMP_PKT_RST) {
				cc->injected_rst[side][to_server]++;
			}
		}
		if (ok) {
			if (prev != SS_NO_TIME && p->ts_ns - prev > cc->max_crossed_gap_ns)
				cc->max_crossed_gap_ns = p->ts_ns - prev;
			prev = p->ts_ns;
		}
	}
}

static void add_lane(ss_cmp_conn *cc, const ss_cmp_pkt *p, int client, gboolean at_a, gboolean at_b,
		     gint64 ts)
{
	ss_cmp_lane_event e = { 0 };
	e.kind = (guint8)ss_cmp_pkt_kind_of(p);
	e.to_server = p->from == client;
	e.at_a = (guint8)at_a;
	e.at_b = (guint8)at_b;
	e.ts_ns = ts;
	g_array_append_val(cc->lanes, e);
}

static gint cmp_lane(gconstpointer x, gconstpointer y)
{
	const ss_cmp_lane_event *a = x, *b = y;
	return a->ts_ns < b->ts_ns ? -1 : a->ts_ns > b->ts_ns;
}

/* The two-lane diagram's events: every packet once, on A's clock. */
static void build_lanes(const ss_compare *c, ss_cmp_conn *cc, const ss_cmp_flow *fa, int ca,
			const ss_cmp_flow *fb, int cb, const gint *pair, const guint8 *b_paired)
{
	cc->lanes = g_array_new(FALSE, FALSE, sizeof(ss_cmp_lane_event));
	gint64 off = c->have_offset ? c->offset_ns : 0;
	for (guint i = 0; fa && i < fa->n_pkts; i++)
		add_lane(cc, &fa->pkts[i], ca, TRUE,
			 pair && pair[i] >= 0, fa->pkts[i].ts_ns);
	for (guint j = 0; fb && j < fb->n_pkts; j++)
		if (!b_paired || !b_paired[j])
			add_lane(cc, &fb->pkts[j], cb, FALSE, TRUE,
				 fb->pkts[j].ts_ns - off);
	/* stable: equal times keep A's packets first */
	g_array_sort(cc->lanes, cmp_lane);
	if (cc->lanes->len > SS_CMP_LANES_MAX)
		g_array_set_size(cc->lanes, SS_CMP_LANES_MAX);
}

static void conn_init(ss_cmp_conn *cc, const ss_cmp_flow *f)
{
	memset(cc, 0, sizeof *cc);
	cc->proto = f->proto;
	cc->family = f->family;
	cc->flow_a = cc->flow_b = -1;
	cc->a_near_client = -1;
	cc->delay_ns[0] = cc->delay_ns[1] = SS_NO_TIME;
	cc->idle_drop_ns = SS_NO_TIME;
}

static gint cmp_conn(gconstpointer x, gconstpointer y)
{
	const ss_cmp_conn *a = x, *b = y;
	if (a->first_ns != b->first_ns)
		return a->first_ns < b->first_ns ? -1 : 1;
	if (a->flow_a != b->flow_a)
		return a->flow_a < b->flow_a ? -1 : 1;
	return a->flow_b < b->flow_b ? -1 : a->flow_b > b->flow_b;
}

void ss_compare_path(ss_compare *c)
{
	const ss_cmp_sigs *sa = c->side[0].sigs, *sb = c->side[1].sigs;
	guint na = ss_cmp_sigs_n_flows(sa), nb = ss_cmp_sigs_n_flows(sb);
	gint *match = g_new(gint, MAX(na, 1u));
	guint8 *ev = g_new(guint8, MAX(na, 1u));
	path_ctx ctx = { c, { conn_index(c->side[0].report), conn_index(c->side[1].report) },
			 g_array_new(FALSE, FALSE, sizeof(gint64)),
			 g_array_new(FALSE, FALSE, sizeof(gint64)) };

	/* Round 1: match within --max-skew, estimate the offset from what
	 * matched; round 2: match again around that offset (tighter for
	 * payload-only evidence).  The offset comes from round 2's pairs. */
	GArray *unoriented = g_array_new(FALSE, FALSE, sizeof(gint64));
	pair_scratch sc = { g_array_new(FALSE, FALSE, sizeof(pkt_entry)),
			    g_array_new(FALSE, FALSE, sizeof(pkt_entry)) };
	for (int round = 0; round < 2; round++) {
		ss_cmp_match(sa, sb, c->max_skew_ns, c->have_offset, c->offset_ns, match, ev);
		g_array_set_size(ctx.d_ab, 0);
		g_array_set_size(ctx.d_ba, 0);
		int votes = 0;
		for (guint i = 0; i < na; i++) {
			if (match[i] < 0)
				continue;
			const ss_cmp_flow *fa = ss_cmp_sigs_flow(sa, i), *fb = ss_cmp_sigs_flow(sb, (guint)match[i]);
			const ss_conn *ka = conn_of(ctx.conn_idx[0], fa);
			int ca = flow_client(fa, ka);
			int cb = flow_client(fb, conn_of(ctx.conn_idx[1], fb));
			guint8 *bp = g_new0(guint8, MAX(fb->n_pkts, 1u));
			guint32 ra = 0, rb = 0;
			gint *pair = pair_packets(&sc, fa, ca, fb, cb, bp, &ra, &rb);
			int near = near_client(fa, ca, fb, pair);
			if (near >= 0) {
				votes += near ? 1 : -1;
				collect_times(fa, ca, fb, pair, near, ctx.d_ab, ctx.d_ba);
			} else {
				/* No orientation (the points see the same TTL and
				 * timing: one segment): the differences still give the
				 * offset, with its delays unknown. */
				collect_times(fa, ca, fb, pair, 1, unoriented, unoriented);
			}
			g_free(pair);
			g_free(bp);
		}
		gint64 spread = -1;
		if (ctx.d_ab->len == 0 && ctx.d_ba->len == 0)
			g_array_append_vals(ctx.d_ab, unoriented->data, unoriented->len);
		g_array_set_size(unoriented, 0);
		c->have_offset = ss_cmp_clock_offset((gint64 *)(void *)ctx.d_ab->data, ctx.d_ab->len,
						     (gint64 *)(void *)ctx.d_ba->data, ctx.d_ba->len,
						     &c->offset_ns, &spread);
		c->offset_spread_ns = spread;
		c->offset_samples = ctx.d_ab->len + ctx.d_ba->len;
		c->a_near_client = votes > 0 ? 1 : votes < 0 ? 0 : -1;
	}

	/* Every flow once: A's (matched or not), then B's left over. */
	guint8 *b_used = g_new0(guint8, MAX(nb, 1u));
	for (guint i = 0; i < na; i++) {
		const ss_cmp_flow *fa = ss_cmp_sigs_flow(sa, i);
		ss_cmp_conn cc;
		conn_init(&cc, fa);
		cc.flow_a = (gint)i;
		cc.conn_a = conn_of(ctx.conn_idx[0], fa);
		cc.first_ns = fa->first_ns;
		int ca = flow_client(fa, cc.conn_a);
		set_addresses(&cc, 0, fa, ca);
		if (match[i] >= 0) {
			const ss_cmp_flow *fb = ss_cmp_sigs_flow(sb, (guint)match[i]);
			b_used[match[i]] = 1;
			cc.seen = SS_CMP_SEEN_BOTH;
			cc.flow_b = match[i];
			cc.evidence = ev[i];
			cc.conn_b = conn_of(ctx.conn_idx[1], fb);
			int cb = flow_client(fb, cc.conn_b);
			/* B's client is the endpoint that matches A's client. */
			if (fa->client < 0 && fb->client < 0) {
				const ss_cmp_pkt *pa = NULL, *pb = NULL;
				for (guint x = 0; x < fa->n_pkts && !pa; x++)
					if (fa->pkts[x].payload_hash)
						pa = &fa->pkts[x];
				for (guint x = 0; x < fb->n_pkts && !pb; x++)
					if (fb->pkts[x].payload_hash)
						pb = &fb->pkts[x];
				if (pa && pb)
					cb = (pa->from == ca) ? pb->from : !pb->from;
			}
			set_addresses(&cc, 1, fb, cb);
			guint8 *bp = g_new0(guint8, MAX(fb->n_pkts, 1u));
			gint *pair = pair_packets(&sc, fa, ca, fb, cb, bp, &cc.retransmits[0],
						  &cc.retransmits[1]);
			int near = near_client(fa, ca, fb, pair);
			cc.a_near_client = (gint8)(near >= 0 ? near : c->a_near_client);
			GArray *dab = g_array_new(FALSE, FALSE, sizeof(gint64));
			GArray *dba = g_array_new(FALSE, FALSE, sizeof(gint64));
			if (cc.a_near_client >= 0)
				collect_times(fa, ca, fb, pair, cc.a_near_client, dab, dba);
			if (c->have_offset && dab->len)
				cc.delay_ns[SS_CMP_DIR_A_TO_B] = median_of(dab) - c->offset_ns;
			if (c->have_offset && dba->len)
				cc.delay_ns[SS_CMP_DIR_B_TO_A] = c->offset_ns - median_of(dba);
			g_array_unref(dab);
			g_array_unref(dba);
			unpaired(c, &cc, 0, fa, ca, NULL, pair);
			unpaired(c, &cc, 1, fb, cb, bp, NULL);
			build_lanes(c, &cc, fa, ca, fb, cb, pair, bp);
			guint bits = 0;
			for (guint8 e = cc.evidence & (guint8)~SS_CMP_EV_PAYLOAD_REPEATED; e;
			     e &= (guint8)(e - 1))
				bits++;
			/* A repeated payload is no evidence of its own: timing alone. */
			if (cc.evidence & SS_CMP_EV_PAYLOAD_REPEATED)
				bits = 1;
			cc.confidence = (cc.evidence & SS_CMP_EV_ISN) ?
					((cc.evidence & (SS_CMP_EV_TCP_OPTIONS | SS_CMP_EV_PAYLOAD)) ?
					 SS_CONFIDENCE_HIGH : SS_CONFIDENCE_MEDIUM) :
					bits >= 2 ? SS_CONFIDENCE_MEDIUM : SS_CONFIDENCE_LOW;
			g_free(pair);
			g_free(bp);
			c->matched++;
		} else {
			cc.seen = SS_CMP_SEEN_A_ONLY;
			cc.a_near_client = c->a_near_client;
			cc.retransmits[0] = count_rexmit(&sc, fa, ca);
			unpaired(c, &cc, 0, fa, ca, NULL, NULL);
			build_lanes(c, &cc, fa, ca, NULL, 0, NULL, NULL);
			c->a_only++;
		}
		g_array_append_val(c->conns, cc);
	}
	for (guint j = 0; j < nb; j++) {
		if (b_used[j])
			continue;
		const ss_cmp_flow *fb = ss_cmp_sigs_flow(sb, j);
		ss_cmp_conn cc;
		conn_init(&cc, fb);
		cc.seen = SS_CMP_SEEN_B_ONLY;
		cc.flow_b = (gint)j;
		cc.conn_b = conn_of(ctx.conn_idx[1], fb);
		cc.first_ns = fb->first_ns - (c->have_offset ? c->offset_ns : 0);
		int cb = flow_client(fb, cc.conn_b);
		set_addresses(&cc, 1, fb, cb);
		cc.a_near_client = c->a_near_client;
		cc.retransmits[1] = count_rexmit(&sc, fb, cb);
		unpaired(c, &cc, 1, fb, cb, NULL, NULL);
		build_lanes(c, &cc, NULL, 0, fb, cb, NULL, NULL);
		c->b_only++;
		g_array_append_val(c->conns, cc);
	}
	g_array_sort(c->conns, cmp_conn);

	ss_cmp_translators_infer(c);
	ss_cmp_path_findings(c);

	g_free(b_used);
	g_free(match);
	g_free(ev);
	g_array_unref(unoriented);
	g_array_unref(sc.a);
	g_array_unref(sc.b);
	g_array_unref(ctx.d_ab);
	g_array_unref(ctx.d_ba);
	g_hash_table_unref(ctx.conn_idx[0]);
	g_hash_table_unref(ctx.conn_idx[1]);
}
