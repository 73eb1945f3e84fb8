/* The host view: per IP address, the listening sockets it exposed, the
 * connections it made as a client, and the ephemeral-port profile of its
 * operating system learned from the connections it opened with a handshake.
 *
 * Memory is per host (aggregates), never per flow, and every table has a
 * cap; what did not fit is counted (ss_hosts_dropped).  docs/inference.md
 * explains the profile, docs/output.md the "host" records. */
#ifndef SOCKSCOPE_HOSTS_H
#define SOCKSCOPE_HOSTS_H

#include <glib.h>
#include "sockscope/conn.h"

/* ---- ephemeral-port profile (pure functions, for tests too) ---- */

/* Samples needed before a range or pattern is named. */
#define SS_EPH_MIN_SAMPLES 8

/* The OS default range a host's source ports fit. */
typedef enum {
	SS_EPH_UNKNOWN,        /* fewer than SS_EPH_MIN_SAMPLES samples */
	SS_EPH_LINUX,          /* 32768-60999 */
	SS_EPH_IANA,           /* 49152-65535: Windows Vista+, macOS, IANA */
	SS_EPH_FREEBSD,        /* 10000-65535 */
	SS_EPH_WINDOWS_OLD,    /* 1025-5000: Windows XP / 2003 */
	SS_EPH_CUSTOM,         /* none of these: the observed LO-HI */
	SS_EPH_COUNT
} ss_eph_default;

typedef enum {
	SS_ALLOC_UNKNOWN,      /* too few samples */
	SS_ALLOC_SEQUENTIAL,   /* each port a small step above the previous one:
	                          Windows (global +1) */
	SS_ALLOC_STEPPING,     /* one parity, each port 2..16 above the previous
	                          one towards the same destination: Linux connect()
	                          (per-destination offset, even ports first) */
	SS_ALLOC_EVEN,         /* random-looking, even ports only (Linux) */
	SS_ALLOC_ODD,          /* random-looking, odd ports only */
	SS_ALLOC_RANDOM,       /* the BSDs, macOS (or old Linux) */
	SS_ALLOC_COUNT
} ss_alloc_pattern;

/* Why the profile names the range it names (docs/inference.md). */
typedef enum {
	SS_EPH_BASIS_FEW_SAMPLES,   /* unknown: fewer than SS_EPH_MIN_SAMPLES */
	SS_EPH_BASIS_PATTERN,       /* the default the allocation pattern points to */
	SS_EPH_BASIS_NARROWEST,     /* no pattern preference: the narrowest default
	                               that holds every port (the most likely) */
	SS_EPH_BASIS_OUTSIDE,       /* custom: ports outside every default */
	SS_EPH_BASIS_WRAP,          /* custom: the allocator wrapped around inside
	                               a range narrower than the default */
	SS_EPH_BASIS_COVERAGE,      /* custom: random ports cover too little of
	                               every default that holds them */
	SS_EPH_BASIS_FIXED,         /* unknown: one source port for every
	                               connection (bound by the program, e.g. a
	                               scanner): no allocation to learn from */
	SS_EPH_BASIS_COUNT
} ss_eph_basis;

/* Running statistics of one host's client source ports, in the order the
 * connections were learned.  Steps are measured twice: from the host's
 * previous port (Windows allocates from one global counter) and from its
 * previous port towards the same destination (Linux keeps an offset per
 * destination). */
typedef struct {
	guint64 samples;
	guint16 min, max, last;
	guint64 small_steps;   /* ports 1..8 above the previous one */
	guint64 even;
	guint64 drops;         /* ports below the previous one */
	gint32 drop_least;     /* the smallest of those drops (port - previous, < 0) */
	guint64 dest_steps;    /* samples with an earlier one to the same destination */
	guint64 dest_even_up;  /* of those: 2, 4, .. 16 above it */
	guint64 dest_drops;    /* of those: below it */
	gint32 dest_drop_least;
} ss_eph_stats;

typedef struct {
	ss_eph_default fits;   /* the likely default (or custom / unknown) */
	guint16 low, high;     /* its range; 0-0 when unknown */
	ss_alloc_pattern pattern;
	ss_eph_basis basis;
	guint32 consistent;    /* 1u << ss_eph_default for every default range
	                          that holds all the sampled ports */
	guint64 wraps;         /* drops that wrapped around the observed range */
} ss_eph_profile;

/* `prev_same_dest` is the host's previous source port towards the same
 * destination (protocol, address, port), -1 when there was none. */
