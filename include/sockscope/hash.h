/* The one hash for sockscope's tables whose keys come from a capture:
 * SipHash-1-3 keyed once per process at random (ss_hash_key()), so
 * addresses and ports an attacker puts in a capture cannot be crafted to
 * pile into one bucket (Suricata's flow-hash.c does the same).  The flow
 * table uses the same function with its own per-run key; every other table
 * (listener, host, role, finding accumulators, the graph, the anonymizer's
 * pseudonym cache, the IP sets) hashes its fixed-size, zero-padded key with
 * ss_hash_bytes(), and a GHashTable over such keys gets its hash/equal pair
 * from SS_BYTES_KEY_FUNCS() instead of a hand-written copy. */
#ifndef SOCKSCOPE_HASH_H
#define SOCKSCOPE_HASH_H

#include <glib.h>
#include <string.h>

#define SS_ROTL64(x, b) (guint64)(((x) << (b)) | ((x) >> (64 - (b))))

#define SS_SIPROUND(v0, v1, v2, v3)                                                      \
	do {                                                                             \
		v0 += v1; v1 = SS_ROTL64(v1, 13); v1 ^= v0; v0 = SS_ROTL64(v0, 32);      \
		v2 += v3; v3 = SS_ROTL64(v3, 16); v3 ^= v2;                              \
		v0 += v3; v3 = SS_ROTL64(v3, 21); v3 ^= v0;                              \
		v2 += v1; v1 = SS_ROTL64(v1, 17); v1 ^= v2; v2 = SS_ROTL64(v2, 32);      \
	} while (0)

/* SipHash-1-3 of n bytes under the 128-bit key (k0, k1).  Inline: every
 * caller hashes a key of a size known at compile time, so the loop unrolls
 * and the tail is a constant. */
