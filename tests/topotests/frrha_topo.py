# SPDX-License-Identifier: GPL-2.0-or-later
"""
Two-card redundant router harness for frr-ha topotests.

A redundant router NAME is two cards, network namespaces NAMEa and NAMEb,
each running a full FRR (every daemon with -M ha) and hard.  The cards are
joined by an intercard link "ic0" (169.254.77.0/30).  Every line interface
of the router is a bridge (a topotest switch) shared by both cards and the
peers; both cards use the same interface name, IP addresses and MAC on it.
The card that holds mastership has its bridge port on the line; the other
card's port is blocked: it is in the nftables set "offline" of the bridges'
namespace, whose chains drop every frame from it (at prerouting, before the
bridge learns its MAC) and to it, so nothing
it sends reaches the line and nothing from the line reaches it.  (Not the
bridge port's STP state: the kernel re-enables a disabled port on the next
carrier or netdev event.)  Mastership is moved
by hard itself, with its "bridge" mastership driver pointed at the bridges'
namespace; at power-up no card is on the line.

nftables counters in the bridges' namespace count, per bridge port, the
frames the bridge forwarded from that port: what a card put on the line.
"""
import datetime
import json
import math
import os
import re
import time

from lib import topotest
from lib.topogen import TopoRouter
from lib.topolog import logger

HA_MODULE_DAEMONS = ("zebra", "bgpd", "ospfd", "isisd", "ripd")
INTERCARD_IFNAME = "ic0"
# kill_card's cut of a dead card's end of the intercard link (in the card)
DEAD_CARD_TABLE = "inet frrha_card_dead"
INTERCARD_ADDR = {"a": "169.254.77.1", "b": "169.254.77.2"}
INTERCARD_KEY = "frr-ha-topotest-key"
NFT_TABLE = "frrha"
NFT_OFFLINE = "bridge %s offline" % NFT_TABLE
# daemons of an FRR peer router (no ha module: peers are plain FRR)
FRR_PEER_DAEMONS = [
    (TopoRouter.RD_ZEBRA, None),
    (TopoRouter.RD_MGMTD, None),
    (TopoRouter.RD_STATIC, None),
    (TopoRouter.RD_BGP, None),
    (TopoRouter.RD_OSPF, None),
]


def _card_mac(router_index, line_index):
    return "02:fa:00:00:%02x:%02x" % (router_index, line_index)


