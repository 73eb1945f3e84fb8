/* The capture-file reader (src/io/capfile.c) on files built here byte by
 * byte: classic pcap in both byte orders, us and ns, the year-2038 seconds;
 * every pcapng block type (SHB, IDB with if_tsresol/if_tsoffset, EPB, SPB,
 * PB, skipped ones) in a file of two sections in opposite byte orders;
 * hostile lengths; the file cut at every byte; gzip; park and resume. */
#define _GNU_SOURCE   /* memfd_create */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "io/capfile.h"
#include "sockscope/analyzer.h"
#include "sockscope/source.h"

/* ---- builders ---- */

typedef struct {
	GByteArray *b;
	gboolean be;     /* write big-endian */
} wr;

static void put32(wr *w, guint32 v)
{
	v = w->be ? GUINT32_TO_BE(v) : GUINT32_TO_LE(v);
	g_byte_array_append(w->b, (const guint8 *)&v, 4);
}

static void put16(wr *w, guint16 v)
{
	v = w->be ? GUINT16_TO_BE(v) : GUINT16_TO_LE(v);
	g_byte_array_append(w->b, (const guint8 *)&v, 2);
}

static void put_bytes(wr *w, const void *p, gsize n)
{
	g_byte_array_append(w->b, p, (guint)n);
	static const guint8 zero[4];
	if (n % 4)
		g_byte_array_append(w->b, zero, (guint)(4 - n % 4));
}

/* A block: type, length, body (padded), length.  Returns its end offset. */
static guint block(wr *w, guint32 type, const GByteArray *body)
{
	guint32 len = 12 + ((body->len + 3) & ~3u);
	put32(w, type);
	put32(w, len);
	put_bytes(w, body->data, body->len);
	put32(w, len);
	return w->b->len;
}

static GByteArray *body_new(void)
{
	return g_byte_array_new();
}

static guint shb(wr *w)
{
	wr bw = { body_new(), w->be };
	put32(&bw, 0x1A2B3C4D);
	put16(&bw, 1);
	put16(&bw, 0);
	put32(&bw, 0xffffffff);   /* section length: unknown */
	put32(&bw, 0xffffffff);
	guint end = block(w, 0x0A0D0D0A, bw.b);
	g_byte_array_unref(bw.b);
	return end;
}

/* tsresol < 0: no option; tsoffset != 0: if_tsoffset */
static guint idb(wr *w, guint16 linktype, guint32 snaplen, int tsresol, gint64 tsoffset)
{
	wr bw = { body_new(), w->be };
	put16(&bw, linktype);
	put16(&bw, 0);
	put32(&bw, snaplen);
	if (tsresol >= 0) {
		put16(&bw, 9);
		put16(&bw, 1);
		guint8 v[4] = { (guint8)tsresol, 0, 0, 0 };
		g_byte_array_append(bw.b, v, 4);
	}
	if (tsoffset) {
		put16(&bw, 14);
		put16(&bw, 8);
		put32(&bw, w->be ? (guint32)((guint64)tsoffset >> 32) : (guint32)tsoffset);
		put32(&bw, w->be ? (guint32)tsoffset : (guint32)((guint64)tsoffset >> 32));
	}
	put16(&bw, 0);
	put16(&bw, 0);
	guint end = block(w, 1, bw.b);
	g_byte_array_unref(bw.b);
	return end;
}

static guint epb(wr *w, guint32 type, guint32 ifid, guint64 ts, const char *data, guint32 wire)
{
	wr bw = { body_new(), w->be };
	guint32 caplen = (guint32)strlen(data);
	if (type == 6) {
		put32(&bw, ifid);
	} else {   /* PB */
		put16(&bw, (guint16)ifid);
		put16(&bw, 0);
	}
	put32(&bw, (guint32)(ts >> 32));
	put32(&bw, (guint32)ts);
	put32(&bw, caplen);
	put32(&bw, wire);
	put_bytes(&bw, data, caplen);
	guint end = block(w, type, bw.b);
	g_byte_array_unref(bw.b);
	return end;
}

