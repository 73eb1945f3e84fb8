/* What the capture-file reader's three parts share (private to
 * capfile.c, capfile-pcap.c and capfile-pcapng.c): the reader's state,
 * the byte layer's calls and the byte-order-aware field reads.  Nothing
 * outside those files includes this; everyone else uses io/capfile.h. */
#ifndef SOCKSCOPE_IO_CAPFILE_INTERNAL_H
#define SOCKSCOPE_IO_CAPFILE_INTERNAL_H

#include <string.h>
#include <zlib.h>

#include "io/capfile.h"

/* read(2) size; also the gzip input buffer.  Big enough that the syscall
 * cost is lost in the per-packet work, small enough to keep hundreds of
 * open inputs cheap. */
#define BUF_SIZE (128u * 1024)
/* Interfaces in one file: each IDB is at least 20 bytes, so the file
 * bounds them already; this bounds the memory a tiny crafted file can ask. */
#define MAX_IFACES 65536u

#define SHB_TYPE 0x0A0D0D0Au
#define BOM 0x1A2B3C4Du

struct ss_capfile {
	int fd;
	FILE *fp;
	/* The byte layer: buf[start..end) is read but not yet parsed; `offset`
	 * is the file (or decompressed) offset of buf[start], for messages. */
	guint8 *buf;
	gsize cap, start, end;
	guint64 offset;
	guint64 raw_pos;            /* bytes read from fd/fp */
	gboolean eof;
	/* gzip: raw bytes in zbuf are inflated into buf */
	z_stream *z;
	guint8 *zbuf;
	gboolean z_in_eof, z_member_done;
	/* park/resume */
	guint64 resume_at;
	guint8 *hold;
	gsize hold_cap;

	ss_capfile_format format;
	gboolean swapped;           /* the current section is in the other byte order */
	/* classic pcap */
	guint32 frac_mul;           /* 1000 for us, 1 for ns */
	guint hdr_len;              /* 16, or 24 for the modified format */
	int lengths_swapped;        /* libpcap's rule for versions before 2.4 */
	guint32 snaplen;            /* the header's, adjusted as libpcap does */
	/* pcapng */
	GArray *ifaces;             /* ss_capfile_iface, every section's */
	guint section_base;         /* index of the current section's first interface */
	guint32 section;
	gboolean seen_shb;
	gint64 last_ts;             /* for SPBs, which carry no time */

	char *error;
};

enum { LEN_NOT_SWAPPED, LEN_SWAPPED, LEN_MAYBE_SWAPPED };

#define NS_PER_S G_GINT64_CONSTANT(1000000000)

/* ---- the byte layer (capfile.c) ---- */

void capfile_set_error(ss_capfile *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Makes n bytes visible at buf[start]: 1; 0 when the file ends first;
 * -1 on a read error or damaged gzip data (f->error says which).  Moves
 * the unparsed bytes to the front, so pointers into buf die here. */
int capfile_refill(ss_capfile *f, gsize n);
/* Inline: called twice a packet, and nearly always the bytes are there
 * (one refill per 128 KiB); out of line the two calls and capfile_consume
 * cost ~45 instructions a packet (callgrind, plain200k.pcap). */
static inline int capfile_ensure(ss_capfile *f, gsize n)
{
	if (G_LIKELY(f->end - f->start >= n))
		return 1;
	return capfile_refill(f, n);
}

static inline void capfile_consume(ss_capfile *f, gsize n)
{
	f->start += n;
	f->offset += n;
}

/* Called once a packet is handed over: asks for the two cache lines 512
 * bytes on (~4 packets of the bench captures), so that the packets after
 * it are in the cache when the parser and the decoder read them.  When a
 * read-ahead thread (removed in the twelfth session) wrote the bytes on
 * the other core, the first read of each line (the record header here,
 * the addresses and ports in the decoder) waited for it: packet-phase
 * samples on mixed.pcap -12% with these two hints, less at 1 024 bytes
 * on (perf; docs/performance.md, "Packet side, ninth session").  Now the
 * thread that parses also did the read(2), on its own core, and in a
 * threaded run it is off the critical path (the feeding thread): the
 * hints were not measured again there.
 * The bytes there may not be read yet, or lie past the buffer's end: a
 * prefetch is only a hint and never faults. */
static inline void capfile_prefetch_ahead(const ss_capfile *f)
{
	/* as an integer: the address may lie past the buffer, where C
	 * pointer arithmetic is undefined */
	guintptr ahead = (guintptr)(f->buf + f->start) + 512;
	__builtin_prefetch((const void *)ahead);
	__builtin_prefetch((const void *)(ahead + 64));
}

static inline guint32 rd32(const ss_capfile *f, const guint8 *p)
{
	guint32 v;
	memcpy(&v, p, 4);
	return f->swapped ? GUINT32_SWAP_LE_BE(v) : v;
}

static inline guint16 rd16(const ss_capfile *f, const guint8 *p)
{
	guint16 v;
	memcpy(&v, p, 2);
	return f->swapped ? GUINT16_SWAP_LE_BE(v) : v;
}

static inline guint64 rd64(const ss_capfile *f, const guint8 *p)
{
	guint64 v;
	memcpy(&v, p, 8);
	return f->swapped ? GUINT64_SWAP_LE_BE(v) : v;
}

/* ---- the format parsers ---- */

/* capfile-pcap.c: the 24-byte file header is in buf (magic in host order). */
gboolean capfile_open_pcap(ss_capfile *f, guint32 magic, char **why);
int capfile_next_pcap(ss_capfile *f, ss_capfile_packet *pkt);
/* capfile-pcapng.c: blocks until a packet (1), the end (0) or damage (-1);
 * with until_iface, stops (1) once the file has an interface. */
int capfile_next_pcapng(ss_capfile *f, ss_capfile_packet *pkt, gboolean until_iface);

#endif
