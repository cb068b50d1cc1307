// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The replication engine, see ha_repl.h.
 */
#include <zebra.h>

#include "frrevent.h"
#include "log.h"
#include "memory.h"
#include "monotime.h"
#include "typesafe.h"

#include "ha_auth.h"
#include "ha_clock.h"
#include "ha_conn.h"
#include "ha_memory.h"
#include "ha_repl.h"

/* committed deltas applied per event on the standby before yielding */
#define HA_REPL_APPLY_BATCH 4096

PREDECL_DLIST(ha_deltas);
PREDECL_DLIST(ha_gates);

struct ha_delta {
	struct ha_deltas_item item;
	uint64_t seq;	 /* 0 until sent (active) */
	uint64_t ticket; /* active, UPDATE deltas: for gating */
	int64_t sent_usec;
	uint8_t kind;
	uint16_t cls, subtype;
	uint32_t len;
	/* HA_DELTA_HDR_LEN bytes of room for the header, then the data */
	uint8_t buf[];
};
DECLARE_DLIST(ha_deltas, struct ha_delta, item);

struct ha_gate {
	struct ha_gates_item item;
	uint64_t ticket;
	int64_t since_usec; /* held since */
	ha_repl_gate_cb cb;
	void *arg;
};
DECLARE_DLIST(ha_gates, struct ha_gate, item);

struct ha_repl {
	struct event_loop *loop;
	char name[32];
	enum ha_role role;
	struct ha_conn *conn;

	struct ha_repl_class classes[HA_DIGEST_MAX_CLS];
	unsigned int nclasses;
	ha_repl_status_cb status_cb;
	void *status_arg;
	size_t window;

	enum ha_repl_state state;
	enum ha_digest_status digest;
	char detail[HA_DETAIL_MAX];
	uint32_t bulks, resyncs, refused;

	/* sending (active) side */
	uint64_t tx_seq;		/* last seq put on the wire */
	uint64_t acked_seq;		/* cumulative commit ack received */
	uint64_t acked_applied;		/* ... and what the standby has applied */
	uint64_t next_ticket;		/* last ticket handed out */
	uint64_t committed_ticket;	/* highest ticket committed */
	struct ha_deltas_head inflight; /* sent, not yet acked */
	struct ha_deltas_head pending;	/* to send, in order */
	struct ha_deltas_head deferred; /* deltas that came during a bulk */
	size_t inflight_bytes, pending_bytes;
	bool bulk_running;
	/* the bulk copy queued whole (BULK_END), the standby taking it in:
	 * the digests go once it acknowledges BULK_END -- gates do not hold
	 * until then (see ha_repl_gating) */
	bool bulk_draining;
	unsigned int bulk_class;
	void *bulk_cursor;
	uint64_t bulk_from_seq;		       /* the last whole bulk copy's BULK_BEGIN */
	uint32_t bulk_items;		       /* items of the copy running */
	const struct ha_repl_class *scope_cls; /* the copy running is of one scope */
	uint8_t scope[HA_SCOPE_MAX], scope_len;
	char scope_name[64];
	struct event *t_bulk;
	/* standby: a bulk copy's BULK_BEGIN handled, the copy coming in */
	bool rx_bulk_begun;
	/* tests: the bulk copy's end held back this long, once per copy */
	uint32_t test_bulk_end_delay_ms;
	bool bulk_end_held;
	/* the class yielding its bulk asks to be called again this much
	 * later (ha_repl_bulk_yield_for; 0: at once) */
	uint32_t bulk_yield_ms;
	uint64_t digest_seq; /* the DIGEST delta whose result we wait for */
	bool resynced;	     /* the one resync of this channel is used */
	bool handover_flush; /* no longer active, still sending what it made */
	/* going active: the classes take the state over (role_changed); the
	 * peer, standby now, gets a bulk copy right after */
	bool taking_over;
	struct ha_gates_head gates;
	uint32_t last_rtt_usec;
	struct ha_repl_gate_stats gate_stats;

	ha_repl_quiesce_cb quiesce_cb;
	void *quiesce_arg;
	uint64_t quiesce_seq;
	struct event *t_quiesce;
	struct event *t_reverify; /* failed: compare again from time to time */
	unsigned int reverify_msec;

	/* receiving (standby) side */
	uint64_t rx_seq;      /* last delta committed */
	uint64_t applied_seq; /* last delta applied */
	uint64_t ack_sent_seq, ack_sent_applied;
	uint32_t backlog, ack_sent_backlog; /* standby: ha_repl_set_backlog */
	uint32_t peer_backlog;		    /* active: the standby's last report */
	uint32_t backlog_limit;		    /* active: no graceful switchover over it */
	char backlog_unit[48];
	struct ha_deltas_head committed; /* committed, not yet applied */
	struct event *t_apply, *t_ack;
	struct event *t_ack_watch; /* active: the oldest unacknowledged delta's and gate's age */
	unsigned int ack_timeout_msec;
	/* standby: a scope refused, its copy asked for (rx_scope_cls set) */
	const struct ha_repl_class *rx_scope_cls;
	char rx_scope_name[64];
	struct event *t_scope_wait;
};

static void ha_repl_pump(struct ha_repl *repl);
static void ha_repl_bulk_run(struct event *ev);
static void ha_repl_bulk_start(struct ha_repl *repl);
static void ha_repl_scope_run(struct ha_repl *repl);
static void ha_repl_handover_flushed(struct ha_repl *repl);

static void ha_repl_notify(struct ha_repl *repl, bool state_changed)
{
	if (repl->status_cb)
		repl->status_cb(repl, state_changed, repl->status_arg);
}

static void ha_repl_set_state(struct ha_repl *repl, enum ha_repl_state state, const char *fmt, ...)
	PRINTFRR(3, 4);
static void ha_repl_set_state(struct ha_repl *repl, enum ha_repl_state state, const char *fmt, ...)
{
	bool changed = repl->state != state;
	va_list ap;

	va_start(ap, fmt);
	vsnprintfrr(repl->detail, sizeof(repl->detail), fmt, ap);
	va_end(ap);
	if (state != HA_REPL_BULK)
		repl->rx_bulk_begun = false;
	if (changed)
		zlog_info("frr-ha %s: replication %s -> %s%s%s", repl->name,
			  ha_repl_state_name(repl->state), ha_repl_state_name(state),
			  repl->detail[0] ? ": " : "", repl->detail);
	repl->state = state;
	ha_repl_notify(repl, changed);
}

static struct ha_delta *ha_delta_new(uint8_t kind, uint16_t cls, uint16_t subtype, const void *data,
				     size_t len)
{
	struct ha_delta *d = XMALLOC(MTYPE_HA_DELTA, sizeof(*d) + HA_DELTA_HDR_LEN + len);

	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->cls = cls;
	d->subtype = subtype;
	d->len = len;
	if (len)
		memcpy(d->buf + HA_DELTA_HDR_LEN, data, len);
	return d;
}

static void ha_deltas_free_all(struct ha_deltas_head *head)
{
	struct ha_delta *d;

	while ((d = ha_deltas_pop(head)))
		XFREE(MTYPE_HA_DELTA, d);
}

static const struct ha_repl_class *ha_repl_class_find(const struct ha_repl *repl, uint16_t id)
{
	for (unsigned int i = 0; i < repl->nclasses; i++)
		if (repl->classes[i].id == id)
			return &repl->classes[i];
	return NULL;
}

static bool ha_repl_gating(const struct ha_repl *repl)
{
	/* (not while taking over: the new standby could not take over
	 * before its bulk copy anyway, and a takeover's first messages to
	 * the peers -- BGP's keepalives -- must not wait for the old active
	 * to commit them as it turns standby) */
	return repl->conn && repl->role == HA_ROLE_ACTIVE && !repl->taking_over &&
	       (repl->state == HA_REPL_SYNCED || repl->state == HA_REPL_VERIFY);
}

static void (*ha_repl_gates_ran)(void);

void ha_repl_set_gates_ran(void (*fn)(void))
{
	ha_repl_gates_ran = fn;
}

