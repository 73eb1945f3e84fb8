/* Capture sources: saved files (pcap, pcapng) and live interfaces, through libpcap.
 *
 * Environment failures come back as GErrors in SS_ERROR; whatever was read
 * before a mid-file failure has already reached the analyzer, so the caller
 * can still report it. */
#ifndef SOCKSCOPE_SOURCE_H
#define SOCKSCOPE_SOURCE_H

#include <glib.h>
#include <stdio.h>
#include "sockscope/analyzer.h"
#include "sockscope/error.h"

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

/* The size of a regular file in bytes; -1 for standard input, a pipe... */
gint64 ss_file_source_size(const ss_file_source *src);

/* Opens every -r argument, in order, into `sources` (ss_file_source*): a
 * file, "-", or a directory, whose regular files are opened sorted by name;
 * a file in a directory that is not a capture is skipped, with a line added
 * to `warnings` (char*, for the summary).  An error (a missing file, a bad
 * filter, a directory without any capture) stops at once; the sources
 * opened before it stay in `sources` for the caller to close. */
gboolean ss_file_sources_open(char **paths, const char *filter, GPtrArray *sources,
			      GPtrArray *warnings, GError **error);

/* Feeds the file's packets to the analyzer; stops after *budget packets
 * when budget is not NULL (and decrements it).  Returns FALSE with an
 * SS_ERROR_DAMAGED error when the file ended in a damaged record: the
 * packets before it were analysed. */
gboolean ss_file_source_read(ss_file_source *src, ss_analyzer *a, guint64 *budget,
			     GError **error);

struct ss_progress;

/* Reads n files as one capture: every input is registered with the
 * analyzer (ss_analyzer_begin_input, in the given order), then their packets
 * are fed in timestamp order (a k-way merge; equal times: the earlier input
 * first), each decoded with its own file's link type and counted for its
 * own input.  *budget (when not NULL) counts merged packets.  A damaged
 * file ends only itself; the others are read to their end, and FALSE comes
 * back with the first SS_ERROR_DAMAGED error (every one is a warning in the
 * summary).  A stop signal (ss_signals_stop_requested()) ends the reading
 * between two packets: FALSE with SS_ERROR_INTERRUPTED instead.  `progress`
 * (may be NULL) is redrawn as the bytes are read. */
gboolean ss_file_sources_read(ss_file_source **srcs, guint n, ss_analyzer *a,
			      guint64 *budget, struct ss_progress *progress, GError **error);
/* The same, also handing every packet, after the analyzer has it, to
 * `tap` with its input (in->dlt is its link type): a second consumer of
 * one read of the files (sockscope compare's signatures). */
typedef void (*ss_packet_tap)(const ss_input *in, gint64 ts_ns, const guint8 *data,
			      guint32 caplen, guint32 wirelen, gpointer user_data);
gboolean ss_file_sources_read_tap(ss_file_source **srcs, guint n, ss_analyzer *a,
				  ss_packet_tap tap, gpointer tap_data, guint64 *budget,
				  struct ss_progress *progress, GError **error);


/* ---- live capture (-i), src/source-live.c ---- */

/* What a live capture looks at when no filter is given: ICMP too, because
 * its errors (port unreachable...) tell refused and filtered ports apart. */
#define SS_LIVE_DEFAULT_FILTER "tcp or udp or icmp or icmp6"
/* Headers only; see source-live.c for why 256 bytes cover every decoder. */
#define SS_LIVE_DEFAULT_SNAPLEN 256

typedef struct {
	const char *device;      /* "eth0", "any", or a number from -D */
	const char *filter;      /* NULL = SS_LIVE_DEFAULT_FILTER */
	int snaplen;             /* 0 = SS_LIVE_DEFAULT_SNAPLEN; at most 262144 */
	gboolean promisc;
	gboolean immediate;      /* deliver each packet at once (pcap_set_immediate_mode) */
	int buffer_kib;          /* kernel buffer; 0 = libpcap's default (2 MiB on Linux) */
	const char *savefile;    /* -w: also write the raw packets there, NULL = no */
} ss_live_options;

typedef struct ss_live_source ss_live_source;

/* Opens and activates the device, installs the filter and creates the -w
 * file.  Failures are SS_ERROR_CAPTURE (permission, no such interface...),
 * SS_ERROR_USAGE (bad filter, bad snap length) or SS_ERROR_OUTPUT (the -w
 * file); each message is one line naming the interface.  Non-fatal libpcap
 * warnings are printed to stderr. */
ss_live_source *ss_live_source_open(const ss_live_options *opt, GError **error);
/* Flushes and closes the -w file and the capture.  FALSE (errno set) when
 * the -w file could not be written completely. */
gboolean ss_live_source_close(ss_live_source *src);
const char *ss_live_source_device(const ss_live_source *src);

/* The warning for `dropped` kernel drops among `received` packets as
 * pcap_stats() gives them (ps_recv counts the drops too); NULL when none
 * were dropped.  Free with g_free. */
char *ss_live_drop_warning(const char *device, guint64 received, guint64 dropped);
/* TRUE when sockscope can decode the link type `dlt` of an opened device;
 * else FALSE with an SS_ERROR_CAPTURE error naming the device and the link
 * type (ss_live_source_open() refuses such a device before its filter). */
gboolean ss_live_link_usable(const char *dev, int dlt, GError **error);
/* pcap_stats(); FALSE when libpcap cannot say. */
gboolean ss_live_source_stats(ss_live_source *src, guint64 *received, guint64 *dropped,
			      guint64 *if_dropped);

typedef struct {
	guint64 count;           /* stop after this many packets; 0 = no limit */
	gint64 duration_ns;      /* stop after this much wall time; 0 = no limit */
	gint64 interval_ns;      /* call on_interval this often (wall time); 0 = never */
	void (*on_interval)(ss_live_source *src, gpointer data);
	gpointer data;
} ss_live_run;

/* Captures into the analyzer until -c, --duration, a stop signal
 * (ss_signals_stop_requested()) or a capture error, then records the kernel
 * counters in the input's summary (a warning when packets were dropped).
 * Returns FALSE with SS_ERROR_CAPTURE when the capture failed (the packets
 * before the failure were analysed). */
gboolean ss_live_source_run(ss_live_source *src, ss_analyzer *a, const ss_live_run *run,
			    GError **error);

/* -D: every network interface libpcap can capture on (and "any"), numbered
 * as -i accepts them, one per line with its description, flags and
 * addresses.  libpcap's other sources (nflog, nfqueue, dbus-*, usbmon*,
 * bluetooth*) are left out, and -i refuses them (SS_ERROR_CAPTURE), except
 * nflog / nflog:GROUP, which carries IP (captured without a BPF filter:
 * libpcap has none for NFLOG). */
gboolean ss_live_list_devices(FILE *out, GError **error);

/* src/io/privileges.c.  -Z USER must name a user: SS_ERROR_CAPTURE (exit 4,
 * as documented) when it does not. */
gboolean ss_privileges_check_user(const char *user, GError **error);
/* Once the capture handle and every file are open.  With USER (-Z): switch
 * to its uid, gid and groups, then check that root cannot be regained.
 * Either way, unless running as root without -Z, drop every capability
 * (effective, permitted, inheritable, ambient; the bounding set too when
 * switching from root), so a binary given cap_net_raw,cap_net_admin by
 * setcap parses packets without them.  SS_ERROR_CAPTURE on any failure. */
gboolean ss_drop_privileges(const char *user, GError **error);

#endif
