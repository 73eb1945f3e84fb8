/* Findings (src/findings.c): grouping, thresholds, ranking, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>

#include "analysis/findings-internal.h"
#include "sockscope/findings.h"
#include "sockscope/render.h"
#include "sockscope/hosts.h"

/* findings-internal.h (for the examples' store) builds findings with a
 * fact() macro; this file's fact() reads them. */
#undef fact

#define MS (G_GINT64_CONSTANT(1000000))
#define T0 (G_GINT64_CONSTANT(1767225600) * 1000000000)   /* 2026-01-01 */

static guint64 next_seq;

static ss_ip v4(int a, int b, int c, int d)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.bytes[0] = (guint8)a;
	ip.bytes[1] = (guint8)b;
	ip.bytes[2] = (guint8)c;
	ip.bytes[3] = (guint8)d;
	return ip;
}

/* A finalized TCP record from client cip:cport to sip:sport. */
static ss_conn *tcp(ss_ip cip, guint16 cport, ss_ip sip, guint16 sport, gint64 start)
{
	ss_conn *c = g_new0(ss_conn, 1);
	c->proto = IPPROTO_TCP;
	c->family = SS_FAMILY_IPV4;
	c->client = 0;
	ss_conn_set_ends(c, cip, cport, sip, sport);
	c->ep0_key_side = (guint8)ss_flow_key_make(&c->key, c->family, c->proto, &cip, cport, &sip,
						   sport);
	c->syn_side = 0;
	c->synack_side = -1;
	c->first_rst_side = -1;
	c->icmp_about_side = -1;
	c->tail = SS_CONN_TAIL_TCP;   /* a TCP record holds its TCP state (conn.h) */
	c->tail_tcp = ss_conn_tcp_none;
	c->ep[0].packets = 1;
	c->ep[0].first_ns = c->ep[0].last_ns = start;
	c->ep[1].first_ns = c->ep[1].last_ns = SS_NO_TIME;
	c->tail_tcp.syn_ns = start;
	c->evidence = SS_EVIDENCE_SYN;
	c->confidence = SS_CONFIDENCE_HIGH;
	c->seq = next_seq++;
	ss_conn_history_add(c, 0, 's');
	return c;
}

static ss_conn *unanswered(ss_ip cip, guint16 cport, ss_ip sip, guint16 sport, gint64 start)
{
	ss_conn *c = tcp(cip, cport, sip, sport, start);
	c->outcome = SS_OUTCOME_UNANSWERED;
	return c;
}

/* SYN, SYN-ACK after rtt, ACK after rtt2, closed after `life`. */
static ss_conn *complete(ss_ip cip, guint16 cport, ss_ip sip, guint16 sport, gint64 start,
			 gint64 rtt, gint64 rtt2, gint64 life)
{
	ss_conn *c = tcp(cip, cport, sip, sport, start);
	c->outcome = SS_OUTCOME_COMPLETE;
	c->close = SS_CLOSE_FIN;
	c->synack_side = 1;
	c->tail_tcp.synack_ns = start + rtt;
	c->tail_tcp.ack_ns = start + rtt + rtt2;
	c->ep[0].packets = 4;
	c->ep[0].last_ns = start + life;
	c->ep[1].packets = 3;
	c->ep[1].first_ns = start + rtt;
	c->ep[1].last_ns = start + life;
	c->sent[0] = c->sent[1] = SS_SENT_FIN | SS_SENT_ACK;
	/* "shafF": ep[1] sent the h and the last F */
	ss_conn_history_add(c, 1, 'h');
	ss_conn_history_add(c, 0, 'a');
	ss_conn_history_add(c, 0, 'f');
	ss_conn_history_add(c, 1, 'F');
	return c;
}

static ss_report *report_of(GPtrArray *conns)
{
	ss_report *r = g_new0(ss_report, 1);
	r->summary.inputs = g_ptr_array_new();
	r->summary.warnings = g_ptr_array_new();
	r->summary.first_ns = r->summary.last_ns = SS_NO_TIME;
	r->conns = conns;
	r->listeners = g_array_new(FALSE, TRUE, sizeof(ss_listener));
	r->hosts = g_array_new(FALSE, TRUE, sizeof(ss_host));
	return r;
}

static const ss_finding *find(GPtrArray *fs, const char *id)
{
	for (guint i = 0; i < fs->len; i++) {
		const ss_finding *f = g_ptr_array_index(fs, i);
		if (strcmp(f->id, id) == 0)
			return f;
	}
	return NULL;
}

static gint64 fact(const ss_finding *f, const char *name)
{
	for (guint i = 0; i < f->n_facts; i++)
		if (strcmp(f->facts[i].name, name) == 0)
			return f->facts[i].value;
	fail_msg("no fact %s in %s", name, f->id);
	return -1;
}

