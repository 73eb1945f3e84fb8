/* The listener roll-up: every decided record accounted to the listening
 * socket it reached (src/analysis/listeners.c).
 *
 * Records go in one at a time as they are decided; ss_listeners_take()
 * returns the sorted ss_listener array of the report (sockscope/report.h),
 * which ss_hosts_take() then indexes.  ss_listener_cmp() is that order,
 * the one the report documents; whoever re-sorts the array (the anonymizer)
 * uses it too. */
#ifndef SOCKSCOPE_LISTENERS_H
#define SOCKSCOPE_LISTENERS_H

#include <glib.h>
#include <string.h>
#include "sockscope/report.h"

/* A listening socket as a hash key (the roll-up's, the graph's, the
 * drift's): made by ss_listener_key_make(), so the padding-free bytes are
 * all set and keys compare and hash bytewise (SS_BYTES_KEY_FUNCS).  The
 * virtual network is part of it: two tenants' 192.168.42.2:8080 behind
 * VXLAN VNI 42 and 43 are two listeners. */
typedef struct {
	guint8 proto, family;
	guint16 port;
	ss_ip ip;
	ss_vnet vnet;
} ss_listener_key;

G_STATIC_ASSERT(sizeof(ss_listener_key) == 28);

static inline ss_listener_key ss_listener_key_make(guint8 proto, guint8 family, const ss_ip *ip,
						   guint16 port, const ss_vnet *vnet)
{
	ss_listener_key k;
	memset(&k, 0, sizeof k);
	k.proto = proto;
	k.family = family;
	k.port = port;
	k.ip = *ip;
	k.vnet = *vnet;
	return k;
}

/* The key of the listener a decided record reached. */
static inline ss_listener_key ss_listener_key_of_conn(const ss_conn *c)
{
	ss_vnet v = ss_tunnel_vnet(ss_conn_tunnel(c));
	return ss_listener_key_make(c->proto, c->family, ss_conn_server_ip(c), ss_conn_server_port(c), &v);
}

/* The record's virtual network (ss_tunnel_vnet()) as the word its 8
 * bytes make on a little-endian machine, made in a register: for the
 * host and listener roll-ups' keys held as words (sockscope/oatable.h's
 * ss_oa_kw). */
static inline guint64 ss_conn_vnet_word(const ss_conn *c)
{
	const ss_tunnel *t = ss_conn_tunnel(c);
	G_STATIC_ASSERT(sizeof(ss_vnet) == 8 && G_STRUCT_OFFSET(ss_vnet, has_vni) == 1 &&
			G_STRUCT_OFFSET(ss_vnet, vni) == 4);
	return (guint8)t->type | (guint64)(guint8)t->has_vni << 8 | (guint64)(guint32)t->vni << 32;
}

/* The side a finalized record will most likely name its client, guessed
 * before it is decided, for the look-ahead of the host and listener
 * roll-ups (a wrong guess costs only a useless prefetch): the first bare
 * SYN's sender, else the first SYN-ACK's peer, else the side of the
 * higher port (UDP records and TCP ones without a handshake: on
 * many-flows.pcap 41% of the records, whose server is nearly always the
 * lower port, a service or a proven listener), else ep[0], the first
 * sender. */
static inline int ss_conn_likely_client(const ss_conn *c)
{
	if (c->syn_side >= 0)
		return c->syn_side;
	if (c->synack_side >= 0)
		return !c->synack_side;
	return ss_conn_port(c, 0) < ss_conn_port(c, 1) ? 1 : 0;
}

typedef struct ss_listeners ss_listeners;

ss_listeners *ss_listeners_new(void);
void ss_listeners_free(ss_listeners *ls);
/* An independent copy (a live snapshot rolls its records up on top). */
ss_listeners *ss_listeners_copy(const ss_listeners *ls);

/* A few records ahead of ss_listeners_add(): hashes the record's likely
 * server socket (the peer of ss_conn_likely_client()) into a small memo
 * and prefetches its slot.  Changes no result. */
void ss_listeners_prefetch(ss_listeners *ls, const ss_conn *c);
/* The next steps, fewer records ahead (each needs what the step before
 * fetched): the socket's entry, then the slot of the record's likely
 * client in the socket's client set.  Hints only, which change no result:
 * they take the key the memo slot of the record's likely server socket
 * holds, whichever it is by then.  The second returns that socket's
 * number (SS_LISTENERS_NONE: not found), a guess of what
 * ss_listeners_add() will return, for ss_hosts_prefetch_client(). */
void ss_listeners_prefetch_entry(ss_listeners *ls, const ss_conn *c);
guint32 ss_listeners_prefetch_clients(ss_listeners *ls, const ss_conn *c);

/* Accounts one finalized record to the listening socket it reached (a
 * record that reached none, ss_conn_reaches_listener(), is left out: then
 * it returns SS_LISTENERS_NONE).  Returns the socket's number: one per server socket
 * (protocol, family, address, port, virtual network), from 0 up, the same
 * for every record of it, for the hosts' distinct servers
 * (ss_hosts_add_conn). */
#define SS_LISTENERS_NONE G_MAXUINT32
guint32 ss_listeners_add(ss_listeners *ls, const ss_conn *c);
/* TRUE when a finalized record reached a listening socket: not when
 * nobody listened (a simultaneous open), nobody knows who did (roles
 * unknown) or the receiver is a multicast group or broadcast address.
 * The one rule for every roll-up by listener: ss_listeners_add() (the
 * report, the live snapshot), the host graph and compare's drift mode. */
gboolean ss_conn_reaches_listener(const ss_conn *c);
/* The number of the record's server socket without accounting the record
 * to it (multicast and broadcast receivers are not listeners); a socket
 * only numbered this way is no listener of ss_listeners_take(). */
guint32 ss_listeners_socket(ss_listeners *ls, const ss_conn *c);

/* The listeners so far, sorted by ss_listener_cmp(); the roll-up is left
 * empty. */
GArray *ss_listeners_take(ss_listeners *ls);

/* The report's order of listeners: protocol, family, address, port, then
 * the virtual network (none first).  A
 * GCompareFunc over ss_listener elements. */
gint ss_listener_cmp(gconstpointer pa, gconstpointer pb);

#endif
