/* Live capture (-i) through libpcap: open and activate a device, read it
 * into the analyzer until told to stop, save the raw packets with -w and
 * list devices (-D).  Dropping privileges once the handle is open (-Z,
 * file capabilities) is src/io/privileges.c. */
#define _GNU_SOURCE   /* ppoll() */
#include "sockscope/source.h"
#include "sockscope/decode.h"
#include "sockscope/format.h"
#include "sockscope/signals.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The default snap length, SS_LIVE_DEFAULT_SNAPLEN = 256 bytes, keeps the
 * headers every decoder reads and drops the payload (its length still comes
 * from the IP and UDP headers, so byte counts stay right).  The worst cases:
 *   TCP:  link 22 (Ethernet 14 + two 802.1Q/802.1ad tags 8; Linux SLL2 is
 *         20) + IPv6 40 + extension headers (hop-by-hop 8, routing 24,
 *         destination 8, fragment 8 = 48 for a generous chain) + TCP with
 *         the largest options 60 = 170; IPv4 with 40 bytes of options
 *         instead of IPv6 + extensions is 22 + 60 + 60 = 142.
 *   ICMP: an error quotes the offending packet, of which only the ports are
 *         needed: link 22 + outer IPv4 60 + ICMP 8 + quoted IPv4 60 + ports
 *         8 = 158; ICMPv6: 22 + 40 + 48 + 8 + quoted IPv6 40 + 48 + 8 = 214.
 * 256 covers all of these with room to spare, while a full-size frame would
 * cost about six times the kernel buffer and -w disk space.  Longer IPv6
 * extension chains are counted as trunc_ipv6_ext; give -s 0 (65535) then. */

/* Without immediate mode, the kernel hands over packets in blocks at least
 * this often (ms): the latency of the live view and of streaming. */
#define LIVE_TIMEOUT_MS 200
/* How far packet timestamps may lag the wall clock when they reach us
 * (kernel buffering): idle timeouts run on the wall clock minus this. */
#define LIVE_CLOCK_SLACK_NS (G_GINT64_CONSTANT(1000000000))
/* See ss_live_source_open(): room for a whole batch of NFLOG messages. */
#define NFLOG_MIN_SNAPLEN 65535

struct ss_live_source {
	char *device;
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	char *savefile;
	gboolean nano;           /* tv_usec holds nanoseconds */
	int fd;                  /* pcap_get_selectable_fd() */
	/* Read only what poll() says is there: libpcap's netfilter reader
	 * (nflog) reports an empty non-blocking socket (EAGAIN) as a capture
	 * error instead of "no packets", which ended the capture at once. */
	gboolean read_when_ready;
};

const char *ss_live_source_device(const ss_live_source *src)
{
	return src->device;
}

/* What -D lists and -i accepts: the kernel's network interfaces and
 * Linux's "any".  libpcap also offers capture sources that are not network
 * interfaces (nfqueue, dbus-system, usbmon0, bluetooth-monitor...): they
 * carry no IP traffic sockscope can read, and -i on them used to fail with
 * a misleading filter error.  nflog is the exception, below. */
static gboolean is_network_interface(const char *name)
{
	return strcmp(name, "any") == 0 || if_nametoindex(name) != 0;
}

/* Linux's netfilter log ("nflog", or "nflog:GROUP" as tcpdump takes it):
 * the IP packets an nftables/iptables "log group N" rule copies, with the
 * NFLOG link type that decode/link.c reads.  It was refused with the other
 * pseudo-devices; it carries IP, so -i takes it. */
static gboolean is_nflog_source(const char *name)
{
	return strcmp(name, "nflog") == 0 || strncmp(name, "nflog:", 6) == 0;
}

