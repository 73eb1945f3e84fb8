/* The record slab (flow/slab.h): ss_conn in aligned 2 MiB chunks, one
 * record length per chunk (the tail a record holds, conn.h), a free list
 * of whole chains on the owner's side, sorted one spare an allocation into
 * one list per record length, one lock-free stack for records released on
 * other threads, per-chunk counts once closed, and optionally a helper
 * thread that faults the next chunk in before it is needed. */
#include "flow/slab.h"
#include "sockscope/bigarray.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

/* Chunks are mapped from the kernel, not malloc'd: memalign() of 64 KiB
 * takes a 128 KiB mapping and touches a page before the chunk (peak RSS
 * +13 MB against malloc'd records on many-s.pcap), 16 KiB ones scatter
 * holes through the heap (+32 MB).  A mapping trimmed to its aligned
 * middle costs only the pages records use, and unmapping a chunk gives
 * them back at once.  Under AddressSanitizer the chunks stay malloc'd, so
 * a chunk that is never freed is still reported as a leak. */
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_MALLOC 1
#endif
#endif

#ifdef SLAB_MALLOC
#include <sanitizer/asan_interface.h>
#endif

/* A chunk: this header, then PER_CHUNK records.  Chunks are aligned to
 * their size, so a record's chunk is its address rounded down. */
/* 2 MiB, not 64 KiB: each mapped chunk is a mapping of its own (the trimmed
 * ends keep neighbours from merging), and a process may hold only
 * vm.max_map_count of them (65 530 by default).  64 KiB chunks reached it
 * at about 7.5M records in progress (~4 GB, which `--max-flows 0` on a large
 * capture passes): the run died in mmap where one g_malloc per record had
 * not.  At 2 MiB that is ~250M records.  The first chunk costs only the
 * pages its records touch, so a small capture does not pay 2 MiB; the
 * others ask for a transparent huge page (chunk_map). */
#define CHUNK_BYTES (2u << 20)
#define CHUNK_HEADER 64

/* The room a record with tail `cls` takes in its chunk: its length
 * (ss_conn_size()).  Under AddressSanitizer a whole ss_conn, the bytes
 * past the record's length poisoned (slot_cut): a read past a record's
 * tail (a SYN gap of a record that holds none, a copy made with `*c`)
 * is reported there instead of reading the next record. */
static gsize stride(guint cls)
{
#ifdef SLAB_MALLOC
	(void)cls;
	return sizeof(ss_conn);
#else
	return ss_conn_size(cls);
#endif
}

/* Records per chunk of records with tail `cls`.  Past its last record a
 * chunk keeps room for the rest of a whole ss_conn, so that even a copy
 * made with `*c` instead of ss_conn_copy() (a bug: it copies the next
 * record's bytes) reads inside the chunk, not past its mapping. */
static guint per_chunk(guint cls)
{
	gsize size = ss_conn_size(cls);
	return (guint)((CHUNK_BYTES - CHUNK_HEADER - (sizeof(ss_conn) - size)) / stride(cls));
}

/* `shared` once the slab is closed: releases count records out instead. */
#define CLOSED ((ss_conn *)1)

typedef struct {
	ss_conn_slab *slab;
	/* Records not counted out: starts at per_chunk(); the closing owner
	 * takes off the ones never handed out, each release after closing
	 * one more.  The chunk is freed at 0. */
	gint live;
	guint cls;             /* SS_CONN_TAIL_*: the length of its records */
} chunk;

G_STATIC_ASSERT(sizeof(chunk) <= CHUNK_HEADER);

struct ss_conn_slab {
	/* The owner's: spares as a list of chains, taken back whole (the
	 * current one linked by lru_next; the heads of the others by lru_prev),
	 * so handing back a chain of 1024 written records touches one. */
	ss_conn *local;
	ss_conn *chains;
	/* Spares an allocation of another length passed over, by length
	 * (linked by lru_next), and how many: the next allocations of their
	 * length take them first (`idle_surplus()`). */
	ss_conn *idle[SS_CONN_TAIL_COUNT];
	guint nidle[SS_CONN_TAIL_COUNT];
	chunk *cur[SS_CONN_TAIL_COUNT];   /* where new records are cut from */
	guint used[SS_CONN_TAIL_COUNT];   /* records cut from cur */
	gboolean closed;
	/* Released on other threads while open (a stack linked by lru_next,
	 * pushed with compare-and-swap, taken whole by the owner); CLOSED
	 * once closed. */
	ss_conn *shared;
	/* 1 for the owner until it closes, plus one per chunk. */
	gint ref;
	/* ss_conn_slab_new(TRUE): huge chunks are made ahead by a helper
	 * (`ahead`, started with the second chunk), not at first touch. */
	gboolean prefault;
	struct ahead *ahead;
	ss_conn_slab_stats stats;
};

