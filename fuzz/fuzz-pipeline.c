/* libFuzzer harness: the whole pipeline on the bytes of a capture file.
 *
 * The input is opened in memory (fmemopen, no temp file) through
 * ss_file_source_open_stream() -- sockscope's capture-file reader (src/io/capfile.c) -- up to
 * FUZZ_MAX_PACKETS packets go through the analyzer, and the report is
 * rendered in every format into memory.
 *
 * Built by fuzz/meson.build (-Dfuzz=true, clang); run by scripts/fuzz.sh. */
#include <stdint.h>
#include <string.h>

#include "sockscope/source.h"
#include "fuzz-common.h"

#define FUZZ_MAX_PACKETS 2000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ss_services_use_system(FALSE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;   /* fmemopen() of 0 bytes is EINVAL on older glibc */
	FILE *fp = fmemopen((void *)data, size, "rb");
	FUZZ_CHECK(fp != NULL);

	GError *error = NULL;
	ss_file_source *src = ss_file_source_open_stream(fp, "fuzz.pcap", NULL, &error);
	if (!src) {
		FUZZ_CHECK(error != NULL && error->code == SS_ERROR_INPUT);
		g_error_free(error);
		fclose(fp);
		return 0;
	}
	FUZZ_CHECK(error == NULL);

	ss_analyzer *a = fuzz_analyzer_new();
	guint64 budget = FUZZ_MAX_PACKETS;
	if (!ss_file_source_read(src, a, &budget, &error)) {
		FUZZ_CHECK(error != NULL && error->code == SS_ERROR_DAMAGED);
		g_clear_error(&error);
	}
	FUZZ_CHECK(error == NULL);
	ss_file_source_close(src);   /* closes fp */

	ss_report *rep = ss_analyzer_finish(a);
	ss_report_complete(rep, TRUE);
	ss_analyzer_free(a);
	FUZZ_CHECK(rep->summary.packets == FUZZ_MAX_PACKETS - budget);
	fuzz_check_summary(&rep->summary);
	/* Every format this build knows (names it does not know are skipped,
	 * so renderers added later are fuzzed as soon as they parse). */
	static const char *const formats[] = { "text", "jsonl", "json", "csv", "zeek",
					       "zeek-json", "ecs" };
	for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
		ss_format f;
		if (ss_format_parse(formats[i], &f))
			fuzz_render(rep, f);
	}
	ss_report_free(rep);
	return 0;
}
