/* The text report, for people: a summary, the listening sockets, the
 * connections and the decode problems.
 *
 * Tables are laid out by report/text-table.c.  With a width limit the
 * free-text column at the end of a row is shortened (or moved to a line of
 * its own) and other lines wrap; addresses and numbers are never cut.  Everything that came
 * from the input (file names, warnings, system service names) is stripped
 * of control characters so a crafted capture cannot drive the terminal. */
#include <netinet/in.h>
#include <string.h>

#include "report/out.h"
#include "report/text-hosts.h"
#include "report/text-table.h"
#include "sockscope/decode.h"
#include "sockscope/findings.h"
#include "sockscope/hash.h"
#include "sockscope/hosts.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/tunnels.h"
#include "sockscope/util.h"

#define LABEL_WIDTH 14  /* "ICMP errors:  " */

/* ---- pieces -------------------------------------------------------------- */

static const char *outcome_color(ss_outcome o)
{
	switch (o) {
	case SS_OUTCOME_COMPLETE:
	case SS_OUTCOME_ANSWERED:
		return GREEN;
	case SS_OUTCOME_REJECTED:
		return RED;
	case SS_OUTCOME_UNANSWERED:
	case SS_OUTCOME_INCOMPLETE:
		return YELLOW;
	default:
		return CYAN;
	}
}

static const char *state_color(ss_listener_state s)
{
	switch (s) {
	case SS_LISTENER_OPEN:
		return GREEN;
	case SS_LISTENER_CLOSED:
		return RED;
	default:
		return YELLOW;
	}
}

static gint64 floor_day(gint64 ns)
{
	gint64 d = ns / (G_GINT64_CONSTANT(86400) * 1000000000);
	if (ns % (G_GINT64_CONSTANT(86400) * 1000000000) < 0)
		d--;
	return d;
}

/* "HH:MM:SS.ffffff", or "YYYY-MM-DD HH:MM:SS.ffffff" with the date. */
static char *clock_time(gint64 ns, gboolean nanosecond, gboolean date)
{
	if (ns == SS_NO_TIME)
		return g_strdup("-");
	GString *s = g_string_new(NULL);
	ss_time_append(s, ns, nanosecond);
	g_string_truncate(s, s->len - 1);  /* the 'Z' */
	char *t = strchr(s->str, 'T');
	char *r = date ? (*t = ' ', g_strdup(s->str)) : g_strdup(t + 1);
	g_string_free(s, TRUE);
	return r;
}

void ss_text_heading(GString *b, const char *title, const ss_render_options *opt)
{
	if (opt->color)
		g_string_append_printf(b, BOLD "%s" RESET "\n", title);
	else
		g_string_append_printf(b, "%s\n", title);
}

void ss_text_label(GString *b, const char *name)
{
	g_string_append(b, name);
	ss_text_pad(b, LABEL_WIDTH - strlen(name));
}

