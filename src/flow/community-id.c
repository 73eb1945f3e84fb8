/* Community ID v1.  See include/sockscope/community-id.h and the spec's
 * README.
 *
 * Every jsonl/json/ecs/zeek record carries one, so this runs once per
 * record.  The SHA-1 is OpenSSL libcrypto's low-level SHA1_Transform
 * (one padded block from SHA-1's initial state, below): its assembly picks SHA-NI
 * (x86), the ARMv8 SHA-1 instructions or a SIMD/scalar fallback at run
 * time, with no allocation and no algorithm fetch.  Measured on the
 * project machine (bench/community-id.c, docs/performance.md "Community ID
 * on libcrypto"): the whole ID went from ~350 ns with the hand-written
 * scalar SHA-1 this replaces to ~73 ns with SHA1_Init/Update/Final (~12%
 * less again with the one block, "Writer and findings, eleventh
 * session"); the SHA-1 alone costs 49 ns with SHA1_Init/Update/Final,
 * 86 ns with EVP and a reused context (which would need per-thread state
 * here), 166 ns with GChecksum and 297 ns with OpenSSL 3's one-shot
 * SHA1() (it fetches the algorithm on every call).  The low-level calls are deprecated in OpenSSL
 * 3.0 but present throughout 3.x; should they go, the EVP route with a
 * context per thread is the next best.  The base64 stays by hand: 20 bytes
 * into a stack buffer, no g_base64_encode() allocation.  The unit test
 * checks the spec's vectors. */
#define OPENSSL_API_COMPAT 10101   /* SHA1_Init & co. without deprecation warnings */
#include <openssl/sha.h>
#include <string.h>

#include "sockscope/community-id.h"

/* Standard base64 (RFC 4648, with padding) of 20 bytes: 28 characters. */
static void base64_20(const guint8 in[20], char out[29])
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = out;
	int i = 0;
	for (; i + 3 <= 20; i += 3) {
		guint32 v = (guint32)in[i] << 16 | (guint32)in[i + 1] << 8 | in[i + 2];
		*o++ = abc[v >> 18];
		*o++ = abc[(v >> 12) & 63];
		*o++ = abc[(v >> 6) & 63];
		*o++ = abc[v & 63];
	}
	/* Two bytes left: three characters and one '='. */
	guint32 v = (guint32)in[i] << 16 | (guint32)in[i + 1] << 8;
	*o++ = abc[v >> 18];
	*o++ = abc[(v >> 12) & 63];
	*o++ = abc[(v >> 6) & 63];
	*o++ = '=';
	*o = '\0';
}

/* memcmp's sign for 4 or 16 address bytes, from big-endian words in
 * registers: the call to memcmp was ~1.7% of the writer thread on
 * mixed.pcap (perf; docs/performance.md, "Writer and findings, twelfth
 * session"). */
static int addr_cmp(const guint8 *a, const guint8 *b, gsize alen)
{
	if (alen == 4) {
		guint32 x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		x = GUINT32_FROM_BE(x);
		y = GUINT32_FROM_BE(y);
		return (x > y) - (x < y);
	}
	for (gsize i = 0; i < alen; i += 8) {
		guint64 x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		x = GUINT64_FROM_BE(x);
		y = GUINT64_FROM_BE(y);
		if (x != y)
			return x > y ? 1 : -1;
	}
	return 0;
}

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58, PROTO_SCTP = 132 };

/* 16 bytes in one register: stored with one instruction. */
typedef guint64 v2u64 __attribute__((vector_size(16)));

/* The block of an IPv4 tuple (seed, addresses, protocol, pad, the ports
 * when `ports`; then SHA-1's padding) as four 16-byte stores of words
 * made in registers.  SHA1_Transform reads the block with 16-byte loads
 * at once: written a byte or a word at a time, each load waited for those
 * stores to reach the cache (a failed store forward: perf put the SHA-1's
 * largest sample right after its first loads, 2-4% of the writer thread
 * on mixed.pcap; docs/performance.md, "Writer and findings, twelfth
 * session").  Little-endian hosts only (FALSE elsewhere: block_bytes). */
static gboolean block_ip4(guint8 block[64], guint16 seed, const guint8 *sa, const guint8 *da,
			  guint8 proto, gboolean ports, guint16 sport, guint16 dport)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	guint32 s, d;
	memcpy(&s, sa, 4);
	memcpy(&d, da, 4);
	/* bytes 0-7: the seed (big-endian), saddr, daddr's first two */
	guint64 w0 = (guint64)GUINT16_TO_BE(seed) | (guint64)s << 16 | (guint64)(d & 0xFFFF) << 48;
	/* bytes 8-15: daddr's last two, proto, the pad 0, then the ports
	 * or the padding's 0x80 */
	guint64 w1 = (guint64)(d >> 16) | (guint64)proto << 16;
	guint64 w2 = 0, n = 12;
	if (ports) {
		w1 |= (guint64)GUINT16_TO_BE(sport) << 32 | (guint64)GUINT16_TO_BE(dport) << 48;
		w2 = 0x80;
		n = 16;
	} else {
		w1 |= (guint64)0x80 << 32;
	}
	const v2u64 q0 = { w0, w1 }, q1 = { w2, 0 }, q2 = { 0, 0 },
		    q3 = { 0, GUINT64_TO_BE(n * 8) };   /* the length in bits */
	memcpy(block, &q0, 16);
	memcpy(block + 16, &q1, 16);
	memcpy(block + 32, &q2, 16);
	memcpy(block + 48, &q3, 16);
	return TRUE;
