/* "IP:port" text and address classes (sockscope/ip.h).  One formatter for
 * every format: the copies that lived in the renderers had drifted (one
 * tested the OS's AF_INET6 instead of SS_FAMILY_IPV6 and dropped the IPv6
 * brackets). */
#include "sockscope/format.h"
#include "sockscope/ip.h"

void ss_addr_port_append(GString *b, guint8 family, const ss_ip *ip, guint16 port)
{
	char buf[SS_IP_STRLEN];
	gsize n = ss_ip_format(family, ip, buf);
	gboolean v6 = family == SS_FAMILY_IPV6;
	if (v6)
		g_string_append_c(b, '[');
	ss_append_len(b, buf, n);
	if (v6)
		g_string_append_c(b, ']');
	g_string_append_c(b, ':');
	ss_u64_append(b, port);
}

char *ss_addr_port_dup(guint8 family, const ss_ip *ip, guint16 port)
{
	GString *b = g_string_sized_new(SS_IP_STRLEN + 8);
	ss_addr_port_append(b, family, ip, port);
	return g_string_free(b, FALSE);
}

gboolean ss_ip_is_multicast(guint8 family, const ss_ip *ip)
{
	if (family == SS_FAMILY_IPV4)
		return ip->bytes[0] >= 224 && ip->bytes[0] <= 239;
	return ip->bytes[0] == 0xff;
}

gboolean ss_ip_is_broadcast(guint8 family, const ss_ip *ip)
{
	return family == SS_FAMILY_IPV4 && ip->bytes[0] == 255 && ip->bytes[1] == 255 &&
	       ip->bytes[2] == 255 && ip->bytes[3] == 255;
}
