/* JSON writers: one object per record, and the jsonl / json documents.
 *
 * Key order is fixed and part of the contract (docs/output.md); keys are
 * only ever added.  Numbers are integers or decimals printed with integer
 * arithmetic, so the output is byte-identical on every platform. */
#include <netinet/in.h>
#include <string.h>

#include "config.h"
#include "report/json-writer.h"
#include "report/model.h"
#include "report/out.h"
#include "sockscope/decode.h"
#include "sockscope/community-id.h"
#include "sockscope/findings.h"
#include "sockscope/format.h"
#include "sockscope/hosts.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/tunnels.h"
#include "sockscope/util.h"

/* ,"tunnel":{"type":...,"vni":...} of a listener or host behind a tunnel:
 * the virtual network that is part of its identity (docs/output.md). */
static void vnet_context(GString *b, const ss_vnet *v)
{
	if (v->type == SS_TUNNEL_NONE)
		return;
	g_string_append_c(b, ',');
	key(b, "tunnel");
	g_string_append_c(b, '{');
	ss_json_vnet_fields(b, v);
	g_string_append_c(b, '}');
}

/* The outcomes that can happen to each protocol, in enum order. */
static const ss_outcome tcp_outcomes[] = {
	SS_OUTCOME_COMPLETE, SS_OUTCOME_REJECTED, SS_OUTCOME_UNANSWERED,
	SS_OUTCOME_INCOMPLETE, SS_OUTCOME_MIDSTREAM, SS_OUTCOME_SIMULTANEOUS,
};
static const ss_outcome udp_outcomes[] = {
	SS_OUTCOME_REJECTED, SS_OUTCOME_UNANSWERED, SS_OUTCOME_ANSWERED,
};

void ss_json_listener(GString *b, const ss_listener *l, gboolean nanosecond)
{
	g_string_append_c(b, '{');
	kv_name(b, "kind", "listener");
	g_string_append_c(b, ',');
	kv_name(b, "proto", ss_proto_name(l->proto, "unknown"));
	g_string_append_c(b, ',');
	kv_u64(b, "ip_version", l->family);
	g_string_append_c(b, ',');
	kv_ip(b, "ip", l->family, &l->ip);
	g_string_append_c(b, ',');
	kv_u64(b, "port", l->port);
	vnet_context(b, &l->vnet);
	g_string_append_c(b, ',');
	kv_str(b, "service", l->service);
	g_string_append_c(b, ',');
	kv_name(b, "state", ss_listener_state_name(l->state));
	g_string_append_c(b, ',');
	kv_name(b, "confidence", ss_confidence_name(l->confidence));
	g_string_append_c(b, ',');
	kv_u64(b, "connections", l->connections);
	g_string_append_c(b, ',');
	kv_u64(b, "clients", l->clients);
	g_string_append_c(b, ',');
	kv_bool(b, "clients_capped", l->clients_capped);
	g_string_append_c(b, ',');
	key(b, "outcomes");
	g_string_append_c(b, '{');
	const ss_outcome *list = l->proto == IPPROTO_UDP ? udp_outcomes : tcp_outcomes;
	gsize n = l->proto == IPPROTO_UDP ? G_N_ELEMENTS(udp_outcomes) : G_N_ELEMENTS(tcp_outcomes);
	for (gsize i = 0; i < n; i++) {
		if (i > 0)
			g_string_append_c(b, ',');
		kv_u64_dyn(b, ss_outcome_name(list[i]), l->outcomes[list[i]]);
	}
	/* only where a one-sided capture left attempts without a visible
	 * answer (docs/output.md): most captures never have one */
	if (l->outcomes[SS_OUTCOME_UNKNOWN] > 0) {
		g_string_append_c(b, ',');
		kv_u64_dyn(b, ss_outcome_name(SS_OUTCOME_UNKNOWN), l->outcomes[SS_OUTCOME_UNKNOWN]);
	}
	ss_append_lit(b, "},");
	kv_time(b, "first_ts", l->first_ns, nanosecond);
	g_string_append_c(b, ',');
	kv_time(b, "last_ts", l->last_ns, nanosecond);
	ss_append_lit(b, "}\n");
}

void ss_json_tunnel(GString *b, const ss_tunnel_flow *t, gboolean nanosecond)
{
	g_string_append_c(b, '{');
	kv_name(b, "kind", "tunnel");
	g_string_append_c(b, ',');
	ss_json_vnet_fields(b, &t->vnet);
	g_string_append_c(b, ',');
	if (t->vnet.type == SS_TUNNEL_MPLS) {
		/* a tenant is its bottom label (vni); the stack above it is the
		 * path, the same for all its packets or not (labels_vary) */
		ss_json_mpls_labels(b, t->labels);
		g_string_append_c(b, ',');
		kv_bool(b, "labels_vary", t->labels_vary);
		g_string_append_c(b, ',');
	}
	ss_json_outer_append(b, t->family, &t->src, &t->dst, 0, 0);   /* ports vary per inner flow */
	g_string_append_c(b, ',');
	kv_u64(b, "connections", t->connections);
	g_string_append_c(b, ',');
	kv_u64(b, "packets", t->packets);
	g_string_append_c(b, ',');
	kv_u64(b, "bytes", t->bytes);
	g_string_append_c(b, ',');
	kv_time(b, "first_ts", t->first_ns, nanosecond);
	g_string_append_c(b, ',');
	kv_time(b, "last_ts", t->last_ns, nanosecond);
	ss_append_lit(b, "}\n");
}

/* ---- host ----
 *
 * jsonl writes one host line per host (73 155 on mixed.pcap), after the
 * last record and before the findings, on the main thread: part of the
 * serial tail of a run (docs/performance.md, "The serial tail").  Like the
 * connection line (report/json-line.c) it is written at a pointer into
 * room reserved once: literals as one copy each, numbers and addresses
 * by core/format.c's *_put writers, table names unscanned.  Same bytes as
 * the key/value writers it replaces (goldens, bench/same-bytes.sh). */

