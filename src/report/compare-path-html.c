/* Path mode's compare model as one self-contained HTML page (part of the
 * html format, scripts/check-layers.py FORMAT_PARTS; the page frame and
 * its Content-Security-Policy are html.c's): the captures and clock
 * offset, the findings, the translators, the connections, and for each
 * connection where packets stopped between the points an inline SVG
 * sequence diagram with two lanes, A and B: a line across for a packet
 * seen at both, a line that ends in a cross halfway for one lost between
 * them, a dot with a note for one seen at a single point only. */
#include "report/html.h"
#include "report/out.h"

#include "sockscope/compare.h"
#include "sockscope/format.h"
#include "sockscope/ip.h"
#include "sockscope/render.h"

#define HTML_MAX_DIAGRAMS 10
#define HTML_MAX_ROWS 500

/* The diagram's geometry, in SVG user units. */
#define LANE_A 120
#define LANE_B 420
#define ROW_H 26
#define TOP 40

static void esc(GString *b, const char *s)
{
	ss_html_escape_append(b, s ? s : "", FALSE);
}

static void esc_take(GString *b, GString *t)
{
	esc(b, t->str);
	g_string_truncate(t, 0);
}

static void us_cell(GString *b, gint64 ns)
{
	if (ns == SS_NO_TIME) {
		g_string_append(b, "?");
		return;
	}
	ss_ms_append(b, ns, FALSE);
	g_string_append(b, " ms");
}

static void addr_pair(GString *t, const ss_cmp_conn *cc, int s)
{
	ss_addr_port_append(t, cc->family, &cc->client_ip[s], cc->client_port[s]);
	g_string_append(t, " \xe2\x86\x92 ");
	ss_addr_port_append(t, cc->family, &cc->server_ip[s], cc->server_port[s]);
}

static void svg(GString *b, const ss_cmp_conn *cc)
{
	guint n = cc->lanes ? cc->lanes->len : 0;
	guint height = TOP + ROW_H * (n + 1);
	gboolean a_near = cc->a_near_client != 0;
	g_string_append_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"%u\""
			       " role=\"img\" aria-label=\"packets between point A and point B\">\n",
			       height);
	g_string_append_printf(b, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">"
			       "A</text><text x=\"%d\" y=\"20\" text-anchor=\"middle\" "
			       "font-weight=\"bold\">B</text>\n", LANE_A, LANE_B);
	g_string_append_printf(b, "<line x1=\"%d\" y1=\"28\" x2=\"%d\" y2=\"%u\" stroke=\"#888\"/>"
			       "<line x1=\"%d\" y1=\"28\" x2=\"%d\" y2=\"%u\" stroke=\"#888\"/>\n",
			       LANE_A, LANE_A, height, LANE_B, LANE_B, height);
	for (guint i = 0; i < n; i++) {
		const ss_cmp_lane_event *e = &g_array_index(cc->lanes, ss_cmp_lane_event, i);
		gboolean a_to_b = e->to_server == a_near;
		guint y = TOP + ROW_H * i + ROW_H / 2;
		int from = a_to_b ? LANE_A : LANE_B, to = a_to_b ? LANE_B : LANE_A;
		const char *label = ss_cmp_pkt_kind_label((ss_cmp_pkt_kind)e->kind);
		GString *ts = g_string_new(NULL);
		ss_time_append(ts, e->ts_ns, FALSE);
		g_string_append_printf(b, "<text x=\"4\" y=\"%u\" font-size=\"10\">%s</text>\n", y + 4,
				       ts->len > 11 ? ts->str + 11 : ts->str);
		g_string_free(ts, TRUE);
		if (e->at_a && e->at_b) {
			g_string_append_printf(b, "<line x1=\"%d\" y1=\"%u\" x2=\"%d\" y2=\"%u\" "
					       "stroke=\"#2a6\" stroke-width=\"2\"/>", from, y, to, y);
			g_string_append_printf(b, "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\" "
					       "font-size=\"12\">%s %s</text>\n", (LANE_A + LANE_B) / 2,
					       y - 3, label, a_to_b ? "\xe2\x86\x92" : "\xe2\x86\x90");
		} else if ((e->at_a && a_to_b) || (e->at_b && !a_to_b)) {
			int mid = (LANE_A + LANE_B) / 2;
			g_string_append_printf(b, "<line x1=\"%d\" y1=\"%u\" x2=\"%d\" y2=\"%u\" "
					       "stroke=\"#c22\" stroke-width=\"2\"/>", from, y, mid, y);
			g_string_append_printf(b, "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\" "
					       "fill=\"#c22\" font-weight=\"bold\">\xc3\x97</text>",
					       mid, y + 5);
			g_string_append_printf(b, "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\" "
					       "font-size=\"12\" fill=\"#c22\">%s lost</text>\n",
					       (from + mid) / 2, y - 3, label);
		} else {
			int at = e->at_a ? LANE_A : LANE_B;
			g_string_append_printf(b, "<circle cx=\"%d\" cy=\"%u\" r=\"4\" fill=\"#c80\"/>"
					       "<text x=\"%d\" y=\"%u\" font-size=\"12\" fill=\"#c80\" "
					       "text-anchor=\"%s\">%s seen at %s only</text>\n", at, y,
					       e->at_a ? at + 8 : at - 8, y + 4,
					       e->at_a ? "start" : "end", label, e->at_a ? "A" : "B");
		}
	}
	g_string_append(b, "</svg>\n");
}

