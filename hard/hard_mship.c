// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: mastership of the line interfaces, and its drivers.
 *
 * Exactly one card may be on the line.  A card takes mastership only
 *  - when the peer card released it (graceful switchover), or
 *  - when the peer card has been declared dead AND the driver confirms it
 *    is off the line, putting it off itself if need be (fencing).
 *
 * Drivers:
 *  none   no line to arbitrate (a lone card): acquiring always succeeds.
 *         With a peer card configured there is no fencing at all.
 *  bridge the test and demo "hardware": the line interfaces are Linux
 *         bridges in a network namespace, with one port per card; a card
 *         is off the line while its port is in the nftables set "offline"
 *         of table "bridge frrha" there, whose chains drop every frame from
 *         such a port (at prerouting, before the bridge learns its source
 *         MAC: both cards use the same) and every frame to it.  A port
 *         taken off the line has its learnt FDB entries flushed, so frames
 *         for the router flood until the new master is learnt.  (Not the port's STP state: the
 *         kernel re-enables a disabled port on any carrier or netdev state
 *         event.)  The "hardware" -- whoever sets the bridges up -- creates
 *         the table with both cards' ports offline.  The master
 *         renews a claim (a lease, in its bridge port's alias) every
 *         heartbeat; a dead card's claim goes stale, a live card's does
 *         not, so a card cut off only by the intercard link is never
 *         fenced.  Driven over a netlink socket opened inside that
 *         namespace.
 *  script a user-given program, run as "SCRIPT acquire|release SLOT
 *         [force]"; exit 0 is success, its first output line the reason
 *         otherwise.  "force" means the peer was declared dead: the
 *         script must fence it or fail.
 */
#include <zebra.h>

#include <fcntl.h>
#include <linux/if_link.h>
#include <nftables/libnftables.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/wait.h>

#include "debug.h"
#include "frr_pthread.h"
#include "frrevent.h"
#include "json.h"
#include "network.h"
#include "log.h"
#include "privs.h"

#include "ha_clock.h"
#include "hard.h"

#define MSHIP_CLAIM_PREFIX  "frr-ha slot="
#define MSHIP_NFT_SET	    "bridge frrha offline"
#define SCRIPT_TIMEOUT_MSEC 2000 /* within a switchover step's 3 s */

extern struct zebra_privs_t hard_privs;

const char *hard_mship_driver_name(enum hard_mship_driver d)
{
	switch (d) {
	case HARD_MSHIP_NONE:
		return "none";
	case HARD_MSHIP_BRIDGE:
		return "bridge";
	case HARD_MSHIP_SCRIPT:
		return "script";
	}
	return "unknown";
}

/* --- netlink to the bridges' namespace ------------------------------- */

/*
 * The claim is renewed every heartbeat on a thread of its own (below):
 * writing it takes the kernel's routing netlink lock, one for every
 * namespace of the machine, which a router installing routes holds for
 * up to hundreds of milliseconds at a time -- hard's event loop, which
 * sends and hears the heartbeats, must not wait for it.  The socket, the
 * nftables context and what they change are the mutex's.
 */
static pthread_mutex_t nl_mtx = PTHREAD_MUTEX_INITIALIZER;
static int nl_fd = -1;
static uint32_t nl_seq;
static struct nft_ctx *nft; /* bound to the bridges' namespace */

struct nl_req {
	struct nlmsghdr n;
	struct ifinfomsg i;
	char buf[512];
};

static void nl_addattr(struct nlmsghdr *n, size_t max, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	assert(NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len) <= max);
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static void mship_ns_close(void)
{
	if (nl_fd >= 0) {
		close(nl_fd);
		nl_fd = -1;
	}
	if (nft) {
		nft_ctx_free(nft);
		nft = NULL;
	}
}

/* Open the socket inside the namespace at path; it stays bound to it. */
static bool nl_open(const char *path, char *err, size_t errlen)
{
	int nsfd, self, fd = -1, saved = 0;

	mship_ns_close();
	frr_with_privs (&hard_privs) {
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (nsfd >= 0 && self >= 0 && setns(nsfd, CLONE_NEWNET) == 0) {
			fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
			saved = errno;
			/* its netlink socket is opened here, in that namespace */
			nft = nft_ctx_new(NFT_CTX_DEFAULT);
			if (setns(self, CLONE_NEWNET) < 0)
				zlog_err("redundancy: cannot return to own network namespace: %s",
					 safe_strerror(errno));
		} else
			saved = errno;
		if (nsfd >= 0)
			close(nsfd);
		if (self >= 0)
			close(self);
	}
	if (fd < 0 || !nft) {
		snprintf(err, errlen, "cannot open netlink in namespace %s: %s", path,
			 safe_strerror(saved));
		if (fd >= 0)
			close(fd);
		return false;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	nl_fd = fd;
	return true;
}

/* Send one request and read replies until the ack/error or the end of a
 * dump; cb sees every RTM_NEWLINK.  Returns 0 or a negative errno. */
static int nl_talk(struct nlmsghdr *n, void (*cb)(struct nlmsghdr *h, void *arg), void *arg)
{
	char buf[16384];
	bool dump = n->nlmsg_flags & NLM_F_DUMP;
	int ret = -EIO;

	if (nl_fd < 0)
		return -ENOTCONN;
	n->nlmsg_seq = ++nl_seq;
	frr_with_privs (&hard_privs) {
		if (send(nl_fd, n, n->nlmsg_len, 0) < 0)
			ret = -errno;
		else
			ret = 1;
	}
	if (ret < 0)
		return ret;
	for (;;) {
		ssize_t len = recv(nl_fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != nl_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == RTM_NEWLINK && cb)
				cb(h, arg);
			if (!dump && h->nlmsg_type == RTM_NEWLINK)
				return 0;
		}
	}
}

struct nl_port {
	const char *name;
	int ifindex;
	bool on_line; /* member of the line VLAN */
	char alias[128];
};

static void nl_port_cb(struct nlmsghdr *h, void *arg)
{
	struct nl_port *port = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	const char *name = NULL;
	struct rtattr *rta;
	char alias[128] = "";

	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		/* the bridge family marks IFLA_PROTINFO as nested */
		switch (rta->rta_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME:
			name = RTA_DATA(rta);
			break;
		case IFLA_IFALIAS:
			strlcpy(alias, RTA_DATA(rta), MIN(sizeof(alias), RTA_PAYLOAD(rta) + 1));
			break;
		}
	}
	if (!name || strcmp(name, port->name))
		return;
	port->ifindex = ifi->ifi_index;
	if (ifi->ifi_family == AF_UNSPEC)
		strlcpy(port->alias, alias, sizeof(port->alias));
}

