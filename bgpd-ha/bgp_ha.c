// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_ha: bgpd's frr-ha module, loaded with "bgpd -M ha".
 *
 * Registers bgpd with the card's hard, replicates its configuration (as
 * every module does, lib/ha_config.c) and, on the active card, its BGP
 * sessions (class "bgp-session"):
 *
 *  - per session: the FSM state and both OPEN messages as raw PDUs, set
 *    again on every state change (frrha.DeltaBgpSession);
 *  - every message the peer sends on an established session (raw PDU;
 *    KEEPALIVEs only counted), replicated from bgpd's packet hook before
 *    bgpd processes it (frrha.DeltaBgpMessage), so the standby holds the
 *    session's inbound stream: what it needs to build the same
 *    Adj-RIB-In through FRR's own receive path.
 *
 * Takeover: at a graceful switchover bgpd-ha freezes each established
 * session's connection (TCP_REPAIR) and replicates its state; when bgpd
 * dies on the active card, that card's hard does it with the socket it
 * holds (ha_module_on_session_state).  Either way, the new active's
 * bgpd-ha checks that the connection continues exactly where its record of
 * the session ends, re-creates it and has bgpd adopt it (bgp_ha_adopt) --
 * or resets that one session cleanly when it does not add up.
 *
 * The inbound gate (bgp_ha_gate_*): the peers' segments reach the active's
 * TCP only once the standby has their bytes, so a crash never loses what
 * the active card acknowledged.
 *
 * The standby's bgpd starts no session of its own (bgp_ha_peers_hold);
 * it carries each replicated established session on a socket pair, fed
 * the replicated messages as they arrive (bgp_ha_mirror_*), so that its
 * RIB is the active's and a takeover only changes the socket.
 *
 * Not yet (issue 4, doc/bgp-nsr.md): lock-step replication of each
 * message bgpd queues.
 *
 * "show redundancy bgp [json]" shows the replicated sessions on both cards.
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "libfrr.h"
#include "memory.h"
#include "module.h"
#include "network.h"
#include "stream.h"
#include "typesafe.h"
#include "workqueue.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_addpath.h"
#include "bgpd/bgp_debug.h"
#include "bgpd/bgp_fsm.h"
#include "bgpd/bgp_io.h"
#include "bgpd/bgp_keepalives.h"
#include "bgpd/bgp_network.h"
#include "bgpd/bgp_packet.h"
#include "bgpd/bgp_updgrp.h"
#include "ringbuf.h"
#include "sockunion.h"

#include "frrha.pb-c.h"
#include "ha_adj_out.h"
#include "ha_auth.h"
#include "ha_clock.h"
#include "ha_bgp_compact.h"
#include "ha_bgp_stream.h"
#include "ha_client.h"
#include "ha_gate.h"
#include "ha_nfq.h"
#include "ha_reasm.h"
#include "ha_repl.h"
#include "ha_tcp.h"
#include "ha_tcp_shadow.h"
#include "privs.h"

#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

/* bgpd's privileges (bgp_main.c): TCP_REPAIR needs CAP_NET_ADMIN, and a
 * re-created connection binds to port 179 */
extern struct zebra_privs_t bgpd_privs;

DEFINE_MGROUP(BGPD_HA, "bgpd frr-ha");
DEFINE_MTYPE_STATIC(BGPD_HA, BGP_HA_SESSION, "bgp-ha replicated session");
DEFINE_MTYPE_STATIC(BGPD_HA, BGP_HA_MSG, "bgp-ha replicated message");
DEFINE_MTYPE_STATIC(BGPD_HA, BGP_HA_CLOSING, "bgp-ha connection closing");

#define BGP_HA_CLASS_SESSION 2

enum bgp_ha_subtype {
	BGP_HA_SESSION = 1,    /* frrha.DeltaBgpSession */
	BGP_HA_MESSAGE = 2,    /* frrha.DeltaBgpMessage */
	BGP_HA_TCP = 3,	       /* frrha.DeltaBgpTcp */
	BGP_HA_SEGMENT = 4,    /* frrha.DeltaBgpSegment */
	BGP_HA_CONNECTION = 5, /* frrha.DeltaBgpConnection */
	BGP_HA_ADJ_OUT = 6,    /* frrha.DeltaBgpAdjOut */
};

/* The netfilter queue the card's NFQUEUE rules send BGP's inbound
 * segments to (doc/bgp-nsr.md, "The inbound gate"). */
#define BGP_HA_NFQUEUE 179

/* a graceful switchover that does not complete gives the frozen
 * connections back to bgpd after this */
#define BGP_HA_THAW_MSEC 4000

PREDECL_DLIST(bgp_ha_msgs);
struct bgp_ha_msg {
	struct bgp_ha_msgs_item item;
	struct ha_bgp_compact_msg cm;
	uint64_t index;	  /* its number in the session's log: 1, 2, ... */
	uint8_t hash[32]; /* of its number and bytes: in the log's digest */
	uint8_t type;
	size_t len;
	uint8_t data[];
};
DECLARE_DLIST(bgp_ha_msgs, struct bgp_ha_msg, item);

PREDECL_DLIST(bgp_ha_sessions);
/* A session as replicated: on the active, what its bgpd has; on the
 * standby, what it received. */
struct bgp_ha_session {
	struct bgp_ha_sessions_item item;
	char peer[64];
	char state[32];
	uint32_t local_as, remote_as;
	uint8_t *open_sent, *open_rcvd;
	size_t open_sent_len, open_rcvd_len;
	/* since the session was established, compacted (lib/ha_bgp_compact.h):
	 * log_index messages logged, the last one's number; log_bytes their
	 * bytes (the stream's offsets), log_kept_bytes those still in the log */
	struct bgp_ha_msgs_head log;
	uint64_t log_index, log_bytes, log_kept_bytes;
	/* of the messages in the log, kept as they come and go: a digest
	 * (bgp_ha_digest) then costs nothing, however long the log */
	struct ha_set_digest log_digest;
	struct ha_bgp_compact compact;
	bool compact_started; /* ... with this generation's OPENs */
	uint64_t keepalives;  /* KEEPALIVEs since established: counted, not logged */
	uint64_t rx_base;     /* stream offset minus the socket's receive counter */
	bool announced;	      /* active: the standby has heard of it */
	bool frozen;	      /* active: its connection frozen for a handover */
	bool stop_pending;    /* handed over: bgpd stops the peer next (bgp_ha_stop_handed_over) */
	uint8_t *tcp;	      /* standby: the frozen connection (ha_tcp encoding) */
	size_t tcp_len;
	bool tcp_from_hard; /* ... sent by the old active's hard: its bgpd died */
	/* ... this card's own, handed over at a graceful switchover and kept
	 * (its socket frozen in tcp_fd) in case the switchover rolls back;
	 * the socket lacks the bytes bgpd had read and not processed, which
	 * head the state's receive queue */
	bool tcp_own, tcp_fd_lacks_unread;
	/* new active: its adoption waits for bgpd to finish clearing the
	 * peer; the record stays as it is meanwhile */
	bool awaiting_adoption;
	/* standby: that connection re-created at once, frozen until it is
	 * adopted -- once this card has the line, the peer's segments that
	 * arrive before the adoption are dropped (and sent again), where no
	 * socket would make this card's kernel answer with a RST */
	int tcp_fd;
	/* standby: the inbound gate's segments (see bgp_ha_pieces_add), of
	 * the connection with these ports */
	struct ha_reasm pieces;
	uint16_t pieces_lport, pieces_rport;
	/* standby: the connection followed from the gate's segments, of the
	 * connection with these ports (see bgp_ha_rebuild) */
	struct ha_tcp_shadow shadow;
	uint16_t shadow_lport, shadow_rport;
	bool shadow_reported; /* its breakage logged */
	/* new active: tcp was rebuilt from the shadow (the old card died);
	 * tcp_cut: with a message of ours cut, only to be closed;
	 * tcp_log_missing: while the session's log was still coming (a bulk
	 * copy), only to be reset (bgp_ha_conn_stream_check) */
	bool tcp_built, tcp_cut, tcp_log_missing;
	/* standby: a bulk copy brought the connection and its log follows
	 * (BGP_HA_CONNECTION's log_follows), until the connection again */
	bool log_follows;
	/* active: the bulk copy running has sent the session, its log next */
	bool in_bulk;
	/* new active, since a takeover with a rebuilt connection: whether the
	 * peer took a segment of the rebuilt socket (it echoed its clock),
	 * and how far (ms) that clock was behind the last the peer had taken,
	 * moved forward then (bgp_ha_conn_clock_check) */
	bool clock_checked, clock_confirmed, clock_refused;
	uint32_t clock_behind_ms;
	/* ... and whether the peer's segments showed the rebuilt connection
	 * going on where the record ended (bgp_ha_conn_stream_check) */
	bool stream_checked, stream_confirmed;
	/* what the peer has from us (its Adj-RIB-Out as sent), from our
	 * UPDATEs as the gate saw them leave (on the active, of the
	 * connection with adj_out_lport/rport; on the standby, as replicated);
	 * complete: since the session began (else a takeover sends the peer
	 * everything again, for adj_out_why) */
	struct ha_adj_out adj_out;
	bool adj_out_complete, adj_out_reported;
	char adj_out_why[128];
	uint16_t adj_out_lport, adj_out_rport;
	/* new active: bgpd's re-advertisement after the takeover goes
	 * through the filter (see bgp_ha_update_queue) until this ends */
	bool adj_out_filtering;
	bool adopting; /* new active: bgp_ha_adopt runs */
	uint64_t adj_out_filter_until_ms;
	/* new active: a mirrored session's re-advertisement (bgpd's
	 * announcement forced again): it ends once bgpd's output to the peer
	 * is idle, and routes the peer has that bgpd did not advertise again
	 * are withdrawn then */
	bool adj_out_forced;
	bool took_over_carried; /* the last takeover found bgpd carrying it */
	/* new active: taken over with its connection, the rest of the
	 * adoption to do (bgp_ha_adopt_mirrored_rest) */
	bool adopt_rest;
	char takeover[256]; /* how the last takeover of it went */
	/* the log's generation: a new session starts a new one */
	uint64_t epoch;
	/* standby: bgpd's peer carries this session on a socket pair (see
	 * bgp_ha_mirror_start), of the log's generation mirror_epoch; the
	 * replicated messages go through bgpd's receive path as they arrive
	 * (mirror_last: the last one fed), what bgpd sends is read from
	 * mirror_fd and dropped */
	bool mirrored;
	int mirror_fd;
	struct event *t_mirror;
	uint64_t mirror_epoch, mirror_failed_epoch; /* +1; 0: none failed */
	struct bgp_ha_msg *mirror_last;
	uint64_t mirror_fed, mirror_dropped;
	/* the log's messages after mirror_last (not fed yet) */
	uint64_t mirror_unfed;
	uint16_t mirror_holdtime, mirror_keepalive; /* as negotiated */
	char mirror_why[160];			    /* why not mirrored */
	/* new active: of the messages fed to bgpd as standby, those it had
	 * not processed when it took the session over (they are in the
	 * record already: not logged again as bgpd processes them), and
	 * since when */
	uint64_t backlog, backlog_at_takeover;
	uint64_t backlog_since_ms, backlog_took_ms;
};
DECLARE_DLIST(bgp_ha_sessions, struct bgp_ha_session, item);

static struct bgp_ha_sessions_head sessions = INIT_DLIST(sessions);

/* standby, and from the start until this card's role is known: bgpd's
 * peers are held (see bgp_ha_peers_hold) -- no session comes up before
 * the gate is there to see its connection from its first segment */
static bool bgp_ha_hold_peers = true;
/* standby, for tests: the replicated messages are kept, not fed to bgpd
 * (a standby bgpd that is behind; "debug redundancy bgp standby-feed-paused") */
static bool bgp_ha_feed_paused;
/* (a test's: see debug_redundancy_bgp_rebuilt_clock_behind) */
static uint32_t bgp_ha_test_clock_behind_ms;
/* (a test's: see debug_redundancy_bgp_handover_stop_delay) */
static uint32_t bgp_ha_test_stop_delay_ms;
/* (a test's: see debug_redundancy_bgp_reset_delay) */
static uint32_t bgp_ha_test_reset_delay_ms;

/*
 * A graceful switchover is refused while the standby's bgpd has more than
 * this many replicated messages not processed and prefixes waiting for
 * their best path (bgp_ha_standby_backlog: its RIB, and the new active's
 * after a switchover, behind the active's by them).  0: no limit.
 * "redundancy switchover-max-standby-backlog" under "router bgp" (the
 * default instance).
 */
#define BGP_HA_BACKLOG_LIMIT_DEFAULT 5000
static uint32_t bgp_ha_backlog_limit = BGP_HA_BACKLOG_LIMIT_DEFAULT;

static void bgp_ha_backlog_limit_apply(void)
{
	struct ha_repl *repl = ha_module_repl();

	if (repl)
		ha_repl_set_backlog_limit(repl, bgp_ha_backlog_limit, "BGP messages and prefixes");
}

/* takeovers on this card: sessions adopted with their connection, and
 * sessions reset instead (their replicated state did not add up) */
static struct {
	uint64_t adopted, reset, failed;
	/* sessions taken over with a rebuilt connection that did not go on
	 * where its record ended, reset then (bgp_ha_conn_stream_reset) */
	uint64_t reset_after;
	/* sessions taken over whose peer got everything from us again (no
	 * complete record of what it had) */
	uint64_t full_readvertisements;
} bgp_ha_takeovers;

static void bgp_ha_send_connection(struct ha_repl *repl, struct bgp_ha_session *s,
				   struct peer_connection *c, bool bulk, bool new_session,
				   bool log_follows);
struct bgp_ha_conn;
static void bgp_ha_conn_clock_check(struct bgp_ha_conn *conn, struct bgp_ha_session *s,
				    uint32_t tsecr);
static void bgp_ha_io_stop(struct peer_connection **conns, size_t n, bool writes_only);
static int bgp_ha_reset_connection(struct bgp_ha_session *s, const struct ha_tcp_state *st,
				   bool outbound_ok, char *err, size_t errlen);
static void bgp_ha_conn_stream_reset(struct event *ev);
struct ha_nfq_tcp;
static void bgp_ha_conn_stream_check(struct bgp_ha_conn *conn, struct bgp_ha_session *s, bool out,
				     const struct ha_nfq_tcp *seg);
static bool bgp_ha_apply_adj_out(const uint8_t *data, size_t len, char *err, size_t errlen);
static void bgp_ha_adj_out_resync_end(struct bgp_ha_session *s, const char *how,
				      struct peer *withdraw_to);
static struct peer *bgp_ha_peer(const char *name);
static void bgp_ha_adj_out_start(struct bgp_ha_session *s, struct peer *peer);
static void bgp_ha_send_adj_out(struct ha_repl *repl, struct bgp_ha_session *s, bool bulk);
static uint32_t bgp_ha_addpath_mask(struct peer *peer);
static void bgp_ha_adj_out_update(void *arg, const uint8_t *msg, size_t len);
static void bgp_ha_adj_out_reset(struct bgp_ha_session *s, uint32_t addpath, uint32_t eor,
				 bool complete, const char *why);

static bool bgp_ha_active(void)
{
	struct ha_repl *repl = ha_module_repl();

	return repl && ha_repl_role(repl) == HA_ROLE_ACTIVE;
}

static struct bgp_ha_session *bgp_ha_session_find(const char *peer, bool create)
{
	struct bgp_ha_session *s;

	frr_each (bgp_ha_sessions, &sessions, s)
		if (strcmp(s->peer, peer) == 0)
			return s;
	if (!create)
		return NULL;
	s = XCALLOC(MTYPE_BGP_HA_SESSION, sizeof(*s));
	strlcpy(s->peer, peer, sizeof(s->peer));
	strlcpy(s->state, "Idle", sizeof(s->state));
	s->tcp_fd = -1;
	s->mirror_fd = -1;
	bgp_ha_msgs_init(&s->log);
	ha_bgp_compact_init(&s->compact);
	ha_reasm_init(&s->pieces);
	ha_tcp_shadow_init(&s->shadow);
	bgp_ha_sessions_add_tail(&sessions, s);
	return s;
}

/* A new generation of s's log begins (its messages taken out). */
static void bgp_ha_log_restart(struct bgp_ha_session *s)
{
	s->log_index = s->log_bytes = s->log_kept_bytes = 0;
	memset(&s->log_digest, 0, sizeof(s->log_digest));
	s->mirror_unfed = 0;
	ha_bgp_compact_clear(&s->compact);
	s->compact_started = false;
}

static void bgp_ha_log_clear(struct bgp_ha_session *s)
{
	struct bgp_ha_msg *m;

	while ((m = bgp_ha_msgs_pop(&s->log)))
		XFREE(MTYPE_BGP_HA_MSG, m);
	bgp_ha_log_restart(s);
	s->keepalives = 0;
	s->rx_base = 0;
	s->epoch++;
	s->mirror_last = NULL;
	s->backlog = 0;
	/* a new session: its stream starts again at offset 0 */
	ha_reasm_clear(&s->pieces);
}

/* Standby: forget the connection state of s (a frozen socket closes
 * silently). */
static void bgp_ha_connection_clear(struct bgp_ha_session *s)
{
	XFREE(MTYPE_BGP_HA_MSG, s->tcp);
	s->tcp_len = 0;
	s->tcp_from_hard = false;
	s->tcp_own = false;
	s->tcp_fd_lacks_unread = false;
	s->tcp_built = false;
	s->tcp_cut = false;
	s->tcp_log_missing = false;
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	s->tcp_fd = -1;
}

/* Standby: the frozen connection of s, for its takeover: re-created at
 * once, frozen (see tcp_fd). */
static void bgp_ha_connection_set(struct bgp_ha_session *s, const uint8_t *state, size_t len,
				  bool from_hard)
{
	struct ha_tcp_state st;
	char err[256] = "";

	bgp_ha_connection_clear(s);
	s->tcp = XMALLOC(MTYPE_BGP_HA_MSG, len);
	memcpy(s->tcp, state, len);
	s->tcp_len = len;
	s->tcp_from_hard = from_hard;
	if (ha_tcp_state_decode(state, len, &st) != 0)
		return;
	frr_with_privs (&bgpd_privs)
		s->tcp_fd = ha_tcp_restore_frozen(&st, err, sizeof(err));
	if (s->tcp_fd < 0)
		zlog_warn("frr-ha: session %s: cannot re-create its connection ahead of the takeover (%s)",
			  s->peer, err);
	ha_tcp_state_clear(&st);
}

/* New active: the connection of s, out of repair mode -- the socket
 * re-created ahead (see tcp_fd), or re-created now.  -1 with the reason
 * in err (and errno: lowering the privileges again does not change it). */
