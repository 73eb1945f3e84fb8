/* Drift between two captures of one capture point (sockscope/drift.h):
 * listeners that appeared, vanished or changed state, client networks new
 * or gone per listener, and changed ephemeral-port profiles per host.
 *
 * It lives in compare/ (above pipeline, below report) because it reads two
 * finished reports and produces a model the formats draw; it needs nothing
 * of the path-mode matcher.  The listener walk is a merge of the two
 * reports' sorted listener arrays (ss_listener_cmp), so the output order is
 * theirs; the record passes fill per-listener hash tables that are only
 * looked up, never iterated into the output, and the network lists are
 * sorted before they are returned. */
#include "sockscope/drift.h"

#include <netinet/in.h>
#include <string.h>

#include "sockscope/format.h"
#include "sockscope/hash.h"
#include "sockscope/hosts.h"
#include "sockscope/ip.h"
#include "sockscope/ipset.h"
#include "sockscope/listeners.h"
#include "sockscope/services.h"

/* ---- names ---- */

const char *ss_drift_change_name(ss_drift_change c)
{
	switch (c) {
	case SS_DRIFT_APPEARED:
		return "appeared";
	case SS_DRIFT_VANISHED:
		return "vanished";
	case SS_DRIFT_STATE_CHANGED:
		return "state_changed";
	default:
		return "unknown";
	}
}

const char *ss_drift_net_change_name(ss_drift_net_change c)
{
	return c == SS_DRIFT_NET_NEW ? "new" : "gone";
}

const char *ss_drift_eph_verdict_name(ss_drift_eph_verdict v)
{
	return v == SS_DRIFT_EPH_CHANGED ? "changed" : "unknown";
}

const char *ss_drift_side_state(const ss_drift_side *s)
{
	return s->seen ? ss_listener_state_name(s->state) : NULL;
}

/* ---- classification ---- */

gboolean ss_drift_classify(const ss_drift_side *a, const ss_drift_side *b, gboolean udp,
			   ss_drift_change *change, ss_confidence *confidence)
{
	if (!a->seen && !b->seen)
		return FALSE;
	gboolean a_open = a->seen && a->state == SS_LISTENER_OPEN;
	gboolean b_open = b->seen && b->state == SS_LISTENER_OPEN;
	if (a->seen && b->seen && a->state == b->state)
		return FALSE;
	/* Neither side saw it open and one did not see it at all: attempts
	 * to a port nothing listened on, in one capture only.  Not a
	 * listener, so not a listener change (counted as not_listening). */
	if (!a_open && !b_open && (!a->seen || !b->seen))
		return FALSE;
	if (!a->seen || !b->seen) {
		/* Open on one side, no traffic to it on the other: nobody may
		 * have connected.  Reported, never with confidence. */
		*change = a_open ? SS_DRIFT_VANISHED : SS_DRIFT_APPEARED;
		*confidence = SS_CONFIDENCE_LOW;
		return TRUE;
	}
	/* Seen on both sides in different states. */
	const ss_drift_side *shut = a_open ? b : b_open ? a : NULL;
	if (shut != NULL && shut->state == SS_LISTENER_CLOSED) {
		/* It answered on one side and refused (RST / ICMP port
		 * unreachable) on the other: the socket is gone or new. */
		*change = a_open ? SS_DRIFT_VANISHED : SS_DRIFT_APPEARED;
		*confidence = SS_CONFIDENCE_HIGH;
		return TRUE;
	}
	/* open <-> filtered, closed <-> filtered: something now drops the
	 * attempts (a filter, or the host is down), or stopped dropping them.
	 * Silence is weaker evidence than a refusal, and UDP silence weaker
	 * still (a UDP service need not answer every datagram). */
	*change = SS_DRIFT_STATE_CHANGED;
	*confidence = udp ? SS_CONFIDENCE_LOW : SS_CONFIDENCE_MEDIUM;
	return TRUE;
}

