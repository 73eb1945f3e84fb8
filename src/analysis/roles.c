/* Role inference: the knowledge learned from the capture and the decision
 * for records without a handshake (include/sockscope/roles.h). */
#include "sockscope/roles.h"
#include "sockscope/bigarray.h"
#include "sockscope/decide.h"
#include "sockscope/ephemeral.h"
#include "sockscope/hash.h"
#include "sockscope/oatable.h"
#include "sockscope/set64.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>

enum {
	EP_PROVEN_LISTENER = 1u << 0,   /* TCP: sent a SYN-ACK / a handshake's server */
};

/* What the records taught about one endpoint (16 bytes). */
typedef struct {
	guint32 records;         /* records it took part in */
	guint32 peer_changes;    /* records whose peer port differed from the previous one's */
	guint32 replies;         /* UDP: records in which it answered the first sender */
	guint16 last_peer_port;
	guint8 flags;
} ep_counts;

/* An IPv6 endpoint's key, and its entry in an ss_oatable. */
typedef struct {
	guint8 proto, family;
	guint16 port;
	ss_ip ip;
} ep_key;

typedef struct {
	ep_key k;                /* first: the table's key */
	ep_counts n;
} ep_entry;

/* An IPv4 endpoint, key and counts together in its slot (24 bytes).  Its
 * key packs the address, port and protocol in one word, never 0 (the
 * family's 4 is in it), so 0 marks a free slot. */
typedef struct {
	guint64 key;
	ep_counts n;
} ep4_slot;

G_STATIC_ASSERT(sizeof(ep4_slot) == 24);

/* The IPv4 endpoints: open addressing with linear probing, at most 3/4
 * full, the entries in the slots themselves.  Nearly every record looks
 * up two endpoints, one of them new (its client's ephemeral port), in a
 * table of up to 2^18 of them: far past the caches.  In an ss_oatable a
 * look-up was two dependent misses, the slot's tag and then the 36-byte
 * entry to compare the key and update the counts (perf annotate of ep_get
 * on many-s: 46% of its samples on the first load, 29% on the second);
 * here it is one, and the key is hashed as 8 bytes instead of 20.  IPv6
 * endpoints, rare, stay in an ss_oatable. */
typedef struct {
	ep4_slot *slots;         /* cap slots */
	guint32 cap;             /* 0 (nothing allocated yet), a power of two, or
	                            at last the size max_endpoints needs */
	guint32 len;
} ep4_table;

/* The IPv4 table grows to the fewest slots that hold max_endpoints at
 * most 3/4 full (ss_oa_grown_cap: 349 525 for 2^18, 8 MiB), where
 * doubling went on to 2^19 slots (12 MiB) for the same 2^18 endpoints,
 * half of them empty at many-flows.pcap's peak.  A home slot is found by
 * fast range, so any size indexes.  Measured in docs/performance.md
 * ("Roll-ups, tenth session"). */

/* Whether one more endpoint would fill more than 3/4 of the slots (for a
 * power of two, (len + 1) * 4 > cap * 3, as before). */
static inline gboolean ep4_needs_room(const ep4_table *t)
{
	return t->len + 1 > t->cap - t->cap / 4;
}

G_ALWAYS_INLINE static inline guint32 ep4_home(const ep4_table *t, guint32 h)
{
	return ss_fast_range(h, t->cap);
}

G_ALWAYS_INLINE static inline guint32 ep4_next(const ep4_table *t, guint32 i)
{
	return i + 1 == t->cap ? 0 : i + 1;
}

/* The hashes of the endpoints ss_roles_prefetch() looked at, direct
 * mapped by key: the look-up a few events later finds its hash here
 * instead of computing it again.  Only a cache of a pure function (a
 * slot whose key differs is computed again), so which keys share a slot
 * changes no result. */
#define EP_MEMO 256
typedef struct {
	guint64 key;             /* 0: empty */
	guint32 h;
} ep_memo;

