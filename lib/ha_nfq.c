// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A netfilter queue client on a bare netlink socket (see ha_nfq.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

#include "ha_nfq.h"

/* room for one message of a whole packet and its attributes */
#define HA_NFQ_BUFSIZE (65536 + 4096)

struct ha_nfq_request {
	struct nlmsghdr nlh;
	struct nfgenmsg nfg;
	uint8_t attrs[64];
};

static void ha_nfq_request_init(struct ha_nfq_request *req, uint16_t num, uint8_t msg, bool ack)
{
	memset(req, 0, sizeof(*req));
	req->nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
	req->nlh.nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | msg;
	req->nlh.nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
	req->nfg.nfgen_family = AF_UNSPEC;
	req->nfg.version = NFNETLINK_V0;
	req->nfg.res_id = htons(num);
}

static void ha_nfq_put_attr(struct ha_nfq_request *req, uint16_t type, const void *data, size_t len)
{
	struct nlattr *nla = (struct nlattr *)((uint8_t *)req + NLMSG_ALIGN(req->nlh.nlmsg_len));

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	memcpy((uint8_t *)nla + NLA_HDRLEN, data, len);
	req->nlh.nlmsg_len = NLMSG_ALIGN(req->nlh.nlmsg_len) + NLA_ALIGN(nla->nla_len);
}

/* The netlink message after h (the first one for NULL) in the n bytes of
 * buf, NULL past the last whole one. */
static struct nlmsghdr *ha_nfq_next(uint8_t *buf, ssize_t n, struct nlmsghdr *h)
{
	size_t off = h ? (size_t)((uint8_t *)h - buf) + NLMSG_ALIGN(h->nlmsg_len) : 0;

	if (n < 0 || off + sizeof(*h) > (size_t)n)
		return NULL;
	h = (struct nlmsghdr *)(buf + off);
	if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > (size_t)n - off)
		return NULL;
	return h;
}

/* Send a configuration request and wait for the kernel's answer. */
static int ha_nfq_config(int fd, struct ha_nfq_request *req, char *err, size_t errlen,
			 const char *what)
{
	uint8_t buf[4096];
	ssize_t n;

	if (send(fd, req, req->nlh.nlmsg_len, 0) < 0) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
		return -1;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
		return -1;
	}
	for (struct nlmsghdr *h = NULL; (h = ha_nfq_next(buf, n, h));) {
		if (h->nlmsg_type != NLMSG_ERROR)
			continue;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			snprintf(err, errlen, "%s: truncated answer", what);
			return -1;
		}
		struct nlmsgerr *e = NLMSG_DATA(h);

		if (e->error) {
			snprintf(err, errlen, "%s: %s", what, strerror(-e->error));
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "%s: no answer", what);
	return -1;
}

int ha_nfq_open(uint16_t num, uint32_t copy_range, char *err, size_t errlen)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = { .copy_range = htonl(copy_range),
						  .copy_mode = NFQNL_COPY_PACKET };
	uint32_t maxlen = htonl(HA_NFQ_QUEUE_MAXLEN);
	struct ha_nfq_request req;
	int one = 1, rcvbuf = 4 << 20;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(err, errlen, "netlink bind: %s", strerror(errno));
		goto fail;
	}
	/* a burst larger than the socket buffer: the kernel drops what does
	 * not fit (the sender sends it again) -- no error to read for it */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));

	ha_nfq_request_init(&req, num, NFQNL_MSG_CONFIG, true);
	ha_nfq_put_attr(&req, NFQA_CFG_CMD, &cmd, sizeof(cmd));
	if (ha_nfq_config(fd, &req, err, errlen, "binding the queue") < 0)
		goto fail;
	ha_nfq_request_init(&req, num, NFQNL_MSG_CONFIG, true);
	ha_nfq_put_attr(&req, NFQA_CFG_PARAMS, &params, sizeof(params));
	ha_nfq_put_attr(&req, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof(maxlen));
	if (ha_nfq_config(fd, &req, err, errlen, "setting the copy mode") < 0)
		goto fail;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "O_NONBLOCK: %s", strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

