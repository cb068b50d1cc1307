// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of lib/ha_tcp.c: a TCP connection frozen, dumped, its socket
 * closed, and re-created on a new socket; the other end notices nothing
 * (no RST, no FIN: it keeps talking to the same connection) and bytes
 * queued in either direction survive.  Runs in a private network namespace
 * (needs root: CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN for
 * TCP_REPAIR), on loopback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <cmocka.h>

#include "netns_helper.h"

#include "ha_tcp.h"

#define PORT 17900

static int setup(void **state)
{
	if (test_netns_enter("test_ha_tcp") < 0)
		return -1;
	return 0;
}

/* wait until fd has n bytes to read */
static void wait_inq(int fd, int n)
{
	for (int i = 0; i < 2000; i++) {
		int inq = 0;

		ioctl(fd, SIOCINQ, &inq);
		if (inq >= n)
			return;
		usleep(1000);
	}
	fail_msg("bytes did not arrive");
}

static void read_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		assert_int_equal(poll(&p, 1, 2000), 1);
		r = recv(fd, buf + got, n - got, 0);
		if (r <= 0)
			fail_msg("recv: %zd (%s): the connection was reset or closed", r,
				 strerror(errno));
		got += r;
	}
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_state;
}

/* A listener on port, a client, the accepted server side. */
static void connect_pair_on(int port, int *lfd, int *client, int *server)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1;

	*lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(*lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(*lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(*lfd, 1), 0);
	*client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*server = accept(*lfd, NULL, NULL);
	assert_true(*server >= 0);
}

static void connect_pair(int *lfd, int *client, int *server)
{
	connect_pair_on(PORT, lfd, client, server);
}

static int unacked(int fd)
{
	int outq = -1;

	assert_int_equal(ioctl(fd, SIOCOUTQ, &outq), 0);
	return outq;
}

/* The client's bytes stay unacknowledged over 200 ms (on loopback an
 * acknowledgement takes microseconds). */
static void assert_stays_unacked(int fd, int n)
{
	for (int i = 0; i < 200; i++) {
		if (unacked(fd) != n)
			fail_msg("%d bytes unacknowledged, expected %d: the frozen socket acknowledged what it will never deliver",
				 unacked(fd), n);
		usleep(1000);
	}
}

static void wait_all_acked(int fd)
{
	for (int i = 0; i < 3000 && unacked(fd); i++)
		usleep(1000);
	assert_int_equal(unacked(fd), 0);
}

/* The connection carried on by restored goes on both ways, the client
 * never having seen a reset or a close; then all three are closed. */
static void goes_on_then_closed(int client, int restored, int lfd)
{
	char buf[4];

	assert_int_equal(send(client, "more", 4, 0), 4);
	read_exact(restored, buf, 4);
	assert_memory_equal(buf, "more", 4);
	assert_int_equal(send(restored, "pong", 4, 0), 4);
	read_exact(client, buf, 4);
	assert_memory_equal(buf, "pong", 4);
	assert_int_equal(tcp_state(client), 1 /* TCP_ESTABLISHED */);
	close(client);
	close(restored);
	close(lfd);
}

/* What the peer sends to a frozen socket is neither acknowledged nor
 * lost: the peer sends it again, to the socket that carries the
 * connection on -- or, when the freeze is undone, to the same socket. */
static void test_frozen_socket_acknowledges_nothing(void **state)
{
	struct ha_tcp_state st;
	char err[256] = "", buf[64];
	int lfd, client, server, restored;

	connect_pair_on(PORT + 2, &lfd, &client, &server);
	assert_int_equal(send(client, "before", 6, 0), 6);
	wait_inq(server, 6);

	/* frozen, then thawed: the bytes sent meanwhile arrive afterwards */
	assert_int_equal(ha_tcp_freeze(server), 0);
	assert_int_equal(send(client, "while", 5, 0), 5);
	assert_stays_unacked(client, 5);
	assert_int_equal(ha_tcp_thaw(server), 0);
	read_exact(server, buf, 11);
	assert_memory_equal(buf, "beforewhile", 11);
	wait_all_acked(client);

	/* frozen and moved: the dump holds what arrived before the freeze,
	 * the bytes sent after it reach the new socket */
	assert_int_equal(send(client, "queued", 6, 0), 6);
	wait_inq(server, 6);
	assert_int_equal(ha_tcp_freeze(server), 0);
	assert_int_equal(send(client, "during", 6, 0), 6);
	assert_stays_unacked(client, 6);
	assert_int_equal(ha_tcp_dump(server, &st, err, sizeof(err)), 0);
	assert_int_equal(st.rcvq_len, 6);
	assert_memory_equal(st.rcvq, "queued", 6);
	close(server);
	restored = ha_tcp_restore(&st, err, sizeof(err));
	if (restored < 0)
		fail_msg("restore: %s", err);
	ha_tcp_state_clear(&st);
	read_exact(restored, buf, 12);
	assert_memory_equal(buf, "queuedduring", 12);
	wait_all_acked(client);
	assert_int_equal(tcp_state(client), 1 /* TCP_ESTABLISHED */);
	close(client);
	close(restored);
	close(lfd);
}

