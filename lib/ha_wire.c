// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * frr-ha wire format, see ha_wire.h.
 */
#include <string.h>

#include "ha_wire.h"

/* Bounded big-endian reader/writer.  Any access past the end sets err and
 * returns zero; callers check err once at the end. */
struct ha_rbuf {
	const uint8_t *p;
	size_t len, pos;
	bool err;
};

struct ha_wbuf {
	uint8_t *p;
	size_t len, pos;
	bool err;
};

static bool rb_need(struct ha_rbuf *rb, size_t n)
{
	if (rb->err || rb->len - rb->pos < n) {
		rb->err = true;
		return false;
	}
	return true;
}

static uint8_t rb_u8(struct ha_rbuf *rb)
{
	if (!rb_need(rb, 1))
		return 0;
	return rb->p[rb->pos++];
}

static uint16_t rb_u16(struct ha_rbuf *rb)
{
	uint16_t v;

	if (!rb_need(rb, 2))
		return 0;
	v = (uint16_t)(rb->p[rb->pos] << 8 | rb->p[rb->pos + 1]);
	rb->pos += 2;
	return v;
}

static uint32_t rb_u32(struct ha_rbuf *rb)
{
	uint32_t v;

	if (!rb_need(rb, 4))
		return 0;
	v = (uint32_t)rb->p[rb->pos] << 24 | (uint32_t)rb->p[rb->pos + 1] << 16 |
	    (uint32_t)rb->p[rb->pos + 2] << 8 | (uint32_t)rb->p[rb->pos + 3];
	rb->pos += 4;
	return v;
}

static const uint8_t *rb_bytes(struct ha_rbuf *rb, size_t n)
{
	const uint8_t *v;

	if (!rb_need(rb, n))
		return NULL;
	v = rb->p + rb->pos;
	rb->pos += n;
	return v;
}

static bool wb_need(struct ha_wbuf *wb, size_t n)
{
	if (wb->err || wb->len - wb->pos < n) {
		wb->err = true;
		return false;
	}
	return true;
}

static void wb_u8(struct ha_wbuf *wb, uint8_t v)
{
	if (wb_need(wb, 1))
		wb->p[wb->pos++] = v;
}

static void wb_u16(struct ha_wbuf *wb, uint16_t v)
{
	if (!wb_need(wb, 2))
		return;
	wb->p[wb->pos++] = v >> 8;
	wb->p[wb->pos++] = v & 0xff;
}

static void wb_u32(struct ha_wbuf *wb, uint32_t v)
{
	if (!wb_need(wb, 4))
		return;
	wb->p[wb->pos++] = v >> 24;
	wb->p[wb->pos++] = (v >> 16) & 0xff;
	wb->p[wb->pos++] = (v >> 8) & 0xff;
	wb->p[wb->pos++] = v & 0xff;
}

static void wb_bytes(struct ha_wbuf *wb, const void *v, size_t n)
{
	if (!wb_need(wb, n))
		return;
	memcpy(wb->p + wb->pos, v, n);
	wb->pos += n;
}

const char *ha_decode_result_str(enum ha_decode_result res)
{
	switch (res) {
	case HA_DECODE_OK:
		return "ok";
	case HA_DECODE_NEED_MORE:
		return "incomplete";
	case HA_DECODE_BAD_MAGIC:
		return "bad magic (not an frr-ha frame)";
	case HA_DECODE_BAD_VERSION:
		return "unsupported wire version";
	case HA_DECODE_BAD_TYPE:
		return "unknown message type";
	case HA_DECODE_TOO_LARGE:
		return "frame too large";
	case HA_DECODE_MALFORMED:
		return "malformed payload";
	}
	return "unknown error";
}

const char *ha_role_name(enum ha_role role)
{
	switch (role) {
	case HA_ROLE_INIT:
		return "init";
	case HA_ROLE_ACTIVE:
		return "active";
	case HA_ROLE_STANDBY:
		return "standby";
	case HA_ROLE_FAILED:
		return "failed";
	case HA_ROLE_MAX:
		break;
	}
	return "unknown";
}