static void summary_block(GString *b, const ss_summary *s, const ss_render_options *opt)
{
	ss_text_heading(b, "Summary", opt);

	guint nin = s->inputs != NULL ? s->inputs->len : 0;
	for (guint i = 0; i < nin; i++) {
		const ss_input *in = g_ptr_array_index(s->inputs, i);
		char *name = ss_text_clean(in->name);
		char *link = ss_text_clean(in->link_name);
		GString *line = g_string_new(NULL);
		g_string_append_printf(line, "%s (%s, dlt %d, %s timestamps): %" G_GUINT64_FORMAT
				       " packet%s", name, link, in->dlt,
				       in->nanosecond ? "ns" : "us", in->packets,
				       in->packets == 1 ? "" : "s");
		if (in->error != NULL) {
			char *err = ss_text_clean(in->error);
			g_string_append_printf(line, "; error: %s", err);
			g_free(err);
		}
		if (in->live && in->have_stats)
			g_string_append_printf(line, "; kernel: %" G_GUINT64_FORMAT " received, %"
					       G_GUINT64_FORMAT " dropped, %" G_GUINT64_FORMAT
					       " dropped by the interface", in->kernel_received,
					       in->kernel_dropped, in->if_dropped);
		if (i == 0)
			ss_text_label(b, nin > 1 ? "Inputs:" : "Input:");
		else
			ss_text_pad(b, LABEL_WIDTH);
		ss_text_append_wrapped(b, LABEL_WIDTH, line->str, LABEL_WIDTH + 2, opt->width);
		g_string_free(line, TRUE);
		g_free(name);
		g_free(link);
	}
	if (nin == 0) {
		ss_text_label(b, "Input:");
		g_string_append(b, "none\n");
	}

	ss_text_label(b, "Packets:");
	g_string_append_printf(b, "%" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT
			       " decoded; %" G_GUINT64_FORMAT " bytes on the wire, %"
			       G_GUINT64_FORMAT " captured\n",
			       s->packets, s->decoded, s->bytes, s->captured_bytes);
	/* Why decoded and the reasons can add up to more than were read. */
	if (s->amsdu_frames > 0) {
		ss_text_label(b, "A-MSDU:");
		g_string_append_printf(b, "%" G_GUINT64_FORMAT " 802.11 A-MSDU frames carried %"
				       G_GUINT64_FORMAT " packets (subframes), each counted as one\n",
				       s->amsdu_frames, s->amsdu_subframes);
	}

	ss_text_label(b, "Time span:");
	if (s->first_ns == SS_NO_TIME || s->last_ns == SS_NO_TIME) {
		g_string_append(b, "none\n");
	} else {
		GString *line = g_string_new(NULL);
		ss_time_append(line, s->first_ns, s->nanosecond);
		g_string_append(line, " to ");
		ss_time_append(line, s->last_ns, s->nanosecond);
		gint64 d = s->last_ns - s->first_ns;
		guint64 mag = d < 0 ? 0 : (guint64)d;
		g_string_append_printf(line, " (%" G_GUINT64_FORMAT ".%03" G_GUINT64_FORMAT "s)",
				       mag / 1000000000, mag / 1000000 % 1000);
		ss_text_append_wrapped(b, LABEL_WIDTH, line->str, LABEL_WIDTH, opt->width);
		g_string_free(line, TRUE);
	}

	ss_text_label(b, "Connections:");
	g_string_append_printf(b, "%" G_GUINT64_FORMAT " TCP, %" G_GUINT64_FORMAT " UDP",
			       s->tcp_connections, s->udp_exchanges);
	if (s->reused_tuples > 0)
		g_string_append_printf(b, "; %" G_GUINT64_FORMAT " reused tuple%s",
				       s->reused_tuples, s->reused_tuples == 1 ? "" : "s");
	if (s->evidence[SS_EVIDENCE_UNKNOWN] > 0)
		g_string_append_printf(b, "; %" G_GUINT64_FORMAT " of unknown roles",
				       s->evidence[SS_EVIDENCE_UNKNOWN]);
	g_string_append_c(b, '\n');

	GString *cap = g_string_new(NULL);
	if (ss_summary_flow_cap_text(s, cap)) {
		ss_text_label(b, "Flow cap:");
		ss_text_append_wrapped(b, LABEL_WIDTH, cap->str, LABEL_WIDTH, opt->width);
	}
	g_string_truncate(cap, 0);
	if (ss_summary_checksums_text(s, cap)) {
		ss_text_label(b, "Checksums:");
		ss_text_append_wrapped(b, LABEL_WIDTH, cap->str, LABEL_WIDTH, opt->width);
	}
	g_string_free(cap, TRUE);

	ss_text_label(b, "Listeners:");
	g_string_append_printf(b, "%" G_GUINT64_FORMAT "\n", s->listeners);
	ss_text_label(b, "Hosts:");
	g_string_append_printf(b, "%" G_GUINT64_FORMAT "\n", s->hosts);

	GString *q = g_string_new(NULL);
	const guint64 qn[] = { s->quality.one_sided, s->quality.started_midstream,
			       s->quality.timestamps_backwards, s->quality.snaplen_cut };
	const char *const qs[] = { "one-sided", "started mid-stream",
				   "timestamps going backwards", "cut by the snap length" };
	for (gsize i = 0; i < G_N_ELEMENTS(qn); i++)
		if (qn[i] > 0)
			g_string_append_printf(q, "%s%" G_GUINT64_FORMAT " %s", q->len ? ", " : "",
					       qn[i], qs[i]);
	if (s->quality.kernel_drops_known && s->quality.kernel_drops > 0)
		g_string_append_printf(q, "%s%" G_GUINT64_FORMAT " dropped by the kernel",
				       q->len ? ", " : "", s->quality.kernel_drops);
	if (q->len > 0) {
		ss_text_label(b, "Quality:");
		ss_text_append_wrapped(b, LABEL_WIDTH, q->str, LABEL_WIDTH, opt->width);
	}
	g_string_free(q, TRUE);

	/* Which tunnels the connections came out of (docs/output.md#decapsulation). */
	GString *tun = g_string_new(NULL);
	for (int t = SS_TUNNEL_NONE + 1; t < SS_TUNNEL_COUNT; t++)
		if (s->tunnel_packets[t] > 0)
			g_string_append_printf(tun, "%s%s %" G_GUINT64_FORMAT " packet%s",
					       tun->len ? ", " : "",
					       ss_tunnel_type_name((ss_tunnel_type)t),
					       s->tunnel_packets[t],
					       s->tunnel_packets[t] == 1 ? "" : "s");
	if (tun->len > 0) {
		ss_text_label(b, "Tunnels:");
		ss_text_append_wrapped(b, LABEL_WIDTH, tun->str, LABEL_WIDTH, opt->width);
	}
	g_string_free(tun, TRUE);

	if (s->icmp_errors_matched > 0 || s->icmp_errors_unmatched > 0) {
		ss_text_label(b, "ICMP errors:");
		g_string_append_printf(b, "%" G_GUINT64_FORMAT " matched, %" G_GUINT64_FORMAT
				       " unmatched\n", s->icmp_errors_matched,
				       s->icmp_errors_unmatched);
	}

	guint nw = s->warnings != NULL ? s->warnings->len : 0;
	for (guint i = 0; i < nw; i++) {
		char *w = ss_text_clean(g_ptr_array_index(s->warnings, i));
		if (i == 0) {
			if (opt->color)
				g_string_append(b, YELLOW);
			ss_text_label(b, "Warnings:");
			if (opt->color)
				g_string_append(b, RESET);
		} else {
			ss_text_pad(b, LABEL_WIDTH);
		}
		ss_text_append_wrapped(b, LABEL_WIDTH, w, LABEL_WIDTH + 2, opt->width);
		g_free(w);
	}
}

