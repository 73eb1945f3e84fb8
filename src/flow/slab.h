/* A slab of connection records (private to src/): the streaming pipeline's
 * ss_conn come from here instead of one g_malloc each.
 *
 * Why: a streamed record is made on the packet thread, travels to the
 * report and writer threads and comes back as a spare, or is freed by the
 * writer once the capture is over.  One g_malloc each cost glibc's
 * malloc/free (unlink_chunk, _int_free, _int_malloc: ~4% of the samples on
 * 2M flows, ~7% on the mixed capture) and a 16-byte header per record; a
 * chain of spares had to be walked, record by record, to be kept.  Here
 * records sit side by side in aligned 2 MiB chunks, the spares are a
 * list of chains taken over whole, and a record released on any thread
 * finds its chunk from its address.
 *
 * Life: the owner (the lifecycle, on the packet thread) allocates and takes
 * chains back; any thread may release a record.  Once the owner closes the
 * slab (the capture is over: no record will be made again), a release
 * counts the record out of its chunk and the chunk is freed with its last
 * record, so the memory goes back while the capture-end drain still runs;
 * the slab goes with its last chunk. */
#ifndef SOCKSCOPE_FLOW_SLAB_H
#define SOCKSCOPE_FLOW_SLAB_H

#include "sockscope/conn.h"

typedef struct ss_conn_slab ss_conn_slab;

/* `prefault`: a helper thread maps and faults in the next chunk before
 * the owner needs it (slab.c, struct ahead), so the kernel's zeroing of
 * fresh pages runs off the owner's thread; for threaded runs.
 * `large`: the capture is known to be large (its files' size), so each
 * record length's first chunk is a huge page too, and with `prefault` the
 * helper starts at once and makes the first chunks as well.  Otherwise a
 * length's first chunk stays on small pages, so that a small capture pays
 * only for the records it has. */
ss_conn_slab *ss_conn_slab_new(gboolean prefault, gboolean large);
/* Owner thread: a record's memory (uninitialized), at least
 * ss_conn_size(tail) bytes long (a record that keeps that tail). */
ss_conn *ss_conn_slab_alloc(ss_conn_slab *s, guint tail);
/* Where the slab's records lie: every one is less than 32 GiB past this
 * (a reserved range, slab.c), at a multiple of 8 bytes, so
 * (record - base) / 8 names it in 32 bits, never 0.  Valid until the
 * slab goes (with its last record). */
const char *ss_conn_slab_base(const ss_conn_slab *s);
/* Owner thread: records (linked by next_spare) back for reuse, in O(1). */
void ss_conn_slab_put_chain(ss_conn_slab *s, ss_conn *chain);
/* Owner thread: no record will be allocated again; the records not
 * released yet stay valid until they are.  The owner must not use s after
 * this (it goes with its last record): records are released, not put. */
void ss_conn_slab_close(ss_conn_slab *s);
/* What the slab did (owner thread, or after the owner closed it). */
typedef struct {
	guint chunks;         /* chunks records were cut from */
	guint chunks_ahead;   /* of them, made ahead by the helper */
} ss_conn_slab_stats;
const ss_conn_slab_stats *ss_conn_slab_get_stats(const ss_conn_slab *s);
/* Owner thread, for tests: waits until the helper has all the chunks it
 * keeps ahead ready (no wait when none was started yet). */
void ss_conn_slab_wait_ahead(ss_conn_slab *s);
/* Any thread: record c (from some slab) is done with. */
void ss_conn_slab_release(ss_conn *c);

#endif
