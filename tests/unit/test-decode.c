/* Decoder unit tests over hand-built packets.
 *
 * The builder only appends bytes; every length field is written by the test
 * as a literal and every checked value is a literal, so a bug in the
 * decoder cannot be mirrored by the same computation in the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pcap/dlt.h>

#include "sockscope/decode.h"

typedef struct {
	guint8 b[2048];
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

static void pzero(pkt *p, gsize n)
{
	while (n--)
		p8(p, 0);
}

static void pbytes(pkt *p, const guint8 *v, gsize n)
{
	for (gsize i = 0; i < n; i++)
		p8(p, v[i]);
}

/* Fixed addresses: 10.0.0.1 -> 10.0.0.2 and 2001:db8::1 -> 2001:db8::2. */
static const guint8 V4A[4] = { 10, 0, 0, 1 };
static const guint8 V4B[4] = { 10, 0, 0, 2 };
static const guint8 V6A[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const guint8 V6B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static void eth(pkt *p, guint16 type)
{
	static const guint8 macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	pbytes(p, macs, 12);
	p16(p, type);
}

static void vlan(pkt *p, guint16 tci, guint16 next)
{
	p16(p, tci);
	p16(p, next);
}

/* ihl in 32-bit words; options (ihl-5 words) are appended as NOPs (1). */
static void ipv4x(pkt *p, guint8 ihl, guint16 total_len, guint16 frag, guint8 proto,
		  const guint8 *src, const guint8 *dst)
{
	p8(p, (guint8)(0x40 | ihl));
	p8(p, 0);
	p16(p, total_len);
	p16(p, 0x1234);
	p16(p, frag);
	p8(p, 64);
	p8(p, proto);
	p16(p, 0);
	pbytes(p, src, 4);
	pbytes(p, dst, 4);
	for (int i = 5; i < ihl; i++)
		p32(p, 0x01010101);
}

static void ipv4(pkt *p, guint16 total_len, guint8 proto)
{
	ipv4x(p, 5, total_len, 0x4000 /* DF */, proto, V4A, V4B);
}

static void ipv6x(pkt *p, guint16 payload_len, guint8 nh, const guint8 *src,
		  const guint8 *dst)
{
	p32(p, 0x60000000);
	p16(p, payload_len);
	p8(p, nh);
	p8(p, 255);
	pbytes(p, src, 16);
	pbytes(p, dst, 16);
}

static void ipv6(pkt *p, guint16 payload_len, guint8 nh)
{
	ipv6x(p, payload_len, nh, V6A, V6B);
}

/* A generic 8-byte extension header (hop-by-hop, dstopts: PadN). */
static void ext8(pkt *p, guint8 nh)
{
	p8(p, nh);
	p8(p, 0);
	p8(p, 1);
	p8(p, 4);
	p32(p, 0);
}

static void tcp(pkt *p, guint16 sport, guint16 dport, guint32 seq, guint32 ack,
		guint8 doff, guint8 flags)
{
	p16(p, sport);
	p16(p, dport);
	p32(p, seq);
	p32(p, ack);
	p8(p, (guint8)(doff << 4));
	p8(p, flags);
	p16(p, 65535);
	p16(p, 0);
	p16(p, 0);
}

static void udp(pkt *p, guint16 sport, guint16 dport, guint16 len)
{
	p16(p, sport);
	p16(p, dport);
	p16(p, len);
	p16(p, 0);
}

static ss_reason dec(int dlt, const pkt *p, ss_packet *o)
{
	return ss_decode(dlt, p->b, (guint32)p->n, (guint32)p->n, o);
}

static void assert_v4_addrs(const ss_packet *o)
{
	static const guint8 a[16] = { 10, 0, 0, 1 };
	static const guint8 b[16] = { 10, 0, 0, 2 };
	assert_memory_equal(o->src.bytes, a, 16);
	assert_memory_equal(o->dst.bytes, b, 16);
}

/* Ethernet / IPv4 / TCP, 4 payload bytes. */
static void build_eth_v4_tcp(pkt *p)
{
	eth(p, 0x0800);
	ipv4(p, 44, 6);
	tcp(p, 40000, 443, 1000, 2000, 5, SS_TCP_ACK | SS_TCP_PSH);
	p32(p, 0xdeadbeef);
}

/* ---------------------------------------------------------------- reasons */

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(ss_reason_name(SS_REASON_OK), "ok");
	assert_string_equal(ss_reason_name(SS_REASON_NON_IP), "non_ip");
	assert_string_equal(ss_reason_name(SS_REASON_IP_FRAGMENT), "ip_fragment");
	assert_string_equal(ss_reason_name(SS_REASON_OTHER_IP_PROTO), "other_ip_proto");
	assert_string_equal(ss_reason_name(SS_REASON_ICMP_NOT_ERROR), "icmp_not_error");
	assert_string_equal(ss_reason_name(SS_REASON_UNSUPPORTED_LINK), "unsupported_link");
	assert_string_equal(ss_reason_name(SS_REASON_TRUNC_LINK), "trunc_link");
	assert_string_equal(ss_reason_name(SS_REASON_TRUNC_IPV4), "trunc_ipv4");
	assert_string_equal(ss_reason_name(SS_REASON_TRUNC_IPV6), "trunc_ipv6");
	assert_string_equal(ss_reason_name(SS_REASON_TRUNC_IPV6_EXT), "trunc_ipv6_ext");
	assert_string_equal(ss_reason_name(SS_REASON_TRUNC_TCP), "trunc_tcp");
	assert_string_equal(ss_reason_name(SS_REASON_TRUNC_UDP), "trunc_udp");
	assert_string_equal(ss_reason_name(SS_REASON_TRUNC_ICMP), "trunc_icmp");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_CAPLEN), "bad_caplen");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_VLAN_DEPTH), "bad_vlan_depth");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_IP_VERSION), "bad_ip_version");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_IPV4_IHL), "bad_ipv4_ihl");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_IPV4_TOTAL_LEN), "bad_ipv4_total_len");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_IPV6_EXT_CHAIN), "bad_ipv6_ext_chain");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_TCP_OFFSET), "bad_tcp_offset");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_UDP_LENGTH), "bad_udp_length");
	assert_string_equal(ss_reason_name(SS_REASON_BAD_ICMP_QUOTE), "bad_icmp_quote");
	assert_string_equal(ss_reason_name(SS_REASON_COUNT), "unknown");
	assert_string_equal(ss_reason_name((ss_reason)-1), "unknown");

	assert_int_equal(ss_reason_class_of(SS_REASON_OK), SS_CLASS_OK);
	assert_int_equal(ss_reason_class_of(SS_REASON_NON_IP), SS_CLASS_IGNORED);
	assert_int_equal(ss_reason_class_of(SS_REASON_UNSUPPORTED_LINK), SS_CLASS_IGNORED);
	assert_int_equal(ss_reason_class_of(SS_REASON_TRUNC_LINK), SS_CLASS_TRUNCATED);
	assert_int_equal(ss_reason_class_of(SS_REASON_TRUNC_ICMP), SS_CLASS_TRUNCATED);
	assert_int_equal(ss_reason_class_of(SS_REASON_BAD_CAPLEN), SS_CLASS_INVALID);
	assert_int_equal(ss_reason_class_of(SS_REASON_BAD_ICMP_QUOTE), SS_CLASS_INVALID);
}

static void test_link_supported(void **state)
{
	(void)state;
	assert_true(ss_link_supported(DLT_EN10MB));
	assert_true(ss_link_supported(DLT_LINUX_SLL));
	assert_true(ss_link_supported(DLT_LINUX_SLL2));
	assert_true(ss_link_supported(DLT_RAW));
	assert_true(ss_link_supported(101));
	assert_true(ss_link_supported(228));
	assert_true(ss_link_supported(229));
	assert_true(ss_link_supported(DLT_NULL));
	assert_true(ss_link_supported(DLT_LOOP));
	assert_true(ss_link_supported(DLT_PPP));
	assert_true(ss_link_supported(DLT_PPP_SERIAL));
	assert_true(ss_link_supported(DLT_PPP_ETHER));
	assert_true(ss_link_supported(DLT_C_HDLC));
	assert_true(ss_link_supported(239)); /* NFLOG */
	assert_true(ss_link_supported(242)); /* IPoIB */
	assert_true(ss_link_supported(105)); /* 802.11 */
	assert_true(ss_link_supported(119)); /* Prism */
	assert_true(ss_link_supported(127)); /* radiotap */
	assert_true(ss_link_supported(163)); /* AVS */
	assert_true(ss_link_supported(192)); /* PPI */
	assert_true(ss_link_supported(258)); /* PKTAP */
	assert_true(ss_link_supported(149)); /* USER2: Apple's PKTAP */
	assert_false(ss_link_supported(147)); /* USER0 */
	assert_false(ss_link_supported(-1));
}

/* ------------------------------------------------------------- link layer */

static void test_eth_v4_tcp(void **state)
{
	(void)state;
	pkt p = { .n = 0 };
	ss_packet o;
	build_eth_v4_tcp(&p);
	o.ts_ns = 12345;
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_OK);
	assert_int_equal(o.ts_ns, 0); /* documented: the caller sets it afterwards */
	assert_int_equal(o.caplen, 58);
	assert_int_equal(o.wirelen, 58);
	assert_int_equal(o.family, SS_FAMILY_IPV4);
	assert_int_equal(o.ip_proto, 6);
	assert_int_equal(o.ttl, 64);
	assert_int_equal(o.ip_len, 44);
	assert_v4_addrs(&o);
	assert_int_equal(o.l4, SS_L4_TCP);
	assert_int_equal(o.sport, 40000);
	assert_int_equal(o.dport, 443);
	assert_int_equal(o.tcp.seq, 1000);
	assert_int_equal(o.tcp.ack, 2000);
	assert_int_equal(o.tcp.flags, SS_TCP_ACK | SS_TCP_PSH);
	assert_int_equal(o.tcp.window, 65535);
	assert_int_equal(o.tcp.options, 0);
	assert_int_equal(o.payload_len, 4);
	assert_false(o.payload_cut);
}

static void test_eth_vlan(void **state)
{
	(void)state;
	ss_packet o;

	pkt p1 = { .n = 0 };
	eth(&p1, 0x8100);
	vlan(&p1, 100, 0x0800);
	ipv4(&p1, 28, 17);
	udp(&p1, 53, 5353, 8);
	assert_int_equal(dec(DLT_EN10MB, &p1, &o), SS_REASON_OK);
	assert_int_equal(o.l4, SS_L4_UDP);
	assert_int_equal(o.sport, 53);
	assert_int_equal(o.dport, 5353);
	assert_int_equal(o.payload_len, 0);

	pkt p2 = { .n = 0 };
	eth(&p2, 0x88a8);
	vlan(&p2, 10, 0x8100);
	vlan(&p2, 20, 0x86dd);
	ipv6(&p2, 8, 17);
	udp(&p2, 1, 2, 8);
	assert_int_equal(dec(DLT_EN10MB, &p2, &o), SS_REASON_OK);
	assert_int_equal(o.family, SS_FAMILY_IPV6);
	assert_int_equal(o.ip_len, 48);
	assert_int_equal(o.ttl, 255);
	assert_memory_equal(o.src.bytes, V6A, 16);
	assert_memory_equal(o.dst.bytes, V6B, 16);
	assert_int_equal(o.sport, 1);

	/* 8 tags is the limit; 9 is too deep. */
	pkt p8t = { .n = 0 };
	eth(&p8t, 0x9100);
	for (int i = 0; i < 7; i++)
		vlan(&p8t, 1, 0x8100);
	vlan(&p8t, 1, 0x0800);
	ipv4(&p8t, 28, 17);
	udp(&p8t, 1, 2, 8);
	assert_int_equal(dec(DLT_EN10MB, &p8t, &o), SS_REASON_OK);

	pkt p9 = { .n = 0 };
	eth(&p9, 0x8100);
	for (int i = 0; i < 8; i++)
		vlan(&p9, 1, 0x8100);
	vlan(&p9, 1, 0x0800);
	ipv4(&p9, 28, 17);
	udp(&p9, 1, 2, 8);
	assert_int_equal(dec(DLT_EN10MB, &p9, &o), SS_REASON_BAD_VLAN_DEPTH);

	/* A tag cut in the middle is a link truncation. */
	pkt pc = { .n = 0 };
	eth(&pc, 0x8100);
	p16(&pc, 5);
	assert_int_equal(dec(DLT_EN10MB, &pc, &o), SS_REASON_TRUNC_LINK);
}

static void test_eth_non_ip(void **state)
{
	(void)state;
	ss_packet o;
	pkt arp = { .n = 0 };
	eth(&arp, 0x0806);
	pzero(&arp, 28);
	assert_int_equal(dec(DLT_EN10MB, &arp, &o), SS_REASON_NON_IP);

	pkt llc = { .n = 0 };
	eth(&llc, 46); /* 802.3 length field */
	pzero(&llc, 46);
	assert_int_equal(dec(DLT_EN10MB, &llc, &o), SS_REASON_NON_IP);

	pkt vlan_arp = { .n = 0 };
	eth(&vlan_arp, 0x8100);
	vlan(&vlan_arp, 3, 0x0806);
	pzero(&vlan_arp, 28);
	assert_int_equal(dec(DLT_EN10MB, &vlan_arp, &o), SS_REASON_NON_IP);

	pkt shorteth = { .n = 0 };
	pzero(&shorteth, 13);
	assert_int_equal(dec(DLT_EN10MB, &shorteth, &o), SS_REASON_TRUNC_LINK);
}

static void test_sll(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	p16(&p, 0);      /* packet type: to us */
	p16(&p, 1);      /* ARPHRD_ETHER */
	p16(&p, 6);
	pzero(&p, 8);
	p16(&p, 0x0800);
	ipv4(&p, 28, 17);
	udp(&p, 7, 9, 8);
	assert_int_equal(dec(DLT_LINUX_SLL, &p, &o), SS_REASON_OK);
	assert_int_equal(o.sport, 7);
	assert_int_equal(o.dport, 9);

	pkt s = { .n = 0 };
	pzero(&s, 15);
	assert_int_equal(dec(DLT_LINUX_SLL, &s, &o), SS_REASON_TRUNC_LINK);

	pkt v = { .n = 0 };
	p16(&v, 0);
	p16(&v, 1);
	p16(&v, 6);
	pzero(&v, 8);
	p16(&v, 0x8100); /* VLAN not offloaded: the tag stays in the payload */
	vlan(&v, 42, 0x86dd);
	ipv6(&v, 8, 17);
	udp(&v, 11, 12, 8);
	assert_int_equal(dec(DLT_LINUX_SLL, &v, &o), SS_REASON_OK);
	assert_int_equal(o.family, SS_FAMILY_IPV6);
	assert_int_equal(o.dport, 12);
}

