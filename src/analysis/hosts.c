/* The host view (include/sockscope/hosts.h): per address, the sockets it
 * listened on, the connections it made as a client, and the running
 * statistics its ephemeral-port profile is computed from (the profile itself
 * is ephemeral.c).
 *
 * Everything is integer arithmetic so the same capture gives the same
 * report on every platform.  The hosts live inline in an open-addressing
 * table (sockscope/oatable.h): a record of a new host cost a g_memdup2 and
 * a GHashTable node.  The (client host, server socket) pairs are 64-bit
 * numbers, the host's index in that table and the socket's number from the
 * listener roll-up, in an ss_set64 (sockscope/set64.h). */
#include "sockscope/hosts.h"
#include "sockscope/listeners.h"
#include "sockscope/oatable.h"
#include "sockscope/report.h"
#include "sockscope/set64.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>

/* ---- the host table ---- */

#define PORT_UNUSED G_MININT32

/* A host is an address in a virtual network: two tenants' 192.168.42.2
 * behind VNI 42 and 43 are two hosts. */
typedef struct {
	guint8 family;
	guint8 zero[3];
	ss_ip ip;
	ss_vnet vnet;
} host_key;

typedef struct {
	guint8 proto, family;
	guint16 port;
	ss_ip ip;
} sock_key;

typedef struct {
	sock_key k;
	gint64 window_start;
	guint64 window_count;
	gint32 last_port;       /* the host's previous source port towards it, -1 none */
} dest_acc;

typedef struct {
	host_key k;             /* first: the table's key */
	ss_host h;
	/* Most hosts make one connection: the first sample is kept inline and
	 * the port map and destination list are allocated on the second. */
	gboolean have_first;
	guint16 first_port;
	gint64 first_start, first_end;
	gint32 *port_last;      /* per source port: end of its last use, ms from base_ns */
	gint64 base_ns;
	gboolean have_dest;
	dest_acc first_dest;
	GArray *dests;          /* dest_acc, the destinations after the first */
} host_acc;

struct ss_hosts {
	ss_hosts_limits lim;
	ss_oatable by_ip;       /* host_acc, keyed by its host_key */
	ss_set64 pairs;         /* (host index + 1) << 32 | server socket number:
	                           the servers each host reached */
	guint port_maps;
	ss_hosts_dropped dropped;
};

void ss_hosts_limits_init(ss_hosts_limits *lim)
{
	lim->max_hosts = 65536;
	lim->max_port_maps = 64;
	lim->max_destinations = 64;
	lim->max_servers = 1u << 20;
}

/* Frees what a host's entry points to (the entry is the table's). */
static void host_acc_clear(host_acc *acc)
{
	g_free(acc->port_last);
	if (acc->dests)
		g_array_unref(acc->dests);
	if (acc->h.listeners)
		g_array_unref(acc->h.listeners);
}

static void hosts_clear(ss_hosts *h)
{
	for (guint32 i = 0; i < h->by_ip.len; i++)
		if (ss_oa_used(&h->by_ip, i))
			host_acc_clear(ss_oa_entry(&h->by_ip, i));
	ss_oatable_clear(&h->by_ip);
	ss_set64_clear(&h->pairs);
}

ss_hosts *ss_hosts_new(const ss_hosts_limits *lim)
{
	ss_hosts *h = g_new0(ss_hosts, 1);
	if (lim)
		h->lim = *lim;
	else
		ss_hosts_limits_init(&h->lim);
	ss_oatable_init(&h->by_ip, sizeof(host_acc), sizeof(host_key));
	return h;
}

void ss_hosts_free(ss_hosts *h)
{
	if (!h)
		return;
	hosts_clear(h);
	g_free(h);
}

static void make_host_key(host_key *k, guint8 family, const ss_ip *ip, const ss_vnet *vnet)
{
	memset(k, 0, sizeof *k);
	k->family = family;
	k->ip = *ip;
	k->vnet = *vnet;
}

