// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of lib/ha_nfq.c: segments sent to a netfilter queue reach TCP
 * only at their verdict -- until then the receiver acknowledges nothing of
 * them; a dropped one is sent again by the sender; without a program on the
 * queue, a "bypass" rule lets them through.  And the TCP parser, on IPv4
 * and IPv6 packets and every truncation of them.  Runs in a private network
 * namespace (needs root and iptables), on loopback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <cmocka.h>

#include "netns_helper.h"

#include "ha_nfq.h"

#define QNUM 17
#define PORT 17901

static int iptables(const char *rule)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "iptables -A INPUT %s", rule);
	return system(cmd);
}

static int setup(void **state)
{
	if (test_netns_enter("test_ha_nfq") < 0)
		return -1;
	/* what reaches the listener's port waits in the queue (no bypass:
	 * without a program on the queue it is dropped); the same with
	 * bypass on PORT + 1 (NFQUEUE as an iptables target: nftables' own
	 * queue expression is not in this kernel) */
	if (iptables("-p tcp --dport 17901 -j NFQUEUE --queue-num 17") != 0 ||
	    iptables("-p tcp --dport 17902 -j NFQUEUE --queue-num 17 --queue-bypass") != 0) {
		fprintf(stderr, "test_ha_nfq: iptables failed\n");
		return -1;
	}
	return 0;
}

struct queued {
	uint32_t id[64];
	unsigned int hook[64];
	struct ha_nfq_tcp seg[64];
	uint8_t data[64][256];
	int n;
};

static void on_packet(uint32_t id, unsigned int hook, const uint8_t *pkt, size_t len, void *arg)
{
	struct queued *q = arg;

	if (q->n >= 64)
		return;
	/* the test's rules queue at INPUT only */
	assert_int_equal(hook, HA_NFQ_HOOK_INPUT);
	q->id[q->n] = id;
	q->hook[q->n] = hook;
	assert_true(ha_nfq_parse_tcp(pkt, len, &q->seg[q->n]));
	memcpy(q->data[q->n], q->seg[q->n].payload,
	       q->seg[q->n].payload_len < 256 ? q->seg[q->n].payload_len : 256);
	q->seg[q->n].payload = q->data[q->n];
	q->n++;
}

/* Wait (up to 3 s) for a queued segment matching flags with a payload of
 * at least min bytes; returns its index in q. */
static int wait_segment(int nfq, struct queued *q, uint8_t flags, size_t min)
{
	for (int tries = 0; tries < 300; tries++) {
		struct pollfd p = { .fd = nfq, .events = POLLIN };

		for (int i = 0; i < q->n; i++)
			if ((q->seg[i].flags & flags) == flags && q->seg[i].payload_len >= min &&
			    q->id[i] != 0)
				return i;
		if (poll(&p, 1, 10) == 1)
			assert_true(ha_nfq_read(nfq, on_packet, q) >= 0);
	}
	fail_msg("no queued segment with flags %#x and %zu bytes", flags, min);
	return -1;
}

static int outq(int fd)
{
	int n = -1;

	ioctl(fd, SIOCOUTQ, &n);
	return n;
}

static int inq(int fd)
{
	int n = -1;

	ioctl(fd, SIOCINQ, &n);
	return n;
}

/* Whether cond(fd) == want within ms milliseconds, polled. */
static bool within(int (*cond)(int), int fd, int want, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (cond(fd) == want)
			return true;
		usleep(1000);
	}
	return cond(fd) == want;
}

static int listener(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int connect_nb(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 || errno == EINPROGRESS);
	return fd;
}

static bool writable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, ms) == 1 && !(p.revents & (POLLERR | POLLHUP));
}

static int open_queue(void)
{
	char err[256] = "";
	int nfq = ha_nfq_open(QNUM, 0xffff, err, sizeof(err));

	if (nfq < 0)
		fail_msg("%s", err);
	return nfq;
}

/* A connection to the listener lfd whose handshake went through the queue:
 * the SYN held (so the connection is not made) until its verdict, then
 * the handshake's last ACK.  Returns the accepted socket, the connecting
 * one in *cfd. */
static int gated_connection(int nfq, struct queued *q, int lfd, int *cfd)
{
	int i, afd;

	*cfd = connect_nb(PORT);
	i = wait_segment(nfq, q, TH_SYN, 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&q->seg[i].dst)->sin_port), PORT);
	assert_false(writable(*cfd, 50));
	assert_int_equal(ha_nfq_verdict(nfq, QNUM, q->id[i], true), 0);
	q->id[i] = 0;
	assert_true(writable(*cfd, 2000));
	i = wait_segment(nfq, q, TH_ACK, 0);
	assert_int_equal(ha_nfq_verdict(nfq, QNUM, q->id[i], true), 0);
	q->id[i] = 0;
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	return afd;
}

