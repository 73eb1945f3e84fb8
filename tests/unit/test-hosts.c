/* Ephemeral-port profiles (default ranges, custom ranges, allocation
 * patterns, few samples) and the host view (reuse, exhaustion warning,
 * listening and connecting on one port, listeners attached, tenants kept
 * apart), and the tunnel roll-up beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sockscope/hosts.h"
#include "sockscope/tunnels.h"
#include "sockscope/util.h"
#include "scenario.h"
#include "sockscope/listeners.h"

enum { SYN = SS_TCP_SYN, ACK = SS_TCP_ACK, FIN = SS_TCP_FIN };

/* n random ports in [lo, hi] (fixed seed), optionally of one parity. */
static void random_samples(ss_eph_stats *s, guint32 seed, int n, guint lo, guint hi, int parity)
{
	GRand *r = g_rand_new_with_seed(seed);
	memset(s, 0, sizeof *s);
	for (int i = 0; i < n; i++) {
		guint p = (guint)g_rand_int_range(r, (gint32)lo, (gint32)hi + 1);
		if (parity >= 0 && (int)(p % 2) != parity)
			p = p == hi ? p - 1 : p + 1;
		ss_eph_stats_add(s, (guint16)p, -1);   /* a new destination each */
	}
	g_rand_free(r);
}

static void sequential_samples(ss_eph_stats *s, int n, guint start, guint lo, guint hi, guint step)
{
	memset(s, 0, sizeof *s);
	guint p = start;
	for (int i = 0; i < n; i++) {
		ss_eph_stats_add(s, (guint16)p, -1);
		p += step;
		if (p > hi)
			p = lo;
	}
}

static void expect(const ss_eph_stats *s, ss_eph_default fits, guint low, guint high,
		   ss_alloc_pattern pattern)
{
	ss_eph_profile p;
	ss_eph_profile_compute(s, &p);
	if (p.fits != fits || p.pattern != pattern)
		fail_msg("got %s %u-%u %s, expected %s %s", ss_eph_default_name(p.fits),
			 (unsigned)p.low, (unsigned)p.high, ss_alloc_pattern_name(p.pattern),
			 ss_eph_default_name(fits), ss_alloc_pattern_name(pattern));
	assert_int_equal(p.low, low);
	assert_int_equal(p.high, high);
}

static void test_default_ranges(void **state)
{
	(void)state;
	ss_eph_stats s;
	/* Linux connect(): random, 32768-60999 */
	for (guint32 seed = 1; seed <= 20; seed++) {
		random_samples(&s, seed, 40, 32768, 60999, -1);
		expect(&s, SS_EPH_LINUX, 32768, 60999, SS_ALLOC_RANDOM);
	}
	/* Linux with the even-port preference of connect() */
	random_samples(&s, 7, 40, 32768, 60999, 0);
	expect(&s, SS_EPH_LINUX, 32768, 60999, SS_ALLOC_EVEN);
	random_samples(&s, 8, 40, 32768, 60999, 1);
	expect(&s, SS_EPH_LINUX, 32768, 60999, SS_ALLOC_ODD);
	/* Windows / macOS: 49152-65535 (Windows: sequential) */
	sequential_samples(&s, 30, 50210, 49152, 65535, 1);
	expect(&s, SS_EPH_IANA, 49152, 65535, SS_ALLOC_SEQUENTIAL);
	random_samples(&s, 3, 40, 49152, 65535, -1);   /* macOS: random */
	expect(&s, SS_EPH_IANA, 49152, 65535, SS_ALLOC_RANDOM);
	/* FreeBSD: random, 10000-65535 */
	for (guint32 seed = 1; seed <= 20; seed++) {
		random_samples(&s, seed, 40, 10000, 65535, -1);
		expect(&s, SS_EPH_FREEBSD, 10000, 65535, SS_ALLOC_RANDOM);
	}
	/* old Windows: sequential 1025-5000, wrapping */
	sequential_samples(&s, 30, 4990, 1025, 5000, 1);
	expect(&s, SS_EPH_WINDOWS_OLD, 1025, 5000, SS_ALLOC_SEQUENTIAL);
	/* exactly the minimum number of samples */
	random_samples(&s, 5, SS_EPH_MIN_SAMPLES, 32768, 60999, -1);
	expect(&s, SS_EPH_LINUX, 32768, 60999, SS_ALLOC_RANDOM);
}

static void test_custom_and_unknown(void **state)
{
	(void)state;
	ss_eph_stats s;
	/* a custom random range 20000-29999: fits no default; reported within
	 * its true bounds */
	for (guint32 seed = 1; seed <= 10; seed++) {
		random_samples(&s, seed, 40, 20000, 29999, -1);
		ss_eph_profile p;
		ss_eph_profile_compute(&s, &p);
		assert_int_equal(p.fits, SS_EPH_CUSTOM);
		assert_true(p.low >= 20000 && p.high <= 29999);
		assert_int_equal(p.low, s.min);
		assert_int_equal(p.high, s.max);
	}
	/* ports above 61000 and below 49152: none of the defaults (not FreeBSD:
	 * too narrow for a random allocator over 10000-65535) */
	random_samples(&s, 4, 40, 40000, 64000, -1);
	ss_eph_profile p;
	ss_eph_profile_compute(&s, &p);
	assert_int_equal(p.fits, SS_EPH_CUSTOM);
	/* too few samples */
	random_samples(&s, 4, SS_EPH_MIN_SAMPLES - 1, 32768, 60999, -1);
	expect(&s, SS_EPH_UNKNOWN, 0, 0, SS_ALLOC_UNKNOWN);
	assert_string_equal(ss_eph_default_name(SS_EPH_WINDOWS_OLD), "windows_old");
	assert_string_equal(ss_alloc_pattern_name(SS_ALLOC_EVEN), "even_only");
}

/* Linux connect() towards one destination: one parity, each port 2 + 2*k
 * (k random 0..7) above the previous one, wrapping from the top of the range
 * to its bottom (net/ipv4/inet_hashtables.c, __inet_hash_connect). */
static void linux_steps(ss_eph_stats *s, guint32 seed, int n, guint start, guint lo, guint hi)
{
	GRand *r = g_rand_new_with_seed(seed);
	memset(s, 0, sizeof *s);
	guint size = hi - lo + 1, p = start;
	gint32 prev = -1;
	for (int i = 0; i < n; i++) {
		ss_eph_stats_add(s, (guint16)p, prev);
		prev = (gint32)p;
		p = lo + (p - lo + 2 + 2 * (guint)g_rand_int_range(r, 0, 8)) % size;
	}
	g_rand_free(r);
}

