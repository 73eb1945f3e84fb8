/* Malformed-input catalogue, packet level (docs/hardening.md).
 *
 * Every case goes through ss_analyzer_packet() with a DLT value, exactly as
 * a capture file's records do, and the test checks the summary's reasons[]
 * counters: each malformed packet is counted under the right reason, never
 * decoded into garbage, never fatal.  The file-level half of the catalogue
 * is tests/scripts/make-malformed.py.
 *
 * The last test replays the fuzzer-found inputs kept in tests/malformed/
 * (directory given as argv[1]): fuzz-decode-* through the decode harness's
 * steps, fuzz-pipeline-* / *.pcap / *.pcapng through the whole pipeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pcap/dlt.h>

#include "sockscope/analyzer.h"
#include "sockscope/decode.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/source.h"
#include "sockscope/util.h"

static const char *malformed_dir;

/* ------------------------------------------------------------ builders */

typedef struct {
	guint8 b[4096];
	gsize n;
} pkt;

static void p8(pkt *p, guint8 v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = v;
}

static void p16(pkt *p, guint16 v)
{
	p8(p, (guint8)(v >> 8));
	p8(p, (guint8)v);
}

static void p32(pkt *p, guint32 v)
{
	p16(p, (guint16)(v >> 16));
	p16(p, (guint16)v);
}

static void pbytes(pkt *p, const guint8 *v, gsize n)
{
	for (gsize i = 0; i < n; i++)
		p8(p, v[i]);
}