#else
	(void)block, (void)seed, (void)sa, (void)da, (void)proto, (void)ports;
	(void)sport, (void)dport;
	return FALSE;
#endif
}

/* The block of any tuple, a byte or a word at a time:
 * seed(2) saddr(4|16) daddr(4|16) proto(1) pad(1) [sport(2) dport(2)],
 * at most 40 bytes, then SHA-1's padding (0x80, zeros, the length in
 * bits in the last 8 bytes). */
static void block_bytes(guint8 block[64], guint16 seed, const guint8 *sa, const guint8 *da,
			gsize alen, guint8 proto, gboolean ports, guint16 sport, guint16 dport)
{
	memset(block, 0, 64);
	gsize n = 0;
	block[n++] = (guint8)(seed >> 8);
	block[n++] = (guint8)seed;
	if (alen == 4) {   /* copies of a constant length: no call to memcpy */
		memcpy(block + n, sa, 4);
		memcpy(block + n + 4, da, 4);
	} else {
		memcpy(block + n, sa, 16);
		memcpy(block + n + 16, da, 16);
	}
	n += 2 * alen;
	block[n++] = proto;
	block[n++] = 0;
	if (ports) {
		block[n++] = (guint8)(sport >> 8);
		block[n++] = (guint8)sport;
		block[n++] = (guint8)(dport >> 8);
		block[n++] = (guint8)dport;
	}
	G_STATIC_ASSERT(2 + 16 + 16 + 2 + 4 < 64 - 8);   /* the 0x80 and the length fit */
	block[n] = 0x80;
	guint64 bits = (guint64)n * 8;
	for (int i = 0; i < 8; i++)
		block[63 - i] = (guint8)(bits >> (8 * i));
}

gboolean ss_community_id(guint8 family, guint8 proto,
			 const ss_ip *saddr, guint16 sport,
			 const ss_ip *daddr, guint16 dport,
			 guint16 seed, char out[SS_COMMUNITY_ID_LEN])
{
	gsize alen;
	out[0] = '\0';
	if (family == SS_FAMILY_IPV4)
		alen = 4;
	else if (family == SS_FAMILY_IPV6)
		alen = 16;
	else
		return FALSE;
	if (proto == PROTO_ICMP || proto == PROTO_ICMPV6)
		return FALSE;
	gboolean ports = proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP;
	if (!ports)
		sport = dport = 0;

	/* Smaller address first; equal addresses: smaller port first. */
	int c = addr_cmp(saddr->bytes, daddr->bytes, alen);
	if (c > 0 || (c == 0 && sport > dport)) {
		const ss_ip *t = saddr;
		saddr = daddr;
		daddr = t;
		guint16 tp = sport;
		sport = dport;
		dport = tp;
	}

	/* The tuple (at most 40 bytes) and SHA-1's padding are one 64-byte
	 * block, hashed with one SHA1_Transform.  SHA1_Update then
	 * SHA1_Final copied the tuple into the context, padded it there and
	 * cleansed it after: their calls and copies were about a quarter of
	 * the ID's samples on the writer thread (perf, mixed.pcap;
	 * docs/performance.md, "Writer and findings, eleventh session"). */
	guint8 block[64];
	if (alen != 4 ||
	    !block_ip4(block, seed, saddr->bytes, daddr->bytes, proto, ports, sport, dport))
		block_bytes(block, seed, saddr->bytes, daddr->bytes, alen, proto, ports, sport,
			    dport);

	/* SHA-1's initial state (FIPS 180-4, 5.3.1), all of the context that
	 * SHA1_Transform reads, set here instead of by a call to SHA1_Init
	 * (~1% of the writer thread on mixed.pcap, perf); h0-h3 as one
	 * 16-byte copy, which SHA1_Transform loads as one (stored as four
	 * words, that load waited for them, as the block's did). */
	static const SHA_LONG iv[4] = { 0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u };
	G_STATIC_ASSERT(G_STRUCT_OFFSET(SHA_CTX, h3) == G_STRUCT_OFFSET(SHA_CTX, h0) + 12);
	SHA_CTX sha;
	memcpy((char *)&sha + G_STRUCT_OFFSET(SHA_CTX, h0), iv, sizeof iv);
	sha.h4 = 0xC3D2E1F0u;
	SHA1_Transform(&sha, block);
	const SHA_LONG h[5] = { sha.h0, sha.h1, sha.h2, sha.h3, sha.h4 };
	guint8 digest[SHA_DIGEST_LENGTH];
	for (int i = 0; i < 5; i++) {
		digest[4 * i] = (guint8)(h[i] >> 24);
		digest[4 * i + 1] = (guint8)(h[i] >> 16);
		digest[4 * i + 2] = (guint8)(h[i] >> 8);
		digest[4 * i + 3] = (guint8)h[i];
	}
	out[0] = '1';
	out[1] = ':';
	base64_20(digest, out + 2);   /* 28 characters and the NUL */
	return TRUE;
}

gboolean ss_community_id_key(const ss_flow_key *key, guint16 seed, char out[SS_COMMUNITY_ID_LEN])
{
	return ss_community_id(key->family, key->proto, &key->addr[0], key->port[0],
			       &key->addr[1], key->port[1], seed, out);
}

gboolean ss_community_id_conn(const ss_conn *c, guint16 seed, char out[SS_COMMUNITY_ID_LEN])
{
	return ss_community_id(c->family, c->proto, ss_conn_ip(c, 0), ss_conn_port(c, 0),
			       ss_conn_ip(c, 1), ss_conn_port(c, 1), seed, out);
}
