// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which of the two cards of a redundant router is active: the election
 * table, as a pure function (unit-tested).
 *
 *  1. two cards with the same slot id cannot be told apart: refused;
 *  2. a card that holds mastership keeps it (the card that was active
 *     before stays active: no needless switchover when a card rejoins);
 *  3. otherwise (neither holds it, or both do after a split was healed)
 *     the higher configured priority wins,
 *  4. then the lower slot id.
 */
#ifndef FRRHA_ELECTION_H
#define FRRHA_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

struct ha_elect_card {
	uint8_t slot;
	uint8_t priority;
	bool master; /* holds mastership of the line now */
};

enum ha_elect_winner {
	HA_ELECT_LOCAL,
	HA_ELECT_PEER,
	HA_ELECT_INVALID,
};

/* Decide; *reason (static text) says which rule decided. */
extern enum ha_elect_winner ha_elect(const struct ha_elect_card *local,
				     const struct ha_elect_card *peer, const char **reason);

#endif /* FRRHA_ELECTION_H */
