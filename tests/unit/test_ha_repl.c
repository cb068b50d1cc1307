// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the replication engine (lib/ha_repl.c): two engines, an
 * active and a standby, on the two ends of a socketpair, in one FRR event
 * loop.  Sequence numbers and cumulative commit acks, gating, flow control,
 * bulk copy with the deltas of meanwhile queued, digest comparison with one
 * resync, refusal of bad input, drain on takeover, role swap, quiesce.
 */
#include <zebra.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "frrevent.h"
#include "memory.h"
#include "monotime.h"

#include "ha_auth.h"
#include "ha_conn.h"
#include "ha_repl.h"
#include "ha_wire.h"

#define KV_SIZE	 2048
#define KV_CLASS 7
/* scopes of the table: keys 0..255, 256..511, ... (KV_SIZE / 256 of them) */
#define KV_SCOPE(key) ((key) / 256)
#define KV_SCOPES     (KV_SIZE / 256)

/* A toy module: a table key -> value, replicated. */
struct kv_side {
	struct ha_repl *repl;
	uint32_t kv[KV_SIZE];
	bool lie_about_13; /* standby: store a wrong value for key 13 */
	/* a numbered log beside the table (subtype 2): entry n must follow
	 * entry n-1, as bgpd-ha's message log */
	uint32_t log_len;
	unsigned int applied;
	unsigned int resets;
	/* standby: refuse the next delta setting these keys (0: none) */
	uint32_t refuse_key[2];
	bool diverged[KV_SCOPES];  /* refused, its deltas ignored */
	unsigned int scope_resets; /* scoped copies begun */
	unsigned int scope_items;  /* items received in scoped copies */
	bool in_scope_copy;
	unsigned int ignored; /* deltas of a diverged scope */
	/* going active: set this key and gate on its delta, as bgpd-ha's
	 * takeover sends its keepalives (0: nothing) */
	uint32_t takeover_key;
	bool takeover_gate_ran;
	bool takeover_gate_ran_at_once; /* ... before the role change went on */
	bool steady_in_role_change;	/* ha_repl_steady() in role_changed */
	/* active: each yield of the bulk walk asks to be called again this
	 * much later (0: at once); when each call came */
	uint32_t bulk_yield_ms;
	unsigned int bulk_calls;
	struct timeval bulk_call_at[32];
};

static struct event_loop *loop;
static struct kv_side A, B;

struct kv_msg {
	uint32_t key, value;
};

static uint64_t kv_set(struct kv_side *s, uint32_t key, uint32_t value);

static void kv_takeover_gate_cb(void *arg)
{
	struct kv_side *s = arg;

	s->takeover_gate_ran = true;
}

static void kv_role_changed(struct ha_repl *repl, enum ha_role role, void *arg)
{
	struct kv_side *s = arg;
	uint64_t ticket;

	s->steady_in_role_change = ha_repl_steady(repl);
	if (role != HA_ROLE_ACTIVE || !s->takeover_key)
		return;
	ticket = kv_set(s, s->takeover_key, 1);
	assert_true(ticket != 0);
	ha_repl_gate(repl, ticket, kv_takeover_gate_cb, s);
	/* (the end of the role change runs every gate anyway: the new
	 * standby's bulk copy starts; what matters is what the module does
	 * in between -- bgpd-ha adopts more sessions) */
	s->takeover_gate_ran_at_once = s->takeover_gate_ran;
}

static bool kv_bulk(struct ha_repl *repl, void **cursor, void *arg)
{
	struct kv_side *s = arg;
	uintptr_t i = (uintptr_t)*cursor;
	unsigned int n = 0;

	if (s->bulk_calls < array_size(s->bulk_call_at))
		monotime(&s->bulk_call_at[s->bulk_calls]);
	s->bulk_calls++;
	/* the log first, whole */
	if (!i)
		for (uint32_t e = 1; e <= s->log_len; e++) {
			struct kv_msg m = { .key = 0, .value = e };

			ha_repl_bulk_item(repl, KV_CLASS, 2, &m, sizeof(m));
		}
	/* yield every 100 items, as a big table would */
	for (; i < KV_SIZE && n < 100; i++) {
		struct kv_msg m = { .key = i, .value = s->kv[i] };

		if (!s->kv[i])
			continue;
		ha_repl_bulk_item(repl, KV_CLASS, 1, &m, sizeof(m));
		n++;
	}
	*cursor = (void *)i;
	if (i < KV_SIZE && s->bulk_yield_ms)
		ha_repl_bulk_yield_for(repl, s->bulk_yield_ms);
	return i >= KV_SIZE;
}

static void kv_reset(struct ha_repl *repl, void *arg)
{
	struct kv_side *s = arg;

	memset(s->kv, 0, sizeof(s->kv));
	s->log_len = 0;
	s->resets++;
}

static bool kv_apply(struct ha_repl *repl, uint8_t kind, uint16_t subtype, const uint8_t *data,
		     size_t len, char *err, size_t errlen, void *arg)
{
	struct kv_side *s = arg;
	struct kv_msg m;

	if (len != sizeof(m)) {
		snprintf(err, errlen, "bad length %zu", len);
		return false;
	}
	memcpy(&m, data, sizeof(m));
	if (subtype == 2) {
		if (m.value != s->log_len + 1) {
			snprintf(err, errlen, "log entry #%u where #%u is due", m.value,
				 s->log_len + 1);
			return false;
		}
		s->log_len++;
		return true;
	}
	if (m.key >= KV_SIZE) {
		snprintf(err, errlen, "key %u out of range", m.key);
		return false;
	}
	for (unsigned int i = 0; i < array_size(s->refuse_key); i++)
		if (s->refuse_key[i] && m.key == s->refuse_key[i] && kind == HA_DELTA_UPDATE) {
			s->refuse_key[i] = 0;
			snprintf(err, errlen, "key %u: bad value", m.key);
			return false;
		}
	if (kind == HA_DELTA_UPDATE && s->diverged[KV_SCOPE(m.key)]) {
		s->ignored++;
		return true;
	}
	if (kind == HA_DELTA_BULK_ITEM && s->in_scope_copy)
		s->scope_items++;
	s->kv[m.key] = (s->lie_about_13 && m.key == 13) ? m.value + 1 : m.value;
	s->applied++;
	return true;
}

