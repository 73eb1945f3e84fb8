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
#include "sockscope/report.h"

typedef struct ss_listeners ss_listeners;

ss_listeners *ss_listeners_new(void);
void ss_listeners_free(ss_listeners *ls);
/* An independent copy (a live snapshot rolls its records up on top). */
ss_listeners *ss_listeners_copy(const ss_listeners *ls);

/* Accounts one finalized record to the listening socket it reached (a
 * simultaneous open, where nobody listened, is left out). */
void ss_listeners_add(ss_listeners *ls, const ss_conn *c);

/* The listeners so far, sorted by ss_listener_cmp(); the roll-up is left
 * empty. */
GArray *ss_listeners_take(ss_listeners *ls);

/* The report's order of listeners: protocol, family, address, port.  A
 * GCompareFunc over ss_listener elements. */
gint ss_listener_cmp(gconstpointer pa, gconstpointer pb);

#endif
