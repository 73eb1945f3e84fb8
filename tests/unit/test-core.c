/* The core helpers that every format shares: the one "IP:port" text, the
 * protocol name with each format's fallback, and the keyed byte hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sockscope/flow.h"
#include "sockscope/util.h"

static void test_addr_port(void **state)
{
	(void)state;
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.bytes[0] = 192, ip.bytes[1] = 0, ip.bytes[2] = 2, ip.bytes[3] = 1;
	char *s = ss_addr_port_dup(SS_FAMILY_IPV4, &ip, 80);
	assert_string_equal(s, "192.0.2.1:80");
	g_free(s);

	memset(&ip, 0, sizeof ip);
	ip.bytes[0] = 0x20, ip.bytes[1] = 0x01, ip.bytes[2] = 0x0d, ip.bytes[3] = 0xb8;
	ip.bytes[15] = 1;
	GString *b = g_string_new("x ");
	ss_addr_port_append(b, SS_FAMILY_IPV6, &ip, 65535);
	assert_string_equal(b->str, "x [2001:db8::1]:65535");
	g_string_free(b, TRUE);
}

static void test_proto_name(void **state)
{
	(void)state;
	assert_string_equal(ss_proto_name(IPPROTO_TCP, "?"), "tcp");
	assert_string_equal(ss_proto_name(IPPROTO_UDP, "?"), "udp");
	assert_string_equal(ss_proto_name(IPPROTO_ICMP, "unknown"), "unknown");
	assert_null(ss_proto_name(132, NULL));
}

/* Every byte of a key, the tail included, and its length change the hash;
 * the key changes it; the flow table's hash is the same function. */
static void test_hash_bytes(void **state)
{
	(void)state;
	guint8 k[24] = { 0 };
	guint64 base = ss_siphash13(k, 17, 1, 2);
	assert_true(base != ss_siphash13(k, 16, 1, 2));
	assert_true(base != ss_siphash13(k, 17, 1, 3));
	for (gsize i = 0; i < 17; i++) {
		k[i] = 1;
		assert_true(ss_siphash13(k, 17, 1, 2) != base);
		k[i] = 0;
	}
	assert_true(ss_hash_bytes(k, 17) == ss_hash_bytes(k, 17));
	assert_true(ss_hash_key() == ss_hash_key());

	ss_flow_key fk;
	memset(&fk, 0x5a, sizeof fk);
	assert_true(ss_flow_key_hash(&fk, 7, 9) == ss_siphash13(&fk, sizeof fk, 7, 9));
}

typedef struct {
	guint8 family;
	ss_ip ip;
} key17;

SS_BYTES_KEY_FUNCS(key17, key17)

static void test_bytes_key_funcs(void **state)
{
	(void)state;
	GHashTable *t = g_hash_table_new_full(key17_hash, key17_equal, g_free, NULL);
	for (guint i = 0; i < 1000; i++) {
		key17 k;
		memset(&k, 0, sizeof k);
		k.family = SS_FAMILY_IPV6;
		memcpy(k.ip.bytes + 12, &i, sizeof i);
		g_hash_table_add(t, g_memdup2(&k, sizeof k));
		g_hash_table_add(t, g_memdup2(&k, sizeof k));
	}
	assert_int_equal(g_hash_table_size(t), 1000);
	g_hash_table_unref(t);
}

/* Raw terminal escapes, C1 controls, bidirectional overrides, isolates and
 * marks become '?'; invalid UTF-8 becomes U+FFFD; other text is kept. */
static void test_text_sanitize(void **state)
{
	(void)state;
	/* ESC [31m, a lone 0x9B, U+202E, U+2066, U+200F, DEL, 0xFF, é, em dash */
	char *s = ss_text_sanitize("a\033[31mb" "\x9b" "\xe2\x80\xae" "c" "\xe2\x81\xa6" "d"
				   "\xe2\x80\x8f" "\x7f" "\xff" "\xc3\xa9" "\xe2\x80\x94");
	assert_string_equal(s, "a?[31mb" "\xef\xbf\xbd" "?c?d??" "\xef\xbf\xbd" "\xc3\xa9"
			       "\xe2\x80\x94");
	g_free(s);
	s = ss_text_sanitize(NULL);
	assert_string_equal(s, "");
	g_free(s);
	GString *b = g_string_new("x");
	ss_text_sanitize_append(b, "\xc2\x9b" "1");   /* U+009B, the one-byte CSI */
	assert_string_equal(b->str, "x?1");
	g_string_free(b, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_port),
		cmocka_unit_test(test_proto_name),
		cmocka_unit_test(test_hash_bytes),
		cmocka_unit_test(test_bytes_key_funcs),
		cmocka_unit_test(test_text_sanitize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
