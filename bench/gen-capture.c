/* gen-capture: a deterministic synthetic capture for benchmarks and for
 * checking sockscope against a known truth.
 *
 * It writes a classic pcap file (Ethernet, microsecond or nanosecond
 * timestamps) directly, without libpcap.  The same options and seed always
 * give the same bytes.
 *
 * Traffic: `--concurrent` connections are in progress at once; each has a
 * script (handshake, data exchanges, close) and a time for its next packet.
 * The next packet written is always the one of the in-progress connection
 * whose time comes first (a min-heap), and each connection waits a random
 * time (exponential, mean concurrent/rate) between its packets, so packets of
 * different connections interleave at random and the flow table of the reader
 * really holds `--concurrent` flows.  A connection that ends is replaced by a
 * new one.  The capture stops after `--packets` packets; connections still in
 * progress then are cut short, and the truth file says what their prefix
 * shows (a TCP connection cut after its SYN is "unanswered", after the
 * SYN-ACK "incomplete"...).
 *
 * Mix per connection: ~72% TCP with a full handshake, 0-8 data segments each
 * way with ACKs, closed by FIN/FIN (80%) or a RST (20%); 5% rejected (SYN ->
 * RST/ACK); 3% unanswered (SYN + 1 or 2 retransmits with the same ISN, 1 s
 * and 2 s later); 5% mid-stream (data on an established tuple, no
 * handshake); 15% UDP request/response (70% DNS to port 53, the rest NTP,
 * QUIC and two high ports), 8% of them unanswered.  Independently 10% of the
 * connections are IPv6 and 10% carry an 802.1Q VLAN tag.  Frames are small:
 * headers plus at most 64 captured payload bytes; the IP length fields give
 * the full payload (as in a capture with a snap length).
 *
 * `--flows N` bounds the number of connections.  When N connections cannot
 * fill `--packets` at the usual length (N * mean length < packets), N
 * (client, server, service) tuples are cycled, each new connection taking a
 * fresh ephemeral port.  When N is more than the packet budget allows at the
 * usual length, connections get fewer data segments and, below the shortest
 * usual mix, more short probes (rejected SYNs, single UDP datagrams): a
 * scan-heavy mix that still gives exactly N connections.
 *
 * The truth file (`--truth`) has one TSV line per connection:
 *   proto client_ip client_port server_ip server_port outcome
 * with sockscope's outcome names (complete, incomplete, rejected,
 * unanswered, midstream; answered, unanswered for UDP).
 *
 * `--collide` (hash-flooding check, bench/run.sh --collide): every
 * connection is IPv4, untagged, between the same client and server
 * addresses, and its ports are 0x8000|m and 0x8000|(0x7fff^m) for a counter
 * m < 28232: client port + server port and client port ^ server port are the
 * same for every flow, so a naive additive or XOR flow hash puts them all in
 * one bucket.  `--collide-control` is the same capture with the server port
 * a permutation of m instead (no such structure): the baseline to compare
 * with.  The truth file's outcomes are not meant for these two modes.
 *
 * Ports: clients use the Linux ephemeral range 32768-60999 (skipping 51820,
 * WireGuard's port, which sockscope rightly takes as a UDP service port);
 * servers use well-known ports, plus 5000, 7001 (TCP) and 9999, 27015 (UDP),
 * which are not in sockscope's service table but are below the ephemeral
 * range, so the port rules still pick the right side for mid-stream flows. */
#include <glib.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---- */

