// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/ha_adj_out.c: the Adj-RIB-Out as sent, and the
 * takeover's filter that sends a peer only what it has not got; and for
 * lib/ha_bgp_compact.c, the compaction of a session's log of the peer's
 * messages, built on the same table and UPDATE parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ha_adj_out.h"
#include "ha_bgp_compact.h"

/* ---- building UPDATEs ---- */

struct msg {
	uint8_t b[4096];
	size_t len;
};

static void put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void put8(struct msg *m, uint8_t v)
{
	put(m, &v, 1);
}

static void put16(struct msg *m, uint16_t v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void set16(struct msg *m, size_t at, uint16_t v)
{
	m->b[at] = v >> 8;
	m->b[at + 1] = v & 0xff;
}

/* IPv4 /24s 10.0.x.0 for each x in xs (n of them), optionally with path id */
static size_t v4_nlri(uint8_t *out, const int *xs, int n, const uint32_t *ids)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		if (ids) {
			out[len++] = ids[i] >> 24;
			out[len++] = ids[i] >> 16;
			out[len++] = ids[i] >> 8;
			out[len++] = ids[i];
		}
		out[len++] = 24;
		out[len++] = 10;
		out[len++] = 0;
		out[len++] = xs[i];
	}
	return len;
}

/* 2001:db8:x::/48 for each x */
static size_t v6_nlri(uint8_t *out, const int *xs, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		uint8_t p[6] = { 0x20, 0x01, 0x0d, 0xb8, 0, xs[i] };

		out[len++] = 48;
		memcpy(out + len, p, 6);
		len += 6;
	}
	return len;
}

static void header(struct msg *m)
{
	m->len = 0;
	memset(m->b, 0xff, 16);
	m->len = 16;
	put16(m, 0);
	put8(m, 2);
}

/* attributes: ORIGIN IGP, AS_PATH (one AS: asn), NEXT_HOP 10.0.1.1, MED med */
static void v4_attrs(struct msg *m, uint32_t asn, uint32_t med)
{
	uint8_t origin[] = { 0x40, 1, 1, 0 };
	uint8_t aspath[] = { 0x40, 2, 6, 2, 1, asn >> 24, asn >> 16, asn >> 8, asn };
	uint8_t nh[] = { 0x40, 3, 4, 10, 0, 1, 1 };
	uint8_t m_[] = { 0x80, 4, 4, med >> 24, med >> 16, med >> 8, med };

	put(m, origin, sizeof(origin));
	put(m, aspath, sizeof(aspath));
	put(m, nh, sizeof(nh));
	put(m, m_, sizeof(m_));
}

static struct msg v4_update(const int *wd, int nwd, const int *ann, int nann, uint32_t med,
			    const uint32_t *ids)
{
	struct msg m;
	uint8_t n[1024];
	size_t at, len;

	header(&m);
	len = v4_nlri(n, wd, nwd, ids);
	put16(&m, len);
	put(&m, n, len);
	at = m.len;
	put16(&m, 0);
	if (nann)
		v4_attrs(&m, 65001, med);
	set16(&m, at, m.len - at - 2);
	len = v4_nlri(n, ann, nann, ids ? ids + nwd : NULL);
	put(&m, n, len);
	set16(&m, 16, m.len);
	return m;
}

