/* The capture-quality findings: records seen from one side only (and
 * which host's direction is missing), connections already open when the
 * capture started, packets cut by the snap length.  They come from the
 * summary's counts and the accumulator's single groups, not from one
 * server socket, hence a file of their own beside findings-text.c. */
#include <string.h>

#include "analysis/findings-internal.h"

/* A capture-quality finding: n of them (the summary's count or the
 * group's, whichever is larger), with the group's examples. */
static ss_finding *quality(GPtrArray *out, const ss_findings_acc *a, const char *id,
			   ss_severity sev, guint64 n, const char *what, const group *g)
{
	ss_finding *f = finding_new(id, sev, n);
	fact(f, what, (gint64)n);
	if (g)
		ss_findings_set_examples_at(f, a, g->ex, g->nex, TRUE);
	g_ptr_array_add(out, f);
	return f;
}

/* The hosts whose packets one-sided records lack, most records first. */
static gint cmp_silent(gconstpointer pa, gconstpointer pb)
{
	const group *a = pa, *b = pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return memcmp(&a->k, &b->k, sizeof a->k);
}

/* "no packets from 10.0.0.2 (the server, 40 connections), ...", the
 * address followed by its virtual network behind a tunnel (K_SILENT is
 * per address and virtual network) */
static void silent_hosts_phrase(GString *st, const ss_findings_acc *a)
{
	GList *l = NULL;
	for (guint32 i = 0; i < a->groups[K_SILENT].len; i++)
		if (group_at(a, K_SILENT, i))
			l = g_list_prepend(l, (gpointer)group_at(a, K_SILENT, i));
	l = g_list_sort(l, cmp_silent);
	guint i = 0, n = g_list_length(l);
	for (GList *it = l; it && i < 3; it = it->next, i++) {
		const group *h = it->data;
		char *ip = ip_vnet_dup(h->k.family, &h->k.server, &h->k.vnet);
		g_string_append_printf(st, "%s%s (the %s, %" G_GUINT64_FORMAT " connection%s)",
				       i == 0 ? " The missing direction: no packets from " : ", ",
				       ip, h->k.icmp_type ? "client" : "server", h->n, plural(h->n));
		g_free(ip);
	}
	if (n > 3)
		g_string_append_printf(st, " and %u more host%s", n - 3, plural(n - 3));
	if (n > 0)
		g_string_append_c(st, '.');
	g_list_free(l);
}

void ss_findings_text_quality(GPtrArray *out, const ss_findings_acc *a, const ss_report *r,
			      guint64 unanswered_unknown)
{
	const ss_summary *s = &r->summary;
	ss_finding *f;
	group *g = groups_find(a, K_ONE_SIDED, &(gkey){ 0 });
	guint64 n = MAX(s->quality.one_sided, g ? g->n : 0);
	if (n > 0) {
		f = quality(out, a, "one_sided_capture", SS_SEVERITY_LOW, n, "connections", g);
		fact(f, "silent_hosts", ss_oatable_size(&a->groups[K_SILENT]));
		if (unanswered_unknown > 0)
			fact(f, "unanswered_unknown", (gint64)unanswered_unknown);
		if (a->unknown_udp > 0)
			fact(f, "udp_unknown", (gint64)a->unknown_udp);
		guint64 total = MAX(s->tcp_connections, a->tcp);
		guint64 ntcp = n > a->unknown_udp ? n - a->unknown_udp : 0;
		GString *st = g_string_new(NULL);
		g_string_append_printf(st, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
				       " TCP connections show packets in one direction only: "
				       "the capture point sees one path of an asymmetric route, "
				       "or a filter dropped the other direction.", ntcp, total);
		silent_hosts_phrase(st, a);
		if (a->unknown_udp > 0)
			g_string_append_printf(st, " %" G_GUINT64_FORMAT " UDP exchange%s got no "
					       "reply in the capture, which holds nothing from %s "
					       "server%s to %s client%s: outcome unknown, not unanswered.",
					       a->unknown_udp, plural(a->unknown_udp),
					       a->unknown_udp == 1 ? "its" : "their",
					       a->unknown_udp == 1 ? "" : "s",
					       a->unknown_udp == 1 ? "its" : "their",
					       a->unknown_udp == 1 ? "" : "s");
		if (unanswered_unknown > 0)
			g_string_append_printf(st, " %" G_GUINT64_FORMAT " TCP attempt%s got no "
					       "answer in the capture, but the answers could be in "
					       "the missing direction: not reported as unanswered.",
					       unanswered_unknown, plural(unanswered_unknown));
		f->statement = g_string_free(st, FALSE);
		f->next_step = g_strdup("Capture where both directions pass (on the hosts "
					"themselves, or a mirror of both directions); the outcomes of "
					"these records rest on one side's packets.");
	}
	g = groups_find(a, K_MIDSTREAM, &(gkey){ 0 });
	n = MAX(s->quality.started_midstream, g ? g->n : 0);
	if (n > 0) {
		f = quality(out, a, "midstream_start", SS_SEVERITY_INFO, n, "connections", g);
		f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " TCP connection%s %s already open "
					       "when the capture started (no handshake seen): %s client "
					       "and server were inferred, not proven.", n, plural(n),
					       n == 1 ? "was" : "were", n == 1 ? "its" : "their");
		guint64 u = s->evidence[SS_EVIDENCE_UNKNOWN];
		if (u > 0) {
			/* the records whose roles nothing decided say so */
			char *st = f->statement;
			f->statement = g_strdup_printf("%s Of %s, %" G_GUINT64_FORMAT " %s between two "
						       "ports that both look like clients' (both in an "
						       "OS default ephemeral range): their roles are "
						       "unknown, and no listener was made from them.",
						       st, n == 1 ? "it" : "them", u,
						       u == 1 ? "is" : "are");
			g_free(st);
			fact(f, "unknown_roles", (gint64)u);
		}
		f->next_step = g_strdup("Start the capture before the connections open to see their "
					"handshakes; each record's evidence and confidence say how its "
					"roles were decided.");
	}
	g = groups_find(a, K_SNAPLEN, &(gkey){ 0 });
	n = MAX(s->quality.snaplen_cut, g ? g->c.snaplen.packets : 0);
	if (n > 0) {
		f = quality(out, a, "snaplen_cut", SS_SEVERITY_LOW, n, "packets", g);
		if (g)
			fact(f, "connections", (gint64)g->n);
		f->statement = g_strdup_printf("%" G_GUINT64_FORMAT " packet%s %s cut short by the "
					       "capture's snap length: byte counts come from the IP "
					       "headers, but the payload itself is missing.", n,
					       plural(n), n == 1 ? "was" : "were");
		f->next_step = g_strdup("Capture with a larger snap length (tcpdump -s 0) if the "
					"payload matters; connection facts are not affected.");
	}
}
