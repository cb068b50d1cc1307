// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The monotonic clock (CLOCK_MONOTONIC) for frr-ha's own timings: the
 * replication's round trips and lags, bgpd-ha's record timestamps and
 * digest cost, hard's mastership claims.  FRR's monotime() gives a timeval
 * at best, too coarse for timing one message.
 */
#ifndef _FRR_HA_CLOCK_H
#define _FRR_HA_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t ha_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline uint64_t ha_clock_us(void)
{
	return ha_clock_ns() / 1000;
}

static inline uint64_t ha_clock_ms(void)
{
	return ha_clock_ns() / 1000000;
}

#endif /* _FRR_HA_CLOCK_H */