/* The port_scan / port_sweep findings fold their refused and unanswered
 * probes into counts instead of one line each (the machine formats keep
 * every record).  Which listeners and records a scan covers is asked once
 * per listener, host socket and record, so the scans are indexed once, by
 * the fields a match compares: a walk over every scan finding for each of
 * them (and a fresh list of the scans for each host) made -F text take
 * ~100 s of CPU on a 60 000-client scan capture. */
typedef enum {
	SCAN_SOCKET_ADDRESS,   /* a scan of one server: its address */
	SCAN_SOCKET_PORT,      /* a sweep of one port: the port */
	SCAN_PROBE_ADDRESS,    /* the scanner and the server it scanned */
	SCAN_PROBE_PORT,       /* the sweeper and the port it swept */
} scan_key_kind;

/* Zeroed before it is filled (no padding holes: hashed bytewise). */
typedef struct {
	guint8 kind;           /* scan_key_kind */
	guint8 proto;
	guint8 family;
	guint8 vnet_type;
	guint8 vnet_has_vni;
	guint8 zero;
	guint16 port;          /* the *_PORT kinds */
	guint32 vni;
	ss_ip client;          /* the SCAN_PROBE_* kinds */
	ss_ip server;          /* the *_ADDRESS kinds */
} scan_key;
G_STATIC_ASSERT(sizeof(scan_key) == 12 + 2 * sizeof(ss_ip));

SS_BYTES_KEY_FUNCS(scan_key, scan_key)

struct ss_text_scans {
	GHashTable *keys;      /* of scan_key, each owned */
};

static void scan_key_init(scan_key *k, scan_key_kind kind, guint8 proto, guint8 family,
			  const ss_vnet *v)
{
	memset(k, 0, sizeof *k);
	k->kind = (guint8)kind;
	k->proto = proto;
	k->family = family;
	/* the fields ss_vnet_cmp compares */
	k->vnet_type = v->type;
	k->vnet_has_vni = v->has_vni;
	k->vni = v->vni;
}

static void scan_key_add(ss_text_scans *s, const scan_key *k)
{
	g_hash_table_add(s->keys, g_memdup2(k, sizeof *k));
}

