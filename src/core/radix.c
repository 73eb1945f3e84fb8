/* The radix sort of (a, b, pointer) items (sockscope/radix.h). */
#include "sockscope/radix.h"

#include <string.h>

/* One counting pass of byte `shift / 8` of a (or b): count[] holds the
 * byte's histogram; stable scatter from src to dst. */
static void scatter(const ss_radix_item *src, ss_radix_item *dst, gsize n, gboolean of_a,
		    guint shift, const gsize count[256])
{
	gsize pos[256];
	gsize sum = 0;
	for (guint i = 0; i < 256; i++) {
		pos[i] = sum;
		sum += count[i];
	}
	for (gsize i = 0; i < n; i++) {
		guint8 byte = (guint8)((of_a ? src[i].a : src[i].b) >> shift);
		dst[pos[byte]++] = src[i];
	}
}

void ss_radix_sort(ss_radix_item *v, gsize n, ss_radix_item *tmp)
{
	if (n < 2)
		return;
	/* All sixteen histograms in one read of the items: count[0..7] the
	 * bytes of b (least significant first), count[8..15] those of a. */
	gsize(*count)[256] = g_malloc0(16 * sizeof *count);
	for (gsize i = 0; i < n; i++) {
		guint64 a = v[i].a, b = v[i].b;
		for (guint k = 0; k < 8; k++) {
			count[k][(b >> (8 * k)) & 0xff]++;
			count[8 + k][(a >> (8 * k)) & 0xff]++;
		}
	}
	ss_radix_item *src = v, *dst = tmp;
	for (guint k = 0; k < 16; k++) {
		/* A byte every item shares moves nothing: skip its pass. */
		guint8 first = (guint8)((k < 8 ? v[0].b : v[0].a) >> (8 * (k % 8)));
		if (count[k][first] == n)
			continue;
		scatter(src, dst, n, k >= 8, 8 * (k % 8), count[k]);
		ss_radix_item *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	g_free(count);
}

/* ss_radix_sort()'s passes over one key: the eight histograms in one read,
 * a byte every item shares skipped. */
void ss_radix_sort_pairs(ss_radix_pair *v, gsize n, ss_radix_pair *tmp)
{
	if (n < 2)
		return;
	gsize(*count)[256] = g_malloc0(8 * sizeof *count);
	for (gsize i = 0; i < n; i++)
		for (guint k = 0; k < 8; k++)
			count[k][(v[i].key >> (8 * k)) & 0xff]++;
	ss_radix_pair *src = v, *dst = tmp;
	for (guint k = 0; k < 8; k++) {
		if (count[k][(guint8)(v[0].key >> (8 * k))] == n)
			continue;
		gsize pos[256];
		gsize sum = 0;
		for (guint i = 0; i < 256; i++) {
			pos[i] = sum;
			sum += count[k][i];
		}
		for (gsize i = 0; i < n; i++)
			dst[pos[(guint8)(src[i].key >> (8 * k))]++] = src[i];
		ss_radix_pair *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	g_free(count);
}
