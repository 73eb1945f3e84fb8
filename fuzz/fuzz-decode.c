/* libFuzzer harness: one packet through the decoder and flow tracking.
 *
 * Input: byte 0 selects the link type (and doubles as the extra wire length
 * of the second pass), the rest is the captured packet.  Each input gets its
 * own analyzer: decode with caplen == wirelen, decode again with wirelen
 * larger than caplen (a snaplen cut), feed both decoded packets to flow
 * tracking, every packet of the frame (ss_decode_parts: A-MSDU subframes)
 * the same, then once more through ss_analyzer_packet() (decode + count),
 * finish, and render jsonl into memory.
 *
 * Built by fuzz/meson.build (-Dfuzz=true, clang); run by scripts/fuzz.sh. */
#include <pcap/dlt.h>
#include <stdint.h>
#include <string.h>

#include "sockscope/decode.h"
#include "fuzz-common.h"

static const struct {
	int dlt;
	const char *name;
} links[] = {
	{ DLT_EN10MB, "EN10MB" },
	{ DLT_LINUX_SLL, "LINUX_SLL" },
	{ DLT_LINUX_SLL2, "LINUX_SLL2" },
	{ DLT_RAW, "RAW" },
	{ DLT_IPV4, "IPV4" },
	{ DLT_IPV6, "IPV6" },
	{ DLT_NULL, "NULL" },
	{ DLT_LOOP, "LOOP" },
	/* Appended, so the selector byte of the inputs kept in tests/malformed
	 * (0..7) still picks the same link. */
	{ DLT_PPP, "PPP" },
	{ 239, "NFLOG" },
	{ 105, "IEEE802_11" },
	{ 127, "IEEE802_11_RADIO" },
	{ 192, "PPI" },
	{ 119, "PRISM_HEADER" },
	{ 163, "IEEE802_11_RADIO_AVS" },
	{ 258, "PKTAP" },
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ss_services_use_system(FALSE);   /* no /etc/services: same result everywhere */
	return 0;
}

