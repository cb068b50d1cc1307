// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ospfd_ha: ospfd's frr-ha module, loaded with "ospfd -M ha".
 *
 * OSPFv2 non-stop routing.  On the active card it replicates, change by
 * change (class "ospf-state"):
 *
 *  - every OSPF interface's state, DR and BDR, and the cryptographic
 *    sequence number of its last packet (frrha.DeltaOspfInterface);
 *  - every neighbour: state, what its hellos said, the Database
 *    Description exchange, its cryptographic sequence number
 *    (frrha.DeltaOspfNeighbor);
 *  - the link-state database -- the areas' and the AS's, self-originated
 *    LSAs with their sequence numbers included -- LSA by LSA as ospfd
 *    installs and removes them (frrha.DeltaOspfLsa);
 *  - each neighbour's retransmission, request and database summary lists
 *    (frrha.DeltaOspfNeighborList).
 *
 * Interface and neighbour state is compared with what was replicated
 * before every packet ospfd sends (the ospf_packet_send hook) and now and
 * then; the LSDB and the lists follow ospfd's every change (the
 * ospf_lsdb_update hook).  And the gate: every OSPF packet the active card
 * sends waits in netfilter queue 89 until the standby committed everything
 * replicated before it -- no LS Ack leaves for an LSA the standby lacks, no
 * hello, DD packet or flooded LSA shows the neighbours a state the standby
 * does not have.
 *
 * The standby's ospfd holds that state in its own structures -- its
 * interfaces in their replicated states, its neighbours (shown by "show
 * ip ospf neighbor" with the note "Standby"), the LSDB -- and does
 * nothing: every packet it would send is dropped, every packet it receives
 * too, its interface and neighbour state machines do not run (no hello,
 * no dead timer), it originates, refreshes and ages out no LSA (ospfd's
 * graceful-restart flag, the refresh veto, its MaxAge timers off).
 *
 * At a takeover (ospf_ha_take_over) it goes on from there in one event:
 * its self-originated LSAs linked and refreshed on their schedule, the
 * neighbours' dead, DD, request and retransmission timers started, hellos
 * sent at once on every interface, SPF run.  The neighbours see the same
 * router, the same DR, the same sequence numbers: none leaves Full.
 *
 * Hooks: patches/frr/0005.  doc/ospf-nsr.md says what is guaranteed.
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "libfrr.h"
#include "memory.h"
#include "module.h"
#include "network.h"
#include "prefix.h"
#include "privs.h"
#include "stream.h"
#include "table.h"
#include "typesafe.h"
#include "vty.h"

#include "ospfd/ospfd.h"
#include "ospfd/ospf_asbr.h"
#include "ospfd/ospf_dump.h"
#include "ospfd/ospf_flood.h"
#include "ospfd/ospf_interface.h"
#include "ospfd/ospf_ism.h"
#include "ospfd/ospf_lsa.h"
#include "ospfd/ospf_lsdb.h"
#include "ospfd/ospf_neighbor.h"
#include "ospfd/ospf_nsm.h"
#include "ospfd/ospf_packet.h"
#include "ospfd/ospf_spf.h"
#include "ospfd/ospf_memory.h"

#include "frrha.pb-c.h"
#include "ha_auth.h"
#include "ha_client.h"
#include "ha_gate.h"
#include "ha_ospf_delta.h"
#include "ha_repl.h"

extern struct zebra_privs_t ospfd_privs;

DEFINE_MGROUP(OSPFD_HA, "ospfd frr-ha");
DEFINE_MTYPE_STATIC(OSPFD_HA, OSPF_HA_IF, "ospf-ha replicated interface");
DEFINE_MTYPE_STATIC(OSPFD_HA, OSPF_HA_NBR, "ospf-ha replicated neighbour");

#define OSPF_HA_CLASS_STATE 2

enum ospf_ha_subtype {
	OSPF_HA_INTERFACE = 1, /* frrha.DeltaOspfInterface */
	OSPF_HA_NEIGHBOR = 2,  /* frrha.DeltaOspfNeighbor */
	OSPF_HA_LSA = 3,       /* frrha.DeltaOspfLsa */
	OSPF_HA_NBR_LIST = 4,  /* frrha.DeltaOspfNeighborList */
};


/* The netfilter queue of the card's rule for OSPF packets it sends
 * (doc/ospf-nsr.md, "The gate"). */
#define OSPF_HA_NFQUEUE 89
/* interface and neighbour state without a packet sent is compared with
 * what was replicated this often */
#define OSPF_HA_SYNC_MSEC 200

/* ---- replicated interface and neighbour state (both cards) ---- */

PREDECL_DLIST(ospf_ha_ifs);
/* An OSPF interface as replicated: on the active, what was last sent; on
 * the standby, what was received (and put into ospfd when it has the
 * interface). */
struct ospf_ha_if {
	struct ospf_ha_ifs_item item;
	struct ha_ospf_interface d;
	bool held; /* standby: ospfd has it in this state */
};
DECLARE_DLIST(ospf_ha_ifs, struct ospf_ha_if, item);

PREDECL_DLIST(ospf_ha_nbrs);
struct ospf_ha_nbr {
	struct ospf_ha_nbrs_item item;
	struct ha_ospf_neighbor d; /* d.last_dd: last_dd below */
	uint8_t *last_dd;	   /* our last DD packet to it, owned */
	bool held;		   /* standby: ospfd has it */
};
DECLARE_DLIST(ospf_ha_nbrs, struct ospf_ha_nbr, item);

static struct ospf_ha_ifs_head ha_ifs = INIT_DLIST(ha_ifs);
static struct ospf_ha_nbrs_head ha_nbrs = INIT_DLIST(ha_nbrs);

/* not active (standby, or no role yet): ospfd holds state and does
 * nothing (ospf_ha_quiet_*) */
static bool ospf_ha_quiet = true;
/* the graceful-restart flag of the instance is ours */
static bool ospf_ha_gr_set;
/* the last delta replicated: what a packet sent now depends on */
static uint64_t ospf_ha_last_ticket;
static struct event *t_sync;
static unsigned int ospf_ha_ack_timeout_msec = HA_REPL_ACK_TIMEOUT_MSEC;

static struct {
	struct ha_gate q;
	uint64_t gated, dropped;
} gate = { .q.fd = -1 };

/* Standby: the scope (an area, or the AS) one of whose deltas was refused:
 * its deltas are not applied until the active's copy of it begins. */
static struct {
	bool set;
	struct ha_ospf_scope scope;
} ospf_ha_diverged;

/* Scoped copies (doc/ospf-nsr.md, "Bad replicated state"). */
static struct {
	uint64_t copies;	     /* sent (active) or received (standby) */
	uint64_t ignored;	     /* standby: deltas of the diverged scope not applied */
	bool receiving;		     /* standby: bulk items are the last copy's */
	uint64_t lsas, list_entries; /* standby: in the last copy */
	char last[96];		     /* standby: the last scope copied */
} scope_copy;

static struct {
	uint64_t sent_vetoed, received_dropped; /* while not active */
	uint64_t lsa_applied, lsa_refused;
	uint64_t takeovers;
	uint64_t takeover_usec;	   /* the last one's, from the role change */
	uint64_t takeover_at_usec; /* when it ended: wall clock, us since the epoch */
	char last_takeover[160];
} counters;

static bool ospf_ha_active(void)
{
	return ha_client_role() == HA_ROLE_ACTIVE && !ospf_ha_quiet;
}

/* ospfd is exiting (SIGTERM: ospf_terminate): what it tears down -- its
 * whole LSDB, flushed -- is not the network's; the standby takes over from
 * what it has, and the neighbours must not see the flush either. */
static bool ospf_ha_exiting(void)
{
	return CHECK_FLAG(om->options, OSPF_MASTER_SHUTDOWN);
}

static struct ospf *ospf_ha_ospf(void)
{
	return ospf_lookup_by_vrf_id(VRF_DEFAULT);
}

/* ---- lookups ---- */

static struct ospf_interface *ospf_ha_oi(struct ospf *ospf, const char *ifname,
					 struct in_addr address)
{
	struct interface *ifp;

	if (!ospf)
		return NULL;
	ifp = if_lookup_by_name(ifname, ospf->vrf_id);
	if (!ifp)
		return NULL;
	return ospf_if_lookup_by_local_addr(ospf, ifp, address);
}

/* The neighbour of oi with this router id and address, as ospfd keys its
 * table of them. */
static struct ospf_neighbor *ospf_ha_nbr_of(struct ospf_interface *oi, struct in_addr router_id,
					    struct in_addr src)
{
	struct prefix key = { .family = AF_INET, .prefixlen = IPV4_MAX_BITLEN };
	struct route_node *rn;
	struct ospf_neighbor *nbr = NULL;

	key.u.prefix4 = (oi->type == OSPF_IFTYPE_VIRTUALLINK || oi->type == OSPF_IFTYPE_POINTOPOINT)
				? router_id
				: src;
	rn = route_node_lookup(oi->nbrs, &key);
	if (rn) {
		nbr = rn->info;
		route_unlock_node(rn);
	}
	return nbr;
}

static bool ospf_ha_key_is(const struct ha_ospf_if_key *k, const char *ifname,
			   struct in_addr address)
{
	return k->address.s_addr == address.s_addr && strcmp(k->ifname, ifname) == 0;
}

static void ospf_ha_key_set(struct ha_ospf_if_key *k, const char *ifname, struct in_addr address)
{
	memset(k, 0, sizeof(*k));
	strlcpy(k->ifname, ifname, sizeof(k->ifname));
	k->address = address;
}

static struct ospf_ha_if *ospf_ha_if_find(const char *ifname, struct in_addr address, bool create)
{
	struct ospf_ha_if *r;

	frr_each (ospf_ha_ifs, &ha_ifs, r)
		if (ospf_ha_key_is(&r->d.key, ifname, address))
			return r;
	if (!create)
		return NULL;
	r = XCALLOC(MTYPE_OSPF_HA_IF, sizeof(*r));
	ospf_ha_key_set(&r->d.key, ifname, address);
	ospf_ha_ifs_add_tail(&ha_ifs, r);
	return r;
}

static struct ospf_ha_nbr *ospf_ha_nbr_find(const char *ifname, struct in_addr address,
					    struct in_addr router_id, struct in_addr src,
					    bool create)
{
	struct ospf_ha_nbr *r;

	frr_each (ospf_ha_nbrs, &ha_nbrs, r)
		if (r->d.src.s_addr == src.s_addr && r->d.router_id.s_addr == router_id.s_addr &&
		    ospf_ha_key_is(&r->d.key, ifname, address))
			return r;
	if (!create)
		return NULL;
	r = XCALLOC(MTYPE_OSPF_HA_NBR, sizeof(*r));
	ospf_ha_key_set(&r->d.key, ifname, address);
	r->d.router_id = router_id;
	r->d.src = src;
	ospf_ha_nbrs_add_tail(&ha_nbrs, r);
	return r;
}

/* The neighbour record's last DD packet: a copy of dd (len bytes). */
static void ospf_ha_nbr_set_dd(struct ospf_ha_nbr *r, const uint8_t *dd, size_t len)
{
	XFREE(MTYPE_OSPF_HA_NBR, r->last_dd);
	r->d.last_dd_len = len;
	if (len) {
		r->last_dd = XMALLOC(MTYPE_OSPF_HA_NBR, len);
		memcpy(r->last_dd, dd, len);
	}
	r->d.last_dd = r->last_dd;
}

static void ospf_ha_nbr_free(struct ospf_ha_nbr *r)
{
	ospf_ha_nbrs_del(&ha_nbrs, r);
	XFREE(MTYPE_OSPF_HA_NBR, r->last_dd);
	XFREE(MTYPE_OSPF_HA_NBR, r);
}

static void ospf_ha_records_clear(void)
{
	struct ospf_ha_if *i;
	struct ospf_ha_nbr *n;

	while ((n = ospf_ha_nbrs_first(&ha_nbrs)))
		ospf_ha_nbr_free(n);
	while ((i = ospf_ha_ifs_pop(&ha_ifs)))
		XFREE(MTYPE_OSPF_HA_IF, i);
}

static const char *ospf_ha_addr(struct in_addr a, char *buf, size_t len)
{
	inet_ntop(AF_INET, &a, buf, len);
	return buf;
}

/* ---- active: replicating ---- */

/* One delta encoded by lib/ha_ospf_delta.c (buf is free()d): sent, or
 * an item of the bulk copy. */
static void ospf_ha_emit(uint16_t subtype, uint8_t *buf, size_t len, bool bulk)
{
	struct ha_repl *repl = ha_module_repl();

	if (!buf)
		return;
	if (bulk) {
		ha_repl_bulk_item(repl, OSPF_HA_CLASS_STATE, subtype, buf, len);
	} else {
		uint64_t ticket = ha_repl_send(repl, OSPF_HA_CLASS_STATE, subtype, buf, len);

		if (ticket > ospf_ha_last_ticket)
			ospf_ha_last_ticket = ticket;
	}
	free(buf);
}

/* Deltas go only where a standby listens (else there is nothing to keep
 * current: a standby that joins gets a bulk copy). */
static bool ospf_ha_replicating(void)
{
	struct ha_repl *repl = ha_module_repl();

	return repl && !ospf_ha_exiting() && ospf_ha_active() && ha_repl_attached(repl);
}

static void ospf_ha_if_emit(const struct ospf_ha_if *r, bool bulk)
{
	size_t len;
	uint8_t *buf = ha_ospf_interface_encode(&r->d, &len);

	ospf_ha_emit(OSPF_HA_INTERFACE, buf, len, bulk);
}

static void ospf_ha_nbr_emit(const struct ospf_ha_nbr *r, bool removed, bool bulk)
{
	struct ha_ospf_neighbor d = r->d;
	size_t len;
	uint8_t *buf;

	d.removed = removed;
	buf = ha_ospf_neighbor_encode(&d, &len);
	ospf_ha_emit(OSPF_HA_NEIGHBOR, buf, len, bulk);
}

static uint64_t ospf_ha_msec_since(const struct timeval *tv)
{
	if (!tv->tv_sec && !tv->tv_usec)
		return 0;
	return monotime_since(tv, NULL) / 1000;
}

/* The record of oi now; true when it differs from what was replicated
 * (the cryptographic sequence number moves with every packet sent when
 * authentication is on). */
static bool ospf_ha_if_update(struct ospf_ha_if *r, struct ospf_interface *oi)
{
	struct ha_ospf_interface now = r->d;

	now.area = ntohl(oi->area->area_id.s_addr);
	now.state = oi->state;
	now.dr = DR(oi);
	now.bdr = BDR(oi);
	now.crypt_seqnum = oi->crypt_seqnum;
	if (memcmp(&now, &r->d, sizeof(now)) == 0)
		return false;
	r->d = now;
	return true;
}

static bool ospf_ha_nbr_update(struct ospf_ha_nbr *r, struct ospf_neighbor *nbr)
{
	struct ospf_packet *op = nbr->last_send;
	size_t dd_len = op ? stream_get_endp(op->s) : 0;
	struct ha_ospf_neighbor now = r->d;
	bool dd_changed = r->d.last_dd_len != dd_len ||
			  (dd_len && memcmp(r->last_dd, STREAM_DATA(op->s), dd_len) != 0);

	now.prefixlen = nbr->address.prefixlen;
	now.state = nbr->state;
	now.options = nbr->options;
	now.priority = nbr->priority;
	now.dr = nbr->d_router;
	now.bdr = nbr->bd_router;
	now.dd_seqnum = nbr->dd_seqnum;
	now.dd_flags = nbr->dd_flags;
	now.last_recv_options = nbr->last_recv.options;
	now.last_recv_flags = nbr->last_recv.flags;
	now.last_recv_dd_seqnum = nbr->last_recv.dd_seqnum;
	now.crypt_seqnum = nbr->crypt_seqnum;
	/* (the ages are not a change: they are sent with one) */
	if (!dd_changed && memcmp(&now, &r->d, sizeof(now)) == 0)
		return false;
	r->d = now;
	if (dd_changed)
		ospf_ha_nbr_set_dd(r, dd_len ? STREAM_DATA(op->s) : NULL, dd_len);
	r->d.last_dd_age_msec = ospf_ha_msec_since(&nbr->last_send_ts);
	r->d.uptime_msec = ospf_ha_msec_since(&nbr->ts_last_progress);
	return true;
}

/* Active: oi and its neighbours as they are now, replicated where they
 * changed since (a neighbour gone: removed). */
static void ospf_ha_sync_oi(struct ospf_interface *oi)
{
	struct ospf_ha_nbr *r, *next;
	struct route_node *rn;
	struct ospf_ha_if *ri;

	if (!oi->ifp || !oi->address || oi->type == OSPF_IFTYPE_VIRTUALLINK)
		return;
	ri = ospf_ha_if_find(oi->ifp->name, oi->address->u.prefix4, true);
	if (ospf_ha_if_update(ri, oi))
		ospf_ha_if_emit(ri, false);
	for (rn = route_top(oi->nbrs); rn; rn = route_next(rn)) {
		struct ospf_neighbor *nbr = rn->info;

		if (!nbr || nbr == oi->nbr_self || nbr->state == NSM_Deleted)
			continue;
		r = ospf_ha_nbr_find(oi->ifp->name, oi->address->u.prefix4, nbr->router_id,
				     nbr->src, true);
		if (ospf_ha_nbr_update(r, nbr))
			ospf_ha_nbr_emit(r, false, false);
	}
	/* neighbours of oi that are gone */
	for (r = ospf_ha_nbrs_first(&ha_nbrs); r; r = next) {
		struct ospf_neighbor *nbr;

		next = ospf_ha_nbrs_next(&ha_nbrs, r);
		if (!ospf_ha_key_is(&r->d.key, oi->ifp->name, oi->address->u.prefix4))
			continue;
		nbr = ospf_ha_nbr_of(oi, r->d.router_id, r->d.src);
		if (nbr && nbr->state != NSM_Deleted &&
		    nbr->router_id.s_addr == r->d.router_id.s_addr &&
		    nbr->src.s_addr == r->d.src.s_addr)
			continue;
		ospf_ha_nbr_emit(r, true, false);
		ospf_ha_nbr_free(r);
	}
}

/*
 * Active: the standby must acknowledge what it is sent within a third of
 * the shortest dead interval of ospfd's interfaces (at most the engine's
 * default, 5 s), or it is given up.  The gate holds every OSPF packet --
 * hellos too -- behind what the standby has not acknowledged: a hung
 * standby must be given up before a neighbour's dead timer runs out (with
 * a 1 s dead interval, after 333 ms; hellos are then 250 ms apart).
 */
static void ospf_ha_ack_timeout_update(struct ospf *ospf)
{
	unsigned int dead_msec = 0, msec;
	struct ospf_interface *oi;
	struct listnode *node;

	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		unsigned int d = OSPF_IF_PARAM(oi, v_wait) * 1000;

		if (oi->type != OSPF_IFTYPE_VIRTUALLINK && d && (!dead_msec || d < dead_msec))
			dead_msec = d;
	}
	msec = ha_repl_ack_timeout_for(dead_msec);
	if (msec == ospf_ha_ack_timeout_msec)
		return;
	zlog_info("frr-ha: ospfd: the standby must acknowledge within %u ms (a third of the shortest dead interval)",
		  msec);
	ospf_ha_ack_timeout_msec = msec;
	ha_repl_set_ack_timeout(ha_module_repl(), msec);
}

