// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A TCP connection followed from its segments, to be rebuilt on another
 * card when the card that carried it dies with everything on it.
 *
 * The active card's gate (NFQUEUE, lib/ha_nfq.c) holds every segment of a
 * BGP connection with a payload -- the peer's before its kernel sees them,
 * ours before they leave -- until the standby has them.  The standby feeds
 * them here: our bytes the peer may not have yet, where our messages start
 * (BGP framing), the last window each side advertised, our timestamp
 * clock.  At the death of the active card the standby builds, from this
 * and the peer's bytes it holds, the connection's TCP_REPAIR state
 * (lib/ha_tcp.h) and carries the connection on: the peer's unacknowledged
 * bytes come again from the peer, ours go again from here.
 *
 * Offsets count bytes of one side's stream from an origin both cards
 * agree on (the first byte after the SYN, or a rebase); anchors map a
 * sequence number to its offset.  Pure C without libfrr, unit-tested.
 */
#ifndef FRRHA_TCP_SHADOW_H
#define FRRHA_TCP_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ha_reasm.h"
#include "ha_tcp.h"

/* What both ends agreed on when the connection was made. */
struct ha_tcp_shadow_options {
	struct sockaddr_storage local, remote;
	socklen_t addrlen;
	uint32_t mss;
	bool sack, tstamp, wscale;
	uint8_t snd_wscale, rcv_wscale;
};

struct ha_tcp_shadow {
	bool have_options;
	struct ha_tcp_shadow_options opt;

	/* our stream: the sequence number of the byte at snd_offset */
	bool have_snd_anchor;
	uint32_t snd_seq;
	uint64_t snd_offset;
	uint64_t snd_acked;    /* the peer acknowledged every byte before */
	uint64_t snd_boundary; /* our next message starts here */
	struct ha_reasm snd;   /* our bytes from min(snd_acked, snd_boundary) */
	bool snd_broken;       /* our stream did not parse as BGP messages */

	/* the peer's stream */
	bool have_rcv_anchor;
	uint32_t rcv_seq;
	uint64_t rcv_offset;

	/* the last window each side advertised: the peer's, with the sequence
	 * number of the segment that did; ours, with its acknowledgement */
	bool have_peer_window, have_our_window;
	uint32_t peer_window, peer_window_seq;
	uint32_t our_window, our_ack;

	/* our timestamp clock: the last TSval we sent, and when (ms) */
	bool have_tsval;
	uint32_t tsval;
	uint64_t tsval_at_ms;

	/* each UPDATE of ours, whole, as the shadow follows our messages (in
	 * stream order, each once) -- e.g. for the Adj-RIB-Out as sent */
	void (*on_update)(void *arg, const uint8_t *msg, size_t len);
	void *on_update_arg;
};

/* One segment of the connection, as the gate saw it. */
struct ha_tcp_shadow_segment {
	bool outbound; /* ours */
	uint64_t offset;
	uint32_t seq, ack;
	uint16_t window;
	bool has_ts;
	uint32_t tsval;
	const uint8_t *data;
	size_t len;
};

extern void ha_tcp_shadow_init(struct ha_tcp_shadow *s);
extern void ha_tcp_shadow_clear(struct ha_tcp_shadow *s);

extern void ha_tcp_shadow_set_options(struct ha_tcp_shadow *s,
				      const struct ha_tcp_shadow_options *opt);
/* The options of a connected socket, from its TCP_INFO.  0 or -1 (errno). */
extern int ha_tcp_shadow_options_of(int fd, struct ha_tcp_shadow_options *opt);

/* seq is the sequence number of the byte at offset of our stream
 * (outbound) or the peer's. */
extern void ha_tcp_shadow_anchor(struct ha_tcp_shadow *s, bool outbound, uint32_t seq,
				 uint64_t offset);
/* Our stream's offsets start anew: what was held of it is void, a message
 * of ours starts at boundary (the bytes before it come again as
 * segments). */
extern void ha_tcp_shadow_rebase(struct ha_tcp_shadow *s, uint64_t boundary);

/*
 * A TSval of ours, read now_ms on the caller's clock (or applied then: a
 * value late to arrive is older than it looks).  The record keeps
 * whichever estimate of our clock is further ahead now -- this one, or
 * the one it had, gone on since -- each being at most what the clock
 * really was: a late or older value never sets the clock back.
 */
extern void ha_tcp_shadow_clock(struct ha_tcp_shadow *s, uint32_t tsval, uint64_t now_ms);
/* The record's estimate of our TSval at now_ms (have_tsval: known). */
extern uint32_t ha_tcp_shadow_clock_at(const struct ha_tcp_shadow *s, uint64_t now_ms);

/*
 * Take in a segment at ms on the caller's clock.  -1 with the reason in
 * err when it breaks the connection's record: our stream no longer parses
 * as BGP messages, or holds more than a connection can.
 */
