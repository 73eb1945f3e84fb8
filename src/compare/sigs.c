/* The compare engine's own decode pass: per flow, a compact signature of
 * every TCP/UDP packet (ss_cmp_pkt, 32 bytes) with what survives address
 * translation: sequence and acknowledgement numbers (Linux NAT keeps
 * ISNs), flags, payload length, a hash of the first payload bytes, the
 * TCP option layout, TTL and time.
 *
 * Why a pass of its own: the analysis keeps one ss_conn per flow, made
 * small on purpose, and matching needs per-packet detail that no other
 * output wants.  The app feeds both from one read of the files
 * (ss_file_sources_read_tap), so the files are read once. */
/* memmem() */
#define _GNU_SOURCE
#include "sockscope/compare.h"
#include "sockscope/hash.h"

#include <string.h>

/* The canonical tuple of a flow: lower endpoint first, no padding holes. */
typedef struct {
	guint8 proto, family;
	guint16 port_lo, port_hi;
	guint16 pad_;
	ss_ip ip_lo, ip_hi;
} sig_key;
G_STATIC_ASSERT(sizeof(sig_key) == 40);

SS_BYTES_KEY_FUNCS(sig_key, sig_key)

struct ss_cmp_sigs {
	const ss_decode_config *decode;
	GHashTable *current;       /* sig_key* -> flow index + 1 (the latest flow of the tuple) */
	GArray *flows;             /* ss_cmp_flow */
	guint64 packets;           /* signatures kept */
	/* while collecting: every packet in arrival order and its flow; after
	 * ss_cmp_sigs_finish(): `pkts` grouped by flow, `owner` freed */
	GArray *pkts;              /* ss_cmp_pkt */
	GArray *owner;             /* guint32 flow index per packet */
	gboolean finished;
};

/* Fixed keys: hashes are compared between the two sides of one run and
 * must not depend on the process's random hash key. */
#define PAYLOAD_K0 G_GUINT64_CONSTANT(0x736f636b73636f70)
#define PAYLOAD_K1 G_GUINT64_CONSTANT(0x636f6d7061726521)

ss_cmp_sigs *ss_cmp_sigs_new(const ss_decode_config *decode)
{
	ss_cmp_sigs *s = g_new0(ss_cmp_sigs, 1);
	s->decode = decode;
	s->current = g_hash_table_new_full(sig_key_hash, sig_key_equal, g_free, NULL);
	s->flows = g_array_new(FALSE, TRUE, sizeof(ss_cmp_flow));
	s->pkts = g_array_new(FALSE, FALSE, sizeof(ss_cmp_pkt));
	s->owner = g_array_new(FALSE, FALSE, sizeof(guint32));
	return s;
}

void ss_cmp_sigs_free(ss_cmp_sigs *s)
{
	if (!s)
		return;
	g_array_unref(s->flows);
	g_array_unref(s->pkts);
	if (s->owner)
		g_array_unref(s->owner);
	g_hash_table_unref(s->current);
	g_free(s);
}

guint ss_cmp_sigs_n_flows(const ss_cmp_sigs *s)
{
	return s->flows->len;
}

const ss_cmp_flow *ss_cmp_sigs_flow(const ss_cmp_sigs *s, guint i)
{
	return &g_array_index(s->flows, ss_cmp_flow, i);
}

guint64 ss_cmp_sigs_packets(const ss_cmp_sigs *s)
{
	return s->packets;
}

void ss_cmp_sigs_add_flow(ss_cmp_sigs *s, const ss_cmp_flow *f)
{
	g_return_if_fail(!s->finished);
	guint32 idx = s->flows->len;
	g_array_append_val(s->flows, *f);
	g_array_index(s->flows, ss_cmp_flow, idx).pkts = NULL;
	for (guint i = 0; i < f->n_pkts; i++) {
		g_array_append_val(s->pkts, f->pkts[i]);
		g_array_append_val(s->owner, idx);
	}
	s->packets += f->n_pkts;
}