static void test_linux_stepping(void **state)
{
	(void)state;
	ss_eph_stats s;
	ss_eph_profile p;
	/* The host: 250 connections from 52034 up, even only, spanning
	 * ~2150 ports of the default range: Linux, not custom. */
	for (guint32 seed = 1; seed <= 20; seed++) {
		linux_steps(&s, seed, 250, 52034, 32768, 60999);
		expect(&s, SS_EPH_LINUX, 32768, 60999, SS_ALLOC_STEPPING);
		ss_eph_profile_compute(&s, &p);
		assert_int_equal(p.basis, SS_EPH_BASIS_PATTERN);
		assert_int_equal(p.wraps, 0);
		/* 52034.. lies in all three wide defaults; each is named */
		assert_int_equal(p.consistent, (1u << SS_EPH_LINUX) | (1u << SS_EPH_IANA) |
						       (1u << SS_EPH_FREEBSD));
	}
	/* ip_local_port_range = 50000 50999, wrapping: custom, with its bounds
	 * (even ports: 50000-50998) */
	for (guint32 seed = 1; seed <= 20; seed++) {
		linux_steps(&s, seed, 300, 50400, 50000, 50999);
		ss_eph_profile_compute(&s, &p);
		assert_int_equal(p.pattern, SS_ALLOC_STEPPING);
		assert_int_equal(p.fits, SS_EPH_CUSTOM);
		assert_int_equal(p.basis, SS_EPH_BASIS_WRAP);
		assert_true(p.wraps >= 2);
		assert_true(p.low >= 50000 && p.low <= 50016 && p.high >= 50984 && p.high <= 50998);
	}
	/* the same before its first wrap: nothing shows a custom range yet */
	linux_steps(&s, 3, 40, 50400, 50000, 50999);
	expect(&s, SS_EPH_LINUX, 32768, 60999, SS_ALLOC_STEPPING);
	/* a wrap over the whole default range confirms the default */
	linux_steps(&s, 4, 60, 60900, 32768, 60999);
	ss_eph_profile_compute(&s, &p);
	assert_int_equal(p.pattern, SS_ALLOC_STEPPING);
	assert_int_equal(p.fits, SS_EPH_LINUX);
	assert_int_equal(p.wraps, 1);   /* from the top to the bottom of the default */
	assert_int_equal(p.basis, SS_EPH_BASIS_PATTERN);
	/* ports outside every default: custom on that evidence */
	linux_steps(&s, 5, 50, 61500, 61000, 61999);
	ss_eph_profile_compute(&s, &p);
	assert_int_equal(p.consistent, 1u << SS_EPH_IANA | 1u << SS_EPH_FREEBSD);
	linux_steps(&s, 5, 50, 5100, 5100, 9999);
	ss_eph_profile_compute(&s, &p);
	assert_int_equal(p.consistent, 0);
	assert_int_equal(p.fits, SS_EPH_CUSTOM);
	assert_int_equal(p.basis, SS_EPH_BASIS_OUTSIDE);
	assert_string_equal(ss_eph_basis_name(p.basis), "outside_defaults");
	assert_string_equal(ss_alloc_pattern_name(SS_ALLOC_STEPPING), "stepping");
	/* a scanner's one bound source port for every probe: no range */
	memset(&s, 0, sizeof s);
	for (int i = 0; i < 100; i++)
		ss_eph_stats_add(&s, 48263, -1);
	ss_eph_profile_compute(&s, &p);
	assert_int_equal(p.fits, SS_EPH_UNKNOWN);
	assert_int_equal(p.basis, SS_EPH_BASIS_FIXED);
	/* Windows: sequential +1 from one global counter, towards alternating
	 * destinations (same-destination steps +2, but odd and even ports) */
	memset(&s, 0, sizeof s);
	gint32 last[2] = { -1, -1 };
	for (guint port = 50210; port < 50250; port++) {
		ss_eph_stats_add(&s, (guint16)port, last[port % 2]);
		last[port % 2] = (gint32)port;
	}
	expect(&s, SS_EPH_IANA, 49152, 65535, SS_ALLOC_SEQUENTIAL);
	ss_eph_profile_compute(&s, &p);
	assert_int_equal(p.basis, SS_EPH_BASIS_PATTERN);
}

static void test_multicast_broadcast(void **state)
{
	(void)state;
	ss_ip ip = sc_ip4(224, 0, 0, 251);
	assert_true(ss_ip_is_multicast(SS_FAMILY_IPV4, &ip));
	ip = sc_ip4(10, 0, 0, 255);
	assert_false(ss_ip_is_multicast(SS_FAMILY_IPV4, &ip));
	assert_false(ss_ip_is_broadcast(SS_FAMILY_IPV4, &ip));
	ip = sc_ip4(255, 255, 255, 255);
	assert_true(ss_ip_is_broadcast(SS_FAMILY_IPV4, &ip));
	memset(&ip, 0, sizeof ip);
	ip.bytes[0] = 0xff;
	ip.bytes[1] = 0x02;
	assert_true(ss_ip_is_multicast(SS_FAMILY_IPV6, &ip));
}

static void conn_fin(ss_analyzer *a, const sc_flow *f, gint64 ms)
{
	sc_tcp(a, f, SC_CLIENT, ms, SYN, 100, 0);
	sc_tcp(a, f, SC_SERVER, ms, SYN | ACK, 500, 0);
	sc_tcp(a, f, SC_CLIENT, ms, ACK, 101, 0);
	sc_tcp(a, f, SC_CLIENT, ms + 1, FIN | ACK, 101, 0);
	sc_tcp(a, f, SC_SERVER, ms + 1, FIN | ACK, 501, 0);
	sc_tcp(a, f, SC_CLIENT, ms + 1, ACK, 102, 0);
}

static const ss_host *host_of(const ss_report *r, ss_ip ip)
{
	for (guint i = 0; r->hosts && i < r->hosts->len; i++) {
		const ss_host *h = &g_array_index(r->hosts, ss_host, i);
		if (memcmp(&h->ip, &ip, sizeof ip) == 0)
			return h;
	}
	fail_msg("host not found");
	return NULL;
}

static void drop_record(const ss_conn *c, gpointer data)
{
	(void)c;
	(void)data;
}

/* 15000 connections to one server within 60 s: more than half of a Linux
 * range (28232 ports) in one TIME_WAIT window. */
