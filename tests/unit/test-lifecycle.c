/* Streaming lifecycle: records leave the table when they end (closed and
 * lingered, idle, reused, evicted), reach the sink in that order, and the
 * keep-all mode reports the same records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scenario.h"
#include "pipeline/stage.h"
#include "sockscope/tunnels.h"
#include "sockscope/util.h"

enum { SYN = SS_TCP_SYN, ACK = SS_TCP_ACK, FIN = SS_TCP_FIN, RST = SS_TCP_RST };

typedef struct {
	GArray *ports;     /* client port of each record, in sink order */
	GArray *ends;      /* ss_end of each */
	GArray *closes;    /* ss_close of each */
} seen;

static void record(const ss_conn *c, gpointer data)
{
	seen *s = data;
	guint16 port = ss_conn_client_port(c);
	guint end = c->ended_by, close = c->close;
	g_array_append_val(s->ports, port);
	g_array_append_val(s->ends, end);
	g_array_append_val(s->closes, close);
}

static ss_analyzer *stream_analyzer_on(seen *s, guint64 max_flows, gboolean report_thread)
{
	ss_services_use_system(FALSE);
	s->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
	s->ends = g_array_new(FALSE, FALSE, sizeof(guint));
	s->closes = g_array_new(FALSE, FALSE, sizeof(guint));
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.sink = record;
	cfg.sink_data = s;
	cfg.max_flows = max_flows;
	cfg.report_thread = report_thread;
	return ss_analyzer_new(&cfg);
}

static ss_analyzer *stream_analyzer(seen *s, guint64 max_flows)
{
	return stream_analyzer_on(s, max_flows, FALSE);
}

static void seen_free(seen *s)
{
	g_array_unref(s->ports);
	g_array_unref(s->ends);
	g_array_unref(s->closes);
}

static void handshake_and_fin(ss_analyzer *a, const sc_flow *f, gint64 t)
{
	sc_tcp(a, f, SC_CLIENT, t, SYN, 100, 0);
	sc_tcp(a, f, SC_SERVER, t + 1, SYN | ACK, 900, 0);
	sc_tcp(a, f, SC_CLIENT, t + 2, ACK, 101, 0);
	sc_tcp(a, f, SC_CLIENT, t + 3, FIN | ACK, 101, 0);
	sc_tcp(a, f, SC_SERVER, t + 4, FIN | ACK, 901, 0);
	sc_tcp(a, f, SC_CLIENT, t + 5, ACK, 102, 0);
}

static guint16 port_at(const seen *s, guint i)
{
	return g_array_index(s->ports, guint16, i);
}

/* A closed connection is written once its linger (10 s) has passed in packet
 * time, before a still-open one that started earlier. */
static void test_closed_leaves_after_linger(void **state)
{
	(void)state;
	seen s;
	ss_analyzer *a = stream_analyzer(&s, 0);
	ss_ip cli = sc_ip4(10, 0, 0, 1), srv = sc_ip4(10, 0, 0, 2);
	sc_flow open_one = sc_flow_make(IPPROTO_TCP, cli, 40000, srv, 80);
	sc_flow closed_one = sc_flow_make(IPPROTO_TCP, cli, 40001, srv, 80);
	sc_tcp(a, &open_one, SC_CLIENT, 0, SYN, 1, 0);
	sc_tcp(a, &open_one, SC_SERVER, 1, SYN | ACK, 2, 0);
	sc_tcp(a, &open_one, SC_CLIENT, 2, ACK, 2, 0);
	handshake_and_fin(a, &closed_one, 100);
	sc_tcp(a, &open_one, SC_CLIENT, 9000, ACK, 2, 10);   /* 9 s: nothing due yet */
	assert_int_equal(s.ports->len, 0);
	sc_tcp(a, &open_one, SC_CLIENT, 10200, ACK, 12, 10); /* 10.2 s: the closed one */
	assert_int_equal(s.ports->len, 1);
	assert_int_equal(port_at(&s, 0), 40001);
	assert_int_equal(g_array_index(s.ends, guint, 0), SS_END_CLOSED);
	assert_int_equal(g_array_index(s.closes, guint, 0), SS_CLOSE_FIN);

	ss_report *r = ss_analyzer_finish(a);
	assert_int_equal(s.ports->len, 2);
	assert_int_equal(port_at(&s, 1), 40000);
	assert_int_equal(g_array_index(s.ends, guint, 1), SS_END_CAPTURE);
	assert_int_equal(g_array_index(s.closes, guint, 1), SS_CLOSE_OPEN);
	assert_int_equal(r->conns->len, 0);          /* streamed, not kept */
	assert_int_equal(r->summary.tcp_connections, 2);
	assert_int_equal(r->summary.ended[SS_END_CLOSED], 1);
	assert_int_equal(r->summary.ended[SS_END_CAPTURE], 1);
	assert_int_equal(r->listeners->len, 1);
	assert_int_equal(g_array_index(r->listeners, ss_listener, 0).connections, 2);
	ss_report_free(r);
	ss_analyzer_free(a);
	seen_free(&s);
}

