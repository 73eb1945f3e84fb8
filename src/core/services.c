/* The system services database and sockscope's built-in table of service
 * names: what "http" or "domain" a port is called in every output format,
 * and which ports count as evidence of a server when a connection has no
 * handshake to say so (sockscope/services.h). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>

#include "sockscope/format.h"
#include "sockscope/services.h"


typedef struct {
	guint8 proto;
	guint16 port;
	gboolean server;   /* a port servers listen on (bootpc, ftp-data are not) */
	const char *name;
	guint8 len;        /* strlen(name) */
} service_entry;

#define SVC(proto, port, server, name) { proto, port, server, name, sizeof name - 1 }

/* Sorted by (proto, port), for the reader: the look-up goes through
 * service_slot (below).  Names are those of IANA's registry and
 * /etc/services where one is in common use; where the registered name has
 * nothing to do with what runs on the port today, the product's name
 * (docs/output.md lists them). */
static const service_entry services[] = {
	SVC(IPPROTO_TCP, 20, FALSE, "ftp-data"),
	SVC(IPPROTO_TCP, 21, TRUE, "ftp"),
	SVC(IPPROTO_TCP, 22, TRUE, "ssh"),
	SVC(IPPROTO_TCP, 23, TRUE, "telnet"),
	SVC(IPPROTO_TCP, 25, TRUE, "smtp"),
	SVC(IPPROTO_TCP, 53, TRUE, "domain"),
	SVC(IPPROTO_TCP, 80, TRUE, "http"),
	SVC(IPPROTO_TCP, 88, TRUE, "kerberos"),
	SVC(IPPROTO_TCP, 110, TRUE, "pop3"),
	SVC(IPPROTO_TCP, 111, TRUE, "sunrpc"),
	SVC(IPPROTO_TCP, 119, TRUE, "nntp"),
	SVC(IPPROTO_TCP, 135, TRUE, "epmap"),
	SVC(IPPROTO_TCP, 139, TRUE, "netbios-ssn"),
	SVC(IPPROTO_TCP, 143, TRUE, "imap"),
	SVC(IPPROTO_TCP, 179, TRUE, "bgp"),
	SVC(IPPROTO_TCP, 389, TRUE, "ldap"),
	SVC(IPPROTO_TCP, 443, TRUE, "https"),
	SVC(IPPROTO_TCP, 445, TRUE, "microsoft-ds"),
	SVC(IPPROTO_TCP, 465, TRUE, "submissions"),
	SVC(IPPROTO_TCP, 514, TRUE, "shell"),
	SVC(IPPROTO_TCP, 587, TRUE, "submission"),
	SVC(IPPROTO_TCP, 631, TRUE, "ipp"),
	SVC(IPPROTO_TCP, 636, TRUE, "ldaps"),
	SVC(IPPROTO_TCP, 873, TRUE, "rsync"),
	SVC(IPPROTO_TCP, 993, TRUE, "imaps"),
	SVC(IPPROTO_TCP, 995, TRUE, "pop3s"),
	SVC(IPPROTO_TCP, 1080, TRUE, "socks"),
	SVC(IPPROTO_TCP, 1433, TRUE, "ms-sql-s"),
	SVC(IPPROTO_TCP, 1521, TRUE, "oracle"),
	SVC(IPPROTO_TCP, 1883, TRUE, "mqtt"),
	SVC(IPPROTO_TCP, 2049, TRUE, "nfs"),
	SVC(IPPROTO_TCP, 2375, TRUE, "docker"),
	SVC(IPPROTO_TCP, 2376, TRUE, "docker-s"),
	SVC(IPPROTO_TCP, 3306, TRUE, "mysql"),
	SVC(IPPROTO_TCP, 3389, TRUE, "ms-wbt-server"),
	SVC(IPPROTO_TCP, 5432, TRUE, "postgresql"),
	SVC(IPPROTO_TCP, 5672, TRUE, "amqp"),
	SVC(IPPROTO_TCP, 5900, TRUE, "rfb"),
	SVC(IPPROTO_TCP, 5984, TRUE, "couchdb"),
	SVC(IPPROTO_TCP, 6379, TRUE, "redis"),
	SVC(IPPROTO_TCP, 6443, TRUE, "kube-apiserver"),
	SVC(IPPROTO_TCP, 8000, TRUE, "http-alt"),
	SVC(IPPROTO_TCP, 8008, TRUE, "http-alt"),
	SVC(IPPROTO_TCP, 8080, TRUE, "http-alt"),
	SVC(IPPROTO_TCP, 8443, TRUE, "https-alt"),
	SVC(IPPROTO_TCP, 8883, TRUE, "secure-mqtt"),
	SVC(IPPROTO_TCP, 9042, TRUE, "cassandra"),
	SVC(IPPROTO_TCP, 9092, TRUE, "kafka"),
	SVC(IPPROTO_TCP, 9200, TRUE, "elasticsearch"),
	SVC(IPPROTO_TCP, 9300, TRUE, "es-transport"),
	SVC(IPPROTO_TCP, 11211, TRUE, "memcache"),
	SVC(IPPROTO_TCP, 27017, TRUE, "mongodb"),

	SVC(IPPROTO_UDP, 53, TRUE, "domain"),
	SVC(IPPROTO_UDP, 67, TRUE, "bootps"),
	SVC(IPPROTO_UDP, 68, FALSE, "bootpc"),
	SVC(IPPROTO_UDP, 69, TRUE, "tftp"),
	SVC(IPPROTO_UDP, 88, TRUE, "kerberos"),
	SVC(IPPROTO_UDP, 111, TRUE, "sunrpc"),
	SVC(IPPROTO_UDP, 123, TRUE, "ntp"),
	SVC(IPPROTO_UDP, 137, TRUE, "netbios-ns"),
	SVC(IPPROTO_UDP, 138, TRUE, "netbios-dgm"),
	SVC(IPPROTO_UDP, 161, TRUE, "snmp"),
	SVC(IPPROTO_UDP, 162, TRUE, "snmp-trap"),
	SVC(IPPROTO_UDP, 443, TRUE, "https"),
	SVC(IPPROTO_UDP, 500, TRUE, "isakmp"),
	SVC(IPPROTO_UDP, 514, TRUE, "syslog"),
	SVC(IPPROTO_UDP, 520, TRUE, "router"),
	SVC(IPPROTO_UDP, 1812, TRUE, "radius"),
	SVC(IPPROTO_UDP, 1813, TRUE, "radius-acct"),
	SVC(IPPROTO_UDP, 1900, TRUE, "ssdp"),
	SVC(IPPROTO_UDP, 2049, TRUE, "nfs"),
	SVC(IPPROTO_UDP, 4500, TRUE, "ipsec-nat-t"),
	SVC(IPPROTO_UDP, 4789, TRUE, "vxlan"),
	SVC(IPPROTO_UDP, 5353, TRUE, "mdns"),
	SVC(IPPROTO_UDP, 5355, TRUE, "llmnr"),
	SVC(IPPROTO_UDP, 6081, TRUE, "geneve"),
	SVC(IPPROTO_UDP, 51820, TRUE, "wireguard"),
};

