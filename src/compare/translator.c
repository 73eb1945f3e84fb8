/* The address translators between the two points, inferred from the
 * connections matched across them: one source translator (SNAT,
 * masquerade) and one destination translator (DNAT, port forwarding, a
 * load balancer) per address family at most.  Its public addresses, how
 * it picks the translated client port (on evidence, with a confidence
 * that grows with the connections seen), the ports in use at once and
 * the idle timeouts its connections met. */
#include "compare/internal.h"
#include "sockscope/format.h"

#include <stdlib.h>
#include <string.h>

/* Fewer connections than this say nothing about port allocation. */
#define PORTS_MIN_CONNS 3
/* Confidence by the number of connections behind the verdict. */
#define PORTS_HIGH_CONNS 20
#define PORTS_MEDIUM_CONNS 8
/* Sequential: the next translated port is at most this far above the last. */
#define PORTS_SEQ_STEP 16
/* Ports a translator can hand out per public address (1024-65535). */
#define PORTS_PER_ADDRESS 64512

ss_cmp_port_alloc ss_cmp_port_alloc_infer(const guint16 *assigned, const guint16 *translated,
					  const gboolean *taken, guint n, ss_confidence *confidence)
{
	*confidence = n >= PORTS_HIGH_CONNS ? SS_CONFIDENCE_HIGH :
		      n >= PORTS_MEDIUM_CONNS ? SS_CONFIDENCE_MEDIUM : SS_CONFIDENCE_LOW;
	if (n < PORTS_MIN_CONNS) {
		*confidence = SS_CONFIDENCE_LOW;
		return SS_CMP_PORTS_UNKNOWN;
	}
	guint same = 0, steps = 0, forced = 0;
	for (guint i = 0; i < n; i++) {
		same += assigned[i] == translated[i];
		/* its port was in use on the public address: no NAT keeps it */
		forced += assigned[i] != translated[i] && taken && taken[i];
	}
	/* 90% of those whose port was free: a preserving NAT still changes
	 * a port that is taken (and some ports it does not explain). */
	if (same > 0 && same * 10 >= (n - forced) * 9)
		return SS_CMP_PORTS_PRESERVING;
	for (guint i = 1; i < n; i++) {
		guint16 d = (guint16)(translated[i] - translated[i - 1]);   /* wraps */
		steps += d >= 1 && d <= PORTS_SEQ_STEP;
	}
	if (steps * 4 >= (n - 1) * 3)
		return SS_CMP_PORTS_SEQUENTIAL;
	/* Neither kept nor counted up: spread over the range.  Too few
	 * connections cannot tell random from a pattern not recognised. */
	if (same * 10 <= n && n >= 5)
		return SS_CMP_PORTS_RANDOM;
	*confidence = SS_CONFIDENCE_LOW;
	return SS_CMP_PORTS_UNKNOWN;
}

static gint cmp_ip(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(ss_ip));
}

typedef struct {
	gint64 t;
	int delta;
} edge;

static gint cmp_edge(gconstpointer a, gconstpointer b)
{
	const edge *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->delta - y->delta;   /* an end before a start at the same time */
}

