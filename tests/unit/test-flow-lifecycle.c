/* The flow lifecycle (src/flow/lifecycle.c) alone, without the analyzer or
 * any thread: a test context records every hook it raises, so the order of
 * on_start / on_synack / on_end and each record's end reason are checked
 * directly. */
/* RUSAGE_THREAD */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "flow/conn-track.h"
#include "flow/lifecycle.h"
#include "flow/slab.h"
#include "scenario.h"

enum { SYN = SS_TCP_SYN, ACK = SS_TCP_ACK, FIN = SS_TCP_FIN, RST = SS_TCP_RST };

/* What the hooks saw, one line each: "start 40001", "synack 40001 1",
 * "end 40001 closed"; the port is ep[0]'s (the first sender's). */
typedef struct {
	GString *log;
	ss_lifecycle *lc;
	GPtrArray *ended;      /* records on_end took, in order (owned) */
	gboolean spare;        /* hand ended records back as spares instead */
	ss_conn *last_ended;   /* the memory of the latest record ended */
	gboolean detail;       /* log each ended record's state in full */
	GPtrArray *at_end;     /* slab: records ended by the capture's end, to
	                          release on another thread (not owned) */
	GPtrArray *moved;      /* on_moved: old memory of moved records (not owned) */
} recorder;

static void on_start(void *ctx, ss_conn *c)
{
	recorder *r = ctx;
	g_string_append_printf(r->log, "start %u\n", ss_conn_port(c, 0));
}

static void on_synack(void *ctx, ss_conn *c, int side)
{
	recorder *r = ctx;
	g_string_append_printf(r->log, "synack %u %d\n", ss_conn_port(c, 0), side);
}

static void log_detail(GString *log, const ss_conn *c);

static void on_end(void *ctx, ss_conn *c)
{
	recorder *r = ctx;
	if (r->detail)
		log_detail(r->log, c);
	else
		g_string_append_printf(r->log, "end %u %s\n", ss_conn_port(c, 0),
				       ss_end_name((ss_end)c->ended_by));
	r->last_ended = c;
	if (r->at_end && c->ended_by == SS_END_CAPTURE) {
		g_ptr_array_add(r->at_end, c);
	} else if (r->spare) {
		c->next_spare = NULL;
		ss_lifecycle_add_spares(r->lc, c);
	} else {
		g_ptr_array_add(r->ended, c);
	}
}

static void on_moved(void *ctx, ss_conn *old);

/* `moves`: with an on_moved hook that keeps the old memory in r->moved. */
static ss_lifecycle *lifecycle_moving(recorder *r, gboolean streaming, guint64 max_flows,
				      gboolean slab, gboolean moves)
{
	memset(r, 0, sizeof *r);
	r->log = g_string_new(NULL);
	r->ended = g_ptr_array_new_with_free_func(g_free);
	ss_analyzer_config acfg;
	ss_analyzer_config_init(&acfg);   /* the program's timeouts */
	ss_lifecycle_config cfg = {
		.reuse_idle_ns = acfg.reuse_idle_ns,
		.max_flows = max_flows,
		.hash_seed = 42,
		.streaming = streaming,
		.slab = slab,
	};
	memcpy(cfg.timeout_ns, acfg.timeout_ns, sizeof cfg.timeout_ns);
	ss_lifecycle_hooks hooks = {
		.on_start = on_start, .on_synack = on_synack, .on_end = on_end,
		.on_moved = moves ? on_moved : NULL, .ctx = r,
	};
	if (slab)   /* its records are released, never g_freed */
		g_ptr_array_set_free_func(r->ended, (GDestroyNotify)ss_conn_slab_release);
	if (moves)
		r->moved = g_ptr_array_new();
	r->lc = ss_lifecycle_new(&cfg, &hooks);
	return r->lc;
}

static ss_lifecycle *lifecycle_with(recorder *r, gboolean streaming, guint64 max_flows,
				    gboolean slab)
{
	return lifecycle_moving(r, streaming, max_flows, slab, FALSE);
}

static ss_lifecycle *lifecycle(recorder *r, gboolean streaming, guint64 max_flows)
{
	return lifecycle_with(r, streaming, max_flows, FALSE);
}

static void done(recorder *r)
{
	ss_lifecycle_free(r->lc);
	g_ptr_array_unref(r->ended);
	g_string_free(r->log, TRUE);
}

static void tcp(ss_lifecycle *lc, const sc_flow *f, int from, gint64 ms, guint8 flags,
		guint32 seq)
{
	ss_packet p = sc_packet(f, from, ms);
	p.l4 = SS_L4_TCP;
	p.tcp.flags = flags;
	p.tcp.seq = seq;
	p.ip_len = 40;
	ss_lifecycle_packet(lc, &p);
}

static void udp(ss_lifecycle *lc, const sc_flow *f, int from, gint64 ms)
{
	ss_packet p = sc_packet(f, from, ms);
	p.l4 = SS_L4_UDP;
	p.ip_len = 28;
	ss_lifecycle_packet(lc, &p);
}

static void handshake_and_fin(ss_lifecycle *lc, const sc_flow *f, gint64 t, guint32 isn)
{
	tcp(lc, f, SC_CLIENT, t, SYN, isn);
	tcp(lc, f, SC_SERVER, t + 1, SYN | ACK, 900);
	tcp(lc, f, SC_CLIENT, t + 2, ACK, isn + 1);
	tcp(lc, f, SC_CLIENT, t + 3, FIN | ACK, isn + 1);
	tcp(lc, f, SC_SERVER, t + 4, FIN | ACK, 901);
	tcp(lc, f, SC_CLIENT, t + 5, ACK, isn + 2);
}

static sc_flow flow(guint8 proto, guint16 cport)
{
	return sc_flow_make(proto, sc_ip4(10, 0, 0, 1), cport, sc_ip4(10, 0, 0, 2), 80);
}

static const ss_conn *ended_at(const recorder *r, guint i)
{
	return g_ptr_array_index(r->ended, i);
}

/* Streaming: a record starts, its SYN-ACK proves the server at once, and it
 * ends once the closed linger (10 s) has passed in packet time; a later
 * packet of another flow is what moves the clock. */
static void test_hooks_in_order(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, TRUE, 0);
	sc_flow f = flow(IPPROTO_TCP, 40001), g = flow(IPPROTO_TCP, 40002);
	handshake_and_fin(lc, &f, 0, 100);
	assert_string_equal(r.log->str, "start 40001\nsynack 40001 1\n");
	tcp(lc, &g, SC_CLIENT, 5000, SYN, 7);
	tcp(lc, &g, SC_CLIENT, 10005, SYN, 7);   /* 10 s after the last ACK: not yet */
	assert_string_equal(r.log->str, "start 40001\nsynack 40001 1\nstart 40002\n");
	tcp(lc, &g, SC_CLIENT, 10006, SYN, 7);
	assert_string_equal(r.log->str,
			    "start 40001\nsynack 40001 1\nstart 40002\nend 40001 closed\n");
	assert_int_equal(ss_lifecycle_get_stats(lc)->ended[SS_END_CLOSED], 1);
	ss_lifecycle_end_all(lc, TRUE);
	assert_true(g_str_has_suffix(r.log->str, "end 40002 capture_end\n"));
	assert_int_equal(ss_lifecycle_get_stats(lc)->ended[SS_END_CAPTURE], 1);
	assert_int_equal(ss_lifecycle_next_seq(lc), 2);
	done(&r);
}

/* Both sides sent a bare SYN: nobody listened, so no on_synack. */
static void test_simultaneous_open_proves_nothing(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, TRUE, 0);
	sc_flow f = flow(IPPROTO_TCP, 40001);
	tcp(lc, &f, SC_CLIENT, 0, SYN, 100);
	tcp(lc, &f, SC_SERVER, 1, SYN, 900);
	tcp(lc, &f, SC_CLIENT, 2, SYN | ACK, 100);
	assert_string_equal(r.log->str, "start 40001\n");
	done(&r);
}

/* Keep-all: nothing times out, however long the silence; every record ends
 * with the capture, in order of first packet when asked. */
