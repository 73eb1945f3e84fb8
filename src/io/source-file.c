/* Saved-capture input through libpcap: one file, or several merged by
 * packet time as one capture. */
#include "sockscope/source.h"
#include "sockscope/decode.h"
#include "sockscope/progress.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct ss_file_source {
	char *name;
	pcap_t *pcap;
	gint64 size;                /* bytes of a regular file, -1 otherwise */

	/* While reading (ss_file_sources_read) */
	ss_input *in;
	struct pcap_pkthdr *hdr;    /* the packet read ahead: valid until the */
	const u_char *data;         /* next pcap_next_ex() on this handle */
	gint64 ts;
	int rc;                     /* the last pcap_next_ex() result */
	guint64 n_clamped;
	guint64 est_pos;            /* bytes read, when ftell() cannot say */
};

/* libpcap's messages for a file it does not recognise are terse; say what
 * the user needs to know instead and keep libpcap's words after it. */
static const char *explain_open_failure(const char *msg)
{
	if (strstr(msg, "unknown file format"))
		return "not a pcap or pcapng capture file";
	if (strstr(msg, "truncated dump file") || strstr(msg, "truncated pcapng"))
		return "capture file header is truncated";
	return "cannot read capture file";
}

ss_file_source *ss_file_source_open_stream(FILE *fp, const char *name, const char *filter,
					   GError **error)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";

	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO,
							     errbuf);
	if (!p) {
		/* fp stays the caller's: libpcap has not taken it over. */
		g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: %s (libpcap: %s)", name,
			    explain_open_failure(errbuf), errbuf);
		return NULL;
	}

	if (filter && *filter) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			g_set_error(error, SS_ERROR, SS_ERROR_USAGE, "bad filter \"%s\": %s", filter,
				    pcap_geterr(p));
			pcap_close(p);   /* closes fp too */
			return NULL;
		}
		int rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			g_set_error(error, SS_ERROR, SS_ERROR_USAGE, "cannot install filter \"%s\": %s",
				    filter, pcap_geterr(p));
			pcap_close(p);
			return NULL;
		}
	}

	ss_file_source *src = g_new0(ss_file_source, 1);
	src->name = g_strdup(name);
	src->pcap = p;
	struct stat st;
	src->size = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) ? (gint64)st.st_size : -1;
	return src;
}

ss_file_source *ss_file_source_open(const char *path, const char *filter, GError **error)
{
	FILE *fp;
	gboolean is_stdin = strcmp(path, "-") == 0;

	if (is_stdin) {
		fp = stdin;
	} else {
		fp = fopen(path, "rb");
		if (!fp) {
			int e = errno;
			g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: cannot open: %s", path,
				    g_strerror(e));
			return NULL;
		}
		struct stat st;
		if (fstat(fileno(fp), &st) == 0) {
			const char *why = NULL;
			if (S_ISDIR(st.st_mode))
				why = "is a directory, not a capture file";
			else if (S_ISREG(st.st_mode) && st.st_size == 0)
				why = "empty file (no capture header)";
			if (why) {
				fclose(fp);
				g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: %s", path, why);
				return NULL;
			}
		}
	}

	/* A pcap open failure leaves fp to us; a filter failure has closed it
	 * already (pcap_close; libpcap never closes stdin). */
	GError *local = NULL;
	ss_file_source *src = ss_file_source_open_stream(fp, path, filter, &local);
	if (!src) {
		if (!is_stdin && local->code == SS_ERROR_INPUT)
			fclose(fp);
		g_propagate_error(error, local);
	}
	return src;
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* -r DIR: every regular file in it, by name; those libpcap does not open
 * are skipped with a warning. */
static gboolean open_dir(const char *dir, const char *filter, GPtrArray *sources,
			 GPtrArray *warnings, GError **error)
{
	GError *local = NULL;
	GDir *d = g_dir_open(dir, 0, &local);
	if (!d) {
		g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: cannot read the directory: %s",
			    dir, local->message);
		g_error_free(local);
		return FALSE;
	}
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(d)))
		g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	g_ptr_array_sort(names, cmp_names);

	guint opened = 0;
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < names->len; i++) {
		char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			ss_file_source *src = ss_file_source_open(path, filter, &local);
			if (src) {
				g_ptr_array_add(sources, src);
				opened++;
			} else if (local->code == SS_ERROR_INPUT) {
				g_ptr_array_add(warnings, g_strdup_printf("%s; skipped", local->message));
				g_clear_error(&local);
			} else {
				g_propagate_error(error, local);
				local = NULL;
				ok = FALSE;
			}
		}
		g_free(path);
	}
	g_ptr_array_unref(names);
	if (ok && opened == 0) {
		g_set_error(error, SS_ERROR, SS_ERROR_INPUT,
			    "%s: no capture file in the directory", dir);
		ok = FALSE;
	}
	return ok;
}

