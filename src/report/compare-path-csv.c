/* Path mode's compare model as CSV (part of the csv format,
 * scripts/check-layers.py FORMAT_PARTS): one table whose first column
 * names the record as in jsonl (compare_conn, translator, finding), other
 * columns empty where a record has no such value.  Lists inside a cell
 * (lost packets, injected resets, evidence) are joined with spaces as
 * kind:direction:count.  Quoting and the formula guard are the csv
 * format's (ss_csv_field_append). */
#include "report/out.h"

#include "sockscope/compare.h"
#include "sockscope/format.h"
#include "sockscope/ip.h"
#include "sockscope/render.h"

#include <string.h>

static const char header[] =
	"record,proto,seen,first_ts,a_client,a_server,b_client,b_server,"
	"client_assigned,client_translated,server_addressed,server_translated,translation,"
	"match_evidence,confidence,lost,injected_resets,delay_a_to_b_us,delay_b_to_a_us,"
	"retransmits_a,retransmits_b,idle_drop_s,statement\n";

static void field(GString *b, const char *s)
{
	g_string_append_c(b, ',');
	ss_csv_field_append(b, s);
}

static void field_take(GString *b, GString *t)
{
	field(b, t->str);
	g_string_truncate(t, 0);
}

static void field_addr(GString *b, GString *t, const ss_cmp_conn *cc, const ss_ip *ip,
		       guint16 port, gboolean have)
{
	if (have)
		ss_addr_port_append(t, cc->family, ip, port);
	field_take(b, t);
}

static void field_us(GString *b, gint64 ns)
{
	g_string_append_c(b, ',');
	if (ns != SS_NO_TIME)
		ss_i64_append(b, ns / 1000);
}

static void conn_row(GString *b, GString *t, const ss_cmp_conn *cc)
{
	g_string_append(b, "compare_conn");
	field(b, cc->proto == 6 ? "tcp" : "udp");
	field(b, ss_cmp_seen_name((ss_cmp_seen)cc->seen));
	ss_time_append(t, cc->first_ns, TRUE);
	field_take(b, t);
	for (int s = 0; s < 2; s++) {
		gboolean have = (s == 0 ? cc->flow_a : cc->flow_b) >= 0;
		field_addr(b, t, cc, &cc->client_ip[s], cc->client_port[s], have);
		field_addr(b, t, cc, &cc->server_ip[s], cc->server_port[s], have);
	}
	const char *tr = ss_cmp_translation_name(cc);
	int n = ss_cmp_near_side(cc);
	gboolean both = cc->seen == SS_CMP_SEEN_BOTH && n >= 0;
	field_addr(b, t, cc, &cc->client_ip[MAX(n, 0)], cc->client_port[MAX(n, 0)], n >= 0);
	field_addr(b, t, cc, &cc->client_ip[!n], cc->client_port[!n],
		   both && strstr(tr, "snat") != NULL);
	field_addr(b, t, cc, &cc->server_ip[MAX(n, 0)], cc->server_port[MAX(n, 0)], n >= 0);
	field_addr(b, t, cc, &cc->server_ip[!n], cc->server_port[!n],
		   both && strstr(tr, "dnat") != NULL);
	field(b, tr);
	static const char *const ev[] = { "isn", "tcp_options", "payload_hash", "timing",
							  "payload_repeated" };
	for (guint i = 0; i < G_N_ELEMENTS(ev); i++)
		if (cc->evidence & (1u << i))
			g_string_append_printf(t, "%s%s", t->len ? " " : "", ev[i]);
	field_take(b, t);
	field(b, cc->seen == SS_CMP_SEEN_BOTH ?
		 ss_confidence_name((ss_confidence)cc->confidence) : NULL);
	for (int k = 0; k < SS_CMP_PKT_COUNT; k++)
		for (int d = 0; d < 2; d++)
			if (cc->lost[k][d])
				g_string_append_printf(t, "%s%s:%s:%u", t->len ? " " : "",
						       ss_cmp_pkt_kind_name((ss_cmp_pkt_kind)k),
						       d == SS_CMP_DIR_A_TO_B ? "a_to_b" : "b_to_a",
						       cc->lost[k][d]);
	field_take(b, t);
	for (int s = 0; s < 2; s++)
		for (int to = 0; to < 2; to++)
			if (cc->injected_rst[s][to])
				g_string_append_printf(t, "%s%s:%s:%u", t->len ? " " : "",
						       s == 0 ? "a" : "b", to ? "server" : "client",
						       cc->injected_rst[s][to]);
	field_take(b, t);
	field_us(b, cc->delay_ns[SS_CMP_DIR_A_TO_B]);
	field_us(b, cc->delay_ns[SS_CMP_DIR_B_TO_A]);
	g_string_append_printf(b, ",%u,%u,", cc->retransmits[0], cc->retransmits[1]);
	if (cc->idle_drop_ns != SS_NO_TIME)
		ss_ms_append(b, cc->idle_drop_ns / 1000, FALSE);
	g_string_append(b, ",\n");
}

static void translator_row(GString *b, GString *t, const ss_cmp_translator *tr)
{
	g_string_append(b, "translator,,,,,,,,");   /* to client_assigned */
	/* client_translated: the public addresses */
	ss_cmp_public_ips_append(t, tr, " ");
	field_take(b, t);
	g_string_append(b, ",,");
	field(b, tr->kind == SS_CMP_TRANSLATOR_SNAT ? "snat" : "dnat");
	g_string_append(b, ",");
	field(b, ss_confidence_name((ss_confidence)tr->confidence));
	g_string_append(b, ",,,,,,,");
	g_string_append_printf(t, "port allocation %s, %" G_GUINT64_FORMAT " ports %u-%u, %"
			       G_GUINT64_FORMAT " at most at once, exhaustion risk %s; %s",
			       ss_cmp_port_alloc_name((ss_cmp_port_alloc)tr->port_alloc),
			       tr->ports_seen, tr->port_lo, tr->port_hi, tr->max_concurrent,
			       ss_cmp_exhaustion_risk(tr), tr->evidence);
	if (tr->idle_timeout_ns != SS_NO_TIME) {
		g_string_append(t, "; idle timeout ");
		ss_cmp_idle_timeout_append(t, tr);
	}
	field_take(b, t);
	g_string_append_c(b, '\n');
}

gboolean ss_render_compare_path_csv(const ss_compare *c, FILE *out)
{
	GString *b = g_string_sized_new(SS_OUT_FLUSH_AT * 2), *t = g_string_new(NULL);
	gboolean ok = TRUE;
	g_string_append(b, header);
	for (guint i = 0; ok && i < c->conns->len; i++) {
		conn_row(b, t, &g_array_index(c->conns, ss_cmp_conn, i));
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	for (guint i = 0; i < c->translators->len; i++)
		translator_row(b, t, &g_array_index(c->translators, ss_cmp_translator, i));
	for (guint i = 0; i < c->findings->len; i++) {
		const ss_cmp_finding *f = &g_array_index(c->findings, ss_cmp_finding, i);
		/* the severity in the confidence column */
		g_string_append(b, "finding,,,,,,,,,,,,,");
		field(b, ss_cmp_severity_name((ss_cmp_severity)f->severity));
		g_string_append(b, ",,,,,,,");
		field(b, f->text);
		g_string_append_c(b, '\n');
	}
	g_string_free(t, TRUE);
	return ss_out_finish(b, out, ok);
}