void ha_nfq_close(int fd, uint16_t num)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_UNBIND };
	struct ha_nfq_request req;

	if (fd < 0)
		return;
	ha_nfq_request_init(&req, num, NFQNL_MSG_CONFIG, false);
	ha_nfq_put_attr(&req, NFQA_CFG_CMD, &cmd, sizeof(cmd));
	(void)send(fd, &req, req.nlh.nlmsg_len, 0);
	close(fd);
}

/* The packet of one NFQNL_MSG_PACKET message: false when it has none. */
static bool ha_nfq_packet(struct nlmsghdr *h, uint32_t *id, unsigned int *hook, const uint8_t **pkt,
			  size_t *len)
{
	size_t off = NLMSG_LENGTH(sizeof(struct nfgenmsg));
	bool have_id = false;

	*pkt = NULL;
	while (off + NLA_HDRLEN <= h->nlmsg_len) {
		struct nlattr *nla = (struct nlattr *)((uint8_t *)h + off);
		size_t alen = nla->nla_len;

		if (alen < NLA_HDRLEN || off + alen > h->nlmsg_len)
			break;
		switch (nla->nla_type & NLA_TYPE_MASK) {
		case NFQA_PACKET_HDR:
			if (alen >= NLA_HDRLEN + sizeof(struct nfqnl_msg_packet_hdr)) {
				struct nfqnl_msg_packet_hdr ph;

				memcpy(&ph, (uint8_t *)nla + NLA_HDRLEN, sizeof(ph));
				*id = ntohl(ph.packet_id);
				*hook = ph.hook;
				have_id = true;
			}
			break;
		case NFQA_PAYLOAD:
			*pkt = (uint8_t *)nla + NLA_HDRLEN;
			*len = alen - NLA_HDRLEN;
			break;
		}
		off += NLA_ALIGN(alen);
	}
	return have_id && *pkt;
}

int ha_nfq_read(int fd, ha_nfq_packet_cb cb, void *arg)
{
	static uint8_t buf[HA_NFQ_BUFSIZE];
	int count = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return count;
			if (errno == EINTR)
				continue;
			return count ? count : -1;
		}
		if (n == 0)
			return count;
		for (struct nlmsghdr *h = NULL; (h = ha_nfq_next(buf, n, h));) {
			const uint8_t *pkt;
			unsigned int hook = 0;
			uint32_t id = 0;
			size_t len = 0;

			if (h->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
				continue;
			if (!ha_nfq_packet(h, &id, &hook, &pkt, &len))
				continue;
			cb(id, hook, pkt, len, arg);
			count++;
		}
	}
}

/* The verdict message for packet id of queue num in req. */
static void ha_nfq_verdict_request(struct ha_nfq_request *req, uint16_t num, uint32_t id,
				   bool accept)
{
	struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(accept ? NF_ACCEPT : NF_DROP),
					    .id = htonl(id) };

	ha_nfq_request_init(req, num, NFQNL_MSG_VERDICT, false);
	ha_nfq_put_attr(req, NFQA_VERDICT_HDR, &vh, sizeof(vh));
}

int ha_nfq_verdict(int fd, uint16_t num, uint32_t id, bool accept)
{
	struct ha_nfq_request req;

	ha_nfq_verdict_request(&req, num, id, accept);
	return send(fd, &req, req.nlh.nlmsg_len, 0) < 0 ? -1 : 0;
}

_Static_assert(NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct nfgenmsg))) +
			       NLA_ALIGN(NLA_HDRLEN + sizeof(struct nfqnl_msg_verdict_hdr)) ==
		       HA_NFQ_VERDICT_LEN,
	       "a verdict message is HA_NFQ_VERDICT_LEN bytes");

void ha_nfq_verdicts_init(struct ha_nfq_verdicts *v, uint16_t num)
{
	v->num = num;
	v->count = 0;
}

bool ha_nfq_verdicts_add(struct ha_nfq_verdicts *v, uint32_t id, bool accept)
{
	struct ha_nfq_request req;

	if (v->count >= HA_NFQ_VERDICTS_MAX)
		return false;
	ha_nfq_verdict_request(&req, v->num, id, accept);
	memcpy(v->buf + v->count * HA_NFQ_VERDICT_LEN, &req, HA_NFQ_VERDICT_LEN);
	v->count++;
	return true;
}