static void test_keep_all_never_expires(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, FALSE, 0);
	sc_flow f = flow(IPPROTO_TCP, 40001), g = flow(IPPROTO_UDP, 40002);
	udp(lc, &g, SC_CLIENT, 0);
	handshake_and_fin(lc, &f, 1, 100);
	tcp(lc, &f, SC_CLIENT, 3600 * 1000, ACK, 102);
	udp(lc, &g, SC_CLIENT, 3600 * 1000 + 1);
	assert_null(strstr(r.log->str, "end"));
	ss_lifecycle_end_all(lc, TRUE);
	assert_true(g_str_has_suffix(r.log->str, "end 40002 capture_end\nend 40001 capture_end\n"));
	assert_int_equal(r.ended->len, 2);
	/* The capture is over: no more packets, and advancing ends nothing. */
	ss_lifecycle_advance(lc, SC_T0 + 7200 * 1000 * SC_MS);
	assert_int_equal(r.ended->len, 2);
	done(&r);
}

/* With a cap of two flows the idlest record is evicted when a third flow
 * starts, and the table never holds more than two. */
static void test_cap_evicts_idlest(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, FALSE, 2);
	sc_flow a = flow(IPPROTO_UDP, 40001), b = flow(IPPROTO_UDP, 40002),
		c = flow(IPPROTO_UDP, 40003);
	udp(lc, &a, SC_CLIENT, 0);
	udp(lc, &b, SC_CLIENT, 1);
	udp(lc, &a, SC_CLIENT, 2);   /* b is now the idlest */
	udp(lc, &c, SC_CLIENT, 3);
	assert_string_equal(r.log->str,
			    "start 40001\nstart 40002\nend 40002 evicted\nstart 40003\n");
	const ss_lifecycle_stats *st = ss_lifecycle_get_stats(lc);
	assert_int_equal(st->ended[SS_END_EVICTED], 1);
	assert_int_equal(st->max_flows_tracked, 2);
	ss_lifecycle_end_all(lc, FALSE);
	assert_int_equal(r.ended->len, 3);
	done(&r);
}

/* A new SYN on a closed tuple ends the old record (reused) and starts a new
 * one that says why; streaming, a tuple written after its linger is still
 * remembered (a tombstone), so the next SYN on it is marked reused too. */
static void test_reuse_and_tombstone(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, TRUE, 0);
	sc_flow f = flow(IPPROTO_TCP, 40001), g = flow(IPPROTO_TCP, 40009);
	handshake_and_fin(lc, &f, 0, 100);
	tcp(lc, &f, SC_CLIENT, 1000, SYN, 5000);   /* within the linger: a new record */
	assert_string_equal(r.log->str, "start 40001\nsynack 40001 1\nstart 40001\n"
					"end 40001 reused\n");
	assert_int_equal(ss_lifecycle_get_stats(lc)->ended[SS_END_REUSED], 1);

	/* the second record closes and lingers out... */
	tcp(lc, &f, SC_SERVER, 1001, SYN | ACK, 900);
	tcp(lc, &f, SC_CLIENT, 1002, RST, 5001);
	tcp(lc, &g, SC_CLIENT, 20000, SYN, 1);
	assert_non_null(strstr(r.log->str, "end 40001 closed\nstart 40009\n"));
	/* ...and a SYN on its tuple 30 s later still reuses it */
	tcp(lc, &f, SC_CLIENT, 30000, SYN, 9000);
	ss_lifecycle_end_all(lc, TRUE);
	const ss_conn *third = NULL;
	for (guint i = 0; i < r.ended->len; i++)
		if (ended_at(&r, i)->seq == 3)
			third = ended_at(&r, i);
	assert_non_null(third);
	assert_int_equal(third->reuse, SS_REUSE_AFTER_RST);
	assert_int_equal(ss_conn_reuse_index(third), 2);
	done(&r);
}

/* A TCP packet of the test of tombstones' keys: kind 0 a plain IPv4 flow
 * (client port cport), 1 an IPv6 one, 2 the IPv4 flow of kind 0 inside a
 * VXLAN tunnel (vni 7). */
static void tomb_tcp(ss_lifecycle *lc, int kind, guint16 cport, int from, gint64 ms,
		     guint8 flags, guint32 seq)
{
	sc_flow f = flow(IPPROTO_TCP, cport);
	if (kind == 1) {
		for (int i = 0; i < 2; i++) {
			memset(&f.ip[i], 0, sizeof f.ip[i]);
			f.ip[i].bytes[0] = 0x20;
			f.ip[i].bytes[1] = 0x01;
			f.ip[i].bytes[15] = (guint8)(1 + i);
		}
	}
	ss_packet p = sc_packet(&f, from, ms);
	if (kind == 1)
		p.family = SS_FAMILY_IPV6;
	if (kind == 2) {
		p.tunnel.type = SS_TUNNEL_VXLAN;
		p.tunnel.vni = 7;
	}
	p.l4 = SS_L4_TCP;
	p.tcp.flags = flags;
	p.tcp.seq = seq;
	p.ip_len = 40;
	ss_lifecycle_packet(lc, &p);
}

#define TOMB_FLOWS 3600   /* of each phase: 2 400 wide keys, the queue grows twice */

/* Flows of the three kinds (i % 3) on client ports base + i, each a
 * handshake and a FIN exchange from `ms` on. */
static void tomb_phase(ss_lifecycle *lc, guint16 base, gint64 ms)
{
	for (guint i = 0; i < TOMB_FLOWS; i++) {
		int kind = (int)(i % 3);
		guint16 port = (guint16)(base + i);
		gint64 t = ms + i;
		tomb_tcp(lc, kind, port, SC_CLIENT, t, SYN, 100);
		tomb_tcp(lc, kind, port, SC_SERVER, t, SYN | ACK, 900);
		tomb_tcp(lc, kind, port, SC_CLIENT, t, ACK, 101);
		tomb_tcp(lc, kind, port, SC_CLIENT, t, FIN | ACK, 101);
		tomb_tcp(lc, kind, port, SC_SERVER, t, FIN | ACK, 901);
		tomb_tcp(lc, kind, port, SC_CLIENT, t, ACK, 102);
	}
}

/* Streaming: a tombstone keeps a plain IPv4 key in its own 12 bytes and an
 * IPv6 or tunnelled key in the lifecycle's queue of wide keys; each is
 * found again by a new SYN on its tuple, through the queue's growth and
 * its oldest keys dropped with their tombstones (240 s later), and a
 * tunnelled key is not taken for the plain key of the same tuple.  Phase
 * 1's flows close at 0 s, phase 2's at 300 s (their tombstones drop phase
 * 1's), and SYNs at 400 s on every tuple of both phases, plain ones too
 * on the tunnelled tuples of phase 2: only phase 2's tuples, each of its
 * own kind, are reused. */
static void test_tombstones_narrow_and_wide_keys(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, TRUE, 0);
	tomb_phase(lc, 10000, 0);
	tomb_phase(lc, 20000, 300000);
	tomb_tcp(lc, 0, 9999, SC_CLIENT, 350000, SYN, 1);   /* retires phase 2 */
	for (guint i = 0; i < TOMB_FLOWS; i++) {
		int kind = (int)(i % 3);
		tomb_tcp(lc, kind, (guint16)(10000 + i), SC_CLIENT, 400000, SYN, 5000);
		tomb_tcp(lc, kind, (guint16)(20000 + i), SC_CLIENT, 400000, SYN, 5000);
		if (kind == 2)
			tomb_tcp(lc, 0, (guint16)(20000 + i), SC_CLIENT, 400000, SYN, 5000);
	}
	ss_lifecycle_end_all(lc, TRUE);
	guint reused = 0, new_syns = 0;
	for (guint i = 0; i < r.ended->len; i++) {
		const ss_conn *c = ended_at(&r, i);
		gint64 first, last;
		ss_conn_span(c, &first, &last);
		if (first != SC_T0 + 400000 * SC_MS)
			continue;
		new_syns++;
		guint16 port = ss_conn_port(c, 0);
		gboolean tunnelled = c->key.tunnel != SS_TUNNEL_NONE;
		int kind = c->family == SS_FAMILY_IPV6 ? 1 : tunnelled ? 2 : 0;
		gboolean want = port >= 20000 && (int)((port - 20000) % 3) == kind;
		assert_int_equal(c->reuse, want ? SS_REUSE_AFTER_FIN : SS_REUSE_NONE);
		assert_int_equal(ss_conn_reuse_index(c), want ? 1 : 0);
		reused += want;
	}
	assert_int_equal(new_syns, 2 * TOMB_FLOWS + TOMB_FLOWS / 3);
	assert_int_equal(reused, TOMB_FLOWS);
	done(&r);
}

