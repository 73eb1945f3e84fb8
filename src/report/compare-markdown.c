/* The compare model as Markdown (part of the markdown format,
 * scripts/check-layers.py FORMAT_PARTS), for a ticket or a wiki page: in
 * drift mode the two captures, the findings, and the listener, client
 * network and ephemeral-port changes as tables.  Text is escaped with the
 * markdown format's own escaper (report/markdown.h).  Path mode's page
 * is compare-path-markdown.c; the dispatcher (render.c) picks by mode. */
#include "report/markdown.h"
#include "report/out.h"

#include "sockscope/compare.h"
#include "sockscope/drift.h"
#include "sockscope/format.h"
#include "sockscope/render.h"

static void side_row(GString *b, const char *label, const ss_cmp_side *s)
{
	g_string_append_printf(b, "| %s | ", label);
	for (guint i = 0; i < s->files->len; i++) {
		if (i)
			g_string_append(b, ", ");
		ss_md_text(b, g_ptr_array_index(s->files, i));
	}
	g_string_append_printf(b, " (%" G_GUINT64_FORMAT " packets", s->packets);
	if (s->first_ns != SS_NO_TIME) {
		GString *t = g_string_new(NULL);
		ss_time_append(t, s->first_ns, FALSE);
		g_string_append(t, " to ");
		ss_time_append(t, s->last_ns, FALSE);
		g_string_append(b, ", ");
		ss_md_code(b, t->str);
		g_string_free(t, TRUE);
	}
	g_string_append(b, ") |\n");
}

/* `text` of a GString, then empties it */
static void code_take(GString *b, GString *t)
{
	ss_md_code(b, t->str);
	g_string_truncate(t, 0);
}

static void drift_md(GString *b, const ss_drift *d)
{
	GString *t = g_string_new(NULL);
	if (d->listeners->len) {
		g_string_append(b, "\n## Listener changes\n\n"
				"| Listener | Service | Change | Before | After | Confidence | Evidence |\n"
				"| --- | --- | --- | --- | --- | --- | --- |\n");
		for (guint i = 0; i < d->listeners->len; i++) {
			const ss_drift_listener *l = &g_array_index(d->listeners, ss_drift_listener, i);
			const char *from = ss_drift_side_state(&l->a), *to = ss_drift_side_state(&l->b);
			g_string_append(b, "| ");
			ss_drift_listener_append(t, l->proto, l->family, &l->ip, l->port);
			code_take(b, t);
			g_string_append(b, " | ");
			ss_md_text(b, l->service ? l->service : "-");
			g_string_append_printf(b, " | %s | %s | %s | %s | ",
					       ss_drift_change_name(l->change),
					       from ? from : "not seen", to ? to : "not seen",
					       ss_confidence_name(l->confidence));
			ss_drift_side_evidence(l, &l->a, "A", t);
			g_string_append(t, "; ");
			ss_drift_side_evidence(l, &l->b, "B", t);
			ss_md_text(b, t->str);
			g_string_truncate(t, 0);
			g_string_append(b, " |\n");
		}
	}
	if (d->networks->len) {
		g_string_append(b, "\n## Client network changes\n\n"
				"Connections from the network in the capture it was seen in; other: "
				"the listener's connections in the other capture.\n\n"
				"| Listener | Network | Change | Connections | Clients | Other | "
				"Confidence |\n| --- | --- | --- | ---: | ---: | ---: | --- |\n");
		for (guint i = 0; i < d->networks->len; i++) {
			const ss_drift_network *n = &g_array_index(d->networks, ss_drift_network, i);
			g_string_append(b, "| ");
			ss_drift_listener_append(t, n->proto, n->family, &n->ip, n->port);
			code_take(b, t);
			g_string_append(b, " | ");
			ss_drift_network_append(t, n->family, &n->net, n->prefix);
			code_take(b, t);
			g_string_append_printf(b, " | %s | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
					       " | %" G_GUINT64_FORMAT " | %s |\n",
					       ss_drift_net_change_name(n->change), n->connections,
					       n->clients, n->other_connections,
					       ss_confidence_name(n->confidence));
		}
	}
	if (d->ephemeral->len) {
		g_string_append(b, "\n## Ephemeral-port changes\n\n"
				"| Host | Verdict | In A | In B | Evidence |\n| --- | --- | --- | --- | --- |\n");
		for (guint i = 0; i < d->ephemeral->len; i++) {
			const ss_drift_ephemeral *e = &g_array_index(d->ephemeral, ss_drift_ephemeral, i);
			char ip[SS_IP_STRLEN];
			ss_ip_format(e->family, &e->ip, ip);
			g_string_append(b, "| ");
			ss_md_code(b, ip);
			g_string_append_printf(b, " | %s | ", ss_drift_eph_verdict_name(e->verdict));
			ss_drift_profile_append(t, &e->a, e->a_samples);
			ss_md_text(b, t->str);
			g_string_truncate(t, 0);
			g_string_append(b, " | ");
			ss_drift_profile_append(t, &e->b, e->b_samples);
			ss_md_text(b, t->str);
			g_string_truncate(t, 0);
			g_string_append(b, " | ");
			ss_md_text(b, e->why);
			g_string_append(b, " |\n");
		}
	}
	g_string_free(t, TRUE);
}

gboolean ss_render_compare_markdown(const ss_compare *c, FILE *out)
{
	const ss_drift *d = c->drift;
	g_return_val_if_fail(d != NULL, FALSE);
	GString *b = g_string_sized_new(8192);
	g_string_append(b, "# sockscope compare (drift)\n\n## Captures\n\n| | |\n| --- | --- |\n"
			"| Mode | drift: ");
	ss_md_text(b, c->mode_reason);
	g_string_append(b, " |\n");
	side_row(b, "A", &c->side[0]);
	side_row(b, "B", &c->side[1]);
	g_string_append_printf(b, "| Listeners | %" G_GUINT64_FORMAT " in A, %" G_GUINT64_FORMAT
			       " in B: %u changed, %" G_GUINT64_FORMAT " unchanged |\n",
			       d->listeners_a, d->listeners_b, d->listeners->len,
			       d->listeners_unchanged);
	g_string_append_printf(b, "| Client networks | IPv4 /%u, IPv6 /%u, at %" G_GUINT64_FORMAT
			       " listeners seen in both: %u new or gone |\n",
			       SS_DRIFT_PREFIX_V4, SS_DRIFT_PREFIX_V6, d->networks_compared,
			       d->networks->len);
	g_string_append_printf(b, "| Ephemeral ports | %" G_GUINT64_FORMAT " host(s) profiled, %"
			       G_GUINT64_FORMAT " unchanged |\n",
			       d->hosts_profiled, d->ephemeral_unchanged);
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
	drift_md(b, d);
	return ss_out_finish(b, out, TRUE);
}