gboolean ss_file_sources_open(char **paths, const char *filter, GPtrArray *sources,
			      GPtrArray *warnings, GError **error)
{
	for (guint i = 0; paths[i]; i++) {
		struct stat st;
		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!open_dir(paths[i], filter, sources, warnings, error))
				return FALSE;
			continue;
		}
		ss_file_source *src = ss_file_source_open(paths[i], filter, error);
		if (!src)
			return FALSE;
		g_ptr_array_add(sources, src);
	}
	return TRUE;
}

void ss_file_source_close(ss_file_source *src)
{
	if (!src)
		return;
	pcap_close(src->pcap);   /* also closes the FILE, stdin included */
	g_free(src->name);
	g_free(src);
}

/* The pcap header's LinkType field keeps the link type in its low 16 bits;
 * bits 16-25 are reserved and the FCS bits 26-31 optional.  libpcap 1.10
 * strips only the FCS bits (LT_LINKTYPE() there is & 0x03FFFFFF), so a file
 * whose writer left reserved bits set came out as link type 0x03FF0001
 * instead of Ethernet and nothing in it was decoded (tests/scripts/
 * make-malformed.py, case linktype-upper-bits).  Ignore the reserved bits:
 * they carry nothing sockscope could use, and every DLT value fits in 16
 * bits.  (A BPF filter is still compiled by libpcap for its own value.) */
static int file_dlt(pcap_t *p)
{
	return pcap_datalink(p) & 0xffff;
}

int ss_file_source_dlt(const ss_file_source *src)
{
	return file_dlt(src->pcap);
}

/* pcapng timestamps are 64-bit counts of if_tsresol units, so libpcap can
 * hand over a tv_sec far beyond what gint64 nanoseconds hold (any damaged
 * or fuzzed pcapng file may carry one; UBSan caught a crafted one here):
 * multiplying blindly is signed overflow, undefined behaviour.  Clamp to
 * +-4e9 s (years 1843..2096), which also keeps any difference of two
 * timestamps (durations, RTTs, idle gaps in conn.c) inside gint64 and far
 * from SS_NO_TIME (G_MININT64).
 * tv_usec holds nanoseconds (we asked for nano); from a bogus pcap record it
 * can be off by seconds but stays within +-2^31 * 1000. */
#define SS_TS_MAX_SEC G_GINT64_CONSTANT(4000000000)

static gint64 timestamp_ns(const struct timeval *tv, gboolean *clamped)
{
	gint64 sec = (gint64)tv->tv_sec;
	if (sec > SS_TS_MAX_SEC || sec < -SS_TS_MAX_SEC) {
		*clamped = TRUE;
		return (sec > 0 ? SS_TS_MAX_SEC : -SS_TS_MAX_SEC) * G_GINT64_CONSTANT(1000000000);
	}
	return sec * G_GINT64_CONSTANT(1000000000) + (gint64)tv->tv_usec;
}

gint64 ss_file_source_size(const ss_file_source *src)
{
	return src->size;
}

/* ---- reading: one file, or several merged by time ---- */

static void source_begin(ss_file_source *src, ss_analyzer *a)
{
	int dlt = file_dlt(src->pcap);
	const char *link_name = pcap_datalink_val_to_name(dlt);
	char numeric[32];
	if (!link_name) {
		g_snprintf(numeric, sizeof numeric, "DLT_%d", dlt);
		link_name = numeric;
	}
	src->in = ss_analyzer_begin_input(a, src->name, dlt, link_name, FALSE);
	src->rc = 0;
	src->n_clamped = 0;
	src->est_pos = 24;   /* a pcap file header */
}

/* Reads the next packet into src->hdr/data/ts; FALSE at the end of the
 * file or on an error (src->rc says which). */
static gboolean source_next(ss_file_source *src)
{
	src->rc = pcap_next_ex(src->pcap, &src->hdr, &src->data);
	if (src->rc != 1)
		return FALSE;
	gboolean clamped = FALSE;
	src->ts = timestamp_ns(&src->hdr->ts, &clamped);
	src->n_clamped += clamped;
	src->est_pos += 16 + src->hdr->caplen;
	return TRUE;
}

/* The warnings of one input, once reading is over; FALSE with an
 * SS_ERROR_DAMAGED error when it ended in a damaged record. */
