// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: the intercard control channel to the peer card.
 *
 * TCP over the intercard link.  Both cards listen on the configured port;
 * the card in slot 1 opens the connection (and reopens it every 500 ms
 * while it is down).  Each side's first frame is a HELLO authenticated
 * with the configured key; it carries a fresh nonce, and all later frames
 * are authenticated with a session key derived from both nonces
 * (ha_auth.h).  A connection from another address, a peer with the wrong
 * key, another wire version or the same slot id is refused with a log line
 * saying which, and counted.  Once up, heartbeats flow every interval; a
 * peer silent for interval x multiplier is declared lost (a crashed hard or
 * a dead card closes the TCP connection, which is noticed at once).
 */
#include <zebra.h>

#include <netinet/tcp.h>

#include "debug.h"
#include "frrevent.h"
#include "log.h"
#include "monotime.h"
#include "network.h"
#include "sockopt.h"
#include "sockunion.h"

#include "ha_conn.h"
#include "hard.h"

/* The configuration the channel was set up with, to notice changes. */
static struct {
	bool configured;
	struct ipaddr addr;
	uint16_t port;
	char key[256];
	uint8_t slot;
} applied;

static void hard_peer_connect(struct event *ev);
static void hard_peer_heartbeat_timer(struct event *ev);
static void hard_peer_silence_arm(void);

const char *hard_peer_state_name(enum hard_peer_state state)
{
	switch (state) {
	case HARD_PEER_DOWN:
		return "down";
	case HARD_PEER_CONNECTING:
		return "connecting";
	case HARD_PEER_HELLO:
		return "hello";
	case HARD_PEER_UP:
		return "up";
	}
	return "unknown";
}

uint8_t hard_card_flags(void)
{
	uint8_t flags = 0;

	if (hard.mastership)
		flags |= HA_CARD_F_MASTER;
	if (hard.role == HA_ROLE_ACTIVE && hard.redundant)
		flags |= HA_CARD_F_REDUNDANT;
	return flags;
}

static bool hard_peer_initiator(void)
{
	return hard.cfg.slot == 1;
}

static void hard_peer_schedule_connect(long msec)
{
	if (hard.cfg.peer_configured && hard_peer_initiator())
		event_add_timer_msec(hard.master, hard_peer_connect, NULL, msec,
				     &hard.peer.t_connect);
}

/* Drop the connection (if any); tell the role machine if it was up. */
static void hard_peer_close(const char *fmt, ...) PRINTFRR(1, 2);
static void hard_peer_close(const char *fmt, ...)
{
	struct hard_peer *peer = &hard.peer;
	bool was_up = peer->state == HARD_PEER_UP;
	va_list ap;

	va_start(ap, fmt);
	vsnprintfrr(peer->last_down_reason, sizeof(peer->last_down_reason), fmt, ap);
	va_end(ap);

	EVENT_OFF(peer->t_heartbeat);
	EVENT_OFF(peer->t_silence);
	EVENT_OFF(peer->t_connect);
	ha_conn_free(&peer->conn);
	if (peer->connect_fd >= 0) {
		close(peer->connect_fd);
		peer->connect_fd = -1;
	}
	peer->state = HARD_PEER_DOWN;
	explicit_bzero(peer->session_key, sizeof(peer->session_key));
	if (was_up)
		hard_data_peer_down();
	if (was_up) {
		peer->downs++;
		zlog_warn("redundancy: peer card lost: %s", peer->last_down_reason);
		memset(&peer->hb, 0, sizeof(peer->hb));
		hard_role_peer_down(peer->last_down_reason);
	}
	hard_peer_schedule_connect(HARD_CONNECT_RETRY_MSEC);
}

bool hard_peer_send(uint8_t type, const uint8_t *payload, size_t len)
{
	if (hard.peer.state != HARD_PEER_UP)
		return false;
	return ha_conn_send(hard.peer.conn, type, payload, len) == 0;
}

/* A heartbeat this long after the previous one (half the dead interval)
 * is logged as late, sent or received. */
static int64_t hard_peer_late_usec(void)
{
	return (int64_t)hard.cfg.hb_interval * hard.cfg.hb_multiplier * 1000 / 2;
}