static int bgp_ha_connection_take(struct bgp_ha_session *s, const struct ha_tcp_state *st,
				  char *err, size_t errlen)
{
	int fd = s->tcp_fd, ret, saved = 0;

	s->tcp_fd = -1;
	if (fd < 0) {
		frr_with_privs (&bgpd_privs) {
			fd = ha_tcp_restore(st, err, errlen);
			saved = errno;
		}
		errno = saved;
		return fd;
	}
	frr_with_privs (&bgpd_privs)
		ret = ha_tcp_resume(fd, st, err, errlen);
	if (ret < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* New active: bgpd's connection c continues on the connection of s (see
 * bgp_ha_connection_take), its addresses and next hop taken from the
 * socket.  False with the reason in err. */
static bool bgp_ha_connection_attach(struct bgp_ha_session *s, struct peer_connection *c,
				     const struct ha_tcp_state *st, char *err, size_t errlen)
{
	int fd = bgp_ha_connection_take(s, st, err, errlen);

	if (fd < 0)
		return false;
	c->fd = fd;
	set_nonblocking(fd);
	bgp_set_socket_ttl(c);
	sockunion_free(c->su_local);
	c->su_local = sockunion_getsockname(fd);
	sockunion_free(c->su_remote);
	c->su_remote = sockunion_getpeername(fd);
	if (bgp_getsockname(c) < 0) {
		snprintf(err, errlen, "no nexthop for the local address yet");
		return false;
	}
	return true;
}

static void bgp_ha_mirror_stop(struct bgp_ha_session *s, const char *why);

static void bgp_ha_session_free(struct bgp_ha_session *s)
{
	bgp_ha_mirror_stop(s, "the session's record is gone");
	bgp_ha_log_clear(s);
	bgp_ha_msgs_fini(&s->log);
	XFREE(MTYPE_BGP_HA_MSG, s->open_sent);
	XFREE(MTYPE_BGP_HA_MSG, s->open_rcvd);
	bgp_ha_connection_clear(s);
	ha_tcp_shadow_clear(&s->shadow);
	ha_adj_out_clear(&s->adj_out);
	bgp_ha_sessions_del(&sessions, s);
	XFREE(MTYPE_BGP_HA_SESSION, s);
}

static void bgp_ha_set_bytes(uint8_t **dst, size_t *dstlen, const uint8_t *src, size_t len)
{
	XFREE(MTYPE_BGP_HA_MSG, *dst);
	*dstlen = len;
	if (len) {
		*dst = XMALLOC(MTYPE_BGP_HA_MSG, len);
		memcpy(*dst, src, len);
	}
}

/* The compaction takes a message out of s's log: none of its routes is
 * its own any more. */
static void bgp_ha_log_drop(void *arg, struct ha_bgp_compact_msg *cm)
{
	struct bgp_ha_session *s = arg;
	struct bgp_ha_msg *m = container_of(cm, struct bgp_ha_msg, cm);

	if (s->mirror_last == m)
		/* the feed goes on after its predecessor (or from the
		 * log's first message: every later one is unfed) */
		s->mirror_last = bgp_ha_msgs_prev(&s->log, m);
	else if (!s->mirror_last || m->index > s->mirror_last->index)
		s->mirror_unfed--;
	s->log_kept_bytes -= m->len;
	ha_set_digest_remove(&s->log_digest, m->hash);
	bgp_ha_msgs_del(&s->log, m);
	XFREE(MTYPE_BGP_HA_MSG, m);
}

/* What keeping the logs' digests costs: messages hashed as they were
 * logged, their bytes, and the time spent hashing them ("show redundancy
 * bgp json", logDigest) */
static struct {
	uint64_t messages, bytes, nsec;
} bgp_ha_digest_cost;

/*
 * Append a message of the peer's to s's log, as number index (0: the
 * next; the bulk copy's leave gaps where the active's compaction took
 * messages out).  Earlier messages none of whose routes is theirs any
 * more leave the log.  Returns the message's number.
 */
static uint64_t bgp_ha_log_append(struct bgp_ha_session *s, uint64_t index, uint8_t type,
				  const uint8_t *data, size_t len)
{
	struct bgp_ha_msg *m = XCALLOC(MTYPE_BGP_HA_MSG, sizeof(*m) + len);
	uint64_t hash_start;

	if (!s->compact_started) {
		s->compact_started = true;
		if (ha_bgp_compact_set_opens(&s->compact, s->open_sent, s->open_sent_len,
					     s->open_rcvd, s->open_rcvd_len) < 0)
			zlog_warn("frr-ha: session %s: its log of the peer's messages is not compacted (%s): it grows with every message",
				  s->peer, s->compact.why);
	}
	m->index = index ? index : s->log_index + 1;
	s->log_index = m->index;
	m->type = type;
	m->len = len;
	memcpy(m->data, data, len);
	hash_start = ha_clock_ns();
	ha_set_item_hash(m->index, data, len, m->hash);
	bgp_ha_digest_cost.nsec += ha_clock_ns() - hash_start;
	bgp_ha_digest_cost.messages++;
	bgp_ha_digest_cost.bytes += len;
	ha_set_digest_add(&s->log_digest, m->hash);
	bgp_ha_msgs_add_tail(&s->log, m);
	s->log_bytes += len;
	s->log_kept_bytes += len;
	s->mirror_unfed++;
	ha_bgp_compact_add(&s->compact, &m->cm, data, len, bgp_ha_log_drop, s);
	return m->index;
}

/* Whether s's log is compacted (false once its OPENs could not be read or
 * memory ran out: it keeps everything). */
static bool bgp_ha_log_compacted(const struct bgp_ha_session *s)
{
	return !s->compact_started || (s->compact.opens_known && !s->compact.off);
}

/* Standby: bgpd carries s (its peer Established on the socket pair, fed
 * this generation of the session's log: bgp_ha_mirror_start). */
static bool bgp_ha_carried(const struct bgp_ha_session *s)
{
	return s->mirrored && s->mirror_epoch == s->epoch;
}

/* Where the record of s ends in the peer's stream: its OPEN, the
 * KEEPALIVE that made the session Established, the messages logged, the
 * KEEPALIVEs counted since. */
static uint64_t bgp_ha_stream_bytes(const struct bgp_ha_session *s)
{
	return s->open_rcvd_len + BGP_HEADER_SIZE + s->log_bytes + s->keepalives * BGP_HEADER_SIZE;
}

/* ---- the inbound gate's segments (standby) ---- */

/*
 * Keep a segment of the peer's stream (offset, data) beyond the record of
 * messages (segments it has already are dropped, and so are they once it
 * has them: bgp_ha_apply trims).  False with the reason in err when it
 * cannot be part of the stream.
 */
static bool bgp_ha_pieces_add(struct bgp_ha_session *s, uint16_t lport, uint16_t rport,
			      uint64_t offset, const uint8_t *data, size_t len, char *err,
			      size_t errlen)
{
	uint64_t known = bgp_ha_stream_bytes(s);

	if (lport != s->pieces_lport || rport != s->pieces_rport) {
		/* another connection of the peer's (a new one, or the other
		 * of a collision): its own stream */
		ha_reasm_clear(&s->pieces);
		s->pieces_lport = lport;
		s->pieces_rport = rport;
	}
	if (offset + len <= known)
		return true;
	if (offset > known + HA_TCP_QUEUE_MAX || s->pieces.bytes + len > 2 * HA_TCP_QUEUE_MAX) {
		snprintf(err, errlen,
			 "session %s: segment at offset %" PRIu64
			 " (%zu bytes), the record ends at %" PRIu64
			 " with %zu bytes beyond it: more than a connection can hold",
			 s->peer, offset, len, known, s->pieces.bytes);
		return false;
	}
	if (ha_reasm_add(&s->pieces, offset, data, len) < 0) {
		snprintf(err, errlen, "session %s: out of memory for a segment", s->peer);
		return false;
	}
	return true;
}

/* Standby: the shadow of s for the connection with these ports (a new
 * connection's starts empty). */
static struct ha_tcp_shadow *bgp_ha_shadow(struct bgp_ha_session *s, uint16_t lport, uint16_t rport)
{
	if (lport != s->shadow_lport || rport != s->shadow_rport) {
		ha_tcp_shadow_clear(&s->shadow);
		s->shadow_lport = lport;
		s->shadow_rport = rport;
		s->shadow_reported = false;
	}
	return &s->shadow;
}

/* Whether the shadow of s could rebuild its connection now; the reason
 * when not. */
static bool bgp_ha_shadow_ready(const struct bgp_ha_session *s, char *why, size_t len)
{
	struct ha_tcp_state st;

	if (s->log_follows) {
		snprintf(why, len,
			 "its log is still coming in the bulk copy: a takeover now would reset the session");
		return false;
	}
	if (ha_tcp_shadow_build(&s->shadow, &s->pieces, bgp_ha_stream_bytes(s), ha_clock_ms(), &st,
				why, len) < 0)
		return false;
	ha_tcp_state_clear(&st);
	return true;
}

/* ---- encoding ---- */

static void bgp_ha_session_pack(const struct bgp_ha_session *s, uint8_t **buf, size_t *len)
{
	Frrha__DeltaBgpSession msg = FRRHA__DELTA_BGP_SESSION__INIT;

	msg.peer = (char *)s->peer;
	msg.state = (char *)s->state;
	msg.local_as = s->local_as;
	msg.remote_as = s->remote_as;
	msg.open_sent.data = s->open_sent;
	msg.open_sent.len = s->open_sent_len;
	msg.open_received.data = s->open_rcvd;
	msg.open_received.len = s->open_rcvd_len;
	msg.keepalives_received = s->keepalives;
	msg.rx_base = s->rx_base;
	msg.bytes_compacted = s->log_bytes - s->log_kept_bytes;
	*len = frrha__delta_bgp_session__get_packed_size(&msg);
	*buf = XMALLOC(MTYPE_TMP, *len);
	frrha__delta_bgp_session__pack(&msg, *buf);
}

static void bgp_ha_message_pack(const char *peer, uint64_t index, uint8_t type, const uint8_t *data,
				size_t dlen, uint8_t **buf, size_t *len)
{
	Frrha__DeltaBgpMessage msg = FRRHA__DELTA_BGP_MESSAGE__INIT;

	msg.peer = (char *)peer;
	msg.index = index;
	msg.type = type;
	msg.data.data = (uint8_t *)data;
	msg.data.len = dlen;
	*len = frrha__delta_bgp_message__get_packed_size(&msg);
	*buf = XMALLOC(MTYPE_TMP, *len);
	frrha__delta_bgp_message__pack(&msg, *buf);
}

static void bgp_ha_send_session(struct bgp_ha_session *s)
{
	uint8_t *buf;
	size_t len;

	bgp_ha_session_pack(s, &buf, &len);
	ha_repl_send(ha_module_repl(), BGP_HA_CLASS_SESSION, BGP_HA_SESSION, buf, len);
	XFREE(MTYPE_TMP, buf);
	s->announced = true;
}

/* ---- bgpd's hooks (active card) ---- */

/*
 * Bring the record of peer's session up to date and tell the standby if it
 * changed.  Called from every hook, not only on status changes: after a
 * connection collision bgpd moves the winning connection onto the
 * configured peer (peer_xfer_conn) without a status change of its own.
 */
static struct bgp_ha_session *bgp_ha_session_update(struct peer *peer)
{
	struct bgp_ha_session *s = bgp_ha_session_find(peer->host, true);
	const char *state = lookup_msg(bgp_status_msg, peer->connection->status, NULL);
	bool was_established = strcmp(s->state, "Established") == 0;

	if (strcmp(s->state, state) == 0 && s->announced)
		return s;
	/* hard holds a copy of an established session's socket, so that
	 * bgpd's death does not close the connection (no FIN, no RST);
	 * leaving Established it lets go, and bgpd's own close completes */
	if (peer_established(peer->connection) && strcmp(s->state, "Established") != 0) {
		if (!ha_client_session_socket(peer->host, peer->connection->fd))
			zlog_warn("frr-ha: cannot hand the socket of session %s to hard: a bgpd crash would close it",
				  peer->host);
	} else if (!peer_established(peer->connection) && strcmp(s->state, "Established") == 0) {
		ha_client_session_socket(peer->host, -1);
	}
	/* a new session starts a new log */
	if (strcmp(s->state, state) != 0 &&
	    (peer_established(peer->connection) || strcmp(s->state, "Established") == 0))
		bgp_ha_log_clear(s);
	strlcpy(s->state, state, sizeof(s->state));
	s->local_as = peer->local_as;
	s->remote_as = peer->as;
	/* a new session (not one taken over): the peer has nothing from us */
	if (peer_established(peer->connection) && !was_established && !s->adopting)
		bgp_ha_adj_out_start(s, peer);
	bgp_ha_send_session(s);
	if (peer_established(peer->connection) && !was_established) {
		bgp_ha_send_connection(ha_module_repl(), s, peer->connection, false, !s->adopting,
				       false);
		/* taken over: a standby already there gets what the peer has */
		if (s->adopting)
			bgp_ha_send_adj_out(ha_module_repl(), s, false);
	}
	return s;
}

/* The whole message in s, header included, without moving its getp. */
static const uint8_t *bgp_ha_packet(struct stream *s, size_t *len)
{
	*len = stream_get_endp(s);
	return STREAM_DATA(s);
}

static int bgp_ha_packet_received(struct peer *peer, uint8_t type, bgp_size_t size,
				  struct stream *st)
{
	struct bgp_ha_session *s;
	const uint8_t *data;
	uint8_t *buf;
	size_t len, blen;

	if (!bgp_ha_active() || bgp_ha_hold_peers)
		return 0;
	s = bgp_ha_session_find(peer->host, true);
	if (s->backlog && peer_established(peer->connection)) {
		/* fed to bgpd as standby, processed now: in the record already */
		if (--s->backlog == 0) {
			s->backlog_took_ms = ha_clock_ms() - s->backlog_since_ms;
			zlog_info("frr-ha: session %s: the %" PRIu64
				  " replicated messages bgpd had not processed at the takeover processed in %" PRIu64
				  " ms",
				  s->peer, s->backlog_at_takeover, s->backlog_took_ms);
		}
		return 0;
	}
	data = bgp_ha_packet(st, &len);
	if (type == BGP_MSG_OPEN) {
		bgp_ha_set_bytes(&s->open_rcvd, &s->open_rcvd_len, data, len);
		return 0;
	}
	if (!peer_established(peer->connection))
		return 0;
	s = bgp_ha_session_update(peer);
	/* the peer asks for everything again: it gets everything */
	if ((type == BGP_MSG_ROUTE_REFRESH_NEW || type == BGP_MSG_ROUTE_REFRESH_OLD) &&
	    s->adj_out_filtering)
		bgp_ha_adj_out_resync_end(s, "ended by the peer's ROUTE-REFRESH", NULL);
	if (type == BGP_MSG_KEEPALIVE) {
		/* counted, not logged: the standby needs their number (the
		 * bytes of the stream), not their contents */
		s->keepalives++;
		bgp_ha_message_pack(s->peer, s->keepalives, type, NULL, 0, &buf, &blen);
	} else {
		bgp_ha_message_pack(s->peer, bgp_ha_log_append(s, 0, type, data, len), type, data,
				    len, &buf, &blen);
	}
	ha_repl_send(ha_module_repl(), BGP_HA_CLASS_SESSION, BGP_HA_MESSAGE, buf, blen);
	XFREE(MTYPE_TMP, buf);
	return 0;
}

static int bgp_ha_packet_sent(struct peer *peer, uint8_t type, bgp_size_t size, struct stream *st)
{
	struct bgp_ha_session *s;
	const uint8_t *data;
	size_t len;

	if (!bgp_ha_active() || type != BGP_MSG_OPEN)
		return 0;
	s = bgp_ha_session_find(peer->host, true);
	data = bgp_ha_packet(st, &len);
	bgp_ha_set_bytes(&s->open_sent, &s->open_sent_len, data, len);
	return 0;
}

/* the standby's ack timeout now, and the peer whose hold time set it */
static unsigned int bgp_ha_ack_timeout_msec = HA_REPL_ACK_TIMEOUT_MSEC;
static char bgp_ha_ack_timeout_peer[64];
static struct event *t_ack_timeout;
#define BGP_HA_ACK_TIMEOUT_CHECK_MSEC 1000

/*
 * Active: the standby must acknowledge within a third of the shortest hold
 * time of the established sessions (at most the engine's 5 s), or it is
 * given up.  Every byte to and from a peer waits for the standby's commit
 * -- keepalives too: a hung standby must be given up before a peer's hold
 * timer (or ours) runs out; with a hold time of 3 s, BGP's shortest, after
 * 1 s.
 */
static void bgp_ha_ack_timeout_update(void)
{
	struct ha_repl *repl = ha_module_repl();
	unsigned int hold_msec = 0, msec;
	const char *who = "";
	struct listnode *node, *pnode;
	struct peer *peer;
	struct bgp *bgp;

	if (!repl || !bgp_ha_active())
		return;
	for (ALL_LIST_ELEMENTS_RO(bm->bgp, node, bgp))
		for (ALL_LIST_ELEMENTS_RO(bgp->peer, pnode, peer)) {
			unsigned int h = peer->v_holdtime * 1000;

			if (peer_established(peer->connection) && h &&
			    (!hold_msec || h < hold_msec)) {
				hold_msec = h;
				who = peer->host;
			}
		}
	msec = ha_repl_ack_timeout_for(hold_msec);
	if (msec == bgp_ha_ack_timeout_msec)
		return;
	if (hold_msec && msec < HA_REPL_ACK_TIMEOUT_MSEC)
		zlog_info("frr-ha: bgpd: the standby must acknowledge within %u ms (a third of the shortest hold time, %u s, peer %s)",
			  msec, hold_msec / 1000, who);
	else
		zlog_info("frr-ha: bgpd: the standby must acknowledge within %u ms", msec);
	bgp_ha_ack_timeout_msec = msec;
	strlcpy(bgp_ha_ack_timeout_peer, msec < HA_REPL_ACK_TIMEOUT_MSEC ? who : "",
		sizeof(bgp_ha_ack_timeout_peer));
	ha_repl_set_ack_timeout(repl, msec);
}

/* (also now and then: a taken-over session gets its hold time back
 * without a status change) */
static void bgp_ha_ack_timeout_check(struct event *ev)
{
	bgp_ha_ack_timeout_update();
	if (bgp_ha_active())
		event_add_timer_msec(bm->master, bgp_ha_ack_timeout_check, NULL,
				     BGP_HA_ACK_TIMEOUT_CHECK_MSEC, &t_ack_timeout);
}

static int bgp_ha_peer_status_changed(struct peer *peer)
{
	struct bgp_ha_session *s;

	bgp_ha_ack_timeout_update();

	/* standby: a peer that starts anyway (configured outside a
	 * configuration read) is held and stopped too */
	if (bgp_ha_hold_peers && !peer->shut_during_cfg) {
		peer->shut_during_cfg = true;
		if (peer->connection->status != Idle && peer->connection->status != Deleted)
			BGP_EVENT_ADD(peer->connection, BGP_Stop);
		return 0;
	}
	/* going standby, the sessions stop here while the engine still acts
	 * as active (flushing the last deltas): their end is not news for
	 * the new active, which carries them on */
	if (bgp_ha_hold_peers)
		return 0;
	/* the end of a clearing that an adoption waits for: not news either */
	s = bgp_ha_session_find(peer->host, false);
	if (s && s->awaiting_adoption)
		return 0;
	/* frozen for a switchover, the connection is the new active's: what
	 * bgpd makes of the frozen socket (its I/O thread may meet it in
	 * repair mode and end the session) is not news either -- replicated,
	 * the new active would take it for the session's end and drop the
	 * connection it was handed */
	if (s && s->frozen) {
		zlog_info("frr-ha: session %s: bgpd ended it while frozen for the switchover (%s): not replicated",
			  s->peer, lookup_msg(bgp_status_msg, peer->connection->status, NULL));
		return 0;
	}

	/* a connection accepted while the configured peer also connects
	 * (collision) lives on a temporary peer of the same name (not the
	 * configured one, PEER_FLAG_CONFIG_NODE, and maybe an accept peer): it is not
	 * a session of its own unless it becomes the established one (bgpd
	 * clears the flag right after this hook then); its OPENs are recorded
	 * by the packet hooks, under the same name: both connections of a
	 * collision carry the same OPEN of the same speaker */
	if (!bgp_ha_active() || ((CHECK_FLAG(peer->sflags, PEER_STATUS_ACCEPT_PEER) ||
				  !CHECK_FLAG(peer->flags, PEER_FLAG_CONFIG_NODE)) &&
				 peer->connection->status != Established))
		return 0;
	if (peer->connection->status == Deleted) {
		s = bgp_ha_session_find(peer->host, false);
		if (s) {
			strlcpy(s->state, "Deleted", sizeof(s->state));
			bgp_ha_log_clear(s);
			bgp_ha_send_session(s);
			bgp_ha_session_free(s);
		}
		return 0;
	}
	bgp_ha_session_update(peer);
	return 0;
}

/* ---- the replicated class ---- */

/* Tests: the bulk copy pauses this long after the sessions' connections,
 * before their logs (0: not). */
static uint32_t bgp_ha_test_bulk_log_delay_ms;

static bool bgp_ha_bulk_established(struct bgp_ha_session *s, struct peer **peer)
{
	*peer = bgp_ha_peer(s->peer);
	return *peer && peer_established((*peer)->connection) &&
	       strcmp(s->state, "Established") == 0;
}

/*
 * The bulk copy: each session, then each established session's connection
 * -- so that the standby knows every connection within the copy's first
 * items -- then each session's log, its connection again and what the peer
 * has from us.  A death of this card before a session's log has all come
 * then finds the connection there and marked as lacking it (log_follows):
 * the new active resets that session cleanly at once.  (Before, with no
 * connection at all, the session was not taken over: the peer learned it
 * from bgpd's new connection or a RST, without a NOTIFICATION.)
 */
static bool bgp_ha_bulk(struct ha_repl *repl, void **cursor, void *arg)
{
	struct bgp_ha_session *s;
	struct peer *peer;

	if (!*cursor) {
		frr_each (bgp_ha_sessions, &sessions, s) {
			uint8_t *buf;
			size_t len;

			bgp_ha_session_pack(s, &buf, &len);
			ha_repl_bulk_item(repl, BGP_HA_CLASS_SESSION, BGP_HA_SESSION, buf, len);
			XFREE(MTYPE_TMP, buf);
			/* (only those whose log comes after, below) */
			s->in_bulk = true;
			if (bgp_ha_bulk_established(s, &peer))
				bgp_ha_send_connection(repl, s, peer->connection, true, false, true);
		}
		if (bgp_ha_test_bulk_log_delay_ms) {
			zlog_warn("frr-ha: bulk copy: the sessions' logs held back %u ms (a test)",
				  bgp_ha_test_bulk_log_delay_ms);
			*cursor = (void *)1;
			ha_repl_bulk_yield_for(repl, bgp_ha_test_bulk_log_delay_ms);
			return false;
		}
	}
	frr_each (bgp_ha_sessions, &sessions, s) {
		struct bgp_ha_msg *m;
		uint8_t *buf;
		size_t len;

		if (!s->in_bulk)
			continue;
		s->in_bulk = false;
		frr_each (bgp_ha_msgs, &s->log, m) {
			bgp_ha_message_pack(s->peer, m->index, m->type, m->data, m->len, &buf, &len);
			ha_repl_bulk_item(repl, BGP_HA_CLASS_SESSION, BGP_HA_MESSAGE, buf, len);
			XFREE(MTYPE_TMP, buf);
		}
		/* and its connection, for a takeover after this card's death */
		if (bgp_ha_bulk_established(s, &peer)) {
			bgp_ha_send_connection(repl, s, peer->connection, true, false, false);
			bgp_ha_send_adj_out(repl, s, true);
		}
	}
	return true;
}

/*
 * Standby: the active carries the session on (a delta of it arrived), so a
 * frozen connection of it from a graceful handover is stale -- the one the
 * old active handed over before a switchover that did not complete, or
 * this card's own after one that did.  (Not one from hard: a dead bgpd's
 * last deltas may still arrive after hard's state.)
 */
static void bgp_ha_connection_moved_on(struct bgp_ha_session *s)
{
	if (!s->tcp || s->tcp_from_hard)
		return;
	zlog_info("frr-ha: session %s: the active carries its connection on; the frozen copy here is dropped",
		  s->peer);
	bgp_ha_connection_clear(s);
}

static void bgp_ha_reset(struct ha_repl *repl, void *arg)
{
	/* (a session freed stops bgpd's copy of it) */
	struct bgp_ha_session *s;

	while ((s = bgp_ha_sessions_first(&sessions)))
		bgp_ha_session_free(s);
}

/* addr (IPv4 or IPv6, as text) and port as a socket address. */
static int bgp_ha_sockaddr_parse(const char *addr, uint32_t port, struct sockaddr_storage *ss,
				 socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (len)
			*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (len)
			*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static void bgp_ha_poll_point(bool every_call);

static bool bgp_ha_apply(struct ha_repl *repl, uint8_t kind, uint16_t subtype, const uint8_t *data,
			 size_t len, char *err, size_t errlen, void *arg)
{
	struct bgp_ha_session *s;

	/* (the standby applies thousands of deltas in one go) */
	bgp_ha_poll_point(false);

	if (subtype == BGP_HA_SESSION) {
		Frrha__DeltaBgpSession *msg = frrha__delta_bgp_session__unpack(NULL, len, data);

		if (!msg || msg->base.n_unknown_fields || !msg->peer[0] ||
		    strlen(msg->peer) >= sizeof(s->peer)) {
			snprintf(err, errlen, "undecodable BGP session");
			if (msg)
				frrha__delta_bgp_session__free_unpacked(msg, NULL);
			return false;
		}
		s = bgp_ha_session_find(msg->peer, true);
		bgp_ha_connection_moved_on(s);
		if (strcmp(msg->state, "Deleted") == 0) {
			bgp_ha_session_free(s);
		} else {
			if (strcmp(msg->state, s->state) != 0)
				bgp_ha_log_clear(s);
			strlcpy(s->state, msg->state, sizeof(s->state));
			s->local_as = msg->local_as;
			s->remote_as = msg->remote_as;
			bgp_ha_set_bytes(&s->open_sent, &s->open_sent_len, msg->open_sent.data,
					 msg->open_sent.len);
			bgp_ha_set_bytes(&s->open_rcvd, &s->open_rcvd_len, msg->open_received.data,
					 msg->open_received.len);
			s->keepalives = msg->keepalives_received;
			s->rx_base = msg->rx_base;
			/* the bulk copy: the log follows, compacted; the
			 * bytes it lacks count in the stream's offsets */
			if (kind == HA_DELTA_BULK_ITEM && !s->log_index)
				s->log_bytes = msg->bytes_compacted;
		}
		frrha__delta_bgp_session__free_unpacked(msg, NULL);
		return true;
	}
	if (subtype == BGP_HA_MESSAGE) {
		Frrha__DeltaBgpMessage *msg = frrha__delta_bgp_message__unpack(NULL, len, data);
		bool ok = false;

		if (!msg || msg->base.n_unknown_fields) {
			snprintf(err, errlen, "undecodable BGP message");
		} else if (!(s = bgp_ha_session_find(msg->peer, false))) {
			snprintf(err, errlen, "message for unknown session %s", msg->peer);
		} else if (msg->type == BGP_MSG_KEEPALIVE) {
			if (msg->index != s->keepalives + 1 || msg->data.len) {
				snprintf(err, errlen,
					 "session %s: keepalive #%" PRIu64 " where #%" PRIu64
					 " is due",
					 msg->peer, msg->index, s->keepalives + 1);
			} else {
				s->keepalives++;
				ha_reasm_trim(&s->pieces, bgp_ha_stream_bytes(s));
				ok = true;
			}
		} else if (kind == HA_DELTA_BULK_ITEM ? msg->index <= s->log_index
						      : msg->index != s->log_index + 1) {
			/* (the bulk copy's are compacted: gaps, in order) */
			snprintf(err, errlen,
				 "session %s: message #%" PRIu64 " where #%" PRIu64 " is due%s",
				 msg->peer, msg->index, s->log_index + 1,
				 kind == HA_DELTA_BULK_ITEM ? " or a later one" : "");
		} else if (msg->data.len < BGP_HEADER_SIZE ||
			   msg->data.len > BGP_EXTENDED_MESSAGE_MAX_PACKET_SIZE) {
			snprintf(err, errlen, "session %s: message of %zu bytes", msg->peer,
				 msg->data.len);
		} else {
			bgp_ha_log_append(s, msg->index, msg->type, msg->data.data, msg->data.len);
			ha_reasm_trim(&s->pieces, bgp_ha_stream_bytes(s));
			ok = true;
		}
		if (ok)
			bgp_ha_connection_moved_on(s);
		if (msg)
			frrha__delta_bgp_message__free_unpacked(msg, NULL);
		return ok;
	}
	if (subtype == BGP_HA_TCP) {
		Frrha__DeltaBgpTcp *msg = frrha__delta_bgp_tcp__unpack(NULL, len, data);
		struct ha_tcp_state st;
		bool ok = false;

		if (!msg || msg->base.n_unknown_fields) {
			snprintf(err, errlen, "undecodable BGP connection state");
		} else if (!(s = bgp_ha_session_find(msg->peer, false))) {
			snprintf(err, errlen, "connection state for unknown session %s", msg->peer);
		} else if (ha_tcp_state_decode(msg->state.data, msg->state.len, &st) != 0) {
			snprintf(err, errlen, "session %s: invalid TCP connection state", msg->peer);
		} else {
			ha_tcp_state_clear(&st);
			bgp_ha_connection_set(s, msg->state.data, msg->state.len, false);
			ok = true;
		}
		if (msg)
			frrha__delta_bgp_tcp__free_unpacked(msg, NULL);
		return ok;
	}
	if (subtype == BGP_HA_SEGMENT) {
		Frrha__DeltaBgpSegment *msg = frrha__delta_bgp_segment__unpack(NULL, len, data);
		bool ok = false;

		if (!msg || msg->base.n_unknown_fields) {
			snprintf(err, errlen, "undecodable BGP segment");
		} else if ((!msg->data.len && msg->outbound) || msg->data.len > UINT16_MAX ||
			   msg->offset > UINT64_MAX / 2 || !msg->local_port ||
			   msg->local_port > UINT16_MAX || !msg->remote_port ||
			   msg->remote_port > UINT16_MAX || msg->window > UINT16_MAX) {
			snprintf(err, errlen,
				 "BGP segment of %zu bytes at offset %" PRIu64
				 ", ports %u/%u, window %u: not a TCP segment",
				 msg->data.len, msg->offset, msg->local_port, msg->remote_port,
				 msg->window);
		} else if (!(s = bgp_ha_session_find(msg->peer, false))) {
			/* the gate sees connections before the session record
			 * exists (OPENs in flight): nothing to keep yet */
			ok = true;
		} else {
			struct ha_tcp_shadow_segment ss = {
				.outbound = msg->outbound,
				.offset = msg->offset,
				.seq = msg->seq,
				.ack = msg->ack,
				.window = msg->window,
				.has_ts = msg->has_timestamp,
				.tsval = msg->timestamp_value,
				.data = msg->data.data,
				.len = msg->data.len,
			};
			/* an established session's connection is the one its
			 * connection delta named: another connection of the
			 * peer's (a collision's) does not replace its record */
			bool other = s->shadow.have_options &&
				     strcmp(s->state, "Established") == 0 &&
				     (msg->local_port != s->shadow_lport ||
				      msg->remote_port != s->shadow_rport);
			struct ha_tcp_shadow *sh =
				other ? NULL : bgp_ha_shadow(s, msg->local_port, msg->remote_port);
			char why[256] = "";

			ok = msg->outbound || !msg->data.len ||
			     bgp_ha_pieces_add(s, msg->local_port, msg->remote_port, msg->offset,
					       msg->data.data, msg->data.len, err, errlen);
			if (sh) {
				sh->on_update = bgp_ha_adj_out_update;
				sh->on_update_arg = s;
			}
			/* a stream of ours that does not add up is this
			 * connection's problem (its rebuild would be refused),
			 * not the replication's: logged once */
			if (ok && sh &&
			    ha_tcp_shadow_segment(sh, &ss, ha_clock_ms(), why, sizeof(why)) < 0 &&
			    !s->shadow_reported) {
				s->shadow_reported = true;
				zlog_err("frr-ha: session %s: its connection cannot be rebuilt after the death of the active card: %s",
					 s->peer, why);
			}
		}
		if (msg)
			frrha__delta_bgp_segment__free_unpacked(msg, NULL);
		return ok;
	}
	if (subtype == BGP_HA_CONNECTION) {
		Frrha__DeltaBgpConnection *msg = frrha__delta_bgp_connection__unpack(NULL, len,
										     data);
		struct ha_tcp_shadow_options opt = {};
		bool ok = false;

		if (!msg || msg->base.n_unknown_fields) {
			snprintf(err, errlen, "undecodable BGP connection");
		} else if (!(s = bgp_ha_session_find(msg->peer, false))) {
			snprintf(err, errlen, "connection of unknown session %s", msg->peer);
		} else if (!msg->local_port || msg->local_port > UINT16_MAX || !msg->remote_port ||
			   msg->remote_port > UINT16_MAX || !msg->mss || msg->mss > UINT16_MAX ||
			   msg->send_window_scale > 14 || msg->receive_window_scale > 14 ||
			   msg->send_offset > UINT64_MAX / 2 ||
			   msg->receive_offset > UINT64_MAX / 2 ||
			   msg->send_boundary > UINT64_MAX / 2 || msg->send_acked > UINT64_MAX / 2 ||
			   msg->peer_window > UINT16_MAX || msg->our_window > UINT16_MAX ||
			   bgp_ha_sockaddr_parse(msg->local_address, msg->local_port, &opt.local,
						 &opt.addrlen) < 0 ||
			   bgp_ha_sockaddr_parse(msg->remote_address, msg->remote_port, &opt.remote,
						 NULL) < 0 ||
			   opt.local.ss_family != opt.remote.ss_family) {
			snprintf(err, errlen,
				 "session %s: connection %s:%u -> %s:%u (mss %u, window scales %u/%u): not a TCP connection",
				 msg->peer, msg->local_address, msg->local_port,
				 msg->remote_address, msg->remote_port, msg->mss,
				 msg->send_window_scale, msg->receive_window_scale);
		} else {
			struct ha_tcp_shadow *sh = bgp_ha_shadow(s, msg->local_port,
								 msg->remote_port);

			opt.mss = msg->mss;
			opt.sack = msg->sack;
			opt.tstamp = msg->timestamps;
			opt.wscale = msg->window_scaling;
			opt.snd_wscale = msg->send_window_scale;
			opt.rcv_wscale = msg->receive_window_scale;
			if (msg->rebase)
				ha_tcp_shadow_rebase(sh, msg->send_boundary);
			ha_tcp_shadow_set_options(sh, &opt);
			ha_tcp_shadow_anchor(sh, true, msg->send_seq, msg->send_offset);
			ha_tcp_shadow_anchor(sh, false, msg->receive_seq, msg->receive_offset);
			if (msg->send_acked > sh->snd_acked)
				sh->snd_acked = msg->send_acked;
			if (msg->send_boundary > sh->snd_boundary)
				sh->snd_boundary = msg->send_boundary;
			/* our clock as the active read it -- late, if this
			 * delta waited (e.g. in a bulk copy behind a table):
			 * kept only where it is ahead of the record's */
			if (opt.tstamp)
				ha_tcp_shadow_clock(sh, msg->timestamp, ha_clock_ms());
			/* the windows as the active's record had them (a segment
			 * replicated later updates them as usual) */
			if (msg->peer_window_known) {
				sh->have_peer_window = true;
				sh->peer_window = msg->peer_window;
				sh->peer_window_seq = msg->peer_window_seq;
			}
			if (msg->our_window_known) {
				sh->have_our_window = true;
				sh->our_window = msg->our_window;
				sh->our_ack = msg->our_ack;
			}
			s->shadow_reported = false;
			s->log_follows = msg->log_follows;
			/* what the peer has from us: nothing, in a new session;
			 * otherwise a bulk copy brings it (next) */
			if (msg->adj_out_new) {
				bgp_ha_adj_out_reset(s, msg->adj_out_addpath, 0, true, "");
			} else {
				s->adj_out_complete = false;
				snprintf(s->adj_out_why, sizeof(s->adj_out_why),
					 "no copy of the active card's record since it took the session over");
			}
			ok = true;
		}
		if (msg)
			frrha__delta_bgp_connection__free_unpacked(msg, NULL);
		return ok;
	}
	if (subtype == BGP_HA_ADJ_OUT)
		return bgp_ha_apply_adj_out(data, len, err, errlen);
	snprintf(err, errlen, "unknown BGP delta type %u", subtype);
	return false;
}

/* ---- the gate (active card) ---- */

/*
 * Every segment with a payload on a BGP connection waits in a netfilter
 * queue (the card's NFQUEUE rules, doc/bgp-nsr.md) until its bytes are
 * committed on the standby: a peer's before the kernel sees it -- and
 * acknowledges it -- and ours before it leaves the card.  So the standby
 * has every byte the active card ever acknowledged (when bgpd dies having
 * read more than it replicated, the new active takes the difference from
 * these segments: bgp_ha_stream_consistent), and every byte of ours the
 * peer may have (when the whole card dies, the standby rebuilds the
 * connection from them: bgp_ha_rebuild).  The queue is bound on both
 * cards while bgpd runs; the standby's gate drops what reaches it (its
 * kernel would answer a peer's segment with a RST before its takeover).
 * Without a program on the queue the rules let segments through (bypass).
 *
 * A segment's bytes are placed in its sender's stream by its connection's
 * anchors, a sequence number and its offset in the stream: the SYNs
 * (offset 0 is the byte after them), or, for a connection taken over, the
 * start of its re-created queues.  Each connection's ha_tcp_shadow is the
 * same record the standby keeps: for the standby's bulk copy.
 */
struct bgp_ha_conn {
	struct sockaddr_storage local, remote;
	struct ha_tcp_shadow shadow; /* its anchors: both streams' */
	uint32_t ack_replicated;     /* the peer's acknowledgement the standby has */
	bool from_syn;		     /* followed from its first byte */
	uint64_t out_ticket;	     /* of our last segment held (see bgp_ha_gate_packet) */
	uint64_t used;		     /* for reuse of the least recently used; 0: free */
	/* rebuilt after the death of the old active card: its timestamp clock
	 * (from clock_from on) is checked against the peer's echoes until the
	 * peer echoes one of its own -- see bgp_ha_conn_clock_check */
	bool clock_unconfirmed;
	uint32_t clock_from;	/* the socket's clock ... */
	uint64_t clock_from_ms; /* ... at this time */
	uint32_t clock_echo;	/* the peer's last echo ahead of our clock */
	struct event *t_clock;
	/* ... and the record's end checked against the peer's segments (see
	 * bgp_ha_conn_stream_check): a gap's wait, or the reset */
	struct ha_tcp_rebuilt_check stream;
	/* ... reset on the peer's first segment: rebuilt without the whole
	 * log (tcp_log_missing) */
	bool log_missing;
	struct event *t_stream;
	uint64_t stream_gap_ms; /* a gap seen then (ha_clock_ms) */
	char stream_why[200];
	/* ... the connection to re-create where the peer is, to reset the
	 * session (bgp_ha_conn_stream_reset_send); its queues empty */
	struct ha_tcp_state reset_st;
	unsigned int reset_tries;
	/* ... with this TSval: the peer's echo, not believed (see
	 * bgp_ha_conn_clock_fix) but for the close */
	bool reset_tsval_set;
	uint32_t reset_tsval;
	/* from the old socket's close to the new one's making (which waits
	 * for hard to close its copy of the old one: EADDRNOTAVAIL until
	 * then), no socket may have the connection, and this card's kernel
	 * would answer the peer's next segment with a RST -- the gate drops
	 * them */
	bool resetting;
	uint64_t reset_dropped;
};

#define BGP_HA_CONNS 1024
/* a peer's acknowledgements without data are replicated when they moved
 * this far (the standby drops what the peer has; it needs no more) */
#define BGP_HA_ACK_STEP 65536

static struct {
	struct ha_gate q; /* netfilter queue BGP_HA_NFQUEUE */
	struct bgp_ha_conn conns[BGP_HA_CONNS];
	uint64_t clock;
	/* segments with payload: held until committed on the standby (the
	 * peer's, ours); passed ungated (no anchor or no session record yet);
	 * dropped while standby; the peer's dropped while its connection is
	 * re-created to reset the session */
	uint64_t gated, gated_out, ungated, dropped, dropped_resetting;
} gate = { .q.fd = -1 };

static bool bgp_ha_sockaddr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       IN6_ARE_ADDR_EQUAL(&x->sin6_addr, &y->sin6_addr);
	}
	return false;
}

