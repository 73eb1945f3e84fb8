/* Drift between two captures of one point (compare/drift.c): the
 * classification table, then whole reports made by the analyzer from
 * decoded packets (a listener that starts refusing, one that goes silent,
 * one that appears, one nobody connected to in B, a new client network),
 * ephemeral profiles changed / unknown, the evidence words, findings and a
 * deterministic order whatever the reports' record order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sockscope/drift.h"
#include "sockscope/hosts.h"
#include "scenario.h"

enum { SYN = SS_TCP_SYN, ACK = SS_TCP_ACK, RST = SS_TCP_RST };

static ss_drift_side side(gboolean seen, ss_listener_state st)
{
	ss_drift_side s;
	memset(&s, 0, sizeof s);
	s.seen = seen;
	s.state = st;
	return s;
}

static void expect_class(gboolean sa, ss_listener_state a, gboolean sb, ss_listener_state b,
			 gboolean udp, gboolean want, ss_drift_change change, ss_confidence conf)
{
	ss_drift_side x = side(sa, a), y = side(sb, b);
	ss_drift_change got = SS_DRIFT_CHANGE_COUNT;
	ss_confidence cg = 99;
	gboolean r = ss_drift_classify(&x, &y, udp, &got, &cg);
	assert_int_equal(r, want);
	if (!want)
		return;
	if (got != change || cg != conf)
		fail_msg("%s %d -> %s %d: got %s/%s, want %s/%s", sa ? "seen" : "unseen", a,
			 sb ? "seen" : "unseen", b, ss_drift_change_name(got),
			 ss_confidence_name(cg), ss_drift_change_name(change),
			 ss_confidence_name(conf));
}

static void test_classify(void **state)
{
	(void)state;
	const ss_listener_state O = SS_LISTENER_OPEN, C = SS_LISTENER_CLOSED,
				F = SS_LISTENER_FILTERED;
	/* refused after answering: vanished, and we know it */
	expect_class(TRUE, O, TRUE, C, FALSE, TRUE, SS_DRIFT_VANISHED, SS_CONFIDENCE_HIGH);
	expect_class(TRUE, C, TRUE, O, FALSE, TRUE, SS_DRIFT_APPEARED, SS_CONFIDENCE_HIGH);
	/* silence: a state change, weaker; weaker still for UDP */
	expect_class(TRUE, O, TRUE, F, FALSE, TRUE, SS_DRIFT_STATE_CHANGED, SS_CONFIDENCE_MEDIUM);
	expect_class(TRUE, F, TRUE, O, FALSE, TRUE, SS_DRIFT_STATE_CHANGED, SS_CONFIDENCE_MEDIUM);
	expect_class(TRUE, C, TRUE, F, FALSE, TRUE, SS_DRIFT_STATE_CHANGED, SS_CONFIDENCE_MEDIUM);
	expect_class(TRUE, O, TRUE, F, TRUE, TRUE, SS_DRIFT_STATE_CHANGED, SS_CONFIDENCE_LOW);
	/* no traffic on one side: never confident */
	expect_class(TRUE, O, FALSE, O, FALSE, TRUE, SS_DRIFT_VANISHED, SS_CONFIDENCE_LOW);
	expect_class(FALSE, O, TRUE, O, FALSE, TRUE, SS_DRIFT_APPEARED, SS_CONFIDENCE_LOW);
	/* never listening on either side, or unchanged: no change */
	expect_class(TRUE, C, FALSE, O, FALSE, FALSE, 0, 0);
	expect_class(FALSE, O, TRUE, F, FALSE, FALSE, 0, 0);
	expect_class(FALSE, O, FALSE, O, FALSE, FALSE, 0, 0);
	for (ss_listener_state s = O; s <= F; s++)
		expect_class(TRUE, s, TRUE, s, FALSE, FALSE, 0, 0);
}

/* ---- reports from packets ---- */

static const guint16 EPH0 = 40000;

typedef struct {
	ss_analyzer *a;
	gint64 ms;
	guint16 port;        /* next client port */
	guint32 isn;
} cap;

static void cap_init(cap *c, gint64 start_ms)
{
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.hash_seed = 1;
	c->a = ss_analyzer_new(&cfg);
	c->ms = start_ms;
	c->port = EPH0;
	c->isn = 1000;
}

