/* One connection record: a TCP connection attempt or a UDP exchange.
 *
 * Endpoints are kept in the order the capture first showed them (ep[0] sent
 * the first packet this record saw); `client` says which of the two
 * connected, decided from evidence by ss_conn_finalize() (decide.h).  A 5-tuple that is
 * reused for a new connection gets a new record. */
#ifndef SOCKSCOPE_CONN_H
#define SOCKSCOPE_CONN_H

#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include "sockscope/flow.h"
#include "sockscope/packet.h"
#include "sockscope/radix.h"

typedef enum {
	SS_OUTCOME_COMPLETE,      /* TCP: SYN, SYN-ACK and the client's ACK */
	SS_OUTCOME_REJECTED,      /* TCP/UDP: RST or ICMP unreachable to the attempt */
	SS_OUTCOME_UNANSWERED,    /* TCP: only SYNs; UDP: only the client spoke */
	SS_OUTCOME_INCOMPLETE,    /* TCP: SYN + SYN-ACK, the final ACK never seen */
	SS_OUTCOME_MIDSTREAM,     /* TCP: no handshake in the capture */
	SS_OUTCOME_SIMULTANEOUS,  /* TCP: both sides sent a bare SYN */
	SS_OUTCOME_ANSWERED,      /* UDP: both sides spoke */
	SS_OUTCOME_UNKNOWN,       /* TCP/UDP: no answer seen, but the capture is
	                             proven to miss packets to the client and
	                             holds none from the server to it: an answer
	                             could be in the missing direction
	                             (docs/inference.md#one-sided-captures) */
	SS_OUTCOME_COUNT
} ss_outcome;

typedef enum {
	SS_CLOSE_NONE,            /* never established (rejected, unanswered, UDP) */
	SS_CLOSE_FIN,             /* both sides sent FIN */
	SS_CLOSE_FIN_CLIENT,      /* only the client sent FIN (half-closed) */
	SS_CLOSE_FIN_SERVER,      /* only the server sent FIN (half-closed) */
	SS_CLOSE_RST_CLIENT,      /* the client reset it */
	SS_CLOSE_RST_SERVER,      /* the server reset it */
	SS_CLOSE_OPEN,            /* still open when the capture ended */
	SS_CLOSE_IDLE,            /* no FIN or RST; silent past its idle timeout */
	SS_CLOSE_COUNT
} ss_close;

/* What decided which side is the client, strongest first. */
typedef enum {
	SS_EVIDENCE_SYN,              /* a bare SYN: its sender connected */
	SS_EVIDENCE_SYN_ACK,          /* only a SYN-ACK: its sender listened */
	SS_EVIDENCE_SIMULTANEOUS,     /* both sent SYN: the first SYN's sender */
	SS_EVIDENCE_ICMP_UNREACHABLE, /* UDP: an ICMP error quoted the client's datagram */
	SS_EVIDENCE_SERVICE_PORT,     /* one port is a known service port */
	SS_EVIDENCE_FIRST_SENDER,     /* UDP: the first sender, from an ephemeral port */
	SS_EVIDENCE_LOWER_PORT,       /* no better evidence: the lower port listened */
	SS_EVIDENCE_FIRST_PACKET,     /* equal ports: the first packet's sender */
	/* Learned from the rest of the capture (src/roles.c, docs/inference.md) */
	SS_EVIDENCE_PROVEN_LISTENER,  /* one side answered a SYN / completed a handshake
	                                 elsewhere (TCP) or replied to many (UDP) */
	SS_EVIDENCE_EPHEMERAL_RANGE,  /* one port is inside its host's learned ephemeral range */
	SS_EVIDENCE_FAN_IN,           /* one side talks to many peers whose ports change */
	SS_EVIDENCE_REPLY_FROM_PORT,  /* UDP: the addressed port replied */
	SS_EVIDENCE_MULTICAST,        /* UDP: sent to a multicast group (a receiver) */
	SS_EVIDENCE_BROADCAST,        /* UDP: sent to the broadcast address */
	SS_EVIDENCE_UNKNOWN,          /* TCP without a handshake, both ports in one OS
	                                 default ephemeral range and no rule above had an
	                                 opinion: nobody is called the client.  `client`
	                                 is then 0 (the first packet's sender) only to
	                                 orient the record (ss_conn_roles_unknown) */
	SS_EVIDENCE_COUNT
} ss_evidence;

