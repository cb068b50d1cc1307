// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP connection state with Linux TCP_REPAIR, see ha_tcp.h.
 *
 * The order of the steps follows the kernel's rules for repair mode
 * (Documentation/networking and CRIU's soccr, read for reference): the
 * queue sequence numbers must be set before connect(), the options and
 * the window after it, the queues' contents while still in repair mode,
 * and only bytes the peer has never seen are sent after leaving it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ha_tcp.h"

#ifndef TCPOPT_MAXSEG
#define TCPOPT_MAXSEG 2
#endif
#ifndef TCPOPT_WINDOW
#define TCPOPT_WINDOW 3
#endif
#ifndef TCPOPT_SACK_PERMITTED
#define TCPOPT_SACK_PERMITTED 4
#endif
#ifndef TCPOPT_TIMESTAMP
#define TCPOPT_TIMESTAMP 8
#endif

enum { HA_TCP_NO_QUEUE, HA_TCP_RECV_QUEUE, HA_TCP_SEND_QUEUE };

static int ha_tcp_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return -1;
}

/*
 * A socket in repair mode sends no data, but the kernel still receives and
 * acknowledges what the peer sends: bytes arriving after the dump would be
 * acknowledged here and never reach the socket that carries the connection
 * on.  A socket filter that drops everything runs before TCP looks at a
 * segment (tcp_filter()), so the peer's segments are dropped unacknowledged
 * and it sends them again to whichever socket has the connection next.
 */
static int ha_tcp_drop_input(int fd)
{
	static struct sock_filter drop_all[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {
		.len = sizeof(drop_all) / sizeof(drop_all[0]),
		.filter = drop_all,
	};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

int ha_tcp_freeze(int fd)
{
	int on = 1;

	if (ha_tcp_drop_input(fd) < 0)
		return -1;
	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on));
}

int ha_tcp_thaw(int fd)
{
	int off = 0, on = 1, dummy = 0;

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0)
		return -1;
	/* leaving repair mode ends its forced port reuse, leaving the socket
	 * without SO_REUSEADDR -- and its TIME_WAIT, once the connection
	 * ends, would keep the daemon from listening on the port for a
	 * minute.  Daemons set it on their sockets (bgpd does): set again. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		return -1;
	/* the peer's segments dropped meanwhile come again */
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof(dummy)) < 0 &&
	    errno != ENOENT)
		return -1;
	return 0;
}

int ha_tcp_clock_advance(int fd, uint32_t tsval)
{
	int on = 1, off = TCP_REPAIR_OFF_NO_WP, saved;

	tsval = ha_tcp_timestamp_ms(tsval);
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
		return -1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &tsval, sizeof(tsval)) < 0) {
		saved = errno;
		setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		errno = saved;
		return -1;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0)
		return -1;
	/* leaving repair mode ended its forced port reuse (ha_tcp_thaw) */
	return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
}

void ha_tcp_state_clear(struct ha_tcp_state *st)
{
	free(st->sndq);
	free(st->rcvq);
	memset(st, 0, sizeof(*st));
}

int ha_tcp_state_unread(struct ha_tcp_state *st, const uint8_t *data, uint32_t len)
{
	uint8_t *q;

	if (!len)
		return 0;
	if (len > HA_TCP_QUEUE_MAX - st->rcvq_len)
		return -1;
	q = malloc(st->rcvq_len + len);
	if (!q)
		return -1;
	memcpy(q, data, len);
	if (st->rcvq_len)
		memcpy(q + len, st->rcvq, st->rcvq_len);
	free(st->rcvq);
	st->rcvq = q;
	st->rcvq_len += len;
	st->rcv_seq -= len;
	return 0;
}

