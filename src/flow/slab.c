/* The record slab (flow/slab.h): ss_conn in aligned 2 MiB chunks cut
 * from one reserved stretch of address space (so that a record has a
 * 32-bit name, ss_conn_slab_base()), one
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
#include <sys/resource.h>

/* Chunks are mapped from the kernel, not malloc'd: memalign() of 64 KiB
 * takes a 128 KiB mapping and touches a page before the chunk (peak RSS
 * +13 MB against malloc'd records on many-s.pcap), 16 KiB ones scatter
 * holes through the heap (+32 MB).  A chunk mapped into the slab's
 * reserved range costs only the pages records use, and unmapping it gives
 * them back at once.  Under AddressSanitizer too (a chunk never freed
 * keeps its slab, a malloc'd block, which is then reported as a leak). */
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif

#ifdef SLAB_ASAN
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
#ifdef SLAB_ASAN
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
static guint records_per_chunk(guint cls)
{
	gsize size = ss_conn_size(cls);
	return (guint)((CHUNK_BYTES - CHUNK_HEADER - (sizeof(ss_conn) - size)) / stride(cls));
}

/* `shared` once the slab is closed: releases count records out instead. */
#define CLOSED ((ss_conn *)1)

typedef struct {
	ss_conn_slab *slab;
	/* Records not counted out: starts at per_chunk[cls]; the closing owner
	 * takes off the ones never handed out, each release after closing
	 * one more.  The chunk is freed at 0. */
	gint live;
	guint cls;             /* SS_CONN_TAIL_*: the length of its records */
} chunk;

G_STATIC_ASSERT(sizeof(chunk) <= CHUNK_HEADER);

/* The address space the chunks are cut from, reserved (PROT_NONE, no
 * memory) when the slab is made: every record lies within SLAB_RANGE of
 * its start, so (record - start) / 8 names it in 32 bits.  The lifecycle's
 * timeout lists link records by such names: two pointers were 16 bytes of
 * every record, two names are 8 (docs/performance.md, "Record memory,
 * tenth session").  One range rather than a table of chunk bases: a name
 * becomes a pointer with a shift and an add, no table read.  32 GiB, all
 * that 32 bits of 8-byte units reach, is as much as valgrind (3.19) lets a
 * process reserve; where even that is refused (a low `ulimit -v`), half as
 * much, and so on.  Chunks are cut from it in order and never reused
 * (none is freed before the slab closes), so it holds ~16 000 chunks:
 * 100 million TCP records or 190 million UDP ones; past that the run
 * stops, as when mmap fails.  A range of adjacent chunks is one mapping,
 * not one each, so vm.max_map_count no longer bounds the chunks. */
#define SLAB_RANGE (G_GUINT64_CONSTANT(8) << 32)
#define SLAB_RANGE_MIN (G_GUINT64_CONSTANT(64) << 20)

struct ss_conn_slab {
	/* The reserved range: chunks are cut at start + CHUNK_BYTES * i, i
	 * counted by `cut` (the owner and the prefault helper both cut). */
	char *start;
	gsize range;
	gsize cut;
	/* The owner's: spares as a list of chains, taken back whole (the
	 * current one linked by next_spare; the others' heads in `chains`),
	 * so handing back a chain of 1024 written records touches one. */
	ss_conn *local;
	GPtrArray *chains;
	/* Spares an allocation of another length passed over, by length
	 * (linked by next_spare), and how many: the next allocations of their
	 * length take them first (`idle_surplus()`). */
	ss_conn *idle[SS_CONN_TAIL_COUNT];
	guint nidle[SS_CONN_TAIL_COUNT];
	chunk *cur[SS_CONN_TAIL_COUNT];   /* where new records are cut from */
	/* records_per_chunk() of each length, made once: a division each,
	 * read at every allocation that cuts and every one that misses */
	guint per_chunk[SS_CONN_TAIL_COUNT];
	guint used[SS_CONN_TAIL_COUNT];   /* records cut from cur */
	gboolean closed;
	/* Released on other threads while open (a stack linked by next_spare,
	 * pushed with compare-and-swap, taken whole by the owner); CLOSED
	 * once closed. */
	ss_conn *shared;
	/* 1 for the owner until it closes, plus one per chunk. */
	gint ref;
	/* ss_conn_slab_new(TRUE, ...): huge chunks are made ahead by a helper
	 * (`ahead`, started with the second chunk, or at once when `large`),
	 * not at first touch. */
	gboolean prefault;
	/* ss_conn_slab_new(..., TRUE): first chunks are huge too (chunk_map) */
	gboolean large;
	struct ahead *ahead;
	ss_conn_slab_stats stats;
};

