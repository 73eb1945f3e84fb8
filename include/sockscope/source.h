/* Capture sources: saved files (pcap, pcapng) read through libpcap.
 *
 * Environment failures come back as GErrors in SS_ERROR; whatever was read
 * before a mid-file failure has already reached the analyzer, so the caller
 * can still report it. */
#ifndef SOCKSCOPE_SOURCE_H
#define SOCKSCOPE_SOURCE_H

#include <glib.h>
#include <stdio.h>
#include "sockscope/analyzer.h"

#define SS_ERROR (ss_error_quark())
GQuark ss_error_quark(void);

typedef enum {
	SS_ERROR_USAGE,     /* bad command line, bad BPF filter */
	SS_ERROR_INPUT,     /* cannot open the input, or it is not a capture */
	SS_ERROR_DAMAGED,   /* reading stopped early: truncated or corrupt file */
	SS_ERROR_CAPTURE,   /* live capture failures (permissions, interface) */
	SS_ERROR_OUTPUT,    /* cannot write the report */
} ss_error_code;

/* Process exit statuses (documented in sockscope(1) and README). */
enum {
	SS_EXIT_OK = 0,
	SS_EXIT_WARNINGS = 1,   /* report written, but the input was damaged or partly undecodable */
	SS_EXIT_USAGE = 2,
	SS_EXIT_INPUT = 3,
	SS_EXIT_CAPTURE = 4,
	SS_EXIT_OUTPUT = 5,
};

typedef struct ss_file_source ss_file_source;

/* Opens a capture file ("-" = standard input) and, when filter is not NULL,
 * compiles and installs the BPF filter for the file's link type. */
ss_file_source *ss_file_source_open(const char *path, const char *filter, GError **error);
/* The same on an already open stream (fmemopen(), a pipe...); `name` is
 * used in messages and the summary.  On success the source owns fp and
 * ss_file_source_close() closes it; on an SS_ERROR_INPUT failure (not a
 * capture) fp is left open for the caller, on an SS_ERROR_USAGE failure
 * (bad filter) it has been closed. */
ss_file_source *ss_file_source_open_stream(FILE *fp, const char *name, const char *filter,
					   GError **error);
void ss_file_source_close(ss_file_source *src);
int ss_file_source_dlt(const ss_file_source *src);

/* Feeds the file's packets to the analyzer; stops after *budget packets
 * when budget is not NULL (and decrements it).  Returns FALSE with an
 * SS_ERROR_DAMAGED error when the file ended in a damaged record: the
 * packets before it were analysed. */
gboolean ss_file_source_read(ss_file_source *src, ss_analyzer *a, guint64 *budget,
			     GError **error);

#endif
