// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Framed, non-blocking stream connection on FRR's event loop.
 */
#include <zebra.h>

#include "frrevent.h"
#include "log.h"
#include "memory.h"
#include "network.h"

#include "ha_auth.h"
#include "ha_conn.h"
#include "ha_memory.h"
#include "ha_wire.h"

#define HA_CONN_READ_CHUNK 65536
#define HA_CONN_FDS_MAX	   8

struct ha_conn {
	struct event_loop *loop;
	int fd;
	char name[64];

	ha_conn_frame_cb frame_cb;
	ha_conn_close_cb close_cb;
	ha_conn_batch_cb batch_cb;
	void *arg;

	/* receive buffer: [0, rx_len) holds unparsed bytes */
	uint8_t *rx;
	size_t rx_len, rx_size;

	/* transmit buffer: [tx_off, tx_len) is still to be written */
	uint8_t *tx;
	size_t tx_off, tx_len, tx_size;

	/* authentication (ha_auth.h): keys and implicit sequence numbers */
	bool auth_rx, auth_tx;
	uint8_t key_rx[HA_AUTH_KEY_LEN], key_tx[HA_AUTH_KEY_LEN];
	uint64_t seq_rx, seq_tx;

	/* descriptors passed with SCM_RIGHTS (local sockets only): to send,
	 * each attached to the frame starting at tx offset; received, in order */
	struct {
		size_t off;
		int fd;
	} fd_tx[HA_CONN_FDS_MAX];
	unsigned int fd_tx_count;
	int fd_rx[HA_CONN_FDS_MAX];
	unsigned int fd_rx_count;
	bool fd_passing;

	bool failed;
	struct event *t_read, *t_write, *t_close;
	/* frames a poll left in the receive buffer, for the event loop */
	struct event *t_parse;
	char close_reason[128];

	struct ha_conn_stats stats;
};

static void ha_conn_read(struct event *ev);
static void ha_conn_write(struct event *ev);

static void ha_conn_close_deferred(struct event *ev)
{
	struct ha_conn *conn = EVENT_ARG(ev);

	conn->close_cb(conn, conn->close_reason, conn->arg);
}

/* Mark failed and report from a fresh event, so a failure found while
 * sending from inside a caller's code path never frees under its feet. */
static void ha_conn_fail(struct ha_conn *conn, const char *fmt, ...) PRINTFRR(2, 3);
static void ha_conn_fail(struct ha_conn *conn, const char *fmt, ...)
{
	va_list ap;

	if (conn->failed)
		return;
	conn->failed = true;
	va_start(ap, fmt);
	vsnprintfrr(conn->close_reason, sizeof(conn->close_reason), fmt, ap);
	va_end(ap);
	EVENT_OFF(conn->t_read);
	EVENT_OFF(conn->t_write);
	event_add_event(conn->loop, ha_conn_close_deferred, conn, 0, &conn->t_close);
}

struct ha_conn *ha_conn_new(struct event_loop *loop, int fd, const char *name,
			    ha_conn_frame_cb frame_cb, ha_conn_close_cb close_cb, void *arg)
{
	struct ha_conn *conn = XCALLOC(MTYPE_HA_CONN, sizeof(*conn));

	conn->loop = loop;
	conn->fd = fd;
	strlcpy(conn->name, name, sizeof(conn->name));
	conn->frame_cb = frame_cb;
	conn->close_cb = close_cb;
	conn->arg = arg;
	set_nonblocking(fd);
	event_add_read(loop, ha_conn_read, conn, fd, &conn->t_read);
	return conn;
}

void ha_conn_free(struct ha_conn **connp)
{
	struct ha_conn *conn = *connp;

	if (!conn)
		return;
	EVENT_OFF(conn->t_read);
	EVENT_OFF(conn->t_write);
	EVENT_OFF(conn->t_close);
	EVENT_OFF(conn->t_parse);
	/* ends the connection even if another process holds a copy of the
	 * socket (hard keeps one of each data channel) */
	if (conn->fd >= 0) {
		shutdown(conn->fd, SHUT_RDWR);
		close(conn->fd);
	}
	for (unsigned int i = 0; i < conn->fd_tx_count; i++)
		close(conn->fd_tx[i].fd);
	for (unsigned int i = 0; i < conn->fd_rx_count; i++)
		close(conn->fd_rx[i]);
	XFREE(MTYPE_HA_CONN_BUF, conn->rx);
	XFREE(MTYPE_HA_CONN_BUF, conn->tx);
	explicit_bzero(conn->key_rx, sizeof(conn->key_rx));
	explicit_bzero(conn->key_tx, sizeof(conn->key_tx));
	XFREE(MTYPE_HA_CONN, conn);
	*connp = NULL;
}