static host_acc *host_lookup(const ss_hosts *h, guint8 family, const ss_ip *ip,
			     const ss_vnet *vnet)
{
	host_key k;
	make_host_key(&k, family, ip, vnet);
	return ss_oa_find(&h->by_ip, &k, ss_oa_hash(&k, sizeof k), sizeof k, sizeof(host_acc));
}

/* The host's entry, created when there is room; NULL (and counted) when not.
 * The pointer holds until the next host is created. */
static host_acc *host_get(ss_hosts *h, guint8 family, const ss_ip *ip, const ss_vnet *vnet,
			  gboolean capped)
{
	host_key k;
	make_host_key(&k, family, ip, vnet);
	guint32 hash = ss_oa_hash(&k, sizeof k);
	host_acc *acc = ss_oa_find(&h->by_ip, &k, hash, sizeof k, sizeof *acc);
	if (acc)
		return acc;
	if (capped && ss_oatable_size(&h->by_ip) >= h->lim.max_hosts) {
		h->dropped.hosts++;
		return NULL;
	}
	gboolean created;
	acc = ss_oa_insert(&h->by_ip, &k, hash, sizeof k, sizeof *acc, &created);
	acc->h.family = family;
	acc->h.ip = *ip;
	acc->h.vnet = *vnet;
	acc->h.min_reuse_gap_ns = SS_NO_TIME;
	acc->base_ns = SS_NO_TIME;
	return acc;
}

static gint32 rel_ms(const host_acc *acc, gint64 ns)
{
	/* Never SS_NO_TIME (INT64_MIN) here: untimed records are not noted
	 * (ss_hosts_learn_ephemeral); kept so one can never overflow this. */
	if (ns == SS_NO_TIME || acc->base_ns == SS_NO_TIME)
		return 0;
	gint64 ms = (ns - acc->base_ns) / 1000000;
	return (gint32)CLAMP(ms, (gint64)G_MININT32 + 1, (gint64)G_MAXINT32);
}

static void note_port(host_acc *acc, guint16 port, gint64 start, gint64 end);

static void note_reuse(ss_hosts *h, host_acc *acc, guint16 port, gint64 start, gint64 end)
{
	if (!acc->have_first) {
		acc->have_first = TRUE;
		acc->first_port = port;
		acc->first_start = start;
		acc->first_end = end;
		acc->h.reuse_known = TRUE;
		return;
	}
	if (!acc->port_last) {
		if (!acc->h.reuse_known)
			return;
		if (h->port_maps >= h->lim.max_port_maps) {
			h->dropped.port_maps++;
			acc->h.reuse_known = FALSE;
			return;
		}
		h->port_maps++;
		acc->port_last = g_new(gint32, 65536);
		for (guint i = 0; i < 65536; i++)
			acc->port_last[i] = PORT_UNUSED;
		acc->base_ns = acc->first_start;
		note_port(acc, acc->first_port, acc->first_start, acc->first_end);
	}
	note_port(acc, port, start, end);
}

static void note_port(host_acc *acc, guint16 port, gint64 start, gint64 end)
{
	gint32 prev = acc->port_last[port];
	gint32 s = rel_ms(acc, start), e = rel_ms(acc, end);
	if (prev != PORT_UNUSED) {
		acc->h.reused_ports++;
		/* A gap only when the earlier use had ended (Linux also uses one
		 * port towards several destinations at once). */
		if (s >= prev) {
			gint64 gap = (gint64)(s - prev) * 1000000;
			if (acc->h.min_reuse_gap_ns == SS_NO_TIME || gap < acc->h.min_reuse_gap_ns)
				acc->h.min_reuse_gap_ns = gap;
		}
	}
	if (prev == PORT_UNUSED || e > prev)
		acc->port_last[port] = e;
}

/* Counts the connection towards its destination; returns the destination
 * (NULL when the host's list was full). */
