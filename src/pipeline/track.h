/* A ring of batches from one thread to another, in order (private to
 * src/pipeline): a feeding thread reads and decodes packets into its
 * slots, and the packet thread takes them and tracks them
 * (ss_lifecycle_push) while the next ones are decoded.
 *
 * Why: in a threaded run on mixed.pcap the packet thread was the critical
 * path of the packet phase (100% busy) while the second core idled about
 * half of it; reading the capture, decoding and the summary's counters
 * were about a third of that thread's samples, tracking the rest
 * (docs/performance.md, "Packet side, eleventh session").
 *
 * The two threads share only the slots and two counters, each written by
 * one side.  A side sleeps only when it cannot go on (no batch to take, no
 * free slot), and is woken only when the other has done a good part of a
 * ring's work, so that the threads meet about once per ring, not once per
 * batch: each futex wake-up of a sleeping thread costs the waker a system
 * call and an interrupt to the other core. */
#ifndef SOCKSCOPE_PIPELINE_TRACK_H
#define SOCKSCOPE_PIPELINE_TRACK_H

#include <glib.h>

/* Slots in the ring: 256 batches of 16 packets (800 KiB of ss_packet),
 * ~0.6 ms of the tracking thread's work on mixed.pcap.  With 64 the
 * tracking thread ran dry while the feeding thread waited for its core
 * (docs/performance.md, "Packet side, twelfth session"); each 64 more
 * cost ~0.25 MiB at many-flows' peak. */
#define SS_TRACK_SLOTS 256

typedef struct ss_track ss_track;

/* A ring of SS_TRACK_SLOTS slots of slot_size bytes. */
ss_track *ss_track_new(gsize slot_size);
/* Once both sides are done with it. */
void ss_track_free(ss_track *t);

/* Producer: the slot to fill next; waits until the consumer is done with
 * it. */
void *ss_track_slot(ss_track *t);
/* Producer: hands the slot ss_track_slot() gave over, with n items. */
void ss_track_send(ss_track *t, guint n);
/* Producer: nothing more will be sent. */
void ss_track_close(ss_track *t);

/* Consumer: the next batch (*n items), waiting for it; NULL once the ring
 * is closed and every batch taken.  The consumer may go on reading the
 * batch before it (ss_lifecycle_push tracks a batch one call late): a
 * batch's slot is written again only after the take of the batch two
 * after it, or after the NULL (the consumer must be done with every batch
 * before it frees the ring). */
void *ss_track_take(ss_track *t, guint *n);

#endif