/* ---- per-listener detail from the records ---- */

typedef ss_listener_key lkey;

SS_BYTES_KEY_FUNCS(lkey, lkey)

typedef struct {
	lkey l;
	ss_ip net;
} nkey;

SS_BYTES_KEY_FUNCS(nkey, nkey)

typedef struct {
	guint64 refused_rst, refused_icmp, syn_retransmits;
} ldetail;

typedef struct {
	guint64 connections;
	ss_ip_set clients;
} ndetail;

static void ndetail_free(gpointer p)
{
	ndetail *n = p;
	ss_ip_set_clear(&n->clients);
	g_free(n);
}

/* One report's records, by listener and by (listener, client network). */
typedef struct {
	GHashTable *listeners;  /* lkey* -> ldetail* */
	GHashTable *networks;   /* nkey* -> ndetail* */
} side_index;

static ss_ip network_of(guint8 family, const ss_ip *ip, guint8 *prefix)
{
	ss_ip n;
	memset(&n, 0, sizeof n);
	guint bits = family == SS_FAMILY_IPV6 ? SS_DRIFT_PREFIX_V6 : SS_DRIFT_PREFIX_V4;
	memcpy(n.bytes, ip->bytes, bits / 8);
	if (bits % 8)
		n.bytes[bits / 8] = ip->bytes[bits / 8] & (guint8)(0xff << (8 - bits % 8));
	*prefix = (guint8)bits;
	return n;
}

static void index_report(side_index *ix, const ss_report *r)
{
	ix->listeners = g_hash_table_new_full(lkey_hash, lkey_equal, g_free, g_free);
	ix->networks = g_hash_table_new_full(nkey_hash, nkey_equal, g_free, ndetail_free);
	if (r->conns == NULL)
		return;
	for (guint i = 0; i < r->conns->len; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		/* The listener roll-up's own rule, so drift never counts a
		 * listener the report does not have (roles unknown, a
		 * simultaneous open, a multicast group). */
		if (!ss_conn_reaches_listener(c))
			continue;
		lkey k = ss_listener_key_of_conn(c);
		ldetail *d = g_hash_table_lookup(ix->listeners, &k);
		if (d == NULL) {
			d = g_new0(ldetail, 1);
			g_hash_table_insert(ix->listeners, g_memdup2(&k, sizeof k), d);
		}
		d->syn_retransmits += ss_conn_tcp_part(c)->syn_retransmits;
		if (c->outcome == SS_OUTCOME_REJECTED) {
			if (c->icmp_errors > 0 && ss_icmp_is_unreachable(c->icmp_family, c->icmp_type))
				d->refused_icmp++;
			else
				d->refused_rst++;
		}
		nkey nk;
		memset(&nk, 0, sizeof nk);
		nk.l = k;
		guint8 prefix;
		nk.net = network_of(c->family, ss_conn_client_ip(c), &prefix);
		ndetail *n = g_hash_table_lookup(ix->networks, &nk);
		if (n == NULL) {
			n = g_new0(ndetail, 1);
			g_hash_table_insert(ix->networks, g_memdup2(&nk, sizeof nk), n);
		}
		n->connections++;
		if (ss_ip_set_size(&n->clients) < SS_LISTENER_MAX_CLIENTS)
			ss_ip_set_add(&n->clients, ss_conn_client_ip(c));
	}
}

static void side_index_clear(side_index *ix)
{
	g_hash_table_unref(ix->listeners);
	g_hash_table_unref(ix->networks);
}

