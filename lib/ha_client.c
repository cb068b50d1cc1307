// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Module side of the local control channel, see ha_client.h.
 */
#include <zebra.h>

#include <fcntl.h>
#include <sys/un.h>

#include "frrevent.h"
#include "libfrr.h"
#include "log.h"
#include "memory.h"

#include "ha_client.h"
#include "ha_config.h"
#include "ha_conn.h"
#include "ha_memory.h"
#include "ha_repl.h"

#define HA_CLIENT_RETRY_MSEC  500
#define HA_CLIENT_STATUS_MSEC 200 /* counters to hard at most this often */

struct ha_client {
	struct event_loop *loop;
	char daemon[HA_DAEMON_NAME_MAX];
	struct ha_conn *conn;
	struct event *t_connect;
	bool registered;
	bool warned_unreachable;
	enum ha_role role;

	struct ha_repl *repl;	/* replication to the peer module */
	struct event *t_status; /* counters to hard, rate-limited */
	uint32_t channel;	/* generation of the current data channel */
};

static struct ha_client *ha_client;

/* a module's own replicated classes, registered with the engine when the
 * client starts (after the daemon read its configuration) */
static struct ha_repl_class ha_module_classes[8];
static unsigned int ha_module_nclasses;
static ha_session_state_cb ha_module_session_state;

void ha_module_on_session_state(ha_session_state_cb cb)
{
	ha_module_session_state = cb;
}

void ha_local_socket_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/hard.ha.sock", frr_runstatedir);
}

static void ha_client_connect(struct event *ev);

static void ha_client_send_status(struct ha_client *hc)
{
	struct ha_msg_repl_status st;
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	if (!hc->registered)
		return;
	ha_repl_status(hc->repl, &st);
	st.channel = hc->channel;
	len = ha_msg_repl_status_encode(&st, buf, sizeof(buf));
	assert(len > 0);
	ha_conn_send(hc->conn, HA_MSG_REPL_STATUS, buf, len);
}

static void ha_client_status_timer(struct event *ev)
{
	ha_client_send_status(EVENT_ARG(ev));
}

static void ha_client_repl_status(struct ha_repl *repl, bool state_changed, void *arg)
{
	struct ha_client *hc = arg;

	if (state_changed) {
		EVENT_OFF(hc->t_status);
		ha_client_send_status(hc);
	} else if (!hc->t_status) {
		event_add_timer_msec(hc->loop, ha_client_status_timer, hc, HA_CLIENT_STATUS_MSEC,
				     &hc->t_status);
	}
}

struct ha_quiesce_req {
	struct ha_client *hc;
	uint32_t id;
};

static void ha_client_quiesce_done(bool ok, const char *reason, void *arg)
{
	struct ha_quiesce_req *req = arg;
	struct ha_msg_quiesce_done done = { .id = req->id, .ok = ok };
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	strlcpy(done.reason, reason, sizeof(done.reason));
	len = ha_msg_quiesce_done_encode(&done, buf, sizeof(buf));
	assert(len > 0);
	if (req->hc->conn && req->hc->registered)
		ha_conn_send(req->hc->conn, HA_MSG_QUIESCE_DONE, buf, len);
	XFREE(MTYPE_HA_CLIENT, req);
}

static bool ha_client_data_channel(struct ha_client *hc, const uint8_t *payload, uint32_t len)
{
	struct ha_msg_data_channel msg;
	enum ha_decode_result res = ha_msg_data_channel_decode(payload, len, &msg);
	/* only an "up" carries a socket: a "down" read in the same batch must
	 * not take the next message's */
	int fd = res == HA_DECODE_OK && msg.up ? ha_conn_take_fd(hc->conn) : -1;

	if (res != HA_DECODE_OK || (msg.up && fd < 0)) {
		zlog_err("frr-ha: bad data-channel message from hard (%s)",
			 res != HA_DECODE_OK ? ha_decode_result_str(res) : "no socket attached");
		if (fd >= 0)
			close(fd);
		return true;
	}
	if (!msg.up) {
		if (fd >= 0)
			close(fd);
		ha_repl_detach(hc->repl, "the peer card is gone");
		return true;
	}
	zlog_info("frr-ha: %s data channel #%u to the module on slot %u", hc->daemon,
		  msg.generation, msg.peer_slot);
	hc->channel = msg.generation;
	ha_repl_attach(hc->repl, fd, msg.key);
	explicit_bzero(msg.key, sizeof(msg.key));
	return true;
}

static void ha_client_schedule_connect(struct ha_client *hc, long msec)
{
	event_add_timer_msec(hc->loop, ha_client_connect, hc, msec, &hc->t_connect);
}

/* Drop the connection to hard and connect again, after bad input. */
static bool ha_client_reset(struct ha_client *hc)
{
	ha_conn_free(&hc->conn);
	hc->registered = false;
	ha_client_schedule_connect(hc, HA_CLIENT_RETRY_MSEC);
	return false;
}

