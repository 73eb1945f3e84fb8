/* The keyed hash of flow keys (sockscope/flow.h, ss_flow_hasher): kept
 * apart from the tables that use it, so that the flow table and the
 * lifecycle's index of tombstones each own one with seeds of their own
 * (the index used to keep a whole empty flow table only for its hash). */
#include "sockscope/flow.h"

#include <string.h>

/* SipHash-1-3 of the key's information, not of its 48 bytes.  An IPv4
 * key carries 19 bytes of it (two 4-byte addresses, the ports, protocol,
 * family, tunnel type and id): the rest is zero by construction (ss_ip
 * leaves bytes 4-15 of an IPv4 address zero, the padding fields are
 * zero).  Packed into 19 bytes (two words and a 3-byte tail) SipHash-1-3
 * runs 6 rounds instead of 10: about 60 fewer instructions a packet
 * (callgrind; the commit that made this says how much of the packet side
 * that is).  Still the keyed PRF, so crafted traffic still cannot aim at
 * buckets (bench/run.sh --collide).  Equal keys pack to equal bytes, which
 * is all a hash needs; an IPv6 key (and anything else) hashes in full, and
 * the message length, part of SipHash's last word, keeps the two apart. */
guint64 ss_flow_key_hash(const ss_flow_key *key, guint64 k0, guint64 k1)
{
	if (key->family != SS_FAMILY_IPV4)
		return ss_siphash13(key, sizeof *key, k0, k1);
	guint8 b[19];
	memcpy(b, key->addr[0].bytes, 4);
	memcpy(b + 4, key->addr[1].bytes, 4);
	memcpy(b + 8, key->port, 4);
	memcpy(b + 12, &key->vni, 4);
	b[16] = key->proto;
	b[17] = key->family;
	b[18] = key->tunnel;
	return ss_siphash13(b, sizeof b, k0, k1);
}

void ss_flow_hasher_init(ss_flow_hasher *fh, guint64 k0, guint64 k1)
{
	fh->k0 = k0;
	fh->k1 = k1;
	/* Round keys for key_hash_aes(), as random as the seeds. */
	ss_hash3_key_init_seeded(&fh->hk, k0, k1);
}

/* The per-packet hash of an IPv4 key where the CPU has AES-NI: its 16
 * bytes of addresses, ports and tunnel id go through three AES rounds
 * under secret round keys, its protocol, family and tunnel type join after
 * the first (ss_hash3, core/hash.c).  Two rounds already spread every input
 * byte over the whole state, and the round keys are random per run, so
 * crafted traffic cannot aim at buckets any more than with SipHash
 * (bench/run.sh --collide checks it) -- aHash and the design review's
 * prototype do the same (docs/performance.md).  About 20 instructions
 * against ~110 for SipHash-1-3 of the same 19 bytes. */
static inline guint64 key_hash_aes(const ss_flow_hasher *fh, const ss_flow_key *key)
{
	guint32 a0, a1, ports;
	memcpy(&a0, key->addr[0].bytes, 4);
	memcpy(&a1, key->addr[1].bytes, 4);
	memcpy(&ports, key->port, 4);
	return ss_hash3(&fh->hk, a0 | (guint64)a1 << 32, ports | (guint64)key->vni << 32,
			key->proto | (guint64)key->family << 8 | (guint64)key->tunnel << 16);
}

guint64 ss_flow_hasher_hash(const ss_flow_hasher *fh, const ss_flow_key *key)
{
	if (fh->hk.aes && key->family == SS_FAMILY_IPV4)
		return key_hash_aes(fh, key);
	return ss_flow_key_hash(key, fh->k0, fh->k1);
}