static void test_unanswered_per_destination(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	ss_ip cl = v4(10, 0, 0, 5), sv = v4(10, 0, 0, 9);
	for (int i = 0; i < 3; i++)
		g_ptr_array_add(conns, unanswered(cl, (guint16)(40000 + i), sv, 443, T0 + i * 1000 * MS));
	g_ptr_array_add(conns, unanswered(cl, 40010, sv, 8443, T0 + 5000 * MS));
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	assert_int_equal(fs->len, 2);
	const ss_finding *f = g_ptr_array_index(fs, 0);
	assert_string_equal(f->id, "unanswered_syn");
	assert_int_equal(f->severity, SS_SEVERITY_HIGH);
	assert_int_equal(f->count, 3);   /* the larger group ranks first */
	assert_int_equal(f->server_port, 443);
	assert_true(f->has_client);
	assert_string_equal(f->statement, "3 connection attempts from 10.0.0.5 to 10.0.0.9:443 "
			    "(https) got no answer: the server is down or a firewall drops them.");
	assert_int_equal(f->n_examples, 3);
	assert_int_equal(ss_conn_port(&f->examples[0], 0), 40000);
	assert_int_equal(((const ss_finding *)g_ptr_array_index(fs, 1))->server_port, 8443);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* A scan: one client, 40 ports of one host, 2 open, 30 unanswered, 8
 * unanswered from the scanner to the same port as a real client's attempt.
 * One port_scan finding; the probes leave unanswered_syn; the real client's
 * unanswered attempt stays. */
static void test_port_scan_rollup(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	ss_ip scanner = v4(10, 0, 0, 66), target = v4(10, 0, 0, 9);
	for (guint16 p = 1; p <= 40; p++) {
		if (p == 22 || p == 25)
			g_ptr_array_add(conns, complete(scanner, 40000, target, p, T0 + p * MS, MS, MS,
							10 * MS));
		else
			g_ptr_array_add(conns, unanswered(scanner, 40000, target, p, T0 + p * MS));
	}
	g_ptr_array_add(conns, unanswered(v4(10, 0, 0, 7), 50000, target, 30, T0 + 100 * MS));
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	const ss_finding *f = find(fs, "port_scan");
	assert_non_null(f);
	assert_int_equal(fact(f, "ports"), 40);
	assert_int_equal(fact(f, "open"), 2);
	assert_int_equal(fact(f, "unanswered"), 38);
	assert_non_null(strstr(f->statement, "2 open (22, 25)"));
	/* the open ports as a field, ascending */
	assert_non_null(f->open_ports);
	assert_int_equal(f->open_ports->len, 2);
	assert_int_equal(g_array_index(f->open_ports, guint16, 0), 22);
	assert_int_equal(g_array_index(f->open_ports, guint16, 1), 25);
	guint unanswered_findings = 0;
	for (guint i = 0; i < fs->len; i++) {
		const ss_finding *x = g_ptr_array_index(fs, i);
		if (strcmp(x->id, "unanswered_syn") == 0) {
			unanswered_findings++;
			assert_int_equal(x->server_port, 30);   /* the real client's */
			assert_int_equal(x->count, 1);
		}
	}
	assert_int_equal(unanswered_findings, 1);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* A sweep: one client probes port 22 on 30 hosts, 10.0.0.20 and 10.0.0.3
 * answer.  One port_sweep finding whose answered_hosts holds both,
 * ascending by address (10.0.0.3 first), named in the statement. */
static void test_port_sweep_hosts(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	ss_ip scanner = v4(10, 0, 0, 66);
	for (guint8 h = 1; h <= 30; h++) {
		if (h == 20 || h == 3)
			g_ptr_array_add(conns, complete(scanner, 40000 + h, v4(10, 0, 0, h), 22,
							T0 + h * MS, MS, MS, 10 * MS));
		else
			g_ptr_array_add(conns, unanswered(scanner, 40000 + h, v4(10, 0, 0, h), 22,
							  T0 + h * MS));
	}
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	const ss_finding *f = find(fs, "port_sweep");
	assert_non_null(f);
	assert_int_equal(fact(f, "hosts"), 30);
	assert_int_equal(fact(f, "open"), 2);
	assert_null(f->open_ports);
	assert_non_null(f->answered_hosts);
	assert_int_equal(f->answered_hosts->len, 2);
	ss_ip a = v4(10, 0, 0, 3), b = v4(10, 0, 0, 20);
	assert_memory_equal(&g_array_index(f->answered_hosts, ss_ip, 0), &a, sizeof a);
	assert_memory_equal(&g_array_index(f->answered_hosts, ss_ip, 1), &b, sizeof b);
	assert_non_null(strstr(f->statement, "2 answered (10.0.0.3, 10.0.0.20)"));
	/* no port_scan: 30 hosts, one port each */
	assert_null(find(fs, "port_scan"));
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* A scan's and a sweep's examples: the first SS_FINDING_EXAMPLES completed
 * connections of each, in the records' order, chosen in one pass over the
 * records with the scans indexed by key (findings-scan.c).  The scanner
 * also completes connections to another host, and the sweeper to another
 * port: neither is an example of the wrong finding. */
static void test_scan_examples_in_record_order(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	ss_ip scanner = v4(10, 0, 0, 66), target = v4(10, 0, 0, 9), sweeper = v4(10, 0, 0, 77);
	gint64 t = T0;
	for (guint16 p = 1; p <= 20; p++) {
		/* the scanner: a completed connection to another host first */
		g_ptr_array_add(conns, complete(scanner, 41000, v4(10, 0, 1, (int)p), 80, t += MS, MS,
						MS, 10 * MS));
		if (p % 4 == 0)   /* ports 4, 8, 12, 16, 20 open */
			g_ptr_array_add(conns, complete(scanner, 40000, target, p, t += MS, MS, MS,
							10 * MS));
		else
			g_ptr_array_add(conns, unanswered(scanner, 40000, target, p, t += MS));
		/* the sweeper: port 22 on 20 hosts, every fifth answers; and a
		 * completed connection to port 443 of the same host */
		ss_ip host = v4(10, 0, 2, (int)p);
		g_ptr_array_add(conns, complete(sweeper, (guint16)(42000 + p), host, 443, t += MS, MS,
						MS, 10 * MS));
		if (p % 5 == 0)
			g_ptr_array_add(conns, complete(sweeper, (guint16)(43000 + p), host, 22, t += MS,
							MS, MS, 10 * MS));
		else
			g_ptr_array_add(conns, unanswered(sweeper, (guint16)(43000 + p), host, 22,
							  t += MS));
	}
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	const ss_finding *scan = find(fs, "port_scan");
	assert_non_null(scan);
	assert_int_equal(scan->n_examples, SS_FINDING_EXAMPLES);
	for (guint i = 0; i < scan->n_examples; i++) {
		const ss_conn *c = &scan->examples[i];
		assert_memory_equal(ss_conn_server_ip(c), &target, sizeof target);
		assert_int_equal(ss_conn_server_port(c), 4 * (i + 1));
	}
	const ss_finding *sweep = NULL;
	for (guint i = 0; i < fs->len; i++) {
		const ss_finding *f = g_ptr_array_index(fs, i);
		if (strcmp(f->id, "port_sweep") == 0 && f->server_port == 22)
			sweep = f;
	}
	assert_non_null(sweep);
	assert_int_equal(sweep->n_examples, SS_FINDING_EXAMPLES);
	for (guint i = 0; i < sweep->n_examples; i++) {
		const ss_conn *c = &sweep->examples[i];
		ss_ip host = v4(10, 0, 2, (int)(5 * (i + 1)));
		assert_int_equal(ss_conn_server_port(c), 22);
		assert_memory_equal(ss_conn_server_ip(c), &host, sizeof host);
	}
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* Scans and sweeps at the minimum (SS_SCAN_MIN_TARGETS ports or hosts)
 * and one below it, among thousands of one-pair clients: the pairs are
 * first counted by key in shared counters (findings-scan.c), and a count
 * that other keys inflate must never make a scan, nor one that only
 * just makes it be lost. */
static void test_scan_minimum_among_many_pairs(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	gint64 t = T0;
	for (guint i = 0; i < 6000; i++)
		g_ptr_array_add(conns, unanswered(v4(172, 16, (int)(i >> 8), (int)(i & 255)), 30000,
						  v4(192, 168, (int)(i % 7), (int)(i % 251)), 443,
						  t += MS));
	for (int n = SS_SCAN_MIN_TARGETS - 1; n <= SS_SCAN_MIN_TARGETS; n++) {
		ss_ip scanner = v4(10, 1, n, 1), sweeper = v4(10, 2, n, 1);
		for (int p = 0; p < n; p++) {
			g_ptr_array_add(conns, unanswered(scanner, 40000, v4(10, 3, n, 1),
							  (guint16)(1000 + p), t += MS));
			g_ptr_array_add(conns, unanswered(sweeper, (guint16)(40000 + p),
							  v4(10, 4, n, p), 22, t += MS));
		}
	}
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	guint scans = 0, sweeps = 0;
	for (guint i = 0; i < fs->len; i++) {
		const ss_finding *f = g_ptr_array_index(fs, i);
		gboolean scan = strcmp(f->id, "port_scan") == 0;
		if (!scan && strcmp(f->id, "port_sweep") != 0)
			continue;
		scan ? scans++ : sweeps++;
		assert_int_equal(f->count, SS_SCAN_MIN_TARGETS);
		assert_int_equal(fact(f, scan ? "ports" : "hosts"), SS_SCAN_MIN_TARGETS);
		ss_ip who = scan ? v4(10, 1, SS_SCAN_MIN_TARGETS, 1) : v4(10, 2, SS_SCAN_MIN_TARGETS, 1);
		assert_memory_equal(&f->client_ip, &who, sizeof who);
	}
	assert_int_equal(scans, 1);
	assert_int_equal(sweeps, 1);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

static void test_slow_handshake_sides(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	ss_ip sv = v4(10, 0, 0, 9);
	for (int i = 0; i < 10; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 1, i + 1), 50000, sv, 80, T0 + i * 10000 * MS,
						MS, MS / 2, 5000 * MS));
	/* one server-side outlier: 250 ms > max(3 x 1 ms, 1 ms + 100 ms) */
	g_ptr_array_add(conns, complete(v4(10, 0, 1, 99), 50001, sv, 80, T0 + 200000 * MS,
					250 * MS, MS / 2, 5000 * MS));
	/* 90 ms is not an outlier (below median + 100 ms) */
	g_ptr_array_add(conns, complete(v4(10, 0, 1, 98), 50002, sv, 80, T0 + 300000 * MS,
					90 * MS, MS / 2, 5000 * MS));
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	const ss_finding *f = find(fs, "slow_handshake");
	assert_non_null(f);
	assert_int_equal(fact(f, "server_side_outliers"), 1);
	assert_int_equal(fact(f, "client_side_outliers"), 0);
	assert_int_equal(fact(f, "syn_to_synack_median_ms"), MS);
	assert_non_null(strstr(f->statement, "server side of the capture point"));
	assert_null(strstr(f->statement, "client side"));
	assert_int_equal(f->n_examples, 1);
	assert_int_equal(ss_conn_port(&f->examples[0], 0), 50001);
	g_ptr_array_unref(fs);
	ss_report_free(r);

	/* client side: SYN-ACK to ACK */
	conns = g_ptr_array_new();
	for (int i = 0; i < 6; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 1, i + 1), 50000, sv, 80, T0 + i * 10000 * MS,
						MS, MS, 5000 * MS));
	g_ptr_array_add(conns, complete(v4(10, 0, 1, 99), 50001, sv, 80, T0 + 200000 * MS,
					MS, 500 * MS, 5000 * MS));
	r = report_of(conns);
	fs = ss_findings_compute(r);
	f = find(fs, "slow_handshake");
	assert_non_null(f);
	assert_int_equal(fact(f, "client_side_outliers"), 1);
	assert_non_null(strstr(f->statement, "client side of the capture point"));
	g_ptr_array_unref(fs);
	ss_report_free(r);

	/* too few samples for a median, all fast: nothing */
	conns = g_ptr_array_new();
	for (int i = 0; i < SS_SLOW_MIN_SAMPLES - 2; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 1, i + 1), 50000, sv, 80, T0 + i * 10000 * MS,
						MS, MS, 5000 * MS));
	g_ptr_array_add(conns, complete(v4(10, 0, 1, 99), 50001, sv, 80, T0 + 200000 * MS,
					250 * MS, MS, 5000 * MS));
	r = report_of(conns);
	fs = ss_findings_compute(r);
	assert_null(find(fs, "slow_handshake"));
	g_ptr_array_unref(fs);
	ss_report_free(r);

	/* absolute slowness: a single 878 ms handshake (no median to compare) */
	conns = g_ptr_array_new();
	g_ptr_array_add(conns, complete(v4(10, 0, 1, 99), 50001, sv, 80, T0, 878 * MS, MS,
					5000 * MS));
	r = report_of(conns);
	fs = ss_findings_compute(r);
	f = find(fs, "slow_handshake");
	assert_non_null(f);
	assert_int_equal(fact(f, "server_side_outliers"), 1);
	assert_int_equal(fact(f, "syn_to_synack_limit_ms"), SS_SLOW_ABSOLUTE_NS);
	assert_non_null(strstr(f->statement, "server side of the capture point"));
	g_ptr_array_unref(fs);
	ss_report_free(r);

	/* a server uniformly slow at 400 ms: no outlier against its median,
	 * every handshake over the absolute limit */
	conns = g_ptr_array_new();
	for (int i = 0; i < 8; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 1, i + 1), 50000, sv, 80, T0 + i * 10000 * MS,
						400 * MS, MS, 5000 * MS));
	r = report_of(conns);
	fs = ss_findings_compute(r);
	f = find(fs, "slow_handshake");
	assert_non_null(f);
	assert_int_equal(fact(f, "server_side_outliers"), 8);
	assert_int_equal(fact(f, "syn_to_synack_median_ms"), 400 * MS);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