static void test_sll2(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	p16(&p, 0x86dd);
	p16(&p, 0);
	p32(&p, 2);      /* ifindex */
	p16(&p, 1);
	p8(&p, 0);
	p8(&p, 6);
	pzero(&p, 8);
	ipv6(&p, 20, 6);
	tcp(&p, 22, 50000, 7, 0, 5, SS_TCP_SYN);
	assert_int_equal(dec(DLT_LINUX_SLL2, &p, &o), SS_REASON_OK);
	assert_int_equal(o.family, SS_FAMILY_IPV6);
	assert_int_equal(o.l4, SS_L4_TCP);
	assert_int_equal(o.sport, 22);
	assert_int_equal(o.tcp.flags, SS_TCP_SYN);

	pkt arp = { .n = 0 };
	p16(&arp, 0x0806);
	pzero(&arp, 18 + 28);
	assert_int_equal(dec(DLT_LINUX_SLL2, &arp, &o), SS_REASON_NON_IP);
}

static void test_raw(void **state)
{
	(void)state;
	ss_packet o;
	pkt v4 = { .n = 0 };
	ipv4(&v4, 28, 17);
	udp(&v4, 1, 2, 8);
	pkt v6 = { .n = 0 };
	ipv6(&v6, 8, 17);
	udp(&v6, 3, 4, 8);

	static const int raws[] = { DLT_RAW, 12, 14, 101 };
	for (gsize i = 0; i < G_N_ELEMENTS(raws); i++) {
		if (raws[i] == DLT_LOOP)
			continue; /* OpenBSD */
		assert_int_equal(dec(raws[i], &v4, &o), SS_REASON_OK);
		assert_int_equal(o.family, SS_FAMILY_IPV4);
		assert_int_equal(o.sport, 1);
		assert_int_equal(dec(raws[i], &v6, &o), SS_REASON_OK);
		assert_int_equal(o.family, SS_FAMILY_IPV6);
		assert_int_equal(o.sport, 3);
	}

	pkt bad = { .n = 0 };
	p8(&bad, 0x55);
	pzero(&bad, 39);
	assert_int_equal(dec(DLT_RAW, &bad, &o), SS_REASON_BAD_IP_VERSION);
}

static void test_ipv4_ipv6_linktypes(void **state)
{
	(void)state;
	ss_packet o;
	pkt v4 = { .n = 0 };
	ipv4(&v4, 28, 17);
	udp(&v4, 1, 2, 8);
	pkt v6 = { .n = 0 };
	ipv6(&v6, 8, 17);
	udp(&v6, 3, 4, 8);

	assert_int_equal(dec(228, &v4, &o), SS_REASON_OK);
	assert_int_equal(dec(229, &v6, &o), SS_REASON_OK);
	assert_int_equal(o.family, SS_FAMILY_IPV6);
	assert_int_equal(dec(228, &v6, &o), SS_REASON_BAD_IP_VERSION);
	assert_int_equal(dec(229, &v4, &o), SS_REASON_BAD_IP_VERSION);
}

static void test_null_loop(void **state)
{
	(void)state;
	ss_packet o;

	/* DLT_NULL, AF_INET written little-endian and big-endian. */
	static const guint8 null_hdrs[][4] = {
		{ 2, 0, 0, 0 }, { 0, 0, 0, 2 },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(null_hdrs); i++) {
		pkt p = { .n = 0 };
		pbytes(&p, null_hdrs[i], 4);
		ipv4(&p, 28, 17);
		udp(&p, 5, 6, 8);
		assert_int_equal(dec(DLT_NULL, &p, &o), SS_REASON_OK);
		assert_int_equal(o.family, SS_FAMILY_IPV4);
		assert_int_equal(o.dport, 6);
	}
	/* DLT_NULL, AF_INET6 (Darwin 30) in both orders. */
	static const guint8 null6[][4] = { { 30, 0, 0, 0 }, { 0, 0, 0, 30 } };
	for (gsize i = 0; i < G_N_ELEMENTS(null6); i++) {
		pkt p = { .n = 0 };
		pbytes(&p, null6[i], 4);
		ipv6(&p, 8, 17);
		udp(&p, 5, 6, 8);
		assert_int_equal(dec(DLT_NULL, &p, &o), SS_REASON_OK);
		assert_int_equal(o.family, SS_FAMILY_IPV6);
	}

	/* DLT_LOOP is always network order; every BSD's AF_INET6. */
	static const guint32 af6[] = { 24, 28, 30 };
	for (gsize i = 0; i < G_N_ELEMENTS(af6); i++) {
		pkt p = { .n = 0 };
		p32(&p, af6[i]);
		ipv6(&p, 8, 17);
		udp(&p, 5, 6, 8);
		assert_int_equal(dec(DLT_LOOP, &p, &o), SS_REASON_OK);
		assert_int_equal(o.family, SS_FAMILY_IPV6);
		assert_int_equal(o.sport, 5);
	}
	pkt l4 = { .n = 0 };
	p32(&l4, 2);
	ipv4(&l4, 28, 17);
	udp(&l4, 5, 6, 8);
	assert_int_equal(dec(DLT_LOOP, &l4, &o), SS_REASON_OK);

	pkt other = { .n = 0 };
	p32(&other, 17);
	pzero(&other, 20);
	assert_int_equal(dec(DLT_LOOP, &other, &o), SS_REASON_NON_IP);

	pkt wrong = { .n = 0 }; /* says IPv6, carries IPv4 */
	p32(&wrong, 24);
	ipv4(&wrong, 28, 17);
	udp(&wrong, 5, 6, 8);
	assert_int_equal(dec(DLT_LOOP, &wrong, &o), SS_REASON_BAD_IP_VERSION);

	pkt cut = { .n = 0 };
	pzero(&cut, 3);
	assert_int_equal(dec(DLT_NULL, &cut, &o), SS_REASON_TRUNC_LINK);
}

static void test_capture_meta(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	build_eth_v4_tcp(&p);
	assert_int_equal(ss_decode(147, p.b, 58, 58, &o), SS_REASON_UNSUPPORTED_LINK);
	assert_int_equal(ss_decode(DLT_EN10MB, p.b, 58, 57, &o), SS_REASON_BAD_CAPLEN);
	assert_int_equal(o.caplen, 58);
	assert_int_equal(o.wirelen, 57);
	assert_int_equal(o.family, 0);
	assert_int_equal(ss_decode(DLT_EN10MB, p.b, 0, 58, &o), SS_REASON_TRUNC_LINK);
	assert_int_equal(ss_decode(DLT_RAW, p.b, 0, 58, &o), SS_REASON_TRUNC_LINK);
}

/* -------------------------------------------------------------------- IPv4 */

static void test_ipv4_options(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	eth(&p, 0x0800);
	ipv4x(&p, 8, 32 + 8 + 3, 0, 17, V4A, V4B);
	udp(&p, 100, 200, 11);
	pzero(&p, 3);
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_OK);
	assert_int_equal(o.ip_len, 43);
	assert_int_equal(o.sport, 100);
	assert_int_equal(o.dport, 200);
	assert_int_equal(o.payload_len, 3);

	/* Options cut by the capture. */
	assert_int_equal(ss_decode(DLT_EN10MB, p.b, 14 + 24, (guint32)p.n, &o),
			 SS_REASON_TRUNC_IPV4);
}

static void test_ipv4_bad_headers(void **state)
{
	(void)state;
	ss_packet o;
	pkt ihl = { .n = 0 };
	ipv4x(&ihl, 4, 28, 0, 17, V4A, V4B);
	pzero(&ihl, 8);
	assert_int_equal(dec(DLT_RAW, &ihl, &o), SS_REASON_BAD_IPV4_IHL);

	pkt tl = { .n = 0 };
	ipv4x(&tl, 6, 20, 0, 17, V4A, V4B); /* 24-byte header, total 20 */
	udp(&tl, 1, 2, 8);
	assert_int_equal(dec(DLT_RAW, &tl, &o), SS_REASON_BAD_IPV4_TOTAL_LEN);

	pkt tr = { .n = 0 };
	ipv4(&tr, 28, 17);
	assert_int_equal(ss_decode(DLT_RAW, tr.b, 19, 28, &o), SS_REASON_TRUNC_IPV4);
}

static void test_ipv4_fragments(void **state)
{
	(void)state;
	ss_packet o;

	pkt first = { .n = 0 };
	eth(&first, 0x0800);
	ipv4x(&first, 5, 36, 0x2000 /* MF, offset 0 */, 17, V4A, V4B);
	udp(&first, 4000, 4001, 1400); /* UDP length covers all fragments */
	pzero(&first, 8);
	/* The UDP length covers the whole datagram, which the later fragments
	 * carry: a first fragment decodes with its ports. */
	assert_int_equal(dec(DLT_EN10MB, &first, &o), SS_REASON_OK);
	assert_int_equal(o.sport, 4000);
	assert_int_equal(o.dport, 4001);
	assert_int_equal(o.payload_len, 1392);
	assert_true(o.payload_cut);

	/* The same UDP length in an unfragmented packet is a lie. */
	pkt whole = { .n = 0 };
	eth(&whole, 0x0800);
	ipv4x(&whole, 5, 36, 0x4000 /* DF */, 17, V4A, V4B);
	udp(&whole, 4000, 4001, 1400);
	pzero(&whole, 8);
	assert_int_equal(dec(DLT_EN10MB, &whole, &o), SS_REASON_BAD_UDP_LENGTH);

	/* A TCP first fragment decodes normally too. */
	pkt tf = { .n = 0 };
	eth(&tf, 0x0800);
	ipv4x(&tf, 5, 48, 0x2000, 6, V4A, V4B);
	tcp(&tf, 5000, 80, 99, 0, 5, SS_TCP_ACK);
	pzero(&tf, 8);
	assert_int_equal(dec(DLT_EN10MB, &tf, &o), SS_REASON_OK);
	assert_int_equal(o.sport, 5000);
	assert_int_equal(o.payload_len, 8);

	pkt later = { .n = 0 };
	eth(&later, 0x0800);
	ipv4x(&later, 5, 36, 0x00b9 /* offset 185*8 */, 17, V4A, V4B);
	pzero(&later, 16);
	assert_int_equal(dec(DLT_EN10MB, &later, &o), SS_REASON_IP_FRAGMENT);
	assert_int_equal(o.family, SS_FAMILY_IPV4);
	assert_int_equal(o.ip_proto, 17);
	assert_v4_addrs(&o);
	assert_int_equal(o.l4, SS_L4_NONE);
	assert_int_equal(o.sport, 0);
}

static void test_other_proto(void **state)
{
	(void)state;
	ss_packet o;
	pkt gre = { .n = 0 };
	ipv4(&gre, 24, 47);
	pzero(&gre, 4);
	assert_int_equal(dec(DLT_RAW, &gre, &o), SS_REASON_OTHER_IP_PROTO);
	assert_int_equal(o.l4, SS_L4_OTHER);
	assert_int_equal(o.ip_proto, 47);

	pkt none = { .n = 0 };
	ipv6(&none, 0, 59);
	assert_int_equal(dec(DLT_RAW, &none, &o), SS_REASON_OTHER_IP_PROTO);
	pkt esp = { .n = 0 };
	ipv6(&esp, 8, 60);
	ext8(&esp, 50);
	assert_int_equal(dec(DLT_RAW, &esp, &o), SS_REASON_OTHER_IP_PROTO);
	assert_int_equal(o.ip_proto, 50);

	/* ICMPv6 inside IPv4 is not ICMP. */
	pkt mix = { .n = 0 };
	ipv4(&mix, 28, 58);
	pzero(&mix, 8);
	assert_int_equal(dec(DLT_RAW, &mix, &o), SS_REASON_OTHER_IP_PROTO);
}

/* -------------------------------------------------------------------- IPv6 */

static void test_ipv6_ext_chain(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	ipv6(&p, 8 + 8 + 24 + 12, 0);
	ext8(&p, 60);             /* hop-by-hop -> dstopts */
	ext8(&p, 43);             /* dstopts -> routing */
	p8(&p, 17);               /* routing (type 0-ish, 24 bytes) -> UDP */
	p8(&p, 2);
	p8(&p, 0);
	p8(&p, 1);
	pzero(&p, 20);
	udp(&p, 547, 546, 12);
	p32(&p, 0xcafef00d);
	assert_int_equal(dec(DLT_RAW, &p, &o), SS_REASON_OK);
	assert_int_equal(o.ip_proto, 17);
	assert_int_equal(o.ip_len, 92);
	assert_int_equal(o.sport, 547);
	assert_int_equal(o.payload_len, 4);

	/* The routing header claims more than the payload length allows. */
	p.b[4] = 0;  /* payload length 52 -> 30: routing ends at 40 */
	p.b[5] = 30;
	assert_int_equal(dec(DLT_RAW, &p, &o), SS_REASON_BAD_IPV6_EXT_CHAIN);
}

static void test_ipv6_ext_trunc(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	ipv6(&p, 16 + 8, 0);
	ext8(&p, 60);
	ext8(&p, 17);
	udp(&p, 1, 2, 8);
	assert_int_equal(dec(DLT_RAW, &p, &o), SS_REASON_OK);
	assert_int_equal(ss_decode(DLT_RAW, p.b, 40 + 12, 64, &o), SS_REASON_TRUNC_IPV6_EXT);
	assert_int_equal(ss_decode(DLT_RAW, p.b, 39, 64, &o), SS_REASON_TRUNC_IPV6);
}

static void test_ipv6_fragment(void **state)
{
	(void)state;
	ss_packet o;
	pkt first = { .n = 0 };
	ipv6(&first, 8 + 20, 44);
	p8(&first, 6);
	p8(&first, 0);
	p16(&first, 0x0001);      /* offset 0, M */
	p32(&first, 0xabcdef01);
	tcp(&first, 1234, 80, 5, 6, 5, SS_TCP_SYN);
	assert_int_equal(dec(DLT_RAW, &first, &o), SS_REASON_OK);
	assert_int_equal(o.ip_proto, 6);
	assert_int_equal(o.sport, 1234);

	pkt later = { .n = 0 };
	ipv6(&later, 8 + 16, 44);
	p8(&later, 6);
	p8(&later, 0);
	p16(&later, 0x00a8);      /* offset 21 (168 bytes) */
	p32(&later, 0xabcdef01);
	pzero(&later, 16);
	assert_int_equal(dec(DLT_RAW, &later, &o), SS_REASON_IP_FRAGMENT);
	assert_int_equal(o.family, SS_FAMILY_IPV6);
	assert_int_equal(o.ip_proto, 6);
	assert_memory_equal(o.src.bytes, V6A, 16);
}

static void test_ipv6_chain_limit(void **state)
{
	(void)state;
	ss_packet o;
	pkt ok = { .n = 0 };
	ipv6(&ok, 16 * 8 + 8, 60);
	for (int i = 0; i < 15; i++)
		ext8(&ok, 60);
	ext8(&ok, 17);
	udp(&ok, 1, 2, 8);
	assert_int_equal(dec(DLT_RAW, &ok, &o), SS_REASON_OK);

	pkt bad = { .n = 0 };
	ipv6(&bad, 17 * 8 + 8, 60);
	for (int i = 0; i < 16; i++)
		ext8(&bad, 60);
	ext8(&bad, 17);
	udp(&bad, 1, 2, 8);
	assert_int_equal(dec(DLT_RAW, &bad, &o), SS_REASON_BAD_IPV6_EXT_CHAIN);
}

/* --------------------------------------------------------------------- TCP */

