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
	struct ha_msg_data_open dopen;
	struct ha_msg_data_channel dchan;
	struct ha_msg_repl_status rst;
	struct ha_msg_quiesce q;
	struct ha_msg_quiesce_done qd;
	struct ha_msg_delta delta;
	struct ha_msg_ack rack;
	struct ha_msg_digest_result dres;
	struct ha_msg_resync_request rreq;
	struct ha_digest_list dlist;
	struct ha_msg_session_socket ssock;
	struct ha_msg_session_state sstate;
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
#define ROUNDTRIP(decode, encode, msg)                                                             \
	do {                                                                                       \
		if (decode(payload, plen, &msg) == HA_DECODE_OK) {                                 \
			n = encode(&msg, out, sizeof(out));                                        \
			assert(n == (ssize_t)plen && memcmp(out, payload, plen) == 0);             \
		}                                                                                  \
	} while (0)
	case HA_MSG_DATA_OPEN:
		ROUNDTRIP(ha_msg_data_open_decode, ha_msg_data_open_encode, dopen);
		break;
	case HA_MSG_DATA_CHANNEL:
		ROUNDTRIP(ha_msg_data_channel_decode, ha_msg_data_channel_encode, dchan);
		break;
	case HA_MSG_REPL_STATUS:
		ROUNDTRIP(ha_msg_repl_status_decode, ha_msg_repl_status_encode, rst);
		break;
	case HA_MSG_QUIESCE:
		ROUNDTRIP(ha_msg_quiesce_decode, ha_msg_quiesce_encode, q);
		break;
	case HA_MSG_QUIESCE_DONE:
		ROUNDTRIP(ha_msg_quiesce_done_decode, ha_msg_quiesce_done_encode, qd);
		break;
	case HA_MSG_ACK:
		ROUNDTRIP(ha_msg_ack_decode, ha_msg_ack_encode, rack);
		break;
	case HA_MSG_DIGEST_RESULT:
		ROUNDTRIP(ha_msg_digest_result_decode, ha_msg_digest_result_encode, dres);
		break;
	case HA_MSG_RESYNC_REQUEST:
		ROUNDTRIP(ha_msg_resync_request_decode, ha_msg_resync_request_encode, rreq);
		break;
	case HA_MSG_SESSION_SOCKET:
		ROUNDTRIP(ha_msg_session_socket_decode, ha_msg_session_socket_encode, ssock);
		break;
	case HA_MSG_SESSION_STATE:
		if (ha_msg_session_state_decode(payload, plen, &sstate) == HA_DECODE_OK) {
			assert(sstate.state_len > 0 &&
			       sstate.state + sstate.state_len == payload + plen);
			n = ha_msg_session_state_hdr_encode(&sstate, out, sizeof(out));
			assert(n > 0 && (size_t)n + sstate.state_len == plen &&
			       memcmp(out, payload, n) == 0);
		}
		break;
	case HA_MSG_DELTA:
		if (ha_msg_delta_decode(payload, plen, &delta) == HA_DECODE_OK) {
			/* the data stays inside the buffer it came in */
			assert(delta.data >= payload && delta.data + delta.len == payload + plen);
			n = ha_msg_delta_hdr_encode(&delta, out, sizeof(out));
			assert(n == HA_DELTA_HDR_LEN && memcmp(out, payload, n) == 0);
			if (delta.kind == HA_DELTA_DIGEST &&
			    ha_digest_list_decode(delta.data, delta.len, &dlist) == HA_DECODE_OK) {
				n = ha_digest_list_encode(&dlist, out, sizeof(out));
				assert(n == (ssize_t)delta.len && memcmp(out, delta.data, n) == 0);
			}
		}
		break;
	default:
		break;
	}
	return 0;
}
