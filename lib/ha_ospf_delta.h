// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The deltas of OSPF non-stop routing (ospfd-ha) as they come from the
 * other card: each decoded (proto/frrha.proto) and checked -- addresses
 * that parse, states that exist, an LSA whose header, length and checksum
 * add up -- before the module lets ospfd see any of it.  A delta that does
 * not is refused with the reason (the replication engine then has the
 * active resynchronise the module).
 *
 * Pure C (protobuf-c, no libfrr): unit-tested and fuzzed.
 */
#ifndef FRRHA_OSPF_DELTA_H
#define FRRHA_OSPF_DELTA_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HA_OSPF_IFNAMSIZ       16
#define HA_OSPF_LSA_HEADER_LEN 20
#define HA_OSPF_LSA_MAXAGE     3600
/* an OSPF packet, IP header excluded, is at most this long */
#define HA_OSPF_PACKET_MAX 65535

/* ISM and NSM states as ospfd numbers them (ospf_ism.h, ospf_nsm.h) */
#define HA_OSPF_ISM_DOWN 1
#define HA_OSPF_ISM_DR	 7
#define HA_OSPF_NSM_DOWN 2
#define HA_OSPF_NSM_FULL 9

/* LSA types ospfd keeps (router .. opaque AS-scope) */
#define HA_OSPF_LSA_TYPE_MIN 1
#define HA_OSPF_LSA_TYPE_MAX 11

enum ha_ospf_list {
	HA_OSPF_LIST_RXMT = 1,	  /* what the neighbour has yet to acknowledge */
	HA_OSPF_LIST_REQ = 2,	  /* what we asked it for */
	HA_OSPF_LIST_SUMMARY = 3, /* what we still have to describe to it */
};

struct ha_ospf_if_key {
	char ifname[HA_OSPF_IFNAMSIZ];
	struct in_addr address;
};

struct ha_ospf_interface {
	struct ha_ospf_if_key key;
	uint32_t area; /* host order */
	uint8_t state;
	struct in_addr dr, bdr;
	uint32_t crypt_seqnum;
};

struct ha_ospf_neighbor {
	struct ha_ospf_if_key key;
	struct in_addr router_id, src;
	bool removed;
	uint8_t prefixlen;
	uint8_t state;
	uint8_t options;
	int priority;
	struct in_addr dr, bdr;
	uint32_t dd_seqnum;
	uint8_t dd_flags;
	uint8_t last_recv_options, last_recv_flags;
	uint32_t last_recv_dd_seqnum;
	uint32_t crypt_seqnum;
	const uint8_t *last_dd; /* into the decoded message: valid until freed */
	size_t last_dd_len;
	uint32_t last_dd_age_msec;
	uint64_t uptime_msec;
};

struct ha_ospf_lsa {
	uint32_t area;
	bool has_if; /* link-scope and network LSAs */
	struct ha_ospf_if_key key;
	const uint8_t *lsa; /* header first; into the decoded message */
	size_t len;
	uint8_t type;
	uint32_t age;
	uint32_t maxage_msec; /* at MaxAge: since when, milliseconds */
	bool removed;	      /* lsa is then the header only */
};

struct ha_ospf_list_entry {
	struct ha_ospf_if_key key;
	struct in_addr router_id, src;
	enum ha_ospf_list list;
	uint32_t area;
	const uint8_t *header; /* HA_OSPF_LSA_HEADER_LEN bytes */
	uint8_t type;
	bool removed;
};

/*
 * Decode and check one delta of its kind from buf.  0 and *out filled --
 * its pointers into *msg, which the caller frees with ha_ospf_delta_free()
 * -- or -1 with the reason in err (nothing to free).
 */
extern int ha_ospf_interface_decode(const uint8_t *buf, size_t len, struct ha_ospf_interface *out,
				    void **msg, char *err, size_t errlen);
extern int ha_ospf_neighbor_decode(const uint8_t *buf, size_t len, struct ha_ospf_neighbor *out,
				   void **msg, char *err, size_t errlen);
extern int ha_ospf_lsa_decode(const uint8_t *buf, size_t len, struct ha_ospf_lsa *out, void **msg,
			      char *err, size_t errlen);
extern int ha_ospf_list_decode(const uint8_t *buf, size_t len, struct ha_ospf_list_entry *out,
			       void **msg, char *err, size_t errlen);
extern void ha_ospf_delta_free(void *msg);

/* Encode one delta: a malloc'd buffer of *len bytes (free() it). */
extern uint8_t *ha_ospf_interface_encode(const struct ha_ospf_interface *d, size_t *len);
extern uint8_t *ha_ospf_neighbor_encode(const struct ha_ospf_neighbor *d, size_t *len);
extern uint8_t *ha_ospf_lsa_encode(const struct ha_ospf_lsa *d, size_t *len);
extern uint8_t *ha_ospf_list_encode(const struct ha_ospf_list_entry *d, size_t *len);

/*
 * A part of the replicated OSPF state that can be copied to the standby
 * again alone, when it refused one of its deltas: one area's -- its LSDB
 * and, of the neighbours on its interfaces, the list entries of LSAs of
 * area scope -- or the AS's: the AS-scope LSDB (types 5 and 11) and every
 * neighbour's list entries of those types.  On the wire (the engine's
 * resync request, from the other card): HA_OSPF_SCOPE_LEN bytes.
 */
struct ha_ospf_scope {
	bool as;       /* the AS's */
	uint32_t area; /* else this area's, host order */
};

#define HA_OSPF_SCOPE_LEN 5

extern size_t ha_ospf_scope_encode(const struct ha_ospf_scope *s, uint8_t *out);
extern bool ha_ospf_scope_decode(const uint8_t *buf, size_t len, struct ha_ospf_scope *s);
/* "area 0.0.0.1", "the AS-scope LSDB" */
extern void ha_ospf_scope_name(const struct ha_ospf_scope *s, char *buf, size_t len);
/* Whether an LSA of this type in this area (a list entry's: its
 * neighbour's) is part of scope s. */
extern bool ha_ospf_scope_has(const struct ha_ospf_scope *s, uint8_t type, uint32_t area);
/*
 * The scope of an LSA delta or a list entry delta that was refused: from
 * as much of it as decodes (its LSA type and area), without the checks
 * that refused it.  false if not even that decodes.
 */
extern bool ha_ospf_lsa_scope(const uint8_t *buf, size_t len, struct ha_ospf_scope *s);
extern bool ha_ospf_list_scope(const uint8_t *buf, size_t len, struct ha_ospf_scope *s);

/* Whether an LSA's Fletcher checksum (RFC 2328 12.1.7, over the LSA but
 * its age) is right. */
extern bool ha_ospf_lsa_checksum_ok(const uint8_t *lsa, size_t len);

#endif /* FRRHA_OSPF_DELTA_H */
