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
 * bytes); what a host's own handshakes teach lives apart (client_one for
 * the hosts that opened one, client_acc from their second), and the
 * report's ss_host is made at the end, after the index is freed. */
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

/* A host's reuse detection: the end of the last use of each source port,
 * in ms from base_ns, in 1 KiB pages of 256 ports allocated when a port in
 * them is first used, and what it found.  A flat 65 536-entry map was
 * 256 KiB per host (16 MB for the default 64 hosts, whatever they did); a
 * host's ports sit in its ephemeral range, so most pages stay
 * unallocated: at most 2 KiB + 256 KiB when a host used them all.  The
 * findings live here, not in every client_acc, as only the max_port_maps
 * hosts with a map can have any. */
#define PORT_PAGE_BITS 8
#define PORT_PAGE_SIZE (1u << PORT_PAGE_BITS)
typedef struct {
	guint64 reused_ports;      /* connections from a port used before */
	gint64 min_reuse_gap_ns;   /* SS_NO_TIME when none */
	gint64 base_ns;
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

/* Frees the map's pages; what it found stays. */
static void port_map_release(port_map *m)
{
	if (!m)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(m->page); i++) {
		g_free(m->page[i]);
		m->page[i] = NULL;
	}
}

/* One handshake-proven client connection, as ss_hosts_learn_ephemeral()
 * learns from it: its destination, source port and times.  It is also all
 * a host that opened one such connection keeps: 46 485 of mixed.pcap's
 * 54 352 client hosts, whose 200-byte client_acc (below) was 10.9 MB of
 * fresh memory faulted in during the capture end's drain, where 40 bytes
 * each say the same (docs/performance.md, "The capture-end drain and
 * tail, tenth session").  A host's client_acc is made on its second, by
 * learning the first again (client_full()), so its state is the one the
 * first connection made; what the report reads of a host that made one is
 * made the same way (client_view()).  Its destination's protocol (TCP)
 * and family (its host's) are not kept. */
typedef struct {
	ss_ip dest_ip;
	guint16 dest_port;
	guint16 port;           /* the client's source port */
	guint32 host;           /* its host's index in by_ip (host_index()) */
	gint64 start;           /* ss_conn_span()'s first packet (SS_NO_TIME: none) */
	gint64 end;             /* its last packet, either side's (SS_NO_TIME: none) */
} client_one;

G_STATIC_ASSERT(sizeof(client_one) == 40);

/* What a host's handshake-proven client connections taught
 * (ss_hosts_learn_ephemeral): its source ports, their reuse and its
 * destinations.  Cold: a host gets one on its second such connection only,
 * so the many hosts that never opened one (servers, scan targets, UDP
 * peers) carry 4 bytes for it, and those that opened one a client_one. */
typedef struct {
	ss_eph_stats eph;
	/* the busiest destination within one TIME_WAIT window: its
	 * connections there, and which it is (0: first_dest, i: dests->d[i -
	 * 1]; a destination's key never changes, so 2 bytes name the 19 of
	 * its protocol, address and port) */
	guint64 busiest_connections;
	guint16 busiest;
	/* The first sample is kept inline and the port map allocated on the
	 * second timed one. */
	guint16 first_port;
	guint8 have_first;
	guint8 reuse_known;        /* FALSE once no port map was available */
	gint64 first_start, first_end;
	port_map *port_last;
	dest_acc first_dest;       /* set by the first sample */
	dest_list *dests;          /* the destinations after the first */
} client_acc;

/* 61 236 of them on many-flows.pcap, 7 867 on mixed.pcap: 160 bytes, was
 * 200 with the reuse findings (now in port_map) and the busiest
 * destination's key inline */
G_STATIC_ASSERT(sizeof(client_acc) == 160);

/* A host's entry in the table: the key and what every record may touch,
 * 48 bytes (it held the whole ss_host and the client side inline, 384
 * bytes: 34 MB for mixed.pcap's 73 000 hosts).  The report's ss_host is
 * made at ss_hosts_take(). */
