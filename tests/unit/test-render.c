/* Output formats and their helpers: address and time formatting, ms
 * durations, JSON escaping, service names, the JSON/CSV/text renderers. */
#define _GNU_SOURCE  /* fopencookie */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "report/model.h"
#include "report/out.h"
#include "sockscope/findings.h"
#include "sockscope/hosts.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/util.h"

#define US G_GINT64_CONSTANT(1000)
#define MS G_GINT64_CONSTANT(1000000)
#define SEC G_GINT64_CONSTANT(1000000000)
#define T0 (G_GINT64_CONSTANT(1767225600) * SEC)  /* 2026-01-01T00:00:00Z */

static ss_ip ip4(guint8 a, guint8 b, guint8 c, guint8 d)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.bytes[0] = a;
	ip.bytes[1] = b;
	ip.bytes[2] = c;
	ip.bytes[3] = d;
	return ip;
}

static ss_ip ip6(const char *text)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	assert_int_equal(inet_pton(AF_INET6, text, ip.bytes), 1);
	return ip;
}

static char *time_str(gint64 ns, gboolean nanosecond)
{
	GString *b = g_string_new(NULL);
	ss_time_append(b, ns, nanosecond);
	return g_string_free(b, FALSE);
}

static char *ms_str(gint64 ns, gboolean nanosecond)
{
	GString *b = g_string_new(NULL);
	ss_ms_append(b, ns, nanosecond);
	return g_string_free(b, FALSE);
}

static char *esc(const char *s)
{
	GString *b = g_string_new(NULL);
	ss_json_escape_append(b, s);
	return g_string_free(b, FALSE);
}

#define assert_owned_string(got, want) \
	do { \
		char *got_ = (got); \
		assert_string_equal(got_, want); \
		g_free(got_); \
	} while (0)

/* ---- helpers ------------------------------------------------------------- */

static void test_ip_format(void **state)
{
	(void)state;
	char buf[SS_IP_STRLEN];
	ss_ip ip = ip4(10, 0, 0, 2);
	ss_ip_format(SS_FAMILY_IPV4, &ip, buf);
	assert_string_equal(buf, "10.0.0.2");
	ip = ip4(255, 255, 255, 255);
	ss_ip_format(SS_FAMILY_IPV4, &ip, buf);
	assert_string_equal(buf, "255.255.255.255");

	ip = ip6("2001:0db8:0000:0000:0000:0000:0000:0001");
	ss_ip_format(SS_FAMILY_IPV6, &ip, buf);
	assert_string_equal(buf, "2001:db8::1");
	ip = ip6("2001:db8:0:0:1:0:0:1");  /* RFC 5952: the first of equal runs */
	ss_ip_format(SS_FAMILY_IPV6, &ip, buf);
	assert_string_equal(buf, "2001:db8::1:0:0:1");
	ip = ip6("::1");
	ss_ip_format(SS_FAMILY_IPV6, &ip, buf);
	assert_string_equal(buf, "::1");
	ip = ip6("::");
	ss_ip_format(SS_FAMILY_IPV6, &ip, buf);
	assert_string_equal(buf, "::");
	ip = ip6("fe80::1:2");
	ss_ip_format(SS_FAMILY_IPV6, &ip, buf);
	assert_string_equal(buf, "fe80::1:2");
	ip = ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ss_ip_format(SS_FAMILY_IPV6, &ip, buf);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	ss_ip_format(0, &ip, buf);
	assert_string_equal(buf, "invalid");
}

/* ss_time_append's text against gmtime_r() and printf, both precisions. */
static void assert_time_as_gmtime(gint64 ns)
{
	gint64 sec = ns / 1000000000, frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	assert_non_null(gmtime_r(&t, &tm));
	for (int nano = 0; nano < 2; nano++) {
		char *want = nano ? g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02d.%09" G_GINT64_FORMAT "Z",
						    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
						    tm.tm_hour, tm.tm_min, tm.tm_sec, frac)
				  : g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02d.%06" G_GINT64_FORMAT "Z",
						    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
						    tm.tm_hour, tm.tm_min, tm.tm_sec, frac / 1000);
		assert_owned_string(time_str(ns, nano), want);
		g_free(want);
	}
}

/* The hand-written appenders (the jsonl hot path) against printf and
 * gmtime_r(): the same text for every value tried. */
static void test_fast_appenders(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(42);
	GString *b = g_string_new(NULL);
	guint64 edges[] = { 0, 1, 9, 10, 99, 100, 999, 1000, 65535, 4294967295u,
			    G_GUINT64_CONSTANT(9999999999999999999), G_MAXUINT64 };
	for (gsize i = 0; i < G_N_ELEMENTS(edges) + 2000; i++) {
		guint64 v = i < G_N_ELEMENTS(edges) ? edges[i]
			  : (((guint64)g_rand_int(r) << 32) | g_rand_int(r)) >> g_rand_int_range(r, 0, 64);
		char *want = g_strdup_printf("%" G_GUINT64_FORMAT, v);
		g_string_truncate(b, 0);
		ss_u64_append(b, v);
		assert_string_equal(b->str, want);
		g_free(want);
		gint64 sv = (gint64)v;
		want = g_strdup_printf("%" G_GINT64_FORMAT, sv);
		g_string_truncate(b, 0);
		ss_i64_append(b, sv);
		assert_string_equal(b->str, want);
		g_free(want);
	}
	g_string_truncate(b, 0);
	ss_i64_append(b, G_MININT64);
	assert_string_equal(b->str, "-9223372036854775808");

	/* Timestamps over the whole gint64 range, both precisions. */
	for (int i = 0; i < 5000; i++) {
		gint64 ns = (gint64)(((guint64)g_rand_int(r) << 32) | g_rand_int(r));
		if (i % 2)
			ns /= 1000000;   /* near 1970 too */
		assert_time_as_gmtime(ns);
	}
	/* Nearby timestamps, as consecutive records give them (the same
	 * second, the next one, the next day, backwards): ss_time_put keeps
	 * the last second's text, which must never be stale. */
	gint64 near = G_GINT64_CONSTANT(1764979190) * 1000000000;   /* 10 s before a midnight */
	for (int i = 0; i < 5000; i++) {
		near += g_rand_int_range(r, -200000000, 700000000);
		assert_time_as_gmtime(near);
	}
	assert_time_as_gmtime(-1);

	/* IPv4 dotted quads against inet_ntop(). */
	for (int i = 0; i < 2000; i++) {
		ss_ip ip;
		memset(&ip, 0, sizeof ip);
		guint32 a = g_rand_int(r);
		if (i < 256)
			a = (guint32)i * 0x01010101u;
		memcpy(ip.bytes, &a, 4);
		char want[INET_ADDRSTRLEN], got[SS_IP_STRLEN];
		assert_non_null(inet_ntop(AF_INET, ip.bytes, want, sizeof want));
		assert_int_equal(ss_ip_format(SS_FAMILY_IPV4, &ip, got), strlen(want));
		assert_string_equal(got, want);
	}
	/* IPv6 against inet_ntop(): random, sparse (runs of zero groups of
	 * every length and place), IPv4-mapped and -compatible. */
	for (int i = 0; i < 20000; i++) {
		ss_ip ip;
		for (int j = 0; j < 16; j++)
			ip.bytes[j] = (guint8)g_rand_int(r);
		if (i % 4 != 0) {
			for (int g = 0; g < 8; g++)
				if (g_rand_int_range(r, 0, 3) != 0)
					ip.bytes[2 * g] = ip.bytes[2 * g + 1] = 0;
		}
		if (i % 16 == 1 || i % 16 == 2) {
			memset(ip.bytes, 0, 10);
			ip.bytes[10] = ip.bytes[11] = i % 16 == 1 ? 0xff : 0;
		}
		if (i % 32 == 3)
			ip.bytes[g_rand_int_range(r, 0, 16)] = (guint8)g_rand_int_range(r, 1, 16);
		char want[INET6_ADDRSTRLEN], got[SS_IP_STRLEN];
		assert_non_null(inet_ntop(AF_INET6, ip.bytes, want, sizeof want));
		assert_int_equal(ss_ip_format(SS_FAMILY_IPV6, &ip, got), strlen(want));
		assert_string_equal(got, want);
	}
	g_string_free(b, TRUE);
	g_rand_free(r);
}

static void test_time(void **state)
{
	(void)state;
	assert_owned_string(time_str(0, FALSE), "1970-01-01T00:00:00.000000Z");
	assert_owned_string(time_str(0, TRUE), "1970-01-01T00:00:00.000000000Z");
	assert_owned_string(time_str(T0 + 123456 * US, FALSE), "2026-01-01T00:00:00.123456Z");
	assert_owned_string(time_str(T0 + 123456789, TRUE), "2026-01-01T00:00:00.123456789Z");
	/* microsecond output truncates, it does not round up into the next second */
	assert_owned_string(time_str(T0 - 1, FALSE), "2025-12-31T23:59:59.999999Z");
	/* before 1970: floor division, never a negative fraction */
	assert_owned_string(time_str(-1, TRUE), "1969-12-31T23:59:59.999999999Z");
	assert_owned_string(time_str(-1, FALSE), "1969-12-31T23:59:59.999999Z");
	assert_owned_string(time_str(-SEC, FALSE), "1969-12-31T23:59:59.000000Z");
	assert_owned_string(time_str(G_GINT64_CONSTANT(-2208988800) * SEC + 500 * MS, FALSE),
			    "1900-01-01T00:00:00.500000Z");
	/* leap days: 2024 (every 4 years), 2000 (every 400), 2100 is not one */
	assert_owned_string(time_str(G_GINT64_CONSTANT(1709208000) * SEC, FALSE),
			    "2024-02-29T12:00:00.000000Z");
	assert_owned_string(time_str(G_GINT64_CONSTANT(951782400) * SEC, FALSE),
			    "2000-02-29T00:00:00.000000Z");
	assert_owned_string(time_str(G_GINT64_CONSTANT(4107542400) * SEC, FALSE),
			    "2100-03-01T00:00:00.000000Z");
	assert_owned_string(time_str(G_GINT64_CONSTANT(1735689599) * SEC + 999999999, TRUE),
			    "2024-12-31T23:59:59.999999999Z");
	/* the extremes of gint64 nanoseconds */
	assert_owned_string(time_str(G_MININT64, TRUE), "1677-09-21T00:12:43.145224192Z");
	assert_owned_string(time_str(G_MAXINT64, TRUE), "2262-04-11T23:47:16.854775807Z");
}

