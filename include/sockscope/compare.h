/* sockscope compare: two capture points (path mode) or two captures of one
 * point at different times (drift mode), docs/compare.md.
 *
 * Each side is analysed by the usual pipeline (its ss_report: outcomes,
 * roles, Community IDs as for one capture) and, in the same read, by a
 * separate decode pass that keeps compact per-packet signatures per flow
 * (ss_cmp_sigs, src/compare/sigs.c): ss_conn stays as small as it is.
 * The compare layer (src/compare/) sits between pipeline and report: it
 * builds an ss_compare model from the two sides; report/ renders it
 * (ss_render_compare) and app/ (app/compare.c) drives it. */
#ifndef SOCKSCOPE_COMPARE_H
#define SOCKSCOPE_COMPARE_H

#include <glib.h>
#include "sockscope/decode.h"
#include "sockscope/report.h"

typedef enum {
	SS_CMP_MODE_AUTO,
	SS_CMP_MODE_PATH,     /* two points of one path at the same time */
	SS_CMP_MODE_DRIFT,    /* one point at two times (src/compare/drift.c) */
} ss_cmp_mode;

/* ---- per-packet signatures (src/compare/sigs.c) ---- */

/* What a packet looks like where NAT cannot touch it.  32 bytes. */
typedef struct {
	gint64 ts_ns;
	guint32 seq, ack;          /* TCP; 0 for UDP */
	guint32 payload_len;
	guint32 payload_hash;      /* of the first SS_CMP_HASH_BYTES captured payload
	                              bytes; 0 when none were captured */
	guint8 flags;              /* SS_TCP_* */
	guint8 from;               /* 0: sent by the flow's ep[0], 1: by ep[1] */
	guint8 ttl;                /* IPv4 TTL / IPv6 hop limit */
	guint8 pad_;
	guint32 opt_sig;           /* TCP option kinds in order, with MSS and
	                              window scale; 0 without options */
} ss_cmp_pkt;

#define SS_CMP_HASH_BYTES 64

/* One flow of one side: a TCP connection (a new SYN with a new ISN on the
 * tuple starts another) or a UDP exchange. */
typedef struct {
	guint8 proto;              /* IPPROTO_TCP / IPPROTO_UDP */
	guint8 family;
	gint8 client;              /* ep index of the bare SYN's sender; -1 none */
	guint8 pad_;
	ss_ip ip[2];               /* ep[0] sent the flow's first packet */
	guint16 port[2];
	gboolean syn_seen[2];      /* ep i sent a SYN (bare or SYN-ACK) */
	guint32 isn[2];            /* its SYN's sequence number */
	guint32 syn_opt_sig[2];
	gint64 first_ns, last_ns;
	guint32 n_pkts;
	const ss_cmp_pkt *pkts;    /* n_pkts, capture order; set by ss_cmp_sigs_finish() */
} ss_cmp_flow;

typedef struct ss_cmp_sigs ss_cmp_sigs;

/* `decode` as for the analyzer (NULL: the defaults); kept by the caller. */
ss_cmp_sigs *ss_cmp_sigs_new(const ss_decode_config *decode);
void ss_cmp_sigs_free(ss_cmp_sigs *s);
/* One captured packet of link type `dlt`; anything that is not TCP or UDP
 * decoded to the end is ignored (the analysis counts it). */
void ss_cmp_sigs_packet(ss_cmp_sigs *s, int dlt, gint64 ts_ns, const guint8 *data,
			guint32 caplen, guint32 wirelen);
/* Adds a flow built elsewhere (unit tests): f's n_pkts packets at pkts
 * are copied. */
void ss_cmp_sigs_add_flow(ss_cmp_sigs *s, const ss_cmp_flow *f);
/* After the last packet: lays every flow's packets out contiguously (one
 * array for the side, not one per flow: a million small arrays cost more
 * in allocation than the signatures themselves) and sets each flow's pkts.
 * No packet may be added afterwards. */
