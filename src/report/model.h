/* The report model's derived views, shared by the report formats for
 * people (markdown, html, dot): the host/listener graph (report/graph.c)
 * and the packet sequence of an example connection (report/sequence.c).
 * A format draws these; it never builds them itself nor borrows them from
 * another format.  Internal to sockscope; docs/reports.md describes what
 * they draw. */
#ifndef SOCKSCOPE_RENDER_REPORT_H
#define SOCKSCOPE_RENDER_REPORT_H

#include <glib.h>
#include "sockscope/community-id.h"
#include "sockscope/report.h"

/* The markdown and html reports detail at most this many findings and
 * list at most this many listening sockets and client hosts (in report
 * order); a line says how many more the json format has. */
#define SS_REPORT_MAX_FINDINGS 50
#define SS_REPORT_MAX_ROWS 500

/* ---- the host/listener graph (report/graph.c) ---- */

/* What is drawn at most; the rest is counted as omitted.  The busiest
 * (most connections) are kept, then drawn sorted by address. */
#define SS_GRAPH_MAX_SERVERS 24
#define SS_GRAPH_MAX_ROWS 8          /* listening sockets per server host */
#define SS_GRAPH_MAX_CLIENTS 24
#define SS_GRAPH_MAX_EDGES 200       /* client -> socket lines, the busiest */

/* A host node is an address in a virtual network (`vnet`, zero when not
 * tunnelled): two tenants using one address are two nodes. */
typedef struct {
	guint8 family;
	ss_ip ip;
	ss_vnet vnet;
	guint64 conns;
	GArray *rows;               /* guint: indexes into ss_report.listeners */
} ss_graph_server;

typedef struct {
	guint8 family;
	ss_ip ip;
	ss_vnet vnet;
	guint64 conns;
} ss_graph_client;

typedef struct {
	guint client;               /* index into clients */
	guint server;               /* index into servers */
	guint row;                  /* index into that server's rows */
	guint64 conns;
	guint16 port_min, port_max; /* the clients' (ephemeral) ports */
} ss_graph_edge;

typedef struct {
	GArray *servers;            /* ss_graph_server, by family, address, vnet */
	GArray *clients;            /* ss_graph_client, by family, address, vnet */
	GArray *edges;              /* ss_graph_edge, by client, server, row */
	/* not drawn: the least busy; omitted_edges counts only lines between
	 * drawn hosts (a client not drawn takes its lines with it) */
	guint64 omitted_servers, omitted_rows, omitted_clients, omitted_edges;
} ss_graph;

ss_graph *ss_graph_build(const ss_report *r);
void ss_graph_free(ss_graph *g);
/* What the graph leaves out, "2 server hosts, 5 listening sockets, 99976
 * client hosts" (", 12 client-socket lines" when lines between drawn hosts
 * were cut too); NULL when everything is drawn.  Free with g_free(). */
char *ss_graph_omitted_text(const ss_graph *g);
/* "43122", "43122 (3)" or "49152-49200 (12)". */
char *ss_graph_edge_label(const ss_graph_edge *e);
/* "tcp/443 https, open (12 conns)" (the virtual network is the node's) */
char *ss_graph_row_label(const ss_listener *l);
/* The line under a host node's address behind a tunnel, "vxlan 42" (one
 * address may be two tenants' nodes); NULL outside tunnels.  g_free(). */
char *ss_graph_vnet_text(const ss_vnet *v);

/* ---- an example connection as a sequence of messages (report/sequence.c) ---- */

typedef struct {
	int from;                   /* 0 client, 1 server, -1 a note over both */
	char *label;                /* plain text, without the time */
	gint64 at_ns;               /* since the record's first packet; SS_NO_TIME unknown */
	gboolean dashed;            /* an answer drawn dashed (SYN-ACK, ICMP) */
} ss_seq_event;

/* The messages of one record, in time order (array of ss_seq_event; free
 * with ss_seq_events_free). */
GArray *ss_seq_events(const ss_conn *c);
void ss_seq_events_free(GArray *ev);
/* "+1.000 ms" */
void ss_seq_time_append(GString *b, gint64 at_ns);
/* The diagram's server participant: "10.0.0.9:80", and " (vxlan 42)"
 * after it for a tunnelled record (which tenant's server).  g_free(). */
char *ss_seq_server_text(const ss_conn *c);

/* ---- the per-record view (report/conn-view.c) ----
 * What the record writers (json, jsonl, csv, zeek, zeek-json, ecs) derive
 * from one connection record, computed once per record on the stack (no
 * allocation: jsonl writes a million of these), so every format names the
 * same client, server, span, service, Community ID and Zeek state. */
typedef struct {
	/* The client and the server.  A record is finalized before it is
	 * rendered; should one without roles slip through, ep[0] (the first
	 * sender) stands in as the client. */
	const ss_endpoint *client, *server;
	/* Their addresses and ports, which the record keeps in its key */
	const ss_ip *client_ip, *server_ip;
	guint16 client_port, server_port;
	gint64 first, last;      /* ss_conn_span: SS_NO_TIME when never counted */
	gint64 duration;         /* last - first, SS_NO_TIME when either is unknown */
	const char *service;     /* the server port's service name, or NULL */
	const char *zeek_state;  /* Zeek conn_state */
	char zeek_history[SS_HISTORY_MAX + 2];
	/* The three texts' lengths (0 for no service), known where they are
	 * made: the jsonl line's strlen of each was ~4% of the writer thread
	 * (perf, mixed.pcap; docs/performance.md, "Writer and findings,
	 * fourteenth session"). */
	gsize service_len, zeek_state_len, zeek_history_len;
	gboolean have_community_id;
	char community_id[SS_COMMUNITY_ID_LEN];
} ss_conn_view;

void ss_conn_view_make(const ss_conn *c, ss_conn_view *v);

#endif
