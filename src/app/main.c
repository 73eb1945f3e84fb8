/* sockscope's command line: parses the options, checks them into an
 * ss_app_config (app/run.h) and hands it to ss_app_run() (app/run.c).
 * Every error, of the command line or of the run, comes back here as a
 * GError and leaves through the one exit at the end of main(). */
#include "config.h"
#include "compare.h"
#include "run.h"

#include "sockscope/format.h"
#include "sockscope/heap.h"
#include "sockscope/signals.h"
#include "sockscope/source.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The command line as given (before any check). */
typedef struct {
	char **read_files;
	char *output;
	char *format;
	char *color;
	gint64 count;
	gboolean builtin_services;
	gboolean version;
	gint64 max_flows;
	char **tunnel_ports;   /* --tunnel-port PROTO=PORT, repeatable */
	gint64 max_tunnel_depth;
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
	/* --anonymize[=KEY] (an optional argument needs a callback) */
	gboolean anonymize;
	char *anonymize_key;
} ss_options;

static gboolean parse_anonymize(const char *name, const char *value, gpointer data,
				GError **error)
{
	(void)name;
	ss_options *o = data;
	if (value != NULL && *value == '\0') {
		g_set_error(error, SS_ERROR, SS_ERROR_USAGE, "--anonymize=KEY: the key is empty");
		return FALSE;
	}
	o->anonymize = TRUE;
	g_free(o->anonymize_key);
	o->anonymize_key = g_strdup(value);
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
	"undecodable; 2 usage error, bad filter or -o naming an input; 3 input error\n"
	"(missing file, not a capture); 4 live capture failed (permission, no such\n"
	"interface); 5 the report could not be written, or the IPFIX export failed;\n"
	"6 out of memory or address space (ulimit -v): one line, no report.\n"
	"\n"
	"Live capture (-i IFACE, -D lists them) runs until -c, --duration, Ctrl-C, SIGTERM\n"
	"or SIGHUP, then writes the full report; see docs/live.md."
	"\n"
	"Addresses and ports are never resolved to names through the network (no DNS).";

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
		  "Colour in text output: auto, always or never (default: auto, which NO_COLOR turns off)",
		  "WHEN" },
		{ "builtin-services", 0, 0, G_OPTION_ARG_NONE, &o->builtin_services,
		  "Name services from sockscope's built-in table only, not the system's services database",
		  NULL },
		{ "max-flows", 0, 0, G_OPTION_ARG_INT64, &o->max_flows,
		  "Track at most N flows at once; the idlest is ended early past that (default 1000000, 0 = no cap)",
		  "N" },
		{ "tunnel-port", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->tunnel_ports,
		  "Also decapsulate UDP port PORT as PROTO (vxlan, geneve, gre, gtpu, teredo or ayiya); may be repeated",
		  "PROTO=PORT" },
		{ "max-tunnel-depth", 0, 0, G_OPTION_ARG_INT64, &o->max_tunnel_depth,
		  "Remove at most N nested encapsulations (default 4, 0 = none: tunnels are reported as their outer packets)",
		  "N" },
		{ "single-thread", 0, 0, G_OPTION_ARG_NONE, &o->single_thread,
		  "jsonl from files: decide and write the records on the reading thread instead of two more (same output, slower)",
		  NULL },
		{ "timeout-attempt", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_attempt,
		  "jsonl only: end an unanswered TCP attempt after S seconds of silence (default 150)", "S" },
		{ "timeout-tcp", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_established,
		  "jsonl only: end an open TCP connection after S seconds of silence (default 600)", "S" },
		{ "timeout-closed", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_closed,
		  "jsonl only: write a closed TCP connection S seconds after its last packet (default 10)",
		  "S" },
		{ "timeout-udp", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_udp,
		  "jsonl only: end a UDP exchange after S seconds of silence (default 120)", "S" },
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
		  "Replace every IP address by a keyed, prefix-preserving pseudonym (the key only as"
		  " --anonymize=KEY; a random key per run without it) and input names by input-N", "KEY" },
		{ "anonymize-random-key", 0, G_OPTION_FLAG_NO_ARG | G_OPTION_FLAG_HIDDEN,
		  G_OPTION_ARG_CALLBACK, (gpointer)parse_anonymize, NULL, NULL },
		{ "anonymize-key-file", 0, 0, G_OPTION_ARG_FILENAME, &o->anonymize_key_file,
		  "Read the --anonymize key from FILE (implies --anonymize)", "FILE" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->filter_words, NULL,
		  "[BPF filter]" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("- who listened, who connected, from which port");
	/* A group of our own so that --anonymize's callback gets `o`. */
	GOptionGroup *group = g_option_group_new(NULL, NULL, NULL, o, NULL);
	g_option_group_add_entries(group, entries);
	g_option_context_set_main_group(ctx, group);
	g_option_context_set_summary(ctx, "Usage: sockscope -r FILE [options] [BPF filter]\n"
				     "       sockscope -i IFACE [options] [BPF filter]\n"
				     "       sockscope compare [options] A B   (see compare --help)\n"
				     "       sockscope -D");
	g_option_context_set_description(ctx, summary_text);
	/* GOption gives an optional argument the next word when it does not
	 * start with '-': "--anonymize tcp" would take the filter's first word
	 * as the key.  A bare --anonymize becomes the hidden no-argument form,
	 * so the key is only ever --anonymize=KEY. */
	for (int i = 1; i < *argc && strcmp((*argv)[i], "--") != 0; i++)
		if (strcmp((*argv)[i], "--anonymize") == 0)
			(*argv)[i] = (char *)"--anonymize-random-key";
	gboolean ok = g_option_context_parse(ctx, argc, argv, error);
	g_option_context_free(ctx);
	return ok;
}

