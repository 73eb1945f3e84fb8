/* The connection line of json and jsonl (ss_json_conn), written by hand.
 *
 * jsonl writes one of these per connection record, so on captures with
 * many records this line is a large part of sockscope's time (issue 14;
 * docs/performance.md, "The jsonl line writer").  It used to go through
 * the key/value writers of report/json-writer.h, each of which checks the
 * GString's room, appends and writes a NUL, field by field (about 90
 * appends a line).  Here the line's longest possible length is reserved
 * once and the line is written at a pointer:
 *   - the literal text between two values (the closing quote, the comma,
 *     the next key and its opening quote) is one memcpy of a length known
 *     at compile time (put_lit);
 *   - numbers, times, durations and addresses are written in place by
 *     core/format.c's *_put writers (the same code as their *_append
 *     forms, so every format still prints them alike);
 *   - names from sockscope's own tables are copied without the escaping
 *     scan; only the service name, which may come from the system's
 *     services database, is escaped.
 * The key order and every byte are those of the writer this replaces
 * (docs/output.md; the goldens and bench/same-bytes.sh compare them).
 * The rare tunnel object goes through the ordinary GString writers. */
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "report/json-writer.h"
#include "report/model.h"
#include "sockscope/decide.h"
#include "sockscope/render.h"

/* A name and its length: the line's room is reserved before it is written. */
typedef struct {
	const char *s;   /* NULL is written as null */
	gsize n;
} name;

static inline name nm(const char *s)
{
	return (name){ s, s ? strlen(s) : 0 };
}

/* The names of a record's protocol, outcome, close, evidence, confidence, reuse
 * cause and end, with their lengths, made once (conn.c's tables are
 * constant): measuring them was one strlen call each a line, ~3% of the
 * writer thread on mixed.pcap with the other names' (perf,
 * docs/performance.md, "Writer and findings, twelfth session"). */
typedef struct {
	name outcome[SS_OUTCOME_COUNT];
	name close[SS_CLOSE_COUNT];
	name evidence[SS_EVIDENCE_COUNT];
	name confidence[SS_CONFIDENCE_HIGH + 1];
	name reuse[SS_REUSE_WHILE_OPEN + 1];
	name ended[SS_END_COUNT];
	name proto[256];   /* "tcp", "udp", else "unknown" */
} line_names;

static line_names names_made;
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_make(void)
{
	line_names *t = &names_made;
	for (guint i = 0; i < G_N_ELEMENTS(t->outcome); i++)
		t->outcome[i] = nm(ss_outcome_name((ss_outcome)i));
	for (guint i = 0; i < G_N_ELEMENTS(t->close); i++)
		t->close[i] = nm(ss_close_name((ss_close)i));
	for (guint i = 0; i < G_N_ELEMENTS(t->evidence); i++)
		t->evidence[i] = nm(ss_evidence_name((ss_evidence)i));
	for (guint i = 0; i < G_N_ELEMENTS(t->confidence); i++)
		t->confidence[i] = nm(ss_confidence_name((ss_confidence)i));
	for (guint i = 0; i < G_N_ELEMENTS(t->reuse); i++)
		t->reuse[i] = nm(ss_reuse_name((ss_reuse)i));
	for (guint i = 0; i < G_N_ELEMENTS(t->ended); i++)
		t->ended[i] = nm(ss_end_name((ss_end)i));
	for (guint i = 0; i < G_N_ELEMENTS(t->proto); i++)
		t->proto[i] = nm(ss_proto_name((guint8)i, "unknown"));
}

static const line_names *line_names_get(void)
{
	pthread_once(&names_once, names_make);
	return &names_made;
}

/* table[v] when v is inside it, else what `slow` names it ("unknown"). */
#define NAME_OF(table, v, slow)                                                      \
	((guint)(v) < G_N_ELEMENTS(table) ? (table)[(guint)(v)] : nm(slow(v)))

/* Copies a short text (a name: most are 4 to 16 bytes) with two
 * overlapping loads and stores of a fixed size, inside the text's bytes,
 * instead of a call to memcpy for each of a line's nine names. */