static bool ha_client_frame(struct ha_conn *conn, uint8_t type, const uint8_t *payload,
			    uint32_t len, void *arg)
{
	struct ha_client *hc = arg;
	struct ha_msg_register_ack ack;
	struct ha_msg_role role;
	enum ha_decode_result res;

	switch (type) {
	case HA_MSG_REGISTER_ACK:
		res = ha_msg_register_ack_decode(payload, len, &ack);
		if (res != HA_DECODE_OK) {
			zlog_err("frr-ha: bad register-ack from hard: %s; reconnecting",
				 ha_decode_result_str(res));
			return ha_client_reset(hc);
		}
		hc->registered = true;
		hc->role = ack.role;
		zlog_info("frr-ha: %s registered with hard (pid %u), card role %s", hc->daemon,
			  ack.hard_pid, ha_role_name(ack.role));
		ha_repl_set_role(hc->repl, ack.role);
		ha_client_send_status(hc);
		return true;
	case HA_MSG_ROLE:
		res = ha_msg_role_decode(payload, len, &role);
		if (res != HA_DECODE_OK) {
			zlog_err("frr-ha: bad role message from hard: %s; reconnecting",
				 ha_decode_result_str(res));
			return ha_client_reset(hc);
		}
		zlog_info("frr-ha: card role %s -> %s", ha_role_name(hc->role),
			  ha_role_name(role.role));
		hc->role = role.role;
		ha_repl_set_role(hc->repl, role.role);
		/* tells hard the module acts in its new role (handover) */
		ha_client_send_status(hc);
		return true;
	case HA_MSG_DATA_CHANNEL:
		return ha_client_data_channel(hc, payload, len);
	case HA_MSG_QUIESCE: {
		struct ha_msg_quiesce q;
		struct ha_quiesce_req *req;

		if (ha_msg_quiesce_decode(payload, len, &q) != HA_DECODE_OK) {
			zlog_err("frr-ha: bad quiesce message from hard; reconnecting");
			return ha_client_reset(hc);
		}
		req = XCALLOC(MTYPE_HA_CLIENT, sizeof(*req));
		req->hc = hc;
		req->id = q.id;
		ha_repl_quiesce(hc->repl, ha_client_quiesce_done, req);
		return true;
	}
	case HA_MSG_SESSION_STATE: {
		struct ha_msg_session_state ss;

		if (ha_msg_session_state_decode(payload, len, &ss) != HA_DECODE_OK ||
		    strcmp(ss.daemon, hc->daemon) != 0) {
			zlog_err("frr-ha: bad session state message from hard; reconnecting");
			return ha_client_reset(hc);
		}
		if (!ha_module_session_state) {
			zlog_warn("frr-ha: connection of session %s from the peer card: %s takes no sessions over",
				  ss.name, hc->daemon);
			return true;
		}
		ha_module_session_state(ss.name, ss.state, ss.state_len);
		return true;
	}
	default:
		zlog_warn("frr-ha: ignoring unexpected %s message from hard",
			  ha_msg_type_name(type));
		return true;
	}
}

static void ha_client_closed(struct ha_conn *conn, const char *reason, void *arg)
{
	struct ha_client *hc = arg;

	zlog_warn("frr-ha: lost connection to hard (%s); reconnecting", reason);
	ha_conn_free(&hc->conn);
	hc->registered = false;
	ha_client_schedule_connect(hc, HA_CLIENT_RETRY_MSEC);
}

static void ha_client_connect(struct event *ev)
{
	struct ha_client *hc = EVENT_ARG(ev);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ha_msg_register reg = {};
	uint8_t buf[64];
	ssize_t plen;
	int fd;

	ha_local_socket_path(sun.sun_path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		zlog_err("frr-ha: socket: %s", safe_strerror(errno));
		ha_client_schedule_connect(hc, HA_CLIENT_RETRY_MSEC);
		return;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (!hc->warned_unreachable)
			zlog_warn("frr-ha: hard not reachable at %s (%s); retrying every %d ms",
				  sun.sun_path, safe_strerror(errno), HA_CLIENT_RETRY_MSEC);
		hc->warned_unreachable = true;
		close(fd);
		ha_client_schedule_connect(hc, HA_CLIENT_RETRY_MSEC);
		return;
	}
	hc->warned_unreachable = false;
	hc->conn = ha_conn_new(hc->loop, fd, "hard", ha_client_frame, ha_client_closed, hc);
	ha_conn_enable_fd_passing(hc->conn);

	strlcpy(reg.daemon, hc->daemon, sizeof(reg.daemon));
	reg.pid = getpid();
	reg.module_version = HA_WIRE_VERSION;
	plen = ha_msg_register_encode(&reg, buf, sizeof(buf));
	assert(plen > 0);
	ha_conn_send(hc->conn, HA_MSG_REGISTER, buf, plen);
}