/* Active: everything compared, interfaces gone included. */
static void ospf_ha_sync_all(void)
{
	struct ospf *ospf = ospf_ha_ospf();
	struct ospf_interface *oi;
	struct listnode *node;
	struct ospf_ha_if *r, *next;

	if (!ospf || !ospf_ha_replicating())
		return;
	ospf_ha_ack_timeout_update(ospf);
	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi))
		ospf_ha_sync_oi(oi);
	for (r = ospf_ha_ifs_first(&ha_ifs); r; r = next) {
		next = ospf_ha_ifs_next(&ha_ifs, r);
		if (ospf_ha_oi(ospf, r->d.key.ifname, r->d.key.address))
			continue;
		/* gone: replicated as Down (the standby keeps no neighbour of it) */
		if (r->d.state != ISM_Down) {
			r->d.state = ISM_Down;
			r->d.dr.s_addr = r->d.bdr.s_addr = INADDR_ANY;
			ospf_ha_if_emit(r, false);
		}
	}
}

static void ospf_ha_sync_tick(struct event *ev)
{
	ospf_ha_sync_all();
	event_add_timer_msec(master, ospf_ha_sync_tick, NULL, OSPF_HA_SYNC_MSEC, &t_sync);
}

/* How long ago lsa reached MaxAge, ms: it came (or was last set) at
 * tv_recv with the age in its header, and aged from there. */
static uint32_t ospf_ha_maxage_msec(const struct ospf_lsa *lsa)
{
	int64_t since = monotime_since(&lsa->tv_recv, NULL) / 1000;
	int64_t to_maxage = (OSPF_LSA_MAXAGE - MIN(ntohs(lsa->data->ls_age), OSPF_LSA_MAXAGE)) *
			    1000LL;

	return since > to_maxage ? (uint32_t)MIN(since - to_maxage, UINT32_MAX) : 0;
}

/* An LSA of its database (area or AS), with its interface for link-scope
 * LSAs and our network LSAs. */
static void ospf_ha_lsa_emit(struct ospf_lsa *lsa, bool removed, bool bulk)
{
	struct ospf_interface *oi = lsa->oi;
	struct ha_ospf_lsa d = {};
	uint8_t *buf;
	size_t len;

	if (!oi && lsa->data->type == OSPF_NETWORK_LSA && lsa->area)
		/* ours: the interface it is the DR on */
		oi = ospf_if_lookup_by_local_addr(lsa->area->ospf, NULL, lsa->data->id);
	d.area = lsa->area ? ntohl(lsa->area->area_id.s_addr) : 0;
	if (oi && oi->ifp && oi->address) {
		d.has_if = true;
		ospf_ha_key_set(&d.key, oi->ifp->name, oi->address->u.prefix4);
	}
	d.lsa = (const uint8_t *)lsa->data;
	d.len = ntohs(lsa->data->length);
	d.age = LS_AGE(lsa);
	if (d.age >= OSPF_LSA_MAXAGE)
		d.maxage_msec = ospf_ha_maxage_msec(lsa);
	d.removed = removed;
	buf = ha_ospf_lsa_encode(&d, &len);
	ospf_ha_emit(OSPF_HA_LSA, buf, len, bulk);
}