/* A host-pair direction that the capture holds packets in, and a host the
 * capture is proven to miss packets to. */
typedef struct {
	guint8 family;
	ss_ip from, to;        /* `to` zero: a host key (deaf) */
} dir_key;

/* A set of such directions (or hosts, `to` left zero).  An IPv4 one is a
 * 64-bit number (from << 32 | to) stored in its slot (ss_set64): one
 * probe, where the 36-byte dir_key in an ss_oatable was a slot miss and
 * then an entry miss to compare it, for each direction of each record
 * until the set is full (most captures never fill it).  0.0.0.0 to
 * 0.0.0.0, the one number a set64 cannot hold, is a flag.  The bound
 * counts the three together. */
typedef struct {
	ss_set64 v4;
	gboolean v4_zero;
	ss_oatable v6;         /* dir_key */
} dir_set;

/* The endpoints are kept inline in open-addressing tables: nearly every
 * record brings a new one, and a malloc plus a GHashTable node for each
 * cost more than the rest of the learning.  max_endpoints bounds the two
 * tables together. */
struct ss_roles {
	ss_roles_limits lim;
	const ss_hosts *hosts;
	/* the IPv4 endpoints' hash: three AES rounds (ss_hash3) where it was
	 * SipHash-1-3 of the packed 8 bytes (docs/performance.md, "Roll-ups,
	 * eleventh session") */
	ss_hash3_key hk;
	ep4_table eps4;          /* IPv4 endpoints */
	ss_oatable eps6;         /* ep_entry, keyed by ep_key: IPv6 endpoints */
	ep_memo memo[EP_MEMO];   /* IPv4 keys' hashes, from ss_roles_prefetch() */
	gboolean full;           /* a sweep freed too little: no new endpoints */
	guint64 dropped;
	/* What tells a missing answer from a missing direction
	 * (ss_roles_answer_unseen): host-pair directions that held packets
	 * (at most SS_ROLES_MAX_DIRECTIONS), and the hosts that one-sided TCP
	 * records prove the capture misses packets to. */
	dir_set directions;
	dir_set deaf;            /* hosts (in `from`) */
};

static void dir_set_clear(dir_set *s)
{
	ss_set64_clear(&s->v4);
	ss_oatable_clear(&s->v6);
}

void ss_roles_limits_init(ss_roles_limits *lim)
{
	lim->max_endpoints = 1u << 18;
}

ss_roles *ss_roles_new(const ss_roles_limits *lim, const ss_hosts *hosts)
{
	ss_roles *k = g_new0(ss_roles, 1);
	if (lim)
		k->lim = *lim;
	else
		ss_roles_limits_init(&k->lim);
	k->hosts = hosts;
	ss_hash3_key_init(&k->hk);
	ss_oatable_init(&k->eps6, sizeof(ep_entry), sizeof(ep_key));
	ss_oatable_init(&k->directions.v6, sizeof(dir_key), sizeof(dir_key));
	ss_oatable_init(&k->deaf.v6, sizeof(dir_key), sizeof(dir_key));
	return k;
}

void ss_roles_free(ss_roles *k)
{
	if (!k)
		return;
	ss_big_free(k->eps4.slots, (gsize)k->eps4.cap * sizeof *k->eps4.slots);
	ss_oatable_clear(&k->eps6);
	dir_set_clear(&k->directions);
	dir_set_clear(&k->deaf);
	g_free(k);
}

gsize ss_roles_ipv4_bytes(const ss_roles *k)
{
	return (gsize)k->eps4.cap * sizeof *k->eps4.slots;
}

guint64 ss_roles_dropped(const ss_roles *k)
{
	return k ? k->dropped : 0;
}

/* ---- the endpoint tables ---- */

/* One side of a record, ready to be looked up: its key and hash, computed
 * once for the look-ups of a record, and its home slot already prefetched. */
typedef struct {
	gboolean v4;
	guint32 h;
	guint64 key4;
	ep_key key6;
} ep_ref;

