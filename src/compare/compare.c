/* The compare model's life and the mode dispatch: which engine runs (path,
 * src/compare/path.c, or drift, src/compare/drift.c) and why, and the
 * stable names every format prints.  docs/compare.md has the method. */
#include "sockscope/compare.h"
#include "sockscope/drift.h"
#include "sockscope/error.h"

#include <string.h>

static void side_clear(ss_cmp_side *s)
{
	g_free(s->label);
	if (s->files)
		g_ptr_array_unref(s->files);
	/* s->report is the caller's: ss_report_free lives in report/, above
	 * this layer (sockscope/compare.h). */
	ss_cmp_sigs_free(s->sigs);
}

static void conn_clear(gpointer p)
{
	ss_cmp_conn *cc = p;
	if (cc->lanes)
		g_array_unref(cc->lanes);
}

static void translator_clear(gpointer p)
{
	ss_cmp_translator *t = p;
	if (t->public_ips)
		g_array_unref(t->public_ips);
	g_free(t->evidence);
}

static void finding_clear(gpointer p)
{
	ss_cmp_finding *f = p;
	g_free(f->id);
	g_free(f->text);
}

ss_compare *ss_compare_new(ss_cmp_mode mode, gint64 max_skew_ns)
{
	ss_compare *c = g_new0(ss_compare, 1);
	c->mode = mode;
	c->max_skew_ns = max_skew_ns;
	for (guint i = 0; i < 2; i++) {
		c->side[i].label = g_strdup(i == 0 ? "a" : "b");
		c->side[i].files = g_ptr_array_new_with_free_func(g_free);
		c->side[i].first_ns = c->side[i].last_ns = SS_NO_TIME;
	}
	c->conns = g_array_new(FALSE, TRUE, sizeof(ss_cmp_conn));
	g_array_set_clear_func(c->conns, conn_clear);
	c->translators = g_array_new(FALSE, TRUE, sizeof(ss_cmp_translator));
	g_array_set_clear_func(c->translators, translator_clear);
	c->findings = g_array_new(FALSE, TRUE, sizeof(ss_cmp_finding));
	g_array_set_clear_func(c->findings, finding_clear);
	return c;
}

void ss_compare_free(ss_compare *c)
{
	if (!c)
		return;
	for (guint i = 0; i < 2; i++)
		side_clear(&c->side[i]);
	g_free(c->mode_reason);
	g_array_unref(c->conns);
	g_array_unref(c->translators);
	g_array_unref(c->findings);
	if (c->drift && c->drift_free)
		c->drift_free(c->drift);
	g_free(c);
}

/* How many of A's TCP connections match one of B's on the client's ISN
 * (32 bits that NAT leaves alone) within max_skew: the probe auto mode
 * uses when the capture times do not overlap. */
static guint isn_matches(const ss_compare *c)
{
	const ss_cmp_sigs *sa = c->side[0].sigs, *sb = c->side[1].sigs;
	guint na = ss_cmp_sigs_n_flows(sa);
	gint *match = g_new(gint, MAX(na, 1u));
	guint8 *ev = g_new(guint8, MAX(na, 1u));
	ss_cmp_match(sa, sb, c->max_skew_ns, FALSE, 0, match, ev);
	guint n = 0;
	for (guint i = 0; i < na; i++)
		n += match[i] >= 0 && (ev[i] & SS_CMP_EV_ISN);
	g_free(match);
	g_free(ev);
	return n;
}

/* Auto mode.  Captures whose times overlap can hold the same packets:
 * path mode.  Captures apart by more than --max-skew cannot: drift mode.
 * In between (apart, but by less than the clock offset we allow for) the
 * times cannot tell a skewed clock from a later capture of the same
 * point, and payloads and timing alone would pair unrelated connections
 * that send the same bytes (every client of one service says "hello"):
 * path mode only when at least one TCP connection matches on its ISN,
 * 32 bits of evidence NAT leaves alone; drift otherwise. */
