/* Fragment reassembly bounds (src/decode/frag.c): the table never holds
 * more than SS_FRAG_MAX_DATAGRAMS datagrams, packet time empties it after
 * SS_FRAG_TIMEOUT_NS, and a split TCP header comes out whole.  The policy
 * cases (overlap, teardrop, tiny, duplicates...) are crafted with scapy and
 * checked against tshark in tests/scripts/check-fragments.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sockscope/decode.h"
#include "sockscope/frag.h"

#define DLT_RAW_IP 101   /* LINKTYPE_RAW: ss_decode takes it as raw IP */

/* An IPv4 fragment: id, offset in 8-byte units, MF, payload. */
static gsize ipv4_frag(guint8 *buf, guint16 id, guint16 off8, gboolean mf, guint8 proto,
		       const guint8 *payload, gsize n, guint32 src)
{
	memset(buf, 0, 20);
	buf[0] = 0x45;
	buf[2] = (guint8)((20 + n) >> 8);
	buf[3] = (guint8)(20 + n);
	buf[4] = (guint8)(id >> 8);
	buf[5] = (guint8)id;
	guint16 f = (guint16)(off8 | (mf ? 0x2000 : 0));
	buf[6] = (guint8)(f >> 8);
	buf[7] = (guint8)f;
	buf[8] = 64;
	buf[9] = proto;
	buf[12] = 10;
	buf[13] = (guint8)(src >> 16);
	buf[14] = (guint8)(src >> 8);
	buf[15] = (guint8)src;
	buf[16] = 10;
	buf[19] = 2;
	memcpy(buf + 20, payload, n);
	return 20 + n;
}

static ss_reason feed(ss_frag_table *t, const guint8 *p, gsize n, ss_packet *out)
{
	return ss_decode_frag(NULL, t, DLT_RAW_IP, p, (guint32)n, (guint32)n, 0, out);
}

static void test_bounded(void **state)
{
	(void)state;
	ss_frag_table *t = ss_frag_table_new();
	guint8 buf[64], pl[8] = { 0 };
	ss_packet out;
	/* 5000 datagrams of which only a middle fragment ever comes. */
	for (guint i = 0; i < 5000; i++) {
		gsize n = ipv4_frag(buf, (guint16)i, 1, TRUE, 17, pl, 8, i >> 8);
		assert_int_equal(feed(t, buf, n, &out), SS_REASON_IP_FRAGMENT);
		assert_true(ss_frag_table_size(t) <= SS_FRAG_MAX_DATAGRAMS);
	}
	assert_int_equal(ss_frag_table_size(t), SS_FRAG_MAX_DATAGRAMS);
	ss_frag_table_expire(t, SS_FRAG_TIMEOUT_NS);
	assert_int_equal(ss_frag_table_size(t), SS_FRAG_MAX_DATAGRAMS);
	ss_frag_table_expire(t, SS_FRAG_TIMEOUT_NS + 1);
	assert_int_equal(ss_frag_table_size(t), 0);
	ss_frag_table_free(t);
}

/* A 20-byte TCP header split 8 + 12 over two IPv4 fragments (the first a
 * tiny fragment, RFC 1858): held, then decoded whole. */
static void test_split_tcp(void **state)
{
	(void)state;
	ss_frag_table *t = ss_frag_table_new();
	guint8 tcp[20] = { 0x9c, 0x40, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x50, 0x02,
			   0xff, 0xff, 0, 0, 0, 0 };
	guint8 buf[64];
	ss_packet out;
	gsize n = ipv4_frag(buf, 9, 0, TRUE, 6, tcp, 8, 1);
	assert_int_equal(feed(t, buf, n, &out), SS_REASON_FRAG_TINY);
	n = ipv4_frag(buf, 9, 1, FALSE, 6, tcp + 8, 12, 1);
	assert_int_equal(feed(t, buf, n, &out), SS_REASON_OK);
	assert_int_equal(out.l4, SS_L4_TCP);
	assert_int_equal(out.sport, 40000);
	assert_int_equal(out.dport, 80);
	assert_int_equal(out.tcp.flags, 0x02);
	assert_int_equal(out.tcp.seq, 1000);
	/* Once delivered, a late duplicate of either is only a fragment. */
	assert_int_equal(feed(t, buf, n, &out), SS_REASON_IP_FRAGMENT);
	/* Without a table, as before: the pieces are not put together. */
	n = ipv4_frag(buf, 9, 1, FALSE, 6, tcp + 8, 12, 1);
	assert_int_equal(feed(NULL, buf, n, &out), SS_REASON_IP_FRAGMENT);
	ss_frag_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_split_tcp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
