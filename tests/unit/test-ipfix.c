/* IPFIX encoding (src/export/ipfix-encode.c) against hand-computed bytes: message
 * header (RFC 7011 §3.1), set headers (§3.3.2), the template set with the
 * RFC 5103 reverse elements (enterprise bit, PEN 29305), data records, the
 * sequence number (data records before the message), template refresh over
 * UDP and none over TCP, and message size limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "sockscope/export-ipfix.h"

/* ---- a send function that keeps every message, and a settable clock ---- */

typedef struct {
	GPtrArray *msgs;   /* GByteArray* */
	guint32 now;
	gboolean fail;
} sink;

static gboolean keep(const guint8 *msg, gsize len, gpointer data, GError **error)
{
	sink *s = data;
	if (s->fail) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "refused");
		return FALSE;
	}
	GByteArray *b = g_byte_array_sized_new((guint)len);
	g_byte_array_append(b, msg, (guint)len);
	g_ptr_array_add(s->msgs, b);
	return TRUE;
}

static guint32 clock_of(gpointer data)
{
	return ((sink *)data)->now;
}

static void sink_init(sink *s)
{
	s->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	s->now = 1600000000;   /* 0x5f5e1000 */
	s->fail = FALSE;
}

static ss_ipfix_encoder *encoder(sink *s, ss_ipfix_transport t)
{
	ss_ipfix_config cfg;
	ss_ipfix_config_init(&cfg, t);
	cfg.domain_id = 7;
	cfg.clock = clock_of;
	cfg.clock_data = s;
	return ss_ipfix_encoder_new(&cfg, keep, s);
}

static const GByteArray *msg(const sink *s, guint i)
{
	assert_true(i < s->msgs->len);
	return g_ptr_array_index(s->msgs, i);
}

static guint get16(const guint8 *p)
{
	return (guint)p[0] << 8 | p[1];
}

static guint32 get32(const guint8 *p)
{
	return (guint32)get16(p) << 16 | get16(p + 2);
}

/* ---- records ---- */

/* 10.0.0.1:40000 (client, ep[1]: it was not the first sender) to
 * 10.0.0.2:80; closed by FIN. */
static void tcp4(ss_conn *c)
{
	memset(c, 0, sizeof *c);
	c->proto = IPPROTO_TCP;
	c->family = SS_FAMILY_IPV4;
	c->client = 1;
	ss_endpoint *cl = &c->ep[1], *sv = &c->ep[0];
	const guint8 a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	ss_ip ca, sa;
	memset(&ca, 0, sizeof ca);
	memset(&sa, 0, sizeof sa);
	memcpy(ca.bytes, a, 4);
	memcpy(sa.bytes, b, 4);
	ss_conn_set_ends(c, sa, 80, ca, 40000);   /* ep[1] is the client */
	cl->packets = 3;
	cl->bytes = 180;
	sv->packets = 2;
	sv->bytes = 120;
	c->sent[1] = SS_SENT_SYN | SS_SENT_ACK | SS_SENT_FIN | SS_SENT_DATA;   /* the client's */
	c->sent[0] = SS_SENT_SYNACK | SS_SENT_ACK | SS_SENT_FIN;
	/* 1700000000.123456789 s and 1700000001.456999999 s: milliseconds
	 * are truncated, 1700000000123 and 1700000001456. */
	cl->first_ns = G_GINT64_CONSTANT(1700000000123456789);
	cl->last_ns = G_GINT64_CONSTANT(1700000001000000000);
	sv->first_ns = G_GINT64_CONSTANT(1700000000200000000);
	sv->last_ns = G_GINT64_CONSTANT(1700000001456999999);
	c->ended_by = SS_END_CLOSED;
}

static void udp6(ss_conn *c)
{
	memset(c, 0, sizeof *c);
	c->proto = IPPROTO_UDP;
	c->family = SS_FAMILY_IPV6;
	c->client = 0;
	ss_ip a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.bytes[0] = b.bytes[0] = 0x20;
	a.bytes[1] = b.bytes[1] = 0x01;
	a.bytes[15] = 1;
	b.bytes[15] = 2;
	ss_conn_set_ends(c, a, 5353, b, 53);
	c->ep[0].packets = 1;
	c->ep[0].bytes = 100;
	c->ep[0].first_ns = c->ep[0].last_ns = 1000000000;   /* 1000 ms */
	c->ended_by = SS_END_IDLE;
}

