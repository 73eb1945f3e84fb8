/* Per-record cost micro-benchmark: what sockscope spends on each finished
 * connection record once it is decided, measured apart from the packets.
 * The capture is analysed once (keep-all, one thread) to get its decided
 * records; then, alternating for several rounds:
 *   rollups   every record fed to fresh roll-ups as the pipeline feeds
 *             them: roles (note_record, learn), hosts (add_conn,
 *             learn_ephemeral), listeners (add) and findings (acc_add);
 *   jsonl     every record written as its jsonl line (ss_json_conn) into
 *             one reused buffer.
 * Prints the median ns per record of each (CPU time of this thread: the
 * machine is shared, so single runs are noise).  The flow table is not in
 * it: run on captures with the same records and different numbers of
 * concurrent flows, the roll-up cost should stay flat.  The recorded
 * numbers are in docs/performance.md ("per-record roll-ups").
 *
 * Usage: record-bench CAPTURE [rounds] */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sockscope/analyzer.h"
#include "sockscope/findings.h"
#include "sockscope/hosts.h"
#include "sockscope/listeners.h"
#include "sockscope/render.h"
#include "sockscope/report.h"
#include "sockscope/roles.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void feed(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	gint64 ns = (gint64)h->ts.tv_sec * 1000000000 + (gint64)h->ts.tv_usec * 1000;
	ss_analyzer_packet((ss_analyzer *)user, ns, bytes, h->caplen, h->len);
}

/* The roll-ups one at a time, each over every record, as the pipeline
 * feeds them.  out[0..3]: ns per record in roles, hosts, listeners,
 * findings. */

static double rollups(const GPtrArray *conns, double out[4])
{
	ss_hosts *hosts = ss_hosts_new(NULL);
	ss_roles *roles = ss_roles_new(NULL, hosts);
	ss_listeners *ls = ss_listeners_new();
	ss_findings_acc *fa = ss_findings_acc_new();
	guint n = conns->len;
#define AT(i) ((const ss_conn *)g_ptr_array_index(conns, (i)))
	/* The server sockets' numbers, as the listener roll-up gives them to
	 * the hosts' distinct servers, taken apart from the timing. */
	ss_listeners *ids = ss_listeners_new();
	guint32 *server = g_new(guint32, n ? n : 1);
	for (guint i = 0; i < n; i++)
		server[i] = ss_listeners_socket(ids, AT(i));
	ss_listeners_free(ids);
	double t0 = now_ns();
	for (guint i = 0; i < n; i++) {
		ss_roles_note_record(roles, AT(i));
	}
	for (guint i = 0; i < n; i++) {
		ss_roles_learn(roles, AT(i));
	}
	double t1 = now_ns();
	for (guint i = 0; i < n; i++) {
		if (!AT(i)->continues)
			ss_hosts_add_conn(hosts, AT(i), server[i]);
		ss_hosts_learn_ephemeral(hosts, AT(i));
	}
	double t2 = now_ns();
	for (guint i = 0; i < n; i++) {
		if (!AT(i)->continues)
			ss_listeners_add(ls, AT(i));
	}
	double t3 = now_ns();
	/* announced 8 ahead, as the writer thread does */
	for (guint i = 0; i < MIN(n, 8); i++)
		ss_findings_acc_ahead(fa, AT(i));
	for (guint i = 0; i < n; i++) {
		if (i + 8 < n)
			ss_findings_acc_ahead(fa, AT(i + 8));
		ss_findings_acc_add(fa, AT(i));
	}
	double t4 = now_ns();
#undef AT
	out[0] = (t1 - t0) / n;
	out[1] = (t2 - t1) / n;
	out[2] = (t3 - t2) / n;
	out[3] = (t4 - t3) / n;
	ss_report none = { 0 };   /* finish() frees the accumulator */
	g_ptr_array_unref(ss_findings_acc_finish(fa, &none));
	ss_listeners_free(ls);
	g_free(server);
	ss_roles_free(roles);
	ss_hosts_free(hosts);
	return (t4 - t0) / n;
}

static double jsonl(const GPtrArray *conns, GString *b, gsize *bytes)
{
	double t0 = now_ns();
	*bytes = 0;
	for (guint i = 0; i < conns->len; i++) {
		g_string_truncate(b, 0);
		ss_json_conn(b, g_ptr_array_index(conns, i), TRUE);
		*bytes += b->len;
	}
	return (now_ns() - t0) / conns->len;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: record-bench CAPTURE [rounds]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	rounds = CLAMP(rounds, 1, 64);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "record-bench: %s\n", err);
		return 1;
	}
	ss_analyzer_config cfg;
	ss_analyzer_config_init(&cfg);
	cfg.max_flows = 0;   /* keep every record: the roll-ups get them all */
	ss_analyzer *a = ss_analyzer_new(&cfg);
	ss_analyzer_begin_input(a, argv[1], pcap_datalink(p), "EN10MB", FALSE);
	pcap_loop(p, -1, feed, (u_char *)a);
	pcap_close(p);
	ss_report *r = ss_analyzer_finish(a);
	ss_analyzer_free(a);

	GString *b = g_string_sized_new(4096);
	double ru[64], js[64], part[4][64];
	gsize bytes = 0;
	for (int i = 0; i < rounds; i++) {
		double p4[4];
		ru[i] = rollups(r->conns, p4);
		for (int k = 0; k < 4; k++)
			part[k][i] = p4[k];
		js[i] = jsonl(r->conns, b, &bytes);
	}
	qsort(ru, (size_t)rounds, sizeof *ru, cmp_double);
	qsort(js, (size_t)rounds, sizeof *js, cmp_double);
	for (int k = 0; k < 4; k++)
		qsort(part[k], (size_t)rounds, sizeof part[k][0], cmp_double);
	printf("%s: %u records, %d rounds (median [min-max] ns per record, thread CPU time)\n",
	       argv[1], r->conns->len, rounds);
	printf("rollups %.0f [%.0f-%.0f]\n", ru[rounds / 2], ru[0], ru[rounds - 1]);
	printf("  roles %.0f, hosts %.0f, listeners %.0f, findings %.0f\n", part[0][rounds / 2],
	       part[1][rounds / 2], part[2][rounds / 2], part[3][rounds / 2]);
	printf("jsonl   %.0f [%.0f-%.0f]  (%.0f bytes/line)\n", js[rounds / 2], js[0],
	       js[rounds - 1], (double)bytes / r->conns->len);
	g_string_free(b, TRUE);
	ss_report_free(r);
	return 0;
}
