/* Findings: a ranked list of what to look at, from the connection records,
 * the summary and the host view.  docs/reports.md describes every finding
 * and its thresholds (named in sockscope/findings.h). */
#include <netinet/in.h>
#include <string.h>

#include "sockscope/findings.h"
#include "sockscope/hosts.h"
#include "sockscope/ipset.h"
#include "sockscope/util.h"

const char *ss_severity_name(ss_severity s)
{
	switch (s) {
	case SS_SEVERITY_HIGH:
		return "high";
	case SS_SEVERITY_MEDIUM:
		return "medium";
	case SS_SEVERITY_LOW:
		return "low";
	case SS_SEVERITY_INFO:
		return "info";
	case SS_SEVERITY_COUNT:
		break;
	}
	return "unknown";
}

static char *ip_dup(guint8 family, const ss_ip *ip)
{
	char buf[SS_IP_STRLEN];
	ss_ip_format(family, ip, buf);
	return g_strdup(buf);
}

/* ---- groups ---- */

typedef enum {
	K_UNANSWERED,   /* per server socket */
	K_REFUSED,      /* per server socket */
	K_SYN_RETX,     /* per server socket */
	K_SLOW,         /* per listener */
	K_SYNACK,       /* per server socket */
	K_REUSE,        /* per server socket */
	K_TW_REUSE,     /* per server socket */
	K_PAIR,         /* per client address and server socket: churn, exhaustion */
	K_SIMUL,        /* per client and server socket */
	K_ICMP,         /* per server socket and ICMP type/code */
	K_ONE_SIDED,    /* one group */
	K_MIDSTREAM,    /* one group */
	K_SNAPLEN,      /* one group */
	K_SILENT,       /* per host whose packets a one-sided record lacks (in
	                   `server`), and its role there (icmp_type: 0 server,
	                   1 client) */
	K_COUNT
} kind;

/* Bytewise hashed: always zero-initialised. */
typedef struct {
	ss_ip server, client;
	guint16 port, client_port;
	guint8 proto, family;
	guint8 icmp_type, icmp_code;
	guint8 zero[2];
} gkey;

typedef struct {
	gkey k;
	guint64 n;                 /* records */
	guint64 a, b, c, d, e;     /* kind-specific counters */
	gint64 min_ns, max_ns;     /* kind-specific durations, SS_NO_TIME unset */
	ss_ip_set clients;         /* capped at SS_FINDINGS_MAX_GROUPS */
	ss_conn *ex;               /* SS_FINDING_EXAMPLES, allocated on the first */
	guint nex;
	struct slow *slow;         /* K_SLOW only */
} group;

/* K_SLOW: samples and the slowest records per side (0 server, 1 client). */
struct slow {
	GArray *rtt[2];
	ss_conn ex[2][SS_FINDING_EXAMPLES];
	gint64 ns[2][SS_FINDING_EXAMPLES];
	guint n[2];
};

struct ss_findings_acc {
	GHashTable *groups[K_COUNT];   /* gkey -> group */
	GHashTable *closed;            /* ss_flow_key -> gint64 last packet (FIN closes) */
	guint64 tcp;                   /* TCP records seen */
};

SS_BYTES_KEY_FUNCS(gkey, gkey)

SS_BYTES_KEY_FUNCS(flow_key, ss_flow_key)

static void group_free(gpointer p)
{
	group *g = p;
	ss_ip_set_clear(&g->clients);
	if (g->slow)
		for (int i = 0; i < 2; i++)
			if (g->slow->rtt[i])
				g_array_unref(g->slow->rtt[i]);
	g_free(g->slow);
	g_free(g->ex);
	g_free(g);
}

ss_findings_acc *ss_findings_acc_new(void)
{
	ss_findings_acc *a = g_new0(ss_findings_acc, 1);
	for (int k = 0; k < K_COUNT; k++)
		a->groups[k] = g_hash_table_new_full(gkey_hash, gkey_equal, NULL, group_free);
	a->closed = g_hash_table_new_full(flow_key_hash, flow_key_equal, g_free, g_free);
	return a;
}

static void acc_free(ss_findings_acc *a)
{
	for (int k = 0; k < K_COUNT; k++)
		g_hash_table_unref(a->groups[k]);
	g_hash_table_unref(a->closed);
	g_free(a);
}

/* The group of kind k for record c (server socket; with the client
 * address when `per_client`), or NULL when the table is full. */
static group *group_for(ss_findings_acc *a, kind k, const ss_conn *c, gboolean per_client,
			gboolean single)
{
	gkey key;
	memset(&key, 0, sizeof key);
	if (!single) {
		const ss_endpoint *cl = ss_conn_client(c), *sv = ss_conn_server(c);
		key.proto = c->proto;
		key.family = c->family;
		key.server = sv->ip;
		key.port = sv->port;
		if (per_client)
			key.client = cl->ip;
		if (k == K_ICMP) {
			key.icmp_type = c->icmp_type;
			key.icmp_code = c->icmp_code;
		}
	}
	group *g = g_hash_table_lookup(a->groups[k], &key);
	if (g != NULL)
		return g;
	if (g_hash_table_size(a->groups[k]) >= SS_FINDINGS_MAX_GROUPS)
		return NULL;
	g = g_new0(group, 1);
	g->k = key;
	g->min_ns = g->max_ns = SS_NO_TIME;
	g_hash_table_insert(a->groups[k], &g->k, g);
	return g;
}

static void add_example(group *g, const ss_conn *c)
{
	if (g->nex >= SS_FINDING_EXAMPLES)
		return;
	if (g->ex == NULL)
		g->ex = g_new(ss_conn, SS_FINDING_EXAMPLES);
	g->ex[g->nex++] = *c;
}

static void add_client(group *g, const ss_conn *c)
{
	if (ss_ip_set_size(&g->clients) < SS_FINDINGS_MAX_GROUPS)
		ss_ip_set_add(&g->clients, &ss_conn_client(c)->ip);
}

/* One counted record of a group: count, distinct client, example. */
static group *note(ss_findings_acc *a, kind k, const ss_conn *c, gboolean per_client)
{
	group *g = group_for(a, k, c, per_client, FALSE);
	if (g == NULL)
		return NULL;
	g->n++;
	add_client(g, c);
	add_example(g, c);
	return g;
}

static void min_max(group *g, gint64 v)
{
	if (g->min_ns == SS_NO_TIME || v < g->min_ns)
		g->min_ns = v;
	if (g->max_ns == SS_NO_TIME || v > g->max_ns)
		g->max_ns = v;
}

/* Keeps the SS_FINDING_EXAMPLES slowest records of one side, slowest first
 * (ties: the one seen first stays ahead). */
