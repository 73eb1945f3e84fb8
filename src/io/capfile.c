/* The capture-file reader: classic pcap (both byte orders, microsecond and
 * nanosecond, and the old "modified" variant libpcap still reads) and
 * pcapng (every section, every interface with its own link type, snap
 * length, if_tsresol and if_tsoffset; EPB, SPB and the obsolete PB; other
 * blocks skipped by their length), gzip-compressed or not.
 *
 * Why our own and not libpcap's (docs/capture-files.md says more): libpcap
 * 1.10 stops at the first pcapng interface whose link type or snap length
 * differs from the first one's, cannot read a later section in the other
 * byte order, and reads classic pcap through stdio (a copy per packet
 * through fread).  This reader does one read(2) per 128 KiB into a buffer
 * it reuses, hands out pointers into that buffer, and trusts no length:
 * every one is checked against what the file holds and against a maximum
 * block size before anything is allocated.  libpcap stays for live
 * capture and for compiling BPF filters.
 *
 * Layers: the byte layer (ensure(): make n bytes visible at buf[start],
 * reading or inflating more as needed) under the two format parsers. */
#include "io/capfile.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

/* ---- the byte layer ---- */

static gssize raw_read(ss_capfile *f, guint8 *p, gsize n)
{
	if (f->fp) {
		size_t r = fread(p, 1, n, f->fp);
		if (r == 0 && ferror(f->fp)) {
			errno = EIO;
			return -1;
		}
		f->raw_pos += r;
		return (gssize)r;
	}
	for (;;) {
		ssize_t r = read(f->fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			f->raw_pos += (guint64)r;
		return r;
	}
}

static void set_error(ss_capfile *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_error(ss_capfile *f, const char *fmt, ...)
{
	if (f->error)
		return;   /* the first cause is the one to tell */
	va_list ap;
	va_start(ap, fmt);
	f->error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

/* Inflates up to n bytes into out; 0 at the end of the last gzip member
 * (concatenated members are read on, as gunzip does), -1 on damage. */
static gssize fill_gzip(ss_capfile *f, guint8 *out, gsize n)
{
	z_stream *z = f->z;
	z->next_out = out;
	z->avail_out = (uInt)MIN(n, (gsize)G_MAXUINT32);
	uInt want = z->avail_out;
	while (z->avail_out == want) {
		if (z->avail_in == 0 && !f->z_in_eof) {
			if (!f->zbuf)
				f->zbuf = g_malloc(BUF_SIZE);
			gssize r = raw_read(f, f->zbuf, BUF_SIZE);
			if (r < 0) {
				set_error(f, "read error: %s", g_strerror(errno));
				return -1;
			}
			f->z_in_eof = r == 0;
			z->next_in = f->zbuf;
			z->avail_in = (uInt)r;
		}
		if (f->z_member_done) {
			if (z->avail_in == 0)
				return 0;   /* the input is over too */
			inflateReset(z);
			f->z_member_done = FALSE;
		}
		int rc = inflate(z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			f->z_member_done = TRUE;
			if (z->avail_in == 0 && f->z_in_eof)
				break;
			continue;
		}
		if (rc == Z_BUF_ERROR && z->avail_in == 0) {
			if (!f->z_in_eof)
				continue;
			set_error(f, "the gzip stream is cut short");
			return -1;
		}
		if (rc != Z_OK) {
			set_error(f, "the gzip data is damaged (zlib: %s)", z->msg ? z->msg : "error");
			return -1;
		}
	}
	return (gssize)(want - z->avail_out);
}

/* Makes n bytes visible at buf[start]: 1; 0 when the file ends first;
 * -1 on a read error or damaged gzip data (f->error says which).  Moves
 * the unparsed bytes to the front, so pointers into buf die here. */
static int ensure(ss_capfile *f, gsize n)
{
	if (f->end - f->start >= n)
		return 1;
	if (f->start > 0) {
		memmove(f->buf, f->buf + f->start, f->end - f->start);
		f->end -= f->start;
		f->start = 0;
	}
	if (f->cap < MAX(n, BUF_SIZE)) {
		f->cap = MAX(n, BUF_SIZE);
		f->buf = g_realloc(f->buf, f->cap);
	}
	while (f->end < n) {
		if (f->eof)
			return 0;
		gssize r;
		if (f->z) {
			r = fill_gzip(f, f->buf + f->end, f->cap - f->end);
		} else {
			r = raw_read(f, f->buf + f->end, f->cap - f->end);
			if (r < 0)
				set_error(f, "read error: %s", g_strerror(errno));
		}
		if (r < 0)
			return -1;
		if (r == 0)
			f->eof = TRUE;
		f->end += (gsize)r;
	}
	return 1;
}

static void consume(ss_capfile *f, gsize n)
{
	f->start += n;
	f->offset += n;
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

/* ---- timestamps ---- */

#define NS_PER_S G_GINT64_CONSTANT(1000000000)

static gint64 clamp_ns(__int128 ns, gboolean *clamped)
{
	const __int128 lim = (__int128)SS_CAPFILE_TS_MAX_SEC * NS_PER_S;
	if (ns > lim || ns < -lim) {
		*clamped = TRUE;
		return ns > 0 ? (gint64)lim : -(gint64)lim;
	}
	return (gint64)ns;
}

static gint64 iface_ts(const ss_capfile_iface *i, guint64 units, gboolean *clamped)
{
	__int128 ns;
	if (i->shift)
		ns = (__int128)(((unsigned __int128)units * (guint64)NS_PER_S) >> (i->shift - 1));
	else if (i->div == 1)
		ns = (__int128)((unsigned __int128)units * i->mul);
	else
		ns = (__int128)(units / i->div);
	ns += (__int128)i->offset_s * NS_PER_S;
	return clamp_ns(ns, clamped);
}

/* if_tsresol: base 10 (bit 7 clear) or base 2; FALSE for a power of ten
 * beyond what 64-bit units can mean (finer than 10^-28 s). */
static gboolean set_tsresol(ss_capfile_iface *i, guint8 v)
{
	i->mul = 1;
	i->div = 1;
	i->shift = 0;
	if (v & 0x80) {
		i->shift = (v & 0x7f) + 1u;   /* stored +1 so that 0 means base 10 */
		return TRUE;
	}
	if (v > 28)
		return FALSE;
	for (guint e = v; e < 9; e++)
		i->mul *= 10;
	for (guint e = 9; e < v; e++)
		i->div *= 10;
	return TRUE;
}

/* ---- classic pcap ---- */

static gboolean open_pcap(ss_capfile *f, guint32 magic, char **why)
{
	const guint8 *h = f->buf + f->start;
	switch (magic) {
	case 0xa1b2c3d4: f->frac_mul = 1000; f->hdr_len = 16; break;
	case 0xa1b23c4d: f->frac_mul = 1;    f->hdr_len = 16; break;
	case 0xa1b2cd34: f->frac_mul = 1000; f->hdr_len = 24; break;   /* "modified" pcap */
	default: g_assert_not_reached();
	}
	guint16 major = rd16(f, h + 4), minor = rd16(f, h + 6);
	if (major < 2) {
		*why = g_strdup_printf("archaic pcap file format (version %u.%u)", major, minor);
		return FALSE;
	}
	/* libpcap's sf-pcap.c: 2.3 files may, older ones do, swap the two
	 * length fields of each record. */
	if (major == 2 && minor < 3)
		f->lengths_swapped = LEN_SWAPPED;
	else if ((major == 2 && minor == 3) || major == 543)
		f->lengths_swapped = major == 543 ? LEN_SWAPPED : LEN_MAYBE_SWAPPED;
	else
		f->lengths_swapped = LEN_NOT_SWAPPED;

	ss_capfile_iface i = { 0 };
	i.linktype = rd32(f, h + 20);
	i.snaplen = rd32(f, h + 16);
	i.mul = f->frac_mul;
	i.div = 1;
	/* As libpcap does: a bogus snap length means "the maximum". */
	f->snaplen = i.snaplen == 0 || i.snaplen > SS_CAPFILE_MAX_SNAPLEN ?
		SS_CAPFILE_MAX_SNAPLEN : i.snaplen;
	g_array_append_val(f->ifaces, i);
	consume(f, 24);
	return TRUE;
}

static int next_pcap(ss_capfile *f, ss_capfile_packet *pkt)
{
	int r = ensure(f, f->hdr_len);
	if (r <= 0) {
		if (r == 0 && f->end == f->start)
			return 0;   /* the end, between two records */
		if (r == 0)
			set_error(f, "truncated: the file ends %zu bytes into a %u-byte record header"
				  " at offset %" G_GUINT64_FORMAT, f->end - f->start, f->hdr_len,
				  f->offset);
		return -1;
	}
	const guint8 *h = f->buf + f->start;
	guint32 sec = rd32(f, h), frac = rd32(f, h + 4);
	guint32 caplen = rd32(f, h + 8), len = rd32(f, h + 12);
	if (f->lengths_swapped == LEN_SWAPPED ||
	    (f->lengths_swapped == LEN_MAYBE_SWAPPED && caplen > len)) {
		guint32 t = caplen;
		caplen = len;
		len = t;
	}
	if (caplen > SS_CAPFILE_MAX_SNAPLEN) {
		set_error(f, "a record at offset %" G_GUINT64_FORMAT " claims %u captured bytes,"
			  " more than the maximum of %u", f->offset, caplen, SS_CAPFILE_MAX_SNAPLEN);
		return -1;
	}
	/* Seconds are unsigned: 2^31 and later are 2038..2106, as tshark says. */
	gint64 ts = (gint64)sec * NS_PER_S + (gint64)frac * f->frac_mul;
	gsize need = (gsize)f->hdr_len + caplen;
	r = ensure(f, need);
	if (r <= 0) {
		if (r == 0)
			set_error(f, "truncated: the file ends %zu bytes into a %u-byte packet"
				  " at offset %" G_GUINT64_FORMAT,
				  f->end - f->start - f->hdr_len, caplen, f->offset + f->hdr_len);
		return -1;
	}
	pkt->data = f->buf + f->start + f->hdr_len;
	/* libpcap 1.10 hands over at most the header's snap length and skips
	 * the rest of such a record (tests/scripts/make-malformed.py). */
	pkt->caplen = MIN(caplen, f->snaplen);
	pkt->wirelen = len;
	pkt->ts_ns = ts;
	pkt->clamped = FALSE;
	pkt->iface = 0;
	consume(f, need);
	return 1;
}

/* ---- pcapng ---- */

/* Walks an IDB's options for if_tsresol and if_tsoffset.  A damaged
 * option list ends the walk (the interface keeps its defaults so far): the
 * packets matter more than the metadata. */
static gboolean idb_options(ss_capfile *f, ss_capfile_iface *i, const guint8 *p, gsize len)
{
	while (len >= 4) {
		guint16 code = rd16(f, p), olen = rd16(f, p + 2);
		gsize padded = ((gsize)olen + 3) & ~(gsize)3;
		if (code == 0 || padded > len - 4)
			break;
		if (code == 9 && olen >= 1 && !set_tsresol(i, p[4]))
			return FALSE;
		if (code == 14 && olen >= 8)
			i->offset_s = (gint64)rd64(f, p + 4);
		p += 4 + padded;
		len -= 4 + padded;
	}
	return TRUE;
}

/* A block whose type and length are known and whose bytes are all in
 * buf: one of ours, or skipped.  1 = a packet in *pkt, 0 = go on,
 * -1 = damaged. */
static int pcapng_block(ss_capfile *f, guint32 type, const guint8 *b, gsize blen,
			ss_capfile_packet *pkt)
{
	guint n_sec = f->ifaces->len - f->section_base;
	guint32 ifid, caplen, wirelen;
	guint64 units;
	const guint8 *data;

	switch (type) {
	case SHB_TYPE: {
		if (blen < 16) {
			set_error(f, "a section header of %zu bytes at offset %" G_GUINT64_FORMAT
				  " is too short", blen + 12, f->offset);
			return -1;
		}
		guint16 major = rd16(f, b + 4);
		if (major != 1) {
			set_error(f, "section at offset %" G_GUINT64_FORMAT " has pcapng version %u,"
				  " not 1", f->offset, major);
			return -1;
		}
		if (f->seen_shb)
			f->section++;
		f->seen_shb = TRUE;
		f->section_base = f->ifaces->len;   /* interface ids start again */
		return 0;
	}
	case 1: {   /* IDB */
		if (blen < 8) {
			set_error(f, "an interface description at offset %" G_GUINT64_FORMAT
				  " is too short", f->offset);
			return -1;
		}
		if (f->ifaces->len >= MAX_IFACES) {
			set_error(f, "more than %u interfaces", MAX_IFACES);
			return -1;
		}
		ss_capfile_iface i = { 0 };
		i.linktype = rd16(f, b);
		i.snaplen = rd32(f, b + 4);
		i.section = f->section;
		i.section_id = n_sec;
		set_tsresol(&i, 6);   /* the default: microseconds */
		if (!idb_options(f, &i, b + 8, blen - 8)) {
			set_error(f, "interface %u at offset %" G_GUINT64_FORMAT " has a timestamp"
				  " resolution finer than 10^-28 s", n_sec, f->offset);
			return -1;
		}
		g_array_append_val(f->ifaces, i);
		return 0;
	}
	case 6:     /* EPB */
	case 2:     /* PB, obsolete: a 16-bit interface id and a drop count */
		if (blen < 20) {
			set_error(f, "a packet block at offset %" G_GUINT64_FORMAT " is too short",
				  f->offset);
			return -1;
		}
		ifid = type == 6 ? rd32(f, b) : rd16(f, b);
		units = (guint64)rd32(f, b + 4) << 32 | rd32(f, b + 8);
		caplen = rd32(f, b + 12);
		wirelen = rd32(f, b + 16);
		if (caplen > blen - 20) {
			set_error(f, "a packet block at offset %" G_GUINT64_FORMAT " claims %u"
				  " captured bytes but holds %zu", f->offset, caplen, blen - 20);
			return -1;
		}
		data = b + 20;
		break;
	case 3:     /* SPB: interface 0, no time, caplen from the block */
		if (blen < 4) {
			set_error(f, "a simple packet block at offset %" G_GUINT64_FORMAT
				  " is too short", f->offset);
			return -1;
		}
		ifid = 0;
		units = 0;
		wirelen = rd32(f, b);
		caplen = (guint32)MIN((gsize)wirelen, blen - 4);
		if (n_sec > 0) {
			guint32 snap = g_array_index(f->ifaces, ss_capfile_iface, f->section_base).snaplen;
			if (snap)
				caplen = MIN(caplen, snap);
		}
		data = b + 4;
		break;
	default:
		return 0;   /* NRB, ISB, DSB, custom...: nothing sockscope uses */
	}

	if (ifid >= n_sec) {
		set_error(f, "a packet at offset %" G_GUINT64_FORMAT " names interface %u, but its"
			  " section describes %u", f->offset, ifid, n_sec);
		return -1;
	}
	pkt->iface = f->section_base + ifid;
	const ss_capfile_iface *i = &g_array_index(f->ifaces, ss_capfile_iface, pkt->iface);
	pkt->clamped = FALSE;
	/* An SPB has no time: it is given its predecessor's, so it neither
	 * moves the capture's span nor counts as going backwards. */
	pkt->ts_ns = type == 3 ? f->last_ts : iface_ts(i, units, &pkt->clamped);
	f->last_ts = pkt->ts_ns;
	pkt->data = data;
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	return 1;
}

/* Reads blocks until a packet (1), the end (0) or damage (-1).  With
 * until_iface, stops (1, pkt untouched) once the file has an interface:
 * what opening needs. */
static int next_pcapng(ss_capfile *f, ss_capfile_packet *pkt, gboolean until_iface)
{
	for (;;) {
		if (until_iface && f->ifaces->len > 0)
			return 1;
		int r = ensure(f, 12);
		if (r <= 0) {
			if (r == 0 && f->end == f->start)
				return 0;
			if (r == 0)
				set_error(f, "truncated: the file ends %zu bytes into a block header at"
					  " offset %" G_GUINT64_FORMAT, f->end - f->start, f->offset);
			return -1;
		}
		const guint8 *p = f->buf + f->start;
		guint32 type = rd32(f, p);
		if (type == SHB_TYPE) {
			/* A new section may switch the byte order: its magic says. */
			guint32 bom;
			memcpy(&bom, p + 8, 4);
			if (bom == BOM)
				f->swapped = FALSE;
			else if (bom == GUINT32_SWAP_LE_BE(BOM))
				f->swapped = TRUE;
			else {
				set_error(f, "a section header at offset %" G_GUINT64_FORMAT " has no"
					  " byte-order magic", f->offset);
				return -1;
			}
		} else if (!f->seen_shb) {
			set_error(f, "the file does not start with a section header");
			return -1;
		}
		guint32 len = rd32(f, p + 4);
		if (len < 12 || len % 4 != 0 || len > SS_CAPFILE_MAX_BLOCK) {
			set_error(f, "a block at offset %" G_GUINT64_FORMAT " has an impossible length"
				  " (%u bytes)", f->offset, len);
			return -1;
		}
		r = ensure(f, len);
		if (r <= 0) {
			if (r == 0)
				set_error(f, "truncated: the file ends %zu bytes into a %u-byte block at"
					  " offset %" G_GUINT64_FORMAT, f->end - f->start, len, f->offset);
			return -1;
		}
		p = f->buf + f->start;
		if (rd32(f, p + len - 4) != len) {
			set_error(f, "the block at offset %" G_GUINT64_FORMAT " does not end with its"
				  " length (%u)", f->offset, len);
			return -1;
		}
		r = pcapng_block(f, type, p + 8, len - 12, pkt);
		if (r < 0)
			return -1;
		consume(f, len);   /* pkt->data stays valid: nothing moves before the next ensure() */
		if (r == 1)
			return 1;
	}
}

/* ---- the interface ---- */

static gboolean is_gzip(const guint8 *p)
{
	return p[0] == 0x1f && p[1] == 0x8b;
}

ss_capfile *ss_capfile_open(int fd, FILE *fp, char **why)
{
	ss_capfile *f = g_new0(ss_capfile, 1);
	f->fd = fd;
	f->fp = fp;
	f->ifaces = g_array_new(FALSE, FALSE, sizeof(ss_capfile_iface));
	*why = NULL;

	int r = ensure(f, 2);
	if (r > 0 && is_gzip(f->buf)) {
		/* Inflate from here on: the two bytes seen go back in as input. */
		f->z = g_new0(z_stream, 1);
		if (inflateInit2(f->z, 15 + 16) != Z_OK) {
			g_free(f->z);
			f->z = NULL;
			*why = g_strdup("cannot start zlib");
			ss_capfile_free(f);
			return NULL;
		}
		f->zbuf = g_malloc(BUF_SIZE);
		memcpy(f->zbuf, f->buf, f->end);
		f->z->next_in = f->zbuf;
		f->z->avail_in = (uInt)f->end;
		f->z_in_eof = f->eof;
		f->eof = FALSE;
		f->start = f->end = 0;
	}
	if (r >= 0)
		r = ensure(f, 4);
	if (r < 0) {
		*why = g_strdup(f->error ? f->error : "read error");
		ss_capfile_free(f);
		return NULL;
	}
	if (r == 0) {
		*why = g_strdup(f->end == 0 ? "empty file (no capture header)" :
				"capture file header is truncated");
		ss_capfile_free(f);
		return NULL;
	}

	guint32 magic;
	memcpy(&magic, f->buf, 4);
	guint32 other = GUINT32_SWAP_LE_BE(magic);
	gboolean ok = FALSE;
	if (magic == SHB_TYPE) {
		f->format = SS_CAPFILE_PCAPNG;
		r = next_pcapng(f, NULL, TRUE);
		ok = r == 1;
		if (r == 0)
			*why = g_strdup("a pcapng file without any interface description");
	} else if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d || magic == 0xa1b2cd34 ||
		   other == 0xa1b2c3d4 || other == 0xa1b23c4d || other == 0xa1b2cd34) {
		f->format = SS_CAPFILE_PCAP;
		f->swapped = other == 0xa1b2c3d4 || other == 0xa1b23c4d || other == 0xa1b2cd34;
		r = ensure(f, 24);
		if (r > 0)
			ok = open_pcap(f, f->swapped ? other : magic, why);
		else if (r == 0)
			*why = g_strdup("capture file header is truncated");
	} else {
		*why = g_strdup(f->z ? "a gzip file, but not of a pcap or pcapng capture" :
				"not a pcap or pcapng capture file");
	}
	if (!ok) {
		if (!*why) {
			const char *e = f->error ? f->error : "damaged";
			*why = g_str_has_prefix(e, "truncated") ? g_strdup("capture file header is truncated")
				: g_strdup_printf("capture file header is damaged: %s", e);
		}
		ss_capfile_free(f);
		return NULL;
	}
	return f;
}

void ss_capfile_free(ss_capfile *f)
{
	if (!f)
		return;
	if (f->z) {
		inflateEnd(f->z);
		g_free(f->z);
	}
	g_free(f->zbuf);
	g_free(f->buf);
	g_free(f->hold);
	g_array_free(f->ifaces, TRUE);
	g_free(f->error);
	g_free(f);
}

ss_capfile_format ss_capfile_get_format(const ss_capfile *f)
{
	return f->format;
}

gboolean ss_capfile_gzip(const ss_capfile *f)
{
	return f->z != NULL;
}

guint ss_capfile_n_ifaces(const ss_capfile *f)
{
	return f->ifaces->len;
}

const ss_capfile_iface *ss_capfile_get_iface(const ss_capfile *f, guint i)
{
	g_return_val_if_fail(i < f->ifaces->len, NULL);
	return &g_array_index(f->ifaces, ss_capfile_iface, i);
}

int ss_capfile_next(ss_capfile *f, ss_capfile_packet *pkt)
{
	if (f->error)
		return -1;
	return f->format == SS_CAPFILE_PCAP ? next_pcap(f, pkt) : next_pcapng(f, pkt, FALSE);
}

const char *ss_capfile_error(const ss_capfile *f)
{
	return f->error ? f->error : "";
}

guint64 ss_capfile_position(const ss_capfile *f)
{
	return f->raw_pos;
}

void ss_capfile_park(ss_capfile *f, ss_capfile_packet *pkt)
{
	g_return_if_fail(f->fd >= 0 && !f->fp);
	if (pkt && pkt->data) {
		/* Always a buffer, even for a 0-byte packet: memcpy() from or
		 * to NULL is undefined whatever the length (the fuzzer's find). */
		if (!f->hold || f->hold_cap < pkt->caplen) {
			f->hold_cap = MAX(pkt->caplen, 256u);
			f->hold = g_realloc(f->hold, f->hold_cap);
		}
		memcpy(f->hold, pkt->data, pkt->caplen);
		pkt->data = f->hold;
	}
	if (f->z) {
		/* Inflated bytes cannot be had again without the stream's state:
		 * keep the unparsed ones (a right-sized copy) and the state. */
		gsize left = f->end - f->start;
		guint8 *keep = g_memdup2(f->buf + f->start, left);
		g_free(f->buf);
		f->buf = keep;
		f->cap = left;
		f->start = 0;
		f->end = left;
		f->resume_at = f->raw_pos - f->z->avail_in;
		f->z->avail_in = 0;
		g_clear_pointer(&f->zbuf, g_free);
	} else {
		/* Plain bytes are read again from the file. */
		f->resume_at = f->raw_pos - (f->end - f->start);
		g_clear_pointer(&f->buf, g_free);
		f->cap = f->start = f->end = 0;
		if (!f->error)
			f->eof = FALSE;
	}
	f->raw_pos = f->resume_at;
	f->fd = -1;
}

gboolean ss_capfile_resume(ss_capfile *f, int fd)
{
	g_return_val_if_fail(f->fd < 0 && !f->fp, FALSE);
	if (lseek(fd, (off_t)f->resume_at, SEEK_SET) != (off_t)f->resume_at)
		return FALSE;
	f->fd = fd;
	return TRUE;
}