/* "2" -> the second device -D lists, like tcpdump -i 2. */
static char *resolve_device(const char *name, GError **error)
{
	char *end;
	errno = 0;
	long n = strtol(name, &end, 10);
	if (*name < '0' || *name > '9' || *end != '\0' || errno != 0 || n < 1)
		return g_strdup(name);
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	if (pcap_findalldevs(&all, errbuf) != 0) {
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "cannot list interfaces: %s", errbuf);
		return NULL;
	}
	char *found = NULL;
	long i = 1;
	for (pcap_if_t *d = all; d; d = d->next) {
		if (!is_network_interface(d->name))
			continue;
		if (i++ == n)
			found = g_strdup(d->name);
	}
	pcap_freealldevs(all);
	if (!found)
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
			    "no interface number %ld (sockscope -D lists them)", n);
	return found;
}

/* -i on one of libpcap's capture sources that -D leaves out: say so, rather
 * than let the default filter fail on its link type.  FALSE (error set)
 * for such a source; TRUE for anything else (an unknown name is left to
 * pcap_activate(): "no such interface"). */
static gboolean check_capture_source(const char *dev, GError **error)
{
	if (is_network_interface(dev) || is_nflog_source(dev))
		return TRUE;
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	if (pcap_findalldevs(&all, errbuf) != 0)
		return TRUE;
	gboolean ok = TRUE;
	for (pcap_if_t *d = all; d && ok; d = d->next) {
		if (strcmp(d->name, dev) != 0)
			continue;
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "%s%s%s%s is not a network interface:"
			    " sockscope reads IP traffic only (sockscope -D lists the interfaces)",
			    dev, d->description ? " (" : "", d->description ? d->description : "",
			    d->description ? ")" : "");
		ok = FALSE;
	}
	pcap_freealldevs(all);
	return ok;
}

gboolean ss_live_link_usable(const char *dev, int dlt, GError **error)
{
	if (ss_link_supported(dlt))
		return TRUE;
	const char *name = pcap_datalink_val_to_name(dlt);
	g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "%s has link type %s%s%d%s, which"
		    " sockscope cannot decode: it reads IP traffic only (sockscope -D lists the"
		    " interfaces)", dev, name ? name : "", name ? " (" : "DLT ", dlt, name ? ")" : "");
	return FALSE;
}

static void activation_error(int rc, pcap_t *p, const char *dev, GError **error)
{
	const char *msg = pcap_geterr(p);
	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
			    "no permission to capture on %s: run as root or give the binary"
			    " CAP_NET_RAW and CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin=eip"
			    " $(which sockscope))", dev);
		break;
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
			    "no permission to put %s in promiscuous mode: run as root, or"
			    " capture without it (--no-promisc)", dev);
		break;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
			    "no such interface %s (sockscope -D lists them)", dev);
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "interface %s is down", dev);
		break;
	case PCAP_ERROR_RFMON_NOTSUP:
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
			    "%s does not support monitor mode", dev);
		break;
	default:
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "cannot capture on %s: %s", dev,
			    msg && *msg ? msg : pcap_statustostr(rc));
		break;
	}
}

static void activation_warning(int rc, pcap_t *p, const char *name)
{
	const char *msg = pcap_geterr(p);
	char *dev = ss_text_sanitize(name);   /* the user's words: no escapes */
	switch (rc) {
	case PCAP_WARNING_PROMISC_NOTSUP:
		fprintf(stderr, "sockscope: warning: %s cannot be put in promiscuous mode: only"
			" its own traffic is seen (libpcap: %s)\n", dev, msg);
		break;
	case PCAP_WARNING_TSTAMP_TYPE_NOTSUP:
		fprintf(stderr, "sockscope: warning: %s: timestamp type not supported\n", dev);
		break;
	default:
		fprintf(stderr, "sockscope: warning: %s: %s\n", dev,
			msg && *msg ? msg : pcap_statustostr(rc));
		break;
	}
	g_free(dev);
}

