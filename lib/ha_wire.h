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
	HA_MSG_REGISTER = 1,	 /* module -> hard */
	HA_MSG_REGISTER_ACK = 2, /* hard -> module */
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

extern const char *ha_decode_result_str(enum ha_decode_result res);
extern const char *ha_role_name(enum ha_role role);
extern const char *ha_msg_type_name(uint8_t type);

/* Header. encode writes HA_FRAME_HDR_LEN bytes. */
extern void ha_frame_hdr_encode(uint8_t *out, uint8_t type, uint32_t length);
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

/* A daemon name as accepted on the wire: 1..31 of [a-z0-9_-]. */
extern bool ha_daemon_name_valid(const char *name, size_t len);

#endif /* FRRHA_WIRE_H */