typedef struct {
	host_key k;                /* first: the table's key */
	guint32 unknown_roles;     /* saturating, as ss_host's */
	guint64 client_connections;
	guint32 client_servers;    /* at most max_servers (a guint) */
	/* 0: no client side; CLIENT_ONE | 1 + its client_one's index in
	 * `ones`; otherwise 1 + its client_acc's index in `clients` */
	guint32 client;
} host_acc;

#define CLIENT_ONE (1u << 31)

G_STATIC_ASSERT(sizeof(host_acc) == 48);

/* The hashes of the client hosts ss_hosts_prefetch() looked at
 * (sockscope/oatable.h's memo): host_get() a few records later finds its
 * hash there instead of computing it again. */
G_STATIC_ASSERT(sizeof(host_key) <= SS_OA_MEMO_KEY);

/* A client host's first pair is new to `pairs` without a look-up (no pair
 * of a host whose client_servers is 0 was ever added), but its insert
 * still probed for a free slot: a miss no look-ahead covers, the host's
 * number being unknown until the host is made (62-66% of
 * ss_hosts_add_conn's samples were on that slot, docs/performance.md,
 * "Roll-ups, eleventh session").  Such a pair is counted at once and
 * waits here, its slot prefetched, for PAIRS_DEFERRED more before it is
 * inserted; a look-up checks the waiting ones first, and the bound counts
 * them, so every result is the one the set alone gave.  The roll
 * thread's drain samples in these functions on mixed.pcap, 11 alternating
 * rounds: 141 -> 102 ("Roll-ups, thirteenth session"). */
#define PAIRS_DEFERRED 8

struct ss_hosts {
	ss_hosts_limits lim;
	ss_oatable by_ip;       /* host_acc, keyed by its host_key */
	client_acc *clients;    /* n_clients of them, dense; room for clients_cap */
	guint32 n_clients, clients_cap;
	/* the first connections of the hosts that made one: n_ones, dense
	 * (one_drop()), in room for ones_cap */
	client_one *ones;
	guint32 n_ones, ones_cap;
	/* 1 + the index of the host host_get() returned last; 0: none.  A
	 * record's client host is looked up by ss_hosts_add_conn() and then
	 * ss_hosts_learn_ephemeral() in a row: the second finds it here with
	 * one 28-byte compare, no hash and no probe into the table. */
	guint32 last;
	ss_set64 pairs;         /* (host index + 1) << 32 | server socket number:
	                           the servers each host reached */
	/* pairs counted but not yet in `pairs` (pairs_defer), a ring; 0: none */
	guint64 deferred[PAIRS_DEFERRED];
	guint32 n_deferred, deferred_next;
	guint port_maps;
	ss_hosts_dropped dropped;
	ss_hash3_key hk;        /* by_ip's hash of IPv4-shaped keys (host_hash) */
	ss_oa_memo memo[SS_OA_MEMO];
};

void ss_hosts_limits_init(ss_hosts_limits *lim)
{
	lim->max_hosts = 65536;
	lim->max_port_maps = 64;
	lim->max_destinations = 64;
	lim->max_servers = 1u << 20;
}

/* The key of a host's busiest destination. */
static const sock_key *busiest_key(const client_acc *cl)
{
	return cl->busiest ? &cl->dests->d[cl->busiest - 1].k : &cl->first_dest.k;
}

/* Frees the port maps' pages and the destination lists of the client
 * side; what ss_hosts_take() still needs of it (the statistics, the
 * reuse findings, the busiest destination's key: moved into first_dest,
 * which no sample reads after this) stays. */
static void clients_release(ss_hosts *h)
{
	for (guint32 i = 0; i < h->n_clients; i++) {
		client_acc *cl = &h->clients[i];
		port_map_release(cl->port_last);
		cl->first_dest.k = *busiest_key(cl);
		cl->busiest = 0;
		g_free(cl->dests);
		cl->dests = NULL;
	}
}

static void pairs_clear(ss_hosts *h)
{
	ss_set64_clear(&h->pairs);
	memset(h->deferred, 0, sizeof h->deferred);
	h->n_deferred = h->deferred_next = 0;
}

/* Counts pair, new to the set and to the waiting pairs, as a member: it
 * waits in the ring, and the oldest waiting pair goes into the set. */
