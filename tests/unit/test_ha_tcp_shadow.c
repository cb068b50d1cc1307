// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of lib/ha_tcp_shadow.c: a connection followed from its
 * segments -- our messages followed, what the peer acknowledged dropped,
 * a message cut or a stream that is not BGP refused -- and, end to end in
 * a private network namespace (needs root and iptables), a real connection
 * whose segments pass a netfilter queue as on the active card, whose
 * socket then vanishes without a word (the card died): the connection is
 * rebuilt from the record alone, and the peer's socket carries on -- the
 * bytes it never got arrive, its unread bytes are read, nothing is lost or
 * doubled, no FIN or RST.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "netns_helper.h"

#include "ha_bgp_stream.h"
#include "ha_nfq.h"
#include "ha_tcp_shadow.h"

#define QNUM 18
#define PORT 17911

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A BGP message of len bytes, its body filled from seed. */
static void message(uint8_t *buf, uint16_t len, uint8_t seed)
{
	memset(buf, 0xff, 16);
	buf[16] = len >> 8;
	buf[17] = len & 0xff;
	buf[18] = 2; /* UPDATE */
	for (uint16_t i = HA_BGP_HEADER_LEN; i < len; i++)
		buf[i] = (uint8_t)(seed + i);
}

static struct ha_tcp_shadow_segment ours(uint64_t offset, const uint8_t *data, size_t len)
{
	return (struct ha_tcp_shadow_segment){ .outbound = true,
					       .offset = offset,
					       .seq = 1000 + (uint32_t)offset,
					       .ack = 5000,
					       .window = 100,
					       .has_ts = true,
					       .tsval = 70000,
					       .data = data,
					       .len = len };
}

static struct ha_tcp_shadow_segment theirs_ack(uint64_t acked)
{
	return (struct ha_tcp_shadow_segment){ .seq = 5000,
					       .ack = 1000 + (uint32_t)acked,
					       .window = 300 };
}

static void shadow_with_options(struct ha_tcp_shadow *s)
{
	struct ha_tcp_shadow_options opt = {
		.mss = 1448, .tstamp = true, .wscale = true, .snd_wscale = 7, .rcv_wscale = 2
	};
	struct sockaddr_in *l = (struct sockaddr_in *)&opt.local;

	l->sin_family = AF_INET;
	opt.remote = opt.local;
	opt.addrlen = sizeof(*l);
	ha_tcp_shadow_init(s);
	ha_tcp_shadow_set_options(s, &opt);
	ha_tcp_shadow_anchor(s, false, 5000, 0);
}

/* Our messages are followed across segments; the peer's acknowledgement
 * drops what it has; the state built holds exactly what it may not have. */
/* what on_update got: the number of UPDATEs, the last one's bytes */
struct updates {
	int n;
	uint8_t last[300];
	size_t len;
};

static void on_update(void *arg, const uint8_t *msg, size_t len)
{
	struct updates *u = arg;

	u->n++;
	assert_true(len <= sizeof(u->last));
	memcpy(u->last, msg, len);
	u->len = len;
}