static void kv_digest(struct ha_repl *repl, struct ha_hash *h, uint64_t *items, void *arg)
{
	struct kv_side *s = arg;

	ha_hash_update(h, &s->log_len, sizeof(s->log_len));
	for (uint32_t i = 0; i < KV_SIZE; i++) {
		if (!s->kv[i])
			continue;
		ha_hash_update(h, &i, sizeof(i));
		ha_hash_update(h, &s->kv[i], sizeof(s->kv[i]));
		(*items)++;
	}
}

static size_t kv_refused_scope(struct ha_repl *repl, uint16_t subtype, const uint8_t *data,
			       size_t len, uint8_t *scope, void *arg)
{
	struct kv_side *s = arg;
	struct kv_msg m;

	if (subtype != 1 || len != sizeof(m))
		return 0; /* the log, or garbage: the whole module */
	memcpy(&m, data, sizeof(m));
	if (m.key >= KV_SIZE)
		return 0;
	scope[0] = KV_SCOPE(m.key);
	s->diverged[scope[0]] = true;
	return 1;
}

static bool kv_scope_name(const uint8_t *scope, size_t len, char *buf, size_t buflen, void *arg)
{
	if (len != 1 || scope[0] >= KV_SCOPES)
		return false;
	snprintf(buf, buflen, "keys %u..%u", scope[0] * 256, scope[0] * 256 + 255);
	return true;
}

static void kv_scope_reset(struct ha_repl *repl, const uint8_t *scope, size_t len, void *arg)
{
	struct kv_side *s = arg;

	memset(&s->kv[scope[0] * 256], 0, 256 * sizeof(s->kv[0]));
	s->diverged[scope[0]] = false;
	s->scope_resets++;
	s->in_scope_copy = true;
}

static bool kv_scope_bulk(struct ha_repl *repl, const uint8_t *scope, size_t len, void **cursor,
			  void *arg)
{
	struct kv_side *s = arg;
	uintptr_t i = (uintptr_t)*cursor;
	unsigned int n = 0;

	if (s->bulk_calls < array_size(s->bulk_call_at))
		monotime(&s->bulk_call_at[s->bulk_calls]);
	s->bulk_calls++;
	/* yield every 50 items */
	for (; i < 256 && n < 50; i++) {
		uint32_t key = scope[0] * 256 + i;
		struct kv_msg m = { .key = key, .value = s->kv[key] };

		if (!s->kv[key])
			continue;
		ha_repl_bulk_item(repl, KV_CLASS, 1, &m, sizeof(m));
		n++;
	}
	*cursor = (void *)i;
	return i >= 256;
}

static uint64_t kv_set(struct kv_side *s, uint32_t key, uint32_t value)
{
	struct kv_msg m = { .key = key, .value = value };

	s->kv[key] = value;
	return ha_repl_send(s->repl, KV_CLASS, 1, &m, sizeof(m));
}

static void side_init(struct kv_side *s, const char *name)
{
	struct ha_repl_class cls = {
		.id = KV_CLASS,
		.name = "kv",
		.bulk = kv_bulk,
		.reset = kv_reset,
		.apply = kv_apply,
		.digest = kv_digest,
		.role_changed = kv_role_changed,
		.bulk_covers = 1u << 2,
		.refused_scope = kv_refused_scope,
		.scope_name = kv_scope_name,
		.scope_reset = kv_scope_reset,
		.scope_bulk = kv_scope_bulk,
		.arg = s,
	};

	memset(s, 0, sizeof(*s));
	s->repl = ha_repl_new(loop, name);
	ha_repl_register_class(s->repl, &cls);
}

/* ---- driving the loop ---- */

static struct event *t_tick;

static void tick(struct event *ev)
{
	event_add_timer_msec(loop, tick, NULL, 1, &t_tick);
}

typedef bool (*cond_fn)(void);

static bool run_until(cond_fn cond, int msec)
{
	struct timeval start;
	struct event ev;

	monotime(&start);
	event_add_timer_msec(loop, tick, NULL, 1, &t_tick);
	while (!cond()) {
		if (monotime_since(&start, NULL) > (int64_t)msec * 1000)
			return false;
		if (event_fetch(loop, &ev))
			event_call(&ev);
	}
	return true;
}

static bool both_synced(void)
{
	return ha_repl_state(A.repl) == HA_REPL_SYNCED && ha_repl_state(B.repl) == HA_REPL_SYNCED;
}

static int sv[2];

/* A active, B standby, on a fresh channel (authenticated). */
static void connect_sides(void)
{
	uint8_t key[HA_CHANNEL_KEY_LEN];

	memset(key, 0x5a, sizeof(key));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ha_repl_set_role(A.repl, HA_ROLE_ACTIVE);
	ha_repl_set_role(B.repl, HA_ROLE_STANDBY);
	ha_repl_attach(B.repl, sv[1], key);
	ha_repl_attach(A.repl, sv[0], key);
}

static int setup(void **state)
{
	side_init(&A, "test-a");
	side_init(&B, "test-b");
	return 0;
}

/* A standby that acknowledges each delta promptly (20 ms) but takes them
 * one at a time: a fake one, on the channel's wire protocol. */
struct slow_standby {
	struct ha_conn *conn;
	uint64_t received, acked;
	struct event *t_ack;
};

/* The one slow standby of a test, freed by teardown() even when the test
 * fails half-way (an open channel would disturb the tests after it). */
static struct slow_standby slow;
static void slow_standby_closed(struct ha_conn *conn, const char *reason, void *arg);

static int teardown(void **state)
{
	ha_repl_free(&A.repl);
	ha_repl_free(&B.repl);
	if (slow.conn)
		slow_standby_closed(slow.conn, "end of the test", &slow);
	EVENT_OFF(t_tick);
	return 0;
}

static bool kv_equal(void)
{
	return memcmp(A.kv, B.kv, sizeof(A.kv)) == 0;
}

/* ---- tests ---- */

static void test_bulk_makes_both_synced(void **state)
{
	struct ha_msg_repl_status st;

	for (uint32_t i = 1; i <= 500; i++)
		A.kv[i * 3] = i;
	connect_sides();
	assert_true(run_until(both_synced, 2000));
	assert_true(kv_equal());
	assert_int_equal(B.resets, 1);
	ha_repl_status(A.repl, &st);
	assert_int_equal(st.bulks, 1);
	assert_int_equal(st.resyncs, 0);
	assert_int_equal(st.digest, HA_DIGEST_MATCH);
	/* begin + 500 items + end + digest, all committed */
	assert_int_equal(st.sent, 503);
}

