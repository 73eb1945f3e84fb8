/* Inline IP address sets: membership against a reference, growth, the
 * all-zero address (which cannot mark a slot), copies, the change from
 * 4-byte to 16-byte slots when the first non-IPv4 address comes, and the
 * packed form (IPv4 members of at most 15 distinct first halves) and its
 * change to 4-byte slots at the 16th. */
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

/* Adds ip (rk: its key in the reference), checking the set against the
 * reference before and after. */
static void add_checked(ss_ip_set *s, GHashTable *ref, const ss_ip *ip, gpointer rk)
{
	gboolean was = g_hash_table_contains(ref, rk);
	assert_int_equal(ss_ip_set_contains(s, ip), was);
	assert_int_equal(ss_ip_set_add(s, ip), !was);
	g_hash_table_add(ref, rk);
	assert_true(ss_ip_set_contains(s, ip));
	assert_int_equal(ss_ip_set_size(s), g_hash_table_size(ref));
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
		add_checked(&s, ref, &ip, GUINT_TO_POINTER(v * 2 + (v6 ? 1 : 0)));
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
	assert_int_equal(s.form, SS_IP_SET_NARROW);
	ss_ip six = ip_from(7, TRUE), four_of_six = ip_from(7, FALSE);
	ss_ip_set_add(&s, &four_of_six);
	assert_false(ss_ip_set_contains(&s, &six));
	guint32 before = ss_ip_set_size(&s);
	assert_true(ss_ip_set_add(&s, &six));
	assert_int_equal(s.form, SS_IP_SET_WIDE);
	assert_int_equal(ss_ip_set_size(&s), before + 1);
	assert_true(ss_ip_set_contains(&s, &six));
	assert_true(ss_ip_set_contains(&s, &four_of_six));
	for (guint32 v = 1; v <= 3000; v++) {
		ss_ip ip = ip_from(v * 2654435761u, FALSE);
		assert_true(ss_ip_set_contains(&s, &ip));
		assert_false(ss_ip_set_add(&s, &ip));
	}
	ss_ip_set_clear(&s);
	assert_int_equal(s.form, SS_IP_SET_NARROW);
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

/* An IPv4 address from its first half (the low 16 bits of its 4-byte
 * value, as ipset.c splits it) and its second. */
static ss_ip ip_halves(guint16 first, guint16 second)
{
	return ip_from((guint32)first | (guint32)second << 16, FALSE);
}

/* An IPv6 address from its first 14 bytes (2001:db8:0:0:0:0:first) and
 * its last two. */
static ss_ip ip6_halves(guint16 first, guint16 second)
{
	static const guint8 doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	memcpy(ip.bytes, doc, sizeof doc);
	memcpy(&ip.bytes[12], &first, 2);
	memcpy(&ip.bytes[14], &second, 2);
	return ip;
}

/* Members from few networks, checked against a reference after every add:
 * the set packs once it reaches 32 slots, takes a new first half while it
 * has fewer than 15, and turns to 4-byte slots, every member kept, when
 * the 16th comes (both while it grows and between growths). */
static void test_packed_against_reference(void **state)
{
	(void)state;
	for (int round = 0; round < 4; round++) {
		gboolean v6 = round >= 2;
		ss_ip_set s = SS_IP_SET_INIT;
		GHashTable *ref = g_hash_table_new(g_direct_hash, g_direct_equal);
		GRand *r = g_rand_new_with_seed(7 + round);
		/* rounds 0 and 2: the 16th half arrives between growths; 1 and
		 * 3: a burst of new halves at once */
		guint halves = 1, was_packed = 0;
		guint8 packed = v6 ? SS_IP_SET_PACKED6 : SS_IP_SET_PACKED;
		for (int i = 0; i < 30000; i++) {
			if (round % 2 == 0 && i % 1500 == 1499 && halves < 20)
				halves++;
			if (round % 2 == 1 && i == 9000)
				halves = 40;
			guint16 first = (guint16)(0x0a00 + 3 * g_rand_int_range(r, 0, (gint32)halves));
			guint16 second = (guint16)g_rand_int_range(r, 0, 3000);
			ss_ip ip = v6 ? ip6_halves(first, second) : ip_halves(first, second);
			add_checked(&s, ref, &ip,
				    GUINT_TO_POINTER((guint32)first | (guint32)second << 16));
			if (s.form == packed)
				was_packed++;
			if (halves <= 15 && s.cap >= 32)
				assert_int_equal(s.form, packed);
		}
		assert_true(was_packed > 1000);
		assert_int_equal(s.form, v6 ? SS_IP_SET_WIDE : SS_IP_SET_NARROW);
		/* every member found, and none of the others: a second half
		 * never added, a first half never added */
		GHashTableIter it;
		gpointer k;
		g_hash_table_iter_init(&it, ref);
		while (g_hash_table_iter_next(&it, &k, NULL)) {
			guint32 w = GPOINTER_TO_UINT(k);
			ss_ip ip = v6 ? ip6_halves((guint16)w, (guint16)(w >> 16))
				      : ip_halves((guint16)w, (guint16)(w >> 16));
			assert_true(ss_ip_set_contains(&s, &ip));
		}
		ss_ip other_second = v6 ? ip6_halves(0x0a00, 4000) : ip_halves(0x0a00, 4000);
		ss_ip other_first = v6 ? ip6_halves(0x0a01, 5) : ip_halves(0x0a01, 5);
		assert_false(ss_ip_set_contains(&s, &other_second));
		assert_false(ss_ip_set_contains(&s, &other_first));
		g_rand_free(r);
		g_hash_table_destroy(ref);
		ss_ip_set_clear(&s);
		assert_int_equal(s.form, SS_IP_SET_NARROW);
		assert_int_equal(s.many_halves, 0);
	}
}

/* A packed IPv6 set: its copy, its prefetch, an IPv4 member beside the
 * IPv6 ones, and the any() of a one-member set. */
static void test_packed6_edges(void **state)
{
	(void)state;
	ss_ip_set s = SS_IP_SET_INIT, c = SS_IP_SET_INIT;
	for (guint16 i = 0; i < 100; i++) {
		ss_ip a = ip6_halves(1, i);
		assert_true(ss_ip_set_add(&s, &a));
	}
	assert_int_equal(s.form, SS_IP_SET_PACKED6);
	ss_ip four = ip_from(0x0a000001, FALSE), absent = ip6_halves(1, 500);
	assert_true(ss_ip_set_add(&s, &four));
	assert_int_equal(s.form, SS_IP_SET_PACKED6);
	ss_ip_set_prefetch(&s, &absent);
	assert_false(ss_ip_set_contains(&s, &absent));
	ss_ip_set_copy(&c, &s);
	ss_ip_set_clear(&s);
	assert_int_equal(ss_ip_set_size(&c), 101);
	assert_true(ss_ip_set_contains(&c, &four));
	for (guint16 i = 0; i < 100; i++) {
		ss_ip a = ip6_halves(1, i);
		assert_true(ss_ip_set_contains(&c, &a));
	}
	ss_ip_set_clear(&c);
	ss_ip one = ip6_halves(9, 9), out;
	ss_ip_set_add(&s, &one);
	assert_true(ss_ip_set_any(&s, &out));
	assert_memory_equal(&out, &one, sizeof out);
	ss_ip_set_clear(&s);
}

/* A packed set: a second half of 0, an address whose first half is 0,
 * the zero address beside them; its copy and its prefetch; an IPv6 member
 * turns it wide with every member kept; a set of many networks never
 * packs. */
static void test_packed_edges(void **state)
{
	(void)state;
	ss_ip_set s = SS_IP_SET_INIT, c = SS_IP_SET_INIT;
	ss_ip zero;
	memset(&zero, 0, sizeof zero);
	for (guint16 i = 0; i < 100; i++) {
		ss_ip a = ip_halves(0x0a0a, i), b = ip_halves(0, (guint16)(i + 1));
		assert_true(ss_ip_set_add(&s, &a));
		assert_true(ss_ip_set_add(&s, &b));
	}
	assert_int_equal(s.form, SS_IP_SET_PACKED);
	assert_true(ss_ip_set_add(&s, &zero));
	assert_int_equal(ss_ip_set_size(&s), 201);
	ss_ip first0 = ip_halves(0x0a0a, 0), absent = ip_halves(0, 0x8000);
	assert_true(ss_ip_set_contains(&s, &first0));
	assert_false(ss_ip_set_contains(&s, &absent));
	ss_ip_set_prefetch(&s, &first0);
	ss_ip_set_prefetch(&s, &absent);
	ss_ip_set_copy(&c, &s);
	ss_ip_set_clear(&s);
	assert_int_equal(c.form, SS_IP_SET_PACKED);
	assert_int_equal(ss_ip_set_size(&c), 201);
	for (guint16 i = 0; i < 100; i++) {
		ss_ip a = ip_halves(0x0a0a, i), b = ip_halves(0, (guint16)(i + 1));
		assert_true(ss_ip_set_contains(&c, &a));
		assert_true(ss_ip_set_contains(&c, &b));
		assert_false(ss_ip_set_add(&c, &a));
	}
	assert_true(ss_ip_set_contains(&c, &zero));
	ss_ip six = ip_from(7, TRUE);
	assert_true(ss_ip_set_add(&c, &six));
	assert_int_equal(c.form, SS_IP_SET_WIDE);
	assert_int_equal(ss_ip_set_size(&c), 202);
	for (guint16 i = 0; i < 100; i++) {
		ss_ip a = ip_halves(0x0a0a, i), b = ip_halves(0, (guint16)(i + 1));
		assert_true(ss_ip_set_contains(&c, &a));
		assert_true(ss_ip_set_contains(&c, &b));
	}
	ss_ip_set_clear(&c);
	/* 16 networks, one after the other from the start: packed at 32
	 * slots with 13, 4-byte slots from the 16th on, for good */
	for (guint16 i = 0; i < 400; i++) {
		ss_ip a = ip_halves((guint16)(0x100 + i % 16), i);
		assert_true(ss_ip_set_add(&s, &a));
		if (i == 12)
			assert_int_equal(s.form, SS_IP_SET_PACKED);
		if (i >= 15)
			assert_int_equal(s.form, SS_IP_SET_NARROW);
	}
	assert_true(s.many_halves);
	for (guint16 i = 0; i < 400; i++) {
		ss_ip a = ip_halves((guint16)(0x100 + i % 16), i);
		assert_true(ss_ip_set_contains(&s, &a));
	}
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
		cmocka_unit_test(test_packed_against_reference),
		cmocka_unit_test(test_packed_edges),
		cmocka_unit_test(test_packed6_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
