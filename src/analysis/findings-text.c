/* Findings as text: what each group of the accumulator means, in one
 * statement and the usual next step, with the facts that back it
 * (docs/reports.md lists every finding).  Accumulating, ranking and the
 * choice of examples are in findings.c. */
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "analysis/findings-internal.h"
#include "sockscope/hosts.h"
#include "sockscope/util.h"

static void subject_from_key(ss_finding *f, const gkey *k, gboolean client)
{
	f->proto = k->proto;
	f->family = k->family;
	f->vnet = k->vnet;
	f->has_server = TRUE;
	f->server_ip = k->server;
	f->server_port = k->port;
	if (client) {
		f->has_client = TRUE;
		f->client_ip = k->client;
	}
}

/* The subject's client when the group has exactly one. */
static void single_client(ss_finding *f, const group *g)
{
	if (n_clients(g) == 1 && ss_ip_set_any(&g->clients, &f->client_ip))
		f->has_client = TRUE;
}

/* "10.0.0.5" or "3 clients" */
static char *clients_phrase(const group *g)
{
	guint n = n_clients(g);
	ss_ip only;
	if (n == 1 && ss_ip_set_any(&g->clients, &only))
		return ip_dup(g->k.family, &only);
	return g_strdup_printf("%u clients", n);
}

/* "10.0.0.9:443 (https)" or "10.0.0.9:443/udp", then " (vxlan 42)" when
 * it lives behind a tunnel. */
static char *server_phrase(const gkey *k)
{
	char *s = ss_addr_port_dup(k->family, &k->server, k->port);
	const char *svc = ss_service_name(k->proto, k->port);
	/* appends, not a printf: one per finding, 10 000 findings on the
	 * 100k-flow bench capture */
	GString *r = g_string_new(s);
	g_free(s);
	if (k->proto == IPPROTO_UDP)
		g_string_append(r, "/udp");
	if (svc) {
		g_string_append(r, " (");
		g_string_append(r, svc);
		g_string_append_c(r, ')');
	}
	vnet_suffix(r, &k->vnet);
	return g_string_free(r, FALSE);
}

/* "12.345 ms" appended to b. */
static void ms_append(GString *b, gint64 ns)
{
	ss_ms_append(b, ns, FALSE);
	ss_append_lit(b, " ms");
}

static char *ms_str(gint64 ns)
{
	GString *b = g_string_new(NULL);
	ms_append(b, ns);
	return g_string_free(b, FALSE);
}

/* ---- per-group findings ---------------------------------------------------
 * Every per-group finding is built the same way (subject, examples, facts);
 * what differs is in a table: the id and severity, which counter is the
 * count, the facts, and the function that words the statement and the next
 * step from the group and its phrases. */

/* The words a statement uses for a group's subject: cl "10.0.0.5" or
 * "3 clients" (a per-client group: its client), sv "10.0.0.9:443 (https)",
 * ip the server's address alone; sv and ip followed by " (vxlan 42)"
 * behind a tunnel, so a next step names the tenant's host. */
typedef struct { char *cl, *sv, *ip; } phrases;

typedef void (*say_fn)(ss_finding *f, const group *g, const phrases *p);

static void say_unanswered(ss_finding *f, const group *g, const phrases *p)
{
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection attempt%s from %s to %s "
				       "got no answer: the server is down or a firewall drops %s.",
				       g->n, plural(g->n), p->cl, p->sv, g->n == 1 ? "it" : "them");
	f->next_step = g_strdup_printf("Check that the service runs and listens on port %u of %s, "
				       "then look for a firewall or security-group rule on the path "
				       "that drops the SYNs.", (unsigned)g->k.port, p->ip);
}