class RedundantRouter:
    """One redundant router: its two cards and its line interfaces."""

    def __init__(self, tgen, name, lines):
        self.tgen = tgen
        self.name = name
        # lines: list of (switch name, interface name on the cards)
        self.lines = list(lines)
        self.line_hosts = {}
        self.cards = {"a": name + "a", "b": name + "b"}
        self.redundancy_lines = {}

    # --- topology ----------------------------------------------------
    @classmethod
    def build(cls, tgen, name, lines):
        """Add the two cards, the intercard link and the line ports to
        tgen (call from build_topo)."""
        rr = cls(tgen, name, lines)
        for card in rr.cards.values():
            tgen.add_router(card)
        tgen.add_link(
            tgen.gears[rr.cards["a"]],
            tgen.gears[rr.cards["b"]],
            INTERCARD_IFNAME,
            INTERCARD_IFNAME,
        )
        for switch, ifname in rr.lines:
            sw = tgen.gears.get(switch) or tgen.add_switch(switch)
            for side, card in rr.cards.items():
                sw.add_link(
                    tgen.gears[card], myif=rr.port(switch, side), nodeif=ifname
                )
        return rr

    def add_frr_peer(self, name, switch, ifname=None):
        """Add an FRR router NAME on the line of switch (build_topo)."""
        self.tgen.add_router(name)
        self.tgen.gears[switch].add_link(
            self.tgen.gears[name],
            myif="%s-%s" % (switch, name),
            nodeif=ifname or "%s-eth0" % name,
        )

    def add_line_host(self, name, switch, address):
        """Add a host NAME (address/prefixlen) on the line of switch
        (build_topo), with no routing daemon; start_line_host after start()
        gives it its address."""
        self.tgen.add_router(name)
        self.tgen.gears[switch].add_link(
            self.tgen.gears[name], myif="%s-%s" % (switch, name), nodeif="%s-eth0" % name
        )
        self.line_hosts[name] = address

    def start_line_host(self, name):
        """Host NAME's address and links up (its log directory made)."""
        node = self.tgen.gears[name]
        os.makedirs(os.path.join(self.tgen.logdir, name), exist_ok=True)
        node.cmd_raises("ip addr add %s dev %s-eth0" % (self.line_hosts[name], name))
        node.cmd_raises("ip link set %s-eth0 up" % name)
        node.cmd_raises("ip link set lo up")

    def add_bird_peer(self, name, switch, address):
        """Add a BIRD 2 peer NAME (address/prefixlen) on the line of switch
        (build_topo); start it with start_bird_peer after start()."""
        self.add_line_host(name, switch, address)

    def start_bird_peer(self, name, config):
        """Run BIRD in NAME's namespace with the configuration file config
        (LOGFILE in it is replaced by the peer's log file)."""
        node = self.tgen.gears[name]
        logdir = os.path.join(self.tgen.logdir, name)
        os.makedirs(logdir, exist_ok=True)
        conf = os.path.join(logdir, "bird.conf")
        with open(config, encoding="ascii") as f:
            text = f.read().replace("LOGFILE", os.path.join(logdir, "bird.log"))
        with open(conf, "w", encoding="ascii") as f:
            f.write(text)
        self.start_line_host(name)
        node.cmd_raises(
            "bird -c %s -s %s/bird.ctl -P %s/bird.pid" % (conf, logdir, logdir)
        )

    def birdc(self, name, command):
        logdir = os.path.join(self.tgen.logdir, name)
        return self.tgen.gears[name].cmd("birdc -s %s/bird.ctl %s" % (logdir, command))

    def bird_session_view(self, name, protocol="r1"):
        """BIRD NAME's view of its session PROTOCOL: BGP state, since when
        (its state-change time: a reset moves it), routes imported."""
        out = self.birdc(name, "show protocols all %s" % protocol)
        view = {"bgpState": None, "since": None, "imported": None}
        m = re.search(r"^%s\s+BGP\s+\S+\s+\S+\s+(\S+ \S+|\S+)\s+(\S+)" % protocol, out, re.M)
        if m:
            view["since"] = BirdTime(m.group(1))
        m = re.search(r"BGP state:\s+(\S+)", out)
        if m:
            view["bgpState"] = m.group(1)
        m = re.search(r"Routes:\s+(\d+) imported", out)
        if m:
            view["imported"] = int(m.group(1))
        return view

    def stop_bird_peer(self, name):
        logdir = os.path.join(self.tgen.logdir, name)
        self.tgen.gears[name].cmd("kill $(cat %s/bird.pid) 2>/dev/null" % logdir)

    def add_gobgp_peer(self, name, switch, address):
        """Add a GoBGP peer NAME (address/prefixlen) on the line of switch
        (build_topo); start it with start_gobgp_peer after start()."""
        self.add_bird_peer(name, switch, address)

    def start_gobgp_peer(self, name, config):
        """Run gobgpd (Debian's gobgpd) in NAME's namespace with the TOML
        configuration file config; its API listens on the namespace's
        loopback only."""
        node = self.tgen.gears[name]
        logdir = os.path.join(self.tgen.logdir, name)
        self.start_line_host(name)
        node.cmd_raises(
            "nohup gobgpd -f %s -t toml --api-hosts 127.0.0.1:50051 --log-plain "
            ">%s/gobgpd.log 2>&1 & echo $! >%s/gobgpd.pid" % (config, logdir, logdir)
        )

    def gobgp(self, name, command):
        """gobgp CLI in NAME's namespace; JSON output parsed."""
        out = self.tgen.gears[name].cmd("gobgp -u 127.0.0.1 -p 50051 %s -j" % command)
        try:
            return json.loads(out)
        except ValueError:
            return {"error": out}

    def stop_gobgp_peer(self, name):
        logdir = os.path.join(self.tgen.logdir, name)
        self.tgen.gears[name].cmd("kill $(cat %s/gobgpd.pid) 2>/dev/null" % logdir)

    def start(self, confdir, peers=()):
        """Start the topology: the cards with CONFDIR/NAME/frr.conf, each
        FRR peer with CONFDIR/PEER/frr.conf (call from setup_module, after
        Topogen())."""
        self.tgen.start_topology()
        self.prepare()
        self.load_config(os.path.join(confdir, self.name, "frr.conf"))
        for peer in peers:
            self.tgen.gears[peer].load_frr_config(
                os.path.join(confdir, peer, "frr.conf"), daemons=FRR_PEER_DAEMONS
            )
        self.tgen.start_router()

    def port(self, switch, side):
        """Name of the bridge port of card side ('a'/'b') on switch."""
        return "%s-%s" % (switch, self.cards[side])

    def card(self, side):
        return self.tgen.gears[self.cards[side]]

    def other(self, side):
        return "b" if side == "a" else "a"

    # --- start -----------------------------------------------------------
    def prepare(self, router_index=1):
        """After start_topology, before start_router: same MAC on both
        cards' line interfaces, counters on the bridges, nobody on the line
        (hard's election puts the active card there)."""
        # both cards off the line first, as at power-up: the line
        # interfaces come up below and send at once (IPv6 MLD reports,
        # router solicitations); with the counters installed before the
        # ports were blocked, such a frame from card b was forwarded and
        # counted as card b on the line (seen once in CI, 2 frames)
        self._install_mastership()
        for li, (switch, ifname) in enumerate(self.lines):
            mac = _card_mac(router_index, li)
            for side in self.cards:
                # the interface down while its MAC changes: its IPv6
                # link-local address comes from the MAC as it comes up
                # again -- the same on both cards, like every address on
                # the line (the next hop of the IPv6 routes they announce)
                self.card(side).cmd_raises("ip link set %s down" % ifname)
                self.card(side).cmd_raises(
                    "ip link set %s address %s" % (ifname, mac)
                )
                # both cards have the line's addresses: IPv6 duplicate
                # address detection has no meaning there, and while it
                # runs (a second or so) the address cannot be bound -- a
                # switchover right after boot failed to re-create an IPv6
                # connection on the new card (EADDRNOTAVAIL)
                self.card(side).cmd_raises(
                    "sysctl -qw net.ipv6.conf.%s.accept_dad=0 net.ipv6.conf.%s.dad_transmits=0"
                    % (ifname, ifname)
                )
                self.card(side).cmd_raises("ip link set %s up" % ifname)
        self._install_counters()
        for side in self.cards:
            self.bgp_inbound_gate(side, True)
            self.ospf_gate(side, True)

    def ospf_gate(self, side, on):
        """The NFQUEUE rule of ospfd-ha's gate on card side (as
        doc/ospf-nsr.md has it): every OSPF packet the card sends waits in
        queue 89 until the active's ospfd-ha has what it depends on on the
        standby; "bypass" lets them through while nothing is bound."""
        self.card(side).cmd_raises(
            "iptables %s OUTPUT -p 89 -j NFQUEUE --queue-num 89 --queue-bypass"
            % ("-A" if on else "-D")
        )

    def bgp_inbound_gate(self, side, on):
        """The NFQUEUE rules of bgpd-ha's gate on card side (as
        doc/bgp-nsr.md has them): BGP segments -- a peer's arriving
        (INPUT), ours leaving (OUTPUT) -- wait in queue 179 until the
        active's bgpd-ha has them on the standby; "bypass" lets them
        through while nothing is bound to the queue."""
        for tool in ("iptables", "ip6tables"):
            for chain in ("INPUT", "OUTPUT"):
                for port in ("--dport", "--sport"):
                    self.card(side).cmd_raises(
                        "%s %s %s -p tcp %s 179 -j NFQUEUE --queue-num 179 --queue-bypass"
                        % (tool, "-A" if on else "-D", chain, port)
                    )

    def bridge_netns(self):
        """The namespace holding every line bridge, as a path hard can open."""
        paths = set()
        for switch, _ in self.lines:
            pid = self._switch(switch).net.pid
            paths.add(os.readlink("/proc/%d/ns/net" % pid))
        assert len(paths) == 1, "line bridges in several namespaces: %s" % paths
        return "/proc/%d/ns/net" % self._switch(self.lines[0][0]).net.pid

    def card_redundancy_lines(self, side, key=INTERCARD_KEY):
        """The redundancy block of card side, one command a line."""
        other = self.other(side)
        lines = [
            "slot %d" % (1 if side == "a" else 2),
            "peer %s key %s" % (INTERCARD_ADDR[other], key),
            "mastership bridge netns %s" % self.bridge_netns(),
        ]
        for switch, _ in self.lines:
            lines.append(
                "mastership bridge port %s peer-port %s"
                % (self.port(switch, side), self.port(switch, other))
            )
        return lines

    def write_card_config(self, shared_conf, side, extra=""):
        """The config of one card: the router's shared configuration plus
        this card's intercard address and redundancy block."""
        with open(shared_conf, encoding="utf-8") as f:
            conf = f.read()
        self.redundancy_lines[side] = self.card_redundancy_lines(side)
        conf += """
interface {ic}
 ip address {addr}/30
exit
!
redundancy
{block}
exit
!
{extra}
""".format(
            ic=INTERCARD_IFNAME,
            addr=INTERCARD_ADDR[side],
            block="\n".join(" " + line for line in self.redundancy_lines[side]),
            extra=extra,
        )
        path = os.path.join(self.tgen.logdir, "%s.frr.conf" % self.cards[side])
        with open(path, "w", encoding="utf-8") as f:
            f.write(conf)
        return path

    def load_config(self, shared_conf):
        """Load the cards' configuration: every HA-capable daemon with
        -M ha, plus mgmtd, staticd and hard."""
        for side in self.cards:
            router = self.card(side)
            path = self.write_card_config(shared_conf, side)
            router.load_frr_config(
                path,
                daemons=[
                    (TopoRouter.RD_ZEBRA, "-M ha"),
                    (TopoRouter.RD_MGMTD, None),
                    (TopoRouter.RD_STATIC, None),
                    (TopoRouter.RD_BGP, "-M ha"),
                    (TopoRouter.RD_OSPF, "-M ha"),
                    (TopoRouter.RD_ISIS, "-M ha"),
                    (TopoRouter.RD_RIP, "-M ha"),
                ],
            )
            # topotest has no hard; its generic daemon start handles it
            router.net.daemons.setdefault("hard", 0)
            router.net.loadConf("hard", "", None)

    # --- mastership ------------------------------------------------------
    def _switch(self, switch):
        return self.tgen.gears[switch]

    def on_line(self):
        """The cards whose ports forward on every line: [] / ['a'] / ['b']
        -- or both, which must never be."""
        offline = self._offline()  # one read: a consistent snapshot
        return [
            side
            for side in self.cards
            if all(self.port(sw, side) not in offline for sw, _ in self.lines)
        ]

    def configure_hard(self, side, lines):
        """Apply redundancy commands on card side through vtysh."""
        args = " ".join("-c '%s'" % line for line in ["configure terminal", "redundancy"] + lines)
        return self.card(side).cmd("vtysh %s 2>&1" % args)

    def hard_pid(self, side):
        return int(self.card(side).cmd_raises("cat /var/run/frr/hard.pid").strip())

    def kill_hard(self, side):
        self.card(side).cmd_raises("kill -9 %d" % self.hard_pid(side))

    def start_hard(self, side):
        """Start hard on card side again, with its configuration."""
        self.card(side).net.startRouterDaemons(daemons=["hard"])
        return self.configure_hard(side, self.redundancy_lines[side])

    def redundancy(self, side):
        return self.vtysh_json(side, "show redundancy json")

    def role(self, side):
        """Card side's role, or "down" when its hard does not answer."""
        try:
            return self.redundancy(side)["card"]["role"]
        except ValueError:
            return "down"

    def switchover_when_accepted(self, side, before_each=None, limit_s=600):
        """redundancy switchover on card side, refused while the standby's
        bgpd is behind (its backlog over the limit), retried once it has
        caught up, as an operator would (the standby's report is a
        snapshot: its backlog also grows again, e.g. when a resolved next
        hop makes bgpd select every best path again).  before_each() runs
        before each attempt; returns the accepted attempt's start (epoch s)
        and the refusals' results."""
        refused_at = time.time()
        refusals = []

        def backlog():
            return self.vtysh_json(side, "show redundancy bgp json").get("standbyBacklog", {})

        while True:
            if before_each:
                before_each()
            last = self.redundancy(side).get("lastSwitchover", {}).get("id", 0)
            start = time.time()
            assert "started" in self.card(side).vtysh_cmd("redundancy switchover")
            ok, diff = wait_for(
                lambda: {"ended or on its way": self.redundancy(side)["lastSwitchover"]["id"]
                         == last + 1
                         and (not self.redundancy(side)["lastSwitchover"]["inProgress"]
                              or self.role(side) != "active")},
                {"ended or on its way": True},
                title="the switchover refused, or on its way",
            )
            assert ok, diff
            result = self.redundancy(side)["lastSwitchover"]["result"]
            if "refused" not in result:
                return {"start": start, "refusals": refusals, "refused_at": refused_at}
            assert "not processed yet" in result, result
            refusals.append(result)
            assert len(refusals) < 100 and time.time() - refused_at < limit_s, refusals
            ok, diff = wait_for(
                lambda: {"under": backlog().get("total", 0) <= max(1, backlog().get("limit", 0))},
                {"under": True},
                count=1200,
                wait=0.5,
                title="the standby's bgpd caught up",
            )
            assert ok, diff

    def wait_active(self, active, title, redundant=True, only_active=False, count=200):
        """Poll until card active is active and alone on the line (and,
        unless only_active, the other card standby, and if redundant the
        router redundant).  only_active asks nothing of the other card,
        whose hard may be frozen (vtysh would block)."""
        standby = self.other(active)
        expected = {"roles": {active: "active"}, "online": [active]}
        if not only_active:
            expected["roles"][standby] = "standby"
            if redundant:
                expected["redundant"] = True

        def state():
            roles = {active: self.role(active)}
            if not only_active:
                roles[standby] = self.role(standby)
            out = {"roles": roles, "online": self.on_line()}
            if redundant and not only_active:
                out["redundant"] = roles[active] == "active" and self.redundancy(active)["redundant"]
            return out

        ok, diff = wait_for(state, expected, count=count, wait=0.05, title=title)
        assert ok, diff

    CARRIED = "bgpd carried it as standby"

    def wait_carried(self, standby, peers):
        """Wait until card standby's bgpd carries the session with each of
        peers: Established there on the replicated messages (doc/bgp-nsr.md,
        "The standby's bgpd")."""

        def state():
            sessions = self.vtysh_json(standby, "show redundancy bgp json")["sessions"]
            out = {}
            for p in peers:
                out[p] = {
                    "carried": sessions.get(p, {}).get("standbyBgpd", {}).get("carried"),
                    "bgpd": self.vtysh_json(standby, "show bgp neighbors %s json" % p)
                    .get(p, {})
                    .get("bgpState"),
                }
            return out

        ok, diff = wait_for(
            state,
            {p: {"carried": True, "bgpd": "Established"} for p in peers},
            count=120,
            title="card %s's bgpd carries the sessions" % standby,
        )
        assert ok, (diff, self.card(standby).vtysh_cmd("show redundancy bgp"))

    def switchover_with_bgp(self, old, new, bgp_peers=()):
        """redundancy switchover from card old to card new (redundant
        first, new's bgpd carrying each of bgp_peers); returns once new is
        active and its bgpd took each of bgp_peers over (Established)."""
        self.wait_active(old, "redundant before the switchover")
        self.wait_carried(new, bgp_peers)
        out = self.card(old).vtysh_cmd("redundancy switchover")
        assert "started" in out, out
        self.wait_active(new, "switched to card %s" % new, redundant=False)
        for peer in bgp_peers:
            ok, diff = wait_for(
                lambda: self.vtysh_json(new, "show bgp neighbors %s json" % peer).get(peer, {}),
                {"bgpState": "Established"},
                title="card %s's bgpd has the session with %s" % (new, peer),
            )
            assert ok, diff
            ok, diff = wait_for(
                lambda: {"lastTakeover": self.bgp_session(new, peer).get("lastTakeover")},
                {"lastTakeover": "taken over at a graceful switchover (%s)" % self.CARRIED},
                title="card %s's bgpd took the session with %s over" % (new, peer),
            )
            assert ok, diff

    def bgp_session(self, side, peer):
        "Card side's bgpd-ha record of the session with peer (show redundancy bgp)."
        return self.vtysh_json(side, "show redundancy bgp json")["sessions"].get(peer, {})

    def wait_bgp_takeover_ready(self, active, peer, held=None, settled=False):
        """Wait until the standby card's bgpd holds the session with peer
        ready for a takeover; with held, until card active's hard holds that
        many of bgpd's session sockets; with settled, until the standby's
        bgpd has been registered for 2 s (see doc/bgp-nsr.md)."""
        standby = self.other(active)

        def state():
            out = {"sync": self.bgp_session(standby, peer).get("syncState")}
            if held is not None:
                out["held"] = self.redundancy(active)["daemons"]["bgpd"]["heldSessionSockets"]
            if settled:
                out["settled"] = self.redundancy(standby)["daemons"]["bgpd"]["registeredSecs"] >= 2
            return out

        expected = {"sync": "ready"}
        if held is not None:
            expected["held"] = held
        if settled:
            expected["settled"] = True
        ok, diff = wait_for(state, expected, title="card %s ready to take %s over" % (standby, peer))
        assert ok, diff

    def kill_daemon(self, side, daemon):
        "kill -9 of daemon on card side (its pid as hard knows it)."
        pid = self.redundancy(side)["daemons"][daemon]["pid"]
        self.card(side).cmd_raises("kill -9 %d" % pid)

    def crash_bgpd_takeover(self, old, peer):
        """kill -9 of card old's bgpd; returns once the other card is active
        and its bgpd took the session with peer over with its connection."""
        new = self.other(old)
        self.wait_carried(new, [peer])
        self.kill_daemon(old, "bgpd")
        self.wait_active(new, "card %s took over after bgpd died on card %s" % (new, old), redundant=False)
        ok, diff = wait_for(
            lambda: self.bgp_session(new, peer),
            {"lastTakeover": "taken over after bgpd died on the old active (%s)" % self.CARRIED},
            title="card %s's bgpd took the session with %s over" % (new, peer),
        )
        assert ok, (diff, self.card(new).vtysh_cmd("show redundancy bgp"))

    def restart_bgpd(self, side, peer=None):
        """Start bgpd on card side (the standby) again; returns once the
        router is redundant and, with peer, side's bgpd holds that session
        ready for a takeover."""
        self.card(side).net.startRouterDaemons(daemons=["bgpd"])
        self.wait_active(self.other(side), "redundant again, card %s active" % self.other(side), count=400)
        if peer:
            self.wait_bgp_takeover_ready(self.other(side), peer)

    def restart_daemon(self, side, daemon):
        """Start daemon on card side (the standby) again; returns once the
        router is redundant again (its module synced)."""
        self.card(side).net.startRouterDaemons(daemons=[daemon])
        self.wait_active(self.other(side), "redundant again, card %s active" % self.other(side),
                         count=400)

    def wait_ospf_held(self, standby, neighbors):
        """Wait until card standby's ospfd holds each of neighbors (router
        ids) as the active's ospfd has it (doc/ospf-nsr.md), and its
        module is synced."""

        def state():
            j = self.vtysh_json(standby, "show redundancy ospf json")
            held = {n["routerId"]: n.get("held") for n in j.get("neighbors", {}).values()}
            return {"replication": j.get("replication"),
                    "held": {n: held.get(n) for n in neighbors}}

        ok, diff = wait_for(
            state,
            {"replication": "synced", "held": {n: True for n in neighbors}},
            count=120,
            title="card %s's ospfd holds the neighbours" % standby,
        )
        assert ok, (diff, self.card(standby).vtysh_cmd("show redundancy ospf"))

    def kill_card(self, side):
        """The death of card side, as the line and the other card see it:
        every process on it (hard and FRR's daemons) stopped at once, then
        its ports cut -- in the bridge, not by carrier loss, which the
        card's own daemons would see and act on (an interface going down
        ends eBGP sessions on it) -- and its end of the intercard link,
        then the processes killed.  Nothing it sends after the cut reaches
        the line or the other card: no FIN, no RST from its kernel as its
        processes die (a dead card's kernel sends nothing).  The other card
        learns it from the silence on the intercard link.

        The ports are not set down: on this one machine the dying card's
        kernel would then flush its routes (a million in bench/bgp.sh)
        under the routing netlink lock every namespace shares, and the
        surviving card's takeover, which takes that lock, would wait for
        the dead card's kernel -- which a real dead card's does not do."""
        pids = self.card(side).cmd("cat /var/run/frr/*.pid 2>/dev/null").split()
        assert pids, "no daemon running on card %s" % side
        # all at once, and before the cut: stopped first, so that none sees
        # another die (hard would freeze and hand over a dead bgpd's
        # connections: a bgpd crash, not a card's death) or the cut (hard,
        # finding its card off the line, would change its role, and bgpd
        # send the standby what it had not yet -- a card that dies does
        # not)
        self.card(side).cmd("kill -STOP %s" % " ".join(pids))
        for switch, _ in self.lines:
            self._switch(switch).cmd_raises(
                "nft add element %s '{ \"%s\" }'" % (NFT_OFFLINE, self.port(switch, side))
            )
        self.card(side).cmd_raises(
            "nft 'add table %s { chain in { type filter hook input priority -400; "
            "iifname \"%s\" drop; } ; chain out { type filter hook output priority -400; "
            "oifname \"%s\" drop; } ; }'" % (DEAD_CARD_TABLE, INTERCARD_IFNAME, INTERCARD_IFNAME))
        self.card(side).cmd("kill -9 %s" % " ".join(pids))
        logger.info("%s: card %s killed (line ports and intercard link cut, %d processes)",
                    self.name, self.cards[side], len(pids))

    def wait_rebuildable(self, active, peers):
        """Wait until the standby could rebuild the connection of each of
        peers' sessions from the gate's record (what the death of card
        active would need)."""
        standby = self.other(active)

        def state():
            sessions = self.vtysh_json(standby, "show redundancy bgp json")["sessions"]
            return {
                p: {k: sessions.get(p, {}).get(k) for k in ("state", "rebuildable")}
                for p in peers
            }

        ok, diff = wait_for(
            state,
            {p: {"state": "Established", "rebuildable": True} for p in peers},
            count=120,
            title="card %s can rebuild the connections" % standby,
        )
        assert ok, (diff, self.vtysh_json(standby, "show redundancy bgp json"))

    def card_death_takeover(self, old, peers):
        """Card old dies (kill_card) once the other card could rebuild the
        sessions with peers; returns once the other card is active and has
        taken each of them over with its connection rebuilt."""
        new = self.other(old)
        self.wait_rebuildable(old, peers)
        self.wait_carried(new, peers)
        taken = self.vtysh_json(new, "show redundancy bgp json")["sessionsTakenOver"]
        self.kill_card(old)
        self.wait_active(new, "card %s took over after card %s died" % (new, old),
                         only_active=True, count=400)
        ok, diff = wait_for(
            lambda: {p: self.bgp_session(new, p).get("lastTakeover") for p in peers},
            {p: "taken over after the death of the old active card (%s)" % self.CARRIED for p in peers},
            title="card %s took the sessions over" % new,
        )
        assert ok, (diff, self.card(new).vtysh_cmd("show redundancy bgp"))
        now = self.vtysh_json(new, "show redundancy bgp json")["sessionsTakenOver"]
        assert now == taken + len(peers), (taken, now)

    def revive_card(self, side, redundant=True):
        """Card side powered up again after kill_card: its line ports up
        (blocked: the other card has the line), every daemon and hard
        started with their configuration; returns once the router is
        redundant again (or, not redundant, once the card is standby)."""
        # a card that powers up again has a fresh kernel: the dead card's
        # connections -- orphans of its killed processes, their FINs still
        # retried into the cut port -- go (their RSTs too: the port is still
        # off the line); then its end of the intercard link is back
        self.card(side).cmd("ss -K '( sport = :179 or dport = :179 )' 2>/dev/null")
        self.card(side).cmd("nft delete table %s 2>/dev/null" % DEAD_CARD_TABLE)
        for switch, _ in self.lines:
            self._switch(switch).cmd_raises("ip link set %s up" % self.port(switch, side))
        self.card(side).net.startRouterDaemons()
        if self.role(side) == "down":
            self.card(side).net.startRouterDaemons(daemons=["hard"])
        self.configure_hard(side, self.redundancy_lines[side])
        self.wait_active(self.other(side), "card %s back as standby" % side, redundant=redundant,
                         count=400)

    def set_master(self, side):
        """Move mastership by hand, as broken hardware would (hard does it
        with its driver): first block the other card's ports, then open
        this card's."""
        other = self.other(side)
        for switch, _ in self.lines:
            self._switch(switch).cmd_raises(
                "nft add element %s '{ \"%s\" }'" % (NFT_OFFLINE, self.port(switch, other))
            )
        for switch, _ in self.lines:
            port = self.port(switch, side)
            self._switch(switch).cmd_raises(
                "nft add element %s '{ \"%s\" }'; nft delete element %s '{ \"%s\" }'"
                % (NFT_OFFLINE, port, NFT_OFFLINE, port)
            )
        logger.info("%s: mastership forced on card %s", self.name, self.cards[side])

    def _offline(self):
        out = self._switch(self.lines[0][0]).cmd_raises("nft -j list set %s" % NFT_OFFLINE)
        for item in json.loads(out)["nftables"]:
            if "set" in item:
                elems = item["set"].get("elem", [])
                return set(elems if isinstance(elems, list) else [elems])
        return set()

    def port_state(self, switch, side):
        """'forwarding' if card side's port on switch is on the line,
        'blocked' if not."""
        return "blocked" if self.port(switch, side) in self._offline() else "forwarding"

    # --- line "hardware" ---------------------------------------------------
    def _install_mastership(self):
        """At power-up no card is on the line: both cards' ports offline."""
        ports = ", ".join(
            '"%s"' % self.port(sw, side) for sw, _ in self.lines for side in self.cards
        )
        self._switch(self.lines[0][0]).cmd_raises(
            "nft -f - <<'EOF'\n"
            "table bridge %s {\n"
            " set offline { type ifname; elements = { %s } }\n"
            # prerouting: before the bridge learns the shared MAC there
            " chain mastership_in { type filter hook prerouting priority -300;\n"
            "  iifname @offline drop; }\n"
            " chain mastership_out { type filter hook forward priority -10;\n"
            "  oifname @offline drop; }\n"
            "}\nEOF" % (NFT_TABLE, ports)
        )

    # --- line counters ---------------------------------------------------
    def _install_counters(self):
        for switch, _ in self.lines:
            sw = self._switch(switch)
            sw.cmd_raises("nft add table bridge %s" % NFT_TABLE)
            sw.cmd_raises(
                "nft add chain bridge %s fwd_%s "
                "'{ type filter hook forward priority 0; }'" % (NFT_TABLE, switch)
            )
            for side in self.cards:
                sw.cmd_raises(
                    "nft add rule bridge %s fwd_%s iifname %s counter"
                    % (NFT_TABLE, switch, self.port(switch, side))
                )

    def forwarded_from(self, switch, side):
        """Frames the bridge forwarded from card side's port: what that
        card has put on the line."""
        out = self._switch(switch).cmd_raises(
            "nft -j list chain bridge %s fwd_%s" % (NFT_TABLE, switch)
        )
        port = self.port(switch, side)
        for item in json.loads(out)["nftables"]:
            rule = item.get("rule")
            if not rule:
                continue
            match = counter = None
            for expr in rule["expr"]:
                if "match" in expr:
                    match = expr["match"]["right"]
                if "counter" in expr:
                    counter = expr["counter"]["packets"]
            if match == port:
                return counter
        raise KeyError(port)

    def watch_tcp_teardown(self, switch, saddr, sport=None, dport=None, name="all"):
        """Count, from now on, TCP segments with FIN or RST from saddr (and
        the given ports) that the line bridge forwards: what a peer would
        see of a connection being closed or reset by the router."""
        sw = self._switch(switch)
        counter = "teardown_%s_%s" % (switch, name)
        ports = ""
        if sport:
            ports += " tcp sport %d" % sport
        if dport:
            ports += " tcp dport %d" % dport
        sw.cmd_raises("nft add counter bridge %s %s" % (NFT_TABLE, counter))
        family = "ip6" if ":" in saddr else "ip"
        sw.cmd_raises(
            "nft add rule bridge %s fwd_%s %s saddr %s%s tcp flags '& (fin | rst) != 0' "
            "counter name %s" % (NFT_TABLE, switch, family, saddr, ports, counter)
        )
        # the same segments captured, so that a count above 0 can say which
        # connection it was (every port of the switch: seen once coming in
        # from a card and once going out to the peer)
        # (tcp[] does not reach past an IPv6 header: its flags byte directly)
        flags = "ip6[53] & 5 != 0" if family == "ip6" else "tcp[tcpflags] & (tcp-rst|tcp-fin) != 0"
        sw.cmd(
            "nohup tcpdump -i any -U -w %s '%s src %s and tcp and %s' >/dev/null 2>&1 &"
            % (self._teardown_pcap(switch, name), family, saddr, flags)
        )
        # and every BGP segment, headers only: what a failure needs
        sw.cmd(
            "nohup tcpdump -i any -U -s 128 -w %s 'tcp port 179' >/dev/null 2>&1 &"
            % self._teardown_pcap(switch, name + "_bgp")
        )

    def _teardown_pcap(self, switch, name):
        logdir = os.path.join(self.tgen.logdir, switch)
        os.makedirs(logdir, exist_ok=True)
        return os.path.join(logdir, "teardown_%s.pcap" % name)

    def tcp_teardowns(self, switch, name="all"):
        """The FIN and RST segments counted by watch_tcp_teardown(switch,
        name), as tcpdump prints them (with their time)."""
        out = self._switch(switch).cmd(
            "tcpdump -nr %s 2>/dev/null" % self._teardown_pcap(switch, name)
        )
        return [line for line in out.splitlines() if line.strip()]

    def tcp_teardown_count(self, switch, name="all"):
        out = self._switch(switch).cmd_raises(
            "nft -j list counter bridge %s teardown_%s_%s" % (NFT_TABLE, switch, name)
        )
        for item in json.loads(out)["nftables"]:
            if "counter" in item:
                return item["counter"]["packets"]
        raise KeyError(switch)

    def block_data_channel(self, side, daemon):
        """Drop, from now on, what card side sends on daemon's data channel
        to the other card (its replication deltas), leaving every other
        connection -- hard's control channel, the line -- alone.  Returns
        the channel's (local port, remote port)."""
        card = self.card(side)
        peer_addr = INTERCARD_ADDR[self.other(side)]
        out = card.cmd_raises("ss -tnpH state established dst %s" % peer_addr)
        for line in out.splitlines():
            if '"%s"' % daemon not in line:
                continue
            fields = line.split()
            local, remote = fields[2], fields[3]
            lport, rport = int(local.rsplit(":", 1)[1]), int(remote.rsplit(":", 1)[1])
            card.cmd_raises(
                "nft add table inet frrha_block && "
                "nft 'add chain inet frrha_block out { type filter hook output priority 0; }' && "
                "nft add rule inet frrha_block out ip daddr %s tcp sport %d tcp dport %d drop"
                % (peer_addr, lport, rport)
            )
            return lport, rport
        raise KeyError("no data channel of %s on card %s: %s" % (daemon, side, out))

    def unblock_data_channel(self, side):
        self.card(side).cmd("nft delete table inet frrha_block")

    def sent_into_port(self, switch, side):
        """Frames card side transmitted towards the bridge (whether or not
        the bridge let them through): rx counter of its bridge port."""
        out = self._switch(switch).cmd_raises(
            "ip -j -s link show dev %s" % self.port(switch, side)
        )
        return json.loads(out)[0]["stats64"]["rx"]["packets"]

    # --- views -------------------------------------------------------------
    def vtysh_json(self, side, cmd):
        out = self.card(side).vtysh_cmd(cmd)
        # vtysh's own complaint about a daemon that died as it connected
        # ("vtysh: error reading from bgpd: ...", on the same output)
        # comes before the answer: the JSON starts at the first line that
        # opens an object or an array
        start = min((i for i in (out.find("{"), out.find("[")) if i >= 0), default=0)
        if start:
            logger.info("vtysh on card %s said before its answer: %s", side, out[:start].strip())
        return json.loads(out[start:])


