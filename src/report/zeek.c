/* Zeek conn.log: the TSV layout of Zeek's ASCII writer (--format zeek) and
 * its JSON writer (--format zeek-json), one row / object per connection
 * record, the client as Zeek's originator.  docs/output.md lists the
 * fields and where they differ from what Zeek itself would log. */
#include <netinet/in.h>
#include <string.h>

#include "report/json-writer.h"
#include "report/model.h"
#include "report/out.h"
#include "sockscope/community-id.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/tunnels.h"
#include "sockscope/util.h"

#define NS_PER_SEC G_GINT64_CONSTANT(1000000000)

static const char tsv_fields[] =
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\t"
	"duration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\t"
	"missed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\t"
	"tunnel_parents\tcommunity_id\n";
static const char tsv_types[] =
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\t"
	"count\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\t"
	"set[string]\tstring\n";

/* Seconds with 6 decimals ("1767225600.123456"), as Zeek prints time and
 * interval values; computed from integer ns, truncated toward zero. */
static void secs_append(GString *b, gint64 ns)
{
	guint64 mag = ns < 0 ? (guint64)(-(ns + 1)) + 1 : (guint64)ns;
	if (ns < 0)
		g_string_append_c(b, '-');
	g_string_append_printf(b, "%" G_GUINT64_FORMAT ".%06" G_GUINT64_FORMAT,
			       mag / (guint64)NS_PER_SEC, mag % (guint64)NS_PER_SEC / 1000);
}

/* Zeek's #open / #close form, YYYY-MM-DD-HH-MM-SS (UTC), derived from the
 * RFC 3339 form so both agree on every date. */
static void zeek_date_append(GString *b, gint64 ns)
{
	GString *t = g_string_new(NULL);
	ss_time_append(t, ns == SS_NO_TIME ? 0 : ns, FALSE);
	for (const char *p = t->str; *p != '\0' && *p != '.'; p++)
		g_string_append_c(b, *p == 'T' || *p == ':' ? '-' : *p);
	g_string_free(t, TRUE);
}

/* A TSV string field the way Zeek's ASCII writer escapes it: NULL is the
 * unset field "-", "" the empty field "(empty)"; bytes that are not
 * printable ASCII (the separator TAB among them) and the backslash are
 * written \xNN; a value that would read as "-" or "(empty)" gets its first
 * character escaped.  (No field sockscope writes is a set with elements,
 * so the set separator never needs escaping.) */
void ss_zeek_field_append(GString *b, const char *s)
{
	if (s == NULL) {
		g_string_append_c(b, '-');
		return;
	}
	if (*s == '\0') {
		g_string_append(b, "(empty)");
		return;
	}
	gboolean literal = strcmp(s, "-") == 0 || strcmp(s, "(empty)") == 0;
	for (const guchar *p = (const guchar *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '\\' ||
		    (literal && p == (const guchar *)s))
			g_string_append_printf(b, "\\x%02x", *p);
		else
			g_string_append_c(b, (char)*p);
	}
}

/* Zeek-like connection uid: "C" + 17 base-62 digits (the first 128 bits,
 * big-endian, modulo 62^17) of SHA-1("sockscope-uid-v1" . family . proto . the endpoints in
 * Community ID order (address 16 bytes, port 2 bytes BE, smaller first) .
 * first packet time in ns (8 bytes BE, two's complement) . the record's
 * index among the records of its 5-tuple (4 bytes BE)).  The same input
 * always gives the same uids. */
static void uid_of(const guint8 *in, gsize n, char out[19]);