static void ospf_ha_list_emit(struct ospf_neighbor *nbr, enum ha_ospf_list list,
			      struct ospf_lsa *lsa, bool removed, bool bulk)
{
	struct ospf_interface *oi = nbr->oi;
	struct ha_ospf_list_entry d = {};
	uint8_t *buf;
	size_t len;

	if (!oi->ifp || !oi->address)
		return;
	ospf_ha_key_set(&d.key, oi->ifp->name, oi->address->u.prefix4);
	d.router_id = nbr->router_id;
	d.src = nbr->src;
	d.list = list;
	d.area = ntohl(oi->area->area_id.s_addr);
	d.header = (const uint8_t *)lsa->data;
	d.removed = removed;
	buf = ha_ospf_list_encode(&d, &len);
	ospf_ha_emit(OSPF_HA_NBR_LIST, buf, len, bulk);
}

/* The neighbour whose list lsdb is (*list says which), if any. */
static struct ospf_neighbor *ospf_ha_list_owner(struct ospf *ospf, struct ospf_lsdb *lsdb,
						enum ha_ospf_list *list)
{
	struct ospf_interface *oi;
	struct listnode *node;

	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		struct route_node *rn;

		for (rn = route_top(oi->nbrs); rn; rn = route_next(rn)) {
			struct ospf_neighbor *nbr = rn->info;

			if (!nbr)
				continue;
			*list = lsdb == &nbr->ls_rxmt  ? HA_OSPF_LIST_RXMT
				: lsdb == &nbr->ls_req ? HA_OSPF_LIST_REQ
				: lsdb == &nbr->db_sum ? HA_OSPF_LIST_SUMMARY
						       : 0;
			if (*list) {
				route_unlock_node(rn);
				return nbr;
			}
		}
	}
	return NULL;
}

/* ospfd changed an LSDB (patches/frr 0005): on the active, replicated. */
static int ospf_ha_lsdb_update(struct ospf_lsdb *lsdb, struct ospf_lsa *lsa, bool add)
{
	struct ospf *ospf;
	struct ospf_neighbor *nbr;
	enum ha_ospf_list list;

	if (!ospf_ha_replicating() || !lsa->data)
		return 0;
	ospf = ospf_ha_ospf();
	if (!ospf)
		return 0;
	if (lsdb == ospf->lsdb || (lsa->area && lsdb == lsa->area->lsdb)) {
		ospf_ha_lsa_emit(lsa, !add, false);
		return 0;
	}
	nbr = ospf_ha_list_owner(ospf, lsdb, &list);
	if (!nbr || nbr == nbr->oi->nbr_self)
		return 0;
	if (add && list == HA_OSPF_LIST_RXMT) {
		struct ospf_lsdb *db = (lsa->data->type == OSPF_AS_EXTERNAL_LSA ||
					lsa->data->type == OSPF_OPAQUE_AS_LSA)
					       ? ospf->lsdb
					       : nbr->oi->area->lsdb;

		/* ospfd floods a received LSA before it installs it
		 * (RFC 2328 13 (5)), and an LSA flushed (aged to MaxAge in
		 * place) is flooded: the standby gets the LSA first */
		if (ospf_lsdb_lookup(db, lsa) != lsa || IS_LSA_MAXAGE(lsa))
			ospf_ha_lsa_emit(lsa, false, false);
	}
	ospf_ha_list_emit(nbr, list, lsa, !add, false);
	return 0;
}

/* ---- standby: holding the replicated state in ospfd ---- */

static void ospf_ha_full_count(struct ospf_neighbor *nbr, uint8_t old, uint8_t new)
{
	struct ospf_interface *oi = nbr->oi;

	if (old == NSM_Full && new != NSM_Full) {
		oi->full_nbrs--;
		oi->area->full_nbrs--;
	} else if (old != NSM_Full && new == NSM_Full) {
		oi->full_nbrs++;
		oi->area->full_nbrs++;
	}
}

/* Neighbour nbr out of ospfd, without its state machine (no event, no
 * LSA originated). */
static void ospf_ha_nbr_drop(struct ospf_neighbor *nbr)
{
	ospf_ha_full_count(nbr, nbr->state, NSM_Down);
	EVENT_OFF(nbr->t_inactivity);
	EVENT_OFF(nbr->t_db_desc);
	EVENT_OFF(nbr->t_ls_req);
	EVENT_OFF(nbr->t_ls_rxmt);
	EVENT_OFF(nbr->t_hello_reply);
	ospf_nbr_delete(nbr);
}

/* Record r into ospfd's interface (if ospfd has it). */
static void ospf_ha_if_hold(struct ospf *ospf, struct ospf_ha_if *r)
{
	struct ospf_interface *oi = ospf_ha_oi(ospf, r->d.key.ifname, r->d.key.address);

	r->held = oi != NULL;
	if (!oi)
		return;
	if (oi->state == ISM_Down && r->d.state != ISM_Down)
		oi->area->act_ints++;
	else if (oi->state != ISM_Down && r->d.state == ISM_Down)
		oi->area->act_ints--;
	oi->state = r->d.state;
	DR(oi) = r->d.dr;
	BDR(oi) = r->d.bdr;
	oi->crypt_seqnum = r->d.crypt_seqnum;
}

static void ospf_ha_nbr_hold(struct ospf *ospf, struct ospf_ha_nbr *r)
{
	struct ospf_interface *oi = ospf_ha_oi(ospf, r->d.key.ifname, r->d.key.address);
	struct ospf_neighbor *nbr;

	r->held = false;
	if (!oi)
		return;
	nbr = ospf_ha_nbr_of(oi, r->d.router_id, r->d.src);
	if (!nbr) {
		struct prefix key = { .family = AF_INET, .prefixlen = IPV4_MAX_BITLEN };
		struct route_node *rn;

		nbr = ospf_nbr_new(oi);
		nbr->state = NSM_Down;
		nbr->router_id = r->d.router_id;
		nbr->src = r->d.src;
		key.u.prefix4 = (oi->type == OSPF_IFTYPE_VIRTUALLINK ||
				 oi->type == OSPF_IFTYPE_POINTOPOINT)
					? r->d.router_id
					: r->d.src;
		rn = route_node_get(oi->nbrs, &key);
		if (rn->info) {
			/* the key is taken (another router id on a
			 * point-to-point link): replaced */
			ospf_ha_nbr_drop(rn->info);
			rn = route_node_get(oi->nbrs, &key);
		}
		rn->info = nbr; /* keeps route_node_get's lock, as ospfd does */
	}
	ospf_ha_full_count(nbr, nbr->state, r->d.state);
	nbr->router_id = r->d.router_id;
	nbr->src = r->d.src;
	nbr->state = r->d.state;
	nbr->address.family = AF_INET;
	nbr->address.prefixlen = r->d.prefixlen;
	nbr->address.u.prefix4 = r->d.src;
	nbr->options = r->d.options;
	nbr->priority = r->d.priority;
	nbr->d_router = r->d.dr;
	nbr->bd_router = r->d.bdr;
	nbr->dd_seqnum = r->d.dd_seqnum;
	nbr->dd_flags = r->d.dd_flags;
	nbr->last_recv.options = r->d.last_recv_options;
	nbr->last_recv.flags = r->d.last_recv_flags;
	nbr->last_recv.dd_seqnum = r->d.last_recv_dd_seqnum;
	nbr->crypt_seqnum = r->d.crypt_seqnum;
	if (nbr->last_send) {
		ospf_packet_free(nbr->last_send);
		nbr->last_send = NULL;
	}
	if (r->d.last_dd_len) {
		struct ospf_packet *op = XCALLOC(MTYPE_OSPF_PACKET, sizeof(*op));
		int64_t ago_usec = (int64_t)r->d.last_dd_age_msec * 1000;

		/* room for the digest ospf_packet_dup() and the sending add */
		op->s = stream_new(r->d.last_dd_len + OSPF_AUTH_MD5_SIZE + 64);
		stream_put(op->s, r->last_dd, r->d.last_dd_len);
		op->length = r->d.last_dd_len;
		op->dst = oi->type == OSPF_IFTYPE_POINTOPOINT
				  ? (struct in_addr){ .s_addr = htonl(OSPF_ALLSPFROUTERS) }
				  : r->d.src;
		nbr->last_send = op;
		monotime(&nbr->last_send_ts);
		nbr->last_send_ts.tv_sec -= ago_usec / 1000000;
		nbr->last_send_ts.tv_usec -= ago_usec % 1000000;
		if (nbr->last_send_ts.tv_usec < 0) {
			nbr->last_send_ts.tv_sec--;
			nbr->last_send_ts.tv_usec += 1000000;
		}
	}
	monotime(&nbr->ts_last_progress);
	nbr->ts_last_progress.tv_sec -= r->d.uptime_msec / 1000;
	r->held = true;
}

static void ospf_ha_nbr_release(struct ospf *ospf, struct ospf_ha_nbr *r)
{
	struct ospf_interface *oi = ospf_ha_oi(ospf, r->d.key.ifname, r->d.key.address);
	struct ospf_neighbor *nbr = oi ? ospf_ha_nbr_of(oi, r->d.router_id, r->d.src) : NULL;

	/* (the same neighbour: not another router since at its address) */
	if (nbr && nbr != oi->nbr_self && nbr->router_id.s_addr == r->d.router_id.s_addr &&
	    nbr->src.s_addr == r->d.src.s_addr)
		ospf_ha_nbr_drop(nbr);
}

/* ospfd's link *ref to one of its own LSAs dropped (ospf_lsa_unlock
 * clears the pointer only when it frees the LSA). */
static void ospf_ha_unlink(struct ospf_lsa **ref)
{
	struct ospf_lsa *lsa = *ref;

	*ref = NULL;
	ospf_lsa_unlock(&lsa);
}

/* Remove lsa from its LSDB as ospfd's MaxAge remover does, unlinking it
 * first where ospfd keeps it as its own. */
static void ospf_ha_lsa_remove(struct ospf *ospf, struct ospf_lsa *lsa)
{
	struct ospf_lsdb *lsdb = lsa->lsdb;

	if (lsa->area && lsa->area->router_lsa_self == lsa)
		ospf_ha_unlink(&lsa->area->router_lsa_self);
	if (lsa->data->type == OSPF_NETWORK_LSA) {
		struct ospf_interface *oi;
		struct listnode *node;

		for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi))
			if (oi->network_lsa_self == lsa)
				ospf_ha_unlink(&oi->network_lsa_self);
	}
	if (!lsdb)
		return;
	ospf_lsa_lock(lsa);
	ospf_discard_from_db(ospf, lsdb, lsa);
	ospf_lsdb_delete(lsdb, lsa);
	ospf_lsa_unlock(&lsa);
}

/* The standby holds no timer ospfd would age or remove LSAs by. */
static void ospf_ha_quiet_timers(struct ospf *ospf)
{
	EVENT_OFF(ospf->t_maxage);
	EVENT_OFF(ospf->t_maxage_walker);
}

