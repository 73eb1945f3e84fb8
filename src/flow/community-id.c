/* Community ID v1.  See include/sockscope/community-id.h and the spec's
 * README.
 *
 * Every jsonl/json/ecs/zeek record carries one, so this runs once per
 * record: the hashed message is at most 40 bytes, i.e. one SHA-1 block, and
 * a single-block SHA-1 plus base64 by hand cost a fraction of GChecksum's
 * allocation, generic update/finish and g_base64_encode()'s (the unit test
 * checks the spec's vectors; docs/performance.md). */
#include <string.h>

#include "sockscope/community-id.h"

#define ROL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/* SHA-1 (FIPS 180-4) of a message of at most 55 bytes: one padded block. */
static void sha1_short(const guint8 *msg, gsize n, guint8 digest[20])
{
	guint8 block[64];
	guint32 w[80];
	g_assert(n <= 55);
	memset(block, 0, sizeof block);
	memcpy(block, msg, n);
	block[n] = 0x80;
	guint64 bits = (guint64)n * 8;
	for (int i = 0; i < 8; i++)
		block[63 - i] = (guint8)(bits >> (8 * i));
	for (int i = 0; i < 16; i++)
		w[i] = (guint32)block[4 * i] << 24 | (guint32)block[4 * i + 1] << 16 |
		       (guint32)block[4 * i + 2] << 8 | block[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = ROL32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	guint32 h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
	guint32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	/* Four loops of twenty rounds: no per-round test of which round. */
#define SHA1_ROUND(f, k)                                                       \
	do {                                                                   \
		guint32 t = ROL32(a, 5) + (f) + e + (k) + w[i];                \
		e = d;                                                         \
		d = c;                                                         \
		c = ROL32(b, 30);                                              \
		b = a;                                                         \
		a = t;                                                         \
	} while (0)
	int i = 0;
	for (; i < 20; i++)
		SHA1_ROUND((b & c) | (~b & d), 0x5A827999u);
	for (; i < 40; i++)
		SHA1_ROUND(b ^ c ^ d, 0x6ED9EBA1u);
	for (; i < 60; i++)
		SHA1_ROUND((b & c) | (b & d) | (c & d), 0x8F1BBCDCu);
	for (; i < 80; i++)
		SHA1_ROUND(b ^ c ^ d, 0xCA62C1D6u);
#undef SHA1_ROUND
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	for (int j = 0; j < 5; j++) {
		digest[4 * j] = (guint8)(h[j] >> 24);
		digest[4 * j + 1] = (guint8)(h[j] >> 16);
		digest[4 * j + 2] = (guint8)(h[j] >> 8);
		digest[4 * j + 3] = (guint8)h[j];
	}
}

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

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58, PROTO_SCTP = 132 };

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
	int c = memcmp(saddr->bytes, daddr->bytes, alen);
	if (c > 0 || (c == 0 && sport > dport)) {
		const ss_ip *t = saddr;
		saddr = daddr;
		daddr = t;
		guint16 tp = sport;
		sport = dport;
		dport = tp;
	}

	/* seed(2) saddr(4|16) daddr(4|16) proto(1) pad(1) [sport(2) dport(2)] */
	guint8 buf[2 + 16 + 16 + 2 + 4];
	gsize n = 0;
	buf[n++] = (guint8)(seed >> 8);
	buf[n++] = (guint8)seed;
	memcpy(buf + n, saddr->bytes, alen);
	n += alen;
	memcpy(buf + n, daddr->bytes, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (ports) {
		buf[n++] = (guint8)(sport >> 8);
		buf[n++] = (guint8)sport;
		buf[n++] = (guint8)(dport >> 8);
		buf[n++] = (guint8)dport;
	}

	guint8 digest[20];
	sha1_short(buf, n, digest);
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
	return ss_community_id(c->family, c->proto, &c->ep[0].ip, c->ep[0].port,
			       &c->ep[1].ip, c->ep[1].port, seed, out);
}