/* Run the gates whose delta is committed, or all of them. */
static void ha_repl_run_gates(struct ha_repl *repl, bool all)
{
	struct ha_repl_gate_stats *st = &repl->gate_stats;
	int64_t now = 0;
	struct ha_gate *g;

	while ((g = ha_gates_first(&repl->gates))) {
		if (!all && g->ticket > repl->committed_ticket)
			break;
		ha_gates_del(&repl->gates, g);
		if (g->ticket <= repl->committed_ticket) {
			uint64_t held;

			if (!now)
				now = (int64_t)ha_clock_us();
			held = now > g->since_usec ? now - g->since_usec : 0;
			st->released++;
			st->held_usec_sum += held;
			if (held > st->held_usec_max)
				st->held_usec_max = held;
		} else {
			st->released_uncommitted++;
		}
		g->cb(g->arg);
		XFREE(MTYPE_HA_GATE, g);
	}
	if (ha_repl_gates_ran)
		ha_repl_gates_ran();
}

static void ha_repl_quiesce_finish(struct ha_repl *repl, bool ok, const char *reason)
{
	ha_repl_quiesce_cb cb = repl->quiesce_cb;

	if (!cb)
		return;
	repl->quiesce_cb = NULL;
	repl->quiesce_seq = 0;
	EVENT_OFF(repl->t_quiesce);
	cb(ok, reason, repl->quiesce_arg);
}

/* Forget everything of the sending side (channel gone, role changed). */
static void ha_repl_tx_reset(struct ha_repl *repl)
{
	ha_deltas_free_all(&repl->inflight);
	ha_deltas_free_all(&repl->pending);
	ha_deltas_free_all(&repl->deferred);
	repl->inflight_bytes = repl->pending_bytes = 0;
	repl->bulk_running = false;
	repl->bulk_draining = false;
	repl->bulk_cursor = NULL;
	repl->scope_cls = NULL;
	EVENT_OFF(repl->t_bulk);
	repl->digest_seq = 0;
	EVENT_OFF(repl->t_ack_watch);
	ha_repl_run_gates(repl, true);
}

struct ha_repl *ha_repl_new(struct event_loop *loop, const char *name)
{
	struct ha_repl *repl = XCALLOC(MTYPE_HA_REPL, sizeof(*repl));

	repl->loop = loop;
	strlcpy(repl->name, name, sizeof(repl->name));
	repl->window = HA_REPL_WINDOW_DEFAULT;
	repl->reverify_msec = HA_REPL_REVERIFY_MSEC;
	repl->ack_timeout_msec = HA_REPL_ACK_TIMEOUT_MSEC;
	repl->role = HA_ROLE_INIT;
	ha_deltas_init(&repl->inflight);
	ha_deltas_init(&repl->pending);
	ha_deltas_init(&repl->deferred);
	ha_deltas_init(&repl->committed);
	ha_gates_init(&repl->gates);
	snprintf(repl->detail, sizeof(repl->detail), "no data channel to the peer module");
	return repl;
}

void ha_repl_free(struct ha_repl **replp)
{
	struct ha_repl *repl = *replp;

	if (!repl)
		return;
	repl->status_cb = NULL;
	ha_repl_quiesce_finish(repl, false, "shutting down");
	ha_conn_free(&repl->conn);
	ha_repl_tx_reset(repl);
	ha_deltas_free_all(&repl->committed);
	EVENT_OFF(repl->t_apply);
	EVENT_OFF(repl->t_ack);
	EVENT_OFF(repl->t_ack_watch);
	EVENT_OFF(repl->t_reverify);
	EVENT_OFF(repl->t_scope_wait);
	ha_deltas_fini(&repl->inflight);
	ha_deltas_fini(&repl->pending);
	ha_deltas_fini(&repl->deferred);
	ha_deltas_fini(&repl->committed);
	ha_gates_fini(&repl->gates);
	XFREE(MTYPE_HA_REPL, repl);
	*replp = NULL;
}

void ha_repl_register_class(struct ha_repl *repl, const struct ha_repl_class *cls)
{
	assert(cls->id != 0 && !ha_repl_class_find(repl, cls->id));
	assert(repl->nclasses < HA_DIGEST_MAX_CLS);
	repl->classes[repl->nclasses++] = *cls;
}

void ha_repl_set_status_cb(struct ha_repl *repl, ha_repl_status_cb cb, void *arg)
{
	repl->status_cb = cb;
	repl->status_arg = arg;
}

void ha_repl_set_reverify(struct ha_repl *repl, unsigned int msec)
{
	repl->reverify_msec = msec;
}

static void ha_repl_ack_watch(struct event *ev);

void ha_repl_set_ack_timeout(struct ha_repl *repl, unsigned int msec)
{
	repl->ack_timeout_msec = msec;
	/* a watch armed with the old timeout checks again now (and re-arms
	 * itself for what is left of the new one): a shorter timeout -- a
	 * session with a short hold time just came up -- holds at once */
	if (repl->t_ack_watch) {
		EVENT_OFF(repl->t_ack_watch);
		event_add_timer_msec(repl->loop, ha_repl_ack_watch, repl, 0, &repl->t_ack_watch);
	}
}

unsigned int ha_repl_ack_timeout_for(unsigned int liveness_msec)
{
	unsigned int msec = liveness_msec / 3;

	if (!liveness_msec || msec > HA_REPL_ACK_TIMEOUT_MSEC)
		return HA_REPL_ACK_TIMEOUT_MSEC;
	return MAX(msec, HA_REPL_ACK_TIMEOUT_MIN_MSEC);
}

void ha_repl_set_test_bulk_end_delay(struct ha_repl *repl, uint32_t msec)
{
	repl->test_bulk_end_delay_ms = msec;
}

void ha_repl_set_window(struct ha_repl *repl, size_t bytes)
{
	repl->window = bytes ? bytes : HA_REPL_WINDOW_DEFAULT;
	ha_repl_pump(repl);
}

enum ha_role ha_repl_role(const struct ha_repl *repl)
{
	return repl->role;
}

bool ha_repl_attached(const struct ha_repl *repl)
{
	return repl->conn != NULL;
}

enum ha_repl_state ha_repl_state(const struct ha_repl *repl)
{
	return repl->state;
}

uint32_t ha_repl_last_rtt_usec(const struct ha_repl *repl)
{
	return repl->last_rtt_usec;
}

void ha_repl_gate_stats(const struct ha_repl *repl, struct ha_repl_gate_stats *out)
{
	*out = repl->gate_stats;
}

/* ---- sending side ---- */

static void ha_repl_wire(struct ha_repl *repl, struct ha_delta *d)
{
	struct ha_msg_delta hdr = {
		.seq = ++repl->tx_seq,
		.kind = d->kind,
		.cls = d->cls,
		.subtype = d->subtype,
	};

	d->seq = hdr.seq;
	d->sent_usec = (int64_t)ha_clock_us();
	ha_msg_delta_hdr_encode(&hdr, d->buf, HA_DELTA_HDR_LEN);
	ha_conn_send(repl->conn, HA_MSG_DELTA, d->buf, HA_DELTA_HDR_LEN + d->len);
	ha_deltas_add_tail(&repl->inflight, d);
	repl->inflight_bytes += d->len + HA_DELTA_HDR_LEN;
	if (!repl->t_ack_watch)
		event_add_timer_msec(repl->loop, ha_repl_ack_watch, repl, repl->ack_timeout_msec,
				     &repl->t_ack_watch);
}

/*
 * Active: the standby must acknowledge what it was sent within the ack
 * timeout, and a gated acknowledgement must not wait longer than that for
 * the standby's commit -- even while the standby acknowledges steadily,
 * e.g. a bulk copy it takes in slowly, ahead of the gated delta in the
 * queue -- or the standby is given up (see HA_REPL_ACK_TIMEOUT_MSEC).
 */
