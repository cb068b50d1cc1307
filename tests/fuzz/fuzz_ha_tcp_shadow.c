// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: lib/ha_tcp_shadow.c, which follows a BGP connection from
 * the segments the other card's gate replicates (bytes from the other
 * card).  Any sequence of segments, anchors and rebases: no crash, no read
 * beyond, and every state built says what the record holds -- the send
 * queue from the peer's acknowledgement to where our last message ends,
 * sequence numbers from the anchors.
 *
 * fuzz-sources: lib/ha_tcp_shadow.c lib/ha_reasm.c lib/ha_tcp.c lib/ha_bgp_stream.c
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ha_tcp_shadow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ha_tcp_shadow_options opt = { .mss = 1460, .tstamp = true };
	struct ha_tcp_shadow s;
	struct ha_reasm rcv;
	uint64_t now = 0;
	size_t i = 0;

	ha_tcp_shadow_init(&s);
	ha_reasm_init(&rcv);
	ha_tcp_shadow_set_options(&s, &opt);
	while (i + 8 <= size) {
		const uint8_t *p = data + i;
		uint8_t op = p[0] % 5;
		uint32_t seq = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 8 | p[3];
		uint64_t offset = (uint64_t)p[4] << 8 | p[5];
		size_t len = p[6] % 64;
		char err[256];

		i += 8;
		if (len > size - i)
			len = size - i;
		now += p[7];
		if (op == 0 || op == 1) {
			struct ha_tcp_shadow_segment seg = { .outbound = op == 0,
							     .offset = offset,
							     .seq = seq,
							     .ack = seq ^ 0x5a5a,
							     .window = p[7],
							     .has_ts = p[7] & 1,
							     .tsval = seq,
							     .data = data + i,
							     .len = len };

			ha_tcp_shadow_segment(&s, &seg, now, err, sizeof(err));
			if (op == 1 && len)
				ha_reasm_add(&rcv, offset, data + i, len);
			i += len;
		} else if (op == 2) {
			ha_tcp_shadow_anchor(&s, p[7] & 1, seq, offset);
		} else if (op == 3) {
			ha_tcp_shadow_rebase(&s, offset);
		} else {
			struct ha_tcp_state st;

			if (ha_tcp_shadow_build(&s, &rcv, offset, now, &st, err, sizeof(err)) == 0) {
				assert(st.sndq_len == s.snd_boundary - s.snd_acked);
				assert(st.snd_seq ==
				       s.snd_seq + (uint32_t)(s.snd_acked - s.snd_offset));
				assert(st.rcv_seq == s.rcv_seq + (uint32_t)(offset - s.rcv_offset));
				assert(st.rcvq_len ==
				       ha_reasm_contiguous_end(&rcv, offset) - offset);
				assert(!st.sndq_len || st.sndq);
				ha_tcp_state_clear(&st);
			}
			bool cut;

			if (ha_tcp_shadow_build_cut(&s, &rcv, offset, now, &st, &cut, err,
						    sizeof(err)) == 0) {
				assert(st.sndq_len ==
				       ha_reasm_contiguous_end(&s.snd, s.snd_acked) - s.snd_acked);
				assert(cut == (st.sndq_len != s.snd_boundary - s.snd_acked));
				ha_tcp_state_clear(&st);
			}
		}
	}
	ha_reasm_clear(&rcv);
	ha_tcp_shadow_clear(&s);
	return 0;
}
