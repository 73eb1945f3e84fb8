/* The per-record view (report/model.h): what every record writer derives
 * from a connection, computed in one place so that json, csv, zeek and ecs
 * cannot drift apart on which endpoint is the server, what the span is or
 * which service a port names. */
#include "report/model.h"
#include "sockscope/conn.h"
#include "sockscope/services.h"

/* The length of a Zeek state ("S1", "SF", "RSTOS0": 2 to 6 bytes) by a
 * loop the branch predictor learns (S1 and SF are 77% of mixed.pcap's
 * records), instead of a call to strlen.  The bound keeps GCC from
 * turning the loop back into that call; no state is longer. */
#define ZEEK_STATE_MAX 8
static inline gsize short_len(const char *s)
{
	gsize n = 0;
	while (n < ZEEK_STATE_MAX && s[n] != '\0')
		n++;
	return n;
}

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
	v->service_len = 0;
	v->service = ss_conn_roles_unknown(c) ? NULL
					      : ss_service_name_len(c->proto, v->server_port,
								    &v->service_len);
	v->zeek_state = ss_conn_zeek_state(c);
	v->zeek_state_len = short_len(v->zeek_state);
	v->zeek_history_len = ss_conn_zeek_history(c, v->zeek_history, sizeof v->zeek_history);
	v->have_community_id = ss_community_id_conn(c, 0, v->community_id);
}
