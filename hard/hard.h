// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: the frr-ha redundancy daemon of one card.
 */
#ifndef FRRHA_HARD_H
#define FRRHA_HARD_H

#include "ipaddr.h"
#include "memory.h"
#include "typesafe.h"

#include "ha_auth.h"
#include "ha_wire.h"

#define HARD_VTY_PORT		   2630
#define HARD_DEFAULT_SLOT	   1
#define HARD_DEFAULT_PRIORITY	   100
#define HARD_DEFAULT_PEER_PORT	   2631
#define HARD_DEFAULT_HB_INTERVAL   50 /* ms */
#define HARD_DEFAULT_HB_MULTIPLIER 4
#define HARD_CONNECT_RETRY_MSEC	   500
#define HARD_HISTORY_MAX	   64
/* as in frr-ha.yang: leaf key { length "8..255"; } */
#define HARD_KEY_MIN_LEN 8
#define HARD_KEY_MAX_LEN 255

DECLARE_MGROUP(HARD);

/* debug redundancy peer|mastership|switchover (lib/debug.h) */
struct debug;
extern struct debug hard_dbg_peer, hard_dbg_mship, hard_dbg_swo;

enum hard_mship_driver {
	HARD_MSHIP_NONE,
	HARD_MSHIP_BRIDGE,
	HARD_MSHIP_SCRIPT,
};

#define HARD_MSHIP_PORTS_MAX 16

struct hard_mship_config {
	enum hard_mship_driver driver;
	char script[256];
	char bridge_netns[256];
	unsigned int nports;
	struct {
		char local[IFNAMSIZ];
		char peer[IFNAMSIZ];
	} ports[HARD_MSHIP_PORTS_MAX];
};

/* Configuration, as committed through the northbound (frr-ha.yang). */
struct hard_config {
	uint8_t slot;
	uint8_t priority;
	bool peer_configured;
	struct ipaddr peer_addr;
	uint16_t peer_port;
	char peer_key[256];
	struct hard_mship_config mship;
	bool switchover_on_daemon_failure;
	uint32_t hb_interval;  /* ms */
	uint8_t hb_multiplier; /* missed intervals before the peer is dead */
};

/* The intercard control channel to the peer card. */
enum hard_peer_state {
	HARD_PEER_DOWN,	      /* no connection */
	HARD_PEER_CONNECTING, /* TCP connect in progress */
	HARD_PEER_HELLO,      /* connected, waiting for the peer's HELLO */
	HARD_PEER_UP,	      /* authenticated, heartbeats flowing */
};

struct hard_peer {
	enum hard_peer_state state;
	struct ha_conn *conn;
	int connect_fd;
	bool initiator; /* we opened the connection */
	int listen_fd;
	struct event *t_accept, *t_connect, *t_heartbeat;
	struct event *t_silence; /* the peer silent for the dead interval */

	uint8_t base_key[HA_AUTH_KEY_LEN];
	uint8_t session_key[HA_AUTH_KEY_LEN]; /* while up: data channel keys derive from it */
	uint8_t nonce[HA_NONCE_LEN];	      /* ours, for this connection */

	/* what the peer told us */
	struct ha_msg_hello hello;
	struct ha_msg_heartbeat hb;
	int64_t last_rx_usec; /* monotonic */
	uint64_t rtt_usec;    /* from heartbeat echo */
	time_t up_since;      /* monotime */

	char last_down_reason[128];
	uint64_t ups, downs;
	uint64_t heartbeats_rx;
	/* times the silence was only hard's own lateness: what the peer card
	 * had sent was waiting, unread, when it was about to be called dead */
	uint64_t late_heartbeats_read;
	/* the longest time between two heartbeats of the peer card, as they
	 * arrived here (hb_gap_arrival) and as the peer card sent them, by
	 * its own clock (hb_gap_sent, of the same two): an arrival gap well
	 * over the sending gap is the channel's delay (e.g. a lost segment
	 * sent again), not the peer card's lateness */
	int64_t hb_prev_rx_usec;
	uint64_t hb_prev_sent_usec;
	int64_t hb_gap_arrival_usec;
	int64_t hb_gap_sent_usec;
	/* ours: the longest time between two heartbeats this card sent */
	int64_t hb_last_tx_usec;
	uint64_t hb_last_tx_on_cpu_ns, hb_last_tx_run_delay_ns; /* schedstat then */
	int64_t hb_gap_tx_usec;
	uint64_t refused_connections; /* wrong source, bad hello, ... */
	uint64_t auth_failures;
	uint64_t version_refusals;
};

/* A role change, kept for show redundancy history. */
struct hard_history_entry {
	struct timeval when; /* wall clock */
	enum ha_role from, to;
	char reason[128];
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

	/* its data channel to the peer module (hard_data.c) */
	bool data_up;		  /* a channel was handed to the module */
	bool data_connecting;	  /* we are opening one */
	uint32_t data_generation; /* channels handed over so far */
	int data_fd;		  /* hard's copy of the channel's socket, or -1 */
	int64_t data_retry_usec;  /* not before (monotonic) */
	uint64_t data_refused;	  /* handshakes that failed */

	/* replication state, as the module last reported it */
	bool repl_known;
	struct ha_msg_repl_status repl;

	/* graceful switchover: QUIESCE sent, answer pending */
	bool quiesce_pending;
	char quiesce_result[HA_DETAIL_MAX];
};

DECLARE_DLIST(hard_daemons, struct hard_daemon, item);