static bool gate_ran;
static unsigned int gate_order[8], gate_n;

static void gate_cb(void *arg)
{
	gate_ran = true;
	gate_order[gate_n++] = (uintptr_t)arg;
}

static bool gate_done(void)
{
	return gate_ran;
}

static bool b_has_77(void)
{
	return B.kv[77] == 7777;
}

static bool b_has_88(void)
{
	return B.kv[88] == 8;
}

static void test_gate_waits_for_commit(void **state)
{
	struct ha_repl_gate_stats gs;
	struct timeval gated_at;
	uint64_t t;

	/* no standby: a gate runs at once */
	ha_repl_set_role(A.repl, HA_ROLE_ACTIVE);
	gate_ran = false;
	t = kv_set(&A, 5, 55);
	assert_int_equal(t, 0);
	ha_repl_gate(A.repl, t, gate_cb, NULL);
	assert_true(gate_ran);
	ha_repl_gate_stats(A.repl, &gs);
	assert_int_equal(gs.ran_at_once, 1);
	assert_int_equal(gs.released, 0);

	connect_sides();
	assert_true(run_until(both_synced, 2000));
	gate_ran = false;
	gate_n = 0;
	t = kv_set(&A, 77, 7777);
	assert_true(t > 0);
	monotime(&gated_at);
	ha_repl_gate(A.repl, t, gate_cb, (void *)1);
	/* not before the standby acked it */
	assert_false(gate_ran);
	assert_true(run_until(gate_done, 1000));
	/* counted as released by the commit, its wait within what passed */
	ha_repl_gate_stats(A.repl, &gs);
	assert_int_equal(gs.released, 1);
	assert_int_equal(gs.released_uncommitted, 0);
	assert_true(gs.held_usec_sum == gs.held_usec_max);
	assert_true(gs.held_usec_max <= (uint64_t)monotime_since(&gated_at, NULL));
	/* committed means stored there; it is applied right after */
	assert_true(run_until(b_has_77, 1000));
	/* a gate on something committed already runs at once */
	gate_ran = false;
	ha_repl_gate(A.repl, t, gate_cb, (void *)2);
	assert_true(gate_ran);
	assert_int_equal(gate_n, 2);
}

/*
 * ha_repl_poll: the standby stores and acknowledges a delta, the active
 * reads the acknowledgement and releases its gate, without either event
 * loop running -- as bgpd-ha polls between bgpd's tasks.  A frame a poll
 * must not handle (a bulk copy beginning) waits for the event loop, and
 * what follows it too: nothing is handled out of order.
 */
static void test_poll_between_tasks(void **state)
{
	unsigned int resets;
	uint64_t t;

	ha_repl_set_role(A.repl, HA_ROLE_ACTIVE);
	connect_sides();
	assert_true(run_until(both_synced, 2000));
	gate_ran = false;
	t = kv_set(&A, 88, 8);
	assert_true(t > 0);
	ha_repl_gate(A.repl, t, gate_cb, NULL);
	/* the active's own poll finds nothing to do yet */
	ha_repl_poll(A.repl);
	assert_false(gate_ran);
	ha_repl_poll(B.repl);
	ha_repl_poll(A.repl);
	assert_true(gate_ran);
	/* committed on B (stored; applied by its event loop later) */
	assert_true(run_until(b_has_88, 1000));

	/* a bulk copy begins, then a delta: B's poll handles neither */
	resets = B.resets;
	ha_repl_resync(A.repl, "test");
	t = kv_set(&A, 89, 9);
	ha_repl_poll(B.repl);
	assert_int_equal(B.resets, resets);
	assert_int_equal(B.kv[89], 0);
	/* the event loop does, in order */
	assert_true(run_until(both_synced, 2000));
	assert_int_equal(B.resets, resets + 1);
	assert_int_equal(B.kv[89], 9);

	/* not while taking over: B, synced, goes active -- its module's
	 * role change (the adoptions) is no steady state to poll in */
	assert_true(ha_repl_steady(A.repl) && ha_repl_steady(B.repl));
	B.steady_in_role_change = true;
	ha_repl_set_role(A.repl, HA_ROLE_STANDBY);
	ha_repl_set_role(B.repl, HA_ROLE_ACTIVE);
	assert_false(B.steady_in_role_change);
}

/* A standby taking a bulk copy in reads it from its poll too (between the
 * items of its daemon's long tasks): the copy's items and end are stored
 * and acknowledged without its event loop -- not before its BULK_BEGIN,
 * which the event loop handles (it resets the classes). */
static void test_standby_polls_a_bulk_copy_in(void **state)
{
	struct ha_msg_repl_status before, after;
	struct timeval start;
	unsigned int polled = 0;
	struct event ev;

	for (uint32_t i = 1; i < 1500; i++)
		A.kv[i] = i;
	ha_repl_set_window(A.repl, 2000);
	connect_sides();
	/* B waits for the copy: nothing to poll yet */
	assert_false(ha_repl_pollable(B.repl));
	monotime(&start);
	event_add_timer_msec(loop, tick, NULL, 1, &t_tick);
	while (!both_synced() && monotime_since(&start, NULL) < 3000 * 1000) {
		/* the active's own poll has nothing to do during a copy */
		if (ha_repl_state(A.repl) == HA_REPL_BULK)
			assert_false(ha_repl_pollable(A.repl));
		if (ha_repl_pollable(B.repl) && ha_repl_state(B.repl) == HA_REPL_BULK) {
			ha_repl_status(B.repl, &before);
			ha_repl_poll(B.repl);
			ha_repl_status(B.repl, &after);
			if (after.committed > before.committed)
				polled++;
			/* stored, not applied: the event loop applies */
			assert_true(after.applied <= before.applied);
		}
		if (event_fetch(loop, &ev))
			event_call(&ev);
	}
	assert_true(both_synced());
	assert_true(kv_equal());
	/* one bulk, nothing refused */
	assert_int_equal(B.resets, 1);
	assert_true(polled > 0);
}

static bool a_drained(void)
{
	struct ha_msg_repl_status st;

	ha_repl_status(A.repl, &st);
	return st.committed == st.sent && !ha_repl_congested(A.repl);
}

