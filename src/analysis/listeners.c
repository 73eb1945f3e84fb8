/* The listener roll-up (sockscope/listeners.h): one accumulator per
 * listening socket, keyed by protocol, family, address, port and the
 * virtual network (tunnel type and VNI) it lives in, with the
 * distinct client addresses in an inline IP set (capped, and said so). */
#include "sockscope/listeners.h"
#include "sockscope/ipset.h"
#include "sockscope/hash.h"
#include "sockscope/services.h"

#include <string.h>

SS_BYTES_KEY_FUNCS(listener_key, ss_listener_key)

/* Here rather than in report/: the states are the roll-up's, and layers
 * below the formats (compare/drift.c) name them too. */
const char *ss_listener_state_name(ss_listener_state s)
{
	switch (s) {
	case SS_LISTENER_OPEN:
		return "open";
	case SS_LISTENER_CLOSED:
		return "closed";
	case SS_LISTENER_FILTERED:
		return "filtered";
	}
	return "unknown";
}

gint ss_listener_cmp(gconstpointer pa, gconstpointer pb)
{
	const ss_listener *a = pa, *b = pb;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->ip.bytes, b->ip.bytes, sizeof a->ip.bytes);
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	/* Last, so a capture without tunnels keeps its order. */
	return ss_vnet_cmp(&a->vnet, &b->vnet);
}

static gboolean outcome_answered(ss_outcome o)
{
	return o == SS_OUTCOME_COMPLETE || o == SS_OUTCOME_INCOMPLETE ||
	       o == SS_OUTCOME_MIDSTREAM || o == SS_OUTCOME_ANSWERED;
}

typedef struct {
	ss_listener l;
	ss_ip_set clients;
} listener_acc;

static void listener_acc_free(gpointer p)
{
	listener_acc *acc = p;
	ss_ip_set_clear(&acc->clients);
	g_free(acc);
}

struct ss_listeners {
	GHashTable *by_key;    /* ss_listener_key* -> listener_acc* */
};

ss_listeners *ss_listeners_new(void)
{
	ss_listeners *ls = g_new0(ss_listeners, 1);
	ls->by_key = g_hash_table_new_full(listener_key_hash, listener_key_equal, g_free,
					   listener_acc_free);
	return ls;
}

void ss_listeners_free(ss_listeners *ls)
{
	if (!ls)
		return;
	g_hash_table_destroy(ls->by_key);
	g_free(ls);
}

ss_listeners *ss_listeners_copy(const ss_listeners *src)
{
	ss_listeners *ls = ss_listeners_new();
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, src->by_key);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const listener_acc *from = value;
		listener_acc *acc = g_new0(listener_acc, 1);
		acc->l = from->l;
		ss_ip_set_copy(&acc->clients, &from->clients);
		g_hash_table_insert(ls->by_key, g_memdup2(key, sizeof(ss_listener_key)), acc);
	}
	return ls;
}

void ss_listeners_add(ss_listeners *ls, const ss_conn *c)
{
	/* Both ends of a simultaneous open connected: nobody listened. */
	if (c->outcome == SS_OUTCOME_SIMULTANEOUS)
		return;
	const ss_endpoint *sv = ss_conn_server(c), *cl = ss_conn_client(c);
	ss_listener_key k = ss_listener_key_of_conn(c);
	listener_acc *acc = g_hash_table_lookup(ls->by_key, &k);
	if (!acc) {
		acc = g_new0(listener_acc, 1);
		acc->l.proto = c->proto;
		acc->l.family = c->family;
		acc->l.ip = sv->ip;
		acc->l.port = sv->port;
		acc->l.vnet = k.vnet;
		acc->l.state = SS_LISTENER_FILTERED;
		acc->l.confidence = c->confidence;
		acc->l.first_ns = acc->l.last_ns = SS_NO_TIME;
		acc->l.service = ss_service_name(c->proto, sv->port);
		g_hash_table_insert(ls->by_key, g_memdup2(&k, sizeof k), acc);
	}
	ss_listener *l = &acc->l;
	l->connections++;
	l->outcomes[c->outcome]++;
	l->confidence = MAX(l->confidence, c->confidence);
	if (outcome_answered(c->outcome))
		l->state = SS_LISTENER_OPEN;
	else if (c->outcome == SS_OUTCOME_REJECTED && l->state != SS_LISTENER_OPEN)
		l->state = SS_LISTENER_CLOSED;
	gint64 first, last;
	ss_conn_span(c, &first, &last);
	if (l->first_ns == SS_NO_TIME || first < l->first_ns)
		l->first_ns = first;
	if (l->last_ns == SS_NO_TIME || c->last_ns > l->last_ns)
		l->last_ns = c->last_ns;
	if (ss_ip_set_size(&acc->clients) < SS_LISTENER_MAX_CLIENTS)
		ss_ip_set_add(&acc->clients, &cl->ip);
	else if (!ss_ip_set_contains(&acc->clients, &cl->ip))
		l->clients_capped = TRUE;
}

GArray *ss_listeners_take(ss_listeners *ls)
{
	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(ss_listener),
					g_hash_table_size(ls->by_key));
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, ls->by_key);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		listener_acc *acc = value;
		acc->l.clients = ss_ip_set_size(&acc->clients);
		g_array_append_val(out, acc->l);
	}
	g_hash_table_remove_all(ls->by_key);
	g_array_sort(out, ss_listener_cmp);
	return out;
}
