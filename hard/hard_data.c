// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: data channels between the ha modules of the two cards.
 *
 * One TCP connection per daemon, so that one protocol's bulk copy never
 * waits behind another's deltas.  hard sets each one up and then gets out
 * of the way: the card in slot 1 connects to the peer card's intercard
 * port (the one the control channel uses), both ends send a DATA_OPEN
 * frame naming the daemon, with a fresh nonce, authenticated with a key
 * derived from the control channel's session key and the daemon name;
 * each end derives the channel key from both nonces and passes the socket
 * (SCM_RIGHTS) and the key to its module.  From then on the two modules
 * talk directly (ha_repl.h).
 *
 * The handshake reads exactly one frame, never more, so nothing the peer
 * module sends right after it is lost when the socket changes hands.
 */
#include <zebra.h>

#include <netinet/tcp.h>

#include "frrevent.h"
#include "log.h"
#include "memory.h"
#include "network.h"
#include "sockunion.h"

#include "ha_conn.h"
#include "hard.h"

DEFINE_MTYPE_STATIC(HARD, HARD_DATA_HS, "hard data channel handshake");

#define HARD_DATA_RETRY_MSEC	  500
#define HARD_DATA_HS_TIMEOUT_MSEC 2000
#define HARD_DATA_OPEN_MAX	  (HA_FRAME_HDR_LEN + 128 + HA_AUTH_MAC_LEN)

PREDECL_DLIST(hard_data_hss);

/* A data connection whose DATA_OPEN exchange is in progress. */
struct hard_data_hs {
	struct hard_data_hss_item item;
	int fd;
	bool initiator;
	bool connected;
	char daemon[HA_DAEMON_NAME_MAX]; /* initiator: known from the start */
	uint8_t nonce[HA_NONCE_LEN];
	uint8_t data_key[HA_AUTH_KEY_LEN];
	uint8_t rx[HARD_DATA_OPEN_MAX];
	size_t have;
	struct event *t_io, *t_timeout;
};
DECLARE_DLIST(hard_data_hss, struct hard_data_hs, item);

static struct hard_data_hss_head handshakes = INIT_DLIST(handshakes);
static struct event *t_check;

static void hard_data_hs_free(struct hard_data_hs *hs)
{
	struct hard_daemon *hd;

	if (hs->initiator && (hd = hard_registry_find(hs->daemon)))
		hd->data_connecting = false;
	hard_data_hss_del(&handshakes, hs);
	EVENT_OFF(hs->t_io);
	EVENT_OFF(hs->t_timeout);
	if (hs->fd >= 0)
		close(hs->fd);
	explicit_bzero(hs->data_key, sizeof(hs->data_key));
	XFREE(MTYPE_HARD_DATA_HS, hs);
}

static void hard_data_hs_fail(struct hard_data_hs *hs, const char *fmt, ...) PRINTFRR(2, 3);
static void hard_data_hs_fail(struct hard_data_hs *hs, const char *fmt, ...)
{
	struct hard_daemon *hd = hs->daemon[0] ? hard_registry_find(hs->daemon) : NULL;
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintfrr(why, sizeof(why), fmt, ap);
	va_end(ap);
	zlog_warn("redundancy: data channel%s%s refused: %s", hs->daemon[0] ? " for " : "",
		  hs->daemon, why);
	if (hd) {
		hd->data_refused++;
		hd->data_retry_usec = hard_monotime_usec() + HARD_DATA_RETRY_MSEC * 1000;
	}
	hard_data_hs_free(hs);
}

/* Send our DATA_OPEN (a non-blocking socket takes ~90 bytes at once). */
static bool hard_data_hs_send_open(struct hard_data_hs *hs)
{
	struct ha_msg_data_open open = { .slot = hard.cfg.slot };
	uint8_t frame[HARD_DATA_OPEN_MAX];
	ssize_t plen, n;

	strlcpy(open.daemon, hs->daemon, sizeof(open.daemon));
	if (!ha_auth_random(hs->nonce, sizeof(hs->nonce)))
		return false;
	memcpy(open.nonce, hs->nonce, sizeof(open.nonce));
	plen = ha_msg_data_open_encode(&open, frame + HA_FRAME_HDR_LEN,
				       sizeof(frame) - HA_FRAME_HDR_LEN - HA_AUTH_MAC_LEN);
	if (plen < 0)
		return false;
	ha_frame_hdr_encode(frame, HA_MSG_DATA_OPEN, plen + HA_AUTH_MAC_LEN);
	/* the first frame in each direction: sequence number 0 */
	if (!ha_auth_frame_mac(hs->data_key, 0, frame, HA_FRAME_HDR_LEN, frame + HA_FRAME_HDR_LEN,
			       plen, frame + HA_FRAME_HDR_LEN + plen))
		return false;
	n = send(hs->fd, frame, HA_FRAME_HDR_LEN + plen + HA_AUTH_MAC_LEN, MSG_NOSIGNAL);
	return n == HA_FRAME_HDR_LEN + plen + HA_AUTH_MAC_LEN;
}

