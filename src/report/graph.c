/* The host/listener graph of the report model (report/model.h): server
 * hosts with their busiest listening sockets, the busiest client hosts, and
 * one edge per client host and listening socket it reached, with the
 * client's port range.  Built once from the report; dot and html draw it,
 * neither owns it.  What is not drawn is counted (omitted_*). */
#include <netinet/in.h>
#include <string.h>

#include "report/model.h"
#include "sockscope/util.h"

typedef struct {
	guint8 family;
	ss_ip ip;
	guint8 zero[3];
} host_key;

SS_BYTES_KEY_FUNCS(host, host_key)

typedef struct {
	guint8 proto, family;
	guint16 port;
	ss_ip ip;
} lkey;

SS_BYTES_KEY_FUNCS(lkey, lkey)

static int cmp_addr(guint8 fa, const ss_ip *a, guint8 fb, const ss_ip *b)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	int d = memcmp(a, b, sizeof(ss_ip));
	return d < 0 ? -1 : d > 0;
}

static gint cmp_server_busy(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_server *a = pa, *b = pb;
	if (a->conns != b->conns)
		return a->conns > b->conns ? -1 : 1;
	return cmp_addr(a->family, &a->ip, b->family, &b->ip);
}

static gint cmp_server_addr(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_server *a = pa, *b = pb;
	return cmp_addr(a->family, &a->ip, b->family, &b->ip);
}

static gint cmp_client_busy(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_client *a = pa, *b = pb;
	if (a->conns != b->conns)
		return a->conns > b->conns ? -1 : 1;
	return cmp_addr(a->family, &a->ip, b->family, &b->ip);
}

static gint cmp_client_addr(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_client *a = pa, *b = pb;
	return cmp_addr(a->family, &a->ip, b->family, &b->ip);
}

static gint cmp_edge(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_edge *a = pa, *b = pb;
	if (a->client != b->client)
		return a->client < b->client ? -1 : 1;
	if (a->server != b->server)
		return a->server < b->server ? -1 : 1;
	return a->row < b->row ? -1 : a->row > b->row;
}

/* Listener rows of one server host, busiest first, then in listener order. */
static gint cmp_row_busy(gconstpointer pa, gconstpointer pb, gpointer data)
{
	const GArray *sort_listeners = data;
	guint a = *(const guint *)pa, b = *(const guint *)pb;
	const ss_listener *la = &g_array_index(sort_listeners, ss_listener, a);
	const ss_listener *lb = &g_array_index(sort_listeners, ss_listener, b);
	if (la->connections != lb->connections)
		return la->connections > lb->connections ? -1 : 1;
	return a < b ? -1 : a > b;
}

static gint cmp_guint(gconstpointer pa, gconstpointer pb)
{
	guint a = *(const guint *)pa, b = *(const guint *)pb;
	return a < b ? -1 : a > b;
}