static void zeek_uid(const ss_conn *c, gint64 first_ns, char out[19])
{
	static const char tag[] = "sockscope-uid-v1";
	int ia = 0, iz = 1;
	const ss_ip *a = ss_conn_ip(c, ia), *z = ss_conn_ip(c, iz);
	int cmp = memcmp(a->bytes, z->bytes, sizeof a->bytes);
	if (cmp > 0 || (cmp == 0 && ss_conn_port(c, ia) > ss_conn_port(c, iz))) {
		ia = 1;
		iz = 0;
		a = ss_conn_ip(c, ia);
		z = ss_conn_ip(c, iz);
	}
	guint16 ap = ss_conn_port(c, ia), zp = ss_conn_port(c, iz);

	guint8 in[sizeof tag - 1 + 2 + 2 * 18 + 8 + 4];
	gsize n = 0;
	memcpy(in, tag, sizeof tag - 1);
	n += sizeof tag - 1;
	in[n++] = c->family;
	in[n++] = c->proto;
	memcpy(in + n, a->bytes, 16);
	n += 16;
	in[n++] = (guint8)(ap >> 8);
	in[n++] = (guint8)ap;
	memcpy(in + n, z->bytes, 16);
	n += 16;
	in[n++] = (guint8)(zp >> 8);
	in[n++] = (guint8)zp;
	guint64 t = (guint64)first_ns;
	for (int i = 7; i >= 0; i--)
		in[n++] = (guint8)(t >> (8 * i));
	for (int i = 3; i >= 0; i--)
		in[n++] = (guint8)(ss_conn_reuse_index(c) >> (8 * i));
	uid_of(in, n, out);
}

/* A tunnel's uid, the one its inner records name in tunnel_parents: the
 * same form over SHA-1("sockscope-tunnel-uid-v1" . type . has_vni . vni
 * (4 bytes BE) . outer IP version . the two outer addresses, smaller
 * first) -- the tunnel record's identity (sockscope/tunnels.h). */
static void tunnel_uid(const ss_vnet *v, guint8 family, const ss_ip *x, const ss_ip *y,
		       char out[19])
{
	static const char tag[] = "sockscope-tunnel-uid-v1";
	static const ss_ip none;   /* no outer IP header: the addresses count as zero */
	if (family == 0)
		x = y = &none;
	if (memcmp(x, y, sizeof *x) > 0) {
		const ss_ip *t = x;
		x = y;
		y = t;
	}
	guint8 in[sizeof tag - 1 + 2 + 4 + 1 + 2 * 16];
	gsize n = 0;
	memcpy(in, tag, sizeof tag - 1);
	n += sizeof tag - 1;
	in[n++] = v->type;
	in[n++] = v->has_vni;
	for (int i = 3; i >= 0; i--)
		in[n++] = (guint8)(v->vni >> (8 * i));
	in[n++] = family;
	memcpy(in + n, x->bytes, 16);
	n += 16;
	memcpy(in + n, y->bytes, 16);
	n += 16;
	uid_of(in, n, out);
}