static void test_churn_threshold(void **state)
{
	(void)state;
	for (int n = SS_CHURN_MIN_CONNS - 1; n <= SS_CHURN_MIN_CONNS; n++) {
		GPtrArray *conns = g_ptr_array_new();
		for (int i = 0; i < n; i++)
			g_ptr_array_add(conns, complete(v4(10, 0, 0, 5), (guint16)(33000 + i), v4(10, 0, 0, 9),
							8080, T0 + i * 2000 * MS, MS, MS, 200 * MS));
		/* a long one does not count */
		g_ptr_array_add(conns, complete(v4(10, 0, 0, 5), 34000, v4(10, 0, 0, 9), 8080,
						T0 + 100000 * MS, MS, MS, 5000 * MS));
		ss_report *r = report_of(conns);
		GPtrArray *fs = ss_findings_compute(r);
		const ss_finding *f = find(fs, "connection_churn");
		if (n < SS_CHURN_MIN_CONNS) {
			assert_null(f);
		} else {
			assert_non_null(f);
			assert_int_equal(f->count, n);
			assert_int_equal(fact(f, "connections"), n + 1);
			assert_true(f->has_client);
		}
		g_ptr_array_unref(fs);
		ss_report_free(r);
	}
}

static void test_ranking_and_time_wait(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	ss_ip cl = v4(10, 0, 0, 5), sv = v4(10, 0, 0, 9);
	/* medium: SYN retransmitted, then answered */
	ss_conn *c = complete(cl, 41000, sv, 80, T0, 1001 * MS, MS, 2000 * MS);
	c->tail_tcp.syn_retransmits = 1;
	c->tail = SS_CONN_TAIL_SYN_GAPS;   /* it holds the gaps (conn.h) */
	c->tail_syn_gaps_ns[0] = 1000 * MS;
	g_ptr_array_add(conns, c);
	/* high: refused by RST */
	c = tcp(cl, 41001, sv, 23, T0 + 10 * MS);
	c->outcome = SS_OUTCOME_REJECTED;
	c->first_rst_side = 1;
	c->tail_tcp.first_rst_ns = T0 + 11 * MS;
	g_ptr_array_add(conns, c);
	/* a tuple closed with FIN, reopened 2 s later: TIME_WAIT reuse */
	g_ptr_array_add(conns, complete(cl, 42000, sv, 80, T0 + 5000 * MS, MS, MS, 100 * MS));
	c = complete(cl, 42000, sv, 80, T0 + 7100 * MS, MS, MS, 100 * MS);
	c->reuse = SS_REUSE_AFTER_FIN;
	c->tail_tcp.reuse_index = 1;
	g_ptr_array_add(conns, c);
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	assert_true(fs->len >= 3);
	assert_string_equal(((const ss_finding *)g_ptr_array_index(fs, 0))->id, "refused");
	for (guint i = 1; i < fs->len; i++) {
		const ss_finding *a = g_ptr_array_index(fs, i - 1), *b = g_ptr_array_index(fs, i);
		assert_true(a->severity < b->severity ||
			    (a->severity == b->severity && a->count >= b->count));
	}
	const ss_finding *tw = find(fs, "time_wait_reuse");
	assert_non_null(tw);
	assert_int_equal(fact(tw, "min_gap_ms"), 2000 * MS);
	assert_null(find(fs, "tuple_reuse"));
	assert_non_null(find(fs, "syn_retransmits"));

	/* the same records, again: byte-identical jsonl */
	GPtrArray *again = ss_findings_compute(r);
	assert_int_equal(again->len, fs->len);
	for (guint i = 0; i < fs->len; i++) {
		GString *a = g_string_new(NULL), *b = g_string_new(NULL);
		ss_json_finding(a, g_ptr_array_index(fs, i), i + 1, TRUE);
		ss_json_finding(b, g_ptr_array_index(again, i), i + 1, TRUE);
		assert_string_equal(a->str, b->str);
		g_string_free(a, TRUE);
		g_string_free(b, TRUE);
	}
	g_ptr_array_unref(again);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* The findings' jsonl, one string. */
static char *findings_text(GPtrArray *fs)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < fs->len; i++)
		ss_json_finding(s, g_ptr_array_index(fs, i), i + 1, TRUE);
	return g_string_free(s, FALSE);
}

