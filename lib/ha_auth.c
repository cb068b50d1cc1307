// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Authentication of intercard frames, see ha_auth.h.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ha_auth.h"

static bool ha_hmac_v(const uint8_t *key, size_t keylen, const uint8_t *const *parts,
		      const size_t *lens, size_t nparts, uint8_t out[HA_AUTH_MAC_LEN])
{
	static EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];
	size_t outlen = 0;
	bool ok = false;

	if (!mac)
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return false;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		return false;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA3-256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1)
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (lens[i] && EVP_MAC_update(ctx, parts[i], lens[i]) != 1)
			goto out;
	ok = EVP_MAC_final(ctx, out, &outlen, HA_AUTH_MAC_LEN) == 1 && outlen == HA_AUTH_MAC_LEN;
out:
	EVP_MAC_CTX_free(ctx);
	return ok;
}

bool ha_hmac(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
	     uint8_t out[HA_AUTH_MAC_LEN])
{
	const uint8_t *parts[] = { data };
	const size_t lens[] = { len };

	return ha_hmac_v(key, keylen, parts, lens, 1, out);
}

bool ha_auth_base_key(const char *configured, uint8_t out[HA_AUTH_KEY_LEN])
{
	static const uint8_t label[] = "frr-ha base key";

	return ha_hmac((const uint8_t *)configured, strlen(configured), label, sizeof(label) - 1,
		       out);
}

bool ha_auth_session_key(const uint8_t base[HA_AUTH_KEY_LEN],
			 const uint8_t initiator_nonce[HA_AUTH_NONCE_LEN],
			 const uint8_t responder_nonce[HA_AUTH_NONCE_LEN],
			 uint8_t out[HA_AUTH_KEY_LEN])
{
	static const uint8_t label[] = "frr-ha session key";
	const uint8_t *parts[] = { label, initiator_nonce, responder_nonce };
	const size_t lens[] = { sizeof(label) - 1, HA_AUTH_NONCE_LEN, HA_AUTH_NONCE_LEN };

	return ha_hmac_v(base, HA_AUTH_KEY_LEN, parts, lens, 3, out);
}

bool ha_auth_frame_mac(const uint8_t key[HA_AUTH_KEY_LEN], uint64_t seq, const uint8_t *hdr,
		       size_t hdrlen, const uint8_t *payload, size_t plen,
		       uint8_t out[HA_AUTH_MAC_LEN])
{
	uint8_t seqbuf[8];
	const uint8_t *parts[] = { seqbuf, hdr, payload };
	const size_t lens[] = { sizeof(seqbuf), hdrlen, plen };

	for (int i = 0; i < 8; i++)
		seqbuf[i] = (uint8_t)(seq >> (56 - 8 * i));
	return ha_hmac_v(key, HA_AUTH_KEY_LEN, parts, lens, 3, out);
}

bool ha_auth_frame_verify(const uint8_t key[HA_AUTH_KEY_LEN], uint64_t seq, const uint8_t *hdr,
			  size_t hdrlen, const uint8_t *payload, size_t plen,
			  const uint8_t mac[HA_AUTH_MAC_LEN])
{
	uint8_t expect[HA_AUTH_MAC_LEN];

	if (!ha_auth_frame_mac(key, seq, hdr, hdrlen, payload, plen, expect))
		return false;
	return CRYPTO_memcmp(expect, mac, HA_AUTH_MAC_LEN) == 0;
}

bool ha_auth_random(uint8_t *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1;
}

bool ha_auth_selftest(void)
{
	/* HMAC-SHA3-256 known answer: key "Jefe",
	 * data "what do ya want for nothing?" */
	static const uint8_t expect[HA_AUTH_MAC_LEN] = {
		0xc7, 0xd4, 0x07, 0x2e, 0x78, 0x88, 0x77, 0xae, 0x35, 0x96, 0xbb,
		0xb0, 0xda, 0x73, 0xb8, 0x87, 0xc9, 0x17, 0x1f, 0x93, 0x09, 0x5b,
		0x29, 0x4a, 0xe8, 0x57, 0xfb, 0xe2, 0x64, 0x5e, 0x1b, 0xa5,
	};
	static const char data[] = "what do ya want for nothing?";
	uint8_t out[HA_AUTH_MAC_LEN];

	return ha_hmac((const uint8_t *)"Jefe", 4, (const uint8_t *)data, sizeof(data) - 1, out) &&
	       CRYPTO_memcmp(out, expect, sizeof(out)) == 0;
}

bool ha_auth_data_key(const uint8_t session[HA_AUTH_KEY_LEN], const char *daemon,
		      uint8_t data_key[HA_AUTH_KEY_LEN])
{
	static const uint8_t label[] = "frr-ha data channel ";
	const uint8_t *parts[] = { label, (const uint8_t *)daemon };
	const size_t lens[] = { sizeof(label) - 1, strlen(daemon) };

	return ha_hmac_v(session, HA_AUTH_KEY_LEN, parts, lens, 2, data_key);
}

struct ha_hash {
	EVP_MD_CTX *ctx;
};

struct ha_hash *ha_hash_new(void)
{
	struct ha_hash *h = calloc(1, sizeof(*h));

	if (!h)
		abort();
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha3_256(), NULL) != 1)
		abort();
	return h;
}

void ha_hash_update(struct ha_hash *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		abort();
}

void ha_hash_final(struct ha_hash *h, uint8_t out[32])
{
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &len) != 1 || len != 32)
		abort();
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void ha_set_item_hash(uint64_t position, const void *data, size_t len, uint8_t out[32])
{
	struct ha_hash *h = ha_hash_new();
	uint8_t pos[8];

	for (int i = 0; i < 8; i++)
		pos[i] = position >> (8 * i);
	ha_hash_update(h, pos, sizeof(pos));
	ha_hash_update(h, data, len);
	ha_hash_final(h, out);
}

static uint64_t ha_set_lane(const uint8_t item[32], int i)
{
	uint64_t v = 0;

	for (int b = 7; b >= 0; b--)
		v = (v << 8) | item[8 * i + b];
	return v;
}

void ha_set_digest_add(struct ha_set_digest *d, const uint8_t item[32])
{
	for (int i = 0; i < 4; i++)
		d->lane[i] += ha_set_lane(item, i);
}

void ha_set_digest_remove(struct ha_set_digest *d, const uint8_t item[32])
{
	for (int i = 0; i < 4; i++)
		d->lane[i] -= ha_set_lane(item, i);
}

void ha_set_digest_bytes(const struct ha_set_digest *d, uint8_t out[32])
{
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 8; b++)
			out[8 * i + b] = d->lane[i] >> (8 * b);
}
