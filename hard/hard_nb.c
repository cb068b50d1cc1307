// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: northbound callbacks for frr-ha.yang's redundancy configuration.
 * YANG does the validation (address family, port range, key present and
 * long enough); the callbacks only copy committed values into hard.cfg.
 */
#include <zebra.h>

#include "northbound.h"
#include "log.h"
#include "yang_wrappers.h"

#include "hard.h"

static int redundancy_slot_modify(struct nb_cb_modify_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	hard.cfg.slot = yang_dnode_get_uint8(args->dnode, NULL);
	hard_config_changed();
	return NB_OK;
}

static int redundancy_hb_interval_modify(struct nb_cb_modify_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	hard.cfg.hb_interval = yang_dnode_get_uint32(args->dnode, NULL);
	hard_peer_heartbeat_changed();
	return NB_OK;
}

static int redundancy_hb_multiplier_modify(struct nb_cb_modify_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	hard.cfg.hb_multiplier = yang_dnode_get_uint8(args->dnode, NULL);
	hard_peer_heartbeat_changed();
	return NB_OK;
}

static int redundancy_priority_modify(struct nb_cb_modify_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	hard.cfg.priority = yang_dnode_get_uint8(args->dnode, NULL);
	return NB_OK;
}

static int redundancy_peer_create(struct nb_cb_create_args *args)
{
	return NB_OK; /* applied as a whole in apply_finish */
}

static int redundancy_peer_destroy(struct nb_cb_destroy_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	hard.cfg.peer_configured = false;
	memset(hard.cfg.peer_key, 0, sizeof(hard.cfg.peer_key));
	hard_config_changed();
	return NB_OK;
}

static void redundancy_peer_apply_finish(struct nb_cb_apply_finish_args *args)
{
	const struct lyd_node *dnode = args->dnode;

	yang_dnode_get_ip(&hard.cfg.peer_addr, dnode, "address");
	hard.cfg.peer_port = yang_dnode_get_uint16(dnode, "port");
	strlcpy(hard.cfg.peer_key, yang_dnode_get_string(dnode, "key"), sizeof(hard.cfg.peer_key));
	hard.cfg.peer_configured = true;
	hard_config_changed();
}

/* Mastership: applied as a whole when anything under it changed. */
static void redundancy_mship_apply_finish(struct nb_cb_apply_finish_args *args)
{
	struct hard_mship_config *mc = &hard.cfg.mship;
	const struct lyd_node *dnode = args->dnode, *child;
	const char *driver = yang_dnode_get_string(dnode, "driver");

	memset(mc, 0, sizeof(*mc));
	if (strcmp(driver, "bridge") == 0)
		mc->driver = HARD_MSHIP_BRIDGE;
	else if (strcmp(driver, "script") == 0)
		mc->driver = HARD_MSHIP_SCRIPT;
	else
		mc->driver = HARD_MSHIP_NONE;
	if (yang_dnode_exists(dnode, "script"))
		strlcpy(mc->script, yang_dnode_get_string(dnode, "script"), sizeof(mc->script));
	if (yang_dnode_exists(dnode, "bridge-netns"))
		strlcpy(mc->bridge_netns, yang_dnode_get_string(dnode, "bridge-netns"),
			sizeof(mc->bridge_netns));
	LY_LIST_FOR (lyd_child(dnode), child) {
		if (strcmp(child->schema->name, "bridge-port") || mc->nports >= HARD_MSHIP_PORTS_MAX)
			continue;
		strlcpy(mc->ports[mc->nports].local, yang_dnode_get_string(child, "name"),
			sizeof(mc->ports[0].local));
		strlcpy(mc->ports[mc->nports].peer, yang_dnode_get_string(child, "peer-port"),
			sizeof(mc->ports[0].peer));
		mc->nports++;
	}
	if (mc->driver == HARD_MSHIP_BRIDGE && !mc->nports)
		zlog_warn(
			"redundancy: mastership bridge has no ports yet: this card cannot take the line");
	hard_config_changed();
}

static int redundancy_swo_daemon_failure_modify(struct nb_cb_modify_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	hard.cfg.switchover_on_daemon_failure = yang_dnode_get_bool(args->dnode, NULL);
	return NB_OK;
}

/* The leaves of peer are applied together in the container's
 * apply_finish; these only have to exist for the northbound. */
static int redundancy_peer_leaf_modify(struct nb_cb_modify_args *args)
{
	return NB_OK;
}

static int redundancy_peer_leaf_destroy(struct nb_cb_destroy_args *args)
{
	return NB_OK;
}

static int redundancy_leaf_create(struct nb_cb_create_args *args)
{
	return NB_OK;
}

/* clang-format off */
const struct frr_yang_module_info frr_ha_info = {
	.name = "frr-ha",
	.nodes = {
		{
			.xpath = "/frr-ha:redundancy",
			.cbs = {
				.cli_show = hard_cli_show_redundancy,
				.cli_show_end = hard_cli_show_redundancy_end,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/slot",
			.cbs = {
				.modify = redundancy_slot_modify,
				.cli_show = hard_cli_show_slot,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/priority",
			.cbs = {
				.modify = redundancy_priority_modify,
				.cli_show = hard_cli_show_priority,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/heartbeat",
			.cbs = {
				.cli_show = hard_cli_show_heartbeat,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/heartbeat/interval",
			.cbs = {
				.modify = redundancy_hb_interval_modify,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/heartbeat/multiplier",
			.cbs = {
				.modify = redundancy_hb_multiplier_modify,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/mastership",
			.cbs = {
				.apply_finish = redundancy_mship_apply_finish,
				.cli_show = hard_cli_show_mastership,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/mastership/driver",
			.cbs = {
				.modify = redundancy_peer_leaf_modify,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/mastership/script",
			.cbs = {
				.modify = redundancy_peer_leaf_modify,
				.destroy = redundancy_peer_leaf_destroy,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/mastership/bridge-netns",
			.cbs = {
				.modify = redundancy_peer_leaf_modify,
				.destroy = redundancy_peer_leaf_destroy,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/mastership/bridge-port",
			.cbs = {
				.create = redundancy_leaf_create,
				.destroy = redundancy_peer_leaf_destroy,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/mastership/bridge-port/peer-port",
			.cbs = {
				.modify = redundancy_peer_leaf_modify,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/switchover-on-daemon-failure",
			.cbs = {
				.modify = redundancy_swo_daemon_failure_modify,
				.cli_show = hard_cli_show_swo_daemon_failure,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/peer",
			.cbs = {
				.create = redundancy_peer_create,
				.destroy = redundancy_peer_destroy,
				.apply_finish = redundancy_peer_apply_finish,
				.cli_show = hard_cli_show_peer,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/peer/address",
			.cbs = {
				.modify = redundancy_peer_leaf_modify,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/peer/port",
			.cbs = {
				.modify = redundancy_peer_leaf_modify,
			},
		},
		{
			.xpath = "/frr-ha:redundancy/peer/key",
			.cbs = {
				.modify = redundancy_peer_leaf_modify,
				.destroy = redundancy_peer_leaf_destroy,
			},
		},
		{
			.xpath = NULL,
		},
	}
};
/* clang-format on */