const char *ha_msg_type_name(uint8_t type)
{
	switch (type) {
	case HA_MSG_REGISTER:
		return "register";
	case HA_MSG_REGISTER_ACK:
		return "register-ack";
	case HA_MSG_ROLE:
		return "role";
	case HA_MSG_HELLO:
		return "hello";
	case HA_MSG_HEARTBEAT:
		return "heartbeat";
	case HA_MSG_SWITCHOVER:
		return "switchover";
	case HA_MSG_DATA_OPEN:
		return "data-open";
	case HA_MSG_DATA_CHANNEL:
		return "data-channel";
	case HA_MSG_REPL_STATUS:
		return "repl-status";
	case HA_MSG_QUIESCE:
		return "quiesce";
	case HA_MSG_QUIESCE_DONE:
		return "quiesce-done";
	case HA_MSG_DELTA:
		return "delta";
	case HA_MSG_ACK:
		return "ack";
	case HA_MSG_DIGEST_RESULT:
		return "digest-result";
	case HA_MSG_SESSION_SOCKET:
		return "session-socket";
	case HA_MSG_SESSION_STATE:
		return "session-state";
	case HA_MSG_RESYNC_REQUEST:
		return "resync-request";
	}
	return "unknown";
}

void ha_frame_hdr_encode(uint8_t *out, uint8_t type, uint32_t length)
{
	struct ha_wbuf wb = { .p = out, .len = HA_FRAME_HDR_LEN };

	wb_u16(&wb, HA_WIRE_MAGIC);
	wb_u8(&wb, HA_WIRE_VERSION);
	wb_u8(&wb, type);
	wb_u32(&wb, length);
}

enum ha_decode_result ha_frame_hdr_decode(const uint8_t *buf, size_t len, struct ha_frame_hdr *hdr)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	uint16_t magic;
	struct ha_frame_hdr h;

	/* Reject a wrong magic as early as two bytes tell it. */
	if (len >= 2 && (buf[0] != (HA_WIRE_MAGIC >> 8) || buf[1] != (HA_WIRE_MAGIC & 0xff)))
		return HA_DECODE_BAD_MAGIC;
	if (len < HA_FRAME_HDR_LEN)
		return HA_DECODE_NEED_MORE;

	magic = rb_u16(&rb);
	h.version = rb_u8(&rb);
	h.type = rb_u8(&rb);
	h.length = rb_u32(&rb);
	if (rb.err || magic != HA_WIRE_MAGIC)
		return HA_DECODE_BAD_MAGIC;
	*hdr = h;
	if (h.version != HA_WIRE_VERSION)
		return HA_DECODE_BAD_VERSION;
	if (h.type == 0 || h.type >= HA_MSG_TYPE_MAX)
		return HA_DECODE_BAD_TYPE;
	if (h.length > HA_FRAME_MAX_PAYLOAD)
		return HA_DECODE_TOO_LARGE;
	return HA_DECODE_OK;
}

