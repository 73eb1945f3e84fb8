/* Prefix-preserving pseudonymisation (src/anonymize.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <string.h>

#include "sockscope/anonymize.h"
#include "sockscope/community-id.h"
#include "sockscope/findings.h"
#include "sockscope/hosts.h"

static const guint8 key1[] = "correct horse battery staple";
static const guint8 key2[] = "correct horse battery stapler";

static guint common_prefix(const ss_ip *a, const ss_ip *b, guint nbits)
{
	for (guint i = 0; i < nbits; i++) {
		guint x = (a->bytes[i / 8] >> (7 - i % 8)) & 1, y = (b->bytes[i / 8] >> (7 - i % 8)) & 1;
		if (x != y)
			return i;
	}
	return nbits;
}

static void random_ip(GRand *r, guint8 family, ss_ip *ip)
{
	memset(ip, 0, sizeof *ip);
	for (int i = 0; i < (family == SS_FAMILY_IPV6 ? 16 : 4); i++)
		ip->bytes[i] = (guint8)g_rand_int_range(r, 0, 256);
}

/* b shares exactly n leading bits with a. */
static void with_prefix(GRand *r, guint8 family, const ss_ip *a, guint n, ss_ip *b)
{
	guint nbits = family == SS_FAMILY_IPV6 ? 128 : 32;
	random_ip(r, family, b);
	for (guint i = 0; i < nbits; i++) {
		guint bit = (a->bytes[i / 8] >> (7 - i % 8)) & 1;
		if (i == n)
			bit ^= 1;
		else if (i > n)
			bit = (b->bytes[i / 8] >> (7 - i % 8)) & 1;
		b->bytes[i / 8] = (guint8)((b->bytes[i / 8] & ~(1u << (7 - i % 8))) | (bit << (7 - i % 8)));
	}
}

static void check_prefixes(guint8 family)
{
	guint nbits = family == SS_FAMILY_IPV6 ? 128 : 32;
	GRand *r = g_rand_new_with_seed(42);
	ss_anonymizer *an = ss_anonymizer_new(key1, sizeof key1 - 1);
	for (guint n = 0; n < nbits; n++) {
		for (int rep = 0; rep < 4; rep++) {
			ss_ip a, b, pa, pb;
			random_ip(r, family, &a);
			with_prefix(r, family, &a, n, &b);
			assert_int_equal(common_prefix(&a, &b, nbits), n);
			ss_anonymize_ip(an, family, &a, &pa);
			ss_anonymize_ip(an, family, &b, &pb);
			assert_int_equal(common_prefix(&pa, &pb, nbits), n);
			/* IPv4 keeps bytes 4..15 zero */
			if (family == SS_FAMILY_IPV4)
				for (int i = 4; i < 16; i++)
					assert_int_equal(pa.bytes[i], 0);
		}
	}
	ss_anonymizer_free(an);
	g_rand_free(r);
}

static void test_prefix_preserving_v4(void **state)
{
	(void)state;
	check_prefixes(SS_FAMILY_IPV4);
}

static void test_prefix_preserving_v6(void **state)
{
	(void)state;
	check_prefixes(SS_FAMILY_IPV6);
}

static void test_deterministic_and_keyed(void **state)
{
	(void)state;
	ss_anonymizer *a = ss_anonymizer_new(key1, sizeof key1 - 1);
	ss_anonymizer *b = ss_anonymizer_new(key1, sizeof key1 - 1);
	ss_anonymizer *c = ss_anonymizer_new(key2, sizeof key2 - 1);
	ss_anonymizer *rnd1 = ss_anonymizer_new(NULL, 0), *rnd2 = ss_anonymizer_new(NULL, 0);
	GRand *r = g_rand_new_with_seed(7);
	guint differ_key = 0, differ_rnd = 0, same_as_input = 0;
	for (int i = 0; i < 200; i++) {
		guint8 fam = i % 2 ? SS_FAMILY_IPV6 : SS_FAMILY_IPV4;
		ss_ip ip, x, y, z, p, q;
		random_ip(r, fam, &ip);
		ss_anonymize_ip(a, fam, &ip, &x);
		ss_anonymize_ip(a, fam, &ip, &p);   /* cached */
		ss_anonymize_ip(b, fam, &ip, &y);   /* a second mapping, same key */
		ss_anonymize_ip(c, fam, &ip, &z);
		assert_memory_equal(&x, &y, sizeof x);
		assert_memory_equal(&x, &p, sizeof x);
		differ_key += memcmp(&x, &z, sizeof x) != 0;
		same_as_input += memcmp(&x, &ip, sizeof x) == 0;
		ss_anonymize_ip(rnd1, fam, &ip, &p);
		ss_anonymize_ip(rnd2, fam, &ip, &q);
		differ_rnd += memcmp(&p, &q, sizeof p) != 0;
	}
	assert_true(differ_key >= 199);
	assert_true(differ_rnd >= 199);
	assert_true(same_as_input <= 1);
	/* a known value, so the mapping never changes between versions */
	ss_ip ip = { { 10, 0, 0, 1 } }, out;
	ss_anonymize_ip(a, SS_FAMILY_IPV4, &ip, &out);
	char *s = g_strdup_printf("%u.%u.%u.%u", out.bytes[0], out.bytes[1], out.bytes[2], out.bytes[3]);
	ss_anonymizer *d = ss_anonymizer_new(key1, sizeof key1 - 1);
	ss_ip again;
	ss_anonymize_ip(d, SS_FAMILY_IPV4, &ip, &again);
	assert_memory_equal(&out, &again, sizeof out);
	g_free(s);
	ss_anonymizer_free(a);
	ss_anonymizer_free(b);
	ss_anonymizer_free(c);
	ss_anonymizer_free(d);
	ss_anonymizer_free(rnd1);
	ss_anonymizer_free(rnd2);
	g_rand_free(r);
}

