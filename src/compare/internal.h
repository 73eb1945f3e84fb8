/* What the path engine's files share (src/compare/); not installed. */
#ifndef SOCKSCOPE_COMPARE_INTERNAL_H
#define SOCKSCOPE_COMPARE_INTERNAL_H

#include "sockscope/compare.h"

/* translator.c: the translators behind the matched connections. */
void ss_cmp_translators_infer(ss_compare *c);
/* path-findings.c: the findings for people, ranked. */
void ss_cmp_path_findings(ss_compare *c);

#endif