typedef enum {
	SS_CONFIDENCE_LOW,
	SS_CONFIDENCE_MEDIUM,
	SS_CONFIDENCE_HIGH,
} ss_confidence;

/* Why a record reuses the 5-tuple of an earlier one. */
typedef enum {
	SS_REUSE_NONE,
	SS_REUSE_AFTER_RST,
	SS_REUSE_AFTER_FIN,
	SS_REUSE_AFTER_IDLE,
	SS_REUSE_AFTER_FAILED,        /* the earlier attempt was never answered/was refused */
	SS_REUSE_WHILE_OPEN,
} ss_reuse;

/* Why a record left the flow table. */
typedef enum {
	SS_END_CAPTURE,        /* still tracked when the capture ended */
	SS_END_CLOSED,         /* closed (FIN both ways or RST) and its linger time passed */
	SS_END_IDLE,           /* silent for longer than its idle timeout */
	SS_END_REUSED,         /* a new connection took over its 5-tuple */
	SS_END_EVICTED,        /* pushed out by the flow-table cap (--max-flows) */
	SS_END_COUNT
} ss_end;

/* Idle-timeout classes: each has its own timeout (packet time). */
typedef enum {
	SS_TIMEOUT_ATTEMPT,    /* TCP: SYN seen, not yet answered */
	SS_TIMEOUT_ESTABLISHED,/* TCP: answered, or mid-stream */
	SS_TIMEOUT_CLOSED,     /* TCP: FIN both ways or RST: linger for stragglers */
	SS_TIMEOUT_UDP,
	SS_TIMEOUT_COUNT
} ss_timeout_class;

/* Per-endpoint flag bits (what that side sent). */
enum {
	SS_SENT_SYN = 1u << 0,        /* bare SYN */
	SS_SENT_SYNACK = 1u << 1,
	SS_SENT_ACK = 1u << 2,        /* a segment with ACK and no SYN */
	SS_SENT_FIN = 1u << 3,
	SS_SENT_RST = 1u << 4,
	SS_SENT_DATA = 1u << 5,       /* payload bytes */
};

#define SS_NO_TIME G_MININT64

/* One side of a record: what it sent.  Its address and port are the flow
 * key's (ss_conn_ip(), ss_conn_port()): a copy of them here cost 32 bytes
 * of every record (docs/performance.md, "Record memory, sixth session").
 * The flags of what it sent are the record's sent[], its SYN's sequence
 * number and options are TCP's (tail_tcp.isn[], .zeek[].tcp_options and
 * .mss: read them through ss_conn_tcp_part()), its window scale the
 * record's wscale[]: here they made every endpoint of every record 48
 * bytes instead of 40 ("Record memory, eighth session"). */
typedef struct {
	guint64 packets;
	guint64 bytes;         /* IP bytes (header + payload) as on the wire */
	guint64 payload;       /* TCP/UDP payload bytes */
	gint64 first_ns, last_ns;
} ss_endpoint;

/* Zeek's history letters in the order they happened; bit i of `who`
 * (ss_conn_history_side()) is set when letter i was sent by ep[1].
 * Letters past the cap are dropped.
 * Kept as 4-bit codes, two a byte (ss_conn_history_letter()): Zeek uses
 * twelve letters, and 32 chars a record were 16 bytes more of every flow
 * in progress (docs/performance.md, "Record memory, sixth session"). */
