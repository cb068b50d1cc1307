// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A framed, non-blocking stream connection on FRR's event loop: reads
 * frames (ha_wire.h), hands each complete one to a callback, queues writes.
 * Used on both ends of every frr-ha channel so that framing and its error
 * handling exist once.
 */
#ifndef FRRHA_CONN_H
#define FRRHA_CONN_H

#include <stdbool.h>
#include <stdint.h>

struct event_loop;
struct ha_conn;

/*
 * Called for each complete frame.  Return true to go on reading; return
 * false after having freed the connection (e.g. after a protocol error), in
 * which case ha_conn does not touch it again.
 */
typedef bool (*ha_conn_frame_cb)(struct ha_conn *conn, uint8_t type, const uint8_t *payload,
				 uint32_t len, void *arg);
/*
 * Called once when the connection fails (EOF, socket error, undecodable
 * frame).  The callback owns the connection from then on and must free it
 * (ha_conn_free), now or later.
 */
typedef void (*ha_conn_close_cb)(struct ha_conn *conn, const char *reason, void *arg);

struct ha_conn_stats {
	uint64_t frames_rx, frames_tx;
	uint64_t bytes_rx, bytes_tx;
	uint64_t auth_failures;	   /* frames refused: bad MAC (0 or 1: it closes) */
	uint64_t version_refusals; /* frames refused: other wire version */
};

extern struct ha_conn *ha_conn_new(struct event_loop *loop, int fd, const char *name,
				   ha_conn_frame_cb frame_cb, ha_conn_close_cb close_cb, void *arg);
/* Closes the socket, cancels its events, frees; sets *conn to NULL. */
extern void ha_conn_free(struct ha_conn **conn);
/* Queue one frame.  Returns 0, or -1 if the connection has failed (then the
 * close callback has been scheduled). */
extern int ha_conn_send(struct ha_conn *conn, uint8_t type, const uint8_t *payload, uint32_t len);
/*
 * Queue one frame with a file descriptor attached (local sockets only).
 * The connection owns fd from then on: it is closed once sent, or when
 * the connection is freed.
 */
extern int ha_conn_send_fd(struct ha_conn *conn, uint8_t type, const uint8_t *payload, uint32_t len,
			   int fd);
/* Receive descriptors passed with frames (local sockets only). */
extern void ha_conn_enable_fd_passing(struct ha_conn *conn);
/* The oldest received descriptor not yet taken, or -1.  A descriptor
 * arrives no later than the first byte of the frame it was sent with. */
extern int ha_conn_take_fd(struct ha_conn *conn);
/* Called after the frames of one read were delivered (e.g. to send one
 * cumulative ack for all of them, at once). */
typedef void (*ha_conn_batch_cb)(struct ha_conn *conn, void *arg);
extern void ha_conn_set_batch_cb(struct ha_conn *conn, ha_conn_batch_cb cb);
/*
 * Read what the socket holds now, outside the read event (e.g. between
 * the items of a long task of the daemon's), and deliver the complete
 * frames filter accepts (it sees each frame's type and payload before the
 * frame is authenticated; it decides only whether the frame is handled
 * now).  The first frame it does not accept and everything after it wait
 * for the event loop, in order.  The batch callback runs if a frame was
 * delivered.  Not for connections passing descriptors.
 */
typedef bool (*ha_conn_frame_filter)(struct ha_conn *conn, uint8_t type, const uint8_t *payload,
				     uint32_t len, void *arg);
extern void ha_conn_poll(struct ha_conn *conn, ha_conn_frame_filter filter);
/* Bytes queued and not yet written to the socket. */
extern size_t ha_conn_tx_pending(const struct ha_conn *conn);
/*
 * Authenticate every frame from now on, in both directions, with key
 * (HA_AUTH_KEY_LEN bytes, see ha_auth.h); NULL turns it off.  The
 * per-direction sequence numbers go on counting across key changes.
 */
extern void ha_conn_set_auth(struct ha_conn *conn, const uint8_t *key);
/* Authenticate received frames with rx_key and sent ones with tx_key. */
extern void ha_conn_set_auth_keys(struct ha_conn *conn, const uint8_t *rx_key,
				  const uint8_t *tx_key);
extern const char *ha_conn_name(const struct ha_conn *conn);
extern const struct ha_conn_stats *ha_conn_stats(const struct ha_conn *conn);
extern int ha_conn_fd(const struct ha_conn *conn);

#endif /* FRRHA_CONN_H */
