/* The system services database and sockscope's built-in table of service
 * names: what "http" or "domain" a port is called in every output format,
 * and which ports count as evidence of a server when a connection has no
 * handshake to say so (sockscope/services.h). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "sockscope/format.h"
#include "sockscope/services.h"


typedef struct {
	guint8 proto;
	guint16 port;
	gboolean server;   /* a port servers listen on (bootpc, ftp-data are not) */
	const char *name;
} service_entry;

/* Sorted by (proto, port): the order bsearch() needs (checked by the unit
 * test through ss_service_name()).  Names are those of IANA's registry and
 * /etc/services where one is in common use; where the registered name has
 * nothing to do with what runs on the port today, the product's name
 * (docs/output.md lists them). */
static const service_entry services[] = {
	{ IPPROTO_TCP, 20, FALSE, "ftp-data" },
	{ IPPROTO_TCP, 21, TRUE, "ftp" },
	{ IPPROTO_TCP, 22, TRUE, "ssh" },
	{ IPPROTO_TCP, 23, TRUE, "telnet" },
	{ IPPROTO_TCP, 25, TRUE, "smtp" },
	{ IPPROTO_TCP, 53, TRUE, "domain" },
	{ IPPROTO_TCP, 80, TRUE, "http" },
	{ IPPROTO_TCP, 88, TRUE, "kerberos" },
	{ IPPROTO_TCP, 110, TRUE, "pop3" },
	{ IPPROTO_TCP, 111, TRUE, "sunrpc" },
	{ IPPROTO_TCP, 119, TRUE, "nntp" },
	{ IPPROTO_TCP, 135, TRUE, "epmap" },
	{ IPPROTO_TCP, 139, TRUE, "netbios-ssn" },
	{ IPPROTO_TCP, 143, TRUE, "imap" },
	{ IPPROTO_TCP, 179, TRUE, "bgp" },
	{ IPPROTO_TCP, 389, TRUE, "ldap" },
	{ IPPROTO_TCP, 443, TRUE, "https" },
	{ IPPROTO_TCP, 445, TRUE, "microsoft-ds" },
	{ IPPROTO_TCP, 465, TRUE, "submissions" },
	{ IPPROTO_TCP, 514, TRUE, "shell" },
	{ IPPROTO_TCP, 587, TRUE, "submission" },
	{ IPPROTO_TCP, 631, TRUE, "ipp" },
	{ IPPROTO_TCP, 636, TRUE, "ldaps" },
	{ IPPROTO_TCP, 873, TRUE, "rsync" },
	{ IPPROTO_TCP, 993, TRUE, "imaps" },
	{ IPPROTO_TCP, 995, TRUE, "pop3s" },
	{ IPPROTO_TCP, 1080, TRUE, "socks" },
	{ IPPROTO_TCP, 1433, TRUE, "ms-sql-s" },
	{ IPPROTO_TCP, 1521, TRUE, "oracle" },
	{ IPPROTO_TCP, 1883, TRUE, "mqtt" },
	{ IPPROTO_TCP, 2049, TRUE, "nfs" },
	{ IPPROTO_TCP, 2375, TRUE, "docker" },
	{ IPPROTO_TCP, 2376, TRUE, "docker-s" },
	{ IPPROTO_TCP, 3306, TRUE, "mysql" },
	{ IPPROTO_TCP, 3389, TRUE, "ms-wbt-server" },
	{ IPPROTO_TCP, 5432, TRUE, "postgresql" },
	{ IPPROTO_TCP, 5672, TRUE, "amqp" },
	{ IPPROTO_TCP, 5900, TRUE, "rfb" },
	{ IPPROTO_TCP, 5984, TRUE, "couchdb" },
	{ IPPROTO_TCP, 6379, TRUE, "redis" },
	{ IPPROTO_TCP, 6443, TRUE, "kube-apiserver" },
	{ IPPROTO_TCP, 8000, TRUE, "http-alt" },
	{ IPPROTO_TCP, 8008, TRUE, "http-alt" },
	{ IPPROTO_TCP, 8080, TRUE, "http-alt" },
	{ IPPROTO_TCP, 8443, TRUE, "https-alt" },
	{ IPPROTO_TCP, 8883, TRUE, "secure-mqtt" },
	{ IPPROTO_TCP, 9042, TRUE, "cassandra" },
	{ IPPROTO_TCP, 9092, TRUE, "kafka" },
	{ IPPROTO_TCP, 9200, TRUE, "elasticsearch" },
	{ IPPROTO_TCP, 9300, TRUE, "es-transport" },
	{ IPPROTO_TCP, 11211, TRUE, "memcache" },
	{ IPPROTO_TCP, 27017, TRUE, "mongodb" },

	{ IPPROTO_UDP, 53, TRUE, "domain" },
	{ IPPROTO_UDP, 67, TRUE, "bootps" },
	{ IPPROTO_UDP, 68, FALSE, "bootpc" },
	{ IPPROTO_UDP, 69, TRUE, "tftp" },
	{ IPPROTO_UDP, 88, TRUE, "kerberos" },
	{ IPPROTO_UDP, 111, TRUE, "sunrpc" },
	{ IPPROTO_UDP, 123, TRUE, "ntp" },
	{ IPPROTO_UDP, 137, TRUE, "netbios-ns" },
	{ IPPROTO_UDP, 138, TRUE, "netbios-dgm" },
	{ IPPROTO_UDP, 161, TRUE, "snmp" },
	{ IPPROTO_UDP, 162, TRUE, "snmp-trap" },
	{ IPPROTO_UDP, 443, TRUE, "https" },
	{ IPPROTO_UDP, 500, TRUE, "isakmp" },
	{ IPPROTO_UDP, 514, TRUE, "syslog" },
	{ IPPROTO_UDP, 520, TRUE, "router" },
	{ IPPROTO_UDP, 1812, TRUE, "radius" },
	{ IPPROTO_UDP, 1813, TRUE, "radius-acct" },
	{ IPPROTO_UDP, 1900, TRUE, "ssdp" },
	{ IPPROTO_UDP, 2049, TRUE, "nfs" },
	{ IPPROTO_UDP, 4500, TRUE, "ipsec-nat-t" },
	{ IPPROTO_UDP, 4789, TRUE, "vxlan" },
	{ IPPROTO_UDP, 5353, TRUE, "mdns" },
	{ IPPROTO_UDP, 5355, TRUE, "llmnr" },
	{ IPPROTO_UDP, 6081, TRUE, "geneve" },
	{ IPPROTO_UDP, 51820, TRUE, "wireguard" },
};

