/* --format html: one self-contained page, the markdown report's content
 * plus an inline SVG picture of the hosts, their listening sockets and the
 * clients connecting to them, and each finding's example connection drawn
 * as an SVG sequence diagram.  No external asset: the CSS and the small
 * script that sorts tables are inline, and a Content-Security-Policy meta
 * allows exactly those two (by hash) and nothing else, so the page makes no
 * network request whatever it contains.  Every text is HTML-escaped. */
#include <netinet/in.h>
#include <string.h>

#include "config.h"
#include "report/html.h"
#include "report/model.h"
#include "report/out.h"
#include "sockscope/findings.h"
#include "sockscope/hosts.h"
#include "sockscope/render.h"
#include "sockscope/tunnels.h"
#include "sockscope/util.h"

static const char css[] =
	"body{font-family:system-ui,-apple-system,\"Segoe UI\",Helvetica,Arial,sans-serif;"
	"margin:2em auto;max-width:1100px;padding:0 1em;color:#1b1f24;background:#fff}"
	"h1{font-size:1.6em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}"
	"table{border-collapse:collapse;margin:.6em 0;font-size:.9em}"
	"th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:top}"
	"th{background:#f6f8fa}table.sortable th{cursor:pointer;user-select:none}"
	"th[aria-sort=ascending]::after{content:\" \\25B2\"}"
	"th[aria-sort=descending]::after{content:\" \\25BC\"}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em}"
	".finding{border-left:4px solid #8c959f;padding:.1em 1em;margin:1em 0;background:#fafbfc}"
	".sev-high{border-color:#cf222e}.sev-medium{border-color:#bf8700}"
	".sev-low{border-color:#0969da}.sev-info{border-color:#8c959f}"
	".badge{font-size:.8em;padding:.1em .5em;border-radius:1em;color:#fff;background:#8c959f}"
	".badge.high{background:#cf222e}.badge.medium{background:#9a6700}"
	".badge.low{background:#0969da}"
	"svg{max-width:100%;height:auto;display:block;margin:.6em 0}"
	"svg text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px}"
	".muted{color:#57606a}";

static const char js[] =
	"(function(){"
	"function key(c){var v=c.getAttribute('data-v');return v===null?c.textContent:v;}"
	"function num(s){return /^-?[0-9]+(\\.[0-9]+)?$/.test(s)?parseFloat(s):null;}"
	"var ths=document.querySelectorAll('table.sortable th');"
	"Array.prototype.forEach.call(ths,function(th){"
	"th.addEventListener('click',function(){"
	"var t=th.closest('table'),b=t.tBodies[0],"
	"i=Array.prototype.indexOf.call(th.parentNode.children,th),"
	"asc=th.getAttribute('aria-sort')!=='ascending';"
	"Array.prototype.forEach.call(t.querySelectorAll('th'),function(h){"
	"h.removeAttribute('aria-sort');});"
	"th.setAttribute('aria-sort',asc?'ascending':'descending');"
	"var rows=Array.prototype.slice.call(b.rows);"
	"rows.sort(function(x,y){var p=key(x.cells[i]),q=key(y.cells[i]),m=num(p),n=num(q),"
	"c=(m!==null&&n!==null)?m-n:(p<q?-1:p>q?1:0);return asc?c:-c;});"
	"rows.forEach(function(r){b.appendChild(r);});});});"
	"document.documentElement.setAttribute('data-ready','1');"
	"})();";

/* Text for the page: & < > " ' as entities; control characters and
 * bidirectional overrides as '?'; invalid UTF-8 U+FFFD. */
static void h(GString *b, const char *s)
{
	ss_html_escape_append(b, s, FALSE);
}

static void csp_hash(GString *b, const char *text)
{
	guint8 digest[32];
	gsize len = sizeof digest;
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, (const guchar *)text, strlen(text));
	g_checksum_get_digest(ck, digest, &len);
	g_checksum_free(ck);
	char *b64 = g_base64_encode(digest, len);
	g_string_append_printf(b, "'sha256-%s'", b64);
	g_free(b64);
}

/* A sort key for an address cell: family, then the bytes in hex. */
static void addr_key(GString *b, guint8 family, const ss_ip *ip)
{
	g_string_append_printf(b, " data-v=\"%u-", (unsigned)family);
	for (int i = 0; i < (family == SS_FAMILY_IPV6 ? 16 : 4); i++)
		g_string_append_printf(b, "%02x", ip->bytes[i]);
	g_string_append_c(b, '"');
}