static inline void copy_short(char *p, const char *s, gsize n)
{
	if (n >= 8 && n <= 16) {
		guint64 a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(p, &a, 8);
		memcpy(p + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		guint32 a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(p, &a, 4);
		memcpy(p + n - 4, &b, 4);
	} else if (n > 16) {
		memcpy(p, s, n);
	} else {
		for (gsize i = 0; i < n; i++)
			p[i] = s[i];
	}
}

static inline char *put_name(char *p, name v)
{
	if (v.s == NULL) {
		put_lit(p, "null");
		return p;
	}
	*p++ = '"';
	copy_short(p, v.s, v.n);
	p += v.n;
	*p++ = '"';
	return p;
}

static inline char *put_time(char *p, gint64 ns, gboolean nanosecond)
{
	if (ns == SS_NO_TIME) {
		put_lit(p, "null");
		return p;
	}
	*p++ = '"';
	p = ss_time_put(p, ns, nanosecond);
	*p++ = '"';
	return p;
}

static inline char *put_ms(char *p, gint64 ns, gboolean nanosecond)
{
	if (ns == SS_NO_TIME) {
		put_lit(p, "null");
		return p;
	}
	return ss_ms_put(p, ns, nanosecond);
}

static inline char *put_bool(char *p, gboolean v)
{
	if (v)
		put_lit(p, "true");
	else
		put_lit(p, "false");
	return p;
}

/* {"client":N,"server":N} */
static inline char *put_pair(char *p, guint64 client, guint64 server)
{
	put_lit(p, "{\"client\":");
	p = ss_u64_put(p, client);
	put_lit(p, ",\"server\":");
	p = ss_u64_put(p, server);
	*p++ = '}';
	return p;
}

/* The line's length without its names, service and tunnel object, at the
 * most: the literal text (about 680 bytes; LITERAL_MAX leaves room) and
 * every value at its longest. */
#define LITERAL_MAX 1024
#define VALUES_MAX                                                                       \
	(2 * SS_IP_STRLEN + SS_COMMUNITY_ID_LEN + SS_HISTORY_MAX + 2 +                   \
	 2 * SS_TIME_MAXLEN + (3 + SS_SYN_GAPS_MAX) * (SS_MS_MAXLEN + 1) +               \
	 12 * SS_U64_MAXLEN + SS_JSON_ICMP_MAXLEN + SS_JSON_TCP_OPTIONS_MAXLEN)

void ss_json_conn(GString *b, const ss_conn *c, gboolean nanosecond)
{
	ss_conn_view v;
	ss_conn_view_make(c, &v);
	const ss_endpoint *cl = v.client, *sv = v.server;
	gboolean tcp = c->proto == IPPROTO_TCP;
	gboolean unknown = ss_conn_roles_unknown(c);   /* docs/output.md#unknown-roles */
	const line_names *names = line_names_get();
	name proto = names->proto[c->proto];
	name outcome = NAME_OF(names->outcome, c->outcome, ss_outcome_name);
	name evidence = NAME_OF(names->evidence, c->evidence, ss_evidence_name);
	name confidence = NAME_OF(names->confidence, c->confidence, ss_confidence_name);
	name close = NAME_OF(names->close, c->close, ss_close_name);
	name state = { v.zeek_state, v.zeek_state_len };
	name reuse = c->reuse != SS_REUSE_NONE ? NAME_OF(names->reuse, c->reuse, ss_reuse_name)
					       : nm(NULL);
	name ended = NAME_OF(names->ended, c->ended_by, ss_end_name);
	gsize service_n = v.service_len;
	gsize room = LITERAL_MAX + VALUES_MAX + SS_JSON_ESCAPED_MAX(service_n) + proto.n +
		     outcome.n + evidence.n + confidence.n + close.n + state.n + reuse.n + ended.n;
	char *start = ss_reserve(b, room), *p = start;

	put_lit(p, "{\"kind\":\"connection\",\"proto\":");
	p = put_name(p, proto);
	put_lit(p, ",\"ip_version\":");
	p = ss_u64_put(p, c->family);
	put_lit(p, ",\"community_id\":");
	if (v.have_community_id) {
		*p++ = '"';
		p = memcpy(p, v.community_id, SS_COMMUNITY_ID_LEN - 1);   /* always 30 */
		p += SS_COMMUNITY_ID_LEN - 1;
		*p++ = '"';
	} else {
		put_lit(p, "null");
	}
	if (G_UNLIKELY(unknown)) {
		/* Nobody is called client or server: the two sides, the first
		 * packet's sender first, each with what it sent (the literal
		 * text grows by about 40 bytes, within LITERAL_MAX; the values
		 * are the same addresses and counts as in the pairs). */
		put_lit(p, ",\"client\":null,\"server\":null,\"endpoints\":[");
		for (int i = 0; i < 2; i++) {
			put_lit(p, "{\"ip\":\"");
			p += ss_ip_format(c->family, ss_conn_ip(c, i), p);
			put_lit(p, "\",\"port\":");
			p = ss_u64_put(p, ss_conn_port(c, i));
			put_lit(p, ",\"packets\":");
			p = ss_u64_put(p, c->ep[i].packets);
			put_lit(p, ",\"bytes\":");
			p = ss_u64_put(p, c->ep[i].payload);
			put_lit(p, ",\"ip_bytes\":");
			p = ss_u64_put(p, c->ep[i].bytes);
			*p++ = '}';
			*p++ = i == 0 ? ',' : ']';
		}
		put_lit(p, ",\"service\":");
	} else {
		put_lit(p, ",\"client\":{\"ip\":\"");
		p += ss_ip_format(c->family, v.client_ip, p);
		put_lit(p, "\",\"port\":");
		p = ss_u64_put(p, v.client_port);
		put_lit(p, "},\"server\":{\"ip\":\"");
		p += ss_ip_format(c->family, v.server_ip, p);
		put_lit(p, "\",\"port\":");
		p = ss_u64_put(p, v.server_port);
		put_lit(p, "},\"service\":");
	}
	p = ss_json_escape_put(p, v.service, service_n);
	put_lit(p, ",\"outcome\":");
	p = put_name(p, outcome);
	put_lit(p, ",\"evidence\":");
	p = put_name(p, evidence);
	put_lit(p, ",\"confidence\":");
	p = put_name(p, confidence);
	put_lit(p, ",\"close\":");
	p = put_name(p, close);
	put_lit(p, ",\"conn_state\":");
	p = put_name(p, state);
	put_lit(p, ",\"history\":");   /* Zeek history letters */
	p = put_name(p, (name){ v.zeek_history, v.zeek_history_len });
	put_lit(p, ",\"first_ts\":");
	p = put_time(p, v.first, nanosecond);
	put_lit(p, ",\"last_ts\":");
	p = put_time(p, v.last, nanosecond);
	put_lit(p, ",\"duration_ms\":");
	p = put_ms(p, v.duration, nanosecond);
	if (G_UNLIKELY(unknown)) {
		/* the per-side counts are in "endpoints" */
		put_lit(p, ",\"packets\":null,\"bytes\":null,\"ip_bytes\":null");
	} else {
		put_lit(p, ",\"packets\":");
		p = put_pair(p, cl->packets, sv->packets);
		put_lit(p, ",\"bytes\":");
		p = put_pair(p, cl->payload, sv->payload);
		put_lit(p, ",\"ip_bytes\":");
		p = put_pair(p, cl->bytes, sv->bytes);
	}
	put_lit(p, ",\"syn_retransmits\":");
	p = ss_u64_put(p, ss_conn_tcp_part(c)->syn_retransmits);
	put_lit(p, ",\"synack_retransmits\":");
	p = ss_u64_put(p, ss_conn_tcp_part(c)->synack_retransmits);
	put_lit(p, ",\"syn_to_synack_ms\":");
	p = put_ms(p, tcp ? ss_conn_syn_to_synack_ns(c) : SS_NO_TIME, nanosecond);
	put_lit(p, ",\"synack_to_ack_ms\":");
	p = put_ms(p, tcp ? ss_conn_synack_to_ack_ns(c) : SS_NO_TIME, nanosecond);
	put_lit(p, ",\"reused_tuple\":");
	p = put_bool(p, c->reuse != SS_REUSE_NONE);
	put_lit(p, ",\"reuse_cause\":");
	p = put_name(p, reuse);
	put_lit(p, ",\"ended_by\":");
	p = put_name(p, ended);
	put_lit(p, ",\"icmp\":");
	p = ss_json_icmp_put(p, c);
	put_lit(p, ",\"tcp_options\":");
	p = ss_json_tcp_options_put(p, c);
	put_lit(p, ",\"syn_gaps_ms\":");
	if (!tcp) {
		put_lit(p, "null");
	} else {
		*p++ = '[';
		guint n = MIN(ss_conn_tcp_part(c)->syn_retransmits, SS_SYN_GAPS_MAX);
		for (guint i = 0; i < n; i++) {
			if (i > 0)
				*p++ = ',';
			p = ss_ms_put(p, ss_conn_syn_gap_ns(c, i), nanosecond);
		}
		*p++ = ']';
	}
	put_lit(p, ",\"quality\":{\"one_sided\":");
	p = put_bool(p, ss_conn_one_sided(c));
	put_lit(p, ",\"started_midstream\":");
	p = put_bool(p, ss_conn_started_midstream(c));
	put_lit(p, ",\"snaplen_cut\":");
	p = ss_u64_put(p, c->snaplen_cut);
	put_lit(p, ",\"evictions\":");
	p = ss_u64_put(p, c->evictions);
	put_lit(p, ",\"continues_evicted\":");
	p = put_bool(p, c->continues != 0);
	*p++ = '}';
	/* The room was reserved for the longest line; a longer one would have
	 * overrun it already, so this is a check on LITERAL_MAX, not a guard. */
	g_assert((gsize)(p - start) < room);
	if (ss_conn_tunnel(c)->type != SS_TUNNEL_NONE) {
		/* ,"tunnel":{...} of a record that came through a tunnel
		 * (docs/output.md): only such records have the key. */
		ss_commit(b, p);
		g_string_append_c(b, ',');
		key(b, "tunnel");
		ss_json_tunnel_append(b, ss_conn_tunnel(c));
		p = ss_reserve(b, 2);
	}
	put_lit(p, "}\n");
	ss_commit(b, p);
}
