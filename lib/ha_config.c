// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replication of a daemon's configuration (persistent data), see
 * ha_config.h.
 */
#include <zebra.h>

#include "buffer.h"
#include "command.h"
#include "log.h"
#include "memory.h"
#include "northbound_cli.h"
#include "vty.h"

#include "frrha.pb-c.h"
#include "ha_auth.h"
#include "ha_config.h"
#include "ha_memory.h"
#include "ha_repl.h"

enum ha_config_subtype {
	HA_CONFIG_COMMAND = 1,	/* frrha.DeltaConfigCommand */
	HA_CONFIG_SNAPSHOT = 2, /* frrha.DeltaConfigSnapshot */
};

#define HA_CONFIG_SESSIONS_MAX 16

/* A configuration session: an operator's vty on the active card, or its
 * replay on the standby. */
struct ha_config_session {
	uint32_t id;
	struct vty *vty;
};

static struct {
	struct ha_repl *repl;
	/* active: sessions being replicated (keyed by the operator's vty) */
	struct ha_config_session active[HA_CONFIG_SESSIONS_MAX];
	uint32_t next_session;
	int pre_node; /* node of the line being executed, for the done hook */
	/* standby: replay vtys (keyed by the active's session id) */
	struct ha_config_session replay[HA_CONFIG_SESSIONS_MAX];
	struct vty *capture; /* renders the running configuration */
	uint64_t refused_lines;
} hcfg;

/* A line that belongs to this card only, not to the router. */
static bool ha_config_line_is_local(const char *line, size_t len)
{
	static const char *const local[] = {
		"!",	     "end",	 "frr version", "frr defaults",
		"hostname ", "log ",	 "no log ",	"debug ",
		"no debug ", "service ", "password ",	"enable password ",
		"agentx",    "line vty",
	};

	if (len == 0)
		return true;
	for (size_t i = 0; i < array_size(local); i++) {
		size_t n = strlen(local[i]);

		if (len >= n && strncmp(line, local[i], n) == 0)
			return true;
	}
	return false;
}

