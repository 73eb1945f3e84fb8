/* Shared helpers for the libFuzzer harnesses (see docs/hardening.md).
 *
 * Invariant failures call abort() so that libFuzzer records the input as a
 * crash, exactly like a sanitizer report. */
#ifndef SOCKSCOPE_FUZZ_COMMON_H
#define SOCKSCOPE_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockscope/analyzer.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/util.h"

#define FUZZ_CHECK(cond)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                              \
			abort();                                                  \
		}                                                                 \
	} while (0)

/* A deterministic analyzer: a fixed hash seed, so that a crash replays. */
static inline ss_analyzer *fuzz_analyzer_new(void)
{
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.hash_seed = 0x5eed5eed5eed5eedULL;
	return ss_analyzer_new(&cfg);
}

/* Renders the report in one format into memory and checks the bytes look
 * like that format (non-empty; jsonl ends in a newline). */
static inline void fuzz_render(const ss_report *r, ss_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	FUZZ_CHECK(out != NULL);
	ss_render_options opt = { 0 };
	opt.width = f == SS_FORMAT_TEXT ? 80 : 0;
	gboolean ok = ss_render(r, f, &opt, out);
	FUZZ_CHECK(fclose(out) == 0);
	FUZZ_CHECK(ok);
	/* text, jsonl, json, csv, zeek and the reports for people always
	 * write something (a summary, a header); zeek-json and ecs write one
	 * document per connection, so nothing at all for an empty capture. */
	if (f != SS_FORMAT_ZEEK_JSON && f != SS_FORMAT_ECS)
		FUZZ_CHECK(len > 0);
	/* Every byte of the report is text: no NUL smuggled in from packets. */
	FUZZ_CHECK(len == 0 || memchr(buf, '\0', len) == NULL);
	if (len > 0 && (f == SS_FORMAT_JSONL || f == SS_FORMAT_JSON || f == SS_FORMAT_CSV))
		FUZZ_CHECK(buf[len - 1] == '\n');
	/* the documents are whole: nothing cut off at the end */
	if (f == SS_FORMAT_HTML)
		FUZZ_CHECK(len >= 8 && memcmp(buf + len - 8, "</html>\n", 8) == 0);
	if (f == SS_FORMAT_DOT)
		FUZZ_CHECK(len >= 2 && memcmp(buf + len - 2, "}\n", 2) == 0);
	free(buf);
}

/* Summary counters must agree with each other whatever the input. */
static inline void fuzz_check_summary(const ss_summary *s)
{
	guint64 sum = 0;
	for (int i = 0; i < SS_REASON_COUNT; i++)
		sum += s->reasons[i];
	/* Each A-MSDU subframe is counted as a packet in place of its frame. */
	FUZZ_CHECK(s->amsdu_subframes >= s->amsdu_frames);
	FUZZ_CHECK(sum == s->packets - s->amsdu_frames + s->amsdu_subframes);
	FUZZ_CHECK(s->reasons[SS_REASON_OK] <= s->decoded);
	FUZZ_CHECK(s->captured_bytes <= G_MAXUINT64);
	if (s->packets > 0)
		FUZZ_CHECK(s->first_ns <= s->last_ns);
}

#endif
