// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: lib/ha_adj_out.c, the Adj-RIB-Out as sent, which the
 * standby builds from our messages as the other card's gate replicated
 * them, and from the bulk copy's entries.  The input: a flags byte
 * (add-path on IPv4/IPv6 unicast), then records of a kind byte and a
 * 2-byte length: 0 = one of our messages (applied), 1 = a bulk entry
 * (decoded and set), 2 = a takeover begins, 3 = a message bgpd sends
 * (filtered), 4/5 = the takeover ends, withdrawing what bgpd did not
 * advertise again or not.  What the filter emits must itself be a message the record
 * takes (it is what goes out, and what the gate records next).
 *
 * fuzz-sources: lib/ha_adj_out.c lib/ha_bgp_stream.c
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "ha_adj_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void emitted(void *arg, const uint8_t *m, size_t len)
{
	struct ha_adj_out *peer = arg;
	uint8_t *copy = malloc(len);

	/* a copy of exactly len bytes: the sanitizer sees any read beyond */
	assert(copy);
	memcpy(copy, m, len);
	ha_adj_out_apply(peer, copy, len);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ha_adj_out a, peer;
	uint8_t kind, *m;
	size_t len;

	if (size < 1)
		return 0;
	ha_adj_out_init(&a);
	ha_adj_out_init(&peer);
	ha_adj_out_set_addpath(&a, 1, 1, data[0] & 1);
	ha_adj_out_set_addpath(&a, 2, 1, data[0] & 2);
	ha_adj_out_set_addpath(&peer, 1, 1, data[0] & 1);
	ha_adj_out_set_addpath(&peer, 2, 1, data[0] & 2);
	data++;
	size--;
	while (fuzz_record_next(&data, &size, &kind, &m, &len)) {
		switch (kind & 7) {
		case 0:
			ha_adj_out_apply(&a, m, len);
			break;
		case 1:
			if (len >= HA_ADJ_OUT_ENTRY_LEN) {
				struct ha_adj_out_key k;
				uint64_t h;

				if (ha_adj_out_entry_decode(m, &k, &h) == 0)
					ha_adj_out_set(&a, &k, h);
			}
			break;
		case 2:
			ha_adj_out_resync_begin(&a);
			break;
		case 3: {
			int before = peer.broken;

			if (ha_adj_out_filter(&a, m, len, emitted, &peer) == 0 && !a.broken)
				/* only messages that parse come out */
				assert(peer.broken == before);
			break;
		}
		case 4:
		case 5: {
			int before = peer.broken;

			/* the withdrawals emitted must parse too */
			ha_adj_out_resync_end(&a, kind & 1, emitted, &peer);
			assert(peer.broken == before);
			break;
		}
		}
		free(m);
	}
	ha_adj_out_clear(&a);
	ha_adj_out_clear(&peer);
	return 0;
}
