// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: CLI -- the redundancy configuration node and show redundancy.
 */
#include <zebra.h>

#include "command.h"
#include "debug.h"
#include "json.h"
#include "monotime.h"
#include "northbound_cli.h"
#include "sockunion.h"
#include "vty.h"

#include "ha_conn.h"
#include "hard.h"

#include "hard/hard_vty_clippy.c"

#define REDUNDANCY_STR	 "Router redundancy (frr-ha)\n"
#define REDUNDANCY_XPATH "/frr-ha:redundancy"

struct debug hard_dbg_peer = { 0, "debug redundancy peer", "Intercard channel and heartbeats" };
struct debug hard_dbg_mship = { 0, "debug redundancy mastership", "Mastership driver" };
struct debug hard_dbg_swo = { 0, "debug redundancy switchover", "Election and switchover" };

static int hard_config_write(struct vty *vty);

static struct cmd_node redundancy_node = {
	.name = "redundancy",
	.node = REDUNDANCY_NODE,
	.parent_node = CONFIG_NODE,
	.prompt = "%s(config-redundancy)# ",
	.config_write = hard_config_write,
};

DEFPY_YANG_NOSH(redundancy, redundancy_cmd, "redundancy", REDUNDANCY_STR)
{
	VTY_PUSH_XPATH(REDUNDANCY_NODE, REDUNDANCY_XPATH);
	return CMD_SUCCESS;
}

