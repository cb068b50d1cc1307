// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: the protocol sessions' TCP sockets, held for the local daemons.
 *
 * A module hands hard a duplicate of each established session's socket
 * (HA_MSG_SESSION_SOCKET, SCM_RIGHTS).  While hard holds it, the daemon's
 * death does not close the connection: the kernel sends the peer neither
 * FIN nor RST.  When the daemon dies, hard freezes its sockets
 * (TCP_REPAIR: from then on they send nothing, and closing them is
 * silent).  When the card hands its role over because of that death, hard
 * sends each frozen connection's exact state to the peer card, whose
 * daemon re-creates the connection (lib/ha_tcp.c) and carries the session
 * on, and closes its copy silently.  When no takeover follows (no
 * standby, or `no switchover on-daemon-failure`) nothing can carry them on
 * -- a daemon restarted on this card does not take them back -- and hard
 * closes them at once, as the daemon's death would have (FIN).  A socket
 * frozen otherwise (a switchover in progress) is kept HARD_ORPHAN_SECS,
 * then closed silently.  When a session ends normally the module asks hard
 * to drop its copy, so that the daemon's own close completes.
 */
#include <zebra.h>

#include "frrevent.h"
#include "log.h"
#include "memory.h"
#include "monotime.h"
#include "privs.h"
#include "typesafe.h"

#include "ha_tcp.h"
#include "hard.h"

DEFINE_MTYPE_STATIC(HARD, HARD_SOCKET, "hard held session socket");

/* TCP_REPAIR needs CAP_NET_ADMIN */
extern struct zebra_privs_t hard_privs;

#define HARD_ORPHAN_SECS 30

PREDECL_DLIST(hard_held);
struct hard_socket {
	struct hard_held_item item;
	char daemon[HA_DAEMON_NAME_MAX];
	char name[HA_SESSION_NAME_MAX];
	int fd;
	bool frozen; /* its daemon died */
	/* its state went to the peer card: closed once this card is off the
	 * line (until then, frozen, it drops the peer's segments silently;
	 * without it this card's kernel would answer them with a RST) */
	bool handed_over;
	time_t since; /* monotime: held or frozen since */
};
DECLARE_DLIST(hard_held, struct hard_socket, item);

static struct hard_held_head held = INIT_DLIST(held);
static struct event *t_expire;

static void hard_socket_free(struct hard_socket *hs, bool silently)
{
	/* a frozen socket closes without a FIN; so does any socket we are
	 * told to close silently (it is frozen first) */
	if (silently && !hs->frozen)
		frr_with_privs (&hard_privs)
			ha_tcp_freeze(hs->fd);
	close(hs->fd);
	hard_held_del(&held, hs);
	XFREE(MTYPE_HARD_SOCKET, hs);
}

static void hard_sockets_expire(struct event *ev);

static struct hard_socket *hard_socket_find(const char *daemon, const char *name)
{
	struct hard_socket *hs;

	frr_each (hard_held, &held, hs)
		if (strcmp(hs->daemon, daemon) == 0 && strcmp(hs->name, name) == 0)
			return hs;
	return NULL;
}

