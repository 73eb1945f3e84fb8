/* The path-mode compare engine (src/compare/) on synthetic signature lists:
 * the clock offset estimate, port allocation inference, matching through
 * SNAT (ISN, options, timing; a decoy outside the skew window and one with
 * another option layout), and a whole ss_compare_path() run: offset,
 * orientation from TTL, translation, a SYN dropped between the points, a
 * reset injected by a middlebox, one-way delays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sockscope/compare.h"

#define MS G_GINT64_CONSTANT(1000000)
#define S (1000 * MS)
#define T0 (G_GINT64_CONSTANT(1700000000) * S)

enum { SYN = SS_TCP_SYN, ACK = SS_TCP_ACK, RST = SS_TCP_RST, PSH = SS_TCP_PSH };

static void test_offset_symmetric(void **state)
{
	(void)state;
	/* B's clock 5 s ahead, 1 ms each way */
	gint64 ab[] = { 5 * S + 1 * MS, 5 * S + 1 * MS, 5 * S + 3 * MS };
	gint64 ba[] = { 5 * S - 1 * MS, 5 * S - 1 * MS };
	gint64 off = 0, spread = 0;
	assert_true(ss_cmp_clock_offset(ab, 3, ba, 2, &off, &spread));
	assert_int_equal(off, 5 * S);
	assert_int_equal(spread, 1 * MS);
	/* one direction: the median, its delay not separable */
	gint64 only[] = { 7 * MS, 9 * MS, 8 * MS };
	assert_true(ss_cmp_clock_offset(only, 3, NULL, 0, &off, &spread));
	assert_int_equal(off, 8 * MS);
	assert_int_equal(spread, -1);
	assert_false(ss_cmp_clock_offset(NULL, 0, NULL, 0, &off, &spread));
}

static void test_port_alloc(void **state)
{
	(void)state;
	guint16 as[24], tr[24];
	ss_confidence conf;
	for (guint i = 0; i < 24; i++) {
		as[i] = (guint16)(40000 + 7 * i);
		tr[i] = as[i];
	}
	assert_int_equal(ss_cmp_port_alloc_infer(as, tr, NULL, 24, &conf), SS_CMP_PORTS_PRESERVING);
	assert_int_equal(conf, SS_CONFIDENCE_HIGH);
	for (guint i = 0; i < 10; i++)
		tr[i] = (guint16)(1024 + i);
	assert_int_equal(ss_cmp_port_alloc_infer(as, tr, NULL, 10, &conf), SS_CMP_PORTS_SEQUENTIAL);
	assert_int_equal(conf, SS_CONFIDENCE_MEDIUM);
	static const guint16 rnd[] = { 51234, 1200, 33333, 60001, 8765, 45678, 2345, 19999 };
	memcpy(tr, rnd, sizeof rnd);
	assert_int_equal(ss_cmp_port_alloc_infer(as, tr, NULL, 8, &conf), SS_CMP_PORTS_RANDOM);
	/* two connections say nothing */
	assert_int_equal(ss_cmp_port_alloc_infer(as, tr, NULL, 2, &conf), SS_CMP_PORTS_UNKNOWN);
	/* three of four kept their port; the fourth's was held by another
	 * client's connection: preserving, not unknown */
	guint16 as4[] = { 40000, 40001, 40002, 40000 }, tr4[] = { 40000, 40001, 40002, 61234 };
	gboolean taken[] = { FALSE, FALSE, FALSE, TRUE };
	assert_int_equal(ss_cmp_port_alloc_infer(as4, tr4, NULL, 4, &conf), SS_CMP_PORTS_UNKNOWN);
	assert_int_equal(ss_cmp_port_alloc_infer(as4, tr4, taken, 4, &conf), SS_CMP_PORTS_PRESERVING);
	assert_int_equal(conf, SS_CONFIDENCE_LOW);
}

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