static void test_flow_control_window(void **state)
{
	struct ha_msg_repl_status st;

	connect_sides();
	assert_true(run_until(both_synced, 2000));
	ha_repl_set_window(A.repl, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		kv_set(&A, i, i + 1);
	/* 1000 x 21 bytes do not fit into a 1000-byte window */
	assert_true(ha_repl_congested(A.repl));
	ha_repl_status(A.repl, &st);
	assert_true(st.queue > 900);
	assert_true(st.sent < 100);
	assert_true(run_until(a_drained, 3000));
	assert_true(run_until(both_synced, 1000));
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(B.kv[i], i + 1);
}

static void test_deltas_during_bulk_are_replayed(void **state)
{
	for (uint32_t i = 1; i < 1500; i++)
		A.kv[i] = i;
	connect_sides();
	/* the bulk walk has not run yet: these are queued behind it */
	for (uint32_t i = 1; i < 50; i++)
		kv_set(&A, i, 100000 + i);
	kv_set(&A, 1999, 42);
	assert_true(run_until(both_synced, 3000));
	assert_true(kv_equal());
	assert_int_equal(B.kv[10], 100010);
	assert_int_equal(B.kv[1999], 42);
}

/* A class whose bulk walk yields asking to be called again later is: the
 * walk is paused that long each time, the copy still whole and in order. */
static void test_bulk_yield_for_pauses_the_walk(void **state)
{
	struct timeval start;

	/* 250 items: three calls, two yields of 150 ms */
	for (uint32_t i = 1; i <= 250; i++)
		A.kv[i] = i;
	A.bulk_yield_ms = 150;
	monotime(&start);
	connect_sides();
	assert_true(run_until(both_synced, 3000));
	assert_true(kv_equal());
	assert_int_equal(A.bulk_calls, 3);
	assert_true(timeval_elapsed(A.bulk_call_at[1], A.bulk_call_at[0]) >= 150 * 1000);
	assert_true(timeval_elapsed(A.bulk_call_at[2], A.bulk_call_at[1]) >= 150 * 1000);
	assert_true(monotime_since(&start, NULL) >= 300 * 1000);
	assert_int_equal(B.resets, 1);
}

static bool b_log_has_9(void)
{
	return B.log_len == 9;
}

/* Log entries appended after a bulk began but before the class's bulk
 * copy was taken are in the copy: they must not be replayed after it
 * (the standby would refuse entry #n where #n+k is due, and resync again
 * and again under a steady stream of them). */
static void test_log_entries_during_bulk_not_applied_twice(void **state)
{
	struct kv_msg m;

	for (uint32_t i = 1; i < 1500; i++)
		A.kv[i] = i;
	A.log_len = 5;
	connect_sides();
	/* the bulk walk has not run yet: these go into the copy */
	for (uint32_t e = 6; e <= 8; e++) {
		m = (struct kv_msg){ .key = 0, .value = e };
		A.log_len = e;
		ha_repl_send(A.repl, KV_CLASS, 2, &m, sizeof(m));
	}
	kv_set(&A, 1999, 42);
	assert_true(run_until(both_synced, 3000));
	assert_int_equal(B.log_len, 8);
	assert_int_equal(B.kv[1999], 42);
	/* one bulk, nothing refused */
	assert_int_equal(B.resets, 1);
	/* and after it, entries follow as deltas */
	m = (struct kv_msg){ .key = 0, .value = 9 };
	A.log_len = 9;
	ha_repl_send(A.repl, KV_CLASS, 2, &m, sizeof(m));
	assert_true(run_until(b_log_has_9, 3000));
}

static bool a_detached(void)
{
	return !ha_repl_attached(A.repl);
}

/* A standby that stops acknowledging (hung: its end of the channel open,
 * nothing read) is given up after the ack timeout: the channel dropped
 * (and with it every gate run) -- a gated acknowledgement to a peer never
 * waits on a hung card for long. */
static void test_hung_standby_given_up(void **state)
{
	uint8_t key[HA_CHANNEL_KEY_LEN];
	int hung[2];

	ha_repl_set_ack_timeout(A.repl, 100);
	connect_sides();
	assert_true(run_until(both_synced, 3000));
	/* a new channel to a standby that reads nothing */
	memset(key, 0x5a, sizeof(key));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, hung), 0);
	ha_repl_attach(A.repl, hung[0], key);
	assert_true(ha_repl_attached(A.repl));
	assert_true(run_until(a_detached, 2000));
	assert_int_equal(ha_repl_state(A.repl), HA_REPL_DOWN);
	close(hung[1]);
}

/* The ack timeout shortened while a standby already hangs (a session with
 * a short hold time comes up): it holds from then on, not after the old
 * timeout. */
static void test_ack_timeout_shortened_while_hung(void **state)
{
	uint8_t key[HA_CHANNEL_KEY_LEN];
	int hung[2];

	connect_sides();
	assert_true(run_until(both_synced, 3000));
	memset(key, 0x5a, sizeof(key));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, hung), 0);
	/* a standby that reads nothing: the bulk's deltas wait, watched with
	 * the engine's 5 s */
	ha_repl_attach(A.repl, hung[0], key);
	kv_set(&A, 1, 1);
	ha_repl_set_ack_timeout(A.repl, 100);
	assert_true(run_until(a_detached, 1000));
	close(hung[1]);
}


static void slow_standby_ack(struct event *ev)
{
	struct slow_standby *ss = EVENT_ARG(ev);
	struct ha_msg_ack ack = {};
	uint8_t buf[32];
	ssize_t n;

	if (ss->acked >= ss->received)
		return;
	ack.committed = ack.applied = ++ss->acked;
	n = ha_msg_ack_encode(&ack, buf, sizeof(buf));
	assert_true(n > 0);
	ha_conn_send(ss->conn, HA_MSG_ACK, buf, n);
	if (ss->acked < ss->received)
		event_add_timer_msec(loop, slow_standby_ack, ss, 20, &ss->t_ack);
}

static bool slow_standby_frame(struct ha_conn *conn, uint8_t type, const uint8_t *payload,
			       uint32_t len, void *arg)
{
	struct slow_standby *ss = arg;
	struct ha_msg_delta d;

	if (type != HA_MSG_DELTA)
		return true;
	assert_int_equal(ha_msg_delta_decode(payload, len, &d), HA_DECODE_OK);
	ss->received = d.seq;
	if (!ss->t_ack)
		event_add_timer_msec(loop, slow_standby_ack, ss, 20, &ss->t_ack);
	return true;
}

