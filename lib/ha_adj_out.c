// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a BGP peer has from us: the Adj-RIB-Out as sent (see ha_adj_out.h).
 */
#include "ha_adj_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha_bgp_stream.h"

#define BGP_MSG_UPDATE	     2
#define ATTR_FLAG_EXTLEN     0x10
#define ATTR_MP_REACH_NLRI   14
#define ATTR_MP_UNREACH_NLRI 15
#define AFI_IP		     1
#define AFI_IP6		     2
#define SAFI_UNICAST	     1
#define SAFI_MULTICAST	     2
/* the largest message the stale withdrawals are packed into (RFC 4271) */
#define WITHDRAW_MSG_MAX 4096

enum { SLOT_EMPTY = 0, SLOT_USED, SLOT_DELETED };

/* ---- the table ---- */

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

static uint64_t key_hash(const struct ha_adj_out_key *k)
{
	uint8_t h[4] = { k->afi >> 8, k->afi & 0xff, k->safi, k->len };

	return fnv(fnv(FNV_INIT, h, sizeof(h)), k->nlri, k->len);
}

static bool key_equal(const struct ha_adj_out_key *a, const struct ha_adj_out_key *b)
{
	return a->afi == b->afi && a->safi == b->safi && a->len == b->len &&
	       !memcmp(a->nlri, b->nlri, a->len);
}

void ha_adj_out_init(struct ha_adj_out *a)
{
	memset(a, 0, sizeof(*a));
}

void ha_adj_out_clear(struct ha_adj_out *a)
{
	free(a->slots);
	ha_adj_out_init(a);
}

static struct ha_adj_out_entry *table_find(const struct ha_adj_out *a,
					   const struct ha_adj_out_key *k)
{
	size_t i;

	if (!a->nslots)
		return NULL;
	for (i = key_hash(k) & (a->nslots - 1);; i = (i + 1) & (a->nslots - 1)) {
		struct ha_adj_out_entry *e = &a->slots[i];

		if (e->state == SLOT_EMPTY)
			return NULL;
		if (e->state == SLOT_USED && key_equal(&e->key, k))
			return e;
	}
}

static int table_grow(struct ha_adj_out *a)
{
	size_t n = a->nslots ? a->nslots * 2 : 64;
	struct ha_adj_out_entry *old = a->slots, *slots;
	size_t oldn = a->nslots;

	/* only tombstones: the same size, cleaned */
	if (a->nslots && (a->count + 1) * 10 < a->nslots * 5)
		n = a->nslots;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -1;
	a->slots = slots;
	a->nslots = n;
	a->count = a->deleted = 0;
	for (size_t i = 0; i < oldn; i++) {
		struct ha_adj_out_entry *e = &old[i], *d;
		size_t j;

		if (e->state != SLOT_USED)
			continue;
		for (j = key_hash(&e->key) & (n - 1); slots[j].state != SLOT_EMPTY;
		     j = (j + 1) & (n - 1))
			;
		d = &slots[j];
		*d = *e;
		a->count++;
	}
	free(old);
	return 0;
}

/* The entry of k, created (unseen, hash 0) if absent; NULL without memory. */
static struct ha_adj_out_entry *table_get(struct ha_adj_out *a, const struct ha_adj_out_key *k,
					  bool *created)
{
	struct ha_adj_out_entry *e = table_find(a, k);
	size_t i;

	*created = false;
	if (e)
		return e;
	if ((a->count + a->deleted + 1) * 10 > a->nslots * 7 && table_grow(a) < 0)
		return NULL;
	for (i = key_hash(k) & (a->nslots - 1);; i = (i + 1) & (a->nslots - 1)) {
		e = &a->slots[i];
		if (e->state != SLOT_USED)
			break;
	}
	if (e->state == SLOT_DELETED)
		a->deleted--;
	memset(e, 0, sizeof(*e));
	e->state = SLOT_USED;
	e->key = *k;
	a->count++;
	*created = true;
	return e;
}

static void table_del(struct ha_adj_out *a, struct ha_adj_out_entry *e)
{
	e->state = SLOT_DELETED;
	a->count--;
	a->deleted++;
}

size_t ha_adj_out_count(const struct ha_adj_out *a)
{
	return a->count;
}