/* ICMP errors are matched against the flows in the table, and counted. */
static void test_icmp_errors_counted(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, TRUE, 0);
	sc_flow f = flow(IPPROTO_UDP, 40001);
	udp(lc, &f, SC_CLIENT, 0);
	for (int known = 1; known >= 0; known--) {
		ss_packet p = sc_packet(&f, SC_SERVER, 1);
		p.l4 = SS_L4_ICMP_ERROR;
		p.icmp.type = 3;
		p.icmp.family = SS_FAMILY_IPV4;
		p.icmp.proto = IPPROTO_UDP;
		p.icmp.src = f.ip[SC_CLIENT];
		p.icmp.dst = f.ip[SC_SERVER];
		p.icmp.sport = known ? f.port[SC_CLIENT] : 1;
		p.icmp.dport = f.port[SC_SERVER];
		ss_lifecycle_packet(lc, &p);
	}
	const ss_lifecycle_stats *st = ss_lifecycle_get_stats(lc);
	assert_int_equal(st->icmp_errors_matched, 1);
	assert_int_equal(st->icmp_errors_unmatched, 1);
	ss_lifecycle_end_all(lc, TRUE);
	assert_int_equal(ended_at(&r, 0)->icmp_errors, 1);
	done(&r);
}

/* A record handed back as a spare is the memory of the next new flow: the
 * one evicted to make room for it. */
static void test_spares_reused(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, FALSE, 1);
	r.spare = TRUE;
	sc_flow a = flow(IPPROTO_UDP, 40001), b = flow(IPPROTO_UDP, 40002),
		c = flow(IPPROTO_UDP, 40003);
	udp(lc, &a, SC_CLIENT, 0);
	udp(lc, &b, SC_CLIENT, 1);   /* evicts a: its memory becomes a spare */
	udp(lc, &c, SC_CLIENT, 2);   /* evicts b, then c takes its memory */
	ss_conn *freed = r.last_ended;
	r.spare = FALSE;
	ss_lifecycle_end_all(lc, FALSE);
	assert_int_equal(r.ended->len, 1);
	assert_ptr_equal(ended_at(&r, 0), freed);
	assert_int_equal(ss_conn_port(ended_at(&r, 0), 0), 40003);
	done(&r);
}

/* Keep-all with a resume hook: an evicted record whose flow comes back is
 * tracked again, so the flow stays one record. */
static ss_conn *resume_last(void *ctx, const ss_flow_key *key)
{
	recorder *r = ctx;
	for (guint i = 0; i < r->ended->len; i++) {
		ss_conn *c = g_ptr_array_index(r->ended, i);
		if (memcmp(&c->key, key, sizeof *key) == 0) {
			g_ptr_array_steal_index(r->ended, i);
			return c;
		}
	}
	return NULL;
}

static void test_resume_joins(void **state)
{
	(void)state;
	recorder r;
	lifecycle(&r, FALSE, 1);
	ss_lifecycle_free(r.lc);
	ss_lifecycle_config cfg = { .max_flows = 1, .hash_seed = 42 };
	ss_lifecycle_hooks hooks = { .on_start = on_start, .on_end = on_end,
				     .on_resume = resume_last, .ctx = &r };
	r.lc = ss_lifecycle_new(&cfg, &hooks);
	sc_flow a = flow(IPPROTO_UDP, 40001), b = flow(IPPROTO_UDP, 40002);
	udp(r.lc, &a, SC_CLIENT, 0);
	udp(r.lc, &b, SC_CLIENT, 1);   /* evicts a */
	udp(r.lc, &a, SC_SERVER, 2);   /* evicts b; a comes back */
	assert_string_equal(r.log->str, "start 40001\nend 40001 evicted\nstart 40002\n"
					"end 40002 evicted\n");
	const ss_lifecycle_stats *st = ss_lifecycle_get_stats(r.lc);
	assert_int_equal(st->evictions, 2);
	assert_int_equal(st->resumed, 1);
	assert_int_equal(st->ended[SS_END_EVICTED], 1);
	ss_lifecycle_end_all(r.lc, TRUE);
	assert_int_equal(r.ended->len, 2);
	const ss_conn *first = ended_at(&r, 1);
	assert_int_equal(ss_conn_port(first, 0), 40001);
	assert_int_equal(first->ep[0].packets + first->ep[1].packets, 2);
	assert_int_equal(first->evictions, 1);
	assert_int_equal(first->continues, 0);
	done(&r);
}

/* Streaming: a flow the cap evicted comes back as a new record marked as
 * its continuation; a bare SYN on the tuple is a new connection instead. */
static void test_continuation_marked(void **state)
{
	(void)state;
	recorder r;
	ss_lifecycle *lc = lifecycle(&r, TRUE, 1);
	sc_flow a = flow(IPPROTO_TCP, 40001), b = flow(IPPROTO_TCP, 40002);
	tcp(lc, &a, SC_CLIENT, 0, ACK, 100);
	tcp(lc, &b, SC_CLIENT, 1, ACK, 100);      /* evicts a */
	tcp(lc, &a, SC_SERVER, 2, ACK, 900);      /* evicts b; a continues */
	tcp(lc, &b, SC_CLIENT, 3, SYN, 5000);     /* evicts a; b: a new connection */
	ss_lifecycle_end_all(lc, TRUE);
	assert_int_equal(r.ended->len, 4);
	assert_int_equal(ended_at(&r, 0)->continues, 0);   /* a, first part */
	assert_int_equal(ended_at(&r, 1)->continues, 0);   /* b */
	assert_int_equal(ended_at(&r, 2)->continues, 1);   /* a, the rest */
	assert_int_equal(ended_at(&r, 3)->continues, 0);   /* b's new SYN */
	assert_int_equal(ss_lifecycle_get_stats(lc)->continued, 1);
	done(&r);
}

/* A record's state as the end hook saw it, for comparing two runs. */
static void log_detail(GString *log, const ss_conn *c)
{
	char hist[SS_HISTORY_MAX + 1];
	for (guint i = 0; i <= c->history_len; i++)
		hist[i] = ss_conn_history_letter(c, i);
	g_string_append_printf(log,
			       "end seq %" G_GUINT64_FORMAT " %u-%u %s pk %" G_GUINT64_FORMAT
			       "/%" G_GUINT64_FORMAT " sent %u/%u reuse %u.%u cont %u ev %u "
			       "synrx %u icmp %u hist %s tun %u/%u gaps",
			       c->seq, ss_conn_port(c, 0), ss_conn_port(c, 1),
			       ss_end_name((ss_end)c->ended_by), c->ep[0].packets, c->ep[1].packets,
			       c->sent[0], c->sent[1], c->reuse, ss_conn_reuse_index(c), c->continues,
			       c->evictions, ss_conn_tcp_part(c)->syn_retransmits, c->icmp_errors, hist,
			       ss_conn_tunnel(c)->type, ss_conn_tunnel(c)->vni);
	for (guint i = 0; i < MIN(ss_conn_tcp_part(c)->syn_retransmits, SS_SYN_GAPS_MAX); i++)
		g_string_append_printf(log, " %" G_GINT64_FORMAT, ss_conn_syn_gap_ns(c, i));
	g_string_append_c(log, '\n');
}

/* Packets in batches (ss_lifecycle_packets, which prefetches the slots and
 * records of the whole batch before tracking any of it) give exactly what
 * one call per packet gives, also when packets of one batch create, reuse,
 * close, evict and time out the same flows: 4 000 pseudo-random TCP, UDP
 * and ICMP-error packets on 24 tuples with a cap of 6 flows, streaming and
 * keep-all, in batches of every size from 1 to SS_LIFECYCLE_BATCH. */