static gboolean source_end(ss_file_source *src, ss_analyzer *a, GError **error)
{
	ss_input *in = src->in;
	if (src->n_clamped > 0)
		ss_analyzer_warn(a, "%s: %" G_GUINT64_FORMAT " packets have timestamps outside"
				 " the years 1843..2096 (a damaged file?); they were clamped",
				 src->name, src->n_clamped);

	if (!ss_link_supported(in->dlt))
		ss_analyzer_warn(a, "%s: link type %s (%d) is not supported: %" G_GUINT64_FORMAT
				 " packets counted, not decoded", src->name, in->link_name, in->dlt,
				 in->packets);

	if (src->rc == PCAP_ERROR) {
		const char *msg = pcap_geterr(src->pcap);
		/* libpcap (1.10) reads a pcapng file only while every interface
		 * has the first one's link type and snapshot length, and stops
		 * at a later IDB that differs.  Such a file is valid, so do not
		 * call it damaged (pcapng-test-generator files do this). */
		const char *why = strstr(msg, "different from the") ?
			"libpcap cannot read the rest of the file (its interfaces differ)" :
			"the rest of the file is damaged";
		in->error = g_strdup(msg);
		GError *e = g_error_new(SS_ERROR, SS_ERROR_DAMAGED,
					"%s: reading stopped after %" G_GUINT64_FORMAT
					" packets, %s (libpcap: %s)", src->name, in->packets, why, msg);
		ss_analyzer_warn(a, "%s", e->message);
		g_propagate_error(error, e);
		return FALSE;
	}
	return TRUE;
}

/* Bytes of all inputs read so far, for the progress line. */
static guint64 sources_position(ss_file_source **srcs, guint n)
{
	guint64 sum = 0;
	for (guint i = 0; i < n; i++) {
		FILE *fp = pcap_file(srcs[i]->pcap);
		long pos = fp && srcs[i]->size >= 0 ? ftell(fp) : -1;
		sum += pos >= 0 ? (guint64)pos : srcs[i]->est_pos;
	}
	return sum;
}

/* The merge: a binary min-heap of source indexes keyed by the timestamp of
 * each source's read-ahead packet (ties: the earlier input first, so the
 * order is the same on every run).  Each source holds one packet in
 * libpcap's buffer; nothing is copied. */
static gboolean heap_less(ss_file_source **srcs, guint i, guint j)
{
	gint64 a = srcs[i]->ts, b = srcs[j]->ts;
	return a < b || (a == b && i < j);
}

static void heap_down(ss_file_source **srcs, guint *heap, guint len, guint pos)
{
	for (;;) {
		guint l = 2 * pos + 1, r = l + 1, m = pos;
		if (l < len && heap_less(srcs, heap[l], heap[m]))
			m = l;
		if (r < len && heap_less(srcs, heap[r], heap[m]))
			m = r;
		if (m == pos)
			return;
		guint t = heap[m];
		heap[m] = heap[pos];
		heap[pos] = t;
		pos = m;
	}
}

/* Packets between two looks at the clock for the progress line. */
#define PROGRESS_EVERY 4096

gboolean ss_file_sources_read(ss_file_source **srcs, guint n, ss_analyzer *a,
			      guint64 *budget, ss_progress *progress, GError **error)
{
	for (guint i = 0; i < n; i++)
		source_begin(srcs[i], a);

	guint *heap = g_new(guint, MAX(n, 1u));
	guint len = 0;
	if (!budget || *budget > 0) {
		for (guint i = 0; i < n; i++)
			if (source_next(srcs[i]))
				heap[len++] = i;
		for (guint i = len / 2; i-- > 0;)
			heap_down(srcs, heap, len, i);
	}

	guint64 tick = 0;
	while (len > 0) {
		ss_file_source *src = srcs[heap[0]];
		/* Analysed before its source reads on: libpcap reuses the buffer. */
		ss_analyzer_use_input(a, src->in);
		ss_analyzer_packet(a, src->ts, src->data, src->hdr->caplen, src->hdr->len);
		if (budget && --(*budget) == 0)
			break;
		if (source_next(src)) {
			heap_down(srcs, heap, len, 0);
		} else {
			heap[0] = heap[--len];   /* that input is finished (or damaged) */
			heap_down(srcs, heap, len, 0);
		}
		if (progress && ++tick % PROGRESS_EVERY == 0 && ss_progress_due(progress))
			ss_progress_draw(progress, sources_position(srcs, n));
	}
	g_free(heap);

	/* Warnings in input order; a damaged input has not stopped the others. */
	gboolean ok = TRUE;
	for (guint i = 0; i < n; i++)
		if (!source_end(srcs[i], a, ok ? error : NULL))
			ok = FALSE;
	return ok;
}

gboolean ss_file_source_read(ss_file_source *src, ss_analyzer *a, guint64 *budget,
			     GError **error)
{
	return ss_file_sources_read(&src, 1, a, budget, NULL, error);
}
