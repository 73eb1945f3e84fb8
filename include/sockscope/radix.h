/* A stable LSD radix sort of (a, b, pointer) items by (a, b) as unsigned
 * 64-bit numbers: the capture-end sort of the records still in progress
 * (ss_conn_sort_first, up to a million of them), which glibc's qsort (a
 * merge sort, msort_with_tmp) did with ~690 instructions per record on
 * 2M-flow captures.  Byte positions on which every item agrees are
 * skipped, so a sort by (first packet time, sequence number) over a 60 s
 * capture makes 8 passes, not 16.  Measured in docs/performance.md
 * ("capture-end sort"). */
#ifndef SOCKSCOPE_RADIX_H
#define SOCKSCOPE_RADIX_H

#include <glib.h>

typedef struct {
	guint64 a, b;    /* the sort key: a first, then b */
	gpointer p;      /* carried along */
} ss_radix_item;

/* Sorts v[0..n) ascending by (a, b); equal keys keep their order.  `tmp`
 * has room for n items (its contents are lost). */
void ss_radix_sort(ss_radix_item *v, gsize n, ss_radix_item *tmp);

/* A (key, pointer) item: 16 bytes instead of ss_radix_item's 24, for a
 * sort by one 64-bit key whose ties the caller settles after it (the
 * capture-end sort of records by first packet: ss_conn_sort_by_first()). */
typedef struct {
	guint64 key;
	gpointer p;      /* carried along */
} ss_radix_pair;

/* Sorts v[0..n) ascending by key; equal keys keep their order.  `tmp` has
 * room for n items (its contents are lost). */
void ss_radix_sort_pairs(ss_radix_pair *v, gsize n, ss_radix_pair *tmp);

/* A signed 64-bit number as an unsigned key in the same order. */
static inline guint64 ss_radix_signed(gint64 x)
{
	return (guint64)x ^ G_GUINT64_CONSTANT(0x8000000000000000);
}

#endif