static void keep_slowest(struct slow *sl, int side, const ss_conn *c, gint64 v)
{
	guint n = sl->n[side];
	guint pos = n;
	while (pos > 0 && sl->ns[side][pos - 1] < v)
		pos--;
	if (pos >= SS_FINDING_EXAMPLES)
		return;
	guint last = MIN(n, SS_FINDING_EXAMPLES - 1);
	for (guint i = last; i > pos; i--) {
		sl->ex[side][i] = sl->ex[side][i - 1];
		sl->ns[side][i] = sl->ns[side][i - 1];
	}
	sl->ex[side][pos] = *c;
	sl->ns[side][pos] = v;
	if (n < SS_FINDING_EXAMPLES)
		sl->n[side]++;
}

static gboolean closed_by_fin(const ss_conn *c)
{
	return c->close == SS_CLOSE_FIN || c->close == SS_CLOSE_FIN_CLIENT ||
	       c->close == SS_CLOSE_FIN_SERVER;
}

void ss_findings_acc_add(ss_findings_acc *a, const ss_conn *c)
{
	if (c->client != 0 && c->client != 1)
		return;
	gboolean tcp = c->proto == IPPROTO_TCP;
	gint64 first, last;
	ss_conn_span(c, &first, &last);
	group *g;

	if (tcp)
		a->tcp++;
	if (tcp && c->outcome == SS_OUTCOME_UNANSWERED && (g = note(a, K_UNANSWERED, c, FALSE)))
		g->a += c->syn_retransmits;
	if (c->outcome == SS_OUTCOME_REJECTED && (g = note(a, K_REFUSED, c, FALSE))) {
		gboolean rst = tcp && c->first_rst_side == !c->client;
		if (rst)
			g->a++;                 /* by RST */
		else
			g->b++;                 /* by ICMP */
	}
	if (tcp && c->syn_retransmits > 0 && c->outcome != SS_OUTCOME_UNANSWERED &&
	    (g = note(a, K_SYN_RETX, c, FALSE))) {
		g->a += c->syn_retransmits;
		g->b = MAX(g->b, c->syn_retransmits);
		gint64 wait = ss_conn_syn_to_synack_ns(c);
		if (wait != SS_NO_TIME)
			min_max(g, wait);
	}
	if (tcp && c->synack_retransmits > 0 && (g = note(a, K_SYNACK, c, FALSE))) {
		g->a += c->synack_retransmits;
		if (c->outcome == SS_OUTCOME_INCOMPLETE)
			g->b++;
	}
	if (tcp && c->syn_retransmits == 0 && c->synack_retransmits == 0 &&
	    c->outcome != SS_OUTCOME_SIMULTANEOUS) {
		gint64 v[2] = { ss_conn_syn_to_synack_ns(c), ss_conn_synack_to_ack_ns(c) };
		if ((v[0] != SS_NO_TIME || v[1] != SS_NO_TIME) &&
		    (g = group_for(a, K_SLOW, c, FALSE, FALSE)) != NULL) {
			g->n++;
			if (g->slow == NULL)
				g->slow = g_new0(struct slow, 1);
			struct slow *sl = g->slow;
			for (int s = 0; s < 2; s++) {
				if (v[s] == SS_NO_TIME || v[s] < 0)
					continue;
				if (sl->rtt[s] == NULL)
					sl->rtt[s] = g_array_new(FALSE, FALSE, sizeof(gint64));
				if (sl->rtt[s]->len < SS_SLOW_MAX_SAMPLES)
					g_array_append_val(sl->rtt[s], v[s]);
				keep_slowest(sl, s, c, v[s]);
			}
		}
	}
	if (tcp && c->reuse != SS_REUSE_NONE) {
		gint64 *prev = c->reuse == SS_REUSE_AFTER_FIN ?
			       g_hash_table_lookup(a->closed, &c->key) : NULL;
		gint64 gap = prev != NULL && first != SS_NO_TIME ? first - *prev : SS_NO_TIME;
		if (gap != SS_NO_TIME && gap >= 0 && gap < SS_TIME_WAIT_NS) {
			if ((g = note(a, K_TW_REUSE, c, FALSE)))
				min_max(g, gap);
		} else if ((g = note(a, K_REUSE, c, FALSE))) {
			switch ((ss_reuse)c->reuse) {
			case SS_REUSE_AFTER_RST:
				g->a++;
				break;
			case SS_REUSE_AFTER_FIN:
				g->b++;
				break;
			case SS_REUSE_AFTER_IDLE:
				g->c++;
				break;
			case SS_REUSE_AFTER_FAILED:
				g->d++;
				break;
			default:
				g->e++;
				break;
			}
		}
	}
	if (tcp && closed_by_fin(c) && last != SS_NO_TIME) {
		gint64 *slot = g_hash_table_lookup(a->closed, &c->key);
		if (slot != NULL)
			*slot = last;
		else if (g_hash_table_size(a->closed) < SS_FINDINGS_MAX_TUPLES)
			g_hash_table_insert(a->closed, g_memdup2(&c->key, sizeof c->key),
					    g_memdup2(&last, sizeof last));
	}
	if (tcp && (g = group_for(a, K_PAIR, c, TRUE, FALSE)) != NULL) {
		g->n++;
		/* what the probes of a scan found (pair_outcomes) */
		if (c->outcome == SS_OUTCOME_REJECTED)
			g->c++;
		else if (c->outcome == SS_OUTCOME_UNANSWERED)
			g->d++;
		else
			g->b++;
		if (c->outcome == SS_OUTCOME_COMPLETE && first != SS_NO_TIME && last != SS_NO_TIME &&
		    last - first < SS_CHURN_MAX_DURATION_NS)
			g->a++;
		/* Pairs are many: examples are kept (streaming) only once the
		 * pair is busy; keep-all takes the first ones from the report. */
		if (g->n >= SS_CHURN_MIN_CONNS)
			add_example(g, c);
	}
	if (tcp && c->outcome == SS_OUTCOME_SIMULTANEOUS)
		note(a, K_SIMUL, c, TRUE);
	if (c->icmp_errors > 0 && c->outcome != SS_OUTCOME_REJECTED &&
	    (g = note(a, K_ICMP, c, FALSE)))
		g->a += c->icmp_errors;
	if (ss_conn_one_sided(c) && (g = group_for(a, K_ONE_SIDED, c, FALSE, TRUE))) {
		g->n++;
		add_example(g, c);
		/* which direction is missing: the host that sent nothing */
		int silent = c->ep[0].packets == 0 ? 0 : 1;
		gkey k;
		memset(&k, 0, sizeof k);
		k.family = c->family;
		k.server = c->ep[silent].ip;
		k.icmp_type = silent == c->client;
		group *h = g_hash_table_lookup(a->groups[K_SILENT], &k);
		if (h == NULL && g_hash_table_size(a->groups[K_SILENT]) < SS_FINDINGS_MAX_GROUPS) {
			h = g_new0(group, 1);
			h->k = k;
			g_hash_table_insert(a->groups[K_SILENT], &h->k, h);
		}
		if (h)
			h->n++;
	}
	if (ss_conn_started_midstream(c) && (g = group_for(a, K_MIDSTREAM, c, FALSE, TRUE))) {
		g->n++;
		add_example(g, c);
	}
	if (c->snaplen_cut > 0 && (g = group_for(a, K_SNAPLEN, c, FALSE, TRUE))) {
		g->n++;
		g->a += c->snaplen_cut;
		add_example(g, c);
	}
}

