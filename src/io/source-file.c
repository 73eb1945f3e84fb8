/* Saved-capture input: one file, or several merged by packet time as one
 * capture, read by our own reader (io/capfile.c: pcap, pcapng, gzip).
 *
 * What lives here: opening inputs (files, directories walked in name
 * order, standard input), the BPF filter compiled per interface with
 * libpcap, one ss_input per link type a file carries, the merge, and lazy
 * opening: more inputs than file descriptors are read with a window of
 * open ones (the others parked: see ss_capfile_park), so a day of rotated
 * captures never runs out of descriptors.
 *
 * This file owns opening, directories, filters and parking;
 * io/source-merge.c reads the opened inputs, one or merged by time;
 * io/source-file-internal.h is what the two share. */
#include "io/source-file-internal.h"
#include "sockscope/source.h"
#include "sockscope/decode.h"
#include "sockscope/progress.h"
#include "io/capfile.h"
#include "sockscope/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* LINKTYPE_ (what files hold) to DLT_ (what libpcap and ss_decode take),
 * as libpcap's linktype_to_dlt() does.  The header's reserved bits 16-25
 * and FCS bits are ignored: every DLT fits in 16 bits (make-malformed.py,
 * case linktype-upper-bits). */
int file_source_link_dlt(guint32 linktype)
{
	int lt = (int)(linktype & 0xffff);
	switch (lt) {
	case 100: return DLT_ATM_RFC1483;
	case 101: return DLT_RAW;
	case 102: return DLT_SLIP_BSDOS;
	case 103: return DLT_PPP_BSDOS;
	case 106: return DLT_ATM_CLIP;
	case 246: return DLT_PFSYNC;
	default: return lt;
	}
}

const char *file_source_link_name(int dlt, char *numeric, gsize size)
{
	const char *n = pcap_datalink_val_to_name(dlt);
	if (n)
		return n;
	g_snprintf(numeric, size, "DLT_%d", dlt);
	return numeric;
}

/* Compiles the filter for one interface's link type.  FALSE with
 * libpcap's words in *why when it cannot apply there. */
gboolean file_source_compile_filter(const char *filter, int dlt, struct bpf_program *prog,
				    char **why)
{
	pcap_t *dead = pcap_open_dead(dlt, (int)SS_CAPFILE_MAX_SNAPLEN);
	if (!dead) {
		*why = g_strdup("out of memory");
		return FALSE;
	}
	gboolean ok = pcap_compile(dead, prog, filter, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (!ok)
		*why = g_strdup(pcap_geterr(dead));
	pcap_close(dead);
	return ok;
}

static ss_file_source *source_new(const char *name, ss_capfile *cf, const char *filter,
				  GError **error)
{
	ss_file_source *src = g_new0(ss_file_source, 1);
	src->name = g_strdup(name);
	src->cf = cf;
	src->fd = -1;
	src->size = -1;
	src->filter = filter && *filter ? g_strdup(filter) : NULL;
	src->ifs = g_array_new(FALSE, TRUE, sizeof(src_iface));
	/* The first interface is known at open: a filter that does not
	 * compile for it is a usage error, as with libpcap before. */
	const ss_capfile_iface *i0 = ss_capfile_get_iface(cf, 0);
	src_iface si = { 0 };
	si.dlt = file_source_link_dlt(i0->linktype);
	if (src->filter) {
		char *why = NULL;
		if (!file_source_compile_filter(src->filter, si.dlt, &si.prog, &why)) {
			g_set_error(error, SS_ERROR, SS_ERROR_USAGE, "bad filter \"%s\": %s",
				    src->filter, why);
			g_free(why);
			src->cf = NULL;   /* the caller frees it */
			g_array_free(src->ifs, TRUE);
			g_free(src->filter);
			g_free(src->name);
			g_free(src);
			return NULL;
		}
		si.filtered = TRUE;
	}
	g_array_append_val(src->ifs, si);
	return src;
}

ss_file_source *ss_file_source_open_stream(FILE *fp, const char *name, const char *filter,
					   GError **error)
{
	char *why = NULL;
	ss_capfile *cf = ss_capfile_open(-1, fp, &why);
	if (!cf) {
		/* fp stays the caller's. */
		g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: %s", name, why);
		g_free(why);
		return NULL;
	}
	ss_file_source *src = source_new(name, cf, filter, error);
	if (!src) {
		ss_capfile_free(cf);
		fclose(fp);
		return NULL;
	}
	src->fp = fp;
	struct stat st;
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode))
		src->size = (gint64)st.st_size;
	return src;
}