static void time_h(GString *b, gint64 ns, gboolean nanosecond)
{
	if (ns == SS_NO_TIME)
		g_string_append(b, "-");
	else
		ss_time_append(b, ns, nanosecond);
}

static void kv_row(GString *b, const char *k, const char *v_html)
{
	g_string_append(b, "<tr><th>");
	h(b, k);
	g_string_append_printf(b, "</th><td>%s</td></tr>\n", v_html);
}

static void summary_h(GString *b, const ss_report *r)
{
	const ss_summary *s = &r->summary;
	GString *v = g_string_new(NULL);
	g_string_append(b, "<h2 id=\"summary\">Capture summary</h2>\n<table class=\"kv\">\n");
	for (guint i = 0; s->inputs && i < s->inputs->len; i++) {
		const ss_input *in = g_ptr_array_index(s->inputs, i);
		g_string_assign(v, "<code>");
		h(v, in->name);
		g_string_append(v, "</code> (");
		h(v, in->link_name ? in->link_name : "?");
		g_string_append_printf(v, ", %s timestamps, %" G_GUINT64_FORMAT " packets",
				       in->nanosecond ? "ns" : "µs", in->packets);
		if (in->error) {
			g_string_append(v, "; stopped early: ");
			h(v, in->error);
		}
		g_string_append_c(v, ')');
		kv_row(b, i == 0 ? "Input" : "", v->str);
	}
	g_string_truncate(v, 0);
	time_h(v, s->first_ns, s->nanosecond);
	g_string_append(v, " to ");
	time_h(v, s->last_ns, s->nanosecond);
	kv_row(b, "Time (UTC)", v->str);
	g_string_printf(v, "%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes), %" G_GUINT64_FORMAT
			" decoded", s->packets, s->bytes, s->decoded);
	/* Why decoded and the reasons can add up to more than were read. */
	if (s->amsdu_frames > 0)
		g_string_append_printf(v, "; %" G_GUINT64_FORMAT " 802.11 A-MSDU frames carried %"
				       G_GUINT64_FORMAT " packets (subframes), each counted as one",
				       s->amsdu_frames, s->amsdu_subframes);
	kv_row(b, "Packets", v->str);
	g_string_printf(v, "%" G_GUINT64_FORMAT " TCP, %" G_GUINT64_FORMAT " UDP, %" G_GUINT64_FORMAT
			" reused tuples", s->tcp_connections, s->udp_exchanges, s->reused_tuples);
	if (s->evidence[SS_EVIDENCE_UNKNOWN] > 0)
		g_string_append_printf(v, ", %" G_GUINT64_FORMAT " of unknown roles",
				       s->evidence[SS_EVIDENCE_UNKNOWN]);
	kv_row(b, "Connections", v->str);
	g_string_truncate(v, 0);
	GString *cap = g_string_new(NULL);
	if (ss_summary_flow_cap_text(s, cap)) {
		h(v, cap->str);
		kv_row(b, "Flow cap", v->str);
	}
	g_string_truncate(cap, 0);
	if (ss_summary_checksums_text(s, cap)) {
		g_string_truncate(v, 0);
		h(v, cap->str);
		kv_row(b, "Checksums", v->str);
	}
	g_string_free(cap, TRUE);
	g_string_printf(v, "%" G_GUINT64_FORMAT, s->listeners);
	kv_row(b, "Listening sockets", v->str);
	g_string_printf(v, "%" G_GUINT64_FORMAT, s->hosts);
	kv_row(b, "Hosts", v->str);
	g_string_printf(v, "%" G_GUINT64_FORMAT " matched, %" G_GUINT64_FORMAT " unmatched",
			s->icmp_errors_matched, s->icmp_errors_unmatched);
	kv_row(b, "ICMP errors", v->str);
	for (guint i = 0; s->warnings && i < s->warnings->len; i++) {
		g_string_truncate(v, 0);
		h(v, g_ptr_array_index(s->warnings, i));
		kv_row(b, i == 0 ? "Warnings" : "", v->str);
	}
	g_string_append(b, "</table>\n");
	g_string_free(v, TRUE);
}

/* ---- the host graph ---- */

#define G_W 1000
#define G_CLIENT_X 10
#define G_CLIENT_W 290
#define G_SERVER_X 640
#define G_SERVER_W 350
#define G_HEAD_H 24
#define G_ROW_H 20
#define G_GAP 14
#define G_CLIENT_H 34

