// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark of a data channel (lib/ha_repl.c) between two processes,
 * normally in two network namespaces joined by a veth pair (bench/repl.sh),
 * i.e. between two "cards" on this machine.
 *
 *   repl_bench standby PORT                (listens; serves until EOF)
 *   repl_bench active ADDR PORT OUT.json   (runs the measurements)
 *
 * Measured, each against a baseline of the same bytes on a plain TCP
 * socket over the same link in the same run:
 *   - throughput: N deltas of S bytes, from the first send to the commit
 *     ack of the last (authenticated frames, window, cumulative acks);
 *     baseline: the same bytes written to a TCP sink that answers at end;
 *   - gated-ack latency: a delta is sent and gated (ha_repl_gate); time
 *     until the gate runs, one at a time on an idle channel; baseline: a
 *     TCP ping-pong of the same size.
 */
#include <zebra.h>

#include <math.h>
#include <netinet/tcp.h>

#include "frrevent.h"
#include "memory.h"

#include "ha_auth.h"
#include "ha_repl.h"

#define BENCH_CLASS 1

static struct event_loop *loop;
static struct ha_repl *repl;
static uint64_t applied;

static int64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool bench_apply(struct ha_repl *r, uint8_t kind, uint16_t subtype, const uint8_t *data,
			size_t len, char *err, size_t errlen, void *arg)
{
	applied++;
	return true;
}

static void bench_digest(struct ha_repl *r, struct ha_hash *h, uint64_t *items, void *arg)
{
	*items = 0;
}

static const struct ha_repl_class bench_class = {
	.id = BENCH_CLASS,
	.name = "bench",
	.apply = bench_apply,
	.digest = bench_digest,
};

static const uint8_t bench_key[HA_CHANNEL_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void run_until(bool (*cond)(void))
{
	struct event ev;

	while (!cond())
		if (event_fetch(loop, &ev))
			event_call(&ev);
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return fd;
}

static int accept_one(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int lfd = tcp_socket(), fd, one = 1;

	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 1) < 0) {
		perror("bind/listen");
		exit(1);
	}
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int connect_to(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd;

	inet_pton(AF_INET, addr, &sin.sin_addr);
	for (int i = 0; i < 200; i++) {
		fd = tcp_socket();
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
		close(fd);
		usleep(10000);
	}
	perror("connect");
	exit(1);
}

/* --- standby: the engine, then plain TCP baselines on the same link --- */

static void serve_baselines(int port)
{
	static uint8_t buf[1 << 16];
	int fd = accept_one(port + 1);
	uint64_t total;
	ssize_t n;

	/* ping-pong: echo fixed-size messages until a zero-length header */
	for (;;) {
		uint32_t len, got = 0;

		if (read(fd, &len, 4) != 4 || len == 0)
			break;
		while (got < len) {
			n = read(fd, buf, len - got);
			if (n <= 0)
				exit(1);
			got += n;
		}
		if (write(fd, &len, 4) != 4 || write(fd, buf, len) != (ssize_t)len)
			exit(1);
	}
	/* sink: count bytes, answer one byte at the end */
	if (read(fd, &total, 8) != 8)
		exit(1);
	while (total) {
		n = read(fd, buf, MIN(sizeof(buf), total));
		if (n <= 0)
			exit(1);
		total -= n;
	}
	if (write(fd, "k", 1) != 1)
		exit(1);
	close(fd);
}

static int run_standby(int port)
{
	int fd = accept_one(port);
	struct event ev;

	ha_repl_set_role(repl, HA_ROLE_STANDBY);
	ha_repl_attach(repl, fd, bench_key);
	while (ha_repl_attached(repl) && event_fetch(loop, &ev))
		event_call(&ev);
	serve_baselines(port);
	return 0;
}

/* --- active: the measurements --- */

static bool synced(void)
{
	return ha_repl_state(repl) == HA_REPL_SYNCED;
}

static bool all_committed(void)
{
	struct ha_msg_repl_status st;

	ha_repl_status(repl, &st);
	return st.committed == st.sent && st.queue == 0;
}

static bool not_congested(void)
{
	return !ha_repl_congested(repl);
}

static bool gate_ran;

static void gate_cb(void *arg)
{
	gate_ran = true;
}

static bool gate_done(void)
{
	return gate_ran;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(int64_t *v, size_t n, double p)
{
	size_t i = (size_t)ceil(p / 100.0 * n);

	return (double)v[i ? i - 1 : 0];
}

static void throughput(size_t n, size_t size, double *deltas_s, double *mb_s)
{
	uint8_t *data = calloc(1, size);
	int64_t t0;

	t0 = now_usec();
	for (size_t i = 0; i < n; i++) {
		memcpy(data, &i, sizeof(i) < size ? sizeof(i) : size);
		ha_repl_send(repl, BENCH_CLASS, 1, data, size);
		/* a producer that honours flow control */
		if (ha_repl_congested(repl))
			run_until(not_congested);
	}
	run_until(all_committed);
	*deltas_s = n / ((now_usec() - t0) / 1e6);
	*mb_s = *deltas_s * size / 1e6;
	free(data);
}

static void gated_latency(size_t n, size_t size, double *p50, double *p99)
{
	uint8_t *data = calloc(1, size);
	int64_t *lat = calloc(n, sizeof(*lat));

	for (size_t i = 0; i < n; i++) {
		int64_t t0 = now_usec();
		uint64_t ticket = ha_repl_send(repl, BENCH_CLASS, 1, data, size);

		gate_ran = false;
		ha_repl_gate(repl, ticket, gate_cb, NULL);
		run_until(gate_done);
		lat[i] = now_usec() - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_i64);
	*p50 = pct(lat, n, 50);
	*p99 = pct(lat, n, 99);
	free(lat);
	free(data);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			exit(1);
		p += n;
		len -= n;
	}
}

