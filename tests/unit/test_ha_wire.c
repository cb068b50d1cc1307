// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the frr-ha wire codec (lib/ha_wire.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ha_wire.h"

static void test_header_roundtrip(void **state)
{
	uint8_t buf[HA_FRAME_HDR_LEN];
	struct ha_frame_hdr hdr;

	ha_frame_hdr_encode(buf, HA_MSG_REGISTER, 1234);
	assert_int_equal(ha_frame_hdr_decode(buf, sizeof(buf), &hdr), HA_DECODE_OK);
	assert_int_equal(hdr.version, HA_WIRE_VERSION);
	assert_int_equal(hdr.type, HA_MSG_REGISTER);
	assert_int_equal(hdr.length, 1234);
	/* network byte order */
	assert_int_equal(buf[0], 'H');
	assert_int_equal(buf[1], 'A');
	assert_int_equal(buf[7], 1234 & 0xff);
}

static void test_header_incomplete(void **state)
{
	uint8_t buf[HA_FRAME_HDR_LEN];
	struct ha_frame_hdr hdr = { .type = 77 };

	ha_frame_hdr_encode(buf, HA_MSG_REGISTER, 0);
	for (size_t len = 0; len < HA_FRAME_HDR_LEN; len++)
		assert_int_equal(ha_frame_hdr_decode(buf, len, &hdr), HA_DECODE_NEED_MORE);
	assert_int_equal(hdr.type, 77); /* untouched */
}

static void test_header_refusals(void **state)
{
	uint8_t buf[HA_FRAME_HDR_LEN];
	struct ha_frame_hdr hdr;

	ha_frame_hdr_encode(buf, HA_MSG_REGISTER, 0);
	buf[0] = 'X';
	/* a wrong magic is refused as soon as two bytes are there */
	assert_int_equal(ha_frame_hdr_decode(buf, 2, &hdr), HA_DECODE_BAD_MAGIC);

	ha_frame_hdr_encode(buf, HA_MSG_REGISTER, 0);
	buf[2] = HA_WIRE_VERSION + 1;
	assert_int_equal(ha_frame_hdr_decode(buf, sizeof(buf), &hdr), HA_DECODE_BAD_VERSION);

	ha_frame_hdr_encode(buf, 0, 0);
	assert_int_equal(ha_frame_hdr_decode(buf, sizeof(buf), &hdr), HA_DECODE_BAD_TYPE);
	ha_frame_hdr_encode(buf, HA_MSG_TYPE_MAX, 0);
	assert_int_equal(ha_frame_hdr_decode(buf, sizeof(buf), &hdr), HA_DECODE_BAD_TYPE);

	ha_frame_hdr_encode(buf, HA_MSG_REGISTER, HA_FRAME_MAX_PAYLOAD + 1);
	assert_int_equal(ha_frame_hdr_decode(buf, sizeof(buf), &hdr), HA_DECODE_TOO_LARGE);
	ha_frame_hdr_encode(buf, HA_MSG_REGISTER, HA_FRAME_MAX_PAYLOAD);
	assert_int_equal(ha_frame_hdr_decode(buf, sizeof(buf), &hdr), HA_DECODE_OK);
}

static void test_register_roundtrip(void **state)
{
	struct ha_msg_register in = { .daemon = "bgpd",
				      .pid = 4242,
				      .module_version = HA_WIRE_VERSION };
	struct ha_msg_register out;
	uint8_t buf[64];
	ssize_t len = ha_msg_register_encode(&in, buf, sizeof(buf));

	assert_int_equal(len, 2 + 4 + 4 + 4);
	assert_int_equal(ha_msg_register_decode(buf, len, &out), HA_DECODE_OK);
	assert_string_equal(out.daemon, "bgpd");
	assert_int_equal(out.pid, 4242);
	assert_int_equal(out.module_version, HA_WIRE_VERSION);
}