void ss_cmp_sigs_finish(ss_cmp_sigs *s)
{
	if (s->finished)
		return;
	s->finished = TRUE;
	/* A counting sort by flow: each flow's slice starts where the
	 * packets of the flows before it end; arrival order kept inside. */
	guint nf = s->flows->len;
	guint64 *start = g_new0(guint64, nf + 1);
	for (guint f = 0; f < nf; f++)
		start[f + 1] = start[f] + g_array_index(s->flows, ss_cmp_flow, f).n_pkts;
	GArray *sorted = g_array_sized_new(FALSE, FALSE, sizeof(ss_cmp_pkt), s->pkts->len);
	g_array_set_size(sorted, s->pkts->len);
	ss_cmp_pkt *dst = (ss_cmp_pkt *)(void *)sorted->data;
	const ss_cmp_pkt *src = (const ss_cmp_pkt *)(const void *)s->pkts->data;
	const guint32 *own = (const guint32 *)(const void *)s->owner->data;
	guint64 *next = g_memdup2(start, (nf + 1) * sizeof *start);
	for (guint i = 0; i < s->pkts->len; i++)
		dst[next[own[i]]++] = src[i];
	for (guint f = 0; f < nf; f++)
		g_array_index(s->flows, ss_cmp_flow, f).pkts = dst + start[f];
	g_free(next);
	g_free(start);
	g_array_unref(s->pkts);
	s->pkts = sorted;
	g_array_unref(s->owner);
	s->owner = NULL;
}

static void put_be16(guint8 *p, guint16 v)
{
	p[0] = (guint8)(v >> 8);
	p[1] = (guint8)v;
}

static void put_be32(guint8 *p, guint32 v)
{
	p[0] = (guint8)(v >> 24);
	p[1] = (guint8)(v >> 16);
	p[2] = (guint8)(v >> 8);
	p[3] = (guint8)v;
}

/* The transport header is found by its own fields, which ss_decode()
 * returned: ports, then sequence and acknowledgement numbers for TCP (12
 * bytes), ports and length for UDP (6).  The first occurrence is the one:
 * outer headers (tunnels) come before the inner transport header and an
 * outer one with the same 12 bytes would be the same header. */
static gint64 transport_offset(const ss_packet *p, const guint8 *data, guint32 caplen)
{
	guint8 pat[12];
	gsize n;
	put_be16(pat, p->sport);
	put_be16(pat + 2, p->dport);
	if (p->l4 == SS_L4_TCP) {
		put_be32(pat + 4, p->tcp.seq);
		put_be32(pat + 8, p->tcp.ack);
		n = 12;
	} else {
		put_be16(pat + 4, (guint16)(p->payload_len + 8));
		n = 6;
	}
	const guint8 *hit = memmem(data, caplen, pat, n);
	return hit ? hit - data : -1;
}

/* The option kinds in order and the window scale; not the MSS, which
 * routers clamp, nor timestamps and SACK blocks, which change per
 * segment.  0 when there are no options. */
static guint32 option_signature(const guint8 *opt, gsize len)
{
	guint8 sig[40];
	gsize n = 0;
	gsize i = 0;
	while (i < len && n + 2 < sizeof sig) {
		guint8 kind = opt[i];
		if (kind == 0)
			break;
		sig[n++] = kind;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2)
			break;
		if (kind == 3 && i + 2 < len)
			sig[n++] = opt[i + 2];
		i += opt[i + 1];
	}
	if (n == 0)
		return 0;
	return (guint32)ss_siphash13(sig, n, PAYLOAD_K0, PAYLOAD_K1) | 1u;
}

static void key_of(const ss_packet *p, sig_key *k, gboolean *swapped)
{
	memset(k, 0, sizeof *k);
	k->proto = p->l4 == SS_L4_TCP ? 6 : 17;
	k->family = p->family;
	int c = memcmp(&p->src, &p->dst, sizeof p->src);
	*swapped = c > 0 || (c == 0 && p->sport > p->dport);
	k->ip_lo = *swapped ? p->dst : p->src;
	k->ip_hi = *swapped ? p->src : p->dst;
	k->port_lo = *swapped ? p->dport : p->sport;
	k->port_hi = *swapped ? p->sport : p->dport;
}