static void say_refused(ss_finding *f, const group *g, const phrases *p)
{
	gboolean udp = g->k.proto == IPPROTO_UDP;
	guint64 rst = g->c.refused.by_rst, icmp = g->c.refused.by_icmp;
	const char *how = rst && icmp ? "RST or ICMP unreachable" : rst ? "RST" : "ICMP unreachable";
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " %s%s from %s to %s %s refused (%s): "
				       "nothing listens on that port, or a firewall rejects %s.",
				       g->n, udp ? "UDP exchange" : "connection attempt", plural(g->n),
				       p->cl, p->sv, g->n == 1 ? "was" : "were", how,
				       g->n == 1 ? "it" : "them");
	f->next_step = g_strdup_printf("Check that the service is running and bound to %s port %u "
				       "(ss -l%snp on the server); if it is, find the firewall rule "
				       "that rejects the %s.", p->ip, (unsigned)g->k.port,
				       udp ? "u" : "t", udp ? "datagrams" : "connections");
}

static void say_syn_retx(ss_finding *f, const group *g, const phrases *p)
{
	/* the back-off of the first example */
	GString *bo = g_string_new(NULL);
	const ss_conn *e = &f->examples[0];
	for (guint i = 0; i < MIN(ss_conn_tcp_part(e)->syn_retransmits, SS_SYN_GAPS_MAX); i++) {
		if (i > 0)
			g_string_append(bo, ", ");
		ss_ms_append(bo, ss_conn_syn_gap_ns(e, i), FALSE);
		g_string_append(bo, " ms");
	}
	guint64 n = g->c.syn_retx.retransmits;
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection%s from %s to %s needed %"
				       G_GUINT64_FORMAT " SYN retransmission%s before an answer "
				       "(back-off %s): SYNs were lost on the path, or the "
				       "listener's accept queue was full.", g->n, plural(g->n), p->cl,
				       p->sv, n, plural(n), bo->str);
	f->next_step = g_strdup("Look for packet loss between the hosts and for listen-queue "
				"overflows on the server (nstat -az TcpExtListenOverflows "
				"TcpExtListenDrops); raise the listen backlog if it fills.");
	g_string_free(bo, TRUE);
}

static void say_synack(ss_finding *f, const group *g, const phrases *p)
{
	guint64 n = g->c.synack.retransmits;
	f->statement = g_strdup_printf("%s repeated its SYN-ACK %" G_GUINT64_FORMAT " time%s in %"
				       G_GUINT64_FORMAT " connection%s from %s: the client's final "
				       "ACK did not reach it (lost, or dropped by a firewall between "
				       "them), so the server kept waiting.", p->sv, n, plural(n),
				       g->n, plural(g->n), p->cl);
	f->next_step = g_strdup("Capture on the client as well to see whether the SYN-ACK arrives "
				"and the ACK leaves; look for asymmetric routing or a stateful "
				"firewall that drops the ACK.");
}

static void say_reuse(ss_finding *f, const group *g, const phrases *p)
{
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection%s from %s to %s reused the "
				       "addresses and ports of an earlier connection: the client "
				       "handed out the same source port again.", g->n, plural(g->n),
				       p->cl, p->sv);
	f->next_step = g_strdup("Usually harmless; if the server answers a reused tuple with an "
				"ACK or RST instead of a SYN-ACK, the old connection still lives "
				"there: look for sockets that are never closed.");
}

static void say_tw_reuse(ss_finding *f, const group *g, const phrases *p)
{
	char *gap = ms_str(g->min_ns);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection%s from %s to %s reopened "
				       "addresses and ports closed with FIN less than %" G_GINT64_FORMAT
				       " s before (shortest gap %s), while the side that closed "
				       "first may still hold them in TIME_WAIT.", g->n, plural(g->n),
				       p->cl, p->sv, SS_TIME_WAIT_NS / 1000000000, gap);
	f->next_step = g_strdup("If the server answers these SYNs with an ACK or RST, the client "
				"is short of source ports: reuse connections (keep-alive, pooling) "
				"or widen its ephemeral port range.");
	g_free(gap);
}

