/* The process's malloc heap (sockscope/heap.h). */
#define _GNU_SOURCE
#include "config.h"
#include "sockscope/heap.h"

#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

/* The sanitizers (and valgrind, seen at run time) bring their own
 * allocators: mallopt() and the brk heap are not where their blocks come
 * from. */
#if defined(__SANITIZE_ADDRESS__)
#define HEAP_FOREIGN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
	__has_feature(thread_sanitizer)
#define HEAP_FOREIGN 1
#endif
#endif
#if !defined(HEAP_FOREIGN) && defined(__SANITIZE_THREAD__)
#define HEAP_FOREIGN 1
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)

/* The heap is reserved this far past its top each time it grows: address
 * space only, no page is touched until malloc hands it out.  Large enough
 * for the heap of a 2M-flow capture (many-flows.pcap: with 64 MiB, its
 * heap outgrew the advised part and still made ~8 900 faults of 4 KiB;
 * with 256 MiB, ~2 500); what grows past it gets 4 KiB pages, as glibc's
 * default does.  (glibc's own `glibc.malloc.hugetlb=1` tunable advises
 * every growth, but it is read from the environment before main(); a
 * program cannot set it for itself.) */
#define HEAP_TOP_PAD ((size_t)256 << 20)

/* Blocks below this come from the heap (glibc's largest dynamic mmap
 * threshold, 32 MiB on 64-bit).  Setting M_TOP_PAD turns glibc's dynamic
 * threshold off, which would leave it at 128 KiB: every table or buffer
 * from 128 KiB up would be a fresh mapping of 4 KiB pages, faulted in
 * again each time it is made.  The roll-up tables past 2 MiB and the
 * record slab have mappings of their own already (core/bigarray.c,
 * flow/slab.c). */
#define HEAP_MMAP_THRESHOLD (32 << 20)

/* glibc's default M_TOP_PAD, restored when the heap cannot grow by brk
 * (the mmap threshold stays at 32 MiB then, glibc's own dynamic
 * maximum). */
#define GLIBC_TOP_PAD (128 << 10)

static gboolean prepared;
static ss_heap_mode prepared_mode;
static uintptr_t advised_from;
static gsize advised_bytes;

static gboolean foreign_allocator(void)
{
#ifdef HEAP_FOREIGN
	return TRUE;
#else
#ifdef HAVE_VALGRIND_H
	if (RUNNING_ON_VALGRIND)
		return TRUE;
#endif
	return FALSE;
#endif
}

/* Under an address-space limit (`ulimit -v`, RLIMIT_AS) a reservation
 * counts as if used: glibc reserves 64 MiB (HEAP_MAX_SIZE) for each
 * thread's own arena, and a 256 MiB top pad would cost as much.  One
 * arena and no pad: mixed.pcap (101 MiB at its peak) passes from
 * `ulimit -v 200000` up, where with per-thread arenas it stopped out of
 * memory at 350000 (docs/hardening.md). */
static gboolean address_space_limited(void)
{
	struct rlimit rl;
	return getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
}

/* Grow the heap by its pad now, so that the reserved part exists to be
 * advised: one block larger than any heap's first top (glibc starts the
 * main heap at ~132 KiB) must come from a new sbrk() of block + pad, and
 * freeing it trims the heap back to the pad, which stays.  Returns FALSE
 * if brk did not move (brk blocked by a mapping, or an overcommit policy
 * that refused the reservation: glibc then falls back to mmap'd pieces,
 * which are left as they are). */
static gboolean reserve_and_advise(void)
{
	char *start = sbrk(0);
	void *block = malloc((size_t)1 << 20);
	/* The block is never used: without this, clang removes the malloc()
	 * and free() pair, and the heap does not grow (seen in the clang
	 * build's test-heap). */
	__asm__ volatile("" : : "r"(block) : "memory");
	gboolean grew = block && start != (char *)-1 && (char *)sbrk(0) > start;
	free(block);
	if (!grew)
		return FALSE;
	/* The whole huge pages between the heap's old top and its new end;
	 * the heap's first part, below, holds what was allocated before. */
	uintptr_t from = ((uintptr_t)start + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t to = (uintptr_t)sbrk(0) & ~(HUGE_PAGE - 1);
	/* Advice only: without THP, or with it set to "never", the pages
	 * stay 4 KiB and nothing else changes. */
	if (to > from && madvise((void *)from, to - from, MADV_HUGEPAGE) == 0) {
		advised_from = from;
		advised_bytes = to - from;
	}
	return TRUE;
}

ss_heap_mode ss_heap_prepare(void)
{
	/* Called from main() before any thread: no lock. */
	if (prepared)
		return prepared_mode;
	prepared = TRUE;
	prepared_mode = SS_HEAP_DEFAULT;
	if (foreign_allocator())
		return prepared_mode;
	/* One arena for every thread: a block freed by one thread can serve
	 * another, and no thread grows a heap of its own page by page.
	 * glibc's per-thread caches (tcache) still serve most small blocks
	 * without the arena's lock.  Measured on mixed.pcap with the pad
	 * below: docs/performance.md, "One heap on huge pages". */
	if (mallopt(M_ARENA_MAX, 1) != 1)
		return prepared_mode;
	prepared_mode = SS_HEAP_ONE_ARENA;
	if (address_space_limited())
		return prepared_mode;
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
	mallopt(M_TOP_PAD, (int)HEAP_TOP_PAD);
	if (!reserve_and_advise()) {
		mallopt(M_TOP_PAD, GLIBC_TOP_PAD);
		return prepared_mode;
	}
	if (advised_bytes)
		prepared_mode = SS_HEAP_HUGE;
	return prepared_mode;
}

gsize ss_heap_advised(uintptr_t *from)
{
	if (from)
		*from = advised_from;
	return advised_bytes;
}
