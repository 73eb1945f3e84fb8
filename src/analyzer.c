/* The analysis pipeline: decode -> flow lookup -> connection tracking, and
 * at the end: roles and outcomes -> listener roll-up -> sorted report. */
#include "sockscope/analyzer.h"
#include "conn-track.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>

struct ss_analyzer {
	ss_analyzer_config cfg;
	ss_flow_table *table;
	GPtrArray *conns;          /* every record, in creation order; owns them */
	ss_summary summary;
	ss_input *input;           /* the current input */
	gboolean sub_us_seen;      /* a timestamp that is not a whole microsecond */
	guint64 next_seq;
};

void ss_analyzer_config_init(ss_analyzer_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	/* Longer than any TIME_WAIT (Linux 60 s, Windows up to 240 s). */
	cfg->reuse_idle_ns = G_GINT64_CONSTANT(300) * G_TIME_SPAN_SECOND * 1000;
}

static void input_free(gpointer p)
{
	ss_input *in = p;
	g_free(in->name);
	g_free(in->link_name);
	g_free(in->error);
	g_free(in);
}

ss_analyzer *ss_analyzer_new(const ss_analyzer_config *cfg)
{
	ss_analyzer *a = g_new0(ss_analyzer, 1);
	if (cfg)
		a->cfg = *cfg;
	else
		ss_analyzer_config_init(&a->cfg);
	guint64 k0 = a->cfg.hash_seed, k1 = a->cfg.hash_seed ^ 0x9e3779b97f4a7c15ULL;
	if (k0 == 0) {
		k0 = ((guint64)g_random_int() << 32) | g_random_int();
		k1 = ((guint64)g_random_int() << 32) | g_random_int();
	}
	a->table = ss_flow_table_new(k0, k1);
	a->conns = g_ptr_array_new_with_free_func(g_free);
	a->summary.inputs = g_ptr_array_new_with_free_func(input_free);
	a->summary.warnings = g_ptr_array_new_with_free_func(g_free);
	a->summary.first_ns = a->summary.last_ns = SS_NO_TIME;
	return a;
}

void ss_analyzer_free(ss_analyzer *a)
{
	if (!a)
		return;
	ss_flow_table_free(a->table);
	if (a->conns)
		g_ptr_array_unref(a->conns);
	if (a->summary.inputs)
		g_ptr_array_unref(a->summary.inputs);
	if (a->summary.warnings)
		g_ptr_array_unref(a->summary.warnings);
	g_free(a);
}

ss_input *ss_analyzer_begin_input(ss_analyzer *a, const char *name, int dlt,
				  const char *link_name, gboolean nanosecond)
{
	ss_input *in = g_new0(ss_input, 1);
	in->name = g_strdup(name);
	in->dlt = dlt;
	in->link_name = g_strdup(link_name ? link_name : "unknown");
	in->nanosecond = nanosecond;
	g_ptr_array_add(a->summary.inputs, in);
	a->input = in;
	return in;
}

