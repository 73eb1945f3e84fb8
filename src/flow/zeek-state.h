/* Private to flow/: Zeek's per-endpoint TCP state machine
 * (flow/zeek-state.c), which conn.c runs on every TCP packet of a record. */
#ifndef SOCKSCOPE_FLOW_ZEEK_STATE_H
#define SOCKSCOPE_FLOW_ZEEK_STATE_H

#include "sockscope/conn.h"
#include "sockscope/packet.h"

/* Advances the Zeek state, history letters and missed bytes of record c
 * for TCP packet p sent by ep[side]. */
void ss_conn_zeek_tcp(ss_conn *c, int side, const ss_packet *p);
/* The same for a UDP packet: Zeek's history gives D / d once per direction. */
void ss_conn_zeek_udp(ss_conn *c, int side);
/* A TCP or UDP packet of ep[side] whose checksum is bad (SS_CSUM_BAD):
 * the letter C / c, scaled, instead of the two above. */
void ss_conn_zeek_bad_checksum(ss_conn *c, int side);

#endif