/* ---- building findings ---- */

static const char *plural(guint64 n)
{
	return n == 1 ? "" : "s";
}

static ss_finding *finding_new(const char *id, ss_severity sev, guint64 count)
{
	ss_finding *f = g_new0(ss_finding, 1);
	f->id = id;
	f->severity = sev;
	f->count = count;
	return f;
}

void ss_finding_free(gpointer p)
{
	ss_finding *f = p;
	if (f == NULL)
		return;
	g_free(f->statement);
	g_free(f->next_step);
	g_free(f);
}

static void fact(ss_finding *f, const char *name, gint64 v)
{
	if (f->n_facts < SS_FINDING_FACTS_MAX)
		f->facts[f->n_facts++] = (ss_finding_fact){ name, v, FALSE };
}

static void fact_ms(ss_finding *f, const char *name, gint64 ns)
{
	if (f->n_facts < SS_FINDING_FACTS_MAX)
		f->facts[f->n_facts++] = (ss_finding_fact){ name, ns, TRUE };
}

static void subject_from_key(ss_finding *f, const gkey *k, gboolean client)
{
	f->proto = k->proto;
	f->family = k->family;
	f->has_server = TRUE;
	f->server_ip = k->server;
	f->server_port = k->port;
	if (client) {
		f->has_client = TRUE;
		f->client_ip = k->client;
	}
}

static gint cmp_conn_first(gconstpointer pa, gconstpointer pb)
{
	const ss_conn *a = pa, *b = pb;
	gint64 fa, la, fb, lb;
	ss_conn_span(a, &fa, &la);
	ss_conn_span(b, &fb, &lb);
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void set_examples(ss_finding *f, const ss_conn *ex, guint n, gboolean sort)
{
	n = MIN(n, SS_FINDING_EXAMPLES);
	if (n == 0 || ex == NULL)
		return;
	memcpy(f->examples, ex, n * sizeof(ss_conn));
	f->n_examples = n;
	if (sort)
		qsort(f->examples, n, sizeof(ss_conn), cmp_conn_first);
}

static guint n_clients(const group *g);

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

/* "10.0.0.9:443 (https)" or "10.0.0.9:443/udp" */
static char *server_phrase(const gkey *k)
{
	char *s = ss_addr_port_dup(k->family, &k->server, k->port);
	const char *svc = ss_service_name(k->proto, k->port);
	char *r = g_strdup_printf("%s%s%s%s%s", s, k->proto == IPPROTO_UDP ? "/udp" : "",
				  svc ? " (" : "", svc ? svc : "", svc ? ")" : "");
	g_free(s);
	return r;
}

static guint n_clients(const group *g)
{
	return ss_ip_set_size(&g->clients);
}

static char *ms_str(gint64 ns)
{
	GString *b = g_string_new(NULL);
	ss_ms_append(b, ns, FALSE);
	g_string_append(b, " ms");
	return g_string_free(b, FALSE);
}

static GList *sorted_groups(GHashTable *t)
{
	return g_hash_table_get_values(t);
}

static void from_unanswered(GPtrArray *out, const group *g)
{
	ss_finding *f = finding_new("unanswered_syn", SS_SEVERITY_HIGH, g->n);
	subject_from_key(f, &g->k, FALSE);
	single_client(f, g);
	char *cl = clients_phrase(g), *sv = server_phrase(&g->k), *ip = ip_dup(g->k.family, &g->k.server);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection attempt%s from %s to %s "
				       "got no answer: the server is down or a firewall drops %s.",
				       g->n, plural(g->n), cl, sv, g->n == 1 ? "it" : "them");
	f->next_step = g_strdup_printf("Check that the service runs and listens on port %u of %s, "
				       "then look for a firewall or security-group rule on the path "
				       "that drops the SYNs.", (unsigned)g->k.port, ip);
	fact(f, "connections", (gint64)g->n);
	fact(f, "clients", n_clients(g));
	fact(f, "syn_retransmits", (gint64)g->a);
	set_examples(f, g->ex, g->nex, TRUE);
	g_free(cl);
	g_free(sv);
	g_free(ip);
	g_ptr_array_add(out, f);
}

static void from_refused(GPtrArray *out, const group *g)
{
	ss_finding *f = finding_new("refused", SS_SEVERITY_HIGH, g->n);
	subject_from_key(f, &g->k, FALSE);
	single_client(f, g);
	gboolean udp = g->k.proto == IPPROTO_UDP;
	const char *how = g->a && g->b ? "RST or ICMP unreachable" : g->a ? "RST" : "ICMP unreachable";
	char *cl = clients_phrase(g), *sv = server_phrase(&g->k), *ip = ip_dup(g->k.family, &g->k.server);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " %s%s from %s to %s %s refused (%s): "
				       "nothing listens on that port, or a firewall rejects %s.",
				       g->n, udp ? "UDP exchange" : "connection attempt", plural(g->n),
				       cl, sv, g->n == 1 ? "was" : "were", how,
				       g->n == 1 ? "it" : "them");
	f->next_step = g_strdup_printf("Check that the service is running and bound to %s port %u "
				       "(ss -l%snp on the server); if it is, find the firewall rule "
				       "that rejects the %s.", ip, (unsigned)g->k.port,
				       udp ? "u" : "t", udp ? "datagrams" : "connections");
	fact(f, "connections", (gint64)g->n);
	fact(f, "clients", n_clients(g));
	fact(f, "by_rst", (gint64)g->a);
	fact(f, "by_icmp", (gint64)g->b);
	set_examples(f, g->ex, g->nex, TRUE);
	g_free(cl);
	g_free(sv);
	g_free(ip);
	g_ptr_array_add(out, f);
}

