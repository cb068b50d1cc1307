// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A netfilter queue (NFQUEUE) client: packets that a rule such as
 *
 *     nft add rule inet frrha input tcp sport 179 queue num 179 bypass
 *
 * sends to queue N wait in the kernel until this client gives each its
 * verdict.  A packet held there has not reached TCP yet: nothing of it is
 * acknowledged to the sender.  That is the gate of BGP non-stop routing
 * (bgpd-ha): a segment from a peer is let through to the active's TCP only
 * once its bytes are committed on the standby, so every byte the active
 * card ever acknowledged is on the standby too.  With "bypass" in the rule,
 * packets pass ungated while no program is bound to the queue.
 *
 * Pure Linux netlink code without libfrr (the caller puts the descriptor
 * in its event loop), unit-tested in a private network namespace.
 */
#ifndef FRRHA_NFQ_H
#define FRRHA_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* the most packets the kernel holds for the queue before it drops more */
#define HA_NFQ_QUEUE_MAXLEN 8192

/*
 * Bind queue num and ask for whole packets (up to copy_range bytes).
 * Returns a non-blocking descriptor, or -1 with the reason in err (no
 * CAP_NET_ADMIN, queue already bound by another program, ...).
 */
extern int ha_nfq_open(uint16_t num, uint32_t copy_range, char *err, size_t errlen);
/* Unbind the queue and close fd: packets still waiting are dropped by the
 * kernel (their senders send them again). */
extern void ha_nfq_close(int fd, uint16_t num);

/* The netfilter hook a packet was queued at (linux/netfilter.h's
 * NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT). */
#define HA_NFQ_HOOK_INPUT  1
#define HA_NFQ_HOOK_OUTPUT 3

/* One packet waiting for its verdict: its id, the hook it was queued at
 * (INPUT: arriving for this host; OUTPUT: sent by it) and its
 * network-layer bytes (IPv4 or IPv6 header first), valid during the
 * callback only. */
typedef void (*ha_nfq_packet_cb)(uint32_t id, unsigned int hook, const uint8_t *pkt, size_t len,
				 void *arg);

/*
 * Read what the kernel has queued on fd, calling cb for each packet.
 * Returns the number of packets read (0: nothing waiting), or -1 with
 * errno on an error of the netlink socket.
 */
extern int ha_nfq_read(int fd, ha_nfq_packet_cb cb, void *arg);

/* Let packet id of queue num go on (accept) or drop it.  0 or -1 (errno). */
extern int ha_nfq_verdict(int fd, uint16_t num, uint32_t id, bool accept);

/*
 * Verdicts for several packets of one queue, sent in one system call: the
 * kernel takes the netlink messages one after the other, in the order they
 * were added, and one it refuses (a packet no longer queued) does not stop
 * the others.  Packets let go together reach TCP before the receiving
 * thread wakes, which then reads them at once instead of one by one.
 */
#define HA_NFQ_VERDICTS_MAX 128
#define HA_NFQ_VERDICT_LEN  32 /* one message: header, nfgenmsg, verdict attribute */
struct ha_nfq_verdicts {
	uint16_t num;
	unsigned int count;
	uint8_t buf[HA_NFQ_VERDICTS_MAX * HA_NFQ_VERDICT_LEN];
};

extern void ha_nfq_verdicts_init(struct ha_nfq_verdicts *v, uint16_t num);
/* Add one; false (nothing added) when full: send them first. */
extern bool ha_nfq_verdicts_add(struct ha_nfq_verdicts *v, uint32_t id, bool accept);
/* Send them (nothing if none) and empty v.  0 or -1 (errno). */
extern int ha_nfq_verdicts_send(int fd, struct ha_nfq_verdicts *v);

/* A TCP segment as the packet carries it. */
struct ha_nfq_tcp {
	struct sockaddr_storage src, dst; /* addresses with ports */
	uint32_t seq, ack;
	uint8_t flags;	 /* TH_FIN, TH_SYN, TH_RST, TH_PUSH, TH_ACK, ... */
	uint16_t window; /* as in the header (not scaled) */
	/* the timestamps option (RFC 7323), when the segment has one */
	bool has_ts;
	uint32_t tsval, tsecr;
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Parse an IPv4 or IPv6 packet carrying a TCP segment (no IPv6 extension
 * headers, no IPv4 fragment).  False when it is not one or does not add
 * up (lengths beyond the packet).
 */
extern bool ha_nfq_parse_tcp(const uint8_t *pkt, size_t len, struct ha_nfq_tcp *seg);

#endif /* FRRHA_NFQ_H */
