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
	};

	return cmocka_run_group_tests_name("ha_wire", tests, NULL, NULL);
}