ss_text_scans *ss_text_scans_new(const ss_report *r)
{
	ss_text_scans *s = g_new0(ss_text_scans, 1);
	s->keys = g_hash_table_new_full(scan_key_hash, scan_key_equal, g_free, NULL);
	for (guint i = 0; r->findings != NULL && i < r->findings->len; i++) {
		const ss_finding *f = g_ptr_array_index(r->findings, i);
		if (!f->has_client ||
		    (strcmp(f->id, "port_scan") != 0 && strcmp(f->id, "port_sweep") != 0))
			continue;
		scan_key socket, probe;
		scan_key_init(&socket, f->has_server ? SCAN_SOCKET_ADDRESS : SCAN_SOCKET_PORT,
			      f->proto, f->family, &f->vnet);
		scan_key_init(&probe, f->has_server ? SCAN_PROBE_ADDRESS : SCAN_PROBE_PORT,
			      f->proto, f->family, &f->vnet);
		probe.client = f->client_ip;
		if (f->has_server) {
			socket.server = probe.server = f->server_ip;
		} else {
			socket.port = probe.port = f->server_port;
		}
		scan_key_add(s, &socket);
		scan_key_add(s, &probe);
	}
	return s;
}

void ss_text_scans_free(ss_text_scans *s)
{
	if (s == NULL)
		return;
	g_hash_table_destroy(s->keys);
	g_free(s);
}

static gboolean scans_have(const ss_text_scans *s, const scan_key *k)
{
	return g_hash_table_contains(s->keys, k);
}

/* A closed or filtered port only a scanner reached: counted, not listed. */
gboolean ss_text_scan_listener(const ss_text_scans *s, const ss_listener *l)
{
	if (g_hash_table_size(s->keys) == 0 || l->state == SS_LISTENER_OPEN || l->clients > 1)
		return FALSE;
	/* a scan in one virtual network says nothing of another's ports */
	scan_key k;
	scan_key_init(&k, SCAN_SOCKET_ADDRESS, l->proto, l->family, &l->vnet);
	k.server = l->ip;
	if (scans_have(s, &k))
		return TRUE;
	scan_key_init(&k, SCAN_SOCKET_PORT, l->proto, l->family, &l->vnet);
	k.port = l->port;
	return scans_have(s, &k);
}

/* A refused or unanswered probe of a scan: counted, not listed. */
static gboolean scan_probe(const ss_text_scans *s, const ss_conn *c)
{
	if (g_hash_table_size(s->keys) == 0 ||
	    (c->outcome != SS_OUTCOME_REJECTED && c->outcome != SS_OUTCOME_UNANSWERED))
		return FALSE;
	int ci = c->client == 1 ? 1 : 0;
	ss_vnet v = ss_tunnel_vnet(ss_conn_tunnel(c));
	scan_key k;
	scan_key_init(&k, SCAN_PROBE_ADDRESS, c->proto, c->family, &v);
	k.client = *ss_conn_ip(c, ci);
	k.server = *ss_conn_ip(c, !ci);
	if (scans_have(s, &k))
		return TRUE;
	scan_key_init(&k, SCAN_PROBE_PORT, c->proto, c->family, &v);
	k.client = *ss_conn_ip(c, ci);
	k.port = ss_conn_port(c, !ci);
	return scans_have(s, &k);
}

static const ss_text_column listener_cols[] = {
	{ "PROTO", FALSE }, { "ADDRESS", FALSE }, { "SERVICE", FALSE }, { "STATE", FALSE },
	{ "CONNS", TRUE }, { "CLIENTS", TRUE }, { "OUTCOMES", FALSE },
};
/* With tunnelled records: the virtual network is part of a listener's and
 * a connection's identity (two tenants may use the same addresses), so it
 * gets a column of its own. */
static const ss_text_column listener_tunnel_cols[] = {
	{ "PROTO", FALSE }, { "TUNNEL", FALSE }, { "ADDRESS", FALSE }, { "SERVICE", FALSE },
	{ "STATE", FALSE }, { "CONNS", TRUE }, { "CLIENTS", TRUE }, { "OUTCOMES", FALSE },
};

/* "vxlan 42", or "-" outside tunnels, for the TUNNEL column. */
static char *tunnel_cell(const ss_tunnel *tun);
static char *vnet_cell(const ss_vnet *v)
{
	ss_tunnel t = ss_vnet_tunnel(v);
	return tunnel_cell(&t);
}

/* A record's TUNNEL cell: as vnet_cell(), with an MPLS record's whole
 * label stack ("mpls 16004/100"). */