static void test_follows_our_messages(void **state)
{
	struct updates u = {};
	struct ha_tcp_shadow s;
	struct ha_tcp_shadow_segment seg;
	struct ha_tcp_state st;
	struct ha_reasm rcv;
	uint8_t m[300];
	char err[256] = "";
	bool cut;

	shadow_with_options(&s);
	s.on_update = on_update;
	s.on_update_arg = &u;
	ha_reasm_init(&rcv);
	message(m, 100, 1);
	message(m + 100, 200, 2);
	/* 300 bytes of two messages, in two segments cutting the second */
	seg = ours(0, m, 150);
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 10, err, sizeof(err)), 0);
	assert_int_equal(s.snd_boundary, 100);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.len, 100);
	assert_memory_equal(u.last, m, 100);
	/* a state now would carry the second message cut */
	assert_int_equal(ha_tcp_shadow_build(&s, &rcv, 0, 10, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cut"));
	/* ... which can still be built to be closed in order: our bytes as
	 * far as they go */
	assert_int_equal(ha_tcp_shadow_build_cut(&s, &rcv, 0, 10, &st, &cut, err, sizeof(err)), 0);
	assert_true(cut);
	assert_int_equal(st.sndq_len, 150);
	assert_int_equal(st.snd_seq, 1000);
	ha_tcp_state_clear(&st);
	seg = ours(150, m + 150, 150);
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 20, err, sizeof(err)), 0);
	assert_int_equal(s.snd_boundary, 300);
	/* the second UPDATE, whole, once it is */
	assert_int_equal(u.n, 2);
	assert_int_equal(u.len, 200);
	assert_memory_equal(u.last, m + 100, 200);
	/* sent again (a retransmission): nothing changes, nothing followed twice */
	seg = ours(0, m, 150);
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 20, err, sizeof(err)), 0);
	assert_int_equal(s.snd_boundary, 300);
	assert_int_equal(u.n, 2);
	/* the peer has the first message */
	seg = theirs_ack(100);
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 20, err, sizeof(err)), 0);
	assert_int_equal(s.snd_acked, 100);
	/* an acknowledgement of bytes never sent is not believed */
	seg = theirs_ack(5000);
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 20, err, sizeof(err)), 0);
	assert_int_equal(s.snd_acked, 100);

	assert_int_equal(ha_tcp_shadow_build_cut(&s, &rcv, 0, 25, &st, &cut, err, sizeof(err)), 0);
	assert_false(cut);
	ha_tcp_state_clear(&st);
	assert_int_equal(ha_tcp_shadow_build(&s, &rcv, 0, 25, &st, err, sizeof(err)), 0);
	assert_int_equal(st.snd_seq, 1100);
	assert_int_equal(st.sndq_len, 200);
	assert_memory_equal(st.sndq, m + 100, 200);
	assert_int_equal(st.unsent_len, 0);
	assert_int_equal(st.rcv_seq, 5000);
	assert_int_equal(st.rcvq_len, 0);
	/* our clock: its TSval as first seen (at 10 ms: seen again at 20, it
	 * was no later than that) moved on by 15 ms, and one */
	assert_int_equal(st.timestamp, 70000 + 15 + 1);
	assert_true(st.have_window);
	assert_int_equal(st.snd_wnd, 300u << 7);
	assert_int_equal(st.rcv_wnd, 100u << 2);
	assert_int_equal(st.rcv_wup, 5000);
	assert_int_equal(st.mss, 1448);
	ha_tcp_state_clear(&st);
	ha_tcp_shadow_clear(&s);
}

/* A record that has seen no window of the peer's (e.g. a standby's bulk
 * copy taken in, no segment of the peer's since) still builds a socket
 * that can send: one segment's worth of the peer's window, our window
 * open -- not 0, with which the rebuilt connection could send no
 * KEEPALIVE before the peer's hold timer ended the session. */
static void test_windows_not_seen(void **state)
{
	struct ha_tcp_shadow s;
	struct ha_tcp_state st;
	struct ha_reasm rcv;
	struct ha_tcp_shadow_segment seg;
	uint8_t m[100];
	char err[256] = "";
	bool cut;

	ha_reasm_init(&rcv);
	shadow_with_options(&s);
	ha_tcp_shadow_anchor(&s, true, 1000, 0);
	s.have_tsval = true;
	s.tsval = 70000;
	assert_int_equal(ha_tcp_shadow_build_cut(&s, &rcv, 0, 0, &st, &cut, err, sizeof(err)), 0);
	assert_true(st.have_window);
	assert_int_equal(st.snd_wnd, 1448);
	assert_int_equal(st.max_window, 1448);
	assert_int_equal(st.snd_wl1, 5000);
	assert_int_equal(st.rcv_wnd, 65535);
	assert_int_equal(st.rcv_wup, 5000);
	ha_tcp_state_clear(&st);
	/* our window seen, the peer's still not */
	message(m, sizeof(m), 1);
	seg = ours(0, m, sizeof(m));
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 0, err, sizeof(err)), 0);
	assert_int_equal(ha_tcp_shadow_build_cut(&s, &rcv, 0, 0, &st, &cut, err, sizeof(err)), 0);
	assert_int_equal(st.snd_wnd, 1448);
	assert_int_equal(st.rcv_wnd, 100u << 2);
	ha_tcp_state_clear(&st);
	ha_tcp_shadow_clear(&s);
}

/* Our clock, from TSvals read (or applied) at different times: the record
 * keeps the estimate further ahead; a value that arrives late, older
 * than the clock as it has gone on since, never sets it back (a rebuilt
 * connection behind what the peer saw has its segments dropped). */
