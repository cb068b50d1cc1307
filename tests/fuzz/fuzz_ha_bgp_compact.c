// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: lib/ha_bgp_compact.c, the compaction of a session's log of
 * the peer's messages, which the standby runs on the messages the other
 * card replicated and on the OPENs of its bulk copy.  The input: records
 * of a kind byte and a 2-byte length: 0 = our OPEN, 1 = the peer's OPEN
 * (the two set together once both came), otherwise a message appended to
 * the log.  Checked after every message: a message is dropped at most
 * once and never the one appended; what is left of the log gives a
 * receiver the same routes as the whole log (a record built from either:
 * an Adj-RIB-In).
 *
 * fuzz-sources: lib/ha_bgp_compact.c lib/ha_adj_out.c lib/ha_bgp_stream.c
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "ha_bgp_compact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOG_MAX 64

struct logged {
	struct ha_bgp_compact_msg cm; /* first: the drop callback casts */
	uint8_t *m;
	size_t len;
	bool dropped;
};

static struct logged *appended;

static void dropped_cb(void *arg, struct ha_bgp_compact_msg *old)
{
	struct logged *l = (struct logged *)old;

	assert(!l->dropped);
	assert(l != appended);
	l->dropped = true;
}

struct same {
	struct ha_adj_out *other;
	bool differ;
};

static void same_cb(void *arg, const struct ha_adj_out_key *key, uint64_t hash)
{
	struct same *s = arg;
	uint64_t old;

	/* put the same value back: it differs if absent or other */
	if (ha_adj_out_put(s->other, key, hash, &old) != 1 || old != hash)
		s->differ = true;
}

static void replay(struct logged *log, int n, bool kept_only, uint32_t mask, struct ha_adj_out *rib)
{
	ha_adj_out_init(rib);
	for (uint16_t afi = 1; afi <= 2; afi++)
		for (uint8_t safi = 1; safi <= 2; safi++)
			ha_adj_out_set_addpath(rib, afi, safi,
					       mask & (1u << ((afi - 1) * 2 + safi - 1)));
	for (int i = 0; i < n; i++)
		if (!kept_only || !log[i].dropped)
			ha_adj_out_apply(rib, log[i].m, log[i].len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logged log[LOG_MAX];
	uint8_t *opens[2] = {};
	size_t open_len[2] = {};
	struct ha_bgp_compact c;
	uint32_t mask = 0;
	uint8_t kind, *m;
	size_t len;
	int n = 0;

	ha_bgp_compact_init(&c);
	while (n < LOG_MAX && fuzz_record_next(&data, &size, &kind, &m, &len)) {
		if (kind < 2) {
			free(opens[kind]);
			opens[kind] = m;
			open_len[kind] = len;
			if (opens[0] && opens[1]) {
				char why[160];

				if (ha_bgp_compact_set_opens(&c, opens[0], open_len[0], opens[1],
							     open_len[1]) == 0)
					assert(ha_bgp_open_addpath_rx(opens[0], open_len[0],
								      opens[1], open_len[1], &mask,
								      why, sizeof(why)) == 0);
				/* a new session: its log starts again */
				for (int i = 0; i < n; i++)
					free(log[i].m);
				n = 0;
			}
			continue;
		}
		log[n] = (struct logged){ .m = m, .len = len };
		appended = &log[n];
		ha_bgp_compact_add(&c, &log[n].cm, m, len, dropped_cb, NULL);
		n++;
		{
			struct ha_adj_out all, kept;
			struct same s = { .other = &all };

			replay(log, n, false, mask, &all);
			replay(log, n, true, mask, &kept);
			/* a record broken by a message that does not parse
			 * says nothing of a receiver's routes */
			if (!all.broken && !kept.broken) {
				size_t count = ha_adj_out_count(&all);

				assert(ha_adj_out_count(&kept) == count);
				ha_adj_out_walk(&kept, same_cb, &s);
				assert(!s.differ && ha_adj_out_count(&all) == count);
			}
			ha_adj_out_clear(&all);
			ha_adj_out_clear(&kept);
		}
	}
	for (int i = 0; i < n; i++)
		free(log[i].m);
	free(opens[0]);
	free(opens[1]);
	ha_bgp_compact_clear(&c);
	return 0;
}