/* The daemon's running configuration as replicated: allocated, NUL-ended. */
static char *ha_config_text(uint32_t *nlines)
{
	struct buffer *out = buffer_new(0);
	char *raw, *p, *text;
	size_t i;

	if (!hcfg.capture) {
		hcfg.capture = vty_new();
		hcfg.capture->type = VTY_FILE;
		hcfg.capture->buf_size_intermediate = UINT64_MAX;
	}
	buffer_reset(hcfg.capture->obuf);
	nb_cli_show_config_prepare(running_config, false);
	for (i = 0; i < vector_active(cmdvec); i++) {
		struct cmd_node *node = vector_slot(cmdvec, i);

		if (node && node->config_write)
			node->config_write(hcfg.capture);
	}
	raw = buffer_getstr(hcfg.capture->obuf);
	buffer_reset(hcfg.capture->obuf);
	*nlines = 0;
	for (p = raw; *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t trimmed = len;

		while (trimmed && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\r'))
			trimmed--;
		if (!ha_config_line_is_local(p, trimmed)) {
			buffer_put(out, p, trimmed);
			buffer_put(out, "\n", 1);
			(*nlines)++;
		}
		p += len + (nl ? 1 : 0);
	}
	XFREE(MTYPE_TMP, raw);
	text = buffer_getstr(out);
	buffer_free(out);
	return text;
}

static bool ha_config_is_ours(const struct vty *vty)
{
	if (vty == hcfg.capture)
		return true;
	for (int i = 0; i < HA_CONFIG_SESSIONS_MAX; i++)
		if (hcfg.replay[i].vty == vty)
			return true;
	return false;
}

/* Does this line, about to run on vty, change the configuration? */
static bool ha_config_line_configures(const struct vty *vty, const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	if (vty->node >= CONFIG_NODE) {
		static const char *const harmless[] = { "do ", "end", "exit", "quit", "show " };

		if (!*line)
			return false;
		for (size_t i = 0; i < array_size(harmless); i++)
			if (strncmp(line, harmless[i], strlen(harmless[i])) == 0)
				return false;
		return true;
	}
	/* Entering configuration mode itself changes nothing, and is
	 * allowed: vtysh enters it in every daemon before it sends a line to
	 * the one daemon it is for -- e.g. hard's per-card redundancy
	 * configuration, which must stay possible on the standby. */
	return false;
}

static int ha_config_cmd_pre(struct vty *vty, const char *cmd_in, char **cmd_out)
{
	if (!hcfg.repl || ha_config_is_ours(vty) ||
	    (vty->type != VTY_TERM && vty->type != VTY_SHELL_SERV))
		return 0;
	hcfg.pre_node = vty->node;
	if (ha_repl_role(hcfg.repl) == HA_ROLE_STANDBY && ha_config_line_configures(vty, cmd_in)) {
		hcfg.refused_lines++;
		vty_out(vty,
			"%% This card is the standby of a redundant router: configuration is refused here.\n"
			"%% Configure the active card; its configuration is replicated to this one.\n");
		zlog_info("frr-ha: refused configuration on the standby card: %s", cmd_in);
		return 1;
	}
	return 0;
}

static struct ha_config_session *ha_config_session_find(struct ha_config_session *tab, uint32_t id,
							const struct vty *vty)
{
	for (int i = 0; i < HA_CONFIG_SESSIONS_MAX; i++)
		if (tab[i].vty && (vty ? tab[i].vty == vty : tab[i].id == id))
			return &tab[i];
	return NULL;
}

static void ha_config_replay_close(struct ha_config_session *s);

/* A free slot, or else the oldest session's (closed first). */
static struct ha_config_session *ha_config_session_slot(struct ha_config_session *tab)
{
	struct ha_config_session *oldest = &tab[0];

	for (int i = 0; i < HA_CONFIG_SESSIONS_MAX; i++) {
		if (!tab[i].vty)
			return &tab[i];
		if (tab[i].id < oldest->id)
			oldest = &tab[i];
	}
	if (tab == hcfg.replay)
		ha_config_replay_close(oldest);
	oldest->vty = NULL;
	return oldest;
}

static int ha_config_cmd_done(struct vty *vty, const char *cmd_exec)
{
	struct ha_config_session *s;
	Frrha__DeltaConfigCommand msg = FRRHA__DELTA_CONFIG_COMMAND__INIT;
	uint8_t *buf;
	size_t len;
	bool in_config;

	if (!hcfg.repl || ha_config_is_ours(vty) || !cmd_exec ||
	    (vty->type != VTY_TERM && vty->type != VTY_SHELL_SERV) ||
	    ha_repl_role(hcfg.repl) != HA_ROLE_ACTIVE)
		return 0;
	in_config = vty->node >= CONFIG_NODE;
	if (hcfg.pre_node < CONFIG_NODE && !in_config)
		return 0; /* not configuration */
	s = ha_config_session_find(hcfg.active, 0, vty);
	/* A line run from outside configuration mode ("configure") starts a
	 * new session, even on a vty seen before: vtys are not announced when
	 * they close, and a new one may reuse the memory of an old one. */
	if (!s || hcfg.pre_node < CONFIG_NODE) {
		if (!s)
			s = ha_config_session_slot(hcfg.active);
		s->vty = vty;
		s->id = ++hcfg.next_session;
	}
	msg.session = s->id;
	msg.node = hcfg.pre_node;
	msg.line = (char *)cmd_exec;
	len = frrha__delta_config_command__get_packed_size(&msg);
	buf = XMALLOC(MTYPE_TMP, len);
	frrha__delta_config_command__pack(&msg, buf);
	ha_repl_send(hcfg.repl, HA_CLASS_CONFIG, HA_CONFIG_COMMAND, buf, len);
	XFREE(MTYPE_TMP, buf);
	if (!in_config)
		s->vty = NULL; /* the session left configuration mode */
	return 0;
}

static void ha_config_replay_close(struct ha_config_session *s)
{
	if (!s->vty)
		return;
	vty_config_exit(s->vty);
	vty_close(s->vty);
	s->vty = NULL;
}

static bool ha_config_apply_command(const uint8_t *data, size_t len, char *err, size_t errlen)
{
	Frrha__DeltaConfigCommand *msg = frrha__delta_config_command__unpack(NULL, len, data);
	struct ha_config_session *s;
	bool ok = false;
	int ret;

	if (!msg || !msg->line || msg->base.n_unknown_fields) {
		/* unknown fields: another schema than ours, not to be guessed at */
		snprintf(err, errlen, "undecodable configuration command%s",
			 msg && msg->base.n_unknown_fields ? " (unknown fields)" : "");
		goto out;
	}
	s = ha_config_session_find(hcfg.replay, msg->session, NULL);
	if (s && msg->node < CONFIG_NODE && s->vty->node >= CONFIG_NODE) {
		/* the session left configuration mode without a line that
		 * said so (its vty closed): start it again */
		ha_config_replay_close(s);
		s = NULL;
	}
	if (!s) {
		if (msg->node >= CONFIG_NODE) {
			snprintf(err, errlen,
				 "configuration session %u began before this standby joined",
				 msg->session);
			goto out;
		}
		s = ha_config_session_slot(hcfg.replay);
		s->id = msg->session;
		s->vty = vty_new();
		s->vty->type = VTY_FILE;
		s->vty->buf_size_intermediate = UINT64_MAX;
		s->vty->node = ENABLE_NODE;
	}
	if ((uint32_t)s->vty->node != msg->node) {
		snprintf(err, errlen, "session %u: node %u here, %u on the active (line \"%s\")",
			 msg->session, s->vty->node, msg->node, msg->line);
		ha_config_replay_close(s);
		goto out;
	}
	ret = cmd_execute(s->vty, msg->line, NULL, 0);
	if (ret != CMD_SUCCESS && ret != CMD_SUCCESS_DAEMON) {
		char *output = buffer_getstr(s->vty->obuf);

		/* it most likely failed on the active as well; the digest
		 * comparison tells whether the two still agree */
		zlog_warn("frr-ha: replicated configuration line \"%s\" returned %d here: %s",
			  msg->line, ret, output);
		XFREE(MTYPE_TMP, output);
	}
	buffer_reset(s->vty->obuf);
	if (s->vty->node < CONFIG_NODE)
		ha_config_replay_close(s);
	ok = true;
out:
	if (msg)
		frrha__delta_config_command__free_unpacked(msg, NULL);
	return ok;
}

static bool ha_config_apply_snapshot(const uint8_t *data, size_t len, char *err, size_t errlen)
{
	Frrha__DeltaConfigSnapshot *msg = frrha__delta_config_snapshot__unpack(NULL, len, data);
	uint32_t nlines;
	char *ours;
	FILE *fp;

	if (!msg || !msg->text || msg->base.n_unknown_fields) {
		snprintf(err, errlen, "undecodable configuration snapshot%s",
			 msg && msg->base.n_unknown_fields ? " (unknown fields)" : "");
		if (msg)
			frrha__delta_config_snapshot__free_unpacked(msg, NULL);
		return false;
	}
	ours = ha_config_text(&nlines);
	if (strcmp(ours, msg->text) != 0) {
		/* read the way vtysh -b reads a daemon its configuration:
		 * between the start and end of configuration markers, so
		 * that the daemon does what it does after a configuration
		 * read (bgpd: peers held until then, bgp_config_end hooks) */
		char *text = asprintfrr(MTYPE_TMP,
					"XFRR_start_configuration\n%s\nXFRR_end_configuration\n",
					msg->text);

		zlog_notice("frr-ha: loading the active card's configuration (%u lines; %u here)",
			    msg->lines, nlines);
		fp = fmemopen(text, strlen(text), "r");
		if (fp) {
			vty_read_file(NULL, fp);
			fclose(fp);
		}
		XFREE(MTYPE_TMP, text);
	}
	XFREE(MTYPE_TMP, ours);
	frrha__delta_config_snapshot__free_unpacked(msg, NULL);
	return true;
}

static bool ha_config_bulk(struct ha_repl *repl, void **cursor, void *arg)
{
	Frrha__DeltaConfigSnapshot msg = FRRHA__DELTA_CONFIG_SNAPSHOT__INIT;
	uint32_t nlines;
	uint8_t *buf;
	size_t len;

	msg.text = ha_config_text(&nlines);
	msg.lines = nlines;
	len = frrha__delta_config_snapshot__get_packed_size(&msg);
	buf = XMALLOC(MTYPE_TMP, len);
	frrha__delta_config_snapshot__pack(&msg, buf);
	ha_repl_bulk_item(repl, HA_CLASS_CONFIG, HA_CONFIG_SNAPSHOT, buf, len);
	XFREE(MTYPE_TMP, buf);
	XFREE(MTYPE_TMP, msg.text);
	return true;
}

static void ha_config_reset(struct ha_repl *repl, void *arg)
{
	for (int i = 0; i < HA_CONFIG_SESSIONS_MAX; i++)
		ha_config_replay_close(&hcfg.replay[i]);
}

static bool ha_config_apply(struct ha_repl *repl, uint8_t kind, uint16_t subtype,
			    const uint8_t *data, size_t len, char *err, size_t errlen, void *arg)
{
	switch (subtype) {
	case HA_CONFIG_COMMAND:
		return ha_config_apply_command(data, len, err, errlen);
	case HA_CONFIG_SNAPSHOT:
		return ha_config_apply_snapshot(data, len, err, errlen);
	}
	snprintf(err, errlen, "unknown configuration delta type %u", subtype);
	return false;
}

static void ha_config_digest(struct ha_repl *repl, struct ha_hash *h, uint64_t *items, void *arg)
{
	uint32_t nlines;
	char *text = ha_config_text(&nlines);

	ha_hash_update(h, text, strlen(text));
	*items = nlines;
	XFREE(MTYPE_TMP, text);
}

uint64_t ha_config_refused_lines(void)
{
	return hcfg.refused_lines;
}

void ha_config_init(struct ha_repl *repl)
{
	static const struct ha_repl_class cls = {
		.id = HA_CLASS_CONFIG,
		.name = "config",
		.bulk = ha_config_bulk,
		.reset = ha_config_reset,
		.apply = ha_config_apply,
		.digest = ha_config_digest,
	};

	hcfg.repl = repl;
	ha_repl_register_class(repl, &cls);
	hook_register(cmd_execute, ha_config_cmd_pre);
	hook_register(cmd_execute_done, ha_config_cmd_done);
}

void ha_config_fini(void)
{
	if (!hcfg.repl)
		return;
	hook_unregister(cmd_execute, ha_config_cmd_pre);
	hook_unregister(cmd_execute_done, ha_config_cmd_done);
	ha_config_reset(hcfg.repl, NULL);
	if (hcfg.capture) {
		vty_close(hcfg.capture);
		hcfg.capture = NULL;
	}
	hcfg.repl = NULL;
}
