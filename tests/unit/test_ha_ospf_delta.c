// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of lib/ha_ospf_delta.c: ospfd-ha's deltas from the other card
 * decoded when they add up, refused with a reason when they do not (bad
 * addresses, states out of range, an LSA whose length or checksum is
 * wrong, fields of another version).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frrha.pb-c.h"
#include "ha_ospf_delta.h"

/* A router LSA (10.255.0.1, seq 0x80000005, one stub link) whose checksum
 * was computed apart from lib/ (RFC 905's algorithm, in Python). */
static const uint8_t router_lsa[] = {
	0x00, 0x01, 0x02, 0x01, 0x0a, 0xff, 0x00, 0x01, 0x0a, 0xff, 0x00, 0x01,
	0x80, 0x00, 0x00, 0x05, 0xb8, 0x6d, 0x00, 0x24, 0x00, 0x00, 0x00, 0x01,
	0x0a, 0x00, 0x02, 0x00, 0xff, 0xff, 0xff, 0xfc, 0x03, 0x00, 0x00, 0x0a,
};

static char err[256];

static uint8_t *pack_lsa(const uint8_t *lsa, size_t lsa_len, bool removed, size_t *len)
{
	Frrha__DeltaOspfLsa m = FRRHA__DELTA_OSPF_LSA__INIT;
	uint8_t *buf;

	m.area = 0;
	m.lsa.data = (uint8_t *)lsa;
	m.lsa.len = lsa_len;
	m.age = removed ? 3600 : 12;
	m.maxage_msec = 4321;
	m.removed = removed;
	*len = frrha__delta_ospf_lsa__get_packed_size(&m);
	buf = malloc(*len);
	frrha__delta_ospf_lsa__pack(&m, buf);
	return buf;
}

static int decode_lsa(const uint8_t *lsa, size_t lsa_len, bool removed, struct ha_ospf_lsa *out,
		      void **msg)
{
	size_t len;
	uint8_t *buf = pack_lsa(lsa, lsa_len, removed, &len);
	int ret;

	err[0] = '\0';
	ret = ha_ospf_lsa_decode(buf, len, out, msg, err, sizeof(err));
	free(buf);
	return ret;
}

static void test_lsa_checksum(void **state)
{
	uint8_t lsa[sizeof(router_lsa)];

	assert_true(ha_ospf_lsa_checksum_ok(router_lsa, sizeof(router_lsa)));
	memcpy(lsa, router_lsa, sizeof(lsa));
	/* the age is not covered */
	lsa[0] = 0x0e;
	lsa[1] = 0x10;
	assert_true(ha_ospf_lsa_checksum_ok(lsa, sizeof(lsa)));
	/* any other byte is */
	for (size_t i = 2; i < sizeof(lsa); i++) {
		memcpy(lsa, router_lsa, sizeof(lsa));
		lsa[i] ^= 0x01;
		assert_false(ha_ospf_lsa_checksum_ok(lsa, sizeof(lsa)));
	}
	assert_false(ha_ospf_lsa_checksum_ok(router_lsa, 19));
}

static void test_lsa_accepted(void **state)
{
	struct ha_ospf_lsa d;
	void *msg = NULL;

	assert_int_equal(decode_lsa(router_lsa, sizeof(router_lsa), false, &d, &msg), 0);
	assert_int_equal(d.type, 1);
	assert_int_equal(d.len, sizeof(router_lsa));
	assert_memory_equal(d.lsa, router_lsa, sizeof(router_lsa));
	assert_int_equal(d.age, 12);
	/* not at MaxAge: no time at MaxAge */
	assert_int_equal(d.maxage_msec, 0);
	assert_false(d.has_if);
	ha_ospf_delta_free(msg);
	/* removed: its header (at MaxAge, since 4.321 s) */
	assert_int_equal(decode_lsa(router_lsa, 20, true, &d, &msg), 0);
	assert_true(d.removed);
	assert_int_equal(d.age, 3600);
	assert_int_equal(d.maxage_msec, 4321);
	ha_ospf_delta_free(msg);
}