static guint spb(wr *w, const char *data, guint32 wire)
{
	wr bw = { body_new(), w->be };
	put32(&bw, wire);
	put_bytes(&bw, data, strlen(data));
	guint end = block(w, 3, bw.b);
	g_byte_array_unref(bw.b);
	return end;
}

static guint other(wr *w, guint32 type, guint n)
{
	wr bw = { body_new(), w->be };
	for (guint i = 0; i < n; i++)
		put32(&bw, 0xdeadbeef);
	guint end = block(w, type, bw.b);
	g_byte_array_unref(bw.b);
	return end;
}

/* The file used by most tests, and the offsets where each block ends. */
typedef struct {
	GByteArray *b;
	guint ends[32];
	guint n_ends;
	guint first_idb_end;
	gboolean packet_at[32];   /* ends[i] closes a packet block */
} ngfile;

#define T0 G_GINT64_CONSTANT(1767225600)   /* 2026-01-01 */

static void mark(ngfile *f, guint end, gboolean packet)
{
	f->packet_at[f->n_ends] = packet;
	f->ends[f->n_ends++] = end;
}

/* Section 1, little-endian: Ethernet us (if 0), raw IP with 2^-20 s units,
 * snaplen 6 and 10 s of if_tsoffset (if 1), ns Ethernet (if 2); EPB, SPB,
 * PB, an NRB, an ISB and an unknown block.  Section 2, big-endian: one
 * interface (NULL, ns), one EPB. */
static ngfile ng_build(void)
{
	ngfile f = { 0 };
	wr w = { g_byte_array_new(), FALSE };
	mark(&f, shb(&w), FALSE);
	mark(&f, idb(&w, 1, 65535, -1, 0), FALSE);
	f.first_idb_end = f.ends[f.n_ends - 1];
	mark(&f, epb(&w, 6, 0, (guint64)T0 * 1000000 + 5, "AAAA", 60), TRUE);
	mark(&f, idb(&w, 101, 6, 0x80 | 20, 10), FALSE);
	mark(&f, other(&w, 4, 3), FALSE);                       /* NRB */
	mark(&f, epb(&w, 6, 1, ((guint64)T0 << 20) + (1u << 19), "BBBBB", 80), TRUE);
	mark(&f, spb(&w, "CCCCCCCCCC", 8), TRUE);                /* caplen = wire = 8 */
	mark(&f, idb(&w, 1, 0, 9, 0), FALSE);
	mark(&f, epb(&w, 2, 2, (guint64)T0 * 1000000000 + 7, "DDD", 3), TRUE);   /* PB */
	mark(&f, other(&w, 5, 6), FALSE);                       /* ISB */
	mark(&f, other(&w, 0x40000BAD, 1), FALSE);              /* unknown */
	w.be = TRUE;
	mark(&f, shb(&w), FALSE);
	mark(&f, idb(&w, 0, 0, 9, 0), FALSE);
	mark(&f, epb(&w, 6, 0, (guint64)T0 * 1000000000 + 9, "EEEEEE", 6), TRUE);
	f.b = w.b;
	return f;
}

