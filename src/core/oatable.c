/* The inline-key open-addressing table (sockscope/oatable.h): its slow
 * paths, growing, filtering and copying, out of line; finding and
 * inserting are inline in the header. */
#include "sockscope/oatable.h"
#include "sockscope/bigarray.h"

void ss_oatable_init(ss_oatable *t, gsize esize, gsize ksize)
{
	g_return_if_fail(ksize > 0 && ksize <= esize && esize <= G_MAXUINT32);
	*t = (ss_oatable){ .esize = (guint32)esize, .ksize = (guint32)ksize };
}

void ss_oatable_clear(ss_oatable *t)
{
	ss_big_free(t->slots, (gsize)t->cap * sizeof *t->slots);
	ss_big_free(t->entries, (gsize)t->ecap * t->esize);
	t->slots = NULL;
	t->entries = NULL;
	t->cap = t->len = t->ecap = 0;
}

void ss_oatable_drop_index(ss_oatable *t)
{
	ss_big_free(t->slots, (gsize)t->cap * sizeof *t->slots);
	t->slots = NULL;
	t->cap = 0;
}

/* A fresh index of new_cap slots over the entries.  The home slot comes
 * from the stored tag: no key is hashed again. */
static void reindex(ss_oatable *t, guint32 new_cap)
{
	ss_oa_slot *slots = ss_big_new0(new_cap, sizeof *slots);
	guint32 mask = new_cap - 1;
	for (guint32 i = 0; i < t->cap; i++) {
		ss_oa_slot s = t->slots[i];
		if (s.tag == 0)
			continue;
		guint32 j = s.tag & mask;
		while (slots[j].tag != 0)
			j = (j + 1) & mask;
		slots[j] = s;
	}
	ss_big_free(t->slots, (gsize)t->cap * sizeof *t->slots);
	t->slots = slots;
	t->cap = new_cap;
}

void ss_oatable_grow_(ss_oatable *t)
{
	if ((guint64)(t->len + 1) * 4 > (guint64)t->cap * 3)
		reindex(t, t->cap ? t->cap * 2 : 16);
	if (t->len == t->ecap) {
		/* 1.5x: the entries are most of the memory; a large array
		 * grows by mremap, moving no bytes (sockscope/bigarray.h). */
		guint32 ecap = t->ecap ? t->ecap + t->ecap / 2 : 8;
		t->entries = ss_big_resize(t->entries, (gsize)t->ecap * t->esize,
					   (gsize)ecap * t->esize);
		t->ecap = ecap;
	}
}

guint32 ss_oatable_filter(ss_oatable *t, gboolean (*keep)(const void *entry, void *data),
			  void *data)
{
	/* Compact the kept entries in order, then index them again: each
	 * slot's idx is updated through the old-to-new map. */
	guint32 *moved = g_new(guint32, t->len ? t->len : 1);
	guint32 kept = 0;
	for (guint32 i = 0; i < t->len; i++) {
		guint8 *e = t->entries + (gsize)i * t->esize;
		if (!keep(e, data)) {
			moved[i] = G_MAXUINT32;
			continue;
		}
		if (kept != i)
			memcpy(t->entries + (gsize)kept * t->esize, e, t->esize);
		moved[i] = kept++;
	}
	guint32 removed = t->len - kept;
	for (guint32 i = 0; i < t->cap; i++) {
		ss_oa_slot *s = &t->slots[i];
		if (s->tag == 0)
			continue;
		if (moved[s->idx] == G_MAXUINT32)
			s->tag = 0;   /* dropped: reindex() below closes the gaps */
		else
			s->idx = moved[s->idx];
	}
	g_free(moved);
	t->len = kept;
	if (removed > 0 && t->cap > 0)
		reindex(t, t->cap);
	return removed;
}

void ss_oatable_copy(ss_oatable *dst, const ss_oatable *src)
{
	*dst = *src;
	dst->slots = src->cap ? ss_big_dup(src->slots, (gsize)src->cap * sizeof *src->slots) : NULL;
	dst->entries = src->ecap ? ss_big_dup(src->entries, (gsize)src->ecap * src->esize) : NULL;
}
