/* The ordered batch stage (pipeline/stage.h): the thread mechanics of the
 * report pipeline, apart from what its stages do (pipeline/analyzer.c). */
#include "pipeline/stage.h"

struct ss_stage {
	GThread *thread;
	GAsyncQueue *full;     /* producer -> consumer */
	GAsyncQueue *empty;    /* and back */
	ss_stage_batch *filling;  /* owned by the producer */
	ss_stage_batch *batches;  /* the pool */
	ss_stage_consume consume;
	void *ctx;
	gsize link_offset;     /* of the `next` pointer in a handed-back item */
	GDestroyNotify item_free;
	gboolean closed;       /* the last batch is sent (ss_stage_close) */
};

static gpointer *link_of(const ss_stage *st, gpointer item)
{
	return (gpointer *)((char *)item + st->link_offset);
}

void ss_stage_chain_push(const ss_stage *st, ss_stage_chain *list, ss_stage_chain chain)
{
	if (!chain.head)
		return;
	*link_of(st, chain.tail) = list->head;
	list->head = chain.head;
	if (!list->tail)
		list->tail = chain.tail;
}

static void free_chain(const ss_stage *st, gpointer item)
{
	while (item) {
		gpointer next = *link_of(st, item);
		st->item_free(item);
		item = next;
	}
}

/* Every batch changes threads through a GAsyncQueue, whose lock already
 * orders the two threads' memory.  glib's GMutex is built on futexes that
 * ThreadSanitizer cannot see, so the hand-over is also stated with an
 * atomic release / acquire pair: redundant at run time (two instructions
 * a batch), it lets a -Db_sanitize=thread build check everything else. */
static void stage_send(GAsyncQueue *q, ss_stage_batch *b)
{
	g_atomic_int_inc(&b->handed);
	g_async_queue_push(q, b);
}

static ss_stage_batch *stage_receive(GAsyncQueue *q)
{
	ss_stage_batch *b = g_async_queue_pop(q);
	(void)g_atomic_int_get(&b->handed);
	return b;
}

static gpointer stage_main(gpointer data)
{
	ss_stage *st = data;
	for (;;) {
		ss_stage_batch *b = stage_receive(st->full);
		st->consume(st->ctx, b);
		gboolean last = b->last;
		b->len = 0;
		b->last = b->sync = FALSE;
		stage_send(st->empty, b);
		if (last)
			return NULL;
	}
}

static void stage_free(ss_stage *st)
{
	for (int i = 0; i < SS_STAGE_BATCHES; i++)
		free_chain(st, st->batches[i].back.head);
	g_async_queue_unref(st->full);
	g_async_queue_unref(st->empty);
	g_free(st->batches);
	g_free(st);
}

ss_stage *ss_stage_new(const char *name, ss_stage_consume consume, void *ctx,
		       gsize link_offset, GDestroyNotify item_free)
{
	ss_stage *st = g_new0(ss_stage, 1);
	st->full = g_async_queue_new();
	st->empty = g_async_queue_new();
	st->batches = g_new0(ss_stage_batch, SS_STAGE_BATCHES);
	st->filling = &st->batches[0];
	for (int i = 1; i < SS_STAGE_BATCHES; i++)
		g_async_queue_push(st->empty, &st->batches[i]);
	st->consume = consume;
	st->ctx = ctx;
	st->link_offset = link_offset;
	st->item_free = item_free;
	st->thread = g_thread_try_new(name, stage_main, st, NULL);
	if (!st->thread) {
		stage_free(st);
		return NULL;
	}
	return st;
}

ss_stage_chain ss_stage_put(ss_stage *st, gpointer item, guint8 kind, gint8 arg)
{
	ss_stage_batch *b = st->filling;
	b->ev[b->len].item = item;
	b->ev[b->len].kind = kind;
	b->ev[b->len].arg = arg;
	if (++b->len < SS_STAGE_BATCH)
		return (ss_stage_chain){ NULL, NULL };
	stage_send(st->full, b);
	st->filling = stage_receive(st->empty);   /* waits for the consumer */
	ss_stage_chain back = st->filling->back;
	st->filling->back = (ss_stage_chain){ NULL, NULL };
	return back;
}

ss_stage_chain ss_stage_drain(ss_stage *st)
{
	st->filling->sync = TRUE;
	stage_send(st->full, st->filling);
	ss_stage_batch *home[SS_STAGE_BATCHES];
	ss_stage_chain back = { NULL, NULL };
	for (int i = 0; i < SS_STAGE_BATCHES; i++) {
		home[i] = stage_receive(st->empty);
		ss_stage_chain_push(st, &back, home[i]->back);
		home[i]->back = (ss_stage_chain){ NULL, NULL };
	}
	st->filling = home[0];
	for (int i = 1; i < SS_STAGE_BATCHES; i++)
		g_async_queue_push(st->empty, home[i]);
	return back;
}

void ss_stage_close(ss_stage *st)
{
	if (st->closed)
		return;
	st->closed = TRUE;
	st->filling->last = TRUE;
	stage_send(st->full, st->filling);
}

void ss_stage_stop(ss_stage *st)
{
	ss_stage_close(st);
	g_thread_join(st->thread);
	stage_free(st);
}