static const guint8 V4A[4] = { 10, 0, 0, 1 };
static const guint8 V4B[4] = { 10, 0, 0, 2 };
static const guint8 V6A[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const guint8 V6B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static void eth(pkt *p, guint16 type)
{
	static const guint8 macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	pbytes(p, macs, 12);
	p16(p, type);
}

/* ihl in words; the options are NOPs. */
static void ipv4(pkt *p, guint8 ihl, guint16 total_len, guint8 proto)
{
	p8(p, (guint8)(0x40 | ihl));
	p8(p, 0);
	p16(p, total_len);
	p16(p, 1);
	p16(p, 0x4000);
	p8(p, 64);
	p8(p, proto);
	p16(p, 0);
	pbytes(p, V4A, 4);
	pbytes(p, V4B, 4);
	for (int i = 5; i < ihl; i++)
		p32(p, 0x01010101);
}

static void ipv6(pkt *p, guint16 payload_len, guint8 nh)
{
	p32(p, 0x60000000);
	p16(p, payload_len);
	p8(p, nh);
	p8(p, 64);
	pbytes(p, V6A, 16);
	pbytes(p, V6B, 16);
}

/* An 8-byte extension header (PadN) announcing `next`. */
static void ext8(pkt *p, guint8 next)
{
	p8(p, next);
	p8(p, 0);
	p8(p, 1);
	p8(p, 4);
	p32(p, 0);
}

static void tcp(pkt *p, guint16 sport, guint16 dport, guint8 doff, guint8 flags)
{
	p16(p, sport);
	p16(p, dport);
	p32(p, 1000);
	p32(p, 0);
	p8(p, (guint8)(doff << 4));
	p8(p, flags);
	p16(p, 65535);
	p16(p, 0);
	p16(p, 0);
	for (int i = 5; i < doff; i++)
		p32(p, 0x01010101);
}

static void udp(pkt *p, guint16 sport, guint16 dport, guint16 len)
{
	p16(p, sport);
	p16(p, dport);
	p16(p, len);
	p16(p, 0);
}

/* Ethernet / IPv4 / TCP SYN 40000 -> 80 with 4 payload bytes: 58 bytes. */
static void build_v4_tcp(pkt *p)
{
	eth(p, 0x0800);
	ipv4(p, 5, 44, 6);
	tcp(p, 40000, 80, 5, SS_TCP_SYN);
	p32(p, 0x61626364);
}

/* Ethernet / IPv6 / UDP 5353 -> 53 with 4 payload bytes: 66 bytes. */
static void build_v6_udp(pkt *p)
{
	eth(p, 0x86dd);
	ipv6(p, 12, 17);
	udp(p, 5353, 53, 12);
	p32(p, 0x61626364);
}

/* ------------------------------------------------------------ running */

typedef struct {
	ss_analyzer *a;
	gint64 ts;
} feeder;

static void feed_begin(feeder *f, int dlt)
{
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.hash_seed = 42;
	f->a = ss_analyzer_new(&cfg);
	f->ts = G_GINT64_CONSTANT(1767225600) * 1000000000;
	ss_analyzer_begin_input(f->a, "test", dlt, "test", FALSE);
}

static void feed(feeder *f, const guint8 *data, guint32 caplen, guint32 wirelen)
{
	/* An exact-size heap copy, so ASan builds catch a read past caplen. */
	guint8 *copy = g_malloc(caplen ? caplen : 1);
	if (caplen)
		memcpy(copy, data, caplen);
	ss_analyzer_packet(f->a, f->ts, copy, caplen, wirelen);
	f->ts += 1000000;
	g_free(copy);
}

static void feed_pkt(feeder *f, const pkt *p)
{
	feed(f, p->b, (guint32)p->n, (guint32)p->n);
}

typedef struct {
	ss_reason r;
	guint64 n;
} want;

#define END { SS_REASON_COUNT, 0 }

/* Finishes, renders jsonl (malformed input is never fatal: the report is
 * always written) and checks every reason counter: those listed, zero for
 * the others. */
static ss_report *feed_end(feeder *f, const want *w)
{
	ss_report *rep = ss_analyzer_finish(f->a);
	ss_analyzer_free(f->a);
	f->a = NULL;

	guint64 expect[SS_REASON_COUNT] = { 0 };
	for (; w->r != SS_REASON_COUNT; w++)
		expect[w->r] += w->n;
	for (int r = 0; r < SS_REASON_COUNT; r++) {
		if (rep->summary.reasons[r] != expect[r])
			fail_msg("reason %s: counted %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT,
				 ss_reason_name((ss_reason)r), rep->summary.reasons[r], expect[r]);
	}
	assert_int_equal(rep->summary.decoded, expect[SS_REASON_OK]);

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	ss_report_complete(rep, TRUE);
	assert_true(ss_render(rep, SS_FORMAT_JSONL, &(ss_render_options){ 0 }, out));
	assert_int_equal(fclose(out), 0);
	assert_non_null(strstr(buf, "\"kind\":\"summary\""));
	assert_non_null(strstr(buf, "\"truncated\":{"));
	assert_non_null(strstr(buf, "\"invalid\":{"));
	assert_non_null(strstr(buf, "\"ignored\":{"));
	free(buf);
	return rep;
}

static void feed_end_free(feeder *f, const want *w)
{
	ss_report_free(feed_end(f, w));
}

/* ------------------------------------------------------------ prefixes */

/* Every prefix of Ethernet/IPv4/TCP: trunc_link below 14 bytes, trunc_ipv4
 * below 34, trunc_tcp below 54, and only then OK -- with the real ports and
 * addresses, the declared payload length and payload_cut set. */
static void test_prefix_eth_ipv4_tcp(void **state)
{
	(void)state;
	pkt p = { .n = 0 };
	build_v4_tcp(&p);
	assert_int_equal(p.n, 58);

	for (int wire_full = 0; wire_full < 2; wire_full++) {
		feeder f;
		feed_begin(&f, DLT_EN10MB);
		for (guint32 n = 0; n <= p.n; n++)
			feed(&f, p.b, n, wire_full ? (guint32)p.n : n);
		ss_report *rep = feed_end(&f, (want[]){ { SS_REASON_TRUNC_LINK, 14 },
							{ SS_REASON_TRUNC_IPV4, 20 },
							{ SS_REASON_TRUNC_TCP, 20 },
							{ SS_REASON_OK, 5 }, END });
		assert_int_equal(rep->summary.tcp_connections, 1);
		ss_report_free(rep);
	}

	for (guint32 n = 0; n <= p.n; n++) {
		ss_packet o;
		ss_reason r = ss_decode(DLT_EN10MB, p.b, n, (guint32)p.n, &o);
		ss_reason want_r = n < 14 ? SS_REASON_TRUNC_LINK
				 : n < 34 ? SS_REASON_TRUNC_IPV4
				 : n < 54 ? SS_REASON_TRUNC_TCP : SS_REASON_OK;
		assert_int_equal(r, want_r);
		if (r != SS_REASON_OK) {
			assert_int_not_equal(o.l4, SS_L4_TCP);
			continue;
		}
		assert_int_equal(o.l4, SS_L4_TCP);
		assert_int_equal(o.sport, 40000);
		assert_int_equal(o.dport, 80);
		assert_memory_equal(o.src.bytes, V4A, 4);
		assert_memory_equal(o.dst.bytes, V4B, 4);
		assert_int_equal(o.tcp.flags, SS_TCP_SYN);
		assert_int_equal(o.payload_len, 4);
		assert_int_equal(o.payload_cut, n < 58);
	}
}

static void test_prefix_eth_ipv6_udp(void **state)
{
	(void)state;
	pkt p = { .n = 0 };
	build_v6_udp(&p);
	assert_int_equal(p.n, 66);

	for (int wire_full = 0; wire_full < 2; wire_full++) {
		feeder f;
		feed_begin(&f, DLT_EN10MB);
		for (guint32 n = 0; n <= p.n; n++)
			feed(&f, p.b, n, wire_full ? (guint32)p.n : n);
		ss_report *rep = feed_end(&f, (want[]){ { SS_REASON_TRUNC_LINK, 14 },
							{ SS_REASON_TRUNC_IPV6, 40 },
							{ SS_REASON_TRUNC_UDP, 8 },
							{ SS_REASON_OK, 5 }, END });
		assert_int_equal(rep->summary.udp_exchanges, 1);
		ss_report_free(rep);
	}

	for (guint32 n = 62; n <= p.n; n++) {
		ss_packet o;
		assert_int_equal(ss_decode(DLT_EN10MB, p.b, n, (guint32)p.n, &o), SS_REASON_OK);
		assert_int_equal(o.l4, SS_L4_UDP);
		assert_int_equal(o.sport, 5353);
		assert_int_equal(o.dport, 53);
		assert_memory_equal(o.src.bytes, V6A, 16);
		assert_int_equal(o.payload_len, 4);
		assert_int_equal(o.payload_cut, n < 66);
	}
}

/* The same IPv4/TCP packet behind every other supported link header. */
static void test_prefix_other_links(void **state)
{
	(void)state;
	static const guint8 sll[16] = { 0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00 };
	static const guint8 sll2[20] = { 0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6,
					 2, 0, 0, 0, 0, 1, 0, 0 };
	static const guint8 null_le[4] = { 2, 0, 0, 0 };
	static const guint8 null_be[4] = { 0, 0, 0, 2 };
	static const guint8 loop[4] = { 0, 0, 0, 2 };
	static const struct {
		int dlt;
		const guint8 *hdr;
		gsize len;
	} links[] = {
		{ DLT_LINUX_SLL, sll, sizeof sll },   { DLT_LINUX_SLL2, sll2, sizeof sll2 },
		{ DLT_NULL, null_le, 4 },             { DLT_NULL, null_be, 4 },
		{ DLT_LOOP, loop, 4 },                { DLT_RAW, NULL, 0 },
		{ DLT_IPV4, NULL, 0 },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(links); i++) {
		pkt p = { .n = 0 };
		if (links[i].len)
			pbytes(&p, links[i].hdr, links[i].len);
		ipv4(&p, 5, 40, 6);
		tcp(&p, 40000, 80, 5, SS_TCP_SYN);
		guint32 l = (guint32)links[i].len;

		feeder f;
		feed_begin(&f, links[i].dlt);
		for (guint32 n = 0; n <= p.n; n++)
			feed(&f, p.b, n, (guint32)p.n);
		/* A zero-length packet is trunc_link even without a link header. */
		feed_end_free(&f, (want[]){ { SS_REASON_TRUNC_LINK, l ? l : 1 },
					    { SS_REASON_TRUNC_IPV4, l ? 20 : 19 },
					    { SS_REASON_TRUNC_TCP, 20 },
					    { SS_REASON_OK, 1 }, END });
	}
}

/* ------------------------------------------------------------ IPv4 */

static void test_ipv4_ihl(void **state)
{
	(void)state;
	feeder f;
	feed_begin(&f, DLT_EN10MB);
	for (guint8 ihl = 0; ihl < 5; ihl++) {
		pkt p = { .n = 0 };
		eth(&p, 0x0800);
		ipv4(&p, 5, 40, 6);
		p.b[14] = (guint8)(0x40 | ihl);   /* the header is 20 bytes whatever IHL says */
		tcp(&p, 40000, 80, 5, SS_TCP_SYN);
		feed_pkt(&f, &p);
	}
	/* IHL 15 (60 bytes) beyond the total length (40): the sender's lie. */
	pkt p = { .n = 0 };
	eth(&p, 0x0800);
	ipv4(&p, 5, 40, 6);
	p.b[14] = 0x4f;
	tcp(&p, 40000, 80, 5, SS_TCP_SYN);
	feed_pkt(&f, &p);
	/* IHL 15 within the total length (80) but beyond the capture. */
	p.b[16] = 0;
	p.b[17] = 80;
	feed_pkt(&f, &p);
	/* IHL 15 with 40 option bytes and the whole segment captured: fine. */
	pkt ok = { .n = 0 };
	eth(&ok, 0x0800);
	ipv4(&ok, 15, 80, 6);
	tcp(&ok, 40000, 80, 5, SS_TCP_SYN);
	feed_pkt(&f, &ok);
	feed_end_free(&f, (want[]){ { SS_REASON_BAD_IPV4_IHL, 5 },
				    { SS_REASON_BAD_IPV4_TOTAL_LEN, 1 },
				    { SS_REASON_TRUNC_IPV4, 1 },
				    { SS_REASON_OK, 1 }, END });
}

static void test_ipv4_total_len(void **state)
{
	(void)state;
	feeder f;
	feed_begin(&f, DLT_EN10MB);
	static const guint16 lens[] = { 1, 19, 20, 30, 39, 1000, 0 };
	for (gsize i = 0; i < G_N_ELEMENTS(lens); i++) {
		pkt p = { .n = 0 };
		eth(&p, 0x0800);
		ipv4(&p, 5, lens[i], 6);
		tcp(&p, 40000, (guint16)(80 + i), 5, SS_TCP_SYN);
		feed_pkt(&f, &p);

		ss_packet o;
		ss_reason r = ss_decode(DLT_EN10MB, p.b, (guint32)p.n, (guint32)p.n, &o);
		if (lens[i] == 1000) {
			/* Larger than captured: a snaplen cut, the ports are there. */
			assert_int_equal(r, SS_REASON_OK);
			assert_int_equal(o.payload_len, 960);
			assert_true(o.payload_cut);
		} else if (lens[i] == 0) {
			/* TSO/GSO: the length comes from the capture. */
			assert_int_equal(r, SS_REASON_OK);
			assert_int_equal(o.payload_len, 0);
			assert_false(o.payload_cut);
		}
	}
	/* 1, 19: smaller than the header.  20, 30, 39: no room for the TCP
	 * header inside the declared length. */
	feed_end_free(&f, (want[]){ { SS_REASON_BAD_IPV4_TOTAL_LEN, 2 },
				    { SS_REASON_BAD_TCP_OFFSET, 3 },
				    { SS_REASON_OK, 2 }, END });
}

/* ------------------------------------------------------------ TCP */

static void test_tcp_offset(void **state)
{
	(void)state;
	feeder f;
	feed_begin(&f, DLT_EN10MB);
	for (guint8 doff = 0; doff < 5; doff++) {
		pkt p = { .n = 0 };
		eth(&p, 0x0800);
		ipv4(&p, 5, 40, 6);
		tcp(&p, 40000, 80, 5, SS_TCP_SYN);
		p.b[14 + 20 + 12] = (guint8)(doff << 4);
		feed_pkt(&f, &p);
	}
	/* Data offset 15 (60 bytes) beyond the declared segment (20 bytes). */
	pkt p = { .n = 0 };
	eth(&p, 0x0800);
	ipv4(&p, 5, 40, 6);
	tcp(&p, 40000, 80, 5, SS_TCP_SYN);
	p.b[14 + 20 + 12] = 0xf0;
	feed_pkt(&f, &p);
	/* ... within the declared segment (80 bytes) but beyond the capture. */
	p.b[16] = 0;
	p.b[17] = 100;
	feed_pkt(&f, &p);
	/* Options all there, but malformed (length 0): the segment still counts. */
	pkt o = { .n = 0 };
	eth(&o, 0x0800);
	ipv4(&o, 5, 44, 6);
	tcp(&o, 40000, 80, 6, SS_TCP_SYN);
	o.b[14 + 20 + 20] = 2;   /* MSS ... */
	o.b[14 + 20 + 21] = 0;   /* ... of length 0 */
	feed_pkt(&f, &o);
	feed_end_free(&f, (want[]){ { SS_REASON_BAD_TCP_OFFSET, 6 },
				    { SS_REASON_TRUNC_TCP, 1 },
				    { SS_REASON_OK, 1 }, END });
}

/* ------------------------------------------------------------ IPv6 chains */

/* IPv6 with `count` extension headers of type `type`, each naming the next
 * as `type` again (a "loop") except the last, which names TCP; payload
 * length as declared, or the real one when declared is 0. */
static void build_v6_chain(pkt *p, guint8 type, guint count, guint16 declared)
{
	eth(p, 0x86dd);
	gsize at = p->n;
	ipv6(p, declared, count ? type : 6);
	for (guint i = 0; i < count; i++)
		ext8(p, i + 1 < count ? type : 6);
	tcp(p, 40000, 80, 5, SS_TCP_SYN);
	if (declared == 0) {
		guint16 plen = (guint16)(p->n - at - 40);
		p->b[at + 4] = (guint8)(plen >> 8);
		p->b[at + 5] = (guint8)plen;
	}
}

static void test_ipv6_ext_chains(void **state)
{
	(void)state;
	static const guint8 types[] = { 0 /* hop-by-hop */, 60 /* dstopts */, 43 /* routing */ };
	for (gsize t = 0; t < G_N_ELEMENTS(types); t++) {
		feeder f;
		feed_begin(&f, DLT_EN10MB);
		pkt p = { .n = 0 };
		build_v6_chain(&p, types[t], SS_MAX_IPV6_EXT, 0);   /* 16: the limit, fine */
		feed_pkt(&f, &p);
		p.n = 0;
		build_v6_chain(&p, types[t], SS_MAX_IPV6_EXT + 1, 0);   /* 17: too long */
		feed_pkt(&f, &p);

		/* The same header naming itself forever, filling 1000 bytes. */
		p.n = 0;
		eth(&p, 0x86dd);
		ipv6(&p, 1000, types[t]);
		for (int i = 0; i < 125; i++)
			ext8(&p, types[t]);
		feed_pkt(&f, &p);

		/* A self-loop that runs past the declared payload (24 bytes). */
		p.n = 0;
		eth(&p, 0x86dd);
		ipv6(&p, 24, types[t]);
		for (int i = 0; i < 3; i++)
			ext8(&p, types[t]);
		feed_pkt(&f, &p);

		/* A header longer (len 5: 48 bytes) than the declared payload. */
		p.n = 0;
		eth(&p, 0x86dd);
		ipv6(&p, 16, types[t]);
		ext8(&p, 6);
		p.b[p.n - 7] = 5;
		p32(&p, 0);
		p32(&p, 0);
		feed_pkt(&f, &p);

		/* Declared 64 bytes of chain, captured 8: past the capture. */
		p.n = 0;
		eth(&p, 0x86dd);
		ipv6(&p, 64, types[t]);
		ext8(&p, types[t]);
		feed(&f, p.b, (guint32)p.n, (guint32)p.n + 56);
		/* Cut inside a header's first two bytes. */
		feed(&f, p.b, 14 + 40 + 1, (guint32)p.n + 56);

		feed_end_free(&f, (want[]){ { SS_REASON_OK, 1 },
					    { SS_REASON_BAD_IPV6_EXT_CHAIN, 4 },
					    { SS_REASON_TRUNC_IPV6_EXT, 2 }, END });
	}

	/* Fragment headers naming each other: offset 0, so walked like any
	 * other header until the limit. */
	feeder f;
	feed_begin(&f, DLT_EN10MB);
	pkt p = { .n = 0 };
	eth(&p, 0x86dd);
	ipv6(&p, (guint16)(8 * 17 + 20), 44);
	for (int i = 0; i < 17; i++) {
		p8(&p, i < 16 ? 44 : 6);
		p8(&p, 0);
		p16(&p, 0);
		p32(&p, (guint32)i);
	}
	tcp(&p, 40000, 80, 5, SS_TCP_SYN);
	feed_pkt(&f, &p);
	feed_end_free(&f, (want[]){ { SS_REASON_BAD_IPV6_EXT_CHAIN, 1 }, END });
}

/* ------------------------------------------------------------ capture lengths */

static const int all_dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
				DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP };

static void test_zero_caplen(void **state)
{
	(void)state;
	static const guint8 dummy[1] = { 0x45 };
	for (gsize i = 0; i < G_N_ELEMENTS(all_dlts); i++) {
		feeder f;
		feed_begin(&f, all_dlts[i]);
		ss_analyzer_packet(f.a, f.ts, dummy, 0, 0);
		ss_analyzer_packet(f.a, f.ts, dummy, 0, 60);
		ss_analyzer_packet(f.a, f.ts, dummy, 0, G_MAXUINT32);
		feed_end_free(&f, (want[]){ { SS_REASON_TRUNC_LINK, 3 }, END });
	}
}

static void test_caplen_gt_wirelen(void **state)
{
	(void)state;
	pkt p = { .n = 0 };
	build_v4_tcp(&p);
	for (gsize i = 0; i < G_N_ELEMENTS(all_dlts); i++) {
		feeder f;
		feed_begin(&f, all_dlts[i]);
		feed(&f, p.b, (guint32)p.n, (guint32)p.n - 1);
		feed(&f, p.b, (guint32)p.n, 0);
		ss_report *rep = feed_end(&f, (want[]){ { SS_REASON_BAD_CAPLEN, 2 }, END });
		assert_int_equal(rep->summary.tcp_connections, 0);
		assert_int_equal(rep->conns->len, 0);
		ss_report_free(rep);
	}
}