static char *tunnel_cell(const ss_tunnel *tun)
{
	if (tun->type == SS_TUNNEL_NONE)
		return g_strdup("-");
	GString *s = g_string_new(NULL);
	ss_tunnel_append(s, tun);
	return g_string_free(s, FALSE);
}

/* Did any packet come out of a tunnel? */
static gboolean any_tunnel(const ss_summary *s)
{
	for (int t = SS_TUNNEL_NONE + 1; t < SS_TUNNEL_COUNT; t++)
		if (s->tunnel_packets[t] > 0)
			return TRUE;
	return FALSE;
}

static void listeners_block(GString *b, const ss_report *r, const ss_text_scans *scans,
			    const ss_render_options *opt)
{
	ss_text_heading(b, "Listening sockets", opt);
	guint n = r->listeners != NULL ? r->listeners->len : 0;
	if (n == 0) {
		g_string_append(b, "  none\n");
		return;
	}

	guint64 folded = 0;
	ss_text_table t;
	gboolean tun = any_tunnel(&r->summary);
	if (tun)
		ss_text_table_init(&t, listener_tunnel_cols, G_N_ELEMENTS(listener_tunnel_cols));
	else
		ss_text_table_init(&t, listener_cols, G_N_ELEMENTS(listener_cols));
	for (guint i = 0; i < n; i++) {
		const ss_listener *l = &g_array_index(r->listeners, ss_listener, i);
		if (ss_text_scan_listener(scans, l)) {
			folded++;
			continue;
		}
		ss_text_table_add(&t, g_strdup(ss_proto_name(l->proto, "?")), NULL);
		if (tun)
			ss_text_table_add(&t, vnet_cell(&l->vnet), NULL);
		ss_text_table_add(&t, ss_addr_port_dup(l->family, &l->ip, l->port), NULL);
		ss_text_table_add(&t, l->service != NULL ? ss_text_clean(l->service) : g_strdup("-"), NULL);
		/* a listener only guessed from its records says so */
		ss_text_table_add(&t, g_strdup_printf("%s%s", ss_listener_state_name(l->state),
						      l->confidence == SS_CONFIDENCE_HIGH ? ""
											 : ", inferred"),
				  state_color(l->state));
		ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT, l->connections), NULL);
		ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT, l->clients), NULL);
		GString *o = g_string_new(NULL);
		for (int k = 0; k < SS_OUTCOME_COUNT; k++) {
			if (l->outcomes[k] == 0)
				continue;
			if (o->len > 0)
				g_string_append(o, ", ");
			g_string_append_printf(o, "%" G_GUINT64_FORMAT " %s", l->outcomes[k],
					       ss_outcome_name((ss_outcome)k));
		}
		ss_text_table_add(&t, g_string_free(o, FALSE), NULL);
	}
	ss_text_table_render(b, &t, opt);
	ss_text_table_clear(&t);
	if (folded > 0)
		g_string_append_printf(b, "  (%" G_GUINT64_FORMAT " closed or filtered port%s that only "
				       "the scans in Findings reached not listed)\n", folded,
				       folded == 1 ? "" : "s");
}

/* Ranked findings (sockscope/findings.h): statement, evidence, examples and
 * the next step, each wrapped to the width. */