/* This thread's time on a CPU and waiting for one so far (ns), from the
 * kernel's scheduler statistics; zero if it has none. */
static void hard_sched_stat(uint64_t *on_cpu, uint64_t *run_delay)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	unsigned long long a = 0, b = 0;

	if (f) {
		if (fscanf(f, "%llu %llu", &a, &b) != 2)
			a = b = 0;
		fclose(f);
	}
	*on_cpu = a;
	*run_delay = b;
}

void hard_peer_send_heartbeat(void)
{
	uint64_t on_cpu, run_delay;
	struct ha_msg_heartbeat hb = {
		.role = hard.role,
		.flags = hard_card_flags(),
		.sent_usec = hard_monotime_usec(),
	};
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;

	if (hard.peer.state != HARD_PEER_UP)
		return;
	hard_registry_daemon_set(&hb.daemons);
	len = ha_msg_heartbeat_encode(&hb, buf, sizeof(buf));
	assert(len > 0);
	hard_sched_stat(&on_cpu, &run_delay);
	if (hard.peer.hb_last_tx_usec) {
		int64_t gap = (int64_t)hb.sent_usec - hard.peer.hb_last_tx_usec;

		if (gap > hard.peer.hb_gap_tx_usec)
			hard.peer.hb_gap_tx_usec = gap;
		if (gap > hard_peer_late_usec())
			zlog_warn("redundancy: heartbeat to the peer card sent %" PRId64
				  " ms after the previous one (interval %u ms): this card's hard was late; meanwhile it ran %" PRIu64
				  " ms and waited %" PRIu64 " ms for a CPU",
				  gap / 1000, hard.cfg.hb_interval,
				  (on_cpu - hard.peer.hb_last_tx_on_cpu_ns) / 1000000,
				  (run_delay - hard.peer.hb_last_tx_run_delay_ns) / 1000000);
	}
	hard.peer.hb_last_tx_usec = hb.sent_usec;
	hard.peer.hb_last_tx_on_cpu_ns = on_cpu;
	hard.peer.hb_last_tx_run_delay_ns = run_delay;
	hard_peer_send(HA_MSG_HEARTBEAT, buf, len);
}

/* The control channel's TCP retransmissions, for the record of a silence. */
static void hard_peer_tcp_info(struct hard_peer *peer, struct tcp_info *ti)
{
	socklen_t tilen = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (peer->conn)
		getsockopt(ha_conn_fd(peer->conn), IPPROTO_TCP, TCP_INFO, ti, &tilen);
}

uint32_t hard_peer_channel_retransmits(void)
{
	struct tcp_info ti;

	hard_peer_tcp_info(&hard.peer, &ti);
	return ti.tcpi_total_retrans;
}

/* A heartbeat from the peer card: the time since its previous one, as it
 * arrived and as it was sent. */
static void hard_peer_heartbeat_gap(struct hard_peer *peer, const struct ha_msg_heartbeat *hb)
{
	int64_t now = peer->last_rx_usec;

	if (peer->hb_prev_rx_usec) {
		int64_t arrival = now - peer->hb_prev_rx_usec;
		int64_t sent = (int64_t)(hb->sent_usec - peer->hb_prev_sent_usec);

		if (arrival > peer->hb_gap_arrival_usec) {
			peer->hb_gap_arrival_usec = arrival;
			peer->hb_gap_sent_usec = sent;
		}
		if (arrival > hard_peer_late_usec()) {
			struct tcp_info ti;

			hard_peer_tcp_info(peer, &ti);
			zlog_warn("redundancy: heartbeat from the peer card %" PRId64
				  " ms after its previous one, which it sent %" PRId64
				  " ms before this one (interval %u ms; channel: %u segments sent again in all)",
				  arrival / 1000, sent / 1000, hard.cfg.hb_interval,
				  ti.tcpi_total_retrans);
		}
	}
	peer->hb_prev_rx_usec = now;
	peer->hb_prev_sent_usec = hb->sent_usec;
}

static bool hard_peer_any_frame(struct ha_conn *conn, uint8_t type, const uint8_t *payload,
				uint32_t len, void *arg)
{
	return true;
}

static void hard_peer_silence_timer(struct event *ev);