/* A real descriptor on the bytes (memfd: seekable, as a file is). */
static int mem_fd(const guint8 *p, gsize n)
{
	int fd = memfd_create("capfile-test", 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static ss_capfile *open_bytes(const guint8 *p, gsize n, int *fd, char **why)
{
	*fd = mem_fd(p, n);
	ss_capfile *f = ss_capfile_open(*fd, NULL, why);
	return f;
}

typedef struct {
	gint64 ts;
	guint32 caplen, wire;
	guint iface;
	char data[16];
} seen;

static void keep(seen *s, const ss_capfile_packet *p)
{
	s->ts = p->ts_ns;
	s->caplen = p->caplen;
	s->wire = p->wirelen;
	s->iface = p->iface;
	memset(s->data, 0, sizeof s->data);
	memcpy(s->data, p->data, MIN(p->caplen, sizeof s->data - 1));
}

/* Reads to the end; returns the count and the last ss_capfile_next() result. */
static guint read_all(ss_capfile *f, seen *out, guint max, int *last)
{
	ss_capfile_packet p;
	guint n = 0;
	int r;
	while ((r = ss_capfile_next(f, &p)) == 1) {
		if (n < max)
			keep(&out[n], &p);
		n++;
	}
	*last = r;
	return n;
}

#define NS G_GINT64_CONSTANT(1000000000)

static void check_ng_packets(const seen *s)
{
	/* EPB on if 0: microseconds */
	assert_int_equal(s[0].ts, T0 * NS + 5000);
	assert_string_equal(s[0].data, "AAAA");
	assert_int_equal(s[0].iface, 0);
	assert_int_equal(s[0].wire, 60);
	/* EPB on if 1: 2^-20 s units, half a second, plus 10 s of offset */
	assert_int_equal(s[1].ts, (T0 + 10) * NS + 500000000);
	assert_int_equal(s[1].iface, 1);
	assert_int_equal(s[1].caplen, 5);   /* caplen is the block's, not cut to snaplen */
	/* SPB: interface 0, caplen bounded by the wire length, the time of the
	 * packet before it */
	assert_int_equal(s[2].iface, 0);
	assert_int_equal(s[2].caplen, 8);
	assert_int_equal(s[2].wire, 8);
	assert_int_equal(s[2].ts, s[1].ts);
	/* PB on if 2: nanoseconds */
	assert_int_equal(s[3].ts, T0 * NS + 7);
	assert_string_equal(s[3].data, "DDD");
	assert_int_equal(s[3].iface, 2);
	/* the big-endian section: its interface 0 is the file's fourth */
	assert_int_equal(s[4].ts, T0 * NS + 9);
	assert_string_equal(s[4].data, "EEEEEE");
	assert_int_equal(s[4].iface, 3);
}

static void test_pcapng_blocks(void **state)
{
	(void)state;
	ngfile ng = ng_build();
	int fd;
	char *why = NULL;
	ss_capfile *f = open_bytes(ng.b->data, ng.b->len, &fd, &why);
	assert_non_null(f);
	assert_int_equal(ss_capfile_get_format(f), SS_CAPFILE_PCAPNG);
	seen s[8];
	int last;
	assert_int_equal(read_all(f, s, 8, &last), 5);
	assert_int_equal(last, 0);
	check_ng_packets(s);
	assert_int_equal(ss_capfile_n_ifaces(f), 4);
	assert_int_equal(ss_capfile_get_iface(f, 1)->linktype, 101);
	assert_int_equal(ss_capfile_get_iface(f, 1)->snaplen, 6);
	assert_int_equal(ss_capfile_get_iface(f, 3)->section, 1);
	assert_int_equal(ss_capfile_get_iface(f, 3)->section_id, 0);
	assert_int_equal(ss_capfile_position(f), ng.b->len);
	ss_capfile_free(f);
	close(fd);
	g_byte_array_unref(ng.b);
}

/* Cut after every byte: opening fails before the first IDB is complete;
 * after it, exactly the packets of the complete blocks come out, then the
 * end (cut between blocks) or -1 with a one-line error (cut inside one). */
static void test_pcapng_every_cut(void **state)
{
	(void)state;
	ngfile ng = ng_build();
	for (guint n = 0; n < ng.b->len; n++) {
		int fd;
		char *why = NULL;
		ss_capfile *f = open_bytes(ng.b->data, n, &fd, &why);
		if (n < ng.first_idb_end) {
			assert_null(f);
			assert_non_null(why);
			assert_null(strchr(why, '\n'));
			g_free(why);
			close(fd);
			continue;
		}
		assert_non_null(f);
		guint want = 0;
		gboolean boundary = FALSE;
		for (guint i = 0; i < ng.n_ends; i++) {
			if (ng.ends[i] <= n)
				want += ng.packet_at[i];
			boundary |= ng.ends[i] == n;
		}
		seen s[8];
		int last;
		guint got = read_all(f, s, 8, &last);
		assert_int_equal(got, want);
		assert_int_equal(last, boundary ? 0 : -1);
		if (!boundary) {
			assert_true(strlen(ss_capfile_error(f)) > 0);
			assert_null(strchr(ss_capfile_error(f), '\n'));
		}
		ss_capfile_free(f);
		close(fd);
	}
	g_byte_array_unref(ng.b);
}

/* Lengths that lie: each is damage (-1 with a reason), never a read past
 * the block or an allocation of what the field claims. */
static void test_pcapng_hostile_lengths(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		guint32 type, len;
		const char *error;
	} cases[] = {
		{ "huge block", 6, 0xfffffff0, "impossible length" },
		{ "not a multiple of 4", 6, 30, "impossible length" },
		{ "shorter than a block", 6, 8, "impossible length" },
		{ "beyond the file", 6, 4096, "truncated" },
	};
	for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
		wr w = { g_byte_array_new(), FALSE };
		shb(&w);
		idb(&w, 1, 0, -1, 0);
		epb(&w, 6, 0, 1, "ok", 2);
		put32(&w, cases[c].type);
		put32(&w, cases[c].len);
		for (int i = 0; i < 8; i++)
			put32(&w, 0);
		int fd;
		char *why = NULL;
		ss_capfile *f = open_bytes(w.b->data, w.b->len, &fd, &why);
		assert_non_null(f);
		seen s[4];
		int last;
		assert_int_equal(read_all(f, s, 4, &last), 1);
		assert_int_equal(last, -1);
		if (!strstr(ss_capfile_error(f), cases[c].error))
			fail_msg("%s: error \"%s\"", cases[c].what, ss_capfile_error(f));
		ss_capfile_free(f);
		close(fd);
		g_byte_array_unref(w.b);
	}

	/* An EPB claiming more bytes than it holds, one for an interface the
	 * section never described, and a trailer that is not the length. */
	for (int c = 0; c < 3; c++) {
		wr w = { g_byte_array_new(), FALSE };
		shb(&w);
		idb(&w, 1, 0, -1, 0);
		if (c == 0) {
			wr bw = { body_new(), FALSE };
			put32(&bw, 0);
			put32(&bw, 0);
			put32(&bw, 0);
			put32(&bw, 1000);   /* caplen */
			put32(&bw, 1000);
			put32(&bw, 0);
			block(&w, 6, bw.b);
			g_byte_array_unref(bw.b);
		} else if (c == 1) {
			epb(&w, 6, 7, 1, "x", 1);
		} else {
			epb(&w, 6, 0, 1, "x", 1);
			w.b->data[w.b->len - 1] ^= 0x40;
		}
		int fd;
		char *why = NULL;
		ss_capfile *f = open_bytes(w.b->data, w.b->len, &fd, &why);
		assert_non_null(f);
		seen s[4];
		int last;
		assert_int_equal(read_all(f, s, 4, &last), 0);
		assert_int_equal(last, -1);
		static const char *const want[] = { "holds", "names interface 7", "does not end" };
		if (!strstr(ss_capfile_error(f), want[c]))
			fail_msg("case %d: error \"%s\"", c, ss_capfile_error(f));
		ss_capfile_free(f);
		close(fd);
		g_byte_array_unref(w.b);
	}
}

