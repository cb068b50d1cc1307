#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
BGP non-stop routing over IPv6, iBGP, two address families: an iBGP
session over an IPv6 connection, carrying IPv4 and IPv6 unicast, moves
with its TCP connection at graceful switchovers a->b->a; the FRR peer p1
sees nothing (state, connection counters, no FIN/RST on the session's
connection, and not one UPDATE for the IPv4 and IPv6 routes it has from
r1: bgpd's re-advertisement after a takeover is filtered against what p1
has) and its IPv4 and IPv6 routes are in the new active's RIB.  The
same after kill -9 of the active's bgpd, and after the death of the whole
active card (the connection rebuilt from the gate's record).
"""
import json
import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import (
    RedundantRouter,
    hold_unchanged,
    peer_bgp_session_view,
    peer_updates_received,
    wait_for,
    wait_stable,
)

pytestmark = [pytest.mark.bgpd, pytest.mark.hard]

R1 = None
PEER = "fd00:1::2"
R1_ADDR = "fd00:1::1"


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    R1.add_frr_peer("p1", "s1")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD, peers=["p1"])


def teardown_module(mod):
    get_topogen().stop_topology()


def _p1():
    return get_topogen().gears["p1"]


# r1's own routes, one per AFI (a takeover's re-advertisement must not
# send them again)
R1_ROUTES = (("ipv4", "10.100.1.0/24"), ("ipv6", "fd00:100::/64"))


def _p1_view():
    """p1's session counters, and how many UPDATEs it got from r1."""
    view = peer_bgp_session_view(_p1(), R1_ADDR)
    view["updatesReceived"] = peer_updates_received(_p1(), R1_ADDR)
    return view


def _p1_routes_from_r1():
    return {
        prefix: len(
            json.loads(_p1().vtysh_cmd("show bgp %s unicast %s json" % (afi, prefix))).get(
                "paths", []
            )
        )
        for afi, prefix in R1_ROUTES
    }


def _gated(side):
    gate = R1.vtysh_json(side, "show redundancy bgp json")["inboundGate"]
    return gate["segmentsGated"] if gate["bound"] else 0


def test_ipv6_session_replicated():
    "The IPv6 session is up and the standby holds it."
    R1.wait_active("a", "boot election")
    ok, diff = wait_for(_p1_view, {"bgpState": "Established"}, count=80, title="p1 Established")
    assert ok, diff
    ok, diff = wait_for(
        _p1_routes_from_r1, {prefix: 1 for _, prefix in R1_ROUTES}, title="p1 has r1's routes"
    )
    assert ok, diff
    # and nothing more comes (r1's End-of-RIBs)
    wait_stable(_p1_view, seconds=2)
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy bgp json")["sessions"].get(PEER, {}),
        {"state": "Established"},
        title="the standby holds the session",
    )
    assert ok, diff


def test_ipv6_session_survives_graceful_switchovers():
    "Graceful switchovers a->b->a move the IPv6 session with its connection."
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)
    n = R1.vtysh_json("a", "show bgp neighbors %s json" % PEER)[PEER]
    R1.watch_tcp_teardown(
        "s1", R1_ADDR, sport=n["portLocal"], dport=n["portForeign"], name="v6session"
    )
    for old, new in (("a", "b"), ("b", "a")):
        before = _p1_view()
        assert before["bgpState"] == "Established", before
        R1.switchover_with_bgp(old, new, [PEER])
        hold_unchanged(_p1_view, before, teardowns=(R1, "s1", "v6session", 0))
        ok, diff = wait_for(
            lambda: R1.vtysh_json(new, "show bgp ipv6 unicast json").get("routes", {}),
            {"fd00:200::/64": [{"valid": True}]},
            title="p1's IPv6 route on card %s" % new,
        )
        assert ok, diff
        ok, diff = wait_for(
            lambda: R1.vtysh_json(new, "show bgp ipv4 unicast json").get("routes", {}),
            {"10.200.1.0/24": [{"valid": True}]},
            title="p1's IPv4 route on card %s" % new,
        )
        assert ok, diff
        # the inbound gate holds the adopted IPv6 connection's segments too
        # (p1's keepalives every 3 s)
        ok, diff = wait_for(
            lambda: {"gated": _gated(new) > 0},
            {"gated": True},
            title="card %s's inbound gate held p1's segments" % new,
        )
        assert ok, diff


def test_ibgp_session_survives_a_bgpd_crash():
    "kill -9 of the active's bgpd: card b carries the iBGP session on with both AFIs."
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)
    R1.wait_active("a", "redundant before the crash", count=400)
    R1.wait_bgp_takeover_ready("a", PEER)
    before = _p1_view()
    R1.crash_bgpd_takeover("a", PEER)
    hold_unchanged(_p1_view, before, teardowns=(R1, "s1", "v6session", 0))
    for afi, prefix in (("ipv4", "10.200.1.0/24"), ("ipv6", "fd00:200::/64")):
        ok, diff = wait_for(
            lambda: R1.vtysh_json("b", "show bgp %s unicast json" % afi).get("routes", {}),
            {prefix: [{"valid": True}]},
            title="p1's %s route on card b" % afi,
        )
        assert ok, diff
    R1.restart_bgpd("a")


def test_ibgp_session_survives_the_death_of_the_card():
    """Card b (active since the crash) dies -- port cut, every process
    killed: card a rebuilds the IPv6 connection from the gate's record and
    carries the iBGP session on with both AFIs; p1 sees nothing."""
    R1.wait_active("b", "redundant before the card's death", count=400)
    before = _p1_view()
    R1.card_death_takeover("b", [PEER])
    hold_unchanged(_p1_view, before, teardowns=(R1, "s1", "v6session", 0))
    for afi, prefix in (("ipv4", "10.200.1.0/24"), ("ipv6", "fd00:200::/64")):
        ok, diff = wait_for(
            lambda: R1.vtysh_json("a", "show bgp %s unicast json" % afi).get("routes", {}),
            {prefix: [{"valid": True}]},
            title="p1's %s route on card a" % afi,
        )
        assert ok, diff
    R1.revive_card("b")


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
