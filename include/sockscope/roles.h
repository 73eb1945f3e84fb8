/* Role inference for records without a handshake (TCP mid-stream, UDP).
 *
 * Knowledge is learned from the capture itself, then each undecided record
 * is decided by the first rule that has an opinion, strongest first:
 *
 *   UDP only: multicast / broadcast destination  -> the sender is the client
 *   proven_listener   one side sent a SYN-ACK or completed a handshake as the
 *                     server in another record (TCP), or replied to several
 *                     peers (UDP)
 *   ephemeral_range   one port is inside its host's learned ephemeral range
 *                     (or the other is outside a default range its host fits)
 *   fan_in            one side talks to many peers whose ports change
 *   service_port      a built-in server port (ss_service_port_known)
 *   UDP: reply_from_port (both spoke) / first_sender (only one did)
 *   TCP: both ports in one OS default ephemeral range -> unknown (no
 *        client, no listener: two clients' ports, as peer-to-peer traffic
 *        or a bind shell on a high port show them); else lower_port, last
 *        first_packet
 *
 * Memory is per endpoint and bounded (ss_roles_limits); what did not fit is
 * counted.  docs/inference.md describes the rules and the measured accuracy. */
#ifndef SOCKSCOPE_ROLES_H
#define SOCKSCOPE_ROLES_H

#include <glib.h>
#include "sockscope/conn.h"
#include "sockscope/hosts.h"

/* An endpoint is a fan-in (server) socket after this many records, most of
 * them with a peer port different from the previous record's. */
#define SS_FAN_IN_MIN_RECORDS 3
/* A UDP endpoint is a proven responder after replying in this many records,
 * to more than one peer port. */
#define SS_UDP_RESPONDER_MIN_REPLIES 2
/* Host-pair directions remembered to tell a missing answer from a missing
 * direction (ss_roles_answer_unseen); past this, a pair not remembered
 * counts as never seen. */
#define SS_ROLES_MAX_DIRECTIONS 65536

typedef struct {
	guint max_endpoints;   /* endpoints remembered (default 262144) */
} ss_roles_limits;

void ss_roles_limits_init(ss_roles_limits *lim);

typedef struct ss_roles ss_roles;

/* `hosts` (may be NULL) supplies the learned ephemeral ranges; it must
 * outlive the knowledge base. */
ss_roles *ss_roles_new(const ss_roles_limits *lim, const ss_hosts *hosts);
void ss_roles_free(ss_roles *k);
/* The bytes of the IPv4 endpoints' slots: at most those of the fewest
 * slots that hold max_endpoints at most 3/4 full. */
gsize ss_roles_ipv4_bytes(const ss_roles *k);

/* A hint, a few records ahead of the record's next call here: hashes its
 * endpoints and starts fetching their slots, so that the call finds them
 * in the cache (a slot is a likely miss in a table of 2^18).  Reads only
 * c's flow key, its first bytes; changes no result. */
void ss_roles_prefetch(ss_roles *k, const ss_conn *c);

/* The same hint for ss_roles_learn() of a finished record: starts
 * fetching the slots of the host-pair directions it will add (IPv4; the
 * directions' set, up to 2^16 of them, is a likely miss too).  Reads c's
 * key and its sides' packet counts; changes no result. */
void ss_roles_prefetch_learn(const ss_roles *k, const ss_conn *c);

/* ---- learning ---- */

/* Once per record, when it starts (or in the learning pass): counts the
 * record for both endpoints (fan-in). */
void ss_roles_note_record(ss_roles *k, const ss_conn *c);
/* ep[side] of c sent a SYN-ACK: it is a listening TCP socket. */
void ss_roles_note_synack(ss_roles *k, const ss_conn *c, int side);
/* A finalized record: a handshake's server is a proven listener; a UDP
 * endpoint that replied counts towards a proven responder; the host-pair
 * directions it holds packets in are remembered, and a one-sided TCP
 * record marks its heard host as one the capture misses packets to. */
void ss_roles_learn(ss_roles *k, const ss_conn *c);

/* TRUE when the capture cannot show an answer to ep[client] of c: it is
 * proven (by a one-sided TCP record) to miss packets to the client's host,
 * and holds none from the server's host to it.  An attempt without an
 * answer is then `unknown`, not `unanswered` (docs/inference.md). */
gboolean ss_roles_answer_unseen(const ss_roles *k, const ss_conn *c, int client);

/* ---- deciding ---- */

/* Sets c->client, c->evidence and c->confidence of a record that has no
 * handshake / ICMP proof, from the knowledge so far (k may be NULL: ports
 * only).  Never sets SS_CONFIDENCE_HIGH.  Evidence SS_EVIDENCE_UNKNOWN
 * (confidence low, client 0 only to orient the record) when nothing tells
 * the roles apart (ss_conn_roles_unknown). */
void ss_roles_decide(const ss_roles *k, ss_conn *c);

/* Endpoints forgotten or never recorded because the table was full. */
guint64 ss_roles_dropped(const ss_roles *k);

#endif