static void test_register_malformed(void **state)
{
	struct ha_msg_register in = { .daemon = "ospfd", .pid = 1 };
	struct ha_msg_register out = { .pid = 99 };
	uint8_t buf[64];
	ssize_t len = ha_msg_register_encode(&in, buf, sizeof(buf));

	/* every truncation is refused, output untouched */
	for (ssize_t l = 0; l < len; l++)
		assert_int_equal(ha_msg_register_decode(buf, l, &out), HA_DECODE_MALFORMED);
	assert_int_equal(out.pid, 99);
	/* trailing garbage is refused */
	buf[len] = 0;
	assert_int_equal(ha_msg_register_decode(buf, len + 1, &out), HA_DECODE_MALFORMED);
	/* a name longer than the payload */
	buf[0] = 0xff;
	assert_int_equal(ha_msg_register_decode(buf, len, &out), HA_DECODE_MALFORMED);
	/* a name with characters that are not a daemon name */
	len = ha_msg_register_encode(&in, buf, sizeof(buf));
	buf[2] = '/';
	assert_int_equal(ha_msg_register_decode(buf, len, &out), HA_DECODE_MALFORMED);
	/* an empty name */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ha_msg_register_decode(buf, 10, &out), HA_DECODE_MALFORMED);
}

static void test_register_encode_refusals(void **state)
{
	struct ha_msg_register in = { .daemon = "bgpd" };
	uint8_t buf[64];

	assert_int_equal(ha_msg_register_encode(&in, buf, 5), -1);
	strcpy(in.daemon, "BGP D");
	assert_int_equal(ha_msg_register_encode(&in, buf, sizeof(buf)), -1);
	in.daemon[0] = '\0';
	assert_int_equal(ha_msg_register_encode(&in, buf, sizeof(buf)), -1);
}

static void test_register_ack(void **state)
{
	struct ha_msg_register_ack in = { .role = HA_ROLE_STANDBY, .hard_pid = 7 };
	struct ha_msg_register_ack out;
	uint8_t buf[16];
	ssize_t len = ha_msg_register_ack_encode(&in, buf, sizeof(buf));

	assert_int_equal(len, 5);
	assert_int_equal(ha_msg_register_ack_decode(buf, len, &out), HA_DECODE_OK);
	assert_int_equal(out.role, HA_ROLE_STANDBY);
	assert_int_equal(out.hard_pid, 7);

	buf[0] = HA_ROLE_MAX;
	assert_int_equal(ha_msg_register_ack_decode(buf, len, &out), HA_DECODE_MALFORMED);
	assert_int_equal(ha_msg_register_ack_decode(buf, len - 1, &out), HA_DECODE_MALFORMED);
	in.role = HA_ROLE_MAX;
	assert_int_equal(ha_msg_register_ack_encode(&in, buf, sizeof(buf)), -1);
}

static void test_names(void **state)
{
	assert_string_equal(ha_role_name(HA_ROLE_ACTIVE), "active");
	assert_string_equal(ha_role_name(HA_ROLE_MAX), "unknown");
	assert_string_equal(ha_msg_type_name(HA_MSG_REGISTER), "register");
	assert_string_equal(ha_decode_result_str(HA_DECODE_BAD_VERSION), "unsupported wire version");
	assert_true(ha_daemon_name_valid("zebra", 5));
	assert_false(ha_daemon_name_valid("zebra", 0));
	assert_false(ha_daemon_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 36));
}

