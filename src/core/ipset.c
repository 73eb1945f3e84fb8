/* Inline IP address sets (include/sockscope/ipset.h). */
#include "sockscope/ipset.h"
#include "sockscope/util.h"

#include <string.h>

static gboolean ip_is_zero(const ss_ip *ip)
{
	static const ss_ip zero;
	return memcmp(ip, &zero, sizeof zero) == 0;
}

void ss_ip_set_clear(ss_ip_set *s)
{
	g_free(s->slots);
	*s = (ss_ip_set)SS_IP_SET_INIT;
}

/* The slot holding ip, or the free slot where it would go.  The set is
 * never full (at most 3/4 of the slots are used), so the probe ends. */
static ss_ip *probe(const ss_ip_set *s, const ss_ip *ip)
{
	guint32 mask = s->cap - 1;
	for (guint32 i = ss_hash_bytes(ip, sizeof *ip) & mask;; i = (i + 1) & mask) {
		ss_ip *slot = &s->slots[i];
		if (memcmp(slot, ip, sizeof *ip) == 0 || ip_is_zero(slot))
			return slot;
	}
}

gboolean ss_ip_set_contains(const ss_ip_set *s, const ss_ip *ip)
{
	if (ip_is_zero(ip))
		return s->has_zero;
	if (s->cap == 0)
		return FALSE;
	return !ip_is_zero(probe(s, ip));
}

static void grow(ss_ip_set *s)
{
	ss_ip_set bigger = { NULL, s->cap ? s->cap * 2 : 8, 0, FALSE };
	bigger.slots = g_new0(ss_ip, bigger.cap);
	for (guint32 i = 0; i < s->cap; i++)
		if (!ip_is_zero(&s->slots[i]))
			*probe(&bigger, &s->slots[i]) = s->slots[i];
	g_free(s->slots);
	s->slots = bigger.slots;
	s->cap = bigger.cap;
}

gboolean ss_ip_set_add(ss_ip_set *s, const ss_ip *ip)
{
	if (ip_is_zero(ip)) {
		if (s->has_zero)
			return FALSE;
		s->has_zero = TRUE;
		s->len++;
		return TRUE;
	}
	ss_ip *slot = NULL;
	if (s->cap) {
		slot = probe(s, ip);
		if (!ip_is_zero(slot))
			return FALSE;
	}
	/* Slots in use, the zero address aside, stay at most 3/4 of cap. */
	guint32 used = s->len - (s->has_zero ? 1 : 0);
	if ((guint64)(used + 1) * 4 > (guint64)s->cap * 3) {
		grow(s);
		slot = probe(s, ip);
	}
	*slot = *ip;
	s->len++;
	return TRUE;
}

gboolean ss_ip_set_any(const ss_ip_set *s, ss_ip *out)
{
	for (guint32 i = 0; i < s->cap; i++) {
		if (!ip_is_zero(&s->slots[i])) {
			*out = s->slots[i];
			return TRUE;
		}
	}
	if (!s->has_zero)
		return FALSE;
	memset(out, 0, sizeof *out);
	return TRUE;
}

void ss_ip_set_copy(ss_ip_set *dst, const ss_ip_set *src)
{
	*dst = *src;
	dst->slots = src->cap ? g_memdup2(src->slots, (gsize)src->cap * sizeof(ss_ip)) : NULL;
}