class ManyBirdSessions:
    """N eBGP sessions between one BIRD 2 peer and a two-card router (BIRD
    runs one session per neighbour address): session i between BIRD's
    10.0.2.i+1 and the router's 10.0.3.i+1 (both /16 on the line, the
    router's 10.0.1.1), each announcing k prefixes of its own (12.i.j.0/24)
    and receiving the router's 10.100.1.0/24; session 0 also announces a
    table of `table` prefixes (13.0.0.0/24 on) with a mix of attributes:
    MED, communities, large communities, AS paths of 1 to 4 ASes.  Use:
    build() from build_topo, router_confdir() for RedundantRouter.start,
    start_bird() after it."""

    def __init__(self, router, bird, n, k, hold=9, keepalive=3, table=0):
        assert n <= 250, "at most 250 sessions"
        assert table <= 4000000, "at most 4 000 000 prefixes in the table"
        self.router, self.bird, self.n, self.k = router, bird, n, k
        self.hold, self.keepalive, self.table = hold, keepalive, table

    @staticmethod
    def bird_addr(i):
        return "10.0.2.%d" % (i + 1)

    @staticmethod
    def router_addr(i):
        return "10.0.3.%d" % (i + 1)

    def build(self, switch):
        self.router.add_bird_peer(self.bird, switch, "10.0.1.3/16")

    def router_confdir(self):
        "The router's configuration with the n neighbours, in the log directory."
        confdir = os.path.join(self.router.tgen.logdir, "conf")
        os.makedirs(os.path.join(confdir, self.router.name), exist_ok=True)
        with open(os.path.join(confdir, self.router.name, "frr.conf"), "w", encoding="ascii") as f:
            f.write(
                "hostname %s\nlog timestamp precision 6\n!\ninterface %s-eth0\n"
                " ip address 10.0.1.1/16\n" % (self.router.name, self.router.name)
                + "".join(" ip address %s/16\n" % self.router_addr(i) for i in range(self.n))
                + "exit\n!\nip route 10.100.1.0/24 blackhole\n!\n"
                "router bgp 65001\n bgp router-id 10.255.0.1\n no bgp ebgp-requires-policy\n"
                " neighbor B peer-group\n neighbor B remote-as 65003\n"
                " neighbor B timers %d %d\n neighbor B timers connect 1\n"
                % (self.keepalive, self.hold)
            )
            if self.table:
                # every session is BIRD's AS: not the table sent back to
                # the other sessions, to be dropped there (AS path loop)
                f.write(" neighbor B sender-as-path-loop-detection\n")
            for i in range(self.n):
                f.write(" neighbor %s peer-group B\n" % self.bird_addr(i))
                f.write(" neighbor %s update-source %s\n" % (self.bird_addr(i), self.router_addr(i)))
            f.write(
                " address-family ipv4 unicast\n  network 10.100.1.0/24\n"
                " exit-address-family\nexit\n"
            )
        return confdir

    def _bird_conf(self):
        path = os.path.join(self.router.tgen.logdir, "%s-sessions.conf" % self.bird)
        with open(path, "w", encoding="ascii") as f:
            f.write('router id 10.255.0.3;\nlog "LOGFILE" all;\n')
            f.write("debug protocols { states, events };\n")
            f.write("timeformat protocol iso long ms;\nprotocol device {}\n")
            for i in range(self.n):
                f.write("protocol static st%d {\n\tipv4;\n" % i)
                for j in range(self.k):
                    f.write("\troute 12.%d.%d.0/24 blackhole;\n" % (i, j))
                f.write("}\n")
            if self.table:
                f.write("protocol static fulltable {\n\tipv4;\n")
                for i in range(self.table):
                    f.write("\troute %d.%d.%d.0/24 blackhole { %s };\n"
                            % (13 + (i >> 16), (i >> 8) & 255, i & 255, self._table_attrs(i)))
                f.write("}\n")
            for i in range(self.n):
                export = 'proto = "st%d"' % i
                if i == 0 and self.table:
                    export += ' || proto = "fulltable"'
                f.write(
                    "protocol bgp s%d {\n\tdisabled;\n\tlocal %s as 65003;\n"
                    "\tneighbor %s as 65001;\n\thold time %d;\n\tkeepalive time %d;\n"
                    "\tipv4 { import all; export where %s; };\n}\n"
                    % (i, self.bird_addr(i), self.router_addr(i), self.hold, self.keepalive,
                       export)
                )
        return path

    @staticmethod
    def _table_attrs(i):
        """Route i's attributes: a MED; a community on most, a second on
        some, a large community on a few; 0 to 3 more ASes in the path --
        so that routes share attribute sets in groups of varied sizes, as
        in a full table."""
        attrs = ["bgp_med = %d;" % (i % 997)]
        if i % 4:
            attrs.append("bgp_community.add((65003, %d));" % (i % 211))
        if i % 7 == 0:
            attrs.append("bgp_community.add((65010, %d));" % (i % 13))
        if i % 31 == 0:
            attrs.append("bgp_large_community.add((65003, %d, %d));" % (i % 5, i % 17))
        for hop in range(i % 4):
            attrs.append("bgp_path.prepend(%d);" % (64600 + (i >> (4 + 3 * hop)) % 50))
        return " ".join(attrs)

    def start_bird(self):
        """BIRD with its n addresses and the sessions (disabled: enable()),
        and a capture of every FIN and RST on its interface
        (BIRD/fin-rst.pcap in the log directory)."""
        node = self.router.tgen.gears[self.bird]
        for i in range(self.n):
            node.cmd_raises("ip addr add %s/16 dev %s-eth0" % (self.bird_addr(i), self.bird))
        self.router.start_bird_peer(self.bird, self._bird_conf())
        pcap = os.path.join(self.router.tgen.logdir, self.bird, "fin-rst.pcap")
        node.cmd(
            "nohup tcpdump -i %s-eth0 -U -w %s 'tcp[tcpflags] & (tcp-rst|tcp-fin) != 0' "
            ">/dev/null 2>&1 &" % (self.bird, pcap)
        )
        # and of the router's segments that carry data (its BGP messages)
        pcap = os.path.join(self.router.tgen.logdir, self.bird, "router-data.pcap")
        node.cmd(
            "nohup tcpdump -i %s-eth0 -U -s 96 -w %s "
            "'src net 10.0.3.0/24 and tcp[tcpflags] & tcp-push != 0' >/dev/null 2>&1 &"
            % (self.bird, pcap)
        )

    def enable(self):
        self.router.birdc(self.bird, 'enable \\"s*\\"')

    def view(self):
        "BIRD's view: {session: (state, since)} for every BGP session."
        view = {}
        for line in self.router.birdc(self.bird, "show protocols").splitlines():
            m = re.match(r"^(s\d+)\s+BGP\s+\S+\s+(\S+)\s+(\S+ \S+)\s+(\S+)", line)
            if m:
                view[m.group(1)] = (m.group(4), m.group(3))
        return view

    def noticed(self, before, seconds=12):
        """Sessions whose state or state-change time BIRD changed within
        seconds (default: more than a 9 s hold time): {session: [before,
        what BIRD showed]}."""
        deadline = time.time() + seconds
        changed = {}
        while time.time() < deadline:
            now = self.view()
            for name in before:
                if name not in changed and not self._same(before[name], now.get(name)):
                    changed[name] = [before[name], now.get(name)]
            time.sleep(1)
        return changed

    @staticmethod
    def _same(before, now):
        "Same state, same state-change time (BirdTime: within its slack)."
        return bool(now) and before[0] == now[0] and BirdTime(before[1]) == now[1]

    def first_sent_after(self, since):
        """For each of the router's addresses, the time (epoch s) of the
        first segment with data (a BGP message) it sent BIRD after since,
        from the capture."""
        pcap = os.path.join(self.router.tgen.logdir, self.bird, "router-data.pcap")
        out = self.router.tgen.gears[self.bird].cmd("tcpdump -tt -nr %s 2>/dev/null" % pcap)
        first = {}
        for line in out.splitlines():
            m = re.match(r"^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+)\.\d+ > ", line)
            if m and float(m.group(1)) > since and m.group(2) not in first:
                first[m.group(2)] = float(m.group(1))
        return first

    def teardowns(self):
        "Every FIN and RST between BIRD and the router so far, from the capture."
        pcap = os.path.join(self.router.tgen.logdir, self.bird, "fin-rst.pcap")
        out = self.router.tgen.gears[self.bird].cmd("tcpdump -nr %s 2>/dev/null" % pcap)
        return [line for line in out.splitlines() if line.strip()]

    def ready(self, active):
        """Sessions Established on card active, and held ready for a
        takeover by the other card."""
        standby = self.router.other(active)
        est = self.router.vtysh_json(active, "show bgp ipv4 unicast summary json").get("peers", {})
        ready = self.router.vtysh_json(standby, "show redundancy bgp json")["sessions"]
        return {
            "established": sum(1 for p in est.values() if p.get("state") == "Established"),
            "ready": sum(1 for x in ready.values() if x.get("syncState") == "ready"),
        }

    def wait_ready(self, active, title):
        ok, diff = wait_for(
            lambda: self.ready(active),
            {"established": self.n, "ready": self.n},
            count=600,
            wait=0.2,
            title=title,
        )
        assert ok, (self.ready(active), diff)