static void side_fill(ss_drift_side *s, const ss_listener *l, const side_index *ix)
{
	memset(s, 0, sizeof *s);
	s->first_ns = s->last_ns = SS_NO_TIME;
	if (l == NULL)
		return;
	s->seen = TRUE;
	s->state = l->state;
	s->connections = l->connections;
	s->answered = l->outcomes[SS_OUTCOME_COMPLETE] + l->outcomes[SS_OUTCOME_INCOMPLETE] +
		      l->outcomes[SS_OUTCOME_MIDSTREAM] + l->outcomes[SS_OUTCOME_ANSWERED];
	s->refused = l->outcomes[SS_OUTCOME_REJECTED];
	s->unanswered = l->outcomes[SS_OUTCOME_UNANSWERED];
	s->clients = l->clients;
	s->first_ns = l->first_ns;
	s->last_ns = l->last_ns;
	lkey k = ss_listener_key_make(l->proto, l->family, &l->ip, l->port, &l->vnet);
	const ldetail *d = g_hash_table_lookup(ix->listeners, &k);
	if (d != NULL) {
		s->refused_rst = d->refused_rst;
		s->refused_icmp = d->refused_icmp;
		s->syn_retransmits = d->syn_retransmits;
	}
}

/* ---- client networks ---- */

static gint network_cmp(gconstpointer pa, gconstpointer pb)
{
	const ss_drift_network *a = pa, *b = pb;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int d = memcmp(a->ip.bytes, b->ip.bytes, sizeof a->ip.bytes);
	if (d != 0)
		return d < 0 ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if ((d = ss_vnet_cmp(&a->vnet, &b->vnet)) != 0)
		return d;
	d = memcmp(a->net.bytes, b->net.bytes, sizeof a->net.bytes);
	if (d != 0)
		return d < 0 ? -1 : 1;
	return (int)a->change - (int)b->change;
}

/* Networks of `from` at listeners seen on both sides that `other` lacks. */
static void networks_missing(GArray *out, const side_index *from, const side_index *other,
			     GHashTable *both, ss_drift_net_change change)
{
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, from->networks);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const nkey *nk = key;
		const ndetail *n = value;
		const guint64 *other_conns = g_hash_table_lookup(both, &nk->l);
		if (other_conns == NULL || g_hash_table_contains(other->networks, nk))
			continue;
		ss_drift_network d;
		memset(&d, 0, sizeof d);
		d.proto = nk->l.proto;
		d.family = nk->l.family;
		d.ip = nk->l.ip;
		d.port = nk->l.port;
		d.vnet = nk->l.vnet;
		d.net = nk->net;
		d.prefix = nk->l.family == SS_FAMILY_IPV6 ? SS_DRIFT_PREFIX_V6 : SS_DRIFT_PREFIX_V4;
		d.change = change;
		d.connections = n->connections;
		d.clients = ss_ip_set_size(&n->clients);
		d.other_connections = other_conns[change == SS_DRIFT_NET_NEW ? 0 : 1];
		d.confidence = d.other_connections >= SS_DRIFT_NET_MIN_OTHER ? SS_CONFIDENCE_MEDIUM
									  : SS_CONFIDENCE_LOW;
		g_array_append_val(out, d);
	}
}

/* ---- ephemeral profiles ---- */

static gboolean profile_known(const ss_host *h)
{
	return h != NULL && h->profile.fits != SS_EPH_UNKNOWN;
}

