/* The report model's own code (sockscope/report.h): who owns what in an
 * ss_report and how it is freed.  Model code, not a format: every format
 * and the dispatcher may use it, and it uses none of them.  (The listener
 * states' names, ss_listener_state_name, live with the roll-up in
 * analysis/listeners.c.) */
#include "sockscope/analyzer.h"
#include "sockscope/findings.h"
#include "sockscope/format.h"
#include "sockscope/hosts.h"
#include "sockscope/report.h"

/* Takes the elements out of a pointer array whatever free function it was
 * created with, frees each with `fn`, then the array. */
static void free_ptr_array(GPtrArray *a, GDestroyNotify fn)
{
	if (a == NULL)
		return;
	g_ptr_array_set_free_func(a, NULL);
	for (guint i = 0; i < a->len; i++)
		fn(g_ptr_array_index(a, i));
	g_ptr_array_unref(a);
}

void ss_report_free(ss_report *r)
{
	if (r == NULL)
		return;
	free_ptr_array(r->summary.inputs, ss_input_free);
	free_ptr_array(r->summary.warnings, g_free);
	free_ptr_array(r->conns, g_free);
	if (r->listeners != NULL)
		g_array_unref(r->listeners);
	ss_hosts_array_free(r->hosts);
	if (r->tunnels != NULL)
		g_array_unref(r->tunnels);
	if (r->findings != NULL)
		g_ptr_array_unref(r->findings);
	g_free(r);
}


void ss_report_complete(ss_report *r, gboolean findings)
{
	if (findings && r->findings == NULL)
		r->findings = ss_findings_compute(r);
}

gboolean ss_ports_text(const GArray *ports, guint max, GString *out)
{
	if (ports == NULL)
		return FALSE;
	if (ports->len == 0) {
		g_string_append(out, "none");
		return TRUE;
	}
	for (guint i = 0; i < ports->len && i < max; i++)
		g_string_append_printf(out, "%s%u", i ? ", " : "",
				       (unsigned)g_array_index(ports, guint16, i));
	if (ports->len > max)
		g_string_append_printf(out, " and %u more", ports->len - max);
	return TRUE;
}

gboolean ss_hosts_text(const GArray *hosts, guint8 family, guint max, GString *out)
{
	if (hosts == NULL)
		return FALSE;
	if (hosts->len == 0) {
		g_string_append(out, "none");
		return TRUE;
	}
	for (guint i = 0; i < hosts->len && i < max; i++) {
		char buf[SS_IP_STRLEN];
		ss_ip_format(family, &g_array_index(hosts, ss_ip, i), buf);
		g_string_append_printf(out, "%s%s", i ? ", " : "", buf);
	}
	if (hosts->len > max)
		g_string_append_printf(out, " and %u more", hosts->len - max);
	return TRUE;
}

/* "N (TCP a, UDP b)", the parts that are not 0. */
static void csum_count(GString *out, const ss_summary *s, ss_csum k)
{
	guint64 t = s->checksums[0][k], u = s->checksums[1][k];
	g_string_append_printf(out, "%" G_GUINT64_FORMAT, t + u);
	if (t > 0 && u > 0)
		g_string_append_printf(out, " (TCP %" G_GUINT64_FORMAT ", UDP %" G_GUINT64_FORMAT ")",
				       t, u);
	else
		g_string_append(out, t > 0 ? " TCP" : " UDP");
}

gboolean ss_summary_checksums_text(const ss_summary *s, GString *out)
{
	guint64 bad = s->checksums[0][SS_CSUM_BAD] + s->checksums[1][SS_CSUM_BAD];
	guint64 partial = s->checksums[0][SS_CSUM_PARTIAL] + s->checksums[1][SS_CSUM_PARTIAL];
	if (bad == 0 && partial == 0)
		return FALSE;
	if (bad > 0) {
		csum_count(out, s, SS_CSUM_BAD);
		g_string_append(out, " with a bad checksum (their receivers discard them)");
	}
	if (partial > 0) {
		if (bad > 0)
			g_string_append(out, "; ");
		csum_count(out, s, SS_CSUM_PARTIAL);
		g_string_append(out, " left unfinished by checksum offload (captured on the "
				     "sending host: not verified, not counted as bad)");
	}
	return TRUE;
}

gboolean ss_summary_flow_cap_text(const ss_summary *s, GString *out)
{
	const typeof(s->flow_cap) *f = &s->flow_cap;
	if (f->evictions == 0)
		return FALSE;
	g_string_append_printf(out, "%" G_GUINT64_FORMAT " eviction%s (at most %" G_GUINT64_FORMAT
			       " flows tracked)", f->evictions, f->evictions == 1 ? "" : "s",
			       s->max_flows_tracked);
	if (f->resumed > 0)
		g_string_append_printf(out, "; %" G_GUINT64_FORMAT " evicted flows came back and"
				       " were joined to their record", f->resumed);
	if (f->continued > 0)
		g_string_append_printf(out, "; %" G_GUINT64_FORMAT " records continue an evicted"
				       " flow (not new connections)", f->continued);
	guint64 agg = f->aggregated_tcp_failed + f->aggregated_tcp_answered +
		      f->aggregated_tcp_other + f->aggregated_udp;
	if (agg > 0)
		g_string_append_printf(out, "; %" G_GUINT64_FORMAT " records past the first %"
				       G_GUINT64_FORMAT " kept were counted in the listeners and"
				       " hosts but not listed (TCP failed %" G_GUINT64_FORMAT
				       ", answered %" G_GUINT64_FORMAT ", other %" G_GUINT64_FORMAT
				       ", UDP %" G_GUINT64_FORMAT ")", agg, f->kept_max,
				       f->aggregated_tcp_failed, f->aggregated_tcp_answered,
				       f->aggregated_tcp_other, f->aggregated_udp);
	return TRUE;
}
