// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the protobuf-c decoders of delta payloads from the other
 * card (proto/frrha.proto).  The first byte picks the message; whatever
 * decodes without unknown fields (those the modules refuse: another
 * schema) must encode again to something that decodes to the same fields.
 *
 * fuzz-sources: proto/frrha.pb-c.c
 * fuzz-libs: -lprotobuf-c
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frrha.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t len;

	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0: {
		Frrha__DeltaConfigCommand *m, *again;

		m = frrha__delta_config_command__unpack(NULL, size - 1, data + 1);
		if (!m)
			return 0;
		if (m->base.n_unknown_fields) {
			frrha__delta_config_command__free_unpacked(m, NULL);
			return 0;
		}
		assert(m->line);
		len = frrha__delta_config_command__get_packed_size(m);
		buf = malloc(len + 1);
		frrha__delta_config_command__pack(m, buf);
		again = frrha__delta_config_command__unpack(NULL, len, buf);
		assert(again && again->session == m->session && again->node == m->node &&
		       strcmp(again->line, m->line) == 0);
		frrha__delta_config_command__free_unpacked(again, NULL);
		frrha__delta_config_command__free_unpacked(m, NULL);
		free(buf);
		break;
	}
	case 1: {
		Frrha__DeltaConfigSnapshot *m, *again;

		m = frrha__delta_config_snapshot__unpack(NULL, size - 1, data + 1);
		if (!m)
			return 0;
		if (m->base.n_unknown_fields) {
			frrha__delta_config_snapshot__free_unpacked(m, NULL);
			return 0;
		}
		assert(m->text);
		len = frrha__delta_config_snapshot__get_packed_size(m);
		buf = malloc(len + 1);
		frrha__delta_config_snapshot__pack(m, buf);
		again = frrha__delta_config_snapshot__unpack(NULL, len, buf);
		assert(again && again->lines == m->lines && strcmp(again->text, m->text) == 0);
		frrha__delta_config_snapshot__free_unpacked(again, NULL);
		frrha__delta_config_snapshot__free_unpacked(m, NULL);
		free(buf);
		break;
	}
	case 2: {
		Frrha__DeltaBgpSession *m, *again;

		m = frrha__delta_bgp_session__unpack(NULL, size - 1, data + 1);
		if (!m)
			return 0;
		if (m->base.n_unknown_fields) {
			frrha__delta_bgp_session__free_unpacked(m, NULL);
			return 0;
		}
		len = frrha__delta_bgp_session__get_packed_size(m);
		buf = malloc(len + 1);
		frrha__delta_bgp_session__pack(m, buf);
		again = frrha__delta_bgp_session__unpack(NULL, len, buf);
		assert(again && strcmp(again->peer, m->peer) == 0 &&
		       strcmp(again->state, m->state) == 0 && again->local_as == m->local_as &&
		       again->remote_as == m->remote_as &&
		       again->open_sent.len == m->open_sent.len &&
		       again->open_received.len == m->open_received.len &&
		       (!m->open_sent.len ||
			memcmp(again->open_sent.data, m->open_sent.data, m->open_sent.len) == 0));
		frrha__delta_bgp_session__free_unpacked(again, NULL);
		frrha__delta_bgp_session__free_unpacked(m, NULL);
		free(buf);
		break;
	}
	case 3: {
		Frrha__DeltaBgpMessage *m, *again;

		m = frrha__delta_bgp_message__unpack(NULL, size - 1, data + 1);
		if (!m)
			return 0;
		if (m->base.n_unknown_fields) {
			frrha__delta_bgp_message__free_unpacked(m, NULL);
			return 0;
		}
		len = frrha__delta_bgp_message__get_packed_size(m);
		buf = malloc(len + 1);
		frrha__delta_bgp_message__pack(m, buf);
		again = frrha__delta_bgp_message__unpack(NULL, len, buf);
		assert(again && strcmp(again->peer, m->peer) == 0 && again->index == m->index &&
		       again->type == m->type && again->data.len == m->data.len &&
		       (!m->data.len || memcmp(again->data.data, m->data.data, m->data.len) == 0));
		frrha__delta_bgp_message__free_unpacked(again, NULL);
		frrha__delta_bgp_message__free_unpacked(m, NULL);
		free(buf);
		break;
	}
	case 4: {
		Frrha__DeltaBgpTcp *m, *again;

		m = frrha__delta_bgp_tcp__unpack(NULL, size - 1, data + 1);
		if (!m)
			return 0;
		if (m->base.n_unknown_fields) {
			frrha__delta_bgp_tcp__free_unpacked(m, NULL);
			return 0;
		}
		len = frrha__delta_bgp_tcp__get_packed_size(m);
		buf = malloc(len + 1);
		frrha__delta_bgp_tcp__pack(m, buf);
		again = frrha__delta_bgp_tcp__unpack(NULL, len, buf);
		assert(again && strcmp(again->peer, m->peer) == 0 &&
		       again->state.len == m->state.len &&
		       (!m->state.len ||
			memcmp(again->state.data, m->state.data, m->state.len) == 0));
		frrha__delta_bgp_tcp__free_unpacked(again, NULL);
		frrha__delta_bgp_tcp__free_unpacked(m, NULL);
		free(buf);
		break;
	}
	case 5: {
		Frrha__DeltaBgpSegment *m, *again;

		m = frrha__delta_bgp_segment__unpack(NULL, size - 1, data + 1);
		if (!m)
			return 0;
		if (m->base.n_unknown_fields) {
			frrha__delta_bgp_segment__free_unpacked(m, NULL);
			return 0;
		}
		len = frrha__delta_bgp_segment__get_packed_size(m);
		buf = malloc(len + 1);
		frrha__delta_bgp_segment__pack(m, buf);
		again = frrha__delta_bgp_segment__unpack(NULL, len, buf);
		assert(again && strcmp(again->peer, m->peer) == 0 &&
		       again->local_port == m->local_port && again->remote_port == m->remote_port &&
		       again->offset == m->offset && again->data.len == m->data.len &&
		       (!m->data.len || memcmp(again->data.data, m->data.data, m->data.len) == 0));
		frrha__delta_bgp_segment__free_unpacked(again, NULL);
		frrha__delta_bgp_segment__free_unpacked(m, NULL);
		free(buf);
		break;
	}
	case 6: {
		Frrha__DeltaBgpConnection *m, *again;

		m = frrha__delta_bgp_connection__unpack(NULL, size - 1, data + 1);
		if (!m)
			return 0;
		if (m->base.n_unknown_fields) {
			frrha__delta_bgp_connection__free_unpacked(m, NULL);
			return 0;
		}
		len = frrha__delta_bgp_connection__get_packed_size(m);
		buf = malloc(len + 1);
		frrha__delta_bgp_connection__pack(m, buf);
		again = frrha__delta_bgp_connection__unpack(NULL, len, buf);
		assert(again && strcmp(again->peer, m->peer) == 0 &&
		       strcmp(again->local_address, m->local_address) == 0 &&
		       strcmp(again->remote_address, m->remote_address) == 0 &&
		       again->send_seq == m->send_seq && again->send_offset == m->send_offset &&
		       again->receive_seq == m->receive_seq && again->send_acked == m->send_acked &&
		       again->send_boundary == m->send_boundary && again->rebase == m->rebase);
		frrha__delta_bgp_connection__free_unpacked(again, NULL);
		frrha__delta_bgp_connection__free_unpacked(m, NULL);
		free(buf);
		break;
	}
	case 7: {
		Frrha__DeltaBgpAdjOut *m, *again;

		m = frrha__delta_bgp_adj_out__unpack(NULL, size - 1, data + 1);
		if (!m)
			return 0;
		if (m->base.n_unknown_fields) {
			frrha__delta_bgp_adj_out__free_unpacked(m, NULL);
			return 0;
		}
		len = frrha__delta_bgp_adj_out__get_packed_size(m);
		buf = malloc(len + 1);
		frrha__delta_bgp_adj_out__pack(m, buf);
		again = frrha__delta_bgp_adj_out__unpack(NULL, len, buf);
		assert(again && strcmp(again->peer, m->peer) == 0 && again->first == m->first &&
		       again->complete == m->complete && again->end_of_rib == m->end_of_rib &&
		       again->addpath == m->addpath && again->entries.len == m->entries.len &&
		       (!m->entries.len ||
			memcmp(again->entries.data, m->entries.data, m->entries.len) == 0));
		frrha__delta_bgp_adj_out__free_unpacked(again, NULL);
		frrha__delta_bgp_adj_out__free_unpacked(m, NULL);
		free(buf);
		break;
	}
	}
	return 0;
}
