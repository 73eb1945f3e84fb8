/* Inline IP address sets (include/sockscope/ipset.h): 4-byte slots while
 * every member is IPv4-shaped, 16-byte ss_ip slots after, and the packed
 * form (below) for the larger IPv4 sets of few networks. */
#include "sockscope/ipset.h"
#include "sockscope/bigarray.h"
#include "sockscope/util.h"

#include <string.h>

/* ---- the packed form ----
 *
 * The distinct clients of a listener or of a finding group are the
 * largest of the roll-ups' sets: 19 MB of slots for 1.9M members at
 * many-flows.pcap's peak, 4-byte slots.  A server's clients come from a
 * few networks, so their first two bytes repeat: a packed set keeps the
 * distinct first halves (at most 15) once, in a head, and in each slot
 * only the member's second half and a 4-bit tag, 1 + its first half's
 * place in the head (0: the slot is free).  The slots are in groups of
 * 16, the 16 second halves and then the 16 tags, 40 bytes, so that a
 * probe reads one place as the 4-byte slots did.  A set becomes packed
 * when it grows to PACK_FROM_CAP slots with at most 15 first halves, and
 * narrow again (for good) at the 16th.  "First half" is the member's
 * 4-byte value's low 16 bits: the address's first two bytes on a
 * little-endian machine; on a big-endian one the last two, which packs
 * less often and gives the same answers.  An IPv6 set packs the same way
 * (SS_IP_SET_PACKED6): its members' first 14 bytes are the "first half"
 * in a larger head, the last two the second, for clients numbered in a
 * few /112s (DHCPv6, static plans; not privacy addresses, which stay in
 * 16-byte slots).  On many-flows.pcap (4 IPv4 and 2 IPv6 client
 * networks) peak RSS 411.6 -> 404.4 MB, 7.2 of the sets' 19.0 MB at the
 * packet phase's end; +0.8% instructions on many-s.pcap (the packed
 * probe's tag arithmetic), CPU time even (measured in docs/performance.md,
 * "Roll-ups, tenth session"). */
#define PACK_GROUP 16
#define PACK_MAX_HALVES 15
#define PACK_FROM_CAP 32

typedef struct {
	guint16 half[PACK_MAX_HALVES];   /* the distinct first halves, in arrival order */
	guint8 n;
	guint8 unused;
} pack_head;
G_STATIC_ASSERT(sizeof(pack_head) == 32);

#define PACK6_PREFIX 14
typedef struct {
	guint8 prefix[PACK_MAX_HALVES][PACK6_PREFIX];   /* the distinct first 14 bytes */
	guint8 n;
	guint8 unused[5];
} pack6_head;
G_STATIC_ASSERT(sizeof(pack6_head) == 216);

typedef struct {
	guint16 second[PACK_GROUP];      /* each slot's member's second half */
	guint8 tag[PACK_GROUP / 2];      /* 4 bits a slot, the low ones first */
} pack_group;
G_STATIC_ASSERT(sizeof(pack_group) == 40);

static inline guint16 first_half(guint32 v)
{
	return (guint16)v;
}

static inline guint16 second_half(guint32 v)
{
	return (guint16)(v >> 16);
}

static inline pack_head *pack_head_of(const ss_ip_set *s)
{
	return s->slots;
}

static inline pack6_head *pack6_head_of(const ss_ip_set *s)
{
	return s->slots;
}

static inline pack_group *pack_groups(const ss_ip_set *s)
{
	gsize head = s->form == SS_IP_SET_PACKED6 ? sizeof(pack6_head) : sizeof(pack_head);
	return (pack_group *)((guint8 *)s->slots + head);
}

static inline guint tag_at(const pack_group *g, guint32 j)
{
	return (g->tag[j / 2] >> (j % 2 * 4)) & 15u;
}

/* 1 + the place of v's first half in the head; 0 when it is not there. */
static inline guint half_tag(const pack_head *h, guint32 v)
{
	guint16 half = first_half(v);
	for (guint i = 0; i < h->n; i++)
		if (h->half[i] == half)
			return i + 1;
	return 0;
}

