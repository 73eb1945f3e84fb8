/* Drift: what changed at one capture point between two captures of it taken
 * at different times (`sockscope compare --mode drift A B`, issue 16).
 *
 * Input: two finished reports (sockscope/report.h, with their records,
 * listeners and hosts).  Output: a model every format draws from:
 *   - listener changes: appeared, vanished, state changed (open, closed,
 *     filtered, or not seen at all), each side with the counts behind it;
 *   - client network changes per listener seen in both captures: networks
 *     (IPv4 /24, IPv6 /64) that connected in one capture and not the other;
 *   - ephemeral-port profile changes per host profiled in both captures,
 *     "unknown" when one side has too few samples to say.
 * Never a confident wrong answer: absence from a capture is not proof that
 * a listener is gone (nobody may have connected), so such a change carries
 * low confidence and says so, while a listener that answered in A and
 * refused every attempt in B vanished with high confidence.  The rules are
 * in docs/compare.md ("Drift"); every array is sorted so the same reports
 * always give the same model. */
#ifndef SOCKSCOPE_DRIFT_H
#define SOCKSCOPE_DRIFT_H

#include <glib.h>
#include "sockscope/ephemeral.h"
#include "sockscope/findings.h"
#include "sockscope/report.h"

/* Client networks: addresses are grouped by these prefixes.  A /24 and a
 * /64 are the usual size of one site's LAN / one IPv6 subnet, so a "new
 * network" is a new site or subnet rather than a new DHCP lease. */
#define SS_DRIFT_PREFIX_V4 24
#define SS_DRIFT_PREFIX_V6 64
/* A client network absent from one capture is only "new"/"gone" with
 * medium confidence when that capture saw at least this many connections
 * to the listener (with fewer, its absence says little); never high:
 * absence within a capture window is not proof. */
#define SS_DRIFT_NET_MIN_OTHER 8
/* Ports a capture's profile needs before the other capture's ports outside
 * its range, or a different allocation pattern, count as a change (a
 * profile is named from SS_EPH_MIN_SAMPLES; one named from that few can
 * differ between two samples of one allocator). */
#define SS_DRIFT_EPH_STRONG_SAMPLES 16

typedef enum {
	SS_DRIFT_APPEARED,      /* open in B; not open (closed, or not seen) in A */
	SS_DRIFT_VANISHED,      /* open in A; closed, or not seen, in B */
	SS_DRIFT_STATE_CHANGED, /* any other change: open <-> filtered, closed <-> filtered */
	SS_DRIFT_CHANGE_COUNT
} ss_drift_change;

/* One listening socket in one capture. */
typedef struct {
	gboolean seen;             /* some record reached it in this capture */
	ss_listener_state state;   /* when seen */
	guint64 connections;       /* records (attempts, exchanges) to it */
	guint64 answered;          /* answered ones: handshakes, mid-stream, UDP replies */
	guint64 refused;           /* refused: RST or ICMP unreachable */
	guint64 refused_rst;       /* of those in the listed records: by a TCP reset */
	guint64 refused_icmp;      /* of those in the listed records: by ICMP unreachable */
	guint64 unanswered;        /* attempts nobody answered */
	guint64 syn_retransmits;   /* repeated SYNs of its listed records */
	guint64 clients;           /* distinct client addresses */
	gint64 first_ns, last_ns;  /* SS_NO_TIME when not seen */
} ss_drift_side;

typedef struct {
	guint8 proto, family;
	ss_ip ip;
	guint16 port;
	ss_vnet vnet;              /* the tunnel and VNI it lives behind (zero: none) */
	const char *service;       /* static, NULL when unknown */
	ss_drift_change change;
	ss_confidence confidence;  /* that the change is real (see docs/compare.md) */
	ss_drift_side a, b;
} ss_drift_listener;

typedef enum {
	SS_DRIFT_NET_NEW,          /* connected in B, not in A */
	SS_DRIFT_NET_GONE,         /* connected in A, not in B */
} ss_drift_net_change;

typedef struct {
	/* the listener */
	guint8 proto, family;
	ss_ip ip;
	guint16 port;
	ss_vnet vnet;
	/* the client network: the address with the host bits zero */
	ss_ip net;
	guint8 prefix;             /* SS_DRIFT_PREFIX_V4 / _V6 */
	ss_drift_net_change change;
	ss_confidence confidence;
	guint64 connections;       /* from the network, in the capture it was seen in */
	guint64 clients;           /* distinct addresses of it there */
	guint64 other_connections; /* the listener's connections in the other capture */
} ss_drift_network;

