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

#include "debug.h"
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
	zlog_notice("redundancy: role %s -> %s: %s", ha_role_name(from), ha_role_name(role), reason);
	hard_history_add(from, role, reason);
	hard.role = role;
	hard_registry_role_changed();
	hard_role_update_redundancy();
	/* tell the peer card now rather than at the next heartbeat */
	hard_peer_send_heartbeat();
}

static void hard_renew_timer(struct event *ev);
static void hard_takeover_retry(struct event *ev);

static void hard_renew_start(void)
{
	event_add_timer_msec(hard.master, hard_renew_timer, NULL, hard.cfg.hb_interval,
			     &hard.t_renew);
}

static void hard_renewed(bool ok, const char *err)
{
	char why[256];

	if (ok || !hard.mastership)
		return;
	hard.mastership = false;
	EVENT_OFF(hard.t_renew);
	snprintf(why, sizeof(why), "mastership lost: %s", err);
	hard_set_role(HA_ROLE_FAILED, why);
}

/* While master: renew the claim; notice being put off the line. */
static void hard_renew_timer(struct event *ev)
{
	if (!hard.mastership)
		return;
	hard_mship_renew(hard_renewed);
	hard_renew_start();
}

/* What to do once the mastership driver answered a request to become
 * active (at once, or when the script driver's program exits). */
enum hard_after {
	HARD_AFTER_NOTHING,
	HARD_AFTER_BOOT_WAIT,	/* retry the boot decision if refused */
	HARD_AFTER_TAKEOVER,	/* end a non-graceful switchover */
	HARD_AFTER_PEER_FAILED, /* record the takeover from a failed peer */
	HARD_AFTER_SWO_TIMEOUT, /* back to active after an unconfirmed handover */
	HARD_AFTER_RELEASED,	/* the standby's side of a graceful switchover */
	HARD_AFTER_ABORT,	/* back to active after the peer aborted */
};

static struct {
	bool pending;	/* the driver has not answered yet */
	bool cancelled; /* became standby meanwhile */
	char reason[192];
	bool peer_dead;
	enum hard_after after;
	int64_t t0;
} acquiring;

static void hard_become_standby(const char *reason, hard_mship_done_cb released);
static void hard_swo_begin(uint32_t id, bool graceful, bool here, const char *reason);
static void hard_swo_end(const char *fmt, ...) PRINTFRR(1, 2);
static void hard_swo_send(enum ha_switchover_step step);
static void hard_boot_wait_expired(struct event *ev);

static void hard_acquire_done(bool ok, const char *err)
{
	enum hard_after after = acquiring.after;

	acquiring.pending = false;
	if (acquiring.cancelled) {
		acquiring.cancelled = false;
		if (ok) {
			zlog_warn(
				"redundancy: mastership acquired after this card became standby: releasing it");
			hard_mship_release(NULL);
		}
		return;
	}
	if (!ok) {
		if (!hard.takeover_blocked[0])
			zlog_warn("redundancy: not becoming active (%s): %s; retrying",
				  acquiring.reason, err);
		else
			DEBUGD(&hard_dbg_mship, "redundancy: still not active: %s", err);
		strlcpy(hard.takeover_blocked, err, sizeof(hard.takeover_blocked));
		if (acquiring.peer_dead)
			event_add_timer_msec(hard.master, hard_takeover_retry, NULL,
					     MAX(10u, hard.cfg.hb_interval / 10), &hard.t_takeover);
		hard_role_update_redundancy();
		switch (after) {
		case HARD_AFTER_BOOT_WAIT:
			/* the peer card is on the line: wait for it, retrying */
			event_add_timer_msec(hard.master, hard_boot_wait_expired, NULL,
					     hard.cfg.hb_interval, &hard.t_boot_wait);
			break;
		case HARD_AFTER_SWO_TIMEOUT:
		case HARD_AFTER_ABORT:
			hard_swo_end("failed: %s", hard.takeover_blocked);
			break;
		case HARD_AFTER_RELEASED:
			hard_swo_send(HA_SWO_ABORT);
			hard_swo_end("aborted: %s", hard.takeover_blocked);
			break;
		case HARD_AFTER_NOTHING:
		case HARD_AFTER_TAKEOVER:
		case HARD_AFTER_PEER_FAILED:
			break;
		}
		return;
	}
	hard.takeover_blocked[0] = '\0';
	EVENT_OFF(hard.t_takeover);
	hard_set_role(HA_ROLE_ACTIVE, acquiring.reason);
	hard_renew_start();
	switch (after) {
	case HARD_AFTER_TAKEOVER:
		if (hard.swo.in_progress && !hard.swo.graceful)
			hard_swo_end("completed: active on this card");
		break;
	case HARD_AFTER_PEER_FAILED:
		hard_swo_begin(hard.swo.id + 1, false, false, "the active card failed");
		hard.swo.started_usec = acquiring.t0;
		hard_swo_end("completed: active on this card");
		break;
	case HARD_AFTER_SWO_TIMEOUT:
		hard_swo_end("aborted: no confirmation from the new active");
		break;
	case HARD_AFTER_RELEASED:
		hard_swo_send(HA_SWO_ACTIVE);
		hard_swo_end("completed: active on this card");
		break;
	case HARD_AFTER_ABORT:
		hard_swo_end("aborted by the peer card");
		break;
	case HARD_AFTER_NOTHING:
	case HARD_AFTER_BOOT_WAIT:
		break;
	}
}

