/* Private to the findings module: the accumulator's groups, shared by
 * findings.c (accumulate, rank, pick examples) and findings-text.c (turn a
 * group into a finding's statement, next step and facts). */
#ifndef SOCKSCOPE_FINDINGS_INTERNAL_H
#define SOCKSCOPE_FINDINGS_INTERNAL_H

#include <string.h>

#include "sockscope/decode.h"
#include "sockscope/findings.h"
#include "sockscope/ipset.h"
#include "sockscope/oatable.h"
#include "sockscope/util.h"

typedef enum {
	K_UNANSWERED,   /* per server socket */
	K_REFUSED,      /* per server socket */
	K_SYN_RETX,     /* per server socket */
	K_SLOW,         /* per listener */
	K_SYNACK,       /* per server socket */
	K_REUSE,        /* per server socket */
	K_TW_REUSE,     /* per server socket */
	K_PAIR,         /* per client address and server socket: churn, exhaustion */
	K_SIMUL,        /* per client and server socket */
	K_ICMP,         /* per server socket and ICMP type/code */
	K_ONE_SIDED,    /* one group */
	K_MIDSTREAM,    /* one group */
	K_SNAPLEN,      /* one group */
	K_SILENT,       /* per host whose packets a one-sided record lacks (in
	                   `server`), and its role there (icmp_type: 0 server,
	                   1 client) */
	K_COUNT
} kind;

/* Bytewise hashed (SS_BYTES_KEY_FUNCS): always zero-initialised, and
 * without padding holes.  `vnet`: the virtual network the addresses live
 * in (zero when not tunnelled), so two tenants' identical destinations
 * behind VNI 42 and 43 stay two groups, as their listeners do. */
typedef struct {
	ss_ip server, client;
	guint16 port, client_port;
	guint8 proto, family;
	guint8 icmp_type, icmp_code;
	ss_vnet vnet;
} gkey;
G_STATIC_ASSERT(sizeof(gkey) == 2 * sizeof(ss_ip) + 2 * sizeof(guint16) + 4 * sizeof(guint8) +
		sizeof(ss_vnet));

/* The slowest handshakes of a listener on one side (0 server, 1 client),
 * slowest first.  Only a round trip above SLOW_FLOOR_NS can be shown as an
 * example (every limit is at least that), so only those are kept: the
 * block is made at the first of them, in the accumulator's array of
 * blocks, and its records are in the examples' store, referenced once
 * per example it holds (a faster one dropping out leaves its record to
 * the next when nothing else quotes it: ex_replace() in findings.c).
 * Most listeners of a normal capture never have one; on mixed.pcap,
 * whose listeners are slow, 12 071 blocks hold 29 636 records.  Each
 * block was a g_realloc'd array of records grown one at a time: at
 * capture end those copies and the heap's growth a page at a time were a
 * fifth of the writer thread (docs/performance.md, "The capture-end
 * drain, sixth session"). */
struct slowest {
	gint64 ns[SS_FINDING_EXAMPLES];    /* slowest first */
	guint32 ex[SS_FINDING_EXAMPLES];   /* their records, in the accumulator's store */
	guint32 n;
};
#define SLOW_FLOOR_NS MIN(SS_SLOW_ABSOLUTE_NS, SS_SLOW_MARGIN_NS)

typedef struct {
	gkey k;
	guint64 n;                 /* records */
	union {                    /* the counters of the group's kind */
		struct { guint64 syn_retransmits; } unanswered;
		struct { guint64 by_rst, by_icmp; } refused;
		struct { guint64 retransmits, max_retransmits; } syn_retx;
		struct { guint64 retransmits, incomplete; } synack;
		struct {
			guint64 after_rst, after_fin, after_idle, after_failed, while_open;
		} reuse;
		struct {   /* churn, and what a scan's probes found (findings-scan.c) */
			guint64 short_conns, answered, refused, unanswered;
		} pair;
		struct { guint64 errors; } icmp;
		struct { guint64 packets; } snaplen;
		struct {   /* K_SLOW: handshake round trips per side, the first
			      SS_SLOW_MAX_SAMPLES (g_malloc'd, capacity the next
			      power of two from 4), in ns: guint32 while every
			      one fits, gint64 (`wide`) from the first that
			      does not (slow_rtt() reads either) */
			void *rtt[2];
			guint32 len[2];
			guint32 top[2];   /* 1 + its struct slowest in the accumulator's
			                     `slow`; 0 until a round trip > SLOW_FLOOR_NS */
			guint8 wide[2];
		} slow;
	} c;
	gint64 min_ns, max_ns;     /* SYN wait (K_SYN_RETX), FIN gap (K_TW_REUSE); SS_NO_TIME unset */
	ss_ip_set clients;         /* capped at SS_FINDINGS_MAX_GROUPS */
	guint32 ex[SS_FINDING_EXAMPLES];   /* examples, in the accumulator's store */
	guint32 nex;
} group;

