/* Text of numbers, addresses, times and JSON strings, exactly as every
 * output format writes them (src/core/format.c). */
#ifndef SOCKSCOPE_FORMAT_H
#define SOCKSCOPE_FORMAT_H

#include <glib.h>
#include <string.h>
#include "sockscope/packet.h"

/* Longest text form of an address (INET6_ADDRSTRLEN). */
#define SS_IP_STRLEN 46

/* Numeric text form: dotted quad, or RFC 5952 IPv6 (no brackets).
 * Returns the length of the text. */
gsize ss_ip_format(guint8 family, const ss_ip *ip, char buf[SS_IP_STRLEN]);

/* RFC 3339 UTC ("2026-01-01T00:00:00.123456Z"), 6 or 9 sub-second digits.
 * Appends to buf. */
void ss_time_append(GString *buf, gint64 ns, gboolean nanosecond);

/* Appends a duration in milliseconds as a plain decimal number computed with
 * integer arithmetic: 3 decimals ("12.345") for microsecond captures, 6
 * ("12.345678") when nanosecond.  Negative durations keep their sign. */
void ss_ms_append(GString *buf, gint64 ns, gboolean nanosecond);

/* Appends s as a JSON string literal (quotes included), escaping control
 * characters, quotes and backslashes; invalid UTF-8 bytes become U+FFFD. */
void ss_json_escape_append(GString *buf, const char *s);

/* Appends s for a terminal or a plain-text report: invalid UTF-8 becomes
 * U+FFFD, and control characters (C0, DEL, C1: raw terminal escapes) and
 * bidirectional overrides, embeddings, isolates and marks become '?'.  For
 * every name sockscope prints that it did not make: file, interface,
 * service names.  NULL appends nothing. */
void ss_text_sanitize_append(GString *b, const char *s);
/* The same as a new string (g_free); NULL gives "". */
char *ss_text_sanitize(const char *s);

/* Appends s as text inside HTML (ascii_only FALSE) or a Graphviz HTML-like
 * label (ascii_only TRUE): & < > " ' as entities.  HTML gets the text
 * sanitised first (ss_text_sanitize_append: controls and bidirectional
 * overrides as '?', invalid UTF-8 as U+FFFD); a label gets printable ASCII
 * only, every other byte as '?', which neutralises the same characters.
 * NULL appends nothing. */
void ss_html_escape_append(GString *b, const char *s, gboolean ascii_only);

/* ---- fast appenders -------------------------------------------------------
 * The record writers (jsonl above all) spend most of sockscope's time when
 * printf and strlen do the work: these append with known lengths and format
 * integers by hand (docs/performance.md).  The text is exactly what printf's
 * "%" G_GUINT64_FORMAT / "%" G_GINT64_FORMAT would give. */

/* Appends n bytes; inline when the string has room (the usual case). */
static inline void ss_append_len(GString *b, const char *s, gsize n)
{
	if (G_LIKELY(b->len + n < b->allocated_len)) {
		memcpy(b->str + b->len, s, n);
		b->len += n;
		b->str[b->len] = '\0';
	} else {
		g_string_append_len(b, s, (gssize)n);
	}
}

/* Appends a string literal (its length is known at compile time). */
#define ss_append_lit(b, lit) ss_append_len((b), "" lit, sizeof(lit) - 1)

void ss_u64_append(GString *b, guint64 v);
void ss_i64_append(GString *b, gint64 v);

/* ---- writers into a buffer with room ---------------------------------------
 * The same texts written at `out`, which the caller has made room for
 * (ss_reserve: the jsonl line writer, report/json-line.c, reserves its
 * longest line once); each returns the end of what it wrote, with no NUL.
 * The *_append forms above are these into a GString: one implementation of
 * each text. */
#define SS_U64_MAXLEN 20
#define SS_TIME_MAXLEN 48      /* a 64-bit year and 9 decimals: 38 */
#define SS_MS_MAXLEN 28        /* '-', 20 digits, '.', 6 decimals */
/* What ss_json_escape_put can write for a string of n bytes: "\u00XX"
 * (6 bytes) for each, two quotes ("null" for NULL fits in 4 <= 2 + 6n + 2). */
#define SS_JSON_ESCAPED_MAX(n) (6 * (gsize)(n) + 4)
/* ss_u64_put: numbers below 100 (most of a connection line's: the IP
 * version, retransmits, evictions, most packet counts) inline, the rest
 * in ss_u64_put_long.  The call itself was the largest item of
 * ss_u64_put's samples (perf annotate, the writer thread on mixed.pcap:
 * ~14% on its first instruction), and a line writes 15 to 20 numbers
 * (docs/performance.md, "Writer and findings, twelfth session"). */
char *ss_u64_put_long(char *out, guint64 v);
extern const char ss_digit_pairs[201];   /* "00" to "99" */
static inline char *ss_u64_put(char *out, guint64 v)
{
	if (v < 10) {
		*out = (char)('0' + v);
		return out + 1;
	}
	if (v < 100) {
		memcpy(out, ss_digit_pairs + 2 * v, 2);
		return out + 2;
	}
	return ss_u64_put_long(out, v);
}
char *ss_time_put(char *out, gint64 ns, gboolean nanosecond);
char *ss_ms_put(char *out, gint64 ns, gboolean nanosecond);
/* s (n bytes, then its NUL) as a JSON string literal, as
 * ss_json_escape_append writes it; NULL as null. */
char *ss_json_escape_put(char *out, const char *s, gsize n);

/* Room for n more bytes (and the NUL) at the end of b: returns where they
 * go.  Write there, then hand the end to ss_commit. */
static inline char *ss_reserve(GString *b, gsize n)
{
	if (G_UNLIKELY(b->len + n >= b->allocated_len)) {
		gsize len = b->len;
		g_string_set_size(b, len + n);
		g_string_truncate(b, len);
	}
	return b->str + b->len;
}

/* Ends b at `end` (inside the room ss_reserve made). */
static inline void ss_commit(GString *b, char *end)
{
	b->len = (gsize)(end - b->str);
	*end = '\0';
}

#endif
