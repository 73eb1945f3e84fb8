/* The process's malloc heap (core/heap.c): one arena for every thread,
 * its heap reserved ahead and advised for huge pages, and one arena alone
 * under an address-space limit.  A test program of its own: the set-up
 * is process-wide and once only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include "sockscope/heap.h"

/* Where malloc is not glibc's (the sanitizers', valgrind's), the set-up
 * must leave it alone: the same conditions as core/heap.c, stated again
 * here so that a change there is a failure here. */
static gboolean foreign_allocator(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return TRUE;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
	__has_feature(thread_sanitizer)
	return TRUE;
#endif
#endif
#ifdef HAVE_VALGRIND_H
	if (RUNNING_ON_VALGRIND)
		return TRUE;
#endif
	return FALSE;
}

/* In a child: under `ulimit -v` the heap gets one arena and no pad, which
 * would count against the limit. */
static void test_heap_under_address_limit(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)8 << 30, (rlim_t)8 << 30 };
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(100);
		ss_heap_mode mode = ss_heap_prepare();
		_exit(ss_heap_advised(NULL) ? 101 : (int)mode);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	int want = foreign_allocator() ? SS_HEAP_DEFAULT : SS_HEAP_ONE_ARENA;
	assert_int_equal(WEXITSTATUS(status), want);
}

/* The [start, end) of the mapping that holds `p`, and whether its
 * VmFlags say "hg" (MADV_HUGEPAGE), from /proc/self/smaps. */
static gboolean mapping_of(const void *p, uintptr_t *start, uintptr_t *end, gboolean *huge)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return FALSE;
	char line[512];
	gboolean inside = FALSE, found = FALSE;
	while (fgets(line, sizeof line, f)) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			if (found)
				break;
			inside = (uintptr_t)p >= a && (uintptr_t)p < b;
			if (inside) {
				*start = a, *end = b;
				*huge = FALSE;
				found = TRUE;
			}
		} else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			*huge = strstr(line, " hg") != NULL;
		}
	}
	fclose(f);
	return found;
}

#define THREADS 4
#define BLOCKS 32

typedef struct {
	void *block[BLOCKS];
} thread_blocks;

static gpointer allocate_on_thread(gpointer data)
{
	thread_blocks *t = data;
	/* Small ones (tcache and the arena's bins) and one of 256 KiB,
	 * above glibc's default mmap threshold (128 KiB) and below ours. */
	for (int i = 0; i < BLOCKS - 1; i++)
		t->block[i] = g_malloc(64 + 512 * (gsize)i);
	t->block[BLOCKS - 1] = g_malloc(256 << 10);
	return NULL;
}

static void test_heap_one_huge_arena(void **state)
{
	(void)state;
	ss_heap_mode mode = ss_heap_prepare();
	if (foreign_allocator()) {
		assert_int_equal(mode, SS_HEAP_DEFAULT);
		assert_int_equal(ss_heap_advised(NULL), 0);
		return;
	}
	assert_int_equal(mode, SS_HEAP_HUGE);
	/* Once only: a second call changes nothing and says the same. */
	uintptr_t from = 0, again = 0;
	gsize advised = ss_heap_advised(&from);
	assert_int_equal(ss_heap_prepare(), mode);
	assert_int_equal(ss_heap_advised(&again), advised);
	assert_true(again == from);
	assert_true(advised >= (gsize)200 << 20);

	/* The reserved part of the heap is one mapping advised for huge
	 * pages, up to the heap's end, less than a huge page. */
	char *heap_end = sbrk(0);
	uintptr_t start = 0, end = 0;
	gboolean huge = FALSE;
	assert_true(mapping_of((void *)from, &start, &end, &huge));
	assert_true(huge);
	assert_true(start == from && end - start == advised);
	assert_true((uintptr_t)heap_end - end < ((uintptr_t)2 << 20));
	/* The heap's first part, below it, is where blocks came from before. */
	uintptr_t first = 0;
	assert_true(mapping_of((void *)(from - 1), &first, &end, &huge));
	assert_false(huge);
	assert_true(end == from);
	start = first;
	end = (uintptr_t)heap_end;

	/* Every thread's blocks come from that heap, none from an arena of
	 * its own (glibc's default: a 64 MiB-aligned mapping per thread) nor,
	 * up to 32 MiB, from a mapping of its own. */
	thread_blocks blocks[THREADS];
	GThread *thread[THREADS];
	for (int i = 0; i < THREADS; i++)
		thread[i] = g_thread_new("heap-test", allocate_on_thread, &blocks[i]);
	for (int i = 0; i < THREADS; i++)
		g_thread_join(thread[i]);
	for (int i = 0; i < THREADS; i++) {
		for (int j = 0; j < BLOCKS; j++) {
			uintptr_t p = (uintptr_t)blocks[i].block[j];
			if (p < start || p >= end)
				fail_msg("thread %d block %d at %#lx, not in the heap %#lx-%#lx", i, j,
					 (unsigned long)p, (unsigned long)start, (unsigned long)end);
			g_free(blocks[i].block[j]);
		}
	}
	/* Freeing did not give the pad back: the heap still reaches as far. */
	assert_true((char *)sbrk(0) >= heap_end);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: the child must fork from a process not yet set up */
		cmocka_unit_test(test_heap_under_address_limit),
		cmocka_unit_test(test_heap_one_huge_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
