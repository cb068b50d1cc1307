// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * frr-ha wire format: frames and the messages carried on the local channel
 * between a daemon's ha module and its card's hard.
 *
 * Every frame is an 8-byte header (network byte order) and a payload:
 *
 *   0      2        3      4              8
 *   +------+--------+------+--------------+---------....
 *   | 'HA' | version| type | payload len  | payload
 *   +------+--------+------+--------------+---------....
 *
 * This file is deliberately free of libfrr: it is pure byte-level encoding
 * and decoding, so that it can be unit-tested and fuzzed on its own.  Every
 * decoder checks every length against the bytes it was given and either
 * fills its output completely or returns an error; it never reads past the
 * buffer and never leaves its output half-filled.
 */
#ifndef FRRHA_WIRE_H
#define FRRHA_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HA_WIRE_MAGIC 0x4841 /* "HA" */
/* 2: a data channel's ACK carries the standby's backlog (ha_msg_ack) */
/* 3: a BGP session's bulk copy carries its log compacted (bytes_compacted,
 *    the messages numbered as they were, with gaps) */
/* 4: a BGP connection delta carries both sides' last windows (peer_window,
 *    our_window, ...) */
#define HA_WIRE_VERSION	 4
#define HA_FRAME_HDR_LEN 8
/* Largest payload a peer may announce; anything larger is refused before a
 * single byte of it is buffered. */
#define HA_FRAME_MAX_PAYLOAD (16u * 1024 * 1024)

#define HA_DAEMON_NAME_MAX 32

enum ha_msg_type {
	/* local channel, module <-> hard */
	HA_MSG_REGISTER = 1,	 /* module -> hard */
	HA_MSG_REGISTER_ACK = 2, /* hard -> module */
	HA_MSG_ROLE = 3,	 /* hard -> module: the card's role changed */
	/* control channel, hard <-> hard (authenticated, see ha_auth.h) */
	HA_MSG_HELLO = 4,
	HA_MSG_HEARTBEAT = 5,
	HA_MSG_SWITCHOVER = 6,
	/* data channels: set up by hard, then module <-> peer module */
	HA_MSG_DATA_OPEN = 7,	    /* hard <-> hard: first frame on a data connection */
	HA_MSG_DATA_CHANNEL = 8,    /* hard -> module: your data channel (socket attached) */
	HA_MSG_REPL_STATUS = 9,	    /* module -> hard: replication state and counters */
	HA_MSG_QUIESCE = 10,	    /* hard -> module: flush and verify before a switchover */
	HA_MSG_QUIESCE_DONE = 11,   /* module -> hard: answer to QUIESCE */
	HA_MSG_DELTA = 12,	    /* data channel, active -> standby */
	HA_MSG_ACK = 13,	    /* data channel, standby -> active: cumulative commit ack */
	HA_MSG_DIGEST_RESULT = 14,  /* data channel, standby -> active */
	HA_MSG_SESSION_SOCKET = 15, /* module -> hard: hold (socket attached) or drop */
	HA_MSG_SESSION_STATE = 16,  /* hard -> peer hard -> module: a dead daemon's connection */
	HA_MSG_RESYNC_REQUEST = 17, /* data channel, standby -> active: copy part of a class again */
	HA_MSG_TYPE_MAX,
};

/* Role of a card, as decided by hard. */
enum ha_role {
	HA_ROLE_INIT = 0,
	HA_ROLE_ACTIVE = 1,
	HA_ROLE_STANDBY = 2,
	HA_ROLE_FAILED = 3,
	HA_ROLE_MAX,
};

enum ha_decode_result {
	HA_DECODE_OK = 0,
	HA_DECODE_NEED_MORE, /* not an error: a header is not complete yet */
	HA_DECODE_BAD_MAGIC,
	HA_DECODE_BAD_VERSION,
	HA_DECODE_BAD_TYPE,
	HA_DECODE_TOO_LARGE,
	HA_DECODE_MALFORMED, /* payload does not parse / wrong length */
};