static void say_churn(ss_finding *f, const group *g, const phrases *p)
{
	f->statement = g_strdup_printf("%s opened %" G_GUINT64_FORMAT " short TCP connections (each "
				       "under %" G_GINT64_FORMAT " ms) to %s: a new connection per "
				       "request, without keep-alive or connection pooling.", p->cl,
				       g->c.pair.short_conns, SS_CHURN_MAX_DURATION_NS / 1000000, p->sv);
	f->next_step = g_strdup("Enable keep-alive or a connection pool in the client: every new "
				"connection costs a handshake and leaves a socket in TIME_WAIT.");
}

static void say_simul(ss_finding *f, const group *g, const phrases *p)
{
	(void)p;
	const ss_conn *e = &f->examples[0];
	char *a = ss_addr_port_dup(e->family, ss_conn_client_ip(e), ss_conn_client_port(e));
	char *b = ss_addr_port_dup(e->family, ss_conn_server_ip(e), ss_conn_server_port(e));
	GString *v = g_string_new(NULL);   /* " (vxlan 42)": which tenant's hosts */
	vnet_suffix(v, &g->k.vnet);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection%s between %s and %s%s "
				       "opened simultaneously (both sides sent a SYN): NAT hole "
				       "punching, or two programs dialling each other.", g->n,
				       plural(g->n), a, b, v->str);
	g_string_free(v, TRUE);
	f->next_step = g_strdup("Usually intended (peer-to-peer); otherwise find out which of the "
				"two programs should have listened.");
	g_free(a);
	g_free(b);
}

static void say_icmp(ss_finding *f, const group *g, const phrases *p)
{
	guint8 fam = f->examples[0].icmp_family, t = g->k.icmp_type, code = g->k.icmp_code;
	gboolean v6 = fam == SS_FAMILY_IPV6;
	const char *what, *why, *next;
	if ((!v6 && t == 3 && code == 4) || (v6 && t == 2)) {
		what = v6 ? "packet too big" : "fragmentation needed";
		why = "the path's MTU is smaller than the packets sent";
		next = "Check the MTU along the path and that these ICMP errors reach the sender "
		       "(path MTU discovery), or clamp the TCP MSS on the router.";
	} else if ((!v6 && t == 11) || (v6 && t == 3)) {
		what = "time exceeded";
		why = "the packets' hop limit ran out on the way: a routing loop, or a TTL set too low";
		next = "Trace the route towards the server (traceroute, mtr) and look for a loop.";
	} else if ((!v6 && t == 3) || (v6 && t == 1)) {
		what = "destination unreachable";
		why = "a router or the server's host could not or would not deliver them";
		next = "Check the routes towards the server and firewalls that answer with ICMP "
		       "(administratively prohibited).";
	} else {
		what = "errors";
		why = "a router or host on the path reported a problem";
		next = "Look up the ICMP type and code and check the path towards the server.";
	}
	guint64 n = g->c.icmp.errors;
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " flow%s from %s to %s drew ICMP%s %s "
				       "(type %u code %u, %" G_GUINT64_FORMAT " error%s): %s.", g->n,
				       plural(g->n), p->cl, p->sv, v6 ? "v6" : "", what, (unsigned)t,
				       (unsigned)code, n, plural(n), why);
	f->next_step = g_strdup(next);
}

/* Where a fact's value comes from. */
typedef enum {
	V_END,       /* end of the list */
	V_RECORDS,   /* g->n */
	V_CLIENTS,   /* distinct clients */
	V_U64,       /* the guint64 at `off` in the group */
	V_U8,        /* the guint8 at `off` in the group */
	V_MS,        /* the gint64 ns at `off`, in ms; left out when unset */
} value_src;

typedef struct {
	const char *name;
	value_src src;
	gsize off;
} fact_spec;

#define G_OFF(field) offsetof(group, field)
#define FACT_RECORDS(name) { (name), V_RECORDS, 0 }
#define FACT_CLIENTS { "clients", V_CLIENTS, 0 }
#define FACT(name, field) { (name), V_U64, G_OFF(field) }

