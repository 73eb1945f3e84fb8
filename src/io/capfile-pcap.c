/* Classic pcap records for the capture-file reader (capfile.c has the
 * byte layer and the dispatch): the file header (both byte orders,
 * microsecond and nanosecond, libpcap's "modified" variant and its
 * swapped-length rule for old versions) and one record at a time. */
#include "io/capfile-internal.h"

gboolean capfile_open_pcap(ss_capfile *f, guint32 magic, char **why)
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
	capfile_consume(f, 24);
	return TRUE;
}

int capfile_next_pcap(ss_capfile *f, ss_capfile_packet *pkt)
{
	int r = capfile_ensure(f, f->hdr_len);
	if (r <= 0) {
		if (r == 0 && f->end == f->start)
			return 0;   /* the end, between two records */
		if (r == 0)
			capfile_set_error(f, "truncated: the file ends %zu bytes into a %u-byte record header"
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
		capfile_set_error(f, "a record at offset %" G_GUINT64_FORMAT " claims %u captured bytes,"
			  " more than the maximum of %u", f->offset, caplen, SS_CAPFILE_MAX_SNAPLEN);
		return -1;
	}
	/* Seconds are unsigned: 2^31 and later are 2038..2106, as tshark says. */
	gint64 ts = (gint64)sec * NS_PER_S + (gint64)frac * f->frac_mul;
	gsize need = (gsize)f->hdr_len + caplen;
	r = capfile_ensure(f, need);
	if (r <= 0) {
		if (r == 0)
			capfile_set_error(f, "truncated: the file ends %zu bytes into a %u-byte packet"
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
	capfile_consume(f, need);
	capfile_prefetch_ahead(f);
	return 1;
}