static void slow_standby_closed(struct ha_conn *conn, const char *reason, void *arg)
{
	struct slow_standby *ss = arg;

	EVENT_OFF(ss->t_ack);
	ha_conn_free(&ss->conn);
}

/* A's channel to the slow standby, A active, one delta in flight. */
static void attach_slow_standby(void)
{
	uint8_t key[HA_CHANNEL_KEY_LEN];
	int pair[2];

	memset(&slow, 0, sizeof(slow));
	memset(key, 0x5a, sizeof(key));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
	slow.conn = ha_conn_new(loop, pair[1], "slow standby", slow_standby_frame,
				slow_standby_closed, &slow);
	ha_conn_set_auth(slow.conn, key);
	ha_repl_set_role(A.repl, HA_ROLE_ACTIVE);
	ha_repl_set_window(A.repl, 1);
	ha_repl_attach(A.repl, pair[0], key);
}

static bool a_verifying(void);
static bool gate_ran;

static void gate_ran_cb(void *arg)
{
	gate_ran = true;
}

/* A gated acknowledgement waits behind deltas the standby acknowledges
 * one by one, each well within the ack timeout (a synced standby that has
 * become slow): it must not wait longer than the ack timeout all the same
 * -- the standby is given up (the channel dropped, the gate run), as a
 * hung one. */
static void test_gate_waiting_behind_a_slow_standby_gives_it_up(void **state)
{
	struct ha_msg_repl_status st;
	uint64_t ticket = 0;

	ha_repl_set_ack_timeout(A.repl, 100);
	attach_slow_standby();
	/* the copy (empty) sent: gates hold from now on */
	assert_true(run_until(a_verifying, 1000));
	for (uint32_t i = 1; i <= 20; i++)
		ticket = kv_set(&A, i, i);
	gate_ran = false;
	ha_repl_gate(A.repl, ticket, gate_ran_cb, NULL);
	assert_false(gate_ran);
	/* 20 deltas ahead of it, 20 ms each: 400 ms; given up at 100 ms */
	assert_true(run_until(a_detached, 300));
	assert_true(gate_ran);
	ha_repl_status(A.repl, &st);
	assert_non_null(strstr(st.detail, "a gated acknowledgement waited"));
	/* let go without the commit: not counted as a wait for one */
	{
		struct ha_repl_gate_stats gs;

		ha_repl_gate_stats(A.repl, &gs);
		assert_int_equal(gs.released_uncommitted, 1);
		assert_int_equal(gs.released, 0);
	}
}

/* While a standby takes a bulk copy in, slowly, the copy queued whole on
 * the active: a delta gated now runs at once -- the standby could not
 * take over before the copy anyway -- instead of waiting behind the whole
 * copy (at 1 000 000 BGP prefixes a new standby took 12 s over it, and a
 * peer's keepalives held that long let its 9 s hold time expire); the
 * digests are compared only once the standby has acknowledged the copy's
 * end, after what was made meanwhile. */
static void test_gate_does_not_wait_for_the_bulk_copy(void **state)
{
	uint64_t ticket;

	for (uint32_t i = 1; i <= 30; i++)
		A.kv[i] = i;
	attach_slow_standby();
	/* the copy is queued at once (32 deltas), taken in over ~640 ms */
	assert_false(run_until(a_verifying, 100));
	assert_int_equal(ha_repl_state(A.repl), HA_REPL_BULK);
	ticket = kv_set(&A, 31, 31);
	gate_ran = false;
	ha_repl_gate(A.repl, ticket, gate_ran_cb, NULL);
	assert_true(gate_ran);
	/* the digests after the copy's end is acknowledged, and the change
	 * made meanwhile: the standby gets all of it before them */
	assert_true(run_until(a_verifying, 2000));
	assert_true(ha_repl_attached(A.repl));
}

/* A module's ack timeout from its peers' liveness interval: a third of
 * it, within bounds. */
static void test_ack_timeout_for(void **state)
{
	assert_int_equal(ha_repl_ack_timeout_for(0), HA_REPL_ACK_TIMEOUT_MSEC);
	assert_int_equal(ha_repl_ack_timeout_for(1000), 333);  /* OSPF dead 1 s */
	assert_int_equal(ha_repl_ack_timeout_for(3000), 1000); /* BGP hold 3 s */
	assert_int_equal(ha_repl_ack_timeout_for(9000), 3000);
	assert_int_equal(ha_repl_ack_timeout_for(180000), HA_REPL_ACK_TIMEOUT_MSEC);
	assert_int_equal(ha_repl_ack_timeout_for(300), HA_REPL_ACK_TIMEOUT_MIN_MSEC);
}

static bool a_failed(void)
{
	return ha_repl_state(A.repl) == HA_REPL_FAILED;
}

static void test_digest_mismatch_resync_once_then_failed(void **state)
{
	struct ha_msg_repl_status st;

	A.kv[13] = 1300;
	A.kv[14] = 1400;
	B.lie_about_13 = true;
	connect_sides();
	assert_true(run_until(a_failed, 3000));
	ha_repl_status(A.repl, &st);
	assert_int_equal(st.resyncs, 1);
	assert_int_equal(st.bulks, 2);
	assert_int_equal(st.digest, HA_DIGEST_MISMATCH);
	assert_non_null(strstr(st.detail, "digests differ after a resync"));
	assert_int_equal(ha_repl_state(B.repl), HA_REPL_FAILED);
}

static void test_failed_module_recovers_when_the_difference_goes(void **state)
{
	A.kv[13] = 1300;
	B.lie_about_13 = true;
	ha_repl_set_reverify(A.repl, 50);
	connect_sides();
	assert_true(run_until(a_failed, 3000));
	/* still different at the next comparisons */
	assert_false(run_until(both_synced, 300));
	/* the operator repairs the standby: the next comparison matches */
	B.lie_about_13 = false;
	B.kv[13] = 1300;
	assert_true(run_until(both_synced, 2000));
}

static bool quiesce_ok, quiesce_called;
static char quiesce_reason[256];

static void quiesce_cb(bool ok, const char *reason, void *arg)
{
	quiesce_called = true;
	quiesce_ok = ok;
	strlcpy(quiesce_reason, reason, sizeof(quiesce_reason));
}

static bool quiesce_done(void)
{
	return quiesce_called;
}