ss_live_source *ss_live_source_open(const ss_live_options *opt, GError **error)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	if (opt->snaplen < 0 || opt->snaplen > 262144) {
		g_set_error(error, SS_ERROR, SS_ERROR_USAGE,
			    "-s takes a snap length of 1 to 262144 bytes (0 = 262144)");
		return NULL;
	}
	if (opt->buffer_kib < 0 || opt->buffer_kib > 4 * 1024 * 1024) {
		g_set_error(error, SS_ERROR, SS_ERROR_USAGE,
			    "-B takes a buffer size of 1 to 4194304 KiB");
		return NULL;
	}
	char *dev = resolve_device(opt->device, error);
	if (!dev)
		return NULL;
	if (!check_capture_source(dev, error)) {
		g_free(dev);
		return NULL;
	}

	pcap_t *p = pcap_create(dev, errbuf);
	if (!p) {
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "cannot capture on %s: %s", dev,
			    errbuf);
		g_free(dev);
		return NULL;
	}
	int snaplen = opt->snaplen > 0 ? opt->snaplen : SS_LIVE_DEFAULT_SNAPLEN;
	/* libpcap's netfilter reader receives the kernel's batches (several
	 * NFLOG messages in one netlink datagram, up to a page or two) into a
	 * buffer of snaplen + 128 bytes: with a small snaplen every batch
	 * was cut after its first packet and the rest lost (6 of 28 packets
	 * in check-nflog.sh).  So nflog gets at least NFLOG_MIN_SNAPLEN. */
	if (is_nflog_source(dev) && snaplen < NFLOG_MIN_SNAPLEN)
		snaplen = NFLOG_MIN_SNAPLEN;
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, opt->promisc);
	pcap_set_timeout(p, LIVE_TIMEOUT_MS);
	if (opt->immediate)
		pcap_set_immediate_mode(p, 1);
	if (opt->buffer_kib > 0)
		pcap_set_buffer_size(p, opt->buffer_kib * 1024);
	/* Nanoseconds where the platform has them (Linux does); else µs. */
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);

	int rc = pcap_activate(p);
	if (rc < 0) {
		activation_error(rc, p, dev, error);
		pcap_close(p);
		g_free(dev);
		return NULL;
	}
	if (rc > 0)
		activation_warning(rc, p, dev);
	/* Before the filter: on a link without IP, "tcp or udp" fails to
	 * compile, and that message blames the filter. */
	if (!ss_live_link_usable(dev, pcap_datalink(p), error)) {
		pcap_close(p);
		g_free(dev);
		return NULL;
	}

	const char *filter = opt->filter ? opt->filter : SS_LIVE_DEFAULT_FILTER;
	/* libpcap compiles no filter for NFLOG ("NFLOG link-layer type
	 * filtering not implemented", tcpdump's too): the log rule already
	 * chose the packets, and the decoder counts anything not IP, so the
	 * default filter is left out; a filter the user asked for cannot be
	 * honoured, which is said rather than ignored. */
	if (pcap_datalink(p) == DLT_NFLOG) {
		if (opt->filter && *opt->filter) {
			g_set_error(error, SS_ERROR, SS_ERROR_USAGE,
				    "%s: libpcap cannot filter NFLOG captures (it compiles no BPF"
				    " for that link type): choose the packets in the nftables or"
				    " iptables log rule instead and capture without a filter", dev);
			pcap_close(p);
			g_free(dev);
			return NULL;
		}
		filter = "";
	}
	if (*filter) {
		bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
		if (pcap_lookupnet(dev, &net, &mask, errbuf) != 0)
			mask = PCAP_NETMASK_UNKNOWN;   /* no IPv4 address: fine */
		struct bpf_program prog;
		if (pcap_compile(p, &prog, filter, 1, mask) != 0) {
			g_set_error(error, SS_ERROR, SS_ERROR_USAGE, "bad filter \"%s\": %s", filter,
				    pcap_geterr(p));
			pcap_close(p);
			g_free(dev);
			return NULL;
		}
		rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
				    "cannot install filter \"%s\" on %s: %s", filter, dev,
				    pcap_geterr(p));
			pcap_close(p);
			g_free(dev);
			return NULL;
		}
	}

	/* We wait in ppoll() ourselves (interval, duration, signals) and
	 * then read whatever is there. */
	int fd = pcap_get_selectable_fd(p);
	if (fd < 0 || pcap_setnonblock(p, 1, errbuf) != 0) {
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
			    "cannot capture on %s: no pollable descriptor (%s)", dev,
			    fd < 0 ? "pcap_get_selectable_fd" : errbuf);
		pcap_close(p);
		g_free(dev);
		return NULL;
	}

	ss_live_source *src = g_new0(ss_live_source, 1);
	src->device = dev;
	src->pcap = p;
	src->fd = fd;
	src->read_when_ready = pcap_datalink(p) == DLT_NFLOG;
	src->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	if (opt->savefile) {
		/* The file's header says ns or µs as the capture does, so
		 * -r of it later reads the very same timestamps. */
		src->dumper = pcap_dump_open(p, opt->savefile);
		if (!src->dumper) {
			g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "%s: cannot save packets: %s",
				    opt->savefile, pcap_geterr(p));
			ss_live_source_close(src);
			return NULL;
		}
		src->savefile = g_strdup(opt->savefile);
	}
	return src;
}