/* The template set: both templates, 156 bytes. */
#define TEMPLATE_COMMON \
	0x00, 0x07, 0x00, 0x02,                          /* sourceTransportPort */ \
	0x00, 0x0b, 0x00, 0x02,                          /* destinationTransportPort */ \
	0x00, 0x04, 0x00, 0x01,                          /* protocolIdentifier */ \
	0x00, 0x98, 0x00, 0x08,                          /* flowStartMilliseconds (152) */ \
	0x00, 0x99, 0x00, 0x08,                          /* flowEndMilliseconds (153) */ \
	0x00, 0x02, 0x00, 0x08,                          /* packetDeltaCount */ \
	0x00, 0x01, 0x00, 0x08,                          /* octetDeltaCount */ \
	0x80, 0x02, 0x00, 0x08, 0x00, 0x00, 0x72, 0x79,  /* reversePacketDeltaCount, PEN 29305 */ \
	0x80, 0x01, 0x00, 0x08, 0x00, 0x00, 0x72, 0x79,  /* reverseOctetDeltaCount */ \
	0x00, 0x06, 0x00, 0x02,                          /* tcpControlBits */ \
	0x80, 0x06, 0x00, 0x02, 0x00, 0x00, 0x72, 0x79,  /* reverseTcpControlBits */ \
	0x00, 0xef, 0x00, 0x01,                          /* biflowDirection (239) */ \
	0x00, 0x88, 0x00, 0x01                           /* flowEndReason (136) */

static const guint8 first_message[] = {
	/* message header */
	0x00, 0x0a,                                      /* version 10 */
	0x00, 0xf3,                                      /* length 243 = 16 + 156 + 71 */
	0x5f, 0x5e, 0x10, 0x00,                          /* export time 1600000000 */
	0x00, 0x00, 0x00, 0x00,                          /* sequence: no data record before */
	0x00, 0x00, 0x00, 0x07,                          /* observation domain 7 */
	/* template set */
	0x00, 0x02, 0x00, 0x9c,                          /* set ID 2, length 156 */
	0x01, 0x00, 0x00, 0x0f,                          /* template 256, 15 fields */
	0x00, 0x08, 0x00, 0x04,                          /* sourceIPv4Address */
	0x00, 0x0c, 0x00, 0x04,                          /* destinationIPv4Address */
	TEMPLATE_COMMON,
	0x01, 0x01, 0x00, 0x0f,                          /* template 257, 15 fields */
	0x00, 0x1b, 0x00, 0x10,                          /* sourceIPv6Address (27) */
	0x00, 0x1c, 0x00, 0x10,                          /* destinationIPv6Address (28) */
	TEMPLATE_COMMON,
	/* data set */
	0x01, 0x00, 0x00, 0x47,                          /* template 256, length 71 = 4 + 67 */
	0x0a, 0x00, 0x00, 0x01,                          /* source: the client */
	0x0a, 0x00, 0x00, 0x02,                          /* destination: the server */
	0x9c, 0x40,                                      /* 40000 */
	0x00, 0x50,                                      /* 80 */
	0x06,                                            /* TCP */
	0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b,  /* 1700000000123 ms */
	0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x6d, 0xb0,  /* 1700000001456 ms */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,  /* client packets */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb4,  /* client IP bytes 180 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,  /* server packets */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x78,  /* server IP bytes 120 */
	0x00, 0x13,                                      /* client: SYN ACK FIN */
	0x00, 0x13,                                      /* server: SYN+ACK ACK FIN */
	0x01,                                            /* initiator */
	0x03,                                            /* end of flow detected */
};

static void test_first_message_bytes(void **state)
{
	(void)state;
	sink s;
	sink_init(&s);
	ss_ipfix_encoder *e = encoder(&s, SS_IPFIX_UDP);
	ss_conn c;
	tcp4(&c);
	assert_true(ss_ipfix_encoder_add(e, &c, NULL));
	assert_int_equal(s.msgs->len, 0);            /* kept until full or flushed */
	assert_true(ss_ipfix_encoder_flush(e, NULL));
	assert_int_equal(s.msgs->len, 1);
	const GByteArray *m = msg(&s, 0);
	assert_int_equal(m->len, sizeof first_message);
	assert_memory_equal(m->data, first_message, sizeof first_message);
	/* Nothing pending: no empty message. */
	assert_true(ss_ipfix_encoder_flush(e, NULL));
	assert_int_equal(s.msgs->len, 1);
	ss_ipfix_encoder_free(e);
	g_ptr_array_unref(s.msgs);
}

static const guint8 v6_record[] = {
	0x01, 0x01, 0x00, 0x5f,                          /* template 257, length 95 = 4 + 91 */
	0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x14, 0xe9,                                      /* 5353 */
	0x00, 0x35,                                      /* 53 */
	0x11,                                            /* UDP */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,  /* 1000 ms */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  /* no reply */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,                                      /* UDP: no TCP flags */
	0x00, 0x00,
	0x01,
	0x01,                                            /* idle timeout */
};