/* Record i of a mix: unanswered (i % 7 == 3), refused (i % 11 == 5), else
 * complete with round trips rtt and rtt2, closed by FIN and its tuple
 * reused when `reused`. */
static ss_conn *record_of_kind(int i, ss_ip cl, ss_ip sv, guint16 port, gint64 t, gint64 rtt,
			       gint64 rtt2, gboolean reused)
{
	ss_conn *c;
	if (i % 7 == 3)
		return unanswered(cl, (guint16)(30000 + i), sv, port, t);
	if (i % 11 == 5) {
		c = tcp(cl, (guint16)(30000 + i), sv, port, t);
		c->outcome = SS_OUTCOME_REJECTED;
		c->first_rst_side = 1;
		c->tail_tcp.first_rst_ns = t + MS;
		return c;
	}
	c = complete(cl, (guint16)(30000 + i % 9), sv, port, t, rtt, rtt2, 20 * MS);
	if (reused) {
		c->reuse = SS_REUSE_AFTER_FIN;
		c->tail_tcp.reuse_index = 1;
	}
	return c;
}

/* Announcing records ahead (ss_findings_acc_ahead: the writer thread
 * does, 16 ahead) only prefetches: the findings are the same announced or
 * not, and with announcements that are never followed by their add,
 * repeated, or out of order. */
static void test_announced_ahead(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	ss_ip cl = v4(10, 0, 0, 5), sv = v4(10, 0, 0, 9);
	for (int i = 0; i < 60; i++) {
		/* slow handshakes to a few listeners, some closed by FIN and
		 * their tuple reused, some unanswered or refused */
		gint64 t = T0 + i * 50 * MS;
		guint16 port = (guint16)(8000 + i % 5);
		g_ptr_array_add(conns, record_of_kind(i, cl, sv, port, t, (200 + i * 37 % 900) * MS,
						       (i % 3) * 300 * MS, i >= 9));
	}
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);   /* announced 16 ahead */
	char *want = findings_text(fs);
	assert_non_null(find(fs, "slow_handshake"));
	assert_non_null(find(fs, "time_wait_reuse"));
	for (int how = 0; how < 3; how++) {
		ss_findings_acc *a = ss_findings_acc_new();
		for (guint i = 0; i < conns->len; i++) {
			if (how == 1 && i % 4 == 0) {
				/* some never added, some twice, one out of order */
				ss_findings_acc_ahead(a, g_ptr_array_index(conns, (i * 7) % conns->len));
				ss_findings_acc_ahead(a, g_ptr_array_index(conns, i));
				ss_findings_acc_ahead(a, g_ptr_array_index(conns, i));
			}
			if (how == 2 && i + 20 < conns->len)
				/* farther ahead than the ring holds */
				ss_findings_acc_ahead(a, g_ptr_array_index(conns, i + 20));
			ss_findings_acc_add(a, g_ptr_array_index(conns, i));
		}
		GPtrArray *got = ss_findings_acc_finish(a, r);
		char *text = findings_text(got);
		assert_string_equal(text, want);
		g_free(text);
		g_ptr_array_unref(got);
	}
	g_free(want);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* The slow part on "its thread" (here called in turn): finish_slow ranks
 * its findings and finish_begin_split merges them with the rest, ranked
 * apart before and after them (findings.c merge_ranked); the findings and
 * their order are those of one ranking of all.  Many listeners with slow
 * handshakes of equal counts, beside unanswered, refused and reused ones
 * of the same counts, so that the merge meets ties in every field it
 * ranks by before the subject. */