/* With the report thread the sink runs on a second thread; a snapshot waits
 * for it to catch up, so what it wrote can be checked at that point.  Same
 * records, same order, same roll-ups as the single-thread test above;
 * more records than one hand-off batch holds. */
static void test_report_thread(void **state)
{
	(void)state;
	seen s;
	ss_analyzer *a = stream_analyzer_on(&s, 0, TRUE);
	ss_ip cli = sc_ip4(10, 0, 0, 1), srv = sc_ip4(10, 0, 0, 2);
	sc_flow open_one = sc_flow_make(IPPROTO_TCP, cli, 40000, srv, 80);
	sc_tcp(a, &open_one, SC_CLIENT, 0, SYN, 1, 0);
	sc_tcp(a, &open_one, SC_SERVER, 1, SYN | ACK, 2, 0);
	sc_tcp(a, &open_one, SC_CLIENT, 2, ACK, 2, 0);
	enum { CLOSED = 3000 };
	for (guint i = 0; i < CLOSED; i++) {
		sc_flow f = sc_flow_make(IPPROTO_TCP, cli, (guint16)(41000 + i), srv, 80);
		handshake_and_fin(a, &f, 100 + i);
	}
	sc_tcp(a, &open_one, SC_CLIENT, 9000, ACK, 2, 10);   /* nothing due yet */
	ss_report *snap = ss_analyzer_snapshot(a, 0, NULL);
	assert_int_equal(s.ports->len, 0);
	ss_report_free(snap);
	sc_tcp(a, &open_one, SC_CLIENT, 20000, ACK, 12, 10); /* the closed ones */
	snap = ss_analyzer_snapshot(a, 0, NULL);
	assert_int_equal(s.ports->len, CLOSED);
	for (guint i = 0; i < CLOSED; i++) {
		assert_int_equal(port_at(&s, i), 41000 + i);
		assert_int_equal(g_array_index(s.ends, guint, i), SS_END_CLOSED);
	}
	/* The snapshot counts the open one too, decided as if it ended now. */
	assert_int_equal(snap->summary.tcp_connections, CLOSED + 1);
	ss_report_free(snap);

	ss_report *r = ss_analyzer_finish(a);
	assert_int_equal(s.ports->len, CLOSED + 1);
	assert_int_equal(port_at(&s, CLOSED), 40000);
	assert_int_equal(g_array_index(s.ends, guint, CLOSED), SS_END_CAPTURE);
	assert_int_equal(r->summary.tcp_connections, CLOSED + 1);
	assert_int_equal(r->summary.ended[SS_END_CLOSED], CLOSED);
	assert_int_equal(r->listeners->len, 1);
	assert_int_equal(g_array_index(r->listeners, ss_listener, 0).connections, CLOSED + 1);
	ss_report_free(r);
	ss_analyzer_free(a);
	seen_free(&s);
}