typedef struct {
	uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnext(rng_t *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) (n >= 1), Lemire's multiply-shift (bias < 2^-32). */
static uint32_t rbelow(rng_t *r, uint32_t n)
{
	return (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32);
}

static double runit(rng_t *r)
{
	return (double)(rnext(r) >> 11) * 0x1.0p-53;
}

/* Exponential with the given mean (>= 0). */
static double rexp(rng_t *r, double mean)
{
	return -log1p(-runit(r)) * mean;
}

/* ---- the traffic model ---- */

enum { FT_COMPLETE, FT_REJECTED, FT_UNANSWERED, FT_MIDSTREAM, FT_UDP_ANSWERED, FT_UDP_UNANSWERED };

enum { CLOSE_FIN_CLIENT, CLOSE_FIN_SERVER, CLOSE_RST_CLIENT, CLOSE_RST_SERVER };

typedef struct {
	int64_t due_ns;        /* time of the next packet */
	uint32_t cidx;         /* client host index (address and port counter) */
	uint32_t sidx;         /* server host index within its port */
	uint16_t cport, sport;
	uint16_t vlan;         /* 0 = untagged */
	uint16_t step, nsteps; /* packets written, packets in the script */
	uint32_t cseq, sseq;   /* next sequence number of each side */
	uint32_t cisn;
	uint16_t ip_id[2];
	uint8_t type, v6, d, close_kind, mid_from_server, mid_fin;
	uint32_t heap_pos;
} flow_t;

typedef struct {
	uint16_t port;
	uint16_t weight;
} port_w;

static const port_w tcp_ports[] = {
	{443, 350}, {80, 150}, {22, 50}, {25, 30}, {53, 20}, {3306, 60}, {5432, 60},
	{6379, 60}, {8080, 60}, {9200, 40}, {8443, 40}, {9092, 30}, {27017, 20},
	{5000, 20}, {7001, 10},
};
static const port_w udp_ports[] = {
	{53, 700}, {123, 100}, {443, 100}, {27015, 50}, {9999, 50},
};

#define SERVERS_PER_PORT 256u
#define V4_CLIENT_NETS 4u
#define V6_CLIENT_NETS 2u
#define CLIENTS_PER_NET 65536u
#define N_CLIENTS ((V4_CLIENT_NETS + V6_CLIENT_NETS) * CLIENTS_PER_NET)
#define EPH_LO 32768u
#define EPH_HI 60999u
#define SNAPLEN 256u
#define MAX_CAPTURED_PAYLOAD 64u

static const uint8_t v4_client_net[V4_CLIENT_NETS][2] = {
	{10, 1}, {10, 2}, {172, 16}, {192, 168},
};

typedef struct {
	/* options */
	gint64 packets, concurrent, flows, seed, rate;
	gboolean nano, collide, collide_control;
	uint32_t collide_next;    /* --collide*: the next port pair */
	char *out, *truth;

	rng_t rng;
	FILE *fp, *tfp;
	uint16_t *next_port;    /* per client host; 0 = not used yet */
	uint32_t *port_used;    /* per client host: ephemeral ports stepped over */
	uint64_t port_cycles;   /* hosts that went round the whole range */

	/* scheduling */
	flow_t **heap;
	uint32_t heap_len;
	int64_t now_ns, last_ts;  /* last_ts in the file's unit (us or ns) */
	double mean_gap_ns;       /* per connection, between its packets */

	/* mode for --flows */
	enum { MODE_OPEN, MODE_CYCLE, MODE_BUDGET } mode;
	double mean_natural, mean_minimal, mean_probe;
	uint64_t committed;       /* packets in the scripts of started flows */
	flow_t *cycle;            /* MODE_CYCLE: the tuples */

	/* counters */
	uint64_t written, started, truth_lines, max_active, bytes_written;
	uint64_t outcome_count[8];

	uint8_t payload[MAX_CAPTURED_PAYLOAD];
} gen_t;

static uint16_t pick_port(rng_t *r, const port_w *tab, size_t n)
{
	uint32_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += tab[i].weight;
	uint32_t x = rbelow(r, total);
	for (size_t i = 0; i < n; i++) {
		if (x < tab[i].weight)
			return tab[i].port;
		x -= tab[i].weight;
	}
	return tab[0].port;
}

static uint32_t pick_client(rng_t *r, int v6)
{
	uint32_t net = v6 ? V4_CLIENT_NETS + rbelow(r, V6_CLIENT_NETS) : rbelow(r, V4_CLIENT_NETS);
	/* hosts 1..65534 of the /16 (never .0.0 or .255.255) */
	return net * CLIENTS_PER_NET + 1 + rbelow(r, CLIENTS_PER_NET - 2);
}

/* Linux-like: a random start per host, then small random steps. */
static uint16_t next_ephemeral(gen_t *g, uint32_t cidx)
{
	uint16_t p = g->next_port[cidx];
	uint32_t step = 1 + rbelow(&g->rng, 4);
	if (p == 0) {
		p = (uint16_t)(EPH_LO + rbelow(&g->rng, EPH_HI - EPH_LO + 1));
	} else {
		p = (uint16_t)(p + step);
		if (p > EPH_HI)
			p = (uint16_t)(EPH_LO + (p - EPH_HI - 1));
		/* once a host has gone round the range its 5-tuples may repeat */
		uint32_t before = g->port_used[cidx];
		g->port_used[cidx] += step;
		if (before <= EPH_HI - EPH_LO && g->port_used[cidx] > EPH_HI - EPH_LO)
			g->port_cycles++;
	}
	if (p == 51820)
		p++;
	g->next_port[cidx] = p;
	return p;
}

static void client_addr(uint32_t cidx, int v6, uint8_t *a)
{
	uint32_t net = cidx / CLIENTS_PER_NET, host = cidx % CLIENTS_PER_NET;
	if (!v6) {
		a[0] = v4_client_net[net][0];
		a[1] = v4_client_net[net][1];
		a[2] = (uint8_t)(host >> 8);
		a[3] = (uint8_t)host;
	} else {
		static const uint8_t pfx[] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00};
		memset(a, 0, 16);
		memcpy(a, pfx, sizeof pfx);
		a[5] = (uint8_t)(net - V4_CLIENT_NETS + 1);   /* 2001:db8:1::/48, 2001:db8:2::/48 */
		a[13] = 0x10;
		a[14] = (uint8_t)(host >> 8);
		a[15] = (uint8_t)host;
	}
}