/* A classic pcap file header (version 2.4, Ethernet). */
static void pcap_header(wr *w, guint32 magic, guint32 snaplen)
{
	put32(w, magic);
	put16(w, 2);
	put16(w, 4);
	put32(w, 0);
	put32(w, 0);
	put32(w, snaplen);
	put32(w, 1);
}

/* Classic pcap: the four magics, both byte orders; unsigned seconds. */
static GByteArray *pcap_build(guint32 magic, gboolean be, guint32 snaplen)
{
	wr w = { g_byte_array_new(), be };
	pcap_header(&w, magic, snaplen);
	static const guint32 secs[] = { (guint32)T0, 0x7fffffff, 0x80000000u, 0xffffffffu };
	for (gsize i = 0; i < G_N_ELEMENTS(secs); i++) {
		put32(&w, secs[i]);
		put32(&w, 999);
		put32(&w, 4);
		put32(&w, 64);
		if (magic == 0xa1b2cd34) {   /* "modified": ifindex, protocol, type, pad */
			put32(&w, 0);
			put32(&w, 0);
		}
		g_byte_array_append(w.b, (const guint8 *)"WXYZ", 4);
	}
	return w.b;
}

static void test_pcap_classic(void **state)
{
	(void)state;
	static const guint32 magics[] = { 0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34 };
	for (gsize m = 0; m < G_N_ELEMENTS(magics); m++) {
		for (int be = 0; be < 2; be++) {
			GByteArray *b = pcap_build(magics[m], be, 65535);
			int fd;
			char *why = NULL;
			ss_capfile *f = open_bytes(b->data, b->len, &fd, &why);
			assert_non_null(f);
			assert_int_equal(ss_capfile_get_format(f), SS_CAPFILE_PCAP);
			seen s[8];
			int last;
			assert_int_equal(read_all(f, s, 8, &last), 4);
			assert_int_equal(last, 0);
			gint64 frac = magics[m] == 0xa1b23c4d ? 999 : 999000;
			assert_int_equal(s[0].ts, T0 * NS + frac);
			assert_int_equal(s[1].ts, G_GINT64_CONSTANT(0x7fffffff) * NS + frac);
			/* Year 2038: 2^31 s is 2038-01-19T03:14:08Z, not 1901; the
			 * last second of 32 bits is 2106-02-07T06:28:15Z. */
			assert_int_equal(s[2].ts, G_GINT64_CONSTANT(2147483648) * NS + frac);
			assert_int_equal(s[3].ts, G_GINT64_CONSTANT(4294967295) * NS + frac);
			assert_string_equal(s[3].data, "WXYZ");
			assert_int_equal(s[3].wire, 64);
			ss_capfile_free(f);
			close(fd);
			g_byte_array_unref(b);
		}
	}
}

