/* The report's destination (output.h).  A regular -o file is written
 * under a temporary name beside it and renamed into place only when the
 * report is complete, so a failed or interrupted run never leaves half a
 * report, and -o never writes through a hard link or a symlink; a file
 * that is one of the inputs is refused.  Buffering is chosen here too, and
 * the jsonl sink is told the buffer size to flush at line boundaries. */
#include "output.h"

#include "sockscope/signals.h"
#include "sockscope/source.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Two stat()s name the same file. */
#define SAME_FILE(a, b) ((a)->st_dev == (b)->st_dev && (a)->st_ino == (b)->st_ino)

/* A file of DIR or of its subdirectories (what -r DIR reads, io/source-
 * file.c: the same depth bound) is `out`. */
static gboolean dir_holds(const char *dir, const struct stat *out, guint depth)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	gboolean same = FALSE;
	while (!same && d && (name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		struct stat st;
		if (stat(path, &st) == 0)
			same = S_ISDIR(st.st_mode) ? depth < 16 && dir_holds(path, out, depth + 1)
						   : SAME_FILE(&st, out);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
	return same;
}

/* The -o file is one of the inputs (the same inode as a -r FILE, a file
 * of a -r DIR or of its subdirectories, or standard input): the report would replace the capture.
 * `out` is the output's lstat(). */
static gboolean output_is_input(const ss_app_config *cfg, const struct stat *out,
				GError **error)
{
	if (!cfg->read_files || !S_ISREG(out->st_mode))
		return FALSE;
	for (guint i = 0; cfg->read_files[i]; i++) {
		const char *in = cfg->read_files[i];
		struct stat st;
		gboolean same = FALSE;
		if (strcmp(in, "-") == 0) {
			same = fstat(STDIN_FILENO, &st) == 0 && SAME_FILE(&st, out);
		} else if (stat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
			same = dir_holds(in, out, 0);
		} else {
			same = SAME_FILE(&st, out);
		}
		if (same) {
			g_set_error(error, SS_ERROR, SS_ERROR_USAGE, "-o %s is the input %s: the report"
				    " would replace the capture; write it elsewhere", cfg->output, in);
			return TRUE;
		}
	}
	return FALSE;
}

/* Opens the report file.  From files, a regular file (or a new one) is
 * written as a temporary file in the same directory and renamed into place
 * once the report is complete (commit): a failed or interrupted run leaves
 * the old file as it was, and the rename replaces the name, never the
 * contents of a file another hard link shares.  A symbolic link someone
 * planted is refused; a device or a FIFO is written in place. */
static gboolean open_file(ss_app_output *o, const ss_app_config *cfg, GError **error)
{
	const char *path = cfg->output;
	struct stat st;
	gboolean exists = lstat(path, &st) == 0;
	if (exists && S_ISLNK(st.st_mode)) {
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT,
			    "%s: cannot write the report: it is a symbolic link", path);
		return FALSE;
	}
	if (exists && output_is_input(cfg, &st, error))
		return FALSE;
	int fd;
	if (exists && S_ISDIR(st.st_mode)) {
		fd = -1;
		errno = EISDIR;
	} else if (exists && !S_ISREG(st.st_mode)) {
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	} else if (cfg->user || cfg->interface) {
		/* Written under its own name from the start.  Live: a log
		 * shipper follows the file while the capture runs
		 * (docs/deployment.md), and a stop signal still writes the
		 * whole report.  -Z: the rename at the end would run as USER,
		 * who may not write the directory.  The old name is unlinked
		 * first and the file created anew, so another hard link to
		 * the old file keeps its contents; where the directory forbids
		 * that, the file is truncated in place. */
		if (exists && unlink(path) == 0)
			exists = FALSE;
		fd = open(path, O_WRONLY | O_CREAT | (exists ? O_TRUNC : O_EXCL) | O_NOFOLLOW | O_CLOEXEC,
			  0644);
	} else {
		char *dir = g_path_get_dirname(path);
		char *base = g_path_get_basename(path);
		o->tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
		g_free(dir);
		g_free(base);
		fd = g_mkstemp_full(o->tmp, O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0) {
			/* The new report keeps the old one's permissions; a new
			 * one is 0644 less the umask, as open(2) would make it
			 * (mkstemp made it 0600). */
			mode_t mask = umask(0);
			umask(mask);
			(void)fchmod(fd, exists ? st.st_mode & 07777 : 0644 & ~mask);
		} else {
			g_clear_pointer(&o->tmp, g_free);
			/* No room for a second name in that directory (not
			 * writable): the existing file is rewritten in place. */
			if (exists)
				fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
		}
	}
	if (fd < 0) {
		int e = errno;
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "%s: cannot write the report: %s",
			    path, g_strerror(e));
		return FALSE;
	}
	if (o->tmp)
		ss_signals_unlink_on_abort(o->tmp);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		int e = errno;
		close(fd);
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "%s: %s", path, g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

