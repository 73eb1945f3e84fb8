/* The SS_ERROR quark (sockscope/error.h): one definition for every layer
 * that raises an SS_ERROR, from the exporter to the capture sources. */
#include "sockscope/error.h"

G_DEFINE_QUARK(sockscope-error-quark, ss_error)
