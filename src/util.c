/* Address and time formatting, service names, JSON string escaping.
 *
 * Everything here produces text that ends up in sockscope's output formats,
 * so it avoids anything that depends on the locale, the time zone or the
 * host's configuration unless the caller asks for it (the system services
 * database, see ss_services_use_system()). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sockscope/util.h"

void ss_ip_format(guint8 family, const ss_ip *ip, char buf[SS_IP_STRLEN])
{
	const char *r = NULL;

	if (family == SS_FAMILY_IPV4)
		r = inet_ntop(AF_INET, ip->bytes, buf, SS_IP_STRLEN);
	else if (family == SS_FAMILY_IPV6)
		r = inet_ntop(AF_INET6, ip->bytes, buf, SS_IP_STRLEN);
	if (r == NULL)
		g_strlcpy(buf, "invalid", SS_IP_STRLEN);
}

/* ---- time ---------------------------------------------------------------- */

#define NS_PER_SEC G_GINT64_CONSTANT(1000000000)

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * civil_from_days); only used when gmtime_r() cannot represent the time
 * (a 32-bit time_t). */
static void civil_from_days(gint64 z, gint64 *y, int *m, int *d)
{
	z += 719468;
	gint64 era = (z >= 0 ? z : z - 146096) / 146097;
	gint64 doe = z - era * 146097;
	gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	gint64 mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void ss_time_append(GString *buf, gint64 ns, gboolean nanosecond)
{
	/* Floor division: -1 ns is 1969-12-31T23:59:59.999999999Z. */
	gint64 sec = ns / NS_PER_SEC;
	gint64 frac = ns % NS_PER_SEC;
	if (frac < 0) {
		frac += NS_PER_SEC;
		sec -= 1;
	}

	gint64 year;
	int mon, mday, hour, min, s;
	struct tm tm;
	time_t t = (time_t)sec;
	if ((gint64)t == sec && gmtime_r(&t, &tm) != NULL) {
		year = (gint64)tm.tm_year + 1900;
		mon = tm.tm_mon + 1;
		mday = tm.tm_mday;
		hour = tm.tm_hour;
		min = tm.tm_min;
		s = tm.tm_sec;
	} else {
		gint64 days = sec / 86400, rem = sec % 86400;
		if (rem < 0) {
			rem += 86400;
			days -= 1;
		}
		civil_from_days(days, &year, &mon, &mday);
		hour = (int)(rem / 3600);
		min = (int)(rem / 60 % 60);
		s = (int)(rem % 60);
	}

	g_string_append_printf(buf, "%04" G_GINT64_FORMAT "-%02d-%02dT%02d:%02d:%02d",
			       year, mon, mday, hour, min, s);
	if (nanosecond)
		g_string_append_printf(buf, ".%09" G_GINT64_FORMAT "Z", frac);
	else
		g_string_append_printf(buf, ".%06" G_GINT64_FORMAT "Z", frac / 1000);
}

void ss_ms_append(GString *buf, gint64 ns, gboolean nanosecond)
{
	/* The magnitude as unsigned, so that G_MININT64 cannot overflow. */
	guint64 mag = ns < 0 ? (guint64)(-(ns + 1)) + 1 : (guint64)ns;
	if (ns < 0)
		g_string_append_c(buf, '-');
	if (nanosecond) {
		g_string_append_printf(buf, "%" G_GUINT64_FORMAT ".%06" G_GUINT64_FORMAT,
				       mag / 1000000, mag % 1000000);
	} else {
		guint64 us = mag / 1000;
		g_string_append_printf(buf, "%" G_GUINT64_FORMAT ".%03" G_GUINT64_FORMAT,
				       us / 1000, us % 1000);
	}
}

/* ---- services ------------------------------------------------------------ */

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
static GHashTable *system_cache;  /* (proto << 16 | port) -> interned name or &no_name */
static const char no_name[] = "";

void ss_services_use_system(gboolean on)
{
	g_atomic_int_set(&use_system, on ? TRUE : FALSE);
}

static const char *system_lookup(guint8 proto, guint16 port)
{
	const char *pname = proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : NULL;
	if (pname == NULL)
		return NULL;

	gpointer key = GUINT_TO_POINTER(((guint)proto << 16) | port);
	const char *name;

	g_mutex_lock(&system_lock);
	if (system_cache == NULL)
		system_cache = g_hash_table_new(g_direct_hash, g_direct_equal);
	name = g_hash_table_lookup(system_cache, key);
	if (name == NULL) {
		/* getservbyport() uses static storage: the lock covers it too.
		 * It reads local files (or NSS), never the network for services. */
		struct servent *se = getservbyport(htons(port), pname);
		name = se != NULL && se->s_name != NULL && se->s_name[0] != '\0'
			? g_intern_string(se->s_name) : no_name;
		g_hash_table_insert(system_cache, key, (gpointer)name);
	}
	g_mutex_unlock(&system_lock);
	return name == no_name ? NULL : name;
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

/* ---- JSON ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static gsize utf8_valid_len(const guint8 *s)
{
	guint8 c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		guint8 lo = c == 0xE0 ? 0xA0 : 0x80;
		guint8 hi = c == 0xED ? 0x9F : 0xBF;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		guint8 lo = c == 0xF0 ? 0x90 : 0x80;
		guint8 hi = c == 0xF4 ? 0x8F : 0xBF;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

void ss_json_escape_append(GString *buf, const char *s)
{
	if (s == NULL) {
		g_string_append(buf, "null");
		return;
	}
	/* Reading s[1..3] in utf8_valid_len() is safe: a NUL terminator fails
	 * the continuation-byte test before anything beyond it is read. */
	const guint8 *p = (const guint8 *)s;
	g_string_append_c(buf, '"');
	while (*p != '\0') {
		guint8 c = *p;
		if (c == '"' || c == '\\') {
			g_string_append_c(buf, '\\');
			g_string_append_c(buf, (char)c);
			p++;
		} else if (c < 0x20 || c == 0x7F) {
			g_string_append_printf(buf, "\\u%04x", c);
			p++;
		} else if (c < 0x80) {
			g_string_append_c(buf, (char)c);
			p++;
		} else {
			gsize n = utf8_valid_len(p);
			if (n == 0) {
				g_string_append(buf, "\\ufffd");
				p++;
			} else {
				g_string_append_len(buf, (const char *)p, (gssize)n);
				p += n;
			}
		}
	}
	g_string_append_c(buf, '"');
}