/* Check the peer's silence again when it will have lasted the dead
 * interval (interval x multiplier): not at the next heartbeat tick after
 * that, up to an interval later. */
static void hard_peer_silence_arm(void)
{
	struct hard_peer *peer = &hard.peer;
	int64_t dead_usec = (int64_t)hard.cfg.hb_interval * hard.cfg.hb_multiplier * 1000;
	int64_t left = peer->last_rx_usec + dead_usec - hard_monotime_usec();

	event_add_timer_msec(hard.master, hard_peer_silence_timer, NULL,
			     left > 0 ? left / 1000 + 1 : 1, &peer->t_silence);
}

static void hard_peer_silence_timer(struct event *ev)
{
	struct hard_peer *peer = &hard.peer;
	int64_t silent = (hard_monotime_usec() - peer->last_rx_usec) / 1000;
	int64_t dead = (int64_t)hard.cfg.hb_interval * hard.cfg.hb_multiplier;

	if (silent > dead && peer->conn && peer->state == HARD_PEER_UP) {
		/* this event loop may be what was late (a timer runs before the
		 * reads that were due with it): what the peer card sent
		 * meanwhile is read before it is called silent */
		ha_conn_poll(peer->conn, hard_peer_any_frame);
		if (peer->state != HARD_PEER_UP)
			return; /* the read closed the channel, and said why */
		silent = (hard_monotime_usec() - peer->last_rx_usec) / 1000;
		if (silent <= dead)
			peer->late_heartbeats_read++;
	}
	if (silent > dead) {
		struct tcp_info ti;

		hard_peer_tcp_info(peer, &ti);
		zlog_warn("redundancy: the peer card silent for %" PRId64
			  " ms; its channel here: %u segments of ours unacknowledged, %u sent again in all, retransmission timeout %u ms, last data received %u ms ago",
			  silent, ti.tcpi_unacked, ti.tcpi_total_retrans, ti.tcpi_rto / 1000,
			  ti.tcpi_last_data_recv);
		hard_peer_close("heartbeat timeout: nothing heard for %" PRId64
				" ms (interval %u ms x %u)",
				silent, hard.cfg.hb_interval, hard.cfg.hb_multiplier);
		return;
	}
	hard_peer_silence_arm();
}

static void hard_peer_heartbeat_timer(struct event *ev)
{
	hard_peer_send_heartbeat();
	event_add_timer_msec(hard.master, hard_peer_heartbeat_timer, NULL, hard.cfg.hb_interval,
			     &hard.peer.t_heartbeat);
}

/* The heartbeat's interval or multiplier changed. */
void hard_peer_heartbeat_changed(void)
{
	if (hard.peer.state != HARD_PEER_UP)
		return;
	EVENT_OFF(hard.peer.t_silence);
	hard_peer_silence_arm();
}

/* The peer's HELLO: check it, switch to the session key, go up. */
static bool hard_peer_hello(const uint8_t *payload, uint32_t len)
{
	struct hard_peer *peer = &hard.peer;
	struct ha_msg_hello hello;
	enum ha_decode_result res;
	uint8_t session[HA_AUTH_KEY_LEN];

	res = ha_msg_hello_decode(payload, len, &hello);
	if (res != HA_DECODE_OK) {
		peer->refused_connections++;
		hard_peer_close("refused peer card: bad hello (%s)", ha_decode_result_str(res));
		return false;
	}
	if (hello.slot == hard.cfg.slot) {
		peer->refused_connections++;
		zlog_err("redundancy: refusing peer card: it has slot %u too; the two cards of a router need different slot ids",
			 hello.slot);
		hard_peer_close("refused peer card: both cards have slot %u", hello.slot);
		return false;
	}
	if (!ha_auth_session_key(peer->base_key, peer->initiator ? peer->nonce : hello.nonce,
				 peer->initiator ? hello.nonce : peer->nonce, session)) {
		hard_peer_close("cannot derive session key (libcrypto)");
		return false;
	}
	ha_conn_set_auth(peer->conn, session);
	memcpy(peer->session_key, session, sizeof(peer->session_key));
	explicit_bzero(session, sizeof(session));

	peer->hello = hello;
	peer->hb.role = hello.role;
	peer->hb.flags = hello.flags;
	peer->hb.daemons = hello.daemons;
	peer->state = HARD_PEER_UP;
	peer->ups++;
	peer->up_since = monotime(NULL);
	peer->last_rx_usec = hard_monotime_usec();
	peer->hb_prev_rx_usec = 0;
	peer->hb_last_tx_usec = 0;
	zlog_notice("redundancy: peer card up: slot %u, priority %u, role %s%s, frr-ha %s",
		    hello.slot, hello.priority, ha_role_name(hello.role),
		    (hello.flags & HA_CARD_F_MASTER) ? " (holds mastership)" : "", hello.sw_version);
	hard_role_peer_up();
	hard_peer_send_heartbeat();
	hard_data_check();
	event_add_timer_msec(hard.master, hard_peer_heartbeat_timer, NULL, hard.cfg.hb_interval,
			     &peer->t_heartbeat);
	hard_peer_silence_arm();
	return true;
}