static void ephemeral_compare(ss_drift *d, const ss_host *ha, const ss_host *hb)
{
	gboolean ka = profile_known(ha), kb = profile_known(hb);
	if (!ka && !kb)
		return;
	d->hosts_profiled++;
	ss_drift_ephemeral e;
	memset(&e, 0, sizeof e);
	e.family = ha->family;
	e.ip = ha->ip;
	e.vnet = ha->vnet;
	e.a = ha->profile;
	e.b = hb->profile;
	e.a_samples = ha->eph.samples;
	e.b_samples = hb->eph.samples;
	e.a_min = ha->eph.min;
	e.a_max = ha->eph.max;
	e.b_min = hb->eph.min;
	e.b_max = hb->eph.max;
	if (!ka || !kb) {
		/* too few samples on one side: nothing to compare */
		e.verdict = SS_DRIFT_EPH_UNKNOWN;
		e.why = !ka ? "too few ports in A to profile" : "too few ports in B to profile";
		g_array_append_val(d->ephemeral, e);
		return;
	}
	gboolean named_differ = e.a.fits != e.b.fits ||
				(e.a.fits == SS_EPH_CUSTOM &&
				 (e.a.low != e.b.low || e.a.high != e.b.high));
	gboolean pattern_differ = e.a.pattern != SS_ALLOC_UNKNOWN &&
				  e.b.pattern != SS_ALLOC_UNKNOWN && e.a.pattern != e.b.pattern;
	/* A profile is an inference from a sample: two samples of one
	 * allocator can be named differently (a few ports that happen to
	 * cover little of the default look custom).  A range change is only
	 * claimed when ports of one capture lie outside the range the other
	 * inferred from at least SS_DRIFT_EPH_STRONG_SAMPLES ports, and a
	 * pattern change only on that many ports each. */
	gboolean a_strong = e.a_samples >= SS_DRIFT_EPH_STRONG_SAMPLES;
	gboolean b_strong = e.b_samples >= SS_DRIFT_EPH_STRONG_SAMPLES;
	if (named_differ && a_strong && (e.b_min < e.a.low || e.b_max > e.a.high)) {
		e.differs |= SS_DRIFT_EPH_RANGE;
		e.why = "ports in B outside A's range";
	} else if (named_differ && b_strong && (e.a_min < e.b.low || e.a_max > e.b.high)) {
		e.differs |= SS_DRIFT_EPH_RANGE;
		e.why = "ports in A outside B's range";
	}
	if (pattern_differ && a_strong && b_strong) {
		e.differs |= SS_DRIFT_EPH_PATTERN;
		if (e.why == NULL)
			e.why = "the allocation pattern differs";
	}
	if (e.differs != 0) {
		e.verdict = SS_DRIFT_EPH_CHANGED;
	} else if (named_differ || pattern_differ) {
		e.verdict = SS_DRIFT_EPH_UNKNOWN;
		e.why = named_differ ? "profiles differ, but no port lies outside a range"
				       " learned from enough ports"
				     : "patterns differ on too few ports";
	} else {
		d->ephemeral_unchanged++;
		return;
	}
	g_array_append_val(d->ephemeral, e);
}

/* ---- the model ---- */

static void add_listener(ss_drift *d, const ss_listener *la, const ss_listener *lb,
			 const side_index *ia, const side_index *ib, GHashTable *both)
{
	const ss_listener *l = la ? la : lb;
	ss_drift_listener x;
	memset(&x, 0, sizeof x);
	x.proto = l->proto;
	x.family = l->family;
	x.ip = l->ip;
	x.port = l->port;
	x.vnet = l->vnet;
	x.service = l->service;
	side_fill(&x.a, la, ia);
	side_fill(&x.b, lb, ib);
	if (la && lb) {
		/* Networks are compared at every listener seen in both: its
		 * clients matter whether or not its state changed. */
		guint64 *conns = g_new(guint64, 2);
		conns[0] = la->connections;
		conns[1] = lb->connections;
		lkey k = ss_listener_key_make(l->proto, l->family, &l->ip, l->port, &l->vnet);
		g_hash_table_insert(both, g_memdup2(&k, sizeof k), conns);
		d->networks_compared++;
	}
	if (!ss_drift_classify(&x.a, &x.b, l->proto == IPPROTO_UDP, &x.change, &x.confidence)) {
		if (la && lb)
			d->listeners_unchanged++;
		else
			d->not_listening++;
		return;
	}
	g_array_append_val(d->listeners, x);
}