static void choose_mode(ss_compare *c)
{
	const ss_cmp_side *a = &c->side[0], *b = &c->side[1];
	if (c->mode == SS_CMP_MODE_PATH) {
		c->mode_reason = g_strdup("--mode path");
		return;
	}
	if (c->mode == SS_CMP_MODE_DRIFT) {
		c->mode_reason = g_strdup("--mode drift");
		return;
	}
	if (a->first_ns == SS_NO_TIME || b->first_ns == SS_NO_TIME) {
		c->mode = SS_CMP_MODE_PATH;
		c->mode_reason = g_strdup("a side has no packets: nothing to tell the modes apart;"
					  " path");
		return;
	}
	gint64 gap = MAX(a->first_ns, b->first_ns) - MIN(a->last_ns, b->last_ns);
	if (gap <= 0) {
		c->mode = SS_CMP_MODE_PATH;
		c->mode_reason = g_strdup("the capture times overlap");
		return;
	}
	gint64 gap_ms = gap / 1000000;
	if (gap > c->max_skew_ns) {
		c->mode = SS_CMP_MODE_DRIFT;
		c->mode_reason = g_strdup_printf("the captures are %" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT
						 " s apart, more than --max-skew (%" G_GINT64_FORMAT
						 " s): one point at two times",
						 gap_ms / 1000, gap_ms % 1000, c->max_skew_ns / 1000000000);
		return;
	}
	guint n = isn_matches(c);
	if (n > 0) {
		c->mode = SS_CMP_MODE_PATH;
		c->mode_reason = g_strdup_printf("the captures are %" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT
						 " s apart, within --max-skew (%" G_GINT64_FORMAT
						 " s), and %u TCP connection%s matched on the ISN",
						 gap_ms / 1000, gap_ms % 1000, c->max_skew_ns / 1000000000,
						 n, n == 1 ? "" : "s");
	} else {
		c->mode = SS_CMP_MODE_DRIFT;
		c->mode_reason = g_strdup_printf("the captures are %" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT
						 " s apart and no TCP connection matched on its ISN"
						 " within --max-skew (%" G_GINT64_FORMAT
						 " s): one point at two times",
						 gap_ms / 1000, gap_ms % 1000, c->max_skew_ns / 1000000000);
	}
}

static void drift_free(gpointer d)
{
	ss_drift_free(d);
}

/* ---- THE DRIFT ENGINE'S PLUG ----
 * Drift mode compares the two sides' finished reports (src/compare/drift.c,
 * sockscope/drift.h); its model goes in c->drift for the formats. */
gboolean ss_compare_drift(ss_compare *c, GError **error)
{
	(void)error;
	ss_drift *d = ss_drift_compute(c->side[0].report, c->side[1].report);
	c->drift = d;
	c->drift_free = drift_free;
	/* The drift's findings (ranked as a single capture's are) become the
	 * compare findings every format lists.  ss_severity medium (a
	 * listener that answered in A and refuses or drops in B: what breaks
	 * clients) is a warning, high would be critical, low and info (new
	 * listeners, networks, profiles, changes only absence suggests) info. */
	GPtrArray *fs = ss_drift_findings(d);
	for (guint i = 0; i < fs->len; i++) {
		const ss_finding *f = g_ptr_array_index(fs, i);
		ss_cmp_finding cf = { 0 };
		cf.severity = f->severity == SS_SEVERITY_HIGH	  ? SS_CMP_SEV_CRITICAL
			      : f->severity == SS_SEVERITY_MEDIUM ? SS_CMP_SEV_WARNING
								  : SS_CMP_SEV_INFO;
		cf.id = g_strdup(f->id);
		cf.text = g_strdup(f->statement);
		cf.conn = -1;
		g_array_append_val(c->findings, cf);
	}
	g_ptr_array_unref(fs);
	return TRUE;
}