static void pairs_defer(ss_hosts *h, guint64 pair)
{
	guint64 *at = &h->deferred[h->deferred_next];
	if (*at)
		ss_set64_add(&h->pairs, *at, G_MAXUINT32);   /* new to it: added */
	else
		h->n_deferred++;
	*at = pair;
	h->deferred_next = (h->deferred_next + 1) % PAIRS_DEFERRED;
	ss_set64_prefetch(&h->pairs, pair);
}

/* Adds pair (nonzero) to the pairs, set and waiting ones together, unless
 * they hold `max`; `fresh`: its host has no pair yet, so it is new. */
static ss_set64_result pairs_add(ss_hosts *h, guint64 pair, gboolean fresh, guint32 max)
{
	if (fresh) {
		if (h->pairs.len + h->n_deferred >= max)
			return SS_SET64_FULL;
		pairs_defer(h, pair);
		return SS_SET64_ADDED;
	}
	for (guint i = 0; i < PAIRS_DEFERRED; i++)
		if (h->deferred[i] == pair)
			return SS_SET64_PRESENT;
	return ss_set64_add(&h->pairs, pair, max - h->n_deferred);
}

static void hosts_clear(ss_hosts *h)
{
	clients_release(h);
	for (guint32 i = 0; i < h->n_clients; i++)
		g_free(h->clients[i].port_last);
	ss_big_free(h->clients, (gsize)h->clients_cap * sizeof *h->clients);
	h->clients = NULL;
	h->n_clients = h->clients_cap = 0;
	ss_big_free(h->ones, (gsize)h->ones_cap * sizeof *h->ones);
	h->ones = NULL;
	h->n_ones = h->ones_cap = 0;
	h->last = 0;
	ss_oatable_clear(&h->by_ip);
	pairs_clear(h);
}

ss_hosts *ss_hosts_new(const ss_hosts_limits *lim)
{
	ss_hosts *h = g_new0(ss_hosts, 1);
	if (lim)
		h->lim = *lim;
	else
		ss_hosts_limits_init(&h->lim);
	/* a host's busiest destination is a 16-bit index into its list */
	h->lim.max_destinations = MIN(h->lim.max_destinations, (guint)G_MAXUINT16 + 1);
	ss_oatable_init(&h->by_ip, sizeof(host_acc), sizeof(host_key));
	ss_hash3_key_init(&h->hk);
	return h;
}

void ss_hosts_free(ss_hosts *h)
{
	if (!h)
		return;
	hosts_clear(h);
	g_free(h);
}

/* A host's key as words (sockscope/oatable.h's ss_oa_kw: made in
 * registers, never read back from narrower stores), vnet the word of its
 * ss_vnet (ss_conn_vnet_word()). */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
static inline void host_kw_word(ss_oa_kw *kw, guint8 family, const ss_ip *ip, guint64 vnet)
{
	guint32 a, d;
	guint64 b;
	memcpy(&a, ip->bytes, sizeof a);
	memcpy(&b, ip->bytes + 4, sizeof b);
	memcpy(&d, ip->bytes + 12, sizeof d);
	G_STATIC_ASSERT(G_STRUCT_OFFSET(host_key, ip) == 4 && G_STRUCT_OFFSET(host_key, vnet) == 20);
	kw->w[0] = family | (guint64)a << 32;
	kw->w[1] = b;
	kw->w[2] = d | vnet << 32;
	kw->w[3] = vnet >> 32;
}
#endif

static void host_kw(ss_oa_kw *kw, guint8 family, const ss_ip *ip, const ss_vnet *vnet)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	guint64 v;
	G_STATIC_ASSERT(sizeof v == sizeof *vnet);
	memcpy(&v, vnet, sizeof v);
	host_kw_word(kw, family, ip, v);
#else
	host_key k;
	memset(&k, 0, sizeof k);
	k.family = family;
	k.ip = *ip;
	k.vnet = *vnet;
	ss_oa_kw_from(kw, &k, sizeof k);
#endif
}

/* The key of the record's host on `side`. */
static inline void host_kw_conn(ss_oa_kw *kw, const ss_conn *c, int side)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	host_kw_word(kw, c->family, ss_conn_ip(c, side), ss_conn_vnet_word(c));
#else
	ss_vnet vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
	host_kw(kw, c->family, ss_conn_ip(c, side), &vnet);