/* Back to defaults: no peer card, slot 1, default priority. */
DEFPY_YANG(no_redundancy, no_redundancy_cmd, "no redundancy", NO_STR REDUNDANCY_STR)
{
	nb_cli_enqueue_change(vty, REDUNDANCY_XPATH "/slot", NB_OP_DESTROY, NULL);
	nb_cli_enqueue_change(vty, REDUNDANCY_XPATH "/priority", NB_OP_DESTROY, NULL);
	nb_cli_enqueue_change(vty, REDUNDANCY_XPATH "/peer", NB_OP_DESTROY, NULL);
	nb_cli_enqueue_change(vty, REDUNDANCY_XPATH "/heartbeat/interval", NB_OP_DESTROY, NULL);
	nb_cli_enqueue_change(vty, REDUNDANCY_XPATH "/heartbeat/multiplier", NB_OP_DESTROY, NULL);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(redundancy_slot, redundancy_slot_cmd, "[no] slot ![(1-2)$slot]",
	   NO_STR "Slot id of this card\n"
		  "Slot id\n")
{
	nb_cli_enqueue_change(vty, "./slot", no ? NB_OP_DESTROY : NB_OP_MODIFY, slot_str);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(redundancy_priority, redundancy_priority_cmd, "[no] priority ![(0-255)$prio]",
	   NO_STR "Election priority of this card (higher wins)\n"
		  "Priority\n")
{
	nb_cli_enqueue_change(vty, "./priority", no ? NB_OP_DESTROY : NB_OP_MODIFY, prio_str);
	return nb_cli_apply_changes(vty, NULL);
}

/*
 * The address is taken as a word and the port over the full 16-bit range
 * so that a wrong one gets a precise message rather than "unknown
 * command".  The values are checked here, before the northbound edit:
 * FRR applies a command's changes one by one and does not undo the ones
 * before a failed edit, so every value must be valid before any is
 * enqueued.  The model (frr-ha.yang) enforces the same rules for every
 * other way of configuring hard.
 */
DEFPY_YANG(redundancy_peer, redundancy_peer_cmd,
	   "peer WORD$address [port (0-65535)$port] [key WORD$key]",
	   "The other card of this router\n"
	   "Intercard address of the peer card (IPv4 or IPv6)\n"
	   "Control channel TCP port of the peer card\n"
	   "Port number\n"
	   "Shared key authenticating intercard frames\n"
	   "Key (8 to 255 characters)\n")
{
	union sockunion su;

	if (str2sockunion(address, &su) < 0 ||
	    (su.sa.sa_family != AF_INET && su.sa.sa_family != AF_INET6)) {
		vty_out(vty, "%% Invalid peer address '%s': not an IPv4 or IPv6 address\n", address);
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (port_str && port == 0) {
		vty_out(vty, "%% Invalid port 0: the peer card's control channel port is 1-65535\n");
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (key && (strlen(key) < HARD_KEY_MIN_LEN || strlen(key) > HARD_KEY_MAX_LEN)) {
		vty_out(vty, "%% Invalid key: %zu characters, a key has %d to %d\n", strlen(key),
			HARD_KEY_MIN_LEN, HARD_KEY_MAX_LEN);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, "./peer/address", NB_OP_MODIFY, address);
	nb_cli_enqueue_change(vty, "./peer/port", port_str ? NB_OP_MODIFY : NB_OP_DESTROY, port_str);
	nb_cli_enqueue_change(vty, "./peer/key", key ? NB_OP_MODIFY : NB_OP_DESTROY, key);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(redundancy_heartbeat, redundancy_heartbeat_cmd,
	   "heartbeat interval (10-10000)$interval [multiplier (2-255)$multiplier]",
	   "Liveness of the peer card\n"
	   "Interval between heartbeats\n"
	   "Milliseconds\n"
	   "Intervals without a heartbeat before the peer card is declared lost\n"
	   "Multiplier\n")
{
	nb_cli_enqueue_change(vty, "./heartbeat/interval", NB_OP_MODIFY, interval_str);
	nb_cli_enqueue_change(vty, "./heartbeat/multiplier",
			      multiplier_str ? NB_OP_MODIFY : NB_OP_DESTROY, multiplier_str);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(no_redundancy_heartbeat, no_redundancy_heartbeat_cmd,
	   "no heartbeat [interval (10-10000) [multiplier (2-255)]]",
	   NO_STR "Liveness of the peer card\n"
		  "Interval between heartbeats\n"
		  "Milliseconds\n"
		  "Intervals without a heartbeat before the peer card is declared lost\n"
		  "Multiplier\n")
{
	nb_cli_enqueue_change(vty, "./heartbeat/interval", NB_OP_DESTROY, NULL);
	nb_cli_enqueue_change(vty, "./heartbeat/multiplier", NB_OP_DESTROY, NULL);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(redundancy_mship_none, redundancy_mship_none_cmd, "mastership none",
	   "Mastership of the line interfaces\n"
	   "No line to arbitrate (lone card; no fencing)\n")
{
	nb_cli_enqueue_change(vty, "./mastership/driver", NB_OP_MODIFY, "none");
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(redundancy_mship_script, redundancy_mship_script_cmd, "mastership script PATH$path",
	   "Mastership of the line interfaces\n"
	   "Run a program: PATH acquire|release SLOT [force]\n"
	   "Absolute path of the program\n")
{
	if (path[0] != '/') {
		vty_out(vty, "%% Invalid script '%s': give an absolute path\n", path);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, "./mastership/driver", NB_OP_MODIFY, "script");
	nb_cli_enqueue_change(vty, "./mastership/script", NB_OP_MODIFY, path);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(redundancy_mship_bridge, redundancy_mship_bridge_cmd, "mastership bridge netns PATH$path",
	   "Mastership of the line interfaces\n"
	   "Line interfaces are bridges with a port per card (tests, demo)\n"
	   "Network namespace of the bridges\n"
	   "Its path: /var/run/netns/NAME, /proc/PID/ns/net\n")
{
	if (path[0] != '/') {
		vty_out(vty, "%% Invalid namespace '%s': give an absolute path\n", path);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, "./mastership/driver", NB_OP_MODIFY, "bridge");
	nb_cli_enqueue_change(vty, "./mastership/bridge-netns", NB_OP_MODIFY, path);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(redundancy_mship_bridge_port, redundancy_mship_bridge_port_cmd,
	   "[no] mastership bridge port IFNAME$port ![peer-port IFNAME$peer]",
	   NO_STR "Mastership of the line interfaces\n"
		  "Line interfaces are bridges with a port per card (tests, demo)\n"
		  "A line interface: this card's bridge port\n"
		  "Port name\n"
		  "The peer card's port on the same bridge\n"
		  "Port name\n")
{
	char xpath[128];

	if (strlen(port) > 15 || (peer && strlen(peer) > 15)) {
		vty_out(vty, "%% Invalid port name: at most 15 characters\n");
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (!no && !peer) {
		vty_out(vty,
			"%% Give the peer card's port: mastership bridge port %s peer-port NAME\n",
			port);
		return CMD_WARNING_CONFIG_FAILED;
	}
	snprintf(xpath, sizeof(xpath), "./mastership/bridge-port[name='%s']", port);
	if (no)
		nb_cli_enqueue_change(vty, xpath, NB_OP_DESTROY, NULL);
	else {
		nb_cli_enqueue_change(vty, xpath, NB_OP_CREATE, NULL);
		strlcat(xpath, "/peer-port", sizeof(xpath));
		nb_cli_enqueue_change(vty, xpath, NB_OP_MODIFY, peer);
	}
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(redundancy_swo_daemon_failure, redundancy_swo_daemon_failure_cmd,
	   "[no] switchover on-daemon-failure",
	   NO_STR "Switchover policy\n"
		  "Hand over to the standby when a daemon fails on the active card\n")
{
	nb_cli_enqueue_change(vty, "./switchover-on-daemon-failure", NB_OP_MODIFY,
			      no ? "false" : "true");
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY(redundancy_switchover, redundancy_switchover_cmd, "redundancy switchover",
      REDUNDANCY_STR "Graceful switchover: the standby card becomes active\n")
{
	char err[256];

	if (!hard_role_switchover_start(err, sizeof(err))) {
		vty_out(vty, "%% Switchover refused: %s\n", err);
		return CMD_WARNING;
	}
	vty_out(vty, "Switchover #%u to slot %u started; see 'show redundancy'\n", hard.swo.id,
		hard.peer.hello.slot);
	return CMD_SUCCESS;
}

DEFPY_YANG(no_redundancy_peer, no_redundancy_peer_cmd, "no peer [WORD [port (0-65535)] [key WORD]]",
	   NO_STR "The other card of this router\n"
		  "Intercard address of the peer card (IPv4 or IPv6)\n"
		  "Control channel TCP port of the peer card\n"
		  "Port number\n"
		  "Shared key authenticating intercard frames\n"
		  "Key\n")
{
	nb_cli_enqueue_change(vty, "./peer", NB_OP_DESTROY, NULL);
	return nb_cli_apply_changes(vty, NULL);
}

void hard_cli_show_redundancy(struct vty *vty, const struct lyd_node *dnode, bool show_defaults)
{
	vty_out(vty, "redundancy\n");
}

void hard_cli_show_redundancy_end(struct vty *vty, const struct lyd_node *dnode)
{
	vty_out(vty, "exit\n");
	vty_out(vty, "!\n");
}

void hard_cli_show_slot(struct vty *vty, const struct lyd_node *dnode, bool show_defaults)
{
	vty_out(vty, " slot %u\n", yang_dnode_get_uint8(dnode, NULL));
}

void hard_cli_show_priority(struct vty *vty, const struct lyd_node *dnode, bool show_defaults)
{
	vty_out(vty, " priority %u\n", yang_dnode_get_uint8(dnode, NULL));
}

void hard_cli_show_mastership(struct vty *vty, const struct lyd_node *dnode, bool show_defaults)
{
	const char *driver = yang_dnode_get_string(dnode, "driver");
	const struct lyd_node *child;

	if (strcmp(driver, "script") == 0)
		vty_out(vty, " mastership script %s\n",
			yang_dnode_exists(dnode, "script") ? yang_dnode_get_string(dnode, "script")
							   : "");
	else if (strcmp(driver, "bridge") == 0) {
		if (yang_dnode_exists(dnode, "bridge-netns"))
			vty_out(vty, " mastership bridge netns %s\n",
				yang_dnode_get_string(dnode, "bridge-netns"));
		LY_LIST_FOR (lyd_child(dnode), child)
			if (strcmp(child->schema->name, "bridge-port") == 0)
				vty_out(vty, " mastership bridge port %s peer-port %s\n",
					yang_dnode_get_string(child, "name"),
					yang_dnode_get_string(child, "peer-port"));
	} else if (show_defaults)
		vty_out(vty, " mastership none\n");
}

void hard_cli_show_swo_daemon_failure(struct vty *vty, const struct lyd_node *dnode,
				      bool show_defaults)
{
	vty_out(vty, " %sswitchover on-daemon-failure\n",
		yang_dnode_get_bool(dnode, NULL) ? "" : "no ");
}

void hard_cli_show_heartbeat(struct vty *vty, const struct lyd_node *dnode, bool show_defaults)
{
	vty_out(vty, " heartbeat interval %u multiplier %u\n",
		yang_dnode_get_uint32(dnode, "interval"), yang_dnode_get_uint8(dnode, "multiplier"));
}

void hard_cli_show_peer(struct vty *vty, const struct lyd_node *dnode, bool show_defaults)
{
	vty_out(vty, " peer %s", yang_dnode_get_string(dnode, "address"));
	if (show_defaults || !yang_dnode_is_default(dnode, "port"))
		vty_out(vty, " port %u", yang_dnode_get_uint16(dnode, "port"));
	if (yang_dnode_exists(dnode, "key"))
		vty_out(vty, " key %s", yang_dnode_get_string(dnode, "key"));
	vty_out(vty, "\n");
}

static int hard_config_write(struct vty *vty)
{
	const struct lyd_node *dnode;

	dnode = yang_dnode_get(running_config->dnode, REDUNDANCY_XPATH);
	if (!dnode)
		return 0;
	nb_cli_show_dnode_cmds(vty, dnode, false);
	return 1;
}


static void hard_show_duration(char *buf, size_t len, int64_t secs)
{
	snprintf(buf, len, "%02lld:%02lld:%02lld", (long long)secs / 3600,
		 (long long)(secs / 60) % 60, (long long)secs % 60);
}

/* A module's replication to its peer module, as it last reported it. */
static json_object *hard_show_repl_json(const struct hard_daemon *hd)
{
	const struct ha_msg_repl_status *st = &hd->repl;
	json_object *j = json_object_new_object();

	json_object_boolean_add(j, "reported", hd->repl_known);
	json_object_string_add(j, "state", ha_repl_state_name(st->state));
	json_object_string_add(j, "moduleRole", ha_role_name(st->role));
	json_object_string_add(j, "lastDigest", ha_digest_status_name(st->digest));
	json_object_int_add(j, "channel", st->channel);
	json_object_int_add(j, "deltasSent", st->sent);
	json_object_int_add(j, "deltasCommitted", st->committed);
	json_object_int_add(j, "deltasApplied", st->applied);
	json_object_int_add(j, "queueDepth", st->queue);
	json_object_int_add(j, "lagUsec", st->lag_usec);
	json_object_int_add(j, "bulks", st->bulks);
	json_object_int_add(j, "resyncs", st->resyncs);
	json_object_int_add(j, "refusedDeltas", st->refused);
	json_object_int_add(j, "refusedChannelSetups", hd->data_refused);
	json_object_string_add(j, "detail", st->detail);
	return j;
}

static json_object *hard_show_peer_json(const char *addr)
{
	struct hard_peer *peer = &hard.peer;
	json_object *jpeer = json_object_new_object();

	json_object_boolean_add(jpeer, "configured", hard.cfg.peer_configured);
	if (!hard.cfg.peer_configured)
		return jpeer;
	json_object_string_add(jpeer, "address", addr);
	json_object_int_add(jpeer, "port", hard.cfg.peer_port);
	json_object_string_add(jpeer, "channel", hard_peer_state_name(peer->state));
	json_object_boolean_add(jpeer, "connected", peer->state == HARD_PEER_UP);
	if (peer->state == HARD_PEER_UP) {
		json_object *jd = json_object_new_array();

		json_object_int_add(jpeer, "slot", peer->hello.slot);
		json_object_int_add(jpeer, "priority", peer->hello.priority);
		json_object_string_add(jpeer, "role", ha_role_name(peer->hb.role));
		json_object_boolean_add(jpeer, "mastership", !!(peer->hb.flags & HA_CARD_F_MASTER));
		json_object_string_add(jpeer, "softwareVersion", peer->hello.sw_version);
		json_object_int_add(jpeer, "upSecs", monotime(NULL) - peer->up_since);
		json_object_int_add(jpeer, "lastHeardMsecs",
				    (hard_monotime_usec() - peer->last_rx_usec) / 1000);
		for (unsigned int i = 0; i < peer->hb.daemons.count; i++)
			json_object_array_add(jd, json_object_new_string(peer->hb.daemons.names[i]));
		json_object_object_add(jpeer, "daemons", jd);
	}
	json_object_int_add(jpeer, "heartbeatIntervalMsecs", hard.cfg.hb_interval);
	json_object_int_add(jpeer, "heartbeatMultiplier", hard.cfg.hb_multiplier);
	json_object_int_add(jpeer, "heartbeatsReceived", peer->heartbeats_rx);
	json_object_int_add(jpeer, "silencesOnlyOwnLateness", peer->late_heartbeats_read);
	json_object_int_add(jpeer, "longestHeartbeatGapReceivedMsecs",
			    peer->hb_gap_arrival_usec / 1000);
	json_object_int_add(jpeer, "longestHeartbeatGapReceivedSentMsecs",
			    peer->hb_gap_sent_usec / 1000);
	json_object_int_add(jpeer, "longestHeartbeatGapSentMsecs", peer->hb_gap_tx_usec / 1000);
	if (peer->state == HARD_PEER_UP)
		json_object_int_add(jpeer, "channelRetransmits", hard_peer_channel_retransmits());
	json_object_int_add(jpeer, "ups", peer->ups);
	json_object_int_add(jpeer, "downs", peer->downs);
	if (peer->last_down_reason[0])
		json_object_string_add(jpeer, "lastDownReason", peer->last_down_reason);
	json_object_int_add(jpeer, "refusedConnections", peer->refused_connections);
	json_object_int_add(jpeer, "authenticationFailures", peer->auth_failures);
	json_object_int_add(jpeer, "versionRefusals", peer->version_refusals);
	return jpeer;
}

DEFPY(show_redundancy, show_redundancy_cmd, "show redundancy [json]$uj",
      SHOW_STR REDUNDANCY_STR JSON_STR)
{
	struct hard_peer *peer = &hard.peer;
	struct hard_daemon *hd;
	char addr[INET6_ADDRSTRLEN] = "";
	char up[32];
	unsigned int ndaemons = 0;

	if (hard.cfg.peer_configured)
		ipaddr2str(&hard.cfg.peer_addr, addr, sizeof(addr));
	frr_each (hard_daemons, &hard.daemons, hd)
		if (hd->registered)
			ndaemons++;

	if (uj) {
		json_object *json = json_object_new_object();
		json_object *jcard = json_object_new_object();
		json_object *jdaemons = json_object_new_object();

		json_object_int_add(json, "hardPid", getpid());
		json_object_int_add(jcard, "slot", hard.cfg.slot);
		json_object_int_add(jcard, "priority", hard.cfg.priority);
		json_object_string_add(jcard, "role", ha_role_name(hard.role));
		json_object_boolean_add(jcard, "mastership", hard.mastership);
		json_object_string_add(jcard, "syncState", hard_card_sync_state());
		json_object_object_add(json, "card", jcard);
		json_object_boolean_add(json, "redundant", hard.redundant);
		if (!hard.redundant)
			json_object_string_add(json, "notRedundantReason",
					       hard.not_redundant_reason);
		json_object_object_add(json, "peer", hard_show_peer_json(addr));
		json_object_string_add(json, "mastershipDriver",
				       hard_mship_driver_name(hard.cfg.mship.driver));
		if (hard.cfg.mship.driver == HARD_MSHIP_BRIDGE) {
			const struct hard_mship_renew_stats *rs = hard_mship_renew_stats();
			json_object *jr = json_object_new_object();

			json_object_int_add(jr, "renewals", rs->renewals);
			json_object_int_add(jr, "lastUsec", rs->last_usec);
			json_object_int_add(jr, "maxUsec", rs->max_usec);
			json_object_int_add(jr, "slowerThanHeartbeat", rs->slower_than_heartbeat);
			json_object_int_add(jr, "skippedStillRunning", rs->skipped);
			json_object_object_add(json, "claimRenewal", jr);
		}
		if (hard.takeover_blocked[0])
			json_object_string_add(json, "takeoverBlocked", hard.takeover_blocked);
		json_object_int_add(json, "switchoversCompleted", hard.switchovers);
		if (hard.swo.id) {
			json_object *jswo = json_object_new_object();

			json_object_int_add(jswo, "id", hard.swo.id);
			json_object_boolean_add(jswo, "graceful", hard.swo.graceful);
			json_object_boolean_add(jswo, "inProgress", hard.swo.in_progress);
			json_object_boolean_add(jswo, "initiatedHere", hard.swo.initiated_here);
			json_object_string_add(jswo, "step", ha_switchover_step_name(hard.swo.step));
			json_object_string_add(jswo, "reason", hard.swo.reason);
			json_object_string_add(jswo, "result", hard.swo.result);
			json_object_int_add(jswo, "durationUsec", hard.swo.duration_usec);
			json_object_object_add(json, "lastSwitchover", jswo);
		}
		frr_each (hard_daemons, &hard.daemons, hd) {
			json_object *jd;

			if (!hd->registered)
				continue;
			jd = json_object_new_object();
			json_object_int_add(jd, "pid", hd->pid);
			json_object_int_add(jd, "moduleVersion", hd->module_version);
			json_object_int_add(jd, "registeredSecs",
					    monotime(NULL) - hd->registered_at);
			json_object_int_add(jd, "framesReceived",
					    ha_conn_stats(hd->conn)->frames_rx);
			json_object_object_add(jd, "replication", hard_show_repl_json(hd));
			json_object_int_add(jd, "heldSessionSockets",
					    hard_sockets_count(hd->name, false));
			json_object_object_add(jdaemons, hd->name, jd);
		}
		json_object_object_add(json, "daemons", jdaemons);
		json_object_int_add(json, "refusedRegistrations", hard.refused_registrations);
		json_object_int_add(json, "frozenSessionSockets", hard_sockets_count(NULL, true));
		return vty_json(vty, json);
	}

	vty_out(vty, "Redundancy (frr-ha %s), hard pid %d\n", FRRHA_VERSION, getpid());
	vty_out(vty, "  This card: slot %u, priority %u, role %s (%s)%s\n", hard.cfg.slot,
		hard.cfg.priority, ha_role_name(hard.role), hard_card_sync_state(),
		hard.mastership ? ", holds mastership" : "");
	if (hard.redundant)
		vty_out(vty, "  Router is redundant\n");
	else
		vty_out(vty, "  Router is not redundant: %s\n", hard.not_redundant_reason);
	vty_out(vty, "  Mastership driver: %s%s%s\n", hard_mship_driver_name(hard.cfg.mship.driver),
		hard.takeover_blocked[0] ? "; takeover waiting: " : "", hard.takeover_blocked);
	if (hard.cfg.mship.driver == HARD_MSHIP_BRIDGE && hard_mship_renew_stats()->renewals) {
		const struct hard_mship_renew_stats *rs = hard_mship_renew_stats();

		vty_out(vty,
			"    claim renewed %" PRIu64
			" times, the last in %.1f ms, the longest %.1f ms (%" PRIu64
			" longer than a heartbeat interval, %" PRIu64
			" skipped as the last still ran)\n",
			rs->renewals, rs->last_usec / 1000.0, rs->max_usec / 1000.0,
			rs->slower_than_heartbeat, rs->skipped);
	}
	if (hard.swo.id)
		vty_out(vty, "  Last switchover: #%u %s, %s; %s%s (%.3f ms)\n", hard.swo.id,
			hard.swo.graceful ? "graceful" : "non-graceful", hard.swo.reason,
			hard.swo.in_progress ? "in progress at " : "",
			hard.swo.in_progress ? ha_switchover_step_name(hard.swo.step)
					     : hard.swo.result,
			hard.swo.duration_usec / 1000.0);
	if (!hard.cfg.peer_configured)
		vty_out(vty, "  Peer card: none configured (lone card)\n");
	else if (peer->state == HARD_PEER_UP) {
		hard_show_duration(up, sizeof(up), monotime(NULL) - peer->up_since);
		vty_out(vty, "  Peer card: %s port %u, up %s, slot %u, priority %u, role %s%s\n",
			addr, hard.cfg.peer_port, up, peer->hello.slot, peer->hello.priority,
			ha_role_name(peer->hb.role),
			(peer->hb.flags & HA_CARD_F_MASTER) ? ", holds mastership" : "");
		vty_out(vty, "    heartbeat %u ms x %u, last heard %lld ms ago, frr-ha %s\n",
			hard.cfg.hb_interval, hard.cfg.hb_multiplier,
			(long long)(hard_monotime_usec() - peer->last_rx_usec) / 1000,
			peer->hello.sw_version);
		vty_out(vty,
			"    longest between heartbeats: %lld ms received (sent %lld ms apart), %lld ms sent; channel: %u segments sent again\n",
			(long long)peer->hb_gap_arrival_usec / 1000,
			(long long)peer->hb_gap_sent_usec / 1000,
			(long long)peer->hb_gap_tx_usec / 1000, hard_peer_channel_retransmits());
	} else
		vty_out(vty, "  Peer card: %s port %u, not connected (%s)%s%s\n", addr,
			hard.cfg.peer_port, hard_peer_state_name(peer->state),
			peer->last_down_reason[0] ? ", last: " : "", peer->last_down_reason);
	if (peer->refused_connections || peer->auth_failures || peer->version_refusals)
		vty_out(vty,
			"    refused: %" PRIu64 " connections, %" PRIu64
			" authentication failures, %" PRIu64 " version mismatches\n",
			peer->refused_connections, peer->auth_failures, peer->version_refusals);
	vty_out(vty, "  Registered daemons: %u\n", ndaemons);
	if (ndaemons)
		vty_out(vty, "    %-10s %-8s %-7s %s\n", "Daemon", "PID", "Module",
			"Registered for");
	frr_each (hard_daemons, &hard.daemons, hd) {
		if (!hd->registered)
			continue;
		hard_show_duration(up, sizeof(up), monotime(NULL) - hd->registered_at);
		vty_out(vty, "    %-10s %-8u v%-6u %s\n", hd->name, hd->pid, hd->module_version, up);
	}
	if (ndaemons) {
		vty_out(vty, "  Replication to the peer card's modules:\n");
		vty_out(vty, "    %-10s %-7s %-8s %10s %10s %10s %6s %9s %5s %s\n", "Daemon",
			"State", "Digest", "Sent", "Committed", "Applied", "Queue", "Lag(us)",
			"Bulks", "Detail");
	}
	frr_each (hard_daemons, &hard.daemons, hd) {
		const struct ha_msg_repl_status *st = &hd->repl;

		if (!hd->registered)
			continue;
		if (!hd->repl_known) {
			vty_out(vty, "    %-10s (not reported yet)\n", hd->name);
			continue;
		}
		vty_out(vty,
			"    %-10s %-7s %-8s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %6u %9u %5u %s\n",
			hd->name, ha_repl_state_name(st->state), ha_digest_status_name(st->digest),
			st->sent, st->committed, st->applied, st->queue, st->lag_usec, st->bulks,
			st->detail);
		if (st->resyncs || st->refused || hd->data_refused)
			vty_out(vty,
				"               resyncs %u, refused deltas %u, refused channel setups %" PRIu64
				"\n",
				st->resyncs, st->refused, hd->data_refused);
	}
	if (hard.refused_registrations)
		vty_out(vty, "  Refused module connections: %" PRIu64 "\n",
			hard.refused_registrations);
	return CMD_SUCCESS;
}

DEFPY(show_redundancy_history, show_redundancy_history_cmd, "show redundancy history [json]$uj",
      SHOW_STR REDUNDANCY_STR "Role changes of this card, oldest first\n" JSON_STR)
{
	json_object *json = NULL, *jarr = NULL;
	unsigned int first = (hard.history_next + HARD_HISTORY_MAX - hard.history_count) %
			     HARD_HISTORY_MAX;

	if (uj) {
		json = json_object_new_object();
		jarr = json_object_new_array();
	} else
		vty_out(vty, "%-26s %-8s %-8s %s\n", "Time", "From", "To", "Reason");
	for (unsigned int i = 0; i < hard.history_count; i++) {
		const struct hard_history_entry *e = &hard.history[(first + i) % HARD_HISTORY_MAX];
		char ts[32], when[48];
		struct tm tm;

		localtime_r(&e->when.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when, sizeof(when), "%s.%06ld", ts, (long)e->when.tv_usec);
		if (uj) {
			json_object *je = json_object_new_object();

			json_object_string_add(je, "time", when);
			json_object_string_add(je, "from", ha_role_name(e->from));
			json_object_string_add(je, "to", ha_role_name(e->to));
			json_object_string_add(je, "reason", e->reason);
			json_object_array_add(jarr, je);
		} else
			vty_out(vty, "%-26s %-8s %-8s %s\n", when, ha_role_name(e->from),
				ha_role_name(e->to), e->reason);
	}
	if (uj) {
		json_object_object_add(json, "history", jarr);
		return vty_json(vty, json);
	}
	return CMD_SUCCESS;
}

DEFPY(debug_redundancy, debug_redundancy_cmd,
      "[no] debug redundancy [{peer$peer|mastership$mship|switchover$swo}]",
      NO_STR DEBUG_STR REDUNDANCY_STR "Intercard channel and heartbeats\n"
				      "Mastership driver\n"
				      "Election and switchover\n")
{
	uint32_t mode = DEBUG_NODE2MODE(vty->node);
	bool all = !peer && !mship && !swo;

	if (all || peer)
		DEBUG_MODE_SET(&hard_dbg_peer, mode, !no);
	if (all || mship)
		DEBUG_MODE_SET(&hard_dbg_mship, mode, !no);
	if (all || swo)
		DEBUG_MODE_SET(&hard_dbg_swo, mode, !no);
	return CMD_SUCCESS;
}

DEFUN_NOSH(show_debugging_redundancy, show_debugging_redundancy_cmd, "show debugging [redundancy]",
	   SHOW_STR DEBUG_STR REDUNDANCY_STR)
{
	vty_out(vty, "Redundancy (hard) debugging status:\n");
	cmd_show_lib_debugs(vty);
	return CMD_SUCCESS;
}

void hard_vty_init(void)
{
	debug_install(&hard_dbg_peer);
	debug_install(&hard_dbg_mship);
	debug_install(&hard_dbg_swo);
	install_element(ENABLE_NODE, &debug_redundancy_cmd);
	install_element(CONFIG_NODE, &debug_redundancy_cmd);
	install_element(ENABLE_NODE, &show_debugging_redundancy_cmd);
	install_node(&redundancy_node);
	install_default(REDUNDANCY_NODE);
	install_element(CONFIG_NODE, &redundancy_cmd);
	install_element(CONFIG_NODE, &no_redundancy_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_slot_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_priority_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_peer_cmd);
	install_element(REDUNDANCY_NODE, &no_redundancy_peer_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_heartbeat_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_mship_none_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_mship_script_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_mship_bridge_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_mship_bridge_port_cmd);
	install_element(REDUNDANCY_NODE, &redundancy_swo_daemon_failure_cmd);
	install_element(ENABLE_NODE, &redundancy_switchover_cmd);
	install_element(REDUNDANCY_NODE, &no_redundancy_heartbeat_cmd);
	install_element(VIEW_NODE, &show_redundancy_history_cmd);
	install_element(VIEW_NODE, &show_redundancy_cmd);
}