/* The report thread takes the listeners and hosts after the capture's last
 * event (beside the writer's drain): the report has the same listeners and
 * hosts, in the same order, as a run on one thread. */
static void test_report_thread_takes_rollups(void **state)
{
	(void)state;
	ss_report *r[2];
	for (int threaded = 0; threaded < 2; threaded++) {
		seen s;
		ss_analyzer *a = stream_analyzer_on(&s, 0, threaded);
		for (guint i = 0; i < 600; i++) {
			ss_ip cli = sc_ip4(10, 0, (guint8)(i % 7), (guint8)(1 + i % 200));
			ss_ip srv = sc_ip4(10, 1, 0, (guint8)(1 + i % 5));
			sc_flow f = sc_flow_make(IPPROTO_TCP, cli, (guint16)(40000 + i), srv,
						 (guint16)(80 + i % 3));
			handshake_and_fin(a, &f, 10 * i);
		}
		r[threaded] = ss_analyzer_finish(a);
		ss_analyzer_free(a);
		seen_free(&s);
	}
	assert_int_equal(r[0]->listeners->len, 15);
	assert_int_equal(r[1]->listeners->len, r[0]->listeners->len);
	assert_memory_equal(r[1]->listeners->data, r[0]->listeners->data,
			    r[0]->listeners->len * sizeof(ss_listener));
	assert_int_equal(r[0]->hosts->len, 600 + 5);
	assert_int_equal(r[1]->hosts->len, r[0]->hosts->len);
	for (guint i = 0; i < r[0]->hosts->len; i++) {
		const ss_host *x = &g_array_index(r[0]->hosts, ss_host, i);
		const ss_host *y = &g_array_index(r[1]->hosts, ss_host, i);
		assert_memory_equal(&y->ip, &x->ip, sizeof x->ip);
		assert_int_equal(y->client_connections, x->client_connections);
		assert_int_equal(y->client_servers, x->client_servers);
		assert_memory_equal(&y->profile, &x->profile, sizeof x->profile);
		assert_int_equal(y->listeners ? y->listeners->len : 0,
				 x->listeners ? x->listeners->len : 0);
	}
	assert_int_equal(r[1]->summary.hosts, r[0]->hosts->len);
	assert_int_equal(r[1]->summary.listeners, r[0]->listeners->len);
	ss_report_free(r[0]);
	ss_report_free(r[1]);
}

/* An analyzer freed without ss_analyzer_finish() stops its threads and
 * takes nothing (nothing leaks under the sanitizers' leak check). */
static void test_report_thread_free_unfinished(void **state)
{
	(void)state;
	seen s;
	ss_analyzer *a = stream_analyzer_on(&s, 0, TRUE);
	sc_flow f = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 1), 40000, sc_ip4(10, 0, 0, 2), 80);
	handshake_and_fin(a, &f, 0);
	ss_analyzer_free(a);
	seen_free(&s);
}

/* sink_done comes once, after the capture's last record, on the thread
 * that wrote the records (threaded: the writer, so the sink's end work
 * overlaps the report thread's take of the roll-ups), and never for an
 * analyzer freed unfinished. */
typedef struct {
	guint written;           /* records the sink got */
	GThread *writer;         /* the thread that wrote them */
	guint done_calls;
	guint written_at_done;   /* records written when sink_done came */
	GThread *done_thread;
} done_probe;

static void done_probe_record(const ss_conn *c, gpointer data)
{
	(void)c;
	done_probe *p = data;
	p->written++;
	p->writer = g_thread_self();
}

static void done_probe_done(gpointer data)
{
	done_probe *p = data;
	p->done_calls++;
	p->written_at_done = p->written;
	p->done_thread = g_thread_self();
}

