// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for intercard frame authentication (lib/ha_auth.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ha_auth.h"

/* HMAC-SHA3-256 known answer (key "Jefe", the RFC 4231 message) */
static void test_hmac_known_answer(void **state)
{
	static const uint8_t expect[HA_AUTH_MAC_LEN] = {
		0xc7, 0xd4, 0x07, 0x2e, 0x78, 0x88, 0x77, 0xae, 0x35, 0x96, 0xbb,
		0xb0, 0xda, 0x73, 0xb8, 0x87, 0xc9, 0x17, 0x1f, 0x93, 0x09, 0x5b,
		0x29, 0x4a, 0xe8, 0x57, 0xfb, 0xe2, 0x64, 0x5e, 0x1b, 0xa5,
	};
	const char *data = "what do ya want for nothing?";
	uint8_t out[HA_AUTH_MAC_LEN];

	assert_true(ha_hmac((const uint8_t *)"Jefe", 4, (const uint8_t *)data, strlen(data), out));
	assert_memory_equal(out, expect, sizeof(expect));
	assert_true(ha_auth_selftest());
}

static void test_frame_mac(void **state)
{
	uint8_t key[HA_AUTH_KEY_LEN], other[HA_AUTH_KEY_LEN], mac[HA_AUTH_MAC_LEN];
	uint8_t hdr[8] = { 'H', 'A', 1, 5, 0, 0, 0, 4 }, payload[4] = { 1, 2, 3, 4 };

	assert_true(ha_auth_base_key("secret-key-1", key));
	assert_true(ha_auth_base_key("secret-key-2", other));
	assert_memory_not_equal(key, other, sizeof(key));

	assert_true(ha_auth_frame_mac(key, 7, hdr, sizeof(hdr), payload, sizeof(payload), mac));
	assert_true(ha_auth_frame_verify(key, 7, hdr, sizeof(hdr), payload, sizeof(payload), mac));
	/* wrong key, replayed at another position, altered header or payload */
	assert_false(
		ha_auth_frame_verify(other, 7, hdr, sizeof(hdr), payload, sizeof(payload), mac));
	assert_false(ha_auth_frame_verify(key, 8, hdr, sizeof(hdr), payload, sizeof(payload), mac));
	hdr[3] = 4;
	assert_false(ha_auth_frame_verify(key, 7, hdr, sizeof(hdr), payload, sizeof(payload), mac));
	hdr[3] = 5;
	payload[3] ^= 1;
	assert_false(ha_auth_frame_verify(key, 7, hdr, sizeof(hdr), payload, sizeof(payload), mac));
	payload[3] ^= 1;
	mac[0] ^= 0x80;
	assert_false(ha_auth_frame_verify(key, 7, hdr, sizeof(hdr), payload, sizeof(payload), mac));
}

static void test_session_key(void **state)
{
	uint8_t base[HA_AUTH_KEY_LEN], na[HA_AUTH_NONCE_LEN], nb[HA_AUTH_NONCE_LEN];
	uint8_t k1[HA_AUTH_KEY_LEN], k2[HA_AUTH_KEY_LEN], k3[HA_AUTH_KEY_LEN];

	assert_true(ha_auth_base_key("secret-key-1", base));
	assert_true(ha_auth_random(na, sizeof(na)));
	assert_true(ha_auth_random(nb, sizeof(nb)));
	assert_memory_not_equal(na, nb, sizeof(na));
	/* both sides derive the same key from the same facts */
	assert_true(ha_auth_session_key(base, na, nb, k1));
	assert_true(ha_auth_session_key(base, na, nb, k2));
	assert_memory_equal(k1, k2, sizeof(k1));
	/* roles matter, and a new nonce gives a new key */
	assert_true(ha_auth_session_key(base, nb, na, k3));
	assert_memory_not_equal(k1, k3, sizeof(k1));
	na[0] ^= 1;
	assert_true(ha_auth_session_key(base, na, nb, k3));
	assert_memory_not_equal(k1, k3, sizeof(k1));
	assert_memory_not_equal(k1, base, sizeof(k1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_known_answer),
		cmocka_unit_test(test_frame_mac),
		cmocka_unit_test(test_session_key),
	};

	return cmocka_run_group_tests_name("ha_auth", tests, NULL, NULL);
}
