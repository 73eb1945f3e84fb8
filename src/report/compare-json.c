/* The compare model (sockscope/compare.h) in jsonl and json: the records
 * compare_summary, compare_conn, translator and finding that
 * docs/output.md ("Compare records") defines.  Their record type is the
 * key "type" (the interface agreed for compare, where a translator's own
 * "kind" is snat or dnat), not the "kind" of a single capture's records.  Part of the json format
 * (scripts/check-layers.py FORMAT_PARTS); jsonl is one record per line,
 * json the same records in one object. */
#include "report/json-writer.h"
#include "report/out.h"

#include "sockscope/compare.h"
#include "sockscope/drift.h"
#include "sockscope/community-id.h"
#include "sockscope/format.h"
#include "sockscope/ip.h"
#include "sockscope/render.h"

#include <string.h>

static void sep(GString *b)
{
	g_string_append_c(b, ',');
}

static void kv_addr(GString *b, const char *k, guint8 family, const ss_ip *ip, guint16 port)
{
	key_dyn(b, k);
	g_string_append_c(b, '"');
	ss_addr_port_append(b, family, ip, port);
	g_string_append_c(b, '"');
}

/* microseconds, rounded toward zero; null for SS_NO_TIME */
static void kv_us(GString *b, const char *k, gint64 ns)
{
	key_dyn(b, k);
	if (ns == SS_NO_TIME)
		null_(b);
	else
		ss_i64_append(b, ns / 1000);
}

static void side_obj(GString *b, const ss_cmp_side *s)
{
	g_string_append_c(b, '{');
	key_dyn(b, "files");
	g_string_append_c(b, '[');
	for (guint i = 0; i < s->files->len; i++) {
		if (i)
			sep(b);
		ss_json_escape_append(b, g_ptr_array_index(s->files, i));
	}
	g_string_append_c(b, ']');
	sep(b);
	kv_u64(b, "packets", s->packets);
	sep(b);
	kv_u64(b, "signatures", s->sigs ? ss_cmp_sigs_packets(s->sigs) : 0);
	sep(b);
	key_dyn(b, "first_ts");
	if (s->first_ns == SS_NO_TIME) {
		null_(b);
	} else {
		g_string_append_c(b, '"');
		ss_time_append(b, s->first_ns, TRUE);
		g_string_append_c(b, '"');
	}
	sep(b);
	key_dyn(b, "last_ts");
	if (s->last_ns == SS_NO_TIME) {
		null_(b);
	} else {
		g_string_append_c(b, '"');
		ss_time_append(b, s->last_ns, TRUE);
		g_string_append_c(b, '"');
	}
	sep(b);
	kv_u64(b, "warnings", s->report ? s->report->summary.warnings->len : 0);
	g_string_append_c(b, '}');
}

/* One line of jsonl without its newline, then `tail`. */
static void chop(GString *b, const char *tail)
{
	if (b->len && b->str[b->len - 1] == '\n')
		g_string_truncate(b, b->len - 1);
	g_string_append(b, tail);
}

/* ---- drift mode: the records of sockscope/drift.h ---- */

static void kv_listener(GString *b, guint8 proto, guint8 family, const ss_ip *ip, guint16 port)
{
	key(b, "listener");
	g_string_append_c(b, '"');
	ss_drift_listener_append(b, proto, family, ip, port);
	g_string_append_c(b, '"');
}

/* ,"tunnel":{"type","vni"} for a listener or host behind a tunnel, as a
 * single capture's listener records have it; nothing otherwise. */
static void drift_tunnel(GString *b, const ss_vnet *v)
{
	if (v->type == SS_TUNNEL_NONE)
		return;
	sep(b);
	key(b, "tunnel");
	g_string_append_c(b, '{');
	kv_name(b, "type", ss_tunnel_type_name((ss_tunnel_type)v->type));
	sep(b);
	key(b, "vni");
	if (v->has_vni)
		ss_u64_append(b, v->vni);
	else
		null_(b);
	g_string_append_c(b, '}');
}

/* One capture's view of a listener: its counts, or null when no record
 * reached it in that capture. */
