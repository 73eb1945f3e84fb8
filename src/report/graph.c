/* The host/listener graph of the report model (report/model.h): server
 * hosts with their busiest listening sockets, the busiest client hosts, and
 * one edge per client host and listening socket it reached, with the
 * client's port range.  Built once from the report; dot and html draw it,
 * neither owns it.  What is not drawn is counted (omitted_*). */
#include <netinet/in.h>
#include <string.h>

#include "report/model.h"
#include "sockscope/listeners.h"
#include "sockscope/util.h"

/* A host is an address in a virtual network: two tenants' 10.0.0.9 behind
 * VXLAN 42 and 43 are two nodes (zero vnet when not tunnelled). */
typedef struct {
	ss_vnet vnet;
	ss_ip ip;
	guint8 family;
	guint8 zero[3];
} host_key;
G_STATIC_ASSERT(sizeof(host_key) == sizeof(ss_vnet) + sizeof(ss_ip) + 4);

SS_BYTES_KEY_FUNCS(host, host_key)

SS_BYTES_KEY_FUNCS(lkey, ss_listener_key)

/* By family, address, then virtual network (none first): a plain
 * capture's hosts keep their order. */
static int cmp_addr(guint8 fa, const ss_ip *a, const ss_vnet *va, guint8 fb, const ss_ip *b,
		    const ss_vnet *vb)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	int d = memcmp(a, b, sizeof(ss_ip));
	if (d != 0)
		return d < 0 ? -1 : 1;
	return ss_vnet_cmp(va, vb);
}

static gint cmp_server_busy(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_server *a = pa, *b = pb;
	if (a->conns != b->conns)
		return a->conns > b->conns ? -1 : 1;
	return cmp_addr(a->family, &a->ip, &a->vnet, b->family, &b->ip, &b->vnet);
}

static gint cmp_server_addr(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_server *a = pa, *b = pb;
	return cmp_addr(a->family, &a->ip, &a->vnet, b->family, &b->ip, &b->vnet);
}

static gint cmp_client_busy(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_client *a = pa, *b = pb;
	if (a->conns != b->conns)
		return a->conns > b->conns ? -1 : 1;
	return cmp_addr(a->family, &a->ip, &a->vnet, b->family, &b->ip, &b->vnet);
}

