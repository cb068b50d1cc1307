// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The replication engine: one per ha module, on the module's data channel
 * to its peer module on the other card.
 *
 * On the active card the module hands the engine deltas (ha_repl_send); the
 * engine numbers them (seq), sends them in order, keeps every delta until
 * the standby's cumulative commit ack covers it, and limits what is in
 * flight (flow control).  "Run this when delta N is committed on the
 * standby" is ha_repl_gate(): the module holds an acknowledgement to a
 * routing peer until then.
 *
 * On the standby card the engine stores each delta as it arrives (that is
 * the commit), acks cumulatively once per batch of frames, and applies the
 * stored deltas to the daemon through the class callbacks right after.
 * Before the card goes active, everything committed is applied (drain).
 *
 * A standby that joins is brought current by a bulk copy: the active engine
 * walks every class's state (class->bulk), while the deltas that happen
 * meanwhile are queued and sent after the bulk.  Then both sides compare
 * digests of every class at the same point of the stream; only a match
 * makes the module "synced".  A mismatch starts one more bulk (resync);
 * a second mismatch leaves the module "failed", with the reason.
 *
 * A class may resynchronise a part of its state alone (a "scope", e.g. an
 * OSPF area): when the standby refuses one of its deltas in the synced
 * state, it asks the active for that scope again (RESYNC_REQUEST) instead
 * of dropping the channel; the class ignores the scope's deltas meanwhile,
 * the active copies the scope (SCOPE_BEGIN, its items, SCOPE_END, then the
 * deltas of meanwhile) and the digests of the whole module are compared
 * after it, as after a bulk.  Until then the module is not synced.
 *
 * Deltas must be idempotent state (a delta queued during a bulk may already
 * be contained in the bulk copy).  Gating holds only while the standby is
 * synced or verifying: during a bulk the standby could not take over with
 * the state anyway, so acknowledgements are not held for it.
 */
#ifndef FRRHA_REPL_H
#define FRRHA_REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha_wire.h"

struct event_loop;
struct ha_hash;
struct ha_repl;

/* A kind of replicated state of a module (config, sessions, LSDB, ...). */
struct ha_repl_class {
	uint16_t id; /* 1..65535, unique in the module */
	const char *name;
	/*
	 * Active: emit (part of) the bulk copy with ha_repl_bulk_item().
	 * *cursor is the class's own, NULL at the start.  Return true when
	 * the whole state has been emitted, false to be called again (the
	 * engine yields to the event loop and to flow control in between).
	 */
	bool (*bulk)(struct ha_repl *repl, void **cursor, void *arg);
	/* Standby: a bulk begins, forget every replicated item. */
	void (*reset)(struct ha_repl *repl, void *arg);
	/*
	 * Standby: apply one committed UPDATE or BULK_ITEM delta.  Return
	 * false with a reason to refuse it (the engine logs it, counts it and
	 * has the active resynchronise the module).
	 */
	bool (*apply)(struct ha_repl *repl, uint8_t kind, uint16_t subtype, const uint8_t *data,
		      size_t len, char *err, size_t errlen, void *arg);
	/* Both cards: feed a canonical form of the replicated state into h. */
	void (*digest)(struct ha_repl *repl, struct ha_hash *h, uint64_t *items, void *arg);
	/*
	 * Optional.  Active, a graceful switchover begins (ha_repl_quiesce):
	 * replicate what only a handover needs (e.g. frozen connections) now,
	 * with ha_repl_send; the digest comparison that follows covers it.
	 */
	void (*handover)(struct ha_repl *repl, void *arg);
	/* Optional.  The module now acts in role (after the drain, when going
	 * active): take the replicated state over, or fall silent. */
	void (*role_changed)(struct ha_repl *repl, enum ha_role role, void *arg);
	/*
	 * Optional.  The UPDATE subtypes (bit 1 << subtype) whose effect the
	 * bulk copy contains once the class's bulk has started: their deltas
	 * made between the start of a bulk and that moment are dropped
	 * instead of replayed after the bulk (where they would apply twice:
	 * fatal for a log whose entries are numbered).  Subtypes not in it
	 * (state the bulk copy does not carry) are always replayed.
	 */
	uint32_t bulk_covers;
	/*
	 * Optional, all four or none: resynchronising one scope of the
	 * class (its own bytes, 1..HA_SCOPE_MAX) instead of the module.
	 *
	 * Standby, apply refused an UPDATE delta: write the scope it belongs
	 * to into scope and return its length (0: resynchronise the whole
	 * module).  The class then ignores the scope's deltas until
	 * scope_reset for it (or reset, or going active).
	 */
	size_t (*refused_scope)(struct ha_repl *repl, uint16_t subtype, const uint8_t *data,
				size_t len, uint8_t *scope, void *arg);
	/* Both cards: the scope's name for logs; false if it is no scope of
	 * the class (the bytes come from the other card). */
	bool (*scope_name)(const uint8_t *scope, size_t len, char *buf, size_t buflen, void *arg);
	/* Standby: the scope's copy begins: forget its replicated state and
	 * apply its deltas again. */
	void (*scope_reset)(struct ha_repl *repl, const uint8_t *scope, size_t len, void *arg);
	/* Active: emit the scope's state with ha_repl_bulk_item(), as bulk. */
	bool (*scope_bulk)(struct ha_repl *repl, const uint8_t *scope, size_t len, void **cursor,
			   void *arg);
	void *arg;
};

