// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compaction of a BGP session's log of the peer's messages.
 *
 * bgpd-ha keeps every message a peer sent since its session came up, on
 * both cards: the standby's bgpd is fed them, a fresh standby gets them
 * in the bulk copy, a takeover can replay them.  Under churn that log
 * would grow without end.  An UPDATE no longer matters once every route
 * it mentions -- announced or withdrawn -- is mentioned again by a later
 * message: replaying what is left, in order, gives a bgpd the same routes
 * from the peer as replaying everything (per route, its last mention is
 * replayed last).  Kept whatever comes later (pinned): messages other
 * than UPDATEs, UPDATEs that mention no route (End-of-RIB), that mention
 * a family not handled (other than IPv4/IPv6 unicast/multicast), that do
 * not parse, and every message once the OPENs could not be read (which
 * families carry add-path identifiers is then unknown).
 *
 * The decisions depend only on the messages and the OPENs, in order: both
 * cards, given the same log, keep the same messages (their digests of the
 * log agree), and a log rebuilt from a compacted copy is compacted
 * already.
 *
 * Pure C without libfrr: unit-tested and fuzzed (the messages come from
 * the other card).
 */
#ifndef FRRHA_BGP_COMPACT_H
#define FRRHA_BGP_COMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha_adj_out.h"

/* Embedded in each message of the caller's log. */
struct ha_bgp_compact_msg {
	uint32_t live; /* routes whose last mention this message is */
	bool pinned;
};

struct ha_bgp_compact {
	/* route -> its last mention (a struct ha_bgp_compact_msg *) */
	struct ha_adj_out last;
	bool opens_known; /* add-path read from the OPENs */
	bool off;	  /* out of memory once: everything kept from then on */
	uint64_t dropped; /* messages that no longer mattered */
	char why[160];	  /* the last message pinned for a reason, and why */
};

extern void ha_bgp_compact_init(struct ha_bgp_compact *c);
extern void ha_bgp_compact_clear(struct ha_bgp_compact *c);

/*
 * The session's OPENs, ours and the peer's (whole messages): which
 * families' NLRI from the peer carry add-path identifiers (the peer
 * sends them, we receive them).  -1 (with the reason in c->why) when one
 * does not parse: every message is pinned.
 */
extern int ha_bgp_compact_set_opens(struct ha_bgp_compact *c, const uint8_t *sent, size_t sent_len,
				    const uint8_t *rcvd, size_t rcvd_len);

/*
 * Message m (data: the whole BGP message) was appended to the log: every
 * earlier message that no longer matters is handed to drop(arg, old), to
 * be taken out of the log (never m itself).
 */
extern void ha_bgp_compact_add(struct ha_bgp_compact *c, struct ha_bgp_compact_msg *m,
			       const uint8_t *data, size_t len,
			       void (*drop)(void *arg, struct ha_bgp_compact_msg *old), void *arg);

/* Which families the peer sends add-path identifiers for, from the two
 * OPENs (bit (afi - 1) * 2 + safi - 1: IPv4/IPv6 unicast/multicast).  -1
 * when one does not parse (why). */
extern int ha_bgp_open_addpath_rx(const uint8_t *sent, size_t sent_len, const uint8_t *rcvd,
				  size_t rcvd_len, uint32_t *mask, char *why, size_t whylen);

#endif /* FRRHA_BGP_COMPACT_H */
