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
void ss_big_free(void *p, gsize bytes);

#endif