static void svg_text(GString *b, int x, int y, const char *anchor, const char *weight,
		     const char *fill, const char *text)
{
	g_string_append_printf(b, "<text x=\"%d\" y=\"%d\"%s%s%s%s%s%s fill=\"%s\">", x, y,
			       anchor ? " text-anchor=\"" : "", anchor ? anchor : "", anchor ? "\"" : "",
			       weight ? " font-weight=\"" : "", weight ? weight : "", weight ? "\"" : "",
			       fill);
	h(b, text);
	g_string_append(b, "</text>");
}

/* A host box's heading: "10.0.0.9", or "10.0.0.9 (vxlan 42)" behind a
 * tunnel, where one address may be two tenants' boxes. */
static char *host_heading(guint8 family, const ss_ip *ip, const ss_vnet *vnet)
{
	char buf[SS_IP_STRLEN];
	ss_ip_format(family, ip, buf);
	char *t = ss_graph_vnet_text(vnet);
	char *r = t ? g_strdup_printf("%s (%s)", buf, t) : g_strdup(buf);
	g_free(t);
	return r;
}

static void graph_h(GString *b, const ss_report *r)
{
	ss_graph *g = ss_graph_build(r);
	g_string_append(b, "<h2 id=\"graph\">Hosts and listening sockets</h2>\n");
	if (g->servers->len == 0) {
		g_string_append(b, "<p>No listening sockets.</p>\n");
		ss_graph_free(g);
		return;
	}
	/* server boxes on the right, client boxes on the left, by address */
	guint ns = g->servers->len, nc = g->clients->len;
	int *sy = g_new(int, ns + 1), *cy = g_new(int, nc + 1);
	int y = 40;
	for (guint i = 0; i < ns; i++) {
		sy[i] = y;
		y += G_HEAD_H + (int)g_array_index(g->servers, ss_graph_server, i).rows->len * G_ROW_H +
		     G_GAP;
	}
	int height = y;
	y = 40;
	for (guint i = 0; i < nc; i++) {
		cy[i] = y;
		y += G_CLIENT_H + G_GAP;
	}
	height = MAX(height, y) + 20;
	g_string_append_printf(b, "<svg id=\"host-graph\" xmlns=\"http://www.w3.org/2000/svg\" "
			       "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
			       "aria-label=\"hosts, listening sockets and their clients\">\n"
			       "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
			       "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
			       "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#57606a\"/></marker></defs>\n",
			       G_W, height, G_W, height);
	svg_text(b, G_CLIENT_X, 20, NULL, "bold", "#1b1f24", "clients (their ports)");
	svg_text(b, G_SERVER_X, 20, NULL, "bold", "#1b1f24", "servers and listening sockets");
	/* edges first, boxes over them; labels sit at the server end of their
	 * edge, one per listening socket row, stacked leftwards when several
	 * clients reach the same socket */
	GHashTable *used = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < g->edges->len; i++) {
		const ss_graph_edge *e = &g_array_index(g->edges, ss_graph_edge, i);
		int x1 = G_CLIENT_X + G_CLIENT_W, y1 = cy[e->client] + G_CLIENT_H / 2;
		int x2 = G_SERVER_X, y2 = sy[e->server] + G_HEAD_H + (int)e->row * G_ROW_H + G_ROW_H / 2;
		int mx = (x1 + x2) / 2;
		g_string_append_printf(b, "<path d=\"M%d,%d C%d,%d %d,%d %d,%d\" fill=\"none\" "
				       "stroke=\"#57606a\" stroke-width=\"1.2\" "
				       "marker-end=\"url(#arrow)\"/>\n", x1, y1, mx, y1, mx, y2, x2, y2);
		char *lab = ss_graph_edge_label(e);
		int lw = (int)strlen(lab) * 7 + 8;
		gpointer rk = GUINT_TO_POINTER((e->server << 8 | e->row) + 1);
		int off = GPOINTER_TO_INT(g_hash_table_lookup(used, rk));
		g_hash_table_insert(used, rk, GINT_TO_POINTER(off + lw + 6));
		int lx = x2 - 14 - off - lw / 2, ly = y2 + 4;
		g_string_append_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"15\" rx=\"3\" "
				       "fill=\"#ffffff\" stroke=\"#d0d7de\"/>", lx - lw / 2, ly - 11, lw);
		svg_text(b, lx, ly, "middle", NULL, "#1b1f24", lab);
		g_string_append_c(b, '\n');
		g_free(lab);
	}
	g_hash_table_unref(used);
	for (guint i = 0; i < nc; i++) {
		const ss_graph_client *c = &g_array_index(g->clients, ss_graph_client, i);
		g_string_append_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" "
				       "fill=\"#eef3fb\" stroke=\"#0969da\"/>", G_CLIENT_X, cy[i],
				       G_CLIENT_W, G_CLIENT_H);
		char *head = host_heading(c->family, &c->ip, &c->vnet);
		svg_text(b, G_CLIENT_X + 8, cy[i] + 14, NULL, "bold", "#1b1f24", head);
		g_free(head);
		char *sub = g_strdup_printf("client, %" G_GUINT64_FORMAT " conn%s", c->conns,
					    c->conns == 1 ? "" : "s");
		svg_text(b, G_CLIENT_X + 8, cy[i] + 28, NULL, NULL, "#57606a", sub);
		g_free(sub);
		g_string_append_c(b, '\n');
	}
	for (guint i = 0; i < ns; i++) {
		const ss_graph_server *s = &g_array_index(g->servers, ss_graph_server, i);
		int hgt = G_HEAD_H + (int)s->rows->len * G_ROW_H;
		g_string_append_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" "
				       "fill=\"#f4f8ee\" stroke=\"#1a7f37\"/>", G_SERVER_X, sy[i],
				       G_SERVER_W, hgt);
		char *head = host_heading(s->family, &s->ip, &s->vnet);
		svg_text(b, G_SERVER_X + 8, sy[i] + 16, NULL, "bold", "#1b1f24", head);
		g_free(head);
		for (guint j = 0; j < s->rows->len; j++) {
			const ss_listener *l = &g_array_index(r->listeners, ss_listener,
							      g_array_index(s->rows, guint, j));
			int ry = sy[i] + G_HEAD_H + (int)j * G_ROW_H;
			const char *fill = l->state == SS_LISTENER_OPEN ? "#ffffff" :
					   l->state == SS_LISTENER_CLOSED ? "#ffebe9" :
					   l->state == SS_LISTENER_UNKNOWN ? "#f6f8fa" : "#fff8c5";
			g_string_append_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
					       "fill=\"%s\" stroke=\"#d0d7de\"/>", G_SERVER_X, ry,
					       G_SERVER_W, G_ROW_H, fill);
			char *lab = ss_graph_row_label(l);
			svg_text(b, G_SERVER_X + 8, ry + 14, NULL, NULL, "#1b1f24", lab);
			g_free(lab);
		}
		g_string_append_c(b, '\n');
	}
	g_string_append(b, "</svg>\n");
	char *omitted = ss_graph_omitted_text(g);
	if (omitted != NULL)
		g_string_append_printf(b, "<p class=\"muted\">Not drawn (the least busy): %s.</p>\n",
				       omitted);
	g_free(omitted);
	g_free(sy);
	g_free(cy);
	ss_graph_free(g);
}

