/* Matching the flows of capture point A with those of point B on what
 * survives address translation, never on the rewritten addresses:
 *
 *  - TCP with a SYN at both points: the SYN's initial sequence number (NAT
 *    on Linux, nftables masquerade/snat/dnat, leaves it alone), checked
 *    against the SYN-ACK's ISN when both saw one and the option layout;
 *  - TCP without a SYN, and UDP: the hash and length of the first packet
 *    that carries payload, in either direction;
 *  - timing: B's first packet within the clock offset (known: within a
 *    tolerance of it; not yet: within --max-skew) of A's.
 *
 * Each B flow is matched at most once; among candidates the one with the
 * most evidence wins, then the one nearest in time (then the lower
 * index), so the result does not depend on hash order. */
#include "sockscope/compare.h"

#include <stdlib.h>
#include <string.h>

/* ISN evidence is 32 bits strong: time is only a sanity check for it. */
#define ISN_TOLERANCE_NS (G_GINT64_CONSTANT(120) * 1000000000)
/* Candidates looked at per key, from the first inside the time window:
 * UDP exchanges with identical payloads (a flood of one query) would
 * otherwise make matching quadratic.  Past it a flow stays unmatched
 * (seen at one side only), never matched to a wrong one. */
#define MAX_CANDIDATES 256
/* Payload evidence is weaker (the same request may repeat): with a known
 * offset a payload match must start within this of it. */
#define PAYLOAD_TOLERANCE_NS (G_GINT64_CONSTANT(2) * 1000000000)

/* The first packet with payload (captured bytes hashed), or NULL. */
static const ss_cmp_pkt *first_payload(const ss_cmp_flow *f)
{
	for (guint i = 0; i < f->n_pkts; i++) {
		const ss_cmp_pkt *p = &f->pkts[i];
		if (p->payload_hash != 0)
			return p;
	}
	return NULL;
}

static guint64 isn_key(const ss_cmp_flow *f)
{
	return ((guint64)f->proto << 40) | (1ull << 32) | f->isn[f->client];
}

/* TCP: the segment's sequence number too (NAT keeps it), so that many
 * connections sending the same first bytes (HTTP GETs) do not all share
 * one key. */
static guint64 payload_key(const ss_cmp_flow *f, const ss_cmp_pkt *p)
{
	return ((guint64)f->proto << 40) | (2ull << 32) |
	       (guint32)(p->payload_hash ^ (p->payload_len * 2654435761u) ^ (p->seq * 40503u));
}

static void multimap_add(GHashTable *m, guint64 key, gint idx)
{
	guint64 *k = g_new(guint64, 1);
	*k = key;
	GArray *list = g_hash_table_lookup(m, k);
	if (!list) {
		list = g_array_new(FALSE, FALSE, sizeof(gint));
		g_hash_table_insert(m, k, list);
	} else {
		g_free(k);
	}
	g_array_append_val(list, idx);
}

typedef struct {
	gint b;
	guint8 evidence;
	guint score;
	gint64 dt;                 /* |time difference - offset| */
} candidate;

/* Which endpoint of `fb` is A's ep[0]: 0 or 1; -1 when they disagree. */
static int endpoint_map(const ss_cmp_flow *fa, const ss_cmp_flow *fb, gboolean by_isn)
{
	if (by_isn)
		return fa->client == fb->client ? 0 : 1;
	const ss_cmp_pkt *pa = first_payload(fa), *pb = first_payload(fb);
	if (!pa || !pb)
		return -1;
	return pa->from == pb->from ? 0 : 1;
}

static gint64 abs64(gint64 v)
{
	return v < 0 ? -v : v;
}

static void consider(const ss_cmp_flow *fa, const ss_cmp_flow *fb, gint bi, gboolean by_isn,
		     gint64 max_skew_ns, gboolean have_offset, gint64 offset_ns, candidate *best)
{
	if (fa->proto != fb->proto)
		return;
	gint64 d = fb->first_ns - fa->first_ns;
	gint64 dt = have_offset ? abs64(d - offset_ns) : abs64(d);
	gint64 tol = have_offset ? (by_isn ? ISN_TOLERANCE_NS : PAYLOAD_TOLERANCE_NS) : max_skew_ns;
	if (dt > tol)
		return;
	guint8 ev = SS_CMP_EV_TIMING;
	guint score = 1;
	int map = endpoint_map(fa, fb, by_isn);
	if (by_isn) {
		ev |= SS_CMP_EV_ISN;
		score += 4;
		/* The server's ISN, when both saw the SYN-ACK, must agree too. */
		int srv_a = !fa->client, srv_b = !fb->client;
		if (fa->syn_seen[srv_a] && fb->syn_seen[srv_b]) {
			if (fa->isn[srv_a] != fb->isn[srv_b])
				return;
			score += 2;
		}
		if (fa->syn_opt_sig[fa->client] != 0 &&
		    fa->syn_opt_sig[fa->client] == fb->syn_opt_sig[fb->client]) {
			ev |= SS_CMP_EV_TCP_OPTIONS;
			score += 1;
		} else if (fa->syn_opt_sig[fa->client] != fb->syn_opt_sig[fb->client]) {
			return;   /* a different option layout: another SYN */
		}
	}
	const ss_cmp_pkt *pa = first_payload(fa), *pb = first_payload(fb);
	if (pa && pb && map >= 0) {
		if (pa->payload_hash == pb->payload_hash && pa->payload_len == pb->payload_len) {
			ev |= SS_CMP_EV_PAYLOAD;
			score += 2;
		} else if (!by_isn) {
			return;
		}
	} else if (!by_isn) {
		return;
	}
	if (best->b < 0 || score > best->score || (score == best->score && dt < best->dt)) {
		best->b = bi;
		best->evidence = ev;
		best->score = score;
		best->dt = dt;
	}
}