static ss_ip server_ip(void)
{
	return sc_ip4(10, 0, 0, 2);
}

/* One TCP attempt from `client` to the server's port: answered,
 * refused (RST) or unanswered. */
enum { ANSWER, REFUSE, SILENT };

static void attempt(cap *c, ss_ip client, guint16 sport, int how)
{
	sc_flow f = sc_flow_make(IPPROTO_TCP, client, c->port, server_ip(), sport);
	c->port += 2;
	guint32 isn = c->isn += 1000;
	sc_tcp(c->a, &f, SC_CLIENT, c->ms, SYN, isn, 0);
	if (how == ANSWER) {
		sc_tcp(c->a, &f, SC_SERVER, c->ms + 1, SYN | ACK, 777, 0);
		sc_tcp(c->a, &f, SC_CLIENT, c->ms + 2, ACK, isn + 1, 0);
	} else if (how == REFUSE) {
		sc_tcp(c->a, &f, SC_SERVER, c->ms + 1, RST | ACK, 0, 0);
	} else {
		sc_tcp(c->a, &f, SC_CLIENT, c->ms + 1000, SYN, isn, 0);
	}
	c->ms += 10;
}

static ss_report *cap_finish(cap *c)
{
	ss_report *r = ss_analyzer_finish(c->a);
	ss_analyzer_free(c->a);
	return r;
}

/* A: clients of 10.1.0.0/24 reach :80, :443, :22 (answered) and :8080
 *    (refused); 10.2.0.0/24 reaches :80.
 * B: :80 refuses, :443 is silent, :8080 answers, :22 nobody tries; a
 *    client of 10.9.0.0/24 reaches :80 and 10.2.0.0/24 is gone. */
static ss_report *report_a(void)
{
	cap c;
	cap_init(&c, 0);
	ss_ip c1 = sc_ip4(10, 1, 0, 5), c2 = sc_ip4(10, 2, 0, 9);
	for (int i = 0; i < 10; i++)
		attempt(&c, c1, 80, ANSWER);
	attempt(&c, c2, 80, ANSWER);
	for (int i = 0; i < 3; i++)
		attempt(&c, c1, 443, ANSWER);
	attempt(&c, c1, 22, ANSWER);
	attempt(&c, c1, 8080, REFUSE);
	return cap_finish(&c);
}

static ss_report *report_b(void)
{
	cap c;
	cap_init(&c, 3600 * 1000);
	ss_ip c1 = sc_ip4(10, 1, 0, 6), c9 = sc_ip4(10, 9, 0, 7);
	for (int i = 0; i < 12; i++)
		attempt(&c, c1, 80, REFUSE);
	attempt(&c, c9, 80, REFUSE);
	for (int i = 0; i < 2; i++)
		attempt(&c, c1, 443, SILENT);
	attempt(&c, c1, 8080, ANSWER);
	return cap_finish(&c);
}

static const ss_drift_listener *find_listener(const ss_drift *d, guint16 port)
{
	for (guint i = 0; i < d->listeners->len; i++) {
		const ss_drift_listener *l = &g_array_index(d->listeners, ss_drift_listener, i);
		if (l->port == port)
			return l;
	}
	return NULL;
}

static char *evidence(const ss_drift_listener *l, const ss_drift_side *s, const char *label)
{
	GString *b = g_string_new(NULL);
	ss_drift_side_evidence(l, s, label, b);
	return g_string_free(b, FALSE);
}