static void test_connection_moves_to_a_new_socket(void **state)
{
	struct ha_tcp_state st;
	char err[256] = "", buf[64];
	int lfd, client, server, restored;

	connect_pair(&lfd, &client, &server);
	/* traffic both ways, and 5 bytes the server has not read yet */
	assert_int_equal(send(server, "ping", 4, 0), 4);
	read_exact(client, buf, 4);
	assert_int_equal(send(client, "hello", 5, 0), 5);
	wait_inq(server, 5);

	assert_int_equal(ha_tcp_freeze(server), 0);
	assert_int_equal(ha_tcp_dump(server, &st, err, sizeof(err)), 0);
	assert_int_equal(st.rcvq_len, 5);
	assert_memory_equal(st.rcvq, "hello", 5);
	/* what the application read and wrote, from the socket's counters */
	assert_int_equal(st.bytes_received, 5);
	assert_int_equal(st.bytes_acked, 4);
	assert_int_equal(st.sndq_len, 0);
	assert_true(st.mss > 0);
	/* the daemon holding it dies: a socket in repair mode closes silently */
	close(server);

	/* the listener stays: the restored socket shares its port */
	restored = ha_tcp_restore(&st, err, sizeof(err));
	if (restored < 0)
		fail_msg("restore: %s", err);
	ha_tcp_state_clear(&st);

	/* the unread bytes are there, in order, and the stream goes on */
	read_exact(restored, buf, 5);
	assert_memory_equal(buf, "hello", 5);
	goes_on_then_closed(client, restored, lfd);
}

/* A connection carried on by a re-created socket and later closed (its
 * TIME_WAIT on the listener's port) does not keep the daemon from
 * listening on that port again: the socket leaves repair mode with
 * SO_REUSEADDR, as daemons set it on their own. */
static void test_restored_socket_lets_the_port_be_listened_on(void **state)
{
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(PORT + 7),
				   .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct ha_tcp_state st;
	char err[256] = "", buf[4];
	int lfd, client, server, restored, one = 1, reuse = 0, fd;
	socklen_t len = sizeof(reuse);

	connect_pair_on(PORT + 7, &lfd, &client, &server);
	assert_int_equal(ha_tcp_freeze(server), 0);
	assert_int_equal(ha_tcp_dump(server, &st, err, sizeof(err)), 0);
	close(server);
	restored = ha_tcp_restore(&st, err, sizeof(err));
	if (restored < 0)
		fail_msg("restore: %s", err);
	ha_tcp_state_clear(&st);
	assert_int_equal(getsockopt(restored, SOL_SOCKET, SO_REUSEADDR, &reuse, &len), 0);
	assert_int_equal(reuse, 1);
	/* the daemon stops listening, the connection ends (ours closes
	 * first: TIME_WAIT here) */
	close(lfd);
	close(restored);
	assert_int_equal(recv(client, buf, sizeof(buf), 0), 0);
	close(client);
	/* and the daemon listens again on every address of that port */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		fail_msg("bind to *:%d beside the TIME_WAIT: %s", PORT + 7, strerror(errno));
	close(fd);
}

/* The server has far more queued than the client's window takes: sent
 * and unacknowledged bytes, and bytes never sent.  All follow the
 * connection to the new socket and reach the client once, in order. */