bool ha_daemon_name_valid(const char *name, size_t len)
{
	if (len == 0 || len >= HA_DAEMON_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

ssize_t ha_msg_register_encode(const struct ha_msg_register *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };
	size_t nlen = strnlen(msg->daemon, sizeof(msg->daemon));

	if (!ha_daemon_name_valid(msg->daemon, nlen))
		return -1;
	wb_u16(&wb, (uint16_t)nlen);
	wb_bytes(&wb, msg->daemon, nlen);
	wb_u32(&wb, msg->pid);
	wb_u32(&wb, msg->module_version);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_register_decode(const uint8_t *buf, size_t len,
					     struct ha_msg_register *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_register m = {};
	uint16_t nlen;
	const uint8_t *name;

	nlen = rb_u16(&rb);
	name = rb_bytes(&rb, nlen);
	m.pid = rb_u32(&rb);
	m.module_version = rb_u32(&rb);
	if (rb.err || rb.pos != len || !name || !ha_daemon_name_valid((const char *)name, nlen))
		return HA_DECODE_MALFORMED;
	memcpy(m.daemon, name, nlen);
	m.daemon[nlen] = '\0';
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_register_ack_encode(const struct ha_msg_register_ack *msg, uint8_t *out,
				   size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->role >= HA_ROLE_MAX)
		return -1;
	wb_u8(&wb, msg->role);
	wb_u32(&wb, msg->hard_pid);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_register_ack_decode(const uint8_t *buf, size_t len,
						 struct ha_msg_register_ack *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_register_ack m = {};

	m.role = rb_u8(&rb);
	m.hard_pid = rb_u32(&rb);
	if (rb.err || rb.pos != len || m.role >= HA_ROLE_MAX)
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_role_encode(const struct ha_msg_role *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->role >= HA_ROLE_MAX)
		return -1;
	wb_u8(&wb, msg->role);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_role_decode(const uint8_t *buf, size_t len, struct ha_msg_role *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_role m = {};

	m.role = rb_u8(&rb);
	if (rb.err || rb.pos != len || m.role >= HA_ROLE_MAX)
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

bool ha_daemon_set_has(const struct ha_daemon_set *set, const char *name)
{
	for (unsigned int i = 0; i < set->count; i++)
		if (strcmp(set->names[i], name) == 0)
			return true;
	return false;
}

bool ha_daemon_set_add(struct ha_daemon_set *set, const char *name)
{
	size_t len = strlen(name);

	if (!ha_daemon_name_valid(name, len))
		return false;
	if (ha_daemon_set_has(set, name))
		return true;
	if (set->count >= HA_MAX_DAEMONS)
		return false;
	memcpy(set->names[set->count], name, len + 1);
	set->count++;
	return true;
}

bool ha_daemon_set_equal(const struct ha_daemon_set *a, const struct ha_daemon_set *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned int i = 0; i < a->count; i++)
		if (!ha_daemon_set_has(b, a->names[i]))
			return false;
	return true;
}

static void wb_string(struct ha_wbuf *wb, const char *str, size_t max)
{
	size_t len = strnlen(str, max);

	wb_u8(wb, (uint8_t)len);
	wb_bytes(wb, str, len);
}

/* A string of printable ASCII, 0..max-1 bytes, into a max-byte buffer. */
static bool rb_string(struct ha_rbuf *rb, char *out, size_t max)
{
	uint8_t len = rb_u8(rb);
	const uint8_t *p = rb_bytes(rb, len);

	if (!p || len >= max)
		return false;
	for (unsigned int i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static void wb_daemon_set(struct ha_wbuf *wb, const struct ha_daemon_set *set)
{
	if (set->count > HA_MAX_DAEMONS) {
		wb->err = true;
		return;
	}
	wb_u8(wb, set->count);
	for (unsigned int i = 0; i < set->count; i++)
		wb_string(wb, set->names[i], HA_DAEMON_NAME_MAX);
}

static bool rb_daemon_set(struct ha_rbuf *rb, struct ha_daemon_set *set)
{
	uint8_t count = rb_u8(rb);

	if (rb->err || count > HA_MAX_DAEMONS)
		return false;
	set->count = 0;
	for (unsigned int i = 0; i < count; i++) {
		char name[HA_DAEMON_NAME_MAX];

		if (!rb_string(rb, name, sizeof(name)) ||
		    !ha_daemon_name_valid(name, strlen(name)) || ha_daemon_set_has(set, name))
			return false;
		memcpy(set->names[set->count++], name, sizeof(name));
	}
	return true;
}

ssize_t ha_msg_hello_encode(const struct ha_msg_hello *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->role >= HA_ROLE_MAX || (msg->flags & ~HA_CARD_F_ALL))
		return -1;
	wb_u8(&wb, msg->slot);
	wb_u8(&wb, msg->priority);
	wb_u8(&wb, msg->role);
	wb_u8(&wb, msg->flags);
	wb_bytes(&wb, msg->nonce, HA_NONCE_LEN);
	wb_string(&wb, msg->sw_version, HA_SW_VERSION_MAX);
	wb_daemon_set(&wb, &msg->daemons);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_hello_decode(const uint8_t *buf, size_t len, struct ha_msg_hello *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_hello m = {};
	const uint8_t *nonce;
	bool ok;

	m.slot = rb_u8(&rb);
	m.priority = rb_u8(&rb);
	m.role = rb_u8(&rb);
	m.flags = rb_u8(&rb);
	nonce = rb_bytes(&rb, HA_NONCE_LEN);
	ok = nonce && rb_string(&rb, m.sw_version, sizeof(m.sw_version)) &&
	     rb_daemon_set(&rb, &m.daemons);
	if (!ok || rb.err || rb.pos != len || m.role >= HA_ROLE_MAX || (m.flags & ~HA_CARD_F_ALL))
		return HA_DECODE_MALFORMED;
	memcpy(m.nonce, nonce, HA_NONCE_LEN);
	*msg = m;
	return HA_DECODE_OK;
}

static void wb_u64(struct ha_wbuf *wb, uint64_t v)
{
	wb_u32(wb, (uint32_t)(v >> 32));
	wb_u32(wb, (uint32_t)v);
}

static uint64_t rb_u64(struct ha_rbuf *rb)
{
	uint64_t hi = rb_u32(rb);

	return hi << 32 | rb_u32(rb);
}

ssize_t ha_msg_heartbeat_encode(const struct ha_msg_heartbeat *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->role >= HA_ROLE_MAX || (msg->flags & ~HA_CARD_F_ALL))
		return -1;
	wb_u8(&wb, msg->role);
	wb_u8(&wb, msg->flags);
	wb_u64(&wb, msg->sent_usec);
	wb_daemon_set(&wb, &msg->daemons);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_heartbeat_decode(const uint8_t *buf, size_t len,
					      struct ha_msg_heartbeat *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_heartbeat m = {};
	bool ok;

	m.role = rb_u8(&rb);
	m.flags = rb_u8(&rb);
	m.sent_usec = rb_u64(&rb);
	ok = rb_daemon_set(&rb, &m.daemons);
	if (!ok || rb.err || rb.pos != len || m.role >= HA_ROLE_MAX || (m.flags & ~HA_CARD_F_ALL))
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

const char *ha_switchover_step_name(uint8_t step)
{
	switch (step) {
	case HA_SWO_PREPARE:
		return "prepare";
	case HA_SWO_READY:
		return "ready";
	case HA_SWO_RELEASED:
		return "released";
	case HA_SWO_ACTIVE:
		return "active";
	case HA_SWO_ABORT:
		return "abort";
	}
	return "unknown";
}

ssize_t ha_msg_switchover_encode(const struct ha_msg_switchover *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->step == 0 || msg->step >= HA_SWO_STEP_MAX)
		return -1;
	wb_u8(&wb, msg->step);
	wb_u32(&wb, msg->id);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_switchover_decode(const uint8_t *buf, size_t len,
					       struct ha_msg_switchover *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_switchover m = {};

	m.step = rb_u8(&rb);
	m.id = rb_u32(&rb);
	if (rb.err || rb.pos != len || m.step == 0 || m.step >= HA_SWO_STEP_MAX)
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

const char *ha_repl_state_name(uint8_t state)
{
	switch (state) {
	case HA_REPL_DOWN:
		return "down";
	case HA_REPL_BULK:
		return "bulk";
	case HA_REPL_VERIFY:
		return "verify";
	case HA_REPL_SYNCED:
		return "synced";
	case HA_REPL_FAILED:
		return "failed";
	}
	return "unknown";
}

const char *ha_digest_status_name(uint8_t status)
{
	switch (status) {
	case HA_DIGEST_NONE:
		return "none";
	case HA_DIGEST_MATCH:
		return "match";
	case HA_DIGEST_MISMATCH:
		return "mismatch";
	}
	return "unknown";
}

const char *ha_delta_kind_name(uint8_t kind)
{
	switch (kind) {
	case HA_DELTA_UPDATE:
		return "update";
	case HA_DELTA_BULK_BEGIN:
		return "bulk-begin";
	case HA_DELTA_BULK_ITEM:
		return "bulk-item";
	case HA_DELTA_BULK_END:
		return "bulk-end";
	case HA_DELTA_DIGEST:
		return "digest";
	case HA_DELTA_SCOPE_BEGIN:
		return "scope-begin";
	case HA_DELTA_SCOPE_END:
		return "scope-end";
	}
	return "unknown";
}

ssize_t ha_msg_data_open_encode(const struct ha_msg_data_open *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };
	size_t nlen = strnlen(msg->daemon, sizeof(msg->daemon));

	if (!ha_daemon_name_valid(msg->daemon, nlen))
		return -1;
	wb_string(&wb, msg->daemon, HA_DAEMON_NAME_MAX);
	wb_u8(&wb, msg->slot);
	wb_bytes(&wb, msg->nonce, HA_NONCE_LEN);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_data_open_decode(const uint8_t *buf, size_t len,
					      struct ha_msg_data_open *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_data_open m = {};
	const uint8_t *nonce;
	bool ok;

	ok = rb_string(&rb, m.daemon, sizeof(m.daemon));
	m.slot = rb_u8(&rb);
	nonce = rb_bytes(&rb, HA_NONCE_LEN);
	if (!ok || !nonce || rb.err || rb.pos != len ||
	    !ha_daemon_name_valid(m.daemon, strlen(m.daemon)))
		return HA_DECODE_MALFORMED;
	memcpy(m.nonce, nonce, HA_NONCE_LEN);
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_data_channel_encode(const struct ha_msg_data_channel *msg, uint8_t *out,
				   size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->up > 1)
		return -1;
	wb_u8(&wb, msg->up);
	wb_u8(&wb, msg->peer_slot);
	wb_u32(&wb, msg->generation);
	wb_bytes(&wb, msg->key, HA_CHANNEL_KEY_LEN);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_data_channel_decode(const uint8_t *buf, size_t len,
						 struct ha_msg_data_channel *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_data_channel m = {};
	const uint8_t *key;

	m.up = rb_u8(&rb);
	m.peer_slot = rb_u8(&rb);
	m.generation = rb_u32(&rb);
	key = rb_bytes(&rb, HA_CHANNEL_KEY_LEN);
	if (!key || rb.err || rb.pos != len || m.up > 1)
		return HA_DECODE_MALFORMED;
	memcpy(m.key, key, HA_CHANNEL_KEY_LEN);
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_repl_status_encode(const struct ha_msg_repl_status *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->role >= HA_ROLE_MAX || msg->state >= HA_REPL_STATE_MAX ||
	    msg->digest >= HA_DIGEST_STATUS_MAX)
		return -1;
	wb_u8(&wb, msg->role);
	wb_u8(&wb, msg->state);
	wb_u8(&wb, msg->digest);
	wb_u32(&wb, msg->channel);
	wb_u32(&wb, msg->bulks);
	wb_u32(&wb, msg->resyncs);
	wb_u64(&wb, msg->sent);
	wb_u64(&wb, msg->committed);
	wb_u64(&wb, msg->applied);
	wb_u32(&wb, msg->queue);
	wb_u32(&wb, msg->lag_usec);
	wb_u32(&wb, msg->refused);
	wb_string(&wb, msg->detail, HA_DETAIL_MAX);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_repl_status_decode(const uint8_t *buf, size_t len,
						struct ha_msg_repl_status *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_repl_status m = {};
	bool ok;

	m.role = rb_u8(&rb);
	m.state = rb_u8(&rb);
	m.digest = rb_u8(&rb);
	m.channel = rb_u32(&rb);
	m.bulks = rb_u32(&rb);
	m.resyncs = rb_u32(&rb);
	m.sent = rb_u64(&rb);
	m.committed = rb_u64(&rb);
	m.applied = rb_u64(&rb);
	m.queue = rb_u32(&rb);
	m.lag_usec = rb_u32(&rb);
	m.refused = rb_u32(&rb);
	ok = rb_string(&rb, m.detail, sizeof(m.detail));
	if (!ok || rb.err || rb.pos != len || m.role >= HA_ROLE_MAX ||
	    m.state >= HA_REPL_STATE_MAX || m.digest >= HA_DIGEST_STATUS_MAX)
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_quiesce_encode(const struct ha_msg_quiesce *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	wb_u32(&wb, msg->id);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_quiesce_decode(const uint8_t *buf, size_t len,
					    struct ha_msg_quiesce *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_quiesce m = {};

	m.id = rb_u32(&rb);
	if (rb.err || rb.pos != len)
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_quiesce_done_encode(const struct ha_msg_quiesce_done *msg, uint8_t *out,
				   size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->ok > 1)
		return -1;
	wb_u32(&wb, msg->id);
	wb_u8(&wb, msg->ok);
	wb_string(&wb, msg->reason, HA_DETAIL_MAX);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_quiesce_done_decode(const uint8_t *buf, size_t len,
						 struct ha_msg_quiesce_done *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_quiesce_done m = {};
	bool ok;

	m.id = rb_u32(&rb);
	m.ok = rb_u8(&rb);
	ok = rb_string(&rb, m.reason, sizeof(m.reason));
	if (!ok || rb.err || rb.pos != len || m.ok > 1)
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_delta_hdr_encode(const struct ha_msg_delta *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->kind == 0 || msg->kind >= HA_DELTA_KIND_MAX || msg->seq == 0)
		return -1;
	wb_u64(&wb, msg->seq);
	wb_u8(&wb, msg->kind);
	wb_u16(&wb, msg->cls);
	wb_u16(&wb, msg->subtype);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_delta_decode(const uint8_t *buf, size_t len, struct ha_msg_delta *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_delta m = {};

	m.seq = rb_u64(&rb);
	m.kind = rb_u8(&rb);
	m.cls = rb_u16(&rb);
	m.subtype = rb_u16(&rb);
	if (rb.err || m.seq == 0 || m.kind == 0 || m.kind >= HA_DELTA_KIND_MAX)
		return HA_DECODE_MALFORMED;
	m.data = buf + rb.pos;
	m.len = (uint32_t)(len - rb.pos);
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_ack_encode(const struct ha_msg_ack *msg, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->applied > msg->committed)
		return -1;
	wb_u64(&wb, msg->committed);
	wb_u64(&wb, msg->applied);
	wb_u32(&wb, msg->backlog);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_ack_decode(const uint8_t *buf, size_t len, struct ha_msg_ack *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_ack m = {};

	m.committed = rb_u64(&rb);
	m.applied = rb_u64(&rb);
	m.backlog = rb_u32(&rb);
	if (rb.err || rb.pos != len || m.applied > m.committed)
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_digest_result_encode(const struct ha_msg_digest_result *msg, uint8_t *out,
				    size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->match > 1)
		return -1;
	wb_u64(&wb, msg->seq);
	wb_u8(&wb, msg->match);
	wb_u16(&wb, msg->cls);
	wb_string(&wb, msg->detail, HA_DETAIL_MAX);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_digest_result_decode(const uint8_t *buf, size_t len,
						  struct ha_msg_digest_result *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_digest_result m = {};
	bool ok;

	m.seq = rb_u64(&rb);
	m.match = rb_u8(&rb);
	m.cls = rb_u16(&rb);
	ok = rb_string(&rb, m.detail, sizeof(m.detail));
	if (!ok || rb.err || rb.pos != len || m.match > 1 || m.seq == 0)
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_resync_request_encode(const struct ha_msg_resync_request *msg, uint8_t *out,
				     size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (msg->seq == 0 || msg->cls == 0 || msg->scope_len == 0 || msg->scope_len > HA_SCOPE_MAX)
		return -1;
	wb_u64(&wb, msg->seq);
	wb_u16(&wb, msg->cls);
	wb_u8(&wb, msg->scope_len);
	wb_bytes(&wb, msg->scope, msg->scope_len);
	wb_string(&wb, msg->reason, HA_DETAIL_MAX);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_resync_request_decode(const uint8_t *buf, size_t len,
						   struct ha_msg_resync_request *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_resync_request m = {};
	const uint8_t *scope;

	m.seq = rb_u64(&rb);
	m.cls = rb_u16(&rb);
	m.scope_len = rb_u8(&rb);
	if (rb.err || m.seq == 0 || m.cls == 0 || m.scope_len == 0 || m.scope_len > HA_SCOPE_MAX)
		return HA_DECODE_MALFORMED;
	scope = rb_bytes(&rb, m.scope_len);
	if (!scope || !rb_string(&rb, m.reason, sizeof(m.reason)) || rb.pos != len)
		return HA_DECODE_MALFORMED;
	memcpy(m.scope, scope, m.scope_len);
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_digest_list_encode(const struct ha_digest_list *list, uint8_t *out, size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };

	if (list->count > HA_DIGEST_MAX_CLS)
		return -1;
	wb_u8(&wb, list->count);
	for (unsigned int i = 0; i < list->count; i++) {
		wb_u16(&wb, list->entry[i].cls);
		wb_u64(&wb, list->entry[i].items);
		wb_bytes(&wb, list->entry[i].digest, HA_DIGEST_LEN);
	}
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_digest_list_decode(const uint8_t *buf, size_t len,
					    struct ha_digest_list *list)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_digest_list l = {};

	l.count = rb_u8(&rb);
	if (rb.err || l.count > HA_DIGEST_MAX_CLS)
		return HA_DECODE_MALFORMED;
	for (unsigned int i = 0; i < l.count; i++) {
		const uint8_t *d;

		l.entry[i].cls = rb_u16(&rb);
		l.entry[i].items = rb_u64(&rb);
		d = rb_bytes(&rb, HA_DIGEST_LEN);
		if (!d)
			return HA_DECODE_MALFORMED;
		memcpy(l.entry[i].digest, d, HA_DIGEST_LEN);
		for (unsigned int j = 0; j < i; j++)
			if (l.entry[j].cls == l.entry[i].cls)
				return HA_DECODE_MALFORMED;
	}
	if (rb.err || rb.pos != len)
		return HA_DECODE_MALFORMED;
	*list = l;
	return HA_DECODE_OK;
}

ssize_t ha_msg_session_socket_encode(const struct ha_msg_session_socket *msg, uint8_t *out,
				     size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };
	size_t nlen = strnlen(msg->name, sizeof(msg->name));

	if (msg->hold > HA_SOCKET_HANDED_OVER || nlen == 0)
		return -1;
	wb_u8(&wb, msg->hold);
	wb_string(&wb, msg->name, HA_SESSION_NAME_MAX);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_session_socket_decode(const uint8_t *buf, size_t len,
						   struct ha_msg_session_socket *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_session_socket m = {};
	bool ok;

	m.hold = rb_u8(&rb);
	ok = rb_string(&rb, m.name, sizeof(m.name));
	if (!ok || rb.err || rb.pos != len || m.hold > HA_SOCKET_HANDED_OVER || !m.name[0])
		return HA_DECODE_MALFORMED;
	*msg = m;
	return HA_DECODE_OK;
}

ssize_t ha_msg_session_state_hdr_encode(const struct ha_msg_session_state *msg, uint8_t *out,
					size_t outlen)
{
	struct ha_wbuf wb = { .p = out, .len = outlen };
	size_t dlen = strnlen(msg->daemon, sizeof(msg->daemon));

	if (!ha_daemon_name_valid(msg->daemon, dlen) ||
	    strnlen(msg->name, sizeof(msg->name)) == 0 || msg->state_len == 0)
		return -1;
	wb_string(&wb, msg->daemon, HA_DAEMON_NAME_MAX);
	wb_string(&wb, msg->name, HA_SESSION_NAME_MAX);
	return wb.err ? -1 : (ssize_t)wb.pos;
}

enum ha_decode_result ha_msg_session_state_decode(const uint8_t *buf, size_t len,
						  struct ha_msg_session_state *msg)
{
	struct ha_rbuf rb = { .p = buf, .len = len };
	struct ha_msg_session_state m = {};
	bool ok;

	ok = rb_string(&rb, m.daemon, sizeof(m.daemon)) && rb_string(&rb, m.name, sizeof(m.name));
	if (!ok || rb.err || !ha_daemon_name_valid(m.daemon, strlen(m.daemon)) || !m.name[0] ||
	    rb.pos == len)
		return HA_DECODE_MALFORMED;
	m.state = buf + rb.pos;
	m.state_len = (uint32_t)(len - rb.pos);
	*msg = m;
	return HA_DECODE_OK;
}