static void from_syn_retx(GPtrArray *out, const group *g)
{
	ss_finding *f = finding_new("syn_retransmits", SS_SEVERITY_MEDIUM, g->n);
	subject_from_key(f, &g->k, FALSE);
	single_client(f, g);
	set_examples(f, g->ex, g->nex, TRUE);
	/* the back-off of the first example */
	GString *bo = g_string_new(NULL);
	const ss_conn *e = &f->examples[0];
	for (guint i = 0; i < MIN(e->syn_retransmits, SS_SYN_GAPS_MAX); i++) {
		if (i > 0)
			g_string_append(bo, ", ");
		ss_ms_append(bo, e->syn_gaps_ns[i], FALSE);
		g_string_append(bo, " ms");
	}
	char *cl = clients_phrase(g), *sv = server_phrase(&g->k);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection%s from %s to %s needed %"
				       G_GUINT64_FORMAT " SYN retransmission%s before an answer "
				       "(back-off %s): SYNs were lost on the path, or the "
				       "listener's accept queue was full.", g->n, plural(g->n), cl,
				       sv, g->a, plural(g->a), bo->str);
	f->next_step = g_strdup("Look for packet loss between the hosts and for listen-queue "
				"overflows on the server (nstat -az TcpExtListenOverflows "
				"TcpExtListenDrops); raise the listen backlog if it fills.");
	fact(f, "connections", (gint64)g->n);
	fact(f, "syn_retransmits", (gint64)g->a);
	fact(f, "max_syn_retransmits", (gint64)g->b);
	if (g->max_ns != SS_NO_TIME)
		fact_ms(f, "max_wait_ms", g->max_ns);
	g_string_free(bo, TRUE);
	g_free(cl);
	g_free(sv);
	g_ptr_array_add(out, f);
}

static gint cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

static void from_slow(GPtrArray *out, const group *g)
{
	gint64 median[2], limit[2], max[2];
	guint64 outliers[2] = { 0, 0 }, samples[2] = { 0, 0 };
	for (int s = 0; s < 2; s++) {
		median[s] = limit[s] = max[s] = SS_NO_TIME;
		if (g->slow == NULL || g->slow->rtt[s] == NULL || g->slow->rtt[s]->len == 0)
			continue;
		GArray *v = g_array_copy(g->slow->rtt[s]);
		g_array_sort(v, cmp_i64);
		samples[s] = v->len;
		/* the lower median: an integer from the samples */
		median[s] = g_array_index(v, gint64, (v->len - 1) / 2);
		/* outliers against the median once there are enough samples;
		 * absolute slowness always */
		limit[s] = SS_SLOW_ABSOLUTE_NS;
		if (v->len >= SS_SLOW_MIN_SAMPLES)
			limit[s] = MIN(limit[s], MAX(SS_SLOW_FACTOR * median[s],
						     median[s] + SS_SLOW_MARGIN_NS));
		max[s] = g_array_index(v, gint64, v->len - 1);
		for (guint i = 0; i < v->len; i++)
			outliers[s] += g_array_index(v, gint64, i) > limit[s];
		g_array_unref(v);
	}
	if (outliers[0] == 0 && outliers[1] == 0)
		return;
	ss_finding *f = finding_new("slow_handshake", SS_SEVERITY_MEDIUM, outliers[0] + outliers[1]);
	subject_from_key(f, &g->k, FALSE);
	char *sv = server_phrase(&g->k);
	GString *st = g_string_new(NULL), *next = g_string_new(NULL);
	g_string_append_printf(st, "Handshakes with %s were slow", sv);
	static const char *const what[2] = { "from SYN to SYN-ACK", "from SYN-ACK to the ACK" };
	static const char *const side[2] = {
		"on the server side of the capture point, in the server or the network towards it",
		"on the client side of the capture point, in the client or the network towards it",
	};
	for (int s = 0; s < 2; s++) {
		if (outliers[s] == 0)
			continue;
		char *lim = ms_str(limit[s]), *med = ms_str(median[s]), *mx = ms_str(max[s]);
		g_string_append_printf(st, "%s %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
				       " took more than %s %s (median %s, slowest %s): the delay sits %s",
				       st->len && s == 1 && outliers[0] ? ";" : ":", outliers[s],
				       samples[s], lim, what[s], med, mx, side[s]);
		g_free(lim);
		g_free(med);
		g_free(mx);
	}
	g_string_append_c(st, '.');
	if (outliers[0] > 0)
		g_string_append(next, "Check the server's load and how fast it accepts, and the path "
				"between the capture point and the server (a capture next to the "
				"server splits the two)");
	if (outliers[1] > 0)
		g_string_append_printf(next, "%s the client's load and the path between the capture "
				       "point and the client", next->len ? "; check" : "Check");
	g_string_append_c(next, '.');
	f->statement = g_string_free(st, FALSE);
	f->next_step = g_string_free(next, FALSE);
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
	/* the slowest of the side with more outliers, slowest first */
	int s = outliers[0] >= outliers[1] ? 0 : 1;
	guint n = 0;
	for (guint i = 0; i < g->slow->n[s]; i++)
		if (g->slow->ns[s][i] > limit[s])
			n++;
	set_examples(f, g->slow->ex[s], n, FALSE);
	g_free(sv);
	g_ptr_array_add(out, f);
}

static void from_synack(GPtrArray *out, const group *g)
{
	ss_finding *f = finding_new("repeated_synack", SS_SEVERITY_MEDIUM, g->n);
	subject_from_key(f, &g->k, FALSE);
	single_client(f, g);
	char *cl = clients_phrase(g), *sv = server_phrase(&g->k);
	f->statement = g_strdup_printf("%s repeated its SYN-ACK %" G_GUINT64_FORMAT " time%s in %"
				       G_GUINT64_FORMAT " connection%s from %s: the client's final "
				       "ACK did not reach it (lost, or dropped by a firewall between "
				       "them), so the server kept waiting.", sv, g->a, plural(g->a),
				       g->n, plural(g->n), cl);
	f->next_step = g_strdup("Capture on the client as well to see whether the SYN-ACK arrives "
				"and the ACK leaves; look for asymmetric routing or a stateful "
				"firewall that drops the ACK.");
	fact(f, "connections", (gint64)g->n);
	fact(f, "synack_retransmits", (gint64)g->a);
	fact(f, "incomplete", (gint64)g->b);
	set_examples(f, g->ex, g->nex, TRUE);
	g_free(cl);
	g_free(sv);
	g_ptr_array_add(out, f);
}