/* The same for an IPv6 member's first 14 bytes. */
static inline guint prefix_tag(const pack6_head *h, const ss_ip *ip)
{
	/* 14 bytes as two overlapping words: no call to memcmp */
	guint64 a, b;
	memcpy(&a, ip->bytes, sizeof a);
	memcpy(&b, ip->bytes + PACK6_PREFIX - sizeof b, sizeof b);
	for (guint i = 0; i < h->n; i++) {
		guint64 x, y;
		memcpy(&x, h->prefix[i], sizeof x);
		memcpy(&y, h->prefix[i] + PACK6_PREFIX - sizeof y, sizeof y);
		if (x == a && y == b)
			return i + 1;
	}
	return 0;
}

static inline guint16 last_two(const ss_ip *ip)
{
	guint16 x;
	memcpy(&x, ip->bytes + PACK6_PREFIX, sizeof x);
	return x;
}

/* The 16 tags of a group as one word, slot j's in bits 4j..4j+3. */
static inline guint64 group_tags(const pack_group *g)
{
	guint64 w;
	memcpy(&w, g->tag, sizeof w);
	return GUINT64_FROM_LE(w);
}

/* The slot holding (tag, second), or the free slot where it would go: a
 * group's tags are read once, as a word, for the slots probed in it. */
static guint32 probe_packed(const ss_ip_set *s, guint32 hash, guint tag, guint16 second)
{
	guint32 mask = s->cap - 1;
	const pack_group *groups = pack_groups(s);
	for (guint32 i = hash & mask;; i = ((i | (PACK_GROUP - 1)) + 1) & mask) {
		const pack_group *g = &groups[i / PACK_GROUP];
		guint64 tags = group_tags(g);
		for (guint32 j = i % PACK_GROUP; j < PACK_GROUP; j++) {
			guint t = (guint)(tags >> (4 * j)) & 15u;
			if (t == 0 || (t == tag && g->second[j] == second))
				return (i & ~(guint32)(PACK_GROUP - 1)) + j;
		}
	}
}

/* Writes v into free slot i of a packed set, its first half's tag given. */
static inline void put_packed_at(ss_ip_set *s, guint32 i, guint tag, guint32 v)
{
	pack_group *g = &pack_groups(s)[i / PACK_GROUP];
	g->second[i % PACK_GROUP] = second_half(v);
	g->tag[i % PACK_GROUP / 2] |= (guint8)(tag << (i % 2 * 4));
}

/* ---- all forms ---- */

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

G_ALWAYS_INLINE static inline guint32 hash_v4(guint32 v)
{
	return (guint32)ss_hash3(ss_hash3_process_key(), v, 0, 0);
}

static inline gboolean wide_form(guint8 form)
{
	return form == SS_IP_SET_WIDE || form == SS_IP_SET_PACKED6;
}

static gsize slots_bytes(guint8 form, guint32 cap)
{
	switch (form) {
	case SS_IP_SET_WIDE:
		return (gsize)cap * sizeof(ss_ip);
	case SS_IP_SET_PACKED:
		return sizeof(pack_head) + (gsize)cap / PACK_GROUP * sizeof(pack_group);
	case SS_IP_SET_PACKED6:
		return sizeof(pack6_head) + (gsize)cap / PACK_GROUP * sizeof(pack_group);
	default:
		return (gsize)cap * sizeof(guint32);
	}
}

void ss_ip_set_clear(ss_ip_set *s)
{
	ss_big_free(s->slots, slots_bytes(s->form, s->cap));
	*s = (ss_ip_set)SS_IP_SET_INIT;
}

/* The slot holding the member, or the free slot where it would go.  The
 * set is never full (at most 3/4 of the slots are used), so a probe ends. */
