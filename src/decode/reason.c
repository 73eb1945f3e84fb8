/* Reason names and classes.  The names are part of sockscope's output
 * formats, so they must never change once released. */
#include "sockscope/decode.h"

typedef struct {
	const char *name;
	ss_reason_class cls;
} reason_info;

/* Designated initializers keep each entry tied to its enum value even if
 * the enum is reordered; the assert catches a value added without a name. */
static const reason_info reasons[] = {
	[SS_REASON_OK] = { "ok", SS_CLASS_OK },

	[SS_REASON_NON_IP] = { "non_ip", SS_CLASS_IGNORED },
	[SS_REASON_IP_FRAGMENT] = { "ip_fragment", SS_CLASS_IGNORED },
	[SS_REASON_OTHER_IP_PROTO] = { "other_ip_proto", SS_CLASS_IGNORED },
	[SS_REASON_ICMP_NOT_ERROR] = { "icmp_not_error", SS_CLASS_IGNORED },
	[SS_REASON_UNSUPPORTED_LINK] = { "unsupported_link", SS_CLASS_IGNORED },
	[SS_REASON_TUNNEL_NO_PAYLOAD] = { "tunnel_no_payload", SS_CLASS_IGNORED },
	[SS_REASON_FRAG_TINY] = { "frag_tiny", SS_CLASS_IGNORED },
	[SS_REASON_FRAG_DROPPED] = { "frag_dropped", SS_CLASS_IGNORED },
	[SS_REASON_WLAN_MGMT] = { "wlan_mgmt", SS_CLASS_IGNORED },
	[SS_REASON_WLAN_CTRL] = { "wlan_ctrl", SS_CLASS_IGNORED },
	[SS_REASON_WLAN_NO_DATA] = { "wlan_no_data", SS_CLASS_IGNORED },
	[SS_REASON_WLAN_PROTECTED] = { "wlan_protected", SS_CLASS_IGNORED },
	[SS_REASON_WLAN_FRAGMENT] = { "wlan_fragment", SS_CLASS_IGNORED },
	[SS_REASON_WLAN_AMSDU] = { "wlan_amsdu", SS_CLASS_IGNORED },
	[SS_REASON_WLAN_MESH_AMSDU] = { "wlan_mesh_amsdu", SS_CLASS_IGNORED },

	[SS_REASON_TRUNC_LINK] = { "trunc_link", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_IPV4] = { "trunc_ipv4", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_IPV6] = { "trunc_ipv6", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_IPV6_EXT] = { "trunc_ipv6_ext", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_TCP] = { "trunc_tcp", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_UDP] = { "trunc_udp", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_ICMP] = { "trunc_icmp", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_VXLAN] = { "trunc_vxlan", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_GENEVE] = { "trunc_geneve", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_GRE] = { "trunc_gre", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_ERSPAN] = { "trunc_erspan", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_GTP] = { "trunc_gtp", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_TEREDO] = { "trunc_teredo", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_AYIYA] = { "trunc_ayiya", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_MPLS] = { "trunc_mpls", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_PPPOE] = { "trunc_pppoe", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_RADIO] = { "trunc_radio", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_WLAN] = { "trunc_wlan", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_PKTAP] = { "trunc_pktap", SS_CLASS_TRUNCATED },
	[SS_REASON_TRUNC_AMSDU] = { "trunc_amsdu", SS_CLASS_TRUNCATED },

	[SS_REASON_BAD_CAPLEN] = { "bad_caplen", SS_CLASS_INVALID },
	[SS_REASON_BAD_VLAN_DEPTH] = { "bad_vlan_depth", SS_CLASS_INVALID },
	[SS_REASON_BAD_IP_VERSION] = { "bad_ip_version", SS_CLASS_INVALID },
	[SS_REASON_BAD_IPV4_IHL] = { "bad_ipv4_ihl", SS_CLASS_INVALID },
	[SS_REASON_BAD_IPV4_TOTAL_LEN] = { "bad_ipv4_total_len", SS_CLASS_INVALID },
	[SS_REASON_BAD_IPV6_EXT_CHAIN] = { "bad_ipv6_ext_chain", SS_CLASS_INVALID },
	[SS_REASON_BAD_TCP_OFFSET] = { "bad_tcp_offset", SS_CLASS_INVALID },
	[SS_REASON_BAD_UDP_LENGTH] = { "bad_udp_length", SS_CLASS_INVALID },
	[SS_REASON_BAD_ICMP_QUOTE] = { "bad_icmp_quote", SS_CLASS_INVALID },
	[SS_REASON_BAD_TUNNEL_DEPTH] = { "bad_tunnel_depth", SS_CLASS_INVALID },
	[SS_REASON_BAD_GRE_HEADER] = { "bad_gre_header", SS_CLASS_INVALID },
	[SS_REASON_BAD_MPLS_STACK] = { "bad_mpls_stack", SS_CLASS_INVALID },
	[SS_REASON_BAD_PPPOE_HEADER] = { "bad_pppoe_header", SS_CLASS_INVALID },
	[SS_REASON_FRAG_OVERLAP] = { "frag_overlap", SS_CLASS_INVALID },
	[SS_REASON_FRAG_TEARDROP] = { "frag_teardrop", SS_CLASS_INVALID },
	[SS_REASON_FRAG_OVERSIZE] = { "frag_oversize", SS_CLASS_INVALID },
	[SS_REASON_BAD_RADIO_HEADER] = { "bad_radio_header", SS_CLASS_INVALID },
	[SS_REASON_BAD_WLAN_HEADER] = { "bad_wlan_header", SS_CLASS_INVALID },
	[SS_REASON_BAD_WLAN_FCS] = { "bad_wlan_fcs", SS_CLASS_INVALID },
	[SS_REASON_BAD_PKTAP_HEADER] = { "bad_pktap_header", SS_CLASS_INVALID },
	[SS_REASON_BAD_AMSDU_SUBFRAME] = { "bad_amsdu_subframe", SS_CLASS_INVALID },
};

G_STATIC_ASSERT(G_N_ELEMENTS(reasons) == SS_REASON_COUNT);

const char *ss_reason_name(ss_reason r)
{
	/* Out-of-range values come from corrupt state or a caller's cast; a
	 * fixed string keeps output formats parseable instead of crashing. */
	if ((guint)r >= SS_REASON_COUNT || reasons[r].name == NULL)
		return "unknown";
	return reasons[r].name;
}

const char *ss_csum_name(ss_csum c)
{
	static const char *const names[] = {
		[SS_CSUM_UNVERIFIED] = "unverified",
		[SS_CSUM_OK] = "ok",
		[SS_CSUM_BAD] = "bad",
		[SS_CSUM_PARTIAL] = "partial",
		[SS_CSUM_NONE] = "none",
	};
	G_STATIC_ASSERT(G_N_ELEMENTS(names) == SS_CSUM_COUNT);
	return (guint)c < SS_CSUM_COUNT ? names[c] : "unknown";
}

ss_reason_class ss_reason_class_of(ss_reason r)
{
	if ((guint)r >= SS_REASON_COUNT || reasons[r].name == NULL)
		return SS_CLASS_INVALID;
	return reasons[r].cls;
}

gboolean ss_reason_is_fragment(ss_reason r)
{
	switch (r) {
	case SS_REASON_IP_FRAGMENT:
	case SS_REASON_FRAG_TINY:
	case SS_REASON_FRAG_DROPPED:
	case SS_REASON_FRAG_OVERLAP:
	case SS_REASON_FRAG_TEARDROP:
	case SS_REASON_FRAG_OVERSIZE:
		return TRUE;
	default:
		return FALSE;
	}
}