static void findings_block(GString *b, const ss_report *r, const ss_render_options *opt)
{
	ss_text_heading(b, "Findings", opt);
	guint n = r->findings != NULL ? r->findings->len : 0;
	if (n == 0) {
		g_string_append(b, "  none\n");
		return;
	}
	gboolean date = r->summary.first_ns != SS_NO_TIME && r->summary.last_ns != SS_NO_TIME &&
			floor_day(r->summary.first_ns) != floor_day(r->summary.last_ns);
	GString *l = g_string_new(NULL);
	for (guint i = 0; i < n; i++) {
		const ss_finding *f = g_ptr_array_index(r->findings, i);
		const char *sev = ss_severity_name(f->severity);
		const char *color = f->severity == SS_SEVERITY_HIGH ? RED :
				    f->severity == SS_SEVERITY_MEDIUM ? YELLOW : NULL;
		GString *head = g_string_new(NULL);
		g_string_append_printf(head, "%3u. ", i + 1);
		gsize col = head->len + strlen(sev) + 2;
		if (opt->color && color)
			g_string_append_printf(head, "%s%s" RESET, color, sev);
		else
			g_string_append(head, sev);
		g_string_append(head, "  ");
		g_string_append(b, head->str);
		g_string_free(head, TRUE);
		char *st = ss_text_clean(f->statement);
		g_string_append_printf(l, "%s (%s)", st, f->id);
		g_free(st);
		ss_text_append_wrapped(b, col, l->str, 7, opt->width);
		g_string_truncate(l, 0);
		for (guint j = 0; j < f->n_facts; j++) {
			g_string_append_printf(l, "%s%s ", j ? ", " : "", f->facts[j].name);
			if (f->facts[j].ms)
				ss_ms_append(l, f->facts[j].value, r->summary.nanosecond);
			else
				g_string_append_printf(l, "%" G_GINT64_FORMAT, f->facts[j].value);
		}
		if (l->len > 0) {
			g_string_append(b, "       evidence: ");
			ss_text_append_wrapped(b, 17, l->str, 17, opt->width);
			g_string_truncate(l, 0);
		}
		/* a scan's open ports on a line of their own (not only in the
		 * statement): what to check first */
		if (ss_ports_text(f->open_ports, SS_SCAN_PORTS_LISTED, l)) {
			g_string_append(b, "       open:     ");
			ss_text_append_wrapped(b, 17, l->str, 17, opt->width);
			g_string_truncate(l, 0);
		}
		/* and a sweep's hosts that answered */
		if (ss_hosts_text(f->answered_hosts, f->family, SS_SCAN_PORTS_LISTED, l)) {
			g_string_append(b, "       answered: ");
			ss_text_append_wrapped(b, 17, l->str, 17, opt->width);
			g_string_truncate(l, 0);
		}
		for (guint j = 0; j < f->n_examples; j++) {
			const ss_conn *c = &f->examples[j];
			gint64 first, last;
			ss_conn_span(c, &first, &last);
			char *t = clock_time(first, r->summary.nanosecond, date);
			char *cl = ss_addr_port_dup(c->family, ss_conn_client_ip(c), ss_conn_client_port(c));
			char *sv = ss_addr_port_dup(c->family, ss_conn_server_ip(c), ss_conn_server_port(c));
			g_string_append_printf(l, "%s %s %s %s %s", t, ss_proto_name(c->proto, "?"), cl,
					       ss_conn_roles_unknown(c) ? "<->" : "->", sv);
			/* which tenant's connection: " (vxlan 42)" */
			if (ss_conn_tunnel(c)->type != SS_TUNNEL_NONE) {
				g_string_append(l, " (");
				ss_tunnel_append(l, ss_conn_tunnel(c));
				g_string_append_c(l, ')');
			}
			g_string_append_printf(l, " %s%s", ss_outcome_name(c->outcome),
					       ss_conn_roles_unknown(c) ? ", roles unknown" : "");
			g_free(t);
			g_free(cl);
			g_free(sv);
			g_string_append(b, "       example:  ");
			ss_text_append_wrapped(b, 17, l->str, 17, opt->width);
			g_string_truncate(l, 0);
		}
		char *next = ss_text_clean(f->next_step);
		g_string_append(b, "       next:     ");
		ss_text_append_wrapped(b, 17, next, 17, opt->width);
		g_free(next);
	}
	g_string_free(l, TRUE);
}

static const ss_text_column tunnel_cols[] = {
	{ "TUNNEL", FALSE }, { "OUTER ENDPOINTS", FALSE }, { "CONNS", TRUE }, { "PKTS", TRUE },
	{ "BYTES", TRUE }, { "FIRST PACKET", FALSE },
};

/* The outer flows the capture's traffic came out of, one row per tunnel
 * (docs/output.md#tunnel-object); nothing (FALSE) without tunnels. */