static void test_batches_same_as_single(void **state)
{
	(void)state;
	enum { N = 4000 };
	static const guint8 flags[] = { SYN, SYN | ACK, ACK, ACK, ACK, FIN | ACK, RST, RST | ACK };
	ss_packet *pk = g_new0(ss_packet, N);
	GRand *rng = g_rand_new_with_seed(14);
	gint64 ms = 0;
	for (int i = 0; i < N; i++) {
		guint16 cport = (guint16)(40000 + g_rand_int_range(rng, 0, 24));
		gboolean is_udp = cport % 5 == 0;
		sc_flow f = flow(is_udp ? IPPROTO_UDP : IPPROTO_TCP, cport);
		/* mostly close in time, sometimes past the 10 s linger or more */
		ms += g_rand_int_range(rng, 0, 100) < 97 ? g_rand_int_range(rng, 0, 50)
							  : g_rand_int_range(rng, 5000, 200000);
		pk[i] = sc_packet(&f, g_rand_int_range(rng, 0, 2), ms);
		if (g_rand_int_range(rng, 0, 50) == 0) {
			pk[i].l4 = SS_L4_ICMP_ERROR;
			pk[i].icmp.type = 3;
			pk[i].icmp.family = SS_FAMILY_IPV4;
			pk[i].icmp.proto = f.proto;
			pk[i].icmp.src = f.ip[0];
			pk[i].icmp.dst = f.ip[1];
			pk[i].icmp.sport = f.port[0];
			pk[i].icmp.dport = f.port[1];
		} else if (is_udp) {
			pk[i].l4 = SS_L4_UDP;
			pk[i].ip_len = 28;
		} else {
			pk[i].l4 = SS_L4_TCP;
			pk[i].tcp.flags = flags[g_rand_int_range(rng, 0, G_N_ELEMENTS(flags))];
			pk[i].tcp.seq = (guint32)g_rand_int_range(rng, 0, 3) * 1000;
			pk[i].ip_len = 40;
		}
	}
	g_rand_free(rng);
	/* ss_lifecycle_packets, then pushes tracked one batch behind: synced
	 * at the end only (end_all), and synced every 7th batch, with a
	 * single packet between now and then. */
	for (int how = 0; how < 3; how++) {
		for (int streaming = 0; streaming < 2; streaming++) {
			for (guint size = 1; size <= SS_LIFECYCLE_BATCH; size++) {
				recorder one, many;
				lifecycle(&one, streaming, 6);
				lifecycle(&many, streaming, 6);
				one.detail = many.detail = TRUE;
				one.spare = many.spare = TRUE; /* ended records come back as new ones */
				for (int i = 0; i < N; i++)
					ss_lifecycle_packet(one.lc, &pk[i]);
				int batch = 0;
				for (int i = 0; i < N; i += (int)size, batch++) {
					guint n = MIN(size, (guint)(N - i));
					if (how == 0) {
						ss_lifecycle_packets(many.lc, &pk[i], n);
					} else if (how == 2 && batch % 7 == 3) {
						ss_lifecycle_sync(many.lc);
						ss_lifecycle_packet(many.lc, &pk[i]);
						if (n > 1)
							ss_lifecycle_push(many.lc, &pk[i + 1], n - 1);
					} else {
						ss_lifecycle_push(many.lc, &pk[i], n);
					}
				}
				ss_lifecycle_end_all(one.lc, TRUE);
				ss_lifecycle_end_all(many.lc, TRUE);
				assert_true(one.log->len > 10000);
				assert_string_equal(one.log->str, many.log->str);
				done(&one);
				done(&many);
			}
		}
	}
	g_free(pk);
}

/* on_moved for the tests: logs the move and keeps the old memory until
 * the test hands it back (as the pipeline does once the events before
 * have been read), filled with a pattern so that a read of it shows. */
static void on_moved(void *ctx, ss_conn *old)
{
	recorder *r = ctx;
	g_string_append_printf(r->log, "moved %u\n", ss_conn_port(old, 0));
	memset(old, 0xa5, ss_conn_size(old->tail));
	old->next_spare = NULL;
	g_ptr_array_add(r->moved, old);
}

static ss_packet tcp_packet(const sc_flow *f, int from, gint64 ms, guint8 flags, guint32 seq)
{
	ss_packet p = sc_packet(f, from, ms);
	p.l4 = SS_L4_TCP;
	p.tcp.flags = flags;
	p.tcp.seq = seq;
	p.ip_len = 40;
	return p;
}

/* SYN gaps (conn.h): a TCP record is allocated without them and moves to
 * the longer length when its SYN first repeats with the same ISN.  Three
 * flows whose SYN repeats 1, 8 and 12 times (only 8 gaps kept), beside
 * two whose SYN never repeats, the moves made in the middle, at the head
 * and at the tail of the attempts' timeout list, and in one batch: the
 * packets after the one that moved a record in the same batch (its
 * SYN-ACK, its ACK, more copies) find it at its new address.  The records
 * and gaps are those of malloc'd records (no slab: no move), and every
 * record's lists, slot and hooks follow it: the capture's end walks the
 * timeout lists (not in order) or the table's slots (in order), and the
 * run is streamed with spares so that the old memory is made again. */
static void test_syn_gaps_move(void **state)
{
	(void)state;
	/* the back-offs: 1, 2, 4... s between copies, then 3 s */
	static const gint64 backoff[] = { 0, 1000, 3000, 7000, 15000, 31000, 34000, 37000,
					  40000, 43000, 46000, 49000, 52000 };
	GArray *pk = g_array_new(FALSE, FALSE, sizeof(ss_packet));
	sc_flow once = flow(IPPROTO_TCP, 40001), eight = flow(IPPROTO_TCP, 40008),
		many = flow(IPPROTO_TCP, 40012), quiet = flow(IPPROTO_TCP, 40100),
		other = flow(IPPROTO_TCP, 40200), last = flow(IPPROTO_TCP, 40002);
	ss_packet p;
	/* one batch: starts, moves at the tail, in the middle and at the head
	 * of the attempts' list, and packets of a moved flow after its move */
	p = tcp_packet(&many, SC_CLIENT, 0, SYN, 77); g_array_append_val(pk, p);
	p = tcp_packet(&once, SC_CLIENT, 0, SYN, 11); g_array_append_val(pk, p);
	p = tcp_packet(&quiet, SC_CLIENT, 0, SYN, 5); g_array_append_val(pk, p);
	p = tcp_packet(&eight, SC_CLIENT, 1, SYN, 88); g_array_append_val(pk, p);
	p = tcp_packet(&last, SC_CLIENT, 500, SYN, 2); g_array_append_val(pk, p);
	p = tcp_packet(&last, SC_CLIENT, 600, SYN, 2); g_array_append_val(pk, p);
	p = tcp_packet(&once, SC_CLIENT, 1000, SYN, 11); g_array_append_val(pk, p);
	p = tcp_packet(&once, SC_SERVER, 1001, SYN | ACK, 500); g_array_append_val(pk, p);
	p = tcp_packet(&once, SC_CLIENT, 1002, ACK, 12); g_array_append_val(pk, p);
	p = tcp_packet(&once, SC_CLIENT, 1003, SYN, 11); g_array_append_val(pk, p);
	p = tcp_packet(&other, SC_SERVER, 1004, SYN | ACK, 9); g_array_append_val(pk, p);
	for (guint i = 1; i < G_N_ELEMENTS(backoff); i++) {
		/* `many` first: the head of the attempts' list when it moves */
		p = tcp_packet(&many, SC_CLIENT, backoff[i], SYN, 77);
		g_array_append_val(pk, p);
		if (i <= 8) {
			p = tcp_packet(&eight, SC_CLIENT, backoff[i] + 1, SYN, 88);
			g_array_append_val(pk, p);
		}
	}
	p = tcp_packet(&quiet, SC_SERVER, 60000, RST | ACK, 0); g_array_append_val(pk, p);
	ss_packet *pkts = (ss_packet *)pk->data;
	guint n = pk->len;
	for (int in_order = 0; in_order < 2; in_order++) {
		recorder plain, slab;
		lifecycle_with(&plain, TRUE, 0, FALSE);
		lifecycle_moving(&slab, TRUE, 0, TRUE, TRUE);
		plain.detail = slab.detail = TRUE;
		for (guint i = 0; i < n; i += SS_LIFECYCLE_BATCH) {
			ss_lifecycle_packets(plain.lc, &pkts[i], MIN(SS_LIFECYCLE_BATCH, n - i));
			ss_lifecycle_push(slab.lc, &pkts[i], MIN(SS_LIFECYCLE_BATCH, n - i));
			if (i == 0) {
				/* the first batch moved all four: `last` the tail of
				 * the attempts' list, `once` between two records,
				 * `many` its head, `eight` */
				ss_lifecycle_sync(slab.lc);
				assert_int_equal(slab.moved->len, 4);
			}
		}
		ss_lifecycle_sync(slab.lc);
		assert_int_equal(slab.moved->len, 4);
		/* the old memory back as spares: new records may take it */
		for (guint i = 0; i < slab.moved->len; i++)
			ss_lifecycle_add_spares(slab.lc, g_ptr_array_index(slab.moved, i));
		handshake_and_fin(plain.lc, &quiet, 70000, 1);
		handshake_and_fin(slab.lc, &quiet, 70000, 1);
		ss_lifecycle_end_all(plain.lc, in_order);
		ss_lifecycle_end_all(slab.lc, in_order);
		/* the same hooks and records but the moves */
		GString *moves_out = g_string_new(NULL);
		for (const char *l = slab.log->str; *l;) {
			const char *e = strchr(l, '\n') + 1;
			if (strncmp(l, "moved ", 6) != 0)
				g_string_append_len(moves_out, l, e - l);
			l = e;
		}
		assert_string_equal(plain.log->str, moves_out->str);
		assert_true(strstr(slab.log->str, "moved 40001\n") != NULL);
		assert_true(strstr(slab.log->str, "moved 40002\n") != NULL);
		assert_true(strstr(slab.log->str, "moved 40008\n") != NULL);
		assert_true(strstr(slab.log->str, "moved 40012\n") != NULL);
		g_string_free(moves_out, TRUE);
		/* and what they are: the ended records by port */
		guint checked = 0;
		for (guint i = 0; i < slab.ended->len; i++) {
			const ss_conn *c = ended_at(&slab, i);
			guint16 port = ss_conn_port(c, 0) == 80 ? ss_conn_port(c, 1)
								 : ss_conn_port(c, 0);
			guint repeats = port == 40001 ? 2 : port == 40002 ? 1 : port == 40008 ? 8
				      : port == 40012 ? 12 : 0;
			assert_int_equal(ss_conn_tcp_part(c)->syn_retransmits, repeats);
			assert_int_equal(c->tail,
					 repeats ? SS_CONN_TAIL_SYN_GAPS : SS_CONN_TAIL_TCP);
			if (port == 40001) {
				assert_int_equal(ss_conn_syn_gap_ns(c, 0), 1000 * SC_MS);
				assert_int_equal(ss_conn_syn_gap_ns(c, 1), 3 * SC_MS);
				assert_int_equal(c->synack_side, 1);
			} else if (port == 40002) {
				assert_int_equal(ss_conn_syn_gap_ns(c, 0), 100 * SC_MS);
			} else if (repeats) {
				for (guint g = 0; g < SS_SYN_GAPS_MAX; g++)
					assert_int_equal(ss_conn_syn_gap_ns(c, g),
							 (backoff[g + 1] - backoff[g]) * SC_MS);
			}
			checked++;
		}
		assert_int_equal(checked, 7);   /* quiet twice: RST, then reused */
		g_ptr_array_unref(slab.moved);
		done(&plain);
		done(&slab);
	}
	g_array_unref(pk);
}