static void check_packet(ss_reason r, const ss_packet *p, guint32 caplen, guint32 wirelen)
{
	FUZZ_CHECK((guint)r < SS_REASON_COUNT);
	FUZZ_CHECK(p->caplen == caplen && p->wirelen == wirelen);
	FUZZ_CHECK(p->ts_ns == 0);
	FUZZ_CHECK(r != SS_REASON_TRUNC_AMSDU && r != SS_REASON_BAD_AMSDU_SUBFRAME &&
		   r != SS_REASON_WLAN_MESH_AMSDU);   /* only ss_decode_parts() reads subframes */
	gboolean transport = p->l4 == SS_L4_TCP || p->l4 == SS_L4_UDP ||
			     p->l4 == SS_L4_ICMP_ERROR;
	/* decode.h: a transport kind only on SS_REASON_OK, and OK only with one. */
	FUZZ_CHECK(transport == (r == SS_REASON_OK));
	if (r == SS_REASON_OK) {
		FUZZ_CHECK(p->family == SS_FAMILY_IPV4 || p->family == SS_FAMILY_IPV6);
		if (p->l4 == SS_L4_ICMP_ERROR) {
			FUZZ_CHECK(p->icmp.family == SS_FAMILY_IPV4 ||
				   p->icmp.family == SS_FAMILY_IPV6);
			FUZZ_CHECK(p->icmp.proto == 6 || p->icmp.proto == 17);
		} else {
			FUZZ_CHECK(p->ip_proto == (p->l4 == SS_L4_TCP ? 6 : 17));
		}
		if (p->family == SS_FAMILY_IPV4) {
			/* IPv4 addresses leave bytes 4..15 zero (hashing relies on it). */
			static const guint8 zero[12] = { 0 };
			FUZZ_CHECK(memcmp(p->src.bytes + 4, zero, 12) == 0);
			FUZZ_CHECK(memcmp(p->dst.bytes + 4, zero, 12) == 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > G_MAXUINT32 - 256)
		return 0;
	guint8 sel = data[0];
	int dlt = links[sel % G_N_ELEMENTS(links)].dlt;
	const guint8 *pkt = data + 1;
	guint32 caplen = (guint32)(size - 1);

	/* An exact-size copy: ASan then flags any read past caplen (the
	 * libFuzzer buffer already is exact-size; the copy keeps it so if
	 * the harness changes). */
	guint8 *copy = caplen ? g_memdup2(pkt, caplen) : NULL;

	ss_analyzer *a = fuzz_analyzer_new();
	ss_analyzer_begin_input(a, "fuzz", dlt, links[sel % G_N_ELEMENTS(links)].name, FALSE);
	gint64 ts = G_GINT64_CONSTANT(1700000000) * 1000000000;

	ss_packet p;
	ss_reason r = ss_decode(dlt, copy, caplen, caplen, &p);
	check_packet(r, &p, caplen, caplen);
	if (r == SS_REASON_OK) {
		p.ts_ns = ts;
		ss_analyzer_decoded(a, &p);
	}

	/* caplen < wirelen: what snaplen does to every long packet. */
	guint32 wirelen = caplen + sel;
	ss_reason r2 = ss_decode(dlt, copy, caplen, wirelen, &p);
	check_packet(r2, &p, caplen, wirelen);
	if (r2 == SS_REASON_OK) {
		p.ts_ns = ts + 1000 * (gint64)sel + 1;
		ss_analyzer_decoded(a, &p);
	}

	/* Every packet of the frame (A-MSDU subframes), snapped as above:
	 * each subframe lies inside the frame, each call moves forward, and
	 * a frame of n bytes holds at most n / 14 + 1 of them. */
	ss_frame_iter it = { 0, 0 };
	guint calls = 0;
	do {
		guint32 at = it.next;
		ss_reason rp = ss_decode_parts(NULL, NULL, dlt, copy, caplen, wirelen, 0, &it, &p);
		calls++;
		FUZZ_CHECK((guint)rp < SS_REASON_COUNT && rp != SS_REASON_WLAN_AMSDU);
		FUZZ_CHECK(p.caplen <= caplen && p.wirelen <= wirelen && p.caplen <= p.wirelen);
		FUZZ_CHECK(it.next == 0 || it.next > at);
		FUZZ_CHECK(calls <= caplen / 14 + 1);
		if (it.subframes == 0) {
			FUZZ_CHECK(rp == r2 && it.next == 0);
		} else {
			FUZZ_CHECK(it.subframes == calls);
		}
		if (rp == SS_REASON_OK) {
			p.ts_ns = ts + 2;
			ss_analyzer_decoded(a, &p);
		}
	} while (it.next != 0);

	/* The counting path, with a timestamp going backwards. */
	ss_analyzer_packet(a, ts - 1, copy, caplen, caplen);

	ss_report *rep = ss_analyzer_finish(a);
	ss_report_complete(rep, TRUE);
	ss_analyzer_free(a);
	FUZZ_CHECK(rep->summary.packets == 1);
	/* One packet, one reason: the one ss_decode() gives, except for a
	 * fragment (first or not), which the counting path also hands to
	 * reassembly (decode/frag.c): it may count ip_fragment or a frag_*
	 * reason (tiny, oversize, overlap...) instead; that refinement is the
	 * point of it. */
	guint64 counted = 0, as_fragment = 0;
	for (int i = 0; i < SS_REASON_COUNT; i++) {
		counted += rep->summary.reasons[i];
		if (ss_reason_is_fragment((ss_reason)i))
			as_fragment += rep->summary.reasons[i];
	}
	/* An A-MSDU counts one per subframe instead. */
	FUZZ_CHECK(counted == 1 - rep->summary.amsdu_frames + rep->summary.amsdu_subframes);
	FUZZ_CHECK(rep->summary.reasons[r] == 1 || as_fragment == 1 ||
		   (r == SS_REASON_WLAN_AMSDU && rep->summary.amsdu_frames == 1));
	fuzz_check_summary(&rep->summary);
	fuzz_render(rep, SS_FORMAT_JSONL);
	ss_report_free(rep);
	g_free(copy);
	return 0;
}