static void test_link_oddities(void **state)
{
	(void)state;
	feeder f;
	feed_begin(&f, DLT_EN10MB);
	/* 9 stacked VLAN tags: beyond SS_MAX_VLAN_TAGS; 8 are fine. */
	for (int tags = 8; tags <= 9; tags++) {
		pkt p = { .n = 0 };
		eth(&p, 0x8100);
		for (int i = 0; i < tags; i++)
			p32(&p, i + 1 < tags ? 0x00018100 : 0x00010800);
		ipv4(&p, 5, 40, 6);
		tcp(&p, 40000, 80, 5, SS_TCP_SYN);
		feed_pkt(&f, &p);
	}
	/* A tag stack cut in the middle. */
	pkt v = { .n = 0 };
	eth(&v, 0x8100);
	p16(&v, 1);
	feed(&f, v.b, (guint32)v.n + 1 - 1, 60);
	feed_end_free(&f, (want[]){ { SS_REASON_OK, 1 },
				    { SS_REASON_BAD_VLAN_DEPTH, 1 },
				    { SS_REASON_TRUNC_LINK, 1 }, END });

	/* The link says IPv4, the packet is IPv6 (and the other way round). */
	pkt p4 = { .n = 0 }, p6 = { .n = 0 };
	ipv4(&p4, 5, 40, 6);
	tcp(&p4, 40000, 80, 5, SS_TCP_SYN);
	ipv6(&p6, 20, 6);
	tcp(&p6, 40000, 80, 5, SS_TCP_SYN);
	feed_begin(&f, DLT_IPV4);
	feed_pkt(&f, &p6);
	feed_pkt(&f, &p4);
	feed_end_free(&f, (want[]){ { SS_REASON_BAD_IP_VERSION, 1 }, { SS_REASON_OK, 1 }, END });
	feed_begin(&f, DLT_IPV6);
	feed_pkt(&f, &p4);
	feed_pkt(&f, &p6);
	feed_end_free(&f, (want[]){ { SS_REASON_BAD_IP_VERSION, 1 }, { SS_REASON_OK, 1 }, END });

	/* A link type sockscope does not decode: counted, never parsed.
	 * (PPP, then 802.11 were the example until sockscope decoded them.) */
	feed_begin(&f, DLT_CAN_SOCKETCAN);
	feed_pkt(&f, &p4);
	feed_end_free(&f, (want[]){ { SS_REASON_UNSUPPORTED_LINK, 1 }, END });
}

