/* The process's malloc heap: how glibc's malloc is set up, once, before
 * the first thread starts (core/heap.c).
 *
 * sockscope's threads (feeding, tracking, roll-ups, writer, findings)
 * allocate tens of megabytes of small blocks at a capture's end.  With
 * glibc's defaults each thread has an arena of its own, grown a 4 KiB
 * page at a time, and memory one thread frees is not reused by another:
 * every page is a fresh fault, and on this project's VM a fault and the
 * zeroing of a fresh page are slow (docs/performance.md, "Fresh memory").
 * Here every thread shares the main arena, whose heap is reserved ahead
 * and asks for transparent huge pages: one fault per 2 MiB, and a block
 * one thread frees can serve another. */
#ifndef SOCKSCOPE_HEAP_H
#define SOCKSCOPE_HEAP_H

#include <glib.h>
#include <stdint.h>

/* How the heap was set up (for tests). */
typedef enum {
	SS_HEAP_DEFAULT,      /* left alone: another allocator (a sanitizer,
			       * valgrind), or mallopt() refused */
	SS_HEAP_ONE_ARENA,    /* one arena, 4 KiB pages: under an address-space
			       * limit (ulimit -v), or the heap could not grow */
	SS_HEAP_HUGE,         /* one arena, its heap reserved and advised huge */
} ss_heap_mode;

/* Set up malloc as above.  Call first thing in main(), before any thread
 * exists and before large allocations; idempotent (later calls return the
 * first call's mode). */
ss_heap_mode ss_heap_prepare(void);

/* The bytes of heap advised for huge pages by ss_heap_prepare (0 unless
 * SS_HEAP_HUGE), from *from (when not NULL).  For tests. */
gsize ss_heap_advised(uintptr_t *from);

#endif