def frr_peer_churn(peer, logdir, asn, prefixes, on):
    """Start (on) or stop an FRR peer announcing and withdrawing prefixes
    in a loop (a vtysh loop in its namespace, script in logdir)."""
    peer.cmd("pkill -f frrha-churn-loop")
    if not on:
        return
    head = (
        "vtysh -c 'configure terminal' -c 'router bgp %d' -c 'address-family ipv4 unicast'" % asn
    )
    script = os.path.join(logdir, "frrha-churn-loop.sh")
    with open(script, "w") as f:
        f.write(
            "while true; do\n  %s %s\n  %s %s\ndone\n"
            % (
                head,
                " ".join("-c 'network %s'" % p for p in prefixes),
                head,
                " ".join("-c 'no network %s'" % p for p in prefixes),
            )
        )
    peer.cmd("nohup bash %s >/dev/null 2>&1 &" % script)


def frr_peer_collisions(peer_logdir):
    """Connection collisions an FRR peer resolved so far (its NOTIFICATIONs
    Cease/Connection Collision Resolution, from its bgpd.log in
    peer_logdir)."""
    path = os.path.join(peer_logdir, "bgpd.log")
    with open(path, errors="replace") as f:
        return sum(1 for line in f if "sent to neighbor" in line and "Collision Resolution" in line)


