/* The per-process key of ss_hash_bytes() (sockscope/hash.h): kept apart from
 * the inline hash so that the key is chosen once, lazily, and thread-safely;
 * and ss_hash3(), the AES-round hash of a packed key, whose intrinsics need
 * a function of their own compiled for AES-NI. */
#include "sockscope/hash.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SS_HASH3_AES 1
#endif

static guint64 hash_key[2];

const guint64 *ss_hash_key(void)
{
	static gsize done;
	if (g_once_init_enter(&done)) {
		for (int i = 0; i < 2; i++)
			hash_key[i] = ((guint64)g_random_int() << 32) | g_random_int();
		g_once_init_leave(&done, 1);
	}
	return hash_key;
}

void ss_hash3_key_init(ss_hash3_key *k)
{
	const guint64 *pk = ss_hash_key();
	ss_hash3_key_init_seeded(k, pk[0] ^ 0x243f6a8885a308d3ULL, pk[1]);
}

const ss_hash3_key *ss_hash3_process_key(void)
{
	static ss_hash3_key key;
	static gsize done;
	if (g_once_init_enter(&done)) {
		ss_hash3_key_init(&key);
		g_once_init_leave(&done, 1);
	}
	return &key;
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

#ifdef SS_HASH3_AES
__attribute__((target("aes"))) static guint64 hash3_aes(const guint64 *rk, guint64 w0,
							 guint64 w1, guint64 w2)
{
	__m128i s = _mm_set_epi64x((long long)w1, (long long)w0);
	s = _mm_xor_si128(s, _mm_loadu_si128((const __m128i *)rk));
	s = _mm_aesenc_si128(s, _mm_loadu_si128((const __m128i *)(rk + 2)));
	s = _mm_xor_si128(s, _mm_cvtsi64_si128((long long)w2));
	s = _mm_aesenc_si128(s, _mm_loadu_si128((const __m128i *)(rk + 4)));
	s = _mm_aesenc_si128(s, _mm_loadu_si128((const __m128i *)(rk + 6)));
	return (guint64)_mm_cvtsi128_si64(s) ^ (guint64)_mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s));
}
#endif

guint64 ss_hash3(const ss_hash3_key *k, guint64 w0, guint64 w1, guint64 w2)
{
#ifdef SS_HASH3_AES
	if (k->aes)
		return hash3_aes(k->rk, w0, w1, w2);
#endif
	guint64 w[3] = { w0, w1, w2 };
	const guint64 *pk = ss_hash_key();
	return ss_siphash13(w, sizeof w, pk[0], pk[1]);
}