static void test_reports(void **state)
{
	(void)state;
	ss_report *a = report_a(), *b = report_b();
	ss_drift *d = ss_drift_compute(a, b);

	/* exactly the four listeners that changed, in port order */
	assert_int_equal(d->listeners->len, 4);
	static const guint16 order[] = { 22, 80, 443, 8080 };
	for (guint i = 0; i < 4; i++)
		assert_int_equal(g_array_index(d->listeners, ss_drift_listener, i).port, order[i]);
	assert_int_equal(d->listeners_unchanged, 0);

	const ss_drift_listener *l80 = find_listener(d, 80);
	assert_int_equal(l80->change, SS_DRIFT_VANISHED);
	assert_int_equal(l80->confidence, SS_CONFIDENCE_HIGH);
	assert_int_equal(l80->a.answered, 11);
	assert_int_equal(l80->b.refused, 13);
	assert_int_equal(l80->b.refused_rst, 13);
	char *e = evidence(l80, &l80->b, "B");
	assert_string_equal(e, "RST to 13 SYNs in B");
	g_free(e);
	e = evidence(l80, &l80->a, "A");
	assert_string_equal(e, "open in A: 11 of 11 connections answered");
	g_free(e);

	const ss_drift_listener *l443 = find_listener(d, 443);
	assert_int_equal(l443->change, SS_DRIFT_STATE_CHANGED);
	assert_int_equal(l443->confidence, SS_CONFIDENCE_MEDIUM);
	assert_string_equal(ss_drift_side_state(&l443->a), "open");
	assert_string_equal(ss_drift_side_state(&l443->b), "filtered");
	e = evidence(l443, &l443->b, "B");
	assert_string_equal(e, "2 SYN attempts unanswered (2 retransmissions) in B");
	g_free(e);

	const ss_drift_listener *l8080 = find_listener(d, 8080);
	assert_int_equal(l8080->change, SS_DRIFT_APPEARED);
	assert_int_equal(l8080->confidence, SS_CONFIDENCE_HIGH);

	/* :22 was simply not tried in B: vanished, but only low confidence */
	const ss_drift_listener *l22 = find_listener(d, 22);
	assert_int_equal(l22->change, SS_DRIFT_VANISHED);
	assert_int_equal(l22->confidence, SS_CONFIDENCE_LOW);
	assert_null(ss_drift_side_state(&l22->b));
	e = evidence(l22, &l22->b, "B");
	assert_string_equal(e, "no traffic to it in B");
	g_free(e);

	/* networks: at :80 10.9.0.0/24 new, 10.2.0.0/24 gone; :443 and
	 * :8080 kept the same network; :22 is not in both */
	assert_int_equal(d->networks->len, 2);
	assert_int_equal(d->networks_compared, 3);
	const ss_drift_network *n0 = &g_array_index(d->networks, ss_drift_network, 0);
	const ss_drift_network *n1 = &g_array_index(d->networks, ss_drift_network, 1);
	GString *s = g_string_new(NULL);
	ss_drift_network_append(s, n0->family, &n0->net, n0->prefix);
	assert_string_equal(s->str, "10.2.0.0/24");
	assert_int_equal(n0->change, SS_DRIFT_NET_GONE);
	assert_int_equal(n0->connections, 1);
	assert_int_equal(n0->other_connections, 13);
	assert_int_equal(n0->confidence, SS_CONFIDENCE_MEDIUM);
	g_string_truncate(s, 0);
	ss_drift_network_append(s, n1->family, &n1->net, n1->prefix);
	assert_string_equal(s->str, "10.9.0.0/24");
	assert_int_equal(n1->change, SS_DRIFT_NET_NEW);
	assert_int_equal(n1->port, 80);
	assert_int_equal(n1->clients, 1);
	assert_int_equal(n1->other_connections, 11);
	g_string_free(s, TRUE);

	/* findings: one per listener change and network change, ranked;
	 * the confident vanish first, with its evidence */
	GPtrArray *f = ss_drift_findings(d);
	assert_int_equal(f->len, 6);
	const ss_finding *top = g_ptr_array_index(f, 0);
	assert_string_equal(top->id, "listener_vanished");
	assert_int_equal(top->severity, SS_SEVERITY_MEDIUM);
	assert_string_equal(top->statement,
			    "listener 10.0.0.2:80/tcp vanished: open in A: 11 of 11 connections "
			    "answered, RST to 13 SYNs in B (confidence high)");
	const ss_finding *last = g_ptr_array_index(f, f->len - 1);
	assert_int_equal(last->severity, SS_SEVERITY_INFO);
	g_ptr_array_unref(f);
	ss_drift_free(d);

	/* the other way round: the mirror image */
	d = ss_drift_compute(b, a);
	assert_int_equal(d->listeners->len, 4);
	assert_int_equal(find_listener(d, 80)->change, SS_DRIFT_APPEARED);
	assert_int_equal(find_listener(d, 8080)->change, SS_DRIFT_VANISHED);
	assert_int_equal(find_listener(d, 22)->change, SS_DRIFT_APPEARED);
	assert_int_equal(find_listener(d, 22)->confidence, SS_CONFIDENCE_LOW);
	ss_drift_free(d);

	/* a capture against itself: nothing changed */
	d = ss_drift_compute(a, a);
	assert_int_equal(d->listeners->len, 0);
	assert_int_equal(d->networks->len, 0);
	assert_int_equal(d->ephemeral->len, 0);
	assert_int_equal(d->listeners_unchanged, 4);
	ss_drift_free(d);
	ss_report_free(a);
	ss_report_free(b);
}