/* Every cut of a classic file: packets of the complete records, then the
 * end or a one-line error; header cuts refuse to open. */
static void test_pcap_every_cut(void **state)
{
	(void)state;
	GByteArray *b = pcap_build(0xa1b2c3d4, FALSE, 65535);
	for (guint n = 0; n < b->len; n++) {
		int fd;
		char *why = NULL;
		ss_capfile *f = open_bytes(b->data, n, &fd, &why);
		if (n < 24) {
			assert_null(f);
			assert_string_equal(why, n == 0 ? "empty file (no capture header)" :
					    "capture file header is truncated");
			g_free(why);
			close(fd);
			continue;
		}
		seen s[8];
		int last;
		assert_int_equal(read_all(f, s, 8, &last), (n - 24) / 20);
		assert_int_equal(last, (n - 24) % 20 ? -1 : 0);
		ss_capfile_free(f);
		close(fd);
	}
	g_byte_array_unref(b);
}

static GByteArray *gzip(const GByteArray *in)
{
	z_stream z = { 0 };
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	GByteArray *out = g_byte_array_sized_new(in->len + 64);
	g_byte_array_set_size(out, (guint)deflateBound(&z, in->len));
	z.next_in = in->data;
	z.avail_in = in->len;
	z.next_out = out->data;
	z.avail_out = out->len;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	g_byte_array_set_size(out, (guint)z.total_out);
	deflateEnd(&z);
	return out;
}

/* gzip: the same packets; a cut gzip stream is damage, reported after the
 * packets before it; two members one after the other read as one. */
static void test_gzip(void **state)
{
	(void)state;
	ngfile ng = ng_build();
	GByteArray *gz = gzip(ng.b);
	int fd;
	char *why = NULL;
	ss_capfile *f = open_bytes(gz->data, gz->len, &fd, &why);
	assert_non_null(f);
	assert_true(ss_capfile_gzip(f));
	seen s[8];
	int last;
	assert_int_equal(read_all(f, s, 8, &last), 5);
	assert_int_equal(last, 0);
	check_ng_packets(s);
	ss_capfile_free(f);
	close(fd);

	f = open_bytes(gz->data, gz->len - 12, &fd, &why);
	assert_non_null(f);
	guint n = read_all(f, s, 8, &last);
	assert_true(n <= 5);
	assert_int_equal(last, -1);
	ss_capfile_free(f);
	close(fd);

	/* A classic file split into two gzip members. */
	GByteArray *pc = pcap_build(0xa1b2c3d4, FALSE, 65535);
	GByteArray *h1 = g_byte_array_new(), *h2 = g_byte_array_new();
	g_byte_array_append(h1, pc->data, 50);
	g_byte_array_append(h2, pc->data + 50, pc->len - 50);
	GByteArray *z1 = gzip(h1), *z2 = gzip(h2);
	g_byte_array_append(z1, z2->data, z2->len);
	f = open_bytes(z1->data, z1->len, &fd, &why);
	assert_non_null(f);
	assert_int_equal(read_all(f, s, 8, &last), 4);
	assert_int_equal(last, 0);
	ss_capfile_free(f);
	close(fd);

	/* gzip of something else */
	GByteArray *junk = g_byte_array_new();
	g_byte_array_append(junk, (const guint8 *)"hello, world", 12);
	GByteArray *zj = gzip(junk);
	f = open_bytes(zj->data, zj->len, &fd, &why);
	assert_null(f);
	assert_non_null(strstr(why, "gzip"));
	g_free(why);
	close(fd);

	for (GByteArray **p = (GByteArray *[]){ gz, pc, h1, h2, z1, z2, junk, zj, ng.b, NULL }; *p; p++)
		g_byte_array_unref(*p);
}