static ss_analyzer *done_probe_analyzer(done_probe *p, gboolean threaded)
{
	*p = (done_probe){ 0 };
	ss_services_use_system(FALSE);
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.sink = done_probe_record;
	cfg.sink_done = done_probe_done;
	cfg.sink_data = p;
	cfg.max_flows = 0;
	cfg.report_thread = threaded;
	ss_analyzer *a = ss_analyzer_new(&cfg);
	for (guint i = 0; i < 2500; i++) {   /* more than two hand-off batches */
		sc_flow f = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 1), (guint16)(20000 + i),
					 sc_ip4(10, 0, 0, 2), 80);
		handshake_and_fin(a, &f, 10 * i);
	}
	return a;
}

static void test_sink_done_on_sink_thread(void **state)
{
	(void)state;
	for (int threaded = 0; threaded < 2; threaded++) {
		done_probe p;
		ss_analyzer *a = done_probe_analyzer(&p, threaded);
		ss_report_free(ss_analyzer_finish(a));
		assert_int_equal(p.written, 2500);
		assert_int_equal(p.done_calls, 1);
		assert_int_equal(p.written_at_done, 2500);
		assert_ptr_equal(p.done_thread, p.writer);
		if (threaded)
			assert_ptr_not_equal(p.done_thread, g_thread_self());
		else
			assert_ptr_equal(p.done_thread, g_thread_self());
		ss_analyzer_free(a);

		a = done_probe_analyzer(&p, threaded);
		ss_analyzer_free(a);
		assert_int_equal(p.done_calls, 0);
	}
}

/* ss_stage_close(): the consumer gets the last events and applies them
 * while the producer goes on (here: waits for them to be applied, which
 * ss_stage_put()/ss_stage_stop() alone never let it do); ss_stage_stop()
 * then only waits. */
typedef struct {
	GMutex lock;
	GCond cond;
	guint applied;
	gboolean last_seen;
} stage_probe;

static void stage_probe_consume(void *ctx, ss_stage_batch *b)
{
	stage_probe *p = ctx;
	g_mutex_lock(&p->lock);
	p->applied += b->len;
	if (b->last)
		p->last_seen = TRUE;
	g_cond_signal(&p->cond);
	g_mutex_unlock(&p->lock);
}

static void stage_probe_free(gpointer item)
{
	(void)item;
}

static void test_stage_close(void **state)
{
	(void)state;
	stage_probe p = { .applied = 0 };
	g_mutex_init(&p.lock);
	g_cond_init(&p.cond);
	ss_stage *st = ss_stage_new("test-stage", stage_probe_consume, &p, 0, stage_probe_free);
	assert_non_null(st);
	static gpointer items[3];
	for (guint i = 0; i < G_N_ELEMENTS(items); i++)
		ss_stage_put(st, &items[i], 0, -1);
	ss_stage_close(st);
	ss_stage_close(st);   /* a second close sends nothing */
	gint64 until = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
	g_mutex_lock(&p.lock);
	while (!p.last_seen && g_cond_wait_until(&p.cond, &p.lock, until))
		;
	gboolean seen_last = p.last_seen;
	guint applied = p.applied;
	g_mutex_unlock(&p.lock);
	assert_true(seen_last);
	assert_int_equal(applied, G_N_ELEMENTS(items));
	ss_stage_stop(st);
	g_mutex_clear(&p.lock);
	g_cond_clear(&p.cond);
}

/* An Ethernet/IPv4/UDP 4789/VXLAN (VNI 42) frame around Ethernet/IPv4/TCP
 * 10.0.0.1:40000 <-> 10.0.0.2:80, `dir` 0 from the client. */