static guint32 *probe_narrow(const ss_ip_set *s, guint32 v, guint32 hash)
{
	guint32 mask = s->cap - 1, *slots = s->slots;
	for (guint32 i = hash & mask;; i = (i + 1) & mask)
		if (slots[i] == v || slots[i] == 0)
			return &slots[i];
}

G_ALWAYS_INLINE static inline guint32 hash_wide(const ss_ip *ip)
{
	guint64 w[2];
	memcpy(w, ip->bytes, sizeof w);
	return (guint32)ss_hash3(ss_hash3_process_key(), w[0], w[1], 0);
}

static ss_ip *probe_wide(const ss_ip_set *s, const ss_ip *ip, guint32 hash)
{
	guint32 mask = s->cap - 1;
	ss_ip *slots = s->slots;
	for (guint32 i = hash & mask;; i = (i + 1) & mask) {
		ss_ip *slot = &slots[i];
		if (memcmp(slot, ip, sizeof *ip) == 0 || ip_is_zero(slot))
			return slot;
	}
}

/* The IPv4-shaped member in slot i of a narrow or packed set, FALSE when
 * the slot is free. */
static gboolean slot_v4(const ss_ip_set *s, guint32 i, guint32 *v)
{
	if (s->form == SS_IP_SET_NARROW) {
		*v = ((const guint32 *)s->slots)[i];
		return *v != 0;
	}
	const pack_group *g = &pack_groups(s)[i / PACK_GROUP];
	guint t = tag_at(g, i % PACK_GROUP);
	if (t == 0)
		return FALSE;
	*v = (guint32)pack_head_of(s)->half[t - 1] | (guint32)g->second[i % PACK_GROUP] << 16;
	return TRUE;
}

/* Puts v (not a member; a packed set has room for its first half) into
 * a narrow or packed set with room for it. */
static void put_v4(ss_ip_set *s, guint32 v, guint32 hash)
{
	if (s->form == SS_IP_SET_NARROW) {
		*probe_narrow(s, v, hash) = v;
		return;
	}
	pack_head *h = pack_head_of(s);
	guint tag = half_tag(h, v);
	if (tag == 0) {
		h->half[h->n] = first_half(v);
		tag = ++h->n;
	}
	put_packed_at(s, probe_packed(s, hash, tag, second_half(v)), tag, v);
}

/* The member in slot i of a wide or packed IPv6 set, FALSE when the slot
 * is free. */
static gboolean slot_wide(const ss_ip_set *s, guint32 i, ss_ip *out)
{
	if (s->form == SS_IP_SET_WIDE) {
		*out = ((const ss_ip *)s->slots)[i];
		return !ip_is_zero(out);
	}
	const pack_group *g = &pack_groups(s)[i / PACK_GROUP];
	guint t = tag_at(g, i % PACK_GROUP);
	if (t == 0)
		return FALSE;
	memcpy(out->bytes, pack6_head_of(s)->prefix[t - 1], PACK6_PREFIX);
	memcpy(out->bytes + PACK6_PREFIX, &g->second[i % PACK_GROUP], sizeof(guint16));
	return TRUE;
}

/* Puts ip (not a member; a packed set has room for its prefix) into a
 * wide or packed IPv6 set with room for it. */
static void put_wide(ss_ip_set *s, const ss_ip *ip, guint32 hash)
{
	if (s->form == SS_IP_SET_WIDE) {
		*probe_wide(s, ip, hash) = *ip;
		return;
	}
	pack6_head *h = pack6_head_of(s);
	guint tag = prefix_tag(h, ip);
	if (tag == 0) {
		memcpy(h->prefix[h->n], ip->bytes, PACK6_PREFIX);
		tag = ++h->n;
	}
	guint32 i = probe_packed(s, hash, tag, last_two(ip));
	pack_group *g = &pack_groups(s)[i / PACK_GROUP];
	g->second[i % PACK_GROUP] = last_two(ip);
	g->tag[i % PACK_GROUP / 2] |= (guint8)(tag << (i % 2 * 4));
}

