# SPDX-License-Identifier: GPL-2.0-or-later
"""
Two-card redundant router harness for frr-ha topotests.

A redundant router NAME is two cards, network namespaces NAMEa and NAMEb,
each running a full FRR (every daemon with -M ha) and hard.  The cards are
joined by an intercard link "ic0" (169.254.77.0/30).  Every line interface
of the router is a bridge (a topotest switch) shared by both cards and the
peers; both cards use the same interface name, IP addresses and MAC on it.
The card that holds mastership has its bridge port forwarding; the other
card's port is blocked (bridge port state "disabled"), so nothing it sends
reaches the line and nothing from the line reaches it.

nftables counters in the bridges' namespace count, per bridge port, the
frames the bridge forwarded from that port: what a card put on the line.
"""
import json
import os

from lib import topotest
from lib.topogen import TopoRouter
from lib.topolog import logger

HA_MODULE_DAEMONS = ("zebra", "bgpd", "ospfd", "isisd", "ripd")
INTERCARD_IFNAME = "ic0"
INTERCARD_ADDR = {"a": "169.254.77.1", "b": "169.254.77.2"}
INTERCARD_KEY = "frr-ha-topotest-key"
BRIDGE_PORT_DISABLED = 0
BRIDGE_PORT_FORWARDING = 3
NFT_TABLE = "frrha"
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
        self.cards = {"a": name + "a", "b": name + "b"}
        self.master = None

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
        cards' line interfaces, counters on the bridges, card a master."""
        for li, (switch, ifname) in enumerate(self.lines):
            mac = _card_mac(router_index, li)
            for side in self.cards:
                self.card(side).cmd_raises(
                    "ip link set %s address %s" % (ifname, mac)
                )
        self._install_counters()
        self.set_master("a")

    def write_card_config(self, shared_conf, side, extra=""):
        """The config of one card: the router's shared configuration plus
        this card's intercard address and redundancy block."""
        other = self.other(side)
        with open(shared_conf, encoding="utf-8") as f:
            conf = f.read()
        conf += """
interface {ic}
 ip address {addr}/30
exit
!
redundancy
 slot {slot}
 peer {peer} key {key}
exit
!
{extra}
""".format(
            ic=INTERCARD_IFNAME,
            addr=INTERCARD_ADDR[side],
            slot=1 if side == "a" else 2,
            peer=INTERCARD_ADDR[other],
            key=INTERCARD_KEY,
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

    def set_master(self, side):
        """Move mastership of every line interface to card side: first
        block the other card's ports, then open this card's, so that no
        moment has both cards on the line."""
        other = self.other(side)
        for switch, _ in self.lines:
            self._switch(switch).cmd_raises(
                "bridge link set dev %s state %d"
                % (self.port(switch, other), BRIDGE_PORT_DISABLED)
            )
        for switch, _ in self.lines:
            self._switch(switch).cmd_raises(
                "bridge link set dev %s state %d"
                % (self.port(switch, side), BRIDGE_PORT_FORWARDING)
            )
        self.master = side
        logger.info("%s: mastership on card %s", self.name, self.cards[side])

    def port_state(self, switch, side):
        out = self._switch(switch).cmd_raises(
            "bridge -j link show dev %s" % self.port(switch, side)
        )
        return json.loads(out)[0]["state"]

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

    def sent_into_port(self, switch, side):
        """Frames card side transmitted towards the bridge (whether or not
        the bridge let them through): rx counter of its bridge port."""
        out = self._switch(switch).cmd_raises(
            "ip -j -s link show dev %s" % self.port(switch, side)
        )
        return json.loads(out)[0]["stats64"]["rx"]["packets"]

    # --- views -------------------------------------------------------------
    def vtysh_json(self, side, cmd):
        return json.loads(self.card(side).vtysh_cmd(cmd))


def peer_bgp_neighbor(peer, address):
    """The peer's view of one BGP session: state, uptime, transitions."""
    out = json.loads(peer.vtysh_cmd("show bgp neighbors %s json" % address))
    return out.get(address, {})


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


def wait_for(func, expected, count=60, wait=0.5, title=""):
    """Poll func() until it matches expected (topotest.json_cmp rules) or
    time runs out; returns (ok, last result)."""
    ok, result = topotest.run_and_expect(
        lambda: topotest.json_cmp(func(), expected), None, count=count, wait=wait
    )
    if not ok:
        logger.info("%s: not reached, last difference: %s", title, result)
    return ok, result