static void read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			exit(1);
		p += n;
		len -= n;
	}
}

static void baselines(const char *addr, int port, size_t pp_n, size_t size, size_t tp_n,
		      double *pp50, double *pp99, double *tcp_mb_s)
{
	int fd = connect_to(addr, port + 1);
	int64_t *lat = calloc(pp_n, sizeof(*lat));
	uint8_t *buf = calloc(1, size);
	uint32_t len = size, zero = 0;
	uint64_t total = (uint64_t)tp_n * size;
	static uint8_t chunk[1 << 16];
	int64_t t0;
	char k;

	for (size_t i = 0; i < pp_n; i++) {
		t0 = now_usec();
		write_all(fd, &len, 4);
		write_all(fd, buf, size);
		read_all(fd, &len, 4);
		read_all(fd, buf, size);
		lat[i] = now_usec() - t0;
	}
	write_all(fd, &zero, 4);
	qsort(lat, pp_n, sizeof(*lat), cmp_i64);
	*pp50 = pct(lat, pp_n, 50);
	*pp99 = pct(lat, pp_n, 99);

	t0 = now_usec();
	write_all(fd, &total, 8);
	for (uint64_t left = total; left;) {
		size_t n = MIN(sizeof(chunk), left);

		write_all(fd, chunk, n);
		left -= n;
	}
	read_all(fd, &k, 1);
	*tcp_mb_s = total / ((now_usec() - t0) / 1e6) / 1e6;
	close(fd);
	free(lat);
	free(buf);
}

static int run_active(const char *addr, int port, const char *out)
{
	size_t tp_n = 200000, lat_n = 20000;
	double small_ds, small_mb, big_ds, big_mb, p50, p99, bp50, bp99, tcp_mb;
	FILE *fp;
	int fd = connect_to(addr, port);

	ha_repl_set_role(repl, HA_ROLE_ACTIVE);
	ha_repl_attach(repl, fd, bench_key);
	run_until(synced);

	throughput(tp_n, 100, &small_ds, &small_mb);
	throughput(tp_n / 10, 4000, &big_ds, &big_mb);
	gated_latency(lat_n, 100, &p50, &p99);
	ha_repl_detach(repl, "benchmark done");

	baselines(addr, port, lat_n, 100 + HA_DELTA_HDR_LEN + 8 + 32, tp_n / 10, &bp50, &bp99,
		  &tcp_mb);

	printf("data channel (authenticated, windowed, acked), between two namespaces:\n");
	printf("  %-44s %12.0f deltas/s  %8.1f MB/s\n", "throughput, 100-byte deltas", small_ds,
	       small_mb);
	printf("  %-44s %12.0f deltas/s  %8.1f MB/s\n", "throughput, 4000-byte deltas", big_ds,
	       big_mb);
	printf("  %-44s %12.1f MB/s   (ratio delta/plain %.2f)\n", "baseline: plain TCP, same link",
	       tcp_mb, big_mb / tcp_mb);
	printf("  %-44s p50 %7.1f us  p99 %7.1f us  (target p99 <= 200 us)\n",
	       "gated-ack latency, 100-byte delta", p50, p99);
	printf("  %-44s p50 %7.1f us  p99 %7.1f us  (ratio p99 %.2f)\n",
	       "baseline: plain TCP ping-pong, same size", bp50, bp99, p99 / bp99);

	fp = fopen(out, "w");
	if (fp) {
		fprintf(fp,
			"{\n  \"throughput_100B\": {\"deltas_per_s\": %.0f, \"mb_per_s\": %.2f},\n"
			"  \"throughput_4000B\": {\"deltas_per_s\": %.0f, \"mb_per_s\": %.2f},\n"
			"  \"baseline_tcp_mb_per_s\": %.2f,\n"
			"  \"gated_ack_usec\": {\"p50\": %.1f, \"p99\": %.1f, \"n\": %zu},\n"
			"  \"baseline_tcp_pingpong_usec\": {\"p50\": %.1f, \"p99\": %.1f},\n"
			"  \"target_gated_ack_p99_usec\": 200\n}\n",
			small_ds, small_mb, big_ds, big_mb, tcp_mb, p50, p99, lat_n, bp50, bp99);
		fclose(fp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	loop = event_master_create("repl_bench");
	repl = ha_repl_new(loop, "bench");
	ha_repl_register_class(repl, &bench_class);
	if (argc == 3 && strcmp(argv[1], "standby") == 0)
		return run_standby(atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "active") == 0)
		return run_active(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: %s standby PORT | active ADDR PORT OUT.json\n", argv[0]);
	return 2;
}
