/* sockscope: command-line parsing and the top-level flow only. */
#include "config.h"
#include "sockscope/analyzer.h"
#include "sockscope/anonymize.h"
#include "sockscope/findings.h"
#include "sockscope/export-ipfix.h"
#include "sockscope/progress.h"
#include "sockscope/report.h"
#include "sockscope/signals.h"
#include "sockscope/source.h"
#include "sockscope/util.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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
	gboolean single_thread;
	gdouble timeout_attempt, timeout_established, timeout_closed, timeout_udp;
	char **filter_words;
	/* live capture (docs/live.md) */
	char *interface;
	gboolean list_devices;
	gint snaplen;
	gboolean no_promisc;
	gboolean immediate;
	gint buffer_kib;
	gdouble duration, interval;
	char *write_file;
	char *user;
	/* reading files: the progress line */
	gboolean progress, no_progress;
	/* IPFIX export (docs/output.md#ipfix) */
	char *ipfix;
	char *ipfix_transport;
	gint64 ipfix_domain;
	char *anonymize_key_file;
} ss_options;

/* --anonymize[=KEY] (an optional argument needs a callback). */
static struct {
	gboolean on;
	char *key;
} anonymize_opt;

static gboolean parse_anonymize(const char *name, const char *value, gpointer data,
				GError **error)
{
	(void)name;
	(void)data;
	if (value != NULL && *value == '\0') {
		g_set_error(error, SS_ERROR, SS_ERROR_USAGE, "--anonymize=KEY: the key is empty");
		return FALSE;
	}
	anonymize_opt.on = TRUE;
	g_free(anonymize_opt.key);
	anonymize_opt.key = g_strdup(value);
	return TRUE;
}