int ha_tcp_state_unwritten(struct ha_tcp_state *st, const uint8_t *data, uint32_t len)
{
	uint8_t *q;

	if (!len)
		return 0;
	if (len > HA_TCP_QUEUE_MAX - st->sndq_len)
		return -1;
	q = realloc(st->sndq, st->sndq_len + len);
	if (!q)
		return -1;
	memcpy(q + st->sndq_len, data, len);
	st->sndq = q;
	st->sndq_len += len;
	st->unsent_len += len;
	return 0;
}

static int ha_tcp_queue_select(int fd, int queue)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue));
}

/* Read a selected queue's whole contents without consuming them. */
static int ha_tcp_queue_peek(int fd, int queue, uint32_t len, uint8_t **out)
{
	uint32_t got = 0;

	*out = NULL;
	if (!len)
		return 0;
	*out = malloc(len);
	if (!*out || ha_tcp_queue_select(fd, queue) < 0)
		return -1;
	while (got < len) {
		ssize_t n = recv(fd, *out + got, len - got, MSG_PEEK | MSG_DONTWAIT);

		if (n <= 0)
			return -1;
		/* MSG_PEEK starts from the head each time: one call must do */
		got = n;
		if (got < len) {
			errno = EAGAIN;
			return -1;
		}
	}
	return 0;
}

/* Linux's struct tcp_info beyond what glibc's declares (the kernel's ABI:
 * fields are only ever appended) -- the RFC 4898 byte counters. */
struct ha_tcp_info {
	struct tcp_info base; /* up to tcpi_total_retrans */
	uint64_t pacing_rate, max_pacing_rate;
	uint64_t bytes_acked;	 /* Linux 4.1 */
	uint64_t bytes_received; /* Linux 4.1 */
};
_Static_assert(offsetof(struct ha_tcp_info, bytes_received) == 128,
	       "struct tcp_info layout differs from Linux's");

int ha_tcp_byte_counters(int fd, uint64_t *received, uint64_t *acked)
{
	struct ha_tcp_info ti = {};
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -1;
	if (len < sizeof(ti)) {
		errno = ENOTSUP;
		return -1;
	}
	*received = ti.bytes_received;
	*acked = ti.bytes_acked;
	return 0;
}

/* What changes when a segment of the peer's is processed: the receive
 * sequence number and the bytes in flight. */
static int ha_tcp_input_mark(int fd, uint64_t *mark)
{
	uint32_t seq;
	socklen_t len = sizeof(seq);
	int outq;

	if (ha_tcp_queue_select(fd, HA_TCP_RECV_QUEUE) < 0 ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &len) < 0 ||
	    ha_tcp_queue_select(fd, HA_TCP_NO_QUEUE) < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0)
		return -1;
	*mark = ((uint64_t)seq << 32) | (uint32_t)outq;
	return 0;
}

static int ha_tcp_dump_once(int fd, struct ha_tcp_state *st, char *err, size_t errlen);

int ha_tcp_dump(int fd, struct ha_tcp_state *st, char *err, size_t errlen)
{
	uint64_t before, after;

	/* the state is read in many steps; a segment that passed the socket's
	 * filter just before the freeze may still be processed meanwhile:
	 * read again until nothing moved during a read */
	for (int tries = 0; tries < 3; tries++) {
		if (ha_tcp_input_mark(fd, &before) < 0)
			return ha_tcp_fail(err, errlen, "receive sequence number");
		if (ha_tcp_dump_once(fd, st, err, errlen) < 0)
			return -1;
		if (ha_tcp_input_mark(fd, &after) < 0) {
			ha_tcp_state_clear(st);
			return ha_tcp_fail(err, errlen, "receive sequence number");
		}
		if (before == after)
			return 0;
		ha_tcp_state_clear(st);
	}
	snprintf(err, errlen, "the connection kept receiving while frozen");
	return -1;
}

