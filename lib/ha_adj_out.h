// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a BGP peer has from us: the Adj-RIB-Out as sent.
 *
 * Built from our own UPDATE messages as they leave the card (the gate's
 * outbound segments, in stream order): per route -- AFI, SAFI, and the
 * NLRI as encoded (path identifier, prefix length, prefix) -- a hash of
 * the path attributes we last announced it with; withdrawals remove it.
 * End-of-RIB markers sent, per AFI/SAFI.
 *
 * At a takeover the new active's bgpd advertises its whole table again
 * (a new session as far as its update groups know).  Each of those
 * UPDATEs passes ha_adj_out_filter first: routes the peer already has
 * with the same attributes are taken out, withdrawals of routes it does
 * not have too, an End-of-RIB the peer had already.  When the caller
 * ends the resync (ha_adj_out_resync_end) -- once bgpd's table is
 * complete and advertised -- the routes the peer has from us that bgpd
 * did not advertise again can be withdrawn.  The peer gets the
 * difference between what it has and what it should have, never the
 * whole table again.
 *
 * Handled: IPv4 and IPv6 unicast and multicast (prefix NLRI, with add-path
 * identifiers where negotiated).  An AFI/SAFI with another NLRI encoding
 * is left alone (bgpd's messages pass unchanged).  A message of ours that
 * does not parse voids the record (broken): everything passes unchanged.
 *
 * Pure C without libfrr: unit-tested and fuzzed (the messages and the
 * bulk entries come from the other card).
 */
#ifndef FRRHA_ADJ_OUT_H
#define FRRHA_ADJ_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* path identifier (4) + prefix length (1) + an IPv6 prefix (16) */
#define HA_ADJ_OUT_NLRI_MAX 21
#define HA_ADJ_OUT_AFS	    8

struct ha_adj_out_key {
	uint16_t afi;
	uint8_t safi;
	uint8_t len;
	uint8_t nlri[HA_ADJ_OUT_NLRI_MAX];
};

struct ha_adj_out_entry {
	struct ha_adj_out_key key;
	uint8_t state; /* empty, used, deleted */
	uint32_t gen;  /* last advertised by bgpd in this resync */
	uint64_t attr_hash;
};

struct ha_adj_out_af {
	uint16_t afi;
	uint8_t safi;
	bool addpath;	/* our NLRI carry path identifiers */
	bool eor;	/* the peer has our End-of-RIB */
	bool resync;	/* a takeover's re-advertisement runs */
	bool eor_again; /* ... and bgpd's End-of-RIB ended it */
};

struct ha_adj_out {
	struct ha_adj_out_entry *slots;
	size_t nslots, count, deleted;
	uint32_t gen;
	struct ha_adj_out_af af[HA_ADJ_OUT_AFS];
	size_t naf;
	bool broken;
	char why[160]; /* why broken */
	/* counters of the filter */
	uint64_t routes_suppressed, withdrawals_suppressed, stale_withdrawn;
};

extern void ha_adj_out_init(struct ha_adj_out *a);
extern void ha_adj_out_clear(struct ha_adj_out *a);

/* Whether our NLRI of afi/safi carry add-path identifiers (negotiated:
 * we send them, the peer receives them). */
extern void ha_adj_out_set_addpath(struct ha_adj_out *a, uint16_t afi, uint8_t safi, bool on);

/* One of our messages, as sent (non-UPDATEs are ignored).  -1 with the
 * reason in a->why when it does not parse: the record is broken. */
extern int ha_adj_out_apply(struct ha_adj_out *a, const uint8_t *msg, size_t len);

/*
 * Every route an UPDATE mentions, withdrawn or announced, in the order
 * bgpd handles them (withdrawn routes, MP_UNREACH_NLRI, MP_REACH_NLRI,
 * NLRI): cb(arg, key), the NLRI parsed with a's add-path settings.  The
 * table itself is not touched.  0; 1 when msg is not an UPDATE; 2 when
 * it also announces or withdraws routes of a family not handled (not
 * given); -1 with the reason in a->why when it does not parse (nothing
 * given).
 */
extern int ha_adj_out_routes(struct ha_adj_out *a, const uint8_t *msg, size_t len,
			     void (*cb)(void *arg, const struct ha_adj_out_key *key), void *arg);
/* The table as a map from routes to values (ha_bgp_compact): key's value
 * set to value; 1 with the one it had in *old, 0 if key is new, -1
 * without memory. */
extern int ha_adj_out_put(struct ha_adj_out *a, const struct ha_adj_out_key *key, uint64_t value,
			  uint64_t *old);

/* The number of routes the peer has from us. */
extern size_t ha_adj_out_count(const struct ha_adj_out *a);

/* Every route: cb(arg, key, attr_hash); the bulk copy. */
extern void ha_adj_out_walk(const struct ha_adj_out *a,
			    void (*cb)(void *arg, const struct ha_adj_out_key *key,
				       uint64_t attr_hash),
			    void *arg);
/* One route as the bulk copy gives it.  -1 if the key is not one NLRI of
 * its family (add-path as set for it) or without memory. */
extern int ha_adj_out_set(struct ha_adj_out *a, const struct ha_adj_out_key *key,
			  uint64_t attr_hash);
/* The peer has our End-of-RIB of afi/safi (bulk copy). */
extern void ha_adj_out_set_eor(struct ha_adj_out *a, uint16_t afi, uint8_t safi, bool eor);
extern bool ha_adj_out_eor(const struct ha_adj_out *a, uint16_t afi, uint8_t safi);

/* Fixed-size encoding of one route for the bulk copy: afi (2), safi,
 * length, NLRI (21, zero-padded), attribute hash (8). */
#define HA_ADJ_OUT_ENTRY_LEN (4 + HA_ADJ_OUT_NLRI_MAX + 8)
extern void ha_adj_out_entry_encode(const struct ha_adj_out_key *key, uint64_t attr_hash,
				    uint8_t *buf);
/* -1 if buf does not hold a route (length or family out of range). */
extern int ha_adj_out_entry_decode(const uint8_t *buf, struct ha_adj_out_key *key,
				   uint64_t *attr_hash);

/* A takeover: bgpd advertises everything again, through the filter. */
extern void ha_adj_out_resync_begin(struct ha_adj_out *a);
/* Whether some AFI/SAFI's re-advertisement still runs. */
extern bool ha_adj_out_resyncing(const struct ha_adj_out *a);
/* Whether bgpd ended every resynchronised AFI/SAFI's advertisement with
 * its End-of-RIB. */
extern bool ha_adj_out_resync_advertised(const struct ha_adj_out *a);
/* The resync is over: with withdraw, the routes the peer has that bgpd
 * did not advertise again are withdrawn -- UPDATEs emitted -- (only when
 * bgpd's table is known to be complete: a route it learns later would be
 * withdrawn and announced again); from now on the filter lets everything
 * pass.  -1 without memory (some not withdrawn). */
extern int ha_adj_out_resync_end(struct ha_adj_out *a, bool withdraw,
				 void (*emit)(void *arg, const uint8_t *m, size_t len), void *arg);

/*
 * One UPDATE bgpd is about to send during a resync: emit(arg, m, len) is
 * called with what to send instead (nothing: the peer has it all).
 * Outside a resync, or for an AFI/SAFI left alone, the message itself.
 * -1 (nothing emitted, the caller sends msg as it is) when msg does not
 * parse.
 */
extern int ha_adj_out_filter(struct ha_adj_out *a, const uint8_t *msg, size_t len,
			     void (*emit)(void *arg, const uint8_t *m, size_t len), void *arg);

#endif /* FRRHA_ADJ_OUT_H */