G_ALWAYS_INLINE static inline guint32 ep4_hash(const ss_roles *k, guint64 key)
{
	return (guint32)ss_hash3(&k->hk, key, 0, 0);
}

static inline guint64 ep4_key(const ss_ip *ip, guint16 port, guint8 proto)
{
	guint32 a;
	memcpy(&a, ip->bytes, 4);
	return (guint64)a << 32 | (guint64)port << 16 | (guint64)proto << 8 | SS_FAMILY_IPV4;
}

/* The memo slot of key: the top bits of a multiplication by 2^64 / phi
 * (Fibonacci hashing) mix the address and the port into them. */
static inline guint32 ep4_memo_index(guint64 key)
{
	return (guint32)((key * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) >> 56);
}
G_STATIC_ASSERT(EP_MEMO == 256);

/* The slot of key, or the free slot where it would go (cap > 0, and the
 * table is never full, so the probe ends). */
static inline ep4_slot *ep4_probe(const ep4_table *t, guint64 key, guint32 h)
{
	for (guint32 i = ep4_home(t, h);; i = ep4_next(t, i)) {
		ep4_slot *s = &t->slots[i];
		if (s->key == key || s->key == 0)
			return s;
	}
}

static void ep4_grow(const ss_roles *k, ep4_table *t)
{
	guint32 cap = ss_oa_grown_cap(t->cap, k->lim.max_endpoints);
	ep4_table n = { ss_big_new0(cap, sizeof(ep4_slot)), cap, t->len };
	for (guint32 i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			*ep4_probe(&n, t->slots[i].key, ep4_hash(k, t->slots[i].key)) = t->slots[i];
	ss_big_free(t->slots, (gsize)t->cap * sizeof *t->slots);
	*t = n;
}

static void ep_ref_make(const ss_roles *k, ep_ref *r, const ss_conn *c, int side)
{
	r->v4 = c->family == SS_FAMILY_IPV4;
	if (r->v4) {
		r->key4 = ep4_key(ss_conn_ip(c, side), ss_conn_port(c, side), c->proto);
		const ep_memo *m = &k->memo[ep4_memo_index(r->key4)];
		r->h = m->key == r->key4 ? m->h : ep4_hash(k, r->key4);
		if (k->eps4.cap)
			__builtin_prefetch(&k->eps4.slots[ep4_home(&k->eps4, r->h)]);
		return;
	}
	memset(&r->key6, 0, sizeof r->key6);
	r->key6.proto = c->proto;
	r->key6.family = c->family;
	r->key6.port = ss_conn_port(c, side);
	r->key6.ip = *ss_conn_ip(c, side);
	r->h = ss_oa_hash(&r->key6, sizeof r->key6);
}

void ss_roles_prefetch(ss_roles *k, const ss_conn *c)
{
	/* From the flow key, the record's first bytes (the caller fetched
	 * them ahead): both endpoints are looked up, so which side is ep[0]
	 * does not matter here. */
	const ss_flow_key *fk = &c->key;
	if (!k || fk->family != SS_FAMILY_IPV4 || k->eps4.cap == 0)
		return;
	for (int i = 0; i < 2; i++) {
		guint64 key = ep4_key(&fk->addr[i], fk->port[i], fk->proto);
		ep_memo *m = &k->memo[ep4_memo_index(key)];
		if (m->key != key) {
			m->key = key;
			m->h = ep4_hash(k, key);
		}
		__builtin_prefetch(&k->eps4.slots[ep4_home(&k->eps4, m->h)], 1);
	}
}

static const ep_counts *ep_find(const ss_roles *k, const ep_ref *r)
{
	if (r->v4) {
		if (k->eps4.len == 0)
			return NULL;
		const ep4_slot *s = ep4_probe(&k->eps4, r->key4, r->h);
		return s->key ? &s->n : NULL;
	}
	const ep_entry *e = ss_oa_find(&k->eps6, &r->key6, r->h, sizeof r->key6, sizeof *e);
	return e ? &e->n : NULL;
}

/* The entry of r, made when it is new (the table has room for it). */
static ep_counts *ep_insert(ss_roles *k, const ep_ref *r)
{
	if (r->v4) {
		ep4_table *t = &k->eps4;
		ep4_slot *s = t->cap ? ep4_probe(t, r->key4, r->h) : NULL;
		if (s && s->key)
			return &s->n;
		if (ep4_needs_room(t)) {
			ep4_grow(k, t);
			s = ep4_probe(t, r->key4, r->h);
		}
		s->key = r->key4;
		t->len++;
		return &s->n;
	}
	gboolean created;
	ep_entry *e = ss_oa_insert(&k->eps6, &r->key6, r->h, sizeof r->key6, sizeof *e, &created);
	return &e->n;
}

static gboolean one_shot(const ep_counts *n)
{
	return n->records <= 1 && n->replies == 0 && n->flags == 0;
}

static gboolean not_one_shot(const void *e, void *data)
{
	(void)data;
	return !one_shot(&((const ep_entry *)e)->n);
}

/* Removes the one-shot IPv4 endpoints in place: frees their slots, then
 * places every other entry again, walking on from a slot that was free
 * before the sweep, so that each entry's run from its home slot is placed
 * again before it and it lands at or before where it was (linear probing
 * leaves no free slot between an entry and its home).  In place because a sweep runs again and again once
 * the table is full: a fresh array each time was megabytes of new pages. */
static guint32 ep4_sweep(const ss_roles *k, ep4_table *t)
{
	guint32 removed = 0, start = 0;
	for (guint32 i = 0; i < t->cap; i++) {
		if (t->slots[i].key == 0) {
			start = i;   /* free before the sweep: no run of entries crosses it */
		} else if (one_shot(&t->slots[i].n)) {
			memset(&t->slots[i], 0, sizeof t->slots[i]);
			removed++;
		}
	}
	if (removed == 0)
		return 0;
	for (guint32 j = 1, i = start; j <= t->cap; j++) {
		i = ep4_next(t, i);
		ep4_slot *s = &t->slots[i];
		if (s->key == 0)
			continue;
		ep4_slot moved = *s;
		memset(s, 0, sizeof *s);
		*ep4_probe(t, moved.key, ep4_hash(k, moved.key)) = moved;
	}
	t->len -= removed;
	return removed;
}

static guint32 ep_count(const ss_roles *k)
{
	return k->eps4.len + ss_oatable_size(&k->eps6);
}

/* The endpoint's entry, created when there is room.  The pointer holds
 * until the next ep_get(). */
static ep_counts *ep_get(ss_roles *k, const ep_ref *r)
{
	/* With room, one probe finds or makes the entry (a find and then an
	 * insert walked the probe sequence twice for each new endpoint). */
	if (ep_count(k) < k->lim.max_endpoints)
		return ep_insert(k, r);
	ep_counts *e = (ep_counts *)ep_find(k, r);
	if (e)
		return e;
	/* Forget the endpoints seen once that proved nothing: the client
	 * side of most connections.  Amortized: a sweep must free an
	 * eighth of the table, or the table stops growing for good. */
	guint freed = 0;
	if (!k->full && ep_count(k) > 0)
		freed = ep4_sweep(k, &k->eps4) + ss_oatable_filter(&k->eps6, not_one_shot, NULL);
	k->dropped += freed;
	if (freed < k->lim.max_endpoints / 8 + 1)
		k->full = TRUE;
	if (ep_count(k) >= k->lim.max_endpoints) {
		k->dropped++;
		return NULL;
	}
	return ep_insert(k, r);
}

static ep_counts *ep_get_side(ss_roles *k, const ss_conn *c, int side)
{
	ep_ref r;
	ep_ref_make(k, &r, c, side);
	return ep_get(k, &r);
}

/* ---- learning ---- */

void ss_roles_note_record(ss_roles *k, const ss_conn *c)
{
	if (!k)
		return;
	/* Both sides' keys first, so that the two slots are fetched at once
	 * rather than one miss after the other. */
	ep_ref r[2];
	ep_ref_make(k, &r[0], c, 0);
	ep_ref_make(k, &r[1], c, 1);
	for (int i = 0; i < 2; i++) {
		ep_counts *e = ep_get(k, &r[i]);
		if (!e)
			continue;
		guint16 peer = ss_conn_port(c, !i);
		if (e->records > 0 && peer != e->last_peer_port)
			e->peer_changes++;
		e->last_peer_port = peer;
		if (e->records < G_MAXUINT32)
			e->records++;
	}
}

void ss_roles_note_synack(ss_roles *k, const ss_conn *c, int side)
{
	if (!k || c->proto != IPPROTO_TCP)
		return;
	ep_counts *e = ep_get_side(k, c, side);
	if (e)
		e->flags |= EP_PROVEN_LISTENER;
}

static void dir_make(dir_key *d, guint8 family, const ss_ip *from, const ss_ip *to)
{
	memset(d, 0, sizeof *d);
	d->family = family;
	d->from = *from;
	if (to)
		d->to = *to;
}

static guint32 dir_size(const dir_set *s)
{
	return s->v4.len + (s->v4_zero ? 1 : 0) + ss_oatable_size(&s->v6);
}

static guint64 dir4(const ss_ip *from, const ss_ip *to)
{
	guint32 f, t = 0;
	memcpy(&f, from->bytes, 4);
	if (to)
		memcpy(&t, to->bytes, 4);
	return (guint64)f << 32 | t;
}

/* Adds the direction (`to` NULL: the host) unless the set holds `max`. */
static void dir_add(dir_set *s, guint8 family, const ss_ip *from, const ss_ip *to, guint max)
{
	if (dir_size(s) >= max)
		return;
	if (family == SS_FAMILY_IPV4) {
		guint64 v = dir4(from, to);
		if (v == 0)
			s->v4_zero = TRUE;
		else
			ss_set64_add(&s->v4, v, G_MAXUINT32);   /* bounded above */
		return;
	}
	dir_key d;
	gboolean created;
	dir_make(&d, family, from, to);
	ss_oa_insert(&s->v6, &d, ss_oa_hash(&d, sizeof d), sizeof d, sizeof d, &created);
}

static gboolean dir_contains(const dir_set *s, guint8 family, const ss_ip *from, const ss_ip *to)
{
	if (family == SS_FAMILY_IPV4) {
		guint64 v = dir4(from, to);
		return v == 0 ? s->v4_zero : ss_set64_contains(&s->v4, v);
	}
	dir_key d;
	dir_make(&d, family, from, to);
	return ss_oa_find(&s->v6, &d, ss_oa_hash(&d, sizeof d), sizeof d, sizeof d) != NULL;
}

/* Which host-pair directions the record holds packets in; a one-sided TCP
 * record proves the capture misses what its silent side sent to the other
 * (the other side acknowledged it, ss_conn_one_sided). */
static void learn_directions(ss_roles *k, const ss_conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->ep[i].packets == 0)
			continue;
		dir_add(&k->directions, c->family, ss_conn_ip(c, i), ss_conn_ip(c, !i),
			SS_ROLES_MAX_DIRECTIONS);
	}
	if (c->proto == IPPROTO_TCP && ss_conn_one_sided(c)) {
		int heard = c->ep[0].packets > 0 ? 0 : 1;
		dir_add(&k->deaf, c->family, ss_conn_ip(c, heard), NULL, SS_ROLES_MAX_DIRECTIONS);
	}
}