static gsize vxlan_tcp(guint8 *b, int dir, guint8 flags)
{
	static const guint8 eth[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
	gsize n = 0;
	memcpy(b + n, eth, 14);
	n += 14;
	const guint8 outer[28] = { 0x45, 0, 0, 20 + 8 + 8 + 14 + 40, 0, 1, 0x40, 0, 64, 17, 0, 0,
				   192, 168, 9, (guint8)(1 + dir), 192, 168, 9, (guint8)(2 - dir),
				   0xc0, 0x01, 0x12, 0xb5, 0, 8 + 8 + 14 + 40, 0, 0 };
	memcpy(b + n, outer, 28);
	n += 28;
	const guint8 vx[8] = { 0x08, 0, 0, 0, 0, 0, 42, 0 };
	memcpy(b + n, vx, 8);
	n += 8;
	memcpy(b + n, eth, 14);
	n += 14;
	const guint8 ip[20] = { 0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0,
				(guint8)(1 + dir), 10, 0, 0, (guint8)(2 - dir) };
	memcpy(b + n, ip, 20);
	n += 20;
	guint16 sp = dir ? 80 : 40000, dp = dir ? 40000 : 80;
	const guint8 tcp[20] = { (guint8)(sp >> 8), (guint8)sp, (guint8)(dp >> 8), (guint8)dp,
				 0, 0, 0, 1, 0, 0, 0, (guint8)(dir ? 2 : 0), 0x50, flags, 0xff,
				 0xff, 0, 0, 0, 0 };
	memcpy(b + n, tcp, 20);
	return n + 20;
}

/* --interval snapshots carry the tunnel records the final report has:
 * packets so far, and the inner connection in progress counted as if it
 * ended now; streaming and keep-all alike. */
static void test_snapshot_tunnels(void **state)
{
	(void)state;
	for (int streaming = 0; streaming <= 1; streaming++) {
		seen s;
		ss_analyzer *a;
		if (streaming) {
			a = stream_analyzer(&s, 0);
		} else {
			ss_services_use_system(FALSE);
			ss_analyzer_config cfg;
			ss_analyzer_config_init(&cfg);
			a = ss_analyzer_new(&cfg);
		}
		ss_analyzer_begin_input(a, "vxlan", 1, "EN10MB", FALSE);
		guint8 b[256];
		gsize n = vxlan_tcp(b, 0, SS_TCP_SYN);
		ss_analyzer_packet(a, 1000, b, (guint32)n, (guint32)n);
		ss_report *snap = ss_analyzer_snapshot(a, 0, NULL);
		assert_non_null(snap->tunnels);
		assert_int_equal(snap->tunnels->len, 1);
		const ss_tunnel_flow *t = &g_array_index(snap->tunnels, ss_tunnel_flow, 0);
		assert_int_equal(t->vnet.type, SS_TUNNEL_VXLAN);
		assert_int_equal(t->vnet.vni, 42);
		assert_int_equal(t->packets, 1);
		assert_int_equal(t->connections, 1);
		ss_report_free(snap);
		n = vxlan_tcp(b, 1, SS_TCP_SYN | SS_TCP_ACK);
		ss_analyzer_packet(a, 2000, b, (guint32)n, (guint32)n);
		snap = ss_analyzer_snapshot(a, 0, NULL);
		t = &g_array_index(snap->tunnels, ss_tunnel_flow, 0);
		assert_int_equal(snap->tunnels->len, 1);
		assert_int_equal(t->packets, 2);
		assert_int_equal(t->connections, 1);   /* one record, counted once */
		ss_tunnel_flow seen_snap = *t;
		ss_report_free(snap);
		/* the snapshot took nothing away from the final report */
		ss_report *r = ss_analyzer_finish(a);
		assert_int_equal(r->tunnels->len, 1);
		t = &g_array_index(r->tunnels, ss_tunnel_flow, 0);
		assert_int_equal(t->packets, seen_snap.packets);
		assert_int_equal(t->connections, seen_snap.connections);
		assert_int_equal(t->bytes, seen_snap.bytes);
		ss_report_free(r);
		ss_analyzer_free(a);
		if (streaming)
			seen_free(&s);
	}
}

/* Silence past the idle timeout ends a record as "idle"; UDP has its own. */
static void test_idle_timeouts(void **state)
{
	(void)state;
	seen s;
	ss_analyzer *a = stream_analyzer(&s, 0);
	ss_ip cli = sc_ip4(10, 0, 0, 1), srv = sc_ip4(10, 0, 0, 2);
	sc_flow tcp = sc_flow_make(IPPROTO_TCP, cli, 40000, srv, 22);
	sc_flow udp = sc_flow_make(IPPROTO_UDP, cli, 40001, srv, 53);
	sc_flow ticker = sc_flow_make(IPPROTO_UDP, cli, 40002, srv, 123);
	sc_tcp(a, &tcp, SC_CLIENT, 0, ACK, 1, 10);           /* mid-stream */
	sc_udp(a, &udp, SC_CLIENT, 0, 30);
	/* Packet time advances through another flow kept alive every minute. */
	for (gint64 t = 60000; t <= 700000; t += 60000)
		sc_udp(a, &ticker, SC_CLIENT, t, 10);
	assert_int_equal(s.ports->len, 2);
	assert_int_equal(port_at(&s, 0), 40001);           /* UDP: 120 s */
	assert_int_equal(port_at(&s, 1), 40000);           /* TCP: 600 s */
	assert_int_equal(g_array_index(s.ends, guint, 1), SS_END_IDLE);
	assert_int_equal(g_array_index(s.closes, guint, 1), SS_CLOSE_IDLE);
	ss_report *r = ss_analyzer_finish(a);
	assert_int_equal(r->summary.ended[SS_END_IDLE], 2);
	ss_report_free(r);
	ss_analyzer_free(a);
	seen_free(&s);
}

/* Past --max-flows the idlest flow is ended early and counted. */
static void test_max_flows_evicts_idlest(void **state)
{
	(void)state;
	seen s;
	ss_analyzer *a = stream_analyzer(&s, 2);
	ss_ip srv = sc_ip4(10, 0, 0, 2);
	sc_flow f1 = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 1, 1), 40001, srv, 80);
	sc_flow f2 = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 1, 2), 40002, srv, 80);
	sc_flow f3 = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 1, 3), 40003, srv, 80);
	sc_tcp(a, &f1, SC_CLIENT, 0, SYN, 1, 0);
	sc_tcp(a, &f2, SC_CLIENT, 1, SYN, 1, 0);
	sc_tcp(a, &f1, SC_CLIENT, 2, SYN, 1, 0);   /* f1 active again: f2 is idlest */
	sc_tcp(a, &f3, SC_CLIENT, 3, SYN, 1, 0);
	assert_int_equal(s.ports->len, 1);
	assert_int_equal(port_at(&s, 0), 40002);
	assert_int_equal(g_array_index(s.ends, guint, 0), SS_END_EVICTED);
	ss_report *r = ss_analyzer_finish(a);
	assert_int_equal(r->summary.ended[SS_END_EVICTED], 1);
	assert_int_equal(r->summary.max_flows_tracked, 2);
	ss_report_free(r);
	ss_analyzer_free(a);
	seen_free(&s);
}