static void test_lsa_refused(void **state)
{
	uint8_t lsa[sizeof(router_lsa)];
	struct ha_ospf_lsa d;
	void *msg = NULL;

	assert_int_equal(decode_lsa(router_lsa, 19, false, &d, &msg), -1);
	assert_non_null(strstr(err, "shorter than its header"));
	/* the header says 36 bytes, 35 came */
	assert_int_equal(decode_lsa(router_lsa, sizeof(router_lsa) - 1, false, &d, &msg), -1);
	assert_non_null(strstr(err, "length 36 in its header"));
	memcpy(lsa, router_lsa, sizeof(lsa));
	lsa[sizeof(lsa) - 1] ^= 0x40;
	assert_int_equal(decode_lsa(lsa, sizeof(lsa), false, &d, &msg), -1);
	assert_non_null(strstr(err, "bad checksum"));
	assert_non_null(strstr(err, "1/10.255.0.1/10.255.0.1 seq 0x80000005"));
	memcpy(lsa, router_lsa, sizeof(lsa));
	lsa[3] = 12;
	assert_int_equal(decode_lsa(lsa, sizeof(lsa), false, &d, &msg), -1);
	assert_non_null(strstr(err, "unknown type 12"));
	lsa[3] = 0;
	assert_int_equal(decode_lsa(lsa, sizeof(lsa), false, &d, &msg), -1);
	/* removed, but more than a header */
	assert_int_equal(decode_lsa(router_lsa, sizeof(router_lsa), true, &d, &msg), -1);
	/* not a message at all */
	assert_int_equal(ha_ospf_lsa_decode((const uint8_t *)"\xff\xff\xff", 3, &d, &msg, err,
					    sizeof(err)),
			 -1);
}

static uint8_t *pack_interface(const char *ifname, const char *addr, uint32_t state, size_t *len)
{
	Frrha__DeltaOspfInterface m = FRRHA__DELTA_OSPF_INTERFACE__INIT;
	uint8_t *buf;

	m.ifname = (char *)ifname;
	m.address = (char *)addr;
	m.area = 1;
	m.state = state;
	m.dr = (char *)"10.0.1.1";
	m.bdr = (char *)"10.0.1.2";
	m.crypt_seqnum = 77;
	*len = frrha__delta_ospf_interface__get_packed_size(&m);
	buf = malloc(*len);
	frrha__delta_ospf_interface__pack(&m, buf);
	return buf;
}

