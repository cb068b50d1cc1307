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

#define HA_WIRE_MAGIC	 0x4841 /* "HA" */
#define HA_WIRE_VERSION	 1
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

/* Largest encoded payload of any control message above. */
#define HA_MSG_CONTROL_MAX 1024

extern bool ha_daemon_set_add(struct ha_daemon_set *set, const char *name);
extern bool ha_daemon_set_has(const struct ha_daemon_set *set, const char *name);
extern bool ha_daemon_set_equal(const struct ha_daemon_set *a, const struct ha_daemon_set *b);
extern const char *ha_switchover_step_name(uint8_t step);

/* A daemon name as accepted on the wire: 1..31 of [a-z0-9_-]. */
extern bool ha_daemon_name_valid(const char *name, size_t len);

#endif /* FRRHA_WIRE_H */