static struct ospf_area *ospf_ha_area(struct ospf *ospf, uint32_t area_id)
{
	struct in_addr id = { .s_addr = htonl(area_id) };

	return ospf_area_lookup_by_area_id(ospf, id);
}

/* Standby: one LSA (checked: lib/ha_ospf_delta.c) into ospfd's LSDB. */
/* Standby: lsa's age as replicated (ospfd ages it on from now; at MaxAge,
 * since when it is there: its removal is due maxage-delay after that). */
static void ospf_ha_lsa_age_set(struct ospf_lsa *lsa, const struct ha_ospf_lsa *d)
{
	lsa->data->ls_age = htons(d->age);
	monotime(&lsa->tv_recv);
	if (d->age >= OSPF_LSA_MAXAGE && d->maxage_msec) {
		struct timeval ago = { .tv_sec = d->maxage_msec / 1000,
				       .tv_usec = (d->maxage_msec % 1000) * 1000 };

		timersub(&lsa->tv_recv, &ago, &lsa->tv_recv);
	}
}

static bool ospf_ha_apply_lsa(struct ospf *ospf, const struct ha_ospf_lsa *d, char *err,
			      size_t errlen)
{
	const struct lsa_header *h = (const void *)d->lsa;
	struct ospf_interface *oi = NULL;
	struct ospf_area *area = NULL;
	struct ospf_lsa *lsa, *cur;
	bool as_scope = h->type == OSPF_AS_EXTERNAL_LSA || h->type == OSPF_OPAQUE_AS_LSA;

	if (!as_scope) {
		area = ospf_ha_area(ospf, d->area);
		if (!area) {
			snprintfrr(err, errlen,
				   "LSA %u/%pI4/%pI4 of area %u, which this ospfd does not have",
				   h->type, &h->id, &h->adv_router, d->area);
			return false;
		}
	}
	if (d->has_if)
		oi = ospf_ha_oi(ospf, d->key.ifname, d->key.address);
	cur = ospf_lsdb_lookup(as_scope ? ospf->lsdb : area->lsdb,
			       &(struct ospf_lsa){ .data = (struct lsa_header *)h });
	if (d->removed) {
		if (cur)
			ospf_ha_lsa_remove(ospf, cur);
		return true;
	}
	if (cur && cur->data->ls_seqnum == h->ls_seqnum && cur->data->checksum == h->checksum &&
	    ntohs(cur->data->length) == d->len &&
	    memcmp(cur->data + 1, h + 1, d->len - OSPF_LSA_HEADER_SIZE) == 0) {
		/* this instance, again (sent as flooded, then as installed):
		 * only its age -- installing it anew would take it off the
		 * neighbours' retransmission lists */
		if (d->age >= OSPF_LSA_MAXAGE || !IS_LSA_MAXAGE(cur))
			ospf_ha_lsa_age_set(cur, d);
		return true;
	}
	if (!oi && (h->type == OSPF_NETWORK_LSA || h->type == OSPF_OPAQUE_LINK_LSA)) {
		struct listnode *node;

		/* a network LSA of another router: any interface of the area
		 * (ospfd uses it only for its own) */
		if (h->type == OSPF_NETWORK_LSA && area->oiflist)
			for (ALL_LIST_ELEMENTS_RO(area->oiflist, node, oi))
				break;
		if (!oi) {
			snprintfrr(err, errlen, "LSA %u/%pI4/%pI4: no interface here to hold it",
				   h->type, &h->id, &h->adv_router);
			return false;
		}
	}
	lsa = ospf_lsa_new_and_data(d->len);
	memcpy(lsa->data, d->lsa, d->len);
	ospf_ha_lsa_age_set(lsa, d);
	lsa->area = area;
	lsa->vrf_id = ospf->vrf_id;
	if (h->type == OSPF_OPAQUE_LINK_LSA)
		lsa->oi = oi;
	/* received: ospfd links none of its own as the ones it refreshes
	 * (ospf_ha_take_over does) */
	SET_FLAG(lsa->flags, OSPF_LSA_RECEIVED);
	(void)ospf_lsa_is_self_originated(ospf, lsa);
	if (!ospf_lsa_install(ospf, oi, lsa)) {
		ospf_lsa_discard(lsa);
		snprintfrr(err, errlen, "LSA %u/%pI4/%pI4: ospfd refused to install it", h->type,
			   &h->id, &h->adv_router);
		return false;
	}
	counters.lsa_applied++;
	if (ospf_ha_quiet)
		ospf_ha_quiet_timers(ospf);
	return true;
}

/* The LSA with header h in the database its neighbour's list refers to. */
static struct ospf_lsa *ospf_ha_lsdb_find(struct ospf *ospf, struct ospf_interface *oi,
					  const struct lsa_header *h)
{
	struct ospf_lsa key = { .data = (struct lsa_header *)h };
	bool as_scope = h->type == OSPF_AS_EXTERNAL_LSA || h->type == OSPF_OPAQUE_AS_LSA;

	return ospf_lsdb_lookup(as_scope ? ospf->lsdb : oi->area->lsdb, &key);
}

static bool ospf_ha_apply_list(struct ospf *ospf, const struct ha_ospf_list_entry *d, char *err,
			       size_t errlen)
{
	const struct lsa_header *h = (const void *)d->header;
	struct ospf_interface *oi = ospf_ha_oi(ospf, d->key.ifname, d->key.address);
	struct ospf_neighbor *nbr = oi ? ospf_ha_nbr_of(oi, d->router_id, d->src) : NULL;
	struct ospf_lsa key = { .data = (struct lsa_header *)h }, *cur, *lsa;

	if (!nbr || nbr == oi->nbr_self) {
		/* a neighbour whose interface is not here (it was replicated:
		 * not held -- the digests show it) */
		if (!ospf_ha_nbr_find(d->key.ifname, d->key.address, d->router_id, d->src, false)) {
			snprintfrr(err, errlen,
				   "list entry for neighbour %pI4 (%pI4 on %s), unknown here",
				   &d->router_id, &d->src, d->key.ifname);
			return false;
		}
		return true;
	}
	switch (d->list) {
	case HA_OSPF_LIST_RXMT:
		cur = ospf_ls_retransmit_lookup(nbr, &key);
		if (d->removed) {
			if (cur && cur->data->ls_seqnum == h->ls_seqnum)
				ospf_ls_retransmit_delete(nbr, cur);
			return true;
		}
		lsa = ospf_ha_lsdb_find(ospf, oi, h);
		if (!lsa || lsa->data->ls_seqnum != h->ls_seqnum) {
			snprintfrr(err, errlen,
				   "retransmission list of %pI4: LSA %u/%pI4/%pI4 seq 0x%08x not in the LSDB",
				   &d->router_id, h->type, &h->id, &h->adv_router,
				   ntohl(h->ls_seqnum));
			return false;
		}
		if (cur != lsa)
			ospf_ls_retransmit_add(nbr, lsa);
		if (ospf_ha_quiet)
			EVENT_OFF(nbr->t_ls_rxmt);
		return true;
	case HA_OSPF_LIST_REQ:
		cur = ospf_ls_request_lookup(nbr, &key);
		if (d->removed) {
			if (cur)
				ospf_ls_request_delete(nbr, cur);
		} else if (!cur) {
			lsa = ospf_ls_request_new((struct lsa_header *)h);
			ospf_ls_request_add(nbr, lsa);
			ospf_lsa_discard(lsa); /* the list holds it */
		}
		return true;
	case HA_OSPF_LIST_SUMMARY:
		cur = ospf_lsdb_lookup(&nbr->db_sum, &key);
		if (d->removed) {
			if (cur)
				ospf_lsdb_delete(&nbr->db_sum, cur);
			return true;
		}
		lsa = ospf_ha_lsdb_find(ospf, oi, h);
		if (lsa && lsa->data->ls_seqnum == h->ls_seqnum) {
			ospf_lsdb_add(&nbr->db_sum, lsa);
		} else {
			/* the instance it describes is gone here: its header */
			lsa = ospf_ls_request_new((struct lsa_header *)h);
			ospf_lsdb_add(&nbr->db_sum, lsa);
			ospf_lsa_discard(lsa); /* the list holds it */
		}
		return true;
	}
	return true;
}

static void ospf_ha_apply_interface(struct ospf *ospf, const struct ha_ospf_interface *d)
{
	struct ospf_ha_if *r = ospf_ha_if_find(d->key.ifname, d->key.address, true);

	r->d = *d;
	ospf_ha_if_hold(ospf, r);
}

static void ospf_ha_apply_neighbor(struct ospf *ospf, const struct ha_ospf_neighbor *d)
{
	struct ospf_ha_nbr *r = ospf_ha_nbr_find(d->key.ifname, d->key.address, d->router_id,
						 d->src, !d->removed);

	if (d->removed) {
		if (r) {
			ospf_ha_nbr_release(ospf, r);
			ospf_ha_nbr_free(r);
		}
		return;
	}
	r->d = *d;
	r->d.last_dd = NULL;
	ospf_ha_nbr_set_dd(r, d->last_dd, d->last_dd_len);
	ospf_ha_nbr_hold(ospf, r);
}

/* Standby: a delta of the diverged scope, made before its copy: not
 * applied (it may build on what was refused; the copy contains it). */
static bool ospf_ha_ignored(uint8_t kind, uint8_t type, uint32_t area)
{
	if (kind != HA_DELTA_UPDATE || !ospf_ha_diverged.set ||
	    !ha_ospf_scope_has(&ospf_ha_diverged.scope, type, area))
		return false;
	scope_copy.ignored++;
	return true;
}

static bool ospf_ha_apply(struct ha_repl *repl, uint8_t kind, uint16_t subtype, const uint8_t *data,
			  size_t len, char *err, size_t errlen, void *arg)
{
	struct ospf *ospf = ospf_ha_ospf();
	void *msg = NULL;
	bool ok = true;

	if (!ospf) {
		snprintf(err, errlen, "ospfd has no OSPF instance (router ospf) here");
		return false;
	}
	switch (subtype) {
	case OSPF_HA_INTERFACE: {
		struct ha_ospf_interface d;

		if (ha_ospf_interface_decode(data, len, &d, &msg, err, errlen) < 0)
			return false;
		ospf_ha_apply_interface(ospf, &d);
		break;
	}
	case OSPF_HA_NEIGHBOR: {
		struct ha_ospf_neighbor d;

		if (ha_ospf_neighbor_decode(data, len, &d, &msg, err, errlen) < 0)
			return false;
		ospf_ha_apply_neighbor(ospf, &d);
		break;
	}
	case OSPF_HA_LSA: {
		struct ha_ospf_lsa d;

		if (ha_ospf_lsa_decode(data, len, &d, &msg, err, errlen) < 0)
			ok = false;
		else if (ospf_ha_ignored(kind, d.type, d.area))
			break;
		else
			ok = ospf_ha_apply_lsa(ospf, &d, err, errlen);
		if (!ok)
			counters.lsa_refused++;
		else if (kind == HA_DELTA_BULK_ITEM && scope_copy.receiving)
			scope_copy.lsas++;
		break;
	}
	case OSPF_HA_NBR_LIST: {
		struct ha_ospf_list_entry d;

		if (ha_ospf_list_decode(data, len, &d, &msg, err, errlen) < 0)
			return false;
		if (ospf_ha_ignored(kind, d.type, d.area))
			break;
		ok = ospf_ha_apply_list(ospf, &d, err, errlen);
		if (ok && kind == HA_DELTA_BULK_ITEM && scope_copy.receiving)
			scope_copy.list_entries++;
		break;
	}
	default:
		snprintf(err, errlen, "unknown ospf-state delta subtype %u", subtype);
		return false;
	}
	ha_ospf_delta_free(msg);
	return ok;
}