gboolean ss_compare_run(ss_compare *c, GError **error)
{
	choose_mode(c);
	/* ---- mode dispatch: path here, drift in src/compare/drift.c ---- */
	switch (c->mode) {
	case SS_CMP_MODE_DRIFT:
		return ss_compare_drift(c, error);
	case SS_CMP_MODE_PATH:
	default:
		ss_compare_path(c);
		return TRUE;
	}
}

const char *ss_cmp_seen_name(ss_cmp_seen s)
{
	switch (s) {
	case SS_CMP_SEEN_BOTH:
		return "both";
	case SS_CMP_SEEN_A_ONLY:
		return "a_only";
	case SS_CMP_SEEN_B_ONLY:
		return "b_only";
	}
	return "unknown";
}

const char *ss_cmp_pkt_kind_name(ss_cmp_pkt_kind k)
{
	static const char *const names[] = { "syn", "synack", "ack", "data", "fin", "rst" };
	return (guint)k < G_N_ELEMENTS(names) ? names[k] : "unknown";
}

const char *ss_cmp_port_alloc_name(ss_cmp_port_alloc p)
{
	static const char *const names[] = { "unknown", "preserving", "sequential", "random" };
	return (guint)p < G_N_ELEMENTS(names) ? names[p] : "unknown";
}

const char *ss_cmp_severity_name(ss_cmp_severity s)
{
	static const char *const names[] = { "info", "warning", "critical" };
	return (guint)s < G_N_ELEMENTS(names) ? names[s] : "unknown";
}

ss_cmp_pkt_kind ss_cmp_pkt_kind_of(const ss_cmp_pkt *p)
{
	if (p->flags & SS_TCP_RST)
		return SS_CMP_PKT_RST;
	if (p->flags & SS_TCP_SYN)
		return (p->flags & SS_TCP_ACK) ? SS_CMP_PKT_SYNACK : SS_CMP_PKT_SYN;
	if (p->flags & SS_TCP_FIN)
		return SS_CMP_PKT_FIN;
	if (p->payload_len > 0)
		return SS_CMP_PKT_DATA;
	return SS_CMP_PKT_ACK;
}

const char *ss_cmp_translation_name(const ss_cmp_conn *cc)
{
	if (cc->seen != SS_CMP_SEEN_BOTH)
		return "unknown";
	gboolean snat = memcmp(&cc->client_ip[0], &cc->client_ip[1], sizeof(ss_ip)) != 0 ||
			cc->client_port[0] != cc->client_port[1];
	gboolean dnat = memcmp(&cc->server_ip[0], &cc->server_ip[1], sizeof(ss_ip)) != 0 ||
			cc->server_port[0] != cc->server_port[1];
	/* Which side is "translated" needs the orientation; that nothing
	 * changed does not. */
	if (cc->a_near_client < 0 && (snat || dnat))
		return "unknown";
	return snat && dnat ? "snat+dnat" : snat ? "snat" : dnat ? "dnat" : "none";
}

const char *ss_cmp_pkt_kind_label(ss_cmp_pkt_kind k)
{
	static const char *const names[] = { "SYN", "SYN-ACK", "ACK", "data", "FIN", "RST" };
	return (guint)k < G_N_ELEMENTS(names) ? names[k] : "?";
}

int ss_cmp_near_side(const ss_cmp_conn *cc)
{
	if (cc->seen == SS_CMP_SEEN_B_ONLY)
		return 1;
	if (cc->seen == SS_CMP_SEEN_A_ONLY)
		return 0;
	if (strcmp(ss_cmp_translation_name(cc), "unknown") == 0)
		return -1;
	return cc->a_near_client == 0 ? 1 : 0;
}

gboolean ss_cmp_conn_troubled(const ss_cmp_conn *cc)
{
	for (int k = 0; k < SS_CMP_PKT_COUNT; k++)
		if (cc->lost[k][0] || cc->lost[k][1])
			return TRUE;
	return cc->injected_rst[0][0] || cc->injected_rst[0][1] || cc->injected_rst[1][0] ||
	       cc->injected_rst[1][1];
}