static GPtrArray *slow_now(gpointer data)
{
	return ss_findings_acc_finish_slow(data);
}

static void slow_started(gpointer data)
{
	(void)data;
}

static void test_split_ranks_as_one(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	for (int i = 0; i < 600; i++) {
		ss_ip cl = v4(10, 0, 1, 1 + i % 13), sv = v4(10, 0, 2, 1 + i % 37);
		gint64 t = T0 + i * 40 * MS;
		guint16 port = (guint16)(8000 + i % 23);
		g_ptr_array_add(conns, record_of_kind(i, cl, sv, port, t,
						       (i % 5 == 0 ? 900 + i % 300 : 2 + i % 3) * MS,
						       (i % 13 == 0) * 400 * MS, i % 3 == 0));
	}
	ss_report *r = report_of(conns);
	r->conns = g_ptr_array_new();   /* streamed: the records not kept */
	ss_findings_acc *a = ss_findings_acc_new();
	for (guint i = 0; i < conns->len; i++)
		ss_findings_acc_add(a, g_ptr_array_index(conns, i));
	GPtrArray *one = ss_findings_acc_finish_end(a, ss_findings_acc_finish_begin(a, NULL), r);
	ss_findings_slow slow = { slow_started, slow_now, a };
	GPtrArray *split =
		ss_findings_acc_finish_end(a, ss_findings_acc_finish_begin_split(a, NULL, &slow), r);
	guint slows = 0;
	for (guint i = 0; i < one->len; i++)
		slows += strcmp(((const ss_finding *)g_ptr_array_index(one, i))->id,
				"slow_handshake") == 0;
	assert_true(slows >= 20 && slows < one->len);
	char *want = findings_text(one), *got = findings_text(split);
	assert_string_equal(got, want);
	g_free(want);
	g_free(got);
	g_ptr_array_unref(one);
	g_ptr_array_unref(split);
	ss_findings_acc_free(a);
	g_ptr_array_unref(r->conns);
	r->conns = conns;
	ss_report_free(r);
}

/* The client ports of a finding's examples, in their order ("40002 40001"). */
static char *example_ports(const ss_finding *f)
{
	GString *b = g_string_new(NULL);
	for (guint i = 0; i < f->n_examples; i++)
		g_string_append_printf(b, "%s%u", i ? " " : "",
				       ss_conn_port(&f->examples[i], f->examples[i].client));
	return g_string_free(b, FALSE);
}

/* Each record is stored once in the examples' store however many groups
 * quote it (findings-internal.h, ex_store), at its own length; a slowest
 * example that nothing else quotes is replaced in place, a shared one is
 * not written over (the other side still shows it). */
static void test_examples_stored_once(void **state)
{
	(void)state;
	ss_ip sv = v4(10, 0, 0, 9);
	GPtrArray *conns = g_ptr_array_new();
	/* slow on both sides: each the example of both sides' slowest */
	for (int i = 0; i < 3; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 1, i + 1), (guint16)(40000 + i), sv, 80,
						T0 + i * 10000 * MS, (400 + 10 * i) * MS,
						(1000 + 10 * i) * MS, 5000 * MS));
	/* slower on the server side only: they push those three out there */
	for (int i = 0; i < 3; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 2, i + 1), (guint16)(41000 + i), sv, 80,
						T0 + (10 + i) * 10000 * MS, (500 + 10 * i) * MS,
						MS, 5000 * MS));
	/* slow on the client side, not the slowest: the client side has
	 * more outliers, so its examples are the ones shown */
	for (int i = 0; i < 8; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 3, i + 1), (guint16)(42000 + i), sv, 80,
						T0 + (20 + i) * 10000 * MS, MS,
						(310 + 5 * i) * MS, 5000 * MS));
	/* every record here packs to the same room: they differ in values,
	 * not in which words are zero */
	const gsize rec = sizeof(ex_head) + ss_findings_ex_room(g_ptr_array_index(conns, 0));
	for (guint i = 0; i < conns->len; i++)
		assert_int_equal(sizeof(ex_head) + ss_findings_ex_room(g_ptr_array_index(conns, i)),
				 rec);
	ss_report *r = report_of(conns);
	ss_findings_acc *a = ss_findings_acc_new();
	ss_findings_acc_add(a, g_ptr_array_index(conns, 0));
	assert_int_equal(a->ex.len, rec);   /* one copy for both sides */
	for (guint i = 1; i < conns->len; i++)
		ss_findings_acc_add(a, g_ptr_array_index(conns, i));
	/* the first three, shared, could not be written over: three more */
	assert_int_equal(a->ex.len, 6 * rec);
	GPtrArray *fs = ss_findings_acc_finish(a, r);
	const ss_finding *f = find(fs, "slow_handshake");
	assert_non_null(f);
	char *ports = example_ports(f);
	assert_string_equal(ports, "40002 40001 40000");
	g_free(ports);
	g_ptr_array_unref(fs);
	ss_report_free(r);

	/* slow on the server side only, each slower than the last: the
	 * fourth and fifth are written over the fastest, not stored anew */
	conns = g_ptr_array_new();
	for (int i = 0; i < 5; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 1, i + 1), (guint16)(43000 + i), sv, 80,
						T0 + i * 10000 * MS, (400 + 10 * i) * MS, MS,
						5000 * MS));
	r = report_of(conns);
	a = ss_findings_acc_new();
	for (guint i = 0; i < conns->len; i++)
		ss_findings_acc_add(a, g_ptr_array_index(conns, i));
	assert_int_equal(a->ex.len, 3 * rec);
	fs = ss_findings_acc_finish(a, r);
	f = find(fs, "slow_handshake");
	assert_non_null(f);
	ports = example_ports(f);
	assert_string_equal(ports, "43004 43003 43002");
	g_free(ports);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* The IPv6 address 2001:db8::n. */
static ss_ip v6(int n)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.bytes[0] = 0x20;
	ip.bytes[1] = 0x01;
	ip.bytes[2] = 0x0d;
	ip.bytes[3] = 0xb8;
	ip.bytes[15] = (guint8)n;
	return ip;
}

/* complete(), of `family`, its flow key in virtual network `vni` (0: none). */
static ss_conn *complete_in(guint8 family, ss_ip cip, guint16 cport, ss_ip sip, guint16 sport,
			    guint32 vni, gint64 start)
{
	ss_conn *c = complete(cip, cport, sip, sport, start, MS, MS, 100 * MS);
	c->family = family;
	c->ep0_key_side = (guint8)ss_flow_key_make(&c->key, family, c->proto, &cip, cport, &sip,
						   sport);
	if (vni != 0) {
		c->key.tunnel = SS_TUNNEL_VXLAN;
		c->key.vni = vni;
	}
	return c;
}