static void test_send_queue_follows(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(PORT + 1),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static uint8_t out[1 << 20], in[1 << 20];
	struct ha_tcp_state st;
	char err[256] = "";
	int lfd, client, server, restored, one = 1, small = 4096;
	size_t written = 0, got = 0;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + i / 251);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	client = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(connect(client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	server = accept(lfd, NULL, NULL);
	setsockopt(server, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fcntl(server, F_SETFL, O_NONBLOCK);
	while (written < sizeof(out)) {
		ssize_t n = send(server, out + written, sizeof(out) - written, 0);

		if (n <= 0)
			break;
		written += n;
	}
	assert_true(written < sizeof(out)); /* the window is full */
	usleep(20000);

	assert_int_equal(ha_tcp_freeze(server), 0);
	assert_int_equal(ha_tcp_dump(server, &st, err, sizeof(err)), 0);
	assert_true(st.sndq_len > 0);
	/* both kinds: sent and not acknowledged, and never sent */
	print_message("send queue %u bytes, %u of them unsent\n", st.sndq_len, st.unsent_len);
	assert_true(st.unsent_len > 0 && st.unsent_len < st.sndq_len);
	close(server);
	restored = ha_tcp_restore(&st, err, sizeof(err));
	if (restored < 0)
		fail_msg("restore: %s", err);
	ha_tcp_state_clear(&st);

	/* the client reads everything written before the move, and then
	 * what the new socket writes, once and in order */
	fcntl(restored, F_SETFL, 0);
	while (got < written) {
		struct pollfd p = { .fd = client, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 3000) != 1)
			fail_msg("stalled after %zu of %zu bytes", got, written);
		n = recv(client, in + got, written - got, 0);
		if (n <= 0)
			fail_msg("recv: %zd (%s)", n, strerror(errno));
		got += n;
	}
	assert_memory_equal(in, out, written);
	assert_int_equal(send(restored, "end", 3, 0), 3);
	read_exact(client, (char *)in, 3);
	assert_memory_equal(in, "end", 3);
	assert_int_equal(tcp_state(client), 1 /* TCP_ESTABLISHED */);
	close(client);
	close(restored);
	close(lfd);
}

/* A connection re-created ahead of its takeover, frozen, drops what the
 * peer sends meanwhile -- where no socket at all would make the kernel
 * answer with a RST -- and gets it again once resumed. */
static void test_restored_frozen_until_resumed(void **state)
{
	struct ha_tcp_state st;
	char err[256] = "", buf[16];
	int lfd, client, server, restored;

	connect_pair_on(PORT + 4, &lfd, &client, &server);
	assert_int_equal(ha_tcp_freeze(server), 0);
	assert_int_equal(ha_tcp_dump(server, &st, err, sizeof(err)), 0);
	close(server);
	restored = ha_tcp_restore_frozen(&st, err, sizeof(err));
	if (restored < 0)
		fail_msg("restore: %s", err);
	assert_int_equal(send(client, "early", 5, 0), 5);
	assert_stays_unacked(client, 5);
	assert_int_equal(tcp_state(client), 1 /* TCP_ESTABLISHED: no RST came */);
	if (ha_tcp_resume(restored, &st, err, sizeof(err)) < 0)
		fail_msg("resume: %s", err);
	ha_tcp_state_clear(&st);
	read_exact(restored, buf, 5);
	assert_memory_equal(buf, "early", 5);
	wait_all_acked(client);
	close(client);
	close(restored);
	close(lfd);
}

/* Bytes the application read and had not consumed yet, and bytes it had
 * not written yet, follow the connection: the new socket reads the former
 * first, the peer receives the latter. */
static void test_application_buffers_follow(void **state)
{
	static uint8_t out[300000], in[300000 + 4];
	struct ha_tcp_state st;
	char err[256] = "", buf[16];
	int lfd, client, server, restored;
	size_t got = 0;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 13 + i / 257);
	connect_pair_on(PORT + 3, &lfd, &client, &server);
	fcntl(client, F_SETFL, O_NONBLOCK);
	for (size_t sent = 0; sent < sizeof(out) || got < sizeof(out);) {
		ssize_t n = send(client, out + sent, sizeof(out) - sent, 0);

		if (n > 0)
			sent += n;
		/* the application reads everything, processes nothing */
		n = recv(server, in + got, sizeof(out) - got, MSG_DONTWAIT);
		if (n > 0)
			got += n;
	}
	assert_int_equal(send(client, "tail", 4, 0), 4);
	wait_inq(server, 4);

	assert_int_equal(ha_tcp_freeze(server), 0);
	assert_int_equal(ha_tcp_dump(server, &st, err, sizeof(err)), 0);
	assert_int_equal(st.rcvq_len, 4);
	assert_int_equal(ha_tcp_state_unread(&st, in, sizeof(out)), 0);
	assert_int_equal(ha_tcp_state_unwritten(&st, (const uint8_t *)"reply", 5), 0);
	assert_int_equal(st.rcvq_len, sizeof(out) + 4);
	assert_int_equal(st.unsent_len, 5);
	/* a queue cannot grow beyond the limit */
	assert_int_equal(ha_tcp_state_unread(&st, in, HA_TCP_QUEUE_MAX), -1);
	close(server);
	restored = ha_tcp_restore(&st, err, sizeof(err));
	if (restored < 0)
		fail_msg("restore: %s", err);
	ha_tcp_state_clear(&st);

	memset(in, 0, sizeof(in));
	read_exact(restored, (char *)in, sizeof(in));
	assert_memory_equal(in, out, sizeof(out));
	assert_memory_equal(in + sizeof(out), "tail", 4);
	fcntl(client, F_SETFL, 0);
	read_exact(client, buf, 5);
	assert_memory_equal(buf, "reply", 5);
	assert_int_equal(tcp_state(client), 1 /* TCP_ESTABLISHED */);
	close(client);
	close(restored);
	close(lfd);
}