static int ha_tcp_dump_once(int fd, struct ha_tcp_state *st, char *err, size_t errlen)
{
	struct tcp_info ti;
	struct tcp_repair_window win;
	socklen_t len;
	int outq, unsent, inq, mss;
	uint32_t seq;

	memset(st, 0, sizeof(*st));
	len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return ha_tcp_fail(err, errlen, "TCP_INFO");
	if (ti.tcpi_state != 1 /* TCP_ESTABLISHED */) {
		snprintf(err, errlen, "connection not established (state %u)", ti.tcpi_state);
		return -1;
	}
	st->addrlen = sizeof(st->local);
	if (getsockname(fd, (struct sockaddr *)&st->local, &st->addrlen) < 0)
		return ha_tcp_fail(err, errlen, "getsockname");
	len = sizeof(st->remote);
	if (getpeername(fd, (struct sockaddr *)&st->remote, &len) < 0)
		return ha_tcp_fail(err, errlen, "getpeername");
	if (ha_tcp_byte_counters(fd, &st->bytes_received, &st->bytes_acked) < 0)
		return ha_tcp_fail(err, errlen, "TCP_INFO byte counters");
	st->sack = !!(ti.tcpi_options & TCPI_OPT_SACK);
	st->tstamp = !!(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	st->wscale = !!(ti.tcpi_options & TCPI_OPT_WSCALE);
	st->snd_wscale = ti.tcpi_snd_wscale;
	st->rcv_wscale = ti.tcpi_rcv_wscale;
	len = sizeof(mss);
	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) < 0)
		return ha_tcp_fail(err, errlen, "TCP_MAXSEG");
	st->mss = mss;

	if (ioctl(fd, SIOCOUTQ, &outq) < 0 || ioctl(fd, SIOCOUTQNSD, &unsent) < 0 ||
	    ioctl(fd, SIOCINQ, &inq) < 0)
		return ha_tcp_fail(err, errlen, "queue sizes");
	st->sndq_len = outq;
	st->unsent_len = unsent;
	st->rcvq_len = inq;

	len = sizeof(seq);
	if (ha_tcp_queue_select(fd, HA_TCP_SEND_QUEUE) < 0 ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &len) < 0)
		return ha_tcp_fail(err, errlen, "send queue sequence number");
	st->snd_seq = seq - st->sndq_len;
	len = sizeof(seq);
	if (ha_tcp_queue_select(fd, HA_TCP_RECV_QUEUE) < 0 ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &len) < 0)
		return ha_tcp_fail(err, errlen, "receive queue sequence number");
	st->rcv_seq = seq - st->rcvq_len;

	if (ha_tcp_queue_peek(fd, HA_TCP_SEND_QUEUE, st->sndq_len, &st->sndq) < 0 ||
	    ha_tcp_queue_peek(fd, HA_TCP_RECV_QUEUE, st->rcvq_len, &st->rcvq) < 0) {
		ha_tcp_fail(err, errlen, "reading the queues");
		ha_tcp_state_clear(st);
		return -1;
	}
	ha_tcp_queue_select(fd, HA_TCP_NO_QUEUE);

	if (st->tstamp) {
		len = sizeof(st->timestamp);
		if (getsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &st->timestamp, &len) < 0) {
			ha_tcp_fail(err, errlen, "TCP_TIMESTAMP");
			ha_tcp_state_clear(st);
			return -1;
		}
	}
	len = sizeof(win);
	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &win, &len) == 0) {
		st->have_window = true;
		st->snd_wl1 = win.snd_wl1;
		st->snd_wnd = win.snd_wnd;
		st->max_window = win.max_window;
		st->rcv_wnd = win.rcv_wnd;
		st->rcv_wup = win.rcv_wup;
	}
	return 0;
}

