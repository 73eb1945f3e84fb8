/* Role inference without a handshake: each evidence path decides at least
 * once, in keep-all and in streaming mode; handshake roles are never
 * overridden; inferred roles are never "high"; the knowledge is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sockscope/listeners.h"
#include "sockscope/roles.h"
#include "sockscope/util.h"
#include "scenario.h"

enum { SYN = SS_TCP_SYN, ACK = SS_TCP_ACK, FIN = SS_TCP_FIN, PSH = SS_TCP_PSH };

/* Streaming sink: keeps copies of the records it is given (as long as
 * each is: past its tail may lie the next record, conn.h). */
static void keep_copy(const ss_conn *c, gpointer data)
{
	ss_conn *copy = g_new0(ss_conn, 1);
	ss_conn_copy(copy, c);
	g_ptr_array_add(data, copy);
}

typedef struct {
	ss_analyzer *a;
	GPtrArray *streamed;   /* NULL in keep-all mode */
} run;

static run start(gboolean streaming)
{
	ss_services_use_system(FALSE);
	run r = { NULL, NULL };
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	if (streaming) {
		r.streamed = g_ptr_array_new_with_free_func(g_free);
		cfg.sink = keep_copy;
		cfg.sink_data = r.streamed;
	}
	r.a = ss_analyzer_new(&cfg);
	return r;
}

/* The decided records, in report order (keep-all) or retirement order. */
static GPtrArray *finish(run *r, ss_report **rep)
{
	*rep = ss_analyzer_finish(r->a);
	ss_analyzer_free(r->a);
	return r->streamed ? r->streamed : (*rep)->conns;
}

static void done(run *r, ss_report *rep)
{
	if (r->streamed)
		g_ptr_array_unref(r->streamed);
	ss_report_free(rep);
}

static const ss_conn *find(GPtrArray *conns, const sc_flow *f)
{
	for (guint i = 0; i < conns->len; i++) {
		const ss_conn *c = g_ptr_array_index(conns, i);
		for (int s = 0; s < 2; s++)
			if (ss_conn_port(c, s) == f->port[0] && ss_conn_port(c, !s) == f->port[1] &&
			    memcmp(ss_conn_ip(c, s), &f->ip[0], sizeof(ss_ip)) == 0 &&
			    memcmp(ss_conn_ip(c, !s), &f->ip[1], sizeof(ss_ip)) == 0)
				return c;
	}
	fail_msg("record not found");
	return NULL;
}

/* f's client (index 0) must be the record's client, from `ev`, not high. */
static void assert_inferred(GPtrArray *conns, const sc_flow *f, ss_evidence ev)
{
	const ss_conn *c = find(conns, f);
	assert_int_equal(ss_conn_client_port(c), f->port[SC_CLIENT]);
	assert_memory_equal(ss_conn_client_ip(c), &f->ip[SC_CLIENT], sizeof(ss_ip));
	assert_int_equal(ss_conn_server_port(c), f->port[SC_SERVER]);
	if (c->evidence != ev)
		fail_msg("evidence %s, expected %s", ss_evidence_name(c->evidence),
			 ss_evidence_name(ev));
	assert_true(c->confidence != SS_CONFIDENCE_HIGH);
	assert_false(ss_conn_roles_proven(c));
}

static void handshake(ss_analyzer *a, const sc_flow *f, gint64 ms, gboolean close)
{
	sc_tcp(a, f, SC_CLIENT, ms, SYN, 100, 0);
	sc_tcp(a, f, SC_SERVER, ms + 1, SYN | ACK, 500, 0);
	sc_tcp(a, f, SC_CLIENT, ms + 2, ACK, 101, 0);
	if (close) {
		sc_tcp(a, f, SC_CLIENT, ms + 3, FIN | ACK, 101, 0);
		sc_tcp(a, f, SC_SERVER, ms + 4, FIN | ACK, 501, 0);
		sc_tcp(a, f, SC_CLIENT, ms + 5, ACK, 102, 0);
	}
}

/* Mid-stream data, the server speaking first. */
static void midstream(ss_analyzer *a, const sc_flow *f, gint64 ms)
{
	sc_tcp(a, f, SC_SERVER, ms, PSH | ACK, 1000, 100);
	sc_tcp(a, f, SC_CLIENT, ms + 1, ACK, 2000, 0);
	sc_tcp(a, f, SC_CLIENT, ms + 2, PSH | ACK, 2000, 20);
}

