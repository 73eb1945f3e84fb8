/* Inline IP address sets: membership against a reference, growth, the
 * all-zero address (which cannot mark a slot), copies, and the change from
 * 4-byte to 16-byte slots when the first non-IPv4 address comes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sockscope/ipset.h"

static ss_ip ip_from(guint32 v, gboolean v6)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	if (v6) {
		ip.bytes[0] = 0x20;
		ip.bytes[1] = 0x01;
		memcpy(&ip.bytes[12], &v, 4);
	} else {
		memcpy(&ip.bytes[0], &v, 4);
	}
	return ip;
}

static void test_empty(void **state)
{
	(void)state;
	ss_ip_set s = SS_IP_SET_INIT;
	ss_ip ip = ip_from(1, FALSE), out;
	assert_int_equal(ss_ip_set_size(&s), 0);
	assert_false(ss_ip_set_contains(&s, &ip));
	assert_false(ss_ip_set_any(&s, &out));
	ss_ip_set_clear(&s);
	assert_int_equal(ss_ip_set_size(&s), 0);
}

/* 20 000 adds of 5 000 distinct addresses (v4 and v6, each added four
 * times), checked against a GHashTable of the same values after every add. */
static void test_against_reference(void **state)
{
	(void)state;
	ss_ip_set s = SS_IP_SET_INIT;
	GHashTable *ref = g_hash_table_new(g_direct_hash, g_direct_equal);
	GRand *r = g_rand_new_with_seed(42);
	for (int i = 0; i < 20000; i++) {
		guint32 v = (guint32)g_rand_int_range(r, 1, 2501);
		gboolean v6 = g_rand_boolean(r);
		ss_ip ip = ip_from(v, v6);
		gpointer rk = GUINT_TO_POINTER(v * 2 + (v6 ? 1 : 0));
		gboolean was = g_hash_table_contains(ref, rk);
		assert_int_equal(ss_ip_set_contains(&s, &ip), was);
		assert_int_equal(ss_ip_set_add(&s, &ip), !was);
		g_hash_table_add(ref, rk);
		assert_true(ss_ip_set_contains(&s, &ip));
		assert_int_equal(ss_ip_set_size(&s), g_hash_table_size(ref));
	}
	/* Addresses never added are not members. */
	for (guint32 v = 2501; v < 3500; v++) {
		ss_ip a = ip_from(v, FALSE), b = ip_from(v, TRUE);
		assert_false(ss_ip_set_contains(&s, &a));
		assert_false(ss_ip_set_contains(&s, &b));
	}
	/* Never more than 3/4 full. */
	assert_true((guint64)ss_ip_set_size(&s) * 4 <= (guint64)s.cap * 3);
	g_rand_free(r);
	g_hash_table_destroy(ref);
	ss_ip_set_clear(&s);
}

static void test_zero_address(void **state)
{
	(void)state;
	ss_ip_set s = SS_IP_SET_INIT;
	ss_ip zero, one = ip_from(1, FALSE), out;
	memset(&zero, 0, sizeof zero);
	assert_false(ss_ip_set_contains(&s, &zero));
	assert_true(ss_ip_set_add(&s, &zero));
	assert_false(ss_ip_set_add(&s, &zero));
	assert_true(ss_ip_set_contains(&s, &zero));
	assert_int_equal(ss_ip_set_size(&s), 1);
	/* The only member, though it occupies no slot. */
	memset(&out, 0xff, sizeof out);
	assert_true(ss_ip_set_any(&s, &out));
	assert_memory_equal(&out, &zero, sizeof out);
	assert_true(ss_ip_set_add(&s, &one));
	assert_int_equal(ss_ip_set_size(&s), 2);
	assert_true(ss_ip_set_contains(&s, &zero));
	assert_true(ss_ip_set_contains(&s, &one));
	ss_ip_set_clear(&s);
}