/* A record reopening its tuple after a close by FIN. */
static ss_conn *reopened_in(guint8 family, ss_ip cip, guint16 cport, ss_ip sip, guint32 vni,
			    gint64 start)
{
	ss_conn *c = complete_in(family, cip, cport, sip, 80, vni, start);
	c->reuse = SS_REUSE_AFTER_FIN;
	c->tail_tcp.reuse_index = 1;
	return c;
}

/* The accumulator over every record of conns, in order. */
static ss_findings_acc *acc_of(GPtrArray *conns)
{
	ss_findings_acc *a = ss_findings_acc_new();
	for (guint i = 0; i < conns->len; i++)
		ss_findings_acc_add(a, g_ptr_array_index(conns, i));
	return a;
}

/* Closed tuples are remembered per family (untunnelled IPv4 ones inline,
 * findings.c closed_put()) and told apart by every part of the flow key: a tuple
 * reopened 2 s after its FIN is time-wait reuse, in either family, and
 * not when it was another port's or another virtual network's. */
/* The store keeps records packed (the map of their non-zero words, then
 * those words): each example a finding shows must come back with every
 * byte of the record it was made from, whatever its words, in less room
 * than the record. */
/* Round trips are kept in 4 bytes until one needs more (4.29 s and up):
 * the side's samples then widen, keeping the earlier ones, so the median,
 * the slowest and the outliers are those of the samples as given. */
