/* The per-process key of ss_hash_bytes() (sockscope/hash.h): kept apart from
 * the inline hash so that the key is chosen once, lazily, and thread-safely. */
#include "sockscope/hash.h"

static guint64 hash_key[2];

const guint64 *ss_hash_key(void)
{
	static gsize done;
	if (g_once_init_enter(&done)) {
		for (int i = 0; i < 2; i++)
			hash_key[i] = ((guint64)g_random_int() << 32) | g_random_int();
		g_once_init_leave(&done, 1);
	}
	return hash_key;
}
