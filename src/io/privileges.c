/* Privileges after the capture handle is open: -Z USER switches to USER's
 * uid, gid and groups, and every capability goes (effective, permitted,
 * inheritable, ambient, and the bounding set when root can clear it), so
 * that decoding hostile packets never runs with CAP_NET_RAW/CAP_NET_ADMIN.
 * The documented non-root deployment (setcap cap_net_raw,cap_net_admin=eip)
 * keeps no capability either, with or without -Z.  Root without -Z stays
 * root, as tcpdump does.  On Linux this is libcap-ng (as tcpdump); other
 * systems have no capabilities and only switch the ids. */
#include "config.h"
#include "sockscope/source.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBCAP_NG
#include <cap-ng.h>
#endif

/* getpwnam() leaves errno at 0 or sets one of these for "no such user". */
static gboolean not_found_errno(int e)
{
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

static struct passwd *lookup(const char *user, GError **error)
{
	errno = 0;
	struct passwd *pw = getpwnam(user);
	int e = errno;
	if (!pw)
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "-Z: no such user \"%s\"%s%s", user,
			    not_found_errno(e) ? "" : ": ", not_found_errno(e) ? "" : g_strerror(e));
	return pw;
}

gboolean ss_privileges_check_user(const char *user, GError **error)
{
	return lookup(user, error) != NULL;
}

#ifdef HAVE_LIBCAP_NG
/* Switches ids (when uid/gid are not -1) and drops every capability. */
static gboolean drop_all(const char *user, int uid, int gid, GError **error)
{
	capng_clear(CAPNG_SELECT_ALL);
	int rc = 0;
	const char *step = NULL;
	if (uid != -1) {
		/* libcap-ng keeps what the switch needs (CAP_SETUID...) until it
		 * is done, clears the bounding set while CAP_SETPCAP is still
		 * there, and sets USER's supplementary groups (initgroups). */
		rc = capng_change_id(uid, gid, CAPNG_INIT_SUPP_GRP | CAPNG_CLEAR_BOUNDING |
				     CAPNG_CLEAR_AMBIENT);
		step = "capng_change_id";
	} else {
		/* Nothing held (an ordinary user): no syscall at all, so that a
		 * sandbox refusing capset() never stops a plain run. */
		if (capng_get_caps_process() == 0 &&
		    capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE &&
		    capng_have_capabilities(CAPNG_SELECT_AMBIENT) == CAPNG_NONE)
			return TRUE;
		capng_clear(CAPNG_SELECT_ALL);
		/* Not root (file capabilities): the bounding set needs
		 * CAP_SETPCAP, which such a binary does not have; an empty
		 * permitted set cannot gain anything from it without exec. */
		rc = capng_apply(CAPNG_SELECT_CAPS);
		step = "capng_apply";
		if (rc == 0 && capng_apply(CAPNG_SELECT_AMBIENT) != 0)
			rc = -100;   /* a kernel without ambient capabilities has none to drop */
		if (rc == -100)
			rc = 0;
	}
	if (rc != 0) {
		int e = errno;
		if (user)
			g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "cannot drop privileges to user"
				    " %s (%s: %d, %s); not capturing with them", user, step, rc,
				    g_strerror(e));
		else
			g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "cannot drop the capabilities"
				    " (%s: %d, %s); not capturing with them", step, rc, g_strerror(e));
		return FALSE;
	}
	/* Read back: nothing may be left in the process's sets. */
	if (capng_get_caps_process() != 0 ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE, "capabilities are still held after"
			    " dropping them; not capturing with them");
		return FALSE;
	}
	return TRUE;
}
#else
static gboolean drop_all(const char *user, int uid, int gid, GError **error)
{
	if (uid == -1)
		return TRUE;
	const char *step = NULL;
	if (initgroups(user, (gid_t)gid) != 0)
		step = "initgroups";
	else if (setgid((gid_t)gid) != 0)
		step = "setgid";
	else if (setuid((uid_t)uid) != 0)
		step = "setuid";
	if (step) {
		int e = errno;
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
			    "cannot drop privileges to user %s (%s: %s); not capturing as root",
			    user, step, g_strerror(e));
		return FALSE;
	}
	return TRUE;
}
#endif

gboolean ss_drop_privileges(const char *user, GError **error)
{
	int uid = -1, gid = -1;
	char *name = NULL;
	if (user) {
		struct passwd *pw = lookup(user, error);
		if (!pw)
			return FALSE;
		/* Already that user (a binary with capabilities run by USER):
		 * only the capabilities go. */
		if (!(getuid() == pw->pw_uid && geteuid() == pw->pw_uid &&
		      getgid() == pw->pw_gid && getegid() == pw->pw_gid)) {
			uid = (int)pw->pw_uid;
			gid = (int)pw->pw_gid;
		}
		name = g_strdup(pw->pw_name);
	} else if (getuid() == 0 || geteuid() == 0) {
		return TRUE;   /* root without -Z stays root (docs/live.md) */
	}
	gboolean ok = drop_all(name, uid, gid, error);
	g_free(name);
	if (!ok)
		return FALSE;
	/* Paranoia: root must be gone for good. */
	if (uid > 0 && (setuid(0) == 0 || geteuid() == 0 || getegid() != (gid_t)gid)) {
		g_set_error(error, SS_ERROR, SS_ERROR_CAPTURE,
			    "cannot drop privileges to user %s: root could be regained", user);
		return FALSE;
	}
	return TRUE;
}
