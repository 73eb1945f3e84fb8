/* Path mode's compare model as markdown for a ticket or wiki (part of the
 * markdown format, scripts/check-layers.py FORMAT_PARTS): the captures and
 * the clock offset, the findings, the translators, the connections, and
 * for each connection where packets stopped between the points a Mermaid
 * sequence diagram with the two capture points as its two lanes: an arrow
 * that crossed, one that ends in a cross (-x) where it never arrived, and
 * a note for a packet that appeared at one point without leaving the
 * other (an injected reset). */
#include "report/markdown.h"
#include "report/out.h"

#include "sockscope/compare.h"
#include "sockscope/format.h"
#include "sockscope/ip.h"
#include "sockscope/render.h"

#include <string.h>

/* Diagrams drawn at most, and connection rows listed at most. */
#define MD_MAX_DIAGRAMS 10
#define MD_MAX_ROWS 500

static void md_take(GString *b, GString *t)
{
	ss_md_text(b, t->str);
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
	g_string_append(t, " → ");
	ss_addr_port_append(t, cc->family, &cc->server_ip[s], cc->server_port[s]);
}

static void mermaid(GString *b, const ss_cmp_conn *cc)
{
	gboolean a_near = cc->a_near_client != 0;
	g_string_append(b, "```mermaid\nsequenceDiagram\n    participant A as point A\n"
			"    participant B as point B\n");
	for (guint i = 0; cc->lanes && i < cc->lanes->len; i++) {
		const ss_cmp_lane_event *e = &g_array_index(cc->lanes, ss_cmp_lane_event, i);
		gboolean a_to_b = e->to_server == a_near;
		const char *label = ss_cmp_pkt_kind_label((ss_cmp_pkt_kind)e->kind);
		const char *who = e->to_server ? "client" : "server";
		if (e->at_a && e->at_b)
			g_string_append_printf(b, "    %s->>%s: %s (%s)\n", a_to_b ? "A" : "B",
					       a_to_b ? "B" : "A", label, who);
		else if ((e->at_a && a_to_b) || (e->at_b && !a_to_b))
			g_string_append_printf(b, "    %s-x%s: %s (%s) lost\n", a_to_b ? "A" : "B",
					       a_to_b ? "B" : "A", label, who);
		else
			g_string_append_printf(b, "    Note over %s: %s (%s) seen here only,"
					       " never left %s\n", e->at_a ? "A" : "B", label, who,
					       e->at_a ? "B" : "A");
	}
	g_string_append(b, "```\n");
}

