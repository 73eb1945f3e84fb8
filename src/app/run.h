/* One run of sockscope, from a validated configuration (app/main.c builds
 * it from the command line) to the exit status (app/run.c). */
#ifndef SOCKSCOPE_APP_RUN_H
#define SOCKSCOPE_APP_RUN_H

#include "sockscope/analyzer.h"
#include "sockscope/render.h"

#include <glib.h>

typedef enum {
	SS_COLOR_AUTO,    /* on a terminal, unless NO_COLOR or TERM=dumb */
	SS_COLOR_ALWAYS,
	SS_COLOR_NEVER,
} ss_color_when;

/* Everything the command line asked for, checked: a run only meets
 * environment failures (files, interfaces, collectors, writes). */
typedef struct {
	char **read_files;        /* -r arguments; NULL for a live capture */
	const char *interface;    /* -i IFACE; NULL when reading files */
	char *filter;             /* the BPF filter words joined; NULL = none */
	const char *output;       /* -o FILE; NULL = standard output */
	gboolean stdout_closed;   /* fd 1 was closed at start (now /dev/null) */
	ss_format format;
	ss_color_when color;
	guint64 count;            /* -c: stop after this many packets; 0 = no limit */
	gboolean builtin_services;
	gboolean single_thread;
	/* The analyzer's settings: defaults, --max-flows and --timeout-*.
	 * The sink and the report thread are the run's to set. */
	ss_analyzer_config analyzer;
	/* --tunnel-port, --max-tunnel-depth; analyzer.decode points here */
	ss_decode_config decode;
	/* --anonymize: the key (empty = a random key per run) */
	gboolean anonymize;
	guint8 *anonymize_key;
	gsize anonymize_key_len;
	/* live capture (docs/live.md) */
	int snaplen;              /* as for ss_live_options; -s 0 already made 262144 */
	gboolean promisc;
	gboolean immediate;
	int buffer_kib;
	gint64 duration_ns, interval_ns;   /* 0 = none */
	const char *write_file;   /* -w */
	const char *user;         /* -Z */
	/* reading files: the progress line (default: only on a terminal) */
	gboolean progress, no_progress;
	/* --ipfix (docs/output.md#ipfix) */
	const char *ipfix;
	gboolean ipfix_tcp;
	guint32 ipfix_domain;
} ss_app_config;

/* Runs the capture or the files, writes the report and returns the exit
 * status (SS_EXIT_*).  A failure that leaves no report comes back as a
 * GError in SS_ERROR; the caller prints it and exits with its status. */
int ss_app_run(const ss_app_config *cfg, GError **error);

/* -D: lists the interfaces on standard output. */
int ss_app_list_interfaces(GError **error);

/* The exit status for a run's error (SS_ERROR codes). */
int ss_app_exit_status(const GError *error);

#endif
