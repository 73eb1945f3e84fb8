/* IPFIX encoding (--ipfix): the templates, the data records and the
 * messages that carry them (RFC 7011, RFC 5103 biflows), handed whole to a
 * send function.  No sockets here, so tests/unit/test-ipfix.c drives it with
 * an injected send function and clock; the transport is ipfix-socket.c.
 * See sockscope/export-ipfix.h and docs/output.md#ipfix. */
#include "sockscope/export-ipfix.h"

#include <netinet/in.h>
#include <string.h>
#include <time.h>

/* ---- templates ---- */

typedef struct {
	guint16 id;        /* information element ID */
	guint16 len;       /* field length in bytes */
	gboolean reverse;  /* RFC 5103 reverse element (enterprise bit, PEN 29305) */
} ie;

/* The order of the fields in both templates; only the addresses differ. */
#define IE_SRC_V4 8
#define IE_DST_V4 12
#define IE_SRC_V6 27
#define IE_DST_V6 28
static const ie common_fields[] = {
	{ 7, 2, FALSE },     /* sourceTransportPort: the client's */
	{ 11, 2, FALSE },    /* destinationTransportPort: the server's */
	{ 4, 1, FALSE },     /* protocolIdentifier */
	{ 152, 8, FALSE },   /* flowStartMilliseconds */
	{ 153, 8, FALSE },   /* flowEndMilliseconds */
	{ 2, 8, FALSE },     /* packetDeltaCount: client -> server */
	{ 1, 8, FALSE },     /* octetDeltaCount: IP bytes client -> server */
	{ 2, 8, TRUE },      /* reversePacketDeltaCount: server -> client */
	{ 1, 8, TRUE },      /* reverseOctetDeltaCount */
	{ 6, 2, FALSE },     /* tcpControlBits: flags the client sent */
	{ 6, 2, TRUE },      /* reverseTcpControlBits: flags the server sent */
	{ 239, 1, FALSE },   /* biflowDirection: 1 = initiator */
	{ 136, 1, FALSE },   /* flowEndReason */
};

#define MSG_HEADER 16
#define SET_HEADER 4

static gsize record_len(guint8 family)
{
	gsize n = family == SS_FAMILY_IPV6 ? 32 : 8;
	for (gsize i = 0; i < G_N_ELEMENTS(common_fields); i++)
		n += common_fields[i].len;
	return n;
}

static guint8 *put16(guint8 *p, guint16 v)
{
	p[0] = (guint8)(v >> 8);
	p[1] = (guint8)v;
	return p + 2;
}

static guint8 *put32(guint8 *p, guint32 v)
{
	p = put16(p, (guint16)(v >> 16));
	return put16(p, (guint16)v);
}

static guint8 *put64(guint8 *p, guint64 v)
{
	p = put32(p, (guint32)(v >> 32));
	return put32(p, (guint32)v);
}

static guint8 *put_field(guint8 *p, const ie *f)
{
	p = put16(p, (guint16)(f->id | (f->reverse ? 0x8000 : 0)));
	p = put16(p, f->len);
	if (f->reverse)
		p = put32(p, SS_IPFIX_REVERSE_PEN);
	return p;
}

static guint8 *put_template(guint8 *p, guint16 template_id, guint8 family)
{
	gboolean v6 = family == SS_FAMILY_IPV6;
	const ie src = { v6 ? IE_SRC_V6 : IE_SRC_V4, v6 ? 16 : 4, FALSE };
	const ie dst = { v6 ? IE_DST_V6 : IE_DST_V4, v6 ? 16 : 4, FALSE };
	p = put16(p, template_id);
	p = put16(p, (guint16)(2 + G_N_ELEMENTS(common_fields)));
	p = put_field(p, &src);
	p = put_field(p, &dst);
	for (gsize i = 0; i < G_N_ELEMENTS(common_fields); i++)
		p = put_field(p, &common_fields[i]);
	return p;
}

/* One template set with both templates. */
static gsize template_set_len(void)
{
	gsize fields = 4 * (2 + G_N_ELEMENTS(common_fields));
	for (gsize i = 0; i < G_N_ELEMENTS(common_fields); i++)
		fields += common_fields[i].reverse ? 4 : 0;
	return SET_HEADER + 2 * (4 + fields);
}