struct ha_frame_hdr {
	uint8_t version;
	uint8_t type;
	uint32_t length;
};

struct ha_msg_register {
	char daemon[HA_DAEMON_NAME_MAX]; /* NUL-terminated, [a-z0-9_-]+ */
	uint32_t pid;
	uint32_t module_version; /* HA_WIRE_VERSION the module speaks */
};

struct ha_msg_register_ack {
	uint8_t role; /* enum ha_role */
	uint32_t hard_pid;
};

struct ha_msg_role {
	uint8_t role; /* enum ha_role */
};

#define HA_MAX_DAEMONS	  16
#define HA_SW_VERSION_MAX 32
#define HA_NONCE_LEN	  16

/* The local daemons whose ha module is registered, by name. */
struct ha_daemon_set {
	uint8_t count;
	char names[HA_MAX_DAEMONS][HA_DAEMON_NAME_MAX];
};

/* flags of HELLO and HEARTBEAT */
#define HA_CARD_F_MASTER    0x01 /* holds mastership of the line */
#define HA_CARD_F_REDUNDANT 0x02 /* active: the standby is in sync */
#define HA_CARD_F_ALL	    0x03

struct ha_msg_hello {
	uint8_t slot;
	uint8_t priority;
	uint8_t role; /* enum ha_role */
	uint8_t flags;
	uint8_t nonce[HA_NONCE_LEN];
	char sw_version[HA_SW_VERSION_MAX]; /* NUL-terminated, printable */
	struct ha_daemon_set daemons;
};

struct ha_msg_heartbeat {
	uint8_t role;
	uint8_t flags;
	uint64_t sent_usec; /* sender's monotonic clock (for logs, no sync) */
	struct ha_daemon_set daemons;
};

/* Steps of a graceful switchover (active A, standby S). */
enum ha_switchover_step {
	HA_SWO_PREPARE = 1,  /* A -> S: A has blocked updates, get ready */
	HA_SWO_READY = 2,    /* S -> A: ready to take over */
	HA_SWO_RELEASED = 3, /* A -> S: mastership released, take it */
	HA_SWO_ACTIVE = 4,   /* S -> A: acquired mastership, now active */
	HA_SWO_ABORT = 5,    /* either way: give up, roles unchanged */
	HA_SWO_STEP_MAX,
};

struct ha_msg_switchover {
	uint8_t step; /* enum ha_switchover_step */
	uint32_t id;  /* chosen by the active, echoed in every step */
};

/*
 * Data channels.  hard opens one TCP connection per daemon to the peer
 * card's hard; both ends send DATA_OPEN (authenticated with a key derived
 * from the control channel's session key and the daemon name), derive the
 * channel key from both nonces, and pass the socket to their module with
 * DATA_CHANNEL.  From then on the two modules talk directly.
 */
#define HA_CHANNEL_KEY_LEN 32

struct ha_msg_data_open {
	char daemon[HA_DAEMON_NAME_MAX];
	uint8_t slot;
	uint8_t nonce[HA_NONCE_LEN];
};

struct ha_msg_data_channel {
	uint8_t up; /* 0: the peer card is gone, drop the channel (no socket) */
	uint8_t peer_slot;
	uint32_t generation; /* counts the channels hard handed to this module */
	uint8_t key[HA_CHANNEL_KEY_LEN];
};

/* Replication state of one module, as its engine sees it. */
enum ha_repl_state {
	HA_REPL_DOWN = 0,   /* no data channel to the peer module */
	HA_REPL_BULK = 1,   /* bulk copy in progress */
	HA_REPL_VERIFY = 2, /* bulk done, digest comparison pending */
	HA_REPL_SYNCED = 3, /* digests matched; deltas flowing */
	HA_REPL_FAILED = 4, /* digests differ after a resync, or the channel broke */
	HA_REPL_STATE_MAX,
};

enum ha_digest_status {
	HA_DIGEST_NONE = 0,
	HA_DIGEST_MATCH = 1,
	HA_DIGEST_MISMATCH = 2,
	HA_DIGEST_STATUS_MAX,
};