static void ha_repl_ack_watch(struct event *ev)
{
	struct ha_repl *repl = EVENT_ARG(ev);
	const struct ha_delta *oldest = ha_deltas_const_first(&repl->inflight);
	const struct ha_gate *gate = ha_gates_const_first(&repl->gates);
	int64_t now = (int64_t)ha_clock_us(), age_msec = 0, gate_msec = 0;
	char reason[96];

	if ((!oldest && !gate) || !repl->conn)
		return;
	if (oldest)
		age_msec = (now - oldest->sent_usec) / 1000;
	if (gate)
		gate_msec = (now - gate->since_usec) / 1000;
	if (age_msec < repl->ack_timeout_msec && gate_msec < repl->ack_timeout_msec) {
		event_add_timer_msec(repl->loop, ha_repl_ack_watch, repl,
				     repl->ack_timeout_msec - MAX(age_msec, gate_msec),
				     &repl->t_ack_watch);
		return;
	}
	if (age_msec >= repl->ack_timeout_msec)
		snprintf(reason, sizeof(reason),
			 "the standby acknowledged nothing for %" PRId64 " ms", age_msec);
	else
		snprintf(reason, sizeof(reason),
			 "a gated acknowledgement waited %" PRId64 " ms for the standby's commit",
			 gate_msec);
	zlog_err("frr-ha %s: %s: dropping the data channel (gated acknowledgements go at once until a standby is synced again)",
		 repl->name, reason);
	ha_repl_detach(repl, reason);
}

/* Put pending deltas on the wire as far as the window allows. */
static void ha_repl_pump(struct ha_repl *repl)
{
	struct ha_delta *d;

	if (!repl->conn)
		return;
	while ((d = ha_deltas_first(&repl->pending))) {
		/* always let one through, so a delta larger than the window moves */
		if (repl->inflight_bytes && repl->inflight_bytes + d->len > repl->window)
			break;
		ha_deltas_del(&repl->pending, d);
		repl->pending_bytes -= d->len;
		ha_repl_wire(repl, d);
	}
}

static void ha_repl_enqueue(struct ha_repl *repl, struct ha_deltas_head *q, struct ha_delta *d)
{
	ha_deltas_add_tail(q, d);
	if (q == &repl->pending)
		repl->pending_bytes += d->len;
}

/* Append this side's digests as a DIGEST delta; returns its position. */
static void ha_repl_enqueue_digest(struct ha_repl *repl)
{
	struct ha_digest_list list;
	uint8_t buf[1 + HA_DIGEST_MAX_CLS * (2 + 8 + HA_DIGEST_LEN)];
	ssize_t len;

	ha_repl_digests(repl, &list);
	len = ha_digest_list_encode(&list, buf, sizeof(buf));
	assert(len > 0);
	ha_repl_enqueue(repl, &repl->pending, ha_delta_new(HA_DELTA_DIGEST, 0, 0, buf, len));
	/* its seq is known once sent: everything pending goes before it */
	repl->digest_seq = repl->tx_seq + ha_deltas_count(&repl->pending);
}

uint64_t ha_repl_send(struct ha_repl *repl, uint16_t cls, uint16_t subtype, const void *data,
		      size_t len)
{
	struct ha_delta *d;

	if (repl->role != HA_ROLE_ACTIVE || !repl->conn)
		return 0;
	d = ha_delta_new(HA_DELTA_UPDATE, cls, subtype, data, len);
	d->ticket = ++repl->next_ticket;
	if (repl->bulk_running) {
		ha_repl_enqueue(repl, &repl->deferred, d);
	} else {
		ha_repl_enqueue(repl, &repl->pending, d);
		ha_repl_pump(repl);
	}
	ha_repl_notify(repl, false);
	return d->ticket;
}

void ha_repl_bulk_item(struct ha_repl *repl, uint16_t cls, uint16_t subtype, const void *data,
		       size_t len)
{
	if (!repl->bulk_running)
		return;
	repl->bulk_items++;
	ha_repl_enqueue(repl, &repl->pending,
			ha_delta_new(HA_DELTA_BULK_ITEM, cls, subtype, data, len));
}

void ha_repl_gate(struct ha_repl *repl, uint64_t ticket, ha_repl_gate_cb cb, void *arg)
{
	struct ha_gate *g, *pos;

	if (!ticket || ticket <= repl->committed_ticket || !ha_repl_gating(repl)) {
		repl->gate_stats.ran_at_once++;
		cb(arg);
		if (ha_repl_gates_ran)
			ha_repl_gates_ran();
		return;
	}
	g = XCALLOC(MTYPE_HA_GATE, sizeof(*g));
	g->ticket = ticket;
	g->since_usec = (int64_t)ha_clock_us();
	g->cb = cb;
	g->arg = arg;
	if (!repl->t_ack_watch)
		event_add_timer_msec(repl->loop, ha_repl_ack_watch, repl, repl->ack_timeout_msec,
				     &repl->t_ack_watch);
	/* keep them ordered by ticket; nearly always this is the tail */
	pos = ha_gates_last(&repl->gates);
	while (pos && pos->ticket > ticket)
		pos = ha_gates_prev(&repl->gates, pos);
	if (pos)
		ha_gates_add_after(&repl->gates, pos, g);
	else
		ha_gates_add_head(&repl->gates, g);
}

bool ha_repl_congested(const struct ha_repl *repl)
{
	return repl->inflight_bytes + repl->pending_bytes > repl->window;
}

static void ha_repl_bulk_start(struct ha_repl *repl)
{
	repl->bulks++;
	/* what was not sent yet is contained in the bulk copy */
	ha_deltas_free_all(&repl->pending);
	ha_deltas_free_all(&repl->deferred);
	repl->pending_bytes = 0;
	repl->digest_seq = 0;
	repl->bulk_running = true;
	repl->bulk_draining = false;
	repl->bulk_end_held = false;
	repl->bulk_yield_ms = 0;
	repl->bulk_class = 0;
	repl->bulk_cursor = NULL;
	repl->bulk_items = 0;
	repl->scope_cls = NULL;
	/* BULK_BEGIN is the next delta on the wire */
	repl->bulk_from_seq = repl->tx_seq + 1;
	ha_repl_set_state(repl, HA_REPL_BULK, "bulk copy #%u to the standby", repl->bulks);
	/* no gating during a bulk: the standby could not take over anyway */
	ha_repl_run_gates(repl, true);
	ha_repl_enqueue(repl, &repl->pending, ha_delta_new(HA_DELTA_BULK_BEGIN, 0, 0, NULL, 0));
	ha_repl_pump(repl);
	event_add_event(repl->loop, ha_repl_bulk_run, repl, 0, &repl->t_bulk);
}

/* A class's bulk copy is about to be taken: its deltas made since the
 * bulk began that the copy contains go (see bulk_covers). */
static void ha_repl_drop_covered(struct ha_repl *repl, const struct ha_repl_class *cls)
{
	struct ha_delta *d, *next;

	for (d = ha_deltas_first(&repl->deferred); d; d = next) {
		next = ha_deltas_next(&repl->deferred, d);
		if (d->kind == HA_DELTA_UPDATE && d->cls == cls->id && d->subtype < 32 &&
		    (cls->bulk_covers & (1u << d->subtype))) {
			ha_deltas_del(&repl->deferred, d);
			XFREE(MTYPE_HA_DELTA, d);
		}
	}
}

/* The copy of one scope (ha_repl_scope_start), a step. */
void ha_repl_bulk_yield_for(struct ha_repl *repl, uint32_t msec)
{
	repl->bulk_yield_ms = msec;
}

/* The class yields its bulk: let the loop breathe, and call it again (at
 * once, or when it asked to be). */
static void ha_repl_bulk_yielded(struct ha_repl *repl)
{
	ha_repl_pump(repl);
	if (repl->bulk_yield_ms)
		event_add_timer_msec(repl->loop, ha_repl_bulk_run, repl, repl->bulk_yield_ms,
				     &repl->t_bulk);
	else
		event_add_event(repl->loop, ha_repl_bulk_run, repl, 0, &repl->t_bulk);
	repl->bulk_yield_ms = 0;
}

