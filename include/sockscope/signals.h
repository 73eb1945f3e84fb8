/* Stopping a live capture cleanly on SIGINT, SIGTERM and SIGHUP.
 *
 * The handler only records the signal in a volatile sig_atomic_t and calls
 * pcap_breakloop() on the capture being read (documented safe in a signal
 * handler); the capture loop sees the flag, returns, and the full report is
 * written.  A second such signal while that happens ends the process at
 * once with the signal's default action (the report may be cut short). */
#ifndef SOCKSCOPE_SIGNALS_H
#define SOCKSCOPE_SIGNALS_H

#include <glib.h>
#include <pcap/pcap.h>
#include <signal.h>

/* Installs the handlers (with SA_RESTART: report writes are never cut by
 * EINTR; the capture loop waits in ppoll(), which a signal always ends). */
void ss_signals_install(void);
/* The capture the handler breaks out of; NULL for none. */
void ss_signals_set_pcap(pcap_t *p);
/* A file the second signal removes before the process dies (the report
 * being written to a temporary name); NULL for none.  The string must
 * stay valid until it is replaced. */
void ss_signals_unlink_on_abort(const char *path);
/* Removes that file now, when the process is about to end without a
 * report for another reason (out of memory: app/main.c).  Async-signal
 * safe, allocates nothing. */
void ss_signals_unlink_unfinished(void);
/* Asks for the same stop as a signal would, from any thread: the reader of
 * the report went away (EPIPE, recorded as SIGPIPE). */
void ss_signals_request_stop(int sig);
/* The signal that asked to stop (or was requested), 0 when none did. */
int ss_signals_stop_requested(void);
/* The same as a callback (ss_ipfix_exporter_set_stop): TRUE once a stop
 * signal came.  Safe from any thread (a sig_atomic_t read). */
gboolean ss_signals_stop_cb(gpointer unused);
/* The signal set the handlers catch (to block around the wait). */
void ss_signals_set(sigset_t *set);

#endif