/* Read a port's index and alias. */
static int nl_port_get(struct nl_port *port)
{
	struct nl_req req = {};
	int ret;

	port->ifindex = 0;
	port->on_line = false;
	port->alias[0] = '\0';
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(req.i));
	req.n.nlmsg_type = RTM_GETLINK;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.i.ifi_family = AF_UNSPEC;
	nl_addattr(&req.n, sizeof(req), IFLA_IFNAME, port->name, strlen(port->name) + 1);
	ret = nl_talk(&req.n, nl_port_cb, port);
	if (ret < 0)
		return ret;
	if (!port->ifindex)
		return -ENODEV;
	return 0;
}

/* Run nft commands (one atomic batch) in the bridges' namespace. */
static int mship_nft(char *err, size_t errlen, const char *fmt, ...) PRINTFRR(3, 4);
static int mship_nft(char *err, size_t errlen, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int ret = -1;

	va_start(ap, fmt);
	vsnprintfrr(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (!nft) {
		snprintf(err, errlen, "nftables context not open");
		return -1;
	}
	frr_with_privs (&hard_privs)
		ret = nft_run_cmd_from_buffer(nft, cmd);
	if (ret) {
		const char *e = nft_ctx_get_error_buffer(nft);

		snprintf(err, errlen, "nft '%s': %.*s", cmd, (int)strcspn(e, "\n"), e);
	}
	return ret;
}

/* Forget the MACs the bridge learnt on a port. */
static int nl_port_flush_fdb(int ifindex)
{
	struct nl_req req = {};
	struct rtattr *nest;

	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(req.i));
	req.n.nlmsg_type = RTM_SETLINK;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.i.ifi_family = AF_BRIDGE;
	req.i.ifi_index = ifindex;
	nest = (struct rtattr *)((char *)&req.n + NLMSG_ALIGN(req.n.nlmsg_len));
	nl_addattr(&req.n, sizeof(req), IFLA_PROTINFO | NLA_F_NESTED, NULL, 0);
	nl_addattr(&req.n, sizeof(req), IFLA_BRPORT_FLUSH, NULL, 0);
	nest->rta_len = (char *)&req.n + req.n.nlmsg_len - (char *)nest;
	return nl_talk(&req.n, NULL, NULL);
}