/* Record order in the report does not change the model. */
static void test_order_independent(void **state)
{
	(void)state;
	ss_report *a = report_a(), *b = report_b();
	ss_drift *d1 = ss_drift_compute(a, b);
	/* reverse B's records (the listener array stays sorted, as reports are) */
	for (guint i = 0, j = b->conns->len - 1; i < j; i++, j--) {
		gpointer t = b->conns->pdata[i];
		b->conns->pdata[i] = b->conns->pdata[j];
		b->conns->pdata[j] = t;
	}
	ss_drift *d2 = ss_drift_compute(a, b);
	assert_int_equal(d1->listeners->len, d2->listeners->len);
	assert_memory_equal(d1->listeners->data, d2->listeners->data,
			    d1->listeners->len * sizeof(ss_drift_listener));
	assert_int_equal(d1->networks->len, d2->networks->len);
	assert_memory_equal(d1->networks->data, d2->networks->data,
			    d1->networks->len * sizeof(ss_drift_network));
	ss_drift_free(d1);
	ss_drift_free(d2);
	ss_report_free(a);
	ss_report_free(b);
}

/* ---- ephemeral profiles on hand-made host records ---- */

static ss_host host(guint8 last, guint64 samples, ss_eph_default fits, ss_alloc_pattern pat,
		    guint16 min, guint16 max)
{
	ss_host h;
	memset(&h, 0, sizeof h);
	h.family = SS_FAMILY_IPV4;
	h.ip = sc_ip4(10, 1, 0, last);
	h.eph.samples = samples;
	h.eph.min = min;
	h.eph.max = max;
	h.profile.fits = fits;
	h.profile.pattern = pat;
	if (fits == SS_EPH_CUSTOM) {
		h.profile.low = min;
		h.profile.high = max;
	} else {
		ss_eph_default_bounds(fits, &h.profile.low, &h.profile.high);
	}
	return h;
}

static ss_report *hosts_report(const ss_host *hs, guint n)
{
	ss_report *r = g_new0(ss_report, 1);
	r->conns = g_ptr_array_new();
	r->listeners = g_array_new(FALSE, FALSE, sizeof(ss_listener));
	r->hosts = g_array_new(FALSE, FALSE, sizeof(ss_host));
	for (guint i = 0; i < n; i++)
		g_array_append_val(r->hosts, hs[i]);
	r->summary.inputs = g_ptr_array_new();
	r->summary.warnings = g_ptr_array_new();
	return r;
}

static void free_hosts_report(ss_report *r)
{
	/* hand-made hosts own no listener array */
	g_array_unref(r->hosts);
	r->hosts = NULL;
	ss_report_free(r);
}