/* Parking after every packet (plain and gzip): the same packets as
 * reading straight through, from a new descriptor each time. */
static void test_park_resume(void **state)
{
	(void)state;
	ngfile ng = ng_build();
	GByteArray *gz = gzip(ng.b);
	for (int z = 0; z < 2; z++) {
		GByteArray *b = z ? gz : ng.b;
		int fd = mem_fd(b->data, b->len);
		char *why = NULL;
		ss_capfile *f = ss_capfile_open(fd, NULL, &why);
		assert_non_null(f);
		seen s[8];
		ss_capfile_packet p;
		guint n = 0;
		int r;
		while ((r = ss_capfile_next(f, &p)) == 1) {
			ss_capfile_park(f, &p);
			int fd2 = dup(fd);
			close(fd);
			fd = fd2;
			lseek(fd, 3, SEEK_SET);   /* resume must seek back itself */
			keep(&s[n++], &p);
			assert_true(ss_capfile_resume(f, fd));
		}
		assert_int_equal(r, 0);
		assert_int_equal(n, 5);
		check_ng_packets(s);
		ss_capfile_free(f);
		close(fd);
	}
	g_byte_array_unref(gz);
	g_byte_array_unref(ng.b);
}

/* Parking right after a 0-byte packet (fuzz-capfile found memcpy() to a
 * NULL hold buffer): the packet keeps a valid, empty data pointer. */
static void test_park_empty_packet(void **state)
{
	(void)state;
	wr w = { g_byte_array_new(), FALSE };
	shb(&w);
	idb(&w, 1, 0, -1, 0);
	epb(&w, 6, 0, 1, "", 0);
	epb(&w, 6, 0, 2, "x", 1);
	int fd = mem_fd(w.b->data, w.b->len);
	char *why = NULL;
	ss_capfile *f = ss_capfile_open(fd, NULL, &why);
	assert_non_null(f);
	ss_capfile_packet p;
	assert_int_equal(ss_capfile_next(f, &p), 1);
	assert_int_equal(p.caplen, 0);
	ss_capfile_park(f, &p);
	assert_non_null(p.data);
	assert_true(ss_capfile_resume(f, fd));
	assert_int_equal(ss_capfile_next(f, &p), 1);
	assert_int_equal(p.caplen, 1);
	assert_int_equal(ss_capfile_next(f, &p), 0);
	ss_capfile_free(f);
	close(fd);
	g_byte_array_unref(w.b);
}

/* The stdio path (fmemopen: the fuzzer's and the regression tests'). */
static void test_stream(void **state)
{
	(void)state;
	ngfile ng = ng_build();
	FILE *fp = fmemopen(ng.b->data, ng.b->len, "rb");
	char *why = NULL;
	ss_capfile *f = ss_capfile_open(-1, fp, &why);
	assert_non_null(f);
	seen s[8];
	int last;
	assert_int_equal(read_all(f, s, 8, &last), 5);
	assert_int_equal(last, 0);
	check_ng_packets(s);
	ss_capfile_free(f);
	fclose(fp);
	g_byte_array_unref(ng.b);
}

/* ---- parking across records of every size ---- */