static const char *const summary_text =
	"Reads saved captures and reports, for every TCP connection and UDP exchange,\n"
	"which side listened (server IP:port), which side connected (client IP and the\n"
	"ephemeral port its OS picked), how the attempt ended, and the listening sockets\n"
	"the traffic reveals.  A trailing BPF filter (pcap-filter(7)) limits the packets.\n"
	"\n"
	"Formats: text (default), jsonl, json, csv, zeek, zeek-json, ecs, markdown, html,\n"
	"dot; see docs/output.md, docs/reports.md or sockscope(1).\n"
	"\n"
	"Exit status: 0 success; 1 report written but the input was damaged or partly\n"
	"undecodable; 2 usage error or bad filter; 3 input error (missing file, not a\n"
	"capture); 4 live capture failed (permission, no such interface); 5 the report\n"
	"could not be written, or the IPFIX export failed.\n"
	"\n"
	"Live capture (-i IFACE, -D lists them) runs until -c, --duration, Ctrl-C, SIGTERM\n"
	"or SIGHUP, then writes the full report; see docs/live.md."
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
		  "Report format: text, jsonl, json, csv, zeek, zeek-json, ecs, markdown, html or dot (default: text)", "FORMAT" },
		{ "count", 'c', 0, G_OPTION_ARG_INT64, &o->count,
		  "Stop after reading N packets", "N" },
		{ "color", 0, 0, G_OPTION_ARG_STRING, &o->color,
		  "Colour in text output: auto, always or never (default: auto; NO_COLOR is respected)",
		  "WHEN" },
		{ "builtin-services", 0, 0, G_OPTION_ARG_NONE, &o->builtin_services,
		  "Name services from sockscope's built-in table only, not the system's services database",
		  NULL },
		{ "max-flows", 0, 0, G_OPTION_ARG_INT64, &o->max_flows,
		  "Track at most N flows at once; the idlest is ended early past that (default 1000000, 0 = no cap)",
		  "N" },
		{ "single-thread", 0, 0, G_OPTION_ARG_NONE, &o->single_thread,
		  "jsonl from files: decide and write the records on the reading thread instead of two more (same output, slower)",
		  NULL },
		{ "timeout-attempt", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_attempt,
		  "jsonl: end an unanswered TCP attempt after S seconds of silence (default 150)", "S" },
		{ "timeout-tcp", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_established,
		  "jsonl: end an open TCP connection after S seconds of silence (default 600)", "S" },
		{ "timeout-closed", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_closed,
		  "jsonl: write a closed TCP connection S seconds after its last packet (default 10)",
		  "S" },
		{ "timeout-udp", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_udp,
		  "jsonl: end a UDP exchange after S seconds of silence (default 120)", "S" },
		{ "interface", 'i', 0, G_OPTION_ARG_STRING, &o->interface,
		  "Capture live on IFACE (\"any\" for all; a number from -D)", "IFACE" },
		{ "list-interfaces", 'D', 0, G_OPTION_ARG_NONE, &o->list_devices,
		  "List the interfaces -i can capture on and exit", NULL },
		{ "snaplen", 's', 0, G_OPTION_ARG_INT, &o->snaplen,
		  "Live: capture the first N bytes of each packet (default 256, headers only; 0 = 262144)",
		  "N" },
		{ "no-promisc", 'p', 0, G_OPTION_ARG_NONE, &o->no_promisc,
		  "Live: do not put the interface in promiscuous mode", NULL },
		{ "immediate", 0, 0, G_OPTION_ARG_NONE, &o->immediate,
		  "Live: hand each packet over at once (default with --interval or jsonl to a pipe)", NULL },
		{ "buffer-size", 'B', 0, G_OPTION_ARG_INT, &o->buffer_kib,
		  "Live: kernel capture buffer of N KiB (default: libpcap's, 2048)", "KIB" },
		{ "duration", 0, 0, G_OPTION_ARG_DOUBLE, &o->duration,
		  "Live: stop after S seconds", "S" },
		{ "interval", 0, 0, G_OPTION_ARG_DOUBLE, &o->interval,
		  "Live: every S seconds show the listeners and new connections so far", "S" },
		{ "write", 'w', 0, G_OPTION_ARG_FILENAME, &o->write_file,
		  "Live: also save the raw packets to FILE (pcap, like tcpdump -w)", "FILE" },
		{ "user", 'Z', 0, G_OPTION_ARG_STRING, &o->user,
		  "Live: drop root privileges to USER once the interface and files are open", "USER" },
		{ "progress", 0, 0, G_OPTION_ARG_NONE, &o->progress,
		  "Show a progress line on standard error while reading files (default: only on a terminal)",
		  NULL },
		{ "no-progress", 0, 0, G_OPTION_ARG_NONE, &o->no_progress,
		  "Never show the progress line", NULL },
		{ "ipfix", 0, 0, G_OPTION_ARG_STRING, &o->ipfix,
		  "Also export every connection as an IPFIX biflow record to the collector at HOST:PORT",
		  "HOST:PORT" },
		{ "ipfix-transport", 0, 0, G_OPTION_ARG_STRING, &o->ipfix_transport,
		  "IPFIX over udp (default) or tcp", "PROTO" },
		{ "ipfix-domain", 0, 0, G_OPTION_ARG_INT64, &o->ipfix_domain,
		  "IPFIX observation domain ID (default 1)", "N" },
		{ "anonymize", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
		  (gpointer)parse_anonymize,
		  "Replace every IP address by a keyed, prefix-preserving pseudonym (a random key per run"
		  " without KEY) and input names by input-N", "KEY" },
		{ "anonymize-key-file", 0, 0, G_OPTION_ARG_FILENAME, &o->anonymize_key_file,
		  "Read the --anonymize key from FILE (implies --anonymize)", "FILE" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->filter_words, NULL,
		  "[BPF filter]" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("- who listened, who connected, from which port");
	g_option_context_set_summary(ctx, "Usage: sockscope -r FILE [options] [BPF filter]\n"
				     "       sockscope -i IFACE [options] [BPF filter]\n"
				     "       sockscope -D");
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
	ss_live_view *view;     /* --interval: it lists the records that ended too */
	ss_ipfix_exporter *ipfix; /* --ipfix: each record is exported as it is written */
	ss_anonymizer *anon;    /* --anonymize: records are pseudonymised first */
	ss_findings_acc *findings; /* the findings learn from each record written */
} jsonl_sink;