/* " (vxlan 42)" after an example's server: which tenant's connection (an
 * MPLS record names its whole label stack). */
static void tunnel_h(GString *b, const ss_tunnel *t)
{
	if (t->type == SS_TUNNEL_NONE)
		return;
	GString *v = g_string_new(" (");
	ss_tunnel_append(v, t);
	g_string_append_c(v, ')');
	h(b, v->str);
	g_string_free(v, TRUE);
}

/* ---- an example connection as a sequence diagram ---- */

#define Q_W 760
#define Q_LX 170
#define Q_RX 590
#define Q_STEP 30

static void sequence_h(GString *b, const ss_conn *c, guint n)
{
	GArray *ev = ss_seq_events(c);
	if (ev->len == 0) {
		ss_seq_events_free(ev);
		return;
	}
	int height = 60 + (int)ev->len * Q_STEP + 20;
	char *cl = ss_addr_port_dup(c->family, ss_conn_client_ip(c), ss_conn_client_port(c));
	char *sv = ss_seq_server_text(c);
	g_string_append_printf(b, "<svg class=\"sequence\" id=\"seq-%u\" xmlns=\"http://www.w3.org/2000/svg\" "
			       "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
			       "aria-label=\"packet sequence of the example connection\">\n"
			       "<defs><marker id=\"sa%u\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
			       "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
			       "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#1b1f24\"/></marker></defs>\n",
			       n, Q_W, height, Q_W, height, n);
	for (int k = 0; k < 2; k++) {
		int x = k == 0 ? Q_LX : Q_RX;
		/* roles unknown: the two sides, the first packet's sender first */
		const char *role = ss_conn_roles_unknown(c) ? (k == 0 ? "side A" : "side B")
							    : (k == 0 ? "client" : "server");
		char *lab = g_strdup_printf("%s %s", role, k == 0 ? cl : sv);
		int w = (int)strlen(lab) * 7 + 16;
		g_string_append_printf(b, "<rect x=\"%d\" y=\"8\" width=\"%d\" height=\"24\" rx=\"4\" "
				       "fill=\"#f6f8fa\" stroke=\"#57606a\"/>", x - w / 2, w);
		svg_text(b, x, 24, "middle", "bold", "#1b1f24", lab);
		g_string_append_printf(b, "<line x1=\"%d\" y1=\"32\" x2=\"%d\" y2=\"%d\" "
				       "stroke=\"#8c959f\" stroke-dasharray=\"4 3\"/>\n", x, x,
				       height - 8);
		g_free(lab);
	}
	GString *lab = g_string_new(NULL);
	for (guint i = 0; i < ev->len; i++) {
		const ss_seq_event *e = &g_array_index(ev, ss_seq_event, i);
		int y = 60 + (int)i * Q_STEP;
		g_string_assign(lab, e->label);
		if (e->at_ns != SS_NO_TIME) {
			g_string_append_c(lab, ' ');
			ss_seq_time_append(lab, e->at_ns);
		}
		if (e->from < 0) {
			int w = (int)lab->len * 7 + 16;
			g_string_append_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"20\" "
					       "fill=\"#fff8c5\" stroke=\"#bf8700\"/>",
					       (Q_LX + Q_RX) / 2 - w / 2, y - 14, w);
			svg_text(b, (Q_LX + Q_RX) / 2, y, "middle", NULL, "#1b1f24", lab->str);
		} else {
			int x1 = e->from == 0 ? Q_LX : Q_RX, x2 = e->from == 0 ? Q_RX : Q_LX;
			g_string_append_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
					       "stroke=\"#1b1f24\"%s marker-end=\"url(#sa%u)\"/>", x1,
					       y + 6, x2, y + 6, e->dashed ? " stroke-dasharray=\"6 3\"" : "",
					       n);
			svg_text(b, (Q_LX + Q_RX) / 2, y, "middle", NULL, "#1b1f24", lab->str);
		}
		g_string_append_c(b, '\n');
	}
	g_string_append(b, "</svg>\n");
	g_string_free(lab, TRUE);
	g_free(cl);
	g_free(sv);
	ss_seq_events_free(ev);
}