/* Both DATA_OPENs are through: hand the socket to the module. */
static void hard_data_hs_done(struct hard_data_hs *hs, const struct ha_msg_data_open *theirs)
{
	struct hard_daemon *hd = hard_registry_find(hs->daemon);
	struct ha_msg_data_channel msg = { .up = 1, .peer_slot = theirs->slot };
	uint8_t buf[64];
	ssize_t len;
	int fd;

	if (!hd) {
		hard_data_hs_fail(hs, "%s is not registered on this card", hs->daemon);
		return;
	}
	if (!ha_auth_session_key(hs->data_key, hs->initiator ? hs->nonce : theirs->nonce,
				 hs->initiator ? theirs->nonce : hs->nonce, msg.key)) {
		hard_data_hs_fail(hs, "cannot derive the channel key (libcrypto)");
		return;
	}
	msg.generation = ++hd->data_generation;
	len = ha_msg_data_channel_encode(&msg, buf, sizeof(buf));
	explicit_bzero(msg.key, sizeof(msg.key));
	assert(len > 0);
	fd = hs->fd;
	hs->fd = -1;
	hd->data_up = true;
	/* hard keeps a copy: if the daemon dies, the deltas it already wrote
	 * are still delivered -- its death alone would reset the connection
	 * (a socket closed with unread data sends RST and drops what it had
	 * not sent yet), and the peer card would miss the daemon's last
	 * changes.  The module ends a channel with shutdown(), which does
	 * not depend on this copy. */
	if (hd->data_fd >= 0)
		close(hd->data_fd);
	hd->data_fd = dup(fd);
	zlog_info("redundancy: data channel #%u for %s to slot %u handed to the module",
		  msg.generation, hd->name, theirs->slot);
	ha_conn_send_fd(hd->conn, HA_MSG_DATA_CHANNEL, buf, len, fd);
	explicit_bzero(buf, sizeof(buf));
	hard_data_hs_free(hs);
}

/* How long a dead daemon's data channel stays open for its last deltas. */
#define HARD_DATA_LINGER_SECS 2

struct hard_data_linger {
	int fd;
};

static void hard_data_linger_done(struct event *ev)
{
	struct hard_data_linger *l = EVENT_ARG(ev);

	close(l->fd);
	XFREE(MTYPE_TMP, l);
}

void hard_data_daemon_gone(struct hard_daemon *hd)
{
	struct hard_data_linger *l;

	if (hd->data_fd < 0)
		return;
	/* what the daemon wrote goes out, then the end of the channel; the
	 * socket stays open until that is through (closed now, with the
	 * peer's acknowledgements unread, it would be reset at once) */
	shutdown(hd->data_fd, SHUT_WR);
	l = XMALLOC(MTYPE_TMP, sizeof(*l));
	l->fd = hd->data_fd;
	event_add_timer(hard.master, hard_data_linger_done, l, HARD_DATA_LINGER_SECS, NULL);
	hd->data_fd = -1;
}