static void from_reuse(GPtrArray *out, const group *g)
{
	ss_finding *f = finding_new("tuple_reuse", SS_SEVERITY_LOW, g->n);
	subject_from_key(f, &g->k, FALSE);
	single_client(f, g);
	char *cl = clients_phrase(g), *sv = server_phrase(&g->k);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection%s from %s to %s reused the "
				       "addresses and ports of an earlier connection: the client "
				       "handed out the same source port again.", g->n, plural(g->n),
				       cl, sv);
	f->next_step = g_strdup("Usually harmless; if the server answers a reused tuple with an "
				"ACK or RST instead of a SYN-ACK, the old connection still lives "
				"there: look for sockets that are never closed.");
	fact(f, "connections", (gint64)g->n);
	fact(f, "after_rst", (gint64)g->a);
	fact(f, "after_fin", (gint64)g->b);
	fact(f, "after_idle", (gint64)g->c);
	fact(f, "after_failed", (gint64)g->d);
	fact(f, "while_open", (gint64)g->e);
	set_examples(f, g->ex, g->nex, TRUE);
	g_free(cl);
	g_free(sv);
	g_ptr_array_add(out, f);
}

static void from_tw_reuse(GPtrArray *out, const group *g)
{
	ss_finding *f = finding_new("time_wait_reuse", SS_SEVERITY_MEDIUM, g->n);
	subject_from_key(f, &g->k, FALSE);
	single_client(f, g);
	char *cl = clients_phrase(g), *sv = server_phrase(&g->k), *gap = ms_str(g->min_ns);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection%s from %s to %s reopened "
				       "addresses and ports closed with FIN less than %" G_GINT64_FORMAT
				       " s before (shortest gap %s), while the side that closed "
				       "first may still hold them in TIME_WAIT.", g->n, plural(g->n),
				       cl, sv, SS_TIME_WAIT_NS / 1000000000, gap);
	f->next_step = g_strdup("If the server answers these SYNs with an ACK or RST, the client "
				"is short of source ports: reuse connections (keep-alive, pooling) "
				"or widen its ephemeral port range.");
	fact(f, "connections", (gint64)g->n);
	fact_ms(f, "min_gap_ms", g->min_ns);
	set_examples(f, g->ex, g->nex, TRUE);
	g_free(cl);
	g_free(sv);
	g_free(gap);
	g_ptr_array_add(out, f);
}

static void from_churn(GPtrArray *out, const group *g)
{
	if (g->a < SS_CHURN_MIN_CONNS)
		return;
	ss_finding *f = finding_new("connection_churn", SS_SEVERITY_LOW, g->a);
	subject_from_key(f, &g->k, TRUE);
	char *cl = ip_dup(g->k.family, &g->k.client), *sv = server_phrase(&g->k);
	f->statement = g_strdup_printf("%s opened %" G_GUINT64_FORMAT " short TCP connections (each "
				       "under %" G_GINT64_FORMAT " ms) to %s: a new connection per "
				       "request, without keep-alive or connection pooling.", cl, g->a,
				       SS_CHURN_MAX_DURATION_NS / 1000000, sv);
	f->next_step = g_strdup("Enable keep-alive or a connection pool in the client: every new "
				"connection costs a handshake and leaves a socket in TIME_WAIT.");
	fact(f, "short_connections", (gint64)g->a);
	fact(f, "connections", (gint64)g->n);
	set_examples(f, g->ex, g->nex, TRUE);
	g_free(cl);
	g_free(sv);
	g_ptr_array_add(out, f);
}

static void from_simul(GPtrArray *out, const group *g)
{
	ss_finding *f = finding_new("simultaneous_open", SS_SEVERITY_INFO, g->n);
	subject_from_key(f, &g->k, TRUE);
	set_examples(f, g->ex, g->nex, TRUE);
	const ss_conn *e = &f->examples[0];
	char *a = ss_addr_port_dup(e->family, &ss_conn_client(e)->ip, ss_conn_client(e)->port);
	char *b = ss_addr_port_dup(e->family, &ss_conn_server(e)->ip, ss_conn_server(e)->port);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " connection%s between %s and %s opened "
				       "simultaneously (both sides sent a SYN): NAT hole punching, "
				       "or two programs dialling each other.", g->n, plural(g->n), a, b);
	f->next_step = g_strdup("Usually intended (peer-to-peer); otherwise find out which of the "
				"two programs should have listened.");
	fact(f, "connections", (gint64)g->n);
	g_free(a);
	g_free(b);
	g_ptr_array_add(out, f);
}

static void from_icmp(GPtrArray *out, const group *g)
{
	ss_finding *f = finding_new("icmp_errors", SS_SEVERITY_MEDIUM, g->n);
	subject_from_key(f, &g->k, FALSE);
	single_client(f, g);
	set_examples(f, g->ex, g->nex, TRUE);
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
	char *cl = clients_phrase(g), *sv = server_phrase(&g->k);
	f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " flow%s from %s to %s drew ICMP%s %s "
				       "(type %u code %u, %" G_GUINT64_FORMAT " error%s): %s.", g->n,
				       plural(g->n), cl, sv, v6 ? "v6" : "", what, (unsigned)t,
				       (unsigned)code, g->a, plural(g->a), why);
	f->next_step = g_strdup(next);
	fact(f, "flows", (gint64)g->n);
	fact(f, "icmp_errors", (gint64)g->a);
	fact(f, "icmp_type", t);
	fact(f, "icmp_code", code);
	g_free(cl);
	g_free(sv);
	g_ptr_array_add(out, f);
}

/* The hosts whose packets one-sided records lack, most records first. */
static gint cmp_silent(gconstpointer pa, gconstpointer pb)
{
	const group *a = pa, *b = pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return memcmp(&a->k, &b->k, sizeof a->k);
}

/* "no packets from 10.0.0.2 (the server, 40 connections), ..." */
static void silent_hosts_phrase(GString *st, ss_findings_acc *a)
{
	GList *l = g_list_sort(g_hash_table_get_values(a->groups[K_SILENT]), cmp_silent);
	guint i = 0, n = g_list_length(l);
	for (GList *it = l; it && i < 3; it = it->next, i++) {
		const group *h = it->data;
		char *ip = ip_dup(h->k.family, &h->k.server);
		g_string_append_printf(st, "%s%s (the %s, %" G_GUINT64_FORMAT " connection%s)",
				       i == 0 ? " The missing direction: no packets from " : ", ",
				       ip, h->k.icmp_type ? "client" : "server", h->n, plural(h->n));
		g_free(ip);
	}
	if (n > 3)
		g_string_append_printf(st, " and %u more host%s", n - 3, plural(n - 3));
	if (n > 0)
		g_string_append_c(st, '.');
	g_list_free(l);
}

