/* Scans and sweeps, rolled up from the findings accumulator's K_PAIR
 * groups (client address, server socket) at the end: one client probing
 * many ports of one host (a port scan), or one port on many hosts (a
 * sweep), most probes refused or unanswered.  The probes' own
 * unanswered_syn / refused counts are folded into the scan finding
 * (ss_findings_scans_fold). */
#include <netinet/in.h>
#include <string.h>

#include "analysis/findings-internal.h"
#include "sockscope/util.h"

SS_BYTES_KEY_FUNCS(gkey, gkey)

struct ss_findings_scans {
	GHashTable *scans;    /* (client, server) -> scan_acc */
	GHashTable *sweeps;   /* (client, port) -> scan_acc */
	GHashTable *probes;   /* server socket -> guint64[2] probes unanswered, refused */
};

/* One per (client, host) and per (client, port) among the pairs, so up to
 * 2 x SS_FINDINGS_MAX_GROUPS of them under a flood of distinct sources: kept
 * small (no inline examples, the open-port list only once a port answered).
 * With three example records inline they took 165 MB more under the flood
 * test (check-flood.py, jsonl peak RSS 112 -> 296 MB). */
typedef struct {
	gkey k;                    /* client, server (scan) or port (sweep) */
	guint64 targets;           /* distinct ports (scan) or hosts (sweep) */
	guint64 attempts, open, closed, filtered;
	GArray *open_ports;        /* guint16, scans: sorted at the end; NULL = none */
	GArray *open_hosts;        /* ss_ip, sweeps: sorted at the end; NULL = none */
} scan_acc;

static void scan_acc_free(gpointer p)
{
	scan_acc *x = p;
	if (x->open_ports)
		g_array_unref(x->open_ports);
	if (x->open_hosts)
		g_array_unref(x->open_hosts);
	g_free(x);
}