G_ALWAYS_INLINE static inline guint64 ss_siphash13(const void *p, gsize n, guint64 k0, guint64 k1)
{
	guint64 v0 = 0x736f6d6570736575ULL ^ k0;
	guint64 v1 = 0x646f72616e646f6dULL ^ k1;
	guint64 v2 = 0x6c7967656e657261ULL ^ k0;
	guint64 v3 = 0x7465646279746573ULL ^ k1;
	const guint8 *b = p;
	gsize i = 0;
	for (; i + 8 <= n; i += 8) {
		guint64 m;
		memcpy(&m, b + i, 8);
		m = GUINT64_FROM_LE(m);
		v3 ^= m;
		SS_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	/* The 0-7 tail bytes, little-endian, in one load (n is a constant
	 * wherever this is inlined, so memcpy is a fixed-size move). */
	guint64 tail = 0;
	memcpy(&tail, b + i, n - i);
	guint64 last = ((guint64)n << 56) | GUINT64_FROM_LE(tail);
	v3 ^= last;
	SS_SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	SS_SIPROUND(v0, v1, v2, v3);
	SS_SIPROUND(v0, v1, v2, v3);
	SS_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The process's 128-bit hash key: two random words chosen once (GLib's own
 * hash tables are seeded per process the same way; nothing in sockscope's
 * output depends on a table's order). */
const guint64 *ss_hash_key(void);

/* Hash of a small fixed-size key (16 to 48 bytes, zero-padded so that equal
 * keys are equal bytes) under the process key. */
G_ALWAYS_INLINE static inline guint ss_hash_bytes(const void *p, gsize n)
{
	const guint64 *k = ss_hash_key();
	return (guint)ss_siphash13(p, n, k[0], k[1]);
}

/* A cheaper keyed hash of three words (a roll-up's packed IPv4 key) for
 * the per-record tables and the flow tables' IPv4 keys (flow/hasher.c):
 * where the CPU has AES-NI, the first two words go through three AES
 * rounds under random round keys and the third joins after the first
 * round; elsewhere SipHash-1-3 of the 24 bytes under the process key (the
 * flow-key hasher checks `aes` and hashes with its own SipHash instead).  Still
 * seeded (the round keys come from ss_hash_key() or the caller's seeds), so crafted
 * traffic cannot aim at buckets; about 25 instructions against ~250 for
 * SipHash of a 48-byte key (docs/performance.md, "The writer thread"). */
typedef struct {
	guint64 rk[8];
	gboolean aes;   /* the CPU has AES-NI */
} ss_hash3_key;

/* Round keys drawn from the process key. */
void ss_hash3_key_init(ss_hash3_key *k);
/* One such key for the process, made once (ss_hash3_key_init()), for the
 * small sets that have no context of their own to keep one in: ss_set64
 * and ss_ip_set, of which there are thousands (a key is 72 bytes). */
const ss_hash3_key *ss_hash3_process_key(void);
/* Round keys drawn from a key of the caller's (the flow table's per-run
 * seeds). */
void ss_hash3_key_init_seeded(ss_hash3_key *k, guint64 k0, guint64 k1);
/* ss_hash3() where the CPU has no AES-NI: SipHash-1-3 of the three words. */
guint64 ss_hash3_portable(const ss_hash3_key *k, guint64 w0, guint64 w1, guint64 w2);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SS_HASH3_AES 1
#include <emmintrin.h>

/* One AES round of state s under round key rk.  Inline assembly, not the
 * _mm_aesenc_si128 intrinsic: the intrinsic needs a function compiled for
 * AES-NI (target("aes")), which GCC never inlines into one compiled
 * without it, so every hash was two calls (ss_hash3 testing `aes`, then
 * the AES function).  The assembler takes the instruction whatever the
 * compiler's target, and it runs only where `aes` said the CPU has it.
 * Register operands only: the legacy-SSE encoding faults on a memory
 * operand that is not 16-aligned, and the round keys are 8-aligned. */
#define SS_AESENC(s, rk) __asm__("aesenc %1, %0" : "+x"(s) : "x"(rk))
#endif

/* The hash itself, inline in every caller (the roll-ups' tables and sets,
 * the flow table's IPv4 keys): the calls and the test of `aes` were ~22
 * of its ~35 instructions on the roll thread (callgrind, mixed.pcap:
 * ss_hash3 21.5 M and hash3_aes 29.7 M of the thread's 443 M for 1.65 M
 * hashes; docs/performance.md, "Roll-ups, fourteenth session"). */
G_ALWAYS_INLINE static inline guint64 ss_hash3(const ss_hash3_key *k, guint64 w0, guint64 w1,
					       guint64 w2)
{
#ifdef SS_HASH3_AES
	if (G_LIKELY(k->aes)) {
		__m128i s = _mm_set_epi64x((long long)w1, (long long)w0);
		s = _mm_xor_si128(s, _mm_loadu_si128((const __m128i *)k->rk));
		__m128i r1 = _mm_loadu_si128((const __m128i *)(k->rk + 2));
		__m128i r2 = _mm_loadu_si128((const __m128i *)(k->rk + 4));
		__m128i r3 = _mm_loadu_si128((const __m128i *)(k->rk + 6));
		SS_AESENC(s, r1);
		s = _mm_xor_si128(s, _mm_cvtsi64_si128((long long)w2));
		SS_AESENC(s, r2);
		SS_AESENC(s, r3);
		return (guint64)_mm_cvtsi128_si64(s) ^
		       (guint64)_mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s));
	}
#endif
	return ss_hash3_portable(k, w0, w1, w2);
}

/* Defines `static guint NAME_hash(gconstpointer)` and
 * `static gboolean NAME_equal(gconstpointer, gconstpointer)` for a
 * GHashTable keyed on a zero-initialised TYPE compared bytewise. */
#define SS_BYTES_KEY_FUNCS(NAME, TYPE)                                                   \
	static guint NAME##_hash(gconstpointer p)                                        \
	{                                                                                \
		return ss_hash_bytes(p, sizeof(TYPE));                                   \
	}                                                                                \
	static gboolean NAME##_equal(gconstpointer a, gconstpointer b)                   \
	{                                                                                \
		return memcmp(a, b, sizeof(TYPE)) == 0;                                  \
	}

#endif
