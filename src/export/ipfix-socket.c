/* IPFIX transport (--ipfix): the target, the UDP or TCP socket the encoder
 * (ipfix-encode.c) sends its messages on, the bounded queue and waits that
 * keep a collector that stops reading from hanging the capture, stop-signal
 * handling, and the UDP refused (ICMP port unreachable) detection.  Kept
 * apart from the encoding so each can be read and tested on its own.
 * See sockscope/export-ipfix.h and docs/output.md#ipfix. */
#include "sockscope/export-ipfix.h"
#include "sockscope/error.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the target ---- */

gboolean ss_ipfix_parse_target(const char *target, char **host, char **port, GError **error)
{
	const char *h = target, *colon = NULL;
	gsize hlen;
	if (target[0] == '[') {
		const char *end = strchr(target, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			goto bad;
		h = target + 1;
		hlen = (gsize)(end - h);
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(target, ':');
		if (colon && strchr(target, ':') != colon)
			colon = NULL;   /* a bare IPv6 address */
		hlen = colon ? (gsize)(colon - target) : strlen(target);
	}
	if (hlen == 0)
		goto bad;
	if (colon) {
		const char *ps = colon + 1;
		char *endp;
		guint64 pn = g_ascii_strtoull(ps, &endp, 10);
		if (!*ps || *endp || pn == 0 || pn > 65535)
			goto bad;
		*port = g_strdup_printf("%u", (unsigned)pn);
	} else {
		*port = g_strdup_printf("%u", SS_IPFIX_PORT);
	}
	*host = g_strndup(h, hlen);
	return TRUE;
bad:
	g_set_error(error, SS_ERROR, SS_ERROR_USAGE,
		    "--ipfix takes HOST:PORT, [IPv6]:PORT or HOST, not \"%s\"", target);
	return FALSE;
}

/* ---- the exporter: the encoder on a socket ---- */

/* The socket is non-blocking: a collector that stops reading must never
 * hang the capture or the report.  Messages the kernel cannot take at once
 * wait in a bounded queue; when it is full, the exporter waits for the
 * socket, at most until the collector has taken no data for the stall
 * timeout, and a stop signal arriving during that wait ends it at once.
 * Either way the session is abandoned (TCP) and the rest is not exported. */

/* One message in the TCP queue: where it ends in the byte stream and how
 * many records had been added when it was made (records delivered = that
 * count once its last byte reached the kernel). */
typedef struct {
	guint64 end;
	guint64 records;
} queued_msg;

struct ss_ipfix_exporter {
	ss_ipfix_encoder *enc;
	int fd;
	ss_ipfix_transport transport;
	char *target;
	GError *error;           /* the first failure */
	guint64 failed_messages; /* UDP: sends that failed */
	guint64 refused;         /* UDP: of those, ECONNREFUSED (+1 when seen at close) */
	gboolean dead;           /* TCP: the session is gone, nothing more is sent */
	gint64 timeout_us;       /* give up after the collector took nothing this long */
	ss_ipfix_stop_fn stop;   /* a stop signal: end a wait at once */
	gpointer stop_data;
	/* TCP: bytes the kernel has not taken yet, queue->data[head..] */
	GByteArray *queue;
	gsize head;
	guint64 stream_sent;     /* bytes handed to the kernel, all messages */
	guint64 stream_queued;   /* bytes queued, all messages */
	GQueue pending;          /* queued_msg*, oldest first */
	guint64 records_sent;    /* records whose whole message reached the kernel */
	guint64 records_offered; /* records given to ss_ipfix_exporter_add() */
	gint64 stalled_since;    /* monotonic µs: data waiting and no progress since */
};

static void fail_session(ss_ipfix_exporter *x, GError **error, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void fail_session(ss_ipfix_exporter *x, GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	x->dead = TRUE;
	g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "ipfix: %s: %s", x->target, why);
	g_free(why);
}

/* Hands the kernel what it takes without waiting.  FALSE (the session is
 * dead, *error set) on a send error. */
static gboolean pump(ss_ipfix_exporter *x, GError **error)
{
	while (x->head < x->queue->len) {
		ssize_t n = send(x->fd, x->queue->data + x->head, x->queue->len - x->head,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			fail_session(x, error, "%s", g_strerror(errno));
			return FALSE;
		}
		x->head += (gsize)n;
		x->stream_sent += (guint64)n;
		x->stalled_since = g_get_monotonic_time();
	}
	queued_msg *m;
	while ((m = g_queue_peek_head(&x->pending)) && m->end <= x->stream_sent) {
		x->records_sent = m->records;
		g_free(g_queue_pop_head(&x->pending));
	}
	if (x->head == x->queue->len) {
		g_byte_array_set_size(x->queue, 0);
		x->head = 0;
	} else if (x->head >= SS_IPFIX_QUEUE_BYTES / 2) {
		g_byte_array_remove_range(x->queue, 0, (guint)x->head);
		x->head = 0;
	}
	return TRUE;
}

/* Waits until the socket can take more, in slices so that a stop flag set
 * on another thread is seen too.  1: writable (or an error the next send
 * reports), 0: the collector took nothing for the timeout, -1: a stop
 * signal arrived during the wait.  A stop requested before the wait began
 * (the final flush after Ctrl-C) does not end it: only the timeout does. */
static int wait_writable(ss_ipfix_exporter *x)
{
	gboolean stopped_before = x->stop && x->stop(x->stop_data);
	for (;;) {
		gint64 left = x->stalled_since + x->timeout_us - g_get_monotonic_time();
		if (left <= 0)
			return 0;
		struct pollfd pfd = { .fd = x->fd, .events = POLLOUT };
		int n = poll(&pfd, 1, (int)MIN((left + 999) / 1000, 100));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 1;
		if (!stopped_before && x->stop && x->stop(x->stop_data))
			return -1;
	}
}

static gboolean wait_or_fail(ss_ipfix_exporter *x, GError **error)
{
	int w = wait_writable(x);
	if (w > 0)
		return TRUE;
	if (w == 0)
		fail_session(x, error, "the collector took no data for %d s",
			     (int)(x->timeout_us / G_USEC_PER_SEC));
	else
		fail_session(x, error, "a stop signal ended the wait for the collector");
	return FALSE;
}

static gboolean send_tcp(ss_ipfix_exporter *x, const guint8 *msg, gsize len, GError **error)
{
	if (!pump(x, error))
		return FALSE;
	while (x->head < x->queue->len && x->queue->len - x->head + len > SS_IPFIX_QUEUE_BYTES) {
		if (!wait_or_fail(x, error) || !pump(x, error))
			return FALSE;
	}
	if (x->head == x->queue->len)
		x->stalled_since = g_get_monotonic_time();
	g_byte_array_append(x->queue, msg, (guint)len);
	x->stream_queued += len;
	queued_msg *m = g_new(queued_msg, 1);
	m->end = x->stream_queued;
	m->records = ss_ipfix_encoder_records(x->enc);
	g_queue_push_tail(&x->pending, m);
	return pump(x, error);
}

/* UDP: a datagram goes whole or not at all.  A full socket buffer is waited
 * for like TCP's queue; a failed datagram is counted and the export goes on
 * (ECONNREFUSED: an ICMP port unreachable answered an earlier one). */
static gboolean send_udp(ss_ipfix_exporter *x, const guint8 *msg, gsize len, GError **error)
{
	x->stalled_since = g_get_monotonic_time();
	for (;;) {
		ssize_t n = send(x->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			x->records_sent = ss_ipfix_encoder_records(x->enc);
			return TRUE;
		}
		int err = errno;
		if (err == EINTR)
			continue;
		if (err == EAGAIN || err == EWOULDBLOCK) {
			int w = wait_writable(x);
			if (w > 0)
				continue;
			err = w == 0 ? ETIMEDOUT : EINTR;   /* the timeout, or a stop signal */
		}
		x->failed_messages++;
		if (err == ECONNREFUSED)
			x->refused++;
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "ipfix: %s: %s", x->target,
			    err == ECONNREFUSED ? "nothing listens there (ICMP port unreachable)" :
			    g_strerror(err));
		return FALSE;
	}
}