static void build(ss_compare *c, ss_cmp_translator_kind kind, guint8 family)
{
	GArray *conns = g_array_new(FALSE, FALSE, sizeof(const ss_cmp_conn *));
	for (guint i = 0; i < c->conns->len; i++) {
		const ss_cmp_conn *cc = &g_array_index(c->conns, ss_cmp_conn, i);
		if (cc->seen != SS_CMP_SEEN_BOTH || cc->family != family || cc->a_near_client < 0)
			continue;
		const char *t = ss_cmp_translation_name(cc);
		if (kind == SS_CMP_TRANSLATOR_SNAT ? strstr(t, "snat") == NULL :
						     strstr(t, "dnat") == NULL)
			continue;
		g_array_append_val(conns, cc);
	}
	if (conns->len == 0) {
		g_array_unref(conns);
		return;
	}
	ss_cmp_translator tr = { 0 };
	tr.kind = (guint8)kind;
	tr.family = family;
	tr.public_ips = g_array_new(FALSE, FALSE, sizeof(ss_ip));
	tr.conns = conns->len;
	tr.idle_timeout_ns = tr.idle_survived_ns = SS_NO_TIME;
	guint16 *assigned = g_new(guint16, conns->len);
	guint16 *translated = g_new(guint16, conns->len);
	GHashTable *ports = g_hash_table_new(g_direct_hash, g_direct_equal);
	GArray *edges = g_array_new(FALSE, FALSE, sizeof(edge));
	tr.port_lo = G_MAXUINT16;
	for (guint i = 0; i < conns->len; i++) {
		const ss_cmp_conn *cc = g_array_index(conns, const ss_cmp_conn *, i);
		int near = cc->a_near_client ? 0 : 1;   /* side index nearer the client */
		const ss_ip *pub = kind == SS_CMP_TRANSLATOR_SNAT ? &cc->client_ip[!near] :
								    &cc->server_ip[near];
		guint16 port = kind == SS_CMP_TRANSLATOR_SNAT ? cc->client_port[!near] :
								cc->server_port[!near];
		gboolean have = FALSE;
		for (guint k = 0; k < tr.public_ips->len && !have; k++)
			have = memcmp(&g_array_index(tr.public_ips, ss_ip, k), pub, sizeof *pub) == 0;
		if (!have)
			g_array_append_val(tr.public_ips, *pub);
		assigned[i] = cc->client_port[near];
		translated[i] = cc->client_port[!near];
		g_hash_table_add(ports, GUINT_TO_POINTER((guint)port + 1));
		tr.port_lo = MIN(tr.port_lo, port);
		tr.port_hi = MAX(tr.port_hi, port);
		if (cc->idle_drop_ns != SS_NO_TIME &&
		    (tr.idle_timeout_ns == SS_NO_TIME || cc->idle_drop_ns < tr.idle_timeout_ns))
			tr.idle_timeout_ns = cc->idle_drop_ns;
		else if (cc->idle_drop_ns == SS_NO_TIME && cc->max_crossed_gap_ns > 0 &&
			 (tr.idle_survived_ns == SS_NO_TIME || cc->max_crossed_gap_ns > tr.idle_survived_ns))
			tr.idle_survived_ns = cc->max_crossed_gap_ns;
		const ss_cmp_sigs *s = c->side[0].sigs;
		const ss_cmp_flow *f = ss_cmp_sigs_flow(s, (guint)cc->flow_a);
		edge e1 = { f->first_ns, 1 }, e2 = { f->last_ns, -1 };
		g_array_append_val(edges, e1);
		g_array_append_val(edges, e2);
	}
	g_array_sort(tr.public_ips, cmp_ip);
	tr.ports_seen = g_hash_table_size(ports);
	g_array_sort(edges, cmp_edge);
	gint64 open = 0;
	for (guint i = 0; i < edges->len; i++) {
		open += g_array_index(edges, edge, i).delta;
		tr.max_concurrent = MAX(tr.max_concurrent, (guint64)MAX(open, 0));
	}
	ss_confidence conf = SS_CONFIDENCE_LOW;
	if (kind == SS_CMP_TRANSLATOR_SNAT) {
		/* A connection whose assigned port another translated connection
		 * held on the same public address at the same time could not
		 * keep it (two clients behind the NAT chose the same port). */
		gboolean *taken = g_new0(gboolean, conns->len);
		const ss_cmp_sigs *sa = c->side[0].sigs;
		for (guint i = 0; i < conns->len; i++) {
			const ss_cmp_conn *ci = g_array_index(conns, const ss_cmp_conn *, i);
			const ss_cmp_flow *fi = ss_cmp_sigs_flow(sa, (guint)ci->flow_a);
			int ni = ci->a_near_client ? 0 : 1;
			for (guint j = 0; j < conns->len && !taken[i]; j++) {
				const ss_cmp_conn *cj = g_array_index(conns, const ss_cmp_conn *, j);
				const ss_cmp_flow *fj = ss_cmp_sigs_flow(sa, (guint)cj->flow_a);
				int nj = cj->a_near_client ? 0 : 1;
				taken[i] = j != i && cj->client_port[!nj] == ci->client_port[ni] &&
					   memcmp(&cj->client_ip[!nj], &ci->client_ip[!ni], sizeof(ss_ip)) == 0 &&
					   fj->first_ns <= fi->last_ns && fi->first_ns <= fj->last_ns;
			}
		}
		tr.port_alloc = (guint8)ss_cmp_port_alloc_infer(assigned, translated, taken, conns->len,
								&conf);
		g_free(taken);
		guint same = 0;
		for (guint i = 0; i < conns->len; i++)
			same += assigned[i] == translated[i];
		tr.evidence = g_strdup_printf("%u translated connections: %u kept the client's port,"
					      " %u got another", conns->len, same, conns->len - same);
	} else {
		/* A destination translator does not pick client ports. */
		tr.port_alloc = SS_CMP_PORTS_UNKNOWN;
		tr.evidence = g_strdup_printf("%u connections addressed to %u public address%s"
					      " reached another server address or port",
					      conns->len, tr.public_ips->len,
					      tr.public_ips->len == 1 ? "" : "es");
	}
	tr.confidence = (guint8)conf;
	g_hash_table_unref(ports);
	g_array_unref(edges);
	g_free(assigned);
	g_free(translated);
	g_array_unref(conns);
	g_array_append_val(c->translators, tr);
}

void ss_cmp_translators_infer(ss_compare *c)
{
	const guint8 families[] = { SS_FAMILY_IPV4, SS_FAMILY_IPV6 };
	for (guint k = 0; k < 2; k++)
		for (guint f = 0; f < G_N_ELEMENTS(families); f++)
			build(c, k == 0 ? SS_CMP_TRANSLATOR_SNAT : SS_CMP_TRANSLATOR_DNAT, families[f]);
}

/* "low", "medium" or "high": the ports in use at once per public address
 * against what one address offers. */
const char *ss_cmp_exhaustion_risk(const ss_cmp_translator *t)
{
	guint64 per = t->max_concurrent / MAX(t->public_ips->len, 1u);
	return per * 10 < PORTS_PER_ADDRESS ? "low" : per * 2 < PORTS_PER_ADDRESS ? "medium" : "high";
}

void ss_cmp_idle_timeout_append(GString *b, const ss_cmp_translator *t)
{
	gint64 ms = (t->idle_timeout_ns + 999999) / 1000000;
	g_string_append_printf(b, "at most %" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT " s",
			       ms / 1000, ms % 1000);
}

void ss_cmp_public_ips_append(GString *b, const ss_cmp_translator *t, const char *sep)
{
	for (guint i = 0; i < t->public_ips->len; i++) {
		char ip[SS_IP_STRLEN];
		ss_ip_format(t->family, &g_array_index(t->public_ips, ss_ip, i), ip);
		g_string_append_printf(b, "%s%s", i ? sep : "", ip);
	}
}