/* Room for one name in a host line, its quotes and a comma: the names
 * are sockscope's own ("windows_old", "outside_defaults"...), far shorter. */
#define HOST_NAME_ROOM 32

/* A literal, then a number. */
#define put_u64(p, lit, v) (put_lit(p, lit), (p) = ss_u64_put((p), (v)))

/* A table's name ("linux", "sequential"...): no escaping; NULL is null. */
static char *host_name_put(char *p, const char *v, gsize n)
{
	g_assert(n + 3 <= HOST_NAME_ROOM);
	if (v == NULL) {
		put_lit(p, "null");
		return p;
	}
	*p++ = '"';
	p = (char *)memcpy(p, v, n) + n;
	*p++ = '"';
	return p;
}

/* `"` address `"` */
static char *host_ip_put(char *p, guint8 family, const ss_ip *ip)
{
	*p++ = '"';
	p += ss_ip_format(family, ip, p);
	*p++ = '"';
	return p;
}

/* One entry of "listening": the listener's proto, port, service, state,
 * connections and clients. */
static void host_listener_append(GString *b, const ss_listener *l, gboolean first)
{
	const char *proto = ss_proto_name(l->proto, "unknown");
	const char *state = ss_listener_state_name(l->state);
	gsize np = strlen(proto), ns = state ? strlen(state) : 0;
	gsize nsvc = l->service ? strlen(l->service) : 0;
	char *p = ss_reserve(b, 128 + 2 * SS_U64_MAXLEN + np + ns + SS_JSON_ESCAPED_MAX(nsvc));
	if (!first)
		*p++ = ',';
	put_lit(p, "{\"proto\":");
	p = host_name_put(p, proto, np);
	put_u64(p, ",\"port\":", l->port);
	put_lit(p, ",\"service\":");
	p = ss_json_escape_put(p, l->service, nsvc);
	put_lit(p, ",\"state\":");
	p = host_name_put(p, state, ns);
	put_u64(p, ",\"connections\":", l->connections);
	put_u64(p, ",\"clients\":", l->clients);
	*p++ = '}';
	ss_commit(b, p);
}

/* "ephemeral":{...} of a host with samples: what its ports tell of its
 * ephemeral range and allocator. */
static char *host_ephemeral_put(char *p, const ss_host *h, gboolean nanosecond)
{
	const ss_eph_profile *pr = &h->profile;
	put_u64(p, "{\"samples\":", h->eph.samples);
	put_u64(p, ",\"min\":", h->eph.min);
	put_u64(p, ",\"max\":", h->eph.max);
	put_lit(p, ",\"range\":");
	if (pr->fits == SS_EPH_UNKNOWN) {
		put_lit(p, "null");
	} else {
		put_u64(p, "{\"low\":", pr->low);
		put_u64(p, ",\"high\":", pr->high);
		*p++ = '}';
	}
	/* every default that holds the ports, then the one named and why */
	put_lit(p, ",\"fits\":[");
	const ss_eph_default *ids;
	gsize n = ss_eph_defaults(&ids), listed = 0;
	for (gsize i = 0; i < n; i++) {
		if (!(pr->consistent & (1u << ids[i])))
			continue;
		if (listed++ > 0)
			*p++ = ',';
		const char *name = ss_eph_default_name(ids[i]);
		p = host_name_put(p, name, strlen(name));
	}
	const char *likely = ss_eph_default_name(pr->fits);
	const char *basis = ss_eph_basis_name(pr->basis);
	const char *pattern = ss_alloc_pattern_name(pr->pattern);
	put_lit(p, "],\"likely\":");
	p = host_name_put(p, likely, likely ? strlen(likely) : 0);
	put_lit(p, ",\"basis\":");
	p = host_name_put(p, basis, basis ? strlen(basis) : 0);
	put_lit(p, ",\"pattern\":");
	p = host_name_put(p, pattern, pattern ? strlen(pattern) : 0);
	put_u64(p, ",\"evidence\":{\"even\":", h->eph.even);
	put_u64(p, ",\"steps_1_to_8_up\":", h->eph.small_steps);
	put_u64(p, ",\"same_destination_steps\":", h->eph.dest_steps);
	put_u64(p, ",\"same_destination_2_to_16_up\":", h->eph.dest_even_up);
	put_u64(p, ",\"wraps\":", pr->wraps);
	put_lit(p, "},\"reused_ports\":");
	if (h->reuse_known)
		p = ss_u64_put(p, h->reused_ports);
	else
		put_lit(p, "null");
	put_lit(p, ",\"min_reuse_gap_ms\":");
	if (h->min_reuse_gap_ns == SS_NO_TIME)
		put_lit(p, "null");
	else
		p = ss_ms_put(p, h->min_reuse_gap_ns, nanosecond);
	*p++ = '}';
	return p;
}

/* The host line after "listening": literals (~450 bytes), 21 numbers, a
 * duration, an address and the dual ports at their longest, and up to
 * SS_EPH_COUNT + 4 names. */
#define HOST_TAIL_MAX                                                                    \
	(768 + 21 * SS_U64_MAXLEN + SS_MS_MAXLEN + SS_IP_STRLEN +                           \
	 SS_HOST_DUAL_PORTS_MAX * (SS_U64_MAXLEN + 1) + (SS_EPH_COUNT + 4) * HOST_NAME_ROOM)

