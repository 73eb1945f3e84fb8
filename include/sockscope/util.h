/* Small shared helpers: address and time formatting, service names, JSON
 * string escaping. */
#ifndef SOCKSCOPE_UTIL_H
#define SOCKSCOPE_UTIL_H

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

/* Service name for a port ("http", "domain"...) or NULL: a built-in table
 * first (so common ports are named the same everywhere), then, unless
 * ss_services_use_system(FALSE) was called, the system's services database
 * (getservbyport(), cached; the result is an interned string).  Never does
 * network lookups.  Thread-safe. */
const char *ss_service_name(guint8 proto, guint16 port);
/* TRUE when the port is a server port in the built-in table (never the
 * system database, so the evidence is the same on every host): the evidence
 * used to orient connections without a handshake.  Client-side ports that
 * have a name (bootpc 68/udp, ftp-data 20/tcp) are not server ports. */
gboolean ss_service_port_known(guint8 proto, guint16 port);
/* Whether ss_service_name() may fall back to the system's services database
 * (default TRUE; --builtin-services and the golden tests turn it off). */
void ss_services_use_system(gboolean on);

/* Appends a duration in milliseconds as a plain decimal number computed with
 * integer arithmetic: 3 decimals ("12.345") for microsecond captures, 6
 * ("12.345678") when nanosecond.  Negative durations keep their sign. */
void ss_ms_append(GString *buf, gint64 ns, gboolean nanosecond);

/* Appends s as a JSON string literal (quotes included), escaping control
 * characters, quotes and backslashes; invalid UTF-8 bytes become U+FFFD. */
void ss_json_escape_append(GString *buf, const char *s);

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

/* A random value chosen once per process: the start of every
 * ss_hash_bytes(), so addresses and ports taken from a capture cannot be
 * crafted to pile into one bucket of those tables.  (A process-wide value,
 * like GLib's own hash seeds: nothing in the output depends on it.) */
guint64 ss_hash_seed(void);

/* Hash of a small fixed-size key (the GHashTable keys of the listener,
 * host, role and finding accumulators: 16 to 48 bytes, zero-padded), eight
 * bytes at a time.  Those tables are looked up several times per record;
 * the byte-at-a-time FNV-1a they used cost 4-5% of a jsonl run.  Keyed by
 * ss_hash_seed(); nothing in the output depends on the tables' order.  (The
 * flow table, fed every packet, uses SipHash with its own per-run key.) */
static inline guint ss_hash_bytes(const void *p, gsize n)
{
	const guint8 *b = p;
	guint64 h = ss_hash_seed() ^ n;
	gsize i = 0;
	for (; i + 8 <= n; i += 8) {
		guint64 w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (i < n) {
		guint64 w = 0;
		memcpy(&w, b + i, n - i);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return (guint)h;
}

#endif