static void test_hello_roundtrip(void **state)
{
	struct ha_msg_hello in = {
		.slot = 2, .priority = 150, .role = HA_ROLE_STANDBY, .flags = HA_CARD_F_MASTER
	};
	struct ha_msg_hello out;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	memset(in.nonce, 0xab, sizeof(in.nonce));
	strcpy(in.sw_version, "0.1.0");
	assert_true(ha_daemon_set_add(&in.daemons, "bgpd"));
	assert_true(ha_daemon_set_add(&in.daemons, "zebra"));
	assert_true(ha_daemon_set_add(&in.daemons, "bgpd")); /* no duplicate */
	assert_int_equal(in.daemons.count, 2);
	len = ha_msg_hello_encode(&in, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(ha_msg_hello_decode(buf, len, &out), HA_DECODE_OK);
	assert_int_equal(out.slot, 2);
	assert_int_equal(out.priority, 150);
	assert_int_equal(out.role, HA_ROLE_STANDBY);
	assert_int_equal(out.flags, HA_CARD_F_MASTER);
	assert_memory_equal(out.nonce, in.nonce, sizeof(in.nonce));
	assert_string_equal(out.sw_version, "0.1.0");
	assert_true(ha_daemon_set_equal(&in.daemons, &out.daemons));
	/* every truncation is refused */
	for (ssize_t l = 0; l < len; l++)
		assert_int_equal(ha_msg_hello_decode(buf, l, &out), HA_DECODE_MALFORMED);
	/* unknown flag bits, bad role */
	buf[3] = 0x80;
	assert_int_equal(ha_msg_hello_decode(buf, len, &out), HA_DECODE_MALFORMED);
	buf[3] = 0;
	buf[2] = HA_ROLE_MAX;
	assert_int_equal(ha_msg_hello_decode(buf, len, &out), HA_DECODE_MALFORMED);
}

static void test_hello_hostile_strings(void **state)
{
	struct ha_msg_hello in = { .slot = 1 }, out;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;
	size_t vpos = 4 + HA_NONCE_LEN; /* version string length byte */

	strcpy(in.sw_version, "x");
	assert_true(ha_daemon_set_add(&in.daemons, "ripd"));
	len = ha_msg_hello_encode(&in, buf, sizeof(buf));
	assert_true(len > 0);
	/* a non-printable version string */
	buf[vpos + 1] = 0x07;
	assert_int_equal(ha_msg_hello_decode(buf, len, &out), HA_DECODE_MALFORMED);
	buf[vpos + 1] = 'x';
	/* a daemon count beyond the maximum */
	buf[vpos + 2] = HA_MAX_DAEMONS + 1;
	assert_int_equal(ha_msg_hello_decode(buf, len, &out), HA_DECODE_MALFORMED);
	buf[vpos + 2] = 1;
	/* a daemon name that is not one */
	buf[vpos + 4] = '/';
	assert_int_equal(ha_msg_hello_decode(buf, len, &out), HA_DECODE_MALFORMED);
}

static void test_heartbeat_role_switchover(void **state)
{
	struct ha_msg_heartbeat hb = { .role = HA_ROLE_ACTIVE,
				       .flags = HA_CARD_F_ALL,
				       .sent_usec = 0x0102030405060708ULL },
				hb2;
	struct ha_msg_role role = { .role = HA_ROLE_FAILED }, role2;
	struct ha_msg_switchover swo = { .step = HA_SWO_RELEASED, .id = 77 }, swo2;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	len = ha_msg_heartbeat_encode(&hb, buf, sizeof(buf));
	assert_int_equal(ha_msg_heartbeat_decode(buf, len, &hb2), HA_DECODE_OK);
	assert_true(hb2.sent_usec == hb.sent_usec);
	assert_int_equal(hb2.flags, HA_CARD_F_ALL);
	assert_int_equal(ha_msg_heartbeat_decode(buf, len - 1, &hb2), HA_DECODE_MALFORMED);

	len = ha_msg_role_encode(&role, buf, sizeof(buf));
	assert_int_equal(ha_msg_role_decode(buf, len, &role2), HA_DECODE_OK);
	assert_int_equal(role2.role, HA_ROLE_FAILED);
	buf[0] = HA_ROLE_MAX;
	assert_int_equal(ha_msg_role_decode(buf, len, &role2), HA_DECODE_MALFORMED);

	len = ha_msg_switchover_encode(&swo, buf, sizeof(buf));
	assert_int_equal(ha_msg_switchover_decode(buf, len, &swo2), HA_DECODE_OK);
	assert_int_equal(swo2.step, HA_SWO_RELEASED);
	assert_int_equal(swo2.id, 77);
	buf[0] = 0;
	assert_int_equal(ha_msg_switchover_decode(buf, len, &swo2), HA_DECODE_MALFORMED);
	buf[0] = HA_SWO_STEP_MAX;
	assert_int_equal(ha_msg_switchover_decode(buf, len, &swo2), HA_DECODE_MALFORMED);
	assert_string_equal(ha_switchover_step_name(HA_SWO_PREPARE), "prepare");
}

static void test_header_reports_bad_version(void **state)
{
	uint8_t buf[HA_FRAME_HDR_LEN];
	struct ha_frame_hdr hdr = {};

	ha_frame_hdr_encode(buf, HA_MSG_HELLO, 10);
	buf[2] = 9;
	assert_int_equal(ha_frame_hdr_decode(buf, sizeof(buf), &hdr), HA_DECODE_BAD_VERSION);
	assert_int_equal(hdr.version, 9); /* said in the refusal */
}

/* Every truncation of a valid encoding is refused. */
#define ASSERT_TRUNCATIONS_REFUSED(decode, buf, len, msgp)                                         \
	do {                                                                                       \
		for (ssize_t cut = 0; cut < (len); cut++)                                          \
			assert_int_not_equal(decode(buf, cut, msgp), HA_DECODE_OK);                \
	} while (0)

static void test_data_channel_messages(void **state)
{
	struct ha_msg_data_open open = { .daemon = "bgpd", .slot = 2 }, open2;
	struct ha_msg_data_channel ch = { .up = 1, .peer_slot = 2, .generation = 9 }, ch2;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	memset(open.nonce, 0xab, sizeof(open.nonce));
	len = ha_msg_data_open_encode(&open, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(ha_msg_data_open_decode(buf, len, &open2), HA_DECODE_OK);
	assert_string_equal(open2.daemon, "bgpd");
	assert_int_equal(open2.slot, 2);
	assert_memory_equal(open2.nonce, open.nonce, HA_NONCE_LEN);
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_data_open_decode, buf, len, &open2);
	buf[1] = 'B'; /* daemon names are lower case */
	assert_int_equal(ha_msg_data_open_decode(buf, len, &open2), HA_DECODE_MALFORMED);
	strcpy(open.daemon, "../x");
	assert_true(ha_msg_data_open_encode(&open, buf, sizeof(buf)) < 0);

	memset(ch.key, 0x11, sizeof(ch.key));
	len = ha_msg_data_channel_encode(&ch, buf, sizeof(buf));
	assert_int_equal(ha_msg_data_channel_decode(buf, len, &ch2), HA_DECODE_OK);
	assert_int_equal(ch2.generation, 9);
	assert_memory_equal(ch2.key, ch.key, HA_CHANNEL_KEY_LEN);
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_data_channel_decode, buf, len, &ch2);
	buf[0] = 2;
	assert_int_equal(ha_msg_data_channel_decode(buf, len, &ch2), HA_DECODE_MALFORMED);
}