gboolean ss_roles_answer_unseen(const ss_roles *k, const ss_conn *c, int client)
{
	if (!k || dir_size(&k->deaf) == 0)
		return FALSE;
	if (!dir_contains(&k->deaf, c->family, ss_conn_ip(c, client), NULL))
		return FALSE;
	/* Anything from the server to the client elsewhere in the capture
	 * shows that direction is captured: then the silence is real.  (A
	 * pair the full table could not record counts as unseen: unknown
	 * rather than a wrong "unanswered".) */
	return !dir_contains(&k->directions, c->family, ss_conn_ip(c, !client), ss_conn_ip(c, client));
}

void ss_roles_learn(ss_roles *k, const ss_conn *c)
{
	if (!k || c->client < 0)
		return;
	learn_directions(k, c);
	if (c->proto == IPPROTO_TCP) {
		gboolean proof = c->evidence == SS_EVIDENCE_SYN || c->evidence == SS_EVIDENCE_SYN_ACK;
		gboolean answered = c->outcome == SS_OUTCOME_COMPLETE ||
				    c->outcome == SS_OUTCOME_INCOMPLETE;
		if (proof && answered)
			ss_roles_note_synack(k, c, !c->client);
		return;
	}
	/* UDP: ep[0] spoke first; ep[1] answered it from the addressed port. */
	if (c->ep[0].packets > 0 && c->ep[1].packets > 0 &&
	    !ss_ip_is_multicast(c->family, ss_conn_ip(c, 1))) {
		ep_counts *e = ep_get_side(k, c, 1);
		if (e && e->replies < G_MAXUINT32)
			e->replies++;
	}
}