ss_drift *ss_drift_compute(const ss_report *a, const ss_report *b)
{
	g_return_val_if_fail(a != NULL && b != NULL, NULL);
	ss_drift *d = g_new0(ss_drift, 1);
	d->listeners = g_array_new(FALSE, FALSE, sizeof(ss_drift_listener));
	d->networks = g_array_new(FALSE, FALSE, sizeof(ss_drift_network));
	d->ephemeral = g_array_new(FALSE, FALSE, sizeof(ss_drift_ephemeral));

	side_index ia, ib;
	index_report(&ia, a);
	index_report(&ib, b);
	GHashTable *both = g_hash_table_new_full(lkey_hash, lkey_equal, g_free, g_free);

	/* Both arrays are sorted by ss_listener_cmp (report.h): a merge. */
	guint na = a->listeners ? a->listeners->len : 0, nb = b->listeners ? b->listeners->len : 0;
	d->listeners_a = na;
	d->listeners_b = nb;
	guint i = 0, j = 0;
	while (i < na || j < nb) {
		const ss_listener *la = i < na ? &g_array_index(a->listeners, ss_listener, i) : NULL;
		const ss_listener *lb = j < nb ? &g_array_index(b->listeners, ss_listener, j) : NULL;
		gint c = la == NULL ? 1 : lb == NULL ? -1 : ss_listener_cmp(la, lb);
		if (c < 0) {
			add_listener(d, la, NULL, &ia, &ib, both);
			i++;
		} else if (c > 0) {
			add_listener(d, NULL, lb, &ia, &ib, both);
			j++;
		} else {
			add_listener(d, la, lb, &ia, &ib, both);
			i++;
			j++;
		}
	}

	networks_missing(d->networks, &ib, &ia, both, SS_DRIFT_NET_NEW);
	networks_missing(d->networks, &ia, &ib, both, SS_DRIFT_NET_GONE);
	g_array_sort(d->networks, network_cmp);

	/* Hosts: both arrays sorted by ss_host_cmp; only hosts in both. */
	guint ha = a->hosts ? a->hosts->len : 0, hb = b->hosts ? b->hosts->len : 0;
	i = j = 0;
	while (i < ha && j < hb) {
		const ss_host *x = &g_array_index(a->hosts, ss_host, i);
		const ss_host *y = &g_array_index(b->hosts, ss_host, j);
		gint c = ss_host_cmp(x, y);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			ephemeral_compare(d, x, y);
			i++;
			j++;
		}
	}

	g_hash_table_unref(both);
	side_index_clear(&ia);
	side_index_clear(&ib);
	return d;
}

void ss_drift_free(ss_drift *d)
{
	if (d == NULL)
		return;
	g_array_unref(d->listeners);
	g_array_unref(d->networks);
	g_array_unref(d->ephemeral);
	g_free(d);
}

/* ---- words ---- */

static void count_append(GString *out, guint64 n, const char *one, const char *many)
{
	ss_u64_append(out, n);
	g_string_append_c(out, ' ');
	g_string_append(out, n == 1 ? one : many);
}

void ss_drift_side_evidence(const ss_drift_listener *l, const ss_drift_side *s,
			    const char *label, GString *out)
{
	gboolean tcp = l->proto == IPPROTO_TCP;
	if (!s->seen) {
		g_string_append_printf(out, "no traffic to it in %s", label);
		return;
	}
	switch (s->state) {
	case SS_LISTENER_OPEN:
		g_string_append_printf(out, "open in %s: ", label);
		ss_u64_append(out, s->answered);
		g_string_append(out, " of ");
		count_append(out, s->connections, tcp ? "connection" : "exchange",
			     tcp ? "connections" : "exchanges");
		g_string_append(out, " answered");
		return;
	case SS_LISTENER_CLOSED: {
		const char *what = tcp ? "SYN" : "datagram", *whats = tcp ? "SYNs" : "datagrams";
		if (s->refused_icmp == 0 && s->refused_rst == s->refused) {
			g_string_append(out, "RST to ");
			count_append(out, s->refused, what, whats);
		} else if (s->refused_rst == 0 && s->refused_icmp == s->refused) {
			g_string_append(out, "ICMP unreachable to ");
			count_append(out, s->refused, what, whats);
		} else {
			count_append(out, s->refused, "attempt refused", "attempts refused");
			g_string_append(out, " (");
			ss_u64_append(out, s->refused_rst);
			g_string_append(out, " RST, ");
			ss_u64_append(out, s->refused_icmp);
			g_string_append(out, " ICMP unreachable)");
		}
		g_string_append_printf(out, " in %s", label);
		return;
	}
	case SS_LISTENER_UNKNOWN:
		count_append(out, s->connections,
			     tcp ? "attempt" : "exchange", tcp ? "attempts" : "exchanges");
		g_string_append_printf(out, " without a visible answer in %s, which lacks the "
				       "direction answers would take", label);
		return;
	case SS_LISTENER_FILTERED:
	default:
		if (tcp) {
			count_append(out, s->unanswered, "SYN attempt", "SYN attempts");
			g_string_append(out, " unanswered");
			if (s->syn_retransmits > 0) {
				g_string_append(out, " (");
				count_append(out, s->syn_retransmits, "retransmission",
					     "retransmissions");
				g_string_append(out, ")");
			}
		} else {
			count_append(out, s->unanswered, "datagram exchange", "datagram exchanges");
			g_string_append(out, " unanswered");
		}
		g_string_append_printf(out, " in %s", label);
		return;
	}
}

