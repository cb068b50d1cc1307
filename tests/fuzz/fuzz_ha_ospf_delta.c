// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: ospfd-ha's deltas from the other card (lib/ha_ospf_delta.c).
 * The first byte picks the kind.  Whatever is accepted must hold what the
 * module relies on before it lets ospfd see it: an LSA of its header's
 * length, a known type and a right checksum; states and list kinds that
 * exist; interface names that fit.
 *
 * fuzz-sources: lib/ha_ospf_delta.c proto/frrha.pb-c.c
 * fuzz-libs: -lprotobuf-c
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "ha_ospf_delta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	void *msg = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 6) {
	case 0: {
		struct ha_ospf_interface d;

		if (ha_ospf_interface_decode(data + 1, size - 1, &d, &msg, err, sizeof(err)) < 0)
			return 0;
		assert(d.state >= HA_OSPF_ISM_DOWN && d.state <= HA_OSPF_ISM_DR);
		assert(d.key.ifname[0] && strlen(d.key.ifname) < HA_OSPF_IFNAMSIZ);
		break;
	}
	case 1: {
		struct ha_ospf_neighbor d;

		if (ha_ospf_neighbor_decode(data + 1, size - 1, &d, &msg, err, sizeof(err)) < 0)
			return 0;
		if (!d.removed) {
			assert(d.state >= HA_OSPF_NSM_DOWN && d.state <= HA_OSPF_NSM_FULL);
			assert(d.prefixlen <= 32);
			assert(!d.last_dd_len ||
			       (d.last_dd_len >= 24 && d.last_dd_len <= HA_OSPF_PACKET_MAX));
			/* the module copies it: it must be readable */
			if (d.last_dd_len)
				assert(d.last_dd[0] == d.last_dd[0] &&
				       d.last_dd[d.last_dd_len - 1] == d.last_dd[d.last_dd_len - 1]);
		}
		break;
	}
	case 2: {
		struct ha_ospf_lsa d;

		if (ha_ospf_lsa_decode(data + 1, size - 1, &d, &msg, err, sizeof(err)) < 0)
			return 0;
		assert(d.len >= HA_OSPF_LSA_HEADER_LEN);
		assert(d.type >= HA_OSPF_LSA_TYPE_MIN && d.type <= HA_OSPF_LSA_TYPE_MAX);
		assert(d.age <= HA_OSPF_LSA_MAXAGE);
		if (d.removed) {
			assert(d.len == HA_OSPF_LSA_HEADER_LEN);
		} else {
			assert(((size_t)d.lsa[18] << 8 | d.lsa[19]) == d.len);
			assert(ha_ospf_lsa_checksum_ok(d.lsa, d.len));
		}
		break;
	}
	case 3: {
		struct ha_ospf_list_entry d;

		if (ha_ospf_list_decode(data + 1, size - 1, &d, &msg, err, sizeof(err)) < 0)
			return 0;
		assert(d.list >= HA_OSPF_LIST_RXMT && d.list <= HA_OSPF_LIST_SUMMARY);
		assert(d.type >= HA_OSPF_LSA_TYPE_MIN && d.type <= HA_OSPF_LSA_TYPE_MAX);
		break;
	}
	case 4: {
		/* a resync request's scope: what decodes encodes back the same */
		struct ha_ospf_scope sc;
		uint8_t out[HA_OSPF_SCOPE_LEN];
		char name[64];

		if (!ha_ospf_scope_decode(data + 1, size - 1, &sc))
			return 0;
		assert(ha_ospf_scope_encode(&sc, out) == size - 1);
		assert(memcmp(out, data + 1, size - 1) == 0);
		ha_ospf_scope_name(&sc, name, sizeof(name));
		assert(name[0]);
		break;
	}
	case 5: {
		/* the scope of a refused delta, from as much as decodes */
		struct ha_ospf_scope sc;

		if (ha_ospf_lsa_scope(data + 1, size - 1, &sc))
			assert(!sc.as || sc.area == 0);
		if (ha_ospf_list_scope(data + 1, size - 1, &sc))
			assert(!sc.as || sc.area == 0);
		break;
	}
	}
	ha_ospf_delta_free(msg);
	return 0;
}