/* ---- deciding ---- */

/* The tests take the side's entry (NULL: not remembered), looked up once
 * per side for all of them. */
static gboolean is_proven_listener(const ep_counts *e, const ss_conn *c)
{
	if (!e)
		return FALSE;
	if (c->proto == IPPROTO_TCP)
		return (e->flags & EP_PROVEN_LISTENER) != 0;
	return e->replies >= SS_UDP_RESPONDER_MIN_REPLIES && e->peer_changes >= 1;
}

static gboolean is_fan_in(const ep_counts *e, const ss_conn *c)
{
	(void)c;
	if (!e || e->records < SS_FAN_IN_MIN_RECORDS)
		return FALSE;
	/* At least two changes, and in three of four records. */
	return e->peer_changes >= SS_FAN_IN_MIN_RECORDS - 1 &&
	       (guint64)e->peer_changes * 4 >= (guint64)(e->records - 1) * 3;
}

/* The server side when exactly one side passes `test`, else -1. */
static int one_side(const ep_counts *const e[2], const ss_conn *c,
		    gboolean (*test)(const ep_counts *, const ss_conn *))
{
	gboolean t0 = test(e[0], c), t1 = test(e[1], c);
	if (t0 == t1)
		return -1;
	return t0 ? 0 : 1;
}

