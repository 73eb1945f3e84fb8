/* The inline set of 64-bit numbers (sockscope/set64.h): its slow paths. */
#include "sockscope/set64.h"

void ss_set64_clear(ss_set64 *s)
{
	g_free(s->slots);
	*s = (ss_set64){ 0 };
}

void ss_set64_grow_(ss_set64 *s)
{
	ss_set64 bigger = { NULL, s->cap ? s->cap * 2 : 16, s->len };
	bigger.slots = g_new0(guint64, bigger.cap);
	for (guint32 i = 0; i < s->cap; i++)
		if (s->slots[i] != 0)
			*ss_set64_probe_(&bigger, s->slots[i]) = s->slots[i];
	g_free(s->slots);
	*s = bigger;
}