static void test_refusals(void **state)
{
	struct ha_tcp_state st;
	char err[256] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* a socket that is not connected has no connection to dump */
	assert_int_equal(ha_tcp_freeze(fd), 0);
	assert_int_equal(ha_tcp_dump(fd, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not established"));
	close(fd);
}

static uint32_t tcp_clock(int fd)
{
	uint32_t ts = 0;
	socklen_t len = sizeof(ts);

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &ts, &len), 0);
	return ts;
}

/* Bytes arrive on fd within ms, or not. */
static bool arrives_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* A re-created socket whose timestamp clock is behind the last TSval the
 * peer took from the connection: the peer drops its segments (PAWS, RFC
 * 7323) -- until its clock is moved forward, live, past that TSval: its
 * next retransmission is taken, the connection never reset. */
static void test_clock_behind_the_peer_advanced(void **state)
{
	struct ha_tcp_state st;
	char err[256] = "", buf[64];
	int lfd, client, server, restored;
	uint32_t seen;

	connect_pair_on(PORT + 9, &lfd, &client, &server);
	assert_int_equal(send(server, "ping", 4, 0), 4);
	read_exact(client, buf, 4);
	assert_int_equal(ha_tcp_freeze(server), 0);
	assert_int_equal(ha_tcp_dump(server, &st, err, sizeof(err)), 0);
	close(server);
	assert_true(st.tstamp);
	/* the last TSval the client took is at most the dumped clock */
	seen = st.timestamp;
	st.timestamp -= 60000; /* a minute behind */
	restored = ha_tcp_restore(&st, err, sizeof(err));
	if (restored < 0)
		fail_msg("restore: %s", err);
	ha_tcp_state_clear(&st);

	assert_int_equal(send(restored, "late", 4, 0), 4);
	/* dropped by the client, however often sent again */
	assert_false(arrives_within(client, 1500));

	assert_int_equal(ha_tcp_clock_advance(restored, seen + 1), 0);
	assert_true((int32_t)(tcp_clock(restored) - (seen + 1)) >= 0);
	/* a millisecond clock still (an odd value would select microseconds) */
	assert_int_equal(tcp_clock(restored) & 1, 0);
	/* the next retransmission (its backoff: seconds) is taken */
	assert_true(arrives_within(client, 10000));
	read_exact(client, buf, 4);
	assert_memory_equal(buf, "late", 4);
	goes_on_then_closed(client, restored, lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connection_moves_to_a_new_socket),
		cmocka_unit_test(test_send_queue_follows),
		cmocka_unit_test(test_frozen_socket_acknowledges_nothing),
		cmocka_unit_test(test_application_buffers_follow),
		cmocka_unit_test(test_restored_frozen_until_resumed),
		cmocka_unit_test(test_restored_socket_lets_the_port_be_listened_on),
		cmocka_unit_test(test_clock_behind_the_peer_advanced),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
