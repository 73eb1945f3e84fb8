/* Output format names and the ss_render() dispatcher: the one place that
 * knows every format.  The formats live in report/text.c, json.c, csv.c,
 * zeek.c, ecs.c, markdown.c, html.c and dot.c; docs/output.md is their
 * contract.  The report model they draw is report/report.c. */
#include <errno.h>
#include <string.h>

#include "sockscope/render.h"
#include "sockscope/report.h"

static const char *const format_names[] = {
	[SS_FORMAT_TEXT] = "text",
	[SS_FORMAT_JSONL] = "jsonl",
	[SS_FORMAT_JSON] = "json",
	[SS_FORMAT_CSV] = "csv",
	[SS_FORMAT_ZEEK] = "zeek",
	[SS_FORMAT_ZEEK_JSON] = "zeek-json",
	[SS_FORMAT_ECS] = "ecs",
	[SS_FORMAT_MARKDOWN] = "markdown",
	[SS_FORMAT_HTML] = "html",
	[SS_FORMAT_DOT] = "dot",
};

gboolean ss_format_parse(const char *name, ss_format *out)
{
	if (name == NULL)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(format_names); i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (ss_format)i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *ss_format_name(ss_format f)
{
	if ((guint)f >= G_N_ELEMENTS(format_names))
		return "unknown";
	return format_names[f];
}

gboolean ss_format_wants_findings(ss_format f)
{
	return f == SS_FORMAT_TEXT || f == SS_FORMAT_JSONL || f == SS_FORMAT_JSON ||
	       f == SS_FORMAT_MARKDOWN || f == SS_FORMAT_HTML;
}

gboolean ss_render(const ss_report *r, ss_format f, const ss_render_options *opt, FILE *out)
{
	static const ss_render_options defaults = { FALSE, 0 };
	if (opt == NULL)
		opt = &defaults;
	/* A caller bug, not an output error: the report was not completed
	 * (ss_report_complete) for a format that shows findings. */
	g_return_val_if_fail(r->findings != NULL || !ss_format_wants_findings(f), FALSE);

	/* Machine formats always carry nanosecond digits: jsonl writes records
	 * before the capture's precision is known, and every machine format
	 * should agree with it.  Text, for people, shows microseconds unless
	 * the capture needs more. */
	ss_report machine = *r;
	if (f != SS_FORMAT_TEXT)
		machine.summary.nanosecond = TRUE;
	r = &machine;

	gboolean ok = FALSE;
	switch (f) {
	case SS_FORMAT_TEXT:
		ok = ss_render_text(r, opt, out);
		break;
	case SS_FORMAT_JSONL:
		ok = ss_render_jsonl(r, out);
		break;
	case SS_FORMAT_JSON:
		ok = ss_render_json(r, out);
		break;
	case SS_FORMAT_CSV:
		ok = ss_render_csv(r, out);
		break;
	case SS_FORMAT_ZEEK:
		ok = ss_render_zeek(r, out);
		break;
	case SS_FORMAT_ZEEK_JSON:
		ok = ss_render_zeek_json(r, out);
		break;
	case SS_FORMAT_ECS:
		ok = ss_render_ecs(r, out);
		break;
	case SS_FORMAT_MARKDOWN:
		ok = ss_render_markdown(r, out);
		break;
	case SS_FORMAT_HTML:
		ok = ss_render_html(r, out);
		break;
	case SS_FORMAT_DOT:
		ok = ss_render_dot(r, out);
		break;
	default:
		errno = EINVAL;
		break;
	}
	return ok;
}

gboolean ss_render_compare(const ss_compare *c, ss_format f, const ss_render_options *opt,
			   FILE *out)
{
	static const ss_render_options defaults = { FALSE, 0 };
	if (opt == NULL)
		opt = &defaults;
	switch (f) {
	case SS_FORMAT_TEXT:
		return ss_render_compare_text(c, opt, out);
	case SS_FORMAT_JSONL:
		return ss_render_compare_jsonl(c, out);
	case SS_FORMAT_JSON:
		return ss_render_compare_json(c, out);
	case SS_FORMAT_CSV:
	case SS_FORMAT_MARKDOWN:
	case SS_FORMAT_HTML:
		if (c->drift == NULL)
			return f == SS_FORMAT_CSV	 ? ss_render_compare_path_csv(c, out)
			       : f == SS_FORMAT_MARKDOWN ? ss_render_compare_path_markdown(c, out)
							 : ss_render_compare_path_html(c, out);
		return f == SS_FORMAT_CSV	 ? ss_render_compare_csv(c, out)
		       : f == SS_FORMAT_MARKDOWN ? ss_render_compare_markdown(c, out)
						 : ss_render_compare_html(c, out);
	default:
		break;
	}
	errno = EINVAL;
	return FALSE;
}