static void ha_repl_scope_run(struct ha_repl *repl)
{
	const struct ha_repl_class *cls = repl->scope_cls;
	struct ha_delta *d;

	if (repl->pending_bytes > repl->window)
		goto out; /* flow control: resume from the ack handler */
	if (!cls->scope_bulk(repl, repl->scope, repl->scope_len, &repl->bulk_cursor, cls->arg)) {
		ha_repl_bulk_yielded(repl);
		return;
	}
	repl->bulk_running = false;
	repl->scope_cls = NULL;
	ha_repl_enqueue(repl, &repl->pending,
			ha_delta_new(HA_DELTA_SCOPE_END, cls->id, 0, repl->scope, repl->scope_len));
	/* then what happened meanwhile, all of it (of other scopes too: the
	 * copy does not contain those) */
	while ((d = ha_deltas_pop(&repl->deferred)))
		ha_repl_enqueue(repl, &repl->pending, d);
	zlog_info("frr-ha %s: copy of %s %s sent to the standby: %u items", repl->name, cls->name,
		  repl->scope_name, repl->bulk_items);
	/* the digests once the standby has taken it in, as after a whole
	 * copy (see ha_repl_bulk_run) */
	repl->bulk_draining = true;
	ha_repl_set_state(repl, HA_REPL_BULK, "copy of %s %s queued, the standby taking it in",
			  cls->name, repl->scope_name);
out:
	ha_repl_pump(repl);
}

static void ha_repl_bulk_run(struct event *ev)
{
	struct ha_repl *repl = EVENT_ARG(ev);
	struct ha_delta *d;

	if (!repl->bulk_running || !repl->conn)
		return;
	if (repl->scope_cls) {
		ha_repl_scope_run(repl);
		return;
	}
	while (repl->bulk_class < repl->nclasses) {
		const struct ha_repl_class *cls = &repl->classes[repl->bulk_class];

		/* flow control: resume from the ack handler */
		if (repl->pending_bytes > repl->window)
			goto out;
		if (!repl->bulk_cursor && cls->bulk_covers)
			ha_repl_drop_covered(repl, cls);
		if (!cls->bulk || cls->bulk(repl, &repl->bulk_cursor, cls->arg)) {
			repl->bulk_class++;
			repl->bulk_cursor = NULL;
		} else {
			ha_repl_bulk_yielded(repl);
			return;
		}
	}
	if (repl->test_bulk_end_delay_ms && !repl->bulk_end_held) {
		/* (tests: the deltas made meanwhile wait, as behind a copy
		 * the standby is slow to take in) */
		repl->bulk_end_held = true;
		zlog_warn("frr-ha %s: the end of bulk copy #%u held back %u ms (a test)",
			  repl->name, repl->bulks, repl->test_bulk_end_delay_ms);
		event_add_timer_msec(repl->loop, ha_repl_bulk_run, repl,
				     repl->test_bulk_end_delay_ms, &repl->t_bulk);
		goto out;
	}
	repl->bulk_running = false;
	ha_repl_enqueue(repl, &repl->pending, ha_delta_new(HA_DELTA_BULK_END, 0, 0, NULL, 0));
	/* then what happened meanwhile, in order */
	while ((d = ha_deltas_pop(&repl->deferred)))
		ha_repl_enqueue(repl, &repl->pending, d);
	/*
	 * The digests once the standby has taken the copy in (its BULK_END
	 * acknowledged: ha_repl_rx_ack), not now: from the digests on, gates
	 * hold -- what is queued after them is not in the state they
	 * certify -- and deltas gated now would wait behind the whole copy
	 * on the channel (seconds for a large table taken in by a busy
	 * standby, longer than a peer's hold time).  Until then the standby
	 * could not take over anyway; what is made meanwhile is queued
	 * before the digests, so they cover it.
	 */
	repl->bulk_draining = true;
	ha_repl_set_state(repl, HA_REPL_BULK, "bulk copy #%u queued, the standby taking it in",
			  repl->bulks);
out:
	ha_repl_pump(repl);
}

void ha_repl_resync(struct ha_repl *repl, const char *reason)
{
	if (repl->role != HA_ROLE_ACTIVE || !repl->conn)
		return;
	zlog_warn("frr-ha %s: resynchronising the standby: %s", repl->name, reason);
	repl->resyncs++;
	ha_repl_bulk_start(repl);
}

/* Active: copy one scope of cls to the standby again (it refused delta
 * #seq of it).  Deltas not sent yet stay queued (they are of other scopes
 * too, and the standby ignores the scope's until the copy begins). */
static void ha_repl_scope_start(struct ha_repl *repl, const struct ha_repl_class *cls,
				const struct ha_msg_resync_request *req, const char *name)
{
	zlog_warn("frr-ha %s: the standby refused %s delta #%" PRIu64
		  " (%s): copying %s to it again",
		  repl->name, cls->name, req->seq, req->reason, name);
	repl->resyncs++;
	ha_repl_quiesce_finish(repl, false, "the standby is resynchronising part of its state");
	EVENT_OFF(repl->t_reverify);
	repl->digest_seq = 0; /* a comparison under way is superseded */
	repl->bulk_running = true;
	repl->bulk_draining = false;
	repl->bulk_cursor = NULL;
	repl->bulk_items = 0;
	repl->scope_cls = cls;
	memcpy(repl->scope, req->scope, req->scope_len);
	repl->scope_len = req->scope_len;
	strlcpy(repl->scope_name, name, sizeof(repl->scope_name));
	ha_repl_set_state(repl, HA_REPL_BULK, "copying %s %s to the standby again", cls->name, name);
	/* as during a bulk: the standby could not take over with the scope */
	ha_repl_run_gates(repl, true);
	ha_repl_enqueue(repl, &repl->pending,
			ha_delta_new(HA_DELTA_SCOPE_BEGIN, cls->id, 0, req->scope, req->scope_len));
	ha_repl_pump(repl);
	event_add_event(repl->loop, ha_repl_bulk_run, repl, 0, &repl->t_bulk);
}

static bool ha_repl_rx_resync_request(struct ha_repl *repl, const uint8_t *payload, uint32_t len)
{
	struct ha_msg_resync_request req;
	const struct ha_repl_class *cls;
	char name[64], why[HA_DETAIL_MAX + 64];

	if (ha_msg_resync_request_decode(payload, len, &req) != HA_DECODE_OK ||
	    req.seq > repl->tx_seq) {
		zlog_err("frr-ha %s: refusing a malformed resync request from the peer module",
			 repl->name);
		repl->refused++;
		ha_repl_detach(repl, "peer module sent a malformed resync request");
		return false;
	}
	if (repl->role != HA_ROLE_ACTIVE || repl->handover_flush) {
		zlog_info("frr-ha %s: resync request for delta #%" PRIu64
			  " ignored: this card is not active",
			  repl->name, req.seq);
		return true;
	}
	if (req.seq < repl->bulk_from_seq) {
		zlog_info("frr-ha %s: resync request for delta #%" PRIu64
			  " ignored: a bulk copy from #%" PRIu64 " supersedes it",
			  repl->name, req.seq, repl->bulk_from_seq);
		return true;
	}
	cls = ha_repl_class_find(repl, req.cls);
	snprintf(why, sizeof(why), "the standby refused delta #%" PRIu64 " (%s)", req.seq,
		 req.reason);
	if (!cls || !cls->scope_bulk || !cls->scope_name ||
	    !cls->scope_name(req.scope, req.scope_len, name, sizeof(name), cls->arg)) {
		zlog_err("frr-ha %s: the standby asks for a part of class %u this module cannot copy alone",
			 repl->name, req.cls);
		ha_repl_resync(repl, why);
		return true;
	}
	if (repl->bulk_running) {
		/* one copy at a time: the whole module, then */
		ha_repl_resync(repl, why);
		return true;
	}
	ha_repl_scope_start(repl, cls, &req, name);
	return true;
}

static void ha_repl_quiesce_timeout(struct event *ev)
{
	struct ha_repl *repl = EVENT_ARG(ev);

	ha_repl_quiesce_finish(repl, false, "standby did not confirm its digests in time");
}