void ss_json_host(GString *b, const ss_host *h, const GArray *listeners, gboolean nanosecond)
{
	char *p = ss_reserve(b, 64 + SS_U64_MAXLEN + SS_IP_STRLEN);
	put_u64(p, "{\"kind\":\"host\",\"ip_version\":", h->family);
	put_lit(p, ",\"ip\":");
	p = host_ip_put(p, h->family, &h->ip);
	ss_commit(b, p);
	vnet_context(b, &h->vnet);
	ss_append_lit(b, ",\"listening\":[");
	for (guint i = 0; h->listeners && listeners && i < h->listeners->len; i++) {
		guint li = g_array_index(h->listeners, guint, i);
		if (li < listeners->len)
			host_listener_append(b, &g_array_index(listeners, ss_listener, li), i == 0);
	}
	p = ss_reserve(b, HOST_TAIL_MAX);
	put_u64(p, "],\"client\":{\"connections\":", h->client_connections);
	put_u64(p, ",\"servers\":", h->client_servers);
	put_lit(p, "},");
	/* only when there are some: a capture without them keeps its bytes */
	if (h->unknown_roles > 0) {
		put_u64(p, "\"unknown_roles\":", h->unknown_roles);
		*p++ = ',';
	}
	put_lit(p, "\"ephemeral\":");
	if (h->eph.samples == 0)
		put_lit(p, "null");
	else
		p = host_ephemeral_put(p, h, nanosecond);
	put_lit(p, ",\"exhaustion\":");
	if (!h->exhaustion_risk) {
		put_lit(p, "null");
	} else {
		guint64 size = (guint64)h->profile.high - h->profile.low + 1;
		const char *proto = ss_proto_name(h->busiest_proto, "unknown");
		put_lit(p, "{\"proto\":");
		p = host_name_put(p, proto, strlen(proto));
		put_lit(p, ",\"ip\":");
		p = host_ip_put(p, h->family, &h->busiest_ip);
		put_u64(p, ",\"port\":", h->busiest_port);
		put_u64(p, ",\"connections\":", h->busiest_connections);
		put_u64(p, ",\"window_s\":", SS_EXHAUSTION_WINDOW_NS / 1000000000);
		put_u64(p, ",\"share_pct\":", h->busiest_connections * 100 / size);
		*p++ = '}';
	}
	put_lit(p, ",\"listens_and_connects\":[");
	for (guint i = 0; i < h->n_dual_ports; i++) {
		if (i > 0)
			*p++ = ',';
		p = ss_u64_put(p, h->dual_ports[i]);
	}
	put_lit(p, "]}\n");
	ss_commit(b, p);
}

/* ---- finding ---- */

/* {"ip":..,"port":..} at p; port < 0 is null. */
static char *addr_obj_put(char *p, guint8 family, const ss_ip *ip, gint port)
{
	put_lit(p, "{\"ip\":\"");
	p += ss_ip_format(family, ip, p);
	put_lit(p, "\",\"port\":");
	if (port >= 0)
		p = ss_u64_put(p, (guint64)port);
	else
		put_lit(p, "null");
	*p++ = '}';
	return p;
}
#define ADDR_OBJ_MAX (24 + SS_IP_STRLEN + SS_U64_MAXLEN)

/* A server address as "key":{"ip":..,"port":..}. */
static void addr_obj_(GString *b, const char *qk, gsize n, guint8 family, const ss_ip *ip,
		      gint port)
{
	char *p = (char *)memcpy(ss_reserve(b, n + ADDR_OBJ_MAX), qk, n) + n;
	ss_commit(b, addr_obj_put(p, family, ip, port));
}
#define addr_obj(b, k, family, ip, port) addr_obj_((b), QKEY(k), (family), (ip), (port))

/* `"name"` at p, or null. */
static char *name_put(char *p, const char *v, gsize n)
{
	if (v == NULL) {
		put_lit(p, "null");
		return p;
	}
	*p++ = '"';
	p = (char *)memcpy(p, v, n) + n;
	*p++ = '"';
	return p;
}

/* One of a finding's examples, written at a pointer in room made once
 * (~2 000 instructions a finding less than a GString append per part,
 * on the serial end of the tail: docs/performance.md, "The capture-end
 * drain and tail, twelfth session"): its first packet's time, Community
 * ID, ends and outcome; the ID and outcome need no escaping. */
static void finding_example_append(GString *b, const ss_conn *c, gboolean first_one,
				   gboolean nanosecond)
{
	gint64 first, last;
	char cid[SS_COMMUNITY_ID_LEN];
	ss_conn_span(c, &first, &last);
	gboolean has_cid = ss_community_id_conn(c, 0, cid);
	gsize ncid = has_cid ? strlen(cid) : 0;
	const char *outcome = ss_outcome_name(c->outcome);
	gsize nout = outcome ? strlen(outcome) : 0;
	char *p = ss_reserve(b, 128 + SS_TIME_MAXLEN + ncid + 2 * ADDR_OBJ_MAX + nout);
	if (!first_one)
		*p++ = ',';
	put_lit(p, "{\"first_ts\":");
	if (first == SS_NO_TIME) {
		put_lit(p, "null");
	} else {
		*p++ = '"';
		p = ss_time_put(p, first, nanosecond);
		*p++ = '"';
	}
	put_lit(p, ",\"community_id\":");
	p = name_put(p, has_cid ? cid : NULL, ncid);
	put_lit(p, ",\"client\":");
	p = addr_obj_put(p, c->family, ss_conn_client_ip(c), ss_conn_client_port(c));
	put_lit(p, ",\"server\":");
	p = addr_obj_put(p, c->family, ss_conn_server_ip(c), ss_conn_server_port(c));
	put_lit(p, ",\"outcome\":");
	p = name_put(p, outcome, nout);
	*p++ = '}';
	ss_commit(b, p);
}