typedef struct {
	const char *id;
	ss_severity severity;
	gboolean per_client;   /* the subject is one client: no clients phrase */
	gsize count_off;       /* the guint64 counter that is the count; 0: g->n */
	guint64 min_count;     /* no finding below it */
	say_fn say;
	fact_spec facts[SS_FINDING_FACTS_MAX];   /* ends at the first V_END (zero) */
} group_spec;

static const group_spec specs[K_ONE_SIDED] = {
	[K_UNANSWERED] = { "unanswered_syn", SS_SEVERITY_HIGH, FALSE, 0, 0, say_unanswered, {
		FACT_RECORDS("connections"), FACT_CLIENTS,
		FACT("syn_retransmits", c.unanswered.syn_retransmits) } },
	[K_REFUSED] = { "refused", SS_SEVERITY_HIGH, FALSE, 0, 0, say_refused, {
		FACT_RECORDS("connections"), FACT_CLIENTS, FACT("by_rst", c.refused.by_rst),
		FACT("by_icmp", c.refused.by_icmp) } },
	[K_SYN_RETX] = { "syn_retransmits", SS_SEVERITY_MEDIUM, FALSE, 0, 0, say_syn_retx, {
		FACT_RECORDS("connections"), FACT("syn_retransmits", c.syn_retx.retransmits),
		FACT("max_syn_retransmits", c.syn_retx.max_retransmits),
		{ "max_wait_ms", V_MS, G_OFF(max_ns) } } },
	[K_SYNACK] = { "repeated_synack", SS_SEVERITY_MEDIUM, FALSE, 0, 0, say_synack, {
		FACT_RECORDS("connections"), FACT("synack_retransmits", c.synack.retransmits),
		FACT("incomplete", c.synack.incomplete) } },
	[K_REUSE] = { "tuple_reuse", SS_SEVERITY_LOW, FALSE, 0, 0, say_reuse, {
		FACT_RECORDS("connections"), FACT("after_rst", c.reuse.after_rst),
		FACT("after_fin", c.reuse.after_fin), FACT("after_idle", c.reuse.after_idle),
		FACT("after_failed", c.reuse.after_failed),
		FACT("while_open", c.reuse.while_open) } },
	[K_TW_REUSE] = { "time_wait_reuse", SS_SEVERITY_MEDIUM, FALSE, 0, 0, say_tw_reuse, {
		FACT_RECORDS("connections"), { "min_gap_ms", V_MS, G_OFF(min_ns) } } },
	[K_PAIR] = { "connection_churn", SS_SEVERITY_LOW, TRUE, G_OFF(c.pair.short_conns),
		     SS_CHURN_MIN_CONNS, say_churn, {
		FACT("short_connections", c.pair.short_conns), FACT_RECORDS("connections") } },
	[K_SIMUL] = { "simultaneous_open", SS_SEVERITY_INFO, TRUE, 0, 0, say_simul, {
		FACT_RECORDS("connections") } },
	[K_ICMP] = { "icmp_errors", SS_SEVERITY_MEDIUM, FALSE, 0, 0, say_icmp, {
		FACT_RECORDS("flows"), FACT("icmp_errors", c.icmp.errors),
		{ "icmp_type", V_U8, G_OFF(k.icmp_type) },
		{ "icmp_code", V_U8, G_OFF(k.icmp_code) } } },
	/* K_SLOW: from_slow(), its facts are per side */
};

static void add_facts(ss_finding *f, const group *g, const fact_spec *fs)
{
	const char *base = (const char *)g;
	for (; fs->src != V_END; fs++) {
		switch (fs->src) {
		case V_RECORDS:
			fact(f, fs->name, (gint64)g->n);
			break;
		case V_CLIENTS:
			fact(f, fs->name, n_clients(g));
			break;
		case V_U64:
			fact(f, fs->name, (gint64)*(const guint64 *)(base + fs->off));
			break;
		case V_U8:
			fact(f, fs->name, *(const guint8 *)(base + fs->off));
			break;
		case V_MS: {
			gint64 ns = *(const gint64 *)(base + fs->off);
			if (ns != SS_NO_TIME)
				fact_ms(f, fs->name, ns);
			break;
		}
		default:
			break;
		}
	}
}