/* A SYN and then data wait in the queue; each reaches TCP at its verdict:
 * the receiver acknowledges nothing before. */
static void test_held_until_verdict(void **state)
{
	char buf[16];
	struct queued q = {};
	int nfq, lfd, cfd, afd, i;

	nfq = open_queue();
	lfd = listener(PORT);
	afd = gated_connection(nfq, &q, lfd, &cfd);

	/* data: held, so not acknowledged (still in the sender's queue) */
	assert_int_equal(send(cfd, "hello", 5, 0), 5);
	i = wait_segment(nfq, &q, TH_ACK, 5);
	assert_memory_equal(q.seg[i].payload, "hello", 5);
	assert_false(within(outq, cfd, 0, 50));
	assert_int_equal(inq(afd), 0);
	assert_int_equal(ha_nfq_verdict(nfq, QNUM, q.id[i], true), 0);
	q.id[i] = 0;
	assert_true(within(outq, cfd, 0, 2000));
	assert_int_equal(recv(afd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);

	close(afd);
	close(cfd);
	close(lfd);
	ha_nfq_close(nfq, QNUM);
}

/* A dropped segment is not lost: the sender sends it again. */
static void test_dropped_is_sent_again(void **state)
{
	char buf[16];
	struct queued q = {};
	int nfq, lfd, cfd, afd, i;
	uint32_t seq;

	nfq = open_queue();
	lfd = listener(PORT);
	afd = gated_connection(nfq, &q, lfd, &cfd);

	assert_int_equal(send(cfd, "again", 5, 0), 5);
	i = wait_segment(nfq, &q, TH_ACK, 5);
	seq = q.seg[i].seq;
	assert_int_equal(ha_nfq_verdict(nfq, QNUM, q.id[i], false), 0);
	q.id[i] = 0;
	/* the retransmission: same sequence number, same bytes */
	i = wait_segment(nfq, &q, TH_ACK, 5);
	assert_int_equal(q.seg[i].seq, seq);
	assert_memory_equal(q.seg[i].payload, "again", 5);
	ha_nfq_verdict(nfq, QNUM, q.id[i], true);
	assert_true(within(inq, afd, 5, 2000));
	assert_int_equal(recv(afd, buf, sizeof(buf), 0), 5);

	close(afd);
	close(cfd);
	close(lfd);
	ha_nfq_close(nfq, QNUM);
}

/* Verdicts sent together in one system call each take effect, in order,
 * and one for a packet no longer queued does not stop the others. */
static void test_verdicts_sent_together(void **state)
{
	static const char *const parts[] = { "one", "two", "three" };
	struct ha_nfq_verdicts v;
	struct queued q = {};
	uint32_t ids[3];
	char buf[32];
	int nfq, lfd, cfd, afd, one = 1;

	nfq = open_queue();
	lfd = listener(PORT);
	afd = gated_connection(nfq, &q, lfd, &cfd);
	assert_int_equal(setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);

	/* three segments held in the queue */
	for (int k = 0; k < 3; k++) {
		int i;

		assert_int_equal(send(cfd, parts[k], strlen(parts[k]), 0),
				 (ssize_t)strlen(parts[k]));
		i = wait_segment(nfq, &q, TH_ACK, 3);
		assert_memory_equal(q.seg[i].payload, parts[k], strlen(parts[k]));
		ids[k] = q.id[i];
		q.id[i] = 0;
	}
	assert_int_equal(inq(afd), 0);

	ha_nfq_verdicts_init(&v, QNUM);
	assert_true(ha_nfq_verdicts_add(&v, ids[0], true));
	assert_true(ha_nfq_verdicts_add(&v, 0xfffffff0, true)); /* no such packet */
	assert_true(ha_nfq_verdicts_add(&v, ids[1], true));
	assert_true(ha_nfq_verdicts_add(&v, ids[2], true));
	assert_int_equal(v.count, 4);
	assert_int_equal(ha_nfq_verdicts_send(nfq, &v), 0);
	assert_int_equal(v.count, 0);
	assert_true(within(inq, afd, 11, 2000));
	assert_int_equal(recv(afd, buf, sizeof(buf), 0), 11);
	assert_memory_equal(buf, "onetwothree", 11);
	assert_true(within(outq, cfd, 0, 2000));
	/* nothing to send: nothing sent */
	assert_int_equal(ha_nfq_verdicts_send(nfq, &v), 0);

	/* full: refused, nothing added */
	for (int k = 0; k < HA_NFQ_VERDICTS_MAX; k++)
		assert_true(ha_nfq_verdicts_add(&v, 0xffff0000 + k, false));
	assert_false(ha_nfq_verdicts_add(&v, 1, true));
	assert_int_equal(v.count, HA_NFQ_VERDICTS_MAX);

	close(afd);
	close(cfd);
	close(lfd);
	ha_nfq_close(nfq, QNUM);
}

/* No program on the queue: "bypass" lets segments through. */
static void test_bypass_without_a_program(void **state)
{
	int lfd = listener(PORT + 1), cfd = connect_nb(PORT + 1);

	assert_true(writable(cfd, 2000));
	close(cfd);
	close(lfd);
}

/* A second program cannot take a queue already bound. */
static void test_queue_bound_once(void **state)
{
	char err[256] = "";
	int a = ha_nfq_open(QNUM, 0xffff, err, sizeof(err)), b;

	assert_true(a >= 0);
	b = ha_nfq_open(QNUM, 0xffff, err, sizeof(err));
	assert_int_equal(b, -1);
	assert_non_null(strstr(err, "binding the queue"));
	ha_nfq_close(a, QNUM);
}

static size_t ipv4_segment(uint8_t *buf, const char *payload)
{
	struct ip ip = { .ip_v = 4, .ip_hl = 5, .ip_p = IPPROTO_TCP, .ip_ttl = 64 };
	struct tcphdr th = { .th_sport = htons(179),
			     .th_dport = htons(40000),
			     .th_seq = htonl(1000),
			     .th_ack = htonl(2000),
			     .th_off = 5,
			     .th_flags = TH_ACK | TH_PUSH };
	size_t plen = strlen(payload);

	ip.ip_len = htons(sizeof(ip) + sizeof(th) + plen);
	inet_pton(AF_INET, "10.0.1.2", &ip.ip_src);
	inet_pton(AF_INET, "10.0.1.1", &ip.ip_dst);
	memcpy(buf, &ip, sizeof(ip));
	memcpy(buf + sizeof(ip), &th, sizeof(th));
	memcpy(buf + sizeof(ip) + sizeof(th), payload, plen);
	return sizeof(ip) + sizeof(th) + plen;
}

static size_t ipv6_segment(uint8_t *buf, const char *payload)
{
	struct ip6_hdr ip6 = {};
	struct tcphdr th = { .th_sport = htons(40001),
			     .th_dport = htons(179),
			     .th_seq = htonl(0xfffffff0),
			     .th_ack = htonl(7),
			     .th_off = 5,
			     .th_flags = TH_ACK };
	size_t plen = strlen(payload);

	/* (members of one union: not in one initializer) */
	ip6.ip6_flow = htonl(0x60000000);
	ip6.ip6_nxt = IPPROTO_TCP;
	ip6.ip6_hlim = 64;
	ip6.ip6_plen = htons(sizeof(th) + plen);
	inet_pton(AF_INET6, "fd00::2", &ip6.ip6_src);
	inet_pton(AF_INET6, "fd00::1", &ip6.ip6_dst);
	memcpy(buf, &ip6, sizeof(ip6));
	memcpy(buf + sizeof(ip6), &th, sizeof(th));
	memcpy(buf + sizeof(ip6) + sizeof(th), payload, plen);
	return sizeof(ip6) + sizeof(th) + plen;
}

static void test_parse_tcp(void **state)
{
	uint8_t buf[256];
	struct ha_nfq_tcp seg;
	size_t len;
	char addr[64];

	len = ipv4_segment(buf, "keepalive");
	assert_true(ha_nfq_parse_tcp(buf, len, &seg));
	assert_int_equal(seg.seq, 1000);
	assert_int_equal(seg.ack, 2000);
	assert_int_equal(seg.flags, TH_ACK | TH_PUSH);
	assert_int_equal(seg.payload_len, 9);
	assert_memory_equal(seg.payload, "keepalive", 9);
	assert_int_equal(ntohs(((struct sockaddr_in *)&seg.src)->sin_port), 179);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&seg.dst)->sin_addr, addr, sizeof(addr));
	assert_string_equal(addr, "10.0.1.1");
	/* every truncation is refused, never read beyond */
	for (size_t l = 0; l < len; l++)
		assert_false(ha_nfq_parse_tcp(buf, l, &seg));
	/* a fragment is refused */
	buf[6] = 0x20;
	assert_false(ha_nfq_parse_tcp(buf, len, &seg));

	len = ipv6_segment(buf, "open");
	assert_true(ha_nfq_parse_tcp(buf, len, &seg));
	assert_int_equal(seg.seq, 0xfffffff0);
	assert_int_equal(seg.payload_len, 4);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&seg.dst)->sin6_port), 179);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&seg.src)->sin6_addr, addr, sizeof(addr));
	assert_string_equal(addr, "fd00::2");
	for (size_t l = 0; l < len; l++)
		assert_false(ha_nfq_parse_tcp(buf, l, &seg));
	/* a TCP header length beyond the packet */
	buf[sizeof(struct ip6_hdr) + 12] = 0xf0;
	assert_false(ha_nfq_parse_tcp(buf, len, &seg));
}