static gboolean has_wide(const ss_ip_set *s, const ss_ip *ip, guint32 hash)
{
	if (s->form == SS_IP_SET_WIDE)
		return !ip_is_zero(probe_wide(s, ip, hash));
	guint tag = prefix_tag(pack6_head_of(s), ip);
	if (tag == 0)
		return FALSE;
	guint32 i = probe_packed(s, hash, tag, last_two(ip));
	return tag_at(&pack_groups(s)[i / PACK_GROUP], i % PACK_GROUP) != 0;
}

/* A packed set's members into a larger packed set of the same form
 * (`to`, fresh): the head is copied, so every member keeps its tag and
 * only goes to the first free slot of its probe, the first halves not
 * looked up again (growth is most of the packed form's instructions). */
static void regrow_packed(ss_ip_set *s, ss_ip_set *to)
{
	gsize head = s->form == SS_IP_SET_PACKED6 ? sizeof(pack6_head) : sizeof(pack_head);
	memcpy(to->slots, s->slots, head);
	const pack_group *from = pack_groups(s);
	pack_group *groups = pack_groups(to);
	guint32 mask = to->cap - 1;
	ss_ip m;
	memset(&m, 0, sizeof m);
	for (guint32 k = 0; k < s->cap / PACK_GROUP; k++) {
		const pack_group *g = &from[k];
		for (guint32 j = 0; j < PACK_GROUP; j++) {
			guint tag = tag_at(g, j);
			if (tag == 0)
				continue;
			guint32 hash;
			if (s->form == SS_IP_SET_PACKED) {
				hash = hash_v4((guint32)pack_head_of(s)->half[tag - 1] |
					       (guint32)g->second[j] << 16);
			} else {
				memcpy(m.bytes, pack6_head_of(s)->prefix[tag - 1], PACK6_PREFIX);
				memcpy(m.bytes + PACK6_PREFIX, &g->second[j], sizeof(guint16));
				hash = hash_wide(&m);
			}
			guint32 i = hash & mask;
			while (tag_at(&groups[i / PACK_GROUP], i % PACK_GROUP) != 0)
				i = (i + 1) & mask;
			pack_group *d = &groups[i / PACK_GROUP];
			d->second[i % PACK_GROUP] = g->second[j];
			d->tag[i % PACK_GROUP / 2] |= (guint8)(tag << (i % 2 * 4));
		}
	}
	ss_big_free(s->slots, slots_bytes(s->form, s->cap));
	s->slots = to->slots;
	s->cap = to->cap;
}

/* New slots: `cap` of them in `form`, holding the old members. */
static void rebuild(ss_ip_set *s, guint32 cap, guint8 form)
{
	ss_ip_set bigger = { ss_big_new0(1, slots_bytes(form, cap)), cap, 0, 0, form, 0 };
	if (form == s->form && (form == SS_IP_SET_PACKED || form == SS_IP_SET_PACKED6)) {
		regrow_packed(s, &bigger);
		return;
	}
	for (guint32 i = 0; i < s->cap; i++) {
		ss_ip m;
		guint32 v;
		if (wide_form(s->form)) {
			if (slot_wide(s, i, &m))
				put_wide(&bigger, &m, hash_wide(&m));   /* never back to 4 bytes */
			continue;
		}
		if (!slot_v4(s, i, &v))
			continue;
		if (wide_form(form)) {
			memset(&m, 0, sizeof m);
			memcpy(m.bytes, &v, sizeof v);
			put_wide(&bigger, &m, hash_wide(&m));
		} else {
			put_v4(&bigger, v, hash_v4(v));
		}
	}
	ss_big_free(s->slots, slots_bytes(s->form, s->cap));
	s->slots = bigger.slots;
	s->cap = cap;
	s->form = form;
}

/* Whether the first halves of a narrow or packed set's members and of v
 * number at most PACK_MAX_HALVES. */