def view_after_one_reset(view, before, collisions, collisions_before):
    """An FRR peer's session view (peer_bgp_session_view) after one reset
    of its session, with the flaps of connection collisions it resolved
    since collisions_before taken out: two FRR speakers reconnecting at the
    same moment after a reset may resolve a collision with one more flap of
    the new session -- FRR's behaviour, seen in the peer's log as
    Cease/Connection Collision Resolution; such flaps are allowed, no
    other."""
    now = view()
    extra = min(
        collisions() - collisions_before,
        max(0, now["connectionsEstablished"] - before["connectionsEstablished"] - 1),
    )
    return dict(
        now,
        connectionsEstablished=now["connectionsEstablished"] - extra,
        connectionsDropped=now["connectionsDropped"] - extra,
    )


def ha_wire_version():
    "The wire version this tree's modules speak (lib/ha_wire.h)."
    path = os.path.join(os.path.dirname(os.path.realpath(__file__)), "../../lib/ha_wire.h")
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) >= 3 and words[:2] == ["#define", "HA_WIRE_VERSION"]:
                return int(words[2])
    raise AssertionError("no HA_WIRE_VERSION in %s" % path)


def log_lines(router, side, daemon, text):
    "Lines of card side's daemon log that contain text."
    path = os.path.join(router.tgen.logdir, router.cards[side], "%s.log" % daemon)
    with open(path, errors="replace") as f:
        return [line for line in f if text in line]


