/* SIGINT / SIGTERM / SIGHUP: stop the live capture, then write the report. */
#include "sockscope/signals.h"

#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
/* Written before the handlers can use it and only read by the handler. */
static pcap_t *volatile capture;
/* A temporary file to remove when a second signal ends the process. */
static const char *volatile abort_unlink;

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void on_stop_signal(int sig)
{
	if (stop_signal != 0) {
		/* Asked twice: give up on the report and die of the signal as
		 * the user expects, without leaving half a report behind.
		 * unlink(), signal() and raise() are async-signal-safe. */
		const char *path = abort_unlink;
		if (path)
			unlink(path);
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_signal = sig;
	pcap_t *p = capture;
	if (p)
		pcap_breakloop(p);
}

void ss_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	for (gsize i = 0; i < G_N_ELEMENTS(stop_signals); i++)
		sigaddset(&sa.sa_mask, stop_signals[i]);
	sa.sa_flags = SA_RESTART;
	for (gsize i = 0; i < G_N_ELEMENTS(stop_signals); i++) {
		struct sigaction old;
		/* nohup's ignored SIGHUP stays ignored.  SIGINT is caught even
		 * when ignored: a shell script's background jobs start with it
		 * ignored, and `kill -INT` is how scripts stop a capture. */
		if (stop_signals[i] == SIGHUP && sigaction(SIGHUP, NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(stop_signals[i], &sa, NULL);
	}
}

void ss_signals_set_pcap(pcap_t *p)
{
	capture = p;
}

void ss_signals_unlink_on_abort(const char *path)
{
	abort_unlink = path;
}

void ss_signals_unlink_unfinished(void)
{
	const char *path = abort_unlink;
	if (path)
		unlink(path);
}

/* Set by ss_signals_request_stop() from any thread (atomic, unlike the
 * handler's sig_atomic_t, which only the handler writes). */
static gint requested;

void ss_signals_request_stop(int sig)
{
	g_atomic_int_compare_and_exchange(&requested, 0, sig);
	pcap_t *p = capture;
	if (p)
		pcap_breakloop(p);
}

int ss_signals_stop_requested(void)
{
	int sig = stop_signal;
	return sig ? sig : g_atomic_int_get(&requested);
}

gboolean ss_signals_stop_cb(gpointer unused)
{
	(void)unused;
	return ss_signals_stop_requested() != 0;
}

void ss_signals_set(sigset_t *set)
{
	sigemptyset(set);
	for (gsize i = 0; i < G_N_ELEMENTS(stop_signals); i++)
		sigaddset(set, stop_signals[i]);
}