/* A new SYN on a reset tuple writes the old record at once. */
static void test_reuse_retires_old_record(void **state)
{
	(void)state;
	seen s;
	ss_analyzer *a = stream_analyzer(&s, 0);
	sc_flow f = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 1), 40000, sc_ip4(10, 0, 0, 2), 80);
	sc_tcp(a, &f, SC_CLIENT, 0, SYN, 100, 0);
	sc_tcp(a, &f, SC_SERVER, 1, RST | ACK, 0, 0);
	sc_tcp(a, &f, SC_CLIENT, 50, SYN, 5000, 0);
	assert_int_equal(s.ports->len, 1);
	assert_int_equal(g_array_index(s.ends, guint, 0), SS_END_REUSED);
	ss_report *r = ss_analyzer_finish(a);
	assert_int_equal(s.ports->len, 2);
	assert_int_equal(r->summary.reused_tuples, 1);
	ss_report_free(r);
	ss_analyzer_free(a);
	seen_free(&s);
}

typedef struct {
	GArray *reuse;     /* ss_reuse of each record, in sink order */
	GArray *index;     /* reuse_index of each */
} reuse_seen;

static void record_reuse(const ss_conn *c, gpointer data)
{
	reuse_seen *s = data;
	if (c->proto != IPPROTO_TCP)
		return;
	guint r = c->reuse, i = ss_conn_reuse_index(c);
	g_array_append_val(s->reuse, r);
	g_array_append_val(s->index, i);
}