#define SS_HISTORY_MAX 31
/* The first letters are in every record (ss_conn's history[]), the rest
 * in TCP's part (tail_tcp.history_more[]).  UDP gives at most twelve:
 * Zeek's UDP analyzer gives D / d once per direction and C / c at the
 * 1st, 10th, 100th, 1000th and 10000th bad checksum (zeek_badsum
 * saturates at 65535: flow/zeek-state.c), so a UDP record never needs
 * the rest, and 8 bytes of every UDP record went (docs/performance.md,
 * "Record memory, ninth session"). */
#define SS_HISTORY_COMMON 16
/* The letters, lower case, by code (0: none) */
#define SS_HISTORY_LETTERS "\0shadfrqitwgc"

/* Zeek's TCP endpoint states (its TCP_Endpoint.h): tracked per packet so
 * that conn_state, history and missed_bytes follow Zeek's TCP analyzer
 * (docs/output.md, "Zeek fields"). */
enum {
	SS_ZEEK_INACTIVE,
	SS_ZEEK_SYN_SENT,
	SS_ZEEK_SYN_ACK_SENT,
	SS_ZEEK_PARTIAL,
	SS_ZEEK_ESTABLISHED,
	SS_ZEEK_CLOSED,
	SS_ZEEK_RESET,
};

/* What Zeek keeps per endpoint, reduced to what the log shows.  Sequence
 * numbers relative to `start` (its ISN, or its first seq - 1 without a SYN),
 * as Zeek's are. */
typedef struct {
	guint32 start;         /* absolute */
	guint32 last;          /* absolute: one past the highest byte it sent */
	guint32 reassem;       /* its data seen contiguously up to here */
	guint32 ooo_lo, ooo_hi;/* one run of its data seen beyond a hole */
	guint32 fin;           /* its FIN's sequence number + 1 (Zeek FIN_seq) */
	guint32 rst;           /* its last RST's sequence number */
	guint16 rxmt, win0, gaps;  /* counts behind the scaled letters T W G */
	guint8 state, prev_state;  /* SS_ZEEK_* */
	guint8 ooo;            /* ooo_lo/ooo_hi hold a run */
	/* Not Zeek's: the options of this side's SYN / SYN-ACK, in what was
	 * this struct's padding (a TCP record's only: a UDP record reads
	 * ss_conn_tcp_none's, none). */
	guint8 tcp_options;    /* SS_TCPOPT_HAVE_* */
	guint16 mss;           /* 0 when absent */
	/* `seen` and `badsum`, which UDP uses too, are the record's
	 * zeek_seen[] and zeek_badsum[] */
} ss_zeek_ep;

/* A TCP record's own part (ss_conn's tail_tcp): Zeek's TCP endpoint state
 * and the handshake times.  UDP records do not hold it (128 bytes of every
 * UDP flow in progress: docs/performance.md, "Record memory, seventh
 * session"); read it through ss_conn_tcp_part(). */
typedef struct {
	ss_zeek_ep zeek[2];    /* per ep[] */
	gint64 syn_ns, synack_ns, ack_ns;  /* first SYN, first SYN-ACK, client's ACK after it */
	gint64 first_rst_ns;
	gint64 syn_copy_ns;    /* the latest copy of the first SYN */
	guint64 missed_bytes;  /* Zeek's: data both sides acknowledged but never seen */
	guint32 isn[2];        /* per ep[]: sequence number of its SYN / SYN-ACK */
	/* Only TCP repeats a SYN or a SYN-ACK: in the common part these were
	 * 8 bytes of every UDP record (docs/performance.md, "Record memory,
	 * ninth session"). */
	guint32 syn_retransmits;     /* repeated SYNs with the same ISN */
	guint32 synack_retransmits;  /* repeated SYN-ACKs */
	/* History letters SS_HISTORY_COMMON on, as ss_conn's history[] and
	 * history_who (bit i - SS_HISTORY_COMMON for letter i) */
	guint8 history_more[(SS_HISTORY_MAX + 1 - SS_HISTORY_COMMON) / 2];
	guint16 history_who_more;
	/* Per ep[]: the window scale of its SYN / SYN-ACK, 0 when absent */
	guint8 wscale[2];
	/* 0 for the first record of a tuple, then 1, 2...  Only a TCP record
	 * reuses a tuple (a new SYN on it: flow/lifecycle.c), so a UDP record
	 * reads 0 from ss_conn_tcp_none.  These three were 8 bytes of every
	 * UDP record in the common part (docs/performance.md, "Record memory,
	 * tenth session"). */
	guint32 reuse_index;
} ss_conn_tcp;

