/* IPFIX export (--ipfix): every finished connection record as one
 * bidirectional flow record (RFC 7011, RFC 5103), the client (initiator) as
 * the forward direction.  docs/output.md#ipfix lists the templates.
 *
 * Two layers: the encoder builds IPFIX messages and hands each finished one
 * to a send function (unit-testable, no sockets); the exporter is the
 * encoder on a UDP or TCP socket. */
#ifndef SOCKSCOPE_EXPORT_IPFIX_H
#define SOCKSCOPE_EXPORT_IPFIX_H

#include <glib.h>
#include "sockscope/conn.h"

#define SS_IPFIX_PORT 4739            /* IANA: ipfix, UDP and TCP */
#define SS_IPFIX_TEMPLATE_V4 256
#define SS_IPFIX_TEMPLATE_V6 257
#define SS_IPFIX_REVERSE_PEN 29305    /* RFC 5103 reverse information elements */

typedef enum {
	SS_IPFIX_UDP,
	SS_IPFIX_TCP,
} ss_ipfix_transport;

/* Sends one complete message; FALSE with an error when it could not. */
typedef gboolean (*ss_ipfix_send_fn)(const guint8 *msg, gsize len, gpointer data,
				     GError **error);

typedef struct {
	guint32 domain_id;            /* observation domain ID in every message header */
	/* TCP (a session): the templates are sent once, in the first message.
	 * UDP: they are sent in the first message and again in the first
	 * message after `template_refresh_s` seconds of export time or
	 * `template_refresh_msgs` messages since they were last sent. */
	gboolean session;
	guint template_refresh_s;
	guint template_refresh_msgs;
	gsize max_message;            /* a message never exceeds this (at most 65535) */
	gboolean flush_each;          /* send every record at once (live capture) */
	/* Export time in seconds since the epoch; NULL = the system clock. */
	guint32 (*clock)(gpointer data);
	gpointer clock_data;
} ss_ipfix_config;

/* UDP defaults: domain 1, templates every 60 s or 100 messages, messages of
 * at most 1400 bytes (one datagram without fragmentation on Ethernet). */
void ss_ipfix_config_init(ss_ipfix_config *cfg, ss_ipfix_transport transport);

typedef struct ss_ipfix_encoder ss_ipfix_encoder;

ss_ipfix_encoder *ss_ipfix_encoder_new(const ss_ipfix_config *cfg, ss_ipfix_send_fn send,
				       gpointer send_data);
/* Adds one finalized record; a message is sent when the next record would
 * not fit (or at once with flush_each).  FALSE when a send failed. */
gboolean ss_ipfix_encoder_add(ss_ipfix_encoder *e, const ss_conn *c, GError **error);
/* Sends the message being built, if it holds any record. */
gboolean ss_ipfix_encoder_flush(ss_ipfix_encoder *e, GError **error);
/* Data records added so far (the next message's sequence number). */
guint64 ss_ipfix_encoder_records(const ss_ipfix_encoder *e);
guint64 ss_ipfix_encoder_messages(const ss_ipfix_encoder *e);
void ss_ipfix_encoder_free(ss_ipfix_encoder *e);

/* The flowEndReason (RFC 7011 / IANA) a record's ended_by maps to:
 * idle 0x01, closed and reused 0x03 (end of flow detected), capture_end
 * 0x04 (forced end), evicted 0x05 (lack of resources). */
guint8 ss_ipfix_end_reason(const ss_conn *c);
/* The union of TCP flags a side sent, as far as the record knows them
 * (SYN, SYN+ACK, ACK, FIN, RST); 0 for UDP. */
guint16 ss_ipfix_tcp_flags(const ss_conn *c, int side);

/* Splits "HOST:PORT", "[IPv6]:PORT", "HOST" or a bare IPv6 address (port
 * 4739) into its parts (free with g_free); SS_ERROR_USAGE when malformed. */
gboolean ss_ipfix_parse_target(const char *target, char **host, char **port,
			       GError **error);

typedef struct ss_ipfix_exporter ss_ipfix_exporter;

/* The exporter never waits on the collector for longer than this without
 * progress: a TCP connect, or a send while the collector takes no data. */
#define SS_IPFIX_TIMEOUT_S 10
/* TCP: bytes the kernel has not taken yet wait in a queue of at most this
 * size (plus one message); past it the exporter waits (bounded, above). */
#define SS_IPFIX_QUEUE_BYTES (256 * 1024)

/* TRUE when a stop signal has been requested (ss_signals_stop_requested). */
typedef gboolean (*ss_ipfix_stop_fn)(gpointer data);

/* Resolves the target and opens the socket (TCP: connects at once, within
 * SS_IPFIX_TIMEOUT_S, so an unreachable collector is an error before any
 * packet is read).
 * SS_ERROR_USAGE for a malformed target, SS_ERROR_OUTPUT otherwise. */
ss_ipfix_exporter *ss_ipfix_exporter_open(const char *target, ss_ipfix_transport transport,
					  guint32 domain_id, gboolean flush_each,
					  GError **error);
/* Exports one record (an ss_conn_sink-shaped call).  Failures are kept for
 * ss_ipfix_exporter_close(): over TCP the export stops at the first one;
 * over UDP the messages that could not be sent are counted and the rest go on. */
void ss_ipfix_exporter_add(ss_ipfix_exporter *x, const ss_conn *c);
/* A stop signal that arrives while the exporter waits for a collector that
 * is not reading ends the wait at once and the TCP session with it (the
 * capture loop cannot see the signal while it is stuck in the export).
 * NULL: only SS_IPFIX_TIMEOUT_S ends a wait.  `stop` may be called from
 * the thread that exports (the jsonl writer thread for files). */
void ss_ipfix_exporter_set_stop(ss_ipfix_exporter *x, ss_ipfix_stop_fn stop, gpointer data);
/* Sends what is left (waiting for the TCP queue to drain, bounded as
 * above) and closes; FALSE with an SS_ERROR_OUTPUT error describing what
 * could not be exported.  Frees x. */
gboolean ss_ipfix_exporter_close(ss_ipfix_exporter *x, GError **error);

#endif
