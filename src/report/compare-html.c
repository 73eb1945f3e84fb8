/* The compare model as one self-contained HTML page (part of the html
 * format, scripts/check-layers.py FORMAT_PARTS): the html format's page
 * head and tail (report/html.h: CSS, table sorter, the Content-Security-
 * Policy allowing exactly those), and in drift mode the two captures, the
 * findings and the listener, client network and ephemeral-port changes as
 * sortable tables.  Every text is HTML-escaped.  Path mode's page is
 * compare-path-html.c; the dispatcher (render.c) picks by mode. */
#include "report/html.h"
#include "report/out.h"

#include "sockscope/compare.h"
#include "sockscope/drift.h"
#include "sockscope/format.h"
#include "sockscope/render.h"

static void h(GString *b, const char *s)
{
	ss_html_escape_append(b, s, FALSE);
}

/* the text of t, escaped, then t emptied */
static void h_take(GString *b, GString *t)
{
	h(b, t->str);
	g_string_truncate(t, 0);
}

static void td(GString *b, const char *s)
{
	g_string_append(b, "<td>");
	h(b, s);
	g_string_append(b, "</td>");
}

static void td_n(GString *b, guint64 v)
{
	g_string_append_printf(b, "<td class=\"n\">%" G_GUINT64_FORMAT "</td>", v);
}

static void side_row(GString *b, const char *label, const ss_cmp_side *s)
{
	g_string_append_printf(b, "<tr><th>%s</th><td>", label);
	for (guint i = 0; i < s->files->len; i++) {
		if (i)
			g_string_append(b, ", ");
		h(b, g_ptr_array_index(s->files, i));
	}
	g_string_append_printf(b, " (%" G_GUINT64_FORMAT " packets", s->packets);
	if (s->first_ns != SS_NO_TIME) {
		g_string_append(b, ", <code>");
		ss_time_append(b, s->first_ns, FALSE);
		g_string_append(b, "</code> to <code>");
		ss_time_append(b, s->last_ns, FALSE);
		g_string_append(b, "</code>");
	}
	g_string_append(b, ")</td></tr>\n");
}

static void listeners_h(GString *b, const ss_drift *d, GString *t)
{
	g_string_append(b, "<h2>Listener changes</h2>\n<table class=\"sortable\"><thead><tr>"
			"<th>Listener</th><th>Service</th><th>Change</th><th>Before</th>"
			"<th>After</th><th>Confidence</th><th>Evidence</th></tr></thead><tbody>\n");
	for (guint i = 0; i < d->listeners->len; i++) {
		const ss_drift_listener *l = &g_array_index(d->listeners, ss_drift_listener, i);
		const char *from = ss_drift_side_state(&l->a), *to = ss_drift_side_state(&l->b);
		g_string_append(b, "<tr><td><code>");
		ss_drift_listener_append(t, l->proto, l->family, &l->ip, l->port);
		h_take(b, t);
		g_string_append(b, "</code></td>");
		td(b, l->service ? l->service : "-");
		td(b, ss_drift_change_name(l->change));
		td(b, from ? from : "not seen");
		td(b, to ? to : "not seen");
		td(b, ss_confidence_name(l->confidence));
		ss_drift_side_evidence(l, &l->a, "A", t);
		g_string_append(t, "; ");
		ss_drift_side_evidence(l, &l->b, "B", t);
		td(b, t->str);
		g_string_truncate(t, 0);
		g_string_append(b, "</tr>\n");
	}
	g_string_append(b, "</tbody></table>\n");
}

static void networks_h(GString *b, const ss_drift *d, GString *t)
{
	g_string_append(b, "<h2>Client network changes</h2>\n<p class=\"muted\">Connections from "
			"the network in the capture it was seen in; other: the listener's "
			"connections in the other capture.</p>\n<table class=\"sortable\"><thead><tr>"
			"<th>Listener</th><th>Network</th><th>Change</th><th>Connections</th>"
			"<th>Clients</th><th>Other</th><th>Confidence</th></tr></thead><tbody>\n");
	for (guint i = 0; i < d->networks->len; i++) {
		const ss_drift_network *n = &g_array_index(d->networks, ss_drift_network, i);
		g_string_append(b, "<tr><td><code>");
		ss_drift_listener_append(t, n->proto, n->family, &n->ip, n->port);
		h_take(b, t);
		g_string_append(b, "</code></td><td><code>");
		ss_drift_network_append(t, n->family, &n->net, n->prefix);
		h_take(b, t);
		g_string_append(b, "</code></td>");
		td(b, ss_drift_net_change_name(n->change));
		td_n(b, n->connections);
		td_n(b, n->clients);
		td_n(b, n->other_connections);
		td(b, ss_confidence_name(n->confidence));
		g_string_append(b, "</tr>\n");
	}
	g_string_append(b, "</tbody></table>\n");
}