static void drift_side(GString *b, const ss_drift_side *s)
{
	if (!s->seen) {
		null_(b);
		return;
	}
	g_string_append_c(b, '{');
	kv_name(b, "state", ss_drift_side_state(s));
	sep(b);
	kv_u64(b, "connections", s->connections);
	sep(b);
	kv_u64(b, "answered", s->answered);
	sep(b);
	kv_u64(b, "refused", s->refused);
	sep(b);
	kv_u64(b, "refused_rst", s->refused_rst);
	sep(b);
	kv_u64(b, "refused_icmp", s->refused_icmp);
	sep(b);
	kv_u64(b, "unanswered", s->unanswered);
	sep(b);
	kv_u64(b, "syn_retransmits", s->syn_retransmits);
	sep(b);
	kv_u64(b, "clients", s->clients);
	sep(b);
	kv_time(b, "first_ts", s->first_ns, TRUE);
	sep(b);
	kv_time(b, "last_ts", s->last_ns, TRUE);
	g_string_append_c(b, '}');
}

static void listener_change(GString *b, gconstpointer p)
{
	const ss_drift_listener *l = p;
	g_string_append_c(b, '{');
	kv_str(b, "type", "listener_change");
	sep(b);
	kv_listener(b, l->proto, l->family, &l->ip, l->port);
	drift_tunnel(b, &l->vnet);
	sep(b);
	kv_name(b, "service", l->service);
	sep(b);
	kv_name(b, "change", ss_drift_change_name(l->change));
	sep(b);
	kv_name(b, "before", ss_drift_side_state(&l->a));
	sep(b);
	kv_name(b, "after", ss_drift_side_state(&l->b));
	sep(b);
	kv_name(b, "confidence", ss_confidence_name(l->confidence));
	sep(b);
	key(b, "evidence");
	GString *e = g_string_new(NULL);
	ss_drift_side_evidence(l, &l->a, "A", e);
	g_string_append(e, "; ");
	ss_drift_side_evidence(l, &l->b, "B", e);
	ss_json_escape_append(b, e->str);
	g_string_free(e, TRUE);
	sep(b);
	key(b, "a");
	drift_side(b, &l->a);
	sep(b);
	key(b, "b");
	drift_side(b, &l->b);
	g_string_append(b, "}\n");
}

static void network_change(GString *b, gconstpointer p)
{
	const ss_drift_network *n = p;
	g_string_append_c(b, '{');
	kv_str(b, "type", "client_network_change");
	sep(b);
	kv_listener(b, n->proto, n->family, &n->ip, n->port);
	drift_tunnel(b, &n->vnet);
	sep(b);
	key(b, "network");
	g_string_append_c(b, '"');
	ss_drift_network_append(b, n->family, &n->net, n->prefix);
	g_string_append_c(b, '"');
	sep(b);
	kv_name(b, "change", ss_drift_net_change_name(n->change));
	sep(b);
	kv_u64(b, "connections", n->connections);
	sep(b);
	kv_u64(b, "clients", n->clients);
	sep(b);
	kv_u64(b, "other_connections", n->other_connections);
	sep(b);
	kv_name(b, "confidence", ss_confidence_name(n->confidence));
	g_string_append(b, "}\n");
}

/* An ephemeral profile as the host records have it (docs/output.md). */
static void eph_profile(GString *b, const ss_eph_profile *p, guint64 samples, guint16 lo,
			guint16 hi)
{
	g_string_append_c(b, '{');
	kv_name(b, "range", ss_eph_default_name(p->fits));
	sep(b);
	kv_u64(b, "low", p->low);
	sep(b);
	kv_u64(b, "high", p->high);
	sep(b);
	kv_name(b, "pattern", ss_alloc_pattern_name(p->pattern));
	sep(b);
	kv_name(b, "basis", ss_eph_basis_name(p->basis));
	sep(b);
	kv_u64(b, "samples", samples);
	sep(b);
	key(b, "ports_seen");
	if (samples == 0) {
		null_(b);
	} else {
		g_string_append_c(b, '[');
		ss_u64_append(b, lo);
		sep(b);
		ss_u64_append(b, hi);
		g_string_append_c(b, ']');
	}
	g_string_append_c(b, '}');
}

