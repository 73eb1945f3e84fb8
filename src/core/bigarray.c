/* Large growable arrays on mappings of their own (sockscope/bigarray.h):
 * from 2 MiB an array is an anonymous mapping, a whole number of 2 MiB
 * huge pages long, grown by mremap(); below it, g_malloc. */
#define _GNU_SOURCE
#include "sockscope/bigarray.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* Under AddressSanitizer everything stays malloc'd, so that an access past
 * an array is caught (a mapping has no redzone), as flow/slab.c does. */
#if defined(__SANITIZE_ADDRESS__)
#define BIG_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BIG_MALLOC 1
#endif
#endif

#define HUGE_BYTES SS_BIG_HUGE_BYTES

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14 */
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4       /* Linux 5.7 */
#endif

static gboolean mapped(gsize bytes)
{
#ifdef BIG_MALLOC
	(void)bytes;
	return FALSE;
#else
	return bytes >= HUGE_BYTES;
#endif
}

static gsize map_len(gsize bytes)
{
	return (bytes + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);
}

static void advise_huge(void *p, gsize len)
{
#ifdef MADV_HUGEPAGE
	/* Advice only: without THP (or with it off) the pages stay 4 KiB. */
	madvise(p, len, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

/* Resident memory kept for reuse: record chunks the slab frees at the
 * capture's end (ss_big_recycle) and, from then on, mapped arrays freed
 * (ss_big_free).  A new mapping takes its pages first (pool_fill), so
 * that memory freed by one stage of the capture's end serves the next
 * instead of going back to the kernel and being faulted in again, zeroed
 * page by page.  On this VM a fresh page is slow to zero half the time:
 * free 2 MiB blocks are handed back to the host (virtio_balloon's free
 * page reporting) and the next touch faults on the host too; the hosts'
 * take zeroed its 16 MiB array at ~0.3 GB/s (54 ms of perf's clock)
 * while the writer gave 32 MiB of record chunks back
 * (docs/performance.md, "Fresh memory, fourteenth session").
 *
 * Process-wide, as malloc's own state is: the slab that frees and the
 * tables that take are on different threads with no context in common.
 * Pages move by mremap() (page tables, no byte copied); a request takes
 * what the pool holds and maps the rest fresh, so pooled memory never
 * waits beside fresh memory mapped for want of it.  Bounded: at most
 * SS_BIG_POOL_BYTES, in POOL_REGIONS regions, each 2 MiB aligned and a
 * whole number of 2 MiB long. */
#define POOL_REGIONS 64

typedef struct {
	char *p;
	gsize len;
} region;

static struct {
	pthread_mutex_t lock;
	region r[POOL_REGIONS];
	guint n;
	gsize bytes;
	/* POOL_WAITING until the first chunk is recycled, which is the
	 * capture's end where records retire only then (mixed.pcap) and, by
	 * strace, on many-s.pcap too (no chunk empties mid-capture there); a
	 * capture whose chunks empty sooner opens it sooner, still within
	 * SS_BIG_POOL_BYTES.  Arrays freed before it go back to the kernel
	 * as before (a table's growth frees its old slots while the records
	 * still grow: pooled, they would add to the peak).  POOL_CLOSED after
	 * ss_big_pool_close(): nothing is kept any more. */
	enum { POOL_WAITING, POOL_OPEN, POOL_CLOSED } state;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Room for a region of len bytes; the pool's lock held. */
static gboolean pool_room(gsize len)
{
	return pool.n < POOL_REGIONS && pool.bytes + len <= SS_BIG_POOL_BYTES;
}

static void pool_keep(char *p, gsize len)
{
	pool.r[pool.n++] = (region){ p, len };
	pool.bytes += len;
}

/* Moves pooled pages over [dst, dst + len) (2 MiB aligned, the caller's,
 * its contents given up) from its start; returns how many bytes came from
 * the pool, their contents left over from their last use. */
static gsize pool_fill(char *dst, gsize len)
{
	gsize got = 0;
	pthread_mutex_lock(&pool.lock);
	while (got < len && pool.n) {
		region *r = &pool.r[pool.n - 1];
		gsize take = MIN(r->len, len - got);
		if (mremap(r->p, take, take, MREMAP_MAYMOVE | MREMAP_FIXED, dst + got) == MAP_FAILED)
			break;
		r->p += take;
		r->len -= take;
		pool.bytes -= take;
		if (!r->len)
			pool.n--;
		got += take;
	}
	pthread_mutex_unlock(&pool.lock);
	return got;
}

/* len bytes of address space aligned to 2 MiB (len a multiple of it),
 * PROT_NONE unless `writable`; NULL if refused. */
static char *map_aligned(gsize len, gboolean writable)
{
	char *p = mmap(NULL, len + HUGE_BYTES, writable ? PROT_READ | PROT_WRITE : PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (writable ? 0 : MAP_NORESERVE), -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	gsize head = (HUGE_BYTES - (uintptr_t)p % HUGE_BYTES) % HUGE_BYTES;
	if (head)
		munmap(p, head);
	munmap(p + head + len, HUGE_BYTES - head);
	return p + head;
}

/* A mapping of len bytes (a multiple of 2 MiB), aligned to 2 MiB so that
 * huge pages can back all of it.  Its first *pooled bytes are pages from
 * the pool (resident, contents left over), at most the whole 2 MiB pages
 * of the first `written` bytes, which the caller writes all of; the rest
 * is fresh (zero).  Pooled pages only where they will be written: a
 * fresh page nobody writes costs nothing, a pooled one is resident
 * (hence none in the unset growth of ss_big_resize). */
static void *map_new(gsize len, gsize written, gsize *pooled)
{
	char *p = map_aligned(len, TRUE);
	if (!p)
		g_error("out of memory: %" G_GSIZE_FORMAT " bytes for a table", len);
	advise_huge(p, len);
	*pooled = pool_fill(p, MIN(written, len) & ~(HUGE_BYTES - 1));
	return p;
}

void *ss_big_resize(void *p, gsize bytes, gsize new_bytes)
{
	if (!p)
		bytes = 0;
	if (!mapped(bytes) && !mapped(new_bytes))
		return g_realloc(p, new_bytes);
	if (!mapped(bytes)) {
		gsize pooled;
		void *q = map_new(map_len(new_bytes), bytes, &pooled);
		if (bytes)
			memcpy(q, p, bytes);
		g_free(p);
		return q;
	}
	if (!mapped(new_bytes)) {
		void *q = g_malloc(new_bytes ? new_bytes : 1);
		memcpy(q, p, new_bytes);
		munmap(p, map_len(bytes));
		return q;
	}
	gsize len = map_len(bytes), new_len = map_len(new_bytes);
	if (new_len == len)
		return p;
	if (new_len < len) {
		munmap((char *)p + new_len, len - new_len);
		return p;
	}
	/* The page tables move; no byte is copied. */
	void *q = mremap(p, len, new_len, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		/* An array made of pooled pages is several mappings, which
		 * mremap() does not grow in one piece (EFAULT): they move 2 MiB
		 * at a time (each lies inside one of them), or are copied. */
		q = map_aligned(new_len, TRUE);
		if (!q)
			g_error("out of memory: %" G_GSIZE_FORMAT " bytes for a table", new_len);
		advise_huge(q, new_len);
		gsize moved = 0;
		for (; moved < len; moved += HUGE_BYTES)
			if (mremap((char *)p + moved, HUGE_BYTES, HUGE_BYTES,
				   MREMAP_MAYMOVE | MREMAP_FIXED, (char *)q + moved) == MAP_FAILED)
				break;
		if (moved < len)
			memcpy((char *)q + moved, (char *)p + moved, bytes - MIN(moved, bytes));
		munmap(p, len);
		return q;
	}
	advise_huge(q, new_len);
	return q;
}

/* A slot array is read before it is written (a probe, then the insert).
 * Untouched, the first read of each page maps the shared zero page and
 * the write after it faults again to copy it, flushing the TLB of every
 * core the process runs on (an IPI: smp_call_function_many_cond under
 * do_wp_page, up to 27 ms of the report thread's capture end on
 * mixed.pcap).  So every page is written first: a mapped array has the
 * kernel fault all of it in at once (MADV_POPULATE_WRITE), a malloc'd one
 * is memset (a fresh malloc block may be untouched mmap'd memory too,
 * which g_malloc0 would leave so). */
void *ss_big_new0(gsize n, gsize size)
{
	if (size && n > G_MAXSIZE / size)
		g_error("out of memory: %" G_GSIZE_FORMAT " elements of %" G_GSIZE_FORMAT
			" bytes for a table", n, size);
	gsize bytes = n * size;
	if (!mapped(bytes)) {
		void *p = g_malloc_n(n ? n : 1, size);
		memset(p, 0, bytes);
		return p;
	}
	gsize len = map_len(bytes), pooled;
	char *p = map_new(len, len, &pooled);
	/* Pooled pages are resident: zeroing what the caller asked for runs at
	 * memory speed; the rest of the mapping is faulted in fresh. */
	memset(p, 0, MIN(pooled, bytes));
	if (pooled < len)
		ss_big_populate(p + pooled, len - pooled);
	return p;
}

gsize ss_big_resident_bytes(gsize bytes)
{
	return mapped(bytes) ? map_len(bytes) : bytes;
}

void ss_big_advise_huge(void *p, gsize len)
{
#ifdef BIG_MALLOC
	(void)p;
	(void)len;
#else
	uintptr_t from = ((uintptr_t)p + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
	uintptr_t to = ((uintptr_t)p + len) & ~(uintptr_t)(HUGE_BYTES - 1);
	if (to > from)
		advise_huge((void *)from, to - from);
#endif
}

void ss_big_populate(void *p, gsize len)
{
	if (madvise(p, len, MADV_POPULATE_WRITE) == 0 || errno != EINVAL)
		return;   /* done, or refused (ENOMEM...): faulted at first touch */
	/* A kernel before 5.14 does not know the advice: a write to each page
	 * faults it in the same way (one fault for a huge page). */
	volatile char *b = p;
	for (gsize off = 0; off < len; off += 4096)
		b[off] = 0;
}

void *ss_big_dup(const void *p, gsize bytes)
{
	if (!p)
		return NULL;
	if (!mapped(bytes))
		return g_memdup2(p, bytes);
	gsize pooled;
	void *q = map_new(map_len(bytes), bytes, &pooled);
	memcpy(q, p, bytes);
	return q;
}

void ss_big_free(void *p, gsize bytes)
{
	if (!p)
		return;
	if (!mapped(bytes)) {
		g_free(p);
		return;
	}
	gsize len = map_len(bytes);
	if ((uintptr_t)p % HUGE_BYTES == 0) {
		pthread_mutex_lock(&pool.lock);
		gboolean keep = pool.state == POOL_OPEN && pool_room(len);
		if (keep)
			pool_keep(p, len);
		pthread_mutex_unlock(&pool.lock);
		if (keep)
			return;
	}
	munmap(p, len);
}

gboolean ss_big_recycle(void *p, gsize len)
{
#ifdef BIG_MALLOC
	(void)p;
	(void)len;
	return FALSE;
#else
	if (!len || (uintptr_t)p % HUGE_BYTES || len % HUGE_BYTES)
		return FALSE;
	gboolean kept = FALSE;
	pthread_mutex_lock(&pool.lock);
	if (pool.state != POOL_CLOSED && pool_room(len)) {
		/* A home of its own, aligned, so that huge pages move whole;
		 * DONTUNMAP leaves [p, p + len) mapped (empty) for its owner:
		 * no hole another thread's mmap() could take before the owner
		 * maps its range again.  Refused by a kernel before 5.7 (and
		 * by valgrind): the owner frees the chunk as before. */
		char *home = map_aligned(len, FALSE);
		if (home && mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
				   home) != MAP_FAILED) {
			pool_keep(home, len);
			pool.state = POOL_OPEN;
			kept = TRUE;
		} else if (home) {
			munmap(home, len);
		}
	}
	pthread_mutex_unlock(&pool.lock);
	return kept;
#endif
}

gsize ss_big_take_recycled(void *p, gsize len)
{
#ifdef BIG_MALLOC
	(void)p;
	(void)len;
	return 0;
#else
	uintptr_t from = ((uintptr_t)p + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
	uintptr_t to = ((uintptr_t)p + len) & ~(uintptr_t)(HUGE_BYTES - 1);
	return to > from ? pool_fill((char *)from, to - from) : 0;
#endif
}

void ss_big_pool_close(void)
{
	pthread_mutex_lock(&pool.lock);
	pool.state = POOL_CLOSED;
	for (guint i = 0; i < pool.n; i++)
		munmap(pool.r[i].p, pool.r[i].len);
	pool.n = 0;
	pool.bytes = 0;
	pthread_mutex_unlock(&pool.lock);
}

gsize ss_big_pool_bytes(void)
{
	pthread_mutex_lock(&pool.lock);
	gsize bytes = pool.bytes;
	pthread_mutex_unlock(&pool.lock);
	return bytes;
}