/* Put a port on the line or take it off. */
static int mship_port_set_line(const char *name, bool on, char *err, size_t errlen)
{
	/* add first, so that the delete never fails: one atomic batch */
	if (on)
		return mship_nft(err, errlen,
				 "add element " MSHIP_NFT_SET " { \"%s\" }\n"
				 "delete element " MSHIP_NFT_SET " { \"%s\" }",
				 name, name);
	return mship_nft(err, errlen, "add element " MSHIP_NFT_SET " { \"%s\" }", name);
}

/* Mark each port on or off the line from the "offline" set. */
static int mship_read_offline(struct nl_port *ports, unsigned int n, char *err, size_t errlen)
{
	struct json_object *root, *items, *elems = NULL;
	unsigned int i;
	int ret;

	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	ret = mship_nft(err, errlen, "list set " MSHIP_NFT_SET);
	nft_ctx_output_set_flags(nft, 0);
	if (ret) {
		nft_ctx_get_output_buffer(nft);
		return -1;
	}
	root = json_tokener_parse(nft_ctx_get_output_buffer(nft));
	if (!root || !json_object_object_get_ex(root, "nftables", &items)) {
		snprintf(err, errlen, "cannot parse nft output for set %s", MSHIP_NFT_SET);
		json_object_put(root);
		return -1;
	}
	for (size_t k = 0; k < json_object_array_length(items); k++) {
		struct json_object *set;

		if (json_object_object_get_ex(json_object_array_get_idx(items, k), "set", &set))
			json_object_object_get_ex(set, "elem", &elems);
	}
	for (i = 0; i < n; i++) {
		ports[i].on_line = true;
		for (size_t k = 0; elems && k < json_object_array_length(elems); k++) {
			const char *e = json_object_get_string(json_object_array_get_idx(elems, k));

			if (e && strcmp(e, ports[i].name) == 0)
				ports[i].on_line = false;
		}
	}
	json_object_put(root);
	return 0;
}

static int nl_port_set_alias(int ifindex, const char *alias)
{
	struct nl_req req = {};

	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(req.i));
	req.n.nlmsg_type = RTM_SETLINK;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = ifindex;
	nl_addattr(&req.n, sizeof(req), IFLA_IFALIAS, alias, strlen(alias));
	return nl_talk(&req.n, NULL, NULL);
}

/* --- the bridge driver ------------------------------------------------- */

/* Age in ms of the claim in alias, or -1 if released/none/unparsable. */
static int64_t mship_claim_age(const char *alias, unsigned int *slot)
{
	unsigned int s;
	long long at;

	if (sscanf(alias, MSHIP_CLAIM_PREFIX "%u claim=%lld", &s, &at) != 2)
		return -1;
	if (slot)
		*slot = s;
	return (int64_t)ha_clock_ms() - at;
}