/* "C" + 17 base-62 digits of SHA-1(in). */
static void uid_of(const guint8 *in, gsize n, char out[19])
{
	static const char digits[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	guint8 digest[20];
	gsize dlen = sizeof digest;
	GChecksum *sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(sha1, in, n);
	g_checksum_get_digest(sha1, digest, &dlen);
	g_checksum_free(sha1);

	/* A 128-bit big-endian number divided by 62 seventeen times: the
	 * remainders are its 17 lowest base-62 digits, written last first. */
	guint8 num[16];
	memcpy(num, digest, sizeof num);
	out[0] = 'C';
	out[18] = '\0';
	for (int pos = 17; pos >= 1; pos--) {
		guint rem = 0;
		for (gsize i = 0; i < sizeof num; i++) {
			guint cur = rem * 256 + num[i];
			num[i] = (guint8)(cur / 62);
			rem = cur % 62;
		}
		out[pos] = digits[rem];
	}
}

/* Everything a row needs, computed once for both layouts. */
typedef struct {
	ss_conn_view v;         /* client = orig, server = resp */
	const ss_endpoint *orig, *resp;
	char orig_h[SS_IP_STRLEN], resp_h[SS_IP_STRLEN];
	char uid[19];
	char tunnel_uid[19];    /* "" when the record was not tunnelled */
	const char *hist, *cid;
	gboolean have_cid;
	const char *proto, *service, *state;
	gint64 first, last;
} zeek_row;

static void row_init(zeek_row *z, const ss_conn *c)
{
	ss_conn_view_make(c, &z->v);
	z->orig = z->v.client;
	z->resp = z->v.server;
	ss_ip_format(c->family, z->v.client_ip, z->orig_h);
	ss_ip_format(c->family, z->v.server_ip, z->resp_h);
	z->first = z->v.first;
	z->last = z->v.last;
	zeek_uid(c, z->first, z->uid);
	z->tunnel_uid[0] = '\0';
	const ss_tunnel *t = ss_conn_tunnel(c);
	if (t->type != SS_TUNNEL_NONE) {
		ss_vnet v = ss_tunnel_vnet(t);
		tunnel_uid(&v, t->family, &t->src, &t->dst, z->tunnel_uid);
	}
	z->hist = z->v.zeek_history;
	z->have_cid = z->v.have_community_id;
	z->cid = z->v.community_id;
	z->proto = ss_proto_name(c->proto, "unknown_transport");
	z->service = z->v.service;
	z->state = z->v.zeek_state;
}

static void tsv_u64(GString *b, guint64 v)
{
	g_string_append_printf(b, "\t%" G_GUINT64_FORMAT, v);
}

static void tsv_conn(GString *b, const ss_conn *c)
{
	zeek_row z;
	row_init(&z, c);

	if (z.first == SS_NO_TIME)
		g_string_append_c(b, '-');
	else
		secs_append(b, z.first);
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.uid);
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.orig_h);
	tsv_u64(b, z.v.client_port);
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.resp_h);
	tsv_u64(b, z.v.server_port);
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.proto);
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.service);
	g_string_append_c(b, '\t');
	if (z.first == SS_NO_TIME || z.last == SS_NO_TIME)
		g_string_append_c(b, '-');
	else
		secs_append(b, z.last - z.first);
	tsv_u64(b, z.orig->payload);
	tsv_u64(b, z.resp->payload);
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.state);
	g_string_append(b, "\t-\t-");  /* local_orig, local_resp */
	tsv_u64(b, ss_conn_tcp_part(c)->missed_bytes);
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.hist);
	tsv_u64(b, z.orig->packets);
	tsv_u64(b, z.orig->bytes);
	tsv_u64(b, z.resp->packets);
	tsv_u64(b, z.resp->bytes);
	/* tunnel_parents: the tunnel's uid (tunnel log below), or the empty set */
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.tunnel_uid);
	g_string_append_c(b, '\t');
	ss_zeek_field_append(b, z.have_cid ? z.cid : NULL);
	g_string_append_c(b, '\n');
}

/* One conn.log object as Zeek's JSON writer writes it: unset fields are
 * left out (kv_str_omit_unset), never written as null. */
static void json_conn(GString *b, const ss_conn *c)
{
	zeek_row z;
	row_init(&z, c);

	g_string_append_c(b, '{');
	key(b, "ts");
	if (z.first == SS_NO_TIME)
		null_(b);
	else
		secs_append(b, z.first);
	kv_str_omit_unset(b, "uid", z.uid);
	kv_str_omit_unset(b, "id.orig_h", z.orig_h);
	g_string_append_c(b, ',');
	kv_u64(b, "id.orig_p", z.v.client_port);
	kv_str_omit_unset(b, "id.resp_h", z.resp_h);
	g_string_append_c(b, ',');
	kv_u64(b, "id.resp_p", z.v.server_port);
	kv_str_omit_unset(b, "proto", z.proto);
	kv_str_omit_unset(b, "service", z.service);
	if (z.first != SS_NO_TIME && z.last != SS_NO_TIME) {
		g_string_append_c(b, ',');
		key(b, "duration");
		secs_append(b, z.last - z.first);
	}
	g_string_append_c(b, ',');
	kv_u64(b, "orig_bytes", z.orig->payload);
	g_string_append_c(b, ',');
	kv_u64(b, "resp_bytes", z.resp->payload);
	kv_str_omit_unset(b, "conn_state", z.state);
	g_string_append_c(b, ',');
	kv_u64(b, "missed_bytes", ss_conn_tcp_part(c)->missed_bytes);
	kv_str_omit_unset(b, "history", z.hist);
	g_string_append_c(b, ',');
	kv_u64(b, "orig_pkts", z.orig->packets);
	g_string_append_c(b, ',');
	kv_u64(b, "orig_ip_bytes", z.orig->bytes);
	g_string_append_c(b, ',');
	kv_u64(b, "resp_pkts", z.resp->packets);
	g_string_append_c(b, ',');
	kv_u64(b, "resp_ip_bytes", z.resp->bytes);
	g_string_append_c(b, ',');
	key(b, "tunnel_parents");
	g_string_append_c(b, '[');
	if (z.tunnel_uid[0] != '\0')
		ss_json_escape_append(b, z.tunnel_uid);
	g_string_append_c(b, ']');
	kv_str_omit_unset(b, "community_id", z.have_cid ? z.cid : NULL);
	ss_append_lit(b, "}\n");
}

