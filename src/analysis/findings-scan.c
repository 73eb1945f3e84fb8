/* Scans and sweeps, rolled up from the findings accumulator's K_PAIR
 * groups (client address, server socket) at the end: one client probing
 * many ports of one host (a port scan), or one port on many hosts (a
 * sweep), most probes refused or unanswered.  The probes' own
 * unanswered_syn / refused counts are folded into the scan finding
 * (ss_findings_scans_fold). */
#include <netinet/in.h>
#include <string.h>

#include "analysis/findings-internal.h"
#include "sockscope/hash.h"
#include "sockscope/util.h"

/* The roll-up runs once, at the end, over every K_PAIR group (up to
 * SS_FINDINGS_MAX_GROUPS): its accumulators live inline in open-addressing
 * tables (sockscope/oatable.h) rather than as g_new0'd GHashTable values,
 * only for the pairs whose keys' counts can make a scan (scan_counts_make),
 * each pair's accumulators are found once (their entry numbers are kept for
 * the second pass), and the open ports and hosts are collected only for
 * the few accumulators that turn out to be scans.  On the 100k-flow bench
 * capture (many-s.pcap) this took the scans from 335 M instructions (a
 * malloc, a GHashTable node and a hash per accumulator, a sort of all of
 * them, a free each) to a few tens of millions (docs/performance.md). */
struct ss_findings_scans {
	ss_oatable scans;     /* (client, server) -> scan_acc */
	ss_oatable sweeps;    /* (client, port) -> scan_acc */
	ss_oatable probes;    /* server socket -> probe_acc */
	/* whose keys' hash (gkey_oa_hash: AES rounds for IPv4 keys, ~60 M
	 * instructions less than SipHash on mixed.pcap's two keys a pair) */
	const ss_findings_acc *a;
};

/* One per (client, host) and per (client, port) among the pairs, so up to
 * 2 x SS_FINDINGS_MAX_GROUPS of them under a flood of distinct sources: kept
 * small (no inline examples, the open-port list only for a scan).  With
 * three example records inline they took 165 MB more under the flood test
 * (check-flood.py, jsonl peak RSS 112 -> 296 MB). */
typedef struct {
	gkey k;                    /* client, server (scan) or port (sweep) */
	guint64 targets;           /* distinct ports (scan) or hosts (sweep) */
	guint64 attempts, open, closed, filtered;
	GArray *open_ports;        /* guint16, scans: sorted at the end; NULL = none */
	GArray *open_hosts;        /* ss_ip, sweeps: sorted at the end; NULL = none */
} scan_acc;

/* The probes of scans and sweeps to one server socket. */
typedef struct {
	gkey k;                    /* the server socket (client zero) */
	guint64 unanswered, refused;
} probe_acc;

static scan_acc *scan_at(const ss_oatable *t, guint32 i)
{
	return ss_oa_entry(t, i);
}

/* Counts pair g into the accumulator of key k (hash h); returns its entry
 * number. */
static guint32 scan_add(ss_oatable *t, const gkey *k, guint32 h, const pair *g)
{
	gboolean created;
	scan_acc *x = ss_oa_insert(t, k, h, sizeof *k, sizeof *x, &created);
	x->targets++;
	x->attempts += pair_n(g);
	x->closed += g->refused > 0 && g->answered == 0;
	x->filtered += g->refused == 0 && g->answered == 0;
	x->open += g->answered > 0;
	/* entries are dense, in insertion order: the new one is the last */
	return created ? ss_oatable_size(t) - 1
		       : (guint32)(((guint8 *)x - t->entries) / sizeof *x);
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
	return memcmp(&(*(scan_acc *const *)pa)->k, &(*(scan_acc *const *)pb)->k, sizeof(gkey));
}

/* A pair's scan key (client, server) and sweep key (client, port), hashed. */
typedef struct {
	gkey k[2];
	guint32 h[2];
	gboolean in[2];   /* a candidate of that table (pass 1) */
} scan_keys;

static void scan_keys_of(const pair *g, gkey k[2])
{
	memset(&k[0], 0, sizeof k[0]);
	k[0].vnet = g->k.vnet;
	k[0].proto = g->k.proto;
	k[0].family = g->k.family;
	k[0].client = g->k.client;
	k[0].server = g->k.server;
	k[1] = k[0];
	memset(&k[1].server, 0, sizeof k[1].server);
	k[1].port = g->k.port;
}

/* How many candidate pairs ahead pass 1 makes the keys and prefetches
 * their slots: under a flood of probes (every pair a candidate) the scan
 * and sweep tables are as large as the pairs, and each insert's slot was a
 * cache miss (perf: scan_add ~12 ms of the findings' ~43 ms on mixed.pcap
 * before the counts below). */