static guint8 *put_template_set(guint8 *p)
{
	guint8 *set = p;
	p = put16(p, 2);   /* Set ID 2: template set */
	p = put16(p, 0);   /* length, below */
	p = put_template(p, SS_IPFIX_TEMPLATE_V4, SS_FAMILY_IPV4);
	p = put_template(p, SS_IPFIX_TEMPLATE_V6, SS_FAMILY_IPV6);
	put16(set + 2, (guint16)(p - set));
	return p;
}

/* ---- record values ---- */

guint8 ss_ipfix_end_reason(const ss_conn *c)
{
	switch ((ss_end)c->ended_by) {
	case SS_END_IDLE:
		return 0x01;   /* idle timeout */
	case SS_END_CLOSED:
	case SS_END_REUSED:
		return 0x03;   /* end of flow detected: FIN/RST, or a new SYN took the tuple */
	case SS_END_EVICTED:
		return 0x05;   /* lack of resources: --max-flows */
	case SS_END_CAPTURE:
	default:
		return 0x04;   /* forced end: the capture ended */
	}
}

guint16 ss_ipfix_tcp_flags(const ss_conn *c, int side)
{
	if (c->proto != IPPROTO_TCP)
		return 0;
	guint8 sent = c->sent[side];
	guint16 f = 0;
	if (sent & SS_SENT_SYN)
		f |= 0x02;
	if (sent & SS_SENT_SYNACK)
		f |= 0x12;
	if (sent & SS_SENT_ACK)
		f |= 0x10;
	if (sent & SS_SENT_FIN)
		f |= 0x01;
	if (sent & SS_SENT_RST)
		f |= 0x04;
	return f;
}

/* dateTimeMilliseconds is unsigned: times before 1970 become 0. */
static guint64 ms_of(gint64 ns)
{
	return ns == SS_NO_TIME || ns < 0 ? 0 : (guint64)(ns / 1000000);
}

static guint8 *put_record(guint8 *p, const ss_conn *c)
{
	const ss_endpoint *cl = ss_conn_client(c), *sv = ss_conn_server(c);
	gsize alen = c->family == SS_FAMILY_IPV6 ? 16 : 4;
	gint64 first, last;
	ss_conn_span(c, &first, &last);
	memcpy(p, ss_conn_client_ip(c)->bytes, alen);
	p += alen;
	memcpy(p, ss_conn_server_ip(c)->bytes, alen);
	p += alen;
	p = put16(p, ss_conn_client_port(c));
	p = put16(p, ss_conn_server_port(c));
	*p++ = c->proto;
	p = put64(p, ms_of(first));
	p = put64(p, ms_of(last));
	p = put64(p, cl->packets);
	p = put64(p, cl->bytes);
	p = put64(p, sv->packets);
	p = put64(p, sv->bytes);
	p = put16(p, ss_ipfix_tcp_flags(c, c->client));
	p = put16(p, ss_ipfix_tcp_flags(c, !c->client));
	/* biflowDirection (RFC 5103): 1, the source is the initiator; 0,
	 * arbitrary, when the roles are unknown (the source is then the first
	 * packet's sender) */
	*p++ = ss_conn_roles_unknown(c) ? 0 : 1;
	*p++ = ss_ipfix_end_reason(c);
	return p;
}

/* ---- the encoder ---- */

struct ss_ipfix_encoder {
	ss_ipfix_config cfg;
	ss_ipfix_send_fn send;
	gpointer send_data;
	guint8 *buf;
	gsize len;              /* bytes in buf; 0 = no message started */
	gsize set_start;        /* offset of the open data set's header, 0 = none */
	guint16 set_id;
	guint msg_records;      /* data records in the message being built */
	guint64 records;        /* data records added, all messages */
	guint64 seq_base;       /* records in the messages before this one */
	guint64 messages;
	gboolean templates_sent;
	guint32 template_time;  /* export time of the last template set */
	guint msgs_since_templates;
};

void ss_ipfix_config_init(ss_ipfix_config *cfg, ss_ipfix_transport transport)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->domain_id = 1;
	cfg->session = transport == SS_IPFIX_TCP;
	cfg->template_refresh_s = 60;
	cfg->template_refresh_msgs = 100;
	/* UDP: under a 1500-byte MTU with IPv6 and UDP headers.  TCP: one
	 * message per ~64 KiB, well below the 65535 limit of its length. */
	cfg->max_message = transport == SS_IPFIX_TCP ? 65000 : 1400;
}

