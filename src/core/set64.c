/* The inline set of 64-bit numbers (sockscope/set64.h): its slow paths. */
#include "sockscope/set64.h"
#include "sockscope/bigarray.h"

void ss_set64_clear(ss_set64 *s)
{
	ss_big_free(s->slots, (gsize)s->cap * sizeof *s->slots);
	*s = (ss_set64){ 0 };
}

void ss_set64_grow_(ss_set64 *s)
{
	ss_set64 bigger = { NULL, s->cap ? s->cap * 2 : 16, s->len };
	bigger.slots = ss_big_new0(bigger.cap, sizeof *bigger.slots);
	for (guint32 i = 0; i < s->cap; i++)
		if (s->slots[i] != 0)
			*ss_set64_probe_(&bigger, s->slots[i]) = s->slots[i];
	ss_big_free(s->slots, (gsize)s->cap * sizeof *s->slots);
	*s = bigger;
}