typedef enum {
	SS_DRIFT_EPH_CHANGED,      /* both known, and ports of one capture lie outside the
	                              other's range, or the patterns differ on enough ports */
	SS_DRIFT_EPH_UNKNOWN,      /* one side has too few samples, or the profiles differ
	                              without such evidence */
} ss_drift_eph_verdict;

/* What differs between two known profiles (bits). */
enum {
	SS_DRIFT_EPH_RANGE = 1u << 0,    /* the default range, or a custom range's bounds */
	SS_DRIFT_EPH_PATTERN = 1u << 1,  /* the allocation pattern (both known) */
};

typedef struct {
	guint8 family;
	ss_ip ip;
	ss_vnet vnet;
	ss_drift_eph_verdict verdict;
	guint32 differs;           /* SS_DRIFT_EPH_* when changed */
	const char *why;           /* static: the evidence, or why it is unknown */
	ss_eph_profile a, b;
	guint64 a_samples, b_samples;
	guint16 a_min, a_max, b_min, b_max;   /* observed source ports */
} ss_drift_ephemeral;

typedef struct {
	GArray *listeners;         /* ss_drift_listener, by protocol, family, address, port */
	GArray *networks;          /* ss_drift_network, by listener, then network */
	GArray *ephemeral;         /* ss_drift_ephemeral, by family, address */
	guint64 listeners_a, listeners_b;   /* listener entries of each report */
	guint64 listeners_unchanged;        /* seen in both in the same state */
	guint64 not_listening;     /* closed or filtered in one capture, not seen in the
	                              other: never a listener, not a change */
	guint64 networks_compared; /* listeners seen in both whose networks were compared */
	guint64 hosts_profiled;    /* hosts in both reports with a known profile in either */
	guint64 ephemeral_unchanged;
} ss_drift;

/* The drift from `a` (earlier) to `b` (later).  Both reports are only read;
 * their `conns` give the refusal kinds and client networks (records the flow
 * cap aggregated count in the listener totals only).  Free with
 * ss_drift_free(). */
ss_drift *ss_drift_compute(const ss_report *a, const ss_report *b);
void ss_drift_free(ss_drift *d);

/* The change classification alone (a pure function, for tests): FALSE
 * when (a, b) is no change.  `udp` lowers the confidence of silence. */
gboolean ss_drift_classify(const ss_drift_side *a, const ss_drift_side *b, gboolean udp,
			   ss_drift_change *change, ss_confidence *confidence);

/* "appeared", "vanished", "state_changed". */
const char *ss_drift_change_name(ss_drift_change c);
/* "new", "gone". */
const char *ss_drift_net_change_name(ss_drift_net_change c);
/* "changed", "unknown". */
const char *ss_drift_eph_verdict_name(ss_drift_eph_verdict v);
/* A side's state as the records name it: "open", "closed", "filtered", or
 * NULL when not seen. */
const char *ss_drift_side_state(const ss_drift_side *s);

/* The evidence of one side in words, e.g. "open in A: 12 of 12 attempts
 * answered" or "RST to 12 SYNs in B", "no traffic to it in B"; `label` is
 * "A" or "B". */
void ss_drift_side_evidence(const ss_drift_listener *l, const ss_drift_side *s,
			    const char *label, GString *out);
/* "10.0.0.2:443/tcp", "[2001:db8::1]:53/udp": how every format names a
 * listener of the drift. */
void ss_drift_listener_append(GString *out, guint8 proto, guint8 family, const ss_ip *ip,
			      guint16 port);
/* "10.9.0.0/24". */
void ss_drift_network_append(GString *out, guint8 family, const ss_ip *net, guint8 prefix);
/* An ephemeral profile in words: "linux 32768-60999, stepping (24 ports)". */
void ss_drift_profile_append(GString *out, const ss_eph_profile *p, guint64 samples);

/* The drift's findings (ss_finding*, ranked like a single capture's), for
 * every format: one per listener change (high confidence vanished ->
 * medium severity, others lower), one per listener for its new networks
 * and one for its gone networks, and one per changed ephemeral profile.  Free with g_ptr_array_unref. */
GPtrArray *ss_drift_findings(const ss_drift *d);

#endif
