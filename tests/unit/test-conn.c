/* Connection tracking through the analyzer: TCP state transitions, roles,
 * outcomes, close states, tuple reuse, ICMP errors, UDP, listeners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "sockscope/analyzer.h"
#include "sockscope/util.h"

#define MS G_GINT64_CONSTANT(1000000)
#define T0 (G_GINT64_CONSTANT(1767225600) * 1000000000)  /* 2026-01-01T00:00:00Z */

enum { C = 0, S = 1 };   /* who sends: the client or the server */

typedef struct {
	ss_analyzer *a;
	ss_ip ip[2];
	guint16 port[2];
	guint8 proto;
} scenario;

static ss_ip ip4(guint8 a, guint8 b, guint8 c, guint8 d)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.bytes[0] = a;
	ip.bytes[1] = b;
	ip.bytes[2] = c;
	ip.bytes[3] = d;
	return ip;
}

static void start(scenario *sc, guint8 proto, guint16 cport, guint16 sport)
{
	ss_services_use_system(FALSE);
	sc->a = ss_analyzer_new(NULL);
	sc->ip[C] = ip4(10, 0, 0, 1);
	sc->ip[S] = ip4(10, 0, 0, 2);
	sc->port[C] = cport;
	sc->port[S] = sport;
	sc->proto = proto;
}

static ss_packet base(const scenario *sc, int from, gint64 ms)
{
	ss_packet p;
	memset(&p, 0, sizeof p);
	p.ts_ns = T0 + ms * MS;
	p.family = SS_FAMILY_IPV4;
	p.ip_proto = sc->proto;
	p.src = sc->ip[from];
	p.dst = sc->ip[!from];
	p.sport = sc->port[from];
	p.dport = sc->port[!from];
	return p;
}

static void tcp(scenario *sc, int from, gint64 ms, guint8 flags, guint32 seq, guint32 payload)
{
	ss_packet p = base(sc, from, ms);
	p.l4 = SS_L4_TCP;
	p.tcp.flags = flags;
	p.tcp.window = 65535;   /* a zero window is a Zeek history letter (W) */
	p.tcp.seq = seq;
	p.payload_len = payload;
	p.ip_len = 40 + payload;
	ss_analyzer_decoded(sc->a, &p);
}

static void udp(scenario *sc, int from, gint64 ms, guint32 payload)
{
	ss_packet p = base(sc, from, ms);
	p.l4 = SS_L4_UDP;
	p.payload_len = payload;
	p.ip_len = 28 + payload;
	ss_analyzer_decoded(sc->a, &p);
}

/* An ICMP error sent by the server's host about a packet the client sent. */
static void icmp_about_client(scenario *sc, gint64 ms, guint8 type, guint8 code)
{
	ss_packet p = base(sc, S, ms);
	p.l4 = SS_L4_ICMP_ERROR;
	p.ip_proto = IPPROTO_ICMP;
	p.icmp.type = type;
	p.icmp.code = code;
	p.icmp.family = SS_FAMILY_IPV4;
	p.icmp.proto = sc->proto;
	p.icmp.src = sc->ip[C];
	p.icmp.dst = sc->ip[S];
	p.icmp.sport = sc->port[C];
	p.icmp.dport = sc->port[S];
	ss_analyzer_decoded(sc->a, &p);
}

static ss_report *finish(scenario *sc)
{
	ss_report *r = ss_analyzer_finish(sc->a);
	ss_analyzer_free(sc->a);
	sc->a = NULL;
	return r;
}

static const ss_conn *conn_at(const ss_report *r, guint i)
{
	assert_true(i < r->conns->len);
	return g_ptr_array_index(r->conns, i);
}

static void assert_roles(const scenario *sc, const ss_conn *c)
{
	assert_memory_equal(ss_conn_client_ip(c), &sc->ip[C], sizeof(ss_ip));
	assert_int_equal(ss_conn_client_port(c), sc->port[C]);
	assert_memory_equal(ss_conn_server_ip(c), &sc->ip[S], sizeof(ss_ip));
	assert_int_equal(ss_conn_server_port(c), sc->port[S]);
}

static void history_is(const ss_conn *c, const char *want)
{
	char h[SS_HISTORY_MAX + 2];
	gsize n = ss_conn_zeek_history(c, h, sizeof h);
	assert_string_equal(h, want);
	assert_int_equal(n, strlen(want));
}

