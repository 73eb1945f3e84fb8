/* The --progress line (src/progress.c): its text for known inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sockscope/progress.h"

static void check(guint64 done, guint64 total, gint64 elapsed_us, guint width, const char *want)
{
	GString *b = g_string_new(NULL);
	ss_progress_format(b, done, total, elapsed_us, width);
	assert_string_equal(b->str, want);
	assert_true(width == 0 || b->len <= width);
	g_string_free(b, TRUE);
}

static void test_format(void **state)
{
	(void)state;
	/* 450 MB of 1 GB in 5 s: 90 MB/s, 550 MB left = 6.1 s -> 0:06. */
	check(450000000, 1000000000, 5 * G_USEC_PER_SEC, 80,
	      "[#############.................]   45%  450.0 MB of 1.00 GB"
	      "  90.0 MB/s  ETA 0:06");
	/* Wide: at most 40 cells; narrow: a shorter bar; too narrow: no bar,
	 * then cut. */
	check(450000000, 1000000000, 5 * G_USEC_PER_SEC, 200,
	      "[##################......................]   45%  450.0 MB of 1.00 GB"
	      "  90.0 MB/s  ETA 0:06");
	check(450000000, 1000000000, 5 * G_USEC_PER_SEC, 60,
	      "[####......]   45%  450.0 MB of 1.00 GB  90.0 MB/s  ETA 0:06");
	check(450000000, 1000000000, 5 * G_USEC_PER_SEC, 50,
	      " 45%  450.0 MB of 1.00 GB  90.0 MB/s  ETA 0:06");
	check(450000000, 1000000000, 5 * G_USEC_PER_SEC, 20, " 45%  450.0 MB of 1.");
	/* Hours in the ETA; width 0: no bar, no limit. */
	check(1000000, 10000000000, 1 * G_USEC_PER_SEC, 0,
	      "  0%  1.0 MB of 10.00 GB  1.0 MB/s  ETA 2:46:39");
	/* Too early for a speed. */
	check(0, 2000000, 1000, 0, "  0%  0.0 MB of 2.0 MB  ETA -:--");
	/* Unknown size (standard input). */
	check(123400000, 0, 2 * G_USEC_PER_SEC, 80, "123.4 MB read  61.7 MB/s");
	/* Done, and a file that grew while being read. */
	check(3000000, 2000000, G_USEC_PER_SEC, 0, "100%  2.0 MB of 2.0 MB  2.0 MB/s  ETA 0:00");
}

/* Drawing and clearing: carriage returns and spaces only, the line erased
 * at the end. */
static void test_draw_clear(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ss_progress *p = ss_progress_new(f, 1000000, 40);
	ss_progress_draw(p, 500000);
	ss_progress_draw(p, 600000);
	ss_progress_free(p);
	fclose(f);
	assert_true(len > 0 && buf[0] == '\r' && buf[len - 1] == '\r');
	assert_null(strchr(buf, '\033'));
	assert_null(strchr(buf, '\n'));
	/* The last thing written before the final \r is blanks over the line. */
	size_t i = len - 1;
	while (i > 0 && buf[i - 1] == ' ')
		i--;
	assert_true(buf[i - 1] == '\r');
	assert_true(len - 1 - i >= 30);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_draw_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
