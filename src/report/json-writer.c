/* The JSON writer's field writers shared by more than one format
 * (report/json-writer.h): the "icmp" and "tcp_options" values of a
 * connection, written alike by json/jsonl and ecs. */
#include <netinet/in.h>

#include "report/json-writer.h"
#include "sockscope/decode.h"

static void tcp_options_(GString *b, const char *qk, gsize n, const ss_endpoint *e)
{
	key_(b, qk, n);
	g_string_append_c(b, '{');
	key(b, "mss");
	if (e->tcp_options & SS_TCPOPT_HAVE_MSS)
		ss_u64_append(b, e->mss);
	else
		null_(b);
	g_string_append_c(b, ',');
	key(b, "wscale");
	if (e->tcp_options & SS_TCPOPT_HAVE_WSCALE)
		ss_u64_append(b, e->wscale);
	else
		null_(b);
	g_string_append_c(b, ',');
	kv_bool(b, "sack_perm", (e->tcp_options & SS_TCPOPT_HAVE_SACK_PERM) != 0);
	g_string_append_c(b, ',');
	kv_bool(b, "timestamps", (e->tcp_options & SS_TCPOPT_HAVE_TS) != 0);
	g_string_append_c(b, '}');
}
#define tcp_options(b, k, e) tcp_options_((b), QKEY(k), (e))

void ss_json_icmp_append(GString *b, const ss_conn *c)
{
	if (c->icmp_errors == 0) {
		null_(b);
		return;
	}
	g_string_append_c(b, '{');
	kv_u64(b, "type", c->icmp_type);
	g_string_append_c(b, ',');
	kv_u64(b, "code", c->icmp_code);
	g_string_append_c(b, ',');
	kv_u64(b, "count", c->icmp_errors);
	g_string_append_c(b, '}');
}

void ss_json_tcp_options_append(GString *b, const ss_conn *c)
{
	int ci = c->client == 1 ? 1 : 0;
	if (c->proto != IPPROTO_TCP) {
		null_(b);
		return;
	}
	g_string_append_c(b, '{');
	tcp_options(b, "client", &c->ep[ci]);
	g_string_append_c(b, ',');
	tcp_options(b, "server", &c->ep[!ci]);
	g_string_append_c(b, '}');
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

void ss_json_tunnel_append(GString *b, const ss_tunnel *t)
{
	g_string_append_c(b, '{');
	ss_vnet v = ss_tunnel_vnet(t);
	ss_json_vnet_fields(b, &v);
	g_string_append_c(b, ',');
	if (t->type == SS_TUNNEL_MPLS) {
		/* the whole stack, top first; null when it was not kept */
		const char *s = t->labels ? g_quark_to_string(t->labels) : NULL;
		key(b, "labels");
		if (s == NULL) {
			null_(b);
		} else {
			g_string_append_c(b, '[');
			for (; *s != '\0'; s++)
				g_string_append_c(b, *s == ';' ? ',' : *s);
			g_string_append_c(b, ']');
		}
		g_string_append_c(b, ',');
	}
	kv_u64(b, "depth", t->depth);
	g_string_append_c(b, ',');
	ss_json_outer_append(b, t->family, &t->src, &t->dst, t->sport, t->dport);
	g_string_append_c(b, '}');
}
