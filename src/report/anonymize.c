/* Prefix-preserving pseudonymisation of IP addresses (Crypto-PAn with
 * HMAC-SHA256 as the PRF); see sockscope/anonymize.h and docs/reports.md. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockscope/anonymize.h"
#include "sockscope/findings.h"
#include "sockscope/hash.h"
#include "sockscope/hosts.h"
#include "sockscope/listeners.h"
#include "sockscope/tunnels.h"

/* Pseudonyms remembered (addresses repeat); past this they are recomputed. */
#define CACHE_MAX (1u << 20)

struct ss_anonymizer {
	GHmac *base;            /* keyed, nothing hashed yet */
	GHashTable *cache;      /* 17 bytes (family, address) -> ss_ip */
};

typedef struct {
	guint8 family;
	ss_ip ip;
} cache_key;

SS_BYTES_KEY_FUNCS(cache_key, cache_key)

ss_anonymizer *ss_anonymizer_new(const guint8 *key, gsize len)
{
	guint8 rnd[32];
	if (key == NULL || len == 0) {
		gsize got = 0;
		while (got < sizeof rnd) {
			ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				g_error("getrandom failed: %s", g_strerror(errno));
			got += (gsize)n;
		}
		key = rnd;
		len = sizeof rnd;
	}
	ss_anonymizer *a = g_new0(ss_anonymizer, 1);
	a->base = g_hmac_new(G_CHECKSUM_SHA256, key, len);
	a->cache = g_hash_table_new_full(cache_key_hash, cache_key_equal, g_free, g_free);
	memset(rnd, 0, sizeof rnd);
	return a;
}

void ss_anonymizer_free(ss_anonymizer *a)
{
	if (a == NULL)
		return;
	g_hmac_unref(a->base);
	g_hash_table_unref(a->cache);
	g_free(a);
}

static void compute(ss_anonymizer *a, guint8 family, const ss_ip *in, ss_ip *out)
{
	guint nbits = family == SS_FAMILY_IPV6 ? 128 : 32;
	ss_ip res;
	memset(&res, 0, sizeof res);
	guint8 msg[2 + 16];
	for (guint i = 0; i < nbits; i++) {
		/* family, bit index, the first i bits of the input (rest zero) */
		memset(msg, 0, sizeof msg);
		msg[0] = family;
		msg[1] = (guint8)i;
		memcpy(msg + 2, in->bytes, i / 8);
		if (i % 8)
			msg[2 + i / 8] = in->bytes[i / 8] & (guint8)(0xff00u >> (i % 8));
		GHmac *h = g_hmac_copy(a->base);
		g_hmac_update(h, msg, sizeof msg);
		guint8 digest[32];
		gsize dlen = sizeof digest;
		g_hmac_get_digest(h, digest, &dlen);
		g_hmac_unref(h);
		guint bit = (in->bytes[i / 8] >> (7 - i % 8)) & 1;
		bit ^= digest[0] >> 7;
		res.bytes[i / 8] |= (guint8)(bit << (7 - i % 8));
	}
	*out = res;
}

void ss_anonymize_ip(ss_anonymizer *a, guint8 family, const ss_ip *in, ss_ip *out)
{
	if (family != SS_FAMILY_IPV4 && family != SS_FAMILY_IPV6) {
		*out = *in;
		return;
	}
	cache_key k;
	memset(&k, 0, sizeof k);
	k.family = family;
	k.ip = *in;
	const ss_ip *hit = g_hash_table_lookup(a->cache, &k);
	if (hit != NULL) {
		*out = *hit;
		return;
	}
	ss_ip res;
	compute(a, family, in, &res);
	if (g_hash_table_size(a->cache) < CACHE_MAX)
		g_hash_table_insert(a->cache, g_memdup2(&k, sizeof k), g_memdup2(&res, sizeof res));
	*out = res;
}

void ss_anonymize_conn(ss_anonymizer *a, ss_conn *c)
{
	/* ep[i]'s address and port are the key's (conn.h): rewrite them, then
	 * make the key again from the new addresses */
	ss_ip ip[2];
	guint16 port[2];
	for (int i = 0; i < 2; i++) {
		ss_anonymize_ip(a, c->family, ss_conn_ip(c, i), &ip[i]);
		port[i] = ss_conn_port(c, i);
	}
	/* Only a record that holds its tunnel has outer addresses (conn.h). */
	if (c->tail == SS_CONN_TAIL_TUNNEL && c->tail_tunnel.family) {
		ss_tunnel *t = &c->tail_tunnel;
		ss_anonymize_ip(a, t->family, &t->src, &t->src);
		ss_anonymize_ip(a, t->family, &t->dst, &t->dst);
	}
	/* the key's canonical order follows the new addresses */
	int src = ss_flow_key_make(&c->key, c->family, c->proto, &ip[0], port[0], &ip[1], port[1]);
	ss_flow_key_set_tunnel(&c->key, ss_conn_tunnel(c));
	c->ep0_key_side = (guint8)src;
}

typedef struct {
	ss_listener l;
	guint old;
} indexed_listener;

static gint cmp_indexed(gconstpointer pa, gconstpointer pb)
{
	return ss_listener_cmp(&((const indexed_listener *)pa)->l, &((const indexed_listener *)pb)->l);
}

static gint cmp_guint(gconstpointer pa, gconstpointer pb)
{
	guint a = *(const guint *)pa, b = *(const guint *)pb;
	return a < b ? -1 : a > b;
}

