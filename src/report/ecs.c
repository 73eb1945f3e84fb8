/* Elastic Common Schema (ECS 8.11.0): one JSON document per line per
 * connection record.  The client is both ECS's client and its source, the
 * server both its server and its destination (roles unknown: no client or
 * server, the source is the first packet's sender); what ECS has no field for
 * goes under "sockscope".  docs/output.md lists every field. */
#include <netinet/in.h>

#include "report/json-writer.h"
#include "report/model.h"
#include "report/out.h"
#include "sockscope/community-id.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/util.h"

#define ECS_VERSION "8.11.0"

/* {"ip", "port", "bytes", "packets"}: bytes are IP bytes as on the wire. */
static void host_(GString *b, const char *qk, gsize n, guint8 family, const ss_ip *ip,
		  guint16 port, const ss_endpoint *e)
{
	key_(b, qk, n);
	g_string_append_c(b, '{');
	kv_ip(b, "ip", family, ip);
	g_string_append_c(b, ',');
	kv_u64(b, "port", port);
	g_string_append_c(b, ',');
	kv_u64(b, "bytes", e->bytes);
	g_string_append_c(b, ',');
	kv_u64(b, "packets", e->packets);
	g_string_append_c(b, '}');
}
#define host(b, k, family, ip, port, e) host_((b), QKEY(k), (family), (ip), (port), (e))

/* event.outcome: from the capture's point of view, did the client reach
 * the server? */
static const char *ecs_outcome(ss_outcome o)
{
	switch (o) {
	case SS_OUTCOME_COMPLETE:
	case SS_OUTCOME_MIDSTREAM:
	case SS_OUTCOME_SIMULTANEOUS:
	case SS_OUTCOME_ANSWERED:
		return "success";
	case SS_OUTCOME_REJECTED:
		return "failure";
	case SS_OUTCOME_UNANSWERED:
	case SS_OUTCOME_INCOMPLETE:
	case SS_OUTCOME_UNKNOWN:
	case SS_OUTCOME_COUNT:
		break;
	}
	return "unknown";
}

/* event.type: always "connection"; "start" when the capture holds the TCP
 * opening (a SYN), "denied" when the attempt was refused, "end" when an
 * established TCP connection was closed by FIN both ways or by a RST. */
static void ecs_types(GString *b, const ss_conn *c)
{
	gboolean tcp = c->proto == IPPROTO_TCP;
	key(b, "type");
	ss_append_lit(b, "[\"connection\"");
	if (tcp && c->syn_side >= 0)
		ss_append_lit(b, ",\"start\"");
	if (c->outcome == SS_OUTCOME_REJECTED)
		ss_append_lit(b, ",\"denied\"");
	else if (tcp && (c->close == SS_CLOSE_FIN || c->close == SS_CLOSE_RST_CLIENT ||
			 c->close == SS_CLOSE_RST_SERVER))
		ss_append_lit(b, ",\"end\"");
	g_string_append_c(b, ']');
}