static void ephemeral_change(GString *b, gconstpointer p)
{
	const ss_drift_ephemeral *e = p;
	g_string_append_c(b, '{');
	kv_str(b, "type", "ephemeral_change");
	sep(b);
	kv_ip(b, "host", e->family, &e->ip);
	drift_tunnel(b, &e->vnet);
	sep(b);
	kv_name(b, "verdict", ss_drift_eph_verdict_name(e->verdict));
	sep(b);
	key(b, "differs");
	g_string_append_c(b, '[');
	if (e->differs & SS_DRIFT_EPH_RANGE)
		ss_append_lit(b, "\"range\"");
	if (e->differs & SS_DRIFT_EPH_PATTERN) {
		if (e->differs & SS_DRIFT_EPH_RANGE)
			sep(b);
		ss_append_lit(b, "\"pattern\"");
	}
	g_string_append_c(b, ']');
	sep(b);
	kv_name(b, "evidence", e->why);
	sep(b);
	key(b, "before");
	eph_profile(b, &e->a, e->a_samples, e->a_min, e->a_max);
	sep(b);
	key(b, "after");
	eph_profile(b, &e->b, e->b_samples, e->b_min, e->b_max);
	g_string_append(b, "}\n");
}

/* ,"drift":{...}: what the drift compared, so that an empty list of
 * changes can be told from nothing compared. */
static void drift_counts(GString *b, const ss_drift *d)
{
	sep(b);
	key(b, "drift");
	g_string_append_c(b, '{');
	kv_u64(b, "listeners_a", d->listeners_a);
	sep(b);
	kv_u64(b, "listeners_b", d->listeners_b);
	sep(b);
	kv_u64(b, "listeners_changed", d->listeners->len);
	sep(b);
	kv_u64(b, "listeners_unchanged", d->listeners_unchanged);
	sep(b);
	kv_u64(b, "not_listening", d->not_listening);
	sep(b);
	kv_u64(b, "networks_compared", d->networks_compared);
	sep(b);
	kv_u64(b, "network_changes", d->networks->len);
	sep(b);
	kv_u64(b, "hosts_profiled", d->hosts_profiled);
	sep(b);
	kv_u64(b, "ephemeral_unchanged", d->ephemeral_unchanged);
	g_string_append_c(b, '}');
}

/* One kind of drift record: in jsonl a line each; with `json_key` the
 * json object's array of them (",\n\"key\":[...]"). */
static void drift_kind(GString *b, const GArray *items, gsize size,
		       void (*record)(GString *, gconstpointer), const char *json_key)
{
	if (json_key)
		g_string_append_printf(b, ",\n\"%s\":[", json_key);
	for (guint i = 0; i < items->len; i++) {
		if (json_key)
			g_string_append(b, i ? ",\n" : "\n");
		record(b, items->data + i * size);
		if (json_key)
			chop(b, "");
	}
	if (json_key)
		g_string_append_c(b, ']');
}

/* The drift records of jsonl, or with `json` the three arrays of the json
 * object. */
static void drift_records(GString *b, const ss_drift *d, gboolean json)
{
	drift_kind(b, d->listeners, sizeof(ss_drift_listener), listener_change,
		   json ? "listener_changes" : NULL);
	drift_kind(b, d->networks, sizeof(ss_drift_network), network_change,
		   json ? "client_network_changes" : NULL);
	drift_kind(b, d->ephemeral, sizeof(ss_drift_ephemeral), ephemeral_change,
		   json ? "ephemeral_changes" : NULL);
}