enum { SYN = SS_TCP_SYN, ACK = SS_TCP_ACK, FIN = SS_TCP_FIN, RST = SS_TCP_RST, PSH = SS_TCP_PSH };

static void test_complete_fin(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40000, 80);
	tcp(&sc, C, 0, SYN, 1000, 0);
	tcp(&sc, S, 2, SYN | ACK, 5000, 0);
	tcp(&sc, C, 5, ACK, 1001, 0);
	tcp(&sc, C, 6, ACK | PSH, 1001, 100);
	tcp(&sc, S, 7, ACK | PSH, 5001, 300);
	tcp(&sc, C, 8, FIN | ACK, 1101, 0);
	tcp(&sc, S, 9, FIN | ACK, 5301, 0);
	tcp(&sc, C, 10, ACK, 1102, 0);
	ss_report *r = finish(&sc);
	assert_int_equal(r->conns->len, 1);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	assert_int_equal(c->outcome, SS_OUTCOME_COMPLETE);
	assert_int_equal(c->close, SS_CLOSE_FIN);
	assert_int_equal(c->evidence, SS_EVIDENCE_SYN);
	assert_int_equal(c->confidence, SS_CONFIDENCE_HIGH);
	assert_string_equal(ss_conn_zeek_state(c), "SF");
	history_is(c, "ShADdFf");
	assert_int_equal(ss_conn_syn_to_synack_ns(c), 2 * MS);
	assert_int_equal(ss_conn_synack_to_ack_ns(c), 3 * MS);
	assert_int_equal(ss_conn_client(c)->packets, 5);
	assert_int_equal(ss_conn_server(c)->packets, 3);
	assert_int_equal(ss_conn_client(c)->payload, 100);
	assert_int_equal(ss_conn_server(c)->payload, 300);
	assert_int_equal(ss_conn_tcp_part(c)->syn_retransmits, 0);
	assert_int_equal(r->listeners->len, 1);
	const ss_listener *l = &g_array_index(r->listeners, ss_listener, 0);
	assert_int_equal(l->state, SS_LISTENER_OPEN);
	assert_int_equal(l->port, 80);
	assert_int_equal(l->clients, 1);
	assert_int_equal(l->outcomes[SS_OUTCOME_COMPLETE], 1);
	ss_report_free(r);
}

/* A SYN-ACK that the file holds before its SYN must not flip the roles. */
static void test_synack_before_syn(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40000, 8080);
	tcp(&sc, S, 1, SYN | ACK, 5000, 0);
	tcp(&sc, C, 0, SYN, 1000, 0);
	tcp(&sc, C, 2, ACK, 1001, 0);
	ss_report *r = finish(&sc);
	assert_int_equal(r->conns->len, 1);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	assert_int_equal(c->outcome, SS_OUTCOME_COMPLETE);
	assert_int_equal(c->evidence, SS_EVIDENCE_SYN);
	assert_int_equal(c->close, SS_CLOSE_OPEN);
	assert_string_equal(ss_conn_zeek_state(c), "S1");
	history_is(c, "^hSA");
	ss_report_free(r);
}

static void test_rejected_by_rst(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40001, 9);
	tcp(&sc, C, 0, SYN, 7, 0);
	tcp(&sc, S, 1, RST | ACK, 0, 0);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	assert_int_equal(c->outcome, SS_OUTCOME_REJECTED);
	assert_int_equal(c->close, SS_CLOSE_NONE);
	assert_string_equal(ss_conn_zeek_state(c), "REJ");
	history_is(c, "Sr");
	const ss_listener *l = &g_array_index(r->listeners, ss_listener, 0);
	assert_int_equal(l->state, SS_LISTENER_CLOSED);
	ss_report_free(r);
}