static void test_repl_status_and_quiesce(void **state)
{
	struct ha_msg_repl_status st = { .role = HA_ROLE_ACTIVE,
					 .state = HA_REPL_SYNCED,
					 .digest = HA_DIGEST_MATCH,
					 .channel = 3,
					 .sent = 1ULL << 40,
					 .committed = 5,
					 .applied = 4,
					 .queue = 7,
					 .detail = "fine" },
				  st2;
	struct ha_msg_quiesce_done qd = { .id = 4, .ok = 1, .reason = "digests match" }, qd2;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	len = ha_msg_repl_status_encode(&st, buf, sizeof(buf));
	assert_int_equal(ha_msg_repl_status_decode(buf, len, &st2), HA_DECODE_OK);
	assert_true(st2.sent == st.sent);
	assert_int_equal(st2.channel, 3);
	assert_string_equal(st2.detail, "fine");
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_repl_status_decode, buf, len, &st2);
	buf[1] = HA_REPL_STATE_MAX;
	assert_int_equal(ha_msg_repl_status_decode(buf, len, &st2), HA_DECODE_MALFORMED);
	st.state = HA_REPL_STATE_MAX;
	assert_true(ha_msg_repl_status_encode(&st, buf, sizeof(buf)) < 0);

	len = ha_msg_quiesce_done_encode(&qd, buf, sizeof(buf));
	assert_int_equal(ha_msg_quiesce_done_decode(buf, len, &qd2), HA_DECODE_OK);
	assert_string_equal(qd2.reason, "digests match");
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_quiesce_done_decode, buf, len, &qd2);
	buf[4] = 2; /* ok is a boolean */
	assert_int_equal(ha_msg_quiesce_done_decode(buf, len, &qd2), HA_DECODE_MALFORMED);
}