static void summary(GString *b, const ss_compare *c)
{
	g_string_append_c(b, '{');
	kv_str(b, "type", "compare_summary");
	sep(b);
	kv_str(b, "mode", c->mode == SS_CMP_MODE_DRIFT ? "drift" : "path");
	sep(b);
	kv_str(b, "mode_reason", c->mode_reason);
	sep(b);
	key(b, "a");
	side_obj(b, &c->side[0]);
	sep(b);
	key(b, "b");
	side_obj(b, &c->side[1]);
	sep(b);
	kv_us(b, "clock_offset_us", c->have_offset ? c->offset_ns : SS_NO_TIME);
	sep(b);
	kv_us(b, "clock_offset_spread_us",
	      c->have_offset && c->offset_spread_ns >= 0 ? c->offset_spread_ns : SS_NO_TIME);
	sep(b);
	kv_u64(b, "clock_offset_samples", c->offset_samples);
	sep(b);
	kv_str(b, "a_near_client", c->a_near_client < 0 ? NULL : c->a_near_client ? "a" : "b");
	sep(b);
	kv_u64(b, "matched", c->matched);
	sep(b);
	kv_u64(b, "a_only", c->a_only);
	sep(b);
	kv_u64(b, "b_only", c->b_only);
	if (c->drift)
		drift_counts(b, c->drift);
	g_string_append(b, "}\n");
}

static void side_conn(GString *b, const ss_cmp_conn *cc, int s)
{
	const ss_conn *k = s == 0 ? cc->conn_a : cc->conn_b;
	gint flow = s == 0 ? cc->flow_a : cc->flow_b;
	if (flow < 0) {
		null_(b);
		return;
	}
	g_string_append_c(b, '{');
	kv_addr(b, "client", cc->family, &cc->client_ip[s], cc->client_port[s]);
	sep(b);
	kv_addr(b, "server", cc->family, &cc->server_ip[s], cc->server_port[s]);
	sep(b);
	kv_str(b, "outcome", k ? ss_outcome_name((ss_outcome)k->outcome) : NULL);
	sep(b);
	char cid[SS_COMMUNITY_ID_LEN];
	kv_str(b, "community_id", k && ss_community_id_conn(k, 0, cid) ? cid : NULL);
	g_string_append_c(b, '}');
}