static ss_cmp_flow *flow_start(ss_cmp_sigs *s, const ss_packet *p, const sig_key *k, gboolean fresh)
{
	ss_cmp_flow f = { 0 };
	f.proto = k->proto;
	f.family = p->family;
	f.client = -1;
	f.ip[0] = p->src;
	f.ip[1] = p->dst;
	f.port[0] = p->sport;
	f.port[1] = p->dport;
	f.first_ns = p->ts_ns;
	g_array_append_val(s->flows, f);
	guint idx = s->flows->len;   /* + 1 */
	if (fresh)
		g_hash_table_insert(s->current, g_memdup2(k, sizeof *k), GUINT_TO_POINTER(idx));
	else
		g_hash_table_replace(s->current, g_memdup2(k, sizeof *k), GUINT_TO_POINTER(idx));
	return &g_array_index(s->flows, ss_cmp_flow, idx - 1);
}

void ss_cmp_sigs_packet(ss_cmp_sigs *s, int dlt, gint64 ts_ns, const guint8 *data,
			guint32 caplen, guint32 wirelen)
{
	ss_packet p;
	if (ss_decode_with(s->decode, dlt, data, caplen, wirelen, &p) != SS_REASON_OK)
		return;
	if (p.l4 != SS_L4_TCP && p.l4 != SS_L4_UDP)
		return;
	g_return_if_fail(!s->finished);
	p.ts_ns = ts_ns;

	sig_key k;
	gboolean swapped;
	key_of(&p, &k, &swapped);
	gpointer v = g_hash_table_lookup(s->current, &k);
	ss_cmp_flow *f = v ? &g_array_index(s->flows, ss_cmp_flow, GPOINTER_TO_UINT(v) - 1) : NULL;
	gboolean bare_syn = p.l4 == SS_L4_TCP &&
			    (p.tcp.flags & (SS_TCP_SYN | SS_TCP_ACK)) == SS_TCP_SYN;
	if (f && bare_syn) {
		/* A bare SYN with a new ISN on a known tuple is a new connection
		 * (the port was reused), as the analysis decides too. */
		guint from = memcmp(&p.src, &f->ip[0], sizeof p.src) == 0 && p.sport == f->port[0] ? 0 : 1;
		if (f->syn_seen[from] && f->isn[from] != p.tcp.seq)
			f = NULL;
	}
	if (!f)
		f = flow_start(s, &p, &k, v == NULL);

	ss_cmp_pkt sp = { 0 };
	sp.ts_ns = ts_ns;
	sp.from = memcmp(&p.src, &f->ip[0], sizeof p.src) == 0 && p.sport == f->port[0] ? 0 : 1;
	sp.payload_len = p.payload_len;
	sp.ttl = p.ttl;
	if (p.l4 == SS_L4_TCP) {
		sp.seq = p.tcp.seq;
		sp.ack = p.tcp.ack;
		sp.flags = p.tcp.flags;
	}
	gint64 tp = transport_offset(&p, data, caplen);
	if (tp >= 0) {
		gint64 hlen = 8;
		if (p.l4 == SS_L4_TCP && tp + 13 <= (gint64)caplen) {
			hlen = (gint64)(data[tp + 12] >> 4) * 4;
			if (hlen > 20 && tp + hlen <= (gint64)caplen)
				sp.opt_sig = option_signature(data + tp + 20, (gsize)(hlen - 20));
		}
		gint64 off = tp + hlen;
		if (sp.payload_len > 0 && off < (gint64)caplen) {
			gsize n = MIN((gsize)(caplen - off), (gsize)sp.payload_len);
			n = MIN(n, (gsize)SS_CMP_HASH_BYTES);
			sp.payload_hash = (guint32)ss_siphash13(data + off, n, PAYLOAD_K0, PAYLOAD_K1) | 1u;
		}
	}
	if (sp.flags & SS_TCP_SYN) {
		if (!f->syn_seen[sp.from]) {
			f->syn_seen[sp.from] = TRUE;
			f->isn[sp.from] = sp.seq;
			f->syn_opt_sig[sp.from] = sp.opt_sig;
		}
		if (!(sp.flags & SS_TCP_ACK) && f->client < 0)
			f->client = (gint8)sp.from;
	}
	if (f->n_pkts == 0 || ts_ns < f->first_ns)
		f->first_ns = ts_ns;
	if (f->n_pkts == 0 || ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	f->n_pkts++;
	guint32 idx = (guint32)(f - (ss_cmp_flow *)(void *)s->flows->data);
	g_array_append_val(s->pkts, sp);
	g_array_append_val(s->owner, idx);
	s->packets++;
}
