/* Inline IP address sets (include/sockscope/ipset.h): 4-byte slots while
 * every member is IPv4-shaped, 16-byte ss_ip slots after. */
#include "sockscope/ipset.h"
#include "sockscope/bigarray.h"
#include "sockscope/util.h"

#include <string.h>

static gboolean ip_is_zero(const ss_ip *ip)
{
	static const ss_ip zero;
	return memcmp(ip, &zero, sizeof zero) == 0;
}

/* The address as a narrow slot value when bytes 4..15 are zero. */
static gboolean narrow_of(const ss_ip *ip, guint32 *v)
{
	guint32 mid;
	guint64 tail;
	memcpy(&mid, ip->bytes + 4, sizeof mid);
	memcpy(&tail, ip->bytes + 8, sizeof tail);
	memcpy(v, ip->bytes, sizeof *v);
	return (mid | tail) == 0;
}

static gsize slot_size(const ss_ip_set *s)
{
	return s->wide ? sizeof(ss_ip) : sizeof(guint32);
}

void ss_ip_set_clear(ss_ip_set *s)
{
	ss_big_free(s->slots, (gsize)s->cap * slot_size(s));
	*s = (ss_ip_set)SS_IP_SET_INIT;
}

/* The slot holding the member, or the free slot where it would go.  The
 * set is never full (at most 3/4 of the slots are used), so a probe ends. */
static guint32 *probe_narrow(const ss_ip_set *s, guint32 v)
{
	guint32 mask = s->cap - 1, *slots = s->slots;
	for (guint32 i = ss_hash_bytes(&v, sizeof v) & mask;; i = (i + 1) & mask)
		if (slots[i] == v || slots[i] == 0)
			return &slots[i];
}

static ss_ip *probe_wide(const ss_ip_set *s, const ss_ip *ip)
{
	guint32 mask = s->cap - 1;
	ss_ip *slots = s->slots;
	for (guint32 i = ss_hash_bytes(ip, sizeof *ip) & mask;; i = (i + 1) & mask) {
		ss_ip *slot = &slots[i];
		if (memcmp(slot, ip, sizeof *ip) == 0 || ip_is_zero(slot))
			return slot;
	}
}

void ss_ip_set_prefetch(const ss_ip_set *s, const ss_ip *ip)
{
	if (s->cap == 0)
		return;
	guint32 v, mask = s->cap - 1;
	if (s->wide)
		__builtin_prefetch(&((const ss_ip *)s->slots)[ss_hash_bytes(ip, sizeof *ip) & mask]);
	else if (narrow_of(ip, &v))
		__builtin_prefetch(&((const guint32 *)s->slots)[ss_hash_bytes(&v, sizeof v) & mask]);
}

gboolean ss_ip_set_contains(const ss_ip_set *s, const ss_ip *ip)
{
	if (ip_is_zero(ip))
		return s->has_zero;
	if (s->cap == 0)
		return FALSE;
	guint32 v;
	if (s->wide)
		return !ip_is_zero(probe_wide(s, ip));
	if (!narrow_of(ip, &v))
		return FALSE;   /* a narrow set holds no such address */
	return *probe_narrow(s, v) != 0;
}

/* New slots: `cap` of them, wide or not, holding the old members. */
static void rebuild(ss_ip_set *s, guint32 cap, gboolean wide)
{
	ss_ip_set bigger = { NULL, cap, 0, 0, (guint8)wide };
	bigger.slots = ss_big_new0(cap, slot_size(&bigger));
	for (guint32 i = 0; i < s->cap; i++) {
		if (s->wide) {
			const ss_ip *m = &((ss_ip *)s->slots)[i];
			if (!ip_is_zero(m))
				*probe_wide(&bigger, m) = *m;
		} else {
			guint32 v = ((guint32 *)s->slots)[i];
			if (v == 0)
				continue;
			if (wide) {
				ss_ip m;
				memset(&m, 0, sizeof m);
				memcpy(m.bytes, &v, sizeof v);
				*probe_wide(&bigger, &m) = m;
			} else {
				*probe_narrow(&bigger, v) = v;
			}
		}
	}
	ss_big_free(s->slots, (gsize)s->cap * slot_size(s));
	s->slots = bigger.slots;
	s->cap = cap;
	s->wide = (guint8)wide;
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
	guint32 v;
	gboolean narrow = narrow_of(ip, &v);
	if (!narrow && !s->wide && s->cap > 0)
		rebuild(s, s->cap, TRUE);   /* the first address that needs 16 bytes */
	else if (!narrow && s->cap == 0)
		s->wide = TRUE;
	/* The free slot the look-up ended on takes the new member, unless the
	 * slots are rebuilt first: one hash per new member, not two. */
	void *slot = NULL;
	if (s->cap) {
		if (s->wide) {
			ss_ip *w = probe_wide(s, ip);
			if (!ip_is_zero(w))
				return FALSE;
			slot = w;
		} else {
			guint32 *n = probe_narrow(s, v);
			if (*n != 0)
				return FALSE;
			slot = n;
		}
	}
	/* Slots in use, the zero address aside, stay at most 3/4 of cap. */
	guint32 used = s->len - (s->has_zero ? 1 : 0);
	if ((guint64)(used + 1) * 4 > (guint64)s->cap * 3) {
		rebuild(s, s->cap ? s->cap * 2 : 8, s->wide);
		slot = s->wide ? (void *)probe_wide(s, ip) : (void *)probe_narrow(s, v);
	}
	if (s->wide)
		*(ss_ip *)slot = *ip;
	else
		*(guint32 *)slot = v;
	s->len++;
	return TRUE;
}

gboolean ss_ip_set_any(const ss_ip_set *s, ss_ip *out)
{
	for (guint32 i = 0; i < s->cap; i++) {
		if (s->wide) {
			const ss_ip *m = &((ss_ip *)s->slots)[i];
			if (!ip_is_zero(m)) {
				*out = *m;
				return TRUE;
			}
		} else if (((guint32 *)s->slots)[i] != 0) {
			memset(out, 0, sizeof *out);
			memcpy(out->bytes, &((guint32 *)s->slots)[i], sizeof(guint32));
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
	dst->slots = src->cap ? ss_big_dup(src->slots, (gsize)src->cap * slot_size(src)) : NULL;
}