static void test_conn_and_community_id(void **state)
{
	(void)state;
	ss_anonymizer *an = ss_anonymizer_new(key1, sizeof key1 - 1);
	ss_conn c;
	memset(&c, 0, sizeof c);
	c.proto = IPPROTO_TCP;
	c.family = SS_FAMILY_IPV4;
	c.client = 0;
	ss_ip a = { { 192, 168, 1, 10 } }, b = { { 192, 168, 1, 200 } };
	ss_conn_set_ends(&c, a, 43122, b, 443);
	c.ep0_key_side = (guint8)ss_flow_key_make(&c.key, c.family, c.proto, &a, 43122, &b, 443);
	ss_anonymize_conn(an, &c);
	ss_ip pa, pb;
	ss_anonymize_ip(an, SS_FAMILY_IPV4, &a, &pa);
	ss_anonymize_ip(an, SS_FAMILY_IPV4, &b, &pb);
	assert_memory_equal(ss_conn_ip(&c, 0), &pa, sizeof pa);
	assert_memory_equal(ss_conn_ip(&c, 1), &pb, sizeof pb);
	/* the flow key follows: same key as one made from the pseudonyms */
	ss_flow_key k;
	int side = ss_flow_key_make(&k, c.family, c.proto, &pa, 43122, &pb, 443);
	assert_memory_equal(&k, &c.key, sizeof k);
	assert_int_equal(side, c.ep0_key_side);
	/* Community ID from the pseudonyms */
	char want[SS_COMMUNITY_ID_LEN], got[SS_COMMUNITY_ID_LEN];
	assert_true(ss_community_id(c.family, c.proto, &pa, 43122, &pb, 443, 0, want));
	assert_true(ss_community_id_conn(&c, 0, got));
	assert_string_equal(want, got);
	/* same /24 in, same /24 out */
	assert_true(common_prefix(&pa, &pb, 32) >= 24);
	ss_anonymizer_free(an);
}

static void test_report_resorted(void **state)
{
	(void)state;
	ss_anonymizer *an = ss_anonymizer_new(key1, sizeof key1 - 1);
	ss_report *r = g_new0(ss_report, 1);
	r->summary.inputs = g_ptr_array_new();
	ss_input *in = g_new0(ss_input, 1);
	in->name = g_strdup("customer-acme.pcap");
	g_ptr_array_add(r->summary.inputs, in);
	r->summary.warnings = g_ptr_array_new();
	g_ptr_array_add(r->summary.warnings, g_strdup("customer-acme.pcap: truncated"));
	r->conns = g_ptr_array_new();
	r->listeners = g_array_new(FALSE, TRUE, sizeof(ss_listener));
	for (int i = 0; i < 16; i++) {
		ss_listener l;
		memset(&l, 0, sizeof l);
		l.proto = IPPROTO_TCP;
		l.family = SS_FAMILY_IPV4;
		l.ip.bytes[0] = 10;
		l.ip.bytes[3] = (guint8)(i + 1);
		l.port = 80;
		l.connections = (guint64)i + 1;   /* identifies it */
		g_array_append_val(r->listeners, l);
	}
	r->hosts = g_array_new(FALSE, TRUE, sizeof(ss_host));
	for (int i = 0; i < 16; i++) {
		ss_host h;
		memset(&h, 0, sizeof h);
		h.family = SS_FAMILY_IPV4;
		h.ip = g_array_index(r->listeners, ss_listener, i).ip;
		h.listeners = g_array_new(FALSE, FALSE, sizeof(guint));
		guint li = (guint)i;
		g_array_append_val(h.listeners, li);
		h.client_connections = (guint64)i + 1;
		g_array_append_val(r->hosts, h);
	}
	ss_anonymize_report(an, r, TRUE);
	for (guint i = 0; i + 1 < r->listeners->len; i++) {
		const ss_listener *a = &g_array_index(r->listeners, ss_listener, i);
		const ss_listener *b = &g_array_index(r->listeners, ss_listener, i + 1);
		assert_true(memcmp(&a->ip, &b->ip, sizeof a->ip) < 0);
	}
	for (guint i = 0; i < r->hosts->len; i++) {
		const ss_host *h = &g_array_index(r->hosts, ss_host, i);
		if (i + 1 < r->hosts->len)
			assert_true(memcmp(&h->ip, &g_array_index(r->hosts, ss_host, i + 1).ip,
					   sizeof h->ip) < 0);
		/* its listener is still its own, by address and by what it counted */
		const ss_listener *l = &g_array_index(r->listeners, ss_listener,
						      g_array_index(h->listeners, guint, 0));
		assert_memory_equal(&l->ip, &h->ip, sizeof h->ip);
		assert_int_equal(l->connections, h->client_connections);
		assert_int_equal(h->ip.bytes[0] != 10 || h->ip.bytes[3] > 16, TRUE);
	}
	assert_string_equal(in->name, "input-1");
	assert_string_equal(g_ptr_array_index(r->summary.warnings, 0), "input-1: truncated");
	ss_report_free(r);
	ss_anonymizer_free(an);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_preserving_v4),
		cmocka_unit_test(test_prefix_preserving_v6),
		cmocka_unit_test(test_deterministic_and_keyed),
		cmocka_unit_test(test_conn_and_community_id),
		cmocka_unit_test(test_report_resorted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