/* A listener proven by a handshake on a high port orients a mid-stream
 * record whose client port is lower (the port rules would swap it). */
static void test_proven_listener_tcp(void **state)
{
	(void)state;
	for (int streaming = 0; streaming < 2; streaming++) {
		run r = start(streaming);
		sc_flow hs = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 1), 40000,
					  sc_ip4(10, 0, 0, 2), 50000);
		sc_flow mid = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 3), 1500,
					   sc_ip4(10, 0, 0, 2), 50000);
		handshake(r.a, &hs, 0, FALSE);
		midstream(r.a, &mid, 10);
		ss_report *rep;
		GPtrArray *conns = finish(&r, &rep);
		assert_inferred(conns, &mid, SS_EVIDENCE_PROVEN_LISTENER);
		const ss_conn *h = find(conns, &hs);
		assert_int_equal(h->evidence, SS_EVIDENCE_SYN);
		assert_int_equal(h->confidence, SS_CONFIDENCE_HIGH);
		done(&r, rep);
	}
}

/* Streaming decides with what it knows when the record ends: a mid-stream
 * record that ends before the handshake that would prove its listener is
 * decided by the port rules (here wrongly); keep-all sees the handshake. */
static void test_streaming_decides_with_knowledge_so_far(void **state)
{
	(void)state;
	for (int streaming = 0; streaming < 2; streaming++) {
		run r = start(streaming);
		sc_flow mid = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 3), 1500,
					   sc_ip4(10, 0, 0, 2), 50000);
		sc_flow hs = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 1), 40000,
					  sc_ip4(10, 0, 0, 2), 50000);
		midstream(r.a, &mid, 0);
		sc_tcp(r.a, &mid, SC_CLIENT, 3, SS_TCP_RST, 2020, 0);
		/* past the closed-linger timeout: the mid-stream record retires */
		handshake(r.a, &hs, 60000, FALSE);
		ss_report *rep;
		GPtrArray *conns = finish(&r, &rep);
		const ss_conn *c = find(conns, &mid);
		if (streaming) {
			assert_int_equal(c->evidence, SS_EVIDENCE_LOWER_PORT);
			assert_int_equal(ss_conn_server_port(c), 1500);
		} else {
			assert_inferred(conns, &mid, SS_EVIDENCE_PROVEN_LISTENER);
		}
		done(&r, rep);
	}
}

/* A UDP port that answered several clients is a proven responder, even in a
 * record where it spoke first. */
static void test_proven_listener_udp(void **state)
{
	(void)state;
	for (int streaming = 0; streaming < 2; streaming++) {
		run r = start(streaming);
		ss_ip srv = sc_ip4(10, 0, 0, 2);
		for (int i = 0; i < 2; i++) {
			sc_flow q = sc_flow_make(IPPROTO_UDP, sc_ip4(10, 0, 0, 10 + i),
						 (guint16)(45000 + i), srv, 40500);
			sc_udp(r.a, &q, SC_CLIENT, i * 10, 40);
			sc_udp(r.a, &q, SC_SERVER, i * 10 + 1, 80);
		}
		/* the capture missed the question: only the answer, then silence */
		sc_flow late = sc_flow_make(IPPROTO_UDP, sc_ip4(10, 0, 0, 20), 2000, srv, 40500);
		sc_udp(r.a, &late, SC_SERVER, 200000, 80);
		ss_report *rep;
		GPtrArray *conns = finish(&r, &rep);
		assert_inferred(conns, &late, SS_EVIDENCE_PROVEN_LISTENER);
		done(&r, rep);
	}
}

/* A host's ephemeral range, learned from its handshakes, orients a
 * mid-stream record towards a high server port. */
static void test_ephemeral_range(void **state)
{
	(void)state;
	for (int streaming = 0; streaming < 2; streaming++) {
		run r = start(streaming);
		ss_ip cl = sc_ip4(10, 0, 0, 1);
		for (int i = 0; i < 10; i++) {
			sc_flow hs = sc_flow_make(IPPROTO_TCP, cl, (guint16)(33001 + i * 2777),
						  sc_ip4(10, 0, 0, 2), 80);
			handshake(r.a, &hs, i * 10, TRUE);
		}
		/* 33500 is inside 10.0.0.1's Linux range; 61500 is not a service */
		sc_flow mid = sc_flow_make(IPPROTO_TCP, cl, 33500, sc_ip4(10, 0, 0, 7), 61500);
		midstream(r.a, &mid, 200000);
		ss_report *rep;
		GPtrArray *conns = finish(&r, &rep);
		assert_inferred(conns, &mid, SS_EVIDENCE_EPHEMERAL_RANGE);
		done(&r, rep);
	}
}