static struct msg v6_update(const int *ann, int nann, const int *wd, int nwd, uint32_t med)
{
	struct msg m;
	uint8_t n[1024], nh[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	size_t at, len;

	header(&m);
	put16(&m, 0);
	at = m.len;
	put16(&m, 0);
	if (nann) {
		v4_attrs(&m, 65001, med);
		len = v6_nlri(n, ann, nann);
		put8(&m, 0x90);
		put8(&m, 14);
		put16(&m, 5 + 16 + len);
		put16(&m, 2);
		put8(&m, 1);
		put8(&m, 16);
		put(&m, nh, 16);
		put8(&m, 0);
		put(&m, n, len);
	}
	if (nwd || !nann) {
		len = v6_nlri(n, wd, nwd);
		put8(&m, 0x90);
		put8(&m, 15);
		put16(&m, 3 + len);
		put16(&m, 2);
		put8(&m, 1);
		put(&m, n, len);
	}
	set16(&m, at, m.len - at - 2);
	set16(&m, 16, m.len);
	return m;
}

static struct msg v4_eor(void)
{
	return v4_update(NULL, 0, NULL, 0, 0, NULL);
}

/* ---- what the filter emits, applied to a second record: the peer ---- */

struct emitted {
	int n;
	struct msg m[16];
};

static void emit(void *arg, const uint8_t *m, size_t len)
{
	struct emitted *e = arg;

	assert_true(e->n < 16);
	assert_true(len <= sizeof(e->m[0].b));
	memcpy(e->m[e->n].b, m, len);
	e->m[e->n].len = len;
	e->n++;
}

static int apply(struct ha_adj_out *a, struct msg m)
{
	return ha_adj_out_apply(a, m.b, m.len);
}

static int filter(struct ha_adj_out *a, struct msg m, struct emitted *e)
{
	return ha_adj_out_filter(a, m.b, m.len, emit, e);
}

/* Whether record a has the route key of the n-th NLRI of msg m built by
 * the helpers, with the attributes of m. */
static struct ha_adj_out_key v4_key(int x)
{
	struct ha_adj_out_key k = { .afi = 1, .safi = 1, .len = 4, .nlri = { 24, 10, 0, x } };

