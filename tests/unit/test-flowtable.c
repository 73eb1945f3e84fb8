/* Flow keys and the open-addressing table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>

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

/* ss_flow_key_make() writes the key's last 16 bytes as one block and
 * ss_flow_key_set_tunnel() writes nothing for a packet from no tunnel
 * (flow/table.c: so the hash's loads are forwarded from one store): every
 * byte must still come out as the field-by-field key, whatever the memory
 * held before, on either side, and a tunnel must still be written. */
static void test_key_every_byte(void **state)
{
	(void)state;
	ss_ip a = ip4(10, 0, 0, 1), b = ip4(10, 0, 0, 2);
	ss_ip v6a, v6b;
	memset(&v6a, 0, sizeof v6a);
	memset(&v6b, 0, sizeof v6b);
	v6a.bytes[0] = 0x20;
	v6a.bytes[15] = 1;
	v6b.bytes[0] = 0x20;
	v6b.bytes[15] = 2;
	const struct {
		guint8 family, proto;
		const ss_ip *src, *dst;
		guint16 sport, dport;
	} cases[] = {
		{ 4, IPPROTO_TCP, &a, &b, 40000, 80 },
		{ 4, IPPROTO_TCP, &b, &a, 80, 40000 },
		{ 4, IPPROTO_UDP, &a, &a, 5000, 53 },
		{ 6, IPPROTO_UDP, &v6b, &v6a, 0xabcd, 0x1234 },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		ss_flow_key k, want;
		memset(&k, 0xa5, sizeof k);
		int side = ss_flow_key_make(&k, cases[i].family, cases[i].proto, cases[i].src,
					    cases[i].sport, cases[i].dst, cases[i].dport);
		memset(&want, 0, sizeof want);
		want.addr[side] = *cases[i].src;
		want.port[side] = cases[i].sport;
		want.addr[!side] = *cases[i].dst;
		want.port[!side] = cases[i].dport;
		want.proto = cases[i].proto;
		want.family = cases[i].family;
		assert_memory_equal(&k, &want, sizeof k);

		ss_tunnel none;
		memset(&none, 0, sizeof none);
		ss_flow_key_set_tunnel(&k, &none);
		assert_memory_equal(&k, &want, sizeof k);

		ss_tunnel t = none;
		t.type = SS_TUNNEL_VXLAN;
		t.vni = 77;
		ss_flow_key_set_tunnel(&k, &t);
		want.tunnel = SS_TUNNEL_VXLAN;
		want.vni = 77;
		assert_memory_equal(&k, &want, sizeof k);
	}
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


/* ---- the slots: 8 bytes (32 hash bits and the entry's offset from a
 * base), 16 (pointer and hash bits) for an entry the 8 cannot name ---- */

/* Entries as the lifecycle's records are: 8-byte aligned, in one block. */
typedef struct {
	ss_flow_key key;
	guint64 id;
} rec;

static void rec_key(rec *r, guint32 i)
{
	ss_ip a = ip4(10, (guint8)(i >> 16), (guint8)(i >> 8), (guint8)i), b = ip4(192, 0, 2, 1);
	ss_flow_key_make(&r->key, 4, IPPROTO_TCP, &a, (guint16)(1000 + i % 50000), &b, 443);
	r->id = i;
}

/* Every look-up against the model: present[i] says whether recs[i] is in. */
static void check_all(const ss_flow_table *t, rec *recs, const guint64 *h, const gboolean *present,
		      guint n)
{
	guint in = 0;
	for (guint i = 0; i < n; i++) {
		rec *found = ss_flow_table_lookup_hashed(t, &recs[i].key, h[i]);
		if (present[i]) {
			assert_ptr_equal(found, &recs[i]);
			in++;
		} else {
			assert_null(found);
		}
	}
	assert_int_equal(ss_flow_table_size(t), in);
}

/* Keys whose hashes agree in all 32 kept bits, or in all but one of them,
 * are told apart by the key, through growth and backward-shift deletion;
 * the table stays in 8-byte slots. */
static void test_collisions_on_every_stored_bit(void **state)
{
	(void)state;
	enum { SAME = 600, N = SAME + 32 };
	ss_flow_table *t = ss_flow_table_new(5, 6);
	/* One block, with room for a twin: a record of its own allocation may
	 * lie far away (AddressSanitizer's allocator keeps each size apart)
	 * and widen the table. */
	rec *recs = g_new0(rec, N + 1);
	guint64 h[N];
	gboolean present[N] = { 0 };
	/* Their home is near each size's start (a fast range: the bits'
	 * fraction of the size), so the pile never wraps past the end, where
	 * growth would take its wrapped part first and another entry would
	 * be the pile's first. */
	const guint32 base_bits = 0x1e3779b9u;
	for (guint i = 0; i < N; i++) {
		rec_key(&recs[i], i);
		/* The first SAME share all 32 kept bits (the upper 32, which the
		 * table does not keep, differ); the next 32 differ from them in
		 * bit i - SAME only. */
		guint32 low = i < SAME ? base_bits : base_bits ^ (1u << (i - SAME));
		h[i] = (guint64)(i * 0x9e3779b97f4a7c15ULL) << 32 | low;
		assert_null(ss_flow_table_lookup_hashed(t, &recs[i].key, h[i]));
		ss_flow_table_insert_hashed(t, &recs[i], h[i]);
		present[i] = TRUE;
	}
	assert_true(ss_flow_table_size(t) == N);   /* grew past 1024 slots */
	check_all(t, recs, h, present, N);
	/* A peek (8 slots at most) finds nothing or an entry with the same
	 * kept bits; for the first of the pile, itself. */
	for (guint i = 0; i < N; i++) {
		const rec *p = ss_flow_table_peek(t, h[i]);
		assert_true(p == NULL || (guint32)h[p->id] == (guint32)h[i]);
	}
	assert_ptr_equal(ss_flow_table_peek(t, h[0]), &recs[0]);
	/* Deleting from the middle of the long run shifts the rest back. */
	for (guint i = 0; i < N; i += 3) {
		assert_true(ss_flow_table_remove_hashed(t, &recs[i].key, h[i]));
		present[i] = FALSE;
		assert_false(ss_flow_table_remove_hashed(t, &recs[i].key, h[i]));
	}
	check_all(t, recs, h, present, N);
	/* Replacing keeps the slot: the twin is found, the original given back. */
	rec *twin = &recs[N];
	*twin = recs[1];
	assert_ptr_equal(ss_flow_table_replace_hashed(t, twin, h[1]), &recs[1]);
	assert_ptr_equal(ss_flow_table_lookup_hashed(t, &recs[1].key, h[1]), twin);
	assert_ptr_equal(ss_flow_table_replace_hashed(t, &recs[1], h[1]), twin);
	check_all(t, recs, h, present, N);
	assert_int_equal(ss_flow_table_slot_bytes(t), 8);
	ss_flow_table_free(t);
	g_free(recs);
}

/* Growth moves each slot by its kept bits only: hashes crafted to share
 * their high kept bits pile into a few homes at each size (a home is the
 * fast range of the kept bits: their high bits), and must be found at
 * every later size (70 000 entries: the array passes 2 MiB). */
static void test_growth_by_kept_bits(void **state)
{
	(void)state;
	enum { N = 70000 };
	ss_flow_table *t = ss_flow_table_new(7, 8);
	rec *recs = g_new0(rec, N);
	guint64 *h = g_new(guint64, N);
	gboolean *present = g_new0(gboolean, N);
	for (guint i = 0; i < N; i++) {
		rec_key(&recs[i], i);
		/* The entry's index in kept bits 15-31, the rest shared: at
		 * 2^k slots (k < 17) each home holds 2^(17 - k) entries. */
		h[i] = G_GUINT64_CONSTANT(0xdead000000000000) ^ ((guint64)i << 15) ^ 0x15;
		ss_flow_table_insert_hashed(t, &recs[i], h[i]);
		present[i] = TRUE;
		if (i % 9999 == 0)
			check_all(t, recs, h, present, i + 1);
	}
	check_all(t, recs, h, present, N);
	for (guint i = 1; i < N; i += 2) {
		assert_true(ss_flow_table_remove_hashed(t, &recs[i].key, h[i]));
		present[i] = FALSE;
	}
	check_all(t, recs, h, present, N);
	/* The slot array in one sequential pass holds exactly what is in. */
	GPtrArray *all = g_ptr_array_new();
	gsize pos = 0;
	for (gpointer e; (e = ss_flow_table_next_entry(t, &pos)) != NULL;)
		g_ptr_array_add(all, e);
	assert_int_equal(all->len, N / 2);
	for (guint i = 0; i < all->len; i++)
		assert_true(((rec *)g_ptr_array_index(all, i))->id % 2 == 0);
	g_ptr_array_unref(all);
	assert_int_equal(ss_flow_table_slot_bytes(t), 8);
	ss_flow_table_free(t);
	g_free(present);
	g_free(h);
	g_free(recs);
}

/* Random inserts, replaces and removes against a model, hashes from a
 * small set (collisions everywhere), entries from two pools: 8-aligned
 * ones, then, halfway, ones 4 bytes off (not a multiple of 8 from the
 * others): the table turns to 16-byte slots in the middle of it all and
 * keeps every entry. */
static void test_widen_keeps_everything(void **state)
{
	(void)state;
	enum { N = 3000, OPS = 40000 };
	ss_flow_table *t = ss_flow_table_new(9, 10);
	rec *recs = g_new0(rec, N);
	/* The second pool: the same records 4 bytes off an 8-byte boundary. */
	guint8 *odd_block = g_malloc0(N * sizeof(rec) + 8);
	rec *odd = (rec *)(odd_block + 4);
	guint64 *h = g_new(guint64, N);
	gboolean *present = g_new0(gboolean, N);
	rec **where = g_new0(rec *, N);   /* which copy the table holds */
	GRand *rnd = g_rand_new_with_seed(42);
	for (guint i = 0; i < N; i++) {
		rec_key(&recs[i], i);
		memcpy((guint8 *)odd + i * sizeof(rec), &recs[i], sizeof(rec));
		h[i] = (guint64)g_rand_int(rnd) << 32 | g_rand_int_range(rnd, 0, 64) * 0x01010101u;
	}
	for (guint op = 0; op < OPS; op++) {
		guint i = (guint)g_rand_int_range(rnd, 0, N);
		rec *pool = op < OPS / 2 ? recs : odd;
		rec *e = (rec *)((guint8 *)pool + i * sizeof(rec));
		switch (g_rand_int_range(rnd, 0, 3)) {
		case 0:
			if (!present[i]) {
				ss_flow_table_insert_hashed(t, e, h[i]);
				present[i] = TRUE;
				where[i] = e;
			}
			break;
		case 1:
			assert_ptr_equal(ss_flow_table_replace_hashed(t, e, h[i]), where[i]);
			present[i] = TRUE;
			where[i] = e;
			break;
		default:
			assert_int_equal(ss_flow_table_remove_hashed(t, &recs[i].key, h[i]), present[i]);
			present[i] = FALSE;
			where[i] = NULL;
			break;
		}
		if (op == OPS / 2 - 1)
			assert_int_equal(ss_flow_table_slot_bytes(t), 8);
		if (op % 4000 == 0 || op == OPS / 2 - 1 || op == OPS / 2) {
			for (guint k = 0; k < N; k++)
				assert_ptr_equal(ss_flow_table_lookup_hashed(t, &recs[k].key, h[k]),
						 where[k]);
		}
	}
	assert_int_equal(ss_flow_table_slot_bytes(t), 16);
	guint in = 0;
	for (guint k = 0; k < N; k++) {
		assert_ptr_equal(ss_flow_table_lookup_hashed(t, &recs[k].key, h[k]), where[k]);
		in += present[k];
	}
	assert_int_equal(ss_flow_table_size(t), in);
	g_rand_free(rnd);
	ss_flow_table_free(t);
	g_free(where);
	g_free(present);
	g_free(h);
	g_free(odd_block);
	g_free(recs);
}

/* An entry more than the 8-byte slot's reach (32 GiB) from the table's
 * base widens the table; an empty table instead moves its base to the
 * entry.  The far entry lives in a page mapped 1 TiB away (a hint: the
 * test checks the distance it got). */
static void test_far_entry(void **state)
{
	(void)state;
	rec *near = g_new0(rec, 2);
	rec_key(&near[0], 1);
	rec_key(&near[1], 2);
	guint8 *hint = (guint8 *)near + ((guint64)1 << 40);
	void *page = mmap(hint, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	rec *far = page;
	rec_key(far, 3);
	guintptr d = (guintptr)far > (guintptr)near ? (guintptr)far - (guintptr)near
						     : (guintptr)near - (guintptr)far;
	if (d < ((guintptr)1 << 36)) {
		munmap(page, 4096);
		g_free(near);
		skip();
	}
	ss_flow_table *t = ss_flow_table_new(11, 12);
	/* Empty again, the table counts from its next entry. */
	ss_flow_table_insert(t, &near[0]);
	assert_true(ss_flow_table_remove(t, &near[0].key));
	ss_flow_table_insert(t, far);
	assert_int_equal(ss_flow_table_slot_bytes(t), 8);
	assert_ptr_equal(ss_flow_table_lookup(t, &far->key), far);
	/* Not empty: the near one does not fit, the table widens. */
	ss_flow_table_insert(t, &near[0]);
	assert_int_equal(ss_flow_table_slot_bytes(t), 16);
	ss_flow_table_insert(t, &near[1]);
	assert_ptr_equal(ss_flow_table_lookup(t, &far->key), far);
	assert_ptr_equal(ss_flow_table_lookup(t, &near[0].key), &near[0]);
	assert_ptr_equal(ss_flow_table_lookup(t, &near[1].key), &near[1]);
	assert_ptr_equal(ss_flow_table_peek(t, ss_flow_table_hash(t, &far->key)), far);
	assert_true(ss_flow_table_remove_entry(t, far));
	assert_null(ss_flow_table_lookup(t, &far->key));
	assert_int_equal(ss_flow_table_size(t), 2);
	ss_flow_table_free(t);

	/* A replace by a far entry widens too, and the slot stays put. */
	t = ss_flow_table_new(13, 14);
	ss_flow_table_insert(t, &near[0]);
	ss_flow_table_insert(t, &near[1]);
	rec_key(far, 2);   /* near[1]'s key */
	assert_ptr_equal(ss_flow_table_replace(t, far), &near[1]);
	assert_int_equal(ss_flow_table_slot_bytes(t), 16);
	assert_ptr_equal(ss_flow_table_lookup(t, &near[1].key), far);
	assert_ptr_equal(ss_flow_table_lookup(t, &near[0].key), &near[0]);
	ss_flow_table_free(t);
	munmap(page, 4096);
	g_free(near);
}

/* A table bounded at 3 000 entries (the lifecycle's flow cap) grows from
 * 1 024 slots straight to 4 000 (3 000 at most 3/4 full), not to the
 * first growth's 2^17, and holds the bound there through deletions and
 * inserts at its full load; past the bound (a caller's bug) it doubles.
 * With no bound, 3 000 entries take the first growth's 2^17 slots. */
static void test_bound_sets_last_size(void **state)
{
	(void)state;
	enum { BOUND = 3000, N = BOUND + 600 };
	rec *recs = g_new0(rec, N);
	guint64 *h = g_new(guint64, N);
	gboolean *present = g_new0(gboolean, N);
	ss_flow_table *free_t = ss_flow_table_new(3, 4), *t = ss_flow_table_new(3, 4);
	ss_flow_table_set_bound(t, BOUND);
	for (guint i = 0; i < N; i++) {
		rec_key(&recs[i], i);
		h[i] = ss_flow_table_hash(t, &recs[i].key);
	}
	for (guint i = 0; i < BOUND; i++) {
		ss_flow_table_insert_hashed(free_t, &recs[i], ss_flow_table_hash(free_t, &recs[i].key));
		ss_flow_table_insert_hashed(t, &recs[i], h[i]);
		present[i] = TRUE;
		if (i == 511)
			assert_int_equal(ss_flow_table_capacity(t), 1024);
		else if (i == 512)
			assert_int_equal(ss_flow_table_capacity(t), 4000);
	}
	assert_int_equal(ss_flow_table_capacity(free_t), 1u << 17);
	assert_int_equal(ss_flow_table_capacity(t), 4000);
	check_all(t, recs, h, present, BOUND);
	/* Out and in again at the bound: the size stays. */
	for (guint i = 0; i < BOUND; i += 2) {
		assert_true(ss_flow_table_remove_hashed(t, &recs[i].key, h[i]));
		present[i] = FALSE;
	}
	check_all(t, recs, h, present, BOUND);
	for (guint i = 0; i < BOUND; i += 2) {
		ss_flow_table_insert_hashed(t, &recs[i], h[i]);
		present[i] = TRUE;
	}
	check_all(t, recs, h, present, BOUND);
	assert_int_equal(ss_flow_table_capacity(t), 4000);
	gsize pos = 0, seen = 0;
	while (ss_flow_table_next_entry(t, &pos))
		seen++;
	assert_int_equal(seen, BOUND);
	for (guint i = BOUND; i < N; i++) {
		ss_flow_table_insert_hashed(t, &recs[i], h[i]);
		present[i] = TRUE;
	}
	assert_int_equal(ss_flow_table_capacity(t), 8000);
	check_all(t, recs, h, present, N);
	ss_flow_table_free(free_t);
	ss_flow_table_free(t);
	g_free(present);
	g_free(h);
	g_free(recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_is_direction_independent),
		cmocka_unit_test(test_key_every_byte),
		cmocka_unit_test(test_hash_depends_on_seed),
		cmocka_unit_test(test_insert_lookup_remove),
		cmocka_unit_test(test_hashed_lookup_insert),
		cmocka_unit_test(test_tunnel_separates_tenants),
		cmocka_unit_test(test_collisions_on_every_stored_bit),
		cmocka_unit_test(test_growth_by_kept_bits),
		cmocka_unit_test(test_widen_keeps_everything),
		cmocka_unit_test(test_far_entry),
		cmocka_unit_test(test_bound_sets_last_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