static gboolean usage(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Sets a command-line error (exit 2); returns FALSE for the caller's return. */
static gboolean usage(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, SS_ERROR, SS_ERROR_USAGE, msg);
	g_free(msg);
	return FALSE;
}

/* Applies a --timeout-* value (seconds; 0 = keep the default). */
static gboolean set_timeout(gint64 *slot, gdouble seconds, const char *name, GError **error)
{
	if (seconds == 0)
		return TRUE;
	if (!(seconds > 0 && seconds < 1e9))
		return usage(error, "--%s takes a positive number of seconds", name);
	*slot = (gint64)(seconds * 1e9);
	return TRUE;
}

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

/* The most a key file may hold: a key, not a file to hash (/dev/zero
 * would otherwise be read until memory runs out). */
#define KEY_FILE_MAX 4096

/* Reads at most KEY_FILE_MAX bytes of `path` into *text (NUL-terminated). */
static gboolean read_key_file(const char *path, char **text, gsize *len, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return usage(error, "--anonymize-key-file: %s: %s", path, g_strerror(errno));
	char *buf = g_malloc(KEY_FILE_MAX + 2);
	gsize got = 0;
	while (got <= KEY_FILE_MAX) {
		ssize_t n = read(fd, buf + got, KEY_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			g_free(buf);
			return usage(error, "--anonymize-key-file: %s: %s", path, g_strerror(e));
		}
		if (n == 0)
			break;
		got += (gsize)n;
	}
	close(fd);
	if (got > KEY_FILE_MAX) {
		memset(buf, 0, got);
		g_free(buf);
		return usage(error, "--anonymize-key-file: %s is longer than %d bytes: it should"
			     " hold one key", path, KEY_FILE_MAX);
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return TRUE;
}

/* --anonymize: the key from the option, from a file, or none (random). */
static gboolean anonymize_key(const ss_options *o, ss_app_config *cfg, GError **error)
{
	if (o->anonymize_key_file) {
		if (o->anonymize_key)
			return usage(error, "give the --anonymize key either as KEY or with"
				     " --anonymize-key-file, not both");
		char *text = NULL;
		gsize len = 0;
		if (!read_key_file(o->anonymize_key_file, &text, &len, error))
			return FALSE;
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			len--;
		if (len == 0) {
			g_free(text);
			return usage(error, "--anonymize-key-file: %s holds no key",
				     o->anonymize_key_file);
		}
		cfg->anonymize = TRUE;
		cfg->anonymize_key = (guint8 *)text;
		cfg->anonymize_key_len = len;
	} else if (o->anonymize) {
		cfg->anonymize = TRUE;
		cfg->anonymize_key = (guint8 *)g_strdup(o->anonymize_key);
		cfg->anonymize_key_len = o->anonymize_key ? strlen(o->anonymize_key) : 0;
	}
	return TRUE;
}

/* Checks the command line into `cfg` (which borrows o's strings). */
/* --tunnel-port PROTO=PORT and --max-tunnel-depth into the decoder's
 * config, which the analyzer reads through cfg->analyzer.decode. */
static gboolean configure_tunnels(const ss_options *o, ss_app_config *cfg, GError **error)
{
	ss_decode_config_init(&cfg->decode);
	cfg->analyzer.decode = &cfg->decode;
	if (o->max_tunnel_depth < -1 || o->max_tunnel_depth > 32)
		return usage(error, "--max-tunnel-depth takes a number from 0 to 32");
	if (o->max_tunnel_depth >= 0)
		cfg->decode.max_depth = (guint8)o->max_tunnel_depth;
	for (char **tp = o->tunnel_ports; tp && *tp; tp++) {
		const char *eq = strchr(*tp, '=');
		char *name = eq ? g_strndup(*tp, (gsize)(eq - *tp)) : NULL;
		ss_tunnel_type t = name ? ss_tunnel_type_from_name(name) : SS_TUNNEL_NONE;
		guint64 port = 0;
		g_free(name);
		if (!eq || !g_ascii_string_to_unsigned(eq + 1, 10, 1, 65535, &port, NULL) ||
		    !ss_decode_config_add_port(&cfg->decode, t, (guint16)port))
			return usage(error, "--tunnel-port takes PROTO=PORT with PROTO vxlan, "
				     "geneve, gre, gtpu, teredo or ayiya and PORT 1-65535, not \"%s\"",
				     *tp);
	}
	return TRUE;
}

static gboolean configure(const ss_options *o, ss_app_config *cfg, GError **error)
{
	gboolean live = o->interface != NULL;
	if (live && o->read_files)
		return usage(error, "-i and -r cannot be combined: capture live or read files");
	if (!live && (!o->read_files || !o->read_files[0]))
		return usage(error, "no input: give a capture file with -r FILE or an interface"
			     " with -i IFACE (try --help)");
	if (!live && live_only_option(o))
		return usage(error, "%s works only with a live capture (-i IFACE)",
			     live_only_option(o));
	if (live) {
		/* Written so that NaN fails too; 0 is "not given".  Below a
		 * millisecond (1e-12 is 0 ns) or infinite, it would never stop. */
		if (!(o->duration == 0 || (o->duration >= 0.001 && o->duration <= 1e9)))
			return usage(error, "--duration takes a number of seconds from 0.001 to 1e9");
		if (!(o->interval == 0 || (o->interval >= 0.1 && o->interval <= 1e9)))
			return usage(error, "--interval takes a number of seconds from 0.1 to 1e9");
		if (o->write_file && strcmp(o->write_file, "-") == 0 &&
		    (!o->output || strcmp(o->output, "-") == 0))
			return usage(error, "-w - writes the packets to standard output: send the"
				     " report elsewhere with -o FILE");
	}
	cfg->format = SS_FORMAT_TEXT;
	if (o->format && !ss_format_parse(o->format, &cfg->format))
		return usage(error, "unknown format \"%s\": use text, jsonl, json, csv, zeek,"
			     " zeek-json, ecs, markdown, html or dot", o->format);
	if (!anonymize_key(o, cfg, error))
		return FALSE;
	if (cfg->anonymize && o->interval > 0)
		return usage(error, "--interval shows real addresses: it cannot be combined with"
			     " --anonymize");
	if (o->count == 0 || o->count < -1)
		return usage(error, "-c takes a positive number of packets");
	cfg->count = o->count > 0 ? (guint64)o->count : 0;
	if (o->read_files) {
		guint n_stdin = 0;
		for (guint i = 0; o->read_files[i]; i++)
			n_stdin += strcmp(o->read_files[i], "-") == 0;
		if (n_stdin > 1)
			return usage(error, "standard input (-r -) can be read only once");
	}
	if (o->ipfix_transport && !o->ipfix)
		return usage(error, "--ipfix-transport needs --ipfix HOST:PORT");
	if (o->ipfix_transport && strcmp(o->ipfix_transport, "tcp") != 0 &&
	    strcmp(o->ipfix_transport, "udp") != 0)
		return usage(error, "--ipfix-transport takes udp or tcp, not \"%s\"",
			     o->ipfix_transport);
	if (o->ipfix && (o->ipfix_domain < -1 || o->ipfix_domain > G_MAXUINT32))
		return usage(error, "--ipfix-domain takes a number from 0 to 4294967295");
	if (!o->color || strcmp(o->color, "auto") == 0)
		cfg->color = SS_COLOR_AUTO;
	else if (strcmp(o->color, "always") == 0)
		cfg->color = SS_COLOR_ALWAYS;
	else if (strcmp(o->color, "never") == 0)
		cfg->color = SS_COLOR_NEVER;
	else
		return usage(error, "--color takes auto, always or never, not \"%s\"", o->color);
	/* Only a stream ends records before the capture does; the other
	 * formats keep every flow to the end, where a timeout means nothing. */
	const char *timeout = o->timeout_attempt != 0 ? "--timeout-attempt" :
			      o->timeout_established != 0 ? "--timeout-tcp" :
			      o->timeout_closed != 0 ? "--timeout-closed" :
			      o->timeout_udp != 0 ? "--timeout-udp" : NULL;
	if (timeout && cfg->format != SS_FORMAT_JSONL)
		return usage(error, "%s applies to -F jsonl only: the other formats keep every"
			     " flow until the capture ends", timeout);
	ss_analyzer_config_init(&cfg->analyzer);
	gint64 *t = cfg->analyzer.timeout_ns;
	if (!set_timeout(&t[SS_TIMEOUT_ATTEMPT], o->timeout_attempt, "timeout-attempt", error) ||
	    !set_timeout(&t[SS_TIMEOUT_ESTABLISHED], o->timeout_established, "timeout-tcp", error) ||
	    !set_timeout(&t[SS_TIMEOUT_CLOSED], o->timeout_closed, "timeout-closed", error) ||
	    !set_timeout(&t[SS_TIMEOUT_UDP], o->timeout_udp, "timeout-udp", error))
		return FALSE;
	if (o->max_flows < -1)
		return usage(error, "--max-flows takes a number of flows (0 = no cap)");
	if (o->max_flows >= 0)
		cfg->analyzer.max_flows = (guint64)o->max_flows;
	if (!configure_tunnels(o, cfg, error))
		return FALSE;

	/* Not a usage error: exit 4 as documented (after the usage checks). */
	if (live && o->user && !ss_privileges_check_user(o->user, error))
		return FALSE;

	cfg->read_files = live ? NULL : o->read_files;
	cfg->interface = o->interface;
	cfg->filter = o->filter_words ? g_strjoinv(" ", o->filter_words) : NULL;
	cfg->output = o->output;
	cfg->builtin_services = o->builtin_services;
	cfg->single_thread = o->single_thread;
	cfg->snaplen = o->snaplen == -1 ? 0 : o->snaplen == 0 ? 262144 : o->snaplen;
	cfg->promisc = !o->no_promisc;
	cfg->immediate = o->immediate;
	cfg->buffer_kib = o->buffer_kib;
	cfg->duration_ns = (gint64)(o->duration * 1e9);
	cfg->interval_ns = (gint64)(o->interval * 1e9);
	cfg->write_file = o->write_file;
	cfg->user = o->user;
	cfg->progress = o->progress;
	cfg->no_progress = o->no_progress;
	cfg->ipfix = o->ipfix;
	cfg->ipfix_tcp = o->ipfix_transport && strcmp(o->ipfix_transport, "tcp") == 0;
	cfg->ipfix_domain = o->ipfix_domain >= 0 ? (guint32)o->ipfix_domain : 1;
	return TRUE;
}

static void options_clear(ss_options *o)
{
	g_strfreev(o->tunnel_ports);
	g_strfreev(o->read_files);
	g_strfreev(o->filter_words);
	g_free(o->output);
	g_free(o->format);
	g_free(o->anonymize_key_file);
	g_free(o->anonymize_key);
	g_free(o->color);
	g_free(o->interface);
	g_free(o->write_file);
	g_free(o->user);
	g_free(o->ipfix);
	g_free(o->ipfix_transport);
}

static void config_clear(ss_app_config *cfg)
{
	g_free(cfg->filter);
	if (cfg->anonymize_key) {
		memset(cfg->anonymize_key, 0, cfg->anonymize_key_len);   /* a secret */
		g_free(cfg->anonymize_key);
	}
}

/* Opens /dev/null on any of fds 0-2 the parent left closed, so that the
 * next file opened (the -o report, a capture) cannot become standard error
 * and receive the warnings.  Returns which of them were closed (bit n for
 * fd n). */
static unsigned reserve_std_fds(void)
{
	unsigned closed = 0;
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* open() takes the lowest free number: this one. */
		int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (got != fd) {
			if (got >= 0)
				close(got);
			_exit(SS_EXIT_OUTPUT);   /* nowhere safe to say so */
		}
		closed |= 1u << fd;
	}
	return closed;
}