static gboolean halves_fit(const ss_ip_set *s, guint32 v)
{
	if (s->form == SS_IP_SET_PACKED) {
		const pack_head *h = pack_head_of(s);
		return h->n < PACK_MAX_HALVES || half_tag(h, v) != 0;
	}
	guint16 seen[PACK_MAX_HALVES];
	guint n = 0;
	for (guint32 i = 0; i <= s->cap; i++) {
		guint32 m = v;
		if (i < s->cap && !slot_v4(s, i, &m))
			continue;
		guint k = 0;
		while (k < n && seen[k] != first_half(m))
			k++;
		if (k < n)
			continue;
		if (n == PACK_MAX_HALVES)
			return FALSE;
		seen[n++] = first_half(m);
	}
	return TRUE;
}

/* Whether the first 14 bytes of a wide or packed IPv6 set's members and
 * of ip number at most PACK_MAX_HALVES. */
static gboolean prefixes_fit(const ss_ip_set *s, const ss_ip *ip)
{
	if (s->form == SS_IP_SET_PACKED6) {
		const pack6_head *h = pack6_head_of(s);
		return h->n < PACK_MAX_HALVES || prefix_tag(h, ip) != 0;
	}
	pack6_head seen = { .n = 0 };
	for (guint32 i = 0; i <= s->cap; i++) {
		ss_ip m = *ip;
		if (i < s->cap && !slot_wide(s, i, &m))
			continue;
		if (prefix_tag(&seen, &m) != 0)
			continue;
		if (seen.n == PACK_MAX_HALVES)
			return FALSE;
		memcpy(seen.prefix[seen.n++], m.bytes, PACK6_PREFIX);
	}
	return TRUE;
}

/* TRUE when the IPv4-shaped v is a member of a narrow or packed set with
 * slots. */
static gboolean has_v4(const ss_ip_set *s, guint32 v, guint32 hash)
{
	if (s->form == SS_IP_SET_NARROW)
		return *probe_narrow(s, v, hash) != 0;
	guint tag = half_tag(pack_head_of(s), v);
	if (tag == 0)
		return FALSE;   /* no member has v's first half */
	guint32 i = probe_packed(s, hash, tag, second_half(v));
	return tag_at(&pack_groups(s)[i / PACK_GROUP], i % PACK_GROUP) != 0;
}

void ss_ip_set_prefetch(const ss_ip_set *s, const ss_ip *ip)
{
	if (s->cap == 0)
		return;
	guint32 v, mask = s->cap - 1;
	if (s->form == SS_IP_SET_WIDE)
		__builtin_prefetch(&((const ss_ip *)s->slots)[hash_wide(ip) & mask]);
	else if (s->form == SS_IP_SET_PACKED6)
		__builtin_prefetch(&pack_groups(s)[(hash_wide(ip) & mask) / PACK_GROUP]);
	else if (!narrow_of(ip, &v))
		return;
	else if (s->form == SS_IP_SET_NARROW)
		__builtin_prefetch(&((const guint32 *)s->slots)[hash_v4(v) & mask]);
	else
		__builtin_prefetch(&pack_groups(s)[(hash_v4(v) & mask) / PACK_GROUP]);
}

gboolean ss_ip_set_contains(const ss_ip_set *s, const ss_ip *ip)
{
	if (ip_is_zero(ip))
		return s->has_zero;
	if (s->cap == 0)
		return FALSE;
	guint32 v;
	if (wide_form(s->form))
		return has_wide(s, ip, hash_wide(ip));
	if (!narrow_of(ip, &v))
		return FALSE;   /* a narrow or packed set holds no such address */
	return has_v4(s, v, hash_v4(v));
}

/* Room for one more member, ip (v: its 4 bytes in a narrow or packed
 * set), whose first half a packed set lacks when `new_half`: the slots
 * doubled when the new member would fill more than 3/4 of them (the zero
 * address aside), in the packed form from PACK_FROM_CAP slots on while
 * the first halves fit, unpacked for good once they do not; or unpacked
 * at a packed set's 16th first half.  TRUE when the slots changed. */
