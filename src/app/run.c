/* One run (run.h): open the inputs, the report file and the collector,
 * configure the analyzer, read the capture or the files, finish,
 * anonymize, export, render, and merge what went wrong into one exit
 * status.  Every failure returns through ss_app_run() with what it opened
 * closed; main() prints the one error line. */
#include "config.h"
#include "run.h"

#include "output.h"
#include "stream-sink.h"

#include "sockscope/anonymize.h"
#include "sockscope/export-ipfix.h"
#include "sockscope/findings.h"
#include "sockscope/progress.h"
#include "sockscope/signals.h"
#include "sockscope/source.h"
#include "sockscope/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

/* What a run holds open; run_clear() closes whatever is set. */
typedef struct {
	const ss_app_config *cfg;
	ss_file_source **sources;
	guint n_sources;
	GPtrArray *open_warnings;   /* char*: skipped files of a -r DIR */
	ss_live_source *live;
	ss_app_output out;          /* the report's destination */
	ss_ipfix_exporter *ipfix;
	ss_anonymizer *anon;
	ss_stream_sink sink;
	ss_render_options ropt;
	gboolean capture_failed;    /* the live capture broke off */
	gboolean ipfix_failed;      /* the export is incomplete */
	gboolean interrupted;       /* a stop signal ended the reading of files */
} run_ctx;

int ss_app_exit_status(const GError *e)
{
	switch (e->code) {
	case SS_ERROR_USAGE:
		return SS_EXIT_USAGE;
	case SS_ERROR_OUTPUT:
		return SS_EXIT_OUTPUT;
	case SS_ERROR_INPUT:
		return SS_EXIT_INPUT;
	default:
		return SS_EXIT_CAPTURE;
	}
}

int ss_app_list_interfaces(GError **error)
{
	if (!ss_live_list_devices(stdout, error))
		return SS_EXIT_CAPTURE;
	return fflush(stdout) == 0 ? SS_EXIT_OK : SS_EXIT_OUTPUT;
}

static gboolean want_color(ss_color_when when, FILE *out)
{
	if (when == SS_COLOR_AUTO) {
		const char *no_color = g_getenv("NO_COLOR");
		const char *term = g_getenv("TERM");
		return isatty(fileno(out)) && !(no_color && *no_color) &&
		       !(term && strcmp(term, "dumb") == 0);
	}
	return when == SS_COLOR_ALWAYS;
}

static guint terminal_width(FILE *out)
{
	struct winsize ws;
	if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* The progress line while reading files: on a terminal, unless CI is set
 * (CI logs keep every carriage return) or jsonl records stream onto the
 * same terminal; --progress and --no-progress decide otherwise. */
static gboolean want_progress(const ss_app_config *cfg, FILE *out)
{
	if (cfg->no_progress)
		return FALSE;
	if (cfg->progress)
		return TRUE;
	const char *ci = g_getenv("CI");
	if (ci && *ci && strcmp(ci, "0") != 0 && g_ascii_strcasecmp(ci, "false") != 0)
		return FALSE;
	if (!isatty(STDERR_FILENO))
		return FALSE;
	return !(cfg->format == SS_FORMAT_JSONL && isatty(fileno(out)));
}

/* Opens every input before reading any: a missing file or a bad filter is
 * reported before work is done, and nothing analysed is lost.  A directory
 * stands for the captures in it (skipped files: warnings).  Live: opens
 * the interface (and the -w file) before the report file, as for -r. */
static gboolean open_inputs(run_ctx *ctx, GError **error)
{
	const ss_app_config *cfg = ctx->cfg;
	ctx->open_warnings = g_ptr_array_new_with_free_func(g_free);
	if (cfg->read_files) {
		GPtrArray *list = g_ptr_array_new();
		gboolean ok = ss_file_sources_open(cfg->read_files, cfg->filter, list,
						   ctx->open_warnings, error);
		ctx->n_sources = list->len;
		ctx->sources = (ss_file_source **)g_ptr_array_free(list, FALSE);
		/* Anything but a bad filter is an input error (exit 3). */
		if (!ok && (*error)->code != SS_ERROR_USAGE)
			(*error)->code = SS_ERROR_INPUT;
		return ok;
	}
	/* -w: never through a symlink someone planted (as -o); libpcap's
	 * pcap_dump_open() would follow it and, as root, overwrite its target. */
	struct stat st;
	if (cfg->write_file && strcmp(cfg->write_file, "-") != 0 &&
	    lstat(cfg->write_file, &st) == 0 && S_ISLNK(st.st_mode)) {
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT,
			    "%s: cannot save the packets: it is a symbolic link", cfg->write_file);
		return FALSE;
	}
	ss_live_options lopt = { 0 };
	lopt.device = cfg->interface;
	lopt.filter = cfg->filter;
	lopt.snaplen = cfg->snaplen;
	lopt.promisc = cfg->promisc;
	/* Latency matters when someone watches the stream. */
	lopt.immediate = cfg->immediate || cfg->interval_ns > 0 ||
			 (cfg->format == SS_FORMAT_JSONL && ss_app_output_is_stream(cfg->output, NULL));
	lopt.buffer_kib = cfg->buffer_kib;
	lopt.savefile = cfg->write_file;
	ctx->live = ss_live_source_open(&lopt, error);
	return ctx->live != NULL;
}

