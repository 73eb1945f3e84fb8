/* The text format's "Hosts" section: per address, its listening sockets
 * (those a port scan produced folded into one line), the connections it
 * made and its ephemeral-port profile.  Part of the text format, not a
 * format of its own (scripts/check-layers.py: FORMAT_PARTS); split from
 * text.c so each file stays one concern and under the size limit. */
#include <netinet/in.h>
#include <string.h>
#include "report/out.h"
#include "report/text-hosts.h"
#include "report/text-table.h"
#include "sockscope/decode.h"
#include "sockscope/findings.h"
#include "sockscope/hosts.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/util.h"

/* One host: "  IP" then indented lines: listening, client, ephemeral. */
static void host_lines(GString *b, const ss_report *r, const ss_host *h,
		       const ss_text_scans *scans, const ss_render_options *opt)
{
	const gsize indent = 4 + 12;
	char ip[SS_IP_STRLEN];
	ss_ip_format(h->family, &h->ip, ip);
	g_string_append_printf(b, "  %s", ip);
	if (h->vnet.type != SS_TUNNEL_NONE) {   /* the same address in two tenants */
		g_string_append(b, " (");
		ss_vnet_append(b, &h->vnet);
		g_string_append_c(b, ')');
	}
	g_string_append_c(b, '\n');

	GString *l = g_string_new(NULL);
	guint64 folded = 0;
	for (guint i = 0; h->listeners && r->listeners && i < h->listeners->len; i++) {
		guint li = g_array_index(h->listeners, guint, i);
		if (li >= r->listeners->len)
			continue;
		const ss_listener *x = &g_array_index(r->listeners, ss_listener, li);
		if (ss_text_scan_listener(scans, x)) {
			folded++;
			continue;
		}
		char *svc = x->service ? ss_text_clean(x->service) : NULL;
		g_string_append_printf(l, "%s%s/%u%s%s %s%s (%" G_GUINT64_FORMAT " conn%s, %"
				       G_GUINT64_FORMAT " client%s)", l->len ? ", " : "",
				       ss_proto_name(x->proto, "?"), (unsigned)x->port, svc ? " " : "",
				       svc ? svc : "", ss_listener_state_name(x->state),
				       x->confidence == SS_CONFIDENCE_HIGH ? "" : ", inferred",
				       x->connections, x->connections == 1 ? "" : "s", x->clients,
				       x->clients == 1 ? "" : "s");
		g_free(svc);
	}
	if (folded > 0)
		g_string_append_printf(l, "%s%" G_GUINT64_FORMAT " closed or filtered port%s only "
				       "scanned", l->len ? ", " : "", folded, folded == 1 ? "" : "s");
	if (l->len > 0) {
		g_string_append(b, "    listening:  ");
		ss_text_append_wrapped(b, indent, l->str, indent, opt->width);
	}
	g_string_truncate(l, 0);

	if (h->client_connections > 0) {
		g_string_append_printf(l, "%" G_GUINT64_FORMAT " connection%s to %" G_GUINT64_FORMAT
				       " server%s", h->client_connections,
				       h->client_connections == 1 ? "" : "s", h->client_servers,
				       h->client_servers == 1 ? "" : "s");
		g_string_append(b, "    client:     ");
		ss_text_append_wrapped(b, indent, l->str, indent, opt->width);
		g_string_truncate(l, 0);
	}
	if (h->unknown_roles > 0) {
		g_string_append_printf(l, "%" G_GUINT64_FORMAT " connection%s (no handshake, "
				       "both ports ephemeral-looking: not counted as client or "
				       "listener)", (guint64)h->unknown_roles, h->unknown_roles == 1 ? "" : "s");
		g_string_append(b, "    unknown:    ");
		ss_text_append_wrapped(b, indent, l->str, indent, opt->width);
		g_string_truncate(l, 0);
	}

	if (h->eph.samples > 0) {
		const ss_eph_profile *p = &h->profile;
		g_string_append_printf(l, "%" G_GUINT64_FORMAT " handshake%s from ports %u-%u; ",
				       h->eph.samples, h->eph.samples == 1 ? "" : "s",
				       (unsigned)h->eph.min, (unsigned)h->eph.max);
		if (p->fits == SS_EPH_UNKNOWN && p->basis == SS_EPH_BASIS_FIXED)
			g_string_append(l, "range unknown (one source port for every connection)");
		else if (p->fits == SS_EPH_UNKNOWN)
			g_string_append_printf(l, "range unknown (%" G_GUINT64_FORMAT " sample%s)",
					       h->eph.samples, h->eph.samples == 1 ? "" : "s");
		else
			g_string_append_printf(l, "range %s %u-%u, %s (inferred: %s)",
					       ss_eph_default_label(p->fits), (unsigned)p->low,
					       (unsigned)p->high, ss_alloc_pattern_name(p->pattern),
					       ss_eph_basis_phrase(p->basis));
		gboolean first = TRUE;
		const ss_eph_default *ids;
		gsize n = ss_eph_defaults(&ids);
		for (gsize i = 0; i < n; i++) {
			if (!(p->consistent & (1u << ids[i])) || ids[i] == p->fits)
				continue;
			const char *lead = p->fits == SS_EPH_UNKNOWN || p->fits == SS_EPH_CUSTOM
						   ? "; ports within the defaults of "
						   : "; ports also within the defaults of ";
			g_string_append_printf(l, "%s%s", first ? lead : ", ",
					       ss_eph_default_label(ids[i]));
			first = FALSE;
		}
		if (h->reused_ports > 0) {
			g_string_append_printf(l, "; %" G_GUINT64_FORMAT " reused port%s",
					       h->reused_ports, h->reused_ports == 1 ? "" : "s");
			if (h->min_reuse_gap_ns != SS_NO_TIME) {
				g_string_append(l, ", shortest gap ");
				ss_ms_append(l, h->min_reuse_gap_ns, r->summary.nanosecond);
				g_string_append(l, " ms");
			}
		}
		g_string_append(b, "    ephemeral:  ");
		ss_text_append_wrapped(b, indent, l->str, indent, opt->width);
		g_string_truncate(l, 0);
	}

	if (h->exhaustion_risk) {
		char *dst = ss_addr_port_dup(h->family, &h->busiest_ip, h->busiest_port);
		guint64 size = (guint64)h->profile.high - h->profile.low + 1;
		g_string_append_printf(l, "%" G_GUINT64_FORMAT " %s connections to %s within %"
				       G_GINT64_FORMAT " s use %" G_GUINT64_FORMAT
				       "%% of its ephemeral range: port exhaustion risk",
				       h->busiest_connections, ss_proto_name(h->busiest_proto, "?"), dst,
				       SS_EXHAUSTION_WINDOW_NS / 1000000000,
				       h->busiest_connections * 100 / size);
		g_free(dst);
		if (opt->color)
			g_string_append(b, YELLOW);
		g_string_append(b, "    WARNING:");
		if (opt->color)
			g_string_append(b, RESET);
		g_string_append(b, "    ");
		ss_text_append_wrapped(b, indent, l->str, indent, opt->width);
		g_string_truncate(l, 0);
	}

	if (h->n_dual_ports > 0) {
		for (guint i = 0; i < h->n_dual_ports; i++)
			g_string_append_printf(l, "%s%u", i ? ", " : "", (unsigned)h->dual_ports[i]);
		g_string_append(b, "    both ways:  listens on and connects from tcp port ");
		ss_text_append_wrapped(b, indent, l->str, indent, opt->width);
	}
	g_string_free(l, TRUE);
}

void ss_text_hosts_block(GString *b, const ss_report *r, const ss_text_scans *scans,
			 const ss_render_options *opt)
{
	ss_text_heading(b, "Hosts", opt);
	guint n = r->hosts != NULL ? r->hosts->len : 0;
	if (n == 0) {
		g_string_append(b, "  none\n");
		return;
	}
	for (guint i = 0; i < n; i++)
		host_lines(b, r, &g_array_index(r->hosts, ss_host, i), scans, opt);
}