/* --collide / --collide-control: one server address for every port. */
static int same_hosts;

static void server_addr(uint16_t port, uint32_t sidx, int v6, uint8_t *a)
{
	/* 256 servers per service port: 10.200.<port hash>.<sidx> */
	uint8_t h = same_hosts ? 0 : (uint8_t)(port * 37u + (port >> 8));
	if (!v6) {
		a[0] = 10;
		a[1] = 200;
		a[2] = h;
		a[3] = (uint8_t)sidx;
	} else {
		static const uint8_t pfx[] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0xff};
		memset(a, 0, 16);
		memcpy(a, pfx, sizeof pfx);
		a[14] = h;
		a[15] = (uint8_t)sidx;
	}
}

/* The script length of a flow, once its type and counts are chosen. */
static uint16_t script_len(const flow_t *f)
{
	switch (f->type) {
	case FT_COMPLETE:
		return (uint16_t)(3 + 3 * f->d + (f->close_kind <= CLOSE_FIN_SERVER ? 3 : 1));
	case FT_REJECTED:
		return 2;
	case FT_UNANSWERED:
		return (uint16_t)(1 + f->d);        /* d = retransmits */
	case FT_MIDSTREAM:
		return (uint16_t)(3 * f->d - f->mid_from_server + (f->mid_fin ? 3 : 0));
	case FT_UDP_ANSWERED:
		return (uint16_t)(2 * f->d);        /* d = request/response pairs */
	case FT_UDP_UNANSWERED:
		return (uint16_t)f->d;              /* d = requests */
	}
	return 1;
}

/* Draws type and counts.  scale in [0,1] shrinks the data phases (1 = the
 * usual mix); probe in [0,1] is the share of short probes. */
static void draw_script(rng_t *r, flow_t *f, double scale, double probe)
{
	f->mid_from_server = 0;
	f->mid_fin = 0;
	f->close_kind = 0;
	if (probe > 0 && runit(r) < probe) {
		uint32_t k = rbelow(r, 4);
		if (k < 2) {
			f->type = FT_REJECTED;
			f->d = 0;
		} else if (k == 2) {
			f->type = FT_UDP_UNANSWERED;
			f->d = 1;
		} else {
			f->type = FT_UDP_ANSWERED;
			f->d = 1;
		}
		f->nsteps = script_len(f);
		return;
	}
	/* scaled count: mean scale * (lo+hi)/2, never below min */
	#define SCALED(lo, hi, min)                                                        \
		MAX((min), (int)floor(scale * (double)((lo) + rbelow(r, (hi) - (lo) + 1)) + runit(r)))
	uint32_t x = rbelow(r, 1000);
	if (x < 720) {
		f->type = FT_COMPLETE;
		f->d = (uint8_t)SCALED(1, 8, 0);
		uint32_t c = rbelow(r, 10);
		f->close_kind = c < 6 ? CLOSE_FIN_CLIENT : c < 8 ? CLOSE_FIN_SERVER
				: c < 9 ? CLOSE_RST_CLIENT : CLOSE_RST_SERVER;
	} else if (x < 770) {
		f->type = FT_REJECTED;
		f->d = 0;
	} else if (x < 800) {
		f->type = FT_UNANSWERED;
		f->d = (uint8_t)(1 + rbelow(r, 2));
	} else if (x < 850) {
		f->type = FT_MIDSTREAM;
		f->d = (uint8_t)SCALED(1, 6, 1);
		f->mid_from_server = (uint8_t)rbelow(r, 2);
		f->mid_fin = (uint8_t)(scale >= 0.5 && rbelow(r, 2));
	} else if (x < 988) {
		f->type = FT_UDP_ANSWERED;
		f->d = 1;      /* pairs; high ports get more below */
	} else {
		f->type = FT_UDP_UNANSWERED;
		f->d = (uint8_t)(1 + rbelow(r, 2));
	}
	#undef SCALED
	f->nsteps = script_len(f);
}

static double mean_script_len(double scale, double probe)
{
	rng_t r;
	rng_seed(&r, 12345);
	flow_t f;
	double sum = 0;
	const int n = 200000;
	for (int i = 0; i < n; i++) {
		draw_script(&r, &f, scale, probe);
		sum += f.nsteps;
	}
	return sum / n;
}

/* ---- heap of in-progress flows by due time ---- */

static void heap_swap(gen_t *g, uint32_t a, uint32_t b)
{
	flow_t *t = g->heap[a];
	g->heap[a] = g->heap[b];
	g->heap[b] = t;
	g->heap[a]->heap_pos = a;
	g->heap[b]->heap_pos = b;
}

static void heap_up(gen_t *g, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (g->heap[p]->due_ns <= g->heap[i]->due_ns)
			break;
		heap_swap(g, i, p);
		i = p;
	}
}