static void ephemeral_h(GString *b, const ss_drift *d, GString *t)
{
	g_string_append(b, "<h2>Ephemeral-port changes</h2>\n<table class=\"sortable\"><thead><tr>"
			"<th>Host</th><th>Verdict</th><th>In A</th><th>In B</th><th>Evidence</th></tr></thead>"
			"<tbody>\n");
	for (guint i = 0; i < d->ephemeral->len; i++) {
		const ss_drift_ephemeral *e = &g_array_index(d->ephemeral, ss_drift_ephemeral, i);
		char ip[SS_IP_STRLEN];
		ss_ip_format(e->family, &e->ip, ip);
		g_string_append(b, "<tr><td><code>");
		h(b, ip);
		g_string_append(b, "</code></td>");
		td(b, ss_drift_eph_verdict_name(e->verdict));
		ss_drift_profile_append(t, &e->a, e->a_samples);
		td(b, t->str);
		g_string_truncate(t, 0);
		ss_drift_profile_append(t, &e->b, e->b_samples);
		td(b, t->str);
		g_string_truncate(t, 0);
		td(b, e->why);
		g_string_append(b, "</tr>\n");
	}
	g_string_append(b, "</tbody></table>\n");
}

gboolean ss_render_compare_html(const ss_compare *c, FILE *out)
{
	const ss_drift *d = c->drift;
	g_return_val_if_fail(d != NULL, FALSE);
	GString *b = g_string_sized_new(16384), *t = g_string_new(NULL);
	ss_html_page_begin(b, "sockscope compare (drift)");
	g_string_append(b, "<h2>Captures</h2>\n<table>\n<tr><th>Mode</th><td>drift: ");
	h(b, c->mode_reason);
	g_string_append(b, "</td></tr>\n");
	side_row(b, "A", &c->side[0]);
	side_row(b, "B", &c->side[1]);
	g_string_append_printf(b, "<tr><th>Listeners</th><td>%" G_GUINT64_FORMAT " in A, %"
			       G_GUINT64_FORMAT " in B: %u changed, %" G_GUINT64_FORMAT
			       " unchanged</td></tr>\n",
			       d->listeners_a, d->listeners_b, d->listeners->len,
			       d->listeners_unchanged);
	g_string_append_printf(b, "<tr><th>Client networks</th><td>IPv4 /%u, IPv6 /%u, at %"
			       G_GUINT64_FORMAT " listeners seen in both: %u new or gone</td></tr>\n",
			       SS_DRIFT_PREFIX_V4, SS_DRIFT_PREFIX_V6, d->networks_compared,
			       d->networks->len);
	g_string_append_printf(b, "<tr><th>Ephemeral ports</th><td>%" G_GUINT64_FORMAT
			       " host(s) profiled, %" G_GUINT64_FORMAT " unchanged</td></tr>\n"
			       "</table>\n",
			       d->hosts_profiled, d->ephemeral_unchanged);
	if (c->findings->len) {
		g_string_append(b, "<h2>Findings</h2>\n");
		for (guint i = 0; i < c->findings->len; i++) {
			const ss_cmp_finding *f = &g_array_index(c->findings, ss_cmp_finding, i);
			/* the single-capture page's colours: critical red, warning amber */
			const char *cls = f->severity == SS_CMP_SEV_CRITICAL  ? "high"
					  : f->severity == SS_CMP_SEV_WARNING ? "medium"
									      : "info";
			g_string_append_printf(b, "<div class=\"finding sev-%s\"><p><span class=\"badge "
					       "%s\">%s</span> ",
					       cls, cls,
					       ss_cmp_severity_name((ss_cmp_severity)f->severity));
			h(b, f->text);
			g_string_append(b, "</p></div>\n");
		}
	}
	if (d->listeners->len)
		listeners_h(b, d, t);
	if (d->networks->len)
		networks_h(b, d, t);
	if (d->ephemeral->len)
		ephemeral_h(b, d, t);
	g_string_free(t, TRUE);
	ss_html_page_end(b);
	return ss_out_finish(b, out, TRUE);
}