	return k;
}

struct found {
	struct ha_adj_out_key key;
	bool found;
	uint64_t hash;
};

static void find_cb(void *arg, const struct ha_adj_out_key *key, uint64_t hash)
{
	struct found *f = arg;

	if (key->afi == f->key.afi && key->safi == f->key.safi && key->len == f->key.len &&
	    !memcmp(key->nlri, f->key.nlri, key->len)) {
		f->found = true;
		f->hash = hash;
	}
}

static bool has(const struct ha_adj_out *a, struct ha_adj_out_key k, uint64_t *hash)
{
	struct found f = { .key = k };

	ha_adj_out_walk(a, find_cb, &f);
	if (hash)
		*hash = f.hash;
	return f.found;
}

/* ---- tests ---- */

static void test_record_follows_our_updates(void **state)
{
	struct ha_adj_out a;
	int ann[] = { 1, 2, 3 }, wd[] = { 2 }, v6[] = { 7, 8 }, v6wd[] = { 8 };
	uint64_t h1, h3;

	ha_adj_out_init(&a);
	assert_int_equal(apply(&a, v4_update(NULL, 0, ann, 3, 10, NULL)), 0);
	assert_int_equal(ha_adj_out_count(&a), 3);
	assert_int_equal(apply(&a, v4_update(wd, 1, NULL, 0, 0, NULL)), 0);
	assert_int_equal(ha_adj_out_count(&a), 2);
	assert_false(has(&a, v4_key(2), NULL));
	/* the same route again with another MED: another hash */
	assert_true(has(&a, v4_key(1), &h1));
	assert_int_equal(apply(&a, v4_update(NULL, 0, ann + 2, 1, 20, NULL)), 0);
	assert_true(has(&a, v4_key(3), &h3));
	assert_true(h1 != h3);
	assert_false(ha_adj_out_eor(&a, 1, 1));
	assert_int_equal(apply(&a, v4_eor()), 0);
	assert_true(ha_adj_out_eor(&a, 1, 1));
	assert_int_equal(ha_adj_out_count(&a), 2);
	/* IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI, and its End-of-RIB */
	assert_int_equal(apply(&a, v6_update(v6, 2, NULL, 0, 10)), 0);
	assert_int_equal(ha_adj_out_count(&a), 4);
	assert_int_equal(apply(&a, v6_update(NULL, 0, v6wd, 1, 0)), 0);
	assert_int_equal(ha_adj_out_count(&a), 3);
	assert_false(ha_adj_out_eor(&a, 2, 1));
	assert_int_equal(apply(&a, v6_update(NULL, 0, NULL, 0, 0)), 0);
	assert_true(ha_adj_out_eor(&a, 2, 1));
	/* a KEEPALIVE: nothing */
	{
		uint8_t ka[19];

		memset(ka, 0xff, 16);
		ka[16] = 0;
		ka[17] = 19;
		ka[18] = 4;
		assert_int_equal(ha_adj_out_apply(&a, ka, sizeof(ka)), 0);
	}
	assert_int_equal(ha_adj_out_count(&a), 3);
	ha_adj_out_clear(&a);
}

/*
 * The takeover: the peer has 1..5 (and our End-of-RIB); bgpd advertises
 * again 1, 2 unchanged, 3 with another MED, 6 new, withdraws 9 (the peer
 * never had it) and not 4, 5 (gone meanwhile).  The peer gets 3 and 6,
 * then the withdrawal of 4 and 5, and no second End-of-RIB -- and ends
 * with exactly what bgpd advertised.
 */
static void test_takeover_sends_only_the_difference(void **state)
{
	struct ha_adj_out a, peer;
	int have[] = { 1, 2, 3, 4, 5 }, same[] = { 1, 2 }, changed[] = { 3 }, added[] = { 6 },
	    gone[] = { 9 };
	struct emitted e = {};
	uint64_t h;

	ha_adj_out_init(&a);
	ha_adj_out_init(&peer);
	assert_int_equal(apply(&a, v4_update(NULL, 0, have, 5, 10, NULL)), 0);
	assert_int_equal(apply(&a, v4_eor()), 0);
	assert_int_equal(apply(&peer, v4_update(NULL, 0, have, 5, 10, NULL)), 0);

	ha_adj_out_resync_begin(&a);
	assert_true(ha_adj_out_resyncing(&a));
	assert_int_equal(filter(&a, v4_update(NULL, 0, same, 2, 10, NULL), &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(filter(&a, v4_update(NULL, 0, changed, 1, 20, NULL), &e), 0);
	assert_int_equal(e.n, 1);
	assert_memory_equal(e.m[0].b, v4_update(NULL, 0, changed, 1, 20, NULL).b, e.m[0].len);
	assert_int_equal(filter(&a, v4_update(NULL, 0, added, 1, 10, NULL), &e), 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(filter(&a, v4_update(gone, 1, NULL, 0, 0, NULL), &e), 0);
	assert_int_equal(e.n, 2);
	/* bgpd's End-of-RIB: the peer has ours already */
	assert_false(ha_adj_out_resync_advertised(&a));
	assert_int_equal(filter(&a, v4_eor(), &e), 0);
	assert_int_equal(e.n, 2);
	assert_true(ha_adj_out_resync_advertised(&a));
	assert_true(ha_adj_out_resyncing(&a));
	/* the end: the withdrawal of 4 and 5 */
	assert_int_equal(ha_adj_out_resync_end(&a, true, emit, &e), 0);
	assert_int_equal(e.n, 3);
	assert_false(ha_adj_out_resyncing(&a));
	for (int i = 0; i < e.n; i++)
		assert_int_equal(ha_adj_out_apply(&peer, e.m[i].b, e.m[i].len), 0);
	assert_int_equal(ha_adj_out_count(&peer), 4);
	for (int x = 1; x <= 6; x++)
		assert_int_equal(has(&peer, v4_key(x), NULL), x != 4 && x != 5);
	assert_true(has(&peer, v4_key(3), &h));
	{
		uint64_t h20;
		struct ha_adj_out t;

		ha_adj_out_init(&t);
		apply(&t, v4_update(NULL, 0, changed, 1, 20, NULL));
		assert_true(has(&t, v4_key(3), &h20));
		assert_true(h == h20);
		ha_adj_out_clear(&t);
	}
	assert_int_equal(a.routes_suppressed, 2);
	assert_int_equal(a.withdrawals_suppressed, 1);
	assert_int_equal(a.stale_withdrawn, 2);
	/* the resync is over: what bgpd sends next passes as it is */
	e.n = 0;
	assert_int_equal(filter(&a, v4_update(NULL, 0, same, 2, 10, NULL), &e), 0);
	assert_int_equal(e.n, 1);
	ha_adj_out_clear(&a);
	ha_adj_out_clear(&peer);
}

/* An MP_REACH_NLRI with some routes the peer has: rewritten with the
 * others only, the other attributes and the next hop as they were; an
 * End-of-RIB the peer never had goes. */
static void test_mp_reach_rewritten(void **state)
{
	struct ha_adj_out a, peer;
	int have[] = { 1, 2, 5 }, again[] = { 1, 2, 3, 4 }, rest[] = { 3, 4 }, gone[] = { 5 };
	struct emitted e = {};
	struct msg expect = v6_update(rest, 2, NULL, 0, 10);
	struct msg withdrawal = v6_update(NULL, 0, gone, 1, 0);

	ha_adj_out_init(&a);
	ha_adj_out_init(&peer);
	assert_int_equal(apply(&a, v6_update(have, 3, NULL, 0, 10)), 0);
	assert_int_equal(apply(&peer, v6_update(have, 3, NULL, 0, 10)), 0);
	ha_adj_out_resync_begin(&a);
	assert_int_equal(filter(&a, v6_update(again, 4, NULL, 0, 10), &e), 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.m[0].len, expect.len);
	assert_memory_equal(e.m[0].b, expect.b, expect.len);
	/* the End-of-RIB the peer never had goes; at the end 5 is withdrawn
	 * (MP_UNREACH_NLRI) */
	assert_int_equal(filter(&a, v6_update(NULL, 0, NULL, 0, 0), &e), 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(ha_adj_out_resync_end(&a, true, emit, &e), 0);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.m[2].len, withdrawal.len);
	assert_memory_equal(e.m[2].b, withdrawal.b, withdrawal.len);
	for (int i = 0; i < e.n; i++)
		assert_int_equal(apply(&peer, e.m[i]), 0);
	assert_int_equal(ha_adj_out_count(&peer), 4);
	assert_true(ha_adj_out_eor(&peer, 2, 1));
	ha_adj_out_clear(&a);
	ha_adj_out_clear(&peer);
}

/* Ended without withdrawing: the routes bgpd did not advertise again
 * stay (the peer keeps them), nothing is emitted. */
static void test_resync_end_keeping(void **state)
{
	struct ha_adj_out a;
	int have[] = { 1, 2 }, again[] = { 1 };
	struct emitted e = {};

	ha_adj_out_init(&a);
	assert_int_equal(apply(&a, v4_update(NULL, 0, have, 2, 10, NULL)), 0);
	ha_adj_out_resync_begin(&a);
	assert_int_equal(filter(&a, v4_update(NULL, 0, again, 1, 10, NULL), &e), 0);
	assert_int_equal(ha_adj_out_resync_end(&a, false, emit, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(ha_adj_out_count(&a), 2);
	assert_false(ha_adj_out_resyncing(&a));
	ha_adj_out_clear(&a);
}

/* With add-path the path identifier is part of the route. */
static void test_addpath(void **state)
{
	struct ha_adj_out a;
	int ann[] = { 1, 1 };
	uint32_t ids[] = { 1, 2 };

	ha_adj_out_init(&a);
	ha_adj_out_set_addpath(&a, 1, 1, true);
	assert_int_equal(apply(&a, v4_update(NULL, 0, ann, 2, 10, ids)), 0);
	assert_int_equal(ha_adj_out_count(&a), 2);
	assert_int_equal(apply(&a, v4_update(ann, 1, NULL, 0, 0, ids + 1)), 0);
	assert_int_equal(ha_adj_out_count(&a), 1);
	ha_adj_out_clear(&a);
}

/* The bulk copy: every route encoded and decoded again, End-of-RIBs. */
struct copy {
	struct ha_adj_out *to;
	int n;
};

static void copy_cb(void *arg, const struct ha_adj_out_key *key, uint64_t hash)
{
	struct copy *c = arg;
	uint8_t buf[HA_ADJ_OUT_ENTRY_LEN];
	struct ha_adj_out_key k;
	uint64_t h;

	ha_adj_out_entry_encode(key, hash, buf);
	assert_int_equal(ha_adj_out_entry_decode(buf, &k, &h), 0);
	assert_int_equal(ha_adj_out_set(c->to, &k, h), 0);
	c->n++;
}

static void test_bulk_copy(void **state)
{
	struct ha_adj_out a, b;
	int xs[200];
	struct copy c = { .to = &b };
	uint8_t buf[HA_ADJ_OUT_ENTRY_LEN] = { 0, 1, 1, 22 };
	struct ha_adj_out_key k;
	uint64_t h, hb;

	for (int i = 0; i < 200; i++)
		xs[i] = i;
	ha_adj_out_init(&a);
	ha_adj_out_init(&b);
	assert_int_equal(apply(&a, v4_update(NULL, 0, xs, 200, 10, NULL)), 0);
	assert_int_equal(apply(&a, v6_update(xs, 100, NULL, 0, 10)), 0);
	ha_adj_out_walk(&a, copy_cb, &c);
	assert_int_equal(c.n, 300);
	assert_int_equal(ha_adj_out_count(&b), 300);
	assert_true(has(&a, v4_key(7), &h));
	assert_true(has(&b, v4_key(7), &hb));
	assert_true(h == hb);
	/* an entry that is not one */
	assert_int_equal(ha_adj_out_entry_decode(buf, &k, &h), -1);
	buf[3] = 0;
	assert_int_equal(ha_adj_out_entry_decode(buf, &k, &h), -1);
	buf[3] = 4;
	buf[2] = 128;
	assert_int_equal(ha_adj_out_entry_decode(buf, &k, &h), -1);
	/* a key that is not one NLRI: a /24 in 5 bytes, a /33 */
	k = v4_key(1);
	k.len = 5;
	assert_int_equal(ha_adj_out_set(&b, &k, 1), -1);
	k = v4_key(1);
	k.nlri[0] = 33;
	assert_int_equal(ha_adj_out_set(&b, &k, 1), -1);
	assert_int_equal(ha_adj_out_count(&b), 300);
	ha_adj_out_clear(&a);
	ha_adj_out_clear(&b);
}

/* Messages that do not parse: refused, the record void, the filter lets
 * the message pass as it is (the caller sends it). */
static void test_refused(void **state)
{
	struct ha_adj_out a;
	int ann[] = { 1 };
	struct msg m = v4_update(NULL, 0, ann, 1, 10, NULL), bad;
	struct emitted e = {};

	ha_adj_out_init(&a);
	/* every truncation of a whole message */
	for (size_t cut = 0; cut < m.len; cut++)
		assert_int_equal(ha_adj_out_apply(&a, m.b, cut), -1);
	ha_adj_out_clear(&a);
	/* a prefix length beyond 32 */
	bad = m;
	bad.b[bad.len - 4] = 33;
	ha_adj_out_init(&a);
	assert_int_equal(apply(&a, bad), -1);
	assert_true(a.broken);
	assert_true(a.why[0]);
	ha_adj_out_clear(&a);
	/* an attribute running past the attributes */
	bad = m;
	bad.b[19 + 2 + 2 + 2] = 200;
	ha_adj_out_init(&a);
	assert_int_equal(apply(&a, bad), -1);
	ha_adj_out_clear(&a);
	ha_adj_out_init(&a);
	ha_adj_out_resync_begin(&a);
	assert_int_equal(ha_adj_out_filter(&a, bad.b, bad.len, emit, &e), -1);
	assert_int_equal(e.n, 0);
	ha_adj_out_clear(&a);
}

/* ---- the compaction of a log of the peer's messages ---- */

/* An OPEN with the add-path capability for IPv4 unicast (sr: 1 receive,
 * 2 send, 3 both; 0: no such capability); ext: RFC 9072's extended
 * optional parameters. */
static struct msg open_msg(uint8_t sr, bool ext)
{
	struct msg m;
	uint8_t caps[] = { 1,  4, 0, 1, 0, 1, /* multiprotocol IPv4 unicast */
			   69, 4, 0, 1, 1, sr };
	size_t clen = sr ? sizeof(caps) : 6;

	header(&m);
	m.b[18] = 1;
	put8(&m, 4);
	put16(&m, 65001);
	put16(&m, 9);
	put16(&m, 0x0aff);
	put16(&m, 1);
	if (ext) {
		put8(&m, 255);
		put8(&m, 255);
		put16(&m, 3 + clen);
		put8(&m, 2);
		put16(&m, clen);
	} else {
		put8(&m, 2 + clen);
		put8(&m, 2);
		put8(&m, clen);
	}
	put(&m, caps, clen);
	set16(&m, 16, m.len);
	return m;
}

/* The add-path mask the peer's NLRI carry, from our OPEN with add-path
 * send/receive ours_sr and the peer's with peers_sr (ext: RFC 9072's
 * extended parameters in both), or -1. */
static int64_t addpath_rx(uint8_t ours_sr, uint8_t peers_sr, bool ext)
{
	struct msg ours = open_msg(ours_sr, ext), peers = open_msg(peers_sr, ext);
	uint32_t mask;
	char why[160];

	if (ha_bgp_open_addpath_rx(ours.b, ours.len, peers.b, peers.len, &mask, why, sizeof(why)) <
	    0)
		return -1;
	return mask;
}

static void test_open_addpath(void **state)
{
	struct msg ours = open_msg(3, true), peers = open_msg(3, true);
	uint32_t mask;
	char why[160];

	/* we receive, the peer sends: identifiers */
	assert_int_equal(addpath_rx(1, 2, false), 1);
	/* both only receive, or no capability: none */
	assert_int_equal(addpath_rx(1, 1, false), 0);
	assert_int_equal(addpath_rx(0, 3, true), 0);
	assert_int_equal(addpath_rx(3, 3, true), 1);
	/* every truncation refused */
	for (size_t cut = 0; cut < peers.len; cut++) {
		struct msg t = peers;

		set16(&t, 16, cut);
		assert_int_equal(ha_bgp_open_addpath_rx(ours.b, ours.len, t.b, cut, &mask, why,
							sizeof(why)),
				 -1);
	}
	/* a capability running past its parameter */
	peers = open_msg(2, false);
	peers.b[peers.len - 5] = 9;
	assert_int_equal(ha_bgp_open_addpath_rx(ours.b, ours.len, peers.b, peers.len, &mask, why,
						sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "capability"));
}

struct logged {
	struct ha_bgp_compact_msg cm; /* first: the drop callback casts */
	struct msg m;
	bool dropped;
};

static void dropped_cb(void *arg, struct ha_bgp_compact_msg *old)
{
	struct logged *l = (struct logged *)old;

	assert_false(l->dropped);
	l->dropped = true;
	(*(int *)arg)++;
}

/* The routes a replay of msgs (those not dropped, or all) gives a
 * receiver: a record built from them is its Adj-RIB-In. */
static void replay(struct logged *log, int n, bool kept_only, uint32_t addpath,
		   struct ha_adj_out *rib)
{
	ha_adj_out_init(rib);
	ha_adj_out_set_addpath(rib, 1, 1, addpath & 1);
	for (int i = 0; i < n; i++)
		if (!kept_only || !log[i].dropped)
			apply(rib, log[i].m);
}

struct same {
	const struct ha_adj_out *other;
	int differ;
};

static void same_cb(void *arg, const struct ha_adj_out_key *key, uint64_t hash)
{
	struct same *s = arg;
	uint64_t h;

	if (!has(s->other, *key, &h) || h != hash)
		s->differ++;
}

static void assert_same_routes(const struct ha_adj_out *a, const struct ha_adj_out *b)
{
	struct same s = { .other = b };

	assert_int_equal(ha_adj_out_count(a), ha_adj_out_count(b));
	ha_adj_out_walk(a, same_cb, &s);
	assert_int_equal(s.differ, 0);
}

#define CHURN_MSGS 3000

/* Random churn on 40 IPv4 and 40 IPv6 routes: what is left of the log
 * gives a receiver the same routes as the whole log, after every
 * message; the log stays bounded by the routes; a log rebuilt from what
 * is left loses nothing more. */
static void churn(bool addpath)
{
	static struct logged log[CHURN_MSGS], copy[CHURN_MSGS];
	struct msg ours = open_msg(addpath ? 1 : 0, false), peers = open_msg(addpath ? 2 : 0, false);
	struct ha_bgp_compact c, c2;
	struct ha_adj_out all, kept;
	uint32_t rnd = 12345, ids[8];
	int drops = 0, drops2 = 0, left = 0, n = 0;

	ha_bgp_compact_init(&c);
	assert_int_equal(ha_bgp_compact_set_opens(&c, ours.b, ours.len, peers.b, peers.len), 0);
	for (int i = 0; i < CHURN_MSGS; i++) {
		int a[4], w[4], na, nw;

		rnd = rnd * 1103515245 + 12345;
		na = (rnd >> 8) % 4;
		nw = (rnd >> 12) % 3;
		if (!na && !nw)
			na = 1; /* not an End-of-RIB: those are kept */
		for (int j = 0; j < 4; j++) {
			rnd = rnd * 1103515245 + 12345;
			a[j] = (rnd >> 16) % 40;
			w[j] = (rnd >> 24) % 40;
			ids[j] = ids[4 + j] = 1 + (rnd >> 4) % 2;
		}
		if ((rnd >> 7) % 2)
			log[i].m = v4_update(w, nw, a, na, (rnd >> 20) % 5, addpath ? ids : NULL);
		else
			log[i].m = v6_update(a, na, w, nw, (rnd >> 20) % 5);
		log[i].dropped = false;
		ha_bgp_compact_add(&c, &log[i].cm, log[i].m.b, log[i].m.len, dropped_cb, &drops);
		n = i + 1;
		if (i % 97 == 0 || i == CHURN_MSGS - 1) {
			replay(log, n, false, addpath, &all);
			replay(log, n, true, addpath, &kept);
			assert_same_routes(&all, &kept);
			ha_adj_out_clear(&all);
			ha_adj_out_clear(&kept);
		}
	}
	for (int i = 0; i < n; i++)
		if (!log[i].dropped)
			copy[left++] = log[i];
	assert_int_equal(drops, n - left);
	assert_int_equal(c.dropped, drops);
	/* at most one message per route left (each its last mention) */
	assert_true(left <= (addpath ? 2 * 40 : 40) + 40);
	assert_true(drops > CHURN_MSGS / 2);
	/* the bulk copy: rebuilt from what is left, nothing more dropped */
	ha_bgp_compact_init(&c2);
	assert_int_equal(ha_bgp_compact_set_opens(&c2, ours.b, ours.len, peers.b, peers.len), 0);
	for (int i = 0; i < left; i++) {
		copy[i].dropped = false;
		ha_bgp_compact_add(&c2, &copy[i].cm, copy[i].m.b, copy[i].m.len, dropped_cb,
				   &drops2);
	}
	assert_int_equal(drops2, 0);
	ha_bgp_compact_clear(&c);
	ha_bgp_compact_clear(&c2);
}

static void test_compact_churn(void **state)
{
	churn(false);
}

static void test_compact_churn_addpath(void **state)
{
	churn(true);
}

/* Kept whatever comes later: End-of-RIB, non-UPDATEs, other families,
 * messages that do not parse, everything when the OPENs do not parse. */
static void test_compact_pins(void **state)
{
	struct msg ours = open_msg(0, false), peers = open_msg(0, false), rr, other, bad;
	static struct logged l[8];
	struct ha_bgp_compact c;
	int one[] = { 1 }, drops = 0;

	ha_bgp_compact_init(&c);
	assert_int_equal(ha_bgp_compact_set_opens(&c, ours.b, ours.len, peers.b, peers.len), 0);
	l[0].m = v4_eor();
	header(&rr);
	rr.b[18] = 5;
	put16(&rr, 1);
	put8(&rr, 0);
	put8(&rr, 1);
	set16(&rr, 16, rr.len);
	l[1].m = rr;
	/* an UPDATE announcing route 1 and an L2VPN EVPN route */
	{
		uint8_t evpn[] = { 0x80, 14, 11, 0, 25, 70, 4, 10, 0, 1, 1, 0, 1, 0 };
		size_t at;

		header(&other);
		put16(&other, 0);
		at = other.len;
		put16(&other, 0);
		v4_attrs(&other, 65001, 1);
		put(&other, evpn, sizeof(evpn));
		set16(&other, at, other.len - at - 2);
		other.len += v4_nlri(other.b + other.len, one, 1, NULL);
		set16(&other, 16, other.len);
	}
	l[2].m = other;
	bad = v4_update(NULL, 0, one, 1, 1, NULL);
	bad.b[bad.len - 4] = 33;
	l[3].m = bad;
	/* each mentioned again: none dropped */
	l[4].m = v4_update(one, 1, NULL, 0, 0, NULL);
	l[5].m = v4_eor();
	for (int i = 0; i < 6; i++)
		ha_bgp_compact_add(&c, &l[i].cm, l[i].m.b, l[i].m.len, dropped_cb, &drops);
	for (int i = 0; i < 4; i++)
		assert_true(l[i].cm.pinned);
	assert_false(l[4].cm.pinned);
	assert_int_equal(drops, 0);
	ha_bgp_compact_clear(&c);
	/* the OPENs do not parse: nothing is ever dropped */
	peers.len = 20;
	ha_bgp_compact_init(&c);
	assert_int_equal(ha_bgp_compact_set_opens(&c, ours.b, ours.len, peers.b, peers.len), -1);
	assert_true(c.why[0]);
	l[6].m = v4_update(NULL, 0, one, 1, 1, NULL);
	l[7].m = v4_update(one, 1, NULL, 0, 0, NULL);
	ha_bgp_compact_add(&c, &l[6].cm, l[6].m.b, l[6].m.len, dropped_cb, &drops);
	ha_bgp_compact_add(&c, &l[7].cm, l[7].m.b, l[7].m.len, dropped_cb, &drops);
	assert_int_equal(drops, 0);
	assert_true(l[6].cm.pinned && l[7].cm.pinned);
	ha_bgp_compact_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_follows_our_updates),
		cmocka_unit_test(test_takeover_sends_only_the_difference),
		cmocka_unit_test(test_mp_reach_rewritten),
		cmocka_unit_test(test_resync_end_keeping),
		cmocka_unit_test(test_addpath),
		cmocka_unit_test(test_bulk_copy),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_open_addpath),
		cmocka_unit_test(test_compact_churn),
		cmocka_unit_test(test_compact_churn_addpath),
		cmocka_unit_test(test_compact_pins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