/* Is `ip` a server whose own packets the one-sided records lack? */
static gboolean silent_server(ss_findings_acc *a, guint8 family, const ss_ip *ip)
{
	gkey k;
	memset(&k, 0, sizeof k);
	k.family = family;
	k.server = *ip;
	return g_hash_table_contains(a->groups[K_SILENT], &k);
}

static void from_quality(GPtrArray *out, ss_findings_acc *a, const ss_report *r,
			 guint64 unanswered_unknown)
{
	const ss_summary *s = &r->summary;
	group *g = g_hash_table_lookup(a->groups[K_ONE_SIDED], &(gkey){ 0 });
	guint64 n = MAX(s->quality.one_sided, g ? g->n : 0);
	if (n > 0) {
		ss_finding *f = finding_new("one_sided_capture", SS_SEVERITY_LOW, n);
		guint64 total = MAX(s->tcp_connections, a->tcp);
		GString *st = g_string_new(NULL);
		g_string_append_printf(st, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
				       " TCP connections show packets in one direction only: "
				       "the capture point sees one path of an asymmetric route, "
				       "or a filter dropped the other direction.", n, total);
		silent_hosts_phrase(st, a);
		if (unanswered_unknown > 0)
			g_string_append_printf(st, " %" G_GUINT64_FORMAT " attempt%s to those "
					       "servers look unanswered, but their replies could be in "
					       "the missing direction: not reported as unanswered.",
					       unanswered_unknown, plural(unanswered_unknown));
		f->statement = g_string_free(st, FALSE);
		f->next_step = g_strdup("Capture where both directions pass (on the hosts "
					"themselves, or a mirror of both directions); the outcomes of "
					"these records rest on one side's packets.");
		fact(f, "connections", (gint64)n);
		fact(f, "silent_hosts", g_hash_table_size(a->groups[K_SILENT]));
		if (unanswered_unknown > 0)
			fact(f, "unanswered_unknown", (gint64)unanswered_unknown);
		if (g)
			set_examples(f, g->ex, g->nex, TRUE);
		g_ptr_array_add(out, f);
	}
	g = g_hash_table_lookup(a->groups[K_MIDSTREAM], &(gkey){ 0 });
	n = MAX(s->quality.started_midstream, g ? g->n : 0);
	if (n > 0) {
		ss_finding *f = finding_new("midstream_start", SS_SEVERITY_INFO, n);
		f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " TCP connection%s %s already open "
					       "when the capture started (no handshake seen): %s client "
					       "and server were inferred, not proven.", n, plural(n),
					       n == 1 ? "was" : "were", n == 1 ? "its" : "their");
		f->next_step = g_strdup("Start the capture before the connections open to see their "
					"handshakes; each record's evidence and confidence say how its "
					"roles were decided.");
		fact(f, "connections", (gint64)n);
		if (g)
			set_examples(f, g->ex, g->nex, TRUE);
		g_ptr_array_add(out, f);
	}
	g = g_hash_table_lookup(a->groups[K_SNAPLEN], &(gkey){ 0 });
	n = MAX(s->quality.snaplen_cut, g ? g->a : 0);
	if (n > 0) {
		ss_finding *f = finding_new("snaplen_cut", SS_SEVERITY_LOW, n);
		f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " packet%s %s cut short by the "
					       "capture's snap length: byte counts come from the IP "
					       "headers, but the payload itself is missing.", n,
					       plural(n), n == 1 ? "was" : "were");
		f->next_step = g_strdup("Capture with a larger snap length (tcpdump -s 0) if the "
					"payload matters; connection facts are not affected.");
		fact(f, "packets", (gint64)n);
		if (g) {
			fact(f, "connections", (gint64)g->n);
			set_examples(f, g->ex, g->nex, TRUE);
		}
		g_ptr_array_add(out, f);
	}
}

static void from_hosts(GPtrArray *out, ss_findings_acc *a, const ss_report *r)
{
	for (guint i = 0; r->hosts != NULL && i < r->hosts->len; i++) {
		const ss_host *h = &g_array_index(r->hosts, ss_host, i);
		char *ip = ip_dup(h->family, &h->ip);
		if (h->exhaustion_risk) {
			guint64 size = (guint64)h->profile.high - h->profile.low + 1;
			ss_finding *f = finding_new("ephemeral_exhaustion_risk", SS_SEVERITY_HIGH,
						    h->busiest_connections);
			gkey k;
			memset(&k, 0, sizeof k);
			k.proto = h->busiest_proto;
			k.family = h->family;
			k.server = h->busiest_ip;
			k.port = h->busiest_port;
			k.client = h->ip;
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
			group *g = g_hash_table_lookup(a->groups[K_PAIR], &k);
			if (g)
				set_examples(f, g->ex, g->nex, TRUE);
			g_free(sv);
			g_ptr_array_add(out, f);
		}
		if (h->n_dual_ports > 0) {
			ss_finding *f = finding_new("listen_and_connect_same_port", SS_SEVERITY_LOW,
						    h->n_dual_ports);
			f->proto = IPPROTO_TCP;
			f->family = h->family;
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
				if (c->proto != IPPROTO_TCP || c->family != h->family ||
				    (c->client != 0 && c->client != 1) ||
				    memcmp(&ss_conn_client(c)->ip, &h->ip, sizeof(ss_ip)) != 0)
					continue;
				for (guint p = 0; p < h->n_dual_ports; p++)
					if (ss_conn_client(c)->port == h->dual_ports[p]) {
						f->examples[f->n_examples++] = *c;
						break;
					}
			}
			g_string_free(ports, TRUE);
			g_ptr_array_add(out, f);
		}
		g_free(ip);
	}
}

static int cmp_bytes(const void *a, const void *b, gsize n)
{
	int d = memcmp(a, b, n);
	return d < 0 ? -1 : d > 0;
}

static gint cmp_finding(gconstpointer pa, gconstpointer pb)
{
	const ss_finding *a = *(ss_finding *const *)pa, *b = *(ss_finding *const *)pb;
	if (a->severity != b->severity)
		return a->severity < b->severity ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	int d = strcmp(a->id, b->id);
	if (d != 0)
		return d;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((d = cmp_bytes(&a->server_ip, &b->server_ip, sizeof(ss_ip))) != 0)
		return d;
	if (a->server_port != b->server_port)
		return a->server_port < b->server_port ? -1 : 1;
	if ((d = cmp_bytes(&a->client_ip, &b->client_ip, sizeof(ss_ip))) != 0)
		return d;
	/* the same subject twice (icmp_errors of two types): the statement */
	return g_strcmp0(a->statement, b->statement);
}

/* Keep-all: the examples of per-pair findings (churn, exhaustion) are the
 * pair's first records (for churn, its first short ones). */