static gboolean tunnels_block(GString *b, const ss_report *r, const ss_render_options *opt)
{
	guint n = r->tunnels != NULL ? r->tunnels->len : 0;
	if (n == 0)
		return FALSE;
	ss_text_heading(b, "Tunnels", opt);
	ss_text_table t;
	ss_text_table_init(&t, tunnel_cols, G_N_ELEMENTS(tunnel_cols));
	for (guint i = 0; i < n; i++) {
		const ss_tunnel_flow *f = &g_array_index(r->tunnels, ss_tunnel_flow, i);
		GString *name = g_string_new(NULL);   /* an MPLS tunnel: its label stack */
		ss_tunnel_flow_append(name, f);
		ss_text_table_add(&t, g_string_free(name, FALSE), NULL);
		if (f->family) {
			char src[SS_IP_STRLEN], dst[SS_IP_STRLEN];
			ss_ip_format(f->family, &f->src, src);
			ss_ip_format(f->family, &f->dst, dst);
			ss_text_table_add(&t, g_strdup_printf("%s - %s", src, dst), NULL);
		} else {
			ss_text_table_add(&t, g_strdup("on the link"), NULL);
		}
		ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT, f->connections), NULL);
		ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT, f->packets), NULL);
		ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT, f->bytes), NULL);
		GString *ts = g_string_new(NULL);
		if (f->first_ns != SS_NO_TIME)
			ss_time_append(ts, f->first_ns, r->summary.nanosecond);
		ss_text_table_add(&t, g_string_free(ts, FALSE), NULL);
	}
	ss_text_table_render(b, &t, opt);
	ss_text_table_clear(&t);
	return TRUE;
}

static const ss_text_column conn_cols[] = {
	{ "TIME (UTC)", FALSE }, { "PROTO", FALSE }, { "CLIENT", FALSE }, { "", FALSE },
	{ "SERVER", FALSE }, { "OUTCOME", FALSE }, { "CLOSE", FALSE }, { "RTT ms", TRUE },
	{ "PKTS c/s", TRUE }, { "BYTES c/s", TRUE }, { "FLAGS", FALSE },
};
static const ss_text_column conn_tunnel_cols[] = {
	{ "TIME (UTC)", FALSE }, { "PROTO", FALSE }, { "TUNNEL", FALSE }, { "CLIENT", FALSE },
	{ "", FALSE }, { "SERVER", FALSE }, { "OUTCOME", FALSE }, { "CLOSE", FALSE },
	{ "RTT ms", TRUE }, { "PKTS c/s", TRUE }, { "BYTES c/s", TRUE }, { "FLAGS", FALSE },
};

static void conns_block(GString *b, const ss_report *r, const ss_text_scans *scans,
			const ss_render_options *opt)
{
	ss_text_heading(b, "Connections", opt);
	guint n = r->conns != NULL ? r->conns->len : 0;
	if (n == 0) {
		g_string_append(b, "  none\n");
		return;
	}

	const ss_summary *s = &r->summary;
	gboolean ns = s->nanosecond;
	/* The date is only worth its columns when the capture spans midnight. */
	gboolean date = s->first_ns != SS_NO_TIME && s->last_ns != SS_NO_TIME &&
		floor_day(s->first_ns) != floor_day(s->last_ns);

	guint64 folded = 0;
	ss_text_table t;
	gboolean tun = any_tunnel(s);
	if (tun)
		ss_text_table_init(&t, conn_tunnel_cols, G_N_ELEMENTS(conn_tunnel_cols));
	else
		ss_text_table_init(&t, conn_cols, G_N_ELEMENTS(conn_cols));
	for (guint i = 0; i < n; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		if (scan_probe(scans, c)) {
			folded++;
			continue;
		}
		int ci = c->client == 1 ? 1 : 0;
		const ss_endpoint *cl = &c->ep[ci], *sv = &c->ep[!ci];
		gint64 first, last;
		ss_conn_span(c, &first, &last);

		ss_text_table_add(&t, clock_time(first, ns, date), NULL);
		ss_text_table_add(&t, g_strdup(ss_proto_name(c->proto, "?")), NULL);
		if (tun)   /* an MPLS record: its whole label stack */
			ss_text_table_add(&t, tunnel_cell(ss_conn_tunnel(c)), NULL);
		ss_text_table_add(&t, ss_addr_port_dup(c->family, ss_conn_ip(c, ci), ss_conn_port(c, ci)), NULL);
		/* roles unknown: no arrow, nobody connected to anybody */
		ss_text_table_add(&t, g_strdup(ss_conn_roles_unknown(c) ? "<->" : "->"), NULL);
		ss_text_table_add(&t, ss_addr_port_dup(c->family, ss_conn_ip(c, !ci), ss_conn_port(c, !ci)), NULL);
		ss_text_table_add(&t, g_strdup(ss_outcome_name(c->outcome)), outcome_color(c->outcome));
		ss_text_table_add(&t, g_strdup(ss_close_name(c->close)), NULL);

		gint64 rtt = c->proto == IPPROTO_TCP ? ss_conn_syn_to_synack_ns(c) : SS_NO_TIME;
		if (rtt == SS_NO_TIME) {
			ss_text_table_add(&t, g_strdup("-"), NULL);
		} else {
			GString *m = g_string_new(NULL);
			ss_ms_append(m, rtt, ns);
			ss_text_table_add(&t, g_string_free(m, FALSE), NULL);
		}
		ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
					      cl->packets, sv->packets), NULL);
		ss_text_table_add(&t, g_strdup_printf("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
					      cl->payload, sv->payload), NULL);

		GString *f = g_string_new(NULL);
		if (c->reuse != SS_REUSE_NONE)
			g_string_append_printf(f, "reused (%s)", ss_reuse_name(c->reuse));
		/* a guess says so: "inferred" whenever no packet proved the roles */
		if (ss_conn_roles_unknown(c))
			g_string_append_printf(f, "%sroles unknown", f->len > 0 ? ", " : "");
		else if (c->evidence != SS_EVIDENCE_SYN && c->evidence != SS_EVIDENCE_SYN_ACK)
			g_string_append_printf(f, "%s%s%s (%s)", f->len > 0 ? ", " : "",
					       c->confidence == SS_CONFIDENCE_HIGH ? "" : "inferred: ",
					       ss_evidence_name(c->evidence),
					       ss_confidence_name(c->confidence));
		if (c->icmp_errors > 0)
			g_string_append_printf(f, "%sicmp %u/%u", f->len > 0 ? ", " : "",
					       (unsigned)c->icmp_type, (unsigned)c->icmp_code);
		if (ss_conn_one_sided(c))
			g_string_append_printf(f, "%sone-sided", f->len > 0 ? ", " : "");
		ss_text_table_add(&t, g_string_free(f, FALSE), NULL);
	}
	ss_text_table_render(b, &t, opt);
	ss_text_table_clear(&t);
	if (folded > 0)
		g_string_append_printf(b, "  (%" G_GUINT64_FORMAT " refused or unanswered probe%s of "
				       "the scans in Findings not listed; -F json or csv lists every "
				       "record)\n", folded, folded == 1 ? "" : "s");
}