static void heap_down(gen_t *g, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < g->heap_len && g->heap[l]->due_ns < g->heap[m]->due_ns)
			m = l;
		if (r < g->heap_len && g->heap[r]->due_ns < g->heap[m]->due_ns)
			m = r;
		if (m == i)
			break;
		heap_swap(g, i, m);
		i = m;
	}
}

/* ---- writing ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t ipv4_checksum(const uint8_t *h)
{
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void write_or_die(gen_t *g, const void *p, size_t n)
{
	if (fwrite(p, 1, n, g->fp) != n) {
		fprintf(stderr, "gen-capture: write error: %s\n", g_strerror(errno));
		exit(1);
	}
	g->bytes_written += n;
}

static void write_file_header(gen_t *g)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, network;
	} h = {g->nano ? 0xa1b23c4du : 0xa1b2c3d4u, 2, 4, 0, 0, SNAPLEN, 1 /* EN10MB */};
	write_or_die(g, &h, sizeof h);
}

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10 };

/* One packet of flow f: from the client (dir 0) or the server (dir 1). */
static void emit(gen_t *g, flow_t *f, int dir, int udp, uint8_t flags, uint32_t seq,
		 uint32_t ack, uint32_t payload_len, int syn_opts)
{
	uint8_t fr[14 + 4 + 40 + 40 + MAX_CAPTURED_PAYLOAD];
	uint8_t caddr[16], saddr[16];
	int v6 = f->v6;
	client_addr(f->cidx, v6, caddr);
	server_addr(f->sport, f->sidx, v6, saddr);
	const uint8_t *src = dir ? saddr : caddr, *dst = dir ? caddr : saddr;
	uint16_t sp = dir ? f->sport : f->cport, dp = dir ? f->cport : f->sport;

	size_t n = 0;
	/* Ethernet: locally administered MACs derived from the hosts */
	uint8_t cmac[6] = {0x02, 0x00, (uint8_t)(f->cidx >> 16), (uint8_t)(f->cidx >> 8),
			   (uint8_t)f->cidx, 0x01};
	uint8_t smac[6] = {0x02, 0x5e, 0x00, (uint8_t)(f->sport >> 8), (uint8_t)f->sport,
			   (uint8_t)f->sidx};
	memcpy(fr, dir ? cmac : smac, 6);
	memcpy(fr + 6, dir ? smac : cmac, 6);
	n = 12;
	if (f->vlan) {
		put16(fr + n, 0x8100);
		put16(fr + n + 2, f->vlan);
		n += 4;
	}
	put16(fr + n, v6 ? 0x86dd : 0x0800);
	n += 2;

	size_t l4hdr = udp ? 8 : 20 + (syn_opts ? 20 : 0);
	uint32_t l4len = (uint32_t)l4hdr + payload_len;
	size_t ip = n;
	if (!v6) {
		memset(fr + ip, 0, 20);
		fr[ip] = 0x45;
		put16(fr + ip + 2, (uint16_t)(20 + l4len));
		put16(fr + ip + 4, f->ip_id[dir]++);
		put16(fr + ip + 6, 0x4000);        /* DF */
		fr[ip + 8] = dir ? 64 : 63;
		fr[ip + 9] = udp ? 17 : 6;
		memcpy(fr + ip + 12, src, 4);
		memcpy(fr + ip + 16, dst, 4);
		put16(fr + ip + 10, ipv4_checksum(fr + ip));
		n += 20;
	} else {
		put32(fr + ip, 0x60000000u | ((f->cidx * 2654435761u) & 0xfffff));
		put16(fr + ip + 4, (uint16_t)l4len);
		fr[ip + 6] = udp ? 17 : 6;
		fr[ip + 7] = dir ? 64 : 63;
		memcpy(fr + ip + 8, src, 16);
		memcpy(fr + ip + 24, dst, 16);
		n += 40;
	}
	uint32_t ip_total = (uint32_t)(n - ip) + l4len;

	uint8_t *t = fr + n;
	put16(t, sp);
	put16(t + 2, dp);
	if (udp) {
		put16(t + 4, (uint16_t)(8 + payload_len));
		put16(t + 6, 0);                    /* checksum not computed */
	} else {
		put32(t + 4, seq);
		put32(t + 8, ack);
		t[12] = (uint8_t)((l4hdr / 4) << 4);
		t[13] = flags;
		put16(t + 14, dir ? 65160 : 64240);
		put16(t + 16, 0);
		put16(t + 18, 0);
		if (syn_opts) {
			uint8_t *o = t + 20;
			/* MSS, SACK permitted, timestamps, NOP, window scale (Linux) */
			o[0] = 2; o[1] = 4; put16(o + 2, v6 ? 1440 : 1460);
			o[4] = 4; o[5] = 2;
			o[6] = 8; o[7] = 10; put32(o + 8, (uint32_t)(g->now_ns / 1000000));
			put32(o + 12, dir ? (uint32_t)(g->now_ns / 1000000) - 1 : 0);
			o[16] = 1; o[17] = 3; o[18] = 3; o[19] = 7;
		}
	}
	n += l4hdr;
	uint32_t cap_payload = MIN(payload_len, MAX_CAPTURED_PAYLOAD);
	memcpy(fr + n, g->payload, cap_payload);
	n += cap_payload;
	uint32_t wirelen = (uint32_t)(ip - 0) + ip_total;

	/* timestamp: strictly increasing in the file's unit */
	int64_t ts = g->nano ? g->now_ns : g->now_ns / 1000;
	if (ts <= g->last_ts)
		ts = g->last_ts + 1;
	g->last_ts = ts;
	g->now_ns = g->nano ? ts : MAX(g->now_ns, ts * 1000);
	int64_t unit = g->nano ? 1000000000 : 1000000;
	uint32_t rec[4] = {(uint32_t)(ts / unit), (uint32_t)(ts % unit), (uint32_t)n, wirelen};
	write_or_die(g, rec, sizeof rec);
	write_or_die(g, fr, n);
	g->written++;
}