static uint16_t bgp_ha_sockaddr_port(const struct sockaddr_storage *a)
{
	return ntohs(a->ss_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port
					     : ((const struct sockaddr_in6 *)a)->sin6_port);
}

static void bgp_ha_sockaddr_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (a->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, buf, len);
	else if (a->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, buf, len);
}

static struct bgp_ha_conn *bgp_ha_conn_find(const struct sockaddr_storage *local,
					    const struct sockaddr_storage *remote)
{
	for (int i = 0; i < BGP_HA_CONNS; i++) {
		struct bgp_ha_conn *a = &gate.conns[i];

		if (a->used && bgp_ha_sockaddr_same(&a->local, local) &&
		    bgp_ha_sockaddr_same(&a->remote, remote)) {
			a->used = ++gate.clock;
			return a;
		}
	}
	return NULL;
}

/* A connection's record, made anew (a new connection on these addresses). */
static struct bgp_ha_conn *bgp_ha_conn_new(const struct sockaddr_storage *local,
					   const struct sockaddr_storage *remote)
{
	struct bgp_ha_conn *a = bgp_ha_conn_find(local, remote);

	if (!a) {
		a = &gate.conns[0];
		for (int i = 1; i < BGP_HA_CONNS && a->used; i++)
			if (gate.conns[i].used < a->used)
				a = &gate.conns[i];
	}
	ha_tcp_shadow_clear(&a->shadow);
	a->local = *local;
	a->remote = *remote;
	a->ack_replicated = 0;
	a->from_syn = false;
	a->out_ticket = 0;
	a->clock_unconfirmed = false;
	EVENT_OFF(a->t_clock);
	a->stream = (struct ha_tcp_rebuilt_check){};
	a->reset_tsval_set = false;
	a->resetting = false;
	ha_tcp_state_clear(&a->reset_st);
	EVENT_OFF(a->t_stream);
	a->used = ++gate.clock;
	return a;
}

static void bgp_ha_conns_clear(void)
{
	for (int i = 0; i < BGP_HA_CONNS; i++) {
		ha_tcp_shadow_clear(&gate.conns[i].shadow);
		gate.conns[i].clock_unconfirmed = false;
		EVENT_OFF(gate.conns[i].t_clock);
		gate.conns[i].stream = (struct ha_tcp_rebuilt_check){};
		EVENT_OFF(gate.conns[i].t_stream);
		gate.conns[i].resetting = false;
		ha_tcp_state_clear(&gate.conns[i].reset_st);
		gate.conns[i].used = 0;
	}
}

static void bgp_ha_gate_accept(uint32_t id)
{
	ha_gate_accept(&gate.q, id);
}

/* One segment of a connection of peer (with these ports) as the
 * standby's frrha.DeltaBgpSegment (XFREE(MTYPE_TMP) it). */
static uint8_t *bgp_ha_segment_pack(const char *peer, uint16_t lport, uint16_t rport,
				    const struct ha_tcp_shadow_segment *ss, size_t *blen)
{
	Frrha__DeltaBgpSegment msg = FRRHA__DELTA_BGP_SEGMENT__INIT;
	uint8_t *buf;

	msg.peer = (char *)peer;
	msg.local_port = lport;
	msg.remote_port = rport;
	msg.offset = ss->offset;
	msg.data.data = (uint8_t *)ss->data;
	msg.data.len = ss->len;
	msg.outbound = ss->outbound;
	msg.seq = ss->seq;
	msg.ack = ss->ack;
	msg.window = ss->window;
	msg.has_timestamp = ss->has_ts;
	msg.timestamp_value = ss->tsval;
	*blen = frrha__delta_bgp_segment__get_packed_size(&msg);
	buf = XMALLOC(MTYPE_TMP, *blen);
	frrha__delta_bgp_segment__pack(&msg, buf);
	return buf;
}

/* Replicate one segment of conn (of peer); its ticket (0: no standby). */
static uint64_t bgp_ha_segment_send(struct ha_repl *repl, const char *peer,
				    const struct bgp_ha_conn *conn,
				    const struct ha_tcp_shadow_segment *ss)
{
	uint64_t ticket;
	size_t blen;
	uint8_t *buf = bgp_ha_segment_pack(peer, bgp_ha_sockaddr_port(&conn->local),
					   bgp_ha_sockaddr_port(&conn->remote), ss, &blen);

	ticket = ha_repl_send(repl, BGP_HA_CLASS_SESSION, BGP_HA_SEGMENT, buf, blen);
	XFREE(MTYPE_TMP, buf);
	return ticket;
}

/* A packet from the queue: a segment on a BGP connection, the peer's
 * (INPUT) or ours (OUTPUT). */
static void bgp_ha_gate_packet(uint32_t id, unsigned int hook, const uint8_t *pkt, size_t len,
			       void *arg)
{
	struct ha_repl *repl = ha_module_repl();
	bool out = hook == HA_NFQ_HOOK_OUTPUT;
	char peer[INET6_ADDRSTRLEN] = "", err[256] = "";
	const struct sockaddr_storage *local, *remote;
	struct ha_tcp_shadow_segment ss = {};
	struct bgp_ha_session *sess;
	struct bgp_ha_conn *conn;
	struct ha_nfq_tcp seg;
	uint64_t ticket;
	uint32_t aseq;
	uint64_t aoff;
	bool anchored;

	if (!bgp_ha_active()) {
		/* standby: nothing of the line reaches this card's TCP (a
		 * segment for a connection not taken over yet would get a
		 * RST); its sender sends it again */
		gate.dropped++;
		ha_gate_drop(&gate.q, id);
		return;
	}
	if (!ha_nfq_parse_tcp(pkt, len, &seg)) {
		bgp_ha_gate_accept(id);
		return;
	}
	local = out ? &seg.src : &seg.dst;
	remote = out ? &seg.dst : &seg.src;
	if (seg.flags & TH_SYN) {
		/* a new connection (SYN), or the answer to ours (SYN-ACK) */
		conn = bgp_ha_conn_find(local, remote);
		if (!conn || !(seg.flags & TH_ACK)) {
			conn = bgp_ha_conn_new(local, remote);
			conn->from_syn = true;
		}
		ha_tcp_shadow_anchor(&conn->shadow, out, seg.seq + 1, 0);
		bgp_ha_gate_accept(id);
		return;
	}
	conn = bgp_ha_conn_find(local, remote);
	if (!out && conn && conn->resetting) {
		/* its sender sends it again, to the re-created connection */
		gate.dropped_resetting++;
		conn->reset_dropped++;
		ha_gate_drop(&gate.q, id);
		return;
	}
	bgp_ha_sockaddr_str(remote, peer, sizeof(peer));
	anchored = conn && (out ? conn->shadow.have_snd_anchor : conn->shadow.have_rcv_anchor);
	if (!anchored || !repl || (seg.flags & (TH_RST | TH_FIN)) ||
	    !(sess = bgp_ha_session_find(peer, false))) {
		if (seg.payload_len)
			gate.ungated++;
		/* our FIN or RST leaves after our bytes held before it (e.g.
		 * a NOTIFICATION, then the close): a RST that overtook them
		 * would reset the peer's end before it read them */
		if (out && conn && repl && (seg.flags & (TH_RST | TH_FIN)))
			ha_gate_after(&gate.q, repl, conn->out_ticket, id);
		else
			bgp_ha_gate_accept(id);
		return;
	}
	if (!out && seg.has_ts && conn->clock_unconfirmed)
		bgp_ha_conn_clock_check(conn, sess, seg.tsecr);
	/* (the peer's latest followed only while a reset may still come:
	 * the record's end or our clock not confirmed yet) */
	if (conn->stream.tracking && (conn->stream.checking || conn->clock_unconfirmed))
		bgp_ha_conn_stream_check(conn, sess, out, &seg);
	aseq = out ? conn->shadow.snd_seq : conn->shadow.rcv_seq;
	aoff = out ? conn->shadow.snd_offset : conn->shadow.rcv_offset;
	ss = (struct ha_tcp_shadow_segment){ .outbound = out,
					     /* retransmissions lie behind the anchor */
					     .offset = aoff + (int32_t)(seg.seq - aseq),
					     .seq = seg.seq,
					     .ack = seg.ack,
					     .window = seg.window,
					     .has_ts = seg.has_ts,
					     .tsval = seg.tsval,
					     .data = seg.payload,
					     .len = seg.payload_len };
	/* our UPDATEs on the session's connection: what the peer has from us */
	if (bgp_ha_sockaddr_port(local) == sess->adj_out_lport &&
	    bgp_ha_sockaddr_port(remote) == sess->adj_out_rport) {
		conn->shadow.on_update = bgp_ha_adj_out_update;
		conn->shadow.on_update_arg = sess;
	} else {
		conn->shadow.on_update = NULL;
	}
	if (ha_tcp_shadow_segment(&conn->shadow, &ss, ha_clock_ms(), err, sizeof(err)) < 0 &&
	    conn->shadow.snd_broken && ss.len)
		zlog_warn("frr-ha: gate: connection of session %s: %s", peer, err);
	if (!seg.payload_len) {
		bgp_ha_gate_accept(id);
		/* the peer's acknowledgement: replicated now and then (the
		 * standby drops what the peer has), never waited for */
		if (!out && conn->shadow.have_snd_anchor &&
		    (int32_t)(seg.ack - conn->ack_replicated) >= BGP_HA_ACK_STEP) {
			conn->ack_replicated = seg.ack;
			ss.offset = conn->shadow.rcv_offset +
				    (int32_t)(seg.seq - conn->shadow.rcv_seq);
			bgp_ha_segment_send(repl, peer, conn, &ss);
		}
		return;
	}
	if (!out)
		conn->ack_replicated = seg.ack;
	ticket = bgp_ha_segment_send(repl, peer, conn, &ss);
	if (out) {
		conn->out_ticket = ticket;
		gate.gated_out++;
	} else {
		gate.gated++;
	}
	ha_gate_after(&gate.q, repl, ticket, id);
}

/*
 * Active: tell the standby the connection c of session s carries, as this
 * card's gate has it -- its options, where both streams stand, our bytes
 * the peer may not have -- when it is established, taken over, or for a
 * bulk copy (bulk: as items of it).  From then on the standby follows it
 * from the gate's segments, for a takeover after the death of this card.
 */
static void bgp_ha_send_connection(struct ha_repl *repl, struct bgp_ha_session *s,
				   struct peer_connection *c, bool bulk, bool new_session,
				   bool log_follows)
{
	Frrha__DeltaBgpConnection msg = FRRHA__DELTA_BGP_CONNECTION__INIT;
	struct ha_tcp_shadow_options opt;
	char laddr[INET6_ADDRSTRLEN], raddr[INET6_ADDRSTRLEN];
	struct bgp_ha_conn *conn;
	const struct ha_tcp_shadow *sh;
	uint64_t from, to;
	uint32_t ts = 0;
	socklen_t tslen = sizeof(ts);
	uint8_t *buf;
	size_t blen;

	if (!repl || c->fd < 0 || ha_tcp_shadow_options_of(c->fd, &opt) < 0)
		return;
	conn = bgp_ha_conn_find(&opt.local, &opt.remote);
	if (!conn || !conn->shadow.have_snd_anchor || !conn->shadow.have_rcv_anchor) {
		zlog_warn("frr-ha: session %s: its connection was not seen by the gate: the death of this card would reset it",
			  s->peer);
		return;
	}
	ha_tcp_shadow_set_options(&conn->shadow, &opt);
	sh = &conn->shadow;
	if (opt.tstamp)
		getsockopt(c->fd, IPPROTO_TCP, TCP_TIMESTAMP, &ts, &tslen);
	bgp_ha_sockaddr_str(&opt.local, laddr, sizeof(laddr));
	bgp_ha_sockaddr_str(&opt.remote, raddr, sizeof(raddr));
	msg.peer = s->peer;
	msg.local_address = laddr;
	msg.local_port = bgp_ha_sockaddr_port(&opt.local);
	msg.remote_address = raddr;
	msg.remote_port = bgp_ha_sockaddr_port(&opt.remote);
	msg.mss = opt.mss;
	msg.sack = opt.sack;
	msg.timestamps = opt.tstamp;
	msg.window_scaling = opt.wscale;
	msg.send_window_scale = opt.snd_wscale;
	msg.receive_window_scale = opt.rcv_wscale;
	msg.send_seq = sh->snd_seq;
	msg.send_offset = sh->snd_offset;
	msg.receive_seq = sh->rcv_seq;
	msg.receive_offset = sh->rcv_offset;
	msg.send_boundary = sh->snd_boundary;
	msg.send_acked = sh->snd_acked;
	msg.rebase = true;
	msg.timestamp = ts;
	msg.adj_out_new = new_session;
	msg.adj_out_addpath = bgp_ha_addpath_mask(c->peer);
	msg.peer_window_known = sh->have_peer_window;
	msg.peer_window = sh->peer_window;
	msg.peer_window_seq = sh->peer_window_seq;
	msg.our_window_known = sh->have_our_window;
	msg.our_window = sh->our_window;
	msg.our_ack = sh->our_ack;
	msg.log_follows = log_follows;
	blen = frrha__delta_bgp_connection__get_packed_size(&msg);
	buf = XMALLOC(MTYPE_TMP, blen);
	frrha__delta_bgp_connection__pack(&msg, buf);
	if (bulk)
		ha_repl_bulk_item(repl, BGP_HA_CLASS_SESSION, BGP_HA_CONNECTION, buf, blen);
	else
		ha_repl_send(repl, BGP_HA_CLASS_SESSION, BGP_HA_CONNECTION, buf, blen);
	XFREE(MTYPE_TMP, buf);
	/* and our bytes held (the standby's record of them starts anew) */
	from = sh->snd_acked < sh->snd_boundary ? sh->snd_acked : sh->snd_boundary;
	to = ha_reasm_contiguous_end(&sh->snd, from);
	for (uint64_t off = from; off < to;) {
		uint32_t n = to - off > 32768 ? 32768 : to - off;
		uint8_t *data = ha_reasm_copy(&sh->snd, off, off + n);
		struct ha_tcp_shadow_segment ss = {
			.outbound = true,
			.offset = off,
			.seq = sh->snd_seq + (uint32_t)(off - sh->snd_offset),
			.ack = sh->our_ack,
			.window = sh->our_window,
			.has_ts = sh->have_tsval,
			.tsval = sh->tsval,
			.data = data,
			.len = n,
		};
		if (!data)
			break;
		buf = bgp_ha_segment_pack(s->peer, msg.local_port, msg.remote_port, &ss, &blen);
		if (bulk)
			ha_repl_bulk_item(repl, BGP_HA_CLASS_SESSION, BGP_HA_SEGMENT, buf, blen);
		else
			ha_repl_send(repl, BGP_HA_CLASS_SESSION, BGP_HA_SEGMENT, buf, blen);
		XFREE(MTYPE_TMP, buf);
		free(data);
		off += n;
	}
}

/* New active: the connection of a session taken over with state st, its
 * peer's next byte at offset replayed of its stream: followed by the gate
 * as if its SYNs had been seen -- our stream's offsets start at its send
 * queue, whose bytes the peer may not have. */
static void bgp_ha_conn_adopted(struct bgp_ha_session *s, const struct ha_tcp_state *st,
				uint64_t replayed)
{
	struct bgp_ha_conn *conn = bgp_ha_conn_new(&st->local, &st->remote);
	struct ha_tcp_shadow *sh = &conn->shadow;
	struct ha_tcp_shadow_segment ss = {
		.outbound = true,
		.seq = st->snd_seq,
		.ack = st->rcv_seq + st->rcvq_len,
		.window = (st->rcv_wnd >> (st->wscale ? st->rcv_wscale : 0)) > UINT16_MAX
				  ? UINT16_MAX
				  : st->rcv_wnd >> (st->wscale ? st->rcv_wscale : 0),
		.has_ts = st->tstamp,
		.tsval = st->timestamp,
		.data = st->sndq,
		.len = st->sndq_len,
	};
	char err[256] = "";

	ha_tcp_shadow_rebase(sh, st->sndq_len);
	ha_tcp_shadow_anchor(sh, true, st->snd_seq, 0);
	ha_tcp_shadow_anchor(sh, false, st->rcv_seq, replayed);
	if (ha_tcp_shadow_segment(sh, &ss, ha_clock_ms(), err, sizeof(err)) < 0)
		zlog_warn("frr-ha: gate: a connection taken over: %s", err);
	/* the peer's window as the connection had it: known to the record
	 * (and the standby's copy) before the peer's next segment */
	if (st->have_window) {
		uint32_t wnd = st->snd_wnd >> (st->wscale ? st->snd_wscale : 0);

		sh->have_peer_window = true;
		sh->peer_window = wnd > UINT16_MAX ? UINT16_MAX : wnd;
		sh->peer_window_seq = st->snd_wl1;
	}
	/* a connection rebuilt from a record: its clock, an estimate, is
	 * checked against what the peer took (a graceful handover's or a
	 * dead bgpd's is the socket's own) */
	conn->clock_unconfirmed = s->tcp_built && st->tstamp;
	conn->clock_from = st->timestamp;
	conn->clock_from_ms = ha_clock_ms();
	s->clock_checked = conn->clock_unconfirmed;
	s->clock_confirmed = false;
	s->clock_refused = false;
	s->clock_behind_ms = 0;
	/* ... and so is where its record ends */
	if (s->tcp_built)
		ha_tcp_rebuilt_check_init(&conn->stream, st->rcv_seq + st->rcvq_len,
					  st->snd_seq + st->sndq_len);
	conn->log_missing = s->tcp_built && s->tcp_log_missing;
	s->stream_checked = s->tcp_built;
	s->stream_confirmed = false;
}