/* One endpoint talking to several peers whose ports change is the server. */
static void test_fan_in(void **state)
{
	(void)state;
	for (int streaming = 0; streaming < 2; streaming++) {
		run r = start(streaming);
		sc_flow f[3];
		for (int i = 0; i < 3; i++) {
			f[i] = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 1, (guint8)(1 + i)),
					    (guint16)(1030 + i * 7), sc_ip4(10, 0, 0, 2), 50000);
			midstream(r.a, &f[i], i * 10);
		}
		ss_report *rep;
		GPtrArray *conns = finish(&r, &rep);
		/* streaming: the records end with the capture, all three known */
		for (int i = 0; i < 3; i++)
			assert_inferred(conns, &f[i], SS_EVIDENCE_FAN_IN);
		done(&r, rep);
	}
}

/* Both ends on ports inside one OS default ephemeral range and no other
 * evidence (a bind shell on 40000, peer-to-peer traffic): the roles are
 * unknown, not the lower port's guess; no listener is made, both hosts
 * count the record (issue 13).  Real evidence still decides: a fan-in
 * socket and a proven listener on the same kind of ports. */
static void test_unknown_roles(void **state)
{
	(void)state;
	for (int streaming = 0; streaming < 2; streaming++) {
		run r = start(streaming);
		sc_flow shell = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 1), 51234,
					     sc_ip4(10, 0, 0, 2), 40000);
		sc_flow peer = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 2), 33000,
					    sc_ip4(10, 0, 0, 1), 57000);
		midstream(r.a, &shell, 0);
		midstream(r.a, &peer, 10);
		/* three clients to 10.0.0.9:45000 from changing high ports */
		sc_flow fan[3];
		for (int i = 0; i < 3; i++) {
			fan[i] = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 1, (guint8)(1 + i)),
					      (guint16)(52000 + i * 9), sc_ip4(10, 0, 0, 9), 45000);
			midstream(r.a, &fan[i], 20 + i * 10);
		}
		/* 10.0.0.7:41000 answered a handshake: its mid-stream peer at
		 * 38000 is a client, high ports or not */
		sc_flow hs = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 2, 1), 50500,
					  sc_ip4(10, 0, 0, 7), 41000);
		sc_flow mid = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 2, 2), 38000,
					   sc_ip4(10, 0, 0, 7), 41000);
		handshake(r.a, &hs, 100, FALSE);
		midstream(r.a, &mid, 110);
		ss_report *rep;
		GPtrArray *conns = finish(&r, &rep);
		for (int i = 0; i < 2; i++) {
			const ss_conn *c = find(conns, i == 0 ? &shell : &peer);
			if (c->evidence != SS_EVIDENCE_UNKNOWN)
				fail_msg("evidence %s, expected unknown", ss_evidence_name(c->evidence));
			assert_true(ss_conn_roles_unknown(c));
			assert_int_equal(c->confidence, SS_CONFIDENCE_LOW);
			assert_false(ss_conn_reaches_listener(c));
		}
		for (int i = 0; i < 3; i++)
			assert_inferred(conns, &fan[i], SS_EVIDENCE_FAN_IN);
		/* streaming: the mid-stream record ends after the handshake's SYN-ACK */
		assert_inferred(conns, &mid, SS_EVIDENCE_PROVEN_LISTENER);
		/* listeners: 10.0.0.9:45000 and 10.0.0.7:41000 only */
		assert_int_equal(rep->listeners->len, 2);
		for (guint i = 0; i < rep->listeners->len; i++) {
			const ss_listener *l = &g_array_index(rep->listeners, ss_listener, i);
			assert_true(l->port == 45000 || l->port == 41000);
		}
		assert_int_equal(rep->summary.evidence[SS_EVIDENCE_UNKNOWN], 2);
		/* 10.0.0.1 and 10.0.0.2 took part in both, as neither role */
		guint seen = 0;
		for (guint i = 0; rep->hosts && i < rep->hosts->len; i++) {
			const ss_host *h = &g_array_index(rep->hosts, ss_host, i);
			ss_ip a = sc_ip4(10, 0, 0, 1), b = sc_ip4(10, 0, 0, 2);
			if (memcmp(&h->ip, &a, sizeof a) != 0 && memcmp(&h->ip, &b, sizeof b) != 0)
				continue;
			seen++;
			assert_int_equal(h->unknown_roles, 2);
			assert_int_equal(h->client_connections, 0);
			assert_true(h->listeners == NULL || h->listeners->len == 0);
		}
		assert_int_equal(seen, 2);
		done(&r, rep);
	}
}