/* Opens a file (or standard input) on a descriptor and reads its header. */
static ss_file_source *open_path(const char *path, const char *filter, GError **error)
{
	gboolean is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: cannot open: %s", path,
			    g_strerror(e));
		return NULL;
	}
	struct stat st;
	gboolean have_st = fstat(fd, &st) == 0;
	if (have_st && !is_stdin) {
		const char *why = NULL;
		if (S_ISDIR(st.st_mode))
			why = "is a directory, not a capture file";
		else if (S_ISREG(st.st_mode) && st.st_size == 0)
			why = "empty file (no capture header)";
		if (why) {
			close(fd);
			g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: %s", path, why);
			return NULL;
		}
	}
	char *why = NULL;
	ss_capfile *cf = ss_capfile_open(fd, NULL, &why);
	if (!cf) {
		g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: %s", path, why);
		g_free(why);
		if (!is_stdin)
			close(fd);
		return NULL;
	}
	ss_file_source *src = source_new(path, cf, filter, error);
	if (!src) {
		ss_capfile_free(cf);
		if (!is_stdin)
			close(fd);
		return NULL;
	}
	src->fd = fd;
	src->close_fd = !is_stdin;
	if (have_st && S_ISREG(st.st_mode) && !is_stdin) {
		src->size = (gint64)st.st_size;
		src->path = g_strdup(path);   /* a regular file can be parked */
		src->dev = st.st_dev;
		src->ino = st.st_ino;
	}
	return src;
}

ss_file_source *ss_file_source_open(const char *path, const char *filter, GError **error)
{
	return open_path(path, filter, error);
}

/* ---- lazy opening ---- */

/* How many inputs may hold a descriptor at once: half the limit, so the
 * report file, /etc/services, an IPFIX socket and libraries always find
 * one (with 1,100 inputs and 1024 descriptors the report file used to be
 * the one refused). */
guint file_source_open_window(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 512;
	return (guint)MAX(rl.rlim_cur / 2, (rlim_t)4);
}

/* The soft limit is a default for programs that never need many; reading
 * a directory of rotated captures does.  Best effort. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

gboolean file_source_can_park(const ss_file_source *src)
{
	return src->path && src->fd >= 0;
}

void file_source_park(ss_file_source *src)
{
	ss_capfile_park(src->cf, src->pkt.data ? &src->pkt : NULL);
	close(src->fd);
	src->fd = -1;
}

/* Opens a parked input again; FALSE (reopen_error set) when the file is
 * gone or is no longer the same file. */