static ss_cmp_pkt pkt(gint64 ts, guint8 from, guint8 flags, guint32 seq, guint32 ack, guint8 ttl,
		      guint32 len, guint32 hash)
{
	ss_cmp_pkt p;
	memset(&p, 0, sizeof p);
	p.ts_ns = ts;
	p.from = from;
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.ttl = ttl;
	p.payload_len = len;
	p.payload_hash = hash;
	p.opt_sig = (flags & SYN) ? 0x51 : 0;
	return p;
}

/* A TCP flow: ep 0 the client (cip:cport), ep 1 the server. */
static void add_tcp(ss_cmp_sigs *s, ss_ip cip, guint16 cport, ss_ip sip, guint16 sport,
		    const ss_cmp_pkt *pkts, guint n)
{
	ss_cmp_flow f;
	memset(&f, 0, sizeof f);
	f.proto = 6;
	f.family = SS_FAMILY_IPV4;
	f.client = -1;
	f.ip[0] = cip;
	f.ip[1] = sip;
	f.port[0] = cport;
	f.port[1] = sport;
	f.first_ns = pkts[0].ts_ns;
	f.last_ns = pkts[n - 1].ts_ns;
	for (guint i = 0; i < n; i++)
		if (pkts[i].flags & SYN) {
			if (!f.syn_seen[pkts[i].from]) {
				f.syn_seen[pkts[i].from] = TRUE;
				f.isn[pkts[i].from] = pkts[i].seq;
				f.syn_opt_sig[pkts[i].from] = pkts[i].opt_sig;
			}
			if (!(pkts[i].flags & ACK) && f.client < 0)
				f.client = (gint8)pkts[i].from;
		}
	f.n_pkts = n;
	f.pkts = pkts;
	ss_cmp_sigs_add_flow(s, &f);
}

static void test_match_through_snat(void **state)
{
	(void)state;
	ss_cmp_sigs *a = ss_cmp_sigs_new(NULL), *b = ss_cmp_sigs_new(NULL);
	ss_ip cl = ip4(10, 1, 1, 2), pub = ip4(10, 1, 2, 1), srv = ip4(10, 1, 2, 2);
	ss_cmp_pkt a0[] = { pkt(T0, 0, SYN, 1000, 0, 64, 0, 0) };
	ss_cmp_pkt a1[] = { pkt(T0 + S, 0, SYN, 2000, 0, 64, 0, 0) };
	add_tcp(a, cl, 40000, srv, 80, a0, 1);
	add_tcp(a, cl, 40001, srv, 80, a1, 1);
	/* B: a decoy with ISN 1000 far outside the skew window, the real
	 * ones translated to another port, and an ISN 2000 with another
	 * option layout (another SYN that happens to share the number). */
	ss_cmp_pkt d0[] = { pkt(T0 + 1000 * S, 0, SYN, 1000, 0, 63, 0, 0) };
	ss_cmp_pkt b0[] = { pkt(T0 + 3 * S, 0, SYN, 1000, 0, 63, 0, 0) };
	ss_cmp_pkt d1[] = { pkt(T0 + 4 * S, 0, SYN, 2000, 0, 63, 0, 0) };
	d1[0].opt_sig = 0x99;
	ss_cmp_pkt b1[] = { pkt(T0 + 4 * S, 0, SYN, 2000, 0, 63, 0, 0) };
	add_tcp(b, pub, 40000, srv, 80, d0, 1);
	add_tcp(b, pub, 61000, srv, 80, b0, 1);
	add_tcp(b, pub, 61001, srv, 80, d1, 1);
	add_tcp(b, pub, 61002, srv, 80, b1, 1);
	ss_cmp_sigs_finish(a);
	ss_cmp_sigs_finish(b);
	gint m[2];
	guint8 ev[2];
	ss_cmp_match(a, b, 300 * S, FALSE, 0, m, ev);
	assert_int_equal(m[0], 1);
	assert_int_equal(m[1], 3);
	assert_true(ev[0] & SS_CMP_EV_ISN);
	assert_true(ev[0] & SS_CMP_EV_TCP_OPTIONS);
	assert_true(ev[0] & SS_CMP_EV_TIMING);
	/* a skew window too small for the 3 s offset: nothing matches */
	ss_cmp_match(a, b, 1 * S, FALSE, 0, m, ev);
	assert_int_equal(m[0], -1);
	ss_cmp_sigs_free(a);
	ss_cmp_sigs_free(b);
}