void ss_analyzer_warn(ss_analyzer *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_ptr_array_add(a->summary.warnings, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static ss_conn *new_conn(ss_analyzer *a, const ss_flow_key *key, int src_key_side,
			 const ss_packet *p)
{
	ss_conn *c = g_new(ss_conn, 1);
	ss_conn_init(c, key, src_key_side, p);
	c->seq = a->next_seq++;
	g_ptr_array_add(a->conns, c);
	return c;
}

static void track_transport(ss_analyzer *a, const ss_packet *p)
{
	ss_flow_key key;
	int src_key_side = ss_flow_key_make(&key, p->family, p->ip_proto, &p->src, p->sport,
					    &p->dst, p->dport);
	ss_conn *c = ss_flow_table_lookup(a->table, &key);
	if (!c) {
		c = new_conn(a, &key, src_key_side, p);
		ss_flow_table_insert(a->table, c);
	} else {
		ss_reuse cause;
		int side = ss_conn_side(c, src_key_side);
		if (p->l4 == SS_L4_TCP &&
		    ss_conn_tcp_starts_new(c, side, p, a->cfg.reuse_idle_ns, &cause)) {
			ss_conn *old = c;
			c = new_conn(a, &key, src_key_side, p);
			c->reuse = cause;
			c->reuse_index = old->reuse_index + 1;
			ss_flow_table_replace(a->table, c);
		}
	}
	ss_conn_update(c, ss_conn_side(c, src_key_side), p);
}

static void track_icmp_error(ss_analyzer *a, const ss_packet *p)
{
	const ss_icmp_quote *q = &p->icmp;
	ss_flow_key key;
	int src_key_side = ss_flow_key_make(&key, q->family, q->proto, &q->src, q->sport,
					    &q->dst, q->dport);
	ss_conn *c = ss_flow_table_lookup(a->table, &key);
	if (!c) {
		a->summary.icmp_errors_unmatched++;
		return;
	}
	a->summary.icmp_errors_matched++;
	ss_conn_icmp_error(c, ss_conn_side(c, src_key_side), p);
}

void ss_analyzer_packet(ss_analyzer *a, gint64 ts_ns, const guint8 *data,
			guint32 caplen, guint32 wirelen)
{
	ss_summary *s = &a->summary;
	s->packets++;
	s->bytes += wirelen;
	s->captured_bytes += caplen;
	if (s->first_ns == SS_NO_TIME || ts_ns < s->first_ns)
		s->first_ns = ts_ns;
	if (s->last_ns == SS_NO_TIME || ts_ns > s->last_ns)
		s->last_ns = ts_ns;
	if (a->input) {
		a->input->packets++;
		if (ts_ns % 1000 != 0)
			a->input->nanosecond = TRUE;
	}
	if (ts_ns % 1000 != 0)
		a->sub_us_seen = TRUE;

	ss_packet p;
	ss_reason r = ss_decode(a->input ? a->input->dlt : -1, data, caplen, wirelen, &p);
	s->reasons[r]++;
	if (r != SS_REASON_OK)
		return;
	p.ts_ns = ts_ns;
	ss_analyzer_decoded(a, &p);
}

void ss_analyzer_decoded(ss_analyzer *a, const ss_packet *p)
{
	a->summary.decoded++;
	switch (p->l4) {
	case SS_L4_TCP:
	case SS_L4_UDP:
		track_transport(a, p);
		break;
	case SS_L4_ICMP_ERROR:
		track_icmp_error(a, p);
		break;
	default:
		break;
	}
}

/* ---- the end of the capture ---- */

static gint64 conn_first_ns(const ss_conn *c)
{
	gint64 a = c->ep[0].first_ns, b = c->ep[1].first_ns;
	if (a == SS_NO_TIME)
		return b;
	if (b == SS_NO_TIME)
		return a;
	return MIN(a, b);
}

static gint cmp_conn(gconstpointer pa, gconstpointer pb)
{
	const ss_conn *a = *(ss_conn *const *)pa, *b = *(ss_conn *const *)pb;
	gint64 ta = conn_first_ns(a), tb = conn_first_ns(b);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

typedef struct {
	guint8 proto, family;
	guint16 port;
	ss_ip ip;
} listener_key;

static guint listener_key_hash(gconstpointer p)
{
	const listener_key *k = p;
	guint h = k->proto * 31u + k->family;
	h = h * 65599u + k->port;
	for (gsize i = 0; i < sizeof k->ip.bytes; i++)
		h = h * 31u + k->ip.bytes[i];
	return h;
}

static gboolean listener_key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(listener_key)) == 0;
}

static guint ip_hash(gconstpointer p)
{
	const ss_ip *ip = p;
	guint h = 5381;
	for (gsize i = 0; i < sizeof ip->bytes; i++)
		h = h * 33u + ip->bytes[i];
	return h;
}

static gboolean ip_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(ss_ip)) == 0;
}

static gint cmp_listener(gconstpointer pa, gconstpointer pb)
{
	const ss_listener *a = pa, *b = pb;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->ip.bytes, b->ip.bytes, sizeof a->ip.bytes);
	if (c != 0)
		return c;
	return (a->port > b->port) - (a->port < b->port);
}

static gboolean outcome_answered(ss_outcome o)
{
	return o == SS_OUTCOME_COMPLETE || o == SS_OUTCOME_INCOMPLETE ||
	       o == SS_OUTCOME_MIDSTREAM || o == SS_OUTCOME_ANSWERED;
}

