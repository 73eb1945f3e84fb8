/* Small facts about addresses and protocols shared by every layer above
 * core (src/core/ip.c): the one "IP:port" text, multicast and broadcast
 * tests, and the transport's name. */
#ifndef SOCKSCOPE_IP_H
#define SOCKSCOPE_IP_H

#include <glib.h>
#include <netinet/in.h>
#include "sockscope/packet.h"

/* Appends "192.0.2.1:80" or, for IPv6, "[2001:db8::1]:443" (brackets, so
 * that the port cannot be read as part of the address; RFC 5952 §6). */
void ss_addr_port_append(GString *b, guint8 family, const ss_ip *ip, guint16 port);
/* The same text as a new string (g_free). */
char *ss_addr_port_dup(guint8 family, const ss_ip *ip, guint16 port);

gboolean ss_ip_is_multicast(guint8 family, const ss_ip *ip);
/* 255.255.255.255 (IPv6 has no broadcast). */
gboolean ss_ip_is_broadcast(guint8 family, const ss_ip *ip);

/* "tcp" or "udp", else `fallback` (each format keeps its own word for an
 * other protocol: "unknown", "?", "unknown_transport"). */
static inline const char *ss_proto_name(guint8 proto, const char *fallback)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : fallback;
}

#endif