static void test_ephemeral(void **state)
{
	(void)state;
	const ss_eph_default L = SS_EPH_LINUX, U = SS_EPH_UNKNOWN;
	const ss_alloc_pattern ST = SS_ALLOC_STEPPING, NP = SS_ALLOC_UNKNOWN;
	const ss_host ha[] = {
		host(1, 30, L, ST, 33000, 60000),   /* -> IANA ports above 60999: changed */
		host(2, 30, L, ST, 33000, 60000),   /* same: unchanged */
		host(3, 30, L, ST, 33000, 60000),   /* -> 3 samples: unknown */
		host(4, 2, U, NP, 40000, 40002),    /* unknown both: nothing */
		host(5, 30, L, SS_ALLOC_EVEN, 33000, 60000),   /* only in A: nothing */
		host(6, 30, L, ST, 33000, 60000),   /* pattern unknown in B: same */
		host(8, 30, L, ST, 33000, 60000),   /* -> "custom" inside A's range: unknown */
		host(9, 20, L, ST, 33000, 60000),   /* -> random, 20 ports each: changed */
	};
	const ss_host hb[] = {
		host(1, 40, SS_EPH_IANA, SS_ALLOC_RANDOM, 49500, 65000),
		host(2, 25, L, ST, 34000, 59000),
		host(3, 3, U, NP, 40000, 40010),
		host(4, 1, U, NP, 40000, 40000),
		host(6, 30, L, NP, 33000, 60000),
		host(7, 30, L, SS_ALLOC_EVEN, 33000, 60000),   /* only in B: nothing */
		host(8, 10, SS_EPH_CUSTOM, SS_ALLOC_RANDOM, 40000, 45000),
		host(9, 20, L, SS_ALLOC_RANDOM, 33000, 60000),
	};
	ss_report *a = hosts_report(ha, G_N_ELEMENTS(ha)), *b = hosts_report(hb, G_N_ELEMENTS(hb));
	ss_drift *d = ss_drift_compute(a, b);
	assert_int_equal(d->ephemeral->len, 4);
	const ss_drift_ephemeral *e = &g_array_index(d->ephemeral, ss_drift_ephemeral, 0);
	assert_int_equal(e->ip.bytes[3], 1);
	assert_int_equal(e->verdict, SS_DRIFT_EPH_CHANGED);
	assert_int_equal(e->differs, SS_DRIFT_EPH_RANGE | SS_DRIFT_EPH_PATTERN);
	assert_string_equal(e->why, "ports in B outside A's range");
	e = &g_array_index(d->ephemeral, ss_drift_ephemeral, 1);
	assert_int_equal(e->ip.bytes[3], 3);
	assert_int_equal(e->verdict, SS_DRIFT_EPH_UNKNOWN);
	assert_string_equal(e->why, "too few ports in B to profile");
	/* a narrower "custom" range inside A's, from 10 ports: not proof */
	e = &g_array_index(d->ephemeral, ss_drift_ephemeral, 2);
	assert_int_equal(e->ip.bytes[3], 8);
	assert_int_equal(e->verdict, SS_DRIFT_EPH_UNKNOWN);
	assert_int_equal(e->differs, 0);
	e = &g_array_index(d->ephemeral, ss_drift_ephemeral, 3);
	assert_int_equal(e->ip.bytes[3], 9);
	assert_int_equal(e->verdict, SS_DRIFT_EPH_CHANGED);
	assert_int_equal(e->differs, SS_DRIFT_EPH_PATTERN);
	assert_int_equal(d->ephemeral_unchanged, 2);
	assert_int_equal(d->hosts_profiled, 6);

	GPtrArray *f = ss_drift_findings(d);
	assert_int_equal(f->len, 2);   /* unknown claims nothing */
	const ss_finding *x = g_ptr_array_index(f, 0);
	assert_string_equal(x->id, "ephemeral_profile_changed");
	assert_string_equal(x->statement,
			    "host 10.1.0.1 changed its ephemeral ports: linux 32768-60999, "
			    "stepping (30 ports) in A, iana 49152-65535, random (40 ports) in B");
	g_ptr_array_unref(f);
	ss_drift_free(d);
	free_hosts_report(a);
	free_hosts_report(b);
}

/* IPv6 listener and clients through the analyzer: clients of two /64s
 * in A, one of them and a third /64 in B. */
static ss_report *report_v6(const guint8 (*clients)[16], guint n, gint64 start_ms)
{
	cap c;
	cap_init(&c, start_ms);
	ss_ip srv;
	memset(&srv, 0, sizeof srv);
	static const guint8 s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	memcpy(srv.bytes, s6, 16);
	for (guint i = 0; i < n; i++) {
		ss_ip cl;
		memcpy(cl.bytes, clients[i], 16);
		sc_flow f = sc_flow_make(IPPROTO_TCP, cl, c.port, srv, 443);
		c.port += 2;
		ss_packet p = sc_packet(&f, SC_CLIENT, c.ms);
		p.family = SS_FAMILY_IPV6;
		p.l4 = SS_L4_TCP;
		p.tcp.flags = SYN;
		p.tcp.window = 65535;
		p.tcp.seq = c.isn += 1000;
		ss_analyzer_decoded(c.a, &p);
		p = sc_packet(&f, SC_SERVER, c.ms + 1);
		p.family = SS_FAMILY_IPV6;
		p.l4 = SS_L4_TCP;
		p.tcp.flags = SYN | ACK;
		p.tcp.window = 65535;
		p.tcp.seq = 777;
		ss_analyzer_decoded(c.a, &p);
		c.ms += 10;
	}
	return cap_finish(&c);
}