static void test_slow_samples_widen(void **state)
{
	(void)state;
	ss_ip sv = v4(10, 0, 0, 9);
	GPtrArray *conns = g_ptr_array_new();
	/* 9 fast ones (1..9 ms: the widening copies past the first powers
	 * of two), then 5 s, then 10 ms */
	for (int i = 0; i < 9; i++)
		g_ptr_array_add(conns, complete(v4(10, 0, 1, i + 1), (guint16)(45000 + i), sv, 80,
						T0 + i * 10000 * MS, (i + 1) * MS, MS, 5000 * MS));
	g_ptr_array_add(conns, complete(v4(10, 0, 2, 1), 45100, sv, 80, T0 + 100000 * MS,
					5000 * MS, MS, 10000 * MS));
	g_ptr_array_add(conns, complete(v4(10, 0, 2, 2), 45101, sv, 80, T0 + 200000 * MS,
					10 * MS, MS, 5000 * MS));
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	const ss_finding *f = find(fs, "slow_handshake");
	assert_non_null(f);
	assert_int_equal(fact(f, "server_side_samples"), 11);
	assert_int_equal(fact(f, "server_side_outliers"), 1);
	assert_int_equal(fact(f, "syn_to_synack_median_ms"), 6 * MS);
	assert_int_equal(fact(f, "syn_to_synack_max_ms"), 5000 * MS);
	assert_int_equal(f->n_examples, 1);
	assert_int_equal(ss_conn_port(&f->examples[0], 0), 45100);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* The listeners' round trips live in the accumulator's pool (rtt_pool):
 * arrays freed as a listener grows are handed to the next, one listener
 * grows past the pool's largest (RTT_POOL_MAX) onto the heap, four widen
 * to 8-byte samples (two in the pool, two on the heap), and every listener
 * still reads back its own samples, in order. */
static void test_slow_samples_pooled(void **state)
{
	(void)state;
	enum { LISTENERS = 5 };
	/* samples per listener: through the pool onto the heap, the same
	 * widened on the heap, 2 048 x 4 bytes widened at the end; and the
	 * last two widened in the pool, one at its first sample */
	const guint counts[LISTENERS] = { 400, 400, 1100, 10, 3 };
	const guint widen_at[LISTENERS] = { G_MAXUINT, 300, 1099, 6, 0 };
	G_STATIC_ASSERT(1100 * sizeof(guint32) > RTT_POOL_MAX);
	GPtrArray *conns = g_ptr_array_new();
	ss_findings_acc *a = ss_findings_acc_new();
	guint done[LISTENERS] = { 0 };
	for (guint i = 0; done[0] + done[1] + done[2] + done[3] + done[4] < 1913; i++) {
		guint l = i % LISTENERS;
		if (done[l] == counts[l])
			continue;
		gint64 rtt = done[l] == widen_at[l] ? 5000 * G_GINT64_CONSTANT(1000) * MS
						    : (gint64)(done[l] + 1) * MS;
		ss_conn *c = complete(v4(10, 0, 1, (int)(i % 200) + 1), (guint16)(20000 + i),
				      v4(10, 0, 0, (int)l + 1), 80, T0 + (gint64)i * 10 * MS, rtt,
				      MS, 1000 * MS);
		g_ptr_array_add(conns, c);
		ss_findings_acc_add(a, c);
		done[l]++;
	}
	assert_non_null(a->rtts.chunks);
	guint seen = 0;
	for (guint32 i = 0; i < a->groups[K_SLOW].len; i++) {
		const group *g = group_at(a, K_SLOW, i);
		if (g == NULL)
			continue;
		guint l = g->k.server.bytes[3] - 1;
		assert_true(l < LISTENERS);
		seen++;
		assert_int_equal(g->c.slow.len[0], counts[l]);
		assert_int_equal(g->c.slow.len[1], counts[l]);
		assert_int_equal(g->c.slow.wide[0], widen_at[l] < counts[l]);
		for (guint j = 0; j < counts[l]; j++) {
			gint64 want = j == widen_at[l] ? 5000 * G_GINT64_CONSTANT(1000) * MS
						       : (gint64)(j + 1) * MS;
			assert_int_equal(slow_rtt(g, 0, j), want);
			assert_int_equal(slow_rtt(g, 1, j), MS);
		}
	}
	assert_int_equal(seen, LISTENERS);
	ss_findings_acc_free(a);
	ss_report_free(report_of(conns));
}

static void test_examples_packed_same_bytes(void **state)
{
	(void)state;
	ss_ip sv = v4(10, 0, 0, 9);
	GPtrArray *conns = g_ptr_array_new();
	for (int i = 0; i < 6; i++) {
		ss_conn *c = complete(v4(10, 0, 1, i + 1), (guint16)(44000 + i), sv, 80,
				      T0 + i * 10000 * MS, (400 + 10 * i) * MS, MS, 5000 * MS);
		/* words with every bit set, odd bytes alone, and zeros between */
		c->ep[0].bytes = G_MAXUINT64;
		c->ep[1].bytes = 0x0100000000000001ull * (guint64)(i + 1);
		c->tail_tcp.ack_ns |= (gint64)1 << 40;
		g_ptr_array_add(conns, c);
	}
	ss_report *r = report_of(conns);
	ss_findings_acc *a = ss_findings_acc_new();
	for (guint i = 0; i < conns->len; i++)
		ss_findings_acc_add(a, g_ptr_array_index(conns, i));
	/* three rooms, written over in place, each smaller than the record */
	assert_true(ss_findings_ex_room(g_ptr_array_index(conns, 0)) <
		    ss_conn_size(SS_CONN_TAIL_TCP));
	assert_true(a->ex.len <= 3 * (sizeof(ex_head) + ss_conn_size(SS_CONN_TAIL_TCP)));
	GPtrArray *fs = ss_findings_acc_finish(a, r);
	const ss_finding *f = find(fs, "slow_handshake");
	assert_non_null(f);
	assert_int_equal(f->n_examples, 3);
	for (guint i = 0; i < f->n_examples; i++) {
		const ss_conn *ex = &f->examples[i];
		const ss_conn *orig = NULL;
		for (guint j = 0; j < conns->len; j++) {
			const ss_conn *c = g_ptr_array_index(conns, j);
			if (c->seq == ex->seq)
				orig = c;
		}
		assert_non_null(orig);
		assert_int_equal(ex->tail, orig->tail);
		assert_memory_equal(ex, orig, ss_conn_size(orig->tail));
	}
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* A record's packed room (ex_pack: 16 words at a time where the CPU has
 * AVX-512, the last ones masked) holds the map and its non-zero 4-byte
 * words, whatever their pattern, for each length of record. */
static void test_examples_packed_room(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(7);
	ss_conn *c = g_new0(ss_conn, 1);
	for (int i = 0; i < 800; i++) {
		guint tail = (guint)i % SS_CONN_TAIL_COUNT;
		gsize n = ss_conn_size(tail) / 4;
		guint32 density = (guint32)(i / SS_CONN_TAIL_COUNT) % 17;   /* of 16 words */
		for (gsize j = 0; j < sizeof *c / 4; j++) {
			guint32 w = g_rand_int_range(r, 0, 16) < (gint32)density ? g_rand_int(r) | 1 : 0;
			memcpy((guint8 *)c + 4 * j, &w, 4);
		}
		c->tail = tail;
		gsize kept = 0;
		for (gsize j = 0; j < n; j++) {
			guint32 w;
			memcpy(&w, (const guint8 *)c + 4 * j, 4);
			kept += w != 0;
		}
		assert_int_equal(ss_findings_ex_room(c), (EX_MAP_BYTES + 4 * kept + EX_ROOM_UNIT - 1) &
				 ~(gsize)(EX_ROOM_UNIT - 1));
	}
	g_free(c);
	g_rand_free(r);
}

static void test_time_wait_families(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	struct {
		guint8 family;
		ss_ip cl, sv;
		guint16 port;     /* the reopened record's client port */
		guint32 vni[2];   /* the closed one's, the reopened one's */
	} cases[] = {
		{ SS_FAMILY_IPV4, v4(10, 0, 0, 5), v4(10, 0, 0, 9), 42000, { 0, 0 } },
		{ SS_FAMILY_IPV6, v6(5), v6(9), 42000, { 0, 0 } },
		{ SS_FAMILY_IPV4, v4(10, 0, 1, 5), v4(10, 0, 1, 9), 42000, { 42, 42 } },
		/* not the same tuple: another client port, another VNI */
		{ SS_FAMILY_IPV4, v4(10, 0, 2, 5), v4(10, 0, 2, 9), 42001, { 0, 0 } },
		{ SS_FAMILY_IPV6, v6(25), v6(29), 42001, { 0, 0 } },
		{ SS_FAMILY_IPV4, v4(10, 0, 3, 5), v4(10, 0, 3, 9), 42000, { 42, 43 } },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_ptr_array_add(conns, complete_in(cases[i].family, cases[i].cl, 42000, cases[i].sv,
						   80, cases[i].vni[0], T0 + i * 100000 * MS));
		g_ptr_array_add(conns, reopened_in(cases[i].family, cases[i].cl, cases[i].port,
						   cases[i].sv, cases[i].vni[1],
						   T0 + (i * 100000 + 2100) * MS));
	}
	ss_findings_acc *a = acc_of(conns);
	/* every record closed with FIN, a reopened tuple's entry updated:
	 * the 3 untunnelled IPv4 tuples in the inline table's 24-byte
	 * slots, the 3 tunnelled ones and 3 IPv6 ones in `closed` */
	assert_int_equal(a->closed4.len, 3);
	assert_int_equal(sizeof *a->closed4.slots, 24);
	assert_int_equal(ss_oatable_size(&a->closed), 6);
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_acc_finish(a, r);
	guint tw = 0, reuse = 0;
	for (guint i = 0; i < fs->len; i++) {
		const ss_finding *f = g_ptr_array_index(fs, i);
		if (strcmp(f->id, "time_wait_reuse") == 0) {
			tw++;
			assert_int_equal(fact(f, "min_gap_ms"), 2000 * MS);
		}
		reuse += strcmp(f->id, "tuple_reuse") == 0;
	}
	assert_int_equal(tw, 3);
	assert_int_equal(reuse, 3);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* The inline table of IPv4 tuples grows past several sizes and finds
 * every tuple again: 3 000 tuples closed with FIN, each reopened 5.1 s
 * later, are all time-wait reuse (one finding, 3 000 connections). */
static void test_closed_tuples_grow(void **state)
{
	(void)state;
	GPtrArray *conns = g_ptr_array_new();
	for (guint i = 0; i < 3000; i++) {
		ss_ip cl = v4(10, 1, (guint8)(i / 250), (guint8)(1 + i % 250));
		g_ptr_array_add(conns, complete_in(SS_FAMILY_IPV4, cl, 42000, v4(10, 0, 0, 9), 80, 0,
						   T0 + i * MS));
	}
	for (guint i = 0; i < 3000; i++) {
		ss_ip cl = v4(10, 1, (guint8)(i / 250), (guint8)(1 + i % 250));
		g_ptr_array_add(conns, reopened_in(SS_FAMILY_IPV4, cl, 42000, v4(10, 0, 0, 9), 0,
						   T0 + (i + 5100) * MS));
	}
	ss_findings_acc *a = acc_of(conns);
	assert_int_equal(a->closed4.len, 3000);
	assert_true(a->closed4.cap >= 4000);
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_acc_finish(a, r);
	guint tw = 0;
	for (guint i = 0; i < fs->len; i++) {
		const ss_finding *f = g_ptr_array_index(fs, i);
		if (strcmp(f->id, "time_wait_reuse") == 0) {
			tw++;
			assert_int_equal(fact(f, "connections"), 3000);
		}
	}
	assert_int_equal(tw, 1);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

static void test_hosts_findings(void **state)
{
	(void)state;
	ss_report *r = report_of(g_ptr_array_new());
	ss_host h;
	memset(&h, 0, sizeof h);
	h.family = SS_FAMILY_IPV4;
	h.ip = v4(10, 0, 0, 5);
	h.exhaustion_risk = TRUE;
	h.profile.low = 32768;
	h.profile.high = 60999;
	h.busiest_proto = IPPROTO_TCP;
	h.busiest_ip = v4(10, 0, 0, 9);
	h.busiest_port = 443;
	h.busiest_connections = 20000;
	h.dual_ports[0] = 8080;
	h.n_dual_ports = 1;
	g_array_append_val(r->hosts, h);
	GPtrArray *fs = ss_findings_compute(r);
	const ss_finding *f = find(fs, "ephemeral_exhaustion_risk");
	assert_non_null(f);
	assert_int_equal(f->severity, SS_SEVERITY_HIGH);
	assert_int_equal(fact(f, "share_pct"), 20000 * 100 / (60999 - 32768 + 1));
	assert_non_null(find(fs, "listen_and_connect_same_port"));
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

/* Whether the 4 KiB page at p is resident (faulted in). */
static gboolean page_resident(const void *p)
{
	unsigned char vec = 0;
	void *page = (void *)((uintptr_t)p & ~(uintptr_t)4095);
	return mincore(page, 4096, &vec) == 0 && (vec & 1);
}

/* Array `bytes`, its first `used` bytes in use, room for `limit`: TRUE
 * when the page after the 2 MiB page its use ends in is one the helper
 * faults in ahead now (the use within FAULT_LEAD of the page's end, that
 * page within the room, the array on a mapping of its own: not malloc'd,
 * as under AddressSanitizer). */
static gboolean fault_due(const guint8 *bytes, gsize used, gsize limit)
{
	gsize next = (used + FAULT_STEP - 1) & ~(FAULT_STEP - 1);
	return (uintptr_t)bytes % FAULT_STEP == 0 && next - used <= FAULT_LEAD && next > used &&
	       next < limit;
}

/* Is that page resident?  Waits up to 5 s for the helper. */
static gboolean faulted_ahead(const guint8 *bytes, gsize used)
{
	const guint8 *next = bytes + ((used + FAULT_STEP - 1) & ~(FAULT_STEP - 1));
	for (int i = 0; i < 5000 && !page_resident(next); i++)
		g_usleep(1000);
	return page_resident(next);
}

/* With a helper faulting the pairs' entries and the examples' store in
 * ahead (ss_findings_acc_fault_ahead), the findings are the same, and as
 * each array's use nears the end of a 2 MiB page the next one is resident
 * before any record touched it.  60 000 unanswered attempts to as many
 * server sockets: a pair and a stored example each, both arrays past 2 MiB
 * (when they are on mappings of their own, each checked once). */
static void test_faulted_ahead(void **state)
{
	(void)state;
	enum { N = 60000 };
	GPtrArray *conns = g_ptr_array_new();
	for (guint i = 0; i < N; i++)
		g_ptr_array_add(conns, unanswered(v4(10, 1, (int)(i / 250), (int)(i % 250) + 1),
						  40000, v4(10, 2, (int)(i / 60000), 9),
						  (guint16)(1 + i % 60000), T0 + (gint64)i * MS));
	ss_report *r = report_of(conns);
	GPtrArray *fs = ss_findings_compute(r);
	char *want = findings_text(fs);
	ss_findings_acc *a = ss_findings_acc_new();
	ss_findings_acc_fault_ahead(a);
	ss_findings_acc_fault_ahead(a);   /* a second call keeps the one helper */
	int pairs_checked = 0, ex_checked = 0;
	for (guint i = 0; i < conns->len; i++) {
		ss_findings_acc_add(a, g_ptr_array_index(conns, i));
		/* the pairs' room: past 6 MB (their bound) never asked for */
		gsize pairs_used = a->pairs.len * sizeof(pair);
		gsize pairs_limit = (gsize)MIN(a->pairs.ecap, SS_FINDINGS_MAX_GROUPS) * sizeof(pair);
		if (!pairs_checked && pairs_used > 3 * FAULT_STEP / 2 &&
		    fault_due(a->pairs.entries, pairs_used, pairs_limit)) {
			assert_true(faulted_ahead(a->pairs.entries, pairs_used));
			pairs_checked = 1;
		}
		if (!ex_checked && a->ex.len > 3 * FAULT_STEP / 2 &&
		    fault_due(a->ex.bytes, a->ex.len, a->ex.cap)) {
			assert_true(faulted_ahead(a->ex.bytes, a->ex.len));
			ex_checked = 1;
		}
	}
	assert_true(a->pairs.len == N && a->ex.len > 2 * FAULT_STEP);
	if ((uintptr_t)a->ex.bytes % FAULT_STEP == 0)   /* mapped: both were checked */
		assert_true(pairs_checked && ex_checked);
	GPtrArray *got = ss_findings_acc_finish(a, r);
	char *text = findings_text(got);
	assert_string_equal(text, want);
	g_free(text);
	g_free(want);
	g_ptr_array_unref(got);
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unanswered_per_destination),
		cmocka_unit_test(test_slow_handshake_sides),
		cmocka_unit_test(test_port_scan_rollup),
		cmocka_unit_test(test_port_sweep_hosts),
		cmocka_unit_test(test_scan_minimum_among_many_pairs),
		cmocka_unit_test(test_scan_examples_in_record_order),
		cmocka_unit_test(test_churn_threshold),
		cmocka_unit_test(test_ranking_and_time_wait),
		cmocka_unit_test(test_closed_tuples_grow),
		cmocka_unit_test(test_hosts_findings),
		cmocka_unit_test(test_announced_ahead),
		cmocka_unit_test(test_split_ranks_as_one),
		cmocka_unit_test(test_examples_stored_once),
		cmocka_unit_test(test_examples_packed_same_bytes),
		cmocka_unit_test(test_examples_packed_room),
		cmocka_unit_test(test_slow_samples_widen),
		cmocka_unit_test(test_slow_samples_pooled),
		cmocka_unit_test(test_time_wait_families),
		cmocka_unit_test(test_faulted_ahead),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