static void test_delta_ack_digest(void **state)
{
	struct ha_msg_delta d = { .seq = 42, .kind = HA_DELTA_UPDATE, .cls = 1, .subtype = 2 }, d2;
	struct ha_msg_ack ack = { .committed = 42, .applied = 40, .backlog = 7 }, ack2;
	struct ha_digest_list list = { .count = 2 }, list2;
	struct ha_msg_digest_result res = { .seq = 9, .match = 0, .cls = 1, .detail = "x" }, res2;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	len = ha_msg_delta_hdr_encode(&d, buf, sizeof(buf));
	assert_int_equal(len, HA_DELTA_HDR_LEN);
	memcpy(buf + len, "data", 4);
	assert_int_equal(ha_msg_delta_decode(buf, len + 4, &d2), HA_DECODE_OK);
	assert_true(d2.seq == 42);
	assert_int_equal(d2.len, 4);
	assert_ptr_equal(d2.data, buf + len);
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_delta_decode, buf, HA_DELTA_HDR_LEN, &d2);
	d.seq = 0; /* sequence numbers start at 1 */
	assert_true(ha_msg_delta_hdr_encode(&d, buf, sizeof(buf)) < 0);
	buf[7] = 0;
	assert_int_equal(ha_msg_delta_decode(buf, len, &d2), HA_DECODE_MALFORMED);
	d.seq = 1;
	d.kind = HA_DELTA_KIND_MAX;
	assert_true(ha_msg_delta_hdr_encode(&d, buf, sizeof(buf)) < 0);

	len = ha_msg_ack_encode(&ack, buf, sizeof(buf));
	assert_int_equal(ha_msg_ack_decode(buf, len, &ack2), HA_DECODE_OK);
	assert_true(ack2.applied == 40);
	assert_int_equal(ack2.backlog, 7);
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_ack_decode, buf, len, &ack2);
	ack.applied = 43; /* applied more than committed: a lie */
	assert_true(ha_msg_ack_encode(&ack, buf, sizeof(buf)) < 0);

	list.entry[0].cls = 1;
	list.entry[0].items = 10;
	list.entry[1].cls = 2;
	memset(list.entry[1].digest, 7, HA_DIGEST_LEN);
	len = ha_digest_list_encode(&list, buf, sizeof(buf));
	assert_int_equal(ha_digest_list_decode(buf, len, &list2), HA_DECODE_OK);
	assert_int_equal(list2.count, 2);
	assert_memory_equal(list2.entry[1].digest, list.entry[1].digest, HA_DIGEST_LEN);
	ASSERT_TRUNCATIONS_REFUSED(ha_digest_list_decode, buf, len, &list2);
	list.entry[1].cls = 1; /* a class twice */
	len = ha_digest_list_encode(&list, buf, sizeof(buf));
	assert_int_equal(ha_digest_list_decode(buf, len, &list2), HA_DECODE_MALFORMED);
	buf[0] = HA_DIGEST_MAX_CLS + 1;
	assert_int_equal(ha_digest_list_decode(buf, len, &list2), HA_DECODE_MALFORMED);

	len = ha_msg_digest_result_encode(&res, buf, sizeof(buf));
	assert_int_equal(ha_msg_digest_result_decode(buf, len, &res2), HA_DECODE_OK);
	assert_int_equal(res2.cls, 1);
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_digest_result_decode, buf, len, &res2);
	assert_string_equal(ha_repl_state_name(HA_REPL_SYNCED), "synced");
	assert_string_equal(ha_delta_kind_name(HA_DELTA_DIGEST), "digest");
	assert_string_equal(ha_msg_type_name(HA_MSG_DIGEST_RESULT), "digest-result");
}

static void test_resync_request(void **state)
{
	struct ha_msg_resync_request m = { .seq = 487,
					   .cls = 2,
					   .scope_len = 5,
					   .scope = { 0, 0, 0, 0, 1 },
					   .reason = "bad checksum" },
				     m2;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	len = ha_msg_resync_request_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(ha_msg_resync_request_decode(buf, len, &m2), HA_DECODE_OK);
	assert_true(m2.seq == 487);
	assert_int_equal(m2.cls, 2);
	assert_int_equal(m2.scope_len, 5);
	assert_memory_equal(m2.scope, m.scope, 5);
	assert_string_equal(m2.reason, "bad checksum");
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_resync_request_decode, buf, len, &m2);
	/* a scope longer than any class's */
	buf[10] = HA_SCOPE_MAX + 1;
	assert_int_equal(ha_msg_resync_request_decode(buf, len, &m2), HA_DECODE_MALFORMED);
	buf[10] = 5;
	/* the reason is printable text */
	buf[len - 1] = 0x07;
	assert_int_equal(ha_msg_resync_request_decode(buf, len, &m2), HA_DECODE_MALFORMED);
	m.scope_len = 0; /* no scope: that is a whole resync, not this message */
	assert_true(ha_msg_resync_request_encode(&m, buf, sizeof(buf)) < 0);
	assert_string_equal(ha_msg_type_name(HA_MSG_RESYNC_REQUEST), "resync-request");
	assert_string_equal(ha_delta_kind_name(HA_DELTA_SCOPE_BEGIN), "scope-begin");
}

