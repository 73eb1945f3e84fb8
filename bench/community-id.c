/* Community ID micro-benchmark: time per ss_community_id() call on
 * realistic IPv4 and IPv6 TCP/UDP tuples, next to the SHA-1 back ends it
 * could use (OpenSSL's low-level SHA1_Init/Update/Final, OpenSSL 3's
 * one-shot SHA1(), EVP with a pre-fetched digest and a reused context,
 * GLib's GChecksum), each on the same serialized 40- and 16-byte messages.
 * The variants run alternately, several rounds, and the median per call is
 * printed: this machine is shared, so single runs are noise.  The recorded
 * numbers are in docs/performance.md.
 *
 * Usage: community-id-bench [calls-per-round [rounds]] */
#define OPENSSL_API_COMPAT 10101   /* SHA1_Init & co. are deprecated in 3.0 */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sockscope/community-id.h"

enum { NTUPLES = 1024, MAXROUNDS = 64 };

typedef struct {
	guint8 family, proto;
	ss_ip saddr, daddr;
	guint16 sport, dport;
	guint8 msg[40];   /* the Community ID input, for the SHA-1-only variants */
	guint8 msglen;
} tuple;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   /* CPU time: the machine is shared */
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Half IPv4, half IPv6, clients in 10.0.0.0/8 / 2001:db8::/32 talking to a
 * few servers: the shape of the bench captures. */
static void make_tuples(tuple *t, int n)
{
	guint32 r = 12345;
	for (int i = 0; i < n; i++) {
		memset(&t[i], 0, sizeof t[i]);
		r = r * 1103515245u + 12345u;
		t[i].family = (i & 1) ? SS_FAMILY_IPV6 : SS_FAMILY_IPV4;
		t[i].proto = (i % 3 == 0) ? 17 : 6;
		int alen = t[i].family == SS_FAMILY_IPV4 ? 4 : 16;
		if (alen == 4) {
			guint8 c[4] = { 10, (guint8)(r >> 24), (guint8)(r >> 16), (guint8)(r >> 8) };
			guint8 s[4] = { 192, 0, 2, (guint8)(1 + (r >> 4) % 8) };
			memcpy(t[i].saddr.bytes, c, 4);
			memcpy(t[i].daddr.bytes, s, 4);
		} else {
			guint8 c[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0,
					 (guint8)(r >> 24), (guint8)(r >> 16), (guint8)(r >> 8), (guint8)r };
			guint8 s[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 (guint8)(1 + (r >> 4) % 8) };
			memcpy(t[i].saddr.bytes, c, 16);
			memcpy(t[i].daddr.bytes, s, 16);
		}
		t[i].sport = (guint16)(32768 + (r >> 8) % 28000);
		t[i].dport = (i % 3 == 0) ? 53 : 443;
		/* The message layout, unsorted: the SHA-1 cost does not care. */
		guint8 *m = t[i].msg;
		int k = 0;
		m[k++] = 0;
		m[k++] = 0;
		memcpy(m + k, t[i].saddr.bytes, alen);
		k += alen;
		memcpy(m + k, t[i].daddr.bytes, alen);
		k += alen;
		m[k++] = t[i].proto;
		m[k++] = 0;
		m[k++] = (guint8)(t[i].sport >> 8);
		m[k++] = (guint8)t[i].sport;
		m[k++] = (guint8)(t[i].dport >> 8);
		m[k++] = (guint8)t[i].dport;
		t[i].msglen = (guint8)k;
	}
}

typedef struct {
	const tuple *t;
	EVP_MD_CTX *evp;
	const EVP_MD *sha1;
	unsigned sink;
} bench_ctx;

typedef void (*variant_fn)(bench_ctx *b, long calls);

static void v_community_id(bench_ctx *b, long calls)
{
	char out[SS_COMMUNITY_ID_LEN];
	for (long i = 0; i < calls; i++) {
		const tuple *t = &b->t[i % NTUPLES];
		ss_community_id(t->family, t->proto, &t->saddr, t->sport, &t->daddr,
				t->dport, 0, out);
		b->sink += (guint8)out[5];
	}
}