/* Write data into the selected queue of a socket in repair mode. */
static int ha_tcp_queue_fill(int fd, int queue, const uint8_t *data, uint32_t len)
{
	uint32_t done = 0;

	if (!len)
		return 0;
	if (ha_tcp_queue_select(fd, queue) < 0)
		return -1;
	while (done < len) {
		ssize_t n = send(fd, data + done, len - done, 0);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

int ha_tcp_restore_frozen(const struct ha_tcp_state *st, char *err, size_t errlen)
{
	struct tcp_repair_opt opts[4];
	unsigned int nopts = 0;
	int fd, saved;
	uint32_t seq;

	fd = socket(st->local.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ha_tcp_fail(err, errlen, "socket");
	/* repair mode also lets the socket share its local port with a
	 * listener (the daemon's own): the kernel forces port reuse for it,
	 * which SO_REUSEADDR set afterwards would undo */
	if (ha_tcp_freeze(fd) < 0) {
		ha_tcp_fail(err, errlen, "TCP_REPAIR (needs CAP_NET_ADMIN)");
		goto fail;
	}
	if (bind(fd, (const struct sockaddr *)&st->local, st->addrlen) < 0) {
		ha_tcp_fail(err, errlen, "bind to the connection's local address");
		goto fail;
	}
	seq = st->snd_seq;
	if (ha_tcp_queue_select(fd, HA_TCP_SEND_QUEUE) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)) < 0) {
		ha_tcp_fail(err, errlen, "send sequence number");
		goto fail;
	}
	seq = st->rcv_seq;
	if (ha_tcp_queue_select(fd, HA_TCP_RECV_QUEUE) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)) < 0) {
		ha_tcp_fail(err, errlen, "receive sequence number");
		goto fail;
	}
	/* in repair mode connect() sends no SYN: the socket is established */
	if (connect(fd, (const struct sockaddr *)&st->remote, st->addrlen) < 0) {
		ha_tcp_fail(err, errlen, "connect (repair)");
		goto fail;
	}
	opts[nopts].opt_code = TCPOPT_MAXSEG;
	opts[nopts++].opt_val = st->mss;
	if (st->wscale) {
		opts[nopts].opt_code = TCPOPT_WINDOW;
		opts[nopts++].opt_val = st->snd_wscale | (uint32_t)st->rcv_wscale << 16;
	}
	if (st->sack) {
		opts[nopts].opt_code = TCPOPT_SACK_PERMITTED;
		opts[nopts++].opt_val = 0;
	}
	if (st->tstamp) {
		opts[nopts].opt_code = TCPOPT_TIMESTAMP;
		opts[nopts++].opt_val = 0;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, nopts * sizeof(opts[0])) < 0) {
		ha_tcp_fail(err, errlen, "TCP_REPAIR_OPTIONS");
		goto fail;
	}
	if (st->tstamp &&
	    setsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &st->timestamp, sizeof(st->timestamp)) < 0) {
		ha_tcp_fail(err, errlen, "TCP_TIMESTAMP");
		goto fail;
	}
	/* what was received and acknowledged but not read, and what was sent
	 * and may not be acknowledged yet: back into the queues */
	if (ha_tcp_queue_fill(fd, HA_TCP_RECV_QUEUE, st->rcvq, st->rcvq_len) < 0 ||
	    ha_tcp_queue_fill(fd, HA_TCP_SEND_QUEUE, st->sndq, st->sndq_len - st->unsent_len) < 0) {
		ha_tcp_fail(err, errlen, "restoring the queues");
		goto fail;
	}
	ha_tcp_queue_select(fd, HA_TCP_NO_QUEUE);
	if (st->have_window) {
		struct tcp_repair_window win = {
			.snd_wl1 = st->snd_wl1,
			.snd_wnd = st->snd_wnd,
			.max_window = st->max_window,
			.rcv_wnd = st->rcv_wnd,
			.rcv_wup = st->rcv_wup,
		};

		if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &win, sizeof(win)) < 0) {
			ha_tcp_fail(err, errlen, "TCP_REPAIR_WINDOW");
			goto fail;
		}
	}
	return fd;
