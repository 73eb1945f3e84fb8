/* The packet sequence of one record (report/model.h): the messages an
 * example connection exchanged, in time order, as the markdown (Mermaid)
 * and html (SVG) sequence diagrams draw them.  Part of the report model so
 * that no format borrows it from another. */
#include <netinet/in.h>

#include "report/model.h"
#include "sockscope/decode.h"
#include "sockscope/util.h"


static void ev_add(GArray *ev, int from, gint64 at, gboolean dashed, char *label)
{
	ss_seq_event e = { from, label, at, dashed };
	g_array_append_val(ev, e);
}

void ss_seq_events_free(GArray *ev)
{
	if (ev == NULL)
		return;
	for (guint i = 0; i < ev->len; i++)
		g_free(g_array_index(ev, ss_seq_event, i).label);
	g_array_unref(ev);
}

static const char *icmp_label(const ss_conn *c)
{
	gboolean v6 = c->icmp_family == SS_FAMILY_IPV6;
	if ((!v6 && c->icmp_type == 3 && c->icmp_code == 4) || (v6 && c->icmp_type == 2))
		return v6 ? "ICMPv6 packet too big" : "ICMP fragmentation needed";
	if ((!v6 && c->icmp_type == 3) || (v6 && c->icmp_type == 1))
		return v6 ? "ICMPv6 unreachable" : "ICMP unreachable";
	if ((!v6 && c->icmp_type == 11) || (v6 && c->icmp_type == 3))
		return v6 ? "ICMPv6 time exceeded" : "ICMP time exceeded";
	return v6 ? "ICMPv6 error" : "ICMP error";
}