#endif
}

/* by_ip's hash of a host key (ss_oa_kw_hash_addr). */
G_ALWAYS_INLINE static inline guint32 host_hash(const void *ctx, const ss_oa_kw *kw)
{
	const ss_hosts *h = ctx;
	return ss_oa_kw_hash_addr(&h->hk, kw, sizeof(host_key));
}

static ss_oa_memo *host_memo(ss_hosts *h, const ss_ip *ip)
{
	return &h->memo[ss_oa_memo_index(ip->bytes, 0)];
}

static guint32 host_index(const ss_hosts *h, const host_acc *acc)
{
	return (guint32)(((const guint8 *)acc - h->by_ip.entries) / sizeof *acc);
}

void ss_hosts_prefetch(ss_hosts *h, const ss_conn *c)
{
	/* the record's likely client host (ss_conn_likely_client()) */
	int side = ss_conn_likely_client(c);
	ss_oa_kw kw;
	host_kw_conn(&kw, c, side);
	ss_oa_prefetch_slot(&h->by_ip, ss_oa_memo_note(host_memo(h, ss_conn_ip(c, side)), &kw,
						       sizeof(host_key), host_hash, h));
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

/* Fetches the host's client side: a few records ahead of its use
 * (ss_hosts_prefetch_client), and a few hosts ahead in ss_hosts_take(),
 * which takes the hosts in the table's order while their client sides
 * lie in the order of their first and second connections (with the
 * report host it writes: the take's thread CPU time on mixed.pcap, 7
 * alternating runs at load 6, 23.6 -> 20.5 ms). */
static void prefetch_client(const ss_hosts *h, const host_acc *acc)
{
	if (!acc->client)
		return;
	if (acc->client & CLIENT_ONE)
		ss_prefetch_bytes(&h->ones[(acc->client & ~CLIENT_ONE) - 1], sizeof(client_one));
	else
		ss_prefetch_bytes(&h->clients[acc->client - 1], sizeof(client_acc));
}

#define TAKE_AHEAD 8

void ss_hosts_prefetch_client(ss_hosts *h, const ss_conn *c, guint32 server)
{
	const ss_oa_memo *m = likely_memo(h, c);
	if (!m->h)
		return;
	ss_oa_kw kw;
	ss_oa_kw_from(&kw, m->key, sizeof(host_key));
	const host_acc *acc = ss_oa_find_kw(&h->by_ip, &kw, m->h, sizeof(host_key), sizeof *acc);
	if (!acc)
		return;
	/* the pair ss_hosts_add_conn() will look for: on many-flows its slot
	 * load had 81% of that function's samples */
	if (server != SS_LISTENERS_NONE)
		ss_set64_prefetch(&h->pairs, (guint64)(host_index(h, acc) + 1) << 32 | server);
	/* only a TCP record's handshake teaches the client side
	 * (ss_hosts_learn_ephemeral) */
	if (c->proto == IPPROTO_TCP)
		prefetch_client(h, acc);
}

static host_acc *host_lookup(const ss_hosts *h, guint8 family, const ss_ip *ip,
			     const ss_vnet *vnet)
{
	ss_oa_kw kw;
	host_kw(&kw, family, ip, vnet);
	return ss_oa_find_kw(&h->by_ip, &kw, host_hash(h, &kw), sizeof(host_key), sizeof(host_acc));
}

/* The entry of the host of address ip and key kw, created when there is
 * room; NULL (and counted) when not.  The pointer holds until the next
 * host is created. */
G_ALWAYS_INLINE static inline host_acc *host_get(ss_hosts *h, const ss_ip *ip, const ss_oa_kw *kw,
						  gboolean capped)
{
	if (h->last) {
		host_acc *acc = ss_oa_entry(&h->by_ip, h->last - 1);
		if (ss_oa_kw_eq(&acc->k, kw, sizeof(host_key)))
			return acc;
	}
	guint32 hash = ss_oa_memo_hash(host_memo(h, ip), kw, sizeof(host_key), host_hash, h);
	host_acc *acc;
	if (!capped || ss_oatable_size(&h->by_ip) < h->lim.max_hosts) {
		/* room for a new host: one probe finds it or makes it (most
		 * hosts of a capture are new when first looked up) */
		gboolean created;
		acc = ss_oa_insert_kw(&h->by_ip, kw, hash, sizeof(host_key), sizeof *acc, &created);
	} else {
		acc = ss_oa_find_kw(&h->by_ip, kw, hash, sizeof(host_key), sizeof *acc);
		if (!acc) {
			h->dropped.hosts++;
			return NULL;
		}
	}
	h->last = host_index(h, acc) + 1;
	return acc;
}

static void learn_one(ss_hosts *h, client_acc *acc, guint8 family, const client_one *one);

/* A fresh client side, as a host's first connection finds it. */
static void client_init(client_acc *cl)
{
	memset(cl, 0, sizeof *cl);
}

/* Keeps a host's first connection; the host's `client` is set. */
static void one_put(ss_hosts *h, host_acc *acc, const client_one *one)
{
	if (h->n_ones == h->ones_cap) {
		/* 1.5x, as the table's entries */
		guint32 cap = h->ones_cap ? h->ones_cap + h->ones_cap / 2 : 8;
		h->ones = ss_big_resize(h->ones, (gsize)h->ones_cap * sizeof *h->ones,
					(gsize)cap * sizeof *h->ones);
		h->ones_cap = cap;
	}
	h->ones[h->n_ones++] = *one;
	acc->client = CLIENT_ONE | h->n_ones;
}

/* Drops first connection i: the last takes its place (its host told),
 * so the array holds only the hosts that made one connection so far, and
 * gives its room back when a quarter of it is in use.  On many-flows.pcap
 * 61 236 of 65 536 client hosts make a second connection: with a free
 * list of dropped slots instead, the array stayed at its largest, and the
 * capture's peak RSS was 3.2 MB higher (411.6 against 408.4 MB). */
static void one_drop(ss_hosts *h, guint32 i)
{
	guint32 last = --h->n_ones;
	if (i != last) {
		h->ones[i] = h->ones[last];
		host_acc *moved = ss_oa_entry(&h->by_ip, h->ones[i].host);
		moved->client = CLIENT_ONE | (i + 1);
	}
	if (h->ones_cap > 64 && h->n_ones < h->ones_cap / 4) {
		guint32 cap = h->ones_cap / 2;
		h->ones = ss_big_resize(h->ones, (gsize)h->ones_cap * sizeof *h->ones,
					(gsize)cap * sizeof *h->ones);
		h->ones_cap = cap;
	}
}

/* The host's client_acc, made on its second handshake-proven connection
 * from its first (whose slot is dropped).  The pointer holds until the
 * next one is made. */
static client_acc *client_full(ss_hosts *h, host_acc *acc)
{
	if (!(acc->client & CLIENT_ONE))
		return &h->clients[acc->client - 1];
	guint32 i = (acc->client & ~CLIENT_ONE) - 1;
	client_one first = h->ones[i];
	one_drop(h, i);
	if (h->n_clients == h->clients_cap) {
		/* 1.5x, as the table's entries */
		guint32 cap = h->clients_cap ? h->clients_cap + h->clients_cap / 2 : 8;
		h->clients = ss_big_resize(h->clients, (gsize)h->clients_cap * sizeof *h->clients,
					   (gsize)cap * sizeof *h->clients);
		h->clients_cap = cap;
	}
	client_acc *cl = &h->clients[h->n_clients++];
	client_init(cl);
	acc->client = h->n_clients;
	/* A first connection changes nothing outside its host (no port map,
	 * no destination dropped), so learning it now leaves the state
	 * learning it then did. */
	learn_one(h, cl, acc->k.family, &first);
	return cl;
}

/* What the report reads of a host's client side: its client_acc, or one
 * made in *tmp from its first connection; NULL when it opened none. */
static const client_acc *client_view(ss_hosts *h, const host_acc *acc, client_acc *tmp)
{
	if (!acc->client)
		return NULL;
	if (!(acc->client & CLIENT_ONE))
		return &h->clients[acc->client - 1];
	client_init(tmp);
	learn_one(h, tmp, acc->k.family, &h->ones[(acc->client & ~CLIENT_ONE) - 1]);
	return tmp;
}

static gint32 rel_ms(const port_map *m, gint64 ns)
{
	/* Never SS_NO_TIME (INT64_MIN) here: untimed records are not noted
	 * (ss_hosts_learn_ephemeral); kept so one can never overflow this. */
	if (ns == SS_NO_TIME || m->base_ns == SS_NO_TIME)
		return 0;
	gint64 ms = (ns - m->base_ns) / 1000000;
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
		acc->port_last->min_reuse_gap_ns = SS_NO_TIME;
		acc->port_last->base_ns = acc->first_start;
		note_port(acc, acc->first_port, acc->first_start, acc->first_end);
	}
	note_port(acc, port, start, end);
}