static void conn(GString *b, const ss_compare *c, const ss_cmp_conn *cc)
{
	g_string_append_c(b, '{');
	kv_str(b, "type", "compare_conn");
	sep(b);
	kv_str(b, "proto", cc->proto == 6 ? "tcp" : "udp");
	sep(b);
	kv_str(b, "seen", ss_cmp_seen_name((ss_cmp_seen)cc->seen));
	sep(b);
	key(b, "first_ts");
	g_string_append_c(b, '"');
	ss_time_append(b, cc->first_ns, TRUE);
	g_string_append_c(b, '"');
	sep(b);
	key(b, "a");
	side_conn(b, cc, 0);
	sep(b);
	key(b, "b");
	side_conn(b, cc, 1);
	sep(b);
	/* client_assigned: as seen nearer the client; the translated forms
	 * only when the other point saw something else. */
	int near = cc->seen == SS_CMP_SEEN_B_ONLY ? 1 : cc->seen == SS_CMP_SEEN_A_ONLY ? 0 :
		   cc->a_near_client == 0 ? 1 : 0;
	gboolean both = cc->seen == SS_CMP_SEEN_BOTH && cc->a_near_client >= 0;
	const char *tr = ss_cmp_translation_name(cc);
	gboolean snat = both && strstr(tr, "snat") != NULL;
	gboolean dnat = both && strstr(tr, "dnat") != NULL;
	gboolean unknown = cc->seen == SS_CMP_SEEN_BOTH && strcmp(tr, "unknown") == 0;
	if (unknown) {
		kv_str(b, "client_assigned", NULL);
	} else {
		kv_addr(b, "client_assigned", cc->family, &cc->client_ip[near], cc->client_port[near]);
	}
	sep(b);
	if (snat)
		kv_addr(b, "client_translated", cc->family, &cc->client_ip[!near],
			cc->client_port[!near]);
	else
		kv_str(b, "client_translated", NULL);
	sep(b);
	if (unknown)
		kv_str(b, "server_addressed", NULL);
	else
		kv_addr(b, "server_addressed", cc->family, &cc->server_ip[near], cc->server_port[near]);
	sep(b);
	if (dnat)
		kv_addr(b, "server_translated", cc->family, &cc->server_ip[!near],
			cc->server_port[!near]);
	else
		kv_str(b, "server_translated", NULL);
	sep(b);
	kv_str(b, "translation", tr);
	sep(b);
	key(b, "match");
	if (cc->seen != SS_CMP_SEEN_BOTH) {
		null_(b);
	} else {
		static const char *const ev[] = { "isn", "tcp_options", "payload_hash", "timing",
							  "payload_repeated" };
		g_string_append(b, "{\"evidence\":[");
		gboolean first = TRUE;
		for (guint i = 0; i < G_N_ELEMENTS(ev); i++)
			if (cc->evidence & (1u << i)) {
				if (!first)
					sep(b);
				ss_json_escape_append(b, ev[i]);
				first = FALSE;
			}
		g_string_append(b, "],");
		kv_str(b, "confidence", ss_confidence_name((ss_confidence)cc->confidence));
		g_string_append_c(b, '}');
	}
	sep(b);
	key(b, "lost");
	g_string_append_c(b, '[');
	gboolean first = TRUE;
	for (int k = 0; k < SS_CMP_PKT_COUNT; k++)
		for (int d = 0; d < 2; d++) {
			if (!cc->lost[k][d])
				continue;
			if (!first)
				sep(b);
			first = FALSE;
			g_string_append_c(b, '{');
			kv_str(b, "packet", ss_cmp_pkt_kind_name((ss_cmp_pkt_kind)k));
			sep(b);
			kv_str(b, "direction", d == SS_CMP_DIR_A_TO_B ? "a_to_b" : "b_to_a");
			sep(b);
			kv_u64(b, "count", cc->lost[k][d]);
			g_string_append_c(b, '}');
		}
	g_string_append(b, "],");
	key(b, "injected_resets");
	g_string_append_c(b, '[');
	first = TRUE;
	for (int s = 0; s < 2; s++)
		for (int t = 0; t < 2; t++) {
			if (!cc->injected_rst[s][t])
				continue;
			if (!first)
				sep(b);
			first = FALSE;
			g_string_append_c(b, '{');
			kv_str(b, "seen_at", s == 0 ? "a" : "b");
			sep(b);
			kv_str(b, "toward", t ? "server" : "client");
			sep(b);
			kv_u64(b, "count", cc->injected_rst[s][t]);
			g_string_append_c(b, '}');
		}
	g_string_append(b, "],");
	key(b, "one_way_delay_us");
	g_string_append_c(b, '{');
	kv_us(b, "a_to_b", cc->delay_ns[SS_CMP_DIR_A_TO_B]);
	sep(b);
	kv_us(b, "b_to_a", cc->delay_ns[SS_CMP_DIR_B_TO_A]);
	g_string_append(b, "},");
	key(b, "retransmits");
	g_string_append_c(b, '{');
	kv_u64(b, "a", cc->retransmits[0]);
	sep(b);
	kv_u64(b, "b", cc->retransmits[1]);
	g_string_append(b, "},");
	kv_str(b, "retransmits_only_at",
	       cc->retransmits[0] > 0 && cc->retransmits[1] == 0 ? "a" :
	       cc->retransmits[1] > 0 && cc->retransmits[0] == 0 ? "b" : NULL);
	sep(b);
	key(b, "idle_drop");
	if (cc->idle_drop_ns == SS_NO_TIME) {
		null_(b);
	} else {
		g_string_append(b, "{\"after_idle_s\":");
		/* seconds with 3 decimals: a duration in ms of a thousandth */
		ss_ms_append(b, cc->idle_drop_ns / 1000, FALSE);
		g_string_append_c(b, '}');
	}
	(void)c;
	g_string_append(b, "}\n");
}

