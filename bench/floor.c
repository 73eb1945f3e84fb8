/* floor: the least any libpcap-based reader of a capture file can do.
 *
 * Opens the file as sockscope does (libpcap, nanosecond precision) and runs
 * pcap_loop() with a callback that only counts packets and bytes.  Its time
 * is the floor the benchmark compares sockscope with. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
	uint64_t packets, bytes, captured;
} counts_t;

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	counts_t *c = (counts_t *)user;
	(void)data;
	c->packets++;
	c->bytes += h->len;
	c->captured += h->caplen;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: floor FILE\n");
		return 2;
	}
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO,
							    errbuf);
	if (!p) {
		fprintf(stderr, "floor: %s\n", errbuf);
		return 3;
	}
	counts_t c = {0, 0, 0};
	int rc = pcap_loop(p, -1, count, (u_char *)&c);
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "floor: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("%llu packets %llu bytes %llu captured\n", (unsigned long long)c.packets,
	       (unsigned long long)c.bytes, (unsigned long long)c.captured);
	return 0;
}
