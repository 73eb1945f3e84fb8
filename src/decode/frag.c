/* IPv4 and IPv6 fragment reassembly for headers: what the decoder needs to
 * read a fragmented datagram's transport header once (sockscope/frag.h has
 * the policy; docs/output.md the counters).
 *
 * The hook is one call in ss_decap_ip() (ip.c) for packets the IP parser
 * marked as fragments.  Everything here is bounded: a datagram keeps the
 * ranges of at most SS_FRAG_MAX_PIECES fragments and the first SS_FRAG_HEAD
 * bytes of its payload; the table holds at most SS_FRAG_MAX_DATAGRAMS, in
 * arrival order, so the oldest is the one a full table or a timeout drops.
 * Keys are hashed with the tree's keyed SipHash (sockscope/hash.h): an
 * attacker choosing fragment ids and addresses cannot pile them into one
 * chain. */
#include <string.h>

#include "decode/internal.h"
#include "sockscope/frag.h"
#include "sockscope/hash.h"

typedef struct {
	ss_ip src, dst;
	guint32 id;
	guint8 family;
	guint8 proto;      /* IPv4 only: IPv6 fragments of one datagram may differ */
	guint8 pad[2];
} frag_key;
G_STATIC_ASSERT(sizeof(frag_key) == 40);

enum { COLLECTING, DELIVERED, DROPPED };

typedef struct frag_dgram {
	frag_key key;
	struct frag_dgram *next;   /* in its hash bucket */
	GList *node;               /* in the arrival queue */
	gint64 first_ns;
	guint32 total;             /* payload length, once the last fragment is seen */
	gboolean have_total;
	guint8 state;
	guint8 proto;              /* of the offset-0 fragment */
	guint8 n;
	guint32 hdr_len;           /* the offset-0 fragment's IP header bytes */
	struct {
		guint32 off, end, cap_end;   /* declared [off, end), captured up to cap_end */
	} pieces[SS_FRAG_MAX_PIECES];
	guint8 head[SS_FRAG_HEAD];
} frag_dgram;

#define N_BUCKETS (2 * SS_FRAG_MAX_DATAGRAMS)

struct ss_frag_table {
	frag_dgram *buckets[N_BUCKETS];
	GQueue order;              /* frag_dgram*, oldest first */
	gint64 now_ns;
};

/* The key is zero-initialised (pad included), so equal keys are equal
 * bytes and ss_hash_bytes() applies as for the other capture-keyed tables. */
static guint bucket_of(const frag_key *k)
{
	return ss_hash_bytes(k, sizeof *k) % N_BUCKETS;
}

ss_frag_table *ss_frag_table_new(void)
{
	ss_frag_table *t = g_new0(ss_frag_table, 1);
	g_queue_init(&t->order);
	t->now_ns = G_MININT64;
	return t;
}

static void forget(ss_frag_table *t, frag_dgram *d)
{
	frag_dgram **pp = &t->buckets[bucket_of(&d->key)];
	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
	g_queue_delete_link(&t->order, d->node);
	g_free(d);
}

void ss_frag_table_free(ss_frag_table *t)
{
	if (!t)
		return;
	while (t->order.head)
		forget(t, t->order.head->data);
	g_free(t);
}

void ss_frag_table_expire(ss_frag_table *t, gint64 now_ns)
{
	t->now_ns = now_ns;
	/* Arrival order is time order unless the capture's clock steps back;
	 * then an entry lives a little longer, never unbounded (the cap). */
	while (t->order.head) {
		frag_dgram *d = t->order.head->data;
		if (now_ns - d->first_ns <= SS_FRAG_TIMEOUT_NS)
			break;
		forget(t, d);
	}
}

guint ss_frag_table_size(const ss_frag_table *t)
{
	return t->order.length;
}

static frag_dgram *lookup(ss_frag_table *t, const frag_key *k, gboolean create)
{
	guint b = bucket_of(k);
	for (frag_dgram *d = t->buckets[b]; d; d = d->next)
		if (memcmp(&d->key, k, sizeof *k) == 0)
			return d;
	if (!create)
		return NULL;
	if (t->order.length >= SS_FRAG_MAX_DATAGRAMS)
		forget(t, t->order.head->data);   /* the oldest makes room */
	frag_dgram *d = g_new0(frag_dgram, 1);
	d->key = *k;
	d->first_ns = t->now_ns;
	d->next = t->buckets[b];
	t->buckets[b] = d;
	g_queue_push_tail(&t->order, d);
	d->node = t->order.tail;
	return d;
}

/* How many payload bytes from the start of the fragmentable part the
 * transport header needs, reading what `p` holds (avail bytes) to follow
 * IPv6 extension headers and the TCP data offset; at most SS_FRAG_HEAD. */
static guint32 header_need(guint8 family, guint8 proto, const guint8 *p, guint32 avail)
{
	guint32 off = 0;
	for (guint i = 0; i <= SS_MAX_IPV6_EXT; i++) {
		if (family == SS_FAMILY_IPV6 && ss_ipv6_is_ext(proto)) {
			if (proto == SS_IPPROTO_FRAGMENT || avail < off + 2)
				return MIN(off + 8, SS_FRAG_HEAD);
			guint32 hlen = proto == SS_IPPROTO_AH ? ((guint32)p[off + 1] + 2) * 4
							      : ((guint32)p[off + 1] + 1) * 8;
			proto = p[off];
			off += hlen;
			if (off >= SS_FRAG_HEAD)
				return SS_FRAG_HEAD;
			continue;
		}
		guint32 need;
		switch (proto) {
		case SS_IPPROTO_TCP:
			need = 20;
			if (avail >= off + 13)
				need = MAX(20u, (guint32)(p[off + 12] >> 4) * 4);
			break;
		case SS_IPPROTO_UDP:
			need = 8;
			break;
		case SS_IPPROTO_ICMP:
			need = 8 + 20 + 8;    /* an error quotes an IP header and 8 bytes */
			break;
		case SS_IPPROTO_ICMPV6:
			need = 8 + 40 + 8;
			break;
		default:
			need = 0;
			break;
		}
		return MIN(off + need, SS_FRAG_HEAD);
	}
	return MIN(off, SS_FRAG_HEAD);
}