static int eph_score(ss_eph_verdict v)
{
	return v == SS_EPH_VERDICT_IN ? 1 : v == SS_EPH_VERDICT_OUT ? -1 : 0;
}

/* The client side by the learned ephemeral ranges, else -1. */
static int by_ephemeral(const ss_roles *k, const ss_conn *c)
{
	if (!k->hosts)
		return -1;
	int s[2];
	ss_vnet vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
	for (int i = 0; i < 2; i++)
		s[i] = eph_score(ss_hosts_ephemeral_verdict(k->hosts, c->family, ss_conn_ip(c, i),
							    &vnet, ss_conn_port(c, i)));
	if (s[0] == s[1])
		return -1;
	return s[0] > s[1] ? 0 : 1;
}

/* Both ports inside one OS default ephemeral range (Linux 32768-60999,
 * IANA 49152-65535, FreeBSD 10000-65535, old Windows 1025-5000): each
 * could be an OS-picked client port, so the port order says nothing
 * (peer-to-peer traffic, a bind shell on 40000).  Reached only when
 * neither port is a service port, a proven listener or a fan-in socket. */
static gboolean both_look_ephemeral(guint16 p0, guint16 p1)
{
	const ss_eph_default *ids;
	gsize n = ss_eph_defaults(&ids);
	for (gsize i = 0; i < n; i++) {
		guint16 lo, hi;
		ss_eph_default_bounds(ids[i], &lo, &hi);
		if (p0 >= lo && p0 <= hi && p1 >= lo && p1 <= hi)
			return TRUE;
	}
	return FALSE;
}