static dest_acc *note_destination(ss_hosts *h, host_acc *acc, const ss_conn *c, gint64 start)
{
	const ss_endpoint *sv = ss_conn_server(c);
	sock_key k;
	memset(&k, 0, sizeof k);
	k.proto = c->proto;
	k.family = c->family;
	k.port = sv->port;
	k.ip = sv->ip;
	dest_acc *d = NULL;
	if (!acc->have_dest) {
		acc->have_dest = TRUE;
		acc->first_dest.k = k;
		acc->first_dest.window_start = start;
		acc->first_dest.last_port = -1;
		d = &acc->first_dest;
	} else if (memcmp(&acc->first_dest.k, &k, sizeof k) == 0) {
		d = &acc->first_dest;
	}
	if (!d && !acc->dests)
		acc->dests = g_array_new(FALSE, FALSE, sizeof(dest_acc));
	for (guint i = 0; !d && i < acc->dests->len; i++) {
		dest_acc *x = &g_array_index(acc->dests, dest_acc, i);
		if (memcmp(&x->k, &k, sizeof k) == 0) {
			d = x;
			break;
		}
	}
	if (!d) {
		if (acc->dests->len + 1 >= h->lim.max_destinations) {
			h->dropped.destinations++;
			return NULL;
		}
		dest_acc n = { k, start, 0, -1 };
		g_array_append_val(acc->dests, n);
		d = &g_array_index(acc->dests, dest_acc, acc->dests->len - 1);
	}
	/* Tumbling windows anchored at the first connection of each. */
	if (start - d->window_start > SS_EXHAUSTION_WINDOW_NS ||
	    d->window_start - start > SS_EXHAUSTION_WINDOW_NS) {
		d->window_start = start;
		d->window_count = 0;
	}
	d->window_count++;
	if (d->window_count > acc->h.busiest_connections) {
		acc->h.busiest_connections = d->window_count;
		acc->h.busiest_proto = k.proto;
		acc->h.busiest_ip = k.ip;
		acc->h.busiest_port = k.port;
	}
	return d;
}

void ss_hosts_learn_ephemeral(ss_hosts *h, const ss_conn *c)
{
	if (c->client < 0 || c->proto != IPPROTO_TCP ||
	    (c->evidence != SS_EVIDENCE_SYN && c->evidence != SS_EVIDENCE_SYN_ACK))
		return;
	const ss_endpoint *cl = ss_conn_client(c);
	ss_vnet vnet = ss_tunnel_vnet(&c->tunnel);
	host_acc *acc = host_get(h, c->family, &cl->ip, &vnet, TRUE);
	if (!acc)
		return;
	gint64 start, end;
	ss_conn_span(c, &start, &end);
	dest_acc *d = note_destination(h, acc, c, start);
	ss_eph_stats_add(&acc->h.eph, cl->port, d ? d->last_port : -1);
	if (d)
		d->last_port = cl->port;
	/* Reuse gaps need times: a record with no counted packet (SS_NO_TIME)
	 * says nothing about when its port was in use. */
	if (start != SS_NO_TIME && c->last_ns != SS_NO_TIME)
		note_reuse(h, acc, cl->port, start, c->last_ns);
}

void ss_hosts_add_conn(ss_hosts *h, const ss_conn *c, guint32 server)
{
	if (c->client < 0 || c->outcome == SS_OUTCOME_SIMULTANEOUS)
		return;
	const ss_endpoint *cl = ss_conn_client(c);
	ss_vnet vnet = ss_tunnel_vnet(&c->tunnel);
	host_acc *acc;
	if (ss_conn_roles_unknown(c)) {
		/* Neither side is the client: both hosts are listed, with the
		 * record counted as one of unknown roles. */
		for (int i = 0; i < 2; i++) {
			acc = host_get(h, c->family, &c->ep[i].ip, &vnet, TRUE);
			if (acc && acc->h.unknown_roles < G_MAXUINT32)
				acc->h.unknown_roles++;
		}
		return;
	}
	acc = host_get(h, c->family, &cl->ip, &vnet, TRUE);
	if (!acc)
		return;
	acc->h.client_connections++;
	/* The host's number and the socket's name the pair one to one: the
	 * socket's vnet is the record's, as the host's is. */
	if (server == SS_LISTENERS_NONE)
		/* no socket to name (the caller's cases all return above today):
		 * never one made-up server shared by every such record */
		return;
	guint64 host = (guint64)((guint8 *)acc - h->by_ip.entries) / sizeof *acc;
	switch (ss_set64_add(&h->pairs, (host + 1) << 32 | server, h->lim.max_servers)) {
	case SS_SET64_ADDED:
		acc->h.client_servers++;
		break;
	case SS_SET64_FULL:
		h->dropped.servers++;
		break;
	case SS_SET64_PRESENT:
		break;
	}
}

