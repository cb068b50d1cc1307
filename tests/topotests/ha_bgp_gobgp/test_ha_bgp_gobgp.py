#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
BGP non-stop routing judged by GoBGP (Debian's gobgpd), a second BGP
implementation not from FRR: graceful switchovers back and forth, and a
takeover after kill -9 of the active's bgpd, move the session with its TCP
connection.

From GoBGP's side: the neighbor stays ESTABLISHED, its uptime keeps
counting from the same start, it never receives or sends another OPEN,
the route it has from r1 stays, and no
FIN/RST crosses the line on the session's connection.  The routes GoBGP
announces are in the new active's RIB.
"""
import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter, hold_unchanged, wait_for

pytestmark = [pytest.mark.bgpd, pytest.mark.hard]

R1 = None
PEER = "10.0.1.4"
GOBGP_ROUTES = ["10.220.1.0/24", "10.220.2.0/24"]


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    R1.add_gobgp_peer("g1", "s1", "10.0.1.4/24")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD)
    R1.start_gobgp_peer("g1", os.path.join(CWD, "gobgpd.toml"))


def teardown_module(mod):
    R1.stop_gobgp_peer("g1")
    get_topogen().stop_topology()


def _skip_on_failure():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)


def _gobgp_session():
    """GoBGP's view of its session to r1: state (6: established), when it
    came up (GoBGP's uptime timestamp), OPEN messages received and sent (a
    new session would add one each)."""
    out = R1.gobgp("g1", "neighbor 10.0.1.1")
    if isinstance(out, list):
        out = out[0] if out else {}
    state = out.get("state", {})
    messages = state.get("messages", {})
    uptime = out.get("timers", {}).get("state", {}).get("uptime", {})
    return {
        "state": state.get("session_state"),
        "up_since": uptime.get("seconds"),
        "opens_received": messages.get("received", {}).get("open"),
        "opens_sent": messages.get("sent", {}).get("open"),
    }


def _route_from_r1_at_gobgp():
    out = R1.gobgp("g1", "global rib 10.100.1.0/24")
    return sorted(out.keys()) if isinstance(out, dict) else out


def test_gobgp_session_established_and_replicated():
    "GoBGP has its session with r1 up and announces two routes; the standby holds the session."
    R1.wait_active("a", "boot election")
    for prefix in GOBGP_ROUTES:
        R1.tgen.gears["g1"].cmd_raises(
            "gobgp -u 127.0.0.1 -p 50051 global rib add %s -a ipv4" % prefix
        )
    ok, diff = wait_for(
        lambda: {"state": _gobgp_session()["state"]},
        {"state": 6},
        count=80,
        title="GoBGP Established with r1",
    )
    assert ok, (diff, R1.gobgp("g1", "neighbor 10.0.1.1"))
    assert _gobgp_session()["up_since"], R1.gobgp("g1", "neighbor 10.0.1.1")
    ok, diff = wait_for(
        lambda: {"route": _route_from_r1_at_gobgp(), "session": _gobgp_session()},
        {"route": ["10.100.1.0/24"], "session": {"opens_received": 1, "opens_sent": 1}},
        title="GoBGP has r1's route",
    )
    assert ok, (diff, R1.gobgp("g1", "neighbor 10.0.1.1"))
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy bgp json")["sessions"].get(PEER, {}),
        {"state": "Established", "syncState": "ready"},
        title="the standby holds the session",
    )
    assert ok, diff


def _session_ports(side):
    n = R1.vtysh_json(side, "show bgp neighbors %s json" % PEER)[PEER]
    return n["portLocal"], n["portForeign"]


def _judged_by_gobgp(before, new):
    "After a takeover by card new: GoBGP saw nothing, its routes are on new."
    hold_unchanged(_gobgp_session, before, teardowns=(R1, "s1", "gobgp", 0))
    assert _route_from_r1_at_gobgp() == ["10.100.1.0/24"]
    ok, diff = wait_for(
        lambda: R1.vtysh_json(new, "show ip bgp json").get("routes", {}),
        {p: [{"valid": True}] for p in GOBGP_ROUTES},
        title="GoBGP's routes on card %s" % new,
    )
    assert ok, diff


def _switchover(old, new):
    before = _gobgp_session()
    R1.switchover_with_bgp(old, new, [PEER])
    _judged_by_gobgp(before, new)


def test_graceful_switchovers_judged_by_gobgp():
    "Graceful switchovers a->b->a: GoBGP's session never changes."
    _skip_on_failure()
    r1_port, gobgp_port = _session_ports("a")
    R1.watch_tcp_teardown("s1", "10.0.1.1", sport=r1_port, dport=gobgp_port, name="gobgp")
    _switchover("a", "b")
    _switchover("b", "a")


def test_bgpd_crash_judged_by_gobgp():
    """kill -9 of the active's bgpd: card b's bgpd takes GoBGP's session
    over with the connection card a's hard froze; GoBGP sees nothing.
    Then bgpd is restarted on card a and a graceful switchover goes back."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the crash", count=400)
    R1.wait_bgp_takeover_ready("a", PEER, held=1)
    before = _gobgp_session()
    R1.crash_bgpd_takeover("a", PEER)
    _judged_by_gobgp(before, "b")
    R1.restart_bgpd("a", PEER)
    _switchover("b", "a")


def test_card_death_judged_by_gobgp():
    """The death of the whole active card (a): card b rebuilds GoBGP's
    connection from the gate's record and carries the session on; GoBGP
    sees nothing.  Card a comes back as standby."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the card's death", count=400)
    before = _gobgp_session()
    R1.card_death_takeover("a", [PEER])
    _judged_by_gobgp(before, "b")
    R1.revive_card("a")


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
