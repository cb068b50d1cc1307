#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Many BGP sessions move together: BIRD 2 runs 40 eBGP sessions to r1 (one
per address pair, keepalive 1 s / hold 3 s, so that segments arrive while
connections move), each announcing 5 prefixes and receiving r1's route.

- graceful switchovers a->b->a: every session is taken over with its
  connection; BIRD sees nothing on any (state and state-change time over
  more than the hold time), r1 sends no RST (capture on BIRD's side);
- kill -9 of the active's bgpd: the same, then bgpd back and a graceful
  switchover back to card a.
"""
import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import ManyBirdSessions, RedundantRouter, wait_for

pytestmark = [pytest.mark.bgpd, pytest.mark.hard]

R1 = None
SESSIONS = None
N = 40


def build_topo(tgen):
    global R1, SESSIONS
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    SESSIONS = ManyBirdSessions(R1, "b1", N, 5, hold=3, keepalive=1)
    SESSIONS.build("s1")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(SESSIONS.router_confdir())
    SESSIONS.start_bird()


def teardown_module(mod):
    R1.stop_bird_peer("b1")
    get_topogen().stop_topology()


def _skip_on_failure():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)


def _taken_over(side):
    return R1.vtysh_json(side, "show redundancy bgp json")["sessionsTakenOver"]


def _judged_by_bird(before, new, taken_before):
    "Card new took every session over; BIRD noticed none; no FIN or RST on the line."
    ok, diff = wait_for(
        lambda: {"taken": _taken_over(new) - taken_before},
        {"taken": N},
        title="card %s took every session over" % new,
    )
    assert ok, (diff, R1.card(new).vtysh_cmd("show redundancy bgp"))
    noticed = SESSIONS.noticed(before, seconds=5)
    assert noticed == {}, noticed
    assert SESSIONS.teardowns() == []


def test_sessions_up():
    R1.wait_active("a", "boot election")
    SESSIONS.enable()
    SESSIONS.wait_ready("a", "every session established and replicated")
    before = SESSIONS.view()
    assert len(before) == N and all(v[0] == "Established" for v in before.values()), before


def test_graceful_switchovers_move_every_session():
    "Graceful switchovers a->b->a: all 40 sessions move, BIRD notices none."
    _skip_on_failure()
    for old, new in (("a", "b"), ("b", "a")):
        R1.wait_active(old, "redundant before the switchover", count=400)
        SESSIONS.wait_ready(old, "every session ready on card %s" % new)
        before = SESSIONS.view()
        taken_before = _taken_over(new)
        R1.switchover_with_bgp(old, new)
        _judged_by_bird(before, new, taken_before)


def test_bgpd_crash_moves_every_session():
    "kill -9 of the active's bgpd: card b takes all 40 sessions over, BIRD notices none."
    _skip_on_failure()
    R1.wait_active("a", "redundant before the crash", count=400)
    SESSIONS.wait_ready("a", "every session ready on card b")
    before = SESSIONS.view()
    taken_before = _taken_over("b")
    R1.kill_daemon("a", "bgpd")
    R1.wait_active("b", "card b took over after bgpd died on card a", redundant=False)
    _judged_by_bird(before, "b", taken_before)
    R1.restart_bgpd("a")
    SESSIONS.wait_ready("b", "every session ready on card a again")
    before = SESSIONS.view()
    taken_before = _taken_over("a")
    R1.switchover_with_bgp("b", "a")
    _judged_by_bird(before, "a", taken_before)


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