void ha_client_start(struct event_loop *loop, const char *daemon)
{
	if (ha_client)
		return;
	if (!ha_daemon_name_valid(daemon, strlen(daemon))) {
		zlog_err("frr-ha: daemon name '%s' cannot register with hard", daemon);
		return;
	}
	ha_client = XCALLOC(MTYPE_HA_CLIENT, sizeof(*ha_client));
	ha_client->loop = loop;
	ha_client->role = HA_ROLE_INIT;
	strlcpy(ha_client->daemon, daemon, sizeof(ha_client->daemon));
	ha_client->repl = ha_repl_new(loop, daemon);
	ha_repl_set_status_cb(ha_client->repl, ha_client_repl_status, ha_client);
	ha_config_init(ha_client->repl);
	for (unsigned int i = 0; i < ha_module_nclasses; i++)
		ha_repl_register_class(ha_client->repl, &ha_module_classes[i]);
	ha_client_schedule_connect(ha_client, 0);
}

void ha_client_stop(void)
{
	if (!ha_client)
		return;
	EVENT_OFF(ha_client->t_connect);
	EVENT_OFF(ha_client->t_status);
	ha_config_fini();
	ha_repl_free(&ha_client->repl);
	ha_conn_free(&ha_client->conn);
	XFREE(MTYPE_HA_CLIENT, ha_client);
}

bool ha_client_registered(void)
{
	return ha_client && ha_client->registered;
}

/* The session-socket message to hard, with a duplicate of fd if fd >= 0. */
static bool ha_client_session_socket_msg(const char *name, enum ha_socket_hold hold, int fd)
{
	struct ha_msg_session_socket msg = { .hold = hold };
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;
	int dup_fd = -1;

	if (!ha_client || !ha_client->registered)
		return false;
	strlcpy(msg.name, name, sizeof(msg.name));
	len = ha_msg_session_socket_encode(&msg, buf, sizeof(buf));
	if (len < 0)
		return false;
	if (fd >= 0) {
		dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (dup_fd < 0)
			return false;
	}
	/* ha_conn owns and closes dup_fd once it is sent */
	return ha_conn_send_fd(ha_client->conn, HA_MSG_SESSION_SOCKET, buf, len, dup_fd) == 0;
}

bool ha_client_session_handed_over(const char *name)
{
	return ha_client_session_socket_msg(name, HA_SOCKET_HANDED_OVER, -1);
}

bool ha_client_session_socket(const char *name, int fd)
{
	return ha_client_session_socket_msg(name, fd >= 0 ? HA_SOCKET_HOLD : HA_SOCKET_RELEASE, fd);
}

void ha_module_register_class(const struct ha_repl_class *cls)
{
	assert(ha_module_nclasses < array_size(ha_module_classes));
	ha_module_classes[ha_module_nclasses++] = *cls;
	if (ha_client)
		ha_repl_register_class(ha_client->repl, cls);
}

struct ha_repl *ha_module_repl(void)
{
	return ha_client ? ha_client->repl : NULL;
}

enum ha_role ha_client_role(void)
{
	return ha_client ? ha_client->role : HA_ROLE_INIT;
}

static const char *ha_module_daemon;

/*
 * Start once the daemon has read its own startup configuration: what the
 * replication compares and copies is complete only then.  Daemons that
 * read a configuration file say so with frr_config_post.  Those that do not
 * (FRR_NO_SPLIT_CONFIG: their configuration comes from mgmtd) never call
 * it; for them, start from an event queued behind the one that would read
 * the file: frr_config_fork() runs frr_late_init and then queues the
 * read-in, so an event queued from an event queued in frr_late_init runs
 * after it.  ha_client_start() starts only once.
 */
static int ha_module_config_post(struct event_loop *loop)
{
	ha_client_start(loop, ha_module_daemon);
	return 0;
}

static void ha_module_start_late(struct event *ev)
{
	ha_client_start(EVENT_ARG(ev), ha_module_daemon);
}

static void ha_module_start_queue(struct event *ev)
{
	event_add_event(EVENT_ARG(ev), ha_module_start_late, EVENT_ARG(ev), 0, NULL);
}

static int ha_module_late_init(struct event_loop *loop)
{
	event_add_event(loop, ha_module_start_queue, loop, 0, NULL);
	return 0;
}

static int ha_module_fini(void)
{
	ha_client_stop();
	return 0;
}

void ha_module_attach(const char *daemon)
{
	ha_module_daemon = daemon;
	hook_register(frr_late_init, ha_module_late_init);
	hook_register(frr_config_post, ha_module_config_post);
	hook_register(frr_fini, ha_module_fini);
}
