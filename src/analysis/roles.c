/* Role inference: the knowledge learned from the capture and the decision
 * for records without a handshake (include/sockscope/roles.h). */
#include "sockscope/roles.h"
#include "sockscope/decide.h"
#include "sockscope/ephemeral.h"
#include "sockscope/hash.h"
#include "sockscope/oatable.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>

enum {
	EP_PROVEN_LISTENER = 1u << 0,   /* TCP: sent a SYN-ACK / a handshake's server */
};

typedef struct {
	guint8 proto, family;
	guint16 port;
	ss_ip ip;
} ep_key;

typedef struct {
	ep_key k;                /* first: the table's key */
	guint32 records;         /* records it took part in */
	guint32 peer_changes;    /* records whose peer port differed from the previous one's */
	guint32 replies;         /* UDP: records in which it answered the first sender */
	guint16 last_peer_port;
	guint8 flags;
} ep_entry;

/* A direction between two hosts that the capture holds packets in, and a
 * host the capture is proven to miss packets to. */
typedef struct {
	guint8 family;
	ss_ip from, to;        /* `to` zero: a host key (deaf) */
} dir_key;

/* The endpoints are kept inline in one open-addressing table
 * (sockscope/oatable.h): nearly every record brings a new one (its
 * client's ephemeral port), and a malloc plus a GHashTable node for each
 * cost more than the rest of the learning. */
struct ss_roles {
	ss_roles_limits lim;
	const ss_hosts *hosts;
	ss_oatable eps;          /* ep_entry, keyed by ep_key */
	gboolean full;           /* a sweep freed too little: no new endpoints */
	guint64 dropped;
	/* What tells a missing answer from a missing direction
	 * (ss_roles_answer_unseen): host-pair directions that held packets
	 * (at most SS_ROLES_MAX_DIRECTIONS), and the hosts that one-sided TCP
	 * records prove the capture misses packets to. */
	ss_oatable directions;   /* dir_key set, inline: a new pair cost a
	                            g_memdup2 and a GHashTable node */
	ss_oatable deaf;         /* dir_key set (host in `from`) */
};

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
	ss_oatable_init(&k->eps, sizeof(ep_entry), sizeof(ep_key));
	ss_oatable_init(&k->directions, sizeof(dir_key), sizeof(dir_key));
	ss_oatable_init(&k->deaf, sizeof(dir_key), sizeof(dir_key));
	return k;
}

void ss_roles_free(ss_roles *k)
{
	if (!k)
		return;
	ss_oatable_clear(&k->eps);
	ss_oatable_clear(&k->directions);
	ss_oatable_clear(&k->deaf);
	g_free(k);
}

guint64 ss_roles_dropped(const ss_roles *k)
{
	return k ? k->dropped : 0;
}

static void make_key(ep_key *key, const ss_conn *c, int side)
{
	memset(key, 0, sizeof *key);
	key->proto = c->proto;
	key->family = c->family;
	key->port = c->ep[side].port;
	key->ip = c->ep[side].ip;
}

static const ep_entry *ep_find(const ss_roles *k, const ss_conn *c, int side)
{
	ep_key key;
	make_key(&key, c, side);
	return ss_oa_find(&k->eps, &key, ss_oa_hash(&key, sizeof key), sizeof key,
			  sizeof(ep_entry));
}

static gboolean one_shot(const ep_entry *e)
{
	return e->records <= 1 && e->replies == 0 && e->flags == 0;
}

static gboolean not_one_shot(const void *e, void *data)
{
	(void)data;
	return !one_shot(e);
}

/* The endpoint's entry, created when there is room.  The pointer holds
 * until the next ep_get(). */
static ep_entry *ep_get(ss_roles *k, const ss_conn *c, int side)
{
	ep_key key;
	make_key(&key, c, side);
	guint32 h = ss_oa_hash(&key, sizeof key);
	gboolean created;
	/* With room, one probe finds or makes the entry (a find and then an
	 * insert walked the probe sequence twice for each new endpoint). */
	if (ss_oatable_size(&k->eps) < k->lim.max_endpoints)
		return ss_oa_insert(&k->eps, &key, h, sizeof key, sizeof(ep_entry), &created);
	ep_entry *e = ss_oa_find(&k->eps, &key, h, sizeof key, sizeof *e);
	if (e)
		return e;
	/* Forget the endpoints seen once that proved nothing: the client
	 * side of most connections.  Amortized: a sweep must free an
	 * eighth of the table, or the table stops growing for good. */
	guint freed = k->full || k->eps.len == 0
			      ? 0
			      : ss_oatable_filter(&k->eps, not_one_shot, NULL);
	k->dropped += freed;
	if (freed < k->lim.max_endpoints / 8 + 1)
		k->full = TRUE;
	if (ss_oatable_size(&k->eps) >= k->lim.max_endpoints) {
		k->dropped++;
		return NULL;
	}
	return ss_oa_insert(&k->eps, &key, h, sizeof key, sizeof *e, &created);
}

