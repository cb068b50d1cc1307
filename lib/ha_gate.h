// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A module's netfilter queue in its daemon's event loop: the gate that
 * holds packets until the standby committed the state they depend on.
 *
 * The card's rules send packets to queue num (lib/ha_nfq.h); the gate
 * binds it, reads what waits there and hands each packet to the module's
 * callback, which decides: accept now, drop, or accept once a delta is
 * committed on the standby (ha_gate_after, on top of ha_repl_gate).  A
 * verdict for a packet of an older binding of the queue (the queue bound
 * again since, e.g. going standby) is void: the kernel dropped those.
 *
 * bgpd-ha gates BGP's TCP segments (queue 179), ospfd-ha every OSPF packet
 * the active card sends (queue 89): no acknowledgement leaves for data the
 * standby has not committed.
 */
#ifndef FRRHA_GATE_H
#define FRRHA_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ha_nfq.h"

struct event;
struct event_loop;
struct ha_repl;
struct zebra_privs_t;

struct ha_gate {
	const char *name; /* for the logs: "gate", "ospf gate" */
	uint16_t num;	  /* the netfilter queue */
	uint32_t copy_range;
	int fd;		     /* bound: >= 0 */
	uint32_t generation; /* of the queue's binding */
	uint8_t slot;	     /* in the registry of gates (verdict callbacks) */
	struct event *t_read;
	struct event_loop *loop;
	struct zebra_privs_t *privs; /* the daemon's: binding needs CAP_NET_ADMIN */
	ha_nfq_packet_cb packet;
	void *arg;
	uint64_t verdict_errors; /* verdicts the kernel refused (the packet waits on) */
	/* verdicts due after commits, sent together once the engine has run
	 * every gate an acknowledgement released (ha_repl_set_gates_ran) */
	struct ha_nfq_verdicts due;
	uint64_t verdict_sends; /* system calls that carried verdicts */
	uint64_t verdicts;	/* verdicts sent */
	char error[192];	/* why it is not bound */
};

/* Set g up (not bound yet); packet is called for each packet read. */
extern void ha_gate_init(struct ha_gate *g, const char *name, uint16_t num, uint32_t copy_range,
			 struct event_loop *loop, struct zebra_privs_t *privs,
			 ha_nfq_packet_cb packet, void *arg);
/* Bind the queue (nothing if bound); false with the reason in g->error. */
extern bool ha_gate_open(struct ha_gate *g);
/* Unbind it: what waits in it is dropped by the kernel. */
extern void ha_gate_close(struct ha_gate *g);
/* Unbind and bind again: what waited is dropped, verdicts due for it void. */
extern void ha_gate_rebind(struct ha_gate *g);
/* Read (and hand to the callback) what waits in the queue now, without
 * waiting for the event loop. */
extern void ha_gate_poll(struct ha_gate *g);
static inline bool ha_gate_bound(const struct ha_gate *g)
{
	return g->fd >= 0;
}

/* Verdict for packet id (of the current binding) now. */
extern void ha_gate_accept(struct ha_gate *g, uint32_t id);
extern void ha_gate_drop(struct ha_gate *g, uint32_t id);
/* Accept packet id once the delta with this ticket is committed on the
 * standby (at once if it is, or ticket is 0: ha_repl_gate). */
extern void ha_gate_after(struct ha_gate *g, struct ha_repl *repl, uint64_t ticket, uint32_t id);

#endif /* FRRHA_GATE_H */