/* ------------------------------------------------------------ regressions */

/* What fuzz/fuzz-decode.c does with one input (byte 0: link selector). */
static void replay_decode(const guint8 *data, gsize size)
{
	static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
				    DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP, 239,
				    105, 127, 192, 119, 163, 258 };
	if (size < 1)
		return;
	int dlt = dlts[data[0] % G_N_ELEMENTS(dlts)];
	guint32 caplen = (guint32)(size - 1);
	feeder f;
	feed_begin(&f, dlt);
	ss_packet p;
	ss_reason r = ss_decode(dlt, data + 1, caplen, caplen, &p);
	if (r == SS_REASON_OK) {
		p.ts_ns = f.ts;
		ss_analyzer_decoded(f.a, &p);
	}
	if (ss_decode(dlt, data + 1, caplen, caplen + data[0], &p) == SS_REASON_OK) {
		p.ts_ns = f.ts + 1000 * (gint64)data[0] + 1;
		ss_analyzer_decoded(f.a, &p);
	}
	ss_analyzer_packet(f.a, f.ts - 1, data + 1, caplen, caplen);
	ss_report *rep = ss_analyzer_finish(f.a);
	ss_analyzer_free(f.a);
	/* The harness's invariant: the counting path counts one reason, the
	 * one ss_decode() gives, or for a fragment a reason of reassembly. */
	guint64 counted = 0, as_fragment = 0;
	for (int i = 0; i < SS_REASON_COUNT; i++) {
		counted += rep->summary.reasons[i];
		if (ss_reason_is_fragment((ss_reason)i))
			as_fragment += rep->summary.reasons[i];
	}
	assert_int_equal(counted, 1);
	assert_true(rep->summary.reasons[r] == 1 || as_fragment == 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ss_report_complete(rep, TRUE);
	assert_true(ss_render(rep, SS_FORMAT_JSONL, &(ss_render_options){ 0 }, out));
	fclose(out);
	free(buf);
	ss_report_free(rep);
}