static void note_port(client_acc *acc, guint16 port, gint64 start, gint64 end)
{
	port_map *m = acc->port_last;
	gint32 *last = port_map_slot(m, port);
	gint32 prev = *last;
	gint32 s = rel_ms(m, start), e = rel_ms(m, end);
	if (prev != PORT_UNUSED) {
		m->reused_ports++;
		/* A gap only when the earlier use had ended (Linux also uses one
		 * port towards several destinations at once). */
		if (s >= prev) {
			gint64 gap = (gint64)(s - prev) * 1000000;
			if (m->min_reuse_gap_ns == SS_NO_TIME || gap < m->min_reuse_gap_ns)
				m->min_reuse_gap_ns = gap;
		}
	}
	if (prev == PORT_UNUSED || e > prev)
		*last = e;
}

/* Counts the connection towards its destination k; returns the destination
 * (NULL when the host's list was full). */
/* How far apart two times are, exactly: a difference of two gint64s
 * overflows one (undefined behaviour) when they are far apart, and an
 * untimed connection's SS_NO_TIME (G_MININT64) is as far as they get.  So
 * an untimed connection and a timed one never share a window. */
static guint64 ns_apart(gint64 a, gint64 b)
{
	return a > b ? (guint64)a - (guint64)b : (guint64)b - (guint64)a;
}