static void pair_examples(GPtrArray *out, const ss_report *r)
{
	GHashTable *want = g_hash_table_new_full(gkey_hash, gkey_equal, g_free, NULL);
	for (guint i = 0; i < out->len; i++) {
		ss_finding *f = g_ptr_array_index(out, i);
		if (strcmp(f->id, "connection_churn") != 0 &&
		    strcmp(f->id, "ephemeral_exhaustion_risk") != 0)
			continue;
		gkey k;
		memset(&k, 0, sizeof k);
		k.proto = f->proto;
		k.family = f->family;
		k.server = f->server_ip;
		k.port = f->server_port;
		k.client = f->client_ip;
		f->n_examples = 0;
		g_hash_table_insert(want, g_memdup2(&k, sizeof k), f);
	}
	for (guint i = 0; g_hash_table_size(want) > 0 && i < r->conns->len; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		if (c->client != 0 && c->client != 1)
			continue;
		gkey k;
		memset(&k, 0, sizeof k);
		k.proto = c->proto;
		k.family = c->family;
		k.server = ss_conn_server(c)->ip;
		k.port = ss_conn_server(c)->port;
		k.client = ss_conn_client(c)->ip;
		ss_finding *f = g_hash_table_lookup(want, &k);
		if (f == NULL || f->n_examples >= SS_FINDING_EXAMPLES)
			continue;
		if (strcmp(f->id, "connection_churn") == 0) {
			gint64 first, last;
			ss_conn_span(c, &first, &last);
			if (c->outcome != SS_OUTCOME_COMPLETE || first == SS_NO_TIME ||
			    last == SS_NO_TIME || last - first >= SS_CHURN_MAX_DURATION_NS)
				continue;
		}
		f->examples[f->n_examples++] = *c;
	}
	g_hash_table_unref(want);
}

/* ---- scans and sweeps ----
 *
 * Rolled up from the K_PAIR groups (client address, server socket) at the
 * end: one client probing many ports of one host (a port scan), or one port
 * on many hosts (a sweep), most probes refused or unanswered.  The probes'
 * own unanswered_syn / refused counts are folded into the scan finding. */

typedef struct {
	gkey k;                    /* client, server (scan) or port (sweep) */
	guint64 targets;           /* distinct ports (scan) or hosts (sweep) */
	guint64 attempts, open, closed, filtered;
	GArray *open_ports;        /* guint16, scans: sorted at the end */
	ss_conn ex[SS_FINDING_EXAMPLES];
	guint nex;
} scan_acc;

static void scan_acc_free(gpointer p)
{
	scan_acc *x = p;
	if (x->open_ports)
		g_array_unref(x->open_ports);
	g_free(x);
}

static void scan_add(GHashTable *t, const gkey *k, const group *g)
{
	scan_acc *x = g_hash_table_lookup(t, k);
	if (x == NULL) {
		x = g_new0(scan_acc, 1);
		x->k = *k;
		x->open_ports = g_array_new(FALSE, FALSE, sizeof(guint16));
		g_hash_table_insert(t, &x->k, x);
	}
	x->targets++;
	x->attempts += g->n;
	x->closed += g->c > 0 && g->b == 0;
	x->filtered += g->c == 0 && g->b == 0;
	if (g->b > 0) {
		x->open++;
		g_array_append_val(x->open_ports, g->k.port);
	}
}

static gboolean is_scan(const scan_acc *x)
{
	/* enough targets, most of them not open */
	return x->targets >= SS_SCAN_MIN_TARGETS && x->open * 4 <= x->targets;
}

static gint cmp_u16(gconstpointer a, gconstpointer b)
{
	return (gint)*(const guint16 *)a - (gint)*(const guint16 *)b;
}

static gint cmp_scan(gconstpointer pa, gconstpointer pb)
{
	return memcmp(&((const scan_acc *)pa)->k, &((const scan_acc *)pb)->k, sizeof(gkey));
}

/* scans: (client, server) -> scan_acc; sweeps: (client, port) -> scan_acc */
static void find_scans(ss_findings_acc *a, GHashTable *scans, GHashTable *sweeps)
{
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, a->groups[K_PAIR]);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const group *g = v;
		gkey k;
		memset(&k, 0, sizeof k);
		k.proto = g->k.proto;
		k.family = g->k.family;
		k.client = g->k.client;
		k.server = g->k.server;
		scan_add(scans, &k, g);
		memset(&k.server, 0, sizeof k.server);
		k.port = g->k.port;
		scan_add(sweeps, &k, g);
	}
}

/* Is the record's (client, server socket) part of a scan or a sweep? */
static gboolean in_scan(GHashTable *scans, GHashTable *sweeps, const gkey *pk)
{
	gkey k;
	memset(&k, 0, sizeof k);
	k.proto = pk->proto;
	k.family = pk->family;
	k.client = pk->client;
	k.server = pk->server;
	const scan_acc *x = g_hash_table_lookup(scans, &k);
	if (x && is_scan(x))
		return TRUE;
	memset(&k.server, 0, sizeof k.server);
	k.port = pk->port;
	x = g_hash_table_lookup(sweeps, &k);
	return x && is_scan(x);
}

/* The probes of scans and sweeps per server socket: [0] unanswered,
 * [1] refused (one pass over the pairs). */
static GHashTable *scan_probes(ss_findings_acc *a, GHashTable *scans, GHashTable *sweeps)
{
	GHashTable *t = g_hash_table_new_full(gkey_hash, gkey_equal, g_free, g_free);
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, a->groups[K_PAIR]);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const group *p = v;
		if ((p->c == 0 && p->d == 0) || !in_scan(scans, sweeps, &p->k))
			continue;
		gkey k = p->k;
		memset(&k.client, 0, sizeof k.client);
		guint64 *n = g_hash_table_lookup(t, &k);
		if (n == NULL) {
			n = g_new0(guint64, 2);
			g_hash_table_insert(t, g_memdup2(&k, sizeof k), n);
		}
		n[0] += p->d;
		n[1] += p->c;
	}
	return t;
}

/* A copy of an unanswered / refused group without the scan probes; FALSE
 * when nothing is left. */
static gboolean without_scans(GHashTable *probes, kind kd, const group *g, group *out)
{
	*out = *g;
	const guint64 *n = g_hash_table_lookup(probes, &g->k);
	guint64 folded = n == NULL ? 0 : n[kd == K_UNANSWERED ? 0 : 1];
	if (folded == 0)
		return TRUE;
	if (folded >= g->n)
		return FALSE;
	out->n = g->n - folded;
	/* the examples may show a probe: keep none rather than a wrong one */
	out->nex = 0;
	return TRUE;
}

