/* The host view: per IP address, the listening sockets it exposed, the
 * connections it made as a client, and the ephemeral-port profile of its
 * operating system learned from the connections it opened with a handshake.
 *
 * Memory is per host (aggregates), never per flow, and every table has a
 * cap; what did not fit is counted (ss_hosts_dropped).  docs/inference.md
 * explains the profile, docs/output.md the "host" records. */
#ifndef SOCKSCOPE_HOSTS_H
#define SOCKSCOPE_HOSTS_H

#include <glib.h>
#include "sockscope/conn.h"
#include "sockscope/ephemeral.h"

/* ---- the host table ---- */

/* Connections towards one destination within this window count towards an
 * exhaustion warning (the longest common TIME_WAIT: Linux 60 s). */
#define SS_EXHAUSTION_WINDOW_NS (G_GINT64_CONSTANT(60) * 1000000000)
/* Share of the range (percent) used towards one destination in one window
 * that gives the warning. */
#define SS_EXHAUSTION_SHARE_PCT 50
/* TCP ports of one host flagged as both listened on and connected from. */
#define SS_HOST_DUAL_PORTS_MAX 8

typedef struct {
	guint max_hosts;           /* hosts with a record (default 65536) */
	guint max_port_maps;       /* hosts whose every source port is remembered for
	                              reuse detection (default 64): 2 KiB each and
	                              1 KiB per 256 ports in use, 258 KiB at most */
	guint max_destinations;    /* per host, for the exhaustion check (default 64) */
	guint max_servers;         /* distinct server sockets remembered, all hosts
	                              together (default 1048576) */
} ss_hosts_limits;

void ss_hosts_limits_init(ss_hosts_limits *lim);

typedef struct {
	guint64 hosts;             /* hosts not recorded: the table was full */
	guint64 port_maps;         /* hosts without reuse detection */
	guint64 destinations;      /* destinations not checked for exhaustion */
	guint64 servers;           /* server sockets not counted as distinct */
} ss_hosts_dropped;

/* One "host" record of the report.  Fields in an order without padding
 * holes, the flags in bytes (224 bytes, was 248): ss_hosts_take() makes
 * one per host, 73 000 on mixed.pcap. */
typedef struct ss_host_s {
	guint8 family;
	guint8 busiest_proto;      /* of the busiest destination (below) */
	guint8 reuse_known;        /* FALSE when no port map was available */
	/* the busiest destination's connections within one TIME_WAIT window
	 * came near the size of the profile's range */
	guint8 exhaustion_risk;
	guint16 busiest_port;
	guint8 n_dual_ports;       /* at most SS_HOST_DUAL_PORTS_MAX */
	ss_vnet vnet;              /* the tunnel and VNI it lives behind (zero: none) */
	ss_ip ip;
	/* records it took part in whose roles are unknown (ss_conn_roles_unknown):
	 * neither client nor server.  32 bits, saturating: a guint64 made each
	 * host 8 bytes bigger and the flood test's peak RSS 16 MB higher
	 * (check-flood.py under meson's MALLOC_PERTURB_: jsonl 152 MB, over
	 * its 150 MB bound). */
	guint32 unknown_roles;
	GArray *listeners;         /* guint: indexes into ss_report.listeners */
	guint64 client_connections;/* records in which it was the client */
	guint64 client_servers;    /* distinct server sockets (proto, ip, port) */
	guint64 reused_ports;      /* connections from a port it had used before */
	gint64 min_reuse_gap_ns;   /* SS_NO_TIME when none */
	/* the busiest destination within one TIME_WAIT window: its
	 * connections, address, protocol and port (above) */
	guint64 busiest_connections;
	ss_ip busiest_ip;
	/* ephemeral-port profile, from handshake-proven client connections */
	ss_eph_stats eph;
	ss_eph_profile profile;
	/* TCP ports it listened on and also connected from */
	guint16 dual_ports[SS_HOST_DUAL_PORTS_MAX];
} ss_host;

G_STATIC_ASSERT(sizeof(ss_host) == 224);

typedef struct ss_hosts ss_hosts;

ss_hosts *ss_hosts_new(const ss_hosts_limits *lim);
void ss_hosts_free(ss_hosts *h);

/* Learns from a finalized record whose roles the handshake proved (others
 * are ignored): the client's source port, its reuse and destination. */
void ss_hosts_learn_ephemeral(ss_hosts *h, const ss_conn *c);

/* Accounts a finalized record to its client host (any evidence); a record
 * whose roles are unknown, to both hosts as unknown_roles (no server).
 * `server` names the record's server socket (protocol, family, address,
 * port, virtual network) one to one, as ss_listeners_add() and
 * ss_listeners_socket() number them: the host's distinct servers are
 * counted by it. */
void ss_hosts_add_conn(ss_hosts *h, const ss_conn *c, guint32 server);

/* A few records ahead of ss_hosts_add_conn(): hashes the record's likely
 * client host (ss_conn_likely_client() in listeners.h) into a small memo
 * and prefetches its slot.  Changes no result. */
void ss_hosts_prefetch(ss_hosts *h, const ss_conn *c);
/* The next steps, fewer records ahead (each needs what the step before
 * fetched): the host's entry, then its client side (a TCP record's) and
 * the pair set's slot of (host, `server`), server a guess of the socket
 * number ss_hosts_add_conn() will get (ss_listeners_prefetch_clients();
 * SS_LISTENERS_NONE: none).
 * Hints only, which change no result: they take the key the memo slot
 * of the record's likely client holds, whichever it is by then. */
void ss_hosts_prefetch_entry(ss_hosts *h, const ss_conn *c);
void ss_hosts_prefetch_client(ss_hosts *h, const ss_conn *c, guint32 server);

typedef enum {
	SS_EPH_VERDICT_UNKNOWN,    /* no profile, or too few samples */
	SS_EPH_VERDICT_IN,         /* inside the host's learned range */
	SS_EPH_VERDICT_OUT,        /* outside a default range the host fits */
} ss_eph_verdict;

/* Is `port` an ephemeral port of host `ip` in virtual network `vnet`, as
 * far as learned so far? */
ss_eph_verdict ss_hosts_ephemeral_verdict(const ss_hosts *h, guint8 family, const ss_ip *ip,
					  const ss_vnet *vnet, guint16 port);

/* The host records, sorted by family and address, with the listeners of
 * the report (sorted, as in ss_report) attached; the table is left empty.
 * Free the array with ss_hosts_array_free. */
GArray *ss_hosts_take(ss_hosts *h, const GArray *listeners);
void ss_hosts_array_free(GArray *hosts);
/* The report's order of host records: family, then address.  A
 * GCompareFunc over ss_host elements; whoever re-sorts them uses it. */
gint ss_host_cmp(gconstpointer pa, gconstpointer pb);

void ss_hosts_get_dropped(const ss_hosts *h, ss_hosts_dropped *out);

#endif
