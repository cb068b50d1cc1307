// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP connection state with Linux TCP_REPAIR: freeze a connected socket,
 * read its exact state (sequence numbers, windows, options, timestamp,
 * both queues), and re-create the same connection on another socket --
 * on the same card after a daemon crash, or on the other card, which has
 * the same addresses -- without the peer seeing anything: no SYN, no FIN,
 * no RST.
 *
 * The building block of BGP non-stop routing (bgpd-ha): the standby
 * re-creates each session's connection from this state.  Pure Linux
 * socket code without libfrr, unit-tested in a private network namespace.
 */
#ifndef FRRHA_TCP_H
#define FRRHA_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The most bytes a queue of a connection's state may hold. */
#define HA_TCP_QUEUE_MAX (16u << 20)

struct ha_tcp_state {
	struct sockaddr_storage local, remote;
	socklen_t addrlen;

	uint32_t snd_seq; /* sequence number of the first byte of sndq */
	uint32_t rcv_seq; /* sequence number of the first byte of rcvq */
	uint32_t mss;
	bool sack, tstamp, wscale;
	uint8_t snd_wscale, rcv_wscale;
	uint32_t timestamp; /* the socket's TCP timestamp clock now */

	/* TCP_INFO's byte counters: every byte received in order, every byte
	 * sent and acknowledged, since the connection was made -- what tells
	 * how many bytes the application has read (bytes_received - rcvq_len)
	 * and written (bytes_acked + sndq_len) */
	uint64_t bytes_received, bytes_acked;

	bool have_window;
	uint32_t snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup;

	/* send queue: [0, sndq_len) sent and not yet acknowledged or not
	 * sent yet (the last unsent_len bytes); receive queue: received and
	 * acknowledged, not yet read by the application */
	uint8_t *sndq;
	uint32_t sndq_len, unsent_len;
	uint8_t *rcvq;
	uint32_t rcvq_len;
};

/* Put a connected socket in repair mode: from now on it sends nothing,
 * drops what the peer sends without acknowledging it (the peer sends it
 * again to the socket that carries the connection on), and closing it
 * sends neither FIN nor RST.  0 or -1 (errno). */
extern int ha_tcp_freeze(int fd);
/* Leave repair mode again (the connection goes on where it was; the peer
 * sends again what was dropped meanwhile).  The socket has SO_REUSEADDR
 * afterwards, whatever it had before. */
extern int ha_tcp_thaw(int fd);

/*
 * A TCP_TIMESTAMP value for a millisecond clock: tsval rounded up to an
 * even number.  For TCP_REPAIR (Linux >= 6.7) the lowest bit selects a
 * microsecond clock -- whose TSvals the next card to rebuild the
 * connection from its segments could not follow (behind them by the
 * milliseconds' thousandfold, its segments dropped by the peer's PAWS
 * check).
 */
static inline uint32_t ha_tcp_timestamp_ms(uint32_t tsval)
{
	return tsval + (tsval & 1);
}

/*
 * Move an established socket's TCP timestamp clock forward to tsval (as
 * ha_tcp_timestamp_ms), the connection
 * going on as it was: briefly in repair mode, left without a window
 * probe.  The caller keeps every write to the socket off meanwhile (a
 * write in repair mode fails, EINVAL).  The socket has SO_REUSEADDR
 * afterwards, as after ha_tcp_thaw.  0 or -1 (errno).
 */
extern int ha_tcp_clock_advance(int fd, uint32_t tsval);

/* Read the state of a frozen, established socket.  Allocates the queues
 * (ha_tcp_state_clear frees them).  0, or -1 with the reason in err. */
extern int ha_tcp_dump(int fd, struct ha_tcp_state *st, char *err, size_t errlen);

/* A new socket carrying the connection of st (bound to the same local
 * address and port: the old socket must be gone from this network
 * namespace, or be in another one).  Returns the connected socket, out of
 * repair mode, or -1 with the reason in err. */
extern int ha_tcp_restore(const struct ha_tcp_state *st, char *err, size_t errlen);
/* ha_tcp_restore in two steps: the socket re-created but still frozen --
 * it sends nothing and drops what the peer sends (where, with no socket
 * for the connection yet, the kernel would answer with a RST) -- and,
 * later, resumed: out of repair mode, the bytes never sent sent.  resume
 * returns 0, or -1 with the reason in err (the socket is still the
 * caller's to close). */
extern int ha_tcp_restore_frozen(const struct ha_tcp_state *st, char *err, size_t errlen);
extern int ha_tcp_resume(int fd, const struct ha_tcp_state *st, char *err, size_t errlen);

extern void ha_tcp_state_clear(struct ha_tcp_state *st);

/*
 * Bytes an application holds for a connection that its socket no longer
 * does, carried on with the connection as if still in the kernel's queues:
 * unread -- read from the socket but not consumed yet -- go back to the
 * head of the receive queue; unwritten -- not written to the socket yet --
 * join the tail of the send queue as never sent.  0, or -1 when the queue
 * would grow beyond HA_TCP_QUEUE_MAX or memory runs out.
 */
extern int ha_tcp_state_unread(struct ha_tcp_state *st, const uint8_t *data, uint32_t len);
extern int ha_tcp_state_unwritten(struct ha_tcp_state *st, const uint8_t *data, uint32_t len);

/* A TCP socket's byte counters (TCP_INFO, RFC 4898): bytes received in
 * order and bytes sent and acknowledged since it was made or re-created.
 * 0, or -1 (errno). */
extern int ha_tcp_byte_counters(int fd, uint64_t *received, uint64_t *acked);

/*
 * The state as bytes, to travel to the other card.  encode returns the
 * length (call with out = NULL to size the buffer first); decode checks
 * every length and field, allocates the queues, returns 0 or -1.
 */
extern ssize_t ha_tcp_state_encode(const struct ha_tcp_state *st, uint8_t *out, size_t outlen);
extern int ha_tcp_state_decode(const uint8_t *buf, size_t len, struct ha_tcp_state *st);

#endif /* FRRHA_TCP_H */