/* Later messages: no templates (until the refresh), the sequence number
 * counts the data records sent before, one data set per template in a row. */
static void test_second_message(void **state)
{
	(void)state;
	sink s;
	sink_init(&s);
	ss_ipfix_encoder *e = encoder(&s, SS_IPFIX_UDP);
	ss_conn c4, c6;
	tcp4(&c4);
	udp6(&c6);
	ss_ipfix_encoder_add(e, &c4, NULL);
	ss_ipfix_encoder_add(e, &c4, NULL);
	ss_ipfix_encoder_flush(e, NULL);
	s.now += 5;
	ss_ipfix_encoder_add(e, &c6, NULL);
	ss_ipfix_encoder_add(e, &c4, NULL);
	ss_ipfix_encoder_flush(e, NULL);
	assert_int_equal(s.msgs->len, 2);
	/* First: two IPv4 records in one set of 4 + 2 * 67 bytes. */
	const GByteArray *m = msg(&s, 0);
	assert_int_equal(get16(m->data + 2), m->len);
	assert_int_equal(m->len, 16 + 156 + 4 + 2 * 67);
	assert_int_equal(get16(m->data + 16 + 156), 256);
	assert_int_equal(get16(m->data + 16 + 156 + 2), 4 + 2 * 67);
	/* Second: header, an IPv6 set, then an IPv4 set. */
	m = msg(&s, 1);
	assert_int_equal(get16(m->data), 10);
	assert_int_equal(get16(m->data + 2), 16 + 95 + 71);
	assert_int_equal(m->len, 16 + 95 + 71);
	assert_int_equal(get32(m->data + 4), 1600000005);
	assert_int_equal(get32(m->data + 8), 2);   /* two data records before */
	assert_int_equal(get32(m->data + 12), 7);
	assert_memory_equal(m->data + 16, v6_record, sizeof v6_record);
	assert_memory_equal(m->data + 16 + 95, first_message + 16 + 156, 71);
	assert_int_equal(ss_ipfix_encoder_records(e), 4);
	assert_int_equal(ss_ipfix_encoder_messages(e), 2);
	ss_ipfix_encoder_free(e);
	g_ptr_array_unref(s.msgs);
}

static gboolean has_templates(const GByteArray *m)
{
	return get16(m->data + 16) == 2;
}

/* UDP: the templates again after 60 s of export time, and after 100
 * messages; TCP: only in the first message of the session. */
static void test_template_refresh(void **state)
{
	(void)state;
	for (int t = 0; t < 2; t++) {
		sink s;
		sink_init(&s);
		ss_ipfix_encoder *e = encoder(&s, t ? SS_IPFIX_TCP : SS_IPFIX_UDP);
		ss_conn c;
		tcp4(&c);
		for (int i = 0; i < 3; i++) {
			ss_ipfix_encoder_add(e, &c, NULL);
			ss_ipfix_encoder_flush(e, NULL);
			s.now += 30;   /* messages at 0, 30, 60 s */
		}
		assert_true(has_templates(msg(&s, 0)));
		assert_false(has_templates(msg(&s, 1)));
		assert_true(has_templates(msg(&s, 2)) == (t == 0));
		/* 100 messages after the last template set, within a minute. */
		for (int i = 0; i < 100; i++) {
			ss_ipfix_encoder_add(e, &c, NULL);
			ss_ipfix_encoder_flush(e, NULL);
		}
		assert_int_equal(s.msgs->len, 103);
		for (guint i = 3; i < 102; i++)
			assert_false(has_templates(msg(&s, i)));
		assert_true(has_templates(msg(&s, 102)) == (t == 0));
		assert_int_equal(get32(msg(&s, 102)->data + 8), 102);
		ss_ipfix_encoder_free(e);
		g_ptr_array_unref(s.msgs);
	}
}

/* Full messages go out when the next record would not fit; none exceeds
 * the limit, every record is in exactly one, sequence numbers add up. */
