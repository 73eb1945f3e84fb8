/* The host view and ephemeral-port profiles (include/sockscope/hosts.h).
 *
 * Everything is integer arithmetic so the same capture gives the same
 * report on every platform. */
#include "sockscope/hosts.h"
#include "sockscope/report.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>

/* ---- ephemeral-port profile ---- */

typedef struct {
	ss_eph_default id;
	guint16 low, high;
} default_range;

/* Smallest first: among the defaults all samples fit, the smallest is the
 * most likely (uniform samples: likelihood (1/size)^n). */
static const default_range defaults[] = {
	{ SS_EPH_WINDOWS_OLD, 1025, 5000 },
	{ SS_EPH_IANA, 49152, 65535 },
	{ SS_EPH_LINUX, 32768, 60999 },
	{ SS_EPH_FREEBSD, 10000, 65535 },
};
static const ss_eph_default default_order[] = {
	SS_EPH_WINDOWS_OLD, SS_EPH_IANA, SS_EPH_LINUX, SS_EPH_FREEBSD,
};

/* Linux steps its per-destination offset by 2 plus a small random even
 * increment (net/ipv4/inet_hashtables.c: up to 2 * 7), so a step to the same
 * destination is 2..16; ports busy in between make it longer, rarely. */
#define STEP_MAX 16
/* A drop is a wrap-around when it lands this close to the bottom of the
 * observed range from this close to its top (both ends together). */
#define WRAP_SLACK (2 * STEP_MAX)

gsize ss_eph_defaults(const ss_eph_default **ids)
{
	*ids = default_order;
	return G_N_ELEMENTS(default_order);
}

void ss_eph_default_bounds(ss_eph_default d, guint16 *low, guint16 *high)
{
	*low = *high = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++)
		if (defaults[i].id == d) {
			*low = defaults[i].low;
			*high = defaults[i].high;
		}
}

static void note_drop(guint64 *n, gint32 *least, gint32 step)
{
	if (*n == 0 || step > *least)
		*least = step;
	(*n)++;
}

void ss_eph_stats_add(ss_eph_stats *s, guint16 port, gint32 prev_same_dest)
{
	if (s->samples == 0) {
		s->min = s->max = port;
	} else {
		s->min = MIN(s->min, port);
		s->max = MAX(s->max, port);
		gint32 step = (gint32)port - (gint32)s->last;
		if (step >= 1 && step <= 8)
			s->small_steps++;
		else if (step < 0)
			note_drop(&s->drops, &s->drop_least, step);
	}
	if (prev_same_dest >= 0) {
		gint32 step = (gint32)port - prev_same_dest;
		s->dest_steps++;
		if (step >= 2 && step <= STEP_MAX && step % 2 == 0)
			s->dest_even_up++;
		else if (step < 0)
			note_drop(&s->dest_drops, &s->dest_drop_least, step);
	}
	s->last = port;
	s->samples++;
	if (port % 2 == 0)
		s->even++;
}

/* Could n uniform random samples from a range of `size` ports plausibly all
 * fall within a span of `span` ports?  (span/size)^n >= 1/10000, computed
 * in Q32 fixed point. */
static gboolean coverage_plausible(guint64 span, guint64 size, guint64 n)
{
	const guint64 one = G_GUINT64_CONSTANT(1) << 32;
	const guint64 threshold = one / 10000;
	guint64 x = one;
	for (guint64 i = 0; i < n; i++) {
		x = x * span / size;
		if (x < threshold)
			return FALSE;
	}
	return TRUE;
}

/* Every drop went from near the top of the observed range to near its
 * bottom: the allocator wrapped around, so min-max is its whole range. */
static gboolean drops_are_wraps(guint64 drops, gint32 least, guint16 min, guint16 max)
{
	return drops > 0 && (gint32)(max - min) + least <= WRAP_SLACK;
}

/* The OS family an allocation pattern points to. */
static gboolean pattern_points_to(ss_alloc_pattern p, ss_eph_default d)
{
	switch (p) {
	case SS_ALLOC_SEQUENTIAL:
		return d == SS_EPH_IANA || d == SS_EPH_WINDOWS_OLD;
	case SS_ALLOC_STEPPING:
	case SS_ALLOC_EVEN:
	case SS_ALLOC_ODD:
		return d == SS_EPH_LINUX;
	default:
		return FALSE;   /* random: the likelihood alone decides */
	}
}