def log_time(line):
    "The timestamp of an FRR log line (log timestamp precision 6), epoch s."
    stamp = " ".join(line.split()[:2])
    # (a daemon restarted alone has not read the configuration's precision:
    # whole seconds)
    fmt = "%Y/%m/%d %H:%M:%S.%f" if "." in stamp else "%Y/%m/%d %H:%M:%S"
    return datetime.datetime.strptime(stamp, fmt).timestamp()


def peer_bgp_neighbor(peer, address):
    """The peer's view of one BGP session: state, uptime, transitions."""
    out = json.loads(peer.vtysh_cmd("show bgp neighbors %s json" % address))
    return out.get(address, {})


def peer_updates_received(peer, address):
    """How many UPDATEs (End-of-RIB markers included) an FRR peer received
    on its session with address: a takeover's re-advertisement of routes
    the peer has would raise it."""
    return peer_bgp_neighbor(peer, address).get("messageStats", {}).get("updatesRecv")


def peer_bgp_session_view(peer, address):
    """What an FRR peer's own counters say of its session with address:
    its state and how many times it was established and dropped -- a
    reset shows in them."""
    n = peer_bgp_neighbor(peer, address)
    return {k: n.get(k) for k in ("bgpState", "connectionsEstablished", "connectionsDropped")}