typedef void (*ha_repl_gate_cb)(void *arg);
typedef void (*ha_repl_quiesce_cb)(bool ok, const char *reason, void *arg);
/* Called when the state or counters changed (rate-limited by the caller). */
typedef void (*ha_repl_status_cb)(struct ha_repl *repl, bool state_changed, void *arg);

#define HA_REPL_WINDOW_DEFAULT (4u * 1024 * 1024) /* bytes in flight */
#define HA_REPL_QUIESCE_MSEC   2000
#define HA_REPL_REVERIFY_MSEC  5000 /* a failed module's digests compared again */
/* Active: a standby that acknowledges nothing sent this long is given up
 * (the channel dropped: gates run at once, a new channel starts again
 * with a bulk copy) -- gated acknowledgements to peers must not wait on a
 * hung card until their hold timers expire (within BGP's default 90/180 s
 * and the tests' 9 s; not within the shortest hold time BGP allows, 3 s:
 * modules shorten it with ha_repl_ack_timeout_for). */
#define HA_REPL_ACK_TIMEOUT_MSEC 5000
/* ... and no shorter than this (a busy standby is not a hung one) */
#define HA_REPL_ACK_TIMEOUT_MIN_MSEC 200
/* Standby: a scope's copy asked for must begin this soon, or the channel
 * is dropped (and the whole module copied on the next one). */
#define HA_REPL_SCOPE_WAIT_MSEC 5000

extern struct ha_repl *ha_repl_new(struct event_loop *loop, const char *name);
extern void ha_repl_free(struct ha_repl **repl);
extern void ha_repl_register_class(struct ha_repl *repl, const struct ha_repl_class *cls);
extern void ha_repl_set_status_cb(struct ha_repl *repl, ha_repl_status_cb cb, void *arg);
/* Tests: each bulk copy's end (BULK_END, and the deltas made during the
 * copy, which follow it) held back msec after the classes' walks (0: not)
 * -- a standby that has the copy's items but not what happened since. */
extern void ha_repl_set_test_bulk_end_delay(struct ha_repl *repl, uint32_t msec);
extern void ha_repl_set_window(struct ha_repl *repl, size_t bytes);
/* How often a failed module's digests are compared again (ms). */
extern void ha_repl_set_reverify(struct ha_repl *repl, unsigned int msec);
extern void ha_repl_set_ack_timeout(struct ha_repl *repl, unsigned int msec);
/*
 * The ack timeout for a module whose routing peers give up on this router
 * after liveness_msec without a packet from it (its shortest dead interval
 * or hold time; 0: none): a third of it, so that a hung standby is given up
 * -- and the gated packets go -- with two thirds to spare; within
 * HA_REPL_ACK_TIMEOUT_MIN_MSEC..HA_REPL_ACK_TIMEOUT_MSEC.
 */
extern unsigned int ha_repl_ack_timeout_for(unsigned int liveness_msec);

/*
 * The card's role (from hard).  Going active drains every committed delta
 * into the daemon first; an active engine with a channel starts a bulk.
 * Going from active to standby first gets every delta made while active
 * committed on the peer (ha_repl_status() reports the old role until
 * then, and the status callback says when it is done).
 */
extern void ha_repl_set_role(struct ha_repl *repl, enum ha_role role);
extern enum ha_role ha_repl_role(const struct ha_repl *repl);

/* A new data channel to the peer module (replaces any old one).  key:
 * HA_CHANNEL_KEY_LEN bytes authenticating every frame, or NULL. */
extern void ha_repl_attach(struct ha_repl *repl, int fd, const uint8_t *key);
extern void ha_repl_detach(struct ha_repl *repl, const char *reason);
extern bool ha_repl_attached(const struct ha_repl *repl);

/*
 * Active: replicate one delta.  Returns its ticket for ha_repl_gate(), or
 * 0 when there is no standby to replicate to (then gates run at once).
 */
extern uint64_t ha_repl_send(struct ha_repl *repl, uint16_t cls, uint16_t subtype, const void *data,
			     size_t len);
