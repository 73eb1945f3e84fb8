/* CSV: one row per connection record, RFC 4180 quoting, LF line ends.
 *
 * Text fields that a spreadsheet would take for a formula (starting with
 * = + - @ TAB or CR) get a leading single quote; numeric fields are
 * written as numbers.  A missing value is an empty field. */
#include <netinet/in.h>
#include <string.h>

#include "report/model.h"
#include "report/out.h"
#include "sockscope/community-id.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/util.h"

static const char header[] =
	"proto,ip_version,client_ip,client_port,server_ip,server_port,service,"
	"outcome,close,evidence,confidence,conn_state,history,first_ts,last_ts,"
	"duration_ms,client_packets,server_packets,client_bytes,server_bytes,"
	"syn_retransmits,synack_retransmits,syn_to_synack_ms,synack_to_ack_ms,"
	"reused_tuple,reuse_cause,community_id,one_sided,started_midstream,snaplen_cut,"
	"syn_gaps_ms,evictions,continues_evicted,tunnel_type,tunnel_vni,tunnel_depth,"
	"tunnel_outer_src,tunnel_outer_dst,tunnel_outer_sport,tunnel_outer_dport,"
	"tunnel_mpls_labels\n";

void ss_csv_field_append(GString *b, const char *s)
{
	if (s == NULL || *s == '\0')
		return;
	gboolean guard = strchr("=+-@\t\r", s[0]) != NULL;
	gboolean quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		g_string_append_c(b, '"');
	if (guard)
		g_string_append_c(b, '\'');
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(b, '"');
		g_string_append_c(b, *p);
	}
	if (quote)
		g_string_append_c(b, '"');
}

static void field(GString *b, const char *s, gboolean first)
{
	if (!first)
		g_string_append_c(b, ',');
	ss_csv_field_append(b, s);
}

static void field_u64(GString *b, guint64 v)
{
	g_string_append_printf(b, ",%" G_GUINT64_FORMAT, v);
}

static void field_time(GString *b, gint64 ns, gboolean nanosecond)
{
	g_string_append_c(b, ',');
	if (ns != SS_NO_TIME)
		ss_time_append(b, ns, nanosecond);
}

static void field_ms(GString *b, gint64 ns, gboolean nanosecond)
{
	g_string_append_c(b, ',');
	if (ns != SS_NO_TIME)
		ss_ms_append(b, ns, nanosecond);
}

/* The tunnel context (docs/output.md#tunnel): empty fields for a record
 * that was not tunnelled, and for what the tunnel has not (an id, an outer
 * IP header, outer UDP ports). */
static void tunnel_fields(GString *b, const ss_tunnel *t)
{
	if (t->type == SS_TUNNEL_NONE) {
		g_string_append(b, ",,,,,,,,");
		return;
	}
	field(b, ss_tunnel_type_name((ss_tunnel_type)t->type), FALSE);
	g_string_append_c(b, ',');
	if (t->has_vni)
		g_string_append_printf(b, "%u", (unsigned)t->vni);
	field_u64(b, t->depth);
	char src[SS_IP_STRLEN] = "", dst[SS_IP_STRLEN] = "";
	if (t->family) {
		ss_ip_format(t->family, &t->src, src);
		ss_ip_format(t->family, &t->dst, dst);
	}
	field(b, src, FALSE);
	field(b, dst, FALSE);
	if (t->sport || t->dport) {
		field_u64(b, t->sport);
		field_u64(b, t->dport);
	} else {
		g_string_append(b, ",,");
	}
	/* the MPLS label stack, top first, separated by ';' (like syn_gaps_ms) */
	field(b, t->type == SS_TUNNEL_MPLS && t->labels ? g_quark_to_string(t->labels) : NULL,
	      FALSE);
}

/* Appends one row (with its LF) for a record. */
static void csv_conn(GString *b, const ss_conn *c, gboolean ns)
{
	ss_conn_view v;
	ss_conn_view_make(c, &v);
	const ss_endpoint *cl = v.client, *sv = v.server;
	gboolean tcp = c->proto == IPPROTO_TCP;
	char cip[SS_IP_STRLEN], sip[SS_IP_STRLEN];

	ss_ip_format(c->family, v.client_ip, cip);
	ss_ip_format(c->family, v.server_ip, sip);

	field(b, ss_proto_name(c->proto, "unknown"), TRUE);
	field_u64(b, c->family);
	field(b, cip, FALSE);
	field_u64(b, v.client_port);
	field(b, sip, FALSE);
	field_u64(b, v.server_port);
	field(b, v.service, FALSE);
	field(b, ss_outcome_name(c->outcome), FALSE);
	field(b, ss_close_name(c->close), FALSE);
	field(b, ss_evidence_name(c->evidence), FALSE);
	field(b, ss_confidence_name(c->confidence), FALSE);
	field(b, v.zeek_state, FALSE);
	field(b, v.zeek_history, FALSE);
	field_time(b, v.first, ns);
	field_time(b, v.last, ns);
	field_ms(b, v.duration, ns);
	field_u64(b, cl->packets);
	field_u64(b, sv->packets);
	field_u64(b, cl->payload);
	field_u64(b, sv->payload);
	field_u64(b, ss_conn_tcp_part(c)->syn_retransmits);
	field_u64(b, ss_conn_tcp_part(c)->synack_retransmits);
	field_ms(b, tcp ? ss_conn_syn_to_synack_ns(c) : SS_NO_TIME, ns);
	field_ms(b, tcp ? ss_conn_synack_to_ack_ns(c) : SS_NO_TIME, ns);
	field(b, c->reuse != SS_REUSE_NONE ? "true" : "false", FALSE);
	field(b, c->reuse != SS_REUSE_NONE ? ss_reuse_name(c->reuse) : NULL, FALSE);
	field(b, v.have_community_id ? v.community_id : NULL, FALSE);
	field(b, ss_conn_one_sided(c) ? "true" : "false", FALSE);
	field(b, ss_conn_started_midstream(c) ? "true" : "false", FALSE);
	field_u64(b, c->snaplen_cut);
	/* the gaps between SYN copies, separated by ';' (empty: none or UDP) */
	g_string_append_c(b, ',');
	for (guint i = 0; tcp && i < MIN(ss_conn_tcp_part(c)->syn_retransmits, SS_SYN_GAPS_MAX); i++) {
		if (i > 0)
			g_string_append_c(b, ';');
		ss_ms_append(b, ss_conn_syn_gap_ns(c, i), ns);
	}
	field_u64(b, c->evictions);
	field(b, c->continues ? "true" : "false", FALSE);
	tunnel_fields(b, ss_conn_tunnel(c));
	g_string_append_c(b, '\n');
}


gboolean ss_render_csv(const ss_report *r, FILE *out)
{
	GString *b = g_string_sized_new(131072);
	gboolean ok = TRUE;

	g_string_append(b, header);
	for (guint i = 0; ok && r->conns != NULL && i < r->conns->len; i++) {
		csv_conn(b, g_ptr_array_index(r->conns, i), r->summary.nanosecond);
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	return ss_out_finish(b, out, ok);
}
