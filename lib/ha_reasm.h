// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pieces of a byte stream, kept at their offsets in the stream: as TCP
 * segments come -- mostly one after the other, sometimes again
 * (retransmissions, overlapping what came before) or out of order.  A
 * range of the stream can be read back once pieces cover all of it.
 *
 * bgpd-ha's standby keeps the inbound gate's segments of a session here
 * (the peer's bytes the active card acknowledged, beyond the messages
 * replicated).  Pure C without libfrr, unit-tested.
 */
#ifndef FRRHA_REASM_H
#define FRRHA_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ha_reasm_piece;

struct ha_reasm {
	struct ha_reasm_piece *first, *last; /* sorted by offset */
	size_t bytes;			     /* held, overlaps counted twice */
};

extern void ha_reasm_init(struct ha_reasm *r);
extern void ha_reasm_clear(struct ha_reasm *r);

/* Keep len bytes at offset.  0, or -1 when out of memory. */
extern int ha_reasm_add(struct ha_reasm *r, uint64_t offset, const uint8_t *data, size_t len);

/* Forget the pieces that end at or before offset. */
extern void ha_reasm_trim(struct ha_reasm *r, uint64_t offset);

/* The bytes [from, to) as a malloc'ed copy (free() it), or NULL when the
 * pieces do not cover all of them (or from >= to). */
extern uint8_t *ha_reasm_copy(const struct ha_reasm *r, uint64_t from, uint64_t to);

/* The len bytes at from into out: false when the pieces do not cover
 * all of them. */
extern bool ha_reasm_read(const struct ha_reasm *r, uint64_t from, uint8_t *out, size_t len);

/* Where the bytes the pieces hold without a gap from offset from end
 * (from itself when they do not hold the byte at from). */
extern uint64_t ha_reasm_contiguous_end(const struct ha_reasm *r, uint64_t from);

#endif /* FRRHA_REASM_H */
