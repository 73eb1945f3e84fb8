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
 * Layers: the byte layer (capfile_ensure(): make n bytes visible at
 * buf[start], reading or inflating more as needed) under the two format
 * parsers.  This file owns the byte layer (read(2)/stdio, gzip), opening
 * and format dispatch, and parking; capfile-pcap.c and capfile-pcapng.c
 * own the two formats; capfile-internal.h is what they share. */
#include "io/capfile-internal.h"

#include <errno.h>
#include <unistd.h>

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

void capfile_set_error(ss_capfile *f, const char *fmt, ...)
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
				capfile_set_error(f, "read error: %s", g_strerror(errno));
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
			capfile_set_error(f, "the gzip stream is cut short");
			return -1;
		}
		if (rc != Z_OK) {
			capfile_set_error(f, "the gzip data is damaged (zlib: %s)", z->msg ? z->msg : "error");
			return -1;
		}
	}
	return (gssize)(want - z->avail_out);
}

/* capfile_ensure() when the buffer holds fewer than n bytes: reads on. */
int capfile_refill(ss_capfile *f, gsize n)
{
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
				capfile_set_error(f, "read error: %s", g_strerror(errno));
		}
		if (r < 0)
			return -1;
		if (r == 0)
			f->eof = TRUE;
		f->end += (gsize)r;
	}
	return 1;
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

	int r = capfile_ensure(f, 2);
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
		r = capfile_ensure(f, 4);
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
		r = capfile_next_pcapng(f, NULL, TRUE);
		ok = r == 1;
		if (r == 0)
			*why = g_strdup("a pcapng file without any interface description");
	} else if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d || magic == 0xa1b2cd34 ||
		   other == 0xa1b2c3d4 || other == 0xa1b23c4d || other == 0xa1b2cd34) {
		f->format = SS_CAPFILE_PCAP;
		f->swapped = other == 0xa1b2c3d4 || other == 0xa1b23c4d || other == 0xa1b2cd34;
		r = capfile_ensure(f, 24);
		if (r > 0)
			ok = capfile_open_pcap(f, f->swapped ? other : magic, why);
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
	return f->format == SS_CAPFILE_PCAP ? capfile_next_pcap(f, pkt) : capfile_next_pcapng(f, pkt, FALSE);
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
