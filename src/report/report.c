/* The report model's own code (sockscope/report.h): who owns what in an
 * ss_report and how it is freed, and the names of its enums.  Model code,
 * not a format: every format and the dispatcher may use it, and it uses
 * none of them. */
#include "sockscope/findings.h"
#include "sockscope/hosts.h"
#include "sockscope/report.h"

const char *ss_listener_state_name(ss_listener_state s)
{
	switch (s) {
	case SS_LISTENER_OPEN:
		return "open";
	case SS_LISTENER_CLOSED:
		return "closed";
	case SS_LISTENER_FILTERED:
		return "filtered";
	}
	return "unknown";
}

/* Takes the elements out of a pointer array whatever free function it was
 * created with, frees each with `fn`, then the array. */
static void free_ptr_array(GPtrArray *a, GDestroyNotify fn)
{
	if (a == NULL)
		return;
	g_ptr_array_set_free_func(a, NULL);
	for (guint i = 0; i < a->len; i++)
		fn(g_ptr_array_index(a, i));
	g_ptr_array_unref(a);
}

static void input_free(gpointer p)
{
	ss_input *in = p;
	if (in == NULL)
		return;
	g_free(in->name);
	g_free(in->link_name);
	g_free(in->error);
	g_free(in);
}

void ss_report_free(ss_report *r)
{
	if (r == NULL)
		return;
	free_ptr_array(r->summary.inputs, input_free);
	free_ptr_array(r->summary.warnings, g_free);
	free_ptr_array(r->conns, g_free);
	if (r->listeners != NULL)
		g_array_unref(r->listeners);
	ss_hosts_array_free(r->hosts);
	if (r->findings != NULL)
		g_ptr_array_unref(r->findings);
	g_free(r);
}


void ss_report_complete(ss_report *r, gboolean findings)
{
	if (findings && r->findings == NULL)
		r->findings = ss_findings_compute(r);
}