void ha_adj_out_walk(const struct ha_adj_out *a,
		     void (*cb)(void *arg, const struct ha_adj_out_key *key, uint64_t attr_hash),
		     void *arg)
{
	for (size_t i = 0; i < a->nslots; i++)
		if (a->slots[i].state == SLOT_USED)
			cb(arg, &a->slots[i].key, a->slots[i].attr_hash);
}

/* ---- address families ---- */

static bool af_supported(uint16_t afi, uint8_t safi)
{
	return (afi == AFI_IP || afi == AFI_IP6) && (safi == SAFI_UNICAST || safi == SAFI_MULTICAST);
}

static struct ha_adj_out_af *af_get(struct ha_adj_out *a, uint16_t afi, uint8_t safi)
{
	for (size_t i = 0; i < a->naf; i++)
		if (a->af[i].afi == afi && a->af[i].safi == safi)
			return &a->af[i];
	if (!af_supported(afi, safi) || a->naf == HA_ADJ_OUT_AFS)
		return NULL;
	a->af[a->naf] = (struct ha_adj_out_af){ .afi = afi, .safi = safi };
	return &a->af[a->naf++];
}

static const struct ha_adj_out_af *af_find(const struct ha_adj_out *a, uint16_t afi, uint8_t safi)
{
	for (size_t i = 0; i < a->naf; i++)
		if (a->af[i].afi == afi && a->af[i].safi == safi)
			return &a->af[i];
	return NULL;
}

void ha_adj_out_set_addpath(struct ha_adj_out *a, uint16_t afi, uint8_t safi, bool on)
{
	struct ha_adj_out_af *af = af_get(a, afi, safi);

	if (af)
		af->addpath = on;
}

void ha_adj_out_set_eor(struct ha_adj_out *a, uint16_t afi, uint8_t safi, bool eor)
{
	struct ha_adj_out_af *af = af_get(a, afi, safi);

	if (af)
		af->eor = eor;
}

bool ha_adj_out_eor(const struct ha_adj_out *a, uint16_t afi, uint8_t safi)
{
	const struct ha_adj_out_af *af = af_find(a, afi, safi);

	return af && af->eor;
}

/* ---- UPDATE parsing ---- */

struct nlri_list {
	uint16_t afi;
	uint8_t safi;
	const uint8_t *p;
	size_t len;
};

