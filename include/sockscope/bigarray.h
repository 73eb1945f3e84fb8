/* Large growable arrays: the roll-up tables' entries and slots once they
 * pass 2 MiB (core/bigarray.c).  Smaller ones are g_malloc'd as before.
 *
 * At capture end ~100k records retire at once on mixed.pcap and the
 * roll-up and findings tables grow several times while the writer and the
 * report threads keep both cores busy.  On malloc, each growth of a large
 * array was a copy (glibc's realloc copies a heap block, and its mmap
 * threshold rises to the size of any large block freed, so large tables
 * end up in the heap) and every new 4 KiB page a fault of its own.  Here a
 * large array is a mapping of its own: it grows by mremap() (page tables
 * move, no byte is copied) and asks for transparent huge pages
 * (MADV_HUGEPAGE), one fault per 2 MiB.  Measured in docs/performance.md
 * ("The capture-end drain, sixth session").
 *
 * At the capture's end, pages freed (the record chunks, then mapped
 * arrays) are kept in a bounded pool and moved into the next large arrays
 * instead of fresh pages, which this VM is slow to zero at times
 * (ss_big_recycle; docs/performance.md, "Fresh memory, fourteenth
 * session").
 *
 * The caller keeps each array's size in bytes and passes it back: the
 * functions take it to tell a mapped array from a malloc'd one. */
#ifndef SOCKSCOPE_BIGARRAY_H
#define SOCKSCOPE_BIGARRAY_H

#include <glib.h>

/* The size of a transparent huge page: a mapped array is a whole number
 * of them. */
#define SS_BIG_HUGE_BYTES ((gsize)2 << 20)

/* The bytes an array of `bytes` holds resident once every page of it is
 * written (ss_big_new0 writes them all): from 2 MiB, its whole mapping,
 * a multiple of SS_BIG_HUGE_BYTES; below, `bytes`.  For a table that
 * picks its size: slots in the rest of the last huge page cost nothing
 * more. */
gsize ss_big_resident_bytes(gsize bytes);

/* An array of `bytes` (0: NULL) becomes one of `new_bytes`, keeping the
 * first MIN(bytes, new_bytes) bytes; what follows them is unset. */
void *ss_big_resize(void *p, gsize bytes, gsize new_bytes);
/* A zeroed array of n elements of size bytes, every page of it written
 * once (for slot arrays: see ss_big_new0's comment in bigarray.c). */
void *ss_big_new0(gsize n, gsize size);
/* Faults the fresh (zeroed) mapping [p, p + len) in for writing at once,
 * so that no page is first mapped to the shared zero page and faulted
 * again on its first write: MADV_POPULATE_WRITE, or on a kernel before
 * 5.14 (which does not know that advice) a write to each page.  Pages the
 * kernel refuses (ENOMEM...) are left to fault at first touch.  For
 * ss_big_new0's arrays and flow/slab.c's record chunks. */
void ss_big_populate(void *p, gsize len);
/* Asks for transparent huge pages for the whole 2 MiB pages inside
 * [p, p + len), an untouched block from malloc (glibc maps large ones on
 * their own): its first writes then fault 2 MiB at a time, not 4 KiB.
 * Advice only; none under AddressSanitizer. */
void ss_big_advise_huge(void *p, gsize len);
/* A copy of an array of `bytes`. */
void *ss_big_dup(const void *p, gsize bytes);
/* Frees an array; a mapped one is kept for reuse instead once a chunk was
 * recycled (on the bench captures, the capture's end: see bigarray.c's
 * pool), while the pool has room. */
void ss_big_free(void *p, gsize bytes);

/* The most resident memory kept for reuse at once. */
#define SS_BIG_POOL_BYTES ((gsize)16 << 20)
/* Takes the pages of [p, p + len), a private anonymous mapping 2 MiB
 * aligned and a whole number of 2 MiB long that its owner is done with,
 * for the next large arrays made (ss_big_new0, ss_big_resize,
 * ss_big_dup, ss_big_take_recycled), instead of the kernel's fresh
 * pages.  The range stays mapped, empty (it reads zero), for the owner
 * to unmap or map again.  FALSE when the pool is full or the kernel
 * cannot move the pages (before 5.7): nothing was taken.  For
 * flow/slab.c's record chunks. */
gboolean ss_big_recycle(void *p, gsize len);
/* Moves kept pages over the whole 2 MiB pages inside [p, p + len), a
 * block from malloc that the caller writes all of next (their contents
 * are left over from their last use, not zero); returns how many bytes
 * came from the pool. */
gsize ss_big_take_recycled(void *p, gsize len);
/* Gives what the pool holds back to the kernel, and keeps nothing from
 * then on (for the process's life): for the last large array the
 * capture's end makes (the hosts' take), so that pages nobody will take
 * do not stay resident. */
void ss_big_pool_close(void);
/* The bytes kept for reuse now (for tests). */
gsize ss_big_pool_bytes(void);

#endif