#define SCAN_AHEAD 8

/* The counts that rule pairs out (pass 0): a scan or sweep needs
 * SS_SCAN_MIN_TARGETS pairs of one key, and most keys have one or two, so
 * each key's pairs are first counted in an array of saturating byte
 * counters indexed by the key's hash.  Keys that share a counter add up,
 * so a counter is at least its keys' true count: a pair whose counter is
 * below the minimum is in no scan or sweep, and only the others (the
 * candidates) get an accumulator.  mixed.pcap has 65 536 pairs and no
 * scan: before, both tables took an entry per pair (two tables of ~7 MB
 * made, grown and faulted in on the findings thread, ~50 M instructions);
 * with counters at two per pair a key meets the minimum only with ~15
 * other pairs on its counter.  Under a flood of probes every pair is a
 * candidate and the tables are made as before. */
#define SCAN_COUNTERS_PER_PAIR 2
#define NOT_A_CANDIDATE G_MAXUINT32

typedef struct {
	guint8 *n[2];   /* scans', sweeps' counters */
	guint32 mask;
} scan_counts;

static void scan_counts_make(const ss_findings_scans *s, const ss_oatable *pairs,
			     scan_counts *c, guint32 *h)
{
	guint32 size = 64;
	while (size < (guint64)pairs->len * SCAN_COUNTERS_PER_PAIR)
		size *= 2;
	c->mask = size - 1;
	for (int j = 0; j < 2; j++)
		c->n[j] = g_malloc0(size);
	for (guint32 i = 0; i < pairs->len; i++) {
		gkey k[2];
		scan_keys_of(ss_oa_entry(pairs, i), k);
		for (int j = 0; j < 2; j++) {
			h[2 * i + j] = gkey_oa_hash(s->a, &k[j]);
			guint8 *n = &c->n[j][h[2 * i + j] & c->mask];
			*n += *n < G_MAXUINT8;
		}
	}
}

static gboolean scan_candidate(const scan_counts *c, int j, guint32 h)
{
	return c->n[j][h & c->mask] >= SS_SCAN_MIN_TARGETS;
}

/* A candidate pair's keys (hashes h, candidate of the tables in `in`'s
 * bits), the slots of its inserts prefetched. */
static void scan_keys_make(const ss_findings_scans *s, const pair *g, const guint32 *h,
			   guint8 in, scan_keys *out)
{
	scan_keys_of(g, out->k);
	for (int j = 0; j < 2; j++) {
		const ss_oatable *t = j ? &s->sweeps : &s->scans;
		out->h[j] = h[j];
		out->in[j] = (in >> j) & 1;
		if (t->cap && out->in[j])
			__builtin_prefetch(&t->slots[h[j] & (t->cap - 1)]);
	}
}

/* Pass 0: the counts, each pair's two hashes in at[2 * i], at[2 * i + 1].
 * Pass 1: the scan and sweep accumulators of the candidates (their entry
 * numbers replace the hashes in at; NOT_A_CANDIDATE for the others).
 * Pass 2, now that each accumulator is complete: the open ports and hosts
 * of the scans, and the probes of scans per server socket. */