static gint cmp_client_addr(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_client *a = pa, *b = pb;
	return cmp_addr(a->family, &a->ip, &a->vnet, b->family, &b->ip, &b->vnet);
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

/* Clients by index into the array in `data`: busiest first, then by
 * address (a total order: the chosen ones never depend on the sort). */
static gint cmp_client_busy_idx(gconstpointer pa, gconstpointer pb, gpointer data)
{
	const GArray *clients = data;
	return cmp_client_busy(&g_array_index(clients, ss_graph_client, *(const guint *)pa),
			       &g_array_index(clients, ss_graph_client, *(const guint *)pb));
}

static gint cmp_client_addr_idx(gconstpointer pa, gconstpointer pb, gpointer data)
{
	const GArray *clients = data;
	return cmp_client_addr(&g_array_index(clients, ss_graph_client, *(const guint *)pa),
			       &g_array_index(clients, ss_graph_client, *(const guint *)pb));
}

/* Edges busiest first, then in drawing order. */
static gint cmp_edge_busy(gconstpointer pa, gconstpointer pb)
{
	const ss_graph_edge *a = pa, *b = pb;
	if (a->conns != b->conns)
		return a->conns > b->conns ? -1 : 1;
	return cmp_edge(pa, pb);
}

static host_key client_key(const ss_conn *c)
{
	host_key hk;
	memset(&hk, 0, sizeof hk);
	hk.vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
	hk.family = c->family;
	hk.ip = *ss_conn_client_ip(c);
	return hk;
}

/* Where a decided record's listening socket is drawn (server, row); FALSE
 * when it is not drawn or the record reached no listener (no decided
 * client, roles unknown: ss_conn_reaches_listener). */
static gboolean drawn_socket(GHashTable *where, const ss_conn *c, guint *srv, guint *row)
{
	if (!ss_conn_reaches_listener(c))
		return FALSE;
	ss_listener_key k = ss_listener_key_of_conn(c);
	gpointer w;
	if (!g_hash_table_lookup_extended(where, &k, NULL, &w))
		return FALSE;
	*srv = (GPOINTER_TO_UINT(w) - 1) >> 8;
	*row = (GPOINTER_TO_UINT(w) - 1) & 0xff;
	return TRUE;
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
		hk.vnet = l->vnet;
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
			s.vnet = l->vnet;
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
			ss_listener_key k = ss_listener_key_make(l->proto, l->family, &l->ip,
								 l->port, &l->vnet);
			g_hash_table_insert(where, g_memdup2(&k, sizeof k),
					    GUINT_TO_POINTER((s << 8 | j) + 1));
		}
	}

	/* Client hosts, counted over the records that reached a drawn
	 * listening socket; then only the drawn clients get edges.  Drawing
	 * aggregates first, so the edge table holds at most
	 * SS_GRAPH_MAX_CLIENTS x the drawn sockets whatever the number of
	 * clients, and every step is linear in the records.  (The edges of
	 * every client used to go into a GHashTable keyed by a 64-bit
	 * client<<32|socket number, whose g_int64_hash put all clients of one
	 * socket in one bucket: quadratic, 38 s for 100k clients.) */
	GArray *clients = g_array_new(FALSE, TRUE, sizeof(ss_graph_client));
	GHashTable *client_idx = g_hash_table_new_full(host_hash, host_equal, g_free, NULL);
	guint nc = r->conns ? r->conns->len : 0;
	for (guint i = 0; i < nc; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		guint srv, row;
		if (!drawn_socket(where, c, &srv, &row))
			continue;
		host_key hk = client_key(c);
		gpointer v;
		guint ci;
		if (g_hash_table_lookup_extended(client_idx, &hk, NULL, &v)) {
			ci = GPOINTER_TO_UINT(v) - 1;
		} else {
			ss_graph_client nc0 = { 0 };
			nc0.family = c->family;
			nc0.ip = *ss_conn_client_ip(c);
			nc0.vnet = hk.vnet;
			g_array_append_val(clients, nc0);
			ci = clients->len - 1;
			g_hash_table_insert(client_idx, g_memdup2(&hk, sizeof hk),
					    GUINT_TO_POINTER(ci + 1));
		}
		g_array_index(clients, ss_graph_client, ci).conns++;
	}

	/* keep the busiest clients, drawn by address */
	GArray *pick = g_array_sized_new(FALSE, FALSE, sizeof(guint), clients->len);
	for (guint i = 0; i < clients->len; i++)
		g_array_append_val(pick, i);
	g_array_sort_with_data(pick, cmp_client_busy_idx, clients);
	guint keep = MIN(clients->len, SS_GRAPH_MAX_CLIENTS);
	g->omitted_clients = clients->len - keep;
	g_array_set_size(pick, keep);
	g_array_sort_with_data(pick, cmp_client_addr_idx, clients);
	guint *order = g_new(guint, clients->len + 1);
	for (guint i = 0; i < clients->len; i++)
		order[i] = G_MAXUINT;
	for (guint j = 0; j < keep; j++) {
		guint ci = g_array_index(pick, guint, j);
		order[ci] = j;
		g_array_append_val(g->clients, g_array_index(clients, ss_graph_client, ci));
	}
	g_array_unref(pick);

	/* The drawn clients' edges in a dense table over (client, server,
	 * row), whose order is also the drawing order. */
	guint ns = g->servers->len;
	gsize cells = (gsize)keep * ns * SS_GRAPH_MAX_ROWS;
	ss_graph_edge *dense = g_new0(ss_graph_edge, cells + 1);
	for (guint i = 0; keep > 0 && i < nc; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		guint srv, row;
		if (!drawn_socket(where, c, &srv, &row))
			continue;
		host_key hk = client_key(c);
		guint ci = GPOINTER_TO_UINT(g_hash_table_lookup(client_idx, &hk)) - 1;
		guint j = order[ci];
		if (j == G_MAXUINT)
			continue;
		guint16 port = ss_conn_client_port(c);
		ss_graph_edge *e = &dense[((gsize)j * ns + srv) * SS_GRAPH_MAX_ROWS + row];
		if (e->conns == 0) {
			e->client = j;
			e->server = srv;
			e->row = row;
			e->port_min = e->port_max = port;
		}
		e->conns++;
		e->port_min = MIN(e->port_min, port);
		e->port_max = MAX(e->port_max, port);
	}
	for (gsize k = 0; k < cells; k++)
		if (dense[k].conns > 0)
			g_array_append_val(g->edges, dense[k]);
	g_free(dense);
	g_free(order);
	g_hash_table_unref(where);
	g_hash_table_unref(client_idx);
	g_array_unref(clients);

	/* At most SS_GRAPH_MAX_EDGES lines: the busiest, drawn in order. */
	if (g->edges->len > SS_GRAPH_MAX_EDGES) {
		g_array_sort(g->edges, cmp_edge_busy);
		g->omitted_edges = g->edges->len - SS_GRAPH_MAX_EDGES;
		g_array_set_size(g->edges, SS_GRAPH_MAX_EDGES);
		g_array_sort(g->edges, cmp_edge);
	}
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

char *ss_graph_omitted_text(const ss_graph *g)
{
	if (!g->omitted_servers && !g->omitted_rows && !g->omitted_clients && !g->omitted_edges)
		return NULL;
	GString *b = g_string_new(NULL);
	g_string_append_printf(b, "%" G_GUINT64_FORMAT " server hosts, %" G_GUINT64_FORMAT
			       " listening sockets, %" G_GUINT64_FORMAT " client hosts",
			       g->omitted_servers, g->omitted_rows, g->omitted_clients);
	if (g->omitted_edges)
		g_string_append_printf(b, ", %" G_GUINT64_FORMAT " client-socket lines",
				       g->omitted_edges);
	return g_string_free(b, FALSE);
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
	GString *b = g_string_new(NULL);
	g_string_append_printf(b, "%s/%u%s%s, ", l->proto == IPPROTO_TCP ? "tcp" : "udp",
			       (unsigned)l->port, l->service ? " " : "",
			       l->service ? l->service : "");
	g_string_append_printf(b, "%s (%" G_GUINT64_FORMAT " conn%s)",
			       ss_listener_state_name(l->state), l->connections,
			       l->connections == 1 ? "" : "s");
	return g_string_free(b, FALSE);
}

char *ss_graph_vnet_text(const ss_vnet *v)
{
	if (v->type == SS_TUNNEL_NONE)
		return NULL;
	GString *b = g_string_new(NULL);
	ss_vnet_append(b, v);
	return g_string_free(b, FALSE);
}
