/* The tombstones' index of ring positions (flow/ring-index.h): growing and
 * deleting, which need each slot's home only, and that from its own bits. */
#include "flow/ring-index.h"

void ss_ring_index_grow(ss_ring_index *t)
{
	gsize old_cap = t->mask + 1;
	guint64 *old = t->slots;
	gsize cap = old_cap * 2;
	t->slots = ss_big_new0(cap, sizeof(guint64));
	t->mask = cap - 1;
	for (gsize i = 0; i < old_cap; i++) {
		if (!old[i])
			continue;
		gsize j = ss_ring_index_home(t, old[i]);
		while (t->slots[j])
			j = (j + 1) & t->mask;
		t->slots[j] = old[i];
	}
	ss_big_free(old, old_cap * sizeof(guint64));
}

void ss_ring_index_remove_at(ss_ring_index *t, gsize i)
{
	/* Backward-shift deletion, as ss_flow_table's remove_at. */
	gsize hole = i;
	gsize j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		guint64 s = t->slots[j];
		if (!s)
			break;
		gsize home = ss_ring_index_home(t, s);
		gboolean home_in_range = hole <= j ? (home > hole && home <= j)
						   : (home > hole || home <= j);
		if (home_in_range)
			continue;
		t->slots[hole] = s;
		hole = j;
	}
	t->slots[hole] = 0;
	t->size--;
}
