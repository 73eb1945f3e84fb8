/* The --interval view (report/live-view.c) drawn from a snapshot report
 * built by hand: it needs no analyzer and no capture, so what it prints is
 * checked directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockscope/live-view.h"
#include "sockscope/report.h"
#include "sockscope/tunnels.h"

static ss_ip ip6(const char *text)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	assert_int_equal(inet_pton(AF_INET6, text, ip.bytes), 1);
	return ip;
}

static ss_ip ip4(const char *text)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	assert_int_equal(inet_pton(AF_INET, text, ip.bytes), 1);
	return ip;
}

static ss_report *snapshot(guint8 family, ss_ip client, ss_ip server)
{
	ss_report *r = g_new0(ss_report, 1);
	r->summary.inputs = g_ptr_array_new();
	r->summary.warnings = g_ptr_array_new();
	r->conns = g_ptr_array_new();
	r->listeners = g_array_new(FALSE, TRUE, sizeof(ss_listener));

	ss_listener l = { 0 };
	l.proto = IPPROTO_TCP;
	l.family = family;
	l.ip = server;
	l.port = 443;
	l.connections = 1;
	l.clients = 1;
	g_array_append_val(r->listeners, l);

	ss_conn *c = g_new0(ss_conn, 1);
	c->proto = IPPROTO_TCP;
	c->family = family;
	c->client = 0;
	ss_conn_set_ends(c, client, 51000, server, 443);
	g_ptr_array_add(r->conns, c);
	return r;
}

/* One view into memory (not a terminal: the appended form). */
static char *view(const ss_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	ss_live_view *v = ss_live_view_new(out);
	assert_int_equal(ss_live_view_since(v), 0);
	ss_live_stats stats = { TRUE, 10, 2, 0 };
	ss_live_view_refresh(v, r, 7, "lo", &stats);
	assert_int_equal(ss_live_view_since(v), 7);
	ss_live_view_free(v);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* An IPv6 endpoint is written in brackets ("[2001:db8::1]:443"), as
 * everywhere else in sockscope: without them the port reads as one more
 * group of the address. */
static void test_ipv6_brackets(void **state)
{
	(void)state;
	ss_report *r = snapshot(SS_FAMILY_IPV6, ip6("2001:db8::2"), ip6("2001:db8::1"));
	char *got = view(r);
	if (strstr(got, "[2001:db8::1]:443") == NULL || strstr(got, "[2001:db8::2]:51000") == NULL)
		fail_msg("IPv6 endpoints without brackets:\n%s", got);
	free(got);
	ss_report_free(r);
}

static void test_ipv4_and_header(void **state)
{
	(void)state;
	ss_report *r = snapshot(SS_FAMILY_IPV4, ip4("192.0.2.2"), ip4("192.0.2.1"));
	char *got = view(r);
	assert_non_null(strstr(got, "sockscope live on lo, "));
	assert_non_null(strstr(got, "; kernel: 10 received, 2 dropped"));
	assert_non_null(strstr(got, "Listening sockets: 1\n"));
	assert_non_null(strstr(got, " 192.0.2.1:443 "));
	assert_non_null(strstr(got, " 192.0.2.2:51000 "));
	assert_null(strchr(got, '['));
	free(got);
	ss_report_free(r);
}

/* A snapshot with tunnel records lists them as the final report does;
 * one without has no Tunnels block at all. */
static void test_tunnels(void **state)
{
	(void)state;
	ss_report *r = snapshot(SS_FAMILY_IPV4, ip4("10.0.0.2"), ip4("10.0.0.1"));
	char *got = view(r);
	assert_null(strstr(got, "Tunnels"));
	free(got);
	r->tunnels = g_array_new(FALSE, TRUE, sizeof(ss_tunnel_flow));
	ss_tunnel_flow f = { 0 };
	f.vnet.type = SS_TUNNEL_VXLAN;
	f.vnet.has_vni = 1;
	f.vnet.vni = 42;
	f.family = SS_FAMILY_IPV4;
	f.src = ip4("192.0.2.1");
	f.dst = ip4("192.0.2.2");
	f.packets = 40;
	f.connections = 4;
	g_array_append_val(r->tunnels, f);
	ss_tunnel_flow m = { 0 };
	m.vnet.type = SS_TUNNEL_MPLS;
	m.vnet.has_vni = 1;
	m.vnet.vni = 100;
	m.packets = 3;
	m.connections = 1;
	g_array_append_val(r->tunnels, m);
	got = view(r);
	assert_non_null(strstr(got, "\nTunnels: 2\n"));
	if (strstr(got, "vxlan 42") == NULL || strstr(got, "192.0.2.1 - 192.0.2.2") == NULL ||
	    strstr(got, "mpls 100") == NULL || strstr(got, "on the link") == NULL)
		fail_msg("tunnel rows missing:\n%s", got);
	free(got);
	ss_report_free(r);
}

static guint count(const char *hay, const char *needle)
{
	guint n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Two tenants' 192.0.2.1:443 behind VXLAN 42 and 43 are two listeners and
 * two connections: the view names each one's tunnel (issue 12), not twice
 * the same bare address. */
static void test_tunnels_named(void **state)
{
	(void)state;
	ss_report *r = snapshot(SS_FAMILY_IPV4, ip4("192.0.2.2"), ip4("192.0.2.1"));
	ss_listener l = g_array_index(r->listeners, ss_listener, 0);
	ss_conn *c = g_ptr_array_index(r->conns, 0);
	ss_conn *c2 = g_new(ss_conn, 1);
	*c2 = *c;
	c->tail = c2->tail = SS_CONN_TAIL_TUNNEL;
	c->tail_tunnel.type = c2->tail_tunnel.type = SS_TUNNEL_VXLAN;
	c->tail_tunnel.has_vni = c2->tail_tunnel.has_vni = 1;
	c->tail_tunnel.vni = 42;
	c2->tail_tunnel.vni = 43;
	c2->seq = 1;
	g_ptr_array_add(r->conns, c2);
	g_array_index(r->listeners, ss_listener, 0).vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
	l.vnet = ss_tunnel_vnet(ss_conn_tunnel(c2));
	g_array_append_val(r->listeners, l);
	char *got = view(r);
	/* each tenant's listener row and connection row */
	if (count(got, "  192.0.2.1:443 (vxlan 42)  ") != 2 ||
	    count(got, "  192.0.2.1:443 (vxlan 43)  ") != 2)
		fail_msg("tenants' listeners or connections without their tunnel:\n%s", got);
	free(got);
	ss_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_and_header),
		cmocka_unit_test(test_ipv6_brackets),
		cmocka_unit_test(test_tunnels),
		cmocka_unit_test(test_tunnels_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