static bool hard_peer_frame(struct ha_conn *conn, uint8_t type, const uint8_t *payload,
			    uint32_t len, void *arg)
{
	struct hard_peer *peer = &hard.peer;
	struct ha_msg_heartbeat hb;
	enum ha_decode_result res;

	if (peer->state == HARD_PEER_HELLO) {
		if (type != HA_MSG_HELLO) {
			peer->refused_connections++;
			hard_peer_close("refused peer card: %s before hello",
					ha_msg_type_name(type));
			return false;
		}
		return hard_peer_hello(payload, len);
	}

	peer->last_rx_usec = hard_monotime_usec();
	switch (type) {
	case HA_MSG_HEARTBEAT:
		res = ha_msg_heartbeat_decode(payload, len, &hb);
		if (res != HA_DECODE_OK) {
			hard_peer_close("bad heartbeat from peer card (%s)",
					ha_decode_result_str(res));
			return false;
		}
		DEBUGD(&hard_dbg_peer,
		       "redundancy: heartbeat from peer card: role %s, flags 0x%x, %u daemons",
		       ha_role_name(hb.role), hb.flags, hb.daemons.count);
		peer->hb = hb;
		peer->heartbeats_rx++;
		hard_peer_heartbeat_gap(peer, &hb);
		hard_role_peer_update();
		hard_data_check();
		return true;
	case HA_MSG_SWITCHOVER: {
		struct ha_msg_switchover swo;

		res = ha_msg_switchover_decode(payload, len, &swo);
		if (res != HA_DECODE_OK) {
			hard_peer_close("bad switchover message from peer card (%s)",
					ha_decode_result_str(res));
			return false;
		}
		hard_role_switchover_msg(&swo);
		return true;
	}
	case HA_MSG_SESSION_STATE: {
		struct ha_msg_session_state ss;
		struct hard_daemon *hd;

		res = ha_msg_session_state_decode(payload, len, &ss);
		if (res != HA_DECODE_OK) {
			hard_peer_close("bad session state from peer card (%s)",
					ha_decode_result_str(res));
			return false;
		}
		/* only the standby takes a session over */
		if (hard.role != HA_ROLE_STANDBY) {
			zlog_warn("redundancy: ignoring the connection of %s session %s from the peer card: this card is %s",
				  ss.daemon, ss.name, ha_role_name(hard.role));
			return true;
		}
		hd = hard_registry_find(ss.daemon);
		if (!hd || !hd->registered ||
		    ha_conn_send(hd->conn, HA_MSG_SESSION_STATE, payload, len) != 0) {
			zlog_err("redundancy: cannot take over %s session %s: %s is not running here",
				 ss.daemon, ss.name, ss.daemon);
			return true;
		}
		zlog_info("redundancy: %s session %s: connection state from the peer card passed to %s",
			  ss.daemon, ss.name, ss.daemon);
		return true;
	}
	default:
		hard_peer_close("unexpected %s message from peer card", ha_msg_type_name(type));
		return false;
	}
}

static void hard_peer_conn_closed(struct ha_conn *conn, const char *reason, void *arg)
{
	if (ha_conn_stats(conn)->auth_failures) {
		hard.peer.auth_failures++;
		zlog_err("redundancy: peer card refused: %s", reason);
	} else if (ha_conn_stats(conn)->version_refusals) {
		hard.peer.version_refusals++;
		zlog_err("redundancy: peer card refused: %s", reason);
	}
	hard_peer_close("%s", reason);
}

