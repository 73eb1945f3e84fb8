/* --format markdown: a report for a ticket or a wiki page (GitHub and
 * GitLab flavoured Markdown): capture summary, ranked findings with their
 * evidence, next step and an example connection as a Mermaid sequence
 * diagram, the listening sockets and the client hosts with their
 * ephemeral-port profile.  Every field that could hold a Markdown or
 * Mermaid special character is escaped.  The diagrams draw the report
 * model's packet sequence (report/sequence.c). */
#include <netinet/in.h>
#include <string.h>

#include "config.h"
#include "report/markdown.h"
#include "report/model.h"
#include "report/out.h"
#include "sockscope/findings.h"
#include "sockscope/hosts.h"
#include "sockscope/render.h"
#include "sockscope/tunnels.h"
#include "sockscope/util.h"

/* ---- escaping ---- */

/* Inline Markdown text: characters that start emphasis, code, links, HTML,
 * tables, strikethrough or entities are backslash-escaped; control
 * characters (newlines too) become spaces, invalid UTF-8 U+FFFD. */
void ss_md_text(GString *b, const char *s)
{
	if (s == NULL)
		return;
	char *v = g_utf8_make_valid(s, -1);
	gsize digits = strspn(v, "0123456789");
	for (const char *p = v; *p; p++) {
		guchar ch = (guchar)*p;
		if (ch < 0x20 || ch == 0x7f) {
			g_string_append_c(b, ' ');
			continue;
		}
		/* anywhere: inline syntax; at the start: headings, lists, quotes */
		if (strchr("\\`*_{}[]<>|~&$", ch) != NULL ||
		    (p == v && strchr("#+-!=>", ch) != NULL) ||
		    (digits > 0 && p == v + digits && (ch == '.' || ch == ')')))
			g_string_append_c(b, '\\');
		g_string_append_c(b, (char)ch);
	}
	g_free(v);
}

/* An inline code span holding generated text (addresses, times): no
 * backticks or pipes can occur there, but they are replaced all the same. */
void ss_md_code(GString *b, const char *s)
{
	g_string_append_c(b, '`');
	for (const char *p = s; *p; p++)
		g_string_append_c(b, *p == '`' || *p == '|' || (guchar)*p < 0x20 ? '?' : *p);
	g_string_append_c(b, '`');
}

/* Mermaid message or alias text: characters that end a statement or start
 * an entity (; #) and HTML (< > &) as Mermaid entity codes; control
 * characters as spaces. */
