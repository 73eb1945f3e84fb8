/* libFuzzer harness: the whole pipeline on the bytes of a capture file.
 *
 * The input is opened in memory (fmemopen, no temp file) through
 * ss_file_source_open_stream() -- sockscope's capture-file reader
 * (src/io/capfile.c) -- up to FUZZ_MAX_PACKETS packets go through the
 * analyzer, and the report is rendered in every format into memory, the
 * --interval view too.
 *
 * The input's last byte chooses the paths a run takes besides (the bytes
 * stay part of the capture, so every seed file is a valid input and a
 * mutation of its end explores another combination):
 *   bit 0  streaming: records leave the table as they end, through a sink
 *          that does what the jsonl sink does (app/stream-sink.c)
 *   bit 1  with streaming, the report and writer threads (analyzer.h)
 *   bit 2  --anonymize (each streamed record, then the report)
 *   bit 3  a flow cap of 1-16 records (byte size-2): eviction, the
 *          folding of failed attempts into listeners
 *   bit 4  two inputs merged by packet time (the same bytes twice)
 *   bit 5  IPFIX: every record through the encoder (streamed ones as they
 *          end, the others from the report), each message checked
 *   bit 6  with IPFIX, the TCP form (one session, templates once) and
 *          small messages instead of UDP's
 *
 * Built by fuzz/meson.build (-Dfuzz=true, clang); run by scripts/fuzz.sh. */
#include <stdint.h>
#include <string.h>

#include "sockscope/anonymize.h"
#include "sockscope/export-ipfix.h"
#include "sockscope/findings.h"
#include "sockscope/live-view.h"
#include "sockscope/source.h"
#include "fuzz-common.h"

#define FUZZ_MAX_PACKETS 2000

enum {
	SEL_STREAM = 1 << 0,
	SEL_THREADS = 1 << 1,
	SEL_ANON = 1 << 2,
	SEL_FLOW_CAP = 1 << 3,
	SEL_MERGE = 1 << 4,
	SEL_IPFIX = 1 << 5,
	SEL_IPFIX_TCP = 1 << 6,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ss_services_use_system(FALSE);
	return 0;
}

/* An IPFIX message as the encoder must send it: version 10, the length
 * field equal to the bytes sent, a whole header at least. */
static gboolean ipfix_send(const guint8 *msg, gsize len, gpointer data, GError **error)
{
	(void)error;
	guint64 *messages = data;
	FUZZ_CHECK(len >= 16 && len <= 65535);
	FUZZ_CHECK(msg[0] == 0 && msg[1] == 10);
	FUZZ_CHECK(((gsize)msg[2] << 8 | msg[3]) == len);
	(*messages)++;
	return TRUE;
}

typedef struct {
	ss_anonymizer *anon;
	ss_findings_acc *findings;
	ss_ipfix_encoder *ipfix;
	GString *line;
	guint64 records;
} fuzz_sink;

/* What app/stream-sink.c does with a record, into memory. */
static void sink_write(const ss_conn *c, gpointer data)
{
	fuzz_sink *s = data;
	ss_conn copy;
	if (s->anon) {
		ss_conn_copy(&copy, c);   /* as long as c is: never `*c` (conn.h) */
		ss_anonymize_conn(s->anon, &copy);
		c = &copy;
	}
	ss_findings_acc_add(s->findings, c);
	g_string_truncate(s->line, 0);
	ss_json_conn(s->line, c, TRUE);
	FUZZ_CHECK(s->line->len > 0 && s->line->str[s->line->len - 1] == '\n');
	FUZZ_CHECK(memchr(s->line->str, '\n', s->line->len) == s->line->str + s->line->len - 1);
	if (s->ipfix)
		FUZZ_CHECK(ss_ipfix_encoder_add(s->ipfix, c, NULL));
	s->records++;
}

static ss_file_source *open_input(const uint8_t *data, size_t size, const char *name)
{
	FILE *fp = fmemopen((void *)data, size, "rb");
	FUZZ_CHECK(fp != NULL);
	GError *error = NULL;
	ss_file_source *src = ss_file_source_open_stream(fp, name, NULL, &error);
	if (!src) {
		FUZZ_CHECK(error != NULL && error->code == SS_ERROR_INPUT);
		g_error_free(error);
		fclose(fp);
		return NULL;
	}
	FUZZ_CHECK(error == NULL);
	return src;
}