/* Round trip i of side s of a K_SLOW group.  A round trip is stored in 4
 * bytes while every one of the side is below 4.29 s, as nearly all are:
 * on many-flows.pcap the samples were 7.75 MB of gint64 at the peak
 * (heaptrack). */
static inline gint64 slow_rtt(const group *g, int s, guint32 i)
{
	if (g->c.slow.wide[s])
		return ((const gint64 *)g->c.slow.rtt[s])[i];
	return ((const guint32 *)g->c.slow.rtt[s])[i];
}

/* A K_PAIR group (client address, server socket): the most numerous (on
 * mixed.pcap the table is full at SS_FINDINGS_MAX_GROUPS), looked up for
 * every TCP record, so it has an entry of its own, 96 bytes against a
 * group's 152: no clients, times or slow samples, and its record count is
 * answered + refused + unanswered. */
typedef struct {
	gkey k;
	guint64 short_conns, answered, refused, unanswered;
	guint32 ex[SS_FINDING_EXAMPLES];
	guint32 nex;
} pair;
G_STATIC_ASSERT(sizeof(pair) == 96);

static inline guint64 pair_n(const pair *p)
{
	return p->answered + p->refused + p->unanswered;
}

/* Example records, each copied once into one byte arena and shared by
 * every group that quotes it: a record noted in several groups (a
 * refused group and its busy pair, both sides of a listener's
 * slowest...) was stored once per group, 11 010 of mixed.pcap's 37 717
 * stored records and 15 179 of many-flows.pcap's 74 378.  Records no
 * longer quoted are reused (a free list per room).  A group keeps up to
 * SS_FINDING_EXAMPLES indices into it.  The arena is a large array
 * (sockscope/bigarray.h): past 2 MiB it grows without copying, in huge
 * pages.
 *
 * A record is stored packed (ex_pack() in findings.c): a 128-bit map of
 * its 4-byte words that are not zero, then those words, in a room of a
 * multiple of 16 bytes behind an 8-byte header; reading it back
 * (ss_findings_set_examples_at(), at the end, a few thousand times)
 * gives the same bytes.  Nearly half of a record's words are zero (IPv4
 * addresses in 16-byte fields, counters and options a record did not
 * use): on many-flows.pcap 54% of the stored words are not, so the
 * store at the peak went from ~24 MiB resident (30 MB at the end; 36 MB
 * before the eighth session stored each record once at its own length)
 * to ~14 MiB.  Measured in docs/performance.md ("Roll-ups, ninth
 * session"). */
typedef struct {
	guint32 room;   /* bytes after the header (a multiple of EX_ROOM_UNIT) */
	guint32 refs;   /* the groups' and slowest blocks' indices to it */
} ex_head;
G_STATIC_ASSERT(sizeof(ex_head) == 8);

/* Rooms are multiples of 16 bytes, so that a record written over another
 * (a listener's slowest replaced) or into a freed room usually fits. */
#define EX_ROOM_UNIT 16
/* The map has a bit per 4-byte word of the longest record. */
#define EX_MAP_BYTES 16
G_STATIC_ASSERT(sizeof(ss_conn) <= EX_MAP_BYTES * 8 * 4);
#define EX_ROOM_MAX ((EX_MAP_BYTES + sizeof(ss_conn) + EX_ROOM_UNIT - 1) & ~(gsize)(EX_ROOM_UNIT - 1))
#define EX_ROOM_CLASSES (EX_ROOM_MAX / EX_ROOM_UNIT + 1)

typedef struct {
	guint8 *bytes;  /* headers and packed records, each 8-byte aligned */
	gsize len, cap; /* bytes */
	/* per room / EX_ROOM_UNIT: the rooms no group quotes any more (0:
	 * none), each holding the index of the next */
	guint32 free[EX_ROOM_CLASSES];
} ex_store;

/* The room record c takes in the store, packed (for the unit tests). */
gsize ss_findings_ex_room(const ss_conn *c);