static void v_ossl_low(bench_ctx *b, long calls)
{
	unsigned char d[SHA_DIGEST_LENGTH];
	for (long i = 0; i < calls; i++) {
		const tuple *t = &b->t[i % NTUPLES];
		SHA_CTX c;
		SHA1_Init(&c);
		SHA1_Update(&c, t->msg, t->msglen);
		SHA1_Final(d, &c);
		b->sink += d[3];
	}
}

static void v_ossl_oneshot(bench_ctx *b, long calls)
{
	unsigned char d[SHA_DIGEST_LENGTH];
	for (long i = 0; i < calls; i++) {
		const tuple *t = &b->t[i % NTUPLES];
		SHA1(t->msg, t->msglen, d);
		b->sink += d[3];
	}
}

static void v_ossl_evp(bench_ctx *b, long calls)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl;
	for (long i = 0; i < calls; i++) {
		const tuple *t = &b->t[i % NTUPLES];
		EVP_DigestInit_ex(b->evp, b->sha1, NULL);
		EVP_DigestUpdate(b->evp, t->msg, t->msglen);
		EVP_DigestFinal_ex(b->evp, d, &dl);
		b->sink += d[3];
	}
}

static void v_gchecksum(bench_ctx *b, long calls)
{
	guint8 d[20];
	for (long i = 0; i < calls; i++) {
		const tuple *t = &b->t[i % NTUPLES];
		GChecksum *c = g_checksum_new(G_CHECKSUM_SHA1);
		gsize dl = sizeof d;
		g_checksum_update(c, t->msg, t->msglen);
		g_checksum_get_digest(c, d, &dl);
		g_checksum_free(c);
		b->sink += d[3];
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 200000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (calls <= 0 || rounds <= 0 || rounds > MAXROUNDS) {
		fprintf(stderr, "usage: community-id-bench [calls-per-round [rounds 1..%d]]\n",
			MAXROUNDS);
		return 2;
	}
	static tuple tuples[NTUPLES];
	make_tuples(tuples, NTUPLES);
	bench_ctx b = { .t = tuples, .evp = EVP_MD_CTX_new(),
			.sha1 = EVP_MD_fetch(NULL, "SHA1", NULL) };
	if (!b.evp || !b.sha1) {
		fprintf(stderr, "community-id-bench: OpenSSL has no SHA1\n");
		return 1;
	}
	static const struct {
		const char *name;
		variant_fn fn;
	} v[] = {
		{ "ss_community_id (whole ID)", v_community_id },
		{ "OpenSSL SHA1_Init/Update/Final", v_ossl_low },
		{ "OpenSSL SHA1() one-shot", v_ossl_oneshot },
		{ "OpenSSL EVP, reused ctx", v_ossl_evp },
		{ "GLib GChecksum", v_gchecksum },
	};
	enum { NV = sizeof v / sizeof v[0] };
	double ns[NV][MAXROUNDS];
	for (int k = 0; k < NV; k++)
		v[k].fn(&b, calls / 10);   /* warm up */
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NV; k++) {
			double t0 = now_ns();
			v[k].fn(&b, calls);
			ns[k][r] = (now_ns() - t0) / calls;
		}
	printf("%ld calls x %d rounds, alternating; ns per call: median (min-max)\n",
	       calls, rounds);
	for (int k = 0; k < NV; k++) {
		qsort(ns[k], rounds, sizeof ns[k][0], cmp_double);
		printf("  %-32s %7.1f  (%.1f-%.1f)\n", v[k].name, ns[k][rounds / 2], ns[k][0],
		       ns[k][rounds - 1]);
	}
	EVP_MD_CTX_free(b.evp);
	EVP_MD_free((EVP_MD *)b.sha1);
	return b.sink == 0xdeadbeef;   /* keeps the work observable */
}