static gpointer release_all(gpointer data)
{
	GPtrArray *recs = data;
	for (guint i = 0; i < recs->len; i++)
		ss_conn_slab_release(g_ptr_array_index(recs, i));
	return NULL;
}

/* Records from the slab (flow/slab.h) behave as malloc'd ones: the same
 * hooks and records on 6 000 pseudo-random packets over 700 tuples (more
 * records at once than a chunk holds; a cap of 400 evicts), ended records
 * handed back whole as spares and made again, every one made again in
 * the slab's memory.  Records of the three lengths (conn.h: UDP, TCP with
 * its repeated SYNs' gaps, tunnelled) take each other's spares.  Records still in progress at the end are released
 * on another thread after the slab closed, and a lifecycle freed with
 * records in progress gives them back too (ASan / valgrind check that
 * every chunk goes). */
static void test_slab_same_as_malloc(void **state)
{
	(void)state;
	enum { N = 6000 };
	ss_packet *pk = g_new0(ss_packet, N);
	GRand *rng = g_rand_new_with_seed(7);
	gint64 ms = 0;
	for (int i = 0; i < N; i++) {
		guint16 cport = (guint16)(30000 + g_rand_int_range(rng, 0, 700));
		sc_flow f = flow(cport % 7 == 0 ? IPPROTO_UDP : IPPROTO_TCP, cport);
		ms += g_rand_int_range(rng, 0, 1000) < 998 ? g_rand_int_range(rng, 0, 20)
							   : g_rand_int_range(rng, 5000, 200000);
		pk[i] = sc_packet(&f, g_rand_int_range(rng, 0, 2), ms);
		pk[i].l4 = f.proto == IPPROTO_UDP ? SS_L4_UDP : SS_L4_TCP;
		int draw = g_rand_int_range(rng, 0, 8);
		pk[i].tcp.flags = draw < 2 ? FIN | ACK : draw < 4 ? SYN : ACK;
		if (cport % 11 == 0) {
			pk[i].tunnel.type = SS_TUNNEL_VXLAN;
			pk[i].tunnel.has_vni = 1;
			pk[i].tunnel.vni = cport;
		}
		pk[i].ip_len = 40;
	}
	g_rand_free(rng);
	recorder plain, slab;
	lifecycle_with(&plain, TRUE, 400, FALSE);
	lifecycle_with(&slab, TRUE, 400, TRUE);
	plain.detail = slab.detail = TRUE;
	plain.spare = slab.spare = TRUE;
	slab.at_end = g_ptr_array_new();
	for (int i = 0; i < N; i += SS_LIFECYCLE_BATCH) {
		ss_lifecycle_packets(plain.lc, &pk[i], MIN(SS_LIFECYCLE_BATCH, (guint)(N - i)));
		ss_lifecycle_packets(slab.lc, &pk[i], MIN(SS_LIFECYCLE_BATCH, (guint)(N - i)));
	}
	ss_lifecycle_end_all(plain.lc, TRUE);
	ss_lifecycle_end_all(slab.lc, TRUE);
	assert_true(slab.at_end->len > 300);
	assert_string_equal(plain.log->str, slab.log->str);
	GThread *t = g_thread_new("release", release_all, slab.at_end);
	g_thread_join(t);
	g_ptr_array_unref(slab.at_end);
	done(&plain);
	done(&slab);

	/* Freed with records in progress and spares not used yet. */
	lifecycle_with(&slab, TRUE, 0, TRUE);
	slab.spare = TRUE;
	for (int i = 0; i < 3000; i++)
		ss_lifecycle_packet(slab.lc, &pk[i]);
	done(&slab);
	g_free(pk);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

/* Allocates records of TCP length from s until it has cut from `chunks`
 * chunks; writes each record unless `write` is FALSE.  Returns the record
 * that opened the last chunk (not written). */
static ss_conn *alloc_until(ss_conn_slab *s, guint chunks, gboolean write, GPtrArray *recs)
{
	gsize size = ss_conn_size(SS_CONN_TAIL_TCP);
	for (;;) {
		guint before = ss_conn_slab_get_stats(s)->chunks;
		ss_conn *c = ss_conn_slab_alloc(s, SS_CONN_TAIL_TCP);
		g_ptr_array_add(recs, c);
		if (before < chunks && ss_conn_slab_get_stats(s)->chunks == chunks)
			return c;
		if (write)
			memset(c, 0x5a, size);
	}
}

/* Hands back recs[from, to) to s as one chain. */
static void put_back(ss_conn_slab *s, GPtrArray *recs, guint from, guint to)
{
	for (guint i = from; i < to; i++) {
		ss_conn *c = g_ptr_array_index(recs, i);
		c->next_spare = i + 1 < to ? g_ptr_array_index(recs, i + 1) : NULL;
	}
	ss_conn_slab_put_chain(s, g_ptr_array_index(recs, from));
}

/* Every record of a slab has a 32-bit name (flow/slab.h): it lies at a
 * multiple of 8 bytes past ss_conn_slab_base(), less than 32 GiB past it,
 * never at 0 -- records of every length, from chunks the owner cut and
 * from chunks the prefault helper made ahead, and records whose memory
 * came back as spares.  The timeout lists link records by these names
 * (flow/lifecycle.c). */
static void test_slab_records_named_in_32_bits(void **state)
{
	(void)state;
	GPtrArray *recs = g_ptr_array_new();
	ss_conn_slab *s = ss_conn_slab_new(TRUE, FALSE);
	const char *base = ss_conn_slab_base(s);
	for (guint tail = 0; tail < SS_CONN_TAIL_COUNT; tail++)
		for (guint i = 0; i < 3000; i++)
			g_ptr_array_add(recs, ss_conn_slab_alloc(s, tail));
	alloc_until(s, ss_conn_slab_get_stats(s)->chunks + 1, FALSE, recs);   /* starts the helper */
	ss_conn_slab_wait_ahead(s);
	alloc_until(s, ss_conn_slab_get_stats(s)->chunks + 2, FALSE, recs);
	assert_int_equal(ss_conn_slab_get_stats(s)->chunks_ahead, 2);
	guint spared = recs->len / 2;
	put_back(s, recs, 0, spared);
	for (guint i = 0; i < spared; i++)
		g_ptr_array_add(recs, ss_conn_slab_alloc(s, i % SS_CONN_TAIL_COUNT));
	for (guint i = spared; i < recs->len; i++) {
		const char *c = g_ptr_array_index(recs, i);
		assert_true(c > base);
		gsize off = (gsize)(c - base);
		assert_int_equal(off % 8, 0);
		assert_true(off >> 3 != 0 && off >> 3 <= G_MAXUINT32);
		/* the name brings the record back */
		assert_ptr_equal(base + ((gsize)(guint32)(off >> 3) << 3), c);
	}
	for (guint i = spared; i < recs->len; i++)
		ss_conn_slab_release(g_ptr_array_index(recs, i));
	ss_conn_slab_close(s);
	g_ptr_array_unref(recs);
}

/* The process's address space in use (VmSize), in bytes. */
static guint64 vm_size(void)
{
	gchar *status = NULL;
	guint64 kb = 0;
	assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
	const char *p = strstr(status, "VmSize:");
	assert_non_null(p);
	kb = g_ascii_strtoull(p + strlen("VmSize:"), NULL, 10);
	g_free(status);
	return kb * 1024;
}

/* Under an address-space limit (ulimit -v) the slab's reserved range,
 * which counts against it, takes at most a quarter of the limit: the
 * largest range the kernel granted (512 MiB under a limit ~1 GiB above
 * what the process used) left the rest of the run too little, and
 * many-s.pcap stopped out of memory under `ulimit -v 800000`. */
static void test_slab_range_under_address_limit(void **state)
{
	(void)state;
	struct rlimit old;
	assert_int_equal(getrlimit(RLIMIT_AS, &old), 0);
	guint64 before = vm_size();
	guint64 limit = before + (G_GUINT64_CONSTANT(1) << 30);
	if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < limit)
		skip();
	struct rlimit low = { .rlim_cur = limit, .rlim_max = old.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_AS, &low), 0);
	ss_conn_slab *s = ss_conn_slab_new(FALSE, FALSE);
	guint64 taken = vm_size() - before;
	ss_conn *c = ss_conn_slab_alloc(s, 0);   /* the range holds records */
	assert_non_null(c);
	ss_conn_slab_release(c);
	ss_conn_slab_close(s);
	assert_int_equal(setrlimit(RLIMIT_AS, &old), 0);
	assert_true(taken >= (G_GUINT64_CONSTANT(64) << 20));   /* SLAB_RANGE_MIN at least */
	assert_true(taken <= limit / 4 + (G_GUINT64_CONSTANT(4) << 20));
}

