/* Flow keys and the open-addressing table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "sockscope/flow.h"

typedef struct {
	ss_flow_key key;
	int id;
} entry;

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

static void test_key_is_direction_independent(void **state)
{
	(void)state;
	ss_ip a = ip4(10, 0, 0, 1), b = ip4(10, 0, 0, 2);
	ss_flow_key k1, k2;
	int s1 = ss_flow_key_make(&k1, 4, IPPROTO_TCP, &a, 40000, &b, 80);
	int s2 = ss_flow_key_make(&k2, 4, IPPROTO_TCP, &b, 80, &a, 40000);
	assert_memory_equal(&k1, &k2, sizeof k1);
	assert_int_equal(s1, 0);   /* 10.0.0.1 sorts first */
	assert_int_equal(s2, 1);
	/* Same address both ends: the port decides. */
	int s3 = ss_flow_key_make(&k1, 4, IPPROTO_UDP, &a, 5000, &a, 53);
	assert_int_equal(s3, 1);
	assert_int_equal(k1.port[0], 53);
}

static void test_hash_depends_on_seed(void **state)
{
	(void)state;
	ss_ip a = ip4(192, 0, 2, 1), b = ip4(192, 0, 2, 2);
	ss_flow_key k;
	ss_flow_key_make(&k, 4, IPPROTO_TCP, &a, 1, &b, 2);
	assert_int_not_equal(ss_flow_key_hash(&k, 1, 2), ss_flow_key_hash(&k, 3, 4));
	assert_int_equal(ss_flow_key_hash(&k, 1, 2), ss_flow_key_hash(&k, 1, 2));
}

/* Inserts many keys, removes every third, and checks every lookup against
 * what should be there: exercises growth (past 2 MiB of slots, where the
 * array is asked for a huge page: table.c's slots_new) and backward-shift
 * deletion. */
static void test_insert_lookup_remove(void **state)
{
	(void)state;
	enum { N = 70000 };
	ss_flow_table *t = ss_flow_table_new(0x1234, 0x5678);
	entry *e = g_new0(entry, N);
	ss_ip srv = ip4(10, 1, 1, 1);
	for (int i = 0; i < N; i++) {
		ss_ip cli = ip4(10, (guint8)(2 + (i >> 16)), (guint8)(i >> 8), (guint8)i);
		ss_flow_key_make(&e[i].key, 4, IPPROTO_TCP, &cli, (guint16)(1024 + i % 7), &srv, 443);
		e[i].id = i;
		assert_null(ss_flow_table_lookup(t, &e[i].key));
		ss_flow_table_insert(t, &e[i]);
	}
	assert_int_equal(ss_flow_table_size(t), N);
	for (int i = 0; i < N; i += 3)
		assert_true(ss_flow_table_remove(t, &e[i].key));
	for (int i = 0; i < N; i++) {
		entry *found = ss_flow_table_lookup(t, &e[i].key);
		if (i % 3 == 0)
			assert_null(found);
		else
			assert_ptr_equal(found, &e[i]);
	}
	assert_false(ss_flow_table_remove(t, &e[0].key));
	/* Replace hands back the old entry. */
	entry twin = e[1];
	assert_ptr_equal(ss_flow_table_replace(t, &twin), &e[1]);
	assert_ptr_equal(ss_flow_table_lookup(t, &e[1].key), &twin);
	ss_flow_table_free(t);
	g_free(e);
}

/* The per-packet path: one hash for look-up and insert, with a removal
 * (an eviction) between the two, across growth. */
static void test_hashed_lookup_insert(void **state)
{
	(void)state;
	enum { N = 5000 };
	ss_flow_table *t = ss_flow_table_new(0x9abc, 0xdef0);
	ss_flow_table *other = ss_flow_table_new(0x9abd, 0xdef0);
	entry *e = g_new0(entry, N);
	ss_ip srv = ip4(10, 9, 9, 9);
	for (int i = 0; i < N; i++) {
		ss_ip cli = ip4(10, 3, (guint8)(i >> 8), (guint8)i);
		ss_flow_key_make(&e[i].key, 4, IPPROTO_UDP, &cli, 5353, &srv, 53);
		guint64 h = ss_flow_table_hash(t, &e[i].key);
		assert_true(h == ss_flow_table_hash(t, &e[i].key));
		/* keyed: another table's seed gives another hash */
		assert_true(h != ss_flow_table_hash(other, &e[i].key));
		assert_null(ss_flow_table_lookup_hashed(t, &e[i].key, h));
		if (i % 4 == 3)
			assert_true(ss_flow_table_remove(t, &e[i - 1].key));
		ss_flow_table_insert_hashed(t, &e[i], h);
		assert_ptr_equal(ss_flow_table_lookup_hashed(t, &e[i].key, h), &e[i]);
	}
	for (int i = 0; i < N; i++) {
		entry *found = ss_flow_table_lookup(t, &e[i].key);
		if (i % 4 == 2)
			assert_null(found);
		else
			assert_ptr_equal(found, &e[i]);
	}
	assert_int_equal(ss_flow_table_size(t), N - N / 4);
	ss_flow_table_free(other);
	ss_flow_table_free(t);
	g_free(e);
}

/* Two tenants using the same inner addresses and ports (VXLAN VNIs 10 and
 * 20) are two flows; the same VNI under another tunnel type too. */
static void test_tunnel_separates_tenants(void **state)
{
	(void)state;
	ss_ip a = ip4(10, 0, 0, 1), b = ip4(10, 0, 0, 2);
	ss_flow_table *t = ss_flow_table_new(1, 2);
	entry e[4];
	const ss_tunnel tun[4] = {
		{ .type = SS_TUNNEL_NONE },
		{ .type = SS_TUNNEL_VXLAN, .vni = 10 },
		{ .type = SS_TUNNEL_VXLAN, .vni = 20 },
		{ .type = SS_TUNNEL_GENEVE, .vni = 10 },
	};

	for (int i = 0; i < 4; i++) {
		ss_flow_key_make(&e[i].key, 4, IPPROTO_TCP, &a, 40000, &b, 80);
		ss_flow_key_set_tunnel(&e[i].key, &tun[i]);
		e[i].id = i;
		assert_null(ss_flow_table_lookup(t, &e[i].key));
		ss_flow_table_insert(t, &e[i]);
	}
	assert_int_equal(ss_flow_table_size(t), 4);
	for (int i = 0; i < 4; i++) {
		ss_flow_key k;
		/* the reply direction finds the same tenant's flow */
		ss_flow_key_make(&k, 4, IPPROTO_TCP, &b, 80, &a, 40000);
		ss_flow_key_set_tunnel(&k, &tun[i]);
		entry *found = ss_flow_table_lookup(t, &k);
		assert_non_null(found);
		assert_int_equal(found->id, i);
	}
	ss_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_is_direction_independent),
		cmocka_unit_test(test_hash_depends_on_seed),
		cmocka_unit_test(test_insert_lookup_remove),
		cmocka_unit_test(test_hashed_lookup_insert),
		cmocka_unit_test(test_tunnel_separates_tenants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