/* Gaps between the copies of a retransmitted SYN that are kept. */
#define SS_SYN_GAPS_MAX 8

typedef struct ss_conn {
	/* Hot first, cold last (docs/performance.md, "ss_conn layout"): one
	 * record is kept per flow in progress and every packet of the flow
	 * touches it, so the fields the per-packet path reads and writes
	 * (flow/lifecycle.c, flow/conn.c, flow/zeek-state.c) come first, in
	 * the order it touches them: key and timeout links (line 0), sides
	 * and endpoint counters, history.  Fields read only when
	 * the record ends, or on rare packets (SYN copies, ICMP errors), come
	 * after, and then the tail: TCP's state (Zeek's endpoints and the
	 * handshake, hot for a TCP packet: the cold fields between are 20
	 * bytes), SYN gaps, tunnel.  Enums and sides are stored in the bits
	 * their values need (bit-fields, below) and small fields grouped: no
	 * padding holes.  Other code reads the fields by name; only this
	 * order is tuned. */
	ss_flow_key key;       /* first member: the flow table stores ss_conn* */
	union {
		/* In progress: its neighbours in the list of its timeout class
		 * (oldest first), by their 32-bit names in the lifecycle's slab
		 * (flow/slab.h: (record - base) / 8; 0 for none).  Pointers
		 * were 16 bytes of every record (docs/performance.md, "Record
		 * memory, tenth session"); only flow/lifecycle.c reads them. */
		struct {
			guint32 lru_prev, lru_next;
		};
		/* Ended, handed back for reuse: the next in its chain */
		struct ss_conn *next_spare;
	};
	/* The latest packet from either side is ss_conn_last_ns(), the later
	 * of the endpoints' last_ns: a copy here was 8 bytes of every record
	 * (docs/performance.md, "Record memory, ninth session"). */

	guint8 proto;          /* IPPROTO_TCP / IPPROTO_UDP */
	guint8 family;
	/* Whole bytes: every format and roll-up reads these two, often
	 * (ss_conn_ip(), ss_conn_client()); as bit-fields too, their
	 * extraction cost 0.6% more instructions on many-s (callgrind, 2 765
	 * instead of 2 749 M). */
	gint8 client;          /* index into ep[] of the client; -1 until finalized */
	guint8 ep0_key_side;   /* which ss_flow_key endpoint ep[0] is */
	/* The other small fields are bit-fields, each in as many bits as its
	 * values need: a byte each, they were 8 bytes more of every record
	 * (docs/performance.md, "Record memory, ninth session").  A run of
	 * bit-fields is one memory location: these are written by the tracker
	 * (the packet thread) only, and no other thread reads them while it
	 * still tracks the record (the report stage's ss_roles_note_record
	 * reads proto, family, the key and ep0_key_side, whole bytes). */
	gint8 syn_side : 2;        /* who sent the first bare SYN, -1 none */
	gint8 synack_side : 2;     /* who sent the first SYN-ACK, -1 none */
	gint8 first_rst_side : 2;
	gint8 icmp_about_side : 2; /* the side whose packet the ICMP error quoted */
	/* A whole byte: the lifecycle reads it every packet and writes it
	 * whenever the record moves in its list (as a bit-field with the next
	 * run, ~2% more CPU on many-flows, bench/ab.sh) */
	guint8 timeout_class;      /* ss_timeout_class (lifecycle, owned by the analyzer) */
	guint8 zeek_partial : 1;   /* Zeek's is_partial: the first packets were not a handshake */
	/* ack_ns is set.  Here, in a line every packet touches, the test on
	 * each of the client's ACKs reads no handshake line: ack_ns's load
	 * had a fifth of ss_conn_update's samples on mixed.pcap (perf). */
	guint8 acked : 1;
	guint8 history_len : 5;    /* letters in history[] (at most SS_HISTORY_MAX) */
	guint8 icmp_type;          /* of the first ICMP error (cold: fills a hole) */
	guint8 sent[2];        /* per ep[]: SS_SENT_* (read every packet: the timeout class) */
	/* Zeek's per-endpoint state that UDP uses too (the rest is TCP's,
	 * tail_tcp.zeek[]), per ep[]: */
	guint8 zeek_seen[2];     /* history letters S H A D F R Q I given once */
	/* bit i: letter i (< SS_HISTORY_COMMON) was sent by ep[1]; the rest
	 * are TCP's (tail_tcp.history_who_more) */
	guint16 history_who;
	guint8 icmp_code, icmp_family;  /* of the first ICMP error (cold: fills a hole) */
	/* Packets whose payload the snap length cut: hot, as every such packet
	 * counts here (on a capture cut at a snap length, most of them).  In
	 * the cold part it cost a cache miss a packet: ss_conn_update had 4.6%
	 * of mixed.pcap's samples, a third of them on this add (perf). */
	guint32 snaplen_cut;
	/* ICMP errors quoting this flow (cold: here, the endpoints start at
	 * offset 80, and ep[0] ends in line 1) */
	guint32 icmp_errors;
	ss_endpoint ep[2];     /* ep[0] sent the first packet this record saw */
	/* letter i's code (i < SS_HISTORY_COMMON): nibble i % 2 of byte i / 2 */
	guint8 history[SS_HISTORY_COMMON / 2];
	guint16 zeek_badsum[2];  /* per ep[]: packets with a bad checksum (letter C),
	                            which Zeek's analyzer otherwise skips */

	/* ---- cold: rare packets, and the end of the record ---- */
	/* (The window scales and the tuple's reuse index are TCP's:
	 * tail_tcp.wscale[], .reuse_index.) */
	/* lifecycle, owned by the analyzer (the packet thread) */
	guint8 reuse : 3;      /* ss_reuse: this record reuses the tuple of an earlier one */
	guint8 ended_by : 3;   /* ss_end */
	/* SS_CONN_TAIL_*: how much of the tail below this record holds (set
	 * when it starts, and when it moves to hold the SYN gaps; the report
	 * thread reads it only once the record ended) */
	guint8 tail : 2;
	guint8 evictions;      /* times the flow cap pushed it out of the table
	                          and it came back (saturates at 255) */

	/* Set by ss_conn_finalize() (analysis/decide.c), once a record: two
	 * a byte as bit-fields, with `continues` (written once, when the
	 * record starts), so that the record's fields end at a multiple
	 * of 8 (184 bytes), and a TCP record's too (344). */
	guint8 outcome : 4;    /* ss_outcome */
	guint8 close : 4;      /* ss_close */
	guint8 evidence : 4;   /* ss_evidence */
	guint8 confidence : 2; /* ss_confidence */
	guint8 continues : 1;  /* it continues a flow the cap evicted whose
	                          first part is not this record (written already,
	                          or aggregated): not a new connection */
	guint64 seq;           /* creation order, the tie-breaker when sorting */

	/* ---- the tail: only as much of it as `tail` says is there ----
	 * A record is allocated only as long as it needs (ss_conn_size()):
	 * UDP records end here (184 bytes), TCP records after tail_tcp (344),
	 * a TCP record whose SYN repeated after the SYN gaps (408: it moves to
	 * that length at its first gap, flow/lifecycle.c), tunnelled records
	 * hold the tunnel too (456).  Read them through ss_conn_tcp_part(),
	 * ss_conn_syn_gap_ns() and ss_conn_tunnel() (the per-packet path of a
	 * TCP record writes tail_tcp directly: its records hold it), and copy
	 * records with ss_conn_copy(), never `*c`: past a record's tail may
	 * lie the next record (flow/slab.c).  1M records in progress on the
	 * many-flows capture are most of its peak memory: without this tail a
	 * UDP record is 272 bytes shorter, a TCP one 112 (docs/performance.md,
	 * "Record memory", fifth to tenth sessions). */
	ss_conn_tcp tail_tcp;  /* TCP's state (and a tunnelled UDP record's,
	                          unused, as ss_conn_init made it) */
	/* Between successive copies of the first SYN (index: syn_retransmits
	 * when the copy came; a gap never written reads 0).  Only ~3% of TCP
	 * records repeat their SYN, so the others end before these 64 bytes
	 * (SS_CONN_TAIL_TCP) and a record moves to SS_CONN_TAIL_SYN_GAPS at
	 * its first gap (ss_conn_syn_gap_due()). */
	gint64 tail_syn_gaps_ns[SS_SYN_GAPS_MAX];
	/* The innermost tunnel the flow came through: its id is also in the
	 * key, its outer endpoints only here.  Taken from the packet that
	 * started the record. */
	ss_tunnel tail_tunnel;
} ss_conn;

