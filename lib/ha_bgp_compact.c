// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compaction of a BGP session's log of the peer's messages (see
 * ha_bgp_compact.h).
 */
#include "ha_bgp_compact.h"

#include <stdio.h>
#include <string.h>

#include "ha_bgp_stream.h"

#define BGP_MSG_OPEN	    1
#define BGP_OPEN_PARAM_CAPS 2
#define BGP_OPEN_PARAM_EXT  255 /* RFC 9072: extended optional parameters */
#define BGP_CAP_ADDPATH	    69
#define ADDPATH_RECEIVE	    1
#define ADDPATH_SEND	    2

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The add-path capability's families of one OPEN: those it may receive
 * identifiers for into *rx, send them for into *tx. */
static int open_addpath(const uint8_t *msg, size_t len, uint32_t *rx, uint32_t *tx, char *why,
			size_t whylen, const char *whose)
{
	const uint8_t *p, *end;
	uint16_t mlen;
	size_t plen;
	bool ext = false;

	*rx = *tx = 0;
	if (!ha_bgp_header_valid(msg, len, &mlen) || mlen > len || msg[18] != BGP_MSG_OPEN ||
	    mlen < HA_BGP_HEADER_LEN + 10) {
		snprintf(why, whylen, "%s OPEN: not a whole OPEN message", whose);
		return -1;
	}
	p = msg + HA_BGP_HEADER_LEN + 9;
	end = msg + mlen;
	plen = *p++;
	if (plen == 255 && p < end && *p == BGP_OPEN_PARAM_EXT) {
		if (end - p < 3) {
			snprintf(why, whylen, "%s OPEN: truncated extended parameters", whose);
			return -1;
		}
		ext = true;
		plen = get16(p + 1);
		p += 3;
	}
	if ((size_t)(end - p) != plen) {
		snprintf(why, whylen, "%s OPEN: parameters' length %zu, %zu bytes left", whose,
			 plen, (size_t)(end - p));
		return -1;
	}
	while (p < end) {
		size_t hl = ext ? 3 : 2, vl;
		uint8_t type;

		if ((size_t)(end - p) < hl) {
			snprintf(why, whylen, "%s OPEN: a truncated parameter", whose);
			return -1;
		}
		type = p[0];
		vl = ext ? get16(p + 1) : p[1];
		if ((size_t)(end - p) - hl < vl) {
			snprintf(why, whylen, "%s OPEN: parameter %u past the message's end", whose,
				 type);
			return -1;
		}
		for (const uint8_t *c = p + hl, *cend = p + hl + vl;
		     type == BGP_OPEN_PARAM_CAPS && c < cend;) {
			uint8_t code, clen;

			if (cend - c < 2 || (clen = c[1], cend - c - 2 < clen)) {
				snprintf(why, whylen, "%s OPEN: a truncated capability", whose);
				return -1;
			}
			code = c[0];
			for (size_t i = 0; code == BGP_CAP_ADDPATH && i + 4 <= clen; i += 4) {
				uint16_t afi = get16(c + 2 + i);
				uint8_t safi = c[2 + i + 2], sr = c[2 + i + 3];
				uint32_t bit;

				if (afi < 1 || afi > 2 || safi < 1 || safi > 2)
					continue;
				bit = 1u << ((afi - 1) * 2 + safi - 1);
				if (sr & ADDPATH_RECEIVE)
					*rx |= bit;
				if (sr & ADDPATH_SEND)
					*tx |= bit;
			}
			c += 2 + clen;
		}
		p += hl + vl;
	}
	return 0;
}

int ha_bgp_open_addpath_rx(const uint8_t *sent, size_t sent_len, const uint8_t *rcvd,
			   size_t rcvd_len, uint32_t *mask, char *why, size_t whylen)
{
	uint32_t our_rx, our_tx, peer_rx, peer_tx;

	*mask = 0;
	if (open_addpath(sent, sent_len, &our_rx, &our_tx, why, whylen, "our") < 0 ||
	    open_addpath(rcvd, rcvd_len, &peer_rx, &peer_tx, why, whylen, "the peer's") < 0)
		return -1;
	/* the peer sends identifiers where it said it would and we said we
	 * receive them (RFC 7911) */
	*mask = our_rx & peer_tx;
	return 0;
}

void ha_bgp_compact_init(struct ha_bgp_compact *c)
{
	memset(c, 0, sizeof(*c));
	ha_adj_out_init(&c->last);
}

void ha_bgp_compact_clear(struct ha_bgp_compact *c)
{
	ha_adj_out_clear(&c->last);
	ha_bgp_compact_init(c);
}

int ha_bgp_compact_set_opens(struct ha_bgp_compact *c, const uint8_t *sent, size_t sent_len,
			     const uint8_t *rcvd, size_t rcvd_len)
{
	uint32_t mask;

	ha_bgp_compact_clear(c);
	if (ha_bgp_open_addpath_rx(sent, sent_len, rcvd, rcvd_len, &mask, c->why, sizeof(c->why)) <
	    0)
		return -1;
	for (uint16_t afi = 1; afi <= 2; afi++)
		for (uint8_t safi = 1; safi <= 2; safi++)
			ha_adj_out_set_addpath(&c->last, afi, safi,
					       mask & (1u << ((afi - 1) * 2 + safi - 1)));
	c->opens_known = true;
	return 0;
}

struct compact_add {
	struct ha_bgp_compact *c;
	struct ha_bgp_compact_msg *m;
	void (*drop)(void *arg, struct ha_bgp_compact_msg *old);
	void *arg;
	bool nomem;
};

/* One route m mentions: m its last mention now, the one before loses it. */
static void compact_mention(void *arg, const struct ha_adj_out_key *key)
{
	struct compact_add *a = arg;
	struct ha_bgp_compact_msg *old;
	uint64_t prev;
	int r;

	if (a->nomem)
		return;
	r = ha_adj_out_put(&a->c->last, key, (uint64_t)(uintptr_t)a->m, &prev);
	if (r < 0) {
		a->nomem = true;
		return;
	}
	a->m->live++;
	if (r == 0)
		return;
	old = (struct ha_bgp_compact_msg *)(uintptr_t)prev;
	if (old == a->m) {
		/* mentioned twice in m */
		a->m->live--;
		return;
	}
	if (--old->live == 0 && !old->pinned) {
		a->c->dropped++;
		a->drop(a->arg, old);
	}
}

void ha_bgp_compact_add(struct ha_bgp_compact *c, struct ha_bgp_compact_msg *m, const uint8_t *data,
			size_t len, void (*drop)(void *arg, struct ha_bgp_compact_msg *old),
			void *arg)
{
	struct compact_add a = { c, m, drop, arg, false };
	int r;

	m->live = 0;
	m->pinned = true;
	if (!c->opens_known || c->off)
		return;
	m->pinned = false;
	r = ha_adj_out_routes(&c->last, data, len, compact_mention, &a);
	if (a.nomem) {
		/* a route's last mention unknown: nothing is dropped again */
		c->off = true;
		m->pinned = true;
		snprintf(c->why, sizeof(c->why), "out of memory: the log is no longer compacted");
		return;
	}
	if (r < 0)
		snprintf(c->why, sizeof(c->why), "kept: %.150s", c->last.why);
	else if (r == 2)
		snprintf(c->why, sizeof(c->why), "kept: an UPDATE of a family not handled");
	m->pinned = r != 0 || !m->live;
}
