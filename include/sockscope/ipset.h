/* A set of IP addresses kept inline: open addressing with linear probing
 * in one array of ss_ip.  The distinct clients of every listener and of
 * every finding group are such sets, added to once per record; a GHashTable
 * of g_memdup2()'d keys cost a malloc and ~70 bytes a member and two
 * look-ups per record (contains, then add), this costs 16-21 bytes a member
 * and one probe sequence.  Hashing is ss_hash_bytes(), keyed per process. */
#ifndef SOCKSCOPE_IPSET_H
#define SOCKSCOPE_IPSET_H

#include <glib.h>
#include "sockscope/packet.h"

typedef struct {
	ss_ip *slots;          /* `cap` slots; an all-zero slot is free */
	guint32 cap;           /* 0 (nothing allocated yet) or a power of two */
	guint32 len;           /* members, the all-zero address included */
	gboolean has_zero;     /* 0.0.0.0 / :: is a member (it cannot mark a slot) */
} ss_ip_set;

#define SS_IP_SET_INIT { NULL, 0, 0, FALSE }

/* Frees the slots; the set is empty and usable again. */
void ss_ip_set_clear(ss_ip_set *s);
gboolean ss_ip_set_contains(const ss_ip_set *s, const ss_ip *ip);
/* Adds ip; TRUE when it was not a member yet. */
gboolean ss_ip_set_add(ss_ip_set *s, const ss_ip *ip);
/* Some member into *out (the only one when the size is 1); FALSE when empty. */
gboolean ss_ip_set_any(const ss_ip_set *s, ss_ip *out);
/* dst (empty or cleared) becomes a copy of src. */
void ss_ip_set_copy(ss_ip_set *dst, const ss_ip_set *src);

static inline guint ss_ip_set_size(const ss_ip_set *s)
{
	return s->len;
}

#endif
