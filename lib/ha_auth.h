// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Authentication of intercard frames: HMAC-SHA3-256 (OpenSSL libcrypto).
 *
 * Not SHA-256: libfrr exports its own SHA256_Init/Update/Final, which
 * interpose on libcrypto's inside every FRR process and break OpenSSL's
 * SHA-256.  ha_auth_selftest() checks a known answer, so that any such
 * clash is found at start, not as "wrong key" on the wire.
 *
 * Every frame between the two cards carries a 32-byte MAC over an implicit
 * per-direction sequence number, the frame header and the payload.  The
 * first frame each side sends (HELLO) is authenticated with the configured
 * key and carries a fresh random nonce; all later frames use a session key
 * derived from the configured key and both nonces.  So a frame is refused
 * if it was made without the key, altered, reordered, dropped from the
 * middle, or replayed from this or an earlier connection.
 *
 * Pure code on top of libcrypto (no libfrr), unit-tested and fuzzed.
 */
#ifndef FRRHA_AUTH_H
#define FRRHA_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HA_AUTH_KEY_LEN	  32
#define HA_AUTH_MAC_LEN	  32
#define HA_AUTH_NONCE_LEN 16

/* Raw HMAC-SHA3-256.  Returns false only if libcrypto fails. */
extern bool ha_hmac(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
		    uint8_t out[HA_AUTH_MAC_LEN]);

/* The base key of a configured (text) key. */
extern bool ha_auth_base_key(const char *configured, uint8_t out[HA_AUTH_KEY_LEN]);

/* Session key from the base key and the nonces of the side that opened the
 * connection (initiator) and of the side that accepted it (responder). */
extern bool ha_auth_session_key(const uint8_t base[HA_AUTH_KEY_LEN],
				const uint8_t initiator_nonce[HA_AUTH_NONCE_LEN],
				const uint8_t responder_nonce[HA_AUTH_NONCE_LEN],
				uint8_t out[HA_AUTH_KEY_LEN]);

/* MAC of one frame: HMAC(key, seq (8 bytes BE) || hdr || payload). */
extern bool ha_auth_frame_mac(const uint8_t key[HA_AUTH_KEY_LEN], uint64_t seq, const uint8_t *hdr,
			      size_t hdrlen, const uint8_t *payload, size_t plen,
			      uint8_t out[HA_AUTH_MAC_LEN]);

/* Constant-time check of a received frame's MAC. */
extern bool ha_auth_frame_verify(const uint8_t key[HA_AUTH_KEY_LEN], uint64_t seq,
				 const uint8_t *hdr, size_t hdrlen, const uint8_t *payload,
				 size_t plen, const uint8_t mac[HA_AUTH_MAC_LEN]);

/* Key of a data channel: derived from the control channel's session key,
 * the daemon name and the nonces of both ends of the data connection.
 * data_key is the key of the two DATA_OPEN frames; channel_key the one of
 * everything after them. */
extern bool ha_auth_data_key(const uint8_t session[HA_AUTH_KEY_LEN], const char *daemon,
			     uint8_t data_key[HA_AUTH_KEY_LEN]);

/* Incremental SHA3-256, for the consistency digests of replicated state. */
struct ha_hash;
extern struct ha_hash *ha_hash_new(void);
extern void ha_hash_update(struct ha_hash *h, const void *data, size_t len);
/* Writes the 32-byte digest and frees h. */
extern void ha_hash_final(struct ha_hash *h, uint8_t out[32]);

/*
 * The digest of a set of items kept current as items come and go, so that
 * the digest of a large state costs nothing when it is asked for (e.g. at
 * a switchover): the lane-by-lane sum (4 x 64 bits, modulo 2^64) of each
 * item's SHA3-256.  An item present twice counts twice; removing one
 * subtracts its hash, which the caller keeps.  Order does not count: an
 * item's position, if it matters, goes into the item.
 */
struct ha_set_digest {
	uint64_t lane[4];
};
/* An item's hash: SHA3-256 of its position then its bytes. */
extern void ha_set_item_hash(uint64_t position, const void *data, size_t len, uint8_t out[32]);
extern void ha_set_digest_add(struct ha_set_digest *d, const uint8_t item[32]);
extern void ha_set_digest_remove(struct ha_set_digest *d, const uint8_t item[32]);
/* Its canonical form (little-endian lanes), for a digest of digests. */
extern void ha_set_digest_bytes(const struct ha_set_digest *d, uint8_t out[32]);

/* Known-answer test of ha_hmac(); false if libcrypto misbehaves here. */
extern bool ha_auth_selftest(void);

/* Fill buf with cryptographically random bytes. */
extern bool ha_auth_random(uint8_t *buf, size_t len);

#endif /* FRRHA_AUTH_H */