/* The report file, the collector, buffering, privileges, colours. */
static gboolean open_outputs(run_ctx *ctx, GError **error)
{
	const ss_app_config *cfg = ctx->cfg;
	gboolean live = cfg->interface != NULL;
	if (!ss_app_output_open(&ctx->out, cfg, error))
		return FALSE;
	/* --ipfix: reach the collector (TCP: connect) before reading anything.
	 * Live: each record leaves at once; files: full messages. */
	if (cfg->ipfix) {
		ctx->ipfix = ss_ipfix_exporter_open(cfg->ipfix,
						    cfg->ipfix_tcp ? SS_IPFIX_TCP : SS_IPFIX_UDP,
						    cfg->ipfix_domain, live, error);
		if (!ctx->ipfix)
			return FALSE;
		ss_ipfix_exporter_set_stop(ctx->ipfix, ss_signals_stop_cb, NULL);
	}
	/* Every file is open: root (-Z) and any capability are no longer
	 * needed, before a single packet is parsed (io/privileges.c). */
	if (!ss_drop_privileges(cfg->user, error))
		return FALSE;
	ctx->ropt.color = want_color(cfg->color, ctx->out.f);
	ctx->ropt.width = terminal_width(ctx->out.f);
	return TRUE;
}

typedef struct {
	ss_live_view *view;
	ss_analyzer *analyzer;
} live_view_ctx;

/* The view draws values: a snapshot of the analyzer and the capture's
 * device and kernel counters. */
static void refresh_live_view(ss_live_source *src, gpointer data)
{
	live_view_ctx *v = data;
	guint64 next_seq = 0;
	ss_report *snap = ss_analyzer_snapshot(v->analyzer, ss_live_view_since(v->view), &next_seq);
	ss_live_stats stats = { 0 };
	stats.known = ss_live_source_stats(src, &stats.received, &stats.dropped, &stats.if_dropped);
	ss_live_view_refresh(v->view, snap, next_seq, ss_live_source_device(src), &stats);
	ss_report_free(snap);
}

/* Captures until -c, --duration or a stop signal; a capture that breaks
 * off has added its warning, and the packets before it count. */
static void run_live(run_ctx *ctx, ss_analyzer *analyzer)
{
	const ss_app_config *cfg = ctx->cfg;
	/* The view goes beside the report, not into a machine format. */
	live_view_ctx vctx = { NULL, analyzer };
	if (cfg->interval_ns > 0) {
		vctx.view = ss_live_view_new(ctx->out.f == stdout && cfg->format != SS_FORMAT_TEXT ?
					     stderr : stdout);
		ctx->sink.view = vctx.view;
	}
	ss_live_run run = { 0 };
	run.count = cfg->count;
	run.duration_ns = cfg->duration_ns;
	run.interval_ns = cfg->interval_ns;
	run.on_interval = refresh_live_view;
	run.data = &vctx;
	GError *error = NULL;
	if (!ss_live_source_run(ctx->live, analyzer, &run, &error)) {
		ctx->capture_failed = TRUE;
		g_clear_error(&error);
	}
	ss_live_source *live = ctx->live;
	ctx->live = NULL;
	if (!ss_live_source_close(live))
		ss_analyzer_warn(analyzer, "%s: cannot save the packets: %s", cfg->write_file,
				 g_strerror(errno));
	ctx->sink.view = NULL;
	ss_live_view_free(vctx.view);
}

/* The files' total size, 0 when one is not a regular file (standard
 * input): the progress bar's 100% and the analyzer's sizing hint. */
static guint64 input_bytes(const run_ctx *ctx)
{
	guint64 total = 0;
	for (guint i = 0; i < ctx->n_sources; i++) {
		gint64 size = ss_file_source_size(ctx->sources[i]);
		if (size < 0)
			return 0;
		total += (guint64)size;
	}
	return total;
}

/* Several files are one capture, merged by packet time; -c counts merged
 * packets.  A damaged file has added its warning already. */
