/* Findings: a ranked list of what to look at, from the connection records,
 * the summary and the host view.  This file accumulates the records into
 * groups (one table per kind of finding), picks the examples and ranks the
 * findings; findings-text.c says what each group means.  docs/reports.md
 * describes every finding and its thresholds (named in sockscope/findings.h). */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "analysis/findings-internal.h"
#include "sockscope/bigarray.h"
#include "sockscope/hosts.h"
#include "sockscope/util.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EX_PACK_AVX512 1
#endif

/* ex_pack()'s output: the packed record, and room for the vector
 * version's last 64-byte store. */
#define EX_PACK_BUF (EX_ROOM_MAX + 64)

const char *ss_severity_name(ss_severity s)
{
	switch (s) {
	case SS_SEVERITY_HIGH:
		return "high";
	case SS_SEVERITY_MEDIUM:
		return "medium";
	case SS_SEVERITY_LOW:
		return "low";
	case SS_SEVERITY_INFO:
		return "info";
	case SS_SEVERITY_COUNT:
		break;
	}
	return "unknown";
}

/* Only pair_examples() keeps a GHashTable: it is built once at the end
 * from the few findings that want examples, not per record. */
SS_BYTES_KEY_FUNCS(gkey, gkey)

/* ---- the listeners' round-trip arrays (rtt_pool) ---- */

/* The bytes of side s's array of round trips: len samples in a capacity
 * of 4, then the next power of two (add_rtt()); 0 when it has none. */
static gsize rtt_bytes(const group *g, int s)
{
	guint32 n = g->c.slow.len[s];
	if (n == 0)
		return 0;
	gsize cap = n <= 4 ? 4 : (gsize)1 << g_bit_storage(n - 1);
	return cap * (g->c.slow.wide[s] ? sizeof(gint64) : sizeof(guint32));
}

/* An array of `bytes` (a power of two from 16), 16-byte aligned. */
static void *rtt_alloc(rtt_pool *p, gsize bytes)
{
	if (bytes > RTT_POOL_MAX)
		return g_malloc(bytes);
	guint c = g_bit_storage(bytes) - 1 - RTT_POOL_MIN_SHIFT;
	void *r = p->free[c];
	if (r != NULL) {
		memcpy(&p->free[c], r, sizeof(void *));
		return r;
	}
	/* a larger freed array, split in halves: its first `bytes` are the
	 * answer, each other half goes to its own size's list (the lists
	 * hold what listeners outgrew) */
	for (guint d = c + 1; d < RTT_POOL_CLASSES; d++) {
		r = p->free[d];
		if (r == NULL)
			continue;
		memcpy(&p->free[d], r, sizeof(void *));
		while (d-- > c) {
			guint8 *half = (guint8 *)r + ((gsize)16 << d);
			memcpy(half, &p->free[d], sizeof(void *));
			p->free[d] = half;
		}
		return r;
	}
	if (p->next == NULL || (gsize)(p->end - p->next) < bytes) {
		/* the old chunk's rest (under RTT_POOL_MAX) stays unused */
		guint8 *chunk = g_malloc(RTT_POOL_CHUNK);
		memcpy(chunk, &p->chunks, sizeof(void *));
		p->chunks = chunk;
		p->next = chunk + 16;   /* the link, and the arrays 16-byte aligned */
		p->end = chunk + RTT_POOL_CHUNK;
	}
	r = p->next;
	p->next += bytes;
	return r;
}

static void rtt_release(rtt_pool *p, void *r, gsize bytes)
{
	if (bytes > RTT_POOL_MAX) {
		g_free(r);
		return;
	}
	guint c = g_bit_storage(bytes) - 1 - RTT_POOL_MIN_SHIFT;
	memcpy(r, &p->free[c], sizeof(void *));
	p->free[c] = r;
}

/* Array r of `bytes` (at least one sample: bytes >= 16) grown to
 * `new_bytes`, its first `bytes` kept: past the pool, realloc (which may
 * grow it in place). */
static void *rtt_grow(rtt_pool *p, void *r, gsize bytes, gsize new_bytes)
{
	if (bytes > RTT_POOL_MAX)
		return g_realloc(r, new_bytes);
	void *more = rtt_alloc(p, new_bytes);
	memcpy(more, r, bytes);
	rtt_release(p, r, bytes);
	return more;
}

static void rtt_pool_clear(rtt_pool *p)
{
	while (p->chunks != NULL) {
		void *prev;
		memcpy(&prev, p->chunks, sizeof prev);
		g_free(p->chunks);
		p->chunks = prev;
	}
	memset(p, 0, sizeof *p);
}

/* ---- pages faulted in ahead (fault_ahead) ----
 * The pairs' entries (96 bytes each, up to SS_FINDINGS_MAX_GROUPS: 6.3 MB)
 * and the examples' store grow into fresh mappings (ss_big_resize()),
 * whose pages the kernel zeroes at their first touch.  On mixed.pcap,
 * whose ~98 000 records all end at the capture's end, that zeroing was
 * ~21% of the writer thread's samples (clear_page_erms under
 * acc_add_now's pair insert and ex_ref's copy: 3.8% of all the run's
 * samples), in the drain that the writer bounds while the main thread
 * waits.  A helper thread faults the next FAULT_STEP of each array in
 * (MADV_POPULATE_WRITE) as the owner's use nears the end of the last one
 * asked for, so the zeroing runs beside the writer instead of on it.  The
 * owner never waits for the helper but before it moves or frees an array
 * (a resize: a few times a run), as the helper's jobs name its address.
 * The advice writes no byte, so the helper and the owner share no data
 * (hence madvise() itself, not ss_big_populate(), whose fallback for a
 * kernel before 5.14 writes to each page: a page the owner may by then be
 * writing).
 * Memory: at most FAULT_STEP of each array faulted in and not used yet,
 * only while its use is within FAULT_LEAD of it (none for the pairs past
 * their bound).  Measured in
 * docs/performance.md, "Writer and findings, thirteenth session". */
#define FAULT_JOBS 4

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14 */
#endif

/* pthread's lock, as flow/slab.c's helper: ThreadSanitizer sees it. */
struct fault_ahead {
	GThread *thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;   /* a job queued, or quit (helper); idle (owner) */
	struct {
		guint8 *p;
		gsize len;
	} job[FAULT_JOBS];
	guint head, n;         /* the queued jobs: job[head], job[head + 1]... */
	gboolean busy;         /* the helper is doing the one it took */
	gboolean quit;
};

static gpointer fault_ahead_main(gpointer data)
{
	struct fault_ahead *f = data;
	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->quit && f->n == 0)
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->quit)
			break;
		guint8 *p = f->job[f->head].p;
		gsize len = f->job[f->head].len;
		f->head = (f->head + 1) % FAULT_JOBS;
		f->n--;
		f->busy = TRUE;
		pthread_mutex_unlock(&f->lock);
		/* refused (an old kernel, no memory): the owner faults the
		 * pages in at their first touch, as without the helper */
		(void)madvise(p, len, MADV_POPULATE_WRITE);
		pthread_mutex_lock(&f->lock);
		f->busy = FALSE;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

void ss_findings_acc_fault_ahead(ss_findings_acc *a)
{
	if (a->fa != NULL)
		return;
	struct fault_ahead *f = g_new0(struct fault_ahead, 1);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->thread = g_thread_try_new("sockscope-fault", fault_ahead_main, f, NULL);
	if (f->thread == NULL) {   /* no thread: the owner zeroes, as before */
		pthread_mutex_destroy(&f->lock);
		pthread_cond_destroy(&f->cond);
		g_free(f);
		return;
	}
	a->fa = f;
}

/* Owner: returns once the helper has no job (before an array moves). */
static void fault_ahead_wait(struct fault_ahead *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	while (f->n > 0 || f->busy)
		pthread_cond_wait(&f->cond, &f->lock);
	pthread_mutex_unlock(&f->lock);
}

static void fault_ahead_stop(ss_findings_acc *a)
{
	struct fault_ahead *f = a->fa;
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->quit = TRUE;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	g_thread_join(f->thread);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	g_free(f);
	a->fa = NULL;
}

/* Owner: the first `used` bytes of the array at p are in use, and it
 * grows to `limit` bytes before it moves (or never past them); *faulted:
 * how far from p the helper has been asked to fault it in.  Once the use
 * is within FAULT_LEAD of the end of its 2 MiB page, the next page is
 * asked for.  Never a page the use has reached, and only page-aligned
 * ones (an array below 2 MiB is malloc'd: never asked for). */
