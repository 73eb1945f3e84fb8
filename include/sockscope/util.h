/* Small shared helpers: address and time formatting, service names, JSON
 * string escaping. */
#ifndef SOCKSCOPE_UTIL_H
#define SOCKSCOPE_UTIL_H

#include <glib.h>
#include "sockscope/packet.h"

/* Longest text form of an address (INET6_ADDRSTRLEN). */
#define SS_IP_STRLEN 46

/* Numeric text form: dotted quad, or RFC 5952 IPv6 (no brackets). */
void ss_ip_format(guint8 family, const ss_ip *ip, char buf[SS_IP_STRLEN]);

/* RFC 3339 UTC ("2026-01-01T00:00:00.123456Z"), 6 or 9 sub-second digits.
 * Appends to buf. */
void ss_time_append(GString *buf, gint64 ns, gboolean nanosecond);

/* Service name for a port ("http", "domain"...) or NULL: the system's
 * services database first, then a built-in table so the answer does not
 * depend on /etc/services being installed.  Never does network lookups. */
const char *ss_service_name(guint8 proto, guint16 port);
/* TRUE when the port is a well-known (< 1024) or commonly registered
 * service port: the evidence used to orient connections without a handshake. */
gboolean ss_service_port_known(guint8 proto, guint16 port);

/* Appends s as a JSON string literal (quotes included), escaping control
 * characters, quotes and backslashes; invalid UTF-8 bytes become U+FFFD. */
void ss_json_escape_append(GString *buf, const char *s);

#endif