/* How much of ss_conn's tail a record holds: each holds the ones before. */
enum {
	SS_CONN_TAIL_NONE,     /* UDP, not tunnelled: no TCP state, no SYN can repeat */
	SS_CONN_TAIL_TCP,      /* TCP, not tunnelled: TCP's state */
	SS_CONN_TAIL_SYN_GAPS, /* TCP, not tunnelled, its SYN repeated: and the SYN gaps */
	SS_CONN_TAIL_TUNNEL,   /* tunnelled (TCP or UDP): the whole record */
	SS_CONN_TAIL_COUNT
};

/* The bytes a record with that tail takes. */
static inline gsize ss_conn_size(guint tail)
{
	return tail == SS_CONN_TAIL_NONE ? G_STRUCT_OFFSET(ss_conn, tail_tcp)
	     : tail == SS_CONN_TAIL_TCP ? G_STRUCT_OFFSET(ss_conn, tail_syn_gaps_ns)
	     : tail == SS_CONN_TAIL_SYN_GAPS ? G_STRUCT_OFFSET(ss_conn, tail_tunnel)
	     : sizeof(ss_conn);
}

/* The tail a record of this protocol needs when its first packet came
 * through tunnel t: the tunnel is kept when any of its bytes is set (an
 * all-zero one reads back the same from ss_conn_tunnel()).  A new TCP
 * record holds no SYN gaps: it gets them when its SYN repeats. */
