#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
BGP non-stop routing judged by a BGP implementation that is not FRR:
BIRD 2 (Debian's bird2) peers with the redundant router r1; graceful
switchovers back and forth move the session with its TCP connection, and
so does a takeover after kill -9 of the active's bgpd.

From BIRD's side: the protocol stays "Established", its state-change time
("since") does not move, the routes it has from r1 stay, and no FIN/RST
crosses the line on the session's connection.  The routes BIRD sends
are in the new active's RIB.
"""
import os
import re
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter, hold_unchanged, wait_for, wait_stable

pytestmark = [pytest.mark.bgpd, pytest.mark.hard]

R1 = None
PEER = "10.0.1.3"


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    R1.add_bird_peer("b1", "s1", "10.0.1.3/24")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD)
    R1.start_bird_peer("b1", os.path.join(CWD, "bird.conf"))


def teardown_module(mod):
    R1.stop_bird_peer("b1")
    get_topogen().stop_topology()


def _skip_on_failure():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)


def _bird_session():
    """BIRD's view of its session to r1: state, since when, routes."""
    return R1.bird_session_view("b1")


def _session_ports():
    "The session's connection (r1's port, BIRD's port), as the active card has it."
    n = R1.vtysh_json("a", "show bgp neighbors %s json" % PEER)[PEER]
    return n["portLocal"], n["portForeign"]


def test_bird_session_established_and_replicated():
    "BIRD has its session with r1 up; the standby holds a copy of it."
    R1.wait_active("a", "boot election")
    ok, diff = wait_for(
        lambda: {"bgpState": _bird_session()["bgpState"], "imported": _bird_session()["imported"]},
        {"bgpState": "Established", "imported": 1},
        count=80,
        title="BIRD Established with r1, r1's route imported",
    )
    assert ok, diff
    # the state-change time is what shows a reset: it must be parsed (and
    # settled: BIRD stamps it twice as the session comes up)
    assert re.match(r"\d", wait_stable(_bird_session)["since"] or ""), R1.birdc(
        "b1", "show protocols r1"
    )
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy bgp json")["sessions"].get(PEER, {}),
        {"state": "Established"},
        title="the standby holds the session",
    )
    assert ok, diff


def _judged_by_bird(before, new):
    "After a takeover by card new: BIRD saw nothing, its routes are on new."
    # judged by BIRD, over 12 s (its hold time is 9 s)
    hold_unchanged(_bird_session, before, teardowns=(R1, "s1", "bird", 0))
    ok, diff = wait_for(
        lambda: R1.vtysh_json(new, "show ip bgp json").get("routes", {}),
        {"10.210.1.0/24": [{"valid": True}], "10.210.2.0/24": [{"valid": True}]},
        title="BIRD's routes on card %s" % new,
    )
    assert ok, diff


def _switchover(old, new):
    before = _bird_session()
    R1.switchover_with_bgp(old, new, [PEER])
    _judged_by_bird(before, new)


def test_graceful_switchovers_judged_by_bird():
    "Graceful switchovers a->b->a: BIRD's session never changes state."
    _skip_on_failure()
    r1_port, bird_port = _session_ports()
    R1.watch_tcp_teardown("s1", "10.0.1.1", sport=r1_port, dport=bird_port, name="bird")
    _switchover("a", "b")
    _switchover("b", "a")


def test_bgpd_crash_judged_by_bird():
    """kill -9 of the active's bgpd: card b's bgpd takes BIRD's session over
    with the connection card a's hard froze; BIRD sees nothing.  Then bgpd
    is restarted on card a and a graceful switchover goes back."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the crash", count=400)
    R1.wait_bgp_takeover_ready("a", PEER, held=1)
    before = _bird_session()
    R1.crash_bgpd_takeover("a", PEER)
    _judged_by_bird(before, "b")
    R1.restart_bgpd("a", PEER)
    _switchover("b", "a")


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