/* A classic pcap of n packets of sizes from 14 bytes to 200 KB (some
 * longer than the reader's 128 KiB reads), each with its own bytes. */
static GByteArray *pcap_sizes(guint n)
{
	wr w = { g_byte_array_new(), FALSE };
	pcap_header(&w, 0xa1b2c3d4, SS_CAPFILE_MAX_SNAPLEN);
	GRand *rng = g_rand_new_with_seed(14);
	guint8 *frame = g_malloc(200000);
	for (guint i = 0; i < n; i++) {
		guint len = i % 97 == 5 ? (guint)g_rand_int_range(rng, 60000, 200000)
					: (guint)g_rand_int_range(rng, 14, 1600);
		for (guint j = 0; j < len; j++)
			frame[j] = (guint8)(i * 7 + j * 13);
		put32(&w, (guint32)T0 + i);
		put32(&w, i);
		put32(&w, len);
		put32(&w, len);
		g_byte_array_append(w.b, frame, len);
	}
	g_free(frame);
	g_rand_free(rng);
	return w.b;
}

/* Every packet (time, lengths, a checksum of its bytes), the last
 * result, the error and the position, after parking at packet `park_at`
 * (0: never) and reading on from a new descriptor. */
static char *read_log(const GByteArray *b, guint park_at)
{
	int fd;
	char *why = NULL;
	ss_capfile *f = open_bytes(b->data, b->len, &fd, &why);
	assert_non_null(f);
	GString *log = g_string_new(NULL);
	ss_capfile_packet p;
	int r;
	guint n = 0;
	while ((r = ss_capfile_next(f, &p)) == 1) {
		if (++n == park_at) {
			ss_capfile_park(f, &p);
			int fd2 = dup(fd);
			close(fd);
			fd = fd2;
			assert_true(ss_capfile_resume(f, fd));
		}
		guint32 sum = 0;
		for (guint32 i = 0; i < p.caplen; i++)
			sum = sum * 31 + p.data[i];
		g_string_append_printf(log, "%" G_GINT64_FORMAT " %u %u %08x\n", p.ts_ns, p.caplen,
				       p.wirelen, sum);
	}
	g_string_append_printf(log, "end %d %s at %" G_GUINT64_FORMAT "\n", r, ss_capfile_error(f),
			       ss_capfile_position(f));
	ss_capfile_free(f);
	close(fd);
	return g_string_free(log, FALSE);
}

/* The same packets, end, error and position when the reader is parked
 * on the way as when it is not: records longer than a read, files cut in
 * a record, parking at the first, a middle and the last packet (reading
 * goes on from the same byte on a new descriptor). */
static void test_park_across_sizes(void **state)
{
	(void)state;
	GByteArray *b = pcap_sizes(3000);
	assert_true(b->len > 4u * 1024 * 1024);   /* many reads */
	const gsize cuts[] = { 0, 1, 30, 70000 };
	for (gsize c = 0; c < G_N_ELEMENTS(cuts); c++) {
		GByteArray *cut = g_byte_array_sized_new((guint)(b->len - cuts[c]));
		g_byte_array_append(cut, b->data, (guint)(b->len - cuts[c]));
		char *plain = read_log(cut, 0);
		const guint parks[] = { 1, 400, 2999 };
		for (gsize k = 0; k < G_N_ELEMENTS(parks); k++) {
			char *parked = read_log(cut, parks[k]);
			assert_string_equal(plain, parked);
			g_free(parked);
		}
		g_free(plain);
		g_byte_array_unref(cut);
	}
	g_byte_array_unref(b);
}

/* ---- reading whole files: one input against the merge ---- */

/* A classic pcap of n Ethernet packets, each with its own time, bytes and
 * length, in a new temporary file; cut `cut` bytes short of its end. */