static void hard_data_hs_read(struct event *ev)
{
	struct hard_data_hs *hs = EVENT_ARG(ev);
	struct ha_frame_hdr hdr;
	struct ha_msg_data_open theirs = {};
	enum ha_decode_result res;
	size_t need = HA_FRAME_HDR_LEN;
	ssize_t n;

	if (hs->have >= HA_FRAME_HDR_LEN) {
		res = ha_frame_hdr_decode(hs->rx, hs->have, &hdr);
		if (res != HA_DECODE_OK || hdr.type != HA_MSG_DATA_OPEN ||
		    hdr.length > sizeof(hs->rx) - HA_FRAME_HDR_LEN || hdr.length < HA_AUTH_MAC_LEN) {
			hard_data_hs_fail(hs, "first frame is not a data-open (%s, type %u)",
					  ha_decode_result_str(res), hdr.type);
			return;
		}
		need = HA_FRAME_HDR_LEN + hdr.length;
	} else if (hs->have >= 2) {
		res = ha_frame_hdr_decode(hs->rx, hs->have, &hdr);
		if (res == HA_DECODE_BAD_MAGIC) {
			hard_data_hs_fail(hs, "not an frr-ha frame");
			return;
		}
	}
	/* exactly up to the end of this one frame */
	n = recv(hs->fd, hs->rx + hs->have, need - hs->have, 0);
	if (n == 0 || (n < 0 && !ERRNO_IO_RETRY(errno))) {
		hard_data_hs_fail(hs, "connection %s during the handshake",
				  n == 0 ? "closed" : safe_strerror(errno));
		return;
	}
	if (n > 0)
		hs->have += n;
	if (hs->have < need || need == HA_FRAME_HDR_LEN) {
		event_add_read(hard.master, hard_data_hs_read, hs, hs->fd, &hs->t_io);
		return;
	}

	/* one whole frame */
	{
		const uint8_t *payload = hs->rx + HA_FRAME_HDR_LEN;
		size_t plen = hdr.length - HA_AUTH_MAC_LEN;

		if (!hs->initiator) {
			/* the acceptor learns the daemon from the frame; the key
			 * depends on it, so decode first, then verify */
			res = ha_msg_data_open_decode(payload, plen, &theirs);
			if (res != HA_DECODE_OK) {
				hard_data_hs_fail(hs, "bad data-open: %s",
						  ha_decode_result_str(res));
				return;
			}
			strlcpy(hs->daemon, theirs.daemon, sizeof(hs->daemon));
			if (!ha_auth_data_key(hard.peer.session_key, hs->daemon, hs->data_key)) {
				hard_data_hs_fail(hs, "cannot derive the data key (libcrypto)");
				return;
			}
		}
		if (!ha_auth_frame_verify(hs->data_key, 0, hs->rx, HA_FRAME_HDR_LEN, payload, plen,
					  payload + plen)) {
			hard.peer.auth_failures++;
			hard_data_hs_fail(hs,
					  "authentication failed (not the peer card's hard, or a replay)");
			return;
		}
		if (hs->initiator) {
			res = ha_msg_data_open_decode(payload, plen, &theirs);
			if (res != HA_DECODE_OK || strcmp(theirs.daemon, hs->daemon)) {
				hard_data_hs_fail(hs, "bad data-open answer (%s)",
						  res == HA_DECODE_OK ? "other daemon"
								      : ha_decode_result_str(res));
				return;
			}
		}
	}
	if (theirs.slot != hard.peer.hello.slot) {
		hard_data_hs_fail(hs, "data-open from slot %u, the peer card is slot %u",
				  theirs.slot, hard.peer.hello.slot);
		return;
	}
	if (!hs->initiator) {
		struct hard_daemon *hd = hard_registry_find(hs->daemon);

		if (!hd) {
			hard_data_hs_fail(hs, "%s is not registered on this card", hs->daemon);
			return;
		}
		if (!hard_data_hs_send_open(hs)) {
			hard_data_hs_fail(hs, "cannot answer the data-open");
			return;
		}
	}
	hard_data_hs_done(hs, &theirs);
}

static void hard_data_hs_timeout(struct event *ev)
{
	hard_data_hs_fail(EVENT_ARG(ev), "no data-open within %d ms", HARD_DATA_HS_TIMEOUT_MSEC);
}

static struct hard_data_hs *hard_data_hs_new(int fd, bool initiator, const char *daemon)
{
	struct hard_data_hs *hs = XCALLOC(MTYPE_HARD_DATA_HS, sizeof(*hs));
	int one = 1;

	hs->fd = fd;
	hs->initiator = initiator;
	if (daemon)
		strlcpy(hs->daemon, daemon, sizeof(hs->daemon));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	hard_data_hss_add_tail(&handshakes, hs);
	event_add_timer_msec(hard.master, hard_data_hs_timeout, hs, HARD_DATA_HS_TIMEOUT_MSEC,
			     &hs->t_timeout);
	return hs;
}

void hard_data_accept(int fd)
{
	struct hard_data_hs *hs;

	set_nonblocking(fd);
	hs = hard_data_hs_new(fd, false, NULL);
	event_add_read(hard.master, hard_data_hs_read, hs, fd, &hs->t_io);
}