static void findings_h(GString *b, const ss_report *r)
{
	guint total = r->findings ? r->findings->len : 0;
	guint n = MIN(total, SS_REPORT_MAX_FINDINGS);
	g_string_append(b, "<h2 id=\"findings\">Findings</h2>\n");
	if (n == 0) {
		g_string_append(b, "<p>No findings.</p>\n");
		return;
	}
	if (total > n)
		g_string_append_printf(b, "<p class=\"muted\">The first %u of %u findings (all of "
				       "them: <code>--format json</code>).</p>\n", n, total);
	g_string_append(b, "<table class=\"sortable\" id=\"findings-table\">\n<thead><tr><th>#</th>"
			"<th>Severity</th><th>Finding</th><th>Count</th><th>Statement</th></tr>"
			"</thead>\n<tbody>\n");
	for (guint i = 0; i < n; i++) {
		const ss_finding *f = g_ptr_array_index(r->findings, i);
		g_string_append_printf(b, "<tr><td class=\"n\">%u</td><td data-v=\"%d\"><span "
				       "class=\"badge %s\">%s</span></td><td><a href=\"#f%u\"><code>",
				       i + 1, (int)f->severity, ss_severity_name(f->severity),
				       ss_severity_name(f->severity), i + 1);
		h(b, f->id);
		g_string_append_printf(b, "</code></a></td><td class=\"n\">%" G_GUINT64_FORMAT
				       "</td><td>", f->count);
		h(b, f->statement);
		g_string_append(b, "</td></tr>\n");
	}
	g_string_append(b, "</tbody>\n</table>\n");
	for (guint i = 0; i < n; i++) {
		const ss_finding *f = g_ptr_array_index(r->findings, i);
		g_string_append_printf(b, "<section class=\"finding sev-%s\" id=\"f%u\">\n<h3>%u. "
				       "<span class=\"badge %s\">%s</span> <code>",
				       ss_severity_name(f->severity), i + 1, i + 1,
				       ss_severity_name(f->severity), ss_severity_name(f->severity));
		h(b, f->id);
		g_string_append(b, "</code></h3>\n<p>");
		h(b, f->statement);
		g_string_append(b, "</p>\n<ul>\n");
		if (f->n_facts > 0) {
			g_string_append(b, "<li><strong>Evidence:</strong> ");
			for (guint j = 0; j < f->n_facts; j++) {
				g_string_append_printf(b, "%s<code>", j ? ", " : "");
				h(b, f->facts[j].name);
				g_string_append_c(b, ' ');
				if (f->facts[j].ms)
					ss_ms_append(b, f->facts[j].value, r->summary.nanosecond);
				else
					g_string_append_printf(b, "%" G_GINT64_FORMAT, f->facts[j].value);
				g_string_append(b, "</code>");
			}
			g_string_append(b, "</li>\n");
		}
		GString *ports = g_string_new(NULL);
		if (ss_ports_text(f->open_ports, SS_SCAN_PORTS_LISTED, ports)) {
			g_string_append(b, "<li><strong>Open ports:</strong> ");
			h(b, ports->str);
			g_string_append(b, "</li>\n");
		}
		g_string_truncate(ports, 0);
		if (ss_hosts_text(f->answered_hosts, f->family, SS_SCAN_PORTS_LISTED, ports)) {
			g_string_append(b, "<li><strong>Hosts that answered:</strong> ");
			h(b, ports->str);
			g_string_append(b, "</li>\n");
		}
		g_string_free(ports, TRUE);
		if (f->n_examples > 0)
			g_string_append(b, "<li><strong>Examples:</strong><ul>\n");
		for (guint j = 0; j < f->n_examples; j++) {
			const ss_conn *c = &f->examples[j];
			gint64 first, last;
			ss_conn_span(c, &first, &last);
			char *cl = ss_addr_port_dup(c->family, ss_conn_client_ip(c),
						    ss_conn_client_port(c));
			char *sv = ss_addr_port_dup(c->family, ss_conn_server_ip(c),
						    ss_conn_server_port(c));
			g_string_append(b, "<li><code>");
			time_h(b, first, r->summary.nanosecond);
			g_string_append_printf(b, "</code> %s <code>", ss_proto_name(c->proto, "?"));
			h(b, cl);
			g_string_append(b, ss_conn_roles_unknown(c) ? "</code> ↔ <code>"
								    : "</code> → <code>");
			h(b, sv);
			g_string_append(b, "</code>");
			tunnel_h(b, ss_conn_tunnel(c));
			/* how the roles were decided, and how sure: a guess says so */
			g_string_append_printf(b, " %s, roles %s <code>%s</code> (%s confidence)%s"
					       "</li>\n", ss_outcome_name(c->outcome),
					       ss_conn_roles_unknown(c) ? "unknown:"
					       : ss_conn_roles_proven(c) ? "from" : "inferred from",
					       ss_evidence_name(c->evidence),
					       ss_confidence_name(c->confidence),
					       ss_conn_one_sided(c) ? ", one-sided" : "");
			g_free(cl);
			g_free(sv);
		}
		if (f->n_examples > 0)
			g_string_append(b, "</ul></li>\n");
		g_string_append(b, "<li><strong>Next step:</strong> ");
		h(b, f->next_step);
		g_string_append(b, "</li>\n</ul>\n");
		if (f->n_examples > 0)
			sequence_h(b, &f->examples[0], i + 1);
		g_string_append(b, "</section>\n");
	}
}