static void test_unanswered_with_retransmits(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40002, 7070);
	tcp(&sc, C, 0, SYN, 99, 0);
	tcp(&sc, C, 1000, SYN, 99, 0);
	tcp(&sc, C, 3000, SYN, 99, 0);
	ss_report *r = finish(&sc);
	assert_int_equal(r->conns->len, 1);
	const ss_conn *c = conn_at(r, 0);
	assert_int_equal(c->outcome, SS_OUTCOME_UNANSWERED);
	assert_int_equal(ss_conn_tcp_part(c)->syn_retransmits, 2);
	/* the back-off between the copies: 1 s, then 2 s */
	assert_int_equal(ss_conn_syn_gap_ns(c, 0), 1000 * MS);
	assert_int_equal(ss_conn_syn_gap_ns(c, 1), 2000 * MS);
	assert_string_equal(ss_conn_zeek_state(c), "S0");
	assert_int_equal(ss_conn_syn_to_synack_ns(c), SS_NO_TIME);
	const ss_listener *l = &g_array_index(r->listeners, ss_listener, 0);
	assert_int_equal(l->state, SS_LISTENER_FILTERED);
	ss_report_free(r);
}

static void test_incomplete_repeated_synack(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40003, 443);
	tcp(&sc, C, 0, SYN, 1, 0);
	tcp(&sc, S, 1, SYN | ACK, 50, 0);
	tcp(&sc, S, 1001, SYN | ACK, 50, 0);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_int_equal(c->outcome, SS_OUTCOME_INCOMPLETE);
	assert_int_equal(ss_conn_tcp_part(c)->synack_retransmits, 1);
	assert_int_equal(c->close, SS_CLOSE_NONE);
	assert_int_equal(ss_conn_synack_to_ack_ns(c), SS_NO_TIME);
	ss_report_free(r);
}

static void test_synack_only_one_sided(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 50000, 33000);
	tcp(&sc, S, 0, SYN | ACK, 50, 0);
	tcp(&sc, S, 5, ACK | PSH, 51, 1000);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	assert_int_equal(c->outcome, SS_OUTCOME_COMPLETE);
	assert_int_equal(c->evidence, SS_EVIDENCE_SYN_ACK);
	assert_int_equal(c->confidence, SS_CONFIDENCE_HIGH);
	ss_report_free(r);
}

static void test_simultaneous_open(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 6000, 6001);
	tcp(&sc, C, 0, SYN, 100, 0);
	tcp(&sc, S, 1, SYN, 900, 0);
	tcp(&sc, C, 2, SYN | ACK, 100, 0);
	tcp(&sc, S, 3, SYN | ACK, 900, 0);
	ss_report *r = finish(&sc);
	assert_int_equal(r->conns->len, 1);
	const ss_conn *c = conn_at(r, 0);
	assert_int_equal(c->outcome, SS_OUTCOME_SIMULTANEOUS);
	assert_int_equal(c->evidence, SS_EVIDENCE_SIMULTANEOUS);
	assert_int_equal(c->client, 0);
	assert_int_equal(r->listeners->len, 0);   /* nobody listened */
	ss_report_free(r);
}

static void test_midstream_service_port(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40010, 80);
	tcp(&sc, S, 0, ACK | PSH, 7, 500);    /* the server happens to speak first */
	tcp(&sc, C, 1, ACK, 9, 0);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	assert_int_equal(c->outcome, SS_OUTCOME_MIDSTREAM);
	assert_int_equal(c->evidence, SS_EVIDENCE_SERVICE_PORT);
	assert_int_equal(c->confidence, SS_CONFIDENCE_MEDIUM);
	assert_string_equal(ss_conn_zeek_state(c), "OTH");
	ss_report_free(r);
}

static void test_midstream_lower_port(void **state)
{
	(void)state;
	scenario sc;
	/* 6000 lies in no OS default ephemeral range (45000 and 33333 would
	 * both be Linux's: roles unknown, test-roles.c) */
	start(&sc, IPPROTO_TCP, 45000, 6000);
	tcp(&sc, C, 0, ACK, 7, 10);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	assert_int_equal(c->evidence, SS_EVIDENCE_LOWER_PORT);
	assert_int_equal(c->confidence, SS_CONFIDENCE_LOW);
	ss_report_free(r);
}