static void test_exhaustion_warning(void **state)
{
	(void)state;
	for (int streaming = 0; streaming < 2; streaming++) {
		ss_services_use_system(FALSE);
		ss_analyzer_config cfg;
		ss_analyzer_config_init(&cfg);
		if (streaming)
			cfg.sink = drop_record;
		ss_analyzer *a = ss_analyzer_new(&cfg);
		ss_ip cl = sc_ip4(10, 0, 0, 1), sv = sc_ip4(10, 0, 0, 2);
		guint n = 15000;
		for (guint i = 0; i < n; i++) {
			/* random distinct ports: a permutation walk through the range */
			guint16 port = (guint16)(32768 + (i * 7919u) % 28232u);
			sc_flow f = sc_flow_make(IPPROTO_TCP, cl, port, sv, 80);
			conn_fin(a, &f, (gint64)i * 3);   /* 45 s in all */
		}
		/* and a quiet host: 10 connections, no warning */
		ss_ip quiet = sc_ip4(10, 0, 0, 3);
		for (guint i = 0; i < 10; i++) {
			sc_flow f = sc_flow_make(IPPROTO_TCP, quiet, (guint16)(33000 + i * 2801), sv, 80);
			conn_fin(a, &f, 50000 + i);
		}
		ss_report *r = ss_analyzer_finish(a);
		ss_analyzer_free(a);
		const ss_host *h = host_of(r, cl);
		assert_int_equal(h->eph.samples, n);
		assert_int_equal(h->profile.fits, SS_EPH_LINUX);
		assert_true(h->exhaustion_risk);
		assert_int_equal(h->busiest_connections, n);
		assert_int_equal(h->busiest_port, 80);
		assert_int_equal(h->client_connections, n);
		assert_int_equal(h->client_servers, 1);
		assert_false(host_of(r, quiet)->exhaustion_risk);
		/* the server: one listening socket, no client side */
		const ss_host *s = host_of(r, sv);
		assert_int_equal(s->listeners->len, 1);
		assert_int_equal(s->client_connections, 0);
		assert_int_equal(s->eph.samples, 0);
		ss_report_free(r);
	}
}

/* A port used again 61 s after its previous connection closed; and a host
 * that listens on 8080 and also connects from 8080. */
static void test_reuse_and_dual_port(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_analyzer *a = ss_analyzer_new(NULL);
	ss_ip cl = sc_ip4(10, 0, 0, 1), sv = sc_ip4(10, 0, 0, 2), other = sc_ip4(10, 0, 0, 9);
	sc_flow f1 = sc_flow_make(IPPROTO_TCP, cl, 40000, sv, 80);
	sc_flow f2 = sc_flow_make(IPPROTO_TCP, cl, 40000, sc_ip4(10, 0, 0, 3), 80);
	conn_fin(a, &f1, 0);
	conn_fin(a, &f2, 61001);
	sc_flow in = sc_flow_make(IPPROTO_TCP, other, 45000, sv, 8080);
	sc_flow out = sc_flow_make(IPPROTO_TCP, sv, 8080, other, 9000);
	conn_fin(a, &in, 70000);
	conn_fin(a, &out, 70010);
	ss_report *r = ss_analyzer_finish(a);
	ss_analyzer_free(a);
	const ss_host *h = host_of(r, cl);
	assert_true(h->reuse_known);
	assert_int_equal(h->reused_ports, 1);
	assert_int_equal(h->min_reuse_gap_ns, G_GINT64_CONSTANT(61000) * 1000000);
	assert_int_equal(h->profile.fits, SS_EPH_UNKNOWN);   /* 2 samples */
	const ss_host *s = host_of(r, sv);
	assert_int_equal(s->n_dual_ports, 1);
	assert_int_equal(s->dual_ports[0], 8080);
	ss_report_free(r);
}

/* A complete handshake whose packets came out of VXLAN VNI `vni`. */
static void tunnelled_conn(ss_analyzer *a, const sc_flow *f, guint32 vni, gint64 ms)
{
	static const guint8 flags[][2] = { { SC_CLIENT, SYN }, { SC_SERVER, SYN | ACK },
					   { SC_CLIENT, ACK } };
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		ss_packet p = sc_packet(f, flags[i][0], ms);
		p.tunnel.type = SS_TUNNEL_VXLAN;
		p.tunnel.has_vni = 1;
		p.tunnel.vni = vni;
		p.tunnel.depth = 1;
		p.l4 = SS_L4_TCP;
		p.tcp.flags = flags[i][1];
		p.tcp.window = 65535;
		p.tcp.seq = flags[i][0] == SC_CLIENT ? 100 : 500;
		p.ip_len = 40;
		ss_analyzer_decoded(a, &p);
	}
}

/* Two tenants behind VNI 42 and 43 with the same inner addresses: two
 * listeners on 192.168.42.2:8080 and two hosts per address, each with its
 * own connections, never one merged listener. */
static void test_tenants_apart(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_analyzer *a = ss_analyzer_new(NULL);
	ss_ip cl = sc_ip4(192, 168, 42, 1), sv = sc_ip4(192, 168, 42, 2);
	sc_flow f1 = sc_flow_make(IPPROTO_TCP, cl, 40000, sv, 8080);
	sc_flow f2 = sc_flow_make(IPPROTO_TCP, cl, 40001, sv, 8080);
	tunnelled_conn(a, &f1, 42, 0);
	tunnelled_conn(a, &f2, 43, 10);
	tunnelled_conn(a, &f1, 43, 20);   /* the same tuple in the other tenant */
	ss_report *r = ss_analyzer_finish(a);
	ss_analyzer_free(a);
	assert_int_equal(r->conns->len, 3);
	assert_int_equal(r->listeners->len, 2);
	const ss_listener *l0 = &g_array_index(r->listeners, ss_listener, 0);
	const ss_listener *l1 = &g_array_index(r->listeners, ss_listener, 1);
	assert_int_equal(l0->vnet.type, SS_TUNNEL_VXLAN);
	assert_int_equal(l0->vnet.vni, 42);   /* sorted by VNI */
	assert_int_equal(l0->connections, 1);
	assert_int_equal(l1->vnet.vni, 43);
	assert_int_equal(l1->connections, 2);
	assert_int_equal(r->hosts->len, 4);
	for (guint i = 0; i < r->hosts->len; i++) {
		const ss_host *h = &g_array_index(r->hosts, ss_host, i);
		assert_int_equal(h->vnet.vni, i % 2 == 0 ? 42 : 43);
		if (memcmp(&h->ip, &cl, sizeof cl) == 0)
			assert_int_equal(h->client_connections, h->vnet.vni == 42 ? 1 : 2);
		else
			assert_int_equal(h->listeners->len, 1);
	}
	ss_report_free(r);
}

