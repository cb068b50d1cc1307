// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A TCP connection followed from its segments (see ha_tcp_shadow.h).
 */
#include "ha_tcp_shadow.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha_bgp_stream.h"

void ha_tcp_shadow_init(struct ha_tcp_shadow *s)
{
	memset(s, 0, sizeof(*s));
	ha_reasm_init(&s->snd);
}

void ha_tcp_shadow_clear(struct ha_tcp_shadow *s)
{
	ha_reasm_clear(&s->snd);
	ha_tcp_shadow_init(s);
}

void ha_tcp_shadow_set_options(struct ha_tcp_shadow *s, const struct ha_tcp_shadow_options *opt)
{
	s->opt = *opt;
	s->have_options = true;
}

int ha_tcp_shadow_options_of(int fd, struct ha_tcp_shadow_options *opt)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int mss;

	memset(opt, 0, sizeof(*opt));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -1;
	len = sizeof(mss);
	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) < 0)
		return -1;
	opt->addrlen = sizeof(opt->local);
	if (getsockname(fd, (struct sockaddr *)&opt->local, &opt->addrlen) < 0)
		return -1;
	len = sizeof(opt->remote);
	if (getpeername(fd, (struct sockaddr *)&opt->remote, &len) < 0)
		return -1;
	opt->mss = mss;
	opt->sack = !!(ti.tcpi_options & TCPI_OPT_SACK);
	opt->tstamp = !!(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	opt->wscale = !!(ti.tcpi_options & TCPI_OPT_WSCALE);
	opt->snd_wscale = ti.tcpi_snd_wscale;
	opt->rcv_wscale = ti.tcpi_rcv_wscale;
	return 0;
}

void ha_tcp_shadow_anchor(struct ha_tcp_shadow *s, bool outbound, uint32_t seq, uint64_t offset)
{
	if (outbound) {
		s->have_snd_anchor = true;
		s->snd_seq = seq;
		s->snd_offset = offset;
	} else {
		s->have_rcv_anchor = true;
		s->rcv_seq = seq;
		s->rcv_offset = offset;
	}
}

void ha_tcp_shadow_rebase(struct ha_tcp_shadow *s, uint64_t boundary)
{
	ha_reasm_clear(&s->snd);
	s->have_snd_anchor = false;
	s->snd_acked = 0;
	s->snd_boundary = boundary;
	s->snd_broken = false;
}

/* The offset of sequence number seq in a stream anchored at (aseq,
 * aoffset); false when it would lie before the stream's start. */
static bool ha_tcp_shadow_offset(uint32_t aseq, uint64_t aoffset, uint32_t seq, uint64_t *offset)
{
	int32_t d = (int32_t)(seq - aseq);

	if (d < 0 && (uint64_t) - (int64_t)d > aoffset)
		return false;
	*offset = aoffset + d;
	return true;
}

static uint32_t ha_tcp_shadow_seq(uint32_t aseq, uint64_t aoffset, uint64_t offset)
{
	return aseq + (uint32_t)(offset - aoffset);
}

/* Follow our messages as far as our bytes go without a gap. */
static int ha_tcp_shadow_follow(struct ha_tcp_shadow *s, char *err, size_t errlen)
{
	for (;;) {
		uint64_t end = ha_reasm_contiguous_end(&s->snd, s->snd_boundary);
		uint8_t hdr[HA_BGP_HEADER_LEN];
		uint16_t mlen;

		if (end < s->snd_boundary + HA_BGP_HEADER_LEN)
			break;
		if (!ha_reasm_read(&s->snd, s->snd_boundary, hdr, sizeof(hdr)) ||
		    !ha_bgp_header_valid(hdr, sizeof(hdr), &mlen)) {
			s->snd_broken = true;
			snprintf(err, errlen,
				 "our stream has no BGP message header at offset %" PRIu64,
				 s->snd_boundary);
			return -1;
		}
		if (end < s->snd_boundary + mlen)
			break;
		if (s->on_update && hdr[HA_BGP_HEADER_LEN - 1] == 2) {
			uint8_t *m = ha_reasm_copy(&s->snd, s->snd_boundary, s->snd_boundary + mlen);

			if (m)
				s->on_update(s->on_update_arg, m, mlen);
			free(m);
		}
		s->snd_boundary += mlen;
	}
	ha_reasm_trim(&s->snd, s->snd_acked < s->snd_boundary ? s->snd_acked : s->snd_boundary);
	return 0;
}