def peer_paws_rejected(peer):
    """How many segments the peer's kernel dropped as older than the last
    timestamp it had on their connection (TcpExt PAWSEstab): a connection
    rebuilt with its timestamp clock behind the old card's is dropped that
    way, silently, until the peer's hold timer expires."""
    lines = [line.split() for line in peer.cmd("cat /proc/net/netstat").splitlines()]
    for names, values in zip(lines, lines[1:]):
        if names and names[0] == "TcpExt:" and values[0] == "TcpExt:":
            return int(values[names.index("PAWSEstab")])
    raise KeyError("TcpExt PAWSEstab")


def peer_ospf_neighbors(peer):
    """The peer's OSPF neighbours: {router-id: [ {nbrState, ...}, ...]}."""
    return json.loads(peer.vtysh_cmd("show ip ospf neighbor json")).get(
        "neighbors", {}
    )


def peer_ospf_full(peer, router_id):
    """{"full": True} when the peer has router_id as a Full neighbour
    (as DR, Backup or DROther: the role depends on election timing)."""
    states = [n.get("nbrState", "") for n in peer_ospf_neighbors(peer).get(router_id, [])]
    return {"full": any(s.startswith("Full") for s in states), "states": states}


def peer_routes(peer, prefix=None):
    cmd = "show ip route %s json" % prefix if prefix else "show ip route json"
    return json.loads(peer.vtysh_cmd(cmd))