void ha_conn_set_auth_keys(struct ha_conn *conn, const uint8_t *rx_key, const uint8_t *tx_key)
{
	conn->auth_rx = !!rx_key;
	conn->auth_tx = !!tx_key;
	if (rx_key)
		memcpy(conn->key_rx, rx_key, HA_AUTH_KEY_LEN);
	if (tx_key)
		memcpy(conn->key_tx, tx_key, HA_AUTH_KEY_LEN);
}

void ha_conn_set_auth(struct ha_conn *conn, const uint8_t *key)
{
	ha_conn_set_auth_keys(conn, key, key);
}

const char *ha_conn_name(const struct ha_conn *conn)
{
	return conn->name;
}

const struct ha_conn_stats *ha_conn_stats(const struct ha_conn *conn)
{
	return &conn->stats;
}

int ha_conn_fd(const struct ha_conn *conn)
{
	return conn->fd;
}

static void ha_conn_reserve(uint8_t **buf, size_t *size, size_t need)
{
	size_t nsize;

	if (need <= *size)
		return;
	nsize = *size ? *size : 4096;
	while (nsize < need)
		nsize *= 2;
	*buf = XREALLOC(MTYPE_HA_CONN_BUF, *buf, nsize);
	*size = nsize;
}

/* Deliver the complete frames in the receive buffer: all of them, or
 * (filter) up to the first one it does not accept (*held: true then).
 * *delivered: whether a frame was.  Returns false if the connection must
 * not be touched any more. */
static bool ha_conn_parse_some(struct ha_conn *conn, ha_conn_frame_filter filter, bool *held,
			       bool *delivered)
{
	size_t off = 0;
	bool alive = true;

	*held = *delivered = false;
	while (!conn->failed) {
		struct ha_frame_hdr hdr;
		enum ha_decode_result res;
		size_t flen;
		uint32_t plen;

		res = ha_frame_hdr_decode(conn->rx + off, conn->rx_len - off, &hdr);
		if (res == HA_DECODE_NEED_MORE)
			break;
		if (res == HA_DECODE_BAD_VERSION) {
			conn->stats.version_refusals++;
			zlog_warn("%s: refusing frame: wire version %u, this side speaks %u",
				  conn->name, hdr.version, HA_WIRE_VERSION);
			ha_conn_fail(conn,
				     "incompatible version: peer speaks wire version %u, this side %u",
				     hdr.version, HA_WIRE_VERSION);
			break;
		}
		if (res != HA_DECODE_OK) {
			zlog_warn("%s: refusing frame from peer: %s", conn->name,
				  ha_decode_result_str(res));
			ha_conn_fail(conn, "protocol error: %s", ha_decode_result_str(res));
			break;
		}
		flen = HA_FRAME_HDR_LEN + (size_t)hdr.length;
		if (conn->rx_len - off < flen) {
			/* make room for the rest of this frame */
			ha_conn_reserve(&conn->rx, &conn->rx_size, flen + (conn->rx_len - off));
			break;
		}
		plen = hdr.length;
		/* (before the MAC is checked: that counts the frame as read) */
		if (filter &&
		    !filter(conn, hdr.type, conn->rx + off + HA_FRAME_HDR_LEN,
			    conn->auth_rx && plen >= HA_AUTH_MAC_LEN ? plen - HA_AUTH_MAC_LEN : plen,
			    conn->arg)) {
			*held = true;
			break;
		}
		if (conn->auth_rx) {
			const uint8_t *frame = conn->rx + off;

			if (plen < HA_AUTH_MAC_LEN ||
			    !ha_auth_frame_verify(conn->key_rx, conn->seq_rx, frame,
						  HA_FRAME_HDR_LEN, frame + HA_FRAME_HDR_LEN,
						  plen - HA_AUTH_MAC_LEN,
						  frame + flen - HA_AUTH_MAC_LEN)) {
				conn->stats.auth_failures++;
				zlog_warn("%s: refusing %s frame #%" PRIu64
					  ": authentication failed (wrong key, or a forged, altered or replayed frame)",
					  conn->name, ha_msg_type_name(hdr.type), conn->seq_rx);
				ha_conn_fail(conn, "authentication failed (wrong key?)");
				break;
			}
			plen -= HA_AUTH_MAC_LEN;
			conn->seq_rx++;
		}
		conn->stats.frames_rx++;
		*delivered = true;
		alive = conn->frame_cb(conn, hdr.type, conn->rx + off + HA_FRAME_HDR_LEN, plen,
				       conn->arg);
		if (!alive)
			return false;
		off += flen;
	}
	if (off) {
		memmove(conn->rx, conn->rx + off, conn->rx_len - off);
		conn->rx_len -= off;
	}
	return true;
}