static void hard_data_connected(struct event *ev)
{
	struct hard_data_hs *hs = EVENT_ARG(ev);
	int err = 0;
	socklen_t errlen = sizeof(err);

	if (getsockopt(hs->fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
		err = errno;
	if (err) {
		hard_data_hs_fail(hs, "connect: %s", safe_strerror(err));
		return;
	}
	if (!ha_auth_data_key(hard.peer.session_key, hs->daemon, hs->data_key) ||
	    !hard_data_hs_send_open(hs)) {
		hard_data_hs_fail(hs, "cannot send the data-open");
		return;
	}
	event_add_read(hard.master, hard_data_hs_read, hs, hs->fd, &hs->t_io);
}

static void hard_data_open(struct hard_daemon *hd)
{
	union sockunion su = {};
	socklen_t slen;
	struct hard_data_hs *hs;
	int fd;

	if (IS_IPADDR_V4(&hard.cfg.peer_addr)) {
		su.sin.sin_family = AF_INET;
		su.sin.sin_addr = hard.cfg.peer_addr.ipaddr_v4;
		su.sin.sin_port = htons(hard.cfg.peer_port);
		slen = sizeof(su.sin);
	} else {
		su.sin6.sin6_family = AF_INET6;
		su.sin6.sin6_addr = hard.cfg.peer_addr.ipaddr_v6;
		su.sin6.sin6_port = htons(hard.cfg.peer_port);
		slen = sizeof(su.sin6);
	}
	fd = socket(su.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		zlog_err("redundancy: data channel socket: %s", safe_strerror(errno));
		return;
	}
	if (connect(fd, &su.sa, slen) < 0 && errno != EINPROGRESS) {
		zlog_warn("redundancy: data channel for %s: connect: %s", hd->name,
			  safe_strerror(errno));
		close(fd);
		hd->data_retry_usec = hard_monotime_usec() + HARD_DATA_RETRY_MSEC * 1000;
		return;
	}
	hd->data_connecting = true;
	hs = hard_data_hs_new(fd, true, hd->name);
	event_add_write(hard.master, hard_data_connected, hs, fd, &hs->t_io);
}

static void hard_data_check_timer(struct event *ev)
{
	hard_data_check();
}

/* Open the data channels that should exist and do not (slot 1 only). */
void hard_data_check(void)
{
	struct hard_daemon *hd;
	int64_t now = hard_monotime_usec(), next = 0;

	if (hard.peer.state != HARD_PEER_UP || hard.cfg.slot != 1)
		return;
	frr_each (hard_daemons, &hard.daemons, hd) {
		if (!hd->registered || hd->data_up || hd->data_connecting ||
		    !ha_daemon_set_has(&hard.peer.hb.daemons, hd->name))
			continue;
		if (hd->data_retry_usec > now) {
			if (!next || hd->data_retry_usec < next)
				next = hd->data_retry_usec;
			continue;
		}
		hard_data_open(hd);
	}
	if (next)
		event_add_timer_msec(hard.master, hard_data_check_timer, NULL,
				     (next - now) / 1000 + 1, &t_check);
}

/* The peer card is gone: its modules are too; tell ours. */
void hard_data_peer_down(void)
{
	struct ha_msg_data_channel msg = { .up = 0 };
	struct hard_daemon *hd;
	struct hard_data_hs *hs;
	uint8_t buf[64];
	ssize_t len;

	while ((hs = hard_data_hss_first(&handshakes)))
		hard_data_hs_free(hs);
	EVENT_OFF(t_check);
	frr_each (hard_daemons, &hard.daemons, hd) {
		hd->data_retry_usec = 0;
		if (!hd->registered || !hd->data_up)
			continue;
		hd->data_up = false;
		msg.generation = hd->data_generation;
		len = ha_msg_data_channel_encode(&msg, buf, sizeof(buf));
		assert(len > 0);
		ha_conn_send(hd->conn, HA_MSG_DATA_CHANNEL, buf, len);
	}
}

void hard_data_module_status(struct hard_daemon *hd, const struct ha_msg_repl_status *st)
{
	bool was_known = hd->repl_known;
	uint8_t old_state = hd->repl.state, old_role = hd->repl.role;

	hd->repl = *st;
	hd->repl_known = true;
	/* a report about an older channel than the last one handed over is
	 * stale: it crossed the DATA_CHANNEL message */
	if (st->state == HA_REPL_DOWN && hd->data_up && st->channel == hd->data_generation) {
		/* the module lost its channel: open a new one after a pause */
		hd->data_up = false;
		hd->data_retry_usec = hard_monotime_usec() + HARD_DATA_RETRY_MSEC * 1000;
		hard_data_check();
	}
	if (!was_known || old_state != st->state)
		hard_role_update_redundancy();
	if (!was_known || old_role != st->role)
		hard_role_module_role_changed();
}

void hard_data_finish(void)
{
	struct hard_data_hs *hs;

	while ((hs = hard_data_hss_first(&handshakes)))
		hard_data_hs_free(hs);
	EVENT_OFF(t_check);
}