static void test_quiesce(void **state)
{
	quiesce_called = false;
	ha_repl_set_role(A.repl, HA_ROLE_ACTIVE);
	ha_repl_quiesce(A.repl, quiesce_cb, NULL);
	assert_true(quiesce_called);
	assert_false(quiesce_ok);
	assert_non_null(strstr(quiesce_reason, "no data channel"));

	connect_sides();
	assert_true(run_until(both_synced, 2000));
	kv_set(&A, 3, 33);
	quiesce_called = false;
	ha_repl_quiesce(A.repl, quiesce_cb, NULL);
	assert_false(quiesce_called);
	assert_true(run_until(quiesce_done, 2000));
	assert_true(quiesce_ok);
	assert_int_equal(B.kv[3], 33);
}

static uint32_t backlog_wanted;

static bool a_knows_the_backlog(void)
{
	return ha_repl_peer_backlog(A.repl) == backlog_wanted;
}

/* The standby's backlog reaches the active without any delta flowing, and
 * a graceful switchover is refused while it is over the limit, with the
 * figures in the reason; once it is under, the quiesce goes through. */
static void test_quiesce_refused_while_the_standby_is_behind(void **state)
{
	connect_sides();
	assert_true(run_until(both_synced, 2000));
	ha_repl_set_backlog_limit(A.repl, 1000, "test items");
	backlog_wanted = 5000;
	ha_repl_set_backlog(B.repl, 5000);
	assert_true(run_until(a_knows_the_backlog, 1000));
	quiesce_called = false;
	ha_repl_quiesce(A.repl, quiesce_cb, NULL);
	assert_true(quiesce_called);
	assert_false(quiesce_ok);
	assert_non_null(strstr(quiesce_reason, "5000 test items not processed yet (limit 1000)"));
	/* reported with the acknowledgements too */
	backlog_wanted = 999;
	ha_repl_set_backlog(B.repl, 999);
	kv_set(&A, 3, 33);
	assert_true(run_until(a_knows_the_backlog, 1000));
	quiesce_called = false;
	ha_repl_quiesce(A.repl, quiesce_cb, NULL);
	assert_true(run_until(quiesce_done, 2000));
	assert_true(quiesce_ok);
	/* a card that goes active has no backlog of its own to report, and
	 * knows none of its new standby's until it reports */
	ha_repl_set_role(A.repl, HA_ROLE_STANDBY);
	ha_repl_set_role(B.repl, HA_ROLE_ACTIVE);
	assert_int_equal(ha_repl_peer_backlog(B.repl), 0);
}

static bool b_down(void)
{
	return !ha_repl_attached(B.repl);
}

static bool a_down(void)
{
	return !ha_repl_attached(A.repl);
}

/* Frame bytes as the peer module would send them, authenticated. */
static void send_raw(int fd, uint8_t type, const uint8_t *payload, size_t len, uint64_t seq)
{
	uint8_t key[HA_CHANNEL_KEY_LEN], frame[256];

	memset(key, 0x5a, sizeof(key));
	ha_frame_hdr_encode(frame, type, len + HA_AUTH_MAC_LEN);
	memcpy(frame + HA_FRAME_HDR_LEN, payload, len);
	assert_true(ha_auth_frame_mac(key, seq, frame, HA_FRAME_HDR_LEN, payload, len,
				      frame + HA_FRAME_HDR_LEN + len));
	assert_int_equal(write(fd, frame, HA_FRAME_HDR_LEN + len + HA_AUTH_MAC_LEN),
			 (ssize_t)(HA_FRAME_HDR_LEN + len + HA_AUTH_MAC_LEN));
}

/* One engine on a socketpair in role; the test plays the peer module on
 * the other end (returned). */
static int attach_alone(struct kv_side *s, enum ha_role role)
{
	uint8_t key[HA_CHANNEL_KEY_LEN];

	memset(key, 0x5a, sizeof(key));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ha_repl_set_role(s->repl, role);
	ha_repl_attach(s->repl, sv[0], key);
	return sv[1];
}

static void test_sequence_gap_refused(void **state)
{
	struct ha_msg_delta d = { .seq = 5, .kind = HA_DELTA_UPDATE, .cls = KV_CLASS, .subtype = 1 };
	uint8_t buf[64];
	struct kv_msg m = { .key = 1, .value = 2 };
	struct ha_msg_repl_status st;
	int peer = attach_alone(&B, HA_ROLE_STANDBY);
	ssize_t n;

	n = ha_msg_delta_hdr_encode(&d, buf, sizeof(buf));
	memcpy(buf + n, &m, sizeof(m));
	/* the first delta of a channel must be #1 */
	send_raw(peer, HA_MSG_DELTA, buf, n + sizeof(m), 0);
	assert_true(run_until(b_down, 1000));
	ha_repl_status(B.repl, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.state, HA_REPL_DOWN);
	assert_non_null(strstr(st.detail, "out of sequence"));
	assert_int_equal(B.kv[1], 0);
	close(peer);
}

static void test_impossible_ack_refused(void **state)
{
	struct ha_msg_ack ack = { .committed = 1000000, .applied = 0 };
	struct ha_msg_repl_status st;
	int peer = attach_alone(&A, HA_ROLE_ACTIVE);
	uint8_t buf[20];

	assert_int_equal(ha_msg_ack_encode(&ack, buf, sizeof(buf)), sizeof(buf));
	send_raw(peer, HA_MSG_ACK, buf, sizeof(buf), 0);
	assert_true(run_until(a_down, 1000));
	ha_repl_status(A.repl, &st);
	assert_int_equal(st.refused, 1);
	close(peer);
}

static void test_forged_frame_refused(void **state)
{
	struct ha_msg_ack ack = { .committed = 0, .applied = 0 };
	int peer = attach_alone(&A, HA_ROLE_ACTIVE);
	uint8_t buf[20];

	assert_int_equal(ha_msg_ack_encode(&ack, buf, sizeof(buf)), sizeof(buf));
	/* right key, replayed sequence number (frame #7 where #0 is due) */
	send_raw(peer, HA_MSG_ACK, buf, sizeof(buf), 7);
	assert_true(run_until(a_down, 1000));
	close(peer);
}

static bool b_committed_50(void)
{
	struct ha_msg_repl_status st;

	ha_repl_status(B.repl, &st);
	return st.committed >= 4 + 50; /* begin, item, end, digest, then 50 */
}

