/* A generic ordered batch stage: a producer thread hands events to a
 * consumer thread in batches from a fixed pool (private to src/pipeline).
 *
 * The pool is one queue of full batches and one of empty ones, so a slow
 * consumer makes the producer wait instead of piling up work, and the two
 * threads meet once per batch, not per event.  Events are applied in the
 * order they were put.  The consumer may hand items back to the producer
 * with the batch (`back`, a list linked through a pointer at `link_offset`
 * in each item): they come out of ss_stage_put() and ss_stage_drain() on
 * the producer's thread. */
#ifndef SOCKSCOPE_PIPELINE_STAGE_H
#define SOCKSCOPE_PIPELINE_STAGE_H

#include <glib.h>

/* 16 batches of 1024 a stage: at most ~16k events in flight in each. */
#define SS_STAGE_BATCH 1024
#define SS_STAGE_BATCHES 16

typedef struct {
	gpointer item;
	guint8 kind;           /* the caller's event kind */
	gint8 arg;             /* and a small argument */
} ss_stage_event;

/* Items handed back: a list linked through each item's link pointer, with
 * its last item, so that joining two lists never walks one.  Walking them
 * was 2.7% of the 2M-flow capture's time (perf): every written record was
 * read once more, on the report thread, just after the writer's core had
 * written its link. */
typedef struct {
	gpointer head, tail;   /* both NULL when empty */
} ss_stage_chain;

typedef struct {
	guint len;
	gboolean last;         /* the producer is done: stop after this batch */
	gboolean sync;         /* the producer waits until everything is applied */
	gint handed;           /* see stage_send() */
	ss_stage_chain back;   /* items for the producer, filled by the consumer */
	ss_stage_event ev[SS_STAGE_BATCH];
} ss_stage_batch;

/* Applies a batch on the consumer thread; b->last and b->sync say whether
 * the producer is stopping or waiting (a consumer that feeds a stage of its
 * own drains or stops it then). */
typedef void (*ss_stage_consume)(void *ctx, ss_stage_batch *b);

typedef struct ss_stage ss_stage;

/* A stage with its consumer thread, or NULL when no thread could be had
 * (the producer then does the work itself, with the same result).  Items
 * handed back are linked through the gpointer at `link_offset`; those
 * still in the stage when it stops are freed with item_free. */
ss_stage *ss_stage_new(const char *name, ss_stage_consume consume, void *ctx,
		       gsize link_offset, GDestroyNotify item_free);

/* Queues one event; when that fills the batch, sends it and waits for an
 * empty one.  Returns the items that came back with it (or NULL). */
ss_stage_chain ss_stage_put(ss_stage *st, gpointer item, guint8 kind, gint8 arg);

/* Waits until the consumer has applied every event so far (and, through
 * `sync`, whatever it feeds has too); every batch of the pool is then back
 * with the producer.  Returns the items handed back meanwhile. */
ss_stage_chain ss_stage_drain(ss_stage *st);

/* Hands over the last events without waiting: the consumer applies them
 * while the producer does other work; nothing may be put after it, and
 * ss_stage_stop() still has to be called (it then only waits). */
void ss_stage_close(ss_stage *st);

/* Hands over the last events (unless ss_stage_close() did), waits for the
 * consumer to end and frees the stage, with the items still in its
 * batches. */
void ss_stage_stop(ss_stage *st);

/* Puts `item` at the head of *list, linked through the pointer at
 * `link_offset` in it. */
static inline void ss_stage_chain_add(ss_stage_chain *list, gpointer item, gsize link_offset)
{
	*(gpointer *)((char *)item + link_offset) = list->head;
	list->head = item;
	if (!list->tail)
		list->tail = item;
}

/* Puts the items of `chain` on *list (both linked as this stage links). */
void ss_stage_chain_push(const ss_stage *st, ss_stage_chain *list, ss_stage_chain chain);

#endif