/* read() that also collects descriptors passed with SCM_RIGHTS */
static ssize_t ha_conn_recv_fds(struct ha_conn *conn)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HA_CONN_FDS_MAX)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {
		.iov_base = conn->rx + conn->rx_len,
		.iov_len = conn->rx_size - conn->rx_len,
	};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n = recvmsg(conn->fd, &msg, MSG_CMSG_CLOEXEC);

	if (n <= 0)
		return n;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		int *fds = (int *)CMSG_DATA(cmsg);
		size_t nfds;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			if (conn->fd_rx_count < HA_CONN_FDS_MAX) {
				conn->fd_rx[conn->fd_rx_count++] = fds[i];
			} else {
				zlog_warn("%s: too many passed descriptors, closing one",
					  conn->name);
				close(fds[i]);
			}
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		zlog_warn("%s: passed descriptors truncated", conn->name);
	return n;
}

void ha_conn_enable_fd_passing(struct ha_conn *conn)
{
	conn->fd_passing = true;
}

int ha_conn_take_fd(struct ha_conn *conn)
{
	int fd;

	if (!conn->fd_rx_count)
		return -1;
	fd = conn->fd_rx[0];
	memmove(conn->fd_rx, conn->fd_rx + 1, --conn->fd_rx_count * sizeof(int));
	return fd;
}

static bool ha_conn_parse(struct ha_conn *conn)
{
	bool held, delivered;

	return ha_conn_parse_some(conn, NULL, &held, &delivered);
}

/* What a poll left in the receive buffer: delivered now, as a read would. */
static void ha_conn_parse_event(struct event *ev)
{
	struct ha_conn *conn = EVENT_ARG(ev);

	if (conn->failed || !ha_conn_parse(conn))
		return;
	if (conn->batch_cb && !conn->failed)
		conn->batch_cb(conn, conn->arg);
}

void ha_conn_poll(struct ha_conn *conn, ha_conn_frame_filter filter)
{
	bool held, delivered;
	ssize_t n;

	/* (frames held back already wait for the event loop: in order) */
	if (conn->failed || conn->fd_passing || conn->t_parse)
		return;
	ha_conn_reserve(&conn->rx, &conn->rx_size, conn->rx_len + HA_CONN_READ_CHUNK);
	n = read(conn->fd, conn->rx + conn->rx_len, conn->rx_size - conn->rx_len);
	if (n == 0) {
		ha_conn_fail(conn, "connection closed by peer");
		return;
	}
	if (n < 0) {
		if (!ERRNO_IO_RETRY(errno))
			ha_conn_fail(conn, "read error: %s", safe_strerror(errno));
		return;
	}
	conn->rx_len += n;
	conn->stats.bytes_rx += n;
	if (!ha_conn_parse_some(conn, filter, &held, &delivered))
		return;
	if (delivered && conn->batch_cb && !conn->failed)
		conn->batch_cb(conn, conn->arg);
	/* the socket may be empty now: what is held must not wait for more */
	if (held && !conn->failed)
		event_add_event(conn->loop, ha_conn_parse_event, conn, 0, &conn->t_parse);
}

static void ha_conn_read(struct event *ev)
{
	struct ha_conn *conn = EVENT_ARG(ev);
	ssize_t n;

	ha_conn_reserve(&conn->rx, &conn->rx_size, conn->rx_len + HA_CONN_READ_CHUNK);
	if (conn->fd_passing)
		n = ha_conn_recv_fds(conn);
	else
		n = read(conn->fd, conn->rx + conn->rx_len, conn->rx_size - conn->rx_len);
	if (n == 0) {
		ha_conn_fail(conn, "connection closed by peer");
		return;
	}
	if (n < 0) {
		if (ERRNO_IO_RETRY(errno)) {
			event_add_read(conn->loop, ha_conn_read, conn, conn->fd, &conn->t_read);
			return;
		}
		ha_conn_fail(conn, "read error: %s", safe_strerror(errno));
		return;
	}
	conn->rx_len += n;
	conn->stats.bytes_rx += n;
	if (!ha_conn_parse(conn))
		return;
	if (conn->batch_cb && !conn->failed)
		conn->batch_cb(conn, conn->arg);
	if (!conn->failed)
		event_add_read(conn->loop, ha_conn_read, conn, conn->fd, &conn->t_read);
}

