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
 * listener roll-up, in an ss_set64 (sockscope/set64.h).
 *
 * An entry holds only the key and the counters any record may touch (48
 * bytes); what a host's own handshakes teach lives apart (client_acc, for
 * the hosts that opened one), and the report's ss_host is made at the end,
 * after the index is freed. */
#include "sockscope/hosts.h"
#include "sockscope/bigarray.h"
#include "sockscope/listeners.h"
#include "sockscope/oatable.h"
#include "sockscope/radix.h"
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
	gint32 last_port;       /* the host's previous source port towards it, -1 none */
	gint64 window_start;
	guint64 window_count;
} dest_acc;                 /* 40 bytes: last_port fills the key's tail */

/* A host's destinations after its first: one malloc'd block, its length
 * and room in front of the entries, so that the first look at the list
 * loads the length and the first entries from one line.  It was a GArray:
 * a header apart from its data (two dependent misses for every handshake
 * record of a host with two destinations or more) and its data at the
 * next power of two in bytes, 4 096 for the 63 a host can list (2 528
 * here).  On many-flows.pcap, whose client hosts fill their lists, the
 * lists at the peak went from 15.6 MB (data 12.2, headers 3.3:
 * heaptrack) to ~8 MB; measured in docs/performance.md ("Roll-ups, ninth
 * session"). */
typedef struct {
	guint32 len, cap;
	dest_acc d[];
} dest_list;

/* The per-source-port memory of a host's reuse detection: the end of the
 * last use of each port, in ms from the host's base_ns, in 1 KiB pages of
 * 256 ports allocated when a port in them is first used.  A flat
 * 65 536-entry map was 256 KiB per host (16 MB for the default 64 hosts,
 * whatever they did); a host's ports sit in its ephemeral range, so most
 * pages stay unallocated: at most 2 KiB + 256 KiB when a host used them
 * all. */
#define PORT_PAGE_BITS 8
#define PORT_PAGE_SIZE (1u << PORT_PAGE_BITS)
typedef struct {
	gint32 *page[65536 / PORT_PAGE_SIZE];
} port_map;

/* Where the end of the last use of `port` is kept, its page allocated
 * (every port PORT_UNUSED) when it has none yet. */
static gint32 *port_map_slot(port_map *m, guint16 port)
{
	gint32 **page = &m->page[port >> PORT_PAGE_BITS];
	if (!*page) {
		*page = g_new(gint32, PORT_PAGE_SIZE);
		for (guint i = 0; i < PORT_PAGE_SIZE; i++)
			(*page)[i] = PORT_UNUSED;
	}
	return &(*page)[port & (PORT_PAGE_SIZE - 1)];
}

static gboolean port_map_used(const port_map *m, guint16 port)
{
	const gint32 *page = m->page[port >> PORT_PAGE_BITS];
	return page && page[port & (PORT_PAGE_SIZE - 1)] != PORT_UNUSED;
}

static void port_map_free(port_map *m)
{
	if (!m)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(m->page); i++)
		g_free(m->page[i]);
	g_free(m);
}

/* What a host's handshake-proven client connections taught
 * (ss_hosts_learn_ephemeral): its source ports, their reuse and its
 * destinations.  Cold: a host gets one on its first such connection only,
 * so the many hosts that never opened one (servers, scan targets, UDP
 * peers) carry 4 bytes for it, not these 200. */
typedef struct {
	ss_eph_stats eph;
	guint64 reused_ports;
	gint64 min_reuse_gap_ns;   /* SS_NO_TIME when none */
	/* the busiest destination within one TIME_WAIT window */
	guint64 busiest_connections;
	ss_ip busiest_ip;
	guint16 busiest_port;
	guint8 busiest_proto;
	guint8 reuse_known;        /* FALSE once no port map was available */
	/* Most hosts make one connection: the first sample is kept inline and
	 * the port map and destination list are allocated on the second. */
	guint8 have_first, have_dest;
	guint16 first_port;
	gint64 first_start, first_end;
	port_map *port_last;
	gint64 base_ns;
	dest_acc first_dest;
	dest_list *dests;          /* the destinations after the first */
} client_acc;