static inline guint8 ss_conn_tail_for(guint8 proto, const ss_tunnel *t)
{
	static const ss_tunnel none;
	if (memcmp(t, &none, sizeof none) != 0)
		return SS_CONN_TAIL_TUNNEL;
	return proto == IPPROTO_TCP ? SS_CONN_TAIL_TCP : SS_CONN_TAIL_NONE;
}

/* The record's tunnel: an all-zero one (type NONE) when it holds none. */
static inline const ss_tunnel *ss_conn_tunnel(const ss_conn *c)
{
	static const ss_tunnel none;
	return c->tail == SS_CONN_TAIL_TUNNEL ? &c->tail_tunnel : &none;
}

/* What a record without TCP state reads: as ss_conn_init() makes it. */
extern const ss_conn_tcp ss_conn_tcp_none;

/* The record's TCP state: ss_conn_tcp_none (no handshake times, no missed
 * bytes, Zeek's endpoints inactive) when it holds none (a UDP record). */
static inline const ss_conn_tcp *ss_conn_tcp_part(const ss_conn *c)
{
	return c->tail >= SS_CONN_TAIL_TCP ? &c->tail_tcp : &ss_conn_tcp_none;
}

/* Gap i (< MIN(syn_retransmits, SS_SYN_GAPS_MAX)) between SYN copies: 0
 * when the record holds no gaps (none was ever written: conn.c writes the
 * first only once the record holds them). */