static char *pcap_file(guint n, gsize cut)
{
	wr w = { g_byte_array_new(), FALSE };
	pcap_header(&w, 0xa1b2c3d4, 65535);
	for (guint i = 0; i < n; i++) {
		guint8 frame[80];
		guint len = 14 + i % 60;
		for (guint j = 0; j < len; j++)
			frame[j] = (guint8)(i * 31 + j);
		put32(&w, (guint32)T0 + i / 3);
		put32(&w, i * 1000);
		put32(&w, len);
		put32(&w, len + i);
		g_byte_array_append(w.b, frame, len);
	}
	char *path = NULL;
	int fd = g_file_open_tmp("ss-capfile-XXXXXX.pcap", &path, NULL);
	assert_true(fd >= 0);
	gsize size = w.b->len - MIN(cut, w.b->len);
	assert_int_equal(write(fd, w.b->data, size), (gssize)size);
	close(fd);
	g_byte_array_unref(w.b);
	return path;
}

static void tap_log(const ss_input *in, gint64 ts_ns, const guint8 *data, guint32 caplen,
		    guint32 wirelen, gpointer user_data)
{
	GString *log = user_data;
	g_string_append_printf(log, "%s %" G_GINT64_FORMAT " %u %u ", in->name, ts_ns, caplen,
			       wirelen);
	for (guint32 i = 0; i < caplen; i++)
		g_string_append_printf(log, "%02x", data[i]);
	g_string_append_c(log, '\n');
}

/* Reads the files in `paths` (NULL-terminated) as one capture: the packets
 * the tap saw, then the result and the error's code (or -1). */
static char *read_files(const char *const *paths, guint64 budget)
{
	GPtrArray *srcs = g_ptr_array_new();
	for (guint i = 0; paths[i]; i++) {
		GError *error = NULL;
		ss_file_source *src = ss_file_source_open(paths[i], NULL, &error);
		assert_null(error);
		g_ptr_array_add(srcs, src);
	}
	ss_analyzer *a = ss_analyzer_new(NULL);
	GString *log = g_string_new(NULL);
	GError *error = NULL;
	guint64 left = budget;
	gboolean ok = ss_file_sources_read_tap((ss_file_source **)srcs->pdata, srcs->len, a,
					       tap_log, log, budget ? &left : NULL, NULL, &error);
	g_string_append_printf(log, "ok %d error %d left %" G_GUINT64_FORMAT "\n", ok,
			       error ? error->code : -1, left);
	g_clear_error(&error);
	ss_analyzer_free(a);
	for (guint i = 0; i < srcs->len; i++)
		ss_file_source_close(g_ptr_array_index(srcs, i));
	g_ptr_array_unref(srcs);
	return g_string_free(log, FALSE);
}

/* One input is read without the merge's heap (io/source-merge.c): the same
 * packets, in the same order, with the same stops (a budget, a damaged
 * end) as the merge gives for that input beside an empty one. */
static void test_single_input_as_merged(void **state)
{
	(void)state;
	char *empty = pcap_file(0, 0);
	for (int damaged = 0; damaged < 2; damaged++) {
		char *path = pcap_file(200, damaged ? 5 : 0);
		static const guint64 budgets[] = { 0, 1, 7, 199, 200, 500 };
		for (gsize b = 0; b < G_N_ELEMENTS(budgets); b++) {
			const char *one[] = { path, NULL };
			const char *before[] = { path, empty, NULL };
			const char *after[] = { empty, path, NULL };
			char *single = read_files(one, budgets[b]);
			char *merged = read_files(before, budgets[b]);
			char *merged2 = read_files(after, budgets[b]);
			guint lines = 0;
			for (const char *c = single; *c; c++)
				lines += *c == '\n';
			guint64 want = damaged ? 199 : 200;
			if (budgets[b] && budgets[b] < want)
				want = budgets[b];
			assert_int_equal(lines, want + 1);
			assert_string_equal(single, merged);
			assert_string_equal(single, merged2);
			g_free(single);
			g_free(merged);
			g_free(merged2);
		}
		unlink(path);
		g_free(path);
	}
	unlink(empty);
	g_free(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcapng_blocks),
		cmocka_unit_test(test_pcapng_every_cut),
		cmocka_unit_test(test_pcapng_hostile_lengths),
		cmocka_unit_test(test_pcap_classic),
		cmocka_unit_test(test_pcap_every_cut),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_park_resume),
		cmocka_unit_test(test_park_empty_packet),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_single_input_as_merged),
		cmocka_unit_test(test_park_across_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
