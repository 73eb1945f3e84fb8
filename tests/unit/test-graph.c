/* The report model's host graph (report/graph.c): what it keeps when there
 * is more than it draws, built from a hand-made report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "report/model.h"
#include "scenario.h"


static void add_conn(ss_report *r, ss_ip client, guint16 cport, ss_ip server, guint16 sport)
{
	ss_conn *c = g_new0(ss_conn, 1);
	c->proto = IPPROTO_TCP;
	c->family = SS_FAMILY_IPV4;
	c->client = 0;
	ss_conn_set_ends(c, client, cport, server, sport);
	g_ptr_array_add(r->conns, c);
}

/* 30 clients, each reaching 2 servers x 8 listening sockets: 24 clients
 * and 24 x 16 = 384 lines between them would be drawn; the graph keeps the
 * 200 busiest lines and says how many it left out. */
static void test_caps(void **state)
{
	(void)state;
	ss_report *r = g_new0(ss_report, 1);
	r->conns = g_ptr_array_new();
	r->listeners = g_array_new(FALSE, TRUE, sizeof(ss_listener));
	for (guint s = 0; s < 2; s++)
		for (guint p = 0; p < 8; p++) {
			ss_listener l = { 0 };
			l.proto = IPPROTO_TCP;
			l.family = SS_FAMILY_IPV4;
			l.ip = sc_ip4(10, 0, 0, (guint8)(s + 1));
			l.port = (guint16)(8000 + p);
			l.connections = 30;
			g_array_append_val(r->listeners, l);
		}
	for (guint c = 0; c < 30; c++)
		for (guint s = 0; s < 2; s++)
			for (guint p = 0; p < 8; p++)
				add_conn(r, sc_ip4(192, 0, 2, (guint8)(c + 1)), (guint16)(40000 + c),
					 sc_ip4(10, 0, 0, (guint8)(s + 1)), (guint16)(8000 + p));
	/* the busiest line of all: client 192.0.2.30 to 10.0.0.2:8007, 3 more */
	for (guint k = 0; k < 3; k++)
		add_conn(r, sc_ip4(192, 0, 2, 30), 50000, sc_ip4(10, 0, 0, 2), 8007);

	ss_graph *g = ss_graph_build(r);
	assert_int_equal(g->servers->len, 2);
	assert_int_equal(g->clients->len, SS_GRAPH_MAX_CLIENTS);
	assert_int_equal(g->omitted_clients, 30 - SS_GRAPH_MAX_CLIENTS);
	assert_int_equal(g->edges->len, SS_GRAPH_MAX_EDGES);
	assert_int_equal(g->omitted_edges, 24 * 16 - SS_GRAPH_MAX_EDGES);
	/* the busiest client is drawn, and so is its busiest line */
	gboolean busiest = FALSE;
	for (guint i = 0; i < g->edges->len; i++) {
		const ss_graph_edge *e = &g_array_index(g->edges, ss_graph_edge, i);
		if (i > 0) {
			const ss_graph_edge *p = &g_array_index(g->edges, ss_graph_edge, i - 1);
			/* drawn in (client, server, row) order */
			assert_true(p->client < e->client ||
				    (p->client == e->client && (p->server < e->server ||
				     (p->server == e->server && p->row < e->row))));
		}
		if (e->conns == 4) {
			busiest = TRUE;
			assert_int_equal(e->port_min, 40029);
			assert_int_equal(e->port_max, 50000);
		}
	}
	assert_true(busiest);
	char *text = ss_graph_omitted_text(g);
	assert_string_equal(text, "0 server hosts, 0 listening sockets, 6 client hosts, "
			    "184 client-socket lines");
	g_free(text);
	ss_graph_free(g);
	ss_report_free(r);
}

static void test_nothing_omitted(void **state)
{
	(void)state;
	ss_report *r = g_new0(ss_report, 1);
	r->conns = g_ptr_array_new();
	r->listeners = g_array_new(FALSE, TRUE, sizeof(ss_listener));
	ss_listener l = { 0 };
	l.proto = IPPROTO_TCP;
	l.family = SS_FAMILY_IPV4;
	l.ip = sc_ip4(10, 0, 0, 1);
	l.port = 80;
	l.connections = 2;
	g_array_append_val(r->listeners, l);
	add_conn(r, sc_ip4(192, 0, 2, 1), 40000, sc_ip4(10, 0, 0, 1), 80);
	add_conn(r, sc_ip4(192, 0, 2, 1), 40002, sc_ip4(10, 0, 0, 1), 80);
	ss_graph *g = ss_graph_build(r);
	assert_int_equal(g->clients->len, 1);
	assert_int_equal(g->edges->len, 1);
	const ss_graph_edge *e = &g_array_index(g->edges, ss_graph_edge, 0);
	char *lab = ss_graph_edge_label(e);
	assert_string_equal(lab, "40000-40002 (2)");
	g_free(lab);
	assert_null(ss_graph_omitted_text(g));
	ss_graph_free(g);
	ss_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_omitted),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
