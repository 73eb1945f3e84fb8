/* The tunnel roll-up (sockscope/tunnels.h): one accumulator per outer
 * tunnel flow, keyed by type, VNI and the two outer addresses in canonical
 * order, so both directions of an underlay are one tunnel.  Bounded at
 * SS_TUNNELS_MAX: a flood of forged outer addresses cannot grow it. */
#include "sockscope/tunnels.h"
#include "sockscope/decode.h"
#include "sockscope/hash.h"

#include <string.h>

typedef struct {
	ss_vnet vnet;
	guint8 family;
	guint8 zero[3];
	ss_ip a, b;                /* a <= b bytewise */
} tunnel_key;

G_STATIC_ASSERT(sizeof(tunnel_key) == 8 + 4 + 2 * sizeof(ss_ip));

SS_BYTES_KEY_FUNCS(tunnel_key, tunnel_key)

struct ss_tunnels {
	GHashTable *by_key;        /* tunnel_key* -> ss_tunnel_flow* */
	guint64 dropped;           /* packets of tunnels past the cap */
};

ss_tunnels *ss_tunnels_new(void)
{
	ss_tunnels *t = g_new0(ss_tunnels, 1);
	t->by_key = g_hash_table_new_full(tunnel_key_hash, tunnel_key_equal, g_free, g_free);
	return t;
}

void ss_tunnels_free(ss_tunnels *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->by_key);
	g_free(t);
}

ss_tunnels *ss_tunnels_copy(const ss_tunnels *t)
{
	ss_tunnels *c = ss_tunnels_new();
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, t->by_key);
	while (g_hash_table_iter_next(&it, &key, &value))
		g_hash_table_insert(c->by_key, g_memdup2(key, sizeof(tunnel_key)),
				    g_memdup2(value, sizeof(ss_tunnel_flow)));
	c->dropped = t->dropped;
	return c;
}

static tunnel_key make_key(const ss_tunnel *tun)
{
	tunnel_key k;
	memset(&k, 0, sizeof k);
	k.vnet = ss_tunnel_vnet(tun);
	k.family = tun->family;
	if (tun->family != 0) {
		gboolean swap = memcmp(&tun->src, &tun->dst, sizeof(ss_ip)) > 0;
		k.a = swap ? tun->dst : tun->src;
		k.b = swap ? tun->src : tun->dst;
	}
	return k;
}

/* The tunnel's accumulator, made when there is room; NULL past the cap. */
static ss_tunnel_flow *get(ss_tunnels *t, const ss_tunnel *tun)
{
	tunnel_key k = make_key(tun);
	ss_tunnel_flow *f = g_hash_table_lookup(t->by_key, &k);
	if (f || g_hash_table_size(t->by_key) >= SS_TUNNELS_MAX)
		return f;
	f = g_new0(ss_tunnel_flow, 1);
	f->vnet = k.vnet;
	f->family = tun->family;
	if (tun->family != 0) {
		f->src = tun->src;
		f->dst = tun->dst;
		f->sport = tun->sport;
		f->dport = tun->dport;
	}
	f->labels = tun->labels;
	f->first_ns = f->last_ns = SS_NO_TIME;
	g_hash_table_insert(t->by_key, g_memdup2(&k, sizeof k), f);
	return f;
}

void ss_tunnels_add_packet(ss_tunnels *t, const ss_tunnel *tun, guint32 wirelen, gint64 ts_ns)
{
	if (tun->type == SS_TUNNEL_NONE)
		return;
	ss_tunnel_flow *f = get(t, tun);
	if (!f) {
		t->dropped++;
		return;
	}
	f->packets++;
	f->bytes += wirelen;
	if (G_UNLIKELY(f->labels != tun->labels) && !f->labels_vary) {
		f->labels_vary = TRUE;   /* one tenant, several stacks: name none */
		f->labels = 0;
	}
	if (f->first_ns == SS_NO_TIME || ts_ns < f->first_ns)
		f->first_ns = ts_ns;
	if (f->last_ns == SS_NO_TIME || ts_ns > f->last_ns)
		f->last_ns = ts_ns;
}

void ss_tunnels_add_conn(ss_tunnels *t, const ss_conn *c)
{
	if (ss_conn_tunnel(c)->type == SS_TUNNEL_NONE)
		return;
	ss_tunnel_flow *f = get(t, ss_conn_tunnel(c));
	if (f)
		f->connections++;
}

void ss_tunnel_flow_append(GString *b, const ss_tunnel_flow *f)
{
	ss_tunnel t = ss_vnet_tunnel(&f->vnet);
	t.labels = f->labels;
	ss_tunnel_append(b, &t);
	if (f->labels_vary)
		g_string_append(b, " (label stacks vary)");
}

gint ss_tunnel_flow_cmp(gconstpointer pa, gconstpointer pb)
{
	const ss_tunnel_flow *a = pa, *b = pb;
	int c = ss_vnet_cmp(&a->vnet, &b->vnet);
	if (c != 0)
		return c;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(&a->src, &b->src, sizeof a->src);
	if (c == 0)
		c = memcmp(&a->dst, &b->dst, sizeof a->dst);
	return (c > 0) - (c < 0);
}

GArray *ss_tunnels_take(ss_tunnels *packets, ss_tunnels *conns, guint64 *dropped)
{
	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(ss_tunnel_flow),
					g_hash_table_size(packets->by_key));
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, packets->by_key);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		ss_tunnel_flow f = *(const ss_tunnel_flow *)value;
		if (conns && conns != packets) {
			const ss_tunnel_flow *n = g_hash_table_lookup(conns->by_key, key);
			f.connections += n ? n->connections : 0;
		}
		g_array_append_val(out, f);
	}
	if (dropped)
		*dropped = packets->dropped;
	g_hash_table_remove_all(packets->by_key);
	packets->dropped = 0;
	if (conns && conns != packets)
		g_hash_table_remove_all(conns->by_key);
	g_array_sort(out, ss_tunnel_flow_cmp);
	return out;
}