void ss_cmp_match(const ss_cmp_sigs *a, const ss_cmp_sigs *b, gint64 max_skew_ns,
		  gboolean have_offset, gint64 offset_ns, gint *out_b, guint8 *evidence)
{
	guint na = ss_cmp_sigs_n_flows(a), nb = ss_cmp_sigs_n_flows(b);
	GHashTable *index = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
						  (GDestroyNotify)g_array_unref);
	for (guint j = 0; j < nb; j++) {
		const ss_cmp_flow *f = ss_cmp_sigs_flow(b, j);
		if (f->proto == 6 && f->client >= 0)
			multimap_add(index, isn_key(f), (gint)j);
		const ss_cmp_pkt *p = first_payload(f);
		if (p)
			multimap_add(index, payload_key(f, p), (gint)j);
	}
	gboolean *taken = g_new0(gboolean, MAX(nb, 1u));
	/* Connections with a SYN first (the strongest evidence), then the
	 * rest: a payload match never takes a flow an ISN match wants. */
	for (int pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < na; i++) {
			const ss_cmp_flow *fa = ss_cmp_sigs_flow(a, i);
			gboolean by_isn = fa->proto == 6 && fa->client >= 0;
			if (pass == 0) {
				out_b[i] = -1;
				evidence[i] = 0;
			}
			if ((pass == 0) != by_isn)
				continue;
			candidate best = { -1, 0, 0, 0 };
			guint64 keys[2];
			guint nk = 0;
			if (by_isn)
				keys[nk++] = isn_key(fa);
			const ss_cmp_pkt *p = first_payload(fa);
			if (p)
				keys[nk++] = payload_key(fa, p);
			gint64 lo = fa->first_ns + (have_offset ? offset_ns : 0) -
				    (have_offset ? ISN_TOLERANCE_NS : max_skew_ns);
			gint64 hi = fa->first_ns + (have_offset ? offset_ns : 0) +
				    (have_offset ? PAYLOAD_TOLERANCE_NS : max_skew_ns);
			/* B's flows in the window whose first payload is the
			 * same as A's (same hash, length and sequence number) */
			guint same_payload = 0;
			for (guint k = 0; k < nk; k++) {
				GArray *list = g_hash_table_lookup(index, &keys[k]);
				/* B's flows are listed in the order they started: skip
				 * to the window's start. */
				guint x0 = 0, x1 = list ? list->len : 0;
				while (x0 < x1) {
					guint mid = x0 + (x1 - x0) / 2;
					const ss_cmp_flow *fm = ss_cmp_sigs_flow(
						b, (guint)g_array_index(list, gint, mid));
					if (fm->first_ns < lo)
						x0 = mid + 1;
					else
						x1 = mid;
				}
				guint seen = 0;
				for (guint x = x0; list && x < list->len && seen < MAX_CANDIDATES; x++, seen++) {
					gint bi = g_array_index(list, gint, x);
					const ss_cmp_flow *fb = ss_cmp_sigs_flow(b, (guint)bi);
					if (k == nk - 1 && p && fb->first_ns <= hi)
						same_payload++;
					gboolean isn_pair = by_isn && fb->proto == 6 && fb->client >= 0 &&
							    fb->isn[fb->client] == fa->isn[fa->client];
					if (taken[bi] || (by_isn && k == 0 && !isn_pair))
						continue;
					consider(fa, fb, bi, isn_pair, max_skew_ns, have_offset,
						 offset_ns, &best);
				}
			}
			if (best.b >= 0) {
				taken[best.b] = TRUE;
				out_b[i] = best.b;
				evidence[i] = best.evidence;
				/* Without an ISN, a payload that several of B's
				 * flows start with (every client of a service
				 * sending the same greeting) names no one of them:
				 * the pairing is then only as good as timing. */
				if (!(best.evidence & SS_CMP_EV_ISN) && same_payload > 1)
					evidence[i] |= SS_CMP_EV_PAYLOAD_REPEATED;
			}
		}
	}
	g_free(taken);
	g_hash_table_unref(index);
}

static int cmp_i64(const void *x, const void *y)
{
	gint64 a = *(const gint64 *)x, b = *(const gint64 *)y;
	return a < b ? -1 : a > b;
}

static gint64 median(gint64 *v, guint n)
{
	qsort(v, n, sizeof *v, cmp_i64);
	return n % 2 ? v[n / 2] : v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
}

gboolean ss_cmp_clock_offset(gint64 *ab, guint n_ab, gint64 *ba, guint n_ba,
			     gint64 *offset, gint64 *spread)
{
	if (n_ab == 0 && n_ba == 0)
		return FALSE;
	if (n_ab == 0 || n_ba == 0) {
		/* One direction only: the offset includes that direction's
		 * one-way delay, which cannot be separated from it. */
		*offset = n_ab ? median(ab, n_ab) : median(ba, n_ba);
		*spread = -1;
		return TRUE;
	}
	/* tB - tA = offset + delay(A->B) for A->B packets and
	 * offset - delay(B->A) for B->A ones; delays are >= 0, so the offset
	 * lies between the two medians, at their midpoint if the delays are
	 * equal. */
	gint64 m_ab = median(ab, n_ab), m_ba = median(ba, n_ba);
	*offset = m_ba + (m_ab - m_ba) / 2;
	*spread = abs64(m_ab - m_ba) / 2;
	return TRUE;
}
