/* The compare model as text for people: the summary (mode, clock offset,
 * matched counts), the findings, the translators, one line per
 * connection, and for each connection with lost or injected packets a
 * two-lane sequence diagram (A's lane, B's lane) that shows where the
 * packets stopped.  Part of the text format (scripts/check-layers.py
 * FORMAT_PARTS). */
#include "report/out.h"
#include "report/text-table.h"

#include "sockscope/compare.h"
#include "sockscope/drift.h"
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

/* ---- drift mode (sockscope/drift.h) ---- */

static void drift_summary(GString *b, const ss_drift *d)
{
	g_string_append_printf(b, "  listeners: %" G_GUINT64_FORMAT " in A, %" G_GUINT64_FORMAT
			       " in B: %u changed, %" G_GUINT64_FORMAT " unchanged",
			       d->listeners_a, d->listeners_b, d->listeners->len,
			       d->listeners_unchanged);
	if (d->not_listening)
		g_string_append_printf(b, ", %" G_GUINT64_FORMAT " never listening (closed or "
				       "filtered in one capture, not seen in the other)",
				       d->not_listening);
	g_string_append_printf(b, "\n  client networks (IPv4 /%u, IPv6 /%u) at the %" G_GUINT64_FORMAT
			       " listeners seen in both: %u new or gone\n",
			       SS_DRIFT_PREFIX_V4, SS_DRIFT_PREFIX_V6, d->networks_compared,
			       d->networks->len);
	g_string_append_printf(b, "  ephemeral-port profiles: %" G_GUINT64_FORMAT " host(s) profiled"
			       " in A or B, %" G_GUINT64_FORMAT " unchanged\n",
			       d->hosts_profiled, d->ephemeral_unchanged);
}

static void drift_sections(GString *b, const ss_drift *d, const ss_render_options *opt)
{
	if (d->listeners->len) {
		static const ss_text_column cols[] = {
			{ "LISTENER", FALSE },   { "SERVICE", FALSE }, { "CHANGE", FALSE },
			{ "BEFORE", FALSE },     { "AFTER", FALSE },   { "CONFIDENCE", FALSE },
			{ "EVIDENCE", FALSE },
		};
		ss_text_table t;
		ss_text_table_init(&t, cols, G_N_ELEMENTS(cols));
		for (guint i = 0; i < d->listeners->len; i++) {
			const ss_drift_listener *l = &g_array_index(d->listeners, ss_drift_listener, i);
			GString *name = g_string_new(NULL);
			ss_drift_listener_append(name, l->proto, l->family, &l->ip, l->port);
			ss_text_table_add(&t, g_string_free(name, FALSE), NULL);
			ss_text_table_add(&t, g_strdup(l->service ? l->service : "-"), NULL);
			ss_text_table_add(&t, g_strdup(ss_drift_change_name(l->change)),
					  l->change == SS_DRIFT_APPEARED ? NULL : YELLOW);
			const char *from = ss_drift_side_state(&l->a), *to = ss_drift_side_state(&l->b);
			ss_text_table_add(&t, g_strdup(from ? from : "not seen"), NULL);
			ss_text_table_add(&t, g_strdup(to ? to : "not seen"), NULL);
			ss_text_table_add(&t, g_strdup(ss_confidence_name(l->confidence)), NULL);
			GString *e = g_string_new(NULL);
			ss_drift_side_evidence(l, &l->a, "A", e);
			g_string_append(e, "; ");
			ss_drift_side_evidence(l, &l->b, "B", e);
			ss_text_table_add(&t, g_string_free(e, FALSE), NULL);
		}
		g_string_append(b, "\nListener changes\n");
		ss_text_table_render(b, &t, opt);
		ss_text_table_clear(&t);
	}
	if (d->networks->len) {
		static const ss_text_column cols[] = {
			{ "LISTENER", FALSE }, { "NETWORK", FALSE },  { "CHANGE", FALSE },
			{ "CONNS", TRUE },     { "CLIENTS", TRUE },   { "OTHER CONNS", TRUE },
			{ "CONFIDENCE", FALSE },
		};
		ss_text_table t;
		ss_text_table_init(&t, cols, G_N_ELEMENTS(cols));
		for (guint i = 0; i < d->networks->len; i++) {
			const ss_drift_network *n = &g_array_index(d->networks, ss_drift_network, i);
			GString *name = g_string_new(NULL);
			ss_drift_listener_append(name, n->proto, n->family, &n->ip, n->port);
			ss_text_table_add(&t, g_string_free(name, FALSE), NULL);
			GString *net = g_string_new(NULL);
			ss_drift_network_append(net, n->family, &n->net, n->prefix);
			ss_text_table_add(&t, g_string_free(net, FALSE), NULL);
			ss_text_table_add(&t, g_strdup(ss_drift_net_change_name(n->change)), NULL);
			ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT, n->connections), NULL);
			ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT, n->clients), NULL);
			ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT, n->other_connections),
					  NULL);
			ss_text_table_add(&t, g_strdup(ss_confidence_name(n->confidence)), NULL);
		}
		g_string_append(b, "\nClient network changes (CONNS from the network where it was seen;"
				   " OTHER CONNS: the listener's in the other capture)\n");
		ss_text_table_render(b, &t, opt);
		ss_text_table_clear(&t);
	}
	if (d->ephemeral->len) {
		g_string_append(b, "\nEphemeral-port changes\n");
		for (guint i = 0; i < d->ephemeral->len; i++) {
			const ss_drift_ephemeral *e = &g_array_index(d->ephemeral, ss_drift_ephemeral, i);
			char ip[SS_IP_STRLEN];
			ss_ip_format(e->family, &e->ip, ip);
			g_string_append_printf(b, "  %s  %s", ip, ss_drift_eph_verdict_name(e->verdict));
			if (e->differs)
				g_string_append_printf(b, " (%s%s%s)",
						       e->differs & SS_DRIFT_EPH_RANGE ? "range" : "",
						       e->differs == (SS_DRIFT_EPH_RANGE | SS_DRIFT_EPH_PATTERN)
							       ? ", " : "",
						       e->differs & SS_DRIFT_EPH_PATTERN ? "pattern" : "");
			g_string_append(b, ": ");
			ss_drift_profile_append(b, &e->a, e->a_samples);
			g_string_append(b, " in A, ");
			ss_drift_profile_append(b, &e->b, e->b_samples);
			g_string_append(b, " in B (");
			g_string_append(b, e->why);
			g_string_append(b, ")\n");
		}
	}
}