static void test_ports_last(void **state)
{
	(void)state;
	run r = start(FALSE);
	sc_flow svc = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 1), 1200, sc_ip4(10, 0, 0, 2), 5432);
	sc_flow low = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 3), 45000, sc_ip4(10, 0, 0, 4), 7001);
	sc_flow same = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 5), 7777, sc_ip4(10, 0, 0, 6), 7777);
	midstream(r.a, &svc, 0);
	midstream(r.a, &low, 10);
	sc_tcp(r.a, &same, SC_CLIENT, 20, PSH | ACK, 1, 10);   /* equal ports: first sender */
	ss_report *rep;
	GPtrArray *conns = finish(&r, &rep);
	assert_inferred(conns, &svc, SS_EVIDENCE_SERVICE_PORT);
	assert_inferred(conns, &low, SS_EVIDENCE_LOWER_PORT);
	assert_inferred(conns, &same, SS_EVIDENCE_FIRST_PACKET);
	assert_int_equal(find(conns, &low)->confidence, SS_CONFIDENCE_LOW);
	done(&r, rep);
}

static void test_udp_receivers(void **state)
{
	(void)state;
	run r = start(FALSE);
	sc_flow mc = sc_flow_make(IPPROTO_UDP, sc_ip4(10, 0, 0, 1), 5000, sc_ip4(239, 1, 2, 3), 6000);
	sc_flow bc = sc_flow_make(IPPROTO_UDP, sc_ip4(0, 0, 0, 0), 68,
				  sc_ip4(255, 255, 255, 255), 67);
	sc_flow one = sc_flow_make(IPPROTO_UDP, sc_ip4(10, 0, 0, 1), 40001, sc_ip4(10, 0, 0, 9), 41000);
	sc_udp(r.a, &mc, SC_CLIENT, 0, 100);
	sc_udp(r.a, &bc, SC_CLIENT, 1, 300);
	sc_udp(r.a, &one, SC_CLIENT, 2, 10);
	ss_report *rep;
	GPtrArray *conns = finish(&r, &rep);
	assert_inferred(conns, &mc, SS_EVIDENCE_MULTICAST);
	assert_inferred(conns, &bc, SS_EVIDENCE_BROADCAST);
	assert_inferred(conns, &one, SS_EVIDENCE_FIRST_SENDER);
	/* receivers are not listening sockets; the one-way exchange is one */
	assert_int_equal(rep->listeners->len, 1);
	assert_int_equal(rep->summary.evidence[SS_EVIDENCE_MULTICAST], 1);
	done(&r, rep);
}

/* A handshake decides, whatever the heuristics would say: here the client
 * connects from a service port to a fan-in endpoint's... client. */
static void test_handshake_wins(void **state)
{
	(void)state;
	run r = start(FALSE);
	ss_ip a = sc_ip4(10, 0, 0, 1), b = sc_ip4(10, 0, 0, 2);
	/* 10.0.0.1:443 looks like a server: fan-in from three peers */
	for (int i = 0; i < 3; i++) {
		sc_flow f = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 2, (guint8)(1 + i)),
					 (guint16)(50000 + i), a, 443);
		midstream(r.a, &f, i);
	}
	/* ...but here it sent the SYN */
	sc_flow hs = sc_flow_make(IPPROTO_TCP, a, 443, b, 50500);
	handshake(r.a, &hs, 100, TRUE);
	ss_report *rep;
	GPtrArray *conns = finish(&r, &rep);
	const ss_conn *c = find(conns, &hs);
	assert_int_equal(c->evidence, SS_EVIDENCE_SYN);
	assert_int_equal(c->confidence, SS_CONFIDENCE_HIGH);
	assert_int_equal(ss_conn_client_port(c), 443);
	done(&r, rep);
}