static void set_range(ss_eph_profile *out, ss_eph_default d, guint16 low, guint16 high,
		      ss_eph_basis basis)
{
	out->fits = d;
	out->low = low;
	out->high = high;
	out->basis = basis;
}

void ss_eph_profile_compute(const ss_eph_stats *s, ss_eph_profile *out)
{
	memset(out, 0, sizeof *out);
	out->fits = SS_EPH_UNKNOWN;
	out->pattern = SS_ALLOC_UNKNOWN;
	out->basis = SS_EPH_BASIS_FEW_SAMPLES;
	for (gsize i = 0; s->samples > 0 && i < G_N_ELEMENTS(defaults); i++)
		if (s->min >= defaults[i].low && s->max <= defaults[i].high)
			out->consistent |= 1u << defaults[i].id;
	if (s->samples < SS_EPH_MIN_SAMPLES)
		return;
	if (s->min == s->max) {
		/* nmap and other scanners bind one source port for every probe:
		 * nothing allocated it, so it says nothing of the range */
		out->basis = SS_EPH_BASIS_FIXED;
		return;
	}

	gboolean one_parity = s->even == s->samples || s->even == 0;
	gboolean dest_wraps = drops_are_wraps(s->dest_drops, s->dest_drop_least, s->min, s->max);
	gboolean wraps = drops_are_wraps(s->drops, s->drop_least, s->min, s->max);
	guint64 stepping = s->dest_even_up + (dest_wraps ? s->dest_drops : 0);
	guint64 sequential = s->small_steps + (wraps ? s->drops : 0);
	/* Stepping: 3 of 4 same-destination steps (and at least half the
	 * samples) went 2..16 up or wrapped.  Sequential: 3 of 4 steps were
	 * small and upwards (or wrapped). */
	if (one_parity && s->dest_steps * 2 >= s->samples && stepping * 4 >= s->dest_steps * 3) {
		out->pattern = SS_ALLOC_STEPPING;
		out->wraps = dest_wraps ? s->dest_drops : 0;
	} else if (sequential * 4 >= (s->samples - 1) * 3) {
		out->pattern = SS_ALLOC_SEQUENTIAL;
		out->wraps = wraps ? s->drops : 0;
	} else if (s->even == s->samples) {
		out->pattern = SS_ALLOC_EVEN;
	} else if (s->even == 0) {
		out->pattern = SS_ALLOC_ODD;
	} else {
		out->pattern = SS_ALLOC_RANDOM;
	}
	gboolean ordered = out->pattern == SS_ALLOC_STEPPING || out->pattern == SS_ALLOC_SEQUENTIAL;

	if (out->consistent == 0) {
		set_range(out, SS_EPH_CUSTOM, s->min, s->max, SS_EPH_BASIS_OUTSIDE);
		return;
	}

	guint64 span = (guint64)s->max - s->min + 1;
	/* pass 0: the defaults the pattern points to; pass 1: any default */
	for (int pass = 0; pass < 2; pass++) {
		for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++) {
			const default_range *d = &defaults[i];
			if (!(out->consistent & (1u << d->id)))
				continue;
			if (pass == 0 && !pattern_points_to(out->pattern, d->id))
				continue;
			guint64 size = (guint64)d->high - d->low + 1;
			/* A wrap-around shows the whole range: narrower than this
			 * default (beyond the steps' slack), it is a custom one. */
			if (out->wraps > 0 && span + WRAP_SLACK < size) {
				set_range(out, SS_EPH_CUSTOM, s->min, s->max, SS_EPH_BASIS_WRAP);
				return;
			}
			/* An ordered allocator covers only a slice of its range; a
			 * random one spreads over it, so a narrow spread means a
			 * narrower, custom range. */
			if (!ordered && !coverage_plausible(span, size, s->samples))
				continue;
			set_range(out, d->id, d->low, d->high,
				  pass == 0 ? SS_EPH_BASIS_PATTERN : SS_EPH_BASIS_NARROWEST);
			return;
		}
	}
	set_range(out, SS_EPH_CUSTOM, s->min, s->max, SS_EPH_BASIS_COVERAGE);
}

