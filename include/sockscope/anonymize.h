/* Keyed, prefix-preserving pseudonymisation of IP addresses, for reports
 * shared outside the organisation (--anonymize; docs/reports.md).
 *
 * The method is Crypto-PAn's (Xu, Fan, Ammar, Moon, 2002) with HMAC-SHA256
 * as the pseudo-random function: bit i of the output is bit i of the input
 * XOR the first bit of HMAC-SHA256(key, family || i || the first i input
 * bits).  Two addresses that share exactly their first n bits map to two
 * addresses that share exactly their first n bits; the same key always
 * gives the same mapping, and without the key the mapping cannot be undone
 * or recomputed.  IPv4 uses 32 rounds, IPv6 128 (the families are
 * separate: the family is part of every PRF input). */
#ifndef SOCKSCOPE_ANONYMIZE_H
#define SOCKSCOPE_ANONYMIZE_H

#include <glib.h>
#include "sockscope/conn.h"
#include "sockscope/report.h"

typedef struct ss_anonymizer ss_anonymizer;

/* A mapping keyed with `key` (any bytes, at least one); key == NULL picks
 * 32 random bytes from the OS (a per-run key that is never shown). */
ss_anonymizer *ss_anonymizer_new(const guint8 *key, gsize len);
void ss_anonymizer_free(ss_anonymizer *a);

/* out may be in. */
void ss_anonymize_ip(ss_anonymizer *a, guint8 family, const ss_ip *in, ss_ip *out);

/* Every address of one record: both endpoints and the flow key (whose
 * canonical order is redone), so Community IDs are computed from the
 * pseudonyms. */
void ss_anonymize_conn(ss_anonymizer *a, ss_conn *c);

/* Every address of the report: records, listeners (re-sorted), hosts
 * (re-sorted, their listener indexes remapped) and findings.  With
 * `names`, input names become "input-1", "input-2"... (also inside the
 * warnings that quote them). */
void ss_anonymize_report(ss_anonymizer *a, ss_report *r, gboolean names);

#endif