#define HA_DETAIL_MAX 128

struct ha_msg_repl_status {
	uint8_t role;	  /* enum ha_role: the role the module acts in */
	uint8_t state;	  /* enum ha_repl_state */
	uint8_t digest;	  /* enum ha_digest_status, of the last comparison */
	uint32_t channel; /* generation of the data channel the state is about */
	uint32_t bulks, resyncs;
	uint64_t sent, committed, applied; /* deltas */
	uint32_t queue;			   /* deltas waiting for the window or the bulk */
	uint32_t lag_usec;		   /* age of the oldest unacknowledged delta */
	uint32_t refused;		   /* bad deltas from the peer module */
	char detail[HA_DETAIL_MAX];	   /* why not synced, last error */
};

struct ha_msg_quiesce {
	uint32_t id;
};

struct ha_msg_quiesce_done {
	uint32_t id;
	uint8_t ok;
	char reason[HA_DETAIL_MAX];
};

/* What a DELTA carries. */
enum ha_delta_kind {
	HA_DELTA_UPDATE = 1,	 /* a change of replicated state */
	HA_DELTA_BULK_BEGIN = 2, /* standby: forget your replicated state */
	HA_DELTA_BULK_ITEM = 3,	 /* one piece of state of the bulk copy */
	HA_DELTA_BULK_END = 4,
	HA_DELTA_DIGEST = 5, /* the active's digests at this point of the stream */
	/* a scoped copy (answer to a RESYNC_REQUEST): data is the scope */
	HA_DELTA_SCOPE_BEGIN = 6, /* standby: forget that part of class cls */
	HA_DELTA_SCOPE_END = 7,
	HA_DELTA_KIND_MAX,
};

#define HA_DELTA_HDR_LEN 13

struct ha_msg_delta {
	uint64_t seq;
	uint8_t kind;	     /* enum ha_delta_kind */
	uint16_t cls;	     /* the module's replicated class (0: the engine's own) */
	uint16_t subtype;    /* the class's own message type */
	const uint8_t *data; /* points into the decoded buffer */
	uint32_t len;
};

struct ha_msg_ack {
	uint64_t committed; /* every delta up to this seq is stored on the standby */
	uint64_t applied;   /* ... and applied to its daemon up to this one */
	/* what the standby's daemon has yet to act on of what it applied,
	 * in the module's own unit (bgpd-ha: BGP messages its bgpd has not
	 * processed): what a takeover now would leave it to catch up on */
	uint32_t backlog;
};

#define HA_DIGEST_LEN	  32
#define HA_DIGEST_MAX_CLS 16

struct ha_digest_list {
	uint8_t count;
	struct {
		uint16_t cls;
		uint64_t items;
		uint8_t digest[HA_DIGEST_LEN];
	} entry[HA_DIGEST_MAX_CLS];
};

struct ha_msg_digest_result {
	uint64_t seq; /* of the DIGEST delta compared */
	uint8_t match;
	uint16_t cls; /* first class that differs (if !match) */
	char detail[HA_DETAIL_MAX];
};

/* A part of a class's state (its bytes are the class's: e.g. an OSPF area). */
#define HA_SCOPE_MAX 32

/* Standby -> active: delta #seq of class cls was refused; copy the part of
 * the class's state it belongs to again. */
struct ha_msg_resync_request {
	uint64_t seq; /* the refused delta */
	uint16_t cls;
	uint8_t scope_len; /* 1..HA_SCOPE_MAX */
	uint8_t scope[HA_SCOPE_MAX];
	char reason[HA_DETAIL_MAX];
};

/*
 * A protocol session's TCP socket: a module hands hard a duplicate when
 * the session is established (HA_SOCKET_HOLD, socket attached), so that a
 * crashing daemon's socket is not closed by its death -- no FIN, no RST to
 * the peer -- and asks hard to drop it when the session ends
 * (HA_SOCKET_RELEASE).  HA_SOCKET_HANDED_OVER: the connection (frozen) now
 * lives on the peer card; hard keeps its copy until this card is off the
 * line -- until then the frozen socket drops the peer's segments silently,
 * where this card's kernel would answer them with a RST -- then closes it
 * silently.
 */