/* The packed records of a finding's examples, fetched before its words
 * are written, so that they are in the cache when they are unpacked: the
 * first load of each was ~half of ss_findings_set_examples_at's samples on
 * the slow-handshake thread (perf annotate, mixed.pcap; the store was
 * written by the writer thread, long before).  A packed record is its map
 * and its non-zero words: most fit in the first EXAMPLE_PREFETCH bytes. */
#define EXAMPLE_PREFETCH 320

static void prefetch_examples(const ss_findings_acc *a, const guint32 *ex, guint n)
{
	for (guint i = 0; i < MIN(n, SS_FINDING_EXAMPLES); i++)
		for (gsize off = 0; off < EXAMPLE_PREFETCH; off += 64)
			__builtin_prefetch(a->ex.bytes + (gsize)ex[i] * 8 + off);
}

static void from_spec(GPtrArray *out, const ss_findings_acc *a, const group_spec *s,
		      const group *g)
{
	guint64 count = s->count_off ? *(const guint64 *)((const char *)g + s->count_off) : g->n;
	if (count < s->min_count)
		return;
	prefetch_examples(a, g->ex, g->nex);   /* unpacked after the phrases */
	ss_finding *f = finding_new(s->id, s->severity, count);
	subject_from_key(f, &g->k, s->per_client);
	if (!s->per_client)
		single_client(f, g);
	phrases p = {
		s->per_client ? ip_dup(g->k.family, &g->k.client) : clients_phrase(g),
		server_phrase(&g->k),
		ip_vnet_dup(g->k.family, &g->k.server, &g->k.vnet),
	};
	/* before the words: some statements quote the first example */
	ss_findings_set_examples_at(f, a, g->ex, g->nex, TRUE);
	s->say(f, g, &p);
	add_facts(f, g, s->facts);
	g_free(p.cl);
	g_free(p.sv);
	g_free(p.ip);
	g_ptr_array_add(out, f);
}

static gint cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

/* Can the listener's samples hold an outlier?  The limit is at least
 * min(SS_SLOW_ABSOLUTE_NS, SS_SLOW_MARGIN_NS) whatever the median (samples
 * are never negative), so a listener whose slowest sample is not above it has
 * none: most listeners, found without copying and sorting their samples. */
static gboolean may_be_slow(const group *g)
{
	for (int s = 0; s < 2; s++)
		for (guint32 i = 0; i < g->c.slow.len[s]; i++)
			if (slow_rtt(g, s, i) > SLOW_FLOOR_NS)
				return TRUE;
	return FALSE;
}

/* The k-th smallest of v[0..n) (k < n; v is reordered): quickselect with
 * median-of-three pivots, where from_slow sorted every listener's samples
 * for a median (qsort was ~12% of from_slow on mixed.pcap's ~6 000 slow
 * listeners).  Should the partitions keep coming out lopsided, what is
 * left is sorted, so no input costs more than a sort. */