static inline gint64 ss_conn_syn_gap_ns(const ss_conn *c, guint i)
{
	return c->tail >= SS_CONN_TAIL_SYN_GAPS ? c->tail_syn_gaps_ns[i] : 0;
}

/* *dst = *src for as much as src holds (dst is a whole ss_conn). */
static inline void ss_conn_copy(ss_conn *dst, const ss_conn *src)
{
	memcpy(dst, src, ss_conn_size(src->tail));
}

/* Stable lower-case names used by every output format. */
const char *ss_outcome_name(ss_outcome o);
const char *ss_close_name(ss_close c);
const char *ss_evidence_name(ss_evidence e);
const char *ss_confidence_name(ss_confidence c);
const char *ss_reuse_name(ss_reuse r);
const char *ss_end_name(ss_end e);
const char *ss_timeout_class_name(ss_timeout_class t);

/* Zeek's conn_state code ("S0", "SF", "REJ"...) for a finalized record. */
const char *ss_conn_zeek_state(const ss_conn *c);
/* The byte that holds history letter i's code (nibble i % 2): in the
 * common part, or TCP's (ss_conn_tcp_none's, all 0, for a UDP record). */
static inline const guint8 *ss_conn_history_byte(const ss_conn *c, guint i)
{
	return i < SS_HISTORY_COMMON ? &c->history[i / 2]
	     : &ss_conn_tcp_part(c)->history_more[(i - SS_HISTORY_COMMON) / 2];
}

/* History letter i, lower case: '\0' from history_len on. */
static inline char ss_conn_history_letter(const ss_conn *c, guint i)
{
	return SS_HISTORY_LETTERS[(*ss_conn_history_byte(c, i) >> (i % 2 * 4)) & 15];
}

/* Which side (0: ep[0], 1: ep[1]) sent history letter i (< history_len). */
static inline int ss_conn_history_side(const ss_conn *c, guint i)
{
	return i < SS_HISTORY_COMMON ? (c->history_who >> i) & 1
	     : (ss_conn_tcp_part(c)->history_who_more >> (i - SS_HISTORY_COMMON)) & 1;
}

/* The tuple's reuse index: 0 for the first record of a tuple, then 1,
 * 2...; always 0 for a UDP record (only TCP reuses a tuple). */
static inline guint32 ss_conn_reuse_index(const ss_conn *c)
{
	return ss_conn_tcp_part(c)->reuse_index;
}

/* Appends a history letter (either case: stored lower) sent by ep[side];
 * nothing past SS_HISTORY_MAX letters. */
void ss_conn_history_add(ss_conn *c, int side, char letter);

/* Zeek's history string, originator (the client) in upper case, into buf
 * (SS_HISTORY_MAX + 2 bytes: a leading '^' when the client was not the
 * first sender); returns its length. */
gsize ss_conn_zeek_history(const ss_conn *c, char *buf, gsize size);

/* The address and port of ep[i] (i = 0, 1): the key's side
 * i ^ ep0_key_side.  Records keep them only in the key, which every copy
 * of a record holds. */
static inline const ss_ip *ss_conn_ip(const ss_conn *c, int i)
{
	return &c->key.addr[i ^ c->ep0_key_side];
}
static inline guint16 ss_conn_port(const ss_conn *c, int i)
{
	return c->key.port[i ^ c->ep0_key_side];
}