void ss_json_finding(GString *b, const ss_finding *f, guint rank, gboolean nanosecond)
{
	g_string_append_c(b, '{');
	kv_name(b, "kind", "finding");
	g_string_append_c(b, ',');
	kv_u64(b, "rank", rank);
	g_string_append_c(b, ',');
	/* the id, severity, protocol, fact names, outcome and Community ID
	 * are sockscope's own words (findings.h: "static"), which escaping
	 * copies unchanged: written as names, not scanned (kv_name) */
	kv_name(b, "id", f->id);
	g_string_append_c(b, ',');
	kv_name(b, "severity", ss_severity_name(f->severity));
	g_string_append_c(b, ',');
	kv_u64(b, "count", f->count);
	g_string_append_c(b, ',');
	kv_name(b, "proto", ss_proto_name(f->proto, NULL));
	g_string_append_c(b, ',');
	key(b, "ip_version");
	if (f->family)
		ss_u64_append(b, f->family);
	else
		null_(b);
	g_string_append_c(b, ',');
	if (f->has_client)
		kv_ip(b, "client", f->family, &f->client_ip);
	else
		kv_str(b, "client", NULL);
	g_string_append_c(b, ',');
	if (f->has_server)
		addr_obj(b, "server", f->family, &f->server_ip, f->server_port);
	else
		kv_str(b, "server", NULL);
	vnet_context(b, &f->vnet);
	g_string_append_c(b, ',');
	kv_str(b, "statement", f->statement);
	g_string_append_c(b, ',');
	kv_str(b, "next_step", f->next_step);
	g_string_append_c(b, ',');
	key(b, "evidence");
	g_string_append_c(b, '{');
	for (guint i = 0; i < f->n_facts; i++) {
		if (i > 0)
			g_string_append_c(b, ',');
		key_dyn(b, f->facts[i].name);
		if (f->facts[i].ms)
			ss_ms_append(b, f->facts[i].value, nanosecond);
		else
			ss_i64_append(b, f->facts[i].value);
	}
	ss_append_lit(b, "},");
	if (f->open_ports != NULL) {
		key(b, "open_ports");
		g_string_append_c(b, '[');
		for (guint i = 0; i < f->open_ports->len; i++) {
			if (i > 0)
				g_string_append_c(b, ',');
			ss_u64_append(b, g_array_index(f->open_ports, guint16, i));
		}
		ss_append_lit(b, "],");
	}
	if (f->answered_hosts != NULL) {
		key(b, "answered_hosts");
		g_string_append_c(b, '[');
		for (guint i = 0; i < f->answered_hosts->len; i++) {
			char ip[SS_IP_STRLEN];
			ss_ip_format(f->family, &g_array_index(f->answered_hosts, ss_ip, i), ip);
			if (i > 0)
				g_string_append_c(b, ',');
			g_string_append_c(b, '"');
			g_string_append(b, ip);
			g_string_append_c(b, '"');
		}
		ss_append_lit(b, "],");
	}
	key(b, "examples");
	g_string_append_c(b, '[');
	for (guint i = 0; i < f->n_examples; i++)
		finding_example_append(b, &f->examples[i], i == 0, nanosecond);
	ss_append_lit(b, "]}\n");
}

static void reasons_of_class(GString *b, const char *k, const ss_summary *s, ss_reason_class cls)
{
	gboolean first = TRUE;
	key_dyn(b, k);
	g_string_append_c(b, '{');
	for (int r = 0; r < SS_REASON_COUNT; r++) {
		if (ss_reason_class_of((ss_reason)r) != cls)
			continue;
		if (!first)
			g_string_append_c(b, ',');
		first = FALSE;
		kv_u64_dyn(b, ss_reason_name((ss_reason)r), s->reasons[r]);
	}
	g_string_append_c(b, '}');
}

/* "tunnels":{"vxlan":N,...}, packets per innermost tunnel type; the key is
 * there only when the capture had tunnels, like an input's "kernel". */
static void summary_tunnels(GString *b, const ss_summary *s)
{
	gboolean first = TRUE;
	for (int t = SS_TUNNEL_NONE + 1; t < SS_TUNNEL_COUNT; t++) {
		if (s->tunnel_packets[t] == 0)
			continue;
		if (first) {
			key(b, "tunnels");
			g_string_append_c(b, '{');
		} else {
			g_string_append_c(b, ',');
		}
		first = FALSE;
		kv_u64_dyn(b, ss_tunnel_type_name((ss_tunnel_type)t), s->tunnel_packets[t]);
	}
	if (!first)
		ss_append_lit(b, "},");
}

/* "amsdu":{"frames":N,"subframes":M}, only when the capture had 802.11
 * A-MSDU frames (their subframes are counted as packets). */
static void summary_amsdu(GString *b, const ss_summary *s)
{
	if (s->amsdu_frames == 0)
		return;
	key(b, "amsdu");
	g_string_append_c(b, '{');
	kv_u64_dyn(b, "frames", s->amsdu_frames);
	g_string_append_c(b, ',');
	kv_u64_dyn(b, "subframes", s->amsdu_subframes);
	ss_append_lit(b, "},");
}