/* Drops the temporary report of a run that failed. */
void ss_app_output_discard(ss_app_output *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	o->f = NULL;
	if (!o->tmp)
		return;
	ss_signals_unlink_on_abort(NULL);
	unlink(o->tmp);
	g_clear_pointer(&o->tmp, g_free);
}

/* Puts the complete report under its name. */
static gboolean commit(ss_app_output *o, GError **error)
{
	if (!o->tmp)
		return TRUE;
	if (rename(o->tmp, o->name) != 0) {
		int e = errno;
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "cannot write the report to %s: %s",
			    o->name, g_strerror(e));
		ss_app_output_discard(o);
		return FALSE;
	}
	ss_signals_unlink_on_abort(NULL);
	g_clear_pointer(&o->tmp, g_free);
	return TRUE;
}

/* Whether the report goes to a reader that waits for each line (a pipe, a
 * FIFO, a socket, a terminal) rather than to a file or /dev/null. */
gboolean ss_app_output_is_stream(const char *path, FILE *out)
{
	struct stat st;
	int fd = out ? fileno(out) : (!path || strcmp(path, "-") == 0) ? STDOUT_FILENO : -1;
	if (fd >= 0 ? fstat(fd, &st) != 0 : stat(path, &st) != 0)
		return FALSE;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || (fd >= 0 && isatty(fd)) ||
	       (fd < 0 && S_ISCHR(st.st_mode) && g_str_has_prefix(path, "/dev/tty"));
}

gboolean ss_app_output_open(ss_app_output *o, const ss_app_config *cfg, GError **error)
{
	gboolean live = cfg->interface != NULL;
	*o = (ss_app_output){ 0 };
	o->f = stdout;
	o->name = "standard output";
	if (cfg->output && strcmp(cfg->output, "-") != 0) {
		o->name = cfg->output;
		o->f = NULL;
		if (!open_file(o, cfg, error))
			return FALSE;
	} else if (cfg->stdout_closed) {
		/* fd 1 is /dev/null now (main.c): the report would vanish. */
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT,
			    "cannot write the report to standard output: it is closed (use -o FILE)");
		return FALSE;
	}
	/* A pipeline sees each streamed record at once. */
	if (live && cfg->format == SS_FORMAT_JSONL && ss_app_output_is_stream(NULL, o->f)) {
		setvbuf(o->f, NULL, _IOLBF, 0);
	} else if (!isatty(fileno(o->f))) {
		/* Reading files, jsonl hands over one record at a time: a 1 MiB
		 * buffer makes that one write(2) per ~1000 records instead of
		 * per four (docs/performance.md).  Live, BUFSIZ as before.  The
		 * sink needs the size to flush at line boundaries.  Static:
		 * standard output keeps it until the process exits.
		 * Terminals keep their line buffering. */
		static char out_buf[1 << 20];
		o->buf_size = live ? BUFSIZ : sizeof out_buf;
		setvbuf(o->f, live ? NULL : out_buf, _IOFBF, o->buf_size);
	}
	return TRUE;
}

gboolean ss_app_output_finish(ss_app_output *o, gboolean written, GError **error)
{
	if (fflush(o->f) != 0)
		written = FALSE;
	int werr = errno;
	FILE *f = o->f;
	o->f = NULL;
	if (f != stdout && fclose(f) != 0 && written) {
		written = FALSE;
		werr = errno;
	}
	/* The reader of standard output went away (`| head`): it had what
	 * it wanted; a quiet end, as SIGPIPE gave before (README). */
	if (!written && werr == EPIPE && f == stdout)
		return TRUE;
	if (!written) {
		g_set_error(error, SS_ERROR, SS_ERROR_OUTPUT, "cannot write the report to %s: %s",
			    o->name, g_strerror(werr));
		ss_app_output_discard(o);
		return FALSE;
	}
	return commit(o, error);
}