static bool mship_bridge_ports(const struct hard_mship_config *mc, bool peer, struct nl_port *ports,
			       unsigned int *n, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	if (nl_fd < 0 && !nl_open(mc->bridge_netns, err, errlen))
		return false;
	for (i = 0; i < mc->nports; i++) {
		ports[i].name = peer ? mc->ports[i].peer : mc->ports[i].local;
		ret = nl_port_get(&ports[i]);
		if (ret < 0) {
			snprintf(err, errlen, "bridge port %s: %s", ports[i].name,
				 safe_strerror(-ret));
			return false;
		}
	}
	*n = mc->nports;
	return mship_read_offline(ports, *n, err, errlen) == 0;
}

static bool mship_bridge_acquire(bool peer_dead, char *err, size_t errlen)
{
	struct nl_port peer[HARD_MSHIP_PORTS_MAX], own[HARD_MSHIP_PORTS_MAX];
	unsigned int n, i;
	bool peer_on_line = false;
	int64_t age;
	int64_t lease = (int64_t)hard.cfg.hb_interval * hard.cfg.hb_multiplier;
	char claim[64];

	if (!hard.cfg.mship.nports) {
		snprintf(err, errlen, "no bridge ports configured");
		return false;
	}
	if (!mship_bridge_ports(&hard.cfg.mship, true, peer, &n, err, errlen) ||
	    !mship_bridge_ports(&hard.cfg.mship, false, own, &n, err, errlen))
		return false;
	for (i = 0; i < n; i++)
		if (peer[i].on_line)
			peer_on_line = true;
	age = mship_claim_age(peer[0].alias, NULL);
	/* the peer holds the line if it is on it or renews a claim; an old
	 * claim of a port that is off the line is history */
	if (peer_on_line || (age >= 0 && age < lease)) {
		/* on the line but not renewing (a hard that died and left its
		 * port on): a leftover, fenced below whatever else is known */
		if (!peer_dead && age >= 0 && age < lease) {
			snprintf(err, errlen,
				 "the peer card holds the line and has not released it (port %s %s, claim '%s')",
				 peer[0].name, peer[0].on_line ? "on the line" : "off the line",
				 peer[0].alias);
			return false;
		}
		if (age >= 0 && age < lease) {
			snprintf(err, errlen,
				 "the peer card renewed its claim %" PRId64
				 " ms ago (lease %" PRId64 " ms): it is alive, not fencing it",
				 age, lease);
			return false;
		}
		/* fence: the peer card off the line, and its claim void */
		for (i = 0; i < n; i++) {
			if (mship_port_set_line(peer[i].name, false, err, errlen))
				return false;
			nl_port_flush_fdb(peer[i].ifindex);
		}
		snprintf(claim, sizeof(claim), MSHIP_CLAIM_PREFIX "%u fenced",
			 hard.cfg.slot == 1 ? 2 : 1);
		nl_port_set_alias(peer[0].ifindex, claim);
		zlog_notice("redundancy: mastership: fenced the peer card (ports blocked, its claim %s)",
			    age >= 0 ? "expired" : "absent");
	}
	snprintf(claim, sizeof(claim), MSHIP_CLAIM_PREFIX "%u claim=%" PRId64, hard.cfg.slot,
		 (int64_t)ha_clock_ms());
	nl_port_set_alias(own[0].ifindex, claim);
	for (i = 0; i < n; i++) {
		if (mship_port_set_line(own[i].name, true, err, errlen))
			return false;
	}
	return true;
}

static bool mship_bridge_release(char *err, size_t errlen)
{
	struct nl_port own[HARD_MSHIP_PORTS_MAX];
	unsigned int n, i;
	char claim[64];
	bool ok = true;

	if (!mship_bridge_ports(&hard.cfg.mship, false, own, &n, err, errlen))
		return false;
	for (i = 0; i < n; i++) {
		if (mship_port_set_line(own[i].name, false, err, errlen))
			ok = false;
		nl_port_flush_fdb(own[i].ifindex);
	}
	snprintf(claim, sizeof(claim), MSHIP_CLAIM_PREFIX "%u released", hard.cfg.slot);
	if (n)
		nl_port_set_alias(own[0].ifindex, claim);
	return ok;
}

