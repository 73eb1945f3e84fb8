/* Community ID v1: SHA1 through GChecksum, base64 through g_base64_encode.
 * See include/sockscope/community-id.h and the spec's README. */
#include <string.h>

#include "sockscope/community-id.h"

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58, PROTO_SCTP = 132 };

gboolean ss_community_id(guint8 family, guint8 proto,
			 const ss_ip *saddr, guint16 sport,
			 const ss_ip *daddr, guint16 dport,
			 guint16 seed, char out[SS_COMMUNITY_ID_LEN])
{
	gsize alen;
	out[0] = '\0';
	if (family == SS_FAMILY_IPV4)
		alen = 4;
	else if (family == SS_FAMILY_IPV6)
		alen = 16;
	else
		return FALSE;
	if (proto == PROTO_ICMP || proto == PROTO_ICMPV6)
		return FALSE;
	gboolean ports = proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP;
	if (!ports)
		sport = dport = 0;

	/* Smaller address first; equal addresses: smaller port first. */
	int c = memcmp(saddr->bytes, daddr->bytes, alen);
	if (c > 0 || (c == 0 && sport > dport)) {
		const ss_ip *t = saddr;
		saddr = daddr;
		daddr = t;
		guint16 tp = sport;
		sport = dport;
		dport = tp;
	}

	/* seed(2) saddr(4|16) daddr(4|16) proto(1) pad(1) [sport(2) dport(2)] */
	guint8 buf[2 + 16 + 16 + 2 + 4];
	gsize n = 0;
	buf[n++] = (guint8)(seed >> 8);
	buf[n++] = (guint8)seed;
	memcpy(buf + n, saddr->bytes, alen);
	n += alen;
	memcpy(buf + n, daddr->bytes, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (ports) {
		buf[n++] = (guint8)(sport >> 8);
		buf[n++] = (guint8)sport;
		buf[n++] = (guint8)(dport >> 8);
		buf[n++] = (guint8)dport;
	}

	guint8 digest[20];
	gsize dlen = sizeof digest;
	GChecksum *sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(sha1, buf, n);
	g_checksum_get_digest(sha1, digest, &dlen);
	g_checksum_free(sha1);

	gchar *b64 = g_base64_encode(digest, dlen);  /* 28 characters */
	g_snprintf(out, SS_COMMUNITY_ID_LEN, "1:%s", b64);
	g_free(b64);
	return TRUE;
}

gboolean ss_community_id_key(const ss_flow_key *key, guint16 seed, char out[SS_COMMUNITY_ID_LEN])
{
	return ss_community_id(key->family, key->proto, &key->addr[0], key->port[0],
			       &key->addr[1], key->port[1], seed, out);
}

gboolean ss_community_id_conn(const ss_conn *c, guint16 seed, char out[SS_COMMUNITY_ID_LEN])
{
	return ss_community_id(c->family, c->proto, &c->ep[0].ip, c->ep[0].port,
			       &c->ep[1].ip, c->ep[1].port, seed, out);
}
