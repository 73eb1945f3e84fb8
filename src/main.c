/* sockscope: command-line parsing and the top-level flow only. */
#include "config.h"
#include "sockscope/analyzer.h"
#include "sockscope/report.h"
#include "sockscope/source.h"
#include "sockscope/util.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

typedef struct {
	char **read_files;
	char *output;
	char *format;
	char *color;
	gint64 count;
	gboolean builtin_services;
	gboolean version;
	gint64 max_flows;
	gdouble timeout_attempt, timeout_established, timeout_closed, timeout_udp;
	char **filter_words;
} ss_options;

static const char *const summary_text =
	"Reads saved captures and reports, for every TCP connection and UDP exchange,\n"
	"which side listened (server IP:port), which side connected (client IP and the\n"
	"ephemeral port its OS picked), how the attempt ended, and the listening sockets\n"
	"the traffic reveals.  A trailing BPF filter (pcap-filter(7)) limits the packets.\n"
	"\n"
	"Formats: text (default), jsonl, json, csv; see docs/output.md or sockscope(1).\n"
	"\n"
	"Exit status: 0 success; 1 report written but the input was damaged or partly\n"
	"undecodable; 2 usage error or bad filter; 3 input error (missing file, not a\n"
	"capture); 5 the report could not be written.\n"
	"\n"
	"Addresses and ports are never resolved to names through the network (no DNS).";

static void die(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3) G_GNUC_NORETURN;

static void die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sockscope: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(status);
}

