/* Community ID flow hashing, version 1 (Corelight's specification,
 * https://github.com/corelight/community-id-spec).
 *
 *   "1:" + base64(SHA1(seed . saddr . daddr . proto . 0 . sport . dport))
 *
 * with the seed (2 bytes), addresses (4 or 16 bytes) and ports (2 bytes) in
 * network byte order, and the endpoints ordered so that the smaller address
 * comes first (the smaller port when the addresses are equal): both
 * directions of a flow give the same ID. */
#ifndef SOCKSCOPE_COMMUNITY_ID_H
#define SOCKSCOPE_COMMUNITY_ID_H

#include <glib.h>
#include "sockscope/conn.h"
#include "sockscope/flow.h"
#include "sockscope/packet.h"

/* "1:" + 28 base64 characters + NUL. */
#define SS_COMMUNITY_ID_LEN 31

/* Writes the Community ID of a flow into out and returns TRUE.  The ports
 * are hashed for TCP (6), UDP (17) and SCTP (132); for other protocols
 * except ICMP they are ignored (the spec hashes addresses and protocol
 * only).  Returns FALSE, with out set to "", for an unknown family and for
 * ICMP/ICMPv6 (1, 58), whose type/code-to-port mapping is not implemented. */
gboolean ss_community_id(guint8 family, guint8 proto,
			 const ss_ip *saddr, guint16 sport,
			 const ss_ip *daddr, guint16 dport,
			 guint16 seed, char out[SS_COMMUNITY_ID_LEN]);

/* The same for a flow key (its two endpoints, protocol and family). */
gboolean ss_community_id_key(const ss_flow_key *key, guint16 seed,
			     char out[SS_COMMUNITY_ID_LEN]);

/* The same for a connection record (both endpoints: the ID does not
 * depend on which side is the client). */
gboolean ss_community_id_conn(const ss_conn *c, guint16 seed, char out[SS_COMMUNITY_ID_LEN]);

#endif