static const ss_cmp_conn *conn_with_port(const ss_compare *c, guint16 client_port)
{
	for (guint i = 0; i < c->conns->len; i++) {
		const ss_cmp_conn *cc = &g_array_index(c->conns, ss_cmp_conn, i);
		if (cc->client_port[0] == client_port || (cc->flow_a < 0 && cc->client_port[1] == client_port))
			return cc;
	}
	return NULL;
}

static void test_path(void **state)
{
	(void)state;
	ss_compare *c = ss_compare_new(SS_CMP_MODE_PATH, 300 * S);
	ss_cmp_sigs *a = ss_cmp_sigs_new(NULL), *b = ss_cmp_sigs_new(NULL);
	ss_ip cl = ip4(10, 1, 1, 2), pub = ip4(10, 1, 2, 1), srv = ip4(10, 1, 2, 2);
	const gint64 off = 2 * S, d_ab = 1 * MS, d_ba = 1 * MS;
	/* 1: a complete connection, translated 40000 -> 50000 at B; TTL drops
	 * by one across the router each way.  B's clock 2 s ahead. */
	ss_cmp_pkt a0[] = {
		pkt(T0, 0, SYN, 1000, 0, 64, 0, 0),
		pkt(T0 + 10 * MS, 1, SYN | ACK, 9000, 1001, 63, 0, 0),
		pkt(T0 + 10 * MS + 50000, 0, ACK, 1001, 9001, 64, 0, 0),
		pkt(T0 + 11 * MS, 0, ACK | PSH, 1001, 9001, 64, 100, 0xabc1),
		pkt(T0 + 20 * MS, 1, ACK | PSH, 9001, 1101, 63, 200, 0xabc3),
	};
	ss_cmp_pkt b0[] = {
		pkt(T0 + off + d_ab, 0, SYN, 1000, 0, 63, 0, 0),
		pkt(T0 + off + 10 * MS - d_ba, 1, SYN | ACK, 9000, 1001, 64, 0, 0),
		pkt(T0 + off + 10 * MS + 50000 + d_ab, 0, ACK, 1001, 9001, 63, 0, 0),
		pkt(T0 + off + 11 * MS + d_ab, 0, ACK | PSH, 1001, 9001, 63, 100, 0xabc1),
		pkt(T0 + off + 20 * MS - d_ba, 1, ACK | PSH, 9001, 1101, 64, 200, 0xabc3),
	};
	/* 2: three SYNs to port 443 that never reach B (after B started) */
	ss_cmp_pkt a1[] = {
		pkt(T0 + 100 * MS, 0, SYN, 5000, 0, 64, 0, 0),
		pkt(T0 + 1100 * MS, 0, SYN, 5000, 0, 64, 0, 0),
		pkt(T0 + 3100 * MS, 0, SYN, 5000, 0, 64, 0, 0),
	};
	/* 3: a SYN that crosses, answered at A by a reset B never saw */
	ss_cmp_pkt a2[] = {
		pkt(T0 + 200 * MS, 0, SYN, 7000, 0, 64, 0, 0),
		pkt(T0 + 201 * MS, 1, RST | ACK, 0, 7001, 63, 0, 0),
	};
	ss_cmp_pkt b2[] = { pkt(T0 + off + 200 * MS + d_ab, 0, SYN, 7000, 0, 63, 0, 0) };
	add_tcp(a, cl, 40000, srv, 80, a0, G_N_ELEMENTS(a0));
	add_tcp(a, cl, 40001, srv, 443, a1, G_N_ELEMENTS(a1));
	add_tcp(a, cl, 40002, srv, 82, a2, G_N_ELEMENTS(a2));
	add_tcp(b, pub, 50000, srv, 80, b0, G_N_ELEMENTS(b0));
	add_tcp(b, pub, 50002, srv, 82, b2, G_N_ELEMENTS(b2));
	ss_cmp_sigs_finish(a);
	ss_cmp_sigs_finish(b);
	c->side[0].sigs = a;
	c->side[1].sigs = b;
	c->side[0].first_ns = T0;
	c->side[0].last_ns = T0 + 3100 * MS;
	c->side[1].first_ns = T0 + off + d_ab;
	c->side[1].last_ns = T0 + off + 200 * MS + d_ab;
	GError *error = NULL;
	assert_true(ss_compare_run(c, &error));
	assert_int_equal(c->mode, SS_CMP_MODE_PATH);
	assert_true(c->have_offset);
	assert_true(c->offset_ns >= off - 10000 && c->offset_ns <= off + 10000);
	assert_int_equal(c->a_near_client, 1);
	assert_int_equal(c->matched, 2);
	assert_int_equal(c->a_only, 1);
	assert_int_equal(c->b_only, 0);

	const ss_cmp_conn *k0 = conn_with_port(c, 40000);
	assert_non_null(k0);
	assert_string_equal(ss_cmp_translation_name(k0), "snat");
	assert_int_equal(k0->client_port[1], 50000);
	assert_int_equal(k0->confidence, SS_CONFIDENCE_HIGH);
	assert_true(k0->delay_ns[SS_CMP_DIR_A_TO_B] >= d_ab - 10000 &&
		    k0->delay_ns[SS_CMP_DIR_A_TO_B] <= d_ab + 10000);
	for (int k = 0; k < SS_CMP_PKT_COUNT; k++)
		assert_int_equal(k0->lost[k][0] + k0->lost[k][1], 0);

	const ss_cmp_conn *k1 = conn_with_port(c, 40001);
	assert_non_null(k1);
	assert_int_equal(k1->seen, SS_CMP_SEEN_A_ONLY);
	assert_int_equal(k1->lost[SS_CMP_PKT_SYN][SS_CMP_DIR_A_TO_B], 3);

	const ss_cmp_conn *k2 = conn_with_port(c, 40002);
	assert_non_null(k2);
	assert_int_equal(k2->seen, SS_CMP_SEEN_BOTH);
	assert_int_equal(k2->injected_rst[0][0], 1);   /* seen at A, toward the client */
	assert_int_equal(k2->lost[SS_CMP_PKT_RST][SS_CMP_DIR_B_TO_A], 0);

	/* one SNAT translator, public address 10.1.2.1 */
	assert_int_equal(c->translators->len, 1);
	const ss_cmp_translator *t = &g_array_index(c->translators, ss_cmp_translator, 0);
	assert_int_equal(t->kind, SS_CMP_TRANSLATOR_SNAT);
	assert_int_equal(t->public_ips->len, 1);
	assert_memory_equal(&g_array_index(t->public_ips, ss_ip, 0), &pub, sizeof pub);
	/* findings name the drop and the injected reset */
	gboolean dropped = FALSE, injected = FALSE;
	for (guint i = 0; i < c->findings->len; i++) {
		const ss_cmp_finding *f = &g_array_index(c->findings, ss_cmp_finding, i);
		dropped |= strcmp(f->id, "dropped_between") == 0 && strstr(f->text, "10.1.2.2:443");
		injected |= strcmp(f->id, "injected_reset") == 0 && strstr(f->text, "10.1.2.2:82");
	}
	assert_true(dropped);
	assert_true(injected);
	ss_compare_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_symmetric),
		cmocka_unit_test(test_port_alloc),
		cmocka_unit_test(test_match_through_snat),
		cmocka_unit_test(test_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
