/* Decisions about a finished record: who was the client, what became of
 * the attempt (outcome) and how it ended (close state), from the per-packet
 * facts flow/conn.c gathered.  A handshake or an ICMP error proves the
 * roles; without one, the role learner (analysis/roles.c) decides.  Also
 * the capture-quality facts that read a decided record.  This is analysis,
 * not flow state, so flow/ never calls up into the role learner. */
#include "sockscope/decide.h"

#include <netinet/in.h>

static gboolean icmp_rejected_by(const ss_conn *c, int client)
{
	return c->icmp_errors > 0 && c->icmp_about_side == client &&
	       ss_icmp_is_unreachable(c->icmp_family, c->icmp_type);
}

static void finalize_tcp(ss_conn *c, const ss_roles *k)
{
	gboolean syn0 = c->sent[0] & SS_SENT_SYN, syn1 = c->sent[1] & SS_SENT_SYN;
	gboolean sa0 = c->sent[0] & SS_SENT_SYNACK, sa1 = c->sent[1] & SS_SENT_SYNACK;

	if ((syn0 && syn1) || (sa0 && sa1)) {
		c->client = syn0 && syn1 ? c->syn_side : c->synack_side;
		c->evidence = SS_EVIDENCE_SIMULTANEOUS;
		c->confidence = SS_CONFIDENCE_MEDIUM;
		c->outcome = SS_OUTCOME_SIMULTANEOUS;
	} else if (syn0 || syn1) {
		c->client = syn0 ? 0 : 1;
		c->evidence = SS_EVIDENCE_SYN;
		c->confidence = SS_CONFIDENCE_HIGH;
		guint8 cl = c->sent[c->client], sv = c->sent[!c->client];
		if (sv & SS_SENT_SYNACK)
			c->outcome = (cl & SS_SENT_ACK) ? SS_OUTCOME_COMPLETE : SS_OUTCOME_INCOMPLETE;
		else if ((sv & SS_SENT_RST) || icmp_rejected_by(c, c->client))
			c->outcome = SS_OUTCOME_REJECTED;
		else if (cl & SS_SENT_ACK)
			/* The client acknowledged something after its SYN: a client
			 * in SYN-SENT sends no ACK until a SYN-ACK arrives, so the
			 * SYN-ACK was sent and the capture missed it (a one-sided
			 * capture shows only the client's packets, flagged
			 * one_sided by ss_conn_one_sided). */
			c->outcome = SS_OUTCOME_COMPLETE;
		else if (ss_roles_answer_unseen(k, c, c->client))
			/* the capture misses what the server sent to the client:
			 * a SYN-ACK or a RST could be there */
			c->outcome = SS_OUTCOME_UNKNOWN;
		else
			c->outcome = SS_OUTCOME_UNANSWERED;
	} else if (sa0 || sa1) {
		c->client = sa0 ? 1 : 0;
		c->evidence = SS_EVIDENCE_SYN_ACK;
		c->confidence = SS_CONFIDENCE_HIGH;
		guint8 cl = c->sent[c->client], sv = c->sent[!c->client];
		/* Data from the server proves it saw the final ACK, even when a
		 * one-sided capture hides that ACK. */
		c->outcome = ((cl & SS_SENT_ACK) || (sv & SS_SENT_DATA))
				     ? SS_OUTCOME_COMPLETE
				     : SS_OUTCOME_INCOMPLETE;
	} else {
		ss_roles_decide(k, c);
		c->outcome = SS_OUTCOME_MIDSTREAM;
	}

	guint8 cl = c->sent[c->client], sv = c->sent[!c->client];
	if (c->outcome == SS_OUTCOME_REJECTED || c->outcome == SS_OUTCOME_UNANSWERED ||
	    c->outcome == SS_OUTCOME_UNKNOWN)
		c->close = SS_CLOSE_NONE;
	else if (c->first_rst_side >= 0)
		c->close = c->first_rst_side == c->client ? SS_CLOSE_RST_CLIENT : SS_CLOSE_RST_SERVER;
	else if ((cl & SS_SENT_FIN) && (sv & SS_SENT_FIN))
		c->close = SS_CLOSE_FIN;
	else if (cl & SS_SENT_FIN)
		c->close = SS_CLOSE_FIN_CLIENT;
	else if (sv & SS_SENT_FIN)
		c->close = SS_CLOSE_FIN_SERVER;
	else if (c->outcome == SS_OUTCOME_INCOMPLETE)
		c->close = SS_CLOSE_NONE;
	else if (c->ended_by == SS_END_IDLE)
		c->close = SS_CLOSE_IDLE;
	else
		c->close = SS_CLOSE_OPEN;
}

static void finalize_udp(ss_conn *c, const ss_roles *k)
{
	gboolean both = c->ep[0].packets > 0 && c->ep[1].packets > 0;
	if (c->icmp_errors > 0 && c->icmp_about_side >= 0 && !both &&
	    ss_icmp_is_unreachable(c->icmp_family, c->icmp_type)) {
		/* The error quotes the datagram the client addressed to the port. */
		c->client = c->icmp_about_side;
		c->evidence = SS_EVIDENCE_ICMP_UNREACHABLE;
		c->confidence = SS_CONFIDENCE_HIGH;
		c->outcome = SS_OUTCOME_REJECTED;
	} else {
		ss_roles_decide(k, c);
		if (both || c->ep[!c->client].packets > 0)
			c->outcome = SS_OUTCOME_ANSWERED;
		else if (ss_roles_answer_unseen(k, c, c->client))
			/* silence in a direction the capture does not hold */
			c->outcome = SS_OUTCOME_UNKNOWN;
		else
			c->outcome = SS_OUTCOME_UNANSWERED;
	}
	c->close = SS_CLOSE_NONE;
}

void ss_conn_finalize_with(ss_conn *c, const ss_roles *k)
{
	if (c->proto == IPPROTO_TCP)
		finalize_tcp(c, k);
	else
		finalize_udp(c, k);
}

void ss_conn_finalize(ss_conn *c)
{
	ss_conn_finalize_with(c, NULL);
}

gboolean ss_conn_roles_proven(const ss_conn *c)
{
	switch ((ss_evidence)c->evidence) {
	case SS_EVIDENCE_SYN:
	case SS_EVIDENCE_SYN_ACK:
	case SS_EVIDENCE_SIMULTANEOUS:
	case SS_EVIDENCE_ICMP_UNREACHABLE:
		return TRUE;
	default:
		return FALSE;
	}
}

gboolean ss_conn_one_sided(const ss_conn *c)
{
	/* An unanswered attempt or one-way UDP is one-sided by nature; a TCP
	 * record past its SYN that shows only one side means the capture
	 * missed the other direction, and so does an attempt whose answer's
	 * direction the capture does not hold (outcome unknown). */
	if (c->outcome == SS_OUTCOME_UNKNOWN)
		return TRUE;
	if (c->proto != IPPROTO_TCP || c->outcome == SS_OUTCOME_UNANSWERED ||
	    c->outcome == SS_OUTCOME_REJECTED)
		return FALSE;
	return (c->ep[0].packets == 0) != (c->ep[1].packets == 0);
}

gboolean ss_conn_started_midstream(const ss_conn *c)
{
	/* The first packet of the record was neither a SYN nor a SYN-ACK; a
	 * record that continues a flow the cap evicted did not start at all
	 * (continues_evicted says so instead). */
	return c->proto == IPPROTO_TCP && !c->continues && ss_conn_history_letter(c, 0) != 's' &&
	       ss_conn_history_letter(c, 0) != 'h';
}