/* The host and listener tables hash a key whose address is IPv4-shaped
 * (bytes 4-15 zero) from its packed words: the IPv4 192.168.42.1, the
 * IPv6 c0a8:2a01:: (the same 16 bytes) and 192.168.42.1 behind VNI 42 are
 * three hosts, and their servers three listeners, each with its own
 * connection. */
static void shaped_conn(ss_analyzer *a, const sc_flow *f, guint8 family, guint32 vni, gint64 ms)
{
	static const guint8 flags[][2] = { { SC_CLIENT, SYN }, { SC_SERVER, SYN | ACK },
					   { SC_CLIENT, ACK } };
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		ss_packet p = sc_packet(f, flags[i][0], ms);
		p.family = family;
		if (vni) {
			p.tunnel.type = SS_TUNNEL_VXLAN;
			p.tunnel.has_vni = 1;
			p.tunnel.vni = vni;
			p.tunnel.depth = 1;
		}
		p.l4 = SS_L4_TCP;
		p.tcp.flags = flags[i][1];
		p.tcp.window = 65535;
		p.tcp.seq = flags[i][0] == SC_CLIENT ? 100 : 500;
		p.ip_len = 40;
		ss_analyzer_decoded(a, &p);
	}
}

static void test_ipv4_shaped_keys_apart(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_analyzer *a = ss_analyzer_new(NULL);
	ss_ip cl = sc_ip4(192, 168, 42, 1), sv = sc_ip4(192, 168, 42, 2);
	sc_flow f = sc_flow_make(IPPROTO_TCP, cl, 40000, sv, 8080);
	shaped_conn(a, &f, SS_FAMILY_IPV4, 0, 0);
	shaped_conn(a, &f, SS_FAMILY_IPV6, 0, 10);
	shaped_conn(a, &f, SS_FAMILY_IPV4, 42, 20);
	ss_report *r = ss_analyzer_finish(a);
	ss_analyzer_free(a);
	assert_int_equal(r->conns->len, 3);
	assert_int_equal(r->listeners->len, 3);
	for (guint i = 0; i < r->listeners->len; i++)
		assert_int_equal(g_array_index(r->listeners, ss_listener, i).connections, 1);
	assert_int_equal(r->hosts->len, 6);
	for (guint i = 0; i < r->hosts->len; i++) {
		const ss_host *h = &g_array_index(r->hosts, ss_host, i);
		if (memcmp(&h->ip, &cl, sizeof cl) == 0)
			assert_int_equal(h->client_connections, 1);
		else
			assert_int_equal(h->listeners->len, 1);
	}
	ss_report_free(r);
}

/* The tunnel roll-up: both directions of an underlay are one tunnel per
 * VNI, inner records are counted from another ss_tunnels (the report
 * thread's) and joined, and the table stops at SS_TUNNELS_MAX. */
static void test_tunnel_rollup(void **state)
{
	(void)state;
	ss_tunnels *pk = ss_tunnels_new(), *cn = ss_tunnels_new();
	ss_tunnel t;
	memset(&t, 0, sizeof t);
	t.type = SS_TUNNEL_VXLAN;
	t.has_vni = 1;
	t.vni = 42;
	t.family = SS_FAMILY_IPV4;
	t.src = sc_ip4(10, 0, 0, 2);
	t.dst = sc_ip4(10, 0, 0, 1);
	t.sport = 50000;
	t.dport = 4789;
	ss_tunnels_add_packet(pk, &t, 100, SC_T0 + 5);
	ss_tunnel back = t;
	back.src = t.dst;
	back.dst = t.src;
	back.sport = 61000;   /* another inner flow's entropy port: same tunnel */
	ss_tunnels_add_packet(pk, &back, 60, SC_T0 + 1);
	ss_tunnel other = t;
	other.vni = 43;
	ss_tunnels_add_packet(pk, &other, 10, SC_T0 + 2);
	ss_conn c;
	memset(&c, 0, sizeof c);
	c.tail = SS_CONN_TAIL_TUNNEL;
	c.tail_tunnel = back;
	ss_tunnels_add_conn(cn, &c);
	ss_tunnels_add_conn(cn, &c);
	guint64 dropped = 1;
	GArray *out = ss_tunnels_take(pk, cn, &dropped);
	assert_int_equal(dropped, 0);
	assert_int_equal(out->len, 2);
	const ss_tunnel_flow *f = &g_array_index(out, ss_tunnel_flow, 0);
	assert_int_equal(f->vnet.vni, 42);
	assert_int_equal(f->packets, 2);
	assert_int_equal(f->bytes, 160);
	assert_int_equal(f->connections, 2);
	assert_int_equal(f->first_ns, SC_T0 + 1);
	assert_int_equal(f->last_ns, SC_T0 + 5);
	assert_memory_equal(&f->src, &t.src, sizeof t.src);   /* the first packet's sender */
	assert_int_equal(g_array_index(out, ss_tunnel_flow, 1).connections, 0);
	g_array_unref(out);

	for (guint i = 0; i < SS_TUNNELS_MAX + 10; i++) {
		t.vni = i;
		ss_tunnels_add_packet(pk, &t, 1, SC_T0);
	}
	out = ss_tunnels_take(pk, NULL, &dropped);
	assert_int_equal(out->len, SS_TUNNELS_MAX);
	assert_int_equal(dropped, 10);
	g_array_unref(out);
	ss_tunnels_free(pk);
	ss_tunnels_free(cn);
}

/* A handshake-proven TCP record from client:cport to server:80, with a
 * time (a SYN was counted). */
static ss_conn syn_conn(ss_ip client, guint16 cport, ss_ip server)
{
	ss_conn c;
	memset(&c, 0, sizeof c);
	c.proto = IPPROTO_TCP;
	c.family = SS_FAMILY_IPV4;
	c.client = 0;
	c.evidence = SS_EVIDENCE_SYN;
	c.outcome = SS_OUTCOME_COMPLETE;
	ss_conn_set_ends(&c, client, cport, server, 80);
	c.ep[0].first_ns = c.ep[0].last_ns = SC_T0;
	c.ep[0].packets = 1;
	return c;
}

