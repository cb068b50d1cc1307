// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BGP message framing in a connection's byte stream, for checking a
 * connection taken over from a dead daemon before using it.
 *
 * A frozen connection's send queue is the tail of what bgpd wrote: its
 * first byte may be in the middle of a message (the peer acknowledged the
 * bytes before), but its last byte must end a message -- otherwise bgpd
 * died (or was frozen) half-way through writing one, the rest is lost
 * with it, and anything sent after it would be read by the peer as part
 * of that message.  Pure C without libfrr: unit-tested and fuzzed (the
 * queue comes from the other card).
 */
#ifndef FRRHA_BGP_STREAM_H
#define FRRHA_BGP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HA_BGP_HEADER_LEN 19
#define HA_BGP_MAX_LEN	  65535 /* extended messages (RFC 8654) */

/* Whether buf[0..len) is a complete BGP message header (marker, length
 * 19..65535, type 1..6 -- OPEN to ROUTE-REFRESH and CAPABILITY). */
extern bool ha_bgp_header_valid(const uint8_t *buf, size_t len, uint16_t *msglen);

/*
 * Whether the tail q[0..len) of a BGP byte stream ends exactly where a
 * message ends.  Empty: yes.  Otherwise the first header, within the first
 * 64 KiB + 19 bytes (a message is never longer), from which the messages
 * chain without a broken header decides; none: no (a queue that is only
 * the end of one message cannot be shown complete -- the safe answer).
 */
extern bool ha_bgp_stream_ends_on_message(const uint8_t *q, size_t len);

#endif /* FRRHA_BGP_STREAM_H */
