/* The one JSON writer of the report layer: key/value syntax for every
 * format that writes JSON (json and jsonl, ecs, zeek-json, the finding
 * records), so none of them spells JSON syntax, number formatting or
 * escaping on its own (the role of Zeek's formatters/JSON.cc and
 * Suricata's SCJb*).  Formats keep their own field lists.  Numbers are
 * integers or decimals printed with integer arithmetic (ss_u64_append
 * writes exactly what %" G_GUINT64_FORMAT " does), so the output is
 * byte-identical on every platform. */
#ifndef SOCKSCOPE_REPORT_JSON_WRITER_H
#define SOCKSCOPE_REPORT_JSON_WRITER_H

#include <glib.h>
#include <string.h>

#include "sockscope/conn.h"
#include "sockscope/util.h"

/* These run once per record field, and for jsonl that is most of
 * sockscope's time: keys are literals whose quoted form ("\"k\":") and
 * length are known at compile time, numbers are formatted by hand, and
 * nothing goes through printf or strlen (docs/performance.md).  Each kv_*
 * macro takes a literal key; the *_dyn forms take a key computed at run
 * time.  They are inline so the record writers cost what they did when
 * each format had its own copy. */
#define QKEY(k) "\"" k "\":", sizeof("\"" k "\":") - 1

static inline void key_(GString *b, const char *qk, gsize n)
{
	ss_append_len(b, qk, n);
}

static inline void key_dyn(GString *b, const char *k)
{
	g_string_append_c(b, '"');
	ss_append_len(b, k, strlen(k));
	ss_append_lit(b, "\":");
}

/* A key from text that may need escaping (a name that is data). */
static inline void key_escaped(GString *b, const char *k)
{
	ss_json_escape_append(b, k);
	g_string_append_c(b, ':');
}

static inline void null_(GString *b)
{
	ss_append_lit(b, "null");
}

static inline void kv_str_(GString *b, const char *qk, gsize n, const char *v)
{
	key_(b, qk, n);
	ss_json_escape_append(b, v);  /* NULL becomes null */
}

static inline void kv_u64_(GString *b, const char *qk, gsize n, guint64 v)
{
	key_(b, qk, n);
	ss_u64_append(b, v);
}

static inline void kv_u64_dyn(GString *b, const char *k, guint64 v)
{
	key_dyn(b, k);
	ss_u64_append(b, v);
}

static inline void kv_bool_(GString *b, const char *qk, gsize n, gboolean v)
{
	key_(b, qk, n);
	if (v)
		ss_append_lit(b, "true");
	else
		ss_append_lit(b, "false");
}

static inline void kv_time_(GString *b, const char *qk, gsize n, gint64 ns, gboolean nanosecond)
{
	key_(b, qk, n);
	if (ns == SS_NO_TIME) {
		null_(b);
		return;
	}
	g_string_append_c(b, '"');
	ss_time_append(b, ns, nanosecond);
	g_string_append_c(b, '"');
}

static inline void kv_ms_(GString *b, const char *qk, gsize n, gint64 ns, gboolean nanosecond)
{
	key_(b, qk, n);
	if (ns == SS_NO_TIME)
		null_(b);
	else
		ss_ms_append(b, ns, nanosecond);
}

/* A name from one of sockscope's own tables (outcome, evidence, state...)
 * or another text known to be printable ASCII without quotes or
 * backslashes: escaping would copy it unchanged, so it is not scanned. */
static inline void kv_name_(GString *b, const char *qk, gsize n, const char *v)
{
	key_(b, qk, n);
	if (v == NULL) {
		null_(b);
		return;
	}
	g_string_append_c(b, '"');
	ss_append_len(b, v, strlen(v));
	g_string_append_c(b, '"');
}

/* An address: its text needs no escaping. */
static inline void kv_ip_(GString *b, const char *qk, gsize n, guint8 family, const ss_ip *ip)
{
	char text[SS_IP_STRLEN];
	gsize len = ss_ip_format(family, ip, text);
	key_(b, qk, n);
	g_string_append_c(b, '"');
	ss_append_len(b, text, len);
	g_string_append_c(b, '"');
}

/* Writes a literal (its length known at compile time) at p and moves p
 * past it: for the writers that work at a pointer into room made once with
 * ss_reserve (the jsonl connection line, report/json-line.c). */
#define put_lit(p, lit) ((p) = (char *)memcpy((p), "" lit, sizeof(lit) - 1) + sizeof(lit) - 1)

#define key(b, k) key_((b), QKEY(k))
#define kv_str(b, k, v) kv_str_((b), QKEY(k), (v))
#define kv_name(b, k, v) kv_name_((b), QKEY(k), (v))
#define kv_u64(b, k, v) kv_u64_((b), QKEY(k), (v))
#define kv_bool(b, k, v) kv_bool_((b), QKEY(k), (v))
#define kv_time(b, k, ns, nano) kv_time_((b), QKEY(k), (ns), (nano))
#define kv_ms(b, k, ns, nano) kv_ms_((b), QKEY(k), (ns), (nano))
#define kv_ip(b, k, family, ip) kv_ip_((b), QKEY(k), (family), (ip))

/* A member that is left out altogether when `v` is NULL, as Zeek's JSON
 * writer leaves out unset fields; when written it brings its own leading
 * comma (it never opens an object). */
static inline void kv_str_omit_unset_(GString *b, const char *qk, gsize n, const char *v)
{
	if (v == NULL)
		return;
	g_string_append_c(b, ',');
	kv_str_(b, qk, n, v);
}
#define kv_str_omit_unset(b, k, v) kv_str_omit_unset_((b), QKEY(k), (v))

/* The value (not the key) of a connection object's "icmp" key: {"type",
 * "code", "count"} of the ICMP errors it drew, or null. */
void ss_json_icmp_append(GString *buf, const ss_conn *c);
/* The value of a connection object's "tcp_options" key: the client's and
 * the server's SYN options, or null for a record that is not TCP. */
void ss_json_tcp_options_append(GString *buf, const ss_conn *c);
/* The same two values written at p, which has room for the *_MAXLEN
 * bytes (format.h's ss_reserve); they return the end of the text. */
#define SS_JSON_ICMP_MAXLEN (32 + 3 * SS_U64_MAXLEN)
#define SS_JSON_TCP_OPTIONS_MAXLEN (128 + 4 * SS_U64_MAXLEN)
char *ss_json_icmp_put(char *p, const ss_conn *c);
char *ss_json_tcp_options_put(char *p, const ss_conn *c);
/* "type":...,"vni":... of a virtual network (vni null when the header
 * carries none): the members a tunnel object opens with. */
void ss_json_vnet_fields(GString *buf, const ss_vnet *v);
/* "outer":{"ip_version","src","dst"[,"sport","dport" when either is set]},
 * or "outer":null without an outer IP header (MPLS, PPPoE on a link). */
void ss_json_outer_append(GString *buf, guint8 family, const ss_ip *src, const ss_ip *dst,
			  guint16 sport, guint16 dport);
/* The value of a record's "tunnel" key: {"type","vni","depth","outer"}
 * (docs/output.md#tunnel); the jsonl connection object's and ECS's. */
/* "labels":[top,...,bottom] from an interned MPLS stack, or null when
 * it was not kept (0). */
void ss_json_mpls_labels(GString *buf, GQuark labels);
void ss_json_tunnel_append(GString *buf, const ss_tunnel *t);

#endif