static uint32_t data_len(gen_t *g, int server)
{
	return server ? 100 + rbelow(&g->rng, 1349) : 20 + rbelow(&g->rng, 600);
}

/* Writes the next packet of f's script; returns the gap before its next one. */
static double step_flow(gen_t *g, flow_t *f)
{
	uint16_t s = f->step;
	double gap = rexp(&g->rng, g->mean_gap_ns);
	switch (f->type) {
	case FT_COMPLETE: {
		if (s == 0) {
			emit(g, f, 0, 0, TH_SYN, f->cisn, 0, 0, 1);
			f->cseq = f->cisn + 1;
		} else if (s == 1) {
			emit(g, f, 1, 0, TH_SYN | TH_ACK, f->sseq - 1, f->cseq, 0, 1);
		} else if (s == 2) {
			emit(g, f, 0, 0, TH_ACK, f->cseq, f->sseq, 0, 0);
		} else if (s < 3 + 3 * f->d) {
			int k = (s - 3) % 3;
			if (k == 0) {
				uint32_t len = data_len(g, 0);
				emit(g, f, 0, 0, TH_PSH | TH_ACK, f->cseq, f->sseq, len, 0);
				f->cseq += len;
			} else if (k == 1) {
				uint32_t len = data_len(g, 1);
				emit(g, f, 1, 0, TH_PSH | TH_ACK, f->sseq, f->cseq, len, 0);
				f->sseq += len;
			} else {
				emit(g, f, 0, 0, TH_ACK, f->cseq, f->sseq, 0, 0);
			}
		} else {
			int k = s - (3 + 3 * f->d);
			switch (f->close_kind) {
			case CLOSE_FIN_CLIENT:
			case CLOSE_FIN_SERVER: {
				int first = f->close_kind == CLOSE_FIN_SERVER;   /* who closes first */
				int dir = k == 1 ? !first : first;
				uint8_t fl = k < 2 ? TH_FIN | TH_ACK : TH_ACK;
				uint32_t *mine = dir ? &f->sseq : &f->cseq;
				uint32_t peer = dir ? f->cseq : f->sseq;
				emit(g, f, dir, 0, fl, *mine, peer, 0, 0);
				if (fl & TH_FIN)
					(*mine)++;
				break;
			}
			case CLOSE_RST_CLIENT:
				emit(g, f, 0, 0, TH_RST | TH_ACK, f->cseq, f->sseq, 0, 0);
				break;
			default:
				emit(g, f, 1, 0, TH_RST | TH_ACK, f->sseq, f->cseq, 0, 0);
				break;
			}
		}
		break;
	}
	case FT_REJECTED:
		if (s == 0)
			emit(g, f, 0, 0, TH_SYN, f->cisn, 0, 0, 1);
		else
			emit(g, f, 1, 0, TH_RST | TH_ACK, 0, f->cisn + 1, 0, 0);
		break;
	case FT_UNANSWERED:
		/* Linux: the first retransmission 1 s later, the next 2 s after it */
		emit(g, f, 0, 0, TH_SYN, f->cisn, 0, 0, 1);
		gap = (s == 0 ? 1e9 : 2e9) + rbelow(&g->rng, 2000) * 1000.0;
		break;
	case FT_MIDSTREAM: {
		int k = s + f->mid_from_server;
		if (k < 3 * f->d) {
			int m = k % 3;
			if (m == 0) {
				uint32_t len = data_len(g, 0);
				emit(g, f, 0, 0, TH_PSH | TH_ACK, f->cseq, f->sseq, len, 0);
				f->cseq += len;
			} else if (m == 1) {
				uint32_t len = data_len(g, 1);
				emit(g, f, 1, 0, TH_PSH | TH_ACK, f->sseq, f->cseq, len, 0);
				f->sseq += len;
			} else {
				emit(g, f, 0, 0, TH_ACK, f->cseq, f->sseq, 0, 0);
			}
		} else {
			int j = k - 3 * f->d;
			int dir = j == 1;
			uint8_t fl = j < 2 ? TH_FIN | TH_ACK : TH_ACK;
			uint32_t *mine = dir ? &f->sseq : &f->cseq;
			uint32_t peer = dir ? f->cseq : f->sseq;
			emit(g, f, dir, 0, fl, *mine, peer, 0, 0);
			if (fl & TH_FIN)
				(*mine)++;
		}
		break;
	}
	case FT_UDP_ANSWERED:
		if (s % 2 == 0)
			emit(g, f, 0, 1, 0, 0, 0, f->sport == 53 ? 28 + rbelow(&g->rng, 40)
								  : 40 + rbelow(&g->rng, 200), 0);
		else
			emit(g, f, 1, 1, 0, 0, 0, f->sport == 53 ? 60 + rbelow(&g->rng, 400)
								  : 40 + rbelow(&g->rng, 1200), 0);
		break;
	case FT_UDP_UNANSWERED:
		emit(g, f, 0, 1, 0, 0, 0, 28 + rbelow(&g->rng, 40), 0);
		gap = 1e9 + rbelow(&g->rng, 1000) * 1000.0;   /* resolver retry */
		break;
	}
	f->step++;
	return gap;
}

