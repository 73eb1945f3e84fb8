/* Live capture's pure parts (src/io/source-live.c): which link types -i
 * accepts, and the kernel-drop warning against pcap_stats() semantics.  ps_recv already includes ps_drop (Linux:
 * the kernel adds tp_drops to tp_packets; BSD: bs_recv counts every packet
 * handed to BPF), so "N dropped of M that passed the filter" takes M =
 * ps_recv.  The numbers of the first case are a real run: 80,000 UDP
 * datagrams on lo (each seen twice by the packet socket: 160,000) of which
 * the kernel dropped 76,372; the old warning said "of 236372". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <pcap/pcap.h>

#include "sockscope/source.h"

/* -i refuses, with one line naming the device and the link type, a device
 * whose link type carries nothing sockscope decodes (before its filter,
 * which used to fail with "NFLOG link-layer type filtering not
 * implemented", a misleading usage error); the IP-carrying ones pass. */
static void test_link_usable(void **state)
{
	(void)state;
	const int ok[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL,
			   DLT_NFLOG, DLT_IEEE802_11, DLT_IEEE802_11_RADIO, DLT_PPI,
			   DLT_PRISM_HEADER, DLT_IEEE802_11_RADIO_AVS, DLT_PKTAP };
	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		GError *e = NULL;
		assert_true(ss_live_link_usable("eth0", ok[i], &e));
		assert_null(e);
	}
	GError *e = NULL;
	/* (NFLOG, then radiotap were the example until sockscope decoded them.) */
	assert_false(ss_live_link_usable("usbmon0", DLT_USB_LINUX, &e));
	assert_int_equal(e->code, SS_ERROR_CAPTURE);
	assert_string_equal(e->message, "usbmon0 has link type USB_LINUX (189), which"
			    " sockscope cannot decode: it reads IP traffic only (sockscope -D lists"
			    " the interfaces)");
	g_clear_error(&e);
	assert_false(ss_live_link_usable("can0", DLT_CAN_SOCKETCAN, &e));
	assert_non_null(strstr(e->message, "can0 has link type CAN_SOCKETCAN (227)"));
	g_clear_error(&e);
	/* A value libpcap has no name for. */
	assert_false(ss_live_link_usable("x0", 4000, &e));
	assert_non_null(strstr(e->message, "x0 has link type DLT 4000, which"));
	g_clear_error(&e);
}

static void test_drop_warning_counts_received_once(void **state)
{
	(void)state;
	char *w = ss_live_drop_warning("lo", 160000, 76372);
	assert_non_null(w);
	assert_string_equal(w, "lo: the kernel dropped 76372 packets (of 160000 that passed the"
			    " filter): its buffer was full; a larger buffer (-B), a narrower filter"
			    " or a shorter snap length (-s) helps");
	g_free(w);
}

static void test_no_drops_no_warning(void **state)
{
	(void)state;
	assert_null(ss_live_drop_warning("eth0", 123456, 0));
	assert_null(ss_live_drop_warning("eth0", 0, 0));
}

static void test_all_dropped(void **state)
{
	(void)state;
	char *w = ss_live_drop_warning("any", 500, 500);
	assert_non_null(strstr(w, "dropped 500 packets (of 500 that passed"));
	g_free(w);
}

/* 32-bit counters that wrapped apart: never "N of fewer than N". */
static void test_wrapped_counters(void **state)
{
	(void)state;
	char *w = ss_live_drop_warning("eth1", 10, 4000000000u);
	assert_non_null(strstr(w, "dropped 4000000000 packets (of 4000000000 that passed"));
	g_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_usable),
		cmocka_unit_test(test_drop_warning_counts_received_once),
		cmocka_unit_test(test_no_drops_no_warning),
		cmocka_unit_test(test_all_dropped),
		cmocka_unit_test(test_wrapped_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