/* What fuzz/fuzz-pipeline.c does: a capture file from memory, every format. */
static void replay_pipeline(const guint8 *data, gsize size)
{
	if (size == 0)
		return;
	FILE *fp = fmemopen((void *)data, size, "rb");
	assert_non_null(fp);
	GError *error = NULL;
	ss_file_source *src = ss_file_source_open_stream(fp, "regression", NULL, &error);
	if (!src) {
		assert_int_equal(error->code, SS_ERROR_INPUT);
		g_error_free(error);
		fclose(fp);
		return;
	}
	feeder f;
	feed_begin(&f, 0);
	guint64 budget = 2000;
	if (!ss_file_source_read(src, f.a, &budget, &error)) {
		assert_int_equal(error->code, SS_ERROR_DAMAGED);
		g_clear_error(&error);
	}
	ss_file_source_close(src);
	ss_report *rep = ss_analyzer_finish(f.a);
	ss_analyzer_free(f.a);
	ss_report_complete(rep, TRUE);
	static const char *const formats[] = { "text", "jsonl", "json", "csv", "zeek",
					       "zeek-json", "ecs", "markdown", "html", "dot" };
	for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
		ss_format fmt;
		if (!ss_format_parse(formats[i], &fmt))
			continue;
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		assert_true(ss_render(rep, fmt, &(ss_render_options){ 0 }, out));
		fclose(out);
		free(buf);
	}
	ss_report_free(rep);
}