void ss_cmp_sigs_finish(ss_cmp_sigs *s);
guint ss_cmp_sigs_n_flows(const ss_cmp_sigs *s);
const ss_cmp_flow *ss_cmp_sigs_flow(const ss_cmp_sigs *s, guint i);
guint64 ss_cmp_sigs_packets(const ss_cmp_sigs *s);

/* ---- one side ---- */

typedef struct {
	char *label;               /* "a" or "b" */
	GPtrArray *files;          /* char*: the inputs as given */
	ss_report *report;         /* the usual analysis; the caller's to free
	                              (ss_report_free, before ss_compare_free) */
	ss_cmp_sigs *sigs;         /* the signatures (owned) */
	gint64 first_ns, last_ns;  /* SS_NO_TIME without packets */
	guint64 packets;
} ss_cmp_side;

/* ---- the compare model ---- */

typedef enum {
	SS_CMP_SEEN_BOTH,
	SS_CMP_SEEN_A_ONLY,
	SS_CMP_SEEN_B_ONLY,
} ss_cmp_seen;

typedef enum {
	SS_CMP_PKT_SYN,
	SS_CMP_PKT_SYNACK,
	SS_CMP_PKT_ACK,
	SS_CMP_PKT_DATA,
	SS_CMP_PKT_FIN,
	SS_CMP_PKT_RST,
	SS_CMP_PKT_COUNT
} ss_cmp_pkt_kind;

/* Evidence bits of a match. */
enum {
	SS_CMP_EV_ISN = 1u << 0,
	SS_CMP_EV_TCP_OPTIONS = 1u << 1,
	SS_CMP_EV_PAYLOAD = 1u << 2,
	SS_CMP_EV_TIMING = 1u << 3,
	/* the first payload is shared by other flows in B's window: the
	 * payload evidence does not single this one out */
	SS_CMP_EV_PAYLOAD_REPEATED = 1u << 4,
};

typedef enum {
	SS_CMP_DIR_A_TO_B,         /* left A's point toward B's */
	SS_CMP_DIR_B_TO_A,
} ss_cmp_dir;

/* One matched (or one-sided) connection. */
typedef struct {
	guint8 proto;
	guint8 family;
	guint8 seen;               /* ss_cmp_seen */
	guint8 evidence;           /* SS_CMP_EV_* */
	guint8 confidence;         /* ss_confidence */
	gint8 a_near_client;       /* 1: the client's packets pass A first; 0: B
	                              first; -1 unknown */
	gint flow_a, flow_b;       /* indexes into the sides' sigs, -1 none */
	const ss_conn *conn_a, *conn_b;  /* the analysis' record, NULL when not found */
	/* the client and the server as seen at each side (family above) */
	ss_ip client_ip[2], server_ip[2];
	guint16 client_port[2], server_port[2];
	gint64 first_ns;           /* first packet, on A's clock when A saw it */
	/* lost between the points: per kind and ss_cmp_dir */
	guint32 lost[SS_CMP_PKT_COUNT][2];
	/* resets seen at one side (index 0 A, 1 B) that the other point never
	 * saw leave: [side][toward: 0 client, 1 server] */
	guint32 injected_rst[2][2];
	gint64 delay_ns[2];        /* one-way delay per ss_cmp_dir; SS_NO_TIME unknown */
	guint32 retransmits[2];    /* repeated segments seen at A, at B */
	gint64 idle_drop_ns;       /* idle gap before packets stopped crossing; SS_NO_TIME */
	gint64 max_crossed_gap_ns; /* longest pause after which packets still crossed */
	/* the two-lane diagram: the first packets, each seen at A, B or both */
	GArray *lanes;             /* ss_cmp_lane_event */
} ss_cmp_conn;