/* --- the renewal, on its own thread ----------------------------------- */

static struct {
	struct frr_pthread *pthread;
	/* the main thread's */
	bool in_flight;
	hard_mship_renew_cb cb;
	struct hard_mship_renew_stats stats;
	/* under nl_mtx */
	bool armed;		     /* holding the line: a renewal may write the claim */
	struct hard_mship_config mc; /* as when the renewal was asked for */
	uint8_t slot;
	bool warned;
	bool ran, ok;
	char err[1024];
	int64_t took_usec;
} renew;

/* Renew the claim (renewal thread, nl_mtx held); false if this card is no
 * longer on the line. */
static bool mship_bridge_renew(char *err, size_t errlen)
{
	struct nl_port own[HARD_MSHIP_PORTS_MAX];
	unsigned int n, i;
	char claim[64];

	if (!mship_bridge_ports(&renew.mc, false, own, &n, err, errlen)) {
		/* cannot tell: keep the line, say so once */
		if (!renew.warned)
			zlog_warn("redundancy: cannot check the line, keeping mastership: %s", err);
		renew.warned = true;
		return true;
	}
	renew.warned = false;
	for (i = 0; i < n; i++)
		if (!own[i].on_line) {
			snprintf(err, errlen, "own port %s was taken off the line", own[i].name);
			return false;
		}
	snprintf(claim, sizeof(claim), MSHIP_CLAIM_PREFIX "%u claim=%" PRId64, renew.slot,
		 (int64_t)ha_clock_ms());
	nl_port_set_alias(own[0].ifindex, claim);
	return true;
}

/* Main thread: a renewal ended. */
static void mship_renew_done(struct event *ev)
{
	hard_mship_renew_cb cb = renew.cb;
	bool ran, ok;
	char err[256];
	int64_t took;

	frr_with_mutex (&nl_mtx) {
		ran = renew.ran;
		ok = renew.ok;
		took = renew.took_usec;
		strlcpy(err, renew.err, sizeof(err));
	}
	renew.in_flight = false;
	renew.cb = NULL;
	if (!ran)
		return; /* the line was released meanwhile */
	renew.stats.renewals++;
	renew.stats.last_usec = took;
	if (took > (int64_t)renew.stats.max_usec)
		renew.stats.max_usec = took;
	if (took > (int64_t)hard.cfg.hb_interval * 1000)
		renew.stats.slower_than_heartbeat++;
	if (cb)
		cb(ok, err);
}

/* Renewal thread: renew the claim if this card still holds the line. */
static void mship_renew_run(struct event *ev)
{
	int64_t t0 = hard_monotime_usec();

	frr_with_mutex (&nl_mtx) {
		renew.ran = renew.armed;
		renew.ok = true;
		renew.err[0] = '\0';
		if (renew.armed)
			renew.ok = mship_bridge_renew(renew.err, sizeof(renew.err));
		renew.took_usec = hard_monotime_usec() - t0;
	}
	event_add_event(hard.master, mship_renew_done, NULL, 0, NULL);
}

/* --- the script driver ------------------------------------------------- */

/*
 * The script runs as a child process watched from the event loop, so that
 * hard goes on sending heartbeats and answering the peer card while it
 * runs.  One script at a time; its first output line is kept for the
 * error message.  Killed after SCRIPT_TIMEOUT_MSEC.
 */
static struct {
	pid_t pid;
	int out;
	char verb[16];
	bool force;
	char line[256];
	size_t line_len;
	hard_mship_done_cb cb;
	struct event *t_read, *t_reap, *t_timeout;
	int64_t started_usec;
} script = { .pid = -1, .out = -1 };