/*
 * New active, a connection rebuilt after the death of the old active
 * card: its timestamp clock is the standby's estimate of the old card's,
 * which lags when what it was taken from arrived late (e.g. a bulk copy's
 * record, read behind a table).  The peer drops every segment whose TSval
 * is behind the last it took (PAWS, RFC 7323) -- and its hold timer
 * expires.  Each segment of the peer echoes that TSval (TSecr): while it
 * is ahead of the socket's clock, the clock is moved forward past it; the
 * peer takes the next retransmission.  The check ends once the peer
 * echoes a TSval of the rebuilt socket's own.
 */
#define BGP_HA_CLOCK_BEHIND_MAX_MS (3600u * 1000)

static void bgp_ha_conn_clock_fix(struct event *ev)
{
	struct bgp_ha_conn *conn = EVENT_ARG(ev);
	char addr[INET6_ADDRSTRLEN];
	struct bgp_ha_session *s;
	struct peer_connection *c;
	struct peer *peer;
	uint32_t ours = 0;
	socklen_t len = sizeof(ours);
	int ret = -1;

	bgp_ha_sockaddr_str(&conn->remote, addr, sizeof(addr));
	if (!conn->clock_unconfirmed || !(s = bgp_ha_session_find(addr, false)) ||
	    !(peer = bgp_ha_peer(s->peer)))
		return;
	c = peer->connection;
	if (c->fd < 0 || !peer_established(c) ||
	    s->adj_out_lport != bgp_ha_sockaddr_port(&conn->local) ||
	    s->adj_out_rport != bgp_ha_sockaddr_port(&conn->remote) ||
	    getsockopt(c->fd, IPPROTO_TCP, TCP_TIMESTAMP, &ours, &len) < 0)
		return;
	if ((int32_t)(conn->clock_echo - ours) <= 0) {
		/* the socket's clock is past the echo (the card's guess of it
		 * was short: the socket was made earlier): the echo was its
		 * own, or one it has passed -- the check ends */
		conn->clock_unconfirmed = false;
		s->clock_confirmed = true;
		return;
	}
	/* a lag is what the estimate missed of the old card's clock since its
	 * last update: beyond an hour, the echo is not believed (a peer that
	 * echoes garbage would move our clock anywhere) */
	if (conn->clock_echo - ours > BGP_HA_CLOCK_BEHIND_MAX_MS) {
		zlog_err("frr-ha: session %s: the peer echoes a TCP timestamp %u ms ahead of its rebuilt connection's clock: not believed, the clock is left as it is",
			 s->peer, conn->clock_echo - ours);
		s->clock_refused = true;
		conn->clock_unconfirmed = false;
		/* the peer takes no segment of ours behind what it echoes
		 * (PAWS): the session cannot go on -- reset now, not at the
		 * peer's hold timer, the close sent past the echo (believed
		 * for that alone) */
		snprintf(conn->stream_why, sizeof(conn->stream_why),
			 "the peer echoes a TCP timestamp %u ms ahead of the rebuilt connection's clock (not believed: more than %u s)",
			 conn->clock_echo - ours, BGP_HA_CLOCK_BEHIND_MAX_MS / 1000);
		conn->reset_tsval_set = true;
		conn->reset_tsval = conn->clock_echo + 1;
		EVENT_OFF(conn->t_stream);
		event_add_event(bm->master, bgp_ha_conn_stream_reset, conn, 0, &conn->t_stream);
		return;
	}
	/* bgpd's I/O thread writes under this lock: none while the socket
	 * is in repair mode, where a write would fail */
	frr_with_mutex (&c->io_mtx) {
		frr_with_privs (&bgpd_privs) {
			ret = ha_tcp_clock_advance(c->fd, conn->clock_echo + 1);
		}
	}
	if (ret < 0) {
		zlog_err("frr-ha: session %s: its rebuilt connection's TCP clock is %u ms behind the last the peer took, and cannot be moved forward (%s): the peer drops our segments until it catches up",
			 s->peer, conn->clock_echo - ours, safe_strerror(errno));
		return;
	}
	if (conn->clock_echo - ours > s->clock_behind_ms)
		s->clock_behind_ms = conn->clock_echo - ours;
	conn->clock_from = conn->clock_echo + 1;
	conn->clock_from_ms = ha_clock_ms();
	zlog_warn("frr-ha: session %s: its rebuilt connection's TCP clock was %u ms behind the last the peer took (which would drop our segments): moved forward",
		  s->peer, conn->clock_echo - ours);
}

/* The gate, a segment of the peer with its echo of our clock, on a
 * connection whose clock is not confirmed yet. */
static void bgp_ha_conn_clock_check(struct bgp_ha_conn *conn, struct bgp_ha_session *s,
				    uint32_t tsecr)
{
	/* the socket's clock now, as far as this card can tell without
	 * asking it (a tick of slack) */
	uint32_t ours = conn->clock_from + (uint32_t)(ha_clock_ms() - conn->clock_from_ms) + 2;

	if ((int32_t)(tsecr - conn->clock_from) < 0)
		/* the echo of a TSval older than the socket's clock: no harm */
		return;
	if ((int32_t)(tsecr - ours) <= 0) {
		/* the echo of a TSval of the socket's own: the peer took a
		 * segment of it */
		conn->clock_unconfirmed = false;
		s->clock_confirmed = true;
		EVENT_OFF(conn->t_clock);
		return;
	}
	if (conn->t_clock && (int32_t)(tsecr - conn->clock_echo) <= 0)
		return;
	conn->clock_echo = tsecr;
	/* from the event loop: the gate is also read inside bgpd's tasks */
	event_add_event(bm->master, bgp_ha_conn_clock_fix, conn, 0, &conn->t_clock);
}

/*
 * New active, a connection rebuilt after the death of the old active
 * card: does it go on where its record ends?  Not when the old card did
 * something last that was never replicated -- nothing is gated while the
 * standby takes a bulk copy in, so a card death then leaves the standby a
 * record of each session as the copy had it (the bytes since, of the
 * peer's and ours, were acknowledged or sent ungated).  The rebuilt socket
 * then drops the peer's acknowledgements of bytes it never sent, and waits
 * for ever for bytes of the peer's the peer will not send again: the
 * session is stuck until a hold timer ends it (the default: 3 minutes),
 * the routes in the missing bytes missing meanwhile.  The peer's segments
 * tell (lib/ha_tcp_shadow.h, ha_tcp_rebuilt_check): the session is then
 * reset at once (DIVERGED), or when a gap in the peer's bytes has not
 * filled within BGP_HA_STREAM_GAP_WAIT_MSEC -- long enough for the peer's
 * TCP to send again what was lost in flight with the card: at once with
 * SACK (the rebuilt socket's acknowledgements show the hole), otherwise
 * at its retransmission timer, which backed off while the card's death
 * was detected.  A hold time shorter than the wait ends the session
 * first.
 */
#define BGP_HA_STREAM_GAP_WAIT_MSEC 5000

static void bgp_ha_conn_stream_gap_expired(struct event *ev)
{
	struct bgp_ha_conn *conn = EVENT_ARG(ev);

	if (!conn->stream.checking)
		return;
	snprintf(conn->stream_why, sizeof(conn->stream_why),
		 "the peer's bytes go on %u bytes beyond the record's end, and those missing did not come again in %u ms (the old card acknowledged them, never replicated)",
		 ha_tcp_rebuilt_gap(&conn->stream), BGP_HA_STREAM_GAP_WAIT_MSEC);
	bgp_ha_conn_stream_reset(ev);
}

/* The gate, a segment on a connection whose record's end is not confirmed
 * by the peer yet. */
static void bgp_ha_conn_stream_check(struct bgp_ha_conn *conn, struct bgp_ha_session *s, bool out,
				     const struct ha_nfq_tcp *seg)
{
	enum ha_tcp_rebuilt_verdict verdict =
		ha_tcp_rebuilt_check_segment(&conn->stream, out, seg->seq, seg->payload_len,
					     seg->flags & TH_ACK, seg->ack);

	/* rebuilt only to be reset: the peer's first segment says where it
	 * is (its answer to the rebuilt socket's window probe, or to our
	 * KEEPALIVE) */
	if (conn->log_missing && !out && conn->stream.have_peer) {
		conn->log_missing = false;
		snprintf(conn->stream_why, sizeof(conn->stream_why),
			 "its log had not all come from the old active card when it died (a bulk copy was under way): carried on, it would lack routes the peer sent");
		EVENT_OFF(conn->t_stream);
		event_add_event(bm->master, bgp_ha_conn_stream_reset, conn, 0, &conn->t_stream);
		return;
	}
	switch (verdict) {
	case HA_TCP_REBUILT_UNSURE:
		return;
	case HA_TCP_REBUILT_CONFIRMED:
		s->stream_confirmed = true;
		if (conn->t_stream)
			zlog_info("frr-ha: session %s: the peer sent again what was missing of its bytes, %" PRIu64
				  " ms later: its rebuilt connection goes on",
				  s->peer, ha_clock_ms() - conn->stream_gap_ms);
		EVENT_OFF(conn->t_stream);
		return;
	case HA_TCP_REBUILT_GAP:
		/* (from the event loop: the gate is also read inside bgpd's
		 * tasks) */
		if (conn->t_stream)
			return;
		conn->stream_gap_ms = ha_clock_ms();
		zlog_info("frr-ha: session %s: the peer's bytes on its rebuilt connection start %u bytes beyond the record's end: the rest awaited for %u ms",
			  s->peer, (uint32_t)(seg->seq - conn->stream.rcv_nxt),
			  BGP_HA_STREAM_GAP_WAIT_MSEC);
		event_add_timer_msec(bm->master, bgp_ha_conn_stream_gap_expired, conn,
				     BGP_HA_STREAM_GAP_WAIT_MSEC, &conn->t_stream);
		return;
	case HA_TCP_REBUILT_DIVERGED:
		snprintf(conn->stream_why, sizeof(conn->stream_why),
			 "the peer acknowledges %u bytes of ours beyond the record's end (the old card sent them, never replicated)",
			 ha_tcp_rebuilt_acked_beyond(&conn->stream));
		EVENT_OFF(conn->t_stream);
		event_add_event(bm->master, bgp_ha_conn_stream_reset, conn, 0, &conn->t_stream);
		return;
	}
}

/* The reset's connection, re-created where the peer is, sends the peer a
 * NOTIFICATION and a FIN.  The old socket must be gone first: hard lets go
 * of its copy (bgp_ha_session_update) a moment after bgpd closed its own,
 * and until then the connection's addresses are taken -- tried again. */
#define BGP_HA_STREAM_RESET_RETRY_MSEC 50
#define BGP_HA_STREAM_RESET_TRIES      60

/* The reset of conn's session over (done, or given up): the socket's
 * state kept for it goes -- its send queue with it. */
static void bgp_ha_conn_reset_over(struct bgp_ha_conn *conn)
{
	conn->resetting = false;
	ha_tcp_state_clear(&conn->reset_st);
}

static void bgp_ha_conn_stream_reset_send(struct event *ev)
{
	struct bgp_ha_conn *conn = EVENT_ARG(ev);
	char addr[INET6_ADDRSTRLEN], err[256] = "";
	struct bgp_ha_session *s;
	bool notify;

	bgp_ha_sockaddr_str(&conn->remote, addr, sizeof(addr));
	if (!(s = bgp_ha_session_find(addr, false))) {
		bgp_ha_conn_reset_over(conn);
		return;
	}
	/* (after our bytes the peer may not have acknowledged yet: only if
	 * they end a message -- otherwise the peer would read the
	 * NOTIFICATION as part of one, and a FIN alone is cleaner) */
	notify = ha_bgp_stream_ends_on_message(conn->reset_st.sndq, conn->reset_st.sndq_len);
	if (bgp_ha_reset_connection(s, &conn->reset_st, notify, err, sizeof(err)) == 0) {
		zlog_notice("frr-ha: session %s: reset: %s sent where the peer expects our next byte, after %u bytes of ours it had not acknowledged (the connection re-created at try %u; %" PRIu64
			    " of the peer's segments dropped meanwhile by the gate)",
			    s->peer,
			    notify ? "a NOTIFICATION (Cease, administrative reset) and a FIN"
				   : "a FIN (our bytes before it end within a message)",
			    conn->reset_st.sndq_len, conn->reset_tries + 1, conn->reset_dropped);
		bgp_ha_conn_reset_over(conn);
		return;
	}
	if (errno == EADDRNOTAVAIL && ++conn->reset_tries < BGP_HA_STREAM_RESET_TRIES) {
		event_add_timer_msec(bm->master, bgp_ha_conn_stream_reset_send, conn,
				     BGP_HA_STREAM_RESET_RETRY_MSEC, &conn->t_stream);
		return;
	}
	zlog_err("frr-ha: session %s: cannot re-create its connection to reset it (%s): the peer's hold timer ends the session",
		 s->peer, err);
	bgp_ha_conn_reset_over(conn);
}

/* The session of a rebuilt connection that does not go on where its record
 * ended, reset cleanly: the peer gets a NOTIFICATION (Cease, administrative
 * reset) and a FIN where it expects our next byte -- from a socket
 * re-created where the peer's segments say the connection is -- and bgpd
 * establishes the session again from its configuration. */
static void bgp_ha_conn_stream_reset(struct event *ev)
{
	struct bgp_ha_conn *conn = EVENT_ARG(ev);
	char addr[INET6_ADDRSTRLEN], err[256] = "";
	struct bgp_ha_session *s;
	struct peer_connection *c;
	struct ha_tcp_state *st = &conn->reset_st;
	struct peer *peer;
	int ret = -1;

	conn->stream.checking = conn->stream.tracking = false;
	bgp_ha_sockaddr_str(&conn->remote, addr, sizeof(addr));
	if (!(s = bgp_ha_session_find(addr, false)) || !(peer = bgp_ha_peer(s->peer)) ||
	    !conn->stream.have_peer)
		return;
	c = peer->connection;
	if (c->fd < 0 || !peer_established(c) ||
	    s->adj_out_lport != bgp_ha_sockaddr_port(&conn->local) ||
	    s->adj_out_rport != bgp_ha_sockaddr_port(&conn->remote))
		return;
	zlog_err("frr-ha: session %s: its connection rebuilt after the death of the old active card cannot go on: %s -- the session is reset",
		 s->peer, conn->stream_why);
	bgp_ha_takeovers.reset_after++;
	snprintf(s->takeover, sizeof(s->takeover), "reset after the takeover: %s", conn->stream_why);
	/* bgpd's I/O on it ends; frozen, the socket sends nothing more, and
	 * closing it sends nothing -- the peer's segments dropped from now
	 * until the connection is re-created */
	conn->resetting = true;
	conn->reset_dropped = 0;
	ha_tcp_state_clear(st);
	bgp_ha_io_stop(&c, 1, false);
	frr_with_mutex (&c->io_mtx) {
		frr_with_privs (&bgpd_privs) {
			if (ha_tcp_freeze(c->fd) == 0)
				ret = ha_tcp_dump(c->fd, st, err, sizeof(err));
			else
				snprintf(err, sizeof(err), "%s", safe_strerror(errno));
		}
	}
	bgp_event_update(c, BGP_Stop);
	if (ret < 0) {
		zlog_err("frr-ha: session %s: its connection cannot be read to be closed in order (%s): the peer's hold timer ends the session",
			 s->peer, err);
		bgp_ha_conn_reset_over(conn);
		return;
	}
	/*
	 * Where the peer is: its next byte after the last it sent; ours the
	 * one it acknowledged last -- with our bytes after that one kept in
	 * the queue, for the NOTIFICATION goes after them, not over them.
	 * The peer may have them although its segment did not acknowledge
	 * them yet (e.g. the KEEPALIVE the takeover sent at once, crossing
	 * the peer's segment): a NOTIFICATION written over them would reach
	 * the peer in part (its first bytes taken for ones it has), and the
	 * session would end with a FIN alone.  Only a peer acknowledging
	 * beyond the queue (the record diverged) leaves nothing in it.
	 */
	{
		uint32_t acked = conn->stream.peer_ack - st->snd_seq;

		if ((int32_t)acked >= 0 && acked <= st->sndq_len) {
			if (acked)
				memmove(st->sndq, st->sndq + acked, st->sndq_len - acked);
			st->sndq_len -= acked;
			st->unsent_len = MIN(st->unsent_len, st->sndq_len);
		} else {
			free(st->sndq);
			st->sndq = NULL;
			st->sndq_len = st->unsent_len = 0;
		}
	}
	free(st->rcvq);
	st->rcvq = NULL;
	st->rcvq_len = 0;
	st->snd_seq = conn->stream.peer_ack;
	st->rcv_seq = conn->stream.peer_end;
	st->rcv_wup = st->snd_wl1 = st->rcv_seq;
	if (conn->reset_tsval_set)
		st->timestamp = ha_tcp_timestamp_ms(conn->reset_tsval);
	conn->reset_tries = 0;
	if (bgp_ha_test_reset_delay_ms)
		event_add_timer_msec(bm->master, bgp_ha_conn_stream_reset_send, conn,
				     bgp_ha_test_reset_delay_ms, &conn->t_stream);
	else
		bgp_ha_conn_stream_reset_send(ev);
}

/* Bind the queue: on the active, hold the segments until the standby has
 * them; on the standby, drop them. */
static void bgp_ha_gate_open(void)
{
	if (!gate.q.loop)
		ha_gate_init(&gate.q, "gate", BGP_HA_NFQUEUE, UINT16_MAX, bm->master, &bgpd_privs,
			     bgp_ha_gate_packet, NULL);
	ha_gate_open(&gate.q);
}

/* Going standby: the connections' records go, and so does what waits in
 * the queue for a verdict this card no longer gives (the peers' segments
 * come again to whichever card has their connections; ours, from the
 * frozen connections handed over, go again from the new active): the
 * queue is bound anew, from now on dropping what reaches it. */
static void bgp_ha_gate_standby(void)
{
	bgp_ha_conns_clear();
	bgp_ha_gate_open();
	ha_gate_rebind(&gate.q);
}

/* ---- what the peer has from us: its Adj-RIB-Out as sent ---- */

/*
 * Each session keeps what its peer has from us -- from our UPDATEs as the
 * gate saw them leave (lib/ha_adj_out.c) -- on the active from its own
 * gate, on the standby from the replicated segments, and in every bulk
 * copy.  At a takeover the new active's bgpd, which sees a new session,
 * advertises its whole table again; bgp_ha_update_queue takes out of
 * that what the peer already has (same route, same attributes), the
 * withdrawals of what it does not have, and an End-of-RIB it had.  The
 * filter ends once bgpd sent its End-of-RIB of every family and no
 * session's replayed messages are left to process (the table complete),
 * when the peer asks for everything again (ROUTE-REFRESH), or after
 * BGP_HA_RESYNC_MAX_MSEC.
 */
#define BGP_HA_RESYNC_MAX_MSEC	     30000
#define BGP_HA_RESYNC_TICK_MSEC	     100
#define BGP_HA_FAMILY_BIT(afi, safi) (1u << (((afi)-1) * 2 + ((safi)-1)))
/* routes per DeltaBgpAdjOut of a bulk copy */
#define BGP_HA_ADJ_OUT_CHUNK 1024

static struct event *t_resync;

/* The families a record follows whose NLRI of ours carry add-path
 * identifiers. */
static uint32_t bgp_ha_addpath_mask(struct peer *peer)
{
	uint32_t mask = 0;

	for (afi_t afi = AFI_IP; afi <= AFI_IP6; afi++)
		for (safi_t safi = SAFI_UNICAST; safi <= SAFI_MULTICAST; safi++)
			if (bgp_addpath_encode_tx(peer, afi, safi))
				mask |= BGP_HA_FAMILY_BIT(afi, safi);
	return mask;
}

/* The record of s starts anew: the families with add-path identifiers
 * and with our End-of-RIB sent; complete, or not for why. */
static void bgp_ha_adj_out_reset(struct bgp_ha_session *s, uint32_t addpath, uint32_t eor,
				 bool complete, const char *why)
{
	ha_adj_out_clear(&s->adj_out);
	for (uint16_t afi = 1; afi <= 2; afi++)
		for (uint8_t safi = 1; safi <= 2; safi++) {
			if (addpath & BGP_HA_FAMILY_BIT(afi, safi))
				ha_adj_out_set_addpath(&s->adj_out, afi, safi, true);
			if (eor & BGP_HA_FAMILY_BIT(afi, safi))
				ha_adj_out_set_eor(&s->adj_out, afi, safi, true);
		}
	s->adj_out_complete = complete;
	s->adj_out_reported = false;
	snprintf(s->adj_out_why, sizeof(s->adj_out_why), "%s", why);
}

static uint32_t bgp_ha_adj_out_eor_mask(const struct ha_adj_out *a)
{
	uint32_t mask = 0;

	for (uint16_t afi = 1; afi <= 2; afi++)
		for (uint8_t safi = 1; safi <= 2; safi++)
			if (ha_adj_out_eor(a, afi, safi))
				mask |= BGP_HA_FAMILY_BIT(afi, safi);
	return mask;
}

/* An UPDATE of ours, whole, as it left for the peer of session arg. */
static void bgp_ha_adj_out_update(void *arg, const uint8_t *msg, size_t len)
{
	struct bgp_ha_session *s = arg;

	if (ha_adj_out_apply(&s->adj_out, msg, len) < 0 && !s->adj_out_reported) {
		s->adj_out_reported = true;
		zlog_err("frr-ha: session %s: an UPDATE of ours does not parse (%s): after a takeover the peer would get everything from us again",
			 s->peer, s->adj_out.why);
	}
}

/* Active: session s is established anew -- the peer has nothing from us;
 * the record is complete if the gate follows the connection from its
 * first byte. */
static void bgp_ha_adj_out_start(struct bgp_ha_session *s, struct peer *peer)
{
	struct ha_tcp_shadow_options opt;
	struct bgp_ha_conn *conn = NULL;

	s->adj_out_filtering = false;
	if (peer->connection->fd >= 0 && ha_tcp_shadow_options_of(peer->connection->fd, &opt) == 0)
		conn = bgp_ha_conn_find(&opt.local, &opt.remote);
	bgp_ha_adj_out_reset(s, bgp_ha_addpath_mask(peer), 0, conn && conn->from_syn,
			     !conn ? "the gate did not see the session's connection"
				   : "the gate saw the session's connection only after it was made");
	s->adj_out_lport = conn ? bgp_ha_sockaddr_port(&opt.local) : 0;
	s->adj_out_rport = conn ? bgp_ha_sockaddr_port(&opt.remote) : 0;
}

struct bgp_ha_adj_out_chunk {
	struct ha_repl *repl;
	struct bgp_ha_session *s;
	uint8_t *buf;
	size_t n;
	bool first, bulk;
};

static void bgp_ha_adj_out_chunk_send(struct bgp_ha_adj_out_chunk *c)
{
	Frrha__DeltaBgpAdjOut msg = FRRHA__DELTA_BGP_ADJ_OUT__INIT;
	uint8_t *buf;
	size_t blen;

	msg.peer = c->s->peer;
	msg.first = c->first;
	msg.complete = c->s->adj_out_complete && !c->s->adj_out.broken && ha_gate_bound(&gate.q);
	msg.end_of_rib = bgp_ha_adj_out_eor_mask(&c->s->adj_out);
	msg.addpath = 0;
	for (size_t i = 0; i < c->s->adj_out.naf; i++)
		if (c->s->adj_out.af[i].addpath)
			msg.addpath |= BGP_HA_FAMILY_BIT(c->s->adj_out.af[i].afi,
							 c->s->adj_out.af[i].safi);
	msg.entries.data = c->buf;
	msg.entries.len = c->n * HA_ADJ_OUT_ENTRY_LEN;
	blen = frrha__delta_bgp_adj_out__get_packed_size(&msg);
	buf = XMALLOC(MTYPE_TMP, blen);
	frrha__delta_bgp_adj_out__pack(&msg, buf);
	if (c->bulk)
		ha_repl_bulk_item(c->repl, BGP_HA_CLASS_SESSION, BGP_HA_ADJ_OUT, buf, blen);
	else
		ha_repl_send(c->repl, BGP_HA_CLASS_SESSION, BGP_HA_ADJ_OUT, buf, blen);
	XFREE(MTYPE_TMP, buf);
	c->first = false;
	c->n = 0;
}