void ss_eph_stats_add(ss_eph_stats *s, guint16 port, gint32 prev_same_dest);
void ss_eph_profile_compute(const ss_eph_stats *s, ss_eph_profile *out);
/* "linux", "iana", "freebsd", "windows_old", "custom", "unknown". */
const char *ss_eph_default_name(ss_eph_default d);
/* "Linux", "Windows/macOS/IANA", ... for people. */
const char *ss_eph_default_label(ss_eph_default d);
/* "sequential", "stepping", "even_only", "odd_only", "random", "unknown". */
const char *ss_alloc_pattern_name(ss_alloc_pattern p);
/* "few_samples", "pattern", "narrowest", "outside_defaults", "wrap", "coverage",
 * "fixed_port". */
const char *ss_eph_basis_name(ss_eph_basis b);
/* The same for people: "the allocation pattern points to it", ... */
const char *ss_eph_basis_phrase(ss_eph_basis b);
/* The default ranges, narrowest first (for listing `consistent`). */
gsize ss_eph_defaults(const ss_eph_default **ids);
void ss_eph_default_bounds(ss_eph_default d, guint16 *low, guint16 *high);

/* ---- the host table ---- */

/* Connections towards one destination within this window count towards an
 * exhaustion warning (the longest common TIME_WAIT: Linux 60 s). */
#define SS_EXHAUSTION_WINDOW_NS (G_GINT64_CONSTANT(60) * 1000000000)
/* Share of the range (percent) used towards one destination in one window
 * that gives the warning. */
#define SS_EXHAUSTION_SHARE_PCT 50
/* TCP ports of one host flagged as both listened on and connected from. */
#define SS_HOST_DUAL_PORTS_MAX 8

typedef struct {
	guint max_hosts;           /* hosts with a record (default 65536) */
	guint max_port_maps;       /* hosts whose every source port is remembered for
	                              reuse detection, 256 KiB each (default 64) */
	guint max_destinations;    /* per host, for the exhaustion check (default 64) */
	guint max_servers;         /* distinct server sockets remembered, all hosts
	                              together (default 1048576) */
} ss_hosts_limits;

void ss_hosts_limits_init(ss_hosts_limits *lim);

typedef struct {
	guint64 hosts;             /* hosts not recorded: the table was full */
	guint64 port_maps;         /* hosts without reuse detection */
	guint64 destinations;      /* destinations not checked for exhaustion */
	guint64 servers;           /* server sockets not counted as distinct */
} ss_hosts_dropped;

/* One "host" record of the report. */
typedef struct ss_host_s {
	guint8 family;
	ss_ip ip;
	GArray *listeners;         /* guint: indexes into ss_report.listeners */
	guint64 client_connections;/* records in which it was the client */
	guint64 client_servers;    /* distinct server sockets (proto, ip, port) */
	/* ephemeral-port profile, from handshake-proven client connections */
	ss_eph_stats eph;
	ss_eph_profile profile;
	gboolean reuse_known;      /* FALSE when no port map was available */
	guint64 reused_ports;      /* connections from a port it had used before */
	gint64 min_reuse_gap_ns;   /* SS_NO_TIME when none */
	/* the busiest destination within one TIME_WAIT window */
	gboolean exhaustion_risk;
	guint8 busiest_proto;
	ss_ip busiest_ip;
	guint16 busiest_port;
	guint64 busiest_connections;
	/* TCP ports it listened on and also connected from */
	guint16 dual_ports[SS_HOST_DUAL_PORTS_MAX];
	guint n_dual_ports;
} ss_host;

typedef struct ss_hosts ss_hosts;

ss_hosts *ss_hosts_new(const ss_hosts_limits *lim);
void ss_hosts_free(ss_hosts *h);

/* Learns from a finalized record whose roles the handshake proved (others
 * are ignored): the client's source port, its reuse and destination. */
void ss_hosts_learn_ephemeral(ss_hosts *h, const ss_conn *c);

/* Accounts a finalized record to its client host (any evidence). */
void ss_hosts_add_conn(ss_hosts *h, const ss_conn *c);

typedef enum {
	SS_EPH_VERDICT_UNKNOWN,    /* no profile, or too few samples */
	SS_EPH_VERDICT_IN,         /* inside the host's learned range */
	SS_EPH_VERDICT_OUT,        /* outside a default range the host fits */
} ss_eph_verdict;

/* Is `port` an ephemeral port of host `ip`, as far as learned so far? */
ss_eph_verdict ss_hosts_ephemeral_verdict(const ss_hosts *h, guint8 family, const ss_ip *ip,
					  guint16 port);

/* The host records, sorted by family and address, with the listeners of
 * the report (sorted, as in ss_report) attached; the table is left empty.
 * Free the array with ss_hosts_array_free. */
GArray *ss_hosts_take(ss_hosts *h, const GArray *listeners);
void ss_hosts_array_free(GArray *hosts);
/* The report's order of host records: family, then address.  A
 * GCompareFunc over ss_host elements; whoever re-sorts them uses it. */
gint ss_host_cmp(gconstpointer pa, gconstpointer pb);

void ss_hosts_get_dropped(const ss_hosts *h, ss_hosts_dropped *out);

#endif
