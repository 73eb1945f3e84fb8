/* `sockscope compare` (app/compare.c): main() hands it the arguments after
 * the word "compare". */
#ifndef SOCKSCOPE_APP_COMPARE_H
#define SOCKSCOPE_APP_COMPARE_H

#include <glib.h>

/* Runs the compare command; returns the exit status (SS_EXIT_*) with
 * *error set when there is one line to print. */
int ss_app_compare_main(int argc, char **argv, GError **error);

#endif
