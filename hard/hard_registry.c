// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: registry of the local daemons whose ha module is connected.
 *
 * Each module keeps one stream connection to hard's local socket for its
 * daemon's lifetime; the connection closing is how hard learns the daemon
 * has gone.
 */
#include <zebra.h>

#include <sys/un.h>

#include "frrevent.h"
#include "log.h"
#include "memory.h"
#include "monotime.h"
#include "network.h"

#include "ha_client.h"
#include "ha_conn.h"
#include "hard.h"

DEFINE_MTYPE_STATIC(HARD, HARD_DAEMON, "hard registered daemon");

static void hard_registry_accept(struct event *ev);

static void hard_daemon_free(struct hard_daemon *hd)
{
	hard_data_daemon_gone(hd);
	hard_daemons_del(&hard.daemons, hd);
	ha_conn_free(&hd->conn);
	XFREE(MTYPE_HARD_DAEMON, hd);
}

static void hard_daemon_send_ack(struct hard_daemon *hd)
{
	struct ha_msg_register_ack ack = {
		.role = hard.role,
		.hard_pid = getpid(),
	};
	uint8_t buf[16];
	ssize_t len = ha_msg_register_ack_encode(&ack, buf, sizeof(buf));

	assert(len > 0);
	ha_conn_send(hd->conn, HA_MSG_REGISTER_ACK, buf, len);
}

static bool hard_daemon_refuse(struct hard_daemon *hd, const char *reason)
{
	zlog_err("redundancy: refusing local module connection%s%s: %s",
		 hd->registered ? " from " : "", hd->registered ? hd->name : "", reason);
	hard.refused_registrations++;
	hard_daemon_free(hd);
	return false;
}

static bool hard_daemon_frame(struct ha_conn *conn, uint8_t type, const uint8_t *payload,
			      uint32_t len, void *arg)
{
	struct hard_daemon *hd = arg, *old;
	struct ha_msg_register reg;
	enum ha_decode_result res;

	switch (type) {
	case HA_MSG_REGISTER:
		if (hd->registered)
			return hard_daemon_refuse(hd, "registered twice");
		res = ha_msg_register_decode(payload, len, &reg);
		if (res != HA_DECODE_OK)
			return hard_daemon_refuse(hd, ha_decode_result_str(res));
		if (reg.module_version != HA_WIRE_VERSION) {
			char why[96];

			snprintf(why, sizeof(why), "module speaks version %u, hard speaks %u",
				 reg.module_version, HA_WIRE_VERSION);
			return hard_daemon_refuse(hd, why);
		}
		/* A restarted daemon may reconnect before its old connection
		 * was seen closing: the newest registration wins. */
		frr_each_safe (hard_daemons, &hard.daemons, old) {
			if (old != hd && old->registered && strcmp(old->name, reg.daemon) == 0) {
				zlog_warn("redundancy: %s re-registered (pid %u -> %u), dropping the old connection",
					  reg.daemon, old->pid, reg.pid);
				hard_daemon_free(old);
			}
		}
		strlcpy(hd->name, reg.daemon, sizeof(hd->name));
		hd->pid = reg.pid;
		hd->module_version = reg.module_version;
		hd->registered = true;
		hd->registered_at = monotime(NULL);
		zlog_info("redundancy: %s (pid %u) registered", hd->name, hd->pid);
		hard_daemon_send_ack(hd);
		hard_registry_changed();
		return true;
	case HA_MSG_REPL_STATUS: {
		struct ha_msg_repl_status st;

		if (!hd->registered)
			return hard_daemon_refuse(hd, "status before registration");
		res = ha_msg_repl_status_decode(payload, len, &st);
		if (res != HA_DECODE_OK)
			return hard_daemon_refuse(hd, ha_decode_result_str(res));
		hard_data_module_status(hd, &st);
		return true;
	}
	case HA_MSG_SESSION_SOCKET: {
		struct ha_msg_session_socket ss;
		int fd;

		if (!hd->registered)
			return hard_daemon_refuse(hd, "session socket before registration");
		res = ha_msg_session_socket_decode(payload, len, &ss);
		if (res != HA_DECODE_OK)
			return hard_daemon_refuse(hd, ha_decode_result_str(res));
		/* only a "hold" carries a socket: a "drop" read in the same
		 * batch must not take the next message's */
		fd = ss.hold ? ha_conn_take_fd(conn) : -1;
		hard_sockets_msg(hd->name, &ss, fd);
		return true;
	}
	case HA_MSG_QUIESCE_DONE: {
		struct ha_msg_quiesce_done qd;

		if (!hd->registered)
			return hard_daemon_refuse(hd, "quiesce answer before registration");
		res = ha_msg_quiesce_done_decode(payload, len, &qd);
		if (res != HA_DECODE_OK)
			return hard_daemon_refuse(hd, ha_decode_result_str(res));
		hard_role_quiesce_done(hd, qd.id, qd.ok, qd.reason);
		return true;
	}
	default:
		return hard_daemon_refuse(hd, "unexpected message type");
	}
}