static void bgp_ha_adj_out_chunk_add(void *arg, const struct ha_adj_out_key *key, uint64_t attr_hash)
{
	struct bgp_ha_adj_out_chunk *c = arg;

	ha_adj_out_entry_encode(key, attr_hash, c->buf + c->n * HA_ADJ_OUT_ENTRY_LEN);
	if (++c->n == BGP_HA_ADJ_OUT_CHUNK)
		bgp_ha_adj_out_chunk_send(c);
}

/* Active: what the peer of s has from us, in chunks (the first one even
 * when it has nothing) -- in a bulk copy, or after the session's
 * connection record when this card took the session over. */
static void bgp_ha_send_adj_out(struct ha_repl *repl, struct bgp_ha_session *s, bool bulk)
{
	struct bgp_ha_adj_out_chunk c = {
		.repl = repl,
		.s = s,
		.first = true,
		.bulk = bulk,
	};

	if (!repl)
		return;
	c.buf = XMALLOC(MTYPE_TMP, BGP_HA_ADJ_OUT_CHUNK * HA_ADJ_OUT_ENTRY_LEN);

	ha_adj_out_walk(&s->adj_out, bgp_ha_adj_out_chunk_add, &c);
	if (c.n || c.first)
		bgp_ha_adj_out_chunk_send(&c);
	XFREE(MTYPE_TMP, c.buf);
}

/* Standby: a chunk of a bulk copy's record of what the peer has. */
static bool bgp_ha_apply_adj_out(const uint8_t *data, size_t len, char *err, size_t errlen)
{
	Frrha__DeltaBgpAdjOut *msg = frrha__delta_bgp_adj_out__unpack(NULL, len, data);
	struct bgp_ha_session *s;
	bool ok = false;

	if (!msg || msg->base.n_unknown_fields) {
		snprintf(err, errlen, "undecodable BGP Adj-RIB-Out copy");
	} else if (!(s = bgp_ha_session_find(msg->peer, false))) {
		snprintf(err, errlen, "Adj-RIB-Out copy of unknown session %s", msg->peer);
	} else if (msg->entries.len % HA_ADJ_OUT_ENTRY_LEN) {
		snprintf(err, errlen, "session %s: Adj-RIB-Out copy of %zu bytes: not whole routes",
			 msg->peer, msg->entries.len);
	} else {
		if (msg->first)
			bgp_ha_adj_out_reset(s, msg->addpath, msg->end_of_rib, msg->complete,
					     "the active card's record was incomplete");
		ok = true;
		for (size_t i = 0; ok && i < msg->entries.len / HA_ADJ_OUT_ENTRY_LEN; i++) {
			struct ha_adj_out_key key;
			uint64_t hash;

			if (ha_adj_out_entry_decode(msg->entries.data + i * HA_ADJ_OUT_ENTRY_LEN,
						    &key, &hash) < 0 ||
			    ha_adj_out_set(&s->adj_out, &key, hash) < 0) {
				snprintf(err, errlen,
					 "session %s: route %zu of the Adj-RIB-Out copy is not one",
					 msg->peer, i);
				/* what came is not the active's record */
				bgp_ha_adj_out_reset(s, 0, 0, false,
						     "its copy from the active card was refused");
				ok = false;
			}
		}
	}
	if (msg)
		frrha__delta_bgp_adj_out__free_unpacked(msg, NULL);
	return ok;
}

static void bgp_ha_resync_tick(struct event *ev);

/* New active, adopting s: bgpd's re-advertisement to the peer goes
 * through the filter -- or, without a complete record, all of it goes. */
static void bgp_ha_adj_out_resync_begin(struct bgp_ha_session *s)
{
	s->adj_out.routes_suppressed = s->adj_out.withdrawals_suppressed = 0;
	s->adj_out.stale_withdrawn = 0;
	s->adj_out_filtering = s->adj_out_complete && !s->adj_out.broken;
	if (!s->adj_out_filtering) {
		bgp_ha_takeovers.full_readvertisements++;
		zlog_notice("frr-ha: session %s: the peer gets everything from us again after the takeover: %s",
			    s->peer, s->adj_out.broken ? s->adj_out.why : s->adj_out_why);
		return;
	}
	ha_adj_out_resync_begin(&s->adj_out);
	s->adj_out_filter_until_ms = ha_clock_ms() + BGP_HA_RESYNC_MAX_MSEC;
	/* from now on this card's gate follows what the peer gets */
	if (!ha_gate_bound(&gate.q)) {
		s->adj_out_complete = false;
		snprintf(s->adj_out_why, sizeof(s->adj_out_why),
			 "the gate of the card that took the session over was off");
	}
	if (!t_resync)
		event_add_timer_msec(bm->master, bgp_ha_resync_tick, NULL, BGP_HA_RESYNC_TICK_MSEC,
				     &t_resync);
}

/* A withdrawal of routes the peer has and bgpd no longer advertises,
 * queued for the peer's connection arg. */
static void bgp_ha_withdrawal_emit(void *arg, const uint8_t *m, size_t len)
{
	struct peer_connection *c = arg;
	struct stream *st = stream_new(len);

	stream_put(st, m, len);
	frr_with_mutex (&c->io_mtx) {
		stream_fifo_push(c->obuf, st);
	}
}

/* The filter ends (how); with withdraw_to, the routes the peer has that
 * bgpd did not advertise again are withdrawn (only once bgpd's table and
 * output are complete: bgp_ha_resync_tick). */
static void bgp_ha_adj_out_resync_end(struct bgp_ha_session *s, const char *how,
				      struct peer *withdraw_to)
{
	uint64_t stale = s->adj_out.stale_withdrawn;


	if (!s->adj_out_filtering)
		return;
	if (ha_adj_out_resync_end(&s->adj_out, withdraw_to != NULL, bgp_ha_withdrawal_emit,
				  withdraw_to ? withdraw_to->connection : NULL) < 0)
		zlog_err("frr-ha: session %s: out of memory withdrawing what bgpd no longer advertises to the peer",
			 s->peer);
	if (withdraw_to && s->adj_out.stale_withdrawn > stale)
		bgp_writes_on(withdraw_to->connection);
	s->adj_out_filtering = false;
	s->adj_out_forced = false;
	zlog_info("frr-ha: session %s: bgpd's re-advertisement after the takeover %s: %" PRIu64
		  " routes the peer had already were not sent again, %" PRIu64
		  " withdrawals of routes it did not have left out, %" PRIu64
		  " routes it had that bgpd no longer advertises withdrawn",
		  s->peer, how, s->adj_out.routes_suppressed, s->adj_out.withdrawals_suppressed,
		  s->adj_out.stale_withdrawn - stale);
}

/* Whether every established peer's input is processed: the replayed
 * messages of the sessions taken over among them (bgpd's table is then
 * what the old active's was). */
static bool bgp_ha_input_processed(void)
{
	struct listnode *node, *pn;
	struct bgp *bgp;
	struct peer *peer;

	for (ALL_LIST_ELEMENTS_RO(bm->bgp, node, bgp))
		for (ALL_LIST_ELEMENTS_RO(bgp->peer, pn, peer))
			if (peer_established(peer->connection) &&
			    (peer->connection->t_process_packet ||
			     stream_fifo_count_safe(peer->connection->ibuf)))
				return false;
	return true;
}

static bool bgp_ha_output_idle(struct peer *peer);

static void bgp_ha_resync_tick(struct event *ev)
{
	struct bgp_ha_session *s;
	bool processed = bgp_ha_input_processed(), more = false;
	uint64_t now = ha_clock_ms();

	frr_each (bgp_ha_sessions, &sessions, s) {
		struct peer *peer;

		if (!s->adj_out_filtering)
			continue;
		peer = bgp_ha_peer(s->peer);
		if (!peer || !peer_established(peer->connection))
			bgp_ha_adj_out_resync_end(s, "ended with the session", NULL);
		else if (processed && s->adj_out_forced && bgp_ha_output_idle(peer))
			/* bgpd carried the session as standby: its table was
			 * complete before, its announcement is over now */
			bgp_ha_adj_out_resync_end(s, "is over", peer);
		else if (processed && !s->adj_out_forced &&
			 ha_adj_out_resync_advertised(&s->adj_out))
			bgp_ha_adj_out_resync_end(s, "is over", NULL);
		else if (now > s->adj_out_filter_until_ms)
			bgp_ha_adj_out_resync_end(s, "no longer filtered (time limit)", NULL);
		else
			more = true;
	}
	if (more)
		event_add_timer_msec(bm->master, bgp_ha_resync_tick, NULL, BGP_HA_RESYNC_TICK_MSEC,
				     &t_resync);
}

static void bgp_ha_update_emit(void *arg, const uint8_t *m, size_t len)
{
	struct stream *st = stream_new(len);

	stream_put(st, m, len);
	stream_fifo_push(arg, st);
}

/* bgpd queues an UPDATE for peer (patches/frr 0003): during the
 * re-advertisement after a takeover, only what the peer has not got. */
static int bgp_ha_update_queue(struct peer *peer, struct stream *st, struct stream_fifo *instead)
{
	struct bgp_ha_session *s;

	/* every UPDATE of every peer comes here: outside a takeover's
	 * re-advertisement (the resync timer runs while a session filters)
	 * not even the session is looked up */
	if (!t_resync || !bgp_ha_active() || !(s = bgp_ha_session_find(peer->host, false)) ||
	    !s->adj_out_filtering)
		return 0;
	if (ha_adj_out_filter(&s->adj_out, STREAM_DATA(st), stream_get_endp(st), bgp_ha_update_emit,
			      instead) < 0) {
		zlog_warn("frr-ha: session %s: an UPDATE of bgpd's does not parse (%s): sent as it is",
			  s->peer, s->adj_out.why);
		bgp_ha_adj_out_resync_end(s, "given up", NULL);
		return 0;
	}
	return 1;
}

/* ---- graceful switchover: the connections move ---- */

static struct event *t_thaw;
static void bgp_ha_thaw(struct event *ev);

static struct peer *bgp_ha_peer(const char *name)
{
	struct bgp *bgp = bgp_get_default();
	union sockunion su;

	if (!bgp || str2sockunion(name, &su) < 0)
		return NULL;
	return peer_lookup(bgp, &su);
}

/* Give a connection frozen for a handover back to bgpd. */
static void bgp_ha_io_resume(struct peer_connection *c)
{
	frr_with_privs (&bgpd_privs)
		ha_tcp_thaw(c->fd);
	bgp_reads_on(c);
	bgp_writes_on(c);
	bgp_keepalives_on(c);
	/* messages read before the freeze wait in ibuf: reads_off cancelled
	 * their processing */
	if (stream_fifo_count_safe(c->ibuf))
		event_add_event(bm->master, bgp_process_packet, c, 0, &c->t_process_packet);
}

/*
 * What bgpd holds of a connection beyond its socket goes with the socket's
 * state, as if still in the kernel's queues: the peer's bytes bgpd read
 * and did not process yet (whole messages waiting in ibuf, the start of
 * one in ibuf_work) at the head of the receive queue -- the new active's
 * bgpd reads them first, and the standby's record ends exactly before
 * them -- and the messages bgpd queued and did not write yet (obuf, the
 * first maybe half written) at the tail of the send queue.
 */
static int bgp_ha_state_add_buffers(struct peer_connection *c, struct ha_tcp_state *st,
				    size_t *unread)
{
	uint8_t *in = NULL, *out = NULL;
	size_t in_len = 0, out_len = 0, pos;
	struct stream *m;
	int ret = 0;

	frr_with_mutex (&c->io_mtx) {
		for (m = stream_fifo_head(c->ibuf); m; m = m->next)
			in_len += stream_get_endp(m);
		in_len += ringbuf_remain(c->ibuf_work);
		for (m = stream_fifo_head(c->obuf); m; m = m->next)
			out_len += STREAM_READABLE(m);
		in = XMALLOC(MTYPE_TMP, in_len + 1);
		out = XMALLOC(MTYPE_TMP, out_len + 1);
		pos = 0;
		for (m = stream_fifo_head(c->ibuf); m; m = m->next) {
			memcpy(in + pos, STREAM_DATA(m), stream_get_endp(m));
			pos += stream_get_endp(m);
		}
		ringbuf_peek(c->ibuf_work, 0, in + pos, in_len - pos);
		pos = 0;
		for (m = stream_fifo_head(c->obuf); m; m = m->next) {
			memcpy(out + pos, stream_pnt(m), STREAM_READABLE(m));
			pos += STREAM_READABLE(m);
		}
	}
	if (in_len || out_len)
		zlog_info("frr-ha: session %s: %zu bytes read and %zu bytes to write by bgpd go with the connection",
			  c->peer->host, in_len, out_len);
	if (ha_tcp_state_unread(st, in, in_len) < 0 || ha_tcp_state_unwritten(st, out, out_len) < 0)
		ret = -1;
	*unread = in_len;
	XFREE(MTYPE_TMP, in);
	XFREE(MTYPE_TMP, out);
	return ret;
}

/*
 * bgpd's I/O thread stops reading and writing the connections conns[0..n)
 * in one round trip to it, and their processing, output and keepalives
 * stop: bgp_reads_off() and bgp_writes_off() of each, which wait for the
 * I/O thread twice per connection (at a switchover with 100 sessions,
 * ~0.13 ms per session on 2 loaded cores).  With writes_only, only what
 * bgp_writes_off() stops.
 */
struct bgp_ha_io_stop {
	struct peer_connection **conns;
	size_t n;
	bool writes_only;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	bool done;
};

/* on bgpd's I/O thread (t_read and t_write are its events) */
static void bgp_ha_io_stop_there(struct event *ev)
{
	struct bgp_ha_io_stop *req = EVENT_ARG(ev);
	size_t i;

	for (i = 0; i < req->n; i++) {
		if (!req->writes_only)
			EVENT_OFF(req->conns[i]->t_read);
		EVENT_OFF(req->conns[i]->t_write);
	}
	frr_with_mutex (&req->mtx) {
		req->done = true;
		pthread_cond_signal(&req->cond);
	}
}

static void bgp_ha_io_stop(struct peer_connection **conns, size_t n, bool writes_only)
{
	struct bgp_ha_io_stop req = { .conns = conns, .n = n, .writes_only = writes_only };
	size_t i;

	if (!n)
		return;
	pthread_mutex_init(&req.mtx, NULL);
	pthread_cond_init(&req.cond, NULL);
	event_add_event(bgp_pth_io->master, bgp_ha_io_stop_there, &req, 0, NULL);
	frr_with_mutex (&req.mtx) {
		while (!req.done)
			pthread_cond_wait(&req.cond, &req.mtx);
	}
	pthread_cond_destroy(&req.cond);
	pthread_mutex_destroy(&req.mtx);
	for (i = 0; i < n; i++) {
		struct peer_connection *c = conns[i];

		if (writes_only) {
			EVENT_OFF(c->t_generate_updgrp_packets);
			UNSET_FLAG(c->thread_flags, PEER_THREAD_WRITES_ON);
			continue;
		}
		EVENT_OFF(c->t_process_packet);
		EVENT_OFF(c->t_process_packet_error);
		EVENT_OFF(c->t_generate_updgrp_packets);
		UNSET_FLAG(c->thread_flags, PEER_THREAD_READS_ON | PEER_THREAD_WRITES_ON);
		bgp_keepalives_off(c);
	}
}

/* Active: stop bgpd's I/O on each established session and freeze its
 * connection; the standby gets its exact state. */
static void bgp_ha_handover(struct ha_repl *repl, void *arg)
{
	struct bgp_ha_session *s;
	struct peer_connection **conns;
	size_t n = 0, frozen = 0;

	conns = XCALLOC(MTYPE_TMP, (bgp_ha_sessions_count(&sessions) + 1) * sizeof(*conns));
	frr_each (bgp_ha_sessions, &sessions, s) {
		struct peer *peer = bgp_ha_peer(s->peer);

		if (peer && peer_established(peer->connection))
			conns[n++] = peer->connection;
	}
	bgp_ha_io_stop(conns, n, false);
	XFREE(MTYPE_TMP, conns);

	frr_each (bgp_ha_sessions, &sessions, s) {
		struct peer *peer = bgp_ha_peer(s->peer);
		struct peer_connection *c;
		struct ha_tcp_state st;
		Frrha__DeltaBgpTcp msg = FRRHA__DELTA_BGP_TCP__INIT;
		char err[256] = "";
		uint8_t *state, *buf;
		ssize_t slen;
		size_t blen, unread = 0;
		int ret;

		if (!peer || !peer_established(peer->connection))
			continue;
		c = peer->connection;
		frr_with_privs (&bgpd_privs) {
			ret = ha_tcp_freeze(c->fd);
			if (ret < 0)
				snprintf(err, sizeof(err), "TCP_REPAIR: %s", safe_strerror(errno));
			else
				ret = ha_tcp_dump(c->fd, &st, err, sizeof(err));
		}
		if (ret == 0 && bgp_ha_state_add_buffers(c, &st, &unread) < 0) {
			snprintf(err, sizeof(err),
				 "bgpd's buffers do not fit the connection's queues");
			ha_tcp_state_clear(&st);
			ret = -1;
		}
		if (ret < 0) {
			zlog_err("frr-ha: cannot freeze session %s for the switchover: %s", s->peer,
				 err);
			bgp_ha_io_resume(c);
			continue;
		}
		s->frozen = true;
		slen = ha_tcp_state_encode(&st, NULL, 0);
		state = XMALLOC(MTYPE_BGP_HA_MSG, slen);
		ha_tcp_state_encode(&st, state, slen);
		ha_tcp_state_clear(&st);
		msg.peer = s->peer;
		msg.state.data = state;
		msg.state.len = slen;
		blen = frrha__delta_bgp_tcp__get_packed_size(&msg);
		buf = XMALLOC(MTYPE_TMP, blen);
		frrha__delta_bgp_tcp__pack(&msg, buf);
		ha_repl_send(repl, BGP_HA_CLASS_SESSION, BGP_HA_TCP, buf, blen);
		XFREE(MTYPE_TMP, buf);
		/* kept: if the switchover rolls back after this card went
		 * standby, its bgpd carries on from this state (role_changed) */
		bgp_ha_connection_clear(s);
		s->tcp = state;
		s->tcp_len = slen;
		s->tcp_own = true;
		s->tcp_fd_lacks_unread = unread > 0;
		frozen++;
	}
	zlog_info("frr-ha: %zu of %zu established sessions frozen for the switchover", frozen, n);
	event_add_timer_msec(bm->master, bgp_ha_thaw, NULL, BGP_HA_THAW_MSEC, &t_thaw);
}

/* The switchover did not happen: give the connections back to bgpd. */
static void bgp_ha_thaw(struct event *ev)
{
	struct bgp_ha_session *s;

	frr_each (bgp_ha_sessions, &sessions, s) {
		struct peer *peer = bgp_ha_peer(s->peer);

		if (!s->frozen)
			continue;
		s->frozen = false;
		bgp_ha_connection_clear(s);
		if (!peer || !peer_established(peer->connection))
			continue;
		bgp_ha_io_resume(peer->connection);
		zlog_info("frr-ha: session %s thawed: the switchover did not happen", s->peer);
	}
}

/* A whole BGP message into the peer's input queue. */
static void bgp_ha_inject(struct peer_connection *c, const uint8_t *data, size_t len)
{
	struct stream *st = stream_new(len);

	stream_put(st, data, len);
	frr_with_mutex (&c->io_mtx) {
		stream_fifo_push(c->ibuf, st);
	}
}

/* A BGP header: the marker, the message's length, its type. */
static void bgp_ha_put_header(uint8_t *buf, uint16_t len, uint8_t type)
{
	memset(buf, 0xff, BGP_MARKER_SIZE);
	buf[BGP_MARKER_SIZE] = len >> 8;
	buf[BGP_MARKER_SIZE + 1] = len & 0xff;
	buf[BGP_MARKER_SIZE + 2] = type;
}

/* Bytes of the peer's stream our record of session s accounts for: its
 * OPEN, the KEEPALIVE that established it, every message logged since and
 * the KEEPALIVEs counted since. */
/*
 * Whether the frozen connection st carries on exactly where the record of
 * session s ends -- the two checks that keep a takeover from silently
 * corrupting a session:
 *  - inbound: the old active's bgpd read (bytes received minus those still
 *    queued) just the bytes of the messages replicated to us; more means
 *    it consumed messages the standby never got (a crash between its read
 *    and the replication) -- unless the inbound gate's segments have those
 *    bytes: then they go back at the head of the receive queue, and this
 *    card's bgpd reads them as the old one did;
 *  - outbound: its send queue ends where a BGP message ends; otherwise it
 *    died half-way through writing one.
 */
static bool bgp_ha_stream_consistent(struct bgp_ha_session *s, struct ha_tcp_state *st,
				     bool *outbound_ok, char *err, size_t errlen)
{
	uint64_t read = s->rx_base + st->bytes_received - st->rcvq_len;
	uint64_t known = bgp_ha_stream_bytes(s);

	/* a rebuilt connection's send queue ends on a message: checked as it
	 * was built, from the messages followed since the connection began */
	*outbound_ok = s->tcp_built ? !s->tcp_cut
				    : ha_bgp_stream_ends_on_message(st->sndq, st->sndq_len);
	if (read > known && read - known <= HA_TCP_QUEUE_MAX) {
		uint8_t *missing = ha_reasm_copy(&s->pieces, known, read);

		if (missing && ha_tcp_state_unread(st, missing, read - known) == 0) {
			zlog_info("frr-ha: session %s: the old active read %" PRIu64
				  " bytes more than it replicated; the inbound gate's segments have them",
				  s->peer, read - known);
			read = known;
		}
		free(missing);
	}
	/* 19 bytes missing can only be one KEEPALIVE (every other message is
	 * longer): nothing lost but its count */
	if (read == known + BGP_HEADER_SIZE) {
		zlog_info("frr-ha: session %s: the old active read one KEEPALIVE the standby never got; counted",
			  s->peer);
		s->keepalives++;
		known += BGP_HEADER_SIZE;
	}
	if (read != known) {
		snprintf(err, errlen,
			 "the old active read %" PRIu64 " bytes of the peer's stream, %" PRIu64
			 " were replicated",
			 read, known);
		return false;
	}
	if (!*outbound_ok) {
		snprintf(err, errlen,
			 "the old active stopped half-way through writing a message (%u bytes queued)",
			 st->sndq_len);
		return false;
	}
	return true;
}

/*
 * A connection whose session we reset: our NOTIFICATION and FIN sent, it
 * stays open until the peer closes its end too, what the peer still sends
 * read and dropped.  Closed at once, the kernel would answer the peer's
 * next bytes (a KEEPALIVE it sent before it read ours) with a RST -- which
 * the peer may take before it reads the NOTIFICATION.  Closed anyway after
 * BGP_HA_CLOSING_MAX_MSEC.
 */
#define BGP_HA_CLOSING_MAX_MSEC 30000

struct bgp_ha_closing {
	int fd;
	struct event *t_read, *t_give_up;
};

static void bgp_ha_closing_end(struct bgp_ha_closing *cl)
{
	EVENT_OFF(cl->t_read);
	EVENT_OFF(cl->t_give_up);
	close(cl->fd);
	XFREE(MTYPE_BGP_HA_CLOSING, cl);
}

