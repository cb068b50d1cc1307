// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of lib/ha_reasm.c: a stream read back from pieces that came in
 * order, again, overlapping, out of order; gaps refused; trimming.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ha_reasm.h"

static const char stream[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static void add(struct ha_reasm *r, uint64_t from, uint64_t to)
{
	assert_int_equal(ha_reasm_add(r, from, (const uint8_t *)stream + from, to - from), 0);
}

static void expect(struct ha_reasm *r, uint64_t from, uint64_t to)
{
	uint8_t *got = ha_reasm_copy(r, from, to);

	assert_non_null(got);
	assert_memory_equal(got, stream + from, to - from);
	free(got);
}

static void test_in_order(void **state)
{
	struct ha_reasm r;

	ha_reasm_init(&r);
	add(&r, 0, 5);
	add(&r, 5, 12);
	add(&r, 12, 20);
	expect(&r, 0, 20);
	expect(&r, 3, 14);
	assert_null(ha_reasm_copy(&r, 3, 21));
	assert_null(ha_reasm_copy(&r, 5, 5));
	assert_int_equal(r.bytes, 20);
	ha_reasm_clear(&r);
	assert_int_equal(r.bytes, 0);
	assert_null(r.first);
}

static void test_again_and_overlapping(void **state)
{
	struct ha_reasm r;

	ha_reasm_init(&r);
	add(&r, 10, 20);
	add(&r, 10, 20); /* a retransmission */
	add(&r, 15, 30); /* overlapping the end */
	add(&r, 12, 14); /* inside */
	expect(&r, 10, 30);
	expect(&r, 13, 29);
	ha_reasm_clear(&r);
}

static void test_out_of_order_and_gap(void **state)
{
	struct ha_reasm r;

	ha_reasm_init(&r);
	add(&r, 20, 30);
	add(&r, 0, 10);
	/* 10..20 missing */
	assert_null(ha_reasm_copy(&r, 0, 30));
	expect(&r, 0, 10);
	expect(&r, 20, 30);
	add(&r, 10, 20);
	expect(&r, 0, 30);
	assert_int_equal(r.bytes, 30);
	ha_reasm_clear(&r);
}

/* How far the pieces reach without a gap, from an offset. */
static void test_contiguous_end(void **state)
{
	struct ha_reasm r;
	uint8_t hdr[4];

	ha_reasm_init(&r);
	assert_int_equal(ha_reasm_contiguous_end(&r, 7), 7);
	add(&r, 0, 10);
	add(&r, 5, 12); /* overlapping */
	add(&r, 20, 30);
	assert_int_equal(ha_reasm_contiguous_end(&r, 0), 12);
	assert_int_equal(ha_reasm_contiguous_end(&r, 11), 12);
	assert_int_equal(ha_reasm_contiguous_end(&r, 12), 12); /* the gap */
	assert_int_equal(ha_reasm_contiguous_end(&r, 25), 30);
	assert_false(ha_reasm_read(&r, 10, hdr, 4));
	assert_true(ha_reasm_read(&r, 8, hdr, 4));
	assert_int_equal(hdr[0], stream[8]);
	assert_int_equal(hdr[3], stream[11]);
	add(&r, 12, 20);
	assert_int_equal(ha_reasm_contiguous_end(&r, 0), 30);
	ha_reasm_clear(&r);
}

static void test_trim(void **state)
{
	struct ha_reasm r;

	ha_reasm_init(&r);
	add(&r, 0, 10);
	add(&r, 10, 20);
	add(&r, 20, 30);
	ha_reasm_trim(&r, 15); /* the piece holding 15 stays */
	assert_int_equal(r.bytes, 20);
	expect(&r, 10, 30);
	assert_null(ha_reasm_copy(&r, 5, 30));
	ha_reasm_trim(&r, 30);
	assert_int_equal(r.bytes, 0);
	assert_null(r.first);
	assert_null(r.last);
	add(&r, 30, 36);
	expect(&r, 30, 36);
	ha_reasm_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_again_and_overlapping),
		cmocka_unit_test(test_out_of_order_and_gap),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_contiguous_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