/* The host table and its per-host tables are capped and count drops. */
static void test_hosts_bounded(void **state)
{
	(void)state;
	ss_hosts_limits lim;
	ss_hosts_limits_init(&lim);
	lim.max_hosts = 2;
	lim.max_port_maps = 1;
	ss_hosts *hs = ss_hosts_new(&lim);
	for (int i = 0; i < 10; i++) {
		/* two records each from 10.0.0.1, .2, ... */
		ss_conn c = syn_conn(sc_ip4(10, 0, 0, (guint8)(1 + i / 2)), (guint16)(40000 + i % 2),
				     sc_ip4(10, 0, 1, 1));
		ss_hosts_learn_ephemeral(hs, &c);
		ss_hosts_add_conn(hs, &c, 0);   /* one server socket: 10.0.1.1:80 */
	}
	ss_hosts_dropped d;
	ss_hosts_get_dropped(hs, &d);
	assert_int_equal(d.hosts, 12);      /* 3 hosts x 2 records x (learn + add) */
	assert_int_equal(d.port_maps, 1);   /* the second host's second record */
	GArray *out = ss_hosts_take(hs, NULL);
	assert_int_equal(out->len, 2);
	ss_hosts_array_free(out);
	ss_hosts_free(hs);
}

/* Distinct servers per host are counted until the pairs of all hosts
 * reach max_servers; a record of a new pair past it counts as dropped
 * each time, and pairs already counted still count as seen. */
static void test_servers_bounded(void **state)
{
	(void)state;
	ss_hosts_limits lim;
	ss_hosts_limits_init(&lim);
	lim.max_servers = 2;
	ss_hosts *hs = ss_hosts_new(&lim);
	for (int round = 0; round < 2; round++) {
		for (guint32 s = 0; s < 4; s++) {
			ss_conn c = syn_conn(sc_ip4(10, 0, 0, 1), 40000, sc_ip4(10, 0, 1, (guint8)(1 + s)));
			ss_hosts_add_conn(hs, &c, s);   /* socket s: 10.0.1.(1 + s):80 */
		}
	}
	ss_hosts_dropped d;
	ss_hosts_get_dropped(hs, &d);
	assert_int_equal(d.servers, 4);   /* sockets 2 and 3, twice each */
	GArray *out = ss_hosts_take(hs, NULL);
	assert_int_equal(out->len, 1);
	const ss_host *h = &g_array_index(out, ss_host, 0);
	assert_int_equal(h->client_connections, 8);
	assert_int_equal(h->client_servers, 2);
	ss_hosts_array_free(out);
	ss_hosts_free(hs);
}

/* The pairs of new client hosts wait a few records before they go into
 * the pair set (hosts.c, pairs_defer): every count must still be the
 * set's alone.  Random records among 300 hosts and 40 servers, many of
 * them a new host's first pair seen again within the wait or past the
 * bound, against a model that keeps every pair. */
static void test_servers_deferred(void **state)
{
	(void)state;
	ss_hosts_limits lim;
	ss_hosts_limits_init(&lim);
	lim.max_servers = 700;
	ss_hosts *hs = ss_hosts_new(&lim);
	GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
	guint32 servers[300] = { 0 };
	guint64 dropped = 0, pairs[4000];
	GRand *r = g_rand_new_with_seed(14);
	for (int i = 0; i < 4000; i++) {
		/* mostly recent hosts, so that pairs repeat within the wait */
		guint32 host = (guint32)i / 12 + (guint32)g_rand_int_range(r, 0, 4);
		host = MIN(host, 299);
		guint32 server = (guint32)g_rand_int_range(r, 0, 40);
		ss_conn c = syn_conn(sc_ip4(10, 0, (guint8)(host / 256), (guint8)host), 40000,
				     sc_ip4(10, 0, 200, (guint8)server));
		ss_hosts_add_conn(hs, &c, server);
		pairs[i] = (guint64)host << 32 | server;
		if (g_hash_table_contains(seen, &pairs[i]))
			continue;
		if (g_hash_table_size(seen) >= lim.max_servers) {
			dropped++;
			continue;
		}
		g_hash_table_add(seen, &pairs[i]);
		servers[host]++;
	}
	ss_hosts_dropped d;
	ss_hosts_get_dropped(hs, &d);
	assert_true(dropped > 100);
	assert_int_equal(d.servers, dropped);
	GArray *out = ss_hosts_take(hs, NULL);
	assert_int_equal(out->len, 300);
	for (guint i = 0; i < out->len; i++) {
		const ss_host *h = &g_array_index(out, ss_host, i);
		/* the hosts come out by address: 10.0.0.0 up */
		assert_int_equal(h->client_servers, servers[h->ip.bytes[2] * 256 + h->ip.bytes[3]]);
	}
	ss_hosts_array_free(out);
	g_rand_free(r);
	g_hash_table_destroy(seen);
	ss_hosts_free(hs);
}

/* The hosts come out in ss_host_cmp's order (family, address, virtual
 * network) whatever order they were made in: ss_hosts_take places them
 * by radix sorts of the key, not by sorting with the comparator.  Keys
 * that differ only in the last address byte, in the VNI, in the tunnel
 * type or in has_vni, and IPv6 addresses whose first bytes are those of
 * an IPv4 one. */
