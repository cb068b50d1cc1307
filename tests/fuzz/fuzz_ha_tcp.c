// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the decoder of TCP connection state from the other card
 * (lib/ha_tcp.c, ha_tcp_state_decode).  What decodes must encode and
 * decode again to the same state.  Its send queue then goes through the
 * BGP framing check that bgpd-ha runs on it (lib/ha_bgp_stream.c), and
 * so does the raw input.
 * fuzz-sources: lib/ha_tcp.c lib/ha_bgp_stream.c
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ha_bgp_stream.h"
#include "ha_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ha_tcp_state st, again;
	ssize_t len;
	uint8_t *buf;

	(void)ha_bgp_stream_ends_on_message(data, size);
	if (ha_tcp_state_decode(data, size, &st) != 0)
		return 0;
	(void)ha_bgp_stream_ends_on_message(st.sndq, st.sndq_len);
	assert(st.unsent_len <= st.sndq_len);
	len = ha_tcp_state_encode(&st, NULL, 0);
	assert(len > 0);
	buf = malloc(len);
	assert(ha_tcp_state_encode(&st, buf, len) == len);
	assert(ha_tcp_state_decode(buf, len, &again) == 0);
	assert(again.snd_seq == st.snd_seq && again.rcv_seq == st.rcv_seq && again.mss == st.mss &&
	       again.sndq_len == st.sndq_len && again.unsent_len == st.unsent_len &&
	       again.rcvq_len == st.rcvq_len && again.bytes_received == st.bytes_received &&
	       again.bytes_acked == st.bytes_acked &&
	       memcmp(&again.local, &st.local, st.addrlen) == 0 &&
	       (!st.sndq_len || memcmp(again.sndq, st.sndq, st.sndq_len) == 0) &&
	       (!st.rcvq_len || memcmp(again.rcvq, st.rcvq, st.rcvq_len) == 0));
	ha_tcp_state_clear(&again);
	ha_tcp_state_clear(&st);
	free(buf);
	return 0;
}
