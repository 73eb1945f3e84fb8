/* The batch ring between the feeding thread and the tracking one
 * (src/pipeline/track.c): batches reach the consumer whole and in order,
 * a slot is not written again while the consumer may still read it (until
 * it takes the batch two after it), and closing hands over what is left.
 * Run with pauses on either side, so that each side finds the other
 * asleep, behind and ahead; under ThreadSanitizer in CI (.ci/run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pipeline/track.h"

#define ITEMS 16   /* per slot, as the analyzer's batches */

typedef struct {
	guint64 seq;       /* items in the order sent, from 0 */
	guint64 check;     /* a function of seq: a torn or rewritten item shows */
} item;

static guint64 check_of(guint64 seq)
{
	return seq * 0x9E3779B97F4A7C15ull ^ 0x5bd1e995u;
}

typedef struct {
	guint64 next_seq;  /* the item expected next */
	guint64 batches;   /* taken */
	/* The batch taken last, which the consumer reads again at its next
	 * take: it must be as it was sent. */
	const item *held;
	guint held_n;
	guint64 held_first;
	guint32 rng;
	gboolean failed;
	ss_track *ring;
	gboolean pauses;
} consumer;

static guint32 next_rand(guint32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static gboolean batch_intact(const item *b, guint n, guint64 first)
{
	for (guint i = 0; i < n; i++)
		if (b[i].seq != first + i || b[i].check != check_of(first + i))
			return FALSE;
	return TRUE;
}

/* The consumer's side, as ss_analyzer_track_fed() runs it: it reads
 * each batch at its take and once more at the next take (as
 * ss_lifecycle_push tracks a batch one call late). */
static void consume(consumer *c)
{
	ss_track *t = c->ring;
	void *batch;
	guint n;
	while ((batch = ss_track_take(t, &n)) != NULL) {
		if (c->held && !batch_intact(c->held, c->held_n, c->held_first))
			c->failed = TRUE;   /* the slot it may read was written again */
		const item *b = batch;
		if (n > ITEMS || !batch_intact(b, n, c->next_seq))
			c->failed = TRUE;
		c->held = b;
		c->held_n = n;
		c->held_first = c->next_seq;
		c->next_seq += n;
		c->batches++;
		if (c->pauses && next_rand(&c->rng) % 512 == 0)
			g_usleep(next_rand(&c->rng) % 300);   /* the producer runs ahead */
	}
	/* its last batch is still there after the end */
	if (c->held && !batch_intact(c->held, c->held_n, c->held_first))
		c->failed = TRUE;
}

typedef struct {
	ss_track *ring;
	guint64 batches;
	guint32 seed;
	gboolean pauses;
	guint64 items;     /* out: sent in all */
} producer;

/* The feeding thread's side: `batches` batches of 0-16 items, then the
 * ring closed. */
static gpointer produce(gpointer data)
{
	producer *pr = data;
	ss_track *t = pr->ring;
	guint32 rng = pr->seed;
	guint64 seq = 0;
	for (guint64 k = 0; k < pr->batches; k++) {
		item *b = ss_track_slot(t);
		guint n = next_rand(&rng) % (ITEMS + 1);
		for (guint i = 0; i < n; i++) {
			b[i].seq = seq + i;
			b[i].check = check_of(seq + i);
		}
		seq += n;
		ss_track_send(t, n);
		guint32 r = next_rand(&rng);
		if (pr->pauses && r % 509 == 0)
			g_usleep(r % 300);   /* the consumer catches up and sleeps */
	}
	pr->items = seq;
	ss_track_close(t);
	return NULL;
}

/* A producer thread and this thread as the consumer, which frees the
 * ring as soon as it has seen the end (before the producer is joined, as
 * the analyzer does). */
static void run(guint64 batches, guint32 seed, gboolean producer_pauses,
		gboolean consumer_pauses)
{
	ss_track *t = ss_track_new(ITEMS * sizeof(item));
	consumer c = { .rng = seed ^ 0xa5a5a5a5u, .ring = t, .pauses = consumer_pauses };
	producer pr = { t, batches, seed, producer_pauses, 0 };
	GThread *th = g_thread_new("test-producer", produce, &pr);
	consume(&c);
	ss_track_free(t);
	g_thread_join(th);
	assert_int_equal(c.batches, batches);
	assert_int_equal(c.next_seq, pr.items);
	assert_false(c.failed);
}

static void test_order_and_slots_kept(void **state)
{
	(void)state;
	run(200000, 1, FALSE, FALSE);
	run(100000, 2, FALSE, TRUE);    /* the producer waits for slots */
}

static void test_both_sides_sleep(void **state)
{
	(void)state;
	run(100000, 7, TRUE, FALSE);   /* the consumer waits for batches */
	run(100000, 8, TRUE, TRUE);
}

/* Fewer batches than a ring, then closed: the consumer takes all of them;
 * and a ring closed with nothing sent. */
static void test_close_hands_over_the_rest(void **state)
{
	(void)state;
	run(3, 11, FALSE, FALSE);
	run(SS_TRACK_SLOTS - 1, 12, FALSE, TRUE);
	run(SS_TRACK_SLOTS + 1, 14, FALSE, TRUE);
	run(0, 13, FALSE, FALSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_slots_kept),
		cmocka_unit_test(test_both_sides_sleep),
		cmocka_unit_test(test_close_hands_over_the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
