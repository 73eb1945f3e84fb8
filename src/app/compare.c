/* `sockscope compare [OPTIONS] A B`: the command line of the compare mode
 * (docs/compare.md), the loading of the two sides and the report.
 *
 * Each side's files are read once: every packet goes to that side's
 * analyzer (the usual records, outcomes and Community IDs) and to its
 * signature collector (src/compare/sigs.c) through the source's tap.  The
 * compare layer then builds the model and report/ renders it. */
#include "compare.h"
#include "output.h"
#include "run.h"

#include "sockscope/compare.h"
#include "sockscope/findings.h"
#include "sockscope/format.h"
#include "sockscope/hash.h"
#include "sockscope/services.h"
#include "sockscope/signals.h"
#include "sockscope/source.h"

#include <netinet/in.h>
#include <string.h>

typedef struct {
	char **a_files, **b_files;
	char **rest;
	char *mode;
	gdouble max_skew;
	char *format;
	char *output;
	gboolean builtin_services;
} cmp_options;

static gboolean usage(GError **error, const char *msg)
{
	g_set_error_literal(error, SS_ERROR, SS_ERROR_USAGE, msg);
	return FALSE;
}

static gboolean parse(int *argc, char ***argv, cmp_options *o, GError **error)
{
	GOptionEntry entries[] = {
		{ "a", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->a_files,
		  "Another capture file or directory of side A; may be repeated", "FILE" },
		{ "b", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->b_files,
		  "Another capture file or directory of side B; may be repeated", "FILE" },
		{ "mode", 0, 0, G_OPTION_ARG_STRING, &o->mode,
		  "auto (default), path (two points at one time) or drift (one point at two times)",
		  "MODE" },
		{ "max-skew", 0, 0, G_OPTION_ARG_DOUBLE, &o->max_skew,
		  "Largest clock offset between the captures searched, in seconds (default 300)", "S" },
		{ "format", 'F', 0, G_OPTION_ARG_STRING, &o->format,
		  "Report format: text, jsonl, json, csv, zeek, zeek-json, ecs, markdown, html or dot",
		  "FORMAT" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output,
		  "Write the report to FILE instead of standard output", "FILE" },
		{ "builtin-services", 0, 0, G_OPTION_ARG_NONE, &o->builtin_services,
		  "Name services from sockscope's built-in table only", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->rest, NULL, "A B" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("A B - match the connections of two captures");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx,
		"Usage: sockscope compare [OPTIONS] A B\n"
		"A and B are capture files or directories: two points of one path captured at\n"
		"the same time (path mode), or one point captured at two times (drift mode).\n"
		"See docs/compare.md.");
	gboolean ok = g_option_context_parse(ctx, argc, argv, error);
	g_option_context_free(ctx);
	return ok;
}

static void add_all(GPtrArray *to, char **paths)
{
	for (guint i = 0; paths && paths[i]; i++)
		g_ptr_array_add(to, g_strdup(paths[i]));
}

static void tap(const ss_input *in, gint64 ts_ns, const guint8 *data, guint32 caplen,
		guint32 wirelen, gpointer user)
{
	ss_cmp_sigs_packet(user, in->dlt, ts_ns, data, caplen, wirelen);
}

/* Opens and reads one side's files into its report and signatures. */
static gboolean load_side(ss_cmp_side *side, const ss_decode_config *decode, GError **error)
{
	g_ptr_array_add(side->files, NULL);   /* as a char** for a moment */
	GPtrArray *sources = g_ptr_array_new();
	GPtrArray *warnings = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = ss_file_sources_open((char **)side->files->pdata, NULL, sources, warnings,
					   error);
	g_ptr_array_set_size(side->files, side->files->len - 1);
	if (!ok) {
		if ((*error)->code != SS_ERROR_USAGE)
			(*error)->code = SS_ERROR_INPUT;
		g_prefix_error(error, "side %s: ", side->label);
	}
	ss_analyzer_config acfg;
	ss_analyzer_config_init(&acfg);
	acfg.decode = decode;
	ss_analyzer *an = ss_analyzer_new(&acfg);
	side->sigs = ss_cmp_sigs_new(decode);
	if (ok) {
		for (guint i = 0; i < warnings->len; i++)
			ss_analyzer_warn(an, "%s", (const char *)g_ptr_array_index(warnings, i));
		GError *e = NULL;
		if (!ss_file_sources_read_tap((ss_file_source **)sources->pdata, sources->len, an, tap,
					      side->sigs, NULL, NULL, &e))
			g_clear_error(&e);   /* a damaged file is a warning in the summary */
	}
	for (guint i = 0; i < sources->len; i++)
		ss_file_source_close(g_ptr_array_index(sources, i));
	g_ptr_array_unref(sources);
	g_ptr_array_unref(warnings);
	ss_cmp_sigs_finish(side->sigs);
	side->report = ss_analyzer_finish(an);
	ss_analyzer_free(an);
	ss_report_complete(side->report, TRUE);
	side->first_ns = side->report->summary.first_ns;
	side->last_ns = side->report->summary.last_ns;
	side->packets = side->report->summary.packets;
	return ok;
}

/* zeek, zeek-json, ecs and dot describe the connections or hosts of one
 * observation point; a comparison of two is none of those, and each side
 * alone is what `sockscope -r SIDE -F zeek` already writes
 * (docs/compare.md, "Formats"). */
static gboolean compare_format(ss_format f)
{
	return f == SS_FORMAT_TEXT || f == SS_FORMAT_JSONL || f == SS_FORMAT_JSON ||
	       f == SS_FORMAT_CSV || f == SS_FORMAT_MARKDOWN || f == SS_FORMAT_HTML;
}

/* Side B is read on a thread of its own while this one reads side A: the
 * two sides share nothing but read-only configuration (the decode config,
 * the services table behind its lock), so the output is the same bytes and
 * the wall time about halves on two cores. */
typedef struct {
	ss_cmp_side *side;
	const ss_decode_config *decode;
	GError *error;
	gboolean ok;
} load_job;

static gpointer load_thread(gpointer p)
{
	load_job *j = p;
	j->ok = load_side(j->side, j->decode, &j->error);
	return NULL;
}

static gboolean load_sides(ss_compare *c, const ss_decode_config *decode, GError **error)
{
	load_job jb = { &c->side[1], decode, NULL, FALSE };
	/* Process-wide state made on first use (the hash key, the system's
	 * services table) is made here, before the thread starts: both threads
	 * then only read it, and thread creation orders the writes before
	 * their reads for ThreadSanitizer too (glib's once and mutex are not
	 * instrumented). */
	(void)ss_hash_key();
	(void)ss_service_name(IPPROTO_TCP, 0);
	GThread *t = g_thread_new("compare-b", load_thread, &jb);
	GError *ea = NULL;
	gboolean ok_a = load_side(&c->side[0], decode, &ea);
	g_thread_join(t);
	/* A's error first, as if the sides were read in order. */
	if (!ok_a) {
		g_propagate_error(error, ea);
		g_clear_error(&jb.error);
		return FALSE;
	}
	if (!jb.ok) {
		g_propagate_error(error, jb.error);
		return FALSE;
	}
	return TRUE;
}

static gboolean configure(const cmp_options *o, ss_compare **out, ss_format *format,
			  GError **error)
{
	ss_cmp_mode mode = SS_CMP_MODE_AUTO;
	if (o->mode && strcmp(o->mode, "path") == 0)
		mode = SS_CMP_MODE_PATH;
	else if (o->mode && strcmp(o->mode, "drift") == 0)
		mode = SS_CMP_MODE_DRIFT;
	else if (o->mode && strcmp(o->mode, "auto") != 0)
		return usage(error, "--mode takes auto, path or drift");
	/* Written so that NaN fails too; 0 is "not given". */
	if (!(o->max_skew == 0 || (o->max_skew > 0 && o->max_skew <= 86400 * 366)))
		return usage(error, "--max-skew takes a number of seconds from 0 to 31622400");
	*format = SS_FORMAT_TEXT;
	if (o->format && !ss_format_parse(o->format, format))
		return usage(error, "unknown format: use text, jsonl, json, csv, zeek, zeek-json,"
			     " ecs, markdown, html or dot");
	if (!compare_format(*format))
		return usage(error, "compare writes text, jsonl, json, csv, markdown or html: zeek,"
			     " ecs and dot describe one capture point (run sockscope -r on each side)");
	guint n_rest = o->rest ? g_strv_length(o->rest) : 0;
	if (n_rest != 2 && !(n_rest == 0 && o->a_files && o->b_files))
		return usage(error, "compare needs two captures: sockscope compare A B"
			     " (or --a FILE --b FILE; try compare --help)");
	gdouble skew = o->max_skew > 0 ? o->max_skew : 300;
	ss_compare *c = ss_compare_new(mode, (gint64)(skew * 1e9 + 0.5));
	if (n_rest == 2) {
		g_ptr_array_add(c->side[0].files, g_strdup(o->rest[0]));
		g_ptr_array_add(c->side[1].files, g_strdup(o->rest[1]));
	}
	add_all(c->side[0].files, o->a_files);
	add_all(c->side[1].files, o->b_files);
	for (guint i = 0; i < c->side[0].files->len; i++)
		if (strcmp(g_ptr_array_index(c->side[0].files, i), "-") == 0)
			goto stdin_err;
	for (guint i = 0; i < c->side[1].files->len; i++)
		if (strcmp(g_ptr_array_index(c->side[1].files, i), "-") == 0)
			goto stdin_err;
	*out = c;
	return TRUE;
stdin_err:
	ss_compare_free(c);
	return usage(error, "compare reads files, not standard input (-)");
}

/* Prints the sides' warnings; TRUE when there were any. */
static gboolean print_warnings(const ss_compare *c)
{
	gboolean any = FALSE;
	for (guint s = 0; s < 2; s++) {
		GPtrArray *w = c->side[s].report->summary.warnings;
		for (guint i = 0; i < w->len; i++) {
			char *line = ss_text_sanitize(g_ptr_array_index(w, i));
			fprintf(stderr, "sockscope: warning: side %s: %s\n", c->side[s].label, line);
			g_free(line);
			any = TRUE;
		}
	}
	return any;
}

int ss_app_compare_main(int argc, char **argv, GError **error)
{
	cmp_options o = { 0 };
	ss_compare *c = NULL;
	ss_format format = SS_FORMAT_TEXT;
	int status = SS_EXIT_OK;
	ss_app_output out = { 0 };
	ss_decode_config decode;
	ss_decode_config_init(&decode);
	ss_signals_install();

	if (!parse(&argc, &argv, &o, error)) {
		(*error)->domain = SS_ERROR;
		(*error)->code = SS_ERROR_USAGE;
		status = SS_EXIT_USAGE;
		goto done;
	}
	if (!configure(&o, &c, &format, error)) {
		status = SS_EXIT_USAGE;
		goto done;
	}
	ss_services_use_system(!o.builtin_services);
	/* The report file is opened before reading, as for one capture: -o
	 * naming one of the inputs is refused before any work. */
	GPtrArray *all = g_ptr_array_new();
	for (guint s = 0; s < 2; s++)
		for (guint i = 0; i < c->side[s].files->len; i++)
			g_ptr_array_add(all, g_ptr_array_index(c->side[s].files, i));
	g_ptr_array_add(all, NULL);
	ss_app_config cfg = { 0 };
	cfg.read_files = (char **)all->pdata;
	cfg.output = o.output;
	cfg.format = format;
	gboolean opened = ss_app_output_open(&out, &cfg, error);
	if (opened)
		opened = load_sides(c, &decode, error);
	g_ptr_array_unref(all);
	if (!opened) {
		status = ss_app_exit_status(*error);
		ss_app_output_discard(&out);
		goto done;
	}
	if (!ss_compare_run(c, error)) {
		status = ss_app_exit_status(*error);
		ss_app_output_discard(&out);
		goto done;
	}
	if (print_warnings(c))
		status = SS_EXIT_WARNINGS;
	ss_render_options ropt = { FALSE, 0 };
	gboolean written = ss_render_compare(c, format, &ropt, out.f);
	if (!ss_app_output_finish(&out, written, error))
		status = SS_EXIT_OUTPUT;
done:
	for (guint s = 0; c && s < 2; s++)
		g_clear_pointer(&c->side[s].report, ss_report_free);
	ss_compare_free(c);
	g_strfreev(o.a_files);
	g_strfreev(o.b_files);
	g_strfreev(o.rest);
	g_free(o.mode);
	g_free(o.format);
	g_free(o.output);
	return status;
}