/* Writes all of text to standard error, with write(2) only. */
static void write_stderr(const char *text)
{
	size_t left = strlen(text);
	while (left > 0) {
		ssize_t n = write(STDERR_FILENO, text, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		left -= (size_t)n;
	}
}

/* A resource the system refused ends the run: g_malloc() cannot return
 * NULL, so glib stops on an allocation it cannot make, and so do
 * sockscope's large tables and record slab (core/bigarray.c, flow/slab.c),
 * with a G_LOG_LEVEL_ERROR message: without memory there is no report to
 * save.  glib's default then raises SIGTRAP: "Trace/breakpoint trap (core
 * dumped)", status 133, which tells a user nothing.  This says it in one
 * line, drops the temporary report (as a second stop signal does), and
 * exits with SS_EXIT_RESOURCES.  It may run on any thread with the heap
 * exhausted: write(2), unlink(2) and _exit(2) only, and a stack buffer for
 * the limit. */
static void on_fatal_message(const gchar *domain, GLogLevelFlags level,
			     const gchar *message, gpointer unused)
{
	if (!(level & G_LOG_LEVEL_ERROR)) {
		g_log_default_handler(domain, level, message, unused);
		return;
	}
	ss_signals_unlink_unfinished();
	write_stderr("sockscope: stopped: ");
	if (!message)
		message = "out of memory";
	/* glib's own say where in glib ("../glib/gmem.c:136: failed to
	 * allocate 327680 bytes"): of no use to a user. */
	const char *where = strstr(message, ".c:");
	if (where && where[3] >= '0' && where[3] <= '9' && !memchr(message, ' ', (size_t)(where - message))) {
		const char *after = where + 3;
		while (*after >= '0' && *after <= '9')
			after++;
		if (after[0] == ':' && after[1] == ' ') {
			write_stderr("out of memory: ");
			message = after + 2;
		}
	}
	write_stderr(message);
	struct rlimit rl;
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		char limit[96];
		g_snprintf(limit, sizeof limit, " (the address-space limit, ulimit -v, is %"
			   G_GUINT64_FORMAT " KiB)", (guint64)rl.rlim_cur / 1024);
		write_stderr(limit);
	}
	write_stderr("\n");
	_exit(SS_EXIT_RESOURCES);
}