gboolean file_source_unpark(ss_file_source *src)
{
	int fd = open(src->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	const char *why = NULL;
	if (fd < 0)
		why = g_strerror(errno);
	else if (fstat(fd, &st) != 0 || st.st_dev != src->dev || st.st_ino != src->ino)
		why = "it was replaced while being read";
	else if (!ss_capfile_resume(src->cf, fd))
		why = g_strerror(errno);
	if (why) {
		src->reopen_error = g_strdup_printf("cannot open it again: %s", why);
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	src->fd = fd;
	return TRUE;
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct {
	const char *filter;
	GPtrArray *sources;
	GPtrArray *warnings;
	guint window, n_open;
} open_ctx;

/* Adds an opened input, parking it when the window is full. */
static void add_source(open_ctx *ctx, ss_file_source *src)
{
	g_ptr_array_add(ctx->sources, src);
	if (src->fd < 0 || src->fp)
		return;
	if (ctx->n_open >= ctx->window && file_source_can_park(src))
		file_source_park(src);
	else
		ctx->n_open++;
}

/* -r DIR: every regular file in it and in its subdirectories, in name
 * order (a subdirectory's files where its name sorts), dotfiles skipped;
 * files that are not captures are skipped with a warning. */
static gboolean open_dir(open_ctx *ctx, const char *dir, guint depth, guint *opened,
			 GError **error)
{
	GError *local = NULL;
	GDir *d = g_dir_open(dir, 0, &local);
	if (!d) {
		g_set_error(error, SS_ERROR, SS_ERROR_INPUT, "%s: cannot read the directory: %s",
			    dir, local->message);
		g_error_free(local);
		return FALSE;
	}
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(d)))
		if (name[0] != '.')
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	g_ptr_array_sort(names, cmp_names);

	gboolean ok = TRUE;
	for (guint i = 0; ok && i < names->len; i++) {
		char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			/* Bounded: a symlink loop ends here, not in a crash. */
			if (depth < 16)
				ok = open_dir(ctx, path, depth + 1, opened, error);
			else
				g_ptr_array_add(ctx->warnings, g_strdup_printf(
					"%s: directories nested too deep; skipped", path));
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			ss_file_source *src = open_path(path, ctx->filter, &local);
			if (src) {
				add_source(ctx, src);
				(*opened)++;
			} else if (local->code == SS_ERROR_INPUT) {
				g_ptr_array_add(ctx->warnings, g_strdup_printf("%s; skipped",
									      local->message));
				g_clear_error(&local);
			} else {
				g_propagate_error(error, local);
				local = NULL;
				ok = FALSE;
			}
		}
		g_free(path);
	}
	g_ptr_array_unref(names);
	return ok;
}

gboolean ss_file_sources_open(char **paths, const char *filter, GPtrArray *sources,
			      GPtrArray *warnings, GError **error)
{
	raise_fd_limit();
	open_ctx ctx = { filter, sources, warnings, file_source_open_window(), 0 };
	for (guint i = 0; i < sources->len; i++)
		ctx.n_open += ((ss_file_source *)g_ptr_array_index(sources, i))->fd >= 0;
	for (guint i = 0; paths[i]; i++) {
		struct stat st;
		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			guint opened = 0;
			if (!open_dir(&ctx, paths[i], 0, &opened, error))
				return FALSE;
			if (opened == 0) {
				g_set_error(error, SS_ERROR, SS_ERROR_INPUT,
					    "%s: no capture file in the directory", paths[i]);
				return FALSE;
			}
			continue;
		}
		ss_file_source *src = open_path(paths[i], filter, error);
		if (!src)
			return FALSE;
		add_source(&ctx, src);
	}
	return TRUE;
}

void ss_file_source_close(ss_file_source *src)
{
	if (!src)
		return;
	ss_capfile_free(src->cf);
	if (src->fp)
		fclose(src->fp);
	else if (src->fd >= 0 && src->close_fd)
		close(src->fd);
	for (guint i = 0; i < src->ifs->len; i++) {
		src_iface *si = &g_array_index(src->ifs, src_iface, i);
		if (si->filtered)
			pcap_freecode(&si->prog);
	}
	g_array_free(src->ifs, TRUE);
	g_free(src->filter);
	g_free(src->reopen_error);
	g_free(src->path);
	g_free(src->name);
	g_free(src);
}

int ss_file_source_dlt(const ss_file_source *src)
{
	return g_array_index(src->ifs, src_iface, 0).dlt;
}

gint64 ss_file_source_size(const ss_file_source *src)
{
	return src->size;
}