/*
 * Become active.  peer_dead: the peer card is absent or declared dead, so
 * the driver may fence it.  A takeover the driver refuses (the peer still
 * renews its claim: only the intercard link is down) is retried until it
 * succeeds or the peer card comes back.  The driver may answer later (a
 * script): what follows is in hard_acquire_done(), as after says.
 */
static void hard_become_active(const char *reason, bool peer_dead, enum hard_after after)
{
	EVENT_OFF(hard.t_boot_wait);
	if (acquiring.pending) {
		/* one request at a time; the running one decides */
		DEBUGD(&hard_dbg_mship,
		       "redundancy: already acquiring mastership (%s); not again for: %s",
		       acquiring.reason, reason);
		acquiring.cancelled = false;
		return;
	}
	acquiring.pending = true;
	acquiring.cancelled = false;
	strlcpy(acquiring.reason, reason, sizeof(acquiring.reason));
	acquiring.peer_dead = peer_dead;
	acquiring.after = after;
	acquiring.t0 = hard_monotime_usec();
	if (hard.mastership)
		hard_acquire_done(true, "");
	else
		hard_mship_acquire(peer_dead, hard_acquire_done);
}

static void hard_become_standby(const char *reason, hard_mship_done_cb released)
{
	EVENT_OFF(hard.t_boot_wait);
	EVENT_OFF(hard.t_takeover);
	EVENT_OFF(hard.t_renew);
	hard.takeover_blocked[0] = '\0';
	if (acquiring.pending)
		acquiring.cancelled = true;
	if (hard.mastership)
		hard_mship_release(released);
	hard_set_role(HA_ROLE_STANDBY, reason);
}

/* The last switchover, graceful or not, as this card saw it. */
static void hard_swo_begin(uint32_t id, bool graceful, bool here, const char *reason)
{
	struct hard_switchover *swo = &hard.swo;

	EVENT_OFF(swo->t_timeout);
	EVENT_OFF(swo->t_release);
	memset(swo, 0, sizeof(*swo));
	swo->id = id;
	swo->graceful = graceful;
	swo->in_progress = true;
	swo->initiated_here = here;
	swo->started_usec = hard_monotime_usec();
	gettimeofday(&swo->when, NULL);
	strlcpy(swo->reason, reason, sizeof(swo->reason));
}

static void hard_swo_end(const char *fmt, ...) PRINTFRR(1, 2);
static void hard_swo_end(const char *fmt, ...)
{
	struct hard_switchover *swo = &hard.swo;
	va_list ap;

	EVENT_OFF(swo->t_timeout);
	swo->in_progress = false;
	swo->duration_usec = hard_monotime_usec() - swo->started_usec;
	va_start(ap, fmt);
	vsnprintfrr(swo->result, sizeof(swo->result), fmt, ap);
	va_end(ap);
	zlog_notice("redundancy: switchover #%u (%s) %s after %" PRId64 " us", swo->id,
		    swo->graceful ? "graceful" : "non-graceful", swo->result, swo->duration_usec);
}