/* A spare serves records of its own length: a UDP record does not take
 * the longer slot of a retired TCP record while TCP records may still
 * need it (on many-flows.pcap that pinned 80 MB), unless spares of that
 * length pile up past a couple of chunks' worth (the capture's traffic
 * changed): then shorter records take the surplus, and enough stay for
 * the longer length. */
static void test_slab_spares_by_length(void **state)
{
	(void)state;
	ss_conn_slab *s = ss_conn_slab_new(FALSE, FALSE);
	GPtrArray *out = g_ptr_array_new();   /* handed out, to release at the end */
	GPtrArray *tcp = g_ptr_array_new();
	GHashTable *was_tcp = g_hash_table_new(NULL, NULL);
	for (guint i = 0; i < 8; i++) {
		ss_conn *c = ss_conn_slab_alloc(s, SS_CONN_TAIL_TCP);
		g_ptr_array_add(tcp, c);
		g_hash_table_add(was_tcp, c);
	}
	put_back(s, tcp, 0, tcp->len);
	/* Each allocation sets one spare aside: after 8, all are. */
	for (guint i = 0; i < 8; i++) {
		ss_conn *c = ss_conn_slab_alloc(s, SS_CONN_TAIL_NONE);
		g_ptr_array_add(out, c);
		assert_false(g_hash_table_contains(was_tcp, c));
	}
	for (guint i = 0; i < 8; i++) {
		ss_conn *c = ss_conn_slab_alloc(s, SS_CONN_TAIL_TCP);
		g_ptr_array_add(out, c);
		assert_true(g_hash_table_contains(was_tcp, c));
	}
	/* The next TCP record is cut new: the spares are used up. */
	ss_conn *fresh = ss_conn_slab_alloc(s, SS_CONN_TAIL_TCP);
	g_ptr_array_add(out, fresh);
	assert_false(g_hash_table_contains(was_tcp, fresh));

	/* Five chunks' worth of TCP spares, then as many UDP allocations. */
	guint per_chunk = (guint)((2u << 20) / ss_conn_size(SS_CONN_TAIL_TCP));
	guint n = 5 * per_chunk;
	g_ptr_array_set_size(tcp, 0);
	g_hash_table_remove_all(was_tcp);
	for (guint i = 0; i < n; i++) {
		ss_conn *c = ss_conn_slab_alloc(s, SS_CONN_TAIL_TCP);
		g_ptr_array_add(tcp, c);
		g_hash_table_add(was_tcp, c);
	}
	put_back(s, tcp, 0, n);
	guint took = 0;
	for (guint i = 0; i < n; i++) {
		ss_conn *c = ss_conn_slab_alloc(s, SS_CONN_TAIL_NONE);
		g_ptr_array_add(out, c);
		took += g_hash_table_contains(was_tcp, c);
	}
	assert_true(took >= n / 2);              /* the surplus was used */
	assert_true(took <= n - per_chunk);      /* and a chunk's worth or more kept */
	/* What was kept serves TCP records first. */
	ss_conn *kept = ss_conn_slab_alloc(s, SS_CONN_TAIL_TCP);
	g_ptr_array_add(out, kept);
	assert_true(g_hash_table_contains(was_tcp, kept));

	/* Closed with spares set aside and records out: every chunk goes with
	 * its last record (LeakSanitizer checks under ASan). */
	ss_conn_slab_close(s);
	for (guint i = 0; i < out->len; i++)
		ss_conn_slab_release(g_ptr_array_index(out, i));
	g_hash_table_unref(was_tcp);
	g_ptr_array_unref(tcp);
	g_ptr_array_unref(out);
}

static glong thread_minor_faults(void)
{
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_THREAD, &ru), 0);
	return ru.ru_minflt;
}

/* A slab made with prefault: from the second chunk on, its chunks come
 * from the helper thread already faulted in, so the owner writes a whole
 * chunk of records without one page fault of its own (it took 512, or one
 * per huge page, before).  The owner never waits for the helper, and a
 * slab closed with a chunk made ahead and not used frees it. */
/* A UDP record holds no TCP state (conn.h, tail_tcp): the tracker keeps
 * within its 184 bytes (an allocation of exactly that, checked by the
 * sanitizer and valgrind builds), Zeek's UDP letters and states come from
 * the fields before the tail, and its TCP state (its retransmits too) reads
 * as none.  Its last activity is the later of its endpoints' (no copy of
 * its own: conn.h), an earlier packet late in the capture not lowering it. */