GArray *ss_seq_events(const ss_conn *c)
{
	GArray *ev = g_array_new(FALSE, TRUE, sizeof(ss_seq_event));
	int ci = c->client == 1 ? 1 : 0;
	gint64 base, last;
	ss_conn_span(c, &base, &last);
	if (base == SS_NO_TIME)
		return ev;
#define REL(t) ((t) == SS_NO_TIME ? SS_NO_TIME : (t) - base)
#define FROM(side) ((side) == ci ? 0 : 1)

	if (c->proto != IPPROTO_TCP) {
		for (int k = 0; k < 2; k++) {
			const ss_endpoint *e = k == 0 ? &c->ep[ci] : &c->ep[!ci];
			if (e->packets == 0)
				continue;
			ev_add(ev, k, REL(e->first_ns), FALSE,
			       g_strdup_printf("%s (%" G_GUINT64_FORMAT " datagram%s, %" G_GUINT64_FORMAT
					       " bytes)", k == 0 ? "request" : "reply", e->packets,
					       e->packets == 1 ? "" : "s", e->payload));
		}
		if (c->icmp_errors > 0)
			ev_add(ev, 1, SS_NO_TIME, TRUE,
			       g_strdup_printf("%s type %u code %u", icmp_label(c),
					       (unsigned)c->icmp_type, (unsigned)c->icmp_code));
		return ev;
	}

	if (ss_conn_started_midstream(c))
		ev_add(ev, -1, SS_NO_TIME, FALSE,
		       g_strdup("already open when the capture started (no handshake seen)"));
	gboolean icmp_done = c->icmp_errors == 0;
	const ss_conn_tcp *tcp = ss_conn_tcp_part(c);
	for (guint i = 0; i < c->history_len; i++) {
		int side = ss_conn_history_side(c, i);
		int from = FROM(side);
		switch (ss_conn_history_letter(c, i)) {
		case 's': {
			gboolean first_syn = side == c->syn_side;
			ev_add(ev, from, first_syn ? REL(tcp->syn_ns) : SS_NO_TIME, FALSE, g_strdup("SYN"));
			if (!first_syn)
				break;
			gint64 t = tcp->syn_ns;
			guint n = MIN(tcp->syn_retransmits, SS_SYN_GAPS_MAX);
			for (guint j = 0; j < n; j++) {
				t += ss_conn_syn_gap_ns(c, j);
				ev_add(ev, from, REL(t), FALSE,
				       g_strdup_printf("SYN (retransmission %u)", j + 1));
			}
			if (tcp->syn_retransmits > n)
				ev_add(ev, -1, SS_NO_TIME, FALSE,
				       g_strdup_printf("%u more SYN retransmissions",
						       tcp->syn_retransmits - n));
			if (!icmp_done && c->outcome == SS_OUTCOME_REJECTED && side == ci) {
				ev_add(ev, 1, SS_NO_TIME, TRUE,
				       g_strdup_printf("%s type %u code %u", icmp_label(c),
						       (unsigned)c->icmp_type, (unsigned)c->icmp_code));
				icmp_done = TRUE;
			}
			break;
		}
		case 'h':
			ev_add(ev, from, side == c->synack_side ? REL(tcp->synack_ns) : SS_NO_TIME, TRUE,
			       g_strdup("SYN-ACK"));
			if (tcp->synack_retransmits > 0)
				ev_add(ev, -1, SS_NO_TIME, FALSE,
				       g_strdup_printf("SYN-ACK repeated %u time%s", tcp->synack_retransmits,
						       tcp->synack_retransmits == 1 ? "" : "s"));
			break;
		case 'a':
			if (side == ci && tcp->ack_ns != SS_NO_TIME)
				ev_add(ev, from, REL(tcp->ack_ns), FALSE, g_strdup("ACK"));
			break;
		case 'd': {
			const ss_endpoint *e = &c->ep[side];
			ev_add(ev, from, SS_NO_TIME, FALSE,
			       g_strdup_printf("data (%" G_GUINT64_FORMAT " bytes in all)", e->payload));
			break;
		}
		case 'f':
			ev_add(ev, from, SS_NO_TIME, FALSE, g_strdup("FIN"));
			break;
		case 'r':
			ev_add(ev, from, side == c->first_rst_side ? REL(tcp->first_rst_ns) : SS_NO_TIME,
			       FALSE, g_strdup("RST"));
			break;
		default:
			break;
		}
	}
	if (!icmp_done)
		ev_add(ev, 1, SS_NO_TIME, TRUE,
		       g_strdup_printf("%s type %u code %u", icmp_label(c), (unsigned)c->icmp_type,
				       (unsigned)c->icmp_code));
	if (c->outcome == SS_OUTCOME_UNANSWERED)
		ev_add(ev, -1, SS_NO_TIME, FALSE, g_strdup("no answer"));
	else if (c->outcome == SS_OUTCOME_UNKNOWN)
		ev_add(ev, -1, SS_NO_TIME, FALSE,
		       g_strdup("no answer captured: the capture lacks the server's direction"));
	else if (c->outcome == SS_OUTCOME_SIMULTANEOUS)
		ev_add(ev, -1, SS_NO_TIME, FALSE, g_strdup("both sides sent a SYN (simultaneous open)"));
	if (last != SS_NO_TIME && last > base)
		ev_add(ev, -1, REL(last), FALSE, g_strdup("last packet"));
#undef REL
#undef FROM
	return ev;
}

void ss_seq_time_append(GString *b, gint64 at_ns)
{
	if (at_ns == SS_NO_TIME)
		return;
	g_string_append(b, at_ns < 0 ? "-" : "+");
	ss_ms_append(b, at_ns < 0 ? -at_ns : at_ns, FALSE);
	g_string_append(b, " ms");
}

char *ss_seq_server_text(const ss_conn *c)
{
	char *sv = ss_addr_port_dup(c->family, ss_conn_server_ip(c), ss_conn_server_port(c));
	if (ss_conn_tunnel(c)->type == SS_TUNNEL_NONE)
		return sv;
	GString *b = g_string_new(sv);
	g_string_append(b, " (");
	ss_tunnel_append(b, ss_conn_tunnel(c));
	g_string_append_c(b, ')');
	g_free(sv);
	return g_string_free(b, FALSE);
}
