// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the election table (lib/ha_election.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ha_election.h"

struct row {
	struct ha_elect_card local, peer;
	enum ha_elect_winner winner;
};

static const struct row table[] = {
	/* same slot: refused whatever else */
	{ { 1, 100, false }, { 1, 200, false }, HA_ELECT_INVALID },
	{ { 2, 100, true }, { 2, 100, false }, HA_ELECT_INVALID },
	/* the master keeps mastership, against priority and slot */
	{ { 2, 10, true }, { 1, 200, false }, HA_ELECT_LOCAL },
	{ { 1, 200, false }, { 2, 10, true }, HA_ELECT_PEER },
	/* neither master: priority */
	{ { 2, 200, false }, { 1, 100, false }, HA_ELECT_LOCAL },
	{ { 1, 100, false }, { 2, 200, false }, HA_ELECT_PEER },
	/* both master (a healed split): priority, then slot */
	{ { 2, 200, true }, { 1, 100, true }, HA_ELECT_LOCAL },
	{ { 1, 100, true }, { 2, 100, true }, HA_ELECT_LOCAL },
	/* equal priority: lower slot */
	{ { 1, 100, false }, { 2, 100, false }, HA_ELECT_LOCAL },
	{ { 2, 100, false }, { 1, 100, false }, HA_ELECT_PEER },
};

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *reason = NULL;

		assert_int_equal(ha_elect(&table[i].local, &table[i].peer, &reason),
				 table[i].winner);
		assert_non_null(reason);
	}
}

/* Both cards, each deciding from its own side, always agree. */
static void test_symmetry(void **state)
{
	for (int s1 = 1; s1 <= 2; s1++)
		for (int s2 = 1; s2 <= 2; s2++)
			for (int p1 = 0; p1 < 3; p1++)
				for (int p2 = 0; p2 < 3; p2++)
					for (int m = 0; m < 4; m++) {
						struct ha_elect_card a = { s1, p1 * 100, m & 1 };
						struct ha_elect_card b = { s2, p2 * 100, m & 2 };
						enum ha_elect_winner wa = ha_elect(&a, &b, NULL);
						enum ha_elect_winner wb = ha_elect(&b, &a, NULL);

						if (wa == HA_ELECT_INVALID)
							assert_int_equal(wb, HA_ELECT_INVALID);
						else
							assert_int_equal(wa == HA_ELECT_LOCAL,
									 wb == HA_ELECT_PEER);
					}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_symmetry),
	};

	return cmocka_run_group_tests_name("ha_election", tests, NULL, NULL);
}