int ha_nfq_verdicts_send(int fd, struct ha_nfq_verdicts *v)
{
	size_t len = v->count * HA_NFQ_VERDICT_LEN;
	ssize_t n;

	if (!len)
		return 0;
	v->count = 0;
	do
		n = send(fd, v->buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

/* The timestamps option among the TCP options opt[0..len), if there. */
static void ha_nfq_parse_tcp_options(const uint8_t *opt, size_t len, struct ha_nfq_tcp *seg)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = opt[i], olen;

		if (kind == 0) /* end of options */
			return;
		if (kind == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return;
		olen = opt[i + 1];
		if (olen < 2 || i + olen > len)
			return;
		if (kind == 8 && olen == 10) {
			uint32_t v;

			memcpy(&v, opt + i + 2, 4);
			seg->tsval = ntohl(v);
			memcpy(&v, opt + i + 6, 4);
			seg->tsecr = ntohl(v);
			seg->has_ts = true;
		}
		i += olen;
	}
}

static bool ha_nfq_parse_tcp_header(const uint8_t *p, size_t len, struct ha_nfq_tcp *seg)
{
	struct tcphdr th;
	size_t hlen;

	if (len < sizeof(th))
		return false;
	memcpy(&th, p, sizeof(th));
	hlen = th.th_off * 4u;
	if (hlen < sizeof(th) || hlen > len)
		return false;
	seg->seq = ntohl(th.th_seq);
	seg->ack = ntohl(th.th_ack);
	seg->flags = th.th_flags;
	seg->window = ntohs(th.th_win);
	ha_nfq_parse_tcp_options(p + sizeof(th), hlen - sizeof(th), seg);
	seg->payload = p + hlen;
	seg->payload_len = len - hlen;
	if (seg->src.ss_family == AF_INET) {
		((struct sockaddr_in *)&seg->src)->sin_port = th.th_sport;
		((struct sockaddr_in *)&seg->dst)->sin_port = th.th_dport;
	} else {
		((struct sockaddr_in6 *)&seg->src)->sin6_port = th.th_sport;
		((struct sockaddr_in6 *)&seg->dst)->sin6_port = th.th_dport;
	}
	return true;
}

bool ha_nfq_parse_tcp(const uint8_t *pkt, size_t len, struct ha_nfq_tcp *seg)
{
	memset(seg, 0, sizeof(*seg));
	if (len < 1)
		return false;
	if ((pkt[0] >> 4) == 4) {
		struct sockaddr_in *src = (struct sockaddr_in *)&seg->src;
		struct sockaddr_in *dst = (struct sockaddr_in *)&seg->dst;
		struct ip ip;
		size_t hlen, total;

		if (len < sizeof(ip))
			return false;
		memcpy(&ip, pkt, sizeof(ip));
		hlen = ip.ip_hl * 4u;
		total = ntohs(ip.ip_len);
		if (ip.ip_p != IPPROTO_TCP || hlen < sizeof(ip) || total < hlen || total > len ||
		    (ntohs(ip.ip_off) & (IP_MF | IP_OFFMASK)))
			return false;
		src->sin_family = dst->sin_family = AF_INET;
		src->sin_addr = ip.ip_src;
		dst->sin_addr = ip.ip_dst;
		return ha_nfq_parse_tcp_header(pkt + hlen, total - hlen, seg);
	}
	if ((pkt[0] >> 4) == 6) {
		struct sockaddr_in6 *src = (struct sockaddr_in6 *)&seg->src;
		struct sockaddr_in6 *dst = (struct sockaddr_in6 *)&seg->dst;
		struct ip6_hdr ip6;
		size_t plen;

		if (len < sizeof(ip6))
			return false;
		memcpy(&ip6, pkt, sizeof(ip6));
		plen = ntohs(ip6.ip6_plen);
		if (ip6.ip6_nxt != IPPROTO_TCP || sizeof(ip6) + plen > len)
			return false;
		src->sin6_family = dst->sin6_family = AF_INET6;
		src->sin6_addr = ip6.ip6_src;
		dst->sin6_addr = ip6.ip6_dst;
		return ha_nfq_parse_tcp_header(pkt + sizeof(ip6), plen, seg);
	}
	return false;
}