/* Active, inside class->bulk: one item of the bulk copy. */
extern void ha_repl_bulk_item(struct ha_repl *repl, uint16_t cls, uint16_t subtype,
			      const void *data, size_t len);
/* Active, inside class->bulk (or scope_bulk) about to return false: call
 * it again msec from now, not at once (its copy paused, e.g. by a test). */
extern void ha_repl_bulk_yield_for(struct ha_repl *repl, uint32_t msec);
/* Run cb once the delta with this ticket is committed on the standby (at
 * once if it is, if ticket is 0, or if no synced standby exists). */
extern void ha_repl_gate(struct ha_repl *repl, uint64_t ticket, ha_repl_gate_cb cb, void *arg);
/*
 * Called after each run of gate callbacks (the gates one acknowledgement
 * released, or one that ran at once): what they decided can then leave
 * together (lib/ha_gate.c sends their packets' verdicts in one go).
 */
extern void ha_repl_set_gates_ran(void (*fn)(void));
/*
 * Read the data channel now, from outside the event loop's read of it
 * (e.g. between the items of a long task of the daemon's): so that the
 * standby acknowledges, and the active releases its gates, without
 * waiting for the daemon's event loop to come round.  Only what cannot
 * change the channel's or the roles' state is handled here --
 * acknowledgements on the active, the next deltas of replicated state on
 * the standby, in the steady state -- and on a standby taking a bulk copy
 * in, the copy's items, its end and the deltas after it (stored and
 * acknowledged: the active gates again once the standby has the whole
 * copy, see ha_repl_pollable); everything else waits for the event
 * loop, in order.  Cheap when nothing waits (one read).
 */
extern void ha_repl_poll(struct ha_repl *repl);
/* Whether ha_repl_poll has anything to do: the steady state, or a standby
 * taking a bulk copy in. */
extern bool ha_repl_pollable(const struct ha_repl *repl);
/* The steady state: synced, and no bulk copy, quiesce, handover or
 * takeover (the role_changed callbacks) under way -- what ha_repl_poll
 * requires, and what a module's own reads from outside its event loop
 * (e.g. of its gate's queue) must require too. */
extern bool ha_repl_steady(const struct ha_repl *repl);
/* True while more than the window is waiting for acks: producers that can
 * should stop reading input until it clears. */
extern bool ha_repl_congested(const struct ha_repl *repl);
/* Active: bring the standby current again (a new bulk). */
extern void ha_repl_resync(struct ha_repl *repl, const char *reason);
/*
 * Active, before a graceful switchover: wait until every delta is
 * committed, then compare digests; cb(ok, reason) once, within
 * HA_REPL_QUIESCE_MSEC.  Refused while the standby's backlog (below) is
 * over the limit.
 */
extern void ha_repl_quiesce(struct ha_repl *repl, ha_repl_quiesce_cb cb, void *arg);

/*
 * The standby's backlog: what its daemon has yet to act on of what it has
 * applied, in the module's own unit (e.g. BGP messages its bgpd has not
 * processed) -- what a takeover now would leave it to catch up on, the
 * new active's routes lagging meanwhile.  The standby reports it
 * (ha_repl_set_backlog: sent with the acknowledgements, and at once when
 * it changes); the active knows the last report (ha_repl_peer_backlog)
 * and refuses a graceful switchover while it is over limit (0: no limit;
 * unit names it in the refusal).  A failure cannot wait: it is taken
 * over anyway.
 */
extern void ha_repl_set_backlog(struct ha_repl *repl, uint32_t backlog);
extern uint32_t ha_repl_peer_backlog(const struct ha_repl *repl);
extern void ha_repl_set_backlog_limit(struct ha_repl *repl, uint32_t limit, const char *unit);

extern void ha_repl_status(const struct ha_repl *repl, struct ha_msg_repl_status *st);
extern enum ha_repl_state ha_repl_state(const struct ha_repl *repl);
/* Delta round trip (send -> commit ack) of the last acked delta, usec. */
extern uint32_t ha_repl_last_rtt_usec(const struct ha_repl *repl);

/* How long gated acknowledgements waited (ha_repl_gate), since the engine
 * was made: those the standby's commit released, and those let go without
 * it (the channel lost, a bulk copy or a takeover begun, the ack timeout). */
struct ha_repl_gate_stats {
	uint64_t released;	/* by the standby's commit */
	uint64_t held_usec_sum; /* their waits */
	uint64_t held_usec_max;
	uint64_t released_uncommitted;
	uint64_t ran_at_once; /* nothing to wait for (committed, or not gating) */
};
extern void ha_repl_gate_stats(const struct ha_repl *repl, struct ha_repl_gate_stats *out);

/* Compute this side's digests of every class now. */
extern void ha_repl_digests(struct ha_repl *repl, struct ha_digest_list *out);

#endif /* FRRHA_REPL_H */