/* ---- learning ---- */

void ss_roles_note_record(ss_roles *k, const ss_conn *c)
{
	if (!k)
		return;
	for (int i = 0; i < 2; i++) {
		ep_entry *e = ep_get(k, c, i);
		if (!e)
			continue;
		guint16 peer = c->ep[!i].port;
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
	ep_entry *e = ep_get(k, c, side);
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

static void set_add(ss_oatable *t, const dir_key *d, guint max)
{
	gboolean created;
	if (ss_oatable_size(t) < max)
		ss_oa_insert(t, d, ss_oa_hash(d, sizeof *d), sizeof *d, sizeof *d, &created);
}

static gboolean set_contains(const ss_oatable *t, const dir_key *d)
{
	return ss_oa_find(t, d, ss_oa_hash(d, sizeof *d), sizeof *d, sizeof *d) != NULL;
}

/* Which host-pair directions the record holds packets in; a one-sided TCP
 * record proves the capture misses what its silent side sent to the other
 * (the other side acknowledged it, ss_conn_one_sided). */
static void learn_directions(ss_roles *k, const ss_conn *c)
{
	dir_key d;
	for (int i = 0; i < 2; i++) {
		if (c->ep[i].packets == 0)
			continue;
		dir_make(&d, c->family, &c->ep[i].ip, &c->ep[!i].ip);
		set_add(&k->directions, &d, SS_ROLES_MAX_DIRECTIONS);
	}
	if (c->proto == IPPROTO_TCP && ss_conn_one_sided(c)) {
		int heard = c->ep[0].packets > 0 ? 0 : 1;
		dir_make(&d, c->family, &c->ep[heard].ip, NULL);
		set_add(&k->deaf, &d, SS_ROLES_MAX_DIRECTIONS);
	}
}

gboolean ss_roles_answer_unseen(const ss_roles *k, const ss_conn *c, int client)
{
	if (!k || ss_oatable_size(&k->deaf) == 0)
		return FALSE;
	const ss_endpoint *cl = &c->ep[client], *sv = &c->ep[!client];
	dir_key d;
	dir_make(&d, c->family, &cl->ip, NULL);
	if (!set_contains(&k->deaf, &d))
		return FALSE;
	/* Anything from the server to the client elsewhere in the capture
	 * shows that direction is captured: then the silence is real.  (A
	 * pair the full table could not record counts as unseen: unknown
	 * rather than a wrong "unanswered".) */
	dir_make(&d, c->family, &sv->ip, &cl->ip);
	return !set_contains(&k->directions, &d);
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
	    !ss_ip_is_multicast(c->family, &c->ep[1].ip)) {
		ep_entry *e = ep_get(k, c, 1);
		if (e && e->replies < G_MAXUINT32)
			e->replies++;
	}
}

/* ---- deciding ---- */

/* The tests take the side's entry (NULL: not remembered), looked up once
 * per side for all of them. */
static gboolean is_proven_listener(const ep_entry *e, const ss_conn *c)
{
	if (!e)
		return FALSE;
	if (c->proto == IPPROTO_TCP)
		return (e->flags & EP_PROVEN_LISTENER) != 0;
	return e->replies >= SS_UDP_RESPONDER_MIN_REPLIES && e->peer_changes >= 1;
}

static gboolean is_fan_in(const ep_entry *e, const ss_conn *c)
{
	(void)c;
	if (!e || e->records < SS_FAN_IN_MIN_RECORDS)
		return FALSE;
	/* At least two changes, and in three of four records. */
	return e->peer_changes >= SS_FAN_IN_MIN_RECORDS - 1 &&
	       (guint64)e->peer_changes * 4 >= (guint64)(e->records - 1) * 3;
}

/* The server side when exactly one side passes `test`, else -1. */
static int one_side(const ep_entry *const e[2], const ss_conn *c,
		    gboolean (*test)(const ep_entry *, const ss_conn *))
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
	ss_vnet vnet = ss_tunnel_vnet(&c->tunnel);
	for (int i = 0; i < 2; i++)
		s[i] = eph_score(ss_hosts_ephemeral_verdict(k->hosts, c->family, &c->ep[i].ip,
							    &vnet, c->ep[i].port));
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
			if (ss_ip_is_multicast(c->family, &c->ep[i].ip)) {
				set(c, !i, SS_EVIDENCE_MULTICAST, SS_CONFIDENCE_MEDIUM);
				return;
			}
			if (ss_ip_is_broadcast(c->family, &c->ep[i].ip)) {
				set(c, !i, SS_EVIDENCE_BROADCAST, SS_CONFIDENCE_MEDIUM);
				return;
			}
		}
	}
	if (k) {
		/* Each side's entry once: the tests below looked each up again
		 * (up to four SipHash look-ups, each a likely cache miss). */
		const ep_entry *e[2] = { ep_find(k, c, 0), ep_find(k, c, 1) };
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

	guint16 p0 = c->ep[0].port, p1 = c->ep[1].port;
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