void ha_repl_quiesce(struct ha_repl *repl, ha_repl_quiesce_cb cb, void *arg)
{
	char why[HA_DETAIL_MAX + 64];

	if (repl->quiesce_cb) {
		cb(false, "a quiesce is already in progress", arg);
		return;
	}
	if (repl->role != HA_ROLE_ACTIVE) {
		cb(false, "this card is not active", arg);
		return;
	}
	if (!repl->conn) {
		cb(false, "no data channel to the standby module", arg);
		return;
	}
	if (repl->state != HA_REPL_SYNCED) {
		snprintf(why, sizeof(why), "replication is %s (%s)",
			 ha_repl_state_name(repl->state), repl->detail);
		cb(false, why, arg);
		return;
	}
	if (repl->backlog_limit && repl->peer_backlog > repl->backlog_limit) {
		snprintf(why, sizeof(why),
			 "the standby has %u %s not processed yet (limit %u): retry once it caught up",
			 repl->peer_backlog, repl->backlog_unit, repl->backlog_limit);
		cb(false, why, arg);
		return;
	}
	repl->quiesce_cb = cb;
	repl->quiesce_arg = arg;
	for (unsigned int i = 0; i < repl->nclasses; i++)
		if (repl->classes[i].handover)
			repl->classes[i].handover(repl, repl->classes[i].arg);
	ha_repl_enqueue_digest(repl);
	repl->quiesce_seq = repl->digest_seq;
	ha_repl_pump(repl);
	event_add_timer_msec(repl->loop, ha_repl_quiesce_timeout, repl, HA_REPL_QUIESCE_MSEC,
			     &repl->t_quiesce);
}

static bool ha_repl_rx_ack(struct ha_repl *repl, const uint8_t *payload, uint32_t len)
{
	struct ha_msg_ack ack;
	struct ha_delta *d;
	bool any = false, bulk_taken = false;

	if (ha_msg_ack_decode(payload, len, &ack) != HA_DECODE_OK || ack.committed > repl->tx_seq ||
	    ack.committed < repl->acked_seq) {
		zlog_err("frr-ha %s: refusing ack from the peer module (committed %" PRIu64
			 ", sent %" PRIu64 ", acked before %" PRIu64 "): closing the data channel",
			 repl->name, ack.committed, repl->tx_seq, repl->acked_seq);
		repl->refused++;
		ha_repl_detach(repl, "peer module sent an impossible ack");
		return false;
	}
	repl->acked_seq = ack.committed;
	repl->acked_applied = ack.applied;
	repl->peer_backlog = ack.backlog;
	while ((d = ha_deltas_first(&repl->inflight)) && d->seq <= ack.committed) {
		ha_deltas_del(&repl->inflight, d);
		repl->inflight_bytes -= d->len + HA_DELTA_HDR_LEN;
		if (d->ticket)
			repl->committed_ticket = d->ticket;
		if ((d->kind == HA_DELTA_BULK_END || d->kind == HA_DELTA_SCOPE_END) &&
		    repl->bulk_draining)
			bulk_taken = true;
		repl->last_rtt_usec = (uint32_t)((int64_t)ha_clock_us() - d->sent_usec);
		XFREE(MTYPE_HA_DELTA, d);
		any = true;
	}
	if (bulk_taken) {
		/* the standby has the copy: the digests follow what was made
		 * meanwhile (see ha_repl_bulk_run) */
		repl->bulk_draining = false;
		ha_repl_enqueue_digest(repl);
		ha_repl_set_state(repl, HA_REPL_VERIFY,
				  "copy taken in by the standby, comparing digests");
	}
	if (any)
		ha_repl_run_gates(repl, false);
	/* armed again by the next delta sent or gate held */
	if (!ha_deltas_count(&repl->inflight) && !ha_gates_count(&repl->gates))
		EVENT_OFF(repl->t_ack_watch);
	ha_repl_pump(repl);
	if (repl->handover_flush && !ha_deltas_count(&repl->inflight) &&
	    !ha_deltas_count(&repl->pending)) {
		ha_repl_handover_flushed(repl);
		return true;
	}
	if (repl->bulk_running && !repl->t_bulk)
		event_add_event(repl->loop, ha_repl_bulk_run, repl, 0, &repl->t_bulk);
	ha_repl_notify(repl, false);
	return true;
}

/* Handing over, every delta made while active is committed on the peer:
 * now act as standby (and say so: hard waits for it). */
static void ha_repl_handover_flushed(struct ha_repl *repl)
{
	repl->handover_flush = false;
	ha_repl_tx_reset(repl);
	if (repl->conn)
		ha_repl_set_state(repl, HA_REPL_BULK, "waiting for the bulk copy from the active");
	ha_repl_notify(repl, true);
}

static void ha_repl_reverify(struct event *ev)
{
	struct ha_repl *repl = EVENT_ARG(ev);

	if (repl->state != HA_REPL_FAILED || !repl->conn || repl->role != HA_ROLE_ACTIVE ||
	    repl->digest_seq)
		return;
	ha_repl_enqueue_digest(repl);
	ha_repl_pump(repl);
}

static bool ha_repl_rx_digest_result(struct ha_repl *repl, const uint8_t *payload, uint32_t len)
{
	struct ha_msg_digest_result res;
	const struct ha_repl_class *cls;

	if (ha_msg_digest_result_decode(payload, len, &res) != HA_DECODE_OK ||
	    res.seq > repl->tx_seq) {
		zlog_err("frr-ha %s: refusing a malformed digest result from the peer module",
			 repl->name);
		repl->refused++;
		ha_repl_detach(repl, "peer module sent a malformed digest result");
		return false;
	}
	if (res.seq == repl->quiesce_seq) {
		if (res.match)
			ha_repl_quiesce_finish(repl, true, "digests match");
		else
			ha_repl_quiesce_finish(repl, false, "digests differ");
	}
	if (res.seq != repl->digest_seq)
		return true; /* superseded by a newer comparison */
	repl->digest_seq = 0;
	if (res.match) {
		repl->digest = HA_DIGEST_MATCH;
		ha_repl_set_state(repl, HA_REPL_SYNCED, "%s", "");
		return true;
	}
	repl->digest = HA_DIGEST_MISMATCH;
	cls = ha_repl_class_find(repl, res.cls);
	if (repl->state == HA_REPL_FAILED) {
		/* a periodic comparison: still different */
		snprintfrr(repl->detail, sizeof(repl->detail), "digests still differ (%s: %s)",
			   cls ? cls->name : "?", res.detail);
		event_add_timer_msec(repl->loop, ha_repl_reverify, repl, repl->reverify_msec,
				     &repl->t_reverify);
		return true;
	}
	zlog_warn("frr-ha %s: the standby's state differs from the active's in %s: %s", repl->name,
		  cls ? cls->name : "an unknown class", res.detail);
	if (!repl->resynced) {
		repl->resynced = true;
		repl->resyncs++;
		ha_repl_bulk_start(repl);
		return true;
	}
	ha_repl_set_state(repl, HA_REPL_FAILED, "digests differ after a resync (%s: %s)",
			  cls ? cls->name : "?", res.detail);
	/* the difference may go away (an operator removes it, the active's
	 * daemon gets its configuration): compare again now and then */
	event_add_timer_msec(repl->loop, ha_repl_reverify, repl, repl->reverify_msec,
			     &repl->t_reverify);
	return true;
}

/* ---- receiving side ---- */

static void ha_repl_send_ack_now(struct ha_repl *repl)
{
	struct ha_msg_ack ack = { .committed = repl->rx_seq,
				  .applied = repl->applied_seq,
				  .backlog = repl->backlog };
	uint8_t buf[20];

	if (!repl->conn ||
	    (ack.committed == repl->ack_sent_seq && ack.applied == repl->ack_sent_applied &&
	     ack.backlog == repl->ack_sent_backlog))
		return;
	ha_msg_ack_encode(&ack, buf, sizeof(buf));
	ha_conn_send(repl->conn, HA_MSG_ACK, buf, sizeof(buf));
	repl->ack_sent_seq = ack.committed;
	repl->ack_sent_applied = ack.applied;
	repl->ack_sent_backlog = ack.backlog;
}

