// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: the frr-ha redundancy daemon of one card.
 */
#ifndef FRRHA_HARD_H
#define FRRHA_HARD_H

#include "ipaddr.h"
#include "memory.h"
#include "typesafe.h"

#include "ha_wire.h"

#define HARD_VTY_PORT	       2630
#define HARD_DEFAULT_SLOT      1
#define HARD_DEFAULT_PRIORITY  100
#define HARD_DEFAULT_PEER_PORT 2631
/* as in frr-ha.yang: leaf key { length "8..255"; } */
#define HARD_KEY_MIN_LEN 8
#define HARD_KEY_MAX_LEN 255

DECLARE_MGROUP(HARD);

/* Configuration, as committed through the northbound (frr-ha.yang). */
struct hard_config {
	uint8_t slot;
	uint8_t priority;
	bool peer_configured;
	struct ipaddr peer_addr;
	uint16_t peer_port;
	char peer_key[256];
};

PREDECL_DLIST(hard_daemons);

/* A local daemon whose ha module is connected to us. */
struct hard_daemon {
	struct hard_daemons_item item;
	struct ha_conn *conn;
	bool registered;
	char name[HA_DAEMON_NAME_MAX];
	uint32_t pid;
	uint32_t module_version;
	time_t registered_at; /* monotime */
};

DECLARE_DLIST(hard_daemons, struct hard_daemon, item);

struct hard_global {
	struct event_loop *master;
	struct hard_config cfg;
	enum ha_role role;

	int listen_fd;
	char sock_path[108];
	struct event *t_accept;
	struct hard_daemons_head daemons;
	uint64_t refused_registrations;
};

extern struct hard_global hard;
extern const struct frr_yang_module_info frr_ha_info;

/* hard_registry.c */
extern void hard_registry_init(void);
extern void hard_registry_finish(void);
extern void hard_registry_role_changed(void);

/* hard_vty.c */
struct lyd_node;
struct vty;
extern void hard_vty_init(void);
/* rendering of the configuration, used by hard_nb.c's cli_show */
extern void hard_cli_show_redundancy(struct vty *vty, const struct lyd_node *dnode,
				     bool show_defaults);
extern void hard_cli_show_redundancy_end(struct vty *vty, const struct lyd_node *dnode);
extern void hard_cli_show_slot(struct vty *vty, const struct lyd_node *dnode, bool show_defaults);
extern void hard_cli_show_priority(struct vty *vty, const struct lyd_node *dnode,
				   bool show_defaults);
extern void hard_cli_show_peer(struct vty *vty, const struct lyd_node *dnode, bool show_defaults);

/* hard_main.c */
extern void hard_config_changed(void);

#endif /* FRRHA_HARD_H */