/* The --interval view of the finished report, into memory. */
static void fuzz_live_view(const ss_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	FUZZ_CHECK(out != NULL);
	ss_live_view *v = ss_live_view_new(out);
	ss_live_stats stats = { TRUE, r->summary.packets, 0, 0 };
	ss_live_view_refresh(v, r, 1, "fuzz0", &stats);
	ss_live_view_free(v);
	FUZZ_CHECK(fclose(out) == 0);
	FUZZ_CHECK(len > 0 && memchr(buf, '\0', len) == NULL);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;   /* fmemopen() of 0 bytes is EINVAL on older glibc */
	guint8 sel = data[size - 1];
	guint n_inputs = sel & SEL_MERGE ? 2 : 1;

	ss_file_source *srcs[2];
	for (guint i = 0; i < n_inputs; i++) {
		srcs[i] = open_input(data, size, i == 0 ? "fuzz.pcap" : "fuzz-2.pcap");
		if (srcs[i] == NULL) {
			/* both inputs are the same bytes: both open or neither */
			FUZZ_CHECK(i == 0);
			return 0;
		}
	}

	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.hash_seed = 0x5eed5eed5eed5eedULL;   /* a crash replays */
	if (sel & SEL_FLOW_CAP)
		cfg.max_flows = 1 + (size >= 2 ? data[size - 2] % 16 : 0);

	static const guint8 key[32] = { 's', 'o', 'c', 'k', 's', 'c', 'o', 'p', 'e' };
	guint64 ipfix_messages = 0;
	fuzz_sink sink = { 0 };
	sink.line = g_string_new(NULL);
	if (sel & SEL_ANON)
		sink.anon = ss_anonymizer_new(key, sizeof key);
	if (sel & SEL_IPFIX) {
		ss_ipfix_config icfg;
		ss_ipfix_config_init(&icfg, sel & SEL_IPFIX_TCP ? SS_IPFIX_TCP : SS_IPFIX_UDP);
		if (sel & SEL_IPFIX_TCP)
			icfg.max_message = 512;
		sink.ipfix = ss_ipfix_encoder_new(&icfg, ipfix_send, &ipfix_messages);
	}
	if (sel & SEL_STREAM) {
		sink.findings = ss_findings_acc_new();
		cfg.sink = sink_write;
		cfg.sink_data = &sink;
		cfg.report_thread = (sel & SEL_THREADS) != 0;
	}

	ss_analyzer *a = ss_analyzer_new(&cfg);
	guint64 budget = FUZZ_MAX_PACKETS;
	GError *error = NULL;
	if (!ss_file_sources_read(srcs, n_inputs, a, &budget, NULL, &error)) {
		FUZZ_CHECK(error != NULL && error->code == SS_ERROR_DAMAGED);
		g_clear_error(&error);
	}
	FUZZ_CHECK(error == NULL);
	for (guint i = 0; i < n_inputs; i++)
		ss_file_source_close(srcs[i]);   /* closes the FILE */

	ss_report *rep = ss_analyzer_finish(a);
	ss_analyzer_free(a);
	FUZZ_CHECK(rep->summary.packets == FUZZ_MAX_PACKETS - budget);
	/* a pcapng file is one input per interface it declares */
	FUZZ_CHECK(rep->summary.inputs->len >= n_inputs);
	fuzz_check_summary(&rep->summary);
	if (cfg.max_flows > 0)
		FUZZ_CHECK(rep->summary.max_flows_tracked <= cfg.max_flows);
	/* As app/run.c orders it: anonymize, then the findings. */
	if (sink.anon)
		ss_anonymize_report(sink.anon, rep, TRUE);
	if (sink.findings)
		rep->findings = ss_findings_acc_finish(sink.findings, rep);
	else
		FUZZ_CHECK(sink.records == 0);
	ss_report_complete(rep, TRUE);
	if (sink.ipfix) {
		for (guint i = 0; !(sel & SEL_STREAM) && i < rep->conns->len; i++)
			FUZZ_CHECK(ss_ipfix_encoder_add(sink.ipfix, g_ptr_array_index(rep->conns, i),
							NULL));
		FUZZ_CHECK(ss_ipfix_encoder_flush(sink.ipfix, NULL));
		if (ss_ipfix_encoder_records(sink.ipfix) > 0)
			FUZZ_CHECK(ipfix_messages > 0);
		ss_ipfix_encoder_free(sink.ipfix);
	}

	/* Every format this build knows (names it does not know are skipped,
	 * so renderers added later are fuzzed as soon as they parse). */
	static const char *const formats[] = { "text", "jsonl", "json", "csv", "zeek",
					       "zeek-json", "ecs", "markdown", "html", "dot" };
	for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
		ss_format f;
		FUZZ_CHECK(ss_format_parse(formats[i], &f));
		fuzz_render(rep, f);
	}
	fuzz_live_view(rep);
	ss_report_free(rep);
	ss_anonymizer_free(sink.anon);
	g_string_free(sink.line, TRUE);
	return 0;
}