/* " (vxlan 42)" after an address behind a tunnel: two tenants may use the
 * same address, and the virtual network tells their rows apart. */
static void vnet_h(GString *b, const ss_vnet *v)
{
	ss_tunnel t = ss_vnet_tunnel(v);
	tunnel_h(b, &t);
}

static void listeners_h(GString *b, const ss_report *r)
{
	guint total = r->listeners ? r->listeners->len : 0;
	guint n = MIN(total, SS_REPORT_MAX_ROWS);
	g_string_append(b, "<h2 id=\"listeners\">Listening sockets</h2>\n");
	if (n == 0) {
		g_string_append(b, "<p>None.</p>\n");
		return;
	}
	g_string_append(b, "<table class=\"sortable\" id=\"listeners-table\">\n<thead><tr><th>Proto</th>"
			"<th>Address</th><th>Port</th><th>Service</th><th>State</th>"
			"<th>Connections</th><th>Clients</th><th>Confidence</th></tr></thead>\n"
			"<tbody>\n");
	for (guint i = 0; i < n; i++) {
		const ss_listener *l = &g_array_index(r->listeners, ss_listener, i);
		char ip[SS_IP_STRLEN];
		ss_ip_format(l->family, &l->ip, ip);
		g_string_append_printf(b, "<tr><td>%s</td><td", ss_proto_name(l->proto, "?"));
		addr_key(b, l->family, &l->ip);
		g_string_append(b, "><code>");
		h(b, ip);
		g_string_append(b, "</code>");
		vnet_h(b, &l->vnet);
		g_string_append_printf(b, "</td><td class=\"n\">%u</td><td>", (unsigned)l->port);
		h(b, l->service ? l->service : "");
		g_string_append_printf(b, "</td><td>%s</td><td class=\"n\">%" G_GUINT64_FORMAT
				       "</td><td class=\"n\">%" G_GUINT64_FORMAT "</td><td>%s</td></tr>\n",
				       ss_listener_state_name(l->state), l->connections, l->clients,
				       ss_confidence_name(l->confidence));
	}
	g_string_append(b, "</tbody>\n</table>\n");
	if (total > n)
		g_string_append_printf(b, "<p class=\"muted\">%u more listening sockets are not listed "
				       "(all of them: <code>--format json</code>).</p>\n", total - n);
}