static gboolean send_message(const guint8 *msg, gsize len, gpointer data, GError **error)
{
	ss_ipfix_exporter *x = data;
	if (x->dead)
		return FALSE;
	return x->transport == SS_IPFIX_TCP ? send_tcp(x, msg, len, error)
					    : send_udp(x, msg, len, error);
}

/* How long the close waits for an ICMP error answering the last datagrams. */
#define UDP_SETTLE_MS 100

/* connect() on the non-blocking socket, waiting at most timeout_us. */
static int connect_bounded(int fd, const struct sockaddr *addr, socklen_t addrlen,
			   gint64 timeout_us)
{
	if (connect(fd, addr, addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	gint64 deadline = g_get_monotonic_time() + timeout_us;
	for (;;) {
		gint64 left = deadline - g_get_monotonic_time();
		if (left <= 0)
			return ETIMEDOUT;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int n = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			continue;
		int err = 0;
		socklen_t elen = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			return errno;
		return err;
	}
}

ss_ipfix_exporter *ss_ipfix_exporter_open(const char *target, ss_ipfix_transport transport,
					  guint32 domain_id, gboolean flush_each,
					  GError **error)
{
	char *host = NULL, *port = NULL;
	if (!ss_ipfix_parse_target(target, &host, &port, error))
		return NULL;
	struct addrinfo hints = { 0 }, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = transport == SS_IPFIX_TCP ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "ipfix: %s: %s", target,
			    gai_strerror(rc));
		g_free(host);
		g_free(port);
		return NULL;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		/* UDP: connect() only fixes the peer, so a refused port shows up
		 * as ECONNREFUSED on a later send.  TCP: a collector that does
		 * not answer (a black hole) is given up after the timeout, not
		 * after the kernel's two minutes of SYN retries. */
		err = connect_bounded(fd, ai->ai_addr, ai->ai_addrlen,
				      (gint64)SS_IPFIX_TIMEOUT_S * G_USEC_PER_SEC);
		if (err != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	g_free(host);
	g_free(port);
	if (fd < 0) {
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "ipfix: cannot reach the collector"
			    " at %s (%s): %s", target, transport == SS_IPFIX_TCP ? "tcp" : "udp",
			    g_strerror(err));
		return NULL;
	}
	ss_ipfix_exporter *x = g_new0(ss_ipfix_exporter, 1);
	x->fd = fd;
	x->transport = transport;
	x->target = g_strdup(target);
	x->timeout_us = (gint64)SS_IPFIX_TIMEOUT_S * G_USEC_PER_SEC;
	x->queue = g_byte_array_new();
	g_queue_init(&x->pending);
	ss_ipfix_config cfg;
	ss_ipfix_config_init(&cfg, transport);
	cfg.domain_id = domain_id;
	cfg.flush_each = flush_each;
	x->enc = ss_ipfix_encoder_new(&cfg, send_message, x);
	return x;
}

void ss_ipfix_exporter_set_stop(ss_ipfix_exporter *x, ss_ipfix_stop_fn stop, gpointer data)
{
	x->stop = stop;
	x->stop_data = data;
}

static void keep_error(ss_ipfix_exporter *x, GError *e)
{
	if (!x->error)
		x->error = e;
	else
		g_clear_error(&e);
}

void ss_ipfix_exporter_add(ss_ipfix_exporter *x, const ss_conn *c)
{
	x->records_offered++;
	if (x->dead)
		return;
	GError *e = NULL;
	if (!ss_ipfix_encoder_add(x->enc, c, &e))
		keep_error(x, e);
}

gboolean ss_ipfix_exporter_close(ss_ipfix_exporter *x, GError **error)
{
	if (!x->dead) {
		GError *e = NULL;
		if (!ss_ipfix_encoder_flush(x->enc, &e))
			keep_error(x, e);
	}
	/* TCP: what is queued still has to reach the kernel, within the same
	 * bound. */
	while (!x->dead && x->head < x->queue->len) {
		GError *e = NULL;
		if (!wait_or_fail(x, &e) || !pump(x, &e))
			keep_error(x, e);
	}
	/* UDP: an ICMP port unreachable answering the last datagrams is only
	 * reported by a later send, and there is none: wait a moment for it
	 * (immediate on loopback, an RTT on a LAN) and ask the socket. */
	if (x->transport == SS_IPFIX_UDP && ss_ipfix_encoder_messages(x->enc) > 0 &&
	    x->refused == 0) {
		struct pollfd pfd = { .fd = x->fd, .events = 0 };
		int err = 0;
		socklen_t elen = sizeof err;
		if (poll(&pfd, 1, UDP_SETTLE_MS) > 0 && (pfd.revents & POLLERR) &&
		    getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 &&
		    err == ECONNREFUSED) {
			x->refused++;
			keep_error(x, g_error_new(SS_ERROR, SS_ERROR_OUTPUT, "ipfix: %s: nothing"
						  " listens there (ICMP port unreachable)", x->target));
		}
	}
	gboolean ok = x->error == NULL;
	if (close(x->fd) != 0 && ok && x->transport == SS_IPFIX_TCP) {
		int err = errno;
		g_set_error(&x->error, SS_ERROR, SS_ERROR_OUTPUT, "ipfix: %s: %s", x->target,
			    g_strerror(err));
		ok = FALSE;
	}
	if (!ok) {
		guint64 total = ss_ipfix_encoder_messages(x->enc);
		if (x->transport == SS_IPFIX_TCP)
			g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "%s; the TCP session was"
				    " abandoned there: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
				    " records were not exported", x->error->message,
				    x->records_offered - x->records_sent, x->records_offered);
		else if (x->refused)
			/* The datagrams that went out before the refusal was
			 * reported were most likely lost too. */
			g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "ipfix: %s: nothing listens"
				    " there (ICMP port unreachable): the export is incomplete (%"
				    G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " IPFIX messages"
				    " refused)", x->target, x->refused, total);
		else
			g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "%s (%" G_GUINT64_FORMAT " of %"
				    G_GUINT64_FORMAT " IPFIX messages could not be sent)",
				    x->error->message, x->failed_messages, total);
	}
	g_clear_error(&x->error);
	ss_ipfix_encoder_free(x->enc);
	g_byte_array_unref(x->queue);
	g_queue_clear_full(&x->pending, g_free);
	g_free(x->target);
	g_free(x);
	return ok;
}