static void ecs_conn(GString *b, const ss_conn *c, gboolean ns)
{
	ss_conn_view v;
	ss_conn_view_make(c, &v);
	const ss_endpoint *cl = v.client, *sv = v.server;
	gboolean tcp = c->proto == IPPROTO_TCP;
	gboolean timed = v.duration != SS_NO_TIME;
	gint64 first = v.first, last = v.last;

	g_string_append_c(b, '{');
	if (timed) {
		kv_time(b, "@timestamp", first, ns);
		g_string_append_c(b, ',');
	}
	key(b, "ecs");
	g_string_append_c(b, '{');
	kv_str(b, "version", ECS_VERSION);
	g_string_append(b, "},");

	key(b, "event");
	g_string_append_c(b, '{');
	kv_str(b, "kind", "event");
	g_string_append_c(b, ',');
	key(b, "category");
	ss_append_lit(b, "[\"network\"],");
	ecs_types(b, c);
	g_string_append_c(b, ',');
	kv_str(b, "outcome", ecs_outcome(c->outcome));
	if (timed) {
		g_string_append_c(b, ',');
		kv_u64(b, "duration", (guint64)(last - first));
		g_string_append_c(b, ',');
		kv_time(b, "start", first, ns);
		g_string_append_c(b, ',');
		kv_time(b, "end", last, ns);
	}
	g_string_append_c(b, ',');
	kv_str(b, "dataset", "sockscope.connection");
	g_string_append(b, "},");

	host(b, "source", c->family, v.client_ip, v.client_port, cl);
	g_string_append_c(b, ',');
	host(b, "destination", c->family, v.server_ip, v.server_port, sv);
	g_string_append_c(b, ',');
	/* ECS's client/server are roles: left out when they are unknown,
	 * source/destination then being the first packet's direction. */
	if (!ss_conn_roles_unknown(c)) {
		host(b, "client", c->family, v.client_ip, v.client_port, cl);
		g_string_append_c(b, ',');
		host(b, "server", c->family, v.server_ip, v.server_port, sv);
		g_string_append_c(b, ',');
	}

	key(b, "network");
	g_string_append_c(b, '{');
	kv_str(b, "transport", ss_proto_name(c->proto, "unknown"));
	g_string_append_c(b, ',');
	kv_str(b, "type", c->family == SS_FAMILY_IPV6 ? "ipv6" : "ipv4");
	g_string_append_c(b, ',');
	key(b, "iana_number");
	g_string_append_c(b, '"');
	ss_u64_append(b, c->proto);
	g_string_append_c(b, '"');
	if (v.have_community_id) {
		g_string_append_c(b, ',');
		kv_str(b, "community_id", v.community_id);
	}
	g_string_append_c(b, ',');
	kv_u64(b, "bytes", cl->bytes + sv->bytes);
	g_string_append_c(b, ',');
	kv_u64(b, "packets", cl->packets + sv->packets);
	g_string_append(b, "},");

	key(b, "sockscope");
	g_string_append_c(b, '{');
	kv_str(b, "service", v.service);
	g_string_append_c(b, ',');
	kv_str(b, "outcome", ss_outcome_name(c->outcome));
	g_string_append_c(b, ',');
	kv_str(b, "evidence", ss_evidence_name(c->evidence));
	g_string_append_c(b, ',');
	kv_str(b, "confidence", ss_confidence_name(c->confidence));
	g_string_append_c(b, ',');
	kv_str(b, "close", ss_close_name(c->close));
	g_string_append_c(b, ',');
	kv_str(b, "conn_state", v.zeek_state);
	g_string_append_c(b, ',');
	kv_str(b, "history", v.zeek_history);
	g_string_append_c(b, ',');
	key(b, "payload_bytes");
	g_string_append_c(b, '{');
	kv_u64(b, "client", cl->payload);
	g_string_append_c(b, ',');
	kv_u64(b, "server", sv->payload);
	g_string_append(b, "},");
	kv_u64(b, "syn_retransmits", ss_conn_tcp_part(c)->syn_retransmits);
	g_string_append_c(b, ',');
	kv_u64(b, "synack_retransmits", ss_conn_tcp_part(c)->synack_retransmits);
	g_string_append_c(b, ',');
	kv_ms(b, "syn_to_synack_ms", tcp ? ss_conn_syn_to_synack_ns(c) : SS_NO_TIME, ns);
	g_string_append_c(b, ',');
	kv_ms(b, "synack_to_ack_ms", tcp ? ss_conn_synack_to_ack_ns(c) : SS_NO_TIME, ns);
	g_string_append_c(b, ',');
	kv_bool(b, "reused_tuple", c->reuse != SS_REUSE_NONE);
	g_string_append_c(b, ',');
	kv_str(b, "reuse_cause", c->reuse != SS_REUSE_NONE ? ss_reuse_name(c->reuse) : NULL);
	g_string_append_c(b, ',');
	key(b, "icmp");
	ss_json_icmp_append(b, c);
	g_string_append_c(b, ',');
	key(b, "tcp_options");
	ss_json_tcp_options_append(b, c);
	/* ECS has fields for VLAN tags only (network.vlan, network.inner.vlan),
	 * none for a tunnel: its context goes with sockscope's own, present
	 * only on tunnelled records. */
	if (ss_conn_tunnel(c)->type != SS_TUNNEL_NONE) {
		g_string_append_c(b, ',');
		key(b, "tunnel");
		ss_json_tunnel_append(b, ss_conn_tunnel(c));
	}
	g_string_append(b, "}}\n");
}


gboolean ss_render_ecs(const ss_report *r, FILE *out)
{
	GString *b = g_string_sized_new(131072);
	gboolean ok = TRUE;

	for (guint i = 0; ok && r->conns != NULL && i < r->conns->len; i++) {
		ecs_conn(b, g_ptr_array_index(r->conns, i), r->summary.nanosecond);
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	return ss_out_finish(b, out, ok);
}