static inline void fault_ahead_note(ss_findings_acc *a, gsize *faulted, guint8 *p, gsize used,
				    gsize limit)
{
	if (G_LIKELY(a->fa == NULL))
		return;
	gsize next = (used + FAULT_STEP - 1) & ~(FAULT_STEP - 1);
	gsize from = MAX(*faulted, next);
	gsize to = MIN(next + FAULT_STEP, limit);
	if (next - used > FAULT_LEAD || from >= to || (uintptr_t)(p + from) % 4096 != 0)
		return;
	struct fault_ahead *f = a->fa;
	pthread_mutex_lock(&f->lock);
	if (f->n < FAULT_JOBS) {
		f->job[(f->head + f->n) % FAULT_JOBS].p = p + from;
		f->job[(f->head + f->n) % FAULT_JOBS].len = to - from;
		f->n++;
		*faulted = to;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
}

/* Frees what a group points to (the group is its table's; its examples
 * are the store's, its pooled round trips the pool's). */
static void group_clear(kind k, group *g)
{
	ss_ip_set_clear(&g->clients);
	if (k == K_SLOW) {
		for (int s = 0; s < 2; s++)
			if (rtt_bytes(g, s) > RTT_POOL_MAX)
				g_free(g->c.slow.rtt[s]);
	}
}

ss_findings_acc *ss_findings_acc_new(void)
{
	ss_findings_acc *a = g_new0(ss_findings_acc, 1);
	for (int k = 0; k < K_COUNT; k++)
		ss_oatable_init(&a->groups[k], sizeof(group), sizeof(gkey));
	ss_oatable_init(&a->pairs, sizeof(pair), sizeof(gkey));
	ss_oatable_init(&a->closed, sizeof(closed_tuple), sizeof(ss_flow_key));
	ss_hash3_key_init(&a->hk);
	static const gkey zero;
	a->zero_h = gkey_oa_hash(a, &zero);
	return a;
}

void ss_findings_acc_free(ss_findings_acc *a)
{
	if (a == NULL)
		return;
	for (int k = 0; k < K_COUNT; k++) {
		for (guint32 i = 0; i < a->groups[k].len; i++)
			group_clear((kind)k, ss_oa_entry(&a->groups[k], i));
		ss_oatable_clear(&a->groups[k]);
	}
	fault_ahead_stop(a);
	rtt_pool_clear(&a->rtts);
	ss_oatable_clear(&a->pairs);
	ss_big_free(a->ex.bytes, a->ex.cap);
	ss_big_free(a->slow, (gsize)a->slow_cap * sizeof *a->slow);
	ss_big_free(a->closed4.slots, (gsize)a->closed4.cap * sizeof *a->closed4.slots);
	ss_oatable_clear(&a->closed);
	g_free(a->ring);
	g_free(a);
}

/* The keys of one record, each made and hashed once however many tables
 * look it up: [0] its server socket (the unanswered, refused, SYN, slow
 * and reuse groups share it), [1] its client address and server socket
 * (pairs, simultaneous opens), [2] the host a one-sided record lacks
 * packets from (K_SILENT); hc: the hash of its flow key in the closed
 * tuples.  A hash 0: not made yet.  ex: the record's index in the
 * examples' store once a group quotes it (0: not stored yet), so that
 * the next group shares it. */
typedef struct {
	const ss_conn *c;
	gkey k[3];
	guint32 h[3];
	guint32 hc;
	guint32 ex;
} rec_keys;

static const gkey *rec_key(const ss_findings_acc *a, rec_keys *r, gboolean per_client,
			   guint32 *h)
{
	int i = per_client ? 1 : 0;
	if (r->h[i] == 0) {
		const ss_conn *c = r->c;
		gkey *key = &r->k[i];
		memset(key, 0, sizeof *key);
		key->vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
		key->proto = c->proto;
		key->family = c->family;
		key->server = *ss_conn_server_ip(c);
		key->port = ss_conn_server_port(c);
		if (per_client)
			key->client = *ss_conn_client_ip(c);
		r->h[i] = gkey_oa_hash(a, key);
	}
	*h = r->h[i];
	return &r->k[i];
}

/* The K_SILENT key of a one-sided record: which direction is missing,
 * the host that sent nothing, and its role there. */
static const gkey *rec_silent_key(const ss_findings_acc *a, rec_keys *r, guint32 *h)
{
	if (r->h[2] == 0) {
		const ss_conn *c = r->c;
		int silent = c->ep[0].packets == 0 ? 0 : 1;
		gkey *k = &r->k[2];
		memset(k, 0, sizeof *k);
		k->vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
		k->family = c->family;
		k->server = *ss_conn_ip(c, silent);
		k->icmp_type = silent == c->client;
		r->h[2] = gkey_oa_hash(a, k);
	}
	*h = r->h[2];
	return &r->k[2];
}

/* The group of kind k with key (hash h), or NULL when the table is full. */
static group *group_get(ss_findings_acc *a, kind k, const gkey *key, guint32 h)
{
	group *g = ss_oa_find(&a->groups[k], key, h, sizeof *key, sizeof *g);
	if (g != NULL)
		return g;
	if (ss_oatable_size(&a->groups[k]) >= SS_FINDINGS_MAX_GROUPS)
		return NULL;
	gboolean created;
	g = ss_oa_insert(&a->groups[k], key, h, sizeof *key, sizeof *g, &created);
	g->min_ns = g->max_ns = SS_NO_TIME;
	return g;
}

/* The group of kind k for the record (server socket; with the client
 * address when `per_client`), or NULL when the table is full. */
static group *group_for(ss_findings_acc *a, kind k, rec_keys *r, gboolean per_client)
{
	guint32 h;
	const gkey *key = rec_key(a, r, per_client, &h);
	return group_get(a, k, key, h);
}

/* The one group of a kind that has no subject (one-sided, mid-stream...). */
static group *group_single(ss_findings_acc *a, kind k)
{
	static const gkey zero;
	return group_get(a, k, &zero, a->zero_h);
}

/* An IPv4 flow key packed into three words (closed4_key). */
static closed4_key closed4_key_of(const ss_flow_key *key)
{
	guint32 a0, a1, ports;
	memcpy(&a0, key->addr[0].bytes, 4);
	memcpy(&a1, key->addr[1].bytes, 4);
	memcpy(&ports, key->port, 4);
	return (closed4_key){ { a0 | (guint64)a1 << 32, ports | (guint64)key->vni << 32,
				key->proto | (guint64)key->tunnel << 8 } };
}

/* The closed tuples' hash of a flow key: an IPv4 one packed into three
 * words, as gkey_oa_hash() packs a group's key. */
static guint32 closed_hash_words(const ss_findings_acc *a, closed4_key k)
{
	guint64 h = ss_hash3(&a->hk, k.w[0], k.w[1], k.w[2]);
	return (guint32)h ? (guint32)h : 1;
}

static guint32 closed_hash(const ss_findings_acc *a, const ss_flow_key *key)
{
	if (key->family != SS_FAMILY_IPV4)
		return ss_oa_hash(key, sizeof *key);
	return closed_hash_words(a, closed4_key_of(key));
}

/* Whether the tuple of `key` goes in the inline IPv4 table (closed4). */
static inline gboolean closed_inline(const ss_flow_key *key)
{
	return key->family == SS_FAMILY_IPV4 && key->tunnel == 0 && key->vni == 0 &&
	       key->proto == IPPROTO_TCP;
}

/* The slot of key's tuple in closed4 (cap > 0), or the free slot where it
 * would go. */
static closed4_slot *closed4_probe(const closed4_table *t, guint64 addrs, guint32 ports,
				   guint32 h)
{
	for (guint32 i = ss_fast_range(h, t->cap);; i = i + 1 == t->cap ? 0 : i + 1) {
		closed4_slot *s = &t->slots[i];
		if (!s->used || (s->addrs == addrs && s->ports == ports))
			return s;
	}
}

static closed4_slot *closed4_probe_key(const closed4_table *t, const ss_flow_key *key, guint32 h)
{
	closed4_key k = closed4_key_of(key);
	return closed4_probe(t, k.w[0], (guint32)k.w[1], h);
}

/* The words of an untunnelled IPv4 TCP tuple's key (closed4_key_of). */
static closed4_key closed4_words(const closed4_slot *s)
{
	return (closed4_key){ { s->addrs, s->ports, IPPROTO_TCP } };
}

static void closed4_grow(const ss_findings_acc *a, closed4_table *t)
{
	closed4_table n = { NULL, ss_oa_grown_cap(t->cap, SS_FINDINGS_MAX_TUPLES), t->len };
	n.slots = ss_big_new0(n.cap, sizeof *n.slots);
	for (guint32 i = 0; i < t->cap; i++) {
		const closed4_slot *s = &t->slots[i];
		if (s->used)
			*closed4_probe(&n, s->addrs, s->ports, closed_hash_words(a, closed4_words(s))) = *s;
	}
	ss_big_free(t->slots, (gsize)t->cap * sizeof *t->slots);
	*t = n;
}

G_ALWAYS_INLINE static inline void prefetch_closed(const ss_findings_acc *a,
						   const ss_flow_key *key, guint32 h)
{
	if (!closed_inline(key))
		ss_oa_prefetch_slot(&a->closed, h);
	else if (a->closed4.cap) {
		/* the home slot's line and the next two: at up to 3/4 full, a
		 * tuple not there yet (each FIN-closed record's first close)
		 * probes ~8 slots of 24 bytes; with the first line alone the
		 * probe's loads were 12% of acc_add_now's samples on
		 * mixed.pcap (perf annotate).  Past the array's end a prefetch
		 * is only a hint. */
		guintptr home = (guintptr)&a->closed4.slots[ss_fast_range(h, a->closed4.cap)];
		__builtin_prefetch((const void *)home);
		__builtin_prefetch((const void *)(home + 64));
		__builtin_prefetch((const void *)(home + 128));
	}
}

/* When the tuple of `key` (hash h) was last closed with FIN: its last
 * packet, or SS_NO_TIME. */
static gint64 closed_last(const ss_findings_acc *a, const ss_flow_key *key, guint32 h)
{
	if (closed_inline(key)) {
		if (a->closed4.cap == 0)
			return SS_NO_TIME;
		const closed4_slot *s = closed4_probe_key(&a->closed4, key, h);
		return s->used ? s->last_ns : SS_NO_TIME;
	}
	const closed_tuple *t = ss_oa_find(&a->closed, key, h, sizeof *key, sizeof *t);
	return t != NULL ? t->last_ns : SS_NO_TIME;
}

/* The tuple of `key` (hash h) closed with FIN, its last packet at `last`
 * (remembered while there is room for it). */
static void closed_put(ss_findings_acc *a, const ss_flow_key *key, guint32 h, gint64 last)
{
	gboolean room = a->closed4.len + ss_oatable_size(&a->closed) < SS_FINDINGS_MAX_TUPLES;
	gboolean created;
	if (closed_inline(key)) {
		closed4_table *t = &a->closed4;
		closed4_slot *s = t->cap ? closed4_probe_key(t, key, h) : NULL;
		if ((s == NULL || !s->used) && room) {
			if (t->len + 1 > t->cap - t->cap / 4) {
				closed4_grow(a, t);
				s = closed4_probe_key(t, key, h);
			}
			closed4_key k = closed4_key_of(key);
			*s = (closed4_slot){ k.w[0], (guint32)k.w[1], 1, 0 };
			t->len++;
		}
		if (s != NULL && s->used)
			s->last_ns = last;
		return;
	}
	closed_tuple *t = ss_oa_find(&a->closed, key, h, sizeof *key, sizeof *t);
	if (t == NULL && room)
		t = ss_oa_insert(&a->closed, key, h, sizeof *key, sizeof *t, &created);
	if (t != NULL)
		t->last_ns = last;
}

/* The record's hash in the closed tuples, made once. */
static guint32 rec_closed_hash(const ss_findings_acc *a, rec_keys *r)
{
	if (r->hc == 0)
		r->hc = closed_hash(a, &r->c->key);
	return r->hc;
}

static ex_head *ex_head_of(ex_store *s, guint32 i)
{
	return (ex_head *)(s->bytes + (gsize)i * 8 - sizeof(ex_head));
}

/* Packs record c into out (EX_PACK_BUF bytes): the map of its non-zero
 * 4-byte words, then those words; the bytes written. */
static gsize ex_pack_scalar(guint8 *out, const ss_conn *c)
{
	const guint8 *in = (const guint8 *)c;
	guint64 map[EX_MAP_BYTES / 8] = { 0 };
	gsize n = ss_conn_size(c->tail) / 4, k = EX_MAP_BYTES;
	for (gsize i = 0; i < n; i++) {
		guint32 w;
		memcpy(&w, in + 4 * i, 4);
		if (w != 0) {
			map[i / 64] |= (guint64)1 << (i % 64);
			memcpy(out + k, &w, 4);
			k += 4;
		}
	}
	memcpy(out, map, sizeof map);
	return k;
}

#ifdef EX_PACK_AVX512
/* The same 16 words at a time: their non-zero ones compressed to the
 * front of a register (vpcompressd) and stored whole, the next 16 written
 * over its unkept end (hence EX_PACK_BUF's 64 bytes more).  The scalar
 * loop was ex_ref's samples nearly all (perf annotate, mixed.pcap: its
 * store's place depends on the word before, ~3 cycles a word, or a branch
 * that mispredicts). */
__attribute__((target("avx512f"))) static gsize ex_pack_avx512(guint8 *out, const ss_conn *c)
{
	const guint8 *in = (const guint8 *)c;
	guint64 map[EX_MAP_BYTES / 8] = { 0 };
	gsize n = ss_conn_size(c->tail) / 4, k = EX_MAP_BYTES;
	for (gsize i = 0; i < n; i += 16) {
		__mmask16 live = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
		__m512i w = _mm512_maskz_loadu_epi32(live, in + 4 * i);
		__mmask16 kept = _mm512_test_epi32_mask(w, w);
		_mm512_storeu_si512(out + k, _mm512_maskz_compress_epi32(kept, w));
		map[i / 64] |= (guint64)kept << (i % 64);
		k += 4 * (gsize)__builtin_popcount(kept);
	}
	memcpy(out, map, sizeof map);
	return k;
}
#endif

static gsize ex_pack(guint8 *out, const ss_conn *c)
{
#ifdef EX_PACK_AVX512
	if (__builtin_cpu_supports("avx512f"))
		return ex_pack_avx512(out, c);
#endif
	return ex_pack_scalar(out, c);
}

/* The record packed at `in`, into *c (every byte of it). */
static void ex_unpack(ss_conn *c, const guint8 *in)
{
	guint8 *out = (guint8 *)c;
	guint64 map[EX_MAP_BYTES / 8];
	memcpy(map, in, sizeof map);
	memset(c, 0, sizeof *c);
	const guint8 *w = in + EX_MAP_BYTES;
	for (gsize m = 0; m < G_N_ELEMENTS(map); m++)
		for (guint64 bits = map[m]; bits; bits &= bits - 1) {
			memcpy(out + 4 * (m * 64 + (gsize)__builtin_ctzll(bits)), w, 4);
			w += 4;
		}
}

static gsize ex_room_for(gsize packed)
{
	return (packed + EX_ROOM_UNIT - 1) & ~(gsize)(EX_ROOM_UNIT - 1);
}

gsize ss_findings_ex_room(const ss_conn *c)
{
	guint8 buf[EX_PACK_BUF];
	return ex_room_for(ex_pack(buf, c));
}

/* Drops one reference to record i; a record no longer quoted goes to the
 * free list of its room, linked through its first bytes. */
static void ex_unref(ex_store *s, guint32 i)
{
	ex_head *h = ex_head_of(s, i);
	if (--h->refs > 0)
		return;
	guint cls = h->room / EX_ROOM_UNIT;
	memcpy(s->bytes + (gsize)i * 8, &s->free[cls], sizeof s->free[cls]);
	s->free[cls] = i;
}

/* Stores the packed record (`len` bytes at p) with one reference; its
 * index.  A free room of its size or one or two units more is taken
 * first. */
static guint32 ex_append_packed(ss_findings_acc *a, const guint8 *p, gsize len)
{
	ex_store *s = &a->ex;
	gsize room = ex_room_for(len);
	for (gsize cls = room / EX_ROOM_UNIT; cls < EX_ROOM_CLASSES && cls <= room / EX_ROOM_UNIT + 2;
	     cls++) {
		guint32 i = s->free[cls];
		if (i == 0)
			continue;
		memcpy(&s->free[cls], s->bytes + (gsize)i * 8, sizeof s->free[cls]);
		ex_head_of(s, i)->refs = 1;
		memcpy(s->bytes + (gsize)i * 8, p, len);
		return i;
	}
	gsize need = s->len + sizeof(ex_head) + room;
	if (need > s->cap) {
		gsize cap = MAX(s->cap + s->cap / 2, MAX(need, 64 * sizeof(ss_conn)));
		fault_ahead_wait(a->fa);
		s->bytes = ss_big_resize(s->bytes, s->cap, cap);
		s->cap = cap;
	}
	ex_head *h = (ex_head *)(s->bytes + s->len);
	h->room = (guint32)room;
	h->refs = 1;
	guint32 i = (guint32)((s->len + sizeof(ex_head)) / 8);
	memcpy(s->bytes + s->len + sizeof(ex_head), p, len);
	s->len = need;
	fault_ahead_note(a, &a->ex_faulted, s->bytes, s->len, s->cap);
	return i;
}

/* A reference to r's record in the store, copied there at its first. */
static guint32 ex_ref(ss_findings_acc *a, rec_keys *r)
{
	if (r->ex != 0) {
		ex_head_of(&a->ex, r->ex)->refs++;
	} else {
		guint8 buf[EX_PACK_BUF];
		r->ex = ex_append_packed(a, buf, ex_pack(buf, r->c));
	}
	return r->ex;
}

/* Record `old` (one reference dropped) replaced by r's: written over it
 * when nothing else quotes it and it has the room, as a listener's
 * slowest examples are replaced many times (79 032 times on
 * many-flows.pcap); otherwise r's record is referenced anew, and `old`
 * freed when that was its last reference. */
static guint32 ex_replace(ss_findings_acc *a, guint32 old, rec_keys *r)
{
	const ex_head *h = ex_head_of(&a->ex, old);
	if (r->ex == 0 && h->refs == 1) {
		guint8 buf[EX_PACK_BUF];
		gsize len = ex_pack(buf, r->c);
		if (h->room >= len) {
			memcpy(a->ex.bytes + (gsize)old * 8, buf, len);
			return r->ex = old;
		}
		ex_unref(&a->ex, old);
		return r->ex = ex_append_packed(a, buf, len);
	}
	ex_unref(&a->ex, old);
	return ex_ref(a, r);
}

static void add_example(ss_findings_acc *a, guint32 *ex, guint32 *nex, rec_keys *r)
{
	if (*nex < SS_FINDING_EXAMPLES)
		ex[(*nex)++] = ex_ref(a, r);
}

static void add_client(group *g, const ss_conn *c)
{
	if (ss_ip_set_size(&g->clients) < SS_FINDINGS_MAX_GROUPS)
		ss_ip_set_add(&g->clients, ss_conn_client_ip(c));
}

/* One counted record of a group: count, distinct client, example. */
static group *note_group(ss_findings_acc *a, group *g, rec_keys *r)
{
	if (g == NULL)
		return NULL;
	g->n++;
	add_client(g, r->c);
	add_example(a, g->ex, &g->nex, r);
	return g;
}

static group *note(ss_findings_acc *a, kind k, rec_keys *r, gboolean per_client)
{
	return note_group(a, group_for(a, k, r, per_client), r);
}

static void min_max(group *g, gint64 v)
{
	if (g->min_ns == SS_NO_TIME || v < g->min_ns)
		g->min_ns = v;
	if (g->max_ns == SS_NO_TIME || v > g->max_ns)
		g->max_ns = v;
}

/* Keeps the SS_FINDING_EXAMPLES slowest records of one side above
 * SLOW_FLOOR_NS, slowest first (ties: the one seen first stays ahead):
 * the first of the slowest of all records that can be examples. */
static void keep_slowest(ss_findings_acc *a, group *g, int side, rec_keys *r, gint64 v)
{
	if (v <= SLOW_FLOOR_NS)
		return;
	guint32 top = g->c.slow.top[side];
	struct slowest *sl = top ? &a->slow[top - 1] : NULL;
	guint n = sl ? sl->n : 0;
	guint pos = n;
	while (pos > 0 && sl->ns[pos - 1] < v)
		pos--;
	if (pos >= SS_FINDING_EXAMPLES)
		return;
	if (sl == NULL) {
		if (a->nslow == a->slow_cap) {
			guint32 cap = a->slow_cap ? a->slow_cap + a->slow_cap / 2 : 16;
			a->slow = ss_big_resize(a->slow, (gsize)a->slow_cap * sizeof *a->slow,
						(gsize)cap * sizeof *a->slow);
			a->slow_cap = cap;
		}
		sl = &a->slow[a->nslow++];
		sl->n = 0;
		g->c.slow.top[side] = a->nslow;
	}
	guint32 rec;   /* a new one, or the fastest's, which drops out */
	if (n < SS_FINDING_EXAMPLES) {
		rec = ex_ref(a, r);
		sl->n++;
	} else {
		rec = ex_replace(a, sl->ex[SS_FINDING_EXAMPLES - 1], r);
	}
	for (guint i = MIN(n, SS_FINDING_EXAMPLES - 1); i > pos; i--) {
		sl->ex[i] = sl->ex[i - 1];
		sl->ns[i] = sl->ns[i - 1];
	}
	sl->ex[pos] = rec;
	sl->ns[pos] = v;
}

/* Appends a round trip to a listener's samples (the first
 * SS_SLOW_MAX_SAMPLES), its array from the accumulator's pool. */
static void add_rtt(ss_findings_acc *a, group *g, int side, gint64 v)
{
	guint32 n = g->c.slow.len[side];
	if (n >= SS_SLOW_MAX_SAMPLES)
		return;
	void **rtt = &g->c.slow.rtt[side];
	if (!g->c.slow.wide[side] && (v < 0 || v > (gint64)G_MAXUINT32)) {
		/* the first that needs 8 bytes: the side's samples widen, at
		 * the capacity they had */
		if (n > 0) {
			gsize narrow = rtt_bytes(g, side);
			gint64 *w = rtt_alloc(&a->rtts, 2 * narrow);
			for (guint32 i = 0; i < n; i++)
				w[i] = ((const guint32 *)*rtt)[i];
			rtt_release(&a->rtts, *rtt, narrow);
			*rtt = w;
		}
		g->c.slow.wide[side] = 1;
	}
	gsize es = g->c.slow.wide[side] ? sizeof(gint64) : sizeof(guint32);
	if (n == 0) {
		*rtt = rtt_alloc(&a->rtts, 4 * es);
	} else if (n >= 4 && (n & (n - 1)) == 0) {
		*rtt = rtt_grow(&a->rtts, *rtt, n * es, 2 * n * es);
	}
	if (g->c.slow.wide[side])
		((gint64 *)*rtt)[n] = v;
	else
		((guint32 *)*rtt)[n] = (guint32)v;
	g->c.slow.len[side] = n + 1;
}

static gboolean closed_by_fin(const ss_conn *c)
{
	return c->close == SS_CLOSE_FIN || c->close == SS_CLOSE_FIN_CLIENT ||
	       c->close == SS_CLOSE_FIN_SERVER;
}

/* Adds one record, whose keys (made or not yet) are in `keys`. */
static void acc_add_now(ss_findings_acc *a, rec_keys *r)
{
	const ss_conn *c = r->c;
	gboolean tcp = c->proto == IPPROTO_TCP;
	/* TCP's part: a UDP record's retransmits read 0 */
	guint32 syn_retx = ss_conn_tcp_part(c)->syn_retransmits;
	guint32 synack_retx = ss_conn_tcp_part(c)->synack_retransmits;
	gint64 first, last;
	ss_conn_span(c, &first, &last);
	group *g;

	if (tcp)
		a->tcp++;
	if (c->outcome == SS_OUTCOME_UNKNOWN)
		(*(tcp ? &a->unknown_tcp : &a->unknown_udp))++;
	if (tcp && c->outcome == SS_OUTCOME_UNANSWERED && (g = note(a, K_UNANSWERED, r, FALSE)))
		g->c.unanswered.syn_retransmits += syn_retx;
	if (c->outcome == SS_OUTCOME_REJECTED && (g = note(a, K_REFUSED, r, FALSE))) {
		gboolean rst = tcp && c->first_rst_side == !c->client;
		if (rst)
			g->c.refused.by_rst++;
		else
			g->c.refused.by_icmp++;
	}
	if (tcp && syn_retx > 0 && c->outcome != SS_OUTCOME_UNANSWERED &&
	    (g = note(a, K_SYN_RETX, r, FALSE))) {
		g->c.syn_retx.retransmits += syn_retx;
		g->c.syn_retx.max_retransmits =
			MAX(g->c.syn_retx.max_retransmits, syn_retx);
		gint64 wait = ss_conn_syn_to_synack_ns(c);
		if (wait != SS_NO_TIME)
			min_max(g, wait);
	}
	if (tcp && synack_retx > 0 && (g = note(a, K_SYNACK, r, FALSE))) {
		g->c.synack.retransmits += synack_retx;
		if (c->outcome == SS_OUTCOME_INCOMPLETE)
			g->c.synack.incomplete++;
	}
	if (tcp && syn_retx == 0 && synack_retx == 0 &&
	    c->outcome != SS_OUTCOME_SIMULTANEOUS) {
		gint64 v[2] = { ss_conn_syn_to_synack_ns(c), ss_conn_synack_to_ack_ns(c) };
		if ((v[0] != SS_NO_TIME || v[1] != SS_NO_TIME) &&
		    (g = group_for(a, K_SLOW, r, FALSE)) != NULL) {
			g->n++;
			for (int s = 0; s < 2; s++) {
				if (v[s] == SS_NO_TIME || v[s] < 0)
					continue;
				add_rtt(a, g, s, v[s]);
				keep_slowest(a, g, s, r, v[s]);
			}
		}
	}
	if (tcp && c->reuse != SS_REUSE_NONE) {
		gint64 prev = c->reuse == SS_REUSE_AFTER_FIN
				      ? closed_last(a, &c->key, rec_closed_hash(a, r))
				      : SS_NO_TIME;
		gint64 gap = prev != SS_NO_TIME && first != SS_NO_TIME ? first - prev : SS_NO_TIME;
		if (gap != SS_NO_TIME && gap >= 0 && gap < SS_TIME_WAIT_NS) {
			if ((g = note(a, K_TW_REUSE, r, FALSE)))
				min_max(g, gap);
		} else if ((g = note(a, K_REUSE, r, FALSE))) {
			switch ((ss_reuse)c->reuse) {
			case SS_REUSE_AFTER_RST:
				g->c.reuse.after_rst++;
				break;
			case SS_REUSE_AFTER_FIN:
				g->c.reuse.after_fin++;
				break;
			case SS_REUSE_AFTER_IDLE:
				g->c.reuse.after_idle++;
				break;
			case SS_REUSE_AFTER_FAILED:
				g->c.reuse.after_failed++;
				break;
			default:
				g->c.reuse.while_open++;
				break;
			}
		}
	}
	if (tcp && closed_by_fin(c) && last != SS_NO_TIME)
		closed_put(a, &c->key, rec_closed_hash(a, r), last);
	/* A record of unknown roles reached no known listener: no pair,
	 * scan or churn finding is built on it (the quality ones still
	 * count it). */
	gboolean roles = !ss_conn_roles_unknown(c);
	if (tcp && roles) {
		guint32 h;
		const gkey *key = rec_key(a, r, TRUE, &h);
		pair *p = ss_oa_find(&a->pairs, key, h, sizeof *key, sizeof *p);
		gboolean created;
		if (p == NULL && ss_oatable_size(&a->pairs) < SS_FINDINGS_MAX_GROUPS) {
			if (a->pairs.len == a->pairs.ecap)
				fault_ahead_wait(a->fa);   /* the entries move */
			p = ss_oa_insert(&a->pairs, key, h, sizeof *key, sizeof *p, &created);
			fault_ahead_note(a, &a->pairs_faulted, a->pairs.entries,
					 (gsize)a->pairs.len * sizeof *p,
					 (gsize)MIN(a->pairs.ecap, SS_FINDINGS_MAX_GROUPS) * sizeof *p);
		}
		if (p != NULL) {
			/* what the probes of a scan found (findings-scan.c) */
			if (c->outcome == SS_OUTCOME_REJECTED)
				p->refused++;
			else if (c->outcome == SS_OUTCOME_UNANSWERED)
				p->unanswered++;
			else
				p->answered++;
			if (c->outcome == SS_OUTCOME_COMPLETE && first != SS_NO_TIME &&
			    last != SS_NO_TIME && last - first < SS_CHURN_MAX_DURATION_NS)
				p->short_conns++;
			/* Pairs are many: examples are kept (streaming) only once
			 * the pair is busy; keep-all takes the first ones from the
			 * report. */
			if (pair_n(p) >= SS_CHURN_MIN_CONNS)
				add_example(a, p->ex, &p->nex, r);
		}
	}
	if (tcp && c->outcome == SS_OUTCOME_SIMULTANEOUS)
		note(a, K_SIMUL, r, TRUE);
	if (roles && c->icmp_errors > 0 && c->outcome != SS_OUTCOME_REJECTED) {
		/* per server socket and ICMP type and code */
		guint32 h;
		gkey key = *rec_key(a, r, FALSE, &h);
		key.icmp_type = c->icmp_type;
		key.icmp_code = c->icmp_code;
		g = note_group(a, group_get(a, K_ICMP, &key, gkey_oa_hash(a, &key)), r);
		if (g)
			g->c.icmp.errors += c->icmp_errors;
	}
	if (ss_conn_one_sided(c) && (g = group_single(a, K_ONE_SIDED))) {
		g->n++;
		add_example(a, g->ex, &g->nex, r);
		/* which direction is missing: the host that sent nothing */
		guint32 kh;
		const gkey *k = rec_silent_key(a, r, &kh);
		group *h = ss_oa_find(&a->groups[K_SILENT], k, kh, sizeof *k, sizeof *h);
		gboolean created;
		if (h == NULL && ss_oatable_size(&a->groups[K_SILENT]) < SS_FINDINGS_MAX_GROUPS)
			h = ss_oa_insert(&a->groups[K_SILENT], k, kh, sizeof *k, sizeof *h,
					 &created);
		if (h)
			h->n++;
	}
	if (ss_conn_started_midstream(c) && (g = group_single(a, K_MIDSTREAM))) {
		g->n++;
		add_example(a, g->ex, &g->nex, r);
	}
	if (c->snaplen_cut > 0 && (g = group_single(a, K_SNAPLEN))) {
		g->n++;
		g->c.snaplen.packets += c->snaplen_cut;
		add_example(a, g->ex, &g->nex, r);
	}
}

/* ---- records announced ahead ------------------------------------------
 * Each TCP record looks up its (client, server) pair and its listener's
 * slow group in tables that outgrow the cache (the pair table holds up to
 * SS_FINDINGS_MAX_GROUPS entries): an index slot, then the entry it points
 * to, then the listener's sample array, each a dependent miss.  The caller
 * that holds the next records (the writer's batch, keep-all's array)
 * therefore announces each one ACC_AHEAD records before adding it
 * (ss_findings_acc_ahead): its keys are made and hashed then and kept in a
 * small ring, its slots prefetched; ACC_AHEAD / 2 announcements later the
 * entries the slots point to, ACC_AHEAD / 4 before it is added its
 * listener's samples and the slots of its groups' client sets.  The
 * record is added when it comes, in order, with
 * the keys from the ring.  This replaced a ring of copies of the records
 * added ACC_AHEAD behind (the 544-byte copy was 16% of the add's samples
 * on mixed.pcap, perf annotate): the ring now holds the record's address
 * and keys only, so the caller must keep an announced record alive until
 * it is added.  An add that finds no announcement (the first records,
 * --single-thread, the anonymised copy) makes its keys at once.
 * ACC_AHEAD was 8: perf annotate on many-flows.pcap then had 16% of this
 * look-ahead's samples on the slow group's entry, loaded only two records
 * after its prefetch; at 16 (and the writer's WRITE_AHEAD with it) and with
 * the client-set slots prefetched, the writer thread's samples on
 * many-flows went 21 500 -> 20 500 (medians of 6 alternating runs,
 * docs/performance.md, "Writer and findings, seventh session"). */
#define ACC_AHEAD 16
#define ACC_RING (2 * ACC_AHEAD)

struct acc_pending {
	guint64 seq;       /* keys.c's, to match the add to its announcement */
	guint32 kinds;     /* the groups of its server socket it will look up */
	guint32 slow_top[2];   /* its listener's slowest blocks when announced
	                          3/4 of ACC_AHEAD ago (0: none then) */
	rec_keys keys;     /* keys.c: the announced record */
};

G_ALWAYS_INLINE static inline void prefetch_slot(const ss_oatable *t, guint32 h)
{
	if (t->cap)
		__builtin_prefetch(&t->slots[h & (t->cap - 1)]);
}

/* Prefetches the entry of the first slot whose tag is h (the slots are
 * cached by now); an entry spans up to three lines, all fetched (a slow
 * group's sample pointers are in its middle one: with only the first and
 * last line fetched, their loads were a third of the look-ahead's samples
 * on mixed.pcap). */
G_ALWAYS_INLINE static inline void prefetch_entry(const ss_oatable *t, guint32 h)
{
	if (t->cap == 0)
		return;
	guint32 mask = t->cap - 1;
	for (guint32 i = h & mask, n = 0; t->slots[i].tag != 0 && n < 4; i = (i + 1) & mask, n++)
		if (t->slots[i].tag == h) {
			const guint8 *e = t->entries + (gsize)t->slots[i].idx * t->esize;
			for (guint32 off = 0; off < t->esize; off += 64)
				__builtin_prefetch(e + off);
			__builtin_prefetch(e + t->esize - 1);
			return;
		}
}

/* The groups keyed by its server socket that a record will be noted in
 * (acc_add_now's conditions, as bits 1 << kind; a superset where the
 * add decides later, as between reuse and time-wait reuse): their slots
 * are prefetched, not only the slow group's.  On many-q.pcap, mostly
 * unanswered and refused attempts, the look-up of those groups was the
 * writer's largest miss after the announcement covered the slow ones. */
static guint32 server_kinds(const ss_conn *c)
{
	guint32 m = 0;
	if (c->outcome == SS_OUTCOME_REJECTED)
		m |= 1u << K_REFUSED;
	if (c->proto != IPPROTO_TCP)
		return m;
	const ss_conn_tcp *t = ss_conn_tcp_part(c);
	if (c->outcome == SS_OUTCOME_UNANSWERED)
		m |= 1u << K_UNANSWERED;
	else if (t->syn_retransmits > 0)
		m |= 1u << K_SYN_RETX;
	if (t->synack_retransmits > 0)
		m |= 1u << K_SYNACK;
	if (t->syn_retransmits == 0 && t->synack_retransmits == 0 &&
	    c->outcome != SS_OUTCOME_SIMULTANEOUS)
		m |= 1u << K_SLOW;
	if (c->reuse != SS_REUSE_NONE)
		m |= 1u << K_REUSE | 1u << K_TW_REUSE;
	return m;
}

/* Does a TCP record look up its tuple in the closed ones (acc_add_now:
 * reuse after FIN, or its own close by FIN)?  A random slot and entry in
 * a table of up to SS_FINDINGS_MAX_TUPLES: on mixed.pcap the slot load
 * was 30% of acc_add_now's samples before it was prefetched. */
static gboolean looks_up_closed(const ss_conn *c)
{
	gint64 first, last;
	if (c->reuse == SS_REUSE_AFTER_FIN)
		return TRUE;
	if (!closed_by_fin(c))
		return FALSE;
	ss_conn_span(c, &first, &last);
	return last != SS_NO_TIME;
}

/* The kinds keyed by the server socket whose groups count distinct
 * clients (note()). */
#define CLIENT_KINDS                                                                      \
	(1u << K_UNANSWERED | 1u << K_REFUSED | 1u << K_SYN_RETX | 1u << K_SYNACK |       \
	 1u << K_REUSE | 1u << K_TW_REUSE)

/* The announcement `back` places before the newest (0: the newest). */
static struct acc_pending *pending_back(const ss_findings_acc *a, guint32 back)
{
	return &a->ring[(a->ring_head + a->ring_len - 1 - back) % ACC_RING];
}

/* The example a record's round trip v pushes out of a full slowest block
 * (keep_slowest): its header is read then (ex_replace: is it quoted
 * elsewhere, has it the room?), a miss in an arena of megabytes that was
 * a quarter of acc_add_now's samples on mixed.pcap (perf annotate). */
G_ALWAYS_INLINE static inline void prefetch_dropped(const ss_findings_acc *a, guint32 top,
						    gint64 v)
{
	if (top == 0 || v == SS_NO_TIME || v <= SLOW_FLOOR_NS)
		return;
	const struct slowest *sl = &a->slow[top - 1];
	if (sl->n == SS_FINDING_EXAMPLES && v > sl->ns[SS_FINDING_EXAMPLES - 1])
		__builtin_prefetch(a->ex.bytes + (gsize)sl->ex[SS_FINDING_EXAMPLES - 1] * 8 -
					   sizeof(ex_head),
				   1);
}

void ss_findings_acc_ahead(ss_findings_acc *a, const ss_conn *c)
{
	if (c->client != 0 && c->client != 1)
		return;
	if (a->ring == NULL)
		a->ring = g_new(struct acc_pending, ACC_RING);
	if (a->ring_len == ACC_RING) {
		/* never added (the caller announced more than it added) */
		a->ring_head = (a->ring_head + 1) % ACC_RING;
		a->ring_len--;
	}
	struct acc_pending *p = &a->ring[(a->ring_head + a->ring_len) % ACC_RING];
	p->seq = c->seq;
	/* the keys themselves are written when made (rec_key): zeroing the
	 * whole 180-byte rec_keys was a `rep stos` a record, ~4% of this
	 * look-ahead's samples (perf annotate, mixed.pcap) */
	p->keys.c = c;
	p->keys.h[0] = p->keys.h[1] = p->keys.h[2] = 0;
	p->keys.hc = 0;
	p->keys.ex = 0;
	p->kinds = server_kinds(c);
	p->slow_top[0] = p->slow_top[1] = 0;
	guint32 h;
	if (p->kinds != 0) {
		rec_key(a, &p->keys, FALSE, &h);
		for (guint32 m = p->kinds; m != 0; m &= m - 1)
			prefetch_slot(&a->groups[__builtin_ctz(m)], h);
	}
	if (c->proto == IPPROTO_TCP) {
		if (!ss_conn_roles_unknown(c)) {
			rec_key(a, &p->keys, TRUE, &h);
			prefetch_slot(&a->pairs, h);
		}
		if (looks_up_closed(c))
			prefetch_closed(a, &c->key, rec_closed_hash(a, &p->keys));
	}
	if (ss_conn_one_sided(c)) {
		rec_silent_key(a, &p->keys, &h);
		prefetch_slot(&a->groups[K_SILENT], h);
	}
	a->ring_len++;
	if (a->ring_len > ACC_AHEAD / 2) {
		/* announced ACC_AHEAD / 2 ago: its slots are cached, fetch
		 * the entries */
		const struct acc_pending *q = pending_back(a, ACC_AHEAD / 2);
		for (guint32 m = q->kinds; m != 0; m &= m - 1)
			prefetch_entry(&a->groups[__builtin_ctz(m)], q->keys.h[0]);
		if (q->keys.h[1] != 0)
			prefetch_entry(&a->pairs, q->keys.h[1]);
		if (q->keys.h[2] != 0)
			prefetch_entry(&a->groups[K_SILENT], q->keys.h[2]);
		if (q->keys.hc != 0 && !closed_inline(&q->keys.c->key))
			prefetch_entry(&a->closed, q->keys.hc);   /* closed4: the slot is the entry */
	}
	if (a->ring_len > ACC_AHEAD * 3 / 4) {
		/* announced 3/4 of ACC_AHEAD ago: where its listener's samples
		 * and slowest examples go (the entry is cached by now) */
		struct acc_pending *q = pending_back(a, ACC_AHEAD * 3 / 4);
		const group *g = q->kinds & 1u << K_SLOW
					 ? ss_oa_find(&a->groups[K_SLOW], &q->keys.k[0], q->keys.h[0],
						      sizeof(gkey), sizeof(group))
					 : NULL;
		for (int s = 0; g != NULL && s < 2; s++) {
			if (g->c.slow.rtt[s] != NULL)
				__builtin_prefetch((const guint8 *)g->c.slow.rtt[s] +
							   (gsize)g->c.slow.len[s] *
								   (g->c.slow.wide[s] ? 8 : 4),
						   1);
			q->slow_top[s] = g->c.slow.top[s];
			if (g->c.slow.top[s] != 0) {
				/* both ends: half of the 40-byte blocks have
				 * their count (read first) on the line after
				 * their start; with the start alone, that load
				 * was 13% of acc_add_now's samples on mixed.pcap
				 * (perf annotate) */
				const struct slowest *sl = &a->slow[g->c.slow.top[s] - 1];
				__builtin_prefetch(sl, 1);
				__builtin_prefetch(&sl->n, 1);
			}
		}
		/* and the slots in its other groups' client sets where its
		 * client goes (note(): on many-flows.pcap the refused groups
		 * hold 1.5M clients, and probe_narrow's miss was 1.4% of all
		 * samples) */
		for (guint32 m = q->kinds & CLIENT_KINDS; m != 0; m &= m - 1) {
			const group *cg = ss_oa_find(&a->groups[__builtin_ctz(m)], &q->keys.k[0],
						     q->keys.h[0], sizeof(gkey), sizeof(group));
			if (cg != NULL)
				ss_ip_set_prefetch(&cg->clients, ss_conn_client_ip(q->keys.c));
		}
	}
	if (a->ring_len > ACC_AHEAD * 7 / 8) {
		/* 7/8 of ACC_AHEAD ago: its slowest blocks (fetched at 3/4,
		 * both lines) tell which example it would push out */
		const struct acc_pending *q = pending_back(a, ACC_AHEAD * 7 / 8);
		if (q->slow_top[0] | q->slow_top[1]) {
			prefetch_dropped(a, q->slow_top[0], ss_conn_syn_to_synack_ns(q->keys.c));
			prefetch_dropped(a, q->slow_top[1], ss_conn_synack_to_ack_ns(q->keys.c));
		}
	}
}

void ss_findings_acc_add(ss_findings_acc *a, const ss_conn *c)
{
	if (c->client != 0 && c->client != 1)
		return;
	/* its announcement, normally the oldest one; older ones were never
	 * added */
	for (guint32 i = 0; i < a->ring_len; i++) {
		struct acc_pending *p = &a->ring[(a->ring_head + i) % ACC_RING];
		if (p->keys.c == c && p->seq == c->seq) {
			/* added in place: nothing announces during the add,
			 * so its ring slot is not written over */
			a->ring_head = (a->ring_head + i + 1) % ACC_RING;
			a->ring_len -= i + 1;
			acc_add_now(a, &p->keys);
			return;
		}
	}
	rec_keys keys = { .c = c };
	acc_add_now(a, &keys);
}

/* ---- examples and ranking ---- */

void ss_finding_free(gpointer p)
{
	ss_finding *f = p;
	if (f == NULL)
		return;
	g_free(f->statement);
	g_free(f->next_step);
	if (f->open_ports)
		g_array_unref(f->open_ports);
	if (f->answered_hosts)
		g_array_unref(f->answered_hosts);
	g_free(f);
}

static gint cmp_conn_first(gconstpointer pa, gconstpointer pb)
{
	const ss_conn *a = pa, *b = pb;
	gint64 fa, la, fb, lb;
	ss_conn_span(a, &fa, &la);
	ss_conn_span(b, &fb, &lb);
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void ss_findings_set_examples_at(ss_finding *f, const ss_findings_acc *a, const guint32 *ex,
				 guint n, gboolean sort)
{
	/* Unpacked in place, not onto the stack and copied (what
	 * ss_findings_set_examples would do): the copy was about half of
	 * this function's samples on the slow-handshake thread. */
	n = MIN(n, SS_FINDING_EXAMPLES);
	if (n == 0 || ex == NULL)
		return;
	for (guint i = 0; i < n; i++)
		ex_unpack(&f->examples[i], a->ex.bytes + (gsize)ex[i] * 8);
	f->n_examples = n;
	if (sort)
		qsort(f->examples, n, sizeof(ss_conn), cmp_conn_first);
}

void ss_findings_set_examples(ss_finding *f, const ss_conn *ex, guint n, gboolean sort)
{
	n = MIN(n, SS_FINDING_EXAMPLES);
	if (n == 0 || ex == NULL)
		return;
	memcpy(f->examples, ex, n * sizeof(ss_conn));
	f->n_examples = n;
	if (sort)
		qsort(f->examples, n, sizeof(ss_conn), cmp_conn_first);
}

static int cmp_bytes(const void *a, const void *b, gsize n)
{
	int d = memcmp(a, b, n);
	return d < 0 ? -1 : d > 0;
}

static gint cmp_finding(gconstpointer pa, gconstpointer pb)
{
	const ss_finding *a = *(ss_finding *const *)pa, *b = *(ss_finding *const *)pb;
	if (a->severity != b->severity)
		return a->severity < b->severity ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	/* The ids are static strings (findings.h), one per kind: findings of
	 * equal severity and count are mostly of one kind, whose ids are the
	 * same pointer, so strcmp is asked only when they differ. */
	int d = a->id == b->id ? 0 : strcmp(a->id, b->id);
	if (d != 0)
		return d;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((d = cmp_bytes(&a->server_ip, &b->server_ip, sizeof(ss_ip))) != 0)
		return d;
	if (a->server_port != b->server_port)
		return a->server_port < b->server_port ? -1 : 1;
	if ((d = cmp_bytes(&a->client_ip, &b->client_ip, sizeof(ss_ip))) != 0)
		return d;
	if ((d = ss_vnet_cmp(&a->vnet, &b->vnet)) != 0)
		return d;
	/* the same subject twice (icmp_errors of two types): the statement */
	return g_strcmp0(a->statement, b->statement);
}

void ss_findings_rank(GPtrArray *findings)
{
	g_ptr_array_sort(findings, cmp_finding);
}

/* Ranks n findings in place, stably, as ss_findings_rank. */
static void qsort_ranked(ss_finding **f, guint n)
{
	g_qsort_with_data(f, (gint)n, sizeof *f, (GCompareDataFunc)(void (*)(void))cmp_finding,
			  NULL);
}

/* Ranked x[0..nx) and y[0..ny) into dst, x's first on ties: the stable
 * ranking of x's findings followed by y's. */
static void merge_ranked(ss_finding **dst, ss_finding *const *x, guint nx, ss_finding *const *y,
			 guint ny)
{
	for (guint i = 0, j = 0, k = 0; k < nx + ny; k++)
		dst[k] = j == ny || (i < nx && cmp_finding(&x[i], &y[j]) <= 0) ? x[i++] : y[j++];
}

/* Keep-all: the examples of per-pair findings (churn, exhaustion) are the
 * pair's first records (for churn, its first short ones). */
static void pair_examples(GPtrArray *out, const ss_report *r)
{
	GHashTable *want = g_hash_table_new_full(gkey_hash, gkey_equal, g_free, NULL);
	for (guint i = 0; i < out->len; i++) {
		ss_finding *f = g_ptr_array_index(out, i);
		if (strcmp(f->id, "connection_churn") != 0 &&
		    strcmp(f->id, "ephemeral_exhaustion_risk") != 0)
			continue;
		gkey k = gkey_pair(f->proto, f->family, &f->server_ip, f->server_port,
				   &f->client_ip, &f->vnet);
		f->n_examples = 0;
		g_hash_table_insert(want, g_memdup2(&k, sizeof k), f);
	}
	for (guint i = 0; g_hash_table_size(want) > 0 && i < r->conns->len; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		if ((c->client != 0 && c->client != 1) || ss_conn_roles_unknown(c))
			continue;
		ss_vnet v = ss_tunnel_vnet(ss_conn_tunnel(c));
		gkey k = gkey_pair(c->proto, c->family, ss_conn_server_ip(c),
				   ss_conn_server_port(c), ss_conn_client_ip(c), &v);
		ss_finding *f = g_hash_table_lookup(want, &k);
		if (f == NULL || f->n_examples >= SS_FINDING_EXAMPLES)
			continue;
		if (strcmp(f->id, "connection_churn") == 0) {
			gint64 first, last;
			ss_conn_span(c, &first, &last);
			if (c->outcome != SS_OUTCOME_COMPLETE || first == SS_NO_TIME ||
			    last == SS_NO_TIME || last - first >= SS_CHURN_MAX_DURATION_NS)
				continue;
		}
		ss_conn_copy(&f->examples[f->n_examples++], c);
	}
	g_hash_table_unref(want);
}

/* Is `ip` (in virtual network `vnet`) a server whose own packets the
 * one-sided records lack? */
static gboolean silent_server(const ss_findings_acc *a, guint8 family, const ss_ip *ip,
			      const ss_vnet *vnet)
{
	gkey k;
	memset(&k, 0, sizeof k);
	k.vnet = *vnet;
	k.family = family;
	k.server = *ip;
	return groups_find(a, K_SILENT, &k) != NULL;
}

/* What ss_findings_acc_finish_begin() found, for ss_findings_acc_finish_end(). */
struct ss_findings_part {
	GPtrArray *out;
	guint64 unanswered_unknown;   /* TCP attempts to silent servers */
	/* out's findings so far, ranked (cmp_finding, stable): the first
	 * step ranks them on its thread, the second merges in its few */
	ss_finding **ranked;
	guint n_ranked;
};

guint ss_findings_acc_groups(const ss_findings_acc *a, gboolean slow)
{
	if (slow)
		return a->groups[K_SLOW].len;
	guint n = 0;
	for (int k = 0; k < K_COUNT; k++)
		n += k == K_SLOW ? 0 : a->groups[k].len;
	return n;
}

GPtrArray *ss_findings_acc_finish_slow(const ss_findings_acc *a)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(ss_finding_free);
	/* no scan folds these groups (ss_findings_scans_fold): as they are */
	for (guint32 i = 0; i < a->groups[K_SLOW].len; i++) {
		const group *g = group_at(a, K_SLOW, i);
		if (g != NULL)
			ss_findings_text_group(out, a, K_SLOW, g);
	}
	/* Finished and ranked here, on the slow part's thread: the first step
	 * merges them in (finish_begin_split), where it ranked all after
	 * joining this thread (~2 ms of mixed.pcap's serial tail). */
	for (guint i = 0; i < out->len; i++)
		ss_findings_text_tenant(g_ptr_array_index(out, i));
	if (out->len > 1)
		qsort_ranked((ss_finding **)out->pdata, out->len);
	return out;
}

/* Puts the findings of `in` (emptied and freed) into out at `at`, in
 * their order. */
static void insert_all(GPtrArray *out, guint at, GPtrArray *in)
{
	guint n = in->len, tail = out->len - at;
	/* Nothing to insert: out may be empty, its pdata NULL, which memmove
	 * must not be given even for 0 bytes (UBSan's nonnull check). */
	if (n > 0) {
		g_ptr_array_set_size(out, out->len + n);
		memmove(out->pdata + at + n, out->pdata + at, tail * sizeof(gpointer));
		memcpy(out->pdata + at, in->pdata, n * sizeof(gpointer));
	}
	g_ptr_array_set_free_func(in, NULL);
	g_ptr_array_unref(in);
}

ss_findings_part *ss_findings_acc_finish_begin(ss_findings_acc *a, const GPtrArray *conns)
{
	return ss_findings_acc_finish_begin_split(a, conns, NULL);
}

/* The findings of the groups of kind k into out; scans: those that fold
 * K_UNANSWERED and K_REFUSED groups (NULL for the kinds after K_SLOW,
 * which no scan folds). */
static void kind_findings(GPtrArray *out, const ss_findings_acc *a, ss_findings_part *part,
			  const ss_findings_scans *scans, kind k)
{
	if (k == K_PAIR) {
		for (guint32 i = 0; i < a->pairs.len; i++) {
			const pair *p = ss_oa_entry(&a->pairs, i);
			group g;
			if (p->short_conns < SS_CHURN_MIN_CONNS)
				continue;   /* no churn (findings-text.c) */
			group_of_pair(p, &g);
			ss_findings_text_group(out, a, K_PAIR, &g);
		}
		return;
	}
	for (guint32 i = 0; i < a->groups[k].len; i++) {
		const group *g = group_at(a, k, i);
		if (g == NULL)
			continue;
		group folded;   /* without the probes of scans */
		if (k == K_UNANSWERED && g->k.proto == IPPROTO_TCP &&
		    silent_server(a, g->k.family, &g->k.server, &g->k.vnet))
			/* the capture lacks that server's direction: its
			 * SYN-ACKs could be there */
			part->unanswered_unknown += g->n;
		else if (scans == NULL)
			ss_findings_text_group(out, a, k, g);
		else if (ss_findings_scans_fold(scans, k, g, &folded))
			ss_findings_text_group(out, a, k, &folded);
	}
}

ss_findings_part *ss_findings_acc_finish_begin_split(ss_findings_acc *a, const GPtrArray *conns,
						     const ss_findings_slow *slow)
{
	G_STATIC_ASSERT(K_UNANSWERED < K_SLOW && K_REFUSED < K_SLOW);
	fault_ahead_stop(a);   /* nothing is added any more */
	ss_findings_part *part = g_new0(ss_findings_part, 1);
	GPtrArray *out = part->out = g_ptr_array_new_with_free_func(ss_finding_free);
	/* The groups in table order: cmp_finding() orders the findings
	 * completely, so the result does not depend on the tables' hash.
	 * The order of out is the kinds' (K_SLOW's among them), then the
	 * scans'.  The K_SLOW part starts at once: it is the longer. */
	if (slow != NULL)
		slow->start(slow->data);
	ss_findings_scans *scans = ss_findings_scans_find(a);
	for (int k = 0; k < K_SLOW; k++)
		kind_findings(out, a, part, scans, (kind)k);
	GPtrArray *scanned = g_ptr_array_new_with_free_func(ss_finding_free);
	ss_findings_scans_report(scanned, scans, conns);
	ss_findings_scans_free(scans);
	guint slow_at = out->len;   /* where the K_SLOW groups' findings go */
	if (slow == NULL)
		kind_findings(out, a, part, NULL, K_SLOW);
	for (int k = K_SLOW + 1; k < K_ONE_SIDED; k++)
		kind_findings(out, a, part, NULL, (kind)k);
	insert_all(out, out->len, scanned);
	for (guint i = 0; i < out->len; i++)
		ss_findings_text_tenant(g_ptr_array_index(out, i));
	/* Ranked here, on the findings' thread (app/stream-sink.c), in a copy:
	 * out keeps its order for pair_examples(), which gives a key's
	 * examples to the last finding of that key.  The findings before
	 * slow_at and those after it are ranked apart while the slow part
	 * may still run, then merged with its own (ranked on its thread),
	 * ties in out's order: the one stable ranking of out.  Room for at
	 * least one, copying only the len there are: pdata holds no more (it
	 * is NULL while empty). */
	guint n_before = slow_at, n_after = out->len - slow_at;
	ss_finding **mine = g_new(ss_finding *, MAX(out->len, 1));
	if (out->len > 0)
		memcpy(mine, out->pdata, out->len * sizeof(gpointer));
	qsort_ranked(mine, n_before);
	qsort_ranked(mine + n_before, n_after);
	GPtrArray *slows = slow != NULL ? slow->result(slow->data) : NULL;
	guint n_slow = slows != NULL ? slows->len : 0;
	ss_finding **before_slow = g_new(ss_finding *, MAX(n_before + n_slow, 1));
	merge_ranked(before_slow, mine, n_before,
		     n_slow > 0 ? (ss_finding *const *)slows->pdata : NULL, n_slow);
	part->n_ranked = n_before + n_slow + n_after;
	part->ranked = g_new(ss_finding *, MAX(part->n_ranked, 1));
	merge_ranked(part->ranked, before_slow, n_before + n_slow, mine + n_before, n_after);
	g_free(before_slow);
	g_free(mine);
	if (slows != NULL)
		insert_all(out, slow_at, slows);
	return part;
}

GPtrArray *ss_findings_acc_finish_end(ss_findings_acc *a, ss_findings_part *part,
				      const ss_report *r)
{
	GPtrArray *out = part->out;
	guint n0 = out->len;   /* the first step's, ranked in part->ranked */
	ss_findings_text_quality(out, a, r, part->unanswered_unknown + a->unknown_tcp);
	ss_findings_text_hosts(out, a, r);
	if (r->conns != NULL && r->conns->len > 0)
		pair_examples(out, r);
	for (guint i = n0; i < out->len; i++)
		ss_findings_text_tenant(g_ptr_array_index(out, i));
	/* The stable ranking of all of out, as one sort of it would give:
	 * the few new ones ranked, then merged in after the first step's on
	 * ties. */
	guint n1 = out->len - n0;
	ss_finding **added = g_new(ss_finding *, MAX(n1, 1));
	if (n1 > 0)
		memcpy(added, out->pdata + n0, n1 * sizeof(gpointer));
	qsort_ranked(added, n1);
	merge_ranked((ss_finding **)out->pdata, part->ranked, n0, added, n1);
	g_free(added);
	g_free(part->ranked);
	g_free(part);
	return out;
}

GPtrArray *ss_findings_acc_finish(ss_findings_acc *a, const ss_report *r)
{
	GPtrArray *out = ss_findings_acc_finish_end(a, ss_findings_acc_finish_begin(a, r->conns), r);
	ss_findings_acc_free(a);
	return out;
}

GPtrArray *ss_findings_compute(const ss_report *r)
{
	ss_findings_acc *a = ss_findings_acc_new();
	guint n = r->conns != NULL ? r->conns->len : 0;
	for (guint i = 0; i < MIN(n, ACC_AHEAD); i++)
		ss_findings_acc_ahead(a, g_ptr_array_index(r->conns, i));
	for (guint i = 0; i < n; i++) {
		if (i + ACC_AHEAD < n)
			ss_findings_acc_ahead(a, g_ptr_array_index(r->conns, i + ACC_AHEAD));
		ss_findings_acc_add(a, g_ptr_array_index(r->conns, i));
	}
	return ss_findings_acc_finish(a, r);
}