/* Standby: every LSA of lsdb (an area's or the AS's) out of ospfd. */
static void ospf_ha_lsdb_clear(struct ospf *ospf, struct ospf_lsdb *lsdb)
{
	for (int type = OSPF_MIN_LSA; type < OSPF_MAX_LSA; type++) {
		struct route_node *rn;
		struct ospf_lsa *lsa;

		LSDB_LOOP(lsdb->type[type].db, rn, lsa)
		ospf_ha_lsa_remove(ospf, lsa);
	}
}

/* Standby, a bulk copy begins: ospfd forgets the replicated state -- its
 * neighbours, its interfaces' states, its LSDB. */
static void ospf_ha_reset(struct ha_repl *repl, void *arg)
{
	struct ospf *ospf = ospf_ha_ospf();
	struct ospf_ha_nbr *n;
	struct ospf_ha_if *i;

	if (ospf) {
		struct ospf_interface *oi;
		struct ospf_area *area;
		struct listnode *node;

		frr_each (ospf_ha_nbrs, &ha_nbrs, n)
			ospf_ha_nbr_release(ospf, n);
		/* and any other neighbour ospfd has (from its own time as
		 * active) */
		for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
			struct route_node *rn;

			for (rn = route_top(oi->nbrs); rn; rn = route_next(rn)) {
				struct ospf_neighbor *nbr = rn->info;

				if (nbr && nbr != oi->nbr_self)
					ospf_ha_nbr_drop(nbr);
			}
		}
		frr_each (ospf_ha_ifs, &ha_ifs, i) {
			i->d.state = ISM_Down;
			i->d.dr.s_addr = i->d.bdr.s_addr = INADDR_ANY;
			ospf_ha_if_hold(ospf, i);
		}
		for (ALL_LIST_ELEMENTS_RO(ospf->areas, node, area))
			ospf_ha_lsdb_clear(ospf, area->lsdb);
		ospf_ha_lsdb_clear(ospf, ospf->lsdb);
	}
	ospf_ha_records_clear();
	ospf_ha_diverged.set = false;
	scope_copy.receiving = false;
}

/* Active, a bulk copy: every LSA of lsdb (an area's or the AS's). */
static void ospf_ha_lsdb_emit(struct ospf_lsdb *lsdb)
{
	for (int type = OSPF_MIN_LSA; type < OSPF_MAX_LSA; type++) {
		struct route_node *rn;
		struct ospf_lsa *lsa;

		LSDB_LOOP(lsdb->type[type].db, rn, lsa)
		ospf_ha_lsa_emit(lsa, false, true);
	}
}

/* Active, a bulk copy: the neighbours' list entries, of scope sc or all. */
static void ospf_ha_lists_emit(struct ospf *ospf, const struct ha_ospf_scope *sc)
{
	struct ospf_interface *oi;
	struct listnode *node;

	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		uint32_t area = ntohl(oi->area->area_id.s_addr);
		struct route_node *rn;

		for (rn = route_top(oi->nbrs); rn; rn = route_next(rn)) {
			struct ospf_neighbor *nbr = rn->info;
			struct ospf_lsdb *lists[3];

			if (!nbr || nbr == oi->nbr_self || nbr->state == NSM_Deleted)
				continue;
			lists[0] = &nbr->ls_rxmt;
			lists[1] = &nbr->ls_req;
			lists[2] = &nbr->db_sum;
			for (unsigned int l = 0; l < array_size(lists); l++)
				for (int type = OSPF_MIN_LSA; type < OSPF_MAX_LSA; type++) {
					struct route_node *rn2;
					struct ospf_lsa *lsa;

					if (sc && !ha_ospf_scope_has(sc, type, area))
						continue;
					LSDB_LOOP(lists[l]->type[type].db, rn2, lsa)
					ospf_ha_list_emit(nbr, l + 1, lsa, false, true);
				}
		}
	}
}

/* Active: the whole state for a standby that joins. */
static bool ospf_ha_bulk(struct ha_repl *repl, void **cursor, void *arg)
{
	struct ospf *ospf = ospf_ha_ospf();
	struct ospf_interface *oi;
	struct ospf_area *area;
	struct listnode *node;
	struct ospf_ha_if *i;
	struct ospf_ha_nbr *n;

	if (!ospf)
		return true;
	/* the records as they are now */
	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		struct route_node *rn;

		if (!oi->ifp || !oi->address || oi->type == OSPF_IFTYPE_VIRTUALLINK)
			continue;
		ospf_ha_if_update(ospf_ha_if_find(oi->ifp->name, oi->address->u.prefix4, true), oi);
		for (rn = route_top(oi->nbrs); rn; rn = route_next(rn)) {
			struct ospf_neighbor *nbr = rn->info;

			if (nbr && nbr != oi->nbr_self && nbr->state != NSM_Deleted)
				ospf_ha_nbr_update(ospf_ha_nbr_find(oi->ifp->name,
								    oi->address->u.prefix4,
								    nbr->router_id, nbr->src, true),
						   nbr);
		}
	}
	/* the LSDB first: the lists refer to it */
	for (ALL_LIST_ELEMENTS_RO(ospf->areas, node, area))
		ospf_ha_lsdb_emit(area->lsdb);
	ospf_ha_lsdb_emit(ospf->lsdb);
	frr_each (ospf_ha_ifs, &ha_ifs, i)
		ospf_ha_if_emit(i, true);
	frr_each (ospf_ha_nbrs, &ha_nbrs, n)
		ospf_ha_nbr_emit(n, false, true);
	ospf_ha_lists_emit(ospf, NULL);
	return true;
}

/* ---- one scope (an area, or the AS) copied again ---- */

/* The LSAs of scope sc in nbr's lists, out of them (standby). */
static void ospf_ha_lists_clear(struct ospf_neighbor *nbr, const struct ha_ospf_scope *sc)
{
	uint32_t area = ntohl(nbr->oi->area->area_id.s_addr);

	for (int type = OSPF_MIN_LSA; type < OSPF_MAX_LSA; type++) {
		struct route_node *rn;
		struct ospf_lsa *lsa;

		if (!ha_ospf_scope_has(sc, type, area))
			continue;
		LSDB_LOOP(nbr->ls_rxmt.type[type].db, rn, lsa)
		ospf_ls_retransmit_delete(nbr, lsa);
		LSDB_LOOP(nbr->ls_req.type[type].db, rn, lsa)
		ospf_ls_request_delete(nbr, lsa);
		LSDB_LOOP(nbr->db_sum.type[type].db, rn, lsa)
		ospf_lsdb_delete(&nbr->db_sum, lsa);
	}
}

static bool ospf_ha_scope_name(const uint8_t *scope, size_t len, char *buf, size_t buflen, void *arg)
{
	struct ha_ospf_scope sc;

	if (!ha_ospf_scope_decode(scope, len, &sc))
		return false;
	ha_ospf_scope_name(&sc, buf, buflen);
	return true;
}

/* Standby: the delta refused was of this scope (an LSA's or a list
 * entry's): its deltas wait for its copy.  Other deltas -- interfaces,
 * neighbours, which are in no scope -- or one that does not even say its
 * LSA: the whole module is copied. */
static size_t ospf_ha_refused_scope(struct ha_repl *repl, uint16_t subtype, const uint8_t *data,
				    size_t len, uint8_t *scope, void *arg)
{
	struct ospf *ospf = ospf_ha_ospf();
	struct ha_ospf_scope sc;
	bool ok;

	if (!ospf)
		return 0;
	if (subtype == OSPF_HA_LSA)
		ok = ha_ospf_lsa_scope(data, len, &sc);
	else if (subtype == OSPF_HA_NBR_LIST)
		ok = ha_ospf_list_scope(data, len, &sc);
	else
		ok = false;
	/* an area this ospfd lacks is a difference of configuration: no
	 * copy of it mends that */
	if (!ok || (!sc.as && !ospf_ha_area(ospf, sc.area)))
		return 0;
	ospf_ha_diverged.set = true;
	ospf_ha_diverged.scope = sc;
	return ha_ospf_scope_encode(&sc, scope);
}

/* Standby: the copy of a scope begins: its LSAs and its list entries
 * out of ospfd; its deltas apply again. */
static void ospf_ha_scope_reset(struct ha_repl *repl, const uint8_t *scope, size_t len, void *arg)
{
	struct ospf *ospf = ospf_ha_ospf();
	struct ospf_interface *oi;
	struct listnode *node;
	struct ha_ospf_scope sc;

	if (!ha_ospf_scope_decode(scope, len, &sc))
		return; /* the engine asked ospf_ha_scope_name first */
	ospf_ha_diverged.set = false;
	scope_copy.copies++;
	scope_copy.receiving = true;
	scope_copy.lsas = scope_copy.list_entries = 0;
	ha_ospf_scope_name(&sc, scope_copy.last, sizeof(scope_copy.last));
	if (!ospf)
		return;
	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		struct route_node *rn;

		for (rn = route_top(oi->nbrs); rn; rn = route_next(rn)) {
			struct ospf_neighbor *nbr = rn->info;

			if (nbr && nbr != oi->nbr_self)
				ospf_ha_lists_clear(nbr, &sc);
		}
	}
	if (sc.as) {
		ospf_ha_lsdb_clear(ospf, ospf->lsdb);
	} else {
		struct ospf_area *area = ospf_ha_area(ospf, sc.area);

		if (area)
			ospf_ha_lsdb_clear(ospf, area->lsdb);
	}
}

/* Active: a scope's state for a standby that refused a delta of it. */
static bool ospf_ha_scope_bulk(struct ha_repl *repl, const uint8_t *scope, size_t len,
			       void **cursor, void *arg)
{
	struct ospf *ospf = ospf_ha_ospf();
	struct ha_ospf_scope sc;

	if (!ospf || !ha_ospf_scope_decode(scope, len, &sc))
		return true;
	scope_copy.copies++;
	if (sc.as) {
		ospf_ha_lsdb_emit(ospf->lsdb);
	} else {
		struct ospf_area *area = ospf_ha_area(ospf, sc.area);

		if (area)
			ospf_ha_lsdb_emit(area->lsdb);
	}
	ospf_ha_lists_emit(ospf, &sc);
	return true;
}

/* ---- digests: both cards, the same canonical form ---- */