static void hard_swo_step(enum ha_switchover_step step)
{
	DEBUGD(&hard_dbg_swo, "redundancy: switchover #%u: %s -> %s", hard.swo.id,
	       ha_switchover_step_name(hard.swo.step), ha_switchover_step_name(step));
	zlog_info("redundancy: switchover #%u: %s at +%" PRId64 " us", hard.swo.id,
		  ha_switchover_step_name(step), hard_monotime_usec() - hard.swo.started_usec);
	hard.swo.step = step;
}

static void hard_swo_send(enum ha_switchover_step step)
{
	struct ha_msg_switchover msg = { .step = step, .id = hard.swo.id };
	uint8_t buf[16];
	ssize_t len = ha_msg_switchover_encode(&msg, buf, sizeof(buf));

	assert(len > 0);
	hard_swo_step(step);
	hard_peer_send(HA_MSG_SWITCHOVER, buf, len);
}

static void hard_takeover_retry(struct event *ev)
{
	char reason[192];

	if (hard.role == HA_ROLE_ACTIVE || hard.peer.state == HARD_PEER_UP)
		return;
	snprintf(reason, sizeof(reason), "active card lost (%s): taking over",
		 hard.peer.last_down_reason);
	hard_become_active(reason, true, HARD_AFTER_TAKEOVER);
}