static gboolean make_room(ss_ip_set *s, const ss_ip *ip, guint32 v, gboolean new_half)
{
	gboolean wide = wide_form(s->form);
	guint8 packed = wide ? SS_IP_SET_PACKED6 : SS_IP_SET_PACKED;
	guint8 plain = wide ? SS_IP_SET_WIDE : SS_IP_SET_NARROW;
	guint32 used = s->len - (s->has_zero ? 1 : 0);
	if ((guint64)(used + 1) * 4 > (guint64)s->cap * 3) {
		guint32 cap = s->cap ? s->cap * 2 : 8;
		guint8 form = s->form;
		if (cap >= PACK_FROM_CAP && !s->many_halves) {
			gboolean fits = wide ? prefixes_fit(s, ip) : halves_fit(s, v);
			form = fits ? packed : plain;
			s->many_halves = !fits;
		}
		rebuild(s, cap, form);
		return TRUE;
	}
	if (s->form == packed && new_half &&
	    !(wide ? prefixes_fit(s, ip) : halves_fit(s, v))) {
		s->many_halves = TRUE;   /* the 16th first half: unpacked for good */
		rebuild(s, s->cap, plain);
		return TRUE;
	}
	return FALSE;
}

/* Adds the IPv4-shaped ip, v its 4 bytes (not 0), to a narrow or packed
 * set.  The free slot the look-up ended on takes the new member, unless
 * the slots change first: one hash and one probe. */
static gboolean add_v4(ss_ip_set *s, const ss_ip *ip, guint32 v)
{
	guint32 hash = hash_v4(v);
	guint32 *narrow_slot = NULL;
	guint tag = 0;
	guint32 at = 0;
	if (s->cap) {
		if (s->form == SS_IP_SET_NARROW) {
			narrow_slot = probe_narrow(s, v, hash);
			if (*narrow_slot != 0)
				return FALSE;
		} else if ((tag = half_tag(pack_head_of(s), v)) != 0) {
			at = probe_packed(s, hash, tag, second_half(v));
			if (tag_at(&pack_groups(s)[at / PACK_GROUP], at % PACK_GROUP) != 0)
				return FALSE;
		}
	}
	if (make_room(s, ip, v, tag == 0) || (s->form == SS_IP_SET_PACKED && tag == 0))
		put_v4(s, v, hash);
	else if (narrow_slot)
		*narrow_slot = v;
	else
		put_packed_at(s, at, tag, v);
	s->len++;
	return TRUE;
}

/* Adds ip (not the zero address) to a wide or packed IPv6 set. */
static gboolean add_wide(ss_ip_set *s, const ss_ip *ip)
{
	guint32 hash = hash_wide(ip);
	if (s->cap && has_wide(s, ip, hash))
		return FALSE;
	make_room(s, ip, 0, s->form == SS_IP_SET_PACKED6 && prefix_tag(pack6_head_of(s), ip) == 0);
	put_wide(s, ip, hash);
	s->len++;
	return TRUE;
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
	if (!narrow && !wide_form(s->form)) {
		/* the first address that needs 16 bytes */
		if (s->cap > 0)
			rebuild(s, s->cap, SS_IP_SET_WIDE);
		else
			s->form = SS_IP_SET_WIDE;
	}
	return wide_form(s->form) ? add_wide(s, ip) : add_v4(s, ip, v);
}

gboolean ss_ip_set_any(const ss_ip_set *s, ss_ip *out)
{
	for (guint32 i = 0; i < s->cap; i++) {
		guint32 v;
		if (wide_form(s->form)) {
			if (slot_wide(s, i, out))
				return TRUE;
		} else if (slot_v4(s, i, &v)) {
			memset(out, 0, sizeof *out);
			memcpy(out->bytes, &v, sizeof v);
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
	dst->slots = src->cap ? ss_big_dup(src->slots, slots_bytes(src->form, src->cap)) : NULL;
}