/* The listeners' round-trip arrays (group.c.slow.rtt) of up to
 * RTT_POOL_MAX bytes (16 samples of 4 bytes), carved from chunks of
 * RTT_POOL_CHUNK bytes and reused through a free list per power-of-two
 * size.  Each array starts at 4 samples and doubles: mixed.pcap's ~7 600
 * listeners (13 records each on average) made ~40 000 (estimated) malloc and realloc
 * calls in the writer's capture-end drain, scattered heap chunks whose
 * headers missed the cache (realloc, _int_malloc, _int_free...: ~4% of
 * the writer's samples; docs/performance.md, "Findings accumulators,
 * twelfth session").  Larger arrays are malloc'd as before: a pool of up
 * to 4 KiB arrays kept what listeners outgrew on its lists (malloc reuses
 * it for anything), 1.2 MiB at conc-500k.pcap's end and its peak RSS up
 * as much.  Whether an array is pooled follows from its length and width
 * (rtt_bytes() in findings.c). */
#define RTT_POOL_MIN_SHIFT 4    /* 16 bytes: 4 samples of 4 bytes */
#define RTT_POOL_MAX_SHIFT 6    /* 64 bytes */
#define RTT_POOL_MAX ((gsize)1 << RTT_POOL_MAX_SHIFT)
#define RTT_POOL_CLASSES (RTT_POOL_MAX_SHIFT - RTT_POOL_MIN_SHIFT + 1)
#define RTT_POOL_CHUNK ((gsize)64 * 1024)

typedef struct {
	void *free[RTT_POOL_CLASSES];   /* freed arrays of 16 << i bytes, each holding the next */
	guint8 *next, *end;             /* the newest chunk's bytes not handed out yet */
	void *chunks;                   /* the chunks, each starting with the previous one's address */
} rtt_pool;

/* The pairs' entries and the examples' store faulted in ahead of their
 * use on a helper thread (ss_findings_acc_fault_ahead(); findings.c),
 * a page of FAULT_STEP at a time. */
#define FAULT_STEP ((gsize)2 << 20)   /* a huge page: the arrays' mappings are aligned to it */
/* How close to the end of its page the use comes before the next page is
 * asked for: ~7 ms of the writer's use of either array on mixed.pcap,
 * where the helper faults a page in in ~2 ms.  A page asked for and never
 * used is memory spent: with the whole page as the lead (the next page
 * asked for as the use entered one), many-flows.pcap's peak RSS rose by
 * 2 MiB, the examples' store's last page. */
#define FAULT_LEAD ((gsize)512 << 10)

/* A tuple's last packet when it was closed with FIN (time-wait reuse). */
typedef struct {
	ss_flow_key key;               /* first: the table's key */
	gint64 last_ns;
} closed_tuple;

/* An IPv4 flow key packed into three words: the addresses, the ports and
 * VNI, the protocol and tunnel type (its addresses' bytes 4-15 and the
 * key's zero fields are always zero, the family implied), the words
 * closed_hash() hashes (findings.c). */
typedef struct {
	guint64 w[3];
} closed4_key;
G_STATIC_ASSERT(sizeof(closed4_key) == 24);

/* An IPv4 TCP tuple outside any tunnel (nearly all of them) closed with
 * FIN, kept in its slot of an inline table: its addresses, its ports,
 * and when.  On many-flows.pcap the tuples fill the table
 * (SS_FINDINGS_MAX_TUPLES): as an ss_oatable of 32-byte entries they took
 * 8 MiB and their slots 4 more at the peak; in these 24-byte slots, the
 * table grown to the size the bound needs (ss_oa_grown_cap), 8 MiB.
 * Tunnelled tuples and IPv6 ones stay in `closed`. */
typedef struct {
	guint64 addrs;                 /* the key's two addresses' 4 bytes */
	guint32 ports;                 /* its two ports, as in the key */
	guint32 used;                  /* 1: the slot holds a tuple (a key may be all zero) */
	gint64 last_ns;
} closed4_slot;
G_STATIC_ASSERT(sizeof(closed4_slot) == 24);

typedef struct {
	closed4_slot *slots;           /* cap slots, home slot by fast range */
	guint32 cap, len;
} closed4_table;

/* The groups and the closed tuples live inline in open-addressing tables
 * (sockscope/oatable.h): a record of a new (client, server) pair or of a
 * new closed tuple cost one or two mallocs and a GHashTable node. */
