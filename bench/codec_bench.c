// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Codec benchmark: the two candidate encodings of a delta payload, on the
 * same model (the delta groupings of yang/frr-ha.yang):
 *
 *  - protobuf-c: the messages of proto/frrha.proto (what frr-ha uses);
 *  - libyang LYB: a data tree of bench/codec/frr-ha-codec-bench.yang
 *    (which instantiates the groupings), printed and parsed as LYB.
 *
 * For each, encode + decode + read every field back, N times, for a small
 * delta (one configuration command) and a large one (a 4 KiB snapshot).
 * Prints ns per delta and bytes on the wire, and the LYB/protobuf ratio;
 * writes them to the JSON file given.
 *
 *   codec_bench SRCDIR OUT.json [N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyang/libyang.h>

#include "frrha.pb-c.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static volatile size_t sink;

struct result {
	double ns;
	size_t bytes;
};

static struct result pb_command(int n, const char *line)
{
	struct result r = {};
	uint8_t buf[1024];
	int64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		Frrha__DeltaConfigCommand m = FRRHA__DELTA_CONFIG_COMMAND__INIT, *d;

		m.session = i;
		m.node = 42;
		m.line = (char *)line;
		r.bytes = frrha__delta_config_command__pack(&m, buf);
		d = frrha__delta_config_command__unpack(NULL, r.bytes, buf);
		sink += d->session + d->node + strlen(d->line);
		frrha__delta_config_command__free_unpacked(d, NULL);
	}
	r.ns = (double)(now_ns() - t0) / n;
	return r;
}

static struct result pb_snapshot(int n, const char *text)
{
	struct result r = {};
	size_t len = strlen(text) + 64;
	uint8_t *buf = malloc(len);
	int64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		Frrha__DeltaConfigSnapshot m = FRRHA__DELTA_CONFIG_SNAPSHOT__INIT, *d;

		m.text = (char *)text;
		m.lines = i;
		r.bytes = frrha__delta_config_snapshot__pack(&m, buf);
		d = frrha__delta_config_snapshot__unpack(NULL, r.bytes, buf);
		sink += d->lines + strlen(d->text);
		frrha__delta_config_snapshot__free_unpacked(d, NULL);
	}
	r.ns = (double)(now_ns() - t0) / n;
	free(buf);
	return r;
}

static const char *leaf_value(const struct lyd_node *tree, const char *path)
{
	struct lyd_node *leaf = NULL;

	if (lyd_find_path(tree, path, 0, &leaf) != LY_SUCCESS)
		abort();
	return lyd_get_value(leaf);
}

static struct result lyb_command(struct ly_ctx *ctx, int n, const char *line)
{
	struct result r = {};
	int64_t t0 = now_ns();
	char num[16];

	for (int i = 0; i < n; i++) {
		struct lyd_node *tree = NULL, *parsed = NULL;
		char *out = NULL;

		snprintf(num, sizeof(num), "%d", i);
		if (lyd_new_path(NULL, ctx, "/frr-ha-codec-bench:config-command/session", num, 0,
				 &tree) ||
		    lyd_new_path(tree, NULL, "/frr-ha-codec-bench:config-command/node", "42", 0,
				 NULL) ||
		    lyd_new_path(tree, NULL, "/frr-ha-codec-bench:config-command/line", line, 0,
				 NULL) ||
		    lyd_print_mem(&out, tree, LYD_LYB, LYD_PRINT_WITHSIBLINGS))
			abort();
		r.bytes = lyd_lyb_data_length(out);
		if (lyd_parse_data_mem(ctx, out, LYD_LYB, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0,
				       &parsed))
			abort();
		sink += strlen(leaf_value(parsed, "session")) + strlen(leaf_value(parsed, "node")) +
			strlen(leaf_value(parsed, "line"));
		lyd_free_all(parsed);
		lyd_free_all(tree);
		free(out);
	}
	r.ns = (double)(now_ns() - t0) / n;
	return r;
}

