/* The core helpers in one include, for files that use several of them:
 * text of numbers, addresses and times (format.h), service names
 * (services.h), the keyed hash (hash.h) and address facts (ip.h). */
#ifndef SOCKSCOPE_UTIL_H
#define SOCKSCOPE_UTIL_H

#include "sockscope/format.h"
#include "sockscope/hash.h"
#include "sockscope/ip.h"
#include "sockscope/services.h"

#endif