struct ss_findings_acc {
	ss_oatable groups[K_COUNT];    /* group, keyed by its gkey; K_PAIR's stays empty */
	ss_oatable pairs;              /* pair, keyed by its gkey */
	ex_store ex;                   /* the groups', pairs' and slowest examples */
	struct slowest *slow;          /* the K_SLOW groups' blocks (group.c.slow.top) */
	guint32 nslow, slow_cap;
	rtt_pool rtts;                 /* the K_SLOW groups' round-trip arrays */
	/* records not added yet, their look-ups prefetched (findings.c) */
	struct acc_pending *ring;      /* ACC_AHEAD of them */
	guint32 ring_head, ring_len;
	/* the hash of the all-zero key of the single groups (one-sided,
	 * mid-stream, snap length): a quarter of many-s's records are
	 * one-sided, and SipHash of 48 bytes is ~230 instructions */
	guint32 zero_h;
	closed4_table closed4;         /* the untunnelled IPv4 TCP tuples */
	ss_oatable closed;             /* closed_tuple, keyed by its flow key: the others */
	ss_hash3_key hk;               /* the tables' hash of IPv4 keys (gkey_oa_hash) */
	/* The helper that faults the pairs' entries and the examples' store
	 * in ahead of their use (ss_findings_acc_fault_ahead(); NULL: none),
	 * and how far from each array's start it has been asked to. */
	struct fault_ahead *fa;
	gsize pairs_faulted, ex_faulted;
	guint64 tcp;                   /* TCP records seen */
	/* records whose answer the capture could not show (outcome unknown) */
	guint64 unknown_tcp, unknown_udp;
};

/* The tables' hash of a key.  An IPv4 key's information packs into three
 * words (its addresses' bytes 4-15 are zero), hashed with AES rounds
 * (ss_hash3): SipHash of the 48 bytes was ~250 instructions, and a TCP
 * record hashes two keys.  Equal keys pack to equal words, which is all
 * the table needs; other keys hash in full, and the family, part of both,
 * keeps the two apart. */
static inline guint32 gkey_oa_hash(const ss_findings_acc *a, const gkey *k)
{
	if (k->family != SS_FAMILY_IPV4)
		return ss_oa_hash(k, sizeof *k);
	guint32 s, c;
	memcpy(&s, k->server.bytes, 4);
	memcpy(&c, k->client.bytes, 4);
	guint64 h = ss_hash3(&a->hk, s | (guint64)c << 32,
			     k->port | (guint64)k->client_port << 16 | (guint64)k->vnet.vni << 32,
			     k->proto | (guint64)k->icmp_type << 8 | (guint64)k->icmp_code << 16 |
				     (guint64)k->vnet.type << 24 | (guint64)k->vnet.has_vni << 32);
	return (guint32)h ? (guint32)h : 1;
}

static inline group *groups_find(const ss_findings_acc *a, kind k, const gkey *key)
{
	return ss_oa_find(&a->groups[k], key, gkey_oa_hash(a, key), sizeof *key, sizeof(group));
}

static inline pair *pairs_find(const ss_findings_acc *a, const gkey *key)
{
	return ss_oa_find(&a->pairs, key, gkey_oa_hash(a, key), sizeof *key, sizeof(pair));
}

/* The group of a pair, as the findings' text reads groups. */
static inline void group_of_pair(const pair *p, group *g)
{
	memset(g, 0, sizeof *g);
	g->k = p->k;
	g->n = pair_n(p);
	g->c.pair.short_conns = p->short_conns;
	g->c.pair.answered = p->answered;
	g->c.pair.refused = p->refused;
	g->c.pair.unanswered = p->unanswered;
	g->min_ns = g->max_ns = SS_NO_TIME;
	memcpy(g->ex, p->ex, sizeof g->ex);
	g->nex = p->nex;
}

/* The i-th slot of kind k's table (i < a->groups[k].len). */
static inline const group *group_at(const ss_findings_acc *a, kind k, guint32 i)
{
	return ss_oa_used(&a->groups[k], i) ? ss_oa_entry(&a->groups[k], i) : NULL;
}

/* The key of a K_PAIR group: a client address and a server socket, in
 * virtual network `vnet`. */
static inline gkey gkey_pair(guint8 proto, guint8 family, const ss_ip *server, guint16 port,
			     const ss_ip *client, const ss_vnet *vnet)
{
	gkey k;
	memset(&k, 0, sizeof k);
	k.vnet = *vnet;
	k.proto = proto;
	k.family = family;
	k.server = *server;
	k.port = port;
	k.client = *client;
	return k;
}