fail:
	/* still in repair mode: closing sends nothing (errno kept: e.g.
	 * EADDRNOTAVAIL, the connection's old socket not gone yet) */
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int ha_tcp_resume(int fd, const struct ha_tcp_state *st, char *err, size_t errlen)
{
	if (ha_tcp_thaw(fd) < 0)
		return ha_tcp_fail(err, errlen, "leaving repair mode");
	/* bytes the peer never saw go out normally now */
	if (st->unsent_len) {
		const uint8_t *p = st->sndq + st->sndq_len - st->unsent_len;
		uint32_t done = 0;

		while (done < st->unsent_len) {
			ssize_t n = send(fd, p + done, st->unsent_len - done, MSG_NOSIGNAL);

			if (n <= 0)
				return ha_tcp_fail(err, errlen, "sending the unsent bytes");
			done += n;
		}
	}
	return 0;
}

int ha_tcp_restore(const struct ha_tcp_state *st, char *err, size_t errlen)
{
	int fd = ha_tcp_restore_frozen(st, err, errlen);

	if (fd < 0)
		return -1;
	if (ha_tcp_resume(fd, st, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- the state on the wire (a delta payload from the other card) ---- */

#define HA_TCP_STATE_VERSION 2

struct ha_tcp_wbuf {
	uint8_t *p;
	size_t len, pos;
};

static void tw_put(struct ha_tcp_wbuf *w, const void *v, size_t n)
{
	if (n && w->p && w->pos + n <= w->len)
		memcpy(w->p + w->pos, v, n);
	w->pos += n;
}

static void tw_u32(struct ha_tcp_wbuf *w, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	tw_put(w, b, 4);
}

static void tw_u64(struct ha_tcp_wbuf *w, uint64_t v)
{
	tw_u32(w, v >> 32);
	tw_u32(w, (uint32_t)v);
}

static void tw_addr(struct ha_tcp_wbuf *w, const struct sockaddr_storage *ss)
{
	uint8_t addr[16] = {};
	uint16_t port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		memcpy(addr, &sin->sin_addr, 4);
		port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		memcpy(addr, &sin6->sin6_addr, 16);
		port = ntohs(sin6->sin6_port);
	}
	tw_put(w, addr, 16);
	tw_put(w, (uint8_t[]){ port >> 8, port & 0xff }, 2);
}

ssize_t ha_tcp_state_encode(const struct ha_tcp_state *st, uint8_t *out, size_t outlen)
{
	struct ha_tcp_wbuf w = { .p = out, .len = outlen };
	uint8_t flags = (st->sack ? 1 : 0) | (st->tstamp ? 2 : 0) | (st->wscale ? 4 : 0) |
			(st->have_window ? 8 : 0);

	if (st->local.ss_family != AF_INET && st->local.ss_family != AF_INET6)
		return -1;
	tw_put(&w, (uint8_t[]){ HA_TCP_STATE_VERSION, st->local.ss_family == AF_INET ? 4 : 6 }, 2);
	tw_addr(&w, &st->local);
	tw_addr(&w, &st->remote);
	tw_u32(&w, st->snd_seq);
	tw_u32(&w, st->rcv_seq);
	tw_u32(&w, st->mss);
	tw_put(&w, (uint8_t[]){ flags, st->snd_wscale, st->rcv_wscale }, 3);
	tw_u32(&w, st->timestamp);
	tw_u32(&w, st->snd_wl1);
	tw_u32(&w, st->snd_wnd);
	tw_u32(&w, st->max_window);
	tw_u32(&w, st->rcv_wnd);
	tw_u32(&w, st->rcv_wup);
	tw_u64(&w, st->bytes_received);
	tw_u64(&w, st->bytes_acked);
	tw_u32(&w, st->sndq_len);
	tw_u32(&w, st->unsent_len);
	tw_put(&w, st->sndq, st->sndq_len);
	tw_u32(&w, st->rcvq_len);
	tw_put(&w, st->rcvq, st->rcvq_len);
	return (ssize_t)w.pos;
}

struct ha_tcp_rbuf {
	const uint8_t *p;
	size_t len, pos;
	bool err;
};

static const uint8_t *tr_get(struct ha_tcp_rbuf *r, size_t n)
{
	const uint8_t *v;

	if (r->err || r->len - r->pos < n) {
		r->err = true;
		return NULL;
	}
	v = r->p + r->pos;
	r->pos += n;
	return v;
}

static uint32_t tr_u32(struct ha_tcp_rbuf *r)
{
	const uint8_t *b = tr_get(r, 4);

	return b ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3] : 0;
}

static uint64_t tr_u64(struct ha_tcp_rbuf *r)
{
	uint64_t hi = tr_u32(r);

	return hi << 32 | tr_u32(r);
}

static bool tr_addr(struct ha_tcp_rbuf *r, int family, struct sockaddr_storage *ss)
{
	const uint8_t *addr = tr_get(r, 16), *port = tr_get(r, 2);

	if (!addr || !port)
		return false;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		sin->sin_port = htons((uint16_t)(port[0] << 8 | port[1]));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		sin6->sin6_port = htons((uint16_t)(port[0] << 8 | port[1]));
	}
	return true;
}

