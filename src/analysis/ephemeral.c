/* The ephemeral-port profile of one host (include/sockscope/ephemeral.h):
 * which OS default range its client source ports fit, how likely that is
 * and on what basis, the allocation pattern (sequential, stepping, ...) and
 * wrap-around detection.  Pure functions over running statistics, kept apart
 * from the host table (hosts.c) that feeds them, so unit tests can drive
 * them directly.
 *
 * Everything is integer arithmetic so the same capture gives the same
 * report on every platform. */
#include "sockscope/ephemeral.h"

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