gboolean ss_render_compare_path_html(const ss_compare *c, FILE *out)
{
	GString *b = g_string_sized_new(32768), *t = g_string_new(NULL);
	gboolean ok = TRUE;
	ss_html_page_begin(b, "sockscope compare (path)");
	g_string_append(b, "<h2>Captures</h2>\n<table>\n<tr><th>Mode</th><td>path: ");
	esc(b, c->mode_reason);
	g_string_append(b, "</td></tr>\n");
	for (int s = 0; s < 2; s++) {
		g_string_append_printf(b, "<tr><th>%s</th><td>", s == 0 ? "A" : "B");
		for (guint i = 0; i < c->side[s].files->len; i++)
			g_string_append_printf(t, "%s%s", i ? ", " : "",
					       (const char *)g_ptr_array_index(c->side[s].files, i));
		esc_take(b, t);
		g_string_append_printf(b, " (%" G_GUINT64_FORMAT " packets)</td></tr>\n",
				       c->side[s].packets);
	}
	g_string_append(b, "<tr><th>Clock offset (B \xe2\x88\x92 A)</th><td>");
	if (c->have_offset) {
		us_cell(b, c->offset_ns);
		if (c->offset_spread_ns >= 0) {
			g_string_append(b, " \xc2\xb1 ");
			us_cell(b, c->offset_spread_ns);
		}
		g_string_append_printf(b, ", from %" G_GUINT64_FORMAT " matched packets",
				       c->offset_samples);
	} else {
		g_string_append(b, "unknown: no packet seen at both points");
	}
	g_string_append(b, "</td></tr>\n");
	g_string_append_printf(b, "<tr><th>Connections</th><td>%" G_GUINT64_FORMAT
			       " at both points, %" G_GUINT64_FORMAT " at A only, %" G_GUINT64_FORMAT
			       " at B only</td></tr>\n</table>\n", c->matched, c->a_only, c->b_only);
	if (c->findings->len) {
		g_string_append(b, "<h2>Findings</h2>\n");
		for (guint i = 0; i < c->findings->len; i++) {
			const ss_cmp_finding *f = &g_array_index(c->findings, ss_cmp_finding, i);
			const char *cls = f->severity == SS_CMP_SEV_CRITICAL  ? "high"
					  : f->severity == SS_CMP_SEV_WARNING ? "medium"
									      : "info";
			g_string_append_printf(b, "<div class=\"finding sev-%s\"><p><span class=\"badge "
					       "%s\">%s</span> ", cls, cls,
					       ss_cmp_severity_name((ss_cmp_severity)f->severity));
			esc(b, f->text);
			g_string_append(b, "</p></div>\n");
		}
	}
	if (c->translators->len) {
		g_string_append(b, "<h2>Translators</h2>\n<table><thead><tr><th>Kind</th>"
				"<th>Public addresses</th><th>Port allocation</th><th>Ports</th>"
				"<th>Exhaustion risk</th><th>Idle timeout</th><th>Evidence</th></tr>"
				"</thead><tbody>\n");
		for (guint i = 0; i < c->translators->len; i++) {
			const ss_cmp_translator *tr = &g_array_index(c->translators, ss_cmp_translator, i);
			g_string_append_printf(b, "<tr><td>%s</td><td>",
					       tr->kind == SS_CMP_TRANSLATOR_SNAT ? "SNAT" : "DNAT");
			ss_cmp_public_ips_append(b, tr, ", ");
			g_string_append_printf(b, "</td><td>%s (%s confidence)</td><td>%" G_GUINT64_FORMAT
					       " (%u-%u)</td><td>%s</td><td>",
					       ss_cmp_port_alloc_name((ss_cmp_port_alloc)tr->port_alloc),
					       ss_confidence_name((ss_confidence)tr->confidence),
					       tr->ports_seen, tr->port_lo, tr->port_hi,
					       ss_cmp_exhaustion_risk(tr));
			if (tr->idle_timeout_ns != SS_NO_TIME)
				ss_cmp_idle_timeout_append(b, tr);
			g_string_append(b, "</td><td>");
			esc(b, tr->evidence);
			g_string_append(b, "</td></tr>\n");
		}
		g_string_append(b, "</tbody></table>\n");
	}
	if (c->conns->len)
		g_string_append(b, "<h2>Connections</h2>\n<table><thead><tr><th>Seen</th><th>Proto</th>"
				"<th>As the client made it</th><th>At the other point</th>"
				"<th>Translation</th><th>Delay A\xe2\x86\x92" "B</th>"
				"<th>Delay B\xe2\x86\x92" "A</th></tr></thead><tbody>\n");
	for (guint i = 0; ok && i < c->conns->len && i < HTML_MAX_ROWS; i++) {
		const ss_cmp_conn *cc = &g_array_index(c->conns, ss_cmp_conn, i);
		int n = ss_cmp_near_side(cc);
		int here = n >= 0 ? n : 0;
		g_string_append_printf(b, "<tr><td>%s</td><td>%s</td><td>",
				       ss_cmp_seen_name((ss_cmp_seen)cc->seen),
				       cc->proto == 6 ? "tcp" : "udp");
		addr_pair(t, cc, here);
		esc_take(b, t);
		g_string_append(b, "</td><td>");
		if (cc->seen == SS_CMP_SEEN_BOTH)
			addr_pair(t, cc, !here);
		esc_take(b, t);
		g_string_append_printf(b, "</td><td>%s</td><td>", ss_cmp_translation_name(cc));
		us_cell(b, cc->delay_ns[SS_CMP_DIR_A_TO_B]);
		g_string_append(b, "</td><td>");
		us_cell(b, cc->delay_ns[SS_CMP_DIR_B_TO_A]);
		g_string_append(b, "</td></tr>\n");
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	if (c->conns->len)
		g_string_append(b, "</tbody></table>\n");
	if (c->conns->len > HTML_MAX_ROWS)
		g_string_append_printf(b, "<p>%u more connections: see -F jsonl.</p>\n",
				       c->conns->len - HTML_MAX_ROWS);
	guint drawn = 0;
	for (guint i = 0; i < c->conns->len && drawn < HTML_MAX_DIAGRAMS; i++) {
		const ss_cmp_conn *cc = &g_array_index(c->conns, ss_cmp_conn, i);
		if (!ss_cmp_conn_troubled(cc))
			continue;
		if (drawn++ == 0)
			g_string_append(b, "<h2>Where the packets stopped</h2>\n");
		g_string_append(b, "<h3>");
		addr_pair(t, cc, ss_cmp_near_side(cc) >= 0 ? ss_cmp_near_side(cc) : 0);
		g_string_append_printf(t, " (%s)", cc->proto == 6 ? "tcp" : "udp");
		esc_take(b, t);
		g_string_append(b, "</h3>\n");
		svg(b, cc);
	}
	g_string_free(t, TRUE);
	ss_html_page_end(b);
	return ss_out_finish(b, out, ok);
}