static int service_cmp(const void *a, const void *b)
{
	const service_entry *x = a, *y = b;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return 0;
}

static const service_entry *builtin_lookup(guint8 proto, guint16 port)
{
	service_entry key = { proto, port, FALSE, NULL };
	return bsearch(&key, services, G_N_ELEMENTS(services), sizeof services[0],
		       service_cmp);
}

static gint use_system = TRUE;  /* atomic */
static GMutex system_lock;
static GHashTable *system_cache;  /* (proto << 16 | port) -> interned name */

void ss_services_use_system(gboolean on)
{
	g_atomic_int_set(&use_system, on ? TRUE : FALSE);
}

/* The system's services database, read once: getservbyport() scans
 * /etc/services from the top for every port it is asked about (~0.3 M
 * instructions), and a capture with many distinct unknown server ports asked
 * about each one.  getservent() walks the same entries in the same order;
 * the first entry for a (port, protocol) wins, as with getservbyport(). */
static void system_load(void)
{
	system_cache = g_hash_table_new(g_direct_hash, g_direct_equal);
	/* getservent() uses static storage: system_lock covers it. */
	setservent(0);
	struct servent *se;
	while ((se = getservent()) != NULL) {
		guint8 proto = g_strcmp0(se->s_proto, "tcp") == 0 ? IPPROTO_TCP
			     : g_strcmp0(se->s_proto, "udp") == 0 ? IPPROTO_UDP : 0;
		if (proto == 0 || se->s_name == NULL || se->s_name[0] == '\0')
			continue;
		gpointer key = GUINT_TO_POINTER(((guint)proto << 16) | ntohs((guint16)se->s_port));
		if (!g_hash_table_contains(system_cache, key)) {
			/* /etc/services is the host's, not ours: a name with raw
			 * terminal escapes or bidi overrides must not reach the
			 * csv field, the text report or the --interval view. */
			char *clean = ss_text_sanitize(se->s_name);
			g_hash_table_insert(system_cache, key, (gpointer)g_intern_string(clean));
			g_free(clean);
		}
	}
	endservent();
}

static const char *system_lookup(guint8 proto, guint16 port)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return NULL;
	gpointer key = GUINT_TO_POINTER(((guint)proto << 16) | port);
	g_mutex_lock(&system_lock);
	if (system_cache == NULL)
		system_load();
	const char *name = g_hash_table_lookup(system_cache, key);
	g_mutex_unlock(&system_lock);
	return name;
}

const char *ss_service_name(guint8 proto, guint16 port)
{
	const service_entry *e = builtin_lookup(proto, port);
	if (e != NULL)
		return e->name;
	if (!g_atomic_int_get(&use_system))
		return NULL;
	return system_lookup(proto, port);
}

gboolean ss_service_port_known(guint8 proto, guint16 port)
{
	const service_entry *e = builtin_lookup(proto, port);
	return e != NULL && e->server;
}
