// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: the role of this card -- init, active, standby, failed -- its
 * election against the peer card, and the history of role changes.
 *
 * At start a card is init.  When the peer card's HELLO arrives, both cards
 * run the same election (ha_election.h) on the same facts and reach the
 * same result.  A card that hears nothing from a configured peer card for
 * the boot wait, or that has no peer card configured, becomes active on
 * its own.  A standby that loses the active card takes over.
 */
#include <zebra.h>

#include "frrevent.h"
#include "log.h"
#include "monotime.h"

#include "ha_election.h"
#include "hard.h"

static unsigned int hard_boot_wait_msec(void)
{
	unsigned int dead = hard.cfg.hb_interval * hard.cfg.hb_multiplier;

	return MAX(2000u, 4 * dead);
}

static void hard_history_add(enum ha_role from, enum ha_role to, const char *reason)
{
	struct hard_history_entry *e = &hard.history[hard.history_next];

	gettimeofday(&e->when, NULL);
	e->from = from;
	e->to = to;
	strlcpy(e->reason, reason, sizeof(e->reason));
	hard.history_next = (hard.history_next + 1) % HARD_HISTORY_MAX;
	if (hard.history_count < HARD_HISTORY_MAX)
		hard.history_count++;
}

static void hard_set_role(enum ha_role role, const char *reason)
{
	enum ha_role from = hard.role;

	if (role == from)
		return;
	zlog_notice("redundancy: role %s -> %s: %s", ha_role_name(from), ha_role_name(role),
		    reason);
	hard_history_add(from, role, reason);
	hard.role = role;
	hard_registry_role_changed();
	hard_role_update_redundancy();
	/* tell the peer card now rather than at the next heartbeat */
	hard_peer_send_heartbeat();
}

/* Mastership of the line.  Until the pluggable drivers exist, the card
 * that is active holds it by definition. */
static bool hard_mastership_acquire(char *err, size_t errlen)
{
	hard.mastership = true;
	return true;
}

static void hard_mastership_release(void)
{
	hard.mastership = false;
}

static void hard_become_active(const char *reason)
{
	char err[128] = "";

	EVENT_OFF(hard.t_boot_wait);
	if (!hard.mastership && !hard_mastership_acquire(err, sizeof(err))) {
		char why[256];

		snprintf(why, sizeof(why), "cannot acquire mastership (%s) after: %s", err,
			 reason);
		hard_set_role(HA_ROLE_FAILED, why);
		return;
	}
	hard_set_role(HA_ROLE_ACTIVE, reason);
}

static void hard_become_standby(const char *reason)
{
	EVENT_OFF(hard.t_boot_wait);
	if (hard.mastership)
		hard_mastership_release();
	hard_set_role(HA_ROLE_STANDBY, reason);
}

static void hard_boot_wait_expired(struct event *ev)
{
	char reason[128];

	if (hard.role != HA_ROLE_INIT)
		return;
	if (!hard.cfg.peer_configured) {
		hard_become_active("no peer card configured: lone card");
		return;
	}
	if (hard.peer.state == HARD_PEER_UP)
		return; /* the election decides */
	snprintf(reason, sizeof(reason), "peer card silent for %u ms at boot: active alone",
		 hard_boot_wait_msec());
	hard_become_active(reason);
}

void hard_role_start(void)
{
	hard.role = HA_ROLE_INIT;
	snprintf(hard.not_redundant_reason, sizeof(hard.not_redundant_reason),
		 "role not decided yet");
	event_add_timer_msec(hard.master, hard_boot_wait_expired, NULL, hard_boot_wait_msec(),
			     &hard.t_boot_wait);
}

void hard_role_config_changed(void)
{
	if (!hard.cfg.peer_configured && hard.role != HA_ROLE_ACTIVE && !hard.t_boot_wait)
		hard_become_active("peer card unconfigured: lone card");
	hard_role_update_redundancy();
}