static void test_take_order(void **state)
{
	(void)state;
	ss_hosts *hs = ss_hosts_new(NULL);
	GRand *r = g_rand_new_with_seed(7);
	guint made = 0;
	for (int i = 0; i < 3000; i++) {
		ss_ip cl = sc_ip4(10, 0, (guint8)g_rand_int_range(r, 0, 3),
				  (guint8)g_rand_int_range(r, 0, 256));
		ss_conn c = syn_conn(cl, 40000, sc_ip4(10, 9, 9, 9));
		if (g_rand_boolean(r)) {
			c.family = SS_FAMILY_IPV6;
			ss_ip a = *ss_conn_ip(&c, 0), b = *ss_conn_ip(&c, 1);
			a.bytes[15] = (guint8)g_rand_int_range(r, 0, 256);
			b.bytes[15] = 1;
			ss_conn_set_ends(&c, a, ss_conn_port(&c, 0), b, ss_conn_port(&c, 1));
		}
		c.tail = SS_CONN_TAIL_TUNNEL;
		c.tail_tunnel.type = (guint8)g_rand_int_range(r, 0, 2);
		c.tail_tunnel.has_vni = (guint8)g_rand_int_range(r, 0, 2);
		c.tail_tunnel.vni = (guint32)g_rand_int_range(r, 0, 3) << (8 * g_rand_int_range(r, 0, 4));
		ss_hosts_add_conn(hs, &c, 0);
		made++;
	}
	g_rand_free(r);
	GArray *out = ss_hosts_take(hs, NULL);
	assert_true(out->len > 1000 && out->len <= made);
	guint64 connections = 0;
	for (guint i = 0; i < out->len; i++) {
		const ss_host *h = &g_array_index(out, ss_host, i);
		connections += h->client_connections;
		if (i > 0)
			assert_true(ss_host_cmp(h - 1, h) < 0);
	}
	assert_int_equal(connections, made);
	ss_hosts_array_free(out);
	ss_hosts_free(hs);
	/* No tunnel (the hosts sorted by family, then address): IPv4 only,
	 * then IPv4 and IPv6 mixed, addresses that differ in any byte. */
	for (int with_v6 = 0; with_v6 < 2; with_v6++) {
		hs = ss_hosts_new(NULL);
		r = g_rand_new_with_seed(11);
		for (int i = 0; i < 3000; i++) {
			gboolean v6 = with_v6 && g_rand_boolean(r);
			ss_ip cl = sc_ip4(0, 0, 0, 0);
			for (int b = 0; b < (v6 ? 16 : 4); b++)
				if (g_rand_int_range(r, 0, 3) == 0)
					cl.bytes[b] = (guint8)g_rand_int_range(r, 0, 256);
			ss_conn c = syn_conn(cl, 40000, sc_ip4(10, 9, 9, 9));
			if (v6)
				c.family = SS_FAMILY_IPV6;
			ss_hosts_add_conn(hs, &c, 0);
		}
		g_rand_free(r);
		out = ss_hosts_take(hs, NULL);
		assert_true(out->len > 500);
		for (guint i = 1; i < out->len; i++)
			assert_true(ss_host_cmp(&g_array_index(out, ss_host, i - 1),
						&g_array_index(out, ss_host, i)) < 0);
		ss_hosts_array_free(out);
		ss_hosts_free(hs);
	}
}

/* The look-ahead's guess of a record's client before it is decided:
 * the SYN's sender, else the SYN-ACK's peer, else the higher port's side,
 * else ep[0]. */
static void test_likely_client(void **state)
{
	(void)state;
	ss_conn c = syn_conn(sc_ip4(10, 0, 0, 1), 40000, sc_ip4(10, 0, 1, 1));
	c.syn_side = 1;
	c.synack_side = 1;
	assert_int_equal(ss_conn_likely_client(&c), 1);
	c.syn_side = -1;
	assert_int_equal(ss_conn_likely_client(&c), 0);
	c.synack_side = 0;
	assert_int_equal(ss_conn_likely_client(&c), 1);
	c.synack_side = -1;   /* ports 40000 and 80: the higher one's side */
	assert_int_equal(ss_conn_likely_client(&c), 0);
	ss_conn_set_ends(&c, sc_ip4(10, 0, 0, 1), 53, sc_ip4(10, 0, 1, 1), 5353);
	assert_int_equal(ss_conn_likely_client(&c), 1);
	ss_conn_set_ends(&c, sc_ip4(10, 0, 0, 1), 500, sc_ip4(10, 0, 1, 1), 500);
	assert_int_equal(ss_conn_likely_client(&c), 0);
}

/* The look-ahead (ss_hosts_prefetch, ss_listeners_prefetch and their
 * _entry, _clients and _client steps) changes no result: its memos are
 * caches of the keys' hashes, 256 slots shared by far more keys here (the
 * later steps take whatever key the slot holds by then), and its guess of
 * the sides is wrong for a third of the records (the SYN's sender is not
 * the decided client) and, for a tenth without SYN or SYN-ACK, by the
 * ports. */
static void test_prefetch_same_result(void **state)
{
	(void)state;
	enum { N = 4000, AHEAD = 5, ENTRY_AHEAD = 3, INNER_AHEAD = 1 };
	ss_conn *cs = g_new0(ss_conn, N);
	GRand *r = g_rand_new_with_seed(11);
	for (int i = 0; i < N; i++) {
		ss_ip cl = sc_ip4(10, (guint8)g_rand_int_range(r, 0, 2), (guint8)g_rand_int_range(r, 0, 8),
				  (guint8)g_rand_int_range(r, 0, 256));
		ss_ip srv = sc_ip4(10, 9, 9, (guint8)g_rand_int_range(r, 0, 40));
		cs[i] = syn_conn(cl, (guint16)g_rand_int_range(r, 1024, 65536), srv);
		if (g_rand_int_range(r, 0, 3) == 0)
			cs[i].syn_side = 1;
		cs[i].synack_side = g_rand_boolean(r) ? -1 : 1;
		if (g_rand_int_range(r, 0, 10) == 0) {
			cs[i].syn_side = cs[i].synack_side = -1;
			if (g_rand_boolean(r))   /* the port guess wrong */
				ss_conn_set_ends(&cs[i], cl, 21, srv, 80);
		}
		if (g_rand_int_range(r, 0, 4) == 0) {
			cs[i].tail = SS_CONN_TAIL_TUNNEL;
			cs[i].tail_tunnel.type = 1;
			cs[i].tail_tunnel.has_vni = 1;
			cs[i].tail_tunnel.vni = (guint32)g_rand_int_range(r, 0, 3);
		}
	}
	g_rand_free(r);
	GArray *hosts[2], *listeners[2];
	for (int pf = 0; pf < 2; pf++) {
		ss_hosts *hs = ss_hosts_new(NULL);
		ss_listeners *ls = ss_listeners_new();
		for (int i = 0; i < N; i++) {
			if (pf && i + AHEAD < N) {
				ss_listeners_prefetch(ls, &cs[i + AHEAD]);
				ss_hosts_prefetch(hs, &cs[i + AHEAD]);
			}
			if (pf && i + ENTRY_AHEAD < N) {
				ss_listeners_prefetch_entry(ls, &cs[i + ENTRY_AHEAD]);
				ss_hosts_prefetch_entry(hs, &cs[i + ENTRY_AHEAD]);
			}
			if (pf && i + INNER_AHEAD < N) {
				guint32 server = ss_listeners_prefetch_clients(ls, &cs[i + INNER_AHEAD]);
				ss_hosts_prefetch_client(hs, &cs[i + INNER_AHEAD], server);
			}
			guint32 server = ss_listeners_add(ls, &cs[i]);
			ss_hosts_add_conn(hs, &cs[i], server);
			ss_hosts_learn_ephemeral(hs, &cs[i]);
		}
		listeners[pf] = ss_listeners_take(ls);
		hosts[pf] = ss_hosts_take(hs, listeners[pf]);
		ss_listeners_free(ls);
		ss_hosts_free(hs);
	}
	assert_true(listeners[0]->len > 100);
	assert_int_equal(listeners[1]->len, listeners[0]->len);
	assert_memory_equal(listeners[1]->data, listeners[0]->data,
			    listeners[0]->len * sizeof(ss_listener));
	assert_true(hosts[0]->len > 1000);
	assert_int_equal(hosts[1]->len, hosts[0]->len);
	for (guint i = 0; i < hosts[0]->len; i++) {
		ss_host *x = &g_array_index(hosts[0], ss_host, i);
		ss_host *y = &g_array_index(hosts[1], ss_host, i);
		assert_int_equal(y->listeners ? y->listeners->len : 0,
				 x->listeners ? x->listeners->len : 0);
		GArray *xl = x->listeners, *yl = y->listeners;
		x->listeners = y->listeners = NULL;
		assert_memory_equal(y, x, sizeof *x);
		x->listeners = xl;
		y->listeners = yl;
	}
	for (int pf = 0; pf < 2; pf++) {
		g_array_unref(listeners[pf]);
		ss_hosts_array_free(hosts[pf]);
	}
	g_free(cs);
}

