/* Text of numbers, addresses, times and JSON strings (sockscope/format.h).
 *
 * Everything here produces text that ends up in sockscope's output formats,
 * so it avoids anything that depends on the locale, the time zone or the
 * host's configuration. */
#include <string.h>
#include <time.h>

#include "sockscope/format.h"

/* "00" to "99": numbers are written two digits at a time (format.h's
 * inline ss_u64_put reads it too). */
const char ss_digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes the decimal digits of v ending just before `end`; returns where
 * they start. */
static char *u64_digits(char *end, guint64 v)
{
	char *p = end;
	while (v >= 100) {
		guint r = (guint)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, ss_digit_pairs + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, ss_digit_pairs + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return p;
}

char *ss_u64_put_long(char *out, guint64 v)
{
	if (v < 100)   /* called directly */
		return ss_u64_put(out, v);
	/* Count the digits first, then write them in place from the end.
	 * The count from the highest bit set (1233 / 4096 ~ log10 2) and one
	 * comparison, instead of a division by 10 per digit past the third:
	 * a port's five digits took two dependent divisions before the first
	 * digit could be written. */
	static const guint64 pow10[20] = {
		G_GUINT64_CONSTANT(1), G_GUINT64_CONSTANT(10), G_GUINT64_CONSTANT(100),
		G_GUINT64_CONSTANT(1000), G_GUINT64_CONSTANT(10000), G_GUINT64_CONSTANT(100000),
		G_GUINT64_CONSTANT(1000000), G_GUINT64_CONSTANT(10000000),
		G_GUINT64_CONSTANT(100000000), G_GUINT64_CONSTANT(1000000000),
		G_GUINT64_CONSTANT(10000000000), G_GUINT64_CONSTANT(100000000000),
		G_GUINT64_CONSTANT(1000000000000), G_GUINT64_CONSTANT(10000000000000),
		G_GUINT64_CONSTANT(100000000000000), G_GUINT64_CONSTANT(1000000000000000),
		G_GUINT64_CONSTANT(10000000000000000), G_GUINT64_CONSTANT(100000000000000000),
		G_GUINT64_CONSTANT(1000000000000000000),
		G_GUINT64_CONSTANT(10000000000000000000),
	};
	guint log = (guint)((64 - __builtin_clzll(v)) * 1233) >> 12;   /* v >= 100 */
	gsize n = log + 1 - (v < pow10[log]);
	u64_digits(out + n, v);
	return out + n;
}

void ss_u64_append(GString *b, guint64 v)
{
	ss_commit(b, ss_u64_put(ss_reserve(b, SS_U64_MAXLEN), v));
}

void ss_i64_append(GString *b, gint64 v)
{
	if (v < 0) {
		g_string_append_c(b, '-');
		/* As unsigned, so that G_MININT64 cannot overflow. */
		ss_u64_append(b, (guint64)(-(v + 1)) + 1);
	} else {
		ss_u64_append(b, (guint64)v);
	}
}

/* Writes v as exactly `width` digits, zero-padded (v < 10^width). */
static char *fixed_digits_put(char *p, guint64 v, int width)
{
	int i = width;
	for (; i >= 2; i -= 2) {
		guint r = (guint)(v % 100);
		v /= 100;
		memcpy(p + i - 2, ss_digit_pairs + 2 * r, 2);
	}
	if (i == 1)
		p[0] = (char)('0' + v);
	return p + width;
}

/* An octet's text and the dot behind it, as the 4 bytes that hold them
 * (little-endian words, the unused bytes 0), for o = 0..255: made by
 * `python3 -c 'for o in range(256): print(hex(int.from_bytes((str(o) +
 * ".").encode().ljust(4, b"\0"), "little")))'`. */
static const guint32 octet_text[256] = {
	0x00002e30, 0x00002e31, 0x00002e32, 0x00002e33, 0x00002e34, 0x00002e35, 0x00002e36, 0x00002e37,
	0x00002e38, 0x00002e39, 0x002e3031, 0x002e3131, 0x002e3231, 0x002e3331, 0x002e3431, 0x002e3531,
	0x002e3631, 0x002e3731, 0x002e3831, 0x002e3931, 0x002e3032, 0x002e3132, 0x002e3232, 0x002e3332,
	0x002e3432, 0x002e3532, 0x002e3632, 0x002e3732, 0x002e3832, 0x002e3932, 0x002e3033, 0x002e3133,
	0x002e3233, 0x002e3333, 0x002e3433, 0x002e3533, 0x002e3633, 0x002e3733, 0x002e3833, 0x002e3933,
	0x002e3034, 0x002e3134, 0x002e3234, 0x002e3334, 0x002e3434, 0x002e3534, 0x002e3634, 0x002e3734,
	0x002e3834, 0x002e3934, 0x002e3035, 0x002e3135, 0x002e3235, 0x002e3335, 0x002e3435, 0x002e3535,
	0x002e3635, 0x002e3735, 0x002e3835, 0x002e3935, 0x002e3036, 0x002e3136, 0x002e3236, 0x002e3336,
	0x002e3436, 0x002e3536, 0x002e3636, 0x002e3736, 0x002e3836, 0x002e3936, 0x002e3037, 0x002e3137,
	0x002e3237, 0x002e3337, 0x002e3437, 0x002e3537, 0x002e3637, 0x002e3737, 0x002e3837, 0x002e3937,
	0x002e3038, 0x002e3138, 0x002e3238, 0x002e3338, 0x002e3438, 0x002e3538, 0x002e3638, 0x002e3738,
	0x002e3838, 0x002e3938, 0x002e3039, 0x002e3139, 0x002e3239, 0x002e3339, 0x002e3439, 0x002e3539,
	0x002e3639, 0x002e3739, 0x002e3839, 0x002e3939, 0x2e303031, 0x2e313031, 0x2e323031, 0x2e333031,
	0x2e343031, 0x2e353031, 0x2e363031, 0x2e373031, 0x2e383031, 0x2e393031, 0x2e303131, 0x2e313131,
	0x2e323131, 0x2e333131, 0x2e343131, 0x2e353131, 0x2e363131, 0x2e373131, 0x2e383131, 0x2e393131,
	0x2e303231, 0x2e313231, 0x2e323231, 0x2e333231, 0x2e343231, 0x2e353231, 0x2e363231, 0x2e373231,
	0x2e383231, 0x2e393231, 0x2e303331, 0x2e313331, 0x2e323331, 0x2e333331, 0x2e343331, 0x2e353331,
	0x2e363331, 0x2e373331, 0x2e383331, 0x2e393331, 0x2e303431, 0x2e313431, 0x2e323431, 0x2e333431,
	0x2e343431, 0x2e353431, 0x2e363431, 0x2e373431, 0x2e383431, 0x2e393431, 0x2e303531, 0x2e313531,
	0x2e323531, 0x2e333531, 0x2e343531, 0x2e353531, 0x2e363531, 0x2e373531, 0x2e383531, 0x2e393531,
	0x2e303631, 0x2e313631, 0x2e323631, 0x2e333631, 0x2e343631, 0x2e353631, 0x2e363631, 0x2e373631,
	0x2e383631, 0x2e393631, 0x2e303731, 0x2e313731, 0x2e323731, 0x2e333731, 0x2e343731, 0x2e353731,
	0x2e363731, 0x2e373731, 0x2e383731, 0x2e393731, 0x2e303831, 0x2e313831, 0x2e323831, 0x2e333831,
	0x2e343831, 0x2e353831, 0x2e363831, 0x2e373831, 0x2e383831, 0x2e393831, 0x2e303931, 0x2e313931,
	0x2e323931, 0x2e333931, 0x2e343931, 0x2e353931, 0x2e363931, 0x2e373931, 0x2e383931, 0x2e393931,
	0x2e303032, 0x2e313032, 0x2e323032, 0x2e333032, 0x2e343032, 0x2e353032, 0x2e363032, 0x2e373032,
	0x2e383032, 0x2e393032, 0x2e303132, 0x2e313132, 0x2e323132, 0x2e333132, 0x2e343132, 0x2e353132,
	0x2e363132, 0x2e373132, 0x2e383132, 0x2e393132, 0x2e303232, 0x2e313232, 0x2e323232, 0x2e333232,
	0x2e343232, 0x2e353232, 0x2e363232, 0x2e373232, 0x2e383232, 0x2e393232, 0x2e303332, 0x2e313332,
	0x2e323332, 0x2e333332, 0x2e343332, 0x2e353332, 0x2e363332, 0x2e373332, 0x2e383332, 0x2e393332,
	0x2e303432, 0x2e313432, 0x2e323432, 0x2e333432, 0x2e343432, 0x2e353432, 0x2e363432, 0x2e373432,
	0x2e383432, 0x2e393432, 0x2e303532, 0x2e313532, 0x2e323532, 0x2e333532, 0x2e343532, 0x2e353532,
};

/* Dotted quad of 4 bytes at p; returns the end of the text (no NUL).
 * Each octet's text with the dot behind is one word from octet_text,
 * stored as 4 bytes (the text is at most 15 bytes; the last store writes
 * one byte past it, inside the caller's SS_IP_STRLEN room).  A branch on
 * the octet's length mispredicted on most addresses (~3% of the writer
 * thread on mixed.pcap, perf), and the three digits computed in a word
 * by divisions were still ~5% of it (docs/performance.md, "Writer and
 * findings, eleventh and twelfth sessions"). */
static char *ip4_text(const guint8 *p, char *out)
{
	for (int i = 0; i < 4; i++) {
		guint o = p[i];
		guint len = 1 + (o >= 10) + (o >= 100);
		guint32 w = GUINT32_TO_LE(octet_text[o]);
		memcpy(out, &w, 4);
		out += len + (i < 3);
	}
	return out;
}

/* IPv6 text exactly as glibc's inet_ntop() writes it (RFC 5952: lower
 * case, no leading zeros, the first longest run of two or more zero groups
 * as "::"; IPv4-mapped and -compatible addresses end in a dotted quad):
 * inet_ntop() formats each group with sprintf, a cost every IPv6 record
 * paid twice.  The unit test compares the two on many addresses. */
static gsize ip6_format(const guint8 *b, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	guint words[8];
	for (int i = 0; i < 8; i++)
		words[i] = (guint)b[2 * i] << 8 | b[2 * i + 1];
	int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
	for (int i = 0; i < 8; i++) {
		if (words[i] == 0) {
			if (cur_base == -1) {
				cur_base = i;
				cur_len = 1;
			} else {
				cur_len++;
			}
		} else if (cur_base != -1) {
			if (best_base == -1 || cur_len > best_len) {
				best_base = cur_base;
				best_len = cur_len;
			}
			cur_base = -1;
		}
	}
	if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) {
		best_base = cur_base;
		best_len = cur_len;
	}
	if (best_base != -1 && best_len < 2)
		best_base = -1;

	char *p = buf;
	for (int i = 0; i < 8; i++) {
		if (best_base != -1 && i >= best_base && i < best_base + best_len) {
			if (i == best_base)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && best_base == 0 &&
		    (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
			p = ip4_text(b + 12, p);
			break;
		}
		guint w = words[i];
		if (w >= 0x1000)
			*p++ = hex[w >> 12];
		if (w >= 0x100)
			*p++ = hex[(w >> 8) & 15];
		if (w >= 0x10)
			*p++ = hex[(w >> 4) & 15];
		*p++ = hex[w & 15];
	}
	if (best_base != -1 && best_base + best_len == 8)
		*p++ = ':';
	*p = '\0';
	return (gsize)(p - buf);
}

gsize ss_ip_format(guint8 family, const ss_ip *ip, char buf[SS_IP_STRLEN])
{
	if (family == SS_FAMILY_IPV4) {
		/* A dotted quad by hand: inet_ntop() was a tenth of the jsonl
		 * writer's time. */
		char *p = ip4_text(ip->bytes, buf);
		*p = '\0';
		return (gsize)(p - buf);
	}
	if (family == SS_FAMILY_IPV6)
		return ip6_format(ip->bytes, buf);
	g_strlcpy(buf, "invalid", SS_IP_STRLEN);
	return strlen(buf);
}

/* ---- time ---------------------------------------------------------------- */

#define NS_PER_SEC G_GINT64_CONSTANT(1000000000)

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * civil_from_days); only used when gmtime_r() cannot represent the time
 * (a 32-bit time_t). */
