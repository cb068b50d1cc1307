// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The election table, see ha_election.h.
 */
#include <stddef.h>

#include "ha_election.h"

enum ha_elect_winner ha_elect(const struct ha_elect_card *local, const struct ha_elect_card *peer,
			      const char **reason)
{
	const char *dummy;

	if (!reason)
		reason = &dummy;
	if (local->slot == peer->slot) {
		*reason = "both cards have the same slot id";
		return HA_ELECT_INVALID;
	}
	if (local->master != peer->master) {
		*reason = "the card holding mastership keeps it";
		return local->master ? HA_ELECT_LOCAL : HA_ELECT_PEER;
	}
	if (local->priority != peer->priority) {
		*reason = "higher priority";
		return local->priority > peer->priority ? HA_ELECT_LOCAL : HA_ELECT_PEER;
	}
	*reason = "equal priority, lower slot id";
	return local->slot < peer->slot ? HA_ELECT_LOCAL : HA_ELECT_PEER;
}
