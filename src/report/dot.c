/* --format dot: the report model's host graph (report/graph.c) as a
 * Graphviz digraph with one node per host (an address in a virtual
 * network: two tenants' 10.0.0.9 are two nodes), its listening sockets as ports
 * of an HTML-like table, and an edge from each client host to each
 * listening socket it reached, labelled with the client's ports. */
#include <string.h>

#include "report/model.h"
#include "report/out.h"
#include "sockscope/render.h"
#include "sockscope/util.h"

/* Text inside an HTML-like label: printable ASCII, & < > " ' as
 * entities, every other byte '?'. */
static void dot_html(GString *b, const char *s)
{
	ss_html_escape_append(b, s, TRUE);
}

/* A quoted dot string: only printable ASCII, " and \ escaped. */
static void dot_quoted(GString *b, const char *s)
{
	g_string_append_c(b, '"');
	for (const guchar *p = (const guchar *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(b, '\\');
		g_string_append_c(b, *p < 0x20 || *p >= 0x7f ? '?' : (char)*p);
	}
	g_string_append_c(b, '"');
}

/* Behind a tunnel, the node's virtual network under its address: one
 * address in two tenants is two nodes, told apart by this line. */
static void vnet_line(GString *b, const ss_vnet *v)
{
	char *t = ss_graph_vnet_text(v);
	if (t == NULL)
		return;
	g_string_append(b, "<br/>");
	dot_html(b, t);
	g_free(t);
}

gboolean ss_render_dot(const ss_report *r, FILE *out)
{
	ss_graph *g = ss_graph_build(r);
	GString *b = g_string_sized_new(8192);
	char ip[SS_IP_STRLEN];

	g_string_append(b, "// sockscope: hosts, their listening sockets and the clients that\n"
			"// connected to them; edge labels are the clients' ports (count)\n"
			"digraph sockscope {\n"
			"  graph [rankdir=LR, fontname=\"Helvetica\", nodesep=0.3, ranksep=1.5];\n"
			"  node [shape=plaintext, fontname=\"Helvetica\", fontsize=10];\n"
			"  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
	char *omitted = ss_graph_omitted_text(g);
	if (omitted != NULL)
		g_string_append_printf(b, "  label=\"not drawn: %s (the least busy)\";\n", omitted);
	g_free(omitted);
	for (guint i = 0; i < g->clients->len; i++) {
		const ss_graph_client *c = &g_array_index(g->clients, ss_graph_client, i);
		ss_ip_format(c->family, &c->ip, ip);
		g_string_append_printf(b, "  c%u [label=<<table border=\"1\" cellborder=\"0\" "
				       "cellspacing=\"0\" cellpadding=\"4\" bgcolor=\"#eef3fb\"><tr><td>"
				       "<b>", i);
		dot_html(b, ip);
		g_string_append(b, "</b>");
		vnet_line(b, &c->vnet);
		g_string_append_printf(b, "</td></tr><tr><td>client, %" G_GUINT64_FORMAT
				       " conn%s</td></tr></table>>];\n", c->conns,
				       c->conns == 1 ? "" : "s");
	}
	for (guint i = 0; i < g->servers->len; i++) {
		const ss_graph_server *s = &g_array_index(g->servers, ss_graph_server, i);
		ss_ip_format(s->family, &s->ip, ip);
		g_string_append_printf(b, "  s%u [label=<<table border=\"1\" cellborder=\"1\" "
				       "cellspacing=\"0\" cellpadding=\"4\" bgcolor=\"#f4f8ee\"><tr><td>"
				       "<b>", i);
		dot_html(b, ip);
		g_string_append(b, "</b>");
		vnet_line(b, &s->vnet);
		g_string_append(b, "</td></tr>");
		for (guint j = 0; j < s->rows->len; j++) {
			const ss_listener *l = &g_array_index(r->listeners, ss_listener,
							      g_array_index(s->rows, guint, j));
			char *lab = ss_graph_row_label(l);
			g_string_append_printf(b, "<tr><td port=\"p%u\" align=\"left\">", j);
			dot_html(b, lab);
			g_string_append(b, "</td></tr>");
			g_free(lab);
		}
		g_string_append(b, "</table>>];\n");
	}
	for (guint i = 0; i < g->edges->len; i++) {
		const ss_graph_edge *e = &g_array_index(g->edges, ss_graph_edge, i);
		char *lab = ss_graph_edge_label(e);
		g_string_append_printf(b, "  c%u -> s%u:p%u [label=", e->client, e->server, e->row);
		dot_quoted(b, lab);
		g_string_append(b, "];\n");
		g_free(lab);
	}
	g_string_append(b, "}\n");

	ss_graph_free(g);
	return ss_out_finish(b, out, TRUE);
}