static void test_reuse_after_rst(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40020, 8080);
	tcp(&sc, C, 0, SYN, 1000, 0);
	tcp(&sc, S, 1, SYN | ACK, 5000, 0);
	tcp(&sc, C, 2, ACK, 1001, 0);
	tcp(&sc, C, 3, RST | ACK, 1001, 0);
	tcp(&sc, C, 100, SYN, 777777, 0);   /* new ISN, same port */
	tcp(&sc, S, 101, SYN | ACK, 8888, 0);
	tcp(&sc, C, 102, ACK, 777778, 0);
	ss_report *r = finish(&sc);
	assert_int_equal(r->conns->len, 2);
	const ss_conn *first = conn_at(r, 0), *second = conn_at(r, 1);
	assert_int_equal(first->close, SS_CLOSE_RST_CLIENT);
	assert_string_equal(ss_conn_zeek_state(first), "RSTO");
	assert_int_equal(first->reuse, SS_REUSE_NONE);
	assert_int_equal(second->reuse, SS_REUSE_AFTER_RST);
	assert_int_equal(ss_conn_reuse_index(second), 1);
	assert_int_equal(second->outcome, SS_OUTCOME_COMPLETE);
	assert_int_equal(r->summary.reused_tuples, 1);
	const ss_listener *l = &g_array_index(r->listeners, ss_listener, 0);
	assert_int_equal(l->connections, 2);
	assert_int_equal(l->clients, 1);
	ss_report_free(r);
}

/* TIME_WAIT reuse: the client closed with FIN both ways and connects again
 * from the same port with a new ISN within the 60 s of TIME_WAIT. */
static void test_reuse_after_fin_time_wait(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40021, 8080);
	tcp(&sc, C, 0, SYN, 1000, 0);
	tcp(&sc, S, 1, SYN | ACK, 5000, 0);
	tcp(&sc, C, 2, ACK, 1001, 0);
	tcp(&sc, C, 3, FIN | ACK, 1001, 0);
	tcp(&sc, S, 4, FIN | ACK, 5001, 0);
	tcp(&sc, C, 5, ACK, 1002, 0);
	tcp(&sc, C, 20000, SYN, 900000, 0);   /* 20 s later: inside TIME_WAIT */
	tcp(&sc, S, 20001, SYN | ACK, 6000, 0);
	tcp(&sc, C, 20002, ACK, 900001, 0);
	ss_report *r = finish(&sc);
	assert_int_equal(r->conns->len, 2);
	assert_int_equal(conn_at(r, 0)->close, SS_CLOSE_FIN);
	assert_int_equal(conn_at(r, 1)->reuse, SS_REUSE_AFTER_FIN);
	assert_string_equal(ss_reuse_name(conn_at(r, 1)->reuse), "after_fin");
	/* a retransmitted SYN of the new connection is not another reuse */
	ss_report_free(r);
}

/* Capture quality: a one-sided TCP record that started mid-stream, with a
 * packet cut by the snap length. */
static void test_quality_one_sided(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40022, 443);
	ss_packet p = base(&sc, C, 0);
	p.l4 = SS_L4_TCP;
	p.tcp.flags = ACK | PSH;
	p.payload_len = 1400;
	p.payload_cut = TRUE;
	p.ip_len = 1440;
	ss_analyzer_decoded(sc.a, &p);
	tcp(&sc, C, 1, ACK, 1, 0);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_true(ss_conn_one_sided(c));
	assert_true(ss_conn_started_midstream(c));
	assert_int_equal(c->snaplen_cut, 1);
	assert_int_equal(r->summary.quality.one_sided, 1);
	assert_int_equal(r->summary.quality.started_midstream, 1);
	ss_report_free(r);
}

static void test_rejected_by_icmp(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_TCP, 40030, 25);
	tcp(&sc, C, 0, SYN, 1, 0);
	icmp_about_client(&sc, 1, 3, 13);   /* administratively prohibited */
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_int_equal(c->outcome, SS_OUTCOME_REJECTED);
	assert_int_equal(c->icmp_errors, 1);
	assert_int_equal(c->icmp_code, 13);
	assert_int_equal(r->summary.icmp_errors_matched, 1);
	ss_report_free(r);
}

static void test_udp_answered_service(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_UDP, 51000, 53);
	udp(&sc, C, 0, 30);
	udp(&sc, S, 1, 90);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	assert_int_equal(c->outcome, SS_OUTCOME_ANSWERED);
	assert_int_equal(c->evidence, SS_EVIDENCE_SERVICE_PORT);
	assert_string_equal(ss_conn_zeek_state(c), "SF");
	history_is(c, "Dd");
	ss_report_free(r);
}

static void test_udp_first_sender(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_UDP, 51001, 40999);
	udp(&sc, C, 0, 30);
	udp(&sc, S, 1, 30);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	/* both spoke: the addressed port replied */
	assert_int_equal(c->evidence, SS_EVIDENCE_REPLY_FROM_PORT);
	assert_int_equal(c->confidence, SS_CONFIDENCE_MEDIUM);
	ss_report_free(r);
}