void ha_repl_set_backlog(struct ha_repl *repl, uint32_t backlog)
{
	repl->backlog = backlog;
	if (repl->role != HA_ROLE_ACTIVE)
		ha_repl_send_ack_now(repl);
}

uint32_t ha_repl_peer_backlog(const struct ha_repl *repl)
{
	return repl->peer_backlog;
}

void ha_repl_set_backlog_limit(struct ha_repl *repl, uint32_t limit, const char *unit)
{
	repl->backlog_limit = limit;
	strlcpy(repl->backlog_unit, unit, sizeof(repl->backlog_unit));
}

static void ha_repl_send_ack(struct event *ev)
{
	ha_repl_send_ack_now(EVENT_ARG(ev));
}

static void ha_repl_refuse(struct ha_repl *repl, const char *fmt, ...) PRINTFRR(2, 3);
static void ha_repl_refuse(struct ha_repl *repl, const char *fmt, ...)
{
	char why[HA_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintfrr(why, sizeof(why), fmt, ap);
	va_end(ap);
	repl->refused++;
	zlog_err("frr-ha %s: refusing replicated state: %s; dropping the channel so that the active resynchronises",
		 repl->name, why);
	ha_repl_detach(repl, why);
}

static void ha_repl_compare_digests(struct ha_repl *repl, struct ha_delta *d)
{
	struct ha_digest_list theirs, ours;
	struct ha_msg_digest_result res = { .seq = d->seq, .match = 1 };
	uint8_t buf[16 + HA_DETAIL_MAX];
	ssize_t len;

	if (ha_digest_list_decode(d->buf + HA_DELTA_HDR_LEN, d->len, &theirs) != HA_DECODE_OK) {
		res.match = 0;
		snprintf(res.detail, sizeof(res.detail), "malformed digest list");
	} else {
		ha_repl_digests(repl, &ours);
		for (unsigned int i = 0; i < ours.count && res.match; i++) {
			unsigned int j;

			for (j = 0; j < theirs.count; j++)
				if (theirs.entry[j].cls == ours.entry[i].cls)
					break;
			res.cls = ours.entry[i].cls;
			if (j == theirs.count) {
				res.match = 0;
				snprintf(res.detail, sizeof(res.detail),
					 "the active does not replicate class %u",
					 ours.entry[i].cls);
			} else if (theirs.entry[j].items != ours.entry[i].items ||
				   memcmp(theirs.entry[j].digest, ours.entry[i].digest,
					  HA_DIGEST_LEN)) {
				res.match = 0;
				snprintf(res.detail, sizeof(res.detail),
					 "%" PRIu64 " items here, %" PRIu64 " on the active%s",
					 ours.entry[i].items, theirs.entry[j].items,
					 theirs.entry[j].items == ours.entry[i].items
						 ? ", contents differ"
						 : "");
			}
		}
		if (res.match && theirs.count != ours.count) {
			res.match = 0;
			res.cls = 0;
			snprintf(res.detail, sizeof(res.detail),
				 "the active replicates %u classes, this module %u", theirs.count,
				 ours.count);
		}
	}
	repl->digest = res.match ? HA_DIGEST_MATCH : HA_DIGEST_MISMATCH;
	if (res.match)
		ha_repl_set_state(repl, HA_REPL_SYNCED, "%s", "");
	else
		ha_repl_set_state(repl, HA_REPL_FAILED, "digest differs from the active's: %s",
				  res.detail);
	len = ha_msg_digest_result_encode(&res, buf, sizeof(buf));
	assert(len > 0);
	ha_conn_send(repl->conn, HA_MSG_DIGEST_RESULT, buf, len);
}

static void ha_repl_scope_wait_expired(struct event *ev)
{
	struct ha_repl *repl = EVENT_ARG(ev);

	if (!repl->rx_scope_cls)
		return;
	ha_repl_refuse(repl, "the active did not begin the copy of %s %s within %u ms",
		       repl->rx_scope_cls->name, repl->rx_scope_name, HA_REPL_SCOPE_WAIT_MSEC);
}

/* Standby: forget a scope asked for (a bulk copy or a role supersedes it). */
static void ha_repl_rx_scope_clear(struct ha_repl *repl)
{
	repl->rx_scope_cls = NULL;
	EVENT_OFF(repl->t_scope_wait);
}

/*
 * Standby: cls refused delta d (err says why).  A class that can copy the
 * part of its state d belongs to alone has the active do that, in the
 * synced state, one scope at a time; returns false when the whole module
 * is to be resynchronised instead.
 */
static bool ha_repl_request_scope(struct ha_repl *repl, const struct ha_repl_class *cls,
				  const struct ha_delta *d, const char *err)
{
	struct ha_msg_resync_request req = { .seq = d->seq, .cls = cls->id };
	uint8_t buf[HA_MSG_CONTROL_MAX];
	char name[64];
	size_t slen;
	ssize_t len;

	if (!cls->refused_scope || !cls->scope_name || !cls->scope_reset ||
	    d->kind != HA_DELTA_UPDATE || repl->state != HA_REPL_SYNCED || repl->rx_scope_cls ||
	    !repl->conn)
		return false;
	slen = cls->refused_scope(repl, d->subtype, d->buf + HA_DELTA_HDR_LEN, d->len, req.scope,
				  cls->arg);
	if (!slen || slen > HA_SCOPE_MAX ||
	    !cls->scope_name(req.scope, slen, name, sizeof(name), cls->arg))
		return false;
	req.scope_len = slen;
	strlcpy(req.reason, err, sizeof(req.reason));
	len = ha_msg_resync_request_encode(&req, buf, sizeof(buf));
	if (len < 0)
		return false;
	repl->refused++;
	zlog_err("frr-ha %s: refusing replicated state: %s delta #%" PRIu64
		 " (type %u): %s; asking the active to copy %s again",
		 repl->name, cls->name, d->seq, d->subtype, err, name);
	ha_conn_send(repl->conn, HA_MSG_RESYNC_REQUEST, buf, len);
	repl->rx_scope_cls = cls;
	strlcpy(repl->rx_scope_name, name, sizeof(repl->rx_scope_name));
	repl->digest = HA_DIGEST_NONE;
	ha_repl_set_state(repl, HA_REPL_BULK,
			  "refused delta #%" PRIu64 ", waiting for a copy of %s %s", d->seq,
			  cls->name, name);
	event_add_timer_msec(repl->loop, ha_repl_scope_wait_expired, repl, HA_REPL_SCOPE_WAIT_MSEC,
			     &repl->t_scope_wait);
	return true;
}

/* Standby: SCOPE_BEGIN or SCOPE_END of the class's copy of a scope;
 * false if it is none the class knows. */
static bool ha_repl_rx_scope_delta(struct ha_repl *repl, const struct ha_delta *d)
{
	const struct ha_repl_class *cls = ha_repl_class_find(repl, d->cls);
	const uint8_t *scope = d->buf + HA_DELTA_HDR_LEN;
	char name[64];

	if (!cls || !cls->scope_reset || !cls->scope_name || !d->len || d->len > HA_SCOPE_MAX ||
	    !cls->scope_name(scope, d->len, name, sizeof(name), cls->arg)) {
		ha_repl_refuse(repl, "%s #%" PRIu64 " of class %u: no such scope here",
			       ha_delta_kind_name(d->kind), d->seq, d->cls);
		return false;
	}
	if (d->kind == HA_DELTA_SCOPE_BEGIN) {
		EVENT_OFF(repl->t_scope_wait);
		cls->scope_reset(repl, scope, d->len, cls->arg);
		zlog_info("frr-ha %s: receiving a copy of %s %s", repl->name, cls->name, name);
		ha_repl_set_state(repl, HA_REPL_BULK, "receiving a copy of %s %s", cls->name, name);
	} else {
		ha_repl_rx_scope_clear(repl);
		ha_repl_set_state(repl, HA_REPL_VERIFY,
				  "copy of %s %s received, waiting for the digests", cls->name,
				  name);
	}
	return true;
}

/* Apply committed deltas; all of them if drain, else one batch. */
static void ha_repl_apply_some(struct ha_repl *repl, bool drain)
{
	unsigned int n = 0;
	struct ha_delta *d;

	while ((d = ha_deltas_first(&repl->committed))) {
		const struct ha_repl_class *cls;
		char err[HA_DETAIL_MAX] = "";

		if (!drain && n++ >= HA_REPL_APPLY_BATCH)
			break; /* ha_repl_apply_event comes back for the rest */
		ha_deltas_del(&repl->committed, d);
		switch (d->kind) {
		case HA_DELTA_UPDATE:
		case HA_DELTA_BULK_ITEM:
			cls = ha_repl_class_find(repl, d->cls);
			if (!cls) {
				repl->applied_seq = d->seq;
				if (repl->conn)
					ha_repl_refuse(repl,
						       "delta #%" PRIu64 " of unknown class %u",
						       d->seq, d->cls);
				XFREE(MTYPE_HA_DELTA, d);
				ha_deltas_free_all(&repl->committed);
				goto out;
			}
			if (!cls->apply(repl, d->kind, d->subtype, d->buf + HA_DELTA_HDR_LEN,
					d->len, err, sizeof(err), cls->arg)) {
				repl->applied_seq = d->seq;
				if (ha_repl_request_scope(repl, cls, d, err))
					break; /* the others go on */
				if (repl->conn)
					ha_repl_refuse(repl, "%s delta #%" PRIu64 " (type %u): %s",
						       cls->name, d->seq, d->subtype, err);
				else
					zlog_err("frr-ha %s: %s delta #%" PRIu64 " refused: %s",
						 repl->name, cls->name, d->seq, err);
				/* what follows builds on it: wait for the resync */
				XFREE(MTYPE_HA_DELTA, d);
				ha_deltas_free_all(&repl->committed);
				goto out;
			}
			repl->applied_seq = d->seq;
			break;
		case HA_DELTA_BULK_END:
			repl->applied_seq = d->seq;
			if (repl->conn)
				ha_repl_set_state(repl, HA_REPL_VERIFY,
						  "bulk copy received, waiting for the digests");
			break;
		case HA_DELTA_DIGEST:
			repl->applied_seq = d->seq;
			if (repl->conn)
				ha_repl_compare_digests(repl, d);
			break;
		case HA_DELTA_SCOPE_BEGIN:
		case HA_DELTA_SCOPE_END:
			repl->applied_seq = d->seq;
			if (!repl->conn)
				break; /* a copy cut short: the next channel's bulk */
			if (!ha_repl_rx_scope_delta(repl, d)) {
				XFREE(MTYPE_HA_DELTA, d);
				ha_deltas_free_all(&repl->committed);
				goto out;
			}
			break;
		default:
			repl->applied_seq = d->seq;
			break;
		}
		XFREE(MTYPE_HA_DELTA, d);
	}
out:
	if (repl->conn && !repl->t_ack)
		event_add_event(repl->loop, ha_repl_send_ack, repl, 0, &repl->t_ack);
	ha_repl_notify(repl, false);
}

static void ha_repl_apply_event(struct event *ev)
{
	struct ha_repl *repl = EVENT_ARG(ev);

	ha_repl_apply_some(repl, false);
	if (ha_deltas_count(&repl->committed))
		event_add_event(repl->loop, ha_repl_apply_event, repl, 0, &repl->t_apply);
}

static bool ha_repl_rx_delta(struct ha_repl *repl, const uint8_t *payload, uint32_t len)
{
	struct ha_msg_delta m;
	struct ha_delta *d;

	if (ha_msg_delta_decode(payload, len, &m) != HA_DECODE_OK) {
		ha_repl_refuse(repl, "malformed delta");
		return false;
	}
	if (repl->role == HA_ROLE_ACTIVE) {
		/* two actives: never apply the other's state over ours */
		repl->refused++;
		zlog_err("frr-ha %s: refusing %s delta #%" PRIu64
			 " from the peer module: this card is active",
			 repl->name, ha_delta_kind_name(m.kind), m.seq);
		return true;
	}
	if (m.seq != repl->rx_seq + 1) {
		ha_repl_refuse(repl, "delta #%" PRIu64 " out of sequence (expected #%" PRIu64 ")",
			       m.seq, repl->rx_seq + 1);
		return false;
	}
	repl->rx_seq = m.seq;
	if (m.kind == HA_DELTA_BULK_BEGIN) {
		/* what is not applied yet is superseded by the bulk copy */
		ha_deltas_free_all(&repl->committed);
		ha_repl_rx_scope_clear(repl);
		for (unsigned int i = 0; i < repl->nclasses; i++)
			if (repl->classes[i].reset)
				repl->classes[i].reset(repl, repl->classes[i].arg);
		repl->applied_seq = m.seq;
		repl->bulks++;
		repl->digest = HA_DIGEST_NONE;
		ha_repl_set_state(repl, HA_REPL_BULK, "receiving bulk copy #%u", repl->bulks);
		repl->rx_bulk_begun = true;
		return true;
	}
	d = ha_delta_new(m.kind, m.cls, m.subtype, m.data, m.len);
	d->seq = m.seq;
	ha_deltas_add_tail(&repl->committed, d);
	if (!repl->t_apply)
		event_add_event(repl->loop, ha_repl_apply_event, repl, 0, &repl->t_apply);
	return true;
}

/* The frames of one read are stored: one cumulative ack for all of them,
 * right away (the active's gates wait for it). */
static void ha_repl_batch_done(struct ha_conn *conn, void *arg)
{
	struct ha_repl *repl = arg;

	EVENT_OFF(repl->t_ack);
	ha_repl_send_ack_now(repl);
}

static bool ha_repl_frame(struct ha_conn *conn, uint8_t type, const uint8_t *payload, uint32_t len,
			  void *arg)
{
	struct ha_repl *repl = arg;

	switch (type) {
	case HA_MSG_DELTA:
		return ha_repl_rx_delta(repl, payload, len);
	case HA_MSG_ACK:
		return ha_repl_rx_ack(repl, payload, len);
	case HA_MSG_DIGEST_RESULT:
		return ha_repl_rx_digest_result(repl, payload, len);
	case HA_MSG_RESYNC_REQUEST:
		return ha_repl_rx_resync_request(repl, payload, len);
	default:
		ha_repl_refuse(repl, "unexpected %s message on the data channel",
			       ha_msg_type_name(type));
		return false;
	}
}

/*
 * What ha_repl_poll handles at once: in the steady state only (synced, no
 * bulk copy, quiesce or handover under way), the active's acknowledgements
 * that are possible and the standby's next delta of replicated state --
 * nothing that could refuse, resynchronise or change the channel or the
 * roles, which the event loop does.
 */
bool ha_repl_steady(const struct ha_repl *repl)
{
	return repl->state == HA_REPL_SYNCED && !repl->quiesce_cb && !repl->handover_flush &&
	       !repl->bulk_running && !repl->taking_over;
}

/* A standby taking a bulk copy in (its BULK_BEGIN handled: the classes
 * were reset by the event loop). */
static bool ha_repl_taking_bulk(const struct ha_repl *repl)
{
	return repl->role == HA_ROLE_STANDBY && repl->state == HA_REPL_BULK &&
	       repl->rx_bulk_begun && !repl->taking_over;
}

bool ha_repl_pollable(const struct ha_repl *repl)
{
	return repl->conn && (ha_repl_steady(repl) || ha_repl_taking_bulk(repl));
}

static bool ha_repl_frame_pollable(struct ha_conn *conn, uint8_t type, const uint8_t *payload,
				   uint32_t len, void *arg)
{
	struct ha_repl *repl = arg;

	if (ha_repl_taking_bulk(repl)) {
		/* the copy's items, its end and what follows: only stored
		 * here (applied, and a DIGEST compared, by the event loop);
		 * it is the active that waits for them -- its gates hold
		 * again once the standby has the whole copy */
		struct ha_msg_delta m;

		return type == HA_MSG_DELTA &&
		       ha_msg_delta_decode(payload, len, &m) == HA_DECODE_OK &&
		       m.seq == repl->rx_seq + 1 &&
		       (m.kind == HA_DELTA_UPDATE || m.kind == HA_DELTA_BULK_ITEM ||
			m.kind == HA_DELTA_BULK_END);
	}
	if (!ha_repl_steady(repl))
		return false;
	if (type == HA_MSG_ACK && repl->role == HA_ROLE_ACTIVE) {
		struct ha_msg_ack ack;

		return ha_msg_ack_decode(payload, len, &ack) == HA_DECODE_OK &&
		       ack.committed <= repl->tx_seq && ack.committed >= repl->acked_seq;
	}
	if (type == HA_MSG_DELTA && repl->role != HA_ROLE_ACTIVE) {
		struct ha_msg_delta m;

		return ha_msg_delta_decode(payload, len, &m) == HA_DECODE_OK &&
		       m.kind == HA_DELTA_UPDATE && m.seq == repl->rx_seq + 1;
	}
	return false;
}

void ha_repl_poll(struct ha_repl *repl)
{
	if (repl->conn)
		ha_conn_poll(repl->conn, ha_repl_frame_pollable);
}

static void ha_repl_conn_closed(struct ha_conn *conn, const char *reason, void *arg)
{
	struct ha_repl *repl = arg;

	zlog_warn("frr-ha %s: data channel to the peer module closed: %s", repl->name, reason);
	ha_repl_detach(repl, reason);
}

/* ---- channel and role ---- */

void ha_repl_attach(struct ha_repl *repl, int fd, const uint8_t *key)
{
	char name[64];

	if (repl->conn) {
		zlog_info("frr-ha %s: data channel replaced by a new one", repl->name);
		ha_conn_free(&repl->conn);
		repl->handover_flush = false;
		EVENT_OFF(repl->t_ack);
		ha_repl_tx_reset(repl);
		ha_repl_quiesce_finish(repl, false, "data channel replaced");
	}
	snprintf(name, sizeof(name), "%s data channel", repl->name);
	repl->conn = ha_conn_new(repl->loop, fd, name, ha_repl_frame, ha_repl_conn_closed, repl);
	if (key)
		ha_conn_set_auth(repl->conn, key);
	ha_conn_set_batch_cb(repl->conn, ha_repl_batch_done);
	repl->tx_seq = repl->acked_seq = repl->acked_applied = 0;
	repl->rx_seq = repl->ack_sent_seq = repl->ack_sent_applied = 0;
	/* (the standby reports its backlog again on the new channel) */
	repl->peer_backlog = repl->ack_sent_backlog = 0;
	repl->applied_seq = 0;
	repl->resynced = false;
	repl->digest = HA_DIGEST_NONE;
	/* committed deltas of an earlier channel are still ours to apply */
	ha_repl_apply_some(repl, true);
	if (repl->role == HA_ROLE_ACTIVE)
		ha_repl_bulk_start(repl);
	else
		ha_repl_set_state(repl, HA_REPL_BULK, "waiting for the bulk copy from the active");
}

void ha_repl_detach(struct ha_repl *repl, const char *reason)
{
	if (!repl->conn)
		return;
	ha_conn_free(&repl->conn);
	if (repl->handover_flush) {
		/* nothing more can reach the peer: report the new role */
		repl->handover_flush = false;
		ha_repl_notify(repl, true);
	}
	EVENT_OFF(repl->t_ack);
	ha_repl_tx_reset(repl);
	ha_repl_rx_scope_clear(repl);
	ha_repl_quiesce_finish(repl, false, "data channel lost");
	ha_repl_set_state(repl, HA_REPL_DOWN, "%s", reason);
}

void ha_repl_set_role(struct ha_repl *repl, enum ha_role role)
{
	enum ha_role old = repl->role;

	if (old == role)
		return;
	if (role == HA_ROLE_ACTIVE) {
		unsigned int n = ha_deltas_count(&repl->committed);

		/* nothing committed is lost: apply it before acting on it */
		ha_repl_apply_some(repl, true);
		if (n)
			zlog_info("frr-ha %s: drained %u committed deltas before going active",
				  repl->name, n);
	}
	repl->role = role;
	/* backlogs are a standby's, reported to its active */
	repl->peer_backlog = 0;
	if (role == HA_ROLE_ACTIVE)
		repl->backlog = 0;
	ha_repl_rx_scope_clear(repl);
	repl->taking_over = role == HA_ROLE_ACTIVE;
	for (unsigned int i = 0; i < repl->nclasses; i++)
		if (repl->classes[i].role_changed)
			repl->classes[i].role_changed(repl, role, repl->classes[i].arg);
	repl->taking_over = false;
	if (old == HA_ROLE_ACTIVE) {
		ha_repl_quiesce_finish(repl, false, "no longer active");
		/* Handing over: what was produced while active is still sent and
		 * must be committed on the peer before the peer takes over (hard
		 * sends RELEASED only once this module reports the new role).
		 * The bulk copy is over: nothing is queued behind it any more. */
		repl->bulk_running = false;
		repl->bulk_draining = false;
		EVENT_OFF(repl->t_bulk);
		while (ha_deltas_count(&repl->deferred)) {
			struct ha_delta *d = ha_deltas_pop(&repl->deferred);

			ha_repl_enqueue(repl, &repl->pending, d);
		}
		ha_repl_run_gates(repl, true);
		if (repl->conn &&
		    (ha_deltas_count(&repl->inflight) || ha_deltas_count(&repl->pending))) {
			repl->handover_flush = true;
			ha_repl_pump(repl);
			return; /* ha_repl_handover_flushed() continues */
		}
		ha_repl_tx_reset(repl);
	}
	if (!repl->conn)
		return;
	if (role == HA_ROLE_ACTIVE)
		ha_repl_bulk_start(repl);
	else
		ha_repl_set_state(repl, HA_REPL_BULK, "waiting for the bulk copy from the active");
}

/* ---- digests and status ---- */

void ha_repl_digests(struct ha_repl *repl, struct ha_digest_list *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < repl->nclasses; i++) {
		const struct ha_repl_class *cls = &repl->classes[i];
		struct ha_hash *h = ha_hash_new();
		uint64_t items = 0;

		if (cls->digest)
			cls->digest(repl, h, &items, cls->arg);
		out->entry[out->count].cls = cls->id;
		out->entry[out->count].items = items;
		ha_hash_final(h, out->entry[out->count].digest);
		out->count++;
	}
}