static chunk *chunk_of(const ss_conn *c)
{
	return (chunk *)((uintptr_t)c & ~(uintptr_t)(CHUNK_BYTES - 1));
}

/* `huge`: back the chunk with one transparent huge page where the kernel
 * gives them on request (madvise mode).  Records are reached in no order
 * (one per flow, tens of thousands in progress), so with 4 KiB pages
 * nearly every record's first touch of a packet was a TLB miss, a page
 * walk that is costly in a VM, and a chunk's first touches 512 page
 * faults: with huge pages the packet thread's time on mixed.pcap fell by
 * a fifth or more (docs/performance.md, "Packet side, fifth session").
 * Only from the second chunk of a record length on: a capture with fewer
 * records in progress than one chunk holds keeps paying only for the
 * pages it touches. */
static chunk *chunk_map(gboolean huge)
{
#ifdef SLAB_MALLOC
	(void)huge;
	return g_aligned_alloc(1, CHUNK_BYTES, CHUNK_BYTES);
#else
	char *p = mmap(NULL, 2 * CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED)
		g_error("out of memory for flow records");
	gsize head = (CHUNK_BYTES - (uintptr_t)p % CHUNK_BYTES) % CHUNK_BYTES;
	if (head)
		munmap(p, head);
	munmap(p + head + CHUNK_BYTES, CHUNK_BYTES - head);
#ifdef MADV_HUGEPAGE
	/* Advice only: without THP (or with it off) the chunk stays as it was. */
	if (huge)
		madvise(p + head, CHUNK_BYTES, MADV_HUGEPAGE);
#endif
	return (chunk *)(p + head);
#endif
}

static void chunk_unmap(chunk *k)
{
#ifdef SLAB_MALLOC
	/* the poisoned ends of its records (slot_cut) go back clean */
	ASAN_UNPOISON_MEMORY_REGION(k, CHUNK_BYTES);
	g_aligned_free(k);
#else
	munmap(k, CHUNK_BYTES);
#endif
}

/* Chunks faulted in ahead, on a helper thread.  A fresh chunk's pages are
 * zeroed by the kernel at their first touch: on the packet thread that was
 * clear_page_erms + exc_page_fault, ~4% of mixed.pcap's packet phase and
 * up to 13% in the runs where this VM backs fresh memory slowly, while the
 * second core idled (docs/performance.md, "Packet side, sixth session").
 * The helper maps the next chunks and faults them in with
 * MADV_POPULATE_WRITE (ss_big_populate(), core/bigarray.c), keeping
 * AHEAD_DEPTH of them ready; the owner never waits for it (no chunk
 * ready: it maps one itself, as before), so a helper that is slow or
 * starved costs nothing but its own time.  Memory: at most AHEAD_DEPTH
 * chunks (2 MiB each) populated and not yet used. */
/* Two, not one: on many-flows.pcap the roll-up and writer threads keep the
 * second core busy, the helper is not always scheduled before the owner
 * needs the next chunk, and each chunk the owner then maps itself is 2 MiB
 * zeroed on the packet thread.  With two ready, the packet thread's
 * clear_page_erms fell from 1.0-1.7% to 0.2% of the run's samples (3 runs
 * each, alternating, quiet machine: docs/performance.md, "Results,
 * seventh session"). */
#define AHEAD_DEPTH 2

/* pthread's lock, not GMutex: glib builds GMutex on futexes that
 * ThreadSanitizer cannot see (the CI's TSan stage reported the hand-over
 * as a race), and pthread's is no slower for one hand-over a chunk. */

struct ahead {
	GThread *thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	chunk *ready[AHEAD_DEPTH];  /* mapped and populated, not taken yet: ready[0..n) */
	guint n;
	gboolean quit;
};

/* Faults chunk k in.  The helper owns k until it is published, so plain
 * writes are safe. */
static void populate(chunk *k)
{
#ifdef SLAB_MALLOC
	(void)k;   /* malloc'd under the sanitizer: its pages are malloc's */
#else
	ss_big_populate(k, CHUNK_BYTES);
#endif
}