static guint32 export_time(const ss_ipfix_encoder *e)
{
	if (e->cfg.clock)
		return e->cfg.clock(e->cfg.clock_data);
	return (guint32)time(NULL);
}

ss_ipfix_encoder *ss_ipfix_encoder_new(const ss_ipfix_config *cfg, ss_ipfix_send_fn send,
				       gpointer send_data)
{
	ss_ipfix_encoder *e = g_new0(ss_ipfix_encoder, 1);
	e->cfg = *cfg;
	gsize floor = MSG_HEADER + template_set_len() + SET_HEADER + record_len(SS_FAMILY_IPV6);
	e->cfg.max_message = CLAMP(e->cfg.max_message, floor, 65535);
	e->send = send;
	e->send_data = send_data;
	e->buf = g_malloc(e->cfg.max_message);
	return e;
}

void ss_ipfix_encoder_free(ss_ipfix_encoder *e)
{
	if (!e)
		return;
	g_free(e->buf);
	g_free(e);
}

guint64 ss_ipfix_encoder_records(const ss_ipfix_encoder *e)
{
	return e->records;
}

guint64 ss_ipfix_encoder_messages(const ss_ipfix_encoder *e)
{
	return e->messages;
}

static void close_set(ss_ipfix_encoder *e)
{
	if (e->set_start) {
		put16(e->buf + e->set_start + 2, (guint16)(e->len - e->set_start));
		e->set_start = 0;
	}
}

/* Starts a message: the header is filled in when it is sent; the
 * templates go first when they are due. */
static void start_message(ss_ipfix_encoder *e)
{
	e->len = MSG_HEADER;
	e->msg_records = 0;
	e->seq_base = e->records;
	gboolean due = !e->templates_sent;
	if (!due && !e->cfg.session) {
		guint32 now = export_time(e);
		due = now - e->template_time >= e->cfg.template_refresh_s ||
		      e->msgs_since_templates >= e->cfg.template_refresh_msgs;
	}
	if (due) {
		e->len = (gsize)(put_template_set(e->buf + e->len) - e->buf);
		e->templates_sent = TRUE;
		e->template_time = export_time(e);
		e->msgs_since_templates = 0;
	}
}

gboolean ss_ipfix_encoder_flush(ss_ipfix_encoder *e, GError **error)
{
	if (e->len == 0 || e->msg_records == 0)
		return TRUE;   /* templates alone wait for the first record */
	close_set(e);
	guint8 *p = e->buf;
	p = put16(p, 10);                        /* version: IPFIX */
	p = put16(p, (guint16)e->len);
	p = put32(p, export_time(e));
	p = put32(p, (guint32)e->seq_base);     /* data records before this message, mod 2^32 */
	put32(p, e->cfg.domain_id);
	gsize len = e->len;
	e->len = 0;
	e->messages++;
	e->msgs_since_templates++;
	return e->send(e->buf, len, e->send_data, error);
}

gboolean ss_ipfix_encoder_add(ss_ipfix_encoder *e, const ss_conn *c, GError **error)
{
	guint16 set_id = c->family == SS_FAMILY_IPV6 ? SS_IPFIX_TEMPLATE_V6 : SS_IPFIX_TEMPLATE_V4;
	gsize need = record_len(c->family);
	gboolean ok = TRUE;
	if (e->len > 0) {
		gsize room = need + (e->set_start && e->set_id == set_id ? 0 : SET_HEADER);
		if (e->len + room > e->cfg.max_message)
			ok = ss_ipfix_encoder_flush(e, error);
	}
	if (e->len == 0)
		start_message(e);
	if (!e->set_start || e->set_id != set_id) {
		close_set(e);
		e->set_start = e->len;
		e->set_id = set_id;
		put16(e->buf + e->len, set_id);
		e->len += SET_HEADER;
	}
	e->len = (gsize)(put_record(e->buf + e->len, c) - e->buf);
	e->msg_records++;
	e->records++;
	if (e->cfg.flush_each && ok)
		ok = ss_ipfix_encoder_flush(e, error);
	else if (e->cfg.flush_each)
		ss_ipfix_encoder_flush(e, NULL);
	return ok;
}
