/* The batch ring between the decoding thread and the tracking one
 * (pipeline/track.h). */
#include "pipeline/track.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* The consumer, asleep with nothing to take, is woken once this many
 * batches wait (or when the producer closes the ring). */
#define WAKE_AFTER 16
/* The producer, asleep with no free slot, is woken once only this many
 * batches are left to take: half a ring, ~2 000 packets, ~0.3 ms of the
 * consumer's work on mixed.pcap.  The producer shares its core with the
 * report and slab threads, and the scheduler may run one of those for a
 * slice (0.75 ms here) before it: with 8 batches left (~25 us), as the
 * eleventh session had it, the consumer ran dry and waited on the ring
 * 25-40% of the packet phase (docs/performance.md, "Packet side, twelfth
 * session"). */
#define LEFT_AT_WAKE (SS_TRACK_SLOTS / 2)

/* The consumer tells the producer how far it is (`done`) once every
 * this many batches, and whenever it has taken every batch it saw: each
 * telling is a sequentially consistent store (an xchg, a full fence that
 * waits for the tracking thread's pending stores), and once a batch it
 * cost the consumer ~2% of its packet-phase samples on mixed.pcap
 * (ss_track_take 45 -> 12 samples a run, 5 runs).  The producer's view of the
 * free slots lags by at most DONE_EVERY - 1 batches: never unsafe. */
#define DONE_EVERY 8

#define LINE 64

/* The consumer still reads the batch before its last (one), and the
 * producer's wake-up must come before the ring runs dry. */
G_STATIC_ASSERT(LEFT_AT_WAKE >= DONE_EVERY + 2 && WAKE_AFTER >= 1);

/* Batches are counted from 0 for good (64 bits do not wrap); batch i lies
 * in slot i % SS_TRACK_SLOTS.  The consumer reads batch i until it takes
 * batch i + 2 (ss_lifecycle_push tracks a batch one call late), so
 * `done`, the batches it no longer reads, is one less than those it took;
 * the producer writes batch i once i < done + SS_TRACK_SLOTS. */
struct ss_track {
	/* Set at the start, read by both threads. */
	guint8 *slots;
	guint *lens;               /* of each slot's batch */
	gsize slot_size;
	gboolean prefetchw;        /* the CPU has PREFETCHW (prefetch_for_write) */
	/* Written by the producer (a line of its own, so that the consumer's
	 * reads of the fields above do not miss each time it writes). */
	guint64 sent __attribute__((aligned(LINE)));   /* batches sent */
	guint64 done_seen;         /* its last look at `done` */
	/* Written by the consumer. */
	guint64 done __attribute__((aligned(LINE)));
	guint64 taken;             /* batches taken */
	guint64 sent_seen;         /* its last look at `sent` */
	/* Sleeping.  A side sets its flag, then looks again at what it waits
	 * for, then sleeps; the other side stores its counter, then looks at
	 * the flag (both sequentially consistent, so one of the two sees the
	 * other), and signals under the lock, which the sleeper holds from
	 * its look to its wait: no wake-up is lost.  Neither side takes the
	 * lock when the other is awake. */
	pthread_mutex_t lock __attribute__((aligned(LINE)));
	pthread_cond_t producer_cond, consumer_cond;
	guint64 producer_wants;    /* 0, or the `done` the producer sleeps for */
	gint consumer_sleeps;
	gint closed;               /* the producer sends no more */
};

static guint64 load(const guint64 *v)
{
	return __atomic_load_n(v, __ATOMIC_SEQ_CST);
}

static void store(guint64 *v, guint64 x)
{
	__atomic_store_n(v, x, __ATOMIC_SEQ_CST);
}

/* Whether the CPU has PREFETCHW (CPUID 0x80000001, ECX bit 8: every
 * AMD64 processor, Intel's since Broadwell).  GCC and clang turn
 * __builtin_prefetch(p, 1) into it only when told the target has it
 * (-mprfchw, which x86-64's baseline lacks); otherwise into PREFETCHT0, a
 * read prefetch.  CPUID itself, not __builtin_cpu_supports() as core/hash.c
 * asks for AES: Debian 12's clang rejects "prfchw" there. */
static gboolean cpu_has_prefetchw(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned eax, ebx, ecx, edx;
	return __get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) && (ecx >> 8 & 1);
#else
	return FALSE;
#endif
}

/* Asks for the line holding p in the state a write needs: owned by this
 * core, the other cores' copies dropped (see ss_track_slot).  A hint:
 * nothing is read or written. */
static inline void prefetch_for_write(const ss_track *t, const guint8 *p)
{
#if defined(__x86_64__) || defined(__i386__)
	if (t->prefetchw) {
		__asm__("prefetchw %0" : : "m"(*p));
		return;
	}
#endif
	__builtin_prefetch(p, 1);
}

ss_track *ss_track_new(gsize slot_size)
{
	ss_track *t;
	if (posix_memalign((void **)&t, LINE, sizeof *t) != 0)
		g_error("out of memory: the tracking ring");
	memset(t, 0, sizeof *t);
	t->slot_size = slot_size;
	t->prefetchw = cpu_has_prefetchw();
	/* Line-aligned: a 192-byte packet (sockscope/packet.h) then costs the
	 * consumer the two lines tracking reads, where an 8-byte aligned one
	 * often costs three. */
	if (posix_memalign((void **)&t->slots, LINE, SS_TRACK_SLOTS * slot_size) != 0)
		g_error("out of memory: the tracking ring");
	t->lens = g_new0(guint, SS_TRACK_SLOTS);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->producer_cond, NULL);
	pthread_cond_init(&t->consumer_cond, NULL);
	return t;
}