static void set(ss_conn *c, int client, ss_evidence e, ss_confidence conf)
{
	c->client = (gint8)client;
	c->evidence = e;
	c->confidence = conf;
}

void ss_roles_decide(const ss_roles *k, ss_conn *c)
{
	gboolean udp = c->proto != IPPROTO_TCP;
	int server, client;

	if (udp) {
		/* A group or broadcast address only receives: the other side sent. */
		for (int i = 1; i >= 0; i--) {
			if (ss_ip_is_multicast(c->family, ss_conn_ip(c, i))) {
				set(c, !i, SS_EVIDENCE_MULTICAST, SS_CONFIDENCE_MEDIUM);
				return;
			}
			if (ss_ip_is_broadcast(c->family, ss_conn_ip(c, i))) {
				set(c, !i, SS_EVIDENCE_BROADCAST, SS_CONFIDENCE_MEDIUM);
				return;
			}
		}
	}
	if (k) {
		/* Each side's entry once: the tests below looked each up again
		 * (up to four SipHash look-ups, each a likely cache miss); both
		 * keys first, so that the two slots are fetched at once. */
		ep_ref r[2];
		ep_ref_make(k, &r[0], c, 0);
		ep_ref_make(k, &r[1], c, 1);
		const ep_counts *e[2] = { ep_find(k, &r[0]), ep_find(k, &r[1]) };
		if ((server = one_side(e, c, is_proven_listener)) >= 0) {
			set(c, !server, SS_EVIDENCE_PROVEN_LISTENER, SS_CONFIDENCE_MEDIUM);
			return;
		}
		if ((client = by_ephemeral(k, c)) >= 0) {
			set(c, client, SS_EVIDENCE_EPHEMERAL_RANGE, SS_CONFIDENCE_MEDIUM);
			return;
		}
		if ((server = one_side(e, c, is_fan_in)) >= 0) {
			set(c, !server, SS_EVIDENCE_FAN_IN, SS_CONFIDENCE_MEDIUM);
			return;
		}
	}

	guint16 p0 = ss_conn_port(c, 0), p1 = ss_conn_port(c, 1);
	gboolean known0 = ss_service_port_known(c->proto, p0);
	gboolean known1 = ss_service_port_known(c->proto, p1);
	if (known0 != known1) {
		set(c, known0 ? 1 : 0, SS_EVIDENCE_SERVICE_PORT, SS_CONFIDENCE_MEDIUM);
	} else if (udp) {
		/* A client speaks first, from the port its OS picked; a reply from
		 * the port it addressed shows that port answers. */
		if (c->ep[0].packets > 0 && c->ep[1].packets > 0)
			set(c, 0, SS_EVIDENCE_REPLY_FROM_PORT, SS_CONFIDENCE_MEDIUM);
		else
			set(c, 0, SS_EVIDENCE_FIRST_SENDER, SS_CONFIDENCE_LOW);
	} else if (both_look_ephemeral(p0, p1)) {
		/* Rather unknown than a wrong guess: no client is named and no
		 * listener made (docs/inference.md, "Unknown roles"). */
		set(c, 0, SS_EVIDENCE_UNKNOWN, SS_CONFIDENCE_LOW);
	} else if (p0 != p1) {
		set(c, p0 < p1 ? 1 : 0, SS_EVIDENCE_LOWER_PORT, SS_CONFIDENCE_LOW);
	} else {
		set(c, 0, SS_EVIDENCE_FIRST_PACKET, SS_CONFIDENCE_LOW);
	}
}