static void test_ms(void **state)
{
	(void)state;
	assert_owned_string(ms_str(0, FALSE), "0.000");
	assert_owned_string(ms_str(0, TRUE), "0.000000");
	assert_owned_string(ms_str(512 * US, FALSE), "0.512");
	assert_owned_string(ms_str(512 * US, TRUE), "0.512000");
	assert_owned_string(ms_str(1234567891, FALSE), "1234.567");
	assert_owned_string(ms_str(1234567891, TRUE), "1234.567891");
	assert_owned_string(ms_str(7, TRUE), "0.000007");
	assert_owned_string(ms_str(-1500 * US, FALSE), "-1.500");
	assert_owned_string(ms_str(G_MININT64, TRUE), "-9223372036854.775808");
	assert_owned_string(ms_str(G_MAXINT64, FALSE), "9223372036854.775");
}

static void test_json_escape(void **state)
{
	(void)state;
	assert_owned_string(esc(NULL), "null");
	assert_owned_string(esc(""), "\"\"");
	assert_owned_string(esc("plain text"), "\"plain text\"");
	assert_owned_string(esc("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
	assert_owned_string(esc("\x01\b\f\n\r\t\x1f\x7f"),
			    "\"\\u0001\\u0008\\u000c\\u000a\\u000d\\u0009\\u001f\\u007f\"");
	/* valid UTF-8 passes through unchanged: 2, 3 and 4 byte forms */
	assert_owned_string(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* invalid bytes: one U+FFFD each */
	assert_owned_string(esc("a\xff" "b"), "\"a\\ufffdb\"");
	assert_owned_string(esc("\xc0\xaf"), "\"\\ufffd\\ufffd\"");          /* overlong '/' */
	assert_owned_string(esc("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");  /* overlong */
	assert_owned_string(esc("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  /* surrogate */
	assert_owned_string(esc("\xf4\x90\x80\x80"),                          /* > U+10FFFF */
			    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_owned_string(esc("x\xe2\x82"), "\"x\\ufffd\\ufffd\"");        /* cut short */
	assert_owned_string(esc("\x80z"), "\"\\ufffdz\"");                   /* lone continuation */

	/* Plain runs are tested 8 bytes at a time (json_plain8): every byte
	 * value, alone in plain text, at every place in and across a word. */
	for (guint c = 1; c < 256; c++) {
		for (guint at = 0; at < 20; at++) {
			char in[25], want[40];
			memset(in, 'a', 24);
			in[24] = '\0';
			in[at] = (char)c;
			GString *w = g_string_new("\"");
			g_string_append_len(w, in, at);
			if (c == '"' || c == '\\')
				g_string_append_printf(w, "\\%c", c);
			else if (c < 0x20 || c == 0x7F)
				g_string_append_printf(w, "\\u%04x", c);
			else if (c >= 0x80)
				g_string_append(w, "\\ufffd");   /* a lone byte: not UTF-8 */
			else
				g_string_append_c(w, (char)c);
			g_string_append(w, in + at + 1);
			g_string_append_c(w, '"');
			g_strlcpy(want, w->str, sizeof want);
			g_string_free(w, TRUE);
			assert_owned_string(esc(in), want);
		}
	}
}

typedef struct {
	guint8 proto;
	guint16 port;
	const char *name;
} service_case;

static void test_services(void **state)
{
	(void)state;
	static const service_case cases[] = {
		{ IPPROTO_TCP, 20, "ftp-data" }, { IPPROTO_TCP, 21, "ftp" },
		{ IPPROTO_TCP, 22, "ssh" }, { IPPROTO_TCP, 23, "telnet" },
		{ IPPROTO_TCP, 25, "smtp" }, { IPPROTO_TCP, 53, "domain" },
		{ IPPROTO_TCP, 80, "http" }, { IPPROTO_TCP, 88, "kerberos" },
		{ IPPROTO_TCP, 110, "pop3" }, { IPPROTO_TCP, 111, "sunrpc" },
		{ IPPROTO_TCP, 119, "nntp" }, { IPPROTO_TCP, 135, "epmap" },
		{ IPPROTO_TCP, 139, "netbios-ssn" }, { IPPROTO_TCP, 143, "imap" },
		{ IPPROTO_TCP, 179, "bgp" },
		{ IPPROTO_TCP, 389, "ldap" }, { IPPROTO_TCP, 443, "https" },
		{ IPPROTO_TCP, 445, "microsoft-ds" }, { IPPROTO_TCP, 465, "submissions" },
		{ IPPROTO_TCP, 514, "shell" }, { IPPROTO_TCP, 587, "submission" },
		{ IPPROTO_TCP, 631, "ipp" }, { IPPROTO_TCP, 636, "ldaps" },
		{ IPPROTO_TCP, 873, "rsync" }, { IPPROTO_TCP, 993, "imaps" },
		{ IPPROTO_TCP, 995, "pop3s" }, { IPPROTO_TCP, 1080, "socks" },
		{ IPPROTO_TCP, 1433, "ms-sql-s" }, { IPPROTO_TCP, 1521, "oracle" },
		{ IPPROTO_TCP, 1883, "mqtt" }, { IPPROTO_TCP, 2049, "nfs" },
		{ IPPROTO_TCP, 2375, "docker" }, { IPPROTO_TCP, 2376, "docker-s" },
		{ IPPROTO_TCP, 3306, "mysql" }, { IPPROTO_TCP, 3389, "ms-wbt-server" },
		{ IPPROTO_TCP, 5432, "postgresql" }, { IPPROTO_TCP, 5672, "amqp" },
		{ IPPROTO_TCP, 5900, "rfb" }, { IPPROTO_TCP, 5984, "couchdb" },
		{ IPPROTO_TCP, 6379, "redis" }, { IPPROTO_TCP, 6443, "kube-apiserver" },
		{ IPPROTO_TCP, 8000, "http-alt" }, { IPPROTO_TCP, 8008, "http-alt" },
		{ IPPROTO_TCP, 8080, "http-alt" }, { IPPROTO_TCP, 8443, "https-alt" },
		{ IPPROTO_TCP, 8883, "secure-mqtt" }, { IPPROTO_TCP, 9042, "cassandra" },
		{ IPPROTO_TCP, 9092, "kafka" }, { IPPROTO_TCP, 9200, "elasticsearch" },
		{ IPPROTO_TCP, 9300, "es-transport" }, { IPPROTO_TCP, 11211, "memcache" },
		{ IPPROTO_TCP, 27017, "mongodb" },
		{ IPPROTO_UDP, 53, "domain" }, { IPPROTO_UDP, 67, "bootps" },
		{ IPPROTO_UDP, 68, "bootpc" }, { IPPROTO_UDP, 69, "tftp" },
		{ IPPROTO_UDP, 123, "ntp" }, { IPPROTO_UDP, 137, "netbios-ns" },
		{ IPPROTO_UDP, 138, "netbios-dgm" }, { IPPROTO_UDP, 161, "snmp" },
		{ IPPROTO_UDP, 162, "snmp-trap" }, { IPPROTO_UDP, 443, "https" },
		{ IPPROTO_UDP, 500, "isakmp" }, { IPPROTO_UDP, 514, "syslog" },
		{ IPPROTO_UDP, 520, "router" }, { IPPROTO_UDP, 1812, "radius" },
		{ IPPROTO_UDP, 1813, "radius-acct" }, { IPPROTO_UDP, 1900, "ssdp" },
		{ IPPROTO_UDP, 4500, "ipsec-nat-t" }, { IPPROTO_UDP, 4789, "vxlan" },
		{ IPPROTO_UDP, 5353, "mdns" }, { IPPROTO_UDP, 5355, "llmnr" },
		{ IPPROTO_UDP, 6081, "geneve" }, { IPPROTO_UDP, 51820, "wireguard" },
	};

	ss_services_use_system(FALSE);
	/* Every entry is found through the slots' index, with its length. */
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *n = ss_service_name(cases[i].proto, cases[i].port);
		if (n == NULL || strcmp(n, cases[i].name) != 0)
			fail_msg("%u/%u: got %s, want %s", cases[i].proto, cases[i].port,
				 n ? n : "NULL", cases[i].name);
		gsize len = 99;
		assert_ptr_equal(ss_service_name_len(cases[i].proto, cases[i].port, &len), n);
		assert_int_equal(len, strlen(cases[i].name));
	}
	gsize len = 99;
	assert_null(ss_service_name_len(IPPROTO_TCP, 12345, &len));
	assert_int_equal(len, 0);
	assert_null(ss_service_name(IPPROTO_TCP, 12345));
	assert_null(ss_service_name(IPPROTO_TCP, 0));
	assert_null(ss_service_name(IPPROTO_TCP, 65535));
	assert_null(ss_service_name(IPPROTO_UDP, 80));      /* per protocol */
	assert_null(ss_service_name(IPPROTO_TCP, 5353));
	assert_null(ss_service_name(IPPROTO_ICMP, 80));
	/* with the system database off, nothing outside the table has a name */
	guint named = 0;
	for (guint p = 0; p <= 65535; p++)
		named += ss_service_name(IPPROTO_TCP, (guint16)p) != NULL;
	assert_int_equal(named, 52);

	assert_true(ss_service_port_known(IPPROTO_TCP, 80));
	assert_true(ss_service_port_known(IPPROTO_UDP, 53));
	assert_true(ss_service_port_known(IPPROTO_UDP, 67));
	assert_false(ss_service_port_known(IPPROTO_UDP, 68));  /* the DHCP client's port */
	assert_false(ss_service_port_known(IPPROTO_TCP, 20));  /* active FTP data connects from 20 */
	assert_false(ss_service_port_known(IPPROTO_TCP, 12345));
	assert_false(ss_service_port_known(IPPROTO_UDP, 22));

	/* The built-in table wins over the system database, and the system
	 * database never decides evidence. */
	ss_services_use_system(TRUE);
	assert_string_equal(ss_service_name(IPPROTO_TCP, 143), "imap");
	assert_string_equal(ss_service_name(IPPROTO_TCP, 80), "http");
	const char *sys = ss_service_name(IPPROTO_TCP, 12345);
	if (sys != NULL)
		assert_ptr_equal(sys, g_intern_string(sys));
	assert_false(ss_service_port_known(IPPROTO_TCP, 12345));
	ss_services_use_system(FALSE);
}

/* ---- records built by hand ----------------------------------------------- */

static void endpoint(ss_conn *c, int i, ss_ip ip, guint16 port, guint64 packets, guint64 payload,
		     guint64 bytes, gint64 first, gint64 last)
{
	ss_endpoint *e = &c->ep[i];
	if (i == 0)
		ss_conn_set_ends(c, ip, port, *ss_conn_ip(c, 1), ss_conn_port(c, 1));
	else
		ss_conn_set_ends(c, *ss_conn_ip(c, 0), ss_conn_port(c, 0), ip, port);
	e->packets = packets;
	e->payload = payload;
	e->bytes = bytes;
	e->first_ns = first;
	e->last_ns = last;
}

static void conn_init(ss_conn *c, guint8 proto, guint8 family)
{
	memset(c, 0, sizeof *c);
	c->proto = proto;
	c->family = family;
	c->client = 0;
	c->syn_side = c->synack_side = c->first_rst_side = c->icmp_about_side = -1;
	/* a TCP record holds its TCP state (conn.h) */
	c->tail = proto == IPPROTO_TCP ? SS_CONN_TAIL_TCP : SS_CONN_TAIL_NONE;
	c->tail_tcp = ss_conn_tcp_none;
	for (int i = 0; i < 2; i++)
		c->ep[i].first_ns = c->ep[i].last_ns = SS_NO_TIME;
}

/* A complete HTTP connection with a FIN close, microsecond timestamps. */
static ss_conn *tcp_conn(void)
{
	ss_conn *c = g_new(ss_conn, 1);
	conn_init(c, IPPROTO_TCP, SS_FAMILY_IPV4);
	gint64 t = T0 + 123456 * US;
	endpoint(c, 0, ip4(10, 0, 0, 2), 43122, 5, 120, 380, t, t + 40 * MS);
	endpoint(c, 1, ip4(10, 0, 0, 1), 80, 4, 3400, 3608, t + 512 * US, t + 41 * MS);
	c->sent[0] = SS_SENT_SYN | SS_SENT_ACK | SS_SENT_DATA | SS_SENT_FIN;
	c->sent[1] = SS_SENT_SYNACK | SS_SENT_ACK | SS_SENT_DATA | SS_SENT_FIN;
	c->tail_tcp.zeek[0].tcp_options = SS_TCPOPT_HAVE_MSS | SS_TCPOPT_HAVE_WSCALE |
					  SS_TCPOPT_HAVE_SACK_PERM | SS_TCPOPT_HAVE_TS;
	c->tail_tcp.zeek[0].mss = 1460;
	c->tail_tcp.wscale[0] = 7;
	c->tail_tcp.zeek[1].tcp_options = SS_TCPOPT_HAVE_MSS;
	c->tail_tcp.zeek[1].mss = 1400;
	c->syn_side = 0;
	c->synack_side = 1;
	c->tail_tcp.syn_ns = t;
	c->tail_tcp.synack_ns = t + 512 * US;
	c->tail_tcp.ack_ns = t + 613 * US;
	/* S h A D d F f, the responder's letters at bits 1, 4, 6 */
	/* "shaddff", ep[1] sent letters 1, 4 and 6 (who 0x52) */
	for (guint i = 0; i < 7; i++)
		ss_conn_history_add(c, (0x52 >> i) & 1, "shaddff"[i]);
	/* Zeek's endpoint states after that: both closed (conn_state SF) */
	for (int i = 0; i < 2; i++) {
		c->tail_tcp.zeek[i].state = SS_ZEEK_CLOSED;
		c->tail_tcp.zeek[i].prev_state = SS_ZEEK_ESTABLISHED;
	}
	c->outcome = SS_OUTCOME_COMPLETE;
	c->close = SS_CLOSE_FIN;
	c->evidence = SS_EVIDENCE_SYN;
	c->confidence = SS_CONFIDENCE_HIGH;
	return c;
}

/* A DNS query over IPv6 refused by ICMPv6 port unreachable, on a reused
 * tuple, nanosecond timestamps; the client sent the second packet. */
static ss_conn *udp_conn(void)
{
	ss_conn *c = g_new(ss_conn, 1);
	conn_init(c, IPPROTO_UDP, SS_FAMILY_IPV6);
	gint64 t = T0 + 5 * SEC + 1;
	endpoint(c, 0, ip6("2001:db8::53"), 53, 0, 0, 0, SS_NO_TIME, SS_NO_TIME);
	endpoint(c, 1, ip6("2001:db8::2"), 50000, 2, 60, 156, t, t + 1500 * MS + 2);
	c->client = 1;
	c->icmp_errors = 2;
	c->icmp_type = 1;
	c->icmp_code = 4;
	c->icmp_family = SS_FAMILY_IPV6;
	c->icmp_about_side = 1;
	c->reuse = SS_REUSE_AFTER_FAILED;
	/* (its reuse index reads 0: only TCP records count one, conn.h) */
	c->outcome = SS_OUTCOME_REJECTED;
	c->close = SS_CLOSE_NONE;
	c->evidence = SS_EVIDENCE_ICMP_UNREACHABLE;
	c->confidence = SS_CONFIDENCE_HIGH;
	return c;
}

static ss_listener tcp_listener(void)
{
	ss_listener l;
	memset(&l, 0, sizeof l);
	l.proto = IPPROTO_TCP;
	l.family = SS_FAMILY_IPV4;
	l.ip = ip4(10, 0, 0, 1);
	l.port = 80;
	l.state = SS_LISTENER_OPEN;
	l.confidence = SS_CONFIDENCE_HIGH;
	l.connections = 4;
	l.clients = 2;
	l.outcomes[SS_OUTCOME_COMPLETE] = 3;
	l.outcomes[SS_OUTCOME_REJECTED] = 1;
	l.first_ns = T0 + 123456 * US;
	l.last_ns = T0 + 2 * SEC;
	l.service = "http";
	return l;
}

static ss_listener udp_listener(void)
{
	ss_listener l;
	memset(&l, 0, sizeof l);
	l.proto = IPPROTO_UDP;
	l.family = SS_FAMILY_IPV6;
	l.ip = ip6("2001:db8::53");
	l.port = 53;
	l.state = SS_LISTENER_CLOSED;
	l.confidence = SS_CONFIDENCE_HIGH;
	l.connections = 1;
	l.clients = 1;
	l.outcomes[SS_OUTCOME_REJECTED] = 1;
	l.first_ns = T0 + 5 * SEC + 1;
	l.last_ns = T0 + 6 * SEC + 500 * MS + 3;
	l.service = "domain";
	return l;
}

static void input_free(gpointer p)
{
	ss_input *in = p;
	g_free(in->name);
	g_free(in->link_name);
	g_free(in->error);
	g_free(in);
}

static ss_input *input_new(const char *name, const char *link, int dlt, gboolean ns,
			   guint64 packets, const char *error)
{
	ss_input *in = g_new0(ss_input, 1);
	in->name = g_strdup(name);
	in->link_name = g_strdup(link);
	in->dlt = dlt;
	in->nanosecond = ns;
	in->packets = packets;
	in->error = g_strdup(error);
	return in;
}

/* A report as the analyzer hands it over: heap-allocated, arrays with their
 * own free functions (ss_report_free() must cope with that). */
static ss_report *make_report(void)
{
	ss_report *r = g_new0(ss_report, 1);
	ss_summary *s = &r->summary;
	s->inputs = g_ptr_array_new_with_free_func(input_free);
	g_ptr_array_add(s->inputs, input_new("a.pcap", "EN10MB", 1, FALSE, 10, NULL));
	g_ptr_array_add(s->inputs, input_new("b\"\x01.pcap", "RAW", 12, TRUE, 3,
					     "truncated: 12 bytes missing"));
	s->packets = 13;
	s->bytes = 7000;
	s->captured_bytes = 6800;
	s->decoded = 11;
	s->first_ns = T0 + 123456 * US;
	s->last_ns = T0 + 6 * SEC + 500 * MS + 3;
	s->reasons[SS_REASON_NON_IP] = 1;
	s->reasons[SS_REASON_TRUNC_TCP] = 1;
	s->icmp_errors_matched = 2;
	s->tcp_connections = 1;
	s->udp_exchanges = 1;
	s->reused_tuples = 1;
	s->listeners = 2;
	s->nanosecond = FALSE;
	s->warnings = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(s->warnings, g_strdup("b\"\x01.pcap: capture file is cut short"));

	r->conns = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(r->conns, tcp_conn());
	g_ptr_array_add(r->conns, udp_conn());
	r->listeners = g_array_new(FALSE, TRUE, sizeof(ss_listener));
	ss_listener l = tcp_listener();
	g_array_append_val(r->listeners, l);
	l = udp_listener();
	g_array_append_val(r->listeners, l);
	return r;
}

static const char tcp_json[] =
	"{\"kind\":\"connection\",\"proto\":\"tcp\",\"ip_version\":4,"
	"\"community_id\":\"1:UQezHrdIQ9tvFbCTqtCjpqutE6o=\","
	"\"client\":{\"ip\":\"10.0.0.2\",\"port\":43122},"
	"\"server\":{\"ip\":\"10.0.0.1\",\"port\":80},"
	"\"service\":\"http\",\"outcome\":\"complete\",\"evidence\":\"syn\","
	"\"confidence\":\"high\",\"close\":\"fin\",\"conn_state\":\"SF\","
	"\"history\":\"ShADdFf\","
	"\"first_ts\":\"2026-01-01T00:00:00.123456Z\","
	"\"last_ts\":\"2026-01-01T00:00:00.164456Z\",\"duration_ms\":41.000,"
	"\"packets\":{\"client\":5,\"server\":4},"
	"\"bytes\":{\"client\":120,\"server\":3400},"
	"\"ip_bytes\":{\"client\":380,\"server\":3608},"
	"\"syn_retransmits\":0,\"synack_retransmits\":0,"
	"\"syn_to_synack_ms\":0.512,\"synack_to_ack_ms\":0.101,"
	"\"reused_tuple\":false,\"reuse_cause\":null,\"ended_by\":\"capture_end\",\"icmp\":null,"
	"\"tcp_options\":{\"client\":{\"mss\":1460,\"wscale\":7,\"sack_perm\":true,"
	"\"timestamps\":true},\"server\":{\"mss\":1400,\"wscale\":null,"
	"\"sack_perm\":false,\"timestamps\":false}},"
	"\"syn_gaps_ms\":[],\"quality\":{\"one_sided\":false,\"started_midstream\":false,"
	"\"snaplen_cut\":0,\"evictions\":0,\"continues_evicted\":false}}\n";

static const char udp_json[] =
	"{\"kind\":\"connection\",\"proto\":\"udp\",\"ip_version\":6,"
	"\"community_id\":\"1:8r30hOG09eoymEhC/0dm170uYek=\","
	"\"client\":{\"ip\":\"2001:db8::2\",\"port\":50000},"
	"\"server\":{\"ip\":\"2001:db8::53\",\"port\":53},"
	"\"service\":\"domain\",\"outcome\":\"rejected\",\"evidence\":\"icmp_unreachable\","
	"\"confidence\":\"high\",\"close\":\"none\",\"conn_state\":\"S0\",\"history\":\"^\","
	"\"first_ts\":\"2026-01-01T00:00:05.000000001Z\","
	"\"last_ts\":\"2026-01-01T00:00:06.500000003Z\",\"duration_ms\":1500.000002,"
	"\"packets\":{\"client\":2,\"server\":0},"
	"\"bytes\":{\"client\":60,\"server\":0},"
	"\"ip_bytes\":{\"client\":156,\"server\":0},"
	"\"syn_retransmits\":0,\"synack_retransmits\":0,"
	"\"syn_to_synack_ms\":null,\"synack_to_ack_ms\":null,"
	"\"reused_tuple\":true,\"reuse_cause\":\"after_failed\",\"ended_by\":\"capture_end\","
	"\"icmp\":{\"type\":1,\"code\":4,\"count\":2},\"tcp_options\":null,"
	"\"syn_gaps_ms\":null,\"quality\":{\"one_sided\":false,\"started_midstream\":false,"
	"\"snaplen_cut\":0,\"evictions\":0,\"continues_evicted\":false}}\n";

static const char tcp_listener_json[] =
	"{\"kind\":\"listener\",\"proto\":\"tcp\",\"ip_version\":4,\"ip\":\"10.0.0.1\","
	"\"port\":80,\"service\":\"http\",\"state\":\"open\",\"confidence\":\"high\","
	"\"connections\":4,\"clients\":2,\"clients_capped\":false,\"outcomes\":{\"complete\":3,\"rejected\":1,"
	"\"unanswered\":0,\"incomplete\":0,\"midstream\":0,\"simultaneous\":0},"
	"\"first_ts\":\"2026-01-01T00:00:00.123456Z\","
	"\"last_ts\":\"2026-01-01T00:00:02.000000Z\"}\n";

static const char udp_listener_json[] =
	"{\"kind\":\"listener\",\"proto\":\"udp\",\"ip_version\":6,\"ip\":\"2001:db8::53\","
	"\"port\":53,\"service\":\"domain\",\"state\":\"closed\",\"confidence\":\"high\","
	"\"connections\":1,\"clients\":1,\"clients_capped\":false,\"outcomes\":{\"rejected\":1,\"unanswered\":0,"
	"\"answered\":0},\"first_ts\":\"2026-01-01T00:00:05.000000001Z\","
	"\"last_ts\":\"2026-01-01T00:00:06.500000003Z\"}\n";

static const char summary_json[] =
	"{\"kind\":\"summary\",\"version\":\"" SOCKSCOPE_VERSION "\",\"inputs\":["
	"{\"name\":\"a.pcap\",\"link_type\":\"EN10MB\",\"dlt\":1,\"precision\":\"us\","
	"\"packets\":10,\"error\":null,\"timestamps_backwards\":0,\"snaplen_cut\":0},"
	"{\"name\":\"b\\\"\\u0001.pcap\",\"link_type\":\"RAW\",\"dlt\":12,\"precision\":\"ns\","
	"\"packets\":3,\"error\":\"truncated: 12 bytes missing\",\"timestamps_backwards\":0,"
	"\"snaplen_cut\":0}],"
	"\"packets\":13,\"bytes\":7000,\"captured_bytes\":6800,\"decoded\":11,"
	"\"first_ts\":\"2026-01-01T00:00:00.123456Z\","
	"\"last_ts\":\"2026-01-01T00:00:06.500000Z\","
	"\"tcp_connections\":1,\"udp_exchanges\":1,\"listeners\":2,\"reused_tuples\":1,"
	"\"ended\":{\"capture_end\":0,\"closed\":0,\"idle\":0,\"reused\":0,\"evicted\":0},"
	"\"max_flows_tracked\":0,\"aggregated_attempts\":0,"
	"\"flow_cap\":{\"evictions\":0,\"resumed\":0,\"continued\":0,\"kept_max\":0,"
	"\"aggregated\":{\"tcp_failed\":0,\"tcp_answered\":0,\"tcp_other\":0,\"udp\":0}},"
	"\"icmp_errors\":{\"matched\":2,\"unmatched\":0},"
	"\"checksums\":{\"tcp\":{\"ok\":0,\"bad\":0,\"partial\":0,\"unverified\":0},"
	"\"udp\":{\"ok\":0,\"bad\":0,\"partial\":0,\"none\":0,\"unverified\":0}},"
	"\"ignored\":{\"non_ip\":1,\"ip_fragment\":0,\"other_ip_proto\":0,"
	"\"icmp_not_error\":0,\"unsupported_link\":0,\"tunnel_no_payload\":0,\"frag_tiny\":0,\"frag_dropped\":0,"
	"\"wlan_mgmt\":0,\"wlan_ctrl\":0,\"wlan_no_data\":0,\"wlan_protected\":0,"
	"\"wlan_fragment\":0,\"wlan_amsdu\":0,\"wlan_mesh_amsdu\":0},"
	"\"truncated\":{\"trunc_link\":0,\"trunc_ipv4\":0,\"trunc_ipv6\":0,"
	"\"trunc_ipv6_ext\":0,\"trunc_tcp\":1,\"trunc_udp\":0,\"trunc_icmp\":0,"
	"\"trunc_vxlan\":0,\"trunc_geneve\":0,\"trunc_gre\":0,\"trunc_erspan\":0,"
	"\"trunc_gtp\":0,\"trunc_teredo\":0,\"trunc_ayiya\":0,\"trunc_mpls\":0,"
	"\"trunc_pppoe\":0,\"trunc_radio\":0,\"trunc_wlan\":0,\"trunc_pktap\":0,"
	"\"trunc_amsdu\":0},"
	"\"invalid\":{\"bad_caplen\":0,\"bad_vlan_depth\":0,\"bad_ip_version\":0,"
	"\"bad_ipv4_ihl\":0,\"bad_ipv4_total_len\":0,\"bad_ipv6_ext_chain\":0,"
	"\"bad_tcp_offset\":0,\"bad_udp_length\":0,\"bad_icmp_quote\":0,"
	"\"bad_tunnel_depth\":0,\"bad_gre_header\":0,\"bad_mpls_stack\":0,"
	"\"bad_pppoe_header\":0,\"frag_overlap\":0,\"frag_teardrop\":0,\"frag_oversize\":0,"
	"\"bad_radio_header\":0,\"bad_wlan_header\":0,\"bad_wlan_fcs\":0,\"bad_pktap_header\":0,"
	"\"bad_amsdu_subframe\":0},"
	"\"warnings\":[\"b\\\"\\u0001.pcap: capture file is cut short\"],"
	"\"interrupted\":false,"
	"\"hosts\":0,\"evidence\":{\"syn\":0,\"syn_ack\":0,\"simultaneous_open\":0,"
	"\"icmp_unreachable\":0,\"service_port\":0,\"first_sender\":0,\"lower_port\":0,"
	"\"first_packet\":0,\"proven_listener\":0,\"ephemeral_range\":0,\"fan_in\":0,"
	"\"reply_from_port\":0,\"multicast\":0,\"broadcast\":0,\"unknown\":0},"
	"\"quality\":{\"one_sided\":0,\"started_midstream\":0,\"timestamps_backwards\":0,"
	"\"snaplen_cut\":0,\"kernel_drops\":null},"
	"\"knowledge_dropped\":{\"endpoints\":0,\"hosts\":0,\"port_maps\":0,"
	"\"destinations\":0,\"servers\":0}}\n";

/* The per-record view every record writer draws from: the roles pick
 * the endpoints, ep[0] stands in for a record without roles, and the span,
 * service, Zeek state and Community ID are the ones the formats print. */
static void test_conn_view(void **state)
{
	(void)state;
	ss_conn *c = tcp_conn();
	ss_conn_view v;
	ss_conn_view_make(c, &v);
	assert_ptr_equal(v.client, &c->ep[0]);
	assert_ptr_equal(v.server, &c->ep[1]);
	assert_int_equal(v.first, c->ep[0].first_ns);
	assert_int_equal(v.last, c->ep[1].last_ns);
	assert_int_equal(v.duration, c->ep[1].last_ns - c->ep[0].first_ns);
	assert_string_equal(v.service, "http");
	assert_string_equal(v.zeek_state, "SF");
	assert_string_equal(v.zeek_history, "ShADdFf");
	/* the texts' lengths, which the jsonl line reserves its room by */
	assert_int_equal(v.service_len, strlen("http"));
	assert_int_equal(v.zeek_state_len, strlen("SF"));
	assert_int_equal(v.zeek_history_len, strlen("ShADdFf"));
	assert_true(v.have_community_id);
	assert_string_equal(v.community_id, "1:UQezHrdIQ9tvFbCTqtCjpqutE6o=");
	c->client = 1;
	ss_conn_view_make(c, &v);
	assert_ptr_equal(v.client, &c->ep[1]);
	assert_ptr_equal(v.server, &c->ep[0]);
	c->client = -1;   /* no roles decided */
	ss_conn_view_make(c, &v);
	assert_ptr_equal(v.client, &c->ep[0]);
	assert_string_equal(v.zeek_history, "^shaddff");   /* nobody's letters upper case */
	assert_int_equal(v.zeek_history_len, strlen("^shaddff"));
	for (int i = 0; i < 2; i++)
		c->ep[i].first_ns = c->ep[i].last_ns = SS_NO_TIME;
	ss_conn_view_make(c, &v);
	assert_int_equal(v.duration, SS_NO_TIME);
	g_free(c);
}

static void test_json_records(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	GString *b = g_string_new(NULL);
	ss_conn *c = tcp_conn();
	ss_json_conn(b, c, FALSE);
	assert_string_equal(b->str, tcp_json);
	g_free(c);

	g_string_truncate(b, 0);
	c = udp_conn();
	ss_json_conn(b, c, TRUE);
	assert_string_equal(b->str, udp_json);
	g_free(c);

	g_string_truncate(b, 0);
	ss_listener l = tcp_listener();
	ss_json_listener(b, &l, FALSE);
	assert_string_equal(b->str, tcp_listener_json);

	g_string_truncate(b, 0);
	l = udp_listener();
	ss_json_listener(b, &l, TRUE);
	assert_string_equal(b->str, udp_listener_json);

	ss_report *r = make_report();
	g_string_truncate(b, 0);
	ss_json_summary(b, &r->summary);
	assert_string_equal(b->str, summary_json);

	/* no packets at all: times are null */
	r->summary.first_ns = r->summary.last_ns = SS_NO_TIME;
	g_string_truncate(b, 0);
	ss_json_summary(b, &r->summary);
	assert_non_null(strstr(b->str, "\"first_ts\":null,\"last_ts\":null,"));
	ss_report_free(r);
	g_string_free(b, TRUE);
}

/* A host line with every part (report/json.c writes it by hand): behind
 * a VXLAN, listening on two sockets (one with no service name), with
 * unknown roles, an ephemeral profile, port reuse, an exhaustion warning
 * and dual ports; then a host with nothing but its address.  The expected
 * text is what the key/value writers wrote before (8ad99f0). */
static const char host_full_json[] =
	"{\"kind\":\"host\",\"ip_version\":4,\"ip\":\"10.0.0.1\",\"tunnel\":{\"type\":\"vxlan\","
	"\"vni\":42},\"listening\":[{\"proto\":\"tcp\",\"port\":80,\"service\":\"http\","
	"\"state\":\"open\",\"connections\":4,\"clients\":2},{\"proto\":\"udp\",\"port\":53,"
	"\"service\":null,\"state\":\"closed\",\"connections\":1,\"clients\":1}],"
	"\"client\":{\"connections\":1234,\"servers\":7},\"unknown_roles\":3,\"ephemeral\":{\"samples\":100,"
	"\"min\":32768,\"max\":60999,\"range\":{\"low\":32768,\"high\":60999},\"fits\":[\"linux\","
	"\"freebsd\"],\"likely\":\"linux\",\"basis\":\"narrowest\",\"pattern\":\"random\","
	"\"evidence\":{\"even\":50,\"steps_1_to_8_up\":40,\"same_destination_steps\":30,"
	"\"same_destination_2_to_16_up\":20,\"wraps\":2},\"reused_ports\":5,"
	"\"min_reuse_gap_ms\":1.500000},\"exhaustion\":{\"proto\":\"tcp\",\"ip\":\"10.0.0.9\","
	"\"port\":443,\"connections\":25000,\"window_s\":60,\"share_pct\":88},"
	"\"listens_and_connects\":[8080,33000]}\n";
static const char host_bare_json[] =
	"{\"kind\":\"host\",\"ip_version\":6,\"ip\":\"2001:db8::1\",\"listening\":[],"
	"\"client\":{\"connections\":0,\"servers\":0},\"ephemeral\":null,\"exhaustion\":null,"
	"\"listens_and_connects\":[]}\n";

static void test_json_host(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	GArray *ls = g_array_new(FALSE, TRUE, sizeof(ss_listener));
	ss_listener l = tcp_listener();
	g_array_append_val(ls, l);
	l = udp_listener();
	l.service = NULL;
	g_array_append_val(ls, l);
	ss_host h;
	memset(&h, 0, sizeof h);
	h.family = SS_FAMILY_IPV4;
	h.ip = ip4(10, 0, 0, 1);
	h.vnet.type = SS_TUNNEL_VXLAN;
	h.vnet.has_vni = TRUE;
	h.vnet.vni = 42;
	h.listeners = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < 3; i++)   /* 2: no such listener, left out */
		g_array_append_val(h.listeners, i);
	h.unknown_roles = 3;
	h.client_connections = 1234;
	h.client_servers = 7;
	h.eph.samples = 100;
	h.eph.min = 32768;
	h.eph.max = 60999;
	h.eph.even = 50;
	h.eph.small_steps = 40;
	h.eph.dest_steps = 30;
	h.eph.dest_even_up = 20;
	h.reuse_known = TRUE;
	h.reused_ports = 5;
	h.min_reuse_gap_ns = 1500 * US;
	ss_eph_profile_compute(&h.eph, &h.profile);
	h.profile.wraps = 2;
	h.exhaustion_risk = TRUE;
	h.busiest_proto = IPPROTO_TCP;
	h.busiest_ip = ip4(10, 0, 0, 9);
	h.busiest_port = 443;
	h.busiest_connections = 25000;
	h.n_dual_ports = 2;
	h.dual_ports[0] = 8080;
	h.dual_ports[1] = 33000;
	GString *b = g_string_new(NULL);
	ss_json_host(b, &h, ls, TRUE);
	assert_string_equal(b->str, host_full_json);
	g_array_unref(h.listeners);

	memset(&h, 0, sizeof h);
	h.family = SS_FAMILY_IPV6;
	h.ip = ip6("2001:db8::1");
	h.min_reuse_gap_ns = SS_NO_TIME;
	g_string_truncate(b, 0);
	ss_json_host(b, &h, NULL, FALSE);
	assert_string_equal(b->str, host_bare_json);
	g_string_free(b, TRUE);
	g_array_unref(ls);
}

/* Renders into memory, the report completed as the program does it
 * (ss_report_complete), from the records as the test left them. */
static char *render(const ss_report *r, ss_format f, const ss_render_options *opt)
{
	char *buf = NULL;
	size_t len = 0;
	ss_report done = *r;
	ss_report_complete(&done, ss_format_wants_findings(f));
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_true(ss_render(&done, f, opt, out));
	assert_int_equal(fclose(out), 0);
	if (done.findings != r->findings)
		g_ptr_array_unref(done.findings);
	return buf;
}

static void test_jsonl(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_report *r = make_report();
	char *got = render(r, SS_FORMAT_JSONL, NULL);
	/* the report says microseconds, but machine formats always print
	 * nanosecond digits (the record writers are checked byte for byte in
	 * test_json_records) */
	ss_conn *t = tcp_conn(), *u = udp_conn();
	GString *want = g_string_new(NULL);
	ss_json_conn(want, t, TRUE);
	ss_json_conn(want, u, TRUE);
	ss_listener l = tcp_listener();
	ss_json_listener(want, &l, TRUE);
	l = udp_listener();
	ss_json_listener(want, &l, TRUE);
	/* findings (docs/reports.md) come after the hosts, before the summary */
	GPtrArray *fs = ss_findings_compute(r);
	assert_true(fs->len > 0);
	for (guint i = 0; i < fs->len; i++)
		ss_json_finding(want, g_ptr_array_index(fs, i), i + 1, TRUE);
	g_ptr_array_unref(fs);
	ss_summary s = r->summary;
	s.nanosecond = TRUE;
	ss_json_summary(want, &s);
	assert_string_equal(got, want->str);
	assert_non_null(strstr(got, "\"first_ts\":\"2026-01-01T00:00:00.123456000Z\""));
	assert_non_null(strstr(got, "\"first_ts\":\"2026-01-01T00:00:05.000000001Z\""));
	g_free(t);
	g_free(u);
	g_string_free(want, TRUE);
	free(got);
	ss_report_free(r);
}

/* The findings' lines formatted on two threads (report/json.c, chunks of
 * 128 findings taken by either thread, written in order by the caller's)
 * are the lines one thread writes, in the same order, for counts under,
 * at and over two chunks; and a write that fails stops both threads. */
static char *render_findings(const ss_report *r, FILE *out, gboolean two_threads, gboolean *ok)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = out ? out : open_memstream(&buf, &len);
	assert_non_null(mem);
	*ok = ss_render_jsonl_findings(r, TRUE, mem, two_threads);
	if (out == NULL)
		assert_int_equal(fclose(mem), 0);
	return buf;
}

static void test_jsonl_findings_two_threads(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_report *r = make_report();
	GPtrArray *fs = ss_findings_compute(r);
	assert_true(fs->len > 0);
	GPtrArray *all = r->findings;
	static const guint counts[] = { 0, 1, 255, 256, 257, 700, 1300 };
	for (guint t = 0; t < G_N_ELEMENTS(counts); t++) {
		guint n = counts[t];
		GPtrArray *many = g_ptr_array_new();
		for (guint i = 0; i < n; i++)
			g_ptr_array_add(many, g_ptr_array_index(fs, i % fs->len));
		r->findings = many;
		for (int round = 0; round < 3; round++) {   /* the threads meet differently */
			gboolean ok1, ok2;
			char *one = render_findings(r, NULL, FALSE, &ok1);
			char *two = render_findings(r, NULL, TRUE, &ok2);
			assert_true(ok1 && ok2);
			assert_string_equal(one, two);
			char last[64];
			g_snprintf(last, sizeof last, "\"rank\":%u,", n);
			assert_true(n == 0 || strstr(two, last) != NULL);
			free(one);
			free(two);
		}
		FILE *full = fopen("/dev/full", "w");
		if (full != NULL) {
			gboolean ok;
			errno = 0;
			render_findings(r, full, TRUE, &ok);
			assert_false(ok);
			assert_int_equal(errno, ENOSPC);
			fclose(full);
		}
		g_ptr_array_unref(many);
	}
	r->findings = all;
	g_ptr_array_unref(fs);
	ss_report_free(r);
}

static void test_json_document(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_report *r = make_report();
	char *got = render(r, SS_FORMAT_JSON, NULL);

	/* nanosecond digits, as in every machine format */
	ss_summary s = r->summary;
	s.nanosecond = TRUE;
	GString *want = g_string_new("{\n\"summary\":");
	ss_json_summary(want, &s);
	g_string_truncate(want, want->len - 1);
	g_string_append(want, ",\n\"connections\":[\n");
	ss_conn *t = tcp_conn(), *u = udp_conn();
	ss_json_conn(want, t, TRUE);
	g_string_truncate(want, want->len - 1);
	g_string_append(want, ",\n");
	ss_json_conn(want, u, TRUE);
	g_string_append(want, "],\n\"listeners\":[\n");
	ss_listener l = tcp_listener();
	ss_json_listener(want, &l, TRUE);
	g_string_truncate(want, want->len - 1);
	g_string_append(want, ",\n");
	l = udp_listener();
	ss_json_listener(want, &l, TRUE);
	g_string_append(want, "],\n\"hosts\":[],\n\"findings\":[\n");
	GPtrArray *fs = ss_findings_compute(r);
	for (guint i = 0; i < fs->len; i++) {
		ss_json_finding(want, g_ptr_array_index(fs, i), i + 1, TRUE);
		if (i + 1 < fs->len) {
			g_string_truncate(want, want->len - 1);
			g_string_append(want, ",\n");
		}
	}
	g_ptr_array_unref(fs);
	g_string_append(want, "]\n}\n");
	assert_string_equal(got, want->str);
	free(got);
	g_free(t);
	g_free(u);
	g_string_free(want, TRUE);

	/* empty arrays */
	g_ptr_array_set_size(r->conns, 0);
	g_array_set_size(r->listeners, 0);
	got = render(r, SS_FORMAT_JSON, NULL);
	assert_non_null(strstr(got, "}},\n\"connections\":[],\n\"listeners\":[],\n\"hosts\":[],\n"
			       "\"findings\":[]\n}\n"));
	free(got);
	ss_report_free(r);
}

static char *csv_field(const char *s)
{
	GString *b = g_string_new(NULL);
	ss_csv_field_append(b, s);
	return g_string_free(b, FALSE);
}

static void test_csv(void **state)
{
	(void)state;
	assert_owned_string(csv_field(NULL), "");
	assert_owned_string(csv_field(""), "");
	assert_owned_string(csv_field("http"), "http");
	assert_owned_string(csv_field("a,b"), "\"a,b\"");
	assert_owned_string(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_owned_string(csv_field("two\nlines"), "\"two\nlines\"");
	assert_owned_string(csv_field("cr\r"), "\"cr\r\"");
	/* formula injection guard */
	assert_owned_string(csv_field("=1+2"), "'=1+2");
	assert_owned_string(csv_field("+1"), "'+1");
	assert_owned_string(csv_field("-1"), "'-1");
	assert_owned_string(csv_field("@SUM(A1)"), "'@SUM(A1)");
	assert_owned_string(csv_field("\tx"), "'\tx");
	assert_owned_string(csv_field("\rx"), "\"'\rx\"");
	assert_owned_string(csv_field("=HYPERLINK(\"x\",\"y\")"),
			    "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
	assert_owned_string(csv_field("a=b"), "a=b");

	ss_services_use_system(FALSE);
	ss_report *r = make_report();
	/* the second record came out of VXLAN: its context fills the last columns */
	ss_conn *u = g_ptr_array_index(r->conns, 1);
	u->tail = SS_CONN_TAIL_TUNNEL;
	u->tail_tunnel.type = SS_TUNNEL_VXLAN;
	u->tail_tunnel.has_vni = 1;
	u->tail_tunnel.vni = 42;
	u->tail_tunnel.depth = 1;
	u->tail_tunnel.family = SS_FAMILY_IPV4;
	u->tail_tunnel.src = ip4(192, 0, 2, 1);
	u->tail_tunnel.dst = ip4(192, 0, 2, 2);
	u->tail_tunnel.sport = 40653;
	u->tail_tunnel.dport = 4789;
	char *got = render(r, SS_FORMAT_CSV, NULL);
	assert_string_equal(got,
		"proto,ip_version,client_ip,client_port,server_ip,server_port,service,"
		"outcome,close,evidence,confidence,conn_state,history,first_ts,last_ts,"
		"duration_ms,client_packets,server_packets,client_bytes,server_bytes,"
		"syn_retransmits,synack_retransmits,syn_to_synack_ms,synack_to_ack_ms,"
		"reused_tuple,reuse_cause,community_id,one_sided,started_midstream,snaplen_cut,"
		"syn_gaps_ms,evictions,continues_evicted,tunnel_type,tunnel_vni,tunnel_depth,"
		"tunnel_outer_src,tunnel_outer_dst,tunnel_outer_sport,tunnel_outer_dport,"
		"tunnel_mpls_labels\n"
		"tcp,4,10.0.0.2,43122,10.0.0.1,80,http,complete,fin,syn,high,SF,ShADdFf,"
		"2026-01-01T00:00:00.123456000Z,2026-01-01T00:00:00.164456000Z,41.000000,5,4,"
		"120,3400,0,0,0.512000,0.101000,false,,1:UQezHrdIQ9tvFbCTqtCjpqutE6o=,false,false,0,,0,false,"
		",,,,,,,\n"
		"udp,6,2001:db8::2,50000,2001:db8::53,53,domain,rejected,none,icmp_unreachable,"
		"high,S0,^,2026-01-01T00:00:05.000000001Z,2026-01-01T00:00:06.500000003Z,"
		"1500.000002,2,0,60,0,0,0,,,true,after_failed,1:8r30hOG09eoymEhC/0dm170uYek=,"
		"false,false,0,,0,false,vxlan,42,1,192.0.2.1,192.0.2.2,40653,4789,\n");
	free(got);
	ss_report_free(r);
}

static void test_text(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_report *r = make_report();
	ss_render_options opt = { FALSE, 0 };
	char *got = render(r, SS_FORMAT_TEXT, &opt);

	assert_string_equal(got,
		"Summary\n"
		"Inputs:       a.pcap (EN10MB, dlt 1, us timestamps): 10 packets\n"
		"              b\"?.pcap (RAW, dlt 12, ns timestamps): 3 packets; error: truncated: 12 bytes missing\n"
		"Packets:      13 read, 11 decoded; 7000 bytes on the wire, 6800 captured\n"
		"Time span:    2026-01-01T00:00:00.123456Z to 2026-01-01T00:00:06.500000Z (6.376s)\n"
		"Connections:  1 TCP, 1 UDP; 1 reused tuple\n"
		"Listeners:    2\n"
		"Hosts:        0\n"
		"ICMP errors:  2 matched, 0 unmatched\n"
		"Warnings:     b\"?.pcap: capture file is cut short\n"
		"\n"
		"Findings\n"
		"  1. high  1 UDP exchange from 2001:db8::2 to [2001:db8::53]:53/udp (domain) was refused "
		"(ICMP unreachable): nothing listens on that port, or a firewall rejects it. (refused)\n"
		"       evidence: connections 1, clients 1, by_rst 0, by_icmp 1\n"
		"       example:  00:00:05.000000 udp [2001:db8::2]:50000 -> [2001:db8::53]:53 rejected\n"
		"       next:     Check that the service is running and bound to 2001:db8::53 port 53 "
		"(ss -lunp on the server); if it is, find the firewall rule that rejects the datagrams.\n"
		"\n"
		"Listening sockets\n"
		"PROTO  ADDRESS            SERVICE  STATE   CONNS  CLIENTS  OUTCOMES\n"
		"tcp    10.0.0.1:80        http     open        4        2  3 complete, 1 rejected\n"
		"udp    [2001:db8::53]:53  domain   closed      1        1  1 rejected\n"
		"\n"
		"Hosts\n"
		"  none\n"
		"\n"
		"Connections\n"
		"TIME (UTC)       PROTO  CLIENT                   SERVER             OUTCOME   CLOSE  RTT ms  PKTS c/s  BYTES c/s  FLAGS\n"
		"00:00:00.123456  tcp    10.0.0.2:43122       ->  10.0.0.1:80        complete  fin     0.512       5/4   120/3400\n"
		"00:00:05.000000  udp    [2001:db8::2]:50000  ->  [2001:db8::53]:53  rejected  none        -       2/0       60/0  reused (after_failed), icmp_unreachable (high), icmp 1/4\n"
		"\n"
		"Decode problems\n"
		"  truncated:    trunc_tcp 1\n"
		"  ignored:      non_ip 1\n");
	free(got);

	/* a width limit: the free-text column is shortened, nothing else */
	opt.width = 140;
	got = render(r, SS_FORMAT_TEXT, &opt);
	gchar **lines = g_strsplit(got, "\n", -1);
	for (gchar **l = lines; *l != NULL; l++)
		if (g_utf8_strlen(*l, -1) > 140)
			fail_msg("line longer than 140: %s", *l);
	const char *row = strstr(got, "\n00:00:05.000000  udp");
	assert_non_null(row);
	row++;
	const char *eol = strchr(row, '\n');
	assert_int_equal(eol - row, 140);  /* cut to the limit exactly */
	assert_memory_equal(eol - 32, "60/0  reused (after_failed), ...", 32);
	assert_non_null(strstr(got, "[2001:db8::2]:50000"));
	g_strfreev(lines);
	free(got);

	/* too narrow for the flags beside the rest: they get a line of their own */
	opt.width = 80;
	got = render(r, SS_FORMAT_TEXT, &opt);
	assert_non_null(strstr(got, "BYTES c/s\n"));
	assert_non_null(strstr(got, " 60/0\n    reused (after_failed), icmp_unreachable (high), icmp 1/4\n"));
	/* long summary lines wrap under their label */
	assert_non_null(strstr(got, "3 packets; error:\n                truncated: 12 bytes missing\n"));
	assert_non_null(strstr(got, "  3 complete, 1 reje...\n"));
	free(got);

	/* colour only when asked */
	assert_null(strchr(got = render(r, SS_FORMAT_TEXT, &(ss_render_options){ FALSE, 0 }), '\033'));
	free(got);
	got = render(r, SS_FORMAT_TEXT, &(ss_render_options){ TRUE, 0 });
	assert_non_null(strstr(got, "\033[1mSummary\033[0m"));
	assert_non_null(strstr(got, "\033[32mcomplete\033[0m"));
	assert_non_null(strstr(got, "\033[31mrejected\033[0m"));
	free(got);

	/* nothing at all */
	g_ptr_array_set_size(r->conns, 0);
	g_array_set_size(r->listeners, 0);
	got = render(r, SS_FORMAT_TEXT, NULL);
	assert_non_null(strstr(got, "Listening sockets\n  none\n"));
	assert_non_null(strstr(got, "Connections\n  none\n"));
	free(got);
	ss_report_free(r);
}

static void test_text_date(void **state)
{
	(void)state;
	ss_report *r = make_report();
	/* the capture runs past midnight: the connection times carry the date */
	r->summary.last_ns = T0 + 86400 * SEC;
	char *got = render(r, SS_FORMAT_TEXT, NULL);
	assert_non_null(strstr(got, "\n2026-01-01 00:00:00.123456  tcp"));
	free(got);
	ss_report_free(r);
}

/* ---- zeek, zeek-json, ecs ---------------------------------------------------- */

static const char zeek_header[] =
	"#separator \\x09\n"
	"#set_separator\t,\n"
	"#empty_field\t(empty)\n"
	"#unset_field\t-\n"
	"#path\tconn\n";
static const char zeek_fields[] =
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\t"
	"duration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\t"
	"missed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\t"
	"tunnel_parents\tcommunity_id\n"
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\t"
	"count\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\t"
	"set[string]\tstring\n";

static char *zeek_field(const char *s)
{
	GString *b = g_string_new(NULL);
	ss_zeek_field_append(b, s);
	return g_string_free(b, FALSE);
}

static void test_zeek(void **state)
{
	(void)state;
	assert_owned_string(zeek_field(NULL), "-");
	assert_owned_string(zeek_field(""), "(empty)");
	assert_owned_string(zeek_field("http"), "http");
	assert_owned_string(zeek_field("a\tb"), "a\\x09b");
	assert_owned_string(zeek_field("new\nline\x7f"), "new\\x0aline\\x7f");
	assert_owned_string(zeek_field("back\\slash"), "back\\x5cslash");
	assert_owned_string(zeek_field("caf\xc3\xa9"), "caf\\xc3\\xa9");
	assert_owned_string(zeek_field("-"), "\\x2d");
	assert_owned_string(zeek_field("(empty)"), "\\x28empty)");
	assert_owned_string(zeek_field("a,b -"), "a,b -");

	ss_services_use_system(FALSE);
	ss_report *r = make_report();
	char *got = render(r, SS_FORMAT_ZEEK, NULL);
	GString *want = g_string_new(zeek_header);
	g_string_append(want, "#open\t2026-01-01-00-00-00\n");
	g_string_append(want, zeek_fields);
	/* uids: see zeek_uid() (recomputed independently when this was written;
	 * the UDP one since with reuse index 0: only TCP records count one) */
	g_string_append(want,
		"1767225600.123456\tCf4oQK0vYG6O4pRagK\t10.0.0.2\t43122\t10.0.0.1\t80\ttcp\thttp\t"
		"0.041000\t120\t3400\tSF\t-\t-\t0\tShADdFf\t5\t380\t4\t3608\t(empty)\t"
		"1:UQezHrdIQ9tvFbCTqtCjpqutE6o=\n"
		"1767225605.000000\tCMzABIXpBBuKYfchUw\t2001:db8::2\t50000\t2001:db8::53\t53\tudp\t"
		"domain\t1.500000\t60\t0\tS0\t-\t-\t0\t^\t2\t156\t0\t0\t(empty)\t"
		"1:8r30hOG09eoymEhC/0dm170uYek=\n"
		"#close\t2026-01-01-00-00-06\n");
	assert_string_equal(got, want->str);
	free(got);

	/* an unknown service is unset; times before 1970 keep their sign */
	ss_conn *t = g_ptr_array_index(r->conns, 0);
	ss_conn_set_ends(t, *ss_conn_ip(t, 0), ss_conn_port(t, 0), *ss_conn_ip(t, 1), 1);
	t->ep[0].first_ns = -SEC - 250 * MS;
	got = render(r, SS_FORMAT_ZEEK, NULL);
	assert_non_null(strstr(got, "\n-1.250000\tC"));
	assert_non_null(strstr(got, "\t10.0.0.1\t1\ttcp\t-\t"));
	free(got);

	/* no traffic: the header, no rows, #close; the dates fall back to 1970 */
	g_ptr_array_set_size(r->conns, 0);
	r->summary.first_ns = r->summary.last_ns = SS_NO_TIME;
	got = render(r, SS_FORMAT_ZEEK, NULL);
	g_string_assign(want, zeek_header);
	g_string_append(want, "#open\t1970-01-01-00-00-00\n");
	g_string_append(want, zeek_fields);
	g_string_append(want, "#close\t1970-01-01-00-00-00\n");
	assert_string_equal(got, want->str);
	free(got);
	g_string_free(want, TRUE);
	ss_report_free(r);
}

static void test_zeek_json(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_report *r = make_report();
	char *got = render(r, SS_FORMAT_ZEEK_JSON, NULL);
	assert_string_equal(got,
		"{\"ts\":1767225600.123456,\"uid\":\"Cf4oQK0vYG6O4pRagK\",\"id.orig_h\":\"10.0.0.2\","
		"\"id.orig_p\":43122,\"id.resp_h\":\"10.0.0.1\",\"id.resp_p\":80,\"proto\":\"tcp\","
		"\"service\":\"http\",\"duration\":0.041000,\"orig_bytes\":120,\"resp_bytes\":3400,"
		"\"conn_state\":\"SF\",\"missed_bytes\":0,\"history\":\"ShADdFf\",\"orig_pkts\":5,"
		"\"orig_ip_bytes\":380,\"resp_pkts\":4,\"resp_ip_bytes\":3608,\"tunnel_parents\":[],"
		"\"community_id\":\"1:UQezHrdIQ9tvFbCTqtCjpqutE6o=\"}\n"
		"{\"ts\":1767225605.000000,\"uid\":\"CMzABIXpBBuKYfchUw\",\"id.orig_h\":\"2001:db8::2\","
		"\"id.orig_p\":50000,\"id.resp_h\":\"2001:db8::53\",\"id.resp_p\":53,\"proto\":\"udp\","
		"\"service\":\"domain\",\"duration\":1.500000,\"orig_bytes\":60,\"resp_bytes\":0,"
		"\"conn_state\":\"S0\",\"missed_bytes\":0,\"history\":\"^\",\"orig_pkts\":2,"
		"\"orig_ip_bytes\":156,\"resp_pkts\":0,\"resp_ip_bytes\":0,\"tunnel_parents\":[],"
		"\"community_id\":\"1:8r30hOG09eoymEhC/0dm170uYek=\"}\n");
	free(got);

	/* an unknown service is left out, as Zeek leaves out unset fields */
	ss_conn *t = g_ptr_array_index(r->conns, 0);
	ss_conn_set_ends(t, *ss_conn_ip(t, 0), ss_conn_port(t, 0), *ss_conn_ip(t, 1), 1);
	got = render(r, SS_FORMAT_ZEEK_JSON, NULL);
	assert_non_null(strstr(got, "\"proto\":\"tcp\",\"duration\":0.041000,"));
	free(got);

	g_ptr_array_set_size(r->conns, 0);
	got = render(r, SS_FORMAT_ZEEK_JSON, NULL);
	assert_string_equal(got, "");
	free(got);
	ss_report_free(r);
}

static void test_ecs(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_report *r = make_report();
	char *got = render(r, SS_FORMAT_ECS, NULL);
	assert_string_equal(got,
		"{\"@timestamp\":\"2026-01-01T00:00:00.123456000Z\",\"ecs\":{\"version\":\"8.11.0\"},"
		"\"event\":{\"kind\":\"event\",\"category\":[\"network\"],"
		"\"type\":[\"connection\",\"start\",\"end\"],\"outcome\":\"success\","
		"\"duration\":41000000,\"start\":\"2026-01-01T00:00:00.123456000Z\","
		"\"end\":\"2026-01-01T00:00:00.164456000Z\",\"dataset\":\"sockscope.connection\"},"
		"\"source\":{\"ip\":\"10.0.0.2\",\"port\":43122,\"bytes\":380,\"packets\":5},"
		"\"destination\":{\"ip\":\"10.0.0.1\",\"port\":80,\"bytes\":3608,\"packets\":4},"
		"\"client\":{\"ip\":\"10.0.0.2\",\"port\":43122,\"bytes\":380,\"packets\":5},"
		"\"server\":{\"ip\":\"10.0.0.1\",\"port\":80,\"bytes\":3608,\"packets\":4},"
		"\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\",\"iana_number\":\"6\","
		"\"community_id\":\"1:UQezHrdIQ9tvFbCTqtCjpqutE6o=\",\"bytes\":3988,\"packets\":9},"
		"\"sockscope\":{\"service\":\"http\",\"outcome\":\"complete\",\"evidence\":\"syn\","
		"\"confidence\":\"high\",\"close\":\"fin\",\"conn_state\":\"SF\","
		"\"history\":\"ShADdFf\",\"payload_bytes\":{\"client\":120,\"server\":3400},"
		"\"syn_retransmits\":0,\"synack_retransmits\":0,\"syn_to_synack_ms\":0.512000,"
		"\"synack_to_ack_ms\":0.101000,\"reused_tuple\":false,\"reuse_cause\":null,"
		"\"icmp\":null,\"tcp_options\":{\"client\":{\"mss\":1460,\"wscale\":7,"
		"\"sack_perm\":true,\"timestamps\":true},\"server\":{\"mss\":1400,"
		"\"wscale\":null,\"sack_perm\":false,\"timestamps\":false}}}}\n"
		"{\"@timestamp\":\"2026-01-01T00:00:05.000000001Z\",\"ecs\":{\"version\":\"8.11.0\"},"
		"\"event\":{\"kind\":\"event\",\"category\":[\"network\"],"
		"\"type\":[\"connection\",\"denied\"],\"outcome\":\"failure\","
		"\"duration\":1500000002,\"start\":\"2026-01-01T00:00:05.000000001Z\","
		"\"end\":\"2026-01-01T00:00:06.500000003Z\",\"dataset\":\"sockscope.connection\"},"
		"\"source\":{\"ip\":\"2001:db8::2\",\"port\":50000,\"bytes\":156,\"packets\":2},"
		"\"destination\":{\"ip\":\"2001:db8::53\",\"port\":53,\"bytes\":0,\"packets\":0},"
		"\"client\":{\"ip\":\"2001:db8::2\",\"port\":50000,\"bytes\":156,\"packets\":2},"
		"\"server\":{\"ip\":\"2001:db8::53\",\"port\":53,\"bytes\":0,\"packets\":0},"
		"\"network\":{\"transport\":\"udp\",\"type\":\"ipv6\",\"iana_number\":\"17\","
		"\"community_id\":\"1:8r30hOG09eoymEhC/0dm170uYek=\",\"bytes\":156,\"packets\":2},"
		"\"sockscope\":{\"service\":\"domain\",\"outcome\":\"rejected\","
		"\"evidence\":\"icmp_unreachable\",\"confidence\":\"high\",\"close\":\"none\","
		"\"conn_state\":\"S0\",\"history\":\"^\",\"payload_bytes\":{\"client\":60,"
		"\"server\":0},\"syn_retransmits\":0,\"synack_retransmits\":0,"
		"\"syn_to_synack_ms\":null,\"synack_to_ack_ms\":null,\"reused_tuple\":true,"
		"\"reuse_cause\":\"after_failed\",\"icmp\":{\"type\":1,\"code\":4,\"count\":2},"
		"\"tcp_options\":null}}\n");
	free(got);

	/* event.type and event.outcome follow the outcome */
	ss_conn *t = g_ptr_array_index(r->conns, 0);
	t->outcome = SS_OUTCOME_UNANSWERED;
	t->close = SS_CLOSE_NONE;
	got = render(r, SS_FORMAT_ECS, NULL);
	assert_non_null(strstr(got, "\"type\":[\"connection\",\"start\"],\"outcome\":\"unknown\","));
	free(got);
	t->outcome = SS_OUTCOME_MIDSTREAM;
	t->syn_side = -1;
	t->close = SS_CLOSE_RST_SERVER;
	got = render(r, SS_FORMAT_ECS, NULL);
	assert_non_null(strstr(got, "\"type\":[\"connection\",\"end\"],\"outcome\":\"success\","));
	free(got);
	t->outcome = SS_OUTCOME_REJECTED;
	t->syn_side = 0;
	t->close = SS_CLOSE_NONE;
	got = render(r, SS_FORMAT_ECS, NULL);
	assert_non_null(strstr(got, "\"type\":[\"connection\",\"start\",\"denied\"],\"outcome\":\"failure\","));
	free(got);

	g_ptr_array_set_size(r->conns, 0);
	got = render(r, SS_FORMAT_ECS, NULL);
	assert_string_equal(got, "");
	free(got);
	ss_report_free(r);
}

static void test_format_names(void **state)
{
	(void)state;
	ss_format f;
	assert_true(ss_format_parse("text", &f));
	assert_int_equal(f, SS_FORMAT_TEXT);
	assert_true(ss_format_parse("jsonl", &f));
	assert_int_equal(f, SS_FORMAT_JSONL);
	assert_true(ss_format_parse("json", &f));
	assert_int_equal(f, SS_FORMAT_JSON);
	assert_true(ss_format_parse("csv", &f));
	assert_int_equal(f, SS_FORMAT_CSV);
	assert_true(ss_format_parse("zeek", &f));
	assert_int_equal(f, SS_FORMAT_ZEEK);
	assert_true(ss_format_parse("zeek-json", &f));
	assert_int_equal(f, SS_FORMAT_ZEEK_JSON);
	assert_true(ss_format_parse("ecs", &f));
	assert_int_equal(f, SS_FORMAT_ECS);
	assert_false(ss_format_parse("zeek_json", &f));
	for (int i = SS_FORMAT_TEXT; i <= SS_FORMAT_ECS; i++) {
		assert_true(ss_format_parse(ss_format_name((ss_format)i), &f));
		assert_int_equal(f, i);
	}
	assert_false(ss_format_parse("JSON", &f));
	assert_false(ss_format_parse("", &f));
	assert_false(ss_format_parse(NULL, &f));
	assert_string_equal(ss_format_name(SS_FORMAT_CSV), "csv");
	assert_string_equal(ss_format_name((ss_format)99), "unknown");
	assert_string_equal(ss_listener_state_name(SS_LISTENER_FILTERED), "filtered");
	ss_report_free(NULL);
}

/* A large buffer goes past stdio's buffer (write(2), report/out.c): the
 * bytes stay in order after what stdio held, and a full disk still fails
 * with ENOSPC. */
static void test_out_write_buf_direct(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	assert_non_null(f);
	GString *b = g_string_new(NULL);
	GString *want = g_string_new(NULL);
	for (guint round = 0; round < 3; round++) {
		fputs("held by stdio;", f);
		g_string_append(want, "held by stdio;");
		for (guint i = 0; i < 20000; i++)
			g_string_append_printf(b, "%u,", round * 20000 + i);
		g_string_append(want, b->str);
		assert_true(ss_out_write_buf(b, f));
		assert_int_equal(b->len, 0);
	}
	assert_int_equal(fflush(f), 0);
	rewind(f);
	char *got = g_malloc0(want->len + 2);
	assert_int_equal(fread(got, 1, want->len + 1, f), want->len);
	assert_memory_equal(got, want->str, want->len);
	g_free(got);
	fclose(f);
	FILE *full = fopen("/dev/full", "w");
	if (full != NULL) {
		g_string_assign(b, want->str);
		errno = 0;
		assert_false(ss_out_write_buf(b, full));
		assert_int_equal(errno, ENOSPC);
		fclose(full);
	}
	g_string_free(want, TRUE);
	g_string_free(b, TRUE);
}

static void test_write_error(void **state)
{
	(void)state;
	FILE *full = fopen("/dev/full", "w");
	if (full == NULL)
		skip();
	ss_report *r = make_report();
	ss_report_complete(r, TRUE);
	for (int f = SS_FORMAT_TEXT; f <= SS_FORMAT_DOT; f++) {
		errno = 0;
		assert_false(ss_render(r, (ss_format)f, NULL, full));
		assert_int_equal(errno, ENOSPC);
		clearerr(full);
	}
	fclose(full);
	ss_report_free(r);
}

/* A stream that refuses its first write and takes every later one, as a
 * disk that filled and was cleared, or a pipe that was briefly full. */
static ssize_t flaky_write(void *cookie, const char *buf, size_t size)
{
	(void)buf;
	int *failures = cookie;
	if (*failures > 0) {
		(*failures)--;
		errno = EIO;
		return -1;
	}
	return (ssize_t)size;
}

/* A stream whose error indicator is already set has lost bytes, even when
 * the report's own fwrite and fflush then succeed: every format must say
 * so (ferror), or sockscope exits 0 with a damaged report. */
static void test_write_error_sticky(void **state)
{
	(void)state;
	ss_report *r = make_report();
	ss_report_complete(r, TRUE);
	for (int f = SS_FORMAT_TEXT; f <= SS_FORMAT_DOT; f++) {
		int failures = 1;
		cookie_io_functions_t io = { NULL, flaky_write, NULL, NULL };
		FILE *out = fopencookie(&failures, "w", io);
		assert_non_null(out);
		fputs("earlier output\n", out);
		assert_int_not_equal(fflush(out), 0);   /* the first write fails */
		assert_true(ferror(out));
		errno = 0;
		if (ss_render(r, (ss_format)f, NULL, out))
			fail_msg("format %s reported success on a stream with an error",
				 ss_format_name((ss_format)f));
		assert_int_equal(errno, EIO);
		fclose(out);
	}
	ss_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_format),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_fast_appenders),
		cmocka_unit_test(test_ms),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_conn_view),
		cmocka_unit_test(test_json_records),
		cmocka_unit_test(test_json_host),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_jsonl_findings_two_threads),
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_date),
		cmocka_unit_test(test_zeek),
		cmocka_unit_test(test_zeek_json),
		cmocka_unit_test(test_ecs),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_out_write_buf_direct),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_write_error_sticky),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