/* TIME_WAIT reuse: the closed record was written 10 s after its FIN, yet a
 * new SYN on the tuple 30 s later still says it reused the tuple; one
 * 300 s later does not (past the 240 s window). */
static void test_reuse_after_record_written(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	reuse_seen s = { g_array_new(FALSE, FALSE, sizeof(guint)),
			 g_array_new(FALSE, FALSE, sizeof(guint)) };
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.sink = record_reuse;
	cfg.sink_data = &s;
	ss_analyzer *a = ss_analyzer_new(&cfg);
	sc_flow f = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, 0, 1), 40000, sc_ip4(10, 0, 0, 2), 80);
	sc_flow other = sc_flow_make(IPPROTO_UDP, sc_ip4(10, 0, 0, 3), 5000, sc_ip4(10, 0, 0, 4), 53);
	handshake_and_fin(a, &f, 0);
	sc_udp(a, &other, SC_CLIENT, 20000, 10);      /* 20 s: the closed record is written */
	assert_int_equal(s.reuse->len, 1);            /* (the UDP record is not counted) */
	handshake_and_fin(a, &f, 30000);              /* same tuple, 30 s after */
	handshake_and_fin(a, &f, 400000);             /* and again, 370 s after that */
	ss_report *r = ss_analyzer_finish(a);
	assert_int_equal(s.reuse->len, 3);
	assert_int_equal(g_array_index(s.reuse, guint, 0), SS_REUSE_NONE);
	assert_int_equal(g_array_index(s.reuse, guint, 1), SS_REUSE_AFTER_FIN);
	assert_int_equal(g_array_index(s.index, guint, 1), 1);
	assert_int_equal(g_array_index(s.reuse, guint, 2), SS_REUSE_NONE);
	assert_int_equal(r->summary.reused_tuples, 1);
	ss_report_free(r);
	ss_analyzer_free(a);
	g_array_unref(s.reuse);
	g_array_unref(s.index);
}

/* Without a sink nothing times out: the same traffic gives every record,
 * sorted by first packet, with the open one still "open". */
static void test_keep_all_mode_never_expires(void **state)
{
	(void)state;
	ss_services_use_system(FALSE);
	ss_analyzer *a = ss_analyzer_new(NULL);
	ss_ip cli = sc_ip4(10, 0, 0, 1), srv = sc_ip4(10, 0, 0, 2);
	sc_flow f = sc_flow_make(IPPROTO_TCP, cli, 40000, srv, 22);
	sc_flow g = sc_flow_make(IPPROTO_UDP, cli, 40001, srv, 53);
	sc_tcp(a, &f, SC_CLIENT, 0, ACK, 1, 10);
	sc_udp(a, &g, SC_CLIENT, 3600000, 10);
	ss_report *r = ss_analyzer_finish(a);
	assert_int_equal(r->conns->len, 2);
	const ss_conn *first = g_ptr_array_index(r->conns, 0);
	assert_int_equal(first->close, SS_CLOSE_OPEN);
	assert_int_equal(r->summary.ended[SS_END_CAPTURE], 2);
	ss_report_free(r);
	ss_analyzer_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_leaves_after_linger),
		cmocka_unit_test(test_report_thread),
		cmocka_unit_test(test_report_thread_takes_rollups),
		cmocka_unit_test(test_report_thread_free_unfinished),
		cmocka_unit_test(test_sink_done_on_sink_thread),
		cmocka_unit_test(test_stage_close),
		cmocka_unit_test(test_idle_timeouts),
		cmocka_unit_test(test_max_flows_evicts_idlest),
		cmocka_unit_test(test_reuse_retires_old_record),
		cmocka_unit_test(test_keep_all_mode_never_expires),
		cmocka_unit_test(test_reuse_after_record_written),
		cmocka_unit_test(test_snapshot_tunnels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