static dest_acc *note_destination(ss_hosts *h, client_acc *acc, sock_key k, gint64 start)
{
	dest_acc *d = NULL;
	if (acc->eph.samples == 0) {   /* the first sample: learn_one() counts it after */
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
	if (ns_apart(start, d->window_start) > (guint64)SS_EXHAUSTION_WINDOW_NS) {
		d->window_start = start;
		d->window_count = 0;
	}
	d->window_count++;
	if (d->window_count > acc->busiest_connections) {
		acc->busiest_connections = d->window_count;
		acc->busiest = d == &acc->first_dest ? 0 : (guint16)(d - acc->dests->d + 1);
	}
	return d;
}

/* Learns one connection of a host of `family` into its client side. */
static void learn_one(ss_hosts *h, client_acc *acc, guint8 family, const client_one *one)
{
	sock_key k;
	memset(&k, 0, sizeof k);
	k.proto = IPPROTO_TCP;   /* only TCP handshakes teach it */
	k.family = family;
	k.port = one->dest_port;
	k.ip = one->dest_ip;
	dest_acc *d = note_destination(h, acc, k, one->start);
	ss_eph_stats_add(&acc->eph, one->port, d ? d->last_port : -1);
	if (d)
		d->last_port = one->port;
	/* Reuse gaps need times: a record with no counted packet (SS_NO_TIME)
	 * says nothing about when its port was in use. */
	if (one->start != SS_NO_TIME && one->end != SS_NO_TIME)
		note_reuse(h, acc, one->port, one->start, one->end);
}

void ss_hosts_learn_ephemeral(ss_hosts *h, const ss_conn *c)
{
	if (c->client < 0 || c->proto != IPPROTO_TCP ||
	    (c->evidence != SS_EVIDENCE_SYN && c->evidence != SS_EVIDENCE_SYN_ACK))
		return;
	ss_oa_kw kw;
	host_kw_conn(&kw, c, c->client);
	host_acc *host = host_get(h, ss_conn_client_ip(c), &kw, TRUE);
	if (!host)
		return;
	client_one one = { .dest_ip = *ss_conn_server_ip(c),
			   .dest_port = ss_conn_server_port(c),
			   .port = ss_conn_client_port(c),
			   .host = host_index(h, host),
			   .end = ss_conn_last_ns(c) };
	gint64 end;
	ss_conn_span(c, &one.start, &end);
	if (!host->client)
		one_put(h, host, &one);
	else
		learn_one(h, client_full(h, host), c->family, &one);
}

void ss_hosts_add_conn(ss_hosts *h, const ss_conn *c, guint32 server)
{
	if (c->client < 0 || c->outcome == SS_OUTCOME_SIMULTANEOUS)
		return;
	host_acc *acc;
	ss_oa_kw kw;
	if (ss_conn_roles_unknown(c)) {
		/* Neither side is the client: both hosts are listed, with the
		 * record counted as one of unknown roles. */
		for (int i = 0; i < 2; i++) {
			host_kw_conn(&kw, c, i);
			acc = host_get(h, ss_conn_ip(c, i), &kw, TRUE);
			if (acc && acc->unknown_roles < G_MAXUINT32)
				acc->unknown_roles++;
		}
		return;
	}
	host_kw_conn(&kw, c, c->client);
	acc = host_get(h, ss_conn_client_ip(c), &kw, TRUE);
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
	switch (pairs_add(h, (host + 1) << 32 | server, acc->client_servers == 0,
			  h->lim.max_servers)) {
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
	/* a host that made one connection has one sample */
	G_STATIC_ASSERT(SS_EPH_MIN_SAMPLES > 1);
	if (!acc || !acc->client || (acc->client & CLIENT_ONE))
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

/* Do all the hosts share their virtual network (a capture without
 * tunnels)?  Then the family and the address order them. */
static gboolean one_vnet(const ss_hosts *h, guint32 n)
{
	const host_acc *first = ss_oa_entry(&h->by_ip, 0);
	for (guint32 i = 1; i < n; i++)
		if (ss_vnet_cmp(&((const host_acc *)ss_oa_entry(&h->by_ip, i))->k.vnet,
				&first->k.vnet) != 0)
			return FALSE;
	return TRUE;
}

/* The hosts into v, grouped by family in ascending order, each group
 * sorted by address (16 bytes: one radix sort): for hosts of one virtual
 * network, ss_host_cmp's order.  An IPv4 group's keys vary in 3 or 4
 * bytes only, where one key of family and address mixed with IPv6 ones
 * made every pass over all of them (mixed.pcap: 63 000 IPv4 and 10 000
 * IPv6 hosts; sorted_positions' thread CPU time 6.0 -> 4.0 ms, medians
 * of 7 alternating runs at load 7). */
static void sort_by_family_and_address(const ss_hosts *h, guint32 n, ss_radix_item *v,
				       ss_radix_item *tmp)
{
	guint32 start[257] = { 0 };
	for (guint32 i = 0; i < n; i++)
		start[((const host_acc *)ss_oa_entry(&h->by_ip, i))->k.family + 1]++;
	for (guint f = 1; f <= 256; f++)
		start[f] += start[f - 1];
	guint32 at[256];
	memcpy(at, start, sizeof at);
	for (guint32 i = 0; i < n; i++) {
		const host_acc *acc = ss_oa_entry(&h->by_ip, i);
		ss_radix_item *x = &v[at[acc->k.family]++];
		x->a = ip_bytes_be(&acc->k.ip, 0, 8);
		x->b = ip_bytes_be(&acc->k.ip, 8, 8);
		x->p = (gpointer)acc;
	}
	for (guint f = 0; f < 256; f++)
		ss_radix_sort(v + start[f], start[f + 1] - start[f], tmp);
}

/* Each host's place in the report's order (ss_host_cmp: family, address,
 * virtual network), by table index, so the report's hosts are written in
 * place: g_array_sort of the 248-byte ss_host was 74 M of many-s.pcap's
 * instructions (glibc's merge sort moving whole elements).  Without
 * tunnels, by family and then address (sort_by_family_and_address);
 * otherwise the key is 25 bytes, so two stable radix sorts
 * (sockscope/radix.h): by the address's last byte and the virtual
 * network, then by family and the first 15 bytes. */
static guint32 *sorted_positions(const ss_hosts *h)
{
	guint32 n = ss_oatable_size(&h->by_ip);
	guint32 *pos = g_new(guint32, n ? n : 1);
	ss_radix_item *v = g_new(ss_radix_item, n ? n : 1), *tmp = g_new(ss_radix_item, n ? n : 1);
	if (n > 0 && one_vnet(h, n)) {
		sort_by_family_and_address(h, n, v, tmp);
	} else {
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
	}
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
		ss_oa_kw kw;
		host_kw(&kw, l->family, &l->ip, &l->vnet);
		host_acc *acc = host_get(h, &l->ip, &kw, FALSE);
		client_acc tmp;
		const client_acc *cl = client_view(h, acc, &tmp);
		gboolean used = cl && (cl->port_last ? port_map_used(cl->port_last, l->port)
						     : cl->have_first && cl->first_port == l->port);
		host_of[i] = host_index(h, acc) | (l->proto == IPPROTO_TCP && used ? DUAL_PORT : 0);
	}
	/* No look-up from here on: the index, the pairs, the port maps' pages
	 * and the destinations go before the report's hosts are made, so they
	 * are never alive at the same time (mixed.pcap: the 34 MB table and
	 * its 33.5 MB copy were); the maps' 2 KiB heads, with what they
	 * found, go after. */
	ss_oatable_drop_index(&h->by_ip);
	pairs_clear(h);
	clients_release(h);

	guint32 n = ss_oatable_size(&h->by_ip);
	guint32 *pos = sorted_positions(h);
	GArray *out = g_array_sized_new(FALSE, TRUE, sizeof(ss_host), n);
	/* 16.4 MB on mixed.pcap, fresh: ~4 000 faults of 4 KiB in the
	 * zeroing below otherwise, beside the findings threads' own.  The
	 * take's thread CPU time, 7 alternating runs at load 6: 20.5 -> 16.3
	 * ms (median), its wall time 153 -> 109 ms. */
	ss_big_advise_huge(out->data, (gsize)n * sizeof(ss_host));
	/* And its whole 2 MiB pages are pages already resident, the record
	 * chunks the writer's drain just freed (core/bigarray.c's pool), not
	 * fresh ones: the zeroing below writes them at memory speed instead
	 * of faulting 16 MiB in on the tail's critical path (docs/
	 * performance.md, "Fresh memory, fourteenth session"). */
	ss_big_take_recycled(out->data, (gsize)n * sizeof(ss_host));
	/* The last large array of the capture's end: what the pool still
	 * holds, and what is freed from here on, goes back to the kernel. */
	ss_big_pool_close();
	g_array_set_size(out, n);
	for (guint32 i = 0; i < n; i++) {
		if (i + TAKE_AHEAD < n) {
			prefetch_client(h, ss_oa_entry(&h->by_ip, i + TAKE_AHEAD));
			ss_prefetch_bytes(&g_array_index(out, ss_host, pos[i + TAKE_AHEAD]),
					  sizeof(ss_host));
		}
		const host_acc *acc = ss_oa_entry(&h->by_ip, i);
		ss_host *x = &g_array_index(out, ss_host, pos[i]);
		x->family = acc->k.family;
		x->ip = acc->k.ip;
		x->vnet = acc->k.vnet;
		x->client_connections = acc->client_connections;
		x->client_servers = acc->client_servers;
		x->unknown_roles = acc->unknown_roles;
		x->min_reuse_gap_ns = SS_NO_TIME;
		client_acc tmp;
		const client_acc *cl = client_view(h, acc, &tmp);
		if (cl) {
			x->eph = cl->eph;
			x->reuse_known = cl->reuse_known;
			if (cl->port_last) {
				x->reused_ports = cl->port_last->reused_ports;
				x->min_reuse_gap_ns = cl->port_last->min_reuse_gap_ns;
			}
			const sock_key *busiest = busiest_key(cl);
			x->busiest_proto = busiest->proto;
			x->busiest_ip = busiest->ip;
			x->busiest_port = busiest->port;
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