#define HA_SESSION_NAME_MAX 64

enum ha_socket_hold {
	HA_SOCKET_RELEASE = 0,
	HA_SOCKET_HOLD = 1,
	HA_SOCKET_HANDED_OVER = 2,
};

struct ha_msg_session_socket {
	uint8_t hold;			/* enum ha_socket_hold */
	char name[HA_SESSION_NAME_MAX]; /* the session, as the daemon names it */
};

/*
 * The frozen connection of a session whose daemon died on the active card:
 * that card's hard dumps the socket it held (lib/ha_tcp.c's encoding) and
 * sends it to the peer card's hard before handing the role over; that hard
 * gives it to the same daemon's module there, which takes the session
 * over with it.  The state bytes follow the names; decode points into the
 * buffer it was given.
 */
struct ha_msg_session_state {
	char daemon[HA_DAEMON_NAME_MAX];
	char name[HA_SESSION_NAME_MAX];
	const uint8_t *state;
	uint32_t state_len;
};

extern const char *ha_decode_result_str(enum ha_decode_result res);
extern const char *ha_role_name(enum ha_role role);
extern const char *ha_msg_type_name(uint8_t type);

/* Header. encode writes HA_FRAME_HDR_LEN bytes. */
extern void ha_frame_hdr_encode(uint8_t *out, uint8_t type, uint32_t length);
/* On HA_DECODE_BAD_VERSION, _BAD_TYPE and _TOO_LARGE, *hdr is filled in
 * too, so that the refusal can say what was received. */
extern enum ha_decode_result ha_frame_hdr_decode(const uint8_t *buf, size_t len,
						 struct ha_frame_hdr *hdr);

/* Payloads. encode returns the number of bytes written or -1 if out is too
 * small or the message is invalid. */
extern ssize_t ha_msg_register_encode(const struct ha_msg_register *msg, uint8_t *out,
				      size_t outlen);
extern enum ha_decode_result ha_msg_register_decode(const uint8_t *buf, size_t len,
						    struct ha_msg_register *msg);
extern ssize_t ha_msg_register_ack_encode(const struct ha_msg_register_ack *msg, uint8_t *out,
					  size_t outlen);
extern enum ha_decode_result ha_msg_register_ack_decode(const uint8_t *buf, size_t len,
							struct ha_msg_register_ack *msg);

extern ssize_t ha_msg_role_encode(const struct ha_msg_role *msg, uint8_t *out, size_t outlen);
extern enum ha_decode_result ha_msg_role_decode(const uint8_t *buf, size_t len,
						struct ha_msg_role *msg);
extern ssize_t ha_msg_hello_encode(const struct ha_msg_hello *msg, uint8_t *out, size_t outlen);
extern enum ha_decode_result ha_msg_hello_decode(const uint8_t *buf, size_t len,
						 struct ha_msg_hello *msg);
extern ssize_t ha_msg_heartbeat_encode(const struct ha_msg_heartbeat *msg, uint8_t *out,
				       size_t outlen);
extern enum ha_decode_result ha_msg_heartbeat_decode(const uint8_t *buf, size_t len,
						     struct ha_msg_heartbeat *msg);
extern ssize_t ha_msg_switchover_encode(const struct ha_msg_switchover *msg, uint8_t *out,
					size_t outlen);
extern enum ha_decode_result ha_msg_switchover_decode(const uint8_t *buf, size_t len,
						      struct ha_msg_switchover *msg);

extern ssize_t ha_msg_data_open_encode(const struct ha_msg_data_open *msg, uint8_t *out,
				       size_t outlen);
extern enum ha_decode_result ha_msg_data_open_decode(const uint8_t *buf, size_t len,
						     struct ha_msg_data_open *msg);
extern ssize_t ha_msg_data_channel_encode(const struct ha_msg_data_channel *msg, uint8_t *out,
					  size_t outlen);