uint32_t ha_tcp_shadow_clock_at(const struct ha_tcp_shadow *s, uint64_t now_ms)
{
	return s->tsval + (uint32_t)(now_ms - s->tsval_at_ms);
}

void ha_tcp_shadow_clock(struct ha_tcp_shadow *s, uint32_t tsval, uint64_t now_ms)
{
	/* (serial arithmetic: the clock wraps) */
	if (s->have_tsval && (int32_t)(tsval - ha_tcp_shadow_clock_at(s, now_ms)) <= 0)
		return;
	s->have_tsval = true;
	s->tsval = tsval;
	s->tsval_at_ms = now_ms;
}

int ha_tcp_shadow_segment(struct ha_tcp_shadow *s, const struct ha_tcp_shadow_segment *seg,
			  uint64_t now_ms, char *err, size_t errlen)
{
	uint64_t acked;

	if (seg->outbound) {
		s->have_our_window = true;
		s->our_window = seg->window;
		s->our_ack = seg->ack;
		if (seg->has_ts)
			ha_tcp_shadow_clock(s, seg->tsval, now_ms);
		if (!seg->len)
			return 0;
		ha_tcp_shadow_anchor(s, true, seg->seq, seg->offset);
		if (s->snd_broken) {
			snprintf(err, errlen, "our stream is broken already");
			return -1;
		}
		if (seg->offset + seg->len <= s->snd_boundary &&
		    seg->offset + seg->len <= s->snd_acked)
			return 0;
		if (s->snd.bytes + seg->len > 2 * (size_t)HA_TCP_QUEUE_MAX) {
			snprintf(err, errlen,
				 "more than %u bytes of ours held without their acknowledgement",
				 2 * HA_TCP_QUEUE_MAX);
			return -1;
		}
		if (ha_reasm_add(&s->snd, seg->offset, seg->data, seg->len) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return ha_tcp_shadow_follow(s, err, errlen);
	}
	s->have_peer_window = true;
	s->peer_window = seg->window;
	s->peer_window_seq = seg->seq;
	if (seg->len)
		ha_tcp_shadow_anchor(s, false, seg->seq, seg->offset);
	/* what the peer acknowledged of ours: no more than we hold */
	if (s->have_snd_anchor &&
	    ha_tcp_shadow_offset(s->snd_seq, s->snd_offset, seg->ack, &acked) &&
	    acked > s->snd_acked && acked <= ha_reasm_contiguous_end(&s->snd, s->snd_acked)) {
		s->snd_acked = acked;
		ha_reasm_trim(&s->snd,
			      s->snd_acked < s->snd_boundary ? s->snd_acked : s->snd_boundary);
	}
	return 0;
}

static int ha_tcp_shadow_build_state(const struct ha_tcp_shadow *s, const struct ha_reasm *rcv,
				     uint64_t rcv_from, uint64_t now_ms, bool allow_cut,
				     struct ha_tcp_state *st, bool *cut, char *err, size_t errlen);

int ha_tcp_shadow_build(const struct ha_tcp_shadow *s, const struct ha_reasm *rcv, uint64_t rcv_from,
			uint64_t now_ms, struct ha_tcp_state *st, char *err, size_t errlen)
{
	bool cut;

	return ha_tcp_shadow_build_state(s, rcv, rcv_from, now_ms, false, st, &cut, err, errlen);
}

int ha_tcp_shadow_build_cut(const struct ha_tcp_shadow *s, const struct ha_reasm *rcv,
			    uint64_t rcv_from, uint64_t now_ms, struct ha_tcp_state *st, bool *cut,
			    char *err, size_t errlen)
{
	return ha_tcp_shadow_build_state(s, rcv, rcv_from, now_ms, true, st, cut, err, errlen);
}

static int ha_tcp_shadow_build_state(const struct ha_tcp_shadow *s, const struct ha_reasm *rcv,
				     uint64_t rcv_from, uint64_t now_ms, bool allow_cut,
				     struct ha_tcp_state *st, bool *cut, char *err, size_t errlen)
{
	uint64_t snd_end, rcv_end;
	uint32_t rcv_nxt;

	memset(st, 0, sizeof(*st));
	if (!s->have_options) {
		snprintf(err, errlen, "the connection's options never came");
		return -1;
	}
	if (!s->have_snd_anchor || !s->have_rcv_anchor) {
		snprintf(err, errlen, "no sequence number of %s stream",
			 s->have_snd_anchor ? "the peer's" : "our");
		return -1;
	}
	if (s->snd_broken) {
		snprintf(err, errlen, "our stream did not parse as BGP messages");
		return -1;
	}
	if (s->opt.tstamp && !s->have_tsval) {
		snprintf(err, errlen, "no timestamp of ours");
		return -1;
	}
	snd_end = ha_reasm_contiguous_end(&s->snd, s->snd_acked);
	*cut = snd_end != s->snd_boundary;
	if (*cut && !allow_cut) {
		snprintf(err, errlen,
			 "a message of ours was cut: %" PRIu64
			 " of its bytes sent, the rest was never on this card",
			 snd_end > s->snd_boundary ? snd_end - s->snd_boundary
						   : s->snd_boundary - snd_end);
		return -1;
	}
	rcv_end = ha_reasm_contiguous_end(rcv, rcv_from);
	if (snd_end - s->snd_acked > HA_TCP_QUEUE_MAX || rcv_end - rcv_from > HA_TCP_QUEUE_MAX) {
		snprintf(err, errlen, "queues beyond %u bytes", HA_TCP_QUEUE_MAX);
		return -1;
	}
	st->local = s->opt.local;
	st->remote = s->opt.remote;
	st->addrlen = s->opt.addrlen;
	st->mss = s->opt.mss;
	st->sack = s->opt.sack;
	st->tstamp = s->opt.tstamp;
	st->wscale = s->opt.wscale;
	st->snd_wscale = s->opt.snd_wscale;
	st->rcv_wscale = s->opt.rcv_wscale;
	/* our clock went on since our last segment; one more tick keeps our
	 * next TSval strictly ahead of every one the peer saw */
	/* (a millisecond clock, like the connection's own) */
	if (st->tstamp)
		st->timestamp = ha_tcp_timestamp_ms(ha_tcp_shadow_clock_at(s, now_ms) + 1);

	st->snd_seq = ha_tcp_shadow_seq(s->snd_seq, s->snd_offset, s->snd_acked);
	st->sndq_len = snd_end - s->snd_acked;
	if (st->sndq_len && !(st->sndq = ha_reasm_copy(&s->snd, s->snd_acked, snd_end)))
		goto nomem;
	st->rcv_seq = ha_tcp_shadow_seq(s->rcv_seq, s->rcv_offset, rcv_from);
	st->rcvq_len = rcv_end - rcv_from;
	if (st->rcvq_len && !(st->rcvq = ha_reasm_copy(rcv, rcv_from, rcv_end)))
		goto nomem;

	rcv_nxt = st->rcv_seq + st->rcvq_len;
	st->have_window = true;
	if (s->have_peer_window) {
		st->snd_wnd = (uint32_t)s->peer_window << (st->wscale ? st->snd_wscale : 0);
		/* the window update rule's last segment: not ahead of what the
		 * rebuilt socket has received */
		st->snd_wl1 = (int32_t)(s->peer_window_seq - rcv_nxt) > 0 ? rcv_nxt
									  : s->peer_window_seq;
	} else {
		/* no window of the peer's seen (e.g. the card died during a
		 * standby's bulk copy, before a segment of the peer's came):
		 * one segment's worth, enough for a KEEPALIVE -- a socket
		 * rebuilt with none would wait for its zero-window probe to
		 * draw the peer's window.  The peer's next acknowledgement
		 * gives the real one. */
		st->snd_wnd = st->mss ? st->mss : 536;
		st->snd_wl1 = rcv_nxt;
	}
	st->max_window = st->snd_wnd;
	/* our window as we last offered it (its right edge moves on with the
	 * bytes taken in since: it never shrinks) */
	st->rcv_wnd = s->have_our_window
			      ? (uint32_t)s->our_window << (st->wscale ? st->rcv_wscale : 0)
			      : 65535;
	st->rcv_wup = rcv_nxt;
	return 0;
nomem:
	ha_tcp_state_clear(st);
	snprintf(err, errlen, "out of memory");
	return -1;
}

void ha_tcp_rebuilt_check_init(struct ha_tcp_rebuilt_check *c, uint32_t rcv_nxt, uint32_t snd_nxt)
{
	*c = (struct ha_tcp_rebuilt_check){
		.tracking = true, .checking = true, .rcv_nxt = rcv_nxt, .snd_max = snd_nxt
	};
}

enum ha_tcp_rebuilt_verdict ha_tcp_rebuilt_check_segment(struct ha_tcp_rebuilt_check *c,
							 bool outbound, uint32_t seq, uint32_t len,
							 bool has_ack, uint32_t ack)
{
	uint32_t end = seq + len;

	if (!c->tracking)
		return HA_TCP_REBUILT_UNSURE;
	if (outbound) {
		/* what the peer may acknowledge from now on */
		if ((int32_t)(end - c->snd_max) > 0)
			c->snd_max = end;
		return HA_TCP_REBUILT_UNSURE;
	}
	if (!c->have_peer || (int32_t)(end - c->peer_end) > 0)
		c->peer_end = end;
	if (has_ack && (!c->have_peer || (int32_t)(ack - c->peer_ack) > 0))
		c->peer_ack = ack;
	c->have_peer = true;
	if (!c->checking)
		return HA_TCP_REBUILT_UNSURE;
	if (has_ack && (int32_t)(ack - c->snd_max) > 0) {
		c->checking = false;
		return HA_TCP_REBUILT_DIVERGED;
	}
	/* the peer sends from its oldest byte not acknowledged: bytes of its
	 * at or before the record's end (or, with none, its next byte just
	 * there) -- the dead card acknowledged no more than the record has */
	if (len ? (int32_t)(seq - c->rcv_nxt) <= 0 : seq == c->rcv_nxt) {
		c->checking = false;
		return HA_TCP_REBUILT_CONFIRMED;
	}
	if ((int32_t)(seq - c->rcv_nxt) > 0)
		return HA_TCP_REBUILT_GAP;
	/* (an acknowledgement from before the record's end, overtaken) */
	return HA_TCP_REBUILT_UNSURE;
}

uint32_t ha_tcp_rebuilt_gap(const struct ha_tcp_rebuilt_check *c)
{
	return c->have_peer && (int32_t)(c->peer_end - c->rcv_nxt) > 0 ? c->peer_end - c->rcv_nxt
								       : 0;
}

uint32_t ha_tcp_rebuilt_acked_beyond(const struct ha_tcp_rebuilt_check *c)
{
	return c->have_peer && (int32_t)(c->peer_ack - c->snd_max) > 0 ? c->peer_ack - c->snd_max
								       : 0;
}