ss_graph *ss_graph_build(const ss_report *r)
{
	ss_graph *g = g_new0(ss_graph, 1);
	g->servers = g_array_new(FALSE, TRUE, sizeof(ss_graph_server));
	g->clients = g_array_new(FALSE, TRUE, sizeof(ss_graph_client));
	g->edges = g_array_new(FALSE, TRUE, sizeof(ss_graph_edge));
	guint nl = r->listeners ? r->listeners->len : 0;

	/* every server host with its listening sockets */
	GArray *all = g_array_new(FALSE, TRUE, sizeof(ss_graph_server));
	GHashTable *by_host = g_hash_table_new_full(host_hash, host_equal, g_free, NULL);
	for (guint i = 0; i < nl; i++) {
		const ss_listener *l = &g_array_index(r->listeners, ss_listener, i);
		host_key hk;
		memset(&hk, 0, sizeof hk);
		hk.family = l->family;
		hk.ip = l->ip;
		gpointer v;
		guint idx;
		if (g_hash_table_lookup_extended(by_host, &hk, NULL, &v)) {
			idx = GPOINTER_TO_UINT(v) - 1;
		} else {
			ss_graph_server s = { 0 };
			s.family = l->family;
			s.ip = l->ip;
			s.rows = g_array_new(FALSE, FALSE, sizeof(guint));
			g_array_append_val(all, s);
			idx = all->len - 1;
			g_hash_table_insert(by_host, g_memdup2(&hk, sizeof hk), GUINT_TO_POINTER(idx + 1));
		}
		ss_graph_server *s = &g_array_index(all, ss_graph_server, idx);
		s->conns += l->connections;
		g_array_append_val(s->rows, i);
	}
	g_hash_table_unref(by_host);
	/* keep the busiest hosts and, per host, its busiest sockets */
	g_array_sort(all, cmp_server_busy);
	for (guint i = 0; i < all->len; i++) {
		ss_graph_server *s = &g_array_index(all, ss_graph_server, i);
		if (i >= SS_GRAPH_MAX_SERVERS) {
			g->omitted_servers++;
			g->omitted_rows += s->rows->len;
			g_array_unref(s->rows);
			continue;
		}
		if (s->rows->len > SS_GRAPH_MAX_ROWS) {
			g_array_sort_with_data(s->rows, cmp_row_busy, r->listeners);
			g->omitted_rows += s->rows->len - SS_GRAPH_MAX_ROWS;
			g_array_set_size(s->rows, SS_GRAPH_MAX_ROWS);
			g_array_sort(s->rows, cmp_guint);
		}
		g_array_append_val(g->servers, *s);
	}
	g_array_unref(all);
	g_array_sort(g->servers, cmp_server_addr);

	/* listener index -> (server, row) of what is drawn */
	GHashTable *where = g_hash_table_new_full(lkey_hash, lkey_equal, g_free, NULL);
	for (guint s = 0; s < g->servers->len; s++) {
		const ss_graph_server *sv = &g_array_index(g->servers, ss_graph_server, s);
		for (guint j = 0; j < sv->rows->len; j++) {
			const ss_listener *l = &g_array_index(r->listeners, ss_listener,
							      g_array_index(sv->rows, guint, j));
			lkey k;
			memset(&k, 0, sizeof k);
			k.proto = l->proto;
			k.family = l->family;
			k.port = l->port;
			k.ip = l->ip;
			g_hash_table_insert(where, g_memdup2(&k, sizeof k),
					    GUINT_TO_POINTER((s << 8 | j) + 1));
		}
	}

	/* client hosts and edges, from the records */
	GArray *clients = g_array_new(FALSE, TRUE, sizeof(ss_graph_client));
	GHashTable *client_idx = g_hash_table_new_full(host_hash, host_equal, g_free, NULL);
	GArray *edges = g_array_new(FALSE, TRUE, sizeof(ss_graph_edge));
	GHashTable *edge_idx = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	guint nc = r->conns ? r->conns->len : 0;
	for (guint i = 0; i < nc; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		if (c->client != 0 && c->client != 1)
			continue;
		const ss_endpoint *cl = ss_conn_client(c), *sv = ss_conn_server(c);
		lkey k;
		memset(&k, 0, sizeof k);
		k.proto = c->proto;
		k.family = c->family;
		k.port = sv->port;
		k.ip = sv->ip;
		gpointer w;
		if (!g_hash_table_lookup_extended(where, &k, NULL, &w))
			continue;
		guint srv = (GPOINTER_TO_UINT(w) - 1) >> 8, row = (GPOINTER_TO_UINT(w) - 1) & 0xff;
		host_key hk;
		memset(&hk, 0, sizeof hk);
		hk.family = c->family;
		hk.ip = cl->ip;
		gpointer v;
		guint ci;
		if (g_hash_table_lookup_extended(client_idx, &hk, NULL, &v)) {
			ci = GPOINTER_TO_UINT(v) - 1;
		} else {
			ss_graph_client nc0 = { 0 };
			nc0.family = c->family;
			nc0.ip = cl->ip;
			g_array_append_val(clients, nc0);
			ci = clients->len - 1;
			g_hash_table_insert(client_idx, g_memdup2(&hk, sizeof hk),
					    GUINT_TO_POINTER(ci + 1));
		}
		g_array_index(clients, ss_graph_client, ci).conns++;
		gint64 ek = ((gint64)ci << 32) | (srv << 8) | row;
		guint ei;
		if (g_hash_table_lookup_extended(edge_idx, &ek, NULL, &v)) {
			ei = GPOINTER_TO_UINT(v) - 1;
		} else {
			ss_graph_edge e = { 0 };
			e.client = ci;
			e.server = srv;
			e.row = row;
			e.port_min = e.port_max = cl->port;
			g_array_append_val(edges, e);
			ei = edges->len - 1;
			g_hash_table_insert(edge_idx, g_memdup2(&ek, sizeof ek), GUINT_TO_POINTER(ei + 1));
		}
		ss_graph_edge *e = &g_array_index(edges, ss_graph_edge, ei);
		e->conns++;
		e->port_min = MIN(e->port_min, cl->port);
		e->port_max = MAX(e->port_max, cl->port);
	}
	g_hash_table_unref(where);
	g_hash_table_unref(client_idx);
	g_hash_table_unref(edge_idx);

	/* keep the busiest clients, drawn by address; renumber the edges */
	guint *order = g_new(guint, clients->len + 1);
	GArray *tmp = g_array_copy(clients);
	g_array_sort(tmp, cmp_client_busy);
	for (guint i = 0; i < tmp->len; i++) {
		if (i < SS_GRAPH_MAX_CLIENTS)
			g_array_append_val(g->clients, g_array_index(tmp, ss_graph_client, i));
		else
			g->omitted_clients++;
	}
	g_array_unref(tmp);
	g_array_sort(g->clients, cmp_client_addr);
	for (guint i = 0; i < clients->len; i++) {
		const ss_graph_client *c = &g_array_index(clients, ss_graph_client, i);
		order[i] = G_MAXUINT;
		for (guint j = 0; j < g->clients->len; j++) {
			const ss_graph_client *d = &g_array_index(g->clients, ss_graph_client, j);
			if (c->family == d->family && memcmp(&c->ip, &d->ip, sizeof(ss_ip)) == 0) {
				order[i] = j;
				break;
			}
		}
	}
	for (guint i = 0; i < edges->len; i++) {
		ss_graph_edge e = g_array_index(edges, ss_graph_edge, i);
		if (order[e.client] == G_MAXUINT) {
			g->omitted_edges++;
			continue;
		}
		e.client = order[e.client];
		g_array_append_val(g->edges, e);
	}
	g_array_sort(g->edges, cmp_edge);
	g_free(order);
	g_array_unref(clients);
	g_array_unref(edges);
	return g;
}