static void test_udp_port_unreachable(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_UDP, 51002, 5999);
	udp(&sc, C, 0, 10);
	icmp_about_client(&sc, 1, 3, 3);
	ss_report *r = finish(&sc);
	const ss_conn *c = conn_at(r, 0);
	assert_roles(&sc, c);
	assert_int_equal(c->outcome, SS_OUTCOME_REJECTED);
	assert_int_equal(c->evidence, SS_EVIDENCE_ICMP_UNREACHABLE);
	assert_int_equal(c->confidence, SS_CONFIDENCE_HIGH);
	const ss_listener *l = &g_array_index(r->listeners, ss_listener, 0);
	assert_int_equal(l->state, SS_LISTENER_CLOSED);
	ss_report_free(r);
}

static void test_unmatched_icmp_counted(void **state)
{
	(void)state;
	scenario sc;
	start(&sc, IPPROTO_UDP, 51003, 6000);
	icmp_about_client(&sc, 0, 3, 3);
	ss_report *r = finish(&sc);
	assert_int_equal(r->conns->len, 0);
	assert_int_equal(r->summary.icmp_errors_unmatched, 1);
	ss_report_free(r);
}

/* ss_conn_sort_first: by first packet, then seq, as ss_conn_cmp_first
 * orders them, records given in a shuffled order: runs of equal first
 * packets of 1, 2, 31, 32 and 200 records (insertion-sorted below 32,
 * radix-sorted from 32 on), records with no packet (SS_NO_TIME first),
 * times before 1970, and seqs not in time order. */
static void test_sort_first_ties(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(5);
	const guint runs[] = { 1, 2, 31, 32, 200, 1, 3 };
	const gint64 times[] = { 5, 7, -3, 9, 1, 8, 0 };
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	guint64 seq = 1000;
	for (guint k = 0; k < G_N_ELEMENTS(runs); k++) {
		for (guint i = 0; i < runs[k]; i++) {
			ss_conn *c = g_new0(ss_conn, 1);
			c->seq = seq -= 1 + g_rand_int_range(r, 0, 3);
			c->ep[0].first_ns = c->ep[1].first_ns = SS_NO_TIME;
			if (k != G_N_ELEMENTS(runs) - 2) {   /* that run: no packet */
				c->ep[0].packets = 1;
				c->ep[0].first_ns = times[k] * 1000000000 + (k == 6 ? (gint64)i : 0);
			}
			g_ptr_array_add(v, c);
		}
	}
	for (guint i = v->len - 1; i > 0; i--) {
		guint j = (guint)g_rand_int_range(r, 0, (gint32)i + 1);
		gpointer x = v->pdata[i];
		v->pdata[i] = v->pdata[j];
		v->pdata[j] = x;
	}
	GPtrArray *ref = g_ptr_array_copy(v, NULL, NULL);
	g_ptr_array_set_free_func(ref, NULL);   /* v owns the records */
	g_ptr_array_sort(ref, ss_conn_cmp_first);
	ss_conn_sort_first(v);
	for (guint i = 0; i < v->len; i++)
		assert_ptr_equal(v->pdata[i], ref->pdata[i]);
	g_ptr_array_unref(ref);
	g_ptr_array_unref(v);
	g_rand_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_fin),
		cmocka_unit_test(test_synack_before_syn),
		cmocka_unit_test(test_rejected_by_rst),
		cmocka_unit_test(test_unanswered_with_retransmits),
		cmocka_unit_test(test_incomplete_repeated_synack),
		cmocka_unit_test(test_synack_only_one_sided),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_midstream_service_port),
		cmocka_unit_test(test_midstream_lower_port),
		cmocka_unit_test(test_reuse_after_rst),
		cmocka_unit_test(test_reuse_after_fin_time_wait),
		cmocka_unit_test(test_quality_one_sided),
		cmocka_unit_test(test_rejected_by_icmp),
		cmocka_unit_test(test_udp_answered_service),
		cmocka_unit_test(test_udp_first_sender),
		cmocka_unit_test(test_udp_port_unreachable),
		cmocka_unit_test(test_unmatched_icmp_counted),
		cmocka_unit_test(test_sort_first_ties),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
