/* The JSON writer's field writers shared by more than one format
 * (report/json-writer.h): the "icmp" and "tcp_options" values of a
 * connection, written alike by json/jsonl and ecs. */
#include <netinet/in.h>
#include <string.h>

#include "report/json-writer.h"
#include "sockscope/decode.h"

static char *tcp_options_put(char *p, const ss_zeek_ep *e, guint8 wscale)
{
	put_lit(p, "{\"mss\":");
	if (e->tcp_options & SS_TCPOPT_HAVE_MSS)
		p = ss_u64_put(p, e->mss);
	else
		put_lit(p, "null");
	put_lit(p, ",\"wscale\":");
	if (e->tcp_options & SS_TCPOPT_HAVE_WSCALE)
		p = ss_u64_put(p, wscale);
	else
		put_lit(p, "null");
	if (e->tcp_options & SS_TCPOPT_HAVE_SACK_PERM)
		put_lit(p, ",\"sack_perm\":true");
	else
		put_lit(p, ",\"sack_perm\":false");
	if (e->tcp_options & SS_TCPOPT_HAVE_TS)
		put_lit(p, ",\"timestamps\":true}");
	else
		put_lit(p, ",\"timestamps\":false}");
	return p;
}

char *ss_json_icmp_put(char *p, const ss_conn *c)
{
	if (c->icmp_errors == 0) {
		put_lit(p, "null");
		return p;
	}
	put_lit(p, "{\"type\":");
	p = ss_u64_put(p, c->icmp_type);
	put_lit(p, ",\"code\":");
	p = ss_u64_put(p, c->icmp_code);
	put_lit(p, ",\"count\":");
	p = ss_u64_put(p, c->icmp_errors);
	*p++ = '}';
	return p;
}

char *ss_json_tcp_options_put(char *p, const ss_conn *c)
{
	int ci = c->client == 1 ? 1 : 0;
	/* keyed client/server: nothing to key them by when the roles are
	 * unknown (and such a record saw no SYN, so no options) */
	if (c->proto != IPPROTO_TCP || ss_conn_roles_unknown(c)) {
		put_lit(p, "null");
		return p;
	}
	put_lit(p, "{\"client\":");
	const ss_conn_tcp *t = ss_conn_tcp_part(c);
	p = tcp_options_put(p, &t->zeek[ci], t->wscale[ci]);
	put_lit(p, ",\"server\":");
	p = tcp_options_put(p, &t->zeek[!ci], t->wscale[!ci]);
	*p++ = '}';
	return p;
}

void ss_json_icmp_append(GString *b, const ss_conn *c)
{
	ss_commit(b, ss_json_icmp_put(ss_reserve(b, SS_JSON_ICMP_MAXLEN), c));
}

void ss_json_tcp_options_append(GString *b, const ss_conn *c)
{
	ss_commit(b, ss_json_tcp_options_put(ss_reserve(b, SS_JSON_TCP_OPTIONS_MAXLEN), c));
}

/* "type":...,"vni":... of a virtual network (vni null when the header
 * carries none). */
void ss_json_vnet_fields(GString *b, const ss_vnet *v)
{
	kv_name(b, "type", ss_tunnel_type_name((ss_tunnel_type)v->type));
	g_string_append_c(b, ',');
	key(b, "vni");
	if (v->has_vni)
		ss_u64_append(b, v->vni);
	else
		null_(b);
}

/* "outer":{"ip_version":...,"src":...,"dst":...[,"sport":...,"dport":...]},
 * or "outer":null for a tunnel straight on the link (MPLS, PPPoE...). */
void ss_json_outer_append(GString *b, guint8 family, const ss_ip *src, const ss_ip *dst,
			  guint16 sport, guint16 dport)
{
	key(b, "outer");
	if (family == 0) {
		null_(b);
		return;
	}
	g_string_append_c(b, '{');
	kv_u64(b, "ip_version", family);
	g_string_append_c(b, ',');
	kv_ip(b, "src", family, src);
	g_string_append_c(b, ',');
	kv_ip(b, "dst", family, dst);
	if (sport || dport) {
		g_string_append_c(b, ',');
		kv_u64(b, "sport", sport);
		g_string_append_c(b, ',');
		kv_u64(b, "dport", dport);
	}
	g_string_append_c(b, '}');
}

void ss_json_mpls_labels(GString *b, GQuark labels)
{
	/* the whole stack, top first; null when it was not kept */
	const char *s = labels ? g_quark_to_string(labels) : NULL;
	key(b, "labels");
	if (s == NULL) {
		null_(b);
		return;
	}
	g_string_append_c(b, '[');
	for (; *s != '\0'; s++)
		g_string_append_c(b, *s == ';' ? ',' : *s);
	g_string_append_c(b, ']');
}

void ss_json_tunnel_append(GString *b, const ss_tunnel *t)
{
	g_string_append_c(b, '{');
	ss_vnet v = ss_tunnel_vnet(t);
	ss_json_vnet_fields(b, &v);
	g_string_append_c(b, ',');
	if (t->type == SS_TUNNEL_MPLS) {
		ss_json_mpls_labels(b, t->labels);
		g_string_append_c(b, ',');
	}
	kv_u64(b, "depth", t->depth);
	g_string_append_c(b, ',');
	ss_json_outer_append(b, t->family, &t->src, &t->dst, t->sport, t->dport);
	g_string_append_c(b, '}');
}
