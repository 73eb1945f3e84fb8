/* The ephemeral-port profile of one host: running statistics of its client
 * source ports and what they say about its OS default range and allocation
 * pattern (implemented in src/analysis/ephemeral.c).  Split from hosts.h so
 * the profile's pure functions have their own header; hosts.h includes it
 * for the ss_host record, which embeds a profile. */
#ifndef SOCKSCOPE_EPHEMERAL_H
#define SOCKSCOPE_EPHEMERAL_H

#include <glib.h>

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
	guint64 small_steps;   /* ports 1..8 above the previous one */
	guint64 even;
	guint64 drops;         /* ports below the previous one */
	guint64 dest_steps;    /* samples with an earlier one to the same destination */
	guint64 dest_even_up;  /* of those: 2, 4, .. 16 above it */
	guint64 dest_drops;    /* of those: below it */
	gint32 drop_least;     /* the smallest of the drops (port - previous, < 0) */
	gint32 dest_drop_least;
	guint16 min, max, last;
	/* (fields in this order: no padding holes, 72 bytes, not 80) */
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

#endif