struct update {
	struct nlri_list withdrawn; /* IPv4 unicast */
	struct nlri_list unreach;   /* MP_UNREACH_NLRI */
	struct nlri_list reach;	    /* MP_REACH_NLRI's */
	struct nlri_list nlri;	    /* IPv4 unicast */
	const uint8_t *attrs;
	size_t attrs_len;
	const uint8_t *reach_attr; /* the whole attribute, header included */
	size_t reach_hdr;	   /* afi .. reserved: before its NLRI */
	bool has_reach, has_unreach, other_attrs;
	uint64_t attr_hash;
	bool eor;
	uint16_t eor_afi;
	uint8_t eor_safi;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int parse_update(const uint8_t *msg, size_t len, struct update *u, char *why, size_t whylen)
{
	const uint8_t *p, *end;
	uint16_t mlen, wlen, alen;

	memset(u, 0, sizeof(*u));
	if (!ha_bgp_header_valid(msg, len, &mlen) || mlen > len) {
		snprintf(why, whylen, "not a whole BGP message");
		return -1;
	}
	if (msg[18] != BGP_MSG_UPDATE)
		return 1;
	p = msg + HA_BGP_HEADER_LEN;
	end = msg + mlen;
	if (end - p < 2 || (wlen = get16(p), end - p - 2 < wlen)) {
		snprintf(why, whylen, "UPDATE: withdrawn routes past its end");
		return -1;
	}
	u->withdrawn = (struct nlri_list){ AFI_IP, SAFI_UNICAST, p + 2, wlen };
	p += 2 + wlen;
	if (end - p < 2 || (alen = get16(p), end - p - 2 < alen)) {
		snprintf(why, whylen, "UPDATE: path attributes past its end");
		return -1;
	}
	u->attrs = p + 2;
	u->attrs_len = alen;
	u->nlri = (struct nlri_list){ AFI_IP, SAFI_UNICAST, p + 2 + alen,
				      (size_t)(end - (p + 2 + alen)) };
	u->attr_hash = FNV_INIT;
	for (const uint8_t *q = u->attrs, *aend = u->attrs + alen; q < aend;) {
		uint8_t flags, type, h[2];
		size_t hl, vl;
		const uint8_t *v;

		if (aend - q < 3) {
			snprintf(why, whylen, "UPDATE: a truncated path attribute");
			return -1;
		}
		flags = q[0];
		type = q[1];
		hl = (flags & ATTR_FLAG_EXTLEN) ? 4 : 3;
		if ((size_t)(aend - q) < hl) {
			snprintf(why, whylen, "UPDATE: a truncated path attribute");
			return -1;
		}
		vl = hl == 4 ? get16(q + 2) : q[2];
		if ((size_t)(aend - q) - hl < vl) {
			snprintf(why, whylen, "UPDATE: path attribute %u past the attributes' end",
				 type);
			return -1;
		}
		v = q + hl;
		if (type == ATTR_MP_REACH_NLRI) {
			size_t nhl;

			if (u->has_reach || vl < 5 || (nhl = v[3], vl < 5 + nhl)) {
				snprintf(why, whylen, "UPDATE: a malformed MP_REACH_NLRI");
				return -1;
			}
			u->has_reach = true;
			u->reach_attr = q;
			u->reach_hdr = 5 + nhl;
			u->reach = (struct nlri_list){ get16(v), v[2], v + 5 + nhl, vl - 5 - nhl };
			/* the next hop is part of what the route is announced
			 * with, its NLRI are not */
			h[0] = type;
			h[1] = 0;
			u->attr_hash = fnv(fnv(u->attr_hash, h, 2), v, 5 + nhl);
		} else if (type == ATTR_MP_UNREACH_NLRI) {
			if (u->has_unreach || vl < 3) {
				snprintf(why, whylen, "UPDATE: a malformed MP_UNREACH_NLRI");
				return -1;
			}
			u->has_unreach = true;
			u->unreach = (struct nlri_list){ get16(v), v[2], v + 3, vl - 3 };
		} else {
			/* the extended-length bit says nothing of the value */
			h[0] = type;
			h[1] = flags & ~ATTR_FLAG_EXTLEN;
			u->attr_hash = fnv(fnv(u->attr_hash, h, 2), v, vl);
			u->other_attrs = true;
		}
		q += hl + vl;
	}
	if (!wlen && !alen && !u->nlri.len) {
		u->eor = true;
		u->eor_afi = AFI_IP;
		u->eor_safi = SAFI_UNICAST;
	} else if (!wlen && !u->nlri.len && u->has_unreach && !u->unreach.len && !u->has_reach &&
		   !u->other_attrs) {
		u->eor = true;
		u->eor_afi = u->unreach.afi;
		u->eor_safi = u->unreach.safi;
	}
	return 0;
}

/* The next NLRI of l at *off as a key; 0 at the end, -1 when malformed. */
static int nlri_next(const struct nlri_list *l, bool addpath, size_t *off, struct ha_adj_out_key *k)
{
	size_t id = addpath ? 4 : 0, plen_max = l->afi == AFI_IP ? 32 : 128, n;
	uint8_t plen;

	if (*off >= l->len)
		return 0;
	if (l->len - *off < id + 1)
		return -1;
	plen = l->p[*off + id];
	if (plen > plen_max)
		return -1;
	n = id + 1 + (plen + 7) / 8;
	if (l->len - *off < n)
		return -1;
	memset(k, 0, sizeof(*k));
	k->afi = l->afi;
	k->safi = l->safi;
	k->len = n;
	memcpy(k->nlri, l->p + *off, n);
	*off += n;
	return 1;
}

static bool list_addpath(const struct ha_adj_out *a, const struct nlri_list *l)
{
	const struct ha_adj_out_af *af = af_find(a, l->afi, l->safi);

	return af && af->addpath;
}

/* Every NLRI of l checked; false if one is malformed. */
static bool list_valid(const struct ha_adj_out *a, const struct nlri_list *l)
{
	struct ha_adj_out_key k;
	size_t off = 0;
	int r;

	if (!af_supported(l->afi, l->safi))
		return true;
	while ((r = nlri_next(l, list_addpath(a, l), &off, &k)) > 0)
		;
	return r == 0;
}

static int update_parse_all(struct ha_adj_out *a, const uint8_t *msg, size_t len, struct update *u)
{
	int r = parse_update(msg, len, u, a->why, sizeof(a->why));

	if (r)
		return r;
	if (!list_valid(a, &u->withdrawn) || !list_valid(a, &u->nlri) ||
	    (u->has_reach && !list_valid(a, &u->reach)) ||
	    (u->has_unreach && !list_valid(a, &u->unreach))) {
		snprintf(a->why, sizeof(a->why), "UPDATE: a malformed NLRI");
		return -1;
	}
	return 0;
}

/* ---- the record, from our messages as sent ---- */

static void list_withdraw(struct ha_adj_out *a, const struct nlri_list *l)
{
	struct ha_adj_out_key k;
	struct ha_adj_out_entry *e;
	size_t off = 0;

	if (!af_supported(l->afi, l->safi))
		return;
	while (nlri_next(l, list_addpath(a, l), &off, &k) > 0)
		if ((e = table_find(a, &k)))
			table_del(a, e);
}

static int list_announce(struct ha_adj_out *a, const struct nlri_list *l, uint64_t hash)
{
	struct ha_adj_out_key k;
	struct ha_adj_out_entry *e;
	size_t off = 0;
	bool created;

	/* (more families than HA_ADJ_OUT_AFS: not recorded, not filtered) */
	if (!af_get(a, l->afi, l->safi))
		return 0;
	while (nlri_next(l, list_addpath(a, l), &off, &k) > 0) {
		if (!(e = table_get(a, &k, &created)))
			return -1;
		e->attr_hash = hash;
	}
	return 0;
}

static int ha_adj_out_break(struct ha_adj_out *a)
{
	a->broken = true;
	return -1;
}

int ha_adj_out_apply(struct ha_adj_out *a, const uint8_t *msg, size_t len)
{
	struct update u;
	int r;

	if (a->broken)
		return -1;
	r = update_parse_all(a, msg, len, &u);
	if (r < 0)
		return ha_adj_out_break(a);
	if (r > 0)
		return 0;
	if (u.eor) {
		ha_adj_out_set_eor(a, u.eor_afi, u.eor_safi, true);
		return 0;
	}
	list_withdraw(a, &u.withdrawn);
	if (u.has_unreach)
		list_withdraw(a, &u.unreach);
	if ((u.has_reach && list_announce(a, &u.reach, u.attr_hash) < 0) ||
	    list_announce(a, &u.nlri, u.attr_hash) < 0) {
		snprintf(a->why, sizeof(a->why), "out of memory");
		return ha_adj_out_break(a);
	}
	return 0;
}

/* ---- the routes a message mentions (ha_bgp_compact) ---- */

static int list_routes(const struct ha_adj_out *a, const struct nlri_list *l,
		       void (*cb)(void *arg, const struct ha_adj_out_key *key), void *arg)
{
	struct ha_adj_out_key k;
	size_t off = 0;

	if (!af_supported(l->afi, l->safi))
		return l->len ? 2 : 0;
	while (nlri_next(l, list_addpath(a, l), &off, &k) > 0)
		cb(arg, &k);
	return 0;
}

int ha_adj_out_routes(struct ha_adj_out *a, const uint8_t *msg, size_t len,
		      void (*cb)(void *arg, const struct ha_adj_out_key *key), void *arg)
{
	struct update u;
	int r = update_parse_all(a, msg, len, &u), other = 0;

	if (r)
		return r;
	/* a family not handled, announced or withdrawn (its End-of-RIB
	 * included): the caller learns it before any route is given */
	if ((u.has_reach && !af_supported(u.reach.afi, u.reach.safi)) ||
	    (u.has_unreach && !af_supported(u.unreach.afi, u.unreach.safi)))
		other = 2;
	list_routes(a, &u.withdrawn, cb, arg);
	if (u.has_unreach)
		list_routes(a, &u.unreach, cb, arg);
	if (u.has_reach)
		list_routes(a, &u.reach, cb, arg);
	list_routes(a, &u.nlri, cb, arg);
	return other;
}

int ha_adj_out_put(struct ha_adj_out *a, const struct ha_adj_out_key *key, uint64_t value,
		   uint64_t *old)
{
	struct ha_adj_out_entry *e;
	bool created;

	if (!(e = table_get(a, key, &created)))
		return -1;
	*old = e->attr_hash;
	e->attr_hash = value;
	return created ? 0 : 1;
}

/* ---- bulk entries ---- */

int ha_adj_out_set(struct ha_adj_out *a, const struct ha_adj_out_key *key, uint64_t attr_hash)
{
	struct ha_adj_out_entry *e;
	bool created;

	struct nlri_list l = { key->afi, key->safi, key->nlri, key->len };
	struct ha_adj_out_key k;
	size_t off = 0;

	/* one NLRI of the family, exactly (with its path identifier if the
	 * family has them) */
	if (!key->len || key->len > HA_ADJ_OUT_NLRI_MAX || !af_get(a, key->afi, key->safi) ||
	    nlri_next(&l, list_addpath(a, &l), &off, &k) <= 0 || off != key->len)
		return -1;
	if (!(e = table_get(a, key, &created)))
		return -1;
	e->attr_hash = attr_hash;
	return 0;
}

void ha_adj_out_entry_encode(const struct ha_adj_out_key *key, uint64_t attr_hash, uint8_t *buf)
{
	memset(buf, 0, HA_ADJ_OUT_ENTRY_LEN);
	buf[0] = key->afi >> 8;
	buf[1] = key->afi & 0xff;
	buf[2] = key->safi;
	buf[3] = key->len;
	memcpy(buf + 4, key->nlri, key->len);
	for (int i = 0; i < 8; i++)
		buf[4 + HA_ADJ_OUT_NLRI_MAX + i] = attr_hash >> (56 - 8 * i);
}

int ha_adj_out_entry_decode(const uint8_t *buf, struct ha_adj_out_key *key, uint64_t *attr_hash)
{
	memset(key, 0, sizeof(*key));
	key->afi = get16(buf);
	key->safi = buf[2];
	key->len = buf[3];
	if (!af_supported(key->afi, key->safi) || !key->len || key->len > HA_ADJ_OUT_NLRI_MAX)
		return -1;
	memcpy(key->nlri, buf + 4, key->len);
	*attr_hash = 0;
	for (int i = 0; i < 8; i++)
		*attr_hash = *attr_hash << 8 | buf[4 + HA_ADJ_OUT_NLRI_MAX + i];
	return 0;
}

/* ---- the takeover's filter ---- */

static int withdraw_stale(struct ha_adj_out *a, struct ha_adj_out_af *af,
			  void (*emit)(void *arg, const uint8_t *m, size_t len), void *arg);

void ha_adj_out_resync_begin(struct ha_adj_out *a)
{
	/* (a family the peer never had anything of is not resynchronised:
	 * everything of it goes) */
	a->gen++;
	for (size_t i = 0; i < a->naf; i++) {
		a->af[i].resync = true;
		a->af[i].eor_again = false;
	}
}

bool ha_adj_out_resync_advertised(const struct ha_adj_out *a)
{
	for (size_t i = 0; i < a->naf; i++)
		if (a->af[i].resync && !a->af[i].eor_again)
			return false;
	return true;
}

int ha_adj_out_resync_end(struct ha_adj_out *a, bool withdraw,
			  void (*emit)(void *arg, const uint8_t *m, size_t len), void *arg)
{
	int ret = 0;

	for (size_t i = 0; i < a->naf; i++) {
		struct ha_adj_out_af *af = &a->af[i];

		if (af->resync && withdraw && !a->broken && withdraw_stale(a, af, emit, arg) < 0)
			ret = -1;
		af->resync = af->eor_again = false;
	}
	return ret;
}

bool ha_adj_out_resyncing(const struct ha_adj_out *a)
{
	for (size_t i = 0; i < a->naf; i++)
		if (a->af[i].resync)
			return true;
	return false;
}

static bool list_resyncing(const struct ha_adj_out *a, const struct nlri_list *l)
{
	const struct ha_adj_out_af *af = af_find(a, l->afi, l->safi);

	return af && af->resync;
}

struct msg_buf {
	uint8_t *p;
	size_t len, size;
};

static void put(struct msg_buf *b, const void *p, size_t len)
{
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void put16(struct msg_buf *b, uint16_t v)
{
	uint8_t x[2] = { v >> 8, v & 0xff };

	put(b, x, 2);
}

static void set16(struct msg_buf *b, size_t at, uint16_t v)
{
	b->p[at] = v >> 8;
	b->p[at + 1] = v & 0xff;
}

static void put_header(struct msg_buf *b)
{
	memset(b->p, 0xff, 16);
	b->len = 16;
	put16(b, 0);
	b->p[b->len++] = BGP_MSG_UPDATE;
}

/* Withdrawals kept of l into b: those the peer has (taken out of the
 * record; the others counted as suppressed). */
static void filter_withdrawals(struct ha_adj_out *a, const struct nlri_list *l, struct msg_buf *b)
{
	struct ha_adj_out_key k;
	struct ha_adj_out_entry *e;
	size_t off = 0;

	while (nlri_next(l, list_addpath(a, l), &off, &k) > 0) {
		if (!(e = table_find(a, &k))) {
			a->withdrawals_suppressed++;
			continue;
		}
		table_del(a, e);
		put(b, k.nlri, k.len);
	}
}

/* Announcements kept of l into b: those the peer does not have with
 * these attributes (recorded; all of them marked as advertised again). */
static int filter_announcements(struct ha_adj_out *a, const struct nlri_list *l, uint64_t hash,
				struct msg_buf *b)
{
	struct ha_adj_out_key k;
	struct ha_adj_out_entry *e;
	size_t off = 0;
	bool created;

	while (nlri_next(l, list_addpath(a, l), &off, &k) > 0) {
		if (!(e = table_get(a, &k, &created)))
			return -1;
		e->gen = a->gen;
		if (!created && e->attr_hash == hash) {
			a->routes_suppressed++;
			continue;
		}
		e->attr_hash = hash;
		put(b, k.nlri, k.len);
	}
	return 0;
}

/* Attribute header with flags for a value of vlen (extended length as
 * the flags say, or when needed). */
static void put_attr_header(struct msg_buf *b, uint8_t flags, uint8_t type, size_t vlen)
{
	uint8_t h[2] = { flags | (vlen > 255 ? ATTR_FLAG_EXTLEN : 0), type };

	put(b, h, 2);
	if (h[0] & ATTR_FLAG_EXTLEN)
		put16(b, vlen);
	else
		b->p[b->len++] = vlen;
}

/* The stale routes of af withdrawn: UPDATEs of at most WITHDRAW_MSG_MAX
 * bytes, emitted. */
static int withdraw_stale(struct ha_adj_out *a, struct ha_adj_out_af *af,
			  void (*emit)(void *arg, const uint8_t *m, size_t len), void *arg)
{
	bool v4 = af->afi == AFI_IP && af->safi == SAFI_UNICAST;
	/* header, withdrawn length, attributes length, MP_UNREACH header */
	size_t fixed = HA_BGP_HEADER_LEN + 2 + 2 + (v4 ? 0 : 4 + 3);
	struct msg_buf b = { .p = malloc(WITHDRAW_MSG_MAX), .size = WITHDRAW_MSG_MAX };
	uint8_t *nlri = malloc(WITHDRAW_MSG_MAX);
	size_t nlen = 0;

	if (!b.p || !nlri) {
		free(b.p);
		free(nlri);
		return -1;
	}
	for (size_t i = 0; i <= a->nslots; i++) {
		struct ha_adj_out_entry *e = i < a->nslots ? &a->slots[i] : NULL;

		if (e && (e->state != SLOT_USED || e->key.afi != af->afi ||
			  e->key.safi != af->safi || e->gen == a->gen))
			continue;
		if (nlen && (!e || fixed + nlen + e->key.len > WITHDRAW_MSG_MAX)) {
			put_header(&b);
			if (v4) {
				put16(&b, nlen);
				put(&b, nlri, nlen);
				put16(&b, 0);
			} else {
				put16(&b, 0);
				put16(&b, 4 + 3 + nlen);
				/* optional, non-transitive, extended length (the
				 * 4 bytes of its header counted above) */
				put_attr_header(&b, 0x80 | ATTR_FLAG_EXTLEN, ATTR_MP_UNREACH_NLRI,
						3 + nlen);
				put16(&b, af->afi);
				b.p[b.len++] = af->safi;
				put(&b, nlri, nlen);
			}
			set16(&b, 16, b.len);
			emit(arg, b.p, b.len);
			nlen = 0;
		}
		if (!e)
			break;
		memcpy(nlri + nlen, e->key.nlri, e->key.len);
		nlen += e->key.len;
		table_del(a, e);
		a->stale_withdrawn++;
	}
	free(b.p);
	free(nlri);
	return 0;
}

int ha_adj_out_filter(struct ha_adj_out *a, const uint8_t *msg, size_t len,
		      void (*emit)(void *arg, const uint8_t *m, size_t len), void *arg)
{
	struct update u;
	struct msg_buf b;
	size_t wlen_at, alen_at, attrs_start, kept_w, kept_unreach = 0, kept_reach = 0, kept_nlri;
	int r;

	if (a->broken) {
		emit(arg, msg, len);
		return 0;
	}
	r = update_parse_all(a, msg, len, &u);
	if (r < 0)
		return -1;
	if (r > 0) {
		emit(arg, msg, len);
		return 0;
	}
	if (u.eor) {
		struct ha_adj_out_af *af = af_get(a, u.eor_afi, u.eor_safi);

		/* bgpd's initial advertisement of af is over; the peer gets
		 * the End-of-RIB unless it had ours already */
		if (!af || !af->resync || !af->eor)
			emit(arg, msg, len);
		if (af) {
			af->eor_again = af->resync;
			af->eor = true;
		}
		return 0;
	}
	/* a family in the message that is not being resynchronised: the
	 * message as it is */
	if ((u.withdrawn.len && !list_resyncing(a, &u.withdrawn)) ||
	    (u.nlri.len && !list_resyncing(a, &u.nlri)) ||
	    (u.has_reach && !list_resyncing(a, &u.reach)) ||
	    (u.has_unreach && !list_resyncing(a, &u.unreach))) {
		emit(arg, msg, len);
		return 0;
	}
	b.size = len;
	b.p = malloc(len);
	if (!b.p)
		return -1;
	put_header(&b);
	wlen_at = b.len;
	put16(&b, 0);
	filter_withdrawals(a, &u.withdrawn, &b);
	kept_w = b.len - wlen_at - 2;
	set16(&b, wlen_at, kept_w);
	alen_at = b.len;
	put16(&b, 0);
	attrs_start = b.len;
	/* the attributes, MP_REACH_NLRI and MP_UNREACH_NLRI with what is
	 * kept of their NLRI; the others only if something is announced */
	{
		struct msg_buf reach = { .p = malloc(len), .size = len };
		struct msg_buf unreach = { .p = malloc(len), .size = len };
		struct msg_buf nlri = { .p = malloc(len), .size = len };

		if (!reach.p || !unreach.p || !nlri.p) {
			free(reach.p);
			free(unreach.p);
			free(nlri.p);
			free(b.p);
			return -1;
		}
		if (u.has_unreach)
			filter_withdrawals(a, &u.unreach, &unreach);
		kept_unreach = unreach.len;
		if ((u.has_reach && filter_announcements(a, &u.reach, u.attr_hash, &reach) < 0) ||
		    filter_announcements(a, &u.nlri, u.attr_hash, &nlri) < 0) {
			free(reach.p);
			free(unreach.p);
			free(nlri.p);
			free(b.p);
			return -1;
		}
		kept_reach = reach.len;
		kept_nlri = nlri.len;
		for (const uint8_t *q = u.attrs, *aend = u.attrs + u.attrs_len; q < aend;) {
			size_t hl = (q[0] & ATTR_FLAG_EXTLEN) ? 4 : 3;
			size_t vl = hl == 4 ? get16(q + 2) : q[2];

			if (q[1] == ATTR_MP_REACH_NLRI) {
				if (kept_reach) {
					put_attr_header(&b, q[0], ATTR_MP_REACH_NLRI,
							u.reach_hdr + kept_reach);
					put(&b, q + hl, u.reach_hdr);
					put(&b, reach.p, kept_reach);
				}
			} else if (q[1] == ATTR_MP_UNREACH_NLRI) {
				if (kept_unreach) {
					put_attr_header(&b, q[0], ATTR_MP_UNREACH_NLRI,
							3 + kept_unreach);
					put(&b, q + hl, 3);
					put(&b, unreach.p, kept_unreach);
				}
			} else if (kept_reach || kept_nlri) {
				put(&b, q, hl + vl);
			}
			q += hl + vl;
		}
		set16(&b, alen_at, b.len - attrs_start);
		put(&b, nlri.p, kept_nlri);
		free(reach.p);
		free(unreach.p);
		free(nlri.p);
	}
	set16(&b, 16, b.len);
	if (kept_w || kept_unreach || kept_reach || kept_nlri)
		emit(arg, b.len == len ? msg : b.p, b.len);
	free(b.p);
	return 0;
}
