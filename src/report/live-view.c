/* --interval: the periodic live view of listeners and new connections
 * (sockscope/live-view.h).  It draws a snapshot report and the capture's
 * counters handed to it as values; the caller takes the snapshot. */
#include "sockscope/decode.h"
#include "sockscope/format.h"
#include "sockscope/ip.h"
#include "sockscope/live-view.h"
#include "sockscope/tunnels.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Rows per table when the view goes to a pipe or file (a terminal gets what
 * fits its height); records beyond that are counted, not listed. */
#define VIEW_MAX_ROWS 200
/* Ended records kept between two refreshes (streaming). */
#define VIEW_MAX_ENDED 1000

struct ss_live_view {
	FILE *out;
	gboolean tty;
	guint64 from_seq;          /* records from this number on are "new" */
	GPtrArray *ended;          /* ss_conn copies, ended since the last view */
	guint64 ended_skipped;     /* ended records beyond VIEW_MAX_ENDED */
	gint64 since_ns;           /* wall time of the previous view */
	gint64 start_ns;
};

ss_live_view *ss_live_view_new(FILE *out)
{
	ss_live_view *v = g_new0(ss_live_view, 1);
	v->out = out;
	v->tty = isatty(fileno(out));
	v->ended = g_ptr_array_new_with_free_func(g_free);
	v->start_ns = v->since_ns = g_get_real_time() * 1000;
	return v;
}

void ss_live_view_free(ss_live_view *v)
{
	if (!v)
		return;
	g_ptr_array_unref(v->ended);
	g_free(v);
}

void ss_live_view_ended(ss_live_view *v, const ss_conn *c)
{
	if (c->seq < v->from_seq)
		return;
	if (v->ended->len >= VIEW_MAX_ENDED) {
		v->ended_skipped++;
		return;
	}
	ss_conn *copy = g_new(ss_conn, 1);
	ss_conn_copy(copy, c);   /* c may be shorter than an ss_conn (conn.h) */
	g_ptr_array_add(v->ended, copy);
}

/* "HH:MM:SS" UTC of a wall-clock time. */
/* " (vxlan 42)" after a tunnelled address: two tenants may use the same
 * one, and the view must say whose it is (an MPLS record with its label
 * stack); nothing outside tunnels. */
static void tunnel_suffix(GString *b, const ss_tunnel *t)
{
	if (t->type == SS_TUNNEL_NONE)
		return;
	g_string_append(b, " (");
	ss_tunnel_append(b, t);
	g_string_append_c(b, ')');
}

static void clock_append(GString *b, gint64 ns, gboolean date)
{
	GString *t = g_string_new(NULL);
	ss_time_append(t, ns - ns % 1000000000, FALSE);
	/* "2026-01-01T12:00:05.000000Z" */
	if (date)
		g_string_append_printf(b, "%.10s %.8s UTC", t->str, t->str + 11);
	else
		g_string_append_printf(b, "%.8s", t->str + 11);
	g_string_free(t, TRUE);
}

