// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The wire messages of deltas (proto/frrha.proto, protobuf-c) must mirror
 * the delta groupings of yang/frr-ha.yang, the one model of what is
 * replicated.  This test fails when the two drift apart:
 *
 *  - every "delta-*" grouping has a message (DeltaFooBar <-> delta-foo-bar)
 *    and every message of frrha.proto is a known delta message;
 *  - the same fields, by name (foo_bar <-> foo-bar), in both directions;
 *  - the same types (uint32, uint64, int32, bool/boolean, string,
 *    bytes/binary).
 *
 * Paths of the two files come from the build (FRRHA_SRCDIR).
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libyang/libyang.h>

#include "frrha.pb-c.h"

/* Every message of frrha.proto; a new one must be added here, and the
 * test checks the list against the .proto file itself. */
static const ProtobufCMessageDescriptor *const messages[] = {
	&frrha__delta_config_command__descriptor, &frrha__delta_config_snapshot__descriptor,
	&frrha__delta_bgp_session__descriptor,	  &frrha__delta_bgp_message__descriptor,
	&frrha__delta_bgp_tcp__descriptor,	  &frrha__delta_bgp_segment__descriptor,
	&frrha__delta_bgp_connection__descriptor, &frrha__delta_bgp_adj_out__descriptor,
	&frrha__delta_ospf_interface__descriptor, &frrha__delta_ospf_neighbor__descriptor,
	&frrha__delta_ospf_lsa__descriptor,	  &frrha__delta_ospf_neighbor_list__descriptor,
};

static void camel_to_kebab(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 2 < outlen; i++) {
		if (isupper((unsigned char)in[i])) {
			if (i)
				out[o++] = '-';
			out[o++] = (char)tolower((unsigned char)in[i]);
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
}

static void snake_to_kebab(const char *in, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < outlen; i++)
		out[i] = in[i] == '_' ? '-' : in[i];
	out[i] = '\0';
}

static const char *yang_type_of(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_UINT32:
		return "uint32";
	case PROTOBUF_C_TYPE_UINT64:
		return "uint64";
	case PROTOBUF_C_TYPE_INT32:
		return "int32";
	case PROTOBUF_C_TYPE_INT64:
		return "int64";
	case PROTOBUF_C_TYPE_BOOL:
		return "boolean";
	case PROTOBUF_C_TYPE_STRING:
		return "string";
	case PROTOBUF_C_TYPE_BYTES:
		return "binary";
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
	/* no YANG counterpart chosen for these yet: a drift by definition */
	return NULL;
}

static struct ly_ctx *ctx;
static const struct lys_module *mod;

static int setup(void **state)
{
	const char *srcdir = getenv("FRRHA_SRCDIR") ?: ".";
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/yang", srcdir);
	if (ly_ctx_new(dir, 0, &ctx) != LY_SUCCESS)
		return -1;
	mod = ly_ctx_load_module(ctx, "frr-ha", NULL, NULL);
	return mod && mod->parsed ? 0 : -1;
}

static int teardown(void **state)
{
	ly_ctx_destroy(ctx);
	return 0;
}

static const struct lysp_node_grp *find_grouping(const char *name)
{
	for (const struct lysp_node_grp *g = mod->parsed->groupings; g;
	     g = (const struct lysp_node_grp *)g->next)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

static const ProtobufCMessageDescriptor *find_message(const char *grouping)
{
	char kebab[128];

	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		camel_to_kebab(messages[i]->short_name, kebab, sizeof(kebab));
		if (strcmp(kebab, grouping) == 0)
			return messages[i];
	}
	return NULL;
}

/* Compare one message with its grouping, field by field, both ways. */
static void compare(const ProtobufCMessageDescriptor *msg, const struct lysp_node_grp *grp)
{
	unsigned int leaves = 0;

	for (const struct lysp_node *n = grp->child; n; n = n->next) {
		const struct lysp_node_leaf *leaf = (const struct lysp_node_leaf *)n;
		const ProtobufCFieldDescriptor *f = NULL;
		char kebab[128];

		if (n->nodetype != LYS_LEAF)
			fail_msg("grouping %s: %s is not a leaf (only leaves are mirrored)",
				 grp->name, n->name);
		leaves++;
		for (unsigned int i = 0; i < msg->n_fields; i++) {
			snake_to_kebab(msg->fields[i].name, kebab, sizeof(kebab));
			if (strcmp(kebab, n->name) == 0)
				f = &msg->fields[i];
		}
		if (!f)
			fail_msg("leaf %s of grouping %s has no field in message %s", n->name,
				 grp->name, msg->name);
		if (!yang_type_of(f->type) || strcmp(yang_type_of(f->type), leaf->type.name))
			fail_msg("%s.%s: YANG type %s, protobuf type %d", grp->name, n->name,
				 leaf->type.name, f->type);
	}
	if (leaves != msg->n_fields)
		fail_msg("message %s has %u fields, grouping %s %u leaves", msg->name,
			 msg->n_fields, grp->name, leaves);
}

static void test_every_delta_grouping_has_its_message(void **state)
{
	unsigned int n = 0;

	for (const struct lysp_node_grp *g = mod->parsed->groupings; g;
	     g = (const struct lysp_node_grp *)g->next) {
		const ProtobufCMessageDescriptor *msg;

		if (strncmp(g->name, "delta-", 6) != 0)
			continue;
		msg = find_message(g->name);
		if (!msg)
			fail_msg("grouping %s has no protobuf message", g->name);
		compare(msg, g);
		n++;
	}
	assert_true(n >= 2);
}

static void test_every_message_has_its_grouping(void **state)
{
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		char kebab[128];

		camel_to_kebab(messages[i]->short_name, kebab, sizeof(kebab));
		if (!find_grouping(kebab))
			fail_msg("message %s has no grouping %s in frr-ha.yang", messages[i]->name,
				 kebab);
	}
}

/* The table above lists every message the .proto file defines. */
static void test_table_lists_every_proto_message(void **state)
{
	const char *srcdir = getenv("FRRHA_SRCDIR") ?: ".";
	char path[1024], line[512], name[128];
	FILE *fp;
	unsigned int found = 0;

	snprintf(path, sizeof(path), "%s/proto/frrha.proto", srcdir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		bool listed = false;

		if (sscanf(line, "message %127[A-Za-z0-9_]", name) != 1)
			continue;
		found++;
		for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
			if (strcmp(messages[i]->short_name, name) == 0)
				listed = true;
		if (!listed)
			fail_msg("message %s of frrha.proto is not checked here", name);
	}
	fclose(fp);
	assert_int_equal(found, sizeof(messages) / sizeof(messages[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_delta_grouping_has_its_message),
		cmocka_unit_test(test_every_message_has_its_grouping),
		cmocka_unit_test(test_table_lists_every_proto_message),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