static gboolean parse_options(int *argc, char ***argv, ss_options *o, GError **error)
{
	GOptionEntry entries[] = {
		{ "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->read_files,
		  "Read packets from capture FILE (pcap or pcapng; - for standard input); may be repeated",
		  "FILE" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output,
		  "Write the report to FILE instead of standard output", "FILE" },
		{ "format", 'F', 0, G_OPTION_ARG_STRING, &o->format,
		  "Report format: text, jsonl, json, csv, zeek, zeek-json or ecs (default: text)", "FORMAT" },
		{ "count", 'c', 0, G_OPTION_ARG_INT64, &o->count,
		  "Stop after reading N packets", "N" },
		{ "color", 0, 0, G_OPTION_ARG_STRING, &o->color,
		  "Colour in text output: auto, always or never (default: auto; NO_COLOR is respected)",
		  "WHEN" },
		{ "builtin-services", 0, 0, G_OPTION_ARG_NONE, &o->builtin_services,
		  "Name services from sockscope's built-in table only, not the system's services database",
		  NULL },
		{ "max-flows", 0, 0, G_OPTION_ARG_INT64, &o->max_flows,
		  "Track at most N flows at once; the idlest is ended early past that (default: no cap)",
		  "N" },
		{ "timeout-attempt", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_attempt,
		  "jsonl: end an unanswered TCP attempt after S seconds of silence (default 150)", "S" },
		{ "timeout-tcp", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_established,
		  "jsonl: end an open TCP connection after S seconds of silence (default 600)", "S" },
		{ "timeout-closed", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_closed,
		  "jsonl: write a closed TCP connection S seconds after its last packet (default 10)",
		  "S" },
		{ "timeout-udp", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_udp,
		  "jsonl: end a UDP exchange after S seconds of silence (default 120)", "S" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->filter_words, NULL,
		  "[BPF filter]" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("- who listened, who connected, from which port");
	g_option_context_set_summary(ctx, "Usage: sockscope -r FILE [options] [BPF filter]");
	g_option_context_set_description(ctx, summary_text);
	g_option_context_add_main_entries(ctx, entries, NULL);
	gboolean ok = g_option_context_parse(ctx, argc, argv, error);
	g_option_context_free(ctx);
	return ok;
}

/* jsonl streams: each connection is written the moment it ends. */
typedef struct {
	FILE *out;
	GString *buf;
} jsonl_sink;

static void write_jsonl_conn(const ss_conn *c, gpointer data)
{
	jsonl_sink *sink = data;
	g_string_truncate(sink->buf, 0);
	ss_json_conn(sink->buf, c, TRUE);
	/* Write errors are caught by the final fflush/ferror check. */
	fwrite(sink->buf->str, 1, sink->buf->len, sink->out);
}

/* Applies a --timeout-* value (seconds; 0 = keep the default). */
static gboolean set_timeout(gint64 *slot, gdouble seconds, const char *name, GError **error)
{
	if (seconds == 0)
		return TRUE;
	if (!(seconds > 0 && seconds < 1e9)) {
		g_set_error(error, SS_ERROR, SS_ERROR_USAGE,
			    "--%s takes a positive number of seconds", name);
		return FALSE;
	}
	*slot = (gint64)(seconds * 1e9);
	return TRUE;
}

static gboolean want_color(const char *when, FILE *out, GError **error)
{
	if (!when || strcmp(when, "auto") == 0) {
		const char *no_color = g_getenv("NO_COLOR");
		const char *term = g_getenv("TERM");
		return isatty(fileno(out)) && !(no_color && *no_color) &&
		       !(term && strcmp(term, "dumb") == 0);
	}
	if (strcmp(when, "always") == 0)
		return TRUE;
	if (strcmp(when, "never") == 0)
		return FALSE;
	g_set_error(error, SS_ERROR, SS_ERROR_USAGE,
		    "--color takes auto, always or never, not \"%s\"", when);
	return FALSE;
}

static guint terminal_width(FILE *out)
{
	struct winsize ws;
	if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* Creates the output file without following a symlink someone planted. */
static FILE *open_output(const char *path, GError **error)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "%s: cannot write the report: %s",
			    path, e == ELOOP ? "it is a symbolic link" : g_strerror(e));
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "%s: %s", path, g_strerror(e));
	}
	return f;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	ss_options o = { 0 };
	o.count = -1;
	GError *error = NULL;

	if (!parse_options(&argc, &argv, &o, &error))
		die(SS_EXIT_USAGE, "%s (try --help)", error->message);
	if (o.version) {
		printf("sockscope %s (%s)\n", SOCKSCOPE_VERSION, pcap_lib_version());
		return SS_EXIT_OK;
	}
	if (!o.read_files || !o.read_files[0])
		die(SS_EXIT_USAGE, "no input: give a capture file with -r FILE (try --help)");
	ss_format format = SS_FORMAT_TEXT;
	if (o.format && !ss_format_parse(o.format, &format))
		die(SS_EXIT_USAGE, "unknown format \"%s\": use text, jsonl, json, csv, zeek, zeek-json or ecs", o.format);
	if (o.count == 0 || o.count < -1)
		die(SS_EXIT_USAGE, "-c takes a positive number of packets");
	ss_services_use_system(!o.builtin_services);

	char *filter = o.filter_words ? g_strjoinv(" ", o.filter_words) : NULL;
	guint n_inputs = g_strv_length(o.read_files);
	guint n_stdin = 0;
	for (guint i = 0; i < n_inputs; i++)
		n_stdin += strcmp(o.read_files[i], "-") == 0;
	if (n_stdin > 1)
		die(SS_EXIT_USAGE, "standard input (-r -) can be read only once");

	/* Open every input before reading any: a missing file or a bad filter
	 * is reported before work is done, and nothing analysed is lost. */
	ss_file_source **sources = g_new0(ss_file_source *, n_inputs);
	for (guint i = 0; i < n_inputs; i++) {
		sources[i] = ss_file_source_open(o.read_files[i], filter, &error);
		if (!sources[i])
			die(error->code == SS_ERROR_USAGE ? SS_EXIT_USAGE : SS_EXIT_INPUT, "%s",
			    error->message);
	}

	FILE *out = stdout;
	if (o.output && strcmp(o.output, "-") != 0) {
		out = open_output(o.output, &error);
		if (!out)
			die(SS_EXIT_OUTPUT, "%s", error->message);
	}
	ss_render_options ropt = { 0 };
	ropt.color = want_color(o.color, out, &error);
	if (error)
		die(SS_EXIT_USAGE, "%s", error->message);
	ropt.width = terminal_width(out);

	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	if (!set_timeout(&cfg.timeout_ns[SS_TIMEOUT_ATTEMPT], o.timeout_attempt, "timeout-attempt", &error) ||
	    !set_timeout(&cfg.timeout_ns[SS_TIMEOUT_ESTABLISHED], o.timeout_established, "timeout-tcp", &error) ||
	    !set_timeout(&cfg.timeout_ns[SS_TIMEOUT_CLOSED], o.timeout_closed, "timeout-closed", &error) ||
	    !set_timeout(&cfg.timeout_ns[SS_TIMEOUT_UDP], o.timeout_udp, "timeout-udp", &error))
		die(SS_EXIT_USAGE, "%s", error->message);
	if (o.max_flows < 0)
		die(SS_EXIT_USAGE, "--max-flows takes a positive number");
	cfg.max_flows = (guint64)o.max_flows;
	jsonl_sink sink = { out, g_string_sized_new(1024) };
	if (format == SS_FORMAT_JSONL) {
		cfg.sink = write_jsonl_conn;
		cfg.sink_data = &sink;
	}
	ss_analyzer *analyzer = ss_analyzer_new(&cfg);
	guint64 budget = (guint64)o.count;
	for (guint i = 0; i < n_inputs; i++) {
		if (o.count > 0 && budget == 0)
			break;
		/* A damaged file has already added its warning to the summary. */
		if (!ss_file_source_read(sources[i], analyzer, o.count > 0 ? &budget : NULL, &error))
			g_clear_error(&error);
	}
	for (guint i = 0; i < n_inputs; i++)
		ss_file_source_close(sources[i]);
	g_free(sources);

	ss_report *report = ss_analyzer_finish(analyzer);
	ss_analyzer_free(analyzer);

	/* Problems with the input are warnings: the report is still written. */
	int status = SS_EXIT_OK;
	GPtrArray *warnings = report->summary.warnings;
	for (guint i = 0; i < warnings->len; i++)
		fprintf(stderr, "sockscope: warning: %s\n", (const char *)g_ptr_array_index(warnings, i));
	if (warnings->len > 0)
		status = SS_EXIT_WARNINGS;

	gboolean written = ss_render(report, format, &ropt, out);
	if (fflush(out) != 0)
		written = FALSE;
	int werr = errno;
	if (out != stdout && fclose(out) != 0 && written) {
		written = FALSE;
		werr = errno;
	}
	ss_report_free(report);
	if (!written)
		die(SS_EXIT_OUTPUT, "cannot write the report to %s: %s",
		    o.output ? o.output : "standard output", g_strerror(werr));

	g_string_free(sink.buf, TRUE);
	g_free(filter);
	g_strfreev(o.read_files);
	g_strfreev(o.filter_words);
	g_free(o.output);
	g_free(o.format);
	g_free(o.color);
	return status;
}
