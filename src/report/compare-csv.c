/* The compare model as CSV (part of the csv format, scripts/check-layers.py
 * FORMAT_PARTS): in drift mode one table whose first column names the
 * record kind (listener_change, client_network_change, ephemeral_change,
 * as in jsonl) and whose other columns are empty where a kind has no such
 * value.  Quoting and the formula guard are the csv format's
 * (ss_csv_field_append).  Path mode's table is report/compare-path-csv.c;
 * the dispatcher (render.c) picks by mode. */
#include "report/out.h"

#include "sockscope/compare.h"
#include "sockscope/drift.h"
#include "sockscope/format.h"
#include "sockscope/render.h"

static const char header[] =
	"record,listener,network,host,change,before,after,confidence,"
	"connections_a,answered_a,refused_a,unanswered_a,"
	"connections_b,answered_b,refused_b,unanswered_b,"
	"connections,clients,other_connections,evidence\n";

/* ,"text" (quoted and guarded as the csv format does), or , when NULL */
static void field(GString *b, const char *s)
{
	g_string_append_c(b, ',');
	ss_csv_field_append(b, s);
}

static void field_str(GString *b, GString *s)
{
	field(b, s->str);
	g_string_truncate(s, 0);
}

static void field_u64(GString *b, guint64 v)
{
	g_string_append_c(b, ',');
	ss_u64_append(b, v);
}

static void side_fields(GString *b, const ss_drift_side *s)
{
	if (!s->seen) {
		g_string_append(b, ",,,,");
		return;
	}
	field_u64(b, s->connections);
	field_u64(b, s->answered);
	field_u64(b, s->refused);
	field_u64(b, s->unanswered);
}

static void listener_row(GString *b, GString *t, const ss_drift_listener *l)
{
	g_string_append(b, "listener_change");
	ss_drift_listener_append(t, l->proto, l->family, &l->ip, l->port);
	field_str(b, t);
	g_string_append(b, ",,");   /* network, host */
	field(b, ss_drift_change_name(l->change));
	field(b, ss_drift_side_state(&l->a));
	field(b, ss_drift_side_state(&l->b));
	field(b, ss_confidence_name(l->confidence));
	side_fields(b, &l->a);
	side_fields(b, &l->b);
	g_string_append(b, ",,,");  /* connections, clients, other_connections */
	ss_drift_side_evidence(l, &l->a, "A", t);
	g_string_append(t, "; ");
	ss_drift_side_evidence(l, &l->b, "B", t);
	field_str(b, t);
	g_string_append_c(b, '\n');
}

static void network_row(GString *b, GString *t, const ss_drift_network *n)
{
	g_string_append(b, "client_network_change");
	ss_drift_listener_append(t, n->proto, n->family, &n->ip, n->port);
	field_str(b, t);
	ss_drift_network_append(t, n->family, &n->net, n->prefix);
	field_str(b, t);
	g_string_append_c(b, ',');  /* host */
	field(b, ss_drift_net_change_name(n->change));
	g_string_append(b, ",,");   /* before, after */
	field(b, ss_confidence_name(n->confidence));
	g_string_append(b, ",,,,,,,,");
	field_u64(b, n->connections);
	field_u64(b, n->clients);
	field_u64(b, n->other_connections);
	g_string_append(b, ",\n");
}

static void ephemeral_row(GString *b, GString *t, const ss_drift_ephemeral *e)
{
	char ip[SS_IP_STRLEN];
	ss_ip_format(e->family, &e->ip, ip);
	g_string_append(b, "ephemeral_change,,");
	field(b, ip);
	field(b, ss_drift_eph_verdict_name(e->verdict));
	ss_drift_profile_append(t, &e->a, e->a_samples);
	field_str(b, t);
	ss_drift_profile_append(t, &e->b, e->b_samples);
	field_str(b, t);
	g_string_append(b, ",,,,,,,,,,,,");  /* confidence .. other_connections */
	field(b, e->why);
	g_string_append_c(b, '\n');
}

gboolean ss_render_compare_csv(const ss_compare *c, FILE *out)
{
	const ss_drift *d = c->drift;
	g_return_val_if_fail(d != NULL, FALSE);
	GString *b = g_string_sized_new(4096), *t = g_string_new(NULL);
	g_string_append(b, header);
	for (guint i = 0; i < d->listeners->len; i++)
		listener_row(b, t, &g_array_index(d->listeners, ss_drift_listener, i));
	for (guint i = 0; i < d->networks->len; i++)
		network_row(b, t, &g_array_index(d->networks, ss_drift_network, i));
	for (guint i = 0; i < d->ephemeral->len; i++)
		ephemeral_row(b, t, &g_array_index(d->ephemeral, ss_drift_ephemeral, i));
	g_string_free(t, TRUE);
	return ss_out_finish(b, out, TRUE);
}