static void test_interface(void **state)
{
	struct ha_ospf_interface d;
	void *msg = NULL;
	uint8_t *buf;
	size_t len;

	buf = pack_interface("r1-eth0", "10.0.1.1", 7, &len);
	assert_int_equal(ha_ospf_interface_decode(buf, len, &d, &msg, err, sizeof(err)), 0);
	assert_string_equal(d.key.ifname, "r1-eth0");
	assert_int_equal(d.state, 7);
	assert_int_equal(d.area, 1);
	assert_int_equal(d.crypt_seqnum, 77);
	assert_int_equal(ntohl(d.dr.s_addr), 0x0a000101);
	ha_ospf_delta_free(msg);
	free(buf);
	buf = pack_interface("r1-eth0", "10.0.1.1", 8, &len);
	assert_int_equal(ha_ospf_interface_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "state 8 unknown"));
	free(buf);
	buf = pack_interface("r1-eth0", "not an address", 7, &len);
	assert_int_equal(ha_ospf_interface_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	free(buf);
	buf = pack_interface("an-interface-name-too-long", "10.0.1.1", 7, &len);
	assert_int_equal(ha_ospf_interface_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	free(buf);
	buf = pack_interface("", "10.0.1.1", 7, &len);
	assert_int_equal(ha_ospf_interface_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	free(buf);
}

static void test_unknown_fields_refused(void **state)
{
	uint8_t buf[512];
	size_t len;
	uint8_t *b = pack_interface("r1-eth0", "10.0.1.1", 7, &len);
	struct ha_ospf_interface d;
	void *msg = NULL;

	memcpy(buf, b, len);
	free(b);
	/* field 99, varint 1: another version's */
	buf[len++] = 0x98;
	buf[len++] = 0x06;
	buf[len++] = 0x01;
	assert_int_equal(ha_ospf_interface_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fields this version does not know"));
}

static void test_neighbor(void **state)
{
	Frrha__DeltaOspfNeighbor m = FRRHA__DELTA_OSPF_NEIGHBOR__INIT;
	uint8_t dd[32] = { 2, 2 }, *buf;
	struct ha_ospf_neighbor d;
	void *msg = NULL;
	size_t len;

	m.ifname = (char *)"r1-eth0";
	m.address = (char *)"10.0.1.1";
	m.router_id = (char *)"10.255.0.2";
	m.source = (char *)"10.0.1.2";
	m.prefix_length = 24;
	m.state = 9;
	m.priority = 50;
	m.dr = (char *)"10.0.1.1";
	m.bdr = (char *)"10.0.1.2";
	m.dd_seqnum = 0x1234;
	m.last_dd_sent.data = dd;
	m.last_dd_sent.len = sizeof(dd);
	len = frrha__delta_ospf_neighbor__get_packed_size(&m);
	buf = malloc(len);
	frrha__delta_ospf_neighbor__pack(&m, buf);
	assert_int_equal(ha_ospf_neighbor_decode(buf, len, &d, &msg, err, sizeof(err)), 0);
	assert_int_equal(d.state, 9);
	assert_int_equal(d.priority, 50);
	assert_int_equal(d.dd_seqnum, 0x1234);
	assert_int_equal(d.last_dd_len, sizeof(dd));
	ha_ospf_delta_free(msg);
	free(buf);
	/* states, lengths, priorities out of range */
	m.state = 10;
	len = frrha__delta_ospf_neighbor__get_packed_size(&m);
	buf = malloc(len);
	frrha__delta_ospf_neighbor__pack(&m, buf);
	assert_int_equal(ha_ospf_neighbor_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	free(buf);
	m.state = 9;
	m.prefix_length = 33;
	len = frrha__delta_ospf_neighbor__get_packed_size(&m);
	buf = malloc(len);
	frrha__delta_ospf_neighbor__pack(&m, buf);
	assert_int_equal(ha_ospf_neighbor_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	free(buf);
	m.prefix_length = 24;
	m.last_dd_sent.len = 10; /* shorter than an OSPF header */
	len = frrha__delta_ospf_neighbor__get_packed_size(&m);
	buf = malloc(len);
	frrha__delta_ospf_neighbor__pack(&m, buf);
	assert_int_equal(ha_ospf_neighbor_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "last DD packet of 10 bytes"));
	free(buf);
	/* removed: only its key matters */
	m.removed = true;
	m.state = 42;
	len = frrha__delta_ospf_neighbor__get_packed_size(&m);
	buf = malloc(len);
	frrha__delta_ospf_neighbor__pack(&m, buf);
	assert_int_equal(ha_ospf_neighbor_decode(buf, len, &d, &msg, err, sizeof(err)), 0);
	assert_true(d.removed);
	ha_ospf_delta_free(msg);
	free(buf);
}

static void test_list(void **state)
{
	Frrha__DeltaOspfNeighborList m = FRRHA__DELTA_OSPF_NEIGHBOR_LIST__INIT;
	struct ha_ospf_list_entry d;
	void *msg = NULL;
	uint8_t *buf;
	size_t len;

	m.ifname = (char *)"r1-eth1";
	m.address = (char *)"10.0.2.1";
	m.router_id = (char *)"10.255.0.4";
	m.source = (char *)"10.0.2.2";
	m.list = HA_OSPF_LIST_RXMT;
	m.header.data = (uint8_t *)router_lsa;
	m.header.len = 20;
	len = frrha__delta_ospf_neighbor_list__get_packed_size(&m);
	buf = malloc(len);
	frrha__delta_ospf_neighbor_list__pack(&m, buf);
	assert_int_equal(ha_ospf_list_decode(buf, len, &d, &msg, err, sizeof(err)), 0);
	assert_int_equal(d.list, HA_OSPF_LIST_RXMT);
	assert_int_equal(d.type, 1);
	ha_ospf_delta_free(msg);
	free(buf);
	m.list = 4;
	len = frrha__delta_ospf_neighbor_list__get_packed_size(&m);
	buf = malloc(len);
	frrha__delta_ospf_neighbor_list__pack(&m, buf);
	assert_int_equal(ha_ospf_list_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "list 4 unknown"));
	free(buf);
	m.list = HA_OSPF_LIST_REQ;
	m.header.len = 21;
	len = frrha__delta_ospf_neighbor_list__get_packed_size(&m);
	buf = malloc(len);
	frrha__delta_ospf_neighbor_list__pack(&m, buf);
	assert_int_equal(ha_ospf_list_decode(buf, len, &d, &msg, err, sizeof(err)), -1);
	free(buf);
}

/* The scope of a refused delta comes from what decodes of it -- the
 * refused LSA's area even when its checksum is bad -- and scopes go over
 * the wire as five bytes, one encoding each. */
static void test_scope(void **state)
{
	uint8_t lsa[sizeof(router_lsa)], buf[HA_OSPF_SCOPE_LEN];
	struct ha_ospf_scope sc = { .area = 0x0a000001 }, sc2;
	struct ha_ospf_lsa d;
	void *msg = NULL;
	uint8_t *packed;
	size_t len;
	char name[64];

	memcpy(lsa, router_lsa, sizeof(lsa));
	lsa[sizeof(lsa) - 8] ^= 0x0f;
	packed = pack_lsa(lsa, sizeof(lsa), false, &len);
	assert_int_equal(ha_ospf_lsa_decode(packed, len, &d, &msg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad checksum"));
	memset(&sc2, 0xff, sizeof(sc2));
	assert_true(ha_ospf_lsa_scope(packed, len, &sc2));
	assert_false(sc2.as);
	assert_int_equal(sc2.area, 0);
	free(packed);
	/* an AS-external LSA belongs to the AS, whatever area it says */
	lsa[3] = 5;
	packed = pack_lsa(lsa, sizeof(lsa), false, &len);
	assert_true(ha_ospf_lsa_scope(packed, len, &sc2));
	assert_true(sc2.as);
	assert_int_equal(sc2.area, 0);
	free(packed);
	assert_false(ha_ospf_lsa_scope((const uint8_t *)"\xff\xff\xff", 3, &sc2));
	packed = pack_lsa(lsa, 10, false, &len);
	assert_false(ha_ospf_lsa_scope(packed, len, &sc2));
	free(packed);

	assert_true(ha_ospf_scope_has(&sc, 1, 0x0a000001));
	assert_false(ha_ospf_scope_has(&sc, 1, 0));
	assert_false(ha_ospf_scope_has(&sc, 5, 0x0a000001));
	assert_int_equal(ha_ospf_scope_encode(&sc, buf), HA_OSPF_SCOPE_LEN);
	assert_true(ha_ospf_scope_decode(buf, sizeof(buf), &sc2));
	assert_false(sc2.as);
	assert_int_equal(sc2.area, 0x0a000001);
	ha_ospf_scope_name(&sc2, name, sizeof(name));
	assert_string_equal(name, "area 10.0.0.1");
	assert_false(ha_ospf_scope_decode(buf, sizeof(buf) - 1, &sc2));
	buf[0] = 3;
	assert_false(ha_ospf_scope_decode(buf, sizeof(buf), &sc2));
	/* the AS's scope names no area */
	buf[0] = 2;
	assert_false(ha_ospf_scope_decode(buf, sizeof(buf), &sc2));
	sc.as = true;
	ha_ospf_scope_encode(&sc, buf);
	assert_true(ha_ospf_scope_decode(buf, sizeof(buf), &sc2));
	assert_true(sc2.as);
	assert_true(ha_ospf_scope_has(&sc2, 11, 7));
	assert_false(ha_ospf_scope_has(&sc2, 3, 0));
	ha_ospf_scope_name(&sc2, name, sizeof(name));
	assert_string_equal(name, "the AS-scope LSDB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lsa_checksum),
		cmocka_unit_test(test_lsa_accepted),
		cmocka_unit_test(test_lsa_refused),
		cmocka_unit_test(test_interface),
		cmocka_unit_test(test_unknown_fields_refused),
		cmocka_unit_test(test_neighbor),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
