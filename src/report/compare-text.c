/* The compare model as text for people: the summary (mode, clock offset,
 * matched counts), the findings, the translators, one line per
 * connection, and for each connection with lost or injected packets a
 * two-lane sequence diagram (A's lane, B's lane) that shows where the
 * packets stopped.  Part of the text format (scripts/check-layers.py
 * FORMAT_PARTS). */
#include "report/out.h"

#include "sockscope/compare.h"
#include "sockscope/format.h"
#include "sockscope/ip.h"
#include "sockscope/render.h"

#include <string.h>

/* Diagrams drawn at most (the connections with trouble, in order). */
#define TEXT_MAX_DIAGRAMS 10

static void us_append(GString *b, gint64 ns)
{
	if (ns == SS_NO_TIME) {
		g_string_append(b, "?");
		return;
	}
	ss_ms_append(b, ns, FALSE);
	g_string_append(b, " ms");
}

static void side_line(GString *b, const char *label, const ss_cmp_side *s)
{
	g_string_append_printf(b, "  %s: ", label);
	for (guint i = 0; i < s->files->len; i++) {
		if (i)
			g_string_append(b, ", ");
		ss_text_sanitize_append(b, g_ptr_array_index(s->files, i));
	}
	g_string_append_printf(b, " (%" G_GUINT64_FORMAT " packets", s->packets);
	if (s->first_ns != SS_NO_TIME) {
		g_string_append(b, ", ");
		ss_time_append(b, s->first_ns, FALSE);
		g_string_append(b, " to ");
		ss_time_append(b, s->last_ns, FALSE);
	}
	g_string_append(b, ")\n");
}

static gboolean troubled(const ss_cmp_conn *cc)
{
	for (int k = 0; k < SS_CMP_PKT_COUNT; k++)
		if (cc->lost[k][0] || cc->lost[k][1])
			return TRUE;
	return cc->injected_rst[0][0] || cc->injected_rst[0][1] || cc->injected_rst[1][0] ||
	       cc->injected_rst[1][1];
}

/* The side index nearer the client for what this connection shows. */
static int near_side(const ss_cmp_conn *cc)
{
	if (cc->seen == SS_CMP_SEEN_B_ONLY)
		return 1;
	if (cc->seen == SS_CMP_SEEN_A_ONLY)
		return 0;
	return cc->a_near_client == 0 ? 1 : 0;
}

static void conn_line(GString *b, const ss_cmp_conn *cc)
{
	int n = near_side(cc);
	g_string_append_printf(b, "  %-6s %s ", ss_cmp_seen_name((ss_cmp_seen)cc->seen),
			       cc->proto == 6 ? "tcp" : "udp");
	ss_addr_port_append(b, cc->family, &cc->client_ip[n], cc->client_port[n]);
	g_string_append(b, " -> ");
	ss_addr_port_append(b, cc->family, &cc->server_ip[n], cc->server_port[n]);
	if (cc->seen == SS_CMP_SEEN_BOTH) {
		const char *tr = ss_cmp_translation_name(cc);
		if (strcmp(tr, "none") != 0) {
			g_string_append_printf(b, "  [%s: ", tr);
			ss_addr_port_append(b, cc->family, &cc->client_ip[!n], cc->client_port[!n]);
			g_string_append(b, " -> ");
			ss_addr_port_append(b, cc->family, &cc->server_ip[!n], cc->server_port[!n]);
			g_string_append_c(b, ']');
		}
		g_string_append(b, "  delay A->B ");
		us_append(b, cc->delay_ns[SS_CMP_DIR_A_TO_B]);
		g_string_append(b, ", B->A ");
		us_append(b, cc->delay_ns[SS_CMP_DIR_B_TO_A]);
	}
	g_string_append_c(b, '\n');
}

static const char *kind_label(guint8 k)
{
	static const char *const n[] = { "SYN", "SYN-ACK", "ACK", "data", "FIN", "RST" };
	return k < G_N_ELEMENTS(n) ? n[k] : "?";
}

/* Two lanes, A left and B right; an arrow says which way the packet
 * went and "x" marks where it was missing. */
static void diagram(GString *b, const ss_cmp_conn *cc)
{
	gboolean a_near = cc->a_near_client != 0;
	g_string_append(b, "      time (A clock)       A                         B\n");
	for (guint i = 0; cc->lanes && i < cc->lanes->len; i++) {
		const ss_cmp_lane_event *e = &g_array_index(cc->lanes, ss_cmp_lane_event, i);
		gboolean a_to_b = e->to_server == a_near;
		GString *t = g_string_new(NULL);
		ss_time_append(t, e->ts_ns, FALSE);
		const char *ts = t->len > 11 ? t->str + 11 : t->str;   /* the time of day */
		char mid[40];
		const char *label = kind_label(e->kind);
		if (e->at_a && e->at_b)
			g_snprintf(mid, sizeof mid, a_to_b ? "---- %-7s --->" : "<--- %-7s ----", label);
		else if (e->at_a)
			g_snprintf(mid, sizeof mid, a_to_b ? "---- %-7s -x  " : "<--- %-7s (?) ", label);
		else
			g_snprintf(mid, sizeof mid, a_to_b ? " (?) %-7s -->" : "  x- %-7s ----", label);
		g_string_append_printf(b, "      %-20s %s  %s  %s\n", ts, e->at_a ? "|" : ".", mid,
				       e->at_b ? "|" : ".");
		g_string_free(t, TRUE);
	}
	g_string_append(b, "      (x: never reached that point; (?): not seen leaving the other)\n");
}