static void scan_add(GHashTable *t, const gkey *k, const group *g, gboolean sweep)
{
	scan_acc *x = g_hash_table_lookup(t, k);
	if (x == NULL) {
		x = g_new0(scan_acc, 1);
		x->k = *k;
		g_hash_table_insert(t, &x->k, x);
	}
	x->targets++;
	x->attempts += g->n;
	x->closed += g->c.pair.refused > 0 && g->c.pair.answered == 0;
	x->filtered += g->c.pair.refused == 0 && g->c.pair.answered == 0;
	if (g->c.pair.answered > 0) {
		x->open++;
		if (sweep) {
			if (x->open_hosts == NULL)
				x->open_hosts = g_array_new(FALSE, FALSE, sizeof(ss_ip));
			g_array_append_val(x->open_hosts, g->k.server);
		} else {
			if (x->open_ports == NULL)
				x->open_ports = g_array_new(FALSE, FALSE, sizeof(guint16));
			g_array_append_val(x->open_ports, g->k.port);
		}
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

static gint cmp_ip(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(ss_ip));
}

static gint cmp_scan(gconstpointer pa, gconstpointer pb)
{
	return memcmp(&((const scan_acc *)pa)->k, &((const scan_acc *)pb)->k, sizeof(gkey));
}

/* scans: (client, server) -> scan_acc; sweeps: (client, port) -> scan_acc */
static void find_scans(const ss_findings_acc *a, GHashTable *scans, GHashTable *sweeps)
{
	for (guint32 i = 0; i < a->groups[K_PAIR].len; i++) {
		const group *g = group_at(a, K_PAIR, i);
		if (g == NULL)
			continue;
		gkey k;
		memset(&k, 0, sizeof k);
		k.vnet = g->k.vnet;
		k.proto = g->k.proto;
		k.family = g->k.family;
		k.client = g->k.client;
		k.server = g->k.server;
		scan_add(scans, &k, g, FALSE);
		memset(&k.server, 0, sizeof k.server);
		k.port = g->k.port;
		scan_add(sweeps, &k, g, TRUE);
	}
}

/* Is the record's (client, server socket) part of a scan or a sweep? */
static gboolean in_scan(GHashTable *scans, GHashTable *sweeps, const gkey *pk)
{
	gkey k;
	memset(&k, 0, sizeof k);
	k.vnet = pk->vnet;
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
static GHashTable *scan_probes(const ss_findings_acc *a, GHashTable *scans, GHashTable *sweeps)
{
	GHashTable *t = g_hash_table_new_full(gkey_hash, gkey_equal, g_free, g_free);
	for (guint32 i = 0; i < a->groups[K_PAIR].len; i++) {
		const group *p = group_at(a, K_PAIR, i);
		if (p == NULL)
			continue;
		if ((p->c.pair.refused == 0 && p->c.pair.unanswered == 0) ||
		    !in_scan(scans, sweeps, &p->k))
			continue;
		gkey k = p->k;
		memset(&k.client, 0, sizeof k.client);
		guint64 *n = g_hash_table_lookup(t, &k);
		if (n == NULL) {
			n = g_new0(guint64, 2);
			g_hash_table_insert(t, g_memdup2(&k, sizeof k), n);
		}
		n[0] += p->c.pair.unanswered;
		n[1] += p->c.pair.refused;
	}
	return t;
}

/* A copy of an unanswered / refused group without the scan probes; FALSE
 * when nothing is left. */
gboolean ss_findings_scans_fold(const ss_findings_scans *s, kind kd, const group *g, group *out)
{
	*out = *g;
	if (kd != K_UNANSWERED && kd != K_REFUSED)
		return TRUE;
	const guint64 *n = g_hash_table_lookup(s->probes, &g->k);
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

/* Up to SS_FINDING_EXAMPLES completed connections of the scan into ex. */
static guint scan_examples(const scan_acc *x, const ss_report *r, ss_conn *ex)
{
	guint nex = 0;
	for (guint i = 0; r->conns != NULL && i < r->conns->len && nex < SS_FINDING_EXAMPLES;
	     i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		if (c->client != 0 && c->client != 1)
			continue;
		ss_vnet v = ss_tunnel_vnet(&c->tunnel);
		if (c->proto != x->k.proto || c->family != x->k.family ||
		    ss_vnet_cmp(&v, &x->k.vnet) != 0 ||
		    c->outcome != SS_OUTCOME_COMPLETE ||
		    memcmp(&ss_conn_client(c)->ip, &x->k.client, sizeof x->k.client))
			continue;
		if (x->k.port ? ss_conn_server(c)->port != x->k.port
			      : memcmp(&ss_conn_server(c)->ip, &x->k.server, sizeof x->k.server))
			continue;
		ex[nex++] = *c;
	}
	return nex;
}

static void from_scan(GPtrArray *out, scan_acc *x, gboolean sweep, const ss_report *r)
{
	ss_finding *f = finding_new(sweep ? "port_sweep" : "port_scan", SS_SEVERITY_MEDIUM,
				    x->targets);
	f->proto = x->k.proto;
	f->family = x->k.family;
	f->vnet = x->k.vnet;
	f->has_client = TRUE;
	f->client_ip = x->k.client;
	if (sweep) {
		f->server_port = x->k.port;
	} else {
		f->has_server = TRUE;
		f->server_ip = x->k.server;
	}
	char *cl = ip_vnet_dup(x->k.family, &x->k.client, &x->k.vnet);
	GString *st = g_string_new(NULL);
	if (sweep) {
		guint nopen = x->open_hosts ? x->open_hosts->len : 0;
		if (nopen > 0)
			g_array_sort(x->open_hosts, cmp_ip);
		/* all of them for the machine formats, [] when none answered */
		f->answered_hosts = nopen > 0 ? g_array_ref(x->open_hosts)
					      : g_array_new(FALSE, FALSE, sizeof(ss_ip));
		g_string_append_printf(st, "%s probed %s port %u on %" G_GUINT64_FORMAT " hosts: %"
				       G_GUINT64_FORMAT " answered", cl, x->k.proto == IPPROTO_TCP ?
				       "TCP" : "UDP", (unsigned)x->k.port, x->targets, x->open);
		for (guint i = 0; i < nopen && i < SS_SCAN_PORTS_LISTED; i++) {
			char *h = ip_dup(x->k.family, &g_array_index(x->open_hosts, ss_ip, i));
			g_string_append_printf(st, "%s%s", i == 0 ? " (" : ", ", h);
			g_free(h);
		}
		if (nopen > SS_SCAN_PORTS_LISTED)
			g_string_append_printf(st, " and %u more", nopen - SS_SCAN_PORTS_LISTED);
		if (nopen > 0)
			g_string_append_c(st, ')');
	} else {
		char *sv = ip_dup(x->k.family, &x->k.server);
		guint nopen = x->open_ports ? x->open_ports->len : 0;
		if (nopen > 0)
			g_array_sort(x->open_ports, cmp_u16);
		/* all of them for the machine formats, [] when none answered */
		f->open_ports = nopen > 0 ? g_array_ref(x->open_ports)
					  : g_array_new(FALSE, FALSE, sizeof(guint16));
		g_string_append_printf(st, "%s probed %" G_GUINT64_FORMAT " %s ports of %s: %"
				       G_GUINT64_FORMAT " open", cl, x->targets,
				       x->k.proto == IPPROTO_TCP ? "TCP" : "UDP", sv, x->open);
		for (guint i = 0; i < nopen && i < SS_SCAN_PORTS_LISTED; i++)
			g_string_append_printf(st, "%s%u", i == 0 ? " (" : ", ",
					       (unsigned)g_array_index(x->open_ports, guint16, i));
		if (nopen > SS_SCAN_PORTS_LISTED)
			g_string_append_printf(st, " and %u more", nopen - SS_SCAN_PORTS_LISTED);
		if (nopen > 0)
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
	ss_conn ex[SS_FINDING_EXAMPLES];
	guint nex = scan_examples(x, r, ex);
	ss_findings_set_examples(f, ex, nex, TRUE);
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


ss_findings_scans *ss_findings_scans_find(const ss_findings_acc *a)
{
	ss_findings_scans *s = g_new0(ss_findings_scans, 1);
	s->scans = g_hash_table_new_full(gkey_hash, gkey_equal, NULL, scan_acc_free);
	s->sweeps = g_hash_table_new_full(gkey_hash, gkey_equal, NULL, scan_acc_free);
	find_scans(a, s->scans, s->sweeps);
	s->probes = scan_probes(a, s->scans, s->sweeps);
	return s;
}

void ss_findings_scans_report(GPtrArray *out, ss_findings_scans *s, const ss_report *r)
{
	from_scans(out, s->scans, FALSE, r);
	from_scans(out, s->sweeps, TRUE, r);
}

void ss_findings_scans_free(ss_findings_scans *s)
{
	g_hash_table_unref(s->probes);
	g_hash_table_unref(s->scans);
	g_hash_table_unref(s->sweeps);
	g_free(s);
}
