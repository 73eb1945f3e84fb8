/* Large growable arrays on mappings of their own (sockscope/bigarray.h):
 * from 2 MiB an array is an anonymous mapping, a whole number of 2 MiB
 * huge pages long, grown by mremap(); below it, g_malloc. */
#define _GNU_SOURCE
#include "sockscope/bigarray.h"

#include <errno.h>
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

/* A fresh mapping of len bytes (a multiple of 2 MiB), aligned to 2 MiB so
 * that huge pages can back all of it. */
static void *map_new(gsize len)
{
	char *p = mmap(NULL, len + HUGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		g_error("out of memory: %" G_GSIZE_FORMAT " bytes for a table", len);
	gsize head = (HUGE_BYTES - (uintptr_t)p % HUGE_BYTES) % HUGE_BYTES;
	if (head)
		munmap(p, head);
	munmap(p + head + len, HUGE_BYTES - head);
	advise_huge(p + head, len);
	return p + head;
}

void *ss_big_resize(void *p, gsize bytes, gsize new_bytes)
{
	if (!p)
		bytes = 0;
	if (!mapped(bytes) && !mapped(new_bytes))
		return g_realloc(p, new_bytes);
	if (!mapped(bytes)) {
		void *q = map_new(map_len(new_bytes));
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
		q = map_new(new_len);
		memcpy(q, p, bytes);
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
	gsize len = map_len(bytes);
	void *p = map_new(len);
	ss_big_populate(p, len);
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
	void *q = map_new(map_len(bytes));
	memcpy(q, p, bytes);
	return q;
}

void ss_big_free(void *p, gsize bytes)
{
	if (!p)
		return;
	if (mapped(bytes))
		munmap(p, map_len(bytes));
	else
		g_free(p);
}