void ss_json_summary(GString *b, const ss_summary *s)
{
	g_string_append_c(b, '{');
	kv_str(b, "kind", "summary");
	g_string_append_c(b, ',');
	kv_str(b, "version", SOCKSCOPE_VERSION);
	g_string_append_c(b, ',');
	key(b, "inputs");
	g_string_append_c(b, '[');
	for (guint i = 0; s->inputs != NULL && i < s->inputs->len; i++) {
		const ss_input *in = g_ptr_array_index(s->inputs, i);
		if (i > 0)
			g_string_append_c(b, ',');
		g_string_append_c(b, '{');
		kv_str(b, "name", in->name);
		g_string_append_c(b, ',');
		kv_str(b, "link_type", in->link_name);
		g_string_append_c(b, ',');
		key(b, "dlt");
		ss_i64_append(b, in->dlt);
		g_string_append_c(b, ',');
		kv_str(b, "precision", in->nanosecond ? "ns" : "us");
		g_string_append_c(b, ',');
		kv_u64(b, "packets", in->packets);
		g_string_append_c(b, ',');
		kv_str(b, "error", in->error);
		if (in->live) {
			/* Live capture only (files never have these keys). */
			g_string_append_c(b, ',');
			key(b, "kernel");
			if (in->have_stats) {
				g_string_append_c(b, '{');
				kv_u64(b, "received", in->kernel_received);
				g_string_append_c(b, ',');
				kv_u64(b, "dropped", in->kernel_dropped);
				g_string_append_c(b, ',');
				kv_u64(b, "if_dropped", in->if_dropped);
				g_string_append_c(b, '}');
			} else {
				null_(b);
			}
		}
		g_string_append_c(b, ',');
		kv_u64(b, "timestamps_backwards", in->timestamps_backwards);
		g_string_append_c(b, ',');
		kv_u64(b, "snaplen_cut", in->snaplen_cut);
		g_string_append_c(b, '}');
	}
	ss_append_lit(b, "],");
	kv_u64(b, "packets", s->packets);
	g_string_append_c(b, ',');
	kv_u64(b, "bytes", s->bytes);
	g_string_append_c(b, ',');
	kv_u64(b, "captured_bytes", s->captured_bytes);
	g_string_append_c(b, ',');
	kv_u64(b, "decoded", s->decoded);
	g_string_append_c(b, ',');
	kv_time(b, "first_ts", s->first_ns, s->nanosecond);
	g_string_append_c(b, ',');
	kv_time(b, "last_ts", s->last_ns, s->nanosecond);
	g_string_append_c(b, ',');
	kv_u64(b, "tcp_connections", s->tcp_connections);
	g_string_append_c(b, ',');
	kv_u64(b, "udp_exchanges", s->udp_exchanges);
	g_string_append_c(b, ',');
	kv_u64(b, "listeners", s->listeners);
	g_string_append_c(b, ',');
	kv_u64(b, "reused_tuples", s->reused_tuples);
	g_string_append_c(b, ',');
	key(b, "ended");
	g_string_append_c(b, '{');
	for (int e = 0; e < SS_END_COUNT; e++) {
		if (e > 0)
			g_string_append_c(b, ',');
		kv_u64_dyn(b, ss_end_name((ss_end)e), s->ended[e]);
	}
	ss_append_lit(b, "},");
	kv_u64(b, "max_flows_tracked", s->max_flows_tracked);
	g_string_append_c(b, ',');
	kv_u64(b, "aggregated_attempts", s->aggregated_attempts);
	g_string_append_c(b, ',');
	key(b, "flow_cap");
	g_string_append_c(b, '{');
	kv_u64(b, "evictions", s->flow_cap.evictions);
	g_string_append_c(b, ',');
	kv_u64(b, "resumed", s->flow_cap.resumed);
	g_string_append_c(b, ',');
	kv_u64(b, "continued", s->flow_cap.continued);
	g_string_append_c(b, ',');
	kv_u64(b, "kept_max", s->flow_cap.kept_max);
	g_string_append_c(b, ',');
	key(b, "aggregated");
	g_string_append_c(b, '{');
	kv_u64(b, "tcp_failed", s->flow_cap.aggregated_tcp_failed);
	g_string_append_c(b, ',');
	kv_u64(b, "tcp_answered", s->flow_cap.aggregated_tcp_answered);
	g_string_append_c(b, ',');
	kv_u64(b, "tcp_other", s->flow_cap.aggregated_tcp_other);
	g_string_append_c(b, ',');
	kv_u64(b, "udp", s->flow_cap.aggregated_udp);
	ss_append_lit(b, "}},");
	key(b, "icmp_errors");
	g_string_append_c(b, '{');
	kv_u64(b, "matched", s->icmp_errors_matched);
	g_string_append_c(b, ',');
	kv_u64(b, "unmatched", s->icmp_errors_unmatched);
	ss_append_lit(b, "},");
	/* "checksums":{"tcp":{"ok":N,...},"udp":{...}}: TCP has no "none" */
	key(b, "checksums");
	g_string_append_c(b, '{');
	for (int u = 0; u < 2; u++) {
		if (u)
			key(b, "udp");
		else
			key(b, "tcp");
		g_string_append_c(b, '{');
		static const ss_csum order[] = { SS_CSUM_OK, SS_CSUM_BAD, SS_CSUM_PARTIAL,
						 SS_CSUM_NONE, SS_CSUM_UNVERIFIED };
		gboolean first = TRUE;
		for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
			if (!u && order[i] == SS_CSUM_NONE)
				continue;
			if (!first)
				g_string_append_c(b, ',');
			first = FALSE;
			kv_u64_dyn(b, ss_csum_name(order[i]), s->checksums[u][order[i]]);
		}
		g_string_append(b, u ? "}" : "},");
	}
	ss_append_lit(b, "},");
	summary_tunnels(b, s);
	summary_amsdu(b, s);
	reasons_of_class(b, "ignored", s, SS_CLASS_IGNORED);
	g_string_append_c(b, ',');
	reasons_of_class(b, "truncated", s, SS_CLASS_TRUNCATED);
	g_string_append_c(b, ',');
	reasons_of_class(b, "invalid", s, SS_CLASS_INVALID);
	g_string_append_c(b, ',');
	key(b, "warnings");
	g_string_append_c(b, '[');
	for (guint i = 0; s->warnings != NULL && i < s->warnings->len; i++) {
		if (i > 0)
			g_string_append_c(b, ',');
		ss_json_escape_append(b, g_ptr_array_index(s->warnings, i));
	}
	ss_append_lit(b, "],");
	kv_bool(b, "interrupted", s->interrupted);
	g_string_append_c(b, ',');
	kv_u64(b, "hosts", s->hosts);
	g_string_append_c(b, ',');
	key(b, "evidence");
	g_string_append_c(b, '{');
	for (int e = 0; e < SS_EVIDENCE_COUNT; e++) {
		if (e > 0)
			g_string_append_c(b, ',');
		kv_u64_dyn(b, ss_evidence_name((ss_evidence)e), s->evidence[e]);
	}
	ss_append_lit(b, "},");
	key(b, "quality");
	g_string_append_c(b, '{');
	kv_u64(b, "one_sided", s->quality.one_sided);
	g_string_append_c(b, ',');
	kv_u64(b, "started_midstream", s->quality.started_midstream);
	g_string_append_c(b, ',');
	kv_u64(b, "timestamps_backwards", s->quality.timestamps_backwards);
	g_string_append_c(b, ',');
	kv_u64(b, "snaplen_cut", s->quality.snaplen_cut);
	g_string_append_c(b, ',');
	key(b, "kernel_drops");
	if (s->quality.kernel_drops_known)
		ss_u64_append(b, s->quality.kernel_drops);
	else
		null_(b);
	ss_append_lit(b, "},");
	key(b, "knowledge_dropped");
	g_string_append_c(b, '{');
	kv_u64(b, "endpoints", s->knowledge_dropped.endpoints);
	g_string_append_c(b, ',');
	kv_u64(b, "hosts", s->knowledge_dropped.hosts);
	g_string_append_c(b, ',');
	kv_u64(b, "port_maps", s->knowledge_dropped.port_maps);
	g_string_append_c(b, ',');
	kv_u64(b, "destinations", s->knowledge_dropped.destinations);
	g_string_append_c(b, ',');
	kv_u64(b, "servers", s->knowledge_dropped.servers);
	ss_append_lit(b, "}}\n");
}