static void test_clock_never_set_back(void **state)
{
	struct ha_tcp_shadow s;
	struct ha_tcp_shadow_segment seg = { .outbound = true, .seq = 1000, .has_ts = true };
	char err[256] = "";

	ha_tcp_shadow_init(&s);
	assert_false(s.have_tsval);
	ha_tcp_shadow_clock(&s, 50000, 1000);
	assert_true(s.have_tsval);
	assert_int_equal(ha_tcp_shadow_clock_at(&s, 3000), 52000);
	/* a value read 1.5 s before this one, applied late */
	ha_tcp_shadow_clock(&s, 50500, 3000);
	assert_int_equal(ha_tcp_shadow_clock_at(&s, 3000), 52000);
	/* the same from a segment */
	seg.tsval = 51000;
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 3000, err, sizeof(err)), 0);
	assert_int_equal(ha_tcp_shadow_clock_at(&s, 4000), 53000);
	/* a fresher one moves the clock forward */
	ha_tcp_shadow_clock(&s, 60000, 4000);
	assert_int_equal(ha_tcp_shadow_clock_at(&s, 4000), 60000);
	seg.tsval = 60500;
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 4100, err, sizeof(err)), 0);
	assert_int_equal(ha_tcp_shadow_clock_at(&s, 4100), 60500);
	ha_tcp_shadow_clear(&s);
	/* across the wrap of the 32-bit clock */
	ha_tcp_shadow_init(&s);
	ha_tcp_shadow_clock(&s, 0xffffff00u, 5000);
	assert_int_equal(ha_tcp_shadow_clock_at(&s, 5000), 0xffffff00u);
	ha_tcp_shadow_clock(&s, 0x100, 5100);
	assert_int_equal(ha_tcp_shadow_clock_at(&s, 5100), 0x100);
	ha_tcp_shadow_clock(&s, 0xffffff80u, 5200); /* older */
	assert_int_equal(ha_tcp_shadow_clock_at(&s, 5200), 0x164);
	ha_tcp_shadow_clear(&s);
}

/* The peer's bytes from what was consumed, as far as they go without a
 * gap, make the receive queue. */