static void test_tcp_options(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	eth(&p, 0x0800);
	ipv4(&p, 20 + 40, 6);
	tcp(&p, 33000, 22, 0x01020304, 0, 10, SS_TCP_SYN);
	p8(&p, 2); p8(&p, 4); p16(&p, 1460);          /* MSS */
	p8(&p, 4); p8(&p, 2);                         /* SACK permitted */
	p8(&p, 8); p8(&p, 10); p32(&p, 111); p32(&p, 222); /* timestamps */
	p8(&p, 1);                                    /* NOP */
	p8(&p, 3); p8(&p, 3); p8(&p, 7);              /* window scale */
	assert_int_equal(p.n, 14 + 60);
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_OK);
	assert_int_equal(o.tcp.options, SS_TCPOPT_HAVE_MSS | SS_TCPOPT_HAVE_SACK_PERM |
					SS_TCPOPT_HAVE_TS | SS_TCPOPT_HAVE_WSCALE);
	assert_int_equal(o.tcp.mss, 1460);
	assert_int_equal(o.tcp.wscale, 7);
	assert_int_equal(o.tcp.ts_val, 111);
	assert_int_equal(o.tcp.ts_ecr, 222);
	assert_int_equal(o.tcp.seq, 0x01020304);
	assert_int_equal(o.payload_len, 0);

	/* A malformed option ends parsing but not decoding. */
	pkt m = { .n = 0 };
	ipv4(&m, 20 + 28, 6);
	tcp(&m, 1, 2, 3, 4, 7, SS_TCP_SYN);
	p8(&m, 2); p8(&m, 4); p16(&m, 536);
	p8(&m, 3); p8(&m, 1);                         /* length 1: bogus */
	p8(&m, 8); p8(&m, 200);                       /* never reached */
	assert_int_equal(m.n, 48);
	assert_int_equal(dec(DLT_RAW, &m, &o), SS_REASON_OK);
	assert_int_equal(o.tcp.options, SS_TCPOPT_HAVE_MSS);
	assert_int_equal(o.tcp.mss, 536);

	/* An option running past the header. */
	pkt r = { .n = 0 };
	ipv4(&r, 20 + 24, 6);
	tcp(&r, 1, 2, 3, 4, 6, SS_TCP_SYN);
	p8(&r, 1); p8(&r, 8); p8(&r, 10); p8(&r, 0);
	assert_int_equal(dec(DLT_RAW, &r, &o), SS_REASON_OK);
	assert_int_equal(o.tcp.options, 0);

	/* Only a SYN's (or SYN-ACK's) options are parsed: the flow code reads
	 * no others.  A data segment's timestamps, or a malformed option on
	 * it, leave the options empty and the segment decoded. */
	pkt a = { .n = 0 };
	ipv4(&a, 20 + 32, 6);
	tcp(&a, 1, 2, 3, 4, 8, SS_TCP_ACK);
	p8(&a, 1); p8(&a, 1);
	p8(&a, 8); p8(&a, 10); p32(&a, 111); p32(&a, 222); /* timestamps */
	assert_int_equal(dec(DLT_RAW, &a, &o), SS_REASON_OK);
	assert_int_equal(o.tcp.options, 0);
	assert_int_equal(o.tcp.ts_val, 0);
	pkt b = { .n = 0 };
	ipv4(&b, 20 + 24, 6);
	tcp(&b, 1, 2, 3, 4, 6, SS_TCP_ACK | SS_TCP_PSH);
	p8(&b, 3); p8(&b, 1); p8(&b, 0); p8(&b, 0);   /* length 1: bogus */
	assert_int_equal(dec(DLT_RAW, &b, &o), SS_REASON_OK);
	assert_int_equal(o.tcp.options, 0);

	/* A SYN-ACK's are. */
	pkt sa = { .n = 0 };
	ipv4(&sa, 20 + 24, 6);
	tcp(&sa, 1, 2, 3, 4, 6, SS_TCP_SYN | SS_TCP_ACK);
	p8(&sa, 2); p8(&sa, 4); p16(&sa, 1400);
	assert_int_equal(dec(DLT_RAW, &sa, &o), SS_REASON_OK);
	assert_int_equal(o.tcp.options, SS_TCPOPT_HAVE_MSS);
	assert_int_equal(o.tcp.mss, 1400);
}

static void test_tcp_bad_offset(void **state)
{
	(void)state;
	ss_packet o;
	pkt p4 = { .n = 0 };
	ipv4(&p4, 40, 6);
	tcp(&p4, 1, 2, 3, 4, 4, SS_TCP_ACK);
	assert_int_equal(dec(DLT_RAW, &p4, &o), SS_REASON_BAD_TCP_OFFSET);

	/* Offset 15 (60 bytes) in a 20-byte segment. */
	pkt big = { .n = 0 };
	ipv4(&big, 40, 6);
	tcp(&big, 1, 2, 3, 4, 15, SS_TCP_ACK);
	pzero(&big, 40); /* bytes are even there: the IP length rules */
	assert_int_equal(dec(DLT_RAW, &big, &o), SS_REASON_BAD_TCP_OFFSET);

	/* A segment too short for any TCP header. */
	pkt tiny = { .n = 0 };
	ipv4(&tiny, 30, 6);
	pzero(&tiny, 10);
	assert_int_equal(dec(DLT_RAW, &tiny, &o), SS_REASON_BAD_TCP_OFFSET);

	/* Offset fits the IP length but not the capture. */
	pkt cut = { .n = 0 };
	ipv4(&cut, 80, 6);
	tcp(&cut, 1, 2, 3, 4, 15, SS_TCP_ACK);
	pzero(&cut, 40);
	assert_int_equal(ss_decode(DLT_RAW, cut.b, 60, 80, &o), SS_REASON_TRUNC_TCP);
	assert_int_equal(ss_decode(DLT_RAW, cut.b, 39, 80, &o), SS_REASON_TRUNC_TCP);
	assert_int_equal(ss_decode(DLT_RAW, cut.b, 80, 80, &o), SS_REASON_OK);
	assert_int_equal(o.payload_len, 0);
}

/* --------------------------------------------------------------------- UDP */

static void test_udp_lengths(void **state)
{
	(void)state;
	ss_packet o;
	pkt small = { .n = 0 };
	ipv4(&small, 28, 17);
	udp(&small, 1, 2, 7);
	assert_int_equal(dec(DLT_RAW, &small, &o), SS_REASON_BAD_UDP_LENGTH);

	pkt big = { .n = 0 };
	ipv4(&big, 32, 17);
	udp(&big, 1, 2, 13);
	pzero(&big, 4);
	assert_int_equal(dec(DLT_RAW, &big, &o), SS_REASON_BAD_UDP_LENGTH);

	pkt room = { .n = 0 };
	ipv4(&room, 26, 17);
	pzero(&room, 6);
	assert_int_equal(dec(DLT_RAW, &room, &o), SS_REASON_BAD_UDP_LENGTH);

	/* UDP length shorter than the IP payload (trailer) is fine. */
	pkt trailer = { .n = 0 };
	ipv4(&trailer, 40, 17);
	udp(&trailer, 1, 2, 10);
	pzero(&trailer, 12);
	assert_int_equal(dec(DLT_RAW, &trailer, &o), SS_REASON_OK);
	assert_int_equal(o.payload_len, 2);

	pkt cut = { .n = 0 };
	ipv4(&cut, 100, 17);
	udp(&cut, 1, 2, 80);
	pzero(&cut, 72);
	assert_int_equal(ss_decode(DLT_RAW, cut.b, 27, 100, &o), SS_REASON_TRUNC_UDP);
	assert_int_equal(ss_decode(DLT_RAW, cut.b, 50, 100, &o), SS_REASON_OK);
	assert_int_equal(o.payload_len, 72);
	assert_true(o.payload_cut);
}

static void test_ethernet_padding(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	eth(&p, 0x0800);
	ipv4(&p, 40, 6);
	tcp(&p, 1, 2, 3, 4, 5, SS_TCP_ACK);
	pzero(&p, 6); /* pad to the 60-byte minimum */
	assert_int_equal(p.n, 60);
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_OK);
	assert_int_equal(o.payload_len, 0);
	assert_false(o.payload_cut);

	pkt u = { .n = 0 };
	eth(&u, 0x0800);
	ipv4(&u, 29, 17);
	udp(&u, 1, 2, 9);
	p8(&u, 'x');
	pzero(&u, 17);
	assert_int_equal(dec(DLT_EN10MB, &u, &o), SS_REASON_OK);
	assert_int_equal(o.payload_len, 1);
}

/* -------------------------------------------------------------------- ICMP */

/* ICMP dest unreachable (code) from 192.0.2.1 to 10.0.0.1 quoting a
 * 10.0.0.1 -> 10.0.0.2 packet of `proto` whose first 8 L4 bytes are given. */
static void build_icmp4_err(pkt *p, guint8 type, guint8 code, guint8 proto,
			    const guint8 *l4, gsize l4n)
{
	static const guint8 router[4] = { 192, 0, 2, 1 };
	eth(p, 0x0800);
	ipv4x(p, 5, (guint16)(20 + 8 + 20 + l4n), 0, 1, router, V4A);
	p8(p, type);
	p8(p, code);
	p16(p, 0);
	p32(p, 0);
	/* The quoted packet claims 1000 bytes; only a few are quoted. */
	ipv4x(p, 5, 1000, 0x4000, proto, V4A, V4B);
	pbytes(p, l4, l4n);
}

static const guint8 QUOTED_UDP[8] = { 0x9c, 0x40, 0x00, 0x35, 0x03, 0xd4, 0, 0 };
static const guint8 QUOTED_TCP[8] = { 0xc3, 0x50, 0x01, 0xbb, 0x11, 0x22, 0x33, 0x44 };

static void test_icmp_port_unreach_udp(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	build_icmp4_err(&p, 3, 3, 17, QUOTED_UDP, 8);
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_OK);
	assert_int_equal(o.l4, SS_L4_ICMP_ERROR);
	assert_int_equal(o.ip_proto, 1);
	assert_int_equal(o.src.bytes[0], 192);
	assert_int_equal(o.icmp.type, 3);
	assert_int_equal(o.icmp.code, 3);
	assert_int_equal(o.icmp.family, SS_FAMILY_IPV4);
	assert_int_equal(o.icmp.proto, 17);
	static const guint8 qsrc[16] = { 10, 0, 0, 1 };
	static const guint8 qdst[16] = { 10, 0, 0, 2 };
	assert_memory_equal(o.icmp.src.bytes, qsrc, 16);
	assert_memory_equal(o.icmp.dst.bytes, qdst, 16);
	assert_int_equal(o.icmp.sport, 40000);
	assert_int_equal(o.icmp.dport, 53);
	assert_false(o.icmp.has_tcp_seq);
	assert_int_equal(o.sport, 0);
	assert_int_equal(o.payload_len, 0);
}

static void test_icmp_admin_prohibited_tcp(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	build_icmp4_err(&p, 3, 13, 6, QUOTED_TCP, 8);
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_OK);
	assert_int_equal(o.l4, SS_L4_ICMP_ERROR);
	assert_int_equal(o.icmp.code, 13);
	assert_int_equal(o.icmp.proto, 6);
	assert_int_equal(o.icmp.sport, 50000);
	assert_int_equal(o.icmp.dport, 443);
	assert_true(o.icmp.has_tcp_seq);
	assert_int_equal(o.icmp.tcp_seq, 0x11223344);

	/* Only the ports quoted: still usable, no sequence number. */
	pkt s = { .n = 0 };
	build_icmp4_err(&s, 11, 0, 6, QUOTED_TCP, 4);
	assert_int_equal(dec(DLT_EN10MB, &s, &o), SS_REASON_OK);
	assert_int_equal(o.icmp.type, 11);
	assert_int_equal(o.icmp.dport, 443);
	assert_false(o.icmp.has_tcp_seq);
}

static void test_icmp_quote_problems(void **state)
{
	(void)state;
	ss_packet o;
	static const guint8 echo_quote[8] = { 8, 0, 0, 0, 0, 1, 0, 1 };
	static const guint8 err_quote[8] = { 3, 1, 0, 0, 0, 0, 0, 0 };

	pkt gre = { .n = 0 };
	build_icmp4_err(&gre, 3, 1, 47, QUOTED_UDP, 8);
	assert_int_equal(dec(DLT_EN10MB, &gre, &o), SS_REASON_ICMP_NOT_ERROR);
	assert_int_equal(o.l4, SS_L4_OTHER);

	pkt echo = { .n = 0 };
	build_icmp4_err(&echo, 3, 1, 1, echo_quote, 8);
	assert_int_equal(dec(DLT_EN10MB, &echo, &o), SS_REASON_ICMP_NOT_ERROR);

	pkt err = { .n = 0 };
	build_icmp4_err(&err, 3, 1, 1, err_quote, 8);
	assert_int_equal(dec(DLT_EN10MB, &err, &o), SS_REASON_BAD_ICMP_QUOTE);

	/* Sender quoted only 2 bytes of the transport header: its fault. */
	pkt shortq = { .n = 0 };
	build_icmp4_err(&shortq, 3, 3, 17, QUOTED_UDP, 2);
	assert_int_equal(dec(DLT_EN10MB, &shortq, &o), SS_REASON_BAD_ICMP_QUOTE);
	/* The capture cut the same place of a full quote: truncation. */
	pkt full = { .n = 0 };
	build_icmp4_err(&full, 3, 3, 17, QUOTED_UDP, 8);
	assert_int_equal(ss_decode(DLT_EN10MB, full.b, 14 + 20 + 8 + 22, (guint32)full.n, &o),
			 SS_REASON_TRUNC_ICMP);

	/* Quoting IPv6 from ICMPv4, and a quoted IHL of 3. */
	pkt v6in4 = { .n = 0 };
	eth(&v6in4, 0x0800);
	ipv4(&v6in4, 20 + 8 + 48, 1);
	p8(&v6in4, 3); p8(&v6in4, 3); p16(&v6in4, 0); p32(&v6in4, 0);
	ipv6(&v6in4, 8, 17);
	udp(&v6in4, 1, 2, 8);
	assert_int_equal(dec(DLT_EN10MB, &v6in4, &o), SS_REASON_BAD_ICMP_QUOTE);

	pkt ihl = { .n = 0 };
	eth(&ihl, 0x0800);
	ipv4(&ihl, 20 + 8 + 28, 1);
	p8(&ihl, 3); p8(&ihl, 3); p16(&ihl, 0); p32(&ihl, 0);
	ipv4x(&ihl, 3, 28, 0, 17, V4A, V4B);
	pzero(&ihl, 8);
	assert_int_equal(dec(DLT_EN10MB, &ihl, &o), SS_REASON_BAD_ICMP_QUOTE);

	/* Quote of a non-first fragment. */
	pkt frag = { .n = 0 };
	eth(&frag, 0x0800);
	ipv4(&frag, 20 + 8 + 28, 1);
	p8(&frag, 3); p8(&frag, 3); p16(&frag, 0); p32(&frag, 0);
	ipv4x(&frag, 5, 1000, 0x0010, 17, V4A, V4B);
	pzero(&frag, 8);
	assert_int_equal(dec(DLT_EN10MB, &frag, &o), SS_REASON_BAD_ICMP_QUOTE);
}