static void bgp_ha_closing_read(struct event *ev)
{
	struct bgp_ha_closing *cl = EVENT_ARG(ev);
	uint8_t buf[4096];
	ssize_t n;

	while ((n = read(cl->fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		event_add_read(bm->master, bgp_ha_closing_read, cl, cl->fd, &cl->t_read);
		return;
	}
	/* the peer's FIN (or its RST): done */
	bgp_ha_closing_end(cl);
}

static void bgp_ha_closing_give_up(struct event *ev)
{
	bgp_ha_closing_end(EVENT_ARG(ev));
}

static void bgp_ha_close_after_peer(int fd)
{
	struct bgp_ha_closing *cl = XCALLOC(MTYPE_BGP_HA_CLOSING, sizeof(*cl));

	cl->fd = fd;
	set_nonblocking(fd);
	event_add_read(bm->master, bgp_ha_closing_read, cl, fd, &cl->t_read);
	event_add_timer_msec(bm->master, bgp_ha_closing_give_up, cl, BGP_HA_CLOSING_MAX_MSEC,
			     &cl->t_give_up);
}

/*
 * A session whose connection cannot be carried on is reset cleanly instead:
 * the connection is re-created only to end it -- a NOTIFICATION (Cease,
 * administrative reset) when the outbound stream is at a message boundary,
 * then a normal close -- and bgpd establishes the session again from its
 * configuration.  The peer sees a reset of this session only.
 */
static int bgp_ha_reset_connection(struct bgp_ha_session *s, const struct ha_tcp_state *st,
				   bool outbound_ok, char *err, size_t errlen)
{
	uint8_t notify[BGP_HEADER_SIZE + 2];
	int fd;

	bgp_ha_put_header(notify, sizeof(notify), BGP_MSG_NOTIFY);
	notify[BGP_HEADER_SIZE] = BGP_NOTIFY_CEASE;
	notify[BGP_HEADER_SIZE + 1] = BGP_NOTIFY_CEASE_ADMIN_RESET;
	fd = bgp_ha_connection_take(s, st, err, errlen);
	if (fd < 0)
		return -1;
	if (outbound_ok && write(fd, notify, sizeof(notify)) != (ssize_t)sizeof(notify))
		zlog_warn("frr-ha: session %s: NOTIFICATION not written: %s", s->peer,
			  safe_strerror(errno));
	shutdown(fd, SHUT_WR);
	bgp_ha_close_after_peer(fd);
	return 0;
}

static void bgp_ha_reset_session(struct bgp_ha_session *s, const struct ha_tcp_state *st,
				 bool outbound_ok)
{
	char err[256] = "";

	if (bgp_ha_reset_connection(s, st, outbound_ok, err, sizeof(err)) < 0)
		zlog_err("frr-ha: session %s: cannot re-create its connection to reset it (%s)",
			 s->peer, err);
}

/* New active: the frozen connection of session s, re-created, becomes
 * bgpd's established session -- without an OPEN of ours.  False with the
 * reason in err when it cannot; *reset then says the session was reset
 * cleanly instead (its replicated state did not add up). */
/* New active: the record of s accounts for replayed bytes of the peer's
 * stream; from now on it counts what bgpd reads from the socket fd after
 * them (its receive counter started at the takeover; what is still queued
 * in it, the re-created receive queue, is after them too). */
static void bgp_ha_rx_base_set(struct bgp_ha_session *s, int fd, uint64_t replayed)
{
	uint64_t received, acked;
	int inq;

	ha_reasm_clear(&s->pieces);
	if (ha_tcp_byte_counters(fd, &received, &acked) == 0 && ioctl(fd, SIOCINQ, &inq) == 0)
		s->rx_base = replayed - received + inq;
	else
		zlog_warn("frr-ha: session %s: cannot read its socket's counters: %s", s->peer,
			  safe_strerror(errno));
}

/* bgpd's peer, Idle, goes to OpenSent as if it had sent our OPEN (the
 * same configuration makes the same OPEN: built, not sent) and gets the
 * peer's OPEN and a KEEPALIVE in its input queue: processed, they make it
 * Established with the capabilities the session negotiated. */
static void bgp_ha_open_replay(struct peer *peer, const uint8_t *open_rcvd, size_t open_rcvd_len)
{
	struct peer_connection *c = peer->connection;
	uint8_t keepalive[BGP_HEADER_SIZE];
	struct stream *open;

	open = bgp_open_make(peer,
			     CHECK_FLAG(peer->flags, PEER_FLAG_TIMER) ? peer->holdtime
								      : peer->bgp->default_holdtime,
			     peer->change_local_as ? peer->change_local_as : peer->local_as);
	stream_free(open);
	bgp_fsm_change_status(c, OpenSent);
	bgp_timer_set(c);
	bgp_ha_put_header(keepalive, sizeof(keepalive), BGP_MSG_KEEPALIVE);
	bgp_ha_inject(c, open_rcvd, open_rcvd_len);
	bgp_ha_inject(c, keepalive, sizeof(keepalive));
}

static bool bgp_ha_adopt_mirrored(struct bgp_ha_session *s, struct peer *peer,
				  struct ha_tcp_state *st, char *err, size_t errlen);

static bool bgp_ha_adopt(struct bgp_ha_session *s, bool *reset, char *err, size_t errlen)
{
	struct peer *peer = bgp_ha_peer(s->peer);
	struct peer_connection *c;
	struct ha_tcp_state st;
	struct bgp_ha_msgs_head log;
	struct bgp_ha_msg *m;
	uint64_t replayed;
	uint8_t *open_rcvd;
	size_t open_rcvd_len;
	bool ok = false, outbound_ok;
	uint32_t rcvq_len;
	int fd;

	*reset = false;
	if (!peer) {
		snprintf(err, errlen, "no such neighbor configured here");
		return false;
	}
	s->adopting = true;
	if (ha_tcp_state_decode(s->tcp, s->tcp_len, &st) != 0) {
		snprintf(err, errlen, "invalid connection state");
		return false;
	}
	if (!s->open_rcvd_len || strcmp(s->state, "Established") != 0) {
		snprintf(err, errlen, "the session was not replicated as established (%s)",
			 s->open_rcvd_len ? s->state : "no OPEN from the peer");
		outbound_ok = ha_bgp_stream_ends_on_message(st.sndq, st.sndq_len);
		goto reset;
	}
	rcvq_len = st.rcvq_len;
	if (!bgp_ha_stream_consistent(s, &st, &outbound_ok, err, errlen))
		goto reset;
	if ((st.rcvq_len != rcvq_len || s->tcp_fd_lacks_unread) && s->tcp_fd >= 0) {
		/* the socket re-created (or kept) ahead lacks the bytes put
		 * back into the receive queue: re-created again (closing it in
		 * repair mode sends nothing; the peer's segments meanwhile
		 * wait in the inbound gate's queue) */
		close(s->tcp_fd);
		s->tcp_fd = -1;
	}
	c = peer->connection;
	/* carried by this bgpd as standby: only the connection changes */
	s->took_over_carried = bgp_ha_carried(s) && peer_established(c);
	if (s->took_over_carried) {
		ok = bgp_ha_adopt_mirrored(s, peer, &st, err, errlen);
		s->adopting = false;
		if (!ok)
			bgp_ha_adj_out_resync_end(s, "ended: the session was not taken over", NULL);
		ha_tcp_state_clear(&st);
		return ok;
	}
	bgp_ha_mirror_stop(s, "taken over from its record");
	/* the replicated messages and OPEN: taken out of the record, which the
	 * status changes below rewrite (they are logged again as bgpd
	 * processes them, now as the active's) */
	bgp_ha_msgs_init(&log);
	while ((m = bgp_ha_msgs_pop(&s->log)))
		bgp_ha_msgs_add_tail(&log, m);
	bgp_ha_log_restart(s);
	open_rcvd_len = s->open_rcvd_len;
	open_rcvd = XMALLOC(MTYPE_BGP_HA_MSG, open_rcvd_len);
	memcpy(open_rcvd, s->open_rcvd, open_rcvd_len);
	if (peer->doppelganger)
		peer_delete(peer->doppelganger);
	/* this bgpd's own attempts (into the blocked port) end silently */
	bgp_stop(c);
	if (!bgp_ha_connection_attach(s, c, &st, err, errlen))
		goto out;
	fd = c->fd;
	/* this card's gate follows the connection from here: the peer's next
	 * bytes come after the replayed ones (the re-created receive queue
	 * starts there), ours after the send queue */
	replayed = open_rcvd_len + BGP_HEADER_SIZE;
	frr_each (bgp_ha_msgs, &log, m)
		replayed += m->len;
	bgp_ha_conn_adopted(s, &st, replayed);
	/* ... and what the peer has from us follows our UPDATEs on it; bgpd's
	 * re-advertisement of its table, once Established, leaves out what
	 * the peer has */
	s->adj_out_lport = bgp_ha_sockaddr_port(&st.local);
	s->adj_out_rport = bgp_ha_sockaddr_port(&st.remote);
	bgp_ha_adj_out_resync_begin(s);
	/* the peer's OPEN, a keepalive -- Established -- and what the peer
	 * sent since, through bgpd's own receive path */
	bgp_ha_open_replay(peer, open_rcvd, open_rcvd_len);
	frr_each (bgp_ha_msgs, &log, m)
		bgp_ha_inject(c, m->data, m->len);
	/* bgpd processes a few of them now (its rpkt_quanta), the rest in
	 * later events, in order, before what it reads from the socket */
	event_execute(bm->master, bgp_process_packet, c, 0, &c->t_process_packet);
	if (!peer_established(c)) {
		snprintf(err, errlen, "bgpd did not reach Established (state %s)",
			 lookup_msg(bgp_status_msg, c->status, NULL));
		goto out;
	}
	/* from now on the record counts what bgpd reads from the new socket
	 * after the replayed messages (as they are processed, the record
	 * counts them again, KEEPALIVEs aside): the socket's counter started
	 * at the takeover (the re-created receive queue counted in it or not,
	 * the difference is what is still queued) */
	bgp_ha_rx_base_set(s, fd, replayed);
	bgp_ha_send_session(s);
	bgp_reads_on(c);
	ok = true;
out:
	s->adopting = false;
	if (!ok)
		bgp_ha_adj_out_resync_end(s, "ended: the session was not taken over", NULL);
	ha_tcp_state_clear(&st);
	while ((m = bgp_ha_msgs_pop(&log)))
		XFREE(MTYPE_BGP_HA_MSG, m);
	bgp_ha_msgs_fini(&log);
	XFREE(MTYPE_BGP_HA_MSG, open_rcvd);
	return ok;
reset:
	/* this bgpd starts the session afresh, not from whatever its own
	 * attempts (into the blocked port) left behind: through its FSM, so
	 * that the peer is Idle and its start timer runs */
	if (peer->doppelganger)
		peer_delete(peer->doppelganger);
	s->adopting = false;
	if (s->mirrored)
		bgp_ha_mirror_stop(s, "reset instead of taken over");
	else
		bgp_event_update(peer->connection, BGP_Stop);
	bgp_ha_reset_session(s, &st, outbound_ok);
	ha_tcp_state_clear(&st);
	*reset = true;
	return false;
}

/* ---- standby: bgpd carries the replicated sessions (the mirror) ---- */

/*
 * While this card is standby, bgpd's peer of each replicated established
 * session is Established too, on one end of a socket pair instead of the
 * line: the peer's OPEN, a KEEPALIVE and every replicated message go
 * through bgpd's own receive path as they arrive, so this card's bgpd
 * builds the peers' routes into its RIB (and zebra) itself, as the active's
 * did.  What bgpd sends there (its UPDATEs to the peer, keepalives) is read
 * from the other end and dropped.  Its hold and keepalive timers do not run
 * (the negotiated values are kept for the takeover).  At a takeover the
 * session's connection replaces the socket pair (bgp_ha_adopt_mirrored):
 * nothing is replayed.
 *
 * A mirror follows one generation of the session's log; a new session on
 * the active (a new log) stops it -- bgpd clears the peer -- and a new one
 * starts.  If bgpd leaves Established on a mirrored session by itself (a
 * replicated message it refused), that is logged; the session is then
 * taken over the old way (the log replayed at the takeover).
 */

#define BGP_HA_MIRROR_SYNC_MSEC 200
static struct event *t_mirror_sync;

static void bgp_ha_mirror_drop(struct event *ev)
{
	static uint8_t buf[65536];
	struct bgp_ha_session *s = EVENT_ARG(ev);
	ssize_t n;

	while ((n = read(s->mirror_fd, buf, sizeof(buf))) > 0)
		s->mirror_dropped += n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		event_add_read(bm->master, bgp_ha_mirror_drop, s, s->mirror_fd, &s->t_mirror);
		return;
	}
	/* bgpd closed its end: its peer left Established (bgp_ha_mirror_sync
	 * tells why) */
	close(s->mirror_fd);
	s->mirror_fd = -1;
}

/* The replicated messages bgpd has not been fed yet, into its input
 * queue. */
static void bgp_ha_mirror_feed(struct bgp_ha_session *s, struct peer *peer)
{
	struct peer_connection *c = peer->connection;
	struct bgp_ha_msg *m;
	bool fed = false;

	if (!bgp_ha_carried(s) || !peer_established(c))
		return;
	m = s->mirror_last ? bgp_ha_msgs_next(&s->log, s->mirror_last) : bgp_ha_msgs_first(&s->log);
	for (; m; m = bgp_ha_msgs_next(&s->log, m)) {
		bgp_ha_inject(c, m->data, m->len);
		s->mirror_last = m;
		s->mirror_fed++;
		s->mirror_unfed--;
		fed = true;
	}
	if (fed)
		event_add_event(bm->master, bgp_process_packet, c, 0, &c->t_process_packet);
}

/* Standby: the replicated messages of s its bgpd has not processed yet
 * (not fed, or in its input queue): how far behind the active it is. */
static uint64_t bgp_ha_mirror_behind(const struct bgp_ha_session *s)
{
	struct peer *peer = bgp_ha_peer(s->peer);
	uint64_t queued = peer ? stream_fifo_count_safe(peer->connection->ibuf) : 0;

	return s->mirror_unfed + queued;
}

/* The socket pair's other end closed, the session no longer mirrored
 * (bgpd's peer left as it is). */
static void bgp_ha_mirror_detach(struct bgp_ha_session *s)
{
	s->mirrored = false;
	s->mirror_last = NULL;
	EVENT_OFF(s->t_mirror);
	if (s->mirror_fd >= 0)
		close(s->mirror_fd);
	s->mirror_fd = -1;
}

static void bgp_ha_mirror_stop(struct bgp_ha_session *s, const char *why)
{
	struct peer *peer;

	if (!s->mirrored)
		return;
	bgp_ha_mirror_detach(s);
	snprintf(s->mirror_why, sizeof(s->mirror_why), "%s", why);
	peer = bgp_ha_peer(s->peer);
	/* through the FSM: bgpd clears the peer's routes and closes its end */
	if (peer && peer->connection->status != Idle && peer->connection->status != Clearing &&
	    peer->connection->status != Deleted)
		bgp_event_update(peer->connection, BGP_Stop);
	zlog_info("frr-ha: session %s: no longer carried by this standby's bgpd: %s", s->peer, why);
}

/* Standby: bgpd's peer (Idle) becomes the Established copy of session s. */
static bool bgp_ha_mirror_start(struct bgp_ha_session *s, struct peer *peer)
{
	struct peer_connection *c = peer->connection;
	union sockunion su;
	int sv[2];

	if (!s->shadow.have_options) {
		snprintf(s->mirror_why, sizeof(s->mirror_why),
			 "its connection's addresses are not known here yet");
		return false;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(s->mirror_why, sizeof(s->mirror_why), "socketpair: %s",
			 safe_strerror(errno));
		return false;
	}
	c->fd = sv[0];
	memset(&su, 0, sizeof(su));
	memcpy(&su, &s->shadow.opt.local, sizeof(su));
	sockunion_free(c->su_local);
	c->su_local = sockunion_dup(&su);
	memcpy(&su, &s->shadow.opt.remote, sizeof(su));
	sockunion_free(c->su_remote);
	c->su_remote = sockunion_dup(&su);
	if (bgp_getsockname(c) < 0) {
		snprintfrr(s->mirror_why, sizeof(s->mirror_why),
			   "no nexthop for the local address %pSU here", c->su_local);
		close(sv[0]);
		close(sv[1]);
		c->fd = -1;
		return false;
	}
	s->mirrored = true;
	s->mirror_epoch = s->epoch;
	s->mirror_fd = sv[1];
	s->mirror_last = NULL;
	s->mirror_fed = s->mirror_dropped = 0;
	s->mirror_unfed = bgp_ha_msgs_count(&s->log);
	s->mirror_why[0] = '\0';
	event_add_read(bm->master, bgp_ha_mirror_drop, s, s->mirror_fd, &s->t_mirror);
	bgp_ha_open_replay(peer, s->open_rcvd, s->open_rcvd_len);
	/* the OPEN and the KEEPALIVE now (bgpd's rpkt_quanta: a few more),
	 * the rest as later events */
	event_execute(bm->master, bgp_process_packet, c, 0, &c->t_process_packet);
	if (!peer_established(c)) {
		s->mirror_failed_epoch = s->epoch + 1;
		bgp_ha_mirror_stop(s, "bgpd did not reach Established with the replicated OPEN");
		return false;
	}
	/* no hold timer, no keepalives while standby */
	s->mirror_holdtime = peer->v_holdtime;
	s->mirror_keepalive = peer->v_keepalive;
	peer->v_holdtime = peer->v_keepalive = 0;
	bgp_timer_set(c);
	if (!bgp_ha_feed_paused)
		bgp_ha_mirror_feed(s, peer);
	zlog_info("frr-ha: session %s: carried by this standby's bgpd (%zu replicated messages fed)",
		  s->peer, bgp_ha_msgs_count(&s->log));
	return true;
}

/* Standby: how many replicated messages bgpd has not processed yet --
 * of the sessions it carries, those queued or not fed; of the others,
 * every logged message (a takeover replays them). */
static uint64_t bgp_ha_standby_messages_behind(void)
{
	struct bgp_ha_session *s;
	uint64_t total = 0;

	frr_each (bgp_ha_sessions, &sessions, s) {
		if (strcmp(s->state, "Established") != 0)
			continue;
		total += bgp_ha_carried(s) ? bgp_ha_mirror_behind(s) : bgp_ha_msgs_count(&s->log);
	}
	return total;
}

/* ... and how many prefixes (destinations) wait in bgpd's queue for their
 * best path: a message is processed once bgpd has parsed it, its routes
 * are in the RIB (and go to zebra) only then. */
static uint64_t bgp_ha_prefixes_pending(void)
{
	struct listnode *node;
	struct bgp *bgp;
	uint64_t total = 0;

	for (ALL_LIST_ELEMENTS_RO(bm->bgp, node, bgp))
		if (bgp->mq)
			total += bgp->mq->size;
	return total;
}

/* The standby's backlog, reported to the active (ha_repl_set_backlog),
 * which refuses a graceful switchover while it is over the limit: both
 * of the above -- what a takeover now would leave the new active's RIB
 * to catch up on. */
static uint64_t bgp_ha_standby_backlog(void)
{
	return bgp_ha_standby_messages_behind() + bgp_ha_prefixes_pending();
}

static void bgp_ha_backlog_report(void)
{
	struct ha_repl *repl = ha_module_repl();

	if (repl && !bgp_ha_active())
		ha_repl_set_backlog(repl, MIN(bgp_ha_standby_backlog(), UINT32_MAX));
}

/* Standby: every replicated established session carried by bgpd, as
 * its record stands. */
static void bgp_ha_mirror_sync(struct event *ev)
{
	struct bgp_ha_session *s;

	if (bgp_ha_active() || !bgp_ha_hold_peers)
		return;
	frr_each (bgp_ha_sessions, &sessions, s) {
		struct peer *peer = bgp_ha_peer(s->peer);
		/* (not while this card keeps its own frozen connection of
		 * it: a switchover that rolls back carries it on from that) */
		bool want = peer && strcmp(s->state, "Established") == 0 && s->open_rcvd_len &&
			    !s->tcp_own;

		if (s->mirrored) {
			if (!want)
				bgp_ha_mirror_stop(s, "the session ended on the active");
			else if (s->mirror_epoch != s->epoch)
				bgp_ha_mirror_stop(s, "a new session on the active");
			else if (!peer_established(peer->connection)) {
				s->mirror_failed_epoch = s->epoch + 1;
				zlog_err("frr-ha: session %s: this standby's bgpd left Established on the replicated messages (%s): it is taken over from its record",
					 s->peer, peer_down_str[peer->last_reset]);
				bgp_ha_mirror_stop(s,
						   "bgpd left Established on a replicated message");
			} else if (!bgp_ha_feed_paused)
				bgp_ha_mirror_feed(s, peer);
		} else if (want && peer->connection->status == Idle &&
			   s->mirror_failed_epoch != s->epoch + 1)
			bgp_ha_mirror_start(s, peer);
	}
	bgp_ha_backlog_report();
	event_add_timer_msec(bm->master, bgp_ha_mirror_sync, NULL, BGP_HA_MIRROR_SYNC_MSEC,
			     &t_mirror_sync);
}

/* Whether bgpd has nothing more to send peer now: no announcement
 * pending, no packet to build or to send, no route to process. */
static bool bgp_ha_output_idle(struct peer *peer)
{
	struct peer_connection *c = peer->connection;
	afi_t afi;
	safi_t safi;

	if (c->t_generate_updgrp_packets || stream_fifo_count_safe(c->obuf) ||
	    (peer->bgp->process_queue && !work_queue_empty(peer->bgp->process_queue)))
		return false;
	FOREACH_AFI_SAFI(afi, safi)
	{
		struct peer_af *paf = peer_af_find(peer, afi, safi);
		struct update_subgroup *subgrp;

		if (!paf)
			continue;
		if (paf->t_announce_route)
			return false;
		subgrp = PAF_SUBGRP(paf);
		if (subgrp && (subgrp->t_coalesce || subgroup_packets_to_build(subgrp)))
			return false;
		if (paf->next_pkt_to_send && paf->next_pkt_to_send->buffer)
			return false;
	}
	return true;
}

/*
 * New active: session s, carried by this bgpd as standby, continues on its
 * connection st (the socket pair replaced): the hold timer restarts, a
 * keepalive goes at once, the messages fed and not yet processed are
 * processed after that, ahead of what bgpd reads from the connection, and
 * bgpd's announcement to the peer is forced again -- through
 * the filter, so the peer gets only what it has not got; what it has that
 * bgpd no longer advertises is withdrawn once bgpd's output is idle.
 */
static bool bgp_ha_adopt_mirrored(struct bgp_ha_session *s, struct peer *peer,
				  struct ha_tcp_state *st, char *err, size_t errlen)
{
	struct peer_connection *c = peer->connection;
	uint64_t replayed;
	int fd;

	if (!peer_established(c)) {
		snprintf(err, errlen, "bgpd left Established on a replicated message");
		return false;
	}
	/* the messages not fed yet join bgpd's input queue; those it has not
	 * processed stay there, ahead of what it reads from the connection,
	 * and are processed later, as bgpd's own events -- the connection is
	 * taken over first (a standby seconds behind, after a full table,
	 * would otherwise keep the peer without a keepalive for as long) */
	bgp_ha_mirror_feed(s, peer);
	s->backlog = s->backlog_at_takeover = stream_fifo_count_safe(c->ibuf);
	s->backlog_since_ms = ha_clock_ms();
	s->backlog_took_ms = 0;
	bgp_ha_mirror_detach(s);
	/* what bgpd built for the socket pair is not the peer's (its writes
	 * to it stopped before, for all sessions at once: bgp_ha_adopt_all) */
	if (CHECK_FLAG(c->thread_flags, PEER_THREAD_WRITES_ON))
		bgp_writes_off(c);
	frr_with_mutex (&c->io_mtx) {
		stream_fifo_clean(c->obuf);
	}
	close(c->fd);
	c->fd = -1;
	if (!bgp_ha_connection_attach(s, c, st, err, errlen))
		goto stop;
	fd = c->fd;
	/* the record goes on as it is (KEEPALIVEs counted included): the
	 * re-created receive queue starts where it ends */
	replayed = bgp_ha_stream_bytes(s);
	bgp_ha_conn_adopted(s, st, replayed);
	s->adj_out_lport = bgp_ha_sockaddr_port(&st->local);
	s->adj_out_rport = bgp_ha_sockaddr_port(&st->remote);
	s->adj_out_forced = true;
	bgp_ha_adj_out_resync_begin(s);
	/* the timers as negotiated, a keepalive at once */
	peer->v_holdtime = s->mirror_holdtime;
	peer->v_keepalive = s->mirror_keepalive;
	bgp_timer_set(c);
	bgp_keepalive_send(peer);
	bgp_ha_rx_base_set(s, fd, replayed);
	bgp_reads_on(c);
	bgp_writes_on(c);
	/* the rest once every session's keepalive is on its way */
	s->adopt_rest = true;
	return true;
stop:
	s->backlog = 0;
	peer->v_holdtime = s->mirror_holdtime;
	peer->v_keepalive = s->mirror_keepalive;
	bgp_event_update(c, BGP_Stop);
	return false;
}

/*
 * The rest of a mirrored session's adoption, after every session's
 * connection was attached and its keepalive queued (and the gate gave
 * their verdicts): the re-advertisement forced, hard's copy of the socket,
 * the session's record for the new standby.  Nothing here can fail.
 */
static void bgp_ha_adopt_mirrored_rest(struct bgp_ha_session *s)
{
	struct peer *peer = bgp_ha_peer(s->peer);
	struct peer_connection *c;
	afi_t afi;
	safi_t safi;

	s->adopt_rest = false;
	if (!peer || !peer_established(peer->connection) || peer->connection->fd < 0)
		return;
	c = peer->connection;
	FOREACH_AFI_SAFI(afi, safi)
	if (peer->afc_nego[afi][safi])
		bgp_announce_route(peer, afi, safi, true);
	if (!ha_client_session_socket(peer->host, c->fd))
		zlog_warn("frr-ha: cannot hand the socket of session %s to hard: a bgpd crash would close it",
			  peer->host);
	bgp_ha_send_session(s);
	bgp_ha_send_connection(ha_module_repl(), s, c, false, false, false);
	bgp_ha_send_adj_out(ha_module_repl(), s, false);
}

/* "show bgp summary" (patches/frr 0004): on a standby card every peer is
 * the standby's -- held, or carrying the active's session. */
static int bgp_ha_peer_state_note(struct peer *peer, const char **note)
{
	struct ha_repl *repl = ha_module_repl();

	if (bgp_ha_hold_peers && !bgp_ha_active())
		*note = repl && ha_repl_role(repl) == HA_ROLE_STANDBY ? "Standby" : "Held";
	return 0;
}

/* ---- the standby's bgpd starts no session ---- */

/*
 * While this card is standby its bgpd neither connects to its neighbors
 * nor listens for their connections (bgp_ha_listen): every peer is held
 * the way bgpd holds peers while it reads its configuration
 * (peer->shut_during_cfg, which BGP_PEER_START_SUPPRESSED checks: no
 * start, no start timer, incoming connections refused).  Not a configuration change: nothing shows in
 * the running configuration, nothing is replicated.  bgpd releases that
 * hold at the end of every configuration read (peer_unshut_after_cfg, on
 * the bgp_config_end hook); bgp_ha_config_end_* keep standby peers out of
 * it.  When the card becomes active the peers are released and started,
 * after the replicated sessions were taken over.
 */

/* Whether bgpd's main listeners (those of the default instance; VRF
 * instances have their own) are open -- of address family, or of any
 * with AF_UNSPEC. */
static bool bgp_ha_main_listening_af(int family)
{
	struct bgp_listener *listener;
	struct listnode *node;

	if (!bm->listen_sockets)
		return false;
	for (ALL_LIST_ELEMENTS_RO(bm->listen_sockets, node, listener))
		if (!listener->bgp && (family == AF_UNSPEC || listener->su.sa.sa_family == family))
			return true;
	return false;
}

static bool bgp_ha_main_listening(void)
{
	return bgp_ha_main_listening_af(AF_UNSPEC);
}

/*
 * The listen socket moves with mastership: a standby card's bgpd does not
 * listen for BGP connections (its line port is blocked anyway; this way a
 * connection can never reach it), the active's does -- on the addresses
 * and port bgpd was started with, as bgpd opens them itself.
 */
static void bgp_ha_listen(bool on)
{
	struct bgp *bgp = bgp_get_default();
	struct listnode *node;
	char *address;
	int ret = 0;

	if (!on) {
		if (bgp_ha_main_listening()) {
			bgp_close();
			zlog_info("frr-ha: standby: not listening for BGP connections");
		}
		return;
	}
	if (!bgp || bgp_option_check(BGP_OPT_NO_LISTEN) || bgp_ha_main_listening())
		return;
	if (list_isempty(bm->addresses))
		ret = bgp_socket(bgp, bm->port, NULL);
	else
		for (ALL_LIST_ELEMENTS_RO(bm->addresses, node, address))
			if (bgp_socket(bgp, bm->port, address) < 0)
				ret = -1;
	if (ret < 0)
		zlog_err("frr-ha: active: cannot listen for BGP connections on port %u", bm->port);
	else
		zlog_info("frr-ha: active: listening for BGP connections on port %u", bm->port);
	/* bgp_socket succeeds when one address family could be bound */
	if (list_isempty(bm->addresses) &&
	    (!bgp_ha_main_listening_af(AF_INET) || !bgp_ha_main_listening_af(AF_INET6)))
		zlog_warn("frr-ha: active: listening on port %u over %s only (the %s bind failed, see above): peers connecting over %s are refused",
			  bm->port, bgp_ha_main_listening_af(AF_INET) ? "IPv4" : "IPv6",
			  bgp_ha_main_listening_af(AF_INET) ? "IPv6" : "IPv4",
			  bgp_ha_main_listening_af(AF_INET) ? "IPv6" : "IPv4");
}

static void bgp_ha_peers_hold(bool hold, bool start)
{
	struct listnode *node, *nnode, *pn, *pnn;
	struct bgp *bgp;
	struct peer *peer;

	bgp_ha_hold_peers = hold;
	bgp_ha_listen(!hold);
	for (ALL_LIST_ELEMENTS(bm->bgp, node, nnode, bgp)) {
		for (ALL_LIST_ELEMENTS(bgp->peer, pn, pnn, peer)) {
			peer->shut_during_cfg = hold;
			if (hold && peer->connection->status != Idle)
				BGP_EVENT_ADD(peer->connection, BGP_Stop);
			else if (!hold && start && peer_active(peer->connection) &&
				 peer->connection->status == Idle)
				BGP_EVENT_ADD(peer->connection, BGP_Start);
		}
	}
}

/* before bgpd's own bgp_config_end hook: held peers are not its to release */
static int bgp_ha_config_end_early(struct bgp *bgp)
{
	struct listnode *node;
	struct peer *peer;

	if (bgp_ha_hold_peers)
		for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer))
			peer->shut_during_cfg = false;
	return 0;
}