/* An IPv4 segment whose TCP header carries opt (olen bytes, a multiple of
 * 4) before a 2-byte payload. */
static size_t segment_with_options(uint8_t *buf, const uint8_t *opt, size_t olen)
{
	struct ip ip = { .ip_v = 4, .ip_hl = 5, .ip_p = IPPROTO_TCP, .ip_ttl = 64 };
	struct tcphdr th = { .th_sport = htons(179),
			     .th_dport = htons(40000),
			     .th_seq = htonl(1),
			     .th_win = htons(502),
			     .th_off = (sizeof(th) + olen) / 4,
			     .th_flags = TH_ACK };
	size_t len = sizeof(ip) + sizeof(th) + olen + 2;

	ip.ip_len = htons(len);
	memcpy(buf, &ip, sizeof(ip));
	memcpy(buf + sizeof(ip), &th, sizeof(th));
	memcpy(buf + sizeof(ip) + sizeof(th), opt, olen);
	memcpy(buf + len - 2, "hi", 2);
	return len;
}

/* The window and the timestamps option (what a takeover after the death
 * of a card continues from); options that do not add up are ignored,
 * never read beyond. */
static void test_parse_tcp_options(void **state)
{
	const uint8_t ts[12] = { 1, 1, 8, 10, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 9 };
	const uint8_t sack_then_ts[24] = { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2,
					   1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 0, 2 };
	const uint8_t eol_first[12] = { 0, 1, 8, 10, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 9 };
	const uint8_t short_ts[12] = { 1, 1, 8, 12, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 9 };
	const uint8_t zero_len[4] = { 3, 0, 8, 10 };
	uint8_t buf[128];
	struct ha_nfq_tcp seg;
	size_t len;

	len = segment_with_options(buf, ts, sizeof(ts));
	assert_true(ha_nfq_parse_tcp(buf, len, &seg));
	assert_int_equal(seg.window, 502);
	assert_true(seg.has_ts);
	assert_int_equal(seg.tsval, 0x12345678);
	assert_int_equal(seg.tsecr, 9);
	assert_int_equal(seg.payload_len, 2);
	assert_memory_equal(seg.payload, "hi", 2);

	len = segment_with_options(buf, sack_then_ts, sizeof(sack_then_ts));
	assert_true(ha_nfq_parse_tcp(buf, len, &seg));
	assert_true(seg.has_ts);
	assert_int_equal(seg.tsval, 256);
	assert_int_equal(seg.tsecr, 2);

	/* after an end-of-options, nothing more is an option */
	len = segment_with_options(buf, eol_first, sizeof(eol_first));
	assert_true(ha_nfq_parse_tcp(buf, len, &seg));
	assert_false(seg.has_ts);
	/* an option running beyond the header, or of length 0 */
	len = segment_with_options(buf, short_ts, sizeof(short_ts));
	assert_true(ha_nfq_parse_tcp(buf, len, &seg));
	assert_false(seg.has_ts);
	len = segment_with_options(buf, zero_len, sizeof(zero_len));
	assert_true(ha_nfq_parse_tcp(buf, len, &seg));
	assert_false(seg.has_ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tcp),
		cmocka_unit_test(test_parse_tcp_options),
		cmocka_unit_test(test_held_until_verdict),
		cmocka_unit_test(test_dropped_is_sent_again),
		cmocka_unit_test(test_verdicts_sent_together),
		cmocka_unit_test(test_bypass_without_a_program),
		cmocka_unit_test(test_queue_bound_once),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