/* Reuse detection over ports far apart (the port map is paged): a port
 * used again counts, in any page, and its gap is measured from the end of
 * its earlier use; ports used once never count. */
static void test_reuse_across_pages(void **state)
{
	(void)state;
	ss_hosts *hs = ss_hosts_new(NULL);
	const guint16 ports[] = { 1, 255, 256, 40000, 65535, 40000, 1, 65535 };
	for (guint i = 0; i < G_N_ELEMENTS(ports); i++) {
		ss_conn c = syn_conn(sc_ip4(10, 0, 0, 1), ports[i], sc_ip4(10, 0, 1, 1));
		c.ep[0].first_ns = SC_T0 + (gint64)i * 1000000000;
		c.ep[0].last_ns = c.ep[0].first_ns + 500000000;
		ss_hosts_learn_ephemeral(hs, &c);
	}
	GArray *out = ss_hosts_take(hs, NULL);
	assert_int_equal(out->len, 1);
	const ss_host *h = &g_array_index(out, ss_host, 0);
	assert_true(h->reuse_known);
	assert_int_equal(h->reused_ports, 3);
	/* 65535: used 4.0-4.5 s and again from 7.0 s */
	assert_int_equal(h->min_reuse_gap_ns, G_GINT64_CONSTANT(1500000000));
	ss_hosts_array_free(out);
	ss_hosts_free(hs);
}

/* A host that opened one handshake-proven connection keeps it alone (a
 * client_one in hosts.c), and gets its full client side on its second,
 * learning the first again: the report reads the same either way.  A
 * host's first connection moves when another host's second drops one
 * before it (one_drop()). */
static void test_first_connection_then_second(void **state)
{
	(void)state;
	ss_hosts *hs = ss_hosts_new(NULL);
	ss_ip a = sc_ip4(10, 0, 0, 1), b = sc_ip4(10, 0, 0, 2), cl = sc_ip4(10, 0, 0, 3),
	      d = sc_ip4(10, 0, 0, 4);
	ss_ip s1 = sc_ip4(10, 0, 1, 1), s2 = sc_ip4(10, 0, 1, 2);
	ss_conn c = syn_conn(a, 40000, s1);
	ss_hosts_learn_ephemeral(hs, &c);
	c = syn_conn(b, 41001, s1);
	c.ep[0].packets = 0;   /* no counted packet: no time, no reuse sample */
	ss_hosts_learn_ephemeral(hs, &c);
	c = syn_conn(a, 40002, s2);   /* a's second: b's first moves into a's place */
	ss_hosts_learn_ephemeral(hs, &c);
	c = syn_conn(cl, 42000, s2);
	ss_hosts_learn_ephemeral(hs, &c);
	c = syn_conn(d, 43000, s1);
	c.ep[0].packets = 0;
	ss_hosts_learn_ephemeral(hs, &c);
	/* d's second, its first untimed (to another server: an untimed
	 * window start is INT64_MIN, which a timed connection to the same
	 * destination would subtract from) */
	c = syn_conn(d, 43001, s2);
	ss_hosts_learn_ephemeral(hs, &c);
	/* b's one sample is too few for a verdict */
	ss_vnet none = { 0 };
	assert_int_equal(ss_hosts_ephemeral_verdict(hs, SS_FAMILY_IPV4, &b, &none, 41001),
			 SS_EPH_VERDICT_UNKNOWN);
	/* cl listens on the port it connected from */
	GArray *listeners = g_array_new(FALSE, TRUE, sizeof(ss_listener));
	ss_listener l;
	memset(&l, 0, sizeof l);
	l.proto = IPPROTO_TCP;
	l.family = SS_FAMILY_IPV4;
	l.ip = cl;
	l.port = 42000;
	g_array_append_val(listeners, l);
	GArray *out = ss_hosts_take(hs, listeners);
	assert_int_equal(out->len, 4);
	const ss_host *h = &g_array_index(out, ss_host, 0);   /* a */
	assert_int_equal(h->eph.samples, 2);
	assert_int_equal(h->eph.min, 40000);
	assert_int_equal(h->eph.max, 40002);
	assert_int_equal(h->eph.even, 2);
	assert_int_equal(h->eph.small_steps, 1);
	assert_int_equal(h->eph.dest_steps, 0);
	assert_true(h->reuse_known);
	assert_int_equal(h->busiest_connections, 1);
	assert_memory_equal(&h->busiest_ip, &s1, sizeof s1);   /* the first of two at 1 */
	assert_int_equal(h->busiest_port, 80);
	assert_int_equal(h->busiest_proto, IPPROTO_TCP);
	h = &g_array_index(out, ss_host, 1);   /* b */
	assert_int_equal(h->eph.samples, 1);
	assert_int_equal(h->eph.min, 41001);
	assert_int_equal(h->eph.max, 41001);
	assert_int_equal(h->eph.even, 0);
	assert_false(h->reuse_known);
	assert_int_equal(h->min_reuse_gap_ns, SS_NO_TIME);
	assert_int_equal(h->busiest_connections, 1);
	assert_memory_equal(&h->busiest_ip, &s1, sizeof s1);
	assert_int_equal(h->profile.fits, SS_EPH_UNKNOWN);
	h = &g_array_index(out, ss_host, 2);   /* cl */
	assert_int_equal(h->eph.samples, 1);
	assert_int_equal(h->eph.min, 42000);
	assert_int_equal(h->eph.even, 1);
	assert_true(h->reuse_known);
	assert_memory_equal(&h->busiest_ip, &s2, sizeof s2);
	assert_int_equal(h->listeners->len, 1);
	assert_int_equal(h->n_dual_ports, 1);
	assert_int_equal(h->dual_ports[0], 42000);
	h = &g_array_index(out, ss_host, 3);   /* d */
	assert_int_equal(h->eph.samples, 2);
	assert_int_equal(h->eph.min, 43000);
	assert_int_equal(h->eph.small_steps, 1);
	assert_true(h->reuse_known);   /* from its second */
	assert_int_equal(h->reused_ports, 0);
	assert_int_equal(h->busiest_connections, 1);
	assert_memory_equal(&h->busiest_ip, &s1, sizeof s1);
	ss_hosts_array_free(out);
	g_array_unref(listeners);
	ss_hosts_free(hs);
}