/* 54 000 of them on mixed.pcap: no padding holes */
G_STATIC_ASSERT(sizeof(client_acc) == 200);

/* A host's entry in the table: the key and what every record may touch,
 * 48 bytes (it held the whole ss_host and the client side inline, 384
 * bytes: 34 MB for mixed.pcap's 73 000 hosts).  The report's ss_host is
 * made at ss_hosts_take(). */
typedef struct {
	host_key k;                /* first: the table's key */
	guint32 unknown_roles;     /* saturating, as ss_host's */
	guint64 client_connections;
	guint32 client_servers;    /* at most max_servers (a guint) */
	guint32 client;            /* 1 + its client_acc's index in `clients`; 0: none */
} host_acc;

G_STATIC_ASSERT(sizeof(host_acc) == 48);

/* The hashes of the client hosts ss_hosts_prefetch() looked at
 * (sockscope/oatable.h's memo): host_get() a few records later finds its
 * hash there instead of computing it again. */
G_STATIC_ASSERT(sizeof(host_key) <= SS_OA_MEMO_KEY);

struct ss_hosts {
	ss_hosts_limits lim;
	ss_oatable by_ip;       /* host_acc, keyed by its host_key */
	client_acc *clients;    /* n_clients of them, dense; room for clients_cap */
	guint32 n_clients, clients_cap;
	/* 1 + the index of the host host_get() returned last; 0: none.  A
	 * record's client host is looked up by ss_hosts_add_conn() and then
	 * ss_hosts_learn_ephemeral() in a row: the second finds it here with
	 * one 28-byte compare, no hash and no probe into the table. */
	guint32 last;
	ss_set64 pairs;         /* (host index + 1) << 32 | server socket number:
	                           the servers each host reached */
	guint port_maps;
	ss_hosts_dropped dropped;
	ss_oa_memo memo[SS_OA_MEMO];
};

void ss_hosts_limits_init(ss_hosts_limits *lim)
{
	lim->max_hosts = 65536;
	lim->max_port_maps = 64;
	lim->max_destinations = 64;
	lim->max_servers = 1u << 20;
}

/* Frees the port maps and destination lists of the client side; what
 * ss_hosts_take() still needs of it (the statistics) stays. */
static void clients_release(ss_hosts *h)
{
	for (guint32 i = 0; i < h->n_clients; i++) {
		client_acc *cl = &h->clients[i];
		port_map_free(cl->port_last);
		cl->port_last = NULL;
		g_free(cl->dests);
		cl->dests = NULL;
	}
}