/* The endpoint table is capped: one-shot endpoints are swept, then new
 * ones are dropped and counted. */
/* A client-only capture (one-sided TCP records prove the capture misses
 * packets to 10.0.0.1): a UDP query and a TCP SYN without an answer from a
 * server that sent nothing to it in the whole capture are `unknown`, not
 * `unanswered`, flagged one-sided; their listeners are `unknown`, not
 * `filtered`.  A server that did send to the client (a DNS reply in another
 * record) keeps `unanswered`: its direction is in the capture.  Without the
 * one-sided proof, unanswered stays unanswered. */
static void test_answer_unseen(void **state)
{
	(void)state;
	for (int proof = 0; proof < 2; proof++) {
		run r = start(FALSE);
		ss_ip cl = sc_ip4(10, 0, 0, 1), web = sc_ip4(10, 0, 0, 2), dns = sc_ip4(10, 0, 0, 3),
		      other = sc_ip4(10, 0, 0, 4);
		if (proof) {
			/* the client's SYN, then its ACK of the unseen SYN-ACK */
			sc_flow t = sc_flow_make(IPPROTO_TCP, cl, 40000, web, 80);
			sc_tcp(r.a, &t, SC_CLIENT, 0, SYN, 100, 0);
			sc_tcp(r.a, &t, SC_CLIENT, 2, ACK, 101, 0);
		}
		sc_flow q = sc_flow_make(IPPROTO_UDP, cl, 40001, dns, 53);
		sc_udp(r.a, &q, SC_CLIENT, 10, 30);
		sc_flow syn = sc_flow_make(IPPROTO_TCP, cl, 40002, dns, 8082);
		sc_tcp(r.a, &syn, SC_CLIENT, 11, SYN, 300, 0);
		/* another resolver answered once: its direction is captured */
		sc_flow a1 = sc_flow_make(IPPROTO_UDP, cl, 40003, other, 53);
		sc_udp(r.a, &a1, SC_CLIENT, 20, 30);
		sc_udp(r.a, &a1, SC_SERVER, 21, 60);
		sc_flow a2 = sc_flow_make(IPPROTO_UDP, cl, 40004, other, 53);
		sc_udp(r.a, &a2, SC_CLIENT, 30, 30);
		ss_report *rep;
		GPtrArray *conns = finish(&r, &rep);
		ss_outcome want = proof ? SS_OUTCOME_UNKNOWN : SS_OUTCOME_UNANSWERED;
		const ss_conn *c = find(conns, &q);
		assert_string_equal(ss_outcome_name(c->outcome), ss_outcome_name(want));
		assert_int_equal(ss_conn_one_sided(c), proof);
		c = find(conns, &syn);
		assert_string_equal(ss_outcome_name(c->outcome), ss_outcome_name(want));
		assert_int_equal(ss_conn_one_sided(c), proof);
		c = find(conns, &a2);
		assert_string_equal(ss_outcome_name(c->outcome), "unanswered");
		for (guint i = 0; i < rep->listeners->len; i++) {
			const ss_listener *l = &g_array_index(rep->listeners, ss_listener, i);
			if (memcmp(&l->ip, &dns, sizeof dns) == 0)
				assert_string_equal(ss_listener_state_name(l->state),
						    proof ? "unknown" : "filtered");
		}
		done(&r, rep);
	}
}

static void test_knowledge_bounded(void **state)
{
	(void)state;
	ss_roles_limits lim = { 16 };
	ss_roles *k = ss_roles_new(&lim, NULL);
	for (int i = 0; i < 100; i++) {
		ss_conn c;
		memset(&c, 0, sizeof c);
		c.proto = IPPROTO_TCP;
		c.family = SS_FAMILY_IPV4;
		ss_conn_set_ends(&c, sc_ip4(10, 0, 0, 1), (guint16)(40000 + i), sc_ip4(10, 0, 0, 2), 80);
		ss_roles_note_record(k, &c);
	}
	assert_true(ss_roles_dropped(k) > 0);
	/* the server endpoint, seen in every record, survived the sweeps */
	ss_conn c;
	memset(&c, 0, sizeof c);
	c.proto = IPPROTO_TCP;
	c.family = SS_FAMILY_IPV4;
	ss_conn_set_ends(&c, sc_ip4(10, 0, 0, 2), 80, sc_ip4(10, 0, 0, 99), 20);   /* a named port that is not a server port */
	ss_roles_decide(k, &c);
	assert_int_equal(c.evidence, SS_EVIDENCE_FAN_IN);
	assert_int_equal(c.client, 1);
	ss_roles_free(k);
}