static void find_scans(const ss_findings_acc *a, ss_findings_scans *s)
{
	const ss_oatable *pairs = &a->pairs;
	guint32 *at = g_new(guint32, 2 * (gsize)MAX(pairs->len, 1));
	scan_counts counts;
	scan_counts_make(s, pairs, &counts, at);
	/* the candidates, in pair order, and of which tables (bits 0, 1);
	 * at[] keeps their hashes, NOT_A_CANDIDATE for the others */
	guint32 *cand = g_new(guint32, MAX(pairs->len, 1));
	guint8 *cand_in = g_new(guint8, MAX(pairs->len, 1));
	guint32 ncand = 0;
	for (guint32 i = 0; i < pairs->len; i++) {
		guint8 in = 0;
		for (int j = 0; j < 2; j++) {
			if (scan_candidate(&counts, j, at[2 * i + j]))
				in |= (guint8)(1u << j);
			else
				at[2 * i + j] = NOT_A_CANDIDATE;
		}
		if (in) {
			cand_in[ncand] = in;
			cand[ncand++] = i;
		}
	}
	g_free(counts.n[0]);
	g_free(counts.n[1]);
	scan_keys ring[SCAN_AHEAD];
	for (guint32 c = 0; c < ncand && c < SCAN_AHEAD; c++)
		scan_keys_make(s, ss_oa_entry(pairs, cand[c]), &at[2 * cand[c]], cand_in[c],
			       &ring[c]);
	for (guint32 c = 0; c < ncand; c++) {
		guint32 i = cand[c];
		const pair *g = ss_oa_entry(pairs, i);
		scan_keys *sk = &ring[c % SCAN_AHEAD];
		/* entry numbers now, in place of the hashes */
		if (sk->in[0])
			at[2 * i] = scan_add(&s->scans, &sk->k[0], sk->h[0], g);
		if (sk->in[1])
			at[2 * i + 1] = scan_add(&s->sweeps, &sk->k[1], sk->h[1], g);
		if (c + SCAN_AHEAD < ncand)
			scan_keys_make(s, ss_oa_entry(pairs, cand[c + SCAN_AHEAD]),
				       &at[2 * cand[c + SCAN_AHEAD]], cand_in[c + SCAN_AHEAD], sk);
	}
	for (guint32 c = 0; c < ncand; c++) {
		guint32 i = cand[c];
		const pair *p = ss_oa_entry(pairs, i);
		scan_acc *scan = at[2 * i] == NOT_A_CANDIDATE ? NULL : scan_at(&s->scans, at[2 * i]);
		scan_acc *sweep = at[2 * i + 1] == NOT_A_CANDIDATE ? NULL
								 : scan_at(&s->sweeps, at[2 * i + 1]);
		gboolean in_scan = scan != NULL && is_scan(scan);
		gboolean in_sweep = sweep != NULL && is_scan(sweep);
		if (p->answered > 0) {
			/* in pair order, as the ports and hosts were found */
			if (in_scan) {
				if (scan->open_ports == NULL)
					scan->open_ports = g_array_new(FALSE, FALSE, sizeof(guint16));
				g_array_append_val(scan->open_ports, p->k.port);
			}
			if (in_sweep) {
				if (sweep->open_hosts == NULL)
					sweep->open_hosts = g_array_new(FALSE, FALSE, sizeof(ss_ip));
				g_array_append_val(sweep->open_hosts, p->k.server);
			}
		}
		if ((p->refused == 0 && p->unanswered == 0) || !(in_scan || in_sweep))
			continue;
		gkey k = p->k;
		memset(&k.client, 0, sizeof k.client);
		gboolean created;
		probe_acc *n = ss_oa_insert(&s->probes, &k, gkey_oa_hash(a, &k), sizeof k, sizeof *n,
					    &created);
		n->unanswered += p->unanswered;
		n->refused += p->refused;
	}
	g_free(cand_in);
	g_free(cand);
	g_free(at);
}

/* A copy of an unanswered / refused group without the scan probes; FALSE
 * when nothing is left. */
gboolean ss_findings_scans_fold(const ss_findings_scans *s, kind kd, const group *g, group *out)
{
	*out = *g;
	if (kd != K_UNANSWERED && kd != K_REFUSED)
		return TRUE;
	const probe_acc *n = ss_oa_find(&s->probes, &g->k, gkey_oa_hash(s->a, &g->k), sizeof g->k,
					sizeof *n);
	guint64 folded = n == NULL ? 0 : kd == K_UNANSWERED ? n->unanswered : n->refused;
	if (folded == 0)
		return TRUE;
	if (folded >= g->n)
		return FALSE;
	out->n = g->n - folded;
	/* the examples may show a probe: keep none rather than a wrong one */
	out->nex = 0;
	return TRUE;
}

/* The examples of a list of scans (or sweeps): for each, up to
 * SS_FINDING_EXAMPLES completed connections of its key, in the records'
 * order.  One pass over the records with the scans indexed by key: a pass
 * over every record for each scan made -F text take ~100 s of CPU on a
 * capture of a few thousand scans among 60 000 clients. */
typedef struct {
	guint n;
	const ss_conn *c[SS_FINDING_EXAMPLES];
} scan_examples;

SS_BYTES_KEY_FUNCS(gkey, gkey)

static void scan_examples_note(GHashTable *index, const gkey *k, scan_examples *ex,
			       const ss_conn *c)
{
	gpointer at = g_hash_table_lookup(index, k);
	if (at == NULL)
		return;
	scan_examples *e = &ex[GPOINTER_TO_UINT(at) - 1];
	if (e->n < SS_FINDING_EXAMPLES)
		e->c[e->n++] = c;
}