gboolean ss_render_compare_path_markdown(const ss_compare *c, FILE *out)
{
	GString *b = g_string_sized_new(16384), *t = g_string_new(NULL);
	gboolean ok = TRUE;
	g_string_append(b, "# sockscope compare (path)\n\n## Captures\n\n| | |\n| --- | --- |\n"
			"| Mode | path: ");
	ss_md_text(b, c->mode_reason);
	g_string_append(b, " |\n");
	for (int s = 0; s < 2; s++) {
		g_string_append_printf(b, "| %s | ", s == 0 ? "A" : "B");
		for (guint i = 0; i < c->side[s].files->len; i++)
			g_string_append_printf(t, "%s%s", i ? ", " : "",
					       (const char *)g_ptr_array_index(c->side[s].files, i));
		md_take(b, t);
		g_string_append_printf(b, " (%" G_GUINT64_FORMAT " packets) |\n", c->side[s].packets);
	}
	g_string_append(b, "| Clock offset (B − A) | ");
	if (c->have_offset) {
		us_cell(b, c->offset_ns);
		if (c->offset_spread_ns >= 0) {
			g_string_append(b, " ± ");
			us_cell(b, c->offset_spread_ns);
		}
		g_string_append_printf(b, ", from %" G_GUINT64_FORMAT " matched packets",
				       c->offset_samples);
	} else {
		g_string_append(b, "unknown: no packet seen at both points");
	}
	g_string_append(b, " |\n");
	if (c->a_near_client >= 0)
		g_string_append_printf(b, "| Nearer the clients | %s |\n",
				       c->a_near_client ? "A" : "B");
	g_string_append_printf(b, "| Connections | %" G_GUINT64_FORMAT " at both points, %"
			       G_GUINT64_FORMAT " at A only, %" G_GUINT64_FORMAT " at B only |\n",
			       c->matched, c->a_only, c->b_only);
	if (c->findings->len) {
		g_string_append(b, "\n## Findings\n\n");
		for (guint i = 0; i < c->findings->len; i++) {
			const ss_cmp_finding *f = &g_array_index(c->findings, ss_cmp_finding, i);
			g_string_append_printf(b, "%u. **%s** ", i + 1,
					       ss_cmp_severity_name((ss_cmp_severity)f->severity));
			ss_md_text(b, f->text);
			g_string_append_c(b, '\n');
		}
	}
	if (c->translators->len) {
		g_string_append(b, "\n## Translators\n\n| Kind | Public addresses | Port allocation |"
				" Ports | At once | Exhaustion risk | Idle timeout | Evidence |\n"
				"| --- | --- | --- | --- | ---: | --- | --- | --- |\n");
		for (guint i = 0; i < c->translators->len; i++) {
			const ss_cmp_translator *tr = &g_array_index(c->translators, ss_cmp_translator, i);
			g_string_append_printf(b, "| %s | ",
					       tr->kind == SS_CMP_TRANSLATOR_SNAT ? "SNAT" : "DNAT");
			ss_cmp_public_ips_append(b, tr, ", ");
			g_string_append_printf(b, " | %s (%s confidence) | %" G_GUINT64_FORMAT
					       " (%u-%u) | %" G_GUINT64_FORMAT " | %s | ",
					       ss_cmp_port_alloc_name((ss_cmp_port_alloc)tr->port_alloc),
					       ss_confidence_name((ss_confidence)tr->confidence),
					       tr->ports_seen, tr->port_lo, tr->port_hi, tr->max_concurrent,
					       ss_cmp_exhaustion_risk(tr));
			if (tr->idle_timeout_ns != SS_NO_TIME)
				ss_cmp_idle_timeout_append(b, tr);
			g_string_append(b, " | ");
			ss_md_text(b, tr->evidence);
			g_string_append(b, " |\n");
		}
	}
	if (c->conns->len)
		g_string_append(b, "\n## Connections\n\n| Seen | Proto | As the client made it |"
				" At the other point | Translation | Delay A→B | Delay B→A |\n"
				"| --- | --- | --- | --- | --- | ---: | ---: |\n");
	for (guint i = 0; ok && i < c->conns->len && i < MD_MAX_ROWS; i++) {
		const ss_cmp_conn *cc = &g_array_index(c->conns, ss_cmp_conn, i);
		int n = ss_cmp_near_side(cc);
		int here = n >= 0 ? n : 0;
		g_string_append_printf(b, "| %s | %s | ", ss_cmp_seen_name((ss_cmp_seen)cc->seen),
				       cc->proto == 6 ? "tcp" : "udp");
		addr_pair(t, cc, here);
		md_take(b, t);
		g_string_append(b, " | ");
		if (cc->seen == SS_CMP_SEEN_BOTH)
			addr_pair(t, cc, !here);
		md_take(b, t);
		g_string_append_printf(b, " | %s | ", ss_cmp_translation_name(cc));
		us_cell(b, cc->delay_ns[SS_CMP_DIR_A_TO_B]);
		g_string_append(b, " | ");
		us_cell(b, cc->delay_ns[SS_CMP_DIR_B_TO_A]);
		g_string_append(b, " |\n");
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	if (c->conns->len > MD_MAX_ROWS)
		g_string_append_printf(b, "\n%u more connections: see -F jsonl.\n",
				       c->conns->len - MD_MAX_ROWS);
	guint drawn = 0;
	for (guint i = 0; i < c->conns->len && drawn < MD_MAX_DIAGRAMS; i++) {
		const ss_cmp_conn *cc = &g_array_index(c->conns, ss_cmp_conn, i);
		if (!ss_cmp_conn_troubled(cc))
			continue;
		if (drawn++ == 0)
			g_string_append(b, "\n## Where the packets stopped\n");
		g_string_append(b, "\n### ");
		addr_pair(t, cc, ss_cmp_near_side(cc) >= 0 ? ss_cmp_near_side(cc) : 0);
		g_string_append_printf(t, " (%s)", cc->proto == 6 ? "tcp" : "udp");
		md_take(b, t);
		g_string_append(b, "\n\n");
		mermaid(b, cc);
	}
	g_string_free(t, TRUE);
	return ss_out_finish(b, out, ok);
}