static void test_udp_record_without_tcp_state(void **state)
{
	(void)state;
	assert_true(ss_conn_size(SS_CONN_TAIL_NONE) <= 184);
	assert_int_equal(ss_conn_size(SS_CONN_TAIL_NONE), G_STRUCT_OFFSET(ss_conn, tail_tcp));
	ss_ip a = sc_ip4(10, 0, 0, 1), b = sc_ip4(10, 0, 0, 2);
	ss_packet p;
	memset(&p, 0, sizeof p);
	p.ts_ns = G_GINT64_CONSTANT(1000000000);
	p.family = SS_FAMILY_IPV4;
	p.ip_proto = IPPROTO_UDP;
	p.l4 = SS_L4_UDP;
	p.src = a;
	p.dst = b;
	p.sport = 40000;
	p.dport = 53;
	p.payload_len = 30;
	p.ip_len = 58;
	ss_flow_key key;
	int side = ss_flow_key_make(&key, p.family, IPPROTO_UDP, &a, 40000, &b, 53);
	ss_conn *c = g_malloc(ss_conn_size(ss_conn_tail_for(IPPROTO_UDP, &p.tunnel)));
	ss_conn_init(c, &key, side, &p);
	assert_int_equal(c->tail, SS_CONN_TAIL_NONE);
	p.csum = SS_CSUM_BAD;
	ss_conn_update(c, 0, &p);        /* C */
	p.csum = SS_CSUM_OK;
	ss_conn_update(c, 0, &p);        /* D */
	ss_conn_update(c, 0, &p);        /* nothing: D once */
	p.src = b;
	p.dst = a;
	p.sport = 53;
	p.dport = 40000;
	p.ts_ns += 1000;
	ss_conn_update(c, 1, &p);        /* d */
	assert_true(ss_conn_last_ns(c) == p.ts_ns);
	p.ts_ns -= 500;                  /* out of order: not the latest */
	ss_conn_update(c, 0, &p);
	assert_true(ss_conn_last_ns(c) == p.ts_ns + 500);
	assert_int_equal(ss_conn_tcp_part(c)->syn_retransmits, 0);
	assert_int_equal(ss_conn_tcp_part(c)->synack_retransmits, 0);
	char h[SS_HISTORY_MAX + 2];
	c->client = 0;
	ss_conn_zeek_history(c, h, sizeof h);
	assert_string_equal(h, "CDd");
	assert_int_equal(c->zeek_badsum[0], 1);
	assert_string_equal(ss_conn_zeek_state(c), "SF");
	assert_ptr_equal(ss_conn_tcp_part(c), &ss_conn_tcp_none);
	assert_true(ss_conn_syn_to_synack_ns(c) == SS_NO_TIME);
	assert_int_equal(ss_conn_tcp_part(c)->missed_bytes, 0);
	g_free(c);
}

/* The most history letters a UDP record gets: D / d once and C / c at the
 * 1st, 10th, 100th, 1000th and 10000th bad checksum per direction (its
 * counter stops at 65535): twelve, within the SS_HISTORY_COMMON letters
 * every record holds, in an allocation of exactly a UDP record's length
 * (checked by the sanitizer and valgrind builds). */
static void test_udp_record_history_fits(void **state)
{
	(void)state;
	G_STATIC_ASSERT(2 + 2 * 5 <= SS_HISTORY_COMMON);
	ss_ip a = sc_ip4(10, 0, 0, 1), b = sc_ip4(10, 0, 0, 2);
	ss_packet p;
	memset(&p, 0, sizeof p);
	p.ts_ns = G_GINT64_CONSTANT(1000000000);
	p.family = SS_FAMILY_IPV4;
	p.ip_proto = IPPROTO_UDP;
	p.l4 = SS_L4_UDP;
	p.payload_len = 30;
	p.ip_len = 58;
	ss_flow_key key;
	int side = ss_flow_key_make(&key, p.family, IPPROTO_UDP, &a, 40000, &b, 53);
	ss_conn *c = g_malloc(ss_conn_size(ss_conn_tail_for(IPPROTO_UDP, &p.tunnel)));
	ss_conn_init(c, &key, side, &p);
	for (int s = 0; s < 2; s++) {
		p.csum = SS_CSUM_BAD;
		for (int i = 0; i < 70000; i++)
			ss_conn_update(c, s, &p);
		p.csum = SS_CSUM_OK;
		ss_conn_update(c, s, &p);
	}
	char h[SS_HISTORY_MAX + 2];
	c->client = 0;
	ss_conn_zeek_history(c, h, sizeof h);
	assert_string_equal(h, "CCCCCDcccccd");
	/* nothing past them reads the TCP part this record does not hold */
	assert_int_equal(ss_conn_history_letter(c, SS_HISTORY_COMMON), '\0');
	g_free(c);
}

/* A TCP record keeps all SS_HISTORY_MAX letters, the first
 * SS_HISTORY_COMMON in the common part and the rest in TCP's, each with
 * its sender; letters past the cap are dropped. */
static void test_tcp_record_long_history(void **state)
{
	(void)state;
	ss_ip a = sc_ip4(10, 0, 0, 1), b = sc_ip4(10, 0, 0, 2);
	ss_packet p;
	memset(&p, 0, sizeof p);
	p.family = SS_FAMILY_IPV4;
	p.ip_proto = IPPROTO_TCP;
	p.l4 = SS_L4_TCP;
	ss_flow_key key;
	int side = ss_flow_key_make(&key, p.family, IPPROTO_TCP, &a, 40000, &b, 80);
	ss_conn *c = g_malloc(ss_conn_size(ss_conn_tail_for(IPPROTO_TCP, &p.tunnel)));
	ss_conn_init(c, &key, side, &p);
	static const char letters[] = "shadfrqitwgc";
	char want[SS_HISTORY_MAX + 2];
	for (guint i = 0; i < SS_HISTORY_MAX + 4; i++) {
		int s = (i * 7 / 3) & 1;
		char l = letters[i % 12];
		ss_conn_history_add(c, s, l);
		if (i < SS_HISTORY_MAX)
			want[i] = s == 0 ? g_ascii_toupper(l) : l;
	}
	want[SS_HISTORY_MAX] = '\0';
	assert_int_equal(c->history_len, SS_HISTORY_MAX);
	char h[SS_HISTORY_MAX + 2];
	c->client = 0;
	ss_conn_zeek_history(c, h, sizeof h);
	assert_string_equal(h, want);
	g_free(c);
}

/* The record's small fields are bit-fields (conn.h): each holds all its
 * values, the sides -1 (none) as well as 0 and 1, and writing one leaves
 * its neighbours as they were. */
static void test_record_small_fields(void **state)
{
	(void)state;
	ss_conn *c = g_new0(ss_conn, 1);
	for (int v = -1; v <= 1; v++) {
		c->syn_side = (gint8)v;
		c->synack_side = (gint8)-v;
		c->first_rst_side = (gint8)v;
		c->icmp_about_side = (gint8)-v;
		c->client = (gint8)v;
		assert_int_equal(c->syn_side, v);
		assert_int_equal(c->synack_side, -v);
		assert_int_equal(c->first_rst_side, v);
		assert_int_equal(c->icmp_about_side, -v);
		assert_int_equal(c->client, v);
		assert_true(c->syn_side < 0 ? v < 0 : v >= 0);
	}
	c->ep0_key_side = 1;
	c->tail = SS_CONN_TAIL_TUNNEL;
	c->timeout_class = SS_TIMEOUT_UDP;
	c->zeek_partial = 1;
	c->acked = 1;
	c->history_len = SS_HISTORY_MAX;
	c->reuse = SS_REUSE_WHILE_OPEN;
	c->ended_by = SS_END_EVICTED;
	assert_int_equal(c->ep0_key_side, 1);
	assert_int_equal(c->tail, SS_CONN_TAIL_TUNNEL);
	assert_int_equal(c->timeout_class, SS_TIMEOUT_UDP);
	assert_int_equal(c->zeek_partial, 1);
	assert_int_equal(c->acked, 1);
	assert_int_equal(c->history_len, SS_HISTORY_MAX);
	assert_int_equal(c->reuse, SS_REUSE_WHILE_OPEN);
	assert_int_equal(c->ended_by, SS_END_EVICTED);
	assert_int_equal(c->client, 1);
	assert_int_equal(c->syn_side, 1);
	c->timeout_class = SS_TIMEOUT_ATTEMPT;
	c->history_len = 0;
	assert_int_equal(c->zeek_partial, 1);
	assert_int_equal(c->acked, 1);
	g_free(c);
}

/* A TCP record's SYN state is TCP's (conn.h: tail_tcp.isn[], the options
 * and MSS in tail_tcp.zeek[]), what each side sent the record's sent[]:
 * a handshake with options and a new ISN on the tuple, tracked in an
 * allocation of exactly a TCP record's length (checked by the sanitizer
 * and valgrind builds), without a repeated SYN and so without gaps. */