extern enum ha_decode_result ha_msg_data_channel_decode(const uint8_t *buf, size_t len,
							struct ha_msg_data_channel *msg);
extern ssize_t ha_msg_repl_status_encode(const struct ha_msg_repl_status *msg, uint8_t *out,
					 size_t outlen);
extern enum ha_decode_result ha_msg_repl_status_decode(const uint8_t *buf, size_t len,
						       struct ha_msg_repl_status *msg);
extern ssize_t ha_msg_quiesce_encode(const struct ha_msg_quiesce *msg, uint8_t *out, size_t outlen);
extern enum ha_decode_result ha_msg_quiesce_decode(const uint8_t *buf, size_t len,
						   struct ha_msg_quiesce *msg);
extern ssize_t ha_msg_quiesce_done_encode(const struct ha_msg_quiesce_done *msg, uint8_t *out,
					  size_t outlen);
extern enum ha_decode_result ha_msg_quiesce_done_decode(const uint8_t *buf, size_t len,
							struct ha_msg_quiesce_done *msg);
/* Writes the 13-byte delta header; the caller appends msg->len data bytes. */
extern ssize_t ha_msg_delta_hdr_encode(const struct ha_msg_delta *msg, uint8_t *out, size_t outlen);
extern enum ha_decode_result ha_msg_delta_decode(const uint8_t *buf, size_t len,
						 struct ha_msg_delta *msg);
extern ssize_t ha_msg_ack_encode(const struct ha_msg_ack *msg, uint8_t *out, size_t outlen);
extern enum ha_decode_result ha_msg_ack_decode(const uint8_t *buf, size_t len,
					       struct ha_msg_ack *msg);
extern ssize_t ha_msg_digest_result_encode(const struct ha_msg_digest_result *msg, uint8_t *out,
					   size_t outlen);
extern enum ha_decode_result ha_msg_digest_result_decode(const uint8_t *buf, size_t len,
							 struct ha_msg_digest_result *msg);
extern ssize_t ha_msg_resync_request_encode(const struct ha_msg_resync_request *msg, uint8_t *out,
					    size_t outlen);
extern enum ha_decode_result ha_msg_resync_request_decode(const uint8_t *buf, size_t len,
							  struct ha_msg_resync_request *msg);
extern ssize_t ha_digest_list_encode(const struct ha_digest_list *list, uint8_t *out, size_t outlen);
extern enum ha_decode_result ha_digest_list_decode(const uint8_t *buf, size_t len,
						   struct ha_digest_list *list);
extern ssize_t ha_msg_session_socket_encode(const struct ha_msg_session_socket *msg, uint8_t *out,
					    size_t outlen);
extern enum ha_decode_result ha_msg_session_socket_decode(const uint8_t *buf, size_t len,
							  struct ha_msg_session_socket *msg);
/* Writes the names; the caller appends msg->state_len state bytes. */
extern ssize_t ha_msg_session_state_hdr_encode(const struct ha_msg_session_state *msg, uint8_t *out,
					       size_t outlen);
extern enum ha_decode_result ha_msg_session_state_decode(const uint8_t *buf, size_t len,
							 struct ha_msg_session_state *msg);
extern const char *ha_repl_state_name(uint8_t state);
extern const char *ha_digest_status_name(uint8_t status);
extern const char *ha_delta_kind_name(uint8_t kind);

/* Largest encoded payload of any control message above. */
#define HA_MSG_CONTROL_MAX 1024

extern bool ha_daemon_set_add(struct ha_daemon_set *set, const char *name);
extern bool ha_daemon_set_has(const struct ha_daemon_set *set, const char *name);
extern bool ha_daemon_set_equal(const struct ha_daemon_set *a, const struct ha_daemon_set *b);
extern const char *ha_switchover_step_name(uint8_t step);

/* A daemon name as accepted on the wire: 1..31 of [a-z0-9_-]. */
extern bool ha_daemon_name_valid(const char *name, size_t len);

#endif /* FRRHA_WIRE_H */