static chunk *chunk_of(const ss_conn *c)
{
	return (chunk *)((uintptr_t)c & ~(uintptr_t)(CHUNK_BYTES - 1));
}

/* The most of the range to ask for.  Under a finite address-space limit
 * (`ulimit -v`, RLIMIT_AS) the range counts against it although it holds
 * no memory, and the largest range the kernel grants would leave the heap,
 * the threads' stacks and the other tables nearly nothing: a run on
 * many-s.pcap that needed ~600 MB of address space before the range
 * stopped with "out of memory" under `ulimit -v 800000`, its range having
 * taken 512 MiB.  So at most a quarter of the limit (at least
 * SLAB_RANGE_MIN). */
static gsize range_wanted(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return SLAB_RANGE;
	guint64 quarter = (guint64)rl.rlim_cur / 4 & ~(guint64)(CHUNK_BYTES - 1);
	return (gsize)MAX(MIN(quarter, SLAB_RANGE), SLAB_RANGE_MIN);
}

/* Reserves s's range, aligned to CHUNK_BYTES: the largest of
 * range_wanted(), half that... down to SLAB_RANGE_MIN that the kernel
 * grants. */
static void range_reserve(ss_conn_slab *s)
{
	for (gsize len = range_wanted(); len >= SLAB_RANGE_MIN; len /= 2) {
		char *p = mmap(NULL, len + CHUNK_BYTES, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		gsize head = (CHUNK_BYTES - (uintptr_t)p % CHUNK_BYTES) % CHUNK_BYTES;
		if (head)
			munmap(p, head);
		munmap(p + head + len, CHUNK_BYTES - head);
		s->start = p + head;
		s->range = len;
		return;
	}
	g_error("out of address space for flow records");
}

/* The next chunk of s's range, mapped: its pages cost nothing until
 * touched.  Any thread (the owner, or the prefault helper).
 *
 * `huge`: back the chunk with one transparent huge page where the kernel
 * gives them on request (madvise mode).  Records are reached in no order
 * (one per flow, tens of thousands in progress), so with 4 KiB pages
 * nearly every record's first touch of a packet was a TLB miss, a page
 * walk that is costly in a VM, and a chunk's first touches 512 page
 * faults: with huge pages the packet thread's time on mixed.pcap fell by
 * a fifth or more (docs/performance.md, "Packet side, fifth session").
 * Only from the second chunk of a record length on, unless the capture is
 * known to be large (ss_conn_slab_new's `large`): a capture with fewer
 * records in progress than one chunk holds keeps paying only for the
 * pages it touches.  A first chunk on small pages is ~500 faults of 4 KiB
 * on the packet thread for each record length a large capture fills
 * (~1 400 of mixed.pcap's ~2 200 minor faults); as a huge page made ahead
 * it is none (docs/performance.md, "Large captures' first chunks,
 * sixteenth session"). */
static chunk *chunk_map(ss_conn_slab *s, gboolean huge)
{
	gsize i = __atomic_fetch_add(&s->cut, 1, __ATOMIC_RELAXED);
	if ((i + 1) * (gsize)CHUNK_BYTES > s->range)
		g_error("out of memory for flow records (more than %" G_GSIZE_FORMAT " MiB)",
			s->range >> 20);
	char *p = s->start + i * CHUNK_BYTES;
	if (mmap(p, CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		g_error("out of memory for flow records");
#ifdef MADV_HUGEPAGE
	/* Advice only: without THP (or with it off) the chunk stays as it was. */
	if (huge)
		madvise(p, CHUNK_BYTES, MADV_HUGEPAGE);
#else
	(void)huge;
#endif
	return (chunk *)p;
}

/* Its memory goes back; its place in the range stays reserved (not
 * reused: chunks are freed only once the slab is closed). */
static void chunk_unmap(chunk *k)
{
#ifdef SLAB_ASAN
	/* the poisoned ends of its records (slot_cut) go back clean */
	ASAN_UNPOISON_MEMORY_REGION(k, CHUNK_BYTES);
#endif
	mmap(k, CHUNK_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
	     0);
}

/* A chunk whose records are all gone: its pages go to core/bigarray.c's
 * pool (ss_big_recycle) for the capture end's next large arrays, or back
 * to the kernel when the pool is full. */
static void chunk_release(chunk *k)
{
	ss_big_recycle(k, CHUNK_BYTES);
	chunk_unmap(k);
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
	ss_conn_slab *slab;
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
	ss_big_populate(k, CHUNK_BYTES);
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
		chunk *k = chunk_map(a->slab, TRUE);
		populate(k);
		pthread_mutex_lock(&a->lock);
		a->ready[a->n++] = k;
		pthread_cond_broadcast(&a->cond);   /* ss_conn_slab_wait_ahead() */
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static void ahead_start(ss_conn_slab *s)
{
	struct ahead *a = s->ahead = g_new0(struct ahead, 1);
	a->slab = s;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->thread = g_thread_new("sockscope-slab", ahead_main, a);
}

/* Owner: the chunk made ahead, or NULL (none ready yet: the first call
 * starts the helper, unless it runs already).  Taking one sets the helper
 * to the next. */
static chunk *ahead_take(ss_conn_slab *s)
{
	struct ahead *a = s->ahead;
	if (!a) {
		ahead_start(s);
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
	if (__atomic_sub_fetch(&s->ref, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	munmap(s->start, s->range);
	g_free(s);
}

/* Counts n records of chunk k out; the last one frees it. */
static void count_out(chunk *k, gint n)
{
	if (__atomic_sub_fetch(&k->live, n, __ATOMIC_ACQ_REL) != 0)
		return;
	ss_conn_slab *s = k->slab;
	chunk_release(k);
	slab_unref(s);
}

static void count_out_list(ss_conn *c)
{
	while (c) {
		ss_conn *next = c->next_spare;
		count_out(chunk_of(c), 1);
		c = next;
	}
}

ss_conn_slab *ss_conn_slab_new(gboolean prefault, gboolean large)
{
	ss_conn_slab *s = g_new0(ss_conn_slab, 1);
	s->ref = 1;
	s->prefault = prefault;
	s->large = large;
	s->chains = g_ptr_array_new();
	for (guint k = 0; k < SS_CONN_TAIL_COUNT; k++)
		s->per_chunk[k] = records_per_chunk(k);
	range_reserve(s);
	/* The first chunks are made while the capture is opened and its first
	 * packets read. */
	if (large && prefault)
		ahead_start(s);
	return s;
}

const char *ss_conn_slab_base(const ss_conn_slab *s)
{
	return s->start;
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
#ifdef SLAB_ASAN
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
static guint idle_surplus(const ss_conn_slab *s, guint cls)
{
	return 2 * s->per_chunk[cls];
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
		if (s->chains->len) {
			s->local = g_ptr_array_steal_index_fast(s->chains, s->chains->len - 1);
		} else if (__atomic_load_n(&s->shared, __ATOMIC_RELAXED)) {
			s->local = __atomic_exchange_n(&s->shared, NULL, __ATOMIC_ACQUIRE);
		}
		if (!s->local)
			return;
	}
	ss_conn *c = s->local;
	s->local = c->next_spare;
	if (s->local)
		__builtin_prefetch(s->local, 1);
	guint cls = chunk_of(c)->cls;
	c->next_spare = s->idle[cls];
	s->idle[cls] = c;
	s->nidle[cls]++;
}

static ss_conn *idle_take(ss_conn_slab *s, guint cls)
{
	ss_conn *c = s->idle[cls];
	s->idle[cls] = c->next_spare;
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
		if (s->nidle[k] > idle_surplus(s, k))
			return idle_take(s, k);
	if (!s->cur[tail] || s->used[tail] == s->per_chunk[tail]) {
		/* A length's first chunk stays on small pages unless the
		 * capture is large (chunk_map). */
		gboolean huge = s->cur[tail] != NULL || s->large;
		chunk *k = huge && s->prefault ? ahead_take(s) : NULL;
		if (k)
			s->stats.chunks_ahead++;
		else
			k = chunk_map(s, huge);
		s->stats.chunks++;
		k->slab = s;
		k->live = (gint)s->per_chunk[tail];
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
	if (!s->local)
		s->local = chain;
	else
		g_ptr_array_add(s->chains, chain);
}

void ss_conn_slab_close(ss_conn_slab *s)
{
	g_return_if_fail(!s->closed);
	s->closed = TRUE;
	ahead_stop(s);
	ss_conn *rest = __atomic_exchange_n(&s->shared, CLOSED, __ATOMIC_ACQ_REL);
	for (guint k = 0; k < SS_CONN_TAIL_COUNT; k++) {
		if (s->cur[k])
			count_out(s->cur[k], (gint)(s->per_chunk[k] - s->used[k]));
		s->cur[k] = NULL;
		count_out_list(s->idle[k]);
		s->idle[k] = NULL;
		s->nidle[k] = 0;
	}
	count_out_list(rest);
	count_out_list(s->local);
	s->local = NULL;
	for (guint i = 0; i < s->chains->len; i++)
		count_out_list(g_ptr_array_index(s->chains, i));
	g_ptr_array_free(s->chains, TRUE);
	s->chains = NULL;
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
		c->next_spare = old;
		if (__atomic_compare_exchange_n(&s->shared, &old, c, TRUE, __ATOMIC_RELEASE,
						__ATOMIC_ACQUIRE))
			return;
	}
}