static gpointer ahead_main(gpointer data)
{
	struct ahead *a = data;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->quit && a->n == AHEAD_DEPTH)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->quit)
			break;
		pthread_mutex_unlock(&a->lock);
		chunk *k = chunk_map(TRUE);
		populate(k);
		pthread_mutex_lock(&a->lock);
		a->ready[a->n++] = k;
		pthread_cond_broadcast(&a->cond);   /* ss_conn_slab_wait_ahead() */
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Owner: the chunk made ahead, or NULL (none ready yet: the first call
 * starts the helper).  Taking one sets the helper to the next. */
static chunk *ahead_take(ss_conn_slab *s)
{
	struct ahead *a = s->ahead;
	if (!a) {
		a = s->ahead = g_new0(struct ahead, 1);
		pthread_mutex_init(&a->lock, NULL);
		pthread_cond_init(&a->cond, NULL);
		a->thread = g_thread_new("sockscope-slab", ahead_main, a);
		return NULL;
	}
	pthread_mutex_lock(&a->lock);
	chunk *k = NULL;
	if (a->n) {
		k = a->ready[0];
		memmove(a->ready, a->ready + 1, --a->n * sizeof *a->ready);
		pthread_cond_broadcast(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	return k;
}

static void ahead_stop(ss_conn_slab *s)
{
	struct ahead *a = s->ahead;
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->quit = TRUE;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	g_thread_join(a->thread);
	for (guint i = 0; i < a->n; i++)
		chunk_unmap(a->ready[i]);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	g_free(a);
	s->ahead = NULL;
}

static void slab_unref(ss_conn_slab *s)
{
	if (__atomic_sub_fetch(&s->ref, 1, __ATOMIC_ACQ_REL) == 0)
		g_free(s);
}

/* Counts n records of chunk k out; the last one frees it. */
static void count_out(chunk *k, gint n)
{
	if (__atomic_sub_fetch(&k->live, n, __ATOMIC_ACQ_REL) != 0)
		return;
	ss_conn_slab *s = k->slab;
	chunk_unmap(k);
	slab_unref(s);
}

static void count_out_list(ss_conn *c)
{
	while (c) {
		ss_conn *next = c->lru_next;
		count_out(chunk_of(c), 1);
		c = next;
	}
}

ss_conn_slab *ss_conn_slab_new(gboolean prefault)
{
	ss_conn_slab *s = g_new0(ss_conn_slab, 1);
	s->ref = 1;
	s->prefault = prefault;
	return s;
}

void ss_conn_slab_wait_ahead(ss_conn_slab *s)
{
	struct ahead *a = s->ahead;
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	while (a->n < AHEAD_DEPTH)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
}

const ss_conn_slab_stats *ss_conn_slab_get_stats(const ss_conn_slab *s)
{
	return &s->stats;
}

/* A new record's room in its chunk (see stride()). */
static ss_conn *slot_cut(chunk *k, guint i, guint cls)
{
	ss_conn *c = (ss_conn *)((char *)k + CHUNK_HEADER + i * stride(cls));
#ifdef SLAB_MALLOC
	ASAN_POISON_MEMORY_REGION((char *)c + ss_conn_size(cls), stride(cls) - ss_conn_size(cls));
#endif
	return c;
}

/* How many idle spares of length `cls` an allocation of a shorter length
 * leaves alone.
 *
 * A spare serves only records of its own length while its length still
 * has use for it.  Taking a longer one for a shorter record, as the slab
 * did until 2026-12-07, pinned the difference for the record's life and
 * made the next record of the longer length cut fresh memory: on
 * many-flows.pcap the UDP records, ~90% of the 1M in progress at the
 * capture's end (they do not close; TCP records retire 10 s after their
 * FIN or RST), sat in the 440-byte spares of retired TCP records (their
 * length then) instead of 248-byte slots of their own, and peak RSS was
 * 614 MB instead of 534 (docs/performance.md, "The slab's spares by
 * length").  More than this
 * many idle ones of a length say that its records became fewer (a capture
 * whose traffic changed): shorter records then take them, so that no more
 * than about two chunks of a length sit unused while other lengths cut
 * new ones. */
static guint idle_surplus(guint cls)
{
	return 2 * per_chunk(cls);
}

/* Sets the next spare handed back aside by its length, if there is one.
 * Spares come back in the order records were written, of any length, as
 * a chain linked through the records: following it is a cache miss a
 * record, hidden only when the next one's line was asked for a while
 * before it is read.  So each allocation sets one spare aside (its line
 * prefetched at the previous allocation) and prefetches the next, and
 * takes only from the spares already set aside: walking the chain for a
 * spare of the right length (the first try) doubled
 * ss_conn_slab_alloc's samples on many-flows.pcap.  Only a chunk header
 * is read besides (a few hundred of them, cached). */
static void sort_one(ss_conn_slab *s)
{
	if (!s->local) {
		if (s->chains) {
			s->local = s->chains;
			s->chains = s->local->lru_prev;
		} else if (__atomic_load_n(&s->shared, __ATOMIC_RELAXED)) {
			s->local = __atomic_exchange_n(&s->shared, NULL, __ATOMIC_ACQUIRE);
		}
		if (!s->local)
			return;
	}
	ss_conn *c = s->local;
	s->local = c->lru_next;
	if (s->local)
		__builtin_prefetch(s->local, 1);
	guint cls = chunk_of(c)->cls;
	c->lru_next = s->idle[cls];
	s->idle[cls] = c;
	s->nidle[cls]++;
}

static ss_conn *idle_take(ss_conn_slab *s, guint cls)
{
	ss_conn *c = s->idle[cls];
	s->idle[cls] = c->lru_next;
	s->nidle[cls]--;
	/* The next one of this length is read at its allocation. */
	if (s->idle[cls])
		__builtin_prefetch(s->idle[cls], 1);
	return c;
}

ss_conn *ss_conn_slab_alloc(ss_conn_slab *s, guint tail)
{
	g_return_val_if_fail(!s->closed && tail < SS_CONN_TAIL_COUNT, NULL);
	sort_one(s);
	if (s->idle[tail])
		return idle_take(s, tail);
	for (guint k = tail + 1; k < SS_CONN_TAIL_COUNT; k++)
		if (s->nidle[k] > idle_surplus(k))
			return idle_take(s, k);
	if (!s->cur[tail] || s->used[tail] == per_chunk(tail)) {
		/* A length's first chunk stays on small pages (chunk_map). */
		gboolean huge = s->cur[tail] != NULL;
		chunk *k = huge && s->prefault ? ahead_take(s) : NULL;
		if (k)
			s->stats.chunks_ahead++;
		else
			k = chunk_map(huge);
		s->stats.chunks++;
		k->slab = s;
		k->live = (gint)per_chunk(tail);
		k->cls = tail;
		__atomic_add_fetch(&s->ref, 1, __ATOMIC_RELAXED);
		s->cur[tail] = k;
		s->used[tail] = 0;
	}
	return slot_cut(s->cur[tail], s->used[tail]++, tail);
}

void ss_conn_slab_put_chain(ss_conn_slab *s, ss_conn *chain)
{
	g_return_if_fail(!s->closed);
	if (!chain)
		return;
	if (!s->local) {
		s->local = chain;
	} else {
		chain->lru_prev = s->chains;
		s->chains = chain;
	}
}

void ss_conn_slab_close(ss_conn_slab *s)
{
	g_return_if_fail(!s->closed);
	s->closed = TRUE;
	ahead_stop(s);
	ss_conn *rest = __atomic_exchange_n(&s->shared, CLOSED, __ATOMIC_ACQ_REL);
	for (guint k = 0; k < SS_CONN_TAIL_COUNT; k++) {
		if (s->cur[k])
			count_out(s->cur[k], (gint)(per_chunk(k) - s->used[k]));
		s->cur[k] = NULL;
		count_out_list(s->idle[k]);
		s->idle[k] = NULL;
		s->nidle[k] = 0;
	}
	count_out_list(rest);
	count_out_list(s->local);
	s->local = NULL;
	while (s->chains) {
		ss_conn *next = s->chains->lru_prev;
		count_out_list(s->chains);
		s->chains = next;
	}
	slab_unref(s);   /* s may be gone from here on */
}

void ss_conn_slab_release(ss_conn *c)
{
	chunk *k = chunk_of(c);
	/* k cannot go before c is counted out, nor its slab before k. */
	ss_conn_slab *s = k->slab;
	ss_conn *old = __atomic_load_n(&s->shared, __ATOMIC_ACQUIRE);
	for (;;) {
		if (old == CLOSED) {
			count_out(k, 1);
			return;
		}
		c->lru_next = old;
		if (__atomic_compare_exchange_n(&s->shared, &old, c, TRUE, __ATOMIC_RELEASE,
						__ATOMIC_ACQUIRE))
			return;
	}
}