gboolean ss_live_source_close(ss_live_source *src)
{
	if (!src)
		return TRUE;
	gboolean ok = TRUE;
	int e = 0;
	if (src->dumper) {
		FILE *f = pcap_dump_file(src->dumper);
		errno = 0;
		if (pcap_dump_flush(src->dumper) != 0 || ferror(f)) {
			ok = FALSE;
			e = errno ? errno : EIO;
		}
		pcap_dump_close(src->dumper);
	}
	pcap_close(src->pcap);
	g_free(src->device);
	g_free(src->savefile);
	g_free(src);
	errno = e;
	return ok;
}

gboolean ss_live_source_stats(ss_live_source *src, guint64 *received, guint64 *dropped,
			      guint64 *if_dropped)
{
	struct pcap_stat ps;
	memset(&ps, 0, sizeof ps);
	if (pcap_stats(src->pcap, &ps) != 0)
		return FALSE;
	*received = ps.ps_recv;
	*dropped = ps.ps_drop;
	*if_dropped = ps.ps_ifdrop;
	return TRUE;
}

/* ---- the capture loop ---- */

typedef struct {
	ss_live_source *src;
	ss_analyzer *a;
	guint64 seen;
} live_ctx;

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	live_ctx *ctx = (live_ctx *)(void *)user;
	/* Saved first, like tcpdump -w: the file holds what was analysed. */
	if (ctx->src->dumper)
		pcap_dump((u_char *)ctx->src->dumper, h, bytes);
	gint64 ts = (gint64)h->ts.tv_sec * G_GINT64_CONSTANT(1000000000) +
		    (gint64)h->ts.tv_usec * (ctx->src->nano ? 1 : 1000);
	ss_analyzer_packet(ctx->a, ts, bytes, h->caplen, h->len);
	ctx->seen++;
}

static gint64 wall_ns(void)
{
	return g_get_real_time() * 1000;
}

/* Waits for packets, a signal or `timeout_us`; a stop signal cannot slip in
 * between the check and the wait (ppoll unblocks them atomically). */
static void wait_for_packets(int fd, gint64 timeout_us)
{
	sigset_t set, old;
	ss_signals_set(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (!ss_signals_stop_requested()) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct timespec ts = { (time_t)(timeout_us / 1000000),
				       (long)(timeout_us % 1000000) * 1000 };
		ppoll(&pfd, 1, &ts, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* TRUE when fd has something to read right now. */
static gboolean readable_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP));
}

/* libpcap's ps_recv already counts the packets it then had to drop: on
 * Linux pcap_stats() returns the kernel's tp_packets, to which the kernel
 * adds tp_drops before handing them out (libpcap pcap-linux.c, "tp_drops is
 * added to tp_packets"), and BSD's bs_recv counts every packet handed to
 * BPF, drops included.  So the packets that passed the filter are ps_recv,
 * not ps_recv + ps_drop.  (32-bit counters can wrap apart: never less than
 * the drops.) */