/* after it: hold them again (peers configured meanwhile included) */
static int bgp_ha_config_end_late(struct bgp *bgp)
{
	struct listnode *node;
	struct peer *peer;

	if (bgp_ha_hold_peers) {
		for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer))
			peer->shut_during_cfg = true;
		/* bgpd opened its listeners with its default instance */
		bgp_ha_listen(false);
	}
	return 0;
}

/* adoptions waiting for bgpd to finish clearing a peer: retried this often,
 * this many times (then tried anyway) */
#define BGP_HA_ADOPT_RETRY_MSEC 10
#define BGP_HA_ADOPT_TRIES	300
static struct event *t_adopt;
static unsigned int bgp_ha_adopt_tries;
static bool bgp_ha_adopt_all(void);
static void bgp_ha_rebuild_all(void);
static void bgp_ha_adopt_later(struct event *ev);

static struct event *t_stop_handed_over;

/*
 * The old active, its sessions handed over: bgpd lets go of them, through
 * the FSM (bgp_stop alone would leave the peer "Established" without a
 * socket).  Not in the role change itself: stopping a peer clears its
 * routes (~0.4 ms each), and hard lets the new active take over only once
 * this module reports standby -- 100 sessions held that back by 40 ms.
 * Their I/O is off, their sockets frozen and the card off the line
 * meanwhile; going active again (a rollback) runs it first.
 */
static void bgp_ha_stop_handed_over(struct event *ev)
{
	struct ha_repl *repl = ha_module_repl();
	struct bgp_ha_session *s;
	struct ha_msg_repl_status st;

	/* after the report (the engine still flushes the deltas made while
	 * active: it reports standby once they are committed) */
	ha_repl_status(repl, &st);
	if (ev && st.role == HA_ROLE_ACTIVE) {
		event_add_timer_msec(bm->master, bgp_ha_stop_handed_over, NULL, 1,
				     &t_stop_handed_over);
		return;
	}
	frr_each (bgp_ha_sessions, &sessions, s) {
		struct peer *peer;

		if (!s->stop_pending)
			continue;
		s->stop_pending = false;
		peer = bgp_ha_peer(s->peer);
		if (peer && peer_established(peer->connection))
			bgp_event_update(peer->connection, BGP_Stop);
	}
}

static unsigned int bgp_ha_sessions_handed_over_not_stopped(void)
{
	const struct bgp_ha_session *s;
	unsigned int n = 0;

	frr_each (bgp_ha_sessions_const, &sessions, s)
		n += s->stop_pending;
	return n;
}

static void bgp_ha_role_changed(struct ha_repl *repl, enum ha_role role, void *arg)
{
	struct bgp_ha_session *s;

	if (t_stop_handed_over) {
		/* (a switchover that rolled back before bgpd let go of the
		 * sessions handed over: first that, then the role) */
		zlog_info("frr-ha: the sessions handed over are stopped now, before this card goes %s",
			  ha_role_name(role));
		EVENT_OFF(t_stop_handed_over);
		bgp_ha_stop_handed_over(NULL);
	}

	EVENT_OFF(t_thaw);
	EVENT_OFF(t_adopt);
	EVENT_OFF(t_mirror_sync);
	EVENT_OFF(t_ack_timeout);
	if (role == HA_ROLE_STANDBY) {
		bgp_ha_gate_open();
		bgp_ha_gate_standby();
		/* hold every peer first: the sessions stopped below must not
		 * start again */
		bgp_ha_peers_hold(true, false);
		/* then bgpd carries the replicated sessions (once this card's
		 * own are stopped and cleared) */
		event_add_timer_msec(bm->master, bgp_ha_mirror_sync, NULL, BGP_HA_MIRROR_SYNC_MSEC,
				     &t_mirror_sync);
		/* the old active: its frozen connections now belong to the new
		 * active; bgpd lets go of them without a word (a socket in
		 * repair mode closes silently) */
		frr_each (bgp_ha_sessions, &sessions, s) {
			struct peer *peer = bgp_ha_peer(s->peer);

			if (!s->frozen || !peer)
				continue;
			s->frozen = false;
			zlog_info("frr-ha: session %s handed over to the new active card", s->peer);
			/* hard keeps its copy until this card is off the line */
			ha_client_session_handed_over(s->peer);
			/* and so does bgpd-ha, until the new active carries the
			 * connection on (its first delta of the session): if the
			 * switchover rolls back, this card carries it on */
			if (s->tcp_own) {
				s->tcp_fd = peer->connection->fd;
				peer->connection->fd = -1;
			}
			s->stop_pending = true;
		}
		if (bgp_ha_test_stop_delay_ms)
			/* (tests: see debug_redundancy_bgp_handover_stop_delay) */
			event_add_timer_msec(bm->master, bgp_ha_stop_handed_over, NULL,
					     bgp_ha_test_stop_delay_ms, &t_stop_handed_over);
		else
			event_add_event(bm->master, bgp_ha_stop_handed_over, NULL, 0,
					&t_stop_handed_over);
		return;
	}
	if (role != HA_ROLE_ACTIVE)
		return;
	bgp_ha_feed_paused = false;
	bgp_ha_backlog_limit_apply();
	event_add_timer_msec(bm->master, bgp_ha_ack_timeout_check, NULL,
			     BGP_HA_ACK_TIMEOUT_CHECK_MSEC, &t_ack_timeout);
	bgp_ha_gate_open();
	/* established sessions whose connection nothing handed over: the old
	 * card died with them */
	bgp_ha_rebuild_all();
	/* sessions carried by this bgpd as standby that are not taken over
	 * with a connection (or whose copy does not stand): stopped now,
	 * before the adoptions (which wait for bgpd's clearing of them) */
	frr_each (bgp_ha_sessions, &sessions, s) {
		struct peer *peer = bgp_ha_peer(s->peer);

		if (s->mirrored && (!s->tcp || s->mirror_epoch != s->epoch || !peer ||
				    !peer_established(peer->connection)))
			bgp_ha_mirror_stop(s, s->tcp ? "its copy here does not stand"
						     : "no connection to take it over with");
	}
	/* released (not started yet): the adoptions go through bgpd's FSM */
	bgp_ha_peers_hold(false, false);
	bgp_ha_adopt_tries = 0;
	if (bgp_ha_adopt_all())
		/* the others start from the configuration, as at boot */
		bgp_ha_peers_hold(false, true);
	else
		event_add_timer_msec(bm->master, bgp_ha_adopt_later, NULL, BGP_HA_ADOPT_RETRY_MSEC,
				     &t_adopt);
}

/*
 * New active, after the death of the old active card (nothing handed a
 * session's connection over): each established session's connection
 * rebuilt from what the old card's gate replicated (its shadow, the
 * peer's bytes beyond the record), for bgp_ha_adopt like a frozen one.  A
 * session whose connection cannot be rebuilt is not taken over: bgpd
 * establishes it again (the peer sees it reset).
 */
static void bgp_ha_rebuild_all(void)
{
	struct bgp_ha_session *s;

	frr_each (bgp_ha_sessions, &sessions, s) {
		struct ha_tcp_state st;
		char err[256] = "";
		ssize_t slen;
		bool cut;

		if (s->tcp || strcmp(s->state, "Established") != 0)
			continue;
		if (ha_tcp_shadow_build_cut(&s->shadow, &s->pieces, bgp_ha_stream_bytes(s),
					    ha_clock_ms(), &st, &cut, err, sizeof(err)) < 0) {
			bgp_ha_takeovers.failed++;
			snprintf(s->takeover, sizeof(s->takeover),
				 "not taken over after the death of the old active card: %s", err);
			zlog_err("frr-ha: session %s: its connection cannot be rebuilt after the death of the old active card (%s): it will be re-established",
				 s->peer, err);
			continue;
		}
		/* a message of ours cut: the connection is rebuilt only to be
		 * closed in order (bgp_ha_adopt resets the session) -- the peer
		 * learns it now, not from its hold timer */
		s->tcp_cut = cut;
		/* the session's log had not all come: the connection is
		 * rebuilt only to reset the session where the peer is (its
		 * first segment says; bgp_ha_conn_stream_check) -- carried
		 * on, it would lack routes the peer sent */
		s->tcp_log_missing = s->log_follows;
		/* (tests: an estimate of the clock that lags) */
		if (st.tstamp && bgp_ha_test_clock_behind_ms)
			st.timestamp =
				ha_tcp_timestamp_ms(st.timestamp - bgp_ha_test_clock_behind_ms);
		/* what bgpd read ends where the record ends */
		st.bytes_received = bgp_ha_stream_bytes(s) - s->rx_base + st.rcvq_len;
		slen = ha_tcp_state_encode(&st, NULL, 0);
		s->tcp = XMALLOC(MTYPE_BGP_HA_MSG, slen);
		ha_tcp_state_encode(&st, s->tcp, slen);
		s->tcp_len = slen;
		s->tcp_built = true;
		zlog_info("frr-ha: session %s: connection rebuilt from the gate's record (%u bytes of ours to send again, %u of the peer's unread%s%s): snd %u rcv %u tsval %u windows snd %u rcv %u",
			  s->peer, st.sndq_len, st.rcvq_len,
			  cut ? "; a message of ours cut: to be closed" : "",
			  s->tcp_log_missing ? "; its log had not all come: to be reset" : "",
			  st.snd_seq, st.rcv_seq, st.timestamp, st.snd_wnd, st.rcv_wnd);
		ha_tcp_state_clear(&st);
	}
}

/*
 * New active: each session with a frozen connection becomes bgpd's
 * established session again.  A peer bgpd is still clearing (this card
 * stopped the session moments ago: a switchover that rolled back) is
 * adopted once its routes are cleared -- adopted before, the end of the
 * clearing would stop it again.  False while some wait for that.
 */
static bool bgp_ha_adopt_all(void)
{
	struct bgp_ha_session *s;
	struct peer_connection **conns;
	size_t n = 0;
	bool done = true;

	/* bgpd's writes to the socket pairs of the sessions it carries as
	 * standby stop, all in one round trip to its I/O thread */
	conns = XCALLOC(MTYPE_TMP, (bgp_ha_sessions_count(&sessions) + 1) * sizeof(*conns));
	frr_each (bgp_ha_sessions, &sessions, s) {
		struct peer *peer = bgp_ha_peer(s->peer);

		if (s->tcp && bgp_ha_carried(s) && peer && peer_established(peer->connection) &&
		    CHECK_FLAG(peer->connection->thread_flags, PEER_THREAD_WRITES_ON))
			conns[n++] = peer->connection;
	}
	bgp_ha_io_stop(conns, n, true);
	XFREE(MTYPE_TMP, conns);

	frr_each (bgp_ha_sessions, &sessions, s) {
		const char *how = s->tcp_from_hard ? "after bgpd died on the old active"
				  : s->tcp_own	   ? "after a switchover that did not complete"
				  : s->tcp_built   ? "after the death of the old active card"
						   : "at a graceful switchover";
		struct peer *peer = bgp_ha_peer(s->peer);
		char err[256] = "";
		bool reset;

		if (!s->tcp)
			continue;
		s->awaiting_adoption = peer && peer->connection->status == Clearing &&
				       bgp_ha_adopt_tries < BGP_HA_ADOPT_TRIES;
		if (s->awaiting_adoption) {
			done = false;
			continue;
		}
		if (bgp_ha_adopt(s, &reset, err, sizeof(err))) {
			bgp_ha_takeovers.adopted++;
			const char *from = s->took_over_carried
						   ? "bgpd carried it as standby"
						   : "its replicated messages replayed through bgpd";

			snprintf(s->takeover, sizeof(s->takeover), "taken over %s (%s)", how, from);
			zlog_notice("frr-ha: session %s taken over with its TCP connection %s (%s)",
				    s->peer, how, from);
		} else if (reset) {
			bgp_ha_takeovers.reset++;
			snprintf(s->takeover, sizeof(s->takeover), "reset %s", how);
			zlog_err("frr-ha: session %s reset cleanly instead of taken over %s: %s",
				 s->peer, how, err);
		} else {
			bgp_ha_takeovers.failed++;
			snprintf(s->takeover, sizeof(s->takeover), "not taken over %s", how);
			zlog_err("frr-ha: session %s not taken over %s (%s): it will be re-established",
				 s->peer, how, err);
		}
		bgp_ha_connection_clear(s);
	}
	/* the keepalives bgpd's I/O thread wrote meanwhile wait in the gate:
	 * their verdicts now, before the rest of the adoptions (the peers
	 * hear from this card first, then get what they lack) */
	ha_gate_poll(&gate.q);
	frr_each (bgp_ha_sessions, &sessions, s)
		if (s->adopt_rest)
			bgp_ha_adopt_mirrored_rest(s);
	return done;
}

static void bgp_ha_adopt_later(struct event *ev)
{
	if (!bgp_ha_active())
		return;
	bgp_ha_adopt_tries++;
	if (!bgp_ha_adopt_all()) {
		event_add_timer_msec(bm->master, bgp_ha_adopt_later, NULL, BGP_HA_ADOPT_RETRY_MSEC,
				     &t_adopt);
		return;
	}
	bgp_ha_peers_hold(false, true);
}

/* Standby: the old active's bgpd died; its hard froze the connection of
 * session name and sends its exact state, for this bgpd to carry on with
 * when this card becomes active (right after). */
static void bgp_ha_session_state(const char *name, const uint8_t *state, size_t len)
{
	struct bgp_ha_session *s = bgp_ha_session_find(name, false);
	struct ha_tcp_state st;

	if (bgp_ha_active()) {
		zlog_warn("frr-ha: connection of session %s from the peer card ignored: this card is already active",
			  name);
		return;
	}
	if (!s) {
		zlog_err("frr-ha: connection of unknown session %s from the peer card: not taken over",
			 name);
		return;
	}
	if (ha_tcp_state_decode(state, len, &st) != 0) {
		zlog_err("frr-ha: invalid connection state of session %s from the peer card: not taken over",
			 name);
		return;
	}
	zlog_info("frr-ha: session %s: connection state from the peer card (%u bytes queued to send, %u received unread)",
		  name, st.sndq_len, st.rcvq_len);
	ha_tcp_state_clear(&st);
	bgp_ha_connection_set(s, state, len, true);
}

static void bgp_ha_digest(struct ha_repl *repl, struct ha_hash *h, uint64_t *items, void *arg)
{
	struct bgp_ha_session *s;

	/* sessions in the order they were first seen: the same on both cards
	 * after a bulk; compare by name order to be independent of it */
	for (struct bgp_ha_session *next = NULL, *prev = NULL;; prev = next, next = NULL) {
		uint8_t log_digest[32];
		uint64_t kept;

		frr_each (bgp_ha_sessions, &sessions, s)
			if ((!prev || strcmp(s->peer, prev->peer) > 0) &&
			    (!next || strcmp(s->peer, next->peer) < 0))
				next = s;
		if (!next)
			break;
		ha_hash_update(h, next->peer, strlen(next->peer) + 1);
		ha_hash_update(h, next->state, strlen(next->state) + 1);
		ha_hash_update(h, &next->local_as, sizeof(next->local_as));
		ha_hash_update(h, &next->remote_as, sizeof(next->remote_as));
		ha_hash_update(h, next->open_sent, next->open_sent_len);
		ha_hash_update(h, next->open_rcvd, next->open_rcvd_len);
		ha_hash_update(h, &next->keepalives, sizeof(next->keepalives));
		ha_hash_update(h, &next->rx_base, sizeof(next->rx_base));
		/* the log: each message's number and bytes, as kept (not
		 * hashed again here: at a switchover with a full table that took
		 * ~0.3 s on the two cards) */
		kept = bgp_ha_msgs_count(&next->log);
		ha_hash_update(h, &kept, sizeof(kept));
		ha_set_digest_bytes(&next->log_digest, log_digest);
		ha_hash_update(h, log_digest, sizeof(log_digest));
		(*items)++;
	}
}

/*
 * Poll points between the items of bgpd's long tasks -- each message it
 * parses, each prefix of an UPDATE, each best path it selects, each route
 * it sends to zebra (patches/frr/0006): the inbound gate's queue (active)
 * and the data channel (both cards) are read there, at most every
 * BGP_HA_POLL_USEC, instead of once bgpd's event loop comes round.  A
 * gated segment then waits for the standby's commit, not for both bgpds'
 * tasks in between (8-19 ms on average while learning a table,
 * doc/bgp-nsr.md).  Only in the steady state (replication synced); what
 * the data channel brings that could change the state of the channel or
 * the roles waits for the event loop (ha_repl_poll).
 */
#define BGP_HA_POLL_USEC 250

/* polls made, of the gate's queue and of the data channel; and each poll
 * point reached (whether it polled or not) */
static struct {
	uint64_t gate, channel;
	uint64_t at_message, at_prefix, at_best_path, at_route_to_zebra;
} poll_stats;

static void bgp_ha_poll_point(bool every_call)
{
	static unsigned int calls;
	static int64_t last_usec;
	struct ha_repl *repl;
	int64_t now;

	/* (per prefix: the clock read once in 16 calls) */
	if (!every_call && ++calls % 16)
		return;
	repl = ha_module_repl();
	/* (not during a takeover: the adoptions decide when the gate's
	 * queue is read; a standby taking a bulk copy in reads the channel
	 * too, so that the active has it sooner -- its gates hold again
	 * from then on) */
	if (!repl || !ha_repl_pollable(repl))
		return;
	now = (int64_t)(ha_clock_ns() / 1000);
	if (now - last_usec < BGP_HA_POLL_USEC)
		return;
	last_usec = now;
	if (ha_repl_role(repl) == HA_ROLE_ACTIVE && ha_repl_steady(repl)) {
		poll_stats.gate++;
		ha_gate_poll(&gate.q);
	}
	poll_stats.channel++;
	ha_repl_poll(repl);
}

static int bgp_ha_poll_on_packet(struct peer *peer, uint8_t type, bgp_size_t size, struct stream *st)
{
	poll_stats.at_message++;
	bgp_ha_poll_point(true);
	return 0;
}

static int bgp_ha_poll_on_prefix(struct bgp *bgp, afi_t afi, safi_t safi, struct bgp_dest *dest,
				 struct peer *peer, bool withdraw)
{
	poll_stats.at_prefix++;
	bgp_ha_poll_point(false);
	return 0;
}

static int bgp_ha_poll_on_route_to_zebra(struct bgp *bgp, const struct prefix *p, bool install)
{
	poll_stats.at_route_to_zebra++;
	bgp_ha_poll_point(false);
	return 0;
}

static int bgp_ha_poll_on_best_path(struct bgp *bgp, afi_t afi, safi_t safi, struct bgp_dest *dest,
				    struct bgp_path_info *old_select,
				    struct bgp_path_info *new_select)
{
	poll_stats.at_best_path++;
	bgp_ha_poll_point(false);
	return 0;
}

/* ---- show redundancy bgp ---- */

#include "bgpd-ha/bgp_ha_clippy.c"

/* A session's replication as the operator sees it: on the active, the
 * channel's state (its deltas go with everything else); on the standby,
 * whether it could be taken over now. */
static const char *bgp_ha_session_sync(const struct bgp_ha_session *s, enum ha_role role,
				       struct ha_repl *repl)
{
	if (role == HA_ROLE_ACTIVE) {
		if (strcmp(s->state, "Established") != 0)
			return "not established";
		if (!repl || !ha_repl_attached(repl))
			return "no standby";
		return ha_repl_state(repl) == HA_REPL_SYNCED
			       ? "synced"
			       : ha_repl_state_name(ha_repl_state(repl));
	}
	if (strcmp(s->state, "Established") != 0)
		return "not established";
	return s->open_rcvd_len && s->open_sent_len ? "ready" : "incomplete";
}

/* What this card holds of the session's connection for a takeover. */
static const char *bgp_ha_frozen_connection(const struct bgp_ha_session *s)
{
	if (!s->tcp)
		return "none";
	if (s->tcp_from_hard)
		return "from the old active's hard (its bgpd died)";
	if (s->tcp_own)
		return "this card's own, kept until the new active carries it on";
	if (s->tcp_built)
		return "rebuilt from the gate's record (the old active card died)";
	return "from the active's graceful handover";
}

/* For tests of a standby bgpd that is behind the active: what it takes
 * over then. */
DEFPY_HIDDEN(
	debug_redundancy_bgp_standby_feed, debug_redundancy_bgp_standby_feed_cmd,
	"[no$no] debug redundancy bgp standby-feed-paused",
	NO_STR DEBUG_STR
	"Router redundancy (frr-ha)\n" BGP_STR
	"The standby's bgpd is not fed the replicated messages (they are kept; a takeover feeds them)\n")
{
	if (!no && bgp_ha_active()) {
		vty_out(vty, "%% this card is active: only a standby's bgpd is fed\n");
		return CMD_WARNING;
	}
	bgp_ha_feed_paused = !no;
	zlog_notice("frr-ha: the standby's bgpd %s fed the replicated messages",
		    no ? "is" : "is no longer");
	return CMD_SUCCESS;
}

/* For tests of a rebuilt connection whose clock lags what the peer took
 * (bgp_ha_conn_clock_fix): what a takeover after the death of the active
 * card rebuilds is set back by msec (0: not). */
DEFPY_HIDDEN(
	debug_redundancy_bgp_rebuilt_clock_behind, debug_redundancy_bgp_rebuilt_clock_behind_cmd,
	"debug redundancy bgp rebuilt-clock-behind (0-7200000)$msec",
	DEBUG_STR
	"Router redundancy (frr-ha)\n" BGP_STR
	"Connections rebuilt after the death of the active card start their TCP timestamp clock behind the record's\n"
	"Milliseconds behind (0: not)\n")
{
	bgp_ha_test_clock_behind_ms = msec;
	zlog_notice("frr-ha: connections rebuilt after the death of the active card start their TCP clock %ld ms behind the record's (a test)",
		    msec);
	return CMD_SUCCESS;
}

/* For tests of a session reset after a takeover (bgp_ha_conn_stream_reset):
 * the connection re-created msec after the old socket is closed, as when
 * hard lets go of its copy of the old socket late -- the peer's segments
 * meanwhile would meet no socket (and get a RST) but for the gate. */