static void test_any_and_copy(void **state)
{
	(void)state;
	ss_ip_set s = SS_IP_SET_INIT, c = SS_IP_SET_INIT;
	ss_ip only = ip_from(0x0a000005, FALSE), out;
	ss_ip_set_add(&s, &only);
	assert_true(ss_ip_set_any(&s, &out));
	assert_memory_equal(&out, &only, sizeof out);
	for (guint32 v = 100; v < 200; v++) {
		ss_ip ip = ip_from(v, TRUE);
		ss_ip_set_add(&s, &ip);
	}
	ss_ip_set_copy(&c, &s);
	ss_ip_set_clear(&s);   /* the copy owns its own slots */
	assert_int_equal(ss_ip_set_size(&c), 101);
	assert_true(ss_ip_set_contains(&c, &only));
	for (guint32 v = 100; v < 200; v++) {
		ss_ip ip = ip_from(v, TRUE);
		assert_true(ss_ip_set_contains(&c, &ip));
	}
	ss_ip_set_clear(&c);
}

/* IPv4 members stay in 4-byte slots; the first IPv6 member turns the slots
 * into ss_ip with every member kept; an IPv6 address is never found in a
 * set of IPv4 ones. */
static void test_narrow_then_wide(void **state)
{
	(void)state;
	ss_ip_set s = SS_IP_SET_INIT;
	for (guint32 v = 1; v <= 3000; v++) {
		ss_ip ip = ip_from(v * 2654435761u, FALSE);
		assert_true(ss_ip_set_add(&s, &ip));
	}
	assert_false(s.wide);
	ss_ip six = ip_from(7, TRUE), four_of_six = ip_from(7, FALSE);
	ss_ip_set_add(&s, &four_of_six);
	assert_false(ss_ip_set_contains(&s, &six));
	guint32 before = ss_ip_set_size(&s);
	assert_true(ss_ip_set_add(&s, &six));
	assert_true(s.wide);
	assert_int_equal(ss_ip_set_size(&s), before + 1);
	assert_true(ss_ip_set_contains(&s, &six));
	assert_true(ss_ip_set_contains(&s, &four_of_six));
	for (guint32 v = 1; v <= 3000; v++) {
		ss_ip ip = ip_from(v * 2654435761u, FALSE);
		assert_true(ss_ip_set_contains(&s, &ip));
		assert_false(ss_ip_set_add(&s, &ip));
	}
	ss_ip_set_clear(&s);
	assert_false(s.wide);
}

/* A prefetch reads nothing and changes nothing, on an empty, a narrow and
 * a wide set, for a member, a non-member and an address the narrow set
 * cannot hold. */
static void test_prefetch(void **state)
{
	(void)state;
	ss_ip_set s = SS_IP_SET_INIT;
	ss_ip v4 = ip_from(7, FALSE), v6 = ip_from(9, TRUE);
	ss_ip_set_prefetch(&s, &v4);
	assert_int_equal(ss_ip_set_size(&s), 0);
	for (guint32 i = 1; i <= 100; i++) {
		ss_ip ip = ip_from(i, FALSE);
		ss_ip_set_add(&s, &ip);
	}
	ss_ip_set_prefetch(&s, &v4);
	ss_ip_set_prefetch(&s, &v6);
	assert_int_equal(ss_ip_set_size(&s), 100);
	assert_true(ss_ip_set_contains(&s, &v4));
	assert_false(ss_ip_set_contains(&s, &v6));
	ss_ip_set_add(&s, &v6);
	ss_ip_set_prefetch(&s, &v6);
	ss_ip_set_prefetch(&s, &v4);
	assert_int_equal(ss_ip_set_size(&s), 101);
	assert_true(ss_ip_set_contains(&s, &v6));
	ss_ip_set_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_zero_address),
		cmocka_unit_test(test_any_and_copy),
		cmocka_unit_test(test_narrow_then_wide),
		cmocka_unit_test(test_prefetch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