gboolean ss_render_compare_text(const ss_compare *c, const ss_render_options *opt, FILE *out)
{
	(void)opt;
	GString *b = g_string_sized_new(SS_OUT_FLUSH_AT);
	gboolean ok = TRUE;
	g_string_append_printf(b, "sockscope compare: %s mode (",
			       c->mode == SS_CMP_MODE_DRIFT ? "drift" : "path");
	ss_text_sanitize_append(b, c->mode_reason ? c->mode_reason : "");
	g_string_append(b, ")\n");
	side_line(b, "A", &c->side[0]);
	side_line(b, "B", &c->side[1]);
	if (c->have_offset) {
		g_string_append(b, "  clock offset (B minus A): ");
		us_append(b, c->offset_ns);
		if (c->offset_spread_ns >= 0) {
			g_string_append(b, " +- ");
			us_append(b, c->offset_spread_ns);
		}
		g_string_append_printf(b, " from %" G_GUINT64_FORMAT " matched packets\n",
				       c->offset_samples);
	} else {
		g_string_append(b, "  clock offset: unknown (no packet seen at both points)\n");
	}
	if (c->a_near_client >= 0)
		g_string_append_printf(b, "  the clients' packets cross %s first\n",
				       c->a_near_client ? "A" : "B");
	g_string_append_printf(b, "  connections: %" G_GUINT64_FORMAT " at both points, %"
			       G_GUINT64_FORMAT " at A only, %" G_GUINT64_FORMAT " at B only\n",
			       c->matched, c->a_only, c->b_only);

	if (c->findings->len) {
		g_string_append(b, "\nFindings\n");
		for (guint i = 0; i < c->findings->len; i++) {
			const ss_cmp_finding *f = &g_array_index(c->findings, ss_cmp_finding, i);
			g_string_append_printf(b, "  %u. [%s] ", i + 1,
					       ss_cmp_severity_name((ss_cmp_severity)f->severity));
			ss_text_sanitize_append(b, f->text);
			g_string_append_c(b, '\n');
		}
	}
	if (c->translators->len) {
		g_string_append(b, "\nTranslators\n");
		for (guint i = 0; i < c->translators->len; i++) {
			const ss_cmp_translator *t = &g_array_index(c->translators, ss_cmp_translator, i);
			g_string_append_printf(b, "  %s, public address%s ",
					       t->kind == SS_CMP_TRANSLATOR_SNAT ? "SNAT" : "DNAT",
					       t->public_ips->len == 1 ? "" : "es");
			for (guint k = 0; k < t->public_ips->len; k++) {
				char ip[SS_IP_STRLEN];
				ss_ip_format(t->family, &g_array_index(t->public_ips, ss_ip, k), ip);
				g_string_append_printf(b, "%s%s", k ? ", " : "", ip);
			}
			g_string_append_printf(b, ": ports %s (%s confidence), %" G_GUINT64_FORMAT
					       " ports %u-%u, exhaustion risk %s",
					       ss_cmp_port_alloc_name((ss_cmp_port_alloc)t->port_alloc),
					       ss_confidence_name((ss_confidence)t->confidence),
					       t->ports_seen, t->port_lo, t->port_hi,
					       ss_cmp_exhaustion_risk(t));
			if (t->idle_timeout_ns != SS_NO_TIME)
				g_string_append_printf(b, ", idle timeout about %" G_GINT64_FORMAT " s",
						       t->idle_timeout_ns / 1000000000);
			g_string_append(b, "\n    ");
			ss_text_sanitize_append(b, t->evidence);
			g_string_append_c(b, '\n');
		}
	}
	if (c->conns->len)
		g_string_append(b, "\nConnections (client -> server as the client addressed it)\n");
	for (guint i = 0; ok && i < c->conns->len; i++) {
		conn_line(b, &g_array_index(c->conns, ss_cmp_conn, i));
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	guint drawn = 0;
	for (guint i = 0; i < c->conns->len && drawn < TEXT_MAX_DIAGRAMS; i++) {
		const ss_cmp_conn *cc = &g_array_index(c->conns, ss_cmp_conn, i);
		if (!troubled(cc))
			continue;
		if (drawn++ == 0)
			g_string_append(b, "\nWhere the packets stopped\n");
		g_string_append_c(b, '\n');
		conn_line(b, cc);
		diagram(b, cc);
	}
	return ss_out_finish(b, out, ok);
}
