/* The jsonl streaming sink (app/stream-sink.c) on the analyzer's threads:
 * at the capture's end the writer's batches have their lines formatted on
 * the line helper, and the bytes are those of one thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scenario.h"
#include "../../src/app/stream-sink.h"
#include "sockscope/util.h"

enum { SYN = SS_TCP_SYN, ACK = SS_TCP_ACK, FIN = SS_TCP_FIN };

/* Streams a capture whose records end partly before the capture's end
 * (closed, written while packets come) and mostly with it (more than two
 * of the writer's batches), with the findings, into a file; returns what
 * was written and the sink's count of batches formatted apart. */
static GString *stream_run(gboolean threaded, guint *apart)
{
	ss_services_use_system(FALSE);
	FILE *f = tmpfile();
	assert_non_null(f);
	static char iobuf[1 << 20];
	setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
	ss_stream_sink sink;
	ss_stream_sink_init(&sink, f);
	sink.flush_at = sizeof iobuf;
	sink.findings = ss_findings_acc_new();
	sink.findings_threaded = threaded;
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.sink = ss_stream_sink_write;
	cfg.sink_ahead = ss_stream_sink_ahead;
	cfg.sink_done = ss_stream_sink_done;
	cfg.sink_batch = ss_stream_sink_batch;
	cfg.sink_batch_end = ss_stream_sink_batch_end;
	cfg.sink_data = &sink;
	cfg.max_flows = 0;
	cfg.report_thread = threaded;
	ss_analyzer *a = ss_analyzer_new(&cfg);
	for (guint i = 0; i < 3000; i++) {
		sc_flow fl = sc_flow_make(IPPROTO_TCP, sc_ip4(10, 0, (guint8)(i >> 8), (guint8)i),
					  (guint16)(30000 + i), sc_ip4(10, 1, 0, (guint8)(1 + i % 7)),
					  (guint16)(80 + i % 3));
		gint64 t = 5 * (gint64)i;
		sc_tcp(a, &fl, SC_CLIENT, t, SYN, 100, 0);
		sc_tcp(a, &fl, SC_SERVER, t + 1 + i % 5, SYN | ACK, 900, 0);
		sc_tcp(a, &fl, SC_CLIENT, t + 2 + i % 5, ACK, 101, 0);
		if (i % 10 == 0) {   /* closed, written long before the end */
			sc_tcp(a, &fl, SC_CLIENT, t + 3 + i % 5, FIN | ACK, 101, 0);
			sc_tcp(a, &fl, SC_SERVER, t + 4 + i % 5, FIN | ACK, 901, 0);
		}
	}
	ss_report *r = ss_analyzer_finish(a);
	ss_analyzer_free(a);
	GPtrArray *findings = ss_stream_sink_findings(&sink, r);
	*apart = sink.lines_batches;
	g_ptr_array_unref(findings);
	ss_report_free(r);
	ss_stream_sink_clear(&sink);
	assert_int_equal(fflush(f), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	GString *out = g_string_sized_new((gsize)n);
	g_string_set_size(out, (gsize)n);
	assert_int_equal(fread(out->str, 1, (gsize)n, f), (size_t)n);
	fclose(f);
	return out;
}

static void test_capture_end_lines_apart(void **state)
{
	(void)state;
	guint apart_one, apart_threaded;
	GString *one = stream_run(FALSE, &apart_one);
	GString *threaded = stream_run(TRUE, &apart_threaded);
	assert_int_equal(apart_one, 0);
	/* 2 700 records end with the capture: the report thread hands them
	 * on in batches of up to 1 024, of which those of 64 and more are
	 * formatted apart */
	assert_true(apart_threaded >= 2);
	assert_int_equal(threaded->len, one->len);
	assert_memory_equal(threaded->str, one->str, one->len);
	g_string_free(one, TRUE);
	g_string_free(threaded, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_end_lines_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
