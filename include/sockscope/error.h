/* sockscope's error domain and process exit statuses.
 *
 * Environment failures (a bad command line, an input that is not a capture,
 * a live-capture or output failure) travel as GErrors in SS_ERROR with one
 * of these codes; the program maps them to the exit statuses below, which
 * sockscope(1) and the README document.  Every layer may raise them, so
 * they live in core rather than with the capture sources. */
#ifndef SOCKSCOPE_ERROR_H
#define SOCKSCOPE_ERROR_H

#include <glib.h>

#define SS_ERROR (ss_error_quark())
GQuark ss_error_quark(void);

typedef enum {
	SS_ERROR_USAGE,     /* bad command line, bad BPF filter */
	SS_ERROR_INPUT,     /* cannot open the input, or it is not a capture */
	SS_ERROR_DAMAGED,   /* reading stopped early: truncated or corrupt file */
	SS_ERROR_CAPTURE,   /* live capture failures (permissions, interface) */
	SS_ERROR_OUTPUT,    /* cannot write the report */
	SS_ERROR_INTERRUPTED, /* reading files stopped at a stop signal (signals.h) */
} ss_error_code;

/* Process exit statuses (documented in sockscope(1) and README). */
enum {
	SS_EXIT_OK = 0,
	SS_EXIT_WARNINGS = 1,   /* report written, but the input was damaged or partly undecodable */
	SS_EXIT_USAGE = 2,
	SS_EXIT_INPUT = 3,
	SS_EXIT_CAPTURE = 4,
	SS_EXIT_OUTPUT = 5,
	SS_EXIT_RESOURCES = 6,  /* the system refused memory or address space
	                           (or randomness): no report (app/main.c) */
};

#endif
