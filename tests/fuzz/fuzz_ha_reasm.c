// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: lib/ha_reasm.c, which keeps the segments the other card's
 * inbound gate sends (their offsets and lengths come from the other card).
 * The input is a list of operations on a stream of known bytes -- add a
 * piece (offset, length), trim below an offset, read a range back -- and
 * every range read back must be the stream's bytes, and be readable
 * exactly when added pieces cover it (checked against a byte map).
 *
 * fuzz-sources: lib/ha_reasm.c
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ha_reasm.h"

#define SPAN 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t byte_at(uint64_t offset)
{
	return (uint8_t)(offset * 131 + (offset >> 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t piece[SPAN];
	uint8_t have[SPAN] = { 0 }; /* which offsets some kept piece holds */
	struct ha_reasm r;

	ha_reasm_init(&r);
	for (size_t i = 0; i + 4 <= size; i += 4) {
		uint8_t op = data[i] % 3;
		uint64_t a = (data[i + 1] | (uint64_t)data[i + 2] << 8) % SPAN;
		uint64_t n = data[i + 3];

		if (op == 0) {
			if (a + n > SPAN)
				n = SPAN - a;
			for (uint64_t k = 0; k < n; k++)
				piece[k] = byte_at(a + k);
			assert(ha_reasm_add(&r, a, piece, n) == 0);
			for (uint64_t k = 0; k < n; k++)
				have[a + k] = 1;
		} else if (op == 1) {
			/* pieces ending at or before a go: bytes they alone held
			 * may be gone, so only what lies at or after a is still
			 * certainly held -- forget the rest of the map */
			ha_reasm_trim(&r, a);
			memset(have, 0, a);
		} else {
			uint64_t to = a + n > SPAN ? SPAN : a + n;
			uint8_t *got = ha_reasm_copy(&r, a, to);
			int covered = a < to;

			for (uint64_t k = a; k < to; k++)
				covered = covered && have[k];
			/* covered by the map: must be readable; readable: must be
			 * the right bytes */
			if (covered)
				assert(got);
			/* the contiguous end from a: every byte before it held,
			 * and a byte the map holds beyond a gap never counted */
			uint64_t end = ha_reasm_contiguous_end(&r, a);

			assert(end >= a);
			if (end > a) {
				uint8_t *all = ha_reasm_copy(&r, a, end);

				assert(all);
				for (uint64_t k = a; k < end; k++)
					assert(all[k - a] == byte_at(k));
				free(all);
			}
			for (uint64_t k = a; k < SPAN && have[k]; k++)
				assert(end > k);
			if (got) {
				for (uint64_t k = a; k < to; k++)
					assert(got[k - a] == byte_at(k));
				free(got);
			}
		}
	}
	ha_reasm_clear(&r);
	assert(r.bytes == 0 && !r.first && !r.last);
	return 0;
}