extern int ha_tcp_shadow_segment(struct ha_tcp_shadow *s, const struct ha_tcp_shadow_segment *seg,
				 uint64_t now_ms, char *err, size_t errlen);

/*
 * The connection's TCP_REPAIR state now: our bytes the peer has not
 * acknowledged as the send queue (they go again), the peer's bytes from
 * rcv_from (what the application consumed) as far as rcv holds them
 * without a gap as the receive queue (acknowledged by the rebuilt socket),
 * the timestamp clock moved on by the time since our last TSval (a
 * millisecond clock: an even TCP_TIMESTAMP value).  0, or
 * -1 with the reason in err: something missing, or a message of ours cut
 * (sent in part: the peer may have that part, and nobody has the rest).
 * Byte counters are 0.  ha_tcp_state_clear frees the queues.
 */
extern int ha_tcp_shadow_build(const struct ha_tcp_shadow *s, const struct ha_reasm *rcv,
			       uint64_t rcv_from, uint64_t now_ms, struct ha_tcp_state *st,
			       char *err, size_t errlen);
/* The same, also when a message of ours was cut (*cut then says so): the
 * send queue ends where our bytes end -- a connection that can only be
 * closed (the peer's BGP stream cannot go on), but closed in order rather
 * than left to the peer's hold timer. */
extern int ha_tcp_shadow_build_cut(const struct ha_tcp_shadow *s, const struct ha_reasm *rcv,
				   uint64_t rcv_from, uint64_t now_ms, struct ha_tcp_state *st,
				   bool *cut, char *err, size_t errlen);

/*
 * A connection rebuilt from a record, checked against the peer: does the
 * record end where the connection really was?  It may not, when what the
 * dead card did last was never replicated (e.g. a card death during a
 * bulk copy to the standby, when nothing is gated): then the peer has
 * bytes of ours the record lacks, or the dead card acknowledged bytes of
 * the peer's it lacks.  Either way the connection cannot go on -- the
 * rebuilt socket drops the peer's acknowledgements of bytes it never sent,
 * and waits for ever for bytes the peer will not send again -- and the
 * session is stuck until a hold timer ends it, the routes in the missing
 * bytes missing meanwhile.  Fed each segment on the connection since it
 * was rebuilt, the check says:
 *  - CONFIRMED: the peer's stream goes on where the record ends (a segment
 *    of the peer's at or before its end: the peer never had more of it
 *    acknowledged), and no acknowledgement of the peer's went beyond our
 *    bytes;
 *  - DIVERGED: the peer acknowledges bytes of ours beyond every byte this
 *    card has sent or rebuilt -- certain;
 *  - GAP: the peer's bytes start beyond the record's end -- lost in
 *    flight with the card (the peer sends them again: the gap fills, then
 *    CONFIRMED) or acknowledged by the dead card (it stays): the caller
 *    waits a while before calling it lost;
 *  - UNSURE: nothing telling yet.
 * Pure state, sequence numbers modulo 2^32.
 */
struct ha_tcp_rebuilt_check {
	bool tracking;	  /* a rebuilt connection: the peer's latest followed */
	bool checking;	  /* neither confirmed nor diverged yet */
	uint32_t rcv_nxt; /* the rebuilt socket's next byte of the peer's */
	uint32_t snd_max; /* after the last byte of ours sent or rebuilt */
	/* the latest of the peer's: acknowledgement, end of its bytes */
	bool have_peer;
	uint32_t peer_ack, peer_end;
};

enum ha_tcp_rebuilt_verdict {
	HA_TCP_REBUILT_UNSURE,
	HA_TCP_REBUILT_CONFIRMED,
	HA_TCP_REBUILT_GAP,
	HA_TCP_REBUILT_DIVERGED,
};

/* Start checking a connection rebuilt with the peer's next byte rcv_nxt
 * and ours (after its send queue, sent or not) snd_nxt. */
extern void ha_tcp_rebuilt_check_init(struct ha_tcp_rebuilt_check *c, uint32_t rcv_nxt,
				      uint32_t snd_nxt);
/* One segment on the connection: ours (outbound) or the peer's, len bytes
 * of payload from seq, its acknowledgement (has_ack).  The peer's latest
 * acknowledgement and end of its bytes are followed for as long as the
 * connection lives (tracking: e.g. to close it in order); a verdict other
 * than UNSURE comes only while checking. */
extern enum ha_tcp_rebuilt_verdict ha_tcp_rebuilt_check_segment(struct ha_tcp_rebuilt_check *c,
								bool outbound, uint32_t seq,
								uint32_t len, bool has_ack,
								uint32_t ack);
/* The peer's bytes beyond the record's end as last seen (GAP). */
extern uint32_t ha_tcp_rebuilt_gap(const struct ha_tcp_rebuilt_check *c);
/* Bytes of ours the peer acknowledges beyond snd_max (DIVERGED). */
extern uint32_t ha_tcp_rebuilt_acked_beyond(const struct ha_tcp_rebuilt_check *c);

#endif /* FRRHA_TCP_SHADOW_H */