int main(int argc, char **argv)
{
	unsigned closed_fds = reserve_std_fds();
	/* Before any thread and any large allocation: one malloc arena, its
	 * heap on huge pages (core/heap.c; one arena alone under ulimit -v). */
	ss_heap_prepare();
	/* Every domain: glib's own ("GLib") and sockscope's. */
	g_log_set_default_handler(on_fatal_message, NULL);
	/* A reader of standard output that goes away is EPIPE, handled where
	 * the report is written (run.c, stream-sink.c), not a silent death
	 * that leaves temporary files and unflushed exports behind. */
	signal(SIGPIPE, SIG_IGN);
	setlocale(LC_ALL, "");
	ss_options o = { 0 };
	o.count = -1;
	o.snaplen = -1;
	o.ipfix_domain = -1;   /* not given: 1 */
	o.max_flows = -1;   /* not given: keep the default cap */
	o.max_tunnel_depth = -1;   /* not given: the default */
	ss_app_config cfg = { 0 };
	GError *error = NULL;
	int status = SS_EXIT_OK;

	if (argc >= 2 && strcmp(argv[1], "compare") == 0) {
		/* `sockscope compare ...` (app/compare.c, docs/compare.md) */
		argv[1] = argv[0];
		status = ss_app_compare_main(argc - 1, argv + 1, &error);
	} else if (!parse_options(&argc, &argv, &o, &error)) {
		GError *e = error;   /* GOption's domain: a usage error all the same */
		error = NULL;
		g_set_error(&error, SS_ERROR, SS_ERROR_USAGE, "%s (try --help)", e->message);
		g_error_free(e);
	} else if (o.version) {
		printf("sockscope %s (%s)\n", SOCKSCOPE_VERSION, pcap_lib_version());
	} else if (o.list_devices) {
		status = ss_app_list_interfaces(&error);
	} else if (configure(&o, &cfg, &error)) {
		cfg.stdout_closed = (closed_fds & 2u) != 0;
		status = ss_app_run(&cfg, &error);
	}

	/* The one exit: a failure is one line on standard error. */
	if (error) {
		char *msg = ss_text_sanitize(error->message);   /* file names: no escapes */
		fprintf(stderr, "sockscope: %s\n", msg);
		g_free(msg);
		if (status == SS_EXIT_OK)
			status = ss_app_exit_status(error);
		g_error_free(error);
	}
	config_clear(&cfg);
	options_clear(&o);
	return status;
}
