// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BGP message framing in a connection's byte stream, see ha_bgp_stream.h.
 */
#include "ha_bgp_stream.h"

#include <string.h>

bool ha_bgp_header_valid(const uint8_t *buf, size_t len, uint16_t *msglen)
{
	uint16_t mlen;

	if (len < HA_BGP_HEADER_LEN)
		return false;
	for (unsigned int i = 0; i < 16; i++)
		if (buf[i] != 0xff)
			return false;
	mlen = (uint16_t)(buf[16] << 8 | buf[17]);
	if (mlen < HA_BGP_HEADER_LEN || buf[18] < 1 || buf[18] > 6)
		return false;
	if (msglen)
		*msglen = mlen;
	return true;
}

/* From a message starting at pos, follow the lengths: 1 if they end at
 * len, 0 if the last message runs past it, -1 if a header is broken. */
static int ha_bgp_chain(const uint8_t *q, size_t len, size_t pos)
{
	uint16_t mlen;

	while (pos < len) {
		if (!ha_bgp_header_valid(q + pos, len - pos, &mlen))
			/* a header cut by the end is a message cut by it */
			return len - pos < HA_BGP_HEADER_LEN ? 0 : -1;
		pos += mlen;
	}
	return pos == len ? 1 : 0;
}

bool ha_bgp_stream_ends_on_message(const uint8_t *q, size_t len)
{
	size_t limit = HA_BGP_MAX_LEN + HA_BGP_HEADER_LEN;

	if (len == 0)
		return true;
	for (size_t pos = 0; pos < len && pos < limit; pos++) {
		const uint8_t *m = memchr(q + pos, 0xff, len - pos);
		int chain;

		if (!m)
			break;
		pos = m - q;
		if (!ha_bgp_header_valid(q + pos, len - pos, NULL))
			continue;
		/* a header whose chain breaks was bytes inside a message */
		chain = ha_bgp_chain(q, len, pos);
		if (chain >= 0)
			return chain == 1;
	}
	/* no message starts in it: it may be the tail of one message, but
	 * nothing proves that message complete */
	return false;
}