static void test_icmp_echo(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	eth(&p, 0x0800);
	ipv4(&p, 28 + 4, 1);
	p8(&p, 8); p8(&p, 0); p16(&p, 0); p16(&p, 77); p16(&p, 1);
	p32(&p, 0);
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_ICMP_NOT_ERROR);
	assert_int_equal(o.l4, SS_L4_OTHER);
	assert_int_equal(o.icmp.type, 8);
	assert_int_equal(o.ip_proto, 1);

	pkt redirect = { .n = 0 };
	build_icmp4_err(&redirect, 5, 1, 17, QUOTED_UDP, 8);
	assert_int_equal(dec(DLT_EN10MB, &redirect, &o), SS_REASON_ICMP_NOT_ERROR);

	pkt empty = { .n = 0 };
	ipv4(&empty, 20, 1);
	assert_int_equal(dec(DLT_RAW, &empty, &o), SS_REASON_TRUNC_ICMP);
}

static void build_icmp6_port_unreach(pkt *p)
{
	static const guint8 router[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	eth(p, 0x86dd);
	ipv6x(p, 8 + 40 + 8 + 8, 58, router, V6A);
	p8(p, 1);
	p8(p, 4);
	p16(p, 0);
	p32(p, 0);
	ipv6(p, 8 + 8, 60);       /* quoted: dstopts, then UDP */
	ext8(p, 17);
	udp(p, 5353, 5354, 1200); /* quoted UDP length beyond the quote */
}

static void test_icmp6_port_unreach(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };
	build_icmp6_port_unreach(&p);
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_OK);
	assert_int_equal(o.family, SS_FAMILY_IPV6);
	assert_int_equal(o.ip_proto, 58);
	assert_int_equal(o.l4, SS_L4_ICMP_ERROR);
	assert_int_equal(o.icmp.type, 1);
	assert_int_equal(o.icmp.code, 4);
	assert_int_equal(o.icmp.family, SS_FAMILY_IPV6);
	assert_int_equal(o.icmp.proto, 17);
	assert_memory_equal(o.icmp.src.bytes, V6A, 16);
	assert_memory_equal(o.icmp.dst.bytes, V6B, 16);
	assert_int_equal(o.icmp.sport, 5353);
	assert_int_equal(o.icmp.dport, 5354);

	/* Neighbour solicitation is not an error. */
	pkt ns = { .n = 0 };
	ipv6(&ns, 24, 58);
	p8(&ns, 135);
	pzero(&ns, 23);
	assert_int_equal(dec(DLT_RAW, &ns, &o), SS_REASON_ICMP_NOT_ERROR);
	assert_int_equal(o.icmp.type, 135);
}

/* ----------------------------------------------------- hostile IP lengths */

static void test_hostile_ip_lengths(void **state)
{
	(void)state;
	ss_packet o;

	/* Total length 0 (TSO): the capture is the length. */
	pkt z = { .n = 0 };
	eth(&z, 0x0800);
	ipv4(&z, 0, 6);
	tcp(&z, 1, 2, 3, 4, 5, SS_TCP_ACK);
	pzero(&z, 100);
	assert_int_equal(dec(DLT_EN10MB, &z, &o), SS_REASON_OK);
	assert_int_equal(o.ip_len, 140);
	assert_int_equal(o.payload_len, 100);
	assert_false(o.payload_cut);
	/* ...and a cut header is then truncation, never a bad offset. */
	assert_int_equal(ss_decode(DLT_EN10MB, z.b, 14 + 20 + 10, (guint32)z.n, &o),
			 SS_REASON_TRUNC_TCP);

	/* Total length 0xffff on a short packet: just a cut payload. */
	pkt f = { .n = 0 };
	eth(&f, 0x0800);
	ipv4(&f, 0xffff, 6);
	tcp(&f, 1, 2, 3, 4, 5, SS_TCP_ACK);
	pzero(&f, 10);
	assert_int_equal(dec(DLT_EN10MB, &f, &o), SS_REASON_OK);
	assert_int_equal(o.ip_len, 65535);
	assert_int_equal(o.payload_len, 65495);
	assert_true(o.payload_cut);

	pkt fu = { .n = 0 };
	ipv4(&fu, 0xffff, 17);
	udp(&fu, 1, 2, 0xffff);
	assert_int_equal(dec(DLT_RAW, &fu, &o), SS_REASON_BAD_UDP_LENGTH);
	pkt fu2 = { .n = 0 };
	ipv4(&fu2, 0xffff, 17);
	udp(&fu2, 1, 2, 0xffff - 20);
	assert_int_equal(dec(DLT_RAW, &fu2, &o), SS_REASON_OK);
	assert_int_equal(o.payload_len, 65507);
	assert_true(o.payload_cut);

	/* IPv6 payload length 0xffff and 0. */
	pkt s6 = { .n = 0 };
	ipv6(&s6, 0xffff, 6);
	tcp(&s6, 1, 2, 3, 4, 5, SS_TCP_ACK);
	assert_int_equal(dec(DLT_RAW, &s6, &o), SS_REASON_OK);
	assert_int_equal(o.ip_len, 65575);
	assert_int_equal(o.payload_len, 65515);
	assert_true(o.payload_cut);

	pkt j6 = { .n = 0 };
	ipv6(&j6, 0, 17);
	udp(&j6, 1, 2, 0); /* RFC 2675 jumbogram UDP */
	pzero(&j6, 12);
	assert_int_equal(dec(DLT_RAW, &j6, &o), SS_REASON_OK);
	assert_int_equal(o.ip_len, 60);
	assert_int_equal(o.payload_len, 12);

	/* Total length 1..19 is below any header. */
	pkt one = { .n = 0 };
	ipv4(&one, 1, 6);
	tcp(&one, 1, 2, 3, 4, 5, SS_TCP_ACK);
	assert_int_equal(dec(DLT_RAW, &one, &o), SS_REASON_BAD_IPV4_TOTAL_LEN);
}

/* ----------------------------------------------------------- every prefix */

typedef struct {
	const char *what;
	int dlt;
	pkt p;
	gsize min_ok;          /* shortest prefix that may decode OK */
	ss_l4_kind l4;
	guint16 sport, dport;  /* of the flow (the quoted one for ICMP) */
	guint32 payload_len;
	gsize padding;         /* trailing bytes beyond the IP packet */
	ss_tunnel_type tunnel; /* innermost encapsulation expected */
	guint32 vni;
	guint8 depth;
} prefix_case;

static void check_prefixes(const prefix_case *pc)
{
	ss_packet o;
	gsize len = pc->p.n;

	assert_int_equal(ss_decode(pc->dlt, pc->p.b, (guint32)len, (guint32)len, &o),
			 SS_REASON_OK);

	for (gsize k = 0; k < len; k++) {
		/* An exact-size heap copy, so ASan flags any read past caplen. */
		guint8 *buf = malloc(k);
		assert_true(k == 0 || buf != NULL);
		if (k)
			memcpy(buf, pc->p.b, k);
		ss_reason r = ss_decode(pc->dlt, buf, (guint32)k, (guint32)len, &o);
		free(buf);

		assert_int_equal(o.caplen, k);
		if (r != SS_REASON_OK) {
			/* A cut capture is never mistaken for a lying sender. */
			if (ss_reason_class_of(r) != SS_CLASS_TRUNCATED)
				fail_msg("%s: prefix %zu gave %s", pc->what, k,
					 ss_reason_name(r));
			assert_int_not_equal(o.l4, SS_L4_TCP);
			assert_int_not_equal(o.l4, SS_L4_UDP);
			assert_int_not_equal(o.l4, SS_L4_ICMP_ERROR);
			continue;
		}
		if (k < pc->min_ok)
			fail_msg("%s: prefix %zu decoded OK", pc->what, k);
		assert_int_equal(o.tunnel.type, pc->tunnel);
		assert_int_equal(o.tunnel.vni, pc->vni);
		assert_int_equal(o.tunnel.depth, pc->depth);
		assert_true(o.family == SS_FAMILY_IPV4 || o.family == SS_FAMILY_IPV6);
		assert_int_equal(o.l4, pc->l4);
		if (pc->l4 == SS_L4_ICMP_ERROR) {
			assert_int_equal(o.icmp.sport, pc->sport);
			assert_int_equal(o.icmp.dport, pc->dport);
		} else {
			assert_int_equal(o.sport, pc->sport);
			assert_int_equal(o.dport, pc->dport);
			assert_int_equal(o.payload_len, pc->payload_len);
			assert_int_equal(o.payload_cut, k < len - pc->padding);
		}
	}
}

/* The decoder's straight-line path for Ethernet (one VLAN tag at most) ->
 * IPv4 without options or IPv6 without extensions -> TCP/UDP (link.c,
 * fast_ether_ip) must decode exactly as the general chain.  DLT_IPV4/IPV6
 * hands the same IP bytes to the general chain only, so the two results are
 * compared: every prefix of each frame, with each header byte in turn set to
 * values that take the fast path or push the packet off it (IHL, lengths,
 * fragment bits, protocol, UDP tunnel ports, versions), with the default
 * ports (no config) and with a config. */
static void fast_path_case(const ss_decode_config *cfg, const pkt *p, gsize ip_off, int ip_dlt)
{
	for (gsize cap = ip_off + 1; cap <= p->n; cap++) {  /* 0 IP bytes: trunc_link for DLT_IPV4 */
		ss_packet a, b;
		ss_reason ra = ss_decode_with(cfg, DLT_EN10MB, p->b, (guint32)cap,
					      (guint32)p->n, &a);
		ss_reason rb = ss_decode_with(cfg, ip_dlt, p->b + ip_off, (guint32)(cap - ip_off),
					      (guint32)(p->n - ip_off), &b);
		if (ra != rb || memcmp(&a.family, &b.family,
				       sizeof a - offsetof(ss_packet, family)) != 0)
			fail_msg("fast path differs: caplen %zu of %zu, reasons %s / %s", cap,
				 p->n, ss_reason_name(ra), ss_reason_name(rb));
	}
}

static void test_fast_path_matches_general(void **state)
{
	(void)state;
	ss_decode_config cfg;
	ss_decode_config_init(&cfg);
	ss_decode_config_add_port(&cfg, SS_TUNNEL_VXLAN, 9999);
	ss_decode_config off = cfg;
	off.max_depth = 0;  /* decapsulation off: tunnel ports are plain UDP */
	static const guint8 values[] = { 0x00, 0x01, 0x06, 0x11, 0x12, 0x14, 0x20, 0x2c,
					 0x40, 0x45, 0x46, 0x60, 0x80, 0xff };

	for (int base = 0; base < 8; base++) {
		pkt p;
		memset(&p, 0, sizeof p);
		gsize ip_off = 14;
		int ip_dlt = DLT_IPV4;
		gboolean v6 = base >= 5;
		if (base == 2 || base == 6) {
			eth(&p, 0x8100);
			vlan(&p, 7, v6 ? 0x86dd : 0x0800);
			ip_off = 18;
		} else {
			eth(&p, v6 ? 0x86dd : 0x0800);
		}
		switch (base) {
		case 0:     /* TCP with options and payload */
			ipv4(&p, 20 + 24 + 6, 6);
			tcp(&p, 40000, 443, 1, 2, 6, SS_TCP_SYN);
			p8(&p, 2); p8(&p, 4); p16(&p, 1460);
			pzero(&p, 6);
			break;
		case 1:     /* UDP, padded */
			ipv4(&p, 20 + 8 + 2, 17);
			udp(&p, 53, 1024, 10);
			pzero(&p, 18);
			break;
		case 2:     /* VLAN, UDP on the VXLAN port */
			ipv4(&p, 20 + 8 + 16, 17);
			udp(&p, 50000, 4789, 24);
			p32(&p, 0x08000000); p32(&p, 0x00002a00);
			pzero(&p, 8);
			break;
		case 3:     /* UDP on a port only the config names */
			ipv4(&p, 20 + 8 + 8, 17);
			udp(&p, 9999, 80, 16);
			p32(&p, 0x08000000); p32(&p, 0x00002a00);
			break;
		case 4:     /* TCP cut by the capture */
			ipv4(&p, 20 + 20 + 100, 6);
			tcp(&p, 1, 2, 3, 4, 5, SS_TCP_ACK);
			pzero(&p, 10);
			break;
		case 5:     /* IPv6 TCP */
			ipv6(&p, 20 + 4, 6);
			tcp(&p, 40000, 22, 1, 2, 5, SS_TCP_ACK);
			pzero(&p, 4);
			break;
		case 6:     /* VLAN, IPv6 UDP on the Geneve port */
			ipv6(&p, 8 + 8, 17);
			udp(&p, 6081, 6081, 16);
			pzero(&p, 8);
			break;
		default:    /* IPv6 UDP */
			ipv6(&p, 8 + 3, 17);
			udp(&p, 123, 123, 11);
			pzero(&p, 3);
			break;
		}
		if (v6)
			ip_dlt = DLT_IPV6;
		/* every byte from the IP header's first to the transport ports */
		gsize last = MIN(p.n, ip_off + (v6 ? 40 : 20) + 4);
		for (gsize at = ip_off; at < last; at++) {
			for (gsize k = 0; k <= G_N_ELEMENTS(values); k++) {
				pkt m = p;
				if (k < G_N_ELEMENTS(values))
					m.b[at] = values[k];
				fast_path_case(NULL, &m, ip_off, ip_dlt);
				fast_path_case(&cfg, &m, ip_off, ip_dlt);
				fast_path_case(&off, &m, ip_off, ip_dlt);
			}
		}
	}
}

/* Checksum verdicts against a reference written the plain RFC 1071 way
 * (big-endian 16-bit words, one at a time): every payload length 0-40 (all
 * tail sizes of the decoder's 8-byte loop), TCP and UDP, IPv4 and IPv6,
 * through the fast path (Ethernet) and the general chain (DLT_IPV4/IPV6):
 * the right sum is ok, a changed byte bad, the pseudo-header's own sum
 * (checksum offload) partial. */
static guint32 ref_add(guint32 sum, const guint8 *b, gsize n)
{
	for (gsize i = 0; i < n; i += 2)
		sum += (guint32)b[i] << 8 | (i + 1 < n ? b[i + 1] : 0);
	return sum;
}

static guint16 ref_fold(guint32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (guint16)sum;
}

