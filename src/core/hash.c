/* The per-process key of ss_hash_bytes() (sockscope/hash.h): kept apart from
 * the inline hash so that the key is chosen once, lazily, and thread-safely;
 * and the key and portable fallback of ss_hash3(), the AES-round hash of a
 * packed key (inline in the header). */
#include "sockscope/hash.h"

#include <pthread.h>

/* Both keys are made once, by whichever thread asks first (compare mode
 * reads its two captures on two threads from the start).  Not g_once: its
 * slow path is inside glib, on futexes ThreadSanitizer cannot see, so a
 * second thread's first read of a key made on another looked like a race
 * (the TSan stage's compare tests, once the roll-ups' sets hashed with
 * ss_hash3_process_key()).  pthread_once() is one TSan follows; the fast
 * path stays one atomic load, as g_once_init_enter()'s. */
static guint64 hash_key[2];
static gint hash_key_made;
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void make_hash_key(void)
{
	for (int i = 0; i < 2; i++)
		hash_key[i] = ((guint64)g_random_int() << 32) | g_random_int();
	g_atomic_int_set(&hash_key_made, 1);
}

const guint64 *ss_hash_key(void)
{
	if (G_UNLIKELY(!g_atomic_int_get(&hash_key_made)))
		pthread_once(&hash_key_once, make_hash_key);
	return hash_key;
}

void ss_hash3_key_init(ss_hash3_key *k)
{
	const guint64 *pk = ss_hash_key();
	ss_hash3_key_init_seeded(k, pk[0] ^ 0x243f6a8885a308d3ULL, pk[1]);
}

static ss_hash3_key process_key;
static gint process_key_made;
static pthread_once_t process_key_once = PTHREAD_ONCE_INIT;

static void make_process_key(void)
{
	ss_hash3_key_init(&process_key);
	g_atomic_int_set(&process_key_made, 1);
}

const ss_hash3_key *ss_hash3_process_key(void)
{
	if (G_UNLIKELY(!g_atomic_int_get(&process_key_made)))
		pthread_once(&process_key_once, make_process_key);
	return &process_key;
}

void ss_hash3_key_init_seeded(ss_hash3_key *k, guint64 k0, guint64 k1)
{
	for (guint64 i = 0; i < G_N_ELEMENTS(k->rk); i++)
		k->rk[i] = ss_siphash13(&i, sizeof i, k0, k1);
#ifdef SS_HASH3_AES
	k->aes = __builtin_cpu_supports("aes");
#else
	k->aes = FALSE;
#endif
}

guint64 ss_hash3_portable(const ss_hash3_key *k, guint64 w0, guint64 w1, guint64 w2)
{
	(void)k;
	guint64 w[3] = { w0, w1, w2 };
	const guint64 *pk = ss_hash_key();
	return ss_siphash13(w, sizeof w, pk[0], pk[1]);
}
