/* Bounds-checked, big-endian reads over captured packet bytes.
 *
 * Every read of packet data goes through a cursor. A read past the end
 * returns 0 and sets the sticky `trunc` flag (apk-tools' "sticky error"
 * blob idea): a decoder reads a whole header, then checks once.  There is
 * no longjmp and no hidden context: the cursor is always an explicit
 * argument. */
#ifndef SOCKSCOPE_CURSOR_H
#define SOCKSCOPE_CURSOR_H

#include <glib.h>
#include <string.h>

typedef struct {
	const guint8 *p;   /* next unread byte */
	gsize len;         /* bytes left, never more than were captured */
	gboolean trunc;    /* a read wanted more bytes than were left */
} ss_cursor;

static inline ss_cursor ss_cursor_make(const guint8 *p, gsize len)
{
	ss_cursor c = { p, len, FALSE };
	return c;
}

static inline gboolean ss_cursor_need(ss_cursor *c, gsize n)
{
	if (c->trunc || c->len < n) {
		c->trunc = TRUE;
		return FALSE;
	}
	return TRUE;
}

static inline guint8 ss_get_u8(ss_cursor *c)
{
	if (!ss_cursor_need(c, 1))
		return 0;
	guint8 v = c->p[0];
	c->p += 1;
	c->len -= 1;
	return v;
}

static inline guint16 ss_get_be16(ss_cursor *c)
{
	if (!ss_cursor_need(c, 2))
		return 0;
	guint16 v = (guint16)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return v;
}

static inline guint32 ss_get_be32(ss_cursor *c)
{
	if (!ss_cursor_need(c, 4))
		return 0;
	guint32 v = ((guint32)c->p[0] << 24) | ((guint32)c->p[1] << 16) |
		    ((guint32)c->p[2] << 8) | (guint32)c->p[3];
	c->p += 4;
	c->len -= 4;
	return v;
}

static inline guint32 ss_get_le32(ss_cursor *c)
{
	if (!ss_cursor_need(c, 4))
		return 0;
	guint32 v = ((guint32)c->p[3] << 24) | ((guint32)c->p[2] << 16) |
		    ((guint32)c->p[1] << 8) | (guint32)c->p[0];
	c->p += 4;
	c->len -= 4;
	return v;
}

/* Copies n bytes into dst (which must hold n); on truncation dst is zeroed. */
static inline void ss_get_bytes(ss_cursor *c, guint8 *dst, gsize n)
{
	if (!ss_cursor_need(c, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, c->p, n);
	c->p += n;
	c->len -= n;
}

static inline void ss_skip(ss_cursor *c, gsize n)
{
	if (!ss_cursor_need(c, n))
		return;
	c->p += n;
	c->len -= n;
}

/* Returns a cursor over the next n bytes, or over what is left when fewer
 * than n remain (the caller knows the declared length and decides whether
 * that is a truncation), and advances c past them. */
static inline ss_cursor ss_cursor_sub(ss_cursor *c, gsize n)
{
	ss_cursor sub;
	if (c->trunc) {
		sub = ss_cursor_make(c->p, 0);
		sub.trunc = TRUE;
		return sub;
	}
	if (c->len < n) {
		sub = ss_cursor_make(c->p, c->len);
		c->p += c->len;
		c->len = 0;
		return sub;
	}
	sub = ss_cursor_make(c->p, n);
	c->p += n;
	c->len -= n;
	return sub;
}

#endif