static void hard_daemon_closed(struct ha_conn *conn, const char *reason, void *arg)
{
	struct hard_daemon *hd = arg;
	bool was_registered = hd->registered;

	if (was_registered)
		zlog_warn("redundancy: %s (pid %u) went away: %s", hd->name, hd->pid, reason);
	if (was_registered) {
		char name[HA_DAEMON_NAME_MAX];

		strlcpy(name, hd->name, sizeof(name));
		hard_daemon_free(hd);
		hard_sockets_daemon_died(name);
		hard_registry_changed();
		hard_role_daemon_failed(name);
		return;
	}
	hard_daemon_free(hd);
}

static void hard_registry_accept(struct event *ev)
{
	struct hard_daemon *hd;
	int fd;

	event_add_read(hard.master, hard_registry_accept, NULL, hard.listen_fd, &hard.t_accept);
	fd = accept4(hard.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (!ERRNO_IO_RETRY(errno))
			zlog_err("redundancy: accept on %s: %s", hard.sock_path,
				 safe_strerror(errno));
		return;
	}
	hd = XCALLOC(MTYPE_HARD_DAEMON, sizeof(*hd));
	hd->data_fd = -1;
	hd->conn = ha_conn_new(hard.master, fd, "local module", hard_daemon_frame,
			       hard_daemon_closed, hd);
	ha_conn_enable_fd_passing(hd->conn);
	hard_daemons_add_tail(&hard.daemons, hd);
}

void hard_registry_init(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	ha_local_socket_path(hard.sock_path, sizeof(hard.sock_path));
	strlcpy(sun.sun_path, hard.sock_path, sizeof(sun.sun_path));
	unlink(hard.sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		zlog_err("redundancy: cannot listen on %s: %s", hard.sock_path,
			 safe_strerror(errno));
		if (fd >= 0)
			close(fd);
		exit(1);
	}
	set_nonblocking(fd);
	hard.listen_fd = fd;
	event_add_read(hard.master, hard_registry_accept, NULL, fd, &hard.t_accept);
	zlog_info("redundancy: waiting for ha modules on %s", hard.sock_path);
}

void hard_registry_finish(void)
{
	struct hard_daemon *hd;

	EVENT_OFF(hard.t_accept);
	while ((hd = hard_daemons_first(&hard.daemons)))
		hard_daemon_free(hd);
	if (hard.listen_fd >= 0) {
		close(hard.listen_fd);
		unlink(hard.sock_path);
		hard.listen_fd = -1;
	}
}

void hard_registry_role_changed(void)
{
	struct ha_msg_role msg = { .role = hard.role };
	struct hard_daemon *hd;
	uint8_t buf[8];
	ssize_t len = ha_msg_role_encode(&msg, buf, sizeof(buf));

	assert(len > 0);
	frr_each (hard_daemons, &hard.daemons, hd)
		if (hd->registered)
			ha_conn_send(hd->conn, HA_MSG_ROLE, buf, len);
}

void hard_registry_daemon_set(struct ha_daemon_set *set)
{
	struct hard_daemon *hd;

	set->count = 0;
	frr_each (hard_daemons, &hard.daemons, hd)
		if (hd->registered && !ha_daemon_set_add(set, hd->name))
			zlog_warn("redundancy: more than %d registered daemons, %s not counted",
				  HA_MAX_DAEMONS, hd->name);
}

void hard_registry_changed(void)
{
	hard_role_update_redundancy();
	hard_peer_send_heartbeat();
	hard_data_check();
	hard_role_module_role_changed();
}

struct hard_daemon *hard_registry_find(const char *name)
{
	struct hard_daemon *hd;

	frr_each (hard_daemons, &hard.daemons, hd)
		if (hd->registered && strcmp(hd->name, name) == 0)
			return hd;
	return NULL;
}

/* Ask every module to flush and verify; returns how many were asked. */
unsigned int hard_registry_quiesce(uint32_t id)
{
	struct ha_msg_quiesce msg = { .id = id };
	struct hard_daemon *hd;
	unsigned int n = 0;
	uint8_t buf[8];
	ssize_t len = ha_msg_quiesce_encode(&msg, buf, sizeof(buf));

	assert(len > 0);
	frr_each (hard_daemons, &hard.daemons, hd) {
		if (!hd->registered)
			continue;
		hd->quiesce_pending = true;
		hd->quiesce_result[0] = '\0';
		ha_conn_send(hd->conn, HA_MSG_QUIESCE, buf, len);
		n++;
	}
	return n;
}
