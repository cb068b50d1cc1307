// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A module's netfilter queue in its daemon's event loop (ha_gate.h).
 */
#include <zebra.h>

#include "frrevent.h"
#include "log.h"
#include "privs.h"

#include "ha_gate.h"
#include "ha_repl.h"

/* verdicts due after a commit name their gate by its slot here (a daemon
 * has one or two gates) */
#define HA_GATE_SLOTS 8
static struct ha_gate *ha_gates[HA_GATE_SLOTS];

static void ha_gate_gates_ran(void);

void ha_gate_init(struct ha_gate *g, const char *name, uint16_t num, uint32_t copy_range,
		  struct event_loop *loop, struct zebra_privs_t *privs, ha_nfq_packet_cb packet,
		  void *arg)
{
	uint8_t slot;

	memset(g, 0, sizeof(*g));
	g->name = name;
	g->num = num;
	g->copy_range = copy_range;
	g->fd = -1;
	g->loop = loop;
	g->privs = privs;
	g->packet = packet;
	g->arg = arg;
	ha_nfq_verdicts_init(&g->due, num);
	ha_repl_set_gates_ran(ha_gate_gates_ran);
	for (slot = 0; slot < HA_GATE_SLOTS && ha_gates[slot] && ha_gates[slot] != g; slot++)
		;
	assert(slot < HA_GATE_SLOTS);
	ha_gates[slot] = g;
	g->slot = slot;
}

void ha_gate_poll(struct ha_gate *g)
{
	if (g->fd < 0)
		return;
	if (ha_nfq_read(g->fd, g->packet, g->arg) < 0)
		zlog_warn("frr-ha: %s: reading netfilter queue %u: %s", g->name, g->num,
			  safe_strerror(errno));
}

static void ha_gate_read(struct event *ev)
{
	struct ha_gate *g = EVENT_ARG(ev);

	event_add_read(g->loop, ha_gate_read, g, g->fd, &g->t_read);
	ha_gate_poll(g);
}

bool ha_gate_open(struct ha_gate *g)
{
	char err[160] = "";

	if (g->fd >= 0)
		return true;
	frr_with_privs (g->privs)
		g->fd = ha_nfq_open(g->num, g->copy_range, err, sizeof(err));
	if (g->fd < 0) {
		snprintf(g->error, sizeof(g->error), "cannot bind netfilter queue %u: %s", g->num,
			 err);
		zlog_err("frr-ha: %s: %s -- packets pass before the standby has what they depend on",
			 g->name, g->error);
		return false;
	}
	g->error[0] = '\0';
	g->generation++;
	event_add_read(g->loop, ha_gate_read, g, g->fd, &g->t_read);
	zlog_info("frr-ha: %s: netfilter queue %u bound", g->name, g->num);
	return true;
}

void ha_gate_close(struct ha_gate *g)
{
	EVENT_OFF(g->t_read);
	g->due.count = 0; /* for packets the kernel drops now */
	if (g->fd < 0)
		return;
	frr_with_privs (g->privs)
		ha_nfq_close(g->fd, g->num);
	g->fd = -1;
}

void ha_gate_rebind(struct ha_gate *g)
{
	ha_gate_close(g);
	ha_gate_open(g);
}

/* Send the verdicts due (in the order they fell due). */
static void ha_gate_send_due(struct ha_gate *g)
{
	unsigned int count = g->due.count;
	int ret;

	if (!count)
		return;
	if (g->fd < 0) {
		g->due.count = 0; /* unbound: the kernel dropped those packets */
		return;
	}
	frr_with_privs (g->privs)
		ret = ha_nfq_verdicts_send(g->fd, &g->due);
	g->verdict_sends++;
	g->verdicts += count;
	if (ret < 0 && g->verdict_errors++ < 10)
		zlog_err("frr-ha: %s: %u verdicts refused: %s", g->name, count,
			 safe_strerror(errno));
}

/* Add a verdict to those due; they go at the end of the engine's run of
 * gates, or at once with the next verdict given now. */
static void ha_gate_verdict_due(struct ha_gate *g, uint32_t id, bool accept)
{
	if (g->fd < 0)
		return;
	if (!ha_nfq_verdicts_add(&g->due, id, accept)) {
		ha_gate_send_due(g);
		ha_nfq_verdicts_add(&g->due, id, accept);
	}
}

/* A verdict now: after those due, in the same system call. */
static void ha_gate_verdict(struct ha_gate *g, uint32_t id, bool accept)
{
	ha_gate_verdict_due(g, id, accept);
	ha_gate_send_due(g);
}

void ha_gate_accept(struct ha_gate *g, uint32_t id)
{
	ha_gate_verdict(g, id, true);
}

void ha_gate_drop(struct ha_gate *g, uint32_t id)
{
	ha_gate_verdict(g, id, false);
}

/* ha_repl_gate's callback: arg is slot (8 bits), binding (24), id (32) */
static void ha_gate_committed(void *arg)
{
	uint64_t v = (uintptr_t)arg;
	struct ha_gate *g = ha_gates[(v >> 56) & (HA_GATE_SLOTS - 1)];

	if (!g || ((v >> 32) & 0xffffff) != (g->generation & 0xffffff))
		return; /* of an older binding: the kernel dropped it */
	ha_gate_verdict_due(g, (uint32_t)v, true);
}

/* The engine ran the gates an acknowledgement released: their verdicts go. */
static void ha_gate_gates_ran(void)
{
	for (uint8_t slot = 0; slot < HA_GATE_SLOTS && ha_gates[slot]; slot++)
		ha_gate_send_due(ha_gates[slot]);
}

void ha_gate_after(struct ha_gate *g, struct ha_repl *repl, uint64_t ticket, uint32_t id)
{
	uint64_t v = ((uint64_t)g->slot << 56) | ((uint64_t)(g->generation & 0xffffff) << 32) | id;

	ha_repl_gate(repl, ticket, ha_gate_committed, (void *)(uintptr_t)v);
}