void ss_graph_free(ss_graph *g)
{
	if (g == NULL)
		return;
	for (guint i = 0; i < g->servers->len; i++)
		g_array_unref(g_array_index(g->servers, ss_graph_server, i).rows);
	g_array_unref(g->servers);
	g_array_unref(g->clients);
	g_array_unref(g->edges);
	g_free(g);
}

char *ss_graph_edge_label(const ss_graph_edge *e)
{
	if (e->conns == 1)
		return g_strdup_printf("%u", (unsigned)e->port_min);
	if (e->port_min == e->port_max)
		return g_strdup_printf("%u (%" G_GUINT64_FORMAT ")", (unsigned)e->port_min, e->conns);
	return g_strdup_printf("%u-%u (%" G_GUINT64_FORMAT ")", (unsigned)e->port_min,
			       (unsigned)e->port_max, e->conns);
}

char *ss_graph_row_label(const ss_listener *l)
{
	return g_strdup_printf("%s/%u%s%s, %s (%" G_GUINT64_FORMAT " conn%s)",
			       l->proto == IPPROTO_TCP ? "tcp" : "udp", (unsigned)l->port,
			       l->service ? " " : "", l->service ? l->service : "",
			       ss_listener_state_name(l->state), l->connections,
			       l->connections == 1 ? "" : "s");
}