/* One packet of the two-lane sequence diagram. */
typedef struct {
	guint8 kind;               /* ss_cmp_pkt_kind */
	guint8 to_server;          /* sent by the client */
	guint8 at_a, at_b;         /* seen at that point */
	gint64 ts_ns;              /* A's time when seen there, else B's minus the offset */
} ss_cmp_lane_event;

#define SS_CMP_LANES_MAX 24

/* A pause at least this long before packets stop crossing is reported as
 * an idle drop (a middlebox forgot the connection). */
#define SS_CMP_IDLE_MIN_NS (G_GINT64_CONSTANT(2) * 1000000000)

typedef enum {
	SS_CMP_PORTS_UNKNOWN,
	SS_CMP_PORTS_PRESERVING,
	SS_CMP_PORTS_SEQUENTIAL,
	SS_CMP_PORTS_RANDOM,
} ss_cmp_port_alloc;

typedef enum {
	SS_CMP_TRANSLATOR_SNAT,
	SS_CMP_TRANSLATOR_DNAT,
} ss_cmp_translator_kind;

/* A translator between the points, inferred from the translated
 * connections of one kind. */
typedef struct {
	guint8 kind;               /* ss_cmp_translator_kind */
	guint8 family;
	guint8 port_alloc;         /* ss_cmp_port_alloc */
	guint8 confidence;         /* ss_confidence */
	GArray *public_ips;        /* ss_ip, sorted */
	guint64 conns;             /* translated connections seen */
	guint64 ports_seen;        /* distinct translated ports */
	guint16 port_lo, port_hi;
	guint64 max_concurrent;    /* translated connections open at once, at most */
	gint64 idle_timeout_ns;    /* shortest idle gap after which packets stopped; SS_NO_TIME */
	gint64 idle_survived_ns;   /* longest idle gap that did not; SS_NO_TIME */
	char *evidence;            /* one sentence */
} ss_cmp_translator;

typedef enum {
	SS_CMP_SEV_INFO,
	SS_CMP_SEV_WARNING,
	SS_CMP_SEV_CRITICAL,
} ss_cmp_severity;

typedef struct {
	guint8 severity;           /* ss_cmp_severity */
	char *id;                  /* stable: "dropped_between", "injected_reset"... */
	char *text;                /* one sentence for people */
	gint conn;                 /* index into ss_compare.conns, -1 none */
} ss_cmp_finding;

typedef struct {
	ss_cmp_mode mode;          /* PATH or DRIFT once run */
	char *mode_reason;
	gint64 max_skew_ns;
	ss_cmp_side side[2];       /* A, B */
	/* path mode */
	gboolean have_offset;
	gint64 offset_ns;          /* B's clock minus A's */
	gint64 offset_spread_ns;
	guint64 offset_samples;    /* matched packets behind it */
	gint8 a_near_client;       /* most matched connections: 1 A is nearer the
	                              client, 0 B is, -1 unknown */
	GArray *conns;             /* ss_cmp_conn, by first packet */
	guint64 matched, a_only, b_only;
	GArray *translators;       /* ss_cmp_translator */
	GArray *findings;          /* ss_cmp_finding, ranked */
	/* drift mode: the drift engine's model, an ss_drift (sockscope/drift.h),
	 * freed through drift_free; NULL in path mode. */
	gpointer drift;
	void (*drift_free)(gpointer drift);
} ss_compare;

/* An empty model; the caller fills side[0..1] (files, report, sigs,
 * times) and then calls ss_compare_run(). */
ss_compare *ss_compare_new(ss_cmp_mode mode, gint64 max_skew_ns);
void ss_compare_free(ss_compare *c);

/* Chooses the mode (auto: path when the capture times overlap within
 * max_skew, drift otherwise; mode_reason says why) and runs that engine.
 * FALSE with an SS_ERROR_USAGE error when the mode cannot run. */
gboolean ss_compare_run(ss_compare *c, GError **error);

/* The path engine (src/compare/path.c): matching, clock offset, per
 * connection and per translator inference, findings. */