static struct result lyb_snapshot(struct ly_ctx *ctx, int n, const char *text)
{
	struct result r = {};
	int64_t t0 = now_ns();
	char num[16];

	for (int i = 0; i < n; i++) {
		struct lyd_node *tree = NULL, *parsed = NULL;
		char *out = NULL;

		snprintf(num, sizeof(num), "%d", i);
		if (lyd_new_path(NULL, ctx, "/frr-ha-codec-bench:config-snapshot/text", text, 0,
				 &tree) ||
		    lyd_new_path(tree, NULL, "/frr-ha-codec-bench:config-snapshot/lines", num, 0,
				 NULL) ||
		    lyd_print_mem(&out, tree, LYD_LYB, LYD_PRINT_WITHSIBLINGS))
			abort();
		r.bytes = lyd_lyb_data_length(out);
		if (lyd_parse_data_mem(ctx, out, LYD_LYB, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0,
				       &parsed))
			abort();
		sink += strlen(leaf_value(parsed, "text")) + strlen(leaf_value(parsed, "lines"));
		lyd_free_all(parsed);
		lyd_free_all(tree);
		free(out);
	}
	r.ns = (double)(now_ns() - t0) / n;
	return r;
}

int main(int argc, char **argv)
{
	const char *line = " neighbor 10.0.1.60 remote-as 65060";
	int n = argc > 3 ? atoi(argv[3]) : 200000;
	char dir[1024], text[4097];
	struct ly_ctx *ctx;
	struct result pc, ps, lc, ls;
	FILE *fp;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SRCDIR OUT.json [N]\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = (i % 64 == 63) ? '\n' : 'a' + (char)(i % 26);
	text[sizeof(text) - 1] = '\0';

	snprintf(dir, sizeof(dir), "%s/yang", argv[1]);
	if (ly_ctx_new(dir, 0, &ctx) != LY_SUCCESS)
		return 1;
	snprintf(dir, sizeof(dir), "%s/bench/codec", argv[1]);
	ly_ctx_set_searchdir(ctx, dir);
	if (!ly_ctx_load_module(ctx, "frr-ha-codec-bench", NULL, NULL)) {
		fprintf(stderr, "cannot load frr-ha-codec-bench.yang\n");
		return 1;
	}

	pc = pb_command(n, line);
	lc = lyb_command(ctx, n, line);
	ps = pb_snapshot(n / 10, text);
	ls = lyb_snapshot(ctx, n / 10, text);

	printf("delta codec, encode + decode + read back, per delta (same model):\n");
	printf("  %-28s %10s %8s %10s %8s %12s\n", "delta", "protobuf-c", "bytes", "LYB", "bytes",
	       "LYB/protobuf");
	printf("  %-28s %7.0f ns %8zu %7.0f ns %8zu %11.1fx\n", "config command (35 chars)", pc.ns,
	       pc.bytes, lc.ns, lc.bytes, lc.ns / pc.ns);
	printf("  %-28s %7.0f ns %8zu %7.0f ns %8zu %11.1fx\n", "config snapshot (4 KiB)", ps.ns,
	       ps.bytes, ls.ns, ls.bytes, ls.ns / ps.ns);
	fp = fopen(argv[2], "w");
	if (fp) {
		fprintf(fp,
			"{\n  \"command\": {\"protobuf_ns\": %.0f, \"protobuf_bytes\": %zu, \"lyb_ns\": %.0f, \"lyb_bytes\": %zu},\n"
			"  \"snapshot\": {\"protobuf_ns\": %.0f, \"protobuf_bytes\": %zu, \"lyb_ns\": %.0f, \"lyb_bytes\": %zu},\n"
			"  \"iterations\": %d\n}\n",
			pc.ns, pc.bytes, lc.ns, lc.bytes, ps.ns, ps.bytes, ls.ns, ls.bytes, n);
		fclose(fp);
	}
	ly_ctx_destroy(ctx);
	return 0;
}
