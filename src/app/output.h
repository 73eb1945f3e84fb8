/* Where the report goes (app/output.c): standard output, or the -o file
 * written under a temporary name and renamed into place when complete. */
#ifndef SOCKSCOPE_APP_OUTPUT_H
#define SOCKSCOPE_APP_OUTPUT_H

#include "run.h"

#include <stdio.h>

typedef struct {
	FILE *f;            /* standard output or the -o file */
	const char *name;   /* for messages: the -o path or "standard output" */
	char *tmp;          /* the temporary name renamed at the end; NULL = in place */
	gsize buf_size;     /* f's full buffer (setvbuf), 0 = line-buffered */
} ss_app_output;

/* Opens the destination and sets its buffering: refuses a symlink and a
 * file that is one of the inputs; FALSE with SS_ERROR_OUTPUT or, for an
 * input named as the output, SS_ERROR_USAGE. */
gboolean ss_app_output_open(ss_app_output *o, const ss_app_config *cfg, GError **error);
/* Flushes and closes it and renames the report into place; `written` is
 * FALSE when rendering already failed (errno set).  A reader of standard
 * output that went away (EPIPE) is a quiet success.  FALSE with
 * SS_ERROR_OUTPUT otherwise. */
gboolean ss_app_output_finish(ss_app_output *o, gboolean written, GError **error);
/* Closes it and removes the temporary report of a run that failed. */
void ss_app_output_discard(ss_app_output *o);
/* Whether a reader waits for each line there (a pipe, a FIFO, a socket, a
 * terminal): `out` when open, else the -o path (NULL or "-": stdout). */
gboolean ss_app_output_is_stream(const char *path, FILE *out);

#endif