const char *ss_eph_default_name(ss_eph_default d)
{
	switch (d) {
	case SS_EPH_UNKNOWN: return "unknown";
	case SS_EPH_LINUX: return "linux";
	case SS_EPH_IANA: return "iana";
	case SS_EPH_FREEBSD: return "freebsd";
	case SS_EPH_WINDOWS_OLD: return "windows_old";
	case SS_EPH_CUSTOM: return "custom";
	case SS_EPH_COUNT: break;
	}
	return "unknown";
}

const char *ss_eph_default_label(ss_eph_default d)
{
	switch (d) {
	case SS_EPH_UNKNOWN: return "unknown";
	case SS_EPH_LINUX: return "Linux";
	case SS_EPH_IANA: return "Windows/macOS/IANA";
	case SS_EPH_FREEBSD: return "FreeBSD";
	case SS_EPH_WINDOWS_OLD: return "old Windows";
	case SS_EPH_CUSTOM: return "custom";
	case SS_EPH_COUNT: break;
	}
	return "unknown";
}

const char *ss_alloc_pattern_name(ss_alloc_pattern p)
{
	switch (p) {
	case SS_ALLOC_UNKNOWN: return "unknown";
	case SS_ALLOC_SEQUENTIAL: return "sequential";
	case SS_ALLOC_STEPPING: return "stepping";
	case SS_ALLOC_EVEN: return "even_only";
	case SS_ALLOC_ODD: return "odd_only";
	case SS_ALLOC_RANDOM: return "random";
	case SS_ALLOC_COUNT: break;
	}
	return "unknown";
}

const char *ss_eph_basis_name(ss_eph_basis b)
{
	switch (b) {
	case SS_EPH_BASIS_FEW_SAMPLES: return "few_samples";
	case SS_EPH_BASIS_PATTERN: return "pattern";
	case SS_EPH_BASIS_NARROWEST: return "narrowest";
	case SS_EPH_BASIS_OUTSIDE: return "outside_defaults";
	case SS_EPH_BASIS_WRAP: return "wrap";
	case SS_EPH_BASIS_COVERAGE: return "coverage";
	case SS_EPH_BASIS_FIXED: return "fixed_port";
	case SS_EPH_BASIS_COUNT: break;
	}
	return "few_samples";
}

const char *ss_eph_basis_phrase(ss_eph_basis b)
{
	switch (b) {
	case SS_EPH_BASIS_FEW_SAMPLES: return "too few samples";
	case SS_EPH_BASIS_PATTERN: return "the allocation pattern points to it";
	case SS_EPH_BASIS_NARROWEST: return "the narrowest default holding every port";
	case SS_EPH_BASIS_OUTSIDE: return "ports outside every default";
	case SS_EPH_BASIS_WRAP: return "the allocator wrapped around inside it";
	case SS_EPH_BASIS_COVERAGE: return "random ports too narrow for any default";
	case SS_EPH_BASIS_FIXED: return "one source port for every connection";
	case SS_EPH_BASIS_COUNT: break;
	}
	return "too few samples";
}

/* ---- the host table ---- */

#define PORT_UNUSED G_MININT32