/* Files a -r DIR skipped (and directories it could not read) are no
 * input, but their warnings start with their path: "DIR/name: why;
 * skipped".  That path, the longest prefix ending at a ": " that names an
 * existing file or directory, becomes input-N too, numbered after the
 * inputs, so that neither the directory nor the file's name is printed. */
static void skipped_names(ss_report *r)
{
	if (r->summary.warnings == NULL)
		return;
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	guint next = r->summary.inputs->len + 1;
	for (guint w = 0; w < r->summary.warnings->len; w++) {
		char **slot = (char **)&g_ptr_array_index(r->summary.warnings, w);
		const char *end = NULL;
		for (const char *p = strstr(*slot, ": "); p != NULL; p = strstr(p + 1, ": ")) {
			char *path = g_strndup(*slot, (gsize)(p - *slot));
			struct stat st;
			if (path[0] != '\0' && lstat(path, &st) == 0)
				end = p;
			g_free(path);
		}
		if (end == NULL)
			continue;
		char *path = g_strndup(*slot, (gsize)(end - *slot));
		const char *pseudo = g_hash_table_lookup(seen, path);
		if (pseudo == NULL) {
			pseudo = g_strdup_printf("input-%u", next++);
			g_hash_table_insert(seen, g_strdup(path), (gpointer)pseudo);
		}
		char *text = g_strconcat(pseudo, end, NULL);
		g_free(*slot);
		*slot = text;
		g_free(path);
	}
	g_hash_table_unref(seen);
}

void ss_anonymize_report(ss_anonymizer *a, ss_report *r, gboolean names)
{
	for (guint i = 0; r->conns && i < r->conns->len; i++)
		ss_anonymize_conn(a, g_ptr_array_index(r->conns, i));

	/* listeners: pseudonyms, then the documented order again */
	guint nl = r->listeners ? r->listeners->len : 0;
	guint *map = g_new(guint, nl + 1);
	if (nl > 0) {
		GArray *tmp = g_array_sized_new(FALSE, FALSE, sizeof(indexed_listener), nl);
		for (guint i = 0; i < nl; i++) {
			indexed_listener x;
			x.l = g_array_index(r->listeners, ss_listener, i);
			x.old = i;
			ss_anonymize_ip(a, x.l.family, &x.l.ip, &x.l.ip);
			g_array_append_val(tmp, x);
		}
		g_array_sort(tmp, cmp_indexed);
		for (guint i = 0; i < nl; i++) {
			const indexed_listener *x = &g_array_index(tmp, indexed_listener, i);
			g_array_index(r->listeners, ss_listener, i) = x->l;
			map[x->old] = i;
		}
		g_array_unref(tmp);
	}
	for (guint i = 0; r->hosts && i < r->hosts->len; i++) {
		ss_host *h = &g_array_index(r->hosts, ss_host, i);
		ss_anonymize_ip(a, h->family, &h->ip, &h->ip);
		if (h->exhaustion_risk)
			ss_anonymize_ip(a, h->family, &h->busiest_ip, &h->busiest_ip);
		for (guint j = 0; h->listeners && j < h->listeners->len; j++) {
			guint *li = &g_array_index(h->listeners, guint, j);
			if (*li < nl)
				*li = map[*li];
		}
		if (h->listeners)
			g_array_sort(h->listeners, cmp_guint);
	}
	if (r->hosts)
		g_array_sort(r->hosts, ss_host_cmp);
	g_free(map);

	for (guint i = 0; r->tunnels && i < r->tunnels->len; i++) {
		ss_tunnel_flow *t = &g_array_index(r->tunnels, ss_tunnel_flow, i);
		if (t->family) {
			ss_anonymize_ip(a, t->family, &t->src, &t->src);
			ss_anonymize_ip(a, t->family, &t->dst, &t->dst);
		}
	}
	if (r->tunnels)
		g_array_sort(r->tunnels, ss_tunnel_flow_cmp);

	for (guint i = 0; r->findings && i < r->findings->len; i++) {
		ss_finding *f = g_ptr_array_index(r->findings, i);
		if (f->has_server)
			ss_anonymize_ip(a, f->family, &f->server_ip, &f->server_ip);
		if (f->has_client)
			ss_anonymize_ip(a, f->family, &f->client_ip, &f->client_ip);
		for (guint j = 0; j < f->n_examples; j++)
			ss_anonymize_conn(a, &f->examples[j]);
	}

	if (!names || r->summary.inputs == NULL)
		return;
	for (guint i = 0; i < r->summary.inputs->len; i++) {
		ss_input *in = g_ptr_array_index(r->summary.inputs, i);
		char *pseudo = g_strdup_printf("input-%u", i + 1);
		for (guint w = 0; in->name && strlen(in->name) > 1 && r->summary.warnings &&
				  w < r->summary.warnings->len; w++) {
			char **slot = (char **)&g_ptr_array_index(r->summary.warnings, w);
			if (strstr(*slot, in->name) == NULL)
				continue;
			GString *s = g_string_new(*slot);
			g_string_replace(s, in->name, pseudo, 0);
			g_free(*slot);
			*slot = g_string_free(s, FALSE);
		}
		if (in->error && in->name && strlen(in->name) > 1 && strstr(in->error, in->name)) {
			GString *s = g_string_new(in->error);
			g_string_replace(s, in->name, pseudo, 0);
			g_free(in->error);
			in->error = g_string_free(s, FALSE);
		}
		g_free(in->name);
		in->name = pseudo;
	}
	skipped_names(r);
}