/* The outcome sockscope must report for what of f's script was written. */
static const char *truth_outcome(const flow_t *f)
{
	uint16_t s = f->step;
	switch (f->type) {
	case FT_COMPLETE:
		return s >= 3 ? "complete" : s == 2 ? "incomplete" : "unanswered";
	case FT_REJECTED:
		return s >= 2 ? "rejected" : "unanswered";
	case FT_UNANSWERED:
		return "unanswered";
	case FT_MIDSTREAM:
		return "midstream";
	case FT_UDP_ANSWERED:
		return s >= 2 ? "answered" : "unanswered";
	default:
		return "unanswered";
	}
}

static void write_truth(gen_t *g, const flow_t *f)
{
	if (f->step == 0)
		return;
	g->truth_lines++;
	if (!g->tfp)
		return;
	uint8_t ca[16], sa[16];
	char cs[INET6_ADDRSTRLEN], ss[INET6_ADDRSTRLEN];
	client_addr(f->cidx, f->v6, ca);
	server_addr(f->sport, f->sidx, f->v6, sa);
	inet_ntop(f->v6 ? AF_INET6 : AF_INET, ca, cs, sizeof cs);
	inet_ntop(f->v6 ? AF_INET6 : AF_INET, sa, ss, sizeof ss);
	int udp = f->type == FT_UDP_ANSWERED || f->type == FT_UDP_UNANSWERED;
	fprintf(g->tfp, "%s\t%s\t%u\t%s\t%u\t%s\n", udp ? "udp" : "tcp", cs, f->cport, ss,
		f->sport, truth_outcome(f));
}

