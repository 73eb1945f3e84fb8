/* What io/source-file.c (opening inputs, directories, filters, parking)
 * and io/source-merge.c (reading them, merged by packet time) share: the
 * file source's state and the helpers both halves call.  Private to those
 * two files; everyone else uses sockscope/source.h. */
#ifndef SOCKSCOPE_IO_SOURCE_FILE_INTERNAL_H
#define SOCKSCOPE_IO_SOURCE_FILE_INTERNAL_H

#include <pcap/pcap.h>
#include <sys/types.h>

#include "io/capfile.h"
#include "sockscope/source.h"

/* What the source keeps per interface of its file. */
typedef struct {
	ss_input *in;              /* shared by the interfaces of one link type */
	int dlt;
	gboolean filtered;         /* prog holds the compiled filter */
	gboolean skip;             /* the filter cannot apply: packets skipped */
	struct bpf_program prog;
} src_iface;

struct ss_file_source {
	char *name;
	char *path;                 /* to open again after parking; NULL: never parked */
	int fd;                     /* -1 while parked, or for a stdio stream */
	FILE *fp;                   /* ss_file_source_open_stream(): owned */
	gboolean close_fd;          /* FALSE for standard input */
	dev_t dev;
	ino_t ino;
	ss_capfile *cf;
	gint64 size;                /* bytes of a regular file, -1 otherwise */
	char *filter;               /* NULL: none */
	GArray *ifs;                /* src_iface, by the file's interface index */

	/* While reading (ss_file_sources_read) */
	ss_capfile_packet pkt;      /* the packet read ahead */
	ss_input *pkt_in;
	gint64 ts;
	int rc;                     /* the last ss_capfile_next() result */
	char *reopen_error;         /* parked and could not be opened again */
	guint64 n_clamped;
	guint64 last_use;           /* for parking the least recently used */
};

/* LINKTYPE_ (what files hold) to DLT_ (what libpcap and ss_decode take). */
int file_source_link_dlt(guint32 linktype);
/* libpcap's name for a DLT, or "DLT_<n>" written into numeric. */
const char *file_source_link_name(int dlt, char *numeric, gsize size);
/* Compiles the filter for one interface's link type.  FALSE with
 * libpcap's words in *why when it cannot apply there. */
gboolean file_source_compile_filter(const char *filter, int dlt, struct bpf_program *prog,
				    char **why);
/* How many inputs may hold a descriptor at once. */
guint file_source_open_window(void);
gboolean file_source_can_park(const ss_file_source *src);
void file_source_park(ss_file_source *src);
/* Opens a parked input again; FALSE (reopen_error set) when the file is
 * gone or is no longer the same file. */
gboolean file_source_unpark(ss_file_source *src);

#endif
