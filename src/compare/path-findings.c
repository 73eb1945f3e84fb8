/* Path mode's findings for people: one sentence per kind of trouble and
 * server socket (packets dropped between the points, resets injected by
 * a middlebox, connections forgotten after an idle pause, connections
 * seen at one point only), ranked by severity, then count, then text, so
 * the same captures always give the same list. */
#include "compare/internal.h"
#include "sockscope/format.h"
#include "sockscope/ip.h"

#include <string.h>

typedef struct {
	guint8 severity;
	const char *id;
	char *text;                /* without the count */
	guint64 count;
	gint conn;                 /* the first connection */
} agg;

static void bump(GHashTable *t, guint8 sev, const char *id, char *text, gint conn)
{
	agg *a = g_hash_table_lookup(t, text);
	if (a) {
		a->count++;
		g_free(text);
		return;
	}
	a = g_new0(agg, 1);
	a->severity = sev;
	a->id = id;
	a->text = text;
	a->count = 1;
	a->conn = conn;
	g_hash_table_insert(t, a->text, a);
}

static const char *plural_kind(ss_cmp_pkt_kind k)
{
	static const char *const n[] = { "SYNs", "SYN-ACKs", "ACKs", "data segments",
					 "FINs", "resets" };
	return n[k];
}

static gint cmp_agg(gconstpointer x, gconstpointer y)
{
	const agg *a = *(agg *const *)x, *b = *(agg *const *)y;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->text, b->text);
}

void ss_cmp_path_findings(ss_compare *c)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, NULL);
	for (guint i = 0; i < c->conns->len; i++) {
		const ss_cmp_conn *cc = &g_array_index(c->conns, ss_cmp_conn, i);
		/* The server as the client addressed it. */
		int near = cc->a_near_client == 0 ? 1 : 0;
		if (cc->seen == SS_CMP_SEEN_B_ONLY)
			near = 1;
		else if (cc->seen == SS_CMP_SEEN_A_ONLY)
			near = 0;
		char *server = ss_addr_port_dup(cc->family, &cc->server_ip[near], cc->server_port[near]);
		const char *proto = cc->proto == 6 ? "tcp" : "udp";
		for (int k = 0; k < SS_CMP_PKT_COUNT; k++)
			for (int d = 0; d < 2; d++) {
				if (!cc->lost[k][d])
					continue;
				gboolean to_server = (d == SS_CMP_DIR_A_TO_B) == (cc->a_near_client == 1);
				const char *from = d == SS_CMP_DIR_A_TO_B ? "A" : "B";
				const char *to = d == SS_CMP_DIR_A_TO_B ? "B" : "A";
				bump(t, SS_CMP_SEV_WARNING, "dropped_between",
				     g_strdup_printf("%s %s %s/%s left %s and never reached %s:"
						     " dropped between the points",
						     plural_kind((ss_cmp_pkt_kind)k),
						     to_server ? "to" : "from", server, proto, from, to),
				     (gint)i);
			}
		for (int s = 0; s < 2; s++)
			for (int to_server = 0; to_server < 2; to_server++) {
				if (!cc->injected_rst[s][to_server])
					continue;
				bump(t, SS_CMP_SEV_WARNING, "injected_reset",
				     g_strdup_printf("resets toward the %s of %s/%s were seen at %s but never"
						     " crossed %s: a middlebox between the points sent them",
						     to_server ? "server" : "client", server, proto,
						     s == 0 ? "A" : "B", s == 0 ? "B" : "A"),
				     (gint)i);
			}
		if (cc->idle_drop_ns != SS_NO_TIME)
			bump(t, SS_CMP_SEV_WARNING, "idle_drop",
			     g_strdup_printf("connections to %s/%s stopped crossing after an idle pause"
					     " (a middlebox forgot them; shortest pause %"
					     G_GINT64_FORMAT " s)", server, proto,
					     cc->idle_drop_ns / 1000000000),
			     (gint)i);
		if (cc->seen != SS_CMP_SEEN_BOTH) {
			gboolean has_loss = FALSE;
			for (int k = 0; k < SS_CMP_PKT_COUNT; k++)
				has_loss |= cc->lost[k][0] || cc->lost[k][1];
			if (!has_loss)
				bump(t, SS_CMP_SEV_INFO, "one_side_only",
				     g_strdup_printf("connections to %s/%s were seen at %s only", server,
						     proto, cc->seen == SS_CMP_SEEN_A_ONLY ? "A" : "B"),
				     (gint)i);
		}
		g_free(server);
	}
	GPtrArray *list = g_ptr_array_new();
	GList *values = g_hash_table_get_values(t);
	for (GList *l = values; l; l = l->next)
		g_ptr_array_add(list, l->data);
	g_list_free(values);
	g_ptr_array_sort(list, cmp_agg);
	for (guint i = 0; i < list->len; i++) {
		agg *a = g_ptr_array_index(list, i);
		ss_cmp_finding f = { 0 };
		f.severity = a->severity;
		f.id = g_strdup(a->id);
		f.text = a->count > 1 ?
			 g_strdup_printf("%s (%" G_GUINT64_FORMAT " connections)", a->text, a->count) :
			 g_strdup(a->text);
		f.conn = a->conn;
		g_array_append_val(c->findings, f);
		g_free(a->text);
		g_free(a);
	}
	g_ptr_array_unref(list);
	g_hash_table_unref(t);
}