void ha_repl_status(const struct ha_repl *repl, struct ha_msg_repl_status *st)
{
	const struct ha_delta *oldest = ha_deltas_const_first(&repl->inflight);

	memset(st, 0, sizeof(*st));
	/* until the handover flush is done, this module still acts for an
	 * active card: hard must not let the peer take over yet */
	st->role = repl->handover_flush ? HA_ROLE_ACTIVE : repl->role;
	st->state = repl->state;
	st->digest = repl->digest;
	st->bulks = repl->bulks;
	st->resyncs = repl->resyncs;
	st->refused = repl->refused;
	if (repl->role == HA_ROLE_ACTIVE || repl->handover_flush) {
		st->sent = repl->tx_seq;
		st->committed = repl->acked_seq;
		st->applied = repl->acked_applied;
	} else {
		st->committed = repl->rx_seq;
		st->applied = repl->applied_seq;
	}
	st->queue = ha_deltas_count(&repl->pending) + ha_deltas_count(&repl->deferred) +
		    ha_deltas_count(&repl->committed);
	if (oldest)
		st->lag_usec = (uint32_t)MIN((int64_t)ha_clock_us() - oldest->sent_usec, UINT32_MAX);
	strlcpy(st->detail, repl->detail, sizeof(st->detail));
}