static void ospf_ha_digest_lsdb(struct ha_hash *h, struct ospf_lsdb *lsdb, uint64_t *items)
{
	for (int type = OSPF_MIN_LSA; type < OSPF_MAX_LSA; type++) {
		struct route_node *rn;
		struct ospf_lsa *lsa;

		LSDB_LOOP(lsdb->type[type].db, rn, lsa)
		{
			struct lsa_header *d = lsa->data;

			/* not the age: each card ages its copy */
			ha_hash_update(h, &d->type, sizeof(d->type));
			ha_hash_update(h, &d->id, sizeof(d->id));
			ha_hash_update(h, &d->adv_router, sizeof(d->adv_router));
			ha_hash_update(h, &d->ls_seqnum, sizeof(d->ls_seqnum));
			ha_hash_update(h, &d->checksum, sizeof(d->checksum));
			(*items)++;
		}
	}
}

static int ospf_ha_key_cmp(const struct ha_ospf_if_key *a, const struct ha_ospf_if_key *b)
{
	int c = strcmp(a->ifname, b->ifname);

	if (c)
		return c;
	if (a->address.s_addr != b->address.s_addr)
		return ntohl(a->address.s_addr) < ntohl(b->address.s_addr) ? -1 : 1;
	return 0;
}

static int ospf_ha_if_cmp(const struct ospf_ha_if *a, const struct ospf_ha_if *b)
{
	return ospf_ha_key_cmp(&a->d.key, &b->d.key);
}

static int ospf_ha_nbr_cmp(const struct ospf_ha_nbr *a, const struct ospf_ha_nbr *b)
{
	int c = ospf_ha_key_cmp(&a->d.key, &b->d.key);

	if (c)
		return c;
	if (a->d.router_id.s_addr != b->d.router_id.s_addr)
		return ntohl(a->d.router_id.s_addr) < ntohl(b->d.router_id.s_addr) ? -1 : 1;
	if (a->d.src.s_addr != b->d.src.s_addr)
		return ntohl(a->d.src.s_addr) < ntohl(b->d.src.s_addr) ? -1 : 1;
	return 0;
}

static void ospf_ha_digest(struct ha_repl *repl, struct ha_hash *h, uint64_t *items, void *arg)
{
	struct ospf *ospf = ospf_ha_ospf();
	struct ospf_area *area;
	struct listnode *node;

	if (!ospf)
		return;
	/* areas by id */
	for (struct ospf_area *next = NULL, *prev = NULL;; prev = next, next = NULL) {
		for (ALL_LIST_ELEMENTS_RO(ospf->areas, node, area))
			if ((!prev || ntohl(area->area_id.s_addr) > ntohl(prev->area_id.s_addr)) &&
			    (!next || ntohl(area->area_id.s_addr) < ntohl(next->area_id.s_addr)))
				next = area;
		if (!next)
			break;
		ha_hash_update(h, &next->area_id, sizeof(next->area_id));
		ospf_ha_digest_lsdb(h, next->lsdb, items);
	}
	ospf_ha_digest_lsdb(h, ospf->lsdb, items);
	/* interface and neighbour records, sorted */
	for (struct ospf_ha_if *next = NULL, *prev = NULL, *r;; prev = next, next = NULL) {
		frr_each (ospf_ha_ifs, &ha_ifs, r)
			if ((!prev || ospf_ha_if_cmp(r, prev) > 0) &&
			    (!next || ospf_ha_if_cmp(r, next) < 0))
				next = r;
		if (!next)
			break;
		ha_hash_update(h, next->d.key.ifname, strlen(next->d.key.ifname) + 1);
		ha_hash_update(h, &next->d.key.address, sizeof(next->d.key.address));
		ha_hash_update(h, &next->d.state, sizeof(next->d.state));
		ha_hash_update(h, &next->d.dr, sizeof(next->d.dr));
		ha_hash_update(h, &next->d.bdr, sizeof(next->d.bdr));
		(*items)++;
	}
	for (struct ospf_ha_nbr *next = NULL, *prev = NULL, *r;; prev = next, next = NULL) {
		frr_each (ospf_ha_nbrs, &ha_nbrs, r)
			if ((!prev || ospf_ha_nbr_cmp(r, prev) > 0) &&
			    (!next || ospf_ha_nbr_cmp(r, next) < 0))
				next = r;
		if (!next)
			break;
		ha_hash_update(h, next->d.key.ifname, strlen(next->d.key.ifname) + 1);
		ha_hash_update(h, &next->d.key.address, sizeof(next->d.key.address));
		ha_hash_update(h, &next->d.router_id, sizeof(next->d.router_id));
		ha_hash_update(h, &next->d.src, sizeof(next->d.src));
		ha_hash_update(h, &next->d.state, sizeof(next->d.state));
		ha_hash_update(h, &next->d.dd_seqnum, sizeof(next->d.dd_seqnum));
		ha_hash_update(h, &next->d.dd_flags, sizeof(next->d.dd_flags));
		(*items)++;
	}
}

/* ---- the standby's ospfd does nothing ---- */

/* Not active: nothing leaves (patches/frr 0005). */
static int ospf_ha_packet_send(struct ospf_interface *oi, struct ospf_packet *op, uint8_t type)
{
	if (!ospf_ha_active() || ospf_ha_exiting()) {
		counters.sent_vetoed++;
		return 1;
	}
	/* what this packet shows the neighbours, the standby has first (the
	 * gate holds the packet until it is committed) */
	if (ospf_ha_replicating())
		ospf_ha_sync_oi(oi);
	return 0;
}

static int ospf_ha_packet_recv(struct ospf_interface *oi, struct ip *iph, struct ospf_header *ospfh,
			       struct stream *ibuf)
{
	if (ospf_ha_active())
		return 0;
	counters.received_dropped++;
	return 1;
}

static int ospf_ha_refresh_check(struct ospf *ospf, struct ospf_lsa *lsa)
{
	return !ospf_ha_active();
}

/* While not active, ospfd's state machines do not run -- but an interface
 * taken down (its configuration removed, its link down, ospfd exiting) is
 * torn down as ospfd does it, its neighbours killed: ospfd frees it only
 * in state Down.  Nothing of that is sent (the send veto) or originated
 * (the graceful-restart flag). */
static int ospf_ha_ism_event_check(struct ospf_interface *oi, int event)
{
	return !ospf_ha_active() && !ospf_ha_exiting() && event != ISM_InterfaceDown;
}

static int ospf_ha_nsm_event_check(struct ospf_neighbor *nbr, int event)
{
	return !ospf_ha_active() && !ospf_ha_exiting() && event != NSM_KillNbr &&
	       event != NSM_LLDown;
}

static int ospf_ha_nbr_note(struct ospf_neighbor *nbr, const char **note)
{
	if (!ospf_ha_active())
		*note = "Standby";
	return 0;
}

/* An instance created while this card is not active originates nothing
 * (ospfd's graceful-restart flag: no LSA of its own, nothing to zebra). */
static void ospf_ha_quiet_instance(struct ospf *ospf)
{
	if (!ospf->gr_info.restart_in_progress) {
		ospf->gr_info.restart_in_progress = true;
		ospf->gr_info.reason = OSPF_GR_SW_RESTART;
		ospf_ha_gr_set = true;
	}
	ospf_ha_quiet_timers(ospf);
}

static int ospf_ha_instance_new(struct ospf *ospf)
{
	if (!ospf_ha_active() && ospf->vrf_id == VRF_DEFAULT)
		ospf_ha_quiet_instance(ospf);
	return 0;
}

static int ospf_ha_ism_change(struct ospf_interface *oi, int state, int oldstate)
{
	if (ospf_ha_replicating())
		ospf_ha_sync_oi(oi);
	return 0;
}

static int ospf_ha_nsm_change(struct ospf_neighbor *nbr, int state, int oldstate)
{
	if (ospf_ha_replicating() && nbr->oi)
		ospf_ha_sync_oi(nbr->oi);
	return 0;
}

/* ---- the gate ---- */

static void ospf_ha_gate_packet(uint32_t id, unsigned int hook, const uint8_t *pkt, size_t len,
				void *arg)
{
	struct ha_repl *repl = ha_module_repl();

	if (!ospf_ha_active() || !repl) {
		gate.dropped++;
		ha_gate_drop(&gate.q, id);
		return;
	}
	gate.gated++;
	ha_gate_after(&gate.q, repl, ospf_ha_last_ticket, id);
}

static void ospf_ha_gate_open(void)
{
	if (!gate.q.loop)
		ha_gate_init(&gate.q, "ospf gate", OSPF_HA_NFQUEUE, 256, master, &ospfd_privs,
			     ospf_ha_gate_packet, NULL);
	ha_gate_rebind(&gate.q);
}

/* ---- roles ---- */

/* Going standby (the old active of a switchover): ospfd stops where it
 * is, silent; the new active's bulk copy replaces its state. */
static void ospf_ha_go_quiet(struct ospf *ospf)
{
	struct ospf_interface *oi;
	struct listnode *node;

	ospf_ha_quiet = true;
	EVENT_OFF(t_sync);
	if (!ospf)
		return;
	ospf_ha_quiet_instance(ospf);
	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		struct route_node *rn;

		EVENT_OFF(oi->t_hello);
		EVENT_OFF(oi->t_wait);
		EVENT_OFF(oi->t_ls_ack_delayed);
		EVENT_OFF(oi->t_ls_ack_direct);
		EVENT_OFF(oi->t_ls_upd_event);
		for (rn = route_top(oi->nbrs); rn; rn = route_next(rn)) {
			struct ospf_neighbor *nbr = rn->info;

			if (!nbr)
				continue;
			EVENT_OFF(nbr->t_inactivity);
			EVENT_OFF(nbr->t_db_desc);
			EVENT_OFF(nbr->t_ls_req);
			EVENT_OFF(nbr->t_ls_rxmt);
			EVENT_OFF(nbr->t_hello_reply);
		}
	}
}

/* Refresh lsa, one of ours, when its age reaches LSRefreshTime (less
 * jitter), not LSRefreshTime from now: ospfd's refresher, its delay
 * shortened by the age. */
static void ospf_ha_refresh_register(struct ospf *ospf, struct ospf_lsa *lsa)
{
	uint16_t timer = ospf->lsa_refresh_timer;
	int left = (int)timer - (int)LS_AGE(lsa);
	int least = 2 * OSPF_LS_REFRESH_JITTER + OSPF_LSA_REFRESHER_GRANULARITY;

	if (lsa->refresh_list >= 0)
		ospf_refresher_unregister_lsa(ospf, lsa);
	ospf->lsa_refresh_timer = left > least ? left : least;
	ospf_refresher_register_lsa(ospf, lsa);
	ospf->lsa_refresh_timer = timer;
}

/* Our own LSAs, held as received while standby, become ospfd's own: linked
 * where ospfd keeps them, refreshed on their schedule. */