static void test_tcp_record_syn_state(void **state)
{
	(void)state;
	assert_int_equal(ss_conn_size(SS_CONN_TAIL_TCP), G_STRUCT_OFFSET(ss_conn, tail_syn_gaps_ns));
	assert_true(ss_conn_size(SS_CONN_TAIL_TCP) <= 344);
	sc_flow f = flow(IPPROTO_TCP, 40001);
	ss_packet syn = sc_packet(&f, SC_CLIENT, 0);
	syn.l4 = SS_L4_TCP;
	syn.ip_len = 60;
	syn.tcp.flags = SYN;
	syn.tcp.seq = 1000;
	syn.tcp.options = SS_TCPOPT_HAVE_MSS | SS_TCPOPT_HAVE_WSCALE | SS_TCPOPT_HAVE_TS;
	syn.tcp.mss = 1460;
	syn.tcp.wscale = 7;
	ss_flow_key key;
	int src = ss_flow_key_make(&key, syn.family, IPPROTO_TCP, &syn.src, syn.sport, &syn.dst,
				   syn.dport);
	ss_conn *c = g_malloc(ss_conn_size(ss_conn_tail_for(IPPROTO_TCP, &syn.tunnel)));
	ss_conn_init(c, &key, src, &syn);
	assert_int_equal(c->tail, SS_CONN_TAIL_TCP);
	ss_conn_update(c, 0, &syn);
	ss_packet synack = sc_packet(&f, SC_SERVER, 1);
	synack.l4 = SS_L4_TCP;
	synack.ip_len = 44;
	synack.tcp.flags = SYN | ACK;
	synack.tcp.seq = 9000;
	synack.tcp.options = SS_TCPOPT_HAVE_MSS;
	synack.tcp.mss = 1400;
	assert_false(ss_conn_syn_gap_due(c, 1, &synack));
	ss_conn_update(c, 1, &synack);
	assert_int_equal(c->sent[0], SS_SENT_SYN);
	assert_int_equal(c->sent[1], SS_SENT_SYNACK);
	const ss_conn_tcp *t = ss_conn_tcp_part(c);
	assert_int_equal(t->isn[0], 1000);
	assert_int_equal(t->isn[1], 9000);
	assert_int_equal(t->zeek[0].tcp_options, syn.tcp.options);
	assert_int_equal(t->zeek[0].mss, 1460);
	assert_int_equal(c->tail_tcp.wscale[0], 7);
	assert_int_equal(t->zeek[1].tcp_options, SS_TCPOPT_HAVE_MSS);
	assert_int_equal(t->zeek[1].mss, 1400);
	/* the same ISN again would bring a gap (the record must move first);
	 * another ISN is a new connection on the tuple */
	syn.ts_ns += 1000000;
	assert_true(ss_conn_syn_gap_due(c, 0, &syn));
	syn.tcp.seq = 5;
	assert_false(ss_conn_syn_gap_due(c, 0, &syn));
	ss_reuse cause;
	assert_true(ss_conn_tcp_starts_new(c, 0, &syn, G_MAXINT64, &cause));
	g_free(c);
}

/* A slab made without prefault (`large` or not) starts no helper: every
 * chunk is the owner's. */
static void assert_no_helper(gboolean large)
{
	GPtrArray *recs = g_ptr_array_new();
	ss_conn_slab *s = ss_conn_slab_new(FALSE, large);
	alloc_until(s, 4, FALSE, recs);
	assert_int_equal(ss_conn_slab_get_stats(s)->chunks_ahead, 0);
	ss_conn_slab_close(s);
	release_all(recs);
	g_ptr_array_unref(recs);
}

/* Room for 20 000 records, touched now: no fault of the array's own
 * while a test counts faults. */
static GPtrArray *recs_touched(void)
{
	GPtrArray *recs = g_ptr_array_new();
	g_ptr_array_set_size(recs, 20000);
	g_ptr_array_set_size(recs, 0);
	return recs;
}

/* `faults` page faults were counted where none should be. */
static void assert_no_faults(glong faults)
{
#ifndef SANITIZED
	/* Under AddressSanitizer the slab's chunks are malloc'd, and under
	 * either sanitizer its shadow memory faults: the count means nothing
	 * there. */
	assert_int_equal(faults, 0);
#else
	(void)faults;
#endif
}

static void test_slab_prefault(void **state)
{
	(void)state;
	GPtrArray *recs = recs_touched();
	ss_conn_slab *s = ss_conn_slab_new(TRUE, FALSE);
	alloc_until(s, 2, TRUE, recs);   /* the helper starts here */
	assert_int_equal(ss_conn_slab_get_stats(s)->chunks_ahead, 0);
	ss_conn_slab_wait_ahead(s);
	ss_conn *first = alloc_until(s, 3, TRUE, recs);
	assert_int_equal(ss_conn_slab_get_stats(s)->chunks_ahead, 1);
	ss_conn_slab_wait_ahead(s);   /* the fourth, so that opening it is counted too */
	glong faults = thread_minor_faults();
	memset(first, 0x5a, ss_conn_size(SS_CONN_TAIL_TCP));
	alloc_until(s, 4, TRUE, recs);
	faults = thread_minor_faults() - faults;
	assert_int_equal(ss_conn_slab_get_stats(s)->chunks_ahead, 2);
	assert_no_faults(faults);
	ss_conn_slab_wait_ahead(s);   /* a fifth chunk ready, never used */
	ss_conn_slab_close(s);
	GThread *t = g_thread_new("release", release_all, recs);
	g_thread_join(t);
	g_ptr_array_unref(recs);

	/* Without prefault, no helper: every chunk is the owner's. */
	assert_no_helper(FALSE);
}

/* A capture known to be large (ss_conn_slab_new's `large`): the helper
 * starts with the slab, and even each record length's first chunk is one
 * it made ahead, so the owner fills it without a page fault.  Without
 * prefault there is no helper, large or not. */
static void test_slab_large_first_chunks(void **state)
{
	(void)state;
	GPtrArray *recs = recs_touched();
	ss_conn_slab *s = ss_conn_slab_new(TRUE, TRUE);
	ss_conn_slab_wait_ahead(s);   /* ready before the first record */
	glong faults = thread_minor_faults();
	ss_conn *first = alloc_until(s, 1, TRUE, recs);
	memset(first, 0x5a, ss_conn_size(SS_CONN_TAIL_TCP));
	alloc_until(s, 2, TRUE, recs);   /* the first chunk filled, a second opened */
	faults = thread_minor_faults() - faults;
	assert_int_equal(ss_conn_slab_get_stats(s)->chunks, 2);
	assert_int_equal(ss_conn_slab_get_stats(s)->chunks_ahead, 2);
	assert_no_faults(faults);
	ss_conn_slab_close(s);
	release_all(recs);
	g_ptr_array_unref(recs);
	assert_no_helper(TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_in_order),
		cmocka_unit_test(test_simultaneous_open_proves_nothing),
		cmocka_unit_test(test_keep_all_never_expires),
		cmocka_unit_test(test_cap_evicts_idlest),
		cmocka_unit_test(test_reuse_and_tombstone),
		cmocka_unit_test(test_tombstones_narrow_and_wide_keys),
		cmocka_unit_test(test_icmp_errors_counted),
		cmocka_unit_test(test_spares_reused),
		cmocka_unit_test(test_resume_joins),
		cmocka_unit_test(test_continuation_marked),
		cmocka_unit_test(test_batches_same_as_single),
		cmocka_unit_test(test_slab_same_as_malloc),
		cmocka_unit_test(test_syn_gaps_move),
		cmocka_unit_test(test_slab_prefault),
		cmocka_unit_test(test_slab_large_first_chunks),
		cmocka_unit_test(test_slab_records_named_in_32_bits),
		cmocka_unit_test(test_slab_range_under_address_limit),
		cmocka_unit_test(test_slab_spares_by_length),
		cmocka_unit_test(test_udp_record_without_tcp_state),
		cmocka_unit_test(test_udp_record_history_fits),
		cmocka_unit_test(test_tcp_record_long_history),
		cmocka_unit_test(test_record_small_fields),
		cmocka_unit_test(test_tcp_record_syn_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
