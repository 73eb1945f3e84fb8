/* The per-record view (report/model.h): what every record writer derives
 * from a connection, computed in one place so that json, csv, zeek and ecs
 * cannot drift apart on which endpoint is the server, what the span is or
 * which service a port names. */
#include "report/model.h"
#include "sockscope/conn.h"
#include "sockscope/services.h"

void ss_conn_view_make(const ss_conn *c, ss_conn_view *v)
{
	int ci = c->client == 1 ? 1 : 0;
	v->client = &c->ep[ci];
	v->server = &c->ep[!ci];
	v->client_ip = ss_conn_ip(c, ci);
	v->server_ip = ss_conn_ip(c, !ci);
	v->client_port = ss_conn_port(c, ci);
	v->server_port = ss_conn_port(c, !ci);
	ss_conn_span(c, &v->first, &v->last);
	v->duration = v->first == SS_NO_TIME || v->last == SS_NO_TIME ? SS_NO_TIME :
									 v->last - v->first;
	/* the service of the server's port: no server, no service */
	v->service = ss_conn_roles_unknown(c) ? NULL : ss_service_name(c->proto, v->server_port);
	v->zeek_state = ss_conn_zeek_state(c);
	ss_conn_zeek_history(c, v->zeek_history, sizeof v->zeek_history);
	v->have_community_id = ss_community_id_conn(c, 0, v->community_id);
}