void ss_drift_network_append(GString *out, guint8 family, const ss_ip *net, guint8 prefix)
{
	char buf[SS_IP_STRLEN];
	ss_ip_format(family, net, buf);
	g_string_append(out, buf);
	g_string_append_c(out, '/');
	ss_u64_append(out, prefix);
}

void ss_drift_profile_append(GString *out, const ss_eph_profile *p, guint64 samples)
{
	if (p->fits == SS_EPH_UNKNOWN) {
		g_string_append(out, "unknown (");
		count_append(out, samples, "port", "ports");
		g_string_append(out, ")");
		return;
	}
	g_string_append(out, ss_eph_default_name(p->fits));
	g_string_append_c(out, ' ');
	ss_u64_append(out, p->low);
	g_string_append_c(out, '-');
	ss_u64_append(out, p->high);
	g_string_append(out, ", ");
	g_string_append(out, ss_alloc_pattern_name(p->pattern));
	g_string_append(out, " (");
	count_append(out, samples, "port", "ports");
	g_string_append(out, ")");
}

/* ---- findings ---- */

static void fact(ss_finding *f, const char *name, guint64 v)
{
	if (f->n_facts < SS_FINDING_FACTS_MAX)
		f->facts[f->n_facts++] = (ss_finding_fact){ name, (gint64)v, FALSE };
}

static void listener_subject(ss_finding *f, guint8 proto, guint8 family, const ss_ip *ip,
			     guint16 port)
{
	f->proto = proto;
	f->family = family;
	f->has_server = TRUE;
	f->server_ip = *ip;
	f->server_port = port;
}

void ss_drift_listener_append(GString *out, guint8 proto, guint8 family, const ss_ip *ip,
			      guint16 port)
{
	ss_addr_port_append(out, family, ip, port);
	g_string_append_c(out, '/');
	g_string_append(out, ss_proto_name(proto, "unknown"));
}