char *ss_live_drop_warning(const char *device, guint64 received, guint64 dropped)
{
	if (dropped == 0)
		return NULL;
	return g_strdup_printf("%s: the kernel dropped %" G_GUINT64_FORMAT " packets (of %"
			       G_GUINT64_FORMAT " that passed the filter): its buffer was full;"
			       " a larger buffer (-B), a narrower filter or a shorter snap length"
			       " (-s) helps", device, dropped, MAX(received, dropped));
}

static void record_stats(ss_live_source *src, ss_analyzer *a, ss_input *in)
{
	guint64 recv, drop, ifdrop;
	if (!ss_live_source_stats(src, &recv, &drop, &ifdrop))
		return;
	in->have_stats = TRUE;
	in->kernel_received = recv;
	in->kernel_dropped = drop;
	in->if_dropped = ifdrop;
	char *warning = ss_live_drop_warning(src->device, recv, drop);
	if (warning)
		ss_analyzer_warn(a, "%s", warning);
	g_free(warning);
	if (ifdrop > 0)
		ss_analyzer_warn(a, "%s: the interface dropped %" G_GUINT64_FORMAT " packets while"
				 " capturing (some may have matched the filter)", src->device, ifdrop);
}

gboolean ss_live_source_run(ss_live_source *src, ss_analyzer *a, const ss_live_run *run,
			    GError **error)
{
	int dlt = pcap_datalink(src->pcap);
	const char *link_name = pcap_datalink_val_to_name(dlt);
	char numeric[32];
	if (!link_name) {
		g_snprintf(numeric, sizeof numeric, "DLT_%d", dlt);
		link_name = numeric;
	}
	ss_input *in = ss_analyzer_begin_input(a, src->device, dlt, link_name, FALSE);
	in->live = TRUE;

	/* Like tcpdump's "listening on": scripts wait for this line, and from
	 * here on every packet is buffered for us. */
	char *dev = ss_text_sanitize(src->device);
	fprintf(stderr, "sockscope: capturing on %s, link type %s, snapshot length %d bytes\n",
		dev, link_name, pcap_snapshot(src->pcap));
	g_free(dev);
	fflush(stderr);

	live_ctx ctx = { src, a, 0 };
	gint64 start = g_get_monotonic_time();
	gint64 deadline = run->duration_ns > 0 ? start + run->duration_ns / 1000 : 0;
	gint64 interval_us = run->interval_ns > 0 ? MAX(run->interval_ns / 1000, 1) : 0;
	gint64 next_view = interval_us ? start + interval_us : 0;
	gint64 next_tick = start + G_USEC_PER_SEC;
	gboolean ok = TRUE;

	ss_signals_set_pcap(src->pcap);
	for (;;) {
		if (ss_signals_stop_requested())
			break;
		if (run->count && ctx.seen >= run->count)
			break;
		gint64 now = g_get_monotonic_time();
		if (deadline && now >= deadline)
			break;
		if (next_view && now >= next_view) {
			run->on_interval(src, run->data);
			next_view += interval_us;
			if (next_view <= now)
				next_view = now + interval_us;
		}
		if (now >= next_tick) {
			/* Idle timeouts run on packet time; on a quiet link
			 * the wall clock has to move it on. */
			ss_analyzer_advance(a, wall_ns() - LIVE_CLOCK_SLACK_NS);
			next_tick = now + G_USEC_PER_SEC;
		}

		int cnt = run->count ? (int)MIN(run->count - ctx.seen, (guint64)G_MAXINT) : -1;
		int n = 0;
		if (!src->read_when_ready || readable_now(src->fd))
			n = pcap_dispatch(src->pcap, cnt, on_packet, (u_char *)&ctx);
		if (n == PCAP_ERROR) {
			g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
				    "capture on %s failed after %" G_GUINT64_FORMAT " packets: %s",
				    src->device, ctx.seen, pcap_geterr(src->pcap));
			in->error = g_strdup(pcap_geterr(src->pcap));
			ss_analyzer_warn(a, "%s", (*error)->message);
			ok = FALSE;
			break;
		}
		if (n != 0)
			continue;   /* read on until the buffer is empty, or a break */

		gint64 wait = next_tick - now;
		if (next_view)
			wait = MIN(wait, next_view - now);
		if (deadline)
			wait = MIN(wait, deadline - now);
		wait_for_packets(src->fd, MAX(wait, 0));
	}
	ss_signals_set_pcap(NULL);
	record_stats(src, a, in);
	return ok;
}