static void civil_from_days(gint64 z, gint64 *y, int *m, int *d)
{
	z += 719468;
	gint64 era = (z >= 0 ? z : z - 146096) / 146097;
	gint64 doe = z - era * 146097;
	gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	gint64 mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DD" of a day (days since 1970-01-01), as printf gave it. */
static gsize date_format(gint64 days, char *buf, gsize size)
{
	gint64 year;
	int mon, mday;
	struct tm tm;
	gint64 sec = days * 86400;
	time_t t = (time_t)sec;
	if ((gint64)t == sec && gmtime_r(&t, &tm) != NULL) {
		year = (gint64)tm.tm_year + 1900;
		mon = tm.tm_mon + 1;
		mday = tm.tm_mday;
	} else {
		civil_from_days(days, &year, &mon, &mday);
	}
	return (gsize)g_snprintf(buf, size, "%04" G_GINT64_FORMAT "-%02d-%02d", year, mon, mday);
}

char *ss_time_put(char *p, gint64 ns, gboolean nanosecond)
{
	/* Floor division: -1 ns is 1969-12-31T23:59:59.999999999Z. */
	gint64 sec = ns / NS_PER_SEC;
	gint64 frac = ns % NS_PER_SEC;
	if (frac < 0) {
		frac += NS_PER_SEC;
		sec -= 1;
	}
	/* The second changes rarely from one timestamp to the next (a
	 * record's first and last packets, the next record's): a one-entry
	 * cache (per thread) of the second saves gmtime_r() and printf for
	 * the date and the divisions for the time of day
	 * (docs/performance.md).  The date is kept as text, rewritten only
	 * when the day changes; the time of day ("THH:MM:SS.") as two words
	 * made in registers and stored into the line whole.  As text in the
	 * cache, written a byte or two at a time on each miss (most of
	 * mixed.pcap's timestamps) and read back at once as 16 bytes, the
	 * load waited for those stores to reach the cache (a failed store
	 * forward: 30-49% of ss_time_put's samples on the instruction after
	 * it, perf annotate).  As words, its samples on the writer thread
	 * fell by 30% (docs/performance.md, "Writer and findings,
	 * fourteenth session"). */
	static __thread gint64 cached_sec = G_MININT64, cached_day = G_MININT64;
	static __thread char date[40];
	static __thread gsize date_len;
	static __thread guint64 tod_lo;   /* "THH:MM:S", little-endian */
	static __thread guint16 tod_hi;   /* "S." */
	if (sec != cached_sec) {
		gint64 days = sec / 86400, rem = sec % 86400;
		if (rem < 0) {
			rem += 86400;
			days -= 1;
		}
		if (days != cached_day) {
			date_len = date_format(days, date, sizeof date);
			cached_day = days;
		}
		guint hour = (guint)(rem / 3600), min = (guint)(rem / 60 % 60), s = (guint)(rem % 60);
		guint16 hh, mm, ss;
		memcpy(&hh, ss_digit_pairs + 2 * hour, 2);
		memcpy(&mm, ss_digit_pairs + 2 * min, 2);
		memcpy(&ss, ss_digit_pairs + 2 * s, 2);
		hh = GUINT16_FROM_LE(hh);   /* the first digit in the low byte */
		mm = GUINT16_FROM_LE(mm);
		ss = GUINT16_FROM_LE(ss);
		tod_lo = (guint64)'T' | (guint64)hh << 8 | (guint64)':' << 24 | (guint64)mm << 32 |
			 (guint64)':' << 48 | (guint64)(ss & 0xFF) << 56;
		tod_hi = (guint16)((ss >> 8) | '.' << 8);
		cached_sec = sec;
	}
	/* A 4-digit year's 10 bytes as one fixed 16-byte copy (the room is
	 * SS_TIME_MAXLEN; the time of day is written over the 6 extra
	 * bytes): the call to memcpy of a variable length was a fifth of the
	 * line's copies on the writer thread (perf, mixed.pcap). */
	if (date_len <= 16)
		memcpy(p, date, 16);
	else
		memcpy(p, date, date_len);
	p += date_len;
	guint64 lo = GUINT64_TO_LE(tod_lo);
	guint16 hi = GUINT16_TO_LE(tod_hi);
	memcpy(p, &lo, 8);
	memcpy(p + 8, &hi, 2);
	p += 10;
	/* The fraction in two halves, whose digits do not wait for each
	 * other's divisions. */
	if (nanosecond) {
		fixed_digits_put(p, (guint64)frac / 100000, 4);
		p = fixed_digits_put(p + 4, (guint64)frac % 100000, 5);
	} else {
		guint64 us = (guint64)frac / 1000;
		fixed_digits_put(p, us / 1000, 3);
		p = fixed_digits_put(p + 3, us % 1000, 3);
	}
	*p++ = 'Z';
	return p;
}

void ss_time_append(GString *buf, gint64 ns, gboolean nanosecond)
{
	ss_commit(buf, ss_time_put(ss_reserve(buf, SS_TIME_MAXLEN), ns, nanosecond));
}

char *ss_ms_put(char *p, gint64 ns, gboolean nanosecond)
{
	/* The magnitude as unsigned, so that G_MININT64 cannot overflow. */
	guint64 mag = ns < 0 ? (guint64)(-(ns + 1)) + 1 : (guint64)ns;
	if (ns < 0)
		*p++ = '-';
	if (nanosecond) {
		p = ss_u64_put(p, mag / 1000000);
		*p++ = '.';
		return fixed_digits_put(p, mag % 1000000, 6);
	}
	guint64 us = mag / 1000;
	p = ss_u64_put(p, us / 1000);
	*p++ = '.';
	return fixed_digits_put(p, us % 1000, 3);
}

void ss_ms_append(GString *buf, gint64 ns, gboolean nanosecond)
{
	ss_commit(buf, ss_ms_put(ss_reserve(buf, SS_MS_MAXLEN), ns, nanosecond));
}

/* ---- JSON ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static gsize utf8_valid_len(const guint8 *s)
{
	guint8 c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		guint8 lo = c == 0xE0 ? 0xA0 : 0x80;
		guint8 hi = c == 0xED ? 0x9F : 0xBF;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		guint8 lo = c == 0xF0 ? 0x90 : 0x80;
		guint8 hi = c == 0xF4 ? 0x8F : 0xBF;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* Printable ASCII that JSON takes as it is. */
static inline gboolean json_plain(guint8 c)
{
	return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

/* Whether 8 bytes (in any order) are all json_plain: none below 0x20 or
 * 0x7F and above, none '"' or '\\' (the classic "has a byte less than n"
 * and "has a zero byte" tests, exact for whether any byte is one).  The
 * findings' statements are long plain text: one test a word instead of
 * four a byte took ss_json_escape_put from ~5 to ~1.5 instructions a
 * byte (callgrind, docs/performance.md "The serial tail"). */
static inline gboolean json_plain8(guint64 w)
{
	const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
	const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
	guint64 quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
	guint64 del = w ^ (ones * 0x7F);
	guint64 bad = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
		      ((bslash - ones) & ~bslash) | ((del - ones) & ~del) | w;
	return (bad & high) == 0;
}

char *ss_json_escape_put(char *out, const char *s, gsize n)
{
	if (s == NULL) {
		memcpy(out, "null", 4);
		return out + 4;
	}
	static const char hex[] = "0123456789abcdef";
	/* Reading p[1..3] in utf8_valid_len() stays inside s: s[n] is its
	 * NUL, which fails the continuation-byte test first. */
	const guint8 *p = (const guint8 *)s, *end = p + n;
	*out++ = '"';
	if (n >= 4 && n <= 16) {
		/* A short plain name (a service: "https", "domain"...) tested
		 * and copied as two overlapping words, inside its bytes: the
		 * byte loop below took each of its bytes apart, then called
		 * memcpy (~3% of the writer thread on mixed.pcap, perf;
		 * docs/performance.md, "Writer and findings, twelfth
		 * session"). */
		guint64 a, b;
		if (n >= 8) {
			memcpy(&a, s, 8);
			memcpy(&b, s + n - 8, 8);
		} else {
			guint32 a4, b4;
			memcpy(&a4, s, 4);
			memcpy(&b4, s + n - 4, 4);
			a = a4;
			b = b4;
		}
		gboolean plain = n >= 8 ? json_plain8(a) && json_plain8(b)
					: json_plain8(a | b << 32);   /* all n bytes */
		if (plain) {
			if (n >= 8) {
				memcpy(out, &a, 8);
				memcpy(out + n - 8, &b, 8);
			} else {
				guint32 a4 = (guint32)a, b4 = (guint32)b;
				memcpy(out, &a4, 4);
				memcpy(out + n - 4, &b4, 4);
			}
			out += n;
			*out++ = '"';
			return out;
		}
	}
	while (p < end) {
		/* Runs of plain characters (all of most strings) in one copy. */
		const guint8 *run = p;
		for (guint64 w; end - p >= 8 && (memcpy(&w, p, 8), json_plain8(w));)
			p += 8;
		while (p < end && json_plain(*p))
			p++;
		memcpy(out, run, (gsize)(p - run));
		out += p - run;
		if (p == end)
			break;
		guint8 c = *p;
		if (c == '"' || c == '\\') {
			*out++ = '\\';
			*out++ = (char)c;
			p++;
		} else if (c < 0x20 || c == 0x7F) {
			memcpy(out, "\\u00", 4);
			out[4] = hex[c >> 4];
			out[5] = hex[c & 15];
			out += 6;
			p++;
		} else {
			gsize len = utf8_valid_len(p);
			if (len == 0) {
				memcpy(out, "\\ufffd", 6);
				out += 6;
				p++;
			} else {
				memcpy(out, p, len);
				out += len;
				p += len;
			}
		}
	}
	*out++ = '"';
	return out;
}

void ss_json_escape_append(GString *buf, const char *s)
{
	gsize n = s ? strlen(s) : 0;
	ss_commit(buf, ss_json_escape_put(ss_reserve(buf, SS_JSON_ESCAPED_MAX(n)), s, n));
}

/* ---- terminal-safe text -------------------------------------------------- */

/* Characters that change how a terminal or a bidirectional renderer shows
 * the text after them: U+061C, U+200E/F, U+202A-U+202E (embeddings and
 * overrides) and U+2066-U+2069 (isolates). */
static gboolean bidi_control(gunichar c)
{
	return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069);
}

void ss_text_sanitize_append(GString *b, const char *s)
{
	if (s == NULL)
		return;
	char *v = g_utf8_make_valid(s, -1);
	for (const char *p = v; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || (c >= 0x7F && c < 0xA0) || bidi_control(c))
			g_string_append_c(b, '?');
		else
			g_string_append_len(b, p, g_utf8_next_char(p) - p);
	}
	g_free(v);
}

char *ss_text_sanitize(const char *s)
{
	GString *b = g_string_new(NULL);
	ss_text_sanitize_append(b, s);
	return g_string_free(b, FALSE);
}

void ss_html_escape_append(GString *b, const char *s, gboolean ascii_only)
{
	if (s == NULL)
		return;
	char *clean = ascii_only ? NULL : ss_text_sanitize(s);
	for (const guchar *p = (const guchar *)(clean ? clean : s); *p; p++) {
		switch (*p) {
		case '&':
			g_string_append(b, "&amp;");
			break;
		case '<':
			g_string_append(b, "&lt;");
			break;
		case '>':
			g_string_append(b, "&gt;");
			break;
		case '"':
			g_string_append(b, "&quot;");
			break;
		case '\'':
			g_string_append(b, "&#39;");
			break;
		default:
			g_string_append_c(b, *p < 0x20 || *p == 0x7f || (ascii_only && *p > 0x7f) ?
						     '?' : (char)*p);
		}
	}
	g_free(clean);
}