/* (proto, port) -> 1 + its index in services[], 0 for none: open
 * addressing in 256 slots (77 entries), made once.  bsearch() through a
 * comparison function was ~7 calls and unpredictable branches a record on
 * the writer thread (ss_service_name 0.5% of all of mixed.pcap's samples,
 * docs/performance.md, "Writer and findings, fourteenth session"); here a
 * look-up is one multiply and, at this load, ~1.2 probes.  The index is
 * made before main() (a constructor), not on first use: pthread_once()
 * is a call, and asked on every look-up it took back about a third of
 * what the index saved (perf, the same section). */
#define SERVICE_SLOTS 256
static guint8 service_slot[SERVICE_SLOTS];

G_STATIC_ASSERT(G_N_ELEMENTS(services) < SERVICE_SLOTS / 2);

static inline guint service_home(guint8 proto, guint16 port)
{
	guint32 key = (guint32)proto << 16 | port;
	return (key * 0x9E3779B1u) >> 24;   /* Fibonacci hashing: the top 8 bits */
}

__attribute__((constructor)) static void index_make(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(services); i++) {
		guint s = service_home(services[i].proto, services[i].port);
		while (service_slot[s] != 0)
			s = (s + 1) % SERVICE_SLOTS;
		service_slot[s] = (guint8)(i + 1);
	}
}

static const service_entry *builtin_lookup(guint8 proto, guint16 port)
{
	for (guint s = service_home(proto, port);; s = (s + 1) % SERVICE_SLOTS) {
		guint i = service_slot[s];
		if (i == 0)
			return NULL;
		const service_entry *e = &services[i - 1];
		if (e->port == port && e->proto == proto)
			return e;
	}
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

const char *ss_service_name_len(guint8 proto, guint16 port, gsize *len)
{
	const service_entry *e = builtin_lookup(proto, port);
	if (e != NULL) {
		*len = e->len;
		return e->name;
	}
	const char *name = g_atomic_int_get(&use_system) ? system_lookup(proto, port) : NULL;
	*len = name != NULL ? strlen(name) : 0;
	return name;
}

const char *ss_service_name(guint8 proto, guint16 port)
{
	gsize len;
	return ss_service_name_len(proto, port, &len);
}

gboolean ss_service_port_known(guint8 proto, guint16 port)
{
	const service_entry *e = builtin_lookup(proto, port);
	return e != NULL && e->server;
}