static scan_examples *scans_examples(const GPtrArray *scans, const GPtrArray *conns)
{
	scan_examples *ex = g_new0(scan_examples, scans->len);
	if (conns == NULL || conns->len == 0 || scans->len == 0)
		return ex;
	GHashTable *index = g_hash_table_new(gkey_hash, gkey_equal);
	for (guint i = 0; i < scans->len; i++) {
		const scan_acc *x = g_ptr_array_index(scans, i);
		g_hash_table_insert(index, (gpointer)&x->k, GUINT_TO_POINTER(i + 1));
	}
	for (guint i = 0; i < conns->len; i++) {
		const ss_conn *c = g_ptr_array_index(conns, i);
		if ((c->client != 0 && c->client != 1) || c->outcome != SS_OUTCOME_COMPLETE)
			continue;
		/* A key with a port matches the records to that port on any
		 * server; one without, the records to its server (a scan's
		 * key, scan_keys_of()). */
		gkey k;
		memset(&k, 0, sizeof k);
		k.vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
		k.proto = c->proto;
		k.family = c->family;
		k.client = *ss_conn_client_ip(c);
		k.server = *ss_conn_server_ip(c);
		scan_examples_note(index, &k, ex, c);
		memset(&k.server, 0, sizeof k.server);
		k.port = ss_conn_server_port(c);
		if (k.port != 0)
			scan_examples_note(index, &k, ex, c);
	}
	g_hash_table_destroy(index);
	return ex;
}

static void from_scan(GPtrArray *out, scan_acc *x, gboolean sweep, const scan_examples *e)
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
	guint nex = MIN(e->n, SS_FINDING_EXAMPLES);
	for (guint i = 0; i < nex; i++)
		ss_conn_copy(&ex[i], e->c[i]);
	ss_findings_set_examples(f, ex, nex, TRUE);
	g_free(cl);
	g_ptr_array_add(out, f);
}

/* The findings of the accumulators that are scans, by key (the whole key:
 * the order does not depend on the table's hash). */
static void from_scans(GPtrArray *out, const ss_oatable *t, gboolean sweep,
		       const GPtrArray *conns)
{
	GPtrArray *l = g_ptr_array_new();
	for (guint32 i = 0; i < t->len; i++)
		if (is_scan(scan_at(t, i)))
			g_ptr_array_add(l, scan_at(t, i));
	g_ptr_array_sort(l, cmp_scan);
	scan_examples *ex = scans_examples(l, conns);
	for (guint i = 0; i < l->len; i++)
		from_scan(out, g_ptr_array_index(l, i), sweep, &ex[i]);
	g_free(ex);
	g_ptr_array_unref(l);
}

/* Keeps only the accumulators that are scans (no open-port or host list
 * elsewhere): the tables hold one per candidate pair until now (under a
 * flood of probes, every pair: two tables of ~10 MB at the pairs' cap),
 * and the slow-handshake findings are made meanwhile on another thread
 * (app/stream-sink.c): with the tables alive to the end of the first step
 * the peak RSS rose by 6-15 MB on mixed.pcap and many-s.pcap, when every
 * pair had its accumulators. */
static void keep_scans(const ss_findings_scans *s, ss_oatable *t)
{
	ss_oatable kept;
	ss_oatable_init(&kept, sizeof(scan_acc), sizeof(gkey));
	for (guint32 i = 0; i < t->len; i++) {
		const scan_acc *x = scan_at(t, i);
		if (!is_scan(x))
			continue;
		gboolean created;
		scan_acc *y = ss_oa_insert(&kept, &x->k, gkey_oa_hash(s->a, &x->k), sizeof x->k,
					   sizeof *y, &created);
		*y = *x;
	}
	ss_oatable_clear(t);
	*t = kept;
}

ss_findings_scans *ss_findings_scans_find(const ss_findings_acc *a)
{
	ss_findings_scans *s = g_new0(ss_findings_scans, 1);
	s->a = a;
	ss_oatable_init(&s->scans, sizeof(scan_acc), sizeof(gkey));
	ss_oatable_init(&s->sweeps, sizeof(scan_acc), sizeof(gkey));
	ss_oatable_init(&s->probes, sizeof(probe_acc), sizeof(gkey));
	find_scans(a, s);
	keep_scans(s, &s->scans);
	keep_scans(s, &s->sweeps);
	return s;
}

void ss_findings_scans_report(GPtrArray *out, ss_findings_scans *s, const GPtrArray *conns)
{
	from_scans(out, &s->scans, FALSE, conns);
	from_scans(out, &s->sweeps, TRUE, conns);
}

/* Only scans hold arrays: no free per accumulator. */
static void scans_clear(ss_oatable *t)
{
	for (guint32 i = 0; i < t->len; i++) {
		scan_acc *x = scan_at(t, i);
		if (x->open_ports)
			g_array_unref(x->open_ports);
		if (x->open_hosts)
			g_array_unref(x->open_hosts);
	}
	ss_oatable_clear(t);
}

void ss_findings_scans_free(ss_findings_scans *s)
{
	scans_clear(&s->scans);
	scans_clear(&s->sweeps);
	ss_oatable_clear(&s->probes);
	g_free(s);
}