static gint64 kth_smallest(gint64 *v, gsize n, gsize k)
{
	gssize lo = 0, hi = (gssize)n - 1, want = (gssize)k;
	guint budget = 2 * g_bit_storage(n) + 2;
	while (lo < hi) {
		if (budget-- == 0) {
			qsort(v + lo, (gsize)(hi - lo + 1), sizeof *v, cmp_i64);
			break;
		}
		gint64 a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
		gint64 pivot = MAX(MIN(a, b), MIN(MAX(a, b), c));
		/* Hoare's partition: [lo, j] <= pivot <= [j + 1, hi], and
		 * lo <= j < hi since the pivot is the median of three of them */
		gssize i = lo - 1, j = hi + 1;
		for (;;) {
			do
				i++;
			while (v[i] < pivot);
			do
				j--;
			while (v[j] > pivot);
			if (i >= j)
				break;
			gint64 t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
		if (want <= j)
			hi = j;
		else
			lo = j + 1;
	}
	return v[want];
}

static void from_slow(GPtrArray *out, const ss_findings_acc *a, const group *g)
{
	if (!may_be_slow(g))
		return;
	gint64 median[2], limit[2], max[2];
	guint64 outliers[2] = { 0, 0 }, samples[2] = { 0, 0 };
	for (int s = 0; s < 2; s++) {
		median[s] = limit[s] = max[s] = SS_NO_TIME;
		guint32 len = g->c.slow.len[s];
		if (len == 0)
			continue;
		gint64 *v = g_new(gint64, len);
		for (guint32 i = 0; i < len; i++)
			v[i] = slow_rtt(g, s, i);
		samples[s] = len;
		/* the lower median: an integer from the samples */
		median[s] = kth_smallest(v, len, (len - 1) / 2);
		/* outliers against the median once there are enough samples;
		 * absolute slowness always */
		limit[s] = SS_SLOW_ABSOLUTE_NS;
		if (len >= SS_SLOW_MIN_SAMPLES)
			limit[s] = MIN(limit[s], MAX(SS_SLOW_FACTOR * median[s],
						     median[s] + SS_SLOW_MARGIN_NS));
		max[s] = v[0];
		for (guint i = 0; i < len; i++) {
			max[s] = MAX(max[s], v[i]);
			outliers[s] += v[i] > limit[s];
		}
		g_free(v);
	}
	if (outliers[0] == 0 && outliers[1] == 0)
		return;
	/* the slowest of the side with more outliers, slowest first */
	int ex_side = outliers[0] >= outliers[1] ? 0 : 1;
	const struct slowest *top =
		g->c.slow.top[ex_side] ? &a->slow[g->c.slow.top[ex_side] - 1] : NULL;
	if (top != NULL)
		prefetch_examples(a, top->ex, top->n);
	ss_finding *f = finding_new("slow_handshake", SS_SEVERITY_MEDIUM, outliers[0] + outliers[1]);
	subject_from_key(f, &g->k, FALSE);
	char *sv = server_phrase(&g->k);
	/* Appended piece by piece, not printf'd: mixed.pcap has ~6 000 of
	 * these findings, and their printf was 64 M instructions (callgrind;
	 * docs/performance.md, "The serial tail").  The same text. */
	GString *st = g_string_sized_new(512), *next = g_string_sized_new(256);
	ss_append_lit(st, "Handshakes with ");
	g_string_append(st, sv);
	ss_append_lit(st, " were slow");
	static const char *const what[2] = { " from SYN to SYN-ACK (median ",
					     " from SYN-ACK to the ACK (median " };
	static const char *const side[2] = {
		"on the server side of the capture point, in the server or the network towards it",
		"on the client side of the capture point, in the client or the network towards it",
	};
	for (int s = 0; s < 2; s++) {
		if (outliers[s] == 0)
			continue;
		g_string_append(st, s == 1 && outliers[0] ? "; " : ": ");
		ss_u64_append(st, outliers[s]);
		ss_append_lit(st, " of ");
		ss_u64_append(st, samples[s]);
		ss_append_lit(st, " took more than ");
		ms_append(st, limit[s]);
		g_string_append(st, what[s]);
		ms_append(st, median[s]);
		ss_append_lit(st, ", slowest ");
		ms_append(st, max[s]);
		ss_append_lit(st, "): the delay sits ");
		g_string_append(st, side[s]);
	}
	g_string_append_c(st, '.');
	if (outliers[0] > 0)
		g_string_append(next, "Check the server's load and how fast it accepts, and the path "
				"between the capture point and the server (a capture next to the "
				"server splits the two)");
	if (outliers[1] > 0) {
		g_string_append(next, next->len ? "; check" : "Check");
		ss_append_lit(next, " the client's load and the path between the capture point "
			      "and the client");
	}
	g_string_append_c(next, '.');
	/* Copied at their length: GString's buffers (1 024 and 512 bytes, its
	 * powers of two) were a third of each finding's ~3.5 KB of fresh
	 * memory, whose page faults were ~30% of the slow thread's samples;
	 * the buffers freed here are the next finding's. */
	f->statement = g_strndup(st->str, st->len);
	f->next_step = g_strndup(next->str, next->len);
	g_string_free(st, TRUE);
	g_string_free(next, TRUE);
	static const char *const names[2][5] = {
		{ "server_side_outliers", "server_side_samples", "syn_to_synack_median_ms",
		  "syn_to_synack_max_ms", "syn_to_synack_limit_ms" },
		{ "client_side_outliers", "client_side_samples", "synack_to_ack_median_ms",
		  "synack_to_ack_max_ms", "synack_to_ack_limit_ms" },
	};
	for (int s = 0; s < 2; s++) {
		if (samples[s] == 0)
			continue;
		fact(f, names[s][0], (gint64)outliers[s]);
		fact(f, names[s][1], (gint64)samples[s]);
		fact_ms(f, names[s][2], median[s]);
		fact_ms(f, names[s][3], max[s]);
		fact_ms(f, names[s][4], limit[s]);
	}
	guint n = 0;
	for (guint i = 0; top != NULL && i < top->n; i++)
		if (top->ns[i] > limit[ex_side])
			n++;
	if (n > 0)
		ss_findings_set_examples_at(f, a, top->ex, n, FALSE);
	g_free(sv);
	g_ptr_array_add(out, f);
}

void ss_findings_text_hosts(GPtrArray *out, const ss_findings_acc *a, const ss_report *r)
{
	for (guint i = 0; r->hosts != NULL && i < r->hosts->len; i++) {
		const ss_host *h = &g_array_index(r->hosts, ss_host, i);
		/* most hosts give no finding: their address is not written */
		if (!h->exhaustion_risk && h->n_dual_ports == 0)
			continue;
		char *ip = ip_vnet_dup(h->family, &h->ip, &h->vnet);
		if (h->exhaustion_risk) {
			guint64 size = (guint64)h->profile.high - h->profile.low + 1;
			ss_finding *f = finding_new("ephemeral_exhaustion_risk", SS_SEVERITY_HIGH,
						    h->busiest_connections);
			gkey k = gkey_pair(h->busiest_proto, h->family, &h->busiest_ip,
					   h->busiest_port, &h->ip, &h->vnet);
			subject_from_key(f, &k, TRUE);
			char *sv = server_phrase(&k);
			f->statement = g_strdup_printf(
				"%s opened %" G_GUINT64_FORMAT " connections to %s within %" G_GINT64_FORMAT
				" s, %" G_GUINT64_FORMAT "%% of its ephemeral port range %u-%u: it is close "
				"to running out of source ports (connect() then fails with "
				"EADDRNOTAVAIL).", ip, h->busiest_connections, sv,
				SS_EXHAUSTION_WINDOW_NS / 1000000000, h->busiest_connections * 100 / size,
				(unsigned)h->profile.low, (unsigned)h->profile.high);
			f->next_step = g_strdup("Reuse connections (keep-alive, pooling), widen the "
						"ephemeral range (net.ipv4.ip_local_port_range), or spread "
						"the load over more server addresses or ports.");
			fact(f, "connections", (gint64)h->busiest_connections);
			fact(f, "window_s", SS_EXHAUSTION_WINDOW_NS / 1000000000);
			fact(f, "range_size", (gint64)size);
			fact(f, "share_pct", (gint64)(h->busiest_connections * 100 / size));
			const pair *p = pairs_find(a, &k);
			if (p)
				ss_findings_set_examples_at(f, a, p->ex, p->nex, TRUE);
			g_free(sv);
			g_ptr_array_add(out, f);
		}
		if (h->n_dual_ports > 0) {
			ss_finding *f = finding_new("listen_and_connect_same_port", SS_SEVERITY_LOW,
						    h->n_dual_ports);
			f->proto = IPPROTO_TCP;
			f->family = h->family;
			f->vnet = h->vnet;
			f->has_server = TRUE;
			f->server_ip = h->ip;
			f->server_port = h->dual_ports[0];
			f->has_client = TRUE;
			f->client_ip = h->ip;
			GString *ports = g_string_new(NULL);
			for (guint j = 0; j < h->n_dual_ports; j++)
				g_string_append_printf(ports, "%s%u", j ? ", " : "",
						       (unsigned)h->dual_ports[j]);
			f->statement = g_strdup_printf(
				"%s listens on TCP port%s %s and also connects from %s: an outgoing socket "
				"was bound to a service port, or the port lies in the ephemeral range, so "
				"the service may fail to bind it.", ip, plural(h->n_dual_ports), ports->str,
				h->n_dual_ports == 1 ? "it" : "them");
			f->next_step = g_strdup("Keep service ports out of the ephemeral range "
						"(net.ipv4.ip_local_port_range, or reserve them with "
						"net.ipv4.ip_local_reserved_ports), or stop binding "
						"outgoing sockets to them.");
			fact(f, "ports", h->n_dual_ports);
			/* examples: only when the report holds its records */
			for (guint j = 0; r->conns && j < r->conns->len &&
					  f->n_examples < SS_FINDING_EXAMPLES; j++) {
				const ss_conn *c = g_ptr_array_index(r->conns, j);
				ss_vnet v = ss_tunnel_vnet(ss_conn_tunnel(c));
				if (c->proto != IPPROTO_TCP || c->family != h->family ||
				    ss_vnet_cmp(&v, &h->vnet) != 0 ||
				    (c->client != 0 && c->client != 1) ||
				    memcmp(ss_conn_client_ip(c), &h->ip, sizeof(ss_ip)) != 0)
					continue;
				for (guint p = 0; p < h->n_dual_ports; p++)
					if (ss_conn_client_port(c) == h->dual_ports[p]) {
						ss_conn_copy(&f->examples[f->n_examples++], c);
						break;
					}
			}
			g_string_free(ports, TRUE);
			g_ptr_array_add(out, f);
		}
		g_free(ip);
	}
}

void ss_findings_text_tenant(ss_finding *f)
{
	if (f->vnet.type == SS_TUNNEL_NONE || f->next_step == NULL)
		return;
	GString *v = g_string_new(NULL);
	vnet_suffix(v, &f->vnet);
	if (strstr(f->next_step, v->str) == NULL) {
		GString *n = g_string_new(f->next_step);
		g_string_append(n, " In ");
		ss_vnet_append(n, &f->vnet);
		/* the subject: "10.0.0.5 to 10.0.0.9:80", or one host (a host
		 * finding's client and server are the host itself) */
		gboolean one_host = f->has_client && f->has_server &&
				    memcmp(&f->client_ip, &f->server_ip, sizeof(ss_ip)) == 0;
		const char *sep = ": ";
		if (f->has_client) {
			char buf[SS_IP_STRLEN];
			ss_ip_format(f->family, &f->client_ip, buf);
			g_string_append_printf(n, "%s%s", sep, buf);
			sep = " to ";
		}
		if (f->has_server && !one_host) {
			char *sv = ss_addr_port_dup(f->family, &f->server_ip, f->server_port);
			g_string_append_printf(n, "%s%s", sep, sv);
			g_free(sv);
		}
		g_string_append_c(n, '.');
		g_free(f->next_step);
		f->next_step = g_string_free(n, FALSE);
	}
	g_string_free(v, TRUE);
}

void ss_findings_text_group(GPtrArray *out, const ss_findings_acc *a, kind k, const group *g)
{
	g_return_if_fail(k < K_ONE_SIDED);
	if (k == K_SLOW)
		from_slow(out, a, g);
	else
		from_spec(out, a, &specs[k], g);
}