static void mship_script_finish(bool ok, const char *err)
{
	hard_mship_done_cb cb = script.cb;

	EVENT_OFF(script.t_read);
	EVENT_OFF(script.t_reap);
	EVENT_OFF(script.t_timeout);
	if (script.out >= 0)
		close(script.out);
	script.out = -1;
	script.pid = -1;
	script.cb = NULL;
	DEBUGD(&hard_dbg_mship, "redundancy: mastership script %s%s: %s after %" PRId64 " us",
	       script.verb, script.force ? " force" : "", ok ? "done" : err,
	       hard_monotime_usec() - script.started_usec);
	if (cb)
		cb(ok, err);
}

static void mship_script_reap(struct event *ev)
{
	int status = 0;
	pid_t r = waitpid(script.pid, &status, WNOHANG);
	char err[384];

	if (r == 0) {
		/* output closed, process not gone yet */
		event_add_timer_msec(hard.master, mship_script_reap, NULL, 2, &script.t_reap);
		return;
	}
	if (r == script.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		mship_script_finish(true, "");
		return;
	}
	snprintfrr(err, sizeof(err), "%s %s%s exited %d%s%s", hard.cfg.mship.script, script.verb,
		   script.force ? " force" : "",
		   r == script.pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		   script.line[0] ? ": " : "", script.line);
	mship_script_finish(false, err);
}

static void mship_script_read(struct event *ev)
{
	char buf[256];
	ssize_t n = read(script.out, buf, sizeof(buf));

	if (n > 0) {
		/* keep the first line */
		for (ssize_t i = 0; i < n && script.line_len < sizeof(script.line) - 1; i++) {
			if (buf[i] == '\n') {
				script.line_len = sizeof(script.line) - 1;
				break;
			}
			script.line[script.line_len++] = buf[i];
		}
		event_add_read(hard.master, mship_script_read, NULL, script.out, &script.t_read);
		return;
	}
	if (n < 0 && ERRNO_IO_RETRY(errno)) {
		event_add_read(hard.master, mship_script_read, NULL, script.out, &script.t_read);
		return;
	}
	/* EOF: the script is exiting */
	mship_script_reap(NULL);
}

static void mship_script_timeout(struct event *ev)
{
	char err[384];
	int status;

	kill(script.pid, SIGKILL);
	waitpid(script.pid, &status, 0);
	snprintf(err, sizeof(err), "%s %s: timed out after %d ms", hard.cfg.mship.script,
		 script.verb, SCRIPT_TIMEOUT_MSEC);
	mship_script_finish(false, err);
}

