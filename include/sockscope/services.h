/* Service names of ports (src/core/services.c). */
#ifndef SOCKSCOPE_SERVICES_H
#define SOCKSCOPE_SERVICES_H

#include <glib.h>

/* Service name for a port ("http", "domain"...) or NULL: a built-in table
 * first (so common ports are named the same everywhere), then, unless
 * ss_services_use_system(FALSE) was called, the system's services database
 * (getservbyport(), cached; the result is an interned string).  Never does
 * network lookups.  Thread-safe. */
const char *ss_service_name(guint8 proto, guint16 port);
/* The same, with its length in *len (0 for NULL), known without a strlen
 * for the built-in names: the jsonl line reserves its room by it. */
const char *ss_service_name_len(guint8 proto, guint16 port, gsize *len);
/* TRUE when the port is a server port in the built-in table (never the
 * system database, so the evidence is the same on every host): the evidence
 * used to orient connections without a handshake.  Client-side ports that
 * have a name (bootpc 68/udp, ftp-data 20/tcp) are not server ports. */
gboolean ss_service_port_known(guint8 proto, guint16 port);
/* Whether ss_service_name() may fall back to the system's services database
 * (default TRUE; --builtin-services and the golden tests turn it off). */
void ss_services_use_system(gboolean on);

#endif
