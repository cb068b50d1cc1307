// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: BGP message framing in a send queue (lib/ha_bgp_stream.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ha_bgp_stream.h"

/* A message of type t and total length n at p. */
static size_t put_msg(uint8_t *p, uint8_t t, uint16_t n, uint8_t fill)
{
	memset(p, 0xff, 16);
	p[16] = n >> 8;
	p[17] = n & 0xff;
	p[18] = t;
	memset(p + 19, fill, n - 19);
	return n;
}

static void test_header(void **state)
{
	uint8_t b[64];
	uint16_t len = 0;

	put_msg(b, 4, 19, 0);
	assert_true(ha_bgp_header_valid(b, 19, &len));
	assert_int_equal(len, 19);
	assert_false(ha_bgp_header_valid(b, 18, &len));
	b[18] = 7;
	assert_false(ha_bgp_header_valid(b, 19, &len));
	b[18] = 2;
	b[17] = 18;
	assert_false(ha_bgp_header_valid(b, 19, &len));
	put_msg(b, 2, 30, 0);
	b[3] = 0xfe;
	assert_false(ha_bgp_header_valid(b, 30, &len));
}

static void test_whole_messages(void **state)
{
	uint8_t q[4096] = {};
	size_t n = 0;

	assert_true(ha_bgp_stream_ends_on_message(q, 0));
	n += put_msg(q + n, 4, 19, 0);
	assert_true(ha_bgp_stream_ends_on_message(q, n));
	n += put_msg(q + n, 2, 100, 0xff); /* 0xff inside the data, too */
	n += put_msg(q + n, 2, 60, 1);
	assert_true(ha_bgp_stream_ends_on_message(q, n));
	/* the last message cut anywhere: not on a boundary */
	for (size_t cut = n - 59; cut < n; cut++)
		assert_false(ha_bgp_stream_ends_on_message(q, cut));
}

static void test_queue_starting_inside_a_message(void **state)
{
	uint8_t q[4096] = {};
	size_t n = 0, first;

	first = put_msg(q, 2, 200, 0x11);
	n = first;
	n += put_msg(q + n, 2, 80, 0x22);
	n += put_msg(q + n, 4, 19, 0);
	/* the peer acknowledged the first 150 bytes: the queue starts in the
	 * middle of the first message */
	assert_true(ha_bgp_stream_ends_on_message(q + 150, n - 150));
	assert_false(ha_bgp_stream_ends_on_message(q + 150, n - 150 - 5));
	/* a marker-like run of 0xff inside the acknowledged part's data */
	memset(q + 160, 0xff, 19);
	q[178] = 9; /* not a message type: no header there */
	assert_true(ha_bgp_stream_ends_on_message(q + 150, n - 150));
}

static void test_only_the_end_of_one_message(void **state)
{
	uint8_t q[512] = {};

	put_msg(q, 2, 300, 0x33);
	/* cannot be shown complete: the safe answer is no */
	assert_false(ha_bgp_stream_ends_on_message(q + 100, 200));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_whole_messages),
		cmocka_unit_test(test_queue_starting_inside_a_message),
		cmocka_unit_test(test_only_the_end_of_one_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