static void test_ipv6_network(void **state)
{
	(void)state;
	/* 2001:db8:1:2::/64 twice (two hosts), 2001:db8:1:3::/64 once */
	static const guint8 ca[][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0xde, 0xad, 0, 0, 0, 0, 0, 1 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0xbe, 0xef, 0, 0, 0, 0, 0, 9 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	/* B: the same /64 from a new host (no change), and 2001:db8:1:2:8000::
	 * would still be that /64; a new one: 2001:db8:ffff:1::/64 */
	static const guint8 cb[][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0x80, 0, 0, 0, 0, 0, 0, 7 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	ss_report *a = report_v6(ca, G_N_ELEMENTS(ca), 0);
	ss_report *b = report_v6(cb, G_N_ELEMENTS(cb), 3600 * 1000);
	ss_drift *d = ss_drift_compute(a, b);
	assert_int_equal(d->listeners->len, 0);   /* open in both */
	assert_int_equal(d->networks->len, 2);
	GString *s = g_string_new(NULL);
	const ss_drift_network *n0 = &g_array_index(d->networks, ss_drift_network, 0);
	const ss_drift_network *n1 = &g_array_index(d->networks, ss_drift_network, 1);
	ss_drift_network_append(s, n0->family, &n0->net, n0->prefix);
	assert_string_equal(s->str, "2001:db8:1:3::/64");
	assert_int_equal(n0->change, SS_DRIFT_NET_GONE);
	assert_int_equal(n0->confidence, SS_CONFIDENCE_LOW);   /* B saw 2 connections only */
	g_string_truncate(s, 0);
	ss_drift_network_append(s, n1->family, &n1->net, n1->prefix);
	assert_string_equal(s->str, "2001:db8:ffff:1::/64");
	assert_int_equal(n1->change, SS_DRIFT_NET_NEW);
	g_string_truncate(s, 0);
	ss_drift_listener_append(s, n1->proto, n1->family, &n1->ip, n1->port);
	assert_string_equal(s->str, "[2001:db8::2]:443/tcp");
	g_string_free(s, TRUE);
	ss_drift_free(d);
	ss_report_free(a);
	ss_report_free(b);
}

/* Many new networks at one listener: one record each, one finding. */
static void test_network_findings_grouped(void **state)
{
	(void)state;
	cap ca, cb;
	cap_init(&ca, 0);
	cap_init(&cb, 3600 * 1000);
	for (int i = 0; i < 10; i++) {
		attempt(&ca, sc_ip4(10, 1, 0, 5), 80, ANSWER);
		attempt(&cb, sc_ip4(10, 1, 0, 5), 80, ANSWER);
	}
	for (guint8 x = 1; x <= 5; x++)
		attempt(&cb, sc_ip4(10, 20, x, 7), 80, ANSWER);
	ss_report *a = cap_finish(&ca), *b = cap_finish(&cb);
	ss_drift *d = ss_drift_compute(a, b);
	assert_int_equal(d->listeners->len, 0);
	assert_int_equal(d->networks->len, 5);
	GPtrArray *f = ss_drift_findings(d);
	assert_int_equal(f->len, 1);
	const ss_finding *x = g_ptr_array_index(f, 0);
	assert_string_equal(x->id, "client_network_new");
	assert_int_equal(x->count, 5);
	assert_string_equal(x->statement,
			    "5 client networks are new at 10.0.0.2:80/tcp: 10.20.1.0/24 (1), "
			    "10.20.2.0/24 (1), 10.20.3.0/24 (1) and 2 more; 5 connections from 5 "
			    "addresses in B, none among 10 in A (confidence medium)");
	g_ptr_array_unref(f);
	ss_drift_free(d);
	ss_report_free(a);
	ss_report_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_ephemeral),
		cmocka_unit_test(test_ipv6_network),
		cmocka_unit_test(test_network_findings_grouped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