/* Write [tx_off, end) with fd attached to its first byte (fd < 0: none). */
static ssize_t ha_conn_write_some(struct ha_conn *conn, size_t end, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = conn->tx + conn->tx_off, .iov_len = end - conn->tx_off };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd < 0)
		return send(conn->fd, iov.iov_base, iov.iov_len, MSG_NOSIGNAL);
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(conn->fd, &msg, MSG_NOSIGNAL);
}

static void ha_conn_flush(struct ha_conn *conn)
{
	while (conn->tx_off < conn->tx_len) {
		size_t end = conn->tx_len;
		int fd = -1;
		ssize_t n;

		if (conn->fd_tx_count) {
			if (conn->fd_tx[0].off == conn->tx_off)
				fd = conn->fd_tx[0].fd;
			if (conn->fd_tx_count > 1 || fd < 0)
				end = conn->fd_tx[fd < 0 ? 0 : 1].off;
		}
		n = ha_conn_write_some(conn, end, fd);
		if (n < 0) {
			if (ERRNO_IO_RETRY(errno)) {
				event_add_write(conn->loop, ha_conn_write, conn, conn->fd,
						&conn->t_write);
				return;
			}
			ha_conn_fail(conn, "write error: %s", safe_strerror(errno));
			return;
		}
		if (fd >= 0 && n > 0) {
			/* the receiver has its own copy now */
			close(fd);
			memmove(conn->fd_tx, conn->fd_tx + 1,
				--conn->fd_tx_count * sizeof(conn->fd_tx[0]));
		}
		conn->tx_off += n;
		conn->stats.bytes_tx += n;
	}
	conn->tx_off = conn->tx_len = 0;
}

static void ha_conn_write(struct event *ev)
{
	ha_conn_flush(EVENT_ARG(ev));
}

int ha_conn_send(struct ha_conn *conn, uint8_t type, const uint8_t *payload, uint32_t len)
{
	return ha_conn_send_fd(conn, type, payload, len, -1);
}

int ha_conn_send_fd(struct ha_conn *conn, uint8_t type, const uint8_t *payload, uint32_t len, int fd)
{
	uint32_t maclen = conn->auth_tx ? HA_AUTH_MAC_LEN : 0;
	uint8_t *frame;

	if (conn->failed || (fd >= 0 && conn->fd_tx_count == HA_CONN_FDS_MAX)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd >= 0) {
		conn->fd_tx[conn->fd_tx_count].off = conn->tx_len;
		conn->fd_tx[conn->fd_tx_count++].fd = fd;
	}
	if (len > HA_FRAME_MAX_PAYLOAD - maclen) {
		zlog_err("%s: refusing to send %u-byte frame (max %u)", conn->name, len,
			 HA_FRAME_MAX_PAYLOAD - maclen);
		return -1;
	}
	ha_conn_reserve(&conn->tx, &conn->tx_size, conn->tx_len + HA_FRAME_HDR_LEN + len + maclen);
	frame = conn->tx + conn->tx_len;
	ha_frame_hdr_encode(frame, type, len + maclen);
	if (len)
		memcpy(frame + HA_FRAME_HDR_LEN, payload, len);
	if (maclen) {
		if (!ha_auth_frame_mac(conn->key_tx, conn->seq_tx, frame, HA_FRAME_HDR_LEN,
				       frame + HA_FRAME_HDR_LEN, len,
				       frame + HA_FRAME_HDR_LEN + len)) {
			ha_conn_fail(conn, "cannot compute frame MAC (libcrypto)");
			return -1;
		}
		conn->seq_tx++;
	}
	conn->tx_len += HA_FRAME_HDR_LEN + len + maclen;
	conn->stats.frames_tx++;
	if (!conn->t_write)
		ha_conn_flush(conn);
	return conn->failed ? -1 : 0;
}

size_t ha_conn_tx_pending(const struct ha_conn *conn)
{
	return conn->tx_len - conn->tx_off;
}

void ha_conn_set_batch_cb(struct ha_conn *conn, ha_conn_batch_cb cb)
{
	conn->batch_cb = cb;
}