gboolean ss_render_compare_text(const ss_compare *c, const ss_render_options *opt, FILE *out)
{
	GString *b = g_string_sized_new(SS_OUT_FLUSH_AT);
	gboolean ok = TRUE;
	g_string_append_printf(b, "sockscope compare: %s mode (",
			       c->mode == SS_CMP_MODE_DRIFT ? "drift" : "path");
	ss_text_sanitize_append(b, c->mode_reason ? c->mode_reason : "");
	g_string_append(b, ")\n");
	side_line(b, "A", &c->side[0]);
	side_line(b, "B", &c->side[1]);
	if (c->drift)
		drift_summary(b, c->drift);
	else if (c->have_offset) {
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
	if (!c->drift && c->a_near_client >= 0)
		g_string_append_printf(b, "  the clients' packets cross %s first\n",
				       c->a_near_client ? "A" : "B");
	if (!c->drift)
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
	if (c->drift)
		drift_sections(b, c->drift, opt);
	if (c->translators->len) {
		g_string_append(b, "\nTranslators\n");
		for (guint i = 0; i < c->translators->len; i++) {
			const ss_cmp_translator *t = &g_array_index(c->translators, ss_cmp_translator, i);
			g_string_append_printf(b, "  %s, public address%s ",
					       t->kind == SS_CMP_TRANSLATOR_SNAT ? "SNAT" : "DNAT",
					       t->public_ips->len == 1 ? "" : "es");
			ss_cmp_public_ips_append(b, t, ", ");
			g_string_append_printf(b, ": ports %s (%s confidence), %" G_GUINT64_FORMAT
					       " ports %u-%u, exhaustion risk %s",
					       ss_cmp_port_alloc_name((ss_cmp_port_alloc)t->port_alloc),
					       ss_confidence_name((ss_confidence)t->confidence),
					       t->ports_seen, t->port_lo, t->port_hi,
					       ss_cmp_exhaustion_risk(t));
			if (t->idle_timeout_ns != SS_NO_TIME) {
				g_string_append(b, ", idle timeout ");
				ss_cmp_idle_timeout_append(b, t);
			}
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
		if (!ss_cmp_conn_troubled(cc))
			continue;
		if (drawn++ == 0)
			g_string_append(b, "\nWhere the packets stopped\n");
		g_string_append_c(b, '\n');
		conn_line(b, cc);
		diagram(b, cc);
	}
	return ss_out_finish(b, out, ok);
}