/* A graceful or non-graceful switchover, as this card saw it. */
struct hard_switchover {
	uint32_t id;
	bool quiescing;	    /* the active waits for its modules' QUIESCE_DONE */
	bool releasing;	    /* the old active waits for its modules to be standby */
	bool line_released; /* ... and for the driver to confirm it is off the line */
	struct event *t_release;
	bool graceful;
	bool in_progress;
	bool initiated_here; /* this card was the active one */
	enum ha_switchover_step step;
	int64_t started_usec;
	struct timeval when;
	char reason[128];
	char result[128];
	int64_t duration_usec;
	struct event *t_timeout;
};

struct hard_global {
	struct event_loop *master;
	struct hard_config cfg;
	enum ha_role role;
	bool mastership; /* this card holds mastership of the line */
	bool redundant;	 /* active with an in-sync standby (as far as known) */
	char not_redundant_reason[128];
	struct event *t_boot_wait;

	struct hard_peer peer;
	struct hard_switchover swo; /* the current or last one */
	uint64_t switchovers;	    /* completed here */
	struct event *t_takeover, *t_renew;
	char takeover_blocked[192]; /* why a takeover waits, if it does */

	struct hard_history_entry history[HARD_HISTORY_MAX];
	unsigned int history_next, history_count;

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
extern void hard_registry_daemon_set(struct ha_daemon_set *set);
extern void hard_registry_changed(void); /* a daemon came or went */

/* hard_data.c: data channels between the modules of the two cards */
extern void hard_data_check(void);
extern void hard_data_peer_down(void);
extern void hard_data_accept(int fd);
extern void hard_data_finish(void);
extern void hard_data_module_status(struct hard_daemon *hd, const struct ha_msg_repl_status *st);
extern struct hard_daemon *hard_registry_find(const char *name);
extern unsigned int hard_registry_quiesce(uint32_t id);
extern void hard_role_module_role_changed(void);
extern const char *hard_card_sync_state(void);
extern void hard_role_quiesce_done(struct hard_daemon *hd, uint32_t id, bool ok, const char *reason);

/* hard_sockets.c: the sessions' TCP sockets held for the daemons */
extern void hard_sockets_msg(const char *daemon, const struct ha_msg_session_socket *msg, int fd);
extern void hard_sockets_daemon_died(const char *daemon);
extern unsigned int hard_sockets_count(const char *daemon, bool frozen);
extern unsigned int hard_sockets_hand_over(const char *daemon);
extern unsigned int hard_sockets_let_go(const char *daemon, const char *why);
/* This card is off the line: close the sockets handed over. */
extern void hard_sockets_line_released(void);
/* hard_data.c: the daemon went away: what it wrote to its data channel
 * still reaches the peer card (hard keeps its copy of the socket a while) */
extern void hard_data_daemon_gone(struct hard_daemon *hd);
extern void hard_sockets_finish(void);

/* hard_peer.c: the intercard control channel */
extern void hard_peer_config_changed(void);
extern void hard_peer_finish(void);
extern void hard_peer_send_heartbeat(void);
/* the control channel's TCP segments sent again, in all */
extern uint32_t hard_peer_channel_retransmits(void);
extern void hard_peer_heartbeat_changed(void);
extern bool hard_peer_send(uint8_t type, const uint8_t *payload, size_t len);
extern const char *hard_peer_state_name(enum hard_peer_state state);
extern uint8_t hard_card_flags(void);

/* hard_mship.c: mastership of the line */
extern const char *hard_mship_driver_name(enum hard_mship_driver d);
/*
 * Acquire or release mastership; cb(ok, err) when done -- at once for the
 * bridge and none drivers, when the program exits for the script driver
 * (hard's event loop runs meanwhile).  cb may be NULL.
 */
typedef void (*hard_mship_done_cb)(bool ok, const char *err);
extern void hard_mship_acquire(bool peer_dead, hard_mship_done_cb cb);
extern void hard_mship_release(hard_mship_done_cb cb);
extern bool hard_mship_busy(void); /* a script is running */
/*
 * While master (bridge driver): renew the claim on the line, on a thread
 * of its own; cb(ok, err) on hard's event loop once done, ok false if this
 * card was found off the line.  Nothing if the last renewal is still
 * running, or the line was released meanwhile (cb not called).
 */
typedef void (*hard_mship_renew_cb)(bool ok, const char *err);
extern void hard_mship_renew(hard_mship_renew_cb cb);
struct hard_mship_renew_stats {
	uint64_t renewals;
	uint64_t skipped; /* the last one still ran when the next was due */
	uint64_t slower_than_heartbeat;
	uint64_t max_usec, last_usec;
};
extern const struct hard_mship_renew_stats *hard_mship_renew_stats(void);
extern void hard_mship_config_changed(void);

/* hard_role.c: roles, election, history, switchover */
extern void hard_role_start(void);
extern void hard_role_config_changed(void);
extern void hard_role_peer_up(void);
extern void hard_role_peer_update(void);
extern void hard_role_peer_down(const char *reason);
extern void hard_role_update_redundancy(void);
extern bool hard_role_switchover_start(char *err, size_t errlen);
extern void hard_role_switchover_msg(const struct ha_msg_switchover *msg);
extern void hard_role_daemon_failed(const char *daemon);

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
extern void hard_cli_show_mastership(struct vty *vty, const struct lyd_node *dnode,
				     bool show_defaults);
extern void hard_cli_show_swo_daemon_failure(struct vty *vty, const struct lyd_node *dnode,
					     bool show_defaults);
extern void hard_cli_show_heartbeat(struct vty *vty, const struct lyd_node *dnode,
				    bool show_defaults);
extern void hard_cli_show_peer(struct vty *vty, const struct lyd_node *dnode, bool show_defaults);

/* hard_main.c */
extern void hard_config_changed(void);
extern int64_t hard_monotime_usec(void);

#endif /* FRRHA_HARD_H */