typedef struct {
	guint8 family;
	guint8 zero[3];
	ss_ip ip;
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
	host_key k;             /* first: the entry is its own hash key */
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

/* A (client host, server socket) pair, for counting distinct servers. */
typedef struct {
	host_key h;
	sock_key s;
} pair_key;

struct ss_hosts {
	ss_hosts_limits lim;
	GHashTable *by_ip;      /* host_acc* set, keyed by its host_key */
	GHashTable *pairs;      /* pair_key* set: servers each host reached */
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

SS_BYTES_KEY_FUNCS(host_key, host_key)

SS_BYTES_KEY_FUNCS(pair_key, pair_key)

static void host_acc_free(gpointer p)
{
	host_acc *acc = p;
	g_free(acc->port_last);
	if (acc->dests)
		g_array_unref(acc->dests);
	if (acc->h.listeners)
		g_array_unref(acc->h.listeners);
	g_free(acc);
}

ss_hosts *ss_hosts_new(const ss_hosts_limits *lim)
{
	ss_hosts *h = g_new0(ss_hosts, 1);
	if (lim)
		h->lim = *lim;
	else
		ss_hosts_limits_init(&h->lim);
	h->by_ip = g_hash_table_new_full(host_key_hash, host_key_equal, host_acc_free, NULL);
	h->pairs = g_hash_table_new_full(pair_key_hash, pair_key_equal, g_free, NULL);
	return h;
}

void ss_hosts_free(ss_hosts *h)
{
	if (!h)
		return;
	g_hash_table_destroy(h->by_ip);
	g_hash_table_destroy(h->pairs);
	g_free(h);
}

static void make_host_key(host_key *k, guint8 family, const ss_ip *ip)
{
	memset(k, 0, sizeof *k);
	k->family = family;
	k->ip = *ip;
}

static host_acc *host_lookup(const ss_hosts *h, guint8 family, const ss_ip *ip)
{
	host_key k;
	make_host_key(&k, family, ip);
	return g_hash_table_lookup(h->by_ip, &k);
}

/* The host's entry, created when there is room; NULL (and counted) when not. */
static host_acc *host_get(ss_hosts *h, guint8 family, const ss_ip *ip, gboolean capped)
{
	host_acc *acc = host_lookup(h, family, ip);
	if (acc)
		return acc;
	if (capped && g_hash_table_size(h->by_ip) >= h->lim.max_hosts) {
		h->dropped.hosts++;
		return NULL;
	}
	acc = g_new0(host_acc, 1);
	make_host_key(&acc->k, family, ip);
	acc->h.family = family;
	acc->h.ip = *ip;
	acc->h.min_reuse_gap_ns = SS_NO_TIME;
	acc->base_ns = SS_NO_TIME;
	g_hash_table_add(h->by_ip, acc);
	return acc;
}

static gint32 rel_ms(const host_acc *acc, gint64 ns)
{
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
	host_acc *acc = host_get(h, c->family, &cl->ip, TRUE);
	if (!acc)
		return;
	gint64 start, end;
	ss_conn_span(c, &start, &end);
	dest_acc *d = note_destination(h, acc, c, start);
	ss_eph_stats_add(&acc->h.eph, cl->port, d ? d->last_port : -1);
	if (d)
		d->last_port = cl->port;
	note_reuse(h, acc, cl->port, start, c->last_ns);
}

void ss_hosts_add_conn(ss_hosts *h, const ss_conn *c)
{
	if (c->client < 0 || c->outcome == SS_OUTCOME_SIMULTANEOUS)
		return;
	const ss_endpoint *cl = ss_conn_client(c), *sv = ss_conn_server(c);
	host_acc *acc = host_get(h, c->family, &cl->ip, TRUE);
	if (!acc)
		return;
	acc->h.client_connections++;
	pair_key k;
	memset(&k, 0, sizeof k);
	k.h = acc->k;
	k.s.proto = c->proto;
	k.s.family = c->family;
	k.s.port = sv->port;
	k.s.ip = sv->ip;
	if (g_hash_table_contains(h->pairs, &k))
		return;
	if (g_hash_table_size(h->pairs) >= h->lim.max_servers) {
		h->dropped.servers++;
		return;
	}
	g_hash_table_add(h->pairs, g_memdup2(&k, sizeof k));
	acc->h.client_servers++;
}

ss_eph_verdict ss_hosts_ephemeral_verdict(const ss_hosts *h, guint8 family, const ss_ip *ip,
					  guint16 port)
{
	if (!h)
		return SS_EPH_VERDICT_UNKNOWN;
	const host_acc *acc = host_lookup(h, family, ip);
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
	return memcmp(a->ip.bytes, b->ip.bytes, sizeof a->ip.bytes);
}

GArray *ss_hosts_take(ss_hosts *h, const GArray *listeners)
{
	for (guint i = 0; listeners && i < listeners->len; i++) {
		const ss_listener *l = &g_array_index(listeners, ss_listener, i);
		host_acc *acc = host_get(h, l->family, &l->ip, FALSE);
		if (!acc->h.listeners)
			acc->h.listeners = g_array_new(FALSE, FALSE, sizeof(guint));
		g_array_append_val(acc->h.listeners, i);
		gboolean used = acc->port_last ? acc->port_last[l->port] != PORT_UNUSED
					       : acc->have_first && acc->first_port == l->port;
		if (l->proto == IPPROTO_TCP && used &&
		    acc->h.n_dual_ports < SS_HOST_DUAL_PORTS_MAX)
			acc->h.dual_ports[acc->h.n_dual_ports++] = l->port;
	}

	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(ss_host), g_hash_table_size(h->by_ip));
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, h->by_ip);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		host_acc *acc = key;
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
	g_hash_table_remove_all(h->by_ip);
	g_hash_table_remove_all(h->pairs);
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