/* A TCP connection to the peer card exists: say hello. */
static void hard_peer_start(int fd, bool initiator)
{
	struct hard_peer *peer = &hard.peer;
	struct ha_msg_hello hello = {
		.slot = hard.cfg.slot,
		.priority = hard.cfg.priority,
		.role = hard.role,
		.flags = hard_card_flags(),
	};
	uint8_t buf[HA_MSG_CONTROL_MAX];
	ssize_t len;
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer->initiator = initiator;
	peer->state = HARD_PEER_HELLO;
	peer->conn = ha_conn_new(hard.master, fd, "peer card", hard_peer_frame,
				 hard_peer_conn_closed, NULL);
	if (!ha_auth_random(peer->nonce, sizeof(peer->nonce))) {
		hard_peer_close("no random bytes for the nonce (libcrypto)");
		return;
	}
	ha_conn_set_auth(peer->conn, peer->base_key);
	memcpy(hello.nonce, peer->nonce, sizeof(hello.nonce));
	strlcpy(hello.sw_version, FRRHA_VERSION, sizeof(hello.sw_version));
	hard_registry_daemon_set(&hello.daemons);
	len = ha_msg_hello_encode(&hello, buf, sizeof(buf));
	assert(len > 0);
	ha_conn_send(peer->conn, HA_MSG_HELLO, buf, len);
}

static socklen_t hard_peer_sockaddr(union sockunion *su, uint16_t port)
{
	memset(su, 0, sizeof(*su));
	if (IS_IPADDR_V4(&hard.cfg.peer_addr)) {
		su->sin.sin_family = AF_INET;
		su->sin.sin_addr = hard.cfg.peer_addr.ipaddr_v4;
		su->sin.sin_port = htons(port);
		return sizeof(su->sin);
	}
	su->sin6.sin6_family = AF_INET6;
	su->sin6.sin6_addr = hard.cfg.peer_addr.ipaddr_v6;
	su->sin6.sin6_port = htons(port);
	return sizeof(su->sin6);
}

static void hard_peer_connect_done(struct event *ev)
{
	struct hard_peer *peer = &hard.peer;
	int fd = peer->connect_fd;
	int err = 0;
	socklen_t errlen = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
		err = errno;
	if (err) {
		/* a peer card that is not there yet is not news */
		DEBUGD(&hard_dbg_peer, "redundancy: connect to peer card: %s", safe_strerror(err));
		hard_peer_close("connect: %s", safe_strerror(err));
		return;
	}
	peer->connect_fd = -1;
	hard_peer_start(fd, true);
}

static void hard_peer_connect(struct event *ev)
{
	struct hard_peer *peer = &hard.peer;
	union sockunion su;
	socklen_t slen;
	int fd;

	if (peer->state != HARD_PEER_DOWN || !hard.cfg.peer_configured)
		return;
	slen = hard_peer_sockaddr(&su, hard.cfg.peer_port);
	fd = socket(su.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		hard_peer_close("socket: %s", safe_strerror(errno));
		return;
	}
	peer->connect_fd = fd;
	peer->state = HARD_PEER_CONNECTING;
	if (connect(fd, &su.sa, slen) < 0 && errno != EINPROGRESS) {
		hard_peer_close("connect: %s", safe_strerror(errno));
		return;
	}
	event_add_write(hard.master, hard_peer_connect_done, NULL, fd, &peer->t_connect);
}

static bool hard_peer_source_ok(const union sockunion *from)
{
	if (from->sa.sa_family == AF_INET6) {
		const struct in6_addr *a = &from->sin6.sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			return IS_IPADDR_V4(&hard.cfg.peer_addr) &&
			       memcmp(&a->s6_addr[12], &hard.cfg.peer_addr.ipaddr_v4, 4) == 0;
		return IS_IPADDR_V6(&hard.cfg.peer_addr) &&
		       IN6_ARE_ADDR_EQUAL(a, &hard.cfg.peer_addr.ipaddr_v6);
	}
	return from->sa.sa_family == AF_INET && IS_IPADDR_V4(&hard.cfg.peer_addr) &&
	       from->sin.sin_addr.s_addr == hard.cfg.peer_addr.ipaddr_v4.s_addr;
}