static void run_files(run_ctx *ctx, ss_analyzer *analyzer)
{
	const ss_app_config *cfg = ctx->cfg;
	ss_progress *progress = NULL;
	if (want_progress(cfg, ctx->out.f)) {
		/* 0 (standard input): no percentage */
		progress = ss_progress_new(stderr, input_bytes(ctx), terminal_width(stderr));
	}
	guint64 budget = cfg->count;
	GError *error = NULL;
	if (!ss_file_sources_read(ctx->sources, ctx->n_sources, analyzer,
				  cfg->count > 0 ? &budget : NULL, progress, &error)) {
		ctx->interrupted = g_error_matches(error, SS_ERROR, SS_ERROR_INTERRUPTED);
		g_clear_error(&error);
	}
	ss_progress_free(progress);   /* erased before any warning is printed */
}

static void close_sources(run_ctx *ctx)
{
	for (guint i = 0; i < ctx->n_sources; i++)
		ss_file_source_close(ctx->sources[i]);
	g_clear_pointer(&ctx->sources, g_free);
	ctx->n_sources = 0;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "a signal";
	}
}

/* Reads the capture or the files into a finished, anonymized report. */
static ss_report *analyze(run_ctx *ctx)
{
	const ss_app_config *cfg = ctx->cfg;
	gboolean live = cfg->interface != NULL;
	ss_analyzer_config acfg = cfg->analyzer;
	if (cfg->format == SS_FORMAT_JSONL) {
		acfg.sink = ss_stream_sink_write;
		acfg.sink_ahead = ss_stream_sink_ahead;
		acfg.sink_done = ss_stream_sink_done;
		acfg.sink_data = &ctx->sink;
		ctx->sink.anon = ctx->anon;
		ctx->sink.findings = ss_findings_acc_new();
		/* Reading files, records are decided and written on two more
		 * threads while packets are read (docs/performance.md).  A live
		 * capture keeps one thread: its --interval view reads what the
		 * sink writes. */
		acfg.report_thread = !live && !cfg->single_thread;
		ctx->sink.findings_threaded = acfg.report_thread;
		if (acfg.report_thread)   /* the writer's fresh pages zeroed beside it */
			ss_findings_acc_fault_ahead(ctx->sink.findings);
	}
	acfg.input_bytes = input_bytes(ctx);
	ss_analyzer *analyzer = ss_analyzer_new(&acfg);
	if (live)
		run_live(ctx, analyzer);
	for (guint i = 0; i < ctx->open_warnings->len; i++)
		ss_analyzer_warn(analyzer, "%s",
				 (const char *)g_ptr_array_index(ctx->open_warnings, i));
	if (ctx->n_sources > 0)
		run_files(ctx, analyzer);
	close_sources(ctx);

	ss_report *report = ss_analyzer_finish(analyzer);
	ss_analyzer_free(analyzer);
	/* A live capture ends at a signal as planned; files end early (a
	 * signal after the last packet changes nothing). */
	int sig = ss_signals_stop_requested();
	if (ctx->interrupted && sig != SIGPIPE) {   /* SIGPIPE: nobody reads on */
		report->summary.interrupted = TRUE;
		g_ptr_array_add(report->summary.warnings,
				g_strdup_printf("reading stopped by %s after %" G_GUINT64_FORMAT
						" packets: the report covers only those",
						signal_name(sig), report->summary.packets));
	}
	/* --anonymize: once, before anything is written or exported; the
	 * streamed records were pseudonymised one by one. */
	if (ctx->anon)
		ss_anonymize_report(ctx->anon, report, TRUE);
	/* After anonymizing: findings quote addresses (report.h).  jsonl's
	 * findings are still being finished on their thread (the analyzer
	 * called ss_stream_sink_done): write_report() takes them. */
	if (!ctx->sink.findings)
		ss_report_complete(report, ss_format_wants_findings(cfg->format));
	ctx->sink.anon = NULL;
	return report;
}

/* --ipfix: jsonl exported each record as it ended (the sink); the other
 * formats keep every record, so they go now, in report order. */
static void export_ipfix(run_ctx *ctx, ss_report *report)
{
	if (!ctx->ipfix)
		return;
	if (ctx->cfg->format != SS_FORMAT_JSONL)
		for (guint i = 0; i < report->conns->len; i++)
			ss_ipfix_exporter_add(ctx->ipfix, g_ptr_array_index(report->conns, i));
	ss_ipfix_exporter *ipfix = ctx->ipfix;
	ctx->ipfix = NULL;
	ctx->sink.ipfix = NULL;
	GError *error = NULL;
	if (!ss_ipfix_exporter_close(ipfix, &error)) {
		g_ptr_array_add(report->summary.warnings, g_strdup(error->message));
		g_clear_error(&error);
		ctx->ipfix_failed = TRUE;
	}
}

/* Writes the report and puts it in place; FALSE with SS_ERROR_OUTPUT.
 * jsonl writes its listeners and hosts while the findings' first step
 * still runs on its thread, then finishes the findings and writes them:
 * the same bytes as one ss_render() after the findings, in less time. */