static void hard_boot_wait_expired(struct event *ev)
{
	char reason[128];

	if (hard.role != HA_ROLE_INIT)
		return;
	if (!hard.cfg.peer_configured) {
		hard_become_active("no peer card configured: lone card", true, HARD_AFTER_NOTHING);
		return;
	}
	if (hard.peer.state == HARD_PEER_UP)
		return; /* the election decides */
	snprintf(reason, sizeof(reason), "peer card silent for %u ms at boot: active alone",
		 hard_boot_wait_msec());
	hard_become_active(reason, true, HARD_AFTER_BOOT_WAIT);
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
		hard_become_active("peer card unconfigured: lone card", true, HARD_AFTER_NOTHING);
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

	EVENT_OFF(hard.t_takeover);
	hard.takeover_blocked[0] = '\0';
	switch (ha_elect(&local, &peer, &rule)) {
	case HA_ELECT_LOCAL:
		snprintf(reason, sizeof(reason), "elected against slot %u (%s)", peer.slot, rule);
		if (hard.role != HA_ROLE_ACTIVE)
			hard_become_active(reason, false, HARD_AFTER_NOTHING);
		break;
	case HA_ELECT_PEER:
		snprintf(reason, sizeof(reason), "slot %u elected active (%s)", peer.slot, rule);
		if (hard.role != HA_ROLE_STANDBY)
			hard_become_standby(reason, NULL);
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
	/* A standby whose peer card failed (it lost the line): take over.
	 * A peer saying "standby" is in a handover, which RELEASED ends; a
	 * heartbeat sent in that window must not start a second takeover. */
	if (hard.role == HA_ROLE_STANDBY && !hard.swo.in_progress &&
	    hard.peer.hb.role == HA_ROLE_FAILED && !(hard.peer.hb.flags & HA_CARD_F_MASTER)) {
		hard_become_active("peer card failed", true, HARD_AFTER_PEER_FAILED);
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
		if (!hard.swo.in_progress)
			hard_swo_begin(hard.swo.id + 1, false, false, reason);
		hard_become_active(why, true, HARD_AFTER_TAKEOVER);
		break;
	case HA_ROLE_INIT:
	case HA_ROLE_ACTIVE:
	case HA_ROLE_FAILED:
	case HA_ROLE_MAX:
		break;
	}
	hard_role_update_redundancy();
}

/* Every local module replicates to its peer module and the digests match. */
static bool hard_role_daemons_synced(char *why, size_t len)
{
	struct hard_daemon *hd;

	frr_each (hard_daemons, &hard.daemons, hd) {
		if (!hd->registered)
			continue;
		if (!hd->repl_known) {
			snprintf(why, len, "%s: replication state not reported yet", hd->name);
			return false;
		}
		if (hd->repl.state != HA_REPL_SYNCED) {
			snprintfrr(why, len, "%s: replication %s%s%s", hd->name,
				   ha_repl_state_name(hd->repl.state),
				   hd->repl.detail[0] ? ": " : "", hd->repl.detail);
			return false;
		}
	}
	return true;
}

/* Where this card is in the redundancy: a standby is "syncing" until
 * every local module's state matched the active's digests. */
const char *hard_card_sync_state(void)
{
	char why[8];

	switch (hard.role) {
	case HA_ROLE_ACTIVE:
		return hard.redundant ? "redundant" : "not redundant";
	case HA_ROLE_STANDBY:
		return hard.peer.state == HARD_PEER_UP && hard_role_daemons_synced(why, sizeof(why))
			       ? "redundant"
			       : "syncing";
	case HA_ROLE_INIT:
	case HA_ROLE_FAILED:
	case HA_ROLE_MAX:
		break;
	}
	return "-";
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
	} else if (!hard_role_daemons_synced(why, len))
		redundant = false;
	else
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

/* --- graceful switchover (on command) and handover on daemon failure ---- */

#define HARD_SWO_TIMEOUT_MSEC 3000

static void hard_swo_timeout(struct event *ev)
{
	if (!hard.swo.in_progress)
		return;
	if (hard.swo.quiescing) {
		struct hard_daemon *hd;
		char late[96] = "";

		frr_each (hard_daemons, &hard.daemons, hd)
			if (hd->quiesce_pending) {
				hd->quiesce_pending = false;
				if (!late[0])
					strlcpy(late, hd->name, sizeof(late));
			}
		hard.swo.quiescing = false;
		hard_swo_end("refused: %s did not flush and verify its state in %d ms", late,
			     HARD_SWO_TIMEOUT_MSEC);
		return;
	}
	if (hard.swo.step == HA_SWO_PREPARE) {
		hard_swo_send(HA_SWO_ABORT);
		hard_swo_end("aborted: the standby did not get ready in %d ms",
			     HARD_SWO_TIMEOUT_MSEC);
		return;
	}
	/* released, but the standby never confirmed: it may have died; the
	 * channel's liveness decides (a lost peer makes us take over) */
	if (hard.peer.state == HARD_PEER_UP && hard.role == HA_ROLE_STANDBY &&
	    hard.peer.hb.role != HA_ROLE_ACTIVE) {
		hard_become_active("switchover not confirmed by the peer card: back to active",
				   false, HARD_AFTER_SWO_TIMEOUT);
	}
}

bool hard_role_switchover_start(char *err, size_t errlen)
{
	char reason[128];

	if (hard.swo.in_progress) {
		snprintf(err, errlen, "a switchover (#%u) is already in progress", hard.swo.id);
		return false;
	}
	if (hard.role != HA_ROLE_ACTIVE) {
		snprintf(err, errlen, "this card is %s: run it on the active card",
			 ha_role_name(hard.role));
		return false;
	}
	if (!hard.cfg.peer_configured || hard.peer.state != HARD_PEER_UP) {
		snprintf(err, errlen, "no standby card: %s",
			 hard.cfg.peer_configured ? "the peer card is not connected"
						  : "no peer card configured");
		return false;
	}
	if (!hard.redundant) {
		snprintf(err, errlen, "the router is not redundant: %s", hard.not_redundant_reason);
		return false;
	}
	snprintf(reason, sizeof(reason), "operator command, to slot %u", hard.peer.hello.slot);
	hard_swo_begin(hard.swo.id + 1, true, true, reason);
	zlog_notice("redundancy: graceful switchover #%u to slot %u started", hard.swo.id,
		    hard.peer.hello.slot);
	event_add_timer_msec(hard.master, hard_swo_timeout, NULL, HARD_SWO_TIMEOUT_MSEC,
			     &hard.swo.t_timeout);
	/* first every module flushes its deltas and compares digests */
	hard.swo.quiescing = true;
	if (hard_registry_quiesce(hard.swo.id) == 0) {
		hard.swo.quiescing = false;
		hard_swo_send(HA_SWO_PREPARE);
	}
	return true;
}

void hard_role_quiesce_done(struct hard_daemon *hd, uint32_t id, bool ok, const char *reason)
{
	struct hard_daemon *other;

	if (!hd->quiesce_pending || !hard.swo.in_progress || !hard.swo.quiescing ||
	    id != hard.swo.id) {
		zlog_warn("redundancy: ignoring a late quiesce answer #%u from %s", id, hd->name);
		return;
	}
	hd->quiesce_pending = false;
	strlcpy(hd->quiesce_result, reason, sizeof(hd->quiesce_result));
	zlog_info("redundancy: switchover #%u: %s %s at +%" PRId64 " us (%s)", id, hd->name,
		  ok ? "flushed and verified" : "not ready",
		  hard_monotime_usec() - hard.swo.started_usec, reason);
	if (!ok) {
		hard.swo.quiescing = false;
		frr_each (hard_daemons, &hard.daemons, other)
			other->quiesce_pending = false;
		hard_swo_end("refused: %s: %s", hd->name, reason);
		return;
	}
	frr_each (hard_daemons, &hard.daemons, other)
		if (other->quiesce_pending)
			return;
	hard.swo.quiescing = false;
	hard_swo_send(HA_SWO_PREPARE);
}

#define HARD_RELEASE_WAIT_MSEC 500

/* Every local module acts as standby now (or has not answered in time):
 * tell the peer card to take over. */
static void hard_swo_release(bool timed_out)
{
	struct hard_switchover *swo = &hard.swo;

	if (!swo->releasing)
		return;
	swo->releasing = false;
	EVENT_OFF(swo->t_release);
	if (timed_out)
		zlog_warn("redundancy: switchover #%u: modules did not confirm the standby role within %d ms; releasing anyway",
			  swo->id, HARD_RELEASE_WAIT_MSEC);
	hard_swo_send(HA_SWO_RELEASED);
	event_add_timer_msec(hard.master, hard_swo_timeout, NULL, HARD_SWO_TIMEOUT_MSEC,
			     &swo->t_timeout);
}

static void hard_swo_release_timeout(struct event *ev)
{
	if (!hard.swo.line_released) {
		/* the driver has not confirmed this card is off the line: the
		 * peer must not take it; the switchover timeout decides */
		event_add_timer_msec(hard.master, hard_swo_release_timeout, NULL,
				     HARD_RELEASE_WAIT_MSEC, &hard.swo.t_release);
		return;
	}
	hard_swo_release(true);
}

static char release_error[256];

static void hard_swo_release_failed(struct event *ev)
{
	if (!hard.swo.releasing)
		return;
	/* not known to be off the line: the peer must not take it */
	hard.swo.releasing = false;
	EVENT_OFF(hard.swo.t_release);
	hard_swo_send(HA_SWO_ABORT);
	hard_swo_end("aborted: mastership release failed: %s", release_error);
	hard_become_active("switchover aborted: release failed, back to active", false,
			   HARD_AFTER_NOTHING);
}

/* The mastership driver answered the handover's release (perhaps from
 * inside hard_become_standby(): act on a failure from a fresh event). */
static void hard_swo_line_released(bool ok, const char *err)
{
	if (!hard.swo.releasing)
		return;
	if (!ok) {
		strlcpy(release_error, err, sizeof(release_error));
		event_add_event(hard.master, hard_swo_release_failed, NULL, 0, NULL);
		return;
	}
	hard.swo.line_released = true;
	hard_sockets_line_released();
	hard_role_module_role_changed();
}

void hard_role_module_role_changed(void)
{
	struct hard_daemon *hd;

	if (!hard.swo.releasing || !hard.swo.line_released)
		return;
	frr_each (hard_daemons, &hard.daemons, hd)
		if (hd->registered && (!hd->repl_known || hd->repl.role != HA_ROLE_STANDBY))
			return;
	hard_swo_release(false);
}

/*
 * The active card hands over: off the line, its modules told to be
 * standby -- and only once they all confirm, RELEASED to the peer card,
 * whose modules then go active.  So a module of this card never receives
 * the new active's bulk copy while it still acts as active, and never
 * sends on behalf of an active card once the peer card is.
 */
static void hard_swo_handover(const char *reason)
{
	char why[192];

	snprintf(why, sizeof(why), "switchover #%u: %s, handing over to slot %u", hard.swo.id,
		 reason, hard.peer.hello.slot);
	EVENT_OFF(hard.t_renew);
	EVENT_OFF(hard.swo.t_timeout);
	hard.swo.releasing = true;
	hard.swo.line_released = !hard.mastership;
	hard_become_standby(why, hard_swo_line_released);
	event_add_timer_msec(hard.master, hard_swo_release_timeout, NULL, HARD_RELEASE_WAIT_MSEC,
			     &hard.swo.t_release);
	hard_role_module_role_changed();
}

void hard_role_switchover_msg(const struct ha_msg_switchover *msg)
{
	struct hard_switchover *swo = &hard.swo;
	char why[192];

	switch ((enum ha_switchover_step)msg->step) {
	case HA_SWO_PREPARE:
		if (hard.role != HA_ROLE_STANDBY) {
			swo->id = msg->id;
			hard_swo_send(HA_SWO_ABORT);
			return;
		}
		hard_swo_begin(msg->id, true, false, "requested by the active card");
		hard_swo_send(HA_SWO_READY);
		return;
	case HA_SWO_READY:
		if (!swo->in_progress || !swo->initiated_here || msg->id != swo->id ||
		    swo->step != HA_SWO_PREPARE)
			break;
		hard_swo_step(HA_SWO_READY);
		hard_swo_handover("graceful");
		return;
	case HA_SWO_RELEASED:
		if (hard.role != HA_ROLE_STANDBY)
			break;
		if (!swo->in_progress || msg->id != swo->id)
			/* a handover without prepare: the active lost a daemon */
			hard_swo_begin(msg->id, false, false, "the active card handed over");
		hard_swo_step(HA_SWO_RELEASED);
		snprintf(why, sizeof(why), "switchover #%u: took over from slot %u", msg->id,
			 hard.peer.hello.slot);
		hard_become_active(why, false, HARD_AFTER_RELEASED);
		return;
	case HA_SWO_ACTIVE:
		if (!swo->in_progress || msg->id != swo->id)
			break;
		hard_swo_step(HA_SWO_ACTIVE);
		hard.switchovers++;
		hard_swo_end("completed: slot %u is active", hard.peer.hello.slot);
		return;
	case HA_SWO_ABORT:
		if (!swo->in_progress || msg->id != swo->id)
			break;
		if (swo->initiated_here && hard.role == HA_ROLE_STANDBY) {
			hard_become_active("switchover aborted by the peer card: back to active",
					   false, HARD_AFTER_ABORT);
			return;
		}
		hard_swo_end("aborted by the peer card");
		return;
	case HA_SWO_STEP_MAX:
		break;
	}
	zlog_warn("redundancy: ignoring switchover %s #%u from the peer card (role %s, %s)",
		  ha_switchover_step_name(msg->step), msg->id, ha_role_name(hard.role),
		  swo->in_progress ? "switchover in progress" : "no switchover in progress");
}

void hard_role_daemon_failed(const char *daemon)
{
	char reason[128];

	/* (a switchover in progress decides for itself; a standby card's
	 * daemons hold no sessions of their own) */
	if (hard.role != HA_ROLE_ACTIVE || hard.swo.in_progress)
		return;
	if (!hard.cfg.switchover_on_daemon_failure) {
		hard_sockets_let_go(daemon, "no switchover on-daemon-failure");
		return;
	}
	if (hard.peer.state != HARD_PEER_UP || hard.peer.hb.role != HA_ROLE_STANDBY) {
		zlog_warn("redundancy: %s failed on the active card, and there is no standby to take over",
			  daemon);
		hard_sockets_let_go(daemon, "no standby");
		return;
	}
	snprintf(reason, sizeof(reason), "%s failed on the active card", daemon);
	/* its connections, frozen by hard, go to the peer card first */
	hard_sockets_hand_over(daemon);
	hard_swo_begin(hard.swo.id + 1, false, true, reason);
	hard_swo_handover(reason);
}