ss_eph_verdict ss_hosts_ephemeral_verdict(const ss_hosts *h, guint8 family, const ss_ip *ip,
					  const ss_vnet *vnet, guint16 port)
{
	if (!h)
		return SS_EPH_VERDICT_UNKNOWN;
	const host_acc *acc = host_lookup(h, family, ip, vnet);
	if (!acc || acc->h.eph.samples < SS_EPH_MIN_SAMPLES)
		return SS_EPH_VERDICT_UNKNOWN;
	ss_eph_profile pr;
	ss_eph_profile_compute(&acc->h.eph, &pr);
	if (pr.fits == SS_EPH_UNKNOWN)
		return SS_EPH_VERDICT_UNKNOWN;
	if (port >= pr.low && port <= pr.high)
		return SS_EPH_VERDICT_IN;
	/* A custom range is only what was observed: a port beside it may
	 * still be ephemeral. */
	return pr.fits == SS_EPH_CUSTOM ? SS_EPH_VERDICT_UNKNOWN : SS_EPH_VERDICT_OUT;
}

gint ss_host_cmp(gconstpointer pa, gconstpointer pb)
{
	const ss_host *a = pa, *b = pb;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->ip.bytes, b->ip.bytes, sizeof a->ip.bytes);
	if (c != 0)
		return c;
	return ss_vnet_cmp(&a->vnet, &b->vnet);   /* last: plain captures keep their order */
}

GArray *ss_hosts_take(ss_hosts *h, const GArray *listeners)
{
	for (guint i = 0; listeners && i < listeners->len; i++) {
		const ss_listener *l = &g_array_index(listeners, ss_listener, i);
		host_acc *acc = host_get(h, l->family, &l->ip, &l->vnet, FALSE);
		if (!acc->h.listeners)
			acc->h.listeners = g_array_new(FALSE, FALSE, sizeof(guint));
		g_array_append_val(acc->h.listeners, i);
		gboolean used = acc->port_last ? acc->port_last[l->port] != PORT_UNUSED
					       : acc->have_first && acc->first_port == l->port;
		if (l->proto == IPPROTO_TCP && used &&
		    acc->h.n_dual_ports < SS_HOST_DUAL_PORTS_MAX)
			acc->h.dual_ports[acc->h.n_dual_ports++] = l->port;
	}

	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(ss_host), ss_oatable_size(&h->by_ip));
	for (guint32 i = 0; i < h->by_ip.len; i++) {
		if (!ss_oa_used(&h->by_ip, i))
			continue;
		host_acc *acc = ss_oa_entry(&h->by_ip, i);
		ss_host *x = &acc->h;
		ss_eph_profile_compute(&x->eph, &x->profile);
		if (x->profile.fits != SS_EPH_UNKNOWN && x->busiest_connections > 0) {
			guint64 size = (guint64)x->profile.high - x->profile.low + 1;
			x->exhaustion_risk =
				x->busiest_connections * 100 >= size * SS_EXHAUSTION_SHARE_PCT;
		}
		g_array_append_val(out, *x);
		x->listeners = NULL;   /* moved */
	}
	hosts_clear(h);
	h->port_maps = 0;
	g_array_sort(out, ss_host_cmp);
	return out;
}

void ss_hosts_array_free(GArray *hosts)
{
	if (!hosts)
		return;
	for (guint i = 0; i < hosts->len; i++) {
		ss_host *x = &g_array_index(hosts, ss_host, i);
		if (x->listeners)
			g_array_unref(x->listeners);
	}
	g_array_unref(hosts);
}

void ss_hosts_get_dropped(const ss_hosts *h, ss_hosts_dropped *out)
{
	*out = h->dropped;
}
