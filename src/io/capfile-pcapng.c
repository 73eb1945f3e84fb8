/* pcapng for the capture-file reader (capfile.c has the byte layer and
 * the dispatch): sections (each in its own byte order), interfaces (each
 * with its own link type, snap length, if_tsresol and if_tsoffset), the
 * packet blocks (EPB, SPB, the obsolete PB) and their timestamps; other
 * blocks are skipped by their length. */
#include "io/capfile-internal.h"

/* ---- timestamps ---- */

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
			capfile_set_error(f, "a section header of %zu bytes at offset %" G_GUINT64_FORMAT
				  " is too short", blen + 12, f->offset);
			return -1;
		}
		guint16 major = rd16(f, b + 4);
		if (major != 1) {
			capfile_set_error(f, "section at offset %" G_GUINT64_FORMAT " has pcapng version %u,"
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
			capfile_set_error(f, "an interface description at offset %" G_GUINT64_FORMAT
				  " is too short", f->offset);
			return -1;
		}
		if (f->ifaces->len >= MAX_IFACES) {
			capfile_set_error(f, "more than %u interfaces", MAX_IFACES);
			return -1;
		}
		ss_capfile_iface i = { 0 };
		i.linktype = rd16(f, b);
		i.snaplen = rd32(f, b + 4);
		i.section = f->section;
		i.section_id = n_sec;
		set_tsresol(&i, 6);   /* the default: microseconds */
		if (!idb_options(f, &i, b + 8, blen - 8)) {
			capfile_set_error(f, "interface %u at offset %" G_GUINT64_FORMAT " has a timestamp"
				  " resolution finer than 10^-28 s", n_sec, f->offset);
			return -1;
		}
		g_array_append_val(f->ifaces, i);
		return 0;
	}
	case 6:     /* EPB */
	case 2:     /* PB, obsolete: a 16-bit interface id and a drop count */
		if (blen < 20) {
			capfile_set_error(f, "a packet block at offset %" G_GUINT64_FORMAT " is too short",
				  f->offset);
			return -1;
		}
		ifid = type == 6 ? rd32(f, b) : rd16(f, b);
		units = (guint64)rd32(f, b + 4) << 32 | rd32(f, b + 8);
		caplen = rd32(f, b + 12);
		wirelen = rd32(f, b + 16);
		if (caplen > blen - 20) {
			capfile_set_error(f, "a packet block at offset %" G_GUINT64_FORMAT " claims %u"
				  " captured bytes but holds %zu", f->offset, caplen, blen - 20);
			return -1;
		}
		data = b + 20;
		break;
	case 3:     /* SPB: interface 0, no time, caplen from the block */
		if (blen < 4) {
			capfile_set_error(f, "a simple packet block at offset %" G_GUINT64_FORMAT
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
		capfile_set_error(f, "a packet at offset %" G_GUINT64_FORMAT " names interface %u, but its"
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
int capfile_next_pcapng(ss_capfile *f, ss_capfile_packet *pkt, gboolean until_iface)
{
	for (;;) {
		if (until_iface && f->ifaces->len > 0)
			return 1;
		int r = capfile_ensure(f, 12);
		if (r <= 0) {
			if (r == 0 && f->end == f->start)
				return 0;
			if (r == 0)
				capfile_set_error(f, "truncated: the file ends %zu bytes into a block header at"
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
				capfile_set_error(f, "a section header at offset %" G_GUINT64_FORMAT " has no"
					  " byte-order magic", f->offset);
				return -1;
			}
		} else if (!f->seen_shb) {
			capfile_set_error(f, "the file does not start with a section header");
			return -1;
		}
		guint32 len = rd32(f, p + 4);
		if (len < 12 || len % 4 != 0 || len > SS_CAPFILE_MAX_BLOCK) {
			capfile_set_error(f, "a block at offset %" G_GUINT64_FORMAT " has an impossible length"
				  " (%u bytes)", f->offset, len);
			return -1;
		}
		r = capfile_ensure(f, len);
		if (r <= 0) {
			if (r == 0)
				capfile_set_error(f, "truncated: the file ends %zu bytes into a %u-byte block at"
					  " offset %" G_GUINT64_FORMAT, f->end - f->start, len, f->offset);
			return -1;
		}
		p = f->buf + f->start;
		if (rd32(f, p + len - 4) != len) {
			capfile_set_error(f, "the block at offset %" G_GUINT64_FORMAT " does not end with its"
				  " length (%u)", f->offset, len);
			return -1;
		}
		r = pcapng_block(f, type, p + 8, len - 12, pkt);
		if (r < 0)
			return -1;
		capfile_consume(f, len);   /* pkt->data stays valid: nothing moves before the next capfile_ensure() */
		if (r == 1) {
			capfile_prefetch_ahead(f);
			return 1;
		}
	}
}