static bool mship_script_start(const char *verb, bool force, hard_mship_done_cb cb, char *err,
			       size_t errlen)
{
	char slot[8];
	int out[2];
	pid_t pid;

	if (script.pid > 0) {
		snprintf(err, errlen, "the mastership script is still running (%s)", script.verb);
		return false;
	}
	snprintf(slot, sizeof(slot), "%u", hard.cfg.slot);
	if (pipe2(out, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", safe_strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", safe_strerror(errno));
		close(out[0]);
		close(out[1]);
		return false;
	}
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execl(hard.cfg.mship.script, hard.cfg.mship.script, verb, slot,
		      force ? "force" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	set_nonblocking(out[0]);
	script.pid = pid;
	script.out = out[0];
	strlcpy(script.verb, verb, sizeof(script.verb));
	script.force = force;
	script.line[0] = '\0';
	script.line_len = 0;
	script.cb = cb;
	script.started_usec = hard_monotime_usec();
	event_add_read(hard.master, mship_script_read, NULL, script.out, &script.t_read);
	event_add_timer_msec(hard.master, mship_script_timeout, NULL, SCRIPT_TIMEOUT_MSEC,
			     &script.t_timeout);
	return true;
}

/* --- the interface used by the role machine ---------------------------- */

static hard_mship_done_cb acquire_cb;
static bool acquire_peer_dead;

static void mship_acquired(bool ok, const char *err)
{
	hard_mship_done_cb cb = acquire_cb;

	DEBUGD(&hard_dbg_mship, "redundancy: mastership %s acquire%s: %s",
	       hard_mship_driver_name(hard.cfg.mship.driver),
	       acquire_peer_dead ? " (peer dead)" : "", ok ? "done" : err);
	if (ok) {
		hard.mastership = true;
		zlog_notice("redundancy: mastership acquired (driver %s%s)",
			    hard_mship_driver_name(hard.cfg.mship.driver),
			    acquire_peer_dead ? ", peer card declared dead" : "");
	}
	acquire_cb = NULL;
	if (cb)
		cb(ok, err);
}

void hard_mship_acquire(bool peer_dead, hard_mship_done_cb cb)
{
	char err[256] = "";
	bool ok = true;

	acquire_cb = cb;
	acquire_peer_dead = peer_dead;
	switch (hard.cfg.mship.driver) {
	case HARD_MSHIP_NONE:
		break;
	case HARD_MSHIP_BRIDGE:
		frr_with_mutex (&nl_mtx) {
			ok = mship_bridge_acquire(peer_dead, err, sizeof(err));
			renew.armed = ok;
		}
		break;
	case HARD_MSHIP_SCRIPT:
		if (mship_script_start("acquire", peer_dead, mship_acquired, err, sizeof(err)))
			return; /* mship_acquired() follows */
		ok = false;
		break;
	}
	mship_acquired(ok, err);
}

static hard_mship_done_cb release_cb;

static void mship_released(bool ok, const char *err)
{
	hard_mship_done_cb cb = release_cb;

	if (ok)
		zlog_notice("redundancy: mastership released");
	else
		zlog_err("redundancy: mastership release incomplete: %s", err);
	release_cb = NULL;
	if (cb)
		cb(ok, err);
}

void hard_mship_release(hard_mship_done_cb cb)
{
	char err[256] = "";
	bool ok = true;

	/* from now on this card does not count itself on the line */
	hard.mastership = false;
	release_cb = cb;
	switch (hard.cfg.mship.driver) {
	case HARD_MSHIP_NONE:
		break;
	case HARD_MSHIP_BRIDGE:
		frr_with_mutex (&nl_mtx) {
			/* no renewal may write a claim over the release */
			renew.armed = false;
			ok = mship_bridge_release(err, sizeof(err));
		}
		break;
	case HARD_MSHIP_SCRIPT:
		if (mship_script_start("release", false, mship_released, err, sizeof(err)))
			return;
		ok = false;
		break;
	}
	mship_released(ok, err);
}

bool hard_mship_busy(void)
{
	return script.pid > 0;
}

void hard_mship_renew(hard_mship_renew_cb cb)
{
	if (!hard.mastership || hard.cfg.mship.driver != HARD_MSHIP_BRIDGE)
		return;
	if (renew.in_flight) {
		/* the last one still waits for the kernel: the claim is as
		 * fresh as that one makes it */
		renew.stats.skipped++;
		return;
	}
	if (!renew.pthread) {
		renew.pthread = frr_pthread_new(NULL, "hard mastership renewal", "hard_renew");
		assert(frr_pthread_run(renew.pthread, NULL) == 0);
		frr_pthread_wait_running(renew.pthread);
	}
	frr_with_mutex (&nl_mtx) {
		renew.mc = hard.cfg.mship;
		renew.slot = hard.cfg.slot;
	}
	renew.in_flight = true;
	renew.cb = cb;
	event_add_event(renew.pthread->master, mship_renew_run, NULL, 0, NULL);
}

const struct hard_mship_renew_stats *hard_mship_renew_stats(void)
{
	return &renew.stats;
}

void hard_mship_config_changed(void)
{
	/* reopen the namespace socket lazily with the new settings */
	frr_with_mutex (&nl_mtx)
		mship_ns_close();
	if (hard.cfg.mship.driver == HARD_MSHIP_NONE && hard.cfg.peer_configured)
		zlog_warn(
			"redundancy: mastership driver 'none' with a peer card: there is no fencing, an intercard link failure can make both cards active");
}