void hard_role_peer_up(void)
{
	struct ha_elect_card local = {
		.slot = hard.cfg.slot,
		.priority = hard.cfg.priority,
		.master = hard.mastership,
	};
	struct ha_elect_card peer = {
		.slot = hard.peer.hello.slot,
		.priority = hard.peer.hello.priority,
		.master = !!(hard.peer.hello.flags & HA_CARD_F_MASTER),
	};
	const char *rule;
	char reason[192];

	switch (ha_elect(&local, &peer, &rule)) {
	case HA_ELECT_LOCAL:
		snprintf(reason, sizeof(reason), "elected against slot %u (%s)", peer.slot, rule);
		if (hard.role != HA_ROLE_ACTIVE)
			hard_become_active(reason);
		break;
	case HA_ELECT_PEER:
		snprintf(reason, sizeof(reason), "slot %u elected active (%s)", peer.slot, rule);
		if (hard.role != HA_ROLE_STANDBY)
			hard_become_standby(reason);
		break;
	case HA_ELECT_INVALID:
		/* hard_peer refuses such a peer before it is up */
		zlog_err("redundancy: no election with the peer card: %s", rule);
		break;
	}
	hard_role_update_redundancy();
}

void hard_role_peer_update(void)
{
	/* Both active (a split healed): elect again, the loser steps down. */
	if (hard.role == HA_ROLE_ACTIVE && hard.peer.hb.role == HA_ROLE_ACTIVE) {
		hard.peer.hello.flags = hard.peer.hb.flags;
		hard_role_peer_up();
		return;
	}
	/* A standby whose peer is neither active nor deciding: take over. */
	if (hard.role == HA_ROLE_STANDBY && (hard.peer.hb.role == HA_ROLE_STANDBY ||
					     hard.peer.hb.role == HA_ROLE_FAILED)) {
		hard_become_active("peer card is no longer active");
		return;
	}
	hard_role_update_redundancy();
}

void hard_role_peer_down(const char *reason)
{
	char why[192];

	switch (hard.role) {
	case HA_ROLE_STANDBY:
		snprintf(why, sizeof(why), "active card lost (%s): taking over", reason);
		hard_become_active(why);
		break;
	case HA_ROLE_INIT:
	case HA_ROLE_ACTIVE:
	case HA_ROLE_FAILED:
	case HA_ROLE_MAX:
		break;
	}
	hard_role_update_redundancy();
}

void hard_role_update_redundancy(void)
{
	struct ha_daemon_set local = {};
	const struct ha_daemon_set *peer = &hard.peer.hb.daemons;
	bool redundant = false;
	char *why = hard.not_redundant_reason;
	size_t len = sizeof(hard.not_redundant_reason);

	hard_registry_daemon_set(&local);
	if (!hard.cfg.peer_configured)
		snprintf(why, len, "no peer card configured");
	else if (hard.peer.state != HARD_PEER_UP)
		snprintf(why, len, "peer card not connected");
	else if (hard.role == HA_ROLE_INIT || hard.role == HA_ROLE_FAILED)
		snprintf(why, len, "this card is %s", ha_role_name(hard.role));
	else if (hard.role == HA_ROLE_STANDBY) {
		redundant = !!(hard.peer.hb.flags & HA_CARD_F_REDUNDANT);
		snprintf(why, len, "the active card does not report redundancy yet");
	} else if (hard.peer.hb.role != HA_ROLE_STANDBY)
		snprintf(why, len, "peer card is %s, not standby", ha_role_name(hard.peer.hb.role));
	else if (!ha_daemon_set_equal(&local, peer)) {
		unsigned int i;

		snprintf(why, len, "daemons differ between the cards");
		for (i = 0; i < local.count; i++)
			if (!ha_daemon_set_has(peer, local.names[i])) {
				snprintf(why, len, "%s not running on the standby card",
					 local.names[i]);
				break;
			}
		for (i = 0; i < peer->count; i++)
			if (!ha_daemon_set_has(&local, peer->names[i])) {
				snprintf(why, len, "%s running on the standby card only",
					 peer->names[i]);
				break;
			}
	} else
		redundant = true;

	if (redundant)
		why[0] = '\0';
	if (redundant != hard.redundant) {
		zlog_notice("redundancy: router %s%s%s", redundant ? "redundant" : "not redundant",
			    redundant ? "" : ": ", why);
		hard.redundant = redundant;
		if (hard.role == HA_ROLE_ACTIVE)
			hard_peer_send_heartbeat();
	}
}