/* ---- tunnel.log: each tunnel's DISCOVER (first packet) and CLOSE (last
 * packet), in time order, as Zeek's tunnel framework logs them ---- */

static const char tunnel_tsv_fields[] =
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttunnel_type\taction\n";
static const char tunnel_tsv_types[] =
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tenum\n";

/* Zeek's Tunnel::Type names; the types Zeek has none for (it does not log
 * MPLS, PPPoE, PBB or FabricPath as tunnels) get one in the same form. */
static const char *zeek_tunnel_type(guint8 t)
{
	static const char *const names[SS_TUNNEL_COUNT] = {
		[SS_TUNNEL_VXLAN] = "Tunnel::VXLAN",   [SS_TUNNEL_GENEVE] = "Tunnel::GENEVE",
		[SS_TUNNEL_GRE] = "Tunnel::GRE",       [SS_TUNNEL_ERSPAN] = "Tunnel::GRE",
		[SS_TUNNEL_IPIP] = "Tunnel::IP",       [SS_TUNNEL_GTPU] = "Tunnel::GTPv1",
		[SS_TUNNEL_TEREDO] = "Tunnel::TEREDO", [SS_TUNNEL_AYIYA] = "Tunnel::AYIYA",
		[SS_TUNNEL_MPLS] = "Tunnel::MPLS",     [SS_TUNNEL_PPPOE] = "Tunnel::PPPOE",
		[SS_TUNNEL_PBB] = "Tunnel::PBB",       [SS_TUNNEL_FABRICPATH] = "Tunnel::FABRICPATH",
	};
	return t < SS_TUNNEL_COUNT && names[t] ? names[t] : "Tunnel::NONE";
}

typedef struct {
	gint64 ts;
	guint index;     /* into r->tunnels */
	gboolean close;
} tunnel_event;

static gint event_cmp(gconstpointer pa, gconstpointer pb)
{
	const tunnel_event *a = pa, *b = pb;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->close != b->close)
		return a->close ? 1 : -1;
	return (a->index > b->index) - (a->index < b->index);
}

static void tunnel_row(GString *b, const ss_tunnel_flow *t, const tunnel_event *e, gboolean tsv)
{
	char uid[19], src[SS_IP_STRLEN] = "", dst[SS_IP_STRLEN] = "";
	tunnel_uid(&t->vnet, t->family, &t->src, &t->dst, uid);
	if (t->family) {
		ss_ip_format(t->family, &t->src, src);
		ss_ip_format(t->family, &t->dst, dst);
	}
	const char *action = e->close ? "Tunnel::CLOSE" : "Tunnel::DISCOVER";
	if (tsv) {
		secs_append(b, e->ts);
		g_string_append_c(b, '\t');
		ss_zeek_field_append(b, uid);
		g_string_append_c(b, '\t');
		ss_zeek_field_append(b, t->family ? src : NULL);   /* unset: no outer IP */
		tsv_u64(b, t->sport);
		g_string_append_c(b, '\t');
		ss_zeek_field_append(b, t->family ? dst : NULL);
		tsv_u64(b, t->dport);
		g_string_append_printf(b, "\t%s\t%s\n", zeek_tunnel_type(t->vnet.type), action);
		return;
	}
	/* One stream holds both logs: "_path" says which, as Zeek's JSON
	 * logs do when several are written to one place. */
	g_string_append(b, "{\"_path\":\"tunnel\",");
	key(b, "ts");
	secs_append(b, e->ts);
	kv_str_omit_unset(b, "uid", uid);
	kv_str_omit_unset(b, "id.orig_h", t->family ? src : NULL);
	g_string_append_c(b, ',');
	kv_u64(b, "id.orig_p", t->sport);
	kv_str_omit_unset(b, "id.resp_h", t->family ? dst : NULL);
	g_string_append_c(b, ',');
	kv_u64(b, "id.resp_p", t->dport);
	g_string_append_c(b, ',');
	kv_name(b, "tunnel_type", zeek_tunnel_type(t->vnet.type));
	g_string_append_c(b, ',');
	kv_name(b, "action", action);
	ss_append_lit(b, "}\n");
}