static void test_message_size(void **state)
{
	(void)state;
	for (int t = 0; t < 2; t++) {
		sink s;
		sink_init(&s);
		ss_ipfix_encoder *e = encoder(&s, t ? SS_IPFIX_TCP : SS_IPFIX_UDP);
		gsize limit = t ? 65000 : 1400;
		ss_conn c4, c6;
		tcp4(&c4);
		udp6(&c6);
		for (int i = 0; i < 5000; i++)
			ss_ipfix_encoder_add(e, i % 3 ? &c4 : &c6, NULL);
		ss_ipfix_encoder_flush(e, NULL);
		guint64 records = 0;
		for (guint i = 0; i < s.msgs->len; i++) {
			const GByteArray *m = msg(&s, i);
			assert_true(m->len <= limit);
			assert_int_equal(get16(m->data + 2), m->len);
			assert_int_equal(get32(m->data + 8), (guint32)records);
			/* Walk the sets: their lengths must tile the message. */
			gsize off = 16;
			while (off < m->len) {
				guint id = get16(m->data + off), len = get16(m->data + off + 2);
				assert_true(len >= 4 && off + len <= m->len);
				if (id == 256) {
					assert_int_equal((len - 4) % 67, 0);
					records += (len - 4) / 67;
				} else if (id == 257) {
					assert_int_equal((len - 4) % 91, 0);
					records += (len - 4) / 91;
				} else {
					assert_int_equal(id, 2);
				}
				off += len;
			}
			assert_int_equal(off, m->len);
		}
		assert_int_equal(records, 5000);
		if (!t)
			assert_true(s.msgs->len > 200);   /* about 20 records a datagram */
		ss_ipfix_encoder_free(e);
		g_ptr_array_unref(s.msgs);
	}
}

/* flush_each (live capture): one record per message. */
static void test_flush_each(void **state)
{
	(void)state;
	sink s;
	sink_init(&s);
	ss_ipfix_config cfg;
	ss_ipfix_config_init(&cfg, SS_IPFIX_UDP);
	cfg.flush_each = TRUE;
	cfg.clock = clock_of;
	cfg.clock_data = &s;
	ss_ipfix_encoder *e = ss_ipfix_encoder_new(&cfg, keep, &s);
	ss_conn c;
	tcp4(&c);
	ss_ipfix_encoder_add(e, &c, NULL);
	ss_ipfix_encoder_add(e, &c, NULL);
	assert_int_equal(s.msgs->len, 2);
	assert_int_equal(msg(&s, 1)->len, 16 + 71);
	assert_int_equal(get32(msg(&s, 1)->data + 12), 1);   /* default domain */
	/* A failed send is reported; the records still count. */
	s.fail = TRUE;
	GError *err = NULL;
	assert_false(ss_ipfix_encoder_add(e, &c, &err));
	assert_non_null(err);
	g_error_free(err);
	s.fail = FALSE;
	ss_ipfix_encoder_add(e, &c, NULL);
	assert_int_equal(get32(msg(&s, 2)->data + 8), 3);
	ss_ipfix_encoder_free(e);
	g_ptr_array_unref(s.msgs);
}

static void test_values(void **state)
{
	(void)state;
	ss_conn c;
	tcp4(&c);
	const guint8 want[SS_END_COUNT] = {
		[SS_END_CAPTURE] = 4, [SS_END_CLOSED] = 3, [SS_END_IDLE] = 1,
		[SS_END_REUSED] = 3, [SS_END_EVICTED] = 5,
	};
	for (int i = 0; i < SS_END_COUNT; i++) {
		c.ended_by = (guint8)i;
		assert_int_equal(ss_ipfix_end_reason(&c), want[i]);
	}
	c.sent[1] = SS_SENT_SYN;
	c.sent[0] = SS_SENT_RST | SS_SENT_ACK;
	assert_int_equal(ss_ipfix_tcp_flags(&c, 1), 0x02);
	assert_int_equal(ss_ipfix_tcp_flags(&c, 0), 0x14);
	c.proto = IPPROTO_UDP;
	assert_int_equal(ss_ipfix_tcp_flags(&c, 0), 0);
}

static void test_parse_target(void **state)
{
	(void)state;
	static const struct {
		const char *in, *host, *port;
	} ok[] = {
		{ "127.0.0.1:4739", "127.0.0.1", "4739" },
		{ "collector.example:2055", "collector.example", "2055" },
		{ "10.1.2.3", "10.1.2.3", "4739" },
		{ "[::1]:9995", "::1", "9995" },
		{ "[fd00::5]", "fd00::5", "4739" },
		{ "fd00::5", "fd00::5", "4739" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		char *h = NULL, *p = NULL;
		assert_true(ss_ipfix_parse_target(ok[i].in, &h, &p, NULL));
		assert_string_equal(h, ok[i].host);
		assert_string_equal(p, ok[i].port);
		g_free(h);
		g_free(p);
	}
	static const char *const bad[] = { "", ":4739", "host:", "host:0", "host:65536",
					   "host:12x", "[::1", "[::1]x", "[]:1" };
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *h = NULL, *p = NULL;
		GError *err = NULL;
		assert_false(ss_ipfix_parse_target(bad[i], &h, &p, &err));
		assert_non_null(err);
		g_error_free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_message_bytes),
		cmocka_unit_test(test_second_message),
		cmocka_unit_test(test_template_refresh),
		cmocka_unit_test(test_message_size),
		cmocka_unit_test(test_flush_each),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_parse_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