DEFPY_HIDDEN(debug_redundancy_bgp_reset_delay, debug_redundancy_bgp_reset_delay_cmd,
	     "debug redundancy bgp reset-delay (0-60000)$msec",
	     DEBUG_STR "Router redundancy (frr-ha)\n" BGP_STR
		       "A session reset after a takeover re-creates its connection later\n"
		       "Milliseconds later (0: at once)\n")
{
	bgp_ha_test_reset_delay_ms = msec;
	zlog_notice("frr-ha: a session reset after a takeover re-creates its connection %ld ms after closing the old socket (a test)",
		    msec);
	return CMD_SUCCESS;
}

/* For tests of a card death while the standby takes a bulk copy in: the
 * copy's end, and what happened since, held back by msec. */
DEFPY_HIDDEN(debug_redundancy_bgp_bulk_end_delay, debug_redundancy_bgp_bulk_end_delay_cmd,
	     "debug redundancy bgp bulk-end-delay (0-600000)$msec",
	     DEBUG_STR
	     "Router redundancy (frr-ha)\n" BGP_STR
	     "Each bulk copy to the standby ends (and the deltas made during it follow) this much later\n"
	     "Milliseconds (0: at once)\n")
{
	struct ha_repl *repl = ha_module_repl();

	if (!repl) {
		vty_out(vty, "%% the redundancy module is not running\n");
		return CMD_WARNING;
	}
	ha_repl_set_test_bulk_end_delay(repl, msec);
	zlog_notice("frr-ha: each bulk copy to the standby ends %ld ms late (a test)", msec);
	return CMD_SUCCESS;
}

/* For tests of a card death while the standby takes a bulk copy in, before
 * a session's log has come: the copy pauses msec after the sessions'
 * connections, before their logs (bgp_ha_bulk). */
DEFPY_HIDDEN(debug_redundancy_bgp_bulk_log_delay, debug_redundancy_bgp_bulk_log_delay_cmd,
	     "debug redundancy bgp bulk-log-delay (0-600000)$msec",
	     DEBUG_STR
	     "Router redundancy (frr-ha)\n" BGP_STR
	     "Each bulk copy to the standby sends the sessions' logs this much after their connections\n"
	     "Milliseconds (0: at once)\n")
{
	bgp_ha_test_bulk_log_delay_ms = msec;
	zlog_notice("frr-ha: each bulk copy to the standby sends the sessions' logs %ld ms after their connections (a test)",
		    msec);
	return CMD_SUCCESS;
}

/* For tests of a switchover that rolls back before this bgpd let go of
 * the sessions it handed over (bgp_ha_role_changed runs the stop first). */
DEFPY_HIDDEN(debug_redundancy_bgp_handover_stop_delay, debug_redundancy_bgp_handover_stop_delay_cmd,
	     "debug redundancy bgp handover-stop-delay (0-60000)$msec",
	     DEBUG_STR
	     "Router redundancy (frr-ha)\n" BGP_STR
	     "After a graceful handover, bgpd lets go of the sessions handed over this much later\n"
	     "Milliseconds (0: at once)\n")
{
	bgp_ha_test_stop_delay_ms = msec;
	zlog_notice("frr-ha: after a handover, bgpd lets go of the sessions %ld ms later (a test)",
		    msec);
	return CMD_SUCCESS;
}

DEFPY(bgp_ha_max_standby_backlog, bgp_ha_max_standby_backlog_cmd,
      "redundancy switchover-max-standby-backlog (0-4294967295)$limit",
      "Router redundancy (frr-ha)\n"
      "Refuse a graceful switchover while the standby's bgpd has more replicated messages and prefixes than this not processed\n"
      "Messages (0: no limit)\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);

	if (bgp->inst_type != BGP_INSTANCE_TYPE_DEFAULT) {
		vty_out(vty, "%% Only in the default BGP instance (one limit for bgpd)\n");
		return CMD_WARNING_CONFIG_FAILED;
	}
	bgp_ha_backlog_limit = limit;
	bgp_ha_backlog_limit_apply();
	return CMD_SUCCESS;
}

DEFPY(no_bgp_ha_max_standby_backlog, no_bgp_ha_max_standby_backlog_cmd,
      "no redundancy switchover-max-standby-backlog [(0-4294967295)]",
      NO_STR
      "Router redundancy (frr-ha)\n"
      "Refuse a graceful switchover while the standby's bgpd has more replicated messages and prefixes than this not processed\n"
      "Messages (0: no limit)\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);

	if (bgp->inst_type != BGP_INSTANCE_TYPE_DEFAULT)
		return CMD_SUCCESS;
	bgp_ha_backlog_limit = BGP_HA_BACKLOG_LIMIT_DEFAULT;
	bgp_ha_backlog_limit_apply();
	return CMD_SUCCESS;
}

static int bgp_ha_config_write(struct bgp *bgp, struct vty *vty)
{
	if (bgp->inst_type == BGP_INSTANCE_TYPE_DEFAULT &&
	    bgp_ha_backlog_limit != BGP_HA_BACKLOG_LIMIT_DEFAULT)
		vty_out(vty, " redundancy switchover-max-standby-backlog %u\n",
			bgp_ha_backlog_limit);
	return 0;
}

DEFPY(show_redundancy_bgp, show_redundancy_bgp_cmd, "show redundancy bgp [json]$uj",
      SHOW_STR "Router redundancy (frr-ha)\n" BGP_STR JSON_STR)
{
	struct ha_repl *repl = ha_module_repl();
	enum ha_role role = repl ? ha_repl_role(repl) : HA_ROLE_INIT;
	struct bgp_ha_session *s;
	json_object *json = NULL, *jsessions = NULL, *jgate, *jpoll, *jreached, *jdigest;

	if (uj) {
		json = json_object_new_object();
		jsessions = json_object_new_object();
		json_object_string_add(json, "role", ha_role_name(role));
		json_object_boolean_add(json, "peersHeld", bgp_ha_hold_peers);
		json_object_int_add(json, "sessionsTakenOver", bgp_ha_takeovers.adopted);
		json_object_int_add(json, "sessionsResetAtTakeover", bgp_ha_takeovers.reset);
		json_object_int_add(json, "sessionsNotTakenOver", bgp_ha_takeovers.failed);
		json_object_int_add(json, "sessionsResetAfterTakeover",
				    bgp_ha_takeovers.reset_after);
		json_object_int_add(json, "sessionsSentEverythingAgain",
				    bgp_ha_takeovers.full_readvertisements);
		jdigest = json_object_new_object();
		json_object_int_add(jdigest, "messagesHashed", bgp_ha_digest_cost.messages);
		json_object_int_add(jdigest, "bytesHashed", bgp_ha_digest_cost.bytes);
		json_object_int_add(jdigest, "usecHashing", bgp_ha_digest_cost.nsec / 1000);
		json_object_object_add(json, "logDigest", jdigest);
		/* handed over at a graceful switchover, and not let go of by
		 * bgpd yet (bgp_ha_stop_handed_over) */
		json_object_int_add(json, "sessionsHandedOverNotStopped",
				    bgp_ha_sessions_handed_over_not_stopped());
		json_object_int_add(json, "ackTimeoutMsec", bgp_ha_ack_timeout_msec);
		if (bgp_ha_ack_timeout_peer[0])
			json_object_string_add(json, "ackTimeoutPeer", bgp_ha_ack_timeout_peer);
		if (role == HA_ROLE_ACTIVE) {
			json_object *jb = json_object_new_object();

			/* (messages and prefixes: bgp_ha_standby_backlog) */
			json_object_int_add(jb, "total", repl ? ha_repl_peer_backlog(repl) : 0);
			json_object_int_add(jb, "limit", bgp_ha_backlog_limit);
			json_object_object_add(json, "standbyBacklog", jb);
		} else if (role == HA_ROLE_STANDBY) {
			json_object *jb = json_object_new_object();

			json_object_int_add(jb, "messages", bgp_ha_standby_messages_behind());
			json_object_int_add(jb, "prefixesPending", bgp_ha_prefixes_pending());
			json_object_object_add(json, "backlog", jb);
		}
		json_object_boolean_add(json, "listening", bgp_ha_main_listening());
		json_object_boolean_add(json, "listeningIpv4", bgp_ha_main_listening_af(AF_INET));
		json_object_boolean_add(json, "listeningIpv6", bgp_ha_main_listening_af(AF_INET6));
		jgate = json_object_new_object();
		json_object_int_add(jgate, "queue", BGP_HA_NFQUEUE);
		json_object_boolean_add(jgate, "bound", ha_gate_bound(&gate.q));
		json_object_int_add(jgate, "segmentsGated", gate.gated);
		json_object_int_add(jgate, "segmentsGatedOutbound", gate.gated_out);
		json_object_int_add(jgate, "segmentsUngated", gate.ungated);
		json_object_int_add(jgate, "segmentsDroppedWhileStandby", gate.dropped);
		json_object_int_add(jgate, "segmentsDroppedWhileResetting", gate.dropped_resetting);
		json_object_int_add(jgate, "verdictErrors", gate.q.verdict_errors);
		json_object_int_add(jgate, "verdicts", gate.q.verdicts);
		json_object_int_add(jgate, "verdictSends", gate.q.verdict_sends);
		if (gate.q.error[0])
			json_object_string_add(jgate, "error", gate.q.error);
		if (repl) {
			struct ha_repl_gate_stats gs;
			json_object *jw = json_object_new_object();

			ha_repl_gate_stats(repl, &gs);
			json_object_int_add(jw, "releasedByCommit", gs.released);
			json_object_int_add(jw, "meanUsec",
					    gs.released ? gs.held_usec_sum / gs.released : 0);
			json_object_int_add(jw, "maxUsec", gs.held_usec_max);
			json_object_int_add(jw, "releasedWithoutCommit", gs.released_uncommitted);
			json_object_int_add(jw, "ranAtOnce", gs.ran_at_once);
			json_object_object_add(jgate, "waits", jw);
		}
		json_object_object_add(json, "inboundGate", jgate);
		jpoll = json_object_new_object();
		json_object_int_add(jpoll, "gateQueue", poll_stats.gate);
		json_object_int_add(jpoll, "dataChannel", poll_stats.channel);
		jreached = json_object_new_object();
		json_object_int_add(jreached, "messages", poll_stats.at_message);
		json_object_int_add(jreached, "prefixes", poll_stats.at_prefix);
		json_object_int_add(jreached, "bestPaths", poll_stats.at_best_path);
		json_object_int_add(jreached, "routesToZebra", poll_stats.at_route_to_zebra);
		json_object_object_add(jpoll, "pointsReached", jreached);
		json_object_object_add(json, "pollsBetweenTasks", jpoll);
	} else {
		vty_out(vty, "BGP sessions replicated by bgpd-ha (this card: %s)\n",
			ha_role_name(role));
		vty_out(vty, "Listening for BGP connections: %s%s%s\n",
			bgp_ha_main_listening()	  ? "yes"
			: role == HA_ROLE_STANDBY ? "no (standby)"
			: bgp_ha_hold_peers	  ? "no (peers held until this card has its role)"
						  : "no",
			bgp_ha_main_listening_af(AF_INET) ? ", IPv4" : "",
			bgp_ha_main_listening_af(AF_INET6) ? ", IPv6" : "");
		if (role == HA_ROLE_ACTIVE && bgp_ha_backlog_limit)
			vty_out(vty,
				"The standby's bgpd has %u replicated messages and prefixes not processed (a graceful switchover is refused over %u)\n",
				repl ? ha_repl_peer_backlog(repl) : 0, bgp_ha_backlog_limit);
		else if (role == HA_ROLE_ACTIVE)
			vty_out(vty,
				"The standby's bgpd has %u replicated messages and prefixes not processed (no limit for a graceful switchover)\n",
				repl ? ha_repl_peer_backlog(repl) : 0);
		else if (role == HA_ROLE_STANDBY)
			vty_out(vty,
				"This standby's bgpd has %" PRIu64
				" replicated messages not processed and %" PRIu64
				" prefixes waiting for their best path (their sum reported to the active)\n",
				bgp_ha_standby_messages_behind(), bgp_ha_prefixes_pending());
		vty_out(vty, "A standby that acknowledges nothing for %u ms is given up%s%s%s\n",
			bgp_ha_ack_timeout_msec,
			bgp_ha_ack_timeout_peer[0] ? " (a third of the hold time of " : "",
			bgp_ha_ack_timeout_peer, bgp_ha_ack_timeout_peer[0] ? ")" : "");
		vty_out(vty,
			"Log digests: %" PRIu64 " messages (%" PRIu64
			" bytes) hashed as they were logged, in %" PRIu64 " ms\n",
			bgp_ha_digest_cost.messages, bgp_ha_digest_cost.bytes,
			bgp_ha_digest_cost.nsec / 1000000);
		if (ha_gate_bound(&gate.q))
			vty_out(vty,
				"Gate: netfilter queue %u, segments held until the standby had them: %" PRIu64
				" of the peers', %" PRIu64 " of ours; %" PRIu64
				" passed ungated, %" PRIu64 " dropped while standby, %" PRIu64
				" while a connection was re-created to reset its session; %" PRIu64
				" verdicts in %" PRIu64 " system calls\n",
				BGP_HA_NFQUEUE, gate.gated, gate.gated_out, gate.ungated,
				gate.dropped, gate.dropped_resetting, gate.q.verdicts,
				gate.q.verdict_sends);
		else
			vty_out(vty, "Gate: off (%s)\n",
				gate.q.error[0] ? gate.q.error : "bgpd-ha has no role yet");
		if (repl) {
			struct ha_repl_gate_stats gs;

			ha_repl_gate_stats(repl, &gs);
			vty_out(vty,
				"Gate waits: %" PRIu64
				" released by the standby's commit after %" PRIu64
				" us on average (longest %" PRIu64 " us), %" PRIu64
				" let go without it, %" PRIu64 " had nothing to wait for\n",
				gs.released, gs.released ? gs.held_usec_sum / gs.released : 0,
				gs.held_usec_max, gs.released_uncommitted, gs.ran_at_once);
		}
		vty_out(vty,
			"Read between bgpd's tasks: the gate's queue %" PRIu64
			" times, the data channel %" PRIu64 " times\n",
			poll_stats.gate, poll_stats.channel);
		vty_out(vty,
			"Takeovers on this card: %" PRIu64 " sessions taken over, %" PRIu64
			" reset instead, %" PRIu64 " not taken over, %" PRIu64
			" reset after (their rebuilt connection did not go on)\n",
			bgp_ha_takeovers.adopted, bgp_ha_takeovers.reset, bgp_ha_takeovers.failed,
			bgp_ha_takeovers.reset_after);
		vty_out(vty, "  %-20s %-12s %-16s %8s %6s %6s %9s %10s %10s\n", "Peer", "State",
			"Sync", "RemoteAS", "OpenTx", "OpenRx", "Messages", "Keepalives", "Bytes");
	}
	frr_each (bgp_ha_sessions, &sessions, s) {
		const char *sync = bgp_ha_session_sync(s, role, repl);

		if (uj) {
			json_object *j = json_object_new_object();

			json_object_string_add(j, "state", s->state);
			json_object_string_add(j, "syncState", sync);
			json_object_int_add(j, "localAs", s->local_as);
			json_object_int_add(j, "remoteAs", s->remote_as);
			json_object_int_add(j, "openSentBytes", s->open_sent_len);
			json_object_int_add(j, "openReceivedBytes", s->open_rcvd_len);
			json_object_int_add(j, "messagesLogged", s->log_index);
			json_object_int_add(j, "bytesLogged", s->log_bytes);
			/* what the compaction left of the log */
			json_object_int_add(j, "messagesKept", bgp_ha_msgs_count(&s->log));
			json_object_int_add(j, "bytesKept", s->log_kept_bytes);
			json_object_boolean_add(j, "logCompacted", bgp_ha_log_compacted(s));
			json_object_int_add(j, "keepalivesReceived", s->keepalives);
			json_object_int_add(j, "streamBytes", bgp_ha_stream_bytes(s));
			json_object_int_add(j, "gatedBytesAhead", s->pieces.bytes);
			json_object_string_add(j, "frozenConnection", bgp_ha_frozen_connection(s));
			if (role == HA_ROLE_STANDBY && strcmp(s->state, "Established") == 0) {
				char why[256] = "";
				bool ready = bgp_ha_shadow_ready(s, why, sizeof(why));

				/* whether the death of the active card would find
				 * the connection rebuildable here now */
				json_object_boolean_add(j, "rebuildable", ready);
				if (!ready)
					json_object_string_add(j, "notRebuildable", why);
				json_object_int_add(j, "ourBytesUnacknowledged",
						    s->shadow.snd_boundary > s->shadow.snd_acked
							    ? s->shadow.snd_boundary -
								      s->shadow.snd_acked
							    : 0);
			}
			if (strcmp(s->state, "Established") == 0) {
				json_object *ja = json_object_new_object();
				bool complete = s->adj_out_complete && !s->adj_out.broken;

				/* what the peer has from us */
				json_object_int_add(ja, "routes", ha_adj_out_count(&s->adj_out));
				json_object_boolean_add(ja, "complete", complete);
				if (!complete)
					json_object_string_add(ja, "incomplete",
							       s->adj_out.broken ? s->adj_out.why
										 : s->adj_out_why);
				json_object_object_add(j, "adjRibOutAsSent", ja);
				/* this card's filter of bgpd's re-advertisement
				 * after its last takeover */
				ja = json_object_new_object();
				json_object_boolean_add(ja, "filtering", s->adj_out_filtering);
				json_object_int_add(ja, "routesNotSentAgain",
						    s->adj_out.routes_suppressed);
				json_object_int_add(ja, "withdrawalsLeftOut",
						    s->adj_out.withdrawals_suppressed);
				json_object_int_add(ja, "staleRoutesWithdrawn",
						    s->adj_out.stale_withdrawn);
				/* the replicated messages bgpd had not processed
				 * as standby when it took the session over */
				/* a rebuilt connection's clock, as the peer took
				 * it (bgp_ha_conn_clock_fix) */
				/* ... and where its record ended, as the peer's
				 * segments confirmed it (bgp_ha_conn_stream_check) */
				if (s->stream_checked) {
					json_object *jc = json_object_new_object();

					json_object_boolean_add(jc, "confirmedByPeer",
								s->stream_confirmed);
					json_object_object_add(ja, "rebuiltTcpStream", jc);
				}
				if (s->clock_checked) {
					json_object *jc = json_object_new_object();

					json_object_boolean_add(jc, "confirmedByPeer",
								s->clock_confirmed);
					json_object_int_add(jc, "behindPeerMsec",
							    s->clock_behind_ms);
					json_object_boolean_add(jc, "echoNotBelieved",
								s->clock_refused);
					json_object_object_add(ja, "rebuiltTcpClock", jc);
				}
				json_object_int_add(ja, "backlogAtTakeover", s->backlog_at_takeover);
				json_object_int_add(ja, "backlogLeft", s->backlog);
				if (s->backlog_at_takeover && !s->backlog)
					json_object_int_add(ja, "backlogProcessedMsec",
							    s->backlog_took_ms);
				json_object_object_add(j, "afterTakeover", ja);
			}
			if (role == HA_ROLE_STANDBY && strcmp(s->state, "Established") == 0) {
				json_object *jm = json_object_new_object();

				/* this card's bgpd carries the session */
				json_object_boolean_add(jm, "carried", s->mirrored);
				if (s->mirrored) {
					json_object_int_add(jm, "messagesFed", s->mirror_fed);
					json_object_int_add(jm, "messagesBehind",
							    bgp_ha_mirror_behind(s));
					json_object_int_add(jm, "bytesDropped", s->mirror_dropped);
				} else if (s->mirror_why[0])
					json_object_string_add(jm, "notCarried", s->mirror_why);
				json_object_object_add(j, "standbyBgpd", jm);
			}
			if (s->takeover[0])
				json_object_string_add(j, "lastTakeover", s->takeover);
			json_object_object_add(jsessions, s->peer, j);
		} else {
			vty_out(vty,
				"  %-20s %-12s %-16s %8u %6zu %6zu %9" PRIu64 " %10" PRIu64
				" %10" PRIu64 "\n",
				s->peer, s->state, sync, s->remote_as, s->open_sent_len,
				s->open_rcvd_len, s->log_index, s->keepalives, s->log_bytes);
			vty_out(vty,
				"    log: %zu of its %" PRIu64 " messages kept (%" PRIu64
				" bytes)%s\n",
				bgp_ha_msgs_count(&s->log), s->log_index, s->log_kept_bytes,
				!bgp_ha_log_compacted(s) ? ", not compacted" : "");
			if (strcmp(s->state, "Established") == 0)
				vty_out(vty, "    the peer has %zu routes from us (record %s%s)\n",
					ha_adj_out_count(&s->adj_out),
					s->adj_out_complete && !s->adj_out.broken ? "complete"
										  : "incomplete: ",
					s->adj_out_complete && !s->adj_out.broken ? ""
					: s->adj_out.broken			  ? s->adj_out.why
										  : s->adj_out_why);
			if (role == HA_ROLE_STANDBY && strcmp(s->state, "Established") == 0) {
				if (s->mirrored)
					vty_out(vty,
						"    carried by this standby's bgpd (%" PRIu64
						" replicated messages fed, %" PRIu64
						" not processed yet)\n",
						s->mirror_fed, bgp_ha_mirror_behind(s));
				else
					vty_out(vty, "    not carried by this standby's bgpd%s%s\n",
						s->mirror_why[0] ? ": " : "", s->mirror_why);
			}
			if (s->takeover[0])
				vty_out(vty, "    last takeover: %s\n", s->takeover);
			if (s->backlog_at_takeover && s->backlog)
				vty_out(vty,
					"    replicated messages not processed at the takeover: %" PRIu64
					", %" PRIu64 " left\n",
					s->backlog_at_takeover, s->backlog);
			else if (s->backlog_at_takeover)
				vty_out(vty,
					"    replicated messages not processed at the takeover: %" PRIu64
					", processed in %" PRIu64 " ms\n",
					s->backlog_at_takeover, s->backlog_took_ms);
		}
	}
	if (uj) {
		json_object_object_add(json, "sessions", jsessions);
		return vty_json(vty, json);
	}
	return CMD_SUCCESS;
}

/* ---- module setup ---- */

static int bgp_ha_late_init(struct event_loop *loop)
{
	static const struct ha_repl_class cls = {
		.id = BGP_HA_CLASS_SESSION,
		.name = "bgp-session",
		.bulk = bgp_ha_bulk,
		.reset = bgp_ha_reset,
		.apply = bgp_ha_apply,
		.digest = bgp_ha_digest,
		.handover = bgp_ha_handover,
		.role_changed = bgp_ha_role_changed,
		/* the bulk copy has every session, its whole message log and
		 * an established session's connection: those deltas made
		 * before it was taken must not follow it (a message would
		 * come twice); the gate's segments and frozen connections are
		 * not in it */
		.bulk_covers = 1u << BGP_HA_SESSION | 1u << BGP_HA_MESSAGE |
			       1u << BGP_HA_CONNECTION | 1u << BGP_HA_ADJ_OUT,
	};

	ha_module_register_class(&cls);
	ha_module_on_session_state(bgp_ha_session_state);
	zlog_notice(
		"frr-ha: BGP peers held (no connection opened or accepted) until hard gives this card its role");
	install_element(VIEW_NODE, &show_redundancy_bgp_cmd);
	install_element(ENABLE_NODE, &debug_redundancy_bgp_standby_feed_cmd);
	install_element(ENABLE_NODE, &debug_redundancy_bgp_rebuilt_clock_behind_cmd);
	install_element(ENABLE_NODE, &debug_redundancy_bgp_reset_delay_cmd);
	install_element(ENABLE_NODE, &debug_redundancy_bgp_handover_stop_delay_cmd);
	install_element(ENABLE_NODE, &debug_redundancy_bgp_bulk_end_delay_cmd);
	install_element(ENABLE_NODE, &debug_redundancy_bgp_bulk_log_delay_cmd);
	install_element(BGP_NODE, &bgp_ha_max_standby_backlog_cmd);
	install_element(BGP_NODE, &no_bgp_ha_max_standby_backlog_cmd);
	hook_register(bgp_inst_config_write, bgp_ha_config_write);
	return 0;
}

static int bgp_ha_module_init(void)
{
	ha_module_attach("bgpd");
	hook_register(frr_late_init, bgp_ha_late_init);
	hook_register(bgp_packet_dump, bgp_ha_packet_received);
	/* after the message is replicated */
	hook_register_prio(bgp_packet_dump, 2000, bgp_ha_poll_on_packet);
	hook_register(bgp_process, bgp_ha_poll_on_prefix);
	hook_register(bgp_route_update, bgp_ha_poll_on_best_path);
	hook_register(bgp_zebra_route_sent, bgp_ha_poll_on_route_to_zebra);
	hook_register(bgp_packet_send, bgp_ha_packet_sent);
	hook_register(bgp_update_queue, bgp_ha_update_queue);
	hook_register(bgp_peer_state_note, bgp_ha_peer_state_note);
	hook_register(peer_status_changed, bgp_ha_peer_status_changed);
	hook_register_prio(bgp_config_end, -1000, bgp_ha_config_end_early);
	hook_register_prio(bgp_config_end, 5000, bgp_ha_config_end_late);
	return 0;
}

FRR_MODULE_SETUP(.name = "bgpd_ha", .version = FRRHA_VERSION,
		 .description = "bgpd non-stop routing (frr-ha)", .init = bgp_ha_module_init);