static void test_receive_queue_from_the_peer_bytes(void **state)
{
	struct ha_tcp_shadow s;
	struct ha_tcp_state st;
	struct ha_reasm rcv;
	char err[256] = "";

	shadow_with_options(&s);
	s.have_tsval = true;
	ha_tcp_shadow_anchor(&s, true, 1000, 0);
	ha_reasm_init(&rcv);
	ha_reasm_add(&rcv, 0, (const uint8_t *)"0123456789", 10);
	ha_reasm_add(&rcv, 12, (const uint8_t *)"cd", 2); /* beyond a gap */
	assert_int_equal(ha_tcp_shadow_build(&s, &rcv, 4, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(st.rcv_seq, 5004);
	assert_int_equal(st.rcvq_len, 6);
	assert_memory_equal(st.rcvq, "456789", 6);
	assert_int_equal(st.sndq_len, 0);
	ha_tcp_state_clear(&st);
	ha_reasm_clear(&rcv);
	ha_tcp_shadow_clear(&s);
}

/* What cannot make a connection is refused with its reason. */
static void test_refused(void **state)
{
	struct ha_tcp_shadow s;
	struct ha_tcp_shadow_segment seg;
	struct ha_tcp_state st;
	struct ha_reasm rcv;
	uint8_t junk[40];
	char err[256] = "";

	ha_reasm_init(&rcv);
	ha_tcp_shadow_init(&s);
	assert_int_equal(ha_tcp_shadow_build(&s, &rcv, 0, 0, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "options"));
	shadow_with_options(&s);
	assert_int_equal(ha_tcp_shadow_build(&s, &rcv, 0, 0, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sequence number"));
	/* our stream is not BGP */
	memset(junk, 0x41, sizeof(junk));
	seg = ours(0, junk, sizeof(junk));
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "header"));
	assert_int_equal(ha_tcp_shadow_build(&s, &rcv, 0, 0, &st, err, sizeof(err)), -1);
	/* a rebase starts our stream anew */
	ha_tcp_shadow_rebase(&s, 0);
	message(junk, sizeof(junk), 3);
	seg = ours(0, junk, sizeof(junk));
	assert_int_equal(ha_tcp_shadow_segment(&s, &seg, 0, err, sizeof(err)), 0);
	assert_int_equal(ha_tcp_shadow_build(&s, &rcv, 0, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(st.sndq_len, sizeof(junk));
	ha_tcp_state_clear(&st);
	ha_tcp_shadow_clear(&s);
}

/* ---- end to end: the card dies, the connection goes on ---- */

struct gate {
	int fd;
	struct ha_tcp_shadow sh;
	struct ha_reasm rcv; /* the peer's bytes the gate let through */
	uint32_t isn[2];     /* [outbound] */
	bool drop_ours;	     /* our data segments: recorded, lost on the line */
	bool dead;	     /* the card is gone: nothing passes */
};

static void gate_packet(uint32_t id, unsigned int hook, const uint8_t *pkt, size_t len, void *arg)
{
	struct gate *g = arg;
	bool out = hook == HA_NFQ_HOOK_OUTPUT, accept = !g->dead;
	struct ha_tcp_shadow_segment ss;
	struct ha_nfq_tcp seg;
	char err[256] = "";

	assert_true(ha_nfq_parse_tcp(pkt, len, &seg));
	if (g->dead) {
		/* nothing of the dead card is recorded any more */
	} else if (seg.flags & TH_SYN) {
		g->isn[out] = seg.seq;
		ha_tcp_shadow_anchor(&g->sh, out, seg.seq + 1, 0);
	} else {
		ss = (struct ha_tcp_shadow_segment){ .outbound = out,
						     .offset = (uint32_t)(seg.seq - g->isn[out] - 1),
						     .seq = seg.seq,
						     .ack = seg.ack,
						     .window = seg.window,
						     .has_ts = seg.has_ts,
						     .tsval = seg.tsval,
						     .data = seg.payload,
						     .len = seg.payload_len };
		assert_false(seg.flags & (TH_FIN | TH_RST));
		if (!out && seg.payload_len)
			ha_reasm_add(&g->rcv, ss.offset, seg.payload, seg.payload_len);
		if (ha_tcp_shadow_segment(&g->sh, &ss, now_ms(), err, sizeof(err)) < 0)
			fail_msg("%s", err);
		if (out && seg.payload_len && g->drop_ours)
			accept = false;
	}
	assert_int_equal(ha_nfq_verdict(g->fd, QNUM, id, accept), 0);
}

static void pump(struct gate *g, int ms)
{
	struct pollfd p = { .fd = g->fd, .events = POLLIN };

	if (poll(&p, 1, ms) == 1)
		assert_true(ha_nfq_read(g->fd, gate_packet, g) >= 0);
}

/* Read exactly want bytes from fd (non-blocking), the gate pumped
 * meanwhile; fails on EOF or an error (a FIN or RST). */
static void read_exactly(struct gate *g, int fd, uint8_t *buf, size_t want)
{
	size_t got = 0;

	for (int i = 0; i < 3000 && got < want; i++) {
		ssize_t n = recv(fd, buf + got, want - got, MSG_DONTWAIT);

		if (n == 0)
			fail_msg("end of stream after %zu of %zu bytes", got, want);
		if (n < 0 && errno != EAGAIN)
			fail_msg("recv after %zu of %zu bytes: %s", got, want, strerror(errno));
		if (n > 0)
			got += n;
		else
			pump(g, 2);
	}
	if (got < want)
		fail_msg("%zu of %zu bytes in 6 s", got, want);
}

static void write_all(int fd, const uint8_t *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static int setup_netns(void **state)
{
	if (test_netns_enter("test_ha_tcp_shadow") < 0)
		return -1;
	if (system("iptables -A OUTPUT -p tcp --sport 17911 -j NFQUEUE --queue-num 18") != 0 ||
	    system("iptables -A INPUT -p tcp --dport 17911 -j NFQUEUE --queue-num 18") != 0) {
		fprintf(stderr, "test_ha_tcp_shadow: iptables failed\n");
		return -1;
	}
	return 0;
}

static void test_connection_rebuilt_after_the_card_died(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(PORT),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static uint8_t m[4][6000], c[3][400], buf[8000];
	struct ha_tcp_shadow_options opt;
	struct ha_tcp_state st;
	struct gate g = {};
	char err[256] = "";
	int one = 1, lfd, cfd, sfd = -1, nsfd;
	uint64_t now, t0, elapsed;
	uint32_t ts[2];
	socklen_t len;

	if (setup_netns(state) < 0)
		skip();
	g.fd = ha_nfq_open(QNUM, 0xffff, err, sizeof(err));
	if (g.fd < 0)
		fail_msg("%s", err);
	ha_tcp_shadow_init(&g.sh);
	ha_reasm_init(&g.rcv);
	message(m[0], 100, 1);
	message(m[1], 5000, 2);
	message(m[2], 200, 3);
	message(m[3], 3000, 4);
	message(c[0], 300, 5);
	message(c[1], 40, 6);
	message(c[2], 77, 7);

	/* the card's listener ("bgpd"), the peer connecting to it */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)) == 0 || errno == EINPROGRESS);
	for (int i = 0; i < 1000 && sfd < 0; i++) {
		pump(&g, 5);
		sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	}
	assert_true(sfd >= 0);
	assert_int_equal(ha_tcp_shadow_options_of(sfd, &opt), 0);
	ha_tcp_shadow_set_options(&g.sh, &opt);

	/* both ways: the peer reads everything, the card leaves the peer's
	 * second message unread */
	write_all(sfd, m[0], 100);
	write_all(sfd, m[1], 5000);
	read_exactly(&g, cfd, buf, 5100);
	assert_memory_equal(buf, m[0], 100);
	assert_memory_equal(buf + 100, m[1], 5000);
	write_all(cfd, c[0], 300);
	write_all(cfd, c[1], 40);
	read_exactly(&g, sfd, buf, 300);
	assert_memory_equal(buf, c[0], 300);
	/* the card's next message is sent, recorded, and lost on the line */
	g.drop_ours = true;
	write_all(sfd, m[2], 200);
	for (int i = 0; i < 100 && g.sh.snd_boundary < 5300; i++)
		pump(&g, 5);
	assert_int_equal(g.sh.snd_boundary, 5300);
	/* let the peer's acknowledgements come */
	for (int i = 0; i < 50; i++)
		pump(&g, 5);

	/* the card dies: its socket vanishes without a word, nothing of it
	 * passes any more */
	g.dead = true;
	assert_int_equal(ha_tcp_freeze(sfd), 0);
	close(sfd);
	for (int i = 0; i < 60; i++)
		pump(&g, 5);

	/* the other card: the connection from the record alone (the peer's
	 * bytes from the 300 the card read); our last TSval such that the
	 * clock moved on is odd (as it can be) */
	now = now_ms();
	if (!((g.sh.tsval + (uint32_t)(now - g.sh.tsval_at_ms) + 1) & 1))
		g.sh.tsval++;
	assert_int_equal(ha_tcp_shadow_build(&g.sh, &g.rcv, 300, now, &st, err, sizeof(err)), 0);
	assert_true((int32_t)(st.timestamp - g.sh.tsval) > 0);
	assert_int_equal(st.sndq_len, 200);
	assert_int_equal(st.rcvq_len, 40);
	g.dead = false;
	g.drop_ours = false;
	nsfd = ha_tcp_restore(&st, err, sizeof(err));
	if (nsfd < 0)
		fail_msg("restore: %s", err);
	ha_tcp_state_clear(&st);
	fcntl(nsfd, F_SETFL, O_NONBLOCK);

	/* the peer's unread message, then its next one */
	read_exactly(&g, nsfd, buf, 40);
	assert_memory_equal(buf, c[1], 40);
	write_all(cfd, c[2], 77);
	read_exactly(&g, nsfd, buf, 77);
	assert_memory_equal(buf, c[2], 77);
	/* the peer gets the message it never got, then the next: no gap, no
	 * byte twice */
	write_all(nsfd, m[3], 3000);
	read_exactly(&g, cfd, buf, 3200);
	assert_memory_equal(buf, m[2], 200);
	assert_memory_equal(buf + 200, m[3], 3000);
	assert_int_equal(recv(cfd, buf, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	/* the rebuilt connection's timestamp clock ticks in milliseconds,
	 * like the one it carries on (a microsecond one would run a thousand
	 * times ahead of what a card rebuilding it next computes) */
	len = sizeof(ts[0]);
	assert_int_equal(getsockopt(nsfd, IPPROTO_TCP, TCP_TIMESTAMP, &ts[0], &len), 0);
	t0 = now_ms();
	while (now_ms() - t0 < 100)
		pump(&g, 5);
	assert_int_equal(getsockopt(nsfd, IPPROTO_TCP, TCP_TIMESTAMP, &ts[1], &len), 0);
	elapsed = now_ms() - t0;
	assert_true(ts[1] - ts[0] >= elapsed - 2 && ts[1] - ts[0] <= elapsed + 20);

	close(nsfd);
	close(cfd);
	close(lfd);
	ha_reasm_clear(&g.rcv);
	ha_tcp_shadow_clear(&g.sh);
	ha_nfq_close(g.fd, QNUM);
}

/* A rebuilt connection checked against the peer's segments: the record
 * confirmed, a gap that fills, one that stays, acknowledgements of bytes
 * never sent -- across the wrap of the sequence space. */
static void test_rebuilt_connection_checked_against_the_peer(void **state)
{
	const uint32_t base[] = { 1000, UINT32_MAX - 10 };
	struct ha_tcp_rebuilt_check c;

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		uint32_t r = base[i], o = base[i] + 5000; /* rcv_nxt, snd_nxt */

		/* the peer's next bytes just where the record ends */
		ha_tcp_rebuilt_check_init(&c, r, o);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r, 19, true, o),
				 HA_TCP_REBUILT_CONFIRMED);
		/* ... then nothing more is checked -- the peer's latest still
		 * followed */
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r + 100, 19, true, o + 999),
				 HA_TCP_REBUILT_UNSURE);
		assert_int_equal(c.peer_end, r + 119);
		assert_int_equal(c.peer_ack, o + 999);

		/* a retransmission of bytes the record has: the peer never had
		 * more acknowledged */
		ha_tcp_rebuilt_check_init(&c, r, o);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r - 19, 38, true, o),
				 HA_TCP_REBUILT_CONFIRMED);

		/* a bare acknowledgement: the peer's next byte is the record's */
		ha_tcp_rebuilt_check_init(&c, r, o);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r - 1, 0, true, o),
				 HA_TCP_REBUILT_UNSURE); /* (a keepalive probe) */
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r, 0, true, o),
				 HA_TCP_REBUILT_CONFIRMED);

		/* bytes beyond the end: lost in flight with the card, sent again
		 * by the peer -- the gap fills */
		ha_tcp_rebuilt_check_init(&c, r, o);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r + 19, 19, true, o),
				 HA_TCP_REBUILT_GAP);
		assert_int_equal(ha_tcp_rebuilt_gap(&c), 38);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r + 38, 0, true, o),
				 HA_TCP_REBUILT_GAP);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r, 38, true, o),
				 HA_TCP_REBUILT_CONFIRMED);

		/* a gap that stays: the caller's wait decides */
		ha_tcp_rebuilt_check_init(&c, r, o);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r + 57, 0, true, o),
				 HA_TCP_REBUILT_GAP);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r + 57, 19, true, o),
				 HA_TCP_REBUILT_GAP);
		assert_int_equal(ha_tcp_rebuilt_gap(&c), 76);
		assert_int_equal(ha_tcp_rebuilt_acked_beyond(&c), 0);

		/* the peer acknowledges bytes of ours this card never had */
		ha_tcp_rebuilt_check_init(&c, r, o);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r, 0, true, o + 19),
				 HA_TCP_REBUILT_DIVERGED);
		assert_int_equal(ha_tcp_rebuilt_acked_beyond(&c), 19);

		/* ... unlike bytes this card sent since the rebuild */
		ha_tcp_rebuilt_check_init(&c, r, o);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, true, o, 19, true, r),
				 HA_TCP_REBUILT_UNSURE);
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r + 19, 0, true, o + 19),
				 HA_TCP_REBUILT_GAP);
		assert_int_equal(ha_tcp_rebuilt_acked_beyond(&c), 0);
		/* an acknowledgement-less segment (none to compare) */
		assert_int_equal(ha_tcp_rebuilt_check_segment(&c, false, r, 19, false, 0),
				 HA_TCP_REBUILT_CONFIRMED);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_our_messages),
		cmocka_unit_test(test_windows_not_seen),
		cmocka_unit_test(test_clock_never_set_back),
		cmocka_unit_test(test_receive_queue_from_the_peer_bytes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_connection_rebuilt_after_the_card_died),
		cmocka_unit_test(test_rebuilt_connection_checked_against_the_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