static void write_jsonl_conn(const ss_conn *c, gpointer data)
{
	jsonl_sink *sink = data;
	ss_conn copy;
	if (sink->anon) {
		copy = *c;
		ss_anonymize_conn(sink->anon, &copy);
		c = &copy;
	}
	if (sink->findings)
		ss_findings_acc_add(sink->findings, c);
	g_string_truncate(sink->buf, 0);
	ss_json_conn(sink->buf, c, TRUE);
	/* Write errors are caught by the final fflush/ferror check. */
	fwrite(sink->buf->str, 1, sink->buf->len, sink->out);
	if (sink->view)
		ss_live_view_ended(sink->view, c);
	if (sink->ipfix)
		ss_ipfix_exporter_add(sink->ipfix, c);
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

/* ---- live capture (-i) helpers ---- */

/* The first live-only option given, for the error when reading files. */
static const char *live_only_option(const ss_options *o)
{
	if (o->write_file)
		return "-w";
	if (o->snaplen != -1)
		return "-s";
	if (o->buffer_kib)
		return "-B";
	if (o->no_promisc)
		return "--no-promisc";
	if (o->immediate)
		return "--immediate";
	if (o->duration != 0)
		return "--duration";
	if (o->interval != 0)
		return "--interval";
	if (o->user)
		return "-Z";
	return NULL;
}

/* Whether the report goes to a reader that waits for each line (a pipe, a
 * FIFO, a socket, a terminal) rather than to a file or /dev/null. */
static gboolean output_is_stream(const char *path, FILE *out)
{
	struct stat st;
	int fd = out ? fileno(out) : (!path || strcmp(path, "-") == 0) ? STDOUT_FILENO : -1;
	if (fd >= 0 ? fstat(fd, &st) != 0 : stat(path, &st) != 0)
		return FALSE;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || (fd >= 0 && isatty(fd)) ||
	       (fd < 0 && S_ISCHR(st.st_mode) && g_str_has_prefix(path, "/dev/tty"));
}

/* The progress line while reading files: on a terminal, unless CI is set
 * (CI logs keep every carriage return) or jsonl records stream onto the
 * same terminal; --progress and --no-progress decide otherwise. */
static gboolean want_progress(const ss_options *o, ss_format format, FILE *out)
{
	if (o->no_progress)
		return FALSE;
	if (o->progress)
		return TRUE;
	const char *ci = g_getenv("CI");
	if (ci && *ci && strcmp(ci, "0") != 0 && g_ascii_strcasecmp(ci, "false") != 0)
		return FALSE;
	if (!isatty(STDERR_FILENO))
		return FALSE;
	return !(format == SS_FORMAT_JSONL && isatty(fileno(out)));
}

static int exit_status_for(const GError *e)
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

typedef struct {
	ss_live_view *view;
	ss_analyzer *analyzer;
} live_view_ctx;

static void refresh_live_view(ss_live_source *src, gpointer data)
{
	live_view_ctx *ctx = data;
	ss_live_view_refresh(ctx->view, ctx->analyzer, src);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	ss_options o = { 0 };
	o.count = -1;
	o.snaplen = -1;
	o.ipfix_domain = -1;   /* not given: 1 */
	o.max_flows = -1;   /* not given: keep the default cap */
	GError *error = NULL;

	if (!parse_options(&argc, &argv, &o, &error))
		die(SS_EXIT_USAGE, "%s (try --help)", error->message);
	if (o.version) {
		printf("sockscope %s (%s)\n", SOCKSCOPE_VERSION, pcap_lib_version());
		return SS_EXIT_OK;
	}
	if (o.list_devices) {
		if (!ss_live_list_devices(stdout, &error))
			die(SS_EXIT_CAPTURE, "%s", error->message);
		return fflush(stdout) == 0 ? SS_EXIT_OK : SS_EXIT_OUTPUT;
	}
	gboolean live = o.interface != NULL;
	if (live && o.read_files)
		die(SS_EXIT_USAGE, "-i and -r cannot be combined: capture live or read files");
	if (!live && (!o.read_files || !o.read_files[0]))
		die(SS_EXIT_USAGE, "no input: give a capture file with -r FILE or an interface with"
		    " -i IFACE (try --help)");
	if (!live && live_only_option(&o))
		die(SS_EXIT_USAGE, "%s works only with a live capture (-i IFACE)", live_only_option(&o));
	if (live) {
		if (o.duration < 0 || o.duration > 1e9)
			die(SS_EXIT_USAGE, "--duration takes a positive number of seconds");
		if (o.interval < 0 || o.interval > 1e9 || (o.interval > 0 && o.interval < 0.1))
			die(SS_EXIT_USAGE, "--interval takes a number of seconds, at least 0.1");
		if (o.write_file && strcmp(o.write_file, "-") == 0 &&
		    (!o.output || strcmp(o.output, "-") == 0))
			die(SS_EXIT_USAGE, "-w - writes the packets to standard output: send the report"
			    " elsewhere with -o FILE");
		if (o.user && !getpwnam(o.user))
			die(SS_EXIT_USAGE, "-Z: no such user \"%s\"", o.user);
	}
	ss_format format = SS_FORMAT_TEXT;
	if (o.format && !ss_format_parse(o.format, &format))
		die(SS_EXIT_USAGE, "unknown format \"%s\": use text, jsonl, json, csv, zeek, zeek-json,"
		    " ecs, markdown, html or dot", o.format);
	/* --anonymize: the key from the option, from a file, or random */
	ss_anonymizer *anon = NULL;
	if (o.anonymize_key_file) {
		if (anonymize_opt.key)
			die(SS_EXIT_USAGE, "give the --anonymize key either as KEY or with"
			    " --anonymize-key-file, not both");
		char *text = NULL;
		gsize len = 0;
		if (!g_file_get_contents(o.anonymize_key_file, &text, &len, &error))
			die(SS_EXIT_USAGE, "--anonymize-key-file: %s", error->message);
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			len--;
		if (len == 0)
			die(SS_EXIT_USAGE, "--anonymize-key-file: %s holds no key", o.anonymize_key_file);
		anon = ss_anonymizer_new((const guint8 *)text, len);
		memset(text, 0, len);
		g_free(text);
	} else if (anonymize_opt.on) {
		anon = ss_anonymizer_new((const guint8 *)anonymize_opt.key,
					 anonymize_opt.key ? strlen(anonymize_opt.key) : 0);
	}
	if (anon && o.interval > 0)
		die(SS_EXIT_USAGE, "--interval shows real addresses: it cannot be combined with"
		    " --anonymize");
	if (o.count == 0 || o.count < -1)
		die(SS_EXIT_USAGE, "-c takes a positive number of packets");
	ss_services_use_system(!o.builtin_services);

	char *filter = o.filter_words ? g_strjoinv(" ", o.filter_words) : NULL;
	guint n_inputs = live ? 0 : g_strv_length(o.read_files);
	guint n_stdin = 0;
	for (guint i = 0; i < n_inputs; i++)
		n_stdin += strcmp(o.read_files[i], "-") == 0;
	if (n_stdin > 1)
		die(SS_EXIT_USAGE, "standard input (-r -) can be read only once");

	/* Open every input before reading any: a missing file or a bad filter
	 * is reported before work is done, and nothing analysed is lost.  A
	 * directory stands for the captures in it (skipped files: warnings). */
	GPtrArray *source_list = g_ptr_array_new();
	GPtrArray *open_warnings = g_ptr_array_new_with_free_func(g_free);
	if (n_inputs > 0 &&
	    !ss_file_sources_open(o.read_files, filter, source_list, open_warnings, &error))
		die(error->code == SS_ERROR_USAGE ? SS_EXIT_USAGE : SS_EXIT_INPUT, "%s",
		    error->message);
	n_inputs = source_list->len;
	/* Static: the open inputs stay reachable when a later check dies
	 * (LeakSanitizer would count them as leaked). */
	static ss_file_source **sources;
	sources = (ss_file_source **)g_ptr_array_free(source_list, FALSE);
	/* Live: open the interface (and the -w file) before the report file,
	 * as for -r; latency matters when someone watches the stream. */
	ss_live_source *live_src = NULL;
	if (live) {
		ss_live_options lopt = { 0 };
		lopt.device = o.interface;
		lopt.filter = filter;
		lopt.snaplen = o.snaplen == -1 ? 0 : o.snaplen == 0 ? 262144 : o.snaplen;
		lopt.promisc = !o.no_promisc;
		lopt.immediate = o.immediate || o.interval > 0 ||
				 (format == SS_FORMAT_JSONL && output_is_stream(o.output, NULL));
		lopt.buffer_kib = o.buffer_kib;
		lopt.savefile = o.write_file;
		live_src = ss_live_source_open(&lopt, &error);
		if (!live_src)
			die(exit_status_for(error), "%s", error->message);
	}

	FILE *out = stdout;
	if (o.output && strcmp(o.output, "-") != 0) {
		out = open_output(o.output, &error);
		if (!out)
			die(SS_EXIT_OUTPUT, "%s", error->message);
	}
	/* --ipfix: reach the collector (TCP: connect) before reading anything. */
	ss_ipfix_exporter *ipfix = NULL;
	if (o.ipfix_transport && !o.ipfix)
		die(SS_EXIT_USAGE, "--ipfix-transport needs --ipfix HOST:PORT");
	if (o.ipfix) {
		ss_ipfix_transport transport = SS_IPFIX_UDP;
		if (o.ipfix_transport && strcmp(o.ipfix_transport, "tcp") == 0)
			transport = SS_IPFIX_TCP;
		else if (o.ipfix_transport && strcmp(o.ipfix_transport, "udp") != 0)
			die(SS_EXIT_USAGE, "--ipfix-transport takes udp or tcp, not \"%s\"",
			    o.ipfix_transport);
		if (o.ipfix_domain < -1 || o.ipfix_domain > G_MAXUINT32)
			die(SS_EXIT_USAGE, "--ipfix-domain takes a number from 0 to 4294967295");
		/* Live: each record leaves at once; files: full messages. */
		ipfix = ss_ipfix_exporter_open(o.ipfix, transport,
					       o.ipfix_domain >= 0 ? (guint32)o.ipfix_domain : 1, live,
					       &error);
		if (!ipfix)
			die(exit_status_for(error), "%s", error->message);
	}
	/* A pipeline sees each streamed record at once. */
	if (live && format == SS_FORMAT_JSONL && output_is_stream(NULL, out))
		setvbuf(out, NULL, _IOLBF, 0);
	/* Reading files, jsonl hands over one record at a time: a 1 MiB buffer
	 * makes that one write(2) per ~1000 records instead of per four
	 * (docs/performance.md).  Terminals keep their line buffering. */
	static char out_buf[1 << 20];
	if (!live && !isatty(fileno(out)))
		setvbuf(out, out_buf, _IOFBF, sizeof out_buf);
	/* Every file is open: root is no longer needed. */
	if (o.user && !ss_drop_privileges(o.user, &error))
		die(exit_status_for(error), "%s", error->message);
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
	if (o.max_flows < -1)
		die(SS_EXIT_USAGE, "--max-flows takes a number of flows (0 = no cap)");
	if (o.max_flows >= 0)
		cfg.max_flows = (guint64)o.max_flows;
	jsonl_sink sink = { out, g_string_sized_new(1024), NULL, ipfix, NULL, NULL };
	if (format == SS_FORMAT_JSONL) {
		cfg.sink = write_jsonl_conn;
		cfg.sink_data = &sink;
		sink.anon = anon;
		sink.findings = ss_findings_acc_new();
		/* Reading files, records are decided and written on two more
		 * threads while packets are read (docs/performance.md).  A live
		 * capture keeps one thread: its --interval view reads what the
		 * sink writes. */
		cfg.report_thread = !live && !o.single_thread;
	}
	ss_analyzer *analyzer = ss_analyzer_new(&cfg);
	gboolean capture_failed = FALSE;
	if (live) {
		/* The view goes beside the report, not into a machine format. */
		live_view_ctx vctx = { NULL, analyzer };
		if (o.interval > 0) {
			vctx.view = ss_live_view_new(out == stdout && format != SS_FORMAT_TEXT ?
						     stderr : stdout);
			sink.view = vctx.view;
		}
		ss_live_run run = { 0 };
		run.count = o.count > 0 ? (guint64)o.count : 0;
		run.duration_ns = (gint64)(o.duration * 1e9);
		run.interval_ns = (gint64)(o.interval * 1e9);
		run.on_interval = refresh_live_view;
		run.data = &vctx;
		ss_signals_install();
		/* A failure has added its warning; the packets before it count. */
		if (!ss_live_source_run(live_src, analyzer, &run, &error)) {
			capture_failed = TRUE;
			g_clear_error(&error);
		}
		if (!ss_live_source_close(live_src))
			ss_analyzer_warn(analyzer, "%s: cannot save the packets: %s", o.write_file,
					 g_strerror(errno));
		sink.view = NULL;
		ss_live_view_free(vctx.view);
	}
	for (guint i = 0; i < open_warnings->len; i++)
		ss_analyzer_warn(analyzer, "%s", (const char *)g_ptr_array_index(open_warnings, i));
	g_ptr_array_unref(open_warnings);
	if (n_inputs > 0) {
		/* Several files are one capture, merged by packet time; -c counts
		 * merged packets.  A damaged file has added its warning already. */
		ss_progress *progress = NULL;
		if (want_progress(&o, format, out)) {
			guint64 total = 0;
			for (guint i = 0; i < n_inputs; i++) {
				gint64 size = ss_file_source_size(sources[i]);
				if (size < 0) {
					total = 0;   /* standard input: no percentage */
					break;
				}
				total += (guint64)size;
			}
			progress = ss_progress_new(stderr, total, terminal_width(stderr));
		}
		guint64 budget = (guint64)o.count;
		if (!ss_file_sources_read(sources, n_inputs, analyzer, o.count > 0 ? &budget : NULL,
					  progress, &error))
			g_clear_error(&error);
		ss_progress_free(progress);   /* erased before any warning is printed */
	}
	for (guint i = 0; i < n_inputs; i++)
		ss_file_source_close(sources[i]);
	g_free(sources);

	ss_report *report = ss_analyzer_finish(analyzer);
	ss_analyzer_free(analyzer);
	/* --anonymize: once, before anything is written or exported; the
	 * streamed records were pseudonymised one by one. */
	if (anon)
		ss_anonymize_report(anon, report, TRUE);
	if (sink.findings) {
		report->findings = ss_findings_acc_finish(sink.findings, report);
		sink.findings = NULL;
	}
	sink.anon = NULL;
	ss_anonymizer_free(anon);

	/* --ipfix: jsonl exported each record as it ended (the sink); the other
	 * formats keep every record, so they go now, in report order. */
	gboolean ipfix_failed = FALSE;
	if (ipfix) {
		if (format != SS_FORMAT_JSONL)
			for (guint i = 0; i < report->conns->len; i++)
				ss_ipfix_exporter_add(ipfix, g_ptr_array_index(report->conns, i));
		if (!ss_ipfix_exporter_close(ipfix, &error)) {
			g_ptr_array_add(report->summary.warnings, g_strdup(error->message));
			g_clear_error(&error);
			ipfix_failed = TRUE;
		}
		sink.ipfix = NULL;
	}

	/* Problems with the input are warnings: the report is still written. */
	int status = SS_EXIT_OK;
	GPtrArray *warnings = report->summary.warnings;
	for (guint i = 0; i < warnings->len; i++)
		fprintf(stderr, "sockscope: warning: %s\n", (const char *)g_ptr_array_index(warnings, i));
	if (warnings->len > 0)
		status = SS_EXIT_WARNINGS;
	if (capture_failed)
		status = SS_EXIT_CAPTURE;   /* the capture broke off; the report is still written */
	else if (ipfix_failed)
		status = SS_EXIT_OUTPUT;    /* the report is written, the export is incomplete */

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
	g_free(o.anonymize_key_file);
	g_free(anonymize_opt.key);
	g_free(o.color);
	g_free(o.interface);
	g_free(o.write_file);
	g_free(o.user);
	g_free(o.ipfix);
	g_free(o.ipfix_transport);
	return status;
}