static void test_drain_on_takeover(void **state)
{
	struct ha_msg_repl_status st;

	A.kv[1] = 1;
	connect_sides();
	assert_true(run_until(both_synced, 2000));
	for (uint32_t i = 100; i < 150; i++)
		kv_set(&A, i, i);
	/* stop as soon as the standby has stored them: one read event */
	assert_true(run_until(b_committed_50, 1000));
	ha_repl_status(B.repl, &st);
	assert_true(st.applied < st.committed);
	/* the active card dies; the standby takes over: nothing committed
	 * is lost, it is applied before the card acts as active */
	ha_repl_detach(A.repl, "card died");
	ha_repl_set_role(B.repl, HA_ROLE_ACTIVE);
	ha_repl_status(B.repl, &st);
	for (uint32_t i = 100; i < 150; i++)
		assert_int_equal(B.kv[i], i);
}

static void test_role_swap_rebulks_the_other_way(void **state)
{
	for (uint32_t i = 1; i < 300; i++)
		A.kv[i] = i;
	connect_sides();
	assert_true(run_until(both_synced, 2000));
	/* graceful switchover: the old active first goes standby */
	ha_repl_set_role(A.repl, HA_ROLE_STANDBY);
	ha_repl_set_role(B.repl, HA_ROLE_ACTIVE);
	B.kv[600] = 6;
	assert_true(run_until(both_synced, 2000));
	assert_true(kv_equal());
	assert_int_equal(A.kv[600], 6);
	assert_int_equal(A.resets, 1);
}

static bool a_reports_standby(void)
{
	struct ha_msg_repl_status st;

	ha_repl_status(A.repl, &st);
	return st.role == HA_ROLE_STANDBY;
}

static bool gate_has_run(void)
{
	return gate_ran;
}

/* What the new active gates while it takes over (inside the classes' role
 * change) runs at once, not at the role change's end: bgpd-ha's adoption
 * gives its keepalives' verdicts between its two passes, and the new
 * standby -- the old active, busy turning standby and about to get a bulk
 * copy -- would hold them otherwise.  Once taken over, gates hold again.
 * Fails without the engine's taking_over. */
static void test_gate_does_not_hold_during_a_takeover(void **state)
{
	uint64_t ticket;

	connect_sides();
	assert_true(run_until(both_synced, 2000));
	B.takeover_key = 700;
	ha_repl_set_role(A.repl, HA_ROLE_STANDBY);
	assert_true(run_until(a_reports_standby, 2000));
	ha_repl_set_role(B.repl, HA_ROLE_ACTIVE);
	assert_true(B.takeover_gate_ran_at_once);
	/* after the role change, a gate waits for the new standby's commit
	 * (once it is synced again) */
	assert_true(run_until(both_synced, 2000));
	ticket = kv_set(&B, 701, 1);
	gate_ran = false;
	ha_repl_gate(B.repl, ticket, gate_ran_cb, NULL);
	assert_false(gate_ran);
	assert_true(run_until(gate_has_run, 1000));
	assert_int_equal(A.kv[700], 1);
}

static void test_handover_flushes_before_reporting_standby(void **state)
{
	struct ha_msg_repl_status st;

	uint64_t before;

	connect_sides();
	assert_true(run_until(both_synced, 2000));
	ha_repl_status(A.repl, &st);
	before = st.sent;
	ha_repl_set_window(A.repl, 200);
	for (uint32_t i = 0; i < 300; i++)
		kv_set(&A, i, 5000 + i);
	/* hard makes the card standby while deltas are still unacknowledged */
	ha_repl_set_role(A.repl, HA_ROLE_STANDBY);
	ha_repl_status(A.repl, &st);
	assert_int_equal(st.role, HA_ROLE_ACTIVE);
	/* nothing new is replicated by a module that is no longer active */
	assert_int_equal(kv_set(&A, 1000, 1), 0);
	assert_true(run_until(a_reports_standby, 2000));
	/* by then the peer has committed every delta made while active */
	ha_repl_status(B.repl, &st);
	assert_true(st.committed == before + 300);
	ha_repl_set_role(B.repl, HA_ROLE_ACTIVE);
	for (uint32_t i = 0; i < 300; i++)
		assert_int_equal(B.kv[i], 5000 + i);
}

static void test_delta_while_active_refused(void **state)
{
	struct ha_msg_repl_status st;

	/* both think they are active (a split): neither applies the other's */
	connect_sides();
	ha_repl_set_role(B.repl, HA_ROLE_ACTIVE);
	kv_set(&A, 9, 9);
	run_until(both_synced, 200);
	assert_int_equal(B.kv[9], 0);
	ha_repl_status(B.repl, &st);
	assert_true(st.refused > 0);
}

static unsigned int kv_count_scope(const struct kv_side *s, unsigned int scope)
{
	unsigned int n = 0;

	for (unsigned int i = scope * 256; i < scope * 256 + 256; i++)
		n += s->kv[i] != 0;
	return n;
}

static bool b_resynced_scope(void)
{
	return both_synced() && B.scope_resets > 0 && kv_equal();
}

/* The standby refuses one delta: only the part of the class it belongs
 * to is copied again (not the whole module), deltas of the other parts
 * go on being applied meanwhile, and the digests match after it. */
static void test_refused_delta_resyncs_its_scope_only(void **state)
{
	struct ha_msg_repl_status a, b;

	for (uint32_t i = 1; i < KV_SIZE; i += 3)
		A.kv[i] = i;
	connect_sides();
	assert_true(run_until(both_synced, 3000));
	B.refuse_key[0] = 300; /* scope 1 */
	kv_set(&A, 300, 3000);
	kv_set(&A, 301, 3010); /* same scope, after it: builds on it */
	kv_set(&A, 10, 100);   /* other scopes */
	kv_set(&A, 1000, 10000);
	assert_true(run_until(b_resynced_scope, 3000));
	assert_int_equal(B.kv[300], 3000);
	assert_int_equal(B.kv[301], 3010);
	assert_int_equal(B.kv[10], 100);
	assert_int_equal(B.scope_resets, 1);
	/* the copy was of scope 1 alone */
	assert_int_equal(B.scope_items, kv_count_scope(&A, 1));
	assert_true(B.scope_items < 100);
	/* no bulk copy of the module, one (scoped) resync, one refusal */
	ha_repl_status(A.repl, &a);
	ha_repl_status(B.repl, &b);
	assert_int_equal(a.bulks, 1);
	assert_int_equal(b.bulks, 1);
	assert_int_equal(B.resets, 1);
	assert_int_equal(a.resyncs, 1);
	assert_int_equal(b.refused, 1);
	assert_int_equal(a.digest, HA_DIGEST_MATCH);
	/* and deltas flow as before */
	kv_set(&A, 302, 1);
	assert_true(run_until(both_synced, 1000));
	assert_true(run_until(kv_equal, 1000));
}