static void ospf_ha_own_lsas(struct ospf *ospf, struct ospf_lsdb *lsdb)
{
	for (int type = OSPF_MIN_LSA; type < OSPF_MAX_LSA; type++) {
		struct route_node *rn;
		struct ospf_lsa *lsa;

		LSDB_LOOP(lsdb->type[type].db, rn, lsa)
		{
			if (!ospf_lsa_is_self_originated(ospf, lsa))
				continue;
			UNSET_FLAG(lsa->flags, OSPF_LSA_RECEIVED);
			if (type == OSPF_ROUTER_LSA && lsa->area &&
			    lsa->area->router_lsa_self != lsa) {
				if (lsa->area->router_lsa_self)
					ospf_ha_unlink(&lsa->area->router_lsa_self);
				lsa->area->router_lsa_self = ospf_lsa_lock(lsa);
			} else if (type == OSPF_NETWORK_LSA) {
				struct ospf_interface *oi =
					ospf_if_lookup_by_local_addr(ospf, NULL, lsa->data->id);

				if (oi && oi->network_lsa_self != lsa) {
					struct ospf_if_params *oip =
						ospf_lookup_if_params(oi->ifp, lsa->data->id);

					if (oi->network_lsa_self)
						ospf_ha_unlink(&oi->network_lsa_self);
					oi->network_lsa_self = ospf_lsa_lock(lsa);
					if (oip)
						oip->network_lsa_seqnum = lsa->data->ls_seqnum;
				}
			}
			if (!IS_LSA_MAXAGE(lsa))
				ospf_ha_refresh_register(ospf, lsa);
		}
	}
}

/*
 * This card became active: ospfd goes on from the replicated state, in
 * this one event -- no neighbour sees a change.
 */
/* Takeover: lsdb's MaxAge LSAs on ospfd's list of LSAs to remove. */
static void ospf_ha_maxage_list(struct ospf *ospf, struct ospf_lsdb *lsdb)
{
	for (int type = OSPF_MIN_LSA; type < OSPF_MAX_LSA; type++) {
		struct route_node *rn;
		struct ospf_lsa *lsa;

		LSDB_LOOP(lsdb->type[type].db, rn, lsa)
		{
			if (IS_LSA_MAXAGE(lsa) && !CHECK_FLAG(lsa->flags, OSPF_LSA_IN_MAXAGE))
				ospf_lsa_maxage(ospf, lsa);
		}
	}
}

/*
 * Takeover: the MaxAge LSAs' remover, due when the old active's would have
 * been -- maxage-delay after the first LSA of the list reached MaxAge
 * (when its MaxAge instance was installed here: tv_recv), not
 * maxage-delay from now: else every takeover would put their removal off
 * again, and LSAs the neighbours removed long ago would stay here.
 */
static void ospf_ha_maxage_remover_start(struct ospf *ospf)
{
	struct timeval now, oldest = {};
	struct ospf_area *area;
	struct listnode *node;
	struct route_node *rn;
	int64_t due_msec;
	bool any = false;

	if (!ospf->maxage_lsa)
		return;
	/* the standby installed the MaxAge LSAs it was sent, but did not
	 * list them for removal (ospfd does that as it ages or receives
	 * them): listed now, or SPF would list them with a full delay */
	for (ALL_LIST_ELEMENTS_RO(ospf->areas, node, area))
		ospf_ha_maxage_list(ospf, area->lsdb);
	ospf_ha_maxage_list(ospf, ospf->lsdb);
	for (rn = route_top(ospf->maxage_lsa); rn; rn = route_next(rn)) {
		struct ospf_lsa *lsa = rn->info;

		if (lsa && (!any || timercmp(&lsa->tv_recv, &oldest, <))) {
			oldest = lsa->tv_recv;
			any = true;
		}
	}
	if (!any)
		return;
	monotime(&now);
	due_msec = (int64_t)ospf->maxage_delay * 1000 -
		   ((int64_t)(now.tv_sec - oldest.tv_sec) * 1000 +
		    (now.tv_usec - oldest.tv_usec) / 1000);
	EVENT_OFF(ospf->t_maxage);
	event_add_timer_msec(master, ospf_maxage_lsa_remover, ospf, due_msec > 0 ? due_msec : 0,
			     &ospf->t_maxage);
}

static void ospf_ha_take_over(struct ospf *ospf)
{
	struct ospf_interface *oi;
	struct ospf_area *area;
	struct listnode *node;
	struct ospf_ha_if *ri;
	struct ospf_ha_nbr *rn_rec;
	struct timeval start;
	uint64_t nbrs = 0, ifs = 0;

	monotime(&start);
	/* the replicated state into ospfd once more (an interface ospfd did
	 * not have when it came) */
	frr_each (ospf_ha_ifs, &ha_ifs, ri)
		if (!ri->held)
			ospf_ha_if_hold(ospf, ri);
	frr_each (ospf_ha_nbrs, &ha_nbrs, rn_rec)
		if (!rn_rec->held)
			ospf_ha_nbr_hold(ospf, rn_rec);
	ospf_ha_quiet = false;
	if (ospf_ha_gr_set) {
		ospf->gr_info.restart_in_progress = false;
		ospf->gr_info.reason = OSPF_GR_UNKNOWN_RESTART;
		EVENT_OFF(ospf->gr_info.t_grace_period);
		ospf_ha_gr_set = false;
	}
	for (ALL_LIST_ELEMENTS_RO(ospf->areas, node, area))
		ospf_ha_own_lsas(ospf, area->lsdb);
	ospf_ha_own_lsas(ospf, ospf->lsdb);
	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		if (oi->type == OSPF_IFTYPE_VIRTUALLINK)
			continue;
		if (oi->state == ISM_Down) {
			/* not replicated up (an interface of a card that was
			 * not active before, e.g. at boot): started now */
			if (oi->ifp && if_is_operative(oi->ifp))
				ospf_if_up(oi);
			continue;
		}
		ifs++;
		ospf_if_set_multicast(oi);
	}
	/* the positions of the interfaces' links in our router LSA (SPF's
	 * next hops), as building it sets them */
	for (ALL_LIST_ELEMENTS_RO(ospf->areas, node, area))
		if (area->router_lsa_self) {
			struct stream *s = stream_new(OSPF_MAX_LSA_SIZE);

			ospf_router_lsa_body_set(&s, area);
			stream_free(s);
		}
	/* the neighbours' timers: dead (and DD, request, retransmission) */
	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		struct route_node *rn;

		for (rn = route_top(oi->nbrs); rn; rn = route_next(rn)) {
			struct ospf_neighbor *nbr = rn->info;

			if (!nbr || nbr == oi->nbr_self || nbr->state < NSM_Init)
				continue;
			nbrs++;
			if (nbr->state == NSM_Exchange && IS_SET_DD_MS(nbr->dd_flags)) {
				/* master of an exchange: its DD retransmission
				 * timer (ospfd arms it in ExStart) */
				nbr->state = NSM_ExStart;
				OSPF_NSM_EVENT_EXECUTE(nbr, NSM_HelloReceived);
				nbr->state = NSM_Exchange;
			} else {
				OSPF_NSM_EVENT_EXECUTE(nbr, NSM_HelloReceived);
			}
			if (nbr->state == NSM_Loading)
				ospf_ls_req_event(nbr);
			if (ospf_ls_retransmit_count(nbr))
				ospf_ls_retransmit_set_timer(nbr);
		}
	}
	/* the interfaces' hello (and wait) timers, and a hello at once */
	for (ALL_LIST_ELEMENTS_RO(ospf->oiflist, node, oi)) {
		if (oi->state <= ISM_Loopback)
			continue;
		OSPF_ISM_EVENT_EXECUTE(oi, ISM_UnloopInd);
		EVENT_OFF(oi->t_hello);
		event_add_timer_msec(master, ospf_hello_timer, oi, 0, &oi->t_hello);
	}
	event_add_timer(master, ospf_lsa_maxage_walker, ospf, OSPF_LSA_MAXAGE_CHECK_INTERVAL,
			&ospf->t_maxage_walker);
	ospf_ha_maxage_remover_start(ospf);
	/* routes: the standby installed none */
	ospf_spf_calculate_schedule(ospf, SPF_FLAG_CONFIG_CHANGE);
	counters.takeovers++;
	counters.takeover_usec = monotime_since(&start, NULL);
	{
		struct timeval now;

		gettimeofday(&now, NULL);
		counters.takeover_at_usec = (uint64_t)now.tv_sec * 1000000 + now.tv_usec;
	}
	snprintf(counters.last_takeover, sizeof(counters.last_takeover),
		 "%" PRIu64 " interfaces and %" PRIu64 " neighbours carried on in %" PRIu64 " us",
		 ifs, nbrs, counters.takeover_usec);
	zlog_notice("frr-ha: ospfd active: %s", counters.last_takeover);
}

static void ospf_ha_role_changed(struct ha_repl *repl, enum ha_role role, void *arg)
{
	struct ospf *ospf = ospf_ha_ospf();

	ospf_ha_gate_open();
	if (ospf_ha_diverged.set) {
		char name[64];

		ha_ospf_scope_name(&ospf_ha_diverged.scope, name, sizeof(name));
		zlog_warn("frr-ha: ospfd goes %s before the copy of %s came: it has that scope as it was before the delta it refused",
			  ha_role_name(role), name);
		ospf_ha_diverged.set = false;
	}
	scope_copy.receiving = false;
	if (role == HA_ROLE_ACTIVE) {
		if (ospf)
			ospf_ha_take_over(ospf);
		else
			ospf_ha_quiet = false;
		event_add_timer_msec(master, ospf_ha_sync_tick, NULL, OSPF_HA_SYNC_MSEC, &t_sync);
		return;
	}
	ospf_ha_go_quiet(ospf);
}

/* ---- show redundancy ospf ---- */

#include "ospfd-ha/ospf_ha_clippy.c"

static const char *ospf_ha_state_str(const struct message *msgs, int state)
{
	return lookup_msg(msgs, state, "?");
}