static void test_fuzz_regressions(void **state)
{
	(void)state;
	if (!malformed_dir) {
		print_message("no tests/malformed directory given: nothing to replay\n");
		return;
	}
	GDir *dir = g_dir_open(malformed_dir, 0, NULL);
	if (!dir) {
		print_message("%s: no such directory: nothing to replay\n", malformed_dir);
		skip();
	}
	const char *name;
	guint n = 0;
	while ((name = g_dir_read_name(dir))) {
		gboolean decode = g_str_has_prefix(name, "fuzz-decode-") ||
				  g_str_has_suffix(name, ".pkt");
		gboolean pipeline = g_str_has_prefix(name, "fuzz-pipeline-") ||
				    g_str_has_suffix(name, ".pcap") ||
				    g_str_has_suffix(name, ".pcapng");
		if (!decode && !pipeline)
			continue;
		char *path = g_build_filename(malformed_dir, name, NULL);
		gchar *data;
		gsize size;
		assert_true(g_file_get_contents(path, &data, &size, NULL));
		/* An exact-size copy: g_file_get_contents() adds a NUL. */
		guint8 *copy = g_memdup2(data, size ? size : 1);
		print_message("replaying %s (%" G_GSIZE_FORMAT " bytes)\n", name, size);
		if (decode)
			replay_decode(copy, size);
		else
			replay_pipeline(copy, size);
		g_free(copy);
		g_free(data);
		g_free(path);
		n++;
	}
	g_dir_close(dir);
	print_message("%u regression inputs replayed\n", n);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		malformed_dir = argv[1];
	ss_services_use_system(FALSE);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_eth_ipv4_tcp),
		cmocka_unit_test(test_prefix_eth_ipv6_udp),
		cmocka_unit_test(test_prefix_other_links),
		cmocka_unit_test(test_ipv4_ihl),
		cmocka_unit_test(test_ipv4_total_len),
		cmocka_unit_test(test_tcp_offset),
		cmocka_unit_test(test_ipv6_ext_chains),
		cmocka_unit_test(test_zero_caplen),
		cmocka_unit_test(test_caplen_gt_wirelen),
		cmocka_unit_test(test_link_oddities),
		cmocka_unit_test(test_fuzz_regressions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