void hard_sockets_msg(const char *daemon, const struct ha_msg_session_socket *msg, int fd)
{
	struct hard_socket *hs = hard_socket_find(daemon, msg->name);

	if (msg->hold == HA_SOCKET_HANDED_OVER) {
		if (fd >= 0)
			close(fd);
		if (!hs) {
			zlog_warn("redundancy: %s handed session %s over, but no socket of it is held here",
				  daemon, msg->name);
			return;
		}
		if (hard.role == HA_ROLE_STANDBY && hard.swo.line_released) {
			/* off the line already */
			hard_socket_free(hs, true);
			return;
		}
		/* frozen by the daemon; the orphan timer ends it if the line
		 * is never released */
		hs->handed_over = true;
		hs->frozen = true;
		hs->since = monotime(NULL);
		if (!event_is_scheduled(t_expire))
			event_add_timer(hard.master, hard_sockets_expire, NULL, HARD_ORPHAN_SECS,
					&t_expire);
		return;
	}
	if (hs && hs->handed_over && msg->hold == HA_SOCKET_RELEASE) {
		/* the daemon lets go of its own: this copy waits for the line */
		if (fd >= 0)
			close(fd);
		return;
	}
	if (hs) {
		/* a new connection of the same session replaces the old one;
		 * an old frozen one goes silently */
		hard_socket_free(hs, hs->frozen);
	}
	if (!msg->hold) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd < 0) {
		zlog_err("redundancy: %s handed over session %s without its socket", daemon,
			 msg->name);
		return;
	}
	hs = XCALLOC(MTYPE_HARD_SOCKET, sizeof(*hs));
	strlcpy(hs->daemon, daemon, sizeof(hs->daemon));
	strlcpy(hs->name, msg->name, sizeof(hs->name));
	hs->fd = fd;
	hs->since = monotime(NULL);
	hard_held_add_tail(&held, hs);
	zlog_info("redundancy: holding the socket of %s session %s", daemon, msg->name);
}

static void hard_sockets_expire(struct event *ev)
{
	struct hard_socket *hs;
	time_t now = monotime(NULL), next = 0;

	frr_each_safe (hard_held, &held, hs) {
		if (!hs->frozen)
			continue;
		if (now - hs->since >= HARD_ORPHAN_SECS) {
			zlog_info("redundancy: closing the frozen socket of %s session %s silently",
				  hs->daemon, hs->name);
			hard_socket_free(hs, true);
		} else if (!next || hs->since + HARD_ORPHAN_SECS < next) {
			next = hs->since + HARD_ORPHAN_SECS;
		}
	}
	if (next)
		event_add_timer(hard.master, hard_sockets_expire, NULL, next - now, &t_expire);
}

/* The daemon died: its sessions' sockets stay open, frozen. */
void hard_sockets_daemon_died(const char *daemon)
{
	struct hard_socket *hs;
	unsigned int n = 0;

	frr_each (hard_held, &held, hs) {
		if (strcmp(hs->daemon, daemon) || hs->frozen)
			continue;
		int ret;

		frr_with_privs (&hard_privs)
			ret = ha_tcp_freeze(hs->fd);
		if (ret < 0)
			zlog_err("redundancy: cannot freeze %s session %s: %s", daemon, hs->name,
				 safe_strerror(errno));
		hs->frozen = true;
		hs->since = monotime(NULL);
		n++;
	}
	if (n) {
		zlog_notice("redundancy: %s died: holding %u of its session sockets, frozen (no FIN, no RST to the peers)",
			    daemon, n);
		event_add_timer(hard.master, hard_sockets_expire, NULL, HARD_ORPHAN_SECS, &t_expire);
	}
}

/*
 * The daemon died and no takeover follows: nothing will carry its
 * connections on, so they end now, the way the daemon's death would have
 * ended them without hard -- out of repair mode, whatever the daemon left
 * unread dropped (closed with it unread, the kernel would send a RST), and
 * closed: the peers get a FIN at once instead of waiting for their hold
 * timers, and meanwhile refusing the restarted daemon's new connection (a
 * second connection of an Established session loses the collision).
 * Returns how many were closed.
 */
unsigned int hard_sockets_let_go(const char *daemon, const char *why)
{
	struct hard_socket *hs;
	unsigned int n = 0;

	frr_each_safe (hard_held, &held, hs) {
		uint8_t unread[4096];
		int ret;

		if (strcmp(hs->daemon, daemon) || !hs->frozen || hs->handed_over)
			continue;
		frr_with_privs (&hard_privs)
			ret = ha_tcp_thaw(hs->fd);
		if (ret < 0) {
			zlog_err("redundancy: %s session %s: cannot take its socket out of repair mode (%s): closed silently, the peer's hold timer ends the session",
				 daemon, hs->name, safe_strerror(errno));
			hard_socket_free(hs, true);
			continue;
		}
		hs->frozen = false;
		while (recv(hs->fd, unread, sizeof(unread), MSG_DONTWAIT) > 0)
			;
		hard_socket_free(hs, false);
		n++;
	}
	if (n)
		zlog_notice("redundancy: %s died and no takeover follows (%s): %u of its session sockets closed (FIN), as its death alone would have: the peers see those sessions end now, and the restarted %s establishes them again",
			    daemon, why, n, daemon);
	return n;
}