static void clients_h(GString *b, const ss_report *r)
{
	guint n = r->hosts ? r->hosts->len : 0, shown = 0, more = 0;
	g_string_append(b, "<h2 id=\"clients\">Client hosts</h2>\n");
	for (guint i = 0; i < n; i++) {
		const ss_host *x = &g_array_index(r->hosts, ss_host, i);
		if (x->client_connections == 0)
			continue;
		if (shown >= SS_REPORT_MAX_ROWS) {
			more++;
			continue;
		}
		if (shown++ == 0)
			g_string_append(b, "<table class=\"sortable\" id=\"clients-table\">\n<thead><tr>"
					"<th>Address</th><th>Connections</th><th>Servers</th>"
					"<th>Handshakes</th><th>Source ports</th><th>Ephemeral range</th>"
					"<th>Allocation</th><th>Reused ports</th><th>Notes</th></tr>"
					"</thead>\n<tbody>\n");
		char ip[SS_IP_STRLEN];
		ss_ip_format(x->family, &x->ip, ip);
		g_string_append(b, "<tr><td");
		addr_key(b, x->family, &x->ip);
		g_string_append(b, "><code>");
		h(b, ip);
		g_string_append(b, "</code>");
		vnet_h(b, &x->vnet);
		g_string_append_printf(b, "</td><td class=\"n\">%" G_GUINT64_FORMAT "</td><td "
				       "class=\"n\">%" G_GUINT64_FORMAT "</td><td class=\"n\">%"
				       G_GUINT64_FORMAT "</td><td>", x->client_connections,
				       x->client_servers, x->eph.samples);
		if (x->eph.samples > 0)
			g_string_append_printf(b, "%u-%u", (unsigned)x->eph.min, (unsigned)x->eph.max);
		g_string_append(b, "</td><td>");
		if (x->eph.samples == 0)
			g_string_append(b, "-");
		else if (x->profile.fits == SS_EPH_UNKNOWN)
			g_string_append_printf(b, "unknown (%" G_GUINT64_FORMAT " sample%s)",
					       x->eph.samples, x->eph.samples == 1 ? "" : "s");
		else {
			h(b, ss_eph_default_label(x->profile.fits));
			g_string_append_printf(b, " %u-%u", (unsigned)x->profile.low,
					       (unsigned)x->profile.high);
		}
		g_string_append(b, "</td><td>");
		h(b, x->eph.samples > 0 ? ss_alloc_pattern_name(x->profile.pattern) : "-");
		g_string_append(b, "</td><td class=\"n\">");
		if (x->reuse_known && x->eph.samples > 0)
			g_string_append_printf(b, "%" G_GUINT64_FORMAT, x->reused_ports);
		else
			g_string_append(b, "-");
		g_string_append(b, "</td><td>");
		gboolean note = FALSE;
		if (x->exhaustion_risk) {
			g_string_append(b, "<strong>exhaustion risk</strong>");
			note = TRUE;
		}
		if (x->n_dual_ports > 0) {
			g_string_append_printf(b, "%slistens on and connects from tcp port", note ? "; " : "");
			for (guint j = 0; j < x->n_dual_ports; j++)
				g_string_append_printf(b, "%s%u", j ? ", " : " ", (unsigned)x->dual_ports[j]);
		}
		g_string_append(b, "</td></tr>\n");
	}
	g_string_append(b, shown ? "</tbody>\n</table>\n" : "<p>None.</p>\n");
	if (more > 0)
		g_string_append_printf(b, "<p class=\"muted\">%u more client hosts are not listed "
				       "(all of them: <code>--format json</code>).</p>\n", more);
}