static void csum_case(gboolean v6, guint8 proto, gsize payload)
{
	pkt p;
	memset(&p, 0, sizeof p);
	gsize hdr = proto == 6 ? 20 : 8, seg = hdr + payload;
	eth(&p, v6 ? 0x86dd : 0x0800);
	if (v6)
		ipv6(&p, (guint16)seg, proto);
	else
		ipv4(&p, (guint16)(20 + seg), proto);
	gsize l4 = p.n;
	if (proto == 6)
		tcp(&p, 40000, 443, 7, 9, 5, SS_TCP_ACK);
	else
		udp(&p, 5353, 5353, (guint16)seg);
	for (gsize i = 0; i < payload; i++)
		p8(&p, (guint8)(i * 37 + payload));

	guint8 ph[40];
	gsize pn;
	if (v6) {
		memcpy(ph, V6A, 16);
		memcpy(ph + 16, V6B, 16);
		ph[32] = ph[33] = 0;
		ph[34] = (guint8)(seg >> 8);
		ph[35] = (guint8)seg;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		pn = 40;
	} else {
		static const guint8 a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
		memcpy(ph, a, 4);
		memcpy(ph + 4, b, 4);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (guint8)(seg >> 8);
		ph[11] = (guint8)seg;
		pn = 12;
	}
	gsize at = l4 + (proto == 6 ? 16 : 6);
	guint16 pseudo = ref_fold(ref_add(0, ph, pn));
	guint16 sum = (guint16)~ref_fold(ref_add(ref_add(0, ph, pn), p.b + l4, seg));
	if (sum == 0 && proto == 17)
		sum = 0xffff;   /* UDP: 0 means none (RFC 768) */

	static const struct { int change; ss_csum want; } cases[] = {
		{ 0, SS_CSUM_OK }, { 1, SS_CSUM_BAD }, { 2, SS_CSUM_PARTIAL },
	};
	for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
		pkt m = p;
		guint16 field = cases[k].change == 2 ? pseudo : sum;
		m.b[at] = (guint8)(field >> 8);
		m.b[at + 1] = (guint8)field;
		if (cases[k].change == 1)   /* TCP: the sequence number; UDP: a port */
			m.b[proto == 6 ? l4 + 4 : l4 + 1] ^= 0x10;
		for (int dl = 0; dl < 2; dl++) {
			ss_packet o;
			gsize off = dl ? 14 : 0;
			int dlt = !dl ? DLT_EN10MB : v6 ? DLT_IPV6 : DLT_IPV4;
			ss_reason r = ss_decode(dlt, m.b + off, (guint32)(m.n - off),
						(guint32)(m.n - off), &o);
			if (r != SS_REASON_OK || o.csum != cases[k].want)
				fail_msg("v%d proto %u payload %zu case %zu via %s: %s csum %u, want %u",
					 v6 ? 6 : 4, proto, payload, k, dl ? "ip" : "ethernet",
					 ss_reason_name(r), o.csum, cases[k].want);
		}
	}
}

static void test_checksum_verdicts(void **state)
{
	(void)state;
	for (gsize payload = 0; payload <= 40; payload++)
		for (int v6 = 0; v6 < 2; v6++) {
			csum_case(v6, 6, payload);
			csum_case(v6, 17, payload);
		}
}

static void test_every_prefix(void **state)
{
	(void)state;
	prefix_case *c = g_new0(prefix_case, 1);

	/* Ethernet/IPv4(options)/TCP(options)/payload. */
	memset(c, 0, sizeof(*c));
	c->what = "eth-v4-tcp";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x0800);
	ipv4x(&c->p, 6, 24 + 32 + 5, 0, 6, V4A, V4B);
	tcp(&c->p, 1111, 2222, 1, 2, 8, SS_TCP_SYN);
	p8(&c->p, 2); p8(&c->p, 4); p16(&c->p, 1460);
	p8(&c->p, 1); p8(&c->p, 3); p8(&c->p, 3); p8(&c->p, 7);
	p8(&c->p, 4); p8(&c->p, 2); p8(&c->p, 1); p8(&c->p, 1);
	pzero(&c->p, 5);
	c->min_ok = 14 + 24 + 32;
	c->l4 = SS_L4_TCP;
	c->sport = 1111;
	c->dport = 2222;
	c->payload_len = 5;
	check_prefixes(c);

	/* Ethernet padding after a tiny UDP datagram. */
	memset(c, 0, sizeof(*c));
	c->what = "eth-v4-udp-padded";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x0800);
	ipv4(&c->p, 30, 17);
	udp(&c->p, 53, 1024, 10);
	p16(&c->p, 0xabcd);
	pzero(&c->p, 16);
	c->min_ok = 14 + 28;
	c->l4 = SS_L4_UDP;
	c->sport = 53;
	c->dport = 1024;
	c->payload_len = 2;
	c->padding = 16;
	check_prefixes(c);

	/* VLAN/IPv6 with an extension chain and a fragment header. */
	memset(c, 0, sizeof(*c));
	c->what = "vlan-v6-ext-udp";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x8100);
	vlan(&c->p, 9, 0x86dd);
	ipv6(&c->p, 8 + 8 + 8 + 8 + 3, 0);
	ext8(&c->p, 60);
	ext8(&c->p, 44);
	p8(&c->p, 17); p8(&c->p, 0); p16(&c->p, 1); p32(&c->p, 7);
	udp(&c->p, 9999, 53, 11);
	pzero(&c->p, 3);
	c->min_ok = 18 + 40 + 24 + 8;
	c->l4 = SS_L4_UDP;
	c->sport = 9999;
	c->dport = 53;
	c->payload_len = 3;
	check_prefixes(c);

	/* ICMP error quoting TCP. */
	memset(c, 0, sizeof(*c));
	c->what = "icmp4-tcp";
	c->dlt = DLT_EN10MB;
	build_icmp4_err(&c->p, 3, 13, 6, QUOTED_TCP, 8);
	c->min_ok = 14 + 20 + 8 + 20 + 4;
	c->l4 = SS_L4_ICMP_ERROR;
	c->sport = 50000;
	c->dport = 443;
	check_prefixes(c);

	/* ICMPv6 error quoting UDP behind an extension header. */
	memset(c, 0, sizeof(*c));
	c->what = "icmp6-udp";
	c->dlt = DLT_EN10MB;
	build_icmp6_port_unreach(&c->p);
	c->min_ok = 14 + 40 + 8 + 40 + 8 + 4;
	c->l4 = SS_L4_ICMP_ERROR;
	c->sport = 5353;
	c->dport = 5354;
	check_prefixes(c);

	/* SLL2 with hostile-but-legal IPv4 total length 0xffff. */
	memset(c, 0, sizeof(*c));
	c->what = "sll2-v4-ffff";
	c->dlt = DLT_LINUX_SLL2;
	p16(&c->p, 0x0800);
	pzero(&c->p, 18);
	ipv4(&c->p, 0xffff, 6);
	tcp(&c->p, 7, 8, 9, 10, 5, SS_TCP_ACK);
	pzero(&c->p, 4);
	c->min_ok = 20 + 40;
	c->l4 = SS_L4_TCP;
	c->sport = 7;
	c->dport = 8;
	c->payload_len = 65495;
	c->padding = 0;
	check_prefixes(c);

	/* NULL-link IPv4 with total length 0 (TSO). */
	memset(c, 0, sizeof(*c));
	c->what = "null-v4-tso";
	c->dlt = DLT_NULL;
	p32(&c->p, 2);
	ipv4(&c->p, 0, 17);
	udp(&c->p, 1, 2, 12);
	pzero(&c->p, 4);
	c->min_ok = 4 + 28;
	c->l4 = SS_L4_UDP;
	c->sport = 1;
	c->dport = 2;
	c->payload_len = 4;
	/* The length comes from the capture, so a prefix is never "cut". */
	c->padding = 0;
	{
		ss_packet o;
		for (gsize k = 0; k < c->p.n; k++) {
			guint8 *buf = malloc(k);
			if (k)
				memcpy(buf, c->p.b, k);
			ss_reason r = ss_decode(c->dlt, buf, (guint32)k, (guint32)c->p.n, &o);
			free(buf);
			assert_int_equal(ss_reason_class_of(r),
					 k < c->min_ok ? SS_CLASS_TRUNCATED : SS_CLASS_OK);
		}
	}

	g_free(c);
}

/* ------------------------------------------------------- encapsulations */

/* Outer (underlay) addresses, distinct from the inner V4A/V4B. */
static const guint8 O4A[4] = { 192, 0, 2, 1 };
static const guint8 O4B[4] = { 192, 0, 2, 2 };

/* The inner packets every tunnel case carries: 44 and 51 bytes. */
enum { INNER_TCP4_LEN = 44, INNER_UDP6_LEN = 51 };

static void inner_tcp4(pkt *p)
{
	ipv4(p, INNER_TCP4_LEN, 6);
	tcp(p, 40000, 80, 1, 0, 5, SS_TCP_SYN);
	p32(p, 0xdeadbeef);
}

static void inner_udp6(pkt *p)
{
	ipv6(p, 11, 17);
	udp(p, 5353, 53, 11);
	p16(p, 0xabcd);
	p8(p, 1);
}

static void outer_udp4(pkt *p, guint16 sport, guint16 dport, guint16 payload)
{
	eth(p, 0x0800);
	ipv4x(p, 5, (guint16)(20 + 8 + payload), 0x4000, 17, O4A, O4B);
	udp(p, sport, dport, (guint16)(8 + payload));
}

static void set_tcp4(prefix_case *c, gsize min_ok, ss_tunnel_type t, guint32 vni)
{
	c->min_ok = min_ok;
	c->l4 = SS_L4_TCP;
	c->sport = 40000;
	c->dport = 80;
	c->payload_len = 4;
	c->tunnel = t;
	c->vni = vni;
	c->depth = t == SS_TUNNEL_NONE ? 0 : 1;
}

static void set_udp6(prefix_case *c, gsize min_ok, ss_tunnel_type t, guint32 vni)
{
	c->min_ok = min_ok;
	c->l4 = SS_L4_UDP;
	c->sport = 5353;
	c->dport = 53;
	c->payload_len = 3;
	c->tunnel = t;
	c->vni = vni;
	c->depth = 1;
}

