// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pieces of a byte stream at their offsets (see ha_reasm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ha_reasm.h"

struct ha_reasm_piece {
	struct ha_reasm_piece *prev, *next;
	uint64_t offset;
	size_t len;
	uint8_t data[];
};

void ha_reasm_init(struct ha_reasm *r)
{
	memset(r, 0, sizeof(*r));
}

static void ha_reasm_unlink(struct ha_reasm *r, struct ha_reasm_piece *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		r->first = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		r->last = p->prev;
	r->bytes -= p->len;
	free(p);
}

void ha_reasm_clear(struct ha_reasm *r)
{
	while (r->first)
		ha_reasm_unlink(r, r->first);
}

int ha_reasm_add(struct ha_reasm *r, uint64_t offset, const uint8_t *data, size_t len)
{
	struct ha_reasm_piece *p, *pos;

	if (!len)
		return 0;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -1;
	p->offset = offset;
	p->len = len;
	memcpy(p->data, data, len);
	/* after the last piece starting at or before it: mostly the end */
	for (pos = r->last; pos && pos->offset > offset; pos = pos->prev)
		;
	p->prev = pos;
	p->next = pos ? pos->next : r->first;
	if (p->next)
		p->next->prev = p;
	else
		r->last = p;
	if (pos)
		pos->next = p;
	else
		r->first = p;
	r->bytes += len;
	return 0;
}

void ha_reasm_trim(struct ha_reasm *r, uint64_t offset)
{
	struct ha_reasm_piece *p, *next;

	for (p = r->first; p && p->offset < offset; p = next) {
		next = p->next;
		if (p->offset + p->len <= offset)
			ha_reasm_unlink(r, p);
	}
}

bool ha_reasm_read(const struct ha_reasm *r, uint64_t from, uint8_t *out, size_t len)
{
	uint64_t pos = from, to = from + len;

	while (pos < to) {
		const struct ha_reasm_piece *best = NULL;

		/* of the pieces holding pos, the one reaching furthest */
		for (const struct ha_reasm_piece *p = r->first; p && p->offset <= pos; p = p->next)
			if (p->offset + p->len > pos &&
			    (!best || p->offset + p->len > best->offset + best->len))
				best = p;
		if (!best)
			return false;
		uint64_t end = best->offset + best->len < to ? best->offset + best->len : to;

		memcpy(out + (pos - from), best->data + (pos - best->offset), end - pos);
		pos = end;
	}
	return true;
}

uint8_t *ha_reasm_copy(const struct ha_reasm *r, uint64_t from, uint64_t to)
{
	uint8_t *out;

	if (from >= to)
		return NULL;
	out = malloc(to - from);
	if (!out)
		return NULL;
	if (!ha_reasm_read(r, from, out, to - from)) {
		free(out);
		return NULL;
	}
	return out;
}

uint64_t ha_reasm_contiguous_end(const struct ha_reasm *r, uint64_t from)
{
	uint64_t end = from;

	/* sorted by offset: a piece starting beyond end leaves a gap */
	for (const struct ha_reasm_piece *p = r->first; p && p->offset <= end; p = p->next)
		if (p->offset + p->len > end)
			end = p->offset + p->len;
	return end;
}
