// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ospfd-ha's deltas from the other card, decoded and checked
 * (ha_ospf_delta.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frrha.pb-c.h"
#include "ha_ospf_delta.h"

bool ha_ospf_lsa_checksum_ok(const uint8_t *lsa, size_t len)
{
	uint32_t c0 = 0, c1 = 0;

	if (len < HA_OSPF_LSA_HEADER_LEN)
		return false;
	/* ISO 8473 Fletcher over everything but the age: both sums are 0
	 * (mod 255) when the checksum field is right */
	for (size_t i = 2; i < len; i++) {
		c0 += lsa[i];
		c1 += c0;
		if ((i & 0xfff) == 0) {
			c0 %= 255;
			c1 %= 255;
		}
	}
	return c0 % 255 == 0 && c1 % 255 == 0;
}

static bool ha_ospf_addr(const char *s, struct in_addr *a)
{
	return s && inet_pton(AF_INET, s, a) == 1;
}

static bool ha_ospf_key(const char *ifname, const char *address, struct ha_ospf_if_key *key)
{
	if (!ifname || !ifname[0] || strlen(ifname) >= sizeof(key->ifname))
		return false;
	memset(key, 0, sizeof(*key));
	strncpy(key->ifname, ifname, sizeof(key->ifname) - 1);
	return ha_ospf_addr(address, &key->address);
}

int ha_ospf_interface_decode(const uint8_t *buf, size_t len, struct ha_ospf_interface *out,
			     void **msg, char *err, size_t errlen)
{
	Frrha__DeltaOspfInterface *m = frrha__delta_ospf_interface__unpack(NULL, len, buf);

	if (!m) {
		snprintf(err, errlen, "OSPF interface state of %zu bytes does not decode", len);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (m->base.n_unknown_fields) {
		snprintf(err, errlen, "OSPF interface state with fields this version does not know");
		goto refuse;
	}
	if (!ha_ospf_key(m->ifname, m->address, &out->key) || !ha_ospf_addr(m->dr, &out->dr) ||
	    !ha_ospf_addr(m->bdr, &out->bdr)) {
		snprintf(err, errlen, "OSPF interface state without its name or addresses");
		goto refuse;
	}
	if (m->state < HA_OSPF_ISM_DOWN || m->state > HA_OSPF_ISM_DR) {
		snprintf(err, errlen, "OSPF interface %s: state %u unknown", out->key.ifname,
			 m->state);
		goto refuse;
	}
	out->area = m->area;
	out->state = m->state;
	out->crypt_seqnum = m->crypt_seqnum;
	*msg = m;
	return 0;
refuse:
	frrha__delta_ospf_interface__free_unpacked(m, NULL);
	return -1;
}

int ha_ospf_neighbor_decode(const uint8_t *buf, size_t len, struct ha_ospf_neighbor *out,
			    void **msg, char *err, size_t errlen)
{
	Frrha__DeltaOspfNeighbor *m = frrha__delta_ospf_neighbor__unpack(NULL, len, buf);

	if (!m) {
		snprintf(err, errlen, "OSPF neighbour state of %zu bytes does not decode", len);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (m->base.n_unknown_fields) {
		snprintf(err, errlen, "OSPF neighbour state with fields this version does not know");
		goto refuse;
	}
	if (!ha_ospf_key(m->ifname, m->address, &out->key) ||
	    !ha_ospf_addr(m->router_id, &out->router_id) || !ha_ospf_addr(m->source, &out->src)) {
		snprintf(err, errlen, "OSPF neighbour state without its interface or addresses");
		goto refuse;
	}
	out->removed = m->removed;
	if (m->removed) {
		*msg = m;
		return 0;
	}
	if (m->state < HA_OSPF_NSM_DOWN || m->state > HA_OSPF_NSM_FULL || m->prefix_length > 32 ||
	    m->options > 0xff || m->dd_flags > 0xff || m->last_received_options > 0xff ||
	    m->last_received_flags > 0xff || m->priority < -1 || m->priority > 255 ||
	    !ha_ospf_addr(m->dr, &out->dr) || !ha_ospf_addr(m->bdr, &out->bdr)) {
		snprintf(err, errlen,
			 "OSPF neighbour %s on %s: state %u, prefix length %u, priority %d: out of range",
			 m->router_id, out->key.ifname, m->state, m->prefix_length, m->priority);
		goto refuse;
	}
	if (m->last_dd_sent.len &&
	    (m->last_dd_sent.len < 24 || m->last_dd_sent.len > HA_OSPF_PACKET_MAX)) {
		snprintf(err, errlen, "OSPF neighbour %s on %s: a last DD packet of %zu bytes",
			 m->router_id, out->key.ifname, m->last_dd_sent.len);
		goto refuse;
	}
	out->prefixlen = m->prefix_length;
	out->state = m->state;
	out->options = m->options;
	out->priority = m->priority;
	out->dd_seqnum = m->dd_seqnum;
	out->dd_flags = m->dd_flags;
	out->last_recv_options = m->last_received_options;
	out->last_recv_flags = m->last_received_flags;
	out->last_recv_dd_seqnum = m->last_received_dd_seqnum;
	out->crypt_seqnum = m->crypt_seqnum;
	out->last_dd = m->last_dd_sent.data;
	out->last_dd_len = m->last_dd_sent.len;
	out->last_dd_age_msec = m->last_dd_sent_age_msec;
	out->uptime_msec = m->uptime_msec;
	*msg = m;
	return 0;
refuse:
	frrha__delta_ospf_neighbor__free_unpacked(m, NULL);
	return -1;
}

/* An LSA header's key, for the reasons given. */
static void ha_ospf_lsa_name(const uint8_t *h, char *buf, size_t len)
{
	char id[INET_ADDRSTRLEN], adv[INET_ADDRSTRLEN];
	uint32_t seq;

	inet_ntop(AF_INET, h + 4, id, sizeof(id));
	inet_ntop(AF_INET, h + 8, adv, sizeof(adv));
	memcpy(&seq, h + 12, 4);
	snprintf(buf, len, "%u/%s/%s seq 0x%08x", h[3], id, adv, ntohl(seq));
}

int ha_ospf_lsa_decode(const uint8_t *buf, size_t len, struct ha_ospf_lsa *out, void **msg,
		       char *err, size_t errlen)
{
	Frrha__DeltaOspfLsa *m = frrha__delta_ospf_lsa__unpack(NULL, len, buf);
	char name[80];
	uint16_t hlen;

	if (!m) {
		snprintf(err, errlen, "OSPF LSA delta of %zu bytes does not decode", len);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (m->base.n_unknown_fields) {
		snprintf(err, errlen, "OSPF LSA delta with fields this version does not know");
		goto refuse;
	}
	if (m->lsa.len < HA_OSPF_LSA_HEADER_LEN) {
		snprintf(err, errlen, "LSA of %zu bytes: shorter than its header", m->lsa.len);
		goto refuse;
	}
	out->type = m->lsa.data[3];
	if (out->type < HA_OSPF_LSA_TYPE_MIN || out->type > HA_OSPF_LSA_TYPE_MAX) {
		snprintf(err, errlen, "LSA of unknown type %u", out->type);
		goto refuse;
	}
	ha_ospf_lsa_name(m->lsa.data, name, sizeof(name));
	if (m->ifname && m->ifname[0]) {
		if (!ha_ospf_key(m->ifname, m->address, &out->key)) {
			snprintf(err, errlen, "LSA %s: interface %s without its address", name,
				 m->ifname);
			goto refuse;
		}
		out->has_if = true;
	}
	out->area = m->area;
	out->lsa = m->lsa.data;
	out->len = m->lsa.len;
	out->age = m->age > HA_OSPF_LSA_MAXAGE ? HA_OSPF_LSA_MAXAGE : m->age;
	out->maxage_msec = out->age == HA_OSPF_LSA_MAXAGE ? m->maxage_msec : 0;
	out->removed = m->removed;
	if (m->removed) {
		if (m->lsa.len != HA_OSPF_LSA_HEADER_LEN) {
			snprintf(err, errlen, "LSA %s removed: %zu bytes, not its header", name,
				 m->lsa.len);
			goto refuse;
		}
		*msg = m;
		return 0;
	}
	hlen = (uint16_t)(m->lsa.data[18] << 8 | m->lsa.data[19]);
	if (hlen != m->lsa.len) {
		snprintf(err, errlen, "LSA %s: length %u in its header, %zu bytes", name, hlen,
			 m->lsa.len);
		goto refuse;
	}
	if (!ha_ospf_lsa_checksum_ok(m->lsa.data, m->lsa.len)) {
		snprintf(err, errlen, "LSA %s: bad checksum", name);
		goto refuse;
	}
	*msg = m;
	return 0;
refuse:
	frrha__delta_ospf_lsa__free_unpacked(m, NULL);
	return -1;
}

int ha_ospf_list_decode(const uint8_t *buf, size_t len, struct ha_ospf_list_entry *out, void **msg,
			char *err, size_t errlen)
{
	Frrha__DeltaOspfNeighborList *m = frrha__delta_ospf_neighbor_list__unpack(NULL, len, buf);

	if (!m) {
		snprintf(err, errlen, "OSPF neighbour list entry of %zu bytes does not decode", len);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (m->base.n_unknown_fields) {
		snprintf(err, errlen,
			 "OSPF neighbour list entry with fields this version does not know");
		goto refuse;
	}
	if (!ha_ospf_key(m->ifname, m->address, &out->key) ||
	    !ha_ospf_addr(m->router_id, &out->router_id) || !ha_ospf_addr(m->source, &out->src)) {
		snprintf(err, errlen, "OSPF neighbour list entry: no neighbour named");
		goto refuse;
	}
	if (m->list < HA_OSPF_LIST_RXMT || m->list > HA_OSPF_LIST_SUMMARY) {
		snprintf(err, errlen, "OSPF neighbour list %u unknown", m->list);
		goto refuse;
	}
	if (m->header.len != HA_OSPF_LSA_HEADER_LEN) {
		snprintf(err, errlen, "OSPF neighbour list entry: a header of %zu bytes",
			 m->header.len);
		goto refuse;
	}
	out->type = m->header.data[3];
	if (out->type < HA_OSPF_LSA_TYPE_MIN || out->type > HA_OSPF_LSA_TYPE_MAX) {
		snprintf(err, errlen, "OSPF neighbour list entry: LSA of unknown type %u",
			 out->type);
		goto refuse;
	}
	out->list = m->list;
	out->area = m->area;
	out->header = m->header.data;
	out->removed = m->removed;
	*msg = m;
	return 0;
refuse:
	frrha__delta_ospf_neighbor_list__free_unpacked(m, NULL);
	return -1;
}

#define HA_OSPF_SCOPE_AREA 1
#define HA_OSPF_SCOPE_AS   2

size_t ha_ospf_scope_encode(const struct ha_ospf_scope *s, uint8_t *out)
{
	uint32_t area = s->as ? 0 : s->area;

	out[0] = s->as ? HA_OSPF_SCOPE_AS : HA_OSPF_SCOPE_AREA;
	out[1] = area >> 24;
	out[2] = (area >> 16) & 0xff;
	out[3] = (area >> 8) & 0xff;
	out[4] = area & 0xff;
	return HA_OSPF_SCOPE_LEN;
}

bool ha_ospf_scope_decode(const uint8_t *buf, size_t len, struct ha_ospf_scope *s)
{
	uint32_t area;

	if (len != HA_OSPF_SCOPE_LEN || (buf[0] != HA_OSPF_SCOPE_AREA && buf[0] != HA_OSPF_SCOPE_AS))
		return false;
	area = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
	if (buf[0] == HA_OSPF_SCOPE_AS && area)
		return false; /* one encoding per scope */
	s->as = buf[0] == HA_OSPF_SCOPE_AS;
	s->area = area;
	return true;
}

void ha_ospf_scope_name(const struct ha_ospf_scope *s, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = htonl(s->area) };
	char id[INET_ADDRSTRLEN];

	if (s->as) {
		snprintf(buf, len, "the AS-scope LSDB");
		return;
	}
	inet_ntop(AF_INET, &a, id, sizeof(id));
	snprintf(buf, len, "area %s", id);
}

static bool ha_ospf_type_as_scope(uint8_t type)
{
	return type == 5 || type == 11; /* AS-external, opaque AS-scope */
}

bool ha_ospf_scope_has(const struct ha_ospf_scope *s, uint8_t type, uint32_t area)
{
	if (ha_ospf_type_as_scope(type))
		return s->as;
	return !s->as && area == s->area;
}

bool ha_ospf_lsa_scope(const uint8_t *buf, size_t len, struct ha_ospf_scope *s)
{
	Frrha__DeltaOspfLsa *m = frrha__delta_ospf_lsa__unpack(NULL, len, buf);
	bool ok;

	if (!m)
		return false;
	ok = m->lsa.len >= HA_OSPF_LSA_HEADER_LEN;
	if (ok) {
		s->as = ha_ospf_type_as_scope(m->lsa.data[3]);
		s->area = s->as ? 0 : m->area;
	}
	frrha__delta_ospf_lsa__free_unpacked(m, NULL);
	return ok;
}

bool ha_ospf_list_scope(const uint8_t *buf, size_t len, struct ha_ospf_scope *s)
{
	Frrha__DeltaOspfNeighborList *m = frrha__delta_ospf_neighbor_list__unpack(NULL, len, buf);
	bool ok;

	if (!m)
		return false;
	ok = m->header.len == HA_OSPF_LSA_HEADER_LEN;
	if (ok) {
		s->as = ha_ospf_type_as_scope(m->header.data[3]);
		s->area = s->as ? 0 : m->area;
	}
	frrha__delta_ospf_neighbor_list__free_unpacked(m, NULL);
	return ok;
}

void ha_ospf_delta_free(void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}

/* ---- encoding (the active card) ---- */

#define HA_OSPF_PACK(type, m, len)                                                                 \
	({                                                                                         \
		uint8_t *_buf;                                                                     \
		*(len) = frrha__##type##__get_packed_size(m);                                      \
		_buf = malloc(*(len) ? *(len) : 1);                                                \
		if (_buf)                                                                          \
			frrha__##type##__pack(m, _buf);                                            \
		_buf;                                                                              \
	})

uint8_t *ha_ospf_interface_encode(const struct ha_ospf_interface *d, size_t *len)
{
	Frrha__DeltaOspfInterface m = FRRHA__DELTA_OSPF_INTERFACE__INIT;
	char addr[INET_ADDRSTRLEN], dr[INET_ADDRSTRLEN], bdr[INET_ADDRSTRLEN];

	m.ifname = (char *)d->key.ifname;
	m.address = (char *)inet_ntop(AF_INET, &d->key.address, addr, sizeof(addr));
	m.area = d->area;
	m.state = d->state;
	m.dr = (char *)inet_ntop(AF_INET, &d->dr, dr, sizeof(dr));
	m.bdr = (char *)inet_ntop(AF_INET, &d->bdr, bdr, sizeof(bdr));
	m.crypt_seqnum = d->crypt_seqnum;
	return HA_OSPF_PACK(delta_ospf_interface, &m, len);
}

uint8_t *ha_ospf_neighbor_encode(const struct ha_ospf_neighbor *d, size_t *len)
{
	Frrha__DeltaOspfNeighbor m = FRRHA__DELTA_OSPF_NEIGHBOR__INIT;
	char addr[INET_ADDRSTRLEN], rid[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];
	char dr[INET_ADDRSTRLEN], bdr[INET_ADDRSTRLEN];

	m.ifname = (char *)d->key.ifname;
	m.address = (char *)inet_ntop(AF_INET, &d->key.address, addr, sizeof(addr));
	m.router_id = (char *)inet_ntop(AF_INET, &d->router_id, rid, sizeof(rid));
	m.source = (char *)inet_ntop(AF_INET, &d->src, src, sizeof(src));
	m.removed = d->removed;
	if (!d->removed) {
		m.prefix_length = d->prefixlen;
		m.state = d->state;
		m.options = d->options;
		m.priority = d->priority;
		m.dr = (char *)inet_ntop(AF_INET, &d->dr, dr, sizeof(dr));
		m.bdr = (char *)inet_ntop(AF_INET, &d->bdr, bdr, sizeof(bdr));
		m.dd_seqnum = d->dd_seqnum;
		m.dd_flags = d->dd_flags;
		m.last_received_options = d->last_recv_options;
		m.last_received_flags = d->last_recv_flags;
		m.last_received_dd_seqnum = d->last_recv_dd_seqnum;
		m.crypt_seqnum = d->crypt_seqnum;
		m.last_dd_sent.data = (uint8_t *)d->last_dd;
		m.last_dd_sent.len = d->last_dd_len;
		m.last_dd_sent_age_msec = d->last_dd_age_msec;
		m.uptime_msec = d->uptime_msec;
	}
	return HA_OSPF_PACK(delta_ospf_neighbor, &m, len);
}

uint8_t *ha_ospf_lsa_encode(const struct ha_ospf_lsa *d, size_t *len)
{
	Frrha__DeltaOspfLsa m = FRRHA__DELTA_OSPF_LSA__INIT;
	char addr[INET_ADDRSTRLEN];

	m.area = d->area;
	if (d->has_if) {
		m.ifname = (char *)d->key.ifname;
		m.address = (char *)inet_ntop(AF_INET, &d->key.address, addr, sizeof(addr));
	}
	m.lsa.data = (uint8_t *)d->lsa;
	m.lsa.len = d->removed ? HA_OSPF_LSA_HEADER_LEN : d->len;
	m.age = d->age;
	m.maxage_msec = d->maxage_msec;
	m.removed = d->removed;
	return HA_OSPF_PACK(delta_ospf_lsa, &m, len);
}

uint8_t *ha_ospf_list_encode(const struct ha_ospf_list_entry *d, size_t *len)
{
	Frrha__DeltaOspfNeighborList m = FRRHA__DELTA_OSPF_NEIGHBOR_LIST__INIT;
	char addr[INET_ADDRSTRLEN], rid[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];

	m.ifname = (char *)d->key.ifname;
	m.address = (char *)inet_ntop(AF_INET, &d->key.address, addr, sizeof(addr));
	m.router_id = (char *)inet_ntop(AF_INET, &d->router_id, rid, sizeof(rid));
	m.source = (char *)inet_ntop(AF_INET, &d->src, src, sizeof(src));
	m.list = d->list;
	m.area = d->area;
	m.header.data = (uint8_t *)d->header;
	m.header.len = HA_OSPF_LSA_HEADER_LEN;
	m.removed = d->removed;
	return HA_OSPF_PACK(delta_ospf_neighbor_list, &m, len);
}