static void test_encap_every_prefix(void **state)
{
	(void)state;
	prefix_case *c = g_new0(prefix_case, 1);

	memset(c, 0, sizeof(*c));
	c->what = "vxlan";
	c->dlt = DLT_EN10MB;
	outer_udp4(&c->p, 51234, 4789, 8 + 14 + INNER_TCP4_LEN);
	p32(&c->p, 0x08000000);
	p32(&c->p, 4242u << 8);
	eth(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 42 + 8 + 14 + 40, SS_TUNNEL_VXLAN, 4242);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "geneve-opts-v6";
	c->dlt = DLT_EN10MB;
	outer_udp4(&c->p, 51234, 6081, 8 + 8 + INNER_UDP6_LEN);
	p8(&c->p, 2);              /* version 0, 2 words of options */
	p8(&c->p, 0);
	p16(&c->p, 0x86dd);
	p32(&c->p, 77u << 8);
	p16(&c->p, 0x0104); p8(&c->p, 0x80); p8(&c->p, 1); p32(&c->p, 0x11223344);
	inner_udp6(&c->p);
	set_udp6(c, 42 + 16 + 48, SS_TUNNEL_GENEVE, 77);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "gre-csum-key-seq";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x0800);
	ipv4x(&c->p, 5, 20 + 16 + INNER_TCP4_LEN, 0, 47, O4A, O4B);
	p16(&c->p, 0xb000); p16(&c->p, 0x0800);
	p32(&c->p, 0);             /* checksum, reserved */
	p32(&c->p, 0x00010002);    /* key */
	p32(&c->p, 9);             /* sequence */
	inner_tcp4(&c->p);
	set_tcp4(c, 14 + 20 + 16 + 40, SS_TUNNEL_GRE, 0x00010002);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "gre-teb-vlan";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x0800);
	ipv4x(&c->p, 5, 20 + 4 + 18 + INNER_TCP4_LEN, 0, 47, O4A, O4B);
	p16(&c->p, 0x0000); p16(&c->p, 0x6558);
	eth(&c->p, 0x8100);
	vlan(&c->p, 5, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 14 + 20 + 4 + 18 + 40, SS_TUNNEL_GRE, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "erspan2";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x0800);
	ipv4x(&c->p, 5, 20 + 8 + 8 + 14 + INNER_TCP4_LEN, 0, 47, O4A, O4B);
	p16(&c->p, 0x1000); p16(&c->p, 0x88be);
	p32(&c->p, 1);             /* sequence */
	p16(&c->p, 0x1000 | 7);    /* version 1, VLAN 7 */
	p16(&c->p, 0x0155);        /* session 0x155 */
	p32(&c->p, 0);
	eth(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 14 + 20 + 16 + 14 + 40, SS_TUNNEL_ERSPAN, 0x155);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "erspan3-subheader";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x0800);
	ipv4x(&c->p, 5, 20 + 8 + 20 + 14 + INNER_TCP4_LEN, 0, 47, O4A, O4B);
	p16(&c->p, 0x1000); p16(&c->p, 0x22eb);
	p32(&c->p, 1);
	p16(&c->p, 0x2000);        /* version 2 */
	p16(&c->p, 0x0003);        /* session 3 */
	p32(&c->p, 0x01020304);    /* timestamp */
	p16(&c->p, 0);             /* SGT */
	p16(&c->p, 0x0001);        /* frame type Ethernet, O: subheader follows */
	p32(&c->p, 0); p32(&c->p, 0);
	eth(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 14 + 20 + 28 + 14 + 40, SS_TUNNEL_ERSPAN, 3);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "6in4";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x0800);
	ipv4x(&c->p, 5, 20 + INNER_UDP6_LEN, 0, 41, O4A, O4B);
	inner_udp6(&c->p);
	set_udp6(c, 14 + 20 + 48, SS_TUNNEL_IPIP, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "4in6";
	c->dlt = DLT_RAW;
	ipv6(&c->p, INNER_TCP4_LEN, 4);
	inner_tcp4(&c->p);
	set_tcp4(c, 40 + 40, SS_TUNNEL_IPIP, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "gtpu-ext";
	c->dlt = DLT_EN10MB;
	outer_udp4(&c->p, 2152, 2152, 8 + 4 + 4 + INNER_TCP4_LEN);
	p8(&c->p, 0x34);           /* version 1, PT, E */
	p8(&c->p, 0xff);           /* G-PDU */
	p16(&c->p, 4 + 4 + INNER_TCP4_LEN);
	p32(&c->p, 0xcafe0001);    /* TEID */
	p16(&c->p, 0); p8(&c->p, 0); p8(&c->p, 0x85);  /* PDU session container */
	p8(&c->p, 1); p16(&c->p, 0x0009); p8(&c->p, 0);
	inner_tcp4(&c->p);
	set_tcp4(c, 42 + 16 + 40, SS_TUNNEL_GTPU, 0xcafe0001);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "teredo-origin";
	c->dlt = DLT_EN10MB;
	outer_udp4(&c->p, 3544, 40001, 8 + INNER_UDP6_LEN);
	p16(&c->p, 0x0000); p16(&c->p, 0xffff); p32(&c->p, 0x3fffffff);
	inner_udp6(&c->p);
	set_udp6(c, 42 + 8 + 48, SS_TUNNEL_TEREDO, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "ayiya";
	c->dlt = DLT_EN10MB;
	outer_udp4(&c->p, 40002, 5072, 8 + 16 + 20 + INNER_UDP6_LEN);
	p8(&c->p, 0x41);           /* identity 2^4 bytes, type 1 */
	p8(&c->p, 0x52);           /* signature 5 words, SHA-1 */
	p8(&c->p, 0x11);           /* auth 1, opcode forward */
	p8(&c->p, 41);
	p32(&c->p, 1700000000);
	pzero(&c->p, 16 + 20);
	inner_udp6(&c->p);
	set_udp6(c, 42 + 44 + 48, SS_TUNNEL_AYIYA, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "gre-udp-v6";
	c->dlt = DLT_EN10MB;
	outer_udp4(&c->p, 40003, 4754, 4 + INNER_UDP6_LEN);
	p16(&c->p, 0); p16(&c->p, 0x86dd);
	inner_udp6(&c->p);
	set_udp6(c, 42 + 4 + 48, SS_TUNNEL_GRE, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "gre-pptp-ppp";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x0800);
	ipv4x(&c->p, 5, 20 + 16 + 4 + INNER_TCP4_LEN, 0, 47, O4A, O4B);
	p16(&c->p, 0x3081); p16(&c->p, 0x880b);   /* K, S, A, version 1 */
	p16(&c->p, 4 + INNER_TCP4_LEN); p16(&c->p, 0x0007); /* length, call id */
	p32(&c->p, 5); p32(&c->p, 4);
	p16(&c->p, 0xff03); p16(&c->p, 0x0021);
	inner_tcp4(&c->p);
	set_tcp4(c, 14 + 20 + 20 + 40, SS_TUNNEL_GRE, 7);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "mpls-2-labels";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x8847);
	p32(&c->p, (100u << 12) | 64);
	p32(&c->p, (200u << 12) | 0x100 | 64);
	inner_tcp4(&c->p);
	set_tcp4(c, 14 + 8 + 40, SS_TUNNEL_MPLS, 200);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "mpls-pw-cw-eth";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x8847);
	p32(&c->p, (300u << 12) | 0x100 | 64);
	p32(&c->p, 0);             /* control word */
	eth(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 14 + 8 + 14 + 40, SS_TUNNEL_MPLS, 300);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "pppoe-qinq";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x88a8);
	vlan(&c->p, 10, 0x8100);
	vlan(&c->p, 20, 0x8864);
	p8(&c->p, 0x11); p8(&c->p, 0); p16(&c->p, 0x0042); p16(&c->p, 2 + INNER_TCP4_LEN);
	p16(&c->p, 0x0021);
	inner_tcp4(&c->p);
	set_tcp4(c, 22 + 8 + 40, SS_TUNNEL_PPPOE, 0x42);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "pbb";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x88a8);
	vlan(&c->p, 30, 0x88e7);
	p32(&c->p, 0x00123456);    /* I-TAG: I-SID 0x123456 */
	eth(&c->p, 0x0800);        /* customer MACs and type */
	inner_tcp4(&c->p);
	set_tcp4(c, 18 + 4 + 14 + 40, SS_TUNNEL_PBB, 0x123456);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "fabricpath";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x8903);
	p16(&c->p, 0x0041);
	eth(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 16 + 14 + 40, SS_TUNNEL_FABRICPATH, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "vntag";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 0x8926);
	p32(&c->p, 0x80010002);
	p16(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 20 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	/* Link types whose header leads to a type field or an IP packet. */
	memset(c, 0, sizeof(*c));
	c->what = "link-ppp";
	c->dlt = DLT_PPP;
	p16(&c->p, 0xff03); p16(&c->p, 0x0021);
	inner_tcp4(&c->p);
	set_tcp4(c, 4 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "link-ppp-serial-pfc";
	c->dlt = DLT_PPP_SERIAL;
	p8(&c->p, 0x21);           /* compressed protocol field, no address */
	inner_tcp4(&c->p);
	set_tcp4(c, 1 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "link-ppp-ether";
	c->dlt = DLT_PPP_ETHER;
	p8(&c->p, 0x11); p8(&c->p, 0); p16(&c->p, 0x0099); p16(&c->p, 2 + INNER_TCP4_LEN);
	p16(&c->p, 0x0021);
	inner_tcp4(&c->p);
	set_tcp4(c, 8 + 40, SS_TUNNEL_PPPOE, 0x99);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "link-chdlc";
	c->dlt = DLT_C_HDLC;
	p8(&c->p, 0x0f); p8(&c->p, 0); p16(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 4 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "link-ipoib";
	c->dlt = 242;
	p16(&c->p, 0x0800); p16(&c->p, 0);
	inner_tcp4(&c->p);
	set_tcp4(c, 4 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	/* NFLOG, little-endian TLVs: a prefix TLV (8 bytes), a hardware
	 * header TLV of 6 bytes padded to 8, then the payload. */
	memset(c, 0, sizeof(*c));
	c->what = "link-nflog";
	c->dlt = DLT_NFLOG;
	p8(&c->p, 2); p8(&c->p, 0); p16(&c->p, 5);
	p8(&c->p, 8); p8(&c->p, 0); p8(&c->p, 10); p8(&c->p, 0); p32(&c->p, 0x41424300);
	p8(&c->p, 6); p8(&c->p, 0); p8(&c->p, 3); p8(&c->p, 0); p16(&c->p, 1); p16(&c->p, 0);
	p8(&c->p, 4 + INNER_TCP4_LEN); p8(&c->p, 0); p8(&c->p, 9); p8(&c->p, 0);
	inner_tcp4(&c->p);
	set_tcp4(c, 4 + 8 + 8 + 4 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "link-nflog-be";
	c->dlt = DLT_NFLOG;
	p8(&c->p, 10); p8(&c->p, 0); p16(&c->p, 5);
	p16(&c->p, 4 + INNER_UDP6_LEN); p16(&c->p, 9);
	inner_udp6(&c->p);
	set_udp6(c, 4 + 4 + 48, SS_TUNNEL_NONE, 0);
	c->depth = 0;
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "llc-snap";
	c->dlt = DLT_EN10MB;
	eth(&c->p, 8 + INNER_TCP4_LEN);      /* an 802.3 length */
	p16(&c->p, 0xaaaa); p8(&c->p, 0x03);
	p8(&c->p, 0); p16(&c->p, 0);
	p16(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 22 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	g_free(c);
}

/* ------------------------------------------------- 802.11 and PKTAP links */

static void le16(pkt *p, guint16 v)
{
	p8(p, (guint8)(v & 0xff));
	p8(p, (guint8)(v >> 8));
}

static void le32(pkt *p, guint32 v)
{
	le16(p, (guint16)(v & 0xffff));
	le16(p, (guint16)(v >> 16));
}

/* An 802.11 data frame header: frame control (type 2, `subtype`, flags
 * `fc1`), duration, three addresses, sequence control `seq`; a fourth
 * address with both DS bits, QoS control `qos` for QoS subtypes, HT control
 * with the order bit in a QoS frame. */
static gsize dot11_data(pkt *p, guint8 subtype, guint8 fc1, guint16 seq, guint16 qos)
{
	gsize start = p->n;
	p8(p, (guint8)(subtype << 4 | 2 << 2));
	p8(p, fc1);
	le16(p, 0);
	for (int i = 0; i < 18; i++)
		p8(p, (guint8)(0x10 + i));
	le16(p, seq);
	if ((fc1 & 3) == 3)
		pzero(p, 6);
	if (subtype & 8) {
		le16(p, qos);
		if (fc1 & 0x80)
			le32(p, 0);
	}
	return p->n - start;
}

static void snap(pkt *p, guint16 type)
{
	p16(p, 0xaaaa); p8(p, 0x03);
	p8(p, 0); p16(p, 0);
	p16(p, type);
}

/* radiotap with TSFT and flags (at offset 16 after alignment). */
static void radiotap(pkt *p, guint8 flags)
{
	p8(p, 0); p8(p, 0); le16(p, 17);
	le32(p, 0x3);
	pzero(p, 8);           /* TSFT, already 8-aligned at offset 8 */
	p8(p, flags);
}

static void test_wlan_every_prefix(void **state)
{
	(void)state;
	prefix_case *c = g_new0(prefix_case, 1);
	gsize h;

	memset(c, 0, sizeof(*c));
	c->what = "80211-data";
	c->dlt = 105;
	h = dot11_data(&c->p, 0, 0x01, 0x10, 0);
	snap(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, h + 8 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	/* radiotap with an FCS, QoS data in WDS (four addresses) with HT
	 * control: the FCS is trimmed, never payload. */
	memset(c, 0, sizeof(*c));
	c->what = "radiotap-qos-wds-ht-fcs";
	c->dlt = 127;
	radiotap(&c->p, 0x10);
	h = dot11_data(&c->p, 8, 0x83, 0x20, 0x0005);
	snap(&c->p, 0x86dd);
	inner_udp6(&c->p);
	p32(&c->p, 0xfcfcfcfc);
	set_udp6(c, 17 + h + 8 + 48, SS_TUNNEL_NONE, 0);
	c->depth = 0;
	c->padding = 4;
	check_prefixes(c);

	/* radiotap data padding: a 26-byte QoS header padded to 28. */
	memset(c, 0, sizeof(*c));
	c->what = "radiotap-datapad";
	c->dlt = 127;
	radiotap(&c->p, 0x20);
	h = dot11_data(&c->p, 8, 0x02, 0, 0);
	pzero(&c->p, 2);
	snap(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 17 + h + 2 + 8 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	/* PPI, aligned, with a 6-byte unknown field (padded to 8) and an
	 * 802.11-Common field whose flags say FCS present. */
	memset(c, 0, sizeof(*c));
	c->what = "ppi-common-fcs";
	c->dlt = 192;
	p8(&c->p, 0); p8(&c->p, 1); le16(&c->p, 8 + 4 + 6 + 2 + 4 + 20); le32(&c->p, 105);
	le16(&c->p, 30000); le16(&c->p, 6); pzero(&c->p, 6); pzero(&c->p, 2);
	le16(&c->p, 2); le16(&c->p, 20); pzero(&c->p, 8); le16(&c->p, 0x0001); pzero(&c->p, 10);
	h = dot11_data(&c->p, 0, 0x02, 0, 0);
	snap(&c->p, 0x0800);
	inner_tcp4(&c->p);
	p32(&c->p, 0xfcfcfcfc);
	set_tcp4(c, 44 + h + 8 + 40, SS_TUNNEL_NONE, 0);
	c->padding = 4;
	check_prefixes(c);

	/* PPI in front of Ethernet (a VLAN tag inside) and of raw IP. */
	memset(c, 0, sizeof(*c));
	c->what = "ppi-ether";
	c->dlt = 192;
	p8(&c->p, 0); p8(&c->p, 0); le16(&c->p, 8 + 4 + 20); le32(&c->p, 1);
	le16(&c->p, 2); le16(&c->p, 20); pzero(&c->p, 20);
	eth(&c->p, 0x8100); p16(&c->p, 7); p16(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 32 + 18 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "ppi-raw";
	c->dlt = 192;
	p8(&c->p, 0); p8(&c->p, 0); le16(&c->p, 8); le32(&c->p, 101);
	inner_udp6(&c->p);
	set_udp6(c, 8 + 48, SS_TUNNEL_NONE, 0);
	c->depth = 0;
	check_prefixes(c);

	memset(c, 0, sizeof(*c));
	c->what = "prism";
	c->dlt = 119;
	le32(&c->p, 0x44); le32(&c->p, 144); pzero(&c->p, 136);
	h = dot11_data(&c->p, 0, 0x01, 0, 0);
	snap(&c->p, 0x0800);
	inner_tcp4(&c->p);
	set_tcp4(c, 144 + h + 8 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	/* AVS, and AVS under the Prism link type. */
	for (int dlt = 163; dlt; dlt = dlt == 163 ? 119 : 0) {
		memset(c, 0, sizeof(*c));
		c->what = dlt == 163 ? "avs" : "avs-as-prism";
		c->dlt = dlt;
		p32(&c->p, 0x80211001); p32(&c->p, 64); pzero(&c->p, 56);
		h = dot11_data(&c->p, 0, 0x01, 0, 0);
		snap(&c->p, 0x0800);
		inner_tcp4(&c->p);
		set_tcp4(c, 64 + h + 8 + 40, SS_TUNNEL_NONE, 0);
		check_prefixes(c);
	}

	/* PKTAP (both link type values) around Ethernet, and around a BSD
	 * loopback header written little-endian. */
	for (int dlt = 258; dlt; dlt = dlt == 258 ? 149 : 0) {
		memset(c, 0, sizeof(*c));
		c->what = dlt == 258 ? "pktap-ether" : "user2-pktap-ether";
		c->dlt = dlt;
		le32(&c->p, 108); le32(&c->p, 1); le32(&c->p, 1); pzero(&c->p, 96);
		eth(&c->p, 0x0800);
		inner_tcp4(&c->p);
		set_tcp4(c, 108 + 14 + 40, SS_TUNNEL_NONE, 0);
		check_prefixes(c);
	}
	memset(c, 0, sizeof(*c));
	c->what = "pktap-null";
	c->dlt = 258;
	le32(&c->p, 112); le32(&c->p, 1); le32(&c->p, 0); pzero(&c->p, 100);
	le32(&c->p, 2);
	inner_tcp4(&c->p);
	set_tcp4(c, 112 + 4 + 40, SS_TUNNEL_NONE, 0);
	check_prefixes(c);

	g_free(c);
}

/* ---------------------------------------------------------------- A-MSDU */

/* One A-MSDU subframe: DA, SA, length (big-endian), the MSDU (LLC/SNAP of
 * `type`, then what `body` writes), padded to 4 bytes unless `last`. */
#define AMSDU_SUB(p, type, last, body)                                   \
	do {                                                             \
		gsize at_ = (p)->n;                                      \
		pzero((p), 12);                                          \
		gsize len_at_ = (p)->n;                                  \
		p16((p), 0);                                             \
		snap((p), (type));                                       \
		body;                                                    \
		gsize len_ = (p)->n - len_at_ - 2;                       \
		(p)->b[len_at_] = (guint8)(len_ >> 8);                   \
		(p)->b[len_at_ + 1] = (guint8)len_;                      \
		if (!(last))                                             \
			while (((p)->n - at_) & 3)                       \
				p8((p), 0);                              \
	} while (0)

/* Every packet of one frame through ss_decode_parts(): the reasons in
 * order, the packets in out[] (at most `max`); returns how many. */
static guint decode_parts(int dlt, const guint8 *b, guint32 caplen, guint32 wirelen,
			  ss_reason *r, ss_packet *out, guint max, ss_frame_iter *it)
{
	guint n = 0;
	memset(it, 0, sizeof(*it));
	do {
		assert_true(n < max);
		r[n] = ss_decode_parts(NULL, NULL, dlt, b, caplen, wirelen, 0, it, &out[n]);
		n++;
	} while (it->next != 0);
	return n;
}

static void amsdu_three(pkt *p, guint8 fc1, gboolean fcs)
{
	p->n = 0;
	if (fcs)
		radiotap(p, 0x10);
	dot11_data(p, 8, fc1, 0, 0x0080);
	AMSDU_SUB(p, 0x0800, FALSE, inner_tcp4(p));
	AMSDU_SUB(p, 0x0806, FALSE, pzero(p, 28));   /* ARP */
	AMSDU_SUB(p, 0x86dd, TRUE, inner_udp6(p));
	if (fcs)
		p32(p, 0xfcfcfcfc);
}

static void test_wlan_amsdu(void **state)
{
	(void)state;
	pkt p;
	ss_packet o[8];
	ss_reason r[8];
	ss_frame_iter it;

	/* Three subframes: TCP over IPv4 (padded), ARP, UDP over IPv6 (last,
	 * unpadded); each a packet with its own length. */
	for (int fcs = 0; fcs <= 1; fcs++) {
		amsdu_three(&p, 0x01, fcs);
		guint n = decode_parts(fcs ? 127 : 105, p.b, (guint32)p.n, (guint32)p.n, r, o, 8,
				       &it);
		assert_int_equal(n, 3);
		assert_int_equal(it.subframes, 3);
		assert_int_equal(r[0], SS_REASON_OK);
		assert_int_equal(o[0].l4, SS_L4_TCP);
		assert_int_equal(o[0].sport, 40000);
		assert_int_equal(o[0].payload_len, 4);
		assert_int_equal(o[0].wirelen, 14 + 8 + INNER_TCP4_LEN);
		assert_int_equal(o[0].caplen, o[0].wirelen);
		assert_int_equal(r[1], SS_REASON_NON_IP);
		assert_int_equal(r[2], SS_REASON_OK);
		assert_int_equal(o[2].l4, SS_L4_UDP);
		assert_int_equal(o[2].dport, 53);
		assert_int_equal(o[2].payload_len, 3);
		assert_false(o[2].payload_cut);   /* the FCS is not payload */
	}
	/* One packet per frame: still said, not silently the first. */
	amsdu_three(&p, 0x01, FALSE);
	assert_int_equal(dec(105, &p, &o[0]), SS_REASON_WLAN_AMSDU);

	/* Every prefix of the frame, the wire having all of it: nothing is
	 * invalid, nothing read past the capture (exact-size copies for
	 * ASan), and the subframes captured whole still decode. */
	amsdu_three(&p, 0x02, FALSE);
	gsize first_end = 24 + 2 + 14 + 8 + INNER_TCP4_LEN;
	for (gsize k = 0; k < p.n; k++) {
		guint8 *buf = malloc(k ? k : 1);
		memcpy(buf, p.b, k);
		guint n = decode_parts(105, buf, (guint32)k, (guint32)p.n, r, o, 8, &it);
		free(buf);
		for (guint i = 0; i < n; i++)
			if (ss_reason_class_of(r[i]) == SS_CLASS_INVALID)
				fail_msg("amsdu prefix %zu: subframe %u gave %s", k, i,
					 ss_reason_name(r[i]));
		if (k >= first_end)
			assert_int_equal(r[0], SS_REASON_OK);
		/* cut inside a subframe header: trunc_amsdu, the last call */
		assert_true(n <= 3);
	}
	/* Cut right after the first subframe's padding: the others are
	 * counted once as cut off. */
	gsize second = 24 + 2 + ((14 + 8 + INNER_TCP4_LEN + 3) & ~(gsize)3);
	guint n = decode_parts(105, p.b, (guint32)second, (guint32)p.n, r, o, 8, &it);
	assert_int_equal(n, 2);
	assert_int_equal(r[0], SS_REASON_OK);
	assert_int_equal(r[1], SS_REASON_TRUNC_AMSDU);

	/* A zero-length subframe, one longer than the frame, trailing bytes
	 * too short for a subframe header: invalid, and nothing after it is
	 * read (the TCP subframe behind the zero-length one stays unread). */
	p.n = 0;
	dot11_data(&p, 8, 0x01, 0, 0x0080);
	AMSDU_SUB(&p, 0x0800, FALSE, inner_tcp4(&p));
	pzero(&p, 12); p16(&p, 0); pzero(&p, 2);
	AMSDU_SUB(&p, 0x0800, TRUE, inner_tcp4(&p));
	n = decode_parts(105, p.b, (guint32)p.n, (guint32)p.n, r, o, 8, &it);
	assert_int_equal(n, 2);
	assert_int_equal(r[1], SS_REASON_BAD_AMSDU_SUBFRAME);
	assert_int_equal(it.subframes, 2);

	p.n = 0;
	dot11_data(&p, 8, 0x01, 0, 0x0080);
	pzero(&p, 12); p16(&p, 2000); snap(&p, 0x0800); inner_tcp4(&p);
	n = decode_parts(105, p.b, (guint32)p.n, (guint32)p.n, r, o, 8, &it);
	assert_int_equal(n, 1);
	assert_int_equal(r[0], SS_REASON_BAD_AMSDU_SUBFRAME);
	/* ...but the same length with the wire longer than the capture is a
	 * snapped subframe: its headers decode */
	n = decode_parts(105, p.b, (guint32)p.n, (guint32)p.n + 2000, r, o, 8, &it);
	assert_int_equal(r[0], SS_REASON_OK);
	assert_int_equal(o[0].caplen, 14 + 8 + INNER_TCP4_LEN);
	assert_int_equal(o[0].wirelen, 14 + 2000);

	p.n = 0;
	dot11_data(&p, 8, 0x01, 0, 0x0080);
	AMSDU_SUB(&p, 0x0800, FALSE, inner_tcp4(&p));
	pzero(&p, 9);
	n = decode_parts(105, p.b, (guint32)p.n, (guint32)p.n, r, o, 8, &it);
	assert_int_equal(n, 2);
	assert_int_equal(r[0], SS_REASON_OK);
	assert_int_equal(r[1], SS_REASON_BAD_AMSDU_SUBFRAME);
	/* An empty A-MSDU body */
	p.n = 0;
	dot11_data(&p, 8, 0x01, 0, 0x0080);
	n = decode_parts(105, p.b, (guint32)p.n, (guint32)p.n, r, o, 8, &it);
	assert_int_equal(n, 1);
	assert_int_equal(r[0], SS_REASON_BAD_AMSDU_SUBFRAME);
	/* 1-3 bytes after the last subframe are its padding */
	p.n = 0;
	dot11_data(&p, 8, 0x01, 0, 0x0080);
	AMSDU_SUB(&p, 0x0800, FALSE, inner_tcp4(&p); p8(&p, 0));
	n = decode_parts(105, p.b, (guint32)p.n, (guint32)p.n, r, o, 8, &it);
	assert_int_equal(n, 1);
	assert_int_equal(r[0], SS_REASON_OK);

	/* Mesh Control (QoS bit 8, four addresses): skipped by its address
	 * extension mode (0: 6 bytes, 2: 18) in a frame of one MSDU. */
	for (guint ae = 0; ae <= 2; ae += 2) {
		p.n = 0;
		dot11_data(&p, 8, 0x03, 0, 0x0100);
		p8(&p, (guint8)ae); p8(&p, 31); le32(&p, 7); pzero(&p, 6 * ae);
		snap(&p, 0x0800);
		inner_tcp4(&p);
		assert_int_equal(dec(105, &p, &o[0]), SS_REASON_OK);
		assert_int_equal(o[0].sport, 40000);
		p.n -= INNER_TCP4_LEN + 8 + 1;
		assert_int_equal(dec(105, &p, &o[0]), SS_REASON_TRUNC_WLAN);
	}
	/* mode 3 is reserved */
	p.n = 0;
	dot11_data(&p, 8, 0x03, 0, 0x0100);
	p8(&p, 3); p8(&p, 31); le32(&p, 7); pzero(&p, 18);
	snap(&p, 0x0800);
	inner_tcp4(&p);
	assert_int_equal(dec(105, &p, &o[0]), SS_REASON_BAD_WLAN_HEADER);
	/* the bit set outside a mesh BSS (a queue size): LLC follows at once */
	p.n = 0;
	dot11_data(&p, 8, 0x01, 0, 0x0100);
	snap(&p, 0x0800);
	inner_tcp4(&p);
	assert_int_equal(dec(105, &p, &o[0]), SS_REASON_OK);
	/* a mesh A-MSDU: counted, not decoded, the frame ends there */
	p.n = 0;
	dot11_data(&p, 8, 0x03, 0, 0x0180);
	pzero(&p, 12); p16(&p, 6 + 8 + INNER_TCP4_LEN);
	p8(&p, 0); p8(&p, 31); le32(&p, 7); snap(&p, 0x0800); inner_tcp4(&p);
	n = decode_parts(105, p.b, (guint32)p.n, (guint32)p.n, r, o, 8, &it);
	assert_int_equal(n, 1);
	assert_int_equal(r[0], SS_REASON_WLAN_MESH_AMSDU);
	/* with the same QoS bits, a subframe holding LLC is an ordinary one */
	p.n = 0;
	dot11_data(&p, 8, 0x01, 0, 0x0180);
	AMSDU_SUB(&p, 0x0800, TRUE, inner_tcp4(&p));
	n = decode_parts(105, p.b, (guint32)p.n, (guint32)p.n, r, o, 8, &it);
	assert_int_equal(r[0], SS_REASON_OK);
}

/* What is not an unencrypted data frame, and headers that lie. */
static void test_wlan_reasons(void **state)
{
	(void)state;
	ss_packet o;
	pkt p;

#define WLAN_CASE(dlt_, want, ...)                                     \
	do {                                                           \
		p.n = 0;                                               \
		__VA_ARGS__;                                           \
		assert_int_equal(dec(dlt_, &p, &o), want);             \
	} while (0)

	/* management (beacon), control (ACK), null function, QoS null */
	WLAN_CASE(105, SS_REASON_WLAN_MGMT, p8(&p, 0x80); p8(&p, 0); pzero(&p, 40));
	WLAN_CASE(105, SS_REASON_WLAN_CTRL, p8(&p, 0xd4); p8(&p, 0); pzero(&p, 8));
	WLAN_CASE(105, SS_REASON_WLAN_NO_DATA, dot11_data(&p, 4, 1, 0, 0));
	WLAN_CASE(105, SS_REASON_WLAN_NO_DATA, dot11_data(&p, 12, 1, 0, 0));
	/* protected (CCMP header and ciphertext follow) */
	WLAN_CASE(105, SS_REASON_WLAN_PROTECTED,
		  dot11_data(&p, 8, 0x41, 0, 0); pzero(&p, 8 + 60));
	WLAN_CASE(127, SS_REASON_WLAN_PROTECTED,
		  radiotap(&p, 0); dot11_data(&p, 0, 0x42, 0, 0); pzero(&p, 60));
	/* an 802.11 fragment after the first; an A-MSDU */
	WLAN_CASE(105, SS_REASON_WLAN_FRAGMENT,
		  dot11_data(&p, 0, 0x01, 0x0011, 0); pzero(&p, 60));
	WLAN_CASE(105, SS_REASON_WLAN_AMSDU,
		  dot11_data(&p, 8, 0x01, 0, 0x0080); pzero(&p, 60));
	/* LLC that is not SNAP (STP), SNAP carrying ARP */
	WLAN_CASE(105, SS_REASON_NON_IP, dot11_data(&p, 0, 1, 0, 0);
		  p8(&p, 0x42); p8(&p, 0x42); p8(&p, 3); pzero(&p, 35));
	WLAN_CASE(105, SS_REASON_NON_IP, dot11_data(&p, 0, 1, 0, 0);
		  snap(&p, 0x0806); pzero(&p, 28));
	/* protocol version 1 */
	WLAN_CASE(105, SS_REASON_BAD_WLAN_HEADER, p8(&p, 0x09); p8(&p, 1); pzero(&p, 60));

	/* radiotap: version 1; it_len below 8; it_len beyond the wire; a
	 * present-bitmap chain running past it_len; the flags field past
	 * it_len; bad FCS */
	WLAN_CASE(127, SS_REASON_BAD_RADIO_HEADER, p8(&p, 1); p8(&p, 0); le16(&p, 8);
		  le32(&p, 0); dot11_data(&p, 0, 1, 0, 0));
	WLAN_CASE(127, SS_REASON_BAD_RADIO_HEADER, p8(&p, 0); p8(&p, 0); le16(&p, 4);
		  le32(&p, 0); dot11_data(&p, 0, 1, 0, 0));
	WLAN_CASE(127, SS_REASON_BAD_RADIO_HEADER, p8(&p, 0); p8(&p, 0); le16(&p, 0xffff);
		  le32(&p, 0); dot11_data(&p, 0, 1, 0, 0));
	WLAN_CASE(127, SS_REASON_BAD_RADIO_HEADER, p8(&p, 0); p8(&p, 0); le16(&p, 12);
		  le32(&p, 0x80000000u); le32(&p, 0x80000000u); le32(&p, 0);
		  dot11_data(&p, 0, 1, 0, 0));
	WLAN_CASE(127, SS_REASON_BAD_RADIO_HEADER, p8(&p, 0); p8(&p, 0); le16(&p, 16);
		  le32(&p, 0x3); pzero(&p, 8); dot11_data(&p, 0, 1, 0, 0));
	WLAN_CASE(127, SS_REASON_BAD_WLAN_FCS, radiotap(&p, 0x40);
		  dot11_data(&p, 0, 1, 0, 0); snap(&p, 0x0800); inner_tcp4(&p));
	/* PPI: version 2; a field running past pph_len; not 802.11 inside */
	WLAN_CASE(192, SS_REASON_BAD_RADIO_HEADER, p8(&p, 2); p8(&p, 0); le16(&p, 8);
		  le32(&p, 105); dot11_data(&p, 0, 1, 0, 0));
	WLAN_CASE(192, SS_REASON_BAD_RADIO_HEADER, p8(&p, 0); p8(&p, 0); le16(&p, 12);
		  le32(&p, 105); le16(&p, 2); le16(&p, 20); dot11_data(&p, 0, 1, 0, 0));
	/* PPI names the link behind it: Ethernet and raw IP decode as on
	 * their own link; one sockscope does not know is unsupported; PPI in
	 * PPI (and PKTAP in PPI) is refused, not followed. */
	WLAN_CASE(192, SS_REASON_OK, p8(&p, 0); p8(&p, 0); le16(&p, 8);
		  le32(&p, 1); eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(192, SS_REASON_OK, p8(&p, 0); p8(&p, 0); le16(&p, 8);
		  le32(&p, 101); inner_tcp4(&p));
	WLAN_CASE(192, SS_REASON_UNSUPPORTED_LINK, p8(&p, 0); p8(&p, 0); le16(&p, 8);
		  le32(&p, 147); eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(192, SS_REASON_BAD_RADIO_HEADER, p8(&p, 0); p8(&p, 0); le16(&p, 8);
		  le32(&p, 192); p8(&p, 0); p8(&p, 0); le16(&p, 8); le32(&p, 1);
		  eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(192, SS_REASON_BAD_RADIO_HEADER, p8(&p, 0); p8(&p, 0); le16(&p, 8);
		  le32(&p, 258); le32(&p, 108); le32(&p, 1); le32(&p, 1); pzero(&p, 96);
		  eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(192, SS_REASON_TRUNC_LINK, p8(&p, 0); p8(&p, 0); le16(&p, 8);
		  le32(&p, 1));
	/* PKTAP -> PPI -> Ethernet: a macOS monitor-mode capture's chain */
	WLAN_CASE(258, SS_REASON_OK, le32(&p, 108); le32(&p, 1); le32(&p, 192);
		  pzero(&p, 96); p8(&p, 0); p8(&p, 0); le16(&p, 8); le32(&p, 1);
		  eth(&p, 0x0800); inner_tcp4(&p));
	/* Prism with a message length that is not 144; AVS with a length
	 * below its fixed part */
	WLAN_CASE(119, SS_REASON_BAD_RADIO_HEADER, le32(&p, 0x44); le32(&p, 100);
		  pzero(&p, 200));
	WLAN_CASE(163, SS_REASON_BAD_RADIO_HEADER, p32(&p, 0x80211001); p32(&p, 4);
		  pzero(&p, 100));
	/* cut inside the radio header (the wire had the rest) */
	p.n = 0;
	radiotap(&p, 0);
	assert_int_equal(ss_decode(127, p.b, 12, 100, &o), SS_REASON_TRUNC_RADIO);
	WLAN_CASE(105, SS_REASON_TRUNC_WLAN, dot11_data(&p, 8, 1, 0, 0); p.n = 25);

	/* The FCS is trimmed: with an IPv4 total length of 0 (TSO) the
	 * transport length is what was captured, and must not count it. */
	p.n = 0;
	radiotap(&p, 0x10);
	dot11_data(&p, 0, 1, 0, 0);
	snap(&p, 0x0800);
	ipv4(&p, 0, 6);
	tcp(&p, 1, 2, 3, 4, 5, SS_TCP_ACK);
	p32(&p, 0x01020304);
	p32(&p, 0xfcfcfcfc);
	assert_int_equal(dec(127, &p, &o), SS_REASON_OK);
	assert_int_equal(o.payload_len, 4);

	/* PKTAP: a length below the header's fixed part; beyond the wire;
	 * PKTAP inside PKTAP; an inner link type sockscope cannot decode; a
	 * record that is not a packet.  DLT_USER2 that is not PKTAP-shaped
	 * is some other user link: unsupported, not invalid. */
	WLAN_CASE(258, SS_REASON_BAD_PKTAP_HEADER, le32(&p, 20); le32(&p, 1); le32(&p, 1);
		  pzero(&p, 8); eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(258, SS_REASON_BAD_PKTAP_HEADER, le32(&p, 0x10000); le32(&p, 1);
		  le32(&p, 1); pzero(&p, 200));
	WLAN_CASE(258, SS_REASON_BAD_PKTAP_HEADER, le32(&p, 108); le32(&p, 1); le32(&p, 258);
		  pzero(&p, 96); le32(&p, 108); le32(&p, 1); le32(&p, 1); pzero(&p, 96);
		  eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(258, SS_REASON_BAD_PKTAP_HEADER, le32(&p, 108); le32(&p, 1); le32(&p, 149);
		  pzero(&p, 96); eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(258, SS_REASON_UNSUPPORTED_LINK, le32(&p, 108); le32(&p, 1); le32(&p, 147);
		  pzero(&p, 96); eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(258, SS_REASON_NON_IP, le32(&p, 108); le32(&p, 0); le32(&p, 1);
		  pzero(&p, 96); eth(&p, 0x0800); inner_tcp4(&p));
	WLAN_CASE(149, SS_REASON_UNSUPPORTED_LINK, le32(&p, 20); le32(&p, 1); le32(&p, 1);
		  pzero(&p, 60));
	/* PKTAP around radiotap: one decoder hands over to the other. */
	WLAN_CASE(258, SS_REASON_OK, le32(&p, 108); le32(&p, 1); le32(&p, 127);
		  pzero(&p, 96); radiotap(&p, 0); dot11_data(&p, 0, 1, 0, 0);
		  snap(&p, 0x0800); inner_tcp4(&p));
#undef WLAN_CASE
}

static void test_encap_context(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };

	outer_udp4(&p, 51234, 4789, 8 + 14 + INNER_TCP4_LEN);
	p32(&p, 0x08000000);
	p32(&p, 0x00abcd00);
	eth(&p, 0x0800);
	inner_tcp4(&p);
	assert_int_equal(dec(DLT_EN10MB, &p, &o), SS_REASON_OK);
	assert_v4_addrs(&o);
	assert_int_equal(o.tunnel.type, SS_TUNNEL_VXLAN);
	assert_int_equal(o.tunnel.vni, 0xabcd);
	assert_int_equal(o.tunnel.has_vni, 1);
	assert_int_equal(o.tunnel.family, SS_FAMILY_IPV4);
	assert_memory_equal(o.tunnel.src.bytes, O4A, 4);
	assert_memory_equal(o.tunnel.dst.bytes, O4B, 4);
	assert_int_equal(o.tunnel.sport, 51234);
	assert_int_equal(o.tunnel.dport, 4789);
	assert_int_equal(o.ip_len, INNER_TCP4_LEN);
	assert_int_equal(o.ttl, 64);

	/* Not decapsulated when turned off: the outer datagram as before. */
	ss_decode_config cfg;
	ss_decode_config_init(&cfg);
	cfg.max_depth = 0;
	assert_int_equal(ss_decode_with(&cfg, DLT_EN10MB, p.b, (guint32)p.n, (guint32)p.n, &o),
			 SS_REASON_OK);
	assert_int_equal(o.l4, SS_L4_UDP);
	assert_int_equal(o.dport, 4789);
	assert_int_equal(o.tunnel.type, SS_TUNNEL_NONE);

	/* MPLS with decapsulation off stays non_ip, as it always was. */
	pkt m = { .n = 0 };
	eth(&m, 0x8847);
	p32(&m, (5u << 12) | 0x100 | 64);
	inner_tcp4(&m);
	assert_int_equal(ss_decode_with(&cfg, DLT_EN10MB, m.b, (guint32)m.n, (guint32)m.n, &o),
			 SS_REASON_NON_IP);
	assert_int_equal(dec(DLT_EN10MB, &m, &o), SS_REASON_OK);
	assert_int_equal(o.tunnel.family, 0);
}

static void test_encap_not_a_tunnel(void **state)
{
	(void)state;
	ss_packet o;

	/* Text to the VXLAN port: no I flag, so the ordinary UDP it is. */
	pkt t = { .n = 0 };
	outer_udp4(&t, 40000, 4789, 24);
	pbytes(&t, (const guint8 *)"GET / HTTP/1.0\r\n\r\nxxxxxx", 24);
	assert_int_equal(dec(DLT_EN10MB, &t, &o), SS_REASON_OK);
	assert_int_equal(o.l4, SS_L4_UDP);
	assert_int_equal(o.dport, 4789);
	assert_int_equal(o.tunnel.type, SS_TUNNEL_NONE);

	/* The I flag but reserved bytes set (a DNS reply to an ephemeral port
	 * 4789 can look like that): still plain UDP. */
	pkt r = { .n = 0 };
	outer_udp4(&r, 53, 4789, 8 + 14 + INNER_TCP4_LEN);
	p32(&r, 0x08818000);
	p32(&r, 0x00000100);
	eth(&r, 0x0800);
	inner_tcp4(&r);
	assert_int_equal(dec(DLT_EN10MB, &r, &o), SS_REASON_OK);
	assert_int_equal(o.sport, 53);
	assert_int_equal(o.tunnel.type, SS_TUNNEL_NONE);

	/* A datagram too short to hold VXLAN + Ethernet is not VXLAN. */
	pkt s = { .n = 0 };
	outer_udp4(&s, 40000, 4789, 8);
	p32(&s, 0x08000000);
	p32(&s, 0x00000100);
	assert_int_equal(dec(DLT_EN10MB, &s, &o), SS_REASON_OK);
	assert_int_equal(o.l4, SS_L4_UDP);

	/* Teredo's port with an IPv6 header whose length does not fill the
	 * datagram: not Teredo. */
	pkt te = { .n = 0 };
	outer_udp4(&te, 3544, 40001, INNER_UDP6_LEN + 1);
	inner_udp6(&te);
	p8(&te, 0);
	assert_int_equal(dec(DLT_EN10MB, &te, &o), SS_REASON_OK);
	assert_int_equal(o.sport, 3544);
	assert_int_equal(o.tunnel.type, SS_TUNNEL_NONE);

	/* GTP-U control: a tunnel message with no user packet. */
	pkt g = { .n = 0 };
	outer_udp4(&g, 2152, 2152, 8);
	p8(&g, 0x30); p8(&g, 1); p16(&g, 0); p32(&g, 0);
	assert_int_equal(dec(DLT_EN10MB, &g, &o), SS_REASON_TUNNEL_NO_PAYLOAD);

	/* VXLAN on a port the user named (--tunnel-port vxlan=9999). */
	pkt u = { .n = 0 };
	outer_udp4(&u, 40000, 9999, 8 + 14 + INNER_TCP4_LEN);
	p32(&u, 0x08000000);
	p32(&u, 0x00000700);
	eth(&u, 0x0800);
	inner_tcp4(&u);
	assert_int_equal(dec(DLT_EN10MB, &u, &o), SS_REASON_OK);
	assert_int_equal(o.dport, 9999);
	ss_decode_config cfg;
	ss_decode_config_init(&cfg);
	assert_false(ss_decode_config_add_port(&cfg, SS_TUNNEL_MPLS, 9999));
	assert_true(ss_decode_config_add_port(&cfg, ss_tunnel_type_from_name("vxlan"), 9999));
	assert_int_equal(ss_decode_with(&cfg, DLT_EN10MB, u.b, (guint32)u.n, (guint32)u.n, &o),
			 SS_REASON_OK);
	assert_int_equal(o.dport, 80);
	assert_int_equal(o.tunnel.vni, 7);
}

static void test_encap_bad_headers(void **state)
{
	(void)state;
	ss_packet o;

	pkt r = { .n = 0 };                  /* GRE with routing (RFC 1701) */
	ipv4x(&r, 5, 20 + 8 + INNER_TCP4_LEN, 0, 47, O4A, O4B);
	p16(&r, 0x4000); p16(&r, 0x0800); p32(&r, 0);
	inner_tcp4(&r);
	assert_int_equal(dec(DLT_RAW, &r, &o), SS_REASON_BAD_GRE_HEADER);

	pkt v = { .n = 0 };                  /* GRE version 2 */
	ipv4x(&v, 5, 20 + 4 + INNER_TCP4_LEN, 0, 47, O4A, O4B);
	p16(&v, 0x0002); p16(&v, 0x0800);
	inner_tcp4(&v);
	assert_int_equal(dec(DLT_RAW, &v, &o), SS_REASON_BAD_GRE_HEADER);

	pkt w = { .n = 0 };                  /* WCCP over GRE: not opened */
	ipv4x(&w, 5, 20 + 4 + 4, 0, 47, O4A, O4B);
	p16(&w, 0); p16(&w, 0x883e); p32(&w, 0);
	assert_int_equal(dec(DLT_RAW, &w, &o), SS_REASON_OTHER_IP_PROTO);
	assert_int_equal(o.l4, SS_L4_OTHER);

	pkt m = { .n = 0 };                  /* 17 labels, none the bottom */
	eth(&m, 0x8847);
	for (int i = 0; i < 17; i++)
		p32(&m, (guint32)i << 12);
	inner_tcp4(&m);
	assert_int_equal(dec(DLT_EN10MB, &m, &o), SS_REASON_BAD_MPLS_STACK);

	pkt pp = { .n = 0 };                 /* PPPoE discovery code in a session frame */
	eth(&pp, 0x8864);
	p8(&pp, 0x11); p8(&pp, 0x09); p16(&pp, 0); p16(&pp, 2);
	p16(&pp, 0x0021);
	assert_int_equal(dec(DLT_EN10MB, &pp, &o), SS_REASON_BAD_PPPOE_HEADER);

	pkt x = { .n = 0 };                  /* 6in4 holding IPv4 */
	ipv4x(&x, 5, 20 + INNER_TCP4_LEN, 0, 41, O4A, O4B);
	inner_tcp4(&x);
	assert_int_equal(dec(DLT_RAW, &x, &o), SS_REASON_BAD_IP_VERSION);
}

/* GRE in GRE `n` times around one TCP segment (a depth bomb when large). */
static void gre_nest(pkt *p, guint n)
{
	for (guint i = 0; i < n; i++) {
		ipv4x(p, 5, (guint16)(24 * (n - i) + INNER_TCP4_LEN), 0, 47, O4A, O4B);
		p16(p, 0);
		p16(p, 0x0800);
	}
	inner_tcp4(p);
}

static void test_encap_depth(void **state)
{
	(void)state;
	ss_packet o;
	pkt p = { .n = 0 };

	gre_nest(&p, 4);
	assert_int_equal(dec(DLT_RAW, &p, &o), SS_REASON_OK);
	assert_int_equal(o.tunnel.depth, 4);
	assert_int_equal(o.dport, 80);

	pkt q = { .n = 0 };
	gre_nest(&q, 5);
	assert_int_equal(dec(DLT_RAW, &q, &o), SS_REASON_BAD_TUNNEL_DEPTH);

	ss_decode_config cfg;
	ss_decode_config_init(&cfg);
	cfg.max_depth = 5;
	assert_int_equal(ss_decode_with(&cfg, DLT_RAW, q.b, (guint32)q.n, (guint32)q.n, &o),
			 SS_REASON_OK);
	assert_int_equal(o.tunnel.depth, 5);

	/* A bomb that fills the buffer: bounded by the depth, not the bytes. */
	pkt b = { .n = 0 };
	gre_nest(&b, 80);
	assert_int_equal(dec(DLT_RAW, &b, &o), SS_REASON_BAD_TUNNEL_DEPTH);

	/* PBB inside PBB inside...: each counts towards the same bound. */
	pkt e = { .n = 0 };
	eth(&e, 0x88e7);
	for (int i = 0; i < 6; i++) {
		p32(&e, 1);
		eth(&e, 0x88e7);
	}
	assert_int_equal(dec(DLT_EN10MB, &e, &o), SS_REASON_BAD_TUNNEL_DEPTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_link_supported),
		cmocka_unit_test(test_eth_v4_tcp),
		cmocka_unit_test(test_eth_vlan),
		cmocka_unit_test(test_eth_non_ip),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_sll2),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_ipv4_ipv6_linktypes),
		cmocka_unit_test(test_null_loop),
		cmocka_unit_test(test_capture_meta),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad_headers),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_other_proto),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_ext_trunc),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_ipv6_chain_limit),
		cmocka_unit_test(test_tcp_options),
		cmocka_unit_test(test_tcp_bad_offset),
		cmocka_unit_test(test_udp_lengths),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_icmp_port_unreach_udp),
		cmocka_unit_test(test_icmp_admin_prohibited_tcp),
		cmocka_unit_test(test_icmp_quote_problems),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp6_port_unreach),
		cmocka_unit_test(test_hostile_ip_lengths),
		cmocka_unit_test(test_fast_path_matches_general),
		cmocka_unit_test(test_checksum_verdicts),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_encap_every_prefix),
		cmocka_unit_test(test_encap_context),
		cmocka_unit_test(test_encap_not_a_tunnel),
		cmocka_unit_test(test_encap_bad_headers),
		cmocka_unit_test(test_encap_depth),
		cmocka_unit_test(test_wlan_every_prefix),
		cmocka_unit_test(test_wlan_reasons),
		cmocka_unit_test(test_wlan_amsdu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
