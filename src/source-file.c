/* Saved-capture input through libpcap. */
#include "sockscope/source.h"
#include "sockscope/decode.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

G_DEFINE_QUARK(sockscope-error-quark, ss_error)

struct ss_file_source {
	char *name;
	pcap_t *pcap;
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

gboolean ss_file_source_read(ss_file_source *src, ss_analyzer *a, guint64 *budget,
			     GError **error)
{
	int dlt = file_dlt(src->pcap);
	const char *link_name = pcap_datalink_val_to_name(dlt);
	char numeric[32];
	if (!link_name) {
		g_snprintf(numeric, sizeof numeric, "DLT_%d", dlt);
		link_name = numeric;
	}
	ss_input *in = ss_analyzer_begin_input(a, src->name, dlt, link_name, FALSE);

	struct pcap_pkthdr *hdr;
	const u_char *data;
	int rc = 0;
	guint64 n_clamped = 0;
	while (!budget || *budget > 0) {
		rc = pcap_next_ex(src->pcap, &hdr, &data);
		if (rc != 1)
			break;
		gboolean clamped = FALSE;
		gint64 ts = timestamp_ns(&hdr->ts, &clamped);
		n_clamped += clamped;
		ss_analyzer_packet(a, ts, data, hdr->caplen, hdr->len);
		if (budget)
			(*budget)--;
	}

	if (n_clamped > 0)
		ss_analyzer_warn(a, "%s: %" G_GUINT64_FORMAT " packets have timestamps outside"
				 " the years 1843..2096 (a damaged file?); they were clamped",
				 src->name, n_clamped);

	if (!ss_link_supported(dlt))
		ss_analyzer_warn(a, "%s: link type %s (%d) is not supported: %" G_GUINT64_FORMAT
				 " packets counted, not decoded", src->name, link_name, dlt,
				 in->packets);

	if (rc == PCAP_ERROR) {
		const char *msg = pcap_geterr(src->pcap);
		/* libpcap (1.10) reads a pcapng file only while every interface
		 * has the first one's link type and snapshot length, and stops
		 * at a later IDB that differs.  Such a file is valid, so do not
		 * call it damaged (pcapng-test-generator files do this). */
		const char *why = strstr(msg, "different from the") ?
			"libpcap cannot read the rest of the file (its interfaces differ)" :
			"the rest of the file is damaged";
		in->error = g_strdup(msg);
		g_set_error(error, SS_ERROR, SS_ERROR_DAMAGED,
			    "%s: reading stopped after %" G_GUINT64_FORMAT " packets, %s (libpcap: %s)",
			    src->name, in->packets, why, msg);
		ss_analyzer_warn(a, "%s", (*error)->message);
		return FALSE;
	}
	return TRUE;
}