void ss_track_free(ss_track *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->producer_cond);
	pthread_cond_destroy(&t->consumer_cond);
	free(t->slots);
	g_free(t->lens);
	free(t);
}

/* ---- the producer ---- */

/* Wakes the consumer if it sleeps and has enough to take (or `now`). */
static void consumer_wake(ss_track *t, gboolean now)
{
	if (!__atomic_load_n(&t->consumer_sleeps, __ATOMIC_SEQ_CST))
		return;
	/* `taken` only grows: an old value wakes early, never late */
	if (!now && t->sent - __atomic_load_n(&t->taken, __ATOMIC_RELAXED) < WAKE_AFTER)
		return;
	pthread_mutex_lock(&t->lock);
	pthread_cond_signal(&t->consumer_cond);
	pthread_mutex_unlock(&t->lock);
}

void *ss_track_slot(ss_track *t)
{
	if (t->done_seen + SS_TRACK_SLOTS <= t->sent) {
		t->done_seen = load(&t->done);
		if (t->done_seen + SS_TRACK_SLOTS <= t->sent) {
			/* No free slot: sleep until the consumer is nearly
			 * through (it is awake: a full ring wakes it). */
			consumer_wake(t, TRUE);
			guint64 wants = t->sent - LEFT_AT_WAKE;
			pthread_mutex_lock(&t->lock);
			store(&t->producer_wants, wants);
			while (load(&t->done) < wants)
				pthread_cond_wait(&t->producer_cond, &t->lock);
			store(&t->producer_wants, 0);
			pthread_mutex_unlock(&t->lock);
			t->done_seen = load(&t->done);
		}
	}
	/* The slot after this one, for writing, while this one is filled.
	 * Its lines were last read by the consumer's core, so each of the
	 * feeding thread's stores into it (the decoder's ~190 bytes a packet)
	 * waited for the line to be taken from that core, and the store
	 * buffer filled: on mixed.pcap the decoder's samples sat on stores
	 * behind them.  A read prefetch brings a line shared, and the store
	 * still waits.  With PREFETCHW a batch ahead, the feeding thread's
	 * samples fell by a quarter to a third (docs/performance.md, "The
	 * ring's slots prefetched for writing, sixteenth session").  Only a
	 * slot the consumer is known to be done with: one it still reads (a
	 * full ring) would be taken from under it, and it would miss on every
	 * line of its batch. */
	if (t->sent + 1 < t->done_seen + SS_TRACK_SLOTS) {
		const guint8 *next = t->slots + ((t->sent + 1) % SS_TRACK_SLOTS) * t->slot_size;
		for (gsize off = 0; off < t->slot_size; off += LINE)
			prefetch_for_write(t, next + off);
	}
	return t->slots + (t->sent % SS_TRACK_SLOTS) * t->slot_size;
}

void ss_track_send(ss_track *t, guint n)
{
	t->lens[t->sent % SS_TRACK_SLOTS] = n;
	store(&t->sent, t->sent + 1);
	consumer_wake(t, FALSE);
}

void ss_track_close(ss_track *t)
{
	/* Under the lock, and the last touch of the ring here: the consumer
	 * sees `closed` only under the lock, and may free the ring as soon
	 * as it has (a wake-up after the store, outside the lock, could
	 * touch a freed ring: ThreadSanitizer saw it). */
	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&t->closed, 1, __ATOMIC_SEQ_CST);
	pthread_cond_signal(&t->consumer_cond);
	pthread_mutex_unlock(&t->lock);
}

/* ---- the consumer ---- */

/* Sleeps until a batch is there to take, with WAKE_AFTER of them or the
 * ring closed; FALSE when it is closed and every batch taken. */
static gboolean consumer_sleep(ss_track *t)
{
	guint64 taken = t->taken;
	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&t->consumer_sleeps, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		guint64 sent = load(&t->sent);
		if (sent - taken >= WAKE_AFTER)
			break;
		if (__atomic_load_n(&t->closed, __ATOMIC_SEQ_CST))
			break;
		pthread_cond_wait(&t->consumer_cond, &t->lock);
	}
	__atomic_store_n(&t->consumer_sleeps, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&t->lock);
	return load(&t->sent) > taken;
}

void *ss_track_take(ss_track *t, guint *n)
{
	guint64 done = t->taken - 1;   /* the caller is done with the batch before its last one */
	if (t->taken > 0 && (done % DONE_EVERY == 0 || t->taken == t->sent_seen)) {
		store(&t->done, done);
		guint64 wants = load(&t->producer_wants);
		if (wants != 0 && done >= wants) {
			pthread_mutex_lock(&t->lock);
			pthread_cond_signal(&t->producer_cond);
			pthread_mutex_unlock(&t->lock);
		}
	}
	if (t->taken == t->sent_seen) {
		t->sent_seen = load(&t->sent);
		if (t->taken == t->sent_seen) {
			if (!consumer_sleep(t))
				return NULL;
			t->sent_seen = load(&t->sent);
		}
	}
	guint i = (guint)(t->taken % SS_TRACK_SLOTS);
	__atomic_store_n(&t->taken, t->taken + 1, __ATOMIC_RELAXED);
	*n = t->lens[i];
	return t->slots + i * t->slot_size;
}