static ss_finding *listener_finding(const ss_drift_listener *l)
{
	ss_finding *f = g_new0(ss_finding, 1);
	listener_subject(f, l->proto, l->family, &l->ip, l->port);
	GString *s = g_string_new("listener ");
	ss_drift_listener_append(s, l->proto, l->family, &l->ip, l->port);
	const char *from = ss_drift_side_state(&l->a), *to = ss_drift_side_state(&l->b);
	switch (l->change) {
	case SS_DRIFT_VANISHED:
		f->id = "listener_vanished";
		g_string_append(s, " vanished");
		break;
	case SS_DRIFT_APPEARED:
		f->id = "listener_appeared";
		g_string_append(s, " appeared");
		break;
	default:
		f->id = "listener_state_changed";
		g_string_append_printf(s, " changed from %s to %s", from ? from : "not seen",
				       to ? to : "not seen");
		break;
	}
	g_string_append(s, ": ");
	ss_drift_side_evidence(l, &l->a, "A", s);
	g_string_append(s, ", ");
	ss_drift_side_evidence(l, &l->b, "B", s);
	g_string_append_printf(s, " (confidence %s)", ss_confidence_name(l->confidence));
	f->statement = g_string_free(s, FALSE);

	/* A refused or dropped service that used to answer is what breaks
	 * clients: medium.  A new listener, or a change only absence
	 * suggests, is for information. */
	gboolean low = l->confidence == SS_CONFIDENCE_LOW;
	if (l->change == SS_DRIFT_APPEARED || low)
		f->severity = low ? SS_SEVERITY_INFO : SS_SEVERITY_LOW;
	else if (l->change == SS_DRIFT_VANISHED ||
		 (l->a.seen && l->a.state == SS_LISTENER_OPEN))
		f->severity = SS_SEVERITY_MEDIUM;
	else
		f->severity = SS_SEVERITY_LOW;
	if (low)
		f->next_step = g_strdup("Capture longer, or connect to it during the capture, "
					"before concluding: no traffic reached it in one capture.");
	else if (l->change == SS_DRIFT_VANISHED)
		f->next_step = g_strdup("Check whether the service was stopped or moved, "
					"or its port changed.");
	else if (l->change == SS_DRIFT_APPEARED)
		f->next_step = g_strdup("Confirm the new listener is expected (and exposed "
					"on purpose).");
	else
		f->next_step = g_strdup("Check for a new or removed firewall rule, or whether "
					"the host was down.");
	f->count = l->b.seen ? l->b.connections : l->a.connections;
	fact(f, "connections_a", l->a.connections);
	fact(f, "answered_a", l->a.answered);
	fact(f, "connections_b", l->b.connections);
	fact(f, "answered_b", l->b.answered);
	fact(f, "refused_b", l->b.refused);
	fact(f, "unanswered_b", l->b.unanswered);
	return f;
}

/* Networks named in one finding; the records list every one. */
#define NETS_NAMED 3

static gboolean same_listener(const ss_drift_network *a, const ss_drift_network *b)
{
	return a->proto == b->proto && a->family == b->family && a->port == b->port &&
	       memcmp(&a->ip, &b->ip, sizeof a->ip) == 0 &&
	       memcmp(&a->vnet, &b->vnet, sizeof a->vnet) == 0;
}

/* One finding for the networks of one listener that are new (or gone):
 * traffic from many random sources would otherwise give a finding per
 * /24, burying the listener changes.  NULL when there are none. */
