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

/* The set digest: independent of the order items came in, items removed
 * leave no trace, a position or a byte changed changes it, and an item
 * twice is not the item once. */
static void test_set_digest(void **state)
{
	uint8_t a[32], b[32], c[32], a_elsewhere[32], a_twice[32], x[32], y[32];
	struct ha_set_digest d1 = {}, d2 = {}, d3 = {};

	ha_set_item_hash(1, "alpha", 5, a);
	ha_set_item_hash(2, "beta", 4, b);
	ha_set_item_hash(3, "gamma", 5, c);
	ha_set_item_hash(2, "alpha", 5, a_elsewhere);
	assert_memory_not_equal(a, a_elsewhere, 32);

	ha_set_digest_add(&d1, a);
	ha_set_digest_add(&d1, b);
	ha_set_digest_add(&d1, c);
	ha_set_digest_add(&d2, c);
	ha_set_digest_add(&d2, a);
	ha_set_digest_add(&d2, b);
	assert_memory_equal(&d1, &d2, sizeof(d1));

	/* c taken out: as if it never came */
	ha_set_digest_remove(&d2, c);
	ha_set_digest_add(&d3, b);
	ha_set_digest_add(&d3, a);
	assert_memory_equal(&d2, &d3, sizeof(d2));
	assert_memory_not_equal(&d1, &d3, sizeof(d1));

	/* the same bytes at another position: another digest */
	d3 = (struct ha_set_digest){};
	ha_set_digest_add(&d3, a_elsewhere);
	ha_set_digest_add(&d3, b);
	assert_memory_not_equal(&d2, &d3, sizeof(d2));

	/* twice is not once */
	d3 = (struct ha_set_digest){};
	ha_set_digest_add(&d3, a);
	ha_set_digest_bytes(&d3, x);
	ha_set_digest_add(&d3, a);
	ha_set_digest_bytes(&d3, a_twice);
	assert_memory_not_equal(x, a_twice, 32);

	/* the canonical bytes: lane 0 first, little-endian */
	d3 = (struct ha_set_digest){ .lane = { 0x0102030405060708ULL, 0, 0, 1 } };
	ha_set_digest_bytes(&d3, y);
	assert_int_equal(y[0], 0x08);
	assert_int_equal(y[7], 0x01);
	assert_int_equal(y[24], 0x01);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_known_answer),
		cmocka_unit_test(test_frame_mac),
		cmocka_unit_test(test_session_key),
		cmocka_unit_test(test_set_digest),
	};

	return cmocka_run_group_tests_name("ha_auth", tests, NULL, NULL);
}