static inline guint n_clients(const group *g)
{
	return ss_ip_set_size(&g->clients);
}

/* ---- building a finding (findings-text.c, findings-scan.c) ---- */

static inline ss_finding *finding_new(const char *id, ss_severity sev, guint64 count)
{
	ss_finding *f = g_new0(ss_finding, 1);
	f->id = id;
	f->severity = sev;
	f->count = count;
	return f;
}

/* One fact of the evidence; `ms`: a duration in ns, written in ms. */
static inline void fact_(ss_finding *f, const char *name, gint64 v, gboolean ms)
{
	if (f->n_facts < SS_FINDING_FACTS_MAX)
		f->facts[f->n_facts++] = (ss_finding_fact){ name, v, ms };
}
#define fact(f, name, v) fact_((f), (name), (v), FALSE)
#define fact_ms(f, name, ns) fact_((f), (name), (ns), TRUE)

static inline const char *plural(guint64 n)
{
	return n == 1 ? "" : "s";
}


static inline char *ip_dup(guint8 family, const ss_ip *ip)
{
	char buf[SS_IP_STRLEN];
	ss_ip_format(family, ip, buf);
	return g_strdup(buf);
}

/* The " (vxlan 42)" that follows an address or socket in a statement when
 * it lives behind a tunnel, as the listener and host tables write it;
 * nothing when not tunnelled. */
static inline void vnet_suffix(GString *b, const ss_vnet *v)
{
	if (v->type == SS_TUNNEL_NONE)
		return;
	g_string_append(b, " (");
	ss_vnet_append(b, v);
	g_string_append_c(b, ')');
}

/* "10.0.0.5", or "10.0.0.5 (vxlan 42)" behind a tunnel. */
static inline char *ip_vnet_dup(guint8 family, const ss_ip *ip, const ss_vnet *v)
{
	char buf[SS_IP_STRLEN];
	ss_ip_format(family, ip, buf);
	GString *b = g_string_new(buf);
	vnet_suffix(b, v);
	return g_string_free(b, FALSE);
}

/* findings.c: copies up to SS_FINDING_EXAMPLES examples into f, sorted by
 * first packet when `sort`. */
void ss_findings_set_examples(ss_finding *f, const ss_conn *ex, guint n, gboolean sort);
/* The same from the indices of examples in a's store. */
void ss_findings_set_examples_at(ss_finding *f, const ss_findings_acc *a, const guint32 *ex,
				 guint n, gboolean sort);

/* findings-scan.c: the port scans and sweeps among the K_PAIR groups. */
typedef struct ss_findings_scans ss_findings_scans;
ss_findings_scans *ss_findings_scans_find(const ss_findings_acc *a);
/* A copy of group g of kind k without the probes of scans (unanswered and
 * refused groups); FALSE when nothing is left. */
gboolean ss_findings_scans_fold(const ss_findings_scans *s, kind k, const group *g, group *out);
/* The port_scan and port_sweep findings; their examples come from `conns`
 * (the report's records, or NULL). */
void ss_findings_scans_report(GPtrArray *out, ss_findings_scans *s, const GPtrArray *conns);
void ss_findings_scans_free(ss_findings_scans *s);

/* findings-text.c: a tunnelled finding's next step names its virtual
 * network and subject (" In vxlan 42: 10.0.0.5 to 10.0.0.9:80."), unless
 * it already names the tenant's host, so that the line pasted alone into a
 * ticket still says which tenant; unchanged outside tunnels. */
void ss_findings_text_tenant(ss_finding *f);
/* findings-text.c: the findings of one group of kind k (< K_ONE_SIDED);
 * some groups give none (below a threshold). */
void ss_findings_text_group(GPtrArray *out, const ss_findings_acc *a, kind k, const group *g);
/* findings-quality.c: the capture-quality findings (one-sided, mid-stream,
 * snap length);
 * `unanswered_unknown`: unanswered attempts not reported because the
 * capture lacks their server's direction. */
void ss_findings_text_quality(GPtrArray *out, const ss_findings_acc *a, const ss_report *r,
			      guint64 unanswered_unknown);
/* The host findings (exhaustion risk, a port both listened on and
 * connected from). */
void ss_findings_text_hosts(GPtrArray *out, const ss_findings_acc *a, const ss_report *r);

#endif