/*
 * The daemon died on the active card and the peer card takes over: send it
 * the exact state of each of the daemon's frozen connections, for the same
 * daemon there to carry on with.  Sent before the handover, on the same
 * ordered channel, so the state is there when the peer's daemon becomes
 * active.  Returns how many were sent.
 */
unsigned int hard_sockets_hand_over(const char *daemon)
{
	struct hard_socket *hs;
	unsigned int n = 0;

	frr_each_safe (hard_held, &held, hs) {
		struct ha_msg_session_state msg = {};
		struct ha_tcp_state st;
		char err[256] = "";
		uint8_t *buf;
		ssize_t hlen, slen;

		if (strcmp(hs->daemon, daemon) || !hs->frozen || hs->handed_over)
			continue;
		int ret;

		frr_with_privs (&hard_privs)
			ret = ha_tcp_dump(hs->fd, &st, err, sizeof(err));
		if (ret < 0) {
			zlog_err("redundancy: cannot read the state of %s session %s: %s; the peer card will re-establish it",
				 daemon, hs->name, err);
			continue;
		}
		slen = ha_tcp_state_encode(&st, NULL, 0);
		strlcpy(msg.daemon, daemon, sizeof(msg.daemon));
		strlcpy(msg.name, hs->name, sizeof(msg.name));
		msg.state_len = slen > 0 ? slen : 0;
		buf = XMALLOC(MTYPE_TMP, HA_MSG_CONTROL_MAX + msg.state_len);
		hlen = ha_msg_session_state_hdr_encode(&msg, buf, HA_MSG_CONTROL_MAX);
		if (slen > 0 && hlen > 0 && ha_tcp_state_encode(&st, buf + hlen, slen) == slen &&
		    hard_peer_send(HA_MSG_SESSION_STATE, buf, hlen + slen)) {
			n++;
			zlog_info("redundancy: %s session %s: connection state (%zd bytes, %u queued to send, %u received unread) sent to the peer card",
				  daemon, hs->name, slen, st.sndq_len, st.rcvq_len);
			/* the connection lives on there now; this copy is
			 * closed (silently: frozen) once the line is released,
			 * see hard_sockets_line_released() */
			hs->handed_over = true;
		} else {
			zlog_err("redundancy: cannot send the state of %s session %s to the peer card",
				 daemon, hs->name);
		}
		XFREE(MTYPE_TMP, buf);
		ha_tcp_state_clear(&st);
	}
	return n;
}

void hard_sockets_line_released(void)
{
	struct hard_socket *hs;

	/* off the line: the copies of connections that live on on the peer
	 * card would only keep their addresses busy for a later switchover
	 * back to this card */
	frr_each_safe (hard_held, &held, hs)
		if (hs->handed_over) {
			zlog_info("redundancy: %s session %s lives on on the peer card: closing its frozen socket here",
				  hs->daemon, hs->name);
			hard_socket_free(hs, true);
		}
}

unsigned int hard_sockets_count(const char *daemon, bool frozen)
{
	struct hard_socket *hs;
	unsigned int n = 0;

	frr_each (hard_held, &held, hs)
		if ((!daemon || strcmp(hs->daemon, daemon) == 0) && hs->frozen == frozen)
			n++;
	return n;
}

void hard_sockets_finish(void)
{
	struct hard_socket *hs;

	EVENT_OFF(t_expire);
	/* hard going away must not reset the daemons' sessions either */
	while ((hs = hard_held_first(&held)))
		hard_socket_free(hs, hs->frozen);
}