static gint cmp_seq(gconstpointer pa, gconstpointer pb)
{
	const ss_conn *a = *(ss_conn *const *)pa, *b = *(ss_conn *const *)pb;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

guint64 ss_live_view_since(const ss_live_view *v)
{
	return v->from_seq;
}

void ss_live_view_refresh(ss_live_view *v, const ss_report *r, guint64 next_seq,
			  const char *device, const ss_live_stats *stats)
{
	/* New records: those that ended since the last view, then those in
	 * progress, in creation order. */
	GPtrArray *fresh = g_ptr_array_new();
	for (guint i = 0; i < v->ended->len; i++)
		g_ptr_array_add(fresh, g_ptr_array_index(v->ended, i));
	for (guint i = 0; i < r->conns->len; i++)
		g_ptr_array_add(fresh, g_ptr_array_index(r->conns, i));
	g_ptr_array_sort(fresh, cmp_seq);

	guint n_tunnels = r->tunnels != NULL ? r->tunnels->len : 0;
	guint rows_listeners = VIEW_MAX_ROWS, rows_conns = VIEW_MAX_ROWS;
	guint rows_tunnels = VIEW_MAX_ROWS;
	struct winsize ws;
	if (v->tty && ioctl(fileno(v->out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 10) {
		/* Header 2 lines + 2 per table (title, column names) + 2 "more";
		 * the tunnels (only with tunnels) get up to 4 rows of what is
		 * left, and 4 lines of their own. */
		guint room = ws.ws_row - 8u;
		if (n_tunnels > 0 && room > 12) {
			rows_tunnels = MIN(n_tunnels, 4u);
			room -= rows_tunnels + 4;
		}
		rows_listeners = MIN(r->listeners->len, MAX(room / 2, room - MIN(room, fresh->len)));
		rows_conns = room - rows_listeners;
	}

	gint64 now = g_get_real_time() * 1000;
	const ss_summary *s = &r->summary;
	GString *b = g_string_sized_new(8192);
	if (v->tty)
		g_string_append(b, "\033[H\033[2J");
	else
		g_string_append(b, "--- ");
	g_string_append(b, "sockscope live on ");
	ss_text_sanitize_append(b, device);
	g_string_append(b, ", ");
	clock_append(b, now, TRUE);
	g_string_append_printf(b, " (%" G_GINT64_FORMAT " s)", (now - v->start_ns) / 1000000000);
	if (!v->tty)
		g_string_append(b, " ---");
	g_string_append_c(b, '\n');
	g_string_append_printf(b, "%" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
			       " decoded; %" G_GUINT64_FORMAT " TCP connections, %" G_GUINT64_FORMAT
			       " UDP exchanges", s->packets, s->decoded, s->tcp_connections,
			       s->udp_exchanges);
	if (stats != NULL && stats->known)
		g_string_append_printf(b, "; kernel: %" G_GUINT64_FORMAT " received, %"
				       G_GUINT64_FORMAT " dropped", stats->received, stats->dropped);
	g_string_append(b, "\n\n");

	g_string_append_printf(b, "Listening sockets: %u\n", r->listeners->len);
	if (r->listeners->len > 0)
		g_string_append_printf(b, "%-5s  %-47s  %-8s  %8s  %7s  %s\n", "PROTO", "LISTENER",
				       "STATE", "CONNS", "CLIENTS", "SERVICE");
	GString *ep = g_string_new(NULL);
	for (guint i = 0; i < r->listeners->len && i < rows_listeners; i++) {
		const ss_listener *l = &g_array_index(r->listeners, ss_listener, i);
		g_string_truncate(ep, 0);
		ss_addr_port_append(ep, l->family, &l->ip, l->port);
		ss_tunnel lt = ss_vnet_tunnel(&l->vnet);   /* two tenants' 10.0.0.9:80 */
		tunnel_suffix(ep, &lt);
		g_string_append_printf(b, "%-5s  %-47s  %-8s  %8" G_GUINT64_FORMAT "  %7"
				       G_GUINT64_FORMAT "  %s\n",
				       l->proto == IPPROTO_TCP ? "tcp" : "udp", ep->str,
				       ss_listener_state_name(l->state), l->connections, l->clients,
				       l->service ? l->service : "-");
	}
	if (r->listeners->len > rows_listeners)
		g_string_append_printf(b, "... and %u more\n", r->listeners->len - rows_listeners);

	/* The tunnels so far, as the final report lists them
	 * (docs/output.md#tunnel-object); nothing without tunnels. */
	if (n_tunnels > 0) {
		g_string_append_printf(b, "\nTunnels: %u\n", n_tunnels);
		g_string_append_printf(b, "%-20s  %-63s  %8s  %10s\n", "TUNNEL", "OUTER ENDPOINTS",
				       "CONNS", "PKTS");
	}
	for (guint i = 0; i < n_tunnels && i < rows_tunnels; i++) {
		const ss_tunnel_flow *f = &g_array_index(r->tunnels, ss_tunnel_flow, i);
		g_string_truncate(ep, 0);
		ss_tunnel_flow_append(ep, f);   /* MPLS: the label stack */
		g_string_append_printf(b, "%-20s  ", ep->str);
		g_string_truncate(ep, 0);
		if (f->family) {
			char src[SS_IP_STRLEN], dst[SS_IP_STRLEN];
			ss_ip_format(f->family, &f->src, src);
			ss_ip_format(f->family, &f->dst, dst);
			g_string_append_printf(ep, "%s - %s", src, dst);
		} else {
			g_string_append(ep, "on the link");
		}
		g_string_append_printf(b, "%-63s  %8" G_GUINT64_FORMAT "  %10" G_GUINT64_FORMAT "\n",
				       ep->str, f->connections, f->packets);
	}
	if (n_tunnels > rows_tunnels)
		g_string_append_printf(b, "... and %u more\n", n_tunnels - rows_tunnels);

	g_string_append(b, "\nNew connections since ");
	clock_append(b, v->since_ns, FALSE);
	g_string_append_printf(b, ": %" G_GUINT64_FORMAT "\n",
			       (guint64)fresh->len + v->ended_skipped);
	if (fresh->len > 0)
		g_string_append_printf(b, "%-5s  %-47s  %-47s  %-12s  %s\n", "PROTO", "CLIENT",
				       "SERVER", "OUTCOME", "CLOSE");
	/* The most recent ones when they do not all fit. */
	guint first = fresh->len > rows_conns ? fresh->len - rows_conns : 0;
	if (first > 0 || v->ended_skipped > 0)
		g_string_append_printf(b, "... %" G_GUINT64_FORMAT " earlier ones not shown\n",
				       (guint64)first + v->ended_skipped);
	GString *ep2 = g_string_new(NULL);
	for (guint i = first; i < fresh->len; i++) {
		const ss_conn *c = g_ptr_array_index(fresh, i);
		g_string_truncate(ep, 0);
		g_string_truncate(ep2, 0);
		ss_addr_port_append(ep, c->family, ss_conn_client_ip(c), ss_conn_client_port(c));
		ss_addr_port_append(ep2, c->family, ss_conn_server_ip(c), ss_conn_server_port(c));
		tunnel_suffix(ep2, ss_conn_tunnel(c));
		g_string_append_printf(b, "%-5s  %-47s  %-47s  %-12s  %s%s\n",
				       c->proto == IPPROTO_TCP ? "tcp" : "udp", ep->str, ep2->str,
				       ss_outcome_name(c->outcome), ss_close_name(c->close),
				       /* the columns are then only the two sides */
				       ss_conn_roles_unknown(c) ? ", roles unknown" : "");
	}
	if (!v->tty)
		g_string_append_c(b, '\n');
	g_string_free(ep, TRUE);
	g_string_free(ep2, TRUE);

	/* A failing view is not worth stopping the capture for; the report's
	 * own write is checked. */
	fwrite(b->str, 1, b->len, v->out);
	fflush(v->out);
	g_string_free(b, TRUE);

	g_ptr_array_unref(fresh);
	g_ptr_array_set_size(v->ended, 0);
	v->ended_skipped = 0;
	v->from_seq = next_seq;
	v->since_ns = now;
}