int ha_tcp_state_decode(const uint8_t *buf, size_t len, struct ha_tcp_state *st)
{
	struct ha_tcp_rbuf r = { .p = buf, .len = len };
	struct ha_tcp_state s = {};
	const uint8_t *hdr = tr_get(&r, 2), *fl, *q;
	int family;

	memset(st, 0, sizeof(*st));
	if (!hdr || hdr[0] != HA_TCP_STATE_VERSION || (hdr[1] != 4 && hdr[1] != 6))
		return -1;
	family = hdr[1] == 4 ? AF_INET : AF_INET6;
	if (!tr_addr(&r, family, &s.local) || !tr_addr(&r, family, &s.remote))
		return -1;
	s.addrlen = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	s.snd_seq = tr_u32(&r);
	s.rcv_seq = tr_u32(&r);
	s.mss = tr_u32(&r);
	fl = tr_get(&r, 3);
	if (!fl || (fl[0] & ~15) || fl[1] > 14 || fl[2] > 14)
		return -1;
	s.sack = fl[0] & 1;
	s.tstamp = fl[0] & 2;
	s.wscale = fl[0] & 4;
	s.have_window = fl[0] & 8;
	s.snd_wscale = fl[1];
	s.rcv_wscale = fl[2];
	s.timestamp = tr_u32(&r);
	s.snd_wl1 = tr_u32(&r);
	s.snd_wnd = tr_u32(&r);
	s.max_window = tr_u32(&r);
	s.rcv_wnd = tr_u32(&r);
	s.rcv_wup = tr_u32(&r);
	s.bytes_received = tr_u64(&r);
	s.bytes_acked = tr_u64(&r);
	s.sndq_len = tr_u32(&r);
	s.unsent_len = tr_u32(&r);
	if (r.err || s.sndq_len > HA_TCP_QUEUE_MAX || s.unsent_len > s.sndq_len || s.mss == 0 ||
	    s.mss > 65535)
		return -1;
	q = tr_get(&r, s.sndq_len);
	if (!q && s.sndq_len)
		return -1;
	if (s.sndq_len) {
		s.sndq = malloc(s.sndq_len);
		if (!s.sndq)
			return -1;
		memcpy(s.sndq, q, s.sndq_len);
	}
	s.rcvq_len = tr_u32(&r);
	if (r.err || s.rcvq_len > HA_TCP_QUEUE_MAX) {
		free(s.sndq);
		return -1;
	}
	q = tr_get(&r, s.rcvq_len);
	if ((!q && s.rcvq_len) || r.pos != len) {
		free(s.sndq);
		return -1;
	}
	if (s.rcvq_len) {
		s.rcvq = malloc(s.rcvq_len);
		if (!s.rcvq) {
			free(s.sndq);
			return -1;
		}
		memcpy(s.rcvq, q, s.rcvq_len);
	}
	*st = s;
	return 0;
}