static void hard_peer_accept(struct event *ev)
{
	struct hard_peer *peer = &hard.peer;
	union sockunion from;
	socklen_t flen = sizeof(from);
	char buf[SU_ADDRSTRLEN];
	int fd;

	event_add_read(hard.master, hard_peer_accept, NULL, peer->listen_fd, &peer->t_accept);
	fd = accept4(peer->listen_fd, &from.sa, &flen, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!hard.cfg.peer_configured || !hard_peer_source_ok(&from)) {
		peer->refused_connections++;
		zlog_warn("redundancy: refusing control connection from %s: not the configured peer card",
			  sockunion2str(&from, buf, sizeof(buf)));
		close(fd);
		return;
	}
	/* While the control channel is up, the peer card opens data channels
	 * (hard_data.c); they authenticate with keys of this session. */
	if (peer->state == HARD_PEER_UP) {
		hard_data_accept(fd);
		return;
	}
	/* One control connection at a time: a new one is not allowed to
	 * displace a working one.  A peer card that restarted has had its old
	 * connection closed by its kernel, or it times out. */
	if (peer->state == HARD_PEER_HELLO) {
		peer->refused_connections++;
		zlog_warn("redundancy: refusing a second control connection from %s: the channel to the peer card is %s",
			  sockunion2str(&from, buf, sizeof(buf)), hard_peer_state_name(peer->state));
		close(fd);
		return;
	}
	if (peer->connect_fd >= 0) {
		close(peer->connect_fd);
		peer->connect_fd = -1;
	}
	EVENT_OFF(peer->t_connect);
	hard_peer_start(fd, false);
}

static void hard_peer_listen_close(void)
{
	EVENT_OFF(hard.peer.t_accept);
	if (hard.peer.listen_fd >= 0) {
		close(hard.peer.listen_fd);
		hard.peer.listen_fd = -1;
	}
}

static void hard_peer_listen(void)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_ANY_INIT,
		.sin6_port = htons(hard.cfg.peer_port),
	};
	int fd, zero = 0;

	hard_peer_listen_close();
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	sockopt_reuseaddr(fd);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 || listen(fd, 4) < 0)
		goto fail;
	hard.peer.listen_fd = fd;
	event_add_read(hard.master, hard_peer_accept, NULL, fd, &hard.peer.t_accept);
	return;
fail:
	zlog_err("redundancy: cannot listen on port %u for the peer card: %s", hard.cfg.peer_port,
		 safe_strerror(errno));
	if (fd >= 0)
		close(fd);
}

void hard_peer_config_changed(void)
{
	struct hard_config *cfg = &hard.cfg;
	bool changed = applied.configured != cfg->peer_configured ||
		       (cfg->peer_configured &&
			(memcmp(&applied.addr, &cfg->peer_addr, sizeof(applied.addr)) ||
			 applied.port != cfg->peer_port || strcmp(applied.key, cfg->peer_key) ||
			 applied.slot != cfg->slot));

	if (!changed)
		return;
	if (hard.peer.state != HARD_PEER_DOWN)
		hard_peer_close("peer card configuration changed");
	EVENT_OFF(hard.peer.t_connect);
	if (!cfg->peer_configured) {
		hard_peer_listen_close();
		explicit_bzero(hard.peer.base_key, sizeof(hard.peer.base_key));
	} else {
		if (!ha_auth_base_key(cfg->peer_key, hard.peer.base_key))
			zlog_err("redundancy: cannot derive the intercard key (libcrypto)");
		if (!applied.configured || applied.port != cfg->peer_port)
			hard_peer_listen();
		hard_peer_schedule_connect(0);
	}
	applied.configured = cfg->peer_configured;
	applied.addr = cfg->peer_addr;
	applied.port = cfg->peer_port;
	applied.slot = cfg->slot;
	strlcpy(applied.key, cfg->peer_key, sizeof(applied.key));
}

void hard_peer_finish(void)
{
	if (hard.peer.state != HARD_PEER_DOWN)
		hard_peer_close("hard shutting down");
	EVENT_OFF(hard.peer.t_connect);
	hard_peer_listen_close();
}