static gboolean write_report(run_ctx *ctx, ss_report *report, GError **error)
{
	gboolean written;
	if (ctx->sink.findings) {
		written = ss_render_jsonl_items(report, ctx->out.f);
		report->findings = ss_stream_sink_findings(&ctx->sink, report);
		/* threaded runs only: --single-thread keeps one thread */
		written = ss_render_jsonl_findings(report, written, ctx->out.f,
						   ctx->sink.findings_threaded);
	} else {
		written = ss_render(report, ctx->cfg->format, &ctx->ropt, ctx->out.f);
	}
	return ss_app_output_finish(&ctx->out, written, error);
}

/* Does the run free what it built before returning?  The process ends
 * right after ss_app_run() (main.c), and the kernel takes its memory back
 * at once: walking the report to free it (on mixed.pcap ~11 000 findings
 * of three blocks each, 73 000 hosts' lists, the findings' accumulator)
 * took 10-15 ms after the last byte was written (docs/performance.md, "The
 * serial tail, sixth session").  Under AddressSanitizer (LeakSanitizer)
 * and valgrind everything is freed, so that their leak checks still catch
 * a free function that forgets a part; the library's own free functions
 * are unchanged.  SOCKSCOPE_FREE_AT_EXIT (set, non-empty) asks for the
 * frees too: valgrind is detected only when the build found valgrind.h,
 * and the README's order (build, then `scripts/test.sh`, which installs
 * valgrind) configures the build before valgrind is there, so the golden
 * cases under valgrind set it (tests/scripts/check-golden.sh). */
static gboolean free_at_exit(void)
{
	const char *ask = g_getenv("SOCKSCOPE_FREE_AT_EXIT");
	if (ask && *ask)
		return TRUE;
#if defined(__SANITIZE_ADDRESS__)
	return TRUE;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
	return TRUE;
#endif
#endif
#ifdef HAVE_VALGRIND_H
	if (RUNNING_ON_VALGRIND)
		return TRUE;
#endif
	return FALSE;
}

static void run_clear(run_ctx *ctx)
{
	close_sources(ctx);
	if (ctx->open_warnings)
		g_ptr_array_unref(ctx->open_warnings);
	if (ctx->live)
		ss_live_source_close(ctx->live);
	if (ctx->ipfix)
		ss_ipfix_exporter_close(ctx->ipfix, NULL);
	ss_app_output_discard(&ctx->out);
	ss_anonymizer_free(ctx->anon);
	ss_stream_sink_clear(&ctx->sink);
}

int ss_app_run(const ss_app_config *cfg, GError **error)
{
	run_ctx ctx = { 0 };
	ctx.cfg = cfg;
	/* From the start: a stop signal while the inputs and the report file
	 * open is seen before the first packet, never kills half a report. */
	ss_signals_install();
	ss_services_use_system(!cfg->builtin_services);
	if (cfg->anonymize)
		ctx.anon = ss_anonymizer_new(cfg->anonymize_key, cfg->anonymize_key_len);
	int status = SS_EXIT_OK;
	if (!open_inputs(&ctx, error) || !open_outputs(&ctx, error)) {
		status = ss_app_exit_status(*error);
		run_clear(&ctx);
		return status;
	}
	ss_stream_sink_init(&ctx.sink, ctx.out.f);
	ctx.sink.ipfix = ctx.ipfix;
	ctx.sink.flush_at = ctx.out.buf_size;

	ss_report *report = analyze(&ctx);
	ss_anonymizer_free(ctx.anon);
	ctx.anon = NULL;
	export_ipfix(&ctx, report);

	/* Problems with the input are warnings: the report is still written. */
	GPtrArray *warnings = report->summary.warnings;
	for (guint i = 0; i < warnings->len; i++) {
		/* file and interface names in them: no raw terminal escapes */
		char *w = ss_text_sanitize(g_ptr_array_index(warnings, i));
		fprintf(stderr, "sockscope: warning: %s\n", w);
		g_free(w);
	}
	if (warnings->len > 0)
		status = SS_EXIT_WARNINGS;
	if (ctx.capture_failed)
		status = SS_EXIT_CAPTURE;   /* the capture broke off; the report is still written */
	else if (ctx.ipfix_failed)
		status = SS_EXIT_OUTPUT;    /* the report is written, the export is incomplete */

	if (!write_report(&ctx, report, error))
		status = SS_EXIT_OUTPUT;
	if (free_at_exit()) {
		ss_report_free(report);
	} else {
		/* the report and the findings' accumulator: left to the exit */
		ctx.sink.findings_spent = NULL;
	}
	run_clear(&ctx);
	return status;
}