/* The tunnel log after the conn log, only when the capture had tunnels. */
static void tunnel_log(GString *b, const ss_report *r, gboolean tsv)
{
	guint n = r->tunnels ? r->tunnels->len : 0;
	if (n == 0)
		return;
	GArray *ev = g_array_sized_new(FALSE, FALSE, sizeof(tunnel_event), 2 * n);
	gint64 open = SS_NO_TIME, close = SS_NO_TIME;
	for (guint i = 0; i < n; i++) {
		const ss_tunnel_flow *t = &g_array_index(r->tunnels, ss_tunnel_flow, i);
		if (t->first_ns == SS_NO_TIME)
			continue;
		tunnel_event d = { t->first_ns, i, FALSE }, c = { t->last_ns, i, TRUE };
		g_array_append_val(ev, d);
		g_array_append_val(ev, c);
		open = open == SS_NO_TIME ? t->first_ns : MIN(open, t->first_ns);
		close = MAX(close, t->last_ns);
	}
	g_array_sort(ev, event_cmp);
	if (tsv) {
		g_string_append(b, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
				   "#unset_field\t-\n#path\ttunnel\n#open\t");
		zeek_date_append(b, open);
		g_string_append_c(b, '\n');
		g_string_append(b, tunnel_tsv_fields);
		g_string_append(b, tunnel_tsv_types);
	}
	for (guint i = 0; i < ev->len; i++) {
		const tunnel_event *e = &g_array_index(ev, tunnel_event, i);
		tunnel_row(b, &g_array_index(r->tunnels, ss_tunnel_flow, e->index), e, tsv);
	}
	if (tsv) {
		g_string_append(b, "#close\t");
		zeek_date_append(b, close);
		g_string_append_c(b, '\n');
	}
	g_array_unref(ev);
}

static gboolean render(const ss_report *r, FILE *out, gboolean tsv)
{
	GString *b = g_string_sized_new(131072);
	gboolean ok = TRUE;

	if (tsv) {
		g_string_append(b, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
				   "#unset_field\t-\n#path\tconn\n#open\t");
		zeek_date_append(b, r->summary.first_ns);
		g_string_append_c(b, '\n');
		g_string_append(b, tsv_fields);
		g_string_append(b, tsv_types);
	}
	for (guint i = 0; ok && r->conns != NULL && i < r->conns->len; i++) {
		const ss_conn *c = g_ptr_array_index(r->conns, i);
		if (tsv)
			tsv_conn(b, c);
		else
			json_conn(b, c);
		if (b->len >= SS_OUT_FLUSH_AT)
			ok = ss_out_write_buf(b, out);
	}
	if (ok && tsv) {
		g_string_append(b, "#close\t");
		zeek_date_append(b, r->summary.last_ns);
		g_string_append_c(b, '\n');
	}
	if (ok)
		tunnel_log(b, r, tsv);
	return ss_out_finish(b, out, ok);
}

gboolean ss_render_zeek(const ss_report *r, FILE *out)
{
	return render(r, out, TRUE);
}

gboolean ss_render_zeek_json(const ss_report *r, FILE *out)
{
	return render(r, out, FALSE);
}