static void translator(GString *b, const ss_cmp_translator *t)
{
	g_string_append_c(b, '{');
	kv_str(b, "type", "translator");
	sep(b);
	kv_str(b, "kind", t->kind == SS_CMP_TRANSLATOR_SNAT ? "snat" : "dnat");
	sep(b);
	kv_u64(b, "ip_version", t->family);
	sep(b);
	key(b, "public_addresses");
	g_string_append_c(b, '[');
	for (guint i = 0; i < t->public_ips->len; i++) {
		char ip[SS_IP_STRLEN];
		if (i)
			sep(b);
		ss_ip_format(t->family, &g_array_index(t->public_ips, ss_ip, i), ip);
		ss_json_escape_append(b, ip);
	}
	g_string_append(b, "],");
	kv_str(b, "port_allocation", ss_cmp_port_alloc_name((ss_cmp_port_alloc)t->port_alloc));
	sep(b);
	kv_str(b, "confidence", ss_confidence_name((ss_confidence)t->confidence));
	sep(b);
	kv_u64(b, "connections", t->conns);
	sep(b);
	kv_u64(b, "ports_seen", t->ports_seen);
	sep(b);
	key(b, "port_range");
	g_string_append_c(b, '[');
	ss_u64_append(b, t->port_lo);
	sep(b);
	ss_u64_append(b, t->port_hi);
	g_string_append(b, "],");
	kv_u64(b, "max_concurrent", t->max_concurrent);
	sep(b);
	kv_str(b, "exhaustion_risk", ss_cmp_exhaustion_risk(t));
	sep(b);
	key(b, "idle_timeout_s");
	if (t->idle_timeout_ns == SS_NO_TIME)
		null_(b);
	else
		ss_i64_append(b, t->idle_timeout_ns / 1000000000);
	sep(b);
	key(b, "idle_survived_s");
	if (t->idle_survived_ns == SS_NO_TIME)
		null_(b);
	else
		ss_i64_append(b, t->idle_survived_ns / 1000000000);
	sep(b);
	kv_str(b, "evidence", t->evidence);
	g_string_append(b, "}\n");
}

static void finding(GString *b, const ss_cmp_finding *f, guint rank)
{
	g_string_append_c(b, '{');
	kv_str(b, "type", "finding");
	sep(b);
	kv_u64(b, "rank", rank);
	sep(b);
	kv_str(b, "id", f->id);
	sep(b);
	kv_str(b, "severity", ss_cmp_severity_name((ss_cmp_severity)f->severity));
	sep(b);
	kv_str(b, "statement", f->text);
	g_string_append(b, "}\n");
}

gboolean ss_render_compare_jsonl(const ss_compare *c, FILE *out)
{
	GString *b = g_string_sized_new(SS_OUT_FLUSH_AT * 2);
	gboolean ok = TRUE;
	summary(b, c);
	if (c->drift)
		drift_records(b, c->drift, FALSE);
	for (guint i = 0; ok && i < c->conns->len; i++) {
		conn(b, c, &g_array_index(c->conns, ss_cmp_conn, i));
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	for (guint i = 0; i < c->translators->len; i++)
		translator(b, &g_array_index(c->translators, ss_cmp_translator, i));
	for (guint i = 0; i < c->findings->len; i++)
		finding(b, &g_array_index(c->findings, ss_cmp_finding, i), i + 1);
	return ss_out_finish(b, out, ok);
}


gboolean ss_render_compare_json(const ss_compare *c, FILE *out)
{
	GString *b = g_string_sized_new(SS_OUT_FLUSH_AT * 2);
	gboolean ok = TRUE;
	g_string_append(b, "{\"summary\":");
	summary(b, c);
	chop(b, ",\n\"connections\":[");
	for (guint i = 0; ok && i < c->conns->len; i++) {
		if (i)
			g_string_append_c(b, ',');
		g_string_append_c(b, '\n');
		conn(b, c, &g_array_index(c->conns, ss_cmp_conn, i));
		chop(b, "");
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	g_string_append(b, "],\n\"translators\":[");
	for (guint i = 0; i < c->translators->len; i++) {
		if (i)
			g_string_append_c(b, ',');
		g_string_append_c(b, '\n');
		translator(b, &g_array_index(c->translators, ss_cmp_translator, i));
		chop(b, "");
	}
	g_string_append_c(b, ']');
	if (c->drift)
		drift_records(b, c->drift, TRUE);
	g_string_append(b, ",\n\"findings\":[");
	for (guint i = 0; i < c->findings->len; i++) {
		if (i)
			g_string_append_c(b, ',');
		g_string_append_c(b, '\n');
		finding(b, &g_array_index(c->findings, ss_cmp_finding, i), i + 1);
		chop(b, "");
	}
	g_string_append(b, "]}\n");
	return ss_out_finish(b, out, ok);
}