DEFPY(show_redundancy_ospf, show_redundancy_ospf_cmd, "show redundancy ospf [json]$uj",
      SHOW_STR "Router redundancy (frr-ha)\n"
	       "OSPF state replicated by ospfd-ha\n" JSON_STR)
{
	struct ospf *ospf = ospf_ha_ospf();
	struct ha_repl *repl = ha_module_repl();
	enum ha_role role = ha_client_role();
	struct ha_msg_repl_status st = {};
	json_object *json = NULL, *jareas = NULL, *jifs = NULL, *jnbrs = NULL, *jgate;
	struct ospf_area *area;
	struct listnode *node;
	struct ospf_ha_if *ri;
	struct ospf_ha_nbr *rn;
	char a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN], a3[INET_ADDRSTRLEN];

	if (repl)
		ha_repl_status(repl, &st);
	if (uj) {
		json = json_object_new_object();
		json_object_string_add(json, "role", ha_role_name(role));
		json_object_string_add(json, "replication",
				       repl ? ha_repl_state_name(ha_repl_state(repl)) : "none");
		json_object_boolean_add(json, "holding", !ospf_ha_active());
		jgate = json_object_new_object();
		json_object_int_add(jgate, "queue", OSPF_HA_NFQUEUE);
		json_object_boolean_add(jgate, "bound", ha_gate_bound(&gate.q));
		json_object_int_add(jgate, "packetsGated", gate.gated);
		json_object_int_add(jgate, "packetsDropped", gate.dropped);
		json_object_int_add(jgate, "verdictErrors", gate.q.verdict_errors);
		json_object_int_add(jgate, "verdicts", gate.q.verdicts);
		json_object_int_add(jgate, "verdictSends", gate.q.verdict_sends);
		if (gate.q.error[0])
			json_object_string_add(jgate, "error", gate.q.error);
		json_object_object_add(json, "gate", jgate);
		json_object_int_add(json, "packetsNotSent", counters.sent_vetoed);
		json_object_int_add(json, "packetsNotReceived", counters.received_dropped);
		json_object_int_add(json, "lsasApplied", counters.lsa_applied);
		json_object_int_add(json, "lsasRefused", counters.lsa_refused);
		json_object_int_add(json, "ackTimeoutMsec", ospf_ha_ack_timeout_msec);
		json_object_int_add(json, "scopedResyncs", scope_copy.copies);
		json_object_int_add(json, "deltasIgnoredWhileDiverged", scope_copy.ignored);
		if (ospf_ha_diverged.set) {
			char name[64];

			ha_ospf_scope_name(&ospf_ha_diverged.scope, name, sizeof(name));
			json_object_string_add(json, "diverged", name);
		}
		if (scope_copy.last[0]) {
			json_object *jl = json_object_new_object();

			json_object_string_add(jl, "scope", scope_copy.last);
			json_object_int_add(jl, "lsas", scope_copy.lsas);
			json_object_int_add(jl, "listEntries", scope_copy.list_entries);
			json_object_object_add(json, "lastScopedCopy", jl);
		}
		json_object_int_add(json, "takeovers", counters.takeovers);
		json_object_int_add(json, "lastTakeoverUsec", counters.takeover_usec);
		json_object_int_add(json, "lastTakeoverAtEpochUsec", counters.takeover_at_usec);
		if (counters.last_takeover[0])
			json_object_string_add(json, "lastTakeover", counters.last_takeover);
		jareas = json_object_new_object();
		jifs = json_object_new_object();
		jnbrs = json_object_new_object();
	} else {
		vty_out(vty, "OSPF state replicated by ospfd-ha (this card: %s)\n",
			ha_role_name(role));
		vty_out(vty, "Replication: %s; ospfd %s\n",
			repl ? ha_repl_state_name(ha_repl_state(repl)) : "none",
			ospf_ha_active() ? "active" : "holds the state and sends nothing");
		vty_out(vty,
			"Gate: netfilter queue %u %s, packets held until the standby had what they depend on: %" PRIu64
			"; dropped while standby: %" PRIu64 "\n",
			OSPF_HA_NFQUEUE, ha_gate_bound(&gate.q) ? "bound" : "not bound", gate.gated,
			gate.dropped);
		vty_out(vty, "A standby that acknowledges nothing for %u ms is given up\n",
			ospf_ha_ack_timeout_msec);
		if (gate.q.error[0])
			vty_out(vty, "  %s\n", gate.q.error);
		vty_out(vty, "Takeovers: %" PRIu64 "%s%s\n", counters.takeovers,
			counters.last_takeover[0] ? ", last: " : "", counters.last_takeover);
		vty_out(vty, "Areas (or the AS) copied again after a refused delta: %" PRIu64,
			scope_copy.copies);
		if (scope_copy.last[0])
			vty_out(vty,
				"; last received: %s, %" PRIu64 " LSAs, %" PRIu64 " list entries",
				scope_copy.last, scope_copy.lsas, scope_copy.list_entries);
		vty_out(vty, "\n");
		if (ospf_ha_diverged.set) {
			char name[64];

			ha_ospf_scope_name(&ospf_ha_diverged.scope, name, sizeof(name));
			vty_out(vty,
				"Waiting for a copy of %s; its deltas not applied: %" PRIu64 "\n",
				name, scope_copy.ignored);
		}
	}
	if (ospf) {
		if (!uj)
			vty_out(vty, "Areas:\n");
		for (ALL_LIST_ELEMENTS_RO(ospf->areas, node, area)) {
			unsigned long self = 0;

			for (int type = OSPF_MIN_LSA; type < OSPF_MAX_LSA; type++)
				self += area->lsdb->type[type].count_self;
			if (uj) {
				json_object *ja = json_object_new_object();

				json_object_int_add(ja, "lsas", area->lsdb->total);
				json_object_int_add(ja, "selfOriginated", self);
				json_object_int_add(ja, "fullNeighbors", area->full_nbrs);
				json_object_object_add(jareas,
						       ospf_ha_addr(area->area_id, a1, sizeof(a1)),
						       ja);
			} else {
				vty_out(vty, "  %-15pI4 LSAs %lu (%lu ours), %u neighbours Full\n",
					&area->area_id, area->lsdb->total, self, area->full_nbrs);
			}
		}
		if (uj)
			json_object_int_add(json, "asExternalLsas", ospf->lsdb->total);
		else
			vty_out(vty, "  AS-external LSAs %lu\n", ospf->lsdb->total);
	}
	if (!uj)
		vty_out(vty, "Interfaces (as replicated):\n");
	frr_each (ospf_ha_ifs, &ha_ifs, ri) {
		char key[IFNAMSIZ + INET_ADDRSTRLEN + 2];

		snprintf(key, sizeof(key), "%s %s", ri->d.key.ifname,
			 ospf_ha_addr(ri->d.key.address, a1, sizeof(a1)));
		if (uj) {
			json_object *ji = json_object_new_object();

			json_object_string_add(ji, "state",
					       ospf_ha_state_str(ospf_ism_state_msg, ri->d.state));
			json_object_string_add(ji, "dr", ospf_ha_addr(ri->d.dr, a2, sizeof(a2)));
			json_object_string_add(ji, "bdr", ospf_ha_addr(ri->d.bdr, a3, sizeof(a3)));
			json_object_int_add(ji, "cryptSeqnum", ri->d.crypt_seqnum);
			if (role != HA_ROLE_ACTIVE)
				json_object_boolean_add(ji, "held", ri->held);
			json_object_object_add(jifs, key, ji);
		} else {
			vty_out(vty, "  %-28s %-8s DR %-15pI4 BDR %-15pI4%s\n", key,
				ospf_ha_state_str(ospf_ism_state_msg, ri->d.state), &ri->d.dr,
				&ri->d.bdr,
				role != HA_ROLE_ACTIVE && !ri->held
					? " (not held: no such interface)"
					: "");
		}
	}
	if (!uj)
		vty_out(vty, "Neighbours (as replicated):\n");
	frr_each (ospf_ha_nbrs, &ha_nbrs, rn) {
		struct ospf_interface *oi =
			ospf ? ospf_ha_oi(ospf, rn->d.key.ifname, rn->d.key.address) : NULL;
		struct ospf_neighbor *nbr = oi ? ospf_ha_nbr_of(oi, rn->d.router_id, rn->d.src)
					       : NULL;
		unsigned long rxmt = nbr ? ospf_ls_retransmit_count(nbr) : 0;
		unsigned long req = nbr ? ospf_ls_request_count(nbr) : 0;
		unsigned long sum = nbr ? (unsigned long)ospf_db_summary_count(nbr) : 0;

		if (uj) {
			json_object *jn = json_object_new_object();
			char key[64];

			snprintf(key, sizeof(key), "%s %s",
				 ospf_ha_addr(rn->d.router_id, a1, sizeof(a1)), rn->d.key.ifname);
			json_object_string_add(jn, "routerId", a1);
			json_object_string_add(jn, "address",
					       ospf_ha_addr(rn->d.src, a2, sizeof(a2)));
			json_object_string_add(jn, "interface", rn->d.key.ifname);
			json_object_string_add(jn, "state",
					       ospf_ha_state_str(ospf_nsm_state_msg, rn->d.state));
			json_object_int_add(jn, "ddSeqnum", rn->d.dd_seqnum);
			json_object_boolean_add(jn, "ddMaster", IS_SET_DD_MS(rn->d.dd_flags));
			json_object_int_add(jn, "retransmissionList", rxmt);
			json_object_int_add(jn, "requestList", req);
			json_object_int_add(jn, "summaryList", sum);
			if (role != HA_ROLE_ACTIVE)
				json_object_boolean_add(jn, "held", rn->held && nbr);
			json_object_object_add(jnbrs, key, jn);
		} else {
			vty_out(vty,
				"  %-15pI4 %-15pI4 %-12s %-9s DD seq 0x%08x (%s), lists: rxmt %lu req %lu sum %lu%s\n",
				&rn->d.router_id, &rn->d.src, rn->d.key.ifname,
				ospf_ha_state_str(ospf_nsm_state_msg, rn->d.state), rn->d.dd_seqnum,
				IS_SET_DD_MS(rn->d.dd_flags) ? "master" : "slave", rxmt, req, sum,
				role != HA_ROLE_ACTIVE && !(rn->held && nbr) ? " (not held)" : "");
		}
	}
	if (uj) {
		json_object_object_add(json, "areas", jareas);
		json_object_object_add(json, "interfaces", jifs);
		json_object_object_add(json, "neighbors", jnbrs);
		return vty_json(vty, json);
	}
	return CMD_SUCCESS;
}

/* ---- module setup ---- */

static int ospf_ha_late_init(struct event_loop *loop)
{
	static const struct ha_repl_class cls = {
		.id = OSPF_HA_CLASS_STATE,
		.name = "ospf-state",
		.bulk = ospf_ha_bulk,
		.reset = ospf_ha_reset,
		.apply = ospf_ha_apply,
		.digest = ospf_ha_digest,
		.role_changed = ospf_ha_role_changed,
		.refused_scope = ospf_ha_refused_scope,
		.scope_name = ospf_ha_scope_name,
		.scope_reset = ospf_ha_scope_reset,
		.scope_bulk = ospf_ha_scope_bulk,
		/* the bulk copy is taken in one go: everything before it is in
		 * it, nothing comes between */
		.bulk_covers = 1u << OSPF_HA_INTERFACE | 1u << OSPF_HA_NEIGHBOR |
			       1u << OSPF_HA_LSA | 1u << OSPF_HA_NBR_LIST,
	};

	ha_module_register_class(&cls);
	install_element(VIEW_NODE, &show_redundancy_ospf_cmd);
	return 0;
}

static int ospf_ha_fini(void)
{
	EVENT_OFF(t_sync);
	ha_gate_close(&gate.q);
	ospf_ha_records_clear();
	return 0;
}

static int ospf_ha_module_init(void)
{
	ha_module_attach("ospfd");
	hook_register(frr_late_init, ospf_ha_late_init);
	hook_register(frr_fini, ospf_ha_fini);
	hook_register(ospf_packet_send, ospf_ha_packet_send);
	hook_register(ospf_packet_recv, ospf_ha_packet_recv);
	hook_register(ospf_lsdb_update, ospf_ha_lsdb_update);
	hook_register(ospf_lsa_refresh_check, ospf_ha_refresh_check);
	hook_register(ospf_instance_new, ospf_ha_instance_new);
	hook_register(ospf_ism_event_check, ospf_ha_ism_event_check);
	hook_register(ospf_nsm_event_check, ospf_ha_nsm_event_check);
	hook_register(ospf_nbr_state_note, ospf_ha_nbr_note);
	hook_register(ospf_ism_change, ospf_ha_ism_change);
	hook_register(ospf_nsm_change, ospf_ha_nsm_change);
	return 0;
}

FRR_MODULE_SETUP(.name = "ospfd_ha", .version = FRRHA_VERSION,
		 .description = "ospfd non-stop routing (frr-ha)", .init = ospf_ha_module_init);