/* ---- -D ---- */

static int prefix_len(const struct sockaddr *mask)
{
	if (!mask)
		return -1;
	const guint8 *b;
	gsize n;
	if (mask->sa_family == AF_INET) {
		b = (const guint8 *)&((const struct sockaddr_in *)(const void *)mask)->sin_addr;
		n = 4;
	} else if (mask->sa_family == AF_INET6) {
		b = (const guint8 *)&((const struct sockaddr_in6 *)(const void *)mask)->sin6_addr;
		n = 16;
	} else {
		return -1;
	}
	int bits = 0;
	for (gsize i = 0; i < n; i++)
		for (int k = 7; k >= 0; k--)
			bits += (b[i] >> k) & 1;
	return bits;
}

static void append_address(GString *line, const pcap_addr_t *a)
{
	char buf[INET6_ADDRSTRLEN];
	const struct sockaddr *sa = a->addr;
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			  sizeof buf);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  buf, sizeof buf);
	else
		return;   /* link-layer (AF_PACKET) addresses: not useful here */
	g_string_append_printf(line, " %s", buf);
	int plen = prefix_len(a->netmask);
	if (plen >= 0)
		g_string_append_printf(line, "/%d", plen);
}

gboolean ss_live_list_devices(FILE *out, GError **error)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	if (pcap_findalldevs(&all, errbuf) != 0) {
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "cannot list interfaces: %s", errbuf);
		return FALSE;
	}
	GString *line = g_string_new(NULL);
	int i = 1;
	for (pcap_if_t *d = all; d; d = d->next) {
		if (!is_network_interface(d->name))
			continue;   /* nflog, dbus-system, usbmon0...: see above */
		/* names and descriptions come from the system: no raw escapes */
		g_string_printf(line, "%d.", i++);
		ss_text_sanitize_append(line, d->name);
		if (d->description) {
			g_string_append(line, " (");
			ss_text_sanitize_append(line, d->description);
			g_string_append_c(line, ')');
		}
		GPtrArray *flags = g_ptr_array_new();
		if (d->flags & PCAP_IF_UP)
			g_ptr_array_add(flags, "Up");
		if (d->flags & PCAP_IF_RUNNING)
			g_ptr_array_add(flags, "Running");
		if (d->flags & PCAP_IF_WIRELESS)
			g_ptr_array_add(flags, "Wireless");
		if (d->flags & PCAP_IF_LOOPBACK)
			g_ptr_array_add(flags, "Loopback");
		switch (d->flags & PCAP_IF_CONNECTION_STATUS) {
		case PCAP_IF_CONNECTION_STATUS_CONNECTED:
			g_ptr_array_add(flags, "Connected");
			break;
		case PCAP_IF_CONNECTION_STATUS_DISCONNECTED:
			g_ptr_array_add(flags, "Disconnected");
			break;
		default:
			break;
		}
		if (flags->len > 0) {
			g_ptr_array_add(flags, NULL);
			char *joined = g_strjoinv(", ", (char **)flags->pdata);
			g_string_append_printf(line, " [%s]", joined);
			g_free(joined);
		}
		g_ptr_array_free(flags, TRUE);
		for (const pcap_addr_t *a = d->addresses; a; a = a->next)
			append_address(line, a);
		g_string_append_c(line, '\n');
		fputs(line->str, out);
	}
	g_string_free(line, TRUE);
	pcap_freealldevs(all);
	return TRUE;
}
