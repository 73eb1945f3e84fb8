/* The listener roll-up (sockscope/listeners.h): one accumulator per
 * listening socket, keyed by protocol, family, address, port and the
 * virtual network (tunnel type and VNI) it lives in, with the
 * distinct client addresses in an inline IP set (capped, and said so).
 * The accumulators live in one open-addressing table (sockscope/oatable.h):
 * no malloc'd node or key per listener. */
#include "sockscope/listeners.h"
#include "sockscope/ipset.h"
#include "sockscope/oatable.h"
#include "sockscope/services.h"

#include <netinet/in.h>
#include <string.h>

/* Here rather than in report/: the states are the roll-up's, and layers
 * below the formats (compare/drift.c) name them too. */
const char *ss_listener_state_name(ss_listener_state s)
{
	switch (s) {
	case SS_LISTENER_OPEN:
		return "open";
	case SS_LISTENER_CLOSED:
		return "closed";
	case SS_LISTENER_FILTERED:
		return "filtered";
	case SS_LISTENER_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

gint ss_listener_cmp(gconstpointer pa, gconstpointer pb)
{
	const ss_listener *a = pa, *b = pb;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->ip.bytes, b->ip.bytes, sizeof a->ip.bytes);
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	/* Last, so a capture without tunnels keeps its order. */
	return ss_vnet_cmp(&a->vnet, &b->vnet);
}

/* A TCP record of RSTs alone (no SYN, data, FIN or plain ACK on either
 * side): the server-only capture of a refused SYN, or an abort.  It
 * proves nothing about the socket, least of all that it is open. */
static gboolean rst_only(const ss_conn *c)
{
	return c->proto == IPPROTO_TCP && ((c->sent[0] | c->sent[1]) & ~SS_SENT_RST) == 0;
}

static gboolean answered(const ss_conn *c)
{
	ss_outcome o = c->outcome;
	if (o == SS_OUTCOME_MIDSTREAM && rst_only(c))
		return FALSE;
	return o == SS_OUTCOME_COMPLETE || o == SS_OUTCOME_INCOMPLETE ||
	       o == SS_OUTCOME_MIDSTREAM || o == SS_OUTCOME_ANSWERED;
}

/* An entry with no connection (l.connections 0) is a server socket that
 * only multicast or broadcast receivers used: numbered for the hosts'
 * (host, server) pairs (ss_listeners_socket), never a listener. */
typedef struct {
	ss_listener_key k;     /* first: the table's key (zero-padded) */
	ss_listener l;
	ss_ip_set clients;
} listener_acc;

struct ss_listeners {
	ss_oatable by_key;     /* listener_acc, keyed by ss_listener_key */
	ss_hash3_key hk;       /* by_key's hash of IPv4-shaped keys (key_hash) */
	/* the hashes of the server sockets ss_listeners_prefetch() looked
	 * at (sockscope/oatable.h's memo), for socket_of() */
	ss_oa_memo memo[SS_OA_MEMO];
};

G_STATIC_ASSERT(sizeof(ss_listener_key) <= SS_OA_MEMO_KEY);

/* A server socket's key as words (sockscope/oatable.h's ss_oa_kw: made
 * in registers, never read back from narrower stores): the words of
 * ss_listener_key_make()'s bytes. */
static inline void socket_kw(ss_oa_kw *kw, const ss_conn *c, int srv)
{
	const ss_ip *ip = ss_conn_ip(c, srv);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	guint32 a, d;
	guint64 b;
	memcpy(&a, ip->bytes, sizeof a);
	memcpy(&b, ip->bytes + 4, sizeof b);
	memcpy(&d, ip->bytes + 12, sizeof d);
	guint64 v = ss_conn_vnet_word(c);
	G_STATIC_ASSERT(G_STRUCT_OFFSET(ss_listener_key, ip) == 4 &&
			G_STRUCT_OFFSET(ss_listener_key, vnet) == 20);
	kw->w[0] = c->proto | (guint64)c->family << 8 | (guint64)ss_conn_port(c, srv) << 16 |
		   (guint64)a << 32;
	kw->w[1] = b;
	kw->w[2] = d | v << 32;
	kw->w[3] = v >> 32;
#else
	ss_vnet v = ss_tunnel_vnet(ss_conn_tunnel(c));
	ss_listener_key k = ss_listener_key_make(c->proto, c->family, ip, ss_conn_port(c, srv), &v);
	ss_oa_kw_from(kw, &k, sizeof k);
#endif
}

/* by_key's hash of a socket's key (ss_oa_kw_hash_addr). */
G_ALWAYS_INLINE static inline guint32 key_hash(const void *ctx, const ss_oa_kw *kw)
{
	const ss_listeners *ls = ctx;
	return ss_oa_kw_hash_addr(&ls->hk, kw, sizeof(ss_listener_key));
}

static ss_oa_memo *key_memo(ss_listeners *ls, const ss_conn *c, int srv)
{
	return &ls->memo[ss_oa_memo_index(ss_conn_ip(c, srv)->bytes, ss_conn_port(c, srv))];
}

void ss_listeners_prefetch(ss_listeners *ls, const ss_conn *c)
{
	/* the peer of the likely client */
	int srv = !ss_conn_likely_client(c);
	ss_oa_kw kw;
	socket_kw(&kw, c, srv);
	ss_oa_prefetch_slot(&ls->by_key, ss_oa_memo_note(key_memo(ls, c, srv), &kw,
							 sizeof(ss_listener_key), key_hash, ls));
}

/* The memo slot the record's likely server socket was noted in by
 * ss_listeners_prefetch(), found from its address and port alone: the
 * later steps take the key the slot holds as it is, without building the
 * record's key again (building it, 28 bytes written in pieces and read
 * back whole, stalled on store forwarding: half of the samples of the
 * key's making).  A slot since taken by another key makes the step fetch
 * useless lines, nothing worse. */
static const ss_oa_memo *likely_memo(const ss_listeners *ls, const ss_conn *c, int *client)
{
	*client = ss_conn_likely_client(c);
	return &ls->memo[ss_oa_memo_index(ss_conn_ip(c, !*client)->bytes,
					  ss_conn_port(c, !*client))];
}

void ss_listeners_prefetch_entry(ss_listeners *ls, const ss_conn *c)
{
	int client;
	const ss_oa_memo *m = likely_memo(ls, c, &client);
	if (m->h)
		ss_oa_prefetch_entry(&ls->by_key, m->h);
}

guint32 ss_listeners_prefetch_clients(ss_listeners *ls, const ss_conn *c)
{
	int client;
	const ss_oa_memo *m = likely_memo(ls, c, &client);
	if (!m->h)
		return SS_LISTENERS_NONE;
	ss_oa_kw kw;
	ss_oa_kw_from(&kw, m->key, sizeof(ss_listener_key));
	const listener_acc *acc =
		ss_oa_find_kw(&ls->by_key, &kw, m->h, sizeof(ss_listener_key), sizeof *acc);
	if (!acc)
		return SS_LISTENERS_NONE;
	ss_ip_set_prefetch(&acc->clients, ss_conn_ip(c, client));
	return (guint32)(((const guint8 *)acc - ls->by_key.entries) / sizeof *acc);
}

ss_listeners *ss_listeners_new(void)
{
	ss_listeners *ls = g_new0(ss_listeners, 1);
	ss_oatable_init(&ls->by_key, sizeof(listener_acc), sizeof(ss_listener_key));
	ss_hash3_key_init(&ls->hk);
	return ls;
}

static void clear_all(ss_listeners *ls)
{
	for (guint32 i = 0; i < ls->by_key.len; i++) {
		listener_acc *acc = ss_oa_entry(&ls->by_key, i);
		ss_ip_set_clear(&acc->clients);
	}
	ss_oatable_clear(&ls->by_key);
}

void ss_listeners_free(ss_listeners *ls)
{
	if (!ls)
		return;
	clear_all(ls);
	g_free(ls);
}

ss_listeners *ss_listeners_copy(const ss_listeners *src)
{
	ss_listeners *ls = g_new0(ss_listeners, 1);
	ss_oatable_copy(&ls->by_key, &src->by_key);
	ls->hk = src->hk;
	for (guint32 i = 0; i < ls->by_key.len; i++) {
		listener_acc *acc = ss_oa_entry(&ls->by_key, i);
		ss_ip_set from = acc->clients;
		ss_ip_set_copy(&acc->clients, &from);
	}
	return ls;
}

/* The entry of the record's server socket, and its number. */
static listener_acc *socket_of(ss_listeners *ls, const ss_conn *c, guint32 *id)
{
	int srv = !c->client;
	ss_oa_kw kw;
	socket_kw(&kw, c, srv);
	gboolean created;
	guint32 h = ss_oa_memo_hash(key_memo(ls, c, srv), &kw, sizeof(ss_listener_key), key_hash, ls);
	listener_acc *acc = ss_oa_insert_kw(&ls->by_key, &kw, h, sizeof(ss_listener_key),
					    sizeof *acc, &created);
	*id = (guint32)(((guint8 *)acc - ls->by_key.entries) / sizeof *acc);
	return acc;
}

guint32 ss_listeners_socket(ss_listeners *ls, const ss_conn *c)
{
	guint32 id;
	socket_of(ls, c, &id);
	return id;
}

gboolean ss_conn_reaches_listener(const ss_conn *c)
{
	if (c->client != 0 && c->client != 1)
		return FALSE;
	/* Both ends of a simultaneous open connected: nobody listened. */
	if (c->outcome == SS_OUTCOME_SIMULTANEOUS)
		return FALSE;
	/* A listener made from a guess would be invented (issue 13). */
	if (ss_conn_roles_unknown(c))
		return FALSE;
	/* A group or broadcast address receives; it is no listening socket. */
	return c->evidence != SS_EVIDENCE_MULTICAST && c->evidence != SS_EVIDENCE_BROADCAST;
}

guint32 ss_listeners_add(ss_listeners *ls, const ss_conn *c)
{
	if (!ss_conn_reaches_listener(c))
		return SS_LISTENERS_NONE;
	guint32 id;
	listener_acc *acc = socket_of(ls, c, &id);
	if (acc->l.connections == 0) {   /* new, or numbered only so far */
		acc->l.proto = c->proto;
		acc->l.family = c->family;
		acc->l.ip = *ss_conn_server_ip(c);
		acc->l.port = ss_conn_server_port(c);
		acc->l.vnet = acc->k.vnet;
		acc->l.state = SS_LISTENER_FILTERED;
		acc->l.confidence = c->confidence;
		acc->l.first_ns = acc->l.last_ns = SS_NO_TIME;
		acc->l.service = ss_service_name(c->proto, ss_conn_server_port(c));
	}
	ss_listener *l = &acc->l;
	l->connections++;
	l->outcomes[c->outcome]++;
	l->confidence = MAX(l->confidence, c->confidence);
	if (answered(c))
		l->state = SS_LISTENER_OPEN;
	else if (c->outcome == SS_OUTCOME_REJECTED && l->state != SS_LISTENER_OPEN)
		l->state = SS_LISTENER_CLOSED;
	else if ((c->outcome == SS_OUTCOME_UNKNOWN || rst_only(c)) &&
		 l->state == SS_LISTENER_FILTERED)
		/* one attempt whose answer the capture could not show is enough
		 * not to call the socket filtered */
		l->state = SS_LISTENER_UNKNOWN;
	gint64 first, last;
	ss_conn_span(c, &first, &last);
	if (l->first_ns == SS_NO_TIME || first < l->first_ns)
		l->first_ns = first;
	gint64 c_last = ss_conn_last_ns(c);
	if (l->last_ns == SS_NO_TIME || c_last > l->last_ns)
		l->last_ns = c_last;
	if (ss_ip_set_size(&acc->clients) < SS_LISTENER_MAX_CLIENTS)
		ss_ip_set_add(&acc->clients, ss_conn_client_ip(c));
	else if (!ss_ip_set_contains(&acc->clients, ss_conn_client_ip(c)))
		l->clients_capped = TRUE;
	return id;
}

GArray *ss_listeners_take(ss_listeners *ls)
{
	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(ss_listener),
					ss_oatable_size(&ls->by_key));
	for (guint32 i = 0; i < ls->by_key.len; i++) {
		listener_acc *acc = ss_oa_entry(&ls->by_key, i);
		if (acc->l.connections == 0)
			continue;   /* a socket only multicast or broadcast used */
		acc->l.clients = ss_ip_set_size(&acc->clients);
		g_array_append_val(out, acc->l);
	}
	clear_all(ls);
	g_array_sort(out, ss_listener_cmp);
	return out;
}