/* A record between two endpoints of one family (client port cport). */
static ss_conn bounded_conn(guint8 family, guint8 host, guint16 cport, guint8 server)
{
	ss_conn c;
	memset(&c, 0, sizeof c);
	c.proto = IPPROTO_TCP;
	c.family = family;
	if (family == SS_FAMILY_IPV4) {
		sc_conn_set_ip(&c, 0, sc_ip4(10, 0, 0, host));
		sc_conn_set_ip(&c, 1, sc_ip4(10, 0, 0, server));
	} else {
		ss_ip a, b;
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		a.bytes[0] = b.bytes[0] = 0xfd;
		a.bytes[15] = host;
		b.bytes[15] = server;
		ss_conn_set_ends(&c, a, 0, b, 0);
	}
	sc_conn_set_port(&c, 0, cport);
	sc_conn_set_port(&c, 1, 80);
	return c;
}

/* One bound for IPv4 and IPv6 endpoints together (they are kept in two
 * tables), and a sweep forgets the one-shot endpoints of both.  With room
 * for 16: the two servers and 14 clients fill it; each 15th client's
 * record sweeps away the 14 one-shot clients before it.  Records 14, 28,
 * ..., 98 sweep: 7 x 14 endpoints dropped. */
static void test_knowledge_bounded_families(void **state)
{
	(void)state;
	ss_roles_limits lim = { 16 };
	ss_roles *k = ss_roles_new(&lim, NULL);
	for (int i = 0; i < 100; i++) {
		guint8 family = i % 2 ? SS_FAMILY_IPV6 : SS_FAMILY_IPV4;
		ss_conn c = bounded_conn(family, 1, (guint16)(40000 + i), 2);
		ss_roles_note_record(k, &c);
	}
	assert_int_equal(ss_roles_dropped(k), 7 * 14);
	/* both servers, in every record of their family, survived as fan-in */
	for (int f = 0; f < 2; f++) {
		ss_conn c = bounded_conn(f ? SS_FAMILY_IPV6 : SS_FAMILY_IPV4, 2, 80, 99);
		sc_conn_set_port(&c, 1, 20);   /* a named port that is not a server port */
		ss_roles_decide(k, &c);
		assert_int_equal(c.evidence, SS_EVIDENCE_FAN_IN);
		assert_int_equal(c.client, 1);
	}
	ss_roles_free(k);
}

/* A full IPv4 table takes the fewest slots that hold the bound at most
 * 3/4 full, not the next power of two (4 096 endpoints: 5 461 slots, 128
 * KiB, not 8 192), and every endpoint is still found there: a second
 * round of the same 4 095 clients to the same server drops nothing, and
 * the server is a fan-in socket. */
static void test_knowledge_last_size(void **state)
{
	(void)state;
	ss_roles_limits lim = { 4096 };
	ss_roles *k = ss_roles_new(&lim, NULL);
	for (int round = 0; round < 2; round++)
		for (int i = 1; i < 4096; i++) {
			ss_conn c = bounded_conn(SS_FAMILY_IPV4, 1, (guint16)(20000 + i), 2);
			ss_roles_note_record(k, &c);
		}
	assert_int_equal(ss_roles_dropped(k), 0);
	assert_int_equal(ss_roles_ipv4_bytes(k), 5461 * 24);
	ss_conn fresh = bounded_conn(SS_FAMILY_IPV4, 3, 20000, 2);
	ss_roles_note_record(k, &fresh);
	assert_true(ss_roles_dropped(k) > 0);
	ss_conn c = bounded_conn(SS_FAMILY_IPV4, 2, 80, 99);
	sc_conn_set_port(&c, 1, 20);
	ss_roles_decide(k, &c);
	assert_int_equal(c.evidence, SS_EVIDENCE_FAN_IN);
	ss_roles_free(k);
}

/* A sweep that frees less than an eighth of the table stops it growing
 * for good: every new endpoint after it is dropped, the known ones still
 * learn.  16 endpoints seen twice each leave nothing to sweep. */