static void scan_examples(scan_acc *x, const ss_report *r)
{
	for (guint i = 0; r->conns != NULL && i < r->conns->len && x->nex < SS_FINDING_EXAMPLES;
	     i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		if (c->client != 0 && c->client != 1)
			continue;
		if (c->proto != x->k.proto || c->family != x->k.family ||
		    c->outcome != SS_OUTCOME_COMPLETE ||
		    memcmp(&ss_conn_client(c)->ip, &x->k.client, sizeof x->k.client))
			continue;
		if (x->k.port ? ss_conn_server(c)->port != x->k.port
			      : memcmp(&ss_conn_server(c)->ip, &x->k.server, sizeof x->k.server))
			continue;
		x->ex[x->nex++] = *c;
	}
}

static void from_scan(GPtrArray *out, scan_acc *x, gboolean sweep, const ss_report *r)
{
	ss_finding *f = finding_new(sweep ? "port_sweep" : "port_scan", SS_SEVERITY_MEDIUM,
				    x->targets);
	f->proto = x->k.proto;
	f->family = x->k.family;
	f->has_client = TRUE;
	f->client_ip = x->k.client;
	if (sweep) {
		f->server_port = x->k.port;
	} else {
		f->has_server = TRUE;
		f->server_ip = x->k.server;
	}
	char *cl = ip_dup(x->k.family, &x->k.client);
	GString *st = g_string_new(NULL);
	if (sweep) {
		g_string_append_printf(st, "%s probed %s port %u on %" G_GUINT64_FORMAT " hosts: %"
				       G_GUINT64_FORMAT " answered", cl, x->k.proto == IPPROTO_TCP ?
				       "TCP" : "UDP", (unsigned)x->k.port, x->targets, x->open);
	} else {
		char *sv = ip_dup(x->k.family, &x->k.server);
		g_array_sort(x->open_ports, cmp_u16);
		g_string_append_printf(st, "%s probed %" G_GUINT64_FORMAT " %s ports of %s: %"
				       G_GUINT64_FORMAT " open", cl, x->targets,
				       x->k.proto == IPPROTO_TCP ? "TCP" : "UDP", sv, x->open);
		for (guint i = 0; i < x->open_ports->len && i < SS_SCAN_PORTS_LISTED; i++)
			g_string_append_printf(st, "%s%u", i == 0 ? " (" : ", ",
					       (unsigned)g_array_index(x->open_ports, guint16, i));
		if (x->open_ports->len > SS_SCAN_PORTS_LISTED)
			g_string_append_printf(st, " and %u more", x->open_ports->len -
					       SS_SCAN_PORTS_LISTED);
		if (x->open_ports->len > 0)
			g_string_append_c(st, ')');
		g_free(sv);
	}
	g_string_append_printf(st, ", %" G_GUINT64_FORMAT " refused, %" G_GUINT64_FORMAT
			       " unanswered (%" G_GUINT64_FORMAT " attempts): a %s; its probes are "
			       "not reported one by one as unanswered or refused.", x->closed,
			       x->filtered, x->attempts, sweep ? "sweep" : "port scan");
	f->statement = g_string_free(st, FALSE);
	f->next_step = g_strdup_printf("Find out whether %s is an authorised scanner; if not, "
				       "block it and check the %s it found open.", cl,
				       sweep ? "hosts" : "ports");
	fact(f, sweep ? "hosts" : "ports", (gint64)x->targets);
	fact(f, "open", (gint64)x->open);
	fact(f, "refused", (gint64)x->closed);
	fact(f, "unanswered", (gint64)x->filtered);
	fact(f, "attempts", (gint64)x->attempts);
	scan_examples(x, r);
	set_examples(f, x->ex, x->nex, TRUE);
	g_free(cl);
	g_ptr_array_add(out, f);
}

static void from_scans(GPtrArray *out, GHashTable *t, gboolean sweep, const ss_report *r)
{
	GList *l = g_list_sort(g_hash_table_get_values(t), cmp_scan);
	for (GList *it = l; it; it = it->next)
		if (is_scan(it->data))
			from_scan(out, it->data, sweep, r);
	g_list_free(l);
}

GPtrArray *ss_findings_acc_finish(ss_findings_acc *a, const ss_report *r)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(ss_finding_free);
	GHashTable *scans = g_hash_table_new_full(gkey_hash, gkey_equal, NULL, scan_acc_free);
	GHashTable *sweeps = g_hash_table_new_full(gkey_hash, gkey_equal, NULL, scan_acc_free);
	find_scans(a, scans, sweeps);
	GHashTable *probes = scan_probes(a, scans, sweeps);
	guint64 unanswered_unknown = 0;
	static void (*const per_group[])(GPtrArray *, const group *) = {
		[K_UNANSWERED] = from_unanswered, [K_REFUSED] = from_refused,
		[K_SYN_RETX] = from_syn_retx, [K_SLOW] = from_slow, [K_SYNACK] = from_synack,
		[K_REUSE] = from_reuse, [K_TW_REUSE] = from_tw_reuse, [K_PAIR] = from_churn,
		[K_SIMUL] = from_simul, [K_ICMP] = from_icmp,
	};
	for (int k = 0; k < K_ONE_SIDED; k++) {
		GList *l = sorted_groups(a->groups[k]);
		for (GList *it = l; it; it = it->next) {
			group folded;
			const group *g = it->data;
			if (k == K_UNANSWERED && g->k.proto == IPPROTO_TCP &&
			    silent_server(a, g->k.family, &g->k.server)) {
				/* the capture lacks that server's direction: its
				 * SYN-ACKs could be there */
				unanswered_unknown += g->n;
			} else if (k == K_UNANSWERED || k == K_REFUSED) {
				if (without_scans(probes, k, it->data, &folded))
					per_group[k](out, &folded);
			} else {
				per_group[k](out, it->data);
			}
		}
		g_list_free(l);
	}
	from_scans(out, scans, FALSE, r);
	from_scans(out, sweeps, TRUE, r);
	g_hash_table_unref(probes);
	g_hash_table_unref(scans);
	g_hash_table_unref(sweeps);
	from_quality(out, a, r, unanswered_unknown);
	from_hosts(out, a, r);
	if (r->conns != NULL && r->conns->len > 0)
		pair_examples(out, r);
	g_ptr_array_sort(out, cmp_finding);
	acc_free(a);
	return out;
}

GPtrArray *ss_findings_compute(const ss_report *r)
{
	ss_findings_acc *a = ss_findings_acc_new();
	for (guint i = 0; r->conns != NULL && i < r->conns->len; i++)
		ss_findings_acc_add(a, g_ptr_array_index(r->conns, i));
	return ss_findings_acc_finish(a, r);
}