static ss_finding *networks_finding(const ss_drift_network *run, guint n,
				    ss_drift_net_change change)
{
	guint k = 0;
	guint64 conns = 0, clients = 0;
	const ss_drift_network *first = NULL;
	for (guint i = 0; i < n; i++) {
		if (run[i].change != change)
			continue;
		first = first ? first : &run[i];
		k++;
		conns += run[i].connections;
		clients += run[i].clients;
	}
	if (k == 0)
		return NULL;
	gboolean is_new = change == SS_DRIFT_NET_NEW;
	ss_finding *f = g_new0(ss_finding, 1);
	listener_subject(f, first->proto, first->family, &first->ip, first->port);
	f->id = is_new ? "client_network_new" : "client_network_gone";
	f->severity = SS_SEVERITY_INFO;
	f->count = conns;
	GString *s = g_string_new(NULL);
	if (k == 1) {
		g_string_append(s, "client network ");
		ss_drift_network_append(s, first->family, &first->net, first->prefix);
		g_string_append(s, is_new ? " is new at " : " is gone from ");
	} else {
		ss_u64_append(s, k);
		g_string_append(s, is_new ? " client networks are new at " :
				" client networks are gone from ");
	}
	ss_drift_listener_append(s, first->proto, first->family, &first->ip, first->port);
	g_string_append(s, ": ");
	guint named = 0;
	for (guint i = 0; i < n && k > 1 && named < NETS_NAMED; i++) {
		if (run[i].change != change)
			continue;
		if (named++)
			g_string_append(s, ", ");
		ss_drift_network_append(s, run[i].family, &run[i].net, run[i].prefix);
		g_string_append(s, " (");
		ss_u64_append(s, run[i].connections);
		g_string_append(s, ")");
	}
	if (k > NETS_NAMED) {
		g_string_append(s, " and ");
		ss_u64_append(s, k - NETS_NAMED);
		g_string_append(s, " more");
	}
	if (k > 1)
		g_string_append(s, "; ");
	count_append(s, conns, "connection", "connections");
	g_string_append(s, " from ");
	count_append(s, clients, "address", "addresses");
	g_string_append_printf(s, " in %s, none among ", is_new ? "B" : "A");
	ss_u64_append(s, first->other_connections);
	g_string_append_printf(s, " in %s (confidence %s)", is_new ? "A" : "B",
			       ss_confidence_name(first->confidence));
	f->statement = g_string_free(s, FALSE);
	f->next_step = g_strdup(is_new ? "Confirm the new clients are expected."
				       : "Check whether those clients moved, lost their route, "
					 "or are now filtered.");
	fact(f, "networks", k);
	fact(f, "connections", conns);
	fact(f, "clients", clients);
	fact(f, "other_connections", first->other_connections);
	return f;
}

static ss_finding *ephemeral_finding(const ss_drift_ephemeral *e)
{
	ss_finding *f = g_new0(ss_finding, 1);
	f->id = "ephemeral_profile_changed";
	f->severity = SS_SEVERITY_LOW;
	f->family = e->family;
	f->has_client = TRUE;
	f->client_ip = e->ip;
	f->count = e->b_samples;
	char ip[SS_IP_STRLEN];
	ss_ip_format(e->family, &e->ip, ip);
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "host %s changed its ephemeral ports: ", ip);
	ss_drift_profile_append(s, &e->a, e->a_samples);
	g_string_append(s, " in A, ");
	ss_drift_profile_append(s, &e->b, e->b_samples);
	g_string_append(s, " in B");
	f->statement = g_string_free(s, FALSE);
	f->next_step = g_strdup("A changed range or allocation pattern: a reboot into another "
				"OS, a changed net.ipv4.ip_local_port_range, or a NAT now in "
				"front of the host.");
	fact(f, "samples_a", e->a_samples);
	fact(f, "samples_b", e->b_samples);
	return f;
}

GPtrArray *ss_drift_findings(const ss_drift *d)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(ss_finding_free);
	for (guint i = 0; i < d->listeners->len; i++)
		g_ptr_array_add(out, listener_finding(&g_array_index(d->listeners,
								     ss_drift_listener, i)));
	/* networks: one finding per listener and direction (the array is
	 * sorted by listener) */
	const ss_drift_network *nets = (const ss_drift_network *)(gconstpointer)d->networks->data;
	for (guint i = 0, j; i < d->networks->len; i = j) {
		for (j = i + 1; j < d->networks->len && same_listener(&nets[i], &nets[j]); j++)
			;
		for (int c = SS_DRIFT_NET_NEW; c <= SS_DRIFT_NET_GONE; c++) {
			ss_finding *f = networks_finding(nets + i, j - i, (ss_drift_net_change)c);
			if (f)
				g_ptr_array_add(out, f);
		}
	}
	/* An unknown verdict is not a finding: nothing is claimed. */
	for (guint i = 0; i < d->ephemeral->len; i++) {
		const ss_drift_ephemeral *e = &g_array_index(d->ephemeral, ss_drift_ephemeral, i);
		if (e->verdict == SS_DRIFT_EPH_CHANGED)
			g_ptr_array_add(out, ephemeral_finding(e));
	}
	ss_findings_rank(out);
	return out;
}