class BirdTime(str):
    """A time BIRD prints ("since" in show protocols), equal to another
    within BIRD_TIME_SLACK_MS: BIRD keeps it on its monotonic clock and
    converts it to wall-clock time for each display, which moves the
    printed milliseconds by one now and then (seen: 03:11:13.166, then
    .167, the session untouched).  A reset moves it by far more: a new
    connection and OPEN exchange."""

    BIRD_TIME_SLACK_MS = 10

    def _ms(self):
        m = re.search(r"(?:(\d+)-(\d+)-(\d+) )?(\d+):(\d+):(\d+)(?:\.(\d+))?$", self)
        if not m:
            return None
        day = int(m.group(3) or 0)
        frac = (m.group(7) or "0").ljust(3, "0")[:3]
        return (((day * 24 + int(m.group(4))) * 60 + int(m.group(5))) * 60
                + int(m.group(6))) * 1000 + int(frac)

    def __eq__(self, other):
        if isinstance(other, str):
            a, b = self._ms(), BirdTime(other)._ms()
            if a is not None and b is not None:
                return abs(a - b) <= self.BIRD_TIME_SLACK_MS
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def hold_unchanged(view, before, seconds=12, teardowns=None):
    """For seconds (default 12: over a 9 s hold time), the peer's view of
    its session must stay before; with teardowns = (router, switch, name,
    count), the FIN/RST counter name must stay at count."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        now = view()
        assert now == before, (before, now)
        if teardowns:
            router, switch, name, count = teardowns
            assert router.tcp_teardown_count(switch, name) == count, (
                "FIN/RST from the router on the line",
                router.tcp_teardowns(switch, name),
            )
        time.sleep(0.5)


def wait_stable(view, seconds=1.0, timeout=30):
    """Wait until view() has not changed for seconds (BIRD stamps its
    protocol's state-change time twice, a millisecond apart, as a session
    comes up: a view taken in between is not the session's)."""
    deadline = time.time() + timeout
    last, since = view(), time.time()
    while time.time() < deadline:
        time.sleep(0.2)
        now = view()
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= seconds:
            return now
    assert False, "view not stable for %.1f s: %s" % (seconds, last)


def daemon_rss_mb(node, daemon="bgpd"):
    "Resident memory of daemon on node (its pid file in the node's /var/run/frr), MB."
    pid = node.cmd("cat /var/run/frr/%s.pid 2>/dev/null" % daemon).strip()
    for line in node.cmd("cat /proc/%s/status" % pid).splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return None


def pin_daemons(node, cpu, pidfiles=None):
    """Pin every thread of node's daemons (their pid files in the node's
    /var/run/frr, or the files pidfiles) to CPU cpu (benchmarks)."""
    files = " ".join(pidfiles) if pidfiles else "/var/run/frr/*.pid"
    node.cmd("for f in %s; do taskset -a -p -c %d $(cat $f) >/dev/null; done" % (files, cpu))


def wait_for(func, expected, count=60, wait=0.5, title=""):
    """Poll func() until it matches expected (topotest.json_cmp rules) or
    time runs out; returns (ok, last result).  FRR's run_and_expect
    replaces a total under 15 s by 20 polls 3 s apart; the count is raised
    instead, so that polling stays as fine as asked."""
    count = max(count, int(math.ceil(15.0 / wait)))
    ok, result = topotest.run_and_expect(
        lambda: topotest.json_cmp(func(), expected), None, count=count, wait=wait
    )
    if not ok:
        logger.info("%s: not reached, last difference: %s", title, result)
        # the difference as text: what an assertion message should show
        return ok, "%s: %s" % (title, result)
    return ok, result
