/* Builds decoded packets for analyzer tests: one client and one server,
 * times in milliseconds from 2026-01-01T00:00:00Z. */
#ifndef SOCKSCOPE_TEST_SCENARIO_H
#define SOCKSCOPE_TEST_SCENARIO_H

#include <netinet/in.h>
#include <string.h>

#include "sockscope/analyzer.h"

#define SC_MS G_GINT64_CONSTANT(1000000)
#define SC_T0 (G_GINT64_CONSTANT(1767225600) * 1000000000)

enum { SC_CLIENT = 0, SC_SERVER = 1 };

typedef struct {
	ss_ip ip[2];
	guint16 port[2];
	guint8 proto;
} sc_flow;

static inline ss_ip sc_ip4(guint8 a, guint8 b, guint8 c, guint8 d)
{
	ss_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.bytes[0] = a;
	ip.bytes[1] = b;
	ip.bytes[2] = c;
	ip.bytes[3] = d;
	return ip;
}

/* Sets side i's address or port of a record made by hand: both live in
 * the record's key (sockscope/conn.h), kept in its canonical order. */
static inline void sc_conn_set_ip(ss_conn *c, int i, ss_ip ip)
{
	ss_ip a = *ss_conn_ip(c, 0), b = *ss_conn_ip(c, 1);
	if (i == 0)
		a = ip;
	else
		b = ip;
	ss_conn_set_ends(c, a, ss_conn_port(c, 0), b, ss_conn_port(c, 1));
}

static inline void sc_conn_set_port(ss_conn *c, int i, guint16 port)
{
	ss_conn_set_ends(c, *ss_conn_ip(c, 0), i == 0 ? port : ss_conn_port(c, 0),
			 *ss_conn_ip(c, 1), i == 1 ? port : ss_conn_port(c, 1));
}

static inline sc_flow sc_flow_make(guint8 proto, ss_ip client, guint16 cport, ss_ip server,
				   guint16 sport)
{
	sc_flow f = { { client, server }, { cport, sport }, proto };
	return f;
}

static inline ss_packet sc_packet(const sc_flow *f, int from, gint64 ms)
{
	ss_packet p;
	memset(&p, 0, sizeof p);
	p.ts_ns = SC_T0 + ms * SC_MS;
	p.family = SS_FAMILY_IPV4;
	p.ip_proto = f->proto;
	p.src = f->ip[from];
	p.dst = f->ip[!from];
	p.sport = f->port[from];
	p.dport = f->port[!from];
	return p;
}

static inline void sc_tcp(ss_analyzer *a, const sc_flow *f, int from, gint64 ms, guint8 flags,
			  guint32 seq, guint32 payload)
{
	ss_packet p = sc_packet(f, from, ms);
	p.l4 = SS_L4_TCP;
	p.tcp.flags = flags;
	p.tcp.window = 65535;   /* a zero window is a Zeek history letter (W) */
	p.tcp.seq = seq;
	p.payload_len = payload;
	p.ip_len = 40 + payload;
	ss_analyzer_decoded(a, &p);
}

static inline void sc_udp(ss_analyzer *a, const sc_flow *f, int from, gint64 ms, guint32 payload)
{
	ss_packet p = sc_packet(f, from, ms);
	p.l4 = SS_L4_UDP;
	p.payload_len = payload;
	p.ip_len = 28 + payload;
	ss_analyzer_decoded(a, &p);
}

#endif
