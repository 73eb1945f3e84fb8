/* Decisions about a finished record (src/analysis/decide.c): roles,
 * outcome and close state, and the capture-quality facts of a decided
 * record (docs/output.md). */
#ifndef SOCKSCOPE_DECIDE_H
#define SOCKSCOPE_DECIDE_H

#include <glib.h>
#include "sockscope/conn.h"
#include "sockscope/roles.h"

/* Decides roles, outcome and close state of one record from its own
 * packets: a handshake or ICMP proof, else ports only. */
void ss_conn_finalize(ss_conn *c);

/* ss_conn_finalize() with knowledge: a record with a handshake or ICMP proof
 * keeps the roles it proves; the others are decided by ss_roles_decide()
 * from k (NULL: ports only). */
void ss_conn_finalize_with(ss_conn *c, const ss_roles *k);

/* TRUE when a handshake (SYN / SYN-ACK) or an ICMP error decided the
 * roles, FALSE when they were inferred. */
gboolean ss_conn_roles_proven(const ss_conn *c);

/* Capture-quality facts of a finalized record (docs/output.md). */
gboolean ss_conn_one_sided(const ss_conn *c);
gboolean ss_conn_started_midstream(const ss_conn *c);

#endif