static void reasons_line(GString *b, const ss_summary *s, ss_reason_class cls,
			 const char *name, const ss_render_options *opt)
{
	GString *line = g_string_new(NULL);
	for (int r = 0; r < SS_REASON_COUNT; r++) {
		if (ss_reason_class_of((ss_reason)r) != cls || s->reasons[r] == 0)
			continue;
		if (line->len > 0)
			g_string_append(line, ", ");
		g_string_append_printf(line, "%s %" G_GUINT64_FORMAT,
				       ss_reason_name((ss_reason)r), s->reasons[r]);
	}
	if (line->len > 0) {
		ss_text_pad(b, 2);
		ss_text_label(b, name);
		ss_text_append_wrapped(b, 2 + LABEL_WIDTH, line->str, 2 + LABEL_WIDTH, opt->width);
	}
	g_string_free(line, TRUE);
}

static void problems_block(GString *b, const ss_summary *s, const ss_render_options *opt)
{
	ss_text_heading(b, "Decode problems", opt);
	gsize before = b->len;
	reasons_line(b, s, SS_CLASS_TRUNCATED, "truncated:", opt);
	reasons_line(b, s, SS_CLASS_INVALID, "invalid:", opt);
	reasons_line(b, s, SS_CLASS_IGNORED, "ignored:", opt);
	if (b->len == before)
		g_string_append(b, "  none\n");
}

gboolean ss_render_text(const ss_report *r, const ss_render_options *opt, FILE *out)
{
	GString *b = g_string_sized_new(65536);

	summary_block(b, &r->summary, opt);
	g_string_append_c(b, '\n');
	findings_block(b, r, opt);
	g_string_append_c(b, '\n');
	ss_text_scans *scans = ss_text_scans_new(r);
	listeners_block(b, r, scans, opt);
	g_string_append_c(b, '\n');
	ss_text_hosts_block(b, r, scans, opt);
	g_string_append_c(b, '\n');
	if (tunnels_block(b, r, opt))
		g_string_append_c(b, '\n');
	conns_block(b, r, scans, opt);
	ss_text_scans_free(scans);
	g_string_append_c(b, '\n');
	problems_block(b, &r->summary, opt);

	return ss_out_finish(b, out, TRUE);
}
