/* IPv4 and IPv6 fragment reassembly for headers (src/decode/frag.c).
 *
 * Enough of each fragmented datagram is put back together to decode its
 * transport header once, and the datagram is counted once: a SYN whose TCP
 * header is split over two fragments becomes a normal packet.  Payload
 * bytes beyond the first SS_FRAG_HEAD are never kept.  Bounded: at most
 * SS_FRAG_MAX_DATAGRAMS datagrams in progress (the oldest is dropped), at
 * most SS_FRAG_MAX_PIECES fragments each, SS_FRAG_TIMEOUT_NS of packet time.
 *
 * Policy (docs/output.md, "Fragments"): overlapping fragments drop their
 * datagram (RFC 5722) and count as frag_overlap, or frag_teardrop when one
 * lies wholly inside another; exact duplicates are ignored; a first
 * fragment too short for the transport header is frag_tiny (RFC 1858) and
 * is still reassembled; a fragment reaching beyond 65,535 bytes is
 * frag_oversize; one the bounds have no room for is frag_dropped.  Never
 * fatal.  The table is per capture (one per analyzer). */
#ifndef SOCKSCOPE_FRAG_H
#define SOCKSCOPE_FRAG_H

#include <glib.h>

#define SS_FRAG_HEAD 128u
#define SS_FRAG_MAX_DATAGRAMS 4096u
#define SS_FRAG_MAX_PIECES 64u
#define SS_FRAG_TIMEOUT_NS G_GINT64_CONSTANT(60000000000)   /* RFC 8200's 60 s */

typedef struct ss_frag_table ss_frag_table;

ss_frag_table *ss_frag_table_new(void);
void ss_frag_table_free(ss_frag_table *t);
/* Drops the datagrams older than SS_FRAG_TIMEOUT_NS at packet time now_ns.
 * The decoder calls it for each fragment (so a capture without fragments
 * pays nothing per packet); what is left at the end is freed unread. */
void ss_frag_table_expire(ss_frag_table *t, gint64 now_ns);
/* Datagrams held (tests). */
guint ss_frag_table_size(const ss_frag_table *t);

#endif