/* Records are handed to the stream every SS_OUT_FLUSH_AT bytes rather than
 * one by one or all at once (report/out.h). */
#define FLUSH_AT SS_OUT_FLUSH_AT

/* The jsonl lines before the findings: records, listeners, hosts, tunnels. */
static gboolean jsonl_items(GString *buf, const ss_report *r, FILE *out)
{
	gboolean ok = TRUE;
	for (guint i = 0; ok && r->conns != NULL && i < r->conns->len; i++) {
		ss_json_conn(buf, g_ptr_array_index(r->conns, i), r->summary.nanosecond);
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	for (guint i = 0; ok && r->listeners != NULL && i < r->listeners->len; i++) {
		ss_json_listener(buf, &g_array_index(r->listeners, ss_listener, i),
				 r->summary.nanosecond);
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	for (guint i = 0; ok && r->hosts != NULL && i < r->hosts->len; i++) {
		ss_json_host(buf, &g_array_index(r->hosts, ss_host, i), r->listeners,
			     r->summary.nanosecond);
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	for (guint i = 0; ok && r->tunnels != NULL && i < r->tunnels->len; i++) {
		ss_json_tunnel(buf, &g_array_index(r->tunnels, ss_tunnel_flow, i),
			       r->summary.nanosecond);
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	return ok;
}

/* The findings' lines and the summary's. */
/* The findings were made on other threads and are read once here, cold:
 * each line reads its finding's head, two texts and up to three examples'
 * heads.  Fetched FINDINGS_AHEAD findings ahead (the finding's head twice
 * as far: the texts' addresses and the examples' count are in it). */
#define FINDINGS_AHEAD 4

static void prefetch_finding_head(const ss_finding *f)
{
	for (gsize off = 0; off < G_STRUCT_OFFSET(ss_finding, examples); off += 64)
		__builtin_prefetch((const char *)f + off);
	__builtin_prefetch(&f->n_examples);
}

static void prefetch_finding(const ss_finding *f)
{
	for (guint i = 0; i < f->n_examples; i++) {
		__builtin_prefetch(&f->examples[i]);
		__builtin_prefetch((const char *)&f->examples[i] + 64);
		__builtin_prefetch((const char *)&f->examples[i] + 128);
	}
	for (gsize off = 0; f->statement != NULL && off < 256; off += 64)
		__builtin_prefetch(f->statement + off);
	for (gsize off = 0; f->next_step != NULL && off < 192; off += 64)
		__builtin_prefetch(f->next_step + off);
}

/* Finding i's line into buf (its rank is i + 1), the findings after it
 * fetched. */
static void finding_line(GString *buf, const ss_report *r, guint i)
{
	guint n = r->findings->len;
	if (i + FINDINGS_AHEAD < n)
		prefetch_finding(g_ptr_array_index(r->findings, i + FINDINGS_AHEAD));
	if (i + 2 * FINDINGS_AHEAD < n)
		prefetch_finding_head(g_ptr_array_index(r->findings, i + 2 * FINDINGS_AHEAD));
	ss_json_finding(buf, g_ptr_array_index(r->findings, i), i + 1, r->summary.nanosecond);
}

static gboolean jsonl_findings(GString *buf, const ss_report *r, FILE *out)
{
	gboolean ok = TRUE;
	for (guint i = 0; ok && r->findings != NULL && i < r->findings->len; i++) {
		finding_line(buf, r, i);
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	if (ok)
		ss_json_summary(buf, &r->summary);
	return ok;
}

/* ---- the findings' lines on two threads ----
 *
 * The findings' lines are the run's last work (mixed.pcap: ~10 900 lines,
 * 13.9 MB, ~11 ms on a quiet machine), with nothing else left to run
 * beside them: the other core idles.  They go in chunks of LINES_CHUNK
 * findings, each formatted whole by one thread and written by this one,
 * in order: the same bytes.  A helper thread ("sockscope-line") takes the
 * next chunk nobody has taken.  This thread never waits for it (the
 * twelfth session's version did, and lost under load: the helper had no
 * core; docs/performance.md): when its next chunk is still the helper's,
 * it formats a later one meanwhile, or, with none left within the window,
 * takes the chunk over and formats it itself (the helper drops what it
 * made).  A chunk is taken by compare-and-swap of its state, so this
 * thread takes no lock: a helper descheduled with a lock held cannot stop
 * it.  At most LINES_WINDOW chunks past the last one written are taken,
 * so at most that many wait in buffers; only the helper waits, for room.
 * At the end this thread joins the helper, which leaves a chunk taken
 * over at its next line. */
#define LINES_CHUNK 128
#define LINES_WINDOW 4

enum { CHUNK_FREE, CHUNK_HELPER, CHUNK_HELPER_DONE, CHUNK_WRITER };

typedef struct {
	const ss_report *r;
	guint nchunks;
	gint *state;                    /* atomic, a CHUNK_* per chunk */
	gint written;                   /* atomic: chunks [0, written) are written */
	gint stop;                      /* atomic: the helper takes no more chunks */
	GString *helper_made[LINES_WINDOW];   /* a CHUNK_HELPER_DONE chunk c's lines at
					       * c % LINES_WINDOW, handed over by the
					       * state's compare-and-swap */
	gpointer returned;              /* atomic: a written buffer back to the helper */
	/* the helper's wait for room in the window */
	GMutex lock;
	GCond room;
	gint helper_waits;              /* atomic */
} lines_share;

/* Chunk c's lines into buf; FALSE, and buf's part dropped, when the helper's
 * chunk was taken over meanwhile (its state no longer CHUNK_HELPER). */
static gboolean chunk_lines(lines_share *sh, GString *buf, guint c, gboolean helper)
{
	guint from = c * LINES_CHUNK, to = MIN(from + LINES_CHUNK, sh->r->findings->len);
	for (guint i = from; i < to; i++) {
		if (helper && g_atomic_int_get(&sh->state[c]) != CHUNK_HELPER) {
			g_string_truncate(buf, 0);
			return FALSE;
		}
		finding_line(buf, sh->r, i);
	}
	return TRUE;
}

static GString *chunk_buf(void)
{
	return g_string_sized_new(LINES_CHUNK * 1536);
}

/* The helper's next chunk at or after *from within the window, taken; or
 * nchunks when none is left, or -1 when the window (past *written, the
 * chunks written when it looked) is all taken. */
static gint helper_take(lines_share *sh, guint *from, guint *written)
{
	*written = (guint)g_atomic_int_get(&sh->written);
	guint end = MIN(sh->nchunks, *written + LINES_WINDOW);
	for (guint c = MAX(*from, *written); c < end; c++)
		if (g_atomic_int_compare_and_exchange(&sh->state[c], CHUNK_FREE, CHUNK_HELPER)) {
			*from = c + 1;
			return (gint)c;
		}
	return end >= sh->nchunks ? (gint)sh->nchunks : -1;
}

static gpointer lines_helper_main(gpointer data)
{
	lines_share *sh = data;
	GString *mine = NULL;
	guint from = 0;
	while (!g_atomic_int_get(&sh->stop)) {
		guint seen;
		gint c = helper_take(sh, &from, &seen);
		if (c == (gint)sh->nchunks)
			break;
		if (c < 0) {   /* the window is full: wait until a chunk is written */
			g_mutex_lock(&sh->lock);
			g_atomic_int_set(&sh->helper_waits, 1);
			if (!g_atomic_int_get(&sh->stop) &&
			    (guint)g_atomic_int_get(&sh->written) == seen)
				g_cond_wait(&sh->room, &sh->lock);
			g_atomic_int_set(&sh->helper_waits, 0);
			g_mutex_unlock(&sh->lock);
			continue;
		}
		if (mine == NULL)
			mine = g_atomic_pointer_exchange(&sh->returned, NULL);
		if (mine == NULL)
			mine = chunk_buf();
		if (!chunk_lines(sh, mine, (guint)c, TRUE))
			continue;   /* taken over */
		sh->helper_made[c % LINES_WINDOW] = mine;
		if (g_atomic_int_compare_and_exchange(&sh->state[c], CHUNK_HELPER,
						      CHUNK_HELPER_DONE)) {
			mine = NULL;
		} else {   /* taken over as it ended: the slot is not read */
			sh->helper_made[c % LINES_WINDOW] = NULL;
			g_string_truncate(mine, 0);
		}
	}
	if (mine != NULL)
		g_string_free(mine, TRUE);
	return NULL;
}

/* Chunk c is written: the window moves on, and a waiting helper is told. */
static void chunk_written(lines_share *sh, guint c)
{
	g_atomic_int_set(&sh->written, (gint)c + 1);
	if (g_atomic_int_get(&sh->helper_waits)) {
		g_mutex_lock(&sh->lock);
		g_cond_signal(&sh->room);
		g_mutex_unlock(&sh->lock);
	}
}

static gboolean jsonl_findings_shared(GString *buf, const ss_report *r, FILE *out)
{
	lines_share sh = { .r = r };
	sh.nchunks = (r->findings->len + LINES_CHUNK - 1) / LINES_CHUNK;
	sh.state = g_new0(gint, sh.nchunks);
	g_mutex_init(&sh.lock);
	g_cond_init(&sh.room);
	GString *ahead[LINES_WINDOW] = { NULL };   /* chunks formatted here ahead */
	GThread *helper = g_thread_try_new("sockscope-line", lines_helper_main, &sh, NULL);
	gboolean ok = TRUE;
	for (guint c = 0; ok && c < sh.nchunks;) {
		GString *lines = ahead[c % LINES_WINDOW];
		ahead[c % LINES_WINDOW] = NULL;
		if (lines == NULL &&
		    g_atomic_int_compare_and_exchange(&sh.state[c], CHUNK_FREE, CHUNK_WRITER)) {
			chunk_lines(&sh, buf, c, FALSE);
			lines = buf;
		}
		if (lines == NULL && g_atomic_int_get(&sh.state[c]) == CHUNK_HELPER) {
			/* the helper's still: a later free chunk meanwhile */
			guint k = c + 1;
			while (k < MIN(sh.nchunks, c + LINES_WINDOW) &&
			       !g_atomic_int_compare_and_exchange(&sh.state[k], CHUNK_FREE,
								  CHUNK_WRITER))
				k++;
			if (k < MIN(sh.nchunks, c + LINES_WINDOW)) {
				ahead[k % LINES_WINDOW] = chunk_buf();
				chunk_lines(&sh, ahead[k % LINES_WINDOW], k, FALSE);
				continue;
			}
			if (g_atomic_int_compare_and_exchange(&sh.state[c], CHUNK_HELPER,
							      CHUNK_WRITER)) {
				chunk_lines(&sh, buf, c, FALSE);   /* taken over */
				lines = buf;
			}
		}
		gboolean helpers = FALSE;
		if (lines == NULL) {   /* CHUNK_HELPER_DONE: the state's swap published it */
			lines = sh.helper_made[c % LINES_WINDOW];
			sh.helper_made[c % LINES_WINDOW] = NULL;
			helpers = TRUE;
		}
		ok = ss_out_write_buf(lines, out);
		if (helpers && !g_atomic_pointer_compare_and_exchange(&sh.returned, NULL, lines))
			g_string_free(lines, TRUE);
		else if (lines != buf && !helpers)
			g_string_free(lines, TRUE);
		chunk_written(&sh, c);
		c++;
	}
	g_atomic_int_set(&sh.stop, 1);
	for (guint c = 0; c < sh.nchunks; c++)   /* the helper's chunk, if any, is dropped */
		g_atomic_int_compare_and_exchange(&sh.state[c], CHUNK_HELPER, CHUNK_WRITER);
	g_mutex_lock(&sh.lock);
	g_cond_signal(&sh.room);
	g_mutex_unlock(&sh.lock);
	if (helper != NULL)
		g_thread_join(helper);
	for (guint i = 0; i < LINES_WINDOW; i++) {
		if (ahead[i] != NULL)
			g_string_free(ahead[i], TRUE);
		if (sh.helper_made[i] != NULL)
			g_string_free(sh.helper_made[i], TRUE);
	}
	if (sh.returned != NULL)
		g_string_free(sh.returned, TRUE);
	g_free(sh.state);
	g_cond_clear(&sh.room);
	g_mutex_clear(&sh.lock);
	if (ok)
		ss_json_summary(buf, &r->summary);
	return ok;
}

gboolean ss_render_jsonl(const ss_report *r, FILE *out)
{
	GString *buf = g_string_sized_new(FLUSH_AT * 2);
	gboolean ok = jsonl_items(buf, r, out);
	if (ok)
		ok = jsonl_findings(buf, r, out);
	return ss_out_finish(buf, out, ok);
}

/* The two halves are called directly, not through ss_render(): they take
 * its one step themselves (machine formats carry nanosecond digits). */
gboolean ss_render_jsonl_items(const ss_report *r, FILE *out)
{
	ss_report machine = *r;
	machine.summary.nanosecond = TRUE;
	GString *buf = g_string_sized_new(FLUSH_AT * 2);
	gboolean ok = jsonl_items(buf, &machine, out) && ss_out_write_buf(buf, out);
	g_string_free(buf, TRUE);
	return ok;
}

gboolean ss_render_jsonl_findings(const ss_report *r, gboolean ok, FILE *out, gboolean two_threads)
{
	g_return_val_if_fail(r->findings != NULL, FALSE);
	ss_report machine = *r;
	machine.summary.nanosecond = TRUE;
	GString *buf = g_string_sized_new(FLUSH_AT * 2);
	if (ok && two_threads && r->findings->len >= 2 * LINES_CHUNK)
		ok = jsonl_findings_shared(buf, &machine, out);
	else if (ok)
		ok = jsonl_findings(buf, &machine, out);
	return ss_out_finish(buf, out, ok);
}

/* Replaces the record writers' trailing newline by `sep`. */
static void end_item(GString *buf, const char *sep)
{
	if (buf->len > 0 && buf->str[buf->len - 1] == '\n')
		g_string_truncate(buf, buf->len - 1);
	g_string_append(buf, sep);
}

gboolean ss_render_json(const ss_report *r, FILE *out)
{
	GString *buf = g_string_sized_new(FLUSH_AT * 2);
	gboolean ok = TRUE;
	guint nc = r->conns != NULL ? r->conns->len : 0;
	guint nl = r->listeners != NULL ? r->listeners->len : 0;

	g_string_append(buf, "{\n\"summary\":");
	ss_json_summary(buf, &r->summary);
	end_item(buf, ",\n\"connections\":[");
	g_string_append(buf, nc > 0 ? "\n" : "");
	for (guint i = 0; ok && i < nc; i++) {
		ss_json_conn(buf, g_ptr_array_index(r->conns, i), r->summary.nanosecond);
		end_item(buf, i + 1 < nc ? ",\n" : "\n");
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	g_string_append(buf, "],\n\"listeners\":[");
	g_string_append(buf, nl > 0 ? "\n" : "");
	for (guint i = 0; ok && i < nl; i++) {
		ss_json_listener(buf, &g_array_index(r->listeners, ss_listener, i),
				 r->summary.nanosecond);
		end_item(buf, i + 1 < nl ? ",\n" : "\n");
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	guint nh = r->hosts != NULL ? r->hosts->len : 0;
	g_string_append(buf, "],\n\"hosts\":[");
	g_string_append(buf, nh > 0 ? "\n" : "");
	for (guint i = 0; ok && i < nh; i++) {
		ss_json_host(buf, &g_array_index(r->hosts, ss_host, i), r->listeners,
			     r->summary.nanosecond);
		end_item(buf, i + 1 < nh ? ",\n" : "\n");
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	/* "tunnels" only when the capture had some: plain captures' documents
	 * are unchanged. */
	guint nt = r->tunnels != NULL ? r->tunnels->len : 0;
	if (nt > 0)
		g_string_append(buf, "],\n\"tunnels\":[\n");
	for (guint i = 0; ok && i < nt; i++) {
		ss_json_tunnel(buf, &g_array_index(r->tunnels, ss_tunnel_flow, i),
			       r->summary.nanosecond);
		end_item(buf, i + 1 < nt ? ",\n" : "\n");
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	guint nf = r->findings != NULL ? r->findings->len : 0;
	g_string_append(buf, "],\n\"findings\":[");
	g_string_append(buf, nf > 0 ? "\n" : "");
	for (guint i = 0; ok && i < nf; i++) {
		ss_json_finding(buf, g_ptr_array_index(r->findings, i), i + 1, r->summary.nanosecond);
		end_item(buf, i + 1 < nf ? ",\n" : "\n");
		if (buf->len >= FLUSH_AT)
			ok = ss_out_write_buf(buf, out);
	}
	g_string_append(buf, "]\n}\n");
	return ss_out_finish(buf, out, ok);
}