static void mermaid_text(GString *b, const char *s)
{
	for (const guchar *p = (const guchar *)s; *p; p++) {
		switch (*p) {
		case ';':
		case '#':
		case '<':
		case '>':
		case '&':
		case '"':
		case '%':
		case '`':
			g_string_append_printf(b, "#%u;", (unsigned)*p);
			break;
		default:
			g_string_append_c(b, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
		}
	}
}

/* ---- the report ---- */

static void time_str(GString *b, gint64 ns, gboolean nanosecond)
{
	if (ns == SS_NO_TIME)
		g_string_append(b, "-");
	else
		ss_time_append(b, ns, nanosecond);
}

static void row_kv(GString *b, const char *k, const char *v_md)
{
	g_string_append_printf(b, "| %s | %s |\n", k, v_md);
}

static void summary_md(GString *b, const ss_report *r)
{
	const ss_summary *s = &r->summary;
	GString *v = g_string_new(NULL);
	g_string_append(b, "## Capture summary\n\n| | |\n| --- | --- |\n");
	for (guint i = 0; s->inputs && i < s->inputs->len; i++) {
		const ss_input *in = g_ptr_array_index(s->inputs, i);
		g_string_truncate(v, 0);
		ss_md_text(v, in->name);
		g_string_append(v, " (");
		ss_md_text(v, in->link_name ? in->link_name : "?");
		g_string_append_printf(v, ", %s timestamps, %" G_GUINT64_FORMAT " packets",
				       in->nanosecond ? "ns" : "µs", in->packets);
		if (in->error) {
			g_string_append(v, "; stopped early: ");
			ss_md_text(v, in->error);
		}
		g_string_append_c(v, ')');
		row_kv(b, i == 0 ? "Input" : "", v->str);
	}
	g_string_truncate(v, 0);
	time_str(v, s->first_ns, s->nanosecond);
	g_string_append(v, " to ");
	time_str(v, s->last_ns, s->nanosecond);
	row_kv(b, "Time (UTC)", v->str);
	g_string_printf(v, "%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes), %" G_GUINT64_FORMAT
			" decoded", s->packets, s->bytes, s->decoded);
	/* Why decoded and the reasons can add up to more than were read. */
	if (s->amsdu_frames > 0)
		g_string_append_printf(v, "; %" G_GUINT64_FORMAT " 802.11 A-MSDU frames carried %"
				       G_GUINT64_FORMAT " packets (subframes), each counted as one",
				       s->amsdu_frames, s->amsdu_subframes);
	row_kv(b, "Packets", v->str);
	g_string_printf(v, "%" G_GUINT64_FORMAT " TCP, %" G_GUINT64_FORMAT " UDP, %" G_GUINT64_FORMAT
			" reused tuples", s->tcp_connections, s->udp_exchanges, s->reused_tuples);
	if (s->evidence[SS_EVIDENCE_UNKNOWN] > 0)
		g_string_append_printf(v, ", %" G_GUINT64_FORMAT " of unknown roles",
				       s->evidence[SS_EVIDENCE_UNKNOWN]);
	row_kv(b, "Connections", v->str);
	g_string_truncate(v, 0);
	GString *cap = g_string_new(NULL);
	if (ss_summary_flow_cap_text(s, cap)) {
		ss_md_text(v, cap->str);
		row_kv(b, "Flow cap", v->str);
	}
	g_string_truncate(cap, 0);
	if (ss_summary_checksums_text(s, cap)) {
		g_string_truncate(v, 0);
		ss_md_text(v, cap->str);
		row_kv(b, "Checksums", v->str);
	}
	g_string_free(cap, TRUE);
	g_string_printf(v, "%" G_GUINT64_FORMAT, s->listeners);
	row_kv(b, "Listening sockets", v->str);
	g_string_printf(v, "%" G_GUINT64_FORMAT, s->hosts);
	row_kv(b, "Hosts", v->str);
	g_string_printf(v, "%" G_GUINT64_FORMAT " matched, %" G_GUINT64_FORMAT " unmatched",
			s->icmp_errors_matched, s->icmp_errors_unmatched);
	row_kv(b, "ICMP errors", v->str);
	for (guint i = 0; s->warnings && i < s->warnings->len; i++) {
		g_string_truncate(v, 0);
		ss_md_text(v, g_ptr_array_index(s->warnings, i));
		row_kv(b, i == 0 ? "Warnings" : "", v->str);
	}
	g_string_append_printf(b, "\nsockscope %s. Addresses are never resolved to names.\n\n",
			       SOCKSCOPE_VERSION);
	g_string_free(v, TRUE);
}

static void mermaid_md(GString *b, const ss_conn *c)
{
	GArray *ev = ss_seq_events(c);
	if (ev->len == 0) {
		ss_seq_events_free(ev);
		return;
	}
	char *cl = ss_addr_port_dup(c->family, ss_conn_client_ip(c), ss_conn_client_port(c));
	char *sv = ss_seq_server_text(c);
	/* roles unknown: the two sides, the first packet's sender first */
	gboolean unknown = ss_conn_roles_unknown(c);
	g_string_append(b, "```mermaid\nsequenceDiagram\n    participant C as ");
	g_string_append(b, unknown ? "side A " : "client ");
	mermaid_text(b, cl);
	g_string_append(b, unknown ? "\n    participant S as side B " : "\n    participant S as server ");
	mermaid_text(b, sv);
	g_string_append_c(b, '\n');
	GString *lab = g_string_new(NULL);
	for (guint i = 0; i < ev->len; i++) {
		const ss_seq_event *e = &g_array_index(ev, ss_seq_event, i);
		g_string_assign(lab, e->label);
		if (e->at_ns != SS_NO_TIME) {
			g_string_append_c(lab, ' ');
			ss_seq_time_append(lab, e->at_ns);
		}
		if (e->from < 0)
			g_string_append(b, "    Note over C,S: ");
		else
			g_string_append_printf(b, "    %s%s%s: ", e->from == 0 ? "C" : "S",
					       e->dashed ? "-->>" : "->>", e->from == 0 ? "S" : "C");
		mermaid_text(b, lab->str);
		g_string_append_c(b, '\n');
	}
	g_string_append(b, "```\n\n");
	g_string_free(lab, TRUE);
	g_free(cl);
	g_free(sv);
	ss_seq_events_free(ev);
}

/* " (vxlan 42)" after an example's server: which tenant's connection (an
 * MPLS record names its whole label stack). */
static void tunnel_md(GString *b, const ss_tunnel *t)
{
	if (t->type == SS_TUNNEL_NONE)
		return;
	GString *v = g_string_new(" (");
	ss_tunnel_append(v, t);
	g_string_append_c(v, ')');
	ss_md_text(b, v->str);
	g_string_free(v, TRUE);
}

static void findings_md(GString *b, const ss_report *r)
{
	guint total = r->findings ? r->findings->len : 0;
	guint n = MIN(total, SS_REPORT_MAX_FINDINGS);
	g_string_append(b, "## Findings\n\n");
	if (n == 0) {
		g_string_append(b, "No findings.\n\n");
		return;
	}
	if (total > n)
		g_string_append_printf(b, "The first %u of %u findings (all of them: `--format json`).\n\n",
				       n, total);
	g_string_append(b, "| # | Severity | Finding | Count |\n| ---: | --- | --- | ---: |\n");
	for (guint i = 0; i < n; i++) {
		const ss_finding *f = g_ptr_array_index(r->findings, i);
		g_string_append_printf(b, "| %u | %s | ", i + 1, ss_severity_name(f->severity));
		ss_md_code(b, f->id);
		g_string_append_printf(b, " | %" G_GUINT64_FORMAT " |\n", f->count);
	}
	g_string_append_c(b, '\n');
	for (guint i = 0; i < n; i++) {
		const ss_finding *f = g_ptr_array_index(r->findings, i);
		g_string_append_printf(b, "### %u. %s: ", i + 1, ss_severity_name(f->severity));
		ss_md_code(b, f->id);
		g_string_append(b, "\n\n");
		ss_md_text(b, f->statement);
		g_string_append(b, "\n\n");
		if (f->n_facts > 0) {
			g_string_append(b, "- **Evidence:** ");
			for (guint j = 0; j < f->n_facts; j++) {
				GString *v = g_string_new(f->facts[j].name);
				g_string_append_c(v, ' ');
				if (f->facts[j].ms)
					ss_ms_append(v, f->facts[j].value, r->summary.nanosecond);
				else
					g_string_append_printf(v, "%" G_GINT64_FORMAT, f->facts[j].value);
				if (j > 0)
					g_string_append(b, ", ");
				ss_md_code(b, v->str);
				g_string_free(v, TRUE);
			}
			g_string_append_c(b, '\n');
		}
		GString *ports = g_string_new(NULL);
		if (ss_ports_text(f->open_ports, SS_SCAN_PORTS_LISTED, ports)) {
			g_string_append(b, "- **Open ports:** ");
			ss_md_text(b, ports->str);
			g_string_append_c(b, '\n');
		}
		g_string_truncate(ports, 0);
		if (ss_hosts_text(f->answered_hosts, f->family, SS_SCAN_PORTS_LISTED, ports)) {
			g_string_append(b, "- **Hosts that answered:** ");
			ss_md_text(b, ports->str);
			g_string_append_c(b, '\n');
		}
		g_string_free(ports, TRUE);
		if (f->n_examples > 0)
			g_string_append(b, "- **Examples:**\n");
		for (guint j = 0; j < f->n_examples; j++) {
			const ss_conn *c = &f->examples[j];
			gint64 first, last;
			ss_conn_span(c, &first, &last);
			GString *t = g_string_new(NULL);
			time_str(t, first, r->summary.nanosecond);
			char *cl = ss_addr_port_dup(c->family, ss_conn_client_ip(c), ss_conn_client_port(c));
			char *sv = ss_addr_port_dup(c->family, ss_conn_server_ip(c), ss_conn_server_port(c));
			g_string_append(b, "  - ");
			ss_md_code(b, t->str);
			g_string_append_printf(b, " %s ", ss_proto_name(c->proto, "?"));
			ss_md_code(b, cl);
			g_string_append(b, ss_conn_roles_unknown(c) ? " ↔ " : " → ");
			ss_md_code(b, sv);
			tunnel_md(b, ss_conn_tunnel(c));
			/* how the roles were decided, and how sure: a guess says so */
			g_string_append_printf(b, " %s, roles %s ", ss_outcome_name(c->outcome),
					       ss_conn_roles_unknown(c) ? "unknown:"
					       : ss_conn_roles_proven(c) ? "from" : "inferred from");
			ss_md_code(b, ss_evidence_name(c->evidence));
			g_string_append_printf(b, " (%s confidence)%s\n", ss_confidence_name(c->confidence),
					       ss_conn_one_sided(c) ? ", one-sided" : "");
			g_string_free(t, TRUE);
			g_free(cl);
			g_free(sv);
		}
		g_string_append(b, "- **Next step:** ");
		ss_md_text(b, f->next_step);
		g_string_append(b, "\n\n");
		if (f->n_examples > 0)
			mermaid_md(b, &f->examples[0]);
	}
}

/* " (vxlan 42)" after an address behind a tunnel: two tenants may use the
 * same address, and the virtual network tells their rows apart. */
static void vnet_md(GString *b, const ss_vnet *v)
{
	ss_tunnel t = ss_vnet_tunnel(v);
	tunnel_md(b, &t);
}

static void listeners_md(GString *b, const ss_report *r)
{
	guint total = r->listeners ? r->listeners->len : 0;
	guint n = MIN(total, SS_REPORT_MAX_ROWS);
	g_string_append(b, "## Listening sockets\n\n");
	if (n == 0) {
		g_string_append(b, "None.\n\n");
		return;
	}
	g_string_append(b, "| Proto | Address | Port | Service | State | Connections | Clients "
			"| Confidence |\n| --- | --- | ---: | --- | --- | ---: | ---: | --- |\n");
	for (guint i = 0; i < n; i++) {
		const ss_listener *l = &g_array_index(r->listeners, ss_listener, i);
		char ip[SS_IP_STRLEN];
		ss_ip_format(l->family, &l->ip, ip);
		g_string_append_printf(b, "| %s | ", ss_proto_name(l->proto, "?"));
		ss_md_code(b, ip);
		vnet_md(b, &l->vnet);
		g_string_append_printf(b, " | %u | ", (unsigned)l->port);
		ss_md_text(b, l->service ? l->service : "");
		g_string_append_printf(b, " | %s | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
				       " | %s |\n", ss_listener_state_name(l->state), l->connections,
				       l->clients, ss_confidence_name(l->confidence));
	}
	g_string_append_c(b, '\n');
	if (total > n)
		g_string_append_printf(b, "%u more listening sockets are not listed "
				       "(all of them: `--format json`).\n\n", total - n);
}

static void clients_md(GString *b, const ss_report *r)
{
	guint n = r->hosts ? r->hosts->len : 0, shown = 0, more = 0;
	g_string_append(b, "## Client hosts\n\n");
	for (guint i = 0; i < n; i++) {
		const ss_host *h = &g_array_index(r->hosts, ss_host, i);
		if (h->client_connections == 0)
			continue;
		if (shown >= SS_REPORT_MAX_ROWS) {
			more++;
			continue;
		}
		if (shown++ == 0)
			g_string_append(b, "| Address | Connections | Servers | Handshakes | Source ports "
					"| Ephemeral range | Allocation | Reused ports | Notes |\n"
					"| --- | ---: | ---: | ---: | --- | --- | --- | ---: | --- |\n");
		char ip[SS_IP_STRLEN];
		ss_ip_format(h->family, &h->ip, ip);
		g_string_append(b, "| ");
		ss_md_code(b, ip);
		vnet_md(b, &h->vnet);
		g_string_append_printf(b, " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %"
				       G_GUINT64_FORMAT " | ", h->client_connections, h->client_servers,
				       h->eph.samples);
		if (h->eph.samples > 0)
			g_string_append_printf(b, "%u-%u", (unsigned)h->eph.min, (unsigned)h->eph.max);
		g_string_append(b, " | ");
		if (h->eph.samples == 0)
			g_string_append(b, "-");
		else if (h->profile.fits == SS_EPH_UNKNOWN)
			g_string_append_printf(b, "unknown (%" G_GUINT64_FORMAT " sample%s)",
					       h->eph.samples, h->eph.samples == 1 ? "" : "s");
		else {
			ss_md_text(b, ss_eph_default_label(h->profile.fits));
			g_string_append_printf(b, " %u-%u", (unsigned)h->profile.low,
					       (unsigned)h->profile.high);
		}
		g_string_append(b, " | ");
		ss_md_text(b, h->eph.samples > 0 ? ss_alloc_pattern_name(h->profile.pattern) : "-");
		g_string_append(b, " | ");
		if (h->reuse_known && h->eph.samples > 0)
			g_string_append_printf(b, "%" G_GUINT64_FORMAT, h->reused_ports);
		else
			g_string_append(b, "-");
		g_string_append(b, " | ");
		gboolean note = FALSE;
		if (h->exhaustion_risk) {
			g_string_append(b, "**exhaustion risk**");
			note = TRUE;
		}
		if (h->n_dual_ports > 0) {
			g_string_append_printf(b, "%slistens on and connects from tcp port", note ? "; " : "");
			for (guint j = 0; j < h->n_dual_ports; j++)
				g_string_append_printf(b, "%s%u", j ? ", " : " ", (unsigned)h->dual_ports[j]);
		}
		g_string_append(b, " |\n");
	}
	g_string_append(b, shown ? "\n" : "None.\n\n");
	if (more > 0)
		g_string_append_printf(b, "%u more client hosts are not listed "
				       "(all of them: `--format json`).\n\n", more);
}

/* Which tunnels the capture's traffic came out of (only when it had any). */
static void tunnels_md(GString *b, const ss_report *r)
{
	guint total = r->tunnels ? r->tunnels->len : 0;
	guint n = MIN(total, SS_REPORT_MAX_ROWS);
	if (total == 0)
		return;
	g_string_append(b, "## Tunnels\n\n| Tunnel | Outer endpoints | Connections | Packets "
			"| Bytes | First packet |\n| --- | --- | ---: | ---: | ---: | --- |\n");
	for (guint i = 0; i < n; i++) {
		const ss_tunnel_flow *t = &g_array_index(r->tunnels, ss_tunnel_flow, i);
		GString *v = g_string_new(NULL);   /* an MPLS tunnel: its label stack */
		ss_tunnel_flow_append(v, t);
		g_string_append(b, "| ");
		ss_md_text(b, v->str);
		g_string_append(b, " | ");
		if (t->family) {
			char src[SS_IP_STRLEN], dst[SS_IP_STRLEN];
			ss_ip_format(t->family, &t->src, src);
			ss_ip_format(t->family, &t->dst, dst);
			ss_md_code(b, src);
			g_string_append(b, " - ");
			ss_md_code(b, dst);
		} else {
			g_string_append(b, "on the link");
		}
		g_string_append_printf(b, " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %"
				       G_GUINT64_FORMAT " | ", t->connections, t->packets, t->bytes);
		time_str(b, t->first_ns, r->summary.nanosecond);
		g_string_append(b, " |\n");
		g_string_free(v, TRUE);
	}
	g_string_append_c(b, '\n');
	if (total > n)
		g_string_append_printf(b, "%u more tunnels are not listed "
				       "(all of them: `--format json`).\n\n", total - n);
}

gboolean ss_render_markdown(const ss_report *r, FILE *out)
{
	GString *b = g_string_sized_new(16384);
	g_string_append(b, "# sockscope report\n\n");
	summary_md(b, r);
	findings_md(b, r);
	listeners_md(b, r);
	clients_md(b, r);
	tunnels_md(b, r);

	return ss_out_finish(b, out, TRUE);
}
