/* The capture-file reader (src/io/capfile.c): classic pcap and pcapng,
 * optionally gzip-compressed, read with read(2) into one reused buffer.
 *
 * Private to io/ (and its tests and fuzzer): source-file.c builds the
 * user-facing sources, filters and the merge on top of it. */
#ifndef SOCKSCOPE_IO_CAPFILE_H
#define SOCKSCOPE_IO_CAPFILE_H

#include <glib.h>
#include <stdio.h>

/* Largest pcapng block accepted (libpcap and Wireshark use 16 MiB too):
 * a length field above it is damage, not a reason to allocate. */
#define SS_CAPFILE_MAX_BLOCK (16u * 1024 * 1024)
/* Largest classic-pcap record (libpcap's MAXIMUM_SNAPLEN). */
#define SS_CAPFILE_MAX_SNAPLEN 262144u

typedef enum {
	SS_CAPFILE_PCAP,     /* classic libpcap format, either byte order, us or ns */
	SS_CAPFILE_PCAPNG,
} ss_capfile_format;

/* One interface: the classic file's header, or a pcapng IDB. */
typedef struct {
	guint32 linktype;       /* as written; the LINKTYPE value is its low 16 bits */
	guint32 snaplen;        /* 0: no limit */
	guint32 section;        /* pcapng section number (0 for the first) */
	guint32 section_id;     /* the interface id inside its section */
	/* timestamp units -> ns: ns = units * mul / div (base 10), or
	 * units * 1e9 >> shift (base 2); plus offset_s seconds */
	guint64 mul, div;
	guint shift;            /* base-2 resolution, 0 = base 10 */
	gint64 offset_s;        /* if_tsoffset */
	gboolean nanosecond;    /* finer than a microsecond */
} ss_capfile_iface;

typedef struct {
	gint64 ts_ns;           /* clamped to +-SS_CAPFILE_TS_MAX_SEC s */
	guint32 caplen, wirelen;
	const guint8 *data;     /* caplen bytes, valid until the next call on the file */
	guint iface;            /* index into the file's interfaces (all sections) */
	gboolean clamped;       /* the timestamp was out of range and clamped */
} ss_capfile_packet;

/* +-4.4e9 s (years 1830..2109): holds every classic-pcap time (unsigned
 * 32-bit seconds end in 2106) and keeps the difference of two timestamps
 * (8.8e18 ns) inside gint64, far from SS_NO_TIME (G_MININT64). */
#define SS_CAPFILE_TS_MAX_SEC G_GINT64_CONSTANT(4400000000)

typedef struct ss_capfile ss_capfile;

/* Opens a capture on an open file descriptor (read(2); the caller keeps
 * the fd and closes it after ss_capfile_free) or on a stdio stream
 * (fmemopen, used by the fuzzer and tests; fd = -1).  Reads the file
 * header (and a pcapng file up to its first interface); on failure
 * returns NULL with a message for the user in *why (g_free it), which
 * says whether the file is not a capture or is cut short. */
ss_capfile *ss_capfile_open(int fd, FILE *fp, char **why);
void ss_capfile_free(ss_capfile *f);

ss_capfile_format ss_capfile_get_format(const ss_capfile *f);
gboolean ss_capfile_gzip(const ss_capfile *f);
guint ss_capfile_n_ifaces(const ss_capfile *f);
const ss_capfile_iface *ss_capfile_get_iface(const ss_capfile *f, guint i);

/* The next packet: 1 and *pkt filled; 0 at the end of the file; -1 when
 * the file is damaged or cannot be read from there on (ss_capfile_error
 * says why, in one line).  Unknown pcapng blocks are skipped by length. */
int ss_capfile_next(ss_capfile *f, ss_capfile_packet *pkt);
const char *ss_capfile_error(const ss_capfile *f);

/* Bytes read from the file so far (compressed bytes for gzip). */
guint64 ss_capfile_position(const ss_capfile *f);

/* Lazy opening (more files than descriptors): park() copies the packet
 * last returned (pkt->data is repointed at the copy), remembers where to
 * go on and forgets the descriptor, which the caller then closes; resume()
 * gives it a descriptor of the same file again and seeks back.  Only
 * files opened on a descriptor can be parked; FALSE from resume() when
 * the seek fails (errno set). */
void ss_capfile_park(ss_capfile *f, ss_capfile_packet *pkt);
gboolean ss_capfile_resume(ss_capfile *f, int fd);

#endif