static void test_knowledge_full(void **state)
{
	(void)state;
	ss_roles_limits lim = { 16 };
	ss_roles *k = ss_roles_new(&lim, NULL);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 8; i++) {
			guint8 family = i % 2 ? SS_FAMILY_IPV6 : SS_FAMILY_IPV4;
			ss_conn c = bounded_conn(family, (guint8)(10 + i), 40000, (guint8)(20 + i));
			ss_roles_note_record(k, &c);
		}
	assert_int_equal(ss_roles_dropped(k), 0);
	ss_conn fresh = bounded_conn(SS_FAMILY_IPV4, 1, 50000, 2);
	ss_roles_note_record(k, &fresh);
	assert_int_equal(ss_roles_dropped(k), 2);
	fresh = bounded_conn(SS_FAMILY_IPV6, 1, 50000, 2);
	ss_roles_note_record(k, &fresh);
	assert_int_equal(ss_roles_dropped(k), 4);
	/* a known endpoint is still counted: three more records of
	 * 10.0.0.20:80 from new client ports (those are dropped) make it a
	 * fan-in socket (5 records, 3 peer port changes) */
	for (int i = 0; i < 3; i++) {
		ss_conn c = bounded_conn(SS_FAMILY_IPV4, 10, (guint16)(40001 + i), 20);
		ss_roles_note_record(k, &c);
	}
	assert_int_equal(ss_roles_dropped(k), 7);
	ss_conn c = bounded_conn(SS_FAMILY_IPV4, 20, 80, 99);
	sc_conn_set_port(&c, 1, 20);
	ss_roles_decide(k, &c);
	assert_int_equal(c.evidence, SS_EVIDENCE_FAN_IN);
	ss_roles_free(k);
}

/* An address of family whose last two bytes are hi and lo (IPv4:
 * 10.net.hi.lo; IPv6: fd00::net:hi:lo). */
static ss_ip family_ip(guint8 family, guint8 net, guint8 hi, guint8 lo)
{
	if (family == SS_FAMILY_IPV4)
		return sc_ip4(10, net, hi, lo);
	ss_ip a;
	memset(&a, 0, sizeof a);
	a.bytes[0] = 0xfd;
	a.bytes[13] = net;
	a.bytes[14] = hi;
	a.bytes[15] = lo;
	return a;
}

/* Every endpoint a sweep keeps can still be found: a sweep frees slots
 * in the middle of probe runs and places the kept entries again.  1 000
 * proven listeners among 30 000 one-shot clients, 4 096 remembered; the
 * IPv6 endpoints, in a table of their own with three-word keys since the
 * thirteenth session, alike. */
static void sweeps_keep_entries(guint8 family)
{
	ss_roles_limits lim = { 4096 };
	ss_roles *k = ss_roles_new(&lim, NULL);
	for (int i = 0; i < 30000; i++) {
		int s = i % 1000;
		ss_conn c = bounded_conn(family, 0, (guint16)(1024 + i), 0);
		sc_conn_set_ip(&c, 0, family_ip(family, 0, 0, (guint8)(i / 256)));
		sc_conn_set_ip(&c, 1, family_ip(family, 1, (guint8)(s / 256), (guint8)s));
		sc_conn_set_port(&c, 1, 8000);   /* not a service port */
		ss_roles_note_record(k, &c);
		if (i < 1000)
			ss_roles_note_synack(k, &c, 1);
	}
	assert_true(ss_roles_dropped(k) > 20000);
	for (int s = 0; s < 1000; s++) {
		ss_conn c = bounded_conn(family, 1, 8000, 0);
		sc_conn_set_ip(&c, 0, family_ip(family, 1, (guint8)(s / 256), (guint8)s));
		sc_conn_set_ip(&c, 1, family_ip(family, 2, 0, 1));
		sc_conn_set_port(&c, 1, 9000);
		ss_roles_decide(k, &c);
		assert_int_equal(c.evidence, SS_EVIDENCE_PROVEN_LISTENER);
		assert_int_equal(c.client, 1);
	}
	/* the servers' port was learnt as theirs alone: the same addresses
	 * on another port are unknown to the learner */
	ss_conn other = bounded_conn(family, 1, 8001, 0);
	sc_conn_set_ip(&other, 0, family_ip(family, 1, 0, 5));
	sc_conn_set_ip(&other, 1, family_ip(family, 2, 0, 1));
	sc_conn_set_port(&other, 1, 9000);
	ss_roles_decide(k, &other);
	assert_int_not_equal(other.evidence, SS_EVIDENCE_PROVEN_LISTENER);
	ss_roles_free(k);
}

