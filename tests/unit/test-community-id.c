/* Community ID v1 against the published test vectors.
 *
 * Vectors: corelight/community-id-spec, baseline/baseline_deflt.json (seed 0)
 * and baseline/baseline_seed1.json (seed 1), commit
 * c4ec2bc40d65ddbcbdd642582bf5609797a80772 (https://github.com/corelight/
 * community-id-spec/tree/master/baseline), produced by the spec's reference
 * community-id.py from the pcaps in that repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "sockscope/community-id.h"

typedef struct {
	guint8 proto;
	const char *saddr, *daddr;
	guint16 sport, dport;
	const char *seed0, *seed1;
} vector;

static const vector vectors[] = {
	/* tcp.pcap */
	{ 6, "128.232.110.120", "66.35.250.204", 34855, 80,
	  "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 6, "66.35.250.204", "128.232.110.120", 80, 34855,
	  "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	/* ipv6.pcap */
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	/* udp.pcap */
	{ 17, "192.168.1.52", "8.8.8.8", 54585, 53,
	  "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 17, "8.8.8.8", "192.168.1.52", 53, 54585,
	  "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	/* sctp.pcap: equal ports */
	{ 132, "192.168.170.8", "192.168.170.56", 7, 7,
	  "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	{ 132, "192.168.170.56", "192.168.170.8", 7, 7,
	  "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	/* rsvp.pcap: a protocol without ports (the baseline lists them as null) */
	{ 46, "10.1.12.1", "10.1.12.2", 0, 0,
	  "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=" },
	{ 46, "10.1.12.2", "10.1.12.1", 0, 0,
	  "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=" },
};

static guint8 parse_ip(const char *text, ss_ip *ip)
{
	memset(ip, 0, sizeof *ip);
	if (inet_pton(AF_INET, text, ip->bytes) == 1)
		return SS_FAMILY_IPV4;
	assert_int_equal(inet_pton(AF_INET6, text, ip->bytes), 1);
	return SS_FAMILY_IPV6;
}

static void test_vectors(void **state)
{
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		const vector *v = &vectors[i];
		ss_ip s, d;
		guint8 fam = parse_ip(v->saddr, &s);
		assert_int_equal(parse_ip(v->daddr, &d), fam);
		char out[SS_COMMUNITY_ID_LEN];
		assert_true(ss_community_id(fam, v->proto, &s, v->sport, &d, v->dport, 0, out));
		assert_string_equal(out, v->seed0);
		assert_int_equal(strlen(out), SS_COMMUNITY_ID_LEN - 1);
		assert_true(ss_community_id(fam, v->proto, &s, v->sport, &d, v->dport, 1, out));
		assert_string_equal(out, v->seed1);
		if (v->proto == 46) {
			/* ports of a portless protocol are ignored */
			assert_true(ss_community_id(fam, v->proto, &s, 1, &d, 2, 0, out));
			assert_string_equal(out, v->seed0);
		}
	}
}

/* The flow key and connection-record entry points agree with the plain one. */
static void test_key_and_conn(void **state)
{
	(void)state;
	ss_ip a, b;
	guint8 fam = parse_ip("128.232.110.120", &a);
	parse_ip("66.35.250.204", &b);
	ss_flow_key key;
	ss_flow_key_make(&key, fam, 6, &a, 34855, &b, 80);
	char out[SS_COMMUNITY_ID_LEN];
	assert_true(ss_community_id_key(&key, 0, out));
	assert_string_equal(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");

	ss_conn c;
	memset(&c, 0, sizeof c);
	c.family = fam;
	c.proto = 6;
	c.ep[0].ip = b;
	c.ep[0].port = 80;
	c.ep[1].ip = a;
	c.ep[1].port = 34855;
	assert_true(ss_community_id_conn(&c, 1, out));
	assert_string_equal(out, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
}

/* Equal addresses: the ports order the endpoints (the spec's rule). */
static void test_equal_addresses(void **state)
{
	(void)state;
	ss_ip a;
	guint8 fam = parse_ip("127.0.0.1", &a);
	char x[SS_COMMUNITY_ID_LEN], y[SS_COMMUNITY_ID_LEN];
	assert_true(ss_community_id(fam, 6, &a, 40000, &a, 80, 0, x));
	assert_true(ss_community_id(fam, 6, &a, 80, &a, 40000, 0, y));
	assert_string_equal(x, y);
	assert_true(ss_community_id(fam, 17, &a, 80, &a, 40000, 0, y));
	assert_string_not_equal(x, y);
}

static void test_unsupported(void **state)
{
	(void)state;
	ss_ip a, b;
	parse_ip("10.0.0.1", &a);
	parse_ip("10.0.0.2", &b);
	char out[SS_COMMUNITY_ID_LEN] = "x";
	assert_false(ss_community_id(SS_FAMILY_IPV4, 1, &a, 8, &b, 0, 0, out));
	assert_string_equal(out, "");
	assert_false(ss_community_id(SS_FAMILY_IPV6, 58, &a, 128, &b, 129, 0, out));
	assert_false(ss_community_id(0, 6, &a, 1, &b, 2, 0, out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_key_and_conn),
		cmocka_unit_test(test_equal_addresses),
		cmocka_unit_test(test_unsupported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