static bool a_copying_a_scope(void)
{
	return ha_repl_state(A.repl) == HA_REPL_BULK;
}

/* While the standby waits for a scope's copy the module is not synced:
 * the switchover check (quiesce) refuses, a gate runs at once (the
 * standby could not take over with that scope). */
static void test_not_synced_while_a_scope_is_copied(void **state)
{
	struct ha_msg_repl_status b;
	uint64_t t;

	for (uint32_t i = 256; i < 512; i++)
		A.kv[i] = i;
	connect_sides();
	assert_true(run_until(both_synced, 3000));
	B.refuse_key[0] = 300;
	kv_set(&A, 300, 2);
	assert_true(run_until(a_copying_a_scope, 2000));
	ha_repl_status(B.repl, &b);
	assert_int_not_equal(b.state, HA_REPL_SYNCED);
	assert_non_null(strstr(b.detail, "keys 256..511"));
	quiesce_called = false;
	ha_repl_quiesce(A.repl, quiesce_cb, NULL);
	assert_true(quiesce_called);
	assert_false(quiesce_ok);
	gate_ran = false;
	gate_n = 0;
	t = kv_set(&A, 5, 5);
	assert_true(t > 0);
	ha_repl_gate(A.repl, t, gate_cb, NULL);
	assert_true(gate_ran);
	assert_true(run_until(b_resynced_scope, 3000));
	assert_int_equal(B.kv[300], 2);
	assert_int_equal(B.kv[5], 5);
}

/* A second refusal before the module is synced again: it is
 * resynchronised as a whole (the channel dropped, as without scopes). */
static void test_second_refusal_resyncs_the_module(void **state)
{
	struct ha_msg_repl_status b;

	for (uint32_t i = 1; i < KV_SIZE; i += 7)
		A.kv[i] = i;
	connect_sides();
	assert_true(run_until(both_synced, 3000));
	B.refuse_key[0] = 300;
	B.refuse_key[1] = 10;
	kv_set(&A, 300, 1);
	kv_set(&A, 10, 1);
	assert_true(run_until(b_down, 2000));
	ha_repl_status(B.repl, &b);
	assert_int_equal(b.refused, 2);
	assert_int_equal(b.state, HA_REPL_DOWN);
	assert_non_null(strstr(b.detail, "key 10"));
}

static bool a_verifying(void)
{
	return ha_repl_state(A.repl) == HA_REPL_VERIFY;
}

static bool a_bulk2(void)
{
	struct ha_msg_repl_status a;

	ha_repl_status(A.repl, &a);
	return a.bulks == 2;
}

/* Resync requests the active cannot serve: one for a scope its class does
 * not have gets a bulk copy of the whole module; one from before the last
 * bulk copy is ignored (the copy contains it); one it cannot parse is
 * refused (the channel goes). */
static void test_bad_resync_requests(void **state)
{
	struct ha_msg_resync_request req = {
		.seq = 1, .cls = KV_CLASS, .scope_len = 1, .scope = { 99 }, .reason = "test"
	};
	struct ha_msg_repl_status a;
	uint8_t buf[256];
	ssize_t len;
	struct ha_msg_ack ack = { .committed = 2, .applied = 2 };
	int peer = attach_alone(&A, HA_ROLE_ACTIVE);

	/* the copy (#1 BULK_BEGIN, #2 BULK_END) taken in: the digests follow */
	len = ha_msg_ack_encode(&ack, buf, sizeof(buf));
	send_raw(peer, HA_MSG_ACK, buf, len, 0);
	assert_true(run_until(a_verifying, 1000));
	len = ha_msg_resync_request_encode(&req, buf, sizeof(buf));
	assert_true(len > 0);
	send_raw(peer, HA_MSG_RESYNC_REQUEST, buf, len, 1);
	assert_true(run_until(a_bulk2, 1000));
	/* the second copy: #4 BULK_BEGIN, #5 BULK_END (#3 the digests) */
	ack.committed = ack.applied = 5;
	len = ha_msg_ack_encode(&ack, buf, sizeof(buf));
	send_raw(peer, HA_MSG_ACK, buf, len, 2);
	assert_true(run_until(a_verifying, 1000));
	/* scope 1 of delta #2: before the bulk copy that began at #4 */
	req.seq = 2;
	req.scope[0] = 1;
	len = ha_msg_resync_request_encode(&req, buf, sizeof(buf));
	send_raw(peer, HA_MSG_RESYNC_REQUEST, buf, len, 3);
	memset(buf, 0xff, 20);
	send_raw(peer, HA_MSG_RESYNC_REQUEST, buf, 20, 4);
	assert_true(run_until(a_down, 1000));
	ha_repl_status(A.repl, &a);
	assert_int_equal(a.bulks, 2);
	assert_int_equal(a.resyncs, 1);
	assert_int_equal(a.refused, 1);
	close(peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bulk_makes_both_synced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_waits_for_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_standby_polls_a_bulk_copy_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_between_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_control_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hung_standby_given_up, setup, teardown),
		cmocka_unit_test(test_ack_timeout_for),
		cmocka_unit_test_setup_teardown(test_gate_waiting_behind_a_slow_standby_gives_it_up,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_does_not_wait_for_the_bulk_copy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ack_timeout_shortened_while_hung, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_entries_during_bulk_not_applied_twice,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_deltas_during_bulk_are_replayed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bulk_yield_for_pauses_the_walk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_digest_mismatch_resync_once_then_failed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_module_recovers_when_the_difference_goes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiesce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiesce_refused_while_the_standby_is_behind,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_gap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_impossible_ack_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_frame_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_on_takeover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_swap_rebulks_the_other_way, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gate_does_not_hold_during_a_takeover, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delta_while_active_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handover_flushes_before_reporting_standby,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_delta_resyncs_its_scope_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_synced_while_a_scope_is_copied, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_second_refusal_resyncs_the_module, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_resync_requests, setup, teardown),
	};

	loop = event_master_create("test_ha_repl");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