static void test_session_state(void **state)
{
	struct ha_msg_session_state m = { .daemon = "bgpd", .name = "192.0.2.2", .state_len = 3 },
				    m2;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	len = ha_msg_session_state_hdr_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	memcpy(buf + len, "\x02\x04\x00", 3);
	assert_int_equal(ha_msg_session_state_decode(buf, len + 3, &m2), HA_DECODE_OK);
	assert_string_equal(m2.daemon, "bgpd");
	assert_string_equal(m2.name, "192.0.2.2");
	assert_ptr_equal(m2.state, buf + len);
	assert_int_equal(m2.state_len, 3);
	/* without state bytes it says nothing: refused */
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_session_state_decode, buf, len + 1, &m2);
	/* a daemon name that could not be registered */
	buf[1] = 'B';
	assert_int_equal(ha_msg_session_state_decode(buf, len + 3, &m2), HA_DECODE_MALFORMED);
	m.state_len = 0;
	assert_true(ha_msg_session_state_hdr_encode(&m, buf, sizeof(buf)) < 0);
	m.state_len = 1;
	m.name[0] = '\0';
	assert_true(ha_msg_session_state_hdr_encode(&m, buf, sizeof(buf)) < 0);
	assert_string_equal(ha_msg_type_name(HA_MSG_SESSION_STATE), "session-state");
}

static void test_session_socket(void **state)
{
	struct ha_msg_session_socket m = { .name = "192.0.2.2" }, m2;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	for (uint8_t hold = HA_SOCKET_RELEASE; hold <= HA_SOCKET_HANDED_OVER; hold++) {
		m.hold = hold;
		len = ha_msg_session_socket_encode(&m, buf, sizeof(buf));
		assert_true(len > 0);
		assert_int_equal(ha_msg_session_socket_decode(buf, len, &m2), HA_DECODE_OK);
		assert_int_equal(m2.hold, hold);
		assert_string_equal(m2.name, "192.0.2.2");
	}
	ASSERT_TRUNCATIONS_REFUSED(ha_msg_session_socket_decode, buf, len, &m2);
	/* a hold value nobody defined */
	buf[0] = HA_SOCKET_HANDED_OVER + 1;
	assert_int_equal(ha_msg_session_socket_decode(buf, len, &m2), HA_DECODE_MALFORMED);
	m.hold = HA_SOCKET_HANDED_OVER + 1;
	assert_true(ha_msg_session_socket_encode(&m, buf, sizeof(buf)) < 0);
	m.hold = HA_SOCKET_HOLD;
	m.name[0] = '\0';
	assert_true(ha_msg_session_socket_encode(&m, buf, sizeof(buf)) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_header_incomplete),
		cmocka_unit_test(test_header_refusals),
		cmocka_unit_test(test_register_roundtrip),
		cmocka_unit_test(test_register_malformed),
		cmocka_unit_test(test_register_encode_refusals),
		cmocka_unit_test(test_register_ack),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hello_roundtrip),
		cmocka_unit_test(test_hello_hostile_strings),
		cmocka_unit_test(test_heartbeat_role_switchover),
		cmocka_unit_test(test_header_reports_bad_version),
		cmocka_unit_test(test_data_channel_messages),
		cmocka_unit_test(test_repl_status_and_quiesce),
		cmocka_unit_test(test_delta_ack_digest),
		cmocka_unit_test(test_resync_request),
		cmocka_unit_test(test_session_state),
		cmocka_unit_test(test_session_socket),
	};

	return cmocka_run_group_tests_name("ha_wire", tests, NULL, NULL);
}