typedef struct {
	ss_listener l;
	GHashTable *clients;   /* ss_ip* set */
} listener_acc;

static void listener_acc_free(gpointer p)
{
	listener_acc *acc = p;
	g_hash_table_destroy(acc->clients);
	g_free(acc);
}

static GArray *roll_up_listeners(GPtrArray *conns)
{
	GHashTable *by_key = g_hash_table_new_full(listener_key_hash, listener_key_equal,
						   g_free, listener_acc_free);
	for (guint i = 0; i < conns->len; i++) {
		const ss_conn *c = g_ptr_array_index(conns, i);
		/* Both ends of a simultaneous open connected: nobody listened. */
		if (c->outcome == SS_OUTCOME_SIMULTANEOUS)
			continue;
		const ss_endpoint *sv = ss_conn_server(c), *cl = ss_conn_client(c);
		listener_key k;
		memset(&k, 0, sizeof k);
		k.proto = c->proto;
		k.family = c->family;
		k.port = sv->port;
		k.ip = sv->ip;
		listener_acc *acc = g_hash_table_lookup(by_key, &k);
		if (!acc) {
			acc = g_new0(listener_acc, 1);
			acc->clients = g_hash_table_new_full(ip_hash, ip_equal, g_free, NULL);
			acc->l.proto = c->proto;
			acc->l.family = c->family;
			acc->l.ip = sv->ip;
			acc->l.port = sv->port;
			acc->l.state = SS_LISTENER_FILTERED;
			acc->l.confidence = c->confidence;
			acc->l.first_ns = acc->l.last_ns = SS_NO_TIME;
			acc->l.service = ss_service_name(c->proto, sv->port);
			g_hash_table_insert(by_key, g_memdup2(&k, sizeof k), acc);
		}
		ss_listener *l = &acc->l;
		l->connections++;
		l->outcomes[c->outcome]++;
		l->confidence = MAX(l->confidence, c->confidence);
		if (outcome_answered(c->outcome))
			l->state = SS_LISTENER_OPEN;
		else if (c->outcome == SS_OUTCOME_REJECTED && l->state != SS_LISTENER_OPEN)
			l->state = SS_LISTENER_CLOSED;
		gint64 first = conn_first_ns(c);
		gint64 last = MAX(c->ep[0].last_ns, c->ep[1].last_ns);
		if (l->first_ns == SS_NO_TIME || first < l->first_ns)
			l->first_ns = first;
		if (l->last_ns == SS_NO_TIME || last > l->last_ns)
			l->last_ns = last;
		if (!g_hash_table_contains(acc->clients, &cl->ip))
			g_hash_table_add(acc->clients, g_memdup2(&cl->ip, sizeof cl->ip));
	}

	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(ss_listener),
					g_hash_table_size(by_key));
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, by_key);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		listener_acc *acc = value;
		acc->l.clients = g_hash_table_size(acc->clients);
		g_array_append_val(out, acc->l);
	}
	g_hash_table_destroy(by_key);
	g_array_sort(out, cmp_listener);
	return out;
}

ss_report *ss_analyzer_finish(ss_analyzer *a)
{
	ss_report *r = g_new0(ss_report, 1);
	for (guint i = 0; i < a->conns->len; i++) {
		ss_conn *c = g_ptr_array_index(a->conns, i);
		ss_conn_finalize(c);
		if (c->proto == IPPROTO_TCP)
			a->summary.tcp_connections++;
		else
			a->summary.udp_exchanges++;
		if (c->reuse != SS_REUSE_NONE)
			a->summary.reused_tuples++;
	}
	g_ptr_array_sort(a->conns, cmp_conn);
	r->listeners = roll_up_listeners(a->conns);
	a->summary.listeners = r->listeners->len;
	a->summary.nanosecond = a->sub_us_seen;

	r->conns = a->conns;
	a->conns = NULL;
	r->summary = a->summary;
	memset(&a->summary, 0, sizeof a->summary);
	ss_flow_table_free(a->table);
	a->table = NULL;
	a->input = NULL;
	return r;
}