static void test_sweeps_keep_entries(void **state)
{
	(void)state;
	sweeps_keep_entries(SS_FAMILY_IPV4);
}

static void test_sweeps_keep_entries_ipv6(void **state)
{
	(void)state;
	sweeps_keep_entries(SS_FAMILY_IPV6);
}

/* A TCP record in which only ep[0] (from) was heard, ep[0] the client. */
static ss_conn heard_only(guint8 family, ss_ip from, ss_ip to)
{
	ss_conn c;
	memset(&c, 0, sizeof c);
	c.proto = IPPROTO_TCP;
	c.family = family;
	sc_conn_set_ip(&c, 0, from);
	sc_conn_set_ip(&c, 1, to);
	sc_conn_set_port(&c, 0, 40000);
	sc_conn_set_port(&c, 1, 80);
	c.ep[0].packets = 3;
	c.client = 0;
	c.outcome = SS_OUTCOME_MIDSTREAM;
	return c;
}

/* The host-pair directions are bounded for both families together
 * (SS_ROLES_MAX_DIRECTIONS), and 0.0.0.0 is a host like any other. */
static void test_directions_bounded(void **state)
{
	(void)state;
	ss_roles *k = ss_roles_new(NULL, NULL);
	ss_ip h = sc_ip4(0, 0, 0, 0), s = sc_ip4(10, 0, 0, 2), x = sc_ip4(10, 0, 0, 3);
	/* one-sided: the capture misses what reaches 0.0.0.0 */
	ss_conn c = heard_only(SS_FAMILY_IPV4, h, s);
	ss_roles_learn(k, &c);
	ss_conn q = heard_only(SS_FAMILY_IPV4, h, x);
	assert_true(ss_roles_answer_unseen(k, &q, 0));
	/* fill the directions with IPv6 pairs (one each, the first was
	 * 0.0.0.0 -> 10.0.0.2) */
	for (guint i = 1; i < SS_ROLES_MAX_DIRECTIONS; i++) {
		ss_ip a = { { 0xfd } }, b = { { 0xfd } };
		a.bytes[15] = 1;
		b.bytes[12] = (guint8)(i >> 16);
		b.bytes[13] = (guint8)(i >> 8);
		b.bytes[14] = (guint8)i;
		ss_conn u = heard_only(SS_FAMILY_IPV6, a, b);
		u.proto = IPPROTO_UDP;
		ss_roles_learn(k, &u);
	}
	/* full: 10.0.0.3 -> 0.0.0.0 is not remembered, the answer stays unseen */
	ss_conn back = heard_only(SS_FAMILY_IPV4, x, h);
	back.proto = IPPROTO_UDP;
	ss_roles_learn(k, &back);
	assert_true(ss_roles_answer_unseen(k, &q, 0));
	ss_roles_free(k);
	/* with room it is, and then the capture holds that direction */
	k = ss_roles_new(NULL, NULL);
	ss_roles_learn(k, &c);
	ss_roles_learn(k, &back);
	assert_false(ss_roles_answer_unseen(k, &q, 0));
	ss_roles_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proven_listener_tcp),
		cmocka_unit_test(test_streaming_decides_with_knowledge_so_far),
		cmocka_unit_test(test_proven_listener_udp),
		cmocka_unit_test(test_ephemeral_range),
		cmocka_unit_test(test_fan_in),
		cmocka_unit_test(test_ports_last),
		cmocka_unit_test(test_unknown_roles),
		cmocka_unit_test(test_udp_receivers),
		cmocka_unit_test(test_handshake_wins),
		cmocka_unit_test(test_knowledge_bounded),
		cmocka_unit_test(test_knowledge_bounded_families),
		cmocka_unit_test(test_knowledge_full),
		cmocka_unit_test(test_knowledge_last_size),
		cmocka_unit_test(test_sweeps_keep_entries),
		cmocka_unit_test(test_sweeps_keep_entries_ipv6),
		cmocka_unit_test(test_directions_bounded),
		cmocka_unit_test(test_answer_unseen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
