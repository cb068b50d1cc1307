// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: every decoder of lib/ha_wire.c on arbitrary bytes.
 * A decoder must never read out of bounds, and whatever it accepts must
 * re-encode to the same bytes (no silent divergence).
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "ha_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ha_frame_hdr hdr;
	struct ha_msg_register reg;
	struct ha_msg_register_ack ack;
	struct ha_msg_role role;
	struct ha_msg_hello hello;
	struct ha_msg_heartbeat hb;
	struct ha_msg_switchover swo;
	uint8_t out[HA_MSG_CONTROL_MAX];
	const uint8_t *payload;
	size_t plen;
	ssize_t n;

	if (ha_frame_hdr_decode(data, size, &hdr) != HA_DECODE_OK)
		return 0;
	ha_frame_hdr_encode(out, hdr.type, hdr.length);
	assert(memcmp(out, data, HA_FRAME_HDR_LEN) == 0);

	payload = data + HA_FRAME_HDR_LEN;
	plen = size - HA_FRAME_HDR_LEN;
	if (plen > hdr.length)
		plen = hdr.length;

	switch (hdr.type) {
	case HA_MSG_REGISTER:
		if (ha_msg_register_decode(payload, plen, &reg) == HA_DECODE_OK) {
			n = ha_msg_register_encode(&reg, out, sizeof(out));
			assert(n == (ssize_t)plen);
			assert(memcmp(out, payload, plen) == 0);
		}
		break;
	case HA_MSG_REGISTER_ACK:
		if (ha_msg_register_ack_decode(payload, plen, &ack) == HA_DECODE_OK) {
			n = ha_msg_register_ack_encode(&ack, out, sizeof(out));
			assert(n == (ssize_t)plen);
			assert(memcmp(out, payload, plen) == 0);
		}
		break;
	case HA_MSG_ROLE:
		if (ha_msg_role_decode(payload, plen, &role) == HA_DECODE_OK) {
			n = ha_msg_role_encode(&role, out, sizeof(out));
			assert(n == (ssize_t)plen && memcmp(out, payload, plen) == 0);
		}
		break;
	case HA_MSG_HELLO:
		if (ha_msg_hello_decode(payload, plen, &hello) == HA_DECODE_OK) {
			n = ha_msg_hello_encode(&hello, out, sizeof(out));
			assert(n == (ssize_t)plen && memcmp(out, payload, plen) == 0);
		}
		break;
	case HA_MSG_HEARTBEAT:
		if (ha_msg_heartbeat_decode(payload, plen, &hb) == HA_DECODE_OK) {
			n = ha_msg_heartbeat_encode(&hb, out, sizeof(out));
			assert(n == (ssize_t)plen && memcmp(out, payload, plen) == 0);
		}
		break;
	case HA_MSG_SWITCHOVER:
		if (ha_msg_switchover_decode(payload, plen, &swo) == HA_DECODE_OK) {
			n = ha_msg_switchover_encode(&swo, out, sizeof(out));
			assert(n == (ssize_t)plen && memcmp(out, payload, plen) == 0);
		}
		break;
	default:
		break;
	}
	return 0;
}