/* 3 000 hosts make a first connection, then all but every tenth a second
 * (in another order): the first connections move and their array shrinks
 * while the report reads each host's own. */
static void test_first_connections_dropped(void **state)
{
	(void)state;
	ss_hosts *hs = ss_hosts_new(NULL);
	const guint n = 3000;
	ss_ip server = sc_ip4(10, 1, 0, 1);
	for (guint i = 0; i < n; i++) {
		ss_conn c = syn_conn(sc_ip4(10, 0, (guint8)(i >> 8), (guint8)i),
				     (guint16)(30000 + i), server);
		ss_hosts_learn_ephemeral(hs, &c);
	}
	for (guint j = 0; j < n; j++) {
		guint i = (j * 7u) % n;   /* 7 and 3 000 are coprime: each once */
		if (i % 10 == 0)
			continue;
		ss_conn c = syn_conn(sc_ip4(10, 0, (guint8)(i >> 8), (guint8)i),
				     (guint16)(50000 + i), sc_ip4(10, 1, 0, 2));
		ss_hosts_learn_ephemeral(hs, &c);
	}
	GArray *out = ss_hosts_take(hs, NULL);
	assert_int_equal(out->len, n);
	guint with_map = 0;
	for (guint i = 0; i < n; i++) {
		const ss_host *h = &g_array_index(out, ss_host, i);   /* in address order */
		assert_int_equal(h->ip.bytes[2], i >> 8);
		assert_int_equal(h->ip.bytes[3], i & 0xff);
		assert_int_equal(h->eph.samples, i % 10 == 0 ? 1 : 2);
		assert_int_equal(h->eph.min, 30000 + i);
		assert_int_equal(h->eph.max, i % 10 == 0 ? 30000 + i : 50000 + i);
		assert_memory_equal(&h->busiest_ip, &server, sizeof server);
		if (i % 10 == 0)
			assert_true(h->reuse_known);
		else
			with_map += h->reuse_known;
	}
	/* the first max_port_maps hosts with a second timed connection */
	assert_int_equal(with_map, 64);
	ss_hosts_array_free(out);
	ss_hosts_free(hs);
}

/* A connection without a time (no counted packet: SS_NO_TIME, G_MININT64)
 * and timed ones to the same destination: the window test measured their
 * distance by subtracting, which overflows (UBSan stops here under CI's
 * halt_on_error).  An untimed connection shares no window with a timed
 * one, in either order; two timed ones 10 s apart share one. */
static void test_untimed_connection_windows(void **state)
{
	(void)state;
	ss_hosts *hs = ss_hosts_new(NULL);
	ss_ip a = sc_ip4(10, 0, 0, 1), s1 = sc_ip4(10, 0, 1, 1);
	ss_conn c = syn_conn(a, 40000, s1);
	c.ep[0].packets = 0;
	c.ep[0].first_ns = c.ep[0].last_ns = SS_NO_TIME;
	ss_hosts_learn_ephemeral(hs, &c);
	c = syn_conn(a, 40001, s1);   /* timed, after the untimed */
	ss_hosts_learn_ephemeral(hs, &c);
	c = syn_conn(a, 40002, s1);
	c.ep[0].packets = 0;
	c.ep[0].first_ns = c.ep[0].last_ns = SS_NO_TIME;
	ss_hosts_learn_ephemeral(hs, &c);   /* untimed, after a timed window */
	c = syn_conn(a, 40003, s1);
	c.ep[0].first_ns = c.ep[0].last_ns = SC_T0 + G_GINT64_CONSTANT(10000000000);
	ss_hosts_learn_ephemeral(hs, &c);   /* a new window: the last was untimed */
	c = syn_conn(a, 40004, s1);
	c.ep[0].first_ns = c.ep[0].last_ns = SC_T0 + G_GINT64_CONSTANT(20000000000);
	ss_hosts_learn_ephemeral(hs, &c);   /* 10 s on: the same window */
	GArray *out = ss_hosts_take(hs, NULL);
	assert_int_equal(out->len, 1);
	const ss_host *h = &g_array_index(out, ss_host, 0);
	assert_int_equal(h->eph.samples, 5);
	assert_int_equal(h->busiest_connections, 2);
	assert_memory_equal(&h->busiest_ip, &s1, sizeof s1);
	ss_hosts_array_free(out);
	ss_hosts_free(hs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_ranges),
		cmocka_unit_test(test_custom_and_unknown),
		cmocka_unit_test(test_linux_stepping),
		cmocka_unit_test(test_multicast_broadcast),
		cmocka_unit_test(test_exhaustion_warning),
		cmocka_unit_test(test_reuse_and_dual_port),
		cmocka_unit_test(test_servers_bounded),
		cmocka_unit_test(test_servers_deferred),
		cmocka_unit_test(test_hosts_bounded),
		cmocka_unit_test(test_take_order),
		cmocka_unit_test(test_likely_client),
		cmocka_unit_test(test_prefetch_same_result),
		cmocka_unit_test(test_reuse_across_pages),
		cmocka_unit_test(test_first_connection_then_second),
		cmocka_unit_test(test_first_connections_dropped),
		cmocka_unit_test(test_untimed_connection_windows),
		cmocka_unit_test(test_tenants_apart),
		cmocka_unit_test(test_ipv4_shaped_keys_apart),
		cmocka_unit_test(test_tunnel_rollup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