/* Sets up a new connection in f and schedules its first packet. */
static void start_flow(gen_t *g, flow_t *f)
{
	rng_t *r = &g->rng;
	double scale = 1.0, probe = 0.0;
	if (g->mode == MODE_BUDGET) {
		double left_flows = (double)(g->flows - (gint64)g->started);
		double left_pkts = (double)g->packets - (double)g->committed;
		double b = left_flows > 0 ? left_pkts / left_flows : 0;
		if (b >= g->mean_natural)
			scale = 1.0;
		else if (b >= g->mean_minimal)
			scale = (b - g->mean_minimal) / (g->mean_natural - g->mean_minimal);
		else {
			scale = 0.0;
			probe = (g->mean_minimal - b) / (g->mean_minimal - g->mean_probe);
			probe = CLAMP(probe, 0.0, 1.0);
		}
	}
	memset(f, 0, sizeof *f);
	draw_script(r, f, scale, probe);
	int udp = f->type == FT_UDP_ANSWERED || f->type == FT_UDP_UNANSWERED;

	if (g->mode == MODE_CYCLE) {
		/* the tuple of connection (started mod flows), a fresh port;
		 * its protocol decides the script's protocol */
		flow_t *tu = &g->cycle[g->started % (uint64_t)g->flows];
		if (g->started < (uint64_t)g->flows) {
			tu->v6 = rbelow(r, 10) == 0;
			tu->vlan = rbelow(r, 10) == 0 ? (uint16_t)(100 + rbelow(r, 8)) : 0;
			tu->cidx = pick_client(r, tu->v6);
			tu->type = (uint8_t)udp;
			tu->sport = udp ? pick_port(r, udp_ports, G_N_ELEMENTS(udp_ports))
					: pick_port(r, tcp_ports, G_N_ELEMENTS(tcp_ports));
			tu->sidx = rbelow(r, SERVERS_PER_PORT);
		}
		while ((int)udp != tu->type) {     /* redraw until the protocol fits */
			draw_script(r, f, scale, probe);
			udp = f->type == FT_UDP_ANSWERED || f->type == FT_UDP_UNANSWERED;
		}
		f->v6 = tu->v6;
		f->vlan = tu->vlan;
		f->cidx = tu->cidx;
		f->sport = tu->sport;
		f->sidx = tu->sidx;
	} else {
		f->v6 = rbelow(r, 10) == 0;
		f->vlan = rbelow(r, 10) == 0 ? (uint16_t)(100 + rbelow(r, 8)) : 0;
		f->cidx = pick_client(r, f->v6);
		f->sport = udp ? pick_port(r, udp_ports, G_N_ELEMENTS(udp_ports))
			       : pick_port(r, tcp_ports, G_N_ELEMENTS(tcp_ports));
		f->sidx = rbelow(r, SERVERS_PER_PORT);
	}
	if (f->type == FT_UDP_ANSWERED && f->sport != 53 && probe == 0.0) {
		f->d = (uint8_t)(1 + rbelow(r, 3));
		f->nsteps = script_len(f);
	}
	f->cport = next_ephemeral(g, f->cidx);
	if (g->collide || g->collide_control) {
		/* See the header: one address pair, port pairs with a constant
		 * sum and XOR (--collide) or permuted (--collide-control). */
		enum { PAIRS = 28232 };   /* 0x8000 + m stays in 32768-60999 */
		uint32_t m = g->collide_next++ % PAIRS;
		f->v6 = 0;
		f->vlan = 0;
		f->cidx = 0;
		f->sidx = 0;
		f->cport = (uint16_t)(0x8000u | m);
		f->sport = (uint16_t)(0x8000u | (g->collide ? (0x7fffu ^ m) : 0x7fffu ^ ((m * 7919u + 12345u) % PAIRS)));
		f->nsteps = script_len(f);
	}
	f->cisn = (uint32_t)rnext(r);
	f->cseq = f->cisn + 1;
	f->sseq = (uint32_t)rnext(r) + 1;
	f->ip_id[0] = (uint16_t)rnext(r);
	f->ip_id[1] = (uint16_t)rnext(r);
	f->due_ns = g->now_ns + (int64_t)rexp(r, g->mean_gap_ns);
	g->started++;
	g->committed += f->nsteps;
}

static gboolean may_start(const gen_t *g)
{
	return g->mode != MODE_BUDGET || g->started < (uint64_t)g->flows;
}