/* The captured bytes contiguous from offset 0. */
static guint32 contiguous(const frag_dgram *d)
{
	guint32 prefix = 0;
	gboolean grew = TRUE;
	while (grew) {
		grew = FALSE;
		for (guint i = 0; i < d->n; i++)
			if (d->pieces[i].off <= prefix && d->pieces[i].cap_end > prefix) {
				prefix = d->pieces[i].cap_end;
				grew = TRUE;
			}
	}
	return prefix;
}

ss_reason ss_frag_add(ss_frag_table *t, gint64 now_ns, ss_ip_view *v, gboolean *rebuilt)
{
	*rebuilt = FALSE;
	ss_frag_table_expire(t, now_ns);
	frag_key k;
	memset(&k, 0, sizeof k);
	k.src = v->src;
	k.dst = v->dst;
	k.id = v->frag_id;
	k.family = v->family;
	k.proto = v->family == SS_FAMILY_IPV4 ? v->frag_proto : 0;

	guint32 off = v->frag_off, len = v->frag_len;
	guint32 end = off + len;
	if (end > 65535) {
		frag_dgram *d = lookup(t, &k, FALSE);
		if (d)
			d->state = DROPPED;
		return SS_REASON_FRAG_OVERSIZE;
	}
	guint32 cap = MIN(len, (guint32)v->frag_data.len);

	frag_dgram *d = lookup(t, &k, FALSE);
	/* The common case: the first fragment, arriving first, holds the
	 * whole transport header.  It is decoded as it is; the entry only
	 * remembers it for the overlap check and to count the rest once. */
	gboolean complete_head = off == 0 &&
		len >= header_need(v->family, v->frag_proto, v->frag_data.p, cap);
	if (!d)
		d = lookup(t, &k, TRUE);
	if (d->state == DROPPED)
		return SS_REASON_IP_FRAGMENT;

	for (guint i = 0; i < d->n; i++) {
		guint32 o = d->pieces[i].off, e = d->pieces[i].end;
		if (o == off && e == end)
			return SS_REASON_IP_FRAGMENT;   /* an exact duplicate: ignored */
		if (off < e && o < end) {
			d->state = DROPPED;
			return (o <= off && end <= e) || (off <= o && e <= end) ?
				SS_REASON_FRAG_TEARDROP : SS_REASON_FRAG_OVERLAP;
		}
	}
	/* A second "last" fragment, or a fragment past the last one's end,
	 * contradicts the datagram's length: an overlap by another name. */
	gboolean past_end = d->have_total && (end > d->total || !v->frag_more);
	for (guint i = 0; i < d->n && !v->frag_more; i++)
		past_end |= d->pieces[i].end > end;
	if (past_end) {
		d->state = DROPPED;
		return SS_REASON_FRAG_OVERLAP;
	}
	if (d->n >= SS_FRAG_MAX_PIECES) {
		d->state = DROPPED;
		return SS_REASON_FRAG_DROPPED;
	}
	d->pieces[d->n].off = off;
	d->pieces[d->n].end = end;
	d->pieces[d->n].cap_end = off + cap;
	d->n++;
	if (!v->frag_more) {
		d->have_total = TRUE;
		d->total = end;
	}
	if (off < SS_FRAG_HEAD)
		memcpy(d->head + off, v->frag_data.p, MIN(cap, SS_FRAG_HEAD - off));
	if (off == 0) {
		d->proto = v->frag_proto;
		d->hdr_len = v->ip_len - v->frag_len;
	}

	if (d->state == DELIVERED)
		return SS_REASON_IP_FRAGMENT;
	if (complete_head && d->n == 1) {
		d->state = DELIVERED;
		return SS_REASON_OK;            /* decoded by the caller, as it is */
	}

	/* Held until the offset-0 fragment and the bytes after it hold the
	 * transport header (or the whole datagram, if shorter). */
	gboolean have_first = FALSE;
	for (guint i = 0; i < d->n; i++)
		have_first |= d->pieces[i].off == 0;
	guint32 prefix = MIN(contiguous(d), SS_FRAG_HEAD);
	guint32 need = have_first ? header_need(v->family, d->proto, d->head, prefix) : 1;
	gboolean whole = d->have_total && prefix >= d->total;
	if (!have_first || (prefix < need && !whole))
		return off == 0 && len < need ? SS_REASON_FRAG_TINY : SS_REASON_IP_FRAGMENT;

	/* Ready: the caller decodes the header from the reassembled bytes. */
	d->state = DELIVERED;
	v->proto = d->proto;
	v->l4 = ss_cursor_make(d->head, prefix);
	v->l4_len = d->have_total ? d->total : prefix;
	v->l4_len_guessed = FALSE;
	v->first_fragment = !whole;   /* the datagram is longer than what is here */
	v->ip_len = d->hdr_len + v->l4_len;
	*rebuilt = TRUE;
	return SS_REASON_OK;
}