/* Which tunnels the capture's traffic came out of (only when it had any). */
static void tunnels_h(GString *b, const ss_report *r)
{
	guint total = r->tunnels ? r->tunnels->len : 0;
	guint n = MIN(total, SS_REPORT_MAX_ROWS);
	if (total == 0)
		return;
	g_string_append(b, "<h2 id=\"tunnels\">Tunnels</h2>\n<table class=\"sortable\" "
			"id=\"tunnels-table\">\n<thead><tr><th>Tunnel</th><th>Outer endpoints</th>"
			"<th>Connections</th><th>Packets</th><th>Bytes</th><th>First packet</th>"
			"</tr></thead>\n<tbody>\n");
	for (guint i = 0; i < n; i++) {
		const ss_tunnel_flow *t = &g_array_index(r->tunnels, ss_tunnel_flow, i);
		GString *v = g_string_new(NULL);   /* an MPLS tunnel: its label stack */
		ss_tunnel_flow_append(v, t);
		g_string_append(b, "<tr><td>");
		h(b, v->str);
		g_string_append(b, "</td><td>");
		if (t->family) {
			char src[SS_IP_STRLEN], dst[SS_IP_STRLEN];
			ss_ip_format(t->family, &t->src, src);
			ss_ip_format(t->family, &t->dst, dst);
			g_string_append(b, "<code>");
			h(b, src);
			g_string_append(b, "</code> - <code>");
			h(b, dst);
			g_string_append(b, "</code>");
		} else {
			g_string_append(b, "on the link");
		}
		g_string_append_printf(b, "</td><td class=\"n\">%" G_GUINT64_FORMAT "</td><td "
				       "class=\"n\">%" G_GUINT64_FORMAT "</td><td class=\"n\">%"
				       G_GUINT64_FORMAT "</td><td>", t->connections, t->packets, t->bytes);
		time_h(b, t->first_ns, r->summary.nanosecond);
		g_string_append(b, "</td></tr>\n");
		g_string_free(v, TRUE);
	}
	g_string_append(b, "</tbody>\n</table>\n");
	if (total > n)
		g_string_append_printf(b, "<p class=\"muted\">%u more tunnels are not listed "
				       "(all of them: <code>--format json</code>).</p>\n", total - n);
}

void ss_html_page_begin(GString *b, const char *title)
{
	g_string_append(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
			"style-src ");
	csp_hash(b, css);
	g_string_append(b, "; script-src ");
	csp_hash(b, js);
	g_string_append(b, "; img-src 'none'; connect-src 'none'; font-src 'none'; "
			"base-uri 'none'; form-action 'none'\">\n"
			"<meta name=\"referrer\" content=\"no-referrer\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			"<meta name=\"generator\" content=\"sockscope ");
	h(b, SOCKSCOPE_VERSION);
	g_string_append(b, "\">\n<title>");
	h(b, title);
	g_string_append(b, "</title>\n<style>");
	g_string_append(b, css);
	g_string_append(b, "</style>\n</head>\n<body>\n<h1>");
	h(b, title);
	g_string_append(b, "</h1>\n"
			"<p class=\"muted\">Click a column heading to sort a table. Addresses are "
			"never resolved to names.</p>\n");
}

void ss_html_page_end(GString *b)
{
	g_string_append(b, "<script>");
	g_string_append(b, js);
	g_string_append(b, "</script>\n</body>\n</html>\n");
}

gboolean ss_render_html(const ss_report *r, FILE *out)
{
	GString *b = g_string_sized_new(65536);
	ss_html_page_begin(b, "sockscope report");
	summary_h(b, r);
	findings_h(b, r);
	graph_h(b, r);
	listeners_h(b, r);
	clients_h(b, r);
	tunnels_h(b, r);
	ss_html_page_end(b);

	return ss_out_finish(b, out, TRUE);
}