static void hosts_clear(ss_hosts *h)
{
	clients_release(h);
	ss_big_free(h->clients, (gsize)h->clients_cap * sizeof *h->clients);
	h->clients = NULL;
	h->n_clients = h->clients_cap = 0;
	h->last = 0;
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

static ss_oa_memo *host_memo(ss_hosts *h, const host_key *k)
{
	return &h->memo[ss_oa_memo_index(k->ip.bytes, 0)];
}

static guint32 host_index(const ss_hosts *h, const host_acc *acc)
{
	return (guint32)(((const guint8 *)acc - h->by_ip.entries) / sizeof *acc);
}

/* The record's likely client host (ss_conn_likely_client()). */
static void likely_client(const ss_conn *c, host_key *k)
{
	ss_vnet vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
	make_host_key(k, c->family, ss_conn_ip(c, ss_conn_likely_client(c)), &vnet);
}

void ss_hosts_prefetch(ss_hosts *h, const ss_conn *c)
{
	host_key k;
	likely_client(c, &k);
	ss_oa_prefetch_slot(&h->by_ip, ss_oa_memo_note(host_memo(h, &k), &k, sizeof k));
}

/* The memo slot the record's likely client host was noted in by
 * ss_hosts_prefetch(), found from its address alone: as the listeners'
 * (likely_memo() in listeners.c), the later steps take the key it holds
 * without building the record's again. */
static const ss_oa_memo *likely_memo(const ss_hosts *h, const ss_conn *c)
{
	return &h->memo[ss_oa_memo_index(ss_conn_ip(c, ss_conn_likely_client(c))->bytes, 0)];
}

void ss_hosts_prefetch_entry(ss_hosts *h, const ss_conn *c)
{
	const ss_oa_memo *m = likely_memo(h, c);
	if (m->h)
		ss_oa_prefetch_entry(&h->by_ip, m->h);
}

void ss_hosts_prefetch_client(ss_hosts *h, const ss_conn *c, guint32 server)
{
	const ss_oa_memo *m = likely_memo(h, c);
	if (!m->h)
		return;
	const host_acc *acc = ss_oa_find(&h->by_ip, m->key, m->h, sizeof(host_key), sizeof *acc);
	if (!acc)
		return;
	/* the pair ss_hosts_add_conn() will look for: on many-flows its slot
	 * load had 81% of that function's samples */
	if (server != SS_LISTENERS_NONE)
		ss_set64_prefetch(&h->pairs, (guint64)(host_index(h, acc) + 1) << 32 | server);
	/* only a TCP record's handshake teaches the client side
	 * (ss_hosts_learn_ephemeral) */
	if (c->proto == IPPROTO_TCP && acc->client)
		ss_prefetch_bytes(&h->clients[acc->client - 1], sizeof(client_acc));
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
	if (h->last) {
		host_acc *acc = ss_oa_entry(&h->by_ip, h->last - 1);
		if (memcmp(&acc->k, &k, sizeof k) == 0)
			return acc;
	}
	guint32 hash = ss_oa_memo_hash(host_memo(h, &k), &k, sizeof k);
	host_acc *acc;
	if (!capped || ss_oatable_size(&h->by_ip) < h->lim.max_hosts) {
		/* room for a new host: one probe finds it or makes it (most
		 * hosts of a capture are new when first looked up) */
		gboolean created;
		acc = ss_oa_insert(&h->by_ip, &k, hash, sizeof k, sizeof *acc, &created);
	} else {
		acc = ss_oa_find(&h->by_ip, &k, hash, sizeof k, sizeof *acc);
		if (!acc) {
			h->dropped.hosts++;
			return NULL;
		}
	}
	h->last = host_index(h, acc) + 1;
	return acc;
}

/* The host's client side, made on its first handshake-proven connection.
 * The pointer holds until the next one is made. */
static client_acc *client_get(ss_hosts *h, host_acc *acc)
{
	if (acc->client)
		return &h->clients[acc->client - 1];
	if (h->n_clients == h->clients_cap) {
		/* 1.5x, as the table's entries */
		guint32 cap = h->clients_cap ? h->clients_cap + h->clients_cap / 2 : 8;
		h->clients = ss_big_resize(h->clients, (gsize)h->clients_cap * sizeof *h->clients,
					   (gsize)cap * sizeof *h->clients);
		h->clients_cap = cap;
	}
	client_acc *cl = &h->clients[h->n_clients++];
	memset(cl, 0, sizeof *cl);
	cl->min_reuse_gap_ns = SS_NO_TIME;
	cl->base_ns = SS_NO_TIME;
	acc->client = h->n_clients;
	return cl;
}

static gint32 rel_ms(const client_acc *acc, gint64 ns)
{
	/* Never SS_NO_TIME (INT64_MIN) here: untimed records are not noted
	 * (ss_hosts_learn_ephemeral); kept so one can never overflow this. */
	if (ns == SS_NO_TIME || acc->base_ns == SS_NO_TIME)
		return 0;
	gint64 ms = (ns - acc->base_ns) / 1000000;
	return (gint32)CLAMP(ms, (gint64)G_MININT32 + 1, (gint64)G_MAXINT32);
}

static void note_port(client_acc *acc, guint16 port, gint64 start, gint64 end);

static void note_reuse(ss_hosts *h, client_acc *acc, guint16 port, gint64 start, gint64 end)
{
	if (!acc->have_first) {
		acc->have_first = TRUE;
		acc->first_port = port;
		acc->first_start = start;
		acc->first_end = end;
		acc->reuse_known = TRUE;
		return;
	}
	if (!acc->port_last) {
		if (!acc->reuse_known)
			return;
		if (h->port_maps >= h->lim.max_port_maps) {
			h->dropped.port_maps++;
			acc->reuse_known = FALSE;
			return;
		}
		h->port_maps++;
		acc->port_last = g_new0(port_map, 1);
		acc->base_ns = acc->first_start;
		note_port(acc, acc->first_port, acc->first_start, acc->first_end);
	}
	note_port(acc, port, start, end);
}

static void note_port(client_acc *acc, guint16 port, gint64 start, gint64 end)
{
	gint32 *last = port_map_slot(acc->port_last, port);
	gint32 prev = *last;
	gint32 s = rel_ms(acc, start), e = rel_ms(acc, end);
	if (prev != PORT_UNUSED) {
		acc->reused_ports++;
		/* A gap only when the earlier use had ended (Linux also uses one
		 * port towards several destinations at once). */
		if (s >= prev) {
			gint64 gap = (gint64)(s - prev) * 1000000;
			if (acc->min_reuse_gap_ns == SS_NO_TIME || gap < acc->min_reuse_gap_ns)
				acc->min_reuse_gap_ns = gap;
		}
	}
	if (prev == PORT_UNUSED || e > prev)
		*last = e;
}

/* Counts the connection towards its destination; returns the destination
 * (NULL when the host's list was full). */
static dest_acc *note_destination(ss_hosts *h, client_acc *acc, const ss_conn *c, gint64 start)
{
	sock_key k;
	memset(&k, 0, sizeof k);
	k.proto = c->proto;
	k.family = c->family;
	k.port = ss_conn_server_port(c);
	k.ip = *ss_conn_server_ip(c);
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
	dest_list *l = acc->dests;
	for (guint32 i = 0; !d && l && i < l->len; i++) {
		if (memcmp(&l->d[i].k, &k, sizeof k) == 0)
			d = &l->d[i];
	}
	if (!d) {
		guint32 len = l ? l->len : 0;
		if (len + 1 >= h->lim.max_destinations) {
			h->dropped.destinations++;
			return NULL;
		}
		if (!l || l->len == l->cap) {
			/* doubling from 2, the last step only to the most a host
			 * may list (max_destinations - 1 after the first) */
			guint32 cap = l ? MIN(2 * l->cap, h->lim.max_destinations - 1) : 2;
			l = g_realloc(l, sizeof *l + (gsize)cap * sizeof l->d[0]);
			l->len = len;
			l->cap = cap;
			acc->dests = l;
		}
		d = &l->d[l->len++];
		*d = (dest_acc){ k, -1, start, 0 };
	}
	/* Tumbling windows anchored at the first connection of each. */
	if (start - d->window_start > SS_EXHAUSTION_WINDOW_NS ||
	    d->window_start - start > SS_EXHAUSTION_WINDOW_NS) {
		d->window_start = start;
		d->window_count = 0;
	}
	d->window_count++;
	if (d->window_count > acc->busiest_connections) {
		acc->busiest_connections = d->window_count;
		acc->busiest_proto = k.proto;
		acc->busiest_ip = k.ip;
		acc->busiest_port = k.port;
	}
	return d;
}

void ss_hosts_learn_ephemeral(ss_hosts *h, const ss_conn *c)
{
	if (c->client < 0 || c->proto != IPPROTO_TCP ||
	    (c->evidence != SS_EVIDENCE_SYN && c->evidence != SS_EVIDENCE_SYN_ACK))
		return;
	ss_vnet vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
	host_acc *host = host_get(h, c->family, ss_conn_client_ip(c), &vnet, TRUE);
	if (!host)
		return;
	client_acc *acc = client_get(h, host);
	gint64 start, end;
	ss_conn_span(c, &start, &end);
	dest_acc *d = note_destination(h, acc, c, start);
	ss_eph_stats_add(&acc->eph, ss_conn_client_port(c), d ? d->last_port : -1);
	if (d)
		d->last_port = ss_conn_client_port(c);
	/* Reuse gaps need times: a record with no counted packet (SS_NO_TIME)
	 * says nothing about when its port was in use. */
	gint64 last = ss_conn_last_ns(c);
	if (start != SS_NO_TIME && last != SS_NO_TIME)
		note_reuse(h, acc, ss_conn_client_port(c), start, last);
}

void ss_hosts_add_conn(ss_hosts *h, const ss_conn *c, guint32 server)
{
	if (c->client < 0 || c->outcome == SS_OUTCOME_SIMULTANEOUS)
		return;
	ss_vnet vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
	host_acc *acc;
	if (ss_conn_roles_unknown(c)) {
		/* Neither side is the client: both hosts are listed, with the
		 * record counted as one of unknown roles. */
		for (int i = 0; i < 2; i++) {
			acc = host_get(h, c->family, ss_conn_ip(c, i), &vnet, TRUE);
			if (acc && acc->unknown_roles < G_MAXUINT32)
				acc->unknown_roles++;
		}
		return;
	}
	acc = host_get(h, c->family, ss_conn_client_ip(c), &vnet, TRUE);
	if (!acc)
		return;
	acc->client_connections++;
	/* The host's number and the socket's name the pair one to one: the
	 * socket's vnet is the record's, as the host's is. */
	if (server == SS_LISTENERS_NONE)
		/* no socket to name (the caller's cases all return above today):
		 * never one made-up server shared by every such record */
		return;
	guint64 host = host_index(h, acc);
	switch (ss_set64_add(&h->pairs, (host + 1) << 32 | server, h->lim.max_servers)) {
	case SS_SET64_ADDED:
		acc->client_servers++;
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
	if (!acc || !acc->client)
		return SS_EPH_VERDICT_UNKNOWN;
	const ss_eph_stats *eph = &h->clients[acc->client - 1].eph;
	if (eph->samples < SS_EPH_MIN_SAMPLES)
		return SS_EPH_VERDICT_UNKNOWN;
	ss_eph_profile pr;
	ss_eph_profile_compute(eph, &pr);
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

/* Bytes [from, from + n) of an address as a big-endian number: in the
 * order memcmp() gives them. */
static guint64 ip_bytes_be(const ss_ip *ip, guint from, guint n)
{
	guint64 v = 0;
	for (guint i = from; i < from + n; i++)
		v = v << 8 | ip->bytes[i];
	return v;
}

/* Each host's place in the report's order (ss_host_cmp: family, address,
 * virtual network), by table index, so the report's hosts are written in
 * place: g_array_sort of the 248-byte ss_host was 74 M of many-s.pcap's
 * instructions (glibc's merge sort moving whole elements).  The key is
 * 25 bytes, so two stable radix sorts (sockscope/radix.h): by the address's
 * last byte and the virtual network, then by family and the first 15
 * bytes. */
static guint32 *sorted_positions(const ss_hosts *h)
{
	guint32 n = ss_oatable_size(&h->by_ip);
	guint32 *pos = g_new(guint32, n ? n : 1);
	ss_radix_item *v = g_new(ss_radix_item, n ? n : 1), *tmp = g_new(ss_radix_item, n ? n : 1);
	for (guint32 i = 0; i < n; i++) {
		const host_acc *acc = ss_oa_entry(&h->by_ip, i);
		const ss_vnet *vn = &acc->k.vnet;
		v[i].a = acc->k.ip.bytes[15];
		v[i].b = (guint64)vn->type << 40 | (guint64)vn->vni << 8 | vn->has_vni;
		v[i].p = (gpointer)acc;
	}
	ss_radix_sort(v, n, tmp);
	for (guint32 i = 0; i < n; i++) {
		const host_acc *acc = v[i].p;
		v[i].a = (guint64)acc->k.family << 56 | ip_bytes_be(&acc->k.ip, 0, 7);
		v[i].b = ip_bytes_be(&acc->k.ip, 7, 8);
	}
	ss_radix_sort(v, n, tmp);
	g_free(tmp);
	for (guint32 i = 0; i < n; i++)
		pos[host_index(h, v[i].p)] = i;
	g_free(v);
	return pos;
}

/* Marks a listener whose TCP port its host also connected from, in
 * ss_hosts_take()'s host-of-listener numbers (host indexes stay below it:
 * 2^31 hosts of 48 bytes would be 96 GiB of table). */
#define DUAL_PORT (1u << 31)

GArray *ss_hosts_take(ss_hosts *h, const GArray *listeners)
{
	/* Each listener's host (created if the host made no record), and
	 * whether that host also connected from the listener's TCP port. */
	guint n_listeners = listeners ? listeners->len : 0;
	guint32 *host_of = g_new(guint32, n_listeners ? n_listeners : 1);
	for (guint i = 0; i < n_listeners; i++) {
		const ss_listener *l = &g_array_index(listeners, ss_listener, i);
		host_acc *acc = host_get(h, l->family, &l->ip, &l->vnet, FALSE);
		const client_acc *cl = acc->client ? &h->clients[acc->client - 1] : NULL;
		gboolean used = cl && (cl->port_last ? port_map_used(cl->port_last, l->port)
						     : cl->have_first && cl->first_port == l->port);
		host_of[i] = host_index(h, acc) | (l->proto == IPPROTO_TCP && used ? DUAL_PORT : 0);
	}
	/* No look-up from here on: the index, the pairs, the port maps and the
	 * destinations go before the report's hosts are made, so they are
	 * never alive at the same time (mixed.pcap: the 34 MB table and its
	 * 33.5 MB copy were). */
	ss_oatable_drop_index(&h->by_ip);
	ss_set64_clear(&h->pairs);
	clients_release(h);

	guint32 n = ss_oatable_size(&h->by_ip);
	guint32 *pos = sorted_positions(h);
	GArray *out = g_array_sized_new(FALSE, TRUE, sizeof(ss_host), n);
	g_array_set_size(out, n);
	for (guint32 i = 0; i < n; i++) {
		const host_acc *acc = ss_oa_entry(&h->by_ip, i);
		ss_host *x = &g_array_index(out, ss_host, pos[i]);
		x->family = acc->k.family;
		x->ip = acc->k.ip;
		x->vnet = acc->k.vnet;
		x->client_connections = acc->client_connections;
		x->client_servers = acc->client_servers;
		x->unknown_roles = acc->unknown_roles;
		x->min_reuse_gap_ns = SS_NO_TIME;
		if (acc->client) {
			const client_acc *cl = &h->clients[acc->client - 1];
			x->eph = cl->eph;
			x->reuse_known = cl->reuse_known;
			x->reused_ports = cl->reused_ports;
			x->min_reuse_gap_ns = cl->min_reuse_gap_ns;
			x->busiest_proto = cl->busiest_proto;
			x->busiest_ip = cl->busiest_ip;
			x->busiest_port = cl->busiest_port;
			x->busiest_connections = cl->busiest_connections;
		}
		ss_eph_profile_compute(&x->eph, &x->profile);
		if (x->profile.fits != SS_EPH_UNKNOWN && x->busiest_connections > 0) {
			guint64 size = (guint64)x->profile.high - x->profile.low + 1;
			x->exhaustion_risk =
				x->busiest_connections * 100 >= size * SS_EXHAUSTION_SHARE_PCT;
		}
	}
	for (guint i = 0; i < n_listeners; i++) {
		const ss_listener *l = &g_array_index(listeners, ss_listener, i);
		ss_host *x = &g_array_index(out, ss_host, pos[host_of[i] & ~DUAL_PORT]);
		if (!x->listeners)
			x->listeners = g_array_new(FALSE, FALSE, sizeof(guint));
		g_array_append_val(x->listeners, i);
		if ((host_of[i] & DUAL_PORT) && x->n_dual_ports < SS_HOST_DUAL_PORTS_MAX)
			x->dual_ports[x->n_dual_ports++] = l->port;
	}
	g_free(pos);
	g_free(host_of);
	hosts_clear(h);
	h->port_maps = 0;
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