/* Sets ep[0]'s and ep[1]'s address and port: the key's, in its canonical
 * order (its protocol, family and tunnel stay), and which side ep[0] is.
 * For records made by hand (tests, a rewrite); the tracker's come from
 * their flow's key (ss_conn_init). */
static inline void ss_conn_set_ends(ss_conn *c, ss_ip ip0, guint16 port0, ss_ip ip1, guint16 port1)
{
	ss_flow_key k;
	c->ep0_key_side = (guint8)ss_flow_key_make(&k, c->key.family, c->key.proto, &ip0, port0,
						   &ip1, port1);
	memcpy(c->key.addr, k.addr, sizeof k.addr);
	memcpy(c->key.port, k.port, sizeof k.port);
}

/* The latest packet from either side (SS_NO_TIME before the first): the
 * later of the endpoints' (SS_NO_TIME is the smallest time).  The
 * per-packet update has both in its lines; the timeout lists read it for
 * their heads only. */
static inline gint64 ss_conn_last_ns(const ss_conn *c)
{
	return MAX(c->ep[0].last_ns, c->ep[1].last_ns);
}

/* Convenience accessors for a finalized record. */
static inline const ss_ip *ss_conn_client_ip(const ss_conn *c)
{
	return ss_conn_ip(c, c->client);
}
static inline guint16 ss_conn_client_port(const ss_conn *c)
{
	return ss_conn_port(c, c->client);
}
static inline const ss_ip *ss_conn_server_ip(const ss_conn *c)
{
	return ss_conn_ip(c, !c->client);
}
static inline guint16 ss_conn_server_port(const ss_conn *c)
{
	return ss_conn_port(c, !c->client);
}
static inline const ss_endpoint *ss_conn_client(const ss_conn *c)
{
	return &c->ep[c->client];
}
static inline const ss_endpoint *ss_conn_server(const ss_conn *c)
{
	return &c->ep[!c->client];
}
/* TRUE when nothing told the client from the server (evidence `unknown`):
 * ss_conn_client() is then only the first packet's sender, and no format
 * may call it the client, nor the other side a listener. */
static inline gboolean ss_conn_roles_unknown(const ss_conn *c)
{
	return c->evidence == SS_EVIDENCE_UNKNOWN;
}

/* TRUE for ICMP "destination unreachable" (IPv4 type 3, ICMPv6 type 1). */
gboolean ss_icmp_is_unreachable(guint8 family, guint8 type);

/* A record's first and last packet times over both endpoints (an endpoint
 * counts only when it sent packets); SS_NO_TIME when there are none. */
void ss_conn_span(const ss_conn *c, gint64 *first_ns, gint64 *last_ns);
/* The report's order of records: by first packet, then creation order
 * (seq).  A GCompareFunc over ss_conn* elements of a GPtrArray. */
gint ss_conn_cmp_first(gconstpointer pa, gconstpointer pb);
/* Sorts an array of ss_conn* into that order, reading each record once
 * (the comparisons work on a copy of the sort key). */
void ss_conn_sort_first(GPtrArray *conns);
/* For callers that sort records without an ss_conn* array (flow/
 * lifecycle.c's capture end): the pair of c's first packet and c, and the
 * sort of such pairs into that order (by first packet with core/radix.h,
 * then the ties by seq, reading their records).  `tmp` has room for n. */
ss_radix_pair ss_conn_sort_pair(const ss_conn *c);
void ss_conn_sort_pairs(ss_radix_pair *v, gsize n, ss_radix_pair *tmp);

/* Handshake round trips in ns, or SS_NO_TIME when a packet is missing. */
gint64 ss_conn_syn_to_synack_ns(const ss_conn *c);
gint64 ss_conn_synack_to_ack_ns(const ss_conn *c);

#endif
