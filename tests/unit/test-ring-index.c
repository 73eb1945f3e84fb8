/* The tombstones' index of ring positions (flow/ring-index.h): 8-byte
 * slots that keep 45 hash bits and a position, a hit confirmed against the
 * ring entry's full key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "flow/ring-index.h"

typedef struct {
	ss_flow_key key;
	int id;
} entry;

/* The tests' rings hold whole keys. */
static const ss_flow_key *entry_key_at(const void *ctx, gsize pos, ss_flow_key *scratch)
{
	(void)scratch;
	return &((const entry *)ctx)[pos].key;
}

static void key_of(ss_flow_key *k, guint32 n)
{
	ss_ip a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.bytes[0] = 10;
	a.bytes[1] = (guint8)(n >> 16);
	a.bytes[2] = (guint8)(n >> 8);
	a.bytes[3] = (guint8)n;
	b.bytes[0] = 192;
	b.bytes[3] = 1;
	ss_flow_key_make(k, SS_FAMILY_IPV4, IPPROTO_TCP, &a, (guint16)(1024 + n % 50000), &b, 443);
}

/* Two keys whose hashes agree in every bit a slot keeps (bits 19-63) and
 * land in the same home: the second is not found while only the first is
 * in, and each finds its own position once both are.  An index that took
 * agreeing hash bits for a hit would answer the first's position. */
static void test_hash_bits_collision_is_not_a_hit(void **state)
{
	(void)state;
	entry *ring = g_new0(entry, 8);
	ss_ring_index t;
	ss_ring_index_init(&t, entry_key_at, ring, 1, 2);
	key_of(&ring[3].key, 1);
	key_of(&ring[5].key, 2);
	guint64 h = G_GUINT64_CONSTANT(0xdeadbeef12345678);
	guint64 h3 = (h & ~SS_RING_INDEX_POS_MASK) | 0x11;
	guint64 h5 = (h & ~SS_RING_INDEX_POS_MASK) | 0x7ffff;   /* same kept bits */
	ss_ring_index_replace(&t, 3, &ring[3].key, h3);
	assert_int_equal(ss_ring_index_lookup(&t, &ring[3].key, h3), 3);
	assert_int_equal(ss_ring_index_lookup(&t, &ring[5].key, h5), -1);
	assert_int_equal(ss_ring_index_lookup(&t, &ring[5].key, h3), -1);   /* equal hashes */
	assert_false(ss_ring_index_remove(&t, &ring[5].key, h5));
	assert_false(ss_ring_index_remove_pos(&t, 5, h5));
	assert_int_equal(t.size, 1);
	ss_ring_index_replace(&t, 5, &ring[5].key, h5);
	assert_int_equal(t.size, 2);
	assert_int_equal(ss_ring_index_lookup(&t, &ring[3].key, h3), 3);
	assert_int_equal(ss_ring_index_lookup(&t, &ring[5].key, h5), 5);
	/* Removing the first (the run's head) pulls the second home. */
	assert_true(ss_ring_index_remove(&t, &ring[3].key, h3));
	assert_int_equal(ss_ring_index_lookup(&t, &ring[3].key, h3), -1);
	assert_int_equal(ss_ring_index_lookup(&t, &ring[5].key, h5), 5);
	ss_ring_index_clear(&t);
	g_free(ring);
}

/* A newer entry of a key replaces the older in the index (the older stays
 * in the ring), and dropping the older position then leaves the newer. */
static void test_replace_and_remove_pos(void **state)
{
	(void)state;
	entry *ring = g_new0(entry, 8);
	ss_ring_index t;
	ss_ring_index_init(&t, entry_key_at, ring, 1, 2);
	key_of(&ring[0].key, 7);
	ring[6].key = ring[0].key;
	guint64 h = ss_flow_key_hash(&ring[0].key, 1, 2);
	ss_ring_index_replace(&t, 0, &ring[0].key, h);
	ss_ring_index_replace(&t, 6, &ring[6].key, h);
	assert_int_equal(t.size, 1);
	assert_int_equal(ss_ring_index_lookup(&t, &ring[0].key, h), 6);
	assert_false(ss_ring_index_remove_pos(&t, 0, h));
	assert_int_equal(ss_ring_index_lookup(&t, &ring[0].key, h), 6);
	assert_true(ss_ring_index_remove_pos(&t, 6, h));
	assert_int_equal(ss_ring_index_lookup(&t, &ring[0].key, h), -1);
	assert_int_equal(t.size, 0);
	ss_ring_index_clear(&t);
	g_free(ring);
}

/* A full ring's worth of positions, hashes squeezed into few distinct
 * values of the kept bits (long probe runs, many tag agreements), through
 * growth to 2^19 slots, then every third removed: every look-up must say
 * what a reference says. */
static void test_full_ring_grow_and_remove(void **state)
{
	(void)state;
	const gsize n = SS_RING_INDEX_MAX;
	entry *ring = g_new0(entry, n);
	guint64 *hs = g_new(guint64, n);
	ss_ring_index t;
	ss_ring_index_init(&t, entry_key_at, ring, 1, 2);
	for (gsize i = 0; i < n; i++) {
		key_of(&ring[i].key, (guint32)i);
		guint64 h = ss_flow_key_hash(&ring[i].key, 3, 4);
		/* Half the keys share their kept bits with another key. */
		if (i % 2)
			h = (hs[i - 1] & ~SS_RING_INDEX_POS_MASK) | (h & SS_RING_INDEX_POS_MASK);
		hs[i] = h;
		ss_ring_index_replace(&t, i, &ring[i].key, h);
	}
	assert_int_equal(t.size, n);
	assert_int_equal(t.mask + 1, 2 * n);
	for (gsize i = 0; i < n; i++)
		assert_int_equal(ss_ring_index_lookup(&t, &ring[i].key, hs[i]), (gssize)i);
	for (gsize i = 0; i < n; i += 3)
		assert_true(ss_ring_index_remove_pos(&t, i, hs[i]));
	for (gsize i = 0; i < n; i++)
		assert_int_equal(ss_ring_index_lookup(&t, &ring[i].key, hs[i]),
				 i % 3 ? (gssize)i : -1);
	ss_ring_index_clear(&t);
	g_free(hs);
	g_free(ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_bits_collision_is_not_a_hit),
		cmocka_unit_test(test_replace_and_remove_pos),
		cmocka_unit_test(test_full_ring_grow_and_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