void ss_compare_path(ss_compare *c);

/* ---- THE DRIFT ENGINE'S PLUG (src/compare/compare.c) ----
 * Called by ss_compare_run() in drift mode with both sides loaded; fills
 * c->drift with ss_drift_compute() of the two reports (sockscope/drift.h,
 * src/compare/drift.c) and c->drift_free.  FALSE with an error when it
 * cannot run. */
gboolean ss_compare_drift(ss_compare *c, GError **error);

/* The engines' pieces, public for the unit tests. */

/* Stable names used in every format. */
const char *ss_cmp_seen_name(ss_cmp_seen s);
const char *ss_cmp_pkt_kind_name(ss_cmp_pkt_kind k);
const char *ss_cmp_port_alloc_name(ss_cmp_port_alloc p);
const char *ss_cmp_severity_name(ss_cmp_severity s);
/* "none", "snat", "dnat", "snat+dnat" or "unknown". */
const char *ss_cmp_translation_name(const ss_cmp_conn *cc);
ss_cmp_pkt_kind ss_cmp_pkt_kind_of(const ss_cmp_pkt *p);
/* For people: "SYN", "SYN-ACK", "ACK", "data", "FIN", "RST". */
const char *ss_cmp_pkt_kind_label(ss_cmp_pkt_kind k);
/* The side (0 A, 1 B) that saw the connection as the client's OS made it
 * (client_assigned, server_addressed); -1 when a translation was seen but
 * not which point is nearer the client. */
int ss_cmp_near_side(const ss_cmp_conn *cc);
/* "low", "medium" or "high": ports in use at once per public address. */
const char *ss_cmp_exhaustion_risk(const ss_cmp_translator *t);
/* "at most 4.001 s": the shortest idle pause after which connections
 * stopped crossing, an upper bound of the translator's timeout, rounded
 * up to the millisecond (rounding down could put it below).  Only when
 * t->idle_timeout_ns is not SS_NO_TIME. */
void ss_cmp_idle_timeout_append(GString *b, const ss_cmp_translator *t);
/* The translator's public addresses, `sep` between them. */
void ss_cmp_public_ips_append(GString *b, const ss_cmp_translator *t, const char *sep);
/* Packets of the connection were lost between the points or a middlebox
 * injected resets: the connections the reports for people draw. */
gboolean ss_cmp_conn_troubled(const ss_cmp_conn *cc);

/* Port allocation from (assigned, translated) client ports in the order
 * the connections started; taken[i] (NULL: none) says connection i's
 * assigned port was held by another translated connection on the same
 * public address at the time, so even a preserving NAT had to change it.
 * *confidence set. */
ss_cmp_port_alloc ss_cmp_port_alloc_infer(const guint16 *assigned, const guint16 *translated,
					  const gboolean *taken, guint n, ss_confidence *confidence);

/* The clock offset (B minus A) from per-packet time differences tB - tA
 * of matched packets that went A->B (`ab`) and B->A (`ba`): the midpoint
 * of their medians (assumes symmetric one-way delays); spread is half the
 * distance between the medians.  Arrays are sorted in place.  FALSE when
 * both are empty; with one direction only, the offset is that median and
 * the spread -1 (unknown). */
gboolean ss_cmp_clock_offset(gint64 *ab, guint n_ab, gint64 *ba, guint n_ba,
			     gint64 *offset, gint64 *spread);

/* Finds for each flow of A the flow of B that is the same connection:
 * out_b[i] is the B index for A's flow i or -1; evidence[i] the
 * SS_CMP_EV_* bits.  Uses `offset` (B minus A) when have_offset, else
 * any offset within max_skew. */
void ss_cmp_match(const ss_cmp_sigs *a, const ss_cmp_sigs *b, gint64 max_skew_ns,
		  gboolean have_offset, gint64 offset_ns, gint *out_b, guint8 *evidence);

#endif