int main(int argc, char **argv)
{
	gen_t *g = g_new0(gen_t, 1);
	g->packets = 100000;
	g->concurrent = 10000;
	g->flows = 0;
	g->seed = 1;
	g->rate = 100000;
	GOptionEntry entries[] = {
		{"packets", 0, 0, G_OPTION_ARG_INT64, &g->packets, "packets to write (default 100000)", "N"},
		{"concurrent", 0, 0, G_OPTION_ARG_INT64, &g->concurrent, "connections in progress at once (default 10000)", "N"},
		{"flows", 0, 0, G_OPTION_ARG_INT64, &g->flows, "connections in total (default: as many as the packets need)", "N"},
		{"seed", 0, 0, G_OPTION_ARG_INT64, &g->seed, "PRNG seed (default 1)", "S"},
		{"rate", 0, 0, G_OPTION_ARG_INT64, &g->rate, "packets per second of capture time (default 100000)", "PPS"},
		{"nano", 0, 0, G_OPTION_ARG_NONE, &g->nano, "nanosecond timestamps", NULL},
		{"collide", 0, 0, G_OPTION_ARG_NONE, &g->collide, "one address pair, ports with a constant sum and XOR (hash-flooding check)", NULL},
		{"collide-control", 0, 0, G_OPTION_ARG_NONE, &g->collide_control, "the --collide capture with permuted server ports (its baseline)", NULL},
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &g->out, "capture file to write (required)", "FILE"},
		{"truth", 0, 0, G_OPTION_ARG_FILENAME, &g->truth, "write the expected connections (TSV) here", "FILE"},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GError *err = NULL;
	GOptionContext *ctx = g_option_context_new("- write a synthetic pcap for benchmarks");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "gen-capture: %s\n", err->message);
		return 2;
	}
	g_option_context_free(ctx);
	if (!g->out || g->packets < 0 || g->concurrent < 1 || g->flows < 0 || g->rate < 1 ||
	    g->concurrent > 100000000) {
		fprintf(stderr, "gen-capture: need -o FILE, --packets >= 0, --concurrent >= 1, "
				"--flows >= 0, --rate >= 1\n");
		return 2;
	}

	if (g->collide && g->collide_control) {
		fprintf(stderr, "gen-capture: --collide and --collide-control exclude each other\n");
		return 2;
	}
	same_hosts = g->collide || g->collide_control;
	rng_seed(&g->rng, (uint64_t)g->seed);
	for (size_t i = 0; i < sizeof g->payload; i++)
		g->payload[i] = (uint8_t)(0x20 + rbelow(&g->rng, 0x5f));
	g->next_port = g_new0(uint16_t, N_CLIENTS);
	g->port_used = g_new0(uint32_t, N_CLIENTS);
	g->mean_gap_ns = (double)g->concurrent * 1e9 / (double)g->rate;
	g->mean_natural = mean_script_len(1.0, 0.0);
	g->mean_minimal = mean_script_len(0.0, 0.0);
	g->mean_probe = mean_script_len(0.0, 1.0);
	if (g->flows > 0) {
		if ((double)g->flows * g->mean_natural < (double)g->packets) {
			g->mode = MODE_CYCLE;
			g->cycle = g_new0(flow_t, g->flows);
		} else {
			g->mode = MODE_BUDGET;
		}
	}

	g->fp = strcmp(g->out, "-") == 0 ? stdout : fopen(g->out, "wb");
	if (!g->fp) {
		fprintf(stderr, "gen-capture: %s: %s\n", g->out, g_strerror(errno));
		return 1;
	}
	setvbuf(g->fp, NULL, _IOFBF, 1 << 20);
	if (g->truth) {
		g->tfp = fopen(g->truth, "w");
		if (!g->tfp) {
			fprintf(stderr, "gen-capture: %s: %s\n", g->truth, g_strerror(errno));
			return 1;
		}
		setvbuf(g->tfp, NULL, _IOFBF, 1 << 20);
		fprintf(g->tfp, "#proto\tclient_ip\tclient_port\tserver_ip\tserver_port\toutcome\n");
	}
	write_file_header(g);

	/* 2026-01-01T00:00:00Z */
	g->now_ns = INT64_C(1767225600) * 1000000000;
	g->last_ts = 0;
	uint32_t cap = (uint32_t)g->concurrent;
	if (g->mode == MODE_BUDGET && (uint64_t)g->flows < cap)
		cap = (uint32_t)g->flows;
	flow_t *pool = g_new(flow_t, cap);
	g->heap = g_new(flow_t *, cap);
	for (uint32_t i = 0; i < cap && g->packets > 0; i++) {
		start_flow(g, &pool[i]);
		pool[i].heap_pos = g->heap_len;
		g->heap[g->heap_len++] = &pool[i];
		heap_up(g, g->heap_len - 1);
	}
	g->max_active = g->heap_len;

	while ((gint64)g->written < g->packets && g->heap_len > 0) {
		flow_t *f = g->heap[0];
		if (f->due_ns > g->now_ns)
			g->now_ns = f->due_ns;
		double gap = step_flow(g, f);
		if (f->step >= f->nsteps) {
			write_truth(g, f);
			if (may_start(g)) {
				start_flow(g, f);
				heap_down(g, 0);
			} else {
				heap_swap(g, 0, g->heap_len - 1);
				g->heap_len--;
				if (g->heap_len > 0)
					heap_down(g, 0);
			}
		} else {
			f->due_ns = g->now_ns + (int64_t)gap;
			heap_down(g, 0);
		}
	}
	/* connections cut short by the end of the capture */
	for (uint32_t i = 0; i < g->heap_len; i++)
		write_truth(g, g->heap[i]);

	if (fflush(g->fp) != 0 || (g->fp != stdout && fclose(g->fp) != 0)) {
		fprintf(stderr, "gen-capture: %s: %s\n", g->out, g_strerror(errno));
		return 1;
	}
	if (g->tfp && (fflush(g->tfp) != 0 || fclose(g->tfp) != 0)) {
		fprintf(stderr, "gen-capture: %s: %s\n", g->truth, g_strerror(errno));
		return 1;
	}
	int64_t unit = g->nano ? 1000000000 : 1000000;
	double span = (double)(g->last_ts - (g->nano ? INT64_C(1767225600) * unit
						     : INT64_C(1767225600) * unit)) / (double)unit;
	fprintf(stderr,
		"gen-capture: packets=%" G_GUINT64_FORMAT " connections=%" G_GUINT64_FORMAT
		" concurrent=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT " span_s=%.3f"
		" mode=%s mean_len=%.2f\n",
		g->written, g->truth_lines, g->max_active, g->bytes_written, span,
		g->mode == MODE_OPEN ? "open" : g->mode == MODE_CYCLE ? "cycle" : "budget",
		g->truth_lines ? (double)g->written / (double)g->truth_lines : 0.0);
	if (g->port_cycles)
		fprintf(stderr, "gen-capture: warning: %" G_GUINT64_FORMAT " client hosts used every "
			"ephemeral port; their 5-tuples may repeat (use more --flows)\n", g->port_cycles);
	g_free(pool);
	g_free(g->heap);
	g_free(g->cycle);
	g_free(g->next_port);
	g_free(g->port_used);
	g_free(g->out);
	g_free(g->truth);
	g_free(g);
	return 0;
}
